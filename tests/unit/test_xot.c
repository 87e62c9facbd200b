// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_xot.c - XOT in x25lo on the host: each TUN is a socketpair whose other end the test
 * plays as the kernel, and the XOT peer is a real TCP socket on 127.0.0.1 the test plays too.
 * Everything runs on x25lo's loop; the test waits for a socket to become readable, never sleeps.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "call.h"
#include "daemon.h"
#include "log.h"
#include "relay.h"
#include "stats.h"
#include "xot.h"

#include "fake_tun.h"

static struct relay relay; /* large: static */
static struct loop *loop;
static int kernel_fd[2];
static int server_fd = -1; /* the test's XOT server, for x25lo's outgoing calls */
static int server_port;

static struct tun *add_tun(unsigned i, const char *address)
{
	struct tun *t = fake_tun_add(&relay, i, address, 3072, 4095, false, &kernel_fd[i]);

	assert_int_equal(loop_add(loop, &t->watch, t->fd, EPOLLIN, relay_tun_readable, t), 0);
	return t;
}

/* A TCP listener on 127.0.0.1, port chosen by the kernel. */
static int tcp_listener(int *port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

/* A free port for x25lo's listener: one the kernel just handed out and took back. */
static int free_port(void)
{
	int port, fd = tcp_listener(&port);

	close(fd);
	return port;
}

static int setup(void **state)
{
	struct config cfg;
	char err[256];

	config_defaults(&cfg);
	cfg.xot_servers = true;
	cfg.nservers = 2;
	server_fd = tcp_listener(&server_port);
	snprintf(cfg.servers[0].prefix, sizeof(cfg.servers[0].prefix), "999");
	snprintf(cfg.servers[0].ip, sizeof(cfg.servers[0].ip), "127.0.0.1");
	cfg.servers[0].port = server_port;
	snprintf(cfg.servers[1].prefix, sizeof(cfg.servers[1].prefix), "888");
	snprintf(cfg.servers[1].dns_name, sizeof(cfg.servers[1].dns_name), "\\2.\\1.x25.test");
	snprintf(cfg.servers[1].dns_pattern, sizeof(cfg.servers[1].dns_pattern), "^(...)(...)");
	cfg.servers[1].port = 1998;
	cfg.nroutes = 2;
	snprintf(cfg.routes[0], sizeof(cfg.routes[0]), "127001");
	snprintf(cfg.routes[1], sizeof(cfg.routes[1]), "127002");
	snprintf(cfg.xot_listen, sizeof(cfg.xot_listen), "127.0.0.1:%d", free_port());
	assert_int_equal(config_parse_endpoint(cfg.xot_listen, &cfg.xot_listen_addr, &(const char *){NULL}), 0);
	cfg.nallow = 1;
	cfg.xot_allow[0] = (struct config_network){.family = AF_INET, .bits = 8, .addr = {127}};
	cfg.xot_call_request_timeout_ms = 300;
	loop = loop_new();
	assert_non_null(loop);
	relay_init(&relay, loop, &cfg);
	add_tun(0, "127001");
	add_tun(1, "127002");
	if (xot_start(&relay, err, sizeof(err)) < 0)
		fail_msg("xot_start: %s", err);
	return 0;
}

static int teardown(void **state)
{
	xot_stop(&relay);
	for (unsigned i = 0; i < 2; i++) {
		loop_del(loop, &relay.tuns[i]->watch);
		close(kernel_fd[i]);
		tun_free(relay.tuns[i]);
	}
	close(server_fd);
	memset(&relay, 0, sizeof(relay));
	loop_free(loop);
	return 0;
}

/* ---- running the loop until the test has something to read ---- */

static bool timed_out;

static void stop_loop(void *ctx, uint32_t events)
{
	loop_stop(loop);
}

static void deadline(void *ctx)
{
	timed_out = true;
	loop_stop(loop);
}

/* Run x25lo's loop until fd is readable (or a second passes: a failure). */
static void run_until_readable(int fd)
{
	struct io_watch w;
	struct timer t;
	struct pollfd p = {.fd = fd, .events = POLLIN};

	if (poll(&p, 1, 0) == 1)
		return;
	timed_out = false;
	assert_int_equal(loop_add(loop, &w, fd, EPOLLIN, stop_loop, NULL), 0);
	timer_init(&t, deadline, NULL);
	timer_set(loop_timers(loop), &t, loop_now_ms() + 1000);
	assert_int_equal(loop_run(loop, daemon_after_batch, &relay), 0);
	timer_cancel(&t);
	loop_del(loop, &w);
	if (timed_out)
		fail_msg("nothing became readable within a second");
}

/* Run the loop for what is pending now (x25lo reads what the test just wrote). */
static void run_pending(void)
{
	struct timer t;

	timer_init(&t, deadline, NULL);
	timer_set(loop_timers(loop), &t, loop_now_ms() + 20);
	loop_run(loop, daemon_after_batch, &relay);
	timer_cancel(&t);
}

/* ---- the kernel side ---- */

static void kernel_sends(unsigned i, const uint8_t *packet, size_t len)
{
	uint8_t frame[5 + 512] = {0, 0, 0x08, 0x05, 0};

	memcpy(frame + 5, packet, len);
	assert_int_equal(write(kernel_fd[i], frame, 5 + len), (ssize_t)(5 + len));
	/* One batch of x25lo's loop: the read, then what the loop does after a batch. */
	relay_tun_readable(relay.tuns[i], 0);
	daemon_after_batch(&relay);
}
/* The kernel behind TUN i writes a frame that x25lo has not read yet. */
static void kernel_queues(unsigned i, const uint8_t *packet, size_t len)
{
	uint8_t frame[5 + 512] = {0, 0, 0x08, 0x05, 0};

	memcpy(frame + 5, packet, len);
	assert_int_equal(write(kernel_fd[i], frame, 5 + len), (ssize_t)(5 + len));
}
#define KERNEL_QUEUES(i, ...) kernel_queues(i, (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

#define KERNEL_SENDS(i, ...) kernel_sends(i, (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

static void kernel_receives(unsigned i, const uint8_t *packet, size_t len)
{
	uint8_t frame[5 + 512];
	ssize_t n;

	run_until_readable(kernel_fd[i]);
	n = read(kernel_fd[i], frame, sizeof(frame));
	assert_true(n >= 5);
	assert_int_equal((size_t)n - 5, len);
	assert_memory_equal(frame + 5, packet, len);
}
#define KERNEL_RECEIVES(i, ...)                                                                    \
	kernel_receives(i, (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

/* ---- the XOT peer side ---- */

static void peer_sends(int fd, const uint8_t *packet, size_t len)
{
	uint8_t buf[4 + 512] = {0, 0, (uint8_t)(len >> 8), (uint8_t)len};

	memcpy(buf + 4, packet, len);
	assert_int_equal(send(fd, buf, 4 + len, MSG_NOSIGNAL), (ssize_t)(4 + len));
	run_pending();
}
#define PEER_SENDS(fd, ...) peer_sends(fd, (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

static void read_exactly(int fd, uint8_t *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n;

		run_until_readable(fd);
		n = recv(fd, buf + got, len - got, MSG_DONTWAIT);
		if (n <= 0)
			fail_msg("the XOT connection ended after %zu of %zu bytes", got, len);
		got += (size_t)n;
	}
}

/* The next XOT packet: the header must be version 0 and the packet's length. */
static size_t peer_receives_any(int fd, uint8_t *packet, size_t cap)
{
	uint8_t h[4];
	size_t len;

	read_exactly(fd, h, 4);
	assert_int_equal(h[0] | h[1], 0);
	len = (size_t)h[2] << 8 | h[3];
	assert_true(len >= 3 && len <= cap);
	read_exactly(fd, packet, len);
	return len;
}

static void peer_receives(int fd, const uint8_t *want, size_t len)
{
	uint8_t got[512];

	assert_int_equal(peer_receives_any(fd, got, sizeof(got)), len);
	assert_memory_equal(got, want, len);
}
#define PEER_RECEIVES(fd, ...) peer_receives(fd, (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

/* The connection is closed by x25lo: EOF (or a reset) once what it sent was read. */
static void peer_sees_close(int fd)
{
	uint8_t byte;

	run_until_readable(fd);
	assert_true(recv(fd, &byte, 1, MSG_DONTWAIT) <= 0);
}

static int accept_call(void)
{
	int fd;

	run_until_readable(server_fd);
	fd = accept4(server_fd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

static int connect_to_x25lo(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&relay.cfg.xot_listen_addr, sizeof(struct sockaddr_in)), 0);
	run_pending(); /* x25lo accepts */
	return fd;
}

static unsigned active_calls(void)
{
	return relay_calls_active(&relay);
}

/* What x25lo logs while -trace is on (stderr into a file), without the timestamps. */
static char trace_text[2048];
static int saved_stderr = -1;
static FILE *trace_file;

static void trace_start(void)
{
	trace_file = tmpfile();
	assert_non_null(trace_file);
	saved_stderr = dup(STDERR_FILENO);
	dup2(fileno(trace_file), STDERR_FILENO);
	log_trace_on = true;
}

static const char *trace_stop(void)
{
	size_t n;

	log_trace_on = false;
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	rewind(trace_file);
	n = fread(trace_text, 1, sizeof(trace_text) - 1, trace_file);
	trace_text[n] = '\0';
	fclose(trace_file);
	return trace_text;
}

/* ---- outgoing calls ---- */

/* 127001 (tunlb1's kernel, LCI 1) calls 999123: over XOT to the test's server. */
static int connect_outgoing_call(void)
{
	int fd;

	/* The kernel's CALL REQUEST has no facilities: x25lo makes packet and window size explicit. */
	KERNEL_SENDS(1, 0x10, 0x01, 0x0B, 0x66, 0x99, 0x91, 0x23, 0x12, 0x70, 0x01, 0x00, 'C');
	fd = accept_call();
	PEER_RECEIVES(fd, 0x10, 0x01, 0x0B, 0x66, 0x99, 0x91, 0x23, 0x12, 0x70, 0x01, 0x06, 0x42, 0x07, 0x07, 0x43,
		      0x02, 0x02, 'C');
	PEER_SENDS(fd, 0x10, 0x01, 0x0F, 0x00, 0x06, 0x42, 0x07, 0x07, 0x43, 0x02, 0x02);
	KERNEL_RECEIVES(1, 0x10, 0x01, 0x0F, 0x00, 0x06, 0x42, 0x07, 0x07, 0x43, 0x02, 0x02);
	assert_int_equal(relay.calls_by_state[CALL_CONNECTED], 1);
	return fd;
}

static void a_call_to_a_server_prefix_goes_over_xot_both_ways_and_clears_cleanly(void **state)
{
	int fd = connect_outgoing_call();
	char *sessions;

	KERNEL_SENDS(1, 0x10, 0x01, 0x00, 'h', 'i');
	PEER_RECEIVES(fd, 0x10, 0x01, 0x00, 'h', 'i');
	PEER_SENDS(fd, 0x10, 0x07, 0x22, 'y', 'o'); /* the peer's LCN means nothing: LCI 1 towards the kernel */
	KERNEL_RECEIVES(1, 0x10, 0x01, 0x22, 'y', 'o');
	sessions = stats_render_sessions(&relay);
	assert_non_null(strstr(sessions, "\"callee\": {\"xot\": \"xot0\", \"peer\": \"127.0.0.1:"));
	free(sessions);
	/* The peer hangs up: the kernel gets the CLEAR, x25lo confirms to the peer, TCP closes. */
	PEER_SENDS(fd, 0x10, 0x07, 0x13, 0x00, 0x00);
	KERNEL_RECEIVES(1, 0x10, 0x01, 0x13, 0x00, 0x00);
	PEER_RECEIVES(fd, 0x10, 0x01, 0x17);
	peer_sees_close(fd);
	KERNEL_SENDS(1, 0x10, 0x01, 0x17);
	run_pending();
	assert_int_equal(active_calls(), 0);
	assert_int_equal(xot_legs_mapped(&relay), 0);
	assert_int_equal(xot_peer_at(&relay, 0)->counters.calls_out, 1);
	close(fd);
}

/* /varz shows the connections as goxot's "xot" interface and per peer; /metrics per peer too. */
static void xot_figures_appear_in_varz_and_metrics(void **state)
{
	int fd = connect_outgoing_call();
	char *varz, *metrics;

	KERNEL_SENDS(1, 0x10, 0x01, 0x00, 'h', 'i');
	PEER_RECEIVES(fd, 0x10, 0x01, 0x00, 'h', 'i');
	varz = stats_render_varz(&relay);
	metrics = stats_render_metrics(&relay);
	/* Sent to the peer: the CALL REQUEST and the DATA. */
	assert_non_null(strstr(varz, "\"interface_call_request\": {\"tunlb0\": 0, \"tunlb1\": 1, \"xot\": 0}"));
	assert_non_null(strstr(varz, "\"interface_packets_sent\": {\"tunlb0\": 0, \"tunlb1\": 1, \"xot\": 2}"));
	assert_non_null(strstr(varz, "\"xot_peer_calls_out\": {\"127.0.0.1\": 1}"));
	assert_non_null(strstr(varz, "\"xot_peer_packets_sent\": {\"127.0.0.1\": 2}"));
	assert_non_null(strstr(varz, "\"xot_peer_connections_active\": {\"127.0.0.1\": 1}"));
	assert_non_null(strstr(varz, "\"xot_connections\": 1"));
	assert_non_null(strstr(metrics, "x25lo_xot_peer_calls_total{peer=\"127.0.0.1\",direction=\"out\"} 1\n"));
	assert_non_null(strstr(metrics, "x25lo_xot_peer_failures_total{peer=\"127.0.0.1\",reason=\"refused\"} 0\n"));
	assert_non_null(strstr(metrics, "x25lo_xot_connections 1\n"));
	free(varz);
	free(metrics);
	close(fd);
	KERNEL_RECEIVES(1, 0x10, 0x01, 0x13, 0x09, 0x00);
	KERNEL_SENDS(1, 0x10, 0x01, 0x17);
	metrics = stats_render_metrics(&relay);
	assert_non_null(strstr(metrics, "x25lo_xot_failures_total{reason=\"closed\"} 1\n"));
	assert_non_null(strstr(metrics, "x25lo_xot_peer_connections{peer=\"127.0.0.1\"} 0\n"));
	free(metrics);
}

/*
 * Two sockets on the caller's kernel took LCI 1 (docs/linux-x25.md §9.3): the second one's
 * CALL REQUEST waits unread in tunlb1 when the XOT peer accepts the first. x25lo reads
 * tunlb1 before it relays the CALL ACCEPTED, so the reuse clears the call first and the
 * kernel never gets a CALL ACCEPTED it could hand to the wrong socket.
 */
static void a_call_accepted_over_xot_waits_for_what_the_callers_kernel_sent_before(void **state)
{
	struct pollfd p = {.fd = kernel_fd[1], .events = POLLIN};
	int fd;

	KERNEL_SENDS(1, 0x10, 0x01, 0x0B, 0x66, 0x99, 0x91, 0x23, 0x12, 0x70, 0x01, 0x00, 'C');
	fd = accept_call();
	PEER_RECEIVES(fd, 0x10, 0x01, 0x0B, 0x66, 0x99, 0x91, 0x23, 0x12, 0x70, 0x01, 0x06, 0x42, 0x07, 0x07, 0x43,
		      0x02, 0x02, 'C');
	/* The loop does not watch tunlb1 meanwhile: only x25lo's own read-ahead can see the frame. */
	loop_del(loop, &relay.tuns[1]->watch);
	KERNEL_QUEUES(1, 0x10, 0x01, 0x0B, 0x66, 0x99, 0x91, 0x23, 0x12, 0x70, 0x01, 0x00, 'C');
	PEER_SENDS(fd, 0x10, 0x01, 0x0F, 0x00, 0x06, 0x42, 0x07, 0x07, 0x43, 0x02, 0x02);
	assert_int_equal(relay.counters.lci_reused, 1);
	assert_int_equal(relay.counters.calls_connected, 0);
	assert_int_equal(loop_add(loop, &relay.tuns[1]->watch, relay.tuns[1]->fd, EPOLLIN, relay_tun_readable,
				  relay.tuns[1]), 0);
	KERNEL_RECEIVES(1, 0x10, 0x01, 0x13, 0x05, 0x48); /* both sockets on LCI 1 */
	KERNEL_RECEIVES(1, 0x10, 0x01, 0x13, 0x05, 0x48);
	assert_int_equal(poll(&p, 1, 0), 0); /* and no CALL ACCEPTED */
	PEER_RECEIVES(fd, 0x10, 0x01, 0x13, 0x05, 0x48);
	PEER_SENDS(fd, 0x10, 0x01, 0x17);
	peer_sees_close(fd);
	assert_int_equal(active_calls(), 0);
	close(fd);
}

static void a_local_clear_reaches_the_peer_and_waits_for_its_confirmation(void **state)
{
	int fd = connect_outgoing_call();

	KERNEL_SENDS(1, 0x10, 0x01, 0x13, 0x00, 0x42);
	KERNEL_RECEIVES(1, 0x10, 0x01, 0x17);
	PEER_RECEIVES(fd, 0x10, 0x01, 0x13, 0x00, 0x42);
	assert_int_equal(relay.calls_by_state[CALL_CLEARING], 1);
	PEER_SENDS(fd, 0x10, 0x01, 0x17);
	peer_sees_close(fd);
	assert_int_equal(active_calls(), 0);
	close(fd);
}

static void the_peer_closing_mid_call_clears_the_local_side_with_out_of_order(void **state)
{
	int fd = connect_outgoing_call();

	close(fd);
	KERNEL_RECEIVES(1, 0x10, 0x01, 0x13, 0x09, 0x00);
	KERNEL_SENDS(1, 0x10, 0x01, 0x17);
	assert_int_equal(active_calls(), 0);
	assert_int_equal(xot_peer_at(&relay, 0)->counters.failures[XOT_FAIL_CLOSED], 1);
}

static void a_bad_xot_header_closes_the_connection_and_clears_with_a_procedure_error(void **state)
{
	int fd = connect_outgoing_call();
	static const uint8_t bad[] = {0, 1, 0, 3, 0x10, 0x01, 0x00};

	assert_int_equal(send(fd, bad, sizeof(bad), MSG_NOSIGNAL), (ssize_t)sizeof(bad));
	KERNEL_RECEIVES(1, 0x10, 0x01, 0x13, 0x11, 0x00);
	peer_sees_close(fd);
	KERNEL_SENDS(1, 0x10, 0x01, 0x17);
	assert_int_equal(active_calls(), 0);
	assert_int_equal(xot_peer_at(&relay, 0)->counters.failures[XOT_FAIL_PROTOCOL], 1);
	close(fd);
}

static void restart_and_diagnostic_from_the_peer_are_discarded(void **state)
{
	int fd = connect_outgoing_call();

	PEER_SENDS(fd, 0x10, 0x00, 0xFB, 0x00, 0x00);
	PEER_SENDS(fd, 0x10, 0x00, 0xF1, 0x00);
	PEER_SENDS(fd, 0x10, 0x01, 0x00, 'k');
	KERNEL_RECEIVES(1, 0x10, 0x01, 0x00, 'k'); /* the next thing the kernel sees is the data */
	assert_int_equal(relay.calls_by_state[CALL_CONNECTED], 1);
	close(fd);
	KERNEL_RECEIVES(1, 0x10, 0x01, 0x13, 0x09, 0x00);
	KERNEL_SENDS(1, 0x10, 0x01, 0x17);
}

static void a_refused_connection_clears_the_caller_at_once(void **state)
{
	int port = free_port();
	struct port_counters sum;

	relay.cfg.servers[0].port = port; /* nobody listens there */
	KERNEL_SENDS(1, 0x10, 0x01, 0x0B, 0x66, 0x99, 0x91, 0x23, 0x12, 0x70, 0x01, 0x00);
	KERNEL_RECEIVES(1, 0x10, 0x01, 0x13, 0x09, 0x00);
	KERNEL_SENDS(1, 0x10, 0x01, 0x17);
	assert_int_equal(active_calls(), 0);
	assert_int_equal(xot_peer_at(&relay, 0)->counters.failures[XOT_FAIL_REFUSED], 1);
	/* The CALL REQUEST waited for a connection that never came: the xot figures send nothing. */
	xot_port_counters(&relay, &sum);
	assert_int_equal(sum.packets_sent, 0);
	assert_int_equal(sum.bytes_sent, 0);
	assert_int_equal(xot_peer_at(&relay, 0)->counters.packets_sent, 0);
}

/*
 * A server whose accept queue is full drops the SYN: the connect timeout clears the caller.
 * A reload meanwhile reorders the servers; the message still names the server of the call.
 */
static void a_connect_timeout_after_a_reload_names_the_server_of_the_call(void **state)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sin);
	int full = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), filler = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct config_server first = relay.cfg.servers[0];
	const char *text;

	/* Backlog 0 holds one connection that nobody accepts: the filler's. */
	assert_int_equal(bind(full, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(full, 0), 0);
	assert_int_equal(getsockname(full, (struct sockaddr *)&sin, &len), 0);
	assert_int_equal(connect(filler, (struct sockaddr *)&sin, sizeof(sin)), 0);
	relay.cfg.servers[0].port = ntohs(sin.sin_port);
	relay.cfg.xot_connect_timeout_ms = 100;
	KERNEL_SENDS(1, 0x10, 0x01, 0x0B, 0x66, 0x99, 0x91, 0x23, 0x12, 0x70, 0x01, 0x00);
	relay.cfg.servers[0] = relay.cfg.servers[1];
	relay.cfg.servers[1] = first;
	trace_start();
	KERNEL_RECEIVES(1, 0x10, 0x01, 0x13, 0x09, 0x00);
	text = trace_stop();
	if (!strstr(text, "no XOT connection for a call to 999123 (server 999): connect timed out"))
		fail_msg("log: %s", text);
	KERNEL_SENDS(1, 0x10, 0x01, 0x17);
	assert_int_equal(active_calls(), 0);
	assert_int_equal(relay.counters.xot_failures[XOT_FAIL_TIMEOUT], 1);
	close(filler);
	close(full);
}

