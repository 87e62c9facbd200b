// SPDX-License-Identifier: GPL-2.0-or-later
/* call.c - two-leg call state: set-up, relaying decisions, clearing handshake, timers. */
#include "call.h"

#include <string.h>

#include "callrec.h"
#include "lci.h"
#include "log.h"
#include "port.h"
#include "relay.h"
#include "target.h"
#include "tun.h"
#include "xot.h"

static void set_state(struct call *call, struct relay *relay, enum call_state state)
{
	if (call->state != CALL_FREE)
		relay->calls_by_state[call->state]--;
	call->state = (uint8_t)state;
	if (state != CALL_FREE)
		relay->calls_by_state[state]++;
}

static struct relay *relay_of(const struct call *call)
{
	return call->leg[LEG_CALLEE].port->relay;
}

/*
 * The call's end is decided: by a side's CLEAR, a timer, a failure, a shutdown. The first
 * decision wins; it is what the call's record says (docs/call-records.md).
 */
static void call_ends(struct call *call, enum call_end why, uint8_t side, uint8_t cause, uint8_t diag)
{
	if (call->end != CALL_END_NONE)
		return;
	call->end = (uint8_t)why;
	call->end_side = side;
	call->end_cause = cause;
	call->end_diag = diag;
	call->ended_ms = loop_now_ms();
}

/* The call's memory is its callee port's: a TUN's slot table, or an XOT connection. */
static void call_free(struct relay *relay, struct call *call)
{
	struct port *owner = call->leg[LEG_CALLEE].port;

	if (relay->callrec)
		callrec_call_ended(relay->callrec, call);
	timer_cancel(&call->setup);
	set_state(call, relay, CALL_FREE);
	owner->ops->call_freed(owner, call);
}

/* Recompute the call's state from its legs; free it when both legs are done. */
static void call_legs_changed(struct relay *relay, struct call *call)
{
	uint8_t a = call->leg[LEG_CALLER].state, b = call->leg[LEG_CALLEE].state;

	if (a == LEG_IDLE && b == LEG_IDLE) {
		call_free(relay, call);
		return;
	}
	if (a != LEG_OPEN && b != LEG_OPEN && call->state != CALL_CLEARING) {
		timer_cancel(&call->setup);
		set_state(call, relay, CALL_CLEARING);
	}
}

/* The leg's LCI is free again on its port. */
static void leg_release(struct leg *leg)
{
	if (leg->state == LEG_IDLE)
		return;
	timer_cancel(&leg->clearing);
	leg->port->ops->unmap(leg->port, leg->lci);
	leg->state = LEG_IDLE;
	leg->port->counters.sessions_closed++;
}

/* Hold the clearing leg's LCI until clear_timeout_ms from now: for the confirmation, or to retry. */
static void leg_clearing_wait(struct leg *leg)
{
	struct relay *relay = leg->port->relay;

	leg->state = LEG_CLEARING;
	timer_set(&relay->clearing_timers, &leg->clearing, loop_now_ms() + relay->cfg.clear_timeout_ms);
}

/*
 * A clearing leg's timer. With nothing unsent, the kernel never confirmed: it forgot the
 * LCI (docs/linux-x25.md §7 rule 7), so it is freed. A CLEAR or CLEAR CONFIRMATION the port
 * did not take is written again instead, and the LCI stays held: its socket is still alive,
 * and a new call injected on that LCI would collide with it.
 */
static void leg_clear_expired(void *ctx)
{
	struct leg *leg = ctx;
	struct relay *relay = leg->port->relay;

	switch ((enum leg_unsent)leg->unsent) {
	case UNSENT_CLEAR:
		relay->counters.clear_retries++;
		if (port_send_clear(leg->port, leg->lci, leg->cause, leg->diag))
			leg->unsent = UNSENT_NONE;
		leg_clearing_wait(leg);
		return;
	case UNSENT_CONFIRMATION:
		relay->counters.clear_retries++;
		if (!port_send_clear_confirmation(leg->port, leg->lci)) {
			leg_clearing_wait(leg);
			return;
		}
		break;
	case UNSENT_NONE:
		relay->counters.clear_timeouts++;
		leg->clear_timed_out = true;
		break;
	}
	leg_release(leg);
	call_legs_changed(relay, leg->call);
}

