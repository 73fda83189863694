#!/usr/bin/env bash
# Installs what is needed, builds showguard and runs every test tier:
#
#   host      unit, integration and stress tests of the host build (libgpiod as installed, 1.6)
#   gpiod2    the unit tests built against libgpiod 2.x (bookworm-backports, private prefix);
#             the kernel tier runs this build's guard against a real gpio-sim line
#   arm64     the README's `cmake --workflow --preset rpi-arm64`: build, tests under qemu-aarch64, .deb
#   armhf     `cmake --workflow --preset rpi-armhf`: the 32-bit ARMv7 build (not a release
#             package; not in the default list)
#   armv6     `cmake --workflow --preset rpi-armv6`: the static 32-bit build for every Pi (the
#             armhf package), its tests under qemu-arm -cpu arm1176 (Pi 1/Zero) and -cpu cortex-a7
#   trixie    built from source in a Debian 13 root, unit and integration tests there (tests/release)
#   package   the release .deb of each architecture (libgpiod 2.x linked in), checked with lintian
#   release   those packages installed with apt into fresh Debian 12 and 13 roots and run there
#             (RELEASE_ARCHES, default amd64: the arm64 and armhf roots run under qemu-user)
#   kernel    real-kernel tier: gpio-sim under QEMU, amd64 and arm64 on bookworm's 6.1, and the
#             libgpiod 2.x build on trixie's 6.12 (tests/kernel)
#   systemd   real systemd in a VM with the .deb installed with apt, bookworm (systemd 252, the
#             host build's package) and trixie (systemd 257, the release package) (tests/systemd)
#   extra     tiers other scripts add (sanitizers, fuzzing, chaos; scripts/test-*.sh)
#
# SHOWGUARD_TIERS="host arm64" runs only those. Each tier's log is in build-logs/.
#
# A tier is a function tier_NAME; it may have a prepare_NAME that fetches packages and
# VM roots and compiles its builds ahead of time. The prepare functions of the chosen
# tiers run one after another in the background, from the start, at idle CPU priority
# (SCHED_IDLE: they get only what the running tier leaves unused, so timing tests are not
# squeezed), logging to build-logs/prepare.log. A build directory is locked while it is
# built (with_build_lock), so a tier that reaches its build first builds it itself and
# the background finds it done, or the tier waits for the background's build to finish.
#
# Prints per tier its result, the tests passed, failed and skipped (skips with their
# reasons) and its time, and last the total: "tests: N passed, M failed, K skipped".
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tiers=${SHOWGUARD_TIERS:-"host gpiod2 arm64 armv6 trixie package release kernel systemd extra"}
logs=$root/build-logs
mkdir -p "$logs"
# shellcheck source=build-lock.sh
. scripts/build-lock.sh

passed=0
failed=0
skipped=0
results=()

# Adds up the "tally: LABEL: N passed, M failed, K skipped" lines of a tier's log
# (scripts/ctest-tally.py after each ctest run, tally_filter for other scripts).
count_tests() {
	local log=$1 p=0 f=0 s=0 line
	while IFS= read -r line; do
		if [[ $line =~ ^tally:\ .*:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped ]]; then
			p=$((p + BASH_REMATCH[1]))
			f=$((f + BASH_REMATCH[2]))
			s=$((s + BASH_REMATCH[3]))
		fi
	done <"$log"
	echo "$p $f $s"
}

# Passes a script's output through and ends it with a tally line of its "N passed,
# M failed" lines, unless the script printed tally lines of its own.
tally_filter() {
	awk -v label="$1" '
		{ print; fflush() }
		/^tally: / { own = 1 }
		/^[0-9]+ passed, [0-9]+ failed/ { p += $1; f += $3; if ($6 ~ /^skipped/) s += $5 }
		END { if (!own) printf "tally: %s: %d passed, %d failed, %d skipped\n", label, p, f, s }'
}

# The individual tests of a build's last ctest run (scripts/ctest-tally.py).
tally() {
	python3 scripts/ctest-tally.py "$@"
}

