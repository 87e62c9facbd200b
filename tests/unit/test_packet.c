// SPDX-License-Identifier: GPL-2.0-or-later
/* test_packet.c - the X.25 packet codec: classification, call fields, facilities, builders. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "packet.h"
#include "x25.h"

static struct x25_packet decode_ok(const uint8_t *bytes, size_t len, bool extended)
{
	struct x25_packet pkt;

	assert_int_equal(packet_decode(bytes, len, extended, &pkt), 0);
	return pkt;
}

static void modulo8_types_are_classified_like_the_kernel(void **state)
{
	struct {
		uint8_t type;
		enum pkt_type expect;
	} cases[] = {
		{0x0B, PKT_CALL_REQUEST}, {0x0F, PKT_CALL_ACCEPTED},  {0x13, PKT_CLEAR_REQUEST},
		{0x17, PKT_CLEAR_CONFIRMATION}, {0x23, PKT_INTERRUPT}, {0x27, PKT_INTERRUPT_CONFIRMATION},
		{0x1B, PKT_RESET_REQUEST}, {0x1F, PKT_RESET_CONFIRMATION}, {0xFB, PKT_RESTART_REQUEST},
		{0xFF, PKT_RESTART_CONFIRMATION}, {0xF1, PKT_DIAGNOSTIC}, {0xF3, PKT_REGISTRATION_REQUEST},
		{0xF7, PKT_REGISTRATION_CONFIRMATION}, {0x00, PKT_DATA}, {0xFE, PKT_DATA},
		{0x01, PKT_RR}, {0xE1, PKT_RR}, {0x25, PKT_RNR}, {0xA9, PKT_REJ}, {0x0D, PKT_UNKNOWN},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t p[3] = {0x10, 0x01, cases[i].type};
		struct x25_packet pkt = decode_ok(p, sizeof(p), false);

		assert_int_equal(pkt.type, cases[i].expect);
	}
}

static void modulo128_flow_control_needs_four_bytes_and_an_exact_type(void **state)
{
	uint8_t rr[4] = {0x20, 0x05, 0x01, 0x0E}, rr_short[3] = {0x20, 0x05, 0x01}, odd[4] = {0x20, 0x05, 0x21, 0};
	uint8_t data_short[3] = {0x20, 0x05, 0x02};
	struct x25_packet pkt;

	assert_int_equal(decode_ok(rr, 4, true).type, PKT_RR);
	assert_int_equal(packet_decode(rr_short, 3, true, &pkt), -1);
	assert_int_equal(packet_decode(data_short, 3, true, &pkt), -1);
	/* 0x21 is an RR with P(R)=1 in modulo 8, nothing in modulo 128. */
	assert_int_equal(decode_ok(odd, 4, false).type, PKT_RR);
	assert_int_equal(decode_ok(odd, 4, true).type, PKT_UNKNOWN);
}

static void header_fields_and_lci_rewrite_keep_the_gfi(void **state)
{
	uint8_t p[4] = {0x9A, 0xBC, 0x22, 0x55};
	struct x25_packet pkt = decode_ok(p, sizeof(p), false);

	assert_int_equal(pkt.lci, 0xABC);
	assert_int_equal(pkt.gfi, 0x90);
	packet_set_lci(p, 0xFFE);
	assert_int_equal(p[0], 0x9F);
	assert_int_equal(p[1], 0xFE);
	assert_int_equal(p[2], 0x22);
	assert_int_equal(p[3], 0x55);
}

static void short_packets_are_rejected(void **state)
{
	uint8_t p[2] = {0x10, 0x01};
	struct x25_packet pkt;

	assert_int_equal(packet_decode(p, 0, false, &pkt), -1);
	assert_int_equal(packet_decode(p, 2, false, &pkt), -1);
}

