// SPDX-License-Identifier: GPL-2.0-or-later
/* test_config.c - config.json "tun-loopback" loading: defaults, goxot's LCI rules, every error class. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h> /* cmocka.h needs these three first */
#include <cmocka.h>

#define ARTICLE_CONFIG                                                                             \
	"{\n"                                                                                      \
	"\"tun-gateway\": {\n"                                                                     \
	"\"lci_start\": 1024,\n"                                                                   \
	"\"lci_end\": 3071,\n"                                                                     \
	"\"stats-port\": 8003\n"                                                                   \
	"},\n"                                                                                     \
	"\"tun-loopback\": {\n"                                                                    \
	"\"lci_start\": 3072,\n"                                                                   \
	"\"lci_end\": 4095,\n"                                                                     \
	"\"stats-port\": 8004,\n"                                                                  \
	"\"routes\": [\"127001\", \"127002\"]\n"                                                   \
	"},\n"                                                                                     \
	"\"servers\": [{\"prefix\": \"123/3\", \"ip\": \"192.0.2.1\", \"port\": 1998},\n"          \
	"              {\"prefix\": \"456/3\", \"dns_name\": \"x\\\\1.example\"}],\n"              \
	"\"xot-server\": {\"stats-port\": 8001},\n"                                                \
	"\"xot-gateway\": {\"stats-port\": 8002}\n"                                                \
	"}\n"

/* One temporary config file per test, plus captured log output. */
struct fixture {
	char path[64];
	char err[512];
	char log[8192];
	struct config cfg;
	int saved_stderr;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->path[0] = '\0';
	f->saved_stderr = -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	/* A failed assertion between capture_begin() and capture_end() lands here. */
	if (f->saved_stderr >= 0) {
		dup2(f->saved_stderr, STDERR_FILENO);
		close(f->saved_stderr);
	}
	if (f->path[0])
		unlink(f->path);
	free(f);
	return 0;
}

static void write_config(struct fixture *f, const char *text)
{
	size_t len = strlen(text);
	int fd;

	if (f->path[0])
		unlink(f->path);
	snprintf(f->path, sizeof(f->path), "/tmp/x25lo-test-config-XXXXXX");
	fd = mkstemp(f->path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

/* log.c writes to fd 2; point it at a file for the duration of one load. */
static void capture_begin(struct fixture *f)
{
	FILE *tmp = tmpfile();

	assert_non_null(tmp);
	f->saved_stderr = dup(STDERR_FILENO);
	assert_true(f->saved_stderr >= 0);
	assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
	fclose(tmp); /* fd 2 keeps the file open */
}

static void capture_end(struct fixture *f)
{
	ssize_t n;

	assert_int_equal(lseek(STDERR_FILENO, 0, SEEK_SET), 0);
	n = read(STDERR_FILENO, f->log, sizeof(f->log) - 1);
	assert_true(n >= 0);
	f->log[n] = '\0';
	assert_true(dup2(f->saved_stderr, STDERR_FILENO) >= 0);
	close(f->saved_stderr);
	f->saved_stderr = -1;
}

/* Loads text, capturing warnings in f->log; returns config_load's result. */
static int load_text(struct fixture *f, const char *text)
{
	int rc;

	write_config(f, text);
	config_defaults(&f->cfg);
	f->err[0] = '\0';
	capture_begin(f);
	rc = config_load(f->path, &f->cfg, f->err, sizeof(f->err));
	capture_end(f);
	return rc;
}

#define assert_contains(haystack, needle) assert_contains_at(haystack, needle, __FILE__, __LINE__)

static void assert_contains_at(const char *haystack, const char *needle, const char *file, int line)
{
	if (!strstr(haystack, needle)) {
		print_error("expected to find\n  %s\nin\n  %s\n", needle, haystack);
		_fail(file, line);
	}
}

static void assert_not_contains(const char *haystack, const char *needle)
{
	if (strstr(haystack, needle)) {
		print_error("did not expect\n  %s\nin\n  %s\n", needle, haystack);
		fail();
	}
}

/* A failing load must name the file, leave no warnings behind, and leave cfg alone. */
static void expect_error(struct fixture *f, const char *text, const char *key_path, const char *problem)
{
	struct config before;
	int rc;

	write_config(f, text);
	memset(&f->cfg, 0x5a, sizeof(f->cfg));
	before = f->cfg;
	capture_begin(f);
	rc = config_load(f->path, &f->cfg, f->err, sizeof(f->err));
	capture_end(f);
	if (rc != -1)
		print_error("config unexpectedly accepted:\n%s\n", text);
	assert_int_equal(rc, -1);
	assert_true(strncmp(f->err, f->path, strlen(f->path)) == 0);
	assert_contains(f->err, key_path);
	assert_contains(f->err, problem);
	assert_contains(f->err, "; "); /* the part that says what to do */
	assert_memory_equal(&f->cfg, &before, sizeof(before));
}

/* Wraps the body of a "tun-loopback" section with valid routes unless the body has them. */
static const char *section(const char *body)
{
	static char text[4096];

	snprintf(text, sizeof(text), "{\"tun-loopback\": {%s%s}}", body,
		 strstr(body, "\"routes\"") ? "" : (body[0] ? ", \"routes\": [\"127001\"]" : "\"routes\": [\"127001\"]"));
	return text;
}

/* ---------------------------------------------------------------------------------------- */

static void the_article_config_loads_as_is_next_to_other_sections(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_text(f, ARTICLE_CONFIG), 0);
	assert_string_equal(f->err, "");
	assert_int_equal(f->cfg.lci_start, 3072);
	assert_int_equal(f->cfg.lci_end, 4095);
	assert_int_equal(f->cfg.stats_port, 8004);
	assert_int_equal(f->cfg.nroutes, 2);
	assert_string_equal(f->cfg.routes[0], "127001");
	assert_string_equal(f->cfg.routes[1], "127002");
	/* tun-gateway's values must not leak into ours, and nothing is worth a warning. */
	assert_string_equal(f->log, "");
}

static void absent_keys_get_the_documented_defaults(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_text(f, "{\"tun-loopback\": {\"routes\": [\"1\"]}}"), 0);
	assert_int_equal(f->cfg.lci_start, 1024);
	assert_int_equal(f->cfg.lci_end, 2048);
	assert_int_equal(f->cfg.stats_port, 0);
	assert_string_equal(f->cfg.stats_bind, "127.0.0.1");
	assert_false(f->cfg.extended);
	assert_string_equal(f->cfg.device_prefix, "tunlb");
	assert_int_equal(f->cfg.call_timeout_ms, 30000);
	assert_int_equal(f->cfg.clear_timeout_ms, 10000);
	assert_string_equal(f->cfg.pcap_path, "");
	assert_int_equal(f->cfg.pcap_max_bytes, 64u * 1024 * 1024);
	assert_int_equal(f->cfg.nroutes, 1);
	assert_string_equal(f->cfg.routes[0], "1");
}

