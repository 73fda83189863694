#!/bin/bash
# Runs inside the VM (see run-showguard-vm.sh): showguard@starcourt under a real systemd.
set -euo pipefail
# shellcheck source=lib.sh
. "${SHOWGUARD_VM_LIB:-/usr/lib/showguard-vm/lib.sh}"

led_value() {
	local dev chip
	dev=$(cat /sys/kernel/config/gpio-sim/led/dev_name)
	chip=$(cat /sys/kernel/config/gpio-sim/led/gpio-bank0/chip_name)
	cat "/sys/devices/platform/$dev/$chip/sim_gpio0/value"
}
guard_pid() { systemctl show -p MainPID --value showguard@starcourt; }
lock_free() { flock -n /run/showguard/starcourt.lock true; }
show_pid() { sed -n 's/^show_pid=//p' /run/showguard/starcourt.state; }

if ((SHOWGUARD_VM_BOOT == 1)); then
	# The root is the release the harness was asked for (run-vm.sh --suite writes it down).
	printf '# %s, %s, kernel %s\n' "$(. /etc/os-release && echo "$PRETTY_NAME")" \
		"$(systemctl --version | head -n 1)" "$(uname -r)"
	expect_eq "the VM runs the Debian release asked for" \
		"$(cat /usr/lib/showguard-vm/suite)" "$(. /etc/os-release && echo "$VERSION_CODENAME")"
	# The package ships the unit where trixie expects it; bookworm's systemd may name it by its
	# /lib alias, the same file on a merged /usr.
	check "the package ships the unit in /usr/lib/systemd/system" \
		bash -c 'dpkg -L showguard | grep -qx /usr/lib/systemd/system/showguard@.service'
	expect_eq "systemd loads the unit from that file" /usr/lib/systemd/system/showguard@.service \
		"$(readlink -f "$(systemctl show -p FragmentPath --value showguard@starcourt)")"
fi
check "showguard@starcourt is active after boot" wait_until 60 systemctl is-active showguard@starcourt
check "status shows starcourt running" \
	bash -c 'showguard status --json starcourt | grep -q "\"state\": \"running\""'
check "the LED line is on" wait_until 10 bash -c '[ "$(cat /sys/devices/platform/$(cat /sys/kernel/config/gpio-sim/led/dev_name)/$(cat /sys/kernel/config/gpio-sim/led/gpio-bank0/chip_name)/sim_gpio0/value)" = 1 ]'
# The root has libgpiod's tools (build-rootfs.sh): without gpioinfo this fails, never passes.
check "gpioinfo names the consumer showguard:starcourt" bash -c 'gpioinfo | grep -q "showguard:starcourt"'

if ((SHOWGUARD_VM_BOOT == 1)); then
	check "systemd-analyze verify passes on the installed unit" \
		systemd-analyze verify --man=no showguard@starcourt.service
	check "tmpfiles made the lock dir 0755 root" bash -c '[ "$(stat -c %a:%U /run/showguard)" = 755:root ]'

	guard=$(guard_pid)
	set +e
	out=$(showguard --show starcourt -- /bin/true 2>&1)
	rc=$?
	set -e
	expect_eq "a manual start is refused with the conflict code" 75 "$rc"
	check "the refusal names the holding guard" bash -c "grep -q 'held by guard pid $guard' <<<'$out'"

	check "the journal has the guard's lines at info priority" \
		bash -c 'journalctl -u showguard@starcourt -p info..info -o cat --no-pager | grep -q "^show starcourt: running"'
	check "the journal has no raw priority prefixes" \
		bash -c '! journalctl -u showguard@starcourt --no-pager -o cat | grep -q "^<[0-7]>"'

	started=$(date +%s)
	check "systemctl stop showguard@starcourt" systemctl stop showguard@starcourt
	elapsed=$(($(date +%s) - started))
	check "stop took less than the kill timeout (${elapsed}s of 10s)" test "$elapsed" -lt 10
	check "the lock is free after stop" lock_free
	expect_eq "the LED is off after stop" 0 "$(led_value)"
	expect_eq "the unit is inactive, not failed" inactive "$(systemctl is-active showguard@starcourt || true)"
	check "the show said its curtain line" \
		bash -c 'journalctl -u showguard@starcourt --no-pager -o cat | grep -q "starcourt: curtain"'

	check "systemctl start showguard@starcourt" systemctl start showguard@starcourt
	check "the unit is active again" wait_until 30 systemctl is-active showguard@starcourt
	check "the show holds the lock again" wait_until 10 bash -c '! flock -n /run/showguard/starcourt.lock true'

	old_guard=$(guard_pid)
	old_show=$(show_pid 2>/dev/null || true)
	# MainPID is 0 when the unit is down: kill -9 0 would end this test's own process group.
	check "the unit has a guard to kill" test "${old_guard:-0}" -gt 0
	((old_guard > 0)) && kill -9 "$old_guard"
	check "after kill -9 of the guard its show is stopped" wait_until 15 bash -c "! kill -0 $old_show 2>/dev/null"
	check "systemd restarts the unit" wait_until 30 bash -c \
		"[ \"\$(systemctl show -p MainPID --value showguard@starcourt)\" != $old_guard ] && systemctl is-active showguard@starcourt"
	check "the show runs again under a new guard" wait_until 15 bash -c \
		"p=\$(sed -n 's/^show_pid=//p' /run/showguard/starcourt.state); [ -n \"\$p\" ] && [ \"\$p\" != $old_show ] && [ \"\$p\" != 0 ]"
	check "the LED is on again" wait_until 10 bash -c '[ "$(cat /sys/devices/platform/$(cat /sys/kernel/config/gpio-sim/led/dev_name)/$(cat /sys/kernel/config/gpio-sim/led/gpio-bank0/chip_name)/sim_gpio0/value)" = 1 ]'
	reboot_vm
fi

check "after the reboot the show is back" wait_until 60 bash -c \
	'showguard status --json starcourt | grep -q "\"state\": \"running\""'
finish
