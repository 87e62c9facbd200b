# SPDX-License-Identifier: GPL-2.0-or-later
# SIGHUP adds a route while a call runs: the new address answers and the running call is
# intact. `ip link set tunlb1 down; ip link set tunlb1 up` clears the peer of each call on
# it, and new calls work again.
# shellcheck source=lib.sh
. /x25lo/tests/lib.sh

write_config '"127001","127002"'
start_x25lo 2
start_listener 127002 srv --print-call
start_listener 127003 srv3

x25test call 127002 -s 127001 --sizes 16 --hold --ready-file /tmp/held </dev/null >/tmp/held.out 2>&1 &
held=$!
x25test wait-file /tmp/held --timeout 10 >/dev/null || fail "the held call did not connect: $(cat /tmp/held.out)"

x25test call 127003 -s 127001 --expect-error ENETUNREACH >/dev/null || fail "127003 should not be routed yet"
write_config '"127001","127002","127003"'
kill -HUP "$X25LO_PID"
wait_for "tunlb2 to come up after SIGHUP" 100 log_has "tunlb2: link operational"
log_has "Configuration reloaded from $X25LO_CONFIG" || fail "no reload log line"
out=$(x25test call 127003 -s 127001 --sizes 16,1000) || fail "the new address does not answer: $out"
note "new route answers: $out"
kill -0 "$held" || fail "the running call died during the reload: $(cat /tmp/held.out)"

# The held call is intact: more traffic on it works (a second call proves the relay too).
out=$(x25test call 127002 -s 127001 --sizes 64) || fail "call on an old route after reload: $out"

# The call left the kernel on tunlb1 (routed for 127002) and was injected into tunlb0 (the
# TUN of the calling address). Taking tunlb0 down kills the listener's socket in the kernel;
# x25lo must clear the caller's side on tunlb1 with cause 0x09.
ip link set tunlb0 down
ip link set tunlb0 up
wait "$held" && fail "the held call survived its peer's TUN going down"
note "held call ended with: $(tail -n 2 /tmp/held.out | tr '\n' ' ')"
grep -q "cause=0x09" /tmp/held.out || fail "the caller should see cause 0x09: $(cat /tmp/held.out)"
wait_for "the listener to see its socket killed: $(cat /tmp/srv.out)" 50 grep -Eq "^end 1 .*reason=(ENETUNREACH|ENOTCONN)" /tmp/srv.out
wait_for "tunlb0 to come back" 100 sh -c "[ \$(grep -cF 'tunlb0: link operational' $X25LO_LOG) -ge 2 ]"
grep -q "127001000000000  6       tunlb0" /proc/net/x25/route || fail "route not restored: $(cat /proc/net/x25/route)"
out=$(x25test call 127002 -s 127001 --sizes 16) || fail "call after down/up: $out"
note "calls work after down/up: $out"

expect_clean
assert_idle
stop_x25lo
echo "PASS"
