/* stats.h - observability: the HTTP stats server and its renderers (/varz, /metrics, /sessions). */
#ifndef X25LO_STATS_H
#define X25LO_STATS_H

#include <stddef.h>

struct relay;
struct stats_server;

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
/* limit: at most this many calls (0 = all); *total (if not NULL) gets the number of live calls. */
char *stats_render_sessions_limited(const struct relay *relay, size_t limit, size_t *total);
char *stats_render_sessions(const struct relay *relay);

/* SIGUSR1: one-shot dump of live calls and counters to the log (log_msg lines); flushes the capture. */
void stats_log_dump(const struct relay *relay);

#endif
