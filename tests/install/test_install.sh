#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# test_install.sh BUILD_DIR EXPECTED_LIST NAME=VALUE...: `meson install` of BUILD_DIR (already
# built) into a scratch DESTDIR, then checks that
#  - the files and links there are exactly those of EXPECTED_LIST (installed-files.txt, ${NAME}
#    replaced by VALUE) plus every file the installed x25lo-vm reads next to itself: nothing
#    missing, nothing installed by accident;
#  - <bindir>/x25lo-vm is a relative link that reaches the installed script;
#  - the installed x25lo, x25stress and x25lo-vm run;
#  - the installed x25lo takes config.json from the working directory when it is there, and
#    otherwise names both paths (the system config's, system_config=, compiled in) when the
#    host has no system config (the full order is config_lookup's test).
# The NAMEs: bindir, sbindir, datadir, mandir, sysconfdir, systemdsystemunitdir, sysusersdir
# (absolute; the last two 'no' when nothing goes there), system_config, and man=yes|no
# (whether the man pages are built).
set -euo pipefail

build=$1 expected=$2
shift 2
declare -A var=()
for arg; do
	var[${arg%%=*}]=${arg#*=}
done
work=$(mktemp -d "${TMPDIR:-/tmp}/x25lo-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
dest=$work/root
# shellcheck source=check_lib.sh
. "$(dirname "$0")/check_lib.sh"

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

if ! meson install -C "$build" --no-rebuild --destdir "$dest" >"$work/install.log" 2>&1; then
	cat "$work/install.log"
	echo "FAIL: meson install -C $build --destdir $dest failed"
	exit 1
fi

# The expected list, its ${NAME}s replaced; nothing for a line with a directory 'no'.
expand() {
	local line=$1 name
	while [[ $line =~ \$\{([a-z_]+)\} ]]; do
		name=${BASH_REMATCH[1]}
		[[ -n ${var[$name]:-} ]] || { echo "test_install.sh: $expected uses \${$name}, which tests/install/meson.build does not pass" >&2; exit 2; }
		[[ ${var[$name]} != no ]] || return 0
		line=${line//"\${$name}"/${var[$name]}}
	done
	printf '%s\n' "$line"
}

want=()
while IFS= read -r line; do
	case $line in
	'' | '#'*) continue ;;
	'man: '*)
		[[ ${var[man]:-} == yes ]] || continue
		line=${line#man: } ;;
	esac
	line=$(expand "$line")
	[[ -z $line ]] || want+=("$line")
done <"$expected"

# x25lo-vm: a link in bindir to the script in the data directory, which reads its guest's
# files next to itself.
vm_link=$dest${var[bindir]}/x25lo-vm
vm_script=""
if [[ ! -L $vm_link ]]; then
	fail "${var[bindir]}/x25lo-vm is not a symbolic link"
elif [[ $(readlink "$vm_link") == /* ]]; then
	fail "${var[bindir]}/x25lo-vm links to an absolute path, $(readlink "$vm_link"); a relative link works under DESTDIR and in a package"
else
	vm_script=$(readlink -f "$vm_link")
	if [[ $vm_script != "$dest"/* || ! -f $vm_script ]]; then
		fail "${var[bindir]}/x25lo-vm -> $(readlink "$vm_link") does not reach a file inside the installation"
		vm_script=""
	fi
fi
if [[ -n $vm_script ]]; then
	vm_dir=${vm_script%/*}
	vm_dir=${vm_dir#"$dest"}
	# shellcheck disable=SC2016 # the pattern is the script's own text
	while IFS= read -r name; do
		want+=("$vm_dir/${name##*/}")
	done < <(grep -oE '\$\(dirname "\$SELF"\)/[A-Za-z0-9._-]+' "$vm_script" | sort -u)
fi

printf '%s\n' "${want[@]}" | LC_ALL=C sort -u >"$work/want"
(cd "$dest" && find . ! -type d | sed 's|^\.||' | LC_ALL=C sort) >"$work/got"
missing=$(LC_ALL=C comm -23 "$work/want" "$work/got")
extra=$(LC_ALL=C comm -13 "$work/want" "$work/got")
[[ -z $missing ]] || fail "not installed, though expected ($expected):"$'\n'"$missing"
[[ -z $extra ]] || fail "installed, but not in $expected (install : false, or list it there):"$'\n'"$extra"
[[ -n $missing || -n $extra ]] || echo "ok: meson install put exactly the $(wc -l <"$work/got") expected files under DESTDIR"

# The installed programs run.
x25lo=$dest${var[sbindir]}/x25lo
check "installed x25lo -version" 0 '^x25lo [0-9]' "$x25lo" -version
check "installed x25stress --version" 0 '[0-9]+\.[0-9]+' "$dest${var[bindir]}/x25stress" --version
check "installed x25lo-vm --help, through its link" 0 '^Usage: x25lo-vm' "$vm_link" --help

# Installed x25lo's default config: the working directory's config.json, else the system one.
mkdir "$work/cwd"
cd "$work/cwd"
system=${var[system_config]}
if [[ -e $system ]]; then
	echo "skip: this host has $system, so 'neither file' cannot be checked here (config_lookup checks it)"
else
	check "installed x25lo without a config names both paths, exit 2" 2 \
		"neither config.json in the working directory nor ${system//./\\.} exists" "$x25lo" -check
fi
printf '{"tun-loopback": {"routes": ["127041"]}}' >config.json
check "installed x25lo -check reads config.json in the working directory" 0 \
	'tunlb0 -> address 127041' "$x25lo" -check

((failures == 0))
