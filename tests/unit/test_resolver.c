// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_resolver.c - resolver.c against a tiny DNS server inside the test (UDP on 127.0.0.1,
 * driven by the same loop), and xot_dns.c's pattern and name mapping without any network.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "loop.h"
#include "resolver.h"
#include "xot_dns.h"

/* ---- the fake DNS server ---- */

struct fake_record {
	const char *name;
	const char *a, *aaaa; /* NULL: no such record (the name exists: NODATA) */
};

static const struct fake_record records[] = {
	{"peer.x25.test", "192.0.2.10", "2001:db8::10"},
	{"v4only.x25.test", "192.0.2.11", NULL},
	{"nodata.x25.test", NULL, NULL},
	{"other.x25.test", "192.0.2.12", NULL},
};

struct fake_dns {
	int fd;
	uint16_t port;
	struct io_watch watch;
	bool silent;      /* read queries, answer none */
	unsigned queries; /* every query read */
};

static const struct fake_record *find_record(const char *name)
{
	for (size_t i = 0; i < sizeof(records) / sizeof(records[0]); i++)
		if (!strcasecmp(records[i].name, name))
			return &records[i];
	return NULL;
}

/* The question's name as text, and the offset after QTYPE and QCLASS; 0 if malformed. */
static size_t parse_question(const uint8_t *q, size_t len, char *name, size_t size, uint16_t *qtype)
{
	size_t at = 12, out = 0;

	while (at < len && q[at] != 0) {
		size_t n = q[at++];

		if (n > 63 || at + n > len || out + n + 2 > size)
			return 0;
		if (out)
			name[out++] = '.';
		memcpy(name + out, q + at, n);
		out += n;
		at += n;
	}
	name[out] = '\0';
	if (at + 5 > len)
		return 0;
	*qtype = (uint16_t)(q[at + 1] << 8 | q[at + 2]);
	return at + 5;
}

static size_t put_answer(uint8_t *p, uint16_t type, const char *text)
{
	size_t n = type == 1 ? 4 : 16;
	uint8_t rr[12] = {0xC0, 0x0C, 0, (uint8_t)type, 0, 1, 0, 0, 0x01, 0x2C, 0, (uint8_t)n};

	memcpy(p, rr, sizeof(rr));
	assert_int_equal(inet_pton(type == 1 ? AF_INET : AF_INET6, text, p + sizeof(rr)), 1);
	return sizeof(rr) + n;
}

static void fake_dns_readable(void *ctx, uint32_t events)
{
	struct fake_dns *d = ctx;
	uint8_t q[512], a[1024];
	struct sockaddr_storage from;
	socklen_t from_len = sizeof(from);
	ssize_t n;

	while ((n = recvfrom(d->fd, q, sizeof(q), 0, (struct sockaddr *)&from, &from_len)) > 0) {
		const struct fake_record *rec;
		char name[256];
		uint16_t qtype = 0;
		size_t end = parse_question(q, (size_t)n, name, sizeof(name), &qtype), len;
		uint8_t rcode = 0, answers = 0;

		d->queries++;
		if (d->silent || end == 0)
			continue;
		memcpy(a, q, end); /* id, flags, counts and the question */
		len = end;
		rec = find_record(name);
		if (!rec)
			rcode = 3; /* NXDOMAIN */
		else if (qtype == 1 && rec->a)
			len += put_answer(a + len, 1, rec->a), answers = 1;
		else if (qtype == 28 && rec->aaaa)
			len += put_answer(a + len, 28, rec->aaaa), answers = 1;
		a[2] = (uint8_t)(0x80 | (q[2] & 0x01)); /* QR, RD as asked */
		a[3] = (uint8_t)(0x80 | rcode);         /* RA */
		a[4] = 0, a[5] = 1;
		a[6] = 0, a[7] = answers;
		memset(a + 8, 0, 4);
		assert_int_equal(sendto(d->fd, a, len, 0, (struct sockaddr *)&from, from_len), (ssize_t)len);
		from_len = sizeof(from);
	}
}

/* ---- fixture: a loop, the server on it, a resolver pointed at it ---- */