/*
 * Send CLEAR INDICATION on an open leg and hold its LCI until the kernel confirms. With a
 * packet (the peer's own CLEAR, at least 5 bytes) it goes on verbatim, same cause and
 * diagnostic, and the port it went to is returned; otherwise x25lo builds one. A CLEAR the
 * port did not take is retried by the leg's timer.
 */
static struct port *leg_clear(struct leg *leg, uint8_t cause, uint8_t diag, uint8_t *packet, size_t len)
{
	bool sent;

	if (leg->state != LEG_OPEN)
		return NULL;
	leg->cause = cause;
	leg->diag = diag;
	if (packet && len >= 5)
		sent = port_forward(leg, packet, len);
	else
		sent = port_send_clear(leg->port, leg->lci, cause, diag);
	leg->unsent = sent ? UNSENT_NONE : UNSENT_CLEAR;
	leg_clearing_wait(leg);
	return sent && packet && len >= 5 ? leg->port : NULL;
}

void call_leg_lost(struct leg *leg, uint8_t cause, uint8_t diag, enum call_end why)
{
	struct call *call = leg->call;
	struct relay *relay = relay_of(call);

	call_ends(call, why, leg->side, cause, diag);
	leg_release(leg);
	leg_clear(&call->leg[!leg->side], cause, diag, NULL, 0);
	call_legs_changed(relay, call);
}

/*
 * A packet of the call could not be written to one side (docs/relay.md, "When a write
 * fails"): X.25 has no retransmission above the link, so the call cannot go on intact.
 * Both sides are cleared, so both programs learn of it.
 */
static void call_lost(struct relay *relay, struct call *call, const struct leg *failed)
{
	uint64_t now = loop_now_ms();

	relay->counters.calls_cleared_write_failed++;
	relay->write_failed_unlogged++;
	if (now - relay->write_failed_log_ms >= 5000) {
		log_warn("%s: a packet of the call %s -> %s on LCI %u could not be written; clearing both sides "
			 "(cause 0x%02x; %llu calls so cleared since the last such line)",
			 failed->port->name, call->calling, call->called, failed->lci, X25_CAUSE_NETWORK_CONGESTION,
			 (unsigned long long)relay->write_failed_unlogged);
		relay->write_failed_log_ms = now;
		relay->write_failed_unlogged = 0;
	}
	call_ends(call, CALL_END_WRITE_FAILED, failed->side, X25_CAUSE_NETWORK_CONGESTION, X25_DIAG_NONE);
	leg_clear(&call->leg[LEG_CALLER], X25_CAUSE_NETWORK_CONGESTION, X25_DIAG_NONE, NULL, 0);
	leg_clear(&call->leg[LEG_CALLEE], X25_CAUSE_NETWORK_CONGESTION, X25_DIAG_NONE, NULL, 0);
	call_legs_changed(relay, call);
}

/* Relay a packet of a call in progress to `to`; returns where it went, NULL if it was lost. */
static struct port *relay_packet(struct leg *to, uint8_t *packet, size_t len)
{
	if (port_forward(to, packet, len))
		return to->port;
	call_lost(to->port->relay, to->call, to);
	return NULL;
}

void call_leg_open(struct leg *leg, struct call *call, struct port *port, uint16_t lci, uint8_t side)
{
	memset(leg, 0, sizeof(*leg));
	leg->call = call;
	leg->port = port;
	leg->lci = lci;
	leg->side = side;
	leg->state = LEG_OPEN;
	timer_init(&leg->clearing, leg_clear_expired, leg);
	port->ops->map(port, lci, leg);
	port->counters.sessions_opened++;
}

