// SPDX-License-Identifier: GPL-2.0-or-later
/* log.c - log lines on stderr: timestamped, or with syslog priorities when stderr is the journal. */
#include "log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

bool log_trace_on;

static int journal = -1; /* 1: stderr is the journal, 0: it is not, -1: not decided yet */

/* "dev:ino" in decimal, as systemd sets JOURNAL_STREAM; false for anything else. */
static bool parse_journal_stream(const char *s, uintmax_t *dev, uintmax_t *ino)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	*dev = strtoumax(s, &end, 10);
	if (errno || *end != ':' || end[1] < '0' || end[1] > '9')
		return false;
	*ino = strtoumax(end + 1, &end, 10);
	return !errno && *end == '\0';
}

void log_init(void)
{
	int saved = errno;
	uintmax_t dev, ino;
	struct stat st;

	/* The variable is inherited by children whose stderr may go elsewhere: compare both numbers. */
	journal = parse_journal_stream(getenv("JOURNAL_STREAM"), &dev, &ino) && fstat(STDERR_FILENO, &st) == 0 &&
		  (uintmax_t)st.st_dev == dev && (uintmax_t)st.st_ino == ino;
	errno = saved;
}

bool log_to_journal(void)
{
	if (journal < 0)
		log_init();
	return journal == 1;
}

void log_vat(enum log_priority priority, const char *fmt, va_list ap)
{
	char line[2048];
	int saved = errno; /* for %m: localtime_r may change errno (it reads the time zone once) */
	size_t n;
	int m;

	if (log_to_journal()) {
		n = (size_t)snprintf(line, sizeof(line), "<%d>", (int)priority);
	} else {
		time_t now = time(NULL);
		struct tm tm;

		localtime_r(&now, &tm);
		n = strftime(line, sizeof(line), "%Y/%m/%d %H:%M:%S ", &tm);
	}
	errno = saved;
	m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	if (m < 0)
		return;
	n += (size_t)m < sizeof(line) - n - 1 ? (size_t)m : sizeof(line) - n - 2;
	line[n++] = '\n';
	/* One write per line so lines from a daemon and its children never interleave. */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
	errno = saved;
}

void log_at(enum log_priority priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vat(priority, fmt, ap);
	va_end(ap);
}

void log_vmsg(const char *fmt, va_list ap)
{
	log_vat(LOG_PRIORITY_INFO, fmt, ap);
}

void log_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vat(LOG_PRIORITY_INFO, fmt, ap);
	va_end(ap);
}
