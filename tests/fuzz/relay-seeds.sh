#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Writes fuzz_relay's hand-made seed programs into tests/fuzz/corpus/fuzz_relay (or DIR):
# one file per scenario, in the step format that tests/fuzz/fuzz_relay.c describes. Run it
# again after changing that format; files of other names in DIR (inputs the fuzzer found
# and someone kept) are left alone.
#
#   tests/fuzz/relay-seeds.sh [DIR]
#
# To see what a seed does: FUZZ_RELAY_TRACE=1 build-fuzz/tests/fuzz/fuzz_relay FILE
set -euo pipefail

dir=${1:-$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/corpus/fuzz_relay}
mkdir -p "$dir"
prog=

# Bytes of the program being written.
b() {
	local x
	for x; do
		prog+=$(printf '\\x%02x' $((x)))
	done
}

# A new program: seed NAME [SET-UP BYTE]. The previous one is written out first.
name=
flush() {
	[[ -z $name ]] || printf '%b' "$prog" >"$dir/$name"
}
seed() {
	flush
	name=$1
	prog=
	b "${2:-0}"
}

# LCI choices, as the 16-bit value of their two bytes: a raw LCI, the Nth LCI x25lo maps
# on the TUN, the TUN's injection range start + N, the kernel's own LCI N (1-8).
lci() { echo $(($1 & 0xFFF)); }
mapped() { echo $((0x4000 | ${1:-0})); }
ranged() { echo $((0x8000 | ${1:-0})); }
kernel() { echo $((0xC000 | ($1 - 1))); }

# Calling addresses (shape bits 0-2), called addresses (bits 3-4), facilities (bits 5-6;
# FAC_BAD is a facility field longer than the packet with an odd calling address choice,
# else a facility longer than its field).
C127001=0 C127002=1 C1270=2 C127003=3 C127004=4 C12700=5 CNONE=6 CLONG=7
TO127001=8 TO127003=16 TO1270=24 FAC_COMMON=0x20 FAC_ALL=0x40 FAC_BAD=0x60 OTHER_MODULO=0x80

# Steps. SLOT is 0-4; add 8 to defer a frame (queued, read later). LCI is one of the above.
call() { b $((0x10 | $1)) $(($2 >> 8)) $(($2 & 255)) $(($3)); }                     # call SLOT LCI SHAPE
pkt() { b $((0x20 | $1)) $(($2 >> 8)) $(($2 & 255)) $(((${4:-0} << 4) | $3)) "${5:-0}"; } # pkt SLOT LCI TYPE [VARIANT [PARAM]]
timer() { b $((0x30 | $1)); }                                      # 0 +1ms 1 +999 2 +1000 3 clear 4 call 5 +5s 6 +60s 7 +10min
link() { b $((0x40 | $1)) "$2"; }                                  # 0 down 1 up 2 down-up 3 link_lost
block() { b $((0x50 | $1)); }
unblock() { b $((0x60 | $1)); }
remove() { b $((0x70 | $1)); }
create() { b 0x80 "$1"; }                                          # address choice, +8 ready
reload() { b $((0x90 | $1)) "$2"; }                                # preset, timeouts
render() { b 0xA2 0xA3; }                                          # /sessions, the dump
render_all() { b 0xA0 0xA1 0xA2 0xA3; }                            # /varz and /metrics too
sessions() { b $((0xA2 | $1 << 2)); }                              # /sessions?limit=N (0-3)
shutdown() { b 0xB0; }
readable() { b $((0xC0 | $1)); }
stream_open() { b 0xE0 "$1"; }                                     # a /sessions listing, limit 0-3
stream_read() { b 0xE1 $(($1 - 1)) "$2"; }                         # MAX bytes (1-256), budget (255: none)
stream_all() { b 0xE2; }
stream_drop() { b 0xE3; }
long() { b $((0xD0 | $1)) $(($2 >> 8)) $(($2 & 255)) "$3"; }                         # long SLOT LCI SIZE(0-3)
raw() {                                                            # raw SLOT BYTES...
	local slot=$1
	shift
	b "$slot" $# "$@"
}

