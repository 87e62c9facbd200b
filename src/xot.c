// SPDX-License-Identifier: GPL-2.0-or-later
/* xot.c - XOT (RFC 1613): X.25 calls over TCP, one connection per call, as a kind of port. */
#include "xot.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "call.h"
#include "log.h"
#include "packet.h"
#include "pcap.h"
#include "relay.h"
#include "resolver.h"
#include "trace.h"
#include "xot_dns.h"

#define XOT_MAX_PEERS 256
#define XOT_TX_MAX (1u << 20)   /* bytes one connection may queue before its call is lost */
#define XOT_LINGER_MS 2000      /* after our last packet, how long the peer has to close first */
#define XOT_LISTEN_BACKLOG 64
#define XOT_LOG_INTERVAL_MS 5000 /* refusals of inbound connections are logged at most this often */

enum conn_state {
	CONN_RESOLVING,  /* outbound: looking up the server's name */
	CONN_CONNECTING, /* outbound: TCP connect in progress */
	CONN_OPEN,       /* packets flow */
	CONN_CLOSING,    /* the call is done: sending what is queued, then closing */
	CONN_CLOSED,     /* fd closed: freed after the batch once nothing refers to it */
};

struct xot_conn {
	struct port port; /* first: the connection is the port its one leg lives on */
	unsigned slot;
	int fd;
	struct io_watch watch;
	uint32_t events; /* what the watch waits for */
	enum conn_state state;
	bool inbound;
	bool retired;
	struct xot_conn *next_retired;
	bool flush_pending;           /* on the list of queues to send after the batch */
	struct xot_conn *next_flush;
	struct xot_peer *peer;
	char peer_text[INET6_ADDRSTRLEN + 8 > XOT_DNS_NAME_MAX + 2 ? INET6_ADDRSTRLEN + 8 : XOT_DNS_NAME_MAX + 2];
	struct leg *leg;   /* the call's leg on this connection, while mapped */
	struct call call;  /* an outbound call lives here: this port is its callee */
	bool call_in_use;
	struct timer timer; /* connect timeout, CALL REQUEST deadline, closing linger */
	bool connected; /* the TCP connection came up (queued packets left) */
	/* outbound */
	int server;
	char server_prefix[CONFIG_ADDR_MAX + 1]; /* for messages: a reload may change cfg.servers meanwhile */
	struct resolver_lookup *lookup;
	struct resolver_address addrs[RESOLVER_MAX_ADDRS];
	size_t naddrs, next_addr;
	enum xot_failure connect_failure; /* why the last address failed */
	/* one read: packets are handled in place, a tail is moved to the front (see conn_readable) */
	uint8_t rx[1 + XOT_HEADER_LEN + XOT_MAX_PACKET + 4096];
	size_t rx_len; /* bytes from rx + 1 */
	/* what TCP has not taken yet, and everything before the connection is up */
	uint8_t *tx;
	size_t tx_len, tx_cap;
};

struct xot {
	struct relay *relay;
	int listen_fd;
	struct io_watch listen_watch;
	unsigned inbound_open;
	struct xot_conn **slots;
	unsigned nslots;
	struct xot_conn *retired;
	struct xot_conn *flush; /* connections with packets queued in this batch */
	struct resolver *resolver;
	struct xot_dns_map *dns_maps[CONFIG_MAX_SERVERS];
	struct xot_peer peers[XOT_MAX_PEERS];
	size_t npeers;
	struct port_counters retired_totals; /* counters of connections gone, for the "xot" figures */
	uint64_t refusal_log_ms;
	uint64_t refusals_unlogged;
};

static struct xot_conn *conn_of(const struct port *p)
{
	return (struct xot_conn *)(void *)((char *)p - offsetof(struct xot_conn, port));
}

static void put_be16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void address_text(const struct sockaddr *sa, char *buf, size_t len, bool with_port)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
		/* An IPv4 peer on a dual-stack listener is shown as IPv4. */
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			inet_ntop(AF_INET, in6->sin6_addr.s6_addr + 12, host, sizeof(host));
			snprintf(buf, len, with_port ? "%s:%u" : "%s", host, port);
			return;
		}
		snprintf(buf, len, with_port ? "[%s]:%u" : "%s", host, port);
		return;
	}
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in4 = (const struct sockaddr_in *)(const void *)sa;

		inet_ntop(AF_INET, &in4->sin_addr, host, sizeof(host));
		port = ntohs(in4->sin_port);
	}
	snprintf(buf, len, with_port ? "%s:%u" : "%s", host, port);
}

/* ---- peers ---- */

/* The counters of a remote address: an old idle peer makes room when the table is full. */
static struct xot_peer *peer_get(struct xot *x, const struct sockaddr *sa)
{
	char name[sizeof(x->peers[0].name)];
	struct xot_peer *oldest = NULL;

	address_text(sa, name, sizeof(name), false);
	for (size_t i = 0; i < x->npeers; i++) {
		if (strcmp(x->peers[i].name, name) == 0)
			return &x->peers[i];
		if (!x->peers[i].active && (!oldest || x->peers[i].last_used_ms < oldest->last_used_ms))
			oldest = &x->peers[i];
	}
	if (x->npeers < XOT_MAX_PEERS)
		oldest = &x->peers[x->npeers++];
	else if (!oldest)
		oldest = &x->peers[XOT_MAX_PEERS - 1]; /* all busy: share the last one's counters */
	if (strcmp(oldest->name, name) != 0) {
		memset(oldest, 0, sizeof(*oldest));
		snprintf(oldest->name, sizeof(oldest->name), "%s", name);
	}
	return oldest;
}

