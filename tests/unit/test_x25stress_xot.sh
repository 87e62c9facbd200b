#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# test_x25stress_xot.sh X25STRESS: x25stress --xot against itself over loopback, no kernel
# X.25 needed (docs/x25stress.md, "XOT mode"). Both modulos, messages of several packets at
# -P 128; no mismatch, no failed call, and the two summaries agree. Then a sender whose peer
# is not listening: every call fails, counted, and --strict says so.
set -eu

x25stress=$1
work=$(mktemp -d /tmp/x25stress-xot.XXXXXX)
receiver=
cleanup() {
	if [ -n "$receiver" ]; then kill "$receiver" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	for f in "$work"/*; do
		[ -f "$f" ] || continue
		echo "--- $f" >&2
		cat "$f" >&2
	done
	exit 1
}

# value FILE NAME: the number after "NAME: " in a summary
value() {
	[ -f "$1" ] || fail "no file $1"
	sed -n "s/^$2: \([0-9]*\).*/\1/p" "$1"
}

expect() { # expect FILE NAME WANT
	got=$(value "$1" "$2")
	[ "$got" = "$3" ] || fail "$1: $2 is '$got', expected $3"
}

same() { # same FILE1 NAME1 FILE2 NAME2: both numbers equal and not 0
	a=$(value "$1" "$2")
	b=$(value "$3" "$4")
	if [ -z "$a" ] || [ "$a" != "$b" ] || [ "$a" = 0 ]; then
		fail "$1 $2 ($a) and $3 $4 ($b) should be equal and not 0"
	fi
}

# start_receiver NAME OPTIONS...: listen on a free port of 127.0.0.1; sets port
start_receiver() {
	out=$work/$1.out
	err=$work/$1.err
	shift
	"$x25stress" -r --xot 127.0.0.1:0 "$@" >"$out" 2>"$err" &
	receiver=$!
	tries=0
	while ! grep -q '^Receiver listening for X.25 calls' "$out"; do
		tries=$((tries + 1))
		[ "$tries" -lt 100 ] || fail "the receiver did not start listening"
		kill -0 "$receiver" 2>/dev/null || fail "the receiver exited"
		sleep 0.05
	done
	port=$(sed -n 's/.*(XOT on 127\.0\.0\.1:\([0-9]*\)).*/\1/p' "$out")
	[ -n "$port" ] || fail "no port in the receiver's first line"
}

stop_receiver() {
	kill -INT "$receiver"
	wait "$receiver" || fail "the receiver exited with status $?"
	receiver=
}

# run_case NAME WINDOW MAX_MESSAGE: sender and receiver with -W WINDOW -P 128
run_case() {
	name=$1
	start_receiver "$name-receiver" -W "$2" -P 128
	"$x25stress" --xot "127.0.0.1:$port" -N 4 -T 2 -n 0 -l "$3" --messages 3 -W "$2" \
		-P 128 --strict >"$work/$name-sender.out" 2>"$work/$name-sender.err" ||
		fail "$name: the sender exited with status $? (--strict: something failed)"
	stop_receiver
	s=$work/$name-sender.out
	r=$work/$name-receiver.out
	for counter in 'Calls Failed' 'Data Mismatches' 'Short Receives' 'Write Errors' \
		'Socket Errors' 'Setsockopt Errors'; do
		expect "$s" "$counter" 0
		expect "$r" "$counter" 0
	done
	expect "$r" 'Accept Errors' 0
	same "$s" 'Calls Made' "$r" 'Calls Received'
	same "$s" 'Packets Sent' "$s" 'Packets Received'
	same "$s" 'Bytes Sent' "$s" 'Bytes Received'
	same "$s" 'Packets Sent' "$r" 'Packets Received'
	same "$s" 'Packets Received' "$r" 'Packets Sent'
	same "$s" 'Bytes Sent' "$r" 'Bytes Received'
	same "$s" 'Bytes Received' "$r" 'Bytes Sent'
	# messages of up to -l bytes need several 128-byte packets: the average must show it
	bytes=$(value "$s" 'Bytes Sent')
	packets=$(value "$s" 'Packets Sent')
	[ $((bytes / packets)) -gt 256 ] || fail "$name: messages average under 3 packets"
	for f in "$s" "$r"; do
		grep -q "^Packet Size Negotiated (In):  Min: 128, Max: 128$" "$f" ||
			fail "$f: packet size not 128"
		grep -q "^Window Size Negotiated (Out): Min: $2, Max: $2$" "$f" ||
			fail "$f: window not $2"
	done
	echo "ok: $name: $(value "$s" 'Calls Made') calls, $packets messages, $bytes bytes"
}

run_case modulo-8 2 2000    # up to 16 packets a message, window 2
run_case modulo-128 100 20000 # up to 157 packets, window 100

# Nobody listening: the port of a receiver that has just stopped.
start_receiver gone
stop_receiver
status=0
"$x25stress" --xot "127.0.0.1:$port" -N 2 -T 1 -n 0 -b 100 --strict --json "$work/refused.json" \
	>"$work/refused.out" 2>"$work/refused.err" || status=$?
[ "$status" = 2 ] || fail "refused: exit status $status, expected 2 (--strict)"
made=$(value "$work/refused.out" 'Calls Made')
[ "$made" -gt 0 ] || fail "refused: no call was attempted"
expect "$work/refused.out" 'Calls Failed' "$made"
grep -q '"calls_connected": 0,' "$work/refused.json" || fail "refused: calls connected"
grep -q 'failed: Connection refused (XOT peer 127.0.0.1:' "$work/refused.err" ||
	fail "refused: no message says the connection was refused"
echo "ok: refused: $made calls, all failed"
