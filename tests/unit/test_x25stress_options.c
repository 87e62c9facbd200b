// SPDX-License-Identifier: GPL-2.0-or-later
/* test_x25stress_options.c - x25stress command line: goxot's flags and defaults, bad values refused. */
#include "x25stress.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h> /* cmocka.h needs these three first */
#include <cmocka.h>

#define GOXOT_USAGE                                                                                \
	"Usage: x25stress [-N threads] [-l bufsize] [-d start,end] [-b backoff_ms] [-T runtime] "  \
	"[-n maxcalls] [-r (receiver mode)] [-a local_addr] [-W window_size] [-P packet_size]\n"

/* Parse a command line given as a NULL-terminated list; keeps what went to stdout and stderr. */
struct parse {
	struct stress_options opts;
	enum stress_parse_result result;
	char *out, *err;
	size_t out_len, err_len;
};

static void parse_args(struct parse *p, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;

	argv[argc++] = "x25stress";
	va_start(ap, p);
	for (char *arg = va_arg(ap, char *); arg; arg = va_arg(ap, char *))
		argv[argc++] = arg;
	va_end(ap);
	argv[argc] = NULL;

	FILE *out = open_memstream(&p->out, &p->out_len);
	FILE *err = open_memstream(&p->err, &p->err_len);
	assert_non_null(out);
	assert_non_null(err);
	stress_options_defaults(&p->opts);
	p->result = stress_options_parse(&p->opts, argc, argv, out, err);
	fclose(out);
	fclose(err);
}

static void parse_free(struct parse *p)
{
	free(p->out);
	free(p->err);
}

static void test_defaults_are_goxots(void **state)
{
	struct parse p;

	parse_args(&p, NULL);
	assert_int_equal(p.result, STRESS_PARSE_RUN);
	assert_int_equal(p.opts.threads, 1);
	assert_int_equal(p.opts.max_message, 8192);
	assert_string_equal(p.opts.called_start, "127100");
	assert_string_equal(p.opts.called_end, "127300");
	assert_int_equal(p.opts.backoff_ms, 1000);
	assert_int_equal(p.opts.run_time_s, 10);
	assert_int_equal(p.opts.max_calls, 100);
	assert_false(p.opts.receiver);
	assert_string_equal(p.opts.local_addr, "");
	assert_int_equal(p.opts.window, 4);
	assert_int_equal(p.opts.packet_size, 512);
	assert_int_equal(p.opts.packet_size_log2, 9);
	assert_int_equal(p.opts.connect_timeout_ms, 0);
	assert_int_equal(p.opts.messages_per_call, 1);
	assert_false(p.opts.latency || p.opts.strict || p.opts.leak_check);
	assert_null(p.opts.json_path);
	assert_null(p.opts.xot);
	assert_string_equal(p.err, "");
	parse_free(&p);
}

static void test_article_sender_command_is_accepted(void **state)
{
	struct parse p;

	parse_args(&p, "-l", "8192", "-N", "32", "-d", "127002,127002", "-b", "50", "-T", "20", "-n",
		   "100000", "-W", "7", "-P", "2048", NULL);
	assert_int_equal(p.result, STRESS_PARSE_RUN);
	assert_int_equal(p.opts.max_message, 8192);
	assert_int_equal(p.opts.threads, 32);
	assert_string_equal(p.opts.called_start, "127002");
	assert_string_equal(p.opts.called_end, "127002");
	assert_int_equal(p.opts.backoff_ms, 50);
	assert_int_equal(p.opts.run_time_s, 20);
	assert_int_equal(p.opts.max_calls, 100000);
	assert_int_equal(p.opts.window, 7);
	assert_int_equal(p.opts.packet_size, 2048);
	assert_int_equal(p.opts.packet_size_log2, 11);
	assert_false(p.opts.receiver);
	assert_string_equal(p.err, "");
	parse_free(&p);
}