struct got {
	unsigned times;
	enum resolver_status status;
	char error[512];
	size_t count;
	struct resolver_address addrs[RESOLVER_MAX_ADDRS];
	bool cached;
	void (*then)(struct got *); /* the scenario's next step, from inside the callback */
};

struct fixture {
	struct loop *loop;
	struct fake_dns dns;
	struct resolver *r;
	struct timer guard;
	bool guard_fired;
	unsigned callbacks, stop_after;
	bool inside_lookup; /* set around resolver_lookup: no callback may run then */
};

static struct fixture *F;

static void guard_fired(void *ctx)
{
	F->guard_fired = true;
	loop_stop(F->loop);
}

static int setup(void **state)
{
	static struct fixture f;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sin);

	memset(&f, 0, sizeof(f));
	F = &f;
	f.loop = loop_new();
	assert_non_null(f.loop);
	f.dns.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(f.dns.fd >= 0);
	assert_int_equal(bind(f.dns.fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(f.dns.fd, (struct sockaddr *)&sin, &len), 0);
	f.dns.port = ntohs(sin.sin_port);
	assert_int_equal(loop_add(f.loop, &f.dns.watch, f.dns.fd, EPOLLIN, fake_dns_readable, &f.dns), 0);
	timer_init(&f.guard, guard_fired, NULL);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	resolver_free(f->r);
	loop_del(f->loop, &f->dns.watch);
	close(f->dns.fd);
	loop_free(f->loop);
	return 0;
}

/* The resolver, asking only the fake server (unless o->servers says otherwise). */
static void start_resolver(struct fixture *f, struct resolver_options o)
{
	char servers[64];

	snprintf(servers, sizeof(servers), "127.0.0.1:%u", f->dns.port);
	if (!o.servers)
		o.servers = servers;
	if (!o.timeout_ms)
		o.timeout_ms = 3000;
	if (!o.tries)
		o.tries = 1;
	f->r = resolver_new(f->loop, &o);
	assert_non_null(f->r);
}

static void record(void *ctx, const struct resolver_result *res)
{
	struct got *g = ctx;

	assert_false(F->inside_lookup);
	g->times++;
	g->status = res->status;
	g->cached = res->cached;
	g->count = res->count;
	snprintf(g->error, sizeof(g->error), "%s", res->error ? res->error : "");
	if (res->status == RESOLVER_OK) {
		assert_null(res->error);
		assert_true(res->count >= 1 && res->count <= RESOLVER_MAX_ADDRS);
		memcpy(g->addrs, res->addrs, res->count * sizeof(res->addrs[0]));
	} else {
		assert_non_null(res->error);
		assert_int_equal(res->count, 0);
	}
	if (g->then)
		g->then(g);
	if (++F->callbacks == F->stop_after)
		loop_stop(F->loop);
}

static struct resolver_lookup *lookup(const char *name, uint16_t port, struct got *g)
{
	struct resolver_lookup *h;

	F->inside_lookup = true;
	h = resolver_lookup(F->r, name, port, record, g);
	F->inside_lookup = false;
	assert_non_null(h);
	return h;
}

/* Run the loop until n callbacks ran (one run per test: a stopped loop stays stopped). */
static void run_until_callbacks(struct fixture *f, unsigned n, unsigned limit_ms)
{
	f->stop_after = n;
	timer_set(loop_timers(f->loop), &f->guard, loop_now_ms() + limit_ms);
	assert_int_equal(loop_run(f->loop, NULL, NULL), 0);
	timer_cancel(&f->guard);
	if (f->guard_fired)
		fail_msg("only %u of %u callbacks within %u ms", f->callbacks, n, limit_ms);
}

