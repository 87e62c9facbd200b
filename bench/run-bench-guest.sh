#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# run-bench-guest.sh - inside the X.25 VM: the same loads through bench/copyrelay and through
# x25lo, side by side, in one boot. Started by bench/run-bench.sh; see bench/README.md.
#
# For each relay: start it, start an echo listener, run each load with x25test's load mode,
# and measure the relay's CPU (utime+stime from /proc/PID/stat) against the frames it
# relayed (tx_packets of the ARPHRD_X25 TUNs: every frame a kernel hands to the relay).
#
# Environment (defaults in brackets):
#   BENCH_RELAYS  relays to measure [copyrelay x25lo x25lo-xot]; a relay whose program is not
#                 installed is skipped. x25lo-xot is x25lo relaying each call over XOT (RFC 1613)
#                 to an x25stress XOT echo receiver on 127.0.0.1: TUN -> XOT instead of TUN -> TUN
#   XOT_IN_SECONDS  run time of each inbound XOT comparison (x25stress callers over AF_X25
#                 and over XOT into x25lo's listener); 0 skips it [10]
#   SHORT_CALLS   calls in the short-call load [3000]
#   ARTICLE_CALLS calls in the article's stress-test load [2000]
#   LONG_CALLS    calls in the long-message load [100]
#   BENCH_REPEAT  runs of each load per relay; the summary shows the best [1]
set -u

BENCH_RELAYS=${BENCH_RELAYS:-copyrelay x25lo x25lo-xot}
XOT_IN_SECONDS=${XOT_IN_SECONDS:-10}
SHORT_CALLS=${SHORT_CALLS:-3000}
ARTICLE_CALLS=${ARTICLE_CALLS:-2000}
LONG_CALLS=${LONG_CALLS:-100}
BENCH_REPEAT=${BENCH_REPEAT:-1}
WORK=/tmp/bench
RESULTS=$WORK/results
CALLED=127002
CALLING=127001
XOT_PREFIX=9   # x25lo-xot: called addresses starting with 9 go over XOT
XOT_PORT=1998
STATS_PORT=8004

mkdir -p "$WORK"
: >"$RESULTS"
RELAY_PID=""
LISTENER_PID=""

fail() {
	echo "run-bench: FAIL: $*" >&2
	cleanup
	exit 1
}

cleanup() {
	[ -n "$LISTENER_PID" ] && kill "$LISTENER_PID" 2>/dev/null && wait "$LISTENER_PID" 2>/dev/null
	[ -n "$RELAY_PID" ] && kill "$RELAY_PID" 2>/dev/null && wait "$RELAY_PID" 2>/dev/null
	LISTENER_PID=""
	RELAY_PID=""
}

# wait_log FILE TEXT TENTHS: poll FILE every 0.1 s until it contains TEXT.
wait_log() {
	i=0
	while ! grep -qF -- "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -ge "$3" ] && return 1
		sleep 0.1
	done
}

# relay_cpu_ticks PID: "utime stime" in clock ticks. Fields counted after the ") " that ends
# the command name: state is field 3 of the full line, utime 14 and stime 15.
relay_cpu_ticks() {
	sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12, $13 }'
}

