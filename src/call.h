// SPDX-License-Identifier: GPL-2.0-or-later
/* call.h - two-leg call state: set-up, relaying decisions, clearing handshake, timers. */
#ifndef X25LO_CALL_H
#define X25LO_CALL_H

#include <stdbool.h>
#include <stdint.h>

#include "loop.h"
#include "packet.h"

struct port;
struct relay;
struct tun;

enum leg_state {
	LEG_IDLE,     /* not mapped */
	LEG_OPEN,     /* the kernel has a socket on this LCI that x25lo relays for */
	LEG_CLEARING, /* CLEAR INDICATION sent, waiting for the kernel's CLEAR CONFIRMATION */
};

enum { LEG_CALLER = 0, LEG_CALLEE = 1 };

/* A packet owed to a clearing leg's kernel that its port did not take: retried by the leg's timer. */
enum leg_unsent {
	UNSENT_NONE,
	UNSENT_CLEAR,        /* CLEAR INDICATION (with cause and diag) */
	UNSENT_CONFIRMATION, /* CLEAR CONFIRMATION of the kernel's CLEAR REQUEST */
};

/* One side of a call: an LCI on a port. */
struct leg {
	struct call *call;
	struct port *port; /* NULL once an idle leg's port is gone (the call lives on elsewhere) */
	uint16_t lci;
	uint8_t state;  /* enum leg_state */
	uint8_t side;   /* LEG_CALLER or LEG_CALLEE */
	uint8_t unsent; /* enum leg_unsent, while CLEARING */
	uint8_t cause, diag;           /* of the CLEAR sent (or owed) while CLEARING */
	bool clear_timed_out;          /* freed by the clear timer, never confirmed (for the call record) */
	uint64_t packets_in, bytes_in; /* read from this leg's kernel */
	struct timer clearing;         /* while CLEARING: confirmation wait, or the retry of what is unsent */
};

enum call_state {
	CALL_FREE,
	CALL_SETUP,     /* INCOMING CALL injected, waiting for CALL ACCEPTED */
	CALL_CONNECTED, /* data transfer */
	CALL_CLEARING,  /* at least one leg clearing, none open */
	CALL_STATE_COUNT
};

/*
 * Why a call ended, or why x25lo refused it, as its call record says (docs/call-records.md):
 * the first decision wins. x25lo's own reasons name the leg they concern in end_side.
 */
enum call_end {
	CALL_END_NONE,           /* not decided yet */
	CALL_END_CLEARED,        /* end_side sent CLEAR REQUEST */
	CALL_END_SETUP_TIMEOUT,  /* no CALL ACCEPTED within call_timeout_ms */
	CALL_END_WRITE_FAILED,   /* a packet of the call could not be written to end_side */
	CALL_END_LINK_LOST,      /* end_side's TUN lost its link (restart, interface down) */
	CALL_END_TUN_REMOVED,    /* end_side's TUN was removed (route removed, interface gone, TUN failed) */
	CALL_END_SHUTDOWN,       /* x25lo is stopping */
	CALL_END_LCI_REUSED,     /* end_side's kernel sent a new CALL REQUEST on the call's LCI */
	CALL_END_XOT_DNS,        /* the XOT server's name did not resolve */
	CALL_END_XOT_REFUSED,    /* the XOT peer refused the TCP connection */
	CALL_END_XOT_UNREACHABLE,
	CALL_END_XOT_TIMEOUT,    /* no TCP connection within xot_connect_timeout_ms */
	CALL_END_XOT_CLOSED,     /* the XOT peer closed or reset the connection */
	CALL_END_XOT_PROTOCOL,   /* the XOT peer broke the framing */
	/* Refused: the CALL REQUEST never reached a callee. */
	CALL_END_NO_TARGET,
	CALL_END_NO_LCI,
	CALL_END_MODULO,
	CALL_END_MALFORMED,
	CALL_END_INJECT_FAILED,  /* the INCOMING CALL could not be written */
	CALL_END_COUNT
};

#define CALL_CUD_KEPT 16 /* call user data kept for the record: X.25's basic field (no fast select) */

