// SPDX-License-Identifier: GPL-2.0-or-later
/* counters.h - every figure x25lo reports, described once: the table /varz, /metrics and the SIGUSR1 dump render. */
#ifndef X25LO_COUNTERS_H
#define X25LO_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct port_counters;
struct relay;
struct tun;
struct xot_peer;

#define COUNTER_KEY_LEN 24

/*
 * One figure. Consecutive entries with the same varz name form one /varz map (keyed by
 * `field`, or by the index names of an array); consecutive entries with the same metric
 * name form one Prometheus family, announced once with the first entry's type and help.
 */
struct counter {
	const char *varz;   /* /varz key (goxot's name where goxot has one); NULL: not in /varz */
	const char *field;  /* key inside that /varz map; NULL when the value stands alone */
	const char *metric; /* Prometheus family */
	const char *label;  /* label pair(s) of this value ("reason=\"no_lci\""); for an array, the
			       pairs before the index label and its name ("direction=\"sent\",cause") */
	const char *type;   /* "counter" or "gauge" */
	const char *help;
	/*
	 * SIGUSR1 dump: a scalar opens a clause with dump_clause ("refused") or continues the
	 * previous one (NULL); dump_name is the word before its value. Both NULL: not dumped.
	 * An array is dumped on a line of its own titled dump_clause.
	 */
	const char *dump_clause, *dump_name;
	/* Where the value lives: a uint64_t (or an array of count) at offset in struct relay_counters,
	   struct port_counters or struct xot_peer_counters, or computed. */
	size_t offset;
	unsigned count; /* > 0: an array indexed by packet type or cause */
	uint64_t (*relay_value)(const struct relay *relay);
	uint64_t (*tun_value)(const struct tun *t);
	uint64_t (*peer_value)(const struct xot_peer *peer);
	/* Arrays: the name of index i for /varz and /metrics (NULL: skip it), and for the dump. */
	const char *(*key)(unsigned i, char buf[COUNTER_KEY_LEN]);
	const char *(*dump_key)(unsigned i, char buf[COUNTER_KEY_LEN]);
	bool metric_zeros; /* arrays: /metrics lists every named index, zero or not */
};

/*
 * Figures of the whole relay; figures per TUN (each rendered once per TUN, and once more for
 * all XOT connections together, except the computed ones); figures per XOT peer.
 */
extern const struct counter relay_counter_table[];
extern const size_t relay_counter_count;
extern const struct counter tun_counter_table[];
extern const size_t tun_counter_count;
extern const struct counter xot_peer_counter_table[];
extern const size_t xot_peer_counter_count;

/* The value of a scalar entry (index ignored) or of index i of an array entry. */
uint64_t counter_relay_value(const struct counter *c, const struct relay *relay, unsigned i);
uint64_t counter_tun_value(const struct counter *c, const struct tun *t);
/* A tun_counter_table entry that is stored (not computed), read from any port's counters. */
uint64_t counter_port_value(const struct counter *c, const struct port_counters *pc);
uint64_t counter_peer_value(const struct counter *c, const struct xot_peer *peer, unsigned i);

#endif