static bool has_address(const struct got *g, const char *text, uint16_t port)
{
	char buf[INET6_ADDRSTRLEN];

	for (size_t i = 0; i < g->count; i++) {
		const struct resolver_address *a = &g->addrs[i];
		bool v6 = a->u.sa.sa_family == AF_INET6;
		const void *raw = v6 ? (const void *)&a->u.in6.sin6_addr : (const void *)&a->u.in.sin_addr;

		assert_int_equal(a->len, v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
		assert_non_null(inet_ntop(a->u.sa.sa_family, raw, buf, sizeof(buf)));
		if (!strcmp(buf, text))
			return ntohs(v6 ? a->u.in6.sin6_port : a->u.in.sin_port) == port;
	}
	return false;
}

/* ---- the resolver ---- */

static void a_and_aaaa_answer(void **state)
{
	struct fixture *f = *state;
	struct got g = {0};

	start_resolver(f, (struct resolver_options){0});
	lookup("peer.x25.test", 1998, &g);
	assert_int_equal(resolver_in_flight(f->r), 1);
	run_until_callbacks(f, 1, 5000);
	assert_int_equal(g.times, 1);
	assert_int_equal(g.status, RESOLVER_OK);
	assert_int_equal(g.count, 2);
	assert_true(has_address(&g, "192.0.2.10", 1998));
	assert_true(has_address(&g, "2001:db8::10", 1998));
	assert_false(g.cached);
	assert_int_equal(f->dns.queries, 2); /* A and AAAA */
	assert_int_equal(resolver_dns_requests(f->r), 1);
	assert_int_equal(resolver_in_flight(f->r), 0);
}

static void only_an_a_record(void **state)
{
	struct fixture *f = *state;
	struct got g = {0};

	start_resolver(f, (struct resolver_options){0});
	lookup("v4only.x25.test", 1999, &g);
	run_until_callbacks(f, 1, 5000);
	assert_int_equal(g.status, RESOLVER_OK);
	assert_int_equal(g.count, 1);
	assert_true(has_address(&g, "192.0.2.11", 1999));
}

static void nxdomain_and_nodata_are_not_found(void **state)
{
	struct fixture *f = *state;
	struct got missing = {0}, nodata = {0};

	start_resolver(f, (struct resolver_options){0});
	lookup("missing.x25.test", 1998, &missing);
	lookup("nodata.x25.test", 1998, &nodata);
	run_until_callbacks(f, 2, 5000);
	assert_int_equal(missing.status, RESOLVER_NOT_FOUND);
	assert_string_equal(missing.error, "DNS lookup of missing.x25.test failed: no such name (NXDOMAIN)");
	assert_int_equal(nodata.status, RESOLVER_NOT_FOUND);
	assert_string_equal(nodata.error, "DNS lookup of nodata.x25.test failed: the name has no A or AAAA record");
	/* No search domain was appended: only the names asked for reached the server. */
	assert_int_equal(f->dns.queries, 4);
	assert_int_equal(resolver_dns_requests(f->r), 2);
}

static void silent_server_times_out(void **state)
{
	struct fixture *f = *state;
	struct got g = {0};
	uint64_t start = loop_now_ms(), took;

	f->dns.silent = true;
	start_resolver(f, (struct resolver_options){.timeout_ms = 200, .tries = 1});
	lookup("peer.x25.test", 1998, &g);
	run_until_callbacks(f, 1, 5000);
	took = loop_now_ms() - start;
	assert_int_equal(g.status, RESOLVER_TIMEOUT);
	assert_non_null(strstr(g.error, "DNS lookup of peer.x25.test failed: no DNS server answered in time (timeout)"));
	assert_true(took >= 190 && took < 3000);
	assert_int_equal(f->dns.queries, 2);
	assert_int_equal(resolver_in_flight(f->r), 0);
}

/* No server at the address: the lookup still ends, with a reason (c-ares 1.18 may see the
 * ICMP port unreachable as a refused send and then time out the other query). */
static void nobody_listening_still_ends(void **state)
{
	struct fixture *f = *state;
	struct got g = {0};
	char servers[64];
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sin);

	/* A port that was free a moment ago and is closed now. */
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	snprintf(servers, sizeof(servers), "127.0.0.1:%u", ntohs(sin.sin_port));
	start_resolver(f, (struct resolver_options){.servers = servers, .timeout_ms = 200});
	lookup("peer.x25.test", 1998, &g);
	run_until_callbacks(f, 1, 5000);
	assert_true(g.status == RESOLVER_TIMEOUT || g.status == RESOLVER_FAILED);
	if (!strstr(g.error, "DNS lookup of peer.x25.test failed: no DNS server answered in time") &&
	    !strstr(g.error, "DNS lookup of peer.x25.test failed: the DNS server refused the connection"))
		fail_msg("unexpected: %s", g.error);
}

