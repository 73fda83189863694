#!/bin/sh
# The status LED on a real kernel's GPIO character device (gpio-sim under QEMU), run by
# run-led-tier.sh for each libgpiod generation the binary can be built with. What a
# person at the venue sees, read through gpio-sim's sim_gpioN/value:
#   on while the show holds its lock; untouched (not even requested) by a refused or a
#   waiting guard; the restart and stop patterns; active-low; off after a clean exit, a
#   show failure and SIGTERM; --led-required failures (69, show not started, lock
#   free); the line free again after a SIGKILLed guard, and led-reset.
# gpioinfo (libgpiod's tool, passed with --extra) reports consumers independently.
# shellcheck source=lib.sh
. "${0%/*}/lib.sh"

diag "kernel $(uname -r) on $(uname -m); $("$SHOWGUARD" --version)"
LOCKS=/run/showguard

lock_free() {
    flock -n "$LOCKS/$1.lock" true
}

ge() { [ "$1" -ge "$2" ]; }

check "gpio-sim chip with GPIO17 and GPIO27 goes live" sim_chip_create led 2 GPIO17 GPIO27
diag "GPIO17 is $SIM_CHIP line 0 ($SIM_DEV)"

# --- led-test: what it finds, and the patterns -----------------------------------------
# Watched on the line, not judged by its own text: with 1 s a pattern, on (1 s lit), the
# 5 Hz flicker (about 10 changes, half lit), the 1 Hz blink (half lit) and the flash (a
# fifth lit) come to about 2.2 s lit and 15 changes in the 5 s sampled.
"$SHOWGUARD" led-test --led gpio:GPIO17 --step 1s >/tmp/led-test.out 2>&1 &
LED_TEST=$!
set -- $(sample 0 5)
wait "$LED_TEST"
expect_eq "led-test drives GPIO17 and exits 0" 0 "$?"
out="$(cat /tmp/led-test.out)"
diag "led-test on the line: lit $1 cs, dark $2 cs, $3 changes"
check "led-test's patterns are seen on the line (>= 8 changes: the flicker is there)" ge "$3" 8
check "... lit between 1.2 s and 3.3 s of it (on, then blinks; not stuck on)" \
    sh -c "[ $1 -ge 120 ] && [ $1 -le 330 ]"
expect_sim_value "led-test leaves the line dark" 0 0
expect_contains "led-test finds the line by name on the simulated chip" \
    "found: GPIO line GPIO17 ($SIM_CHIP_DEV [" "$out"
expect_contains "... and reports it unused" ", unused; libgpiod " "$out"
expect_contains "led-test walks the patterns" "restarting  500ms on, 500ms off" "$out"
expect_contains "led-test ends with the LED off" "done: the LED is off" "$out"
LABEL="$(printf '%s\n' "$out" | sed -n "s|^found: GPIO line GPIO17 ($SIM_CHIP_DEV \[\(.*\)\] line 0).*|\1|p")"
diag "the simulated chip's label is '$LABEL'"
check "the chip label was reported" test -n "$LABEL"
expect_contains "the line is released after led-test" "unused" "$(line_info 0)"

out="$("$SHOWGUARD" led-test --led "gpio:$LABEL:0" --step 100ms 2>&1)"
expect_eq "led-test finds the line by chip label and offset" 0 "$?"
out="$("$SHOWGUARD" led-test --led "gpio:$SIM_CHIP:0" --step 100ms 2>&1)"
expect_eq "... and by chip name and offset" 0 "$?"
out="$("$SHOWGUARD" led-test --led gpio:GPIO99 2>&1)"
expect_eq "led-test of a missing line exits 69" 69 "$?"
expect_contains "... naming the line" "no GPIO line named GPIO99 on any chip (chips here: " "$out"
expect_contains "... and the chips it looked at" "$SIM_CHIP [$LABEL]" "$out"
out="$("$SHOWGUARD" led-test --led "gpio:$SIM_CHIP:9" 2>&1)"
expect_contains "an offset past the chip's lines is named" "$SIM_CHIP [$LABEL] has 2 lines (0-1); no line 9" "$out"

