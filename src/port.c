// SPDX-License-Identifier: GPL-2.0-or-later
/* port.c - the transmit side: LCI rewrite, generated packets, counting and capture of what left. */
#include "port.h"

#include "call.h"
#include "packet.h"
#include "pcap.h"
#include "relay.h"
#include "trace.h"
#include "x25.h"

void port_sent(struct port *p, uint8_t pseudo_header, const uint8_t *packet, size_t len)
{
	p->counters.packets_sent++;
	p->counters.bytes_sent += len;
	if (p->relay->pcap)
		pcap_record(p->relay->pcap, p, true, pseudo_header, packet, len);
}

static bool transmit(struct port *p, uint8_t *packet, size_t len)
{
	if (!p->ops->transmit(p, packet, len))
		return false;
	port_sent(p, X25_IFACE_DATA, packet, len);
	return true;
}

bool port_forward(struct leg *to, uint8_t *packet, size_t len)
{
	packet_set_lci(packet, to->lci);
	return transmit(to->port, packet, len);
}

/* buf: PORT_HEADROOM bytes of room, then the packet. */
static bool send_generated(struct port *p, uint8_t *buf, size_t len)
{
	uint8_t *packet = buf + PORT_HEADROOM;

	if (log_trace_on)
		trace_frame(trace_x25lo, p->name, X25_IFACE_DATA, packet, len, p->extended);
	return transmit(p, packet, len);
}

bool port_send_clear(struct port *p, uint16_t lci, uint8_t cause, uint8_t diag)
{
	uint8_t buf[PORT_HEADROOM + 8];

	p->relay->counters.causes_generated[cause]++;
	return send_generated(p, buf, packet_build_clear(buf + PORT_HEADROOM, p->extended, lci, cause, diag));
}

bool port_send_clear_confirmation(struct port *p, uint16_t lci)
{
	uint8_t buf[PORT_HEADROOM + 8];

	return send_generated(p, buf, packet_build_clear_confirmation(buf + PORT_HEADROOM, p->extended, lci));
}

bool port_send_restart_confirmation(struct port *p)
{
	uint8_t buf[PORT_HEADROOM + 8];

	return send_generated(p, buf, packet_build_restart_confirmation(buf + PORT_HEADROOM, p->extended));
}
