/* relay.c - the hot path: read a TUN frame, demultiplex by [TUN][LCI], rewrite the LCI in place, write. */
#include "relay.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "call.h"
#include "link.h"
#include "log.h"
#include "pcap.h"

/* Frames handled per TUN per wake-up, so one busy TUN cannot starve the others. */
#define READ_BUDGET 64
#define TRACE_MAX_BYTES 96

static const char relay_label[] = "x25lo";

/* Only reached when -trace is on. */
static void trace_packet(const char *src, const char *dst, const uint8_t *packet, size_t len, bool extended)
{
	char hex[TRACE_MAX_BYTES * 3 + 32], namebuf[16];
	struct x25_packet pkt;
	const char *name = "SHORT";
	size_t shown = len < TRACE_MAX_BYTES ? len : TRACE_MAX_BYTES, n = 0;

	if (packet_decode(packet, len, extended, &pkt) == 0)
		name = packet_trace_name(&pkt, namebuf);
	for (size_t i = 0; i < shown; i++)
		n += (size_t)snprintf(hex + n, sizeof(hex) - n, i ? " %02X" : "%02X", packet[i]);
	if (shown < len)
		snprintf(hex + n, sizeof(hex) - n, " ... (%zu bytes)", len);
	log_msg("%s>%s %s %s", src, dst, name, hex);
}

static void trace_control(const char *src, const char *dst, uint8_t pseudo_header)
{
	static const char *const names[] = {"DATA", "CONNECT", "DISCONNECT", "PARAMS"};

	log_msg("%s>%s %s", src, dst, pseudo_header < 4 ? names[pseudo_header] : "PSEUDO-HEADER?");
}

/* Link CONNECT/DISCONNECT go out even while the link is down (they bring it up). */
static bool write_frame(struct tun *t, const uint8_t *frame, size_t len, bool even_if_down)
{
	struct relay *relay = t->relay;
	ssize_t n;

	if (t->link == LINK_DOWN && !even_if_down) {
		relay->counters.write_errors++;
		return false;
	}
	n = write(t->fd, frame, len);
	if (n != (ssize_t)len) {
		relay->counters.write_errors++;
		/* EIO: the interface went down; rtnetlink reports it and link loss follows. */
		if (relay->counters.write_errors < 10 || relay->counters.write_errors % 10000 == 0)
			log_warn("%s: writing a %zu-byte frame failed: %s (%llu write errors so far; calls on it are "
				 "cleared when the link is seen down, check `ip link show %s`)",
				 t->name, len,
				 n < 0 ? strerror(errno) : "short write",
				 (unsigned long long)relay->counters.write_errors, t->name);
		return false;
	}
	t->counters.packets_sent++;
	t->counters.bytes_sent += len - FRAME_PACKET_OFFSET;
	if (relay->pcap)
		pcap_record(relay->pcap, t, true, frame + 4, len - 4);
	return true;
}

bool relay_forward(struct leg *to, const struct leg *from, uint8_t *frame, size_t len)
{
	packet_set_lci(frame + FRAME_PACKET_OFFSET, to->lci);
	if (log_trace_on) {
		to->tun->relay->trace_consumed = true;
		trace_packet(from ? from->tun->name : relay_label, to->tun->name, frame + FRAME_PACKET_OFFSET,
			     len - FRAME_PACKET_OFFSET, to->tun->extended);
	}
	return write_frame(to->tun, frame, len, false);
}

static void send_packet(struct tun *t, const uint8_t *packet, size_t len)
{
	uint8_t frame[FRAME_PACKET_OFFSET + 8] = {0, 0, ETH_P_X25_PROTO >> 8, ETH_P_X25_PROTO & 0xFF, X25_IFACE_DATA};

	memcpy(frame + FRAME_PACKET_OFFSET, packet, len);
	if (log_trace_on)
		trace_packet(relay_label, t->name, packet, len, t->extended);
	write_frame(t, frame, FRAME_PACKET_OFFSET + len, false);
}

void relay_send_clear(struct tun *t, uint16_t lci, uint8_t cause, uint8_t diag)
{
	uint8_t packet[8];

	t->relay->counters.causes_generated[cause]++;
	send_packet(t, packet, packet_build_clear(packet, t->extended, lci, cause, diag));
}

void relay_send_clear_confirmation(struct tun *t, uint16_t lci)
{
	uint8_t packet[8];

	send_packet(t, packet, packet_build_clear_confirmation(packet, t->extended, lci));
}

void relay_send_restart_confirmation(struct tun *t)
{
	uint8_t packet[8];

	send_packet(t, packet, packet_build_restart_confirmation(packet, t->extended));
}

