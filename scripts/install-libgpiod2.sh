#!/usr/bin/env bash
# Put libgpiod 2.x (bookworm-backports) into a private prefix, next to the system's 1.6.3,
# without installing it and without changing the machine's apt configuration.
#
# Usage: scripts/install-libgpiod2.sh [--arch ARCH] [--refresh] [PREFIX]
#   ARCH    Debian architecture of the libraries (default: this machine's, e.g. amd64;
#           arm64/armhf need `dpkg --add-architecture` first, see install-cross-deps.sh)
#   PREFIX  default ${SHOWGUARD_CACHE:-/var/cache/showguard}/libgpiod2-ARCH
#   --refresh  look for a newer backports version even when the prefix is complete
#
# Prints the PKG_CONFIG_PATH to use as its last line on stdout, e.g.
#   PKG_CONFIG_PATH=/var/cache/showguard/libgpiod2-amd64/lib/x86_64-linux-gnu/pkgconfig
# Configure with that in the environment and -DSHOWGUARD_GPIOD_STATIC=ON (cmake/Gpiod.cmake):
# the runtime package libgpiod3 is not installed, so the static .a files are what to link.
#
# How: apt runs with a private configuration (a one-suite source list whose URIs: line is
# copied at run time from the machine's own debian.sources, private lists and archives
# directories, all in a scratch directory deleted on exit) to download libgpiod-dev and the
# runtime package(s) (libgpiod3, which in 2.1.3 also carries libgpiodcxx.so.2) at an exact
# version; dpkg -x unpacks them; prefix= in the .pc files is rewritten. Nothing under /etc/apt
# changes, so the machine never starts preferring backports for other packages.
# Cached: a complete prefix is reused without any network access.
set -euo pipefail

arch=$(dpkg --print-architecture)
refresh=0
prefix=
while (( $# )); do
    case "$1" in
        --arch) shift; arch=${1:?--arch needs a value} ;;
        --arch=*) arch=${1#--arch=} ;;
        --refresh) refresh=1 ;;
        -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
        -*) echo "usage: $0 [--arch ARCH] [--refresh] [PREFIX]" >&2; exit 64 ;;
        *) prefix=$1 ;;
    esac
    shift
done
cache=${SHOWGUARD_CACHE:-/var/cache/showguard}
prefix=${prefix:-$cache/libgpiod2-$arch}
prefix=$(realpath -m "$prefix")

say() { printf '[install-libgpiod2] %s\n' "$*" >&2; }

case "$arch" in
    amd64) triplet=x86_64-linux-gnu ;;
    arm64) triplet=aarch64-linux-gnu ;;
    armhf) triplet=arm-linux-gnueabihf ;;
    *) triplet=$(dpkg-architecture -qDEB_HOST_MULTIARCH -a"$arch" 2>/dev/null) || {
           echo "install-libgpiod2: unknown architecture '$arch'" >&2; exit 64; } ;;
esac
pcdir="$prefix/lib/$triplet/pkgconfig"
stamp="$prefix/.showguard-libgpiod2"

prefix_ok() {
    [[ -f "$stamp" && -f "$pcdir/libgpiodcxx.pc" && -f "$prefix/lib/$triplet/libgpiodcxx.a" ]] &&
    [[ "$(PKG_CONFIG_PATH="$pcdir" PKG_CONFIG_LIBDIR="$pcdir" pkg-config --modversion libgpiodcxx)" == 2.* ]]
}

if (( ! refresh )) && prefix_ok; then
    say "cached: $prefix has libgpiod $(cat "$stamp") for $arch"
    echo "PKG_CONFIG_PATH=$pcdir"
    exit 0
fi

# --- private apt configuration ---------------------------------------------------------------
# shellcheck source=/dev/null
. /etc/os-release
codename=${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}
suite="$codename-backports"

# The archive's address, copied from this machine's own configuration.
uri=$("$(dirname "${BASH_SOURCE[0]}")/debian-archive.sh")

