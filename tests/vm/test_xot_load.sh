# SPDX-License-Identifier: GPL-2.0-or-later
# XOT under load, both directions at once (issue 10 item 7): x25stress AF_X25 senders call
# 999xxx, which x25lo takes over XOT to an x25stress XOT receiver, while x25stress --xot
# senders call 127002 through x25lo's XOT listener to an AF_X25 receiver. No failed call, no
# mismatch, no short receive, no socket leaked, the receivers saw every call, and afterwards
# x25lo is idle: no call, no mapped LCI, no XOT connection, no XOT failure.
# Before that, each load alone for a few seconds (and TUN to TUN as the baseline) gives the
# figures the note prints: calls/s, KB/s echoed, and x25lo's CPU per call (utime + stime).
# x25lo-vm: --timeout 600
# shellcheck source=lib.sh
. /x25lo/tests/lib.sh
# shellcheck source=stats_lib.sh
. /x25lo/tests/stats_lib.sh
# shellcheck source=xot_lib.sh
. /x25lo/tests/xot_lib.sh

STATS_PORT=8004
SECONDS_EACH=${SECONDS_EACH:-4}
SECONDS_BOTH=${SECONDS_BOTH:-8}
write_config '"127001","127002"' '"xot_servers": true, "xot_listen": "127.0.0.1:1998", "xot_allow": ["127.0.0.0/8"]' \
	'"servers": [{"prefix": "999/3", "ip": "127.0.0.1", "port": 1999}]'
start_x25lo_xot 2
wait_stats_server
start_xot_receiver xrecv 1999 -W 7 -P 4096
start_af_receiver krecv 127002 -W 7 -P 4096

# Same load everywhere: 4 senders (8 calls at once both ways: x25stress waits 1 s for an echo,
# which a loaded machine emulating the guest can exceed with more), messages up to 8192 bytes,
# 2048/7, no pause after a failure.
LOAD="-N 4 -l 8192 -n 0 -W 7 -P 2048 -b 0 --strict"
# cpu_ticks: x25lo's utime + stime, in clock ticks.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$X25LO_PID/stat"
}
ticks_per_s=$(getconf CLK_TCK 2>/dev/null || echo 100)

# check_sender FILE WHAT: no failure of any kind; prints calls made.
check_sender() {
	for label in "Calls Failed" "Data Mismatches" "Short Receives" "Write Errors" "Facilities Errors"; do
		expect_summary "$1" "$label" 0
	done
	made=$(summary_field "$1" "Calls Made")
	[ "${made:-0}" -gt 0 ] || fail "$2: no calls were made: $(cat "$1")"
	echo "$made"
}

# per_call TICKS CALLS: x25lo's CPU milliseconds per call.
per_call() {
	awk -v c="$1" -v m="$2" -v hz="$ticks_per_s" 'BEGIN { printf "%.2f", c * 1000 / hz / m }'
}

# figures FILE WHAT [TICKS]: one line of calls/s, KB/s echoed and x25lo's CPU per call.
figures() {
	made=$(summary_field "$1" "Calls Made")
	time=$(summary_field "$1" "Run Time" | sed 's/ seconds//')
	note "$(printf '%-24s %5s calls in %5s s: %6s calls/s, %s echoed%s' "$2" "$made" "$time" \
		"$(awk -v m="$made" -v t="$time" 'BEGIN { printf "%.1f", m / t }')" \
		"$(summary_field "$1" "Average Bandwidth (Recv)")" "${3:+, x25lo CPU $(per_call "$3" "$made") ms/call}")"
}

# run_alone NAME WHAT x25stress-arguments: one load alone, checked, with its figures.
run_alone() {
	ra_name=$1 ra_what=$2
	shift 2
	ra_t0=$(cpu_ticks)
	# shellcheck disable=SC2086 # LOAD is a list of options
	x25stress $LOAD -T "$SECONDS_EACH" "$@" >"/tmp/$ra_name.out" 2>"/tmp/$ra_name.err" ||
		fail "$ra_what: x25stress exited with status $?: $(cat "/tmp/$ra_name.out" "/tmp/$ra_name.err")"
	check_sender "/tmp/$ra_name.out" "$ra_what" >/dev/null
	figures "/tmp/$ra_name.out" "$ra_what" $(($(cpu_ticks) - ra_t0))
}

run_alone tun tun-to-tun -d 127002,127002 --leak-check
run_alone out "tun-to-xot (out)" -d 999001,999099 --leak-check
run_alone in "xot-to-tun (in)" --xot 127.0.0.1:1998 -d 127002,127002
expect_clean
xot_assert_idle

# --- both directions at once ---
t0=$(cpu_ticks)
# shellcheck disable=SC2086 # LOAD is a list of options
x25stress $LOAD -T "$SECONDS_BOTH" -d 999001,999099 >/tmp/both_out.out 2>/tmp/both_out.err &
out_pid=$!
# shellcheck disable=SC2086
x25stress $LOAD -T "$SECONDS_BOTH" --xot 127.0.0.1:1998 -d 127002,127002 >/tmp/both_in.out 2>/tmp/both_in.err ||
	fail "XOT senders with the load out running: status $?: $(cat /tmp/both_in.out /tmp/both_in.err)"
wait "$out_pid" || fail "AF_X25 senders over XOT with the load in running: status $?: $(cat /tmp/both_out.out /tmp/both_out.err)"
ticks=$(($(cpu_ticks) - t0))
cat /tmp/both_out.out /tmp/both_in.out
made_out=$(check_sender /tmp/both_out.out "out, with in")
made_in=$(check_sender /tmp/both_in.out "in, with out")
figures /tmp/both_out.out "both: tun-to-xot (out)"
figures /tmp/both_in.out "both: xot-to-tun (in)"
note "both at once: $((made_out + made_in)) calls, x25lo CPU $(per_call "$ticks" $((made_out + made_in))) ms/call"

stop_receiver xrecv
stop_receiver krecv
tun_made=$(summary_field /tmp/tun.out "Calls Made")
out_made=$(summary_field /tmp/out.out "Calls Made")
in_made=$(summary_field /tmp/in.out "Calls Made")
expect_summary /tmp/xrecv.out "Calls Received" $((out_made + made_out))
expect_summary /tmp/krecv.out "Calls Received" $((tun_made + in_made + made_in))
for r in xrecv krecv; do
	expect_summary "/tmp/$r.out" "Data Mismatches" 0
	expect_summary "/tmp/$r.out" "Short Receives" 0
	expect_summary "/tmp/$r.out" "Write Errors" 0
	expect_summary "/tmp/$r.out" "Accept Errors" 0
done

expect_clean
xot_assert_idle
varz_fresh
expect_eq "xot_failures" "{}" "$(varz_value xot_failures)"
expect_eq "calls_active" 0 "$(varz_value calls_active)"
expect_eq "XOT calls out" $((out_made + made_out)) "$(varz_value xot_peer_calls_out 127.0.0.1)"
expect_eq "XOT calls in" $((in_made + made_in)) "$(varz_value xot_peer_calls_in 127.0.0.1)"
expect_eq "write errors" 0 "$(varz_value write_errors)"
stop_x25lo
echo "PASS"
