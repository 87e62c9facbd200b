# SPDX-License-Identifier: GPL-2.0-or-later
# XOT callers reach kernel listeners through x25lo's XOT listener (issue 10 item 7):
# x25stress --xot 127.0.0.1:1998 calls 127002, x25lo injects each call into tunlb1 (the TUN
# routed for 127002) and the kernel hands it to an AF_X25 x25stress receiver: no failed call,
# no mismatch, and /varz and /metrics count exactly the calls made. A wildcard listener gets
# calls too (one to a subaddress of 127002 only it can take). While a call is up, /sessions
# shows its XOT leg with the peer's address, and x25lo's end has TCP keepalive; the SIGUSR1
# dump has the XOT and per-peer lines; the capture holds the XOT frames too. An XOT caller without flow facilities is
# injected with the X.25 defaults made explicit, so a listener with larger own facilities
# agrees on 128/2 with it, and the CALL ACCEPTED says so. -trace names every relayed packet.
# Modulo: a TUN's is fixed; a call whose GFI says the other modulo is refused with 0x21
# (incompatible destination), counted as calls_refused{modulo}; a modulo-128 TUN takes
# modulo-128 XOT callers. IPv6: a listener on [::]:1998 takes IPv6 and IPv4 callers (allowed
# as 127.0.0.0/8 and ::1), and a server at ::1 is called, shown as [::1]:1999 in /sessions.
# x25lo-vm: --timeout 600
# shellcheck source=lib.sh
. /x25lo/tests/lib.sh
# shellcheck source=stats_lib.sh
. /x25lo/tests/stats_lib.sh
# shellcheck source=xot_lib.sh
. /x25lo/tests/xot_lib.sh

STATS_PORT=8004
LISTEN='"xot_listen": "127.0.0.1:1998", "xot_allow": ["127.0.0.0/8"]'
write_config '"127001","127002"' "$LISTEN"
rm -f /tmp/x25.pcapng
start_x25lo_xot 2 -trace -pcap /tmp/x25.pcapng
wait_stats_server

# --- load: x25stress XOT callers to an AF_X25 receiver ---
start_af_receiver krecv 127002 -W 7 -P 4096
x25stress --xot 127.0.0.1:1998 -N 4 -d 127002,127002 -T 3 -n 0 -l 8192 -W 7 -P 2048 -b 0 --messages 3 \
	--strict >/tmp/xsend.out 2>/tmp/xsend.err || fail "x25stress --xot: status $?: $(cat /tmp/xsend.out /tmp/xsend.err)"
cat /tmp/xsend.out
made=$(summary_field /tmp/xsend.out "Calls Made")
[ "${made:-0}" -gt 0 ] || fail "no XOT calls were made"
expect_summary /tmp/xsend.out "Calls Failed" 0
expect_summary /tmp/xsend.out "Data Mismatches" 0
expect_summary /tmp/xsend.out "Short Receives" 0
expect_summary /tmp/xsend.out "Packets Received" $((made * 3))
expect_summary /tmp/xsend.out "Packet Size Negotiated (In)" "Min: 2048, Max: 2048"
expect_summary /tmp/xsend.out "Window Size Negotiated (Out)" "Min: 7, Max: 7"
note "XOT callers through x25lo to a kernel listener: $made calls in $(summary_field /tmp/xsend.out "Run Time")"
stop_receiver krecv
expect_summary /tmp/krecv.out "Calls Received" "$made"
expect_summary /tmp/krecv.out "Data Mismatches" 0
expect_summary /tmp/krecv.out "Packets Sent" $((made * 3))

wait_for "the XOT connections to close" 100 xot_connections_zero
varz_fresh
expect_eq "xot_peer_calls_in" "$made" "$(varz_value xot_peer_calls_in 127.0.0.1)"
expect_eq "xot_peer_connections_in" "$made" "$(varz_value xot_peer_connections_in 127.0.0.1)"
expect_eq "xot_peer_calls_out" 0 "$(varz_value xot_peer_calls_out 127.0.0.1)"
expect_eq "CALL ACCEPTED from tunlb1's kernel" "$made" "$(varz_value interface_call_connected tunlb1)"
expect_eq "sessions on the XOT ports" "$made" "$(varz_value interface_sessions_opened xot)"
expect_eq "CLEARs from the XOT callers" "$made" "$(varz_value interface_clear_request xot)"
expect_eq "xot_failures" "{}" "$(varz_value xot_failures)"
expect_eq "calls_active" 0 "$(varz_value calls_active)"
expect_eq "packets from the peer: per peer and the xot interface" \
	"$(varz_value xot_peer_packets_received 127.0.0.1)" "$(varz_value interface_packets_received xot)"
expect_eq "packets to the peer: per peer and the xot interface" \
	"$(varz_value xot_peer_packets_sent 127.0.0.1)" "$(varz_value interface_packets_sent xot)"
fetch_into METRICS /metrics
expect_eq "x25lo_xot_peer_calls_total in" "$made" \
	"$(metric_value 'x25lo_xot_peer_calls_total{peer="127.0.0.1",direction="in"}')"