static void every_own_key_is_read(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_text(f, section("\"extended\": true, \"device_prefix\": \"x25-lo_\", "
					     "\"stats-bind\": \"::1\", \"call_timeout_ms\": 100, "
					     "\"clear_timeout_ms\": 600000, \"pcap\": \"/tmp/x.pcap\", "
					     "\"pcap_max_bytes\": 65536, \"stats-port\": 65535")),
			 0);
	assert_true(f->cfg.extended);
	assert_string_equal(f->cfg.device_prefix, "x25-lo_");
	assert_string_equal(f->cfg.stats_bind, "::1");
	assert_int_equal(f->cfg.call_timeout_ms, 100);
	assert_int_equal(f->cfg.clear_timeout_ms, 600000);
	assert_string_equal(f->cfg.pcap_path, "/tmp/x.pcap");
	assert_int_equal(f->cfg.pcap_max_bytes, 65536);
	assert_int_equal(f->cfg.stats_port, 65535);
	assert_string_equal(f->log, "");
}

static void zero_lcis_mean_the_defaults_like_goxot(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_text(f, section("\"lci_start\": 0, \"lci_end\": 0")), 0);
	assert_int_equal(f->cfg.lci_start, 1024);
	assert_int_equal(f->cfg.lci_end, 2048);
	assert_string_equal(f->log, "");
}

static void lci_start_below_one_is_clamped_to_one_with_a_warning(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_text(f, section("\"lci_start\": -7, \"lci_end\": 4000")), 0);
	assert_int_equal(f->cfg.lci_start, 1);
	assert_int_equal(f->cfg.lci_end, 4000);
	assert_contains(f->log, "Warning: ");
	assert_contains(f->log, "tun-loopback.lci_start -7 < minimum 1, clamping to 1");
}

static void lci_end_above_4095_is_clamped_with_a_warning(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_text(f, section("\"lci_start\": 3072, \"lci_end\": 4096")), 0);
	assert_int_equal(f->cfg.lci_start, 3072);
	assert_int_equal(f->cfg.lci_end, 4095);
	assert_contains(f->log, "tun-loopback.lci_end 4096 > maximum 4095, clamping to 4095");
}

static void huge_lci_values_are_clamped_without_overflow(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_text(f, section("\"lci_start\": -9223372036854775808, "
					     "\"lci_end\": 9223372036854775807")),
			 0);
	assert_int_equal(f->cfg.lci_start, 1);
	assert_int_equal(f->cfg.lci_end, 4095);
}

static void an_inverted_lci_range_resets_to_the_defaults_with_a_warning(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_text(f, section("\"lci_start\": 4000, \"lci_end\": 3000")), 0);
	assert_int_equal(f->cfg.lci_start, 1024);
	assert_int_equal(f->cfg.lci_end, 2048);
	assert_contains(f->log, "lci_start 4000 > lci_end 3000, resetting to defaults 1024-2048");
}

static void a_range_of_one_lci_is_allowed_unlike_goxot(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_text(f, section("\"lci_start\": 4095, \"lci_end\": 4095")), 0);
	assert_int_equal(f->cfg.lci_start, 4095);
	assert_int_equal(f->cfg.lci_end, 4095);
	assert_string_equal(f->log, "");
}

static void a_low_lci_start_warns_about_the_kernels_own_lcis(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_text(f, section("\"lci_start\": 255, \"lci_end\": 300")), 0);
	assert_int_equal(f->cfg.lci_start, 255);
	assert_contains(f->log, "lci_start 255 is low");
	assert_contains(f->log, "from 1 upward");

	assert_int_equal(load_text(f, section("\"lci_start\": 256, \"lci_end\": 300")), 0);
	assert_not_contains(f->log, "is low");
	assert_string_equal(f->log, "");
}

static void unknown_sections_of_any_type_are_ignored(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_text(f, "{\"servers\": 5, \"future\": [null, {\"a\": 1}], \"routes\": \"x\","
				     "\"tun-loopback\": {\"routes\": [\"42\"]}, \"xot-server\": \"?\"}"),
			 0);
	assert_string_equal(f->cfg.routes[0], "42");
	assert_string_equal(f->log, "");
}

static void an_unknown_key_is_warned_about_and_accepted(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_text(f, section("\"lci_stat\": 3072, \"colour\": \"blue\"")), 0);
	assert_int_equal(f->cfg.lci_start, 1024);
	assert_contains(f->log, "tun-loopback: unknown key \"lci_stat\" ignored; did you mean \"lci_start\"?");
	assert_contains(f->log, "tun-loopback: unknown key \"colour\" ignored; see docs/config.md");
}

static void a_duplicate_route_is_refused_naming_both_entries(void **state)
{
	struct fixture *f = *state;

	expect_error(f, section("\"routes\": [\"127001\", \"127002\", \"127001\"]"),
		     "tun-loopback.routes[2]: \"127001\" repeats routes[0]", "remove the duplicate");
}

