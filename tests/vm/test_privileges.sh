# SPDX-License-Identifier: GPL-2.0-or-later
# Least privilege (docs/security.md): once set up, x25lo holds only CAP_NET_ADMIN (effective,
# permitted, bounding set), nothing inheritable or ambient, and no_new_privs; with -user it
# runs as that user and its group, without supplementary groups. Reduced like that, a SIGHUP
# still adds a TUN and route that carry a call and removes them again, the stats server
# serves, the capture rotates as the user, and a config it cannot read makes the reload say
# who x25lo runs as. Started as a non-root user through file capabilities, it reduces itself
# the same way (the bounding set only with cap_setpcap). A user that does not exist is a
# start-up error (exit 2) that touches nothing.
# setcap comes from the host (libcap2-bin, which tshark's wireshark-common depends on).
# x25lo-vm: --timeout 300 --add /usr/sbin/setcap
# shellcheck source=lib.sh
. /x25lo/tests/lib.sh
# shellcheck source=stats_lib.sh
. /x25lo/tests/stats_lib.sh

NET_ADMIN=0000000000001000 # bit 12, CAP_NET_ADMIN, as /proc/PID/status prints capability sets
ALL_CAPS=$(sed -n 's/^CapBnd:[[:space:]]*//p' /proc/self/status) # the guest's full bounding set
CAPTURE_DIR=/tmp/capture
CAPTURE=$CAPTURE_DIR/x25.pcapng
CAP=65536

# status_field NAME: one line of x25lo's /proc/PID/status, without the name and leading blanks.
status_field() { sed -n "s/^$1:[[:space:]]*//p" "/proc/$X25LO_PID/status"; }

# expect_reduced BOUNDING: the capability lines and NoNewPrivs of the running x25lo.
expect_reduced() {
	grep -E '^(Uid|Gid|Groups|Cap[A-Za-z]+|NoNewPrivs):' "/proc/$X25LO_PID/status" | sed 's/^/#   /'
	expect_eq "CapInh" 0000000000000000 "$(status_field CapInh)"
	expect_eq "CapPrm" "$NET_ADMIN" "$(status_field CapPrm)"
	expect_eq "CapEff" "$NET_ADMIN" "$(status_field CapEff)"
	expect_eq "CapBnd" "$1" "$(status_field CapBnd)"
	expect_eq "CapAmb" 0000000000000000 "$(status_field CapAmb)"
	expect_eq "NoNewPrivs" 1 "$(status_field NoNewPrivs)"
}

# start_via N_TUNS COMMAND...: start_x25lo for a command that ends by exec'ing x25lo (su, a copy
# with file capabilities); also waits for the line that says privileges are dropped.
start_via() {
	n=$1
	shift
	: >"$X25LO_LOG"
	"$@" >>"$X25LO_LOG" 2>&1 &
	X25LO_PID=$!
	wait_for "x25lo to bring up tunlb$((n - 1))" 100 log_has "tunlb$((n - 1)): link operational"
	kill -0 "$X25LO_PID" 2>/dev/null || fail "x25lo exited during start-up"
	case $(cat "/proc/$X25LO_PID/comm") in x25lo*) ;; *) fail "PID $X25LO_PID is not x25lo" ;; esac
	log_has "with CAP_NET_ADMIN only, no_new_privs" || fail "no line saying privileges were dropped"
}

# route_of ADDR: the device /proc/net/x25/route routes ADDR (padded to 15 digits) to, if any.
route_of() { awk -v a="$1" 'index($1, a) == 1 { print $3 }' /proc/net/x25/route; }

# --- As root, no -user: uid 0 stays, every capability but CAP_NET_ADMIN goes. -------------
write_config '"127001","127002"'
start_x25lo 2
note "root without -user:"
expect_reduced "$NET_ADMIN"
expect_eq "Uid" "0	0	0	0" "$(status_field Uid)"
log_has "Running as uid 0 with CAP_NET_ADMIN only, no_new_privs" || fail "no 'Running as uid 0' line"
# devtmpfs makes /dev/net/tun 0600 root: uid 0 still opens it as its owner, so no warning.
log_has "cannot open /dev/net/tun" && fail "uid 0 warned about /dev/net/tun"
stop_x25lo