static void peer_attach(struct xot_conn *c, const struct sockaddr *sa)
{
	struct xot *x = c->port.relay->xot;

	if (c->peer)
		c->peer->active--;
	c->peer = peer_get(x, sa);
	c->peer->active++;
	c->peer->last_used_ms = loop_now_ms();
	address_text(sa, c->peer_text, sizeof(c->peer_text), true);
}

static void count_failure(struct relay *relay, struct xot_peer *peer, enum xot_failure why)
{
	relay->counters.xot_failures[why]++;
	if (peer)
		peer->counters.failures[why]++;
}

static void peer_failed(struct xot_conn *c, enum xot_failure why)
{
	count_failure(c->port.relay, c->peer, why);
}

/* ---- connection life ---- */

static void conn_readable(void *ctx, uint32_t events);
static void conn_timer_expired(void *ctx);

static void conn_watch(struct xot_conn *c, uint32_t events)
{
	struct loop *loop = c->port.relay->loop;

	if (c->fd < 0 || events == c->events)
		return;
	if (c->events == 0) {
		if (loop_add(loop, &c->watch, c->fd, events, conn_readable, c) < 0)
			log_warn("%s: cannot watch the XOT connection to %s: %s", c->port.name, c->peer_text,
				 strerror(errno));
	} else if (loop_mod(loop, &c->watch, events) < 0) {
		log_warn("%s: cannot watch the XOT connection to %s: %s", c->port.name, c->peer_text, strerror(errno));
	}
	c->events = events;
}

static void conn_close_fd(struct xot_conn *c)
{
	if (c->fd < 0)
		return;
	if (c->events)
		loop_del(c->port.relay->loop, &c->watch);
	c->events = 0;
	close(c->fd);
	c->fd = -1;
	if (c->inbound)
		c->port.relay->xot->inbound_open--;
}

static void add_counters(struct port_counters *sum, const struct port_counters *add)
{
	uint64_t *to = (uint64_t *)(void *)sum;
	const uint64_t *from = (const uint64_t *)(const void *)add;

	for (size_t i = 0; i < sizeof(*sum) / sizeof(uint64_t); i++)
		to[i] += from[i];
}

/* Off the slot table, freed after the batch (callbacks of this batch may still hold it). */
static void conn_retire(struct xot_conn *c)
{
	struct xot *x = c->port.relay->xot;

	if (c->retired)
		return;
	c->retired = true;
	/* What waited for a connection that never came up never left: not counted as sent. */
	if (!c->connected) {
		c->port.counters.packets_sent = 0;
		c->port.counters.bytes_sent = 0;
	}
	add_counters(&x->retired_totals, &c->port.counters);
	timer_cancel(&c->timer);
	if (c->lookup) {
		resolver_cancel(c->lookup);
		c->lookup = NULL;
	}
	if (c->peer)
		c->peer->active--;
	c->peer = NULL;
	x->slots[c->slot] = NULL;
	c->next_retired = x->retired;
	x->retired = c;
}

static void conn_retire_if_done(struct xot_conn *c)
{
	if (c->state == CONN_CLOSED && !c->leg && !c->call_in_use)
		conn_retire(c);
}

static void conn_closed(struct xot_conn *c)
{
	conn_close_fd(c);
	c->state = CONN_CLOSED;
	timer_cancel(&c->timer);
	if (c->lookup) {
		resolver_cancel(c->lookup);
		c->lookup = NULL;
	}
	conn_retire_if_done(c);
}

/*
 * The TCP connection is gone (or never came) while a call may still hold it: the other side
 * of the call is cleared with cause (docs/xot.md, "Causes").
 */
static void conn_lost(struct xot_conn *c, enum xot_failure why, uint8_t cause, uint8_t diag)
{
	static const uint8_t ends[XOT_FAIL_COUNT] = {
		[XOT_FAIL_DNS] = CALL_END_XOT_DNS,        [XOT_FAIL_REFUSED] = CALL_END_XOT_REFUSED,
		[XOT_FAIL_UNREACHABLE] = CALL_END_XOT_UNREACHABLE, [XOT_FAIL_TIMEOUT] = CALL_END_XOT_TIMEOUT,
		[XOT_FAIL_CLOSED] = CALL_END_XOT_CLOSED,  [XOT_FAIL_PROTOCOL] = CALL_END_XOT_PROTOCOL,
		[XOT_FAIL_NOT_ALLOWED] = CALL_END_XOT_CLOSED, [XOT_FAIL_LIMIT] = CALL_END_XOT_CLOSED,
		[XOT_FAIL_NO_CALL] = CALL_END_XOT_CLOSED,
	};

	conn_closed(c);
	if (c->leg)
		call_leg_lost(c->leg, cause, diag, (enum call_end)ends[why]);
	conn_retire_if_done(c);
}

static void conn_failed(struct xot_conn *c, enum xot_failure why, uint8_t cause, uint8_t diag)
{
	peer_failed(c, why);
	conn_lost(c, why, cause, diag);
}

/* Nothing more to send after what is queued: shut TCP down once it is out, then close. */
static void conn_finish(struct xot_conn *c)
{
	if (c->state == CONN_CLOSED)
		return;
	if (c->state != CONN_OPEN) {
		/* Never connected: the peer saw nothing. */
		conn_closed(c);
		return;
	}
	c->state = CONN_CLOSING;
	if (c->tx_len == 0) {
		shutdown(c->fd, SHUT_WR);
		timer_set(loop_timers(c->port.relay->loop), &c->timer, loop_now_ms() + XOT_LINGER_MS);
	}
}

