#!/usr/bin/env bash
# Installs what is needed, builds showguard and runs every test tier:
#
#   host      unit, integration and stress tests of the host build (libgpiod as installed, 1.6)
#   gpiod2    the same suite built against libgpiod 2.x (bookworm-backports, private prefix)
#   arm64     the Raspberry Pi 64-bit build, its tests run under qemu-aarch64
#   armhf     the Raspberry Pi 32-bit ARMv7 build, its tests run under qemu-arm
#   armv6     the static 32-bit build for every Pi (the armhf package): its tests under
#             qemu-arm -cpu arm1176 (Pi 1/Zero) and -cpu cortex-a7
#   package   the .deb of each build, checked with lintian
#   kernel    real-kernel tier: gpio-sim under QEMU, amd64 and arm64 (tests/kernel)
#   systemd   real systemd in a VM with the .deb installed (tests/systemd)
#   extra     tiers other scripts add (sanitizers, fuzzing, chaos; scripts/test-*.sh)
#
# SHOWGUARD_TIERS="host arm64" runs only those. Each tier's log is in build-logs/.
# Prints one line per tier and, last, the total of tests passed and failed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tiers=${SHOWGUARD_TIERS:-"host gpiod2 arm64 armhf armv6 package kernel systemd extra"}
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
	cmake --preset "$preset" "${sysroot_args[@]}" && cmake --build --preset "$preset" &&
		STRESS_SECONDS=10 STRESS_GUARDS=6 TORTURE_SECONDS=20 TORTURE_GUARDS=8 CHAOS_ITERATIONS=40 \
			ctest --preset "$preset"
}

tier_arm64() { cross_tier arm64 rpi-arm64; }
tier_armhf() { cross_tier armhf rpi-armhf; }

# The static ARMv6 build (toolchain/armv6-static.cmake). qemu-arm -cpu arm1176 is the Pi 1 /
# Zero CPU and raises SIGILL on any instruction ARMv6 lacks, so every test that runs there is
# also the check that the binary has none; a canary built for ARMv7 must die there. The whole
# suite runs under arm1176 (as cross_tier does); the unit and integration tests again under
# cortex-a7 (ARMv7, the Pi 2 and every later core in AArch32), reconfigured, not rebuilt.
tier_armv6() {
	local dir=build-armv6 canary rc=0 out
	cross_tier armel rpi-armv6 || rc=$?
	[[ -x $dir/src/showguard ]] || return 1
	file "$dir/src/showguard" | grep -q 'statically linked' || { echo "$dir/src/showguard is not static"; rc=1; }

	canary=$(mktemp -d)
	printf '%s\n' 'int main(void) { unsigned r; __asm__ volatile("movw %0, #0x1234" : "=r"(r)); return r != 0x1234; }' \
		>"$canary/movw.c"
	if arm-linux-gnueabi-gcc -march=armv7-a -marm -static -o "$canary/movw" "$canary/movw.c"; then
		local v6=0 v7=0
		qemu-arm -cpu arm1176 "$canary/movw" 2>/dev/null || v6=$?
		qemu-arm -cpu cortex-a7 "$canary/movw" || v7=$?
		# qemu-user dies of the SIGILL it reports: 132 is 128 + SIGILL.
		if ((v6 == 132 && v7 == 0)); then
			echo "canary: an ARMv7 instruction dies under arm1176 (132), runs under cortex-a7"
			echo "1 passed, 0 failed"
		else
			echo "canary: arm1176 gave $v6 (want 132), cortex-a7 gave $v7 (want 0)"
			echo "0 passed, 1 failed"
			rc=1
		fi
	else
		echo "0 passed, 1 failed"
		rc=1
	fi

	# The issue's own check: a show runs under the ARMv6 CPU (the show itself is a host program).
	out=$canary/ran
	if qemu-arm -cpu arm1176 "$dir/src/showguard" --show starcourt --led term --lock-dir "$canary/locks" -- \
		/bin/sh -c "echo \$SHOWGUARD_SHOW >$out" && [[ $(cat "$out") == starcourt ]]; then
		echo "arm1176: showguard --show starcourt --led term ran its show"
		echo "1 passed, 0 failed"
	else
		echo "0 passed, 1 failed"
		rc=1
	fi
	rm -rf "$canary"

	# The emulator is baked into the tests when CMake configures them, and into the unit tests'
	# list when gtest_discover_tests runs them after linking: reconfigure and relink that one.
	set_cpu() {
		cmake "$dir" -DSHOWGUARD_QEMU_CPU="$1" >/dev/null && rm -f "$dir/tests/unit/showguard_unit_tests" &&
			cmake --build "$dir" -j2 >/dev/null
	}
	echo "--- the unit and integration tests again under qemu-arm -cpu cortex-a7"
	set_cpu cortex-a7 && ctest_dir "$dir" -L 'unit|integration' -LE stress || rc=$?
	set_cpu arm1176 || rc=$?
	return $rc
}

tier_package() {
	command -v lintian >/dev/null || apt-get install -y -q --no-install-recommends lintian
	local dir deb rc=0
	# The armhf package is the static ARMv6 build (build-armv6), not the ARMv7 build-armhf.
	for dir in build build-arm64 build-armv6; do
		[[ -f $dir/CMakeCache.txt ]] || continue
		rm -rf "$dir/packages"
		(cd "$dir" && cpack -B packages) >/dev/null || { echo "cpack failed in $dir"; rc=1; continue; }
		for deb in "$dir"/packages/*.deb; do
			echo "--- $deb"
			dpkg-deb -f "$deb" Package Version Architecture Depends
			# lintian exits non-zero on errors; warnings are printed and allowed.
			if lintian --fail-on error "$deb"; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; rc=1; fi
		done
	done
	return $rc
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
