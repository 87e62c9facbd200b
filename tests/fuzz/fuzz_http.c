// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_http.c - libFuzzer target for the stats server's request path: arbitrary bytes sent as
 * one or more requests, over one to four connections, to the real server (stats_server_start
 * on 127.0.0.1, port 0) serving a fake relay with a few TUNs and calls, driven by the relay's
 * own loop (loop_run) as in the daemon. The harness is the client, in the same thread: a
 * watch that is always readable runs once per turn of the loop, writes the next piece of
 * each request, reads what came back, and stops the loop once nothing moves any more.
 *
 * Input: one mode byte, then the bytes to send, split evenly between the connections.
 *   bits 0-1  connections - 1
 *   bits 2-4  0: each connection's bytes in one write; 1-6: 2^(n-1) bytes per turn of the loop;
 *             7: 64 bytes per turn, but only the first half of them: the clients stall, the
 *             loop's clock then jumps 60 s (past every request and answer deadline) and the
 *             server must cut every connection
 *   bit 5     half-close (shutdown SHUT_WR) once all is sent
 *   bit 6     at the end reset the connections (SO_LINGER 0) instead of closing them
 *   bit 7     a CORS origin is configured
 *
 * What must hold: whatever a connection receives is a sequence of whole HTTP responses
 * (status line, headers, a body of the length announced or chunked; a 1xx has none, a HEAD
 * answer may have none), except that the last one may end where the server closed; a 200
 * answer of type application/json is JSON; a plain request (GET, HEAD, OPTIONS, POST, PUT or
 * DELETE of a lower-case path, /sessions?limit=N, HTTP/1.1 with a Host) that is all a
 * connection sends gets 200 (403 for a Host other than an address or localhost), 404 or 405
 * as find_route, the method and the Host checks say; the server stops sending; in the
 * deadline mode every connection is cut; after stats_server_stop no descriptor is left open.
 * A crash, a sanitizer report or a leak (LeakSanitizer) fails too. (A half-closed connection
 * is not required to be closed at once: libmicrohttpd may see the end only at its connection
 * timeout.) "Nothing moves" means no byte moved for a number of turns and no timer of the
 * loop is due within 100 ms.
 * Build and run: tests/fuzz/README.md.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "call.h"
#include "config.h"
#include "loop.h"
#include "relay.h"
#include "stats.h"
#include "tun.h"

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);
int __wrap_clock_gettime(clockid_t clk, struct timespec *ts);
int __real_clock_gettime(clockid_t clk, struct timespec *ts);

#define MAX_CLIENTS 4
#define RESPONSE_MAX (1u << 20) /* more than any answer of the fake relay */
#define QUIET_TURNS 16          /* turns without progress before the client gives up waiting */
#define MAX_TURNS 20000         /* a server that keeps sending for this long is a bug */

struct client {
	int fd;
	const uint8_t *data;
	size_t len, sent;
	char *got;
	size_t got_len;
	bool eof;
};

struct session {
	struct loop *loop;
	struct client clients[MAX_CLIENTS];
	unsigned nclients;
	size_t chunk; /* 0: all at once */
	bool half_close, reset;
	bool stall, jumped; /* the deadline mode, and whether the clock has jumped yet */
	int turn_fd;
	struct io_watch turn_watch;
	unsigned turns, quiet;
	bool closing; /* the clients are closed: the server's turn to clean up */
	unsigned closing_turns;
};

static struct relay *relay;
/*
 * The loop's clock runs this far ahead of CLOCK_MONOTONIC (linked with
 * -Wl,--wrap=clock_gettime; libmicrohttpd's own clock is untouched). While it is ahead, the
 * timerfd would fire too late: the harness runs the due timers itself at every turn.
 */
static uint64_t clock_ahead_ms;
static int fd_baseline = -1;
static int devnull = -1, real_stdout = -1; /* the server announces its port on stdout at each start */

int __wrap_clock_gettime(clockid_t clk, struct timespec *ts)
{
	int rc = __real_clock_gettime(clk, ts);

	if (rc == 0 && clk == CLOCK_MONOTONIC && clock_ahead_ms) {
		ts->tv_sec += (time_t)(clock_ahead_ms / 1000);
		ts->tv_nsec += (long)(clock_ahead_ms % 1000) * 1000000L;
		if (ts->tv_nsec >= 1000000000L) {
			ts->tv_sec++;
			ts->tv_nsec -= 1000000000L;
		}
	}
	return rc;
}

/* ---- the fake relay: three TUN places (one empty), calls in every state ---- */

