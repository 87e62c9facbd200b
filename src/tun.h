// SPDX-License-Identifier: GPL-2.0-or-later
/* tun.h - an ARPHRD_X25 TUN device as a port: the struct, its device, its frames toward the kernel. */
#ifndef X25LO_TUN_H
#define X25LO_TUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "port.h"
#include "x25.h"

struct call;
struct leg;
struct relay;

enum link_state {
	LINK_DOWN,     /* interface down (or not yet up): nothing can be written */
	LINK_STARTING, /* CONNECT sent, waiting for the kernel's RESTART REQUEST */
	LINK_READY,    /* restart confirmed: calls may be injected */
};

/* A link frame x25lo owes the kernel after the TUN did not take it (retried by link.c). */
enum link_owed {
	LINK_OWES_NOTHING,
	LINK_OWES_CONNECT,
	LINK_OWES_RESTART_CONFIRMATION,
};

struct tun {
	struct port port; /* first: the TUN is the port its legs live on */
	char address[16]; /* the X.121 address routed to it */
	int ifindex;
	int fd;
	struct io_watch watch;
	enum link_state link;
	uint8_t link_owed;       /* enum link_owed */
	struct timer link_timer; /* while something is owed */
	bool admin_up;    /* last IFF_UP seen via rtnetlink */
	bool route_added;
	bool retired;     /* removed from the relay, freed after the current batch */
	struct tun *next_retired;
	uint64_t drops_logged;   /* tx + rx dropped when last logged */
	uint64_t drops_log_ms;
	bool failed;      /* the TUN fd broke: removed after the current batch */
	bool xot_gateway; /* carries the kernel routes of XOT prefixes, no address of its own (xot.c) */
	uint16_t lci_start, lci_end; /* range for injected calls, fixed at creation */
	uint16_t lci_cursor;         /* next candidate, moving down */
	uint16_t lci_last_freed;
	unsigned legs_mapped;        /* entries in legs[] (both directions, clearing included) */
	unsigned calls_in_use;       /* slots of calls[] in use */
	struct call *calls;          /* [lci_end - lci_start + 1], indexed by injected LCI */
	struct leg *legs[X25_LCI_COUNT];
};

/* The TUN of a port whose ops are the TUN's (today every port's). */
static inline struct tun *tun_of(struct port *p)
{
	return (struct tun *)(void *)((char *)p - offsetof(struct tun, port));
}

/*
 * The one constructor of a TUN (daemon, unit tests and benchmark): name <prefix><index>,
 * link down, no device yet (fd -1), an empty call table for lci_start..lci_end.
 * NULL when memory runs out.
 */
struct tun *tun_new(struct relay *relay, const char *prefix, unsigned index, const char *address,
		    uint16_t lci_start, uint16_t lci_end, bool extended);
/* Close the device (if open) and free t. */
void tun_free(struct tun *t);

/*
 * Create (or attach to) the TUN device t->port.name in PI mode with link type ARPHRD_X25,
 * set while the interface is down, and a long transmit ring. Sets t->fd (non-blocking)
 * and t->ifindex. Returns 0, or -1 with err set.
 */
int tun_open_device(struct tun *t, char *err, size_t errlen);

/* 1 when the interface is up, 0 when down, -1 when it no longer exists (or cannot be read). */
int tun_is_up(const char *name);

/* Set or clear IFF_UP. Returns 0 or -1 with err set. */
int tun_set_up(const char *name, bool up, char *err, size_t errlen);

/*
 * Read the kernel's tx_dropped and rx_dropped of t's device into its port counters
 * (sysfs; kept as they were when the device cannot be read). Returns 0 or -1.
 */
int tun_read_drops(struct tun *t);

/*
 * A frame with only a pseudo-header (link CONNECT / DISCONNECT): written even while the
 * link is down. Returns whether the TUN took it.
 */
bool tun_send_control(struct tun *t, uint8_t pseudo_header);

/*
 * Frames the kernel can queue on a TUN (its transmit ring): deep enough that a burst never
 * overflows it before x25lo reads it.
 */
#define TUN_TX_QUEUE_LEN 4096

/* Offset of the X.25 packet in a TUN frame: 4-byte tun_pi + 1-byte pseudo-header. */
#define TUN_FRAME_HEADER 5

#endif
