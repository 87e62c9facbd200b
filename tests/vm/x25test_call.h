// SPDX-License-Identifier: GPL-2.0-or-later
/* x25test_call.h - what `x25test call` shares between the single call and the load mode. */
#ifndef X25TEST_CALL_H
#define X25TEST_CALL_H

#include "x25test.h"

struct call_opts {
	struct x25_address dest;
	struct x25_address source;
	unsigned pacsize_log2;
	int window;
	int rcvbuf;
	int sndbuf;
	unsigned char cud[128];
	size_t cud_len;
	bool has_cud;
	struct size_spec sizes;
	long messages; /* 0: one message per --sizes entry */
	bool qbit;
	unsigned char interrupt[64];
	size_t interrupt_len;
	bool has_interrupt;
	int expect_error;
	bool has_expect_causediag;
	struct x25_causediag expect_causediag;
	bool has_set_causediag;
	struct x25_causediag set_causediag;
	bool print_facilities;
	bool hold;
	int connect_timeout_ms;
	int timeout_ms;
	const char *ready_file;
	long load_calls; /* 0: single call */
	long parallel;
};

/* Outcome of one record sent and echoed. */
enum echo_result { ECHO_OK, ECHO_MISMATCH, ECHO_CLEARED, ECHO_TIMEOUT, ECHO_ERROR };

/* Socket ready to connect: options, facilities, CUD, bound to the source. -1 on failure. */
int call_prepare_socket(const struct call_opts *opts);
/* 0 or the errno the connect failed with, bounded by timeout_ms. */
int call_connect_bounded(int fd, const struct x25_address *dest, int timeout_ms);
struct x25_causediag call_read_causediag(int fd);
/* Sends record msg_index of call call_id and checks its echo; *len_out gets its size. */
enum echo_result call_exchange_record(int fd, const struct call_opts *opts, uint64_t call_id,
				      uint64_t msg_index, unsigned char *sendbuf,
				      unsigned char *recvbuf, size_t *len_out, int *err_out,
				      char *why, size_t why_len);
/* Load mode (--calls N --parallel P): returns the exit code. */
int call_load(const struct call_opts *opts);

#endif
