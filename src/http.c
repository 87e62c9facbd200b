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
#include <sys/epoll.h>

#include "log.h"
#include "relay.h"
#include "stats.h"

/*
 * Limits that keep slow or hostile clients from holding resources: a client that never
 * finishes its request is dropped after the timeout; requests are small (GET, no body).
 */
#define STATS_MAX_CONNECTIONS 64
#define STATS_CONNECTION_TIMEOUT_S 10
#define STATS_CONNECTION_MEMORY 16384
#define STATS_LISTEN_BACKLOG 16
/*
 * Rendering runs inside the relay's loop (about 1.6 us per call): by default /sessions
 * lists at most this many calls, so one request holds the relay for some 16 ms at most.
 */
#define STATS_SESSIONS_DEFAULT_LIMIT 10000
#define STATS_RUN_ROUNDS 4

#define JSON_TYPE "application/json; charset=utf-8"
#define METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define TEXT_TYPE "text/plain; charset=utf-8"
#define ALLOWED_METHODS "GET, HEAD, OPTIONS"

struct stats_server {
	struct relay *relay;
	struct MHD_Daemon *mhd;
	struct io_watch mhd_watch;
	struct timer timer; /* libmicrohttpd's next deadline: connection timeouts, pending sends */
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

static void mhd_logger(void *cls, const char *fmt, va_list ap)
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

static enum MHD_Result send_response(struct MHD_Connection *conn, unsigned status, char *body, bool owned,
				     const char *content_type, size_t sessions_total)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(body ? strlen(body) : 0, body,
					    owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!r) {
		if (owned)
			free(body);
		return MHD_NO;
	}
	/* goxot's CORS header, so browser dashboards on other origins can poll. */
	MHD_add_response_header(r, "Access-Control-Allow-Origin", "*");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	if (content_type)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	if (sessions_total != SIZE_MAX) {
		char total[24];

		snprintf(total, sizeof(total), "%zu", sessions_total);
		MHD_add_response_header(r, "X-Sessions-Total", total);
	}
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, ALLOWED_METHODS);
	if (status == MHD_HTTP_OK && !body) {
		/* An OPTIONS preflight, answered as goxot does. */
		MHD_add_response_header(r, "Access-Control-Allow-Methods", "GET, OPTIONS");
		MHD_add_response_header(r, "Access-Control-Allow-Headers", "Content-Type");
	}
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* ?limit=N lists at most N calls (0 = all); without it STATS_SESSIONS_DEFAULT_LIMIT. */
static bool sessions_limit(struct MHD_Connection *conn, size_t *limit)
{
	const char *arg = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "limit");
	char *end;
	unsigned long long v;

	*limit = STATS_SESSIONS_DEFAULT_LIMIT;
	if (!arg)
		return true;
	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || *end || end == arg || arg[0] == '-')
		return false;
	*limit = (size_t)v;
	return true;
}

static enum MHD_Result handle_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				      const char *version, const char *upload_data, size_t *upload_data_size,
				      void **con_cls)
{
	struct stats_server *s = cls;
	enum route route = find_route(url);
	char *body = NULL;
	const char *type = JSON_TYPE;
	size_t limit, total = SIZE_MAX;

	/* Refusals go out at once (the connection is then closed, any body unread). */
	if (route == ROUTE_NONE)
		return send_response(conn, MHD_HTTP_NOT_FOUND, "404 page not found\n", false, TEXT_TYPE, SIZE_MAX);
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_OPTIONS) != 0)
		return send_response(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "405 method not allowed\n", false, TEXT_TYPE,
				     SIZE_MAX);
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

	if (strcmp(method, MHD_HTTP_METHOD_OPTIONS) == 0)
		return send_response(conn, MHD_HTTP_OK, NULL, false, NULL, SIZE_MAX);
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
		if (!sessions_limit(conn, &limit))
			return send_response(conn, MHD_HTTP_BAD_REQUEST,
					     "400 limit must be a number of calls (0 = all)\n", false, TEXT_TYPE, SIZE_MAX);
		body = stats_render_sessions_limited(s->relay, limit, &total);
		break;
	case ROUTE_NONE:
		break;
	}
	if (!body)
		return send_response(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "500 out of memory\n", false, TEXT_TYPE,
				     SIZE_MAX);
	return send_response(conn, MHD_HTTP_OK, body, true, type, total);
}

/* Milliseconds until libmicrohttpd wants a run (connection timeouts, pending sends), -1 for never. */
static int stats_server_timeout_ms(struct stats_server *s)
{
	MHD_UNSIGNED_LONG_LONG timeout;

	if (MHD_get_timeout(s->mhd, &timeout) != MHD_YES)
		return -1;
	return timeout > 24u * 3600 * 1000 ? 24 * 3600 * 1000 : (int)timeout;
}

/* Have the loop run libmicrohttpd again at its next deadline. */
static void schedule(struct stats_server *s)
{
	int ms = stats_server_timeout_ms(s);

	if (ms < 0)
		timer_cancel(&s->timer);
	else
		timer_set(loop_timers(s->relay->loop), &s->timer, loop_now_ms() + (uint64_t)ms);
}

static void stats_server_tick(struct stats_server *s)
{
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
	timer_init(&s->timer, on_timer, s);
	/* External epoll mode: no thread of its own; MHD_run is called from the loop. */
	s->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG | (ipv6 ? MHD_USE_IPv6 : 0), (uint16_t)port,
				  NULL, NULL, handle_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)STATS_MAX_CONNECTIONS,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)STATS_CONNECTION_TIMEOUT_S,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)STATS_CONNECTION_MEMORY,
				  MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)STATS_LISTEN_BACKLOG,
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
	if (s->mhd)
		MHD_stop_daemon(s->mhd);
	free(s);
}