static struct call *fake_call(struct tun *t, uint16_t lci, struct tun *caller_tun, uint16_t caller_lci,
			      enum call_state state)
{
	struct call *c = &t->calls[lci - t->lci_start];
	static const uint8_t facilities[] = {0x42, 0x07, 0x07, 0x43, 0x02, 0x02};

	*c = (struct call){.state = (uint8_t)state, .started_ms = loop_now_ms() - 1500};
	snprintf(c->calling, sizeof(c->calling), "%s", caller_tun ? caller_tun->address : "12700999");
	snprintf(c->called, sizeof(c->called), "%s", t->address);
	memcpy(c->facilities, facilities, sizeof(facilities));
	c->facilities_len = sizeof(facilities);
	c->leg[LEG_CALLER] = (struct leg){.call = c, .port = caller_tun ? &caller_tun->port : NULL, .lci = caller_lci,
					  .state = state == CALL_CLEARING ? LEG_IDLE : LEG_OPEN, .side = LEG_CALLER,
					  .packets_in = 7, .bytes_in = 700};
	c->leg[LEG_CALLEE] = (struct leg){.call = c, .port = &t->port, .lci = lci,
					  .state = state == CALL_CLEARING ? LEG_CLEARING : LEG_OPEN, .side = LEG_CALLEE,
					  .packets_in = 3, .bytes_in = 30};
	if (caller_tun && c->leg[LEG_CALLER].state != LEG_IDLE) {
		caller_tun->legs[caller_lci] = &c->leg[LEG_CALLER];
		caller_tun->legs_mapped++;
	}
	t->legs[lci] = &c->leg[LEG_CALLEE];
	t->legs_mapped++;
	t->calls_in_use++;
	relay->calls_by_state[state]++;
	return c;
}

static void make_relay(void)
{
	struct config cfg;
	struct tun *a, *b;

	config_defaults(&cfg);
	relay = calloc(1, sizeof(*relay));
	CHECK(relay != NULL);
	relay->cfg = cfg;
	relay->started_ms = loop_now_ms() - 5000;
	relay->config_generation = 3;
	relay->last_reload_ok = true;
	/* A prefix no host interface has: /varz reads each TUN's kernel drop counts from sysfs. */
	a = tun_new(relay, "fuzzlb", 0, "127001", 4090, 4095, false);
	b = tun_new(relay, "fuzzlb", 2, "12700\"2\\", 1, 16, false); /* an address that needs escaping */
	CHECK(a && b);
	a->link = LINK_READY;
	b->link = LINK_STARTING;
	relay->tuns[0] = a;
	relay->tuns[2] = b;
	relay->ntuns = 3;
	fake_call(a, 4095, b, 1, CALL_CONNECTED);
	fake_call(a, 4094, b, 2, CALL_SETUP);
	fake_call(a, 4093, NULL, 3, CALL_CLEARING); /* its caller's TUN is gone */
	fake_call(b, 16, a, 1, CALL_CONNECTED);
	a->port.counters = (struct port_counters){.sessions_opened = 4, .call_request = 3, .packets_sent = 10,
						  .bytes_sent = 1000, .link_up = 1};
	relay->counters.packets_handled[PKT_DATA] = 12;
	relay->counters.packets_unknown_type[0xFD] = 1;
	relay->counters.causes_received[0x01] = 2;
	relay->counters.causes_generated[0x05] = 1;
	relay->counters.calls_relayed = 4;
}

/* ---- what came back ---- */

static const char *find(const char *p, const char *end, const char *s)
{
	size_t n = strlen(s);

	for (; p + n <= end; p++)
		if (memcmp(p, s, n) == 0)
			return p;
	return NULL;
}

/* The value of header name (case-insensitive) in [h, end), copied to out; false when absent. */
static bool header(const char *h, const char *end, const char *name, char *out, size_t outlen)
{
	size_t n = strlen(name);

	for (const char *line = h; line < end;) {
		const char *eol = find(line, end, "\r\n");

		if (!eol)
			eol = end;
		if ((size_t)(eol - line) > n && strncasecmp(line, name, n) == 0 && line[n] == ':') {
			const char *v = line + n + 1;

			while (v < eol && *v == ' ')
				v++;
			snprintf(out, outlen, "%.*s", (int)(eol - v), v);
			return true;
		}
		line = eol + 2;
	}
	return false;
}

