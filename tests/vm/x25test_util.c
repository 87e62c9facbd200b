// SPDX-License-Identifier: GPL-2.0-or-later
/* x25test_util.c - argument parsing, AF_X25 socket set-up and payload patterns for x25test. */
#include "x25test.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

bool x25test_verbose;

X25TEST_PRINTF(3, 0) static void vprint_prefixed(FILE *out, const char *prefix, const char *fmt, va_list ap)
{
	char line[1024];
	int n = snprintf(line, sizeof(line), "x25test[%d]: %s", (int)getpid(), prefix);

	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	/* One write per line so lines of concurrent processes do not interleave. */
	fprintf(out, "%s\n", line);
	fflush(out);
}

void die_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint_prefixed(stderr, "usage error: ", fmt, ap);
	va_end(ap);
	fprintf(stderr, "x25test: run `x25test -h` for the command syntax\n");
	exit(EXIT_USAGE);
}

void die_setup(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint_prefixed(stderr, "setup error: ", fmt, ap);
	va_end(ap);
	exit(EXIT_SETUP);
}

void fail_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint_prefixed(stderr, "FAIL: ", fmt, ap);
	va_end(ap);
}

void warn_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint_prefixed(stderr, "warning: ", fmt, ap);
	va_end(ap);
}

void info_msg(const char *fmt, ...)
{
	va_list ap;

	if (!x25test_verbose)
		return;
	va_start(ap, fmt);
	vprint_prefixed(stderr, "", fmt, ap);
	va_end(ap);
}

long parse_long(const char *opt, const char *text, long min, long max)
{
	char *end = NULL;
	long value;

	errno = 0;
	value = strtol(text, &end, 0);
	if (errno != 0 || end == text || *end != '\0' || value < min || value > max)
		die_usage("%s: \"%s\" is not a number in %ld..%ld", opt, text, min, max);
	return value;
}

/* Accepts the log2 code the kernel uses (4..12) or the byte count (16..4096, a power of two). */
unsigned parse_packet_size(const char *opt, const char *text)
{
	long value = parse_long(opt, text, 4, 4096);

	if (value <= 12)
		return (unsigned)value;
	for (unsigned log2 = 4; log2 <= 12; log2++)
		if (value == 1L << log2)
			return log2;
	die_usage("%s: %ld is neither a log2 code 4..12 nor a power of two 16..4096", opt, value);
}

/* "*" is the wildcard listener address: exactly 15 spaces (af_x25.c null_x25_address). */
void parse_address(const char *opt, const char *text, struct x25_address *addr)
{
	size_t len = strlen(text);

	memset(addr, 0, sizeof(*addr));
	if (strcmp(text, "*") == 0) {
		strcpy(addr->x25_addr, X25_WILDCARD_ADDRESS);
		return;
	}
	if (len > 15)
		die_usage("%s: X.121 address \"%s\" has %zu digits, at most 15 allowed", opt, text, len);
	for (size_t i = 0; i < len; i++)
		if (!isdigit((unsigned char)text[i]))
			die_usage("%s: X.121 address \"%s\" must contain digits only (or be \"*\")", opt,
				  text);
	memcpy(addr->x25_addr, text, len);
}

void parse_causediag(const char *opt, const char *text, struct x25_causediag *cd)
{
	char copy[64];
	char *colon;

	if (strlen(text) >= sizeof(copy) || (colon = strchr(strcpy(copy, text), ':')) == NULL)
		die_usage("%s: expected CAUSE:DIAG such as 0x0d:0x43 or 13:67, got \"%s\"", opt, text);
	*colon = '\0';
	cd->cause = (unsigned char)parse_long(opt, copy, 0, 255);
	cd->diagnostic = (unsigned char)parse_long(opt, colon + 1, 0, 255);
}

size_t parse_hex(const char *opt, const char *text, unsigned char *out, size_t max)
{
	size_t len = strlen(text);

	if (len % 2 != 0 || len / 2 > max)
		die_usage("%s: expected an even number of hex digits, at most %zu bytes, got \"%s\"", opt,
			  max, text);
	for (size_t i = 0; i < len / 2; i++) {
		char pair[3] = {text[2 * i], text[2 * i + 1], '\0'};

		if (!isxdigit((unsigned char)pair[0]) || !isxdigit((unsigned char)pair[1]))
			die_usage("%s: \"%s\" is not hex", opt, text);
		out[i] = (unsigned char)strtoul(pair, NULL, 16);
	}
	return len / 2;
}