static struct xot_conn *conn_new(struct relay *relay, bool inbound)
{
	struct xot *x = relay->xot;
	struct xot_conn *c;
	unsigned slot = 0;

	while (slot < x->nslots && x->slots[slot])
		slot++;
	if (slot == x->nslots) {
		unsigned n = x->nslots ? 2 * x->nslots : 64;
		struct xot_conn **grown = realloc(x->slots, n * sizeof(*grown));

		if (!grown)
			return NULL;
		memset(grown + x->nslots, 0, (n - x->nslots) * sizeof(*grown));
		x->slots = grown;
		x->nslots = n;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->port = (struct port){.ops = NULL, .kind = PORT_XOT, .relay = relay, .index = XOT_CAPTURE_INDEX,
				.capture_name = "xot"};
	snprintf(c->port.name, sizeof(c->port.name), "xot%u", slot);
	snprintf(c->port.description, sizeof(c->port.description), "x25lo XOT connections (RFC 1613)");
	c->slot = slot;
	c->fd = -1;
	c->watch.fd = -1;
	c->inbound = inbound;
	c->server = -1;
	timer_init(&c->timer, conn_timer_expired, c);
	x->slots[slot] = c;
	return c;
}

static void conn_free(struct xot_conn *c)
{
	free(c->tx);
	free(c);
}

/* ---- transmit ---- */

static bool tx_queue(struct xot_conn *c, const uint8_t *data, size_t len)
{
	if (c->tx_len + len > XOT_TX_MAX)
		return false;
	if (c->tx_len + len > c->tx_cap) {
		size_t cap = c->tx_cap ? c->tx_cap : 8192;
		uint8_t *grown;

		while (cap < c->tx_len + len)
			cap *= 2;
		grown = realloc(c->tx, cap);
		if (!grown)
			return false;
		c->tx = grown;
		c->tx_cap = cap;
	}
	memcpy(c->tx + c->tx_len, data, len);
	c->tx_len += len;
	return true;
}

/* Send c's queue once the loop's batch is done (xot_after_batch). */
static void flush_after_batch(struct xot_conn *c)
{
	struct xot *x = c->port.relay->xot;

	if (c->flush_pending)
		return;
	c->flush_pending = true;
	c->next_flush = x->flush;
	x->flush = c;
}

/* Write what is queued; 0, or -1 when the connection broke. */
static int tx_flush(struct xot_conn *c)
{
	size_t off = 0;

	while (off < c->tx_len) {
		ssize_t n = send(c->fd, c->tx + off, c->tx_len - off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return -1;
		}
		off += (size_t)n;
	}
	memmove(c->tx, c->tx + off, c->tx_len - off);
	c->tx_len -= off;
	conn_watch(c, EPOLLIN | (c->tx_len ? EPOLLOUT : 0));
	if (c->tx_len == 0 && c->state == CONN_CLOSING) {
		shutdown(c->fd, SHUT_WR);
		timer_set(loop_timers(c->port.relay->loop), &c->timer, loop_now_ms() + XOT_LINGER_MS);
	}
	return 0;
}

/*
 * RFC 1613 §6.1: a CALL REQUEST always names its packet and window sizes, and a CALL
 * ACCEPTED answering one that did not must name them too. The kernel adds them whenever its
 * facility mask allows (x25lo sets it so), but a packet without them is completed here.
 */
static size_t with_flow_facilities(const uint8_t *packet, size_t len, bool extended, uint8_t *out, size_t cap)
{
	struct x25_packet pkt;

	/* Most packets are DATA and RR: only the two call packets are decoded again. */
	if (len < PKT_HEADER_LEN || (packet[2] != X25_CALL_REQUEST && packet[2] != X25_CALL_ACCEPTED))
		return 0;
	if (packet_decode(packet, len, extended, &pkt) < 0 ||
	    (pkt.type != PKT_CALL_REQUEST && pkt.type != PKT_CALL_ACCEPTED))
		return 0;
	return packet_add_flow_facilities(&pkt, out, cap);
}

static bool xot_transmit(struct port *p, uint8_t *packet, size_t len)
{
	struct xot_conn *c = conn_of(p);
	uint8_t completed[XOT_HEADER_LEN + 512];
	uint8_t *frame = packet - XOT_HEADER_LEN;
	size_t n = with_flow_facilities(packet, len, p->extended, completed + XOT_HEADER_LEN,
					sizeof(completed) - XOT_HEADER_LEN);

	if (n) {
		frame = completed;
		len = n;
	}
	if (len < PKT_HEADER_LEN || len > XOT_MAX_PACKET || c->state == CONN_CLOSED || c->state == CONN_CLOSING) {
		p->relay->counters.write_errors++;
		return false;
	}
	/* Version 0, then the packet's length (RFC 1613 §4.1), written in front of it. */
	frame[0] = 0;
	frame[1] = 0;
	put_be16(frame + 2, len);
	/*
	 * Queued, and sent after the loop's batch together with whatever else the batch relayed
	 * to this connection: one send per batch, not one per packet. Everything waits here
	 * until the connection is up; a full queue loses the packet (its call is cleared).
	 */
	if (!tx_queue(c, frame, len + XOT_HEADER_LEN)) {
		p->relay->counters.write_errors++;
		return false;
	}
	if (c->state == CONN_OPEN)
		flush_after_batch(c);
	/* What waited for the connection is credited to the peer once it is up (connect_done). */
	if (c->peer && c->state == CONN_OPEN) {
		c->peer->counters.packets_sent++;
		c->peer->counters.bytes_sent += len;
	}
	return true;
}

static void xot_map(struct port *p, uint16_t lci, struct leg *leg)
{
	conn_of(p)->leg = leg;
}

/* The one call of the connection is over on this side: the connection closes (RFC 1613 §5). */
static void xot_unmap(struct port *p, uint16_t lci)
{
	struct xot_conn *c = conn_of(p);

	c->leg = NULL;
	conn_finish(c);
	conn_retire_if_done(c);
}

static void xot_call_freed(struct port *p, struct call *call)
{
	struct xot_conn *c = conn_of(p);

	c->call_in_use = false;
	conn_retire_if_done(c);
}

static const struct port_ops xot_port_ops = {
	.transmit = xot_transmit,
	.map = xot_map,
	.unmap = xot_unmap,
	.call_freed = xot_call_freed,
};

/* ---- receive ---- */

/*
 * An XOT call goes to the kernel with its packet and window sizes explicit: left out, they
 * mean the X.25 defaults to the caller (RFC 1613 §6.1), but a Linux listener would keep its
 * own values (docs/linux-x25.md §3.3), answer without them, and the two ends would disagree.
 * The completed packet is written after PORT_HEADROOM bytes of out; *pkt, *packet and *len
 * then describe it.
 */
static void call_request_complete(struct xot_conn *c, struct x25_packet *pkt, uint8_t **packet, size_t *len,
				  uint8_t *out, size_t cap)
{
	struct x25_packet full;
	size_t n = with_flow_facilities(*packet, *len, c->port.extended, out + PORT_HEADROOM, cap - PORT_HEADROOM);

	if (n == 0 || packet_decode(out + PORT_HEADROOM, n, c->port.extended, &full) < 0)
		return;
	*pkt = full;
	*packet = out + PORT_HEADROOM;
	*len = n;
}

/* One X.25 packet from the peer, in the read buffer with PORT_HEADROOM bytes before it. */
static void packet_from_peer(struct xot_conn *c, uint8_t *packet, size_t len)
{
	struct relay *relay = c->port.relay;
	struct x25_packet pkt;
	struct port *to = NULL;
	uint8_t completed[PORT_HEADROOM + 512];

	c->port.counters.packets_received++;
	c->port.counters.bytes_received += len;
	if (c->peer) {
		c->peer->counters.packets_received++;
		c->peer->counters.bytes_received += len;
	}
	if (relay->pcap)
		pcap_record(relay->pcap, &c->port, false, X25_IFACE_DATA, packet, len);
	/* Before a call, its GFI says the modulo; after, the call's. */
	if (!c->leg && !c->call_in_use)
		c->port.extended = (packet[0] & X25_GFI_MODULO_MASK) == X25_GFI_MODULO128;
	if (packet_decode(packet, len, c->port.extended, &pkt) < 0) {
		relay->counters.frames_dropped_short++;
		goto trace;
	}
	relay_count_packet(relay, &pkt);
	switch (pkt.type) {
	case PKT_RESTART_REQUEST:
	case PKT_RESTART_CONFIRMATION:
	case PKT_DIAGNOSTIC:
	case PKT_REGISTRATION_REQUEST:
	case PKT_REGISTRATION_CONFIRMATION:
	case PKT_REJ:
		/* Of local significance only: never sent over XOT, silently discarded (RFC 1613 §6.4). */
		relay->counters.frames_dropped_state++;
		goto trace;
	case PKT_CALL_REQUEST:
		if (c->leg || !c->inbound || c->call_in_use) {
			relay->counters.frames_dropped_state++;
			goto trace;
		}
		timer_cancel(&c->timer);
		c->port.counters.call_request++; /* goxot's interface_call_request["xot"] */
		if (c->peer)
			c->peer->counters.calls_in++;
		call_request_complete(c, &pkt, &packet, &len, completed, sizeof(completed));
		to = call_request_from(&c->port, &pkt, packet);
		if (!c->leg)
			conn_finish(c); /* refused: the CLEAR goes out, then the connection closes */
		goto trace;
	case PKT_CALL_ACCEPTED:
	case PKT_CLEAR_REQUEST:
	case PKT_CLEAR_CONFIRMATION:
	case PKT_DATA:
	case PKT_RR:
	case PKT_RNR:
	case PKT_INTERRUPT:
	case PKT_INTERRUPT_CONFIRMATION:
	case PKT_RESET_REQUEST:
	case PKT_RESET_CONFIRMATION:
	case PKT_UNKNOWN:
	case PKT_TYPE_COUNT:
		break;
	}
	/* The LCN means nothing over XOT (§5): the connection is the call. */
	if (c->leg && pkt.type == PKT_CALL_ACCEPTED)
		relay_read_caller_first(c->leg);
	if (c->leg)
		to = call_packet_received(c->leg, &pkt, packet);
	else
		relay->counters.frames_dropped_state++; /* no call yet (P1): discarded, §6.1 */
trace:
	if (log_trace_on)
		trace_frame(c->port.name, to ? to->name : trace_x25lo, X25_IFACE_DATA, packet, len, c->port.extended);
}

/*
 * Read what TCP has and hand each complete packet on in place: the bytes in front of a packet
 * (its XOT header, the previous packet's tail, or rx[0] for the first) are the headroom a TUN
 * writes its own framing into. Only a trailing partial packet is moved to the front.
 */
/*
 * One recv per wake-up unless it filled the buffer: a segment's packets are split here, and
 * the level-triggered watch wakes the loop again if TCP holds more.
 */
static void conn_read(struct xot_conn *c)
{
	for (;;) {
		size_t off = 0, room = sizeof(c->rx) - 1 - c->rx_len;
		ssize_t n = recv(c->fd, c->rx + 1 + c->rx_len, room, MSG_DONTWAIT);

		if (n == 0) {
			conn_failed(c, c->leg ? XOT_FAIL_CLOSED : XOT_FAIL_NO_CALL, X25_CAUSE_OUT_OF_ORDER, X25_DIAG_NONE);
			return;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			conn_failed(c, XOT_FAIL_CLOSED, X25_CAUSE_OUT_OF_ORDER, X25_DIAG_NONE);
			return;
		}
		c->rx_len += (size_t)n;
		while (c->rx_len - off >= XOT_HEADER_LEN && c->state != CONN_CLOSED) {
			const uint8_t *h = c->rx + 1 + off;
			size_t version = (size_t)h[0] << 8 | h[1], len = (size_t)h[2] << 8 | h[3];

			/* RFC 1613 §4.1: a version other than 0, or an illegal length, closes the connection. */
			if (version != 0 || len < PKT_HEADER_LEN || len > XOT_MAX_PACKET) {
				log_warn("%s: %s sent an XOT header with version %zu and length %zu; closing the "
					 "connection (RFC 1613 allows version 0 and X.25 packets of 3-%d bytes)",
					 c->port.name, c->peer_text, version, len, XOT_MAX_PACKET);
				conn_failed(c, XOT_FAIL_PROTOCOL, X25_CAUSE_REMOTE_PROCEDURE_ERROR, X25_DIAG_NONE);
				return;
			}
			if (c->rx_len - off < XOT_HEADER_LEN + len)
				break;
			packet_from_peer(c, c->rx + 1 + off + XOT_HEADER_LEN, len);
			off += XOT_HEADER_LEN + len;
		}
		if (c->state == CONN_CLOSED)
			return;
		memmove(c->rx + 1, c->rx + 1 + off, c->rx_len - off);
		c->rx_len -= off;
		if ((size_t)n < room)
			return;
	}
}

/* ---- outbound connections ---- */

static void set_tcp_options(struct relay *relay, int fd)
{
	const struct config *cfg = &relay->cfg;
	int one = 1, idle = (int)cfg->xot_keepalive_idle_s, interval = (int)cfg->xot_keepalive_interval_s;
	int count = (int)cfg->xot_keepalive_count;

	/* X.25 packets are small and answer each other: no Nagle delay. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (idle == 0)
		return;
	/* A peer that vanished without a FIN is noticed, and its call cleared. */
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof(interval));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof(count));
	/*
	 * The same bound for data TCP cannot deliver: a peer that stops reading (its window stays
	 * shut while it still acknowledges) is given up too, instead of holding the connection and
	 * its send queue for good.
	 */
	unsigned user_timeout_ms = ((unsigned)idle + (unsigned)interval * (unsigned)count) * 1000u;

	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms, sizeof(user_timeout_ms));
}

