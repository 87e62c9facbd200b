// SPDX-License-Identifier: GPL-2.0-or-later
/* resolver.c - c-ares on the loop: its sockets as io watches, its timeouts as one timer, a positive cache. */
#include "resolver.h"

#include <arpa/inet.h>
#include <ares.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>

#include "log.h"

#define CACHE_BUCKETS 256
#define QUERY_BUCKETS 64
#define NAME_LEN_MAX 254 /* 253 characters, or 254 ending in '.' */
/* Ours, beside c-ares' statuses (all >= 0). */
#define STATUS_BUSY (-1)
#define STATUS_NO_SERVERS (-2)

/* A chained hash table entry keyed by a name (DNS names compare without case). */
struct name_node {
	struct name_node *next;
	const char *name;
};

/*
 * One c-ares socket. A watch is never freed before resolver_free: after loop_del an event
 * of the current batch may still point at it (the loop skips it, cb == NULL). It is reused
 * for the next socket, which may then see that stale event: a spurious ares_process_fd on a
 * non-blocking socket, which c-ares takes as "nothing to read yet".
 */
struct watch {
	struct io_watch io;
	struct resolver *r;
	int fd; /* -1: free */
	uint32_t events;
	struct watch *next;
};

struct lookup_list {
	struct resolver_lookup *head, *tail;
};

struct resolver_lookup {
	struct resolver *r;
	struct query *query; /* waiting for it; NULL when on r->ready */
	struct resolver_lookup *prev, *next;
	resolver_callback cb;
	void *ctx;
	uint16_t port;
	/* on r->ready: the result it will be given */
	int status;
	bool cached;
	size_t count;
	struct resolver_address *addrs;
	char name[];
};

/* One name being looked up by c-ares, shared by every lookup of that name meanwhile. */
struct query {
	struct name_node node; /* first */
	struct resolver *r;
	struct lookup_list waiters;
	char name[];
};

struct cache_entry {
	struct name_node node; /* first */
	struct cache_entry *newer, *older;
	uint64_t expires_ms;
	size_t count;
	struct resolver_address *addrs; /* port 0 */
	char name[];
};

struct resolver {
	struct loop *loop;
	ares_channel channel;
	struct timer ares_timer;  /* c-ares' next timeout */
	struct timer ready_timer; /* runs the callbacks of r->ready */
	struct watch *watches;
	struct lookup_list ready;
	struct name_node *queries[QUERY_BUCKETS];
	size_t in_flight;
	struct name_node *cache[CACHE_BUCKETS];
	struct cache_entry *oldest, *newest;
	size_t cached;
	unsigned starting; /* inside ares_getaddrinfo: answers it gives at once are delivered later */
	bool freeing;
	size_t nservers;
	unsigned max_in_flight, cache_ttl_ms, cache_max;
	uint64_t dns_requests, cache_hits;
};

/* ---- names ---- */

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *s; s++) {
		h ^= (uint32_t)tolower((unsigned char)*s);
		h *= 16777619u;
	}
	return h;
}

/* Where name is in the table, or the end of its chain. */
static struct name_node **name_slot(struct name_node **table, size_t buckets, const char *name)
{
	struct name_node **p = &table[name_hash(name) % buckets];

	while (*p && strcasecmp((*p)->name, name) != 0)
		p = &(*p)->next;
	return p;
}

static void name_insert(struct name_node **table, size_t buckets, struct name_node *n)
{
	struct name_node **p = name_slot(table, buckets, n->name);

	n->next = *p;
	*p = n;
}

static void name_remove(struct name_node **table, size_t buckets, struct name_node *n)
{
	struct name_node **p = &table[name_hash(n->name) % buckets];

	while (*p && *p != n)
		p = &(*p)->next;
	if (*p)
		*p = n->next;
}

/* ---- lookups ---- */

static void list_append(struct lookup_list *l, struct resolver_lookup *h)
{
	h->next = NULL;
	h->prev = l->tail;
	if (l->tail)
		l->tail->next = h;
	else
		l->head = h;
	l->tail = h;
}

static void list_unlink(struct lookup_list *l, struct resolver_lookup *h)
{
	if (h->prev)
		h->prev->next = h->next;
	else
		l->head = h->next;
	if (h->next)
		h->next->prev = h->prev;
	else
		l->tail = h->prev;
	h->prev = h->next = NULL;
}

static void lookup_free(struct resolver_lookup *h)
{
	free(h->addrs);
	free(h);
}