static const struct {
	int err;
	const char *name;
} errno_names[] = {
	{ECONNREFUSED, "ECONNREFUSED"}, {ENETUNREACH, "ENETUNREACH"}, {ETIMEDOUT, "ETIMEDOUT"},
	{EISCONN, "EISCONN"},           {ENOTCONN, "ENOTCONN"},       {EINVAL, "EINVAL"},
	{EALREADY, "EALREADY"},         {ECONNRESET, "ECONNRESET"},   {EPIPE, "EPIPE"},
	{EHOSTUNREACH, "EHOSTUNREACH"}, {EADDRNOTAVAIL, "EADDRNOTAVAIL"}, {EMSGSIZE, "EMSGSIZE"},
	{EAGAIN, "EAGAIN"},             {EPERM, "EPERM"},            {ECONNABORTED, "ECONNABORTED"},
};

int parse_errno_name(const char *opt, const char *text)
{
	for (size_t i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++)
		if (strcmp(text, errno_names[i].name) == 0)
			return errno_names[i].err;
	die_usage("%s: unknown errno name \"%s\" (try ECONNREFUSED, ENETUNREACH, ETIMEDOUT, "
		  "EISCONN, ENOTCONN)",
		  opt, text);
}

const char *errno_name(int err)
{
	for (size_t i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++)
		if (errno_names[i].err == err)
			return errno_names[i].name;
	return "E?";
}

void parse_sizes(const char *opt, const char *text, struct size_spec *spec)
{
	char copy[1024];
	char *save = NULL;

	if (strlen(text) >= sizeof(copy))
		die_usage("%s: list longer than %zu characters; use ranges A-B for many sizes", opt,
			  sizeof(copy) - 1);
	strcpy(copy, text);
	spec->count = 0;
	for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(item, '-');

		if (spec->count == sizeof(spec->min) / sizeof(spec->min[0]))
			die_usage("%s: at most %zu sizes", opt, sizeof(spec->min) / sizeof(spec->min[0]));
		if (strcmp(item, "max") == 0) {
			spec->min[spec->count] = spec->max[spec->count] = SIZE_LARGEST_RECORD;
		} else if (dash) {
			*dash = '\0';
			spec->min[spec->count] = (unsigned)parse_long(opt, item, 0, X25TEST_MAX_RECORD);
			spec->max[spec->count] = (unsigned)parse_long(opt, dash + 1, 0, X25TEST_MAX_RECORD);
			if (spec->max[spec->count] < spec->min[spec->count])
				die_usage("%s: range %u-%u is reversed", opt, spec->min[spec->count],
					  spec->max[spec->count]);
		} else {
			spec->min[spec->count] = (unsigned)parse_long(opt, item, 0, X25TEST_MAX_RECORD);
			spec->max[spec->count] = spec->min[spec->count];
		}
		spec->count++;
	}
	if (spec->count == 0)
		die_usage("%s: empty size list", opt);
}

/* splitmix64: a cheap, well-mixed hash so sizes and payloads differ per call and message. */
static uint64_t mix64(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ull;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
	return x ^ (x >> 31);
}

unsigned size_for(const struct size_spec *spec, uint64_t index)
{
	size_t slot = (size_t)(index % spec->count);
	unsigned span = spec->max[slot] - spec->min[slot] + 1;

	return spec->min[slot] + (unsigned)(mix64(index) % span);
}

void fill_pattern(unsigned char *buf, size_t len, uint64_t call, uint64_t msg)
{
	uint64_t state = mix64(call * 1000003u + msg);

	for (size_t i = 0; i < len; i++) {
		if (i % 8 == 0)
			state = mix64(state);
		buf[i] = (unsigned char)(state >> (8 * (i % 8)));
	}
}

/*
 * The receiver refuses to reassemble a record once its fragments, counted with their
 * packet headers, pass 65535 bytes (x25_queue_rx_frame): it resets the call and the rest
 * arrives as a short record. So the largest record is 65535 - header * packets. The
 * 4-byte modulo-128 header is assumed, which is also safe on modulo 8.
 */
size_t largest_record(int fd)
{
	struct x25_facilities fac;
	size_t packet = 128, len = X25TEST_MAX_RECORD;

	if (x25_get_facilities(fd, &fac) == 0 && fac.pacsize_out)
		packet = (size_t)1 << fac.pacsize_out;
	while (len + 4 * ((len + packet - 1) / packet) > X25TEST_MAX_RECORD)
		len--;
	return len;
}

/* The wrappers below print the failure in x25test's words; libx25 does the AF_X25 part. */
int socket_bind_address(int fd, const struct x25_address *addr)
{
	if (x25_bind(fd, addr->x25_addr) < 0) {
		fail_msg("bind(\"%s\"): %s", addr->x25_addr, strerror(errno));
		return -1;
	}
	return 0;
}

