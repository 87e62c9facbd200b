/* stress_counters.h - goxot's stress_test counters, shared by all threads. */
#ifndef X25STRESS_COUNTERS_H
#define X25STRESS_COUNTERS_H

#include <stdatomic.h>

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

#endif
