/* log.h - timestamped logging on stderr in goxot's style, with a cheap trace gate. */
#ifndef X25LO_LOG_H
#define X25LO_LOG_H

#include <stdbool.h>
#include <stdarg.h>

#define X25LO_PRINTF(fmt_idx, arg_idx) __attribute__((format(printf, fmt_idx, arg_idx)))

/* Set by -trace. Checked by log_trace() before any argument is evaluated. */
extern bool log_trace_on;

/* "YYYY/MM/DD HH:MM:SS <message>\n" on stderr, one write(2) per line. */
void log_msg(const char *fmt, ...) X25LO_PRINTF(1, 2);
void log_vmsg(const char *fmt, va_list ap) X25LO_PRINTF(1, 0);

#define log_info(...) log_msg(__VA_ARGS__)
#define log_warn(...) log_msg("Warning: " __VA_ARGS__)
#define log_error(...) log_msg("Error: " __VA_ARGS__)
#define log_trace(...)                                                                             \
	do {                                                                                       \
		if (log_trace_on)                                                                  \
			log_msg(__VA_ARGS__);                                                      \
	} while (0)

#endif
