#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Host side of the capture test: run tests/vm/test_pcap_call.sh in the X.25 guest, take the
# capture it prints (base64), and check that the host's tshark decodes the real kernel
# frames as X.25: per frame the TUN, direction, LCI, packet type, addresses, facilities
# and clearing cause.
#
#   tests/vm/host_pcap_tshark.sh BUILD_DIR
#
# Exit status: 0 pass, 1 fail, 77 skipped (tshark not installed).
set -euo pipefail

TESTS_DIR=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
REPO_DIR=$(dirname "$(dirname "$TESTS_DIR")")
build=${1:?usage: host_pcap_tshark.sh BUILD_DIR}

if ! command -v tshark >/dev/null 2>&1; then
	echo "host_pcap_tshark: tshark not installed (Debian package tshark): skipped"
	exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/x25lo-pcap.XXXXXX")
trap 'rm -rf "$work"' EXIT

if ! "$REPO_DIR/vm/x25lo-vm" run --build "$build" --add "$TESTS_DIR:/x25lo/tests" --timeout 120 \
	-- sh /x25lo/tests/test_pcap_call.sh --dump >"$work/guest.out" 2>&1; then
	echo "host_pcap_tshark: FAIL: the guest capture test failed:"
	sed 's/^/    /' "$work/guest.out"
	exit 1
fi
sed -n '/^PCAP-BEGIN$/,/^PCAP-END$/p' "$work/guest.out" | sed '1d;$d' | base64 -d >"$work/call.pcapng"

fields=(frame.interface_name frame.packet_flags_direction x25.lcn x25.type x25.called_address
	x25.calling_address x25.facility.packet_size.called_dte x25.window_size.called_dte x25.clear_cause)
args=()
for f in "${fields[@]}"; do args+=(-e "$f"); done
# Only the call (LCI != 0); link frames decode as LAPD SABME and RESTART on LCI 0.
tshark -r "$work/call.pcapng" -Y "x25.lcn != 0" -T fields -E separator=, -E occurrence=f "${args[@]}" \
	2>/dev/null >"$work/got"
# Directions: 0x00000002 = outbound (the kernel sent it), 0x00000001 = inbound (x25lo wrote it).
# The caller asks for packet size 256 (8) and window 1; the listener's kernel accepts 128 (7)/1.
cat >"$work/expected" <<'EOF'
tunlb1,0x00000002,1,0x0b,127002,127001,8,1,
tunlb0,0x00000001,4095,0x0b,127002,127001,8,1,
tunlb0,0x00000002,4095,0x0f,,,7,1,
tunlb1,0x00000001,1,0x0f,,,7,1,
tunlb1,0x00000002,1,0x00,,,,,
tunlb0,0x00000001,4095,0x00,,,,,
tunlb0,0x00000002,4095,0x01,,,,,
tunlb1,0x00000001,1,0x01,,,,,
tunlb0,0x00000002,4095,0x00,,,,,
tunlb1,0x00000001,1,0x00,,,,,
tunlb1,0x00000002,1,0x01,,,,,
tunlb0,0x00000001,4095,0x01,,,,,
tunlb1,0x00000002,1,0x13,,,,,0x00
tunlb1,0x00000001,1,0x17,,,,,
tunlb0,0x00000001,4095,0x13,,,,,0x00
tunlb0,0x00000002,4095,0x17,,,,,
EOF
if ! diff -u "$work/expected" "$work/got"; then
	echo "host_pcap_tshark: FAIL: tshark's view of the captured call differs (above)"
	exit 1
fi
summary=$(tshark -r "$work/call.pcapng" -Y "x25.lcn != 0" 2>/dev/null | head -n 2)
echo "$summary"
echo "host_pcap_tshark: PASS: tshark decodes the call captured in the guest ($(wc -l <"$work/got") X.25 frames)"
