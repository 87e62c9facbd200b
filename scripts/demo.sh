#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# demo.sh BUILD_DIR [x25stress options] - the article's stress test, reproduced in the X.25 VM.
#
# Boots the VM test bed (vm/x25lo-vm) with BUILD_DIR's programs, starts x25lo with the
# article's configuration, the echo receiver and the 32-thread sender, and prints the stress
# summary, x25lo's counters and the leak check (tests/vm/demo_guest.sh does the guest part).
# Options are passed to the sender after the article's, e.g. `make demo DEMO_ARGS="-T 5"`.
# Exit status: the guest's (0 = no failed call, no mismatch, no leak), 124 if the VM timed out.
set -eu

REPO=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -lt 1 ]; then
	echo "usage: scripts/demo.sh BUILD_DIR [x25stress options, e.g. -T 5]" >&2
	exit 2
fi
build=$1
shift
for program in src/x25lo tools/x25stress/x25stress; do
	if [ ! -f "$build/$program" ] || [ ! -x "$build/$program" ]; then
		echo "demo: $build/$program is missing; build the project first (make build)" >&2
		exit 2
	fi
done

# The run time (-T, default 20 s) plus boot, start-up, the leak check's wait (up to 12 s)
# and shutdown; the VM is emulated (TCG) and may share the CPU, so be generous.
run_time=20
prev=
for arg in "$@"; do
	if [ "$prev" = -T ]; then run_time=$arg; fi
	prev=$arg
done
case $run_time in '' | *[!0-9]*) run_time=20 ;; esac
timeout=${DEMO_TIMEOUT:-$((run_time * 2 + 600))}

echo "demo: booting the X.25 VM (timeout ${timeout}s); the sender runs for ${run_time}s"
exec "$REPO/vm/x25lo-vm" run --build "$build" --timeout "$timeout" \
	--add "$REPO/tests/vm:/x25lo/tests" -- sh /x25lo/tests/demo_guest.sh "$@"
