// SPDX-License-Identifier: GPL-2.0-or-later
/* options.c - x25stress's command line: goxot's flags and the long options; usage, help. */
#include "x25stress.h"
#include "xotlib.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Keys of long-only options, beyond any character getopt can return. */
enum {
	OPT_CONNECT_TIMEOUT = 'C',
	OPT_MESSAGES = 256,
	OPT_LATENCY,
	OPT_JSON,
	OPT_STRICT,
	OPT_LEAK_CHECK,
	OPT_XOT,
	OPT_VERSION,
};

struct option_doc {
	int key;          /* short letter or OPT_* */
	const char *name; /* long name, NULL for goxot's short-only flags */
	int has_arg;
	const char *arg;  /* placeholder shown in --help */
	const char *help;
};

/* One table drives getopt's strings and --help, so they cannot drift apart. */
static const struct option_doc option_docs[] = {
	{ 'N', NULL, required_argument, "threads", "sender threads (default 1)" },
	{ 'l', NULL, required_argument, "bufsize",
	  "largest message in bytes, 1..65534; each call sends 1..bufsize (default 8192)" },
	{ 'd', NULL, required_argument, "start,end",
	  "called addresses, picked at random from this inclusive range (default 127100,127300)" },
	{ 'b', NULL, required_argument, "backoff_ms", "pause after a failed bind or call (default 1000)" },
	{ 'T', NULL, required_argument, "runtime", "run time in seconds (default 10)" },
	{ 'n', NULL, required_argument, "maxcalls", "stop after this many calls, 0 = no limit (default 100)" },
	{ 'r', NULL, no_argument, NULL, "receiver mode: accept calls and echo every message" },
	{ 'a', NULL, required_argument, "local_addr",
	  "receiver: address to listen on (default: any); sender: its first 6 digits start every "
	  "calling address (default 127001)" },
	{ 'W', NULL, required_argument, "window_size", "window to request, 1..127 (default 4)" },
	{ 'P', NULL, required_argument, "packet_size",
	  "packet size to request, 16..4096, rounded down to a power of two (default 512)" },
	{ OPT_CONNECT_TIMEOUT, "connect-timeout", required_argument, "MS",
	  "give up a call not connected within MS milliseconds and count it under Connect "
	  "Timeouts, as later goxot versions' -C (default: wait as long as the kernel does, "
	  "T21 = 200 s)" },
	{ OPT_MESSAGES, "messages", required_argument, "N",
	  "send and verify N messages per call instead of 1" },
	{ OPT_LATENCY, "latency", no_argument, NULL,
	  "measure call set-up and echo times; print min, median, p99 and max" },
	{ OPT_JSON, "json", required_argument, "FILE",
	  "also write the summary as JSON to FILE (\"-\" = standard output)" },
	{ OPT_STRICT, "strict", no_argument, NULL,
	  "exit with status 2 if any call failed, any data mismatched, any error was counted or "
	  "(with --leak-check) any socket leaked" },
	{ OPT_LEAK_CHECK, "leak-check", no_argument, NULL,
	  "after the run, wait up to 12 s for X.25 sockets in clearing states and orphans to go "
	  "from /proc/net/x25/socket, then report those left" },
	{ OPT_XOT, "xot", required_argument, "HOST:PORT",
	  "speak XOT (RFC 1613, X.25 over TCP) to HOST:PORT instead of AF_X25: no kernel X.25 "
	  "needed. PORT defaults to 1998; IPv6 as [addr]:port. With -r, listen on [ADDR:]PORT "
	  "(all addresses if ADDR is left out; port 0 picks a free one)" },
	{ 'h', "help", no_argument, NULL, "show this help" },
	{ OPT_VERSION, "version", no_argument, NULL, "show the version" },
};

#define OPTION_COUNT (sizeof(option_docs) / sizeof(option_docs[0]))

void stress_options_defaults(struct stress_options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->threads = 1;
	opts->max_message = 8192;
	strcpy(opts->called_start, "127100");
	strcpy(opts->called_end, "127300");
	opts->backoff_ms = 1000;
	opts->run_time_s = 10;
	opts->max_calls = 100;
	opts->window = 4;
	opts->packet_size = 512;
	opts->packet_size_log2 = 9;
	opts->messages_per_call = 1;
}

void stress_print_usage(FILE *to, const char *argv0)
{
	fprintf(to,
		"Usage: %s [-N threads] [-l bufsize] [-d start,end] [-b backoff_ms] [-T runtime] "
		"[-n maxcalls] [-r (receiver mode)] [-a local_addr] [-W window_size] [-P packet_size]\n",
		argv0);
}

