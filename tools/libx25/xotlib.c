// SPDX-License-Identifier: GPL-2.0-or-later
/* xotlib.c - XOT on the wire: framing, X.25 packets in both modulos, TCP helpers (xotlib.h). */
#include "xotlib.h"
#include "x25lib.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* --- framing --- */

void xotlib_header_put(uint8_t header[XOTLIB_HEADER_LEN], size_t len)
{
	header[0] = 0;
	header[1] = 0;
	header[2] = (uint8_t)(len >> 8);
	header[3] = (uint8_t)len;
}

int xotlib_header_get(const uint8_t header[XOTLIB_HEADER_LEN], size_t *len, char *error,
		      size_t error_len)
{
	unsigned version = (unsigned)header[0] << 8 | header[1];
	size_t length = (size_t)header[2] << 8 | header[3];

	if (version != 0) {
		if (error_len)
			snprintf(error, error_len,
				 "XOT header with version %u (only version 0 exists)", version);
		return -1;
	}
	if (length < XOTLIB_PACKET_MIN || length > XOTLIB_PACKET_MAX) {
		if (error_len)
			snprintf(error, error_len,
				 "XOT header with length %zu (an X.25 packet has %d to %d bytes)",
				 length, XOTLIB_PACKET_MIN, XOTLIB_PACKET_MAX);
		return -1;
	}
	*len = length;
	return 0;
}

void xotlib_reader_init(struct xotlib_reader *r)
{
	r->start = r->end = 0;
	r->broken = false;
	r->error[0] = '\0';
}

int xotlib_reader_next(struct xotlib_reader *r, const uint8_t **packet, size_t *len)
{
	size_t have = r->end - r->start, length;

	if (r->broken)
		return -1;
	if (have < XOTLIB_HEADER_LEN)
		return 0;
	if (xotlib_header_get(r->buf + r->start, &length, r->error, sizeof(r->error)) < 0) {
		r->broken = true;
		return -1;
	}
	if (have < XOTLIB_HEADER_LEN + length)
		return 0;
	*packet = r->buf + r->start + XOTLIB_HEADER_LEN;
	*len = length;
	r->start += XOTLIB_HEADER_LEN + length;
	return 1;
}

/* Move the unread bytes to the front; returned packets become invalid. */
static void reader_compact(struct xotlib_reader *r)
{
	if (r->start == 0)
		return;
	memmove(r->buf, r->buf + r->start, r->end - r->start);
	r->end -= r->start;
	r->start = 0;
}

ssize_t xotlib_reader_fill(struct xotlib_reader *r, int fd)
{
	reader_compact(r);
	/* Never full here: the buffer holds two of the largest framed packets, and a caller
	 * only fills when the unread bytes are less than one. */
	ssize_t got = read(fd, r->buf + r->end, sizeof(r->buf) - r->end);
	if (got > 0)
		r->end += (size_t)got;
	return got;
}

size_t xotlib_reader_feed(struct xotlib_reader *r, const uint8_t *data, size_t len)
{
	reader_compact(r);
	if (len > sizeof(r->buf) - r->end)
		len = sizeof(r->buf) - r->end;
	memcpy(r->buf + r->end, data, len);
	r->end += len;
	return len;
}

const char *xotlib_result_text(enum xotlib_result result)
{
	switch (result) {
	case XOTLIB_OK:
		return "done";
	case XOTLIB_TIMEOUT:
		return "timed out";
	case XOTLIB_WOKEN:
		return "stopped";
	case XOTLIB_CLOSED:
		return "TCP connection closed by the peer";
	case XOTLIB_IO_ERROR:
		return "TCP connection failed";
	case XOTLIB_FRAMING:
		return "bad XOT header";
	case XOTLIB_CLEARED:
		return "cleared by the peer";
	case XOTLIB_RESET:
		return "reset by the peer";
	case XOTLIB_PROTOCOL:
		return "X.25 protocol error";
	}
	return "unknown result";
}

