// SPDX-License-Identifier: GPL-2.0-or-later
/* run.c - state shared by a run's threads, and the socket settings both modes use. */
#include "x25stress.h"
#include "x25lib.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

int stress_run_init(struct stress_run *run, const struct stress_options *opts, time_t start_time)
{
	struct tm local;

	memset(run, 0, sizeof(*run));
	run->opts = opts;
	stress_counters_init(&run->counters);
	atomic_init(&run->calling_seq, 0);
	run->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (run->stop_fd < 0) {
		fprintf(stderr, "x25stress: eventfd: %s\n", strerror(errno));
		return -1;
	}
	run->deadline_ns = x25_monotonic_ns() + (uint64_t)opts->run_time_s * 1000000000u;
	localtime_r(&start_time, &local);
	run->start_hour = local.tm_hour;
	run->start_minute = local.tm_min;
	stress_calling_base(opts, run->calling_base);
	run->called_start = strtoll(opts->called_start, NULL, 10);
	run->called_end = strtoll(opts->called_end, NULL, 10);
	run->called_width = (int)strlen(opts->called_start);
	return 0;
}

void stress_run_destroy(struct stress_run *run)
{
	if (run->xot_peer)
		freeaddrinfo(run->xot_peer);
	run->xot_peer = NULL;
	latency_free(&run->call_setup);
	latency_free(&run->echo);
	if (run->stop_fd >= 0)
		close(run->stop_fd);
	run->stop_fd = -1;
}

void stress_run_stop(struct stress_run *run)
{
	uint64_t one = 1;

	/* An eventfd write only fails if the counter would overflow: it is readable already. */
	if (write(run->stop_fd, &one, sizeof(one)) < 0)
		return;
}

void stress_socket_options(struct stress_run *run, int sock, int rcvtimeo_s)
{
	struct timeval timeout = { .tv_sec = rcvtimeo_s };

	if (setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)) < 0) {
		stress_count(&run->counters.setsockopt_errors);
		perror("setsockopt(SO_RCVTIMEO)");
	}
	/* Each send starts with a Q-bit indicator byte, each record read starts with one. */
	if (x25_set_qbitincl(sock) < 0) {
		stress_count(&run->counters.setsockopt_errors);
		perror("setsockopt(X25_QBITINCL)");
	}
}

int stress_request_facilities(struct stress_run *run, int sock)
{
	const struct stress_options *opts = run->opts;

	if (x25_request_facilities(sock, opts->window, (unsigned)opts->packet_size_log2) < 0) {
		stress_count(&run->counters.facilities_errors);
		perror("ioctl(SIOCX25SFACILITIES)");
		return -1;
	}
	return 0;
}

void stress_record_facilities(struct stress_run *run, int sock)
{
	struct x25_facilities facilities;

	if (x25_get_facilities(sock, &facilities) < 0 || facilities.pacsize_in > 16 ||
	    facilities.pacsize_out > 16)
		return;
	stress_counters_facilities(&run->counters, 1 << facilities.pacsize_in,
				   1 << facilities.pacsize_out, (int)facilities.winsize_in,
				   (int)facilities.winsize_out);
}
