# SPDX-License-Identifier: GPL-2.0-or-later
# The capture of one call (config key "pcap") is a pcapng file with one interface per TUN
# and every frame of the call, in order, with its direction.
#   sh test_pcap_call.sh --dump   also prints the capture in base64 between
#   "PCAP-BEGIN" and "PCAP-END" lines, so the host can decode it with tshark
#   (tests/vm/host_pcap_tshark.sh); the guest has no tshark.
# x25lo-vm: --timeout 120
# shellcheck source=lib.sh
. /x25lo/tests/lib.sh

CAPTURE=/tmp/call.pcapng
write_config '"127001","127002"' "\"pcap\": \"$CAPTURE\""
rm -f "$CAPTURE" "$CAPTURE.1"
start_x25lo 2
start_listener 127002 echo
# Window 1: every DATA is acknowledged at once, so the frame sequence is fixed.
out=$(x25test call 127002 -s 127001 -W 1 -P 256 --sizes 16) || fail "call: $out"
expect_clean
stop_x25lo # closing the capture flushes it

# One line per pcapng block: "IDB <name>" or "EPB <interface> <in|out> <lapd control> <lci> <x25 type>".
blocks=$(od -An -v -tu1 -w1 "$CAPTURE" | awk '
	function u32(o) { return b[o] + 256 * (b[o + 1] + 256 * (b[o + 2] + 256 * b[o + 3])) }
	function u16(o) { return b[o] + 256 * b[o + 1] }
	{ b[n++] = $1 }
	END {
		if (u32(0) != 168627466) { print "not a pcapng file"; exit }
		for (o = 0; o < n; o += u32(o + 4)) {
			type = u32(o)
			if (type == 1) {
				name = ""
				for (p = o + 16; u16(p) != 0; p += 4 + int((u16(p + 2) + 3) / 4) * 4)
					if (u16(p) == 2)
						for (i = 0; i < u16(p + 2); i++) name = name sprintf("%c", b[p + 4 + i])
				print "IDB", name, u16(o + 8)
			} else if (type == 6) {
				len = u32(o + 20); d = o + 28
				flags = u32(d + int((len + 3) / 4) * 4 + 4)
				line = sprintf("EPB %d %s %02x", u32(o + 8), flags == 1 ? "in" : "out", b[d + 18])
				if (b[d + 18] == 3)
					line = line sprintf(" %d %02x", (b[d + 19] % 16) * 256 + b[d + 20], b[d + 21])
				print line
			}
		}
	}')
note "capture blocks:"
printf '%s\n' "$blocks" | sed 's/^/#   /'

# Two interfaces (LINUX_LAPD = 177), named after the TUNs.
expect_line() { printf '%s\n' "$blocks" | grep -qxF "$1" || fail "capture lacks: $1"; }
expect_line "IDB tunlb0 177"
expect_line "IDB tunlb1 177"
[ "$(printf '%s\n' "$blocks" | grep -c '^IDB')" = 2 ] || fail "expected 2 interface blocks"
# Link start-up on each TUN: x25lo's connect (pseudo-header 0x01, shown as SABME), the
# kernel's RESTART REQUEST and x25lo's RESTART CONFIRMATION on LCI 0.
[ "$(printf '%s\n' "$blocks" | grep -c '^EPB [01] in 7f$')" = 2 ] || fail "expected x25lo's connect on each TUN"
[ "$(printf '%s\n' "$blocks" | grep -c ' 0 fb$')" = 2 ] || fail "expected one RESTART REQUEST per TUN"
[ "$(printf '%s\n' "$blocks" | grep -c ' 0 ff$')" = 2 ] || fail "expected one RESTART CONFIRMATION per TUN"

# The call itself (LCI != 0): CALL REQ on the called address's TUN, INCOMING CALL at the
# top of tunlb0's range, DATA (P(S)=0) answered by RR (P(R)=1) from the listener's kernel,
# the echo (P(R)=1) and the caller's RR, then the caller's CLEAR REQ, confirmed by x25lo at
# once while the CLEAR INDICATION goes to the callee, whose kernel confirms it.
id0=$(printf '%s\n' "$blocks" | grep '^IDB' | grep -n 'IDB tunlb0' | cut -d: -f1)
id0=$((id0 - 1))
id1=$((1 - id0))
call=$(printf '%s\n' "$blocks" | awk '$1 == "EPB" && NF == 6 && $5 != 0 { print $2, $3, $5, $6 }' |
	sed -e "s/^$id0 /tunlb0 /" -e "s/^$id1 /tunlb1 /")
expected="tunlb1 out 1 0b
tunlb0 in 4095 0b
tunlb0 out 4095 0f
tunlb1 in 1 0f
tunlb1 out 1 00
tunlb0 in 4095 00
tunlb0 out 4095 21
tunlb1 in 1 21
tunlb0 out 4095 20
tunlb1 in 1 20
tunlb1 out 1 21
tunlb0 in 4095 21
tunlb1 out 1 13
tunlb1 in 1 17
tunlb0 in 4095 13
tunlb0 out 4095 17"
[ "$call" = "$expected" ] || fail "the call's frames differ:
expected:
$expected
got:
$call"
note "the call: CALL REQ, INCOMING CALL, CALL ACCEPTED/CONNECTED, DATA and RR both ways, CLEAR REQ/IND, CLEAR CONF"

if [ "${1:-}" = --dump ]; then
	echo "PCAP-BEGIN"
	busybox base64 "$CAPTURE"
	echo "PCAP-END"
fi
echo "PASS"
