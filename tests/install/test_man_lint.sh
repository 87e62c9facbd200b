#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# test_man_lint.sh PAGE...: lints the man pages meson built from man/*.scd. Each page must
#  - have every @NAME@ of its source replaced (configure_file in man/meson.build);
#  - draw no message from `mandoc -Tlint -W warning` (Debian package mandoc) but one class:
#    "skipping paragraph macro". scdoc writes a .PP after every .SH and .SS and around
#    indented blocks; mandoc (and groff) drop a .PP with nothing to separate, so the output
#    is the same with or without it, and scdoc gives no way to avoid them;
#  - draw no warning from groff, as `man --warnings -l` renders it (Debian package man-db),
#    at 80 columns.
# Exit 77 (skipped) when mandoc is not installed (scripts/install-deps.sh installs it).
set -u
if ! command -v mandoc >/dev/null 2>&1; then
	echo "mandoc: not installed (Debian package mandoc; scripts/install-deps.sh installs it): skipped"
	exit 77
fi
failures=0
for page; do
	name=${page##*/}
	if grep -n '@[A-Z_][A-Z_]*@' "$page"; then
		echo "FAIL: $name: @NAME@ left unreplaced (see man/meson.build's man_conf)"
		failures=$((failures + 1))
	fi
	out=$(mandoc -Tlint -W warning "$page" 2>&1 | grep -v 'WARNING: skipping paragraph macro')
	if [ -n "$out" ]; then
		printf 'FAIL: %s: mandoc -Tlint:\n%s\n' "$name" "$out"
		failures=$((failures + 1))
	fi
	if command -v man >/dev/null 2>&1; then
		out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$page" 2>&1 >/dev/null)
		if [ -n "$out" ]; then
			printf 'FAIL: %s: man --warnings:\n%s\n' "$name" "$out"
			failures=$((failures + 1))
		fi
	fi
	echo "checked: $name"
done
[ "$failures" -eq 0 ]
