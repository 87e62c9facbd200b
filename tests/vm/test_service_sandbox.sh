# SPDX-License-Identifier: GPL-2.0-or-later
# x25lo as systemd/x25lo.service.in runs it, in the X.25 guest, which has no systemd: setpriv
# gives it the unit's credentials (User=x25lo, AmbientCapabilities= and CapabilityBoundingSet=
# CAP_NET_ADMIN), unit_sandbox the unit's own SystemCallFilter= lines (expanded by the host's
# systemd-analyze), SystemCallErrorNumber=EPERM and RestrictAddressFamilies= as seccomp
# filters, and the environment has NOTIFY_SOCKET (notify_listen plays systemd's socket),
# WATCHDOG_USEC and JOURNAL_STREAM (naming the log file, x25lo's stderr). Checked:
#  - READY=1 comes once, after the "link operational" line of every TUN is in the log;
#  - the process runs as x25lo with CAP_NET_ADMIN alone (also inheritable: capset is denied,
#    which x25lo says), nothing ambient, no_new_privs, a seccomp filter; every line of its log
#    has a priority prefix and no timestamp, and none is a warning or an error;
#  - calls work, the stats server answers; STATUS= says a call is active (5 s timer); the
#    capture in the unit's LogsDirectory rotates (files the user's own, mode 0640);
#  - a saved config that adds a route (a reload by itself): RELOADING=1, then READY=1 once the
#    new TUN's link is operational; a call over it; SIGHUP: RELOADING=1 with MONOTONIC_USEC,
#    READY=1; a call held across both reloads survives;
#  - WATCHDOG=1 every WATCHDOG_USEC/2;
#  - SIGTERM: STOPPING=1, exit 0, no TUN left;
#  - a second run under strace: the only system call that fails with EPERM is capset.
# The file system part of the sandbox (ProtectSystem=, ...) needs systemd: the Debian guest's
# test covers it.
# util-linux's setpriv (busybox has an applet of that name without --reuid): /x25lo/bin/setpriv.
# x25lo-vm: --timeout 300 --add /usr/bin/setpriv --add /usr/bin/systemd-analyze --add /usr/bin/strace --add @SOURCE_ROOT@/systemd/x25lo.service.in:/x25lo/x25lo.service.in
# shellcheck source=lib.sh
. /x25lo/tests/lib.sh
# shellcheck source=stats_lib.sh
. /x25lo/tests/stats_lib.sh

UNIT=/x25lo/x25lo.service.in
NOTIFY_SOCK=/tmp/x25lo.notify
NOTIFY_LOG=/tmp/notify.log
SYSCALLS=/tmp/syscalls
NET_ADMIN=0000000000001000
WATCHDOG_USEC=2000000 # pings every second
STATS_PORT=8004
LOGS=/var/log/x25lo # LogsDirectory=x25lo, LogsDirectoryMode=0750: systemd makes it the user's
CAPTURE_KEYS="\"pcap\": \"$LOGS/x25.pcapng\", \"pcap_max_bytes\": 65536"

[ -x /x25lo/bin/unit_sandbox ] ||
	{ echo "SKIP: unit_sandbox was not built (libseccomp-dev missing: scripts/install-deps.sh)"; exit 77; }

# unit_value KEY: the values of KEY= in the unit, one line each, in order.
unit_value() { sed -n "s/^$1=//p" "$UNIT"; }

# Every group of systemd-analyze's tables, once (it is slow to start in the guest): lines
# "GROUP MEMBER", a member being a system call or another @group.
systemd-analyze syscall-filter >/tmp/groups.txt 2>/dev/null
awk '/^@/ { group = $1; next } /^    [@a-z0-9_-]+$/ { print group, $1 }' /tmp/groups.txt >/tmp/members
[ -s /tmp/members ] || fail "systemd-analyze syscall-filter printed no groups: $(head -n 5 /tmp/groups.txt)"

