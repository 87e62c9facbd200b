// SPDX-License-Identifier: GPL-2.0-or-later
/* lci.h - per-TUN logical channel table: [LCI] -> call leg, and allocation for injected calls. */
#ifndef X25LO_LCI_H
#define X25LO_LCI_H

#include <stdint.h>

#include "call.h"
#include "tun.h"

/*
 * Pick a free LCI on t for an INCOMING CALL: inside [lci_start, lci_end], not mapped in
 * either direction, not `exclude` (the caller's own LCI when the call goes back into its
 * own TUN), its call slot free, round-robin from the top down, and not the one freed last
 * unless nothing else is free. Returns the LCI, or 0 when none is free.
 */
uint16_t lci_alloc(struct tun *t, uint16_t exclude);

/* The call slot that owns injected LCI lci on t (lci must be inside t's range). */
static inline struct call *lci_call_slot(struct tun *t, uint16_t lci)
{
	return &t->calls[lci - t->lci_start];
}

void lci_map(struct tun *t, uint16_t lci, struct leg *leg);
void lci_unmap(struct tun *t, uint16_t lci);

#endif
