// SPDX-License-Identifier: GPL-2.0-or-later
/* x25test_listen.c - `x25test listen`: an AF_X25 echo server for many concurrent calls.
 *
 * One process, one epoll loop. Sockets stay blocking and reads use MSG_DONTWAIT: with
 * O_NONBLOCK a large send() can return after queueing only part of a record (x25_output
 * gives up mid-record), so echoes are sent blocking. Clients wait for each echo before
 * sending more, so a blocking send never waits for long.
 */
#include "x25test.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

struct listen_opts {
	struct x25_address address;
	unsigned pacsize_log2;
	int window;
	int rcvbuf;
	int sndbuf;
	int backlog;
	long calls_limit;
	bool qbit;
	bool echo_interrupts;
	bool print_call;
	bool clear_after_first;
	struct x25_causediag clear_causediag;
	unsigned char match_cud[128];
	size_t match_cud_len;
	const char *ready_file;
};

struct served_call {
	int fd;
	long id;
	char calling[16];
	char called[16];
	unsigned long records;
	unsigned long bytes;
	unsigned long interrupts;
	bool warned_sndbuf;
	struct served_call *next; /* list of open calls, scanned on SIGURG */
};

struct listen_state {
	const struct listen_opts *opts;
	int epoll_fd;
	int listen_fd;
	int signal_fd;
	long calls_accepted;
	long calls_ended;
	struct served_call *calls;
	unsigned char buf[X25TEST_MAX_RECORD + 2]; /* a record plus the Q byte, plus 1 to see excess */
};

