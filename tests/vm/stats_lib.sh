# SPDX-License-Identifier: GPL-2.0-or-later
# stats_lib.sh - helpers for the stats tests (sourced after lib.sh inside the guest).
# busybox wget is the HTTP client; every wait is bounded. The server is on STATS_PORT
# (default 8004), read at each use so that tests may set it after sourcing this file.

# fetch PATH: print the body of GET PATH; on any error print nothing and return 1, and
# write the reason to /tmp/fetch.err (fail would only leave the $(...) subshell).
# busybox wget's own -T option crashes (busybox 1.35), hence timeout.
fetch() {
	busybox timeout 10 busybox wget -q -O /tmp/fetch.body "http://127.0.0.1:${STATS_PORT:-8004}$1" 2>/tmp/fetch.err &&
		cat /tmp/fetch.body
}

# fetch_into VAR PATH: VAR=body of GET PATH, or fail the test.
fetch_into() {
	# shellcheck disable=SC2034 # read by the eval
	body=$(fetch "$2") || fail "GET $2 failed: $(cat /tmp/fetch.err)"
	eval "$1=\$body"
}

# varz_value KEY [SUBKEY]: the integer (or string) of a top-level /varz variable, or of one
# entry of a map variable, from a saved /varz text in $VARZ. Empty when absent.
varz_value() {
	line=$(printf '%s\n' "$VARZ" | grep "^\"$1\": ")
	if [ -z "${2:-}" ]; then
		printf '%s\n' "$line" | sed -e 's/^"[^"]*": //' -e 's/,$//' -e 's/^"\(.*\)"$/\1/'
	else
		printf '%s\n' "$line" | sed -n "s/.*[{ ]\"$2\": \([^,}]*\).*/\1/p" | sed 's/^"\(.*\)"$/\1/'
	fi
}

# metric_value SAMPLE: value of one exact sample line (name with labels) in $METRICS.
metric_value() {
	printf '%s\n' "$METRICS" | grep -F "$1 " | grep -v '^#' | head -n 1 | sed 's/.* //'
}

# wait_stats_server: the daemon printed its listening line on stdout (in the log).
wait_stats_server() {
	wait_for "the stats server" 100 log_has "Stats server listening on 127.0.0.1:${STATS_PORT:-8004}"
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: expected $2, got '$3'"
}
