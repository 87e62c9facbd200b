// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * x25kcheck: exercises the kernel X.25 basics the daemon depends on, for the
 * guest test tests/vm/test_kernel_basics.sh.
 *
 *   x25kcheck socket
 *       socket(AF_X25, SOCK_SEQPACKET, 0) must succeed.
 *   x25kcheck tun NAME ADDRESS SIGDIGITS COMMAND [ARG...]
 *       create TUN NAME, give it link type ARPHRD_X25 while down, bring it up,
 *       add the X.25 route ADDRESS/SIGDIGITS to it, run COMMAND while all of
 *       that exists (so the caller can inspect /proc and /sys), then delete the
 *       route. Exits with COMMAND's status.
 *
 * Every kernel call is checked; a failure prints what failed and exits 2.
 */
#include "x25lib.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_arp.h>
#include <linux/if_tun.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef ARPHRD_X25
#define ARPHRD_X25 271
#endif

enum { EXIT_SETUP_FAILED = 2 };

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void fail(const char *fmt, ...)
{
	va_list ap;

	fputs("x25kcheck: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_SETUP_FAILED);
}

static int open_x25_socket(void)
{
	int fd = x25_socket();

	if (fd < 0)
		fail("socket(AF_X25, SOCK_SEQPACKET, 0): %s (is x25.ko loaded?)", strerror(errno));
	return fd;
}

static int check_socket(void)
{
	int fd = open_x25_socket();

	printf("AF_X25 SOCK_SEQPACKET socket created\n");
	close(fd);
	return 0;
}

static void set_link_up(const char *name, int up)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0)
		fail("socket(AF_INET) for interface flags: %s", strerror(errno));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		fail("SIOCGIFFLAGS %s: %s", name, strerror(errno));
	if (up)
		ifr.ifr_flags |= IFF_UP;
	else
		ifr.ifr_flags &= ~IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		fail("SIOCSIFFLAGS %s %s: %s", name, up ? "up" : "down", strerror(errno));
	close(fd);
}

/*
 * A TUN without IFF_NO_PI: with NO_PI tun guesses the protocol from the IP
 * version nibble and X.25 frames would be rejected.
 */
static int create_x25_tun(const char *name)
{
	struct ifreq ifr = { 0 };
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		fail("open /dev/net/tun: %s (is tun.ko loaded?)", strerror(errno));
	ifr.ifr_flags = IFF_TUN;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		fail("TUNSETIFF %s: %s", name, strerror(errno));
	if (strcmp(ifr.ifr_name, name) != 0)
		fail("TUNSETIFF created %s instead of %s", ifr.ifr_name, name);
	// The kernel only allows a link type change while the interface is down.
	if (ioctl(fd, TUNSETLINK, (unsigned long)ARPHRD_X25) < 0)
		fail("TUNSETLINK %s ARPHRD_X25: %s", name, strerror(errno));
	set_link_up(name, 1);
	errno = 0;
	if (ioctl(fd, TUNSETLINK, (unsigned long)ARPHRD_X25) == 0 || errno != EBUSY)
		fail("TUNSETLINK on the up interface %s should fail with EBUSY, got %s", name,
		     errno ? strerror(errno) : "success");
	return fd;
}

static struct x25_route_struct make_route(const char *address, unsigned int sigdigits,
					  const char *device)
{
	struct x25_route_struct route = { 0 };

	if (strlen(address) > X25_ADDRESS_DIGITS)
		fail("X.121 address %s is longer than 15 digits", address);
	snprintf(route.address.x25_addr, sizeof(route.address.x25_addr), "%s", address);
	route.sigdigits = sigdigits;
	snprintf(route.device, sizeof(route.device), "%s", device);
	return route;
}

static int run_command(char **argv)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		fail("fork: %s", strerror(errno));
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "x25kcheck: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		fail("waitpid: %s", strerror(errno));
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int check_tun_route(const char *name, const char *address, const char *digits,
			   char **command)
{
	char *end;
	unsigned long sigdigits = strtoul(digits, &end, 10);
	struct x25_route_struct route;
	int tun_fd, x25_fd, status;

	if (*digits == '\0' || *end != '\0' || sigdigits > 15)
		fail("SIGDIGITS must be 0..15, not '%s'", digits);
	tun_fd = create_x25_tun(name);
	printf("TUN %s has link type ARPHRD_X25 and is up\n", name);

	x25_fd = open_x25_socket();
	route = make_route(address, (unsigned int)sigdigits, name);
	if (ioctl(x25_fd, SIOCADDRT, &route) < 0)
		fail("SIOCADDRT %s/%lu via %s: %s", address, sigdigits, name, strerror(errno));
	// The kernel refuses a second route with the same prefix and length.
	errno = 0;
	if (ioctl(x25_fd, SIOCADDRT, &route) == 0 || errno != EINVAL)
		fail("a duplicate SIOCADDRT should fail with EINVAL, got %s",
		     errno ? strerror(errno) : "success");
	printf("X.25 route %s/%lu via %s added\n", address, sigdigits, name);

	status = run_command(command);

	if (ioctl(x25_fd, SIOCDELRT, &route) < 0)
		fail("SIOCDELRT %s/%lu via %s: %s", address, sigdigits, name, strerror(errno));
	close(x25_fd);
	close(tun_fd);
	return status;
}

static void usage(FILE *out)
{
	fputs("usage: x25kcheck socket\n"
	      "       x25kcheck tun NAME ADDRESS SIGDIGITS COMMAND [ARG...]\n",
	      out);
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "socket") == 0)
		return check_socket();
	if (argc >= 6 && strcmp(argv[1], "tun") == 0)
		return check_tun_route(argv[2], argv[3], argv[4], argv + 5);
	if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return EXIT_SETUP_FAILED;
}
