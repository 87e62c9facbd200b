# SPDX-License-Identifier: GPL-2.0-or-later
# 2,000 sequential calls and 200 concurrent calls: afterwards only listeners are left in
# /proc/net/x25/socket, and x25lo holds no calls and no LCIs.
# x25lo-vm: --timeout 600
# shellcheck source=lib.sh
. /x25lo/tests/lib.sh

write_config '"127001","127002"'
start_x25lo 2
start_listener 127002 srv --backlog 512

out=$(x25test call 127002 -s 127001 --calls 2000 --parallel 1 --sizes 64) || fail "2000 sequential calls: $out"
echo "$out" | grep -q "calls=2000 ok=2000 failed=0 mismatches=0" || fail "sequential: $out"
note "sequential: $out"

# 200 callers that each stay connected until all 200 are up at the same time.
i=1
pids=""
while [ $i -le 200 ]; do
	x25test call 127002 -s 127001 --sizes 64 --hold --ready-file /tmp/hold.$i </dev/null >/tmp/hold.$i.out 2>&1 &
	pids="$pids $!"
	i=$((i + 1))
done
# shellcheck disable=SC2016 # expanded by the sh -c, at each try
wait_for "200 concurrent calls to be connected" 600 sh -c '[ $(ls /tmp/hold.* 2>/dev/null | grep -vc out) -ge 200 ]'
connected=$(awk 'NR > 1 && $5 == 3' /proc/net/x25/socket | wc -l)
note "200 calls connected at once ($connected sockets in state 3)"
[ "$connected" -ge 400 ] || fail "expected 400 connected sockets (both ends of 200 calls), saw $connected"
for p in $pids; do
	kill -TERM "$p"
done
for p in $pids; do
	wait "$p" || fail "a concurrent call failed: $(cat /tmp/hold.*.out | grep -v '^ok' | head -5)"
done
note "all 200 concurrent calls ended cleanly"

expect_clean 15
assert_idle
stop_x25lo
echo "PASS"
