// SPDX-License-Identifier: GPL-2.0-or-later
/* test_libx25.c - libx25 on the host: the /proc/net/x25/socket reader and parser, the clock. */
#include "x25lib.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h> /* cmocka.h needs these three first */
#include <cmocka.h>

#define PROC_HEADER "dest_addr  src_addr   dev   lci st vs vr va   t  t2 t21 t22 t23 Snd-Q Rcv-Q inode\n"

/*
 * Rows as Linux 6.1 prints them ("%-10s %-10s %-5s %3.3X  %d ..."; "*" for an empty
 * address): a listener bound to the null address (its source prints as 15 spaces), a socket
 * neither bound nor connected, a call in data transfer, one clearing and orphaned, one calling.
 */
static const char proc_sample[] =
	PROC_HEADER
	"*                          ???   000  0  0  0  0   0   3 200 180 180     0     0 20811\n"
	"*          *          ???   000  0  0  0  0   0   3 200 180 180     0     0 20810\n"
	"127002     127001164200195 tunlb1 C00  3  1  1  1   0   3 200 180 180     0     0 20812\n"
	"\n"
	"127002     127001164200196 tunlb0 001  2  0  0  0 178   3 200 180 180     0     0 0\n"
	"127002     127001164200197 tunlb0 002  1  0  0  0 199   3 200 180 180     0     0 20815";

static void expect_row(const char **cursor, int state, long inode, const char *starts)
{
	struct x25_proc_socket row;

	assert_int_equal(x25_proc_next_socket(cursor, &row), 1);
	assert_int_equal(row.state, state);
	assert_int_equal(row.inode, inode);
	assert_true(row.line_len >= strlen(starts));
	assert_memory_equal(row.line, starts, strlen(starts));
	assert_null(memchr(row.line, '\n', row.line_len)); /* the row without its newline */
}

static void test_rows_are_read_from_the_right_whatever_the_addresses(void **state)
{
	const char *cursor = proc_sample;
	struct x25_proc_socket row;

	assert_true(x25_proc_skip_header(&cursor));
	expect_row(&cursor, 0, 20811, "*                          ???");
	expect_row(&cursor, 0, 20810, "*          *");
	expect_row(&cursor, 3, 20812, "127002     127001164200195 tunlb1 C00");
	expect_row(&cursor, 2, 0, "127002     127001164200196"); /* the blank line is passed over */
	expect_row(&cursor, 1, 20815, "127002     127001164200197"); /* no newline at the end */
	assert_int_equal(x25_proc_next_socket(&cursor, &row), 0);
	assert_int_equal(x25_proc_next_socket(&cursor, &row), 0);
}

static void test_header_is_recognised_and_always_skipped(void **state)
{
	const char *cursor = PROC_HEADER;
	struct x25_proc_socket row;

	assert_true(x25_proc_skip_header(&cursor));
	assert_int_equal(x25_proc_next_socket(&cursor, &row), 0);

	cursor = "something else\n" "127002 127001 tunlb0 001 3 0 0 0 0 3 200 180 180 0 0 77\n";
	assert_false(x25_proc_skip_header(&cursor));
	expect_row(&cursor, 3, 77, "127002 127001"); /* the cursor is past the first line anyway */

	cursor = "";
	assert_false(x25_proc_skip_header(&cursor));
	cursor = "\n";
	assert_false(x25_proc_skip_header(&cursor));
}

/* Each bad line is refused (-1) and the cursor moves past it, so a caller may go on. */
static void test_lines_not_in_the_kernels_format_are_refused_one_by_one(void **state)
{
	static const char *const bad[] = {
		"127002 127001 tunlb0 001 9\n",                                      /* too few fields */
		"127002 127001 tunlb0 001 6 0 0 0 0 3 200 180 180 0 0 20812\n",     /* state 6 */
		"127002 127001 tunlb0 001 x 0 0 0 0 3 200 180 180 0 0 20812\n",     /* state not a number */
		"127002 127001 tunlb0 001 3 0 0 0 0 3 200 180 180 0 0 -1\n",        /* negative inode */
		"127002 127001 tunlb0 001 3 0 0 0 0 3 200 180 180 0 0 12ab\n",      /* inode not a number */
	};
	struct x25_proc_socket row;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[256];
		const char *cursor = text;

		snprintf(text, sizeof(text), "%s127002 127001 tunlb0 001 3 0 0 0 0 3 200 180 180 0 0 5\n",
			 bad[i]);
		if (x25_proc_next_socket(&cursor, &row) != -1)
			fail_msg("accepted: %s", bad[i]);
		expect_row(&cursor, 3, 5, "127002 127001");
	}

	char long_row[600];
	const char *cursor = long_row;
	memset(long_row, '1', sizeof(long_row) - 1);
	long_row[sizeof(long_row) - 1] = '\0';
	assert_int_equal(x25_proc_next_socket(&cursor, &row), -1); /* longer than a row can be */
	assert_int_equal(x25_proc_next_socket(&cursor, &row), 0);
}

static char *temp_file_with(const char *text, size_t copies, char path[32])
{
	FILE *f;
	int fd;

	strcpy(path, "/tmp/test_libx25-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	for (size_t i = 0; i < copies; i++)
		fputs(text, f);
	fclose(f);
	return path;
}

/* A file larger than the first read buffer (64 KiB) comes back whole. */
static void test_read_returns_the_whole_file(void **state)
{
	static const char row[] =
		"127002     127001164200195 tunlb1 C00  3  1  1  1   0   3 200 180 180     0     0 20812\n";
	enum { ROWS = 2000 };
	char path[32], error[160] = "";
	char *text;

	temp_file_with(row, ROWS, path);
	text = x25_proc_read(path, error, sizeof(error));
	unlink(path);
	assert_non_null(text);
	assert_int_equal(strlen(text), ROWS * strlen(row));
	assert_memory_equal(text + (ROWS - 1) * strlen(row), row, strlen(row));
	free(text);
}

static void test_read_says_which_file_it_cannot_open_and_what_to_check(void **state)
{
	char error[160];

	assert_null(x25_proc_read("/nonexistent/x25/socket", error, sizeof(error)));
	assert_string_equal(error, "cannot open /nonexistent/x25/socket: No such file or directory "
				   "(is the x25 module loaded?)");
	assert_null(x25_proc_read("/nonexistent/x25/socket", error, 8));
	assert_int_equal(strlen(error), 7); /* cut to the buffer, still a string */
}

static void test_monotonic_clock_moves_forward_in_both_units(void **state)
{
	uint64_t ns = x25_monotonic_ns();
	double seconds = x25_monotonic_seconds();
	const struct timespec pause = { 0, 2000000 };

	assert_true(seconds >= (double)ns / 1e9);
	nanosleep(&pause, NULL);
	assert_true(x25_monotonic_ns() >= ns + 2000000);
	assert_true(x25_monotonic_seconds() >= seconds + 0.002);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_are_read_from_the_right_whatever_the_addresses),
		cmocka_unit_test(test_header_is_recognised_and_always_skipped),
		cmocka_unit_test(test_lines_not_in_the_kernels_format_are_refused_one_by_one),
		cmocka_unit_test(test_read_returns_the_whole_file),
		cmocka_unit_test(test_read_says_which_file_it_cannot_open_and_what_to_check),
		cmocka_unit_test(test_monotonic_clock_moves_forward_in_both_units),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
