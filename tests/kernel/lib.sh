# shellcheck shell=sh
# Helpers for test scripts that run inside the kernel-tier VM (busybox ash; POSIX sh).
#
# Source it from a test script with:   . "${0%/*}/lib.sh"
# (run-vm.sh puts the script and this file side by side in /ktest.)
#
# Results:
#   check DESC CMD [ARG...]            ok if CMD succeeds
#   check_fails DESC CMD [ARG...]      ok if CMD fails
#   expect_eq DESC EXPECTED ACTUAL     ok if the two strings are equal
#   expect_contains DESC NEEDLE TEXT   ok if TEXT contains NEEDLE
#   expect_sim_value DESC OFFSET VALUE [SECONDS [CHIP]]
#                                      ok once the simulated line reads VALUE (polls)
#   diag MSG...                        a '# MSG' comment line
#   skip_all REASON                    print 'SKIP: REASON' and exit 0 (run-vm.sh -> 77)
#   finish                             print 'N passed, M failed'; status 1 unless all passed
# Each result prints 'ok - DESC' or 'not ok - DESC' (with the failing command's output
# as '#' lines). run-vm.sh passes the run only if the last line is 'N passed, 0 failed'
# with N > 0 and the script exits 0, so end every script with `finish`.
#
# gpio-sim (configfs):
#   sim_chip_create NAME NUM_LINES [LINE_NAME...]
#       makes a live simulated chip; line I gets the I-th LINE_NAME. Sets SIM_NAME,
#       SIM_DEV (platform device, e.g. gpio-sim.0), SIM_CHIP (e.g. gpiochip1: never
#       assume the number), SIM_CHIP_DEV (/dev/gpiochipN) and SIM_SYSFS. Other helpers
#       take an optional CHIP argument (a NAME given here) and default to the last one.
#   sim_value OFFSET [CHIP]            prints 0/1: the value the line's consumer drives,
#                                      or the simulated pull if no one drives it
#   sim_pull OFFSET pull-up|pull-down [CHIP]
#   sim_wait_value OFFSET VALUE [SECONDS [CHIP]]   polls until equal; status 1 on timeout
#   sim_chip_remove NAME

_ktest_passed=0
_ktest_failed=0
_ktest_tmp="${TMPDIR:-/tmp}/ktest.$$"
mkdir -p "$_ktest_tmp"

_ktest_ok() {
    _ktest_passed=$((_ktest_passed + 1))
    echo "ok - $1"
}

_ktest_not_ok() {
    _ktest_failed=$((_ktest_failed + 1))
    echo "not ok - $1"
}

# Prints FILE's lines as '#   ' comment lines (at most 40).
_ktest_indent() {
    [ -s "$1" ] || return 0
    head -n 40 "$1" | sed 's/^/#   /'
}

diag() {
    echo "# $*"
}

check() {
    _desc="$1"
    shift
    if "$@" >"$_ktest_tmp/out" 2>&1; then
        _ktest_ok "$_desc"
    else
        _rc=$?
        _ktest_not_ok "$_desc"
        echo "#   command: $* (exit $_rc)"
        _ktest_indent "$_ktest_tmp/out"
    fi
}

check_fails() {
    _desc="$1"
    shift
    if "$@" >"$_ktest_tmp/out" 2>&1; then
        _ktest_not_ok "$_desc"
        echo "#   command succeeded but should have failed: $*"
        _ktest_indent "$_ktest_tmp/out"
    else
        _ktest_ok "$_desc"
    fi
}

expect_eq() {
    if [ "$2" = "$3" ]; then
        _ktest_ok "$1"
    else
        _ktest_not_ok "$1"
        echo "#   expected: '$2'"
        echo "#   actual:   '$3'"
    fi
}

expect_contains() {
    case "$3" in
        *"$2"*) _ktest_ok "$1" ;;
        *)
            _ktest_not_ok "$1"
            echo "#   expected to contain: '$2'"
            printf '%s\n' "$3" | head -n 40 | sed 's/^/#   actual: /'
            ;;
    esac
}

skip_all() {
    echo "SKIP: $*"
    exit 0
}

finish() {
    rm -rf "$_ktest_tmp"
    echo "$_ktest_passed passed, $_ktest_failed failed"
    [ "$_ktest_failed" -eq 0 ] && [ "$_ktest_passed" -gt 0 ]
}

# --- gpio-sim ----------------------------------------------------------------------------

SIM_CONFIGFS="${SIM_CONFIGFS:-/sys/kernel/config/gpio-sim}"
_sim_state="${TMPDIR:-/tmp}/ktest-gpio-sim"

# _sim_sysfs [CHIP]: the sysfs directory of CHIP (default: the last chip created).
_sim_sysfs() {
    if [ -n "${1:-}" ]; then
        cat "$_sim_state/$1" || {
            echo "gpio-sim chip '$1' was not made by sim_chip_create" >&2
            return 1
        }
    else
        [ -n "${SIM_SYSFS:-}" ] || {
            echo "no gpio-sim chip yet: call sim_chip_create first" >&2
            return 1
        }
        echo "$SIM_SYSFS"
    fi
}