/* SO_RCVBUFFORCE or SO_SNDBUFFORCE: beyond the sysctl limits, so it needs CAP_NET_ADMIN. */
static int force_buffer(int fd, int option, const char *option_name, int bytes)
{
	if (setsockopt(fd, SOL_SOCKET, option, &bytes, sizeof(bytes)) < 0) {
		fail_msg("setsockopt(%s, %d): %s (needs CAP_NET_ADMIN)", option_name, bytes,
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* The settings both call and listen sockets take before bind(): a socket ready for the CUD
 * and the bind, or -1 (closed) after the failure was printed. */
int socket_open_configured(bool qbit, int rcvbuf, int sndbuf, int window, unsigned pacsize_log2)
{
	int fd = x25_socket();

	if (fd < 0) {
		fail_msg("socket(AF_X25): %s (is x25.ko loaded? `modprobe x25`)", strerror(errno));
		return -1;
	}
	if (qbit && x25_set_qbitincl(fd) < 0) {
		fail_msg("setsockopt(X25_QBITINCL): %s", strerror(errno));
		goto fail;
	}
	if ((rcvbuf && force_buffer(fd, SO_RCVBUFFORCE, "SO_RCVBUFFORCE", rcvbuf) < 0) ||
	    (sndbuf && force_buffer(fd, SO_SNDBUFFORCE, "SO_SNDBUFFORCE", sndbuf) < 0))
		goto fail;
	if (x25_request_facilities(fd, window, pacsize_log2) < 0) {
		fail_msg("ioctl(SIOCX25SFACILITIES window=%d pacsize=%u): %s (window 1..127, packet "
			 "size code 4..12)",
			 window, pacsize_log2, strerror(errno));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/*
 * x25_output() queues every fragment of a record before any is sent, so a record whose
 * fragments need more than SO_SNDBUF makes send() wait forever. The estimate mimics the
 * skb truesize of the whole record plus each fragment, all held at the same time.
 */
bool record_may_block_send(int fd, size_t len)
{
	struct x25_facilities fac;
	int sndbuf = 0;
	socklen_t optlen = sizeof(sndbuf);
	size_t packet, fragments, per_fragment = 1, whole = 1, need;

	if (len <= 4096 || x25_get_facilities(fd, &fac) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &optlen) < 0)
		return false;
	packet = fac.pacsize_out ? (size_t)1 << fac.pacsize_out : 128;
	fragments = (len + packet - 1) / packet;
	/* kmalloc and the page allocator round up to powers of two; 256 for struct sk_buff. */
	while (per_fragment < packet + 350)
		per_fragment <<= 1;
	while (whole < len + 350)
		whole <<= 1;
	need = fragments * (per_fragment + 256) + whole + 256;
	if (need <= (size_t)sndbuf)
		return false;
	warn_msg("a %zu-byte record is %zu packets of %zu bytes, about %zu bytes of send "
		 "buffer but SO_SNDBUF is %d: send() can block forever (kernel queues all fragments "
		 "first); use --sndbuf",
		 len, fragments, packet, need, sndbuf);
	return true;
}

/* recv() after a clear says ENOTCONN whatever happened; SO_ERROR keeps the reason
 * (ENETUNREACH for a link kill, ETIMEDOUT for T23, 0 for an ordinary clear). */
int clear_reason(int fd, int err)
{
	int so_error = 0;
	socklen_t len = sizeof(so_error);

	if (err == ENOTCONN && getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) == 0 &&
	    so_error != 0)
		return so_error;
	return err;
}

void format_address(const struct x25_address *addr, char *out, size_t outlen)
{
	size_t len = strnlen(addr->x25_addr, sizeof(addr->x25_addr));

	if (len == 15 && strspn(addr->x25_addr, " ") == 15)
		snprintf(out, outlen, "*");
	else if (len == 0)
		snprintf(out, outlen, "-");
	else
		snprintf(out, outlen, "%.*s", (int)len, addr->x25_addr);
}

void hex_string(const unsigned char *data, size_t len, char *out, size_t outlen)
{
	size_t pos = 0;

	if (outlen == 0)
		return;
	if (len == 0) {
		snprintf(out, outlen, "-");
		return;
	}
	for (size_t i = 0; i < len && pos + 3 <= outlen; i++)
		pos += (size_t)snprintf(out + pos, outlen - pos, "%02x", data[i]);
	out[pos] = '\0';
}

int write_ready_file(const char *command, const char *path)
{
	char text[32];
	int len = snprintf(text, sizeof(text), "%d\n", (int)getpid());
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || write(fd, text, (size_t)len) != len) {
		fail_msg("%s: cannot write ready file %s: %s (does its directory exist and is it "
			 "writable?)", command, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}