static enum resolver_status public_status(int status)
{
	switch (status) {
	case ARES_SUCCESS:
		return RESOLVER_OK;
	case ARES_ENOTFOUND:
	case ARES_ENODATA:
		return RESOLVER_NOT_FOUND;
	case ARES_ETIMEOUT:
		return RESOLVER_TIMEOUT;
	case STATUS_BUSY:
		return RESOLVER_BUSY;
	default:
		return RESOLVER_FAILED;
	}
}

/* "DNS lookup of NAME failed: what", with a hint where there is one to give. */
static void describe(const struct resolver *r, const char *name, int status, char *buf, size_t size)
{
	const char *what;

	switch (status) {
	case ARES_ENOTFOUND:
		what = "no such name (NXDOMAIN)";
		break;
	case ARES_ENODATA:
		what = "the name has no A or AAAA record";
		break;
	case ARES_ETIMEOUT:
		what = "no DNS server answered in time (timeout); check the nameservers in /etc/resolv.conf";
		break;
	case ARES_ECONNREFUSED:
		what = "the DNS server refused the connection (connection refused); is a server running at the "
		       "nameserver addresses of /etc/resolv.conf?";
		break;
	case ARES_ESERVFAIL:
		what = "the DNS server could not answer (SERVFAIL)";
		break;
	case STATUS_NO_SERVERS:
		what = "no DNS server is configured; add a nameserver to /etc/resolv.conf";
		break;
	case ARES_EREFUSED:
		what = "the DNS server refused the query (REFUSED)";
		break;
	case ARES_EFORMERR:
	case ARES_EBADRESP:
		what = "the DNS server's answer could not be read";
		break;
	case ARES_EBADNAME:
		what = "not a valid DNS name";
		break;
	case ARES_ENOMEM:
		what = "out of memory";
		break;
	case STATUS_BUSY:
		snprintf(buf, size, "DNS lookup of %s refused: %u names are being looked up already, the limit; the DNS "
			 "servers answer slower than calls arrive", name, r->max_in_flight);
		return;
	default:
		what = ares_strerror(status);
	}
	snprintf(buf, size, "DNS lookup of %s failed: %s", name, what);
}

static void set_port(struct resolver_address *a, uint16_t port)
{
	if (a->u.sa.sa_family == AF_INET6)
		a->u.in6.sin6_port = htons(port);
	else
		a->u.in.sin_port = htons(port);
}

/* h is on no list: free it and run its callback. */
static void deliver(struct resolver_lookup *h, int status, const struct resolver_address *addrs, size_t count,
		    bool cached)
{
	struct resolver_address out[RESOLVER_MAX_ADDRS];
	struct resolver_result result = {.status = public_status(status), .cached = cached};
	resolver_callback cb = h->cb;
	void *ctx = h->ctx;
	char error[512];

	if (status == ARES_SUCCESS) {
		for (size_t i = 0; i < count; i++) {
			out[i] = addrs[i];
			set_port(&out[i], h->port);
		}
		result.addrs = out;
		result.count = count;
	} else {
		describe(h->r, h->name, status, error, sizeof(error));
		result.error = error;
	}
	/* Freed first: the handle is invalid once its callback starts, whatever the callback does. */
	lookup_free(h);
	cb(ctx, &result);
}

static void ready_fired(void *ctx)
{
	struct resolver *r = ctx;
	struct resolver_lookup *h;

	while ((h = r->ready.head)) {
		list_unlink(&r->ready, h);
		deliver(h, h->status, h->addrs, h->count, h->cached);
	}
}

/* Give h its result from the loop, soon: callbacks never run inside resolver_lookup. */
static void make_ready(struct resolver_lookup *h, int status, const struct resolver_address *addrs, size_t count,
		       bool cached)
{
	struct resolver *r = h->r;

	if (status == ARES_SUCCESS) {
		h->addrs = malloc(count * sizeof(*addrs));
		if (h->addrs) {
			memcpy(h->addrs, addrs, count * sizeof(*addrs));
			h->count = count;
		} else {
			status = ARES_ENOMEM;
		}
	}
	h->status = status;
	h->cached = cached;
	h->query = NULL;
	list_append(&r->ready, h);
	if (!timer_pending(&r->ready_timer))
		timer_set(loop_timers(r->loop), &r->ready_timer, loop_now_ms());
}

/* ---- cache ---- */

static void cache_remove(struct resolver *r, struct cache_entry *e)
{
	name_remove(r->cache, CACHE_BUCKETS, &e->node);
	if (e->older)
		e->older->newer = e->newer;
	else
		r->oldest = e->newer;
	if (e->newer)
		e->newer->older = e->older;
	else
		r->newest = e->older;
	r->cached--;
	free(e);
}