static void a_server_name_that_does_not_resolve_clears_with_not_obtainable(void **state)
{
	/* 888... maps to a name under .test, which no resolver knows. */
	KERNEL_SENDS(1, 0x10, 0x01, 0x0B, 0x66, 0x88, 0x81, 0x23, 0x12, 0x70, 0x01, 0x00);
	KERNEL_RECEIVES(1, 0x10, 0x01, 0x13, 0x0D, 0x00);
	KERNEL_SENDS(1, 0x10, 0x01, 0x17);
	assert_int_equal(active_calls(), 0);
	assert_true(relay.counters.xot_failures[XOT_FAIL_DNS] >= 1);
}

static void a_local_route_wins_over_a_server_prefix(void **state)
{
	snprintf(relay.cfg.servers[0].prefix, sizeof(relay.cfg.servers[0].prefix), "127");
	KERNEL_SENDS(1, 0x10, 0x01, 0x0B, 0x66, 0x12, 0x70, 0x02, 0x12, 0x70, 0x01, 0x00);
	KERNEL_RECEIVES(0, 0x1F, 0xFF, 0x0B, 0x66, 0x12, 0x70, 0x02, 0x12, 0x70, 0x01, 0x00);
	assert_int_equal(xot_connections_open(&relay), 0);
}