# --- on while the lock is held ---------------------------------------------------------
"$SHOWGUARD" --show a --led gpio:GPIO17 -- sleep 60 >/tmp/a.out 2>&1 &
guard_a=$!
check "show a runs" wait_state a running "$guard_a"
expect_sim_value "GPIO17 is lit while show a holds its lock" 0 1
expect_contains "gpioinfo names the consumer showguard:a" '"showguard:a" output' "$(line_info 0)"
expect_eq "steady while the show runs (no toggles in 1+ s)" "0" "$(sample 0 2 | cut -d' ' -f3)"

out="$("$SHOWGUARD" led-test --led gpio:GPIO17 2>&1)"
expect_eq "led-test of the held line exits 69" 69 "$?"
expect_contains "... naming the consumer that holds it" "is busy: used by 'showguard:a'" "$out"
out="$("$SHOWGUARD" led-test --show a --led gpio:GPIO27 2>&1)"
expect_eq "led-test --show of a running show is refused (75)" 75 "$?"
expect_contains "... and does not request its line" "unused" "$(line_info 1)"

# --- a refused or waiting guard never touches the LED ----------------------------------
# With the pull up, requesting GPIO27 at all (driven off, 0) would show.
check "GPIO27 pulled up" sim_pull 1 pull-up
expect_sim_value "GPIO27 reads the pull-up" 1 1
"$SHOWGUARD" --show a --led gpio:GPIO27 --led-required -- touch /tmp/refused-ran >/tmp/refused.out 2>&1
expect_eq "a second guard of show a is refused (75)" 75 "$?"
check "the refused show never ran" test ! -e /tmp/refused-ran
expect_contains "the refused guard never requested GPIO27" "unused" "$(line_info 1)"
expect_eq "GPIO27 still reads the pull-up" 1 "$(sim_value 1)"

"$SHOWGUARD" --show a --wait --led gpio:GPIO27 -- sleep 60 >/tmp/b.out 2>&1 &
guard_b=$!
sleep 1
expect_contains "a waiting guard leaves GPIO27 unrequested" "unused" "$(line_info 1)"
expect_eq "... and at the pull-up" 1 "$(sim_value 1)"
expect_eq "GPIO17 stays lit for the holder meanwhile" 1 "$(sim_value 0)"

kill -TERM "$guard_a"
wait "$guard_a"
expect_eq "show a's first guard exits 143 on SIGTERM" 143 "$?"
expect_sim_value "GPIO17 is dark after SIGTERM" 0 0
expect_contains "and GPIO17 is free again" "unused" "$(line_info 0)"
check "the waiting guard takes the show over" wait_state a running "$guard_b"
expect_contains "only now does it request GPIO27, as showguard:a" '"showguard:a" output' "$(line_info 1)"
expect_sim_value "GPIO27 is lit for the new holder" 1 1
kill -TERM "$guard_b"
wait "$guard_b"
expect_eq "the second guard exits 143" 143 "$?"
expect_contains "GPIO27 is released" "unused" "$(line_info 1)"
check "GPIO27 back to the pull-down" sim_pull 1 pull-down

# --- off after a clean exit and after a show failure -----------------------------------
rm -f /tmp/go
"$SHOWGUARD" --show a --led gpio:GPIO17 -- sh -c 'while [ ! -e /tmp/go ]; do sleep 0.05; done' >/dev/null 2>&1 &
guard=$!
expect_sim_value "lit while the show runs" 0 1
touch /tmp/go
wait "$guard"
expect_eq "a clean exit passes 0 through" 0 "$?"
expect_sim_value "dark after the clean exit" 0 0
expect_contains "released after the clean exit" "unused" "$(line_info 0)"

rm -f /tmp/go
"$SHOWGUARD" --show a --led gpio:GPIO17 -- sh -c 'while [ ! -e /tmp/go ]; do sleep 0.05; done; exit 3' \
    >/dev/null 2>&1 &
