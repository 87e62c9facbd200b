/* test_stats.c - /varz (goxot's layout), /metrics, /sessions, the SIGUSR1 dump and the HTTP server on a fake relay. */
#include "stats.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
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
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h> /* cmocka.h needs these three first */
#include <cmocka.h>

#include "test_stats_fixture.h"

/* Everything but cmdline, which names the test binary. */
static const char expected_varz[] =
	"{\n"
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
	"\"write_errors\": 0\n"
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
	char *failure; /* set by the client thread */
};

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

#define CLIENT_CHECK(cond, ...)                                                                    \
	do {                                                                                       \
		if (!(cond) && !t->failure && asprintf(&t->failure, __VA_ARGS__) < 0)              \
			t->failure = NULL;                                                         \
	} while (0)

static const char *show(const char *response)
{
	return response ? response : "(no answer)";
}

static void *http_client(void *arg)
{
	struct http_test *t = arg;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)t->port)};
	uint64_t one = 1;
	char *r;
	int stuck;

	/* A client that sends half a request and then nothing: the others must still be served. */
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	stuck = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CLIENT_CHECK(stuck >= 0 && connect(stuck, (struct sockaddr *)&sin, sizeof(sin)) == 0, "connect: %m");
	CLIENT_CHECK(write(stuck, "GET /varz HTTP/1.1\r\nHost: x", 27) == 27, "write: %m");

	r = http_request(t->port, "GET", "/varz");
	CLIENT_CHECK(r && strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0, "GET /varz: %s", show(r));
	CLIENT_CHECK(r && strcasestr(r, "\r\nContent-Type: application/json; charset=utf-8\r\n"),
		     "GET /varz content type: %s", r);
	CLIENT_CHECK(r && strcasestr(r, "\r\nAccess-Control-Allow-Origin: *\r\n"), "GET /varz CORS: %s", show(r));
	CLIENT_CHECK(r && strstr(r, "\r\n\r\n{\n\"calls_active\": 1,\n"), "GET /varz body: %s", show(r));
	free(r);

	r = http_request(t->port, "GET", "/debug/vars");
	CLIENT_CHECK(r && strstr(r, "\r\n\r\n{\n\"calls_active\": 1,\n"), "GET /debug/vars: %s", show(r));
	free(r);

	r = http_request(t->port, "OPTIONS", "/varz");
	CLIENT_CHECK(r && strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0, "OPTIONS /varz: %s", show(r));
	CLIENT_CHECK(r && strcasestr(r, "\r\nAccess-Control-Allow-Methods: GET, OPTIONS\r\n") &&
			     strcasestr(r, "\r\nAccess-Control-Allow-Headers: Content-Type\r\n") &&
			     strcasestr(r, "\r\nContent-Length: 0\r\n"),
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
		     "GET /metrics: %s", r);
	free(r);

	r = http_request(t->port, "GET", "/sessions?limit=0");
	CLIENT_CHECK(r && strstr(r, "\r\n\r\n[\n{\"state\": \"connected\"") &&
			     strcasestr(r, "\r\nX-Sessions-Total: 1\r\n"),
		     "GET /sessions: %s", show(r));
	free(r);

	r = http_request(t->port, "GET", "/sessions?limit=many");
	CLIENT_CHECK(r && strncmp(r, "HTTP/1.1 400 ", 13) == 0, "GET /sessions?limit=many: %s", show(r));
	free(r);

	r = http_request(t->port, "HEAD", "/varz");
	CLIENT_CHECK(r && strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0 && !strstr(r, "calls_active"), "HEAD /varz: %s",
		     r);
	free(r);

	/* Keep-alive: two requests on one connection are both answered; the first keeps it open. */
	static const char two[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
				  "GET /varz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
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

	if (stuck >= 0)
		close(stuck);
	if (write(t->done_fd, &one, sizeof(one)) < 0)
		abort();
	return NULL;
}

static void client_done(void *ctx, uint32_t events)
{
	struct http_test *t = ctx;

	loop_stop(t->relay->loop);
}

static void http_server_serves_endpoints_from_the_loop(void **state)
{
	struct http_test t = {.relay = *state};
	char err[256] = "";
	struct stats_server *s;
	pthread_t client;

	t.relay->loop = loop_new();
	assert_non_null(t.relay->loop);
	s = stats_server_start(t.relay, "127.0.0.1", 0, err, sizeof(err));
	if (!s)
		fail_msg("stats_server_start: %s", err);
	t.port = stats_server_port(s);
	assert_true(t.port > 0);
	t.done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_int_equal(loop_add(t.relay->loop, &t.done_watch, t.done_fd, EPOLLIN, client_done, &t), 0);
	assert_int_equal(pthread_create(&client, NULL, http_client, &t), 0);
	assert_int_equal(loop_run(t.relay->loop, NULL, NULL), 0);
	pthread_join(client, NULL);
	loop_del(t.relay->loop, &t.done_watch);
	close(t.done_fd);
	stats_server_stop(s);
	loop_free(t.relay->loop);
	if (t.failure) {
		fprintf(stderr, "%s\n", t.failure);
		free(t.failure);
		fail();
	}
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
		T(log_dump_lists_calls_and_counters),
		T(http_server_serves_endpoints_from_the_loop),
		T(http_server_refuses_a_bad_bind_address),
		T(http_server_reports_a_busy_port),
		T(http_server_listens_on_ipv6),
	};

	if (argc > 1 && strcmp(argv[1], "--promtool") == 0)
		return run_promtool();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
