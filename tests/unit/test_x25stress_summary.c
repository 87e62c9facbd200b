// SPDX-License-Identifier: GPL-2.0-or-later
/* test_x25stress_summary.c - goxot's summary format, latency figures, leak tally, JSON, --strict verdict. */
#include "x25stress.h"

#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h> /* cmocka.h needs these three first */
#include <cmocka.h>

/*
 * The summary's exact template, goxot's print_summary line for line (docs/x25stress.md,
 * "The summary"): <n> is a decimal integer, <f> has two decimals, "<empty line>" is an empty
 * line, and everything else must be equal, the two spaces after "(In):" included.
 */
static const char *const goxot_template[] = {
	"<empty line>",
	"--- Stress Test Summary ---",
	"Run Time: <f> seconds",
	"Calls Made: <n>",
	"Calls Received: <n>",
	"Calls Failed: <n>",
	"Packets Sent: <n>",
	"Packets Received: <n>",
	"Bytes Sent: <n>",
	"Bytes Received: <n>",
	"Data Mismatches: <n>",
	"<empty line>",
	"--- Errors/Timeouts ---",
	"Socket Errors: <n>",
	"Setsockopt Errors: <n>",
	"Bind Errors: <n>",
	"Facilities Errors: <n>",
	"Short Receives: <n>",
	"Write Errors: <n>",
	"Accept Errors: <n>",
	"Packet Size Negotiated (In):  Min: <n>, Max: <n>",
	"Packet Size Negotiated (Out): Min: <n>, Max: <n>",
	"Window Size Negotiated (In):  Min: <n>, Max: <n>",
	"Window Size Negotiated (Out): Min: <n>, Max: <n>",
	"Average Bandwidth (Sent): <f> KB/s",
	"Average Bandwidth (Recv): <f> KB/s",
	"---------------------------",
};
#define TEMPLATE_LINES (sizeof(goxot_template) / sizeof(goxot_template[0]))

static const char *match_digits(const char *s)
{
	if (*s == '-')
		s++;
	if (*s < '0' || *s > '9')
		return NULL;
	while (*s >= '0' && *s <= '9')
		s++;
	return s;
}

/* Does line fit the template line? Placeholders as above; everything else must be equal. */
static bool line_matches(const char *tmpl, const char *line)
{
	if (strcmp(tmpl, "<empty line>") == 0)
		return *line == '\0';
	while (*tmpl) {
		if (strncmp(tmpl, "<n>", 3) == 0) {
			if (!(line = match_digits(line)))
				return false;
			tmpl += 3;
		} else if (strncmp(tmpl, "<f>", 3) == 0) {
			if (!(line = match_digits(line)) || line[0] != '.' || line[1] < '0' ||
			    line[1] > '9' || line[2] < '0' || line[2] > '9')
				return false;
			line += 3;
			tmpl += 3;
		} else if (*tmpl++ != *line++) {
			return false;
		}
	}
	return *line == '\0';
}

/* Compare text, line by line, with the n template lines; fail with the first difference. */
static void assert_text_fits_template(const char *text, const char *const *tmpl, size_t n)
{
	char *copy = strdup(text), *save = NULL;
	size_t i = 0;

	assert_non_null(copy);
	assert_true(strlen(copy) > 0 && copy[strlen(copy) - 1] == '\n');
	/* strtok would skip the empty lines; split by hand */
	for (char *line = copy; *line; i++) {
		char *newline = strchr(line, '\n');

		*newline = '\0';
		if (i >= n)
			fail_msg("extra line %zu: '%s'", i + 1, line);
		if (!line_matches(tmpl[i], line))
			fail_msg("line %zu: '%s' does not fit the template '%s'", i + 1, line, tmpl[i]);
		line = newline + 1;
	}
	(void)save;
	if (i != n)
		fail_msg("%zu lines, the template has %zu", i, n);
	free(copy);
}

static char *summary_text(const struct stress_totals *t, double duration, bool connect_timeouts)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	assert_non_null(out);
	stress_summary_print(out, t, duration, connect_timeouts);
	fclose(out);
	return text;
}

