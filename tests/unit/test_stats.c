// SPDX-License-Identifier: GPL-2.0-or-later
/* test_stats.c - /varz (goxot's layout), /metrics, /sessions, the SIGUSR1 dump and the HTTP server on a fake relay. */
#include "stats.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <malloc.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h> /* cmocka.h needs these three first */
#include <cmocka.h>

#include "log.h"
#include "test_stats_fixture.h"

/* Everything but cmdline, which names the test binary. */
static const char expected_varz[] =
	"{\n"
	"\"call_records\": {\"dropped\": 0, \"journal\": 0, \"journal_failed\": 0, \"written\": 0},\n"
	"\"calls_active\": 1,\n"
	"\"calls_by_state\": {\"clearing\": 0, \"connected\": 1, \"setup\": 0},\n"
	"\"calls_cleared_write_failed\": 0,\n"
	"\"calls_connected\": 1,\n"
	"\"calls_refused\": {\"malformed\": 0, \"modulo\": 0, \"no_lci\": 1, \"no_target\": 0, \"write_failed\": 0},\n"
	"\"calls_relayed\": 2,\n"
	"\"causes_generated\": {\"0x05\": 1},\n"
	"\"causes_received\": {\"0x00\": 1},\n"
	"\"clear_retries\": 0,\n"
	"\"config_generation\": 2,\n"
	"\"dns_requests\": 0,\n"
	"\"frames_dropped\": {\"proto\": 0, \"short\": 4, \"state\": 0, \"truncated\": 0},\n"
	"\"interface_address\": {\"tunlb0\": \"127001\", \"tunlb1\": \"127002\"},\n"
	"\"interface_bytes_received\": {\"tunlb0\": 700, \"tunlb1\": 1100},\n"
	"\"interface_bytes_sent\": {\"tunlb0\": 1000, \"tunlb1\": 750},\n"
	"\"interface_call_connected\": {\"tunlb0\": 1, \"tunlb1\": 0},\n"
	"\"interface_call_request\": {\"tunlb0\": 0, \"tunlb1\": 2},\n"
	"\"interface_clear_confirm\": {\"tunlb0\": 0, \"tunlb1\": 1},\n"
	"\"interface_clear_request\": {\"tunlb0\": 0, \"tunlb1\": 1},\n"
	"\"interface_lci_free\": {\"tunlb0\": 1023, \"tunlb1\": 1024},\n"
	"\"interface_lci_in_use\": {\"tunlb0\": 1, \"tunlb1\": 1},\n"
	"\"interface_link_lost\": {\"tunlb0\": 0, \"tunlb1\": 1},\n"
	"\"interface_link_state\": {\"tunlb0\": \"ready\", \"tunlb1\": \"starting\"},\n"
	"\"interface_link_up\": {\"tunlb0\": 1, \"tunlb1\": 2},\n"
	"\"interface_packets_received\": {\"tunlb0\": 7, \"tunlb1\": 11},\n"
	"\"interface_packets_sent\": {\"tunlb0\": 10, \"tunlb1\": 8},\n"
	"\"interface_rx_dropped\": {\"tunlb0\": 0, \"tunlb1\": 0},\n"
	"\"interface_sessions_closed\": {\"tunlb0\": 0, \"tunlb1\": 1},\n"
	"\"interface_sessions_opened\": {\"tunlb0\": 1, \"tunlb1\": 2},\n"
	"\"interface_tx_dropped\": {\"tunlb0\": 0, \"tunlb1\": 0},\n"
	"\"last_reload\": \"ok\",\n"
	"\"lci_reused\": 0,\n"
	"\"packets_handled\": {\"CALL_REQ\": 2, \"DATA\": 5, \"DIAG\": 1, \"INTERRUPT\": 1, \"UNKNOWN(0xFD)\": 1},\n"
	"\"threads_active\": {\"event_loop\": 1},\n"
	"\"timeouts\": {\"call_setup\": 0, \"clear_confirm\": 0},\n"
	"\"unknown_lci\": {\"cleared\": 3, \"confirmed\": 0, \"ignored\": 0},\n"
	"\"uptime\": 5,\n"
	"\"write_errors\": 0,\n"
	"\"xot_connections\": 0,\n"
	"\"xot_failures\": {}\n"
	"}\n";

static const char expected_sessions[] =
	"[\n"
	"{\"state\": \"connected\", \"age_seconds\": 2, \"calling\": \"127002\", \"called\": \"127001\", "
	"\"facilities\": {\"raw\": \"420707430202\", \"packet_size_in\": 128, \"packet_size_out\": 128, "
	"\"window_in\": 2, \"window_out\": 2}, "
	"\"caller\": {\"tun\": \"tunlb1\", \"lci\": 1, \"state\": \"open\", \"packets_in\": 3, \"bytes_in\": 300}, "
	"\"callee\": {\"tun\": \"tunlb0\", \"lci\": 4095, \"state\": \"open\", \"packets_in\": 2, \"bytes_in\": 20}, "
	"\"caller_to_callee\": {\"packets\": 3, \"bytes\": 300}, \"callee_to_caller\": {\"packets\": 2, \"bytes\": 20}}\n"
	"]\n";

static int setup(void **state)
{
	*state = fixture_relay();
	return 0;
}

static int teardown(void **state)
{
	fixture_free(*state);
	return 0;
}

/* Cut the cmdline line out of a /varz text after checking it names this program. */
static void remove_cmdline_line(char *varz)
{
	char *line = strstr(varz, "\n\"cmdline\": [\"");
	char *end;

	assert_non_null(line);
	end = strchr(line + 1, '\n');
	assert_non_null(end);
	assert_memory_equal(end - 3, "\"],", 3);
	assert_non_null(memmem(line, (size_t)(end - line), "test_stats", 10));
	memmove(line, end, strlen(end) + 1);
}

static void varz_has_goxot_layout_and_exact_values(void **state)
{
	char *varz = stats_render_varz(*state);

	assert_non_null(varz);
	remove_cmdline_line(varz);
	assert_string_equal(varz, expected_varz);
	free(varz);
}

static void varz_is_valid_json_with_typed_values(void **state)
{
	char *varz = stats_render_varz(*state);
	json_error_t error;
	json_t *root = json_loads(varz, 0, &error);

	assert_non_null(root);
	assert_true(json_is_integer(json_object_get(root, "uptime")));
	assert_true(json_is_array(json_object_get(root, "cmdline")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(root, "interface_link_state"), "tunlb1")),
			    "starting");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(root, "packets_handled"), "UNKNOWN(0xFD)")),
			 1);
	json_decref(root);
	free(varz);
}

/* goxot prints empty maps as {}; a failed reload shows its error text. */
static void varz_of_an_empty_relay_has_empty_maps(void **state)
{
	struct relay *relay = calloc(1, sizeof(*relay));
	char *varz;

	relay->started_ms = loop_now_ms();
	snprintf(relay->last_reload_error, sizeof(relay->last_reload_error), "config.json:3:1: routes: \"x\" is bad");
	varz = stats_render_varz(relay);
	assert_non_null(strstr(varz, "\n\"interface_packets_sent\": {},\n"));
	assert_non_null(strstr(varz, "\n\"packets_handled\": {},\n"));
	assert_non_null(strstr(varz, "\n\"causes_received\": {},\n"));
	assert_non_null(strstr(varz, "\n\"calls_active\": 0,\n"));
	assert_non_null(strstr(varz, "\n\"last_reload\": \"config.json:3:1: routes: \\\"x\\\" is bad\",\n"));
	assert_non_null(strstr(varz, "\n\"uptime\": 0,\n"));
	free(varz);
	free(relay);
}

