#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The project's test run (make check): three `meson test` runs,
#   meson test -C ASAN_BUILD_DIR --suite unit
#   meson test -C FUZZ_BUILD_DIR --suite fuzz --no-rebuild
#   meson test -C BUILD_DIR --suite vm --suite lint
# the first for the host unit tests and the fuzz corpus replay under ASan+UBSan, the
# second fuzzes each libFuzzer target for fuzz_check_seconds (25 s; the Makefile has built
# only the targets there, as clang is strict about the rest), the third for every VM test
# in the X.25 guest and the lint tests (shellcheck...), after `vm/x25lo-vm prepare` (on a
# fresh machine: kernel download and the x25.ko build).
#
#   scripts/check.sh BUILD_DIR ASAN_BUILD_DIR FUZZ_BUILD_DIR
#
# Ends with one line "N passed, N failed" (all runs; skipped tests count in neither)
# and exits non-zero when anything failed or a run could not happen.
set -uo pipefail

REPO_DIR=$(dirname "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")")

if (($# != 3)); then
	echo "usage: $0 BUILD_DIR ASAN_BUILD_DIR FUZZ_BUILD_DIR" >&2
	exit 2
fi
build=$1
asan_build=$2
fuzz_build=$3
passed=0
failed=0

# meson_test BUILD_DIR [--no-rebuild] SUITE...: one meson test run, its results added to the totals.
# They are read from meson's testlog.json, one line per test with its "result" (the
# test's own output inside is escaped, so it cannot fake one). A run that leaves no
# log (meson could not start, the rebuild failed) or fails without a failed test
# counts as one failure.
meson_test() {
	local dir=$1 log=$1/meson-logs/testlog.json suite status tests ok skipped bad
	local -a args=(--print-errorlogs)
	shift
	if [[ ${1:-} == --no-rebuild ]]; then
		args+=(--no-rebuild)
		shift
	fi
	for suite; do
		args+=(--suite "$suite")
	done
	echo "== meson test -C $dir ${args[*]}"
	rm -f "$log"
	meson test -C "$dir" "${args[@]}"
	status=$?
	if [[ ! -s $log ]]; then
		echo "check: meson test -C $dir ran no test (exit status $status)" >&2
		failed=$((failed + 1))
		return
	fi
	tests=$(grep -c . "$log")
	ok=$(grep -c '"result": "OK"' "$log")
	skipped=$(grep -cE '"result": "(SKIP|EXPECTEDFAIL)"' "$log")
	bad=$((tests - ok - skipped))
	if ((status != 0 && bad == 0)); then
		echo "check: meson test -C $dir failed (exit status $status) without a failed test" >&2
		bad=1
	fi
	passed=$((passed + ok))
	failed=$((failed + bad))
}

meson_test "$asan_build" unit
meson_test "$fuzz_build" --no-rebuild fuzz

echo "== vm/x25lo-vm prepare"
if "$REPO_DIR/vm/x25lo-vm" prepare; then
	meson_test "$build" vm lint
else
	echo "check: the VM test bed could not be prepared (see above); VM tests not run" >&2
	failed=$((failed + 1))
	meson_test "$build" lint
fi

echo "$passed passed, $failed failed"
((failed == 0))
