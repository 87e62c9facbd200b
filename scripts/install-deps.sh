#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs the Debian 12 packages x25lo needs to build, test and run its VM
# test bed, only those that are missing. Safe to run again: when everything is
# there it changes nothing and needs no network.
#
#   scripts/install-deps.sh
#
# The kernel packages (linux-headers-<abi>-amd64, linux-source-6.1) are not
# listed: vm/x25lo-vm prepare installs the ones matching the current kernel ABI.
set -euo pipefail

# The one list of packages. Keep each group's reason in its comment.
PACKAGES=(
	# build: compiler, Meson, and the daemon's libraries (JSON config,
	# HTTP metrics endpoint, capability dropping, non-blocking DNS for XOT
	# peers) plus cmocka for unit tests
	gcc meson ninja-build pkg-config libc6-dev
	libjansson-dev libmicrohttpd-dev libcmocka-dev libcap-ng-dev libc-ares-dev
	# VM test bed: qemu, the guest's userland, initramfs packing, kernel
	# image unpacking (xz/zstd) and the out-of-tree x25.ko build
	qemu-system-x86 busybox-static cpio kmod xz-utils zstd make bc binutils
	# tests: packet dissection (tshark), metrics format check (promtool),
	# and the lint suite's shellcheck over every shell script
	tshark prometheus shellcheck
	# man pages: scdoc turns man/*.scd into roff (meson -Dman, on by
	# default); the lint suite checks them with mandoc -Tlint and groff's
	# warnings through man-db's `man --warnings`
	scdoc mandoc man-db
	# systemd: sd_notify for Type=notify (libsystemd-dev, a build
	# dependency); the lint suite's systemd-analyze verify and security of
	# x25lo.service (systemd; not run as PID 1 for that), and /bin/kill of
	# its ExecReload=, which verify looks for (procps); test_service_sandbox
	# runs x25lo under the unit's system call filter (libseccomp-dev) and
	# lists its failed system calls (strace)
	libsystemd-dev systemd procps libseccomp-dev strace
	# the Debian package and its test (systemd_deb in the vm suite):
	# dpkg-buildpackage with debhelper (fakeroot for dpkg-deb's file
	# owners), lintian on the result, and x25lo-vm's Debian guest, whose
	# root file system mmdebstrap builds from Debian's archive and mke2fs
	# (e2fsprogs) turns into a disk image
	dpkg-dev debhelper fakeroot lintian mmdebstrap e2fsprogs
	# fuzzing: make check runs each libFuzzer target briefly (suite fuzz in
	# build-fuzz), and make fuzz longer: clang and its libFuzzer and
	# sanitizer runtimes (tests/fuzz/README.md)
	clang libclang-rt-14-dev
)

if (($# > 0)); then
	echo "usage: $0 (no arguments; clang for the fuzz targets is always installed now)" >&2
	exit 2
fi

if [[ $(id -u) != 0 ]]; then
	echo "install-deps: must run as root (it installs Debian packages): sudo $0" >&2
	exit 1
fi
if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
	echo "install-deps: this needs a Debian system with dpkg and apt (Debian 12)" >&2
	exit 1
fi

missing=()
for package in "${PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
	[[ $status == installed ]] || missing+=("$package")
done

if ((${#missing[@]} == 0)); then
	echo "install-deps: all ${#PACKAGES[@]} packages are installed"
	exit 0
fi

echo "install-deps: installing ${missing[*]}"
# Nothing may prompt: CI has no stdin (tshark asks whether non-root users may
# capture; the default "no" is what we want).
export DEBIAN_FRONTEND=noninteractive
apt-get update -q || {
	echo "install-deps: apt-get update failed; check the network and /etc/apt/sources.list" >&2
	exit 1
}
apt-get install -y -q --no-install-recommends "${missing[@]}" || {
	echo "install-deps: apt-get install failed for: ${missing[*]} (see apt's message above)" >&2
	exit 1
}
echo "install-deps: done"
