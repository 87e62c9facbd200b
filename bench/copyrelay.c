// SPDX-License-Identifier: GPL-2.0-or-later
/* copyrelay.c - benchmark baseline: copy X.25 frames between two TUNs without LCI mapping.
 *
 * Not part of x25lo. It plays the DCE on two ARPHRD_X25 TUNs (docs/linux-x25.md §1.1, §1.5,
 * §7 rule 3) and copies every frame with LCI != 0 unchanged to the other TUN. That is correct
 * only while calls go one way (A's kernel always calls, B's kernel always answers): a call
 * in each direction at once can collide on an LCI (docs/linux-x25.md §9.2). Its speed is the
 * floor x25lo's relay cost is compared with.
 *
 * One epoll loop, one static frame buffer, one read() and one write() per frame.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if.h>
#include <linux/if_arp.h>
#include <linux/if_tun.h>
#include <linux/x25.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

enum {
	EXIT_SETUP = 1,
	EXIT_USAGE = 2,
};

#define ETH_P_X25_BE_HI 0x08
#define ETH_P_X25_BE_LO 0x05
#define PI_LEN 4         /* struct tun_pi: flags (host order), proto (big endian) */
#define PH_DATA 0x00     /* X25_IFACE_DATA: a PLP packet follows */
#define PH_CONNECT 0x01  /* X25_IFACE_CONNECT */
#define PH_DISCONNECT 0x02
#define TYPE_RESTART_REQUEST 0xFB
#define TYPE_RESTART_CONFIRMATION 0xFF
/* 64 KiB of payload in one data packet is possible with large packet sizes
 * (docs/linux-x25.md §1.2). */
#define FRAME_MAX (PI_LEN + 1 + 4 + 65535 + 64)

struct tun_link {
	const char *name;
	char address[16];
	int fd;
	bool ready;              /* a RESTART REQUEST was confirmed on it */
	unsigned long copied;    /* frames read from this TUN and copied to the other */
	unsigned long long bytes_copied;
	unsigned long link_frames; /* ph 01/02 and LCI-0 frames, handled locally */
	unsigned long ignored;     /* malformed, foreign protocol */
	unsigned long write_errors;
	unsigned long restarts_confirmed;
};

static unsigned char frame[FRAME_MAX];

static void usage(FILE *out)
{
	fprintf(out,
		"usage: copyrelay [-a TUN_A] [-b TUN_B] ADDR_A ADDR_B\n"
		"\n"
		"Creates TUNs TUN_A (default tuncpA) and TUN_B (default tuncpB) as ARPHRD_X25 links,\n"
		"routes X.121 address ADDR_A to TUN_A and ADDR_B to TUN_B, brings both links up as the\n"
		"DCE and copies every frame with LCI != 0 unchanged to the other TUN (no LCI mapping,\n"
		"so only one-directional calls are safe). Benchmark baseline only.\n"
		"\n"
		"Prints \"copyrelay: ready\" once both links are up, a stats line on SIGUSR1, and the\n"
		"final stats on SIGTERM/SIGINT, then exits 0. Exit 1: setup failed (needs root, tun.ko\n"
		"and x25.ko); 2: usage.\n");
}

static void die_setup(const char *what, const char *detail) __attribute__((noreturn));
static void die_setup(const char *what, const char *detail)
{
	fprintf(stderr, "copyrelay: %s: %s\n", what, detail);
	exit(EXIT_SETUP);
}

static int open_tun(const char *name)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		die_setup("open /dev/net/tun", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	/* Packet information stays on: without it tun guesses IPv4/IPv6 and rejects X.25. */
	ifr.ifr_flags = IFF_TUN;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		die_setup("TUNSETIFF (is another relay using this name?)", strerror(errno));
	/* Must happen while the device is down; it creates the kernel's X.25 neighbour. */
	if (ioctl(fd, TUNSETLINK, (unsigned long)ARPHRD_X25) < 0)
		die_setup("TUNSETLINK ARPHRD_X25 (is x25.ko loaded?)", strerror(errno));
	return fd;
}