/* ---- incoming calls ---- */

/* The peer calls 127002 from 555001: injected into tunlb1 (127002's TUN) on x25lo's LCI. */
static int connect_incoming_call(void)
{
	int fd = connect_to_x25lo();

	PEER_SENDS(fd, 0x10, 0x05, 0x0B, 0x66, 0x12, 0x70, 0x02, 0x55, 0x50, 0x01, 0x06, 0x42, 0x07, 0x07, 0x43,
		   0x02, 0x02);
	KERNEL_RECEIVES(1, 0x1F, 0xFF, 0x0B, 0x66, 0x12, 0x70, 0x02, 0x55, 0x50, 0x01, 0x06, 0x42, 0x07, 0x07, 0x43,
			0x02, 0x02);
	/* The kernel's CALL ACCEPTED without facilities: made explicit towards the peer. */
	KERNEL_SENDS(1, 0x1F, 0xFF, 0x0F);
	PEER_RECEIVES(fd, 0x10, 0x05, 0x0F, 0x00, 0x06, 0x42, 0x07, 0x07, 0x43, 0x02, 0x02);
	assert_int_equal(relay.calls_by_state[CALL_CONNECTED], 1);
	return fd;
}

static void an_xot_call_reaches_the_tun_of_its_called_address(void **state)
{
	int fd = connect_incoming_call();

	PEER_SENDS(fd, 0x10, 0x05, 0x00, 'x');
	KERNEL_RECEIVES(1, 0x1F, 0xFF, 0x00, 'x');
	KERNEL_SENDS(1, 0x1F, 0xFF, 0x00, 'y');
	PEER_RECEIVES(fd, 0x10, 0x05, 0x00, 'y');
	/* The local program hangs up. */
	KERNEL_SENDS(1, 0x1F, 0xFF, 0x13, 0x00, 0x00);
	KERNEL_RECEIVES(1, 0x1F, 0xFF, 0x17);
	PEER_RECEIVES(fd, 0x10, 0x05, 0x13, 0x00, 0x00);
	PEER_SENDS(fd, 0x10, 0x05, 0x17);
	peer_sees_close(fd);
	assert_int_equal(active_calls(), 0);
	assert_int_equal(xot_peer_at(&relay, 0)->counters.calls_in, 1);
	{
		struct port_counters xot;

		xot_port_counters(&relay, &xot);
		assert_int_equal(xot.call_request, 1); /* /varz interface_call_request["xot"] */
		assert_int_equal(xot.clear_confirm, 1);
	}
	close(fd);
}

