#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# test_man_options.sh X25LO X25STRESS X25LO_VM MAN_SOURCE_DIR: the man pages name what the
# programs offer. Every option of `x25lo -help`, every option of `x25stress --help`, every
# command and option of `x25lo-vm --help` must appear in bold (*-name*) in its page's scdoc
# source, and every key `x25lo -check` lists in x25lo-config.5.scd (*key*). A new option or
# key fails this test until its man page describes it.
set -u
x25lo=$1
x25stress=$2
x25lo_vm=$3
man=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

# expect_in PAGE WHAT NAME...: each NAME appears as *NAME* in man/PAGE.scd.
expect_in() {
	page=$1 what=$2
	shift 2
	[ $# -gt 0 ] || { echo "FAIL: found no $what to look for (has the help text changed shape?)"; failures=$((failures + 1)); return; }
	missing=""
	for name; do
		grep -qF -- "*$name*" "$man/$page.scd" || missing="$missing $name"
	done
	if [ -n "$missing" ]; then
		echo "FAIL: man/$page.scd does not describe these $what:$missing"
		failures=$((failures + 1))
	else
		echo "ok: man/$page.scd names all $# $what"
	fi
}

# The option lines of a help text ("  -x, --long ARG   text"): the names before the text.
help_options() {
	sed -n 's/^  \(-[^ ].*\)$/\1/p' | sed 's/   .*//' | tr ',' '\n' | awk '{print $1}' | grep '^-' | sort -u
}

"$x25lo" -help >"$tmp/x25lo" 2>&1 || { echo "FAIL: $x25lo -help"; exit 1; }
# shellcheck disable=SC2046 # one word per option
expect_in x25lo.8 "x25lo options" $(help_options <"$tmp/x25lo")

"$x25stress" --help >"$tmp/x25stress" 2>&1 || { echo "FAIL: $x25stress --help"; exit 1; }
# shellcheck disable=SC2046
expect_in x25stress.1 "x25stress options" $(help_options <"$tmp/x25stress")

"$x25lo_vm" --help >"$tmp/vm" 2>&1 || { echo "FAIL: $x25lo_vm --help"; exit 1; }
# shellcheck disable=SC2046
expect_in x25lo-vm.1 "x25lo-vm options" $(help_options <"$tmp/vm")
# Commands: the "  name   text" lines of the Commands: paragraph.
# shellcheck disable=SC2046
expect_in x25lo-vm.1 "x25lo-vm commands" \
	$(sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\)  .*/\1/p' "$tmp/vm")

printf '{"tun-loopback": {"routes": ["127001"]}}' >"$tmp/config.json"
"$x25lo" -check "$tmp/config.json" >"$tmp/check" 2>&1 || { echo "FAIL: $x25lo -check"; cat "$tmp/check"; exit 1; }
# shellcheck disable=SC2046
expect_in x25lo-config.5 "config keys" \
	$(sed -n '/^Effective "tun-loopback" keys:/,$s/^  \([a-z][a-z_-]*\) .*/\1/p' "$tmp/check")

[ "$failures" -eq 0 ]
