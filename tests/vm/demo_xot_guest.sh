#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# demo_xot_guest.sh [x25stress options] - XOT between two sites, one guest's part (make demo-xot).
#
# Run in both guests of `x25lo-vm pair` by scripts/demo-xot.sh; X25LO_SITE says which site
# this is, X25LO_ADDRESS and X25LO_PEER are the two sites' IPv6 addresses on the link.
#   site a: x25lo with the local address 111001 and a "servers" entry sending 222/3 to site b
#           over XOT. It makes one call to site b's echo listener (held open while both
#           sides' /sessions are shown), then runs x25stress's AF_X25 senders against
#           site b's x25stress receiver, and prints the summary and the speed.
#   site b: x25lo with the local addresses 222001 (x25test echo listener) and 222002
#           (x25stress receiver), accepting XOT from the link on port 1998; it serves its
#           stats on the link so site a can show them, waits until site a is done, then
#           prints its own side: the calls it answered, the receiver's summary, its counters.
# The sites meet through two tiny HTTP control directories (busybox httpd, port 8080):
# site b publishes "ready" once it answers calls, site a publishes "done" (with its verdict)
# at the end. Options are passed to site a's x25stress after the demo's own.
# Exit status: 0 when this site saw everything work (data verified, no mismatch, no failed
# call), 1 otherwise.
# shellcheck source=stress_lib.sh
. "$(dirname "$0")/stress_lib.sh"

SITE_A_ADDRESS=111001     # site a's one local X.121 address (the callers' base)
SITE_B_ECHO=222001        # site b: x25test echo listener
SITE_B_STRESS=222002      # site b: x25stress receiver
SITE_B_PREFIX=222/3       # what site a routes to site b over XOT (goxot's "digits/count")
XOT_PORT=1998
STATS_PORT=8004
CONTROL_PORT=8080
CONTROL_DIR=/tmp/control
# The stress test's run time: 15 s unless the options say otherwise (-T N).
STRESS_SECONDS=15
prev=
for arg in "$@"; do
	[ "$prev" = -T ] && STRESS_SECONDS=$arg
	prev=$arg
done
# Four calls at once: x25stress (as goxot's stress_test) waits 1 s for each echo, and with
# two emulated guests sharing the CPU 16 calls at once pushed a few echoes past that (short
# receives, counted as mismatches) for no more calls per second than 4 make.
STRESS="x25stress -a $SITE_A_ADDRESS -d $SITE_B_STRESS,$SITE_B_STRESS -N 4 -l 8192 -b 50 -T $STRESS_SECONDS -n 0 -W 7 -P 2048"
problems=

site=${X25LO_SITE:?run by x25lo-vm pair (X25LO_SITE is not set)}
here=$X25LO_ADDRESS
peer=$X25LO_PEER

step() {
	echo
	echo "==> $*"
}

problem() {
	problems="$problems; $*"
	echo "PROBLEM: $*"
}

# fetch URL: print the answer's body (bounded: busybox wget -T crashes in these guests).
fetch() {
	timeout 10 wget -q -O - "$1" 2>/dev/null
}

# url ADDRESS PORT PATH
url() {
	echo "http://[$1]:$2$3"
}

# wait_for_url URL SECONDS: poll until URL answers (0) or SECONDS pass (1).
wait_for_url() {
	_tenths=$(($2 * 10))
	while [ "$_tenths" -gt 0 ]; do
		fetch "$1" >/dev/null && return 0
		sleep 0.2
		_tenths=$((_tenths - 2))
	done
	return 1
}

# The control directory, served on this site's link address.
start_control() {
	mkdir -p "$CONTROL_DIR"
	httpd -f -p "[$here]:$CONTROL_PORT" -h "$CONTROL_DIR" >"$STRESS_TMP/httpd.log" 2>&1 &
	CONTROL_PID=$!
}

# start_x25lo CONFIG_TEXT WAIT_PATTERN...: x25lo with this config; waits for each log pattern.
start_x25lo() {
	printf '%s\n' "$1" >"$STRESS_TMP/config.json"
	shift
	echo "config.json:"
	sed 's/^/    /' "$STRESS_TMP/config.json"
	x25lo -config "$STRESS_TMP/config.json" >"$RELAY_LOG" 2>&1 &
	RELAY_PID=$!
	for pattern in "$@"; do
		stress_wait_for "$RELAY_LOG" "$pattern" 20 ||
			stress_fail "x25lo did not log '$pattern' within 20 s; its log:
$(cat "$RELAY_LOG")"
	done
	echo "x25lo (pid $RELAY_PID) is up; its log:"
	sed 's/^/    /' "$RELAY_LOG"
}

