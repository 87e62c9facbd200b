#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# soak_guest.sh [--calls N] [--reloads N] [--flaps N] [--duration S] [--x25lo PATH] [--sanitize]
#
# The soak, inside one X.25 guest (run by scripts/soak.sh for `make soak`, and by
# test_soak_short.sh in its short form). x25lo relays two stable routes, 127001 and 127002,
# and a third, 127003, that comes and goes:
#
#   - calls in both directions at once: x25stress senders from 127001's side calling 127002
#     and from 127002's side calling 127001, each against an x25stress receiver, CALLS
#     connected calls in all (half each way);
#   - meanwhile RELOADS SIGHUP reloads (the config rewritten, SIGHUP, the log line that says
#     it took effect): odd ones add 127003, even ones remove it again, so half add and half
#     remove; a third sender calls 127003 all the time (its calls leave the kernel on
#     tunlb2 and x25lo injects them into tunlb0, where a third receiver answers);
#   - FLAPS times tunlb2 goes down and up while it exists (every other one without a pause
#     between the two, the fast case x25lo finds by the missing route);
#   - /varz, /metrics and /sessions polled with busybox wget, 100 ms between rounds;
#   - packet capture with rotation (pcap_max_bytes 1 MiB).
#
# The reloads are paced by the progress of the stable calls (x25lo's CALL REQUEST counters
# of tunlb0 and tunlb1 in /varz): reload k when k/(RELOADS+1) of CALLS have been requested,
# flaps half-way between an add and its removal. DURATION bounds the whole run (the senders'
# -T; the run fails if the calls are not done by then).
#
# Asserts: no failed call, no data mismatch and no short receive on the stable pairs; every
# clear x25lo generated has cause 0x09 (link loss or route removal: the flaps and reloads)
# and no other generated clear, refusal, timeout, reused LCI or write error; every failed
# call of the third pair is a failed connect ("Network is unreachable": no route, or the TUN
# went away under it) or a 0x09 clear; calls ran on tunlb2 in every window it existed;
# tunlb0 and tunlb1 never lost their link; tx_dropped and rx_dropped 0 on every TUN (each
# /varz polled, tunlb2's device counters before each removal, the final /varz); no poll
# failed; no socket left in states 1, 2, 4, 5 (x25test wait-clean); x25lo idle at the end
# and its RSS at the end within 10% of its RSS after warm-up (~10% of the calls); both
# capture files exist with the pcapng magic; x25lo exits 0 on SIGTERM; with --sanitize
# (x25lo built with ASan+UBSan) no sanitizer report. Prints every figure at the end.
# Exit status: 0 passed, 1 failed.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=stats_lib.sh
. "$(dirname "$0")/stats_lib.sh"
# shellcheck source=stress_lib.sh
. "$(dirname "$0")/stress_lib.sh"

CALLS=100000
RELOADS=100
FLAPS=20
DURATION=3000
X25LO_BIN=x25lo
SANITIZE=
while [ $# -gt 0 ]; do
	case $1 in
	--calls) CALLS=$2 && shift ;;
	--reloads) RELOADS=$2 && shift ;;
	--flaps) FLAPS=$2 && shift ;;
	--duration) DURATION=$2 && shift ;;
	--x25lo) X25LO_BIN=$2 && shift ;;
	--sanitize) SANITIZE=1 ;;
	*) echo "usage: soak_guest.sh [--calls N] [--reloads N] [--flaps N] [--duration S] [--x25lo PATH] [--sanitize]" >&2 && exit 2 ;;
	esac
	shift
done
for n in "$CALLS" "$RELOADS" "$FLAPS" "$DURATION"; do
	case $n in '' | *[!0-9]*) fail "not a number: '$n'" ;; esac
done
[ $((RELOADS % 2)) -eq 0 ] || fail "--reloads must be even (each reload that adds 127003 is followed by one that removes it)"
[ "$FLAPS" -eq 0 ] || [ "$RELOADS" -ge 2 ] || fail "--flaps needs --reloads 2 or more (tunlb2 exists only between an add and a removal)"
[ "$CALLS" -ge 20 ] || fail "--calls must be 20 or more"

SOAK=/tmp/soak
rm -rf "$SOAK"
mkdir -p "$SOAK/etc" "$SOAK/cap" "$SOAK/san"
mkfifo "$SOAK/nap" || fail "cannot make the FIFO for nap"
exec 9<>"$SOAK/nap"
# The config in a directory of its own: x25lo watches the config's directory.
X25LO_CONFIG=$SOAK/etc/config.json
X25LO_LOG=$SOAK/x25lo.log
STATS_PORT=8004
CAPTURE=$SOAK/cap/x25.pcapng
PCAP_MAX=1048576
URL=http://127.0.0.1:$STATS_PORT
STRESS_OPTS="-W 7 -P 512 --connect-timeout 20000"
# Sender threads per stable direction; the third pair has two. More threads do not make more
# calls on the one emulated CPU, only longer waits for each echo.
THREADS=3
PIDS=

# Whatever is still running when the script ends (a failure): the guest kills it anyway,
# but the summary of a failed run should not be cut short by a stuck child.
soak_cleanup() {
	: >"$SOAK/poll.stop"
	for pid in $PIDS; do kill -KILL "$pid" 2>/dev/null; done
	[ -n "${X25LO_PID:-}" ] && kill -KILL "$X25LO_PID" 2>/dev/null
	return 0
}
trap soak_cleanup EXIT

