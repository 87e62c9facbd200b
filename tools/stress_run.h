/* stress_run.h - one run of x25stress: the sender threads or the receiver, and what they share. */
#ifndef X25STRESS_RUN_H
#define X25STRESS_RUN_H

#include "stress_address.h"
#include "stress_counters.h"
#include "stress_latency.h"
#include "stress_options.h"

#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#define STRESS_SENDER_RCVTIMEO_S 1    /* goxot: one read per message, 1 s to get the echo */
#define STRESS_RECEIVER_RCVTIMEO_S 30 /* goxot: an accepted call idle this long is dropped */
#define STRESS_SOCKET_RETRY_MS 1000   /* goxot: pause after socket() fails */
/* goxot listens with a backlog of 5; a full backlog clears calls (cause 0x01), which would
 * count against the relay under test, so the receiver allows more. */
#define STRESS_LISTEN_BACKLOG 128

struct stress_run {
	const struct stress_options *opts;
	struct stress_counters counters;
	int stop_fd;               /* eventfd, readable once the run must stop; never drained */
	struct timespec deadline;  /* senders start no call after this (CLOCK_MONOTONIC) */
	char calling_base[STRESS_CALLING_BASE_LEN + 1];
	int start_hour, start_minute;
	atomic_uint_fast64_t calling_seq;
	int64_t called_start, called_end;
	int called_width;
	struct latency_samples call_setup, echo; /* merged from the threads at the end (--latency) */
};

/* Fill *run for opts; start_time is the wall-clock time the run starts (for the HHMM digits). */
int stress_run_init(struct stress_run *run, const struct stress_options *opts, time_t start_time);
void stress_run_destroy(struct stress_run *run);

/* Ask every thread of the run to stop after its current step. Async-signal-safe. */
void stress_run_stop(struct stress_run *run);

/*
 * Run the sender threads until they end or signal_fd (a signalfd) reports a signal.
 * Returns 0 and sets *signo to the signal (0 if none), or -1 after a message on stderr
 * if no thread could be started.
 */
int stress_sender_run(struct stress_run *run, int signal_fd, int *signo);

/*
 * Accept calls and echo them until signal_fd reports a signal (*signo). Returns 0, or -1
 * after a message on stderr if the listening socket could not be set up.
 */
int stress_receiver_run(struct stress_run *run, int signal_fd, int *signo);

/* Shared by both modes: X25_QBITINCL, SO_RCVTIMEO, and negotiated facilities. */
void stress_socket_options(struct stress_run *run, int sock, int rcvtimeo_s);
void stress_record_facilities(struct stress_run *run, int sock);
int stress_request_facilities(struct stress_run *run, int sock);

#endif