/* Entries expire in the order they were added: every one lives cache_ttl_ms. */
static void cache_expire(struct resolver *r)
{
	uint64_t now = loop_now_ms();

	while (r->oldest && r->oldest->expires_ms <= now)
		cache_remove(r, r->oldest);
}

static struct cache_entry *cache_get(struct resolver *r, const char *name)
{
	cache_expire(r);
	return (struct cache_entry *)*name_slot(r->cache, CACHE_BUCKETS, name);
}

static void cache_put(struct resolver *r, const char *name, const struct resolver_address *addrs, size_t count)
{
	size_t len = strlen(name);
	struct cache_entry *e;

	if ((e = cache_get(r, name)))
		cache_remove(r, e);
	while (r->cached >= r->cache_max && r->oldest)
		cache_remove(r, r->oldest);
	/* One block: the entry, its name, then its addresses (aligned). */
	size_t addrs_at = (sizeof(*e) + len + 1 + _Alignof(struct resolver_address) - 1) &
			  ~(_Alignof(struct resolver_address) - 1);
	e = malloc(addrs_at + count * sizeof(*addrs));
	if (!e) {
		log_warn("DNS cache: out of memory; %s is not cached and will be looked up again", name);
		return;
	}
	memcpy(e->name, name, len + 1);
	e->node.name = e->name;
	e->addrs = (struct resolver_address *)(void *)((char *)e + addrs_at);
	memcpy(e->addrs, addrs, count * sizeof(*addrs));
	e->count = count;
	e->expires_ms = loop_now_ms() + r->cache_ttl_ms;
	e->newer = NULL;
	e->older = r->newest;
	if (r->newest)
		r->newest->newer = e;
	else
		r->oldest = e;
	r->newest = e;
	name_insert(r->cache, CACHE_BUCKETS, &e->node);
	r->cached++;
}

/* ---- c-ares on the loop ---- */

static void arm_ares_timer(struct resolver *r)
{
	struct timeval tv;

	if (r->freeing)
		return;
	if (!ares_timeout(r->channel, NULL, &tv)) {
		timer_cancel(&r->ares_timer);
		return;
	}
	/* Rounded up, so that c-ares finds its timeout due when the timer runs. */
	timer_set(loop_timers(r->loop), &r->ares_timer,
		  loop_now_ms() + (uint64_t)tv.tv_sec * 1000u + ((uint64_t)tv.tv_usec + 999u) / 1000u);
}

static void ares_timer_fired(void *ctx)
{
	struct resolver *r = ctx;

	ares_process_fd(r->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	arm_ares_timer(r);
}

static void socket_ready(void *ctx, uint32_t events)
{
	struct watch *w = ctx;
	struct resolver *r = w->r;
	ares_socket_t rfd = ARES_SOCKET_BAD, wfd = ARES_SOCKET_BAD;

	if (w->fd < 0)
		return;
	/* An error or hang-up is found by reading (and by writing, while c-ares waits to write). */
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
		rfd = w->fd;
	if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) && (w->events & EPOLLOUT))
		wfd = w->fd;
	ares_process_fd(r->channel, rfd, wfd);
	arm_ares_timer(r);
}

/* c-ares opened, changed or closed (neither readable nor writable) one of its sockets. */
static void sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct resolver *r = data;
	uint32_t events = (readable ? EPOLLIN : 0u) | (writable ? EPOLLOUT : 0u);
	struct watch *w, *spare = NULL;
	int rc;

	for (w = r->watches; w && w->fd != fd; w = w->next)
		if (w->fd < 0 && !spare)
			spare = w;
	if (!events) {
		if (w) {
			loop_del(r->loop, &w->io);
			w->fd = -1;
		}
		return;
	}
	if (w) {
		if (w->events != events && (rc = loop_mod(r->loop, &w->io, events)) < 0)
			log_error("DNS: cannot watch socket %d: %s; its lookups will time out", fd, strerror(-rc));
		w->events = events;
		return;
	}
	if (!(w = spare)) {
		w = calloc(1, sizeof(*w));
		if (!w) {
			log_error("DNS: out of memory for a socket watch; the lookups on socket %d will time out", fd);
			return;
		}
		w->r = r;
		w->fd = -1;
		w->next = r->watches;
		r->watches = w;
	}
	rc = loop_add(r->loop, &w->io, fd, events, socket_ready, w);
	if (rc < 0) {
		log_error("DNS: cannot watch socket %d: %s; its lookups will time out", fd, strerror(-rc));
		return;
	}
	w->fd = fd;
	w->events = events;
}

