/* stress_latency.h - latency samples (call set-up, echo) and their min/median/p99/max. */
#ifndef X25STRESS_LATENCY_H
#define X25STRESS_LATENCY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* One thread's samples; no locking, merged after the threads have ended. */
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

#endif