static struct stress_totals article_totals(void)
{
	/* The article's second run, as its summary lists it */
	struct stress_totals t = {
		.calls_made = 50605, .calls_failed = 9, .packets_sent = 50596,
		.packets_received = 50596, .bytes_sent = 206526055, .bytes_received = 206526055,
		.calls_connected = 50596,
		.packet_in_min = 2048, .packet_in_max = 2048, .packet_out_min = 2048,
		.packet_out_max = 2048, .window_in_min = 7, .window_in_max = 7, .window_out_min = 7,
		.window_out_max = 7,
	};
	return t;
}

static void test_summary_fits_goxots_template_line_for_line(void **state)
{
	struct stress_totals t = article_totals();
	char *text = summary_text(&t, 19.75, false);

	assert_text_fits_template(text, goxot_template, TEMPLATE_LINES);
	free(text);
}

static void test_summary_prints_exact_values(void **state)
{
	struct stress_totals t = article_totals();
	char *text = summary_text(&t, 19.75, false);

	assert_string_equal(text, "\n"
				  "--- Stress Test Summary ---\n"
				  "Run Time: 19.75 seconds\n"
				  "Calls Made: 50605\n"
				  "Calls Received: 0\n"
				  "Calls Failed: 9\n"
				  "Packets Sent: 50596\n"
				  "Packets Received: 50596\n"
				  "Bytes Sent: 206526055\n"
				  "Bytes Received: 206526055\n"
				  "Data Mismatches: 0\n"
				  "\n"
				  "--- Errors/Timeouts ---\n"
				  "Socket Errors: 0\n"
				  "Setsockopt Errors: 0\n"
				  "Bind Errors: 0\n"
				  "Facilities Errors: 0\n"
				  "Short Receives: 0\n"
				  "Write Errors: 0\n"
				  "Accept Errors: 0\n"
				  "Packet Size Negotiated (In):  Min: 2048, Max: 2048\n"
				  "Packet Size Negotiated (Out): Min: 2048, Max: 2048\n"
				  "Window Size Negotiated (In):  Min: 7, Max: 7\n"
				  "Window Size Negotiated (Out): Min: 7, Max: 7\n"
				  "Average Bandwidth (Sent): 10211.93 KB/s\n"
				  "Average Bandwidth (Recv): 10211.93 KB/s\n"
				  "---------------------------\n");
	free(text);
}

static void test_summary_without_run_time_has_no_bandwidth_lines(void **state)
{
	struct stress_totals t = { 0 };
	char *text = summary_text(&t, 0.0, false);

	assert_null(strstr(text, "Average Bandwidth"));
	const char *without_bandwidth[TEMPLATE_LINES];
	size_t n = 0;
	for (size_t i = 0; i < TEMPLATE_LINES; i++)
		if (!strstr(goxot_template[i], "Bandwidth"))
			without_bandwidth[n++] = goxot_template[i];
	assert_int_equal(n, TEMPLATE_LINES - 2);
	assert_text_fits_template(text, without_bandwidth, n);
	assert_non_null(strstr(text, "Window Size Negotiated (Out): Min: 0, Max: 0\n---------------------------\n"));
	free(text);
}

static void test_connect_timeouts_line_follows_accept_errors_only_when_asked(void **state)
{
	struct stress_totals t = { .connect_timeouts = 4 };
	char *text = summary_text(&t, 1.0, true);

	assert_non_null(strstr(text, "Accept Errors: 0\nConnect Timeouts: 4\nPacket Size Negotiated (In):  "));
	free(text);
	text = summary_text(&t, 1.0, false);
	assert_null(strstr(text, "Connect Timeouts"));
	free(text);
}

static void test_unset_minimums_print_as_zero_and_facilities_fold_into_min_max(void **state)
{
	struct stress_counters c;
	struct stress_totals t;

	stress_counters_init(&c);
	stress_counters_snapshot(&c, &t);
	assert_int_equal(t.packet_in_min, 0);
	assert_int_equal(t.window_out_min, 0);
	assert_int_equal(t.packet_in_max, 0);

	stress_counters_facilities(&c, 2048, 1024, 7, 2);
	stress_counters_facilities(&c, 128, 4096, 2, 7);
	stress_counters_snapshot(&c, &t);
	assert_int_equal(t.packet_in_min, 128);
	assert_int_equal(t.packet_in_max, 2048);
	assert_int_equal(t.packet_out_min, 1024);
	assert_int_equal(t.packet_out_max, 4096);
	assert_int_equal(t.window_in_min, 2);
	assert_int_equal(t.window_in_max, 7);
	assert_int_equal(t.window_out_min, 2);
	assert_int_equal(t.window_out_max, 7);
}