/* A numeric address needs no lookup (c-ares 1.18 would ask the DNS servers first). */
static bool numeric_address(const char *name, struct resolver_address *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, name, &a->u.in.sin_addr) == 1) {
		a->u.in.sin_family = AF_INET;
		a->len = sizeof(a->u.in);
		return true;
	}
	if (inet_pton(AF_INET6, name, &a->u.in6.sin6_addr) == 1) {
		a->u.in6.sin6_family = AF_INET6;
		a->len = sizeof(a->u.in6);
		return true;
	}
	return false;
}

static size_t addrs_from(const struct ares_addrinfo *ai, struct resolver_address *out)
{
	size_t n = 0;

	for (const struct ares_addrinfo_node *node = ai ? ai->nodes : NULL; node && n < RESOLVER_MAX_ADDRS;
	     node = node->ai_next) {
		if ((node->ai_family != AF_INET && node->ai_family != AF_INET6) ||
		    (size_t)node->ai_addrlen > sizeof(out[n].u))
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		memcpy(&out[n].u, node->ai_addr, node->ai_addrlen);
		out[n].len = (socklen_t)node->ai_addrlen;
		set_port(&out[n], 0);
		n++;
	}
	return n;
}

/* c-ares' answer for q (status ARES_EDESTRUCTION from resolver_free's ares_destroy). */
static void query_done(void *arg, int status, int timeouts, struct ares_addrinfo *ai)
{
	struct query *q = arg;
	struct resolver *r = q->r;
	struct resolver_address addrs[RESOLVER_MAX_ADDRS];
	struct resolver_lookup *h;
	size_t count = 0;

	name_remove(r->queries, QUERY_BUCKETS, &q->node);
	r->in_flight--;
	if (status == ARES_SUCCESS && (count = addrs_from(ai, addrs)) == 0)
		status = ARES_ENODATA;
	if (ai)
		ares_freeaddrinfo(ai);
	if (count && !r->freeing)
		cache_put(r, q->name, addrs, count);
	while ((h = q->waiters.head)) {
		list_unlink(&q->waiters, h);
		h->query = NULL;
		if (r->freeing)
			lookup_free(h);
		else if (r->starting)
			make_ready(h, status, addrs, count, false);
		else
			deliver(h, status, addrs, count, false);
	}
	free(q);
}

/* ---- the API ---- */

static size_t count_servers(ares_channel channel)
{
	struct ares_addr_port_node *list = NULL;
	size_t n = 0;

	if (ares_get_servers_ports(channel, &list) != ARES_SUCCESS)
		return 1; /* unknown: do not claim there is none */
	for (const struct ares_addr_port_node *s = list; s; s = s->next)
		n++;
	ares_free_data(list);
	return n;
}

struct resolver *resolver_new(struct loop *loop, const struct resolver_options *options)
{
	static const struct resolver_options defaults;
	const struct resolver_options *o = options ? options : &defaults;
	/* The name is looked up whole: no resolv.conf search domain is ever appended. */
	struct ares_options ao = {.flags = ARES_FLAG_NOSEARCH, .domains = NULL, .ndomains = 0};
	int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_FLAGS | ARES_OPT_DOMAINS;
	struct resolver *r;
	int rc;

	rc = ares_library_init(ARES_LIB_INIT_ALL);
	if (rc != ARES_SUCCESS) {
		log_error("DNS resolver: c-ares cannot start: %s", ares_strerror(rc));
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		log_error("DNS resolver: out of memory");
		ares_library_cleanup();
		return NULL;
	}
	r->loop = loop;
	r->max_in_flight = o->max_in_flight ? o->max_in_flight : RESOLVER_MAX_IN_FLIGHT;
	r->cache_ttl_ms = o->cache_ttl_ms ? o->cache_ttl_ms : RESOLVER_CACHE_TTL_MS;
	r->cache_max = o->cache_max ? o->cache_max : RESOLVER_CACHE_MAX;
	timer_init(&r->ares_timer, ares_timer_fired, r);
	timer_init(&r->ready_timer, ready_fired, r);
	ao.sock_state_cb = sock_state;
	ao.sock_state_cb_data = r;
	if (o->timeout_ms > 0) {
		ao.timeout = o->timeout_ms;
		mask |= ARES_OPT_TIMEOUTMS;
	}
	if (o->tries > 0) {
		ao.tries = o->tries;
		mask |= ARES_OPT_TRIES;
	}
	rc = ares_init_options(&r->channel, &ao, mask);
	if (rc != ARES_SUCCESS) {
		log_error("DNS resolver: c-ares cannot start: %s; check /etc/resolv.conf", ares_strerror(rc));
		free(r);
		ares_library_cleanup();
		return NULL;
	}
	if (o->servers) {
		/* "" clears the list (ares_set_servers_ports_csv would keep resolv.conf's). */
		rc = o->servers[0] ? ares_set_servers_ports_csv(r->channel, o->servers) : ares_set_servers(r->channel, NULL);
		if (rc != ARES_SUCCESS) {
			log_error("DNS resolver: servers \"%s\": %s; write host[:port][,host[:port]...]", o->servers,
				  ares_strerror(rc));
			resolver_free(r);
			return NULL;
		}
	}
	r->nservers = count_servers(r->channel);
	if (r->nservers == 0)
		log_warn("DNS resolver: no DNS server is configured; names (XOT servers' dns_name) cannot be looked up");
	return r;
}

