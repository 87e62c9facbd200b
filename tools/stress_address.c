/* stress_address.c - generate calling and called X.121 addresses. */
#include "stress_address.h"

#include <inttypes.h>
#include <stdio.h>

#define SEQ_DIGITS_MOD 100000u        /* goxot's 5-digit sequence field */
#define TAIL_MOD 1000000000u          /* HHMM + sequence: 9 digits */

void stress_calling_address(char out[STRESS_ADDR_BUF], const char *base, int hour, int minute,
			    uint64_t seq)
{
	uint64_t tail = ((uint64_t)(hour * 100 + minute) * SEQ_DIGITS_MOD + seq) % TAIL_MOD;

	snprintf(out, STRESS_ADDR_BUF, "%.6s%09" PRIu64, base, tail);
}

void stress_called_address(char out[STRESS_ADDR_BUF], int64_t start, int64_t end, int width,
			   uint64_t random)
{
	uint64_t span = (uint64_t)(end - start) + 1;

	snprintf(out, STRESS_ADDR_BUF, "%0*" PRId64, width, start + (int64_t)(random % span));
}