/*
 * Left out, packet and window size mean the X.25 defaults to an XOT caller; a Linux listener
 * would keep its own larger values instead, so the kernel gets them explicitly (CUD kept).
 */
static void an_xot_call_without_flow_facilities_reaches_the_kernel_with_the_defaults(void **state)
{
	int fd = connect_to_x25lo();

	PEER_SENDS(fd, 0x10, 0x05, 0x0B, 0x66, 0x12, 0x70, 0x02, 0x55, 0x50, 0x01, 0x00, 0xC0, 0x01);
	KERNEL_RECEIVES(1, 0x1F, 0xFF, 0x0B, 0x66, 0x12, 0x70, 0x02, 0x55, 0x50, 0x01, 0x06, 0x42, 0x07, 0x07, 0x43,
			0x02, 0x02, 0xC0, 0x01);
	KERNEL_SENDS(1, 0x1F, 0xFF, 0x0F, 0x00, 0x06, 0x42, 0x07, 0x07, 0x43, 0x02, 0x02);
	PEER_RECEIVES(fd, 0x10, 0x05, 0x0F, 0x00, 0x06, 0x42, 0x07, 0x07, 0x43, 0x02, 0x02);
	close(fd);
	KERNEL_RECEIVES(1, 0x1F, 0xFF, 0x13, 0x09, 0x00);
	KERNEL_SENDS(1, 0x1F, 0xFF, 0x17);
	assert_int_equal(active_calls(), 0);
}

