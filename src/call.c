/* call.c - two-leg call state: set-up, relaying decisions, clearing handshake, deadlines. */
#include "call.h"

#include <string.h>

#include "lci.h"
#include "log.h"
#include "route.h"

static void set_state(struct call *call, struct relay *relay, enum call_state state)
{
	if (call->state != CALL_FREE)
		relay->calls_by_state[call->state]--;
	call->state = (uint8_t)state;
	if (state != CALL_FREE)
		relay->calls_by_state[state]++;
}

static void setup_list_add(struct relay *relay, struct call *call)
{
	deadline_add(&relay->setup_timers, &call->setup, loop_now_ms() + relay->cfg.call_timeout_ms);
}

static void setup_list_del(struct relay *relay, struct call *call)
{
	deadline_del(&relay->setup_timers, &call->setup);
}

static void clearing_list_add(struct relay *relay, struct leg *leg)
{
	deadline_add(&relay->clearing_timers, &leg->clearing, loop_now_ms() + relay->cfg.clear_timeout_ms);
}

static void clearing_list_del(struct relay *relay, struct leg *leg)
{
	deadline_del(&relay->clearing_timers, &leg->clearing);
}

static void call_free(struct relay *relay, struct call *call)
{
	struct tun *owner = call->leg[LEG_CALLEE].tun;

	setup_list_del(relay, call);
	set_state(call, relay, CALL_FREE);
	owner->calls_in_use--;
	owner->lci_last_freed = call->leg[LEG_CALLEE].lci;
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
		setup_list_del(relay, call);
		set_state(call, relay, CALL_CLEARING);
	}
}

/* The leg's LCI is free again on its TUN. */
static void leg_release(struct relay *relay, struct leg *leg)
{
	if (leg->state == LEG_IDLE)
		return;
	clearing_list_del(relay, leg);
	lci_unmap(leg->tun, leg->lci);
	leg->state = LEG_IDLE;
	leg->tun->counters.sessions_closed++;
}

/* Send CLEAR INDICATION on an open leg and hold its LCI until the kernel confirms. */
static void leg_clear(struct relay *relay, struct leg *leg, uint8_t cause, uint8_t diag, const uint8_t *frame,
		      size_t len, const struct leg *from)
{
	if (leg->state != LEG_OPEN)
		return;
	if (frame && len >= FRAME_PACKET_OFFSET + 5) {
		/* The peer's own CLEAR, relayed verbatim: same cause and diagnostic. */
		relay_forward(leg, from, (uint8_t *)frame, len);
	} else {
		relay_send_clear(leg->tun, leg->lci, cause, diag);
	}
	leg->state = LEG_CLEARING;
	clearing_list_add(relay, leg);
}

static void leg_open(struct leg *leg, struct call *call, struct tun *t, uint16_t lci, uint8_t side)
{
	memset(leg, 0, sizeof(*leg));
	leg->call = call;
	leg->tun = t;
	leg->lci = lci;
	leg->side = side;
	leg->state = LEG_OPEN;
	lci_map(t, lci, leg);
	t->counters.sessions_opened++;
}

static void refuse_call(struct tun *origin, uint16_t lci, uint8_t cause, uint8_t diag, uint64_t *counter)
{
	(*counter)++;
	relay_send_clear(origin, lci, cause, diag);
}

