#!/bin/busybox sh
# shellcheck shell=dash
# /init of the initramfs that run-vm.sh builds for each run: loads the modules listed in
# /modules.load (virtio, ext4 and any --module, dependencies first), mounts the root disk and hands
# over to systemd. Any failure powers the VM off, which ends qemu at once instead of at the timeout.
/bin/busybox --install -s /bin

fail() {
  echo "showguard-vm: initramfs: $*"
  poweroff -f
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

release=$(uname -r)
while read -r module; do
  insmod "/lib/modules/$release/$module" || fail "insmod $module failed"
done </modules.load

# virtio_blk probes the disk asynchronously.
tries=0
while [ ! -b /dev/vda ]; do
  tries=$((tries + 1))
  [ "$tries" -le 100 ] || fail "no /dev/vda after 10 s"
  sleep 0.1
done

mkdir -p /newroot
mount -t ext4 -o rw /dev/vda /newroot || fail "cannot mount /dev/vda"
umount /proc /sys
mount -o move /dev /newroot/dev
exec switch_root /newroot /sbin/init
