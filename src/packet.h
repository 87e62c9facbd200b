// SPDX-License-Identifier: GPL-2.0-or-later
/* packet.h - decode X.25 packets read from a TUN, build the few that x25lo generates. */
#ifndef X25LO_PACKET_H
#define X25LO_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pkt_type {
	PKT_CALL_REQUEST,
	PKT_CALL_ACCEPTED,
	PKT_CLEAR_REQUEST,
	PKT_CLEAR_CONFIRMATION,
	PKT_DATA,
	PKT_RR,
	PKT_RNR,
	PKT_REJ,
	PKT_INTERRUPT,
	PKT_INTERRUPT_CONFIRMATION,
	PKT_RESET_REQUEST,
	PKT_RESET_CONFIRMATION,
	PKT_RESTART_REQUEST,
	PKT_RESTART_CONFIRMATION,
	PKT_DIAGNOSTIC,
	PKT_REGISTRATION_REQUEST,
	PKT_REGISTRATION_CONFIRMATION,
	PKT_UNKNOWN,
	PKT_TYPE_COUNT
};

/* The minimum every X.25 packet has: GFI+LCGN, LCN, type. */
#define PKT_HEADER_LEN 3

/* A view of one packet: nothing is copied; offsets point into the caller's buffer. */
struct x25_packet {
	const uint8_t *data;
	size_t len;
	uint8_t gfi;     /* high nibble of byte 0, unshifted */
	uint16_t lci;    /* 12 bits */
	uint8_t type_id; /* byte 2 as received */
	enum pkt_type type;
};

/*
 * Classify a packet (bytes after the pseudo-header). extended selects modulo-128
 * layouts, as the kernel does from the neighbour, not from the GFI. Returns 0, or
 * -1 when the packet is shorter than its type requires (len < 3 always).
 */
int packet_decode(const uint8_t *data, size_t len, bool extended, struct x25_packet *pkt);

/* Rewrite the 12 LCI bits in place, keeping the GFI nibble (Q, D, modulo). */
static inline void packet_set_lci(uint8_t *data, uint16_t lci)
{
	data[0] = (uint8_t)((data[0] & 0xF0) | ((lci >> 8) & 0x0F));
	data[1] = (uint8_t)(lci & 0xFF);
}

/* Addresses and facilities of a CALL REQUEST / INCOMING CALL. */
struct x25_call_fields {
	char called[16], calling[16]; /* decoded BCD digits, NUL-terminated */
	size_t fac_off, fac_len;      /* facility bytes (after the length byte) */
	size_t cud_off, cud_len;      /* call user data */
};

/*
 * Parse the address block, facility field and CUD of a CALL REQUEST. Returns 0,
 * or -1 with *why set to a static description when the packet is malformed.
 */
int packet_parse_call(const struct x25_packet *pkt, struct x25_call_fields *call, const char **why);

/* CLEAR REQUEST/INDICATION cause and diagnostic (0 when absent); -1 if the packet has no cause. */
int packet_clear_cause(const struct x25_packet *pkt, uint8_t *cause, uint8_t *diag);

/* Builders write into out (at least 5 bytes) and return the packet length. */
size_t packet_build_clear(uint8_t *out, bool extended, uint16_t lci, uint8_t cause, uint8_t diag);
size_t packet_build_clear_confirmation(uint8_t *out, bool extended, uint16_t lci);
size_t packet_build_restart_confirmation(uint8_t *out, bool extended);

/* goxot's /varz names (CALL_REQ, DATA, ...), with INTERRUPT, INT_CONF and DIAG named. NULL for PKT_UNKNOWN. */
const char *packet_type_name(enum pkt_type type);

/* Name for a trace line: never NULL; unknown types become "UNKNOWN(0xNN)" in buf. */
const char *packet_trace_name(const struct x25_packet *pkt, char buf[16]);

/* Parse a facility field (bytes after the length byte) for packet size and window; -1 if malformed. */
struct x25_facility_summary {
	int pacsize_in, pacsize_out; /* log2, 0 = absent */
	int winsize_in, winsize_out; /* 0 = absent */
	int reverse;                 /* -1 = absent */
	int throughput;              /* -1 = absent */
};
int packet_parse_facilities(const uint8_t *fac, size_t len, struct x25_facility_summary *out);

/*
 * A CALL REQUEST or CALL ACCEPTED with the packet-size (0x42) and window-size (0x43)
 * facilities it lacks added with X.25's defaults (128 bytes, 2 packets), as XOT needs them
 * explicit (RFC 1613 §6.1). Writes it into out (cap bytes) and returns its length, or 0
 * when nothing is missing, the packet cannot be parsed, or out is too small.
 */
size_t packet_add_flow_facilities(const struct x25_packet *pkt, uint8_t *out, size_t cap);

#endif