# x25_tun_tx_packets: frames all ARPHRD_X25 (type 271) interfaces handed to their reader.
x25_tun_tx_packets() {
	total=0
	for dev in /sys/class/net/*; do
		[ "$(cat "$dev/type" 2>/dev/null)" = 271 ] || continue
		total=$((total + $(cat "$dev/statistics/tx_packets")))
	done
	echo "$total"
}

start_copyrelay() {
	copyrelay "$CALLING" "$CALLED" >"$WORK/copyrelay.log" 2>&1 &
	RELAY_PID=$!
	wait_log "$WORK/copyrelay.log" "copyrelay: ready" 100 ||
		fail "copyrelay did not get ready: $(cat "$WORK/copyrelay.log")"
}

# start_x25lo [TUN_LOOPBACK_MEMBERS [TOP_LEVEL_MEMBERS]]: extra JSON for the config.
start_x25lo() {
	cat >"$WORK/x25lo.json" <<JSON
{"tun-loopback":{"lci_start":3072,"lci_end":4095,"stats-port":$STATS_PORT,"routes":["$CALLING","$CALLED"]${1:+,$1}}${2:+,$2}}
JSON
	x25lo -config "$WORK/x25lo.json" >"$WORK/x25lo.log" 2>&1 &
	RELAY_PID=$!
	wait_log "$WORK/x25lo.log" "tunlb1: link operational" 100 ||
		fail "x25lo did not bring up tunlb1: $(tail -n 20 "$WORK/x25lo.log")"
}

# x25lo_packets: X.25 packets x25lo has read so far, from TUNs and XOT peers (the sum of
# /varz packets_handled).
x25lo_packets() {
	busybox timeout 10 busybox wget -q -O - "http://127.0.0.1:$STATS_PORT/varz" 2>/dev/null |
		sed -n 's/^"packets_handled": {\(.*\)},*$/\1/p' | tr ',' '\n' |
		awk -F': ' '{ n += $2 } END { print n + 0 }'
}

# relay_packets RELAY: packets the relay has read so far. copyrelay: the frames every
# ARPHRD_X25 TUN handed to its reader; x25lo: its own count, which includes XOT.
relay_packets() {
	case $1 in
	copyrelay) x25_tun_tx_packets ;;
	*) x25lo_packets ;;
	esac
}

# start_listener ARGS...: echo server on $CALLED with the given facilities; for x25lo-xot an
# x25stress XOT receiver on 127.0.0.1:$XOT_PORT, which echoes each record the same way.
start_listener() {
	if [ "$relay" = x25lo-xot ]; then
		x25stress -r --xot "127.0.0.1:$XOT_PORT" "$@" >"$WORK/listener.log" 2>&1 &
		LISTENER_PID=$!
		wait_log "$WORK/listener.log" "XOT on 127.0.0.1:$XOT_PORT" 100 ||
			fail "x25stress XOT receiver did not start: $(cat "$WORK/listener.log")"
		return
	fi
	rm -f "$WORK/listener.ready"
	x25test listen "$CALLED" --ready-file "$WORK/listener.ready" --rcvbuf 4194304 \
		--sndbuf 4194304 "$@" >"$WORK/listener.log" 2>&1 &
	LISTENER_PID=$!
	x25test wait-file "$WORK/listener.ready" --timeout 10 ||
		fail "listener did not start: $(cat "$WORK/listener.log")"
}

stop_listener() {
	kill "$LISTENER_PID" 2>/dev/null
	wait "$LISTENER_PID" 2>/dev/null
	LISTENER_PID=""
}

# run_load RELAY LOAD_NAME x25test-call-args...: one measured run; appends to $RESULTS.
run_load() {
	relay=$1 load=$2
	shift 2
	called=$CALLED
	[ "$relay" = x25lo-xot ] && called=$XOT_PREFIX$CALLED
	ticks0=$(relay_cpu_ticks "$RELAY_PID")
	frames0=$(relay_packets "$relay")
	out=$(x25test call "$called" -s "$CALLING" "$@" 2>"$WORK/load.err")
	rc=$?
	ticks1=$(relay_cpu_ticks "$RELAY_PID")
	frames1=$(relay_packets "$relay")
	[ "$rc" -eq 0 ] || fail "$relay / $load failed (rc $rc): $out $(head -n 5 "$WORK/load.err")"
	frames=$((frames1 - frames0))
	user=$(($(echo "$ticks1" | cut -d' ' -f1) - $(echo "$ticks0" | cut -d' ' -f1)))
	sys=$(($(echo "$ticks1" | cut -d' ' -f2) - $(echo "$ticks0" | cut -d' ' -f2)))
	ticks=$((user + sys))
	# Clock ticks are 10 ms (USER_HZ 100): a short run measures CPU coarsely. User time is
	# the relay's own work; system time also holds the kernel's X.25 processing of every
	# frame the relay writes (done inside its write()).
	us_per_frame=$(awk -v t="$ticks" -v f="$frames" 'BEGIN { printf "%.1f", f ? t * 10000 / f : 0 }')
	user_us=$(awk -v t="$user" -v f="$frames" 'BEGIN { printf "%.1f", f ? t * 10000 / f : 0 }')
	calls_s=$(echo "$out" | sed -n 's/.*calls_per_s=\([0-9.]*\).*/\1/p')
	kb_s=$(echo "$out" | sed -n 's/.*kbytes_per_s=\([0-9.]*\).*/\1/p')
	elapsed=$(echo "$out" | sed -n 's/.*elapsed=\([0-9.]*\).*/\1/p')
	echo "$relay $load calls_per_s=$calls_s kbytes_per_s=$kb_s elapsed=$elapsed frames=$frames cpu_ms=$((ticks * 10)) user_ms=$((user * 10)) us_per_frame=$us_per_frame user_us_per_frame=$user_us" |
		tee -a "$RESULTS"
	# Let closed calls drain (orphans go within the 5 s heartbeat) so runs do not overlap.
	x25test wait-clean --timeout 15 >/dev/null || fail "sockets left after $relay / $load"
}

