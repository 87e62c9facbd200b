// SPDX-License-Identifier: GPL-2.0-or-later
/* test_stats_fixture.h - fake relays for the stats tests: two TUNs and one connected call, or many calls. */
#ifndef TEST_STATS_FIXTURE_H
#define TEST_STATS_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loop.h"
#include "relay.h"

/* Facilities of the fixture's CALL REQUEST: packet size 128/128, window 2/2. */
static const uint8_t fixture_facilities[] = {0x42, 0x07, 0x07, 0x43, 0x02, 0x02};

static struct tun *fixture_tun(struct relay *relay, unsigned index, const char *address, uint16_t start,
			       uint16_t end, enum link_state link)
{
	struct tun *t = tun_new(relay, "tunlb", index, address, start, end, false);

	if (!t)
		abort();
	t->link = link;
	relay->tuns[index] = t;
	relay->ntuns++;
	return t;
}

/*
 * tunlb0 (127001, ready, LCIs 3072-4095) and tunlb1 (127002, starting, 1024-2047), one
 * connected call 127002 -> 127001: caller leg tunlb1/LCI 1, callee leg tunlb0/LCI 4095,
 * started 2.5 s ago; the relay started 5.5 s ago.
 */
static struct relay *fixture_relay(void)
{
	struct relay *relay = calloc(1, sizeof(*relay));
	uint64_t now = loop_now_ms();
	struct tun *t0, *t1;
	struct call *c;

	if (!relay)
		abort();
	relay->started_ms = now - 5500;
	relay->config_generation = 2;
	relay->last_reload_ok = true;
	t0 = fixture_tun(relay, 0, "127001", 3072, 4095, LINK_READY);
	t1 = fixture_tun(relay, 1, "127002", 1024, 2047, LINK_STARTING);

	t0->port.counters = (struct port_counters){.sessions_opened = 1, .call_connected = 1, .packets_sent = 10,
						  .packets_received = 7, .bytes_sent = 1000, .bytes_received = 700,
						  .link_up = 1};
	t1->port.counters = (struct port_counters){.sessions_opened = 2, .sessions_closed = 1, .call_request = 2,
						  .clear_request = 1, .clear_confirm = 1, .packets_sent = 8,
						  .packets_received = 11, .bytes_sent = 750, .bytes_received = 1100,
						  .link_up = 2, .link_lost = 1};

	c = &t0->calls[4095 - 3072];
	c->state = CALL_CONNECTED;
	snprintf(c->calling, sizeof(c->calling), "127002");
	snprintf(c->called, sizeof(c->called), "127001");
	memcpy(c->facilities, fixture_facilities, sizeof(fixture_facilities));
	c->facilities_len = sizeof(fixture_facilities);
	c->started_ms = now - 2500;
	c->leg[LEG_CALLER] = (struct leg){.call = c, .port = &t1->port, .lci = 1, .state = LEG_OPEN, .side = LEG_CALLER,
					  .packets_in = 3, .bytes_in = 300};
	c->leg[LEG_CALLEE] = (struct leg){.call = c, .port = &t0->port, .lci = 4095, .state = LEG_OPEN, .side = LEG_CALLEE,
					  .packets_in = 2, .bytes_in = 20};
	t1->legs[1] = &c->leg[LEG_CALLER];
	t1->legs_mapped = 1;
	t0->legs[4095] = &c->leg[LEG_CALLEE];
	t0->legs_mapped = 1;
	t0->calls_in_use = 1;
	relay->calls_by_state[CALL_CONNECTED] = 1;

	relay->counters.packets_handled[PKT_CALL_REQUEST] = 2;
	relay->counters.packets_handled[PKT_DATA] = 5;
	relay->counters.packets_handled[PKT_INTERRUPT] = 1;
	relay->counters.packets_handled[PKT_DIAGNOSTIC] = 1;
	relay->counters.packets_handled[PKT_UNKNOWN] = 1;
	relay->counters.packets_unknown_type[0xFD] = 1;
	relay->counters.causes_received[0x00] = 1;
	relay->counters.causes_generated[0x05] = 1;
	relay->counters.calls_relayed = 2;
	relay->counters.calls_connected = 1;
	relay->counters.calls_refused_no_lci = 1;
	relay->counters.unknown_lci_cleared = 3;
	relay->counters.frames_dropped_short = 4;
	return relay;
}

/* Put a connected call calling -> called in slot of t (caller leg on the peer TUN's LCI peer_lci). */
static struct call *fixture_call(struct relay *relay, struct tun *t, unsigned slot, struct tun *peer,
				 uint16_t peer_lci)
{
	struct call *c = &t->calls[slot];

	*c = (struct call){.state = CALL_CONNECTED, .started_ms = loop_now_ms()};
	snprintf(c->calling, sizeof(c->calling), "%s", peer->address);
	snprintf(c->called, sizeof(c->called), "%s", t->address);
	memcpy(c->facilities, fixture_facilities, sizeof(fixture_facilities));
	c->facilities_len = sizeof(fixture_facilities);
	c->leg[LEG_CALLER] = (struct leg){.call = c, .port = &peer->port, .lci = peer_lci, .state = LEG_OPEN,
					  .side = LEG_CALLER, .packets_in = 1000, .bytes_in = 100000};
	c->leg[LEG_CALLEE] = (struct leg){.call = c, .port = &t->port, .lci = (uint16_t)(t->lci_start + slot),
					  .state = LEG_OPEN, .side = LEG_CALLEE, .packets_in = 1000, .bytes_in = 100000};
	t->calls_in_use++;
	relay->calls_by_state[CALL_CONNECTED]++;
	return c;
}

/* A relay with ntuns TUNs of LCIs 1-4095, each with calls_per_tun connected calls from the next TUN. */
static struct relay *fixture_big_relay(unsigned ntuns, unsigned calls_per_tun)
{
	struct relay *relay = calloc(1, sizeof(*relay));

	if (!relay)
		abort();
	relay->started_ms = loop_now_ms();
	for (unsigned i = 0; i < ntuns; i++) {
		char address[16];

		snprintf(address, sizeof(address), "127%03u", i);
		fixture_tun(relay, i, address, 1, 4095, LINK_READY);
	}
	for (unsigned i = 0; i < ntuns; i++)
		for (unsigned j = 0; j < calls_per_tun; j++)
			fixture_call(relay, relay->tuns[i], j, relay->tuns[(i + 1) % ntuns], (uint16_t)(j + 1));
	return relay;
}

static void fixture_free(struct relay *relay)
{
	for (unsigned i = 0; i < CONFIG_MAX_ROUTES; i++)
		tun_free(relay->tuns[i]);
	free(relay);
}

#endif
