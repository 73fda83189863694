#!/usr/bin/env bash
# The real-systemd tier for showguard: builds the .deb of the host build (build/), a small setup
# package (show starcourt's config, its program, a gpio-sim chip with a GPIO17 line made at boot,
# showguard@starcourt enabled), boots both under systemd with the gpio-sim module from the kernel
# tier, and runs showguard.vm.sh inside. Extra arguments go to run-vm.sh (--verbose, --keep...).
#
#   bash tests/systemd/run-showguard-vm.sh
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${SHOWGUARD_BUILD_DIR:-$top/build}
work=$(mktemp -d "${TMPDIR:-/tmp}/showguard-vm.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The package under test, as CPack makes it for users.
[[ -f $build/CMakeCache.txt ]] || bash "$top/scripts/build.sh" "$build" -DCMAKE_INSTALL_PREFIX=/usr
cmake --build "$build"
(cd "$build" && cpack -B "$work/packages" >/dev/null)
deb=$(ls "$work"/packages/showguard_*_amd64.deb)

# gpio-sim for the VM's stock kernel; the kernel tier builds and caches it.
module_dir=$(bash "$top/tests/kernel/build-gpio-sim.sh" --arch amd64 | tail -n 1)
module=$(find "$module_dir" -name 'gpio-sim.ko' | head -n 1)
[[ -f $module ]] || { echo "no gpio-sim.ko under $module_dir" >&2; exit 1; }

pkg=$work/showguard-vm-setup
mkdir -p "$pkg/DEBIAN" "$pkg/etc/showguard/shows" "$pkg/opt/shows/starcourt" "$pkg/lib/systemd/system" \
	"$pkg/etc/systemd/system/multi-user.target.wants" "$pkg/etc/systemd/system/showguard@starcourt.service.wants"
cat >"$pkg/DEBIAN/control" <<'CONTROL'
Package: showguard-vm-setup
Version: 1.0
Architecture: all
Maintainer: showguard developers <root@localhost>
Depends: showguard
Description: show starcourt and a simulated GPIO17 line for the showguard systemd tier
CONTROL
cat >"$pkg/etc/showguard/shows/starcourt.conf" <<'CONF'
# The show of the systemd tier: its LED on a simulated GPIO17 line.
command = /opt/shows/starcourt/run --fps 40 "--title=Star Court"
led = gpio:GPIO17
led-required = yes
kill-timeout = 10s
restart = on-failure
CONF
cat >"$pkg/opt/shows/starcourt/run" <<'SHOW'
#!/bin/sh
# A stand-in show: logs its start, runs until SIGTERM, then exits cleanly.
echo "starcourt: started with $*"
trap 'echo "starcourt: curtain"; exit 0' TERM
while :; do sleep 1 & wait $!; done
SHOW
chmod 755 "$pkg/opt/shows/starcourt/run"
cat >"$pkg/lib/systemd/system/gpio-sim-led.service" <<'UNIT'
[Unit]
Description=Simulated GPIO chip with a GPIO17 line for the status LED
DefaultDependencies=no
After=sys-kernel-config.mount systemd-modules-load.service
Before=showguard@starcourt.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'modprobe gpio-sim; d=/sys/kernel/config/gpio-sim/led; mkdir -p $d/gpio-bank0/line0 && echo 4 > $d/gpio-bank0/num_lines && echo GPIO17 > $d/gpio-bank0/line0/name && echo 1 > $d/live'
UNIT
ln -s /usr/lib/systemd/system/showguard@.service \
	"$pkg/etc/systemd/system/multi-user.target.wants/showguard@starcourt.service"
ln -s /lib/systemd/system/gpio-sim-led.service \
	"$pkg/etc/systemd/system/showguard@starcourt.service.wants/gpio-sim-led.service"
dpkg-deb --build --root-owner-group "$pkg" "$work/showguard-vm-setup_1.0_all.deb" >/dev/null

exec "$here/run-vm.sh" --deb "$deb" --deb "$work/showguard-vm-setup_1.0_all.deb" --module "$module" \
	--test "$here/showguard.vm.sh" --timeout "${SHOWGUARD_VM_TIMEOUT:-900}" "$@"
