#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# pair-net-setup.sh - the link of an `x25lo-vm pair` guest (busybox sh), run before its job.
# vm/x25lo-vm copies it into each guest as /x25lo/net/setup.sh, with the site's settings:
#   /x25lo/net/site      a or b
#   /x25lo/net/address   this site's address on the link, ADDRESS/PREFIXLEN (fd..::a/64)
#   /x25lo/net/peer      the other site's address
# It loads the network card's driver (/lib/modules/x25lo-net, in load-order), names the
# host after the site, brings eth0 up with the address, and returns once the address can be
# bound. Exit status 1 with a message on stderr when something fails.

fail() {
	echo "x25lo-vm pair: site ${site:-?}: $*" >&2
	exit 1
}

read -r site </x25lo/net/site || fail "no /x25lo/net/site"
read -r address </x25lo/net/address || fail "no /x25lo/net/address"
hostname "site-$site"

while read -r module; do
	insmod "/lib/modules/x25lo-net/$module" || fail "insmod $module failed (see the kernel console)"
done </lib/modules/x25lo-net/load-order

# The driver registers eth0 while it probes the card, normally before insmod returns.
tries=0
while [ ! -e /sys/class/net/eth0 ]; do
	tries=$((tries + 1))
	[ $tries -le 100 ] || fail "no eth0 10 s after loading the network driver: $(ls /sys/class/net)"
	sleep 0.1
done

# No duplicate address detection: the peer's addresses differ by construction (its own MAC
# and site number), and DAD would keep each address tentative, unusable for bind(), for a
# second or more. (busybox ip has no "nodad"; accept_dad=0 does the same for every address.)
echo 0 >/proc/sys/net/ipv6/conf/eth0/accept_dad || fail "cannot turn off DAD on eth0"
ip link set eth0 up || fail "cannot bring eth0 up"
ip -6 addr add "$address" dev eth0 || fail "cannot add $address to eth0"

# Usable once listed without "tentative" (at once without DAD; the wait is bounded anyway).
tries=0
while :; do
	shown=$(ip -6 addr show dev eth0 2>&1)
	case $shown in
	*"inet6 $address "*tentative* | *"inet6 $address "*dadfailed*) ;;
	*"inet6 $address "*) break ;;
	esac
	tries=$((tries + 1))
	[ $tries -le 100 ] || fail "the address $address is not usable on eth0 after 10 s: $shown"
	sleep 0.1
done
exit 0