# --- A user that does not exist: exit 2 before anything is set up. -------------------------
x25lo -config "$X25LO_CONFIG" -user nosuchuser >/tmp/nouser.log 2>&1
rc=$?
expect_eq "exit status with an unknown user" 2 "$rc"
grep -q 'there is no user "nosuchuser" on this system' /tmp/nouser.log || fail "no reason given: $(cat /tmp/nouser.log)"
[ -z "$(tunlb_devices)" ] || fail "the refused start left TUNs behind"
note "unknown user refused: $(cat /tmp/nouser.log)"

# --- -user x25lo, started through su so that root has a supplementary group to lose. ------
echo 'x25lo:x:1000:1000:x25lo:/nonexistent:/bin/sh' >>/etc/passwd
echo 'x25lo:x:1000:' >>/etc/group
echo 'x25extra:x:1001:root' >>/etc/group
mkdir -p "$CAPTURE_DIR"
chown 1000:1000 "$CAPTURE_DIR"
chmod 0750 "$CAPTURE_DIR"
STATS_PORT=8004
capture_keys="\"pcap\": \"$CAPTURE\", \"pcap_max_bytes\": $CAP"
write_config '"127001","127002"' "$capture_keys"
start_via 2 su -s /bin/sh root -c "exec x25lo -config $X25LO_CONFIG -user x25lo"
note "root with -user x25lo (started with groups: $(su -s /bin/sh root -c 'id -G')):"
expect_reduced "$NET_ADMIN"
expect_eq "Uid" "1000	1000	1000	1000" "$(status_field Uid)"
expect_eq "Gid" "1000	1000	1000	1000" "$(status_field Gid)"
expect_eq "Groups" "" "$(status_field Groups | tr -d ' ')"
log_has "Running as user x25lo (uid 1000, gid 1000) with CAP_NET_ADMIN only" || fail "no 'Running as user' line"
# Not dumpable after the uid change: /proc gives its files to root, ptrace needs root.
expect_eq "owner of /proc/PID/status (root: not dumpable)" 0 "$(stat -c %u "/proc/$X25LO_PID/status")"
expect_eq "owner of /proc/PID (x25lo's user)" 1000 "$(stat -c %u "/proc/$X25LO_PID")"
# devtmpfs leaves /dev/net/tun 0600 root (no udev): x25lo warns that reloads cannot add TUNs.
log_has "cannot open /dev/net/tun (Permission denied; mode 0600" || fail "no warning about /dev/net/tun 0600"
# Debian's udev rule makes it 0666; do the same, as an operator following the warning would.
chmod 0666 /dev/net/tun

wait_stats_server
fetch_into VARZ /varz
expect_eq "tunlb1's link state in /varz" ready "$(varz_value interface_link_state tunlb1)"

# SIGHUP adds a third route: TUN, qdisc, subscription and route made with CAP_NET_ADMIN alone.
start_listener 127003 srv3
write_config '"127001","127002","127003"' "$capture_keys"
kill -HUP "$X25LO_PID"
wait_for "tunlb2 to come up after SIGHUP" 100 log_has "tunlb2: link operational"
expect_eq "route of 127003" tunlb2 "$(route_of 127003)"
out=$(x25test call 127003 -s 127001 --sizes 16,1000) || fail "a call over the route added as x25lo: $out"
note "route added by x25lo as user x25lo carries a call: $out"
log_has "cannot add route" && fail "the reload could not add the route"

# Enough traffic to rotate the capture: rotation renames and creates files as the user.
start_listener 127002 echo
out=$(x25test call 127002 -s 127001 --calls 50 --parallel 4 --messages 4 --sizes 512 -P 1024 --timeout 30) ||
	fail "load: $out"
fetch_into VARZ /varz
note "stats server still serving after the load: calls_active $(varz_value calls_active)"

