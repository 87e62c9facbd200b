// SPDX-License-Identifier: GPL-2.0-or-later
/* receiver.c - receiver mode (-r): accept calls, echo every record back
 * (docs/x25stress.md, end of "What one call does"). */
#include "x25stress.h"
#include "x25lib.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

struct echo_call {
	struct stress_run *run;
	int sock;
};

/* One accepted call: echo each record, Q-bit indicator included, until the call ends. */
static void *echo_main(void *arg)
{
	struct echo_call *call = arg;
	struct stress_run *run = call->run;
	struct stress_counters *c = &run->counters;
	size_t buf_len = (size_t)run->opts->max_message + 1;
	unsigned char *buf = malloc(buf_len);

	stress_socket_options(run, call->sock, STRESS_RECEIVER_RCVTIMEO_S);
	stress_record_facilities(run, call->sock);
	while (buf) {
		ssize_t received = read(call->sock, buf, buf_len);

		if (received <= 0)
			break; /* cleared by the caller, or idle for 30 s */
		stress_count_n(&c->bytes_received, received - 1);
		stress_count(&c->packets_received);
		ssize_t sent = send(call->sock, buf, (size_t)received, MSG_EOR);
		if (sent > 0) {
			stress_count_n(&c->bytes_sent, sent - 1);
			stress_count(&c->packets_sent);
		}
	}
	if (!buf)
		fprintf(stderr, "x25stress: out of memory for a %zu-byte echo buffer; dropping the call\n",
			buf_len);
	close(call->sock);
	free(buf);
	free(call);
	return NULL;
}

static int open_listener(struct stress_run *run)
{
	const struct stress_options *opts = run->opts;
	const char *addr = opts->local_addr[0] ? opts->local_addr : X25_WILDCARD_ADDRESS;
	int sock = x25_socket();

	if (sock < 0) {
		perror("socket");
		fprintf(stderr, "x25stress: cannot create an AF_X25 socket; is the x25 module loaded (modprobe x25)?\n");
		return -1;
	}
	if (x25_bind(sock, addr) < 0) {
		stress_count(&run->counters.bind_errors);
		perror("bind");
		fprintf(stderr, "x25stress: cannot bind the receiver to '%s'\n", addr);
		close(sock);
		return -1;
	}
	stress_request_facilities(run, sock);
	if (listen(sock, STRESS_LISTEN_BACKLOG) < 0) {
		perror("listen");
		fprintf(stderr, "x25stress: cannot listen on '%s'\n", addr);
		close(sock);
		return -1;
	}
	return sock;
}

static void start_echo(struct stress_run *run, int sock)
{
	struct echo_call *call = malloc(sizeof(*call));
	pthread_attr_t attr;
	pthread_t thread;
	int rc = ENOMEM;

	if (call) {
		call->run = run;
		call->sock = sock;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		rc = pthread_create(&thread, &attr, echo_main, call);
		pthread_attr_destroy(&attr);
	}
	if (rc) {
		fprintf(stderr, "x25stress: cannot start an echo thread: %s; clearing the call "
				"(too many calls at once? raise ulimit -u or the memory limit)\n",
			strerror(rc));
		close(sock);
		free(call);
	}
}

void stress_accept_loop(struct stress_run *run, int listener, int signal_fd, int *signo,
			stress_take_fn take, void *arg)
{
	struct pollfd waits[2] = {
		{ .fd = listener, .events = POLLIN },
		{ .fd = signal_fd, .events = POLLIN },
	};

	while (*signo == 0) {
		if (poll(waits, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("x25stress: poll");
			break;
		}
		if (waits[1].revents & POLLIN) {
			struct signalfd_siginfo info;

			if (read(signal_fd, &info, sizeof(info)) == (ssize_t)sizeof(info))
				*signo = (int)info.ssi_signo;
			continue;
		}
		if (!(waits[0].revents & POLLIN))
			continue;
		struct sockaddr_storage peer;
		socklen_t peer_len = sizeof(peer);
		int sock = accept4(listener, (struct sockaddr *)&peer, &peer_len, SOCK_CLOEXEC);
		if (sock < 0) {
			stress_count(&run->counters.accept_errors);
			perror("accept");
			continue;
		}
		take(run, sock, &peer, peer_len, arg);
	}
}

/* An accepted AF_X25 call: counted, and echoed by a thread of its own. */
static void take_call(struct stress_run *run, int sock, const struct sockaddr_storage *peer,
		      socklen_t peer_len, void *arg)
{
	stress_count(&run->counters.calls_received);
	start_echo(run, sock);
}

int stress_receiver_run(struct stress_run *run, int signal_fd, int *signo)
{
	int listener = open_listener(run);

	*signo = 0;
	if (listener < 0)
		return -1;
	printf("Receiver listening for X.25 calls...\n");
	fflush(stdout); /* scripts wait for this line before starting senders */
	stress_accept_loop(run, listener, signal_fd, signo, take_call, NULL);
	close(listener);
	stress_run_stop(run);
	return 0;
}
