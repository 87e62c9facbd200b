// SPDX-License-Identifier: GPL-2.0-or-later
/* x25stress.h - x25stress, an AF_X25 stress test and drop-in for goxot's stress_test.
 *
 * options.c   the command line: goxot's flags, the opt-in long options, usage and --help
 * run.c       what a run's threads share, and the socket settings of both modes
 * sender.c    sender mode: calling/called addresses, the message pattern, the call threads
 * receiver.c  receiver mode (-r): accept calls and echo every record
 * xot.c       --xot: both modes over XOT (RFC 1613, X.25 over TCP) with libx25's xotlib
 * report.c    counters, latency, the leak check, goxot's summary, JSON and the --strict verdict
 * main.c      main(): parse, run, report
 *
 * docs/x25stress.md is the contract: options, output and exit status.
 */
#ifndef X25STRESS_H
#define X25STRESS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>

/* --- options (options.c) --- */

#define STRESS_ADDR_MAX 15          /* X.121 digits, as the kernel's struct x25_address */
#define STRESS_ADDR_BUF 16          /* 15 digits and a NUL */
#define STRESS_CALLING_BASE_LEN 6   /* goxot uses the first 6 characters of -a as the base */
#define STRESS_MAX_MESSAGE 65534    /* the kernel refuses sends over 65535 bytes (Q byte + data) */
#define STRESS_MAX_THREADS 4096
#define STRESS_MAX_MESSAGES_PER_CALL 1000000

struct stress_options {
	/* goxot stress_test flags, with goxot's defaults */
	int threads;                          /* -N */
	int max_message;                      /* -l: message length is 1..max_message bytes */
	char called_start[STRESS_ADDR_MAX + 1]; /* -d start,end (inclusive) */
	char called_end[STRESS_ADDR_MAX + 1];
	int backoff_ms;                       /* -b: pause after a failed bind or connect */
	int run_time_s;                       /* -T */
	long max_calls;                       /* -n: 0 = no limit */
	bool receiver;                        /* -r */
	char local_addr[STRESS_ADDR_MAX + 1]; /* -a: "" = not given */
	int window;                           /* -W: 1..127 */
	int packet_size;                      /* -P: bytes, a power of two 16..4096 after rounding */
	int packet_size_log2;                 /* what SIOCX25SFACILITIES gets */

	/* opt-in extras (long options) */
	int connect_timeout_ms;  /* --connect-timeout / -C; 0 = wait as long as the kernel does */
	long messages_per_call;  /* --messages */
	bool latency;            /* --latency */
	char *json_path;         /* --json FILE, "-" = stdout; NULL = off (points into argv) */
	bool strict;             /* --strict */
	bool leak_check;         /* --leak-check */
	/* --xot HOST:PORT (sender) or [ADDR:]PORT (receiver): XOT instead of AF_X25; NULL = off
	 * (points into argv), split into host ("" = any, for a receiver) and port */
	const char *xot;
	char xot_host[256];
	char xot_port[8];
};

enum stress_parse_result {
	STRESS_PARSE_RUN,        /* options are valid: run */
	STRESS_PARSE_EXIT_OK,    /* --help or --version was printed: exit 0 */
	STRESS_PARSE_EXIT_USAGE, /* a message and the usage line were printed: exit 1 */
};

/* Exit statuses of x25stress. 1 is goxot's status for a bad option. */
enum {
	STRESS_EXIT_OK = 0,
	STRESS_EXIT_USAGE = 1,    /* bad option or value, or the run could not start */
	STRESS_EXIT_FAILURES = 2, /* --strict: a call failed, data mismatched or a socket leaked */
};

void stress_options_defaults(struct stress_options *opts);

/*
 * Parse argv into *opts (which the caller has filled with defaults). Messages go to err;
 * --help and --version go to out. Resets getopt, so it may be called more than once.
 */
enum stress_parse_result stress_options_parse(struct stress_options *opts, int argc, char **argv,
					      FILE *out, FILE *err);

/* goxot's usage line, word for word. */
void stress_print_usage(FILE *to, const char *argv0);

/* The calling-address base a sender uses: the first 6 characters of -a, default "127001". */
const char *stress_calling_base(const struct stress_options *opts, char base[STRESS_CALLING_BASE_LEN + 1]);

/* --- counters and latency samples (report.c) --- */

/*
 * Meanings are goxot's, odd ones included (docs/x25stress.md): calls_made counts claimed
 * call slots (attempts, plus one per thread that hits -n), and a short receive is also a
 * data mismatch. bytes_* count payload only, never the Q-bit indicator byte.
 */
struct stress_counters {
	atomic_long calls_made, calls_received, calls_failed;
	atomic_long packets_sent, packets_received, bytes_sent, bytes_received;
	atomic_long data_mismatches;
	atomic_long socket_errors, setsockopt_errors, bind_errors, facilities_errors;
	atomic_long short_receives, write_errors, accept_errors, connect_timeouts;
	atomic_long calls_connected; /* not in goxot's summary: for --json and calls/s */
	/* negotiated facilities over all calls; min starts at INT_MAX and prints as 0 if unset */
	atomic_int packet_in_min, packet_in_max, packet_out_min, packet_out_max;
	atomic_int window_in_min, window_in_max, window_out_min, window_out_max;
};

