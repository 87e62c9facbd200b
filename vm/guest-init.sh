#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# PID 1 of an x25lo-vm guest (busybox sh): make X.25 ready, run the job, power off.
# vm/x25lo-vm copies this file into the cached base initramfs as /init; the cache key
# covers its content, so an edit here takes effect on the next run.
# Run mode: the job's stdout/stderr go to ttyS1/ttyS2 and "status N" (or
# "setup-failed") to ttyS3; the kernel console stays on ttyS0.
export PATH=/x25lo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root
mode=run
[ -r /x25lo/mode ] && read -r mode </x25lo/mode

setup_failed() {
	if [ "$mode" = run ]; then
		echo "x25lo-vm guest: $*" >/dev/ttyS2
		echo setup-failed >/dev/ttyS3
	else
		echo "x25lo-vm guest: $*" >&2
	fi
	poweroff -f
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /tmp /root /run
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
# Raw ports, or the tty layer turns \n into \r\n and echoes.
if [ "$mode" = run ]; then
	for port in 1 2 3; do
		stty -F /dev/ttyS$port raw -echo || setup_failed "cannot set /dev/ttyS$port raw"
	done
fi
hostname x25lo-vm
while read -r module; do
	insmod "/lib/modules/x25lo/$module" || setup_failed "insmod $module failed (see the kernel console)"
done </lib/modules/x25lo/load-order
ip link set lo up || setup_failed "cannot bring up lo"
# Forwarding between X.25 interfaces would let the kernel answer calls itself.
echo 0 >/proc/sys/net/x25/x25_forward || setup_failed "cannot write /proc/sys/net/x25/x25_forward"
read -r forward </proc/sys/net/x25/x25_forward
[ "$forward" = 0 ] || setup_failed "net.x25.x25_forward is $forward, expected 0"
cd /root || setup_failed "cannot cd to /root"

if [ "$mode" = shell ]; then
	# shellcheck disable=SC2046 # "rows R cols C": four words for stty on purpose
	[ -r /x25lo/termsize ] && stty -F /dev/ttyS0 $(cat /x25lo/termsize) 2>/dev/null
	echo "x25lo-vm: X.25 ready (cat /proc/net/x25/route). Project programs are in /x25lo/bin."
	echo "x25lo-vm: 'exit' powers off; Ctrl-A X kills the VM."
	setsid cttyhack sh -l
	poweroff -f
fi

# Show what a hung job is doing before the host's timeout kills the VM.
watchdog() {
	sleep "$1"
	{
		echo "x25lo-vm guest: the job is still running after $1 s; killing it. Processes (pid state wchan command):"
		for dir in /proc/[0-9]*; do
			read -r line <"$dir/stat" 2>/dev/null || continue
			# shellcheck disable=SC2086 # split the fields after "(comm) " on purpose
			set -- ${line##*) }
			[ "$2" = 0 ] || [ "$2" = 2 ] && continue
			printf '  %s %s %s %s\n' "${dir#/proc/}" "$1" "$(cat "$dir/wchan" 2>/dev/null)" \
				"$(tr '\0' ' ' <"$dir/cmdline" 2>/dev/null)"
		done
		echo "/proc/net/x25/socket:"
		cat /proc/net/x25/socket
	} >/dev/ttyS2 2>&1
	: >/tmp/x25lo-vm-timed-out
	kill -KILL -1
}
sh /x25lo/job </dev/null >/dev/ttyS1 2>/dev/ttyS2 &
job=$!
deadline=
[ -r /x25lo/deadline ] && read -r deadline </x25lo/deadline
[ -n "$deadline" ] && watchdog "$deadline" &
wait $job
status=$?
[ -e /tmp/x25lo-vm-timed-out ] && status=timeout
# Programs the job left running keep ttyS1/ttyS2 open. A serial port's last
# close waits until its output is sent, so kill them and wait (bounded) until
# only kernel threads and zombies remain: then all output has left the guest.
kill -KILL -1 2>/dev/null
tries=0
while [ $tries -lt 200 ]; do
	busy=""
	for stat in /proc/[0-9]*/stat; do
		read -r line <"$stat" 2>/dev/null || continue
		# shellcheck disable=SC2086 # split the stat fields on purpose: pid, then those after "(comm) "
		set -- $line
		[ "$1" = 1 ] && continue
		# shellcheck disable=SC2086
		set -- ${line##*) }
		[ "$1" = Z ] || [ "$2" = 0 ] || [ "$2" = 2 ] || busy=1
	done
	[ -z "$busy" ] && break
	tries=$((tries + 1))
	sleep 0.05
done
echo "status $status" >/dev/ttyS3
poweroff -f
