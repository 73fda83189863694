#!/usr/bin/env bash
# Fuzzing tier: builds the libFuzzer targets (preset `fuzz`: clang, AddressSanitizer
# and UndefinedBehaviorSanitizer, build-fuzz/) and runs each for FUZZ_SECONDS
# (default 20) from its committed corpus in fuzz/corpus/TARGET, two at a time (ctest -j).
# A crash, a leak, a timeout (an input slower than 10 s), a broken property or a
# target that executes nothing fails. Each target prints its executions, rate and
# corpus growth; crash inputs land in build-fuzz/artifacts/.
#
# The long run and how to keep what it finds: tests/README.md.
#
# prepare: --prepare only installs and builds (scripts/test.sh does that ahead).
#   FUZZ_JOBS   targets run at once (default: the number of cores)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/build-lock.sh
# clang and its runtimes (libFuzzer, the sanitizers), llvm-symbolizer for readable stacks.
bash scripts/install-deps.sh clang libclang-rt-14-dev llvm

with_build_lock build-fuzz bash -c 'set -o pipefail; cmake --preset fuzz >/dev/null && nice cmake --build --preset fuzz -j2 | tail -n 1'
[[ ${1:-} != --prepare ]] || exit 0
rm -rf build-fuzz/artifacts
log=build-fuzz/fuzz-tier.log
status=0
# Each target is one process on one core: side by side they take the time of one.
FUZZ_SECONDS=${FUZZ_SECONDS:-20} ctest --test-dir build-fuzz -L fuzz --output-on-failure -V -j"${FUZZ_JOBS:-$(nproc)}" \
	>"$log" 2>&1 || status=1
# Per target: "fuzz NAME: N execs in S s (R/s) ..."; then ctest's summary.
sed -n 's/^[0-9]*: \(fuzz [a-z_]*: .*\)/\1/p' "$log"
((status == 0)) || grep -vE '^[0-9]+: (Test command|Environment|Working Directory)' "$log" | tail -n 150
grep -E 'tests passed|tests failed out of' "$log"
python3 scripts/ctest-tally.py build-fuzz fuzz | grep -v '^failed:' || true
exit $status
