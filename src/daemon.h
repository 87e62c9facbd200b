/* daemon.h - the relay's life: TUNs set up and torn down, reloads, link events, timers, shutdown. */
#ifndef X25LO_DAEMON_H
#define X25LO_DAEMON_H

#include "relay.h"

/* Set up relay for cfg: AF_X25 control socket, timer, rtnetlink watch, one TUN per route. */
int daemon_start(struct relay *relay, struct loop *loop, const struct config *cfg, const char *config_path,
		 char *err, size_t errlen);

/* Apply a reloaded configuration: new routes get TUNs, removed routes lose theirs. */
void daemon_apply_config(struct relay *relay, const struct config *next);

/* Clear every call on both sides and stop the loop once confirmed (or after a short wait). */
void daemon_begin_shutdown(struct relay *relay);

/* One log line "x25lo state: calls=N ... channels=M ..." (SIGUSR1, tests rely on it). */
void daemon_log_state(const struct relay *relay);

/* Remove routes and TUNs, free everything. */
void daemon_stop(struct relay *relay);

/* Loop hook: free retired TUNs, re-arm the timer, finish a shutdown. */
void daemon_after_batch(void *ctx);

#endif
