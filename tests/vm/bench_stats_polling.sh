# Measurement, not a test (run-vm-tests runs only test_*.sh): relay throughput with and
# without an HTTP client polling /varz, /metrics and /sessions ten times a second each.
#   vm/x25lo-vm run --build build --add tests/vm:/x25lo/tests [--smp 2] --timeout 900 \
#       -- sh /x25lo/tests/bench_stats_polling.sh [ROUNDS]
# Rounds alternate without/with polling; each runs the same load (x25test load mode).
. /x25lo/tests/lib.sh
. /x25lo/tests/stats_lib.sh

ROUNDS=${1:-3}
STATS_PORT=8004
write_config '"127001","127002"'
start_x25lo 2
wait_stats_server
start_listener 127002 echo -W 7 -P 1024 --rcvbuf 4194304

# load: 400 calls, 8 at a time, 20 messages of 1024 bytes each (packet size 1024, window 7).
load() {
	x25test call 127002 -s 127001 --calls ${CALLS:-400} --parallel 8 --messages 20 --sizes 1024 -P 1024 -W 7 \
		--rcvbuf 4194304 --timeout 60 || fail "load failed"
}

# poller: each endpoint ten times a second; counts its requests in /tmp/polls.
poller() {
	: >/tmp/polls
	while :; do
		for path in /varz /metrics /sessions; do
			busybox wget -q -O /dev/null "$STATS_URL$path" && echo >>/tmp/polls
		done
		sleep 0.1
	done
}

field() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
# x25lo's CPU time so far (user + system, in clock ticks: 1/100 s).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$X25LO_PID/stat"; }

round=1
while [ "$round" -le "$ROUNDS" ]; do
	t0=$(cpu_ticks)
	plain=$(load)
	t1=$(cpu_ticks)
	poller &
	POLLER=$!
	polled=$(load)
	t2=$(cpu_ticks)
	kill "$POLLER"
	wait "$POLLER" 2>/dev/null
	polls=$(wc -l </tmp/polls)
	echo "round $round without polling: calls_per_s=$(field calls_per_s "$plain") kbytes_per_s=$(field kbytes_per_s "$plain") x25lo_cpu_ticks=$((t1 - t0))"
	echo "round $round with polling:    calls_per_s=$(field calls_per_s "$polled") kbytes_per_s=$(field kbytes_per_s "$polled") x25lo_cpu_ticks=$((t2 - t1)) requests=$polls in $(field elapsed "$polled")s"
	round=$((round + 1))
done
stop_x25lo
