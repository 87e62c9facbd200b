// SPDX-License-Identifier: GPL-2.0-or-later
/* rtnl.c - rtnetlink: interface up/down notifications and the TUN's queue discipline. */
#include "rtnl.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int rtnl_open_monitor(char *err, size_t errlen)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(err, errlen, "cannot watch interface state via rtnetlink: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int rtnl_read_links(int fd, rtnl_link_cb cb, void *ctx)
{
	char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			/* ENOBUFS: notifications were lost; the caller re-checks every TUN. */
			return -1;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			struct ifinfomsg *ifi;

			if (h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK)
				continue;
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
				continue;
			ifi = NLMSG_DATA(h);
			cb(ctx, ifi->ifi_index, h->nlmsg_type == RTM_DELLINK);
		}
	}
}

static void add_attr(struct nlmsghdr *h, size_t cap, unsigned short type, const void *data, size_t len)
{
	struct rtattr *rta = (struct rtattr *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));

	if (NLMSG_ALIGN(h->nlmsg_len) + RTA_SPACE(len) > cap)
		return;
	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	h->nlmsg_len = (unsigned)(NLMSG_ALIGN(h->nlmsg_len) + RTA_SPACE(len));
}

/* One request, one acknowledgement: returns 0 or -errno from the kernel. */
static int replace_qdisc(int fd, int ifindex, const char *kind, const void *opt, size_t optlen)
{
	struct {
		struct nlmsghdr h;
		struct tcmsg tc;
		char attrs[128];
	} req = {0};
	char reply[1024] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	ssize_t n;

	req.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct tcmsg));
	req.h.nlmsg_type = RTM_NEWQDISC;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
	req.h.nlmsg_seq = 1;
	req.tc.tcm_family = AF_UNSPEC;
	req.tc.tcm_ifindex = ifindex;
	req.tc.tcm_parent = TC_H_ROOT;
	add_attr(&req.h, sizeof(req), TCA_KIND, kind, strlen(kind) + 1);
	if (opt)
		add_attr(&req.h, sizeof(req), TCA_OPTIONS, opt, optlen);
	if (sendto(fd, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	n = recv(fd, reply, sizeof(reply), 0);
	if (n < 0)
		return -errno;
	for (struct nlmsghdr *h = (struct nlmsghdr *)reply; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr *e = NLMSG_DATA(h);
			return e->error;
		}
	}
	return -EPROTO;
}

int rtnl_set_fifo_qdisc(int ifindex, char *err, size_t errlen)
{
	struct tc_fifo_qopt fifo = {.limit = 100000};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	int rc;

	if (fd < 0) {
		snprintf(err, errlen, "cannot open rtnetlink: %s", strerror(errno));
		return -1;
	}
	rc = replace_qdisc(fd, ifindex, "noqueue", NULL, 0);
	if (rc < 0)
		rc = replace_qdisc(fd, ifindex, "pfifo", &fifo, sizeof(fifo));
	close(fd);
	if (rc < 0) {
		snprintf(err, errlen, "cannot set a FIFO queue discipline: %s", strerror(-rc));
		return -1;
	}
	return 0;
}
