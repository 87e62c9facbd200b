# SPDX-License-Identifier: GPL-2.0-or-later
# Call records with the real kernel (docs/call-records.md): echo calls (one with RFC 1090's
# protocol id in its call user data), a call the callee's kernel refuses (no listener), one
# x25lo refuses (no free LCI), and a reload during a call after logrotate's rename: the
# records before the reload stay in the renamed file, the held call's goes to the new one.
# Every call has exactly one line, each a whole JSON object with the fields its end implies;
# /varz and /metrics count them.
# shellcheck source=lib.sh
. /x25lo/tests/lib.sh
# shellcheck source=stats_lib.sh
. /x25lo/tests/stats_lib.sh

REC=/tmp/calls.json
STATS_PORT=8004
# One LCI for injected calls: a second call into the same TUN finds none (x25lo refuses it).
LCI_START=4095
LCI_END=4095
write_config '"127001","127002"' "\"call_records\": \"$REC\""
start_x25lo 2
wait_stats_server
[ -f "$REC" ] || fail "x25lo did not create $REC"
mode=$(stat -c %a "$REC")
[ "$mode" = 640 ] || fail "$REC has mode $mode, not 640"
start_listener 127002 srv

# 1, 2: echo calls; 127001 calls 127002, injected into tunlb0 on LCI 4095.
out=$(x25test call 127002 -s 127001 --sizes 16,100) || fail "echo call: $out"
out=$(x25test call 127002 -s 127001 --cud C0F70000 --sizes 16) || fail "echo call with RFC 1090's CUD: $out"
# 3: nobody listens on 127001: the callee's kernel clears the INCOMING CALL.
out=$(x25test call 127001 -s 127002 --expect-error ECONNREFUSED) || fail "a call to no listener: $out"
# 4: a held call takes tunlb0's only LCI; 5: the next one is refused by x25lo (0x05/0x47).
x25test call 127002 -s 127001 --sizes 16 --hold --ready-file /tmp/held </dev/null >/tmp/held.out 2>&1 &
held=$!
x25test wait-file /tmp/held --timeout 10 >/dev/null || fail "the held call did not connect: $(cat /tmp/held.out)"
out=$(x25test call 127002 -s 127001 --expect-error ECONNREFUSED --expect-causediag 0x05:0x47) ||
	fail "a call without a free LCI: $out"

# logrotate: rename, then SIGHUP; the held call goes on and ends after the reopen.
mv "$REC" "$REC.1"
kill -HUP "$X25LO_PID"
wait_for "the reload after SIGHUP" 50 sh -c "[ \$(grep -cF 'Configuration reloaded from' $X25LO_LOG) -ge 2 ]"
wait_for "x25lo to create $REC again" 50 test -f "$REC"
kill -0 "$held" || fail "the held call died in the reload: $(cat /tmp/held.out)"
kill -TERM "$held"
wait "$held"
wait_for "the held call's record" 50 grep -q . "$REC"

fetch_into VARZ /varz
[ "$(varz_value call_records written)" = 5 ] || fail "/varz call_records: $(printf '%s\n' "$VARZ" | grep call_records)"
[ "$(varz_value call_records dropped)" = 0 ] || fail "records dropped: $(printf '%s\n' "$VARZ" | grep call_records)"
fetch_into METRICS /metrics
[ "$(metric_value 'x25lo_call_records_total{destination="file",result="written"}')" = 5 ] ||
	fail "/metrics: $(printf '%s\n' "$METRICS" | grep call_records)"
expect_clean
assert_idle
stop_x25lo

note "records before the reload:"
cat "$REC.1"
note "after:"
cat "$REC"
[ "$(wc -l <"$REC.1")" -eq 4 ] || fail "$REC.1 should hold the 4 records before the reload"
[ "$(wc -l <"$REC")" -eq 1 ] || fail "$REC should hold the held call's record only"

# line N FILE: the Nth record.
line() { sed -n "${1}p" "$2"; }
# has RECORD TEXT...: the record contains every TEXT (fixed strings).
has() {
	rec=$1
	shift
	for want; do
		printf '%s\n' "$rec" | grep -qF -- "$want" || fail "record lacks $want: $rec"
	done
}
for rec in "$(line 1 "$REC.1")" "$(line 2 "$REC.1")" "$(line 3 "$REC.1")" "$(line 4 "$REC.1")" "$(line 1 "$REC")"; do
	# A whole object, the documented first fields, an RFC 3339 UTC start with milliseconds.
	printf '%s\n' "$rec" | grep -Eq '^\{"v": 1, "start": "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z", "duration_ms": [0-9]+, "outcome": "[a-z_]+", .*\}$' ||
		fail "not a record line: $rec"
done
has "$(line 1 "$REC.1")" '"outcome": "connected"' '"calling": "127001", "called": "127002"' '"cud": ""' \
	'"negotiated": {"packet_size_in": 128' '"caller": {"tun": "tunlb1", "lci": 1}' \
	'"callee": {"tun": "tunlb0", "lci": 4095}' '"cleared_by": "caller", "reason": "clear_request"' '"setup_ms": '
has "$(line 2 "$REC.1")" '"outcome": "connected"' '"cud": "c0f70000", "cud_len": 4, "protocol": "smtp"'
has "$(line 3 "$REC.1")" '"outcome": "not_connected"' '"calling": "127002", "called": "127001"' \
	'"cleared_by": "callee", "reason": "clear_request"'
has "$(line 4 "$REC.1")" '"outcome": "refused"' '"callee": {"tun": "tunlb0", "lci": null}' \
	'"caller_to_callee": {"packets": 1,' '"cleared_by": "x25lo", "reason": "no_lci", "cause": "0x05", "diag": "0x47"'
has "$(line 1 "$REC")" '"outcome": "connected"' '"cleared_by": "caller"' '"callee": {"tun": "tunlb0", "lci": 4095}'
# Data went both ways on the echo calls: more than the set-up packets each way.
printf '%s\n' "$(line 1 "$REC.1")" | grep -Eq '"callee_to_caller": \{"packets": ([4-9]|[1-9][0-9]+),' ||
	fail "the echo call's packets: $(line 1 "$REC.1")"
echo "PASS"
