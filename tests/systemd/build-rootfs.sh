#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Builds, once, what the systemd VM tier boots, and prints the directory that holds it:
#   rootfs/         Debian bookworm (debootstrap --variant=minbase, upgraded to the host's suites) with
#                   the runtime packages below and a few stock kernel modules under /lib/modules
#   vmlinuz         the stock Debian kernel (linux-image-amd64's dependency), never installed on the host
#   kernel-release  its release string (uname -r), for modules built elsewhere against linux-headers
#   busybox         a static busybox for the initramfs that run-vm.sh builds per run
#   inputs          what the cache key was computed from
# The directory is ${SHOWGUARD_CACHE:-/var/cache/showguard}/systemd/<key>, where <key> hashes the
# package list, the kernel and busybox package versions and the content of this script and host.sh.
# Extra Debian packages for the VM can be given as SHOWGUARD_VM_EXTRA_PACKAGES="pkg pkg" (part of the key).
# Progress goes to stderr; stdout carries only the directory.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=host.sh
. "$here/host.sh"

# What showguard needs at run time on a controller, plus what the tests use to look at the system.
# gpiod: gpioinfo, which names the LED line's consumer.
packages=(systemd-sysv udev kmod util-linux procps iproute2 gpiod
  libgpiod2 libboost-program-options1.74.0 libspdlog1.10 libfmt9 libcurl4)
read -r -a extra_packages <<<"${SHOWGUARD_VM_EXTRA_PACKAGES:-}"
packages+=("${extra_packages[@]}")

# Stock kernel modules kept in the VM (with what they depend on); the rest of the 400 MB are dropped.
# The first four are what the initramfs needs to mount the root disk; configfs is for gpio-sim.
kernel_modules=(virtio_pci virtio_blk ext4 crc32c_generic configfs virtio_rng autofs4 fuse loop)

# sg_candidate PACKAGE FIELD: a field of the version apt would install.
# Prints nothing when apt does not know PACKAGE (yet).
sg_candidate() {
  { apt-cache show --no-all-versions "$1" 2>/dev/null || true; } | awk -v f="$2:" '$1 == f { print $2; exit }'
}

