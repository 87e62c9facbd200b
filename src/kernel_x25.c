// SPDX-License-Identifier: GPL-2.0-or-later
/* kernel_x25.c - the kernel's X.25 tables x25lo sets and reads: routes, subscriptions, x25_forward. */
#include "kernel_x25.h"

#include <errno.h>
#include <linux/sockios.h>
#include <linux/x25.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

int kernel_x25_socket(void)
{
	return socket(AF_X25, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
}

int kernel_set_subscription(int x25_fd, const char *dev, bool extended, char *err, size_t errlen)
{
	struct x25_subscrip_struct sub = {0};

	snprintf(sub.device, sizeof(sub.device), "%s", dev);
	sub.global_facil_mask = X25_MASK_REVERSE | X25_MASK_THROUGHPUT | X25_MASK_PACKET_SIZE |
				X25_MASK_WINDOW_SIZE;
	sub.extended = extended ? 1 : 0;
	if (ioctl(x25_fd, SIOCX25SSUBSCRIP, &sub) < 0) {
		snprintf(err, errlen, "%s: cannot set the X.25 subscription (modulo %d): %s", dev,
			 extended ? 128 : 8, strerror(errno));
		return -1;
	}
	return 0;
}

static void fill_route(struct x25_route_struct *rt, const char *address, const char *dev)
{
	memset(rt, 0, sizeof(*rt));
	snprintf(rt->address.x25_addr, sizeof(rt->address.x25_addr), "%s", address);
	rt->sigdigits = (unsigned int)strlen(address);
	snprintf(rt->device, sizeof(rt->device), "%s", dev);
}

int kernel_route_add(int x25_fd, const char *address, const char *dev, char *err, size_t errlen)
{
	struct x25_route_struct rt;

	fill_route(&rt, address, dev);
	if (ioctl(x25_fd, SIOCADDRT, &rt) < 0) {
		snprintf(err, errlen, "%s: cannot add X.25 route %s/%u: %s%s", dev, address, rt.sigdigits,
			 strerror(errno),
			 errno == EINVAL ? " (a route with this prefix may already exist: see /proc/net/x25/route)" : "");
		return -1;
	}
	return 0;
}

int kernel_route_del(int x25_fd, const char *address, const char *dev)
{
	struct x25_route_struct rt;

	fill_route(&rt, address, dev);
	return ioctl(x25_fd, SIOCDELRT, &rt);
}

int kernel_route_find(const char *address, char *dev, size_t devlen)
{
	FILE *f = fopen("/proc/net/x25/route", "r");
	char line[256], padded[16];
	size_t digits = strlen(address);
	int found = 0;

	if (!f)
		return -1;
	/* The kernel stores the prefix padded with '0' to 15 characters (docs/linux-x25.md §5.4). */
	snprintf(padded, sizeof(padded), "%s000000000000000", address);
	padded[15] = '\0';
	while (fgets(line, sizeof(line), f)) {
		char raddr[32], rdev[IFNAMSIZ + 8];
		unsigned rdigits;

		if (sscanf(line, "%31s %u %23s", raddr, &rdigits, rdev) != 3)
			continue;
		if (rdigits == digits && strcmp(raddr, padded) == 0) {
			snprintf(dev, devlen, "%s", rdev);
			found = 1;
			break;
		}
	}
	fclose(f);
	return found;
}

int kernel_forward_enabled(void)
{
	FILE *f = fopen("/proc/sys/net/x25/x25_forward", "r");
	int value = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &value) != 1)
		value = -1;
	fclose(f);
	return value == -1 ? -1 : value != 0;
}