/* A chunked body from p: decoded into *body (malloc'd); returns its end, or NULL if cut short. */
static const char *dechunk(const char *p, const char *end, char **body, size_t *len)
{
	*body = malloc(1);
	*len = 0;
	CHECK(*body != NULL);
	for (;;) {
		const char *eol = find(p, end, "\r\n");
		unsigned long n;
		char *next;

		if (!eol)
			return NULL;
		n = strtoul(p, &next, 16);
		CHECK(next > p && next <= eol); /* a chunk size in hex (extensions after it) */
		p = eol + 2;
		if (n == 0)
			break;
		if ((size_t)(end - p) < n + 2)
			return NULL;
		*body = realloc(*body, *len + n + 1);
		CHECK(*body != NULL);
		memcpy(*body + *len, p, n);
		*len += n;
		CHECK(p[n] == '\r' && p[n + 1] == '\n');
		p += n + 2;
	}
	/* No trailers from this server: the last chunk ends with an empty line. */
	if (end - p < 2)
		return NULL;
	CHECK(p[0] == '\r' && p[1] == '\n');
	return p + 2;
}

static void check_json(const char *body, size_t len)
{
	json_error_t err;
	json_t *v = json_loadb(body, len, 0, &err);

	if (!v)
		fprintf(stderr, "fuzz_http: a JSON answer does not parse (%s): %.*s\n", err.text, (int)len, body);
	CHECK(v != NULL);
	CHECK(json_is_object(v) || json_is_array(v));
	json_decref(v);
}

static bool at_response(const char *p, const char *end)
{
	return end - p >= 7 && memcmp(p, "HTTP/1.", 7) == 0;
}

/*
 * Every response in what one connection received; the last may be cut where the server
 * closed. Requests are not parsed here, so an answer to HEAD (a length, no body) is told by
 * the next response following its head at once: no body x25lo sends starts with "HTTP/1.".
 */
static void check_responses(const struct client *c)
{
	const char *p = c->got, *end = c->got + c->got_len;

	while (p < end) {
		const char *head_end, *after;
		char value[64], type[128];
		unsigned status;
		size_t body_len;
		char *body = NULL;

		if (end - p < 13)
			return; /* the server closed within the status line */
		CHECK(at_response(p, end) && (p[7] == '0' || p[7] == '1') && p[8] == ' ');
		CHECK(sscanf(p + 9, "%3u", &status) == 1 && status >= 100 && status <= 599 && p[12] == ' ');
		head_end = find(p, end, "\r\n\r\n");
		if (!head_end)
			return; /* closed within the head */
		after = head_end + 4;
		if (status < 200 || status == 204 || status == 304 || after == end || at_response(after, end)) {
			p = after; /* no body */
			continue;
		}
		if (!header(p, head_end, "Content-Type", type, sizeof(type)))
			type[0] = '\0';
		if (header(p, head_end, "Transfer-Encoding", value, sizeof(value)) && strcasecmp(value, "chunked") == 0) {
			after = dechunk(after, end, &body, &body_len);
			if (!after) {
				free(body);
				return; /* cut short by the server's close */
			}
		} else if (header(p, head_end, "Content-Length", value, sizeof(value))) {
			body_len = strtoull(value, NULL, 10);
			if ((size_t)(end - after) < body_len)
				return; /* cut short */
			body = malloc(body_len + 1);
			CHECK(body != NULL);
			memcpy(body, after, body_len);
			after += body_len;
		} else {
			/* Neither: the body goes to the close. */
			if (!c->eof)
				return;
			body_len = (size_t)(end - after);
			body = malloc(body_len + 1);
			CHECK(body != NULL);
			memcpy(body, after, body_len);
			after = end;
		}
		if (status == 200 && body_len > 0 && strncmp(type, "application/json", 16) == 0)
			check_json(body, body_len);
		free(body);
		p = after;
	}
}

/* The length of the prefix of [p, end) made of characters in set. */
static size_t span(const uint8_t *p, const uint8_t *end, const char *set)
{
	size_t n = 0;

	while (p + n < end && p[n] && strchr(set, p[n]))
		n++;
	return n;
}

static bool skip(const uint8_t **p, const uint8_t *end, const char *s)
{
	size_t n = strlen(s);

	if ((size_t)(end - *p) < n || memcmp(*p, s, n) != 0)
		return false;
	*p += n;
	return true;
}

/* A Host value (letters, digits, ".:-") the stats server bound to loopback answers: IPv4 or localhost. */
static bool local_host(const uint8_t *host, size_t len)
{
	char name[64];
	struct in_addr addr;
	size_t n = 0;

	while (n < len && host[n] != ':')
		n++;
	if (n >= sizeof(name))
		return false;
	memcpy(name, host, n);
	name[n] = '\0';
	return inet_pton(AF_INET, name, &addr) == 1 || strcmp(name, "localhost") == 0;
}

