# shellcheck shell=bash
# Sourced by the test scripts that run inside the systemd-tier VM:
#   . "$SHOWGUARD_VM_LIB"        (installed as /usr/lib/showguard-vm/lib.sh)
#
#   check DESCRIPTION COMMAND...      passes if COMMAND exits 0; on failure shows its status and output
#   expect_eq DESCRIPTION EXPECTED ACTUAL
#   skip DESCRIPTION REASON           a check that cannot run here, and why
#   wait_until TIMEOUT COMMAND...     retries COMMAND every 0.1 s for up to TIMEOUT seconds; its
#                                     status is COMMAND's last (combine: check "..." wait_until 10 ...)
#   reboot_vm                         reboots the VM; the test script then runs again from the top in
#                                     the next boot, with the counts kept. Does not return.
#   finish                            prints "N passed, M failed[, K skipped]" and exits 0 only if
#                                     M is 0 and N is not.
#   $SHOWGUARD_VM_BOOT                1 in the first boot, 2 after the first reboot_vm, ...
#
# One line per check: "ok - DESCRIPTION", or "FAIL - DESCRIPTION" with the details indented below it.

SHOWGUARD_VM_BOOT=${SHOWGUARD_VM_BOOT:-1}
SHOWGUARD_VM_STATE=${SHOWGUARD_VM_STATE:-/var/lib/showguard-vm}
_sg_passed=0
_sg_failed=0
_sg_skipped=0
if [[ -r $SHOWGUARD_VM_STATE/counts ]]; then
  read -r _sg_passed _sg_failed _sg_skipped <"$SHOWGUARD_VM_STATE/counts"
fi

_sg_fail() {
  _sg_failed=$((_sg_failed + 1))
  printf 'FAIL - %s\n' "$1"
  printf '%s\n' "$2" | sed 's/^/    /'
}

check() {
  local description=$1 output status
  shift
  if output=$("$@" 2>&1); then
    _sg_passed=$((_sg_passed + 1))
    printf 'ok - %s\n' "$description"
  else
    status=$?
    _sg_fail "$description" "\$ $*"$'\n'"exit status $status"${output:+$'\n'"$output"}
  fi
}

expect_eq() {
  if [[ $2 == "$3" ]]; then
    _sg_passed=$((_sg_passed + 1))
    printf 'ok - %s\n' "$1"
  else
    _sg_fail "$1" "expected: $2"$'\n'"actual:   $3"
  fi
}

skip() {
  _sg_skipped=$((_sg_skipped + 1))
  printf 'skip - %s: %s\n' "$1" "$2"
}

wait_until() {
  local timeout=$1
  shift
  local deadline=$((${EPOCHREALTIME/./} + timeout * 1000000))
  until "$@" >/dev/null 2>&1; do
    if ((${EPOCHREALTIME/./} >= deadline)); then
      # Once more with its output shown, for check to report.
      "$@"
      return
    fi
    sleep 0.1
  done
}

reboot_vm() {
  printf '%s %s %s\n' "$_sg_passed" "$_sg_failed" "$_sg_skipped" >"$SHOWGUARD_VM_STATE/counts"
  : >"$SHOWGUARD_VM_STATE/reboot-requested"
  sync
  printf 'rebooting the VM after boot %s\n' "$SHOWGUARD_VM_BOOT"
  exit 0
}

finish() {
  local summary="$_sg_passed passed, $_sg_failed failed"
  ((_sg_skipped == 0)) || summary+=", $_sg_skipped skipped"
  printf '%s\n' "$summary"
  ((_sg_failed == 0 && _sg_passed > 0))
  exit
}
