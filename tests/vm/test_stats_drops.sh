# SPDX-License-Identifier: GPL-2.0-or-later
# Frames the kernel drops before x25lo sees them are not silent: with x25lo stopped and
# tunlb1's ring cut to 2 frames, callers' CALL REQUESTs overflow it; x25lo then shows the
# device's tx_dropped in /varz and /metrics and logs a warning when it looks (every 5 s).
# shellcheck source=lib.sh
. /x25lo/tests/lib.sh
# shellcheck source=stats_lib.sh
. /x25lo/tests/stats_lib.sh

STATS_PORT=8004
write_config '"127001","127002"'
start_x25lo 2
wait_stats_server

fetch_into VARZ /varz
expect_eq "tx_dropped of tunlb1 at start" 0 "$(varz_value interface_tx_dropped tunlb1)"

kill -STOP "$X25LO_PID"
ip link set dev tunlb1 qlen 2 || fail "cannot shorten tunlb1's ring"
callers=""
for i in 1 2 3 4 5 6 7 8; do
	x25test call 127002 -s "12700$i" --connect-timeout 20000 >/dev/null 2>&1 &
	callers="$callers $!"
done
# Eight CALL REQUESTs, two places in the ring: six are dropped, then the callers wait.
dropped() { [ "$(cat /sys/class/net/tunlb1/statistics/tx_dropped)" -ge 6 ]; }
wait_for "the kernel to drop six frames on tunlb1" 100 dropped
ip link set dev tunlb1 qlen 4096 || fail "cannot restore tunlb1's ring"
kill -CONT "$X25LO_PID"
kernel_drops=$(cat /sys/class/net/tunlb1/statistics/tx_dropped)
note "the kernel dropped $kernel_drops frames on tunlb1"

fetch_into VARZ /varz
expect_eq "/varz interface_tx_dropped tunlb1" "$kernel_drops" "$(varz_value interface_tx_dropped tunlb1)"
expect_eq "/varz interface_tx_dropped tunlb0" 0 "$(varz_value interface_tx_dropped tunlb0)"
fetch_into METRICS /metrics
expect_eq "x25lo_tun_kernel_dropped_total tx" "$kernel_drops" \
	"$(metric_value 'x25lo_tun_kernel_dropped_total{tun="tunlb1",queue="tx"}')"
wait_for "the drop warning in the log" 100 log_has "tunlb1: the kernel dropped frames on this TUN: tx_dropped $kernel_drops"

# The callers whose CALL REQUEST was lost would wait out T21: end them, nothing may hang.
# shellcheck disable=SC2086 # a list of pids
kill $callers 2>/dev/null
# shellcheck disable=SC2086
wait $callers 2>/dev/null
expect_clean
assert_idle
stop_x25lo
echo "PASS"
