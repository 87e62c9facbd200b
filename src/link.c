/* link.c - per-TUN link: connect echo, restart handshake, readiness, link loss (docs/linux-x25.md §1.4-1.6, §7). */
#include "link.h"

#include "call.h"
#include "log.h"
#include "port.h"
#include "tun.h"

void link_start(struct tun *t)
{
	t->link = LINK_STARTING;
	tun_send_control(t, X25_IFACE_CONNECT);
}

void link_lost(struct tun *t, const char *why)
{
	unsigned mapped = t->legs_mapped, cleared;

	t->port.counters.link_lost++;
	cleared = call_forget_tun(t, X25_CAUSE_OUT_OF_ORDER, false);
	if (mapped > 0)
		log_info("%s: link lost (%s): forgot %u channels, cleared %u peer calls", t->port.name, why, mapped, cleared);
	else
		log_info("%s: link lost (%s)", t->port.name, why);
}

void link_connect_received(struct tun *t)
{
	/* The kernel sends CONNECT only from link state 0: anything it had is gone. */
	if (t->link == LINK_READY)
		link_lost(t, "the kernel asked to reconnect");
	t->link = LINK_STARTING;
	tun_send_control(t, X25_IFACE_CONNECT);
}

void link_disconnect_received(struct tun *t)
{
	/* 6.1 never sends this; echo it as x25-iface.rst asks, then bring the link back. */
	tun_send_control(t, X25_IFACE_DISCONNECT);
	if (t->link == LINK_READY)
		link_lost(t, "the kernel disconnected the link");
	link_start(t);
}

void link_control_received(struct tun *t, const struct x25_packet *pkt)
{
	if (pkt->type != PKT_RESTART_REQUEST) {
		/* x25lo never sends RESTART REQUEST, so a confirmation is stale; the rest means nothing here. */
		log_trace("%s: ignored LCI-0 packet type 0x%02X", t->port.name, pkt->type_id);
		return;
	}
	/*
	 * Confirm every RESTART REQUEST exactly once. One arriving while ready means the
	 * kernel went through link state 0, so its calls on t are already dead.
	 */
	if (t->link == LINK_READY)
		link_lost(t, "the kernel restarted the link");
	port_send_restart_confirmation(&t->port);
	if (t->link != LINK_READY) {
		t->link = LINK_READY;
		t->port.counters.link_up++;
		log_info("%s: link operational", t->port.name);
	}
}
