#!/usr/bin/env bash
# A demo show under the guard: it takes the lock of show "demo", a second
# start is refused naming the holder, and the lock is free once it ends.
set -euo pipefail
showguard=${1:-showguard}
lock_dir=$(mktemp -d /tmp/showguard-demo.XXXXXX)
chmod 755 "$lock_dir"
trap 'rm -rf "$lock_dir"' EXIT
show="$(dirname "$0")/demo-show"

echo "== starting show 'demo' under the guard, its status LED simulated on the terminal (lock dir $lock_dir)"
"$showguard" --show demo --lock-dir "$lock_dir" --led term -- "$show" 6 &
guard=$!
sleep 1

echo "== a second start of the same show is refused at once:"
set +e
"$showguard" --show demo --lock-dir "$lock_dir" --led term -- "$show" 6
echo "   (exit status $?)"
echo "== util-linux flock sees the lock held:"
flock -n "$lock_dir/demo.lock" true
echo "   flock -n exit status $? (1 = busy)"

wait "$guard"
echo "== the show ended with status $?; the lock is free again:"
flock -n "$lock_dir/demo.lock" true
echo "   flock -n exit status $? (0 = free)"
