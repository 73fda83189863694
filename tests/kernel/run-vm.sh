#!/usr/bin/env bash
# Boot Debian's stock kernel with gpio-sim under QEMU (TCG) and run one test script in it:
# bookworm's 6.1 by default, trixie's 6.12 with --suite trixie (amd64).
#
# The initramfs holds a static busybox, the binary under test at /bin/showguard (and
# under its own name), any --extra programs in /bin, every shared library they need,
# the gpio-sim and configfs modules, the test script and lib.sh. vm-init.sh mounts
# proc/sys/dev/configfs, loads the modules, runs the script with SHOWGUARD=/bin/showguard
# and powers off. The script's output is streamed from the serial console.
#
# Exit status: 0 if the script's last line is 'N passed, 0 failed' with N > 0 and it
# exited 0; 77 if its last line is 'SKIP: reason'; 124 on timeout (QEMU is killed);
# 2 for bad arguments; 1 for any other failure.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=host-common.sh
. "$SCRIPT_DIR/host-common.sh"

usage() {
    cat <<EOF
usage: ${0##*/} --arch amd64|arm64 --binary PATH --script PATH [options]

  --arch amd64|arm64   guest architecture (the binaries must be built for it)
  --suite NAME         whose stock kernel: bookworm (default) or trixie (amd64 only)
  --binary PATH        the program under test; /bin/showguard in the guest
  --script PATH        test script, run by busybox sh in the guest; it sources lib.sh
  --extra PATH         another program to put in the guest's /bin (repeatable)
  --lib-root DIR       extra root to look for shared libraries in, before the host's
                       own (e.g. an unpacked arm64 .deb or a cross sysroot)
  --timeout SECONDS    hard limit for the VM, default 120; QEMU is killed after it
  --smp N              guest CPUs, default 1
  --append ARGS        extra kernel command line
  --log FILE           keep the full serial console log there (kept anyway on failure)
  --verbose            show the whole console (kernel messages too), not just the test
EOF
}

usage_error() { usage >&2; log "error: $*"; exit 2; }

arch="" suite=bookworm binary="" script="" lib_root="" timeout_s=120 smp=1 append="" keep_log="" verbose=0
extras=()
while (($#)); do
    case "$1" in
        --arch|--suite|--binary|--script|--extra|--lib-root|--timeout|--smp|--append|--log)
            [[ $# -ge 2 ]] || usage_error "$1 needs a value"
            case "$1" in
                --arch) arch="$2" ;;
                --suite) suite="$2" ;;
                --binary) binary="$2" ;;
                --script) script="$2" ;;
                --extra) extras+=("$2") ;;
                --lib-root) lib_root="$2" ;;
                --timeout) timeout_s="$2" ;;
                --smp) smp="$2" ;;
                --append) append="$2" ;;
                --log) keep_log="$2" ;;
            esac
            shift 2 ;;
        --verbose) verbose=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage_error "unknown argument: $1" ;;
    esac
done
[[ "$arch" == amd64 || "$arch" == arm64 ]] || usage_error "--arch must be amd64 or arm64"
[[ -n "$binary" ]] || usage_error "--binary is required"
[[ -n "$script" ]] || usage_error "--script is required"
[[ -f "$binary" && -x "$binary" ]] || usage_error "--binary $binary is not an executable file"
[[ -f "$script" ]] || usage_error "--script $script does not exist"
for x in ${extras[@]+"${extras[@]}"}; do
    [[ -f "$x" && -x "$x" ]] || usage_error "--extra $x is not an executable file"
done
[[ -z "$lib_root" || -d "$lib_root" ]] || usage_error "--lib-root $lib_root is not a directory"
[[ "$timeout_s" =~ ^[1-9][0-9]*$ ]] || usage_error "--timeout must be a positive number of seconds"
[[ "$smp" =~ ^[1-9][0-9]*$ ]] || usage_error "--smp must be a positive number"
require_root

started=$(date +%s.%N)
triplet="$(triplet_of "$arch")"
case "$arch" in
    amd64) qemu=qemu-system-x86_64 qemu_pkg=qemu-system-x86 elf_machine="X86-64" ;;
    arm64) qemu=qemu-system-aarch64 qemu_pkg=qemu-system-arm elf_machine="AArch64" ;;