sim_chip_create() {
    if [ $# -lt 2 ]; then
        echo "usage: sim_chip_create NAME NUM_LINES [LINE_NAME...]" >&2
        return 2
    fi
    _name="$1"
    _num="$2"
    shift 2
    _dir="$SIM_CONFIGFS/$_name"
    [ -d "$SIM_CONFIGFS" ] || {
        echo "$SIM_CONFIGFS missing: is configfs mounted and gpio-sim loaded?" >&2
        return 1
    }
    mkdir "$_dir" "$_dir/gpio-bank0" || return 1
    echo "$_num" >"$_dir/gpio-bank0/num_lines" || return 1
    _i=0
    for _line in "$@"; do
        mkdir "$_dir/gpio-bank0/line$_i" || return 1
        echo "$_line" >"$_dir/gpio-bank0/line$_i/name" || return 1
        _i=$((_i + 1))
    done
    echo 1 >"$_dir/live" || return 1
    SIM_NAME="$_name"
    SIM_DEV="$(cat "$_dir/dev_name")"
    SIM_CHIP="$(cat "$_dir/gpio-bank0/chip_name")"
    SIM_CHIP_DEV="/dev/$SIM_CHIP"
    SIM_SYSFS="/sys/devices/platform/$SIM_DEV/$SIM_CHIP"
    mkdir -p "$_sim_state"
    echo "$SIM_SYSFS" >"$_sim_state/$_name"
    [ -c "$SIM_CHIP_DEV" ] || {
        echo "$SIM_CHIP_DEV did not appear" >&2
        return 1
    }
    export SIM_NAME SIM_DEV SIM_CHIP SIM_CHIP_DEV SIM_SYSFS
}

sim_chip_remove() {
    _dir="$SIM_CONFIGFS/$1"
    echo 0 >"$_dir/live" || return 1
    for _l in "$_dir"/gpio-bank0/line*; do
        [ -d "$_l" ] && rmdir "$_l"
    done
    rmdir "$_dir/gpio-bank0" "$_dir" || return 1
    rm -f "$_sim_state/$1"
    if [ "${SIM_NAME:-}" = "$1" ]; then
        unset SIM_NAME SIM_DEV SIM_CHIP SIM_CHIP_DEV SIM_SYSFS
    fi
}

sim_value() {
    _s="$(_sim_sysfs "${2:-}")" || return 1
    cat "$_s/sim_gpio$1/value"
}

sim_pull() {
    _s="$(_sim_sysfs "${3:-}")" || return 1
    echo "$2" >"$_s/sim_gpio$1/pull"
}

# Polls every 50 ms: a consumer that was just started needs a moment to request its line.
sim_wait_value() {
    _tries=$(( ${3:-5} * 20 ))
    while :; do
        _v="$(sim_value "$1" "${4:-}")" || return 1
        [ "$_v" = "$2" ] && return 0
        _tries=$((_tries - 1))
        [ "$_tries" -gt 0 ] || return 1
        sleep 0.05
    done
}

expect_sim_value() {
    if sim_wait_value "$2" "$3" "${4:-5}" "${5:-}"; then
        _ktest_ok "$1"
    else
        _ktest_not_ok "$1"
        echo "#   sim_gpio$2 expected $3, reads '$(sim_value "$2" "${5:-}" 2>&1)' after ${4:-5} s"
    fi
}

# --- observing the line and the guard ------------------------------------------------------

# Line I's gpioinfo row: 'line 0: "GPIO17" "showguard:a" output active-high [used]'.
line_info() {
    gpioinfo "$SIM_CHIP" 2>&1 | grep "line *$1:"
}

# sample LINE SECONDS: reads the line's value for SECONDS s and prints "LIT DARK CHANGES":
# the time it was seen lit and dark, in centiseconds of the guest kernel's clock
# (/proc/uptime; each value counts until the next look, so a sampler slowed down by a
# loaded host weighs time, not looks), and the changes seen. The shell's own `read`, no
# fork per sample, so that even a slow emulated CPU does not miss a 100 ms flash.
now_cs() { # sets _now
    read -r _up _ </proc/uptime
    _now="${_up%.*}${_up#*.}"
    while [ "${_now#0}" != "$_now" ]; do _now="${_now#0}"; done
}
sample() {
    _file="$SIM_SYSFS/sim_gpio$1/value"
    now_cs
    _end=$((_now + $2 * 100))
    _lit=0 _dark=0 _changes=0 _last="" _at=$_now
    while [ "$_now" -lt "$_end" ]; do
        read -r _v <"$_file"
        now_cs
        if [ -n "$_last" ]; then
            if [ "$_last" = 1 ]; then _lit=$((_lit + _now - _at)); else _dark=$((_dark + _now - _at)); fi
            [ "$_v" != "$_last" ] && _changes=$((_changes + 1))
        fi
        _last="$_v" _at=$_now
        sleep 0.01
    done
    echo "$_lit $_dark $_changes"
}

# Waits until the state record of guard PID says STATE (the guard rewrites it on every
# change; a SIGKILLed guard leaves its last one behind, hence the pid).
wait_state() {
    _tries=200
    until grep -q "^state=$2\$" "$LOCKS/$1.state" 2>/dev/null &&
          grep -q "^guard_pid=$3\$" "$LOCKS/$1.state" 2>/dev/null; do
        _tries=$((_tries - 1))
        [ "$_tries" -gt 0 ] || return 1
        sleep 0.05
    done
}
