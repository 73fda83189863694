#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Boots a Debian bookworm (or trixie) VM under real systemd with the given packages installed and runs
# one test script in it; see README.md. Exits 0 only if the test's last line is "N passed, 0 failed" with N > 0
# and the test script exited 0.
#
#   run-vm.sh --deb PATH [--deb PATH...] [--module PATH.ko...] --test PATH
#             [--suite bookworm|trixie] [--timeout SECONDS] [--verbose] [--keep] [--console-log PATH]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=host.sh
. "$here/host.sh"

usage() {
  cat <<'EOF'
usage: run-vm.sh --deb PATH [--deb PATH...] [--module PATH.ko...] --test PATH [options]
  --deb PATH          a Debian package to install into the VM before its first boot, with
                      `apt install ./FILE.deb` in the root as a user would (repeatable)
  --module PATH.ko    an out-of-tree module for the cached kernel: copied to /lib/modules/RELEASE/extra
                      (modprobe finds it) and loaded by the initramfs at every boot (repeatable)
  --test PATH         the test script to run in the VM once booted (see lib.sh)
  --suite NAME        the Debian release of the VM root and its kernel: bookworm (default) or trixie
  --timeout SECONDS   hard limit for all boots together (default 300)
  --verbose           stream the whole serial console, not only the test's output
  --keep              keep the scratch directory (disk image, console logs) and print its path
  --console-log PATH  write the whole serial console of all boots to PATH
EOF
}

debs=()
modules=()
test_script=""
timeout=300
suite=bookworm
verbose=0
keep=0
console_log=""
while (($#)); do
  case $1 in
    --deb | --module | --test | --timeout | --console-log | --suite)
      (($# >= 2)) || sg_die "$1 needs a value"
      case $1 in
        --deb) debs+=("$2") ;;
        --module) modules+=("$2") ;;
        --test) test_script=$2 ;;
        --timeout) timeout=$2 ;;
        --suite) suite=$2 ;;
        --console-log) console_log=$2 ;;
      esac
      shift 2
      ;;
    --verbose) verbose=1 && shift ;;
    --keep) keep=1 && shift ;;
    -h | --help) usage && exit 0 ;;
    *) sg_die "unknown argument '$1' (see --help)" ;;
  esac
done
[[ -n $test_script ]] || sg_die "--test is required (see --help)"
[[ -r $test_script ]] || sg_die "--test $test_script: not readable"
[[ $timeout =~ ^[1-9][0-9]*$ ]] || sg_die "--timeout $timeout: not a positive number of seconds"
for f in "${debs[@]}" "${modules[@]}"; do
  [[ -r $f ]] || sg_die "$f: not readable"
done
for f in "${modules[@]}"; do
  [[ $f == *.ko ]] || sg_die "--module $f: expected an uncompressed .ko file"
done

sg_require_root
sg_ensure_packages qemu-system-x86 e2fsprogs cpio util-linux
started=$SECONDS
deadline=$((started + timeout))
cache=$("$here/build-rootfs.sh" --suite "$suite")
release=$(<"$cache/kernel-release")