static void a_route_of_sixteen_digits_is_refused_and_fifteen_accepted(void **state)
{
	struct fixture *f = *state;

	expect_error(f, section("\"routes\": [\"1\", \"1234567890123456\"]"),
		     "tun-loopback.routes[1]: \"1234567890123456\"",
		     "is not an X.121 address (digits only, 1-15 digits); fix the route");
	assert_int_equal(load_text(f, section("\"routes\": [\"123456789012345\"]")), 0);
	assert_string_equal(f->cfg.routes[0], "123456789012345");
}

static void a_route_with_a_letter_gets_the_documented_message(void **state)
{
	struct fixture *f = *state;
	char expected[600];

	expect_error(f, section("\"routes\": [\"127001\", \"12a4\"]"), "routes[1]", "12a4");
	snprintf(expected, sizeof(expected),
		 "%s: tun-loopback.routes[1]: \"12a4\" is not an X.121 address (digits only, 1-15 digits); fix the route",
		 f->path);
	assert_string_equal(f->err, expected);
}

static void an_empty_or_spaced_route_string_is_refused(void **state)
{
	struct fixture *f = *state;

	expect_error(f, section("\"routes\": [\"\"]"), "tun-loopback.routes[0]: \"\"", "not an X.121 address");
	expect_error(f, section("\"routes\": [\" 127001\"]"), "tun-loopback.routes[0]", "not an X.121 address");
	expect_error(f, section("\"routes\": [\"127\\n001\"]"), "\"127\\x0a001\"", "not an X.121 address");
}

static void an_empty_routes_array_is_refused(void **state)
{
	struct fixture *f = *state;

	expect_error(f, section("\"routes\": []"), "tun-loopback.routes: is empty", "list at least one");
}

static void missing_routes_are_refused(void **state)
{
	struct fixture *f = *state;

	expect_error(f, "{\"tun-loopback\": {\"lci_start\": 3072}}", "tun-loopback.routes: missing",
		     "add the X.121 addresses");
}

static void more_routes_than_supported_are_refused(void **state)
{
	struct fixture *f = *state;
	char text[4096];
	size_t o;

	for (int n = CONFIG_MAX_ROUTES; n <= CONFIG_MAX_ROUTES + 1; n++) {
		o = (size_t)snprintf(text, sizeof(text), "{\"tun-loopback\": {\"routes\": [");
		for (int i = 0; i < n; i++)
			o += (size_t)snprintf(text + o, sizeof(text) - o, "%s\"%d\"", i ? "," : "", 1000 + i);
		snprintf(text + o, sizeof(text) - o, "]}}");
		if (n == CONFIG_MAX_ROUTES) {
			assert_int_equal(load_text(f, text), 0);
			assert_int_equal(f->cfg.nroutes, CONFIG_MAX_ROUTES);
			assert_string_equal(f->cfg.routes[63], "1063");
		} else {
			expect_error(f, text, "tun-loopback.routes: has 65 addresses", "at most 64");
		}
	}
}

static void a_route_written_as_a_number_is_refused_with_a_hint_to_quote_it(void **state)
{
	struct fixture *f = *state;

	expect_error(f, section("\"routes\": [\"127001\", 127002]"),
		     "tun-loopback.routes[1]: expected a string, got the number 127002",
		     "quote the address (\"127002\")");
	expect_error(f, section("\"routes\": [null]"), "tun-loopback.routes[0]: expected a string, got null",
		     "double quotes");
}

static void values_of_the_wrong_type_are_refused_naming_the_key(void **state)
{
	struct fixture *f = *state;

	expect_error(f, section("\"lci_start\": \"3072\""),
		     "tun-loopback.lci_start: expected an integer, got the string \"3072\"", "without quotes");
	expect_error(f, section("\"lci_end\": 4095.5"), "tun-loopback.lci_end: expected an integer",
		     "the number 4095.5");
	expect_error(f, section("\"stats-port\": true"), "tun-loopback.stats-port: expected an integer, got true",
		     "whole number");
	expect_error(f, section("\"extended\": 1"), "tun-loopback.extended: expected true or false",
		     "the integer 1");
	expect_error(f, section("\"extended\": \"yes\""), "tun-loopback.extended", "the string \"yes\"");
	expect_error(f, section("\"routes\": {\"a\": \"1\"}"), "tun-loopback.routes: expected an array",
		     "got an object");
	expect_error(f, section("\"routes\": \"127001\""), "tun-loopback.routes: expected an array",
		     "[\"127001\", \"127002\"]");
	expect_error(f, section("\"device_prefix\": 5"), "tun-loopback.device_prefix: expected a string",
		     "double quotes");
	expect_error(f, section("\"stats-bind\": null"), "tun-loopback.stats-bind: expected a string", "null");
	expect_error(f, section("\"pcap\": false"), "tun-loopback.pcap: expected a string", "false");
	expect_error(f, "{\"tun-loopback\": [\"127001\"]}", "tun-loopback: expected an object", "an array");
}

static void out_of_range_numbers_are_refused_with_the_range(void **state)
{
	struct fixture *f = *state;

	expect_error(f, section("\"stats-port\": 65536"), "tun-loopback.stats-port: 65536 is out of range",
		     "from 0 to 65535");
	expect_error(f, section("\"stats-port\": -1"), "tun-loopback.stats-port: -1", "from 0 to 65535");
	expect_error(f, section("\"call_timeout_ms\": 99"), "tun-loopback.call_timeout_ms: 99 is out of range",
		     "from 100 to 600000");
	expect_error(f, section("\"clear_timeout_ms\": 600001"), "tun-loopback.clear_timeout_ms: 600001",
		     "from 100 to 600000");
	expect_error(f, section("\"call_timeout_ms\": 0"), "tun-loopback.call_timeout_ms: 0", "from 100");
	expect_error(f, section("\"pcap_max_bytes\": 65535"), "tun-loopback.pcap_max_bytes: 65535",
		     "from 65536");
}

