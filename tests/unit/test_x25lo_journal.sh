#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# test_x25lo_journal.sh X25LO: the x25lo binary's log lines on the host, where start-up stops
# early (a bad config; no AF_X25): with JOURNAL_STREAM naming its stderr (a file here, as
# systemd names the journal's stream socket) every line is "<N>text", N the syslog priority,
# without a timestamp; with JOURNAL_STREAM naming something else, goxot's timestamped lines.
set -u
x25lo=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
failures=0

fail() {
	echo "FAIL: $*"
	sed 's/^/    /' "$dir/err"
	failures=$((failures + 1))
}

# run_logged JOURNAL_STREAM_MODE ARGS...: x25lo with stderr in $dir/err; MODE is "self" (the
# variable names that file), "other" (another file) or "unset".
run_logged() {
	mode=$1
	shift
	: >"$dir/err"
	: >"$dir/other"
	self=$(stat -c %d:%i "$dir/err")
	other=$(stat -c %d:%i "$dir/other")
	case $mode in
	self) JOURNAL_STREAM=$self "$x25lo" "$@" 2>>"$dir/err" ;;
	other) JOURNAL_STREAM=$other "$x25lo" "$@" 2>>"$dir/err" ;;
	*) env -u JOURNAL_STREAM "$x25lo" "$@" 2>>"$dir/err" ;;
	esac
}

printf '{"tun-loopback": {"routes": ["12a4"]}}' >"$dir/bad_route.json"
cat >"$dir/config.json" <<'JSON'
{"tun-loopback": {"lci_start": 3072, "lci_end": 4095, "routes": ["127001", "127002"]}}
JSON

run_logged self -config "$dir/bad_route.json"
status=$?
[ "$status" -eq 2 ] || fail "bad config under the journal: status $status, want 2"
grep -qE '^<3>Error: .*12a4' "$dir/err" || fail "bad config under the journal: no '<3>Error: ...12a4' line"
grep -qvE '^<[0-9]>' "$dir/err" && fail "a line without a priority under the journal"
grep -qE '^[0-9]{4}/' "$dir/err" && fail "a timestamp under the journal"
echo "ok: bad config under the journal: $(head -n 1 "$dir/err")"

for mode in other unset; do
	run_logged "$mode" -config "$dir/bad_route.json"
	grep -qE '^[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} Error: .*12a4' "$dir/err" ||
		fail "bad config, JOURNAL_STREAM $mode: no timestamped 'Error:' line"
	grep -q '^<' "$dir/err" && fail "bad config, JOURNAL_STREAM $mode: a priority prefix"
	echo "ok: bad config, JOURNAL_STREAM $mode: $(head -n 1 "$dir/err")"
done

# A good config: the host has no X.25 (or, where it has, no CAP_NET_ADMIN as a test user, or it
# starts): whatever stops it is an error line with priority 3; the first line is informational.
if [ -e /proc/net/x25 ]; then
	echo "ok: skipped the start-up case: this host has X.25"
else
	run_logged self -config "$dir/config.json"
	status=$?
	[ "$status" -eq 1 ] || fail "no AF_X25 under the journal: status $status, want 1"
	grep -q '^<3>Error: this kernel has no X.25' "$dir/err" || fail "no AF_X25 under the journal: no <3> line"
	echo "ok: no AF_X25 under the journal: $(cat "$dir/err")"
fi

[ "$failures" -eq 0 ] || exit 1