esac

host_deps=("$qemu_pkg" cpio binutils coreutils)
# The loader and libc for foreign binaries, should the host have no libc6:$arch.
[[ "$arch" == "$HOST_ARCH" ]] || host_deps+=("libc6-$arch-cross")
apt_install "${host_deps[@]}"
kernel_dir="$("$SCRIPT_DIR/build-gpio-sim.sh" --arch "$arch" --suite "$suite")"
# shellcheck source=/dev/null
. "$kernel_dir/env"
busybox="$(unpacked_packages "$arch" busybox-static)/bin/busybox"
[[ -x "$busybox" ]] || die "no busybox in the busybox-static:$arch package"

work="$(mktemp -d "${TMPDIR:-/tmp}/showguard-ktest.XXXXXX")"
vm_pid=""
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    if [[ -n "$vm_pid" ]]; then kill -TERM "$vm_pid" 2>/dev/null || true; fi
    if [[ -n "${KTEST_KEEP_WORK:-}" ]]; then
        log "KTEST_KEEP_WORK set: kept $work (initrd.cpio, root/, console.log)"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# --- the initramfs -----------------------------------------------------------------------

root="$work/root"
mkdir -p "$root"/{bin,dev,etc,proc,sys,run,tmp,root,ktest/modules} "$root/usr/lib/$triplet" \
    "$root/usr/lib64"
ln -s usr/lib "$root/lib"
ln -s usr/lib64 "$root/lib64"
ln -s bin "$root/sbin"
mknod -m 600 "$root/dev/console" c 5 1
mknod -m 666 "$root/dev/null" c 1 3
cp "$busybox" "$root/bin/busybox"
cp "$SCRIPT_DIR/vm-init.sh" "$root/init"
chmod 755 "$root/init"
echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
echo "root:x:0:" >"$root/etc/group"

is_elf() { [[ "$(head -c4 "$1" | od -An -c | tr -d ' ')" == '177ELF' ]]; }
elf_interp() {
    readelf -lW "$1" | sed -n 's/.*Requesting program interpreter: \(.*\)\]$/\1/p'
}
elf_needed() { readelf -dW "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'; }
elf_runpath() { readelf -dW "$1" | sed -n 's/.*(R\(UN\)\{0,1\}PATH).*\[\(.*\)\]$/\2/p'; }

lib_dirs=()
if [[ -n "$lib_root" ]]; then
    lib_root="$(cd "$lib_root" && pwd)"
    lib_dirs+=("$lib_root/usr/lib/$triplet" "$lib_root/lib/$triplet" "$lib_root/usr/lib"
               "$lib_root/lib" "$lib_root/usr/$triplet/lib")
fi
lib_dirs+=("/usr/lib/$triplet" "/lib/$triplet" "/usr/$triplet/lib")

declare -A copied_libs=()
copy_lib() { # SONAME HOSTPATH: into the guest's default library directory
    [[ -n "${copied_libs[$1]:-}" ]] && return 0
    copied_libs[$1]="$2"
    ((verbose)) && log "library $1 <- $2"
    cp -L "$2" "$root/usr/lib/$triplet/$1"
}

# A foreign binary cannot be run through ldd: walk its NEEDED entries instead, the way
# the loader would (RUNPATH, then --lib-root, then the host's multiarch directories).
resolve_foreign() { # ELF
    local elf="$1" soname dir found origin rp
    local -a dirs=()
    origin="$(dirname "$(readlink -f "$elf")")"
    while IFS= read -r rp; do
        IFS=: read -ra parts <<<"${rp//\$ORIGIN/$origin}"
        dirs+=("${parts[@]}")
    done < <(elf_runpath "$elf")
    dirs+=("${lib_dirs[@]}")
    for soname in $(elf_needed "$elf"); do
        [[ -n "${copied_libs[$soname]:-}" ]] && continue
        found=""
        for dir in "${dirs[@]}"; do
            if [[ -e "$dir/$soname" ]]; then found="$dir/$soname"; break; fi
        done
        [[ -n "$found" ]] || die "$elf needs $soname, not found in: ${dirs[*]}"
        copy_lib "$soname" "$found"
        resolve_foreign "$found"
    done
}

resolve_native() { # ELF: ask the host's loader, with --lib-root ahead of the system
    local elf="$1" line soname arrow path ld_path
    ld_path="$(IFS=:; echo "${lib_dirs[*]}")"
    while IFS= read -r line; do
        case "$line" in
            *" => not found"*) die "$elf needs ${line%% =>*}, which ldd cannot find" ;;
            *" => "/*)
                # "	libgpiod.so.2 => /lib/x86_64-linux-gnu/libgpiod.so.2 (0x...)"
                read -r soname arrow path _ <<<"$line"
                [[ "$arrow" == "=>" ]] || die "cannot parse ldd output: $line"
                copy_lib "$soname" "$path" ;;
        esac
    done < <(LD_LIBRARY_PATH="$ld_path" ldd "$elf")
}

install_program() { # HOSTPATH GUESTNAME
    local src="$1" name="$2" machine interp found dir
    cp -L "$src" "$root/bin/$name"
    chmod 755 "$root/bin/$name"
    is_elf "$src" || return 0   # a script: nothing to resolve
    machine="$(readelf -hW "$src" | sed -n 's/^ *Machine: *//p')"
    [[ "$machine" == *"$elf_machine"* ]] \
        || die "$src is built for '$machine', not for $arch"
    interp="$(elf_interp "$src")"
    [[ -n "$interp" ]] || return 0   # static
    if [[ ! -e "$root$interp" ]]; then
        found=""
        for dir in "${lib_dirs[@]}" "$(dirname "$interp")"; do
            if [[ -e "$dir/${interp##*/}" ]]; then found="$dir/${interp##*/}"; break; fi
        done
        [[ -n "$found" ]] || die "$src needs the loader $interp, not found"
        mkdir -p "$(dirname "$root$interp")"
        cp -L "$found" "$root$interp"
    fi
    if [[ "$arch" == "$HOST_ARCH" ]]; then
        resolve_native "$src"
    else
        resolve_foreign "$src"
    fi
}

