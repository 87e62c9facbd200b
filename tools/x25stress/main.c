// SPDX-License-Identifier: GPL-2.0-or-later
/* main.c - x25stress: parse the options, run the sender threads or the receiver until they
 * end or a signal comes, then report (docs/x25stress.md). */
#include "x25stress.h"
#include "x25lib.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

/*
 * SIGINT and SIGTERM are blocked in every thread and read from a signalfd by the main
 * thread, so the summary is printed by ordinary code once the threads have stopped.
 */
static int take_over_signals(void)
{
	sigset_t stop_signals;

	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	if (pthread_sigmask(SIG_BLOCK, &stop_signals, NULL) != 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &stop_signals, SFD_CLOEXEC);
}

int main(int argc, char **argv)
{
	/* static: the receiver's detached echo threads may still count while the process exits */
	static struct stress_options opts;
	static struct stress_run run;
	static struct stress_report report = { .opts = &opts };
	uint64_t started_ns, ended_ns;
	int signo = 0, rc;

	stress_options_defaults(&opts);
	switch (stress_options_parse(&opts, argc, argv, stdout, stderr)) {
	case STRESS_PARSE_RUN:
		break;
	case STRESS_PARSE_EXIT_OK:
		return STRESS_EXIT_OK;
	case STRESS_PARSE_EXIT_USAGE:
		return STRESS_EXIT_USAGE;
	}

	int signal_fd = take_over_signals();
	if (signal_fd < 0) {
		fprintf(stderr, "x25stress: cannot set up signal handling: %s\n", strerror(errno));
		return STRESS_EXIT_USAGE;
	}
	started_ns = x25_monotonic_ns();
	if (stress_run_init(&run, &opts, time(NULL)) < 0)
		return STRESS_EXIT_USAGE;
	if (opts.xot && stress_xot_prepare(&run) < 0) {
		stress_run_destroy(&run);
		return STRESS_EXIT_USAGE;
	}

	if (opts.receiver)
		rc = opts.xot ? stress_xot_receiver_run(&run, signal_fd, &signo)
			      : stress_receiver_run(&run, signal_fd, &signo);
	else
		rc = stress_sender_run(&run, signal_fd, &signo);
	ended_ns = x25_monotonic_ns();
	if (rc < 0) {
		stress_run_destroy(&run);
		return STRESS_EXIT_USAGE;
	}

	stress_counters_snapshot(&run.counters, &report.totals);
	report.duration_s = (double)(ended_ns - started_ns) / 1e9;
	report.interrupted_by = signo;
	if (opts.latency) {
		report.have_latency = true;
		latency_summarize(&run.call_setup, &report.call_setup);
		latency_summarize(&run.echo, &report.echo);
	}
	if (opts.leak_check) {
		report.have_leak = true;
		leak_check_run(X25_PROC_SOCKET, LEAK_MAX_WAIT_S, &report.leak);
	}
	stress_report_print(stdout, &report);
	rc = STRESS_EXIT_OK;
	if (opts.json_path && stress_report_write_json(&report, opts.json_path, stdout, stderr) < 0)
		rc = STRESS_EXIT_USAGE;
	if (opts.strict && stress_report_failed(&report))
		rc = STRESS_EXIT_FAILURES;
	stress_run_destroy(&run);
	close(signal_fd);
	return rc;
}