/*
 * The status a plain request must get when it is all a connection sends: "METHOD PATH
 * HTTP/1.1", a Host header, an empty line; PATH of lower-case letters and slashes, /sessions
 * with ?limit=DIGITS. 0 for anything else (libmicrohttpd's own answers are not modelled).
 */
static unsigned expected_status(const uint8_t *p, size_t len)
{
	static const char *const allowed[] = {"GET ", "HEAD ", "OPTIONS "}, *const refused[] = {"POST ", "PUT ", "DELETE "};
	static const char *const routes[] = {"/varz", "/debug/vars", "/metrics", "/sessions"};
	const uint8_t *end = p + len, *path, *host;
	size_t path_len, n;
	bool known = false, ok = false, bad = false;

	for (unsigned i = 0; i < 3; i++) {
		ok = ok || skip(&p, end, allowed[i]);
		bad = bad || (!ok && skip(&p, end, refused[i]));
	}
	if ((!ok && !bad) || p == end || *p != '/')
		return 0;
	path = p;
	path_len = span(p, end, "/abcdefghijklmnopqrstuvwxyz");
	p += path_len;
	for (unsigned i = 0; i < 4; i++)
		known = known || (strlen(routes[i]) == path_len && memcmp(path, routes[i], path_len) == 0);
	if (known && path_len == 9 && skip(&p, end, "?limit=")) {
		n = span(p, end, "0123456789");
		if (n == 0 || n > 9)
			return 0;
		p += n;
	}
	if (!skip(&p, end, " HTTP/1.1\r\nHost: "))
		return 0;
	host = p;
	n = span(p, end, "abcdefghijklmnopqrstuvwxyz0123456789.:-");
	if (n == 0)
		return 0;
	p += n;
	if (!skip(&p, end, "\r\n\r\n") || p != end)
		return 0;
	if (!known)
		return 404;
	if (!ok)
		return 405;
	/* The server is bound to 127.0.0.1: a Host other than an address or localhost is refused. */
	return local_host(host, n) ? 200 : 403;
}

/* ---- the client, run once per turn of the loop ---- */

static bool client_read(struct client *c)
{
	char buf[16384];
	bool moved = false;

	while (!c->eof) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), 0);

		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) { /* closed by the server (or reset: ECONNRESET) */
			CHECK(n == 0 || errno == ECONNRESET || errno == EPIPE);
			c->eof = true;
			return true;
		}
		moved = true;
		CHECK(c->got_len + (size_t)n <= RESPONSE_MAX); /* the server must stop sending */
		memcpy(c->got + c->got_len, buf, (size_t)n);
		c->got_len += (size_t)n;
	}
	return moved;
}

static bool client_write(struct session *s, struct client *c)
{
	size_t upto = s->stall ? c->len / 2 : c->len, want = c->sent < upto ? upto - c->sent : 0;
	ssize_t n;

	if (want == 0)
		return false;
	if (s->chunk && want > s->chunk)
		want = s->chunk;
	n = send(c->fd, c->data + c->sent, want, MSG_NOSIGNAL);
	if (n < 0) {
		/* The server may close a connection before reading all (a refused request). */
		CHECK(errno == EAGAIN || errno == EPIPE || errno == ECONNRESET);
		if (errno != EAGAIN)
			c->sent = c->len;
		return errno != EAGAIN;
	}
	c->sent += (size_t)n;
	if (c->sent == c->len && s->half_close)
		shutdown(c->fd, SHUT_WR);
	return n > 0;
}

static void close_clients(struct session *s)
{
	for (unsigned i = 0; i < s->nclients; i++) {
		struct client *c = &s->clients[i];

		if (s->reset) {
			struct linger lg = {.l_onoff = 1, .l_linger = 0};

			setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		}
		close(c->fd);
		c->fd = -1;
	}
}