static void varz_skips_removed_tuns(void **state)
{
	struct relay *relay = *state;
	char *varz;

	relay->tuns[1]->retired = true;
	varz = stats_render_varz(relay);
	assert_non_null(strstr(varz, "\n\"interface_packets_sent\": {\"tunlb0\": 10},\n"));
	free(varz);
	relay->tuns[1]->retired = false;
}

static void metrics_have_exact_values_with_labels(void **state)
{
	char *m = stats_render_metrics(*state);
	static const char *const lines[] = {
		"x25lo_uptime_seconds 5",
		"x25lo_calls_active 1",
		"x25lo_calls{state=\"connected\"} 1",
		"x25lo_calls_refused_total{reason=\"no_lci\"} 1",
		"x25lo_packets_handled_total{type=\"CALL_REQ\"} 2",
		"x25lo_packets_handled_total{type=\"RR\"} 0",
		"x25lo_packets_handled_total{type=\"INTERRUPT\"} 1",
		"x25lo_packets_handled_total{type=\"UNKNOWN(0xFD)\"} 1",
		"x25lo_clears_total{direction=\"received\",cause=\"0x00\"} 1",
		"x25lo_clears_total{direction=\"generated\",cause=\"0x05\"} 1",
		"x25lo_tun_info{tun=\"tunlb1\",address=\"127002\"} 1",
		"x25lo_tun_link_state{tun=\"tunlb1\",state=\"starting\"} 1",
		"x25lo_tun_link_state{tun=\"tunlb1\",state=\"ready\"} 0",
		"x25lo_tun_lci_free{tun=\"tunlb0\"} 1023",
		"x25lo_tun_lci_in_use{tun=\"tunlb1\"} 1",
		"x25lo_tun_call_packets_total{tun=\"tunlb1\",type=\"CALL_REQ\"} 2",
		"x25lo_tun_packets_total{tun=\"tunlb0\",direction=\"sent\"} 10",
		"x25lo_tun_bytes_total{tun=\"tunlb1\",direction=\"received\"} 1100",
		"x25lo_tun_link_events_total{tun=\"tunlb1\",event=\"lost\"} 1",
		"x25lo_config_generation 2",
		"x25lo_config_last_reload_success 1",
		"x25lo_unknown_lci_packets_total{action=\"cleared\"} 3",
		"x25lo_frames_dropped_total{reason=\"short\"} 4",
	};
	char needle[256];

	assert_non_null(m);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		snprintf(needle, sizeof(needle), "\n%s\n", lines[i]);
		if (!strstr(m, needle))
			fail_msg("/metrics lacks the line %s", lines[i]);
	}
	/* Zero causes are left out rather than listed 256 times. */
	assert_null(strstr(m, "cause=\"0x01\""));
	free(m);
}

/* Every sample belongs to a family announced by # HELP and # TYPE just before it. */
static void metrics_families_are_announced(void **state)
{
	char *m = stats_render_metrics(*state);
	char family[128] = "", *save = NULL;
	unsigned samples = 0;

	for (char *line = strtok_r(m, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# HELP ", 7) == 0) {
			size_t n = strcspn(line + 7, " ");
			snprintf(family, sizeof(family), "%.*s", (int)n, line + 7);
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			assert_int_equal(strncmp(line + 7, family, strlen(family)), 0);
			assert_true(strstr(line, " counter") || strstr(line, " gauge"));
			if (strstr(line, " counter"))
				assert_non_null(strstr(family, "_total"));
			continue;
		}
		size_t n = strcspn(line, "{ ");
		if (n != strlen(family) || strncmp(line, family, n) != 0)
			fail_msg("sample outside its family %s: %s", family, line);
		samples++;
	}
	assert_true(samples > 50);
	free(m);
}

static void sessions_list_both_legs_with_facilities(void **state)
{
	char *s = stats_render_sessions(*state);
	json_error_t error;
	json_t *root = json_loads(s, 0, &error);

	assert_string_equal(s, expected_sessions);
	assert_non_null(root);
	assert_int_equal(json_array_size(root), 1);
	json_decref(root);
	free(s);
}

static void sessions_of_an_idle_relay_is_an_empty_list(void **state)
{
	struct relay *relay = calloc(1, sizeof(*relay));
	char *s = stats_render_sessions(relay);

	assert_string_equal(s, "[]\n");
	free(s);
	free(relay);
}

static void sessions_limit_keeps_the_total(void **state)
{
	struct relay *relay = *state;
	struct tun *t1 = relay->tuns[1];
	struct call *c = &t1->calls[2047 - 1024];
	size_t total = 0;
	char *s;

	*c = (struct call){.state = CALL_SETUP, .started_ms = loop_now_ms()};
	snprintf(c->calling, sizeof(c->calling), "127001");
	snprintf(c->called, sizeof(c->called), "127002");
	c->leg[LEG_CALLER] = (struct leg){.port = &relay->tuns[0]->port, .lci = 1, .state = LEG_OPEN};
	c->leg[LEG_CALLEE] = (struct leg){.port = &t1->port, .lci = 2047, .state = LEG_OPEN};
	t1->calls_in_use++;
	relay->calls_by_state[CALL_SETUP]++;

	s = stats_render_sessions_limited(relay, 1, &total);
	assert_int_equal(total, 2);
	assert_string_equal(s, expected_sessions);
	free(s);

	s = stats_render_sessions_limited(relay, 0, &total);
	assert_int_equal(total, 2);
	assert_non_null(strstr(s, "\n{\"state\": \"setup\", \"age_seconds\": 0, \"calling\": \"127001\", \"called\": "
				  "\"127002\", \"facilities\": {\"raw\": \"\"}, "));
	free(s);
}

/* Run f with stderr redirected to a file; return what it wrote. */
static char *capture_stderr(void (*f)(const struct relay *), const struct relay *relay)
{
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);
	static char buf[16384];
	size_t n;

	assert_non_null(tmp);
	dup2(fileno(tmp), STDERR_FILENO);
	f(relay);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, sizeof(buf) - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);
	return buf;
}

static void log_dump_lists_calls_and_counters(void **state)
{
	const char *log = capture_stderr(stats_log_dump, *state);

	assert_non_null(strstr(log, " Stats dump: uptime 5s, config generation 2 (last reload ok), calls active 1 "
				    "(setup 0, connected 1, clearing 0)\n"));
	assert_non_null(strstr(log, " Stats dump: tunlb1 address 127002 link starting, LCIs in use 1, free 1024 of "
				    "1024-2047, sessions opened 2 closed 1, packets sent 8 received 11"));
	assert_non_null(strstr(log, " Stats dump: packets handled: CALL_REQ=2 DATA=5 INTERRUPT=1 DIAG=1\n"));
	assert_non_null(strstr(log, " Stats dump: unknown packet types: 0xFD=1\n"));
	assert_non_null(strstr(log, " Stats dump: causes generated: 0x05=1\n"));
	assert_non_null(strstr(log, " Stats dump: call tunlb1/1 -> tunlb0/4095, 127002 -> 127001, connected, age 2s, "
				    "packets 3/2, bytes 300/20\n"));
	assert_non_null(strstr(log, " Stats dump: end (1 calls)\n"));
}

