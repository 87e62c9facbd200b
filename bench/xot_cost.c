// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xot_cost.c - host microbenchmark: what x25lo's XOT side costs per DATA packet, next to
 * relay_cost's TUN to TUN figure. One call from a TUN stand-in (a socketpair, as in
 * relay_cost) to an XOT peer the benchmark plays on 127.0.0.1, then DATA packets one at a
 * time in each direction through x25lo's real code and loop:
 *
 *   out: the kernel writes a DATA frame; x25lo reads it (relay_tun_readable), queues it
 *        and sends it after the batch (daemon_after_batch); the peer reads it.
 *   in:  the peer sends a DATA packet; x25lo's loop wakes, reads it (one recv), relays
 *        it into the TUN; the kernel reads it.
 *
 *   xot_cost [PACKETS]        wall-clock ns per packet each way, best of 5 rounds
 *   valgrind --tool=callgrind xot_cost 20000   instructions (syscalls excluded)
 *   strace -c -e trace=sendto,recvfrom xot_cost --burst 32 1000
 *                             1000 bursts of 32 packets each way: x25lo should make one
 *                             send per burst out and one recv per burst in
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "relay.h"
#include "xot.h"

static struct relay relay;
static struct loop *loop;
static int kernel_fd;
static int peer_fd = -1;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void stop_loop(void *ctx, uint32_t events)
{
	loop_stop(loop);
}

/* Run x25lo's loop until fd is readable. */
static void run_until_readable(int fd)
{
	struct io_watch w;

	if (loop_add(loop, &w, fd, EPOLLIN, stop_loop, NULL) < 0)
		die("xot_cost: loop_add");
	if (loop_run(loop, daemon_after_batch, &relay) < 0)
		die("xot_cost: loop_run");
	loop_del(loop, &w);
}

static void kernel_write(const uint8_t *packet, size_t len)
{
	uint8_t frame[64] = {0, 0, 0x08, 0x05, X25_IFACE_DATA};

	memcpy(frame + TUN_FRAME_HEADER, packet, len);
	if (write(kernel_fd, frame, TUN_FRAME_HEADER + len) < 0)
		die("xot_cost: kernel write");
}

static void kernel_read(void)
{
	uint8_t frame[256];

	if (read(kernel_fd, frame, sizeof(frame)) <= 0)
		die("xot_cost: kernel read");
}

static void peer_read(size_t len)
{
	uint8_t buf[256];
	size_t got = 0;

	while (got < len) {
		ssize_t n = recv(peer_fd, buf, len - got, 0);

		if (n <= 0)
			die("xot_cost: peer recv");
		got += (size_t)n;
	}
}

static void peer_send(const uint8_t *packet, size_t len)
{
	uint8_t buf[4 + 64] = {0, 0, 0, (uint8_t)len};

	memcpy(buf + 4, packet, len);
	if (send(peer_fd, buf, 4 + len, 0) != (ssize_t)(4 + len))
		die("xot_cost: peer send");
}

static const uint8_t data_packet[] = {0x10, 0x01, 0x22, 'p', 'a', 'y', 'l', 'o', 'a', 'd'};

static double run_out(long packets)
{
	double start = now_ns();

	for (long n = 0; n < packets; n++) {
		kernel_write(data_packet, sizeof(data_packet));
		relay_tun_readable(relay.tuns[0], EPOLLIN);
		daemon_after_batch(&relay);
		peer_read(4 + sizeof(data_packet));
	}
	return (now_ns() - start) / (double)packets;
}

/* BURST packets from the kernel in one batch, then BURST packets from the peer in one send. */
static void run_bursts(long bursts, unsigned burst)
{
	uint8_t buf[(4 + sizeof(data_packet)) * 64];

	for (unsigned i = 0; i < burst; i++) {
		memcpy(buf + i * (4 + sizeof(data_packet)), (const uint8_t[]){0, 0, 0, sizeof(data_packet)}, 4);
		memcpy(buf + i * (4 + sizeof(data_packet)) + 4, data_packet, sizeof(data_packet));
	}
	for (long n = 0; n < bursts; n++) {
		for (unsigned i = 0; i < burst; i++)
			kernel_write(data_packet, sizeof(data_packet));
		relay_tun_readable(relay.tuns[0], EPOLLIN);
		daemon_after_batch(&relay);
		peer_read(burst * (4 + sizeof(data_packet)));
		if (send(peer_fd, buf, burst * (4 + sizeof(data_packet)), 0) < 0)
			die("xot_cost: peer send");
		for (unsigned i = 0; i < burst; i++) {
			run_until_readable(kernel_fd);
			kernel_read();
		}
	}
}

static double run_in(long packets)
{
	double start = now_ns();

	for (long n = 0; n < packets; n++) {
		peer_send(data_packet, sizeof(data_packet));
		run_until_readable(kernel_fd);
		kernel_read();
	}
	return (now_ns() - start) / (double)packets;
}