static void call_request_fields_follow_the_address_block(void **state)
{
	/* docs/linux-x25.md §3.1: from 1111 to 2222 with the default facilities, then CUD. */
	uint8_t p[] = {0x10, 0x01, 0x0B, 0x44, 0x22, 0x22, 0x11, 0x11, 0x06, 0x42, 0x07, 0x07, 0x43, 0x02, 0x02, 0xCA, 0xFE};
	struct x25_packet pkt = decode_ok(p, sizeof(p), false);
	struct x25_call_fields call;
	struct x25_facility_summary fac;
	const char *why = NULL;

	assert_int_equal(packet_parse_call(&pkt, &call, &why), 0);
	assert_string_equal(call.called, "2222");
	assert_string_equal(call.calling, "1111");
	assert_int_equal(call.fac_len, 6);
	assert_int_equal(call.cud_len, 2);
	assert_int_equal(p[call.cud_off], 0xCA);
	assert_int_equal(packet_parse_facilities(p + call.fac_off, call.fac_len, &fac), 0);
	assert_int_equal(fac.pacsize_in, 7);
	assert_int_equal(fac.pacsize_out, 7);
	assert_int_equal(fac.winsize_in, 2);
	assert_int_equal(fac.winsize_out, 2);
	assert_int_equal(fac.reverse, -1);
}

static void odd_digit_counts_and_empty_addresses_decode(void **state)
{
	/* called "127", calling "12345": 8 digits in 4 bytes. */
	uint8_t p[] = {0x10, 0x01, 0x0B, 0x53, 0x12, 0x71, 0x23, 0x45, 0x00};
	uint8_t empty[] = {0x10, 0x01, 0x0B, 0x00, 0x00};
	struct x25_call_fields call;
	const char *why;

	struct x25_packet pkt = decode_ok(p, sizeof(p), false);
	assert_int_equal(packet_parse_call(&pkt, &call, &why), 0);
	assert_string_equal(call.called, "127");
	assert_string_equal(call.calling, "12345");
	pkt = decode_ok(empty, sizeof(empty), false);
	assert_int_equal(packet_parse_call(&pkt, &call, &why), 0);
	assert_string_equal(call.called, "");
	assert_string_equal(call.calling, "");
}

