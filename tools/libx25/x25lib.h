// SPDX-License-Identifier: GPL-2.0-or-later
/* x25lib.h - AF_X25 helpers shared by x25stress and the VM test programs (x25test, x25kcheck).
 *
 * The socket helpers return -1 with errno set (the connect pair returns the errno value) and
 * print nothing, so that every program reports failures in its own words. Linux only;
 * <linux/x25.h> has the types.
 */
#ifndef X25LIB_H
#define X25LIB_H

#include <linux/x25.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define X25_ADDRESS_DIGITS 15 /* X.121 digits in struct x25_address, without the NUL */
/* The kernel's null address: a listener bound to it takes calls to any address. */
#define X25_WILDCARD_ADDRESS "               "

/* --- sockets (socket.c) --- */

/* socket(AF_X25, SOCK_SEQPACKET) with close-on-exec; EAFNOSUPPORT when x25.ko is not loaded. */
int x25_socket(void);

/* Bind to address: up to 15 digits, or X25_WILDCARD_ADDRESS. */
int x25_bind(int fd, const char *address);

/* X25_QBITINCL: every record sent and received starts with a byte holding its Q bit. */
int x25_set_qbitincl(int fd);

/*
 * Request window (1..127) and packet size (log2 code 4..12, 16..4096 bytes) in both
 * directions with SIOCX25SFACILITIES; 0 keeps that value as it is (window 2, packet 128 on
 * a new socket). The other facilities keep their values. A listener's facilities are
 * inherited by every call it accepts.
 */
int x25_request_facilities(int fd, int window, unsigned pacsize_log2);

/* SIOCX25GFACILITIES: after a call is up, the values negotiated. *fac is zeroed on failure. */
int x25_get_facilities(int fd, struct x25_facilities *fac);

/* SIOCX25GCAUSEDIAG: the cause and diagnostic of the last clear or reset; 0/0 on failure. */
int x25_get_causediag(int fd, struct x25_causediag *cd);

/* SIOCX25SCAUSEDIAG: the CLEAR REQUEST that close() sends carries them (docs/linux-x25.md §4.8). */
int x25_set_causediag(int fd, const struct x25_causediag *cd);

/* O_NONBLOCK off (blocking true) or on; any descriptor. 0, or -1 with errno. */
int x25_set_blocking(int fd, bool blocking);

/*
 * Place a call without blocking, so that the caller can bound the wait and stop it: closing
 * a socket that is still calling sends a CLEAR REQUEST, whereas a signal interrupting a
 * blocking connect() leaves the called side half-open (docs/linux-x25.md §3.1).
 * Returns 0 when connected already (the socket is blocking again), EINPROGRESS while the
 * call rings (poll for POLLOUT, then x25_connect_finish), or the errno of the failure.
 */
int x25_connect_start(int fd, const char *address);

/*
 * After POLLOUT: 0 when the call is up (the socket is blocking again: a non-blocking send
 * may queue only part of a record), else why it failed (ECONNREFUSED, ENETUNREACH,
 * ETIMEDOUT, ...).
 */
int x25_connect_finish(int fd, const char *address);

/* --- /proc/net/x25/socket (proc.c) --- */

#define X25_PROC_SOCKET "/proc/net/x25/socket"

/* One row of /proc/net/x25/socket, as Linux 6.1's x25_proc.c prints it. */
struct x25_proc_socket {
	int state;        /* 0 ready, 1 calling, 2 clearing, 3 data transfer, 4 reset, 5 accepted */
	long inode;       /* 0: orphaned, no process holds the socket any more */
	const char *line; /* the row in the text, not NUL-terminated */
	size_t line_len;
};

/*
 * The whole file at path (X25_PROC_SOCKET, or a copy for tests), NUL-terminated, to be
 * freed by the caller. NULL after writing the reason to error, which always ends in a NUL.
 */
char *x25_proc_read(const char *path, char *error, size_t error_len);

/* Move *cursor past the first line; true when that line is the kernel's header. */
bool x25_proc_skip_header(const char **cursor);

/*
 * The next row after *cursor (blank lines are skipped) and move past it. Returns 1 with
 * *row filled, 0 at the end of the text, or -1 for a line not in the kernel's format.
 */
int x25_proc_next_socket(const char **cursor, struct x25_proc_socket *row);

/* --- time --- */

/* CLOCK_MONOTONIC: durations and deadlines that wall-clock changes cannot disturb. */
static inline uint64_t x25_monotonic_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

static inline double x25_monotonic_seconds(void)
{
	return (double)x25_monotonic_ns() / 1e9;
}

#endif
