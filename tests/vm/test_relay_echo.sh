# SPDX-License-Identifier: GPL-2.0-or-later
# Echo calls through x25lo: records from 1 byte up to the largest the kernel can carry arrive
# intact, one record per message, at packet sizes 128..4096, with and without the Q bit;
# interrupts and call user data reach the peer; negotiated facilities equal what a direct
# link gives (docs/linux-x25.md §9.8).
#
# The largest record is the kernel's, not x25lo's: x25_state3_machine resets a call once the
# fragments of one record, 3-byte headers included, pass 65535 bytes, so a record of L bytes
# at packet size P needs L + 3 * ceil(L / P) <= 65535 (64032 at P=128, 65487 at P=4096),
# and 65535 itself never fits. Both limits are asserted here, so x25lo lowering them fails.
# x25lo-vm: --timeout 600
# shellcheck source=lib.sh
. /x25lo/tests/lib.sh

write_config '"127001","127002"'
start_x25lo 2

# Long records at small packet sizes need a large receive buffer (docs/linux-x25.md §9.5).
start_listener 127002 echo --qbit --echo-interrupts --print-call --rcvbuf 4194304 --sndbuf 4194304 -W 7 -P 4096

# largest_record P: the largest L with L + 3 * ceil(L / P) <= 65535.
largest_record() {
	awk -v p="$1" 'BEGIN { for (l = 65535; l > 0; l--) if (l + 3 * int((l + p - 1) / p) <= 65535) { print l; exit } }'
}

for ps in 128 256 512 1024 2048 4096; do
	case $ps in 128) code=7 ;; 256) code=8 ;; 512) code=9 ;; 1024) code=10 ;; 2048) code=11 ;; 4096) code=12 ;; esac
	max=$(largest_record $ps)
	out=$(x25test call 127002 -s 127001 -P $ps -W 7 --rcvbuf 4194304 --sndbuf 4194304 --qbit \
		--sizes 1,2,127,128,129,1000,4096,8193,32768,"$max" --print-facilities --timeout 60) ||
		fail "echo at packet size $ps with Q bits (largest record $max): $out"
	echo "$out" | grep -q "winsize_in=7 winsize_out=7 pacsize_in=$code pacsize_out=$code" ||
		fail "packet size $ps: unexpected facilities: $out"
	note "packet size $ps: 10 records up to $max bytes with Q bits echoed intact"
done

# One byte more than the kernel can reassemble fails the same way it would on a direct link.
out=$(x25test call 127002 -s 127001 -P 4096 -W 7 --rcvbuf 4194304 --sndbuf 4194304 --sizes 65488 --timeout 10) &&
	fail "a 65488-byte record at packet size 4096 passed; the kernel limit changed?"
note "65488 bytes at packet size 4096 is cut by the kernel, as expected: $out"

out=$(x25test call 127002 -s 127001 --sizes 1,128,4096,"$(largest_record 128)" --rcvbuf 4194304 --sndbuf 4194304 --timeout 60) ||
	fail "echo without Q bit: $out"
note "default facilities, no Q bit: $out"

out=$(x25test call 127002 -s 127001 --interrupt 48656c6c6f) || fail "interrupt: $out"
note "interrupt echoed: $out"

out=$(x25test call 127002 -s 127001 --cud 01000000cafe --sizes 16) || fail "call with CUD: $out"
wait_for "the listener to log the CUD" 50 grep -q "cud=01000000cafe" /tmp/echo.out
note "call user data reached the listener"

# A caller asking 7/4096 from a 7/4096 listener gets 7/4096 at both ends; a default caller 2/128.
out=$(x25test call 127002 -s 127001 --print-facilities --sizes 16) || fail "default call: $out"
echo "$out" | grep -q "winsize_in=2 winsize_out=2 pacsize_in=7 pacsize_out=7" ||
	fail "a default caller should negotiate 2/128 as over a direct link: $out"
grep -q "calling=127001 called=127002 winsize_in=2 winsize_out=2 pacsize_in=7 pacsize_out=7" /tmp/echo.out ||
	fail "the listener did not see 2/128 for a default caller: $(cat /tmp/echo.out)"
note "negotiated facilities as over a direct link"

expect_clean
assert_idle
stop_x25lo
echo "PASS"