static char *report_text(const struct stress_report *r)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	assert_non_null(out);
	stress_report_print(out, r);
	fclose(out);
	return text;
}

static void test_interrupted_run_starts_with_goxots_banner(void **state)
{
	struct stress_options opts;
	struct stress_report r = { .opts = &opts, .interrupted_by = 2, .duration_s = 3 };

	stress_options_defaults(&opts);
	char *text = report_text(&r);
	const char *banner = "\nInterrupted by signal 2\n\n--- Stress Test Summary ---\n";
	assert_memory_equal(text, banner, strlen(banner));
	free(text);
}

static void test_latency_uses_nearest_rank_percentiles(void **state)
{
	struct latency_samples s = { 0 };
	struct latency_stats stats;

	for (uint64_t ms = 100; ms >= 1; ms--) /* out of order on purpose */
		latency_add(&s, ms * 1000000);
	latency_summarize(&s, &stats);
	assert_int_equal(stats.count, 100);
	assert_true(stats.min_ms == 1.0 && stats.max_ms == 100.0);
	assert_true(stats.median_ms == 50.0);
	assert_true(stats.p99_ms == 99.0);
	latency_free(&s);

	for (uint64_t ms = 1; ms <= 3; ms++)
		latency_add(&s, ms * 1000000);
	latency_summarize(&s, &stats);
	assert_true(stats.median_ms == 2.0 && stats.p99_ms == 3.0);
	latency_free(&s);

	latency_summarize(&s, &stats);
	assert_int_equal(stats.count, 0);
	assert_true(stats.max_ms == 0.0);
}

static void test_latency_merge_moves_every_sample(void **state)
{
	struct latency_samples all = { 0 }, part = { 0 };
	struct latency_stats stats;

	for (int i = 0; i < 3000; i++)
		latency_add(&part, 5000000);
	latency_add(&all, 1000000);
	latency_merge(&all, &part);
	assert_int_equal(part.count, 0);
	assert_null(part.ns);
	latency_summarize(&all, &stats);
	assert_int_equal(stats.count, 3001);
	assert_true(stats.min_ms == 1.0 && stats.median_ms == 5.0);
	latency_free(&all);
}

static void test_latency_block_is_printed_after_the_summary(void **state)
{
	struct stress_options opts;
	struct stress_report r = { .opts = &opts, .duration_s = 1, .have_latency = true };

	stress_options_defaults(&opts);
	r.call_setup = (struct latency_stats){ .count = 4, .min_ms = 0.5, .median_ms = 1, .p99_ms = 2.25, .max_ms = 3 };
	char *text = report_text(&r);
	assert_non_null(strstr(text, "---------------------------\n\n--- Latency (ms) ---\n"
				     "Call Setup: Count: 4, Min: 0.500, Median: 1.000, P99: 2.250, Max: 3.000\n"
				     "Echo: Count: 0,"));
	free(text);
}

#define PROC_HEADER "dest_addr  src_addr   dev   lci st vs vr va   t  t2 t21 t22 t23 Snd-Q Rcv-Q inode\n"

/* Rows as Linux 6.1 prints them: a listener on the null address, live calls, orphans. */
static const char proc_sample[] =
	PROC_HEADER
	"*                          ???   000  0  0  0  0   0   3 200 180 180     0     0 20811\n"
	"127002     127001164200195 tunlb1 C00  3  1  1  1   0   3 200 180 180     0     0 20812\n"
	"127002     127001164200196 tunlb0 001  2  0  0  0 178   3 200 180 180     0     0 0\n"
	"127002     127001164200197 tunlb0 002  1  0  0  0 199   3 200 180 180     0     0 20815\n"
	"127001164200198 127002     ???   000  0  0  0  0   0   3 200 180 180     0     0 0\n"
	"127002     127001164200199 tunlb0 003  3  2  2  2   0   3 200 180 180     0     0 20816\n";

