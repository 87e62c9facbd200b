# SPDX-License-Identifier: GPL-2.0-or-later
# Local programs call over XOT (issue 10 item 7): x25test calls 999001 from 127001, the kernel
# routes 999/3 to tunlbxot, x25lo opens a TCP connection to an x25stress XOT echo receiver on
# 127.0.0.1:1999 and relays the call both ways. Records from 1 byte to the largest the kernel
# reassembles come back intact at every packet size 128..4096, with the facilities both ends
# negotiated, Q bits too; on modulo 8 (extended false) and modulo 128 (extended true, window 100).
# A server given by dns_name (resolved through /etc/hosts: the guest has no DNS server) is
# looked up once; the second call uses the cache.
# The kernel's CALL REQUEST reaches the XOT peer with packet and window size explicit even for
# a caller that asks for nothing (xotpeer prints the facility field it got); an interrupt and
# its confirmation cross XOT both ways.
# Routing: a server prefix equal to a local route gets no kernel route (a warning); local
# routes win over server prefixes, also a shorter local route ("555") under a longer server
# prefix ("5550/4") to which the kernel sends the call: x25lo keeps it local.
# /sessions shows the XOT leg with its peer; x25lo's end of the connection has TCP keepalive;
# the per-peer counters count the calls.
# x25lo-vm: --timeout 900
# shellcheck source=lib.sh
. /x25lo/tests/lib.sh
# shellcheck source=stats_lib.sh
. /x25lo/tests/stats_lib.sh
# shellcheck source=xot_lib.sh
. /x25lo/tests/xot_lib.sh

STATS_PORT=8004
SERVERS='"servers": [{"prefix": "999/3", "ip": "127.0.0.1", "port": 1999},
    {"prefix": "127002/6", "ip": "127.0.0.1", "port": 1999},
    {"prefix": "5550/4", "ip": "127.0.0.1", "port": 1999},
    {"prefix": "996/3", "dns_name": "\\2.\\1.x25.test", "port": 1999}]'
# The guest has no DNS server; c-ares finds this name in /etc/hosts.
echo "127.0.0.1 001.996.x25.test" >>/etc/hosts

# packet_code BYTES: the log2 code of a packet size.
packet_code() {
	case $1 in 128) echo 7 ;; 256) echo 8 ;; 512) echo 9 ;; 1024) echo 10 ;; 2048) echo 11 ;; 4096) echo 12 ;; esac
}

