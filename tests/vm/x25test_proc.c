// SPDX-License-Identifier: GPL-2.0-or-later
/* x25test_proc.c - `x25test sockets`, `wait-clean` and `wait-file`: bounded waits on kernel state.
 *
 * Leak checks cannot look once: a closed call lingers in state 2 until the CLEAR CONFIRMATION
 * and then as an orphan (inode 0) until the 5 s heartbeat frees it (docs/linux-x25.md §9.4).
 * So these poll /proc every 100 ms until the condition holds or the timeout runs out.
 */
#include "x25test.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define POLL_INTERVAL_MS 100

struct socket_census {
	int total;
	int listeners_or_idle; /* state 0 with an inode: listeners, or sockets not yet connected */
	int in_state[6];       /* states 1..5 */
	int orphans;           /* state 0, inode 0: closed, waiting for the heartbeat */
	char unclean[32][256]; /* rows in states 1..5 or orphaned, as the kernel printed them */
	int unclean_count;
};

/* Tally the rows of the file's text; a line not in the kernel's format is passed over. */
static void tally_census(const char *text, struct socket_census *census)
{
	const char *cursor = text;
	struct x25_proc_socket row;
	int found;

	memset(census, 0, sizeof(*census));
	x25_proc_skip_header(&cursor); /* the first line, whatever it holds */
	while ((found = x25_proc_next_socket(&cursor, &row)) != 0) {
		if (found < 0)
			continue;
		census->total++;
		if (row.state >= 1 && row.state <= 5)
			census->in_state[row.state]++;
		else if (row.inode == 0)
			census->orphans++;
		else
			census->listeners_or_idle++;
		if ((row.state != 0 || row.inode == 0) && census->unclean_count < 32)
			snprintf(census->unclean[census->unclean_count++], sizeof(census->unclean[0]),
				 "%.*s", (int)row.line_len, row.line);
	}
}

/* Returns 0, or -1 if the file cannot be read (x25.ko not loaded). */
static int take_census(struct socket_census *census)
{
	char error[160];
	char *text = x25_proc_read(X25_PROC_SOCKET, error, sizeof(error));

	if (!text) {
		fail_msg("%s", error);
		return -1;
	}
	tally_census(text, census);
	free(text);
	return 0;
}

static bool census_is_clean(const struct socket_census *c)
{
	return c->orphans == 0 && c->in_state[1] == 0 && c->in_state[2] == 0 &&
	       c->in_state[3] == 0 && c->in_state[4] == 0 && c->in_state[5] == 0;
}

static void print_census(FILE *out, const struct socket_census *c, bool with_rows)
{
	fprintf(out, "sockets total=%d listeners=%d st1=%d st2=%d st3=%d st4=%d st5=%d orphans=%d\n",
		c->total, c->listeners_or_idle, c->in_state[1], c->in_state[2], c->in_state[3],
		c->in_state[4], c->in_state[5], c->orphans);
	if (!with_rows)
		return;
	for (int i = 0; i < c->unclean_count; i++)
		fprintf(out, "  %s\n", c->unclean[i]);
	if (c->unclean_count < c->total - c->listeners_or_idle)
		fprintf(out, "  ... (%d more not shown)\n",
			c->total - c->listeners_or_idle - c->unclean_count);
	fflush(out);
}

static void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Parses `--timeout S` (seconds, fractions allowed) as the only option of the wait commands. */
static double parse_timeout_only(const char *cmd, int argc, char **argv, int want_args)
{
	static const struct option longopts[] = {
		{"timeout", required_argument, NULL, 't'},
		{"verbose", no_argument, NULL, 'v'},
		{NULL, 0, NULL, 0},
	};
	double timeout = 10.0;
	int c;

	while ((c = getopt_long(argc, argv, "t:v", longopts, NULL)) != -1) {
		char *end = NULL;

		switch (c) {
		case 't':
			timeout = strtod(optarg, &end);
			if (end == optarg || *end != '\0' || timeout < 0 || timeout > 86400)
				die_usage("%s: --timeout expects seconds 0..86400, got \"%s\"", cmd, optarg);
			break;
		case 'v': x25test_verbose = true; break;
		default: die_usage("%s: unknown option", cmd);
		}
	}
	if (argc - optind != want_args)
		die_usage("%s: expected %d argument(s)", cmd, want_args);
	return timeout;
}

int sockets_main(int argc, char **argv)
{
	struct socket_census census;
	char error[160], *text;

	parse_timeout_only("sockets", argc, argv, 0);
	text = x25_proc_read(X25_PROC_SOCKET, error, sizeof(error));
	if (!text)
		die_setup("%s", error);
	fputs(text, stdout);
	tally_census(text, &census);
	free(text);
	print_census(stdout, &census, false); /* rows were printed in full above */
	return EXIT_OK;
}

int wait_clean_main(int argc, char **argv)
{
	double timeout = parse_timeout_only("wait-clean", argc, argv, 0);
	double start = x25_monotonic_seconds();
	struct socket_census census;

	for (;;) {
		if (take_census(&census) < 0)
			return EXIT_SETUP;
		if (census_is_clean(&census)) {
			printf("clean after %.1f s: ", x25_monotonic_seconds() - start);
			print_census(stdout, &census, true);
			return EXIT_OK;
		}
		if (x25_monotonic_seconds() - start >= timeout)
			break;
		sleep_ms(POLL_INTERVAL_MS);
	}
	fail_msg("wait-clean: X.25 sockets still busy after %.1f s:", timeout);
	print_census(stderr, &census, true);
	return EXIT_TIMEOUT;
}

int wait_file_main(int argc, char **argv)
{
	double timeout = parse_timeout_only("wait-file", argc, argv, 1);
	const char *path = argv[optind];
	double start = x25_monotonic_seconds();

	while (access(path, F_OK) != 0) {
		if (x25_monotonic_seconds() - start >= timeout) {
			fail_msg("wait-file: %s did not appear within %.1f s", path, timeout);
			return EXIT_TIMEOUT;
		}
		sleep_ms(POLL_INTERVAL_MS / 2);
	}
	return EXIT_OK;
}
