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
	x25test call 127002 -s 127001 --calls ${CALLS:-400} --parallel ${PARALLEL:-8} --messages 20 --sizes 1024 -P 1024 -W 7 \
		--rcvbuf 4194304 --timeout 60 || fail "load failed"
}

# poller_start / poller_stop: each endpoint ten times a second over one keep-alive
# connection (one nc process, so the client itself costs the single emulated CPU little);
# the answers go to /tmp/polls.
poller_start() {
	rm -f /tmp/pollfifo
	mkfifo /tmp/pollfifo
	busybox nc 127.0.0.1 "$STATS_PORT" </tmp/pollfifo >/tmp/polls &
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

round=1
while [ "$round" -le "$ROUNDS" ]; do
	t0=$(cpu_ticks)
	plain=$(load)
	t1=$(cpu_ticks)
	poller_start
	polled=$(load)
	t2=$(cpu_ticks)
	poller_stop
	polls=$(grep -c "^HTTP/1.1 200" /tmp/polls)
	echo "round $round without polling: calls_per_s=$(field calls_per_s "$plain") kbytes_per_s=$(field kbytes_per_s "$plain") x25lo_cpu_ticks=$((t1 - t0))"
	echo "round $round with polling:    calls_per_s=$(field calls_per_s "$polled") kbytes_per_s=$(field kbytes_per_s "$polled") x25lo_cpu_ticks=$((t2 - t1)) requests=$polls in $(field elapsed "$polled")s"
	round=$((round + 1))
done
stop_x25lo