static void test_leak_tally_counts_clearing_states_and_orphans(void **state)
{
	struct leak_tally t;
	char rows[4096];

	assert_int_equal(leak_tally_parse(proc_sample, &t, rows, sizeof(rows)), 0);
	assert_int_equal(t.sockets, 6);
	assert_int_equal(t.in_state[0], 2);
	assert_int_equal(t.in_state[1], 1);
	assert_int_equal(t.in_state[2], 1);
	assert_int_equal(t.in_state[3], 2);
	assert_int_equal(t.orphans, 2);
	assert_int_equal(t.leaked, 3); /* state 2 (orphan), state 1, state 0 orphan */
	assert_non_null(strstr(rows, "127001164200196"));
	assert_non_null(strstr(rows, "127001164200197"));
	assert_non_null(strstr(rows, "127001164200198"));
	assert_null(strstr(rows, "127001164200199"));
}

static void test_leak_tally_rejects_text_not_in_the_kernels_format(void **state)
{
	struct leak_tally t;

	assert_int_equal(leak_tally_parse("", &t, NULL, 0), -1);
	assert_int_equal(leak_tally_parse("something else\n", &t, NULL, 0), -1);
	assert_int_equal(leak_tally_parse(PROC_HEADER "127002 127001 tunlb0 001 9\n", &t, NULL, 0), -1);
	assert_int_equal(leak_tally_parse(PROC_HEADER, &t, NULL, 0), 0);
	assert_int_equal(t.sockets, 0);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_leak_check_returns_at_once_when_nothing_leaked(void **state)
{
	char path[] = "/tmp/x25stress-leak-XXXXXX";
	int fd = mkstemp(path);
	struct leak_report r;

	assert_true(fd >= 0);
	close(fd);
	write_file(path, PROC_HEADER
		   "*                          ???   000  0  0  0  0   0   3 200 180 180     0     0 20811\n");
	leak_check_run(path, 5.0, &r);
	assert_true(r.checked);
	assert_int_equal(r.tally.leaked, 0);
	assert_true(r.waited_s < 1.0);
	unlink(path);
}

static void test_leak_check_gives_up_after_its_bound_and_reports_the_rows(void **state)
{
	char path[] = "/tmp/x25stress-leak-XXXXXX";
	int fd = mkstemp(path);
	struct leak_report r;
	char *text = NULL;
	size_t len = 0;

	assert_true(fd >= 0);
	close(fd);
	write_file(path, proc_sample);
	leak_check_run(path, 0.3, &r);
	assert_true(r.checked);
	assert_int_equal(r.tally.leaked, 3);
	assert_true(r.waited_s >= 0.3 && r.waited_s < 2.0);
	FILE *out = open_memstream(&text, &len);
	leak_report_print(out, &r);
	fclose(out);
	assert_non_null(strstr(text, "\n--- Leak Check ---\nSockets Leaked: 3 (state 1: 1, state 2: 1, state 4: 0, state 5: 0, orphaned: 2)\n"));
	assert_non_null(strstr(text, "127001164200196"));
	free(text);
	unlink(path);

	leak_check_run("/nonexistent/x25/socket", 1.0, &r);
	assert_false(r.checked);
	assert_non_null(strstr(r.error, "/nonexistent/x25/socket"));
}

static void test_strict_verdict_fails_on_any_error_counter_or_leak(void **state)
{
	static const size_t counters[] = {
		offsetof(struct stress_totals, calls_failed),
		offsetof(struct stress_totals, data_mismatches),
		offsetof(struct stress_totals, short_receives),
		offsetof(struct stress_totals, socket_errors),
		offsetof(struct stress_totals, setsockopt_errors),
		offsetof(struct stress_totals, bind_errors),
		offsetof(struct stress_totals, facilities_errors),
		offsetof(struct stress_totals, write_errors),
		offsetof(struct stress_totals, accept_errors),
		offsetof(struct stress_totals, connect_timeouts),
	};
	struct stress_options opts;
	struct stress_report r = { .opts = &opts };

	stress_options_defaults(&opts);
	r.totals = article_totals();
	r.totals.calls_failed = 0;
	assert_false(stress_report_failed(&r));
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		struct stress_report bad = r;

		*(long *)((char *)&bad.totals + counters[i]) = 1;
		if (!stress_report_failed(&bad))
			fail_msg("counter at offset %zu does not fail --strict", counters[i]);
	}
	r.have_leak = true;
	r.leak.checked = true;
	assert_false(stress_report_failed(&r));
	r.leak.tally.leaked = 1;
	assert_true(stress_report_failed(&r));
	r.leak.tally.leaked = 0;
	r.leak.checked = false; /* a leak check that could not look is not a pass */
	assert_true(stress_report_failed(&r));
}

