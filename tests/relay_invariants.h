// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * relay_invariants.h - what must hold between the relay's LCI tables, call slots, counts and
 * timers whenever x25lo is between two events (after a batch of the loop: no TUN waits to be
 * freed). Header-only, so the unit tests (tests/unit/test_relay.c: every test's teardown) and
 * the fuzz targets (tests/fuzz/fuzz_relay.c: after every step) build it with their own flags.
 *
 *   const char *why = relay_invariants_broken(&relay);   NULL, or the first broken invariant
 *
 * What is checked:
 *  - LCI tables: for every TUN t and LCI l, t->legs[l] is non-NULL exactly when a non-idle leg
 *    with port &t->port and lci l exists, and that leg is its call's leg[side]; LCI 0 is never
 *    mapped; t->legs_mapped counts the non-NULL entries; a TUN whose link is not ready maps
 *    nothing (its kernel has dropped every call on it).
 *  - Call slots: t->calls_in_use counts t's non-free slots; each call's callee leg is on t at the
 *    slot's LCI; relay->calls_by_state[s] counts the calls in state s over all live TUNs and
 *    XOT connections.
 *  - States: SETUP has its set-up timer pending and both legs open; CONNECTED has both legs open
 *    and no set-up timer; CLEARING has no open leg, at least one clearing, no set-up timer. A leg
 *    is CLEARING exactly when its clearing timer is pending; an open leg owes no clearing packet.
 *  - Pointers: a leg's port is NULL (idle legs only) or the port of a live TUN or XOT
 *    connection; every pending timer on the relay's two queues belongs to a live call or leg in
 *    the matching state, and the queues hold no more and no fewer. Each pointer is read
 *    through, so under ASan one that reaches a freed TUN is a use-after-free report.
 *  - Link: a TUN owes a link frame exactly when its link timer is pending.
 * Calls living in XOT connections (xot_slot_call) count with the TUNs' and follow the same
 * state rules; their legs on XOT ports have no LCI table to be in.
 */
#ifndef X25LO_RELAY_INVARIANTS_H
#define X25LO_RELAY_INVARIANTS_H

#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>

#include "call.h"
#include "loop.h"
#include "relay.h"
#include "tun.h"

static char relay_invariant_text[320];

#define RELAY_INVARIANT(cond, ...)                                                                 \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			snprintf(relay_invariant_text, sizeof(relay_invariant_text), __VA_ARGS__); \
			return relay_invariant_text;                                               \
		}                                                                                  \
	} while (0)

/* Read one byte through p, so that ASan reports a pointer into freed memory. */
static inline void relay_invariant_touch(const void *p)
{
	(void)*(const volatile char *)p;
}

/*
 * Whether the 64 LCI table entries from p are all NULL. Not instrumented (the table is
 * part of a live TUN; checking 4096 loads per TUN after every fuzz step costs more than the rest).
 */
__attribute__((no_sanitize("address", "undefined"))) static inline bool relay_invariant_none(struct leg *const *p)
{
	uintptr_t any = 0;

	for (unsigned i = 0; i < 64; i++)
		any |= (uintptr_t)p[i];
	return any == 0;
}

static inline unsigned relay_invariant_range(const struct tun *t)
{
	return (unsigned)(t->lci_end - t->lci_start) + 1;
}

/* The live TUN whose port is p, or NULL. */
static inline const struct tun *relay_invariant_tun_of_port(const struct relay *relay, const struct port *p)
{
	for (unsigned i = 0; i < relay->ntuns; i++)
		if (relay->tuns[i] && &relay->tuns[i]->port == p)
			return relay->tuns[i];
	return NULL;
}

/* Whether p is the port of a live XOT connection. */
static inline bool relay_invariant_xot_port(const struct relay *relay, const struct port *p)
{
	for (unsigned i = 0; i < xot_slots(relay); i++) {
		const struct leg *leg = xot_slot_leg(relay, i);

		if (leg && leg->port == p)
			return true;
	}
	return false;
}

/* Whether c is the call of a live XOT connection. */
static inline bool relay_invariant_xot_call(const struct relay *relay, const struct call *c)
{
	for (unsigned i = 0; i < xot_slots(relay); i++)
		if (xot_slot_call(relay, i) == c)
			return true;
	return false;
}

