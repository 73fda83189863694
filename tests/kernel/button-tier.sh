#!/bin/sh
# The show button on a real kernel's GPIO character device (gpio-sim under QEMU), run by
# run-led-tier.sh after led-tier.sh for each libgpiod generation. gpio-sim drives the
# button line: writing pull-down / pull-up to the simulated line's `pull` makes real edges
# (the button is active-low, as wired to ground with a pull-up). Observed from outside:
# the LED from gpio-sim's value, the lock from /proc/locks, the show from its own
# timestamps, the guard's phase from its state record.
#   a toggle guard waits armed (lock held, show not run, LED blips); a press starts the
#   show, a press stops it (SIGTERM) and re-arms, a press while it stops is ignored; a
#   bounce burst (1-5 ms gaps within 20 ms) is one press, and a canary (gpiomon, no
#   debounce) sees more than one edge in the same burst; a long press stops and exits
#   with 80, the line and the lock released; --button-action stop; button-test.
# shellcheck source=lib.sh
. "${0%/*}/lib.sh"

diag "kernel $(uname -r) on $(uname -m); $("$SHOWGUARD" --version)"
LOCKS=/run/showguard
SHOWLOG=/tmp/show.times

check "gpio-sim chip with GPIO17 (LED) and GPIO22 (button) goes live" sim_chip_create btn 2 GPIO17 GPIO22
PULL="$SIM_SYSFS/sim_gpio1/pull"
BUTTON=gpio:GPIO22

# The button, as a person's finger: the line low while pressed.
down() { echo pull-down >"$PULL"; }
up() { echo pull-up >"$PULL"; }
# A press that bounces: five edges a few ms apart, ending down, then the same on release.
# No fork between the edges (a fork costs more than a bounce under TCG): the shell's own
# echo to sysfs, and spin N reads /proc/uptime N times as the pause. The canary measures
# the gaps with the kernel's timestamps.
spin() { _i=$1; while [ "$_i" -gt 0 ]; do read -r _ _ </proc/uptime; _i=$((_i - 1)); done; }
bouncy_down() { down; up; spin 1; down; spin 2; up; spin 1; down; }
bouncy_up() { up; spin 1; down; up; spin 2; down; spin 1; up; }
# A clean press: down, held a moment, up.
press() { down; sleep 0.3; up; }

# The lock file's inode (busybox ls -i pads it with spaces).
lock_inode() {
    set -- $(ls -i "$LOCKS/$1.lock")
    [ -n "$1" ] && echo "$1"
}
# /proc/locks lists the show's lock file as flock()ed by pid $2 (the guard).
lock_held_by() {
    _ino="$(lock_inode "$1")" || return 1
    grep -Eq "^[0-9]+: FLOCK +ADVISORY +WRITE +$2 [0-9a-f]+:[0-9a-f]+:$_ino " /proc/locks ||
        { cat /proc/locks; return 1; }
}
# ... and by nobody.
lock_free() {
    _ino="$(lock_inode "$1")" || return 1
    ! grep -Eq "FLOCK .*:$_ino " /proc/locks
}

# The armed blip: lit briefly (some, but under a quarter of the time), changing.
armed_pattern() {
    set -- $(sample 0 5)
    diag "armed LED: lit $1 cs, dark $2 cs, $3 changes in 5 s"
    [ "$1" -gt 0 ] && [ "$3" -ge 2 ] && [ $(($1 * 4)) -lt "$2" ]
}
in_range() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }
both_positive() { [ "$1" -gt 0 ] && [ "$2" -gt 0 ]; }
lines() { if [ -f "$SHOWLOG" ]; then wc -l <"$SHOWLOG"; else echo 0; fi; }
presses() { grep -c "button pressed: starting the show" /tmp/guard.out; }

