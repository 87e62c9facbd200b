// SPDX-License-Identifier: GPL-2.0-or-later
/* http.c - the stats HTTP server: libmicrohttpd driven by the relay's own event loop. */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>

#include "log.h"
#include "relay.h"
#include "stats.h"

/*
 * Limits that keep slow or hostile clients from holding resources. libmicrohttpd closes a
 * connection idle for the timeout, but every byte restarts that clock; so a request must
 * also be complete within a deadline from the connection's accept (or its previous answer),
 * whatever the client trickles. Requests are small (GET, no body). An answer the client
 * does not read is left to the idle timeout: the socket only takes more once the client
 * has read a good part of its buffer, so a trickling reader makes no progress either.
 */
#define STATS_MAX_CONNECTIONS 64
#define STATS_CONNECTION_TIMEOUT_S 10
#define STATS_REQUEST_DEADLINE_MS 10000
#define STATS_CONNECTION_MEMORY 16384
#define STATS_LISTEN_BACKLOG 16
#define STATS_RUN_ROUNDS 4
/*
 * /sessions is streamed, and all listings together draw on one bucket of work that fills
 * with time, up to one millisecond's worth: calls rendered (1-2.5 us each) and call slots
 * looked at. A turn of the loop that runs the server several times (its fd, its timers)
 * still renders one bucket at most (0.3 ms), and listings take a third of the CPU at most.
 */
#define STATS_SESSIONS_CALLS_PER_MS 128
#define STATS_SESSIONS_SLOTS_PER_MS 16384
/* libmicrohttpd's buffer for a streamed answer sent without chunked encoding (HTTP/1.0). */
#define STATS_STREAM_BLOCK 4096

#define JSON_TYPE "application/json; charset=utf-8"
#define METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define TEXT_TYPE "text/plain; charset=utf-8"
#define ALLOWED_METHODS "GET, HEAD, OPTIONS"

/* One accepted connection, from libmicrohttpd's start notification to its close notification. */
struct client {
	struct MHD_Connection *conn; /* NULL: a free place */
	int fd;
	uint64_t deadline_ms; /* its request must be complete by then; 0 while it is answered */
	bool cut;             /* shut down at the deadline: libmicrohttpd closes it at its next run */
};

struct stats_server {
	struct relay *relay;
	struct MHD_Daemon *mhd;
	struct io_watch mhd_watch;
	struct timer timer;          /* libmicrohttpd's next deadline: connection timeouts, pending sends */
	struct timer deadline_timer; /* the earliest client deadline */
	struct sessions_budget budget; /* left for every /sessions listing, refilled with time */
	uint64_t budget_us;            /* when it was last refilled */
	struct client clients[STATS_MAX_CONNECTIONS];
	bool loopback_only; /* bound to 127.0.0.0/8 or ::1: answers local clients only */
	int port;
	char last_error[256]; /* last message from libmicrohttpd, for start-up failures */
};

enum route { ROUTE_NONE, ROUTE_VARZ, ROUTE_METRICS, ROUTE_SESSIONS };

static int request_seen; /* *con_cls marker: headers processed, answer on the next call */

static enum route find_route(const char *url)
{
	if (strcmp(url, "/varz") == 0 || strcmp(url, "/debug/vars") == 0)
		return ROUTE_VARZ;
	if (strcmp(url, "/metrics") == 0)
		return ROUTE_METRICS;
	if (strcmp(url, "/sessions") == 0)
		return ROUTE_SESSIONS;
	return ROUTE_NONE;
}

X25LO_PRINTF(2, 0) static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
	struct stats_server *s = cls;
	va_list copy;

	va_copy(copy, ap);
	vsnprintf(s->last_error, sizeof(s->last_error), fmt, copy);
	va_end(copy);
	/* libmicrohttpd ends its messages with a newline; log lines add their own. */
	s->last_error[strcspn(s->last_error, "\n")] = '\0';
	if (s->mhd)
		log_trace("Stats server: %s", s->last_error);
}

/* ---- connections and their deadlines ---- */

static struct client *client_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return info ? info->socket_context : NULL;
}

