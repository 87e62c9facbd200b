// SPDX-License-Identifier: GPL-2.0-or-later
/* link.c - per-TUN link: connect echo, restart handshake, readiness, link loss (docs/linux-x25.md §1.4-1.6, §7). */
#include "link.h"

#include "call.h"
#include "log.h"
#include "port.h"
#include "relay.h"
#include "tun.h"

/* A link frame the TUN did not take is written again this much later. */
#define LINK_RETRY_MS 1000

static void link_retry(void *ctx);

/*
 * The kernel waits for a frame x25lo could not write: CONNECT, or the RESTART CONFIRMATION
 * without which it stays in link state 2 and repeats its request only after T20 (180 s).
 */
static void link_owe(struct tun *t, enum link_owed what)
{
	if (!timer_pending(&t->link_timer))
		timer_init(&t->link_timer, link_retry, t);
	t->link_owed = (uint8_t)what;
	timer_set(loop_timers(t->port.relay->loop), &t->link_timer, loop_now_ms() + LINK_RETRY_MS);
}

/*
 * What was owed went out by another path (a new request answered): the retry must not send it
 * again. An unrequested RESTART CONFIRMATION in link state 3 kills every call on the TUN.
 */
static void link_paid(struct tun *t)
{
	t->link_owed = LINK_OWES_NOTHING;
	timer_cancel(&t->link_timer);
}

static void send_connect(struct tun *t)
{
	if (!tun_send_control(t, X25_IFACE_CONNECT)) {
		link_owe(t, LINK_OWES_CONNECT);
		return;
	}
	link_paid(t);
}

static void confirm_restart(struct tun *t)
{
	if (!port_send_restart_confirmation(&t->port)) {
		t->link = LINK_STARTING;
		link_owe(t, LINK_OWES_RESTART_CONFIRMATION);
		return;
	}
	link_paid(t);
	if (t->link != LINK_READY) {
		t->link = LINK_READY;
		t->port.counters.link_up++;
		log_info("%s: link operational", t->port.name);
	}
}

static void link_retry(void *ctx)
{
	struct tun *t = ctx;
	enum link_owed owed = (enum link_owed)t->link_owed;

	t->link_owed = LINK_OWES_NOTHING;
	/* Down: the interface coming back up starts the link afresh. */
	if (t->link == LINK_DOWN)
		return;
	switch (owed) {
	case LINK_OWES_CONNECT: send_connect(t); break;
	case LINK_OWES_RESTART_CONFIRMATION: confirm_restart(t); break;
	case LINK_OWES_NOTHING: break;
	}
}

void link_start(struct tun *t)
{
	t->link = LINK_STARTING;
	send_connect(t);
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
	link_start(t);
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
	confirm_restart(t);
}
