/* tun.c - ARPHRD_X25 TUN devices and the kernel's X.25 route and subscription ioctls. */
#include "tun.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if_arp.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <linux/x25.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* Deep enough that a burst of frames never overflows the ring before x25lo reads it. */
#define TUN_TX_QUEUE_LEN 4096

static int ifreq_ioctl(unsigned long request, struct ifreq *ifr)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc;

	if (fd < 0)
		return -1;
	rc = ioctl(fd, request, ifr);
	if (rc < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	return 0;
}

int tun_is_up(const char *name)
{
	struct ifreq ifr = {0};

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ifreq_ioctl(SIOCGIFFLAGS, &ifr) < 0)
		return -1;
	return (ifr.ifr_flags & IFF_UP) != 0;
}

int tun_set_up(const char *name, bool up, char *err, size_t errlen)
{
	struct ifreq ifr = {0};

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ifreq_ioctl(SIOCGIFFLAGS, &ifr) < 0) {
		snprintf(err, errlen, "%s: cannot read interface flags: %s", name, strerror(errno));
		return -1;
	}
	if (up)
		ifr.ifr_flags |= IFF_UP;
	else
		ifr.ifr_flags &= ~IFF_UP;
	if (ifreq_ioctl(SIOCSIFFLAGS, &ifr) < 0) {
		snprintf(err, errlen, "%s: cannot bring the interface %s: %s", name, up ? "up" : "down",
			 strerror(errno));
		return -1;
	}
	return 0;
}

int tun_open(const char *name, int *ifindex, char *err, size_t errlen)
{
	struct ifreq ifr = {0};
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		snprintf(err, errlen, "cannot open /dev/net/tun: %s (load the tun module: modprobe tun)",
			 strerror(errno));
		return -1;
	}
	/* No IFF_NO_PI: tun would guess an IP version from byte 0 and reject X.25 (linux-x25.md §1.1). */
	ifr.ifr_flags = IFF_TUN;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		snprintf(err, errlen, "%s: cannot create the TUN: %s%s", name, strerror(errno),
			 errno == EBUSY ? " (another process, perhaps another x25lo, holds it: stop it or change "
					  "device_prefix)"
			 : errno == EPERM ? " (x25lo needs CAP_NET_ADMIN)"
					  : "");
		goto fail;
	}
	/* TUNSETLINK needs the interface down (EBUSY otherwise), e.g. a leftover persistent TUN. */
	if (tun_set_up(name, false, err, errlen) < 0)
		goto fail;
	if (ioctl(fd, TUNSETLINK, (unsigned long)ARPHRD_X25) < 0) {
		snprintf(err, errlen, "%s: cannot set link type ARPHRD_X25: %s", name, strerror(errno));
		goto fail;
	}
	ifr = (struct ifreq){0};
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_qlen = TUN_TX_QUEUE_LEN;
	if (ifreq_ioctl(SIOCSIFTXQLEN, &ifr) < 0) {
		snprintf(err, errlen, "%s: cannot set the transmit queue length: %s", name, strerror(errno));
		goto fail;
	}
	if (ifreq_ioctl(SIOCGIFINDEX, &ifr) < 0) {
		snprintf(err, errlen, "%s: cannot read the interface index: %s", name, strerror(errno));
		goto fail;
	}
	*ifindex = ifr.ifr_ifindex;
	return fd;
fail:
	close(fd);
	return -1;
}

int x25_set_subscription(int x25_fd, const char *dev, bool extended, char *err, size_t errlen)
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

int x25_route_add(int x25_fd, const char *address, const char *dev, char *err, size_t errlen)
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

int x25_route_del(int x25_fd, const char *address, const char *dev)
{
	struct x25_route_struct rt;

	fill_route(&rt, address, dev);
	return ioctl(x25_fd, SIOCDELRT, &rt);
}

int x25_route_find(const char *address, char *dev, size_t devlen)
{
	FILE *f = fopen("/proc/net/x25/route", "r");
	char line[256], padded[16];
	size_t digits = strlen(address);
	int found = 0;

	if (!f)
		return -1;
	/* The kernel stores the prefix padded with '0' to 15 characters (linux-x25.md §5.4). */
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

int x25_forward_enabled(void)
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
