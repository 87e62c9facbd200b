# SPDX-License-Identifier: GPL-2.0-or-later
# xot_lib.sh - helpers for the XOT guest tests (sourced after lib.sh and stats_lib.sh).
# The XOT peers are x25stress --xot (echo receiver, callers) and xotpeer (scripted steps and
# faults); every wait is bounded.

# start_x25lo_xot N_TUNS [x25lo options]: start_x25lo, then wait for the XOT gateway TUN
# (tunlbxot) too when the config routes servers over XOT.
start_x25lo_xot() {
	start_x25lo "$@"
	if grep -q '"xot_servers": true' "$X25LO_CONFIG"; then
		wait_for "the XOT gateway TUN" 100 log_has "${PREFIX:-tunlb}xot: link operational"
	fi
	if grep -q '"xot_listen": "[^"]' "$X25LO_CONFIG"; then
		wait_for "the XOT listener" 100 log_has "XOT listener on "
	fi
	return 0
}

# start_xot_receiver NAME PORT [x25stress options]: an x25stress XOT echo receiver on
# 127.0.0.1:PORT; its output in /tmp/NAME.out, its pid in NAME_PID.
start_xot_receiver() {
	xr_name=$1 xr_port=$2
	shift 2
	x25stress -r --xot "127.0.0.1:$xr_port" "$@" >"/tmp/$xr_name.out" 2>&1 &
	eval "${xr_name}_PID=\$!"
	wait_for "the XOT receiver $xr_name on port $xr_port" 100 grep -q "^Receiver listening for X.25 calls" "/tmp/$xr_name.out"
}

# bg_pid NAME: the pid a start_* helper kept in NAME_PID.
bg_pid() {
	eval "echo \"\$${1}_PID\""
}

# stop_bg NAME...: SIGTERM each, then wait for each to exit with status 0.
stop_bg() {
	for sb_name in "$@"; do
		kill -TERM "$(bg_pid "$sb_name")"
	done
	for sb_name in "$@"; do
		wait "$(bg_pid "$sb_name")" || fail "$sb_name exited with status $? after SIGTERM: $(cat "/tmp/$sb_name.out")"
	done
}

# start_af_receiver NAME ADDR [x25stress options]: an AF_X25 x25stress echo receiver on ADDR
# (a kernel listener); output in /tmp/NAME.out, pid in NAME_PID.
start_af_receiver() {
	ar_name=$1 ar_addr=$2
	shift 2
	x25stress -r -a "$ar_addr" "$@" >"/tmp/$ar_name.out" 2>&1 &
	eval "${ar_name}_PID=\$!"
	wait_for "the AF_X25 receiver $ar_name on $ar_addr" 100 grep -q "^Receiver listening for X.25 calls" "/tmp/$ar_name.out"
}

# stop_receiver NAME: SIGTERM an x25stress receiver; it prints its summary and exits 0.
stop_receiver() {
	pid=$(bg_pid "$1")
	kill -TERM "$pid"
	wait "$pid" || fail "the receiver $1 exited with status $?: $(cat "/tmp/$1.out")"
	grep -q '^Interrupted by signal 15$' "/tmp/$1.out" || fail "the receiver $1 printed no summary"
}

# summary_field FILE LABEL: the value after "LABEL: " in an x25stress summary.
summary_field() {
	sed -n "s/^$2: *//p" "$1" | head -n 1
}

# expect_summary FILE LABEL VALUE
expect_summary() {
	expect_eq "$2 in $1" "$3" "$(summary_field "$1" "$2")"
}

# start_xotpeer NAME listen|connect ENDPOINT [options] STEP...: xotpeer in the background,
# output in /tmp/NAME.out, pid in NAME_PID; a listener is waited for (its ready file).
start_xotpeer() {
	xp_name=$1 xp_mode=$2 xp_endpoint=$3
	shift 3
	rm -f "/tmp/$xp_name.ready"
	if [ "$xp_mode" = connect ]; then
		xotpeer connect "$xp_endpoint" "$@" >"/tmp/$xp_name.out" 2>&1 &
		eval "${xp_name}_PID=\$!"
		return 0
	fi
	xotpeer "$xp_mode" "$xp_endpoint" --ready-file "/tmp/$xp_name.ready" "$@" >"/tmp/$xp_name.out" 2>&1 &
	eval "${xp_name}_PID=\$!"
	x25test wait-file "/tmp/$xp_name.ready" --timeout 10 >/dev/null ||
		fail "xotpeer $xp_name did not start: $(cat "/tmp/$xp_name.out")"
}

# wait_xotpeer NAME: it ends with status 0 (all its steps done).
wait_xotpeer() {
	wait "$(bg_pid "$1")" || fail "xotpeer $1 failed (status $?): $(cat "/tmp/$1.out")"
}

# varz_fresh: VARZ is /varz now.
varz_fresh() {
	fetch_into VARZ /varz
}

# xot_assert_idle: no XOT connection is open (waited for) and x25lo holds no call.
xot_connections_zero() {
	fetch_into VARZ /varz && [ "$(varz_value xot_connections)" = 0 ]
}
xot_assert_idle() {
	wait_for "every XOT connection to close" 100 xot_connections_zero
	assert_idle
}

# keepalive_on PORT local|remote: the established TCP connection whose local (or remote) port
# is PORT runs its keepalive timer (timer 02 in /proc/net/tcp): x25lo's end of an XOT call.
keepalive_on() {
	ka_port=$(printf '%04X' "$1")
	if [ "$2" = local ]; then ka_field=2; else ka_field=3; fi
	awk -v f="$ka_field" -v p=":$ka_port" 'substr($f, length($f) - 4) == p && $4 == "01" { print $6 }' /proc/net/tcp |
		grep -q "^02:"
}
