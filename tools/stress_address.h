/* stress_address.h - the X.121 addresses a sender binds to and calls. */
#ifndef X25STRESS_ADDRESS_H
#define X25STRESS_ADDRESS_H

#include <stdint.h>

#define STRESS_ADDR_BUF 16 /* 15 digits and a NUL, as struct x25_address */

/* The kernel's "null address": a listener bound to it takes calls to any address. */
#define STRESS_WILDCARD_ADDR "               "

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

#endif
