#!/usr/bin/env bash
# Build the gpio-sim kernel module for Debian's stock kernel, for amd64 or arm64, or for
# Debian 13's (trixie's 6.12, amd64) with --suite trixie.
#
# Debian does not build gpio-sim (nor the IRQ_SIM it needs), so it is built here as one
# out-of-tree module from linux-source (drivers/gpio/gpio-sim.c + kernel/irq/irq_sim.c)
# against the packaged headers. Nothing kernel-related is installed on the host: the
# linux-image, linux-headers, linux-kbuild and linux-source packages are fetched with
# `apt-get download` and unpacked with `dpkg -x` into a scratch directory.
#
# trixie's headers cannot be used that way on this bookworm host: their kbuild programs
# (fixdep, modpost) are linked against trixie's glibc, and the kernel was built with
# gcc-14, which bookworm does not have. So for --suite trixie the module is built inside
# a copy of the systemd tier's trixie VM root (tests/systemd/build-rootfs.sh --suite
# trixie), with that root's own apt installing linux-headers (gcc-14 comes with it) and
# fetching linux-source of the kernel the root boots; the kernel image and configfs come
# from that root too, so the kernel tier and the systemd tier boot the same kernel.
#
# Output: a directory under ${SHOWGUARD_CACHE:-/var/cache/showguard}/kernel/ holding
#   vmlinuz           the stock kernel image
#   vmlinux           amd64: the same kernel uncompressed, booted through its PVH entry
#   modules/*.ko      every module the test VM has to load (configfs is =m in Debian)
#   modules/order     the .ko file names in load order (dependencies first)
#   config            the kernel's .config, for reference
#   build.log         the module build's output
#   manifest          what made it: package versions, compiler, hash of these scripts
#   env               shell-sourceable facts: KERNEL_RELEASE, KERNEL_CONSOLE, ...
# Its path is printed on stdout. A second run with the same inputs is a cache hit and
# does not touch the network.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=host-common.sh
. "$SCRIPT_DIR/host-common.sh"
CACHE_ROOT="$SHOWGUARD_CACHE/kernel"

