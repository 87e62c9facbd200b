// SPDX-License-Identifier: GPL-2.0-or-later
/* daemon.h - the relay's life: TUNs set up and torn down, reloads, link events, shutdown. */
#ifndef X25LO_DAEMON_H
#define X25LO_DAEMON_H

#include "relay.h"

/* Set up relay (after relay_init) for its config: AF_X25 control socket, rtnetlink watch, one TUN per route. */
int daemon_start(struct relay *relay, const char *config_path, char *err, size_t errlen);

/* Apply a reloaded configuration: new routes get TUNs, removed routes lose theirs. */
void daemon_apply_config(struct relay *relay, const struct config *next);

/*
 * Forget t's calls (their peers are cleared), remove its route and device. t stays
 * allocated until daemon_after_batch, as callbacks of the same batch may still hold it.
 */
void daemon_remove_tun(struct relay *relay, struct tun *t, const char *why);

/* Clear every call on both sides and stop the loop once confirmed (or after a short wait). */
void daemon_begin_shutdown(struct relay *relay);

/* Remove routes and TUNs, free everything. */
void daemon_stop(struct relay *relay);

/* Loop hook: remove failed TUNs, free retired ones, finish a shutdown once every channel is free. */
void daemon_after_batch(void *ctx);

#endif
