// SPDX-License-Identifier: GPL-2.0-or-later
/* x25.h - X.25 packet-layer wire constants (ITU-T X.25, as Linux 6.1 uses them). */
#ifndef X25LO_X25_H
#define X25LO_X25_H

/* Pseudo-header byte in front of every frame on an ARPHRD_X25 device (x25-iface.rst). */
#define X25_IFACE_DATA 0x00
#define X25_IFACE_CONNECT 0x01
#define X25_IFACE_DISCONNECT 0x02

#define ETH_P_X25_PROTO 0x0805 /* tun_pi.proto of every X.25 frame */

/* General format identifier: high nibble of byte 0. */
#define X25_GFI_Q 0x80
#define X25_GFI_D 0x40
#define X25_GFI_MODULO_MASK 0x30
#define X25_GFI_MODULO8 0x10
#define X25_GFI_MODULO128 0x20

#define X25_LCI_MAX 4095
#define X25_LCI_COUNT 4096

/* Packet type identifiers (byte 2). */
#define X25_CALL_REQUEST 0x0B
#define X25_CALL_ACCEPTED 0x0F
#define X25_CLEAR_REQUEST 0x13
#define X25_CLEAR_CONFIRMATION 0x17
#define X25_INTERRUPT 0x23
#define X25_INTERRUPT_CONFIRMATION 0x27
#define X25_RESET_REQUEST 0x1B
#define X25_RESET_CONFIRMATION 0x1F
#define X25_RESTART_REQUEST 0xFB
#define X25_RESTART_CONFIRMATION 0xFF
#define X25_DIAGNOSTIC 0xF1
#define X25_REGISTRATION_REQUEST 0xF3
#define X25_REGISTRATION_CONFIRMATION 0xF7
#define X25_RR 0x01
#define X25_RNR 0x05
#define X25_REJ 0x09

/* Clearing causes (X.25 table 5-7) and diagnostics (annex E) that x25lo generates. */
#define X25_CAUSE_DTE_ORIGINATED 0x00
#define X25_CAUSE_NUMBER_BUSY 0x01
#define X25_CAUSE_NETWORK_CONGESTION 0x05
#define X25_CAUSE_OUT_OF_ORDER 0x09
#define X25_CAUSE_NOT_OBTAINABLE 0x0D
#define X25_CAUSE_REMOTE_PROCEDURE_ERROR 0x11
#define X25_CAUSE_INCOMPATIBLE_DESTINATION 0x21

#define X25_DIAG_NONE 0x00
#define X25_DIAG_TIMER_EXPIRED_CALL 0x31       /* T21-like: call set-up timed out */
#define X25_DIAG_NO_ROUTE 0x43                 /* 67: invalid called address */
#define X25_DIAG_NO_LCI_AVAILABLE 0x47         /* 71: no logical channel available */
#define X25_DIAG_INVALID_PACKET 0x21           /* 33: packet type invalid for the state */
#define X25_DIAG_LCI_REUSED 0x48               /* 72: call collision on the channel */
#define X25_DIAG_UNASSIGNED_LCI 0x24          /* 36: unassigned logical channel */

#endif