/* The XOT header written in front of a packet read from a TUN must not change its trace line. */
static void a_packet_relayed_from_a_tun_to_xot_is_traced_as_what_it_is(void **state)
{
	int fd = connect_incoming_call();
	const char *text;

	trace_start();
	KERNEL_SENDS(1, 0x1F, 0xFF, 0x00, 'y');
	PEER_RECEIVES(fd, 0x10, 0x05, 0x00, 'y');
	text = trace_stop();
	if (!strstr(text, " tunlb1>xot0 DATA 10 05 00 79\n"))
		fail_msg("trace: %s", text);
	close(fd);
	KERNEL_RECEIVES(1, 0x1F, 0xFF, 0x13, 0x09, 0x00);
	KERNEL_SENDS(1, 0x1F, 0xFF, 0x17);
}

static void an_xot_call_to_no_local_address_is_cleared_and_the_connection_closed(void **state)
{
	int fd = connect_to_x25lo();

	PEER_SENDS(fd, 0x10, 0x05, 0x0B, 0x66, 0x44, 0x40, 0x02, 0x55, 0x50, 0x01, 0x00);
	PEER_RECEIVES(fd, 0x10, 0x05, 0x13, 0x0D, 0x43);
	peer_sees_close(fd);
	assert_int_equal(active_calls(), 0);
	close(fd);
}