# xot_counters STATS_BASE_URL: the XOT lines of /varz (connections, failures, per peer).
xot_counters() {
	_varz=$(fetch "$1/varz") || { echo "    (no answer from $1/varz)"; return 0; }
	printf '%s\n' "$_varz" | grep -E '^"(xot_|calls_active|calls_total|interface_call_request)' | sed 's/^/    /'
}

# /sessions with each call's parts on lines of their own.
show_sessions() {
	sed -E -e 's/, "(facilities|caller|callee|caller_to_callee)": /,\n      "\1": /g' -e 's/^/    /'
}

stop_x25lo() {
	stress_stop_relay # fails the demo by itself if x25lo does not stop
	echo "x25lo stopped (SIGTERM); the end of its log:"
	tail -n 4 "$RELAY_LOG" | sed 's/^/    /'
}

# --------------------------------------------------------------------- site b ---
site_b() {
	step "site b: $here; X.25 addresses $SITE_B_ECHO (echo listener) and $SITE_B_STRESS (x25stress receiver)"
	x25test listen "$SITE_B_ECHO" --print-call --echo-interrupts -W 7 -P 4096 \
		--ready-file "$STRESS_TMP/echo.ready" >"$STRESS_TMP/echo.out" 2>&1 &
	ECHO_PID=$!
	x25test wait-file "$STRESS_TMP/echo.ready" --timeout 10 >/dev/null ||
		stress_fail "the echo listener did not start: $(cat "$STRESS_TMP/echo.out")"
	x25stress -r -a "$SITE_B_STRESS" -W 7 -P 4096 >"$RECEIVER_OUT" 2>&1 &
	RECEIVER_PID=$!
	stress_wait_for "$RECEIVER_OUT" '^Receiver listening for X.25 calls' 10 ||
		stress_fail "the x25stress receiver did not start: $(cat "$RECEIVER_OUT")"
	echo "listening: x25test listen $SITE_B_ECHO (pid $ECHO_PID), x25stress -r -a $SITE_B_STRESS (pid $RECEIVER_PID)"

	step "site b: x25lo accepts XOT on [$here]:$XOT_PORT from the link; stats on the link for site a"
	start_x25lo "{
  \"tun-loopback\": {
    \"lci_start\": 3072, \"lci_end\": 4095,
    \"stats-port\": $STATS_PORT, \"stats-bind\": \"$here\",
    \"routes\": [\"$SITE_B_ECHO\", \"$SITE_B_STRESS\"],
    \"xot_listen\": \"[$here]:$XOT_PORT\",
    \"xot_allow\": [\"$peer\"]
  }
}" 'tunlb0: link operational' 'tunlb1: link operational' 'XOT listener on'

	start_control
	echo "ready" >"$CONTROL_DIR/ready"
	step "site b is ready; waiting for site a to finish (it publishes $(url "$peer" $CONTROL_PORT /done))"
	# Until the guest's own deadline (x25lo-vm --timeout) is near.
	limit=600
	[ -r /x25lo/deadline ] && read -r limit </x25lo/deadline
	limit=$((limit - 30))
	start=$(awk '{ printf "%d", $1 }' /proc/uptime)
	verdict=
	while :; do
		if verdict=$(fetch "$(url "$peer" $CONTROL_PORT /done)"); then
			break
		fi
		now=$(awk '{ printf "%d", $1 }' /proc/uptime)
		if [ $((now - start)) -ge "$limit" ]; then
			problem "site a did not finish within $limit s"
			break
		fi
		sleep 0.5
	done
	[ -n "$verdict" ] && echo "site a says: $verdict"
	echo "read" >"$CONTROL_DIR/ack"

	step "site b: the calls the echo listener answered (x25test listen --print-call)"
	sed 's/^/    /' "$STRESS_TMP/echo.out"
	grep -q "^call .*called=$SITE_B_ECHO" "$STRESS_TMP/echo.out" ||
		problem "the echo listener saw no call to $SITE_B_ECHO"

	step "site b: x25lo's XOT counters now (GET /varz)"
	xot_counters "$(url "$here" $STATS_PORT "")"
	sessions=$(fetch "$(url "$here" $STATS_PORT /sessions)")
	echo "live calls (/sessions): $sessions"

	step "site b: the x25stress receiver's summary (stopped with SIGTERM)"
	stress_stop_receiver
	cat "$RECEIVER_OUT"
	for label in 'Data Mismatches' 'Accept Errors' 'Setsockopt Errors'; do
		value=$(stress_field "$RECEIVER_OUT" "$label")
		[ "$value" = 0 ] || problem "receiver $label: $value"
	done
	received=$(stress_field "$RECEIVER_OUT" 'Calls Received')
	[ "${received:-0}" -gt 0 ] 2>/dev/null || problem "the receiver got no call from site a"
	kill -TERM "$ECHO_PID" 2>/dev/null

	step "site b: stopping"
	kill -0 "$RELAY_PID" 2>/dev/null || problem "x25lo died during the demo"
	stop_x25lo
	kill "$CONTROL_PID" 2>/dev/null
	case $verdict in
	PASSED*) ;;
	*) problem "site a did not pass: ${verdict:-no answer}" ;;
	esac
	echo
	if [ -n "$problems" ]; then
		echo "SITE B FAILED$problems"
		exit 1
	fi
	echo "SITE B PASSED: answered ${received:-?} stress calls and the demo call from site a over XOT"
}

