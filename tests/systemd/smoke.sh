#!/usr/bin/env bash
# Smoke test of the systemd VM tier, without showguard: builds a throwaway package with a templated
# unit demo@.service (enabled for demo@x by a multi-user.target.wants symlink it ships), boots it
# with run-vm.sh and runs smoke.vm.sh inside. Extra arguments go to run-vm.sh (--verbose, --timeout...).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/showguard-smoke.XXXXXX")
trap 'rm -rf "$work"' EXIT

pkg=$work/showguard-vm-demo
mkdir -p "$pkg/DEBIAN" "$pkg/lib/systemd/system" "$pkg/etc/systemd/system/multi-user.target.wants"
cat >"$pkg/DEBIAN/control" <<'CONTROL'
Package: showguard-vm-demo
Version: 1.0
Architecture: all
Maintainer: showguard developers <root@localhost>
Description: throwaway templated service for the showguard systemd-tier smoke test
CONTROL
cat >"$pkg/lib/systemd/system/demo@.service" <<'UNIT'
[Unit]
Description=Demo show %i

[Service]
ExecStart=/bin/sleep infinity

[Install]
WantedBy=multi-user.target
UNIT
ln -s /lib/systemd/system/demo@.service "$pkg/etc/systemd/system/multi-user.target.wants/demo@x.service"
dpkg-deb --build --root-owner-group "$pkg" "$work/showguard-vm-demo_1.0_all.deb" >/dev/null

"$here/run-vm.sh" --deb "$work/showguard-vm-demo_1.0_all.deb" --test "$here/smoke.vm.sh" "$@"
