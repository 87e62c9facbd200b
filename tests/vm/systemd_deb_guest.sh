#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The guest half of the systemd_deb test (tests/vm/host_systemd_deb.sh), in x25lo-vm's Debian
# guest: Debian with systemd, the package's run-time dependencies installed, the x25lo .deb in
# /x25lo/x25lo.deb, this directory in /x25lo/tests and x25test in /x25lo/bin. As an operator
# would: dpkg -i, write the config, systemctl start, calls, systemctl reload during a call,
# the journal, systemctl stop, dpkg --purge. Checked:
#  - the package installs: the system user x25lo (nologin), /etc/x25lo/config.json root:x25lo
#    0640 (dpkg-statoverride), the unit neither enabled nor started;
#  - systemctl start returns once x25lo said READY=1 (Type=notify): active, its TUNs and X.25
#    routes there, run by x25lo with CAP_NET_ADMIN alone, a STATUS= with the links;
#  - calls: x25stress from the package (receiver and senders, --strict) and x25test echo calls;
#  - while a call is held: systemctl reload (x25lo reads its config again, the unit is active
#    again), saves of the config that the unit's sandbox lets x25lo watch (one with an
#    unknown key: a warning; one that is not JSON: an error, the config kept), the good
#    config back and systemctl reload again: the call survives them all;
#  - the journal: x25lo's own lines carry priorities 3, 4 and 6 and no timestamp or <N> prefix
#    of their own; one call record per call, in /var/log/x25lo/calls.json (the unit's
#    LogsDirectory=) and in the journal (MESSAGE_ID, X25_* fields), the same number in both;
#  - systemctl stop with a call up: the call is cleared (0x09/0x00, x25lo's shutdown), x25lo
#    exits 0, no tunlb* device and no X.25 route are left;
#  - dpkg --purge: the config, the statoverride and /var/log/x25lo go, the user stays.
# Runs under Debian's sh (dash); lib.sh's helpers are POSIX.
# shellcheck source=lib.sh
. /x25lo/tests/lib.sh

DEB=/x25lo/x25lo.deb
CONFIG=/etc/x25lo/config.json
RECORDS=/var/log/x25lo/calls.json
RECORD_ID=4f949fb79b904ec6a430abed9ff74a9c # docs/call-records.md: every call record's MESSAGE_ID

# fail: also x25lo's journal and the unit's state.
fail() {
	echo "FAIL: $*" >&2
	{
		echo "--- systemctl status x25lo ---"
		systemctl status --no-pager x25lo
		echo "--- journalctl -u x25lo (last 40) ---"
		journalctl -u x25lo --no-pager -n 40
	} >&2 2>&1
	exit 1
}

# own_journal [journalctl options]: x25lo's own entries (not systemd's about the unit).
own_journal() { journalctl --no-pager _SYSTEMD_UNIT=x25lo.service _COMM=x25lo "$@"; }

# reloads: how many times x25lo has read its config so far.
reloads() { own_journal -o cat | grep -cF "Configuration reloaded from $CONFIG"; }

# unit_state: ActiveState/SubState, e.g. active/running.
unit_state() { echo "$(systemctl show -P ActiveState x25lo)/$(systemctl show -P SubState x25lo)"; }

# wait_until DESCRIPTION SECONDS COMMAND...: poll COMMAND (a function is fine) every 0.1 s
# until it succeeds, for at most SECONDS of the guest's clock. lib.sh's wait_for counts
# tries, but here one journalctl takes most of a second under TCG.
wait_until() {
	desc=$1 secs=$2
	shift 2
	limit=$(($(uptime_ms) + secs * 1000))
	while ! "$@" >/dev/null 2>&1; do
		[ "$(uptime_ms)" -lt "$limit" ] || fail "timed out after $secs s waiting for $desc"
		sleep 0.1
	done
}

# journal_has PATTERN [JOURNALCTL_ARGS...]: a line of x25lo's own journal (-o cat) matches
# the extended regular expression PATTERN.
journal_has() {
	pattern=$1
	shift
	own_journal -o cat "$@" | grep -qE -- "$pattern"
}

# reloaded_at_least N: x25lo has read its config N times or more.
reloaded_at_least() { [ "$(reloads)" -ge "$1" ]; }

# is_active: the unit is active (not reloading, not failed).
is_active() { [ "$(systemctl show -P ActiveState x25lo)" = active ]; }

# wait_reloaded N: x25lo has read its config N times and the unit is active again (after a
# reload, systemd shows it "reloading" until x25lo's READY=1).
wait_reloaded() {
	wait_until "x25lo to read its config (read $1 times)" 30 reloaded_at_least "$1"
	wait_until "the unit to be active again" 30 is_active
}

# write_config EXTRA: the config, written in place (its owner and mode stay the package's).
write_config() {
	cat >"$CONFIG" <<JSON
{
  "tun-loopback": {
    "lci_start": 3072, "lci_end": 4095, "stats-port": 8004,
    "routes": ["127001", "127002"],
    "call_records": "$RECORDS"$1
  }
}
JSON
}

