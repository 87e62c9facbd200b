/* target.c - the target choice: which TUN an outgoing call is injected into. */
#include "target.h"

#include <string.h>

#include "relay.h"

struct tun *target_choose(struct relay *relay, struct tun *origin, const char *calling)
{
	struct tun *best = NULL, *first_other = NULL;
	size_t best_len = 0;

	for (unsigned i = 0; i < relay->ntuns; i++) {
		struct tun *t = relay->tuns[i];
		size_t n;

		if (!t || t->link != LINK_READY)
			continue;
		if (t != origin && !first_other)
			first_other = t;
		n = strlen(t->address);
		if (n > best_len && strncmp(calling, t->address, n) == 0) {
			best = t;
			best_len = n;
		}
	}
	if (best && best != origin)
		return best;
	if (first_other)
		return first_other;
	return origin->link == LINK_READY ? origin : NULL;
}