/* The call: the kernel calls 999123 from 127001; the peer accepts with explicit facilities. */
static void set_up_call(int server_fd)
{
	static const uint8_t call[] = {0x10, 0x01, 0x0B, 0x66, 0x99, 0x91, 0x23, 0x12, 0x70, 0x01, 0x00};
	static const uint8_t accepted[] = {0x10, 0x01, 0x0F, 0x00, 0x06, 0x42, 0x07, 0x07, 0x43, 0x02, 0x02};
	int one = 1;

	kernel_write(call, sizeof(call));
	relay_tun_readable(relay.tuns[0], EPOLLIN);
	daemon_after_batch(&relay);
	run_until_readable(server_fd);
	peer_fd = accept(server_fd, NULL, NULL);
	if (peer_fd < 0)
		die("xot_cost: accept");
	setsockopt(peer_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	run_until_readable(peer_fd); /* x25lo's connect completes and the CALL REQUEST goes out */
	peer_read(4 + sizeof(call) + 6); /* the CALL REQUEST with the two facilities x25lo adds */
	peer_send(accepted, sizeof(accepted));
	run_until_readable(kernel_fd);
	kernel_read();
	if (relay.calls_by_state[CALL_CONNECTED] != 1) {
		fprintf(stderr, "xot_cost: the call did not connect\n");
		exit(1);
	}
}

int main(int argc, char **argv)
{
	long packets = 20000, burst = 0, bursts = 0;
	double best_out = 1e18, best_in = 1e18;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t slen = sizeof(sin);
	struct config cfg;
	char err[256];
	int server_fd, sv[2];
	struct tun *t;

	if (argc == 4 && strcmp(argv[1], "--burst") == 0) {
		burst = strtol(argv[2], NULL, 10);
		bursts = strtol(argv[3], NULL, 10);
		if (burst < 1 || burst > 64 || bursts < 1) {
			fprintf(stderr, "xot_cost: --burst N COUNT needs 1 <= N <= 64 and COUNT >= 1\n");
			return 2;
		}
	} else if (argc > 1) {
		char *end;

		packets = strtol(argv[1], &end, 10);
		if (end == argv[1] || *end != '\0' || packets <= 0) {
			fprintf(stderr, "xot_cost: PACKETS \"%s\" must be a positive whole number "
					"(usage: xot_cost [PACKETS])\n", argv[1]);
			return 2;
		}
	}
	server_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (server_fd < 0 || bind(server_fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(server_fd, 4) < 0 ||
	    getsockname(server_fd, (struct sockaddr *)&sin, &slen) < 0)
		die("xot_cost: the peer's listening socket on 127.0.0.1");
	loop = loop_new();
	if (!loop)
		die("xot_cost: loop_new");
	config_defaults(&cfg);
	cfg.xot_servers = true;
	cfg.nservers = 1;
	snprintf(cfg.servers[0].prefix, sizeof(cfg.servers[0].prefix), "999");
	snprintf(cfg.servers[0].ip, sizeof(cfg.servers[0].ip), "127.0.0.1");
	cfg.servers[0].port = ntohs(sin.sin_port);
	cfg.nroutes = 1;
	snprintf(cfg.routes[0], sizeof(cfg.routes[0]), "127001");
	relay_init(&relay, loop, &cfg);
	t = tun_new(&relay, "tunlb", 0, "127001", 3072, 4095, false);
	if (!t || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv) < 0)
		die("xot_cost: setting up the TUN stand-in (tun_new or socketpair)");
	t->fd = sv[0];
	t->link = LINK_READY;
	t->admin_up = true;
	kernel_fd = sv[1];
	relay.tuns[0] = t;
	relay.ntuns = 1;
	if (loop_add(loop, &t->watch, t->fd, EPOLLIN, relay_tun_readable, t) < 0)
		die("xot_cost: loop_add");
	if (xot_start(&relay, err, sizeof(err)) < 0) {
		fprintf(stderr, "xot_cost: xot_start: %s\n", err);
		return 1;
	}
	set_up_call(server_fd);
	if (burst) {
		run_bursts(bursts, (unsigned)burst);
		printf("%ld bursts of %ld packets each way\n", bursts, burst);
		return 0;
	}

	for (int round = 0; round < 5; round++) {
		double out = run_out(packets), in = run_in(packets);

		best_out = out < best_out ? out : best_out;
		best_in = in < best_in ? in : best_in;
	}
	printf("packets per round: %ld (best of 5 rounds)\n", packets);
	printf("TUN -> XOT: %.1f ns per DATA packet (read the TUN, queue, one send after the batch, peer recv)\n",
	       best_out);
	printf("XOT -> TUN: %.1f ns per DATA packet (peer send, epoll wake-up, one recv, write the TUN)\n", best_in);
	return 0;
}
