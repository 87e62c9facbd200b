# SPDX-License-Identifier: GPL-2.0-or-later
# After a known sequence of calls (one held call, three short ones, one refused), /varz,
# /metrics and /sessions show exactly the expected values, SIGUSR1 dumps them, and the
# capture holds exactly the frames the counters count.
#
# Window 1 makes every acknowledgement immediate (each DATA is answered by an RR at once, no
# T2 hold-back timer), so the packet counts per call are exact:
#   caller's kernel (tunlb1): CALL_REQ, M x (DATA, RR), CLR_REQ
#   callee's kernel (tunlb0): CALL_CONN, M x (RR, DATA), CLR_CONF
# The call leaves the kernel on the called address's TUN (tunlb1, route 127002) and is
# injected into the calling address's TUN (tunlb0) at the top of its LCI range.
# Bytes: DATA 3+16, RR 3, the caller's CALL REQUEST 17 (header, address lengths, two
# 6-digit addresses, facility length, packet size and window), the kernel's CALL ACCEPTED
# 11 (header, address and facility lengths, the two facilities).
# x25lo-vm: --timeout 300
# shellcheck source=lib.sh
. /x25lo/tests/lib.sh
# shellcheck source=stats_lib.sh
. /x25lo/tests/stats_lib.sh

STATS_PORT=8004
write_config '"127001","127002"'
rm -f /tmp/x25.pcapng /tmp/x25.pcapng.1
start_x25lo 2 -pcap /tmp/x25.pcapng
wait_stats_server
start_listener 127002 echo

fetch_into VARZ0 /varz
# delta KEY [SUBKEY]: change of a /varz value since VARZ0 (absent map entries count as 0).
delta() {
	now=$(VARZ=$VARZ varz_value "$@")
	# shellcheck disable=SC2153 # VARZ0 is set by fetch_into (eval in stats_lib.sh)
	was=$(VARZ=$VARZ0 varz_value "$@")
	echo $((${now:-0} - ${was:-0}))
}
VARZ=$VARZ0
expect_eq "calls_active at start" 0 "$(varz_value calls_active)"
expect_eq "tunlb0 link state" ready "$(varz_value interface_link_state tunlb0)"
expect_eq "tunlb0 free LCIs (3072-4095)" 1024 "$(varz_value interface_lci_free tunlb0)"
expect_eq "config generation" 1 "$(varz_value config_generation)"
expect_eq "last reload" ok "$(varz_value last_reload)"

# --- one call held open: /sessions and the gauges show it ---
rm -f /tmp/held.ready
x25test call 127002 -s 127001 -W 1 -P 256 --sizes 16,16,16 --hold --ready-file /tmp/held.ready \
	>/tmp/held.out 2>&1 &
HELD_PID=$!
x25test wait-file /tmp/held.ready --timeout 20 >/dev/null || fail "held call did not connect: $(cat /tmp/held.out)"
# The caller's last RR answers the last echo; it is already queued when the caller wakes up.
sessions_settled() { fetch /sessions | grep -qF '"caller_to_callee": {"packets": 7, "bytes": 83}'; }
i=0
until sessions_settled; do
	i=$((i + 1))
	[ "$i" -lt 50 ] || fail "after 5 s /sessions still shows: $(fetch /sessions)"
	sleep 0.1
done
fetch_into SESSIONS /sessions
note "/sessions: $SESSIONS"
expect_eq "/sessions lines (one call)" 3 "$(printf '%s\n' "$SESSIONS" | wc -l)"
for part in '{"state": "connected", "age_seconds": ' \
	'"calling": "127001", "called": "127002"' \
	'"packet_size_in": 256, "packet_size_out": 256, "window_in": 1, "window_out": 1}' \
	'"caller": {"tun": "tunlb1", "lci": 1, "state": "open", "packets_in": 7, "bytes_in": 83}' \
	'"callee": {"tun": "tunlb0", "lci": 4095, "state": "open", "packets_in": 7, "bytes_in": 77}' \
	'"caller_to_callee": {"packets": 7, "bytes": 83}, "callee_to_caller": {"packets": 7, "bytes": 77}}'; do
	printf '%s\n' "$SESSIONS" | grep -qF "$part" || fail "/sessions lacks $part"
