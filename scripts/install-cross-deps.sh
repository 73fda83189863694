#!/usr/bin/env bash
# Install what the showguard cross builds need on a Debian 12 (bookworm) amd64 host, as root:
# the Debian cross compilers for the Raspberry Pi targets (arm64, armhf), the targets'
# development packages as multiarch packages next to the amd64 ones, the triplet-prefixed
# pkg-config wrappers (pkgconf:<arch>), and qemu-user to run cross-built tests.
#
# Usage: scripts/install-cross-deps.sh [--arch arm64,armhf,armel] [--dry-run]
#   armel: the static ARMv6 build for every 32-bit Pi (cross compiler and a sysroot; see below)
#
# Idempotent: when everything is installed (or an architecture is served by a fallback sysroot
# made since the last list update) it neither updates the package lists nor calls apt-get
# (a second run takes well under a second); lists it refreshed less than six hours ago are not
# refreshed again.
#
# Fallback: a target architecture's packages must have exactly the same versions as the
# installed amd64 ones wherever a package is Multi-Arch: same (libc6-dev needs linux-libc-dev,
# krb5 needs libssl3, ...). When the archive cannot give a matching set for one architecture
# (for example because that architecture's security index failed to download, so only older
# versions are visible for it), this script builds a Debian sysroot for that architecture
# instead with scripts/make-target-sysroot.sh and prints the SHOWGUARD_SYSROOT to configure with.
# The exit status is 0 only when every requested architecture is usable one way or the other.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dry_run=0
target_arches=(arm64 armhf)

while (( $# )); do
    case "$1" in
        --dry-run) dry_run=1 ;;
        --arch) shift; IFS=, read -r -a target_arches <<<"${1:?--arch needs a list}" ;;
        --arch=*) IFS=, read -r -a target_arches <<<"${1#--arch=}" ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "usage: $0 [--arch arm64,armhf] [--dry-run]" >&2; exit 64 ;;
    esac
    shift
done

say() { printf '[install-cross-deps] %s\n' "$*"; }
run() {
    say "+ $*"
    if (( dry_run == 0 )); then "$@"; fi
}

triplet_of() {
    case "$1" in
        arm64) echo aarch64-linux-gnu ;;
        armhf) echo arm-linux-gnueabihf ;;
        armel) echo arm-linux-gnueabi ;;
        *) echo "install-cross-deps: unsupported architecture '$1' (arm64, armhf, armel)" >&2; return 1 ;;
    esac
}

# Host-side tools. cmake and ninja are normally on a build machine already but a fresh Debian
# has neither. util-linux (flock, setsid, ...) is Essential and only ever used host-side, so it
# needs no foreign variant.
# nlohmann-json3-dev is headers only (Architecture: all): the host's copy serves every target.
host_packages=(cmake ninja-build make file binutils qemu-user nlohmann-json3-dev)
for arch in "${target_arches[@]}"; do
    host_packages+=("g++-$(triplet_of "$arch")")
done

# What the target build links against, per target architecture.
target_dev_packages=(
    libgpiod-dev libboost-program-options-dev libspdlog-dev libfmt-dev libgtest-dev pkgconf
    libcurl4-openssl-dev
)

if (( EUID != 0 )) && (( dry_run == 0 )); then
    echo "install-cross-deps: must run as root (it calls dpkg and apt-get)" >&2
    exit 77
fi

