# SPDX-License-Identifier: GPL-2.0-or-later
# Calls in both directions at once under load (listeners on both addresses, callers each
# way): no failures and no mismatches. A plain copy relay fails ~25% of such calls
# (docs/linux-x25.md §9.2); x25lo maps LCIs per TUN.
# x25lo-vm: --timeout 600
# shellcheck source=lib.sh
. /x25lo/tests/lib.sh

write_config '"127001","127002"'
start_x25lo 2
start_listener 127001 a --backlog 512
start_listener 127002 b --backlog 512

x25test call 127002 -s 127001 --calls 1000 --parallel 4 --sizes 1-1024 >/tmp/ab.out 2>&1 &
ab=$!
x25test call 127001 -s 127002 --calls 1000 --parallel 4 --sizes 1-1024 >/tmp/ba.out 2>&1 &
ba=$!
wait "$ab" || fail "127001 -> 127002: $(cat /tmp/ab.out)"
wait "$ba" || fail "127002 -> 127001: $(cat /tmp/ba.out)"
grep -q "calls=1000 ok=1000 failed=0 mismatches=0" /tmp/ab.out || fail "$(cat /tmp/ab.out)"
grep -q "calls=1000 ok=1000 failed=0 mismatches=0" /tmp/ba.out || fail "$(cat /tmp/ba.out)"
note "a->b: $(tail -n 1 /tmp/ab.out)"
note "b->a: $(tail -n 1 /tmp/ba.out)"
expect_clean
assert_idle
stop_x25lo
echo "PASS"
