// SPDX-License-Identifier: GPL-2.0-or-later
/* xotlib_vc.c - one X.25 virtual circuit over one XOT connection, played as a DTE (xotlib.h). */
#include "xotlib.h"
#include "x25lib.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OUT_BUFFER    65536 /* framed packets collected before one send() */
#define RECORD_PREFIX 5     /* a queued record: 4-byte length, Q byte */

static uint64_t deadline_after(int timeout_ms)
{
	return timeout_ms < 0 ? 0 : x25_monotonic_ns() + (uint64_t)timeout_ms * 1000000u + 1;
}

static enum xotlib_result fail(struct xotlib_vc *vc, enum xotlib_result result, const char *fmt,
			       ...) __attribute__((format(printf, 3, 4)));
static enum xotlib_result protocol_error(struct xotlib_vc *vc, uint8_t diag, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Keep why the operation ended, for the program's message. */
static enum xotlib_result fail(struct xotlib_vc *vc, enum xotlib_result result, const char *fmt,
			       ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(vc->why, sizeof(vc->why), fmt, ap);
	va_end(ap);
	return result;
}

/* The peer broke the protocol: keep the diagnostic to clear with. */
static enum xotlib_result protocol_error(struct xotlib_vc *vc, uint8_t diag, const char *fmt, ...)
{
	va_list ap;

	vc->diag = diag;
	va_start(ap, fmt);
	vsnprintf(vc->why, sizeof(vc->why), fmt, ap);
	va_end(ap);
	return XOTLIB_PROTOCOL;
}

static enum xotlib_result io_error(struct xotlib_vc *vc, const char *doing)
{
	vc->error_errno = errno;
	return fail(vc, XOTLIB_IO_ERROR, "%s: %s", doing, strerror(vc->error_errno));
}

int xotlib_vc_init(struct xotlib_vc *vc, int fd)
{
	memset(vc, 0, sizeof(*vc));
	vc->fd = fd;
	vc->state = XOTLIB_VC_READY;
	vc->modulo = 8;
	vc->ack_delay_ms = 100;
	vc->wake_fd = -1;
	vc->max_record = XOTLIB_RECORD_MAX;
	vc->reader = malloc(sizeof(*vc->reader));
	vc->out_cap = OUT_BUFFER;
	vc->out = malloc(vc->out_cap);
	if (!vc->reader || !vc->out) {
		xotlib_vc_free(vc);
		errno = ENOMEM;
		return -1;
	}
	xotlib_reader_init(vc->reader);
	return 0;
}

void xotlib_vc_free(struct xotlib_vc *vc)
{
	free(vc->reader);
	free(vc->out);
	free(vc->rx);
	vc->reader = NULL;
	vc->out = vc->rx = NULL;
	vc->out_len = vc->out_cap = vc->rx_len = vc->rx_cap = 0;
}

/* --- sending: packets are collected in vc->out and written before any wait --- */

static enum xotlib_result flush(struct xotlib_vc *vc)
{
	size_t done = 0;

	while (done < vc->out_len) {
		ssize_t sent = send(vc->fd, vc->out + done, vc->out_len - done, MSG_NOSIGNAL);

		if (sent < 0) {
			if (errno == EINTR)
				continue;
			vc->out_len = 0;
			return io_error(vc, "cannot send to the peer");
		}
		done += (size_t)sent;
	}
	vc->out_len = 0;
	return XOTLIB_OK;
}

/* Room for a framed packet of len bytes in vc->out; a pointer to where it goes. */
static uint8_t *out_reserve(struct xotlib_vc *vc, size_t len, enum xotlib_result *result)
{
	*result = XOTLIB_OK;
	if (vc->out_len + XOTLIB_HEADER_LEN + len > vc->out_cap)
		*result = flush(vc);
	if (*result != XOTLIB_OK)
		return NULL;
	uint8_t *at = vc->out + vc->out_len;
	xotlib_header_put(at, len);
	vc->out_len += XOTLIB_HEADER_LEN + len;
	return at + XOTLIB_HEADER_LEN;
}

static enum xotlib_result queue_packet(struct xotlib_vc *vc, const uint8_t *packet, size_t len)
{
	enum xotlib_result result;
	uint8_t *at = out_reserve(vc, len, &result);

	if (at)
		memcpy(at, packet, len);
	return result;
}

/* RR with P(R) = V(R): everything received so far is acknowledged. */
static enum xotlib_result queue_rr(struct xotlib_vc *vc)
{
	uint8_t rr[4];

	vc->vl = vc->vr;
	vc->ack_owed_since = 0;
	vc->rr_sent++;
	return queue_packet(vc, rr, xotlib_build_rr(rr, vc->modulo, vc->lci, vc->vr));
}

static enum xotlib_result queue_data(struct xotlib_vc *vc, const uint8_t *payload, size_t n, bool q,
				     bool m)
{
	enum xotlib_result result;
	size_t header = vc->modulo == 128 ? 4 : 3;
	uint8_t *at = out_reserve(vc, header + n, &result);

	if (!at)
		return result;
	xotlib_build_data_header(at, vc->modulo, vc->lci, q, vc->vs, vc->vr, m);
	memcpy(at + header, payload, n);
	vc->vs = xotlib_seq_add(vc->vs, 1, vc->modulo);
	vc->vl = vc->vr; /* the P(R) in the packet acknowledges */
	vc->ack_owed_since = 0;
	vc->data_sent++;
	return XOTLIB_OK;
}

/* --- receiving --- */

/* Too many complete records unread: hold acknowledgements back so the peer's window stops it. */
static bool acks_held(const struct xotlib_vc *vc)
{
	return vc->rx_queued > vc->max_record;
}

/* RR once the receive window is full (docs/linux-x25.md §4.3), unless held back. */
static enum xotlib_result ack_if_window_full(struct xotlib_vc *vc)
{
	if (vc->state == XOTLIB_VC_DATA && !acks_held(vc) &&
	    xotlib_seq_diff(vc->vr, vc->vl, vc->modulo) >= vc->recv_window)
		return queue_rr(vc);
	return XOTLIB_OK;
}

/*
 * Write what is queued, then wait for one packet until deadline_ns (0: no limit). An
 * acknowledgement owed for ack_delay_ms is sent meanwhile (Linux's T2).
 */
static enum xotlib_result next_packet(struct xotlib_vc *vc, uint64_t deadline_ns, int wake_fd,
				      const uint8_t **packet, size_t *len)
{
	for (;;) {
		enum xotlib_result result = flush(vc);
		if (result != XOTLIB_OK)
			return result;

		uint64_t wake_at = deadline_ns;
		bool ack_timer = vc->state == XOTLIB_VC_DATA && vc->ack_owed_since != 0 &&
				 vc->vr != vc->vl && !acks_held(vc);
		uint64_t ack_at = vc->ack_owed_since + (uint64_t)vc->ack_delay_ms * 1000000u;
		if (ack_timer && (wake_at == 0 || ack_at < wake_at))
			wake_at = ack_at;
		int timeout = -1;
		if (wake_at != 0) {
			uint64_t now = x25_monotonic_ns();
			timeout = now >= wake_at ? 0 : (int)((wake_at - now + 999999) / 1000000);
		}

		result = xotlib_recv_packet(vc->fd, vc->reader, timeout, wake_fd, packet, len);
		switch (result) {
		case XOTLIB_OK:
			return XOTLIB_OK;
		case XOTLIB_TIMEOUT:
			if (ack_timer && x25_monotonic_ns() >= ack_at) {
				result = queue_rr(vc);
				if (result != XOTLIB_OK)
					return result;
				continue;
			}
			if (deadline_ns != 0 && x25_monotonic_ns() < deadline_ns)
				continue; /* woke early for the acknowledgement timer */
			return fail(vc, XOTLIB_TIMEOUT, "no packet from the peer in time");
		case XOTLIB_WOKEN:
			return fail(vc, XOTLIB_WOKEN, "stopped while waiting for the peer");
		case XOTLIB_CLOSED:
			return fail(vc, XOTLIB_CLOSED, "the peer closed the TCP connection");
		case XOTLIB_IO_ERROR:
			return io_error(vc, "cannot read from the peer");
		case XOTLIB_FRAMING:
			return fail(vc, XOTLIB_FRAMING, "%s", vc->reader->error);
		case XOTLIB_CLEARED:
		case XOTLIB_RESET:
		case XOTLIB_PROTOCOL:
			break;
		}
		return fail(vc, result, "unexpected result from xotlib_recv_packet");
	}
}

static bool grow_rx(struct xotlib_vc *vc, size_t need)
{
	if (vc->rx_len + need <= vc->rx_cap)
		return true;
	size_t cap = vc->rx_cap ? vc->rx_cap : 4096;
	while (cap < vc->rx_len + need)
		cap *= 2;
	uint8_t *grown = realloc(vc->rx, cap);
	if (!grown)
		return false;
	vc->rx = grown;
	vc->rx_cap = cap;
	return true;
}

static void put_u32(uint8_t *at, uint32_t v)
{
	memcpy(at, &v, sizeof(v));
}

static uint32_t get_u32(const uint8_t *at)
{
	uint32_t v;

	memcpy(&v, at, sizeof(v));
	return v;
}

/* A DATA packet in flow-control state: sequence checks, reassembly, acknowledgement. */
static enum xotlib_result take_data(struct xotlib_vc *vc, const struct xotlib_packet *p)
{
	if (p->ps != vc->vr)
		return protocol_error(vc, XOTLIB_DIAG_INVALID_PS,
				      "DATA with P(S) %u where %u was due", p->ps, vc->vr);
	if (!xotlib_seq_pr_valid(p->pr, vc->va, vc->vs, vc->modulo))
		return protocol_error(vc, XOTLIB_DIAG_INVALID_PR,
				      "DATA with P(R) %u outside [V(A) %u, V(S) %u]", p->pr, vc->va,
				      vc->vs);
	if (p->data_len > vc->recv_packet)
		return protocol_error(vc, XOTLIB_DIAG_PACKET_TOO_LONG,
				      "DATA of %zu bytes; the packet size agreed is %zu",
				      p->data_len, vc->recv_packet);
	vc->va = p->pr;
	if (!vc->rx_partial) {
		if (!grow_rx(vc, RECORD_PREFIX))
			goto out_of_memory;
		vc->rx_partial = true;
		vc->rx_partial_at = vc->rx_len;
		vc->rx[vc->rx_len + 4] = p->q; /* a record's Q is its first packet's */
		vc->rx_len += RECORD_PREFIX;
	}
	size_t record = vc->rx_len - vc->rx_partial_at - RECORD_PREFIX + p->data_len;
	if (record > vc->max_record)
		return protocol_error(vc, XOTLIB_DIAG_PACKET_TOO_LONG,
				      "a record longer than %zu bytes (M bit never cleared?)",
				      vc->max_record);
	if (!grow_rx(vc, p->data_len))
		goto out_of_memory;
	memcpy(vc->rx + vc->rx_len, p->data, p->data_len);
	vc->rx_len += p->data_len;
	vc->vr = xotlib_seq_add(vc->vr, 1, vc->modulo);
	vc->data_received++;
	if (vc->ack_owed_since == 0)
		vc->ack_owed_since = x25_monotonic_ns();
	if (!p->m) {
		put_u32(vc->rx + vc->rx_partial_at, (uint32_t)record);
		vc->rx_partial = false;
		vc->rx_queued += RECORD_PREFIX + record;
	}
	return ack_if_window_full(vc);

out_of_memory:
	errno = ENOMEM;
	return io_error(vc, "cannot hold the record being received");
}

static uint8_t gfi_modulo_bits(int modulo)
{
	return modulo == 128 ? XOTLIB_GFI_MOD128 : XOTLIB_GFI_MOD8;
}

/* The peer's CLEAR: confirm it, keep its cause and diagnostic. */
static enum xotlib_result take_clear(struct xotlib_vc *vc, const struct xotlib_packet *p)
{
	uint8_t confirm[3];

	vc->cause = p->cause;
	vc->diag = p->diag;
	vc->state = XOTLIB_VC_CLEARED;
	enum xotlib_result result = queue_packet(
		vc, confirm, xotlib_build_clear_confirmation(confirm, vc->modulo, vc->lci));
	if (result == XOTLIB_OK)
		flush(vc); /* the peer may have closed already (RFC 1613 §6.1): not an error */
	return fail(vc, XOTLIB_CLEARED, "cleared by the peer, cause 0x%02x, diagnostic %u",
		    p->cause, p->diag);
}

/* Any packet in flow-control state (d1). */
static enum xotlib_result take_packet(struct xotlib_vc *vc, const uint8_t *packet, size_t len)
{
	struct xotlib_packet p;

	if (xotlib_decode(packet, len, vc->modulo, &p) < 0)
		return protocol_error(vc, XOTLIB_DIAG_PACKET_TOO_SHORT, "a %s of only %zu bytes",
				      xotlib_type_name(p.type), len);
	if (xotlib_type_local_only(p.type)) {
		vc->discarded++; /* RFC 1613 §6.4 */
		return XOTLIB_OK;
	}
	if (p.gfi_modulo != gfi_modulo_bits(vc->modulo))
		return protocol_error(vc, XOTLIB_DIAG_INVALID_GFI,
				      "a %s whose GFI has modulo bits 0x%02x on a modulo-%d call",
				      xotlib_type_name(p.type), p.gfi_modulo, vc->modulo);
	switch (p.type) {
	case XOTLIB_DATA:
		return take_data(vc, &p);
	case XOTLIB_RR:
	case XOTLIB_RNR:
		if (!xotlib_seq_pr_valid(p.pr, vc->va, vc->vs, vc->modulo))
			return protocol_error(vc, XOTLIB_DIAG_INVALID_PR,
					      "%s with P(R) %u outside [V(A) %u, V(S) %u]",
					      xotlib_type_name(p.type), p.pr, vc->va, vc->vs);
		vc->va = p.pr;
		vc->peer_busy = p.type == XOTLIB_RNR;
		if (p.type == XOTLIB_RR)
			vc->rr_received++;
		else
			vc->rnr_received++;
		return XOTLIB_OK;
	case XOTLIB_INTERRUPT: {
		uint8_t confirm[3]; /* a DTE must confirm every interrupt; the data goes nowhere */

		vc->interrupts_confirmed++;
		return queue_packet(
			vc, confirm,
			xotlib_build_interrupt_confirmation(confirm, vc->modulo, vc->lci));
	}
	case XOTLIB_CLEAR_REQUEST:
		return take_clear(vc, &p);
	case XOTLIB_RESET_REQUEST:
		vc->cause = p.cause;
		vc->diag = p.diag;
		return fail(vc, XOTLIB_RESET, "reset by the peer, cause 0x%02x, diagnostic %u",
			    p.cause, p.diag);
	case XOTLIB_INTERRUPT_CONFIRMATION:
		return protocol_error(vc, XOTLIB_DIAG_UNAUTHORIZED_INTERRUPT_CONF,
				      "INTERRUPT CONFIRMATION, but no interrupt was sent");
	case XOTLIB_CALL_REQUEST:
	case XOTLIB_CALL_ACCEPTED:
	case XOTLIB_CLEAR_CONFIRMATION:
	case XOTLIB_RESET_CONFIRMATION:
	case XOTLIB_ILLEGAL:
		return protocol_error(vc, XOTLIB_DIAG_TYPE_INVALID_D1,
				      "%s (byte 2 0x%02x) during data transfer",
				      xotlib_type_name(p.type), packet[2]);
	case XOTLIB_REJ:
	case XOTLIB_RESTART_REQUEST:
	case XOTLIB_RESTART_CONFIRMATION:
	case XOTLIB_DIAGNOSTIC:
	case XOTLIB_REGISTRATION_REQUEST:
	case XOTLIB_REGISTRATION_CONFIRMATION:
		break; /* discarded above */
	}
	return XOTLIB_OK;
}

/* --- call set-up --- */

static bool facilities_in_range(const struct xotlib_facilities *fac, int modulo)
{
	unsigned top = modulo == 128 ? 127 : 7;

	return xotlib_packet_bytes(fac->packet_in) && xotlib_packet_bytes(fac->packet_out) &&
	       fac->window_in >= 1 && fac->window_in <= top && fac->window_out >= 1 &&
	       fac->window_out <= top;
}

/* Flow control starts: V(S) = V(R) = V(A) = 0. send_is_in: this end sends per byte 1. */
static void enter_data(struct xotlib_vc *vc, bool send_is_in)
{
	const struct xotlib_facilities *f = &vc->fac;

	vc->send_packet = xotlib_packet_bytes(send_is_in ? f->packet_in : f->packet_out);
	vc->recv_packet = xotlib_packet_bytes(send_is_in ? f->packet_out : f->packet_in);
	vc->send_window = send_is_in ? f->window_in : f->window_out;
	vc->recv_window = send_is_in ? f->window_out : f->window_in;
	vc->vs = vc->va = vc->vr = vc->vl = 0;
	vc->peer_busy = false;
	vc->ack_owed_since = 0;
	vc->state = XOTLIB_VC_DATA;
}

enum xotlib_result xotlib_vc_call(struct xotlib_vc *vc, const struct xotlib_call *call,
				  int timeout_ms)
{
	struct xotlib_call request = *call;
	uint8_t packet[XOTLIB_PACKET_MAX];
	uint64_t deadline = deadline_after(timeout_ms);

	/* RFC 1613 §6.1: the CALL packet MUST carry both flow-control facilities. */
	if (!request.fac.has_packet) {
		request.fac.has_packet = true;
		request.fac.packet_in = request.fac.packet_out = XOTLIB_DEFAULT_PACKET_LOG2;
	}
	if (!request.fac.has_window) {
		request.fac.has_window = true;
		request.fac.window_in = request.fac.window_out = XOTLIB_DEFAULT_WINDOW;
	}
	size_t len = xotlib_build_call_request(packet, sizeof(packet), &request);
	if (len == 0 || !facilities_in_range(&request.fac, request.modulo)) {
		errno = EINVAL;
		return io_error(vc, "cannot encode the CALL REQUEST (addresses of 0-15 digits, "
				    "modulo 8 or 128, facilities in range, CUD up to 128 bytes)");
	}
	vc->modulo = request.modulo;
	vc->lci = request.lci;
	vc->calling = true;
	vc->fac = request.fac;
	vc->state = XOTLIB_VC_CALLING;
	enum xotlib_result result = queue_packet(vc, packet, len);
	if (result != XOTLIB_OK)
		return result;

	for (;;) {
		const uint8_t *in;
		size_t in_len;
		struct xotlib_packet p;

		result = next_packet(vc, deadline, vc->wake_fd, &in, &in_len);
		if (result == XOTLIB_TIMEOUT)
			return fail(vc, result, "no answer to the CALL REQUEST within %d ms",
				    timeout_ms);
		if (result != XOTLIB_OK)
			return result;
		if (xotlib_decode(in, in_len, vc->modulo, &p) < 0)
			return protocol_error(vc, XOTLIB_DIAG_PACKET_TOO_SHORT,
					      "a %s of only %zu bytes while calling",
					      xotlib_type_name(p.type), in_len);
		if (xotlib_type_local_only(p.type)) {
			vc->discarded++;
			continue;
		}
		if (p.type == XOTLIB_CLEAR_REQUEST)
			return take_clear(vc, &p);
		if (p.type != XOTLIB_CALL_ACCEPTED)
			return protocol_error(vc, XOTLIB_DIAG_TYPE_INVALID_P2,
					      "%s while waiting for CALL ACCEPTED",
					      xotlib_type_name(p.type));

		struct xotlib_call accepted;
		const char *why;
		uint8_t diag;
		if (xotlib_parse_call(in, in_len, &accepted, &why, &diag) < 0)
			return protocol_error(vc, diag, "CALL ACCEPTED: %s", why);
		if (accepted.modulo != vc->modulo)
			return protocol_error(vc, XOTLIB_DIAG_INVALID_GFI,
					      "CALL ACCEPTED for modulo %d on a modulo-%d call",
					      accepted.modulo, vc->modulo);
		if (accepted.fac.has_packet) {
			vc->fac.packet_in = accepted.fac.packet_in;
			vc->fac.packet_out = accepted.fac.packet_out;
		}
		if (accepted.fac.has_window) {
			vc->fac.window_in = accepted.fac.window_in;
			vc->fac.window_out = accepted.fac.window_out;
		}
		if (!facilities_in_range(&vc->fac, vc->modulo))
			return protocol_error(
				vc, XOTLIB_DIAG_INVALID_FACILITY_PARAMETER,
				"CALL ACCEPTED with packet sizes %u/%u (log2) and windows "
				"%u/%u, out of range for modulo %d",
				vc->fac.packet_in, vc->fac.packet_out, vc->fac.window_in,
				vc->fac.window_out, vc->modulo);
		enter_data(vc, false); /* the caller sends per byte 2 */
		return XOTLIB_OK;
	}
}

enum xotlib_result xotlib_vc_wait_call(struct xotlib_vc *vc, struct xotlib_call *call,
				       int timeout_ms)
{
	uint64_t deadline = deadline_after(timeout_ms);

	for (;;) {
		const uint8_t *in;
		size_t in_len;
		const char *why;
		uint8_t diag;

		enum xotlib_result result = next_packet(vc, deadline, vc->wake_fd, &in, &in_len);
		if (result == XOTLIB_TIMEOUT)
			return fail(vc, result, "no CALL REQUEST within %d ms", timeout_ms);
		if (result != XOTLIB_OK)
			return result;
		if (in[2] != 0x0B) {
			vc->discarded++; /* RFC 1613 §6.1: anything before the call is discarded */
			continue;
		}
		vc->modulo = (in[0] & 0x30) == XOTLIB_GFI_MOD128 ? 128 : 8; /* for the CLEAR */
		vc->lci = (uint16_t)((in[0] & 0x0F) << 8 | in[1]);
		if (xotlib_parse_call(in, in_len, call, &why, &diag) < 0)
			return protocol_error(vc, diag, "CALL REQUEST: %s", why);
		const struct xotlib_facilities *f = &call->fac;
		unsigned top = call->modulo == 128 ? 127 : 7;
		if ((f->has_packet && ((f->packet_in && !xotlib_packet_bytes(f->packet_in)) ||
				       (f->packet_out && !xotlib_packet_bytes(f->packet_out)))) ||
		    (f->has_window && (f->window_in > top || f->window_out > top)))
			return protocol_error(
				vc, XOTLIB_DIAG_INVALID_FACILITY_PARAMETER,
				"CALL REQUEST with packet sizes %u/%u (log2) or windows "
				"%u/%u out of range for modulo %d",
				f->packet_in, f->packet_out, f->window_in, f->window_out,
				call->modulo);
		vc->state = XOTLIB_VC_CALLING;
		return XOTLIB_OK;
	}
}

/* One value of the answer: the caller's (the X.25 default when it left it out) or own,
 * whichever is smaller. */
static uint8_t agree(bool present, uint8_t theirs, uint8_t fallback, uint8_t own)
{
	uint8_t asked = present && theirs ? theirs : fallback;

	return asked < own ? asked : own;
}

void xotlib_negotiate(const struct xotlib_facilities *theirs, const struct xotlib_facilities *own,
		      int modulo, struct xotlib_facilities *agreed)
{
	uint8_t top = modulo == 128 ? 127 : 7;
	bool packet = theirs->has_packet, window = theirs->has_window;

	agreed->has_packet = agreed->has_window = true;
	agreed->packet_in =
		agree(packet, theirs->packet_in, XOTLIB_DEFAULT_PACKET_LOG2, own->packet_in);
	agreed->packet_out =
		agree(packet, theirs->packet_out, XOTLIB_DEFAULT_PACKET_LOG2, own->packet_out);
	agreed->window_in = agree(window, theirs->window_in, XOTLIB_DEFAULT_WINDOW, own->window_in);
	agreed->window_out =
		agree(window, theirs->window_out, XOTLIB_DEFAULT_WINDOW, own->window_out);
	if (agreed->window_in > top)
		agreed->window_in = top;
	if (agreed->window_out > top)
		agreed->window_out = top;
}

enum xotlib_result xotlib_vc_accept(struct xotlib_vc *vc, const struct xotlib_call *call,
				    const struct xotlib_facilities *own)
{
	struct xotlib_call answer = { .modulo = call->modulo, .lci = call->lci };
	uint8_t packet[64];

	xotlib_negotiate(&call->fac, own, call->modulo, &answer.fac);
	size_t len = xotlib_build_call_accepted(packet, sizeof(packet), &answer);
	if (len == 0 || !facilities_in_range(&answer.fac, call->modulo)) {
		errno = EINVAL;
		return io_error(vc,
				"cannot encode the CALL ACCEPTED (own facilities out of range?)");
	}
	vc->modulo = call->modulo;
	vc->lci = call->lci;
	vc->calling = false;
	vc->fac = answer.fac;
	enter_data(vc, true); /* the called end sends per byte 1 */
	enum xotlib_result result = queue_packet(vc, packet, len);
	return result == XOTLIB_OK ? flush(vc) : result;
}

enum xotlib_result xotlib_vc_refuse(struct xotlib_vc *vc, uint8_t cause, uint8_t diag,
				    int timeout_ms)
{
	return xotlib_vc_clear(vc, cause, diag, timeout_ms);
}

/* --- data transfer --- */

static enum xotlib_result not_in_data(struct xotlib_vc *vc)
{
	if (vc->state == XOTLIB_VC_CLEARED)
		return fail(vc, XOTLIB_CLEARED, "the call is cleared");
	errno = ENOTCONN;
	return io_error(vc, "no call is up on this connection");
}

enum xotlib_result xotlib_vc_send_record(struct xotlib_vc *vc, const uint8_t *data, size_t len,
					 bool q, int timeout_ms)
{
	size_t off = 0;

	if (vc->state != XOTLIB_VC_DATA)
		return not_in_data(vc);
	if (len > XOTLIB_RECORD_MAX) {
		errno = EMSGSIZE;
		return io_error(vc, "record too long");
	}
	do {
		while (vc->peer_busy ||
		       xotlib_seq_diff(vc->vs, vc->va, vc->modulo) >= vc->send_window) {
			const uint8_t *in;
			size_t in_len;

			enum xotlib_result result =
				next_packet(vc, deadline_after(timeout_ms), vc->wake_fd, &in, &in_len);
			if (result == XOTLIB_TIMEOUT)
				return fail(vc, result,
					    "the send window stayed closed for %d ms (%u packets "
					    "unacknowledged%s)",
					    timeout_ms, xotlib_seq_diff(vc->vs, vc->va, vc->modulo),
					    vc->peer_busy ? ", peer sent RNR" : "");
			if (result == XOTLIB_OK)
				result = take_packet(vc, in, in_len);
			if (result != XOTLIB_OK)
				return result;
		}
		size_t n = len - off < vc->send_packet ? len - off : vc->send_packet;
		enum xotlib_result result = queue_data(vc, data + off, n, q, off + n < len);
		if (result != XOTLIB_OK)
			return result;
		off += n;
	} while (off < len);
	return flush(vc);
}

/* The first queued record, if complete: copy it out and drop it. */
static bool pop_record(struct xotlib_vc *vc, uint8_t *buf, size_t cap, size_t *len, bool *q,
		       enum xotlib_result *result)
{
	if (vc->rx_len == 0 || (vc->rx_partial && vc->rx_partial_at == 0))
		return false;
	size_t record = get_u32(vc->rx);
	size_t entry = RECORD_PREFIX + record;

	*q = vc->rx[4] != 0;
	*len = record;
	*result = XOTLIB_OK;
	if (record > cap)
		*result = protocol_error(vc, XOTLIB_DIAG_PACKET_TOO_LONG,
					 "a record of %zu bytes, more than the %zu expected",
					 record, cap);
	else
		memcpy(buf, vc->rx + RECORD_PREFIX, record);
	memmove(vc->rx, vc->rx + entry, vc->rx_len - entry);
	vc->rx_len -= entry;
	vc->rx_queued -= entry;
	if (vc->rx_partial)
		vc->rx_partial_at -= entry;
	if (*result == XOTLIB_OK)
		*result = ack_if_window_full(vc); /* acknowledgements held back may go now */
	return true;
}

enum xotlib_result xotlib_vc_recv_record(struct xotlib_vc *vc, uint8_t *buf, size_t cap,
					 size_t *len, bool *q, int timeout_ms)
{
	enum xotlib_result result;

	*len = 0;
	*q = false;
	for (;;) {
		if (pop_record(vc, buf, cap, len, q, &result)) {
			/* an RR the last packet made due leaves now, not at the next call */
			if (result == XOTLIB_OK && vc->out_len > 0)
				result = flush(vc);
			return result;
		}
		if (vc->state != XOTLIB_VC_DATA)
			return not_in_data(vc);

		const uint8_t *in;
		size_t in_len;
		result = next_packet(vc, deadline_after(timeout_ms), vc->wake_fd, &in, &in_len);
		if (result == XOTLIB_TIMEOUT) {
			size_t partial =
				vc->rx_partial ? vc->rx_len - vc->rx_partial_at - RECORD_PREFIX : 0;

			return fail(vc, result,
				    "no packet from the peer for %d ms (%zu bytes of a record "
				    "received)",
				    timeout_ms, partial);
		}
		if (result == XOTLIB_OK)
			result = take_packet(vc, in, in_len);
		if (result != XOTLIB_OK)
			return result;
	}
}

/* --- clearing --- */

enum xotlib_result xotlib_vc_clear(struct xotlib_vc *vc, uint8_t cause, uint8_t diag,
				   int timeout_ms)
{
	uint8_t clear[5];
	uint64_t deadline = deadline_after(timeout_ms);

	if (vc->state == XOTLIB_VC_CLEARED)
		return XOTLIB_OK;
	vc->state = XOTLIB_VC_CLEARING;
	enum xotlib_result result = queue_packet(
		vc, clear, xotlib_build_clear(clear, vc->modulo, vc->lci, cause, diag));
	if (result != XOTLIB_OK)
		return result;
	for (;;) {
		const uint8_t *in;
		size_t in_len;
		struct xotlib_packet p;

		result = next_packet(vc, deadline, -1, &in, &in_len);
		if (result == XOTLIB_TIMEOUT)
			return fail(vc, result, "no CLEAR CONFIRMATION within %d ms", timeout_ms);
		if (result == XOTLIB_CLOSED)
			return fail(vc, result,
				    "the peer closed the TCP connection without "
				    "confirming the CLEAR");
		if (result != XOTLIB_OK)
			return result;
		if (xotlib_decode(in, in_len, vc->modulo, &p) == 0 &&
		    (p.type == XOTLIB_CLEAR_CONFIRMATION || p.type == XOTLIB_CLEAR_REQUEST)) {
			/* a crossing CLEAR ends the call as well (X.25 clear collision) */
			vc->state = XOTLIB_VC_CLEARED;
			return XOTLIB_OK;
		}
		vc->discarded++;
	}
}