void resolver_free(struct resolver *r)
{
	struct resolver_lookup *h;

	if (!r)
		return;
	r->freeing = true;
	while ((h = r->ready.head)) {
		list_unlink(&r->ready, h);
		lookup_free(h);
	}
	/* Every query gets ARES_EDESTRUCTION: query_done frees it and its lookups, uncalled. */
	ares_destroy(r->channel);
	for (size_t i = 0; i < QUERY_BUCKETS; i++) {
		while (r->queries[i]) /* none: c-ares answers every query it took */
			query_done(r->queries[i], ARES_EDESTRUCTION, 0, NULL);
	}
	while (r->watches) {
		struct watch *w = r->watches;

		r->watches = w->next;
		if (w->fd >= 0)
			loop_del(r->loop, &w->io);
		free(w);
	}
	timer_cancel(&r->ares_timer);
	timer_cancel(&r->ready_timer);
	while (r->oldest)
		cache_remove(r, r->oldest);
	free(r);
	ares_library_cleanup();
}

struct resolver_lookup *resolver_lookup(struct resolver *r, const char *name, uint16_t port, resolver_callback cb,
					void *ctx)
{
	const struct ares_addrinfo_hints hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	size_t len = strlen(name);
	struct resolver_lookup *h = calloc(1, sizeof(*h) + len + 1);
	struct resolver_address numeric;
	struct cache_entry *e;
	struct query *q;

	if (!h)
		return NULL;
	h->r = r;
	h->cb = cb;
	h->ctx = ctx;
	h->port = port;
	memcpy(h->name, name, len + 1);
	if (len == 0 || len > NAME_LEN_MAX) {
		make_ready(h, ARES_EBADNAME, NULL, 0, false);
		return h;
	}
	if (numeric_address(name, &numeric)) {
		make_ready(h, ARES_SUCCESS, &numeric, 1, false);
		return h;
	}
	if ((e = cache_get(r, name))) {
		r->cache_hits++;
		make_ready(h, ARES_SUCCESS, e->addrs, e->count, true);
		return h;
	}
	if ((q = (struct query *)*name_slot(r->queries, QUERY_BUCKETS, name))) {
		h->query = q;
		list_append(&q->waiters, h);
		return h;
	}
	if (r->nservers == 0) {
		/* Not handed to c-ares: 1.18 answers ESERVFAIL but leaks the query it built. */
		make_ready(h, STATUS_NO_SERVERS, NULL, 0, false);
		return h;
	}
	if (r->in_flight >= r->max_in_flight) {
		make_ready(h, STATUS_BUSY, NULL, 0, false);
		return h;
	}
	q = calloc(1, sizeof(*q) + len + 1);
	if (!q) {
		make_ready(h, ARES_ENOMEM, NULL, 0, false);
		return h;
	}
	q->r = r;
	memcpy(q->name, name, len + 1);
	q->node.name = q->name;
	name_insert(r->queries, QUERY_BUCKETS, &q->node);
	r->in_flight++;
	h->query = q;
	list_append(&q->waiters, h);
	r->dns_requests++;
	/* c-ares may answer at once (/etc/hosts, localhost, a bad name): query_done defers it. */
	r->starting++;
	ares_getaddrinfo(r->channel, name, NULL, &hints, query_done, q);
	r->starting--;
	arm_ares_timer(r);
	return h;
}

void resolver_cancel(struct resolver_lookup *h)
{
	if (!h)
		return;
	list_unlink(h->query ? &h->query->waiters : &h->r->ready, h);
	lookup_free(h);
}

uint64_t resolver_dns_requests(const struct resolver *r)
{
	return r->dns_requests;
}

uint64_t resolver_cache_hits(const struct resolver *r)
{
	return r->cache_hits;
}

size_t resolver_in_flight(const struct resolver *r)
{
	return r->in_flight;
}
