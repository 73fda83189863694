#!/usr/bin/env bash
# Run smoke.sh in the kernel-tier VM with Debian's gpiod 1.6 tools as the programs under
# test: the host's own for amd64, the arm64 packages unpacked into the cache for arm64
# (which exercises --lib-root and the cross library resolution).
#   usage: run-smoke.sh --arch amd64|arm64 [more run-vm.sh options]
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=host-common.sh
. "$SCRIPT_DIR/host-common.sh"

arch=""
args=()
while (($#)); do
    case "$1" in
        --arch) [[ $# -ge 2 ]] || die "--arch needs a value"; arch="$2"; shift 2 ;;
        *) args+=("$1"); shift ;;
    esac
done
[[ -n "$arch" ]] || die "usage: ${0##*/} --arch amd64|arm64 [run-vm.sh options]"
triplet_of "$arch" >/dev/null
require_root

tools=(gpioset gpioget gpiodetect gpioinfo gpiofind)
if [[ "$arch" == "$HOST_ARCH" ]]; then
    apt_install gpiod
    bindir=/usr/bin
    lib_args=()
else
    pkgroot="$(unpacked_packages "$arch" gpiod libgpiod2)"
    bindir="$pkgroot/usr/bin"
    lib_args=(--lib-root "$pkgroot")
fi

extra_args=()
for t in "${tools[@]:1}"; do
    extra_args+=(--extra "$bindir/$t")
done
exec "$SCRIPT_DIR/run-vm.sh" --arch "$arch" --binary "$bindir/${tools[0]}" \
    ${lib_args[@]+"${lib_args[@]}"} "${extra_args[@]}" --script "$SCRIPT_DIR/smoke.sh" \
    ${args[@]+"${args[@]}"}
