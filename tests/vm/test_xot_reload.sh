# SPDX-License-Identifier: GPL-2.0-or-later
# SIGHUP changes the XOT servers while calls run (issue 10 item 7). Servers 999/3 and 997/3
# go to an x25stress XOT receiver, 9991/4 and 998/3 to xotpeers that hold a call mid-echo.
# The longest server prefix wins (999100 goes to 9991/4's peer). A reload that removes 998/3
# and adds 997/3, under load to 999: the kernel routes on tunlbxot follow, the load sees no
# failure, the two held calls (one to the removed prefix) finish intact, a new call to 998
# finds no route (ENETUNREACH) and one to 997 works. A reload that turns xot_servers off
# removes tunlbxot and its routes: an XOT call still up is cleared (the peer gets 0x09, the
# kernel kills the local socket). Turning it on again brings tunlbxot back and calls work.
# tunlbxot taken down and up (before that): the kernel drops its routes, x25lo adds them
# again. An XOT call in to 127003 whose route a reload removes: the XOT peer gets 0x09.
# SIGTERM with an XOT call up each way: both XOT peers get a CLEAR 0x09, x25lo exits 0.
# x25lo-vm: --timeout 600
# shellcheck source=lib.sh
. /x25lo/tests/lib.sh
# shellcheck source=stats_lib.sh
. /x25lo/tests/stats_lib.sh
# shellcheck source=xot_lib.sh
. /x25lo/tests/xot_lib.sh

STATS_PORT=8004
S999='{"prefix": "999/3", "ip": "127.0.0.1", "port": 1999}'
S9991='{"prefix": "9991/4", "ip": "127.0.0.1", "port": 1995}'
S998='{"prefix": "998/3", "ip": "127.0.0.1", "port": 1996}'
S997='{"prefix": "997/3", "ip": "127.0.0.1", "port": 1999}'

# servers ON LIST [ROUTES]: the config with xot_servers ON, this servers array body, the XOT
# listener, and ROUTES (default 127001, 127002, 127003).
servers() {
	write_config "${3:-\"127001\",\"127002\",\"127003\"}" \
		"\"xot_servers\": $1, \"xot_listen\": \"127.0.0.1:1998\", \"xot_allow\": [\"127.0.0.1\"]" \
		"\"servers\": [$2]"
}

# reload: SIGHUP, and wait for the reload's log line.
reload() {
	n=$(count_in_log "Configuration reloaded from")
	kill -HUP "$X25LO_PID"
	wait_for "reload number $((n + 1))" 100 sh -c "[ \$(grep -cF 'Configuration reloaded from' $X25LO_LOG) -gt $n ]"
}

# routed PREFIX DIGITS: the kernel routes PREFIX/DIGITS to tunlbxot.
routed() {
	grep -q "^$1[0-9]*  $2 *tunlbxot" /proc/net/x25/route
}

servers true "$S999, $S9991, $S998"
start_x25lo_xot 3
wait_stats_server
start_xot_receiver recv 1999 -W 7 -P 4096
for r in "999 3" "9991 4" "998 3"; do
	# shellcheck disable=SC2086 # "PREFIX DIGITS"
	routed $r || fail "no kernel route $r on tunlbxot: $(cat /proc/net/x25/route)"
done
! routed 997 3 || fail "997 is routed before it is configured"
x25test call 997001 -s 127001 --expect-error ENETUNREACH >/dev/null || fail "997001 should have no route yet"

