#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Builds, once, what the systemd VM tier boots, and prints the directory that holds it:
#   rootfs/         Debian SUITE (debootstrap --variant=minbase, upgraded to the suite's updates) with
#                   the runtime packages below and a few of the kernel's modules under /lib/modules
#                   (uncompressed, so that the initramfs's busybox insmod loads them)
#   vmlinuz         the suite's stock Debian kernel (linux-image-amd64's dependency), never installed
#                   on the host
#   kernel-release  its release string (uname -r), for modules built elsewhere against linux-headers
#   kernel-version  its package version (linux-source of that version has the matching sources)
#   busybox         a static busybox for the initramfs that run-vm.sh builds per run
#   inputs          what the cache key was computed from
#
#   build-rootfs.sh [--suite bookworm|trixie]
#
# bookworm (the default) is the host's release: its kernel is the version the host's apt would install,
# and part of the key. trixie (Debian 13, systemd 257) is another release: its kernel is the one the
# trixie archive had when the root was made (recorded in inputs, not part of the key).
# The directory is ${SHOWGUARD_CACHE:-/var/cache/showguard}/systemd/<key>, where <key> hashes the
# suite, the package list, the kernel (bookworm) and busybox package versions and the content of this
# script and host.sh. The archive's address is asked of scripts/debian-archive.sh at run time.
# Extra Debian packages for the VM can be given as SHOWGUARD_VM_EXTRA_PACKAGES="pkg pkg" (part of the key).
# Progress goes to stderr; stdout carries only the directory.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=host.sh
. "$here/host.sh"

suite=bookworm
while (($#)); do
  case $1 in
    --suite)
      (($# >= 2)) || sg_die "--suite needs bookworm or trixie"
      suite=$2
      shift 2
      ;;
    -h | --help) sed -n '3,23p' "$0" && exit 0 ;;
    *) sg_die "unknown argument '$1' (see --help)" ;;
  esac
done

# What showguard needs at run time on a controller, plus what the tests use to look at the system.
# gpiod: gpioinfo, which names the LED line's consumer. bookworm's root gets the libraries of the
# host build's package (libgpiod 1.6 shared); trixie's is for the release package, which links
# libgpiod 2.x in and recommends libcurl (trixie's libcurl4t64), for apt install ./FILE.deb.
case $suite in
  bookworm)
    packages=(systemd-sysv udev kmod util-linux procps iproute2 gpiod
      libgpiod2 libboost-program-options1.74.0 libspdlog1.10 libfmt9 libcurl4)
    ;;
  trixie)
    packages=(systemd-sysv udev kmod util-linux procps iproute2 gpiod libcurl4t64)
    ;;
  *) sg_die "--suite $suite: bookworm or trixie" ;;
esac
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

sg_require_root
sg_ensure_packages debootstrap e2fsprogs cpio util-linux xz-utils

busybox_version=$(sg_candidate busybox-static Version)
if [[ $suite == bookworm ]]; then
  kernel_meta_depends=$(sg_candidate linux-image-amd64 Depends)
  if [[ -z $kernel_meta_depends || -z $busybox_version ]]; then
    sg_apt_update
    kernel_meta_depends=$(sg_candidate linux-image-amd64 Depends)
    busybox_version=$(sg_candidate busybox-static Version)
  fi
  [[ $kernel_meta_depends == linux-image-* ]] || sg_die "cannot resolve linux-image-amd64 (apt-cache show)"
  kernel_pkg=${kernel_meta_depends%% *}
  kernel_version=$(sg_candidate "$kernel_pkg" Version)
  [[ -n $kernel_version ]] || sg_die "cannot resolve $kernel_pkg"
  kernel_input="$kernel_pkg=$kernel_version"
else
  if [[ -z $busybox_version ]]; then
    sg_apt_update
    busybox_version=$(sg_candidate busybox-static Version)
  fi
  kernel_input="linux-image-amd64 of $suite when the root was made"
fi
[[ -n $busybox_version ]] || sg_die "cannot resolve busybox-static"

