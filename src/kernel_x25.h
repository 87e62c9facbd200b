// SPDX-License-Identifier: GPL-2.0-or-later
/* kernel_x25.h - the kernel's X.25 tables x25lo sets and reads: routes, subscriptions, x25_forward. */
#ifndef X25LO_KERNEL_X25_H
#define X25LO_KERNEL_X25_H

#include <stdbool.h>
#include <stddef.h>

/* An AF_X25 socket for the route and subscription ioctls; -1 with errno set. */
int kernel_x25_socket(void);

/* SIOCX25SSUBSCRIP: the same modulo on every TUN (docs/linux-x25.md §5.1). */
int kernel_set_subscription(int x25_fd, const char *dev, bool extended, char *err, size_t errlen);

/* SIOCADDRT/SIOCDELRT with sigdigits = strlen(address) (docs/linux-x25.md §5.4). */
int kernel_route_add(int x25_fd, const char *address, const char *dev, char *err, size_t errlen);
int kernel_route_del(int x25_fd, const char *address, const char *dev);

/*
 * Look for an existing kernel route with exactly this address and digit count in
 * /proc/net/x25/route. Returns 1 and fills dev when found, 0 when not, -1 when unreadable.
 */
int kernel_route_find(const char *address, char *dev, size_t devlen);

/* Read net.x25.x25_forward: 0, 1, or -1 when it cannot be read. */
int kernel_forward_enabled(void);

#endif
