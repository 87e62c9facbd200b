/* stress_leak.c - read /proc/net/x25/socket and wait (bounded) for clearing sockets to go. */
#include "stress_leak.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROC_HEADER_START "dest_addr"
#define PROC_FIELDS_AFTER_ADDRESSES 14 /* dev lci st vs vr va t t2 t21 t22 t23 Snd-Q Rcv-Q inode */
#define MAX_ROW_FIELDS 32

static bool state_is_leak(int state)
{
	return state == 1 || state == 2 || state == 4 || state == 5;
}

/*
 * Parse one row. Addresses are printed with %s and a listener on the null address has 15
 * spaces as its address, so the row is read from the right, where every field is a number.
 */
static int parse_row(const char *line, size_t len, int *state, long *inode)
{
	char copy[512];
	char *fields[MAX_ROW_FIELDS];
	int count = 0;
	char *save = NULL;

	if (len >= sizeof(copy))
		return -1;
	memcpy(copy, line, len);
	copy[len] = '\0';
	for (char *f = strtok_r(copy, " \t", &save); f && count < MAX_ROW_FIELDS;
	     f = strtok_r(NULL, " \t", &save))
		fields[count++] = f;
	if (count < PROC_FIELDS_AFTER_ADDRESSES)
		return -1;

	char *end;
	const char *state_field = fields[count - 12];
	const char *inode_field = fields[count - 1];
	long st = strtol(state_field, &end, 10);
	if (*end || st < 0 || st > 5)
		return -1;
	long ino = strtol(inode_field, &end, 10);
	if (*end || ino < 0)
		return -1;
	*state = (int)st;
	*inode = ino;
	return 0;
}

static void append_row(char *rows, size_t rows_len, const char *line, size_t len)
{
	size_t used = strlen(rows);

	if (used + len + 2 > rows_len)
		return;
	memcpy(rows + used, line, len);
	rows[used + len] = '\n';
	rows[used + len + 1] = '\0';
}

int leak_tally_parse(const char *text, struct leak_tally *tally, char *rows, size_t rows_len)
{
	int listed = 0;
	bool header_seen = false;

	memset(tally, 0, sizeof(*tally));
	if (rows && rows_len)
		rows[0] = '\0';
	for (const char *line = text; *line;) {
		const char *newline = strchr(line, '\n');
		size_t len = newline ? (size_t)(newline - line) : strlen(line);

		if (!header_seen) {
			if (strncmp(line, PROC_HEADER_START, strlen(PROC_HEADER_START)) != 0)
				return -1;
			header_seen = true;
		} else if (len > 0) {
			int state;
			long inode;

			if (parse_row(line, len, &state, &inode) < 0)
				return -1;
			tally->sockets++;
			tally->in_state[state]++;
			if (inode == 0)
				tally->orphans++;
			if (state_is_leak(state) || inode == 0) {
				tally->leaked++;
				if (rows && listed++ < LEAK_LISTED_ROWS)
					append_row(rows, rows_len, line, len);
			}
		}
		line += len + (newline ? 1 : 0);
	}
	return header_seen ? 0 : -1;
}

/* The whole file: /proc files must be read in a loop, their size is not known up front. */
static char *read_whole_file(const char *path, char *error, size_t error_len)
{
	FILE *f = fopen(path, "r");
	size_t used = 0, capacity = 65536;
	char *text;

	if (!f) {
		snprintf(error, error_len, "cannot open %s: %s (is the x25 module loaded?)", path,
			 strerror(errno));
		return NULL;
	}
	text = malloc(capacity);
	while (text) {
		size_t got = fread(text + used, 1, capacity - used - 1, f);

		used += got;
		if (used + 1 < capacity)
			break;
		char *grown = realloc(text, capacity * 2);
		if (!grown) {
			free(text);
			text = NULL;
			break;
		}
		text = grown;
		capacity *= 2;
	}
	if (!text)
		snprintf(error, error_len, "out of memory reading %s", path);
	else if (ferror(f)) {
		snprintf(error, error_len, "cannot read %s: %s", path, strerror(errno));
		free(text);
		text = NULL;
	} else {
		text[used] = '\0';
	}
	fclose(f);
	return text;
}

static double monotonic_seconds(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

void leak_check_run(const char *path, double max_wait_s, struct leak_report *report)
{
	const struct timespec poll_interval = { 0, LEAK_POLL_MS * 1000000L };
	double start = monotonic_seconds();

	memset(report, 0, sizeof(*report));
	for (;;) {
		char *text = read_whole_file(path, report->error, sizeof(report->error));

		if (!text)
			return;
		int parsed = leak_tally_parse(text, &report->tally, report->rows, sizeof(report->rows));
		free(text);
		if (parsed < 0) {
			snprintf(report->error, sizeof(report->error),
				 "%s is not in the format of Linux 6.1 (header or a row not understood)", path);
			return;
		}
		report->checked = true;
		report->waited_s = monotonic_seconds() - start;
		if (report->tally.leaked == 0 || report->waited_s >= max_wait_s)
			return;
		nanosleep(&poll_interval, NULL);
	}
}

void leak_report_print(FILE *out, const struct leak_report *report)
{
	const struct leak_tally *t = &report->tally;

	fputs("\n--- Leak Check ---\n", out);
	if (!report->checked) {
		fprintf(out, "Leak Check Failed: %s\n", report->error);
		return;
	}
	fprintf(out, "Sockets Leaked: %d (state 1: %d, state 2: %d, state 4: %d, state 5: %d, orphaned: %d)\n",
		t->leaked, t->in_state[1], t->in_state[2], t->in_state[4], t->in_state[5], t->orphans);
	fprintf(out, "Sockets Listed: %d (state 0: %d, state 3: %d)\n", t->sockets, t->in_state[0],
		t->in_state[3]);
	fprintf(out, "Leak Check Wait: %.2f seconds\n", report->waited_s);
	if (t->leaked > 0)
		fprintf(out, "Leaked sockets (at most %d shown):\n%s", LEAK_LISTED_ROWS,
			report->rows);
}
