// SPDX-License-Identifier: GPL-2.0-or-later
/* test_xotlib.c - libx25's XOT module on the host: framing, packet bytes against
 * docs/linux-x25.md (§2, §3.1, §8 items 16, 29, 40), facilities, sequence numbers at the
 * modulo wrap, and the virtual circuit against a scripted peer on a socketpair. */
#include "xotlib.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <setjmp.h> /* cmocka.h needs these three first */
#include <cmocka.h>

#define ARR(...)   ((const uint8_t[]){ __VA_ARGS__ })
#define BYTES(...) ARR(__VA_ARGS__), sizeof(ARR(__VA_ARGS__))

/* Compare packet bytes; on a difference print both in hex so the failure says what. */
static void expect_bytes(const uint8_t *got, size_t got_len, const uint8_t *want, size_t want_len)
{
	if (got_len == want_len && memcmp(got, want, want_len) == 0)
		return;
	fprintf(stderr, "want:");
	for (size_t i = 0; i < want_len; i++)
		fprintf(stderr, " %02x", want[i]);
	fprintf(stderr, "\ngot: ");
	for (size_t i = 0; i < got_len; i++)
		fprintf(stderr, " %02x", got[i]);
	fprintf(stderr, "\n");
	fail_msg("packet bytes differ");
}

/* --- framing --- */

static void test_header_is_version_0_and_length_big_endian(void **state)
{
	uint8_t header[4];
	size_t len;
	char error[96];

	xotlib_header_put(header, 0x0102);
	expect_bytes(header, 4, BYTES(0x00, 0x00, 0x01, 0x02));
	assert_int_equal(xotlib_header_get(header, &len, error, sizeof(error)), 0);
	assert_int_equal(len, 0x0102);
	assert_int_equal(xotlib_header_get(ARR(0, 0, 0, 3), &len, error, sizeof(error)), 0);
	assert_int_equal(len, 3);
	assert_int_equal(xotlib_header_get(ARR(0, 0, 0x10, 0x04), &len, error, sizeof(error)), 0);
	assert_int_equal(len, 4100);
}

static void test_header_with_bad_version_or_length_is_refused(void **state)
{
	size_t len = 77;
	char error[96];

	assert_int_equal(xotlib_header_get(ARR(0, 1, 0, 5), &len, error, sizeof(error)), -1);
	assert_non_null(strstr(error, "version 1"));
	assert_int_equal(xotlib_header_get(ARR(0x80, 0, 0, 5), &len, error, sizeof(error)), -1);
	assert_non_null(strstr(error, "version 32768"));
	assert_int_equal(xotlib_header_get(ARR(0, 0, 0, 2), &len, error, sizeof(error)), -1);
	assert_non_null(strstr(error, "length 2"));
	assert_int_equal(xotlib_header_get(ARR(0, 0, 0, 0), &len, error, sizeof(error)), -1);
	assert_int_equal(xotlib_header_get(ARR(0, 0, 0x10, 0x05), &len, error, sizeof(error)), -1);
	assert_non_null(strstr(error, "length 4101"));
	assert_int_equal(len, 77); /* untouched on failure */
}

static void test_reader_reassembles_a_packet_fed_byte_by_byte(void **state)
{
	struct xotlib_reader *r = malloc(sizeof(*r));
	const uint8_t stream[] = { 0,    0, 0, 5, 0x10, 0x01, 0x13, 0x00,
				   0x00, 0, 0, 0, 3,    0x10, 0x01, 0x17 };
	const uint8_t *packet;
	size_t len;

	xotlib_reader_init(r);
	for (size_t i = 0; i < 8; i++) {
		assert_int_equal(xotlib_reader_feed(r, stream + i, 1), 1);
		assert_int_equal(xotlib_reader_next(r, &packet, &len), 0);
	}
	/* the last byte of the first packet and all of the second at once */
	assert_int_equal(xotlib_reader_feed(r, stream + 8, sizeof(stream) - 8), sizeof(stream) - 8);
	assert_int_equal(xotlib_reader_next(r, &packet, &len), 1);
	expect_bytes(packet, len, BYTES(0x10, 0x01, 0x13, 0x00, 0x00));
	assert_int_equal(xotlib_reader_next(r, &packet, &len), 1);
	expect_bytes(packet, len, BYTES(0x10, 0x01, 0x17));
	assert_int_equal(xotlib_reader_next(r, &packet, &len), 0);
	free(r);
}

static void test_reader_stays_broken_after_a_bad_header(void **state)
{
	struct xotlib_reader *r = malloc(sizeof(*r));
	const uint8_t *packet;
	size_t len;

	xotlib_reader_init(r);
	xotlib_reader_feed(r, BYTES(0, 2, 0, 3, 0x10, 0x01, 0x17, 0, 0, 0, 3, 0x10, 0x01, 0x17));
	assert_int_equal(xotlib_reader_next(r, &packet, &len), -1);
	assert_non_null(strstr(r->error, "version 2"));
	assert_int_equal(xotlib_reader_next(r, &packet, &len), -1);
	free(r);
}

struct pair {
	int vc_fd, peer_fd;
	struct xotlib_reader *peer_reader; /* the test's side reads through this */
	struct xotlib_vc vc;
};

