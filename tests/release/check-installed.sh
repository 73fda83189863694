#!/bin/bash
# Runs inside a Debian root where the showguard package was just installed with apt
# (tests/release/install-packages.sh): checks the installed program from outside, the way a
# user meets it. Prints one "ok"/"FAIL" line per check and "N passed, M failed" last.
#   check-installed.sh [ETCD_ENDPOINT [ETCD_SHOW]]
set -u
etcd=${1:-}
etcd_show=${2:-etcdshow}
passed=0
failed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
bad() { echo "FAIL $*"; failed=$((failed + 1)); }
check() { # check NAME COMMAND...: passes when COMMAND succeeds
	local name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name"; fi
}

export PATH=/usr/sbin:/usr/bin:/sbin:/bin
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# What was installed, where.
check "showguard --version" showguard --version
check "unit in /usr/lib/systemd/system" test -f /usr/lib/systemd/system/showguard@.service
check "tmpfiles snippet" test -f /usr/lib/tmpfiles.d/showguard.conf
check "postinst made /run/showguard" test -d /run/showguard
# Depends: nothing beyond libc (libgpiod and the C++ libraries are linked in).
needed=$(LC_ALL=C ldd /usr/bin/showguard 2>&1)
check "loads only libc (and libm)" bash -c '! grep -vE "linux-vdso|libc\.so|libm\.so|ld-linux" <<<"$0" | grep -q .' "$needed"

# boards: the shipped definitions, found from the program's own location.
out=$(showguard boards 2>&1)
rc=$?
check "boards exits 0" test $rc -eq 0
check "boards lists pi4b and pi5" bash -c 'grep -q "^  pi4b  *gpio:GPIO17" <<<"$0" && grep -q "^  pi5 " <<<"$0"' "$out"
# --board: the board's LED (no GPIO chip here: a warning, and the show runs).
showguard --show boardcheck --board pi4b -- /bin/true 2>"$work/board"
rc=$?
check "--board pi4b: the show runs" test $rc -eq 0
check "--board pi4b: its LED is GPIO17" grep -q GPIO17 "$work/board"
# Without them: an incomplete installation is an error, 72.
mv /usr/share/showguard/boards "$work/boards"
showguard boards >"$work/out" 2>&1
rc=$?
mv "$work/boards" /usr/share/showguard/boards
check "boards without board files exits 72" test $rc -eq 72
check "... naming /usr/share/showguard/boards" grep -q "/usr/share/showguard/boards" "$work/out"

# A show run: the show's own file proves it ran, with SHOWGUARD_SHOW set.
showguard --show starcourt -- /bin/sh -c 'echo "$SHOWGUARD_SHOW" >'"$work/ran"
rc=$?
check "show run exits 0" test $rc -eq 0
check "the show ran" grep -qx starcourt "$work/ran"
check "lock free after the run" flock -n /run/showguard/starcourt.lock true

# A refusal: a running show holds the kernel lock (flock sees it), a second guard gets 75.
showguard --show starcourt -- /bin/sh -c "touch $work/started; exec sleep 30" &
holder=$!
for _ in $(seq 100); do [[ -e $work/started ]] && break; sleep 0.1; done
check "the lock is held while the show runs" bash -c '! flock -n /run/showguard/starcourt.lock true'
showguard --show starcourt -- /bin/true 2>"$work/refused"
rc=$?
check "second guard refused with 75" test $rc -eq 75
check "... naming the holder" grep -q "held by guard pid $holder" "$work/refused"
status=$(showguard status starcourt --json 2>&1)
check "status --json: running" grep -q '"state": *"running"' <<<"$status"
check "status --json: guard pid $holder" grep -q "\"guard_pid\": *$holder[,}]" <<<"$status"
showguard stop starcourt >/dev/null 2>&1
rc=$?
wait "$holder"
check "stop exits 0" test $rc -eq 0
check "lock free after stop" flock -n /run/showguard/starcourt.lock true

# The etcd backend against the host's etcd. The show waits in /tmp/release-etcd for the
# outside (install-packages.sh) to list the lock keys with etcdctl while it runs.
if [[ -n $etcd ]]; then
	x=/tmp/release-etcd
	mkdir -p $x
	showguard --show "$etcd_show" --lock-backend etcd --etcd-endpoints "$etcd" --lease-ttl 5s -- \
		/bin/sh -c 'echo "$SHOWGUARD_FENCING_TOKEN" >'$x'/token; touch '$x'/started
			n=0; while [ ! -e '$x'/keys ] && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); done' 2>"$work/etcd.log"
	rc=$?
	check "etcd show exits 0" test $rc -eq 0
	check "etcd show got a fencing token" grep -qE '^[0-9]+$' $x/token
	check "etcd held /showguard/locks/$etcd_show/<lease> while the show ran" grep -q "^/showguard/locks/$etcd_show/" $x/keys
	[[ $rc -eq 0 ]] || cat "$work/etcd.log"
fi

echo "$passed passed, $failed failed"
((failed == 0))