static void connect_next(struct xot_conn *c);

/* Every address failed (each failure was counted on its peer): the caller is cleared. */
static void connect_failed(struct xot_conn *c, enum xot_failure why, uint8_t cause)
{
	log_info("%s: no XOT connection for a call to %s (server %s): %s; clearing the caller with cause 0x%02x",
		 c->port.name, c->call.called, c->server_prefix,
		 why == XOT_FAIL_REFUSED ? "connection refused" : why == XOT_FAIL_TIMEOUT ? "connect timed out"
								     : "unreachable",
		 cause);
	conn_lost(c, why, cause, X25_DIAG_NONE);
}

static void connect_next(struct xot_conn *c)
{
	struct relay *relay = c->port.relay;

	while (c->next_addr < c->naddrs) {
		const struct resolver_address *a = &c->addrs[c->next_addr++];
		int fd = socket(a->u.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		conn_close_fd(c);
		if (fd < 0) {
			c->connect_failure = XOT_FAIL_UNREACHABLE;
			continue;
		}
		c->fd = fd;
		set_tcp_options(relay, fd);
		peer_attach(c, &a->u.sa);
		if (connect(fd, &a->u.sa, a->len) < 0 && errno != EINPROGRESS) {
			c->connect_failure = errno == ECONNREFUSED ? XOT_FAIL_REFUSED : XOT_FAIL_UNREACHABLE;
			peer_failed(c, c->connect_failure);
			continue;
		}
		c->state = CONN_CONNECTING;
		conn_watch(c, EPOLLOUT);
		timer_set(loop_timers(relay->loop), &c->timer, loop_now_ms() + relay->cfg.xot_connect_timeout_ms);
		return;
	}
	conn_close_fd(c);
	connect_failed(c, c->connect_failure, X25_CAUSE_OUT_OF_ORDER);
}

static void connect_done(struct xot_conn *c)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err) {
		c->connect_failure = err == ECONNREFUSED ? XOT_FAIL_REFUSED : XOT_FAIL_UNREACHABLE;
		peer_failed(c, c->connect_failure);
		connect_next(c);
		return;
	}
	timer_cancel(&c->timer);
	c->state = CONN_OPEN;
	c->connected = true;
	if (c->peer) {
		c->peer->counters.connections_out++;
		c->peer->counters.calls_out++;
		c->peer->counters.packets_sent += c->port.counters.packets_sent;
		c->peer->counters.bytes_sent += c->port.counters.bytes_sent;
	}
	if (tx_flush(c) < 0)
		conn_failed(c, XOT_FAIL_CLOSED, X25_CAUSE_OUT_OF_ORDER, X25_DIAG_NONE);
}