# expand NAME...: system call names, @groups expanded recursively.
expand() {
	awk -v want="$*" '
		{ members[$1] = members[$1] " " $2 }
		function out(name,   n, i, list) {
			if (name !~ /^@/) { print name; return }
			if (seen[name]++) return
			n = split(members[name], list, " ")
			for (i = 1; i <= n; i++) out(list[i])
		}
		END { n = split(want, items, " "); for (i = 1; i <= n; i++) out(items[i]) }' /tmp/members
}

# The allow list as systemd builds it: @default, then each line in order, "~" taking away.
expand @default | sort -u >"$SYSCALLS"
unit_value SystemCallFilter >/tmp/filter.lines
while read -r line; do
	case $line in
	"~"*)
		# shellcheck disable=SC2086
		expand ${line#"~"} | sort -u >/tmp/remove
		grep -vxF -f /tmp/remove "$SYSCALLS" >/tmp/kept
		mv /tmp/kept "$SYSCALLS"
		;;
	*)
		# shellcheck disable=SC2086
		{ cat "$SYSCALLS"; expand $line; } | sort -u >/tmp/added
		mv /tmp/added "$SYSCALLS"
		;;
	esac
done </tmp/filter.lines
grep -qx capset "$SYSCALLS" && fail "the unit's filter allows capset, which this test expects denied"
grep -qx ioctl "$SYSCALLS" || fail "the unit's filter denies ioctl: no TUN could be made"
note "the unit's SystemCallFilter= allows $(wc -l <"$SYSCALLS") names: $(tr '\n' ' ' </tmp/filter.lines)"
expect_eq "SystemCallErrorNumber=" EPERM "$(unit_value SystemCallErrorNumber)"
expect_eq "User=" x25lo "$(unit_value User)"
expect_eq "AmbientCapabilities=" CAP_NET_ADMIN "$(unit_value AmbientCapabilities)"
expect_eq "CapabilityBoundingSet=" CAP_NET_ADMIN "$(unit_value CapabilityBoundingSet)"
FAMILIES=$(unit_value RestrictAddressFamilies | tr ' ' ',')

# The unit's user (the package or sysusers.d makes it) and Debian's udev rule for the device.
echo 'x25lo:x:999:999:x25lo X.25 relay:/:/usr/sbin/nologin' >>/etc/passwd
echo 'x25lo:x:999:' >>/etc/group
chmod 0666 /dev/net/tun
mkdir -p "$LOGS"
chown 999:999 "$LOGS"
chmod 0750 "$LOGS"

notify_listen "$NOTIFY_SOCK" "$NOTIFY_LOG" --log "$X25LO_LOG" &
NOTIFY_PID=$!
wait_for "the notify socket" 50 test -S "$NOTIFY_SOCK"

# run_as_unit COMMAND...: COMMAND (x25lo) with the unit's credentials, filters and environment,
# all of it under $TRACER if set (strace, which must stay outside the filter).
TRACER=""
run_as_unit() {
	# Run in the background, the function is a subshell: exec, so that $! is x25lo's pid.
	# shellcheck disable=SC2086 # TRACER is a command and its options
	exec $TRACER env NOTIFY_SOCKET="$NOTIFY_SOCK" WATCHDOG_USEC="$WATCHDOG_USEC" JOURNAL_STREAM="$(stat -c %d:%i "$X25LO_LOG")" \
		/x25lo/bin/setpriv --reuid=x25lo --regid=x25lo --clear-groups --inh-caps=-all,+net_admin \
		--ambient-caps=+net_admin --bounding-set=-all,+net_admin \
		unit_sandbox --syscalls "$SYSCALLS" --families "$FAMILIES" -- "$@"
}

# notified MESSAGE: the number of messages so far that contain MESSAGE (| between lines).
notified() { grep -cF -- "$1" "$NOTIFY_LOG"; }
# log_bytes_at N MESSAGE: the log's size when the Nth message containing MESSAGE came.
log_bytes_at() { grep -F -- "$2" "$NOTIFY_LOG" | sed -n "$1p" | cut -d' ' -f2; }
# logged_before BYTES TEXT: TEXT is in the first BYTES bytes of the log.
logged_before() { head -c "$1" "$X25LO_LOG" | grep -qF -- "$2"; }
status_field() { sed -n "s/^$1:[[:space:]]*//p" "/proc/$X25LO_PID/status"; }

