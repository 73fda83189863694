#!/usr/bin/env bash
# The etcd tier: the etcd lock backend against a real three-member etcd
# cluster on loopback ports (tests/etcd/test_failover.py): failover after
# SIGKILL, a dead guard's lease revoked by led-reset, partition (fencing),
# partition while the holder's stderr is stalled, the leader killed at
# random moments (TTL 10s and 7s), quorum lost and regained, rounds of
# random kills. Installs etcd from Debian if missing, builds the
# host binary into build/, and leaves nothing running: the cluster's members
# run in their own process groups and are killed on the way out, the data
# dirs are in a temp dir that is removed.
#   ETCD_ROUNDS=N   rounds of random kills (default 12)
#   ETCD_LEADER_KILLS=N   leader kills per TTL (default 20)
#   SLOW=F   widens the led-reset bound (default 1)
# prepare: --prepare only installs etcd (scripts/test.sh does that ahead).
#   ETCD_SCENARIOS=partition,failover   only those scenarios
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for p in etcd-server etcd-client; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
	echo "test-etcd: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 "${missing[@]}" ||
		{ apt-get update -q || true; apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 "${missing[@]}"; }
fi
# Debian's package starts a member on the default ports where systemd runs;
# the tests use their own ports and never talk to it.
[[ ${1:-} != --prepare ]] || exit 0

bash scripts/build.sh build >/dev/null
SHOWGUARD=$PWD/build/src/showguard timeout 900 python3 tests/etcd/test_failover.py