static void no_server_configured(void **state)
{
	struct fixture *f = *state;
	struct got g = {0};

	start_resolver(f, (struct resolver_options){.servers = ""});
	lookup("peer.x25.test", 1998, &g);
	run_until_callbacks(f, 1, 5000);
	assert_int_equal(g.status, RESOLVER_FAILED);
	assert_non_null(strstr(g.error, "no DNS server is configured"));
}

static void bad_names_fail_without_a_query(void **state)
{
	struct fixture *f = *state;
	struct got empty = {0}, dots = {0};

	start_resolver(f, (struct resolver_options){0});
	lookup("", 1998, &empty);
	lookup("a..x25.test", 1998, &dots);
	run_until_callbacks(f, 2, 5000);
	assert_int_equal(empty.status, RESOLVER_FAILED);
	assert_string_equal(empty.error, "DNS lookup of  failed: not a valid DNS name");
	assert_int_equal(dots.status, RESOLVER_FAILED);
	assert_non_null(strstr(dots.error, "a..x25.test failed"));
	assert_int_equal(f->dns.queries, 0);
}

/* Numeric addresses need no query; c-ares answers localhost inside ares_getaddrinfo: both still come from the loop. */
static void answers_without_dns_come_later(void **state)
{
	struct fixture *f = *state;
	struct got v4 = {0}, v6 = {0}, local = {0};

	start_resolver(f, (struct resolver_options){0});
	lookup("192.0.2.7", 1998, &v4);
	lookup("2001:db8::7", 1998, &v6);
	lookup("localhost", 1998, &local);
	assert_int_equal(v4.times + v6.times + local.times, 0);
	run_until_callbacks(f, 3, 5000);
	assert_int_equal(v4.status, RESOLVER_OK);
	assert_int_equal(v4.count, 1);
	assert_true(has_address(&v4, "192.0.2.7", 1998));
	assert_int_equal(v6.count, 1);
	assert_true(has_address(&v6, "2001:db8::7", 1998));
	assert_int_equal(local.status, RESOLVER_OK);
	assert_true(has_address(&local, "127.0.0.1", 1998));
	assert_int_equal(f->dns.queries, 0);
	assert_int_equal(resolver_dns_requests(f->r), 1); /* localhost went to c-ares, numbers did not */
}

/* ---- cancelling ---- */

static void cancelled_lookup_never_calls_back(void **state)
{
	struct fixture *f = *state;
	struct got cancelled = {0}, other = {0};

	start_resolver(f, (struct resolver_options){0});
	resolver_cancel(lookup("peer.x25.test", 1998, &cancelled));
	lookup("other.x25.test", 1998, &other);
	run_until_callbacks(f, 1, 5000);
	assert_int_equal(other.status, RESOLVER_OK);
	assert_int_equal(cancelled.times, 0);
	/* The cancelled query went on and filled the cache (both were answered in order). */
	assert_int_equal(f->dns.queries, 4);
}

static void cancelling_one_of_two_sharers(void **state)
{
	struct fixture *f = *state;
	struct got first = {0}, second = {0};

	start_resolver(f, (struct resolver_options){0});
	resolver_cancel(lookup("peer.x25.test", 1998, &first));
	lookup("peer.x25.test", 2000, &second);
	assert_int_equal(resolver_dns_requests(f->r), 1); /* the second shares the first's query */
	run_until_callbacks(f, 1, 5000);
	assert_int_equal(first.times, 0);
	assert_int_equal(second.status, RESOLVER_OK);
	assert_true(has_address(&second, "192.0.2.10", 2000));
	assert_int_equal(f->dns.queries, 2);
}

/* Freed with a query in c-ares and a lookup waiting on it: no callback, nothing leaks (ASan). */
static void free_with_lookups_pending(void **state)
{
	struct fixture *f = *state;
	struct got waiting = {0}, cancelled = {0};

	f->dns.silent = true;
	start_resolver(f, (struct resolver_options){0});
	lookup("peer.x25.test", 1998, &waiting);
	resolver_cancel(lookup("other.x25.test", 1998, &cancelled));
	lookup("192.0.2.7", 1998, &waiting); /* answered, not yet delivered */
	assert_int_equal(resolver_in_flight(f->r), 2);
	resolver_free(f->r);
	f->r = NULL;
	assert_int_equal(waiting.times + cancelled.times, 0);
}