# --- Start --------------------------------------------------------------------------------
write_config '"127001","127002"' "$CAPTURE_KEYS"
chmod 0644 "$X25LO_CONFIG"
: >"$X25LO_LOG"
: >"$NOTIFY_LOG"
run_as_unit x25lo -config "$X25LO_CONFIG" >>"$X25LO_LOG" 2>&1 &
X25LO_PID=$!
wait_for "READY=1" 100 grep -q " READY=1" "$NOTIFY_LOG"
kill -0 "$X25LO_PID" 2>/dev/null || fail "x25lo exited during start-up"
expect_eq "READY=1 messages" 1 "$(notified READY=1)"
at=$(log_bytes_at 1 READY=1)
if ! logged_before "$at" "tunlb0: link operational" || ! logged_before "$at" "tunlb1: link operational"; then
	fail "READY=1 came before both links were operational (log at $at bytes: $(head -c "$at" "$X25LO_LOG"))"
fi
note "READY=1 after both links: $(grep -F READY=1 "$NOTIFY_LOG")"

grep -E '^(Uid|Cap[A-Za-z]+|NoNewPrivs|Seccomp):' "/proc/$X25LO_PID/status" | sed 's/^/#   /'
expect_eq "Uid" "999	999	999	999" "$(status_field Uid)"
expect_eq "CapEff" "$NET_ADMIN" "$(status_field CapEff)"
expect_eq "CapPrm" "$NET_ADMIN" "$(status_field CapPrm)"
expect_eq "CapInh (capset denied)" "$NET_ADMIN" "$(status_field CapInh)"
expect_eq "CapBnd" "$NET_ADMIN" "$(status_field CapBnd)"
expect_eq "CapAmb" 0000000000000000 "$(status_field CapAmb)"
expect_eq "NoNewPrivs" 1 "$(status_field NoNewPrivs)"
expect_eq "Seccomp (filter mode)" 2 "$(status_field Seccomp)"
log_has "<6>capset is not allowed here" || fail "no line saying CAP_NET_ADMIN stays inheritable"
log_has "<6>Running as uid 999 with CAP_NET_ADMIN only, no_new_privs" || fail "no 'Running as uid 999' line"
log_has "bounding set is left as it was" && fail "x25lo says it kept a bounding set that is CAP_NET_ADMIN alone"

# --- Calls, stats, STATUS -----------------------------------------------------------------
start_listener 127002 echo
out=$(x25test call 127002 -s 127001 --sizes 16,1000) || fail "a call under the unit's sandbox: $out"
x25test call 127002 -s 127001 --sizes 16 --hold --ready-file /tmp/held </dev/null >/tmp/held.out 2>&1 &
HELD_PID=$!
x25test wait-file /tmp/held --timeout 10 >/dev/null || fail "the held call: $(cat /tmp/held.out)"
wait_stats_server
fetch_into VARZ /varz
expect_eq "calls_active in /varz" 1 "$(varz_value calls_active)"
out=$(x25test call 127002 -s 127001 --calls 50 --parallel 4 --messages 4 --sizes 512 -P 1024 --timeout 30) ||
	fail "load: $out"
[ -f "$LOGS/x25.pcapng.1" ] || fail "the capture did not rotate: $(ls -l "$LOGS")"
for f in "$LOGS/x25.pcapng" "$LOGS/x25.pcapng.1"; do
	expect_eq "owner and mode of $f" "999:999 640" "$(stat -c '%u:%g %a' "$f")"
done
wait_for "STATUS= with the held call" 120 grep -q "STATUS=1 call active, 2/2 links operational" "$NOTIFY_LOG"
note "status: $(grep -F STATUS= "$NOTIFY_LOG" | tail -n 1 | cut -d' ' -f3-)"