# Packet types of pkt, and variants.
ACCEPT=0 CLEAR=1 CLEARCONF=2 DATA=3 RR=4 RNR=5 REJ=6 INT=7 INTCONF=8 RESET=9 RESETCONF=10
RESTART=11 RESTARTCONF=12 DIAG=13 BARECALL=14 ANY=15
CAUSE_DIAG=2 CAUSE_ONLY=1 NO_CAUSE=0

# tunlb1 (127002) calls 127001 on its LCI 1: injected into tunlb0 (4092-4095) on 4095, accepted.
connect_call() {
	call 1 "$(kernel 1)" $((C127001 | FAC_COMMON))
	pkt 0 "$(mapped 0)" $ACCEPT
}

seed call_data_caller_clears
connect_call
pkt 1 "$(kernel 1)" $DATA 3 0x21
pkt 0 "$(mapped 0)" $DATA 0 0x42
pkt 0 "$(mapped 0)" $RR 0 0x20
pkt 1 "$(kernel 1)" $INT 0 0x55
pkt 0 "$(mapped 0)" $INTCONF
pkt 1 "$(kernel 1)" $RESET $CAUSE_DIAG 0x00
pkt 0 "$(mapped 0)" $RESETCONF
sessions 1
pkt 1 "$(kernel 1)" $CLEAR $CAUSE_DIAG 0x42
render_all
pkt 0 "$(mapped 0)" $CLEARCONF
render

seed call_callee_clears
connect_call
pkt 0 "$(mapped 0)" $CLEAR $CAUSE_ONLY 0x01
pkt 1 "$(kernel 1)" $CLEARCONF
render_all

seed clear_collision
connect_call
pkt 0 "$(mapped 0)" $CLEAR $CAUSE_DIAG 0
pkt 1 "$(kernel 1)" $CLEAR $CAUSE_DIAG 0
pkt 1 "$(kernel 1)" $CLEARCONF
render_all

seed call_refused_by_callee
call 1 "$(kernel 1)" $C127001
pkt 0 "$(mapped 0)" $CLEAR $CAUSE_DIAG 0x01
pkt 1 "$(kernel 1)" $CLEARCONF
render_all

# Five calls for tunlb0's four LCIs: the fifth is cleared 0x05/0x47; nobody answers.
seed lci_exhaustion_and_timeouts
for n in 1 2 3 4 5; do
	call 1 "$(kernel $n)" $C127001
done
sessions 2
timer 4
render_all
timer 3
render

seed lci_reused_on_a_connected_call
connect_call
call 1 "$(kernel 1)" $C127001
render_all
pkt 0 "$(mapped 0)" $CLEARCONF
pkt 1 "$(kernel 1)" $CLEARCONF
pkt 1 "$(kernel 1)" $CLEARCONF

# tunlb1's range (1-6) holds the kernel's own LCIs: an injected call on 6, then its kernel calls on 6.
seed kernel_call_on_an_injected_lci
call 0 "$(kernel 1)" $C127002
call 1 "$(lci 6)" $C127001
render_all
pkt 0 "$(mapped 0)" $ACCEPT

seed restart_mid_call
connect_call
pkt 0 "$(lci 0)" $RESTART $CAUSE_DIAG 0
pkt 1 "$(kernel 1)" $CLEARCONF
render_all

seed link_loss_mid_call
connect_call
link 1 0
render_all
pkt 0 "$(mapped 0)" $CLEARCONF
link 1 1
pkt 1 "$(lci 0)" $RESTART $CAUSE_DIAG 0
connect_call
link 0 3
link 0 2
pkt 0 "$(lci 0)" $RESTART $CAUSE_DIAG 0
render

# The caller clears and its TUN goes while the callee still clears, and the other way round.
seed removal_mid_clear
connect_call
pkt 1 "$(kernel 1)" $CLEAR $CAUSE_DIAG 0
remove 1
render_all
pkt 0 "$(mapped 0)" $CLEARCONF
create 9
call 1 "$(kernel 2)" $C127001
pkt 1 "$(mapped 0)" $CLEAR $CAUSE_DIAG 0
remove 0
render
timer 3

