/* stress_options.h - x25stress command line: goxot's stress_test flags plus opt-in long options. */
#ifndef X25STRESS_OPTIONS_H
#define X25STRESS_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

#define STRESS_ADDR_MAX 15          /* X.121 digits, as the kernel's struct x25_address */
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

#endif
