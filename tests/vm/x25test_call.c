// SPDX-License-Identifier: GPL-2.0-or-later
/* x25test_call.c - `x25test call`: place AF_X25 calls and check the echo, one call or a load.
 *
 * A single call checks everything a test may ask for (errno of a failed connect, facilities,
 * Q bit, interrupts, cause/diag of the peer's clear). The load mode is in x25test_load.c.
 */
#include "x25test.h"
#include "x25test_call.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static void parse_call_opts(int argc, char **argv, struct call_opts *opts)
{
	enum { OPT_CUD = 256, OPT_SIZES, OPT_MESSAGES, OPT_QBIT, OPT_INTERRUPT, OPT_RCVBUF, OPT_SNDBUF,
	       OPT_EXPECT_ERROR, OPT_EXPECT_CD, OPT_SET_CD, OPT_PRINT_FAC, OPT_HOLD,
	       OPT_CONNECT_TIMEOUT, OPT_TIMEOUT, OPT_CALLS, OPT_PARALLEL, OPT_READY };
	static const struct option longopts[] = {
		{"cud", required_argument, NULL, OPT_CUD},
		{"sizes", required_argument, NULL, OPT_SIZES},
		{"messages", required_argument, NULL, OPT_MESSAGES},
		{"qbit", no_argument, NULL, OPT_QBIT},
		{"interrupt", required_argument, NULL, OPT_INTERRUPT},
		{"rcvbuf", required_argument, NULL, OPT_RCVBUF},
		{"sndbuf", required_argument, NULL, OPT_SNDBUF},
		{"expect-error", required_argument, NULL, OPT_EXPECT_ERROR},
		{"expect-causediag", required_argument, NULL, OPT_EXPECT_CD},
		{"set-causediag", required_argument, NULL, OPT_SET_CD},
		{"print-facilities", no_argument, NULL, OPT_PRINT_FAC},
		{"hold", no_argument, NULL, OPT_HOLD},
		{"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
		{"timeout", required_argument, NULL, OPT_TIMEOUT},
		{"calls", required_argument, NULL, OPT_CALLS},
		{"parallel", required_argument, NULL, OPT_PARALLEL},
		{"ready-file", required_argument, NULL, OPT_READY},
		{"verbose", no_argument, NULL, 'v'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(opts, 0, sizeof(*opts));
	parse_address("-s", "999", &opts->source);
	parse_sizes("--sizes", "16", &opts->sizes);
	opts->connect_timeout_ms = 30000;
	opts->timeout_ms = 30000;
	opts->parallel = 1;
	while ((c = getopt_long(argc, argv, "s:P:W:v", longopts, NULL)) != -1) {
		switch (c) {
		case 's': parse_address("-s", optarg, &opts->source); break;
		case 'P': opts->pacsize_log2 = parse_packet_size("-P", optarg); break;
		case 'W': opts->window = (int)parse_long("-W", optarg, 1, 127); break;
		case 'v': x25test_verbose = true; break;
		case OPT_CUD:
			opts->cud_len = parse_hex("--cud", optarg, opts->cud, sizeof(opts->cud));
			opts->has_cud = true;
			break;
		case OPT_SIZES: parse_sizes("--sizes", optarg, &opts->sizes); break;
		case OPT_MESSAGES: opts->messages = parse_long("--messages", optarg, 0, 1L << 30); break;
		case OPT_QBIT: opts->qbit = true; break;
		case OPT_INTERRUPT:
			opts->interrupt_len = parse_hex("--interrupt", optarg, opts->interrupt,
							sizeof(opts->interrupt));
			opts->has_interrupt = true;
			break;
		case OPT_RCVBUF: opts->rcvbuf = (int)parse_long("--rcvbuf", optarg, 256, 1 << 30); break;
		case OPT_SNDBUF: opts->sndbuf = (int)parse_long("--sndbuf", optarg, 1024, 1 << 30); break;
		case OPT_EXPECT_ERROR:
			opts->expect_error = parse_errno_name("--expect-error", optarg);
			break;
		case OPT_EXPECT_CD:
			parse_causediag("--expect-causediag", optarg, &opts->expect_causediag);
			opts->has_expect_causediag = true;
			break;
		case OPT_SET_CD:
			parse_causediag("--set-causediag", optarg, &opts->set_causediag);
			opts->has_set_causediag = true;
			break;
		case OPT_PRINT_FAC: opts->print_facilities = true; break;
		case OPT_HOLD: opts->hold = true; break;
		case OPT_CONNECT_TIMEOUT:
			opts->connect_timeout_ms =
				(int)parse_long("--connect-timeout", optarg, 1, 3600 * 1000);
			break;
		case OPT_TIMEOUT:
			opts->timeout_ms = (int)parse_long("--timeout", optarg, 1, 3600) * 1000;
			break;
		case OPT_CALLS: opts->load_calls = parse_long("--calls", optarg, 1, 1L << 40); break;
		case OPT_PARALLEL: opts->parallel = parse_long("--parallel", optarg, 1, 4096); break;
		case OPT_READY: opts->ready_file = optarg; break;
		default: die_usage("call: unknown option");
		}
	}
	if (optind + 1 != argc)
		die_usage("call: expected exactly one DEST address");
	parse_address("call DEST", argv[optind], &opts->dest);
	if (opts->dest.x25_addr[0] == ' ')
		die_usage("call: DEST must be digits, \"*\" is only for listeners");
	if (opts->load_calls && (opts->has_interrupt || opts->expect_error || opts->hold ||
				 opts->has_expect_causediag || opts->print_facilities))
		die_usage("call: --calls (load mode) cannot be combined with --interrupt, "
			  "--expect-error, --expect-causediag, --hold or --print-facilities");
	if (opts->expect_error && (opts->hold || opts->has_interrupt))
		die_usage("call: --expect-error cannot be combined with --hold or --interrupt");
	if (opts->messages == 0)
		opts->messages = opts->load_calls ? 1 : (long)opts->sizes.count;
}

/* Socket options that must be set before connect(): Q bit, buffer, facilities, CUD, bind. */
int call_prepare_socket(const struct call_opts *opts)
{
	int fd = socket_open_configured(opts->qbit, opts->rcvbuf, opts->sndbuf, opts->window,
					opts->pacsize_log2);

	if (fd < 0)
		return -1;
	if (opts->has_cud) {
		struct x25_calluserdata cud = {.cudlength = (unsigned)opts->cud_len};

		memcpy(cud.cuddata, opts->cud, opts->cud_len);
		if (ioctl(fd, SIOCX25SCALLUSERDATA, &cud) < 0) {
			fail_msg("call: SIOCX25SCALLUSERDATA (%zu bytes): %s", opts->cud_len,
				 strerror(errno));
			goto fail;
		}
	}
	if (socket_bind_address(fd, &opts->source) < 0)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

/* Non-blocking connect bounded by timeout_ms; returns 0 or the errno the call failed with.
 * On ETIMEDOUT the caller's close() sends a CLEAR REQUEST from state 1. */
int call_connect_bounded(int fd, const struct x25_address *dest, int timeout_ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};
	int err = x25_connect_start(fd, dest->x25_addr);

	if (err != EINPROGRESS)
		return err; /* 0: connected at once */
	for (;;) {
		int n = poll(&pfd, 1, timeout_ms);

		if (n > 0)
			break;
		if (n == 0)
			return ETIMEDOUT;
		if (errno != EINTR)
			return errno;
	}
	return x25_connect_finish(fd, dest->x25_addr);
}

struct x25_causediag call_read_causediag(int fd)
{
	struct x25_causediag cd;

	if (x25_get_causediag(fd, &cd) < 0)
		fail_msg("call: SIOCX25GCAUSEDIAG: %s", strerror(errno));
	return cd;
}

/* Waits up to timeout_ms for fd to become readable (data or clear). 1 ready, 0 timeout. */
static int wait_readable(int fd, int timeout_ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	double deadline = x25_monotonic_seconds() + timeout_ms / 1000.0;

	for (;;) {
		int left = (int)((deadline - x25_monotonic_seconds()) * 1000.0);
		int n = poll(&pfd, 1, left > 0 ? left : 0);

		if (n > 0)
			return 1;
		if (n == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

/*
 * Sends one record of `len` payload bytes (plus the Q byte with --qbit) and checks that the
 * same record comes back. sendbuf/recvbuf hold X25TEST_MAX_RECORD + 2 bytes.
 */
enum echo_result call_exchange_record(int fd, const struct call_opts *opts, uint64_t call_id,
					uint64_t msg_index, unsigned char *sendbuf,
					unsigned char *recvbuf, size_t *len_out, int *err_out,
					char *why, size_t why_len)
{
	size_t len = size_for(&opts->sizes, call_id * (uint64_t)opts->messages + msg_index);
	size_t head = opts->qbit ? 1 : 0;
	unsigned char qbit = (unsigned char)(opts->qbit && (msg_index % 2 == 1));
	ssize_t n;
	struct iovec iov = {.iov_base = recvbuf, .iov_len = X25TEST_MAX_RECORD + 2};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};

	if (len == SIZE_LARGEST_RECORD)
		len = largest_record(fd);
	*len_out = len;
	sendbuf[0] = qbit;
	fill_pattern(sendbuf + head, len, call_id, msg_index);
	if (opts->sndbuf == 0 && opts->load_calls == 0)
		record_may_block_send(fd, len + head);
	if (send(fd, sendbuf, len + head, MSG_EOR) < 0) {
		int send_err = errno;

		*err_out = clear_reason(fd, send_err);
		snprintf(why, why_len, "send of message %llu (%zu bytes): %s",
			 (unsigned long long)msg_index, len, strerror(*err_out));
		return (send_err == EPIPE || send_err == ENOTCONN || send_err == ENETUNREACH)
			       ? ECHO_CLEARED
			       : ECHO_ERROR;
	}
	switch (wait_readable(fd, opts->timeout_ms)) {
	case 0:
		snprintf(why, why_len, "no echo of message %llu (%zu bytes) within %d ms",
			 (unsigned long long)msg_index, len, opts->timeout_ms);
		return ECHO_TIMEOUT;
	case 1: break;
	default:
		*err_out = errno;
		snprintf(why, why_len, "poll: %s", strerror(errno));
		return ECHO_ERROR;
	}
	n = recvmsg(fd, &msg, MSG_DONTWAIT);
	if (n < 0) {
		int recv_err = errno;

		*err_out = clear_reason(fd, recv_err);
		snprintf(why, why_len, "waiting for the echo of message %llu (%zu bytes): %s",
			 (unsigned long long)msg_index, len, strerror(*err_out));
		return (recv_err == ENOTCONN || recv_err == ENETUNREACH || recv_err == ECONNRESET)
			       ? ECHO_CLEARED
			       : ECHO_ERROR;
	}
	if ((size_t)n != len + head || (msg.msg_flags & MSG_TRUNC)) {
		snprintf(why, why_len, "message %llu: sent %zu bytes, echo has %zd",
			 (unsigned long long)msg_index, len, n - (ssize_t)head);
		return ECHO_MISMATCH;
	}
	if (head && recvbuf[0] != qbit) {
		snprintf(why, why_len, "message %llu: sent Q=%u, echo has Q=%u",
			 (unsigned long long)msg_index, qbit, recvbuf[0]);
		return ECHO_MISMATCH;
	}
	if (memcmp(sendbuf + head, recvbuf + head, len) != 0) {
		size_t at = 0;

		while (sendbuf[head + at] == recvbuf[head + at])
			at++;
		snprintf(why, why_len, "message %llu (%zu bytes): echo differs at byte %zu",
			 (unsigned long long)msg_index, len, at);
		return ECHO_MISMATCH;
	}
	return ECHO_OK;
}

static void print_facilities(int fd)
{
	struct x25_facilities fac;

	if (x25_get_facilities(fd, &fac) < 0) {
		fail_msg("call: SIOCX25GFACILITIES: %s", strerror(errno));
		return;
	}
	printf("facilities winsize_in=%u winsize_out=%u pacsize_in=%u pacsize_out=%u\n",
	       fac.winsize_in, fac.winsize_out, fac.pacsize_in, fac.pacsize_out);
	fflush(stdout);
}

static bool causediag_matches(int fd, const struct x25_causediag *want)
{
	struct x25_causediag got = call_read_causediag(fd);

	if (got.cause == want->cause && got.diagnostic == want->diagnostic)
		return true;
	fail_msg("call: expected cause=0x%02x diag=0x%02x, got cause=0x%02x diag=0x%02x",
		 want->cause, want->diagnostic, got.cause, got.diagnostic);
	return false;
}

/* Sends the interrupt and waits (SIGURG, blocked and taken synchronously) for its echo. */
static int exchange_interrupt(int fd, const struct call_opts *opts)
{
	unsigned char out[X25TEST_MAX_INTERRUPT * 2 + 1], in[X25TEST_MAX_INTERRUPT * 2 + 2];
	size_t head = opts->qbit ? 1 : 0;
	/* With X25_QBITINCL the 32-byte cap counts the Q byte (docs/linux-x25.md §9.6). */
	size_t cap = X25TEST_MAX_INTERRUPT - head;
	size_t expect = opts->interrupt_len < cap ? opts->interrupt_len : cap;
	double deadline = x25_monotonic_seconds() + opts->timeout_ms / 1000.0;
	sigset_t urg;

	sigemptyset(&urg);
	sigaddset(&urg, SIGURG);
	out[0] = 0;
	memcpy(out + head, opts->interrupt, opts->interrupt_len);
	if (send(fd, out, opts->interrupt_len + head, MSG_OOB) < 0) {
		fail_msg("call: sending the interrupt: %s", strerror(errno));
		return EXIT_CHECK_FAILED;
	}
	for (;;) {
		ssize_t n = recv(fd, in, sizeof(in), MSG_OOB | MSG_DONTWAIT);
		struct timespec wait;
		double left;

		if (n >= 0) {
			if ((size_t)n != expect + head || memcmp(in + head, opts->interrupt, expect)) {
				char got[2 * sizeof(in) + 1];

				hex_string(in + head, n > (ssize_t)head ? (size_t)n - head : 0, got,
					   sizeof(got));
				fail_msg("call: interrupt echo is %s (%zd bytes), expected the first %zu "
					 "bytes sent",
					 got, n - (ssize_t)head, expect);
				return EXIT_CHECK_FAILED;
			}
			info_msg("call: interrupt echoed (%zu bytes)", expect);
			return EXIT_OK;
		}
		if (errno != EINVAL) {
			fail_msg("call: waiting for the interrupt echo: %s",
				 strerror(clear_reason(fd, errno)));
			return EXIT_CHECK_FAILED;
		}
		left = deadline - x25_monotonic_seconds();
		if (left <= 0) {
			fail_msg("call: no interrupt echo within %d ms", opts->timeout_ms);
			return EXIT_TIMEOUT;
		}
		wait.tv_sec = (time_t)left;
		wait.tv_nsec = (long)((left - (double)wait.tv_sec) * 1e9);
		sigtimedwait(&urg, NULL, &wait);
	}
}

/* stdin counts as a hold handle only if it is a pipe, socket or terminal: a background job
 * of sh gets /dev/null, which would end the hold at once. */
static bool stdin_is_hold_handle(void)
{
	struct stat sb;

	if (fstat(STDIN_FILENO, &sb) < 0)
		return false;
	return S_ISFIFO(sb.st_mode) || S_ISSOCK(sb.st_mode) || isatty(STDIN_FILENO);
}

/*
 * After the messages: wait for the peer's clear (--expect-causediag) or for the end of the
 * hold (--hold: SIGTERM/SIGINT or stdin EOF). Returns an exit code.
 */
static int hold_or_wait_clear(int fd, const struct call_opts *opts)
{
	sigset_t stop;
	int sfd;
	struct pollfd pfd[3];
	nfds_t nfds = 2;
	int timeout = (opts->has_expect_causediag && !opts->hold) ? opts->timeout_ms : -1;

	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	if (sigprocmask(SIG_BLOCK, &stop, NULL) < 0 ||
	    (sfd = signalfd(-1, &stop, SFD_CLOEXEC)) < 0)
		die_setup("call: signalfd: %s", strerror(errno));
	pfd[0] = (struct pollfd){.fd = fd, .events = POLLIN};
	pfd[1] = (struct pollfd){.fd = sfd, .events = POLLIN};
	if (opts->hold && stdin_is_hold_handle())
		pfd[nfds++] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};

	for (;;) {
		int n = poll(pfd, nfds, timeout);

		if (n == 0) {
			fail_msg("call: the peer did not clear the call within %d ms", opts->timeout_ms);
			return EXIT_TIMEOUT;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die_setup("call: poll: %s", strerror(errno));
		}
		if (pfd[0].revents) {
			unsigned char buf[X25TEST_MAX_RECORD + 2];
			ssize_t got = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
			struct x25_causediag cd;

			if (got >= 0) {
				fail_msg("call: unexpected record of %zd bytes while holding", got);
				return EXIT_CHECK_FAILED;
			}
			if (errno == EAGAIN)
				continue;
			cd = call_read_causediag(fd);
			if (opts->has_expect_causediag) {
				if (!causediag_matches(fd, &opts->expect_causediag))
					return EXIT_CHECK_FAILED;
				printf("ok cleared cause=0x%02x diag=0x%02x\n", cd.cause, cd.diagnostic);
				return EXIT_OK;
			}
			fail_msg("call: the call was cleared while holding: %s, cause=0x%02x diag=0x%02x",
				 strerror(clear_reason(fd, errno)), cd.cause, cd.diagnostic);
			return EXIT_CHECK_FAILED;
		}
		if (opts->has_expect_causediag) {
			fail_msg("call: stopped before the peer cleared the call");
			return EXIT_CHECK_FAILED;
		}
		info_msg("call: hold ended by %s", pfd[1].revents ? "a signal" : "stdin");
		return EXIT_OK;
	}
}

static int report_connect_failure(int fd, const struct call_opts *opts, int err)
{
	struct x25_causediag cd = call_read_causediag(fd);

	if (opts->expect_error == 0) {
		fail_msg("call: connect to %s failed: %s (%s), cause=0x%02x diag=0x%02x",
			 opts->dest.x25_addr, strerror(err), errno_name(err), cd.cause, cd.diagnostic);
		return err == ETIMEDOUT ? EXIT_TIMEOUT : EXIT_CHECK_FAILED;
	}
	if (err != opts->expect_error) {
		fail_msg("call: connect to %s failed with %s (%s), expected %s; cause=0x%02x diag=0x%02x",
			 opts->dest.x25_addr, errno_name(err), strerror(err),
			 errno_name(opts->expect_error), cd.cause, cd.diagnostic);
		return EXIT_CHECK_FAILED;
	}
	if (opts->has_expect_causediag && !causediag_matches(fd, &opts->expect_causediag))
		return EXIT_CHECK_FAILED;
	printf("ok connect failed with %s cause=0x%02x diag=0x%02x\n", errno_name(err), cd.cause,
	       cd.diagnostic);
	return EXIT_OK;
}

static int single_call(const struct call_opts *opts)
{
	unsigned char *sendbuf = malloc(X25TEST_MAX_RECORD + 2);
	unsigned char *recvbuf = malloc(X25TEST_MAX_RECORD + 2);
	uint64_t call_id = (uint64_t)getpid();
	unsigned long long bytes = 0;
	sigset_t urg;
	int fd, err, rc = EXIT_OK;

	if (!sendbuf || !recvbuf)
		die_setup("call: out of memory");
	/* Blocked before connect so an early interrupt echo is not lost. SIGTERM stays
	 * deliverable until the hold starts, so `timeout` can always stop a stuck call. */
	sigemptyset(&urg);
	sigaddset(&urg, SIGURG);
	sigprocmask(SIG_BLOCK, &urg, NULL);

	fd = call_prepare_socket(opts);
	if (fd < 0)
		return EXIT_SETUP;
	err = call_connect_bounded(fd, &opts->dest, opts->connect_timeout_ms);
	if (err != 0 || opts->expect_error) {
		if (err == 0) {
			fail_msg("call: connect to %s succeeded, expected %s", opts->dest.x25_addr,
				 errno_name(opts->expect_error));
			rc = EXIT_CHECK_FAILED;
		} else {
			rc = report_connect_failure(fd, opts, err);
		}
		goto out;
	}
	info_msg("call: connected to %s", opts->dest.x25_addr);
	if (opts->has_interrupt && fcntl(fd, F_SETOWN, getpid()) < 0)
		die_setup("call: F_SETOWN: %s", strerror(errno));
	if (opts->print_facilities)
		print_facilities(fd);

	for (long i = 0; i < opts->messages; i++) {
		char why[256];
		size_t len = 0;
		enum echo_result res = call_exchange_record(fd, opts, call_id, (uint64_t)i, sendbuf,
						       recvbuf, &len, &err, why, sizeof(why));

		if (res == ECHO_OK) {
			bytes += len;
			continue;
		}
		if (res == ECHO_CLEARED && opts->has_expect_causediag) {
			struct x25_causediag cd = call_read_causediag(fd);

			rc = causediag_matches(fd, &opts->expect_causediag) ? EXIT_OK
									     : EXIT_CHECK_FAILED;
			if (rc == EXIT_OK)
				printf("ok cleared cause=0x%02x diag=0x%02x\n", cd.cause, cd.diagnostic);
			goto out;
		}
		if (res == ECHO_CLEARED) {
			struct x25_causediag cd = call_read_causediag(fd);

			fail_msg("call: %s; the call was cleared, cause=0x%02x diag=0x%02x", why,
				 cd.cause, cd.diagnostic);
		} else {
			fail_msg("call: %s", why);
		}
		rc = res == ECHO_TIMEOUT ? EXIT_TIMEOUT : EXIT_CHECK_FAILED;
		goto out;
	}
	if (opts->has_interrupt && (rc = exchange_interrupt(fd, opts)) != EXIT_OK)
		goto out;
	if (opts->ready_file && write_ready_file("call", opts->ready_file) < 0) {
		rc = EXIT_SETUP;
		goto out;
	}
	if (opts->hold || opts->has_expect_causediag) {
		rc = hold_or_wait_clear(fd, opts);
		if (opts->has_expect_causediag)
			goto out;
	}
	if (rc == EXIT_OK)
		printf("ok dest=%s messages=%ld bytes=%llu\n", opts->dest.x25_addr, opts->messages,
		       bytes);
out:
	/* The CLEAR REQUEST sent by close() carries the socket's cause/diag (docs/linux-x25.md §4.8). */
	if (opts->has_set_causediag && x25_set_causediag(fd, &opts->set_causediag) < 0) {
		fail_msg("call: SIOCX25SCAUSEDIAG: %s", strerror(errno));
		rc = EXIT_CHECK_FAILED;
	}
	close(fd);
	free(sendbuf);
	free(recvbuf);
	fflush(stdout);
	return rc;
}

int call_main(int argc, char **argv)
{
	struct call_opts opts;

	parse_call_opts(argc, argv, &opts);
	/* AF_X25 send() rejects MSG_NOSIGNAL, so a send after the peer cleared raises SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	if (opts.load_calls)
		return call_load(&opts);
	return single_call(&opts);
}