/* Nobody answered the injected call in time: clear both sides. */
static void call_setup_expired(void *ctx)
{
	struct call *call = ctx;
	struct relay *relay = relay_of(call);

	relay->counters.call_timeouts++;
	call_ends(call, CALL_END_SETUP_TIMEOUT, LEG_CALLEE, X25_CAUSE_NETWORK_CONGESTION, X25_DIAG_TIMER_EXPIRED_CALL);
	leg_clear(&call->leg[LEG_CALLER], X25_CAUSE_NETWORK_CONGESTION, X25_DIAG_TIMER_EXPIRED_CALL, NULL, 0);
	leg_clear(&call->leg[LEG_CALLEE], X25_CAUSE_NETWORK_CONGESTION, X25_DIAG_TIMER_EXPIRED_CALL, NULL, 0);
	call_legs_changed(relay, call);
}

struct port *call_refuse(struct port *origin, const struct x25_packet *pkt, const struct port *target,
			 uint8_t cause, uint8_t diag, uint64_t *counter, enum call_end why)
{
	(*counter)++;
	port_send_clear(origin, pkt->lci, cause, diag);
	if (origin->relay->callrec)
		callrec_refused(origin->relay->callrec, origin, pkt, target, why, cause, diag);
	return NULL;
}

void call_start(struct relay *relay, struct call *call, struct port *caller, uint16_t caller_lci,
		struct port *callee, uint16_t callee_lci, const struct x25_packet *pkt,
		const struct x25_call_fields *fields)
{
	memset(call, 0, sizeof(*call));
	set_state(call, relay, CALL_SETUP);
	call_leg_open(&call->leg[LEG_CALLER], call, caller, caller_lci, LEG_CALLER);
	call_leg_open(&call->leg[LEG_CALLEE], call, callee, callee_lci, LEG_CALLEE);
	call->leg[LEG_CALLER].packets_in = 1;
	call->leg[LEG_CALLER].bytes_in = pkt->len;
	memcpy(call->calling, fields->calling, sizeof(call->calling));
	memcpy(call->called, fields->called, sizeof(call->called));
	call->facilities_len = (uint8_t)(fields->fac_len < sizeof(call->facilities) ? fields->fac_len
										   : sizeof(call->facilities));
	memcpy(call->facilities, pkt->data + fields->fac_off, call->facilities_len);
	call->cud_len = (uint16_t)(fields->cud_len < UINT16_MAX ? fields->cud_len : UINT16_MAX);
	memcpy(call->cud, pkt->data + fields->cud_off, fields->cud_len < CALL_CUD_KEPT ? fields->cud_len : CALL_CUD_KEPT);
	call->started_ms = loop_now_ms();
	timer_init(&call->setup, call_setup_expired, call);
}

struct port *call_deliver(struct relay *relay, struct call *call, uint8_t *packet, size_t len)
{
	struct leg *callee = &call->leg[LEG_CALLEE];

	if (!port_forward(callee, packet, len)) {
		/* The callee got nothing: its side is free at once, the caller learns now. */
		relay->counters.calls_refused_write_failed++;
		call_ends(call, CALL_END_INJECT_FAILED, LEG_CALLEE, X25_CAUSE_NETWORK_CONGESTION, X25_DIAG_NONE);
		leg_release(callee);
		leg_clear(&call->leg[LEG_CALLER], X25_CAUSE_NETWORK_CONGESTION, X25_DIAG_NONE, NULL, 0);
		call_legs_changed(relay, call);
		return NULL;
	}
	timer_set(&relay->setup_timers, &call->setup, call->started_ms + relay->cfg.call_timeout_ms);
	relay->counters.calls_relayed++;
	return callee->port;
}

struct port *call_request_from(struct port *origin, const struct x25_packet *pkt, uint8_t *packet)
{
	struct relay *relay = origin->relay;
	struct x25_call_fields fields;
	struct tun *target;
	struct call *call;
	const char *why;
	uint16_t lci;
	int server;