expect_eq "x25lo_xot_peer_connections_total in" "$made" \
	"$(metric_value 'x25lo_xot_peer_connections_total{peer="127.0.0.1",direction="in"}')"
expect_eq "x25lo_xot_peer_connections" 0 "$(metric_value 'x25lo_xot_peer_connections{peer="127.0.0.1"}')"
expect_eq "x25lo_xot_connections" 0 "$(metric_value x25lo_xot_connections)"
# The SIGUSR1 dump: the XOT line and the peer's line.
before=$(count_in_log "Stats dump: end")
kill -USR1 "$X25LO_PID"
wait_for "the SIGUSR1 dump" 50 sh -c "[ \$(grep -cF 'Stats dump: end' $X25LO_LOG) -gt $before ]"
log_has "Stats dump: xot connections open 0, peers 1, sessions opened $made closed $made," ||
	fail "the dump's XOT line: $(grep -F 'Stats dump: xot' "$X25LO_LOG")"
log_has "Stats dump: xot peer 127.0.0.1 active 0, connections in $made out 0, calls in $made out 0, packets " ||
	fail "the dump's peer line: $(grep -F 'Stats dump: xot peer' "$X25LO_LOG")"
log_has ", failures 0" || fail "the dump counts failures for 127.0.0.1"
# The capture holds every frame of the TUNs and of the XOT connections (one interface "xot").
frames=0
for port in tunlb0 tunlb1 xot; do
	frames=$((frames + $(varz_value interface_packets_received $port) + $(varz_value interface_packets_sent $port)))
done
log_has "Stats dump: packet capture holds $frames frames (flushed)" ||
	fail "the capture should hold $frames frames: $(grep -F 'packet capture holds' "$X25LO_LOG" | tail -n 1)"