static void pair_open(struct pair *p)
{
	int fds[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
	p->vc_fd = fds[0];
	p->peer_fd = fds[1];
	p->peer_reader = malloc(sizeof(*p->peer_reader));
	assert_non_null(p->peer_reader);
	xotlib_reader_init(p->peer_reader);
	assert_int_equal(xotlib_vc_init(&p->vc, p->vc_fd), 0);
}

static void pair_close(struct pair *p)
{
	xotlib_vc_free(&p->vc);
	free(p->peer_reader);
	close(p->vc_fd);
	if (p->peer_fd >= 0)
		close(p->peer_fd);
}

static void test_recv_packet_waits_for_the_rest_of_a_split_packet(void **state)
{
	struct pair p;
	const uint8_t *packet;
	size_t len;

	pair_open(&p);
	assert_int_equal(write(p.peer_fd, BYTES(0, 0, 0)), 3);
	assert_int_equal(xotlib_recv_packet(p.vc_fd, p.vc.reader, 30, -1, &packet, &len),
			 XOTLIB_TIMEOUT);
	assert_int_equal(write(p.peer_fd, BYTES(5, 0x10, 0x01)), 3);
	assert_int_equal(xotlib_recv_packet(p.vc_fd, p.vc.reader, 30, -1, &packet, &len),
			 XOTLIB_TIMEOUT);
	assert_int_equal(write(p.peer_fd, BYTES(0x13, 0x0D, 0x43)), 3);
	assert_int_equal(xotlib_recv_packet(p.vc_fd, p.vc.reader, 1000, -1, &packet, &len),
			 XOTLIB_OK);
	expect_bytes(packet, len, BYTES(0x10, 0x01, 0x13, 0x0D, 0x43));
	/* a wrong length closes the stream for good */
	assert_int_equal(write(p.peer_fd, BYTES(0, 0, 0x20, 0x00)), 4);
	assert_int_equal(xotlib_recv_packet(p.vc_fd, p.vc.reader, 1000, -1, &packet, &len),
			 XOTLIB_FRAMING);
	assert_non_null(strstr(p.vc.reader->error, "length 8192"));
	pair_close(&p);
}

static void test_recv_packet_reports_end_of_stream_and_wake(void **state)
{
	struct pair p;
	const uint8_t *packet;
	size_t len;
	int wake[2];

	pair_open(&p);
	assert_int_equal(pipe(wake), 0);
	assert_int_equal(write(wake[1], "x", 1), 1);
	assert_int_equal(xotlib_recv_packet(p.vc_fd, p.vc.reader, -1, wake[0], &packet, &len),
			 XOTLIB_WOKEN);
	assert_int_equal(write(p.peer_fd, BYTES(0, 0, 0, 3, 0x10)), 5); /* cut off */
	close(p.peer_fd);
	p.peer_fd = -1;
	assert_int_equal(xotlib_recv_packet(p.vc_fd, p.vc.reader, 1000, -1, &packet, &len),
			 XOTLIB_CLOSED);
	close(wake[0]);
	close(wake[1]);
	pair_close(&p);
}

static void test_send_packet_frames_and_refuses_bad_lengths(void **state)
{
	struct pair p;
	uint8_t got[16];
	uint8_t big[XOTLIB_PACKET_MAX + 1] = { 0 };

	pair_open(&p);
	assert_int_equal(xotlib_send_packet(p.vc_fd, BYTES(0x10, 0x01, 0x17)), 0);
	assert_int_equal(read(p.peer_fd, got, sizeof(got)), 7);
	expect_bytes(got, 7, BYTES(0x00, 0x00, 0x00, 0x03, 0x10, 0x01, 0x17));
	assert_int_equal(xotlib_send_packet(p.vc_fd, BYTES(0x10, 0x01)), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_int_equal(xotlib_send_packet(p.vc_fd, big, sizeof(big)), -1);
	pair_close(&p);
}

/* --- packets: exact bytes --- */

static struct xotlib_call default_call(int modulo)
{
	struct xotlib_call call = {
		.modulo = modulo,
		.lci = 1,
		.called = "2222",
		.calling = "1111",
		.fac = { .has_packet = true,
			 .has_window = true,
			 .packet_in = 7,
			 .packet_out = 7,
			 .window_in = 2,
			 .window_out = 2 },
	};
	return call;
}

static void test_default_call_request_and_accepted_are_linuxs(void **state)
{
	struct xotlib_call call = default_call(8);
	uint8_t out[256];
	size_t len;

	/* docs/linux-x25.md §3.1 and §8 item 16 */
	len = xotlib_build_call_request(out, sizeof(out), &call);
	expect_bytes(out, len,
		     BYTES(0x10, 0x01, 0x0B, 0x44, 0x22, 0x22, 0x11, 0x11, 0x06, 0x42, 0x07, 0x07,
			   0x43, 0x02, 0x02));
	call.called[0] = call.calling[0] = '\0';
	len = xotlib_build_call_accepted(out, sizeof(out), &call);
	expect_bytes(out, len,
		     BYTES(0x10, 0x01, 0x0F, 0x00, 0x06, 0x42, 0x07, 0x07, 0x43, 0x02, 0x02));
	/* without facilities (§8 item 17) */
	call.fac.has_packet = call.fac.has_window = false;
	len = xotlib_build_call_accepted(out, sizeof(out), &call);
	expect_bytes(out, len, BYTES(0x10, 0x01, 0x0F, 0x00, 0x00));
}

static void test_call_request_modulo_128_odd_digits_and_cud(void **state)
{
	struct xotlib_call call = {
		.modulo = 128,
		.lci = 0xABC,
		.called = "127002",
		.calling = "127001164200195",
		.fac = { .has_packet = true,
			 .has_window = true,
			 .packet_in = 12,
			 .packet_out = 12,
			 .window_in = 100,
			 .window_out = 100 },
		.cud = { 0x01, 0x00, 0x00, 0x00 },
		.cud_len = 4,
	};
	uint8_t out[256];
	size_t len = xotlib_build_call_request(out, sizeof(out), &call);

	/* 6 + 15 = 21 digits: the last low nibble is 0 */
	expect_bytes(out, len,
		     BYTES(0x2A, 0xBC, 0x0B, 0xF6, 0x12, 0x70, 0x02, 0x12, 0x70, 0x01, 0x16, 0x42,
			   0x00, 0x19, 0x50, 0x06, 0x42, 0x0C, 0x0C, 0x43, 0x64, 0x64, 0x01, 0x00,
			   0x00, 0x00));

	struct xotlib_call back;
	const char *why = NULL;
	uint8_t diag;
	assert_int_equal(xotlib_parse_call(out, len, &back, &why, &diag), 0);
	assert_int_equal(back.modulo, 128);
	assert_int_equal(back.lci, 0xABC);
	assert_string_equal(back.called, "127002");
	assert_string_equal(back.calling, "127001164200195");
	assert_true(back.fac.has_packet && back.fac.has_window);
	assert_int_equal(back.fac.packet_in, 12);
	assert_int_equal(back.fac.window_out, 100);
	assert_int_equal(back.cud_len, 4);
	assert_memory_equal(back.cud, call.cud, 4);
}

static void test_call_builders_refuse_what_cannot_be_encoded(void **state)
{
	struct xotlib_call call = default_call(8);
	uint8_t out[256];

	strcpy(call.called, "12a4");
	assert_int_equal(xotlib_build_call_request(out, sizeof(out), &call), 0);
	call = default_call(16);
	assert_int_equal(xotlib_build_call_request(out, sizeof(out), &call), 0);
	call = default_call(8);
	call.cud_len = XOTLIB_CUD_MAX + 1;
	assert_int_equal(xotlib_build_call_request(out, sizeof(out), &call), 0);
	call.cud_len = 0;
	assert_int_equal(xotlib_build_call_request(out, 10, &call), 0);
}

static void test_parse_call_accepted_optional_parts_and_errors(void **state)
{
	struct xotlib_call call;
	const char *why = NULL;
	uint8_t diag;

	/* the shortest CALL ACCEPTED Linux takes (§3.5) */
	assert_int_equal(xotlib_parse_call(BYTES(0x10, 0x05, 0x0F), &call, &why, &diag), 0);
	assert_false(call.fac.has_packet || call.fac.has_window);
	assert_int_equal(call.modulo, 8);
	assert_int_equal(xotlib_parse_call(BYTES(0x10, 0x05, 0x0F, 0x00), &call, &why, &diag), 0);
	/* facilities with a marker, throughput, a class-C and a class-D element around ours */
	assert_int_equal(xotlib_parse_call(BYTES(0x20, 0x05, 0x0F, 0x00, 0x12, 0x00, 0x00, 0x02,
						 0xAA, 0x42, 0x09, 0x08, 0x81, 1, 2, 3, 0xCB, 0x02,
						 0x11, 0x22, 0x43, 0x05, 0x06),
					   &call, &why, &diag),
			 0);
	assert_int_equal(call.modulo, 128);
	assert_int_equal(call.fac.packet_in, 9);
	assert_int_equal(call.fac.packet_out, 8);
	assert_int_equal(call.fac.window_in, 5);
	assert_int_equal(call.fac.window_out, 6);

	/* a facility cut off by the end of the field, and a field longer than the packet */
	assert_int_equal(xotlib_parse_call(BYTES(0x10, 0x05, 0x0F, 0x00, 0x02, 0x42, 0x07), &call,
					   &why, &diag),
			 -1);
	assert_int_equal(diag, XOTLIB_DIAG_INVALID_FACILITY_LENGTH);
	assert_non_null(strstr(why, "facility"));
	assert_int_equal(xotlib_parse_call(BYTES(0x10, 0x05, 0x0F, 0x00, 0x06, 0x42, 0x07, 0x07),
					   &call, &why, &diag),
			 -1);
	/* a non-BCD digit, a truncated address block */
	assert_int_equal(xotlib_parse_call(BYTES(0x10, 0x01, 0x0B, 0x22, 0x1A, 0x11, 0x00), &call,
					   &why, &diag),
			 -1);
	assert_non_null(strstr(why, "BCD"));
	assert_int_equal(
		xotlib_parse_call(BYTES(0x10, 0x01, 0x0B, 0x44, 0x22, 0x22), &call, &why, &diag),
		-1);
	/* a CALL REQUEST needs the facility length byte; a GFI of neither modulo is refused */
	assert_int_equal(xotlib_parse_call(BYTES(0x10, 0x01, 0x0B, 0x11, 0x21), &call, &why, &diag),
			 -1);
	assert_int_equal(
		xotlib_parse_call(BYTES(0x30, 0x01, 0x0B, 0x11, 0x21, 0x00), &call, &why, &diag),
		-1);
	assert_int_equal(diag, XOTLIB_DIAG_INVALID_GFI);
}

static void test_cud_over_128_bytes_is_refused(void **state)
{
	uint8_t packet[3 + 1 + 1 + 129] = { 0x10, 0x01, 0x0B, 0x00, 0x00 };
	struct xotlib_call call;
	const char *why;
	uint8_t diag;

	assert_int_equal(xotlib_parse_call(packet, sizeof(packet), &call, &why, &diag), -1);
	assert_non_null(strstr(why, "128"));
	assert_int_equal(xotlib_parse_call(packet, sizeof(packet) - 1, &call, &why, &diag), 0);
	assert_int_equal(call.cud_len, 128);
}

static void test_data_rr_rnr_clear_reset_bytes(void **state)
{
	uint8_t out[8];
	size_t len;

	/* modulo 8 (§2.2): P(R)<<5 | M<<4 | P(S)<<1; §8 item 29's M bit is 0x10 */
	len = xotlib_build_data_header(out, 8, 1, false, 3, 5, true);
	expect_bytes(out, len, BYTES(0x10, 0x01, 0xB6));
	len = xotlib_build_data_header(out, 8, 0x123, true, 7, 0, false);
	expect_bytes(out, len, BYTES(0x91, 0x23, 0x0E));
	/* modulo 128 (§8 item 40): 20 LL P(S)<<1 P(R)<<1|M */
	len = xotlib_build_data_header(out, 128, 1, false, 127, 64, true);
	expect_bytes(out, len, BYTES(0x20, 0x01, 0xFE, 0x81));
	len = xotlib_build_rr(out, 8, 1, 6);
	expect_bytes(out, len, BYTES(0x10, 0x01, 0xC1));
	len = xotlib_build_rnr(out, 8, 1, 6);
	expect_bytes(out, len, BYTES(0x10, 0x01, 0xC5));
	len = xotlib_build_rr(out, 128, 1, 100);
	expect_bytes(out, len, BYTES(0x20, 0x01, 0x01, 0xC8));
	len = xotlib_build_rnr(out, 128, 1, 100);
	expect_bytes(out, len, BYTES(0x20, 0x01, 0x05, 0xC8));
	/* CLEAR as Linux sends it (§2.2): exactly 5 bytes */
	len = xotlib_build_clear(out, 8, 1, 0x0D, 0x43);
	expect_bytes(out, len, BYTES(0x10, 0x01, 0x13, 0x0D, 0x43));
	len = xotlib_build_clear_confirmation(out, 128, 1);
	expect_bytes(out, len, BYTES(0x20, 0x01, 0x17));
	len = xotlib_build_reset(out, 8, 1, 0, 0);
	expect_bytes(out, len, BYTES(0x10, 0x01, 0x1B, 0x00, 0x00));
	len = xotlib_build_reset_confirmation(out, 8, 1);
	expect_bytes(out, len, BYTES(0x10, 0x01, 0x1F));
	len = xotlib_build_interrupt_confirmation(out, 8, 1);
	expect_bytes(out, len, BYTES(0x10, 0x01, 0x27));
}

static void test_decode_follows_the_calls_modulo(void **state)
{
	struct xotlib_packet p;

	assert_int_equal(xotlib_decode(BYTES(0x90, 0x01, 0xB6, 'a', 'b'), 8, &p), 0);
	assert_int_equal(p.type, XOTLIB_DATA);
	assert_true(p.q && p.m);
	assert_int_equal(p.ps, 3);
	assert_int_equal(p.pr, 5);
	assert_int_equal(p.data_len, 2);
	assert_int_equal(p.lci, 1);
	assert_int_equal(p.gfi_modulo, XOTLIB_GFI_MOD8);
	assert_int_equal(xotlib_decode(BYTES(0x10, 0x01, 0x00), 8, &p),
			 0); /* empty DATA (§8 item 31) */
	assert_int_equal(p.type, XOTLIB_DATA);
	assert_int_equal(p.data_len, 0);
	assert_int_equal(xotlib_decode(BYTES(0x10, 0x01, 0xC1), 8, &p), 0);
	assert_int_equal(p.type, XOTLIB_RR);
	assert_int_equal(p.pr, 6);
	assert_int_equal(xotlib_decode(BYTES(0x10, 0x01, 0xE9), 8, &p), 0);
	assert_int_equal(p.type, XOTLIB_REJ);

	assert_int_equal(xotlib_decode(BYTES(0x20, 0x01, 0xFE, 0x81, 'x'), 128, &p), 0);
	assert_int_equal(p.type, XOTLIB_DATA);
	assert_int_equal(p.ps, 127);
	assert_int_equal(p.pr, 64);
	assert_true(p.m);
	assert_int_equal(p.data_len, 1);
	assert_int_equal(xotlib_decode(BYTES(0x20, 0x01, 0x05, 0xC8), 128, &p), 0);
	assert_int_equal(p.type, XOTLIB_RNR);
	assert_int_equal(p.pr, 100);
	/* modulo 128 DATA and RR need 4 bytes (§2.6); 0xC1 is not an RR there */
	assert_int_equal(xotlib_decode(BYTES(0x20, 0x01, 0x02), 128, &p), -1);
	assert_int_equal(xotlib_decode(BYTES(0x20, 0x01, 0x01), 128, &p), -1);
	assert_int_equal(xotlib_decode(BYTES(0x20, 0x01, 0xC1), 128, &p), 0);
	assert_int_equal(p.type, XOTLIB_ILLEGAL);

	assert_int_equal(xotlib_decode(BYTES(0x10, 0x01, 0x13, 0x0D, 0x43), 8, &p), 0);
	assert_int_equal(p.type, XOTLIB_CLEAR_REQUEST);
	assert_true(p.has_cause && p.has_diag);
	assert_int_equal(p.cause, 0x0D);
	assert_int_equal(p.diag, 0x43);
	assert_int_equal(xotlib_decode(BYTES(0x10, 0x01, 0x13, 0x05), 8, &p), 0);
	assert_false(p.has_diag);
	assert_int_equal(xotlib_decode(BYTES(0x10, 0x01, 0x13), 8, &p), -1);
	assert_int_equal(xotlib_decode(BYTES(0x10, 0x00, 0xFB, 0x00, 0x00), 8, &p), 0);
	assert_int_equal(p.type, XOTLIB_RESTART_REQUEST);
	assert_true(xotlib_type_local_only(p.type));
	assert_int_equal(xotlib_decode(BYTES(0x10, 0x01, 0x23, 'i'), 8, &p), 0);
	assert_int_equal(p.type, XOTLIB_INTERRUPT);
	assert_int_equal(p.data_len, 1);
	assert_int_equal(xotlib_decode(BYTES(0x10, 0x01), 8, &p), -1);
}

static void test_sequence_numbers_wrap(void **state)
{
	assert_int_equal(xotlib_seq_add(7, 1, 8), 0);
	assert_int_equal(xotlib_seq_add(127, 3, 128), 2);
	assert_int_equal(xotlib_seq_diff(1, 6, 8), 3);
	assert_int_equal(xotlib_seq_diff(2, 126, 128), 4);
	assert_int_equal(xotlib_seq_diff(5, 5, 8), 0);
	/* V(A) 6, V(S) 1: P(R) 6, 7, 0, 1 are valid, 2..5 not */
	for (unsigned pr = 0; pr < 8; pr++)
		assert_int_equal(xotlib_seq_pr_valid(pr, 6, 1, 8), pr >= 6 || pr <= 1);
	assert_true(xotlib_seq_pr_valid(0, 126, 2, 128));
	assert_true(xotlib_seq_pr_valid(126, 126, 2, 128));
	assert_false(xotlib_seq_pr_valid(3, 126, 2, 128));
	assert_false(xotlib_seq_pr_valid(125, 126, 2, 128));
	assert_false(xotlib_seq_pr_valid(8, 0, 7, 8)); /* not a modulo-8 number at all */
}

static void test_negotiation_takes_the_smaller_and_defaults(void **state)
{
	struct xotlib_facilities own = { true, true, 9, 9, 7, 7 };
	struct xotlib_facilities theirs = { true, true, 12, 8, 100, 3 };
	struct xotlib_facilities agreed;

	xotlib_negotiate(&theirs, &own, 128, &agreed);
	assert_true(agreed.has_packet && agreed.has_window);
	assert_int_equal(agreed.packet_in, 9);
	assert_int_equal(agreed.packet_out, 8);
	assert_int_equal(agreed.window_in, 7);
	assert_int_equal(agreed.window_out, 3);
	/* left out: the X.25 defaults, never raised */
	struct xotlib_facilities none = { 0 };
	xotlib_negotiate(&none, &own, 8, &agreed);
	assert_int_equal(agreed.packet_in, 7);
	assert_int_equal(agreed.window_out, 2);
	/* modulo 8 caps the window at 7 */
	struct xotlib_facilities big = { true, true, 12, 12, 127, 127 };
	xotlib_negotiate(&theirs, &big, 8, &agreed);
	assert_int_equal(agreed.window_in, 7);
	assert_int_equal(agreed.window_out, 3);
}

/* --- endpoints and TCP --- */

static void test_endpoints_parse(void **state)
{
	char host[64], port[8], error[128];

	assert_int_equal(xotlib_parse_endpoint("example.org:2000", false, host, sizeof(host), port,
					       sizeof(port), error, sizeof(error)),
			 0);
	assert_string_equal(host, "example.org");
	assert_string_equal(port, "2000");
	assert_int_equal(xotlib_parse_endpoint("10.1.2.3", false, host, sizeof(host), port,
					       sizeof(port), error, sizeof(error)),
			 0);
	assert_string_equal(host, "10.1.2.3");
	assert_string_equal(port, "1998");
	assert_int_equal(xotlib_parse_endpoint("[::1]:1999", false, host, sizeof(host), port,
					       sizeof(port), error, sizeof(error)),
			 0);
	assert_string_equal(host, "::1");
	assert_string_equal(port, "1999");
	assert_int_equal(xotlib_parse_endpoint("[fe80::1]", false, host, sizeof(host), port,
					       sizeof(port), error, sizeof(error)),
			 0);
	assert_string_equal(port, "1998");
	assert_int_equal(xotlib_parse_endpoint("::1", false, host, sizeof(host), port, sizeof(port),
					       error, sizeof(error)),
			 0);
	assert_string_equal(host, "::1");
	/* a listener's PORT alone */
	assert_int_equal(xotlib_parse_endpoint("0", true, host, sizeof(host), port, sizeof(port),
					       error, sizeof(error)),
			 0);
	assert_string_equal(host, "");
	assert_string_equal(port, "0");
	assert_int_equal(xotlib_parse_endpoint(":1998", true, host, sizeof(host), port,
					       sizeof(port), error, sizeof(error)),
			 0);
	assert_string_equal(host, "");

	assert_int_equal(xotlib_parse_endpoint("host:99999", false, host, sizeof(host), port,
					       sizeof(port), error, sizeof(error)),
			 -1);
	assert_non_null(strstr(error, "0 to 65535"));
	assert_int_equal(xotlib_parse_endpoint("host:x", false, host, sizeof(host), port,
					       sizeof(port), error, sizeof(error)),
			 -1);
	assert_int_equal(xotlib_parse_endpoint("[::1", false, host, sizeof(host), port,
					       sizeof(port), error, sizeof(error)),
			 -1);
	assert_int_equal(xotlib_parse_endpoint("[::1]x", false, host, sizeof(host), port,
					       sizeof(port), error, sizeof(error)),
			 -1);
}

static void test_listen_on_port_0_and_connect(void **state)
{
	char bound[80], error[160];
	int listener =
		xotlib_listen("127.0.0.1", "0", 4, bound, sizeof(bound), error, sizeof(error));

	assert_true(listener >= 0);
	assert_non_null(strstr(bound, "127.0.0.1:"));
	assert_string_not_equal(bound, "127.0.0.1:0");

	char *colon = strrchr(bound, ':');
	struct addrinfo *ai = xotlib_resolve("127.0.0.1", colon + 1, false, error, sizeof(error));
	assert_non_null(ai);
	int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
	assert_true(fd >= 0);
	assert_int_equal(xotlib_set_nodelay(fd), 0);
	int rc = xotlib_connect_start(fd, ai->ai_addr, ai->ai_addrlen);
	if (rc == EINPROGRESS) {
		struct pollfd w = { .fd = fd, .events = POLLOUT };
		assert_int_equal(poll(&w, 1, 2000), 1);
		rc = xotlib_connect_finish(fd);
	}
	assert_int_equal(rc, 0);
	int accepted = accept(listener, NULL, NULL);
	assert_true(accepted >= 0);
	assert_int_equal(xotlib_send_packet(fd, BYTES(0x10, 0x01, 0x17)), 0);
	close(accepted);
	close(fd);
	freeaddrinfo(ai);
	close(listener);

	/* a port in use: the message says where */
	listener = xotlib_listen("127.0.0.1", "0", 4, bound, sizeof(bound), error, sizeof(error));
	colon = strrchr(bound, ':');
	int second = xotlib_listen("127.0.0.1", colon + 1, 4, NULL, 0, error, sizeof(error));
	assert_int_equal(second, -1);
	assert_non_null(strstr(error, "cannot listen on 127.0.0.1:"));
	close(listener);
}

/* --- the virtual circuit against a scripted peer --- */

static void peer_send(struct pair *p, const uint8_t *packet, size_t len)
{
	assert_int_equal(xotlib_send_packet(p->peer_fd, packet, len), 0);
}

/* The next packet the vc sent must be exactly this. */
static void peer_expect(struct pair *p, const uint8_t *want, size_t want_len)
{
	const uint8_t *got;
	size_t len;

	assert_int_equal(xotlib_recv_packet(p->peer_fd, p->peer_reader, 2000, -1, &got, &len),
			 XOTLIB_OK);
	expect_bytes(got, len, want, want_len);
}

/* Nothing more from the vc within ms. */
static void peer_expect_nothing(struct pair *p, int ms)
{
	const uint8_t *got;
	size_t len;

	assert_int_equal(xotlib_recv_packet(p->peer_fd, p->peer_reader, ms, -1, &got, &len),
			 XOTLIB_TIMEOUT);
}

/* Bring the vc's call up: modulo, packet size (log2) and window both ways. */
static void vc_up(struct pair *p, int modulo, uint8_t packet_log2, uint8_t window)
{
	struct xotlib_call call = default_call(modulo);
	uint8_t accepted[16] = { modulo == 128 ? 0x20 : 0x10,
				 0x01,
				 0x0F,
				 0x00,
				 0x06,
				 0x42,
				 packet_log2,
				 packet_log2,
				 0x43,
				 window,
				 window };
	uint8_t request[64];
	size_t request_len;

	call.fac.packet_in = call.fac.packet_out = packet_log2;
	call.fac.window_in = call.fac.window_out = window;
	request_len = xotlib_build_call_request(request, sizeof(request), &call);
	peer_send(p, accepted, 11);
	assert_int_equal(xotlib_vc_call(&p->vc, &call, 1000), XOTLIB_OK);
	peer_expect(p, request, request_len);
	assert_int_equal(p->vc.state, XOTLIB_VC_DATA);
}

static void test_call_refused_with_clear_keeps_cause_and_confirms(void **state)
{
	struct pair p;
	struct xotlib_call call = default_call(8);

	pair_open(&p);
	peer_send(&p, BYTES(0x10, 0x01, 0x13, 0x0D, 0x43)); /* §8 item 22 */
	assert_int_equal(xotlib_vc_call(&p.vc, &call, 1000), XOTLIB_CLEARED);
	assert_int_equal(p.vc.cause, 0x0D);
	assert_int_equal(p.vc.diag, 0x43);
	assert_non_null(strstr(p.vc.why, "0x0d"));
	peer_expect(&p, BYTES(0x10, 0x01, 0x0B, 0x44, 0x22, 0x22, 0x11, 0x11, 0x06, 0x42, 0x07,
			      0x07, 0x43, 0x02, 0x02));
	peer_expect(&p, BYTES(0x10, 0x01, 0x17));
	assert_int_equal(p.vc.state, XOTLIB_VC_CLEARED);
	assert_int_equal(xotlib_vc_clear(&p.vc, 0, 0, 100), XOTLIB_OK); /* nothing more to do */
	pair_close(&p);
}

static void test_call_request_always_carries_flow_control_facilities(void **state)
{
	struct pair p;
	struct xotlib_call call = default_call(8);

	pair_open(&p);
	call.fac.has_packet = call.fac.has_window = false;
	/* a bare CALL ACCEPTED leaves the values requested, here the defaults */
	peer_send(&p, BYTES(0x10, 0x01, 0xFB, 0x00, 0x00)); /* RESTART: discarded (RFC 1613 §6.4) */
	peer_send(&p, BYTES(0x10, 0x01, 0x0F));
	assert_int_equal(xotlib_vc_call(&p.vc, &call, 1000), XOTLIB_OK);
	peer_expect(&p, BYTES(0x10, 0x01, 0x0B, 0x44, 0x22, 0x22, 0x11, 0x11, 0x06, 0x42, 0x07,
			      0x07, 0x43, 0x02, 0x02));
	assert_int_equal(p.vc.send_packet, 128);
	assert_int_equal(p.vc.send_window, 2);
	assert_int_equal(p.vc.discarded, 1);
	pair_close(&p);
}

static void test_call_accepted_facilities_are_adopted_and_checked(void **state)
{
	struct pair p;
	struct xotlib_call call = default_call(8);

	pair_open(&p);
	call.fac.packet_in = call.fac.packet_out = 10;
	call.fac.window_in = call.fac.window_out = 7;
	/* byte 1 is the called end's direction: the caller receives per byte 1, sends per byte 2 */
	peer_send(&p, BYTES(0x10, 0x01, 0x0F, 0x00, 0x06, 0x42, 0x08, 0x09, 0x43, 0x03, 0x05));
	assert_int_equal(xotlib_vc_call(&p.vc, &call, 1000), XOTLIB_OK);
	assert_int_equal(p.vc.recv_packet, 256);
	assert_int_equal(p.vc.send_packet, 512);
	assert_int_equal(p.vc.recv_window, 3);
	assert_int_equal(p.vc.send_window, 5);
	assert_int_equal(p.vc.fac.packet_in, 8);
	pair_close(&p);

	/* window 0 (§8 item 20) would never let data out: refused */
	pair_open(&p);
	peer_send(&p, BYTES(0x10, 0x01, 0x0F, 0x00, 0x03, 0x43, 0x00, 0x00));
	assert_int_equal(xotlib_vc_call(&p.vc, &call, 1000), XOTLIB_PROTOCOL);
	assert_int_equal(p.vc.diag, XOTLIB_DIAG_INVALID_FACILITY_PARAMETER);
	pair_close(&p);

	/* a window of 8 on modulo 8, a modulo-128 answer to a modulo-8 call */
	pair_open(&p);
	peer_send(&p, BYTES(0x10, 0x01, 0x0F, 0x00, 0x03, 0x43, 0x08, 0x08));
	assert_int_equal(xotlib_vc_call(&p.vc, &call, 1000), XOTLIB_PROTOCOL);
	pair_close(&p);
	pair_open(&p);
	peer_send(&p, BYTES(0x20, 0x01, 0x0F));
	assert_int_equal(xotlib_vc_call(&p.vc, &call, 1000), XOTLIB_PROTOCOL);
	assert_int_equal(p.vc.diag, XOTLIB_DIAG_INVALID_GFI);
	pair_close(&p);

	/* DATA instead of an answer, and no answer at all */
	pair_open(&p);
	peer_send(&p, BYTES(0x10, 0x01, 0x00, 'x'));
	assert_int_equal(xotlib_vc_call(&p.vc, &call, 1000), XOTLIB_PROTOCOL);
	assert_int_equal(p.vc.diag, XOTLIB_DIAG_TYPE_INVALID_P2);
	pair_close(&p);
	pair_open(&p);
	assert_int_equal(xotlib_vc_call(&p.vc, &call, 20), XOTLIB_TIMEOUT);
	assert_non_null(strstr(p.vc.why, "CALL REQUEST"));
	pair_close(&p);
}

static void test_m_bit_sequence_is_one_record_and_acknowledged_when_window_fills(void **state)
{
	struct pair p;
	uint8_t buf[64];
	size_t len;
	bool q;

	pair_open(&p);
	vc_up(&p, 8, 4, 2); /* 16-byte packets, window 2 */
	peer_send(&p, BYTES(0x90, 0x01, 0x10, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k',
			    'l', 'm', 'n', 'o', 'p')); /* P(S) 0, M, Q */
	peer_send(&p, BYTES(0x90, 0x01, 0x12, 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', '0',
			    '1', '2', '3', '4', '5'));    /* P(S) 1, M */
	peer_send(&p, BYTES(0x90, 0x01, 0x04, '6', '7')); /* P(S) 2, last */
	assert_int_equal(xotlib_vc_recv_record(&p.vc, buf, sizeof(buf), &len, &q, 1000), XOTLIB_OK);
	assert_int_equal(len, 34);
	assert_memory_equal(buf, "abcdefghijklmnopqrstuvwxyz01234567", 34);
	assert_true(q);
	/* window 2 full after the second packet: RR P(R) 2 at once */
	peer_expect(&p, BYTES(0x10, 0x01, 0x41));
	/* the third is owed; while the program waits and nothing carries it, RR P(R) 3 goes
	 * out after the acknowledgement delay (Linux's T2) */
	assert_int_equal(xotlib_vc_recv_record(&p.vc, buf, sizeof(buf), &len, &q, 300),
			 XOTLIB_TIMEOUT);
	peer_expect(&p, BYTES(0x10, 0x01, 0x61));
	assert_int_equal(p.vc.rr_sent, 2);
	assert_int_equal(p.vc.data_received, 3);
	pair_close(&p);
}

/* A record sent from another thread, so that the test thread can play the receiver. */
struct send_job {
	struct xotlib_vc *vc;
	const uint8_t *data;
	size_t len;
	enum xotlib_result result;
	pthread_t thread;
};

static void *send_job_main(void *arg)
{
	struct send_job *job = arg;

	job->result = xotlib_vc_send_record(job->vc, job->data, job->len, false, 2000);
	return NULL;
}

static void send_job_start(struct send_job *job, struct xotlib_vc *vc, const uint8_t *data,
			   size_t len)
{
	*job = (struct send_job){ .vc = vc, .data = data, .len = len, .result = XOTLIB_TIMEOUT };
	assert_int_equal(pthread_create(&job->thread, NULL, send_job_main, job), 0);
}

static enum xotlib_result send_job_wait(struct send_job *job)
{
	assert_int_equal(pthread_join(job->thread, NULL), 0);
	return job->result;
}

/* The peer end as a second vc, already in data transfer as the called DTE. */
static void peer_vc(struct xotlib_vc *echo, struct pair *p)
{
	assert_int_equal(xotlib_vc_init(echo, p->peer_fd), 0);
	echo->modulo = p->vc.modulo;
	echo->lci = 1;
	echo->fac = p->vc.fac;
	echo->state = XOTLIB_VC_DATA;
	echo->send_packet = p->vc.recv_packet;
	echo->recv_packet = p->vc.send_packet;
	echo->send_window = p->vc.recv_window;
	echo->recv_window = p->vc.send_window;
}

static void test_records_wrap_the_sequence_numbers_in_both_modulos(void **state)
{
	static const struct {
		int modulo;
		uint8_t window;
	} cases[] = { { 8, 7 }, { 8, 1 }, { 128, 100 }, { 128, 127 }, { 128, 2 } };
	size_t record = 300 * 16 + 5; /* 301 packets of 16 bytes: past 128 twice */
	uint8_t *data = malloc(record), *back = malloc(record + 1);

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct pair p;
		struct xotlib_vc echo;
		struct send_job job;
		size_t len;
		bool q;

		for (size_t i = 0; i < record; i++)
			data[i] = (uint8_t)(i * 7 + c);
		pair_open(&p);
		vc_up(&p, cases[c].modulo, 4, cases[c].window);
		peer_vc(&echo, &p);
		for (int round = 0; round < 3; round++) {
			/* there: the caller sends, the peer reassembles */
			send_job_start(&job, &p.vc, data, record);
			assert_int_equal(
				xotlib_vc_recv_record(&echo, back, record + 1, &len, &q, 2000),
				XOTLIB_OK);
			assert_int_equal(send_job_wait(&job), XOTLIB_OK);
			assert_int_equal(len, record);
			assert_memory_equal(back, data, record);
			/* and back */
			send_job_start(&job, &echo, back, len);
			assert_int_equal(
				xotlib_vc_recv_record(&p.vc, back, record + 1, &len, &q, 2000),
				XOTLIB_OK);
			assert_int_equal(send_job_wait(&job), XOTLIB_OK);
			assert_int_equal(len, record);
			assert_memory_equal(back, data, record);
		}
		assert_int_equal(p.vc.data_sent, 3 * 301);
		assert_int_equal(echo.data_received, 3 * 301);
		assert_int_equal(p.vc.vs, (3 * 301) % cases[c].modulo);
		assert_int_equal(echo.vs, (3 * 301) % cases[c].modulo);
		/* both ends clear at once: the peer's CLEAR goes out first (no wait), then the
		 * caller's CLEAR meets it, which ends the call as a confirmation would */
		assert_int_equal(xotlib_vc_clear(&echo, 0, 0, 0), XOTLIB_TIMEOUT);
		assert_int_equal(xotlib_vc_clear(&p.vc, 0, 0, 1000), XOTLIB_OK);
		assert_int_equal(p.vc.state, XOTLIB_VC_CLEARED);
		const uint8_t *got;
		struct xotlib_packet seen = { .type = XOTLIB_RR };
		while (seen.type != XOTLIB_CLEAR_REQUEST) {
			assert_int_equal(
				xotlib_recv_packet(p.peer_fd, echo.reader, 1000, -1, &got, &len),
				XOTLIB_OK);
			assert_int_equal(xotlib_decode(got, len, cases[c].modulo, &seen), 0);
		}
		xotlib_vc_free(&echo);
		pair_close(&p);
	}
	free(data);
	free(back);
}

static void test_empty_and_exact_multiple_records(void **state)
{
	struct pair p;
	uint8_t data[256], buf[256];
	size_t len;
	bool q;

	memset(data, 0x5A, sizeof(data));
	pair_open(&p);
	vc_up(&p, 8, 7, 7);
	/* an empty record is one DATA packet with nothing in it (§8 item 31) */
	assert_int_equal(xotlib_vc_send_record(&p.vc, data, 0, false, 100), XOTLIB_OK);
	peer_expect(&p, BYTES(0x10, 0x01, 0x00));
	/* 256 bytes at 128: two full packets, M only on the first */
	assert_int_equal(xotlib_vc_send_record(&p.vc, data, 256, true, 100), XOTLIB_OK);
	const uint8_t *got;
	assert_int_equal(xotlib_recv_packet(p.peer_fd, p.peer_reader, 1000, -1, &got, &len),
			 XOTLIB_OK);
	assert_int_equal(len, 3 + 128);
	expect_bytes(got, 3, BYTES(0x90, 0x01, 0x12));
	assert_int_equal(xotlib_recv_packet(p.peer_fd, p.peer_reader, 1000, -1, &got, &len),
			 XOTLIB_OK);
	assert_int_equal(len, 3 + 128);
	expect_bytes(got, 3, BYTES(0x90, 0x01, 0x04));
	/* an empty record received */
	peer_send(&p, BYTES(0x10, 0x01, 0x60)); /* P(R) 3, P(S) 0 */
	assert_int_equal(xotlib_vc_recv_record(&p.vc, buf, sizeof(buf), &len, &q, 1000), XOTLIB_OK);
	assert_int_equal(len, 0);
	assert_false(q);
	pair_close(&p);
}

static void test_window_stops_sending_until_rr_and_rnr_pauses(void **state)
{
	struct pair p;
	struct send_job job;
	uint8_t data[5 * 16];
	const uint8_t *got;
	size_t len;

	memset(data, 0x11, sizeof(data));
	pair_open(&p);
	vc_up(&p, 8, 4, 2);
	send_job_start(&job, &p.vc, data, sizeof(data));
	for (int i = 0; i < 2; i++)
		assert_int_equal(xotlib_recv_packet(p.peer_fd, p.peer_reader, 1000, -1, &got, &len),
				 XOTLIB_OK);
	peer_expect_nothing(&p, 100);           /* window 2: two packets, then a wait */
	peer_send(&p, BYTES(0x10, 0x01, 0x45)); /* RNR P(R) 2: acknowledged, but busy */
	peer_expect_nothing(&p, 150);
	peer_send(&p, BYTES(0x10, 0x01, 0x41)); /* RR P(R) 2 */
	assert_int_equal(xotlib_recv_packet(p.peer_fd, p.peer_reader, 1000, -1, &got, &len),
			 XOTLIB_OK);
	expect_bytes(got, 3, BYTES(0x10, 0x01, 0x14)); /* P(S) 2, M */
	assert_int_equal(xotlib_recv_packet(p.peer_fd, p.peer_reader, 1000, -1, &got, &len),
			 XOTLIB_OK);
	peer_expect_nothing(&p, 50);
	peer_send(&p, BYTES(0x10, 0x01, 0x81)); /* RR P(R) 4 */
	assert_int_equal(xotlib_recv_packet(p.peer_fd, p.peer_reader, 1000, -1, &got, &len),
			 XOTLIB_OK);
	expect_bytes(got, 3, BYTES(0x10, 0x01, 0x08)); /* P(S) 4, last */
	assert_int_equal(send_job_wait(&job), XOTLIB_OK);
	assert_int_equal(p.vc.rnr_received, 1);
	assert_int_equal(p.vc.rr_received, 2);

	/* a window that never opens: the send gives up after the timeout, and says why */
	peer_send(&p, BYTES(0x10, 0x01, 0xA1)); /* RR P(R) 5 */
	assert_int_equal(xotlib_vc_send_record(&p.vc, data, sizeof(data), false, 50),
			 XOTLIB_TIMEOUT);
	assert_non_null(strstr(p.vc.why, "window"));
	pair_close(&p);
}

static void test_sequence_and_size_errors_are_protocol_errors(void **state)
{
	static const struct {
		uint8_t packet[8];
		size_t len;
		uint8_t diag;
	} cases[] = {
		{ { 0x10, 0x01, 0x02, 'x' }, 4, XOTLIB_DIAG_INVALID_PS }, /* P(S) 1, 0 due */
		{ { 0x10, 0x01, 0x20, 'x' }, 4, XOTLIB_DIAG_INVALID_PR }, /* P(R) 1, nothing sent */
		{ { 0x10, 0x01, 0x21 }, 3, XOTLIB_DIAG_INVALID_PR },      /* RR P(R) 1 */
		{ { 0x20, 0x01, 0x00, 0x00, 'x' },
		  5,
		  XOTLIB_DIAG_INVALID_GFI }, /* modulo-128 GFI */
		{ { 0x10, 0x01, 0x27 }, 3, XOTLIB_DIAG_UNAUTHORIZED_INTERRUPT_CONF },
		{ { 0x10, 0x01, 0x0F }, 3, XOTLIB_DIAG_TYPE_INVALID_D1 },  /* CALL ACCEPTED again */
		{ { 0x10, 0x01, 0x13 }, 3, XOTLIB_DIAG_PACKET_TOO_SHORT }, /* CLEAR without cause */
	};
	uint8_t buf[64];
	size_t len;
	bool q;

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct pair p;

		pair_open(&p);
		vc_up(&p, 8, 4, 2);
		peer_send(&p, cases[c].packet, cases[c].len);
		assert_int_equal(xotlib_vc_recv_record(&p.vc, buf, sizeof(buf), &len, &q, 1000),
				 XOTLIB_PROTOCOL);
		assert_int_equal(p.vc.diag, cases[c].diag);
		/* the program clears with that diagnostic */
		peer_send(&p, BYTES(0x10, 0x01, 0x17));
		assert_int_equal(xotlib_vc_clear(&p.vc, 0, p.vc.diag, 1000), XOTLIB_OK);
		peer_expect(&p, BYTES(0x10, 0x01, 0x13, 0x00, cases[c].diag));
		pair_close(&p);
	}

	/* over the packet size, and a record longer than the buffer given */
	struct pair p;
	uint8_t big[3 + 17] = { 0x10, 0x01, 0x00 };
	pair_open(&p);
	vc_up(&p, 8, 4, 2);
	peer_send(&p, big, sizeof(big));
	assert_int_equal(xotlib_vc_recv_record(&p.vc, buf, sizeof(buf), &len, &q, 1000),
			 XOTLIB_PROTOCOL);
	assert_int_equal(p.vc.diag, XOTLIB_DIAG_PACKET_TOO_LONG);
	pair_close(&p);
	pair_open(&p);
	vc_up(&p, 8, 4, 2);
	peer_send(&p, big, sizeof(big) - 1);
	assert_int_equal(xotlib_vc_recv_record(&p.vc, buf, 8, &len, &q, 1000), XOTLIB_PROTOCOL);
	assert_non_null(strstr(p.vc.why, "16 bytes"));
	pair_close(&p);
}

