// SPDX-License-Identifier: GPL-2.0-or-later
/* rtnl.h - rtnetlink: interface up/down notifications and the TUN's queue discipline. */
#ifndef X25LO_RTNL_H
#define X25LO_RTNL_H

#include <stdbool.h>
#include <stddef.h>

/* A socket subscribed to link notifications (RTMGRP_LINK), non-blocking; -1 with err set. */
int rtnl_open_monitor(char *err, size_t errlen);

/*
 * Read pending notifications and call cb(ctx, ifindex, gone) for each link message. The
 * flags in a message may be stale by the time it is read, so callers look at the interface
 * itself. Returns 0, or -1 on a read error other than EAGAIN (ENOBUFS: messages were lost).
 */
typedef void (*rtnl_link_cb)(void *ctx, int ifindex, bool gone);
int rtnl_read_links(int fd, rtnl_link_cb cb, void *ctx);

/*
 * Replace the root qdisc of ifindex with noqueue (no qdisc can drop or delay an X.25
 * frame), falling back to a long pfifo on kernels that refuse noqueue as root.
 */
int rtnl_set_fifo_qdisc(int ifindex, char *err, size_t errlen);

#endif