/* A plain copy for printing and tests; unset minimums are already 0. */
struct stress_totals {
	long calls_made, calls_received, calls_failed;
	long packets_sent, packets_received, bytes_sent, bytes_received;
	long data_mismatches;
	long socket_errors, setsockopt_errors, bind_errors, facilities_errors;
	long short_receives, write_errors, accept_errors, connect_timeouts;
	long calls_connected;
	int packet_in_min, packet_in_max, packet_out_min, packet_out_max;
	int window_in_min, window_in_max, window_out_min, window_out_max;
};

void stress_counters_init(struct stress_counters *c);
void stress_counters_snapshot(struct stress_counters *c, struct stress_totals *t);

/* Fold one call's negotiated sizes (packet sizes in bytes) into the min/max. */
void stress_counters_facilities(struct stress_counters *c, int packet_in, int packet_out,
				int window_in, int window_out);

static inline void stress_count(atomic_long *counter)
{
	atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
}

static inline void stress_count_n(atomic_long *counter, long n)
{
	atomic_fetch_add_explicit(counter, n, memory_order_relaxed);
}

/* Returns the value before the increment (goxot claims call slots this way). */
static inline long stress_count_claim(atomic_long *counter)
{
	return atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
}

/* One thread's latency samples; no locking, merged after the threads have ended. */
struct latency_samples {
	uint64_t *ns;
	size_t count, capacity;
	bool out_of_memory; /* a sample was dropped; the statistics say so */
};

struct latency_stats {
	size_t count;
	double min_ms, median_ms, p99_ms, max_ms; /* nearest-rank percentiles */
	bool incomplete;                          /* some samples were lost to out of memory */
};

void latency_add(struct latency_samples *s, uint64_t ns);
/* Move every sample of from into into; from is emptied. */
void latency_merge(struct latency_samples *into, struct latency_samples *from);
void latency_free(struct latency_samples *s);

/* Sorts s in place. With no samples every figure is 0. */
void latency_summarize(struct latency_samples *s, struct latency_stats *stats);

/* "<label> Count: <n>, Min: <f>, Median: <f>, P99: <f>, Max: <f>" in milliseconds. */
void latency_print(FILE *out, const char *label, const struct latency_stats *stats);

/* --- the leak check (report.c) --- */

/*
 * The kernel frees a closed socket only on its 5 s heartbeat after the clear completes
 * (docs/linux-x25.md §9.4), and an orphan can just have missed one: 12 s covers two beats.
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

/* --- the report (report.c) --- */

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
 * goxot's summary, line for line (docs/x25stress.md, "The summary"): starts with an empty
 * line, ends with the dashes. The two bandwidth lines only when duration_s > 0. With
 * show_connect_timeouts the "Connect Timeouts" line of later goxot versions follows
 * "Accept Errors".
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

/* --- the run (run.c) --- */

#define STRESS_SENDER_RCVTIMEO_S 1    /* goxot: one read per message, 1 s to get the echo */
#define STRESS_RECEIVER_RCVTIMEO_S 30 /* goxot: an accepted call idle this long is dropped */
#define STRESS_SOCKET_RETRY_MS 1000   /* goxot: pause after socket() fails */
/* goxot listens with a backlog of 5; a full backlog clears calls (cause 0x01), which would
 * count against the relay under test, so the receiver allows more. */
#define STRESS_LISTEN_BACKLOG 128

struct addrinfo;

struct stress_run {
	const struct stress_options *opts;
	struct stress_counters counters;
	int stop_fd;               /* eventfd, readable once the run must stop; never drained */
	uint64_t deadline_ns;      /* senders start no call after this (CLOCK_MONOTONIC) */
	char calling_base[STRESS_CALLING_BASE_LEN + 1];
	int start_hour, start_minute;
	atomic_uint_fast64_t calling_seq;
	int64_t called_start, called_end;
	int called_width;
	struct latency_samples call_setup, echo; /* merged from the threads at the end (--latency) */
	struct addrinfo *xot_peer;   /* --xot sender: the peer's addresses, resolved once */
	atomic_int xot_peer_choice;  /* the one that last took a connection, tried first */
};

/* Fill *run for opts; start_time is the wall-clock time the run starts (for the HHMM digits). */
int stress_run_init(struct stress_run *run, const struct stress_options *opts, time_t start_time);
void stress_run_destroy(struct stress_run *run);

/* Ask every thread of the run to stop after its current step. Async-signal-safe. */
void stress_run_stop(struct stress_run *run);

/* Shared by both modes: SO_RCVTIMEO and X25_QBITINCL, and the facilities asked and got. */
void stress_socket_options(struct stress_run *run, int sock, int rcvtimeo_s);
int stress_request_facilities(struct stress_run *run, int sock);
void stress_record_facilities(struct stress_run *run, int sock);