/* The live TUN whose call slots hold c (at a slot boundary), or NULL. */
static inline const struct tun *relay_invariant_tun_owner(const struct relay *relay, const struct call *c)
{
	for (unsigned i = 0; i < relay->ntuns; i++) {
		const struct tun *t = relay->tuns[i];
		uintptr_t base, at = (uintptr_t)c;

		if (!t || !t->calls)
			continue;
		base = (uintptr_t)t->calls;
		if (at >= base && at < base + relay_invariant_range(t) * sizeof(*c) && (at - base) % sizeof(*c) == 0)
			return t;
	}
	return NULL;
}

/* Whether c lives in a live TUN's call slots or in a live XOT connection. */
static inline bool relay_invariant_owner(const struct relay *relay, const struct call *c)
{
	return relay_invariant_tun_owner(relay, c) != NULL || relay_invariant_xot_call(relay, c);
}

/* A deadline list in order, doubly linked; *count gets its length. */
static inline const char *relay_invariant_queue(const struct timer_queue *q, const char *name, unsigned *count)
{
	const struct deadline *prev = NULL;

	*count = 0;
	for (const struct deadline *d = q->list.head; d; prev = d, d = d->next) {
		RELAY_INVARIANT(d->prev == prev, "%s: broken back link at entry %u", name, *count);
		RELAY_INVARIANT(d->at_ms != 0, "%s: entry %u has no deadline", name, *count);
		RELAY_INVARIANT(!prev || prev->at_ms <= d->at_ms, "%s: entry %u is out of deadline order", name, *count);
		RELAY_INVARIANT(++*count <= 1u << 24, "%s: a loop in the list", name);
	}
	RELAY_INVARIANT(q->list.tail == prev, "%s: tail is not the last entry", name);
	return NULL;
}

/*
 * One non-free call c in slot j of where: TUN t's call slots, or (t NULL) XOT connection j.
 * Adds its clearing legs to *clearing_legs.
 */
static inline const char *relay_invariant_call(const struct relay *relay, const struct call *c, const struct tun *t,
					       const char *where, unsigned j, unsigned *clearing_legs)
{
	unsigned open = 0, clearing = 0;

	RELAY_INVARIANT(c->state < CALL_STATE_COUNT, "%s slot %u: call state %u", where, j, c->state);
	RELAY_INVARIANT(!t || (c->leg[LEG_CALLEE].port == &t->port && c->leg[LEG_CALLEE].lci == t->lci_start + j),
			"%s slot %u: the callee leg is not on this TUN at LCI %u", where, j, t ? t->lci_start + j : 0);
	for (unsigned side = 0; side < 2; side++) {
		const struct leg *leg = &c->leg[side];
		const struct tun *u;

		RELAY_INVARIANT(leg->call == c && leg->side == side, "%s slot %u: leg %u belongs elsewhere",
				where, j, side);
		RELAY_INVARIANT(leg->state <= LEG_CLEARING, "%s slot %u: leg %u state %u", where, j, side,
				leg->state);
		RELAY_INVARIANT((leg->state == LEG_CLEARING) == timer_pending(&leg->clearing),
				"%s slot %u: leg %u is %s with its clearing timer %s", where, j, side,
				leg->state == LEG_CLEARING ? "clearing" : "not clearing",
				timer_pending(&leg->clearing) ? "pending" : "not pending");
		RELAY_INVARIANT(!timer_pending(&leg->clearing) || leg->clearing.queue == &relay->clearing_timers,
				"%s slot %u: leg %u's timer is on another queue", where, j, side);
		/* (An idle leg may keep what it owed when it went: nothing reads it until it clears again.) */
		RELAY_INVARIANT(leg->state != LEG_OPEN || leg->unsent == UNSENT_NONE,
				"%s slot %u: leg %u is open but owes a clearing packet", where, j, side);
		if (!leg->port) {
			RELAY_INVARIANT(leg->state == LEG_IDLE, "%s slot %u: leg %u is mapped without a port",
					where, j, side);
			continue;
		}
		u = relay_invariant_tun_of_port(relay, leg->port);
		RELAY_INVARIANT(u != NULL || relay_invariant_xot_port(relay, leg->port),
				"%s slot %u: leg %u (%s, LCI %u) points at a port that is gone", where, j, side,
				leg->state == LEG_IDLE ? "idle" : "mapped", leg->lci);
		relay_invariant_touch(leg->port->name);
		open += leg->state == LEG_OPEN;
		clearing += leg->state == LEG_CLEARING;
		if (leg->state == LEG_IDLE || !u)
			continue; /* an XOT connection carries one call: no LCI table */
		RELAY_INVARIANT(leg->lci >= 1 && leg->lci < X25_LCI_COUNT && u->legs[leg->lci] == leg,
				"%s slot %u: leg %u is %s on %s LCI %u but not in its LCI table", where, j, side,
				leg->state == LEG_OPEN ? "open" : "clearing", u->port.name, leg->lci);
	}
	switch ((enum call_state)c->state) {
	case CALL_SETUP:
		RELAY_INVARIANT(timer_pending(&c->setup) && c->setup.queue == &relay->setup_timers,
				"%s slot %u: a call in set-up without its set-up timer", where, j);
		RELAY_INVARIANT(open == 2, "%s slot %u: a call in set-up with %u open legs", where, j, open);
		break;
	case CALL_CONNECTED:
		RELAY_INVARIANT(!timer_pending(&c->setup), "%s slot %u: a connected call with its set-up timer",
				where, j);
		RELAY_INVARIANT(open == 2, "%s slot %u: a connected call with %u open legs", where, j, open);
		break;
	case CALL_CLEARING:
		RELAY_INVARIANT(!timer_pending(&c->setup), "%s slot %u: a clearing call with its set-up timer",
				where, j);
		RELAY_INVARIANT(open == 0 && clearing > 0, "%s slot %u: a clearing call with %u open and %u clearing legs",
				where, j, open, clearing);
		break;
	case CALL_FREE:
	case CALL_STATE_COUNT:
		break;
	}
	*clearing_legs += clearing;
	return NULL;
}