# Two calls held mid-echo by their peers: message 1 echoed, message 2 waits for /tmp/go.
rm -f /tmp/go
start_xotpeer kept listen 127.0.0.1:1995 wait-call accept echo 1 wait-file /tmp/go echo 1 wait-clear
start_xotpeer removed listen 127.0.0.1:1996 wait-call accept echo 1 wait-file /tmp/go echo 1 wait-clear
x25test call 999100 -s 127001 --sizes 16,100 --timeout 60 >/tmp/kept_call.out 2>&1 &
kept_call=$!
x25test call 998001 -s 127001 --sizes 16,100 --timeout 60 >/tmp/removed_call.out 2>&1 &
removed_call=$!
wait_for "both held calls mid-echo" 100 sh -c 'grep -q "^echoed 1" /tmp/kept.out && grep -q "^echoed 1" /tmp/removed.out'
grep -q "called=999100" /tmp/kept.out || fail "999100 should go to 9991/4's peer (longest prefix): $(cat /tmp/kept.out)"

# Load to 999 (not 9991) through the reload.
x25stress -N 4 -d 999200,999299 -T 6 -n 0 -l 4096 -W 7 -P 2048 -b 0 --messages 5 --strict \
	>/tmp/load.out 2>/tmp/load.err &
load=$!
# calls_out_beyond N: more than N calls went out over XOT.
calls_out_beyond() {
	fetch_into VARZ /varz && [ "$(varz_value xot_peer_calls_out 127.0.0.1)" -gt "$1" ]
}
wait_for "the load's first calls" 100 calls_out_beyond 2

servers true "$S999, $S9991, $S997"
reload
wait_for "the route to 997 on tunlbxot" 50 routed 997 3
! routed 998 3 || fail "998 is still routed after its removal: $(cat /proc/net/x25/route)"
if ! routed 999 3 || ! routed 9991 4; then
	fail "the kept routes are gone: $(cat /proc/net/x25/route)"
fi
note "routes after the reload: $(grep tunlbxot /proc/net/x25/route | tr -s ' ' | tr '\n' ';')"
out=$(x25test call 998002 -s 127001 --expect-error ENETUNREACH) || fail "a new call to the removed 998: $out"
out=$(x25test call 997001 -s 127001 --sizes 16,1000) || fail "a call to the added 997: $out"
note "the added prefix answers: $out"
if ! kill -0 "$kept_call" || ! kill -0 "$removed_call"; then
	fail "a held call ended during the reload"
fi

touch /tmp/go
wait "$kept_call" || fail "the call to the kept prefix did not finish intact: $(cat /tmp/kept_call.out)"
wait "$removed_call" || fail "the call to the removed prefix did not finish intact: $(cat /tmp/removed_call.out)"
wait_xotpeer kept
wait_xotpeer removed
note "held calls: $(cat /tmp/kept_call.out) / $(cat /tmp/removed_call.out)"
wait "$load" || fail "the load through the reload: status $?: $(cat /tmp/load.out /tmp/load.err)"
for label in "Calls Failed" "Data Mismatches" "Short Receives" "Write Errors"; do
	expect_summary /tmp/load.out "$label" 0
done
note "load through the reload: $(summary_field /tmp/load.out "Calls Made") calls, none failed"
expect_clean
xot_assert_idle

# gateway_ups: how often tunlbxot's link came up so far.
gateway_ups() {
	count_in_log "tunlbxot: link operational"
}

# --- tunlbxot down and up: the kernel deletes its routes, x25lo puts them back ---
ups=$(gateway_ups)
ip link set tunlbxot down
ip link set tunlbxot up
wait_for "tunlbxot's link again" 100 sh -c "[ \$(grep -cF 'tunlbxot: link operational' $X25LO_LOG) -gt $ups ]"
for r in "999 3" "9991 4" "997 3"; do
	# shellcheck disable=SC2086 # "PREFIX DIGITS"
	wait_for "the route $r back on tunlbxot" 50 routed $r
done
out=$(x25test call 997002 -s 127001 --sizes 16) || fail "a call over XOT after tunlbxot went down and up: $out"
note "tunlbxot down and up: routes back, $out"

