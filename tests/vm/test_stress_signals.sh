#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# test_stress_signals.sh - x25stress's fixes of goxot's defects, through x25lo:
#  1. -r without -a listens on the wildcard address and takes calls to 127002;
#  2. --connect-timeout ends calls that hang (relay frozen with SIGSTOP), --leak-check sees
#     the clearing sockets left behind and --strict turns that into exit status 2;
#  3. SIGINT while calls are ringing: summary printed from normal code, exit 0, ringing calls
#     cleared (no socket left in state 1) and, once the relay runs again, nothing left at all.
# shellcheck source=stress_lib.sh
. "$(dirname "$0")/stress_lib.sh"

# count_states "1 2": X.25 sockets in those states (the state is the 12th field from the right).
count_states() {
	awk -v states=" $1 " 'NR > 1 && index(states, " " $(NF - 11) " ") { n++ } END { print n + 0 }' \
		/proc/net/x25/socket
}

# wait_states STATES MAX SECONDS: poll until at most MAX sockets are in STATES.
wait_states() {
	_tenths=$(($3 * 10))
	while [ "$(count_states "$1")" -gt "$2" ]; do
		[ "$_tenths" -gt 0 ] || return 1
		sleep 0.1
		_tenths=$((_tenths - 1))
	done
}

stress_start_relay

echo "== 1: receiver without -a"
wild_out=$STRESS_TMP/wildcard.out
x25stress -r -W 7 -P 4096 >"$wild_out" 2>&1 &
RECEIVER_PID=$!
RECEIVER_OUT=$wild_out
stress_wait_for "$wild_out" '^Receiver listening' 10 || stress_fail "wildcard receiver did not start: $(cat "$wild_out")"
# The listener's address is the null address, 15 spaces: "*" padded to 10, space, 15 spaces, space.
grep -q '^\* \{26\}??? ' /proc/net/x25/socket ||
	stress_fail "no listener on the wildcard address in /proc/net/x25/socket: $(cat /proc/net/x25/socket)"
x25stress -N 2 -d 127002,127002 -T 1 -n 0 -W 7 -P 2048 --strict >"$STRESS_TMP/wild_sender.out" 2>&1 ||
	stress_fail "calls to a wildcard receiver failed: $(cat "$STRESS_TMP/wild_sender.out")"
stress_stop_receiver
received=$(stress_field "$wild_out" 'Calls Received')
[ "${received:-0}" -gt 0 ] || stress_fail "the wildcard receiver accepted no call"
echo "wildcard receiver accepted $received calls"

stress_start_receiver
echo "== 2: relay frozen, --connect-timeout 300 --leak-check --strict"
kill -STOP "$RELAY_PID"
out=$STRESS_TMP/timeout.out
x25stress -N 2 -d 127002,127002 -T 1 -n 0 -C 300 --leak-check --strict >"$out" 2>&1
status=$?
cat "$out"
[ "$status" = 2 ] || stress_fail "--strict with timed-out calls and leaks: expected exit status 2, got $status"
timeouts=$(stress_field "$out" 'Connect Timeouts')
[ "${timeouts:-0}" -gt 0 ] || stress_fail "no Connect Timeouts counted"
stress_expect "$out" 'Calls Failed' "$timeouts"
leaked=$(stress_field "$out" 'Sockets Leaked' | cut -d' ' -f1)
[ "${leaked:-0}" -gt 0 ] || stress_fail "--leak-check did not see the calls cleared behind the frozen relay"

echo "== 3: SIGINT while calls are ringing"
before=$(count_states 1)
out=$STRESS_TMP/sigint.out
x25stress -N 4 -d 127002,127002 -T 60 -n 0 >"$out" 2>&1 &
sender=$!
tenths=100
while [ "$(count_states 1)" -lt $((before + 4)) ]; do
	[ "$tenths" -gt 0 ] || stress_fail "the 4 sender threads never had calls ringing"
	sleep 0.1
	tenths=$((tenths - 1))
done
kill -INT "$sender"
tenths=30
while kill -0 "$sender" 2>/dev/null; do
	[ "$tenths" -gt 0 ] || stress_fail "the sender did not stop within 3 s of SIGINT"
	sleep 0.1
	tenths=$((tenths - 1))
done
wait "$sender"
status=$?
cat "$out"
[ "$status" = 0 ] || stress_fail "exit status $status after SIGINT, expected 0"
grep -q '^Interrupted by signal 2$' "$out" || stress_fail "no 'Interrupted by signal 2' line"
grep -q '^---------------------------$' "$out" || stress_fail "no complete summary after SIGINT"
stress_expect "$out" 'Calls Failed' 0 # calls abandoned by the stop are not failures
[ "$(count_states 1)" = 0 ] || stress_fail "calls still in state 1 after the sender exited: $(cat /proc/net/x25/socket)"

echo "== relay thawed: every clear is confirmed"
kill -CONT "$RELAY_PID"
wait_states "1 2 4 5" 0 15 || stress_fail "sockets still clearing 15 s after the relay resumed:
$(cat /proc/net/x25/socket)"
stress_stop_receiver
stress_stop_relay
echo "PASS: wildcard receiver, connect timeouts, leak check, strict exit, clean SIGINT"
