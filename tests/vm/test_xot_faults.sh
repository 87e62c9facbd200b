# SPDX-License-Identifier: GPL-2.0-or-later
# XOT faults (issue 10 item 7), each with the cause the local program sees, the xot_failures
# reason that moves, and nothing left mapped afterwards:
# outbound, to xotpeer or nobody: the peer closes (0x09, closed) or resets (0x09, closed)
# mid-call, sends a bad XOT header (0x11, protocol) or an illegal length (0x11), a truncated
# packet and closes (0x09, closed); a RESTART and a DIAGNOSTIC mid-call are discarded and the
# call goes on; a peer that refuses the call: its CLEAR reaches the caller unchanged; a peer that never answers the CALL REQUEST gets the call cleared after
# call_timeout_ms (0x05/0x31, both sides); connection refused (0x09, refused) and no route to
# the server (0x09, unreachable) clear the caller at once; a server whose accept queue is full
# (SYNs dropped) after xot_connect_timeout_ms (0x09, timeout); a dns_name that does not
# resolve (the guest has no resolv.conf: c-ares asks 127.0.0.1:53, refused) promptly (0x0D, dns).
# inbound: a peer outside xot_allow is closed at once (not_allowed), a connection that sends
# no CALL REQUEST after xot_call_request_timeout_ms (no_call), one over xot_max_connections at
# once (limit); an XOT caller that closes mid-call or sends a bad header clears the kernel
# listener's call with 0x09 or 0x11; a call to no local address is cleared 0x0D/0x43.
# x25lo-vm: --timeout 600
# shellcheck source=lib.sh
. /x25lo/tests/lib.sh
# shellcheck source=stats_lib.sh
. /x25lo/tests/stats_lib.sh
# shellcheck source=xot_lib.sh
. /x25lo/tests/xot_lib.sh

STATS_PORT=8004
write_config '"127001","127002"' '"xot_servers": true, "xot_listen": "127.0.0.1:1998", "xot_allow": ["127.0.0.1/32"],
    "call_timeout_ms": 2000, "xot_connect_timeout_ms": 500, "xot_call_request_timeout_ms": 1000,
    "xot_max_connections": 2' \
	'"servers": [{"prefix": "999/3", "ip": "127.0.0.1", "port": 1999},
    {"prefix": "998/3", "ip": "127.0.0.1", "port": 1997},
    {"prefix": "997/3", "dns_name": "\\2.\\1.x25.test"},
    {"prefix": "996/3", "ip": "127.0.0.1", "port": 1996},
    {"prefix": "995/3", "ip": "192.0.2.1", "port": 1998}]'
start_x25lo_xot 2
wait_stats_server

# failures REASON: xot_failures[REASON] now (0 when absent).
failures() {
	varz_fresh
	v=$(varz_value xot_failures "$1")
	echo "${v:-0}"
}

# expect_failure REASON BEFORE: exactly one more failure of REASON, and x25lo idle again.
expect_failure() {
	expect_eq "xot_failures[$1]" $(($2 + 1)) "$(failures "$1")"
	xot_assert_idle
}

# local_call NAME DEST CAUSE:DIAG [x25test options]: a local call that must end with this
# clear, by the peer after its messages, or in connect with --expect-error.
local_call() {
	lc_name=$1 lc_dest=$2 lc_cd=$3
	shift 3
	x25test call "$lc_dest" -s 127001 --expect-causediag "$lc_cd" --timeout 20 "$@" >"/tmp/$lc_name.out" 2>&1 ||
		fail "$lc_name: the local caller did not see a clear with $lc_cd: $(cat "/tmp/$lc_name.out")"
	note "$lc_name: $(tail -n 1 "/tmp/$lc_name.out")"
}

# within WHAT MS MIN MAX: MIN <= MS < MAX.
within() {
	if [ "$2" -lt "$3" ] || [ "$2" -ge "$4" ]; then
		fail "$1 after $2 ms, expected $3..$4 ms"
	fi
}

# out_fault NAME REASON CAUSE:DIAG STEP...: xotpeer answers a call to 999 and runs the steps;
# the local caller must see CAUSE:DIAG and xot_failures[REASON] move by one.
out_fault() {
	name=$1 reason=$2 cd=$3
	shift 3
	before=$(failures "$reason")
	start_xotpeer "$name" listen 127.0.0.1:1999 wait-call accept echo 1 "$@"
	local_call "$name-caller" 999001 "$cd" --sizes 16
	wait_xotpeer "$name"
	expect_failure "$reason" "$before"
}

