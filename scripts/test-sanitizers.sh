#!/usr/bin/env bash
# Sanitizer tier: the whole suite (unit, integration, hostile input and a short
# stress run) built with gcc's AddressSanitizer + UndefinedBehaviorSanitizer
# (preset `sanitize`, build-sanitize/), then with ThreadSanitizer (preset `tsan`,
# build-tsan/). The integration tests run the sanitized guard.
#
# Every report fails: the runtimes write it to BUILD/sanitizer-reports/ (log_path),
# the integration harness fails the test during which a report appeared, and this
# script prints every report and fails the tier. A report also ends the process
# with status 99 (exitcode=), which the exit-status contract never uses.
#
# ThreadSanitizer of gcc 12 / clang 14 maps its shadow memory at fixed addresses and
# dies ("unexpected memory mapping") on kernels that randomise mmap with more than
# 28 bits (vm.mmap_rnd_bits, 32 on some newer kernels). The script probes the TSan
# build and, if the probe dies, runs that suite under `setarch -R` (no address
# randomisation for the tests' process tree), which needs no change to the machine.
#
#   SANITIZERS="asan tsan"  which builds (default both)
#   STRESS_SECONDS=10       length of the stress test in these builds
#   TORTURE_SECONDS=30, TORTURE_GUARDS=12, CHAOS_ITERATIONS=60: the torture and chaos
#                           tiers, shorter than the host tier's: here they are for the
#                           instrumented code paths, which a short run covers
#
# prepare: --prepare only builds (scripts/test.sh does that ahead, in the background).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/build-lock.sh
# g++ brings the runtimes (libasan8, libubsan1, liblsan0, libtsan2); setarch is util-linux.
bash scripts/install-deps.sh

build() { # PRESET DIR
	with_build_lock "$2" bash -c "set -o pipefail; cmake --preset $1 >/dev/null && nice cmake --build --preset $1 -j2 | tail -n 1"
}
if [[ ${1:-} == --prepare ]]; then
	for s in ${SANITIZERS:-asan tsan}; do
		case $s in asan) build sanitize build-sanitize ;; tsan) build tsan build-tsan ;; esac
	done
	exit
fi

rc=0

# The prefix that lets the TSan build run on this kernel: nothing, or setarch -R.
tsan_runner() {
	local probe=$1/tests/unit/showguard_unit_tests
	if "$probe" --gtest_list_tests >/dev/null 2>&1; then
		return 0
	fi
	if setarch "$(uname -m)" -R "$probe" --gtest_list_tests >/dev/null 2>&1; then
		echo "setarch $(uname -m) -R"
		return 0
	fi
	echo "test-sanitizers: the ThreadSanitizer build does not start, even under setarch -R" \
		"(vm.mmap_rnd_bits=$(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null))" >&2
	"$probe" --gtest_list_tests 2>&1 | head -n 5 >&2
	return 1
}

suite() {
	local name=$1 preset=$2 dir=$3 reports runner=()
	reports=$PWD/$dir/sanitizer-reports
	echo "--- $name: build ($preset)"
	build "$preset" "$dir" || return 1
	if [[ $name == tsan ]]; then
		local prefix
		prefix=$(tsan_runner "$dir") || return 1
		[[ -n $prefix ]] && { read -ra runner <<<"$prefix"; echo "--- $name: vm.mmap_rnd_bits=$(cat /proc/sys/vm/mmap_rnd_bits); running under $prefix"; }
	fi
	rm -rf "$reports"
	mkdir -p "$reports"
	chmod 1777 "$reports" # guards the tests run as nobody write reports too
	local common="halt_on_error=1:exitcode=99"
	echo "--- $name: suite"
	local status=0
	ASAN_OPTIONS="$common:detect_leaks=1:abort_on_error=0:log_path=$reports/asan" \
	UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$reports/ubsan" \
	TSAN_OPTIONS="$common:second_deadlock_stack=1:log_path=$reports/tsan" \
	SHOWGUARD_SANITIZER_LOG_DIR=$reports \
	STRESS_SECONDS=${STRESS_SECONDS:-10} STRESS_GUARDS=${STRESS_GUARDS:-6} \
	TORTURE_SECONDS=${TORTURE_SECONDS:-30} TORTURE_GUARDS=${TORTURE_GUARDS:-12} \
	CHAOS_ITERATIONS=${CHAOS_ITERATIONS:-60} \
		"${runner[@]}" nice ctest --test-dir "$dir" --output-on-failure -j2 || status=1
	python3 scripts/ctest-tally.py "$dir" "$name"
	# The integration tests move their guards' reports into a directory per test process.
	local count=0 report
	while IFS= read -r -d '' report; do
		echo "--- $name: report $report"
		cat "$report"
		count=$((count + 1))
	done < <(find "$reports" -type f -size +0 -print0)
	echo "$name: $count sanitizer reports"
	((count == 0 && status == 0))
}

for s in ${SANITIZERS:-asan tsan}; do
	case $s in
	asan) suite asan sanitize build-sanitize || rc=1 ;;
	tsan) suite tsan tsan build-tsan || rc=1 ;;
	*) echo "test-sanitizers: unknown sanitizer '$s' (asan or tsan)"; rc=1 ;;
	esac
done
exit $rc
