#!/usr/bin/env bash
# Valgrind tier: the integration tests with every guard run under memcheck
# (SHOWGUARD_WRAPPER in tests/integration/harness.py), on a Debug build
# (build-valgrind/; at -O2 gcc tests both halves of `opt && *opt < x` at once,
# which memcheck reports as a jump on an uninitialised value).
#
# A memcheck error (invalid access, uninitialised jump, a definite leak, an fd
# error) ends the guard with status 98, which the exit-status contract never
# uses, and leaves its log in build-valgrind/valgrind-logs/; the harness fails the
# test during which a non-empty log appeared and this script prints every log and
# fails. The show's own program is not traced (--trace-children=no).
#
#   VALGRIND_TESTS   ctest -R regex of the tests to run (default below)
#
# The default subset: the hostile-input table (every refusal: names, values, config
# files, lock dirs and files, records, users, programs; and runs that succeed), restarts
# and config files. Memcheck (3.24) does not implement pidfd_send_signal(2) (syscall 424:
# ENOSYS), so no path on which the guard signals a process (forwarding, stop, the kill
# timeout, leftovers) can run under it; those run under ASan, UBSan and TSan
# (scripts/test-sanitizers.sh). The timed tests (led, terminal, signals, notify, cost,
# status's many-shows bound) cannot be met by a guard slowed down 20-50x.
#
# prepare: --prepare only installs and builds (scripts/test.sh does that ahead).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/build-lock.sh
bash scripts/install-deps.sh
valgrind=$(bash scripts/install-valgrind.sh | sed -n 's/^VALGRIND=//p')
[[ -n $valgrind ]] || { echo "test-valgrind: no valgrind"; exit 1; }

build=build-valgrind
with_build_lock "$build" bash -c "set -o pipefail; cmake -S . -B $build -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSHOWGUARD_WARNINGS_AS_ERRORS=ON >/dev/null &&
	nice cmake --build $build -j2 --target showguard | tail -n 1"
[[ ${1:-} != --prepare ]] || exit 0

logs=$PWD/$build/valgrind-logs
rm -rf "$logs"
mkdir -p "$logs"
chmod 1777 "$logs" # guards the tests run as nobody log too
tests=${VALGRIND_TESTS:-'^(hostile\.input|integration\.(restart|config))$'}
status=0
SHOWGUARD_WRAPPER="$valgrind --quiet --tool=memcheck --error-exitcode=98 --leak-check=full \
--show-leak-kinds=definite --errors-for-leak-kinds=definite --track-fds=no --child-silent-after-fork=yes \
--log-file=$logs/memcheck.%p" \
SHOWGUARD_SANITIZER_LOG_DIR=$logs \
	nice ctest --test-dir "$build" -R "$tests" --output-on-failure -j2 || status=1
python3 scripts/ctest-tally.py "$build" valgrind

count=0
while IFS= read -r -d '' log; do
	echo "--- memcheck log $log"
	cat "$log"
	count=$((count + 1))
done < <(find "$logs" -type f -size +0 -print0)
runs=$(find "$logs" -type f | wc -l)
echo "valgrind: $runs processes (guards and their children before exec) under memcheck, $count with errors"
((count == 0 && status == 0))
