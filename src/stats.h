// SPDX-License-Identifier: GPL-2.0-or-later
/* stats.h - observability: the HTTP stats server and its renderers (/varz, /metrics, /sessions). */
#ifndef X25LO_STATS_H
#define X25LO_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct relay;
struct stats_server;
struct text;

/*
 * Start the HTTP server on bind_addr:port (numeric IPv4 or IPv6; port 0 picks a free port,
 * which tests use) inside relay->loop. libmicrohttpd runs in external epoll mode: its epoll
 * fd is registered with the loop and its connection timeouts are a loop timer, so the daemon
 * stays single-threaded and no request ever blocks the relay. Prints
 * "Stats server listening on <addr>:<port>" on stdout. Returns NULL and fills err on failure.
 */
struct stats_server *stats_server_start(struct relay *relay, const char *bind_addr, int port, char *err,
					size_t errlen);
/* Frees s: call it outside the loop's dispatch (after loop_run, or from the after-batch hook). */
void stats_server_stop(struct stats_server *s);

/* The port actually bound (useful with port 0). */
int stats_server_port(const struct stats_server *s);

/* Renderers used by the server and by host unit tests; return malloc'd NUL-terminated text, NULL on OOM. */
char *stats_render_varz(const struct relay *relay);
char *stats_render_metrics(const struct relay *relay);

/*
 * /sessions lists at most STATS_SESSIONS_MAX calls, whatever the client asks: rendering
 * costs 1-2.5 us and 500 bytes per call. The HTTP server streams the listing in slices
 * (a sessions_stream), so no answer holds the relay's loop for long nor buffers the list.
 */
#define STATS_SESSIONS_MAX 10000
/* Room for one rendered call: the longest (every name and address escaped) is 1.1 KiB. */
#define STATS_SESSIONS_ENTRY_MAX 2048

/* How many calls a listing asked for limit (0 = as many as allowed) lists at most. */
size_t stats_sessions_limit(size_t limit);

/*
 * Work all listings of one server may still do now: calls rendered and call slots looked
 * at. The server refills it with time; a listing that finds it spent yields to the relay
 * and goes on at a later turn of the loop.
 */
struct sessions_budget {
	unsigned calls;
	unsigned slots;
};

/*
 * A listing of the live calls in TUN and LCI order, read in slices across turns of the
 * loop. What a listing guarantees while calls come and go between two reads:
 *  - every call that lives from the open to the end of the listing appears exactly once
 *    (unless the limit was reached before its place);
 *  - a call set up or gone meanwhile appears at most once, as it was when read;
 *  - each call is rendered whole at one moment (never half-written, never freed memory);
 *  - the text is always one JSON array, one call per line, at most limit calls.
 * budget may be NULL (no limit). Returns NULL when memory runs out.
 */
struct sessions_stream;
struct sessions_stream *stats_sessions_open(const struct relay *relay, size_t limit, struct sessions_budget *budget);
#define STATS_SESSIONS_END (-1)   /* the listing is complete */
#define STATS_SESSIONS_ERROR (-2) /* a call did not fit in STATS_SESSIONS_ENTRY_MAX (a bug) */
/* Copy up to max (> 0) bytes of the listing into buf: their number, 0 when the budget is spent, or the above. */
ssize_t stats_sessions_read(struct sessions_stream *s, char *buf, size_t max);
void stats_sessions_close(struct sessions_stream *s);

/* The whole listing at once (tests, small tables); *total (if not NULL) gets the number of live calls. */
char *stats_render_sessions_limited(const struct relay *relay, size_t limit, size_t *total);
char *stats_render_sessions(const struct relay *relay);

/*
 * A facility field as /sessions shows it: {"raw": "<hex>", "packet_size_in": 128, ...}, the
 * sizes in bytes, only what the field holds; {"raw": ..., "malformed": true} when it does not parse.
 */
void stats_facilities_json(struct text *t, const uint8_t *fac, size_t len);

/*
 * The start of a call leg's object, its port: {"tun": "tunlb0" (null once that TUN is gone),
 * or {"xot": "xot3", "peer": "192.0.2.1:1998". The caller adds the rest and the brace.
 */
struct port;
void stats_leg_port_json(struct text *t, const struct port *port);

/* SIGUSR1: one-shot dump of live calls and counters to the log (log_msg lines); flushes the capture. */
void stats_log_dump(const struct relay *relay);

#endif