# The show: stamps the uptime every 100 ms; on SIGTERM takes 2 s to wind down (long
# enough to see the stopping pattern and to press during it).
cat >/tmp/show.sh <<'EOF'
#!/bin/sh
trap 'sleep 2; exit 0' TERM
while :; do
    read -r up _ </proc/uptime
    echo "$up" >>/tmp/show.times
    sleep 0.1
done
EOF
chmod 755 /tmp/show.sh

# --- the canary: the bounce burst makes several edges ---------------------------------
up
gpiomon "$SIM_CHIP" 1 >/tmp/raw.edges 2>&1 &
mon=$!
sleep 1
bouncy_down
sleep 0.3
bouncy_up
sleep 0.5
kill "$mon"
wait "$mon" 2>/dev/null
raw="$(grep -c EDGE /tmp/raw.edges)"
diag "undebounced edges of one bouncy press and release: $raw"
check "canary: an undebounced reader sees more than 2 edges from one bouncy press" [ "$raw" -gt 2 ]
# The bursts' gaps, from the kernel's own timestamps of the edges (in µs).
gaps="$(sed -n 's/.*\[ *\([0-9]*\)\.\([0-9]*\)\].*/\1 \2/p' /tmp/raw.edges |
    awk '{t = $1 * 1000000 + int($2 / 1000); if (NR > 1) printf "%d ", t - p; p = t}')"
diag "gaps between the raw edges (µs): $gaps"

# --- toggle: armed, press starts, press stops -----------------------------------------
up
rm -f "$SHOWLOG"
"$SHOWGUARD" --show b --led gpio:GPIO17 --button "$BUTTON" --button-hold 1500ms --kill-timeout 10s \
    --log-level debug -- /tmp/show.sh >/tmp/guard.out 2>&1 &
guard=$!
check "the guard waits armed" wait_state b armed "$guard"
expect_contains "gpioinfo names the button's consumer" '"showguard:b" input' "$(line_info 1)"
check "/proc/locks: the lock is held while armed" lock_held_by b "$guard"
wakeups() { sed -n 's/^voluntary_ctxt_switches:[[:space:]]*//p' "/proc/$1/status"; }
w0="$(wakeups "$guard")"
check "the LED shows armed (a short blip every 2 s)" armed_pattern
w1="$(wakeups "$guard")"
diag "the armed guard woke $((w1 - w0)) times in 5 s"
# Two LED changes per 2 s; the counter must see them (it counts) and nothing more than a
# few extra (an idle button costs nothing).
check "armed costs about one wake-up a second (1-15 in 5 s)" in_range $((w1 - w0)) 1 15
expect_eq "nothing ran while armed" 0 "$(lines)"
expect_contains "status says the show is armed" "running (armed)" "$("$SHOWGUARD" status b 2>&1)"
expect_contains "... and so does its JSON" '"phase":"armed"' "$("$SHOWGUARD" status b --json 2>&1 | tr -d ' ')"

press
check "a press starts the show" wait_state b running "$guard"
expect_sim_value "the LED is on while it runs" 0 1
check "/proc/locks: the lock is held while running" lock_held_by b "$guard"
sleep 1
check "the show stamps its time" [ "$(lines)" -gt 3 ]

press
check "a press stops the show" wait_state b stopping "$guard"
press
set -- $(sample 0 1)
diag "stopping LED: lit $1 cs, dark $2 cs, $3 changes"
check "the LED flashes while it stops (lit and dark within 1 s)" both_positive "$1" "$2"
check "after the stop the guard is armed again" wait_state b armed "$guard"
expect_contains "the press while stopping was ignored" "pressed while the show stopped: ignored" "$(cat /tmp/guard.out)"
sleep 1
expect_eq "still armed: that press did not start the show" armed \
    "$(sed -n 's/^state=//p' "$LOCKS/b.state")"
before="$(lines)"
check "the LED shows armed again" armed_pattern
expect_eq "nothing ran between the presses (the show's stamps stopped)" "$before" "$(lines)"
check "/proc/locks: the lock is still held, armed" lock_held_by b "$guard"