void call_request_received(struct tun *origin, const struct x25_packet *pkt, uint8_t *frame, size_t len)
{
	struct relay *relay = origin->relay;
	struct x25_call_fields fields;
	struct tun *target;
	struct call *call;
	const char *why;
	uint16_t lci;

	if (packet_parse_call(pkt, &fields, &why) < 0) {
		log_trace("%s: CALL REQUEST on LCI %u is malformed (%s); clearing it", origin->name, pkt->lci, why);
		refuse_call(origin, pkt->lci, X25_CAUSE_NETWORK_CONGESTION, X25_DIAG_INVALID_PACKET,
			    &relay->counters.calls_malformed);
		return;
	}
	if (relay->shutting_down) {
		refuse_call(origin, pkt->lci, X25_CAUSE_OUT_OF_ORDER, X25_DIAG_NONE,
			    &relay->counters.calls_refused_no_target);
		return;
	}
	target = route_choose_target(relay, origin, fields.calling);
	if (!target) {
		refuse_call(origin, pkt->lci, X25_CAUSE_OUT_OF_ORDER, X25_DIAG_NONE,
			    &relay->counters.calls_refused_no_target);
		return;
	}
	/* Sequence numbering is end to end: never translate between modulo 8 and 128 (rule 10). */
	if (target->extended != origin->extended ||
	    (pkt->gfi & X25_GFI_MODULO_MASK) != (target->extended ? X25_GFI_MODULO128 : X25_GFI_MODULO8)) {
		refuse_call(origin, pkt->lci, X25_CAUSE_INCOMPATIBLE_DESTINATION, X25_DIAG_NONE,
			    &relay->counters.calls_refused_modulo);
		return;
	}
	lci = lci_alloc(target, target == origin ? pkt->lci : 0);
	if (lci == 0) {
		log_trace("%s: no free LCI in %u-%u for a call from %s; clearing it", target->name,
			  target->lci_start, target->lci_end, origin->name);
		refuse_call(origin, pkt->lci, X25_CAUSE_NETWORK_CONGESTION, X25_DIAG_NO_LCI_AVAILABLE,
			    &relay->counters.calls_refused_no_lci);
		return;
	}

	call = lci_call_slot(target, lci);
	memset(call, 0, sizeof(*call));
	set_state(call, relay, CALL_SETUP);
	target->calls_in_use++;
	leg_open(&call->leg[LEG_CALLER], call, origin, pkt->lci, LEG_CALLER);
	leg_open(&call->leg[LEG_CALLEE], call, target, lci, LEG_CALLEE);
	call->leg[LEG_CALLER].packets_in = 1;
	call->leg[LEG_CALLER].bytes_in = pkt->len;
	memcpy(call->calling, fields.calling, sizeof(call->calling));
	memcpy(call->called, fields.called, sizeof(call->called));
	call->facilities_len = (uint8_t)(fields.fac_len < sizeof(call->facilities) ? fields.fac_len
										  : sizeof(call->facilities));
	memcpy(call->facilities, pkt->data + fields.fac_off, call->facilities_len);
	call->started_ms = loop_now_ms();
	setup_list_add(relay, call);
	relay->counters.calls_relayed++;
	relay_forward(&call->leg[LEG_CALLEE], &call->leg[LEG_CALLER], frame, len);
}

/*
 * A CALL REQUEST on an LCI x25lo still maps: the kernel forgot the old call (an
 * interrupted connect(), a listener closed with pending calls), or two concurrent
 * connect()s were given the same LCI (vm-findings.md §3). Clear the old call's peer.
 * On a kernel-chosen LCI there may be two sockets waiting on it: clear the LCI twice so
 * neither waits out T21; the CONFIRMATIONs then arrive for an unmapped LCI and are dropped.
 */
