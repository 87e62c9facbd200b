// SPDX-License-Identifier: GPL-2.0-or-later
/* port.h - where a call leg lives, and the transmit side: every packet leaves x25lo through a port. */
#ifndef X25LO_PORT_H
#define X25LO_PORT_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct leg;
struct port;
struct relay;

/*
 * Writable bytes in front of every packet handed to a port, so the port writes its own
 * framing in place and sends packet and framing with one system call, no copy. 5 is the
 * largest framing: a TUN's tun_pi and pseudo-header (docs/linux-x25.md §1.3).
 */
#define PORT_HEADROOM 5

struct call;

enum port_kind {
	PORT_TUN, /* an ARPHRD_X25 TUN: the kernel's X.25 on this machine (tun.c) */
	PORT_XOT, /* one XOT connection: one virtual circuit over TCP, RFC 1613 (xot.c) */
};

/* What differs between kinds of port. */
struct port_ops {
	/* Write one X.25 packet; the PORT_HEADROOM bytes before packet are the port's to fill. */
	bool (*transmit)(struct port *port, uint8_t *packet, size_t len);
	/* leg now holds lci on this port: packets read on it go to leg. */
	void (*map)(struct port *port, uint16_t lci, struct leg *leg);
	/* The leg on lci no longer carries a call: the LCI is free on this port again. */
	void (*unmap)(struct port *port, uint16_t lci);
	/* call, whose memory this port holds (it is the call's callee side), has ended. */
	void (*call_freed)(struct port *port, struct call *call);
};

/* goxot's interface_* figures, per port. */
struct port_counters {
	uint64_t sessions_opened, sessions_closed;
	uint64_t call_request, call_connected, clear_request, clear_confirm;
	uint64_t packets_sent, packets_received, bytes_sent, bytes_received;
	uint64_t link_up, link_lost;
	/* Frames the kernel dropped on the device: on their way to x25lo, or written by x25lo. */
	uint64_t kernel_tx_dropped, kernel_rx_dropped;
};

struct port {
	const struct port_ops *ops;
	enum port_kind kind;
	struct relay *relay;
	char name[IFNAMSIZ];  /* in logs, traces, /varz and /sessions */
	char description[48]; /* the capture file's interface description */
	const char *capture_name; /* the capture's interface: name, or one shared by many ports */
	unsigned index;       /* the capture's interface slot and LAPD TEI */
	bool extended;        /* modulo 128 */
	struct port_counters counters;
};

/*
 * Relay a packet read from another port to the leg `to`: its LCI is rewritten in place and
 * the same buffer written out. Returns whether the port took the whole packet.
 */
bool port_forward(struct leg *to, uint8_t *packet, size_t len);

/*
 * Packets x25lo generates itself; each returns whether the port took it. port_send_clear
 * counts the cause as generated.
 */
bool port_send_clear(struct port *p, uint16_t lci, uint8_t cause, uint8_t diag);
bool port_send_clear_confirmation(struct port *p, uint16_t lci);
bool port_send_restart_confirmation(struct port *p);

/* Count and capture a frame that left through p (ports call it after a whole write). */
void port_sent(struct port *p, uint8_t pseudo_header, const uint8_t *packet, size_t len);

#endif
