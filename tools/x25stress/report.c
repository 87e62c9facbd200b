// SPDX-License-Identifier: GPL-2.0-or-later
/* report.c - what a run found: the counters, latency figures and leak check, printed as
 * goxot's summary (docs/x25stress.md, "The summary") with the opt-in blocks, as JSON, and
 * the --strict verdict. */
#include "x25stress.h"
#include "x25lib.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* --- counters --- */

void stress_counters_init(struct stress_counters *c)
{
	memset(c, 0, sizeof(*c));
	atomic_init(&c->packet_in_min, INT_MAX);
	atomic_init(&c->packet_out_min, INT_MAX);
	atomic_init(&c->window_in_min, INT_MAX);
	atomic_init(&c->window_out_min, INT_MAX);
}

static long load(atomic_long *counter)
{
	return atomic_load_explicit(counter, memory_order_relaxed);
}

static int load_min(atomic_int *value)
{
	int v = atomic_load_explicit(value, memory_order_relaxed);

	return v == INT_MAX ? 0 : v;
}

static int load_max(atomic_int *value)
{
	return atomic_load_explicit(value, memory_order_relaxed);
}

void stress_counters_snapshot(struct stress_counters *c, struct stress_totals *t)
{
	t->calls_made = load(&c->calls_made);
	t->calls_received = load(&c->calls_received);
	t->calls_failed = load(&c->calls_failed);
	t->packets_sent = load(&c->packets_sent);
	t->packets_received = load(&c->packets_received);
	t->bytes_sent = load(&c->bytes_sent);
	t->bytes_received = load(&c->bytes_received);
	t->data_mismatches = load(&c->data_mismatches);
	t->socket_errors = load(&c->socket_errors);
	t->setsockopt_errors = load(&c->setsockopt_errors);
	t->bind_errors = load(&c->bind_errors);
	t->facilities_errors = load(&c->facilities_errors);
	t->short_receives = load(&c->short_receives);
	t->write_errors = load(&c->write_errors);
	t->accept_errors = load(&c->accept_errors);
	t->connect_timeouts = load(&c->connect_timeouts);
	t->calls_connected = load(&c->calls_connected);
	t->packet_in_min = load_min(&c->packet_in_min);
	t->packet_in_max = load_max(&c->packet_in_max);
	t->packet_out_min = load_min(&c->packet_out_min);
	t->packet_out_max = load_max(&c->packet_out_max);
	t->window_in_min = load_min(&c->window_in_min);
	t->window_in_max = load_max(&c->window_in_max);
	t->window_out_min = load_min(&c->window_out_min);
	t->window_out_max = load_max(&c->window_out_max);
}

static void lower_to(atomic_int *min, int value)
{
	int seen = atomic_load_explicit(min, memory_order_relaxed);

	while (value < seen && !atomic_compare_exchange_weak(min, &seen, value))
		;
}

static void raise_to(atomic_int *max, int value)
{
	int seen = atomic_load_explicit(max, memory_order_relaxed);

	while (value > seen && !atomic_compare_exchange_weak(max, &seen, value))
		;
}

void stress_counters_facilities(struct stress_counters *c, int packet_in, int packet_out,
				int window_in, int window_out)
{
	lower_to(&c->packet_in_min, packet_in);
	raise_to(&c->packet_in_max, packet_in);
	lower_to(&c->packet_out_min, packet_out);
	raise_to(&c->packet_out_max, packet_out);
	lower_to(&c->window_in_min, window_in);
	raise_to(&c->window_in_max, window_in);
	lower_to(&c->window_out_min, window_out);
	raise_to(&c->window_out_max, window_out);
}

/* --- latency --- */

void latency_add(struct latency_samples *s, uint64_t ns)
{
	if (s->count == s->capacity) {
		size_t capacity = s->capacity ? 2 * s->capacity : 1024;
		uint64_t *grown = realloc(s->ns, capacity * sizeof(*grown));

		if (!grown) {
			s->out_of_memory = true;
			return;
		}
		s->ns = grown;
		s->capacity = capacity;
	}
	s->ns[s->count++] = ns;
}

void latency_merge(struct latency_samples *into, struct latency_samples *from)
{
	for (size_t i = 0; i < from->count; i++)
		latency_add(into, from->ns[i]);
	into->out_of_memory |= from->out_of_memory;
	latency_free(from);
}