seed removal_of_the_callee_tun
connect_call
remove 0
render_all
pkt 1 "$(kernel 1)" $CLEARCONF
render

seed data_write_fails
connect_call
block 0
pkt 1 "$(kernel 1)" $DATA 3 0
pkt 1 "$(kernel 1)" $CLEARCONF
render_all
unblock 0
timer 3
pkt 0 "$(mapped 0)" $CLEARCONF
render

seed incoming_call_write_fails
block 0
call 1 "$(kernel 1)" $C127001
pkt 1 "$(kernel 1)" $CLEARCONF
unblock 0
render_all

seed clear_write_fails_and_is_retried
connect_call
block 1
pkt 0 "$(mapped 0)" $CLEAR $CAUSE_DIAG 0
timer 3
unblock 1
timer 3
pkt 1 "$(kernel 1)" $CLEARCONF
render_all

seed restart_confirmation_write_fails
block 0
pkt 0 "$(lci 0)" $RESTART $CAUSE_DIAG 0
timer 2
unblock 0
timer 2
render_all

# tunlb3 (modulo 128) calls 127004 (modulo 128, one LCI); tunlb0 (modulo 8) calls 127003.
seed modulo_128_call
call 3 "$(kernel 1)" $C127004
pkt 4 "$(mapped 0)" $ACCEPT
pkt 3 "$(kernel 1)" $DATA 4 0x05
pkt 4 "$(mapped 0)" $RR 0 0x03
pkt 4 "$(mapped 0)" $RNR 1 0x03
pkt 3 "$(kernel 1)" $CLEAR $CAUSE_DIAG 0
pkt 4 "$(mapped 0)" $CLEARCONF
call 0 "$(kernel 1)" $C127003
call 3 "$(kernel 2)" $((C127004 | OTHER_MODULO))
render_all

# Only tunlb0: the call goes back into its own TUN on another LCI.
seed single_route 0x1E
call 0 "$(kernel 1)" $C127001
pkt 0 "$(ranged 3)" $ACCEPT
pkt 0 "$(kernel 1)" $DATA 2 0
pkt 0 "$(ranged 3)" $CLEAR $CAUSE_DIAG 0
pkt 0 "$(kernel 1)" $CLEARCONF
call 0 "$(lci 4095)" $C127001
render_all

seed shutdown_mid_call
connect_call
call 2 "$(kernel 1)" $C127002
shutdown
call 1 "$(kernel 2)" $C127001
render_all
pkt 0 "$(mapped 0)" $CLEARCONF
timer 5

# A route removed, the configuration reloaded (modulo 128, LCIs 100-103), the route back.
seed reload_and_create
remove 2
reload 3 $((0 | 3 << 3))
create 2
pkt 2 "$(lci 0)" $RESTART $CAUSE_DIAG 0
call 3 "$(kernel 1)" $C1270
pkt 2 "$(mapped 0)" $ACCEPT
render_all
timer 0
reload 0 $((7 | 7 << 3))
timer 7

seed long_data
connect_call
long 1 "$(kernel 1)" 0
long 1 "$(kernel 1)" 1
long 0 "$(mapped 0)" 2
long 0 "$(mapped 0)" 3
render_all

seed trace_on 0x20
connect_call
pkt 1 "$(kernel 1)" $DATA 1 0
pkt 1 "$(kernel 1)" $CLEAR $CAUSE_DIAG 0
pkt 0 "$(mapped 0)" $CLEARCONF
pkt 2 "$(lci 7)" $DATA 0 0

# Links start as after CONNECT: nothing is ready until the kernel's RESTART REQUEST.
seed links_starting 0x40
call 1 "$(kernel 1)" $C127001
pkt 0 "$(lci 0)" $RESTART $CAUSE_DIAG 0
pkt 1 "$(lci 0)" $RESTART $CAUSE_DIAG 0
connect_call
render_all

