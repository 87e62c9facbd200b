# SPDX-License-Identifier: GPL-2.0-or-later
# lib.sh - helpers for guest test scripts (sourced by tests/vm/test_*.sh inside the VM).
# Every wait is bounded; nothing sleeps where an event can be polled for.

X25LO_LOG=/tmp/x25lo.log
X25LO_CONFIG=/tmp/config.json

fail() {
	echo "FAIL: $*" >&2
	if [ -f "$X25LO_LOG" ]; then
		echo "--- last lines of the x25lo log ---" >&2
		tail -n 40 "$X25LO_LOG" >&2
	fi
	exit 1
}

note() { echo "# $*"; }

# uptime_ms: milliseconds since boot (busybox date has no %N).
uptime_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

# wait_for DESCRIPTION TENTHS COMMAND...: poll COMMAND every 0.1 s until it succeeds.
wait_for() {
	desc=$1 tenths=$2
	shift 2
	i=0
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ "$i" -ge "$tenths" ] && fail "timed out after $((tenths / 10)) s waiting for $desc"
		sleep 0.1
	done
}

# write_config ROUTES [EXTRA_JSON_MEMBERS [TOP_LEVEL_MEMBERS]]: ROUTES is a JSON array body, e.g.
# '"127001","127002"'; EXTRA_JSON_MEMBERS go into "tun-loopback", TOP_LEVEL_MEMBERS next to it
# (goxot's "servers" array: '"servers": [{"prefix": "999/3", "ip": "127.0.0.1"}]').
write_config() {
	cat >"$X25LO_CONFIG" <<JSON
{
  "tun-gateway": {"lci_start": 1024, "lci_end": 3071, "stats-port": 8003},
  "tun-loopback": {
    "lci_start": ${LCI_START:-3072},
    "lci_end": ${LCI_END:-4095},
    "stats-port": ${STATS_PORT:-0},
    "routes": [$1]${2:+,
    $2}
  }${3:+,
  $3}
}
JSON
}

# log_has TEXT: the x25lo log contains TEXT (fixed string).
log_has() { grep -qF -- "$1" "$X25LO_LOG"; }

# count_in_log TEXT
count_in_log() { grep -cF -- "$1" "$X25LO_LOG"; }

# start_x25lo N_TUNS [x25lo options]: start the daemon and wait until every TUN's link is up.
start_x25lo() {
	n=$1
	shift
	: >"$X25LO_LOG"
	x25lo -config "$X25LO_CONFIG" "$@" >>"$X25LO_LOG" 2>&1 &
	X25LO_PID=$!
	last=$((n - 1))
	wait_for "x25lo to bring up ${PREFIX:-tunlb}$last" 100 log_has "${PREFIX:-tunlb}$last: link operational"
	kill -0 "$X25LO_PID" 2>/dev/null || fail "x25lo exited during start-up"
}

# stop_x25lo: SIGTERM, wait for a clean exit (status 0).
stop_x25lo() {
	kill -TERM "$X25LO_PID"
	wait "$X25LO_PID"
	rc=$?
	[ "$rc" -eq 0 ] || fail "x25lo exited with status $rc after SIGTERM"
}

# x25lo_state: ask for the one-line state summary (SIGUSR1) and print the newest one.
x25lo_state() {
	before=$(count_in_log "x25lo state:")
	kill -USR1 "$X25LO_PID"
	wait_for "the SIGUSR1 state line" 50 sh -c "[ \$(grep -cF 'x25lo state:' $X25LO_LOG) -gt $before ]"
	grep -F "x25lo state:" "$X25LO_LOG" | tail -n 1
}

# assert_idle: x25lo holds no calls and no mapped LCIs.
assert_idle() {
	state=$(x25lo_state)
	echo "$state" | grep -q "calls=0 " || fail "x25lo still holds calls: $state"
	echo "$state" | grep -q "channels=0 " || fail "x25lo still maps LCIs: $state"
}

# start_listener ADDR NAME [x25test listen options]: echo server in the background.
start_listener() {
	addr=$1 name=$2
	shift 2
	rm -f "/tmp/$name.ready"
	x25test listen "$addr" --ready-file "/tmp/$name.ready" "$@" >"/tmp/$name.out" 2>&1 &
	eval "${name}_PID=\$!"
	x25test wait-file "/tmp/$name.ready" --timeout 10 >/dev/null || fail "listener $name on $addr did not start: $(cat "/tmp/$name.out")"
}

# tunlb_devices: the names of the network devices whose name contains tunlb (x25lo's TUNs).
tunlb_devices() {
	for dev in /sys/class/net/*tunlb*; do
		[ -e "$dev" ] && printf '%s\n' "${dev##*/}"
	done
	return 0
}

# expect_clean: no socket left in states 1-5 and no orphans (bounded by the 5 s heartbeat).
expect_clean() {
	x25test wait-clean --timeout "${1:-12}" || fail "sockets left behind: $(x25test sockets)"
}