static struct resolver_lookup *sibling;

static void cancel_sibling(struct got *g)
{
	resolver_cancel(sibling);
}

/* A callback clears another call waiting for the same name. */
static void callback_cancels_a_sharer(void **state)
{
	struct fixture *f = *state;
	struct got first = {.then = cancel_sibling}, second = {0}, other = {0};

	start_resolver(f, (struct resolver_options){0});
	lookup("peer.x25.test", 1998, &first);
	sibling = lookup("peer.x25.test", 1998, &second);
	lookup("other.x25.test", 1998, &other);
	run_until_callbacks(f, 2, 5000);
	assert_int_equal(first.times, 1);
	assert_int_equal(second.times, 0);
	assert_int_equal(other.times, 1);
}

/* ---- the cache ---- */

static struct got again;

static void look_up_again(struct got *g)
{
	lookup("peer.x25.test", 2001, &again);
}

static void cache_answers_without_a_query(void **state)
{
	struct fixture *f = *state;
	struct got first = {.then = look_up_again};

	memset(&again, 0, sizeof(again));
	start_resolver(f, (struct resolver_options){0});
	lookup("peer.x25.test", 1998, &first);
	run_until_callbacks(f, 2, 5000);
	assert_false(first.cached);
	assert_int_equal(again.status, RESOLVER_OK);
	assert_true(again.cached);
	assert_int_equal(again.count, 2);
	assert_true(has_address(&again, "192.0.2.10", 2001)); /* the cache keeps no port */
	assert_true(has_address(&again, "2001:db8::10", 2001));
	assert_int_equal(f->dns.queries, 2);
	assert_int_equal(resolver_dns_requests(f->r), 1);
	assert_int_equal(resolver_cache_hits(f->r), 1);
}

static struct timer later;

static void later_fired(void *ctx)
{
	look_up_again(NULL);
}

static void wait_past_ttl(struct got *g)
{
	timer_init(&later, later_fired, NULL);
	timer_set(loop_timers(F->loop), &later, loop_now_ms() + 80);
}

static void cache_entry_expires(void **state)
{
	struct fixture *f = *state;
	struct got first = {.then = wait_past_ttl};

	memset(&again, 0, sizeof(again));
	start_resolver(f, (struct resolver_options){.cache_ttl_ms = 50});
	lookup("peer.x25.test", 1998, &first);
	run_until_callbacks(f, 2, 5000);
	assert_int_equal(again.status, RESOLVER_OK);
	assert_false(again.cached);
	assert_int_equal(f->dns.queries, 4);
	assert_int_equal(resolver_dns_requests(f->r), 2);
}

/* cache_max 1: the second name pushes the first out. */
static void look_up_other(struct got *g)
{
	lookup("other.x25.test", 1998, &again);
}

static struct got third;

static void look_up_first_again(struct got *g)
{
	lookup("peer.x25.test", 1998, &third);
}

static void oldest_entry_goes_when_full(void **state)
{
	struct fixture *f = *state;
	struct got first = {.then = look_up_other};

	memset(&again, 0, sizeof(again));
	memset(&third, 0, sizeof(third));
	again.then = look_up_first_again;
	start_resolver(f, (struct resolver_options){.cache_max = 1});
	lookup("peer.x25.test", 1998, &first);
	run_until_callbacks(f, 3, 5000);
	assert_int_equal(third.status, RESOLVER_OK);
	assert_false(third.cached);
	assert_int_equal(resolver_dns_requests(f->r), 3);
}

/* ---- the cap ---- */