static void bad_device_prefixes_are_refused(void **state)
{
	struct fixture *f = *state;

	expect_error(f, section("\"device_prefix\": \"tun/lb\""), "tun-loopback.device_prefix: \"tun/lb\"",
		     "use only A-Z, a-z, 0-9");
	expect_error(f, section("\"device_prefix\": \"tun lb\""), "tun-loopback.device_prefix", "not allowed");
	expect_error(f, section("\"device_prefix\": \"\""), "tun-loopback.device_prefix: is empty",
		     "remove the key");
	expect_error(f, section("\"device_prefix\": \"abcdefghijklm\""), "tun-loopback.device_prefix",
		     "at most 12 are allowed");
	/* 12 characters plus a two-digit index is 14, within the kernel's 15. */
	assert_int_equal(load_text(f, section("\"device_prefix\": \"abcdefghijkl\"")), 0);
	assert_string_equal(f->cfg.device_prefix, "abcdefghijkl");
}

static void the_stats_bind_address_must_be_numeric(void **state)
{
	struct fixture *f = *state;

	expect_error(f, section("\"stats-bind\": \"localhost\""), "tun-loopback.stats-bind: \"localhost\"",
		     "not a numeric IPv4 or IPv6 address");
	expect_error(f, section("\"stats-bind\": \"127.0.0.256\""), "tun-loopback.stats-bind", "numeric");
	assert_int_equal(load_text(f, section("\"stats-bind\": \"0.0.0.0\"")), 0);
	assert_int_equal(load_text(f, section("\"stats-bind\": \"::\"")), 0);
	assert_string_equal(f->cfg.stats_bind, "::");
}

static void a_syntax_error_names_its_line_and_column(void **state)
{
	struct fixture *f = *state;
	char where[128];

	expect_error(f,
		     "{\n"
		     "  \"tun-loopback\": {\n"
		     "    \"lci_start\": 3072\n"
		     "    \"routes\": [\"127001\"]\n"
		     "  }\n"
		     "}\n",
		     "invalid JSON", "fix the syntax");
	snprintf(where, sizeof(where), "%s:4:", f->path);
	assert_contains(f->err, where);
}

static void trailing_garbage_and_an_empty_file_are_syntax_errors(void **state)
{
	struct fixture *f = *state;

	expect_error(f, "{\"tun-loopback\": {\"routes\": [\"1\"]}} x", "invalid JSON", "fix the syntax");
	expect_error(f, "", "invalid JSON", "fix the syntax");
}

static void a_missing_file_says_how_to_pass_one(void **state)
{
	struct fixture *f = *state;
	struct config cfg;
	char err[512];
	char cwd_name[] = "x25lo-test-surely-missing.json";

	assert_int_equal(config_load(cwd_name, &cfg, err, sizeof(err)), -1);
	assert_string_equal(err, "x25lo-test-surely-missing.json: No such file or directory; pass -config FILE or "
				 "create x25lo-test-surely-missing.json in the working directory");
	assert_int_equal(config_load("/nonexistent-dir/config.json", &cfg, err, sizeof(err)), -1);
	assert_contains(err, "/nonexistent-dir/config.json: No such file or directory; pass -config FILE");
	(void)f;
}

static void a_directory_is_not_a_config_file(void **state)
{
	struct config cfg;
	char err[512];

	(void)state;
	assert_int_equal(config_load("/tmp", &cfg, err, sizeof(err)), -1);
	assert_string_equal(err, "/tmp: is a directory; pass the JSON file itself with -config FILE");
}

static void a_missing_section_says_to_add_it(void **state)
{
	struct fixture *f = *state;

	expect_error(f, "{\"tun-gateway\": {\"lci_start\": 1024}}", "no \"tun-loopback\" section",
		     "add one, e.g. \"tun-loopback\"");
}

static void a_top_level_array_is_refused(void **state)
{
	struct fixture *f = *state;

	expect_error(f, "[{\"tun-loopback\": {}}]", "the top level is an array", "expected an object");
}

static void a_tiny_error_buffer_is_never_overrun(void **state)
{
	struct fixture *f = *state;
	char err[8];
	struct config cfg;

	write_config(f, section("\"stats-port\": 99999"));
	memset(err, 'x', sizeof(err));
	assert_int_equal(config_load(f->path, &cfg, err, sizeof(err)), -1);
	assert_int_equal(strlen(err), sizeof(err) - 1);
	assert_int_equal(config_load(f->path, &cfg, NULL, 0), -1);
}

/* ---------------------------------------------------------------------------------------- */

static char *print_to_string(const struct config *cfg)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	assert_non_null(out);
	config_print(out, cfg);
	assert_int_equal(fclose(out), 0);
	return text;
}

static void check_output_describes_each_device_and_endpoint(void **state)
{
	struct fixture *f = *state;
	char *text;

	assert_int_equal(load_text(f, ARTICLE_CONFIG), 0);
	text = print_to_string(&f->cfg);
	assert_contains(text, "x25lo would set up 2 TUNs:");
	assert_contains(text, "tunlb0 -> address 127001 (kernel route 127001/6, injected LCIs 3072-4095, modulo 8)");
	assert_contains(text, "tunlb1 -> address 127002 (kernel route 127002/6");
	assert_contains(text, "LCI range:      3072-4095 (1024 LCIs per TUN)");
	assert_contains(text, "stats server:   http://127.0.0.1:8004/varz");
	assert_contains(text, "call setup 30000 ms, clear confirmation 10000 ms");
	assert_contains(text, "pcap:           off");
	assert_contains(text, "routes            [\"127001\", \"127002\"]");
	free(text);

	assert_int_equal(load_text(f, section("\"stats-bind\": \"::1\", \"stats-port\": 9, \"extended\": true, "
					     "\"pcap\": \"/tmp/a.pcap\", \"device_prefix\": \"lo\"")),
			 0);
	text = print_to_string(&f->cfg);
	assert_contains(text, "x25lo would set up 1 TUN:");
	assert_contains(text, "lo0 -> address 127001 (kernel route 127001/6, injected LCIs 1024-2048, modulo 128)");
	assert_contains(text, "http://[::1]:9/varz");
	assert_contains(text, "pcap:           /tmp/a.pcap (at most 67108864 bytes)");
	free(text);

	config_defaults(&f->cfg);
	text = print_to_string(&f->cfg);
	assert_contains(text, "stats server:   off (stats-port 0)");
	free(text);
}

