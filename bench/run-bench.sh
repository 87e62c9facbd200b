#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# run-bench.sh - host side: boot the X.25 VM once and run bench/run-bench-guest.sh in it,
# measuring bench/copyrelay and x25lo under the same loads. See bench/README.md.
#
# usage: bench/run-bench.sh [BUILD_DIR] [x25lo-vm run options...]
#   BUILD_DIR defaults to ./build (must contain x25lo, copyrelay and x25test).
#   Guest settings pass through the environment: BENCH_RELAYS, SHORT_CALLS, ARTICLE_CALLS, LONG_CALLS,
#   BENCH_REPEAT (see run-bench-guest.sh), e.g. BENCH_REPEAT=3 bench/run-bench.sh build --smp 2
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
build=${1:-$repo/build}
[ $# -gt 0 ] && shift

for prog in bench/copyrelay tests/vm/x25test; do
	[ -x "$build/$prog" ] || {
		echo "run-bench: $build/$prog is missing; build first (meson compile -C $build)" >&2
		exit 2
	}
done

exec "$repo/vm/x25lo-vm" run --build "$build" --add "$here:/x25lo/bench" --timeout 900 "$@" -- \
	env BENCH_RELAYS="${BENCH_RELAYS:-copyrelay x25lo x25lo-xot}" SHORT_CALLS="${SHORT_CALLS:-3000}" \
	ARTICLE_CALLS="${ARTICLE_CALLS:-2000}" LONG_CALLS="${LONG_CALLS:-100}" \
	BENCH_REPEAT="${BENCH_REPEAT:-1}" XOT_IN_SECONDS="${XOT_IN_SECONDS:-10}" \
	sh /x25lo/bench/run-bench-guest.sh
