#!/bin/sh
# run-bench-guest.sh - inside the X.25 VM: the same loads through bench/copyrelay and through
# x25lo, side by side, in one boot. Started by bench/run-bench.sh; see bench/README.md.
#
# For each relay: start it, start an echo listener, run each load with x25test's load mode,
# and measure the relay's CPU (utime+stime from /proc/PID/stat) against the frames it
# relayed (tx_packets of the ARPHRD_X25 TUNs: every frame a kernel hands to the relay).
#
# Environment (defaults in brackets):
#   BENCH_RELAYS  relays to measure [copyrelay x25lo]; x25lo is skipped if not installed
#   SHORT_CALLS   calls in the short-call load [3000]
#   ARTICLE_CALLS calls in the article's stress-test load [2000]
#   LONG_CALLS    calls in the long-message load [100]
#   BENCH_REPEAT  runs of each load per relay; the summary shows the best [1]
set -u

BENCH_RELAYS=${BENCH_RELAYS:-copyrelay x25lo}
SHORT_CALLS=${SHORT_CALLS:-3000}
ARTICLE_CALLS=${ARTICLE_CALLS:-2000}
LONG_CALLS=${LONG_CALLS:-100}
BENCH_REPEAT=${BENCH_REPEAT:-1}
WORK=/tmp/bench
RESULTS=$WORK/results
CALLED=127002
CALLING=127001

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

start_x25lo() {
	cat >"$WORK/x25lo.json" <<JSON
{"tun-loopback":{"lci_start":3072,"lci_end":4095,"stats-port":0,"routes":["$CALLING","$CALLED"]}}
JSON
	x25lo -config "$WORK/x25lo.json" >"$WORK/x25lo.log" 2>&1 &
	RELAY_PID=$!
	wait_log "$WORK/x25lo.log" "tunlb1: link operational" 100 ||
		fail "x25lo did not bring up tunlb1: $(tail -n 20 "$WORK/x25lo.log")"
}

# start_listener ARGS...: echo server on $CALLED with the given facilities.
start_listener() {
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
	ticks0=$(relay_cpu_ticks "$RELAY_PID")
	frames0=$(x25_tun_tx_packets)
	out=$(x25test call "$CALLED" -s "$CALLING" "$@" 2>"$WORK/load.err")
	rc=$?
	ticks1=$(relay_cpu_ticks "$RELAY_PID")
	frames1=$(x25_tun_tx_packets)
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

echo "# vCPUs: $(grep -c ^processor /proc/cpuinfo), kernel $(uname -r)"
for relay in $BENCH_RELAYS; do
	if ! command -v "$relay" >/dev/null 2>&1; then
		echo "# $relay: not installed in the guest, skipped"
		continue
	fi
	bench_relay "$relay"
done

echo
echo "== summary (best of $BENCH_REPEAT per relay and load)"
printf '%-10s %-14s %10s %10s %10s %12s\n' relay load calls/s KB/s us/frame user-us/frame
for load in short-calls article long-messages; do
	for relay in $BENCH_RELAYS; do
		grep "^$relay $load " "$RESULTS" | awk -v r="$relay" -v l="$load" '
			{ for (i = 3; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
			  if (v["calls_per_s"] + 0 > best + 0) { best = v["calls_per_s"]; kb = v["kbytes_per_s"]
			                                          us = v["us_per_frame"]; uu = v["user_us_per_frame"] } }
			END { if (best != "") printf "%-10s %-14s %10s %10s %10s %12s\n", r, l, best, kb, us, uu }'
	done
done
