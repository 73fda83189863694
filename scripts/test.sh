#!/usr/bin/env bash
# Installs what is needed, builds showguard and runs every test tier:
#
#   host      unit, integration and stress tests of the host build (libgpiod as installed, 1.6)
#   gpiod2    the same suite built against libgpiod 2.x (bookworm-backports, private prefix)
#   arm64     the Raspberry Pi 64-bit build, its tests run under qemu-aarch64
#   armhf     the Raspberry Pi 32-bit build, its tests run under qemu-arm
#   trixie    built from source in a Debian 13 root, unit and integration tests there (tests/release)
#   package   the release .deb of each architecture (libgpiod 2.x linked in), checked with lintian
#   release   those packages installed with apt into fresh Debian 12 and 13 roots and run there
#   kernel    real-kernel tier: gpio-sim under QEMU, amd64 and arm64 (tests/kernel)
#   systemd   real systemd in a VM with the .deb installed (tests/systemd)
#   extra     tiers other scripts add (sanitizers, fuzzing, chaos; scripts/test-*.sh)
#
# SHOWGUARD_TIERS="host arm64" runs only those. Each tier's log is in build-logs/.
# Prints one line per tier and, last, the total of tests passed and failed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tiers=${SHOWGUARD_TIERS:-"host gpiod2 arm64 armhf trixie package release kernel systemd extra"}
logs=$root/build-logs
mkdir -p "$logs"

passed=0
failed=0
results=()

