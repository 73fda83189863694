#!/usr/bin/env bash
# The real-systemd tier for showguard: a showguard .deb, a small setup package (show starcourt's
# config, its program, a gpio-sim chip with a GPIO17 line made at boot, showguard@starcourt enabled),
# both installed with apt into a VM root of the suite and booted under its systemd and stock kernel
# with the gpio-sim module from the kernel tier, and showguard.vm.sh run inside.
#
#   bash tests/systemd/run-showguard-vm.sh [--suite bookworm|trixie] [--deb FILE] [run-vm.sh options]
#
# bookworm (default): the package of the host build (build/, or SHOWGUARD_BUILD_DIR), made with CPack.
# trixie (Debian 13, systemd 257, kernel 6.12): the release package, which links libgpiod 2.x in
# (build-release/packages/showguard_*_amd64.deb, as the package tier leaves it), or --deb FILE.
# Extra arguments go to run-vm.sh (--verbose, --keep...).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${SHOWGUARD_BUILD_DIR:-$top/build}
suite=bookworm
deb=""
args=()
while (($#)); do
	case $1 in
	--suite | --deb)
		(($# >= 2)) || { echo "$1 needs a value" >&2; exit 2; }
		if [[ $1 == --suite ]]; then suite=$2; else deb=$2; fi
		shift 2
		;;
	*) args+=("$1") && shift ;;
	esac
done
work=$(mktemp -d "${TMPDIR:-/tmp}/showguard-vm.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The package under test, as CPack makes it for users.
if [[ -z $deb && $suite == bookworm ]]; then
	[[ -f $build/CMakeCache.txt ]] || bash "$top/scripts/build.sh" "$build" -DCMAKE_INSTALL_PREFIX=/usr
	cmake --build "$build"
	(cd "$build" && cpack -B "$work/packages" >/dev/null)
	deb=$(ls "$work"/packages/showguard_*_amd64.deb)
elif [[ -z $deb ]]; then
	deb=$(ls "$top"/build-release/packages/showguard_*_amd64.deb 2>/dev/null | tail -n 1) ||
		{ echo "no build-release/packages/showguard_*_amd64.deb for $suite: run the package tier first, or give --deb FILE" >&2; exit 1; }
fi
[[ -r $deb ]] || { echo "$deb: not readable" >&2; exit 1; }
echo "showguard-vm: $suite VM with $(basename "$deb")"

# gpio-sim for the VM's stock kernel; the kernel tier builds and caches it.
module_dir=$(bash "$top/tests/kernel/build-gpio-sim.sh" --arch amd64 --suite "$suite" | tail -n 1)
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
	--suite "$suite" --test "$here/showguard.vm.sh" --timeout "${SHOWGUARD_VM_TIMEOUT:-900}" ${args[@]+"${args[@]}"}