# --------------------------------------------------------------------- site a ---
site_a() {
	step "site a: $here; X.25 address $SITE_A_ADDRESS; calls to $SITE_B_PREFIX go over XOT to site b ([$peer]:$XOT_PORT)"
	start_x25lo "{
  \"tun-loopback\": {
    \"lci_start\": 3072, \"lci_end\": 4095, \"stats-port\": $STATS_PORT,
    \"routes\": [\"$SITE_A_ADDRESS\"],
    \"xot_servers\": true
  },
  \"servers\": [
    {\"prefix\": \"$SITE_B_PREFIX\", \"ip\": \"$peer\", \"port\": $XOT_PORT}
  ]
}" 'tunlb0: link operational' 'tunlbxot: link operational'
	echo "kernel X.25 routes (/proc/net/x25/route):"
	sed 's/^/    /' /proc/net/x25/route
	start_control
	local_stats=http://127.0.0.1:$STATS_PORT
	peer_stats=$(url "$peer" $STATS_PORT "")

	step "site a: waiting for site b ($(url "$peer" $CONTROL_PORT /ready))"
	wait_for_url "$(url "$peer" $CONTROL_PORT /ready)" 180 ||
		finish_a "site b did not get ready within 180 s"
	echo "site b is ready"

	cud=01000000$(printf 'site a' | od -An -tx1 | tr -d ' \n')
	step "one call from site a to site b, $SITE_A_ADDRESS -> $SITE_B_ECHO: records of 1, 16, 128, 1000 and 4096 bytes, an interrupt, call user data; held open"
	echo "x25test call $SITE_B_ECHO -s $SITE_A_ADDRESS -W 7 -P 1024 --cud $cud --sizes 1,16,128,1000,4096 --interrupt 48656c6c6f --print-facilities --hold"
	x25test call "$SITE_B_ECHO" -s "$SITE_A_ADDRESS" -W 7 -P 1024 --cud "$cud" \
		--sizes 1,16,128,1000,4096 --interrupt 48656c6c6f --print-facilities --hold \
		--ready-file "$STRESS_TMP/call.ready" --timeout 60 >"$STRESS_TMP/call.out" 2>&1 &
	call_pid=$!
	if x25test wait-file "$STRESS_TMP/call.ready" --timeout 90 >/dev/null; then
		echo "connected, and every record and the interrupt (\"Hello\") came back intact; negotiated:"
		sed 's/^/    /' "$STRESS_TMP/call.out"

		step "site a: the call in site a's /sessions (the XOT leg names site b)"
		fetch "$local_stats/sessions" | show_sessions
		step "site b: the same call in site b's /sessions ($peer_stats/sessions)"
		fetch "$peer_stats/sessions" | show_sessions

		step "site a: hanging up (SIGTERM to the caller: it clears the call)"
		kill -TERM "$call_pid"
		if wait "$call_pid"; then
			sed 's/^/    /' "$STRESS_TMP/call.out" | tail -n 1
		else
			problem "the held call failed: $(cat "$STRESS_TMP/call.out")"
		fi
	else
		kill -TERM "$call_pid" 2>/dev/null
		wait "$call_pid"
		problem "the call to $SITE_B_ECHO failed: $(cat "$STRESS_TMP/call.out")"
	fi

	step "per-peer XOT counters after the call"
	echo "site a ($local_stats/varz):"
	xot_counters "$local_stats"
	echo "site b ($peer_stats/varz):"
	xot_counters "$peer_stats"

	step "site a: stress test across the sites for $STRESS_SECONDS s: AF_X25 senders on site a -> x25lo (a) -> XOT -> x25lo (b) -> x25stress receiver on site b"
	echo "$STRESS${*:+ $*} --latency --strict"
	sender_out=$STRESS_TMP/sender.out
	# shellcheck disable=SC2086 # STRESS is a word list on purpose
	$STRESS "$@" --latency --strict --json "$STRESS_TMP/sender.json" >"$sender_out" 2>"$STRESS_TMP/sender.err"
	sender_status=$?
	cat "$sender_out"
	if [ -s "$STRESS_TMP/sender.err" ]; then
		echo "(sender's standard error, first 20 lines:)"
		head -n 20 "$STRESS_TMP/sender.err"
	fi
	case $sender_status in
	0) ;;
	2) problem "the sender counted failures (--strict)" ;;
	*) problem "the sender exited with status $sender_status" ;;
	esac

	step "per-peer XOT counters after the stress test"
	echo "site a:"
	xot_counters "$local_stats"
	echo "site b:"
	xot_counters "$peer_stats"

	calls=$(stress_field "$sender_out" 'Calls Made')
	failed=$(stress_field "$sender_out" 'Calls Failed')
	mismatches=$(stress_field "$sender_out" 'Data Mismatches')
	run_time=$(stress_field "$sender_out" 'Run Time' | cut -d' ' -f1)
	kbps=$(stress_field "$sender_out" 'Average Bandwidth (Recv)')
	calls_per_s=$(awk -v c="${calls:-0}" -v f="${failed:-0}" -v t="${run_time:-0}" \
		'BEGIN { if (t > 0) printf "%.1f", (c - f) / t; else print "?" }')
	[ "${mismatches:-x}" = 0 ] || problem "data mismatches: ${mismatches:-?}"
	[ "${calls:-0}" -gt 0 ] 2>/dev/null || problem "the stress test made no call"
	speed="${calls:-?} calls in ${run_time:-?} s, ${failed:-?} failed: $calls_per_s calls/s, ${kbps:-? KB/s} echoed, ${mismatches:-?} data mismatches"

	step "site a: stopping"
	kill -0 "$RELAY_PID" 2>/dev/null || problem "x25lo died during the demo"
	stop_x25lo
	finish_a ""
}

