#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# /init of the Debian guest's small initramfs (busybox sh): load the disk's drivers, mount
# the Debian root file system (/dev/vda, ext4), put this run's files (/x25lo: the job, the
# --add files) into it and hand over to systemd. vm/x25lo-vm packs this file with busybox
# and the modules (debian_initramfs); its content is part of that archive's cache key.
# When something fails here, "setup-failed" goes to ttyS3 as in the busybox guest.
export PATH=/bin
mode=run
[ -r /x25lo/mode ] && read -r mode </x25lo/mode

setup_failed() {
	if [ "$mode" = run ]; then
		echo "x25lo-vm Debian guest: $*" >/dev/ttyS2
		echo setup-failed >/dev/ttyS3
	else
		echo "x25lo-vm Debian guest: $*" >&2
	fi
	poweroff -f
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r module; do
	insmod "/lib/modules/x25lo-disk/$module" || setup_failed "insmod $module failed (see the kernel console)"
done </lib/modules/x25lo-disk/load-order
tries=0
while [ ! -b /dev/vda ]; do
	tries=$((tries + 1))
	[ "$tries" -le 200 ] || setup_failed "no /dev/vda after 10 s: the root disk did not appear"
	sleep 0.05
done
mkdir -p /newroot
mount -t ext4 -o rw,noatime /dev/vda /newroot || setup_failed "cannot mount /dev/vda (ext4)"
[ -L /newroot/sbin/init ] || [ -e /newroot/sbin/init ] || setup_failed "the root file system has no /sbin/init (systemd-sysv)"
rm -rf /newroot/x25lo
cp -a /x25lo /newroot/x25lo || setup_failed "cannot copy this run's files to the root file system"
umount /proc /sys /dev
exec switch_root /newroot /sbin/init
