# SPDX-License-Identifier: GPL-2.0-or-later
# On 2 vCPUs concurrent connect()s can be handed the same LCI (docs/linux-x25.md §9.3). Whatever
# the kernel's race does to individual calls, no socket may stay in states 1, 2, 4 or 5,
# and x25lo must end with no calls and no mapped LCIs.
# x25lo-vm: --smp 2 --timeout 600
# shellcheck source=lib.sh
. /x25lo/tests/lib.sh

write_config '"127001","127002"'
start_x25lo 2
start_listener 127001 a --backlog 512
start_listener 127002 b --backlog 512
x25test call 127002 -s 127001 --calls 1500 --parallel 8 --sizes 1-512 --connect-timeout 5000 >/tmp/ab.out 2>&1 &
ab=$!
x25test call 127001 -s 127002 --calls 1500 --parallel 8 --sizes 1-512 --connect-timeout 5000 >/tmp/ba.out 2>&1 &
ba=$!
wait "$ab"
wait "$ba"
note "a->b: $(tail -n 1 /tmp/ab.out)"
note "b->a: $(tail -n 1 /tmp/ba.out)"
grep -q "mismatches=0" /tmp/ab.out || fail "data mismatch a->b: $(cat /tmp/ab.out)"
grep -q "mismatches=0" /tmp/ba.out || fail "data mismatch b->a: $(cat /tmp/ba.out)"
note "$(x25lo_state)"
expect_clean 15
assert_idle
stop_x25lo
echo "PASS"