static void a_reload_keeps_restart_only_keys_and_counts_them(void **state)
{
	struct fixture *f = *state;
	struct config running, next;
	unsigned pending;

	assert_int_equal(load_text(f, ARTICLE_CONFIG), 0);
	running = f->cfg;
	assert_int_equal(load_text(f, "{\"tun-loopback\": {\"lci_start\": 3000, \"lci_end\": 4095, \"stats-port\": 9000,"
				     "\"device_prefix\": \"x\", \"routes\": [\"127001\", \"127003\"]}}"),
			 0);
	next = f->cfg;

	capture_begin(f);
	pending = config_reload_merge(&next, &running);
	capture_end(f);
	assert_int_equal(pending, 2);
	assert_int_equal(next.stats_port, 8004);
	assert_string_equal(next.device_prefix, "tunlb");
	assert_int_equal(next.lci_start, 3000);
	assert_string_equal(next.routes[1], "127003");
	assert_contains(f->log, "Warning: tun-loopback.stats-port changed from 8004 to 9000; x25lo keeps 8004 until it is restarted");
	assert_contains(f->log, "tun-loopback.lci_start changed from 3072 to 3000; TUNs created from now on use it");
	assert_contains(f->log, "tun-loopback.routes changed from [\"127001\", \"127002\"] to [\"127001\", \"127003\"]");

	capture_begin(f);
	pending = config_reload_merge(&next, &next);
	capture_end(f);
	assert_int_equal(pending, 0);
	assert_string_equal(f->log, "");
}

/* docs/config.md must carry the table generated from the key table, byte for byte. */
static void the_docs_hold_the_generated_key_table(void **state)
{
	const char *root = getenv("X25LO_SOURCE_ROOT");
	char path[PATH_MAX], *table = NULL, docs[65536];
	size_t len = 0, n;
	FILE *out, *in;

	(void)state;
	if (!root)
		skip();
	snprintf(path, sizeof(path), "%s/docs/config.md", root);
	in = fopen(path, "r");
	if (!in)
		print_error("cannot open %s: %s\n", path, strerror(errno));
	assert_non_null(in);
	n = fread(docs, 1, sizeof(docs) - 1, in);
	fclose(in);
	docs[n] = '\0';

	out = open_memstream(&table, &len);
	assert_non_null(out);
	config_write_key_table(out);
	assert_int_equal(fclose(out), 0);
	if (!strstr(docs, table))
		print_error("docs/config.md is out of date; replace its key table with:\n%s\n", table);
	assert_non_null(strstr(docs, table));
	free(table);
}

/* ---------------------------------------------------------------------------------------- */
/* Robustness: many mutated documents, no crash, and either a valid config or a message. */

static const char *const fuzz_seeds[] = {
	ARTICLE_CONFIG,
	"{\"tun-loopback\": {\"lci_start\": 1, \"lci_end\": 1, \"routes\": [\"1\", \"22\", \"333\"], "
	"\"extended\": true, \"device_prefix\": \"ab\", \"stats-bind\": \"::1\", \"stats-port\": 1, "
	"\"call_timeout_ms\": 100, \"clear_timeout_ms\": 200, \"pcap\": \"p\", \"pcap_max_bytes\": 70000}}",
	"{\"tun-loopback\": {\"routes\": [\"127001\"], \"lci_stat\": [1, {\"x\": null}]}}",
};

static const char *const fuzz_tokens[] = {
	"{", "}", "[", "]", ",", ":", "\"", "\\", "\\u0000", "\\ud800", "null", "true", "false", "-0", "1e999",
	"-9223372036854775809", "9223372036854775808", "4096", "0", "\"1234567890123456\"", "\"tun-loopback\"",
	"\"routes\"", "\"lci_start\"", "\"\"", "\xff", "\xc3\xa9", " ", "\n", "\t", "\"stats-bind\"", "\"12a\"",
};

static uint64_t fuzz_state;

/* xorshift64: a fixed seed keeps failures reproducible. */
static uint64_t fuzz_next(void)
{
	fuzz_state ^= fuzz_state << 13;
	fuzz_state ^= fuzz_state >> 7;
	fuzz_state ^= fuzz_state << 17;
	return fuzz_state;
}

static size_t mutate(char *doc, size_t len, size_t cap)
{
	size_t pos = len ? fuzz_next() % (len + 1) : 0;
	const char *tok;
	size_t tlen, cut;

	switch (fuzz_next() % 5) {
	case 0: /* flip a byte */
		if (len)
			doc[pos % len] = (char)(fuzz_next() & 0xff);
		return len;
	case 1: /* delete a span */
		cut = fuzz_next() % 8;
		if (pos + cut > len)
			cut = len - pos;
		memmove(doc + pos, doc + pos + cut, len - pos - cut);
		return len - cut;
	case 2: /* duplicate a span */
		cut = fuzz_next() % 32;
		if (pos + cut > len)
			cut = len - pos;
		if (len + cut >= cap)
			return len;
		memmove(doc + pos + cut, doc + pos, len - pos);
		return len + cut;
	default: /* insert a token */
		tok = fuzz_tokens[fuzz_next() % (sizeof(fuzz_tokens) / sizeof(fuzz_tokens[0]))];
		tlen = strlen(tok);
		if (len + tlen >= cap)
			return len;
		memmove(doc + pos + tlen, doc + pos, len - pos);
		memcpy(doc + pos, tok, tlen);
		return len + tlen;
	}
}

static bool valid_route(const char *route)
{
	size_t len = strlen(route);

	if (len < 1 || len > CONFIG_ADDR_MAX)
		return false;
	return strspn(route, "0123456789") == len;
}