# run_load's arguments, BENCH_REPEAT times.
run_load_repeated() {
	n=0
	while [ "$n" -lt "$BENCH_REPEAT" ]; do
		run_load "$@"
		n=$((n + 1))
	done
}

bench_relay() {
	relay=$1
	case $relay in
	copyrelay) start_copyrelay ;;
	x25lo) start_x25lo ;;
	x25lo-xot)
		start_x25lo '"xot_servers":true' \
			"\"servers\":[{\"prefix\":\"$XOT_PREFIX/1\",\"ip\":\"127.0.0.1\",\"port\":$XOT_PORT}]"
		;;
	*) fail "unknown relay $relay" ;;
	esac
	echo "# $relay (pid $RELAY_PID) up"

	# (1) Many short calls (the load docs/linux-x25.md §9.12 quotes): 8 callers, one message
	# of 1..1024 bytes each, window 7, packet 128.
	start_listener -W 7 -P 128
	run_load_repeated "$relay" short-calls --calls "$SHORT_CALLS" --parallel 8 --sizes 1-1024 -W 7 -P 128 \
		--connect-timeout 10000
	stop_listener

	# (2) The article's stress test: receiver -W 7 -P 4096, 32 callers asking for -W 7 -P 2048,
	# one message of up to 8192 bytes per call.
	start_listener -W 7 -P 4096
	run_load_repeated "$relay" article --calls "$ARTICLE_CALLS" --parallel 32 --sizes 1-8192 -W 7 -P 2048 \
		--connect-timeout 10000
	stop_listener

	# (3) Throughput: 4 callers, 50 messages of 1..4096 bytes per call, packet size 2048.
	start_listener -W 7 -P 2048
	run_load_repeated "$relay" long-messages --calls "$LONG_CALLS" --parallel 4 --messages 50 \
		--sizes 1-4096 -W 7 -P 2048
	stop_listener

	kill "$RELAY_PID"
	wait "$RELAY_PID"
	rc=$?
	RELAY_PID=""
	[ "$rc" -eq 0 ] || fail "$relay exited with status $rc on SIGTERM"
	[ "$relay" = copyrelay ] && grep 'copyrelay: exit' "$WORK/copyrelay.log"
	return 0
}

# x25stress_field FILE NAME: a number from x25stress's summary ("Calls Made: 123").
x25stress_field() {
	sed -n "s/^$2: *\([0-9.]*\).*/\1/p" "$1" | head -n 1
}

