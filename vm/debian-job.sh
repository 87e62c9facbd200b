#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The Debian guest's side of x25lo-vm debian-run and debian-shell, run by systemd once the
# system is up (x25lo-vm-job.service or x25lo-vm-shell.service, pulled in by the kernel
# command line's systemd.wants=). vm/x25lo-vm installs it in the guest's image as
# /usr/local/lib/x25lo-vm/debian-job.sh.
#   run:   the job (/x25lo/job) as root in /root, stdout to ttyS1, stderr to ttyS2, then
#          "status N" (or "status timeout") to ttyS3, as the busybox guest's /init does;
#   shell: a login shell on the console (ttyS0).
# Either way the guest powers off at the end (at once: its disk is a throw-away snapshot).
export PATH=/x25lo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root
cd /root || exit 1

if [ "${1:-}" = shell ]; then
	# shellcheck disable=SC2046 # "rows R cols C": four words for stty on purpose
	[ -r /x25lo/termsize ] && stty $(cat /x25lo/termsize) 2>/dev/null
	echo "x25lo-vm: Debian $(cat /etc/debian_version) with systemd, X.25 ready (modprobe x25). Files added are in /x25lo."
	echo "x25lo-vm: 'exit' powers off; Ctrl-A X kills the VM."
	bash -l
	systemctl poweroff --force --force
	exit 0
fi

for port in 1 2 3; do
	if ! stty -F /dev/ttyS$port raw -echo; then
		echo setup-failed >/dev/ttyS3
		systemctl poweroff --force --force
	fi
done

# The processes of this unit: its cgroup (v2).
procs=/sys/fs/cgroup$(sed -n 's/^0:://p' /proc/self/cgroup)/cgroup.procs

# Show what a hung job is doing before the host's timeout kills the VM, then stop it.
watchdog() {
	sleep "$1"
	{
		echo "x25lo-vm guest: the job is still running after $1 s; killing it. Processes:"
		ps -eo pid,stat,wchan:32,args
		echo "/proc/net/x25/socket:"
		cat /proc/net/x25/socket
	} >/dev/ttyS2 2>&1
	: >/run/x25lo-vm-timed-out
	kill -KILL "$2"
}

sh /x25lo/job </dev/null >/dev/ttyS1 2>/dev/ttyS2 &
job=$!
deadline=
[ -r /x25lo/deadline ] && read -r deadline </x25lo/deadline
watchdog_pid=
if [ -n "$deadline" ]; then
	watchdog "$deadline" "$job" &
	watchdog_pid=$!
fi
wait "$job"
status=$?
[ -n "$watchdog_pid" ] && kill "$watchdog_pid" 2>/dev/null
[ -e /run/x25lo-vm-timed-out ] && status=timeout
# What the job left running in this unit keeps ttyS1 and ttyS2 open; a serial port's last
# close waits until its output is sent, so once they are gone, all output has left.
# (Services the job started run in their own units and write to the journal.)
tries=0
while [ "$tries" -lt 200 ]; do
	busy=
	while read -r pid; do
		[ "$pid" = $$ ] && continue
		busy=1
		kill -KILL "$pid" 2>/dev/null
	done <"$procs"
	[ -z "$busy" ] && break
	tries=$((tries + 1))
	sleep 0.05
done
echo "status $status" >/dev/ttyS3
systemctl poweroff --force --force