scratch=$(mktemp -d "${TMPDIR:-/tmp}/showguard-vm.XXXXXX")
vm_pid=""
cleanup() {
  [[ -z $vm_pid ]] || kill "$vm_pid" 2>/dev/null || true
  if ((keep)); then
    sg_log "kept $scratch"
  else
    rm -rf "$scratch"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The root disk: a copy of the cached root with the packages, modules and the test put in.
root=$scratch/root
cp -a --reflink=auto "$cache/rootfs" "$root"
if ((${#debs[@]})); then
  mkdir -m 755 "$root/tmp/showguard-vm-debs"
  cp "${debs[@]}" "$root/tmp/showguard-vm-debs/"
  chmod 644 "$root"/tmp/showguard-vm-debs/*.deb
  sg_log "apt install ${debs[*]##*/} ($suite)"
  # Chrooted, not in the first boot: dpkg under software emulation is slow. Maintainer scripts see no
  # /run/systemd/system, so they enable units but start nothing. The root has no package lists: what
  # the packages depend on and recommend must be in it already (build-rootfs.sh), as apt checks.
  sg_in_root "$root" sh -c 'cd /tmp/showguard-vm-debs && DEBIAN_FRONTEND=noninteractive apt install -y ./*.deb' \
    >"$scratch/apt.log" 2>&1 ||
    { cat "$scratch/apt.log" >&2; sg_die "apt install failed in the $suite VM root (missing dependency? see SHOWGUARD_VM_EXTRA_PACKAGES in build-rootfs.sh)"; }
  rm -rf "$root/tmp/showguard-vm-debs"
fi

module_names=()
if ((${#modules[@]})); then
  mkdir -p "$root/lib/modules/$release/extra"
  for f in "${modules[@]}"; do
    name=$(basename "$f" .ko)
    cp "$f" "$root/lib/modules/$release/extra/"
    vermagic=$(sg_in_root "$root" modinfo -F vermagic "/lib/modules/$release/extra/$name.ko")
    [[ ${vermagic%% *} == "$release" ]] ||
      sg_die "--module $f is built for '${vermagic%% *}', the VM kernel is $release (linux-headers-$release)"
    module_names+=("$name")
  done
  sg_in_root "$root" depmod "$release"
fi

install -D -m 755 "$here/runner.sh" "$root/usr/lib/showguard-vm/runner"
install -D -m 644 "$here/lib.sh" "$root/usr/lib/showguard-vm/lib.sh"
install -D -m 755 "$test_script" "$root/usr/lib/showguard-vm/test-script"
printf '%s\n' "$suite" >"$root/usr/lib/showguard-vm/suite"
install -D -m 644 "$here/showguard-vm-test.service" "$root/etc/systemd/system/showguard-vm-test.service"
ln -s ../showguard-vm-test.service "$root/etc/systemd/system/multi-user.target.wants/"
# A machine id of its own for each run, kept across its reboots (so journalctl -b -1 works), and
# no first-boot presets.
tr -d - </proc/sys/kernel/random/uuid >"$root/etc/machine-id"

# The initramfs: busybox, the init script and the modules needed to mount the root disk, plus --module.
initramfs=$scratch/initramfs
moddir=$root/lib/modules/$release
mkdir -p "$initramfs"/{bin,dev,proc,sys}
cp "$cache/busybox" "$initramfs/bin/busybox"
install -m 755 "$here/initramfs-init.sh" "$initramfs/init"
mknod -m 600 "$initramfs/dev/console" c 5 1
sg_module_load_order "$moddir/modules.dep" virtio_pci virtio_blk ext4 crc32c_generic "${module_names[@]}" \
  >"$initramfs/modules.load"
while read -r module; do
  install -D -m 644 "$moddir/$module" "$initramfs/lib/modules/$release/$module"
done <"$initramfs/modules.load"
(cd "$initramfs" && find . | cpio -o -H newc --quiet) >"$scratch/initramfs.cpio"

size_mib=$(($(du -sm "$root" | cut -f1) + 768))
truncate -s "${size_mib}M" "$scratch/disk.img"
mkfs.ext4 -q -F -L showguard-vm -d "$root" "$scratch/disk.img"
rm -rf "$root" "$initramfs"
sg_log "VM disk ready in $((SECONDS - started)) s"

qemu=(qemu-system-x86_64 -machine pc -accel tcg -cpu max -smp 2 -m 1024
  -nographic -no-reboot -nic none
  -kernel "$cache/vmlinuz" -initrd "$scratch/initramfs.cpio"
  -append "console=ttyS0 panic=-1 $( ((verbose)) || echo quiet)"
  -drive "file=$scratch/disk.img,format=raw,if=virtio")

if ((verbose)); then
  show=(sed -u 's/\r$//')
else
  show=(sed -u -n 's/\r$//; s/^showguard-vm| //p')
fi

# Boots until the runner in the VM stops asking for a reboot.
boot=0
verdict=""
while :; do
  boot=$((boot + 1))
  log=$scratch/console.$boot.log
  : >"$log"
  remaining=$((deadline - SECONDS))
  ((remaining > 0)) || { verdict="timed out after $timeout s, before boot $boot"; break; }
  sg_log "boot $boot (qemu, software emulation; ${remaining} s left)"
  timeout --kill-after=10 "$remaining" "${qemu[@]}" </dev/null >"$log" 2>&1 &
  vm_pid=$!
  tail -n +1 -s 0.2 --pid="$vm_pid" -f "$log" | "${show[@]}" &
  show_pid=$!
  status=0
  wait "$vm_pid" || status=$?
  vm_pid=""
  wait "$show_pid" || true
  if ((status == 124 || status == 137)); then
    verdict="timed out after $timeout s, in boot $boot"
  elif ((status != 0)); then
    verdict="qemu exited with status $status in boot $boot"
  elif tr -d '\r' <"$log" | grep -qx 'showguard-vm: reboot'; then
    continue
  elif ! tr -d '\r' <"$log" | grep -q '^showguard-vm: test exited with status '; then
    verdict="the VM stopped in boot $boot without the test finishing (kernel panic, failed boot or a reboot not asked with reboot_vm?)"
  fi
  break
done

for ((i = 1; i <= boot; i++)); do
  [[ ! -e $scratch/console.$i.log ]] || tr -d '\r' <"$scratch/console.$i.log"
done >"$scratch/console.log"
[[ -z $console_log ]] || cp "$scratch/console.log" "$console_log"

if [[ -z $verdict ]]; then
  exit_status=$(sed -n 's/^showguard-vm: test exited with status //p' "$scratch/console.log" | tail -n 1)
  last=$(sed -n 's/^showguard-vm| //p' "$scratch/console.log" | tail -n 1)
  if [[ ! $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed(,\ [0-9]+\ skipped)?$ ]]; then
    verdict="the test's last line is not 'N passed, M failed': '$last'"
  elif ((BASH_REMATCH[2] != 0 || BASH_REMATCH[1] == 0)); then
    verdict="$last"
  elif [[ $exit_status != 0 ]]; then
    verdict="the test script exited with status $exit_status"
  fi
fi

if [[ -n $verdict ]]; then
  sg_log "last lines of the serial console:"
  tail -n 40 "$scratch/console.log" | sed 's/^/  | /' >&2
  sg_log "FAIL: $verdict ($boot boots, $((SECONDS - started)) s)"
  exit 1
fi
sg_log "PASS ($boot boots, $((SECONDS - started)) s)"