static inline const char *relay_invariants_broken(const struct relay *relay)
{
	unsigned by_state[CALL_STATE_COUNT] = {0}, clearing_legs = 0, queued;
	const char *why;

	RELAY_INVARIANT(relay->retired == NULL, "a removed TUN still waits to be freed after the batch");
	RELAY_INVARIANT(relay->ntuns <= RELAY_MAX_TUNS, "ntuns %u", relay->ntuns);
	for (unsigned i = 0; i < RELAY_MAX_TUNS; i++) {
		const struct tun *t = relay->tuns[i];
		unsigned mapped = 0, in_use = 0;

		if (!t)
			continue;
		relay_invariant_touch(t->port.name);
		RELAY_INVARIANT(i < relay->ntuns, "TUN %s at index %u beyond ntuns %u", t->port.name, i, relay->ntuns);
		RELAY_INVARIANT(!t->retired, "%s is retired but still in the table", t->port.name);
		RELAY_INVARIANT(t->port.index == i && t->port.relay == relay, "%s is at index %u but says %u",
				t->port.name, i, t->port.index);
		RELAY_INVARIANT(t->lci_start >= 1 && t->lci_start <= t->lci_end && t->lci_end < X25_LCI_COUNT,
				"%s: LCI range %u-%u", t->port.name, t->lci_start, t->lci_end);
		RELAY_INVARIANT(t->lci_cursor >= t->lci_start && t->lci_cursor <= t->lci_end,
				"%s: LCI cursor %u outside %u-%u", t->port.name, t->lci_cursor, t->lci_start, t->lci_end);
		RELAY_INVARIANT((t->link_owed != LINK_OWES_NOTHING) == timer_pending(&t->link_timer),
				"%s: owes link frame %u with its link timer %s", t->port.name, t->link_owed,
				timer_pending(&t->link_timer) ? "pending" : "not pending");
		RELAY_INVARIANT(t->legs[0] == NULL, "%s: LCI 0 is mapped", t->port.name);
		for (unsigned lci = 1; lci < X25_LCI_COUNT; lci++) {
			const struct leg *leg;

			/* Mostly empty: skip 64 entries at a time. */
			if (lci % 64 == 0 && relay_invariant_none(&t->legs[lci])) {
				lci += 63;
				continue;
			}
			leg = t->legs[lci];
			if (!leg)
				continue;
			mapped++;
			RELAY_INVARIANT(leg->state != LEG_IDLE, "%s LCI %u: maps an idle leg", t->port.name, lci);
			RELAY_INVARIANT(leg->port == &t->port && leg->lci == lci,
					"%s LCI %u: maps a leg of another port or LCI (%u)", t->port.name, lci, leg->lci);
			RELAY_INVARIANT(leg->side <= LEG_CALLEE && leg->call && &leg->call->leg[leg->side] == leg,
					"%s LCI %u: the leg is not its call's leg[side]", t->port.name, lci);
			RELAY_INVARIANT(relay_invariant_owner(relay, leg->call),
					"%s LCI %u: the leg's call lives in no live TUN or XOT connection", t->port.name, lci);
			RELAY_INVARIANT(leg->call->state != CALL_FREE, "%s LCI %u: the leg's call is free", t->port.name,
					lci);
		}
		RELAY_INVARIANT(mapped == t->legs_mapped, "%s: legs_mapped %u, LCI table holds %u", t->port.name,
				t->legs_mapped, mapped);
		RELAY_INVARIANT(t->link == LINK_READY || mapped == 0, "%s: link not ready but %u LCIs mapped",
				t->port.name, mapped);
		for (unsigned j = 0; t->calls && j < relay_invariant_range(t); j++) {
			const struct call *c = &t->calls[j];

			if (c->state == CALL_FREE) {
				RELAY_INVARIANT(!timer_pending(&c->setup) && !timer_pending(&c->leg[0].clearing) &&
							!timer_pending(&c->leg[1].clearing),
						"%s slot %u: a free call slot with a pending timer", t->port.name, j);
				continue;
			}
			in_use++;
			why = relay_invariant_call(relay, c, t, t->port.name, j, &clearing_legs);
			if (why)
				return why;
			by_state[c->state]++;
		}
		RELAY_INVARIANT(in_use == t->calls_in_use, "%s: calls_in_use %u, slots in use %u", t->port.name,
				t->calls_in_use, in_use);
	}
	for (unsigned i = 0; i < xot_slots(relay); i++) {
		const struct call *c = xot_slot_call(relay, i);

		if (!c || c->state == CALL_FREE)
			continue;
		why = relay_invariant_call(relay, c, NULL, "xot", i, &clearing_legs);
		if (why)
			return why;
		by_state[c->state]++;
	}
	for (unsigned s = CALL_SETUP; s < CALL_STATE_COUNT; s++)
		RELAY_INVARIANT(by_state[s] == relay->calls_by_state[s], "calls_by_state[%u] is %u, slots hold %u", s,
				relay->calls_by_state[s], by_state[s]);

	/* The queues hold exactly the timers counted above, each inside a live call. */
	why = relay_invariant_queue(&relay->setup_timers, "set-up timers", &queued);
	if (why)
		return why;
	RELAY_INVARIANT(queued == by_state[CALL_SETUP], "%u set-up timers queued for %u calls in set-up", queued,
			by_state[CALL_SETUP]);
	for (const struct deadline *d = relay->setup_timers.list.head; d; d = d->next) {
		const struct timer *tm = deadline_owner(d, struct timer, deadline);
		const struct call *c = (const struct call *)(const void *)((const char *)tm - offsetof(struct call, setup));

		RELAY_INVARIANT(relay_invariant_owner(relay, c) && c->state == CALL_SETUP,
				"a set-up timer that is not a live call's in set-up");
	}
	why = relay_invariant_queue(&relay->clearing_timers, "clearing timers", &queued);
	if (why)
		return why;
	RELAY_INVARIANT(queued == clearing_legs, "%u clearing timers queued for %u clearing legs", queued,
			clearing_legs);
	for (const struct deadline *d = relay->clearing_timers.list.head; d; d = d->next) {
		const struct timer *tm = deadline_owner(d, struct timer, deadline);
		const struct leg *leg = (const struct leg *)(const void *)((const char *)tm - offsetof(struct leg, clearing));

		RELAY_INVARIANT(leg->side <= LEG_CALLEE && relay_invariant_owner(relay, leg->call) &&
					&leg->call->leg[leg->side] == leg && leg->state == LEG_CLEARING,
				"a clearing timer that is not a live clearing leg's");
	}
	return NULL;
}

#undef RELAY_INVARIANT

#endif
