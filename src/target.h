// SPDX-License-Identifier: GPL-2.0-or-later
/* target.h - the target choice: which TUN a call is injected into, or which XOT server it goes to. */
#ifndef X25LO_TARGET_H
#define X25LO_TARGET_H

struct relay;
struct tun;

/*
 * The call left the kernel on origin (the TUN routed for its called address). Inject it
 * into the ready TUN whose address is the longest prefix of the calling address, if that
 * is another TUN; otherwise into the first other ready TUN in device order; otherwise,
 * when origin is the only ready TUN (a single route), back into origin on a relay LCI.
 * NULL when no TUN is ready.
 */
struct tun *target_choose(struct relay *relay, struct tun *origin, const char *calling);

/*
 * A call from XOT goes to the ready TUN whose address is the longest prefix of its called
 * address, as the kernel would route a local call. NULL when none matches.
 */
struct tun *target_for_called(struct relay *relay, const char *called);

/*
 * The index in cfg.servers of the XOT route for a local program's call to called: the
 * longest server prefix of it, unless a local route (a TUN's address) is a prefix of it too,
 * since local routes win. -1 when the call stays local (or xot_servers is off).
 */
int target_server(const struct relay *relay, const char *called);

#endif