static void lookup_done(void *ctx, const struct resolver_result *result)
{
	struct xot_conn *c = ctx;

	c->lookup = NULL;
	if (c->state != CONN_RESOLVING)
		return;
	if (result->status != RESOLVER_OK) {
		log_info("%s: %s; clearing the call to %s with cause 0x%02x", c->port.name, result->error,
			 c->call.called, X25_CAUSE_NOT_OBTAINABLE);
		conn_failed(c, XOT_FAIL_DNS, X25_CAUSE_NOT_OBTAINABLE, X25_DIAG_NONE);
		return;
	}
	c->naddrs = result->count < RESOLVER_MAX_ADDRS ? result->count : RESOLVER_MAX_ADDRS;
	memcpy(c->addrs, result->addrs, c->naddrs * sizeof(c->addrs[0]));
	c->connect_failure = XOT_FAIL_UNREACHABLE;
	connect_next(c);
}

static void conn_timer_expired(void *ctx)
{
	struct xot_conn *c = ctx;

	switch (c->state) {
	case CONN_CONNECTING:
		c->connect_failure = XOT_FAIL_TIMEOUT;
		peer_failed(c, XOT_FAIL_TIMEOUT);
		connect_next(c);
		return;
	case CONN_OPEN:
		/* An inbound connection that sent no CALL REQUEST in time. */
		if (!c->leg && c->inbound) {
			log_info("%s: %s sent no CALL REQUEST within %u ms; closing", c->port.name, c->peer_text,
				 c->port.relay->cfg.xot_call_request_timeout_ms);
			conn_failed(c, XOT_FAIL_NO_CALL, X25_CAUSE_OUT_OF_ORDER, X25_DIAG_NONE);
		}
		return;
	case CONN_CLOSING:
		/* Our last packet went out and the peer did not close: close anyway. */
		conn_closed(c);
		return;
	case CONN_RESOLVING:
	case CONN_CLOSED:
		return;
	}
}

