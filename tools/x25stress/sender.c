// SPDX-License-Identifier: GPL-2.0-or-later
/* sender.c - sender mode: N threads, each making calls of one verified message
 * (docs/x25stress.md, "What one call does"), and the addresses and bytes they use. */
#include "x25stress.h"
#include "x25lib.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* --- what a sender binds to, calls and sends (x25stress.h says why each is so) --- */

#define SEQ_DIGITS_MOD 100000u        /* goxot's 5-digit sequence field */
#define TAIL_MOD 1000000000u          /* HHMM + sequence: 9 digits */

void stress_calling_address(char out[STRESS_ADDR_BUF], const char *base, int hour, int minute,
			    uint64_t seq)
{
	uint64_t tail = ((uint64_t)(hour * 100 + minute) * SEQ_DIGITS_MOD + seq) % TAIL_MOD;

	snprintf(out, STRESS_ADDR_BUF, "%.6s%09" PRIu64, base, tail);
}

void stress_called_address(char out[STRESS_ADDR_BUF], int64_t start, int64_t end, int width,
			   uint64_t random)
{
	uint64_t span = (uint64_t)(end - start) + 1;

	snprintf(out, STRESS_ADDR_BUF, "%0*" PRId64, width, start + (int64_t)(random % span));
}

void stress_fill_pattern(uint8_t *payload, size_t len, unsigned thread, unsigned message)
{
	for (size_t i = 0; i < len; i++)
		payload[i] = (uint8_t)((i ^ thread ^ message) & 0xFF);
}

long stress_first_mismatch(const uint8_t *want, const uint8_t *got, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (want[i] != got[i])
			return (long)i;
	return -1;
}

/* --- the call threads --- */

enum connect_result { CONNECTED, CONNECT_FAILED, CONNECT_TIMED_OUT, CONNECT_ABANDONED };

bool stress_stop_requested(const struct stress_run *run)
{
	struct pollfd stop = { .fd = run->stop_fd, .events = POLLIN };

	return poll(&stop, 1, 0) > 0;
}

static bool past_deadline(const struct stress_run *run)
{
	return x25_monotonic_ns() >= run->deadline_ns;
}

void stress_back_off(const struct stress_run *run, int ms)
{
	struct pollfd stop = { .fd = run->stop_fd, .events = POLLIN };

	if (ms > 0)
		poll(&stop, 1, ms);
}

static uint64_t random_u64(unsigned *seed)
{
	uint64_t high = (uint64_t)rand_r(seed), low = (uint64_t)rand_r(seed);

	return (high << 31) | low;
}

static void print_cause(const struct stress_sender *s, const struct stress_call *call, int error)
{
	struct x25_causediag causediag;

	if (x25_get_causediag(call->sock, &causediag) < 0)
		return;
	if (causediag.cause || causediag.diagnostic)
		printf("Thread %u: Call from %s to %s failed [%s -> %s] Cause: 0x%02x, Diag: %d\n",
		       s->index, call->calling, call->called, call->calling, call->called,
		       causediag.cause, causediag.diagnostic);
	else /* goxot says nothing here; an errno at least tells a route problem from a timeout */
		fprintf(stderr, "Thread %u: Call from %s to %s failed: %s\n", s->index, call->calling,
			call->called, strerror(error));
}

/*
 * Place the call without blocking (x25_connect_start says why), waiting on the stop eventfd
 * as well, so that a stop request or --connect-timeout can end the wait.
 */
static enum connect_result place_call(struct stress_sender *s, struct stress_call *call,
				      int *error)
{
	struct stress_run *run = s->run;
	struct pollfd waits[2] = {
		{ .fd = call->sock, .events = POLLOUT },
		{ .fd = run->stop_fd, .events = POLLIN },
	};
	int timeout = run->opts->connect_timeout_ms > 0 ? run->opts->connect_timeout_ms : -1;

	*error = x25_connect_start(call->sock, call->called);
	if (*error == 0)
		return CONNECTED;
	if (*error != EINPROGRESS)
		return CONNECT_FAILED;
	int ready = poll(waits, 2, timeout);
	if (ready < 0) {
		*error = errno;
		return CONNECT_FAILED;
	}
	if (ready == 0)
		return CONNECT_TIMED_OUT;
	if (waits[0].revents == 0)
		return CONNECT_ABANDONED;
	*error = x25_connect_finish(call->sock, call->called);
	return *error == 0 ? CONNECTED : CONNECT_FAILED;
}