/* ---- the HTTP server, driven by the real event loop; a client thread makes the requests ---- */

struct http_test {
	struct relay *relay;
	int port;
	int done_fd;
	struct io_watch done_watch;
	/* loop_step: the client has the loop thread run on_step between two requests. */
	int step_fd, ack_fd;
	struct io_watch step_watch;
	void (*on_step)(struct http_test *t, unsigned step);
	unsigned steps;
	/* With measure, the loop turns without sleeping and each turn's CPU time is taken. */
	bool measure;
	int probe_fd;
	struct io_watch probe_watch;
	uint64_t probe_last_ns, turn_max_ns, turns;
	char *failure; /* set by the client thread */
};

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Always readable, so it runs once per turn of the loop: the loop thread's CPU time
 * between two runs is what one turn (everything else it dispatched) cost the relay.
 */
static void probe_turn(void *ctx, uint32_t events)
{
	struct http_test *t = ctx;
	uint64_t now = thread_cpu_ns();

	if (t->probe_last_ns && now - t->probe_last_ns > t->turn_max_ns)
		t->turn_max_ns = now - t->probe_last_ns;
	t->probe_last_ns = now;
	t->turns++;
}

static void step_requested(void *ctx, uint32_t events)
{
	struct http_test *t = ctx;
	uint64_t v;

	if (read(t->step_fd, &v, sizeof(v)) != sizeof(v))
		return;
	t->on_step(t, t->steps++);
	v = 1;
	if (write(t->ack_fd, &v, sizeof(v)) != sizeof(v))
		abort();
}

/* Client side: run t->on_step in the loop thread, between requests (so no data race on the relay). */
static void loop_step(struct http_test *t)
{
	uint64_t v = 1;

	if (write(t->step_fd, &v, sizeof(v)) != sizeof(v) || read(t->ack_fd, &v, sizeof(v)) != sizeof(v))
		abort();
}

static void client_finished(struct http_test *t)
{
	uint64_t one = 1;

	if (write(t->done_fd, &one, sizeof(one)) < 0)
		abort();
}

static uint64_t wall_ms(void)
{
	return loop_now_ms();
}

/* A connected TCP socket to the server (rcvbuf > 0: that receive buffer), or -1. */
static int connect_to(int port, int rcvbuf)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct timeval patience = {.tv_sec = 5};

	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	if (fd >= 0 && rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof(patience)); /* never hang the test */
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* The body of a whole response, chunked or not, decoded in place; NULL when it is malformed. */
static char *http_body(char *response)
{
	char *body = response ? strstr(response, "\r\n\r\n") : NULL;
	char *in, *out, *stop;

	if (!body)
		return NULL;
	body += 4;
	if (!strcasestr(response, "\r\nTransfer-Encoding: chunked\r\n"))
		return body;
	stop = body + strlen(body);
	for (in = out = body;;) {
		char *end;
		unsigned long n = strtoul(in, &end, 16);

		if (end == in || strncmp(end, "\r\n", 2) != 0 || (size_t)(stop - (end + 2)) < n + 2)
			return NULL;
		if (n == 0)
			break;
		memmove(out, end + 2, n);
		out += n;
		in = end + 2 + n;
		if (strncmp(in, "\r\n", 2) != 0)
			return NULL;
		in += 2;
	}
	*out = '\0';
	return body;
}

/* One request on a fresh connection; returns the whole response (headers + body), malloc'd. */
static char *http_exchange(int port, const char *request, size_t request_len)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap);
	ssize_t n;

	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	if (fd < 0 || !buf || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    write(fd, request, request_len) != (ssize_t)request_len) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (len + 1 == cap)
			buf = realloc(buf, cap *= 2);
	}
	buf[len] = '\0';
	close(fd);
	return buf;
}

static char *http_request(int port, const char *method, const char *path)
{
	char req[256];
	int n = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", method,
			 path);

	return http_exchange(port, req, (size_t)n);
}

/* Every failed check is kept, one line each: a failing run says all that went wrong. */
#define CLIENT_CHECK(cond, ...)                                                                    \
	do {                                                                                       \
		if (!(cond))                                                                       \
			client_failed(t, __VA_ARGS__);                                             \
	} while (0)

X25LO_PRINTF(2, 3) static void client_failed(struct http_test *t, const char *fmt, ...)
{
	char *line = NULL, *all = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (n < 0 || asprintf(&all, "%s%s%s", t->failure ? t->failure : "", t->failure ? "\n" : "", line) < 0)
		abort();
	free(line);
	free(t->failure);
	t->failure = all;
}

static const char *show(const char *response)
{
	return response ? response : "(no answer)";
}

