// SPDX-License-Identifier: GPL-2.0-or-later
/* lci.c - per-TUN logical channel table and round-robin allocation for injected calls. */
#include "lci.h"

static bool lci_usable(struct tun *t, uint16_t lci)
{
	return t->legs[lci] == NULL && lci_call_slot(t, lci)->state == CALL_FREE;
}

uint16_t lci_alloc(struct tun *t, uint16_t exclude)
{
	unsigned range = (unsigned)(t->lci_end - t->lci_start) + 1;
	uint16_t lci = t->lci_cursor;
	uint16_t fallback = 0;

	if (t->calls_in_use >= range)
		return 0;
	for (unsigned tried = 0; tried < range; tried++) {
		uint16_t candidate = lci;

		/* Top down, wrapping: the kernel's own LCIs grow from 1 (docs/linux-x25.md §7 rule 6). */
		lci = (lci == t->lci_start) ? t->lci_end : (uint16_t)(lci - 1);
		if (candidate == exclude || !lci_usable(t, candidate))
			continue;
		if (candidate == t->lci_last_freed && range > 1) {
			fallback = candidate;
			continue;
		}
		t->lci_cursor = lci;
		return candidate;
	}
	if (fallback)
		t->lci_cursor = (fallback == t->lci_start) ? t->lci_end : (uint16_t)(fallback - 1);
	return fallback;
}

void lci_map(struct tun *t, uint16_t lci, struct leg *leg)
{
	t->legs[lci] = leg;
	t->legs_mapped++;
}

void lci_unmap(struct tun *t, uint16_t lci)
{
	if (t->legs[lci]) {
		t->legs[lci] = NULL;
		t->legs_mapped--;
	}
}