done
fetch_into VARZ /varz
expect_eq "calls_active during the call" 1 "$(varz_value calls_active)"
expect_eq "connected calls" 1 "$(varz_value calls_by_state connected)"
expect_eq "tunlb0 LCIs in use" 1 "$(varz_value interface_lci_in_use tunlb0)"
expect_eq "tunlb1 LCIs in use" 1 "$(varz_value interface_lci_in_use tunlb1)"
expect_eq "tunlb0 free LCIs" 1023 "$(varz_value interface_lci_free tunlb0)"
fetch_into METRICS /metrics
expect_eq "x25lo_calls_active" 1 "$(metric_value x25lo_calls_active)"
expect_eq "x25lo_tun_lci_free tunlb0" 1023 "$(metric_value 'x25lo_tun_lci_free{tun="tunlb0"}')"

# The SIGUSR1 dump lists the call.
before=$(count_in_log "Stats dump: end")
kill -USR1 "$X25LO_PID"
wait_for "the SIGUSR1 dump" 50 sh -c "[ \$(grep -cF 'Stats dump: end' $X25LO_LOG) -gt $before ]"
log_has "Stats dump: call tunlb1/1 -> tunlb0/4095, 127001 -> 127002, connected, age " ||
	fail "the SIGUSR1 dump does not list the held call"
log_has "Stats dump: end (1 calls)" || fail "the SIGUSR1 dump does not count one call"

kill -TERM "$HELD_PID"
wait "$HELD_PID" || fail "the held call failed: $(cat /tmp/held.out)"

# --- three short calls, one 16-byte message each ---
for i in 1 2 3; do
	out=$(x25test call 127002 -s 127001 -W 1) || fail "short call $i: $out"
done
# --- one refused call: nobody listens on 127001, so tunlb1's kernel clears it (0x01) ---
out=$(x25test call 127001 -s 127002 --expect-error ECONNREFUSED --expect-causediag 0x01:0x00 \
	--connect-timeout 5000) || fail "refused call: $out"
all_closed() {
	fetch_into VARZ /varz
	[ "$(delta interface_sessions_closed tunlb0)" = 5 ] && [ "$(delta interface_sessions_closed tunlb1)" = 5 ] &&
		[ "$(varz_value calls_active)" = 0 ]
}
wait_for "five calls to be closed" 100 all_closed
fetch_into VARZ /varz
note "/varz after 5 calls: $VARZ"

# Per connected call: read from tunlb1 CALL_REQ, DATA/RR per message, CLR_REQ; from tunlb0
# the answers. The refused call: CALL_REQ read from tunlb0, INCOMING CALL into tunlb1, CLR_REQ
# (0x01) read from tunlb1 and confirmed by x25lo, CLEAR INDICATION into tunlb0, CLR_CONF read.
for check in "packets_handled CALL_REQ 5" "packets_handled CALL_CONN 4" "packets_handled DATA 12" \
	"packets_handled RR 12" "packets_handled CLR_REQ 5" "packets_handled CLR_CONF 5" \
	"causes_received 0x00 4" "causes_received 0x01 1" "calls_relayed - 5" "calls_connected - 4" \
	"interface_call_request tunlb1 4" "interface_call_request tunlb0 1" \
	"interface_call_connected tunlb0 4" "interface_call_connected tunlb1 0" \
	"interface_clear_request tunlb1 5" "interface_clear_request tunlb0 0" \
	"interface_clear_confirm tunlb0 5" "interface_clear_confirm tunlb1 0" \
	"interface_sessions_opened tunlb0 5" "interface_sessions_opened tunlb1 5" \
	"interface_packets_received tunlb1 21" "interface_packets_received tunlb0 22" \
	"interface_packets_sent tunlb0 21" "interface_packets_sent tunlb1 22"; do
	# shellcheck disable=SC2086 # split "KEY SUBKEY CHANGE" on purpose
	set -- $check
	if [ "$2" = - ]; then
		expect_eq "change of $1" "$3" "$(delta "$1")"
	else
		expect_eq "change of $1[$2]" "$3" "$(delta "$1" "$2")"
	fi
