#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# test_unit.sh UNIT X25LO INSTALLED_X25LO: lint x25lo.service as meson generated it.
#  - systemd-analyze verify: on a copy whose ExecStart= runs X25LO (this build's binary) in
#    place of INSTALLED_X25LO, which need not exist yet; man pages are not looked up (they
#    are installed with x25lo, not before). Any message at all fails the test.
#  - systemd-analyze security --offline=yes: the overall exposure must stay below 2.0.
# Neither needs systemd running (PID 1 may be anything: a container, a chroot). Exit 77
# (skipped) when systemd-analyze is not installed.
set -u
unit=$1 x25lo=$(readlink -f "$2") installed=$3
max_exposure=19 # tenths: systemd-analyze's --threshold counts 0..100

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "systemd-analyze is not installed (Debian: systemd): skipping"
	exit 77
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
failures=0

grep -q "^ExecStart=$installed " "$unit" || {
	echo "FAIL: $unit does not start $installed"
	exit 1
}
sed "s|^ExecStart=$installed |ExecStart=$x25lo |" "$unit" >"$dir/x25lo.service"

# verify wants to write nothing, but it looks for a runtime directory: give it one of its own.
export XDG_RUNTIME_DIR="$dir"
systemd-analyze verify --man=no "$dir/x25lo.service" >"$dir/verify.out" 2>&1
status=$?
if [ "$status" -ne 0 ] || [ -s "$dir/verify.out" ]; then
	echo "FAIL: systemd-analyze verify (status $status):"
	sed 's/^/    /' "$dir/verify.out"
	failures=$((failures + 1))
else
	echo "ok: systemd-analyze verify $(systemd-analyze --version | head -n 1): no message"
fi

systemd-analyze security --offline=yes --no-pager --threshold="$max_exposure" "$dir/x25lo.service" \
	>"$dir/security.out" 2>&1
status=$?
exposure=$(sed -n 's/.*Overall exposure level for x25lo.service: \([0-9.]*\).*/\1/p' "$dir/security.out")
if [ "$status" -ne 0 ] || [ -z "$exposure" ]; then
	echo "FAIL: systemd-analyze security: exposure ${exposure:-unknown}, must be at most $max_exposure/10 (status $status):"
	grep -F '✗' "$dir/security.out" | sed 's/^/    /'
	tail -n 1 "$dir/security.out" | sed 's/^/    /'
	failures=$((failures + 1))
else
	echo "ok: systemd-analyze security --offline: exposure $exposure; what is left:"
	grep -F '✗' "$dir/security.out" | sed 's/  */ /g; s/^/    /'
fi
[ "$failures" -eq 0 ]