run_tier() {
	local tier=$1 log=$logs/$1.log started rc p f s reasons
	started=$(date +%s)
	echo "=== tier $tier"
	set +e
	"tier_$tier" 2>&1 | tally_filter "$tier" | tee "$log"
	rc=${PIPESTATUS[0]}
	set -e
	read -r p f s < <(count_tests "$log")
	# A tier that failed without a failing test still counts as one failure, and
	# a tier that ran no test at all (a missing script or tool) fails.
	if ((rc == 0 && p == 0 && f == 0)); then
		echo "tier $tier ran no test" | tee -a "$log"
		rc=1
	fi
	if ((rc != 0 && f == 0)); then f=1; fi
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	local took=$(($(date +%s) - started))
	results+=("$(printf '%-8s %-4s %5d passed %3d failed %4d skipped %3dm%02ds' "$tier" \
		"$([[ $rc == 0 ]] && echo ok || echo FAIL)" "$p" "$f" "$s" $((took / 60)) $((took % 60)))")
	# Skips by reason, so that nothing is skipped unseen.
	reasons=$(sed -n 's/^skipped: [^:]*: [^:]*: //p' "$log" | sort | uniq -c | sort -rn || true)
	[[ -z $reasons ]] || results+=("$(sed 's/^ *\([0-9]*\) /         skipped (x\1): /' <<<"$reasons")")
	# Which tests failed and why (ctest-tally.py's lines), at the end where it is seen.
	local why
	why=$(grep -A2 '^failed: ' "$log" | grep -v '^--$' | sed 's/^/         /' | head -n 30 || true)
	[[ $rc == 0 || -z $why ]] || results+=("$why")
}

ctest_dir() {
	ctest --test-dir "$1" --output-on-failure -j2 "${@:2}"
}

# --- builds, shared by the tiers and the background preparation ---------------

build_host() {
	with_build_lock build bash scripts/build.sh build -DCMAKE_INSTALL_PREFIX=/usr
}

gpiod2_prefix() {
	bash scripts/install-libgpiod2.sh | sed -n 's/^PKG_CONFIG_PATH=//p' | tail -n 1
}

build_gpiod2() {
	local pc
	pc=$(gpiod2_prefix)
	[[ -n $pc ]] || { echo "no libgpiod 2.x prefix"; return 1; }
	PKG_CONFIG_PATH=$pc with_build_lock build-gpiod2 bash scripts/build.sh build-gpiod2 -DSHOWGUARD_GPIOD_STATIC=ON
}

cross_deps() {
	local arch=$1
	bash scripts/install-cross-deps.sh --arch "$arch" >"$logs/cross-deps-$arch.log" 2>&1 ||
		{ cat "$logs/cross-deps-$arch.log"; return 1; }
}

# The configure step of the README's workflow, with the fallback sysroot that
# install-cross-deps.sh names when the multiarch packages cannot be had.
configure_cross() {
	local arch=$1 preset=$2 sysroot args=()
	sysroot=$(sed -n 's/.*-DSHOWGUARD_SYSROOT=\([^ ]*\).*/\1/p' "$logs/cross-deps-$arch.log" | tail -n 1)
	[[ -z $sysroot ]] || args=(-DSHOWGUARD_SYSROOT="$sysroot")
	cmake --preset "$preset" "${args[@]}" >/dev/null && cmake --build --preset "$preset"
}

build_cross() {
	local arch=$1 preset=$2 dir=${3:-build-$1}
	cross_deps "$arch" && with_build_lock "$dir" configure_cross "$arch" "$preset"
}

# --- tiers ----------------------------------------------------------------------

prepare_host() { build_host; }
tier_host() {
	local rc=0
	build_host && ctest_dir build || rc=$?
	tally build host
	# The torture and chaos figures: ctest keeps a passing test's output in its log only.
	grep -h '^\(torture\|chaos\): ' build/Testing/Temporary/LastTest.log 2>/dev/null || true
	return $rc
}

prepare_gpiod2() { build_gpiod2; }
tier_gpiod2() {
	local rc=0
	build_gpiod2 && ctest_dir build-gpiod2 -L unit || rc=$?
	tally build-gpiod2 gpiod2
	return $rc
}