/* The next request on conn is due by now + in_ms; 0: none (while it is answered). */
static void client_deadline(struct MHD_Connection *conn, uint64_t in_ms)
{
	struct client *c = client_of(conn);

	if (c)
		c->deadline_ms = in_ms ? loop_now_ms() + in_ms : 0;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct stats_server *s = cls;
	struct client *c = *socket_context;
	const union MHD_ConnectionInfo *info;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (c)
			c->conn = NULL;
		*socket_context = NULL;
		return;
	}
	info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	for (c = s->clients; c < s->clients + STATS_MAX_CONNECTIONS && c->conn; c++)
		;
	if (!info || c == s->clients + STATS_MAX_CONNECTIONS) {
		/* Cannot happen (libmicrohttpd accepts STATS_MAX_CONNECTIONS at most); never keep one unwatched. */
		log_trace("Stats server: no place to watch a new connection; closing it");
		if (info)
			shutdown(info->connect_fd, SHUT_RDWR);
		return;
	}
	*c = (struct client){.conn = conn, .fd = info->connect_fd, .deadline_ms = loop_now_ms() + STATS_REQUEST_DEADLINE_MS};
	*socket_context = c;
}

/* An answer was sent (or the request failed): the next request on this connection gets its own time. */
static void on_request_done(void *cls, struct MHD_Connection *conn, void **con_cls,
			    enum MHD_RequestTerminationCode toe)
{
	client_deadline(conn, STATS_REQUEST_DEADLINE_MS);
}

/* ---- answers ---- */

/*
 * The headers of every answer. CORS only when the config names an origin (read at each
 * answer, as a reload may change it): without it no web page can read what x25lo shows.
 */
static bool add_headers(const struct stats_server *s, struct MHD_Response *r, unsigned status,
			const char *content_type, bool preflight)
{
	const char *origin = s->relay->cfg.stats_cors_origin;
	bool ok = MHD_add_response_header(r, "Cache-Control", "no-store") == MHD_YES;

	if (origin[0]) {
		ok = ok && MHD_add_response_header(r, "Access-Control-Allow-Origin", origin) == MHD_YES;
		/* goxot's preflight answer. */
		if (preflight)
			ok = ok && MHD_add_response_header(r, "Access-Control-Allow-Methods", "GET, OPTIONS") == MHD_YES &&
			     MHD_add_response_header(r, "Access-Control-Allow-Headers", "Content-Type") == MHD_YES;
	}
	if (content_type)
		ok = ok && MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type) == MHD_YES;
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED || preflight)
		ok = ok && MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, ALLOWED_METHODS) == MHD_YES;
	return ok;
}

/* Queue r (consumed): the request is complete, its deadline met. */
static enum MHD_Result queue(struct MHD_Connection *conn, unsigned status, struct MHD_Response *r)
{
	enum MHD_Result ret = MHD_queue_response(conn, status, r);

	MHD_destroy_response(r);
	if (ret == MHD_YES)
		client_deadline(conn, 0);
	return ret;
}

static enum MHD_Result send_response(const struct stats_server *s, struct MHD_Connection *conn, unsigned status,
				     char *body, bool owned, const char *content_type)
{
	struct MHD_Response *r;

	r = MHD_create_response_from_buffer(body ? strlen(body) : 0, body,
					    owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!r) {
		if (owned)
			free(body);
		return MHD_NO;
	}
	if (!add_headers(s, r, status, content_type, status == MHD_HTTP_OK && !body)) {
		MHD_destroy_response(r);
		return MHD_NO; /* out of memory: libmicrohttpd closes the connection */
	}
	return queue(conn, status, r);
}

/* ?limit=N lists at most N calls (0 = as many as allowed); without it as many as allowed. */
static bool sessions_limit(struct MHD_Connection *conn, size_t *limit)
{
	const char *arg = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "limit");
	char *end;
	unsigned long long v;

	*limit = 0;
	if (!arg)
		return true;
	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || *end || end == arg || arg[0] == '-')
		return false;
	*limit = v > SIZE_MAX ? SIZE_MAX : (size_t)v;
	return true;
}

