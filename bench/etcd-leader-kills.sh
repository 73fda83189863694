#!/usr/bin/env bash
# The etcd leader-kill run of issue-sized length: the leader (the holder's
# first endpoint) killed 20 times at random moments of the renewal cycle at
# the default TTL (10 s) and 20 times at the smallest TTL the README names
# (7 s); the show must never be interrupted. About 2.5 minutes; the etcd
# tier (scripts/test-etcd.sh) runs the same in CI; this runs it alone, for
# more kills or other seeds. Figures: bench/README.md, "etcd failover".
#   ETCD_LEADER_KILLS=N (default 20)  ETCD_SEED=N (default 9)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/test-etcd.sh --prepare
bash scripts/build.sh build >/dev/null
SHOWGUARD=$PWD/build/src/showguard ETCD_SCENARIOS=leader_kill_rounds ETCD_LEADER_KILLS=${ETCD_LEADER_KILLS:-20} \
	timeout 1800 python3 tests/etcd/test_failover.py