inputs=$(
  printf 'suite: %s\npackages: %s\n' "$suite" "${packages[*]}"
  printf 'kernel: %s\nbusybox-static: %s\n' "$kernel_input" "$busybox_version"
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
  sg_log "using cached $suite VM root $out"
  printf '%s\n' "$out"
  exit 0
fi

tmp=$(mktemp -d "$cache/.build.XXXXXX")
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
root=$tmp/rootfs
mirror=$(bash "$here/../../scripts/debian-archive.sh") || sg_die "no Debian archive in this machine's apt sources"
started=$SECONDS

sg_log "debootstrap --variant=minbase $suite (about a minute)"
debootstrap --variant=minbase --include="$(IFS=,; printf '%s' "${packages[*]}")" \
  "$suite" "$root" "$mirror" >"$tmp/debootstrap.log" 2>&1 ||
  { tail -n 30 "$tmp/debootstrap.log" >&2; sg_die "debootstrap $suite failed"; }

# Bring the root up to the suite's updates. bookworm takes the host's own sources (point release and
# security), so that a package built on the host against its libraries installs into the VM; trixie
# takes the archive's trixie and trixie-updates.
sg_log "upgrading the VM root to the $suite updates"
if [[ $suite == bookworm ]]; then
  cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/" 2>/dev/null ||
    cp /etc/apt/sources.list "$root/etc/apt/sources.list"
else
  rm -f "$root/etc/apt/sources.list"
  printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: %s\n' \
    "$mirror" "$suite" "$suite" /usr/share/keyrings/debian-archive-keyring.gpg \
    >"$root/etc/apt/sources.list.d/debian.sources"
fi
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
sg_in_root "$root" apt-get update -qq >"$tmp/upgrade.log" 2>&1 ||
  sg_log "apt-get update in the VM root exited $?; going on"
sg_in_root "$root" env DEBIAN_FRONTEND=noninteractive apt-get -y -qq dist-upgrade >>"$tmp/upgrade.log" 2>&1 ||
  { tail -n 30 "$tmp/upgrade.log" >&2; sg_die "apt-get dist-upgrade in the VM root failed"; }

mkdir "$tmp/debs"
if [[ $suite == bookworm ]]; then
  sg_log "fetching $kernel_pkg=$kernel_version and busybox-static=$busybox_version"
  # apt drops privileges to _apt for downloads; let it write here.
  chown _apt "$tmp/debs" 2>/dev/null || true
  (cd "$tmp/debs" && apt-get download -qq "$kernel_pkg=$kernel_version" "busybox-static=$busybox_version") >&2
else
  # The suite's kernel, as the root's own apt resolves it.
  kernel_pkg=$(sg_in_root "$root" apt-cache show --no-all-versions linux-image-amd64 |
    awk '$1 == "Depends:" { print $2; exit }')
  [[ $kernel_pkg == linux-image-* ]] || sg_die "cannot resolve linux-image-amd64 in the $suite root"
  kernel_version=$(sg_in_root "$root" apt-cache show --no-all-versions "$kernel_pkg" | awk '$1 == "Version:" { print $2; exit }')
  sg_log "fetching $kernel_pkg=$kernel_version ($suite) and busybox-static=$busybox_version (host)"
  mkdir -m 777 "$root/tmp/kernel-deb"
  sg_in_root "$root" sh -c "cd /tmp/kernel-deb && apt-get download -qq '$kernel_pkg=$kernel_version'" >&2
  mv "$root"/tmp/kernel-deb/*.deb "$tmp/debs/"
  rmdir "$root/tmp/kernel-deb"
  chown _apt "$tmp/debs" 2>/dev/null || true
  (cd "$tmp/debs" && apt-get download -qq "busybox-static=$busybox_version") >&2
fi
printf '%s\n' "$kernel_version" >"$tmp/kernel-version"
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

dpkg -x "$tmp/debs/${kernel_pkg}_"*.deb "$tmp/kernel"
dpkg -x "$tmp/debs/busybox-static_"*.deb "$tmp/busybox-deb"
release=$(basename "$(find "$tmp/kernel/boot" -name 'vmlinuz-*' -print -quit)")
release=${release#vmlinuz-}
cp "$tmp/kernel/boot/vmlinuz-$release" "$tmp/vmlinuz"
cp "$tmp/busybox-deb/bin/busybox" "$tmp/busybox"
printf '%s\n' "$release" >"$tmp/kernel-release"

# Keep only the modules listed above and what they depend on. trixie's kernel package has them under
# /usr/lib/modules, xz-compressed; the root's /lib is /usr/lib either way.
moddir=$root/lib/modules/$release
mkdir -p "$root/lib/modules"
kernel_moddir=$(find "$tmp/kernel" -path "*/lib/modules/$release" -type d -print -quit)
[[ -n $kernel_moddir ]] || sg_die "$kernel_pkg has no lib/modules/$release"
cp -a "$kernel_moddir" "$moddir"
rm -rf "$tmp/kernel" "$tmp/busybox-deb" "$tmp/debs"
sg_in_root "$root" depmod "$release"
sg_module_load_order "$moddir/modules.dep" "${kernel_modules[@]}" >"$tmp/keep"
find "$moddir/kernel" -name '*.ko*' -printf 'kernel/%P\n' | grep -vxF -f "$tmp/keep" |
  (cd "$moddir" && xargs rm -f)
rm "$tmp/keep"
find "$moddir/kernel" -type d -empty -delete
# busybox insmod in the initramfs loads plain .ko files only.
find "$moddir/kernel" -name '*.ko.xz' -exec xz -d {} +
sg_in_root "$root" depmod "$release"

printf '%s\n' "$inputs" >"$tmp/inputs"
rm -f "$tmp"/*.log
mv "$tmp" "$out"
trap - EXIT
sg_log "built $suite VM root $out ($release) in $((SECONDS - started)) s ($(du -sh "$out" | cut -f1))"
printf '%s\n' "$out"
