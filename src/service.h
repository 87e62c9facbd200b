// SPDX-License-Identifier: GPL-2.0-or-later
/* service.h - talking to the service manager (systemd's sd_notify): readiness, reloads, status, watchdog, stopping. */
#ifndef X25LO_SERVICE_H
#define X25LO_SERVICE_H

#include <stdbool.h>

struct relay;

/* How often STATUS= is brought up to date (sent only when its text changed). */
#define SERVICE_STATUS_MS 5000

/*
 * Before daemon_start, after relay_init: when NOTIFY_SOCKET is set, remember the relay and
 * start the STATUS timer, and the WATCHDOG=1 timer at half of WATCHDOG_USEC when that is set
 * for this process (sd_watchdog_enabled). Without NOTIFY_SOCKET every function here does nothing.
 */
void service_init(struct relay *relay);

/* Whether NOTIFY_SOCKET was set at service_init. */
bool service_enabled(void);

/*
 * Set up and privileges dropped, the loop about to run: READY=1 is owed, sent at the end of
 * the first loop batch in which every TUN whose interface is up has an operational link
 * (daemon_after_batch calls service_after_batch); right away when there is none to wait for.
 */
void service_started(void);

/* A reload begins: RELOADING=1 with MONOTONIC_USEC; READY=1 is owed again, as at start. */
void service_reloading(void);

/* After each loop batch: sends READY=1 when it is owed and every link is operational. */
void service_after_batch(void);

/* Shutting down (SIGTERM, or the loop failed): STOPPING=1, once; READY=1 is no longer sent. */
void service_stopping(void);

/* Cancel the timers (before the loop is freed). */
void service_stop(void);

#endif