static void turn(void *ctx, uint32_t events)
{
	struct session *s = ctx;
	bool moved = false;
	uint64_t next;

	CHECK(++s->turns < MAX_TURNS);
	if (s->jumped)
		loop_run_timers(s->loop, loop_now_ms());
	if (s->closing) {
		/* Let the server see the closes; then end the loop. */
		if (++s->closing_turns >= QUIET_TURNS)
			loop_stop(s->loop);
		return;
	}
	for (unsigned i = 0; i < s->nclients; i++) {
		moved |= client_write(s, &s->clients[i]);
		moved |= client_read(&s->clients[i]);
	}
	/* Quiet: nothing moved for a while, and no timer of the loop is due within 100 ms. */
	next = loop_next_deadline(s->loop);
	s->quiet = moved || (next && next <= loop_now_ms() + 100) ? 0 : s->quiet + 1;
	if (s->quiet < QUIET_TURNS)
		return;
	/* Nothing moves any more. */
	if (s->stall && !s->jumped) {
		/* The clients wait: past the deadlines of their requests, or of the next ones. */
		clock_ahead_ms = 60000;
		s->jumped = true;
		s->quiet = 0;
		return;
	}
	for (unsigned i = 0; i < s->nclients; i++) {
		struct client *c = &s->clients[i];
		unsigned want = s->half_close || s->stall ? 0 : expected_status(c->data, c->len), got = 0;

		if (s->jumped && !c->eof) {
			fprintf(stderr, "fuzz_http: connection %u still open 60 s after its last byte\n", i);
			CHECK(c->eof);
		}
		check_responses(c);
		/* A plain request alone is answered, as find_route and the method check say. */
		if (want && (c->got_len < 13 || sscanf(c->got + 9, "%3u", &got) != 1 || got != want)) {
			fprintf(stderr, "fuzz_http: %.*s\nwas answered %u instead of %u\n", (int)c->len, c->data, got, want);
			CHECK(got == want);
		}
	}
	close_clients(s);
	s->closing = true;
}

/* ---- one input ---- */

static int connect_client(int port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	CHECK(fd >= 0);
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	CHECK(connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0); /* loopback: at once, before accept */
	CHECK(fcntl(fd, F_SETFL, O_NONBLOCK) == 0);
	return fd;
}

/* The lowest free descriptor: after an input it must be where it was before the first one. */
static int lowest_free_fd(void)
{
	int fd = fcntl(0, F_DUPFD_CLOEXEC, 0);

	CHECK(fd >= 0);
	close(fd);
	return fd;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	real_stdout = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 10);
	CHECK(devnull >= 0 && real_stdout >= 0);
	make_relay();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct session s = {0};
	struct stats_server *server;
	char err[512];
	uint8_t mode;
	size_t part;

	if (size < 1)
		return 0;
	if (fd_baseline < 0)
		fd_baseline = lowest_free_fd();
	mode = data[0];
	data++;
	size--;
	s.nclients = 1 + (mode & 3);
	s.chunk = (mode >> 2) & 7 ? (size_t)1 << (((mode >> 2) & 7) - 1) : 0;
	s.stall = ((mode >> 2) & 7) == 7;
	s.half_close = mode & 0x20;
	s.reset = mode & 0x40;
	snprintf(relay->cfg.stats_cors_origin, sizeof(relay->cfg.stats_cors_origin), "%s",
		 mode & 0x80 ? "https://x25.example" : "");

	s.loop = loop_new();
	CHECK(s.loop != NULL);
	relay->loop = s.loop;
	fflush(stdout);
	dup2(devnull, STDOUT_FILENO);
	server = stats_server_start(relay, "127.0.0.1", 0, err, sizeof(err));
	dup2(real_stdout, STDOUT_FILENO);
	if (!server)
		fprintf(stderr, "fuzz_http: %s\n", err);
	CHECK(server != NULL);
	part = size / s.nclients;
	for (unsigned i = 0; i < s.nclients; i++) {
		struct client *c = &s.clients[i];

		c->fd = connect_client(stats_server_port(server));
		c->data = data + i * part;
		c->len = i + 1 < s.nclients ? part : size - i * part;
		c->got = malloc(RESPONSE_MAX);
		CHECK(c->got != NULL);
	}
	/* Always readable: turn() runs once per turn of the loop. */
	s.turn_fd = eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK);
	CHECK(s.turn_fd >= 0);
	CHECK(loop_add(s.loop, &s.turn_watch, s.turn_fd, EPOLLIN, turn, &s) == 0);
	CHECK(loop_run(s.loop, NULL, NULL) == 0);

	loop_del(s.loop, &s.turn_watch);
	close(s.turn_fd);
	stats_server_stop(server);
	loop_free(s.loop);
	relay->loop = NULL;
	clock_ahead_ms = 0;
	for (unsigned i = 0; i < s.nclients; i++)
		free(s.clients[i].got);
	CHECK(lowest_free_fd() == fd_baseline);
	return 0;
}