static ssize_t read_sessions(void *cls, uint64_t pos, char *buf, size_t max)
{
	ssize_t n = stats_sessions_read(cls, buf, max);

	if (n == STATS_SESSIONS_END)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (n < 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	return n; /* 0: the budget is spent; libmicrohttpd asks again at its next run */
}

static void close_sessions(void *cls)
{
	stats_sessions_close(cls);
}

/*
 * /sessions streamed: the listing is rendered slice by slice as libmicrohttpd sends it, so
 * a client costs one entry buffer, and the headers say how far the list may go.
 */
static enum MHD_Result send_sessions(struct stats_server *s, struct MHD_Connection *conn)
{
	size_t limit, total = relay_calls_active(s->relay);
	struct sessions_stream *stream;
	struct MHD_Response *r;
	char total_text[24], limit_text[24];

	if (!sessions_limit(conn, &limit))
		return send_response(s, conn, MHD_HTTP_BAD_REQUEST, "400 limit must be a number of calls (0 = as many "
				     "as allowed)\n", false, TEXT_TYPE);
	limit = stats_sessions_limit(limit);
	stream = stats_sessions_open(s->relay, limit, &s->budget);
	r = stream ? MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STATS_STREAM_BLOCK, read_sessions, stream,
						       close_sessions)
		   : NULL;
	if (!r) {
		stats_sessions_close(stream);
		return send_response(s, conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "500 out of memory\n", false, TEXT_TYPE);
	}
	snprintf(total_text, sizeof(total_text), "%zu", total);
	snprintf(limit_text, sizeof(limit_text), "%zu", limit);
	if (!add_headers(s, r, MHD_HTTP_OK, JSON_TYPE, false) ||
	    MHD_add_response_header(r, "X-Sessions-Total", total_text) != MHD_YES ||
	    MHD_add_response_header(r, "X-Sessions-Limit", limit_text) != MHD_YES ||
	    (total > limit && MHD_add_response_header(r, "X-Sessions-Truncated", "true") != MHD_YES)) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	return queue(conn, MHD_HTTP_OK, r);
}

/*
 * A web page can reach a server bound to loopback through DNS rebinding: its own name
 * resolves to 127.0.0.1 and the browser sends that name as Host. Such a server answers only
 * requests addressed to an IP literal or "localhost" (docs/security.md).
 */
static bool host_allowed(const struct stats_server *s, struct MHD_Connection *conn)
{
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	unsigned char addr[sizeof(struct in6_addr)];
	char name[256];
	size_t len;

	if (!s->loopback_only || !host)
		return true; /* browsers always send Host */
	if (host[0] == '[') {
		len = strcspn(host + 1, "]");
		if (host[1 + len] != ']' || len >= sizeof(name))
			return false;
		memcpy(name, host + 1, len);
		name[len] = '\0';
		return inet_pton(AF_INET6, name, addr) == 1;
	}
	len = strcspn(host, ":");
	if (len >= sizeof(name))
		return false;
	memcpy(name, host, len);
	name[len] = '\0';
	return inet_pton(AF_INET, name, addr) == 1 || strcasecmp(name, "localhost") == 0;
}

static enum MHD_Result handle_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				      const char *version, const char *upload_data, size_t *upload_data_size,
				      void **con_cls)
{
	struct stats_server *s = cls;
	enum route route = find_route(url);
	char *body = NULL;
	const char *type = JSON_TYPE;

	/* Refusals go out at once (the connection is then closed, any body unread). */
	if (route == ROUTE_NONE)
		return send_response(s, conn, MHD_HTTP_NOT_FOUND, "404 page not found\n", false, TEXT_TYPE);
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_OPTIONS) != 0)
		return send_response(s, conn, MHD_HTTP_METHOD_NOT_ALLOWED, "405 method not allowed\n", false, TEXT_TYPE);
	/*
	 * Answers queued at the first call (before the request is complete) make libmicrohttpd
	 * close the connection; waiting for the second call keeps HTTP/1.1 connections alive.
	 */
	if (*con_cls == NULL) {
		*con_cls = &request_seen;
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0; /* a body on GET/OPTIONS: ignored */
		return MHD_YES;
	}

	if (!host_allowed(s, conn))
		return send_response(s, conn, MHD_HTTP_FORBIDDEN,
				     "403 this server answers local clients only: address it as 127.0.0.1, [::1] or "
				     "localhost, or bind it elsewhere with stats-bind\n",
				     false, TEXT_TYPE);
	if (strcmp(method, MHD_HTTP_METHOD_OPTIONS) == 0)
		return send_response(s, conn, MHD_HTTP_OK, NULL, false, NULL);
	switch (route) {
	case ROUTE_VARZ:
		relay_read_drops(s->relay);
		body = stats_render_varz(s->relay);
		break;
	case ROUTE_METRICS:
		relay_read_drops(s->relay);
		body = stats_render_metrics(s->relay);
		type = METRICS_TYPE;
		break;
	case ROUTE_SESSIONS:
		return send_sessions(s, conn);
	case ROUTE_NONE:
		break;
	}
	if (!body)
		return send_response(s, conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "500 out of memory\n", false, TEXT_TYPE);
	return send_response(s, conn, MHD_HTTP_OK, body, true, type);
}

