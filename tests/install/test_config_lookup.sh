#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# test_config_lookup.sh X25LO SYSTEM_CONFIG: the config x25lo reads when none is named
# (src/main.c, default_config_path): config.json in the working directory if it is there,
# else SYSTEM_CONFIG, else an error naming both (exit 2); -config FILE and a positional FILE
# win over both. X25LO is built with SYSTEM_CONFIG as its <sysconfdir>/x25lo/config.json
# (tests/install/meson.build), a path in the build directory this test may create and remove.
set -u
x25lo=$(readlink -f "$1")
system=$2
sysdir=$(dirname "$system")
cwd=$(mktemp -d)
trap 'rm -rf "$cwd" "$sysdir"' EXIT
# shellcheck source=check_lib.sh
. "$(dirname "$0")/check_lib.sh"

config() { # config FILE ADDRESS: a valid config with one route
	printf '{"tun-loopback": {"routes": ["%s"]}}\n' "$2" >"$1"
}

rm -rf "$sysdir"
cd "$cwd" || exit 1
check "-help names the system config" 0 "$system" "$x25lo" -help
check "neither file: exit 2, both named" 2 \
	"no config file: neither config.json in the working directory nor $system exists; pass -config FILE" \
	"$x25lo" -check

mkdir -p "$sysdir"
config "$system" 127011
check "only the system config: it is read" 0 'tunlb0 -> address 127011' "$x25lo" -check

config config.json 127022
check "both: the working directory's config.json wins" 0 'tunlb0 -> address 127022' "$x25lo" -check

config other.json 127033
check "-config FILE wins over both" 0 'tunlb0 -> address 127033' "$x25lo" -check -config other.json
check "a positional FILE wins over both" 0 'tunlb0 -> address 127033' "$x25lo" -check other.json
check "-config FILE that is missing is not replaced by a default, exit 2" 2 \
	'missing.json: No such file or directory' "$x25lo" -check -config missing.json

# A config.json that is there but unusable is reported, not passed over for the system file.
rm config.json
ln -s nowhere.json config.json
check "a dangling config.json link is taken and reported, exit 2" 2 \
	'config.json: No such file or directory' "$x25lo" -check
rm config.json
printf '{"tun-loopback": ' >config.json
check "a broken config.json is reported, not passed over, exit 2" 2 'config.json:1:' "$x25lo" -check

rm config.json
rm "$system"
mkdir "$system"
check "a directory at the system path is taken and reported, exit 2" 2 "$system" "$x25lo" -check

[ "$failures" -eq 0 ]
