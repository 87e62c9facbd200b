// SPDX-License-Identifier: GPL-2.0-or-later
/* xotpeer.c - a scripted XOT (RFC 1613) peer for the guest tests: well-behaved steps and faults. */
#include "xotlib.h"
#include "x25lib.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char usage[] =
	"usage: xotpeer listen [ADDR:]PORT [options] STEP...\n"
	"       xotpeer connect HOST:PORT [options] STEP...\n"
	"       xotpeer stall [ADDR:]PORT --ready-file PATH\n"
	"\n"
	"listen accepts one TCP connection, connect makes one; then the steps run in order, each\n"
	"printing one line on stdout. stall listens with a full accept queue and never accepts, so\n"
	"that connections to it time out (SYNs are dropped), until SIGTERM.\n"
	"\n"
	"Options:\n"
	"  --ready-file PATH  written once listening (listen, stall)\n"
	"  --bind ADDR        connect from this local address (connect)\n"
	"  --modulo 8|128     modulo of the CALL REQUEST (call; default 8)\n"
	"  --no-facilities    CALL REQUEST without packet and window size (call)\n"
	"  --timeout S        bound on every wait (default 30 s); exit 4 when it runs out\n"
	"\n"
	"Steps:\n"
	"  wait-call          wait for a CALL REQUEST: call modulo=M called=A calling=B facilities=HEX\n"
	"  accept             answer it with CALL ACCEPTED carrying the call's facility field\n"
	"  call CALLED CALLING  send a CALL REQUEST (facilities 42 07 07 43 02 02)\n"
	"  wait-accept        wait for CALL ACCEPTED: accepted facilities=HEX; a CLEAR instead\n"
	"                     prints cleared cause=0xCC diag=0xDD, is confirmed, and fails (exit 1)\n"
	"  echo N             echo N DATA packets back as they come (RR and RNR are skipped)\n"
	"  ping N             send a DATA packet of N bytes and wait for the same bytes back\n"
	"  echo-interrupt     wait for an INTERRUPT, confirm it, send it back, wait for its\n"
	"                     confirmation: interrupt echoed HEX\n"
	"  raw HEX            send HEX as one X.25 packet with a correct XOT header\n"
	"  bytes HEX          send HEX as it is (a bad header, a truncated packet)\n"
	"  clear C D          send CLEAR (cause C, diagnostic D, hex) and wait for its confirmation\n"
	"  wait-clear         wait for a CLEAR: clear cause=0xCC diag=0xDD after_ms=N; confirmed\n"
	"  wait-eof           wait until the peer closes: eof after_ms=N (since connected)\n"
	"  wait-file PATH     wait until PATH exists (the test's go-ahead): go\n"
	"  close              close the connection (FIN)\n"
	"  reset              close it with a TCP reset (SO_LINGER 0)\n"
	"\n"
	"Exit status: 0 all steps done; 1 a step failed; 2 usage; 3 setup (socket, listen,\n"
	"connect); 4 timeout.\n";

enum { OK = 0, FAILED = 1, USAGE = 2, SETUP = 3, TIMEOUT = 4 };

static struct {
	int fd;
	int timeout_ms;
	int modulo;
	bool no_facilities;
	uint16_t lci;
	unsigned vs, vr;
	uint8_t facilities[64]; /* the call's facility field, length byte first */
	size_t facilities_len;
	uint64_t connected_ns;
	struct xotlib_reader *reader;
} peer = {.fd = -1, .timeout_ms = 30000, .modulo = 8, .lci = 1};