	if (packet_parse_call(pkt, &fields, &why) < 0) {
		log_trace("%s: CALL REQUEST on LCI %u is malformed (%s); clearing it", origin->name, pkt->lci, why);
		return call_refuse(origin, pkt, NULL, X25_CAUSE_NETWORK_CONGESTION, X25_DIAG_INVALID_PACKET,
				   &relay->counters.calls_malformed, CALL_END_MALFORMED);
	}
	if (relay->shutting_down)
		return call_refuse(origin, pkt, NULL, X25_CAUSE_OUT_OF_ORDER, X25_DIAG_NONE,
				   &relay->counters.calls_refused_no_target, CALL_END_SHUTDOWN);
	if (origin->kind == PORT_TUN) {
		/* A local program's call: to a local address, or over XOT (docs/xot.md, "Routing"). */
		server = target_server(relay, fields.called);
		if (server >= 0)
			return xot_call_out(relay, tun_of(origin), pkt, &fields, packet, server);
		target = target_choose(relay, tun_of(origin), fields.calling);
	} else {
		/* A call from XOT goes to the local address it calls, as the kernel routes a local one. */
		target = target_for_called(relay, fields.called);
		if (!target)
			return call_refuse(origin, pkt, NULL, X25_CAUSE_NOT_OBTAINABLE, X25_DIAG_NO_ROUTE,
					   &relay->counters.calls_refused_no_target, CALL_END_NO_TARGET);
	}
	if (!target)
		return call_refuse(origin, pkt, NULL, X25_CAUSE_OUT_OF_ORDER, X25_DIAG_NONE,
				   &relay->counters.calls_refused_no_target, CALL_END_NO_TARGET);
	/* Sequence numbering is end to end: never translate between modulo 8 and 128 (docs/linux-x25.md §7 rule 10). */
	if (target->port.extended != origin->extended ||
	    (pkt->gfi & X25_GFI_MODULO_MASK) != (target->port.extended ? X25_GFI_MODULO128 : X25_GFI_MODULO8))
		return call_refuse(origin, pkt, &target->port, X25_CAUSE_INCOMPATIBLE_DESTINATION, X25_DIAG_NONE,
				   &relay->counters.calls_refused_modulo, CALL_END_MODULO);
	lci = lci_alloc(target, &target->port == origin ? pkt->lci : 0);
	if (lci == 0) {
		log_trace("%s: no free LCI in %u-%u for a call from %s; clearing it", target->port.name,
			  target->lci_start, target->lci_end, origin->name);
		return call_refuse(origin, pkt, &target->port, X25_CAUSE_NETWORK_CONGESTION, X25_DIAG_NO_LCI_AVAILABLE,
				   &relay->counters.calls_refused_no_lci, CALL_END_NO_LCI);
	}
	call = lci_call_slot(target, lci);
	target->calls_in_use++;
	call_start(relay, call, origin, pkt->lci, &target->port, lci, pkt, &fields);
	return call_deliver(relay, call, packet, pkt->len);
}

struct port *call_request_received(struct tun *origin, const struct x25_packet *pkt, uint8_t *packet)
{
	return call_request_from(&origin->port, pkt, packet);
}

/*
 * A CALL REQUEST on an LCI x25lo still maps: the kernel forgot the old call (an
 * interrupted connect(), a listener closed with pending calls), or two concurrent
 * connect()s were given the same LCI (docs/linux-x25.md §9.3). Clear the old call's peer.
 * On a kernel-chosen LCI there may be two sockets waiting on it: clear the LCI twice so
 * neither waits out T21; the CONFIRMATIONs then arrive for an unmapped LCI and are dropped.
 */
static struct port *lci_reused(struct leg *leg, const struct x25_packet *pkt, uint8_t *packet)
{
	struct port *port = leg->port;
	struct relay *relay = port->relay;
	struct call *call = leg->call;
	struct leg *peer = &call->leg[!leg->side];
	uint64_t now = loop_now_ms();
	/* A clearing leg had no live socket left: the new call is genuine. */
	bool kernel_chosen = leg->side == LEG_CALLER && leg->state == LEG_OPEN;