static void in_flight_cap(void **state)
{
	struct fixture *f = *state;
	static struct got pending[RESOLVER_MAX_IN_FLIGHT];
	struct got shared = {0}, refused = {0};
	char name[64];

	memset(pending, 0, sizeof(pending));
	f->dns.silent = true;
	start_resolver(f, (struct resolver_options){0});
	for (unsigned i = 0; i < RESOLVER_MAX_IN_FLIGHT; i++) {
		snprintf(name, sizeof(name), "n%u.x25.test", i);
		lookup(name, 1998, &pending[i]);
	}
	assert_int_equal(resolver_in_flight(f->r), RESOLVER_MAX_IN_FLIGHT);
	lookup("n7.x25.test", 1998, &shared); /* joins a query: not refused */
	lookup("one-more.x25.test", 1998, &refused);
	run_until_callbacks(f, 1, 5000);
	assert_int_equal(refused.status, RESOLVER_BUSY);
	assert_string_equal(refused.error, "DNS lookup of one-more.x25.test refused: 256 names are being looked up "
					   "already, the limit; the DNS servers answer slower than calls arrive");
	assert_int_equal(shared.times, 0);
	assert_int_equal(resolver_dns_requests(f->r), RESOLVER_MAX_IN_FLIGHT);
	/* teardown frees the 256 queries still in c-ares */
}

/* ---- xot_dns: called address to name ---- */

static void map(const char *pattern, const char *dns_name, const char *called, const char *expect)
{
	char err[512], name[XOT_DNS_NAME_MAX + 2];
	struct xot_dns_map *m = xot_dns_map_new(pattern, dns_name, err, sizeof(err));

	if (!m)
		fail_msg("xot_dns_map_new(%s, %s): %s", pattern, dns_name, err);
	if (xot_dns_map_name(m, called, name, sizeof(name), err, sizeof(err)) < 0)
		fail_msg("%s: %s", called, err);
	assert_string_equal(name, expect);
	xot_dns_map_free(m);
}

/* The map is refused at compile time, with a reason containing why. */
static void refused_map(const char *pattern, const char *dns_name, const char *why)
{
	char err[512];

	assert_null(xot_dns_map_new(pattern, dns_name, err, sizeof(err)));
	if (!strstr(err, why))
		fail_msg("\"%s\" lacks \"%s\"", err, why);
	assert_int_equal(xot_dns_check(pattern, dns_name, err, sizeof(err)), -1);
}

/* The map compiles, but this called address gives no name, for this reason. */
static void no_name(const char *pattern, const char *dns_name, const char *called, const char *why)
{
	char err[512], name[XOT_DNS_NAME_MAX + 2];
	struct xot_dns_map *m = xot_dns_map_new(pattern, dns_name, err, sizeof(err));

	assert_non_null(m);
	assert_int_equal(xot_dns_map_name(m, called, name, sizeof(name), err, sizeof(err)), -1);
	if (!strstr(err, why))
		fail_msg("\"%s\" lacks \"%s\"", err, why);
	xot_dns_map_free(m);
}

static void goxot_default_pattern(void **state)
{
	char err[256];
	struct xot_dns_map *m = xot_dns_map_new("", "\\2.\\1.x25.test", err, sizeof(err));

	assert_non_null(m);
	assert_string_equal(xot_dns_map_pattern(m), "^(...)(...)");
	xot_dns_map_free(m);
	map(NULL, "\\2.\\1.x25.test", "12345678", "456.123.x25.test");
	map("", "\\2.\\1.x25.test", "123456", "456.123.x25.test");
	assert_int_equal(xot_dns_check(NULL, "\\2.\\1.x25.test", err, sizeof(err)), 0);
}

static void digit_class_is_rewritten(void **state)
{
	char err[256];
	struct xot_dns_map *m = xot_dns_map_new("^(\\d{4})(\\d+)", "\\2.\\1.x25.org", err, sizeof(err));

	assert_non_null(m);
	assert_string_equal(xot_dns_map_posix(m), "^([0-9]{4})([0-9]+)");
	xot_dns_map_free(m);
	map("^(\\d{4})(\\d+)", "\\2.\\1.x25.org", "12345678", "5678.1234.x25.org");
	map("^(\\d)(\\d)(\\d)", "\\3.\\2.\\1.e164.test", "4321", "2.3.4.e164.test");
	map("(\\d{2})$", "host\\1.x25.test", "1234567", "host67.x25.test"); /* unanchored start, as Go */
	map("^(\\d{3})", "xot.example.net", "123456", "xot.example.net");   /* no group used */
}

