// SPDX-License-Identifier: GPL-2.0-or-later
/* relay.c - the receive side: read a TUN frame, decode once, demultiplex by [TUN][LCI], trace. */
#include "relay.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "call.h"
#include "link.h"
#include "log.h"
#include "pcap.h"
#include "trace.h"
#include "xot.h"

/* A relayed packet goes out from the read buffer: its framing must fit where the TUN's was. */
_Static_assert(PORT_HEADROOM <= TUN_FRAME_HEADER, "the read buffer leaves too little headroom");

/* Frames handled per TUN per wake-up, so one busy TUN cannot starve the others. */
#define READ_BUDGET 64
/* At most this many frames read from a caller's TUN before a CALL ACCEPTED (its ring's length). */
#define DRAIN_BUDGET TUN_TX_QUEUE_LEN

static void read_frames(struct tun *t, uint8_t *buf, size_t size, int budget);

void relay_init(struct relay *relay, struct loop *loop, const struct config *cfg)
{
	memset(relay, 0, sizeof(*relay));
	relay->loop = loop;
	relay->cfg = *cfg;
	relay->started_ms = loop_now_ms();
	relay->config_generation = 1;
	relay->last_reload_ok = true;
	relay->x25_fd = -1;
	relay->rtnl_fd = -1;
	timer_queue_init(loop, &relay->setup_timers);
	timer_queue_init(loop, &relay->clearing_timers);
}

unsigned relay_calls_active(const struct relay *relay)
{
	return relay->calls_by_state[CALL_SETUP] + relay->calls_by_state[CALL_CONNECTED] +
	       relay->calls_by_state[CALL_CLEARING];
}

unsigned relay_channels_mapped(const struct relay *relay)
{
	unsigned n = 0;

	for (unsigned i = 0; i < relay->ntuns; i++)
		if (relay->tuns[i])
			n += relay->tuns[i]->legs_mapped;
	return n + xot_legs_mapped(relay);
}

void relay_read_drops(struct relay *relay)
{
	for (unsigned i = 0; i < relay->ntuns; i++)
		if (relay->tuns[i])
			tun_read_drops(relay->tuns[i]);
}

void relay_read_caller_first(struct leg *leg)
{
	struct relay *relay = leg->port->relay;
	struct port *caller;

	if (relay->draining)
		return; /* a CALL ACCEPTED read while draining waits no further: no nesting */
	caller = call_accept_caller_port(leg);
	if (!caller)
		return;
	/*
	 * A CALL REQUEST the caller's kernel queued on the same LCI means two sockets hold it
	 * (docs/linux-x25.md §9.3), and the kernel would hand CALL ACCEPTED to whichever it finds
	 * first. Seen before it, the reuse clears the call before anyone is connected. A second
	 * buffer: the CALL ACCEPTED is still in the first (or in an XOT connection's).
	 */
	relay->draining = true;
	read_frames(tun_of(caller), relay->drain_frame, sizeof(relay->drain_frame), DRAIN_BUDGET);
	relay->draining = false;
}

/* Returns the port the packet was relayed to, NULL when x25lo consumed or dropped it. */
static struct port *packet_received(struct tun *t, uint8_t *packet, size_t len)
{
	struct relay *relay = t->port.relay;
	struct x25_packet pkt;
	struct leg *leg;

	if (packet_decode(packet, len, t->port.extended, &pkt) < 0) {
		relay->counters.frames_dropped_short++;
		return NULL;
	}
	relay_count_packet(relay, &pkt);
	if (pkt.lci == 0) {
		link_control_received(t, &pkt);
		return NULL;
	}
	/* Left in the ring from before a link loss: their sockets are gone (docs/linux-x25.md §1.6). */
	if (t->link != LINK_READY) {
		relay->counters.frames_dropped_state++;
		return NULL;
	}
	/* Direct index: no search, whatever the number of calls. */
	leg = t->legs[pkt.lci];
	if (leg && pkt.type == PKT_CALL_ACCEPTED) {
		relay_read_caller_first(leg);
		leg = t->legs[pkt.lci];
	}
	if (leg)
		return call_packet_received(leg, &pkt, packet);
	if (pkt.type == PKT_CALL_REQUEST) {
		t->port.counters.call_request++;
		return call_request_received(t, &pkt, packet);
	}
	call_unknown_lci(t, &pkt);
	return NULL;
}

static void frame_received(struct tun *t, uint8_t *frame, size_t len)
{
	struct relay *relay = t->port.relay;
	uint8_t *packet = frame + TUN_FRAME_HEADER;
	struct port *to = NULL;
	size_t packet_len;
	uint8_t pseudo_header;

	t->port.counters.packets_received++;
	if (len < TUN_FRAME_HEADER) {
		relay->counters.frames_dropped_short++;
		return;
	}
	packet_len = len - TUN_FRAME_HEADER;
	/* Other protocol families can still send frames to the device (docs/linux-x25.md §1.1). */
	if (frame[2] != (ETH_P_X25_PROTO >> 8) || frame[3] != (ETH_P_X25_PROTO & 0xFF)) {
		relay->counters.frames_dropped_proto++;
		return;
	}
	t->port.counters.bytes_received += packet_len;
	if (relay->pcap)
		pcap_record(relay->pcap, &t->port, false, frame[4], packet, packet_len);
	/*
	 * Kept for the trace: the port a packet is relayed to writes its own framing into the
	 * bytes before it (an XOT header covers frame[4]).
	 */
	pseudo_header = frame[4];
	switch (pseudo_header) {
	case X25_IFACE_DATA:
		to = packet_received(t, packet, packet_len);
		break;
	case X25_IFACE_CONNECT:
		link_connect_received(t);
		break;
	case X25_IFACE_DISCONNECT:
		link_disconnect_received(t);
		break;
	default:
		relay->counters.frames_dropped_proto++;
		return;
	}
	/*
	 * The one trace line of a frame read, once x25lo is done with it: a relayed packet shows
	 * where it went (and its new LCI), others go to x25lo. Packets sent in answer were
	 * traced as they left, so they come first.
	 */
	if (log_trace_on)
		trace_frame(t->port.name, to ? to->name : trace_x25lo, pseudo_header, packet, packet_len, t->port.extended);
}

/* Read and handle up to budget frames of t into buf, until its ring is empty. */
static void read_frames(struct tun *t, uint8_t *buf, size_t size, int budget)
{
	struct relay *relay = t->port.relay;

	for (; budget > 0 && !t->retired; budget--) {
		ssize_t n = read(t->fd, buf, size);

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR) {
				/* Level-triggered: stop watching, or a broken fd would spin the loop. */
				log_error("%s: reading the TUN failed: %s; removing it (SIGHUP re-creates it)",
					  t->port.name, strerror(errno));
				loop_del(relay->loop, &t->watch);
				t->link = LINK_DOWN;
				t->failed = true;
			}
			return;
		}
		/* tun sets TUN_PKT_STRIP when our buffer was too small: never relay a cut frame. */
		if (n >= 2 && (buf[0] | buf[1]) != 0) {
			relay->counters.frames_dropped_truncated++;
			continue;
		}
		frame_received(t, buf, (size_t)n);
	}
}

void relay_tun_readable(void *ctx, uint32_t events)
{
	struct tun *t = ctx;

	read_frames(t, t->port.relay->frame, sizeof(t->port.relay->frame), READ_BUDGET);
}
