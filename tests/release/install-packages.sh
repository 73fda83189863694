#!/usr/bin/env bash
# The release tier: each package installed with apt, as a user installs it
# (`apt install ./showguard_VERSION_ARCH.deb`, Recommends included), into fresh minimal roots of
# Debian 12 (bookworm) and Debian 13 (trixie), then checked there by check-installed.sh: where
# its files went, `boards`, a show run, a refusal, `status`, `stop`, and the etcd backend against
# an etcd on this machine's loopback. amd64 runs natively in a chroot; arm64 and armhf run
# through qemu-user-static and binfmt_misc (maintainer scripts, apt and the guard itself).
#
#   bash tests/release/install-packages.sh [--suites "bookworm trixie"] DEB...
#
# The roots are made once with debootstrap and cached as tarballs (tests/release/lib.sh);
# every run installs into a fresh copy. Suites run in parallel. Prints per root the checks and
# "N passed, M failed".
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"

suites="bookworm trixie"
while (($#)); do
	case $1 in
	--suites) suites=$2; shift 2 ;;
	--) shift; break ;;
	-*) echo "usage: $0 [--suites LIST] DEB..." >&2; exit 64 ;;
	*) break ;;
	esac
done
(($#)) || { echo "install-packages: no package given" >&2; exit 64; }

work=$(mktemp -d "${TMPDIR:-/tmp}/showguard-release.XXXXXX")
etcd_pid=
cleanup() {
	local rc=$?
	if [[ -n $etcd_pid ]]; then
		kill "$etcd_pid" 2>/dev/null || true
		wait "$etcd_pid" 2>/dev/null || true
	fi
	release_cleanup "$work"/root-*
	rm -rf "$work"
	exit $rc
}
trap cleanup EXIT

# One etcd member on free loopback ports for every root (they share this machine's network).
etcd_url=
if ! command -v etcd >/dev/null || ! command -v etcdctl >/dev/null; then
	apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 etcd-server etcd-client >&2
fi
read -r client peer < <(python3 -c 'import socket
s=[socket.socket() for _ in range(2)]
[x.bind(("127.0.0.1", 0)) for x in s]
print(*[x.getsockname()[1] for x in s])')
etcd_url=http://127.0.0.1:$client
etcd --name release --data-dir "$work/etcd" --listen-client-urls "$etcd_url" --advertise-client-urls "$etcd_url" \
	--listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
	--initial-cluster "release=http://127.0.0.1:$peer" >"$work/etcd.log" 2>&1 &
etcd_pid=$!
for _ in $(seq 100); do ETCDCTL_API=3 etcdctl --endpoints "$etcd_url" endpoint health >/dev/null 2>&1 && break; sleep 0.2; done
ETCDCTL_API=3 etcdctl --endpoints "$etcd_url" endpoint health >/dev/null 2>&1 ||
	{ echo "install-packages: etcd did not start"; cat "$work/etcd.log"; exit 1; }

# check_root SUITE DEB: a fresh root, the package installed with apt, the checks run in it.
check_root() {
	local suite=$1 deb=$2 arch tarball root show started
	arch=$(dpkg-deb -f "$deb" Architecture)
	started=$(date +%s)
	tarball=$(release_root "$suite" "$arch") || return 1
	root=$work/root-$suite-$arch
	release_unpack "$tarball" "$root"
	cp "$deb" "$root/tmp/"
	echo "--- $suite $arch: apt install ./$(basename "$deb")"
	# The cached root's package lists may be older than the archive: update once if it fails.
	if ! release_chroot "$root" apt-get install -y -q "/tmp/$(basename "$deb")" >"$work/apt-$suite-$arch.log" 2>&1 &&
		! { release_chroot "$root" apt-get update -q && release_chroot "$root" apt-get install -y -q "/tmp/$(basename "$deb")"; } \
			>>"$work/apt-$suite-$arch.log" 2>&1; then
		cat "$work/apt-$suite-$arch.log"
		echo "0 passed, 1 failed"
		return 1
	fi
	grep -E '^(Setting up|Unpacking) (showguard|libcurl)' "$work/apt-$suite-$arch.log" || true
	cp "$here/check-installed.sh" "$root/tmp/"
	show=etcd-$suite-$arch
	# The outside look at etcd while the show runs: the show waits for the keys file.
	(
		for _ in $(seq 300); do [[ -e $root/tmp/release-etcd/started ]] && break; sleep 0.1; done
		ETCDCTL_API=3 etcdctl --endpoints "$etcd_url" get --prefix --keys-only "/showguard/locks/$show/" \
			>"$root/tmp/release-etcd/keys.tmp" 2>&1
		mv "$root/tmp/release-etcd/keys.tmp" "$root/tmp/release-etcd/keys"
	) &
	local rc=0
	release_chroot "$root" bash /tmp/check-installed.sh "$etcd_url" "$show" || rc=$?
	wait
	echo "--- $suite $arch: $(($(date +%s) - started))s"
	return $rc
}

pids=()
for suite in $suites; do
	(
		rc=0
		for deb in "$@"; do check_root "$suite" "$deb" || rc=1; done
		exit $rc
	) >"$work/$suite.log" 2>&1 &
	pids+=($!)
done
rc=0
i=0
for suite in $suites; do
	wait "${pids[i]}" || rc=1
	echo "=== $suite"
	cat "$work/$suite.log"
	i=$((i + 1))
done
exit $rc
