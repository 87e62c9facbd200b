// SPDX-License-Identifier: GPL-2.0-or-later
/* test_x25stress_address.c - calling/called address generation and the message pattern. */
#include "x25stress.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h> /* cmocka.h needs these three first */
#include <cmocka.h>

static void test_calling_address_has_goxots_format(void **state)
{
	char addr[STRESS_ADDR_BUF];

	/* docs/x25stress.md's example: base 127001, started 16:42, sequence number 195 */
	stress_calling_address(addr, "127001", 16, 42, 195);
	assert_string_equal(addr, "127001164200195");
	stress_calling_address(addr, "127001", 0, 5, 0);
	assert_string_equal(addr, "127001000500000");
	stress_calling_address(addr, "127002", 23, 59, 99999);
	assert_string_equal(addr, "127002235999999");
	assert_int_equal(strlen(addr), 15);
}

static void test_calling_address_uses_at_most_six_base_digits(void **state)
{
	char addr[STRESS_ADDR_BUF];

	stress_calling_address(addr, "1234567", 9, 3, 12);
	assert_string_equal(addr, "123456090300012");
	stress_calling_address(addr, "12", 9, 3, 12);
	assert_string_equal(addr, "12090300012");
}

static int compare_addresses(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* goxot wraps at 100000 and reuses addresses; x25stress carries into the HHMM digits. */
static void test_calling_addresses_stay_unique_past_100000_calls(void **state)
{
	enum { CALLS = 250000 };
	char(*addrs)[STRESS_ADDR_BUF] = malloc(CALLS * sizeof(*addrs));

	assert_non_null(addrs);
	stress_calling_address(addrs[0], "127001", 16, 42, 100000);
	assert_string_equal(addrs[0], "127001164300000");
	for (uint64_t seq = 0; seq < CALLS; seq++) {
		stress_calling_address(addrs[seq], "127001", 23, 59, seq);
		assert_int_equal(strlen(addrs[seq]), 15);
		assert_int_equal(strspn(addrs[seq], "0123456789"), 15);
	}
	qsort(addrs, CALLS, sizeof(*addrs), compare_addresses);
	for (size_t i = 1; i < CALLS; i++)
		if (strcmp(addrs[i - 1], addrs[i]) == 0)
			fail_msg("address %s generated twice", addrs[i]);
	free(addrs);
}

static void test_called_address_covers_the_inclusive_range(void **state)
{
	char addr[STRESS_ADDR_BUF];
	int seen[201] = { 0 };

	for (uint64_t r = 0; r < 201 * 3; r++) {
		stress_called_address(addr, 127100, 127300, 6, r * 7919);
		long value = strtol(addr, NULL, 10);
		assert_in_range(value, 127100, 127300);
		seen[value - 127100]++;
	}
	for (int i = 0; i < 201; i++)
		if (seen[i] != 3)
			fail_msg("127%03d picked %d times, expected 3", 100 + i, seen[i]);

	stress_called_address(addr, 127002, 127002, 6, 123456789);
	assert_string_equal(addr, "127002");
	stress_called_address(addr, 127100, 127300, 6, 5);
	assert_string_equal(addr, "127105");
}

static void test_called_address_keeps_leading_zeros_of_the_range(void **state)
{
	char addr[STRESS_ADDR_BUF];

	stress_called_address(addr, 127, 127, 5, 0); /* -d 00127,00127 */
	assert_string_equal(addr, "00127");
	stress_called_address(addr, 999999999999998, 999999999999999, 15, 1);
	assert_string_equal(addr, "999999999999999");
}

static void test_pattern_is_index_xor_thread_xor_message(void **state)
{
	uint8_t buf[600];

	stress_fill_pattern(buf, sizeof(buf), 3, 0x105);
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], (uint8_t)((i ^ 3 ^ 0x105) & 0xFF));
}

static void test_first_mismatch_finds_the_first_differing_byte(void **state)
{
	uint8_t want[64], got[64];

	stress_fill_pattern(want, sizeof(want), 1, 2);
	memcpy(got, want, sizeof(got));
	assert_int_equal(stress_first_mismatch(want, got, sizeof(want)), -1);
	got[40] ^= 0x80;
	got[50] ^= 0x01;
	assert_int_equal(stress_first_mismatch(want, got, sizeof(want)), 40);
	assert_int_equal(stress_first_mismatch(want, got, 40), -1);
	got[0] ^= 0xFF;
	assert_int_equal(stress_first_mismatch(want, got, sizeof(want)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_calling_address_has_goxots_format),
		cmocka_unit_test(test_calling_address_uses_at_most_six_base_digits),
		cmocka_unit_test(test_calling_addresses_stay_unique_past_100000_calls),
		cmocka_unit_test(test_called_address_covers_the_inclusive_range),
		cmocka_unit_test(test_called_address_keeps_leading_zeros_of_the_range),
		cmocka_unit_test(test_pattern_is_index_xor_thread_xor_message),
		cmocka_unit_test(test_first_mismatch_finds_the_first_differing_byte),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