static void *http_client(void *arg)
{
	struct http_test *t = arg;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)t->port)};
	char *r, *body;
	int stuck;

	/* A client that sends half a request and then nothing: the others must still be served. */
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	stuck = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CLIENT_CHECK(stuck >= 0 && connect(stuck, (struct sockaddr *)&sin, sizeof(sin)) == 0, "connect: %m");
	CLIENT_CHECK(write(stuck, "GET /varz HTTP/1.1\r\nHost: l", 27) == 27, "write: %m");

	r = http_request(t->port, "GET", "/varz");
	CLIENT_CHECK(r && strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0, "GET /varz: %s", show(r));
	CLIENT_CHECK(r && strcasestr(r, "\r\nContent-Type: application/json; charset=utf-8\r\n"),
		     "GET /varz content type: %s", show(r));
	CLIENT_CHECK(r && !strcasestr(r, "\r\nAccess-Control-"), "GET /varz CORS without stats-cors-origin: %s",
		     show(r));
	CLIENT_CHECK(r && strstr(r, "\r\n\r\n{\n\"") && strstr(r, "\n\"calls_active\": 1,\n"), "GET /varz body: %s", show(r));
	free(r);

	r = http_request(t->port, "GET", "/debug/vars");
	CLIENT_CHECK(r && strstr(r, "\r\n\r\n{\n\"") && strstr(r, "\n\"calls_active\": 1,\n"), "GET /debug/vars: %s", show(r));
	free(r);

	/* Without stats-cors-origin OPTIONS is a plain one: the methods, no CORS. */
	r = http_request(t->port, "OPTIONS", "/varz");
	CLIENT_CHECK(r && strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0, "OPTIONS /varz: %s", show(r));
	CLIENT_CHECK(r && strcasestr(r, "\r\nAllow: GET, HEAD, OPTIONS\r\n") &&
			     strcasestr(r, "\r\nContent-Length: 0\r\n") && !strcasestr(r, "\r\nAccess-Control-"),
		     "OPTIONS /varz headers: %s", show(r));
	free(r);

	r = http_request(t->port, "POST", "/varz");
	CLIENT_CHECK(r && strncmp(r, "HTTP/1.1 405 ", 13) == 0 && strcasestr(r, "\r\nAllow: GET, HEAD, OPTIONS\r\n"),
		     "POST /varz: %s", show(r));
	free(r);

	r = http_request(t->port, "DELETE", "/sessions");
	CLIENT_CHECK(r && strncmp(r, "HTTP/1.1 405 ", 13) == 0, "DELETE /sessions: %s", show(r));
	free(r);

	r = http_request(t->port, "GET", "/nothing-here");
	CLIENT_CHECK(r && strncmp(r, "HTTP/1.1 404 ", 13) == 0, "GET /nothing-here: %s", show(r));
	free(r);

	r = http_request(t->port, "GET", "/metrics");
	CLIENT_CHECK(r && strcasestr(r, "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n") &&
			     strstr(r, "\nx25lo_calls_active 1\n"),
		     "GET /metrics: %s", show(r));
	free(r);

	r = http_request(t->port, "GET", "/sessions?limit=0");
	CLIENT_CHECK(r && strcasestr(r, "\r\nX-Sessions-Total: 1\r\n") && strcasestr(r, "\r\nX-Sessions-Limit: 10000\r\n") &&
			     !strcasestr(r, "\r\nX-Sessions-Truncated:"),
		     "GET /sessions headers: %s", show(r));
	body = http_body(r);
	CLIENT_CHECK(body && strcmp(body, expected_sessions) == 0, "GET /sessions body: %s", show(r));
	free(r);

	r = http_request(t->port, "HEAD", "/sessions");
	CLIENT_CHECK(r && strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0 && strcasestr(r, "\r\nX-Sessions-Total: 1\r\n") &&
			     !strstr(r, "connected"),
		     "HEAD /sessions: %s", show(r));
	free(r);

	r = http_request(t->port, "GET", "/sessions?limit=many");
	CLIENT_CHECK(r && strncmp(r, "HTTP/1.1 400 ", 13) == 0, "GET /sessions?limit=many: %s", show(r));
	free(r);

	r = http_request(t->port, "HEAD", "/varz");
	CLIENT_CHECK(r && strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0 && !strstr(r, "calls_active"), "HEAD /varz: %s",
		     show(r));
	free(r);

	/* Keep-alive: two requests on one connection are both answered; the first keeps it open. */
	static const char two[] = "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n"
				  "GET /varz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
	r = http_exchange(t->port, two, sizeof(two) - 1);
	CLIENT_CHECK(r && strstr(r, "\nx25lo_calls_active 1\n") && strstr(r, "\n\"calls_active\": 1,\n"),
		     "two requests on one connection: %s", show(r));
	{
		const char *second = r ? strstr(r + 1, "HTTP/1.1 200 OK\r\n") : NULL;
		const char *close = r ? strcasestr(r, "Connection: close") : NULL;

		CLIENT_CHECK(second && (!close || close > second), "the first answer closed the connection: %s",
			     show(r));
	}
	free(r);

	/* Garbage is refused (400) or dropped; either way the server keeps serving. */
	r = http_exchange(t->port, "\x16\x03\x01\xff garbage\r\n\r\n", 15);
	CLIENT_CHECK(!r || !*r || strncmp(r, "HTTP/1.1 400 ", 13) == 0, "garbage: %s", show(r));
	free(r);
	r = http_request(t->port, "GET", "/varz");
	CLIENT_CHECK(r && strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0, "GET /varz after garbage: %s", show(r));
	free(r);

	/* Bound to loopback, it answers only requests addressed to an address or localhost (DNS rebinding). */
	static const char rebound[] = "GET /varz HTTP/1.1\r\nHost: evil.example:8004\r\nConnection: close\r\n\r\n";
	r = http_exchange(t->port, rebound, sizeof(rebound) - 1);
	CLIENT_CHECK(r && strncmp(r, "HTTP/1.1 403 ", 13) == 0 && !strstr(r, "calls_active"),
		     "GET /varz with Host evil.example: %s", show(r));
	free(r);
	static const char literal[] = "GET /varz HTTP/1.1\r\nHost: 127.0.0.1:8004\r\nConnection: close\r\n\r\n";
	r = http_exchange(t->port, literal, sizeof(literal) - 1);
	CLIENT_CHECK(r && strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0, "GET /varz with Host 127.0.0.1: %s", show(r));
	free(r);

	if (stuck >= 0)
		close(stuck);
	client_finished(t);
	return NULL;
}

static void client_done(void *ctx, uint32_t events)
{
	struct http_test *t = ctx;

	loop_stop(t->relay->loop);
}

/* Run the stats server of t->relay in the real loop while client (a thread) makes requests. */
static void run_http_test(struct http_test *t, void *(*client)(void *))
{
	char err[256] = "";
	struct stats_server *s;
	pthread_t thread;
	uint64_t one = 1;

	t->relay->loop = loop_new();
	assert_non_null(t->relay->loop);
	s = stats_server_start(t->relay, "127.0.0.1", 0, err, sizeof(err));
	if (!s)
		fail_msg("stats_server_start: %s", err);
	t->port = stats_server_port(s);
	assert_true(t->port > 0);
	t->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	t->step_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	t->ack_fd = eventfd(0, EFD_CLOEXEC);
	t->probe_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_true(t->done_fd >= 0 && t->step_fd >= 0 && t->ack_fd >= 0 && t->probe_fd >= 0);
	assert_int_equal(loop_add(t->relay->loop, &t->done_watch, t->done_fd, EPOLLIN, client_done, t), 0);
	assert_int_equal(loop_add(t->relay->loop, &t->step_watch, t->step_fd, EPOLLIN, step_requested, t), 0);
	if (t->measure) {
		assert_int_equal(write(t->probe_fd, &one, sizeof(one)), sizeof(one));
		assert_int_equal(loop_add(t->relay->loop, &t->probe_watch, t->probe_fd, EPOLLIN, probe_turn, t), 0);
	}
	assert_int_equal(pthread_create(&thread, NULL, client, t), 0);
	assert_int_equal(loop_run(t->relay->loop, NULL, NULL), 0);
	pthread_join(thread, NULL);
	if (t->measure)
		printf("longest turn of the loop: %.2f ms of CPU (%" PRIu64 " turns)\n", (double)t->turn_max_ns / 1e6,
		       t->turns);
	loop_del(t->relay->loop, &t->done_watch);
	loop_del(t->relay->loop, &t->step_watch);
	if (t->measure)
		loop_del(t->relay->loop, &t->probe_watch);
	close(t->done_fd);
	close(t->step_fd);
	close(t->ack_fd);
	close(t->probe_fd);
	stats_server_stop(s);
	loop_free(t->relay->loop);
	if (t->failure) {
		fprintf(stderr, "%s\n", t->failure);
		free(t->failure);
		fail();
	}
}

static void http_server_serves_endpoints_from_the_loop(void **state)
{
	struct http_test t = {.relay = *state};

	run_http_test(&t, http_client);
}

/* ---- CORS: only for the origin stats-cors-origin names, read at each answer ---- */

static const char dash_origin[] = "http://dash.example:3000";