	port->counters.call_request++;
	relay->counters.lci_reused++;
	relay->lci_reuse_unlogged++;
	if (now - relay->lci_reuse_log_ms >= 5000) {
		log_warn("%s: the kernel sent a CALL REQUEST on LCI %u, which still carries a call "
			 "(%llu such in this burst: a forgotten call, or concurrent connect()s given the same LCI); "
			 "clearing the old call",
			 port->name, pkt->lci, (unsigned long long)relay->lci_reuse_unlogged);
		relay->lci_reuse_log_ms = now;
		relay->lci_reuse_unlogged = 0;
	}
	call_ends(call, CALL_END_LCI_REUSED, leg->side, X25_CAUSE_NETWORK_CONGESTION, X25_DIAG_LCI_REUSED);
	leg_release(leg);
	leg_clear(peer, X25_CAUSE_NETWORK_CONGESTION, X25_DIAG_LCI_REUSED, NULL, 0);
	call_legs_changed(relay, call);
	if (kernel_chosen) {
		port_send_clear(port, pkt->lci, X25_CAUSE_NETWORK_CONGESTION, X25_DIAG_LCI_REUSED);
		port_send_clear(port, pkt->lci, X25_CAUSE_NETWORK_CONGESTION, X25_DIAG_LCI_REUSED);
		if (relay->callrec)
			callrec_refused(relay->callrec, port, pkt, NULL, CALL_END_LCI_REUSED, X25_CAUSE_NETWORK_CONGESTION,
					X25_DIAG_LCI_REUSED);
		return NULL;
	}
	return call_request_from(port, pkt, packet);
}

static struct port *clear_received(struct leg *leg, struct leg *peer, const struct x25_packet *pkt,
				   uint8_t *packet)
{
	struct relay *relay = leg->port->relay;
	uint8_t cause = X25_CAUSE_DTE_ORIGINATED, diag = X25_DIAG_NONE;
	struct port *relayed_to;

	if (packet_clear_cause(pkt, &cause, &diag) == 0)
		relay->counters.causes_received[cause]++;
	call_ends(leg->call, CALL_END_CLEARED, leg->side, cause, diag);
	if (leg->state == LEG_CLEARING) {
		/* Clear collision: the kernel disconnects on our CLEAR; nothing to confirm. */
		leg_release(leg);
		call_legs_changed(relay, leg->call);
		return NULL;
	}
	/* x25lo is the network for both sides: confirm at once, then tell the peer. */
	if (port_send_clear_confirmation(leg->port, leg->lci)) {
		leg_release(leg);
	} else {
		/* Unconfirmed, the socket keeps the LCI in state 2: hold it too, and retry. */
		leg->unsent = UNSENT_CONFIRMATION;
		leg_clearing_wait(leg);
	}
	/* A CLEAR of at least 5 bytes goes on verbatim; a shorter one is rebuilt with its cause. */
	relayed_to = leg_clear(peer, cause, diag, packet, pkt->len);
	call_legs_changed(relay, leg->call);
	return relayed_to;
}

/* The callee's CALL ACCEPTED: its packet and window sizes, for the record's negotiated values. */
static void call_accepted(struct call *call, const struct x25_packet *pkt)
{
	const uint8_t *p = pkt->data;
	struct x25_facility_summary f;
	size_t fac;

	call->connected_ms = loop_now_ms();
	/* Past the address block to the facility field; a CALL ACCEPTED may end anywhere after its header. */
	fac = PKT_HEADER_LEN + 1 + ((size_t)(p[PKT_HEADER_LEN] & 0x0F) + (p[PKT_HEADER_LEN] >> 4) + 1) / 2;
	if (pkt->len <= PKT_HEADER_LEN || fac >= pkt->len || fac + 1 + p[fac] > pkt->len ||
	    packet_parse_facilities(p + fac + 1, p[fac], &f) < 0)
		return;
	call->accepted[0] = (uint8_t)f.pacsize_in;
	call->accepted[1] = (uint8_t)f.pacsize_out;
	call->accepted[2] = (uint8_t)f.winsize_in;
	call->accepted[3] = (uint8_t)f.winsize_out;
}

