/* target.h - the target choice: which TUN an outgoing call is injected into. */
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

#endif