void latency_free(struct latency_samples *s)
{
	free(s->ns);
	memset(s, 0, sizeof(*s));
}

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest rank: the smallest sample with at least percent% of the samples at or below it. */
static uint64_t nearest_rank(const uint64_t *sorted, size_t count, unsigned percent)
{
	size_t rank = (count * percent + 99) / 100;

	return sorted[rank ? rank - 1 : 0];
}

void latency_summarize(struct latency_samples *s, struct latency_stats *stats)
{
	memset(stats, 0, sizeof(*stats));
	stats->incomplete = s->out_of_memory;
	if (s->count == 0)
		return;
	qsort(s->ns, s->count, sizeof(*s->ns), compare_u64);
	stats->count = s->count;
	stats->min_ms = (double)s->ns[0] / 1e6;
	stats->median_ms = (double)nearest_rank(s->ns, s->count, 50) / 1e6;
	stats->p99_ms = (double)nearest_rank(s->ns, s->count, 99) / 1e6;
	stats->max_ms = (double)s->ns[s->count - 1] / 1e6;
}

void latency_print(FILE *out, const char *label, const struct latency_stats *stats)
{
	fprintf(out, "%s Count: %zu, Min: %.3f, Median: %.3f, P99: %.3f, Max: %.3f%s\n", label,
		stats->count, stats->min_ms, stats->median_ms, stats->p99_ms, stats->max_ms,
		stats->incomplete ? " (some samples lost: out of memory)" : "");
}

/* --- leak check --- */

/* A leaked socket is one a finished run should not leave: calling, clearing, reset or
 * accepted-but-unanswered (states 1, 2, 4, 5), or an orphan no process holds (inode 0). */
static bool socket_leaked(const struct x25_proc_socket *s)
{
	return s->state == 1 || s->state == 2 || s->state == 4 || s->state == 5 || s->inode == 0;
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
	const char *cursor = text;
	struct x25_proc_socket s;
	int listed = 0, more;

	memset(tally, 0, sizeof(*tally));
	if (rows && rows_len)
		rows[0] = '\0';
	if (!x25_proc_skip_header(&cursor))
		return -1;
	while ((more = x25_proc_next_socket(&cursor, &s)) > 0) {
		tally->sockets++;
		tally->in_state[s.state]++;
		if (s.inode == 0)
			tally->orphans++;
		if (socket_leaked(&s)) {
			tally->leaked++;
			if (rows && listed++ < LEAK_LISTED_ROWS)
				append_row(rows, rows_len, s.line, s.line_len);
		}
	}
	return more; /* 0 at the end, -1 at a row not in the kernel's format */
}