install_program "$binary" showguard
base="${binary##*/}"
# Also under its own name, unless that is taken (a static busybox as the binary).
[[ "$base" == showguard || -e "$root/bin/$base" ]] || ln -s showguard "$root/bin/$base"
for x in ${extras[@]+"${extras[@]}"}; do
    [[ ! -e "$root/bin/${x##*/}" || "${x##*/}" == "$base" ]] \
        || die "two programs named ${x##*/}"
    rm -f "$root/bin/${x##*/}"
    install_program "$x" "${x##*/}"
done

while read -r ko; do
    cp "$kernel_dir/modules/$ko" "$root/ktest/modules/"
done <"$kernel_dir/modules/order"
cp "$kernel_dir/modules/order" "$root/ktest/modules/order"
script_name="${script##*/}"
cp "$script" "$root/ktest/$script_name"
cp "$SCRIPT_DIR/lib.sh" "$root/ktest/lib.sh"
cat >"$root/ktest/config" <<EOF
KTEST_ARCH=$arch
KTEST_KERNEL=$KERNEL_RELEASE
KTEST_SCRIPT=$script_name
EOF

(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) \
    >"$work/initrd.cpio"

# --- boot --------------------------------------------------------------------------------

cmdline="console=$KERNEL_CONSOLE panic=-1 rdinit=/init"
((verbose)) || cmdline+=" quiet loglevel=3"
[[ -z "$append" ]] || cmdline+=" $append"
qemu_args=(-nographic -no-reboot -m 512 -smp "$smp" -nic none -accel tcg
           -kernel "$kernel_dir/${KERNEL_IMAGE:-vmlinuz}" -initrd "$work/initrd.cpio" -append "$cmdline")
[[ "$arch" == arm64 ]] && qemu_args=(-M virt -cpu cortex-a72 "${qemu_args[@]}")