struct call {
	struct leg leg[2]; /* [LEG_CALLER] = where the CALL REQUEST left, [LEG_CALLEE] = injected */
	uint8_t state;     /* enum call_state */
	char calling[16], called[16];
	uint8_t facilities[32]; /* as in the CALL REQUEST (truncated copy for /sessions) */
	uint8_t facilities_len;
	uint64_t started_ms;
	struct timer setup; /* while SETUP */
	/* For the call record: how it ended (enum call_end, the leg concerned, the cause sent or received). */
	uint8_t end, end_side, end_cause, end_diag;
	uint8_t accepted[4];        /* CALL ACCEPTED's packet sizes (log2) in/out, windows in/out; 0 = absent */
	uint16_t cud_len;           /* call user data in the CALL REQUEST; the first CALL_CUD_KEPT bytes: */
	uint8_t cud[CALL_CUD_KEPT];
	uint64_t connected_ms, ended_ms; /* loop clock; 0 = never */
};

/*
 * The receive handlers take a decoded packet and its bytes (writable: a relayed packet's
 * LCI is rewritten in place) and return the port the packet was relayed to, or NULL when
 * x25lo consumed it; the caller traces it from that.
 */

/*
 * A CALL REQUEST read from origin on an LCI x25lo does not map: from a TUN (a local
 * program's call, to a local address or over XOT) or from an XOT connection (to the local
 * address it calls).
 */
struct port *call_request_from(struct port *origin, const struct x25_packet *pkt, uint8_t *packet);
struct port *call_request_received(struct tun *origin, const struct x25_packet *pkt, uint8_t *packet);

/*
 * x25lo refuses pkt, a CALL REQUEST read from origin: CLEAR with cause and diag, counter
 * counted, a call record (why; target is where the call would have gone, if chosen). NULL.
 */
struct port *call_refuse(struct port *origin, const struct x25_packet *pkt, const struct port *target,
			 uint8_t cause, uint8_t diag, uint64_t *counter, enum call_end why);

/*
 * For a port that holds the memory of the calls it is callee of (an XOT connection): start
 * call, its legs on caller/caller_lci and callee/callee_lci, from its CALL REQUEST; then
 * deliver that packet to the callee (returns the callee's port, or NULL when it could not be
 * written: the caller is then cleared).
 */
void call_start(struct relay *relay, struct call *call, struct port *caller, uint16_t caller_lci,
		struct port *callee, uint16_t callee_lci, const struct x25_packet *pkt,
		const struct x25_call_fields *fields);
struct port *call_deliver(struct relay *relay, struct call *call, uint8_t *packet, size_t len);

/*
 * The far end of leg is gone without a packet (an XOT connection closed or failed): forget
 * leg, clear the call's other side with cause and diag; why is the record's reason.
 */
void call_leg_lost(struct leg *leg, uint8_t cause, uint8_t diag, enum call_end why);

/* A leg takes lci on port (port->ops->map). */
void call_leg_open(struct leg *leg, struct call *call, struct port *port, uint16_t lci, uint8_t side);

/* Any packet read on an LCI that x25lo maps to leg. */
struct port *call_packet_received(struct leg *leg, const struct x25_packet *pkt, uint8_t *packet);

/*
 * A CALL ACCEPTED was read on leg: the TUN port it would be relayed to, whose pending packets
 * the receive side must handle first (a CALL REQUEST its kernel queued on the same LCI means
 * two sockets hold that LCI, docs/linux-x25.md §9.3); NULL when it will not be relayed, goes
 * back to the port it came from (read in order anyway), or to an XOT connection (its LCI is
 * its own).
 */
struct port *call_accept_caller_port(const struct leg *leg);

/* Any packet other than CALL REQUEST on an LCI x25lo does not map (docs/linux-x25.md §7 rule 16). */
void call_unknown_lci(struct tun *t, const struct x25_packet *pkt);

/*
 * The kernel of t has lost every call on it (link restart, interface down, removal):
 * forget t's legs without sending anything on t, and clear their peers with cause.
 * With forget_peers, peers on other TUNs are cleared but not waited for (t is going away
 * and the call slots it holds go with it).
 */
unsigned call_forget_tun(struct tun *t, uint8_t cause, bool forget_peers);

/* Clear every open leg of every call (shutdown). Returns the number of legs still mapped. */
unsigned call_clear_all(struct relay *relay, uint8_t cause, uint8_t diag);

#endif