static void conn_readable(void *ctx, uint32_t events)
{
	struct xot_conn *c = ctx;

	if (c->state == CONN_CONNECTING) {
		if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			connect_done(c);
		return;
	}
	if ((events & EPOLLOUT) && c->tx_len && tx_flush(c) < 0) {
		conn_failed(c, XOT_FAIL_CLOSED, X25_CAUSE_OUT_OF_ORDER, X25_DIAG_NONE);
		return;
	}
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
		if (c->state == CONN_CLOSING && !c->leg) {
			/* Done with the call: whatever comes now is read and dropped until the peer closes. */
			char sink[4096];
			ssize_t n;

			while ((n = recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT)) > 0)
				;
			if (n == 0 || (errno != EAGAIN && errno != EINTR))
				conn_closed(c);
			return;
		}
		conn_read(c);
	}
}

/* The server's name for called, looked up; false with err when there is none to look up. */
static bool lookup_start(struct xot_conn *c, const char *called, char *err, size_t errlen)
{
	struct xot *x = c->port.relay->xot;
	const struct config_server *srv = &c->port.relay->cfg.servers[c->server];
	char name[XOT_DNS_NAME_MAX + 2];

	if (!x->dns_maps[c->server]) {
		snprintf(err, errlen, "its dns_name could not be compiled");
		return false;
	}
	if (xot_dns_map_name(x->dns_maps[c->server], called, name, sizeof(name), err, errlen) < 0)
		return false;
	if (!x->resolver) {
		snprintf(err, errlen, "there is no DNS resolver (see the start-up log)");
		return false;
	}
	c->lookup = resolver_lookup(x->resolver, name, (uint16_t)srv->port, lookup_done, c);
	if (!c->lookup) {
		snprintf(err, errlen, "out of memory for the lookup of %.200s", name);
		return false;
	}
	snprintf(c->peer_text, sizeof(c->peer_text), "%s", name);
	return true;
}

struct port *xot_call_out(struct relay *relay, struct tun *origin, const struct x25_packet *pkt,
			  const struct x25_call_fields *fields, uint8_t *packet, int server)
{
	const struct config_server *srv = &relay->cfg.servers[server];
	struct xot_conn *c = conn_new(relay, false);
	char err[256];

	if (!c)
		return call_refuse(&origin->port, pkt, NULL, X25_CAUSE_NETWORK_CONGESTION, X25_DIAG_NONE,
				   &relay->counters.calls_refused_no_target, CALL_END_NO_TARGET);
	c->port.ops = &xot_port_ops;
	c->port.extended = origin->port.extended;
	c->server = server;
	snprintf(c->server_prefix, sizeof(c->server_prefix), "%s", srv->prefix);
	c->state = CONN_RESOLVING;
	snprintf(c->peer_text, sizeof(c->peer_text), "%s", srv->ip[0] ? srv->ip : srv->dns_name);
	call_start(relay, &c->call, &origin->port, pkt->lci, &c->port, pkt->lci, pkt, fields);
	c->call_in_use = true;
	if (srv->ip[0]) {
		struct resolver_address *a = &c->addrs[0];

		memset(a, 0, sizeof(*a));
		if (inet_pton(AF_INET6, srv->ip, &a->u.in6.sin6_addr) == 1) {
			a->u.in6.sin6_family = AF_INET6;
			a->u.in6.sin6_port = htons((uint16_t)srv->port);
			a->len = sizeof(a->u.in6);
		} else {
			inet_pton(AF_INET, srv->ip, &a->u.in.sin_addr);
			a->u.in.sin_family = AF_INET;
			a->u.in.sin_port = htons((uint16_t)srv->port);
			a->len = sizeof(a->u.in);
		}
		c->naddrs = 1;
		c->connect_failure = XOT_FAIL_UNREACHABLE;
	} else if (!lookup_start(c, fields->called, err, sizeof(err))) {
		/* The called address makes no name (or none can be looked up): not obtainable. */
		log_info("%s: no XOT server address for %s (server %s): %s; clearing the caller with cause 0x%02x",
			 c->port.name, fields->called, srv->prefix, err, X25_CAUSE_NOT_OBTAINABLE);
		count_failure(relay, NULL, XOT_FAIL_DNS);
		call_leg_lost(&c->call.leg[LEG_CALLEE], X25_CAUSE_NOT_OBTAINABLE, X25_DIAG_NONE, CALL_END_XOT_DNS);
		return NULL;
	}
	/* The CALL REQUEST waits in the connection's queue until TCP is up. */
	if (!call_deliver(relay, &c->call, packet, pkt->len))
		return NULL;
	if (srv->ip[0])
		connect_next(c);
	return &c->port;
}