void relay_send_control(struct tun *t, uint8_t pseudo_header)
{
	uint8_t frame[FRAME_PACKET_OFFSET] = {0, 0, ETH_P_X25_PROTO >> 8, ETH_P_X25_PROTO & 0xFF, pseudo_header};

	if (log_trace_on)
		trace_control(relay_label, t->name, pseudo_header);
	write_frame(t, frame, sizeof(frame), true);
}

static void packet_received(struct tun *t, uint8_t *frame, size_t len)
{
	struct relay *relay = t->relay;
	struct x25_packet pkt;
	struct leg *leg;

	if (packet_decode(frame + FRAME_PACKET_OFFSET, len - FRAME_PACKET_OFFSET, t->extended, &pkt) < 0) {
		relay->counters.frames_dropped_short++;
		return;
	}
	relay->counters.packets_handled[pkt.type]++;
	if (pkt.type == PKT_UNKNOWN)
		relay->counters.packets_unknown_type[pkt.type_id]++;
	if (pkt.lci == 0) {
		link_control_received(t, &pkt);
		return;
	}
	/* Left in the ring from before a link loss: their sockets are gone (linux-x25.md §1.6). */
	if (t->link != LINK_READY) {
		relay->counters.frames_dropped_state++;
		return;
	}
	/* Direct index: no search, whatever the number of calls. */
	leg = t->legs[pkt.lci];
	if (leg) {
		call_packet_received(leg, &pkt, frame, len);
		return;
	}
	if (pkt.type == PKT_CALL_REQUEST) {
		t->counters.call_request++;
		call_request_received(t, &pkt, frame, len);
		return;
	}
	call_unknown_lci(t, &pkt);
}

static void frame_received(struct tun *t, uint8_t *frame, size_t len)
{
	struct relay *relay = t->relay;

	t->counters.packets_received++;
	if (len < FRAME_PACKET_OFFSET) {
		relay->counters.frames_dropped_short++;
		return;
	}
	/* Other protocol families can still send frames to the device (linux-x25.md §1.1). */
	if (frame[2] != (ETH_P_X25_PROTO >> 8) || frame[3] != (ETH_P_X25_PROTO & 0xFF)) {
		relay->counters.frames_dropped_proto++;
		return;
	}
	t->counters.bytes_received += len - FRAME_PACKET_OFFSET;
	if (relay->pcap)
		pcap_record(relay->pcap, t, false, frame + 4, len - 4);
	if (log_trace_on) {
		relay->trace_consumed = false;
		if (frame[4] != X25_IFACE_DATA) {
			trace_control(t->name, relay_label, frame[4]);
		} else if (len < FRAME_PACKET_OFFSET + 2 || (frame[5] & 0x0F) + frame[6] == 0) {
			/* LCI 0 is never relayed: show it before the answer it gets. */
			trace_packet(t->name, relay_label, frame + FRAME_PACKET_OFFSET, len - FRAME_PACKET_OFFSET,
				     t->extended);
			relay->trace_consumed = true;
		}
	}
	switch (frame[4]) {
	case X25_IFACE_DATA:
		packet_received(t, frame, len);
		/* One trace line per packet: relayed ones were traced as src>dst on the way out. */
		if (log_trace_on && !relay->trace_consumed)
			trace_packet(t->name, relay_label, frame + FRAME_PACKET_OFFSET, len - FRAME_PACKET_OFFSET,
				     t->extended);
		return;
	case X25_IFACE_CONNECT:
		link_connect_received(t);
		return;
	case X25_IFACE_DISCONNECT:
		link_disconnect_received(t);
		return;
	default:
		relay->counters.frames_dropped_proto++;
		return;
	}
}

void relay_tun_readable(void *ctx, uint32_t events)
{
	struct tun *t = ctx;
	struct relay *relay = t->relay;

	for (int budget = READ_BUDGET; budget > 0 && !t->retired; budget--) {
		ssize_t n = read(t->fd, relay->frame, sizeof(relay->frame));

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR) {
				/* Level-triggered: stop watching, or a broken fd would spin the loop. */
				log_error("%s: reading the TUN failed: %s; removing it (SIGHUP re-creates it)", t->name,
					  strerror(errno));
				loop_del(relay->loop, &t->watch);
				t->link = LINK_DOWN;
				t->failed = true;
			}
			return;
		}
		/* tun sets TUN_PKT_STRIP when our buffer was too small: never relay a cut frame. */
		if (n >= 2 && (relay->frame[0] | relay->frame[1]) != 0) {
			relay->counters.frames_dropped_truncated++;
			continue;
		}
		frame_received(t, relay->frame, (size_t)n);
	}
}