static void test_reset_clear_and_interrupt_during_data(void **state)
{
	struct pair p;
	uint8_t buf[64];
	size_t len;
	bool q;

	pair_open(&p);
	vc_up(&p, 8, 4, 2);
	peer_send(&p, BYTES(0x10, 0x01, 0x1B, 0x07, 0x21));
	assert_int_equal(xotlib_vc_recv_record(&p.vc, buf, sizeof(buf), &len, &q, 1000),
			 XOTLIB_RESET);
	assert_int_equal(p.vc.cause, 0x07);
	assert_int_equal(p.vc.diag, 0x21);
	pair_close(&p);

	pair_open(&p);
	vc_up(&p, 128, 4, 2);
	/* an interrupt is confirmed and the record goes on; a REJ and a DIAGNOSTIC are dropped */
	peer_send(&p, BYTES(0x20, 0x01, 0x00, 0x01, 'a'));
	peer_send(&p, BYTES(0x20, 0x01, 0x23, 0x55));
	peer_send(&p, BYTES(0x20, 0x01, 0x09, 0x00));
	peer_send(&p, BYTES(0x20, 0x00, 0xF1, 0x00));
	peer_send(&p, BYTES(0x20, 0x01, 0x02, 0x00, 'b'));
	assert_int_equal(xotlib_vc_recv_record(&p.vc, buf, sizeof(buf), &len, &q, 1000), XOTLIB_OK);
	assert_int_equal(len, 2);
	assert_memory_equal(buf, "ab", 2);
	peer_expect(&p, BYTES(0x20, 0x01, 0x27));
	assert_int_equal(p.vc.interrupts_confirmed, 1);
	assert_int_equal(p.vc.discarded, 2);
	/* the peer clears in the middle of a record: confirmed, cause kept */
	peer_send(&p, BYTES(0x20, 0x01, 0x04, 0x01, 'c'));
	peer_send(&p, BYTES(0x20, 0x01, 0x13, 0x00, 0x00));
	assert_int_equal(xotlib_vc_recv_record(&p.vc, buf, sizeof(buf), &len, &q, 1000),
			 XOTLIB_CLEARED);
	peer_expect(&p, BYTES(0x20, 0x01, 0x01, 0x04)); /* RR P(R) 2: window 2 was full */
	peer_expect(&p, BYTES(0x20, 0x01, 0x17));
	assert_int_equal(xotlib_vc_send_record(&p.vc, buf, 1, false, 100), XOTLIB_CLEARED);
	pair_close(&p);
}

