#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# demo-xot.sh BUILD_DIR [x25stress options] - XOT between two sites (make demo-xot).
#
# Boots two X.25 VMs joined by a virtual link (vm/x25lo-vm pair): site a and site b, each
# with its own x25lo and X.121 addresses, and IPv6 addresses from a private prefix on the
# link. A program on site a calls a listener on site b over XOT (RFC 1613), then x25stress
# loads the path for 15 s (tests/vm/demo_xot_guest.sh does each guest's part). Site a's
# output streams live, site b's follows. Options go to site a's x25stress sender after the
# demo's own, e.g. `make demo-xot DEMO_XOT_ARGS="-T 10"`.
# Exit status: 0 when both sites passed (data verified, no mismatch, no failed call), the
# failing site's status otherwise (124 if a VM timed out).
set -eu

REPO=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -lt 1 ]; then
	echo "usage: scripts/demo-xot.sh BUILD_DIR [x25stress options, e.g. -T 10]" >&2
	exit 2
fi
build=$1
shift
for program in src/x25lo tools/x25stress/x25stress tests/vm/x25test; do
	if [ ! -f "$build/$program" ] || [ ! -x "$build/$program" ]; then
		echo "demo-xot: $build/$program is missing; build the project first (make build)" >&2
		exit 2
	fi
done

# Two emulated (TCG) guests share the CPU with each other and with whatever else runs:
# boot, start-up and the stress run take a few minutes at worst.
timeout=${DEMO_TIMEOUT:-600}
echo "demo-xot: booting site a and site b, two X.25 VMs joined by a virtual link (timeout ${timeout}s)"
# The speed depends on what else the machine runs: say how busy it was.
echo "demo-xot: host: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min)"
start=$(date +%s)
status=0
"$REPO/vm/x25lo-vm" pair --build "$build" --timeout "$timeout" \
	--add "$REPO/tests/vm:/x25lo/tests" -- sh /x25lo/tests/demo_xot_guest.sh "$@" || status=$?
echo
echo "demo-xot: host load average afterwards: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$status" = 0 ]; then
	echo "demo-xot: PASSED in $(($(date +%s) - start)) s (both sites)"
else
	echo "demo-xot: FAILED (status $status) after $(($(date +%s) - start)) s"
fi
exit "$status"
