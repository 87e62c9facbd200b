// SPDX-License-Identifier: GPL-2.0-or-later
/* loop.h - the single event loop: epoll over fds (TUNs, signalfd, netlink, HTTP) and timers on one timerfd. */
#ifndef X25LO_LOOP_H
#define X25LO_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "deadline.h"

struct loop;
typedef void (*io_callback)(void *ctx, uint32_t events);
typedef void (*timer_callback)(void *ctx);

/* Embedded in its owner; registered with loop_add. */
struct io_watch {
	int fd;
	io_callback cb;
	void *ctx;
};

/*
 * A timer embedded in its owner: nothing is allocated to arm it. It sits on one timer
 * queue while pending; its callback runs from the loop once its deadline has passed.
 */
struct timer {
	struct deadline deadline;
	struct timer_queue *queue; /* while pending */
	timer_callback cb;
	void *ctx;
};

/*
 * Timers kept in deadline order. Owners of many timers with one timeout (call set-up,
 * clear confirmation) give them a queue of their own, where adding is O(1); one-off
 * timers go on the loop's own queue (loop_timers).
 */
struct timer_queue {
	struct deadline_list list;
	struct timer_queue *next; /* the loop's queues, in the order they were added */
	struct loop *loop;
};

struct loop *loop_new(void);
void loop_free(struct loop *loop);

/* Register/unregister an fd (level-triggered). Return 0 or -errno. */
int loop_add(struct loop *loop, struct io_watch *w, int fd, uint32_t events, io_callback cb, void *ctx);
int loop_mod(struct loop *loop, struct io_watch *w, uint32_t events);
void loop_del(struct loop *loop, struct io_watch *w);

/* Add queue q to the loop (its timers then run), or take it away with every timer on it. */
void timer_queue_init(struct loop *loop, struct timer_queue *q);
void timer_queue_remove(struct timer_queue *q);
/* The loop's queue for timers that share no timeout with others. */
struct timer_queue *loop_timers(struct loop *loop);

void timer_init(struct timer *t, timer_callback cb, void *ctx);
/* Arm t for at_ms (loop_now_ms clock, > 0) on q, or move it there if it is pending. */
void timer_set(struct timer_queue *q, struct timer *t, uint64_t at_ms);
void timer_cancel(struct timer *t);

static inline bool timer_pending(const struct timer *t)
{
	return t->deadline.at_ms != 0;
}

/* The earliest pending deadline of any queue, 0 when none. */
uint64_t loop_next_deadline(const struct loop *loop);
/* Run every timer due at now_ms (the loop's timerfd does this; tests call it directly). */
void loop_run_timers(struct loop *loop, uint64_t now_ms);

/*
 * Run until loop_stop. Each iteration waits for events, dispatches them, calls
 * after_batch(ctx), where owners free objects they retired during the batch (so no
 * callback in the batch sees freed memory), then arms the timerfd for the next deadline.
 */
typedef void (*loop_after_batch_fn)(void *ctx);
int loop_run(struct loop *loop, loop_after_batch_fn after_batch, void *ctx);
void loop_stop(struct loop *loop);

/* Monotonic milliseconds. */
uint64_t loop_now_ms(void);

#endif
