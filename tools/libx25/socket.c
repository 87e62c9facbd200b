// SPDX-License-Identifier: GPL-2.0-or-later
/* socket.c - AF_X25 socket set-up, facilities, cause/diagnostic and non-blocking calls. */
#include "x25lib.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

/* An AF_X25 socket address for address; false (errno EINVAL) if it has more than 15 digits. */
static bool fill_sockaddr(struct sockaddr_x25 *sx25, const char *address)
{
	size_t len = strlen(address);

	memset(sx25, 0, sizeof(*sx25));
	sx25->sx25_family = AF_X25;
	if (len > X25_ADDRESS_DIGITS) {
		errno = EINVAL;
		return false;
	}
	memcpy(sx25->sx25_addr.x25_addr, address, len);
	return true;
}

int x25_socket(void)
{
	return socket(AF_X25, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
}

int x25_bind(int fd, const char *address)
{
	struct sockaddr_x25 local;

	if (!fill_sockaddr(&local, address))
		return -1;
	return bind(fd, (struct sockaddr *)&local, sizeof(local));
}

int x25_set_qbitincl(int fd)
{
	int on = 1;

	return setsockopt(fd, SOL_X25, X25_QBITINCL, &on, sizeof(on));
}

int x25_request_facilities(int fd, int window, unsigned pacsize_log2)
{
	struct x25_facilities fac;

	if (window == 0 && pacsize_log2 == 0)
		return 0;
	/* Read first: SIOCX25SFACILITIES sets every facility, throughput and reverse included. */
	if (x25_get_facilities(fd, &fac) < 0)
		return -1;
	if (window != 0)
		fac.winsize_in = fac.winsize_out = (unsigned)window;
	if (pacsize_log2 != 0)
		fac.pacsize_in = fac.pacsize_out = pacsize_log2;
	return ioctl(fd, SIOCX25SFACILITIES, &fac);
}

int x25_get_facilities(int fd, struct x25_facilities *fac)
{
	if (ioctl(fd, SIOCX25GFACILITIES, fac) == 0)
		return 0;
	memset(fac, 0, sizeof(*fac));
	return -1;
}

int x25_get_causediag(int fd, struct x25_causediag *cd)
{
	if (ioctl(fd, SIOCX25GCAUSEDIAG, cd) == 0)
		return 0;
	memset(cd, 0, sizeof(*cd));
	return -1;
}

int x25_set_causediag(int fd, const struct x25_causediag *cd)
{
	return ioctl(fd, SIOCX25SCAUSEDIAG, cd);
}

int x25_set_blocking(int fd, bool blocking)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0)
		return -1;
	return fcntl(fd, F_SETFL, blocking ? flags & ~O_NONBLOCK : flags | O_NONBLOCK);
}

int x25_connect_start(int fd, const char *address)
{
	struct sockaddr_x25 called;

	if (!fill_sockaddr(&called, address) || x25_set_blocking(fd, false) < 0)
		return errno;
	if (connect(fd, (struct sockaddr *)&called, sizeof(called)) < 0)
		return errno; /* EINPROGRESS: the call is ringing */
	return x25_set_blocking(fd, true) < 0 ? errno : 0;
}

int x25_connect_finish(int fd, const char *address)
{
	struct sockaddr_x25 called;
	int err = 0;
	socklen_t err_len = sizeof(err);

	/* SO_ERROR says why a call failed; a second connect() would only say ECONNREFUSED. */
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) < 0)
		return errno;
	if (err)
		return err;
	/* A second connect() marks the socket connected, as a blocking connect() would have. */
	if (!fill_sockaddr(&called, address))
		return errno;
	if (connect(fd, (struct sockaddr *)&called, sizeof(called)) < 0 && errno != EISCONN)
		return errno;
	return x25_set_blocking(fd, true) < 0 ? errno : 0;
}