static void test_article_receiver_command_is_accepted(void **state)
{
	struct parse p;

	parse_args(&p, "-r", "-a", "127002", "-W", "7", "-P", "4096", NULL);
	assert_int_equal(p.result, STRESS_PARSE_RUN);
	assert_true(p.opts.receiver);
	assert_string_equal(p.opts.local_addr, "127002");
	assert_int_equal(p.opts.window, 7);
	assert_int_equal(p.opts.packet_size_log2, 12);
	parse_free(&p);
}

static void test_long_options_set_the_extras(void **state)
{
	struct parse p;

	parse_args(&p, "--connect-timeout", "2500", "--messages", "50", "--latency", "--json",
		   "/tmp/x.json", "--strict", "--leak-check", NULL);
	assert_int_equal(p.result, STRESS_PARSE_RUN);
	assert_int_equal(p.opts.connect_timeout_ms, 2500);
	assert_int_equal(p.opts.messages_per_call, 50);
	assert_true(p.opts.latency);
	assert_string_equal(p.opts.json_path, "/tmp/x.json");
	assert_true(p.opts.strict);
	assert_true(p.opts.leak_check);
	parse_free(&p);

	parse_args(&p, "-C", "700", "--json=-", NULL); /* -C: later goxot versions' spelling */
	assert_int_equal(p.result, STRESS_PARSE_RUN);
	assert_int_equal(p.opts.connect_timeout_ms, 700);
	assert_string_equal(p.opts.json_path, "-");
	parse_free(&p);
}

static void test_xot_endpoints_for_sender_and_receiver(void **state)
{
	struct parse p;

	parse_args(&p, "--xot", "gw.example:2000", "-W", "100", NULL);
	assert_int_equal(p.result, STRESS_PARSE_RUN);
	assert_string_equal(p.opts.xot, "gw.example:2000");
	assert_string_equal(p.opts.xot_host, "gw.example");
	assert_string_equal(p.opts.xot_port, "2000");
	parse_free(&p);

	parse_args(&p, "--xot", "[::1]", NULL); /* the port defaults to XOT's 1998 */
	assert_int_equal(p.result, STRESS_PARSE_RUN);
	assert_string_equal(p.opts.xot_host, "::1");
	assert_string_equal(p.opts.xot_port, "1998");
	parse_free(&p);

	/* a receiver: [ADDR:]PORT, and -r may come after --xot */
	parse_args(&p, "--xot", "0", "-r", NULL);
	assert_int_equal(p.result, STRESS_PARSE_RUN);
	assert_string_equal(p.opts.xot_host, "");
	assert_string_equal(p.opts.xot_port, "0");
	parse_free(&p);
	parse_args(&p, "-r", "--xot=127.0.0.1:1998", NULL);
	assert_int_equal(p.result, STRESS_PARSE_RUN);
	assert_string_equal(p.opts.xot_host, "127.0.0.1");
	parse_free(&p);
}

