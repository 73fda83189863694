#!/bin/bash
# Runs inside the test VM as showguard-vm-test.service, once per boot, after multi-user.target.
# It runs the test script, copies its output to the serial console with each line prefixed by
# "showguard-vm| ", and then reboots the VM if the test asked for it (lib.sh: reboot_vm) or powers it
# off. Its own lines, which run-vm.sh reads, start with "showguard-vm: ":
#   showguard-vm: boot N                        a test run starts in boot N (1, 2, ...)
#   showguard-vm: reboot                        the test asked for a reboot; the harness boots again
#   showguard-vm: test exited with status N     the test is over; the VM powers off
set -uo pipefail

state=/var/lib/showguard-vm
console=/dev/ttyS0
max_boots=4

say() { printf 'showguard-vm: %s\n' "$*" >"$console"; }

mkdir -p "$state"
boot=$(($(cat "$state/boot" 2>/dev/null || echo 0) + 1))
echo "$boot" >"$state/boot"
rm -f "$state/reboot-requested"
sync
say "boot $boot"

if ((boot > max_boots)); then
  printf 'showguard-vm| runner: more than %s boots; the test keeps asking for reboots\n' "$max_boots" >"$console"
  say "test exited with status 1"
  systemctl poweroff
  exit 1
fi

export SHOWGUARD_VM_BOOT=$boot SHOWGUARD_VM_STATE=$state SHOWGUARD_VM_LIB=/usr/lib/showguard-vm/lib.sh
/usr/lib/showguard-vm/test-script </dev/null 2>&1 | sed -u 's/^/showguard-vm| /' >"$console"
status=${PIPESTATUS[0]}
sync

if [[ -e $state/reboot-requested ]]; then
  say "reboot"
  systemctl reboot
else
  say "test exited with status $status"
  systemctl poweroff
fi