# --- xot_servers off: tunlbxot goes, with its routes and the XOT call still up ---
start_xotpeer last listen 127.0.0.1:1995 wait-call accept echo 1 wait-clear
x25test call 999101 -s 127001 --sizes 16 --hold --ready-file /tmp/held.ready </dev/null >/tmp/held.out 2>&1 &
held=$!
x25test wait-file /tmp/held.ready --timeout 20 >/dev/null || fail "the held call did not connect: $(cat /tmp/held.out)"
servers false "$S999, $S9991, $S997"
reload
wait_for "tunlbxot to go" 50 log_has "tunlbxot: removing (no XOT servers in the configuration)"
wait "$held" && fail "the XOT call survived its gateway TUN"
grep -q "Network is unreachable" /tmp/held.out || fail "the local socket should be killed with its TUN: $(cat /tmp/held.out)"
wait_xotpeer last
grep -q "^clear cause=0x09 diag=0x00" /tmp/last.out || fail "the XOT peer should get a CLEAR 0x09: $(cat /tmp/last.out)"
[ "$(grep -c tunlbxot /proc/net/x25/route)" = 0 ] || fail "routes left on tunlbxot: $(cat /proc/net/x25/route)"
[ ! -e /sys/class/net/tunlbxot ] || fail "tunlbxot is still there"
x25test call 999001 -s 127001 --expect-error ENETUNREACH >/dev/null || fail "999 should have no route with xot_servers off"
xot_assert_idle

ups=$(gateway_ups)
servers true "$S999, $S9991"
reload
wait_for "tunlbxot to come back" 100 sh -c "[ \$(grep -cF 'tunlbxot: link operational' $X25LO_LOG) -gt $ups ]"
out=$(x25test call 999001 -s 127001 --sizes 16,4096) || fail "a call over XOT after tunlbxot came back: $out"
note "tunlbxot back: $out"
stop_receiver recv
expect_summary /tmp/recv.out "Data Mismatches" 0

# --- an XOT call in, to 127003, whose route a reload removes: the peer gets 0x09 ---
start_listener 127003 srv3
start_xotpeer in3 connect 127.0.0.1:1998 call 127003 555001 wait-accept ping 16 wait-clear wait-eof
wait_for "the XOT call to 127003" 100 grep -q "^pong 16" /tmp/in3.out
servers true "$S999, $S9991" '"127001","127002"'
reload
wait_xotpeer in3
grep -q "^clear cause=0x09 diag=0x00" /tmp/in3.out || fail "the XOT caller of the removed 127003: $(cat /tmp/in3.out)"
note "XOT call to a removed route: $(grep -E "^(clear|eof)" /tmp/in3.out | tr '\n' ' ')"
kill "$(bg_pid srv3)"
expect_clean
xot_assert_idle

# --- SIGTERM with XOT calls up both ways: each peer gets a CLEAR 0x09, x25lo exits 0 ---
start_xotpeer out_held listen 127.0.0.1:1995 wait-call accept echo 1 wait-clear wait-eof
x25test call 999102 -s 127001 --sizes 16 --hold --ready-file /tmp/held2.ready </dev/null >/tmp/held2.out 2>&1 &
held2=$!
x25test wait-file /tmp/held2.ready --timeout 20 >/dev/null || fail "the held call did not connect: $(cat /tmp/held2.out)"
start_listener 127002 srv2
start_xotpeer in_held connect 127.0.0.1:1998 call 127002 555001 wait-accept ping 16 wait-clear wait-eof
wait_for "the inbound XOT call" 100 grep -q "^pong 16" /tmp/in_held.out
stop_x25lo
wait_xotpeer out_held
wait_xotpeer in_held
for p in out_held in_held; do
	grep -q "^clear cause=0x09 diag=0x00" "/tmp/$p.out" || fail "$p: no CLEAR 0x09 at shutdown: $(cat "/tmp/$p.out")"
done
wait "$held2" && fail "the local caller's call survived x25lo"
log_has "x25lo stopped" || fail "x25lo did not say it stopped"
note "shutdown: both XOT peers cleared 0x09, x25lo exited 0"
echo "PASS"
