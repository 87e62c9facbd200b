#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The soak's short form (the long one is `make soak`, scripts/soak.sh): 4,000 calls both
# ways between 127001 and 127002 while 10 SIGHUP reloads add and remove 127003 (calls run
# on it meanwhile), its TUN flaps 4 times, the stats are polled (100 ms between rounds)
# and the capture rotates; soak_guest.sh checks and prints every figure. Measured: 75-80 s
# of calls and reloads, 1.5 min in all with the boot, on a 2-core host running other
# emulated guests; the generous timeout is for a host much busier than that.
# x25lo-vm: --timeout 600
exec sh /x25lo/tests/soak_guest.sh --calls 4000 --reloads 10 --flaps 4 --duration 500