static void groups_beyond_the_patterns_are_refused(void **state)
{
	refused_map("^(\\d{4})", "\\2.\\1.x25.org", "uses \\2 but dns_pattern \"^(\\d{4})\" has 1 capture group;");
	refused_map("^\\d+", "\\1.x25.org", "has 0 capture groups");
	refused_map("^(...)(...)", "\\0.x25.org", "must start a group reference \\1..\\9");
	refused_map("^(...)", "\\1.x25.org\\", "must start a group reference");
	refused_map("^(...)", "\\1 .x25.org", "\\x20 at offset 2 cannot be in a DNS name");
	refused_map("^(...)", "", "dns_name is empty");
}

static void address_that_does_not_match(void **state)
{
	no_name("^(\\d{4})(\\d+)", "\\2.\\1.x25.org", "123",
		"called address 123 does not match dns_pattern \"^(\\d{4})(\\d+)\"");
	no_name(NULL, "\\2.\\1.x25.org", "12345", "does not match dns_pattern \"^(...)(...)\"");
}

static void name_too_long_or_malformed(void **state)
{
	char tmpl[300];

	/* 15 digits + 240 letters: over 253 */
	snprintf(tmpl, sizeof(tmpl), "\\1.%.60s.%.60s.%.60s.%.55s", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
		 "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc",
		 "ddddddddddddddddddddddddddddddddddddddddddddddddddddddd");
	no_name("^(\\d+)", tmpl, "123456789012345", "a DNS name has at most 253");
	map("^(\\d+)", tmpl, "1234", /* 4 + 1 + 60 + 1 + 60 + 1 + 60 + 1 + 55 = 243 */
	    "1234.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb."
	    "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc."
	    "ddddddddddddddddddddddddddddddddddddddddddddddddddddddd");
	/* a 64-character label */
	no_name("^(\\d+)", "\\1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test", "1234",
		"characters long; a label has at most 63");
	/* an optional group that took no part: empty, so the label is empty */
	no_name("^(9)?(\\d+)", "\\1.\\2.test", "1234", "empty label");
	map("^(9)?(\\d+)", "x\\1y.\\2.test", "1234", "xy.1234.test");
	no_name("^(...)", "\\1.\\1", "123", "all digits and dots but not an IPv4 address");
	map("^(\\d{1,3})(\\d{1,3})", "10.0.\\1.\\2", "12345", "10.0.123.45"); /* a numeric address is fine */
}

static void posix(const char *re2, const char *expect)
{
	char out[256], err[256];

	if (xot_dns_re2_to_posix(re2, out, sizeof(out), err, sizeof(err)) < 0)
		fail_msg("%s: %s", re2, err);
	assert_string_equal(out, expect);
}

static void not_posix(const char *re2, const char *why)
{
	char out[256], err[256];

	assert_int_equal(xot_dns_re2_to_posix(re2, out, sizeof(out), err, sizeof(err)), -1);
	if (!strstr(err, why))
		fail_msg("%s: \"%s\" lacks \"%s\"", re2, err, why);
}

static void re2_to_posix(void **state)
{
	posix("^(...)(...)", "^(...)(...)");
	posix("^\\d\\D\\w", "^[0-9][^0-9][0-9A-Za-z_]");
	posix("[\\d.]", "[0-9.]");
	posix("[^\\d]", "[^0-9]");
	posix("\\.\\-\\/", "\\.-/"); /* RE2 escapes any punctuation; POSIX only its specials */
	posix("[\\]a-c\\-]", "[]a-c-]");
	posix("[\\^]", "\\^");
	posix("[\\^\\-]", "[-^]");
	posix("[a^]", "[a^]");
	posix("[]x]", "[]x]"); /* ']' first is literal in both */
	posix("[[:digit:]x]", "[[:digit:]x]");
	posix("[[:word:]]", "[0-9A-Za-z_]");
	posix("(?P<area>\\d{3})(?<line>\\d+)", "([0-9]{3})([0-9]+)");
	posix("1{2}x{", "1{2}x\\{"); /* a '{' that starts no repetition is a literal in RE2 */
	posix("\\A(12)\\z", "^(12)$");
	not_posix("^(\\d+?)", "lazy quantifier");
	not_posix("a{2,3}?", "lazy quantifier");
	not_posix("(?:12)(3)", "\"(?\" at offset 0");
	not_posix("(?i)abc", "\"(?\" at offset 0");
	not_posix("(?<=1)2", "\"(?\" at offset 0");
	posix("a}", "a}");
	not_posix("\\b12", "word boundary");
	not_posix("\\pN", "Unicode class");
	not_posix("[\\D]", "\\D inside [...]");
	not_posix("[a-\\d]", "range ending in a class");
	not_posix("[z-a]", "runs backwards");
	not_posix("[[:^digit:]]", "negated class");
	not_posix("[[:ascii:]]", "not a class POSIX ERE has");
	not_posix("[12", "is never closed");
	not_posix("12\\", "lone '\\'");
	not_posix("a**", "repetition of a repetition");
	not_posix("\\x41", "hex escape");
	refused_map("^(\\d+?)", "\\1.x25.test", "lazy quantifier");
	refused_map("^(\\d+", "\\1.x25.test", "compiled as the POSIX ERE \"^([0-9]+\"");
}

