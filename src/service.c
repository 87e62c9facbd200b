// SPDX-License-Identifier: GPL-2.0-or-later
/* service.c - talking to the service manager: sd_notify's READY, RELOADING, STATUS, WATCHDOG and STOPPING. */
#include "service.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "log.h"
#include "loop.h"
#include "relay.h"
#include "tun.h"
#include "xot.h"

#define STATUS_MAX 480 /* systemctl status shows one line: keep it short */

/* One process, one service manager: the state is the process's. */
static struct service_state {
	bool enabled;
	struct relay *relay;
	struct timer status_timer;
	struct timer watchdog_timer;
	uint64_t watchdog_ms; /* ping interval: half of WATCHDOG_USEC; 0 = no watchdog */
	uint64_t watchdog_at; /* when the next ping is due */
	bool ready_owed;      /* READY=1 goes out once every link is operational */
	bool started;         /* READY=1 was sent once: later READY=1s end reloads */
	bool stopping;
	bool failed_logged;
	char status[STATUS_MAX]; /* the STATUS= text sent last */
} svc;

static void notify(const char *message)
{
	int rc = sd_notify(0, message);

	/* 0: NOTIFY_SOCKET is unset; < 0: the manager's socket refused it. Said once, never fatal. */
	if (rc < 0 && !svc.failed_logged) {
		svc.failed_logged = true;
		log_warn("cannot notify the service manager at NOTIFY_SOCKET=%s: %s; systemd will not see x25lo's "
			 "state (further failures are not logged)", getenv("NOTIFY_SOCKET"), strerror(-rc));
	}
}

/* The names of the TUNs x25lo waits for (interface up, link not yet operational), into buf; their count. */
static unsigned links_waited_for(char *buf, size_t len)
{
	struct relay *relay = svc.relay;
	unsigned n = 0;
	size_t used = 0;

	if (len)
		buf[0] = '\0';
	for (unsigned i = 0; i < relay->ntuns; i++) {
		const struct tun *t = relay->tuns[i];

		if (!t || !t->admin_up || t->link == LINK_READY)
			continue;
		if (used < len) {
			int m = snprintf(buf + used, len - used, "%s%s", n ? ", " : "", t->port.name);

			used += m > 0 ? (size_t)m : 0;
		}
		n++;
	}
	return n;
}

/* One line for systemctl status: what x25lo does now. */
static void status_text(char *buf, size_t len)
{
	struct relay *relay = svc.relay;
	unsigned links = 0, up = 0, calls = relay_calls_active(relay);
	char waiting[256];
	int n;

	for (unsigned i = 0; i < relay->ntuns; i++) {
		if (!relay->tuns[i])
			continue;
		links++;
		up += relay->tuns[i]->link == LINK_READY;
	}
	if (svc.stopping)
		n = snprintf(buf, len, "Shutting down: %u call%s clearing", calls, calls == 1 ? "" : "s");
	else if (svc.ready_owed && links_waited_for(waiting, sizeof(waiting)) > 0)
		n = snprintf(buf, len, "%s: waiting for the link%s of %s",
			     svc.started ? "Reloading the configuration" : "Starting", strchr(waiting, ',') ? "s" : "",
			     waiting);
	else if (svc.ready_owed)
		n = snprintf(buf, len, "%s", svc.started ? "Reloading the configuration" : "Starting");
	else
		n = snprintf(buf, len, "%u call%s active, %u/%u link%s operational", calls, calls == 1 ? "" : "s", up,
			     links, links == 1 ? "" : "s");
	if (n < 0 || (size_t)n >= len)
		return;
	if (!svc.stopping && xot_enabled(relay)) {
		unsigned conns = xot_connections_open(relay);
		int m = snprintf(buf + n, len - (size_t)n, ", %u XOT connection%s", conns, conns == 1 ? "" : "s");

		n += m > 0 ? m : 0;
	}
	if (n >= 0 && (size_t)n < len && !svc.stopping && !relay->last_reload_ok && relay->last_reload_error[0])
		snprintf(buf + n, len - (size_t)n, "; the last reload failed: %.300s", relay->last_reload_error);
}

/* STATUS= (with the lines in front of it, if any), when it changed or something goes with it. */
static void notify_with_status(const char *before)
{
	char status[STATUS_MAX], message[STATUS_MAX + 128];

	status_text(status, sizeof(status));
	if (!before[0] && strcmp(status, svc.status) == 0)
		return;
	snprintf(svc.status, sizeof(svc.status), "%s", status);
	snprintf(message, sizeof(message), "%sSTATUS=%s", before, status);
	notify(message);
}

static void status_tick(void *ctx)
{
	notify_with_status("");
	timer_set(loop_timers(svc.relay->loop), &svc.status_timer, loop_now_ms() + SERVICE_STATUS_MS);
}

/* Every watchdog_ms from the first ping, not from whenever the last one ran: no drift. */
static void watchdog_tick(void *ctx)
{
	uint64_t now = loop_now_ms();

	notify("WATCHDOG=1");
	svc.watchdog_at += svc.watchdog_ms;
	if (svc.watchdog_at <= now)
		svc.watchdog_at = now + svc.watchdog_ms; /* the loop was held up: start again from now */
	timer_set(loop_timers(svc.relay->loop), &svc.watchdog_timer, svc.watchdog_at);
}

void service_init(struct relay *relay)
{
	uint64_t usec = 0;
	const char *socket = getenv("NOTIFY_SOCKET");

	svc = (struct service_state){.relay = relay};
	timer_init(&svc.status_timer, status_tick, NULL);
	timer_init(&svc.watchdog_timer, watchdog_tick, NULL);
	if (!socket || !socket[0])
		return;
	svc.enabled = true;
	timer_set(loop_timers(relay->loop), &svc.status_timer, loop_now_ms() + SERVICE_STATUS_MS);
	/* > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID, if set, is this process. */
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
		svc.watchdog_ms = usec / 2000 ? usec / 2000 : 1;
		notify("WATCHDOG=1");
		svc.watchdog_at = loop_now_ms() + svc.watchdog_ms;
		timer_set(loop_timers(relay->loop), &svc.watchdog_timer, svc.watchdog_at);
		log_info("systemd watchdog: %" PRIu64 " ms, pinged every %" PRIu64 " ms", usec / 1000, svc.watchdog_ms);
	}
}

bool service_enabled(void)
{
	return svc.enabled;
}

void service_started(void)
{
	if (!svc.enabled || svc.stopping)
		return;
	svc.ready_owed = true;
	service_after_batch();
	if (svc.ready_owed)
		notify_with_status("");
}

void service_reloading(void)
{
	struct timespec ts;
	char before[96];

	if (!svc.enabled || svc.stopping)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	/* systemd >= 253 (Type=notify-reload) matches MONOTONIC_USEC to its SIGHUP; 252 ignores it. */
	snprintf(before, sizeof(before), "RELOADING=1\nMONOTONIC_USEC=%" PRIu64 "\n",
		 (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u);
	svc.ready_owed = true;
	notify_with_status(before);
}

void service_after_batch(void)
{
	char waiting[8];

	if (!svc.ready_owed || links_waited_for(waiting, sizeof(waiting)) > 0)
		return;
	svc.ready_owed = false;
	svc.started = true;
	notify_with_status("READY=1\n");
}

void service_stopping(void)
{
	if (!svc.enabled || svc.stopping)
		return;
	svc.stopping = true;
	svc.ready_owed = false;
	notify_with_status("STOPPING=1\n");
}

void service_stop(void)
{
	timer_cancel(&svc.status_timer);
	timer_cancel(&svc.watchdog_timer);
}
