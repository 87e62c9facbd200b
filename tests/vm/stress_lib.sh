# SPDX-License-Identifier: GPL-2.0-or-later
# stress_lib.sh - shell helpers for the x25stress guest scripts (sourced, busybox sh).
#
# Starts the relay under test and the echo receiver, waits for them by polling their
# output (bounded), stops them, and reads figures out of x25stress summaries.
# The relay is x25lo; X25STRESS_RELAY=copyrelay uses bench/copyrelay instead (a plain
# frame copier, for trying the tool while x25lo is unavailable).

STRESS_TMP=${STRESS_TMP:-/tmp/x25stress-vm}
mkdir -p "$STRESS_TMP"
RELAY_PID=
RECEIVER_PID=
RELAY_LOG=$STRESS_TMP/relay.log
RECEIVER_OUT=$STRESS_TMP/receiver.out

stress_fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# Exit 77 (skip) when a prerequisite is missing: never pass silently.
stress_skip() {
	echo "SKIP: $*" >&2
	exit 77
}

# stress_wait_for FILE PATTERN SECONDS: poll FILE until grep -E PATTERN matches.
stress_wait_for() {
	_file=$1 _pattern=$2 _tenths=$(($3 * 10))
	while [ "$_tenths" -gt 0 ]; do
		grep -Eq -- "$_pattern" "$_file" 2>/dev/null && return 0
		sleep 0.1
		_tenths=$((_tenths - 1))
	done
	return 1
}

# stress_stop PID SECONDS: SIGTERM, then wait (bounded) for the process to exit; SIGKILL after.
stress_stop() {
	_pid=$1 _tenths=$(($2 * 10))
	[ -n "$_pid" ] || return 0
	kill -TERM "$_pid" 2>/dev/null || return 0
	while kill -0 "$_pid" 2>/dev/null && [ "$_tenths" -gt 0 ]; do
		sleep 0.1
		_tenths=$((_tenths - 1))
	done
	if kill -0 "$_pid" 2>/dev/null; then
		echo "warning: process $_pid ignored SIGTERM for $2 s; killing it" >&2
		kill -KILL "$_pid" 2>/dev/null
		return 1
	fi
	wait "$_pid" 2>/dev/null
	return 0
}

stress_cleanup() {
	[ -n "$RECEIVER_PID" ] && kill -KILL "$RECEIVER_PID" 2>/dev/null
	[ -n "$RELAY_PID" ] && kill -KILL "$RELAY_PID" 2>/dev/null
	return 0
}
trap stress_cleanup EXIT

# stress_start_relay [STATS_PORT]: the article's configuration, routes 127001 and 127002.
stress_start_relay() {
	_stats_port=${1:-0}
	command -v x25stress >/dev/null || stress_fail "x25stress is not on PATH (was the build added with --build?)"
	if [ "${X25STRESS_RELAY:-x25lo}" = copyrelay ]; then
		command -v copyrelay >/dev/null || stress_skip "copyrelay is not in the build"
		copyrelay 127001 127002 >"$RELAY_LOG" 2>&1 &
		RELAY_PID=$!
		stress_wait_for "$RELAY_LOG" 'copyrelay: ready' 15 ||
			stress_fail "copyrelay did not bring its links up within 15 s; its log: $(cat "$RELAY_LOG")"
		echo "relay: copyrelay (X25STRESS_RELAY=copyrelay)"
		return 0
	fi
	command -v x25lo >/dev/null || stress_skip "x25lo is not in the build yet (X25STRESS_RELAY=copyrelay tries the tool over bench/copyrelay)"
	cat >"$STRESS_TMP/config.json" <<EOF
{"tun-loopback": {"lci_start": 3072, "lci_end": 4095, "stats-port": $_stats_port,
                  "routes": ["127001", "127002"]}}
EOF
	x25lo -config "$STRESS_TMP/config.json" >"$RELAY_LOG" 2>&1 &
	RELAY_PID=$!
	if ! stress_wait_for "$RELAY_LOG" 'tunlb0: link operational' 15 ||
		! stress_wait_for "$RELAY_LOG" 'tunlb1: link operational' 15; then
		stress_fail "x25lo did not report both links operational within 15 s; its log:
$(cat "$RELAY_LOG")"
	fi
	echo "relay: x25lo (pid $RELAY_PID), both links operational"
}

# The article's receiver: answers calls to 127002 and echoes every message.
stress_start_receiver() {
	x25stress -r -a 127002 -W 7 -P 4096 >"$RECEIVER_OUT" 2>&1 &
	RECEIVER_PID=$!
	stress_wait_for "$RECEIVER_OUT" '^Receiver listening for X.25 calls' 10 ||
		stress_fail "the receiver did not start listening within 10 s: $(cat "$RECEIVER_OUT")"
}

# Stop the receiver with SIGTERM: it must print its summary and exit 0 by itself.
stress_stop_receiver() {
	stress_stop "$RECEIVER_PID" 10 || stress_fail "the receiver did not exit on SIGTERM"
	RECEIVER_PID=
	grep -q '^Interrupted by signal 15$' "$RECEIVER_OUT" ||
		stress_fail "the receiver printed no summary on SIGTERM: $(cat "$RECEIVER_OUT")"
}

stress_stop_relay() {
	stress_stop "$RELAY_PID" 10 || stress_fail "the relay did not exit on SIGTERM"
	RELAY_PID=
}

# stress_field FILE LABEL: the value after "LABEL: " in an x25stress summary (first match).
stress_field() {
	sed -n "s/^$2: *//p" "$1" | head -n 1
}

# stress_expect FILE LABEL VALUE: fail unless the summary line LABEL has exactly VALUE.
stress_expect() {
	_got=$(stress_field "$1" "$2")
	[ "$_got" = "$3" ] || stress_fail "$2: expected '$3', got '$_got' (in $1)"
}

# stress_json_number FILE KEY: a top-level number from x25stress --json output (one key a line).
stress_json_number() {
	sed -n "s/^  \"$2\": \([-0-9.e+]*\),*$/\1/p" "$1" | head -n 1
}