struct port *call_packet_received(struct leg *leg, const struct x25_packet *pkt, uint8_t *packet)
{
	struct call *call = leg->call;
	struct port *port = leg->port;
	struct relay *relay = port->relay;
	struct leg *peer = &call->leg[!leg->side];

	leg->packets_in++;
	leg->bytes_in += pkt->len;
	switch (pkt->type) {
	case PKT_CALL_REQUEST:
		return lci_reused(leg, pkt, packet);
	case PKT_CLEAR_REQUEST:
		port->counters.clear_request++;
		return clear_received(leg, peer, pkt, packet);
	case PKT_CLEAR_CONFIRMATION:
		port->counters.clear_confirm++;
		if (leg->state == LEG_CLEARING) {
			leg_release(leg);
			call_legs_changed(relay, call);
		} else {
			relay->counters.frames_dropped_state++;
		}
		return NULL;
	case PKT_CALL_ACCEPTED:
		port->counters.call_connected++;
		if (call->state != CALL_SETUP || leg->side != LEG_CALLEE || peer->state != LEG_OPEN) {
			relay->counters.frames_dropped_state++;
			return NULL;
		}
		timer_cancel(&call->setup);
		set_state(call, relay, CALL_CONNECTED);
		relay->counters.calls_connected++;
		call_accepted(call, pkt);
		return relay_packet(peer, packet, pkt->len);
	case PKT_DATA:
	case PKT_RR:
	case PKT_RNR:
	case PKT_REJ:
	case PKT_INTERRUPT:
	case PKT_INTERRUPT_CONFIRMATION:
	case PKT_RESET_REQUEST:
	case PKT_RESET_CONFIRMATION:
	case PKT_RESTART_REQUEST:
	case PKT_RESTART_CONFIRMATION:
	case PKT_DIAGNOSTIC:
	case PKT_REGISTRATION_REQUEST:
	case PKT_REGISTRATION_CONFIRMATION:
	case PKT_UNKNOWN:
	case PKT_TYPE_COUNT:
		break;
	}
	/* Everything else goes end to end, verbatim but for the LCI, once both sides are up. */
	if (call->state != CALL_CONNECTED || leg->state != LEG_OPEN || peer->state != LEG_OPEN) {
		relay->counters.frames_dropped_state++;
		return NULL;
	}
	return relay_packet(peer, packet, pkt->len);
}

struct port *call_accept_caller_port(const struct leg *leg)
{
	const struct call *call = leg->call;
	const struct leg *peer = &call->leg[!leg->side];

	if (call->state != CALL_SETUP || leg->side != LEG_CALLEE || peer->state != LEG_OPEN ||
	    peer->port == leg->port || peer->port->kind != PORT_TUN)
		return NULL;
	return peer->port;
}

void call_unknown_lci(struct tun *t, const struct x25_packet *pkt)
{
	struct port *port = &t->port;
	struct relay *relay = port->relay;
	uint8_t cause, diag;

	if (pkt->type == PKT_CLEAR_REQUEST) {
		/* Confirm, so the kernel socket does not linger in state 2 for T23. */
		port->counters.clear_request++;
		if (packet_clear_cause(pkt, &cause, &diag) == 0)
			relay->counters.causes_received[cause]++;
		relay->counters.unknown_lci_confirmed++;
		port_send_clear_confirmation(port, pkt->lci);
		return;
	}
	if (pkt->type == PKT_CLEAR_CONFIRMATION) {
		/* Late confirmation of a clear x25lo stopped waiting for: never answered. */
		port->counters.clear_confirm++;
		relay->counters.unknown_lci_ignored++;
		return;
	}
	if (pkt->type == PKT_CALL_ACCEPTED)
		port->counters.call_connected++;
	/* A socket talking on a channel x25lo does not know would otherwise wait forever. */
	relay->counters.unknown_lci_cleared++;
	port_send_clear(port, pkt->lci, X25_CAUSE_NETWORK_CONGESTION, X25_DIAG_UNASSIGNED_LCI);
}