static void test_clear_waits_for_confirmation_within_bounds(void **state)
{
	struct pair p;

	pair_open(&p);
	vc_up(&p, 8, 7, 2);
	assert_int_equal(xotlib_vc_clear(&p.vc, 0, 0, 50), XOTLIB_TIMEOUT);
	peer_expect(&p, BYTES(0x10, 0x01, 0x13, 0x00, 0x00));
	pair_close(&p);

	pair_open(&p);
	vc_up(&p, 8, 7, 2);
	peer_send(&p, BYTES(0x10, 0x01, 0x00, 'x')); /* data after the CLEAR went out is dropped */
	peer_send(&p, BYTES(0x10, 0x01, 0x17));
	assert_int_equal(xotlib_vc_clear(&p.vc, 0, 0, 1000), XOTLIB_OK);
	assert_int_equal(p.vc.state, XOTLIB_VC_CLEARED);
	pair_close(&p);

	pair_open(&p);
	vc_up(&p, 8, 7, 2);
	close(p.peer_fd);
	p.peer_fd = -1;
	/* the CLEAR cannot even be written to a closed socketpair (over TCP: XOTLIB_CLOSED) */
	enum xotlib_result result = xotlib_vc_clear(&p.vc, 0, 0, 1000);
	assert_true(result == XOTLIB_IO_ERROR || result == XOTLIB_CLOSED);
	pair_close(&p);
}