static void test_json_summary_carries_the_counters(void **state)
{
	char path[] = "/tmp/x25stress-json-XXXXXX";
	int fd = mkstemp(path);
	struct stress_options opts;
	struct stress_report r = { .opts = &opts, .duration_s = 19.75, .have_latency = true };
	json_error_t error;

	assert_true(fd >= 0);
	close(fd);
	stress_options_defaults(&opts);
	r.totals = article_totals();
	r.echo = (struct latency_stats){ .count = 3, .median_ms = 1.5 };
	assert_int_equal(stress_report_write_json(&r, path, stdout, stderr), 0);
	json_t *root = json_load_file(path, 0, &error);
	assert_non_null(root);
	assert_int_equal(json_integer_value(json_object_get(root, "calls_made")), 50605);
	assert_int_equal(json_integer_value(json_object_get(root, "calls_failed")), 9);
	assert_int_equal(json_integer_value(json_object_get(root, "bytes_received")), 206526055);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(root, "packet_size_in"), "max")), 2048);
	double cps = json_real_value(json_object_get(root, "calls_per_second"));
	assert_true(cps > 2561.0 && cps < 2562.0);
	assert_true(json_is_true(json_object_get(root, "failed")));
	json_t *echo = json_object_get(json_object_get(root, "latency_ms"), "echo");
	assert_int_equal(json_integer_value(json_object_get(echo, "count")), 3);
	assert_null(json_object_get(root, "leak_check"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(root, "options"), "mode")), "sender");
	assert_null(json_object_get(json_object_get(root, "options"), "xot")); /* AF_X25 mode */
	json_decref(root);

	opts.xot = "127.0.0.1:1998"; /* XOT mode names its peer under options */
	assert_int_equal(stress_report_write_json(&r, path, stdout, stderr), 0);
	root = json_load_file(path, 0, &error);
	assert_non_null(root);
	assert_string_equal(json_string_value(json_object_get(json_object_get(root, "options"), "xot")),
			    "127.0.0.1:1998");
	json_decref(root);
	unlink(path);

	assert_int_equal(stress_report_write_json(&r, "/nonexistent/dir/x.json", stdout, stderr), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_summary_fits_goxots_template_line_for_line),
		cmocka_unit_test(test_summary_prints_exact_values),
		cmocka_unit_test(test_summary_without_run_time_has_no_bandwidth_lines),
		cmocka_unit_test(test_connect_timeouts_line_follows_accept_errors_only_when_asked),
		cmocka_unit_test(test_unset_minimums_print_as_zero_and_facilities_fold_into_min_max),
		cmocka_unit_test(test_interrupted_run_starts_with_goxots_banner),
		cmocka_unit_test(test_latency_uses_nearest_rank_percentiles),
		cmocka_unit_test(test_latency_merge_moves_every_sample),
		cmocka_unit_test(test_latency_block_is_printed_after_the_summary),
		cmocka_unit_test(test_leak_tally_counts_clearing_states_and_orphans),
		cmocka_unit_test(test_leak_tally_rejects_text_not_in_the_kernels_format),
		cmocka_unit_test(test_leak_check_returns_at_once_when_nothing_leaked),
		cmocka_unit_test(test_leak_check_gives_up_after_its_bound_and_reports_the_rows),
		cmocka_unit_test(test_strict_verdict_fails_on_any_error_counter_or_leak),
		cmocka_unit_test(test_json_summary_carries_the_counters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
