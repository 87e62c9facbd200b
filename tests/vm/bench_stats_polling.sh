# SPDX-License-Identifier: GPL-2.0-or-later
# Measurement, not a test (run-vm-tests runs only test_*.sh): relay throughput with and
# without an HTTP client polling /varz, /metrics and /sessions ten times a second each.
#   vm/x25lo-vm run --build build --add tests/vm:/x25lo/tests [--smp 2] --timeout 900 \
#       -- sh /x25lo/tests/bench_stats_polling.sh [ROUNDS]
# Each round runs the same load (x25test load mode) three times: without a client, with the
# client loop writing into /dev/null (control), and with the client polling x25lo.
# shellcheck source=lib.sh
. /x25lo/tests/lib.sh
# shellcheck source=stats_lib.sh
. /x25lo/tests/stats_lib.sh

ROUNDS=${1:-3}
STATS_PORT=8004
write_config '"127001","127002"'
start_x25lo 2
wait_stats_server
start_listener 127002 echo -W 7 -P 1024 --rcvbuf 4194304

# load: 400 calls, 8 at a time, 20 messages of 1024 bytes each (packet size 1024, window 7).
load() {
	x25test call 127002 -s 127001 --calls "${CALLS:-400}" --parallel "${PARALLEL:-8}" --messages 20 --sizes 1024 -P 1024 -W 7 \
		--rcvbuf 4194304 --timeout 60 || fail "load failed"
}

# poller_start [TARGET]: each endpoint ten times a second over one keep-alive connection
# (one nc process, so the client itself costs the single emulated CPU little); answers go
# to /tmp/polls. TARGET "idle" runs the same client loop into /dev/null instead: the
# control that shows what the client alone costs the guest.
poller_start() {
	rm -f /tmp/pollfifo /tmp/polls
	mkfifo /tmp/pollfifo
	if [ "${1:-}" = idle ]; then
		cat /tmp/pollfifo >/dev/null &
	else
		busybox nc 127.0.0.1 "$STATS_PORT" </tmp/pollfifo >/tmp/polls &
	fi
	POLL_NC=$!
	(
		while :; do
			printf 'GET /varz HTTP/1.1\r\nHost: x\r\n\r\nGET /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET /sessions HTTP/1.1\r\nHost: x\r\n\r\n'
			sleep 0.1
		done
	) >/tmp/pollfifo &
	POLL_LOOP=$!
}
poller_stop() {
	kill "$POLL_LOOP" "$POLL_NC" 2>/dev/null
	wait "$POLL_LOOP" "$POLL_NC" 2>/dev/null
}

field() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
# x25lo's CPU time so far (user + system, in clock ticks: 1/100 s).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$X25LO_PID/stat"; }
# median FILE: the median of the numbers in FILE, one per line.
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# run_mode MODE ROUND: one load with MODE = none | idle (client loop only) | polling.
run_mode() {
	[ "$1" = none ] || poller_start "$1"
	t0=$(cpu_ticks)
	out=$(load)
	ticks=$(($(cpu_ticks) - t0))
	[ "$1" = none ] || poller_stop
	extra=""
	if [ "$1" = polling ]; then
		polls=$(grep -c "^HTTP/1.1 200" /tmp/polls)
		extra=" requests=$polls"
		awk -v n="$polls" -v s="$(field elapsed "$out")" 'BEGIN { printf "%.1f\n", n / s }' >>/tmp/polls.rate
	fi
	printf 'round %s %-8s %s x25lo_cpu_ticks=%s%s\n' "$2" "$1:" "$out" "$ticks" "$extra"
	field calls_per_s "$out" >>"/tmp/$1.rate"
	echo "$ticks" >>"/tmp/$1.cpu"
}

for mode in none idle polling; do : >"/tmp/$mode.rate"; : >"/tmp/$mode.cpu"; done
: >/tmp/polls.rate
round=1
while [ "$round" -le "$ROUNDS" ]; do
	# Rotate the order, so a drift in the machine's speed hits every mode alike.
	case $((round % 3)) in
	0) order="none idle polling" ;;
	1) order="idle polling none" ;;
	2) order="polling none idle" ;;
	esac
	for mode in $order; do run_mode "$mode" "$round"; done
	round=$((round + 1))
done
for mode in none idle polling; do
	echo "median $mode: calls_per_s=$(median /tmp/$mode.rate) x25lo_cpu_ticks=$(median /tmp/$mode.cpu)"
done
echo "median poll rate: $(median /tmp/polls.rate) requests/s"
stop_x25lo
