#!/usr/bin/env bash
# Builds showguard against each libgpiod generation and runs led-tier.sh, the status
# LED's real-kernel test, and button-tier.sh, the show button's, in the gpio-sim VM for
# each build.
#
#   usage: run-led-tier.sh [--arch amd64|arm64] [--gpiod 1|2|both] [--build-root DIR]
#                          [--suite bookworm|trixie] [more run-vm.sh options]
#
# --gpiod 1     libgpiod 1.6 as installed (Debian 12's; :arm64 multiarch for arm64)
# --gpiod 2     libgpiod 2.x from the private prefix of scripts/install-libgpiod2.sh,
#               linked statically (its runtime is installed nowhere)
# --gpiod both  (default) one after the other; the run fails if either fails
# --suite       whose stock kernel the VM boots: bookworm's 6.1 (default) or trixie's 6.12
#               (amd64; gpio-sim built in a trixie root, see build-gpio-sim.sh)
# --build-root  where the build directories go (default: the source tree's
#               build-ktier-ARCH-gpiodN)
# --build-dir GEN=DIR  use the existing build DIR (configured for ARCH and libgpiod GEN.x,
#               e.g. 1=build, 2=build-gpiod2, 1=build-arm64) instead of building one;
#               its showguard is brought up to date under the build lock (repeatable)
# The guest gets libgpiod's gpioinfo and gpiomon and util-linux's flock for independent checks (the
# host's for amd64; the arm64 packages, unpacked into the cache, for arm64).
# Exit status: 0 if every run passed, else the first failing run's run-vm.sh status.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SOURCE_DIR="$(cd "$SCRIPT_DIR/../.." && pwd)"
# shellcheck source=host-common.sh
. "$SCRIPT_DIR/host-common.sh"

arch="$HOST_ARCH"
generations=(1 2)
build_root="$SOURCE_DIR"
suite=bookworm
vm_args=()
declare -A given_builds=()
while (($#)); do
    case "$1" in
        --arch) [[ $# -ge 2 ]] || die "--arch needs a value"; arch="$2"; shift 2 ;;
        --gpiod)
            [[ $# -ge 2 ]] || die "--gpiod needs 1, 2 or both"
            case "$2" in
                1 | 2) generations=("$2") ;;
                both) generations=(1 2) ;;
                *) die "--gpiod needs 1, 2 or both, not '$2'" ;;
            esac
            shift 2 ;;
        --build-root) [[ $# -ge 2 ]] || die "--build-root needs a directory"; build_root="$2"; shift 2 ;;
        --build-dir)
            [[ $# -ge 2 && "$2" == [12]=* ]] || die "--build-dir needs GEN=DIR (GEN 1 or 2)"
            given_builds[${2%%=*}]="${2#*=}"; shift 2 ;;
        --suite) [[ $# -ge 2 ]] || die "--suite needs a value"; suite="$2"; vm_args+=(--suite "$2"); shift 2 ;;
        -h | --help) sed -n '2,21p' "$0"; exit 0 ;;
        *) vm_args+=("$1"); shift ;;
    esac
done
triplet_of "$arch" >/dev/null
require_root

cmake_args=(-G Ninja -DSHOWGUARD_WARNINGS_AS_ERRORS=ON -DSHOWGUARD_BUILD_TESTS=OFF)
extra_args=()
if [[ "$arch" == "$HOST_ARCH" ]]; then
    apt_install gpiod util-linux cmake ninja-build g++
    extra_args+=(--extra /usr/bin/gpioinfo --extra /usr/bin/gpiomon --extra "$(command -v flock)")
else
    [[ "$arch" == arm64 ]] || die "cross builds are set up for arm64 only"
    command -v aarch64-linux-gnu-g++ >/dev/null ||
        die "no arm64 cross compiler: run scripts/install-cross-deps.sh first"
    cmake_args+=(--toolchain "$SOURCE_DIR/toolchain/aarch64-linux-gnu.cmake")
    tools="$(unpacked_packages arm64 gpiod libgpiod2 util-linux)"
    extra_args+=(--extra "$tools/usr/bin/gpioinfo" --extra "$tools/usr/bin/gpiomon" --extra "$tools/usr/bin/flock"
                 --lib-root "$tools")
fi

# build GENERATION: configures and builds (or brings a given build up to date); prints
# the binary.
build() {
    local gen="$1" dir="$build_root/build-ktier-$arch-gpiod$1"
    if [[ -n "${given_builds[$gen]:-}" ]]; then
        dir="${given_builds[$gen]}"
        [[ -f "$dir/CMakeCache.txt" ]] || die "--build-dir $gen=$dir: not a configured build"
        log "using $arch, libgpiod $gen.x, from $dir"
        # shellcheck source=../../scripts/build-lock.sh
        . "$SOURCE_DIR/scripts/build-lock.sh"
        with_build_lock "$dir" cmake --build "$dir" --target showguard >&2
        # The generation is what the binary links: 1.6 shared (libgpiod.so.2), 2.x static.
        local shared=0
        readelf -d "$dir/src/showguard" | grep -q 'NEEDED.*libgpiod\.so\.2' && shared=1
        if { [[ "$gen" == 1 ]] && ((!shared)); } || { [[ "$gen" == 2 ]] && ((shared)); }; then
            die "$dir/src/showguard is not a libgpiod $gen.x build"
        fi
        printf '%s\n' "$dir/src/showguard"
        return
    fi
    local -a env_args=() args=("${cmake_args[@]}")
    if [[ "$gen" == 2 ]]; then
        local pc
        pc="$(bash "$SOURCE_DIR/scripts/install-libgpiod2.sh" --arch "$arch" | sed -n 's/^PKG_CONFIG_PATH=//p' | tail -n1)"
        [[ -n "$pc" ]] || die "install-libgpiod2.sh printed no PKG_CONFIG_PATH"
        env_args=("PKG_CONFIG_PATH=$pc")
        args+=(-DSHOWGUARD_GPIOD_STATIC=ON)
    else
        env_args=("PKG_CONFIG_PATH=")
        args+=(-DSHOWGUARD_GPIOD_STATIC=OFF)
    fi
    log "building $arch, libgpiod $gen.x, in $dir"
    mkdir -p "$dir"
    env "${env_args[@]}" cmake -S "$SOURCE_DIR" -B "$dir" "${args[@]}" >"$dir/led-tier-configure.log" 2>&1 ||
        { cat "$dir/led-tier-configure.log" >&2; die "configuring $dir failed"; }
    grep -- '-- libgpiod' "$dir/led-tier-configure.log" | sed 's/^-- /  /' >&2 || true
    cmake --build "$dir" --target showguard >&2
    printf '%s\n' "$dir/src/showguard"
}

status=0
summary=()
for gen in "${generations[@]}"; do
    binary="$(build "$gen")"
    for tier in led-tier button-tier; do
        log "running $tier.sh for $arch, libgpiod $gen.x, $suite kernel"
        rc=0
        "$SCRIPT_DIR/run-vm.sh" --arch "$arch" --binary "$binary" --script "$SCRIPT_DIR/$tier.sh" \
            "${extra_args[@]}" --timeout 300 ${vm_args[@]+"${vm_args[@]}"} || rc=$?
        summary+=("$tier $arch libgpiod $gen.x, $suite kernel: $([[ $rc -eq 0 ]] && echo PASS || echo "FAIL ($rc)")")
        if ((rc != 0 && status == 0)); then status=$rc; fi
    done
done
for line in "${summary[@]}"; do log "$line"; done
exit "$status"
