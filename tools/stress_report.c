/* stress_report.c - print the run's results: goxot's summary format, extras, JSON, verdict. */
#include "stress_report.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>

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
	return json_pack("{s:s, s:i, s:i, s:s, s:s, s:i, s:i, s:I, s:s, s:i, s:i, s:i, s:I}",
			 "mode", o->receiver ? "receiver" : "sender", "threads", o->threads,
			 "max_message", o->max_message, "called_start", o->called_start,
			 "called_end", o->called_end, "backoff_ms", o->backoff_ms, "run_time_s",
			 o->run_time_s, "max_calls", (json_int_t)o->max_calls, "local_addr",
			 o->local_addr, "window", o->window, "packet_size", o->packet_size,
			 "connect_timeout_ms", o->connect_timeout_ms, "messages_per_call",
			 (json_int_t)o->messages_per_call);
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
