/* stress_leak.h - leak check: X.25 sockets still clearing or orphaned after a run. */
#ifndef X25STRESS_LEAK_H
#define X25STRESS_LEAK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define LEAK_PROC_PATH "/proc/net/x25/socket"
/*
 * The kernel frees a closed socket only on its 5 s heartbeat after the clear completes
 * (vm-findings.md §4), and an orphan can just have missed one: 12 s covers two beats.
 */
#define LEAK_MAX_WAIT_S 12.0
#define LEAK_POLL_MS 100
#define LEAK_LISTED_ROWS 20

struct leak_tally {
	int sockets;     /* rows in the file */
	int in_state[6]; /* by X.25 state: 0 ready, 1 calling, 2 clearing, 3 data, 4 reset, 5 call accepted */
	int orphans;     /* inode 0: no process holds them */
	int leaked;      /* state 1, 2, 4 or 5, or orphaned */
};

struct leak_report {
	bool checked;   /* false: the file could not be read; see error */
	char error[160];
	struct leak_tally tally;
	double waited_s;
	char rows[LEAK_LISTED_ROWS * 120]; /* the first leaked rows, as the kernel printed them */
};

/*
 * Tally the text of /proc/net/x25/socket. Returns 0, or -1 if the text is not in the
 * kernel's format (then *tally is partial). Up to LEAK_LISTED_ROWS leaked rows are copied to
 * rows (NUL-terminated) when rows is not NULL.
 */
int leak_tally_parse(const char *text, struct leak_tally *tally, char *rows, size_t rows_len);

/* Read path until nothing is leaked or max_wait_s has passed; fill *report. */
void leak_check_run(const char *path, double max_wait_s, struct leak_report *report);

/* The "--- Leak Check ---" block of the text summary. */
void leak_report_print(FILE *out, const struct leak_report *report);

#endif