guard=$!
expect_sim_value "lit while the failing show runs" 0 1
touch /tmp/go
wait "$guard"
expect_eq "the show's failure passes through (3)" 3 "$?"
expect_sim_value "dark after the show failed" 0 0
expect_contains "released after the show failed" "unused" "$(line_info 0)"

# --- patterns: restarting and stopping -------------------------------------------------
"$SHOWGUARD" --show a --led gpio:GPIO17 --restart on-failure --restart-delay 30s -- sh -c 'exit 1' \
    >/dev/null 2>&1 &
guard=$!
check "the show waits out its restart delay" wait_state a restarting "$guard"
# shellcheck disable=SC2046 # three numbers, split on purpose
set -- $(sample 0 3)
diag "restart delay: lit $1 cs, dark $2 cs, $3 changes in 3 s"
# 500 ms on, 500 ms off: about 6 changes, half the time each; the fast blink (100 ms)
# would change about 30 times.
check "slow blink while waiting to restart: it changes at least twice" ge "$3" 2
check "... at the slow pace (at most 10 changes)" ge 10 "$3"
check "... lit about half the time" ge "$((3 * $1))" "$2"
check "... and dark about half the time" ge "$((3 * $2))" "$1"
kill -TERM "$guard"
wait "$guard"
expect_eq "SIGTERM during the restart delay ends the guard (143)" 143 "$?"
expect_sim_value "dark after that" 0 0

"$SHOWGUARD" --show a --led gpio:GPIO17 --kill-timeout 6s -- \
    sh -c "trap '' TERM; while :; do sleep 0.05; done" >/dev/null 2>&1 &
guard=$!
check "the stubborn show runs" wait_state a running "$guard"
expect_sim_value "lit while it runs" 0 1
kill -TERM "$guard"
check "the guard is stopping it" wait_state a stopping "$guard"
# shellcheck disable=SC2046 # three numbers, split on purpose
set -- $(sample 0 4)
diag "stopping: lit $1 cs, dark $2 cs, $3 changes in 4 s"
# 200 ms lit in every second: dark four times as long as lit, about 8 changes.
check "short flashes while stopping: it flashes" ge "$3" 2
check "... at the flashing pace (at most 12 changes)" ge 12 "$3"
check "... lit for short flashes (at least 0.3 s in all)" ge "$1" 30
check "... and mostly dark (at least 2.5 times as long as lit)" ge "$((2 * $2))" "$((5 * $1))"
wait "$guard"
expect_eq "the show is killed after the kill timeout (137)" 137 "$?"
expect_sim_value "dark after the stop" 0 0

# --- active-low ------------------------------------------------------------------------
check "GPIO17 pulled up (an active-low LED's off)" sim_pull 0 pull-up
"$SHOWGUARD" --show a --led gpio:GPIO17 --led-active-low -- sleep 60 >/dev/null 2>&1 &
guard=$!
check "the active-low show runs" wait_state a running "$guard"
expect_sim_value "active-low: lit is a low line" 0 0
expect_contains "gpioinfo shows the line active-low" "active-low" "$(line_info 0)"
kill -TERM "$guard"
wait "$guard"
expect_eq "the active-low guard exits 143" 143 "$?"
expect_sim_value "active-low: dark (high) after exit" 0 1
expect_contains "and released" "unused" "$(line_info 0)"
check "GPIO17 back to the pull-down" sim_pull 0 pull-down

# --- --led-required failures -----------------------------------------------------------
"$SHOWGUARD" --show holder --led gpio:GPIO17 -- sleep 60 >/dev/null 2>&1 &
holder=$!
check "show holder runs" wait_state holder running "$holder"
rm -f /tmp/started
out="$("$SHOWGUARD" --show b --led gpio:GPIO17 --led-required -- touch /tmp/started 2>&1)"
expect_eq "a required LED on a busy line: exit 69" 69 "$?"
expect_contains "... naming the line and its consumer" \
    "required LED gpio:GPIO17 cannot be driven: line GPIO17 ($SIM_CHIP_DEV [$LABEL] line 0) is busy: used by 'showguard:holder'" "$out"