# Adds up the test counts a tier's log reports: ctest's "N tests failed out of M"
# and the VM tiers' "N passed, M failed" lines.
count_tests() {
	local log=$1 p=0 f=0 line
	while IFS= read -r line; do
		if [[ $line =~ ([0-9]+)\ tests\ failed\ out\ of\ ([0-9]+) ]]; then
			f=$((f + BASH_REMATCH[1]))
			p=$((p + BASH_REMATCH[2] - BASH_REMATCH[1]))
		elif [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
			p=$((p + BASH_REMATCH[1]))
			f=$((f + BASH_REMATCH[2]))
		fi
	done <"$log"
	echo "$p $f"
}

run_tier() {
	local tier=$1 log=$logs/$1.log started rc counts
	started=$(date +%s)
	echo "=== tier $tier"
	set +e
	"tier_$tier" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	set -e
	read -r p f < <(count_tests "$log")
	# A tier that failed without a failing test still counts as one failure.
	if ((rc != 0 && f == 0)); then f=1; fi
	passed=$((passed + p))
	failed=$((failed + f))
	results+=("$(printf '%-8s %-6s %4d passed %3d failed %5ds' "$tier" "$([[ $rc == 0 ]] && echo ok || echo FAIL)" \
		"$p" "$f" $(($(date +%s) - started)))")
}

ctest_dir() {
	ctest --test-dir "$1" --output-on-failure -j2 "${@:2}"
}

tier_host() {
	local rc=0
	bash scripts/build.sh build -DCMAKE_INSTALL_PREFIX=/usr && ctest_dir build || rc=$?
	# The torture and chaos figures: ctest keeps a passing test's output in its log only.
	grep -h '^\(torture\|chaos\): ' build/Testing/Temporary/LastTest.log 2>/dev/null || true
	return $rc
}

tier_gpiod2() {
	local pc
	pc=$(bash scripts/install-libgpiod2.sh | sed -n 's/^PKG_CONFIG_PATH=//p')
	[[ -n $pc ]] || { echo "no libgpiod 2.x prefix"; return 1; }
	PKG_CONFIG_PATH=$pc bash scripts/build.sh build-gpiod2 -DSHOWGUARD_GPIOD_STATIC=ON &&
		ctest_dir build-gpiod2 -L unit
}

cross_tier() {
	local arch=$1 preset=$2 sysroot_args=()
	bash scripts/install-cross-deps.sh --arch "$arch" | tee "$logs/cross-deps-$arch.log"
	# install-cross-deps.sh names a sysroot when the multiarch packages cannot be had.
	local sysroot
	sysroot=$(sed -n 's/.*-DSHOWGUARD_SYSROOT=\([^ ]*\).*/\1/p' "$logs/cross-deps-$arch.log" | tail -n 1)
	[[ -n $sysroot ]] && sysroot_args=(-DSHOWGUARD_SYSROOT="$sysroot")
	# The release build: libgpiod 2.x linked in, so the package needs no libgpiod of the
	# release it is installed on (Debian 12 has libgpiod2, Debian 13 libgpiod3).
	local pc
	pc=$(bash scripts/install-libgpiod2.sh --arch "$arch" | sed -n 's/^PKG_CONFIG_PATH=//p')
	[[ -n $pc ]] || { echo "no libgpiod 2.x prefix for $arch"; return 1; }
	PKG_CONFIG_PATH=$pc cmake --preset "$preset" -DSHOWGUARD_GPIOD_STATIC=ON "${sysroot_args[@]}" &&
		cmake --build --preset "$preset" &&
		STRESS_SECONDS=10 STRESS_GUARDS=6 TORTURE_SECONDS=20 TORTURE_GUARDS=8 CHAOS_ITERATIONS=40 \
			ctest --preset "$preset"
}

tier_arm64() { cross_tier arm64 rpi-arm64; }
tier_armhf() { cross_tier armhf rpi-armhf; }

tier_trixie() {
	bash tests/release/build-from-source.sh trixie
}

# The release packages: one per architecture, from the builds with libgpiod 2.x linked in
# (gpiod2 for amd64, the cross tiers for the Pi), collected in build-release/packages for the
# release tier.
tier_package() {
	command -v lintian >/dev/null || apt-get install -y -q --no-install-recommends lintian
	local dir deb rc=0
	rm -rf build-release/packages
	mkdir -p build-release/packages
	for dir in build-gpiod2 build-arm64 build-armhf; do
		[[ -f $dir/CMakeCache.txt ]] || continue
		rm -rf "$dir/packages"
		(cd "$dir" && cpack -B packages) >/dev/null || { echo "cpack failed in $dir"; rc=1; continue; }
		for deb in "$dir"/packages/*.deb; do
			echo "--- $deb"
			dpkg-deb -f "$deb" Package Version Architecture Depends Recommends
			# lintian exits non-zero on errors; warnings are printed and allowed.
			if lintian --fail-on error "$deb"; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; rc=1; fi
			cp "$deb" build-release/packages/
		done
	done
	return $rc
}

# RELEASE_ARCHES="amd64" checks only those packages (default: every one the package tier made;
# arm64 and armhf roots run under qemu-user and take most of the tier's time).
tier_release() {
	local deb debs=()
	for deb in build-release/packages/*.deb; do
		[[ -e $deb ]] || continue
		[[ " ${RELEASE_ARCHES:-amd64 arm64 armhf} " == *" $(dpkg-deb -f "$deb" Architecture) "* ]] && debs+=("$deb")
	done
	((${#debs[@]})) || { echo "no packages in build-release/packages: run the package tier first"; return 1; }
	bash tests/release/install-packages.sh "${debs[@]}"
}

tier_kernel() {
	# libgpiod 1.6 and 2.x on amd64; the Pi's arm64 build (libgpiod 1.6, as Raspberry Pi OS
	# bookworm ships) on an arm64 kernel.
	bash tests/kernel/run-led-tier.sh --arch amd64 --gpiod both &&
		bash tests/kernel/run-led-tier.sh --arch arm64 --gpiod 1
}

tier_systemd() {
	if [[ -x tests/systemd/run-showguard-vm.sh ]]; then
		bash tests/systemd/run-showguard-vm.sh
	else
		echo "tests/systemd/run-showguard-vm.sh not present yet"
	fi
}

tier_extra() {
	local script rc=0
	for script in scripts/test-*.sh; do
		[[ -e $script ]] || continue
		echo "--- $script"
		bash "$script" || rc=1
	done
	return $rc
}

bash scripts/install-deps.sh
for tier in $tiers; do
	run_tier "$tier"
done

echo
echo "=== summary (logs in build-logs/)"
printf '%s\n' "${results[@]}"
echo "tests: $passed passed, $failed failed"
((failed == 0))
