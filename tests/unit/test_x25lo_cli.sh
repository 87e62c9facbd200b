#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# test_x25lo_cli.sh X25LO: the daemon's command line on the host, where nothing touches X.25:
# -version, -help, -check, one- and two-dash options, config errors (exit 2, key named),
# and the refusal to start without AF_X25 (exit 1; skipped where the host has X.25).
set -u
x25lo=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
failures=0

check() { # check DESCRIPTION EXPECTED_STATUS PATTERN COMMAND...
	desc=$1 want=$2 pattern=$3
	shift 3
	out=$("$@" 2>&1)
	got=$?
	if [ "$got" -ne "$want" ] || ! printf '%s\n' "$out" | grep -qE -- "$pattern"; then
		echo "FAIL: $desc: status $got (want $want), output:"
		printf '%s\n' "$out" | sed 's/^/    /'
		failures=$((failures + 1))
	else
		echo "ok: $desc"
	fi
}

cat >"$dir/config.json" <<'JSON'
{"tun-gateway": {"lci_start": 1024, "lci_end": 3071, "stats-port": 8003},
 "tun-loopback": {"lci_start": 3072, "lci_end": 4095, "stats-port": 8004, "routes": ["127001", "127002"]},
 "servers": [{"prefix": "123/3", "ip": "127.0.0.1"}]}
JSON
printf '{"tun-loopback": {"routes": ["12a4"]}}' >"$dir/bad_route.json"
printf '{"tun-loopback": {"routes": ["127001"],\n "lci_start": }}' >"$dir/syntax.json"
printf '{"tun-loopback": {"routes": ["127001"], "stats-port": "8004"}}' >"$dir/type.json"

check "-version prints the version" 0 '^x25lo [0-9]' "$x25lo" -version
check "--version works with two dashes" 0 '^x25lo [0-9]' "$x25lo" --version
check "-help shows the usage line" 0 'Usage: x25lo \[-config FILE' "$x25lo" -help
check "-check describes the article's config" 0 'tunlb1 -> address 127002 \(kernel route 127002/6, injected LCIs 3072-4095' \
	"$x25lo" -check -config "$dir/config.json"
check "--check with a positional file" 0 'tunlb0 -> address 127001' "$x25lo" --check "$dir/config.json"
check "-check honours -stats-port" 0 'stats server: +http://127.0.0.1:9000/varz' \
	"$x25lo" -check -stats-port 9000 "$dir/config.json"
check "a bad route names the key and exits 2" 2 'tun-loopback.routes\[0\]: "12a4" is not an X.121 address' \
	"$x25lo" -check "$dir/bad_route.json"
check "a JSON syntax error gives line and column, exit 2" 2 'syntax.json:2:[0-9]+: invalid JSON' \
	"$x25lo" -config "$dir/syntax.json"
check "a wrong type names the key, exit 2" 2 'tun-loopback.stats-port: expected an integer' \
	"$x25lo" "$dir/type.json"
check "a missing file says what to do, exit 2" 2 'No such file or directory; pass -config FILE' \
	"$x25lo" -config "$dir/missing.json"
check "an unknown option shows the usage, exit 2" 2 'Usage: x25lo' "$x25lo" -bogus
check "a bad -stats-port is refused, exit 2" 2 '-stats-port: "70000" is not a port number' \
	"$x25lo" -stats-port 70000 "$dir/config.json"
long_path=$dir/$(printf '%0300d' 0).pcapng
check "a -pcap path too long for the config is refused, not cut, exit 2" 2 \
	'-pcap: the path is 3[0-9][0-9] bytes long, at most 255 are allowed' \
	"$x25lo" -check -pcap "$long_path" "$dir/config.json"

if [ -e /proc/net/x25 ]; then
	echo "skip: this host has X.25, the no-AF_X25 refusal cannot be checked here"
else
	# shellcheck disable=SC2016 # the backquotes are part of the expected message, not a command
	check "no AF_X25: refuses to start with advice, exit 1" 1 'this kernel has no X.25 \(AF_X25\): load it with `modprobe x25`' \
		"$x25lo" -config "$dir/config.json"
fi

# -user and the "user" key (docs/security.md): the user must exist, checked before anything
# else is touched (so exit 2 even here, where the missing AF_X25 would give 1).
printf '{"tun-loopback": {"routes": ["127001"], "user": "x25lo-no-such-user"}}' >"$dir/user.json"
check "-help lists -user" 0 '-user NAME +after setting up, run as this user' "$x25lo" -help
check "-check with -user shows the user" 0 'user +"root"' "$x25lo" -check -user root "$dir/config.json"
check "a -user that does not exist is refused, exit 2" 2 \
	'-user: there is no user "x25lo-no-such-user" on this system; create it' \
	"$x25lo" -check -user x25lo-no-such-user "$dir/config.json"
check "without -check too, before any other start-up check, exit 2" 2 \
	'-user: there is no user "x25lo-no-such-user"' "$x25lo" -user x25lo-no-such-user "$dir/config.json"
check "a \"user\" key that does not exist names the key, exit 2" 2 \
	'user.json: tun-loopback.user: there is no user "x25lo-no-such-user"' "$x25lo" -check "$dir/user.json"
check "-user overrides the \"user\" key" 0 'user +"root"' "$x25lo" -check -user root "$dir/user.json"
check "a -user name too long for the config is refused, exit 2" 2 '-user: the name is 40 bytes long, at most 32' \
	"$x25lo" -check -user "$(printf '%040d' 0)" "$dir/config.json"
[ "$failures" -eq 0 ]