/* Returns NULL when the outcome of one load is acceptable, else what is wrong with it. */
static const char *fuzz_verdict(const struct fixture *f, int rc)
{
	if (rc == 0) {
		if (f->err[0])
			return "success with an error message";
		if (!(1 <= f->cfg.lci_start && f->cfg.lci_start <= f->cfg.lci_end && f->cfg.lci_end <= 4095))
			return "accepted an invalid LCI range";
		if (f->cfg.nroutes < 1 || f->cfg.nroutes > CONFIG_MAX_ROUTES)
			return "accepted a bad number of routes";
		for (size_t i = 0; i < f->cfg.nroutes; i++)
			if (!valid_route(f->cfg.routes[i]))
				return "accepted a bad route";
		if (f->cfg.stats_port < 0 || f->cfg.stats_port > 65535)
			return "accepted a bad stats-port";
		if (f->cfg.call_timeout_ms < 100 || f->cfg.call_timeout_ms > 600000 ||
		    f->cfg.clear_timeout_ms < 100 || f->cfg.clear_timeout_ms > 600000)
			return "accepted a timeout out of range";
		if (f->cfg.pcap_max_bytes < 65536)
			return "accepted a tiny pcap_max_bytes";
		if (f->cfg.device_prefix[0] == '\0' ||
		    strspn(f->cfg.device_prefix, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
			    strlen(f->cfg.device_prefix))
			return "accepted a bad device_prefix";
		for (size_t i = 0; i < f->cfg.nroutes; i++)
			for (size_t j = 0; j < i; j++)
				if (strcmp(f->cfg.routes[i], f->cfg.routes[j]) == 0)
					return "accepted a duplicate route";
		return NULL;
	}
	if (rc != -1)
		return "returned neither 0 nor -1";
	if (strncmp(f->err, f->path, strlen(f->path)) != 0 || strlen(f->err) < strlen(f->path) + 6)
		return "failed without a message naming the file";
	return NULL;
}

static void mutated_documents_never_crash_and_always_explain_a_failure(void **state)
{
	struct fixture *f = *state;
	int accepted = 0, refused = 0, iter;
	const char *verdict = NULL;
	char doc[8192];
	size_t len = 0;
	int devnull = open("/dev/null", O_WRONLY);
	int saved = dup(STDERR_FILENO);

	assert_true(devnull >= 0 && saved >= 0);
	fuzz_state = 0x9e3779b97f4a7c15ull;
	write_config(f, "{}");
	/* Warnings are expected by the thousand; keep the test log readable. */
	assert_true(dup2(devnull, STDERR_FILENO) >= 0);
	for (iter = 0; iter < 4000 && !verdict; iter++) {
		const char *seed = fuzz_seeds[fuzz_next() % (sizeof(fuzz_seeds) / sizeof(fuzz_seeds[0]))];
		int rounds = 1 + (int)(fuzz_next() % 6), rc, fd;

		len = strlen(seed);
		memcpy(doc, seed, len);
		for (int r = 0; r < rounds; r++)
			len = mutate(doc, len, sizeof(doc));
		fd = open(f->path, O_WRONLY | O_TRUNC);
		if (fd < 0 || write(fd, doc, len) != (ssize_t)len) {
			verdict = "could not rewrite the temporary file";
			break;
		}
		close(fd);

		memset(f->err, 0, sizeof(f->err));
		rc = config_load(f->path, &f->cfg, f->err, sizeof(f->err));
		verdict = fuzz_verdict(f, rc);
		if (rc == 0)
			accepted++;
		else
			refused++;
	}
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(devnull);
	if (verdict) {
		doc[len < sizeof(doc) ? len : sizeof(doc) - 1] = '\0';
		print_error("document %d: %s (err \"%s\"):\n%s\n", iter, verdict, f->err, doc);
		fail();
	}
	print_message("fuzz: %d documents accepted, %d refused with a message\n", accepted, refused);
	/* Both outcomes must occur, or the mutations are not exercising the parser. */
	assert_true(accepted > 100);
	assert_true(refused > 100);
}

static const char *const gen_keys[] = {
	"lci_start", "lci_end", "stats-port", "routes", "extended", "device_prefix", "stats-bind",
	"call_timeout_ms", "clear_timeout_ms", "pcap", "pcap_max_bytes", "lci_stat", "Routes",
};

static const char *const gen_scalars[] = {
	"0", "1", "-1", "255", "256", "4095", "4096", "65535", "65536", "99", "100", "600000", "600001",
	"1099511627776", "1099511627777", "9223372036854775807", "-9223372036854775808", "1.5", "1e3",
	"true", "false", "null", "{}", "[]", "\"\"", "\"127001\"", "\"12a4\"", "\"::1\"", "\"0.0.0.0\"",
	"\"tunlb\"", "\"localhost\"", "\"1234567890123456\"", "\"a/b\"", "\"abcdefghijklm\"", "\"/tmp/p.pcap\"",
};

static const char *const gen_routes[] = { "\"1\"", "\"127001\"", "\"127002\"", "\"999999999999999\"",
					  "\"1234567890123456\"", "\"\"", "\"1a\"", "7", "null" };

#define PICK(array) (array)[fuzz_next() % (sizeof(array) / sizeof((array)[0]))]

/* A "tun-loopback" section of random known and unknown keys with random values of any type. */
static size_t generate_section(char *doc, size_t cap)
{
	size_t o = (size_t)snprintf(doc, cap, "{\"servers\": [], \"tun-loopback\": {");
	int nkeys = (int)(fuzz_next() % 8);

	for (int k = 0; k < nkeys && o < cap - 200; k++) {
		const char *key = PICK(gen_keys);

		o += (size_t)snprintf(doc + o, cap - o, "%s\"%s\": ", k ? ", " : "", key);
		if (strcmp(key, "routes") == 0 && fuzz_next() % 4) {
			int n = (int)(fuzz_next() % 4 ? fuzz_next() % 5 : fuzz_next() % 70);

			o += (size_t)snprintf(doc + o, cap - o, "[");
			for (int i = 0; i < n && o < cap - 200; i++) {
				if (fuzz_next() % 3)
					o += (size_t)snprintf(doc + o, cap - o, "%s\"%d\"", i ? "," : "",
							      (int)(fuzz_next() % 100));
				else
					o += (size_t)snprintf(doc + o, cap - o, "%s%s", i ? "," : "", PICK(gen_routes));
			}
			o += (size_t)snprintf(doc + o, cap - o, "]");
		} else {
			o += (size_t)snprintf(doc + o, cap - o, "%s", PICK(gen_scalars));
		}
	}
	if (fuzz_next() % 5)
		o += (size_t)snprintf(doc + o, cap - o, "%s\"routes\": [\"127001\"]", nkeys ? ", " : "");
	o += (size_t)snprintf(doc + o, cap - o, "}}");
	return o;
}

static void generated_sections_of_random_keys_and_values_are_judged_consistently(void **state)
{
	struct fixture *f = *state;
	int accepted = 0, refused = 0, iter, rc;
	const char *verdict = NULL;
	char doc[8192];
	int devnull = open("/dev/null", O_WRONLY);
	int saved = dup(STDERR_FILENO);

	assert_true(devnull >= 0 && saved >= 0);
	fuzz_state = 0x2545f4914f6cdd1dull;
	assert_true(dup2(devnull, STDERR_FILENO) >= 0);
	for (iter = 0; iter < 3000 && !verdict; iter++) {
		generate_section(doc, sizeof(doc));
		write_config(f, doc);
		memset(f->err, 0, sizeof(f->err));
		rc = config_load(f->path, &f->cfg, f->err, sizeof(f->err));
		verdict = fuzz_verdict(f, rc);
		if (rc == 0)
			accepted++;
		else
			refused++;
	}
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(devnull);
	if (verdict) {
		print_error("document %d: %s (err \"%s\"):\n%s\n", iter, verdict, f->err, doc);
		fail();
	}
	print_message("generated: %d sections accepted, %d refused with a message\n", accepted, refused);
	assert_true(accepted > 100);
	assert_true(refused > 100);
}

static void a_config_others_can_write_is_loaded_with_a_warning(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_text(f, section("")), 0);
	assert_not_contains(f->log, "writable");
	assert_int_equal(chmod(f->path, 0664), 0);
	capture_begin(f);
	assert_int_equal(config_load(f->path, &f->cfg, f->err, sizeof(f->err)), 0);
	capture_end(f);
	assert_contains(f->log, "is writable by its group (mode 0664)");
	assert_contains(f->log, "chmod go-w ");
	assert_int_equal(chmod(f->path, 0666), 0);
	capture_begin(f);
	assert_int_equal(config_load(f->path, &f->cfg, f->err, sizeof(f->err)), 0);
	capture_end(f);
	assert_contains(f->log, "is writable by everyone (mode 0666)");
}

