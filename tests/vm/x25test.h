// SPDX-License-Identifier: GPL-2.0-or-later
/* x25test.h - shared helpers of the x25test guest tool (AF_X25 echo server, caller, /proc checks). */
#ifndef X25TEST_H
#define X25TEST_H

#include "x25lib.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define X25TEST_PRINTF(fmt_idx, arg_idx) __attribute__((format(printf, fmt_idx, arg_idx)))

/* Exit codes, documented in `x25test -h`. */
enum {
	EXIT_OK = 0,
	EXIT_CHECK_FAILED = 1, /* an expectation was not met: mismatch, wrong errno or cause */
	EXIT_USAGE = 2,        /* bad command line */
	EXIT_SETUP = 3,        /* socket/bind/ioctl/file failure: the environment is not usable */
	EXIT_TIMEOUT = 4,      /* a bounded wait ran out */
};

/* Largest record AF_X25 accepts in one send (af_x25.c rejects more with EMSGSIZE). */
#define X25TEST_MAX_RECORD 65535
/* Interrupt payloads are capped at 32 bytes by the sender's kernel. */
#define X25TEST_MAX_INTERRUPT 32

/* Set by -v: extra progress lines on stderr. */
extern bool x25test_verbose;

void die_usage(const char *fmt, ...) X25TEST_PRINTF(1, 2) __attribute__((noreturn));
void die_setup(const char *fmt, ...) X25TEST_PRINTF(1, 2) __attribute__((noreturn));
void fail_msg(const char *fmt, ...) X25TEST_PRINTF(1, 2);
void warn_msg(const char *fmt, ...) X25TEST_PRINTF(1, 2);
void info_msg(const char *fmt, ...) X25TEST_PRINTF(1, 2);

/* Command-line value parsers; each exits with EXIT_USAGE naming the option and the valid form. */
long parse_long(const char *opt, const char *text, long min, long max);
unsigned parse_packet_size(const char *opt, const char *text);
void parse_address(const char *opt, const char *text, struct x25_address *addr);
void parse_causediag(const char *opt, const char *text, struct x25_causediag *cd);
size_t parse_hex(const char *opt, const char *text, unsigned char *out, size_t max);
int parse_errno_name(const char *opt, const char *text);
const char *errno_name(int err);

/* Message sizes: a list of fixed sizes or ranges A-B (each message picks one in the range). */
struct size_spec {
	unsigned min[64];
	unsigned max[64];
	size_t count;
};
void parse_sizes(const char *opt, const char *text, struct size_spec *spec);
/* A --sizes item "max": the largest record the receiving kernel can reassemble. */
#define SIZE_LARGEST_RECORD 0xFFFFFFFFu
size_t largest_record(int fd);
/* Size of message number `index` (deterministic, also for ranges). */
unsigned size_for(const struct size_spec *spec, uint64_t index);
/* Fill a buffer with bytes that depend on (call, message): a crossed or shifted echo is detected. */
void fill_pattern(unsigned char *buf, size_t len, uint64_t call, uint64_t msg);

/* Socket helpers over libx25. Each prints the failure (with the errno text) and returns -1. */
int socket_bind_address(int fd, const struct x25_address *addr);
/* Socket with Q bit, forced buffers (0: default) and facilities set; -1 after a message. */
int socket_open_configured(bool qbit, int rcvbuf, int sndbuf, int window, unsigned pacsize_log2);
bool record_may_block_send(int fd, size_t len);
int clear_reason(int fd, int err);
void format_address(const struct x25_address *addr, char *out, size_t outlen);
void hex_string(const unsigned char *data, size_t len, char *out, size_t outlen);

/* Writes our pid and a newline to path (--ready-file); -1 after a message naming command. */
int write_ready_file(const char *command, const char *path);


int listen_main(int argc, char **argv);
int call_main(int argc, char **argv);
int sockets_main(int argc, char **argv);
int wait_clean_main(int argc, char **argv);
int wait_file_main(int argc, char **argv);

#endif