/* Step 0 is a reload that names an origin, step 1 one that takes it away again. */
static void set_cors_origin(struct http_test *t, unsigned step)
{
	snprintf(t->relay->cfg.stats_cors_origin, sizeof(t->relay->cfg.stats_cors_origin), "%s",
		 step == 0 ? dash_origin : "");
}

/* method path gets an answer without any CORS header. */
static void expect_no_cors(struct http_test *t, const char *method, const char *path, const char *when)
{
	char *r = http_request(t->port, method, path);

	CLIENT_CHECK(r && strncmp(r, "HTTP/1.1 ", 9) == 0 && !strcasestr(r, "\r\nAccess-Control-"), "%s %s %s: %s",
		     method, path, when, show(r));
	free(r);
}

static void *cors_client(void *arg)
{
	static const char *const paths[] = {"/varz", "/metrics", "/sessions", "/nothing-here"};
	struct http_test *t = arg;
	char *r;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		expect_no_cors(t, "GET", paths[i], "without stats-cors-origin");
	expect_no_cors(t, "OPTIONS", "/sessions", "without stats-cors-origin");

	loop_step(t);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		const char *h;

		r = http_request(t->port, "GET", paths[i]);
		h = r ? strcasestr(r, "\r\nAccess-Control-Allow-Origin: ") : NULL;
		CLIENT_CHECK(h && strncmp(h + 31, "http://dash.example:3000\r\n", 26) == 0 &&
				     !strcasestr(h + 1, "\r\nAccess-Control-Allow-Origin:"),
			     "GET %s with stats-cors-origin %s: %s", paths[i], dash_origin, show(r));
		free(r);
	}
	r = http_request(t->port, "OPTIONS", "/varz");
	CLIENT_CHECK(r && strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0 &&
			     strcasestr(r, "\r\nAccess-Control-Allow-Origin: http://dash.example:3000\r\n") &&
			     strcasestr(r, "\r\nAccess-Control-Allow-Methods: GET, OPTIONS\r\n") &&
			     strcasestr(r, "\r\nAccess-Control-Allow-Headers: Content-Type\r\n") &&
			     strcasestr(r, "\r\nContent-Length: 0\r\n"),
		     "OPTIONS (preflight) with stats-cors-origin: %s", show(r));
	free(r);

	loop_step(t);
	expect_no_cors(t, "GET", "/varz", "after stats-cors-origin was emptied");
	client_finished(t);
	return NULL;
}

static void http_server_sends_cors_only_for_the_configured_origin(void **state)
{
	struct http_test t = {.relay = *state, .on_step = set_cors_origin};

	run_http_test(&t, cors_client);
}

/* ---- /sessions: capped, and streamed without holding the relay's loop ---- */

/* 3 TUNs with 4095 calls each: more than /sessions may list. */
#define BIG_TUNS 3
#define BIG_CALLS (BIG_TUNS * 4095)
#define SESSIONS_CAP 10000

/* Calls in a /sessions text, (size_t)-1 when it is not a JSON array (counters beyond INT64_MAX are fine). */
static size_t sessions_listed(const char *text)
{
	json_t *list = text ? json_loads(text, JSON_DECODE_INT_AS_REAL, NULL) : NULL;
	size_t n = json_is_array(list) ? json_array_size(list) : (size_t)-1;

	json_decref(list);
	return n;
}

/* Calls in a /sessions text by its lines ("[", one call a line, "]"), or (size_t)-1. */
static size_t sessions_lines(const char *text)
{
	size_t lines = 0, len = text ? strlen(text) : 0;

	if (len < 5 || strncmp(text, "[\n{", 3) != 0 || strcmp(text + len - 3, "\n]\n") != 0)
		return (size_t)-1;
	for (size_t i = 0; i + 1 < len; i++) /* not strstr: ASan's reads the whole rest each time */
		lines += text[i] == '\n' && text[i + 1] == '{';
	return lines;
}

static void sessions_are_capped_whatever_the_limit(void **state)
{
	static const size_t limits[][2] = {{0, SESSIONS_CAP}, {20000, SESSIONS_CAP}, {SESSIONS_CAP, SESSIONS_CAP}, {7, 7}};
	struct relay *relay = fixture_big_relay(BIG_TUNS, 4095);

	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		size_t total = 0;
		char *text = stats_render_sessions_limited(relay, limits[i][0], &total);

		assert_int_equal(total, BIG_CALLS);
		if (sessions_lines(text) != limits[i][1])
			fail_msg("limit %zu listed %zu calls, expected %zu", limits[i][0], sessions_lines(text),
				 limits[i][1]);
		free(text);
	}
	fixture_free(relay);
}

static void *big_sessions_client(void *arg)
{
	struct http_test *t = arg;
	char *r = http_request(t->port, "GET", "/sessions?limit=0");
	size_t listed;

	CLIENT_CHECK(r && strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0 && strcasestr(r, "\r\nX-Sessions-Total: 12285\r\n") &&
			     strcasestr(r, "\r\nX-Sessions-Limit: 10000\r\n") &&
			     strcasestr(r, "\r\nX-Sessions-Truncated: true\r\n"),
		     "GET /sessions?limit=0 headers: %.300s", show(r));
	listed = sessions_listed(http_body(r));
	CLIENT_CHECK(listed == SESSIONS_CAP, "GET /sessions?limit=0 listed %zu calls", listed);
	free(r);
	r = http_request(t->port, "GET", "/sessions?limit=25");
	CLIENT_CHECK(r && strcasestr(r, "\r\nX-Sessions-Limit: 25\r\n"), "GET /sessions?limit=25: %.300s", show(r));
	listed = sessions_listed(http_body(r));
	CLIENT_CHECK(listed == 25, "GET /sessions?limit=25 listed %zu calls", listed);
	free(r);
	client_finished(t);
	return NULL;
}

/*
 * The listing goes out in slices: no turn of the loop costs more than a few milliseconds
 * of CPU (a whole 12285-call listing is some 20 ms at -O2, several times that under ASan).
 */
static void http_server_streams_sessions_without_holding_the_loop(void **state)
{
	struct http_test t = {.relay = fixture_big_relay(BIG_TUNS, 4095), .measure = true};

	run_http_test(&t, big_sessions_client);
	fixture_free(t.relay);
	if (t.turn_max_ns > 5000000)
		fail_msg("a turn of the loop took %.2f ms of CPU while /sessions was sent", (double)t.turn_max_ns / 1e6);
}

/* ---- a streamed listing while calls come and go ---- */

static void end_call(struct relay *relay, struct tun *t, unsigned slot)
{
	t->calls[slot].state = CALL_FREE;
	t->calls_in_use--;
	relay->calls_by_state[CALL_CONNECTED]--;
}

/* As daemon_remove_tun and the batch's end: legs elsewhere forget it, then its memory goes. */
static void remove_tun(struct relay *relay, unsigned index)
{
	struct tun *gone = relay->tuns[index];

	for (unsigned i = 0; i < CONFIG_MAX_ROUTES; i++)
		for (unsigned j = 0; relay->tuns[i] && j < 4095; j++)
			if (relay->tuns[i]->calls[j].leg[LEG_CALLER].port == &gone->port)
				relay->tuns[i]->calls[j].leg[LEG_CALLER].port = NULL;
	for (unsigned j = 0; j < 4095; j++)
		if (gone->calls[j].state != CALL_FREE)
			end_call(relay, gone, j);
	relay->tuns[index] = NULL;
	tun_free(gone);
}