/* Milliseconds left until deadline_ns (0 = no deadline: -1), never negative. */
static int ms_left(uint64_t deadline_ns)
{
	if (deadline_ns == 0)
		return -1;
	uint64_t now = x25_monotonic_ns();
	if (now >= deadline_ns)
		return 0;
	uint64_t left = (deadline_ns - now + 999999) / 1000000;
	return left > 1000000000u ? 1000000000 : (int)left;
}

enum xotlib_result xotlib_recv_packet(int fd, struct xotlib_reader *r, int timeout_ms, int wake_fd,
				      const uint8_t **packet, size_t *len)
{
	uint64_t deadline =
		timeout_ms < 0 ? 0 : x25_monotonic_ns() + (uint64_t)timeout_ms * 1000000u + 1;

	for (;;) {
		int next = xotlib_reader_next(r, packet, len);
		if (next > 0)
			return XOTLIB_OK;
		if (next < 0)
			return XOTLIB_FRAMING;

		struct pollfd waits[2] = {
			{ .fd = fd, .events = POLLIN },
			{ .fd = wake_fd, .events = POLLIN },
		};
		int ready = poll(waits, wake_fd >= 0 ? 2 : 1, ms_left(deadline));
		if (ready < 0) {
			if (errno == EINTR)
				continue;
			return XOTLIB_IO_ERROR;
		}
		if (ready == 0)
			return XOTLIB_TIMEOUT;
		if (wake_fd >= 0 && (waits[1].revents & POLLIN))
			return XOTLIB_WOKEN;
		ssize_t got = xotlib_reader_fill(r, fd);
		if (got == 0)
			return XOTLIB_CLOSED;
		if (got < 0 && errno != EINTR && errno != EAGAIN)
			return XOTLIB_IO_ERROR;
	}
}