/* POSIX takes the longest match where RE2 (goxot) takes the first alternative that matches. */
static void alternation_is_leftmost_longest(void **state)
{
	map("^(1|12)", "\\1.test", "123", "12.test"); /* goxot: 1.test */
	map("^(12|1)", "\\1.test", "123", "12.test"); /* the longer alternative first: both agree */
}

static void dns_names(void **state)
{
	char why[256], name[300];

	assert_true(xot_dns_name_valid("a_b.x25.test", why, sizeof(why)));
	assert_true(xot_dns_name_valid("x25.test.", why, sizeof(why)));
	assert_true(xot_dns_name_valid("10.1.2.3", why, sizeof(why)));
	assert_true(xot_dns_name_valid("2001:db8::1", why, sizeof(why)));
	assert_false(xot_dns_name_valid("-a.test", why, sizeof(why)));
	assert_string_equal(why, "the label \"-a\" starts or ends with '-'");
	assert_false(xot_dns_name_valid("a-.test", why, sizeof(why)));
	assert_false(xot_dns_name_valid(".test", why, sizeof(why)));
	assert_false(xot_dns_name_valid("1234.5678", why, sizeof(why)));
	assert_false(xot_dns_name_valid("a:b.test", why, sizeof(why)));
	assert_string_equal(why, "':' at offset 1 cannot be in a DNS name (letters, digits, '-', '_', '.')");
	assert_false(xot_dns_name_valid("", why, sizeof(why)));
	/* 253 characters, and 254 only with the root's dot */
	memset(name, 'a', 253);
	for (size_t i = 63; i < 253; i += 64)
		name[i] = '.';
	name[253] = '\0';
	assert_true(xot_dns_name_valid(name, why, sizeof(why)));
	name[253] = '.';
	name[254] = '\0';
	assert_true(xot_dns_name_valid(name, why, sizeof(why)));
	name[253] = 'a';
	assert_false(xot_dns_name_valid(name, why, sizeof(why)));
	assert_string_equal(why, "it is 254 characters long; a DNS name has at most 253");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(a_and_aaaa_answer),
		T(only_an_a_record),
		T(nxdomain_and_nodata_are_not_found),
		T(silent_server_times_out),
		T(nobody_listening_still_ends),
		T(no_server_configured),
		T(bad_names_fail_without_a_query),
		T(answers_without_dns_come_later),
		T(cancelled_lookup_never_calls_back),
		T(cancelling_one_of_two_sharers),
		T(free_with_lookups_pending),
		T(callback_cancels_a_sharer),
		T(cache_answers_without_a_query),
		T(cache_entry_expires),
		T(oldest_entry_goes_when_full),
		T(in_flight_cap),
#undef T
		cmocka_unit_test(goxot_default_pattern),
		cmocka_unit_test(digit_class_is_rewritten),
		cmocka_unit_test(groups_beyond_the_patterns_are_refused),
		cmocka_unit_test(address_that_does_not_match),
		cmocka_unit_test(name_too_long_or_malformed),
		cmocka_unit_test(re2_to_posix),
		cmocka_unit_test(alternation_is_leftmost_longest),
		cmocka_unit_test(dns_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