void leak_check_run(const char *path, double max_wait_s, struct leak_report *report)
{
	const struct timespec poll_interval = { 0, LEAK_POLL_MS * 1000000L };
	double start = x25_monotonic_seconds();

	memset(report, 0, sizeof(*report));
	for (;;) {
		char *text = x25_proc_read(path, report->error, sizeof(report->error));

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
		report->waited_s = x25_monotonic_seconds() - start;
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

/* --- the summary, its extras, JSON and the verdict --- */

static double kib_per_second(long bytes, double duration_s)
{
	return ((double)bytes / 1024.0) / duration_s;
}

void stress_summary_print(FILE *out, const struct stress_totals *t, double duration_s,
			  bool show_connect_timeouts)
{
	fprintf(out, "\n--- Stress Test Summary ---\n");
	fprintf(out, "Run Time: %.2f seconds\n", duration_s);
	fprintf(out, "Calls Made: %ld\n", t->calls_made);
	fprintf(out, "Calls Received: %ld\n", t->calls_received);
	fprintf(out, "Calls Failed: %ld\n", t->calls_failed);
	fprintf(out, "Packets Sent: %ld\n", t->packets_sent);
	fprintf(out, "Packets Received: %ld\n", t->packets_received);
	fprintf(out, "Bytes Sent: %ld\n", t->bytes_sent);
	fprintf(out, "Bytes Received: %ld\n", t->bytes_received);
	fprintf(out, "Data Mismatches: %ld\n", t->data_mismatches);
	fprintf(out, "\n--- Errors/Timeouts ---\n");
	fprintf(out, "Socket Errors: %ld\n", t->socket_errors);
	fprintf(out, "Setsockopt Errors: %ld\n", t->setsockopt_errors);
	fprintf(out, "Bind Errors: %ld\n", t->bind_errors);
	fprintf(out, "Facilities Errors: %ld\n", t->facilities_errors);
	fprintf(out, "Short Receives: %ld\n", t->short_receives);
	fprintf(out, "Write Errors: %ld\n", t->write_errors);
	fprintf(out, "Accept Errors: %ld\n", t->accept_errors);
	if (show_connect_timeouts)
		fprintf(out, "Connect Timeouts: %ld\n", t->connect_timeouts);
	/* The "(In):" lines carry two spaces so the columns line up, as goxot prints them. */
	fprintf(out, "Packet Size Negotiated (In):  Min: %d, Max: %d\n", t->packet_in_min, t->packet_in_max);
	fprintf(out, "Packet Size Negotiated (Out): Min: %d, Max: %d\n", t->packet_out_min, t->packet_out_max);
	fprintf(out, "Window Size Negotiated (In):  Min: %d, Max: %d\n", t->window_in_min, t->window_in_max);
	fprintf(out, "Window Size Negotiated (Out): Min: %d, Max: %d\n", t->window_out_min, t->window_out_max);
	if (duration_s > 0) {
		fprintf(out, "Average Bandwidth (Sent): %.2f KB/s\n", kib_per_second(t->bytes_sent, duration_s));
		fprintf(out, "Average Bandwidth (Recv): %.2f KB/s\n",
			kib_per_second(t->bytes_received, duration_s));
	}
	fprintf(out, "---------------------------\n");
}

void stress_report_print(FILE *out, const struct stress_report *report)
{
	if (report->interrupted_by)
		fprintf(out, "\nInterrupted by signal %d\n", report->interrupted_by);
	stress_summary_print(out, &report->totals, report->duration_s,
			     report->opts->connect_timeout_ms > 0);
	if (report->have_latency) {
		fputs("\n--- Latency (ms) ---\n", out);
		latency_print(out, "Call Setup:", &report->call_setup);
		latency_print(out, "Echo:", &report->echo);
	}
	if (report->have_leak)
		leak_report_print(out, &report->leak);
	fflush(out);
}

static json_t *min_max(int min, int max)
{
	return json_pack("{s:i, s:i}", "min", min, "max", max);
}

static json_t *latency_json(const struct latency_stats *s)
{
	return json_pack("{s:I, s:f, s:f, s:f, s:f, s:b}", "count", (json_int_t)s->count, "min",
			 s->min_ms, "median", s->median_ms, "p99", s->p99_ms, "max", s->max_ms,
			 "incomplete", s->incomplete);
}

static json_t *leak_json(const struct leak_report *leak)
{
	const struct leak_tally *t = &leak->tally;

	if (!leak->checked)
		return json_pack("{s:b, s:s}", "checked", 0, "error", leak->error);
	return json_pack("{s:b, s:i, s:i, s:i, s:[i,i,i,i,i,i], s:f}", "checked", 1, "leaked",
			 t->leaked, "orphans", t->orphans, "sockets", t->sockets, "by_state",
			 t->in_state[0], t->in_state[1], t->in_state[2], t->in_state[3],
			 t->in_state[4], t->in_state[5], "waited_s", leak->waited_s);
}

static json_t *options_json(const struct stress_options *o)
{
	json_t *options = json_pack("{s:s, s:i, s:i, s:s, s:s, s:i, s:i, s:I, s:s, s:i, s:i, s:i, s:I}",
			 "mode", o->receiver ? "receiver" : "sender", "threads", o->threads,
			 "max_message", o->max_message, "called_start", o->called_start,
			 "called_end", o->called_end, "backoff_ms", o->backoff_ms, "run_time_s",
			 o->run_time_s, "max_calls", (json_int_t)o->max_calls, "local_addr",
			 o->local_addr, "window", o->window, "packet_size", o->packet_size,
			 "connect_timeout_ms", o->connect_timeout_ms, "messages_per_call",
			 (json_int_t)o->messages_per_call);

	/* only in XOT mode, so that AF_X25 mode's JSON stays as it was */
	if (options && o->xot)
		json_object_set_new(options, "xot", json_string(o->xot));
	return options;
}

static json_t *report_json(const struct stress_report *r)
{
	const struct stress_totals *t = &r->totals;
	double d = r->duration_s;
	json_t *root = json_object();

	json_object_set_new(root, "options", options_json(r->opts));
	json_object_set_new(root, "interrupted_by_signal", json_integer(r->interrupted_by));
	json_object_set_new(root, "run_time_s", json_real(d));
	json_object_set_new(root, "calls_made", json_integer(t->calls_made));
	json_object_set_new(root, "calls_connected", json_integer(t->calls_connected));
	json_object_set_new(root, "calls_received", json_integer(t->calls_received));
	json_object_set_new(root, "calls_failed", json_integer(t->calls_failed));
	json_object_set_new(root, "calls_per_second",
			    json_real(d > 0 ? (double)t->calls_connected / d : 0.0));
	json_object_set_new(root, "packets_sent", json_integer(t->packets_sent));
	json_object_set_new(root, "packets_received", json_integer(t->packets_received));
	json_object_set_new(root, "bytes_sent", json_integer(t->bytes_sent));
	json_object_set_new(root, "bytes_received", json_integer(t->bytes_received));
	json_object_set_new(root, "data_mismatches", json_integer(t->data_mismatches));
	json_object_set_new(root, "socket_errors", json_integer(t->socket_errors));
	json_object_set_new(root, "setsockopt_errors", json_integer(t->setsockopt_errors));
	json_object_set_new(root, "bind_errors", json_integer(t->bind_errors));
	json_object_set_new(root, "facilities_errors", json_integer(t->facilities_errors));
	json_object_set_new(root, "short_receives", json_integer(t->short_receives));
	json_object_set_new(root, "write_errors", json_integer(t->write_errors));
	json_object_set_new(root, "accept_errors", json_integer(t->accept_errors));
	json_object_set_new(root, "connect_timeouts", json_integer(t->connect_timeouts));
	json_object_set_new(root, "packet_size_in", min_max(t->packet_in_min, t->packet_in_max));
	json_object_set_new(root, "packet_size_out", min_max(t->packet_out_min, t->packet_out_max));
	json_object_set_new(root, "window_size_in", min_max(t->window_in_min, t->window_in_max));
	json_object_set_new(root, "window_size_out", min_max(t->window_out_min, t->window_out_max));
	json_object_set_new(root, "bandwidth_sent_kib_s",
			    json_real(d > 0 ? kib_per_second(t->bytes_sent, d) : 0.0));
	json_object_set_new(root, "bandwidth_recv_kib_s",
			    json_real(d > 0 ? kib_per_second(t->bytes_received, d) : 0.0));
	if (r->have_latency)
		json_object_set_new(root, "latency_ms",
				    json_pack("{s:o, s:o}", "call_setup", latency_json(&r->call_setup),
					      "echo", latency_json(&r->echo)));
	if (r->have_leak)
		json_object_set_new(root, "leak_check", leak_json(&r->leak));
	json_object_set_new(root, "failed", json_boolean(stress_report_failed(r)));
	return root;
}

int stress_report_write_json(const struct stress_report *report, const char *path, FILE *out,
			     FILE *err)
{
	json_t *root = report_json(report);
	size_t flags = JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10);
	int rc = 0;

	if (!root) {
		fprintf(err, "x25stress: out of memory building the JSON summary\n");
		return -1;
	}
	if (strcmp(path, "-") == 0) {
		if (json_dumpf(root, out, flags) < 0 || fputc('\n', out) == EOF || fflush(out) == EOF) {
			fprintf(err, "x25stress: cannot write the JSON summary to standard output: %s\n",
				strerror(errno));
			rc = -1;
		}
	} else if (json_dump_file(root, path, flags) < 0) {
		fprintf(err, "x25stress: cannot write the JSON summary to %s: %s (check the directory exists and is writable)\n",
			path, strerror(errno));
		rc = -1;
	}
	json_decref(root);
	return rc;
}

bool stress_report_failed(const struct stress_report *r)
{
	const struct stress_totals *t = &r->totals;
	long problems = t->calls_failed + t->data_mismatches + t->short_receives + t->socket_errors +
			t->setsockopt_errors + t->bind_errors + t->facilities_errors + t->write_errors +
			t->accept_errors + t->connect_timeouts;

	if (problems > 0)
		return true;
	return r->have_leak && (!r->leak.checked || r->leak.tally.leaked > 0);
}
