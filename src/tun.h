/* tun.h - ARPHRD_X25 TUN devices and the kernel's X.25 route and subscription ioctls. */
#ifndef X25LO_TUN_H
#define X25LO_TUN_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Create (or attach to) TUN `name` in PI mode with link type ARPHRD_X25, set while the
 * interface is down, and a long transmit ring. Returns a non-blocking fd, or -1 with err set.
 */
int tun_open(const char *name, int *ifindex, char *err, size_t errlen);

/* 1 when the interface is up, 0 when down, -1 when it no longer exists (or cannot be read). */
int tun_is_up(const char *name);

/* Set or clear IFF_UP. Returns 0 or -1 with err set. */
int tun_set_up(const char *name, bool up, char *err, size_t errlen);

/* SIOCX25SSUBSCRIP: the same modulo on every TUN (linux-x25.md §5.1). */
int x25_set_subscription(int x25_fd, const char *dev, bool extended, char *err, size_t errlen);

/* SIOCADDRT/SIOCDELRT with sigdigits = strlen(address). */
int x25_route_add(int x25_fd, const char *address, const char *dev, char *err, size_t errlen);
int x25_route_del(int x25_fd, const char *address, const char *dev);

/*
 * Look for an existing kernel route with exactly this address and digit count in
 * /proc/net/x25/route. Returns 1 and fills dev when found, 0 when not, -1 when unreadable.
 */
int x25_route_find(const char *address, char *dev, size_t devlen);

/* Read net.x25.x25_forward: 0, 1, or -1 when it cannot be read. */
int x25_forward_enabled(void);

#endif
