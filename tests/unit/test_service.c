// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_service.c - what x25lo tells the service manager (service.c): the test binds the
 * unix datagram socket NOTIFY_SOCKET names, as systemd does, and reads each sd_notify
 * message. The relay's TUNs are socketpairs (fake_tun.h); the test plays their kernels, so
 * it decides when each link becomes operational.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon.h"
#include "log.h"
#include "relay.h"
#include "service.h"

#include "fake_tun.h"

#define NTUNS 2

static struct relay relay; /* large: static */
static struct loop *loop;
static int kernel_fd[NTUNS + 1];
static int notify_fd = -1;
static char dir[48], socket_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

static int setup(void **state)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct config cfg;

	snprintf(dir, sizeof(dir), "/tmp/x25lo-test-service.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(socket_path, sizeof(socket_path), "%s/notify", dir);
	memcpy(sa.sun_path, socket_path, sizeof(sa.sun_path));
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(notify_fd >= 0);
	assert_int_equal(bind(notify_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setenv("NOTIFY_SOCKET", socket_path, 1);
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");

	config_defaults(&cfg);
	loop = loop_new();
	assert_non_null(loop);
	relay_init(&relay, loop, &cfg);
	relay.last_reload_ok = true;
	for (unsigned i = 0; i < NTUNS; i++) {
		struct tun *t = fake_tun_add(&relay, i, i ? "127002" : "127001", 3072, 4095, false, &kernel_fd[i]);

		t->link = LINK_STARTING; /* CONNECT sent, the kernel's RESTART REQUEST still to come */
	}
	return 0;
}

/* Every TUN gone, with its kernel's end. */
static void remove_tuns(void)
{
	for (unsigned i = 0; i < relay.ntuns; i++) {
		if (!relay.tuns[i])
			continue;
		close(kernel_fd[i]);
		tun_free(relay.tuns[i]);
		relay.tuns[i] = NULL;
	}
	relay.ntuns = 0;
}

static int teardown(void **state)
{
	service_stop();
	timer_cancel(&relay.shutdown_timer);
	remove_tuns();
	memset(&relay, 0, sizeof(relay));
	loop_free(loop);
	close(notify_fd);
	unlink(socket_path);
	rmdir(dir);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	return 0;
}

/* The next message x25lo sent, "" when there is none. */
static const char *received(void)
{
	static char buf[4096];
	ssize_t n = recv(notify_fd, buf, sizeof(buf) - 1, 0);

	if (n < 0) {
		assert_int_equal(errno, EAGAIN);
		n = 0;
	}
	buf[n] = '\0';
	return buf;
}

static void nothing_received(void)
{
	const char *m = received();

	if (m[0])
		fail_msg("unexpected message to the service manager: \"%s\"", m);
}

/* The kernel behind TUN i restarts the link: x25lo confirms and the link is operational. */
static void kernel_restarts_link(unsigned i)
{
	uint8_t frame[] = {0, 0, 0x08, 0x05, X25_IFACE_DATA, 0x10, 0x00, 0xFB, 0x00, 0x00};
	uint8_t answer[64];

	assert_int_equal(write(kernel_fd[i], frame, sizeof(frame)), (ssize_t)sizeof(frame));
	relay_tun_readable(relay.tuns[i], 0);
	assert_int_equal(read(kernel_fd[i], answer, sizeof(answer)), TUN_FRAME_HEADER + 3); /* RESTART CONFIRMATION */
	assert_int_equal(relay.tuns[i]->link, LINK_READY);
}

static uint64_t monotonic_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void ready_comes_once_every_link_is_operational(void **state)
{
	service_init(&relay);
	assert_true(service_enabled());
	service_started();
	assert_string_equal(received(), "STATUS=Starting: waiting for the links of tunlb0, tunlb1");
	nothing_received();
	daemon_after_batch(&relay);
	nothing_received();

	kernel_restarts_link(1);
	daemon_after_batch(&relay);
	nothing_received(); /* tunlb0 is not there yet */

	kernel_restarts_link(0);
	nothing_received(); /* only at the end of the batch */
	daemon_after_batch(&relay);
	assert_string_equal(received(), "READY=1\nSTATUS=0 calls active, 2/2 links operational");
	nothing_received();
	daemon_after_batch(&relay);
	nothing_received(); /* once */
}

static void ready_at_once_when_every_link_is_already_up_or_there_is_none(void **state)
{
	relay.tuns[0]->link = LINK_READY;
	relay.tuns[1]->link = LINK_READY;
	service_init(&relay);
	service_started();
	assert_string_equal(received(), "READY=1\nSTATUS=0 calls active, 2/2 links operational");
	nothing_received();

	/* No TUN at all (an XOT-only configuration). */
	remove_tuns();
	service_init(&relay);
	service_started();
	assert_string_equal(received(), "READY=1\nSTATUS=0 calls active, 0/0 links operational");
}

/* A TUN whose interface an operator took down is not waited for. */
static void an_interface_that_is_down_is_not_waited_for(void **state)
{
	relay.tuns[1]->admin_up = false;
	relay.tuns[1]->link = LINK_DOWN;
	service_init(&relay);
	service_started();
	assert_string_equal(received(), "STATUS=Starting: waiting for the link of tunlb0");
	kernel_restarts_link(0);
	daemon_after_batch(&relay);
	assert_string_equal(received(), "READY=1\nSTATUS=0 calls active, 1/2 links operational");
}

static void a_reload_is_reloading_then_ready(void **state)
{
	const char *m;
	unsigned long long usec;
	uint64_t before, after;
	int used = 0;

	relay.tuns[0]->link = LINK_READY;
	relay.tuns[1]->link = LINK_READY;
	service_init(&relay);
	service_started();
	assert_string_equal(received(), "READY=1\nSTATUS=0 calls active, 2/2 links operational");

	before = monotonic_usec();
	service_reloading();
	after = monotonic_usec();
	m = received();
	assert_int_equal(sscanf(m, "RELOADING=1\nMONOTONIC_USEC=%llu\n%n", &usec, &used), 1);
	assert_true(used > 0);
	assert_true(usec >= before && usec <= after);
	assert_string_equal(m + used, "STATUS=Reloading the configuration");
	nothing_received();
	daemon_after_batch(&relay);
	assert_string_equal(received(), "READY=1\nSTATUS=0 calls active, 2/2 links operational");

	/* A reload that adds a route: READY=1 once its new link is operational too. */
	service_reloading();
	assert_non_null(strstr(received(), "RELOADING=1\n"));
	fake_tun_add(&relay, NTUNS, "127003", 3072, 4095, false, &kernel_fd[NTUNS])->link = LINK_STARTING;
	daemon_after_batch(&relay);
	nothing_received();
	loop_run_timers(loop, loop_now_ms() + SERVICE_STATUS_MS);
	assert_string_equal(received(), "STATUS=Reloading the configuration: waiting for the link of tunlb2");
	kernel_restarts_link(NTUNS);
	daemon_after_batch(&relay);
	assert_string_equal(received(), "READY=1\nSTATUS=0 calls active, 3/3 links operational");

	/* A reload that failed: READY=1 all the same, and the status says why. */
	service_reloading();
	assert_non_null(strstr(received(), "RELOADING=1\n"));
	relay.last_reload_ok = false;
	snprintf(relay.last_reload_error, sizeof(relay.last_reload_error), "/etc/x25lo/config.json: line 3: ...");
	daemon_after_batch(&relay);
	assert_string_equal(received(), "READY=1\nSTATUS=0 calls active, 3/3 links operational; the last reload failed: "
					"/etc/x25lo/config.json: line 3: ...");
}

static void status_follows_the_calls_on_a_timer_and_only_when_it_changed(void **state)
{
	uint64_t now = loop_now_ms();

	relay.tuns[0]->link = LINK_READY;
	relay.tuns[1]->link = LINK_READY;
	service_init(&relay);
	service_started();
	assert_string_equal(received(), "READY=1\nSTATUS=0 calls active, 2/2 links operational");

	relay.calls_by_state[CALL_CONNECTED] = 2;
	relay.calls_by_state[CALL_SETUP] = 1;
	daemon_after_batch(&relay);
	nothing_received(); /* not per call */
	loop_run_timers(loop, now + SERVICE_STATUS_MS - 100);
	nothing_received();
	loop_run_timers(loop, now + SERVICE_STATUS_MS + 100);
	assert_string_equal(received(), "STATUS=3 calls active, 2/2 links operational");
	loop_run_timers(loop, now + 2 * SERVICE_STATUS_MS + 200);
	nothing_received(); /* unchanged */
	relay.calls_by_state[CALL_SETUP] = 0;
	relay.calls_by_state[CALL_CONNECTED] = 1;
	relay.tuns[1]->link = LINK_STARTING; /* the kernel restarted it */
	loop_run_timers(loop, now + 3 * SERVICE_STATUS_MS + 300);
	assert_string_equal(received(), "STATUS=1 call active, 1/2 links operational");
	relay.calls_by_state[CALL_CONNECTED] = 0;
}

static void stopping_is_said_once_and_ends_readiness(void **state)
{
	service_init(&relay);
	service_started();
	assert_non_null(strstr(received(), "STATUS=Starting"));
	daemon_begin_shutdown(&relay);
	assert_string_equal(received(), "STOPPING=1\nSTATUS=Shutting down: 0 calls clearing");
	daemon_begin_shutdown(&relay);
	service_stopping();
	nothing_received();
	/* The links coming up now change nothing: no READY=1 after STOPPING=1. */
	kernel_restarts_link(0);
	kernel_restarts_link(1);
	daemon_after_batch(&relay);
	service_reloading();
	nothing_received();
}

/* WATCHDOG_USEC=200000: a ping at start, then every 100 ms from a timer of the loop. */
static void stop_loop(void *ctx)
{
	loop_stop(ctx);
}

static void the_watchdog_is_pinged_at_half_its_interval(void **state)
{
	char pid[16];
	struct timer stop;
	unsigned pings = 0;
	const char *m;

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("WATCHDOG_USEC", "200000", 1);
	setenv("WATCHDOG_PID", pid, 1);
	service_init(&relay);
	assert_string_equal(received(), "WATCHDOG=1");
	timer_init(&stop, stop_loop, loop);
	timer_set(loop_timers(loop), &stop, loop_now_ms() + 1050);
	assert_int_equal(loop_run(loop, NULL, NULL), 0);
	while ((m = received())[0]) {
		if (strcmp(m, "WATCHDOG=1") != 0)
			fail_msg("unexpected message \"%s\"", m);
		pings++;
	}
	/* 10 in 1.05 s; a loaded machine runs timers late, never early. */
	if (pings < 7 || pings > 10)
		fail_msg("%u watchdog pings in 1.05 s, expected 10 (every 100 ms)", pings);
}

static void no_watchdog_for_another_process_or_without_the_variable(void **state)
{
	setenv("WATCHDOG_USEC", "200000", 1);
	setenv("WATCHDOG_PID", "1", 1); /* WATCHDOG_USEC is for PID 1, not this process */
	service_init(&relay);
	nothing_received();
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	service_init(&relay);
	nothing_received();
	/* Only the STATUS timer is pending. */
	assert_int_equal(loop_next_deadline(loop) - loop_now_ms() > SERVICE_STATUS_MS - 1000, 1);
}

static void nothing_happens_without_notify_socket(void **state)
{
	unsetenv("NOTIFY_SOCKET");
	setenv("WATCHDOG_USEC", "200000", 1);
	service_init(&relay);
	assert_false(service_enabled());
	assert_int_equal(loop_next_deadline(loop), 0); /* no timer armed */
	service_started();
	kernel_restarts_link(0);
	kernel_restarts_link(1);
	daemon_after_batch(&relay);
	service_reloading();
	daemon_after_batch(&relay);
	daemon_begin_shutdown(&relay);
	timer_cancel(&relay.shutdown_timer);
	assert_int_equal(loop_next_deadline(loop), 0);
	nothing_received();
}

/* A socket that is not there: one warning, x25lo carries on. */
static void an_unreachable_manager_is_one_warning(void **state)
{
	char path[200];
	int saved = dup(STDERR_FILENO), p[2];
	char out[2048] = "";
	ssize_t n;

	snprintf(path, sizeof(path), "%s/gone", dir);
	setenv("NOTIFY_SOCKET", path, 1);
	assert_int_equal(pipe(p), 0);
	dup2(p[1], STDERR_FILENO);
	log_init();
	service_init(&relay);
	service_started();
	service_reloading();
	daemon_after_batch(&relay);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(p[1]);
	n = read(p[0], out, sizeof(out) - 1);
	close(p[0]);
	out[n > 0 ? n : 0] = '\0';
	assert_non_null(strstr(out, "Warning: cannot notify the service manager at NOTIFY_SOCKET="));
	assert_non_null(strstr(out, "No such file or directory"));
	assert_null(strstr(strstr(out, "Warning:") + 1, "Warning:")); /* one line */
	nothing_received();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(ready_comes_once_every_link_is_operational),
		T(ready_at_once_when_every_link_is_already_up_or_there_is_none),
		T(an_interface_that_is_down_is_not_waited_for),
		T(a_reload_is_reloading_then_ready),
		T(status_follows_the_calls_on_a_timer_and_only_when_it_changed),
		T(stopping_is_said_once_and_ends_readiness),
		T(the_watchdog_is_pinged_at_half_its_interval),
		T(no_watchdog_for_another_process_or_without_the_variable),
		T(nothing_happens_without_notify_socket),
		T(an_unreachable_manager_is_one_warning),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