records=$(od -An -v -tu4 -w4 /tmp/x25.pcapng | awk '
	{ w[n++] = $1 }
	END { i = 0; while (i < n) { if (w[i] == 6) epb++; if (w[i] == 1) idb++; i += w[i + 1] / 4 } print epb, idb }')
expect_eq "pcapng records and interfaces (tunlb0, tunlb1, xot)" "$frames 3" "$records"
# Every relayed packet is traced under its type (the XOT header must not clobber it).
log_has "tunlb1>xot" || fail "no trace line of a packet relayed from tunlb1 to XOT"
grep -q "tunlb1>xot[0-9]* DATA " "$X25LO_LOG" || fail "no DATA traced from tunlb1 to XOT"
! grep -q "PSEUDO-HEADER?" "$X25LO_LOG" || fail "a relayed packet was traced as $(grep -m 1 "PSEUDO-HEADER?" "$X25LO_LOG")"

# --- a wildcard listener ---
start_listener '*' wild --print-call
x25stress --xot 127.0.0.1:1998 -N 1 -d 127002,127002 -T 1 -n 0 -l 1000 -b 0 --strict >/tmp/wsend.out 2>&1 ||
	fail "XOT calls to the wildcard listener: $(cat /tmp/wsend.out)"
wmade=$(summary_field /tmp/wsend.out "Calls Made")
[ "${wmade:-0}" -gt 0 ] || fail "no calls to the wildcard listener"
expect_summary /tmp/wsend.out "Data Mismatches" 0
start_xotpeer sub connect 127.0.0.1:1998 call 12700299 555001 wait-accept ping 16 clear 00 00
wait_xotpeer sub
grep -q "calling=555001 called=12700299 " /tmp/wild.out || fail "the wildcard listener did not get the call to 12700299: $(cat /tmp/wild.out)"
stop_bg wild
[ "$(grep -c "^call " /tmp/wild.out)" = $((wmade + 1)) ] || fail "the wildcard listener got $(grep -c "^call " /tmp/wild.out) calls, not $((wmade + 1))"
note "wildcard listener: $((wmade + 1)) XOT calls"

# --- /sessions while a call is up; an XOT caller without flow facilities ---
start_listener 127002 big --print-call -P 4096 -W 7
rm -f /tmp/go
start_xotpeer held connect 127.0.0.1:1998 --no-facilities call 127002 555001 wait-accept ping 100 wait-file /tmp/go clear 00 00
wait_for "the held XOT call" 100 grep -q "^pong 100" /tmp/held.out
fetch_into SESSIONS /sessions
note "/sessions: $SESSIONS"
for part in '"calling": "555001", "called": "127002"' '"caller": {"xot": "xot' '"peer": "127.0.0.1:' \
	'"callee": {"tun": "tunlb1", "lci": ' \
	'"packet_size_in": 128, "packet_size_out": 128, "window_in": 2, "window_out": 2'; do
	printf '%s\n' "$SESSIONS" | grep -qF "$part" || fail "/sessions lacks $part"
done
keepalive_on 1998 local || fail "no keepalive timer on x25lo's end of the inbound connection: $(cat /proc/net/tcp)"
touch /tmp/go
wait_xotpeer held
cat /tmp/held.out
grep -q "^accepted facilities=06420707430202$" /tmp/held.out ||
	fail "the CALL ACCEPTED should say 128/2 explicitly: $(cat /tmp/held.out)"
grep -q "calling=555001 called=127002 winsize_in=2 winsize_out=2 pacsize_in=7 pacsize_out=7" /tmp/big.out ||
	fail "the listener (own 4096/7) should have agreed on 128/2 with a caller that named none: $(cat /tmp/big.out)"

# --- modulo: a modulo-128 caller to a modulo-8 TUN is refused ---
varz_fresh
refused=$(varz_value calls_refused modulo)
start_xotpeer m128 connect 127.0.0.1:1998 --modulo 128 call 127002 555001 wait-clear wait-eof
wait_xotpeer m128
grep -q "^clear cause=0x21 diag=0x00" /tmp/m128.out || fail "a modulo-128 XOT call to a modulo-8 TUN: $(cat /tmp/m128.out)"
varz_fresh
expect_eq "calls_refused{modulo}" $((refused + 1)) "$(varz_value calls_refused modulo)"
stop_bg big
expect_eq "calls the listener got (not the refused one)" 1 "$(grep -c "^call " /tmp/big.out)"

expect_clean
xot_assert_idle
stop_x25lo

# --- a modulo-128 TUN takes modulo-128 XOT callers, and refuses modulo 8 ---
write_config '"127001","127002"' "$LISTEN, \"extended\": true"
start_x25lo_xot 2
start_af_receiver krecv 127002 -W 127 -P 4096
x25stress --xot 127.0.0.1:1998 -N 1 -d 127002,127002 -T 2 -n 0 -l 4096 -W 100 -P 1024 -b 0 --messages 2 \
	--strict >/tmp/xsend.out 2>&1 || fail "modulo-128 XOT callers: $(cat /tmp/xsend.out)"
expect_summary /tmp/xsend.out "Data Mismatches" 0
expect_summary /tmp/xsend.out "Window Size Negotiated (In)" "Min: 100, Max: 100"
note "modulo 128: $(summary_field /tmp/xsend.out "Calls Made") XOT calls, window 100"
start_xotpeer m8 connect 127.0.0.1:1998 --modulo 8 call 127002 555001 wait-clear wait-eof
wait_xotpeer m8
grep -q "^clear cause=0x21 diag=0x00" /tmp/m8.out || fail "a modulo-8 XOT call to a modulo-128 TUN: $(cat /tmp/m8.out)"
stop_receiver krecv
expect_clean
xot_assert_idle
stop_x25lo

# --- IPv6: a dual-stack listener takes IPv6 and IPv4 callers; a server at ::1 ---
write_config '"127001","127002"' '"xot_listen": "[::]:1998", "xot_allow": ["127.0.0.0/8", "::1"], "xot_servers": true' \
	'"servers": [{"prefix": "999/3", "ip": "::1", "port": 1999}]'
start_x25lo_xot 2
wait_stats_server
start_af_receiver krecv 127002
x25stress -r --xot "[::1]:1999" >/tmp/recv6.out 2>&1 &
recv6=$!
wait_for "the IPv6 XOT receiver" 100 grep -q "^Receiver listening for X.25 calls" /tmp/recv6.out
for caller in "[::1]:1998" "127.0.0.1:1998"; do
	x25stress --xot "$caller" -N 1 -d 127002,127002 -T 1 -n 0 -l 1000 -b 0 --strict >/tmp/v6.out 2>&1 ||
		fail "XOT callers from $caller: $(cat /tmp/v6.out)"
done
x25test call 999001 -s 127001 --sizes 16 --hold --ready-file /tmp/held6.ready </dev/null >/tmp/held6.out 2>&1 &
held6=$!
x25test wait-file /tmp/held6.ready --timeout 20 >/dev/null || fail "the call to the IPv6 server did not connect: $(cat /tmp/held6.out)"
fetch /sessions | grep -qF '"callee": {"xot": "xot0", "peer": "[::1]:1999"' || fail "/sessions: $(fetch /sessions)"
kill -TERM "$held6"
wait "$held6" || fail "the call to the IPv6 server: $(cat /tmp/held6.out)"
varz_fresh
if [ "$(varz_value xot_peer_calls_in ::1)" -eq 0 ] || [ "$(varz_value xot_peer_calls_in 127.0.0.1)" -eq 0 ]; then
	fail "both an IPv6 and an IPv4 peer should have called: $(printf '%s\n' "$VARZ" | grep xot_peer_calls_in)"
fi
expect_eq "calls to the IPv6 server" 1 "$(varz_value xot_peer_calls_out ::1)"
note "IPv6: $(printf '%s\n' "$VARZ" | grep xot_peer_calls_in)"
kill -TERM "$recv6"
wait "$recv6"
stop_receiver krecv
expect_clean
xot_assert_idle
stop_x25lo
echo "PASS"
