// SPDX-License-Identifier: GPL-2.0-or-later
/* xot.c - --xot: x25stress as a pure user-space XOT peer (RFC 1613), both modes, with
 * libx25's xotlib doing the X.25 (docs/x25stress.md, "XOT mode"). The counters and lines are
 * the AF_X25 mode's; each XOT failure goes to the nearest of them. */
#include "x25stress.h"
#include "x25lib.h"
#include "xotlib.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define RECEIVER_IDLE_MS (STRESS_RECEIVER_RCVTIMEO_S * 1000)
#define SENDER_WAIT_MS (STRESS_SENDER_RCVTIMEO_S * 1000)

int stress_xot_prepare(struct stress_run *run)
{
	const struct stress_options *opts = run->opts;
	char error[300];

	atomic_init(&run->xot_peer_choice, 0);
	if (opts->receiver)
		return 0; /* the receiver resolves when it listens */
	run->xot_peer = xotlib_resolve(opts->xot_host, opts->xot_port, false, error, sizeof(error));
	if (!run->xot_peer) {
		fprintf(stderr, "x25stress: --xot %s: %s\n", opts->xot, error);
		return -1;
	}
	return 0;
}

/* The facilities -W and -P ask for, both ways. */
static struct xotlib_facilities own_facilities(const struct stress_options *opts)
{
	return (struct xotlib_facilities){
		.has_packet = true,
		.has_window = true,
		.packet_in = (uint8_t)opts->packet_size_log2,
		.packet_out = (uint8_t)opts->packet_size_log2,
		.window_in = (uint8_t)opts->window,
		.window_out = (uint8_t)opts->window,
	};
}

/* What the CALL ACCEPTED carried, into the min/max figures: byte 1 is (In), as Linux shows it. */
static void record_facilities(struct stress_run *run, const struct xotlib_vc *vc)
{
	stress_counters_facilities(&run->counters, (int)xotlib_packet_bytes(vc->fac.packet_in),
				   (int)xotlib_packet_bytes(vc->fac.packet_out), vc->fac.window_in,
				   vc->fac.window_out);
}

/* --- sender --- */

enum dial_result { DIALLED, DIAL_NO_SOCKET, DIAL_FAILED, DIAL_TIMED_OUT, DIAL_ABANDONED };

/* Milliseconds until deadline_ns, at least 0. */
static int ms_until(uint64_t deadline_ns)
{
	uint64_t now = x25_monotonic_ns();

	return now >= deadline_ns ? 0 : (int)((deadline_ns - now + 999999) / 1000000);
}

/*
 * TCP to the peer: each resolved address in turn, starting with the one that worked last,
 * without blocking so that the stop eventfd and the connect deadline can end the wait.
 */
static enum dial_result dial(struct stress_sender *s, int *fd, uint64_t deadline, int *error)
{
	struct stress_run *run = s->run;
	struct addrinfo *list = run->xot_peer, *ai;
	int count = 0, first = atomic_load(&run->xot_peer_choice);