usage() {
    cat <<EOF
usage: ${0##*/} --arch amd64|arm64 [--suite bookworm|trixie] [--force]

Builds (or finds in the cache) gpio-sim.ko for Debian's stock kernel of that
architecture and prints the cache directory holding vmlinuz and the modules.
  --suite   the Debian release whose kernel it is: bookworm (default, the host's)
            or trixie (amd64 only)
  --force   rebuild even if the cache already has a complete result
EOF
}

arch=""
suite=bookworm
force=0
while (($#)); do
    case "$1" in
        --arch) [[ $# -ge 2 ]] || die "--arch needs a value"; arch="$2"; shift 2 ;;
        --arch=*) arch="${1#--arch=}"; shift ;;
        --suite) [[ $# -ge 2 ]] || die "--suite needs a value"; suite="$2"; shift 2 ;;
        --force) force=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done
[[ -n "$arch" ]] || { usage >&2; die "--arch is required"; }
triplet="$(triplet_of "$arch")"
require_root
cross=0
[[ "$arch" == "$HOST_ARCH" ]] || cross=1
case "$suite" in
    bookworm) ;;
    trixie) [[ "$arch" == amd64 && "$HOST_ARCH" == amd64 ]] || die "--suite trixie is for amd64 on an amd64 host" ;;
    *) die "--suite must be bookworm or trixie, not '$suite'" ;;
esac

if [[ "$suite" == bookworm ]]; then
    # --- what the module is built from ------------------------------------------------------

    ensure_foreign_arch "$arch"

    resolve() {
        # The linux-image-ARCH metapackage points at the current ABI's image package.
        image_pkg="$(apt_cache depends "linux-image-$arch:$arch" \
            | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { sub(/:.*/, "", $2); print $2; exit }')"
        [[ -n "$image_pkg" ]] || return 1
        kernel_release="${image_pkg#linux-image-}"                # 6.1.0-56-amd64
        kernel_abi="${kernel_release%-"$arch"}"                    # 6.1.0-56
        kernel_version="$(candidate_version "$image_pkg:$arch")"   # 6.1.192-2
        [[ -n "$kernel_version" ]] || return 1
        local mm="${kernel_version%%-*}"
        mm="${mm%.*}"                                              # 6.1
        headers_pkg="linux-headers-$kernel_release"
        common_pkg="linux-headers-$kernel_abi-common"
        kbuild_pkg="linux-kbuild-$mm"
        source_pkg="linux-source-$mm"
        # linux-kbuild holds host programs (fixdep, modpost, objtool), so it is always the
        # host's architecture. Take the kernel's own version where the archive still has it.
        kbuild_version="$kernel_version"
        has_version "$kbuild_pkg:$HOST_ARCH" "$kbuild_version" \
            || kbuild_version="$(candidate_version "$kbuild_pkg:$HOST_ARCH")"
        source_version="$kernel_version"
        has_version "$source_pkg" "$source_version" \
            || source_version="$(candidate_version "$source_pkg")"
        common_version="$(candidate_version "$common_pkg")"
        headers_version="$(candidate_version "$headers_pkg:$arch")"
        [[ -n "$kbuild_version" && -n "$source_version" && -n "$common_version" \
            && -n "$headers_version" ]]
    }

    # Try the package lists as they are first: a cache hit then needs no network at all.
    if ! resolve; then
        apt_update
        resolve || die "cannot resolve linux-image-$arch and its headers and source packages"
    fi

    # --- build dependencies -----------------------------------------------------------------

    # The kernel was built with gcc-12 and its headers call $(CROSS_COMPILE)gcc-12.
    deps=(make binutils xz-utils libelf1 gcc-12)
    if ((cross)); then
        deps+=("gcc-$triplet" "gcc-12-$triplet" "binutils-$triplet")
        cross_compile="$triplet-"
        compiler_pkg="gcc-12-$triplet"
    else
        cross_compile=""
        compiler_pkg="gcc-12"
    fi
    apt_install "${deps[@]}"
    compiler_version="$(dpkg-query -W -f='${Version}' "$compiler_pkg")"

    manifest="$(cat <<EOF
arch=$arch
host_arch=$HOST_ARCH
$image_pkg:$arch=$kernel_version
$headers_pkg:$arch=$headers_version
$common_pkg=$common_version
$kbuild_pkg:$HOST_ARCH=$kbuild_version
$source_pkg=$source_version
$compiler_pkg=$compiler_version
scripts_sha256=$(cat "$SCRIPT_DIR/build-gpio-sim.sh" "$SCRIPT_DIR/host-common.sh" | sha256sum | cut -d' ' -f1)
EOF
)"
else
    # The trixie VM root: its kernel, its kept modules (configfs) and its apt. The host
    # only unpacks, strips and reads ELF files.
    apt_install binutils xz-utils zstd
    # The trixie VM root: its kernel, its kept modules (configfs) and its apt.
    vm_dir="$(bash "$SCRIPT_DIR/../systemd/build-rootfs.sh" --suite "$suite")"
    kernel_release="$(cat "$vm_dir/kernel-release")"          # 6.12.x-amd64
    kernel_version="$(cat "$vm_dir/kernel-version")"          # 6.12.x-1
    [[ -n "$kernel_release" && -n "$kernel_version" ]] || die "$vm_dir names no kernel"
    mm="${kernel_version%%-*}"
    mm="${mm%.*}"                                             # 6.12
    image_pkg="linux-image-$kernel_release"
    headers_pkg="linux-headers-$kernel_release"
    source_pkg="linux-source-$mm"
    source_version="$kernel_version"
    manifest="$(cat <<EOF
arch=$arch
suite=$suite
vm_root=${vm_dir##*/}
$image_pkg=$kernel_version
scripts_sha256=$(cat "$SCRIPT_DIR/build-gpio-sim.sh" "$SCRIPT_DIR/host-common.sh" | sha256sum | cut -d' ' -f1)
EOF
)"
fi
key="$arch-$kernel_release-$(printf '%s\n' "$manifest" | sha256sum | cut -c1-12)"
out="$CACHE_ROOT/$key"