unsigned call_forget_tun(struct tun *t, uint8_t cause, bool forget_peers)
{
	struct relay *relay = t->port.relay;
	unsigned cleared = 0;

	for (unsigned lci = 1; lci < X25_LCI_COUNT && t->legs_mapped > 0; lci++) {
		struct leg *leg = t->legs[lci];
		struct leg *peer;
		struct call *call;

		if (!leg)
			continue;
		call = leg->call;
		peer = &call->leg[!leg->side];
		call_ends(call, relay->shutting_down ? CALL_END_SHUTDOWN : forget_peers ? CALL_END_TUN_REMOVED : CALL_END_LINK_LOST,
			  leg->side, cause, X25_DIAG_NONE);
		leg_release(leg);
		if (peer->port == &t->port) {
			/* Single route: the peer socket died with the same link. */
			leg_release(peer);
		} else if (peer->state == LEG_OPEN) {
			leg_clear(peer, cause, X25_DIAG_NONE, NULL, 0);
			cleared++;
		}
		if (forget_peers && leg->side == LEG_CALLEE)
			leg_release(peer); /* the call's memory is t's */
		call_legs_changed(relay, call);
	}
	/*
	 * Calls that live on in other TUNs while their callee clears may name t in their caller
	 * leg, idle or just released: t's memory is about to go (docs/architecture.md, Lifetimes).
	 */
	for (unsigned i = 0; forget_peers && i < relay->ntuns; i++) {
		struct tun *u = relay->tuns[i];

		for (unsigned j = 0; u && u != t && u->calls_in_use > 0 && j <= (unsigned)(u->lci_end - u->lci_start);
		     j++)
			if (u->calls[j].state != CALL_FREE && u->calls[j].leg[LEG_CALLER].port == &t->port)
				u->calls[j].leg[LEG_CALLER].port = NULL;
	}
	if (forget_peers)
		xot_forget_port(relay, &t->port);
	/* Calls stored in t whose caller leg elsewhere was still clearing go with t's memory. */
	for (unsigned i = 0; forget_peers && t->calls_in_use > 0 && i <= (unsigned)(t->lci_end - t->lci_start);
	     i++) {
		struct call *call = &t->calls[i];

		if (call->state == CALL_FREE)
			continue;
		call_ends(call, relay->shutting_down ? CALL_END_SHUTDOWN : CALL_END_TUN_REMOVED, LEG_CALLEE, cause,
			  X25_DIAG_NONE);
		leg_release(&call->leg[LEG_CALLER]);
		leg_release(&call->leg[LEG_CALLEE]);
		call_legs_changed(relay, call);
	}
	return cleared;
}

unsigned call_clear_all(struct relay *relay, uint8_t cause, uint8_t diag)
{
	unsigned mapped = 0;

	for (unsigned i = 0; i < relay->ntuns; i++) {
		struct tun *t = relay->tuns[i];

		if (!t)
			continue;
		for (unsigned lci = 1; lci < X25_LCI_COUNT; lci++) {
			struct leg *leg = t->legs[lci];

			if (leg && leg->state == LEG_OPEN) {
				call_ends(leg->call, CALL_END_SHUTDOWN, leg->side, cause, diag);
				leg_clear(leg, cause, diag, NULL, 0);
				call_legs_changed(relay, leg->call);
			}
		}
		mapped += t->legs_mapped;
	}
	for (unsigned i = 0; i < xot_slots(relay); i++) {
		struct leg *leg = xot_slot_leg(relay, i);

		if (leg && leg->state == LEG_OPEN) {
			call_ends(leg->call, CALL_END_SHUTDOWN, leg->side, cause, diag);
			leg_clear(leg, cause, diag, NULL, 0);
			call_legs_changed(relay, leg->call);
		}
	}
	return mapped + xot_legs_mapped(relay);
}