# --- Reloads ------------------------------------------------------------------------------
# line_of N MESSAGE: the line number in the notify log of the Nth message containing MESSAGE.
line_of() { grep -nF -- "$2" "$NOTIFY_LOG" | sed -n "$1p" | cut -d: -f1; }
# Saving the config is a reload of its own (x25lo watches the file's directory): one that adds
# a route. READY=1 comes once the new TUN's link is operational too.
start_listener 127003 srv3
write_config '"127001","127002","127003"' "$CAPTURE_KEYS"
wait_for "READY=1 after the reload of the saved config" 100 sh -c "[ \$(grep -cF READY=1 $NOTIFY_LOG) -ge 2 ]"
expect_eq "RELOADING=1 messages after the save" 1 "$(notified RELOADING=1)"
[ "$(line_of 1 RELOADING=1)" -lt "$(line_of 2 READY=1)" ] || fail "READY=1 came before RELOADING=1: $(cat "$NOTIFY_LOG")"
logged_before "$(log_bytes_at 2 READY=1)" "tunlb2: link operational" ||
	fail "READY=1 after the reload came before tunlb2's link was operational"
note "reload of the saved file: $(sed -n "$(line_of 1 RELOADING=1)p;$(line_of 2 READY=1)p" "$NOTIFY_LOG" | cut -d' ' -f3- | tr '\n' ' ')"

# SIGHUP (ExecReload=): a reload even of an unchanged file. MONOTONIC_USEC says when x25lo
# began it: after the signal, before the message reached the socket.
before_ms=$(uptime_ms)
kill -HUP "$X25LO_PID"
wait_for "READY=1 after SIGHUP" 100 sh -c "[ \$(grep -cF READY=1 $NOTIFY_LOG) -ge 3 ]"
expect_eq "RELOADING=1 messages after SIGHUP" 2 "$(notified RELOADING=1)"
reloading=$(sed -n "$(line_of 2 RELOADING=1)p" "$NOTIFY_LOG")
usec=$(echo "$reloading" | sed -n 's/.*MONOTONIC_USEC=\([0-9]*\).*/\1/p')
got_ms=$(echo "$reloading" | cut -d' ' -f1)
if [ -z "$usec" ] || [ $((usec / 1000)) -gt "$got_ms" ] || [ $((got_ms - usec / 1000)) -ge 1000 ]; then
	fail "MONOTONIC_USEC=$usec does not fit a message received at $got_ms ms: $reloading"
fi
[ "$(line_of 2 RELOADING=1)" -lt "$(line_of 3 READY=1)" ] || fail "READY=1 came before RELOADING=1: $(cat "$NOTIFY_LOG")"
note "SIGHUP: $(sed -n "$(line_of 2 RELOADING=1)p;$(line_of 3 READY=1)p" "$NOTIFY_LOG" | cut -d' ' -f3- | tr '\n' ' ')($(($(uptime_ms) - before_ms)) ms)"
out=$(x25test call 127003 -s 127001 --sizes 16) || fail "a call over the route the reload added: $out"
kill -0 "$HELD_PID" 2>/dev/null || fail "the call held across the reload ended: $(cat /tmp/held.out)"

# --- Watchdog ------------------------------------------------------------------------------
# Every second from start: on average a second apart, and never WATCHDOG_USEC apart (systemd
# would kill the service), even with the load above on a TCG guest of a busy host.
# The count expected follows the time since READY=1 (a fast host gets through the steps above
# in a few seconds); at least three pings, awaited, so that gaps can be measured.
wait_for "three WATCHDOG=1 messages" 100 sh -c "[ \$(grep -cF WATCHDOG=1 '$NOTIFY_LOG') -ge 3 ]"
ready_ms=$(grep -F " READY=1" "$NOTIFY_LOG" | head -n 1 | cut -d' ' -f1)
expected=$((($(uptime_ms) - ready_ms) / 1000 - 1))
grep -F WATCHDOG=1 "$NOTIFY_LOG" | awk 'NR == 1 { first = $1 } NR > 1 { g = $1 - last; if (g > max) max = g }
	{ last = $1 } END { print NR, max + 0, (NR > 1 ? int((last - first) / (NR - 1)) : 0) }' >/tmp/gaps
read -r pings longest average </tmp/gaps
note "watchdog: $pings pings, $average ms apart on average, the longest gap $longest ms"
[ "$pings" -ge "$expected" ] || fail "only $pings WATCHDOG=1 messages in the $((expected + 1)) s since READY=1"
if [ "$average" -lt 900 ] || [ "$average" -gt 1100 ]; then
	fail "WATCHDOG=1 every $average ms on average, not every 1000 ms"
