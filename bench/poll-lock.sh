#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A lock taken the way the sync-lock scripts users run today take it: try
# util-linux flock without waiting, and if the lock is busy, sleep 500 ms and
# try again. The reference the hand-over benchmark holds showguard's --wait
# against.
#
#   poll-lock.sh LOCKFILE PROGRAM [ARGS...]
lock=$1
shift
while :; do
	flock -n -E 99 "$lock" "$@"
	rc=$?
	[ "$rc" -ne 99 ] && exit "$rc"
	sleep 0.5
done