# --- outbound: the peer misbehaves mid-call ---
out_fault close closed 0x09:0x00 close
out_fault reset closed 0x09:0x00 reset
out_fault bad_version protocol 0x11:0x00 bytes 00010003100100 wait-eof
out_fault bad_length protocol 0x11:0x00 bytes 00000002 wait-eof
out_fault truncated closed 0x09:0x00 bytes 00000064100120 close
log_has "sent an XOT header with version 1 and length 3; closing the connection" || fail "no log line for the bad header"

# RESTART and DIAGNOSTIC are of local significance: discarded, the call goes on.
varz_fresh
restarts=$(varz_value packets_handled RESTART_REQ)
start_xotpeer restart listen 127.0.0.1:1999 wait-call accept echo 1 raw 1000fb0000 raw 1000f100 echo 1 wait-clear
out=$(x25test call 999001 -s 127001 --sizes 16,16 --timeout 20) || fail "a call with a RESTART from the peer: $out"
wait_xotpeer restart
grep -q "^clear cause=0x00 diag=0x00" /tmp/restart.out || fail "the call did not end with the caller's clear: $(cat /tmp/restart.out)"
varz_fresh
expect_eq "RESTART_REQ read (from the peer)" $((${restarts:-0} + 1)) "$(varz_value packets_handled RESTART_REQ)"
xot_assert_idle
note "RESTART and DIAGNOSTIC mid-call discarded, the call went on: $out"

# The peer refuses the call: its CLEAR reaches the caller as it is (cause 0x01, diagnostic 0x42).
varz_fresh
busy=$(varz_value causes_received 0x01)
start_xotpeer refuse listen 127.0.0.1:1999 wait-call clear 01 42
local_call refuse-caller 999003 0x01:0x42 --expect-error ECONNREFUSED --connect-timeout 20000
wait_xotpeer refuse
varz_fresh
expect_eq "causes_received{0x01}" $((${busy:-0} + 1)) "$(varz_value causes_received 0x01)"
xot_assert_idle

# --- outbound: the peer never answers the CALL REQUEST: call_timeout_ms (2 s) clears both sides ---
varz_fresh
timeouts=$(varz_value timeouts call_setup)
start_xotpeer silent listen 127.0.0.1:1999 wait-call wait-clear
t0=$(uptime_ms)
local_call silent-caller 999002 0x05:0x31 --expect-error ECONNREFUSED --connect-timeout 20000
t1=$(uptime_ms)
wait_xotpeer silent
grep -q "^clear cause=0x05 diag=0x31 after_ms=" /tmp/silent.out || fail "the silent peer got no CLEAR 0x05/0x31: $(cat /tmp/silent.out)"
within "the silent peer's call was cleared" $((t1 - t0)) 1900 6000
varz_fresh
expect_eq "timeouts{call_setup}" $((${timeouts:-0} + 1)) "$(varz_value timeouts call_setup)"
xot_assert_idle
note "a peer that never answers: both sides cleared 0x05/0x31 after $((t1 - t0)) ms"

# --- outbound: no connection ---
# timed_fault NAME REASON DEST CAUSE:DIAG MIN_MS MAX_MS: the caller is cleared after MIN_MS to
# MAX_MS, wall clock around x25test (a loaded host can stall the emulated guest for seconds).
# Its cause, not 0x05/0x31, also shows that x25lo cleared it within call_timeout_ms (2 s).
timed_fault() {
	name=$1 reason=$2 dest=$3 cd=$4 min=$5 max=$6
	before=$(failures "$reason")
	t0=$(uptime_ms)
	local_call "$name" "$dest" "$cd" --expect-error ECONNREFUSED --connect-timeout 20000
	t1=$(uptime_ms)
	within "$name: the caller was cleared" $((t1 - t0)) "$min" "$max"
	note "$name: cleared with $cd after $((t1 - t0)) ms"
	expect_failure "$reason" "$before"
}
timed_fault refused refused 998001 0x09:0x00 0 5000
timed_fault unreachable unreachable 995001 0x09:0x00 0 5000
varz_fresh
dns_before=$(varz_value dns_requests)
timed_fault dns dns 997001 0x0d:0x00 0 5000
log_has "DNS lookup of 001.997.x25.test failed" || fail "no log line for the failed lookup"
varz_fresh
expect_eq "dns_requests" $((${dns_before:-0} + 1)) "$(varz_value dns_requests)"
start_xotpeer stall stall 127.0.0.1:1996
timed_fault connect_timeout timeout 996001 0x09:0x00 450 5000
kill "$(bg_pid stall)"

