# SPDX-License-Identifier: GPL-2.0-or-later
# A clear cause and diagnostic set by either side (SIOCX25SCAUSEDIAG) reach the other side.
# shellcheck source=lib.sh
. /x25lo/tests/lib.sh

write_config '"127001","127002"'
start_x25lo 2
start_listener 127002 srv --clear-causediag 0x42:0x39

# The listener clears after the first record: the caller must see 0x42/0x39.
out=$(x25test call 127002 -s 127001 --sizes 16 --expect-causediag 0x42:0x39 --timeout 10) ||
	fail "caller did not see the listener's cause/diag: $out"
note "listener's cause 0x42 diag 0x39 reached the caller"
# shellcheck disable=SC2154 # srv_PID is set by start_listener (eval in lib.sh)
kill "$srv_PID"; wait "$srv_PID"

# The caller clears with its own cause/diag: the listener must see it.
start_listener 127002 srv2 --print-call
out=$(x25test call 127002 -s 127001 --sizes 16 --set-causediag 0x13:0x25) || fail "call: $out"
wait_for "the listener to see the caller's clear" 50 grep -q "^end .*cause=0x13 diag=0x25" /tmp/srv2.out
note "caller's cause 0x13 diag 0x25 reached the listener"

expect_clean
assert_idle
stop_x25lo
echo "PASS"
