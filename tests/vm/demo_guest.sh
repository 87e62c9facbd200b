#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# demo_guest.sh [x25stress options] - the article's stress test through x25lo, inside the VM.
# Run by scripts/demo.sh (make demo). Options are appended to the sender's command line, so
# "-T 5" shortens the run. Exits non-zero if a call failed, data mismatched or a socket leaked.
# shellcheck source=stress_lib.sh
. "$(dirname "$0")/stress_lib.sh"

SENDER="x25stress -l 8192 -N 32 -d 127002,127002 -b 50 -T 20 -n 100000 -W 7 -P 2048"
RECEIVER="x25stress -r -a 127002 -W 7 -P 4096"
STATS_URL=http://127.0.0.1:8004/varz
problems=

step() {
	echo
	echo "==> $*"
}

step "x25lo with the article's configuration: routes 127001 and 127002, LCIs 3072-4095, stats port 8004"
stress_start_relay 8004
cat "$RELAY_LOG"

step "receiver: $RECEIVER"
stress_start_receiver
cat "$RECEIVER_OUT"

step "sender: $SENDER${*:+ $*} --leak-check --strict"
sender_out=$STRESS_TMP/demo_sender.out
# shellcheck disable=SC2086 # SENDER is a word list on purpose
$SENDER "$@" --leak-check --strict --json "$STRESS_TMP/demo_sender.json" >"$sender_out" 2>"$STRESS_TMP/demo_sender.err"
sender_status=$?
cat "$sender_out"
if [ -s "$STRESS_TMP/demo_sender.err" ]; then
	echo "(sender's standard error, first 20 lines:)"
	head -n 20 "$STRESS_TMP/demo_sender.err"
fi
case $sender_status in
0) ;;
2) problems="$problems; the sender counted failures or leaks (--strict)" ;;
*) problems="$problems; the sender exited with status $sender_status" ;;
esac

step "x25lo's own counters: GET $STATS_URL"
# (busybox wget -T crashes in this guest; timeout bounds the request instead)
if ! timeout 10 wget -q -O - "$STATS_URL"; then
	echo "(no stats server answered on port 8004; asking x25lo for its counters with SIGUSR1 instead)"
	kill -USR1 "$RELAY_PID" 2>/dev/null
	stress_wait_for "$RELAY_LOG" 'Stats dump: end|x25lo state:' 5 || echo "(x25lo wrote no counters to its log)"
	grep -E 'Stats dump|x25lo state:' "$RELAY_LOG"
fi
kill -0 "$RELAY_PID" 2>/dev/null || problems="$problems; x25lo died during the run"

step "receiver's summary (stopped with SIGTERM)"
stress_stop_receiver
cat "$RECEIVER_OUT"
for label in 'Data Mismatches' 'Accept Errors' 'Setsockopt Errors'; do
	value=$(stress_field "$RECEIVER_OUT" "$label")
	[ "$value" = 0 ] || problems="$problems; receiver $label: $value"
done

step "stopping x25lo (SIGTERM)"
stress_stop_relay # fails the demo by itself if x25lo does not stop
tail -n 3 "$RELAY_LOG"

calls=$(stress_field "$sender_out" 'Calls Made')
failed=$(stress_field "$sender_out" 'Calls Failed')
kbps=$(stress_field "$sender_out" 'Average Bandwidth (Recv)')
mismatches=$(stress_field "$sender_out" 'Data Mismatches')
leaked=$(stress_field "$sender_out" 'Sockets Leaked' | cut -d' ' -f1)
echo
echo "Demo result: calls made ${calls:-?}, failed ${failed:-?}, ${kbps:-? KB/s} echoed, data mismatches ${mismatches:-?}, leaked sockets ${leaked:-?}"
if [ -n "$problems" ]; then
	echo "DEMO FAILED${problems}"
	exit 1
fi
echo "DEMO PASSED"