#define HELP_INDENT 27
#define HELP_WIDTH 100

/* "  <spec>  <help>", the help wrapped at word boundaries under its own column. */
static void print_wrapped(FILE *out, const char *spec, const char *help)
{
	int column = fprintf(out, "  %-*s", HELP_INDENT - 3, spec);

	if (column >= HELP_INDENT) {
		fputc('\n', out);
		column = 0;
	}
	while (*help) {
		size_t word = strcspn(help, " ");

		if (column > HELP_INDENT && column + 1 + (int)word > HELP_WIDTH) {
			fputc('\n', out);
			column = 0;
		}
		if (column < HELP_INDENT)
			column += fprintf(out, "%*s", HELP_INDENT - column, "");
		else
			column += fprintf(out, " ");
		column += fprintf(out, "%.*s", (int)word, help);
		help += word;
		help += strspn(help, " ");
	}
	fputc('\n', out);
}

static void print_help(FILE *out, const char *argv0)
{
	stress_print_usage(out, argv0);
	fputs("\nAF_X25 stress test, a drop-in for goxot's stress_test. Senders make calls to the\n"
	      "-d range, send one message per call and verify its echo; a receiver (-r) echoes.\n"
	      "The summary is goxot's, line for line; the long options add to it.\n\nOptions:\n",
	      out);
	for (size_t i = 0; i < OPTION_COUNT; i++) {
		const struct option_doc *doc = &option_docs[i];
		char spec[64];
		int len = 0;

		if (doc->key < 256)
			len += snprintf(spec + len, sizeof(spec) - (size_t)len, "-%c%s", doc->key,
					doc->name ? ", " : "");
		if (doc->name)
			len += snprintf(spec + len, sizeof(spec) - (size_t)len, "--%s", doc->name);
		if (doc->arg)
			snprintf(spec + len, sizeof(spec) - (size_t)len, " %s", doc->arg);
		print_wrapped(out, spec, doc->help);
	}
	fputs("\nExit status: 0 when the run completed (goxot's rule, even if calls failed),\n"
	      "1 for a bad option or value or when the run could not start, 2 with --strict\n"
	      "when something failed. SIGINT and SIGTERM end the run and print the summary.\n",
	      out);
}

static void build_getopt_tables(char *shortopts, size_t shortlen, struct option *longopts)
{
	size_t s = 0, l = 0;

	shortopts[s++] = ':'; /* report a missing value as ':' so we can say which option */
	for (size_t i = 0; i < OPTION_COUNT; i++) {
		const struct option_doc *doc = &option_docs[i];

		if (doc->key < 256 && s + 3 < shortlen) {
			shortopts[s++] = (char)doc->key;
			if (doc->has_arg == required_argument)
				shortopts[s++] = ':';
		}
		if (doc->name)
			longopts[l++] = (struct option){ doc->name, doc->has_arg, NULL, doc->key };
	}
	shortopts[s] = '\0';
	longopts[l] = (struct option){ NULL, 0, NULL, 0 };
}

/* Name an option the way the user typed it, for messages. */
static void option_label(char *label, size_t len, int key)
{
	for (size_t i = 0; i < OPTION_COUNT; i++) {
		if (option_docs[i].key != key)
			continue;
		if (key < 256)
			snprintf(label, len, "-%c", key);
		else
			snprintf(label, len, "--%s", option_docs[i].name);
		return;
	}
	snprintf(label, len, "option");
}

/* strtol with the whole string required and a range; false and a message when it does not fit. */
static bool parse_long(const char *label, const char *text, long min, long max, const char *meaning,
		       long *value, FILE *err, const char *argv0)
{
	char *end;

	errno = 0;
	long v = strtol(text, &end, 10);
	if (errno || end == text || *end != '\0' || v < min || v > max) {
		fprintf(err, "%s: %s '%s': %s must be a whole number from %ld to %ld\n", argv0, label,
			text, meaning, min, max);
		return false;
	}
	*value = v;
	return true;
}

static bool parse_int(const char *label, const char *text, long min, long max, const char *meaning,
		      int *value, FILE *err, const char *argv0)
{
	long v;

	if (!parse_long(label, text, min, max, meaning, &v, err, argv0))
		return false;
	*value = (int)v;
	return true;
}