/* ---- the listener ---- */

static void refusal_logged(struct xot *x, const char *what, const char *peer)
{
	uint64_t now = loop_now_ms();

	x->refusals_unlogged++;
	if (now - x->refusal_log_ms < XOT_LOG_INTERVAL_MS)
		return;
	log_warn("XOT listener: refused a connection from %s: %s (%llu refusals since the last such line)", peer,
		 what, (unsigned long long)x->refusals_unlogged);
	x->refusal_log_ms = now;
	x->refusals_unlogged = 0;
}

static void listener_readable(void *ctx, uint32_t events)
{
	struct xot *x = ctx;
	struct relay *relay = x->relay;

	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sslen = sizeof(ss);
		int fd = accept4(x->listen_fd, (struct sockaddr *)&ss, &sslen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct xot_conn *c;
		char peer[64];

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warn("XOT listener: accept failed: %s", strerror(errno));
			return;
		}
		address_text((struct sockaddr *)&ss, peer, sizeof(peer), true);
		/* XOT has no authentication: only the allowed addresses get further. */
		if (!config_xot_allowed(&relay->cfg, (struct sockaddr *)&ss)) {
			count_failure(x->relay, peer_get(x, (struct sockaddr *)&ss), XOT_FAIL_NOT_ALLOWED);
			refusal_logged(x, "not in xot_allow", peer);
			close(fd);
			continue;
		}
		if (x->inbound_open >= relay->cfg.xot_max_connections || !(c = conn_new(relay, true))) {
			count_failure(x->relay, peer_get(x, (struct sockaddr *)&ss), XOT_FAIL_LIMIT);
			refusal_logged(x, "xot_max_connections are open", peer);
			close(fd);
			continue;
		}
		c->port.ops = &xot_port_ops;
		c->fd = fd;
		c->state = CONN_OPEN;
		c->connected = true;
		x->inbound_open++;
		set_tcp_options(relay, fd);
		peer_attach(c, (struct sockaddr *)&ss);
		c->peer->counters.connections_in++;
		conn_watch(c, EPOLLIN);
		timer_set(loop_timers(relay->loop), &c->timer, loop_now_ms() + relay->cfg.xot_call_request_timeout_ms);
	}
}

/* ---- start, reload, stop ---- */

static int compile_dns_maps(struct xot *x, const struct config *cfg, char *err, size_t errlen)
{
	struct xot_dns_map *maps[CONFIG_MAX_SERVERS] = {0};

	for (size_t i = 0; cfg->xot_servers && i < cfg->nservers; i++) {
		if (!cfg->servers[i].dns_name[0])
			continue;
		maps[i] = xot_dns_map_new(cfg->servers[i].dns_pattern, cfg->servers[i].dns_name, err, errlen);
		if (!maps[i]) {
			for (size_t j = 0; j < i; j++)
				xot_dns_map_free(maps[j]);
			return -1;
		}
	}
	for (size_t i = 0; i < CONFIG_MAX_SERVERS; i++) {
		xot_dns_map_free(x->dns_maps[i]);
		x->dns_maps[i] = maps[i];
	}
	return 0;
}

