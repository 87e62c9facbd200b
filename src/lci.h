/* lci.h - per-TUN logical channel table: [LCI] -> call leg, and allocation for injected calls. */
#ifndef X25LO_LCI_H
#define X25LO_LCI_H

#include "relay.h"

/*
 * Pick a free LCI on t for an INCOMING CALL: inside [lci_start, lci_end], not mapped in
 * either direction, its call slot free, round-robin from the top down, and not the one
 * freed last unless nothing else is free. Returns the LCI, or 0 when none is free.
 */
uint16_t lci_alloc(struct tun *t);

/* The call slot that owns injected LCI lci on t (lci must be inside t's range). */
static inline struct call *lci_call_slot(struct tun *t, uint16_t lci)
{
	return &t->calls[lci - t->lci_start];
}

static inline bool lci_in_range(const struct tun *t, uint16_t lci)
{
	return lci >= t->lci_start && lci <= t->lci_end;
}

void lci_map(struct tun *t, uint16_t lci, struct leg *leg);
void lci_unmap(struct tun *t, uint16_t lci);

#endif