/* What XOT mode cannot take: the message says why and what to do. */
static void test_xot_refusals_say_why(void **state)
{
	static const char *const cases[][3] = {
		{ "127.0.0.1", "--leak-check",
		  "--leak-check reads /proc/net/x25/socket, where XOT calls never appear" },
		{ "1998", NULL, "a sender needs the peer's HOST:PORT (a port alone is for -r)" },
		{ "host:0", NULL, "port 0 is only for -r" },
		{ "host:70000", NULL, "the port must be a number from 0 to 65535" },
		{ "[::1", NULL, "an IPv6 address goes in brackets" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct parse p;
		char *value = strdup(cases[i][0]);

		if (cases[i][1])
			parse_args(&p, "--xot", value, cases[i][1], NULL);
		else
			parse_args(&p, "--xot", value, NULL);
		if (p.result != STRESS_PARSE_EXIT_USAGE || !strstr(p.err, cases[i][2]) ||
		    !strstr(p.err, GOXOT_USAGE))
			fail_msg("--xot '%s': result %d, stderr:\n%s", cases[i][0], p.result, p.err);
		parse_free(&p);
		free(value);
	}
}

static void test_zero_means_what_goxot_says(void **state)
{
	struct parse p;

	/* -N 0: no sender threads; -T 0: no calls; -n 0: no call limit; -b 0: no backoff */
	parse_args(&p, "-N", "0", "-T", "0", "-n", "0", "-b", "0", NULL);
	assert_int_equal(p.result, STRESS_PARSE_RUN);
	assert_int_equal(p.opts.threads, 0);
	assert_int_equal(p.opts.run_time_s, 0);
	assert_int_equal(p.opts.max_calls, 0);
	assert_int_equal(p.opts.backoff_ms, 0);
	parse_free(&p);
}

static void test_packet_size_rounds_down_to_a_power_of_two_with_a_warning(void **state)
{
	struct parse p;

	parse_args(&p, "-P", "1000", NULL);
	assert_int_equal(p.result, STRESS_PARSE_RUN);
	assert_int_equal(p.opts.packet_size, 512);
	assert_int_equal(p.opts.packet_size_log2, 9);
	assert_non_null(strstr(p.err, "-P 1000 is not a power of two; requesting 512 bytes"));
	parse_free(&p);

	parse_args(&p, "-P", "16", NULL);
	assert_int_equal(p.opts.packet_size_log2, 4);
	assert_string_equal(p.err, "");
	parse_free(&p);
}

/* Each bad value is refused with exit status 1, a message naming the option, and the usage line. */
static void test_bad_values_are_refused_with_a_clear_message(void **state)
{
	static const struct {
		const char *option, *value, *message;
	} cases[] = {
		{ "-l", "0", "-l '0': the largest message in bytes must be a whole number from 1 to 65534" },
		{ "-l", "-5", "-l '-5'" },
		{ "-l", "65535", "from 1 to 65534" },
		{ "-l", "10x", "-l '10x'" },
		{ "-l", "", "-l ''" },
		{ "-N", "-1", "-N '-1': the number of sender threads" },
		{ "-N", "5000", "from 0 to 4096" },
		{ "-d", "127002", "-d '127002': expected start,end (for one address repeat it: -d 127002,127002)" },
		{ "-d", "12a,13", "must both be X.121 addresses" },
		{ "-d", "12,", "must both be X.121 addresses" },
		{ "-d", ",12", "must both be X.121 addresses" },
		{ "-d", "300,100", "start is greater than end" },
		{ "-d", "1234567890123456,1", "at most 15 digits" },
		{ "-b", "-1", "-b '-1': the backoff in milliseconds" },
		{ "-T", "-1", "-T '-1': the run time in seconds" },
		{ "-T", "abc", "-T 'abc'" },
		{ "-n", "-1", "-n '-1': the call limit (0 = no limit)" },
		{ "-W", "0", "-W '0': the window size must be a whole number from 1 to 127" },
		{ "-W", "128", "from 1 to 127" },
		{ "-P", "8", "-P '8': the packet size in bytes must be a whole number from 16 to 4096" },
		{ "-P", "8192", "from 16 to 4096" },
		{ "-a", "12x", "-a '12x': an X.121 address is 1 to 15 digits" },
		{ "-a", "1234567890123456", "an X.121 address is 1 to 15 digits" },
		{ "--messages", "0", "--messages '0': the number of messages per call" },
		{ "--connect-timeout", "-1", "--connect-timeout '-1'" },
		{ "--json", "", "--json needs a file name" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct parse p;
		char *value = strdup(cases[i].value);

		parse_args(&p, cases[i].option, value, NULL);
		if (p.result != STRESS_PARSE_EXIT_USAGE || !strstr(p.err, cases[i].message) ||
		    !strstr(p.err, GOXOT_USAGE))
			fail_msg("%s '%s': result %d, stderr:\n%s", cases[i].option, cases[i].value,
				 p.result, p.err);
		parse_free(&p);
		free(value);
	}
}

static void test_unknown_option_prints_goxots_usage_line_and_fails(void **state)
{
	struct parse p;

	parse_args(&p, "-x", NULL);
	assert_int_equal(p.result, STRESS_PARSE_EXIT_USAGE);
	assert_string_equal(p.err, "x25stress: unknown option -x\n" GOXOT_USAGE);
	assert_string_equal(p.out, "");
	parse_free(&p);

	parse_args(&p, "--no-such-thing", NULL);
	assert_int_equal(p.result, STRESS_PARSE_EXIT_USAGE);
	assert_non_null(strstr(p.err, "--no-such-thing"));
	parse_free(&p);
}

static void test_missing_value_and_stray_arguments_fail(void **state)
{
	struct parse p;

	parse_args(&p, "-l", NULL);
	assert_int_equal(p.result, STRESS_PARSE_EXIT_USAGE);
	assert_string_equal(p.err, "x25stress: -l needs a value\n" GOXOT_USAGE);
	parse_free(&p);

	parse_args(&p, "--messages", NULL);
	assert_int_equal(p.result, STRESS_PARSE_EXIT_USAGE);
	assert_non_null(strstr(p.err, "--messages needs a value"));
	parse_free(&p);

	parse_args(&p, "-N", "2", "extra", NULL);
	assert_int_equal(p.result, STRESS_PARSE_EXIT_USAGE);
	assert_non_null(strstr(p.err, "unexpected argument 'extra'"));
	parse_free(&p);
}

static void test_help_lists_every_option_and_exits_zero(void **state)
{
	static const char *const expected[] = {
		"-N threads", "-l bufsize", "-d start,end", "-b backoff_ms", "-T runtime",
		"-n maxcalls", "-r ", "-a local_addr", "-W window_size", "-P packet_size",
		"--connect-timeout MS", "--messages N", "--latency", "--json FILE", "--strict",
		"--leak-check", "--xot HOST:PORT", "--help", "--version", "Exit status",
	};
	struct parse p;

	parse_args(&p, "-h", NULL);
	assert_int_equal(p.result, STRESS_PARSE_EXIT_OK);
	assert_memory_equal(p.out, GOXOT_USAGE, strlen(GOXOT_USAGE));
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
		if (!strstr(p.out, expected[i]))
			fail_msg("--help lacks '%s':\n%s", expected[i], p.out);
	parse_free(&p);
}

static void test_calling_base_is_the_first_six_digits_of_a(void **state)
{
	struct stress_options opts;
	char base[STRESS_CALLING_BASE_LEN + 1];

	stress_options_defaults(&opts);
	assert_string_equal(stress_calling_base(&opts, base), "127001");
	strcpy(opts.local_addr, "127002");
	assert_string_equal(stress_calling_base(&opts, base), "127002");
	strcpy(opts.local_addr, "123456789012345");
	assert_string_equal(stress_calling_base(&opts, base), "123456");
	strcpy(opts.local_addr, "12");
	assert_string_equal(stress_calling_base(&opts, base), "12");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_are_goxots),
		cmocka_unit_test(test_article_sender_command_is_accepted),
		cmocka_unit_test(test_article_receiver_command_is_accepted),
		cmocka_unit_test(test_long_options_set_the_extras),
		cmocka_unit_test(test_xot_endpoints_for_sender_and_receiver),
		cmocka_unit_test(test_xot_refusals_say_why),
		cmocka_unit_test(test_zero_means_what_goxot_says),
		cmocka_unit_test(test_packet_size_rounds_down_to_a_power_of_two_with_a_warning),
		cmocka_unit_test(test_bad_values_are_refused_with_a_clear_message),
		cmocka_unit_test(test_unknown_option_prints_goxots_usage_line_and_fails),
		cmocka_unit_test(test_missing_value_and_stray_arguments_fail),
		cmocka_unit_test(test_help_lists_every_option_and_exits_zero),
		cmocka_unit_test(test_calling_base_is_the_first_six_digits_of_a),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