static int listen_start(struct xot *x, const struct config *cfg, char *err, size_t errlen)
{
	const struct sockaddr *sa = (const struct sockaddr *)&cfg->xot_listen_addr;
	socklen_t len = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1, zero = 0;

	if (fd < 0) {
		snprintf(err, errlen, "cannot create the XOT listener socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* "[::]:1998" takes IPv4 peers too, as ::ffff:a.b.c.d. */
	if (sa->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, sa, len) < 0 || listen(fd, XOT_LISTEN_BACKLOG) < 0) {
		snprintf(err, errlen, "cannot listen for XOT on %s: %s; choose a free address and port with xot_listen, "
			 "or set it to \"\"", cfg->xot_listen, strerror(errno));
		close(fd);
		return -1;
	}
	if (loop_add(x->relay->loop, &x->listen_watch, fd, EPOLLIN, listener_readable, x) < 0) {
		snprintf(err, errlen, "cannot watch the XOT listener: %s", strerror(errno));
		close(fd);
		return -1;
	}
	x->listen_fd = fd;
	log_info("XOT listener on %s, from %zu allowed network%s", cfg->xot_listen, cfg->nallow,
		 cfg->nallow == 1 ? "" : "s");
	return 0;
}

int xot_start(struct relay *relay, char *err, size_t errlen)
{
	struct xot *x = calloc(1, sizeof(*x));

	if (!x) {
		snprintf(err, errlen, "out of memory for XOT");
		return -1;
	}
	x->relay = relay;
	x->listen_fd = -1;
	relay->xot = x;
	if (compile_dns_maps(x, &relay->cfg, err, errlen) < 0)
		return -1;
	x->resolver = resolver_new(relay->loop, NULL);
	if (!x->resolver)
		log_warn("XOT: no DNS resolver (see above): calls to servers with dns_name will be cleared");
	if (relay->cfg.xot_listen[0] && listen_start(x, &relay->cfg, err, errlen) < 0)
		return -1;
	return 0;
}

int xot_config_changed(struct relay *relay, char *err, size_t errlen)
{
	return relay->xot ? compile_dns_maps(relay->xot, &relay->cfg, err, errlen) : 0;
}

/* The batch's packets go out: one send per connection. */
static void flush_batch(struct xot *x)
{
	while (x->flush) {
		struct xot_conn *c = x->flush;

		x->flush = c->next_flush;
		c->flush_pending = false;
		if (c->retired || c->fd < 0 || (c->state != CONN_OPEN && c->state != CONN_CLOSING))
			continue;
		if (tx_flush(c) < 0)
			conn_failed(c, XOT_FAIL_CLOSED, X25_CAUSE_OUT_OF_ORDER, X25_DIAG_NONE);
	}
}

void xot_after_batch(struct relay *relay)
{
	struct xot *x = relay->xot;

	if (x)
		flush_batch(x);
	while (x && x->retired) {
		struct xot_conn *c = x->retired;

		x->retired = c->next_retired;
		conn_free(c);
	}
}

void xot_stop(struct relay *relay)
{
	struct xot *x = relay->xot;

	if (!x)
		return;
	if (x->listen_fd >= 0) {
		loop_del(relay->loop, &x->listen_watch);
		close(x->listen_fd);
	}
	flush_batch(x);
	for (unsigned i = 0; i < x->nslots; i++) {
		struct xot_conn *c = x->slots[i];

		if (!c)
			continue;
		if (c->leg)
			call_leg_lost(c->leg, X25_CAUSE_OUT_OF_ORDER, X25_DIAG_NONE, CALL_END_SHUTDOWN);
		conn_closed(c);
		/* One still holding a call whose other side clears goes with x25lo. */
		conn_retire(c);
	}
	xot_after_batch(relay);
	resolver_free(x->resolver);
	for (size_t i = 0; i < CONFIG_MAX_SERVERS; i++)
		xot_dns_map_free(x->dns_maps[i]);
	free(x->slots);
	free(x);
	relay->xot = NULL;
}

/* ---- views for the renderings and the call logic ---- */

unsigned xot_slots(const struct relay *relay)
{
	return relay->xot ? relay->xot->nslots : 0;
}

const struct call *xot_slot_call(const struct relay *relay, unsigned i)
{
	const struct xot_conn *c = i < xot_slots(relay) ? relay->xot->slots[i] : NULL;

	return c && c->call_in_use ? &c->call : NULL;
}

struct leg *xot_slot_leg(const struct relay *relay, unsigned i)
{
	const struct xot_conn *c = i < xot_slots(relay) ? relay->xot->slots[i] : NULL;

	return c ? c->leg : NULL;
}

const char *xot_peer_text(const struct port *port)
{
	return port->kind == PORT_XOT ? conn_of(port)->peer_text : "";
}

unsigned xot_legs_mapped(const struct relay *relay)
{
	unsigned n = 0;

	for (unsigned i = 0; i < xot_slots(relay); i++)
		n += xot_slot_leg(relay, i) != NULL;
	return n;
}

unsigned xot_connections_open(const struct relay *relay)
{
	unsigned n = 0;

	for (unsigned i = 0; i < xot_slots(relay); i++)
		n += relay->xot->slots[i] && relay->xot->slots[i]->fd >= 0;
	return n;
}

void xot_forget_port(struct relay *relay, const struct port *gone)
{
	for (unsigned i = 0; i < xot_slots(relay); i++) {
		struct xot_conn *c = relay->xot->slots[i];

		if (c && c->call_in_use && c->call.leg[LEG_CALLER].port == gone)
			c->call.leg[LEG_CALLER].port = NULL;
	}
}

size_t xot_peer_count(const struct relay *relay)
{
	return relay->xot ? relay->xot->npeers : 0;
}

const struct xot_peer *xot_peer_at(const struct relay *relay, size_t i)
{
	return &relay->xot->peers[i];
}

uint64_t xot_dns_requests(const struct relay *relay)
{
	return relay->xot && relay->xot->resolver ? resolver_dns_requests(relay->xot->resolver) : 0;
}

bool xot_enabled(const struct relay *relay)
{
	return relay->xot && (relay->cfg.xot_servers || relay->cfg.xot_listen[0]);
}

void xot_port_counters(const struct relay *relay, struct port_counters *sum)
{
	memset(sum, 0, sizeof(*sum));
	if (!relay->xot)
		return;
	*sum = relay->xot->retired_totals;
	for (unsigned i = 0; i < xot_slots(relay); i++)
		if (relay->xot->slots[i])
			add_counters(sum, &relay->xot->slots[i]->port.counters);
}

const char *xot_failure_name(enum xot_failure why)
{
	static const char *const names[XOT_FAIL_COUNT] = {
		[XOT_FAIL_DNS] = "dns",          [XOT_FAIL_REFUSED] = "refused",
		[XOT_FAIL_UNREACHABLE] = "unreachable", [XOT_FAIL_TIMEOUT] = "timeout",
		[XOT_FAIL_CLOSED] = "closed",    [XOT_FAIL_PROTOCOL] = "protocol",
		[XOT_FAIL_NOT_ALLOWED] = "not_allowed", [XOT_FAIL_LIMIT] = "limit",
		[XOT_FAIL_NO_CALL] = "no_call",
	};

	return (unsigned)why < XOT_FAIL_COUNT ? names[why] : "?";
}