# --- bounces: one bouncy press is one press -------------------------------------------
n="$(presses)"
bouncy_down
sleep 0.3
bouncy_up
wait_state b running "$guard" || { diag "the guard's log:"; tail -n 30 /tmp/guard.out | sed 's/^/#   /'; }
check "a bouncy press starts the show" wait_state b running "$guard"
sleep 1
expect_eq "... counted as one press" $((n + 1)) "$(presses)"
expect_eq "... and the show still runs" running "$(sed -n 's/^state=//p' "$LOCKS/b.state")"
expect_sim_value "the LED is on" 0 1

# --- a long press stops and exits -----------------------------------------------------
down
check "a long press stops the show" wait_state b stopping "$guard"
up
wait "$guard"
expect_eq "the guard exits 80 (stopped by the button)" 80 "$?"
expect_eq "the LED is off" 0 "$(sim_value 0)"
check "/proc/locks: the lock is free" lock_free b
expect_contains "the button line is released" "unused" "$(line_info 1)"
last="$(tail -n 1 "$SHOWLOG")"
sleep 0.5
expect_eq "the show ran no more after the guard exited" "$last" "$(tail -n 1 "$SHOWLOG")"

# --- a long press while armed exits at once -------------------------------------------
"$SHOWGUARD" --show b --button "$BUTTON" --button-hold 1s -- /tmp/show.sh >/tmp/guard.out 2>&1 &
guard=$!
check "armed again" wait_state b armed "$guard"
down
wait "$guard"
expect_eq "a long press while armed exits 80" 80 "$?"
up
check "/proc/locks: the lock is free" lock_free b

# --- --button-action stop ---------------------------------------------------------------
rm -f "$SHOWLOG"
"$SHOWGUARD" --show b --button "$BUTTON" --button-action stop -- /tmp/show.sh >/tmp/guard.out 2>&1 &
guard=$!
check "with action stop the show starts at once" wait_state b running "$guard"
press
wait "$guard"
expect_eq "a press stops it and the guard exits 80" 80 "$?"

# --- --button-action restart ------------------------------------------------------------
rm -f "$SHOWLOG"
"$SHOWGUARD" --show b --button "$BUTTON" --button-action restart -- /tmp/show.sh >/tmp/guard.out 2>&1 &
guard=$!
check "with action restart the show starts at once" wait_state b running "$guard"
press
check "a press stops it" wait_state b stopping "$guard"
check "... and starts it again" wait_state b running "$guard"
expect_eq "... one restart in the record" 1 "$(sed -n 's/^restarts=//p' "$LOCKS/b.state")"
check "/proc/locks: the lock stayed with the guard" lock_held_by b "$guard"
kill -TERM "$guard"
wait "$guard"
expect_eq "SIGTERM still stops it the usual way (the show's own status: its trap exits 0)" 0 "$?"

# --- --button-required, a busy line ---------------------------------------------------
gpiomon "$SIM_CHIP" 1 >/dev/null 2>&1 &
mon=$!
sleep 0.5
out="$("$SHOWGUARD" --show b --button "$BUTTON" --button-required -- touch /tmp/started 2>&1)"
expect_eq "a busy button line with --button-required exits 69" 69 "$?"
expect_contains "... naming the line" "button gpio:GPIO22 cannot be used: line GPIO22" "$out"
check "... and the show did not start" [ ! -e /tmp/started ]
kill "$mon"
wait "$mon" 2>/dev/null

# --- button-test ------------------------------------------------------------------------
"$SHOWGUARD" button-test --button "$BUTTON" >/tmp/bt.out 2>&1 &
bt=$!
sleep 1
press
sleep 0.5
kill -INT "$bt"
wait "$bt"
out="$(cat /tmp/bt.out)"
expect_contains "button-test prints the press" " pressed" "$out"
expect_contains "... and the release with how long it was held" " released after " "$out"
expect_contains "... and calls it a press" "=> press" "$out"

finish