/* How often list holds the call whose callee leg is tun/lci and whose calling address is calling. */
static unsigned times_listed(json_t *list, const char *tun, unsigned lci, const char *calling)
{
	unsigned n = 0;
	size_t i;
	json_t *c;

	json_array_foreach(list, i, c) {
		json_t *callee = json_object_get(c, "callee");

		if (strcmp(json_string_value(json_object_get(callee, "tun")), tun) == 0 &&
		    json_integer_value(json_object_get(callee, "lci")) == lci &&
		    strcmp(json_string_value(json_object_get(c, "calling")), calling) == 0)
			n++;
	}
	return n;
}

/*
 * Read a listing in 37-byte pieces, one call and five slots per turn, while odd slots end
 * and are reused by other calls, and TUN 2 is removed (and freed) with the cursor inside it,
 * then another TUN takes its index. Calls that live throughout appear exactly once, no call
 * twice, and the text is one JSON array (ASan: the cursor holds no pointer to freed memory).
 */
static void sessions_stream_lists_each_living_call_once_while_calls_come_and_go(void **state)
{
	struct relay *relay = fixture_big_relay(4, 12);
	struct sessions_budget budget;
	struct sessions_stream *s = stats_sessions_open(relay, 0, &budget);
	size_t len = 0, cap = 1 << 16;
	char *text = malloc(cap);
	bool removed = false, readded = false;
	json_t *list;
	ssize_t n;

	assert_non_null(s);
	assert_non_null(text);
	for (unsigned step = 0;; step++) {
		struct tun *t = relay->tuns[step % 4];
		unsigned slot = (step * 5 % 12) | 1;

		assert_true(step < 100000);
		budget = (struct sessions_budget){.calls = 1, .slots = 5};
		n = stats_sessions_read(s, text + len, cap - len - 1 < 37 ? cap - len - 1 : 37);
		if (n == STATS_SESSIONS_END)
			break;
		assert_true(n >= 0);
		len += (size_t)n;
		text[len] = '\0';
		assert_true(len + 64 < cap);
		/* Odd slots: the call ends, or a new call (another calling address) takes the slot. */
		if (t && t->calls[slot].state != CALL_FREE) {
			end_call(relay, t, slot);
		} else if (t) {
			struct call *c = fixture_call(relay, t, slot, relay->tuns[0] ? relay->tuns[0] : t, 99);

			snprintf(c->calling, sizeof(c->calling), "999%03u", step % 1000);
		}
		if (!removed && strstr(text, "\"callee\": {\"tun\": \"tunlb2\", \"lci\": 3,")) {
			remove_tun(relay, 2);
			removed = true;
		} else if (removed && !readded) {
			/* Another TUN takes index 2: the cursor goes on in it, at the same slot number. */
			struct tun *t2 = fixture_tun(relay, 2, "127777", 1, 4095, LINK_READY);

			relay->ntuns--; /* fixture_tun counts it again */
			fixture_call(relay, t2, 0, relay->tuns[0], 700);
			fixture_call(relay, t2, 9, relay->tuns[0], 709);
			readded = true;
		}
	}
	stats_sessions_close(s);
	assert_true(removed && readded);
	list = json_loads(text, 0, NULL);
	if (!json_is_array(list))
		fail_msg("not a JSON array: %s", text);
	for (unsigned i = 0; i < 4; i++) {
		char tun[16], calling[16];

		if (i == 2)
			continue;
		snprintf(tun, sizeof(tun), "tunlb%u", i);
		snprintf(calling, sizeof(calling), "127%03u", (i + 1) % 4);
		for (unsigned slot = 0; slot < 12; slot += 2)
			if (times_listed(list, tun, slot + 1, calling) != 1)
				fail_msg("%s/%u lived throughout but was listed %u times", tun, slot + 1,
					 times_listed(list, tun, slot + 1, calling));
	}
	/* Nothing twice: every entry is unique by callee leg and calling address. */
	{
		size_t i;
		json_t *c;

		json_array_foreach(list, i, c) {
			json_t *callee = json_object_get(c, "callee");
			const char *tun = json_string_value(json_object_get(callee, "tun"));
			json_int_t lci = json_integer_value(json_object_get(callee, "lci"));
			const char *calling = json_string_value(json_object_get(c, "calling"));

			assert_non_null(tun);
			assert_non_null(calling);
			if (times_listed(list, tun, (unsigned)lci, calling) != 1)
				fail_msg("%s/%lld from %s listed twice", tun, (long long)lci, calling);
		}
		/* The new TUN 2's call behind the cursor is not listed, the one ahead is. */
		assert_int_equal(times_listed(list, "tunlb2", 1, "127000"), 0);
		assert_int_equal(times_listed(list, "tunlb2", 10, "127000"), 1);
	}
	json_decref(list);
	free(text);
	fixture_free(relay);
}

/* The longest call there can be (every name escaped, every number at its widest) fits one entry. */
static void sessions_entry_of_the_longest_call_fits(void **state)
{
	static const uint8_t widest[32] = {0x42, 0x0F, 0x0F, 0x43, 0xFF, 0xFF, 0x01, 0x00, 0x02, 0xFF};
	struct relay *relay = *state;
	struct call *c = &relay->tuns[0]->calls[4095 - 3072];
	char *text;

	memset(c->calling, 0x01, sizeof(c->calling));
	memset(c->called, 0x01, sizeof(c->called));
	memcpy(c->facilities, widest, sizeof(widest));
	c->facilities_len = sizeof(widest);
	c->started_ms = 0;
	for (int i = 0; i < 2; i++) {
		c->leg[i].state = LEG_CLEARING;
		c->leg[i].packets_in = c->leg[i].bytes_in = UINT64_MAX;
	}
	memset(relay->tuns[0]->port.name, 0x01, sizeof(relay->tuns[0]->port.name));
	memset(relay->tuns[1]->port.name, 0x01, sizeof(relay->tuns[1]->port.name));
	text = stats_render_sessions(relay);
	assert_non_null(text);
	assert_int_equal(sessions_listed(text), 1);
	assert_non_null(strstr(text, "\"reverse_charging\": false, \"throughput_class\": \"0xff\"}"));
	printf("the longest entry: %zu bytes of %d\n", strlen(text) - 5, STATS_SESSIONS_ENTRY_MAX);
	assert_true(strlen(text) - 5 + 64 < STATS_SESSIONS_ENTRY_MAX);
	free(text);
}

/* ---- slow clients: a deadline per request, whatever they trickle ---- */

#define TRICKLERS 63 /* with the keep-alive client: all 64 places */

/* One request on a keep-alive connection; true when a whole 200 answer came back. */
static bool keepalive_get(int fd)
{
	static const char req[] = "GET /varz HTTP/1.1\r\nHost: localhost\r\n\r\n";
	char buf[16384];
	size_t len = 0;
	const char *end = NULL, *cl;

	if (send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != (ssize_t)sizeof(req) - 1)
		return false;
	for (;;) {
		ssize_t n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);

		if (n <= 0)
			return false;
		len += (size_t)n;
		buf[len] = '\0';
		end = strstr(buf, "\r\n\r\n");
		cl = strcasestr(buf, "\r\nContent-Length: ");
		if (end && cl && len >= (size_t)(end + 4 - buf) + strtoul(cl + 18, NULL, 10))
			return strncmp(buf, "HTTP/1.1 200 OK\r\n", 17) == 0;
	}
}

