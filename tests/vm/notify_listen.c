// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * notify_listen.c - play systemd's side of sd_notify in the VM guest (no systemd there):
 * bind a unix datagram socket at PATH, and append each message x25lo sends to OUT as one line
 *     <ms> <log bytes> <message, its newlines shown as '|'>
 * ms: CLOCK_MONOTONIC milliseconds at receipt; log bytes: the size of --log FILE at receipt
 * (x25lo writes a log line before the message that follows from it, so the log's first
 * <log bytes> bytes hold everything x25lo had logged when it sent the message). Runs until
 * SIGTERM. The socket is made writable by everyone (x25lo may run as another user).
 *
 *   notify_listen PATH OUT [--log FILE]
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	const char *log_path = NULL;
	char buf[4096];
	FILE *out;
	int fd;

	if (argc == 5 && strcmp(argv[3], "--log") == 0)
		log_path = argv[4];
	else if (argc != 3) {
		fprintf(stderr, "usage: notify_listen PATH OUT [--log FILE]\n");
		return 2;
	}
	if (strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "notify_listen: %s: path too long for a unix socket\n", argv[1]);
		return 2;
	}
	memcpy(sa.sun_path, argv[1], strlen(argv[1]) + 1);
	out = fopen(argv[2], "a");
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (!out || fd < 0) {
		fprintf(stderr, "notify_listen: %s: %s\n", out ? "socket" : argv[2], strerror(errno));
		return 1;
	}
	unlink(argv[1]);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(argv[1], 0666) < 0) {
		fprintf(stderr, "notify_listen: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
		struct stat st = {0};

		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "notify_listen: recv: %s\n", strerror(errno));
			return 1;
		}
		if (log_path && stat(log_path, &st) < 0)
			st.st_size = -1;
		buf[n] = '\0';
		for (char *p = buf; *p; p++)
			if (*p == '\n')
				*p = '|';
		fprintf(out, "%llu %lld %s\n", (unsigned long long)now_ms(), (long long)st.st_size, buf);
		fflush(out);
	}
}