static void die(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void die(int status, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("xotpeer: FAIL: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static unsigned long ms_since(uint64_t ns)
{
	return (unsigned long)((x25_monotonic_ns() - ns) / 1000000u);
}

static void hex_text(const uint8_t *p, size_t len, char *out, size_t cap)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < len && o + 3 <= cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%02x", p[i]);
}

static size_t parse_hex_arg(const char *text, uint8_t *out, size_t cap)
{
	size_t n = strlen(text);

	if (n % 2 || n / 2 > cap)
		die(USAGE, "\"%s\" is not an even number of hex digits (at most %zu bytes)", text, cap);
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;

		if (sscanf(text + 2 * i, "%2x", &v) != 1)
			die(USAGE, "\"%s\" is not hex", text);
		out[i] = (uint8_t)v;
	}
	return n / 2;
}

/* The next packet, decoded with the call's modulo; the wait is bounded by --timeout. */
static void next_packet(const char *step, const uint8_t **packet, size_t *len, struct xotlib_packet *pkt)
{
	enum xotlib_result r = xotlib_recv_packet(peer.fd, peer.reader, peer.timeout_ms, -1, packet, len);

	if (r == XOTLIB_TIMEOUT)
		die(TIMEOUT, "%s: nothing within %d ms", step, peer.timeout_ms);
	if (r == XOTLIB_FRAMING)
		die(FAILED, "%s: bad XOT framing from x25lo: %s", step, peer.reader->error);
	if (r == XOTLIB_CLOSED)
		die(FAILED, "%s: the connection was closed (after %lu ms)", step, ms_since(peer.connected_ns));
	if (r != XOTLIB_OK)
		die(FAILED, "%s: %s: %s", step, xotlib_result_text(r), strerror(errno));
	if (xotlib_decode(*packet, *len, peer.modulo, pkt) < 0)
		die(FAILED, "%s: a packet of %zu bytes that does not decode", step, *len);
}

static void send_packet(const char *step, const uint8_t *packet, size_t len)
{
	if (xotlib_send_packet(peer.fd, packet, len) < 0)
		die(FAILED, "%s: send: %s", step, strerror(errno));
}

static void send_clear_confirmation(const char *step)
{
	uint8_t out[8];

	send_packet(step, out, xotlib_build_clear_confirmation(out, peer.modulo, peer.lci));
}

static void step_wait_call(void)
{
	struct xotlib_call call;
	const uint8_t *packet;
	struct xotlib_packet pkt;
	const char *why = "";
	char fac[2 * sizeof(peer.facilities) + 1];
	uint8_t diag;
	size_t len, off;

	for (;;) {
		/* The GFI says the call's modulo. */
		peer.modulo = 8;
		next_packet("wait-call", &packet, &len, &pkt);
		if ((packet[0] & 0x30) == XOTLIB_GFI_MOD128)
			xotlib_decode(packet, len, peer.modulo = 128, &pkt);
		if (pkt.type == XOTLIB_CALL_REQUEST)
			break;
		say("discarded %s", xotlib_type_name(pkt.type));
	}
	if (xotlib_parse_call(packet, len, &call, &why, &diag) < 0)
		die(FAILED, "wait-call: a malformed CALL REQUEST: %s", why);
	peer.lci = call.lci;
	/* The facility field follows the address block: its length byte, then the facilities. */
	off = 4 + ((size_t)(packet[3] & 0x0F) + (packet[3] >> 4) + 1) / 2;
	peer.facilities_len = off < len ? 1 + packet[off] : 0;
	if (peer.facilities_len > sizeof(peer.facilities) || off + peer.facilities_len > len)
		die(FAILED, "wait-call: the facility field runs past the packet");
	memcpy(peer.facilities, packet + off, peer.facilities_len);
	hex_text(peer.facilities, peer.facilities_len, fac, sizeof(fac));
	say("call modulo=%d called=%s calling=%s facilities=%s", peer.modulo, call.called, call.calling, fac);
}

/* GFI (the call's modulo) and LCI, then the packet type: 3 bytes. */
static size_t put_header(uint8_t *out, uint8_t type)
{
	out[0] = (uint8_t)((peer.modulo == 128 ? XOTLIB_GFI_MOD128 : XOTLIB_GFI_MOD8) | (peer.lci >> 8));
	out[1] = (uint8_t)peer.lci;
	out[2] = type;
	return 3;
}

static void step_accept(void)
{
	uint8_t out[8 + sizeof(peer.facilities)];
	size_t n = put_header(out, 0x0F);

	out[n++] = 0x00; /* an empty address block, as Linux sends */
	if (peer.facilities_len) {
		memcpy(out + n, peer.facilities, peer.facilities_len);
		n += peer.facilities_len;
	} else {
		out[n++] = 0x00; /* the call had no facility field: an empty one */
	}
	send_packet("accept", out, n);
	say("accepted");
}

static void step_call(const char *called, const char *calling)
{
	struct xotlib_call call = {.modulo = peer.modulo, .lci = peer.lci};
	uint8_t out[256];
	size_t n;

	snprintf(call.called, sizeof(call.called), "%s", called);
	snprintf(call.calling, sizeof(call.calling), "%s", calling);
	if (!peer.no_facilities)
		call.fac = (struct xotlib_facilities){.has_packet = true, .has_window = true, .packet_in = 7,
						      .packet_out = 7, .window_in = 2, .window_out = 2};
	n = xotlib_build_call_request(out, sizeof(out), &call);
	if (n == 0)
		die(USAGE, "call: cannot build a CALL REQUEST from %s to %s", calling, called);
	send_packet("call", out, n);
	say("calling %s from %s modulo=%d", called, calling, peer.modulo);
}

static void report_clear(const char *what, const struct xotlib_packet *pkt, uint64_t since_ns)
{
	say("%s cause=0x%02x diag=0x%02x after_ms=%lu", what, pkt->has_cause ? pkt->cause : 0,
	    pkt->has_diag ? pkt->diag : 0, ms_since(since_ns));
}

static void step_wait_accept(void)
{
	const uint8_t *packet;
	struct xotlib_packet pkt;
	uint64_t start = x25_monotonic_ns();
	size_t len;

	for (;;) {
		next_packet("wait-accept", &packet, &len, &pkt);
		if (pkt.type == XOTLIB_CALL_ACCEPTED) {
			struct xotlib_call call;
			const char *why = "";
			char fac[128] = "";
			uint8_t diag;
			size_t off;

			if (xotlib_parse_call(packet, len, &call, &why, &diag) < 0)
				die(FAILED, "wait-accept: a malformed CALL ACCEPTED: %s", why);
			off = len > 3 ? 4 + ((size_t)(packet[3] & 0x0F) + (packet[3] >> 4) + 1) / 2 : len;
			if (off < len)
				hex_text(packet + off, len - off, fac, sizeof(fac));
			say("accepted facilities=%s", fac);
			return;
		}
		if (pkt.type == XOTLIB_CLEAR_REQUEST) {
			report_clear("cleared", &pkt, start);
			send_clear_confirmation("wait-accept");
			die(FAILED, "wait-accept: the call was cleared");
		}
		say("discarded %s", xotlib_type_name(pkt.type));
	}
}

static void send_data(const char *step, const uint8_t *payload, size_t n, bool q, bool m)
{
	uint8_t out[XOTLIB_PACKET_MAX];
	size_t h = xotlib_build_data_header(out, peer.modulo, peer.lci, q, peer.vs, peer.vr, m);

	memcpy(out + h, payload, n);
	send_packet(step, out, h + n);
	peer.vs = (peer.vs + 1) % (unsigned)peer.modulo;
}

/* The next DATA packet (flow control packets skipped); P(S) must be V(R). */
static void next_data(const char *step, struct xotlib_packet *pkt)
{
	const uint8_t *packet;
	size_t len;

	for (;;) {
		next_packet(step, &packet, &len, pkt);
		if (pkt->type == XOTLIB_RR || pkt->type == XOTLIB_RNR)
			continue;
		if (pkt->type != XOTLIB_DATA)
			die(FAILED, "%s: %s instead of DATA", step, xotlib_type_name(pkt->type));
		if (pkt->ps != peer.vr)
			die(FAILED, "%s: DATA with P(S) %u, expected %u", step, pkt->ps, peer.vr);
		peer.vr = (peer.vr + 1) % (unsigned)peer.modulo;
		return;
	}
}

static void step_echo(long count)
{
	for (long i = 0; i < count; i++) {
		struct xotlib_packet pkt;

		next_data("echo", &pkt);
		send_data("echo", pkt.data, pkt.data_len, pkt.q, pkt.m);
	}
	say("echoed %ld", count);
}

static void step_ping(long size)
{
	uint8_t payload[XOTLIB_PACKET_MAX];
	struct xotlib_packet pkt;

	for (long i = 0; i < size; i++)
		payload[i] = (uint8_t)(i * 7 + peer.vs);
	send_data("ping", payload, (size_t)size, false, false);
	next_data("ping", &pkt);
	if (pkt.data_len != (size_t)size || memcmp(pkt.data, payload, (size_t)size) != 0)
		die(FAILED, "ping: the echo of %ld bytes came back as %zu different bytes", size, pkt.data_len);
	say("pong %ld", size);
}

/* The next packet of type want, flow control packets skipped. */
static void next_of_type(const char *step, enum xotlib_type want, struct xotlib_packet *pkt)
{
	const uint8_t *packet;
	size_t len;

	for (;;) {
		next_packet(step, &packet, &len, pkt);
		if (pkt->type == want)
			return;
		if (pkt->type != XOTLIB_RR && pkt->type != XOTLIB_RNR)
			die(FAILED, "%s: %s instead of %s", step, xotlib_type_name(pkt->type), xotlib_type_name(want));
	}
}

static void step_echo_interrupt(void)
{
	uint8_t out[8 + 32], data[32];
	struct xotlib_packet pkt;
	char hex[2 * sizeof(data) + 1];
	size_t n;

	next_of_type("echo-interrupt", XOTLIB_INTERRUPT, &pkt);
	n = pkt.data_len < sizeof(data) ? pkt.data_len : sizeof(data);
	memcpy(data, pkt.data, n);
	send_packet("echo-interrupt", out, xotlib_build_interrupt_confirmation(out, peer.modulo, peer.lci));
	put_header(out, 0x23); /* INTERRUPT, then the user data */
	memcpy(out + 3, data, n);
	send_packet("echo-interrupt", out, 3 + n);
	next_of_type("echo-interrupt", XOTLIB_INTERRUPT_CONFIRMATION, &pkt);
	hex_text(data, n, hex, sizeof(hex));
	say("interrupt echoed %s", hex);
}

static void step_clear(const char *cause, const char *diag)
{
	uint8_t out[8];
	const uint8_t *packet;
	struct xotlib_packet pkt;
	size_t len;

	send_packet("clear", out,
		    xotlib_build_clear(out, peer.modulo, peer.lci, (uint8_t)strtoul(cause, NULL, 16),
				       (uint8_t)strtoul(diag, NULL, 16)));
	for (;;) {
		next_packet("clear", &packet, &len, &pkt);
		if (pkt.type == XOTLIB_CLEAR_CONFIRMATION || pkt.type == XOTLIB_CLEAR_REQUEST)
			break;
	}
	say("clear confirmed");
}

static void step_wait_clear(void)
{
	const uint8_t *packet;
	struct xotlib_packet pkt;
	uint64_t start = x25_monotonic_ns();
	size_t len;

	for (;;) {
		next_packet("wait-clear", &packet, &len, &pkt);
		if (pkt.type == XOTLIB_CLEAR_REQUEST)
			break;
		say("discarded %s", xotlib_type_name(pkt.type));
	}
	report_clear("clear", &pkt, start);
	send_clear_confirmation("wait-clear");
}

static void step_wait_eof(void)
{
	uint8_t buf[4096];
	struct pollfd p = {.fd = peer.fd, .events = POLLIN};

	for (;;) {
		ssize_t n;
		int ready = poll(&p, 1, peer.timeout_ms);

		if (ready < 0 && errno == EINTR)
			continue;
		if (ready <= 0)
			die(TIMEOUT, "wait-eof: still open after %d ms", peer.timeout_ms);
		n = recv(peer.fd, buf, sizeof(buf), 0);
		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		say("eof after_ms=%lu%s", ms_since(peer.connected_ns), n < 0 ? " (reset)" : "");
		return;
	}
}

static void step_wait_file(const char *path)
{
	uint64_t start = x25_monotonic_ns();

	while (access(path, F_OK) != 0) {
		if (ms_since(start) >= (unsigned long)peer.timeout_ms)
			die(TIMEOUT, "wait-file: no %s within %d ms", path, peer.timeout_ms);
		poll(NULL, 0, 50);
	}
	say("go");
}

static void step_close(bool reset)
{
	if (reset) {
		struct linger l = {.l_onoff = 1, .l_linger = 0};

		if (setsockopt(peer.fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)) < 0)
			die(SETUP, "reset: SO_LINGER: %s", strerror(errno));
	}
	close(peer.fd);
	peer.fd = -1;
	say(reset ? "reset" : "closed");
}