# Frames queued before a link loss are read after it: their sockets are gone.
seed frames_queued_across_link_loss
connect_call
pkt 9 "$(kernel 1)" $DATA 1 0
call 9 "$(kernel 2)" $C127001
link 1 0
readable 1
link 1 1
readable 1
render_all

seed unknown_lcis
pkt 1 "$(lci 7)" $DATA 0 0
pkt 1 "$(lci 7)" $CLEAR $CAUSE_DIAG 0
pkt 1 "$(lci 7)" $CLEARCONF
pkt 1 "$(lci 8)" $ACCEPT
pkt 1 "$(lci 9)" $ANY 3 0xFD
render_all

seed malformed_frames
raw 1 0 0 8 5
raw 1 0 0 8 0 0 0x10 1 0x0B
raw 1 0 0 8 5 0 0x10 1
raw 1 0 0 8 5 3
raw 1 0 1 8 5 0 0x10 1 0x00 0x41
raw 1 0 0 8 5 1
raw 1 0 0 8 5 2
pkt 1 "$(lci 0)" $RESTART $CAUSE_DIAG 0
pkt 1 "$(kernel 2)" $BARECALL 3
call 1 "$(kernel 3)" $((C127001 | FAC_BAD))
call 1 "$(kernel 6)" $((C127002 | FAC_BAD))
call 1 "$(kernel 4)" $((CLONG | FAC_ALL))
call 1 "$(kernel 5)" $CNONE
render_all

# A /sessions listing read in slices while calls come and go and a TUN goes.
seed sessions_streamed_while_calls_change
connect_call
call 1 "$(kernel 2)" $C127001
call 3 "$(kernel 1)" $C127004
stream_open 0
stream_read 16 $((1 | 8 << 2))
stream_read 200 $((1 | 8 << 2))
pkt 0 "$(mapped 1)" $CLEAR $CAUSE_DIAG 0
call 1 "$(kernel 3)" $C127001
stream_read 7 0
stream_read 256 255
remove 3
stream_read 256 255
stream_all
stream_open 2
stream_read 50 255
stream_all
stream_open 1
stream_read 10 1
stream_drop
stream_open 0
pkt 1 "$(kernel 1)" $DATA 1 0

# Every packet type and address choice, on and off calls.
seed every_packet_type
call 1 "$(kernel 1)" $((C12700 | TO127003))
call 1 "$(kernel 2)" $((C127001 | TO127001))
call 1 "$(kernel 3)" $((C127002 | TO1270 | FAC_ALL))
pkt 0 "$(mapped 0)" $ACCEPT
pkt 0 "$(mapped 0)" $REJ 0 0x40
pkt 0 "$(mapped 0)" $RNR 0 0x20
pkt 0 "$(lci 0)" $DIAG $CAUSE_DIAG 0x21
pkt 0 "$(lci 0)" $RESTARTCONF
pkt 0 "$(mapped 0)" $CLEAR $NO_CAUSE
pkt 1 "$(mapped 0)" $CLEARCONF
render_all

# Captured (set-up bit 7): a call, long packets past the 4 KiB rotation, a TUN re-created.
seed capture_with_rotation 0x80
connect_call
for n in 1 2 3 4 5 6; do
	pkt 1 "$(kernel 1)" $DATA 5 $n
done
long 1 "$(kernel 1)" 0
long 1 "$(kernel 1)" 1
raw 1 0 0 8 5 7 0x10
remove 2
create 10
pkt 2 "$(lci 0)" $RESTART $CAUSE_DIAG 0
render
pkt 1 "$(kernel 1)" $CLEAR $CAUSE_DIAG 0
pkt 0 "$(mapped 0)" $CLEARCONF

seed short_timeouts
reload 0 0
call 1 "$(kernel 1)" $C127001
timer 2
timer 2
connect_call
block 0
pkt 1 "$(kernel 1)" $CLEAR $CAUSE_DIAG 0
timer 1
timer 1
unblock 0
timer 2
render_all
flush
