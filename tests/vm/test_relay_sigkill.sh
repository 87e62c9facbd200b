# SPDX-License-Identifier: GPL-2.0-or-later
# SIGKILL x25lo during calls: both applications get an error within 1 s (closing a
# non-persistent TUN unregisters it and the kernel kills its sockets); a restarted x25lo
# serves new calls.
# shellcheck source=lib.sh
. /x25lo/tests/lib.sh

write_config '"127001","127002"'
start_x25lo 2
start_listener 127002 srv --print-call

x25test call 127002 -s 127001 --sizes 16 --hold --ready-file /tmp/held </dev/null >/tmp/held.out 2>&1 &
caller=$!
x25test wait-file /tmp/held --timeout 10 >/dev/null || fail "the held call did not connect: $(cat /tmp/held.out)"

before=$(uptime_ms)
kill -KILL "$X25LO_PID"
wait "$X25LO_PID" 2>/dev/null
# The caller holds the call and must fail (a clear or error while holding is a failure).
wait "$caller" && fail "the caller did not notice x25lo's death"
after=$(uptime_ms)
ms=$((after - before))
note "caller got an error ${ms} ms after SIGKILL: $(tail -n 1 /tmp/held.out)"
[ "$ms" -le 1000 ] || fail "the caller took ${ms} ms to get an error (limit 1000 ms)"
wait_for "the listener to see its call end" 10 grep -Eq "^end 1 .*reason=(ENETUNREACH|ENOTCONN)" /tmp/srv.out
note "listener saw its call end: $(grep '^end' /tmp/srv.out)"

# No TUN and no route survive the process.
[ -z "$(tunlb_devices)" ] || fail "TUNs survived x25lo: $(ls /sys/class/net)"
grep -q tunlb /proc/net/x25/route && fail "routes survived x25lo: $(cat /proc/net/x25/route)"

start_x25lo 2
out=$(x25test call 127002 -s 127001 --sizes 16,4096) || fail "call after restart: $out"
note "restarted x25lo serves calls: $out"
expect_clean
assert_idle
stop_x25lo
echo "PASS"