note "$(systemd-analyze | head -n 1)"
note "Debian $(cat /etc/debian_version), $(systemctl --version | head -n 1), kernel $(uname -r)"

# ---- install
dpkg -i "$DEB" >/tmp/dpkg.out 2>&1 || fail "dpkg -i $DEB: $(cat /tmp/dpkg.out)"
grep -E '^(Setting up|Creating)' /tmp/dpkg.out | sed 's/^/# dpkg -i: /'
note "installed $(dpkg-query -W -f '${Package} ${Version}' x25lo)"
getent passwd x25lo | grep -q ':/usr/sbin/nologin$' || fail "no system user x25lo with nologin: $(getent passwd x25lo)"
[ "$(stat -c '%U:%G %a' "$CONFIG")" = "root:x25lo 640" ] || fail "$CONFIG is $(stat -c '%U:%G %a' "$CONFIG"), not root:x25lo 640"
dpkg-statoverride --list "$CONFIG" | grep -qE '^root x25lo 0?640 ' || fail "no statoverride for $CONFIG: $(dpkg-statoverride --list)"
[ "$(systemctl is-enabled x25lo)" = disabled ] || fail "x25lo.service is $(systemctl is-enabled x25lo) after install, not disabled"
[ "$(unit_state)" = inactive/dead ] || fail "x25lo.service is $(unit_state) after install: it must not be started"
x25lo -version >/dev/null || fail "x25lo -version"

# ---- start
write_config ""
modprobe x25 || fail "modprobe x25"
t0=$(uptime_ms)
systemctl start x25lo || fail "systemctl start x25lo"
note "systemctl start x25lo returned after $(($(uptime_ms) - t0)) ms (Type=notify: after READY=1)"
active=$(systemctl is-active x25lo) || fail "systemctl is-active x25lo: $active ($(unit_state))"
note "systemctl is-active x25lo: $active"
[ "$(unit_state)" = active/running ] || fail "x25lo.service is $(unit_state) after start"
for dev in tunlb0 tunlb1; do
	ip -o link show "$dev" >/dev/null 2>&1 || fail "no device $dev: $(ip -o link)"
	# journald reads the line and the READY=1 from two sockets: give it a moment.
	wait_until "$dev: link operational in the journal" 30 journal_has "^$dev: link operational\$"
done
for route in 127001 127002; do
	grep -qE "^${route}0* +6 +tunlb" /proc/net/x25/route || fail "no X.25 route for $route: $(cat /proc/net/x25/route)"
