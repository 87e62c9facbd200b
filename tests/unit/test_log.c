// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_log.c - log lines in both styles: goxot's timestamped lines, and "<N>message" with the
 * syslog priority when JOURNAL_STREAM names stderr's device and inode (here a pipe's).
 */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "trace.h"
#include "x25.h"

static int saved_stderr = -1;
static int pipe_rd = -1;
static char pipe_id[64]; /* the pipe's "dev:ino", as systemd would set JOURNAL_STREAM */

/* stderr becomes the write end of a fresh pipe; the test reads the other end. */
static int setup(void **state)
{
	int p[2];
	struct stat st;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	saved_stderr = dup(STDERR_FILENO);
	assert_true(saved_stderr >= 0);
	assert_int_equal(dup2(p[1], STDERR_FILENO), STDERR_FILENO);
	close(p[1]);
	pipe_rd = p[0];
	assert_int_equal(fstat(STDERR_FILENO, &st), 0);
	snprintf(pipe_id, sizeof(pipe_id), "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
	unsetenv("JOURNAL_STREAM");
	log_trace_on = false;
	return 0;
}

static const char *output(void);

static int teardown(void **state)
{
	/* cmocka writes a failed assertion's message to stderr, that is into the pipe: pass it on. */
	const char *left = output();

	dup2(saved_stderr, STDERR_FILENO);
	if (left[0])
		fprintf(stderr, "%s", left);
	close(saved_stderr);
	close(pipe_rd);
	unsetenv("JOURNAL_STREAM");
	log_init();
	log_trace_on = false;
	return 0;
}

/* Everything written to stderr since the last call. */
static const char *output(void)
{
	static char buf[8192];
	size_t n = 0;
	ssize_t got;

	while (n < sizeof(buf) - 1 && (got = read(pipe_rd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)got;
	buf[n] = '\0';
	return buf;
}

static void journal_on(void)
{
	setenv("JOURNAL_STREAM", pipe_id, 1);
	log_init();
	assert_true(log_to_journal());
}

static void assert_matches(const char *text, const char *pattern)
{
	regex_t re;
	int rc;

	assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
	rc = regexec(&re, text, 0, NULL, 0);
	regfree(&re);
	if (rc != 0)
		fail_msg("\"%s\" does not match /%s/", text, pattern);
}

static void each_level_gets_its_priority_and_no_timestamp_in_the_journal(void **state)
{
	journal_on();
	log_error("cannot add route %s: %s", "127003", "File exists");
	assert_string_equal(output(), "<3>Error: cannot add route 127003: File exists\n");
	log_warn("cannot watch %s for changes", "/etc/x25lo");
	assert_string_equal(output(), "<4>Warning: cannot watch /etc/x25lo for changes\n");
	log_info("TUN interface %s ready", "tunlb0");
	assert_string_equal(output(), "<6>TUN interface tunlb0 ready\n");
	log_msg("Stats dump: end (%u calls)", 0u); /* the SIGUSR1 dump's lines */
	assert_string_equal(output(), "<6>Stats dump: end (0 calls)\n");
	log_debug("tunlb1>tunlb0 %s", "DATA");
	assert_string_equal(output(), "<7>tunlb1>tunlb0 DATA\n");
	log_at(LOG_PRIORITY_WARNING, "%s", "as is");
	assert_string_equal(output(), "<4>as is\n");
}

static void lines_keep_goxots_timestamp_without_the_journal(void **state)
{
	log_init();
	assert_false(log_to_journal());
	log_error("cannot add route %s", "127003");
	assert_matches(output(), "^[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} Error: cannot add route 127003\n$");
	log_warn("w");
	assert_matches(output(), "^[0-9/]{10} [0-9:]{8} Warning: w\n$");
	log_info("tunlb0: link operational");
	assert_matches(output(), "^[0-9/]{10} [0-9:]{8} tunlb0: link operational\n$");
	log_msg("x25lo state: calls=0");
	assert_matches(output(), "^[0-9/]{10} [0-9:]{8} x25lo state: calls=0\n$");
	log_debug("t");
	assert_matches(output(), "^[0-9/]{10} [0-9:]{8} t\n$");
}

/* Inherited by a child whose stderr goes elsewhere, or mangled: timestamped lines. */
static void journal_stream_must_name_this_stderr_exactly(void **state)
{
	static const char *const others[] = {"", "1", "1:", ":2", "1:2x", "x:1", "-1:2", "1:-2", " 1:2", "1:2:3",
					     "99999999999999999999999:1"};
	struct stat st;
	char other[80];

	assert_int_equal(fstat(STDERR_FILENO, &st), 0);
	snprintf(other, sizeof(other), "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino + 1);
	setenv("JOURNAL_STREAM", other, 1);
	log_init();
	assert_false(log_to_journal());
	snprintf(other, sizeof(other), "%ju:%ju", (uintmax_t)st.st_dev + 1, (uintmax_t)st.st_ino);
	setenv("JOURNAL_STREAM", other, 1);
	log_init();
	assert_false(log_to_journal());
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		setenv("JOURNAL_STREAM", others[i], 1);
		log_init();
		if (log_to_journal())
			fail_msg("JOURNAL_STREAM=\"%s\" taken for the journal", others[i]);
	}
	log_info("plain");
	assert_matches(output(), "^[0-9/]{10} [0-9:]{8} plain\n$");
	/* And back: the exact pair is the journal. */
	journal_on();
	log_info("journal");
	assert_string_equal(output(), "<6>journal\n");
}

static void trace_lines_are_debug_and_only_with_trace_on(void **state)
{
	static const uint8_t restart[] = {0x10, 0x00, 0xFB, 0x00, 0x00};

	journal_on();
	log_trace("not %s", "shown");
	assert_string_equal(output(), "");
	log_trace_on = true;
	log_trace("%s: ignored", "tunlb0");
	assert_string_equal(output(), "<7>tunlb0: ignored\n");
	trace_frame("tunlb0", "x25lo", X25_IFACE_DATA, restart, sizeof(restart), false);
	assert_string_equal(output(), "<7>tunlb0>x25lo RESTART_REQ 10 00 FB 00 00\n");
	trace_frame("x25lo", "tunlb0", X25_IFACE_CONNECT, NULL, 0, false);
	assert_string_equal(output(), "<7>x25lo>tunlb0 CONNECT\n");
}

static void percent_m_is_the_callers_errno_in_both_styles(void **state)
{
	int after;

	errno = ENOENT;
	log_error("epoll_wait failed: %m");
	after = errno; /* logging leaves it alone */
	assert_matches(output(), " Error: epoll_wait failed: No such file or directory\n$");
	assert_int_equal(after, ENOENT);
	journal_on();
	errno = EBADF;
	log_error("epoll_wait failed: %m");
	after = errno;
	assert_string_equal(output(), "<3>Error: epoll_wait failed: Bad file descriptor\n");
	assert_int_equal(after, EBADF);
}

static void a_long_line_is_cut_and_still_ends_with_a_newline(void **state)
{
	char big[4000];
	const char *out;

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	journal_on();
	log_warn("%s", big);
	out = output();
	assert_int_equal(strlen(out), 2047);
	assert_memory_equal(out, "<4>Warning: aaa", 15);
	assert_int_equal(out[2046], '\n');
	assert_ptr_equal(strchr(out, '\n'), out + 2046);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(each_level_gets_its_priority_and_no_timestamp_in_the_journal),
		T(lines_keep_goxots_timestamp_without_the_journal),
		T(journal_stream_must_name_this_stderr_exactly),
		T(trace_lines_are_debug_and_only_with_trace_on),
		T(percent_m_is_the_callers_errno_in_both_styles),
		T(a_long_line_is_cut_and_still_ends_with_a_newline),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
