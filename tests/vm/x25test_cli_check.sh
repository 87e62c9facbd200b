#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# x25test_cli_check.sh X25TEST - host check (meson suite 'unit') of x25test's command line:
# documented exit codes for help, usage errors and timeouts. Needs no AF_X25.
x25test=$1
failures=0

expect() {
	want=$1
	shift
	"$x25test" "$@" >/dev/null 2>&1
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "FAIL: x25test $* exited $got, expected $want" >&2
		failures=$((failures + 1))
	fi
}

expect 0 -h
expect 2
expect 2 bogus
expect 2 call
expect 2 call 12a
expect 2 call 1234567890123456
expect 2 call '*'
expect 2 call 1 --sizes 5-3
expect 2 call 1 --sizes 65536
expect 2 call 1 --cud 0g
expect 2 call 1 --expect-error EWHATEVER
expect 2 call 1 --expect-causediag 13
expect 2 call 1 --calls 5 --hold
expect 2 listen 1 -P 13
expect 2 listen 1 -W 128
expect 2 listen
expect 2 wait-file
expect 4 wait-file /nonexistent/x25test --timeout 0.2
expect 0 wait-file "$x25test" --timeout 0.2

"$x25test" -h | grep -q "Exit status" || {
	echo "FAIL: x25test -h does not document the exit status" >&2
	failures=$((failures + 1))
}
[ "$failures" -eq 0 ] && echo "x25test command line: all checks passed"
exit "$failures"