static void parse_listen_opts(int argc, char **argv, struct listen_opts *opts)
{
	enum { OPT_RCVBUF = 256, OPT_SNDBUF, OPT_CALLS, OPT_PRINT_CALL, OPT_CLEAR, OPT_READY, OPT_QBIT,
	       OPT_ECHO_INT, OPT_BACKLOG, OPT_MATCH_CUD };
	static const struct option longopts[] = {
		{"rcvbuf", required_argument, NULL, OPT_RCVBUF},
		{"sndbuf", required_argument, NULL, OPT_SNDBUF},
		{"calls", required_argument, NULL, OPT_CALLS},
		{"print-call", no_argument, NULL, OPT_PRINT_CALL},
		{"clear-causediag", required_argument, NULL, OPT_CLEAR},
		{"ready-file", required_argument, NULL, OPT_READY},
		{"qbit", no_argument, NULL, OPT_QBIT},
		{"echo-interrupts", no_argument, NULL, OPT_ECHO_INT},
		{"backlog", required_argument, NULL, OPT_BACKLOG},
		{"match-cud", required_argument, NULL, OPT_MATCH_CUD},
		{"verbose", no_argument, NULL, 'v'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(opts, 0, sizeof(*opts));
	opts->backlog = 256;
	while ((c = getopt_long(argc, argv, "P:W:v", longopts, NULL)) != -1) {
		switch (c) {
		case 'P': opts->pacsize_log2 = parse_packet_size("-P", optarg); break;
		case 'W': opts->window = (int)parse_long("-W", optarg, 1, 127); break;
		case 'v': x25test_verbose = true; break;
		case OPT_RCVBUF: opts->rcvbuf = (int)parse_long("--rcvbuf", optarg, 256, 1 << 30); break;
		case OPT_SNDBUF: opts->sndbuf = (int)parse_long("--sndbuf", optarg, 1024, 1 << 30); break;
		case OPT_CALLS: opts->calls_limit = parse_long("--calls", optarg, 1, 1L << 40); break;
		case OPT_PRINT_CALL: opts->print_call = true; break;
		case OPT_CLEAR:
			opts->clear_after_first = true;
			parse_causediag("--clear-causediag", optarg, &opts->clear_causediag);
			break;
		case OPT_READY: opts->ready_file = optarg; break;
		case OPT_QBIT: opts->qbit = true; break;
		case OPT_ECHO_INT: opts->echo_interrupts = true; break;
		case OPT_BACKLOG: opts->backlog = (int)parse_long("--backlog", optarg, 0, 65535); break;
		case OPT_MATCH_CUD:
			opts->match_cud_len = parse_hex("--match-cud", optarg, opts->match_cud,
							sizeof(opts->match_cud));
			if (opts->match_cud_len == 0)
				die_usage("listen: --match-cud needs at least one byte");
			break;
		default: die_usage("listen: unknown option");
		}
	}
	if (optind + 1 != argc)
		die_usage("listen: expected exactly one ADDR (digits, or \"*\" for any address)");
	parse_address("listen ADDR", argv[optind], &opts->address);
}

static int open_listener(const struct listen_opts *opts)
{
	/* Facilities and CUD matching are inherited by every accepted call (x25_make_new). */
	int fd = socket_open_configured(opts->qbit, opts->rcvbuf, opts->sndbuf, opts->window,
					opts->pacsize_log2);

	if (fd < 0)
		return -1;
	if (opts->match_cud_len) {
		struct x25_calluserdata cud = {.cudlength = (unsigned)opts->match_cud_len};
		struct x25_subaddr sub = {.cudmatchlength = (unsigned)opts->match_cud_len};

		memcpy(cud.cuddata, opts->match_cud, opts->match_cud_len);
		if (ioctl(fd, SIOCX25SCALLUSERDATA, &cud) < 0 ||
		    ioctl(fd, SIOCX25SCUDMATCHLEN, &sub) < 0) {
			fail_msg("listen: setting the CUD match (SIOCX25SCALLUSERDATA/SCUDMATCHLEN): %s",
				 strerror(errno));
			goto fail;
		}
	}
	if (socket_bind_address(fd, &opts->address) < 0)
		goto fail;
	if (listen(fd, opts->backlog) < 0) {
		fail_msg("listen(backlog %d): %s", opts->backlog, strerror(errno));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

static void print_call_start(const struct served_call *call)
{
	struct x25_facilities fac;
	struct x25_calluserdata cud;
	char cud_hex[2 * sizeof(cud.cuddata) + 1];

	if (x25_get_facilities(call->fd, &fac) < 0)
		fail_msg("listen: call %ld: SIOCX25GFACILITIES: %s", call->id, strerror(errno));
	if (ioctl(call->fd, SIOCX25GCALLUSERDATA, &cud) < 0) {
		fail_msg("listen: call %ld: SIOCX25GCALLUSERDATA: %s", call->id, strerror(errno));
		cud.cudlength = 0;
	}
	hex_string(cud.cuddata, cud.cudlength > sizeof(cud.cuddata) ? 0 : cud.cudlength, cud_hex,
		   sizeof(cud_hex));
	printf("call %ld calling=%s called=%s winsize_in=%u winsize_out=%u pacsize_in=%u "
	       "pacsize_out=%u cud=%s\n",
	       call->id, call->calling, call->called, fac.winsize_in, fac.winsize_out, fac.pacsize_in,
	       fac.pacsize_out, cud_hex);
	fflush(stdout);
}

static void accept_call(struct listen_state *st)
{
	struct sockaddr_x25 peer, local;
	socklen_t peer_len = sizeof(peer), local_len = sizeof(local);
	struct served_call *call;
	struct epoll_event ev = {.events = EPOLLIN};
	int fd = accept4(st->listen_fd, (struct sockaddr *)&peer, &peer_len, SOCK_CLOEXEC);

	if (fd < 0) {
		/* A pending call that was cleared or lost its link before accept() is normal. */
		if (errno == ECONNABORTED || errno == EINVAL || errno == EINTR)
			info_msg("listen: accept: %s (call gone before accept)", strerror(errno));
		else
			fail_msg("listen: accept: %s", strerror(errno));
		return;
	}
	call = calloc(1, sizeof(*call));
	if (!call)
		die_setup("listen: out of memory");
	call->fd = fd;
	call->id = ++st->calls_accepted;
	format_address(&peer.sx25_addr, call->calling, sizeof(call->calling));
	if (getsockname(fd, (struct sockaddr *)&local, &local_len) == 0)
		format_address(&local.sx25_addr, call->called, sizeof(call->called));
	else
		snprintf(call->called, sizeof(call->called), "?");
	/* SIGURG is the only notice of an interrupt, poll() shows nothing (docs/linux-x25.md
	 * §9.6). */
	if (st->opts->echo_interrupts && fcntl(fd, F_SETOWN, getpid()) < 0)
		fail_msg("listen: call %ld: F_SETOWN: %s", call->id, strerror(errno));
	ev.data.ptr = call;
	if (epoll_ctl(st->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0)
		die_setup("listen: epoll_ctl(ADD call): %s", strerror(errno));
	call->next = st->calls;
	st->calls = call;
	info_msg("listen: call %ld accepted from %s to %s", call->id, call->calling, call->called);
	if (st->opts->print_call)
		print_call_start(call);
}

/* Ends a call: `reason` is an errno from the socket, or 0 when this side cleared it. */
static void end_call(struct listen_state *st, struct served_call *call, int reason)
{
	struct x25_causediag cd;

	if (x25_get_causediag(call->fd, &cd) < 0)
		fail_msg("listen: call %ld: SIOCX25GCAUSEDIAG: %s", call->id, strerror(errno));
	if (st->opts->print_call) {
		printf("end %ld calling=%s called=%s records=%lu bytes=%lu interrupts=%lu "
		       "cause=0x%02x diag=0x%02x reason=%s\n",
		       call->id, call->calling, call->called, call->records, call->bytes,
		       call->interrupts, cd.cause, cd.diagnostic,
		       reason ? errno_name(reason) : "cleared-here");
		fflush(stdout);
	}
	info_msg("listen: call %ld ended (%s), %lu records", call->id,
		 reason ? strerror(reason) : "cleared here", call->records);
	epoll_ctl(st->epoll_fd, EPOLL_CTL_DEL, call->fd, NULL);
	close(call->fd);
	for (struct served_call **link = &st->calls; *link; link = &(*link)->next) {
		if (*link == call) {
			*link = call->next;
			break;
		}
	}
	free(call);
	st->calls_ended++;
}

static void serve_record(struct listen_state *st, struct served_call *call)
{
	struct iovec iov = {.iov_base = st->buf, .iov_len = sizeof(st->buf)};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n = recvmsg(call->fd, &msg, MSG_DONTWAIT);

	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		end_call(st, call, clear_reason(call->fd, errno)); /* ENOTCONN after a CLEAR */
		return;
	}
	if (msg.msg_flags & MSG_TRUNC)
		fail_msg("listen: call %ld: record truncated at %zd bytes", call->id, n);
	call->records++;
	call->bytes += (unsigned long)n;
	if (st->opts->clear_after_first) {
		/* The CLEAR REQUEST that close() sends carries this cause/diag (x25_release). */
		if (x25_set_causediag(call->fd, &st->opts->clear_causediag) < 0)
			fail_msg("listen: call %ld: SIOCX25SCAUSEDIAG: %s", call->id, strerror(errno));
		end_call(st, call, 0);
		return;
	}
	if (!call->warned_sndbuf && st->opts->sndbuf == 0)
		call->warned_sndbuf = record_may_block_send(call->fd, (size_t)n);
	if (send(call->fd, st->buf, (size_t)n, MSG_EOR) < 0)
		end_call(st, call, errno);
}

/* After SIGURG: echo every queued interrupt on every call (the signal does not say which). */
static void echo_interrupts(struct listen_state *st)
{
	unsigned char data[X25TEST_MAX_INTERRUPT + 2];

	for (struct served_call *call = st->calls; call; call = call->next) {
		for (;;) {
			ssize_t n = recv(call->fd, data, sizeof(data), MSG_OOB | MSG_DONTWAIT);

			if (n < 0)
				break; /* EINVAL: no interrupt queued */
			call->interrupts++;
			info_msg("listen: call %ld: interrupt of %zd bytes", call->id, n);
			if (send(call->fd, data, (size_t)n, MSG_OOB) < 0)
				fail_msg("listen: call %ld: echoing the interrupt: %s", call->id,
					 strerror(errno));
		}
	}
}

/* Returns true when the loop should stop. */
static bool handle_signal(struct listen_state *st)
{
	struct signalfd_siginfo si;

	while (read(st->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGURG) {
			echo_interrupts(st);
			continue;
		}
		info_msg("listen: signal %u, stopping", si.ssi_signo);
		return true;
	}
	return false;
}

/* Signals and the listener into one epoll set; exits on failure. */
static void setup_loop(struct listen_state *st)
{
	sigset_t mask;
	struct epoll_event ev = {.events = EPOLLIN};

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGURG);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ||
	    (st->signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		die_setup("listen: signalfd: %s", strerror(errno));
	st->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (st->epoll_fd < 0)
		die_setup("listen: epoll_create1: %s", strerror(errno));
	ev.data.ptr = &st->signal_fd;
	if (epoll_ctl(st->epoll_fd, EPOLL_CTL_ADD, st->signal_fd, &ev) < 0)
		die_setup("listen: epoll_ctl(signalfd): %s", strerror(errno));
	ev.data.ptr = &st->listen_fd;
	if (epoll_ctl(st->epoll_fd, EPOLL_CTL_ADD, st->listen_fd, &ev) < 0)
		die_setup("listen: epoll_ctl(listener): %s", strerror(errno));
}

int listen_main(int argc, char **argv)
{
	static struct listen_state st; /* static: holds a 64 KiB buffer */
	struct listen_opts opts;
	bool stop = false;

	parse_listen_opts(argc, argv, &opts);
	/* AF_X25 send() rejects MSG_NOSIGNAL, so a send after the peer cleared raises SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	st.opts = &opts;
	st.listen_fd = open_listener(&opts);
	if (st.listen_fd < 0)
		return EXIT_SETUP;
	setup_loop(&st);
	if (opts.ready_file && write_ready_file("listen", opts.ready_file) < 0)
		return EXIT_SETUP;
	info_msg("listen: listening on \"%s\"", opts.address.x25_addr);

	while (!stop && !(opts.calls_limit && st.calls_ended >= opts.calls_limit)) {
		struct epoll_event events[64];
		int n = epoll_wait(st.epoll_fd, events, 64, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die_setup("listen: epoll_wait: %s", strerror(errno));
		}
		/* Calls are ended only by their own event, so no pointer in this batch dangles. */
		for (int i = 0; i < n && !stop; i++) {
			if (events[i].data.ptr == &st.signal_fd)
				stop = handle_signal(&st);
			else if (events[i].data.ptr == &st.listen_fd)
				accept_call(&st);
			else
				serve_record(&st, events[i].data.ptr);
		}
	}
	while (st.calls)
		end_call(&st, st.calls, ECONNABORTED);
	close(st.listen_fd);
	fprintf(stderr, "x25test: listen: exiting, calls accepted=%ld ended=%ld\n", st.calls_accepted,
		st.calls_ended);
	return EXIT_OK;
}