soak_config() {
	write_config "$1" "\"pcap\": \"$CAPTURE\", \"pcap_max_bytes\": $PCAP_MAX"
}

# rss_kb: x25lo's VmRSS in kB.
rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$X25LO_PID/status"; }

# nap SECONDS: a pause without a fork (busybox ash's read -t on a FIFO nobody writes to);
# under TCG a fork and exec costs some 30 ms of the guest's one CPU.
nap() {
	# shellcheck disable=SC3045 # busybox ash has read -t and -u
	read -r -t "$1" -u 9 _ || :
}

# ---------------------------------------------------------------- the poller ---
# GET /varz, /metrics and /sessions, then 100 ms pause, until $SOAK/poll.stop exists. One
# busybox wget fetches the three (one connection each) into one file: a wget per request
# would cost the guest more CPU than x25lo. A request counts as failed unless its body is
# there whole; wget is bounded by timeout (its own -T crashes in busybox 1.35). One awk
# checks the three bodies (/varz ends with "}", /metrics has x25lo_info and a TYPE for each
# HELP, /sessions ends with "]"), writes the stable pairs' progress (the CALL REQUESTs of tunlb0
# and tunlb1) to $SOAK/progress for the controller, and looks for drops on tunlb0 and
# tunlb1 (tunlb2's are the controller's, which knows when it flaps).
# shellcheck disable=SC2016 # an awk program
POLL_AWK='
	part == 0 && /^"interface_call_request": / {
		for (i = 1; i <= NF; i++) if ($i ~ /"tunlb[01]":$/) { v = $(i + 1); sub(/[,}]+$/, "", v); progress += v }
	}
	part == 0 && /^"interface_(tx|rx)_dropped": / && /"tunlb[01]": [1-9]/ { drops = drops $0 " " }
	part == 0 && /^}$/ { varz = 1; part = 1; next }
	part == 1 && /^\[\]?$/ {
		if (info && help >= 20 && help == type && (last ~ /^x25lo_/ || last ~ /^# TYPE x25lo_/)) metrics = 1
		part = 2
	}
	part == 1 && /^x25lo_info/ { info = 1 }
	part == 1 && /^# HELP x25lo_/ { help++ }
	part == 1 && /^# TYPE x25lo_/ { type++ }
	{ last = $0 }
	END {
		if (part == 2 && (last == "]" || last == "[]")) sessions = 1
		if (varz) { print progress + 0 > out; close(out) }
		print varz + metrics + sessions, drops > res
	}'

poller() {
	requests=0 failures=0 drop_polls=0 rotations=0 linked=0
	while [ ! -e "$SOAK/poll.stop" ]; do
		busybox timeout 10 busybox wget -q -O "$SOAK/poll.body" "$URL/varz" "$URL/metrics" "$URL/sessions" \
			2>"$SOAK/poll.err"
		status=$?
		awk -v out="$SOAK/progress" -v res="$SOAK/poll.result" "$POLL_AWK" "$SOAK/poll.body"
		whole=0 drops=
		read -r whole drops <"$SOAK/poll.result"
		requests=$((requests + 3))
		if [ "$whole" != 3 ] || [ "$status" != 0 ]; then
			failures=$((failures + 3 - whole))
			[ "$whole" = 3 ] && failures=$((failures + 1))
			echo "$(uptime_ms) ms: wget status $status, $whole of 3 bodies whole: $(cat "$SOAK/poll.err")" >>"$SOAK/poll.failures"
		fi
		if [ -n "$drops" ]; then
			drop_polls=$((drop_polls + 1))
			echo "$(uptime_ms) ms: $drops" >>"$SOAK/poll.drops"
		fi
		# Capture rotations: the capture file is another file than at the last round (a hard
		# link keeps the last one's inode; a fork only when it changed). Two rotations within
		# one round would count as one, so this is a lower bound (a round is under a second,
		# a rotation some ten seconds of calls).
		# shellcheck disable=SC3013 # busybox ash's test has -ef
		if [ -e "$CAPTURE" ] && ! [ "$CAPTURE" -ef "$SOAK/capture.last" ] &&
			ln -f "$CAPTURE" "$SOAK/capture.last" 2>/dev/null; then
			[ "$linked" = 1 ] && rotations=$((rotations + 1))
			linked=1
		fi
		echo "$requests $failures $drop_polls $rotations" >"$SOAK/poll.count"
		nap 0.1
	done
}

# progress: CALL REQUESTs of the stable pairs so far, as of the last poll, in P.
progress() {
	P=
	read -r P <"$SOAK/progress" 2>/dev/null
	P=${P:-0}
}

# now_s: seconds since boot in NOW (no fork).
now_s() {
	read -r NOW _ </proc/uptime
	NOW=${NOW%.*}
}

# uptime_cs: centiseconds since boot in CS (no fork).
uptime_cs() {
	read -r CS _ </proc/uptime
	frac=${CS#*.}
	CS=$((${CS%.*} * 100 + ${frac#0}))
}

# monitor: how long the guest keeps a runnable shell waiting. A 100 ms nap loop records
# its longest pause (centiseconds) and the number of pauses of 0.5 s or more in
# $SOAK/monitor, and when each of those ended (ms since boot, like the controller's log) in
# $SOAK/stalls.
monitor() {
	uptime_cs
	last=$CS max=0 long=0
	while [ ! -e "$SOAK/poll.stop" ]; do
		nap 0.1
		uptime_cs
		now=$CS
		gap=$((now - last - 10)) last=$now
		[ "$gap" -gt "$max" ] && max=$gap
		if [ "$gap" -ge 50 ]; then
			long=$((long + 1))
			echo "$((now * 10)) ms: the guest paused $((gap / 100)).$((gap % 100 / 10)) s" >>"$SOAK/stalls"
		fi
		echo "$max $long" >"$SOAK/monitor"
	done
}

# ------------------------------------------------------------ the controller ---
# Runs in the background; a failure is written to controller.fail (fail would only end the
# subshell), figures to controller.figures.
cfail() {
	echo "$*" >"$SOAK/controller.fail"
	echo "controller: FAIL: $*" >>"$SOAK/controller.log"
	exit 1
}

# clog: a line of the controller's log, also on stdout so that a long run shows its progress.
clog() {
	line="$(uptime_ms) ms: $*"
	echo "$line" >>"$SOAK/controller.log"
	echo "# $line"
}

# wait_progress TARGET: wait until the stable pairs have requested TARGET calls; bounded by
# the run's deadline, and given up when the stable senders are done short of it.
wait_progress() {
	while progress && [ "$P" -lt "$1" ]; do
		[ -e "$SOAK/senders.done" ] && cfail "the stable senders finished at $P CALL REQUESTs, short of $1 (reload $k)"
		now_s
		[ "$NOW" -lt "$DEADLINE_S" ] || cfail "deadline: $P of $1 CALL REQUESTs at reload $k"
		kill -0 "$X25LO_PID" 2>/dev/null || cfail "x25lo died"
		nap 0.2
	done
}

# cwait_count TEXT N: wait_count for the controller (10 s).
cwait_count() {
	i=0
	while [ "$(count_in_log "$1")" -lt "$2" ]; do
		i=$((i + 1))
		[ "$i" -lt 100 ] || cfail "timed out after 10 s waiting for '$1' $2 times in the log (reload $k)"
		nap 0.1
	done
}

# tunlb2_drops: tunlb2's device counters in TX and RX (no fork).
tunlb2_drops() {
	read -r TX </sys/class/net/tunlb2/statistics/tx_dropped
	read -r RX </sys/class/net/tunlb2/statistics/rx_dropped
}

# flap: tunlb2 down and up, and x25lo has seen the link go and brought it up again. What the
# device drops meanwhile is the flap's doing: frames the kernel sends to a device that is
# down (tx_dropped), x25lo's writes into it (rx_dropped, each an EIO that x25lo counts in
# write_errors).
flap() {
	flaps_done=$((flaps_done + 1))
	lost=$(($(count_in_log "tunlb2: link lost") + 1))
	up=$(($(count_in_log "tunlb2: link operational") + 1))
	tunlb2_drops
	tx0=$TX rx0=$RX
	ip link set tunlb2 down || cfail "ip link set tunlb2 down failed (flap $flaps_done)"
	# Every other flap waits for x25lo to see the link go; the others are a quick down/up.
	[ $((flaps_done % 2)) -eq 1 ] && cwait_count "tunlb2: link lost" "$lost"
	ip link set tunlb2 up || cfail "ip link set tunlb2 up failed (flap $flaps_done)"
	cwait_count "tunlb2: link lost" "$lost"
	cwait_count "tunlb2: link operational" "$up"
	tunlb2_drops
	flap_tx=$((flap_tx + TX - tx0)) flap_rx=$((flap_rx + RX - rx0))
	window_flap_drops=$((window_flap_drops + TX - tx0 + RX - rx0))
	progress
	clog "flap $flaps_done$([ $((flaps_done % 2)) -eq 0 ] && echo ' (quick)'): tunlb2 down and up at $P CALL REQUESTs; it dropped tx $((TX - tx0)) rx $((RX - rx0)) meanwhile"
}

# save_figures: what the controller did so far, for the summary.
save_figures() {
	echo "$k $flaps_done $windows $third_requests $flap_tx $flap_rx $other_drops ${rss_warm:-}" >"$SOAK/controller.figures"
}

controller() {
	k=0 flaps_done=0 windows=0 third_requests=0 flap_tx=0 flap_rx=0 other_drops=0 rss_warm=
	stable='"127001","127002"'
	while [ "$k" -lt "$RELOADS" ]; do
		k=$((k + 1))
		wait_progress $((k * CALLS / (RELOADS + 1)))
		if [ $((k % 2)) -eq 1 ]; then
			windows=$((windows + 1)) window_flap_drops=0
			up=$(($(count_in_log "tunlb2: link operational") + 1))
			soak_config "$stable,\"127003\""
			kill -HUP "$X25LO_PID"
			cwait_count "tunlb2: link operational" "$up"
			clog "reload $k: 127003 added at $P CALL REQUESTs"
			# This window's flaps, half-way to the removal; spread evenly over the windows.
			f=$((windows * FLAPS / (RELOADS / 2) - (windows - 1) * FLAPS / (RELOADS / 2)))
			if [ "$f" -gt 0 ]; then
				wait_progress $(((2 * k + 1) * CALLS / (2 * (RELOADS + 1))))
				while [ "$f" -gt 0 ]; do
					flap
					f=$((f - 1))
				done
			fi
		else
			# Before the removal: calls ran on tunlb2 in this window, and it dropped nothing
			# but what its flaps explain.
			busybox timeout 10 busybox wget -q -O "$SOAK/ctl.varz" "$URL/varz" 2>"$SOAK/ctl.err" ||
				cfail "GET /varz before reload $k failed: $(cat "$SOAK/ctl.err")"
			VARZ=$(cat "$SOAK/ctl.varz")
			requests=$(varz_value interface_call_request tunlb2)
			[ "${requests:-0}" -gt 0 ] || cfail "no call left the kernel on tunlb2 while it existed (window $windows)"
			third_requests=$((third_requests + requests))
			tunlb2_drops
			if [ $((TX + RX)) -ne "$window_flap_drops" ]; then
				other_drops=$((other_drops + TX + RX - window_flap_drops))
				clog "tunlb2 dropped frames outside its flaps: tx_dropped $TX rx_dropped $RX in all, $window_flap_drops during flaps (window $windows)"
			fi
			removed=$(($(count_in_log "tunlb2: removing (route removed from the configuration)") + 1))
			soak_config "$stable"
			kill -HUP "$X25LO_PID"
			cwait_count "tunlb2: removing (route removed from the configuration)" "$removed"
			progress
			clog "reload $k: 127003 removed at $P CALL REQUESTs ($requests CALL REQUESTs on tunlb2); x25lo RSS $(rss_kb) kB"
			# RSS after warm-up: the first time tunlb2 is gone after a tenth of the calls (so
			# that the end, tunlb2 gone too, compares like with like) and after its third
			# removal: the first TUN's call table (some 250 KB) is mmapped, and freeing it
			# raises malloc's mmap threshold, so the next ones come from the heap, which
			# settles after two more (measured: +260 KB at the 2nd and 3rd removal, flat after).
			if [ -z "$rss_warm" ] && [ "$P" -ge $((CALLS / 10)) ] && [ "$windows" -ge 3 ]; then
				rss_warm=$(rss_kb)
				clog "RSS after warm-up: $rss_warm kB at $P CALL REQUESTs"
			fi
		fi
		save_figures
		# The one sleep not waiting for an event: at least 0.2 s between two reloads, so that
		# they stay spread out even if the calls ran ahead of them.
		nap 0.2
	done
	if [ -z "$rss_warm" ]; then
		wait_progress $((CALLS / 10))
		rss_warm=$(rss_kb)
		clog "RSS after warm-up: $rss_warm kB at $P CALL REQUESTs"
	fi
	save_figures
	: >"$SOAK/controller.done"
}

# ------------------------------------------------------------------ the run ---
note "soak: $CALLS calls (both directions), $RELOADS reloads, $FLAPS flaps, at most $DURATION s; x25lo: $X25LO_BIN${SANITIZE:+ (sanitizers on)}"
start_ms=$(uptime_ms)
DEADLINE_S=$((start_ms / 1000 + DURATION))
command -v "$X25LO_BIN" >/dev/null || fail "no x25lo at $X25LO_BIN"
command -v x25stress >/dev/null || fail "x25stress is not on PATH"

soak_config '"127001","127002"'
: >"$X25LO_LOG"
if [ -n "$SANITIZE" ]; then
	# A report goes to a file of its own (checked at the end); UBSan stops x25lo like ASan.
	export ASAN_OPTIONS="log_path=$SOAK/san/asan:halt_on_error=1:detect_leaks=1"
	export UBSAN_OPTIONS="log_path=$SOAK/san/ubsan:halt_on_error=1:print_stacktrace=1"
fi
"$X25LO_BIN" -config "$X25LO_CONFIG" >>"$X25LO_LOG" 2>&1 &
X25LO_PID=$!
unset ASAN_OPTIONS UBSAN_OPTIONS
wait_for "x25lo to bring up tunlb1" 300 log_has "tunlb1: link operational"
wait_for "x25lo to bring up tunlb0" 100 log_has "tunlb0: link operational"
wait_stats_server

# Receivers: 127002 for the calls from 127001's side, 127001 for the other way, 127003.
for addr in 127001 127002 127003; do
	x25stress -r -a "$addr" -W 7 -P 512 >"$SOAK/receiver.$addr" 2>&1 &
	PIDS="$PIDS $!"
	eval "receiver_$addr=\$!"
done
for addr in 127001 127002 127003; do
	stress_wait_for "$SOAK/receiver.$addr" '^Receiver listening' 10 ||
		fail "the receiver on $addr did not start: $(cat "$SOAK/receiver.$addr")"
done

poller &
POLLER_PID=$!
# The poller (and its wget and awk) before the calls: at the default priority it gets its
# share of the one CPU like any sender thread, and a round took ~0.9 s instead of ~0.1 s.
renice -n -10 -p "$POLLER_PID" >/dev/null || fail "cannot renice the poller"
monitor &
MONITOR_PID=$!
PIDS="$PIDS $POLLER_PID $MONITOR_PID"
wait_for "the first /varz poll" 100 test -s "$SOAK/progress"

# sender NAME FROM TO COUNT THREADS BACKOFF_MS MAX_BYTES: an x25stress sender in the background, pid in sender_NAME.
sender() {
	# shellcheck disable=SC2086 # STRESS_OPTS is a word list
	x25stress -N "$5" -a "$2" -d "$3,$3" -n "$4" -b "$6" -l "$7" -T "$DURATION" $STRESS_OPTS \
		--json "$SOAK/sender.$1.json" >"$SOAK/sender.$1.out" 2>"$SOAK/sender.$1.err" &
	eval "sender_$1=\$!"
	PIDS="$PIDS $!"
}
sender a 127001 127002 $((CALLS / 2)) "$THREADS" 50 1024
sender b 127002 127001 $((CALLS - CALLS / 2)) "$THREADS" 50 1024
# The third pair's messages fit in one packet (512 bytes): the kernel's x25_output dereferences
# the socket's neighbour between fragments after letting go of the socket lock, and a link
# lost just then (a flap, a removal) oopses the kernel (seen here: NULL pointer in x25_output).
sender c 127003 127003 0 2 100 256
controller &
CONTROLLER_PID=$!
PIDS="$PIDS $CONTROLLER_PID"

# Supervise: until both stable senders are done; x25lo and the controller must stay well.
# shellcheck disable=SC2154 # set by eval in sender
while kill -0 "$sender_a" 2>/dev/null || kill -0 "$sender_b" 2>/dev/null; do
	kill -0 "$X25LO_PID" 2>/dev/null || fail "x25lo died during the run"
	[ -e "$SOAK/controller.fail" ] && fail "controller: $(cat "$SOAK/controller.fail")"
	nap 0.5
done
: >"$SOAK/senders.done"
wait "$sender_a"
status_a=$?
wait "$sender_b"
status_b=$?
wait "$CONTROLLER_PID"
[ -e "$SOAK/controller.fail" ] && fail "controller: $(cat "$SOAK/controller.fail")"
[ -e "$SOAK/controller.done" ] || fail "the controller ended without finishing"
# shellcheck disable=SC2154
stress_stop "$sender_c" 15 || fail "the third sender did not stop on SIGTERM"
run_ms=$(($(uptime_ms) - start_ms))

# Settle: no socket left half-way, x25lo holds nothing; then the end figures.
x25test wait-clean --timeout 15 >"$SOAK/wait-clean.out" 2>&1 || wait_clean_failed=1
state=$(x25lo_state)
rss_end=$(rss_kb)
: >"$SOAK/poll.stop"
wait "$POLLER_PID" "$MONITOR_PID"
fetch_into VARZ /varz
for addr in 127001 127002 127003; do
	eval "stress_stop \"\$receiver_$addr\" 10" || fail "the receiver on $addr did not stop on SIGTERM"
done
kill -TERM "$X25LO_PID"
wait "$X25LO_PID"
x25lo_status=$?
elapsed_ms=$(($(uptime_ms) - start_ms))

# ------------------------------------------------------------------ figures ---
problems=
problem() {
	problems="$problems
  - $*"
}
[ "$x25lo_status" = 0 ] || problem "x25lo exited with status $x25lo_status after SIGTERM"
[ -z "${wait_clean_failed:-}" ] || problem "sockets left behind: $(cat "$SOAK/wait-clean.out")"
echo "$state" | grep -q "calls=0 .*channels=0 " || problem "x25lo not idle at the end: $state"

echo
echo "==== soak figures ===="
echo "elapsed: $((elapsed_ms / 1000)).$((elapsed_ms % 1000 / 100)) s (calls and reloads: $((run_ms / 1000)).$((run_ms % 1000 / 100)) s)"
# A data mismatch is a "Data mismatch" line, or a short receive that got bytes; x25stress
# also counts a short receive that got nothing (-1: its fixed 1 s receive timeout, goxot's)
# as one. Such a timeout on a stable pair is accepted only if the guest itself stalled for
# half a second or more (the monitor's nap loop saw it; an echo in flight then waits for the
# stall and for the backlog of every runnable thread after it), as on a host shared by
# several emulated guests; otherwise it fails the soak like any mismatch. The stalls are
# printed with their times, to set beside the controller's log and the timeouts.
read -r stall_max_cs stalls <"$SOAK/monitor"
total_connected=0 stable_timeouts=0
for pair in a b c; do
	json=$SOAK/sender.$pair.json
	made=$(stress_json_number "$json" calls_made)
	connected=$(stress_json_number "$json" calls_connected)
	failed=$(stress_json_number "$json" calls_failed)
	mismatches=$(stress_json_number "$json" data_mismatches)
	mismatches=${mismatches:-0}
	short=$(stress_json_number "$json" short_receives)
	timeouts=$(stress_json_number "$json" connect_timeouts)
	recv_timeouts=$(grep -c '^Thread .*: Short receive .*, got -1$' "$SOAK/sender.$pair.out")
	case $pair in
	a) what="127001 -> 127002" ;;
	b) what="127002 -> 127001" ;;
	c) what="127003 -> 127003 (third TUN)" ;;
	esac
	echo "pair $pair, $what: calls made $made, connected $connected, failed $failed, data mismatches $((mismatches - recv_timeouts)) (x25stress counts $mismatches: $short short receives, $recv_timeouts of them 1 s receive timeouts), connect timeouts ${timeouts:-0}"
	if [ "$pair" != c ]; then
		total_connected=$((total_connected + ${connected:-0}))
		stable_timeouts=$((stable_timeouts + recv_timeouts))
		for v in "failed:$failed" "data mismatches:$((mismatches - recv_timeouts))" "connect timeouts:${timeouts:-0}"; do
			[ "${v#*:}" = 0 ] || problem "pair $pair ($what): ${v%:*} ${v#*:}"
		done
		[ -s "$SOAK/sender.$pair.err" ] && problem "pair $pair wrote to stderr: $(head -n 5 "$SOAK/sender.$pair.err")"
		grep -E '^Thread ' "$SOAK/sender.$pair.out" | head -n 5 | while read -r line; do echo "  $line"; done
	fi
done
echo "guest stalls: the longest pause of a 100 ms nap loop was $((stall_max_cs / 100)).$((stall_max_cs % 100 / 10)) s; $stalls pauses of 0.5 s or more"
[ -s "$SOAK/stalls" ] && while read -r line; do echo "  $line"; done <"$SOAK/stalls"
if [ "$stable_timeouts" -gt 0 ]; then
	if [ "$stalls" -gt 0 ]; then
		note "$stable_timeouts echoes on the stable pairs waited over 1 s while the guest stalled $stalls times for 0.5 s or more: accepted"
	else
		problem "$stable_timeouts echoes on the stable pairs took over 1 s, but the guest never stalled for 0.5 s"
	fi
fi
[ "$status_a$status_b" = 00 ] || problem "stable sender exit status: a $status_a, b $status_b"
echo "stable calls connected: $total_connected (asked for $CALLS)"
[ "$total_connected" -ge "$CALLS" ] || problem "only $total_connected stable calls connected, $CALLS asked for"

generated=$(varz_value causes_generated)
gen05=$(echo "$generated" | sed -n 's/.*"0x05": \([0-9]*\).*/\1/p')
lci_reused=$(varz_value lci_reused)
gen09=$(echo "$generated" | sed -n 's/.*"0x09": \([0-9]*\).*/\1/p')
write_failed=$(varz_value calls_cleared_write_failed)
refused_write=$(varz_value calls_refused write_failed)

# The third pair's failures, by reason: the sender prints one line per failed connect.
c_failed=$(stress_json_number "$SOAK/sender.c.json" calls_failed)
c_unreach=$(grep -c 'failed: Network is unreachable$' "$SOAK/sender.c.err")
c_cause09=$(grep -c 'failed \[.*Cause: 0x09,' "$SOAK/sender.c.out")
c_cause05=$(grep -c 'failed \[.*Cause: 0x05, Diag: 0$' "$SOAK/sender.c.out")
c_reused=$(grep -c 'failed \[.*Cause: 0x05, Diag: 72$' "$SOAK/sender.c.out")
c_other=$((${c_failed:-0} - c_unreach - c_cause09 - c_cause05 - c_reused))
echo "pair c failures: $c_unreach no route or TUN gone (ENETUNREACH), $c_cause09 cleared with 0x09, $c_cause05 with 0x05/0 (a write into tunlb2 failed while it was down), $c_reused with 0x05/72 (LCI reused after a flap), $c_other other"
[ "$c_reused" -le "${lci_reused:-0}" ] || problem "$c_reused calls of the third pair cleared with 0x05/72, but x25lo counted $lci_reused reused LCIs"
[ "$c_cause05" = 0 ] || [ "${write_failed:-0}${refused_write:-0}" != 00 ] ||
	problem "the third pair saw 0x05/0 clears but x25lo counted no failed write"
if [ "$c_other" -ne 0 ]; then
	problem "$c_other failed calls of the third pair not explained by a reload or a flap"
	grep -v 'Network is unreachable$' "$SOAK/sender.c.err" | head -n 10
	grep 'failed \[' "$SOAK/sender.c.out" | grep -vE 'Cause: 0x09,|Cause: 0x05, Diag: (0|72)$' | head -n 10
fi
c_received=$(stress_field "$SOAK/receiver.127003" 'Calls Received')
echo "receivers: calls received 127002 $(stress_field "$SOAK/receiver.127002" 'Calls Received'), 127001 $(stress_field "$SOAK/receiver.127001" 'Calls Received'), 127003 $c_received"
# A call of the third pair that x25lo clears (0x09 when tunlb2 goes, 0x05 after a failed
# write) while it waits in the receiver's accept queue fails its accept() with ECONNABORTED
# (the kernel's getname of the accepted socket, no longer connected). That is the reload's or
# the flap's doing, so the third receiver may have such accept errors, no more than the
# clears x25lo generated; any other accept error, or any on the stable receivers, fails.
c_aborted=$(grep -c '^accept: Software caused connection abort$' "$SOAK/receiver.127003")
echo "receiver 127003: $c_aborted accept()s failed with ECONNABORTED (a call cleared by x25lo before it was accepted)"
[ "$c_aborted" -le $((${gen05:-0} + ${gen09:-0})) ] ||
	problem "receiver 127003: $c_aborted accept()s failed with ECONNABORTED, more than the $((${gen05:-0} + ${gen09:-0})) clears x25lo generated"
for addr in 127001 127002 127003; do
	for label in 'Accept Errors' 'Data Mismatches'; do
		v=$(stress_field "$SOAK/receiver.$addr" "$label")
		what=$label
		if [ "$addr$label" = "127003Accept Errors" ]; then
			v=$((v - c_aborted)) what="$label other than ECONNABORTED"
		fi
		[ "$v" = 0 ] || problem "receiver $addr $what: $v"
	done
	# What a receiver said besides its summary (accept errors, threads it could not start).
	grep -E '^(accept|x25stress|Thread)' "$SOAK/receiver.$addr" | sort | uniq -c | head -n 5 |
		while read -r line; do echo "  receiver $addr: $line"; done
done

read -r reloads flaps windows third_requests flap_tx flap_rx other_drops rss_warm <"$SOAK/controller.figures"
echo "reloads: $reloads SIGHUPs ($windows adding 127003, $((reloads - windows)) removing it); $(count_in_log 'Configuration reloaded from') 'Configuration reloaded' lines (x25lo also reloads on the file's change), config_generation $(varz_value config_generation), last_reload $(varz_value last_reload)"
echo "flaps of tunlb2: $flaps; x25lo logged $(count_in_log 'tunlb2: link lost') link losses of tunlb2, tunlb2 operational $(count_in_log 'tunlb2: link operational') times"
echo "calls that left the kernel on tunlb2 while it existed: $third_requests (counted before each removal)"
[ "$reloads" = "$RELOADS" ] || problem "$reloads reloads done, $RELOADS asked for"
[ "$flaps" = "$FLAPS" ] || problem "$flaps flaps done, $FLAPS asked for"
[ "$(count_in_log 'tunlb2: link lost')" = "$FLAPS" ] || problem "tunlb2 lost its link $(count_in_log 'tunlb2: link lost') times, $FLAPS flaps"
for tun in tunlb0 tunlb1; do
	[ "$(count_in_log "$tun: link lost")" = 0 ] || problem "$tun lost its link: $(grep -F "$tun: link lost" "$X25LO_LOG" | head -n 3)"
done

read -r polls poll_failures drop_polls rotations <"$SOAK/poll.count"
echo "polls: $polls requests (/varz, /metrics, /sessions, then 100 ms pause: a round every $((run_ms * 3 / (polls > 0 ? polls : 1))) ms on average), $poll_failures failed"
[ "$poll_failures" = 0 ] || problem "$poll_failures polls failed: $(head -n 5 "$SOAK/poll.failures")"

echo "x25lo RSS: $rss_warm kB after warm-up, $rss_end kB at the end${SANITIZE:+ (not checked with the sanitizers: the ASan quarantine keeps up to 256 MB of freed memory; LeakSanitizer checks for leaks at exit instead)}"
[ -n "$rss_warm" ] || problem "no RSS figure after warm-up"
[ -n "$rss_end" ] || problem "no RSS figure at the end"
if [ -z "$SANITIZE" ] && [ -n "$rss_warm" ] && [ -n "$rss_end" ] &&
	{ [ $((rss_end * 10)) -gt $((rss_warm * 11)) ] || [ $((rss_end * 10)) -lt $((rss_warm * 9)) ]; }; then
	problem "x25lo's RSS moved by more than 10%: $rss_warm kB after warm-up, $rss_end kB at the end"
fi

drops_line=$(printf '%s\n' "$VARZ" | grep -E '^"interface_(tx|rx)_dropped": ' | tr '\n' ' ')
echo "drops: final /varz $drops_line"
echo "drops: polled /varz with a drop on tunlb0 or tunlb1: $drop_polls; tunlb2 while it was down in a flap: tx_dropped $flap_tx, rx_dropped $flap_rx; tunlb2 outside its flaps: $other_drops"
printf '%s\n' "$drops_line" | grep -qE ': [1-9]' && problem "drops in the final /varz: $drops_line"
[ "$drop_polls" = 0 ] || problem "$drop_polls polled /varz showed drops: $(head -n 4 "$SOAK/poll.drops")"
[ "$other_drops" = 0 ] || problem "tunlb2 dropped $other_drops frames outside its flaps"
# Only x25lo's own failed writes during flaps show as rx_dropped, each one a write error.
[ "$flap_rx" -le "$(varz_value write_errors)" ] || problem "tunlb2 rx_dropped $flap_rx during flaps, more than x25lo's write_errors"
grep -F 'the kernel dropped frames' "$X25LO_LOG" | grep -qv ' tunlb2: ' &&
	problem "x25lo logged drops on a stable TUN: $(grep -F 'the kernel dropped frames' "$X25LO_LOG" | grep -v ' tunlb2: ' | head -n 2)"

echo "x25lo: causes_generated $generated, lci_reused $(varz_value lci_reused), calls_relayed $(varz_value calls_relayed), calls_connected $(varz_value calls_connected)"
echo "x25lo: calls_refused $(varz_value calls_refused), timeouts $(varz_value timeouts), write_errors $(varz_value write_errors), calls_cleared_write_failed $write_failed, clear_retries $(varz_value clear_retries), unknown_lci $(varz_value unknown_lci), frames_dropped $(varz_value frames_dropped)"
# 0x09: link loss (flaps) and route removal (reloads). 0x05/0: a packet that could not be
# written into tunlb2 while it was down in a flap (both sides of its call, docs/relay.md).
case $generated in
'{}' | '{"0x05": '[0-9]*', "0x09": '[0-9]*'}' | '{"0x09": '[0-9]*'}') ;;
*) problem "x25lo generated clears other than 0x05 and 0x09: $generated" ;;
esac
# 0x05/0x48 for a reused LCI (three clears each: the old call's peer, two on the LCI). The
# kernel reuses an LCI after a flap: a connect() that was queueing its CALL REQUEST while the
# link went down has its socket killed (ENETUNREACH) but its CALL REQUEST stays queued, and
# goes out once the link is restarted; x25lo relays it, and the next connect() is given the
# same LCI. Seen in the guest with -trace: the old call's caller reports ENETUNREACH.
# 0x05/0x24 for packets on channels x25lo does not know: frames the same kernel race sends
# after the restart for sockets it killed at the link loss (unknown_lci cleared).
unknown_cleared=$(varz_value unknown_lci cleared)
[ "${gen05:-0}" -eq $((2 * ${write_failed:-0} + ${refused_write:-0} + 3 * ${lci_reused:-0} + ${unknown_cleared:-0})) ] ||
	problem "${gen05:-0} clears with 0x05, but $write_failed calls cleared after a failed write (two clears each), $refused_write refused, $lci_reused LCIs reused (three each), $unknown_cleared unknown channels cleared"
[ "${gen05:-0}" = 0 ] || [ "$FLAPS" -gt 0 ] || problem "clears with 0x05 without a flap"
if grep -F 'which still carries a call' "$X25LO_LOG" | grep -qv ' tunlb2: '; then
	problem "an LCI reused on a stable TUN: $(grep -F 'which still carries a call' "$X25LO_LOG" | grep -v ' tunlb2: ' | head -n 3)"
fi
if grep -E 'could not be written|frame failed' "$X25LO_LOG" | grep -qv ' tunlb2: '; then
	problem "x25lo failed to write into a stable TUN: $(grep -E 'could not be written|frame failed' "$X25LO_LOG" | grep -v ' tunlb2: ' | head -n 3)"
fi
[ "${gen09:-0}" -gt 0 ] || [ "$RELOADS" = 0 ] || note "no 0x09 clear: no call happened to be on tunlb2 when it went"
[ "$(varz_value calls_refused)" = '{"malformed": 0, "modulo": 0, "no_lci": 0, "no_target": 0, "write_failed": '"${refused_write:-0}"'}' ] ||
	problem "calls refused: $(varz_value calls_refused)"
[ "$(varz_value timeouts)" = '{"call_setup": 0, "clear_confirm": 0}' ] || problem "timeouts: $(varz_value timeouts)"

echo "capture: $rotations rotations seen by the poller (at least), $(sed -n 's/.*packet capture holds \([0-9]*\) frames.*/\1/p' "$X25LO_LOG" | tail -n 1) frames in all"
[ "$rotations" -gt 0 ] || problem "the poller saw no capture rotation"
for f in "$CAPTURE" "$CAPTURE.1"; do
	if [ ! -f "$f" ]; then
		problem "capture file $f missing"
		continue
	fi
	size=$(wc -c <"$f")
	magic=$(od -An -tx1 -N 4 "$f" | tr -d ' ')
	echo "capture: $f $size bytes, magic $magic"
	[ "$magic" = 0a0d0d0a ] || problem "$f does not start with the pcapng magic: $magic"
	[ "$size" -le "$PCAP_MAX" ] || problem "$f is $size bytes, over pcap_max_bytes $PCAP_MAX"
done
grep -F 'packet capture' "$X25LO_LOG" | grep -qv 'Stats dump' &&
	problem "x25lo's capture complained: $(grep -F 'packet capture' "$X25LO_LOG" | grep -v 'Stats dump' | head -n 2)"

# The kernel's own problems. Its X.25 layer dereferences a socket's neighbour, which a link
# loss sets to NULL, after letting go of the socket lock in x25_sendmsg (while it allocates
# the packet) and in x25_output (between the packets of a long record): a sender caught
# there by a flap or a removal of tunlb2 oopses (NULL pointer at 0x1c) and its thread dies.
# That is the flap's doing, in the third pair's sender, and is accepted; any other oops,
# BUG or warning is not.
dmesg >"$SOAK/dmesg"
# shellcheck disable=SC2016 # an awk program
awk '
	/BUG:|WARNING: CPU|general protection/ { n++; open = 1; race = /NULL pointer dereference, address: 000000000000001c/; comm = 0; next }
	open && /Comm: x25stress / { comm = 1 }
	open && /RIP: 0010:/ { if (race && comm && /RIP: 0010:x25_(sendmsg|output)\+/) races++; open = 0 }
	END { print n + 0, races + 0 }' "$SOAK/dmesg" >"$SOAK/dmesg.count"
read -r kernel_problems x25_races <"$SOAK/dmesg.count"
echo "kernel: $kernel_problems oops, BUG or warning; $x25_races of them the NULL neighbour race of x25_sendmsg or x25_output at a link loss"
if [ "$kernel_problems" -gt 0 ]; then
	grep -E 'BUG:|WARNING: CPU|general protection|RIP: 0010|Comm:' "$SOAK/dmesg" | head -n 9 | while read -r line; do echo "  $line"; done
	[ "$kernel_problems" = "$x25_races" ] || problem "the kernel reported a problem other than the x25_sendmsg/x25_output race"
fi

if [ -n "$SANITIZE" ]; then
	reports=$(ls "$SOAK/san")
	echo "sanitizer reports: ${reports:-none}"
	for r in $reports; do
		head -n 30 "$SOAK/san/$r"
		problem "sanitizer report $r"
	done
fi
echo "======================"
if [ -n "$problems" ]; then
	echo "--- x25lo log: warnings and errors ---"
	grep -vE 'link operational|TUN interface|x25lo: tunlb|Configuration reloaded|interface up; route|removing \(route removed' "$X25LO_LOG" | tail -n 40
	echo "SOAK FAILED:$problems"
	exit 1
fi
echo "SOAK PASSED"