/* Whether the server closed fd (end of stream or reset). */
static bool closed_by_server(int fd)
{
	char buf[256];
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		;
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

static void *slow_clients(void *arg)
{
	static const char trickle[] = "GET /varz HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	static const char varz[] = "GET /varz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
	struct http_test *t = arg;
	uint64_t t0 = wall_ms(), connected[TRICKLERS], cut[TRICKLERS] = {0}, answered = 0;
	int trickler[TRICKLERS], keep, normal;
	unsigned keep_answers = 0, open_tricklers = TRICKLERS;
	char answer[32] = "";
	bool keep_ok = true;

	keep = connect_to(t->port, 0);
	CLIENT_CHECK(keep >= 0 && keepalive_get(keep), "the keep-alive client's first request failed");
	keep_answers++;
	for (int i = 0; i < TRICKLERS; i++) {
		/* Paced, so the listen backlog never overflows (a dropped SYN is retried a second later). */
		usleep(5000);
		trickler[i] = connect_to(t->port, 0);
		connected[i] = wall_ms();
		CLIENT_CHECK(trickler[i] >= 0 && send(trickler[i], trickle, 1, MSG_NOSIGNAL) == 1, "trickler %d: %m", i);
	}
	usleep(300000); /* the server has accepted them all: every place is taken */
	normal = connect_to(t->port, 0);
	CLIENT_CHECK(normal >= 0 && send(normal, varz, sizeof(varz) - 1, MSG_NOSIGNAL) > 0, "normal client: %m");

	for (unsigned tick = 1; tick <= 14 && !t->failure; tick++) {
		struct pollfd p = {.fd = normal, .events = POLLIN};
		int64_t wait = (int64_t)(t0 + tick * 1000u) - (int64_t)wall_ms();

		/* The normal client's answer, as soon as it comes. */
		if (!answered && poll(&p, 1, wait > 0 ? (int)wait : 0) == 1) {
			ssize_t n = recv(normal, answer, sizeof(answer) - 1, 0);

			answer[n > 0 ? n : 0] = '\0';
			answered = wall_ms();
		}
		while (wall_ms() < t0 + tick * 1000u)
			usleep(10000);
		for (int i = 0; i < TRICKLERS; i++) {
			if (cut[i])
				continue;
			if (closed_by_server(trickler[i]) ||
			    send(trickler[i], &trickle[tick % (sizeof(trickle) - 1)], 1, MSG_NOSIGNAL) != 1) {
				cut[i] = wall_ms();
				open_tricklers--;
			}
		}
		if (keep_ok && keepalive_get(keep))
			keep_answers++;
		else
			keep_ok = false;
		if (answered && open_tricklers == 0)
			break;
	}

	CLIENT_CHECK(answered && strncmp(answer, "HTTP/1.1 200 OK\r\n", 17) == 0,
		     "with every place held by trickling clients, a normal client got no answer in 14 s: '%s'", answer);
	CLIENT_CHECK(!answered || (answered - t0 >= 8000 && answered - t0 <= 12500),
		     "the normal client was answered after %" PRIu64 " ms, expected once the tricklers' 10 s were up",
		     answered - t0);
	for (int i = 0; i < TRICKLERS; i++)
		CLIENT_CHECK(cut[i] && cut[i] - connected[i] >= 9000 && cut[i] - connected[i] <= 11500,
			     "trickling client %d was closed %" PRIu64 " ms after it connected (0 = never), expected "
			     "10-11 s", i, cut[i] ? cut[i] - connected[i] : 0);
	CLIENT_CHECK(keep_ok && keep_answers >= 11,
		     "the keep-alive client sending a request a second was cut after %u answers", keep_answers);
	for (int i = 0; i < TRICKLERS; i++)
		if (trickler[i] >= 0)
			close(trickler[i]);
	close(keep);
	close(normal);
	client_finished(t);
	return NULL;
}

/*
 * 63 clients trickle a request a byte a second and one keep-alive client sends a whole
 * request every second: all 64 places. Each byte restarts libmicrohttpd's idle timeout,
 * but the tricklers are closed 10 s after they connected, so a normal client waiting
 * behind them is answered then; the keep-alive client goes on.
 */
static void http_server_cuts_clients_that_trickle(void **state)
{
	struct http_test t = {.relay = *state};

	run_http_test(&t, slow_clients);
}

static void http_server_refuses_a_bad_bind_address(void **state)
{
	char err[256] = "";

	assert_null(stats_server_start(*state, "localhost", 8004, err, sizeof(err)));
	assert_non_null(strstr(err, "\"localhost\" is not a numeric IPv4 or IPv6 address"));
}

static void http_server_reports_a_busy_port(void **state)
{
	struct relay *relay = *state;
	char err[256] = "";
	struct stats_server *a, *b;

	relay->loop = loop_new();
	a = stats_server_start(relay, "127.0.0.1", 0, err, sizeof(err));
	assert_non_null(a);
	b = stats_server_start(relay, "127.0.0.1", stats_server_port(a), err, sizeof(err));
	assert_null(b);
	assert_non_null(strstr(err, "cannot start the stats server on 127.0.0.1:"));
	assert_non_null(strstr(err, "set it to 0 to run without stats"));
	stats_server_stop(a);
	loop_free(relay->loop);
}

static void http_server_listens_on_ipv6(void **state)
{
	struct relay *relay = *state;
	char err[256] = "";
	struct stats_server *s;
	int probe = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in6 lo = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};

	/* Hosts without IPv6 on lo (some containers) cannot run this one. */
	if (probe < 0 || bind(probe, (struct sockaddr *)&lo, sizeof(lo)) < 0) {
		if (probe >= 0)
			close(probe);
		skip();
	}
	close(probe);
	relay->loop = loop_new();
	s = stats_server_start(relay, "::1", 0, err, sizeof(err));
	if (!s)
		fail_msg("stats_server_start on ::1: %s", err);
	assert_true(stats_server_port(s) > 0);
	stats_server_stop(s);
	loop_free(relay->loop);
}

/* `test_stats --promtool`: check rendered /metrics with promtool; exit 77 (skip) without it. */
static int run_promtool(void)
{
	struct relay *relay = fixture_relay();
	char *m = stats_render_metrics(relay);
	FILE *p;
	int status;

	if (system("command -v promtool >/dev/null 2>&1") != 0) {
		fprintf(stderr, "promtool not installed (Debian package prometheus): skipping\n");
		free(m);
		fixture_free(relay);
		return 77;
	}
	p = popen("promtool check metrics", "w");
	if (!p || fputs(m, p) < 0)
		return 1;
	status = pclose(p);
	free(m);
	fixture_free(relay);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "promtool check metrics rejected /metrics (status %d)\n", status);
		return 1;
	}
	printf("promtool check metrics: /metrics passes\n");
	return 0;
}