if [[ -f "$out/.complete" && $force -eq 0 ]]; then
    log "cache hit: $out"
    printf '%s\n' "$out"
    exit 0
fi

# --- build ------------------------------------------------------------------------------

log "building gpio-sim for $kernel_release ($kernel_version) in $out"
mkdir -p "$CACHE_ROOT"
work="$(mktemp -d "$CACHE_ROOT/.build-$key.XXXXXX")"
chmod 755 "$work"
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work/root" "$work/src" "$work/out/modules"

if [[ "$suite" == bookworm ]]; then
    apt_download "$work/debs" \
        "$image_pkg:$arch=$kernel_version" "$headers_pkg:$arch=$headers_version" \
        "$common_pkg=$common_version" "$kbuild_pkg:$HOST_ARCH=$kbuild_version" \
        "$source_pkg=$source_version"

    for deb in "$work"/debs/*.deb; do
        case "${deb##*/}" in
            linux-source-*) ;;
            *) dpkg -x "$deb" "$work/root" ;;
        esac
    done

else
    # A copy of the VM root to build in, with the suite's own apt and compiler.
    # shellcheck source=../systemd/host.sh
    . "$SCRIPT_DIR/../systemd/host.sh"
    chroot_dir="$work/root"
    rmdir "$chroot_dir"
    cp -a --reflink=auto "$vm_dir/rootfs" "$chroot_dir"
    cp -L /etc/resolv.conf "$chroot_dir/etc/resolv.conf"
    log "installing $headers_pkg in a copy of the $suite root"
    sg_in_root "$chroot_dir" apt-get update -qq >"$work/apt.log" 2>&1 || log "warning: apt-get update in the $suite root exited non-zero; carrying on"
    sg_in_root "$chroot_dir" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "$headers_pkg" make xz-utils >>"$work/apt.log" 2>&1 \
        || { tail -n 20 "$work/apt.log" >&2
             die "$suite has no $headers_pkg any more: remove $vm_dir so that a new root boots its current kernel"; }
    mkdir -m 777 "$chroot_dir/tmp/debs"
    sg_in_root "$chroot_dir" sh -c "cd /tmp/debs && { apt-get download -qq '$source_pkg=$kernel_version' || apt-get download -qq '$source_pkg'; }" >&2 \
        || die "cannot download $source_pkg in the $suite root"
    mkdir -p "$work/debs"
    mv "$chroot_dir"/tmp/debs/*.deb "$work/debs/"
fi

# Three files of the 140 MB source tarball are needed; stream them out of the .deb.
dpkg-deb --fsys-tarfile "$work"/debs/linux-source-*.deb \
    | tar -xO "./usr/src/$source_pkg.tar.xz" \
    | tar -xJ -C "$work/src" --strip-components=1 \
        "$source_pkg/drivers/gpio/gpio-sim.c" \
        "$source_pkg/drivers/gpio/gpiolib.h" \
        "$source_pkg/kernel/irq/irq_sim.c"

mod_src="$work/gpio-sim"
mkdir -p "$mod_src"
# The composite module is named gpio-sim, so its gpio-sim.c part needs another name.
cp "$work/src/drivers/gpio/gpio-sim.c" "$mod_src/gpio-sim-main.c"
cp "$work/src/drivers/gpio/gpiolib.h" "$mod_src/gpiolib.h"
# irq_to_desc() is not exported to modules (since 5.11); generic_handle_irq() looks the
# descriptor up itself and calls the flow handler irq_sim installed, handle_simple_irq.
sed 's/handle_simple_irq(irq_to_desc(\([a-z_]*\)));/generic_handle_irq(\1);/' \
    "$work/src/kernel/irq/irq_sim.c" >"$mod_src/irq_sim.c"
if ! grep -q 'generic_handle_irq(' "$mod_src/irq_sim.c" || grep -q 'irq_to_desc' "$mod_src/irq_sim.c"; then
    die "irq_sim.c from $source_pkg $source_version did not take the irq_to_desc change"
fi
cat >"$mod_src/Kbuild" <<'EOF'
obj-m := gpio-sim.o
gpio-sim-y := gpio-sim-main.o irq_sim.o
EOF

if [[ "$suite" == bookworm ]]; then
    headers="$work/root/usr/src/$headers_pkg"
    # The flavour Makefile includes the common one by absolute path; point it at the copy.
    sed -i "s|^include /usr/src/|include $work/root/usr/src/|" "$headers/Makefile"
    grep -q "^include $work/root/usr/src/$common_pkg/Makefile" "$headers/Makefile" \
        || die "unexpected Makefile layout in $headers_pkg"

    log "make modules ($arch${cross_compile:+, CROSS_COMPILE=$cross_compile})"
    # ARCH is fixed by the headers' own .kernelvariables; CC there is $(CROSS_COMPILE)gcc-12.
    if ! make -C "$headers" M="$mod_src" CROSS_COMPILE="$cross_compile" -j"$(nproc)" modules \
            >"$work/build.log" 2>&1; then
        cat "$work/build.log" >&2
        die "module build failed (log above)"
    fi
else
    headers="$chroot_dir/usr/src/$headers_pkg"
    mkdir -p "$chroot_dir/build"
    cp -a "$mod_src" "$chroot_dir/build/gpio-sim"
    log "make modules in the $suite root"
    if ! sg_in_root "$chroot_dir" make -C "/usr/src/$headers_pkg" M=/build/gpio-sim -j"$(nproc)" modules \
            >"$work/build.log" 2>&1; then
        cat "$work/build.log" >&2
        die "module build failed (log above)"
    fi
    mod_src="$chroot_dir/build/gpio-sim"
    cross_compile=""
fi
"${cross_compile}strip" --strip-debug "$mod_src/gpio-sim.ko"

# --- the modules the VM loads, dependencies first ---------------------------------------

moddir="$work/root/lib/modules/$kernel_release"
modinfo_field() { # KO FIELD: the value of FIELD= in the module's .modinfo section
    readelf -p .modinfo "$1" | sed -n "s/^ *\[ *[0-9a-f]*\] *$2=//p" | sed -n 1p
}
find_module() { # NAME: path of NAME.ko in the stock tree ('-' and '_' are the same)
    local alt
    alt="$(printf '%s' "$1" | tr '_-' '-_')"
    find "$moddir/kernel" \( -name "$1.ko" -o -name "$alt.ko" \) -print -quit
}
order=()
add_module() { # KO: copy KO after everything it depends on
    local ko="$1" base dep deps dep_ko seen
    base="${ko##*/}"
    for seen in ${order[@]+"${order[@]}"}; do
        [[ "$seen" == "$base" ]] && return 0
    done
    deps="$(modinfo_field "$ko" depends)"
    for dep in ${deps//,/ }; do
        dep_ko="$(find_module "$dep")"
        [[ -n "$dep_ko" ]] || die "$base needs module $dep, which $image_pkg does not have"
        add_module "$dep_ko"
    done
    cp "$ko" "$work/out/modules/$base"
    order+=("$base")
}
# gpio-sim's configfs interface is found by mounting configfs, not through a symbol
# dependency that .modinfo would name, so configfs is asked for when it is a module.
if grep -q '^CONFIG_CONFIGFS_FS=m' "$headers/.config"; then
    configfs_ko="$(find_module configfs)"
    [[ -n "$configfs_ko" ]] || die "CONFIGFS_FS=m but $image_pkg has no configfs.ko"
    add_module "$configfs_ko"
