// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * callrec_cost.c - host microbenchmark: what call records (callrec.c) cost. Whole calls
 * (CALL REQUEST, CALL ACCEPTED, CLEAR REQUEST, CLEAR CONFIRMATION) go through x25lo on
 * socketpair "TUNs", each packet one batch of the loop as in the daemon, with records off, to
 * a file, and to /dev/null; then the record writer alone, for batches of 1 and 64 records.
 *
 *   callrec_cost [CALLS [off|file|null|writer] [DIR]]   CPU ns per call (user and system),
 *       best of 3 rounds; the file goes in DIR (default /var/tmp) and is removed afterwards
 *   valgrind --tool=callgrind callrec_cost 20000 off   (and file): instructions per call,
 *       system calls excluded; the difference is the record's own work
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "callrec.h"
#include "daemon.h"
#include "relay.h"

static struct relay relay;
static int kernel_fd[2];

static void fail(const char *what)
{
	perror(what);
	exit(1);
}

static void tun_pair(void)
{
	for (unsigned i = 0; i < 2; i++) {
		struct tun *t = tun_new(&relay, "tunlb", i, i ? "127002" : "127001", 3072, 4095, false);
		int sv[2];

		if (!t || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv) < 0)
			fail("callrec_cost: a TUN stand-in (tun_new or socketpair)");
		t->fd = sv[0];
		t->link = LINK_READY;
		kernel_fd[i] = sv[1];
		relay.tuns[i] = t;
		relay.ntuns = i + 1;
	}
}

/* Kernel i sends packet; x25lo handles it as one batch of its loop; the other kernel's frames are read. */
static void batch(unsigned i, const uint8_t *packet, size_t len)
{
	uint8_t frame[64] = {0, 0, 0x08, 0x05, 0};

	memcpy(frame + 5, packet, len);
	if (write(kernel_fd[i], frame, 5 + len) < 0)
		fail("callrec_cost: write");
	relay_tun_readable(relay.tuns[i], 0);
	daemon_after_batch(&relay);
	for (unsigned k = 0; k < 2; k++)
		while (read(kernel_fd[k], frame, sizeof(frame)) > 0)
			;
}

/* CPU time of the process (user and system): the machine may be busy with other work. */
static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* CALLS whole calls from 127001 (tunlb1, LCI 1) to 127002 (injected into tunlb0); ns per call. */
static double run_calls(long calls)
{
	static const uint8_t request[] = {0x10, 0x01, 0x0B, 0x66, 0x12, 0x70, 0x02, 0x12, 0x70, 0x01,
					  0x06, 0x42, 0x07, 0x07, 0x43, 0x02, 0x02, 0xC0, 0xF7, 0x00, 0x00};
	static const uint8_t accepted[] = {0x1F, 0xFF, 0x0F, 0x00, 0x06, 0x42, 0x07, 0x07, 0x43, 0x02, 0x02};
	static const uint8_t clear[] = {0x10, 0x01, 0x13, 0x00, 0x00};
	double start = now_ns();

	for (long n = 0; n < calls; n++) {
		/* The injected LCI moves down the range each call: its last byte is that LCI's. */
		uint16_t lci = 4095 - (uint16_t)(n % 1024);
		uint8_t acc[sizeof(accepted)], confirm[3] = {0x10 | (uint8_t)(lci >> 8), (uint8_t)lci, 0x17};

		memcpy(acc, accepted, sizeof(acc));
		acc[0] = confirm[0];
		acc[1] = confirm[1];
		batch(1, request, sizeof(request));
		batch(0, acc, sizeof(acc));
		batch(1, clear, sizeof(clear));
		batch(0, confirm, sizeof(confirm));
	}
	if (relay_calls_active(&relay) != 0) {
		fprintf(stderr, "callrec_cost: calls did not end (%u left)\n", relay_calls_active(&relay));
		exit(1);
	}
	return (now_ns() - start) / (double)calls;
}

/* The writer alone: records of one ended call, flushed every per_write; ns per record. */
static double run_writer(long records, unsigned per_write)
{
	const struct call *call = &relay.tuns[0]->calls[4095 - 3072];
	double start = now_ns();

	for (long n = 0; n < records; n++) {
		callrec_call_ended(relay.callrec, call);
		if ((n + 1) % per_write == 0)
			callrec_flush(relay.callrec);
	}
	callrec_flush(relay.callrec);
	return (now_ns() - start) / (double)records;
}

static void records_to(const char *path)
{
	char err[512];

	snprintf(relay.cfg.call_records, sizeof(relay.cfg.call_records), "%s", path);
	relay.callrec = callrec_open(&relay, err, sizeof(err));
	if (!relay.callrec) {
		fprintf(stderr, "callrec_cost: %s\n", err);
		exit(1);
	}
}

/* A fresh relay on a fresh loop, records to records (NULL: off). */
static void setup(const char *records)
{
	struct loop *loop = loop_new();
	struct config cfg;

	if (!loop)
		fail("callrec_cost: loop_new");
	memset(&relay, 0, sizeof(relay));
	config_defaults(&cfg);
	relay_init(&relay, loop, &cfg);
	tun_pair();
	if (records)
		records_to(records);
}

static void teardown(void)
{
	callrec_close(relay.callrec);
	for (unsigned i = 0; i < 2; i++) {
		close(kernel_fd[i]);
		tun_free(relay.tuns[i]);
	}
	loop_free(relay.loop);
}

static void measure(const char *mode, const char *records, long calls)
{
	double best = 1e18;

	for (int round = 0; round < 3; round++) {
		double ns;

		setup(records);
		ns = run_calls(calls);
		best = ns < best ? ns : best;
		teardown();
	}
	printf("records %-5s %8.0f ns of CPU per call (%ld calls, best of 3)\n", mode, best, calls);
}

int main(int argc, char **argv)
{
	long calls = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
	const char *only = argc > 2 ? argv[2] : NULL, *dir = argc > 3 ? argv[3] : "/var/tmp";
	char path[512];

	if (calls <= 0 || (only && strcmp(only, "off") && strcmp(only, "file") && strcmp(only, "null") &&
			   strcmp(only, "writer"))) {
		fprintf(stderr, "usage: callrec_cost [CALLS [off|file|null|writer] [DIR]]\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/callrec_cost.%d.json", dir, (int)getpid());
	if (!only || !strcmp(only, "off"))
		measure("off", NULL, calls);
	if (!only || !strcmp(only, "file"))
		measure("file", path, calls);
	if (!only || !strcmp(only, "null"))
		measure("null", "/dev/null", calls);
	if (!only || !strcmp(only, "writer")) {
		/* One call left in its slot after it ended: a record's worth of fields. */
		setup(path);
		run_calls(1);
		for (unsigned per_write = 1; per_write <= 64; per_write *= 64) {
			double best = 1e18;

			for (int round = 0; round < 3; round++) {
				double ns = run_writer(calls * 4, per_write);

				best = ns < best ? ns : best;
			}
			printf("writer: %5.0f ns of CPU per record, %u record%s per write(2) (%.0f records/s)\n", best,
			       per_write, per_write == 1 ? "" : "s", 1e9 / best);
		}
		teardown();
	}
	unlink(path);
	return 0;
}
