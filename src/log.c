/* log.c - timestamped log lines on stderr. */
#include "log.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

bool log_trace_on;

void log_vmsg(const char *fmt, va_list ap)
{
	char line[2048];
	time_t now = time(NULL);
	struct tm tm;
	size_t n;
	int m;

	localtime_r(&now, &tm);
	n = strftime(line, sizeof(line), "%Y/%m/%d %H:%M:%S ", &tm);
	m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	if (m < 0)
		return;
	n += (size_t)m < sizeof(line) - n - 1 ? (size_t)m : sizeof(line) - n - 2;
	line[n++] = '\n';
	/* One write per line so lines from a daemon and its children never interleave. */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

void log_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(fmt, ap);
	va_end(ap);
}