keyring=/usr/share/keyrings/debian-archive-keyring.gpg
# Everything apt needs for this lives in a scratch directory removed on exit; the unpacked
# prefix is the cache.
mkdir -p "$(dirname "$prefix")"
apt_root=$(mktemp -d "$(dirname "$prefix")/.libgpiod2-apt.XXXXXX")
staging=
trap 'rm -rf "$apt_root" ${staging:+"$staging"}' EXIT
mkdir -p "$apt_root/lists/partial" "$apt_root/archives/partial" "$apt_root/debs" "$apt_root/empty"
cat >"$apt_root/$suite.sources" <<EOF
Types: deb
URIs: $uri
Suites: $suite
Components: main
Signed-By: $keyring
EOF
apt_opts=(
    -o "Dir::Etc::SourceList=$apt_root/$suite.sources"
    -o "Dir::Etc::SourceParts=$apt_root/empty"
    -o "Dir::Etc::Preferences=$apt_root/empty/preferences"
    -o "Dir::Etc::PreferencesParts=$apt_root/empty"
    -o "Dir::State::Lists=$apt_root/lists"
    -o "Dir::Cache::Archives=$apt_root/archives"
    # No shared binary cache: it would be rebuilt from these lists and the system's apt would
    # have to rebuild it again.
    -o "Dir::Cache::pkgcache="
    -o "Dir::Cache::srcpkgcache="
    -o "APT::Architectures::=$arch"
)
chmod 755 "$apt_root"
chown -R _apt "$apt_root/lists" "$apt_root/debs" 2>/dev/null || true

say "indexing $suite ($arch) with a private apt configuration"
apt-get "${apt_opts[@]}" update -q >&2

# The binary packages of source libgpiod in the suite: the dev package, the C runtime and the
# C++ binding runtime(s). Their exact version pins the download to the backports build.
version=$(apt-cache "${apt_opts[@]}" show "libgpiod-dev:$arch" 2>/dev/null |
          awk '/^Version:/ { print $2 }' | sort -V | tail -n1)
[[ "$version" == 2.* ]] || { echo "install-libgpiod2: $suite has no libgpiod-dev 2.x (found '${version:-none}')" >&2; exit 69; }
mapfile -t packages < <(
    apt-cache "${apt_opts[@]}" dumpavail 2>/dev/null |
    awk -v v="$version" -v a="$arch" 'BEGIN { RS = ""; FS = "\n" }
        {
            p = ""; ver = ""; ar = ""
            for (i = 1; i <= NF; i++) {
                if ($i ~ /^Package: /) p = substr($i, 10)
                if ($i ~ /^Version: /) ver = substr($i, 10)
                if ($i ~ /^Architecture: /) ar = substr($i, 15)
            }
            if (ver == v && ar == a && (p == "libgpiod-dev" || p ~ /^libgpiod[0-9]+$/ || p ~ /^libgpiodcxx[0-9]*$/))
                print p
        }' | sort -u)
(( ${#packages[@]} )) || { echo "install-libgpiod2: no libgpiod $version packages for $arch" >&2; exit 69; }
say "libgpiod $version: ${packages[*]}"

( cd "$apt_root/debs" &&
  apt-get "${apt_opts[@]}" download -q "${packages[@]/%/:$arch=$version}" >&2 )

# --- the prefix ----------------------------------------------------------------------------
staging=$(mktemp -d "$(dirname "$prefix")/.libgpiod2.XXXXXX")
for pkg in "${packages[@]}"; do
    dpkg -x "$apt_root/debs/${pkg}_${version//:/%3a}_$arch.deb" "$staging/root"
done
mkdir -p "$staging/prefix"
# usr/include, usr/lib/<triplet> -> PREFIX/include, PREFIX/lib/<triplet>
cp -a "$staging/root/usr/." "$staging/prefix/"
rm -rf "$staging/prefix/share/doc" "$staging/prefix/share/lintian"

# Without this, pkg-config reports prefix=/usr: -I/usr/include -L/usr/lib/<triplet>, which
# compiles against the 1.6.3 headers and links the 1.6.3 library while saying 2.x.
for pc in "$staging/prefix/lib/$triplet/pkgconfig/"*.pc; do
    sed -i "s|^prefix=.*|prefix=$prefix|" "$pc"
    if grep -qE '^(libdir|includedir)=/usr' "$pc"; then
        sed -i -E "s#^(libdir|includedir)=/usr#\1=\${prefix}#" "$pc"
    fi
done
# Absolute symlinks (none expected) would point back at the system's files.
while IFS= read -r -d '' link; do
    target=$(readlink "$link")
    ln -sfn "$(realpath -m --relative-to="$(dirname "$link")" "$staging/prefix/${target#/usr/}")" "$link"
done < <(find "$staging/prefix" -type l -lname '/*' -print0)

echo "$version" >"$staging/prefix/.showguard-libgpiod2"
rm -rf "$prefix"
mkdir -p "$(dirname "$prefix")"
mv "$staging/prefix" "$prefix"

prefix_ok || { echo "install-libgpiod2: $prefix is incomplete after unpacking" >&2; exit 70; }
say "ready: $prefix (libgpiodcxx $(PKG_CONFIG_PATH="$pcdir" pkg-config --modversion libgpiodcxx); static: $(cd "$prefix/lib/$triplet" && echo *.a))"
echo "PKG_CONFIG_PATH=$pcdir"
