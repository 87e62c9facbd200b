// SPDX-License-Identifier: GPL-2.0-or-later
/* target.c - the target choice: which TUN a call is injected into, or which XOT server it goes to. */
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

		if (!t || t->link != LINK_READY || t->xot_gateway)
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

static bool has_prefix(const char *address, const char *prefix)
{
	size_t n = strlen(prefix);

	return n > 0 && strncmp(address, prefix, n) == 0;
}

struct tun *target_for_called(struct relay *relay, const char *called)
{
	struct tun *best = NULL;
	size_t best_len = 0;

	for (unsigned i = 0; i < relay->ntuns; i++) {
		struct tun *t = relay->tuns[i];

		if (!t || t->link != LINK_READY || t->xot_gateway || !has_prefix(called, t->address))
			continue;
		if (strlen(t->address) > best_len) {
			best = t;
			best_len = strlen(t->address);
		}
	}
	return best;
}

int target_server(const struct relay *relay, const char *called)
{
	const struct config *cfg = &relay->cfg;
	size_t best_len = 0;
	int best = -1;

	if (!cfg->xot_servers)
		return -1;
	for (size_t i = 0; i < cfg->nroutes; i++)
		if (has_prefix(called, cfg->routes[i]))
			return -1;
	for (size_t i = 0; i < cfg->nservers; i++) {
		size_t n = strlen(cfg->servers[i].prefix);

		if (n > best_len && has_prefix(called, cfg->servers[i].prefix)) {
			best = (int)i;
			best_len = n;
		}
	}
	return best;
}
