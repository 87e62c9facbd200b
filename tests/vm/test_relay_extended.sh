# SPDX-License-Identifier: GPL-2.0-or-later
# extended: true puts every TUN in modulo 128: a window of 127 is negotiated and data flows.
# shellcheck source=lib.sh
. /x25lo/tests/lib.sh

write_config '"127001","127002"' '"extended": true'
start_x25lo 2
start_listener 127002 srv -W 127 -P 2048 --rcvbuf 4194304 --sndbuf 4194304
out=$(x25test call 127002 -s 127001 -W 127 -P 2048 --rcvbuf 4194304 --sndbuf 4194304 --print-facilities \
	--sizes 1,2048,30000,60000,60000) || fail "modulo-128 call: $out"
echo "$out" | grep -q "winsize_in=127 winsize_out=127" || fail "window 127 not negotiated: $out"
note "modulo 128: $out"
out=$(x25test call 127002 -s 127001 --calls 100 --parallel 4 -W 127 --sizes 4000) || fail "load: $out"
echo "$out" | grep -q "failed=0 mismatches=0" || fail "load: $out"
note "load: $out"
expect_clean
assert_idle
stop_x25lo
echo "PASS"
