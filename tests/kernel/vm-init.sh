#!/bin/busybox sh
# shellcheck shell=dash
# /init of the kernel-tier VM (busybox ash). run-vm.sh packs it into the initramfs with
# /ktest/config, the modules, the test script and lib.sh. It mounts the usual file
# systems, loads gpio-sim, runs the test between two marker lines that run-vm.sh looks
# for on the serial console, and powers the VM off.

/bin/busybox mkdir -p /proc /sys /dev /run /tmp /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

mount -t devtmpfs devtmpfs /dev
# If the initramfs had no /dev/console the kernel gave init no stdio; get it now.
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp
ln -s /proc/self/fd /dev/fd

# shellcheck source=/dev/null # written by run-vm.sh
. /ktest/config

halt_vm() {
    sync
    # The console is written through the tty layer; give the UART a moment to send the
    # last lines before the machine goes away.
    sleep 0.2
    poweroff -f
}

setup_failed() {
    echo
    echo "==ktest-setup-failed== $*"
    dmesg | tail -n 30
    halt_vm
}

while read -r ko; do
    insmod "/ktest/modules/$ko" || setup_failed "insmod $ko"
done </ktest/modules/order
# (Debian's busybox-static has no mountpoint applet.)
grep -q ' /sys/kernel/config configfs ' /proc/mounts \
    || mount -t configfs configfs /sys/kernel/config || setup_failed "mount configfs"
[ -d /sys/kernel/config/gpio-sim ] || setup_failed "no /sys/kernel/config/gpio-sim after insmod"

hostname ktest
export SHOWGUARD=/bin/showguard HOME=/root TMPDIR=/tmp KTEST_ARCH KTEST_KERNEL
mkdir -p /root
cd /ktest || setup_failed "no /ktest"

# The blank line ends whatever the firmware left unterminated on the console.
echo
echo "==ktest-begin== $KTEST_SCRIPT on $KTEST_KERNEL ($KTEST_ARCH)"
sh "/ktest/$KTEST_SCRIPT" </dev/null 2>&1
rc=$?
echo "==ktest-end== rc=$rc"
# Everything below the end marker only reaches the saved console log.
echo "--- dmesg ---"
dmesg
halt_vm
