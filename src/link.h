// SPDX-License-Identifier: GPL-2.0-or-later
/* link.h - per-TUN link: connect echo, restart handshake, readiness, link loss. */
#ifndef X25LO_LINK_H
#define X25LO_LINK_H

#include "packet.h"

struct tun;

/* Ask the kernel to bring the link up: CONNECT, to which it answers RESTART REQUEST. */
void link_start(struct tun *t);

/* Pseudo-header CONNECT / DISCONNECT frames from the kernel. */
void link_connect_received(struct tun *t);
void link_disconnect_received(struct tun *t);

/* A packet on LCI 0: restart, diagnostic, registration. Never relayed. */
void link_control_received(struct tun *t, const struct x25_packet *pkt);

/* Every call on t is dead in the kernel: forget t's legs, clear their peers (cause 0x09). */
void link_lost(struct tun *t, const char *why);

#endif
