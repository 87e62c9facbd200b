# SPDX-License-Identifier: GPL-2.0-or-later
# A capture that reaches pcap_max_bytes moves to <file>.1 and starts again: neither file
# grows past the cap and both are complete pcapng files (section header, interface blocks
# before their records, block lengths adding up to the file size).
# x25lo-vm: --timeout 300
# shellcheck source=lib.sh
. /x25lo/tests/lib.sh

CAPTURE=/tmp/rot.pcapng
CAP=65536
write_config '"127001","127002"' "\"pcap\": \"$CAPTURE\", \"pcap_max_bytes\": $CAP"
rm -f "$CAPTURE" "$CAPTURE.1"
start_x25lo 2
start_listener 127002 echo
# About 300 KB of frames: several rotations.
out=$(x25test call 127002 -s 127001 --calls 100 --parallel 4 --messages 4 --sizes 512 -P 1024 --timeout 30) ||
	fail "load: $out"
expect_clean
stop_x25lo

[ -f "$CAPTURE.1" ] || fail "no $CAPTURE.1 after about 300 KB of frames with a $CAP-byte cap"
for f in "$CAPTURE" "$CAPTURE.1"; do
	size=$(wc -c <"$f")
	[ "$size" -le "$CAP" ] || fail "$f is $size bytes, over the $CAP-byte cap"
	# Walk the blocks: the file starts with a section header, every record's interface
	# block comes before it, and the block lengths add up to the file size exactly.
	check=$(od -An -v -tu4 -w4 "$f" | awk '
		{ w[n++] = $1 }
		END {
			if (w[0] != 168627466) { print "no section header"; exit }
			ifaces = 0; epb = 0
			for (i = 0; i < n; i += w[i + 1] / 4) {
				if (w[i + 1] < 12 || w[i + 1] % 4) { print "bad block length at word " i; exit }
				if (w[i] == 1) ifaces++
				if (w[i] == 6) { epb++; if (w[i + 2] >= ifaces) { print "record before its interface"; exit } }
			}
			if (i != n) { print "blocks do not end at the end of the file"; exit }
			print "ok", epb
		}')
	case $check in "ok "*) note "$f: $size bytes, ${check#ok } records" ;; *) fail "$f: $check" ;; esac
done
echo "PASS"