size_t stress_next_message(struct stress_sender *s)
{
	size_t len = (size_t)(rand_r(&s->seed) % s->run->opts->max_message) + 1;

	s->send_buf[0] = 0x00; /* Q-bit indicator: an ordinary data message */
	stress_fill_pattern(s->send_buf + 1, len, s->index, s->messages++);
	return len;
}

void stress_short_receive(struct stress_sender *s, const struct stress_call *call, long expected,
			  long got)
{
	struct stress_counters *c = &s->run->counters;

	/* goxot counts a short receive as a data mismatch too */
	stress_count(&c->short_receives);
	stress_count(&c->data_mismatches);
	printf("Thread %u: Short receive between %s/%s: expected %ld, got %ld\n", s->index,
	       call->calling, call->called, expected, got);
}

void stress_check_echo(struct stress_sender *s, const struct stress_call *call, const uint8_t *sent,
		       const uint8_t *got, size_t len)
{
	long offset = stress_first_mismatch(sent, got, len);

	if (offset < 0)
		return;
	stress_count(&s->run->counters.data_mismatches);
	printf("Thread %u: Data mismatch between %s/%s at offset %ld (expected 0x%02x, got 0x%02x)\n",
	       s->index, call->calling, call->called, offset, sent[offset], got[offset]);
}

/* Send one message and verify its echo. Returns false if the call cannot carry more. */
static bool exchange_message(struct stress_sender *s, const struct stress_call *call)
{
	struct stress_run *run = s->run;
	struct stress_counters *c = &run->counters;
	size_t len = stress_next_message(s);

	uint64_t sent_at = x25_monotonic_ns();
	ssize_t sent = send(call->sock, s->send_buf, len + 1, MSG_EOR);
	if (sent < 0) {
		stress_count(&c->write_errors);
		perror("write");
		return false;
	}
	stress_count_n(&c->bytes_sent, sent - 1);
	stress_count(&c->packets_sent);

	ssize_t received = read(call->sock, s->recv_buf, (size_t)run->opts->max_message + 1);
	if (received > 0) {
		stress_count_n(&c->bytes_received, received - 1);
		stress_count(&c->packets_received);
	}
	if (received < sent) {
		stress_short_receive(s, call, (long)sent, (long)received);
		return false;
	}
	if (run->opts->latency)
		latency_add(&s->echo, x25_monotonic_ns() - sent_at);
	stress_check_echo(s, call, s->send_buf + 1, s->recv_buf + 1, (size_t)sent - 1);
	return true;
}

/*
 * Socket, options and bind to the calling address, as goxot does them. Returns -1 after
 * counting the failure and waiting (goxot: 1 s after socket(), the backoff after bind()).
 */
static int open_call_socket(struct stress_sender *s, struct stress_call *call)
{
	struct stress_run *run = s->run;
	struct stress_counters *c = &run->counters;

	call->sock = x25_socket();
	if (call->sock < 0) {
		static atomic_bool hinted;
		int error = errno;

		stress_count(&c->socket_errors);
		perror("socket");
		if (error == EAFNOSUPPORT && !atomic_exchange(&hinted, true))
			fprintf(stderr, "x25stress: this kernel has no AF_X25: load the x25 module "
					"(modprobe x25), or run inside the X.25 VM (vm/x25lo-vm)\n");
		stress_back_off(run, STRESS_SOCKET_RETRY_MS);
		return -1;
	}
	stress_socket_options(run, call->sock, STRESS_SENDER_RCVTIMEO_S);
	if (x25_bind(call->sock, call->calling) < 0) {
		stress_count(&c->bind_errors);
		perror("bind");
		close(call->sock);
		stress_back_off(run, run->opts->backoff_ms);
		return -1;
	}
	return 0;
}