static void lci_reused(struct leg *leg, const struct x25_packet *pkt, uint8_t *frame, size_t len)
{
	struct tun *t = leg->tun;
	struct relay *relay = t->relay;
	struct call *call = leg->call;
	struct leg *peer = &call->leg[!leg->side];
	uint64_t now = loop_now_ms();
	/* A clearing leg had no live socket left: the new call is genuine. */
	bool kernel_chosen = leg->side == LEG_CALLER && leg->state == LEG_OPEN;

	t->counters.call_request++;
	relay->counters.lci_reused++;
	relay->lci_reuse_unlogged++;
	if (now - relay->lci_reuse_log_ms >= 5000) {
		log_warn("%s: the kernel sent a CALL REQUEST on LCI %u, which still carries a call "
			 "(%llu such in this burst: a forgotten call, or concurrent connect()s given the same LCI); "
			 "clearing the old call",
			 t->name, pkt->lci, (unsigned long long)relay->lci_reuse_unlogged);
		relay->lci_reuse_log_ms = now;
		relay->lci_reuse_unlogged = 0;
	}
	leg_release(relay, leg);
	leg_clear(relay, peer, X25_CAUSE_NETWORK_CONGESTION, X25_DIAG_LCI_REUSED, NULL, 0, NULL);
	call_legs_changed(relay, call);
	if (kernel_chosen) {
		relay_send_clear(t, pkt->lci, X25_CAUSE_NETWORK_CONGESTION, X25_DIAG_LCI_REUSED);
		relay_send_clear(t, pkt->lci, X25_CAUSE_NETWORK_CONGESTION, X25_DIAG_LCI_REUSED);
		return;
	}
	call_request_received(t, pkt, frame, len);
}

static void clear_received(struct relay *relay, struct leg *leg, struct leg *peer, const struct x25_packet *pkt,
			   uint8_t *frame, size_t len)
{
	uint8_t cause = X25_CAUSE_DTE_ORIGINATED, diag = X25_DIAG_NONE;

	if (packet_clear_cause(pkt, &cause, &diag) == 0)
		relay->counters.causes_received[cause]++;
	if (leg->state == LEG_CLEARING) {
		/* Clear collision: the kernel disconnects on our CLEAR; nothing to confirm. */
		leg_release(relay, leg);
		call_legs_changed(relay, leg->call);
		return;
	}
	/* x25lo is the network for both sides: confirm at once, then tell the peer. */
	relay_send_clear_confirmation(leg->tun, leg->lci);
	leg_release(relay, leg);
	/* A CLEAR of at least 5 bytes goes on verbatim; a shorter one is rebuilt with 00/00. */
	leg_clear(relay, peer, cause, diag, frame, len, leg);
	call_legs_changed(relay, leg->call);
}

void call_packet_received(struct leg *leg, const struct x25_packet *pkt, uint8_t *frame, size_t len)
{
	struct call *call = leg->call;
	struct relay *relay = leg->tun->relay;
	struct leg *peer = &call->leg[!leg->side];

	leg->packets_in++;
	leg->bytes_in += pkt->len;
	switch (pkt->type) {
	case PKT_CALL_REQUEST:
		lci_reused(leg, pkt, frame, len);
		return;
	case PKT_CLEAR_REQUEST:
		leg->tun->counters.clear_request++;
		clear_received(relay, leg, peer, pkt, frame, len);
		return;
	case PKT_CLEAR_CONFIRMATION:
		leg->tun->counters.clear_confirm++;
		if (leg->state == LEG_CLEARING) {
			leg_release(relay, leg);
			call_legs_changed(relay, call);
		} else {
			relay->counters.frames_dropped_state++;
		}
		return;
	case PKT_CALL_ACCEPTED:
		leg->tun->counters.call_connected++;
		if (call->state != CALL_SETUP || leg->side != LEG_CALLEE || peer->state != LEG_OPEN) {
			relay->counters.frames_dropped_state++;
			return;
		}
		setup_list_del(relay, call);
		set_state(call, relay, CALL_CONNECTED);
		relay->counters.calls_connected++;
		relay_forward(peer, leg, frame, len);
		return;
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
		return;
	}
	relay_forward(peer, leg, frame, len);
}

