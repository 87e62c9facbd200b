// SPDX-License-Identifier: GPL-2.0-or-later
/* log.h - log lines on stderr: goxot's timestamped style, or syslog priorities for the journal; a cheap trace gate. */
#ifndef X25LO_LOG_H
#define X25LO_LOG_H

#include <stdbool.h>
#include <stdarg.h>

#define X25LO_PRINTF(fmt_idx, arg_idx) __attribute__((format(printf, fmt_idx, arg_idx)))

/* Syslog priorities (syslog(3)'s LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG). */
enum log_priority {
	LOG_PRIORITY_ERROR = 3,
	LOG_PRIORITY_WARNING = 4,
	LOG_PRIORITY_INFO = 6,
	LOG_PRIORITY_DEBUG = 7,
};

/* Set by -trace. Checked by log_trace() before any argument is evaluated. */
extern bool log_trace_on;

/*
 * How lines look is decided at the first line (or again by log_init, for tests): when stderr
 * is the journal (JOURNAL_STREAM names stderr's device and inode, as systemd.exec(5) and
 * sd_journal_stream_fd(3) describe), "<N>message\n", N the priority, no timestamp (the journal
 * stamps and ranks each line itself); otherwise "YYYY/MM/DD HH:MM:SS message\n".
 */
void log_init(void);

/* Whether stderr is connected to the journal (decided as above). */
bool log_to_journal(void);

/* One line on stderr with its priority, one write(2) per line. */
void log_at(enum log_priority priority, const char *fmt, ...) X25LO_PRINTF(2, 3);
void log_vat(enum log_priority priority, const char *fmt, va_list ap) X25LO_PRINTF(2, 0);

/* An informational line (the SIGUSR1 dump's lines, among others). */
void log_msg(const char *fmt, ...) X25LO_PRINTF(1, 2);
void log_vmsg(const char *fmt, va_list ap) X25LO_PRINTF(1, 0);

/* The words "Warning: " and "Error: " stay in the text in both styles. */
#define log_info(...) log_at(LOG_PRIORITY_INFO, __VA_ARGS__)
#define log_warn(...) log_at(LOG_PRIORITY_WARNING, "Warning: " __VA_ARGS__)
#define log_error(...) log_at(LOG_PRIORITY_ERROR, "Error: " __VA_ARGS__)
/* -trace's lines (trace.c writes its per-packet lines with log_debug after checking the gate). */
#define log_debug(...) log_at(LOG_PRIORITY_DEBUG, __VA_ARGS__)
#define log_trace(...)                                                                             \
	do {                                                                                       \
		if (log_trace_on)                                                                  \
			log_debug(__VA_ARGS__);                                                    \
	} while (0)

#endif
