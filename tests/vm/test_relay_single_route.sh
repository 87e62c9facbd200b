# SPDX-License-Identifier: GPL-2.0-or-later
# A single route: the call is injected back into the same TUN on a relay LCI (the kernel
# accepts that: proved here). An LCI range of two clears the third concurrent call with
# cause 0x05, diagnostic 71 (0x47), and nothing hangs.
# shellcheck source=lib.sh
. /x25lo/tests/lib.sh

LCI_START=4094 LCI_END=4095 write_config '"127001"'
start_x25lo 1
start_listener 127001 srv
out=$(x25test call 127001 -s 127001 --sizes 1,4096) || fail "single-route call: $out"
note "single route: $out"

held=""
for i in 1 2; do
	x25test call 127001 -s 127001 --sizes 16 --hold --ready-file /tmp/held.$i </dev/null >/tmp/held.$i.out 2>&1 &
	held="$held $!"
	x25test wait-file /tmp/held.$i --timeout 10 >/dev/null || fail "held call $i: $(cat /tmp/held.$i.out)"
done
out=$(x25test call 127001 -s 127001 --expect-error ECONNREFUSED --expect-causediag 0x05:0x47) ||
	fail "the third call should be refused with 0x05/0x47: $out"
note "third concurrent call refused: $out"
for p in $held; do
	kill -TERM "$p"
	wait "$p" || fail "held call $p did not end cleanly: $(cat /tmp/held.*.out)"
done
out=$(x25test call 127001 -s 127001 --sizes 16) || fail "a call after the held ones ended: $out"
expect_clean
assert_idle
stop_x25lo
echo "PASS"
