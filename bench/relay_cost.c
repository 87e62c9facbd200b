// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * relay_cost.c - host microbenchmark: what x25lo's hot path costs per data frame next to a
 * plain copy (one read(), one write(), as bench/copyrelay does), on the same socketpair
 * "TUNs", with the same system calls. The difference is x25lo's own work per frame:
 * demultiplexing, the [TUN][LCI] lookup, the LCI rewrite and the counters.
 *
 *   relay_cost [FRAMES]        wall-clock ns per frame for both, best of 5 rounds
 *   valgrind --tool=callgrind relay_cost 100000   instructions (syscalls excluded)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "relay.h"

static struct relay relay;
static int kernel_fd[2];

static void add_tun(unsigned i, const char *address)
{
	struct tun *t = tun_new(&relay, "tunlb", i, address, 3072, 4095, false);
	int sv[2];

	if (!t || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv) < 0) {
		perror("relay_cost: setting up TUN stand-in (tun_new or socketpair)");
		exit(1);
	}
	t->fd = sv[0];
	t->link = LINK_READY;
	kernel_fd[i] = sv[1];
	relay.tuns[i] = t;
	relay.ntuns = i + 1;
}

static void kernel_write(unsigned i, const uint8_t *packet, size_t len)
{
	uint8_t frame[64] = {0, 0, 0x08, 0x05, X25_IFACE_DATA};

	memcpy(frame + TUN_FRAME_HEADER, packet, len);
	if (write(kernel_fd[i], frame, TUN_FRAME_HEADER + len) < 0) {
		perror("relay_cost: write");
		exit(1);
	}
}

static void kernel_drain(unsigned i)
{
	uint8_t frame[256];

	while (read(kernel_fd[i], frame, sizeof(frame)) > 0)
		;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* A data frame of a connected call on tunlb1 LCI 1: x25lo relays it to tunlb0 LCI 4095. */
static const uint8_t data_packet[] = {0x10, 0x01, 0x22, 'p', 'a', 'y', 'l', 'o', 'a', 'd'};

static double run_x25lo(long frames)
{
	double start = now_ns();

	for (long n = 0; n < frames; n++) {
		kernel_write(1, data_packet, sizeof(data_packet));
		relay_tun_readable(relay.tuns[1], 0);
		kernel_drain(0);
	}
	return (now_ns() - start) / (double)frames;
}

static double run_copy(long frames)
{
	static uint8_t buf[4 + 1 + 65535 + 64];
	double start = now_ns();

	for (long n = 0; n < frames; n++) {
		ssize_t len;

		kernel_write(1, data_packet, sizeof(data_packet));
		/* What copyrelay does per wake-up: read until EAGAIN, write each frame as it is. */
		while ((len = read(relay.tuns[1]->fd, buf, sizeof(buf))) > 0)
			if (write(relay.tuns[0]->fd, buf, (size_t)len) < 0) {
				perror("relay_cost: copy write");
				exit(1);
			}
		kernel_drain(0);
	}
	return (now_ns() - start) / (double)frames;
}

int main(int argc, char **argv)
{
	long frames = 200000;
	double best_x25lo = 1e18, best_copy = 1e18;
	struct config cfg;
	struct loop *loop;

	if (argc > 1) {
		char *end;

		frames = strtol(argv[1], &end, 10);
		if (end == argv[1] || *end != '\0' || frames <= 0) {
			fprintf(stderr, "relay_cost: FRAMES \"%s\" must be a positive whole number "
					"(usage: relay_cost [FRAMES])\n", argv[1]);
			return 2;
		}
	}

	loop = loop_new();
	if (!loop) {
		perror("relay_cost: loop_new");
		return 1;
	}
	config_defaults(&cfg);
	relay_init(&relay, loop, &cfg);
	add_tun(0, "127001");
	add_tun(1, "127002");
	kernel_write(1, (const uint8_t[]){0x10, 0x01, 0x0B, 0x66, 0x12, 0x70, 0x02, 0x12, 0x70, 0x01, 0x00}, 11);
	relay_tun_readable(relay.tuns[1], 0);
	kernel_drain(0);
	kernel_write(0, (const uint8_t[]){0x1F, 0xFF, 0x0F}, 3);
	relay_tun_readable(relay.tuns[0], 0);
	kernel_drain(1);
	if (relay.calls_by_state[CALL_CONNECTED] != 1) {
		fprintf(stderr, "relay_cost: the call did not connect\n");
		return 1;
	}
	for (int round = 0; round < 5; round++) {
		double c = run_copy(frames), x = run_x25lo(frames);

		best_copy = c < best_copy ? c : best_copy;
		best_x25lo = x < best_x25lo ? x : best_x25lo;
	}
	printf("frames per round: %ld (best of 5 rounds)\n", frames);
	printf("copy:  %.1f ns per frame (read until EAGAIN + write)\n", best_copy);
	printf("x25lo: %.1f ns per frame (relay_tun_readable: decode, [TUN][LCI] lookup, LCI rewrite, counters)\n",
	       best_x25lo);
	printf("x25lo - copy: %+.1f ns per frame\n", best_x25lo - best_copy);
	return 0;
}
