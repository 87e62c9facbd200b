// SPDX-License-Identifier: GPL-2.0-or-later
/* xot.h - XOT (RFC 1613): X.25 calls over TCP, one connection per call, as a kind of port. */
#ifndef X25LO_XOT_H
#define X25LO_XOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct call;
struct leg;
struct port;
struct relay;
struct tun;
struct x25_call_fields;
struct x25_packet;

#define XOT_HEADER_LEN 4
/* The longest legal X.25 packet: a modulo-128 DATA packet of 4096 bytes. */
#define XOT_MAX_PACKET (4096 + 4)
/* The capture's one interface for every XOT connection (TUNs use their index). */
#define XOT_CAPTURE_INDEX 127

/* Why an XOT connection failed, per peer (docs/xot.md lists the cause each one clears with). */
enum xot_failure {
	XOT_FAIL_DNS,         /* the server's name did not resolve */
	XOT_FAIL_REFUSED,     /* the peer refused the TCP connection */
	XOT_FAIL_UNREACHABLE, /* no route, host down, other connect errors */
	XOT_FAIL_TIMEOUT,     /* no TCP connection within xot_connect_timeout_ms */
	XOT_FAIL_CLOSED,      /* the peer closed or reset the connection while it carried a call */
	XOT_FAIL_PROTOCOL,    /* a bad XOT header, or a packet too short or long */
	XOT_FAIL_NOT_ALLOWED, /* an inbound connection from outside xot_allow */
	XOT_FAIL_LIMIT,       /* an inbound connection over xot_max_connections */
	XOT_FAIL_NO_CALL,     /* an inbound connection sent no CALL REQUEST in time */
	XOT_FAIL_COUNT
};

struct xot_peer_counters {
	uint64_t connections_in, connections_out;
	uint64_t calls_in, calls_out; /* CALL REQUESTs received, sent */
	uint64_t packets_sent, packets_received, bytes_sent, bytes_received;
	uint64_t failures[XOT_FAIL_COUNT];
};

/* One remote address x25lo talked XOT with: "192.0.2.1" (its port is not part of it). */
struct xot_peer {
	char name[48];
	unsigned active; /* connections open now */
	uint64_t last_used_ms;
	struct xot_peer_counters counters;
};

/* Start XOT for relay->cfg: the resolver, and the listener when xot_listen is set. 0 or -1 with err. */
int xot_start(struct relay *relay, char *err, size_t errlen);
/* relay->cfg was reloaded: new connections use its servers, allow-list, timeouts. -1 with err. */
int xot_config_changed(struct relay *relay, char *err, size_t errlen);
/* Close the listener and every connection at once (shutdown, after the calls were cleared). */
void xot_stop(struct relay *relay);
/* After the loop's batch: free connections that are done. */
void xot_after_batch(struct relay *relay);

/*
 * A local program's call (read from origin) to cfg.servers[server]: a new connection carries
 * it. Returns the port the CALL REQUEST went to (queued until the connection is up), or NULL
 * after clearing the caller.
 */
struct port *xot_call_out(struct relay *relay, struct tun *origin, const struct x25_packet *pkt,
			  const struct x25_call_fields *fields, uint8_t *packet, int server);

/* Connections, for the renderings and the call logic: indexes 0..xot_slots()-1, NULL where free. */
unsigned xot_slots(const struct relay *relay);
/* The call living in slot i's connection (an outgoing call), or NULL. */
const struct call *xot_slot_call(const struct relay *relay, unsigned i);
/* The leg on slot i's connection, or NULL. */
struct leg *xot_slot_leg(const struct relay *relay, unsigned i);
/* The remote end of an XOT port, "192.0.2.1:1998" or "[2001:db8::1]:1998". */
const char *xot_peer_text(const struct port *port);
unsigned xot_legs_mapped(const struct relay *relay);
unsigned xot_connections_open(const struct relay *relay);

/* A TUN is going away: calls living in connections forget it in their caller leg. */
void xot_forget_port(struct relay *relay, const struct port *gone);

/* Whether XOT runs (xot_servers or xot_listen configured). */
bool xot_enabled(const struct relay *relay);
/* Every XOT connection's port counters added up, those gone included (goxot's "xot" interface). */
struct port_counters;
void xot_port_counters(const struct relay *relay, struct port_counters *sum);
/* "refused", "timeout", ...: the label of a failure in /varz and /metrics. */
const char *xot_failure_name(enum xot_failure why);

/* The peers seen so far (at most XOT_MAX_PEERS; the oldest idle one makes room), for the per-peer counters. */
size_t xot_peer_count(const struct relay *relay);
const struct xot_peer *xot_peer_at(const struct relay *relay, size_t i);
uint64_t xot_dns_requests(const struct relay *relay);

#endif