static void write_ready(const char *path)
{
	FILE *f;

	if (!path)
		return;
	f = fopen(path, "w");
	if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) != 0)
		die(SETUP, "cannot write %s: %s", path, strerror(errno));
}

static int listen_on(const char *endpoint, int backlog)
{
	char host[256], port[16], bound[128], err[256];
	int fd;

	if (xotlib_parse_endpoint(endpoint, true, host, sizeof(host), port, sizeof(port), err, sizeof(err)) < 0)
		die(USAGE, "%s", err);
	fd = xotlib_listen(host, port, backlog, bound, sizeof(bound), err, sizeof(err));
	if (fd < 0)
		die(SETUP, "%s", err);
	return fd;
}

/* A listener whose accept queue is full and never drained: further SYNs are dropped. */
static int stall(const char *endpoint, const char *ready)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd = listen_on(endpoint, 0), filler;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		die(SETUP, "getsockname: %s", strerror(errno));
	/* Backlog 0 holds one established connection: this one fills it. */
	filler = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (filler < 0 || connect(filler, (struct sockaddr *)&ss, len) < 0)
		die(SETUP, "cannot fill the accept queue: %s", strerror(errno));
	write_ready(ready);
	say("stalling");
	for (;;)
		pause();
}

static void connect_to(const char *endpoint, const char *bind_addr)
{
	char host[256], port[16], err[256];
	struct addrinfo *ai;

	if (xotlib_parse_endpoint(endpoint, false, host, sizeof(host), port, sizeof(port), err, sizeof(err)) < 0)
		die(USAGE, "%s", err);
	ai = xotlib_resolve(host, port, false, err, sizeof(err));
	if (!ai)
		die(SETUP, "%s", err);
	peer.fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (peer.fd < 0)
		die(SETUP, "socket: %s", strerror(errno));
	if (bind_addr) {
		struct addrinfo *local = xotlib_resolve(bind_addr, "0", true, err, sizeof(err));

		if (!local)
			die(SETUP, "--bind: %s", err);
		if (bind(peer.fd, local->ai_addr, local->ai_addrlen) < 0)
			die(SETUP, "bind %s: %s", bind_addr, strerror(errno));
		freeaddrinfo(local);
	}
	if (connect(peer.fd, ai->ai_addr, ai->ai_addrlen) < 0)
		die(SETUP, "connect to %s: %s", endpoint, strerror(errno));
	freeaddrinfo(ai);
	xotlib_set_nodelay(peer.fd);
	peer.connected_ns = x25_monotonic_ns();
	say("connected");
}