# --- inbound: refused connections ---
before=$(failures not_allowed)
start_xotpeer outsider connect 127.0.0.1:1998 --bind 127.0.0.2 --timeout 5 wait-eof
wait_xotpeer outsider
note "outside xot_allow: $(tail -n 1 /tmp/outsider.out)"
expect_failure not_allowed "$before"
fetch_into METRICS /metrics
expect_eq "per-peer not_allowed" 1 "$(metric_value 'x25lo_xot_peer_failures_total{peer="127.0.0.2",reason="not_allowed"}')"

before=$(failures no_call)
start_xotpeer idle connect 127.0.0.1:1998 --timeout 10 wait-eof
wait_xotpeer idle
ms=$(sed -n 's/^eof after_ms=\([0-9]*\).*/\1/p' /tmp/idle.out)
within "a connection without CALL REQUEST was closed" "${ms:-0}" 950 4000
note "no CALL REQUEST: closed after $ms ms"
log_has "sent no CALL REQUEST within 1000 ms; closing" || fail "no log line for the missing CALL REQUEST"
expect_failure no_call "$before"

# Two idle connections fill xot_max_connections (2): a third is closed at once.
before=$(failures limit)
no_call=$(failures no_call)
start_xotpeer idle1 connect 127.0.0.1:1998 --timeout 10 wait-eof
start_xotpeer idle2 connect 127.0.0.1:1998 --timeout 10 wait-eof
wait_for "two inbound XOT connections" 50 sh -c "wget -qO- http://127.0.0.1:$STATS_PORT/varz | grep -q '\"xot_connections\": 2'"
start_xotpeer third connect 127.0.0.1:1998 --timeout 5 wait-eof
wait_xotpeer third
ms=$(sed -n 's/^eof after_ms=\([0-9]*\).*/\1/p' /tmp/third.out)
within "the connection over xot_max_connections was closed" "${ms:-9999}" 0 950
wait_xotpeer idle1
wait_xotpeer idle2
expect_eq "xot_failures[limit]" $((before + 1)) "$(failures limit)"
expect_eq "xot_failures[no_call] (the two idle ones)" $((no_call + 2)) "$(failures no_call)"
xot_assert_idle

# --- inbound: the XOT caller misbehaves mid-call; the kernel listener's call is cleared ---
start_listener 127002 srv --print-call
in_fault() {
	name=$1 reason=$2 cd=$3
	shift 3
	before=$(failures "$reason")
	ends=$(grep -c "^end " /tmp/srv.out)
	start_xotpeer "$name" connect 127.0.0.1:1998 call 127002 555001 wait-accept ping 16 "$@"
	wait_xotpeer "$name"
	wait_for "the listener's end of the call from $name: $(cat /tmp/srv.out)" 50 \
		sh -c "[ \$(grep -c '^end ' /tmp/srv.out) -gt $ends ]"
	grep "^end " /tmp/srv.out | tail -n 1 | grep -q "calling=555001 .*cause=${cd%:*} diag=${cd#*:} " ||
		fail "the listener's call from $name should end with $cd: $(cat /tmp/srv.out)"
	expect_failure "$reason" "$before"
}
in_fault in_close closed 0x09:0x00 close
in_fault in_bad_header protocol 0x11:0x00 bytes 0003000310 wait-eof
note "inbound faults, the listener's view: $(grep "^end" /tmp/srv.out | tr '\n' ' ')"

# A call to no local address: cleared 0x0D/0x43, then the connection is closed.
varz_fresh
no_target=$(varz_value calls_refused no_target)
start_xotpeer nowhere connect 127.0.0.1:1998 call 444001 555001 wait-clear wait-eof
wait_xotpeer nowhere
grep -q "^clear cause=0x0d diag=0x43" /tmp/nowhere.out || fail "a call to no local address: $(cat /tmp/nowhere.out)"
varz_fresh
expect_eq "calls_refused{no_target}" $((${no_target:-0} + 1)) "$(varz_value calls_refused no_target)"
stop_bg srv

expect_clean
xot_assert_idle
varz_fresh
note "xot_failures: $(varz_value xot_failures)"
# map_sum KEY: the sum of a /varz map's values.
map_sum() {
	printf '%s\n' "$VARZ" | grep "^\"$1\": " | sed 's/^[^{]*{//; s/}.*//' | tr ',' '\n' | awk -F': ' '{ s += $2 } END { print s + 0 }'
}
# What never left (connections that never came up) is not counted as sent.
for what in packets bytes; do
	expect_eq "$what sent: the xot interface and the peers" "$(map_sum "xot_peer_${what}_sent")" \
		"$(varz_value "interface_${what}_sent" xot)"
	expect_eq "$what received: the xot interface and the peers" "$(map_sum "xot_peer_${what}_received")" \
		"$(varz_value "interface_${what}_received" xot)"
done
stop_x25lo
echo "PASS"