# A config x25lo can no longer read: the reload says who it runs as and keeps running.
chmod 0600 "$X25LO_CONFIG"
kill -HUP "$X25LO_PID"
wait_for "the failed reload's message" 50 log_has "x25lo runs as user x25lo (uid 1000) with CAP_NET_ADMIN only"
note "unreadable config: $(grep -F 'runs as user x25lo' "$X25LO_LOG" | tail -n 1)"
chmod 0644 "$X25LO_CONFIG"

# SIGHUP removes the third route: TUN and route go.
write_config '"127001","127002"' "$capture_keys"
kill -HUP "$X25LO_PID"
wait_for "tunlb2 to be removed" 100 log_has "tunlb2: removing"
wait_for "tunlb2 to disappear" 50 sh -c '! [ -e /sys/class/net/tunlb2 ]'
[ -z "$(route_of 127003)" ] || fail "route of 127003 still there: $(cat /proc/net/x25/route)"
x25test call 127003 -s 127001 --expect-error ENETUNREACH >/dev/null || fail "127003 is still routed"
expect_clean
stop_x25lo
[ -z "$(tunlb_devices)" ] || fail "TUNs left after SIGTERM as user x25lo"
grep -q tunlb /proc/net/x25/route && fail "routes left after SIGTERM as user x25lo: $(cat /proc/net/x25/route)"

[ -f "$CAPTURE.1" ] || fail "no $CAPTURE.1: the capture did not rotate ($(echo "$CAPTURE_DIR"/*))"
[ -f "$CAPTURE" ] || fail "no $CAPTURE after rotation ($(echo "$CAPTURE_DIR"/*))"
owner=$(stat -c %u "$CAPTURE")
expect_eq "owner of the capture file started after a rotation" 1000 "$owner"
note "capture rotated as user x25lo: $(stat -c '%n %u:%g mode %a %s bytes' "$CAPTURE" "$CAPTURE.1" | tr '\n' ';')"

# --- Not root: user x25lo runs a copy with file capabilities. ------------------------------
cp /x25lo/bin/x25lo /tmp/x25lo-fcap
setcap cap_net_admin+ep /tmp/x25lo-fcap || fail "setcap on /tmp/x25lo-fcap"
write_config '"127001","127002"'
start_via 2 su -s /bin/sh x25lo -c "exec /tmp/x25lo-fcap -config $X25LO_CONFIG"
note "user x25lo, file capabilities cap_net_admin+ep:"
# Without CAP_SETPCAP the bounding set cannot shrink; no_new_privs makes it moot, and x25lo says so.
expect_reduced "$ALL_CAPS"
expect_eq "Uid" "1000	1000	1000	1000" "$(status_field Uid)"
log_has "The capability bounding set is left as it was" || fail "no line about the bounding set"
stop_x25lo

setcap cap_net_admin,cap_setpcap+ep /tmp/x25lo-fcap || fail "setcap on /tmp/x25lo-fcap"
start_via 2 su -s /bin/sh x25lo -c "exec /tmp/x25lo-fcap -config $X25LO_CONFIG"
note "user x25lo, file capabilities cap_net_admin,cap_setpcap+ep:"
expect_reduced "$NET_ADMIN"
out=$(x25test call 127002 -s 127001 --sizes 16) || fail "a call through x25lo started with file capabilities: $out"
stop_x25lo

# Without CAP_SETUID and CAP_SETGID it cannot become another user: refused before set-up, exit 1.
su -s /bin/sh x25lo -c "exec /tmp/x25lo-fcap -config $X25LO_CONFIG -user root" >/tmp/nosetuid.log 2>&1
rc=$?
expect_eq "exit status of -user root without CAP_SETUID" 1 "$rc"
grep -q "without CAP_SETUID and CAP_SETGID, so it cannot switch to user root" /tmp/nosetuid.log ||
	fail "no reason given: $(cat /tmp/nosetuid.log)"
[ -z "$(tunlb_devices)" ] || fail "the refused start left TUNs behind"
note "no switch without CAP_SETUID: $(cat /tmp/nosetuid.log)"
echo "PASS"
