#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# debian-setup.sh ROOT: makes the Debian root file system mmdebstrap has just built in ROOT
# a test guest (mmdebstrap's --customize-hook, on the host, as root). vm/x25lo-vm's Debian
# guest (debian_rootfs); this file's content is part of the root file system's cache key.
# The guest boots from a throw-away snapshot of the disk, with no network and no display.
set -eu
root=$1

echo x25lo-debian >"$root/etc/hostname"
cat >"$root/etc/hosts" <<'EOF'
127.0.0.1	localhost
127.0.1.1	x25lo-debian
::1	localhost ip6-localhost ip6-loopback
EOF
# The initramfs mounts the root read-write, and nothing else is to be mounted. Without a
# root line systemd neither waits for udev to announce the disk nor remounts it.
echo '# / is /dev/vda, mounted read-write by the initramfs of x25lo-vm' >"$root/etc/fstab"
# root logs in without a password (debian-shell; there is no network to log in from).
sed -i 's/^root:[^:]*:/root::/' "$root/etc/shadow"
# One fixed machine id: every boot of this image is the same machine, and not a "first
# boot" (systemd-firstboot would ask questions on the console).
tr -d '-' </proc/sys/kernel/random/uuid >"$root/etc/machine-id"

# Units a short-lived test guest without a display does without (each process costs time
# under emulation): timers that would start apt, e2scrub, fstrim or a dpkg backup during a
# test; gettys on tty1-6 (no VGA; the console, ttyS0, is the kernel's log, and x25lo-vm's
# shell unit puts a shell there when asked); file systems and modules nothing here uses.
for unit in apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer \
	e2scrub_reap.service fstrim.timer getty@tty1.service getty-static.service \
	dev-hugepages.mount sys-kernel-debug.mount sys-kernel-tracing.mount sys-kernel-config.mount \
	sys-fs-fuse-connections.mount modprobe@dm_mod.service modprobe@efi_pstore.service \
	modprobe@loop.service modprobe@fuse.service modprobe@drm.service modprobe@configfs.service; do
	ln -sf /dev/null "$root/etc/systemd/system/$unit"
done
# udev: devtmpfs already has every device node the guest uses (/dev/vda, /dev/ttyS*,
# /dev/net/tun once tun is loaded), and nothing waits for a device unit; udev's start and
# its coldplug of every device cost about a third of the emulated boot. A job that wants it:
#   systemctl unmask systemd-udevd.service systemd-udev-trigger.service ...; systemctl start ...
# The utmp records (who is logged in, the runlevel) are for logins, which there are none.
for unit in systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket \
	systemd-udev-trigger.service systemd-udev-settle.service \
	systemd-update-utmp.service systemd-update-utmp-runlevel.service; do
	ln -sf /dev/null "$root/etc/systemd/system/$unit"
done
# The journal in memory (/run/log/journal): nothing to flush to the disk at boot, and the
# disk is thrown away anyway.
mkdir -p "$root/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=volatile\n' >"$root/etc/systemd/journald.conf.d/x25lo-vm.conf"