/* goxot's "servers" are read only when xot_servers is true, in goxot's format. */
static void goxot_servers_become_xot_routes_only_when_asked(void **state)
{
	struct fixture *f = *state;
	static const char servers[] =
		"\"servers\": [{\"prefix\": \"123/3\", \"ip\": \"192.0.2.1\"},"
		" {\"prefix\": \"2080/4\", \"ip\": \"2001:db8::1\", \"port\": 0},"
		" {\"prefix\": \"31/2\", \"dns_name\": \"\\\\2.\\\\1.x25.org\", \"port\": 11998}]";
	char text[1024];

	snprintf(text, sizeof(text), "{\"tun-loopback\": {\"routes\": [\"127001\"]}, %s}", servers);
	assert_int_equal(load_text(f, text), 0);
	assert_false(f->cfg.xot_servers);
	assert_int_equal(f->cfg.nservers, 0);

	snprintf(text, sizeof(text), "{\"tun-loopback\": {\"routes\": [\"127001\"], \"xot_servers\": true}, %s}",
		 servers);
	assert_int_equal(load_text(f, text), 0);
	assert_int_equal(f->cfg.nservers, 3);
	assert_string_equal(f->cfg.servers[0].prefix, "123");
	assert_string_equal(f->cfg.servers[0].ip, "192.0.2.1");
	assert_int_equal(f->cfg.servers[0].port, 1998);
	assert_int_equal(f->cfg.servers[1].port, 1998);             /* 0 means the default, as in goxot */
	assert_string_equal(f->cfg.servers[2].dns_name, "\\2.\\1.x25.org");
	assert_string_equal(f->cfg.servers[2].dns_pattern, "^(...)(...)");
	assert_int_equal(f->cfg.servers[2].port, 11998);

	/* Ignored entries may be anything while xot_servers is off, as other tools own them. */
	assert_int_equal(load_text(f, "{\"tun-loopback\": {\"routes\": [\"1\"]}, \"servers\": 7}"), 0);
}

static void bad_servers_are_refused_naming_the_entry(void **state)
{
	struct fixture *f = *state;

#define XS(servers) "{\"tun-loopback\": {\"routes\": [\"1\"], \"xot_servers\": true}, \"servers\": " servers "}"
	expect_error(f, "{\"tun-loopback\": {\"routes\": [\"1\"], \"xot_servers\": true}}", "xot_servers",
		     "no top-level \"servers\"");
	expect_error(f, XS("[{\"prefix\": \"123/4\", \"ip\": \"192.0.2.1\"}]"), "servers[0].prefix",
		     "must be the number of digits");
	expect_error(f, XS("[{\"prefix\": \"12a/3\", \"ip\": \"192.0.2.1\"}]"), "servers[0].prefix",
		     "is not \"<digits>/<count>\"");
	expect_error(f, XS("[{\"prefix\": \"123/3\"}]"), "servers[0]", "neither \"ip\" nor \"dns_name\"");
	expect_error(f, XS("[{\"prefix\": \"123/3\", \"ip\": \"192.0.2.1\", \"dns_name\": \"a\"}]"), "servers[0]",
		     "both \"ip\" and DNS keys");
	expect_error(f, XS("[{\"prefix\": \"123/3\", \"ip\": \"x25.example\"}]"), "servers[0].ip",
		     "not a numeric IPv4 or IPv6 address");
	expect_error(f, XS("[{\"prefix\": \"1/1\", \"ip\": \"::1\"}, {\"prefix\": \"1/1\", \"ip\": \"::2\"}]"),
		     "servers[1]", "repeats servers[0]");
	expect_error(f, XS("[{\"prefix\": \"1/1\", \"ip\": \"::1\", \"port\": 70000}]"), "servers[0].port",
		     "port number");
	expect_error(f, XS("[{\"prefix\": \"1/1\", \"dns_name\": \"\\\\3.x25.org\"}]"), "servers[0] (1)",
		     "dns_name");
	expect_error(f, XS("[{\"prefix\": \"1/1\", \"dns_name\": \"\\\\1.x25.org\", \"dns_pattern\": \"^(.+?)\"}]"),
		     "servers[0] (1)", "dns_pattern");
#undef XS
}

