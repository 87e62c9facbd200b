# SPDX-License-Identifier: GPL-2.0-or-later
# Start-up refusals (x25_forward=1, a route owned by another device), SIGTERM with calls up
# (both sides cleared, routes and TUNs removed, exit 0), and a route removed by reload (its
# TUN and route go, the peers of its calls are cleared, other calls continue).
# shellcheck source=lib.sh
. /x25lo/tests/lib.sh

write_config '"127001","127002"'

# net.x25.x25_forward=1 can loop calls: refuse, and say so.
echo 1 >/proc/sys/net/x25/x25_forward
x25lo -config "$X25LO_CONFIG" >/tmp/refuse.log 2>&1 && fail "x25lo started with x25_forward=1"
grep -q "net.x25.x25_forward is 1" /tmp/refuse.log || fail "no reason given: $(cat /tmp/refuse.log)"
echo 0 >/proc/sys/net/x25/x25_forward
note "refused with x25_forward=1: $(cat /tmp/refuse.log)"

# Another x25lo (another device prefix) owns 127002's route: refuse to shadow it.
cat >/tmp/other.json <<'JSON'
{"tun-loopback": {"routes": ["127002"], "device_prefix": "other", "lci_start": 3072, "lci_end": 4095}}
JSON
x25lo -config /tmp/other.json >/tmp/other.log 2>&1 &
other=$!
wait_for "the other relay" 100 grep -q "other0: link operational" /tmp/other.log
x25lo -config "$X25LO_CONFIG" >/tmp/refuse.log 2>&1 && fail "x25lo started although 127002 is routed elsewhere"
grep -q "route for 127002 already exists on other0" /tmp/refuse.log || fail "no reason given: $(cat /tmp/refuse.log)"
note "refused a taken route: $(cat /tmp/refuse.log)"
[ -z "$(tunlb_devices)" ] || fail "the refused start left TUNs behind"
kill -TERM "$other"
wait "$other" || fail "the other relay did not exit cleanly"

# Route removal by reload while calls run on it and on another route.
write_config '"127001","127002","127003"'
start_x25lo 3
start_listener 127002 srv2 --print-call
start_listener 127003 srv3 --print-call
# 127001 -> 127003 leaves on tunlb2 and is injected into tunlb0: removing 127003 kills the
# caller's socket (its TUN goes), so x25lo must clear the listener's side on tunlb0.
x25test call 127003 -s 127001 --sizes 16 --hold --ready-file /tmp/h3 </dev/null >/tmp/h3.out 2>&1 &
h3=$!
x25test call 127002 -s 127001 --sizes 16 --hold --ready-file /tmp/h2 </dev/null >/tmp/h2.out 2>&1 &
h2=$!
x25test wait-file /tmp/h3 --timeout 10 >/dev/null || fail "call to 127003: $(cat /tmp/h3.out)"
x25test wait-file /tmp/h2 --timeout 10 >/dev/null || fail "call to 127002: $(cat /tmp/h2.out)"
write_config '"127001","127002"'
kill -HUP "$X25LO_PID"
wait_for "tunlb2 to be removed" 100 log_has "tunlb2: removing"
wait "$h3" && fail "the call on the removed route survived"
wait_for "the 127003 listener to see its call cleared with 0x09" 50 grep -q "^end .*cause=0x09" /tmp/srv3.out
grep -q "tunlb2" /proc/net/x25/route && fail "route of tunlb2 still there: $(cat /proc/net/x25/route)"
[ -e /sys/class/net/tunlb2 ] && fail "tunlb2 still exists"
x25test call 127003 -s 127001 --expect-error ENETUNREACH >/dev/null || fail "127003 is still routed"
kill -0 "$h2" || fail "the call on a kept route died: $(cat /tmp/h2.out)"
note "removed route: TUN and route gone, its call cleared, the other call intact"

# SIGTERM with a call up: both sides see a clear, x25lo removes everything and exits 0.
kill -TERM "$X25LO_PID"
wait "$X25LO_PID" || fail "x25lo did not exit 0 on SIGTERM"
wait "$h2" && fail "the held call survived SIGTERM"
grep -q "cause=0x09" /tmp/h2.out || fail "the caller should see cause 0x09: $(cat /tmp/h2.out)"
wait_for "the 127002 listener to see cause 0x09" 50 grep -q "^end .*cause=0x09" /tmp/srv2.out
[ -z "$(tunlb_devices)" ] || fail "TUNs left after SIGTERM: $(ls /sys/class/net)"
grep -q tunlb /proc/net/x25/route && fail "routes left after SIGTERM: $(cat /proc/net/x25/route)"
note "SIGTERM cleared both sides and removed TUNs and routes"
expect_clean
echo "PASS"
