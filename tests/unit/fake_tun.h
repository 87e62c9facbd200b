// SPDX-License-Identifier: GPL-2.0-or-later
/* fake_tun.h - a TUN whose device is one end of a SOCK_SEQPACKET socketpair; the test holds the other end and plays the kernel. */
#ifndef X25LO_TEST_FAKE_TUN_H
#define X25LO_TEST_FAKE_TUN_H

#include <stdbool.h>
#include <sys/socket.h>

#include "relay.h"

/* TUN i of relay, link up, in relay->tuns[i]; *kernel_end is the kernel's end. */
static inline struct tun *fake_tun_add(struct relay *relay, unsigned i, const char *address, uint16_t lci_start,
				       uint16_t lci_end, bool extended, int *kernel_end)
{
	struct tun *t = tun_new(relay, "tunlb", i, address, lci_start, lci_end, extended);
	int sv[2];

	assert_non_null(t);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv), 0);
	t->fd = sv[0];
	*kernel_end = sv[1];
	t->link = LINK_READY;
	t->admin_up = true;
	relay->tuns[i] = t;
	if (i >= relay->ntuns)
		relay->ntuns = i + 1;
	return t;
}

#endif