static void an_xot_listener_needs_an_allow_list_and_a_numeric_endpoint(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_in in4 = {.sin_family = AF_INET};
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6};

	expect_error(f, section("\"xot_listen\": \"[::]:1998\""), "xot_allow", "no authentication");
	expect_error(f, section("\"xot_listen\": \"x25.example:1998\", \"xot_allow\": [\"::1\"]"), "xot_listen",
		     "must be numeric");
	expect_error(f, section("\"xot_listen\": \"::1998\", \"xot_allow\": [\"::1\"]"), "xot_listen", "brackets");
	expect_error(f, section("\"xot_listen\": \"0.0.0.0:0\", \"xot_allow\": [\"::1\"]"), "xot_listen", "port");
	expect_error(f, section("\"xot_listen\": \"0.0.0.0:1998\", \"xot_allow\": [\"192.0.2.0/33\"]"),
		     "xot_allow[0]", "ADDRESS/BITS");
	assert_int_equal(load_text(f, section("\"xot_listen\": \"[::]:1998\", \"xot_allow\": [\"192.0.2.0/24\", "
					       "\"2001:db8::/32\", \"127.0.0.1\"]")), 0);
	assert_int_equal(f->cfg.xot_listen_addr.ss_family, AF_INET6);
	assert_int_equal(f->cfg.nallow, 3);

	inet_pton(AF_INET, "192.0.2.77", &in4.sin_addr);
	assert_true(config_xot_allowed(&f->cfg, (struct sockaddr *)&in4));
	inet_pton(AF_INET, "192.0.3.1", &in4.sin_addr);
	assert_false(config_xot_allowed(&f->cfg, (struct sockaddr *)&in4));
	inet_pton(AF_INET6, "2001:db8:ffff::9", &in6.sin6_addr);
	assert_true(config_xot_allowed(&f->cfg, (struct sockaddr *)&in6));
	inet_pton(AF_INET6, "2001:db9::9", &in6.sin6_addr);
	assert_false(config_xot_allowed(&f->cfg, (struct sockaddr *)&in6));
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &in6.sin6_addr);      /* IPv4 on a dual-stack socket */
	assert_true(config_xot_allowed(&f->cfg, (struct sockaddr *)&in6));
	inet_pton(AF_INET6, "::ffff:127.0.0.2", &in6.sin6_addr);
	assert_false(config_xot_allowed(&f->cfg, (struct sockaddr *)&in6));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(the_article_config_loads_as_is_next_to_other_sections),
		T(absent_keys_get_the_documented_defaults),
		T(every_own_key_is_read),
		T(zero_lcis_mean_the_defaults_like_goxot),
		T(lci_start_below_one_is_clamped_to_one_with_a_warning),
		T(lci_end_above_4095_is_clamped_with_a_warning),
		T(huge_lci_values_are_clamped_without_overflow),
		T(an_inverted_lci_range_resets_to_the_defaults_with_a_warning),
		T(a_range_of_one_lci_is_allowed_unlike_goxot),
		T(a_low_lci_start_warns_about_the_kernels_own_lcis),
		T(unknown_sections_of_any_type_are_ignored),
		T(an_unknown_key_is_warned_about_and_accepted),
		T(a_duplicate_route_is_refused_naming_both_entries),
		T(a_route_of_sixteen_digits_is_refused_and_fifteen_accepted),
		T(a_route_with_a_letter_gets_the_documented_message),
		T(an_empty_or_spaced_route_string_is_refused),
		T(an_empty_routes_array_is_refused),
		T(missing_routes_are_refused),
		T(more_routes_than_supported_are_refused),
		T(a_route_written_as_a_number_is_refused_with_a_hint_to_quote_it),
		T(values_of_the_wrong_type_are_refused_naming_the_key),
		T(out_of_range_numbers_are_refused_with_the_range),
		T(bad_device_prefixes_are_refused),
		T(the_stats_bind_address_must_be_numeric),
		T(a_syntax_error_names_its_line_and_column),
		T(trailing_garbage_and_an_empty_file_are_syntax_errors),
		T(a_missing_file_says_how_to_pass_one),
		T(a_directory_is_not_a_config_file),
		T(a_missing_section_says_to_add_it),
		T(a_top_level_array_is_refused),
		T(a_tiny_error_buffer_is_never_overrun),
		T(check_output_describes_each_device_and_endpoint),
		T(a_reload_keeps_restart_only_keys_and_counts_them),
		T(the_docs_hold_the_generated_key_table),
		T(mutated_documents_never_crash_and_always_explain_a_failure),
		T(generated_sections_of_random_keys_and_values_are_judged_consistently),
		T(a_config_others_can_write_is_loaded_with_a_warning),
		T(goxot_servers_become_xot_routes_only_when_asked),
		T(bad_servers_are_refused_naming_the_entry),
		T(an_xot_listener_needs_an_allow_list_and_a_numeric_endpoint),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
