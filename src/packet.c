// SPDX-License-Identifier: GPL-2.0-or-later
/* packet.c - X.25 packet codec: classification, call fields, generated packets. */
#include "packet.h"

#include <stdio.h>
#include <string.h>

#include "x25.h"

static enum pkt_type classify(uint8_t id, bool extended)
{
	/* Data first: it is most of the traffic, and every fixed type code is odd. */
	if ((id & 0x01) == 0)
		return PKT_DATA;
	switch (id) {
	case X25_CALL_REQUEST: return PKT_CALL_REQUEST;
	case X25_CALL_ACCEPTED: return PKT_CALL_ACCEPTED;
	case X25_CLEAR_REQUEST: return PKT_CLEAR_REQUEST;
	case X25_CLEAR_CONFIRMATION: return PKT_CLEAR_CONFIRMATION;
	case X25_INTERRUPT: return PKT_INTERRUPT;
	case X25_INTERRUPT_CONFIRMATION: return PKT_INTERRUPT_CONFIRMATION;
	case X25_RESET_REQUEST: return PKT_RESET_REQUEST;
	case X25_RESET_CONFIRMATION: return PKT_RESET_CONFIRMATION;
	case X25_RESTART_REQUEST: return PKT_RESTART_REQUEST;
	case X25_RESTART_CONFIRMATION: return PKT_RESTART_CONFIRMATION;
	case X25_DIAGNOSTIC: return PKT_DIAGNOSTIC;
	case X25_REGISTRATION_REQUEST: return PKT_REGISTRATION_REQUEST;
	case X25_REGISTRATION_CONFIRMATION: return PKT_REGISTRATION_CONFIRMATION;
	default: break;
	}
	/* Modulo 8 embeds P(R) in the top 3 bits; modulo 128 carries it in byte 3. */
	switch (extended ? id : (id & 0x1F)) {
	case X25_RR: return PKT_RR;
	case X25_RNR: return PKT_RNR;
	case X25_REJ: return PKT_REJ;
	default: return PKT_UNKNOWN;
	}
}

int packet_decode(const uint8_t *data, size_t len, bool extended, struct x25_packet *pkt)
{
	if (len < PKT_HEADER_LEN)
		return -1;
	pkt->data = data;
	pkt->len = len;
	pkt->gfi = data[0] & 0xF0;
	pkt->lci = (uint16_t)(((data[0] & 0x0F) << 8) | data[1]);
	pkt->type_id = data[2];
	pkt->type = classify(data[2], extended);
	/* Modulo-128 data and flow-control packets have a 4-byte header (docs/linux-x25.md §2.6). */
	if (extended && len < 4 &&
	    (pkt->type == PKT_DATA || pkt->type == PKT_RR || pkt->type == PKT_RNR || pkt->type == PKT_REJ))
		return -1;
	return 0;
}

static void bcd_digits(const uint8_t *bcd, size_t first_nibble, size_t count, char *out)
{
	for (size_t i = 0; i < count; i++) {
		size_t n = first_nibble + i;
		uint8_t b = bcd[n / 2];
		uint8_t digit = (n % 2 == 0) ? (b >> 4) : (b & 0x0F);
		/* Like the kernel, do not reject A-F; show them as ':'..'?'. */
		out[i] = (char)('0' + digit);
	}
	out[count] = '\0';
}

int packet_parse_call(const struct x25_packet *pkt, struct x25_call_fields *call, const char **why)
{
	const uint8_t *p = pkt->data;
	size_t len = pkt->len, off = PKT_HEADER_LEN;
	size_t called_len, calling_len, addr_bytes;

	if (off >= len) {
		*why = "no address block";
		return -1;
	}
	called_len = p[off] & 0x0F;
	calling_len = p[off] >> 4;
	addr_bytes = (called_len + calling_len + 1) / 2;
	off++;
	if (off + addr_bytes > len) {
		*why = "address block truncated";
		return -1;
	}
	bcd_digits(p + off, 0, called_len, call->called);
	bcd_digits(p + off, called_len, calling_len, call->calling);
	off += addr_bytes;
	if (off >= len) {
		*why = "no facility length";
		return -1;
	}
	call->fac_len = p[off++];
	call->fac_off = off;
	if (off + call->fac_len > len) {
		*why = "facilities truncated";
		return -1;
	}
	off += call->fac_len;
	call->cud_off = off;
	call->cud_len = len - off;
	return 0;
}

int packet_clear_cause(const struct x25_packet *pkt, uint8_t *cause, uint8_t *diag)
{
	if (pkt->len < 4)
		return -1;
	*cause = pkt->data[3];
	/* Optional in X.25 (a CLEAR may end after its cause); Linux needs it (docs/linux-x25.md §2.6). */
	*diag = pkt->len >= 5 ? pkt->data[4] : X25_DIAG_NONE;
	return 0;
}

static size_t build_header(uint8_t *out, bool extended, uint16_t lci, uint8_t type)
{
	out[0] = extended ? X25_GFI_MODULO128 : X25_GFI_MODULO8;
	packet_set_lci(out, lci);
	out[2] = type;
	return PKT_HEADER_LEN;
}

size_t packet_build_clear(uint8_t *out, bool extended, uint16_t lci, uint8_t cause, uint8_t diag)
{
	size_t n = build_header(out, extended, lci, X25_CLEAR_REQUEST);

	/* Always 5 bytes: a shorter clear makes the kernel wait T23 (docs/linux-x25.md §7 rule 12). */
	out[n++] = cause;
	out[n++] = diag;
	return n;
}

