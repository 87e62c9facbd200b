/* stress_report.h - everything a run prints: goxot's summary, the extras, JSON, the verdict. */
#ifndef X25STRESS_REPORT_H
#define X25STRESS_REPORT_H

#include "stress_counters.h"
#include "stress_latency.h"
#include "stress_leak.h"
#include "stress_options.h"

#include <stdbool.h>
#include <stdio.h>

struct stress_report {
	const struct stress_options *opts;
	struct stress_totals totals;
	double duration_s;
	int interrupted_by; /* signal number, 0 if the run ended by itself */
	bool have_latency;  /* --latency */
	struct latency_stats call_setup, echo;
	bool have_leak;     /* --leak-check */
	struct leak_report leak;
};

/*
 * goxot's summary, line for line (goxot.md §4.4): starts with an empty line, ends with the
 * dashes. The two bandwidth lines only when duration_s > 0. With show_connect_timeouts
 * the "Connect Timeouts" line of later goxot versions follows "Accept Errors".
 */
void stress_summary_print(FILE *out, const struct stress_totals *t, double duration_s,
			  bool show_connect_timeouts);

/* The whole text report: interrupt banner, summary, then the opt-in blocks. */
void stress_report_print(FILE *out, const struct stress_report *report);

/* Write the report as JSON to path ("-" = out). Returns 0, or -1 after a message on err. */
int stress_report_write_json(const struct stress_report *report, const char *path, FILE *out,
			     FILE *err);

/* --strict verdict: true if any call failed, data mismatched, an error was counted or a socket leaked. */
bool stress_report_failed(const struct stress_report *report);

#endif