# The Debian mirror this machine uses, read at run time so that no host name is written down.
debian_mirror() {
  local sources=/etc/apt/sources.list.d/debian.sources uri=""
  if [[ -r $sources ]]; then
    uri=$(awk 'BEGIN { RS = "" }
      /(^|\n)Suites:[^\n]*[ \t]bookworm([ \t\n]|$)/ {
        if (match($0, /(^|\n)URIs:[ \t]*[^ \t\n]+/)) {
          s = substr($0, RSTART, RLENGTH); sub(/^\n?URIs:[ \t]*/, "", s); print s; exit
        }
      }' "$sources")
  fi
  if [[ -z $uri && -r /etc/apt/sources.list ]]; then
    uri=$(awk '$1 == "deb" && / bookworm / {
      for (i = 2; i <= NF; i++) if ($i ~ /^[a-z+]+:\/\//) { print $i; exit } }' /etc/apt/sources.list)
  fi
  [[ -n $uri ]] || sg_die "no bookworm URIs: line in $sources or /etc/apt/sources.list"
  printf '%s\n' "$uri"
}

sg_require_root
sg_ensure_packages debootstrap e2fsprogs cpio util-linux

kernel_meta_depends=$(sg_candidate linux-image-amd64 Depends)
if [[ -z $kernel_meta_depends ]]; then
  sg_apt_update
  kernel_meta_depends=$(sg_candidate linux-image-amd64 Depends)
fi
[[ $kernel_meta_depends == linux-image-* ]] || sg_die "cannot resolve linux-image-amd64 (apt-cache show)"
kernel_pkg=${kernel_meta_depends%% *}
kernel_version=$(sg_candidate "$kernel_pkg" Version)
busybox_version=$(sg_candidate busybox-static Version)
[[ -n $kernel_version && -n $busybox_version ]] || sg_die "cannot resolve $kernel_pkg or busybox-static"

inputs=$(
  printf 'packages: %s\n' "${packages[*]}"
  printf 'kernel: %s=%s\nbusybox-static: %s\n' "$kernel_pkg" "$kernel_version" "$busybox_version"
  sha256sum "$here/build-rootfs.sh" "$here/host.sh" | awk '{ print "script:", $1 }'
)
key=$(printf '%s\n' "$inputs" | sha256sum | cut -c1-16)
cache=$(sg_cache_dir)
out=$cache/$key
mkdir -p "$cache"

# Concurrent runs wait for one build instead of racing it.
exec 9>"$cache/.$key.lock"
flock 9
if [[ -e $out/inputs ]]; then
  sg_log "using cached VM root $out"
  printf '%s\n' "$out"
  exit 0
fi

tmp=$(mktemp -d "$cache/.build.XXXXXX")
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
root=$tmp/rootfs
mirror=$(debian_mirror)
started=$SECONDS

sg_log "debootstrap --variant=minbase bookworm from $mirror (about a minute)"
debootstrap --variant=minbase --include="$(IFS=,; printf '%s' "${packages[*]}")" \
  bookworm "$root" "$mirror" >"$tmp/debootstrap.log" 2>&1 ||
  { tail -n 30 "$tmp/debootstrap.log" >&2; sg_die "debootstrap failed"; }

# Bring the root up to the host's suites (point release and security), so that a package built on the
# host against its libraries installs into the VM.
sg_log "upgrading the VM root to the host's bookworm suites"
cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/" 2>/dev/null ||
  cp /etc/apt/sources.list "$root/etc/apt/sources.list"
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
sg_in_root "$root" apt-get update -qq >"$tmp/upgrade.log" 2>&1 ||
  sg_log "apt-get update in the VM root exited $?; going on"
sg_in_root "$root" env DEBIAN_FRONTEND=noninteractive apt-get -y -qq dist-upgrade >>"$tmp/upgrade.log" 2>&1 ||
  { tail -n 30 "$tmp/upgrade.log" >&2; sg_die "apt-get dist-upgrade in the VM root failed"; }
sg_in_root "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/* "$root/etc/resolv.conf"

sg_log "configuring the VM root"
printf 'showguard-vm\n' >"$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 showguard-vm\n::1 localhost\n' >"$root/etc/hosts"
printf '/dev/vda / ext4 rw,errors=remount-ro 0 0\n' >"$root/etc/fstab"
sg_in_root "$root" passwd -dq root
# Persistent journal, so that a test can read the boot before a reboot.
mkdir -p "$root/var/log/journal"
# No login prompts on the console the test output shares, and no daily jobs firing during a test.
for unit in serial-getty@.service getty@.service getty-static.service apt-daily.timer apt-daily-upgrade.timer \
  dpkg-db-backup.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer; do
  ln -sf /dev/null "$root/etc/systemd/system/$unit"
done

sg_log "fetching $kernel_pkg=$kernel_version and busybox-static=$busybox_version"
mkdir "$tmp/debs"
# apt drops privileges to _apt for downloads; let it write here.
chown _apt "$tmp/debs" 2>/dev/null || true
(cd "$tmp/debs" && apt-get download -qq "$kernel_pkg=$kernel_version" "busybox-static=$busybox_version") >&2
dpkg -x "$tmp/debs/${kernel_pkg}_"*.deb "$tmp/kernel"
dpkg -x "$tmp/debs/busybox-static_"*.deb "$tmp/busybox-deb"
release=$(basename "$(find "$tmp/kernel/boot" -name 'vmlinuz-*' -print -quit)")
release=${release#vmlinuz-}
cp "$tmp/kernel/boot/vmlinuz-$release" "$tmp/vmlinuz"
cp "$tmp/busybox-deb/bin/busybox" "$tmp/busybox"
printf '%s\n' "$release" >"$tmp/kernel-release"

# Keep only the modules listed above and what they depend on.
moddir=$root/lib/modules/$release
mkdir -p "$root/lib/modules"
cp -a "$tmp/kernel/lib/modules/$release" "$moddir"
rm -rf "$tmp/kernel" "$tmp/busybox-deb" "$tmp/debs"
sg_in_root "$root" depmod "$release"
sg_module_load_order "$moddir/modules.dep" "${kernel_modules[@]}" >"$tmp/keep"
find "$moddir/kernel" -name '*.ko*' -printf 'kernel/%P\n' | grep -vxF -f "$tmp/keep" |
  (cd "$moddir" && xargs rm -f)
rm "$tmp/keep"
find "$moddir/kernel" -type d -empty -delete
sg_in_root "$root" depmod "$release"

printf '%s\n' "$inputs" >"$tmp/inputs"
rm -f "$tmp"/*.log
mv "$tmp" "$out"
trap - EXIT
sg_log "built VM root $out in $((SECONDS - started)) s ($(du -sh "$out" | cut -f1))"
printf '%s\n' "$out"
