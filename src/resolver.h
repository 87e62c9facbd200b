// SPDX-License-Identifier: GPL-2.0-or-later
/* resolver.h - asynchronous host name lookups (c-ares) on x25lo's loop, with goxot's 60 s cache. */
#ifndef X25LO_RESOLVER_H
#define X25LO_RESOLVER_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "loop.h"

#define RESOLVER_CACHE_TTL_MS 60000 /* goxot keeps a positive answer 60 s, whatever its DNS TTL */
#define RESOLVER_MAX_IN_FLIGHT 256  /* names being looked up at once */
#define RESOLVER_CACHE_MAX 1024     /* names cached; the oldest goes first */
#define RESOLVER_MAX_ADDRS 16       /* addresses kept per name (each costs a connect timeout) */

struct resolver;
struct resolver_lookup;

/* Zero (or NULL options) means the default; tests point the resolver at their own server. */
struct resolver_options {
	const char *servers;   /* "host[:port],...": instead of /etc/resolv.conf's; "" = none */
	int timeout_ms;        /* first try per server; default from resolv.conf, else c-ares' 5000 */
	int tries;             /* tries per server; default from resolv.conf, else c-ares' 4 */
	unsigned max_in_flight;
	unsigned cache_ttl_ms;
	unsigned cache_max;
};

enum resolver_status {
	RESOLVER_OK,
	RESOLVER_NOT_FOUND, /* NXDOMAIN, or the name has no A or AAAA record */
	RESOLVER_TIMEOUT,   /* no server answered */
	RESOLVER_BUSY,      /* RESOLVER_MAX_IN_FLIGHT names are being looked up already */
	RESOLVER_FAILED,    /* server failure or refusal, no server, a bad name, out of memory */
};

struct resolver_address {
	socklen_t len;
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} u; /* with the port asked for */
};

struct resolver_result {
	enum resolver_status status;
	const char *error;                     /* when not OK: what failed, naming the name, for the log */
	const struct resolver_address *addrs;  /* when OK: IPv6 and IPv4 in c-ares' order (RFC 6724) */
	size_t count;                          /* when OK: 1..RESOLVER_MAX_ADDRS */
	bool cached;                           /* answered from the cache, without a query */
};

/* The result and everything it points to live only during the call: copy what you keep. */
typedef void (*resolver_callback)(void *ctx, const struct resolver_result *result);

/*
 * A resolver on loop: its sockets are watched by the loop, its timeouts are one timer on
 * loop_timers(loop). NULL with the reason logged when c-ares cannot start or the servers
 * string is bad. Names are looked up as given (/etc/hosts, then DNS): resolv.conf's search
 * domains are never appended, since a name built from dns_name is meant whole.
 */
struct resolver *resolver_new(struct loop *loop, const struct resolver_options *options);

/*
 * Cancels every lookup (their callbacks never run) and frees everything. Call it before
 * loop_free, and not from a callback of the loop's current batch (after loop_run returns,
 * or from the after-batch hook), since its sockets' watches are freed with it.
 */
void resolver_free(struct resolver *r);

/*
 * Look up name's A and AAAA records; callback(ctx, result) runs exactly once, always later
 * from the loop (never inside resolver_lookup), unless the lookup is cancelled first. A name
 * already in the cache is answered from it without a query; a name already being looked up
 * shares that query. Returns the lookup's handle, valid until its callback starts or it is
 * cancelled, or NULL when memory runs out (nothing will be called back).
 */
struct resolver_lookup *resolver_lookup(struct resolver *r, const char *name, uint16_t port, resolver_callback cb,
					void *ctx);

/*
 * The callback will not run. The query itself goes on in c-ares (which cannot stop one) and
 * still fills the cache; it counts as in flight until it ends.
 */
void resolver_cancel(struct resolver_lookup *lookup);

/* For /varz: queries sent (cache misses: goxot's dns_requests), answers from the cache, now in flight. */
uint64_t resolver_dns_requests(const struct resolver *r);
uint64_t resolver_cache_hits(const struct resolver *r);
size_t resolver_in_flight(const struct resolver *r);

#endif
