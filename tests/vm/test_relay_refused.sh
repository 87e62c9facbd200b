# SPDX-License-Identifier: GPL-2.0-or-later
# A call to an address nobody listens on fails at once with ECONNREFUSED and the kernel's
# cause (0x01, diagnostic 0); x25lo keeps no state for it.
# shellcheck source=lib.sh
. /x25lo/tests/lib.sh

write_config '"127001","127002"'
start_x25lo 2

start=$(date +%s)
out=$(x25test call 127002 -s 127001 --expect-error ECONNREFUSED --expect-causediag 0x01:0x00 --connect-timeout 5000) ||
	fail "refused call: $out"
end=$(date +%s)
[ $((end - start)) -le 2 ] || fail "the refusal took $((end - start)) s; it should be immediate"
note "refused at once: $out"

expect_clean
assert_idle
stop_x25lo
echo "PASS"