/* ---- running libmicrohttpd from the loop ---- */

/* Milliseconds until libmicrohttpd wants a run (connection timeouts, pending sends), -1 for never. */
static int stats_server_timeout_ms(struct stats_server *s)
{
	MHD_UNSIGNED_LONG_LONG timeout;

	if (MHD_get_timeout(s->mhd, &timeout) != MHD_YES)
		return -1;
	return timeout > 24u * 3600 * 1000 ? 24 * 3600 * 1000 : (int)timeout;
}

/* Have the loop run libmicrohttpd again at its next deadline, and cut clients at theirs. */
static void schedule(struct stats_server *s)
{
	int ms = stats_server_timeout_ms(s);
	uint64_t first = 0;

	/*
	 * Work left now (a listing that spent its budget) waits for the next millisecond: a
	 * timer set for the current one would run again at once, in the same turn of the loop.
	 */
	if (ms < 0)
		timer_cancel(&s->timer);
	else
		timer_set(loop_timers(s->relay->loop), &s->timer, loop_now_ms() + (ms ? (uint64_t)ms : 1));
	for (const struct client *c = s->clients; c < s->clients + STATS_MAX_CONNECTIONS; c++)
		if (c->conn && !c->cut && c->deadline_ms && (first == 0 || c->deadline_ms < first))
			first = c->deadline_ms;
	if (first)
		timer_set(loop_timers(s->relay->loop), &s->deadline_timer, first);
	else
		timer_cancel(&s->deadline_timer);
}

static uint64_t monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* The listings' work accrues with time, up to one millisecond's worth. */
static void refill_budget(struct stats_server *s)
{
	uint64_t now = monotonic_us(), us = now - s->budget_us;
	uint64_t calls = us * STATS_SESSIONS_CALLS_PER_MS / 1000;

	if (calls == 0)
		return; /* less than one call's worth yet: keep the time for later */
	s->budget.calls = (unsigned)min_u64(s->budget.calls + calls, STATS_SESSIONS_CALLS_PER_MS);
	s->budget.slots = (unsigned)min_u64(s->budget.slots + us * STATS_SESSIONS_SLOTS_PER_MS / 1000,
					    STATS_SESSIONS_SLOTS_PER_MS);
	s->budget_us = now;
}

static void stats_server_tick(struct stats_server *s)
{
	refill_budget(s);
	/* Work left right away (a response to send) is done now, a few rounds at most. */
	for (int round = 0; round < STATS_RUN_ROUNDS; round++) {
		MHD_run(s->mhd);
		if (stats_server_timeout_ms(s) != 0)
			break;
	}
	schedule(s);
}

static void on_mhd_events(void *ctx, uint32_t events)
{
	stats_server_tick(ctx);
}

static void on_timer(void *ctx)
{
	stats_server_tick(ctx);
}

/*
 * Clients past their deadline. libmicrohttpd has no way to close a connection outside a
 * request handler, so shut its socket down: its next run (now) sees the end and closes it.
 */