/* --- sender mode (sender.c) --- */

/* One sender thread. */
struct stress_sender {
	struct stress_run *run;
	unsigned index;     /* "Thread <index>" in messages, 0-based as goxot */
	unsigned seed;      /* rand_r state */
	unsigned messages;  /* messages sent on connected calls: the pattern's call id */
	uint8_t *send_buf, *recv_buf; /* max_message + 1 bytes: a Q-bit byte, then the payload */
	struct latency_samples call_setup, echo;
	atomic_int *running; /* threads still running; the last one out signals done_fd */
	int done_fd;
	pthread_t thread;
};

/* One call, identified for messages. */
struct stress_call {
	int sock;
	char calling[STRESS_ADDR_BUF];
	char called[STRESS_ADDR_BUF];
};

/* The stop eventfd is readable: end after the current step. */
bool stress_stop_requested(const struct stress_run *run);

/* goxot's pause after a failure; it ends early when the run is stopped. */
void stress_back_off(const struct stress_run *run, int ms);

/*
 * The next message of a call: a random length 1..-l, the pattern written after the Q-bit
 * byte of s->send_buf. Returns the payload length.
 */
size_t stress_next_message(struct stress_sender *s);

/* goxot's "Short receive" line and counters (a short receive is a data mismatch too). */
void stress_short_receive(struct stress_sender *s, const struct stress_call *call, long expected,
			  long got);

/* Compare an echo of len payload bytes; on a difference count it and print goxot's line. */
void stress_check_echo(struct stress_sender *s, const struct stress_call *call, const uint8_t *sent,
		       const uint8_t *got, size_t len);

/*
 * Calling address number seq: <base><HH><MM><5 digits of seq>, HH:MM being the local time
 * the run started, e.g. 127001164200195 (goxot's format). goxot wraps seq at 100000 and
 * reuses addresses; here the count carries into the HHMM digits instead, so the first
 * 100000 addresses are goxot's and later ones stay unique (for 10^9 - HHMM*10^5 calls).
 */
void stress_calling_address(char out[STRESS_ADDR_BUF], const char *base, int hour, int minute,
			    uint64_t seq);

/*
 * The called address for one call: start + random % (end - start + 1), printed in decimal
 * with at least width digits (width = length of -d's start, which keeps leading zeros that
 * goxot loses; for ranges without leading zeros the output is goxot's).
 */
void stress_called_address(char out[STRESS_ADDR_BUF], int64_t start, int64_t end, int width,
			   uint64_t random);

/*
 * Fill len payload bytes: byte i is (i ^ thread ^ message) & 0xFF (goxot's pattern, with
 * goxot's per-call counter as message: with one message per call they are the same).
 */
void stress_fill_pattern(uint8_t *payload, size_t len, unsigned thread, unsigned message);

/* Offset of the first byte where got differs from want, or -1 if the len bytes agree. */
long stress_first_mismatch(const uint8_t *want, const uint8_t *got, size_t len);

/*
 * Run the sender threads until they end or signal_fd (a signalfd) reports a signal.
 * Returns 0 and sets *signo to the signal (0 if none), or -1 after a message on stderr
 * if no thread could be started.
 */
int stress_sender_run(struct stress_run *run, int signal_fd, int *signo);

/* --- receiver mode (receiver.c) --- */

/*
 * Accept calls and echo them until signal_fd reports a signal (*signo). Returns 0, or -1
 * after a message on stderr if the listening socket could not be set up.
 */
int stress_receiver_run(struct stress_run *run, int signal_fd, int *signo);

typedef void (*stress_take_fn)(struct stress_run *run, int sock,
			       const struct sockaddr_storage *peer, socklen_t peer_len, void *arg);

/*
 * Both receivers' loop: accept connections on listener until signal_fd reports a signal
 * (*signo), counting failed accepts as Accept Errors, and hand each one to take.
 */
void stress_accept_loop(struct stress_run *run, int listener, int signal_fd, int *signo,
			stress_take_fn take, void *arg);

/* --- XOT (xot.c) --- */

#define STRESS_XOT_T21_MS 200000     /* X.25's T21: how long a call may ring without -C */
#define STRESS_XOT_CLEAR_WAIT_MS 1000 /* how long the sender waits for CLEAR CONFIRMATION */
#define STRESS_XOT_STOP_CLEAR_MS 200  /* the receiver's wait for one when the run stops */

/* Resolve the --xot peer into run->xot_peer. 0, or -1 after a message on stderr. */
int stress_xot_prepare(struct stress_run *run);

/*
 * One XOT call for sender s, from call->calling to call->called: TCP connection, CALL
 * REQUEST, the messages, CLEAR. Counts and prints as make_call does for AF_X25. Returns
 * false when the thread should end (stopped while the call was being set up).
 */
bool stress_xot_call(struct stress_sender *s, struct stress_call *call);

/* The receiver over XOT: as stress_receiver_run. */
int stress_xot_receiver_run(struct stress_run *run, int signal_fd, int *signo);

#endif