static void a_connection_that_sends_no_call_request_is_closed(void **state)
{
	int fd = connect_to_x25lo();

	PEER_SENDS(fd, 0x10, 0x05, 0x00, 'x'); /* before a call: discarded */
	peer_sees_close(fd);                   /* xot_call_request_timeout_ms (300 ms) later */
	assert_int_equal(xot_peer_at(&relay, 0)->counters.failures[XOT_FAIL_NO_CALL], 1);
	close(fd);
}

static void a_peer_outside_the_allow_list_is_refused(void **state)
{
	int fd;

	relay.cfg.xot_allow[0] = (struct config_network){.family = AF_INET, .bits = 32, .addr = {10, 0, 0, 1}};
	fd = connect_to_x25lo();
	peer_sees_close(fd);
	assert_int_equal(xot_peer_at(&relay, 0)->counters.failures[XOT_FAIL_NOT_ALLOWED], 1);
	assert_int_equal(xot_connections_open(&relay), 0);
	close(fd);
}

static void connections_beyond_the_cap_are_refused(void **state)
{
	int a, b;

	relay.cfg.xot_max_connections = 1;
	a = connect_to_x25lo();
	b = connect_to_x25lo();
	peer_sees_close(b);
	assert_int_equal(xot_connections_open(&relay), 1);
	assert_int_equal(xot_peer_at(&relay, 0)->counters.failures[XOT_FAIL_LIMIT], 1);
	close(a);
	close(b);
	run_pending();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(a_call_to_a_server_prefix_goes_over_xot_both_ways_and_clears_cleanly),
		T(xot_figures_appear_in_varz_and_metrics),
		T(a_call_accepted_over_xot_waits_for_what_the_callers_kernel_sent_before),
		T(a_local_clear_reaches_the_peer_and_waits_for_its_confirmation),
		T(the_peer_closing_mid_call_clears_the_local_side_with_out_of_order),
		T(a_bad_xot_header_closes_the_connection_and_clears_with_a_procedure_error),
		T(restart_and_diagnostic_from_the_peer_are_discarded),
		T(a_refused_connection_clears_the_caller_at_once),
		T(a_connect_timeout_after_a_reload_names_the_server_of_the_call),
		T(a_server_name_that_does_not_resolve_clears_with_not_obtainable),
		T(a_local_route_wins_over_a_server_prefix),
		T(an_xot_call_reaches_the_tun_of_its_called_address),
		T(an_xot_call_without_flow_facilities_reaches_the_kernel_with_the_defaults),
		T(a_packet_relayed_from_a_tun_to_xot_is_traced_as_what_it_is),
		T(an_xot_call_to_no_local_address_is_cleared_and_the_connection_closed),
		T(a_connection_that_sends_no_call_request_is_closed),
		T(a_peer_outside_the_allow_list_is_refused),
		T(connections_beyond_the_cap_are_refused),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