size_t packet_build_clear_confirmation(uint8_t *out, bool extended, uint16_t lci)
{
	return build_header(out, extended, lci, X25_CLEAR_CONFIRMATION);
}

size_t packet_build_restart_confirmation(uint8_t *out, bool extended)
{
	return build_header(out, extended, 0, X25_RESTART_CONFIRMATION);
}

static const char *const type_names[PKT_TYPE_COUNT] = {
	[PKT_CALL_REQUEST] = "CALL_REQ",
	[PKT_CALL_ACCEPTED] = "CALL_CONN",
	[PKT_CLEAR_REQUEST] = "CLR_REQ",
	[PKT_CLEAR_CONFIRMATION] = "CLR_CONF",
	[PKT_DATA] = "DATA",
	[PKT_RR] = "RR",
	[PKT_RNR] = "RNR",
	[PKT_REJ] = "REJ",
	[PKT_INTERRUPT] = "INTERRUPT",
	[PKT_INTERRUPT_CONFIRMATION] = "INT_CONF",
	[PKT_RESET_REQUEST] = "RESET_REQ",
	[PKT_RESET_CONFIRMATION] = "RESET_CONF",
	[PKT_RESTART_REQUEST] = "RESTART_REQ",
	[PKT_RESTART_CONFIRMATION] = "RESTART_CONF",
	[PKT_DIAGNOSTIC] = "DIAG",
	[PKT_REGISTRATION_REQUEST] = "REG_REQ",
	[PKT_REGISTRATION_CONFIRMATION] = "REG_CONF",
	[PKT_UNKNOWN] = NULL,
};

const char *packet_type_name(enum pkt_type type)
{
	return type < PKT_TYPE_COUNT ? type_names[type] : NULL;
}

const char *packet_trace_name(const struct x25_packet *pkt, char buf[16])
{
	const char *name = packet_type_name(pkt->type);

	if (name)
		return name;
	snprintf(buf, 16, "UNKNOWN(0x%02X)", pkt->type_id);
	return buf;
}

int packet_parse_facilities(const uint8_t *fac, size_t len, struct x25_facility_summary *out)
{
	size_t i = 0;

	*out = (struct x25_facility_summary){.reverse = -1, .throughput = -1};
	while (i < len) {
		uint8_t code = fac[i];
		size_t params;

		switch (code & 0xC0) {
		case 0x00: params = 1; break;
		case 0x40: params = 2; break;
		case 0x80: params = 3; break;
		default:
			if (i + 1 >= len)
				return -1;
			params = 1 + (size_t)fac[i + 1];
			break;
		}
		if (i + 1 + params > len)
			return -1;
		switch (code) {
		case 0x01: out->reverse = fac[i + 1]; break;
		case 0x02: out->throughput = fac[i + 1]; break;
		case 0x42:
			out->pacsize_in = fac[i + 1];
			out->pacsize_out = fac[i + 2];
			break;
		case 0x43:
			out->winsize_in = fac[i + 1];
			out->winsize_out = fac[i + 2];
			break;
		default: break;
		}
		i += 1 + params;
	}
	return 0;
}

size_t packet_add_flow_facilities(const struct x25_packet *pkt, uint8_t *out, size_t cap)
{
	static const uint8_t default_pacsize[] = {0x42, 0x07, 0x07}; /* 128 bytes both ways */
	static const uint8_t default_winsize[] = {0x43, 0x02, 0x02}; /* 2 packets both ways */
	struct x25_call_fields fields;
	struct x25_facility_summary f;
	const char *why;
	size_t addr_end, added, n;

	/* A minimal CALL ACCEPTED (header only) gets an empty address block first. */
	if (pkt->type == PKT_CALL_ACCEPTED && pkt->len == PKT_HEADER_LEN) {
		if (cap < PKT_HEADER_LEN + 2 + sizeof(default_pacsize) + sizeof(default_winsize))
			return 0;
		memcpy(out, pkt->data, PKT_HEADER_LEN);
		n = PKT_HEADER_LEN;
		out[n++] = 0x00; /* no addresses */
		out[n++] = (uint8_t)(sizeof(default_pacsize) + sizeof(default_winsize));
		memcpy(out + n, default_pacsize, sizeof(default_pacsize));
		n += sizeof(default_pacsize);
		memcpy(out + n, default_winsize, sizeof(default_winsize));
		return n + sizeof(default_winsize);
	}
	if (packet_parse_call(pkt, &fields, &why) < 0 ||
	    packet_parse_facilities(pkt->data + fields.fac_off, fields.fac_len, &f) < 0)
		return 0; /* malformed: passed on as it is, for the peer to judge */
	added = (f.pacsize_in ? 0 : sizeof(default_pacsize)) + (f.winsize_in ? 0 : sizeof(default_winsize));
	if (added == 0 || fields.fac_len + added > 255 || pkt->len + added > cap)
		return 0;
	addr_end = fields.fac_off - 1; /* the facility length byte */
	memcpy(out, pkt->data, addr_end);
	n = addr_end;
	out[n++] = (uint8_t)(fields.fac_len + added);
	memcpy(out + n, pkt->data + fields.fac_off, fields.fac_len);
	n += fields.fac_len;
	if (!f.pacsize_in) {
		memcpy(out + n, default_pacsize, sizeof(default_pacsize));
		n += sizeof(default_pacsize);
	}
	if (!f.winsize_in) {
		memcpy(out + n, default_winsize, sizeof(default_winsize));
		n += sizeof(default_winsize);
	}
	memcpy(out + n, pkt->data + fields.cud_off, fields.cud_len);
	return n + fields.cud_len;
}