static void on_deadline(void *ctx)
{
	struct stats_server *s = ctx;
	uint64_t now = loop_now_ms();

	for (struct client *c = s->clients; c < s->clients + STATS_MAX_CONNECTIONS; c++) {
		if (!c->conn || c->cut || !c->deadline_ms || c->deadline_ms > now)
			continue;
		/* ENOTCONN: the peer is gone already, and libmicrohttpd closes it anyway. */
		if (shutdown(c->fd, SHUT_RDWR) < 0 && errno != ENOTCONN)
			log_trace("Stats server: cannot shut down a connection past its deadline: %s", strerror(errno));
		c->cut = true;
		log_trace("Stats server: closing a connection that took over %d s to send a request",
			  STATS_REQUEST_DEADLINE_MS / 1000);
	}
	stats_server_tick(s);
}

static int parse_bind(const char *addr, int port, struct sockaddr_storage *ss, bool *ipv6)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		*ipv6 = false;
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*ipv6 = true;
		return 0;
	}
	return -1;
}

struct stats_server *stats_server_start(struct relay *relay, const char *bind_addr, int port, char *err,
					size_t errlen)
{
	struct stats_server *s;
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *info;
	bool ipv6;
	int rc;

	if (port < 0 || port > 65535) {
		snprintf(err, errlen, "stats port %d is out of range; use 1-65535 (0 turns the server off)", port);
		return NULL;
	}
	if (parse_bind(bind_addr, port, &ss, &ipv6) < 0) {
		snprintf(err, errlen,
			 "stats bind address \"%s\" is not a numeric IPv4 or IPv6 address; use e.g. 127.0.0.1, "
			 "0.0.0.0 or ::",
			 bind_addr);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen,
			 "stats server: out of memory; free some memory or set stats-port to 0 to run without stats");
		return NULL;
	}
	s->relay = relay;
	s->mhd_watch.fd = -1;
	s->loopback_only = ipv6 ? IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&ss)->sin6_addr)
				: (ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr) >> 24) == 127;
	timer_init(&s->timer, on_timer, s);
	timer_init(&s->deadline_timer, on_deadline, s);
	/* External epoll mode: no thread of its own; MHD_run is called from the loop. */
	s->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG | (ipv6 ? MHD_USE_IPv6 : 0), (uint16_t)port,
				  NULL, NULL, handle_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)STATS_MAX_CONNECTIONS,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)STATS_CONNECTION_TIMEOUT_S,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)STATS_CONNECTION_MEMORY,
				  MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)STATS_LISTEN_BACKLOG,
				  MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
				  MHD_OPTION_NOTIFY_COMPLETED, on_request_done, s,
				  MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, s, MHD_OPTION_END);
	if (!s->mhd) {
		snprintf(err, errlen, "cannot start the stats server on %s%s%s:%d: %s; pick a free port with stats-port "
			 "or -stats-port, or set it to 0 to run without stats",
			 ipv6 ? "[" : "", bind_addr, ipv6 ? "]" : "", port,
			 s->last_error[0] ? s->last_error : strerror(errno));
		free(s);
		return NULL;
	}
	info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : port;
	info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info) {
		snprintf(err, errlen, "stats server: libmicrohttpd reports no epoll descriptor (built without epoll?); "
			 "use Debian's libmicrohttpd, or set stats-port to 0 to run without stats");
		stats_server_stop(s);
		return NULL;
	}
	rc = loop_add(relay->loop, &s->mhd_watch, info->epoll_fd, EPOLLIN, on_mhd_events, s);
	if (rc < 0) {
		snprintf(err, errlen, "stats server: cannot watch its epoll descriptor: %s; set stats-port to 0 to run "
			 "without stats", strerror(-rc));
		stats_server_stop(s);
		return NULL;
	}
	schedule(s);
	/* goxot prints this on stdout without a timestamp; scripts wait for it. */
	printf("Stats server listening on %s%s%s:%d\n", ipv6 ? "[" : "", bind_addr, ipv6 ? "]" : "", s->port);
	fflush(stdout);
	return s;
}

int stats_server_port(const struct stats_server *s)
{
	return s ? s->port : 0;
}

void stats_server_stop(struct stats_server *s)
{
	if (!s)
		return;
	if (s->mhd_watch.fd >= 0 && s->mhd_watch.cb)
		loop_del(s->relay->loop, &s->mhd_watch);
	timer_cancel(&s->timer);
	timer_cancel(&s->deadline_timer);
	if (s->mhd)
		MHD_stop_daemon(s->mhd);
	free(s);
}