done
# x25lo changes no packet length: what one kernel sent is what the other one got.
expect_eq "bytes tunlb1 -> tunlb0" "$(delta interface_bytes_received tunlb1)" "$(delta interface_bytes_sent tunlb0)"
expect_eq "bytes tunlb0 -> tunlb1" "$(delta interface_bytes_received tunlb0)" "$(delta interface_bytes_sent tunlb1)"
expect_eq "x25lo generated no clears" "" "$(varz_value causes_generated 0x05)"
expect_eq "calls_active after" 0 "$(varz_value calls_active)"
expect_eq "tunlb0 LCIs in use after" 0 "$(varz_value interface_lci_in_use tunlb0)"
expect_eq "tunlb0 free LCIs after" 1024 "$(varz_value interface_lci_free tunlb0)"
expect_eq "/sessions after" "[]" "$(fetch /sessions)"

# /metrics carries the same figures as /varz.
fetch_into METRICS /metrics
# shellcheck disable=SC2089 # the quotes are part of the metric names, kept literally
for pair in "packets_handled DATA x25lo_packets_handled_total{type=\"DATA\"}" \
	"packets_handled RR x25lo_packets_handled_total{type=\"RR\"}" \
	"causes_received 0x00 x25lo_clears_total{direction=\"received\",cause=\"0x00\"}" \
	"causes_received 0x01 x25lo_clears_total{direction=\"received\",cause=\"0x01\"}" \
	"calls_relayed - x25lo_calls_relayed_total" \
	"interface_packets_sent tunlb0 x25lo_tun_packets_total{tun=\"tunlb0\",direction=\"sent\"}" \
	"interface_bytes_received tunlb1 x25lo_tun_bytes_total{tun=\"tunlb1\",direction=\"received\"}" \
	"interface_call_request tunlb1 x25lo_tun_call_packets_total{tun=\"tunlb1\",type=\"CALL_REQ\"}" \
	"interface_sessions_closed tunlb0 x25lo_tun_sessions_closed_total{tun=\"tunlb0\"}"; do
	# shellcheck disable=SC2086,SC2090 # split "KEY SUBKEY METRIC" on purpose; METRIC's quotes are literal
	set -- $pair
	if [ "$2" = - ]; then v=$(varz_value "$1"); else v=$(varz_value "$1" "$2"); fi
	expect_eq "/metrics $3 vs /varz" "$v" "$(metric_value "$3")"
done
expect_eq "x25lo_tun_link_state ready" 1 "$(metric_value 'x25lo_tun_link_state{tun="tunlb1",state="ready"}')"

# The capture holds exactly the frames counted on both TUNs, flushed by the SIGUSR1 dump.
frames=0
for tun in tunlb0 tunlb1; do
	frames=$((frames + $(varz_value interface_packets_received $tun) + $(varz_value interface_packets_sent $tun)))
done
before=$(count_in_log "Stats dump: end")
kill -USR1 "$X25LO_PID"
wait_for "the SIGUSR1 dump" 50 sh -c "[ \$(grep -cF 'Stats dump: end' $X25LO_LOG) -gt $before ]"
log_has "Stats dump: packet capture holds $frames frames (flushed)" ||
	fail "capture should hold $frames frames: $(grep -F 'packet capture holds' $X25LO_LOG | tail -n 1)"
# Count the records in the file itself: walk the pcapng blocks (type, length).
records=$(od -An -v -tu4 -w4 /tmp/x25.pcapng | awk '
	{ w[n++] = $1 }
	END {
		if (w[0] != 168627466) { print "bad-magic"; exit }
		i = 0; epb = 0; idb = 0
		while (i < n) { if (w[i] == 6) epb++; if (w[i] == 1) idb++; i += w[i + 1] / 4 }
		print epb, idb
	}')
expect_eq "pcapng records and interfaces in the file" "$frames 2" "$records"

expect_clean
stop_x25lo
echo "PASS"