# run_inbound NAME x25stress-args...: x25stress callers for XOT_IN_SECONDS against the echo
# listener on $CALLED through the running x25lo; appends to $RESULTS.
run_inbound() {
	name=$1
	shift
	ticks0=$(relay_cpu_ticks "$RELAY_PID")
	frames0=$(x25lo_packets)
	x25stress "$@" -d "$CALLED,$CALLED" -T "$XOT_IN_SECONDS" -n 0 -N 8 -l 1024 -W 7 -P 128 --strict \
		>"$WORK/inbound.out" 2>"$WORK/inbound.err" ||
		fail "inbound $name: x25stress failed: $(cat "$WORK/inbound.out" "$WORK/inbound.err" | tail -n 20)"
	ticks1=$(relay_cpu_ticks "$RELAY_PID")
	frames1=$(x25lo_packets)
	frames=$((frames1 - frames0))
	user=$(($(echo "$ticks1" | cut -d' ' -f1) - $(echo "$ticks0" | cut -d' ' -f1)))
	sys=$(($(echo "$ticks1" | cut -d' ' -f2) - $(echo "$ticks0" | cut -d' ' -f2)))
	ticks=$((user + sys))
	made=$(x25stress_field "$WORK/inbound.out" "Calls Made")
	runtime=$(x25stress_field "$WORK/inbound.out" "Run Time")
	kb_s=$(x25stress_field "$WORK/inbound.out" "Average Bandwidth (Sent)")
	calls_s=$(awk -v c="$made" -v t="$runtime" 'BEGIN { printf "%.1f", t ? c / t : 0 }')
	us_per_frame=$(awk -v t="$ticks" -v f="$frames" 'BEGIN { printf "%.1f", f ? t * 10000 / f : 0 }')
	user_us=$(awk -v t="$user" -v f="$frames" 'BEGIN { printf "%.1f", f ? t * 10000 / f : 0 }')
	echo "x25lo $name calls_per_s=$calls_s kbytes_per_s=$kb_s elapsed=$runtime frames=$frames cpu_ms=$((ticks * 10)) user_ms=$((user * 10)) us_per_frame=$us_per_frame user_us_per_frame=$user_us" |
		tee -a "$RESULTS"
	x25test wait-clean --timeout 15 >/dev/null || fail "sockets left after inbound $name"
}

# Inbound XOT next to the same load over AF_X25: x25stress callers (8 threads, messages of
# 1..1024 bytes, W 7 P 128), once through the kernel (TUN -> TUN) and once as an XOT peer
# into x25lo's listener (XOT -> TUN), against the same echo listener.
bench_xot_inbound() {
	relay=x25lo
	start_x25lo "\"xot_listen\":\"127.0.0.1:$XOT_PORT\",\"xot_allow\":[\"127.0.0.0/8\"]"
	echo "# x25lo with an XOT listener (pid $RELAY_PID) up"
	start_listener -W 7 -P 128
	run_inbound stress-tun
	run_inbound stress-xot-in --xot "127.0.0.1:$XOT_PORT"
	stop_listener
	kill "$RELAY_PID"
	wait "$RELAY_PID" || fail "x25lo exited with status $? on SIGTERM"
	RELAY_PID=""
}

echo "# vCPUs: $(grep -c ^processor /proc/cpuinfo), kernel $(uname -r)"
for relay in $BENCH_RELAYS; do
	program=${relay%-xot}
	if ! command -v "$program" >/dev/null 2>&1 || { [ "$relay" = x25lo-xot ] && ! command -v x25stress >/dev/null 2>&1; }; then
		echo "# $relay: not installed in the guest, skipped"
		continue
	fi
	bench_relay "$relay"
done
if [ "$XOT_IN_SECONDS" -gt 0 ] && command -v x25lo >/dev/null 2>&1 && command -v x25stress >/dev/null 2>&1; then
	bench_xot_inbound
fi

echo
echo "== summary (best of $BENCH_REPEAT per relay and load)"
printf '%-10s %-14s %10s %10s %10s %12s\n' relay load calls/s KB/s us/frame user-us/frame
for load in short-calls article long-messages stress-tun stress-xot-in; do
	for relay in $BENCH_RELAYS; do
		grep "^$relay $load " "$RESULTS" | awk -v r="$relay" -v l="$load" '
			{ for (i = 3; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
			  if (v["calls_per_s"] + 0 > best + 0) { best = v["calls_per_s"]; kb = v["kbytes_per_s"]
			                                          us = v["us_per_frame"]; uu = v["user_us_per_frame"] } }
			END { if (best != "") printf "%-10s %-14s %10s %10s %10s %12s\n", r, l, best, kb, us, uu }'
	done
done