/* An X.121 address as the kernel accepts it: 1..15 decimal digits. */
static bool is_x121_address(const char *text)
{
	size_t len = strlen(text);

	if (len == 0 || len > STRESS_ADDR_MAX)
		return false;
	return strspn(text, "0123456789") == len;
}

static bool parse_called_range(struct stress_options *opts, const char *text, FILE *err,
			       const char *argv0)
{
	const char *comma = strchr(text, ',');
	char start[STRESS_ADDR_MAX + 2], end[STRESS_ADDR_MAX + 2];

	if (!comma) {
		fprintf(err, "%s: -d '%s': expected start,end (for one address repeat it: -d %s,%s)\n",
			argv0, text, text, text);
		return false;
	}
	size_t start_len = (size_t)(comma - text);
	if (start_len > STRESS_ADDR_MAX || strlen(comma + 1) > STRESS_ADDR_MAX) {
		fprintf(err, "%s: -d '%s': an X.121 address has at most %d digits\n", argv0, text,
			STRESS_ADDR_MAX);
		return false;
	}
	memcpy(start, text, start_len);
	start[start_len] = '\0';
	strcpy(end, comma + 1);
	if (!is_x121_address(start) || !is_x121_address(end)) {
		fprintf(err, "%s: -d '%s': start and end must both be X.121 addresses (1 to %d digits)\n",
			argv0, text, STRESS_ADDR_MAX);
		return false;
	}
	if (strtoll(start, NULL, 10) > strtoll(end, NULL, 10)) {
		fprintf(err, "%s: -d '%s': start is greater than end; write the lower address first\n",
			argv0, text);
		return false;
	}
	strcpy(opts->called_start, start);
	strcpy(opts->called_end, end);
	return true;
}

/* goxot turns -P into floor(log2(P)); we do the same but refuse what the kernel would refuse. */
static bool parse_packet_size(struct stress_options *opts, const char *text, FILE *err,
			      const char *argv0)
{
	int size, log2 = 0;

	if (!parse_int("-P", text, 16, 4096, "the packet size in bytes", &size, err, argv0))
		return false;
	while ((2 << log2) <= size)
		log2++;
	if ((1 << log2) != size)
		fprintf(err, "%s: -P %d is not a power of two; requesting %d bytes\n", argv0, size,
			1 << log2);
	opts->packet_size = 1 << log2;
	opts->packet_size_log2 = log2;
	return true;
}

static bool parse_local_addr(struct stress_options *opts, const char *text, FILE *err,
			     const char *argv0)
{
	if (text[0] != '\0' && !is_x121_address(text)) {
		fprintf(err, "%s: -a '%s': an X.121 address is 1 to %d digits\n", argv0, text,
			STRESS_ADDR_MAX);
		return false;
	}
	strcpy(opts->local_addr, text);
	return true;
}

/* Apply one option; false after printing why its value is unusable. */
static bool apply_option(struct stress_options *opts, int key, char *value, FILE *err, const char *argv0)
{
	switch (key) {
	case 'N':
		return parse_int("-N", value, 0, STRESS_MAX_THREADS, "the number of sender threads",
				 &opts->threads, err, argv0);
	case 'l':
		return parse_int("-l", value, 1, STRESS_MAX_MESSAGE, "the largest message in bytes",
				 &opts->max_message, err, argv0);
	case 'd':
		return parse_called_range(opts, value, err, argv0);
	case 'b':
		return parse_int("-b", value, 0, 3600000, "the backoff in milliseconds",
				 &opts->backoff_ms, err, argv0);
	case 'T':
		return parse_int("-T", value, 0, INT_MAX, "the run time in seconds", &opts->run_time_s,
				 err, argv0);
	case 'n':
		return parse_long("-n", value, 0, LONG_MAX, "the call limit (0 = no limit)",
				  &opts->max_calls, err, argv0);
	case 'r':
		opts->receiver = true;
		return true;
	case 'a':
		return parse_local_addr(opts, value, err, argv0);
	case 'W':
		return parse_int("-W", value, 1, 127, "the window size", &opts->window, err, argv0);
	case 'P':
		return parse_packet_size(opts, value, err, argv0);
	case OPT_CONNECT_TIMEOUT:
		return parse_int("--connect-timeout", value, 0, INT_MAX,
				 "the connect timeout in milliseconds (0 = the kernel's)",
				 &opts->connect_timeout_ms, err, argv0);
	case OPT_MESSAGES:
		return parse_long("--messages", value, 1, STRESS_MAX_MESSAGES_PER_CALL,
				  "the number of messages per call", &opts->messages_per_call, err, argv0);
	case OPT_LATENCY:
		opts->latency = true;
		return true;
	case OPT_JSON:
		if (value[0] == '\0') {
			fprintf(err, "%s: --json needs a file name, or - for standard output\n", argv0);
			return false;
		}
		opts->json_path = value;
		return true;
	case OPT_STRICT:
		opts->strict = true;
		return true;
	case OPT_LEAK_CHECK:
		opts->leak_check = true;
		return true;
	case OPT_XOT:
		opts->xot = value;
		return true;
	default:
		fprintf(err, "%s: internal error: option key %d has no handler\n", argv0, key);
		return false;
	}
}