int xotlib_send_packet(int fd, const uint8_t *packet, size_t len)
{
	uint8_t framed[XOTLIB_HEADER_LEN + XOTLIB_PACKET_MAX];
	size_t total = XOTLIB_HEADER_LEN + len, done = 0;

	if (len < XOTLIB_PACKET_MIN || len > XOTLIB_PACKET_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	/* One buffer, one send: header and packet leave in the same TCP segment. */
	xotlib_header_put(framed, len);
	memcpy(framed + XOTLIB_HEADER_LEN, packet, len);
	while (done < total) {
		ssize_t sent = send(fd, framed + done, total - done, MSG_NOSIGNAL);

		if (sent < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		done += (size_t)sent;
	}
	return 0;
}

/* --- packets --- */

const char *xotlib_type_name(enum xotlib_type type)
{
	switch (type) {
	case XOTLIB_CALL_REQUEST:
		return "CALL REQUEST";
	case XOTLIB_CALL_ACCEPTED:
		return "CALL ACCEPTED";
	case XOTLIB_CLEAR_REQUEST:
		return "CLEAR";
	case XOTLIB_CLEAR_CONFIRMATION:
		return "CLEAR CONFIRMATION";
	case XOTLIB_DATA:
		return "DATA";
	case XOTLIB_RR:
		return "RR";
	case XOTLIB_RNR:
		return "RNR";
	case XOTLIB_REJ:
		return "REJ";
	case XOTLIB_INTERRUPT:
		return "INTERRUPT";
	case XOTLIB_INTERRUPT_CONFIRMATION:
		return "INTERRUPT CONFIRMATION";
	case XOTLIB_RESET_REQUEST:
		return "RESET";
	case XOTLIB_RESET_CONFIRMATION:
		return "RESET CONFIRMATION";
	case XOTLIB_RESTART_REQUEST:
		return "RESTART";
	case XOTLIB_RESTART_CONFIRMATION:
		return "RESTART CONFIRMATION";
	case XOTLIB_DIAGNOSTIC:
		return "DIAGNOSTIC";
	case XOTLIB_REGISTRATION_REQUEST:
		return "REGISTRATION REQUEST";
	case XOTLIB_REGISTRATION_CONFIRMATION:
		return "REGISTRATION CONFIRMATION";
	case XOTLIB_ILLEGAL:
		return "unknown packet";
	}
	return "unknown packet";
}

/* The packet types with a fixed byte 2 (all odd, none a modulo-8 RR/RNR/REJ pattern). */
static const struct {
	uint8_t code;
	enum xotlib_type type;
} fixed_types[] = {
	{ 0x0B, XOTLIB_CALL_REQUEST },
	{ 0x0F, XOTLIB_CALL_ACCEPTED },
	{ 0x13, XOTLIB_CLEAR_REQUEST },
	{ 0x17, XOTLIB_CLEAR_CONFIRMATION },
	{ 0x23, XOTLIB_INTERRUPT },
	{ 0x27, XOTLIB_INTERRUPT_CONFIRMATION },
	{ 0x1B, XOTLIB_RESET_REQUEST },
	{ 0x1F, XOTLIB_RESET_CONFIRMATION },
	{ 0xFB, XOTLIB_RESTART_REQUEST },
	{ 0xFF, XOTLIB_RESTART_CONFIRMATION },
	{ 0xF1, XOTLIB_DIAGNOSTIC },
	{ 0xF3, XOTLIB_REGISTRATION_REQUEST },
	{ 0xF7, XOTLIB_REGISTRATION_CONFIRMATION },
};

#define PTI_RR  0x01
#define PTI_RNR 0x05
#define PTI_REJ 0x09

static enum xotlib_type flow_type(uint8_t code)
{
	return code == PTI_RR ? XOTLIB_RR : code == PTI_RNR ? XOTLIB_RNR : XOTLIB_REJ;
}

int xotlib_decode(const uint8_t *packet, size_t len, int modulo, struct xotlib_packet *out)
{
	memset(out, 0, sizeof(*out));
	out->type = XOTLIB_ILLEGAL;
	if (len < XOTLIB_PACKET_MIN)
		return -1;
	uint8_t b0 = packet[0], b2 = packet[2];
	out->q = (b0 & 0x80) != 0;
	out->d = (b0 & 0x40) != 0;
	out->gfi_modulo = b0 & 0x30;
	out->lci = (uint16_t)((b0 & 0x0F) << 8 | packet[1]);

	for (size_t i = 0; i < sizeof(fixed_types) / sizeof(fixed_types[0]); i++) {
		if (fixed_types[i].code != b2)
			continue;
		out->type = fixed_types[i].type;
		if (out->type == XOTLIB_CLEAR_REQUEST || out->type == XOTLIB_RESET_REQUEST) {
			if (len < 4)
				return -1; /* the cause is mandatory */
			out->has_cause = true;
			out->cause = packet[3];
			out->has_diag = len >= 5;
			out->diag = len >= 5 ? packet[4] : 0;
		} else if (out->type == XOTLIB_INTERRUPT) {
			out->data = packet + 3;
			out->data_len = len - 3;
		}
		return 0;
	}
	if (modulo == 128) {
		if (b2 == PTI_RR || b2 == PTI_RNR || b2 == PTI_REJ) {
			out->type = flow_type(b2);
			if (len < 4)
				return -1;
			out->pr = packet[3] >> 1;
			return 0;
		}
		if ((b2 & 1) == 0) {
			out->type = XOTLIB_DATA;
			if (len < 4)
				return -1;
			out->ps = b2 >> 1;
			out->pr = packet[3] >> 1;
			out->m = packet[3] & 1;
			out->data = packet + 4;
			out->data_len = len - 4;
		}
		return 0;
	}
	uint8_t low = b2 & 0x1F;
	if (low == PTI_RR || low == PTI_RNR || low == PTI_REJ) {
		out->type = flow_type(low);
		out->pr = b2 >> 5;
	} else if ((b2 & 1) == 0) {
		out->type = XOTLIB_DATA;
		out->pr = b2 >> 5;
		out->m = (b2 >> 4) & 1;
		out->ps = (b2 >> 1) & 7;
		out->data = packet + 3;
		out->data_len = len - 3;
	}
	return 0;
}

/* --- facilities --- */

size_t xotlib_build_facilities(uint8_t *out, const struct xotlib_facilities *fac)
{
	size_t n = 1;

	if (fac->has_packet) {
		out[n++] = 0x42;
		out[n++] = fac->packet_in;
		out[n++] = fac->packet_out;
	}
	if (fac->has_window) {
		out[n++] = 0x43;
		out[n++] = fac->window_in;
		out[n++] = fac->window_out;
	}
	out[0] = (uint8_t)(n - 1);
	return n;
}

int xotlib_parse_facilities(const uint8_t *field, size_t len, struct xotlib_facilities *fac,
			    const char **why)
{
	size_t i = 0;

	memset(fac, 0, sizeof(*fac));
	while (i < len) {
		uint8_t code = field[i];
		size_t element; /* bytes of this element, code included */

		switch (code & 0xC0) {
		case 0x00:
			element = 2;
			break;
		case 0x40:
			element = 3;
			break;
		case 0x80:
			element = 4;
			break;
		default: /* class D: code, length, that many bytes */
			if (i + 1 >= len) {
				*why = "a class D facility has no length byte";
				return -1;
			}
			element = 2 + (size_t)field[i + 1];
			break;
		}
		if (i + element > len) {
			*why = "a facility runs past the end of the facility field";
			return -1;
		}
		if (code == 0x42) {
			fac->has_packet = true;
			fac->packet_in = field[i + 1];
			fac->packet_out = field[i + 2];
		} else if (code == 0x43) {
			fac->has_window = true;
			fac->window_in = field[i + 1];
			fac->window_out = field[i + 2];
		}
		i += element;
	}
	return 0;
}

/* --- call set-up packets --- */

static bool digits_only(const char *s, size_t max)
{
	size_t len = strlen(s);

	return len <= max && strspn(s, "0123456789") == len;
}

/* GFI and LCI bytes for modulo; false for a modulo that is neither 8 nor 128. */
static bool put_header(uint8_t *out, int modulo, uint16_t lci, uint8_t type)
{
	if (modulo != 8 && modulo != 128)
		return false;
	out[0] = (uint8_t)((modulo == 128 ? XOTLIB_GFI_MOD128 : XOTLIB_GFI_MOD8) |
			   ((lci >> 8) & 0x0F));
	out[1] = (uint8_t)lci;
	out[2] = type;
	return true;
}

/* The BCD address block (docs/linux-x25.md §2.3); out needs 16 bytes. Returns its size. */
static size_t put_addresses(uint8_t *out, const char *called, const char *calling)
{
	size_t called_len = strlen(called), calling_len = strlen(calling);
	size_t size = 1 + (called_len + calling_len + 1) / 2;
	size_t nibble = 0;

	memset(out, 0, size);
	out[0] = (uint8_t)(calling_len << 4 | called_len);
	const char *both[2] = { called, calling };

	for (int k = 0; k < 2; k++)
		for (const char *c = both[k]; *c; c++, nibble++) {
			uint8_t v = (uint8_t)(*c - '0');

			out[1 + nibble / 2] |= nibble % 2 ? v : (uint8_t)(v << 4);
		}
	return size;
}

/* Everything up to the facility field; 0 when the call cannot be encoded. */
static size_t put_call_start(uint8_t *out, size_t cap, const struct xotlib_call *call, uint8_t type)
{
	/* header 3 + address block up to 16 + facilities up to 7 */
	if (cap < 3 + 16 + 7 || !digits_only(call->called, XOTLIB_ADDRESS_DIGITS) ||
	    !digits_only(call->calling, XOTLIB_ADDRESS_DIGITS) ||
	    !put_header(out, call->modulo, call->lci, type))
		return 0;
	size_t n = 3 + put_addresses(out + 3, call->called, call->calling);
	return n + xotlib_build_facilities(out + n, &call->fac);
}

size_t xotlib_build_call_request(uint8_t *out, size_t cap, const struct xotlib_call *call)
{
	if (call->cud_len > XOTLIB_CUD_MAX)
		return 0;
	size_t n = put_call_start(out, cap, call, 0x0B);
	if (n == 0 || n + call->cud_len > cap)
		return 0;
	memcpy(out + n, call->cud, call->cud_len);
	return n + call->cud_len;
}

size_t xotlib_build_call_accepted(uint8_t *out, size_t cap, const struct xotlib_call *call)
{
	return put_call_start(out, cap, call, 0x0F);
}

/* Decode the address block at p (avail bytes): its size, or 0 after setting *why. */
static size_t parse_addresses(const uint8_t *p, size_t avail, struct xotlib_call *call,
			      const char **why)
{
	size_t called_len = p[0] & 0x0F, calling_len = p[0] >> 4;
	size_t size = 1 + (called_len + calling_len + 1) / 2;

	if (size > avail) {
		*why = "the address block runs past the end of the packet";
		return 0;
	}
	for (size_t i = 0; i < called_len + calling_len; i++) {
		uint8_t v = i % 2 ? p[1 + i / 2] & 0x0F : p[1 + i / 2] >> 4;

		if (v > 9) {
			*why = "an address digit is not BCD (0-9)";
			return 0;
		}
		if (i < called_len)
			call->called[i] = (char)('0' + v);
		else
			call->calling[i - called_len] = (char)('0' + v);
	}
	call->called[called_len] = '\0';
	call->calling[calling_len] = '\0';
	return size;
}

int xotlib_parse_call(const uint8_t *packet, size_t len, struct xotlib_call *call, const char **why,
		      uint8_t *diag)
{
	bool request;

	memset(call, 0, sizeof(*call));
	*diag = XOTLIB_DIAG_NONE;
	if (len < 3 || (packet[2] != 0x0B && packet[2] != 0x0F)) {
		*why = "not a CALL REQUEST or CALL ACCEPTED";
		*diag = XOTLIB_DIAG_PACKET_TOO_SHORT;
		return -1;
	}
	request = packet[2] == 0x0B;
	switch (packet[0] & 0x30) {
	case XOTLIB_GFI_MOD8:
		call->modulo = 8;
		break;
	case XOTLIB_GFI_MOD128:
		call->modulo = 128;
		break;
	default:
		*why = "the GFI asks for neither modulo 8 nor modulo 128";
		*diag = XOTLIB_DIAG_INVALID_GFI;
		return -1;
	}
	call->lci = (uint16_t)((packet[0] & 0x0F) << 8 | packet[1]);

	size_t at = 3;
	if (at == len) {
		if (!request)
			return 0; /* a bare CALL ACCEPTED (docs/linux-x25.md §3.5) */
		*why = "the CALL REQUEST has no address block";
		*diag = XOTLIB_DIAG_PACKET_TOO_SHORT;
		return -1;
	}
	size_t block = parse_addresses(packet + at, len - at, call, why);
	if (block == 0) {
		*diag = XOTLIB_DIAG_INVALID_CALLED_ADDRESS;
		return -1;
	}
	at += block;
	if (at == len) {
		if (!request)
			return 0;
		*why = "the CALL REQUEST has no facility length byte";
		*diag = XOTLIB_DIAG_INVALID_FACILITY_LENGTH;
		return -1;
	}
	size_t fac_len = packet[at++];
	if (at + fac_len > len) {
		*why = "the facility field runs past the end of the packet";
		*diag = XOTLIB_DIAG_INVALID_FACILITY_LENGTH;
		return -1;
	}
	if (xotlib_parse_facilities(packet + at, fac_len, &call->fac, why) < 0) {
		*diag = XOTLIB_DIAG_INVALID_FACILITY_LENGTH;
		return -1;
	}
	at += fac_len;
	if (len - at > XOTLIB_CUD_MAX) {
		*why = "the call user data is longer than 128 bytes";
		*diag = XOTLIB_DIAG_PACKET_TOO_LONG;
		return -1;
	}
	call->cud_len = len - at;
	memcpy(call->cud, packet + at, call->cud_len);
	return 0;
}

/* --- fixed-layout packets --- */

size_t xotlib_build_data_header(uint8_t *out, int modulo, uint16_t lci, bool q, unsigned ps,
				unsigned pr, bool m)
{
	ps %= (unsigned)modulo;
	pr %= (unsigned)modulo;
	if (modulo == 128) {
		put_header(out, 128, lci, (uint8_t)(ps << 1));
		out[3] = (uint8_t)(pr << 1 | (m ? 1 : 0));
	} else {
		put_header(out, 8, lci, (uint8_t)(pr << 5 | (m ? 0x10 : 0) | ps << 1));
	}
	if (q)
		out[0] |= 0x80;
	return modulo == 128 ? 4 : 3;
}

static size_t build_flow(uint8_t *out, int modulo, uint16_t lci, uint8_t code, unsigned pr)
{
	pr %= (unsigned)modulo;
	if (modulo == 128) {
		put_header(out, 128, lci, code);
		out[3] = (uint8_t)(pr << 1);
		return 4;
	}
	put_header(out, 8, lci, (uint8_t)(pr << 5 | code));
	return 3;
}

size_t xotlib_build_rr(uint8_t *out, int modulo, uint16_t lci, unsigned pr)
{
	return build_flow(out, modulo, lci, PTI_RR, pr);
}

size_t xotlib_build_rnr(uint8_t *out, int modulo, uint16_t lci, unsigned pr)
{
	return build_flow(out, modulo, lci, PTI_RNR, pr);
}

size_t xotlib_build_clear(uint8_t *out, int modulo, uint16_t lci, uint8_t cause, uint8_t diag)
{
	put_header(out, modulo == 128 ? 128 : 8, lci, 0x13);
	out[3] = cause;
	out[4] = diag; /* Linux wants all 5 bytes (docs/linux-x25.md §2.6) */
	return 5;
}

size_t xotlib_build_clear_confirmation(uint8_t *out, int modulo, uint16_t lci)
{
	put_header(out, modulo == 128 ? 128 : 8, lci, 0x17);
	return 3;
}

size_t xotlib_build_reset(uint8_t *out, int modulo, uint16_t lci, uint8_t cause, uint8_t diag)
{
	put_header(out, modulo == 128 ? 128 : 8, lci, 0x1B);
	out[3] = cause;
	out[4] = diag;
	return 5;
}

size_t xotlib_build_reset_confirmation(uint8_t *out, int modulo, uint16_t lci)
{
	put_header(out, modulo == 128 ? 128 : 8, lci, 0x1F);
	return 3;
}

size_t xotlib_build_interrupt_confirmation(uint8_t *out, int modulo, uint16_t lci)
{
	put_header(out, modulo == 128 ? 128 : 8, lci, 0x27);
	return 3;
}

/* --- TCP --- */

static void copy_text(char *out, size_t out_len, const char *text, size_t text_len)
{
	if (out_len == 0)
		return;
	if (text_len >= out_len)
		text_len = out_len - 1;
	memcpy(out, text, text_len);
	out[text_len] = '\0';
}

static bool all_digits(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

int xotlib_parse_endpoint(const char *text, bool port_alone, char *host, size_t host_len,
			  char *port, size_t port_len, char *error, size_t error_len)
{
	const char *host_start = text, *host_end, *port_text = NULL;

	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (!close || close == text + 1) {
			snprintf(error, error_len,
				 "'%s': an IPv6 address goes in brackets: [::1]:1998", text);
			return -1;
		}
		host_start = text + 1;
		host_end = close;
		if (close[1] == ':')
			port_text = close + 2;
		else if (close[1] != '\0') {
			snprintf(error, error_len, "'%s': expected [address]:port", text);
			return -1;
		}
	} else {
		const char *colon = strchr(text, ':');

		host_end = text + strlen(text);
		if (colon && strchr(colon + 1, ':') == NULL) { /* one colon: host:port */
			host_end = colon;
			port_text = colon + 1;
		} else if (!colon && port_alone && all_digits(text)) {
			host_end = text; /* a listener's PORT alone */
			port_text = text;
		}
		/* two colons or more: a bare IPv6 address, default port */
	}
	if (port_text && !all_digits(port_text)) {
		snprintf(error, error_len, "'%s': the port must be a number from 0 to 65535", text);
		return -1;
	}
	if (port_text) {
		long value = strtol(port_text, NULL, 10);

		if (strlen(port_text) > 5 || value > 65535) {
			snprintf(error, error_len,
				 "'%s': the port must be a number from 0 to 65535", text);
			return -1;
		}
	}
	if ((size_t)(host_end - host_start) >= host_len) {
		snprintf(error, error_len, "'%s': the host name is too long", text);
		return -1;
	}
	copy_text(host, host_len, host_start, (size_t)(host_end - host_start));
	copy_text(port, port_len, port_text ? port_text : XOTLIB_PORT,
		  strlen(port_text ? port_text : XOTLIB_PORT));
	return 0;
}

struct addrinfo *xotlib_resolve(const char *host, const char *port, bool passive, char *error,
				size_t error_len)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_protocol = IPPROTO_TCP,
		.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0),
	};
	struct addrinfo *list = NULL;
	int rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &list);

	if (rc != 0) {
		snprintf(error, error_len, "cannot resolve '%s' port %s: %s", host[0] ? host : "*",
			 port, rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return NULL;
	}
	return list;
}

