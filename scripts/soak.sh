#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# soak.sh [--sanitize ASAN_BUILD_DIR] BUILD_DIR [soak_guest.sh options] - the soak (make soak).
#
# Boots one X.25 guest (1 vCPU) with BUILD_DIR's programs and runs tests/vm/soak_guest.sh in
# it: x25lo relays 127001 and 127002 with calls both ways (100,000 by default) while 127003
# is added and removed by 100 SIGHUP reloads, its TUN flaps 20 times, /varz, /metrics and
# /sessions are polled (100 ms between rounds) and the capture rotates; then every figure
# is printed and checked (docs/relay.md, "Soak"). Options after BUILD_DIR go to the guest
# script, e.g. `--calls 20000 --reloads 20 --flaps 4`.
#
# --sanitize ASAN_BUILD_DIR runs ASAN_BUILD_DIR's x25lo instead (meson setup ... \
# -Db_sanitize=address,undefined -Db_lundef=false), with its ASan and UBSan runtimes; the
# other programs stay BUILD_DIR's. Any sanitizer report fails the soak.
#
# The guest is emulated and shares the host's CPUs: at 20-100 calls a second 100,000 calls
# take 20 to 90 minutes. --duration (default 10800 s) bounds the run, the guest gets 600 s
# more. Exit status: the guest's (0 passed), 124 if the VM timed out, 2 for bad arguments.
set -eu

REPO=$(cd "$(dirname "$0")/.." && pwd)
usage() {
	echo "usage: scripts/soak.sh [--sanitize ASAN_BUILD_DIR] BUILD_DIR [--calls N] [--reloads N] [--flaps N] [--duration S]" >&2
	exit 2
}
asan_build=
if [ "${1:-}" = --sanitize ]; then
	[ $# -ge 2 ] || usage
	asan_build=$2
	shift 2
fi
[ $# -ge 1 ] || usage
build=$1
shift
[ -x "$build/src/x25lo" ] || { echo "soak: no $build/src/x25lo; build the project first (make build)" >&2 && exit 2; }

# --duration bounds the guest's run and sets the VM's timeout; the rest goes to the guest.
duration=10800
rest=
while [ $# -gt 0 ]; do
	case $1 in --duration | --calls | --reloads | --flaps) ;; *) usage ;; esac
	case ${2:-} in '' | *[!0-9]*) usage ;; esac
	if [ "$1" = --duration ]; then duration=$2; else rest="$rest $1 $2"; fi
	shift 2
done

guest_args=
extra=
if [ -n "$asan_build" ]; then
	if [ ! -x "$asan_build/src/x25lo" ]; then
		echo "soak: $asan_build/src/x25lo is missing; build it (make build-asan)" >&2
		exit 2
	fi
	if ! ldd "$asan_build/src/x25lo" | grep -q libasan; then
		echo "soak: $asan_build/src/x25lo is not built with ASan (meson setup $asan_build -Db_sanitize=address,undefined -Db_lundef=false)" >&2
		exit 2
	fi
	# x25lo-vm copies the program's shared libraries, libasan and libubsan included.
	extra="$asan_build/src/x25lo:/x25lo/sanitize/x25lo"
	guest_args="--x25lo /x25lo/sanitize/x25lo --sanitize"
fi

timeout=$((duration + 600))
echo "soak: booting the X.25 VM (timeout ${timeout}s)${asan_build:+ with the sanitizer build of x25lo from $asan_build}"
# shellcheck disable=SC2086 # guest_args and rest are word lists (or nothing)
exec "$REPO/vm/x25lo-vm" run --build "$build" --timeout "$timeout" \
	--add "$REPO/tests/vm:/x25lo/tests" ${extra:+--add "$extra"} \
	-- sh /x25lo/tests/soak_guest.sh --duration "$duration" $guest_args $rest