fi
add_module "$mod_src/gpio-sim.ko"
printf '%s\n' "${order[@]}" >"$work/out/modules/order"

vermagic="$(modinfo_field "$work/out/modules/gpio-sim.ko" vermagic)"
[[ "$vermagic" == "$kernel_release "* ]] \
    || die "gpio-sim.ko has vermagic '$vermagic', not $kernel_release"

if [[ "$suite" == bookworm ]]; then
    cp "$work/root/boot/vmlinuz-$kernel_release" "$work/out/vmlinuz"
else
    cp "$vm_dir/vmlinuz" "$work/out/vmlinuz"
fi
kernel_image=vmlinuz
# Under TCG, decompressing the bzImage takes seconds of every boot. A kernel with
# CONFIG_PVH can instead be started from its uncompressed ELF image: QEMU's -kernel
# loads it through the Xen PVH entry note, which halves the amd64 boot time. bookworm's
# 6.1 is xz-compressed, trixie's 6.12 zstd-compressed.
elf_whole() { # ELF: the section header table, which comes last, lies within the file
    local start count
    start="$(readelf -hW "$1" 2>/dev/null | sed -n 's/^ *Start of section headers: *\([0-9]*\).*/\1/p')"
    count="$(readelf -hW "$1" 2>/dev/null | sed -n 's/^ *Number of section headers: *\([0-9]*\).*/\1/p')"
    [[ -n "$start" && -n "$count" ]] && ((start + count * 64 <= $(stat -c %s "$1")))
}
if [[ "$arch" == amd64 ]] && grep -q '^CONFIG_PVH=y' "$headers/.config"; then
    magic="" unpack=()
    if grep -q '^CONFIG_KERNEL_XZ=y' "$headers/.config"; then
        magic=$'\xfd7zXZ' unpack=(xz -dc --single-stream)
    elif grep -q '^CONFIG_KERNEL_ZSTD=y' "$headers/.config" && command -v zstd >/dev/null; then
        magic=$'\x28\xb5\x2f\xfd' unpack=(zstd -dcq)
    fi
    payload_offset=""
    [[ -z "$magic" ]] \
        || payload_offset="$(LC_ALL=C grep -abo "$magic" "$work/out/vmlinuz" | head -n1 | cut -d: -f1 || true)"
    # xz stops reading at the end of its stream, so tail's SIGPIPE is expected; zstd
    # decodes the one frame, then rejects the size the kernel's build appended to it,
    # so its status says nothing and the ELF image itself is checked instead.
    if [[ -n "$payload_offset" ]]; then
        "${unpack[@]}" <(tail -c +"$((payload_offset + 1))" "$work/out/vmlinuz") \
            >"$work/out/vmlinux" 2>/dev/null || true
    fi
    if [[ -n "$payload_offset" ]] && elf_whole "$work/out/vmlinux" \
        && readelf -nW "$work/out/vmlinux" 2>/dev/null | grep -c '^ *Xen ' >/dev/null; then
        kernel_image=vmlinux
    else
        log "warning: no PVH vmlinux could be extracted; the VM boots the bzImage"
        rm -f "$work/out/vmlinux"
    fi
fi
cp "$headers/.config" "$work/out/config"
cp "$work/build.log" "$work/out/build.log"
printf '%s\n' "$manifest" >"$work/out/manifest"
case "$arch" in
    amd64) console=ttyS0 ;;
    arm64) console=ttyAMA0 ;;
esac
cat >"$work/out/env" <<EOF
KERNEL_ARCH=$arch
KERNEL_RELEASE=$kernel_release
KERNEL_VERSION=$kernel_version
KERNEL_SUITE=$suite
KERNEL_CONSOLE=$console
KERNEL_IMAGE=$kernel_image
EOF
touch "$work/out/.complete"

# Publish in one rename. A result that a concurrent run published meanwhile is just as
# good, and may be in use: keep it unless --force asked for a rebuild.
if [[ -f "$out/.complete" && $force -eq 0 ]]; then
    log "a concurrent run published $out first; using it"
else
    if [[ -e "$out" ]]; then
        rm -rf "$out.old"
        mv -T "$out" "$out.old"
    fi
    mv -T "$work/out" "$out" 2>/dev/null || [[ -f "$out/.complete" ]] || die "cannot publish $out"
    rm -rf "$out.old"
fi
log "done: modules ${order[*]} for $kernel_release"
printf '%s\n' "$out"
