#!/bin/bash
# Runs inside the VM (see smoke.sh): a templated unit from a package starts at boot, stops, logs to
# the journal, and starts again after a reboot.
set -euo pipefail
# shellcheck source=lib.sh
. "${SHOWGUARD_VM_LIB:-/usr/lib/showguard-vm/lib.sh}"

if ((SHOWGUARD_VM_BOOT == 1)); then
  check "the package is installed" dpkg-query -W showguard-vm-demo
  check "demo@x is active after boot" wait_until 30 systemctl is-active demo@x
  state=$(systemctl is-system-running --wait || true)
  expect_eq "the boot finished with no failed unit" running "$state"
  [[ $state == running ]] || systemctl --failed --no-pager
  check "systemctl stop demo@x" systemctl stop demo@x
  expect_eq "demo@x is inactive after stop" inactive "$(systemctl is-active demo@x || true)"
  check "the journal of demo@x shows it stopped" \
    bash -c 'journalctl -u demo@x --no-pager | grep "Stopped demo@x.service"'
  reboot_vm
fi

check "demo@x is active again after the reboot" wait_until 30 systemctl is-active demo@x
check "the journal kept the boot before the reboot" \
  bash -c 'journalctl -b -1 -u demo@x --no-pager | grep "Stopped demo@x.service"'
finish