console="$work/console.log"
: >"$console"
log "booting $KERNEL_RELEASE ($arch) with ${script_name}; timeout ${timeout_s} s"
boot_started=$(date +%s.%N)
# stdin is /dev/null so that QEMU never touches a terminal's settings.
timeout --kill-after=5 "$timeout_s" "$qemu" "${qemu_args[@]}" </dev/null >"$console" 2>&1 &
vm_pid=$!

# Stream the test's part of the console while the VM runs. The markers are matched
# anywhere in a line: firmware may leave a line unterminated ("Booting from ROM..").
if ((verbose)); then
    filter='{ sub(/\r$/, ""); print; fflush() }'
else
    filter='{ sub(/\r$/, "") }
            /==ktest-end==/ { on = 0 }
            on { print; fflush() }
            /==ktest-begin==/ { on = 1 }'
fi
tail -n +1 -s 0.1 -f --pid="$vm_pid" "$console" | awk "$filter" &
tail_pid=$!

vm_status=0
wait "$vm_pid" || vm_status=$?
vm_pid=""
wait "$tail_pid" || true
ended=$(date +%s.%N)
vm_secs=$(awk -v a="$boot_started" -v b="$ended" 'BEGIN { printf "%.1f", b - a }')
total_secs=$(awk -v a="$started" -v b="$ended" 'BEGIN { printf "%.1f", b - a }')

# --- verdict -----------------------------------------------------------------------------

save_log() {
    local dest="$keep_log"
    if [[ -z "$dest" ]]; then
        dest="${TMPDIR:-/tmp}/showguard-ktest-$arch-${script_name%.sh}-$(date +%Y%m%d-%H%M%S).log"
    fi
    tr -d '\r' <"$console" >"$dest"
    log "full console log: $dest"
}

verdict() { # STATUS MESSAGE
    log "$2 [$arch, ${script_name}, VM ${vm_secs} s, total ${total_secs} s]"
    if [[ "$1" -ne 0 && "$1" -ne 77 ]] || [[ -n "$keep_log" ]]; then save_log; fi
    if [[ "$1" -ne 0 && "$1" -ne 77 ]] && ! grep -q '==ktest-end==' <<<"$clean"; then
        # The test did not run to its end: what the kernel said last is the clue.
        log "last console lines:"
        grep -v '==ktest-' <<<"$clean" | tail -n 20 | sed 's/^/    /' >&2
    fi
    exit "$1"
}

clean="$(tr -d '\r' <"$console")"
if [[ "$vm_status" -eq 124 || "$vm_status" -eq 137 ]]; then
    verdict 124 "TIMEOUT: the VM did not finish within ${timeout_s} s and was killed"
fi
if grep -q '==ktest-setup-failed==' <<<"$clean"; then
    verdict 1 "FAIL: VM setup failed: $(sed -n 's/.*==ktest-setup-failed== //p' <<<"$clean" | head -n1)"
fi
grep -q '==ktest-begin==' <<<"$clean" \
    || verdict 1 "FAIL: the VM stopped before the test started (QEMU status $vm_status)"
end_line="$(grep -o '==ktest-end== rc=[0-9]*' <<<"$clean" | tail -n1 || true)"
[[ -n "$end_line" ]] \
    || verdict 1 "FAIL: the VM stopped before the test script finished (kernel panic?)"
script_rc="${end_line##*rc=}"
# The script's last line; kernel messages on the console (--verbose) do not count.
last="$(sed -n '/==ktest-begin==/,/==ktest-end==/p' <<<"$clean" \
    | sed '1d;$d' | grep -Ev '^[[:space:]]*$|^\[ *[0-9]+\.[0-9]+\] ' | tail -n1 || true)"

if [[ "$last" =~ ^SKIP:[[:space:]]*(.*)$ ]]; then
    verdict 77 "SKIP: ${BASH_REMATCH[1]}"
fi
if [[ "$last" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
    passed="${BASH_REMATCH[1]}" failed="${BASH_REMATCH[2]}"
    if ((failed == 0 && passed > 0 && script_rc == 0)); then
        verdict 0 "PASS: $passed passed"
    fi
    verdict 1 "FAIL: $passed passed, $failed failed, script exit status $script_rc"
fi
verdict 1 "FAIL: the script's last line is not 'N passed, M failed' (script exit status $script_rc)"