/* One pass of goxot's loop. Returns false when the thread should end. */
static bool make_call(struct stress_sender *s)
{
	struct stress_run *run = s->run;
	const struct stress_options *opts = run->opts;
	struct stress_counters *c = &run->counters;
	struct stress_call call;
	int error = 0;

	if (stress_stop_requested(run) || past_deadline(run))
		return false;
	long slot = stress_count_claim(&c->calls_made);
	if (opts->max_calls > 0 && slot >= opts->max_calls)
		return false;

	uint64_t seq = atomic_fetch_add(&run->calling_seq, 1);
	stress_calling_address(call.calling, run->calling_base, run->start_hour, run->start_minute, seq);
	stress_called_address(call.called, run->called_start, run->called_end, run->called_width,
			      (uint64_t)(run->called_end - run->called_start) < RAND_MAX
				      ? (uint64_t)rand_r(&s->seed)
				      : random_u64(&s->seed));
	if (opts->xot)
		return stress_xot_call(s, &call);

	if (open_call_socket(s, &call) < 0)
		return true;
	stress_request_facilities(run, call.sock);

	uint64_t dialled_at = x25_monotonic_ns();
	switch (place_call(s, &call, &error)) {
	case CONNECTED:
		break;
	case CONNECT_FAILED:
		stress_count(&c->calls_failed);
		print_cause(s, &call, error);
		close(call.sock);
		stress_back_off(run, opts->backoff_ms);
		return true;
	case CONNECT_TIMED_OUT:
		/* as later goxot versions: counted as failed too, and no backoff */
		stress_count(&c->connect_timeouts);
		stress_count(&c->calls_failed);
		close(call.sock);
		return true;
	case CONNECT_ABANDONED:
		close(call.sock); /* stopped while the call was ringing: not a failure */
		return false;
	}
	if (opts->latency)
		latency_add(&s->call_setup, x25_monotonic_ns() - dialled_at);
	stress_count(&c->calls_connected);
	stress_record_facilities(run, call.sock);

	for (long m = 0; m < opts->messages_per_call; m++)
		if ((m > 0 && stress_stop_requested(run)) || !exchange_message(s, &call))
			break;
	close(call.sock); /* the kernel clears the call; goxot makes the next call at once */
	return true;
}

/* Count one leaver out of running; the last one out makes done_fd readable. */
static void leave_running(atomic_int *running, int done_fd)
{
	uint64_t one = 1;

	if (atomic_fetch_sub(running, 1) == 1 && write(done_fd, &one, sizeof(one)) < 0)
		perror("x25stress: eventfd write");
}

static void *sender_main(void *arg)
{
	struct stress_sender *s = arg;

	while (make_call(s))
		;
	leave_running(s->running, s->done_fd);
	return NULL;
}

/* Wait for all senders to end, or for a signal; returns the signal number or 0. */
static int wait_for_senders(int done_fd, int signal_fd)
{
	struct pollfd waits[2] = {
		{ .fd = done_fd, .events = POLLIN },
		{ .fd = signal_fd, .events = POLLIN },
	};

	for (;;) {
		if (poll(waits, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("x25stress: poll");
			return 0;
		}
		if (waits[1].revents & POLLIN) {
			struct signalfd_siginfo info;

			if (read(signal_fd, &info, sizeof(info)) == (ssize_t)sizeof(info))
				return (int)info.ssi_signo;
		}
		if (waits[0].revents & POLLIN)
			return 0;
	}
}

int stress_sender_run(struct stress_run *run, int signal_fd, int *signo)
{
	const struct stress_options *opts = run->opts;
	size_t buf_len = (size_t)opts->max_message + 1;
	struct stress_sender *senders = calloc((size_t)opts->threads + 1, sizeof(*senders));
	atomic_int running;
	int started = 0;
	int done_fd = eventfd(0, EFD_CLOEXEC);

	*signo = 0;
	if (!senders || done_fd < 0) {
		fprintf(stderr, "x25stress: cannot set up %d sender threads: %s\n", opts->threads,
			strerror(errno));
		free(senders);
		if (done_fd >= 0)
			close(done_fd);
		return -1;
	}
	/* one more than the threads, released below, so no thread can signal "done" too early */
	atomic_init(&running, opts->threads + 1);
	for (int i = 0; i < opts->threads; i++) {
		struct stress_sender *s = &senders[i];

		s->run = run;
		s->index = (unsigned)i;
		s->seed = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)s ^ (unsigned)i * 2654435761u;
		s->running = &running;
		s->done_fd = done_fd;
		s->send_buf = malloc(buf_len);
		s->recv_buf = malloc(buf_len);
		int rc = s->send_buf && s->recv_buf ? pthread_create(&s->thread, NULL, sender_main, s)
						     : ENOMEM;
		if (rc) {
			fprintf(stderr, "x25stress: cannot start sender thread %d of %d: %s\n", i + 1,
				opts->threads, strerror(rc));
			free(s->send_buf);
			free(s->recv_buf);
			atomic_fetch_sub(&running, opts->threads - i);
			break;
		}
		started++;
	}
	leave_running(&running, done_fd);
	if (started > 0 || opts->threads == 0)
		*signo = wait_for_senders(done_fd, signal_fd);
	stress_run_stop(run);
	for (int i = 0; i < started; i++) {
		struct stress_sender *s = &senders[i];

		pthread_join(s->thread, NULL);
		latency_merge(&run->call_setup, &s->call_setup);
		latency_merge(&run->echo, &s->echo);
		free(s->send_buf);
		free(s->recv_buf);
	}
	free(senders);
	close(done_fd);
	return started > 0 || opts->threads == 0 ? 0 : -1;
}