static long count_arg(const char *step, const char *text, long max)
{
	char *end;
	long v = text ? strtol(text, &end, 10) : -1;

	if (!text || *end || v < 0 || v > max)
		die(USAGE, "%s needs a number 0..%ld", step, max);
	return v;
}

static void run_steps(int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		const char *s = argv[i], *a = i + 1 < argc ? argv[i + 1] : NULL;
		const char *b = i + 2 < argc ? argv[i + 2] : NULL;
		uint8_t raw[XOTLIB_HEADER_LEN + XOTLIB_PACKET_MAX];
		size_t n;

		if (peer.fd < 0)
			die(USAGE, "%s: the connection is already closed", s);
		if (strcmp(s, "wait-call") == 0) {
			step_wait_call();
		} else if (strcmp(s, "accept") == 0) {
			step_accept();
		} else if (strcmp(s, "call") == 0 && a && b) {
			step_call(a, b);
			i += 2;
		} else if (strcmp(s, "wait-accept") == 0) {
			step_wait_accept();
		} else if (strcmp(s, "echo") == 0) {
			step_echo(count_arg(s, a, 1000000));
			i++;
		} else if (strcmp(s, "ping") == 0) {
			step_ping(count_arg(s, a, 4096));
			i++;
		} else if (strcmp(s, "echo-interrupt") == 0) {
			step_echo_interrupt();
		} else if (strcmp(s, "raw") == 0 && a) {
			n = parse_hex_arg(a, raw, XOTLIB_PACKET_MAX);
			send_packet(s, raw, n);
			say("sent %s", a);
			i++;
		} else if (strcmp(s, "bytes") == 0 && a) {
			n = parse_hex_arg(a, raw, sizeof(raw));
			if (send(peer.fd, raw, n, MSG_NOSIGNAL) != (ssize_t)n)
				die(FAILED, "bytes: send: %s", strerror(errno));
			say("sent bytes %s", a);
			i++;
		} else if (strcmp(s, "clear") == 0 && a && b) {
			step_clear(a, b);
			i += 2;
		} else if (strcmp(s, "wait-clear") == 0) {
			step_wait_clear();
		} else if (strcmp(s, "wait-eof") == 0) {
			step_wait_eof();
		} else if (strcmp(s, "wait-file") == 0 && a) {
			step_wait_file(a);
			i++;
		} else if (strcmp(s, "close") == 0) {
			step_close(false);
		} else if (strcmp(s, "reset") == 0) {
			step_close(true);
		} else {
			die(USAGE, "unknown step or missing argument: %s", s);
		}
	}
}