for extended in false true; do
	if [ $extended = true ]; then modulo=128 window=100; else modulo=8 window=7; fi
	note "--- modulo $modulo (extended $extended), window $window ---"
	write_config '"127001","127002","555"' "\"extended\": $extended, \"xot_servers\": true" "$SERVERS"
	start_x25lo_xot 3
	wait_stats_server

	# Kernel routes: the server prefixes on tunlbxot but 127002, which is a local route.
	routes=$(cat /proc/net/x25/route)
	for want in "999000000000000  3       tunlbxot" "555000000000000  4       tunlbxot" \
		"127002000000000  6       tunlb1" "555000000000000  3       tunlb2"; do
		echo "$routes" | grep -qF "$want" || fail "no kernel route \"$want\": $routes"
	done
	[ "$(echo "$routes" | grep -c "^127002.*tunlbxot")" = 0 ] || fail "127002 must not be routed over XOT: $routes"
	log_has "the prefix 127002 is also a local route, which wins: no XOT route for it" ||
		fail "no warning about the server prefix 127002 shadowed by the local route"

	start_xot_receiver recv 1999 -W 127 -P 4096
	calls=0 messages=0
	for ps in 128 256 512 1024 2048 4096; do
		code=$(packet_code $ps)
		out=$(x25test call 999001 -s 127001 -P $ps -W $window --rcvbuf 4194304 --sndbuf 4194304 --qbit \
			--sizes 1,2,127,128,129,1000,4096,8193,32768,max --print-facilities --timeout 60) ||
			fail "echo over XOT at packet size $ps: $out"
		echo "$out" | grep -q "winsize_in=$window winsize_out=$window pacsize_in=$code pacsize_out=$code" ||
			fail "packet size $ps: facilities not negotiated end to end: $out"
		calls=$((calls + 1)) messages=$((messages + 10))
		note "packet size $ps: 10 records up to the kernel's largest, with Q bits, echoed over XOT ($(echo "$out" | tail -n 1))"
	done
	# A default call: the X.25 defaults both ways.
	out=$(x25test call 999002 -s 127001 --print-facilities --sizes 16) || fail "default call over XOT: $out"
	echo "$out" | grep -q "winsize_in=2 winsize_out=2 pacsize_in=7 pacsize_out=7" ||
		fail "a default call over XOT should get 2/128: $out"
	calls=$((calls + 1)) messages=$((messages + 1))

	# A server by dns_name: looked up once, the second call served from the cache.
	for i in 1 2; do
		out=$(x25test call 996001 -s 127001 --sizes 16,1000) || fail "call $i to the server by name: $out"
	done
	calls=$((calls + 2)) messages=$((messages + 4))
	varz_fresh
	expect_eq "dns_requests after two calls to one name" 1 "$(varz_value dns_requests)"

	# A call held open: /sessions shows its XOT leg and the peer's address.
	x25test call 999003 -s 127001 --sizes 16 --hold --ready-file /tmp/held.ready </dev/null >/tmp/held.out 2>&1 &
	held=$!
	x25test wait-file /tmp/held.ready --timeout 20 >/dev/null || fail "the held call did not connect: $(cat /tmp/held.out)"
	fetch_into SESSIONS /sessions
	note "/sessions: $SESSIONS"
	for part in '"calling": "127001", "called": "999003"' '"caller": {"tun": "tunlbxot", "lci": 1, "state": "open"' \
		'"callee": {"xot": "xot0", "peer": "127.0.0.1:1999", "lci": 1, "state": "open"'; do
		printf '%s\n' "$SESSIONS" | grep -qF "$part" || fail "/sessions lacks $part"
	done
	# TCP keepalive on x25lo's end (to port 1999), not on the receiver's.
	keepalive_on 1999 remote || fail "no keepalive timer on x25lo's XOT connection: $(cat /proc/net/tcp)"
	! keepalive_on 1999 local || fail "the receiver's end should have no keepalive timer"
	varz_fresh
	expect_eq "xot_connections with a call up" 1 "$(varz_value xot_connections)"
	expect_eq "xot_peer_connections_active" 1 "$(varz_value xot_peer_connections_active 127.0.0.1)"
	kill -TERM "$held"
	wait "$held" || fail "the held call failed: $(cat /tmp/held.out)"
	calls=$((calls + 1)) messages=$((messages + 1))

	stop_receiver recv
	cat /tmp/recv.out
	expect_summary /tmp/recv.out "Calls Received" $calls
	expect_summary /tmp/recv.out "Packets Received" $messages
	expect_summary /tmp/recv.out "Packets Sent" $messages
	expect_summary /tmp/recv.out "Data Mismatches" 0
	expect_summary /tmp/recv.out "Short Receives" 0
	expect_summary /tmp/recv.out "Accept Errors" 0
	expect_summary /tmp/recv.out "Packet Size Negotiated (In)" "Min: 128, Max: 4096"
	expect_summary /tmp/recv.out "Window Size Negotiated (Out)" "Min: 2, Max: $window"
	[ "$(summary_field /tmp/recv.out "Bytes Received")" = "$(summary_field /tmp/recv.out "Bytes Sent")" ] ||
		fail "the receiver echoed a different number of bytes than it got"

	# The CALL REQUEST of a caller asking for nothing carries packet and window size over XOT;
	# an interrupt goes over XOT and its echo comes back (both confirmed end to end).
	start_xotpeer peer listen 127.0.0.1:1999 wait-call accept echo 1 echo-interrupt wait-clear
	out=$(x25test call 999004 -s 127001 --sizes 16 --interrupt 48656c6c6f) || fail "call to xotpeer: $out"
	grep -q "^interrupt echoed 48656c6c6f$" /tmp/peer.out || fail "the interrupt over XOT: $(cat /tmp/peer.out)"
	wait_xotpeer peer
	grep -q "^call modulo=$modulo called=999004 calling=127001 facilities=06420707430202$" /tmp/peer.out ||
		fail "the CALL REQUEST over XOT should carry 42 07 07 43 02 02: $(cat /tmp/peer.out)"
	calls=$((calls + 1))

	# Local routes win: 127002 (also a server prefix) and 555012 (under the server prefix 5550,
	# where the kernel sends it) reach the local listeners, not XOT.
	start_listener 127002 local2 --print-call
	start_listener 555012 local555 --print-call
	out=$(x25test call 127002 -s 127001 --sizes 16) || fail "a call to the local 127002: $out"
	out=$(x25test call 555012 -s 127001 --sizes 16) || fail "a call to 555012 (local route 555): $out"
	grep -q "calling=127001 called=127002" /tmp/local2.out || fail "the local listener 127002 got no call"
	grep -q "calling=127001 called=555012" /tmp/local555.out || fail "the local listener 555012 got no call"
	stop_bg local2 local555

	varz_fresh
	expect_eq "calls over XOT (xot_peer_calls_out)" $calls "$(varz_value xot_peer_calls_out 127.0.0.1)"
	expect_eq "XOT connections made" $calls "$(varz_value xot_peer_connections_out 127.0.0.1)"
	expect_eq "XOT calls in" 0 "$(varz_value xot_peer_calls_in 127.0.0.1)"
	expect_eq "XOT failures" "{}" "$(varz_value xot_failures)"
	expect_eq "sessions opened on the XOT ports" $calls "$(varz_value interface_sessions_opened xot)"
	expect_eq "tunlbxot's calls" $((calls + 1)) "$(varz_value interface_call_request tunlbxot)"
	expect_eq "packets to the peer, /varz per peer and the xot interface" \
		"$(varz_value xot_peer_packets_sent 127.0.0.1)" "$(varz_value interface_packets_sent xot)"
	expect_eq "packets from the peer, /varz per peer and the xot interface" \
		"$(varz_value xot_peer_packets_received 127.0.0.1)" "$(varz_value interface_packets_received xot)"
	fetch_into METRICS /metrics
	expect_eq "x25lo_xot_peer_calls_total out" $calls \
		"$(metric_value 'x25lo_xot_peer_calls_total{peer="127.0.0.1",direction="out"}')"
	expect_eq "x25lo_xot_peer_bytes_total sent" "$(varz_value xot_peer_bytes_sent 127.0.0.1)" \
		"$(metric_value 'x25lo_xot_peer_bytes_total{peer="127.0.0.1",direction="sent"}')"

	expect_clean
	xot_assert_idle
	stop_x25lo
	# x25lo removed its kernel routes and TUNs.
	[ "$(grep -c tunlb /proc/net/x25/route)" = 0 ] || fail "routes left: $(cat /proc/net/x25/route)"
done
echo "PASS"