/* --xot's value, now that -r is known, and what XOT mode cannot do. */
static bool check_xot(struct stress_options *opts, FILE *err, const char *argv0)
{
	char error[200];

	if (opts->leak_check) {
		fprintf(err, "%s: --leak-check reads /proc/net/x25/socket, where XOT calls never "
			     "appear (they are TCP connections): drop --leak-check or --xot\n",
			argv0);
		return false;
	}
	if (xotlib_parse_endpoint(opts->xot, opts->receiver, opts->xot_host, sizeof(opts->xot_host),
				  opts->xot_port, sizeof(opts->xot_port), error,
				  sizeof(error)) < 0) {
		fprintf(err, "%s: --xot %s\n", argv0, error);
		return false;
	}
	if (!opts->receiver && (opts->xot_host[0] == '\0' ||
				strspn(opts->xot_host, "0123456789") == strlen(opts->xot_host))) {
		fprintf(err, "%s: --xot '%s': a sender needs the peer's HOST:PORT (a port alone is "
			     "for -r)\n",
			argv0, opts->xot);
		return false;
	}
	if (!opts->receiver && strcmp(opts->xot_port, "0") == 0) {
		fprintf(err, "%s: --xot '%s': port 0 is only for -r (any free port)\n", argv0,
			opts->xot);
		return false;
	}
	return true;
}

enum stress_parse_result stress_options_parse(struct stress_options *opts, int argc, char **argv,
					      FILE *out, FILE *err)
{
	char shortopts[2 * OPTION_COUNT + 2];
	struct option longopts[OPTION_COUNT + 1];
	const char *argv0 = argc > 0 ? argv[0] : "x25stress";
	char label[32];
	int key;

	build_getopt_tables(shortopts, sizeof(shortopts), longopts);
	optind = 0; /* glibc: full re-initialisation, so tests can parse repeatedly */
	opterr = 0;
	while ((key = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (key) {
		case 'h':
			print_help(out, argv0);
			return STRESS_PARSE_EXIT_OK;
		case OPT_VERSION:
			fprintf(out, "x25stress %s\n", X25LO_VERSION);
			return STRESS_PARSE_EXIT_OK;
		case ':':
			option_label(label, sizeof(label), optopt);
			fprintf(err, "%s: %s needs a value\n", argv0, label);
			stress_print_usage(err, argv0);
			return STRESS_PARSE_EXIT_USAGE;
		case '?':
			if (optopt > 0 && optopt < 256)
				fprintf(err, "%s: unknown option -%c\n", argv0, optopt);
			else
				fprintf(err, "%s: unknown option, or a value it does not take: %s\n",
					argv0, argv[optind - 1]);
			stress_print_usage(err, argv0);
			return STRESS_PARSE_EXIT_USAGE;
		default:
			if (!apply_option(opts, key, optarg, err, argv0)) {
				stress_print_usage(err, argv0);
				return STRESS_PARSE_EXIT_USAGE;
			}
		}
	}
	if (optind < argc) {
		fprintf(err, "%s: unexpected argument '%s' (all settings are options)\n", argv0,
			argv[optind]);
		stress_print_usage(err, argv0);
		return STRESS_PARSE_EXIT_USAGE;
	}
	if (opts->xot && !check_xot(opts, err, argv0)) {
		stress_print_usage(err, argv0);
		return STRESS_PARSE_EXIT_USAGE;
	}
	return STRESS_PARSE_RUN;
}

const char *stress_calling_base(const struct stress_options *opts, char base[STRESS_CALLING_BASE_LEN + 1])
{
	if (opts->local_addr[0] == '\0') {
		strcpy(base, "127001");
	} else {
		memcpy(base, opts->local_addr, STRESS_CALLING_BASE_LEN);
		base[STRESS_CALLING_BASE_LEN] = '\0';
	}
	return base;
}
