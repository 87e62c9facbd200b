#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# systemd_deb (suite vm): x25lo's Debian package under systemd, where users run it.
#
#   tests/vm/host_systemd_deb.sh BUILD_DIR
#
# 1. Builds the packages (scripts/build-deb.sh --nocheck: the unit tests run in their own
#    suite) into BUILD_DIR/deb; lintian must find no error or warning. X25LO_DEB=FILE takes
#    that .deb instead and skips the build.
# 2. Boots x25lo-vm's Debian guest (systemd) with the package's run-time dependencies in its
#    root file system (its Depends, first alternatives), since the guest has no network, and
#    runs tests/vm/systemd_deb_guest.sh there: dpkg -i, systemctl start/reload/stop, calls,
#    the journal, call records, dpkg --purge (the list of checks is at its top).
# The first run on a machine builds the guest's root file system with mmdebstrap (minutes,
# network, root); later runs find it in the cache. Prints how long each step took.
set -euo pipefail

SOURCE_DIR=$(dirname "$(dirname "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")")")
if (($# != 1)); then
	echo "usage: $0 BUILD_DIR" >&2
	exit 2
fi
build=$(readlink -f "$1")
x25test=$build/tests/vm/x25test
[[ -x $x25test ]] || { echo "FAIL: $x25test is not built"; exit 1; }

start=$SECONDS
if [[ -n ${X25LO_DEB:-} ]]; then
	deb=$X25LO_DEB
	[[ -f $deb ]] || { echo "FAIL: X25LO_DEB=$deb does not exist"; exit 1; }
else
	for cmd in dpkg-buildpackage dh lintian; do
		if ! command -v "$cmd" >/dev/null 2>&1; then
			echo "SKIP: $cmd is missing (dpkg-dev, debhelper, lintian: scripts/install-deps.sh)"
			exit 77
		fi
	done
	deb=$("$SOURCE_DIR/scripts/build-deb.sh" --nocheck "$build/deb" | tee /dev/stderr | tail -n 1)
	echo "# the packages were built and checked with lintian in $((SECONDS - start)) s"
fi

# Depends: "a (>= 1), b | c, d" -> a b d
packages=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/[[:space:]]//g' | grep . | paste -sd, -)
echo "# the guest gets the package's dependencies: $packages"

vm_start=$SECONDS
status=0
"$SOURCE_DIR/vm/x25lo-vm" debian-run --timeout 600 --debian-packages "$packages" \
	--add "$deb:/x25lo/x25lo.deb" --add "$x25test" --add "$SOURCE_DIR/tests/vm:/x25lo/tests" \
	-- sh /x25lo/tests/systemd_deb_guest.sh || status=$?
echo "# the Debian guest's run took $((SECONDS - vm_start)) s (boot included), the whole test $((SECONDS - start)) s"
exit "$status"
