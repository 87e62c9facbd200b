/* call.h - two-leg call state: set-up, relaying decisions, clearing handshake, deadlines. */
#ifndef X25LO_CALL_H
#define X25LO_CALL_H

#include "relay.h"

/* A CALL REQUEST read from origin on an LCI x25lo does not map. frame/len: whole TUN frame. */
void call_request_received(struct tun *origin, const struct x25_packet *pkt, uint8_t *frame, size_t len);

/* Any packet read on an LCI that x25lo maps to leg. */
void call_packet_received(struct leg *leg, const struct x25_packet *pkt, uint8_t *frame, size_t len);

/* Any packet other than CALL REQUEST on an LCI x25lo does not map (linux-x25.md §7 rule 16). */
void call_unknown_lci(struct tun *t, const struct x25_packet *pkt);

/*
 * The kernel of t has lost every call on it (link restart, interface down, removal):
 * forget t's legs without sending anything on t, and clear their peers with cause.
 * With forget_peers, peers on other TUNs are cleared but not waited for (t is going away
 * and the call slots it holds go with it).
 */
unsigned call_forget_tun(struct tun *t, uint8_t cause, bool forget_peers);

/* Clear every open leg of every call (shutdown). Returns the number of legs still mapped. */
unsigned call_clear_all(struct relay *relay, uint8_t cause, uint8_t diag);

/* Expire deadlines up to now. */
void call_expire(struct relay *relay, uint64_t now);

/* Earliest pending deadline, or 0 when none. */
uint64_t call_next_deadline(const struct relay *relay);

#endif
