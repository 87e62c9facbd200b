#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Guest test: the kernel X.25 basics x25lo is built on. AF_X25 sockets can be
# created, a TUN takes link type ARPHRD_X25 (271), and an X.25 route added to
# it shows up in /proc/net/x25/route with the values we gave.
set -eu

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

ok() {
	echo "ok: $*"
}

# expect WHAT ACTUAL EXPECTED
expect() {
	[ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
	ok "$1 = '$3'"
}

command -v x25kcheck >/dev/null || fail "x25kcheck is not on PATH (build the project and pass --build)"

[ -d /proc/net/x25 ] || fail "/proc/net/x25 is missing: x25.ko is not loaded"
expect "net.x25.x25_forward" "$(cat /proc/sys/net/x25/x25_forward)" 0

route_header="Address          Digits  Device"
expect "route table header" "$(head -n 1 /proc/net/x25/route)" "$route_header"
expect "routes before the test" "$(wc -l </proc/net/x25/route)" 1

x25kcheck socket || fail "cannot create an AF_X25 SOCK_SEQPACKET socket"
ok "socket(AF_X25, SOCK_SEQPACKET, 0)"

# x25kcheck keeps TUN x25k0 and its route alive while it runs this snapshot.
snapshot=/tmp/x25k0.snapshot
x25kcheck tun x25k0 1234 4 sh -c '
	cat /sys/class/net/x25k0/type
	cat /sys/class/net/x25k0/flags
	cat /proc/net/x25/route' >"$snapshot" || fail "x25kcheck tun failed (see above)"
sed -n 1,2p "$snapshot" | sed 's/^/  x25kcheck: /'
snap() {
	sed -n "$1p" "$snapshot"
}
expect "x25k0 link type (ARPHRD_X25)" "$(snap 3)" 271
flags=$(snap 4)
[ $((flags & 1)) = 1 ] || fail "x25k0 is not up: flags $flags"
ok "x25k0 is up (flags $flags)"
expect "route table header while routed" "$(snap 5)" "$route_header"
# The kernel pads the prefix with zeros to 15 digits (x25_route.c).
expect "route row" "$(snap 6)" "123400000000000  4       x25k0"
expect "rows while routed" "$(wc -l <"$snapshot")" 6

# Closing the TUN removes the device and with it every route via it.
[ ! -e /sys/class/net/x25k0 ] || fail "x25k0 still exists after its fd was closed"
ok "x25k0 gone after close"
expect "routes after the test" "$(wc -l </proc/net/x25/route)" 1