check "... the show did not start" test ! -e /tmp/started
check "... and show b's lock is free" lock_free b
expect_eq "the holder's LED is still lit" 1 "$(sim_value 0)"
out="$("$SHOWGUARD" --show b --led gpio:GPIO17 -- touch /tmp/started 2>&1)"
expect_eq "the same LED not required: the show runs (0)" 0 "$?"
expect_contains "... with a warning" "warning: show b: LED gpio:GPIO17 cannot be driven" "$out"
check "... and it ran" test -e /tmp/started
kill -TERM "$holder"
wait "$holder"

rm -f /tmp/started
out="$("$SHOWGUARD" --show b --led gpio:GPIO99 --led-required -- touch /tmp/started 2>&1)"
expect_eq "a required LED on a missing line: exit 69" 69 "$?"
expect_contains "... naming the line" "no GPIO line named GPIO99" "$out"
check "... the show did not start" test ! -e /tmp/started
check "... and the lock is free" lock_free b

mkdir -p /tmp/boards
printf 'description = wrong chip\nled = gpio:GPIO17\ngpio-chip = pinctrl-rp1\n' >/tmp/boards/wrong.conf
out="$("$SHOWGUARD" --show b --board-file /tmp/boards/wrong.conf --led-required -- touch /tmp/started 2>&1)"
expect_eq "a board whose chip is not here: exit 69" 69 "$?"
expect_contains "... naming the chip label" "no GPIO chip labelled pinctrl-rp1" "$out"
printf 'description = this VM\nled = gpio:GPIO17\ngpio-chip = %s\n' "$LABEL" >/tmp/boards/vm.conf
"$SHOWGUARD" --show b --board-file /tmp/boards/vm.conf --led-required -- sleep 60 >/dev/null 2>&1 &
guard=$!
expect_sim_value "a board file naming the simulated chip drives GPIO17" 0 1
kill -TERM "$guard"
wait "$guard"
expect_sim_value "and turns it off" 0 0

# --- SIGKILL of the guard, then led-reset ----------------------------------------------
"$SHOWGUARD" --show a --led gpio:GPIO17 -- sleep 60 >/dev/null 2>&1 &
guard=$!
check "show a runs once more" wait_state a running "$guard"
expect_sim_value "lit" 0 1
kill -KILL "$guard"
wait "$guard"
expect_eq "the guard died of SIGKILL" 137 "$?"
tries=100
until lock_free a || [ "$tries" -eq 0 ]; do tries=$((tries - 1)); sleep 0.05; done
check "the show's lock is free once the show has gone" lock_free a
expect_contains "the kernel released the line with the killed guard" "unused" "$(line_info 0)"
expect_sim_value "the line is back at its pull" 0 0
out="$("$SHOWGUARD" led-reset --show a --led gpio:GPIO17 2>&1)"
expect_eq "led-reset after the SIGKILLed guard exits 0" 0 "$?"
expect_contains "led-reset drove the line off" "show a: LED GPIO17 ($SIM_CHIP_DEV [$LABEL] line 0) is off" "$out"
expect_contains "and let it go" "unused" "$(line_info 0)"
check "the line can be requested again" "$SHOWGUARD" led-test --led gpio:GPIO17 --step 100ms

"$SHOWGUARD" --show a --led gpio:GPIO17 -- sleep 60 >/dev/null 2>&1 &
guard=$!
check "show a runs again" wait_state a running "$guard"
out="$("$SHOWGUARD" led-reset --show a --led gpio:GPIO17 2>&1)"
expect_eq "led-reset of a running show exits 0" 0 "$?"
expect_contains "... saying the guard owns the LED" "its guard owns the LED" "$out"
expect_eq "... and leaves it lit" 1 "$(sim_value 0)"
kill -TERM "$guard"
wait "$guard"

finish
