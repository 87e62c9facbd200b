/* stress_latency.c - collect latency samples and summarise them. */
#include "stress_latency.h"

#include <stdlib.h>
#include <string.h>

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
