/* x25test_proc.c - `x25test sockets`, `wait-clean` and `wait-file`: bounded waits on kernel state.
 *
 * Leak checks cannot look once: a closed call lingers in state 2 until the CLEAR CONFIRMATION
 * and then as an orphan (inode 0) until the 5 s heartbeat frees it (vm-findings §4). So these
 * poll /proc every 100 ms until the condition holds or the timeout runs out.
 */
#include "x25test.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROC_X25_SOCKET "/proc/net/x25/socket"
#define POLL_INTERVAL_MS 100

/* One row of /proc/net/x25/socket; see x25_proc.c for the format. */
struct socket_row {
	char dest[16];
	char src[16];
	char dev[32];
	unsigned lci;
	int state;
	unsigned long inode;
	char line[256];
};

struct socket_census {
	int total;
	int listeners_or_idle; /* state 0 with an inode: listeners, or sockets not yet connected */
	int in_state[6];       /* states 1..5 */
	int orphans;           /* state 0, inode 0: closed, waiting for the heartbeat */
	struct socket_row unclean[32];
	int unclean_count;
};

/*
 * The two address columns can be empty-looking or even all spaces (a wildcard listener is
 * bound to 15 spaces), so fields are taken from the right: the last 14 are fixed.
 */
static bool parse_socket_row(const char *line, struct socket_row *row)
{
	char copy[256];
	char *fields[24];
	int count = 0;
	char *save = NULL;

	snprintf(copy, sizeof(copy), "%s", line);
	for (char *tok = strtok_r(copy, " \t\n", &save); tok && count < 24;
	     tok = strtok_r(NULL, " \t\n", &save))
		fields[count++] = tok;
	if (count < 14)
		return false;
	memset(row, 0, sizeof(*row));
	snprintf(row->line, sizeof(row->line), "%.*s", (int)strcspn(line, "\n"), line);
	if (count >= 16) {
		snprintf(row->dest, sizeof(row->dest), "%s", fields[count - 16]);
		snprintf(row->src, sizeof(row->src), "%s", fields[count - 15]);
	}
	snprintf(row->dev, sizeof(row->dev), "%s", fields[count - 14]);
	row->lci = (unsigned)strtoul(fields[count - 13], NULL, 16);
	row->state = atoi(fields[count - 12]);
	row->inode = strtoul(fields[count - 1], NULL, 10);
	return true;
}

/* Returns 0, or -1 if the file cannot be read (x25.ko not loaded). */
static int take_census(struct socket_census *census)
{
	FILE *f = fopen(PROC_X25_SOCKET, "r");
	char line[256];

	memset(census, 0, sizeof(*census));
	if (!f) {
		fail_msg("cannot open %s: %s (is x25.ko loaded?)", PROC_X25_SOCKET, strerror(errno));
		return -1;
	}
	if (!fgets(line, sizeof(line), f)) { /* header */
		fclose(f);
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		struct socket_row row;
		bool unclean;

		if (!parse_socket_row(line, &row))
			continue;
		census->total++;
		if (row.state >= 1 && row.state <= 5)
			census->in_state[row.state]++;
		else if (row.inode == 0)
			census->orphans++;
		else
			census->listeners_or_idle++;
		unclean = (row.state != 0) || row.inode == 0;
		if (unclean && census->unclean_count < (int)(sizeof(census->unclean) /
							     sizeof(census->unclean[0])))
			census->unclean[census->unclean_count++] = row;
	}
	fclose(f);
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
		fprintf(out, "  %s\n", c->unclean[i].line);
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
	FILE *f;
	char line[256];

	parse_timeout_only("sockets", argc, argv, 0);
	f = fopen(PROC_X25_SOCKET, "r");
	if (!f)
		die_setup("cannot open %s: %s (is x25.ko loaded?)", PROC_X25_SOCKET, strerror(errno));
	while (fgets(line, sizeof(line), f))
		fputs(line, stdout);
	fclose(f);
	if (take_census(&census) < 0)
		return EXIT_SETUP;
	print_census(stdout, &census, false); /* rows were printed in full above */
	return EXIT_OK;
}

int wait_clean_main(int argc, char **argv)
{
	double timeout = parse_timeout_only("wait-clean", argc, argv, 0);
	double start = monotonic_seconds();
	struct socket_census census;

	for (;;) {
		if (take_census(&census) < 0)
			return EXIT_SETUP;
		if (census_is_clean(&census)) {
			printf("clean after %.1f s: ", monotonic_seconds() - start);
			print_census(stdout, &census, true);
			return EXIT_OK;
		}
		if (monotonic_seconds() - start >= timeout)
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
	double start = monotonic_seconds();

	while (access(path, F_OK) != 0) {
		if (monotonic_seconds() - start >= timeout) {
			fail_msg("wait-file: %s did not appear within %.1f s", path, timeout);
			return EXIT_TIMEOUT;
		}
		sleep_ms(POLL_INTERVAL_MS / 2);
	}
	return EXIT_OK;
}