fi
[ "$longest" -lt $((WATCHDOG_USEC / 1000)) ] ||
	fail "a gap of $longest ms between watchdog pings: systemd would have killed x25lo"

# --- The log: a priority on every line, no timestamp ----------------------------------------
kill -USR1 "$X25LO_PID"
wait_for "the SIGUSR1 dump" 50 log_has "<6>Stats dump: end"
# stdout's "Stats server listening" line and unit_sandbox's own line carry no prefix.
bad=$(grep -v -e '^<[3467]>' -e '^Stats server listening' -e '^unit_sandbox: ' "$X25LO_LOG" | head -n 3)
[ -z "$bad" ] || fail "log lines without a priority: $bad"
grep -qE '^<[0-9]>[0-9]{4}/[0-9]{2}/[0-9]{2} ' "$X25LO_LOG" && fail "a timestamp under the journal"
note "log priorities: $(sed -n 's/^<\([0-9]\)>.*/\1/p' "$X25LO_LOG" | sort | uniq -c | tr -s ' \n' ' ')"
# Nothing the sandbox denies may cost a warning (a chown of x25lo's own file did).
if grep -E '^<[34]>' "$X25LO_LOG"; then
	fail "warnings or errors under the unit's sandbox (above)"
fi

# --- Stop ----------------------------------------------------------------------------------
kill "$HELD_PID"
wait "$HELD_PID" 2>/dev/null
stop_x25lo
expect_eq "STOPPING=1 messages" 1 "$(notified STOPPING=1)"
[ -z "$(tunlb_devices)" ] || fail "TUNs left after SIGTERM: $(tunlb_devices)"
note "stop: $(grep -F STOPPING=1 "$NOTIFY_LOG" | cut -d' ' -f3-)"

# --- The same under strace: which system calls fail, and with what -----------------------
# strace traces the whole chain from outside the filter; x25lo's part starts at its execve.
write_config '"127001","127002"'
: >"$X25LO_LOG"
: >"$NOTIFY_LOG"
TRACER="strace -f -qq -o /tmp/strace.out"
run_as_unit x25lo -config "$X25LO_CONFIG" >>"$X25LO_LOG" 2>&1 &
STRACE_PID=$!
TRACER=""
wait_for "READY=1 under strace" 150 grep -q " READY=1" "$NOTIFY_LOG"
X25LO_PID=$(pidof x25lo)
out=$(x25test call 127002 -s 127001 --sizes 16) || fail "a call under strace: $out"
kill -HUP "$X25LO_PID"
wait_for "READY=1 after a reload under strace" 100 sh -c "[ \$(grep -cF READY=1 $NOTIFY_LOG) -ge 2 ]"
kill -TERM "$X25LO_PID"
wait "$STRACE_PID" || fail "x25lo under strace did not exit with status 0"
awk '/execve\("[^"]*\/x25lo",.* = 0$/ { on = 1 } on' /tmp/strace.out >/tmp/x25lo.strace
[ -s /tmp/x25lo.strace ] || fail "no execve of x25lo in strace's output"
note "x25lo made $(wc -l </tmp/x25lo.strace) system calls, of $(sed 's/^[0-9]* *//; s/(.*//' /tmp/x25lo.strace | sort -u | wc -l) kinds"
note "failed: $(grep -E '= -1 E[A-Z]+' /tmp/x25lo.strace | sed -E 's/^[0-9]+ +//; s/\(.*= -1 (E[A-Z]+).*/ \1/' | sort | uniq -c | tr -s ' \n' ' ')"
if grep -E '= -1 EPERM' /tmp/x25lo.strace | grep -vE '^[0-9]+ +capset\(' | head -n 5 | grep .; then
	fail "system calls other than capset denied (above)"
fi
grep -qE '^[0-9]+ +capset\(.*= -1 EPERM' /tmp/x25lo.strace || fail "capset was not denied: is the filter in place?"
kill "$NOTIFY_PID"
echo "PASS"