is_installed() {
    [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" == installed ]]
}

missing_of() { # missing_of PKG... -> prints the ones not installed
    local pkg
    for pkg in "$@"; do is_installed "$pkg" || printf '%s\n' "$pkg"; done
}

# apt-get update, waiting for another apt process to let go of the lists lock.
apt_update() {
    local log rc try
    log=$(mktemp)
    for try in $(seq 1 60); do
        rc=0
        say "+ apt-get update $*"
        apt-get update -q "$@" >"$log" 2>&1 || rc=$?
        grep -E '^(E:|W:|Err)' "$log" | sed 's/^/    /' || true
        if (( rc != 0 )) && grep -q 'Could not get lock' "$log"; then
            say "apt lists are locked by another process; waiting ($try/60)"
            sleep 5
            continue
        fi
        break
    done
    rm -f "$log"
    return "$rc"
}

# Refresh the package lists. apt commits a suite's new index files only when all of them
# download, so one broken foreign-architecture index (seen: the armhf index of
# bookworm-security, "File has unexpected size ... Mirror sync in progress?") throws away the
# suite's fresh indexes for the other architectures too. Then retry with fewer architectures so
# that every architecture whose indexes are fine gets them, and finish with a full update that
# (failing again) keeps those and adds the other suites for the rest.
update_indexes() {
    if apt_update; then return 0; fi
    say "warning: apt-get update failed; retrying one foreign architecture at a time"
    local native good=() arch opts
    native=$(dpkg --print-architecture)
    for arch in "${target_arches[@]}"; do
        opts=(-o "APT::Architectures::=$native")
        for a in "${good[@]}" "$arch"; do opts+=(-o "APT::Architectures::=$a"); done
        if apt_update "${opts[@]}"; then good+=("$arch"); fi
    done
    # The full update fails again, but keeps what the narrower ones fetched.
    apt_update || say "warning: some indexes are still missing (fetched fully: $native ${good[*]}); the installs decide"
}

export DEBIAN_FRONTEND=noninteractive
apt_install() {
    run apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 "$@"
}

need_update=0
# Into a variable first: with pipefail, `dpkg ... | grep -q` fails when grep exits early.
foreign=$(dpkg --print-foreign-architectures)
for arch in "${target_arches[@]}"; do
    if ! grep -qx "$arch" <<<"$foreign"; then
        run dpkg --add-architecture "$arch"
        need_update=1
    fi
done

mapfile -t missing_host < <(missing_of "${host_packages[@]}")
declare -A missing_target
any_missing=$(( ${#missing_host[@]} ))
for arch in "${target_arches[@]}"; do
    missing_target[$arch]=$(missing_of "${target_dev_packages[@]/%/:$arch}" | tr '\n' ' ')
    [[ -z "${missing_target[$arch]// /}" ]] || any_missing=1
done

# Lists refreshed by this script less than six hours ago are fresh enough (a retry after a
# failed architecture then costs seconds, not another round of downloads).
stamp="${SHOWGUARD_CACHE:-/var/cache/showguard}/apt-lists-updated"
lists_fresh=0
[[ -n "$(find "$stamp" -mmin -360 2>/dev/null)" ]] && lists_fresh=1

# An architecture already served by a fallback sysroot made (or checked) since the last list
# update: the
# multiarch install would fail the same way, so do not try again until the lists are refreshed.
sysroot_of() { echo "${SHOWGUARD_CACHE:-/var/cache/showguard}/sysroot-$1"; }
if (( ${#missing_host[@]} == 0 && need_update == 0 && lists_fresh )); then
    any_missing=0
    for arch in "${target_arches[@]}"; do
        [[ -n "${missing_target[$arch]// /}" ]] || continue
        if [[ "$(sysroot_of "$arch")/.showguard-sysroot" -nt "$stamp" ]]; then
            say "$arch: using the fallback sysroot made after the last list update:" \
                "-DSHOWGUARD_SYSROOT=$(sysroot_of "$arch")"
        else
            any_missing=1
        fi
    done
fi

# The Pi builds link libgpiod 2.x in, so that one package serves Debian 12 (libgpiod2) and
# Debian 13 (libgpiod3): the rpi-arm64 and rpi-armhf presets find it in the private prefix
# that install-libgpiod2.sh makes (/var/cache/showguard/libgpiod2-ARCH; cached, so a second
# run costs nothing).
gpiod2_prefixes() {
    local arch rc=0
    for arch in "${target_arches[@]}"; do
        [[ $arch != armel ]] || continue # the static ARMv6 build links its sysroot's libgpiod
        if (( dry_run )); then say "+ install-libgpiod2.sh --arch $arch"; continue; fi
        "$here/install-libgpiod2.sh" --arch "$arch" >/dev/null ||
            { say "$arch: libgpiod 2.x (bookworm-backports) could not be had"; rc=1; }
    done
    return "$rc"
}

if (( any_missing == 0 && need_update == 0 )); then
    say "${target_arches[*]}: everything in place; nothing to do"
    gpiod2_prefixes
    exit
fi

if (( dry_run )); then
    say "+ apt-get update"
elif (( need_update == 0 && lists_fresh )); then
    say "package lists were updated at $(date -r "$stamp" '+%F %T'); not updating again"
else
    update_indexes
    mkdir -p "$(dirname "$stamp")" && touch "$stamp"
fi

if (( ${#missing_host[@]} )); then
    apt_install "${missing_host[@]}"
fi

failed=()
for arch in "${target_arches[@]}"; do
    read -r -a pkgs <<<"${missing_target[$arch]}"
    (( ${#pkgs[@]} )) || { say "$arch: development packages already installed"; continue; }
    # armel (the static ARMv6 build, toolchain/armv6-static.cmake) always takes the sysroot:
    # Debian 12's security archive (LTS) carries no armel, so its Multi-Arch: same packages
    # never match the host's updated ones, and the build links only static archives anyway.
    if [[ $arch == armel ]]; then failed+=("$arch"); continue; fi
    # One architecture at a time, so that a version mismatch on one does not block the other.
    if ! apt_install "${pkgs[@]}"; then
        say "$arch: the multiarch development packages cannot be installed next to the amd64 ones"
        say "$arch: (a Multi-Arch: same package has no $arch version equal to the installed amd64 one)"
        failed+=("$arch")
        # The triplet pkg-config wrapper alone has no such dependencies.
        is_installed "pkgconf:$arch" || apt_install "pkgconf:$arch" || true
    fi
done

status=0
for arch in "${failed[@]}"; do
    say "$arch: falling back to a Debian sysroot built from downloaded packages"
    if root=$("$here/make-target-sysroot.sh" "$arch" "$(sysroot_of "$arch")"); then
        say "$arch: configure with -DSHOWGUARD_SYSROOT=$root"
    else
        say "$arch: the sysroot could not be built either"
        status=1
    fi
done

gpiod2_prefixes || status=1

if (( dry_run == 0 )); then
    say "check:"
    for arch in "${target_arches[@]}"; do
        t=$(triplet_of "$arch")
        printf '  %-22s %s\n' "$t-g++" "$(command -v "$t-g++" || echo MISSING)"
        printf '  %-22s %s\n' "$t-pkg-config" "$(command -v "$t-pkg-config" || echo 'MISSING (sysroot route uses pkg-config)')"
        if command -v "$t-pkg-config" >/dev/null && "$t-pkg-config" --exists libgpiodcxx; then
            printf '  %-22s libgpiodcxx %s (multiarch)\n' "$arch" "$("$t-pkg-config" --modversion libgpiodcxx)"
        fi
    done
    printf '  %-22s %s\n' qemu-aarch64 "$(command -v qemu-aarch64 || echo MISSING)"
    printf '  %-22s %s\n' qemu-arm "$(command -v qemu-arm || echo MISSING)"
fi
exit "$status"
