# SPDX-License-Identifier: GPL-2.0-or-later
# check_lib.sh - sourced by the tests of tests/install. check DESCRIPTION STATUS PATTERN
# COMMAND... runs COMMAND and passes when it exits with STATUS and its output (standard output
# and error together) matches PATTERN (grep -E); $failures counts the checks that failed.
# Safe under set -e.
failures=0

check() {
	desc=$1 want=$2 pattern=$3
	shift 3
	out=$("$@" 2>&1) && got=0 || got=$?
	if [ "$got" -ne "$want" ] || ! printf '%s\n' "$out" | grep -qE -- "$pattern"; then
		echo "FAIL: $desc: status $got (want $want), output:"
		printf '%s\n' "$out" | sed 's/^/    /'
		failures=$((failures + 1))
	else
		echo "ok: $desc"
	fi
}
