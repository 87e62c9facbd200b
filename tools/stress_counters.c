/* stress_counters.c - counter set-up, snapshots and negotiated-facility min/max. */
#include "stress_counters.h"

#include <limits.h>
#include <string.h>

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
