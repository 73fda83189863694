#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# showguard's benchmarks, one command: installs the tools it needs from Debian
# (hyperfine, valgrind, perf, strace), builds what it measures, runs every
# section next to its reference and prints a Markdown report (also written to
# build-bench/results/report.md, raw data in results.json) and, last,
# "N passed, M failed" for the harness's own sanity checks.
#
#   bash bench/run.sh            the full run (about 5 minutes; the figures in bench/README.md)
#   bash bench/run.sh --quick    a smoke run of every section (under a minute; CI)
#
# Environment:
#   SHOWGUARD=PATH        the binary to measure (default: build/src/showguard if built, else
#                         build-bench/src/showguard, built here as the host preset builds it)
#   SHOWGUARD_COMPARE="LABEL=PATH ..."   more binaries timed next to it (start-to-exit)
#   BENCH_SECTIONS=start,handover,idle,status,sizes   a subset
#
# The full run also builds the Raspberry Pi binaries for their sizes when the
# cross compilers are installed (scripts/install-cross-deps.sh); a build that
# is not there is reported as skipped, never a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

quick=0
for arg in "$@"; do
	case $arg in
	--quick) quick=1 ;;
	-h | --help) sed -n '3,21p' "$0"; exit 0 ;;
	*) echo "usage: bench/run.sh [--quick]" >&2; exit 64 ;;
	esac
done

say() { printf '[bench] %s\n' "$*" >&2; }

# The tools, from Debian (command -> package).
declare -A tools=([hyperfine]=hyperfine [valgrind]=valgrind [perf]=linux-perf [strace]=strace
	[flock]=util-linux [python3]=python3 [gcc]=gcc [cmake]=cmake [ninja]=ninja-build)
missing=()
for tool in "${!tools[@]}"; do
	command -v "$tool" >/dev/null || missing+=("${tools[$tool]}")
done
if ((${#missing[@]})); then
	say "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 "${missing[@]}" >&2 ||
		{ apt-get update -q >&2 || true; apt-get install -y -q --no-install-recommends \
			-o DPkg::Lock::Timeout=600 "${missing[@]}" >&2; }
fi

out=$root/build-bench/results
mkdir -p "$out"

# What is measured: the host build as the package ships it (the host preset's
# RelWithDebInfo, stripped for the size).
build_host() {
	say "building showguard into build-bench/ (host preset settings, no tests)"
	nice cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
		-DSHOWGUARD_BUILD_TESTS=OFF >&2
	nice cmake --build build-bench -j2 --target showguard >&2
}
showguard=${SHOWGUARD:-}
if [[ -z $showguard ]]; then
	if [[ -x build/src/showguard ]]; then
		showguard=$root/build/src/showguard
	else
		build_host
		showguard=$root/build-bench/src/showguard
	fi
fi
[[ -x $showguard ]] || { echo "bench: no showguard binary at $showguard" >&2; exit 1; }

# The hand-over's show: a static C program, so that its own start is as cheap as can be.
stamp=$root/build-bench/stamp
if [[ ! -x $stamp || bench/stamp.c -nt $stamp ]]; then
	gcc -O2 -static -Wall -Wextra -o "$stamp" bench/stamp.c
fi

# The Pi builds, for their sizes: built (showguard only) by the full run if the
# cross compilers are there, measured if present.
builds=("--build" "host (amd64)=$showguard")
for pair in "arm64 rpi-arm64 aarch64-linux-gnu" "armhf rpi-armhf arm-linux-gnueabihf"; do
	read -r arch preset triplet <<<"$pair"
	binary=$root/build-$arch/src/showguard
	if ((!quick)) && [[ ${BENCH_SECTIONS:-sizes} == *sizes* && ! -x $binary ]] && command -v "$triplet-g++" >/dev/null; then
		say "building the $arch binary (cmake --preset $preset)"
		{ nice cmake --preset "$preset" >&2 && nice cmake --build --preset "$preset" -j2 --target showguard >&2; } ||
			say "$arch: the cross build failed; its size row is skipped"
	fi
	[[ -x $binary ]] || say "$arch: no $binary (cmake --preset $preset && cmake --build --preset $preset); size row skipped"
	builds+=("--build" "$arch=$binary=$triplet-")
done

compare=()
for c in ${SHOWGUARD_COMPARE:-}; do compare+=("--compare" "$c"); done
args=(--showguard "$showguard" --stamp "$stamp" --out "$out" "${builds[@]}" "${compare[@]}")
((quick)) && args+=(--quick)
[[ -n ${BENCH_SECTIONS:-} ]] && args+=(--sections "$BENCH_SECTIONS")
exec python3 bench/showguard_bench.py "${args[@]}"