int main(int argc, char **argv)
{
	const char *mode, *endpoint, *ready = NULL, *bind_addr = NULL;
	int i = 3;

	if (argc < 3) {
		fputs(usage, argc == 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
		return argc == 2 && strcmp(argv[1], "--help") == 0 ? OK : USAGE;
	}
	mode = argv[1];
	endpoint = argv[2];
	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(argv[i], "--no-facilities") == 0) {
			peer.no_facilities = true;
			continue;
		}
		if (!v)
			die(USAGE, "%s needs a value", argv[i]);
		if (strcmp(argv[i], "--ready-file") == 0)
			ready = v;
		else if (strcmp(argv[i], "--bind") == 0)
			bind_addr = v;
		else if (strcmp(argv[i], "--modulo") == 0 && (strcmp(v, "8") == 0 || strcmp(v, "128") == 0))
			peer.modulo = atoi(v);
		else if (strcmp(argv[i], "--timeout") == 0)
			peer.timeout_ms = (int)count_arg("--timeout", v, 3600) * 1000;
		else
			die(USAGE, "unknown option %s (or a bad value)", argv[i]);
		i++;
	}
	peer.reader = malloc(sizeof(*peer.reader));
	if (!peer.reader)
		die(SETUP, "out of memory");
	xotlib_reader_init(peer.reader);
	if (strcmp(mode, "stall") == 0)
		return stall(endpoint, ready);
	if (strcmp(mode, "listen") == 0) {
		int lfd = listen_on(endpoint, 4);
		struct pollfd p = {.fd = lfd, .events = POLLIN};

		write_ready(ready);
		if (poll(&p, 1, peer.timeout_ms) != 1)
			die(TIMEOUT, "listen: no connection within %d ms", peer.timeout_ms);
		peer.fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (peer.fd < 0)
			die(SETUP, "accept: %s", strerror(errno));
		close(lfd);
		xotlib_set_nodelay(peer.fd);
		peer.connected_ns = x25_monotonic_ns();
		say("connected");
	} else if (strcmp(mode, "connect") == 0) {
		connect_to(endpoint, bind_addr);
	} else {
		die(USAGE, "unknown mode %s (listen, connect or stall)", mode);
	}
	run_steps(argc - i, argv + i);
	if (peer.fd >= 0)
		close(peer.fd);
	free(peer.reader);
	return OK;
}