static void malformed_call_requests_say_what_is_wrong(void **state)
{
	uint8_t no_addr[] = {0x10, 0x01, 0x0B};
	uint8_t truncated_addr[] = {0x10, 0x01, 0x0B, 0x66, 0x12, 0x70};
	uint8_t no_fac_len[] = {0x10, 0x01, 0x0B, 0x11, 0x12};
	uint8_t truncated_fac[] = {0x10, 0x01, 0x0B, 0x11, 0x12, 0x06, 0x42, 0x07};
	struct {
		uint8_t *p;
		size_t len;
		const char *why;
	} cases[] = {
		{no_addr, sizeof(no_addr), "no address block"},
		{truncated_addr, sizeof(truncated_addr), "address block truncated"},
		{no_fac_len, sizeof(no_fac_len), "no facility length"},
		{truncated_fac, sizeof(truncated_fac), "facilities truncated"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct x25_packet pkt = decode_ok(cases[i].p, cases[i].len, false);
		struct x25_call_fields call;
		const char *why = NULL;

		assert_int_equal(packet_parse_call(&pkt, &call, &why), -1);
		assert_string_equal(why, cases[i].why);
	}
}

static void malformed_facilities_are_rejected(void **state)
{
	uint8_t class_b_cut[] = {0x42, 0x07};
	uint8_t class_d_overrun[] = {0xCB, 0x05, 0x01};
	uint8_t ok_skip[] = {0x00, 0x0F, 0xC9, 0x02, 0x01, 0x02, 0x43, 0x7F, 0x7F};
	struct x25_facility_summary fac;

	assert_int_equal(packet_parse_facilities(class_b_cut, sizeof(class_b_cut), &fac), -1);
	assert_int_equal(packet_parse_facilities(class_d_overrun, sizeof(class_d_overrun), &fac), -1);
	assert_int_equal(packet_parse_facilities(ok_skip, sizeof(ok_skip), &fac), 0);
	assert_int_equal(fac.winsize_in, 127);
}

static void a_clear_cause_needs_four_bytes_and_the_diagnostic_is_optional(void **state)
{
	uint8_t clear[5] = {0x10, 0x01, 0x13, 0x42, 0x39};
	uint8_t cause, diag;
	struct x25_packet pkt = decode_ok(clear, 5, false);

	assert_int_equal(packet_clear_cause(&pkt, &cause, &diag), 0);
	assert_int_equal(cause, 0x42);
	assert_int_equal(diag, 0x39);
	pkt = decode_ok(clear, 4, false);
	assert_int_equal(packet_clear_cause(&pkt, &cause, &diag), 0);
	assert_int_equal(cause, 0x42);
	assert_int_equal(diag, 0x00);
	pkt = decode_ok(clear, 3, false);
	assert_int_equal(packet_clear_cause(&pkt, &cause, &diag), -1);
}

static void builders_write_what_the_kernel_expects(void **state)
{
	uint8_t out[8];

	assert_int_equal(packet_build_clear(out, false, 0xFFF, 0x05, 0x47), 5);
	assert_memory_equal(out, ((uint8_t[]){0x1F, 0xFF, 0x13, 0x05, 0x47}), 5);
	assert_int_equal(packet_build_clear(out, true, 1, 0x09, 0), 5);
	assert_memory_equal(out, ((uint8_t[]){0x20, 0x01, 0x13, 0x09, 0x00}), 5);
	assert_int_equal(packet_build_clear_confirmation(out, false, 0x123), 3);
	assert_memory_equal(out, ((uint8_t[]){0x11, 0x23, 0x17}), 3);
	assert_int_equal(packet_build_restart_confirmation(out, false), 3);
	assert_memory_equal(out, ((uint8_t[]){0x10, 0x00, 0xFF}), 3);
	assert_int_equal(packet_build_restart_confirmation(out, true), 3);
	assert_memory_equal(out, ((uint8_t[]){0x20, 0x00, 0xFF}), 3);
}

static void type_names_are_goxots_with_interrupts_and_diagnostics_named(void **state)
{
	uint8_t unknown[3] = {0x10, 0x01, 0x0D};
	char buf[16];
	struct x25_packet pkt = decode_ok(unknown, 3, false);

	assert_string_equal(packet_type_name(PKT_CALL_REQUEST), "CALL_REQ");
	assert_string_equal(packet_type_name(PKT_CALL_ACCEPTED), "CALL_CONN");
	assert_string_equal(packet_type_name(PKT_CLEAR_REQUEST), "CLR_REQ");
	assert_string_equal(packet_type_name(PKT_CLEAR_CONFIRMATION), "CLR_CONF");
	assert_string_equal(packet_type_name(PKT_INTERRUPT), "INTERRUPT");
	assert_string_equal(packet_type_name(PKT_INTERRUPT_CONFIRMATION), "INT_CONF");
	assert_string_equal(packet_type_name(PKT_DIAGNOSTIC), "DIAG");
	assert_string_equal(packet_type_name(PKT_RESTART_REQUEST), "RESTART_REQ");
	assert_null(packet_type_name(PKT_UNKNOWN));
	assert_string_equal(packet_trace_name(&pkt, buf), "UNKNOWN(0x0D)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(modulo8_types_are_classified_like_the_kernel),
		cmocka_unit_test(modulo128_flow_control_needs_four_bytes_and_an_exact_type),
		cmocka_unit_test(header_fields_and_lci_rewrite_keep_the_gfi),
		cmocka_unit_test(short_packets_are_rejected),
		cmocka_unit_test(call_request_fields_follow_the_address_block),
		cmocka_unit_test(odd_digit_counts_and_empty_addresses_decode),
		cmocka_unit_test(malformed_call_requests_say_what_is_wrong),
		cmocka_unit_test(malformed_facilities_are_rejected),
		cmocka_unit_test(a_clear_cause_needs_four_bytes_and_the_diagnostic_is_optional),
		cmocka_unit_test(builders_write_what_the_kernel_expects),
		cmocka_unit_test(type_names_are_goxots_with_interrupts_and_diagnostics_named),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
