#!/usr/bin/env bash
# Build a Debian 12 sysroot for a Raspberry Pi target architecture from downloaded packages,
# without installing anything: libc, libstdc++ and the showguard build dependencies
# (libgpiod, Boost.Program_options, spdlog, fmt, GoogleTest) of that architecture, unpacked
# with dpkg -x. Configure with -DSHOWGUARD_SYSROOT=<dir> and a toolchain/ file; the same option
# takes a mounted Raspberry Pi OS image.
#
# Usage: scripts/make-target-sysroot.sh ARCH [DIR]
#   ARCH  arm64 | armhf | armel (armel: for the static ARMv6 build, toolchain/armv6-static.cmake)
#   DIR   default ${SHOWGUARD_CACHE:-/var/cache/showguard}/sysroot-ARCH
# Prints DIR on stdout (everything else goes to stderr). Needs `dpkg --add-architecture ARCH`
# and an `apt-get update` done before (scripts/install-cross-deps.sh does both). Cached: a
# second run with the same package versions does nothing.
#
# Why it exists: the multiarch route (apt-get install libfoo-dev:ARCH) needs every
# Multi-Arch: same package at exactly the installed amd64 version. When the archive does not
# offer that version for ARCH (a security index for ARCH that failed to download is enough),
# the install is impossible, while a sysroot only needs a consistent set of ARCH packages.
set -euo pipefail

arch=${1:?usage: make-target-sysroot.sh ARCH [DIR]}
root=${2:-${SHOWGUARD_CACHE:-/var/cache/showguard}/sysroot-$arch}
say() { printf '[make-target-sysroot] %s\n' "$*" >&2; }

case "$arch" in
    arm64|armhf|armel) ;;
    *) echo "make-target-sysroot: unsupported architecture '$arch' (arm64, armhf, armel)" >&2; exit 64 ;;
esac
foreign=$(dpkg --print-foreign-architectures)
if ! grep -qx "$arch" <<<"$foreign"; then
    echo "make-target-sysroot: run 'dpkg --add-architecture $arch && apt-get update' first" >&2
    exit 69
fi

wanted=(libc6-dev libstdc++-12-dev libgpiod-dev libboost-program-options-dev libspdlog-dev
        libfmt-dev libgtest-dev)
# The static armel build has no etcd backend (a static binary cannot dlopen libcurl), so it
# needs no libcurl and none of the thirty libraries behind it.
[[ $arch == armel ]] || wanted+=(libcurl4-openssl-dev)
# Architecture: all packages the build needs inside the sysroot too (CMake searches only there).
wanted_all=(nlohmann-json3-dev)

# The dependency closure, restricted to packages of ARCH (Architecture: all packages such as
# googletest's sources are not needed to build against the libraries).
mapfile -t closure < <(
    apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
        --no-replaces --no-enhances "${wanted[@]/%/:$arch}" |
    grep -E "^[^ <].*:$arch\$" | sort -u)
(( ${#closure[@]} )) || { echo "make-target-sysroot: no $arch packages known; apt-get update?" >&2; exit 69; }
closure+=("${wanted_all[@]/%/:all}")

# Package=version list of the candidates: the cache key.
manifest=$(apt-cache show --no-all-versions "${closure[@]}" |
           awk '/^Package:/{p=$2} /^Version:/{print p "=" $2}' | sort -u)
if [[ -f "$root/.showguard-sysroot" ]] && [[ "$(cat "$root/.showguard-sysroot")" == "$manifest" ]]; then
    say "$root is up to date (${#closure[@]} packages)"
    touch "$root/.showguard-sysroot"   # checked against the current package lists
    echo "$root"
    exit 0
fi

debs="$root.debs"
mkdir -p "$debs"
say "downloading ${#closure[@]} $arch packages into $debs"
# apt-get download drops privileges to _apt where it can write the directory.
chown _apt "$debs" 2>/dev/null || true
(cd "$debs" && apt-get download -q "${closure[@]}" >&2)

staging="$root.new"
rm -rf "$staging"
mkdir -p "$staging"
for pkg in "${closure[@]}"; do
    name=${pkg%:*}
    version=$(awk -F= -v p="$name" '$1==p {print $2}' <<<"$manifest")
    deb=$(ls "$debs/${name}_${version//:/%3a}_${pkg##*:}.deb")
    dpkg -x "$deb" "$staging"
done

# Absolute symlinks would point back into the host; make them relative inside the sysroot.
while IFS= read -r -d '' link; do
    target=$(readlink "$link")
    ln -sfn "$(realpath -m --relative-to="$(dirname "$link")" "$staging$target")" "$link"
done < <(find "$staging" -type l -lname '/*' -print0)

printf '%s\n' "$manifest" >"$staging/.showguard-sysroot"
rm -rf "$root"
mv "$staging" "$root"
say "sysroot ready: $root ($(du -sh "$root" | cut -f1))"
echo "$root"
