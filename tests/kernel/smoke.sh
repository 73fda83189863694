#!/bin/sh
# Smoke test of the kernel tier without showguard: drive a simulated GPIO17 with
# libgpiod's command-line tools and watch it through gpio-sim's sysfs view.
# Run with the gpiod tools as --binary/--extra (see run-smoke.sh); /bin/showguard is then
# gpioset. Proves: the stock kernel + gpio-sim module work, the chip is found by name,
# a held line drives the value, releasing or SIGKILLing the holder returns the line to
# the simulated pull, and a second requester of a held line gets EBUSY.
# shellcheck source=lib.sh
. "${0%/*}/lib.sh"

diag "kernel $(uname -r) on $(uname -m)"
check "binary under test is installed at \$SHOWGUARD" test -x "$SHOWGUARD"
for tool in gpioset gpioget gpiodetect gpioinfo gpiofind; do
    check "$tool runs in the guest" "$tool" --version
done

check "gpio-sim chip with lines GPIO17, GPIO27 goes live" sim_chip_create smoke 2 GPIO17 GPIO27
diag "gpio-sim device $SIM_DEV is $SIM_CHIP ($SIM_SYSFS)"

expect_contains "gpiodetect lists the simulated chip" "$SIM_CHIP [$SIM_DEV" "$(gpiodetect 2>&1)"
expect_contains "gpioinfo shows the line name GPIO17" '"GPIO17"' "$(gpioinfo "$SIM_CHIP" 2>&1)"
expect_eq "gpiofind GPIO17 names the chip and offset 0" "$SIM_CHIP 0" "$(gpiofind GPIO17 2>&1)"

# Unrequested lines read the simulated pull, which starts as pull-down.
expect_eq "an idle line reads the default pull-down" 0 "$(sim_value 0)"

gpioset --mode=signal "$SIM_CHIP" 0=1 &
holder=$!
expect_sim_value "a held output drives sim_gpio0 high" 0 1
expect_contains "gpioinfo shows the line used as an output" "output" \
    "$(gpioinfo "$SIM_CHIP" 2>&1 | grep GPIO17)"
expect_eq "the other line is untouched" 0 "$(sim_value 1)"

out="$(gpioset "$SIM_CHIP" 0=0 2>&1)"
rc=$?
expect_eq "a second requester of the held line fails" 1 "$([ "$rc" -ne 0 ] && echo 1 || echo 0)"
expect_contains "... with EBUSY" "Device or resource busy" "$out"
expect_contains "a reader of the held line gets EBUSY too" "Device or resource busy" \
    "$(gpioget "$SIM_CHIP" 0 2>&1)"
expect_eq "the held value survives the failed requests" 1 "$(sim_value 0)"

kill -TERM "$holder"
wait "$holder"
expect_eq "the holder exits cleanly on SIGTERM" 0 "$?"
expect_sim_value "releasing the line returns it to the pull (down)" 0 0

check "the pull can be switched to pull-up" sim_pull 0 pull-up
expect_sim_value "the idle line now reads the pull-up" 0 1
expect_eq "gpioget reads the pull-up as an input" 1 "$(gpioget "$SIM_CHIP" 0 2>&1)"

gpioset --mode=signal "$SIM_CHIP" 0=0 &
holder=$!
expect_sim_value "a new holder drives the line low against the pull-up" 0 0
kill -KILL "$holder"
wait "$holder"
expect_eq "the holder died of SIGKILL" 137 "$?"
expect_sim_value "SIGKILL of the holder returns the line to the pull (up)" 0 1

check "the line is free again after the SIGKILL" gpioset "$SIM_CHIP" 0=0
expect_sim_value "gpioset in exit mode releases at once" 0 1

gpioset --mode=signal "$SIM_CHIP" 1=1 &
holder=$!
expect_sim_value "GPIO27 is driven through its own offset" 1 1
expect_eq "GPIO17 is not affected by GPIO27" 1 "$(sim_value 0)"
kill -TERM "$holder"
wait "$holder"
chip="$SIM_CHIP"
check "the chip can be torn down" sim_chip_remove smoke
check "and its device node is gone" test ! -e "/dev/$chip"

finish
