// SPDX-License-Identifier: GPL-2.0-or-later
/* tun.c - an ARPHRD_X25 TUN device as a port: the struct, its device, its frames toward the kernel. */
#include "tun.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "call.h"
#include "lci.h"
#include "log.h"
#include "relay.h"
#include "trace.h"

/* tun_pi (flags 0, protocol ETH_P_X25) and the pseudo-header, in front of packet. */
static uint8_t *put_frame_header(uint8_t *packet, uint8_t pseudo_header)
{
	uint8_t *frame = packet - TUN_FRAME_HEADER;

	frame[0] = 0;
	frame[1] = 0;
	frame[2] = ETH_P_X25_PROTO >> 8;
	frame[3] = ETH_P_X25_PROTO & 0xFF;
	frame[4] = pseudo_header;
	return frame;
}

static bool write_frame(struct tun *t, const uint8_t *frame, size_t len)
{
	struct relay *relay = t->port.relay;
	ssize_t n = write(t->fd, frame, len);

	if (n == (ssize_t)len)
		return true;
	relay->counters.write_errors++;
	/* EIO: the interface went down; rtnetlink reports it and link loss follows. */
	if (relay->counters.write_errors < 10 || relay->counters.write_errors % 10000 == 0)
		log_warn("%s: writing a %zu-byte frame failed: %s (%llu write errors so far; calls on it are "
			 "cleared when the link is seen down, check `ip link show %s`)",
			 t->port.name, len, n < 0 ? strerror(errno) : "short write",
			 (unsigned long long)relay->counters.write_errors, t->port.name);
	return false;
}

static bool tun_transmit(struct port *p, uint8_t *packet, size_t len)
{
	struct tun *t = tun_of(p);

	if (t->link == LINK_DOWN) {
		p->relay->counters.write_errors++;
		return false;
	}
	return write_frame(t, put_frame_header(packet, X25_IFACE_DATA), len + TUN_FRAME_HEADER);
}

static void tun_map(struct port *p, uint16_t lci, struct leg *leg)
{
	lci_map(tun_of(p), lci, leg);
}

static void tun_unmap(struct port *p, uint16_t lci)
{
	lci_unmap(tun_of(p), lci);
}

/* A call injected into this TUN lived in its slot table, indexed by the LCI it was given. */
static void tun_call_freed(struct port *p, struct call *call)
{
	struct tun *t = tun_of(p);

	t->calls_in_use--;
	t->lci_last_freed = call->leg[LEG_CALLEE].lci;
}

static const struct port_ops tun_port_ops = {
	.transmit = tun_transmit,
	.map = tun_map,
	.unmap = tun_unmap,
	.call_freed = tun_call_freed,
};

bool tun_send_control(struct tun *t, uint8_t pseudo_header)
{
	uint8_t frame[TUN_FRAME_HEADER];

	if (log_trace_on)
		trace_frame(trace_x25lo, t->port.name, pseudo_header, NULL, 0, t->port.extended);
	/* Link CONNECT/DISCONNECT go out even while the link is down: they bring it up. */
	if (!write_frame(t, put_frame_header(frame + TUN_FRAME_HEADER, pseudo_header), sizeof(frame)))
		return false;
	port_sent(&t->port, pseudo_header, NULL, 0);
	return true;
}

struct tun *tun_new(struct relay *relay, const char *prefix, unsigned index, const char *address,
		    uint16_t lci_start, uint16_t lci_end, bool extended)
{
	struct tun *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->calls = calloc((size_t)(lci_end - lci_start) + 1, sizeof(*t->calls));
	if (!t->calls) {
		free(t);
		return NULL;
	}
	t->port = (struct port){.ops = &tun_port_ops, .kind = PORT_TUN, .relay = relay, .index = index,
				.extended = extended};
	snprintf(t->port.name, sizeof(t->port.name), "%s%u", prefix, index);
	t->port.capture_name = t->port.name;
	snprintf(t->address, sizeof(t->address), "%s", address);
	snprintf(t->port.description, sizeof(t->port.description), "x25lo TUN for X.121 address %s", t->address);
	t->fd = -1;
	t->watch.fd = -1;
	t->link = LINK_DOWN;
	t->lci_start = lci_start;
	t->lci_end = lci_end;
	t->lci_cursor = lci_end;
	return t;
}

void tun_free(struct tun *t)
{
	if (!t)
		return;
	timer_cancel(&t->link_timer);
	if (t->fd >= 0)
		close(t->fd);
	free(t->calls);
	free(t);
}

static int read_statistic(const char *dev, const char *name, uint64_t *value)
{
	char path[96], text[32];
	unsigned long long v;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", dev, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	text[n] = '\0';
	if (sscanf(text, "%llu", &v) != 1)
		return -1;
	*value = v;
	return 0;
}

int tun_read_drops(struct tun *t)
{
	struct port_counters *c = &t->port.counters;

	if (read_statistic(t->port.name, "tx_dropped", &c->kernel_tx_dropped) < 0 ||
	    read_statistic(t->port.name, "rx_dropped", &c->kernel_rx_dropped) < 0)
		return -1;
	return 0;
}

static int ifreq_ioctl(unsigned long request, struct ifreq *ifr)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc, saved;

	if (fd < 0)
		return -1;
	rc = ioctl(fd, request, ifr);
	saved = errno;
	close(fd);
	errno = saved;
	return rc < 0 ? -1 : 0;
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

int tun_open_device(struct tun *t, char *err, size_t errlen)
{
	const char *name = t->port.name;
	struct ifreq ifr = {0};
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		snprintf(err, errlen, "cannot open /dev/net/tun: %s (%s)", strerror(errno),
			 errno == EACCES || errno == EPERM
				 ? "the user x25lo runs as may not open it: make it 0666 as Debian's udev does, or give "
				   "that user's group access (chgrp GROUP /dev/net/tun; chmod 0660 /dev/net/tun)"
				 : "load the tun module: modprobe tun");
		return -1;
	}
	/* No IFF_NO_PI: tun would guess an IP version from byte 0 and reject X.25 (docs/linux-x25.md §1.1). */
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
	t->ifindex = ifr.ifr_ifindex;
	t->fd = fd;
	return 0;
fail:
	close(fd);
	return -1;
}