static void test_wake_fd_ends_waits_but_not_the_clear(void **state)
{
	struct pair p;
	uint8_t buf[16];
	size_t len;
	bool q;
	int wake[2];

	pair_open(&p);
	vc_up(&p, 8, 7, 2);
	assert_int_equal(pipe(wake), 0);
	p.vc.wake_fd = wake[0];
	assert_int_equal(write(wake[1], "x", 1), 1);
	assert_int_equal(xotlib_vc_recv_record(&p.vc, buf, sizeof(buf), &len, &q, 1000),
			 XOTLIB_WOKEN);
	/* a program stopping still clears, and waits for the confirmation */
	peer_send(&p, BYTES(0x10, 0x01, 0x17));
	assert_int_equal(xotlib_vc_clear(&p.vc, 0, 0, 1000), XOTLIB_OK);
	peer_expect(&p, BYTES(0x10, 0x01, 0x13, 0x00, 0x00));
	close(wake[0]);
	close(wake[1]);
	pair_close(&p);
}

static void test_called_end_negotiates_and_answers(void **state)
{
	struct pair p;
	struct xotlib_call call;
	struct xotlib_facilities own = { true, true, 9, 9, 7, 7 };

	pair_open(&p);
	peer_send(&p, BYTES(0x20, 0x00, 0xFB, 0x00, 0x00)); /* discarded before the call */
	peer_send(&p, BYTES(0x20, 0x05, 0x0B, 0x44, 0x22, 0x22, 0x11, 0x11, 0x06, 0x42, 0x0C, 0x08,
			    0x43, 0x64, 0x03));
	assert_int_equal(xotlib_vc_wait_call(&p.vc, &call, 1000), XOTLIB_OK);
	assert_int_equal(call.modulo, 128);
	assert_string_equal(call.called, "2222");
	assert_string_equal(call.calling, "1111");
	assert_int_equal(xotlib_vc_accept(&p.vc, &call, &own), XOTLIB_OK);
	peer_expect(&p, BYTES(0x20, 0x05, 0x0F, 0x00, 0x06, 0x42, 0x09, 0x08, 0x43, 0x07, 0x03));
	/* the called end sends per byte 1, receives per byte 2 */
	assert_int_equal(p.vc.send_packet, 512);
	assert_int_equal(p.vc.recv_packet, 256);
	assert_int_equal(p.vc.send_window, 7);
	assert_int_equal(p.vc.recv_window, 3);
	pair_close(&p);

	/* a call asking for a window of 9 on modulo 8 is refused with a diagnostic */
	pair_open(&p);
	peer_send(&p, BYTES(0x10, 0x05, 0x0B, 0x00, 0x03, 0x43, 0x09, 0x09));
	assert_int_equal(xotlib_vc_wait_call(&p.vc, &call, 1000), XOTLIB_PROTOCOL);
	assert_int_equal(p.vc.diag, XOTLIB_DIAG_INVALID_FACILITY_PARAMETER);
	peer_send(&p, BYTES(0x10, 0x05, 0x17));
	assert_int_equal(xotlib_vc_refuse(&p.vc, XOTLIB_CAUSE_DTE_ORIGINATED, p.vc.diag, 1000),
			 XOTLIB_OK);
	peer_expect(&p, BYTES(0x10, 0x05, 0x13, 0x00, 0x42));
	pair_close(&p);

	/* no call at all */
	pair_open(&p);
	assert_int_equal(xotlib_vc_wait_call(&p.vc, &call, 20), XOTLIB_TIMEOUT);
	pair_close(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_is_version_0_and_length_big_endian),
		cmocka_unit_test(test_header_with_bad_version_or_length_is_refused),
		cmocka_unit_test(test_reader_reassembles_a_packet_fed_byte_by_byte),
		cmocka_unit_test(test_reader_stays_broken_after_a_bad_header),
		cmocka_unit_test(test_recv_packet_waits_for_the_rest_of_a_split_packet),
		cmocka_unit_test(test_recv_packet_reports_end_of_stream_and_wake),
		cmocka_unit_test(test_send_packet_frames_and_refuses_bad_lengths),
		cmocka_unit_test(test_default_call_request_and_accepted_are_linuxs),
		cmocka_unit_test(test_call_request_modulo_128_odd_digits_and_cud),
		cmocka_unit_test(test_call_builders_refuse_what_cannot_be_encoded),
		cmocka_unit_test(test_parse_call_accepted_optional_parts_and_errors),
		cmocka_unit_test(test_cud_over_128_bytes_is_refused),
		cmocka_unit_test(test_data_rr_rnr_clear_reset_bytes),
		cmocka_unit_test(test_decode_follows_the_calls_modulo),
		cmocka_unit_test(test_sequence_numbers_wrap),
		cmocka_unit_test(test_negotiation_takes_the_smaller_and_defaults),
		cmocka_unit_test(test_endpoints_parse),
		cmocka_unit_test(test_listen_on_port_0_and_connect),
		cmocka_unit_test(test_call_refused_with_clear_keeps_cause_and_confirms),
		cmocka_unit_test(test_call_request_always_carries_flow_control_facilities),
		cmocka_unit_test(test_call_accepted_facilities_are_adopted_and_checked),
		cmocka_unit_test(
			test_m_bit_sequence_is_one_record_and_acknowledged_when_window_fills),
		cmocka_unit_test(test_records_wrap_the_sequence_numbers_in_both_modulos),
		cmocka_unit_test(test_empty_and_exact_multiple_records),
		cmocka_unit_test(test_window_stops_sending_until_rr_and_rnr_pauses),
		cmocka_unit_test(test_sequence_and_size_errors_are_protocol_errors),
		cmocka_unit_test(test_reset_clear_and_interrupt_during_data),
		cmocka_unit_test(test_clear_waits_for_confirmation_within_bounds),
		cmocka_unit_test(test_wake_fd_ends_waits_but_not_the_clear),
		cmocka_unit_test(test_called_end_negotiates_and_answers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