# finish_a [PROBLEM]: publish the verdict for site b, print it, exit.
finish_a() {
	[ -z "$1" ] || problem "$1"
	mkdir -p "$CONTROL_DIR"
	if [ -n "$problems" ]; then
		verdict="FAILED$problems"
	else
		verdict="PASSED: $speed"
	fi
	echo "$verdict" >"$CONTROL_DIR/done.tmp" && mv "$CONTROL_DIR/done.tmp" "$CONTROL_DIR/done"
	# Serve "done" until site b has read it (bounded), then stop.
	if [ -z "${CONTROL_PID:-}" ]; then
		start_control
	fi
	wait_for_peer_read
	[ -n "${CONTROL_PID:-}" ] && kill "$CONTROL_PID" 2>/dev/null
	echo
	echo "Across the sites: ${speed:-no stress run}"
	if [ -n "$problems" ]; then
		echo "SITE A FAILED$problems"
		exit 1
	fi
	echo "SITE A PASSED"
	exit 0
}

# Site b answers "done" with an "ack" in its own control directory once it has read it.
wait_for_peer_read() {
	wait_for_url "$(url "$peer" $CONTROL_PORT /ack)" 30 || echo "(site b did not acknowledge within 30 s)"
}

case $site in
a) site_a "$@" ;;
b) site_b ;;
*) stress_fail "X25LO_SITE is '$site', expected a or b" ;;
esac