# The README's "Building for a Raspberry Pi", word for word: the workflow preset
# configures, builds, tests under qemu-user and packages. Its test preset sets the
# CI lengths of stress, torture and chaos (CMakePresets.json); the long run is
# rpi-arm64-long. The fallback sysroot, if any, was configured in by build_cross.
cross_tier() {
	local arch=$1 preset=$2 dir=${3:-build-$1} rc=0
	build_cross "$arch" "$preset" "$dir" || return 1
	with_build_lock "$dir" cmake --workflow --preset "$preset" || rc=$?
	tally "$dir" "$preset"
	ls "$dir"/packages/*.deb 2>/dev/null || { echo "no .deb in $dir/packages"; rc=1; }
	return $rc
}

prepare_arm64() { build_cross arm64 rpi-arm64; }
tier_arm64() { cross_tier arm64 rpi-arm64; }
prepare_armhf() { build_cross armhf rpi-armhf; }
tier_armhf() { cross_tier armhf rpi-armhf; }

# The static ARMv6 build (toolchain/armv6-static.cmake). qemu-arm -cpu arm1176 is the Pi 1 /
# Zero CPU and raises SIGILL on any instruction ARMv6 lacks, so every test that runs there is
# also the check that the binary has none; a canary built for ARMv7 must die there. The whole
# suite runs under arm1176 (as cross_tier does); the unit and integration tests again under
# cortex-a7 (ARMv7, the Pi 2 and every later core in AArch32), reconfigured, not rebuilt.
prepare_armv6() { build_cross armel rpi-armv6 build-armv6; }
tier_armv6() {
	local dir=build-armv6 canary rc=0 out
	cross_tier armel rpi-armv6 "$dir" || rc=$?
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
	tally "$dir" "armv6 cortex-a7"
	set_cpu arm1176 || rc=$?
	return $rc
}

# The Debian 13 root with its build dependencies is made ahead (cached as a tarball);
# the lock keeps the tier and the background from making it twice.
prepare_trixie() { with_build_lock build-trixie-root bash tests/release/build-from-source.sh --prepare trixie; }
tier_trixie() {
	with_build_lock build-trixie-root bash tests/release/build-from-source.sh trixie
}

# The release packages: one per architecture, from the builds that link libgpiod 2.x in
# (gpiod2 for amd64, arm64) or are fully static (the armhf package is the ARMv6 build-armv6,
# not the ARMv7 build-armhf), collected in build-release/packages for the release tier.
tier_package() {
	command -v lintian >/dev/null || apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 lintian
	local dir deb rc=0 p=0 f=0
	rm -rf build-release/packages
	mkdir -p build-release/packages
	for dir in build-gpiod2 build-arm64 build-armv6; do
		[[ -f $dir/CMakeCache.txt ]] || continue
		rm -rf "$dir/packages"
		(cd "$dir" && cpack -B packages) >/dev/null || { echo "cpack failed in $dir"; rc=1; f=$((f + 1)); continue; }
		for deb in "$dir"/packages/*.deb; do
			echo "--- $deb"
			dpkg-deb -f "$deb" Package Version Architecture Depends Recommends
			# lintian exits non-zero on errors; warnings are printed and allowed.
			if lintian --fail-on error "$deb"; then p=$((p + 1)); else f=$((f + 1)); rc=1; fi
			cp "$deb" build-release/packages/
		done
	done
	echo "tally: package: $p passed, $f failed, 0 skipped"
	return $rc
}

# RELEASE_ARCHES="amd64 arm64 armhf" checks those packages (default amd64: the arm64 and armhf
# roots run under qemu-user, debootstrap included, and take 15-25 minutes more).
tier_release() {
	local deb debs=()
	for deb in build-release/packages/*.deb; do
		[[ -e $deb ]] || continue
		[[ " ${RELEASE_ARCHES:-amd64} " == *" $(dpkg-deb -f "$deb" Architecture) "* ]] && debs+=("$deb")
	done
	((${#debs[@]})) || { echo "no packages in build-release/packages: run the package tier first"; return 1; }
	bash tests/release/install-packages.sh "${debs[@]}"
}

# The kernel tier's guards are the builds the other tiers made (the host build,
# the gpiod2 build, the Pi's arm64 build as the package ships it); it builds one
# itself only where that tier did not run.
kernel_builds() {
	local arch=$1 gen dir args=()
	for gen in 1 2; do
		case $arch-$gen in
		amd64-1) dir=build ;;
		amd64-2) dir=build-gpiod2 ;;
		arm64-2) dir=build-arm64 ;;
		*) continue ;;
		esac
		[[ -f $dir/CMakeCache.txt ]] && args+=(--build-dir "$gen=$root/$dir")
	done
	echo "${args[@]}"
}

prepare_kernel() {
	bash tests/kernel/build-gpio-sim.sh --arch amd64 >/dev/null
	# Also makes the trixie VM root the systemd tier boots (its kernel, its apt).
	bash tests/kernel/build-gpio-sim.sh --arch amd64 --suite trixie >/dev/null
	command -v aarch64-linux-gnu-gcc >/dev/null || cross_deps arm64
	bash tests/kernel/build-gpio-sim.sh --arch arm64 >/dev/null
}
tier_kernel() {
	# libgpiod 1.6 and 2.x on amd64; the Pi's arm64 build (libgpiod 2.x linked in, as the
	# release package ships it) on an arm64 kernel.
	# The libgpiod 2.x build (what the amd64 release package ships) on trixie's 6.12 too.
	local amd64 arm64 rc=0
	read -ra amd64 <<<"$(kernel_builds amd64)"
	read -ra arm64 <<<"$(kernel_builds arm64)"
	bash tests/kernel/run-led-tier.sh --arch amd64 --gpiod both "${amd64[@]}" || rc=1
	bash tests/kernel/run-led-tier.sh --arch amd64 --gpiod 2 --suite trixie "${amd64[@]}" || rc=1
	bash tests/kernel/run-led-tier.sh --arch arm64 --gpiod 2 "${arm64[@]}" || rc=1
	return $rc
}

# The amd64 release package: the package tier's, or made from the gpiod2 build the same way.
release_amd64_deb() {
	local deb
	deb=$(ls build-release/packages/showguard_*_amd64.deb 2>/dev/null | tail -n 1 || true)
	if [[ -z $deb ]]; then
		build_gpiod2 >&2 || return 1
		rm -rf build-gpiod2/packages
		(cd build-gpiod2 && cpack -B packages) >/dev/null || return 1
		deb=$(ls build-gpiod2/packages/showguard_*_amd64.deb) || return 1
	fi
	echo "$deb"
}

prepare_systemd() {
	bash tests/systemd/build-rootfs.sh >/dev/null
	bash tests/kernel/build-gpio-sim.sh --arch amd64 --suite trixie >/dev/null
}
tier_systemd() {
	# A missing tier script is a failure, never a pass with no tests.
	[[ -f tests/systemd/run-showguard-vm.sh ]] || { echo "tests/systemd/run-showguard-vm.sh is missing"; return 1; }
	local deb rc=0
	bash tests/systemd/run-showguard-vm.sh || rc=1
	# The same checks on Debian 13 with the release package, installed with apt as a user would.
	if deb=$(release_amd64_deb); then
		bash tests/systemd/run-showguard-vm.sh --suite trixie --deb "$deb" || rc=1
	else
		echo "no amd64 release package for the trixie VM"
		echo "0 passed, 1 failed"
		rc=1
	fi
	return $rc
}

prepare_extra() {
	local script
	for script in scripts/test-*.sh; do
		if grep -q '^# prepare: ' "$script"; then
			echo "--- prepare $script"
			bash "$script" --prepare || echo "prepare of $script failed; its tier will say why"
		fi
	done
}
tier_extra() {
	local script rc=0
	for script in scripts/test-*.sh; do
		[[ -e $script ]] || continue
		echo "--- $script"
		set +e
		bash "$script" 2>&1 | tally_filter "${script##*/}"
		((PIPESTATUS[0] == 0)) || rc=1
		set -e
	done
	return $rc
}

# --- the run ----------------------------------------------------------------

bash scripts/install-deps.sh
started=$(date +%s)

# Background preparation of every chosen tier, at idle priority.
(
	chrt --idle -p 0 $BASHPID >/dev/null 2>&1 || renice -n 19 -p $BASHPID >/dev/null
	export SHOWGUARD_PREPARING=1
	for tier in $tiers; do
		declare -F "prepare_$tier" >/dev/null || continue
		echo "=== prepare $tier ($(date +%T))"
		"prepare_$tier" || echo "prepare $tier failed; the tier will say why"
	done
	echo "=== prepared ($(date +%T))"
) >"$logs/prepare.log" 2>&1 &
preparer=$!

for tier in $tiers; do
	run_tier "$tier"
done
wait "$preparer" || true

took=$(($(date +%s) - started))
echo
echo "=== summary (logs in build-logs/), $((took / 60))m$(printf '%02d' $((took % 60)))s in all"
printf '%s\n' "${results[@]}"
echo "tests: $passed passed, $failed failed, $skipped skipped"
((failed == 0))