void call_unknown_lci(struct tun *t, const struct x25_packet *pkt)
{
	struct relay *relay = t->relay;
	uint8_t cause, diag;

	if (pkt->type == PKT_CLEAR_REQUEST) {
		/* Confirm, so the kernel socket does not linger in state 2 for T23. */
		t->counters.clear_request++;
		if (packet_clear_cause(pkt, &cause, &diag) == 0)
			relay->counters.causes_received[cause]++;
		relay->counters.unknown_lci_confirmed++;
		relay_send_clear_confirmation(t, pkt->lci);
		return;
	}
	if (pkt->type == PKT_CLEAR_CONFIRMATION) {
		/* Late confirmation of a clear x25lo stopped waiting for: never answered. */
		t->counters.clear_confirm++;
		relay->counters.unknown_lci_ignored++;
		return;
	}
	if (pkt->type == PKT_CALL_ACCEPTED)
		t->counters.call_connected++;
	/* A socket talking on a channel x25lo does not know would otherwise wait forever. */
	relay->counters.unknown_lci_cleared++;
	relay_send_clear(t, pkt->lci, X25_CAUSE_NETWORK_CONGESTION, X25_DIAG_UNASSIGNED_LCI);
}

unsigned call_forget_tun(struct tun *t, uint8_t cause, bool forget_peers)
{
	struct relay *relay = t->relay;
	unsigned cleared = 0;

	for (unsigned lci = 1; lci < X25_LCI_COUNT && t->legs_mapped > 0; lci++) {
		struct leg *leg = t->legs[lci];
		struct leg *peer;
		struct call *call;

		if (!leg)
			continue;
		call = leg->call;
		peer = &call->leg[!leg->side];
		leg_release(relay, leg);
		if (peer->tun == t) {
			/* Single route: the peer socket died with the same link. */
			leg_release(relay, peer);
		} else if (peer->state == LEG_OPEN) {
			leg_clear(relay, peer, cause, X25_DIAG_NONE, NULL, 0, NULL);
			cleared++;
		}
		if (forget_peers && leg->side == LEG_CALLEE)
			leg_release(relay, peer); /* the call's memory is t's */
		call_legs_changed(relay, call);
	}
	/* Calls stored in t whose caller leg elsewhere was still clearing go with t's memory. */
	for (unsigned i = 0; forget_peers && t->calls_in_use > 0 && i <= (unsigned)(t->lci_end - t->lci_start);
	     i++) {
		struct call *call = &t->calls[i];

		if (call->state == CALL_FREE)
			continue;
		leg_release(relay, &call->leg[LEG_CALLER]);
		leg_release(relay, &call->leg[LEG_CALLEE]);
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

			if (!leg)
				continue;
			if (leg->state == LEG_OPEN) {
				leg_clear(relay, leg, cause, diag, NULL, 0, NULL);
				call_legs_changed(relay, leg->call);
			}
		}
		mapped += t->legs_mapped;
	}
	return mapped;
}

void call_expire(struct relay *relay, uint64_t now)
{
	struct deadline *d;

	while ((d = relay->setup_timers.head) && d->at_ms <= now) {
		struct call *call = deadline_owner(d, struct call, setup);

		/* Nobody answered the injected call in time: clear both sides. */
		relay->counters.call_timeouts++;
		setup_list_del(relay, call);
		leg_clear(relay, &call->leg[LEG_CALLER], X25_CAUSE_NETWORK_CONGESTION, X25_DIAG_TIMER_EXPIRED_CALL,
			  NULL, 0, NULL);
		leg_clear(relay, &call->leg[LEG_CALLEE], X25_CAUSE_NETWORK_CONGESTION, X25_DIAG_TIMER_EXPIRED_CALL,
			  NULL, 0, NULL);
		call_legs_changed(relay, call);
	}
	while ((d = relay->clearing_timers.head) && d->at_ms <= now) {
		struct leg *leg = deadline_owner(d, struct leg, clearing);

		/* The kernel forgot the LCI (linux-x25.md §7 rule 7): free it anyway. */
		relay->counters.clear_timeouts++;
		leg_release(relay, leg);
		call_legs_changed(relay, leg->call);
	}
}

uint64_t call_next_deadline(const struct relay *relay)
{
	const struct deadline *setup = relay->setup_timers.head, *clearing = relay->clearing_timers.head;

	if (setup && (!clearing || setup->at_ms <= clearing->at_ms))
		return setup->at_ms;
	return clearing ? clearing->at_ms : 0;
}