/*
 * `test_stats --bench [TUNS CALLS CLIENTS]` (not run by meson; use an -O2 build): /sessions?limit=0
 * on a fake relay of TUNS x CALLS live calls (64 x 4095 by default), first for one client,
 * then for CLIENTS (64) that ask at once and read only after a second. Prints the longest
 * turn of the loop (CPU time the relay could not run) and the server's heap growth.
 */
struct bench {
	unsigned clients;
	size_t heap_base, heap_peak;
	uint64_t turn_max_ns, turns_over_1ms, bytes, wall_ms;
	char result[2][256];
};

static struct bench bench;

static size_t heap_in_use(void)
{
	struct mallinfo2 m = mallinfo2();

	return m.uordblks + m.hblkhd;
}

/* As probe_turn, but also samples the heap: outside the measured time, as it is costly. */
static void bench_turn(void *ctx, uint32_t events)
{
	struct http_test *t = ctx;
	uint64_t now = thread_cpu_ns();
	size_t heap = heap_in_use();

	if (t->probe_last_ns && now - t->probe_last_ns > t->turn_max_ns)
		t->turn_max_ns = now - t->probe_last_ns;
	if (t->probe_last_ns && now - t->probe_last_ns >= 1000000)
		bench.turns_over_1ms++;
	if (heap > bench.heap_peak)
		bench.heap_peak = heap;
	t->turns++;
	t->probe_last_ns = thread_cpu_ns();
}

/* Loop side, between phases: report the last one, start the next one from here. */
static void bench_phase(struct http_test *t, unsigned step)
{
	if (step > 0)
		snprintf(bench.result[step - 1], sizeof(bench.result[step - 1]),
			 "%u client(s): %" PRIu64 " bytes in %" PRIu64 " ms; longest loop turn %.2f ms of CPU, %" PRIu64
			 " turns over 1 ms; server heap +%zu KiB (%zu KiB per client)",
			 step == 1 ? 1 : bench.clients, bench.bytes, bench.wall_ms, (double)t->turn_max_ns / 1e6,
			 bench.turns_over_1ms, (bench.heap_peak - bench.heap_base) / 1024,
			 (bench.heap_peak - bench.heap_base) / 1024 / (step == 1 ? 1 : bench.clients));
	t->turn_max_ns = 0;
	t->probe_last_ns = 0;
	bench.turns_over_1ms = 0;
	bench.heap_base = bench.heap_peak = heap_in_use();
}

/* n clients send GET /sessions?limit=0 at once, wait a second, then read everything (and drop it). */
static void bench_clients(struct http_test *t, unsigned n)
{
	static const char req[] = "GET /sessions?limit=0 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
	struct pollfd *p = calloc(n, sizeof(*p));
	uint64_t start = wall_ms();
	unsigned open = n;
	char buf[65536];

	if (!p)
		abort();
	bench.bytes = 0;
	for (unsigned i = 0; i < n; i++) {
		p[i] = (struct pollfd){.fd = connect_to(t->port, 0), .events = POLLIN};
		if (p[i].fd < 0 || send(p[i].fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != sizeof(req) - 1)
			abort();
	}
	if (n > 1)
		sleep(1);
	while (open > 0 && poll(p, n, 10000) > 0) {
		for (unsigned i = 0; i < n; i++) {
			ssize_t got;

			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			got = recv(p[i].fd, buf, sizeof(buf), 0);
			if (got > 0) {
				bench.bytes += (uint64_t)got;
				continue;
			}
			close(p[i].fd);
			p[i].fd = -1;
			open--;
		}
	}
	bench.wall_ms = wall_ms() - start;
	free(p);
}

static void *bench_client(void *arg)
{
	struct http_test *t = arg;

	loop_step(t);
	bench_clients(t, 1);
	loop_step(t);
	bench_clients(t, bench.clients);
	loop_step(t);
	client_finished(t);
	return NULL;
}

static int run_bench(int argc, char **argv)
{
	unsigned tuns = argc > 2 ? (unsigned)atoi(argv[2]) : 64, calls = argc > 3 ? (unsigned)atoi(argv[3]) : 4095;
	struct http_test t = {.relay = fixture_big_relay(tuns, calls), .on_step = bench_phase, .measure = true};
	char err[256] = "";
	struct stats_server *s;
	pthread_t thread;
	uint64_t one = 1;

	bench.clients = argc > 4 ? (unsigned)atoi(argv[4]) : 64;
	t.relay->loop = loop_new();
	s = stats_server_start(t.relay, "127.0.0.1", 0, err, sizeof(err));
	if (!s || !t.relay->loop) {
		fprintf(stderr, "stats_server_start: %s\n", err);
		return 1;
	}
	t.port = stats_server_port(s);
	t.done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	t.step_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	t.ack_fd = eventfd(0, EFD_CLOEXEC);
	t.probe_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (write(t.probe_fd, &one, sizeof(one)) != sizeof(one) ||
	    loop_add(t.relay->loop, &t.done_watch, t.done_fd, EPOLLIN, client_done, &t) < 0 ||
	    loop_add(t.relay->loop, &t.step_watch, t.step_fd, EPOLLIN, step_requested, &t) < 0 ||
	    loop_add(t.relay->loop, &t.probe_watch, t.probe_fd, EPOLLIN, bench_turn, &t) < 0 ||
	    pthread_create(&thread, NULL, bench_client, &t) != 0)
		return 1;
	loop_run(t.relay->loop, NULL, NULL);
	pthread_join(thread, NULL);
	printf("/sessions?limit=0 on %u TUNs x %u calls = %u live calls\n%s\n%s\n", tuns, calls, tuns * calls,
	       bench.result[0], bench.result[1]);
	stats_server_stop(s);
	loop_free(t.relay->loop);
	fixture_free(t.relay);
	return 0;
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		T(varz_has_goxot_layout_and_exact_values),
		T(varz_is_valid_json_with_typed_values),
		T(varz_of_an_empty_relay_has_empty_maps),
		T(varz_skips_removed_tuns),
		T(metrics_have_exact_values_with_labels),
		T(metrics_families_are_announced),
		T(sessions_list_both_legs_with_facilities),
		T(sessions_of_an_idle_relay_is_an_empty_list),
		T(sessions_limit_keeps_the_total),
		T(sessions_are_capped_whatever_the_limit),
		T(sessions_stream_lists_each_living_call_once_while_calls_come_and_go),
		T(sessions_entry_of_the_longest_call_fits),
		T(log_dump_lists_calls_and_counters),
		T(http_server_serves_endpoints_from_the_loop),
		T(http_server_sends_cors_only_for_the_configured_origin),
		T(http_server_streams_sessions_without_holding_the_loop),
		T(http_server_cuts_clients_that_trickle),
		T(http_server_refuses_a_bad_bind_address),
		T(http_server_reports_a_busy_port),
		T(http_server_listens_on_ipv6),
	};

	/* TEST_FILTER=http_server_* runs the tests whose names match. */
	if (getenv("TEST_FILTER"))
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	if (argc > 1 && strcmp(argv[1], "--promtool") == 0)
		return run_promtool();
	if (argc > 1 && strcmp(argv[1], "--bench") == 0)
		return run_bench(argc, argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