void xotlib_format_address(const struct sockaddr *sa, socklen_t len, char *out, size_t out_len)
{
	char host[NI_MAXHOST], port[NI_MAXSERV];

	if (getnameinfo(sa, len, host, sizeof(host), port, sizeof(port),
			NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(out, out_len, "(unknown address)");
		return;
	}
	snprintf(out, out_len, sa->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);
}

int xotlib_listen(const char *host, const char *port, int backlog, char *bound, size_t bound_len,
		  char *error, size_t error_len)
{
	struct addrinfo *list = xotlib_resolve(host, port, true, error, error_len);
	int fd = -1;

	if (!list)
		return -1;
	/* With no host, getaddrinfo lists 0.0.0.0 before ::; prefer :: (it takes IPv4 too). */
	for (int pass = 0; pass < 2 && fd < 0; pass++)
		for (struct addrinfo *ai = list; ai && fd < 0; ai = ai->ai_next) {
			int one = 1;

			if (host[0] == '\0' && (pass == 0) != (ai->ai_family == AF_INET6))
				continue;
			if (host[0] != '\0' && pass == 1)
				break;
			fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
			if (fd < 0) {
				snprintf(error, error_len, "socket: %s", strerror(errno));
				continue;
			}
			if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
			    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, backlog) < 0) {
				char where[80];

				xotlib_format_address(ai->ai_addr, ai->ai_addrlen, where,
						      sizeof(where));
				snprintf(error, error_len, "cannot listen on %s: %s", where,
					 strerror(errno));
				close(fd);
				fd = -1;
			}
		}
	freeaddrinfo(list);
	if (fd >= 0 && bound_len > 0) {
		struct sockaddr_storage ss;
		socklen_t ss_len = sizeof(ss);

		if (getsockname(fd, (struct sockaddr *)&ss, &ss_len) == 0)
			xotlib_format_address((struct sockaddr *)&ss, ss_len, bound, bound_len);
		else
			snprintf(bound, bound_len, "%s:%s", host, port);
	}
	return fd;
}

int xotlib_set_nodelay(int fd)
{
	int one = 1;

	return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int xotlib_connect_start(int fd, const struct sockaddr *sa, socklen_t len)
{
	if (x25_set_blocking(fd, false) < 0)
		return errno;
	if (connect(fd, sa, len) < 0)
		return errno; /* EINPROGRESS: the handshake is under way */
	return x25_set_blocking(fd, true) < 0 ? errno : 0;
}

int xotlib_connect_finish(int fd)
{
	int err = 0;
	socklen_t err_len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) < 0)
		return errno;
	if (err)
		return err;
	return x25_set_blocking(fd, true) < 0 ? errno : 0;
}