	for (ai = list; ai; ai = ai->ai_next)
		count++;
	*error = ECONNREFUSED;
	for (int n = 0; n < count; n++) {
		int index = (first + n) % count, i = 0;

		for (ai = list; i < index; ai = ai->ai_next)
			i++;
		*fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (*fd < 0)
			return DIAL_NO_SOCKET;
		if (xotlib_set_nodelay(*fd) < 0) {
			stress_count(&run->counters.setsockopt_errors);
			perror("setsockopt(TCP_NODELAY)");
		}
		*error = xotlib_connect_start(*fd, ai->ai_addr, ai->ai_addrlen);
		if (*error == EINPROGRESS) {
			struct pollfd waits[2] = {
				{ .fd = *fd, .events = POLLOUT },
				{ .fd = run->stop_fd, .events = POLLIN },
			};
			int ready = poll(waits, 2, ms_until(deadline));

			if (ready == 0) {
				close(*fd);
				return DIAL_TIMED_OUT;
			}
			if (ready > 0 && !(waits[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
				close(*fd);
				return DIAL_ABANDONED;
			}
			*error = ready < 0 ? errno : xotlib_connect_finish(*fd);
		}
		if (*error == 0) {
			atomic_store(&run->xot_peer_choice, index);
			return DIALLED;
		}
		close(*fd);
	}
	*fd = -1;
	return DIAL_FAILED;
}

static void print_failure(const struct stress_sender *s, const struct stress_call *call,
			  const char *what)
{
	fprintf(stderr, "Thread %u: Call from %s to %s failed: %s (XOT peer %s)\n", s->index,
		call->calling, call->called, what, s->run->opts->xot);
}

/*
 * Send one message as a record and verify its echo. Returns false, with *diag what to clear
 * with, when the call cannot carry more: a send that fails is a Write Error, an echo that
 * does not come whole a Short Receive (and so a Data Mismatch, goxot's rule).
 */
static bool exchange(struct stress_sender *s, const struct stress_call *call, struct xotlib_vc *vc,
		     enum xotlib_result *failure)
{
	struct stress_run *run = s->run;
	struct stress_counters *c = &run->counters;
	size_t len = stress_next_message(s), got = 0;
	bool q;

	uint64_t sent_at = x25_monotonic_ns();
	*failure = xotlib_vc_send_record(vc, s->send_buf + 1, len, false, SENDER_WAIT_MS);
	if (*failure != XOTLIB_OK) {
		stress_count(&c->write_errors);
		fprintf(stderr, "Thread %u: sending %zu bytes from %s to %s failed: %s\n", s->index,
			len, call->calling, call->called, vc->why);
		return false;
	}
	stress_count_n(&c->bytes_sent, (long)len);
	stress_count(&c->packets_sent);

	*failure = xotlib_vc_recv_record(vc, s->recv_buf + 1, (size_t)run->opts->max_message, &got,
					 &q, SENDER_WAIT_MS);
	if (*failure == XOTLIB_PROTOCOL && vc->diag == XOTLIB_DIAG_PACKET_TOO_LONG && got > len) {
		/* a whole echo, only longer than the message: the data is wrong, not short */
		stress_count(&c->packets_received);
		stress_count(&c->data_mismatches);
		printf("Thread %u: Data mismatch between %s/%s: echo of %zu bytes for %zu sent\n",
		       s->index, call->calling, call->called, got, len);
		return false;
	}
	if (*failure != XOTLIB_OK) {
		fprintf(stderr, "Thread %u: no echo from %s to %s: %s\n", s->index, call->called,
			call->calling, vc->why);
		stress_short_receive(s, call, (long)len, -1);
		return false;
	}
	stress_count_n(&c->bytes_received, (long)got);
	stress_count(&c->packets_received);
	if (got < len) {
		stress_short_receive(s, call, (long)len, (long)got);
		return false;
	}
	if (run->opts->latency)
		latency_add(&s->echo, x25_monotonic_ns() - sent_at);
	stress_check_echo(s, call, s->send_buf + 1, s->recv_buf + 1, len);
	if (got > len) {
		stress_count(&c->data_mismatches);
		printf("Thread %u: Data mismatch between %s/%s: echo of %zu bytes for %zu sent\n",
		       s->index, call->calling, call->called, got, len);
	}
	return true;
}

/* The call is up: the messages, then CLEAR and its confirmation. */
static void carry_call(struct stress_sender *s, const struct stress_call *call,
		       struct xotlib_vc *vc)
{
	struct stress_run *run = s->run;
	enum xotlib_result failure = XOTLIB_OK;

	for (long m = 0; m < run->opts->messages_per_call; m++)
		if ((m > 0 && stress_stop_requested(run)) || !exchange(s, call, vc, &failure))
			break;
	switch (failure) {
	case XOTLIB_OK:
		break;
	case XOTLIB_PROTOCOL:
	case XOTLIB_RESET:
	case XOTLIB_TIMEOUT:
	case XOTLIB_WOKEN:
		/* counted already; clear with the diagnostic, a reset or timeout with 0 */
		xotlib_vc_clear(vc, XOTLIB_CAUSE_DTE_ORIGINATED,
				failure == XOTLIB_PROTOCOL ? vc->diag : XOTLIB_DIAG_NONE,
				STRESS_XOT_CLEAR_WAIT_MS);
		return;
	case XOTLIB_CLEARED:
	case XOTLIB_CLOSED:
	case XOTLIB_IO_ERROR:
	case XOTLIB_FRAMING:
		return; /* nothing left to clear, or no way to */
	}
	if (xotlib_vc_clear(vc, XOTLIB_CAUSE_DTE_ORIGINATED, XOTLIB_DIAG_NONE,
			    STRESS_XOT_CLEAR_WAIT_MS) != XOTLIB_OK) {
		/* what --leak-check finds in AF_X25 mode: a call left clearing */
		stress_count(&run->counters.calls_failed);
		fprintf(stderr, "Thread %u: clearing the call from %s to %s failed: %s\n", s->index,
			call->calling, call->called, vc->why);
	}
}

bool stress_xot_call(struct stress_sender *s, struct stress_call *call)
{
	struct stress_run *run = s->run;
	const struct stress_options *opts = run->opts;
	struct stress_counters *c = &run->counters;
	uint64_t dialled_at = x25_monotonic_ns();
	bool timed = opts->connect_timeout_ms > 0;
	uint64_t deadline = dialled_at + (uint64_t)(timed ? opts->connect_timeout_ms
							  : STRESS_XOT_T21_MS) * 1000000u;
	int error;

	switch (dial(s, &call->sock, deadline, &error)) {
	case DIALLED:
		break;
	case DIAL_NO_SOCKET:
		stress_count(&c->socket_errors);
		perror("socket");
		stress_back_off(run, STRESS_SOCKET_RETRY_MS);
		return true;
	case DIAL_FAILED:
		stress_count(&c->calls_failed);
		print_failure(s, call, strerror(error));
		stress_back_off(run, opts->backoff_ms);
		return true;
	case DIAL_TIMED_OUT:
		if (timed) /* as in AF_X25 mode: failed too, and no backoff */
			stress_count(&c->connect_timeouts);
		stress_count(&c->calls_failed);
		if (!timed)
			print_failure(s, call, "no TCP connection within T21 (200 s)");
		return true;
	case DIAL_ABANDONED:
		return false; /* stopped while connecting: not a failure */
	}

	struct xotlib_vc vc;
	if (xotlib_vc_init(&vc, call->sock) < 0) {
		stress_count(&c->socket_errors);
		perror("x25stress: XOT call state");
		close(call->sock);
		stress_back_off(run, STRESS_SOCKET_RETRY_MS);
		return true;
	}
	vc.wake_fd = run->stop_fd; /* a stop ends the ringing, as in AF_X25 mode */

	struct xotlib_call request = {
		.modulo = opts->window > 7 ? 128 : 8,
		.lci = 1, /* no significance over XOT (RFC 1613 §5) */
		.fac = own_facilities(opts),
	};
	strcpy(request.called, call->called);
	strcpy(request.calling, call->calling);
	enum xotlib_result result = xotlib_vc_call(&vc, &request, ms_until(deadline));
	bool go_on = true;
	switch (result) {
	case XOTLIB_OK:
		vc.wake_fd = -1; /* but not a message exchange: it ends by itself, within 1 s */
		if (opts->latency)
			latency_add(&s->call_setup, x25_monotonic_ns() - dialled_at);
		stress_count(&c->calls_connected);
		record_facilities(run, &vc);
		carry_call(s, call, &vc);
		break;
	case XOTLIB_CLEARED:
		/* refused: goxot's line, with the CLEAR's cause and diagnostic */
		stress_count(&c->calls_failed);
		printf("Thread %u: Call from %s to %s failed [%s -> %s] Cause: 0x%02x, Diag: %d\n",
		       s->index, call->calling, call->called, call->calling, call->called, vc.cause,
		       vc.diag);
		stress_back_off(run, opts->backoff_ms);
		break;
	case XOTLIB_TIMEOUT:
		if (timed)
			stress_count(&c->connect_timeouts);
		stress_count(&c->calls_failed);
		if (!timed)
			print_failure(s, call, "no CALL ACCEPTED within T21 (200 s)");
		xotlib_vc_clear(&vc, XOTLIB_CAUSE_DTE_ORIGINATED, XOTLIB_DIAG_TIMER_EXPIRED,
				STRESS_XOT_CLEAR_WAIT_MS);
		break;
	case XOTLIB_WOKEN:
		/* stopped while the call was ringing: clear it, as closing an AF_X25 socket does */
		xotlib_vc_clear(&vc, XOTLIB_CAUSE_DTE_ORIGINATED, XOTLIB_DIAG_NONE,
				STRESS_XOT_CLEAR_WAIT_MS);
		go_on = false;
		break;
	case XOTLIB_PROTOCOL:
		stress_count(&c->calls_failed);
		print_failure(s, call, vc.why);
		xotlib_vc_clear(&vc, XOTLIB_CAUSE_DTE_ORIGINATED, vc.diag, STRESS_XOT_CLEAR_WAIT_MS);
		stress_back_off(run, opts->backoff_ms);
		break;
	case XOTLIB_RESET:
	case XOTLIB_CLOSED:
	case XOTLIB_IO_ERROR:
	case XOTLIB_FRAMING:
		stress_count(&c->calls_failed);
		print_failure(s, call, vc.why);
		stress_back_off(run, opts->backoff_ms);
		break;
	}
	xotlib_vc_free(&vc);
	close(call->sock);
	return go_on;
}

/* --- receiver --- */

struct echo_connection {
	struct stress_run *run;
	int sock;
	char peer[80];
	atomic_int *open;   /* connections still being served */
	int closed_fd;      /* eventfd: one more connection has ended */
};

/* A connection that brought no usable call: counted as an Accept Error. */
static void refuse(struct echo_connection *conn, struct xotlib_vc *vc, enum xotlib_result result)
{
	stress_count(&conn->run->counters.accept_errors);
	fprintf(stderr, "x25stress: XOT connection from %s: no call accepted: %s\n", conn->peer,
		vc->why);
	if (result == XOTLIB_PROTOCOL) /* a malformed CALL REQUEST: say why */
		xotlib_vc_refuse(vc, XOTLIB_CAUSE_DTE_ORIGINATED, vc->diag, STRESS_XOT_STOP_CLEAR_MS);
}

/* End a call that went wrong, clearing it if the connection can still carry a CLEAR. */
static void end_call(struct xotlib_vc *vc, enum xotlib_result result)
{
	switch (result) {
	case XOTLIB_PROTOCOL:
	case XOTLIB_RESET:
	case XOTLIB_TIMEOUT:
	case XOTLIB_WOKEN:
		xotlib_vc_clear(vc, XOTLIB_CAUSE_DTE_ORIGINATED,
				result == XOTLIB_PROTOCOL ? vc->diag : XOTLIB_DIAG_NONE,
				STRESS_XOT_STOP_CLEAR_MS);
		break;
	case XOTLIB_OK:
	case XOTLIB_CLEARED:
	case XOTLIB_CLOSED:
	case XOTLIB_IO_ERROR:
	case XOTLIB_FRAMING:
		break;
	}
}

/*
 * Echo every record until the caller clears. Failures go to the AF_X25 receiver's nearest
 * counters: an echo that cannot be sent is a Write Error; a reset, a protocol error or a
 * connection lost without a CLEAR is a Short Receive (and a Data Mismatch, goxot's rule).
 * Idle for 30 s or stopped: cleared, not counted, as the AF_X25 receiver drops such calls.
 */
static void echo_records(struct echo_connection *conn, struct xotlib_vc *vc, uint8_t *buf)
{
	struct stress_counters *c = &conn->run->counters;

	for (;;) {
		size_t len;
		bool q;
		enum xotlib_result result =
			xotlib_vc_recv_record(vc, buf, XOTLIB_RECORD_MAX, &len, &q, RECEIVER_IDLE_MS);

		switch (result) {
		case XOTLIB_OK:
			break;
		case XOTLIB_CLEARED: /* the caller's CLEAR, confirmed: the normal end */
			return;
		case XOTLIB_TIMEOUT:
		case XOTLIB_WOKEN:
			end_call(vc, result);
			return;
		case XOTLIB_RESET:
		case XOTLIB_PROTOCOL:
		case XOTLIB_CLOSED:
		case XOTLIB_IO_ERROR:
		case XOTLIB_FRAMING:
			stress_count(&c->short_receives);
			stress_count(&c->data_mismatches);
			fprintf(stderr, "x25stress: XOT call from %s ended without a CLEAR: %s\n",
				conn->peer, vc->why);
			end_call(vc, result);
			return;
		}
		stress_count_n(&c->bytes_received, (long)len);
		stress_count(&c->packets_received);
		result = xotlib_vc_send_record(vc, buf, len, q, RECEIVER_IDLE_MS);
		if (result == XOTLIB_OK) {
			stress_count_n(&c->bytes_sent, (long)len);
			stress_count(&c->packets_sent);
			continue;
		}
		if (result != XOTLIB_CLEARED && result != XOTLIB_WOKEN) {
			stress_count(&c->write_errors);
			fprintf(stderr, "x25stress: echo to %s failed: %s\n", conn->peer, vc->why);
		}
		end_call(vc, result);
		return;
	}
}

static void *echo_main(void *arg)
{
	struct echo_connection *conn = arg;
	struct stress_run *run = conn->run;
	struct xotlib_facilities own = own_facilities(run->opts);
	struct xotlib_vc vc;
	struct xotlib_call call;
	uint8_t *buf = malloc(XOTLIB_RECORD_MAX);
	uint64_t one = 1;

	if (xotlib_set_nodelay(conn->sock) < 0) {
		stress_count(&run->counters.setsockopt_errors);
		perror("setsockopt(TCP_NODELAY)");
	}
	if (!buf || xotlib_vc_init(&vc, conn->sock) < 0) {
		stress_count(&run->counters.accept_errors);
		fprintf(stderr, "x25stress: out of memory for an XOT call from %s; closing it\n",
			conn->peer);
		goto out;
	}
	vc.wake_fd = run->stop_fd;
	enum xotlib_result result = xotlib_vc_wait_call(&vc, &call, RECEIVER_IDLE_MS);
	if (result == XOTLIB_OK)
		result = xotlib_vc_accept(&vc, &call, &own);
	if (result == XOTLIB_OK) {
		stress_count(&run->counters.calls_received);
		record_facilities(run, &vc);
		echo_records(conn, &vc, buf);
	} else if (result != XOTLIB_WOKEN) {
		refuse(conn, &vc, result);
	}
	xotlib_vc_free(&vc);
out:
	free(buf);
	close(conn->sock);
	atomic_fetch_sub(conn->open, 1);
	if (write(conn->closed_fd, &one, sizeof(one)) < 0)
		perror("x25stress: eventfd write");
	free(conn);
	return NULL;
}

/* The connections being served: counted, so that the receiver can wait for them to end. */
struct connections {
	atomic_int open;
	int closed_fd; /* eventfd: one more connection has ended */
};

/* A new TCP connection: a thread of its own waits for its call and echoes it. */
static void take_connection(struct stress_run *run, int sock, const struct sockaddr_storage *peer,
			    socklen_t peer_len, void *arg)
{
	struct connections *all = arg;
	struct echo_connection *conn = malloc(sizeof(*conn));
	pthread_attr_t attr;
	pthread_t thread;
	int rc = ENOMEM;

	if (conn) {
		*conn = (struct echo_connection){ run, sock, "", &all->open, all->closed_fd };
		xotlib_format_address((const struct sockaddr *)peer, peer_len, conn->peer,
				      sizeof(conn->peer));
		atomic_fetch_add(&all->open, 1);
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		rc = pthread_create(&thread, &attr, echo_main, conn);
		pthread_attr_destroy(&attr);
		if (rc)
			atomic_fetch_sub(&all->open, 1);
	}
	if (rc) {
		stress_count(&run->counters.accept_errors);
		fprintf(stderr, "x25stress: cannot start an echo thread: %s; closing the connection "
				"(too many calls at once? raise ulimit -u or the memory limit)\n",
			strerror(rc));
		close(sock);
		free(conn);
	}
}

/* After the stop: every connection clears its call and ends; wait for the last one. */
static void wait_for_connections(atomic_int *open, int closed_fd)
{
	struct pollfd closed = { .fd = closed_fd, .events = POLLIN };
	uint64_t count;

	while (atomic_load(open) > 0) {
		if (poll(&closed, 1, 1000) > 0 && read(closed_fd, &count, sizeof(count)) < 0 &&
		    errno != EAGAIN)
			break;
	}
}

int stress_xot_receiver_run(struct stress_run *run, int signal_fd, int *signo)
{
	const struct stress_options *opts = run->opts;
	char bound[96], error[300];
	struct connections all = { .closed_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK) };
	int listener = xotlib_listen(opts->xot_host, opts->xot_port, STRESS_LISTEN_BACKLOG, bound,
				     sizeof(bound), error, sizeof(error));

	*signo = 0;
	atomic_init(&all.open, 0);
	if (listener < 0 || all.closed_fd < 0) {
		fprintf(stderr, "x25stress: --xot %s: %s\n", opts->xot,
			listener < 0 ? error : strerror(errno));
		if (listener >= 0)
			close(listener);
		if (all.closed_fd >= 0)
			close(all.closed_fd);
		return -1;
	}
	/* goxot's line first, so that scripts waiting for it still work; then where */
	printf("Receiver listening for X.25 calls... (XOT on %s)\n", bound);
	fflush(stdout);
	stress_accept_loop(run, listener, signal_fd, signo, take_connection, &all);
	close(listener);
	stress_run_stop(run);
	wait_for_connections(&all.open, all.closed_fd);
	close(all.closed_fd);
	return 0;
}