done
pid=$(systemctl show -P MainPID x25lo)
[ "$(stat -c %U "/proc/$pid")" = x25lo ] || fail "x25lo runs as $(stat -c %U "/proc/$pid")"
grep -q '^CapEff:.*0000000000001000$' "/proc/$pid/status" || fail "capabilities: $(grep ^Cap "/proc/$pid/status")"
status=$(systemctl show -P StatusText x25lo)
note "STATUS=$status"
case $status in *"2/2 links operational"*) ;; *) fail "STATUS= does not say 2/2 links operational: $status" ;; esac
reloads_now=$(reloads)
note "$RECORDS: $(stat -c '%U:%G %a' "$RECORDS"), in $(stat -c '%U:%G %a' "${RECORDS%/*}")"

# ---- calls: x25stress from the package, then x25test echo calls
x25stress -r -a 127002 -W 7 -P 1024 >/tmp/receiver.out 2>&1 &
receiver=$!
wait_until "x25stress's receiver to listen on 127002" 10 sh -c "grep -q ' 127002 ' /proc/net/x25/socket"
x25stress -N 2 -l 2048 -d 127002,127002 -n 20 -T 60 -W 7 -P 1024 --strict >/tmp/sender.out 2>&1 ||
	{ cat /tmp/sender.out; fail "x25stress senders (status $?)"; }
grep -E 'Total Calls|Successful|Failed' /tmp/sender.out | sed 's/^/# x25stress: /'
kill -TERM "$receiver"
wait "$receiver"
expect_clean
start_listener 127002 srv
out=$(x25test call 127002 -s 127001 --sizes 16,128,1024) || fail "echo call: $out"
calls=21

# ---- reload during a call
x25test call 127002 -s 127001 --sizes 16 --hold --ready-file /tmp/held </dev/null >/tmp/held.out 2>&1 &
held=$!
x25test wait-file /tmp/held --timeout 10 >/dev/null || fail "the held call did not connect: $(cat /tmp/held.out)"
# STATUS= is sent when it changes, looked at every 5 s (SERVICE_STATUS_MS).
wait_until "STATUS= to count the held call" 15 sh -c 'systemctl show -P StatusText x25lo | grep -q "^1 call active"'
note "a call is up: STATUS=$(systemctl show -P StatusText x25lo)"
systemctl reload x25lo || fail "systemctl reload x25lo"
wait_reloaded $((reloads_now + 1))
note "systemctl reload during the call: the config read again, the unit $(unit_state), STATUS=$(systemctl show -P StatusText x25lo)"
# Saves of the file, which x25lo watches: one with an unknown key (the same configuration, so
# no reload, but a warning), one that is not JSON (an error; the running config is kept).
write_config ', "x25lo_vm_unknown_key": 1'
wait_until "the unknown key's warning" 30 journal_has x25lo_vm_unknown_key -p warning..warning
echo '{ "tun-loopback": ' >"$CONFIG"
wait_until "the broken config's error" 30 journal_has 'keeping the running configuration' -p err..err
[ "$(unit_state)" = active/running ] || fail "x25lo.service is $(unit_state) after a broken config"
# The good config back, and read again.
write_config ""
systemctl reload x25lo || fail "systemctl reload x25lo (the second)"
wait_reloaded $((reloads_now + 2))
kill -0 "$held" 2>/dev/null || fail "the held call ended during the reloads: $(cat /tmp/held.out)"
kill -TERM "$held"
wait "$held" || fail "the held call did not survive the reloads intact: $(cat /tmp/held.out)"
note "the call held through two systemctl reloads and two saves of the config (one warned, one refused) went on to its end"
calls=$((calls + 1))

# ---- the journal
own_journal -o json >/tmp/journal.json
for priority in 3 4 6; do
	grep -q "\"PRIORITY\":\"$priority\"" /tmp/journal.json || fail "no entry of priority $priority from x25lo in the journal"
done
note "x25lo's journal entries by priority: $(grep -o '"PRIORITY":"[0-9]"' /tmp/journal.json | sort | uniq -c | tr -s ' \n' ' ')"
own_journal -o cat | grep -E '^<[0-7]>|^[0-9]{4}/[0-9]{2}/[0-9]{2} ' &&
	fail "x25lo's journal lines carry a <N> prefix or a timestamp of their own"

# ---- stop with a call up
x25test call 127002 -s 127001 --sizes 16 --hold --expect-causediag 0x09:0x00 --ready-file /tmp/held2 </dev/null >/tmp/held2.out 2>&1 &
held=$!
x25test wait-file /tmp/held2 --timeout 10 >/dev/null || fail "the second held call did not connect: $(cat /tmp/held2.out)"
calls=$((calls + 1))
systemctl stop x25lo || fail "systemctl stop x25lo"
wait "$held" || fail "the call up at stop was not cleared with 0x09/0x00: $(cat /tmp/held2.out)"
[ "$(unit_state)" = inactive/dead ] || fail "x25lo.service is $(unit_state) after stop"
[ "$(systemctl show -P ExecMainStatus x25lo)" = 0 ] || fail "x25lo exited with status $(systemctl show -P ExecMainStatus x25lo)"
[ -z "$(tunlb_devices)" ] || fail "devices left after stop: $(tunlb_devices)"
ip -o link | grep -q tunlb && fail "ip -o link still shows a TUN: $(ip -o link)"
grep -qE '^1270' /proc/net/x25/route && fail "X.25 routes left after stop: $(cat /proc/net/x25/route)"
# shellcheck disable=SC2154 # start_listener sets it
kill "$srv_PID"
note "systemctl stop: the call up was cleared with 0x09/0x00, x25lo exited 0, no TUN or route left"

# ---- call records, in the file and in the journal
[ "$(stat -c '%U %a' "$RECORDS")" = "x25lo 640" ] || fail "$RECORDS is $(stat -c '%U %a' "$RECORDS")"
in_file=$(wc -l <"$RECORDS")
in_journal=$(journalctl --no-pager MESSAGE_ID=$RECORD_ID -o cat | wc -l)
note "call records: $in_file in $RECORDS, $in_journal in the journal, for $calls calls"
[ "$in_file" -eq "$calls" ] || fail "$in_file records in $RECORDS for $calls calls: $(cat "$RECORDS")"
[ "$in_journal" -eq "$calls" ] || fail "$in_journal records in the journal for $calls calls"
grep -q '"reason": "shutdown"' "$RECORDS" || fail "no record of the call cleared by the stop: $(tail -n 1 "$RECORDS")"
journalctl --no-pager MESSAGE_ID=$RECORD_ID X25_CALLED=127002 X25_OUTCOME=connected -o cat | grep -q . ||
	fail "no record with X25_CALLED=127002 X25_OUTCOME=connected in the journal"
note "the last record, as in the file:"
tail -n 1 "$RECORDS"
note "and in the journal:"
journalctl --no-pager MESSAGE_ID=$RECORD_ID -n 1 -o verbose | grep -E '^ +(PRIORITY|MESSAGE|MESSAGE_ID|X25_[A-Z_]+)=' | grep -v X25_CALL_RECORD

# ---- purge
dpkg --purge x25lo >/tmp/purge.out 2>&1 || fail "dpkg --purge x25lo: $(cat /tmp/purge.out)"
[ -e "$CONFIG" ] && fail "$CONFIG is still there after purge"
[ -e /var/log/x25lo ] && fail "/var/log/x25lo is still there after purge"
dpkg-statoverride --list "$CONFIG" >/dev/null && fail "the statoverride of $CONFIG is still there after purge"
getent passwd x25lo >/dev/null || fail "purge removed the user x25lo (Debian keeps system users)"
note "dpkg --purge: config, statoverride and logs gone, the user kept"
echo "PASS"