static void bring_up(const char *name)
{
	struct ifreq ifr;
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (sock < 0)
		die_setup("socket(AF_INET) for SIOCSIFFLAGS", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
		die_setup("SIOCGIFFLAGS", strerror(errno));
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
		die_setup("SIOCSIFFLAGS up", strerror(errno));
	close(sock);
}

static void add_route(const char *address, const char *device)
{
	struct x25_route_struct rt;
	int sock = socket(AF_X25, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (sock < 0)
		die_setup("socket(AF_X25) for SIOCADDRT (is x25.ko loaded?)", strerror(errno));
	memset(&rt, 0, sizeof(rt));
	snprintf(rt.address.x25_addr, sizeof(rt.address.x25_addr), "%s", address);
	rt.sigdigits = (unsigned)strlen(address);
	snprintf(rt.device, sizeof(rt.device), "%s", device);
	if (ioctl(sock, SIOCADDRT, &rt) < 0) {
		fprintf(stderr,
			"copyrelay: SIOCADDRT %s via %s: %s (EINVAL: a route for this prefix exists "
			"already, see /proc/net/x25/route)\n",
			address, device, strerror(errno));
		exit(EXIT_SETUP);
	}
	close(sock);
}

static void write_frame(struct tun_link *to, const unsigned char *buf, size_t len)
{
	ssize_t n = write(to->fd, buf, len);

	if (n != (ssize_t)len) {
		to->write_errors++;
		if (to->write_errors <= 10)
			fprintf(stderr, "copyrelay: write of %zu bytes to %s: %s\n", len, to->name,
				n < 0 ? strerror(errno) : "short write");
	}
}

static void write_link_control(struct tun_link *to, unsigned char ph, const unsigned char *pkt,
			       size_t pkt_len)
{
	unsigned char out[PI_LEN + 1 + 8] = {0, 0, ETH_P_X25_BE_HI, ETH_P_X25_BE_LO, ph};

	if (pkt_len)
		memcpy(out + PI_LEN + 1, pkt, pkt_len);
	write_frame(to, out, PI_LEN + 1 + pkt_len);
}

static void print_stats(const char *label, const struct tun_link links[2])
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	printf("copyrelay: %s %s_to_%s=%lu %s_to_%s=%lu bytes=%llu link_frames=%lu ignored=%lu "
	       "write_errors=%lu restarts=%lu cpu_ms=%ld\n",
	       label, links[0].name, links[1].name, links[0].copied, links[1].name, links[0].name,
	       links[1].copied, links[0].bytes_copied + links[1].bytes_copied,
	       links[0].link_frames + links[1].link_frames, links[0].ignored + links[1].ignored,
	       links[0].write_errors + links[1].write_errors,
	       links[0].restarts_confirmed + links[1].restarts_confirmed,
	       (long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
		       (long)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000);
	fflush(stdout);
}

/* LCI-0 traffic and the pseudo-header handshake stay on their own TUN
 * (docs/linux-x25.md §7 rules 3 and 9). */
static void handle_link_frame(struct tun_link *from, const unsigned char *ph, size_t len,
			      const struct tun_link links[2])
{
	from->link_frames++;
	if (ph[0] == PH_CONNECT || ph[0] == PH_DISCONNECT) {
		if (ph[0] == PH_CONNECT && from->ready)
			fprintf(stderr, "copyrelay: %s asked for the link again; its calls are lost\n",
				from->name);
		write_link_control(from, ph[0], NULL, 0);
		return;
	}
	if (len >= 3 && ph[3] == TYPE_RESTART_REQUEST) {
		/* Same modulo as the request (GFI 0x10 or 0x20), LCI 0. */
		unsigned char confirm[3] = {(unsigned char)(ph[1] & 0x30), 0x00,
					    TYPE_RESTART_CONFIRMATION};

		write_link_control(from, PH_DATA, confirm, sizeof(confirm));
		from->restarts_confirmed++;
		if (!from->ready) {
			from->ready = true;
			if (links[0].ready && links[1].ready) {
				printf("copyrelay: ready\n");
				fflush(stdout);
			}
		}
	}
}

/* Reads everything queued on `from` (bounded, for fairness) and copies it to `to`. */
static void drain(struct tun_link *from, struct tun_link *to, const struct tun_link links[2])
{
	for (int batch = 0; batch < 64; batch++) {
		ssize_t n = read(from->fd, frame, sizeof(frame));
		const unsigned char *ph = frame + PI_LEN;
		size_t pkt_len;
		unsigned lci;

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				fprintf(stderr, "copyrelay: read %s: %s\n", from->name, strerror(errno));
			return;
		}
		if (n < PI_LEN + 1 || frame[2] != ETH_P_X25_BE_HI || frame[3] != ETH_P_X25_BE_LO) {
			from->ignored++;
			continue;
		}
		pkt_len = (size_t)n - PI_LEN - 1;
		if (ph[0] != PH_DATA) {
			handle_link_frame(from, ph, pkt_len, links);
			continue;
		}
		if (pkt_len < 3) {
			from->ignored++;
			continue;
		}
		lci = ((unsigned)(ph[1] & 0x0F) << 8) | ph[2];
		if (lci == 0) {
			handle_link_frame(from, ph, pkt_len, links);
			continue;
		}
		write_frame(to, frame, (size_t)n);
		from->copied++;
		from->bytes_copied += pkt_len;
	}
}

/* Reads the queued signals: SIGUSR1 prints the stats; SIGTERM/SIGINT print them and return true. */
static bool handle_signals(int signal_fd, const struct tun_link links[2])
{
	struct signalfd_siginfo si;

	while (read(signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo != SIGUSR1) {
			print_stats("exit", links);
			return true;
		}
		print_stats("stats", links);
	}
	return false;
}

int main(int argc, char **argv)
{
	struct tun_link links[2] = {{.name = "tuncpA"}, {.name = "tuncpB"}};
	struct epoll_event ev = {.events = EPOLLIN};
	sigset_t mask;
	int epoll_fd, signal_fd, c;

	while ((c = getopt(argc, argv, "a:b:h")) != -1) {
		switch (c) {
		case 'a': links[0].name = optarg; break;
		case 'b': links[1].name = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (int i = 0; i < 2; i++) {
		const char *addr = argv[optind + i];

		if (strlen(addr) == 0 || strlen(addr) > 15 || strspn(addr, "0123456789") != strlen(addr)) {
			fprintf(stderr, "copyrelay: address \"%s\" must be 1..15 digits\n", addr);
			return EXIT_USAGE;
		}
		if (strlen(links[i].name) >= IFNAMSIZ) {
			fprintf(stderr, "copyrelay: TUN name \"%s\" is longer than %d characters\n",
				links[i].name, IFNAMSIZ - 1);
			return EXIT_USAGE;
		}
		snprintf(links[i].address, sizeof(links[i].address), "%s", addr);
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ||
	    (signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		die_setup("signalfd", strerror(errno));
	epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (epoll_fd < 0)
		die_setup("epoll_create1", strerror(errno));
	ev.data.fd = signal_fd;
	if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, signal_fd, &ev) < 0)
		die_setup("epoll_ctl", strerror(errno));

	for (int i = 0; i < 2; i++) {
		links[i].fd = open_tun(links[i].name);
		bring_up(links[i].name);
		/* Routes need the device up; they vanish when the TUN is closed. */
		add_route(links[i].address, links[i].name);
		ev.data.fd = links[i].fd;
		if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, links[i].fd, &ev) < 0)
			die_setup("epoll_ctl", strerror(errno));
	}
	printf("copyrelay: %s=%s %s=%s\n", links[0].name, links[0].address, links[1].name,
	       links[1].address);
	fflush(stdout);
	/* Proactive bring-up: each fresh neighbour answers with one RESTART REQUEST
	 * (docs/linux-x25.md §1.5). */
	for (int i = 0; i < 2; i++)
		write_link_control(&links[i], PH_CONNECT, NULL, 0);

	for (;;) {
		struct epoll_event events[8];
		int n = epoll_wait(epoll_fd, events, 8, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die_setup("epoll_wait", strerror(errno));
		}
		for (int i = 0; i < n; i++) {
			int fd = events[i].data.fd;

			if (fd == links[0].fd)
				drain(&links[0], &links[1], links);
			else if (fd == links[1].fd)
				drain(&links[1], &links[0], links);
			else if (handle_signals(signal_fd, links))
				return 0;
		}
	}
}
