// SPDX-License-Identifier: GPL-2.0-or-later
/* x25test_load.c - load mode of `x25test call`: N calls, P at a time, outcomes counted.
 *
 * P threads take call numbers from a shared counter; each call connects, exchanges its
 * records (checked byte for byte), closes. Only the first failures are printed.
 */
#include "x25test.h"
#include "x25test_call.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Load mode: shared by all worker threads. */
struct load_state {
	const struct call_opts *opts;
	atomic_long next_call;
	atomic_long ok;
	atomic_long failed;
	atomic_long mismatches;
	atomic_long reported; /* failure messages printed so far (capped) */
	atomic_ullong bytes;
};

#define LOAD_MAX_REPORTS 10

static void load_report(struct load_state *st, long call, const char *why)
{
	long n = atomic_fetch_add(&st->reported, 1);

	if (n < LOAD_MAX_REPORTS)
		fail_msg("call: load call %ld: %s", call, why);
	else if (n == LOAD_MAX_REPORTS)
		fail_msg("call: further failures are only counted");
}

static void load_one_call(struct load_state *st, long call, unsigned char *sendbuf,
			  unsigned char *recvbuf)
{
	const struct call_opts *opts = st->opts;
	int fd = call_prepare_socket(opts);
	int err;
	char why[256];

	if (fd < 0) {
		atomic_fetch_add(&st->failed, 1);
		return;
	}
	err = call_connect_bounded(fd, &opts->dest, opts->connect_timeout_ms);
	if (err != 0) {
		struct x25_causediag cd = call_read_causediag(fd);

		snprintf(why, sizeof(why), "connect: %s, cause=0x%02x diag=0x%02x", strerror(err),
			 cd.cause, cd.diagnostic);
		load_report(st, call, why);
		atomic_fetch_add(&st->failed, 1);
		close(fd);
		return;
	}
	for (long i = 0; i < opts->messages; i++) {
		size_t len = 0;
		enum echo_result res = call_exchange_record(fd, opts, (uint64_t)call, (uint64_t)i, sendbuf,
						       recvbuf, &len, &err, why, sizeof(why));

		if (res != ECHO_OK) {
			load_report(st, call, why);
			atomic_fetch_add(res == ECHO_MISMATCH ? &st->mismatches : &st->failed, 1);
			close(fd);
			return;
		}
		atomic_fetch_add(&st->bytes, len);
	}
	if (opts->has_set_causediag)
		x25_set_causediag(fd, &opts->set_causediag);
	close(fd);
	atomic_fetch_add(&st->ok, 1);
}

static void *load_worker(void *arg)
{
	struct load_state *st = arg;
	unsigned char *sendbuf = malloc(X25TEST_MAX_RECORD + 2);
	unsigned char *recvbuf = malloc(X25TEST_MAX_RECORD + 2);

	if (!sendbuf || !recvbuf)
		die_setup("call: out of memory");
	for (;;) {
		long call = atomic_fetch_add(&st->next_call, 1);

		if (call >= st->opts->load_calls)
			break;
		load_one_call(st, call, sendbuf, recvbuf);
	}
	free(sendbuf);
	free(recvbuf);
	return NULL;
}

int call_load(const struct call_opts *opts)
{
	static struct load_state st;
	long nthreads = opts->parallel < opts->load_calls ? opts->parallel : opts->load_calls;
	pthread_t *threads = calloc((size_t)nthreads, sizeof(*threads));
	double start, elapsed;
	long ok, failed, mismatches;
	unsigned long long bytes;

	if (!threads)
		die_setup("call: out of memory");
	st.opts = opts;
	start = x25_monotonic_seconds();
	for (long i = 0; i < nthreads; i++) {
		int err = pthread_create(&threads[i], NULL, load_worker, &st);

		if (err)
			die_setup("call: pthread_create: %s", strerror(err));
	}
	for (long i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	elapsed = x25_monotonic_seconds() - start;
	free(threads);

	ok = atomic_load(&st.ok);
	failed = atomic_load(&st.failed);
	mismatches = atomic_load(&st.mismatches);
	bytes = atomic_load(&st.bytes);
	printf("calls=%ld ok=%ld failed=%ld mismatches=%ld elapsed=%.3f calls_per_s=%.1f "
	       "bytes=%llu kbytes_per_s=%.1f\n",
	       opts->load_calls, ok, failed, mismatches, elapsed,
	       elapsed > 0 ? (double)ok / elapsed : 0.0, bytes,
	       elapsed > 0 ? (double)bytes / 1024.0 / elapsed : 0.0);
	fflush(stdout);
	return (failed == 0 && mismatches == 0 && ok == opts->load_calls) ? EXIT_OK
									   : EXIT_CHECK_FAILED;
}
