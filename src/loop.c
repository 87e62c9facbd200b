// SPDX-License-Identifier: GPL-2.0-or-later
/* loop.c - epoll dispatch, timers on one timerfd, and a retire-after-batch hook. */
#include "loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOOP_MAX_EVENTS 64

struct loop {
	int epfd;
	bool stopping;
	int timer_fd;
	uint64_t timer_armed_ms; /* when the timerfd fires, 0 = not armed */
	struct io_watch timer_watch;
	struct timer_queue *queues; /* first: own_timers */
	struct timer_queue own_timers;
	uint64_t running_timers_ms; /* the "now" of loop_run_timers while it runs, else 0 */
};

uint64_t loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void timerfd_fired(void *ctx, uint32_t events)
{
	struct loop *loop = ctx;
	uint64_t expirations;

	if (read(loop->timer_fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		log_warn("reading the loop's timer failed: %s", strerror(errno));
	loop->timer_armed_ms = 0;
	loop_run_timers(loop, loop_now_ms());
}

struct loop *loop_new(void)
{
	struct loop *loop = calloc(1, sizeof(*loop));

	if (!loop)
		return NULL;
	loop->timer_fd = -1;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0)
		goto fail;
	loop->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (loop->timer_fd < 0 ||
	    loop_add(loop, &loop->timer_watch, loop->timer_fd, EPOLLIN, timerfd_fired, loop) < 0)
		goto fail;
	timer_queue_init(loop, &loop->own_timers);
	return loop;
fail:
	loop_free(loop);
	return NULL;
}

void loop_free(struct loop *loop)
{
	if (!loop)
		return;
	if (loop->timer_fd >= 0)
		close(loop->timer_fd);
	if (loop->epfd >= 0)
		close(loop->epfd);
	free(loop);
}

int loop_add(struct loop *loop, struct io_watch *w, int fd, uint32_t events, io_callback cb, void *ctx)
{
	struct epoll_event ev = {.events = events, .data.ptr = w};

	w->fd = fd;
	w->cb = cb;
	w->ctx = ctx;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	return 0;
}

int loop_mod(struct loop *loop, struct io_watch *w, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = w};

	if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0)
		return -errno;
	return 0;
}

void loop_del(struct loop *loop, struct io_watch *w)
{
	if (w->fd >= 0)
		epoll_ctl(loop->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	/* A pending event for this watch in the current batch is skipped (cb == NULL). */
	w->cb = NULL;
}

/* ---- timers ---- */

void timer_queue_init(struct loop *loop, struct timer_queue *q)
{
	struct timer_queue **end = &loop->queues;

	while (*end)
		end = &(*end)->next;
	*q = (struct timer_queue){.loop = loop};
	*end = q;
}

void timer_queue_remove(struct timer_queue *q)
{
	struct timer_queue **p;

	while (q->list.head)
		timer_cancel(deadline_owner(q->list.head, struct timer, deadline));
	for (p = &q->loop->queues; *p; p = &(*p)->next) {
		if (*p == q) {
			*p = q->next;
			break;
		}
	}
	q->next = NULL;
}

struct timer_queue *loop_timers(struct loop *loop)
{
	return &loop->own_timers;
}

void timer_init(struct timer *t, timer_callback cb, void *ctx)
{
	*t = (struct timer){.cb = cb, .ctx = ctx};
}

void timer_set(struct timer_queue *q, struct timer *t, uint64_t at_ms)
{
	/* Set again from a timer callback for "now": it runs in the next pass, not this one, round and round. */
	if (q->loop->running_timers_ms && at_ms <= q->loop->running_timers_ms)
		at_ms = q->loop->running_timers_ms + 1;
	timer_cancel(t);
	deadline_add(&q->list, &t->deadline, at_ms ? at_ms : 1);
	t->queue = q;
}

void timer_cancel(struct timer *t)
{
	if (!t->queue)
		return;
	deadline_del(&t->queue->list, &t->deadline);
	t->queue = NULL;
}

uint64_t loop_next_deadline(const struct loop *loop)
{
	uint64_t next = 0;

	for (const struct timer_queue *q = loop->queues; q; q = q->next)
		if (q->list.head && (next == 0 || q->list.head->at_ms < next))
			next = q->list.head->at_ms;
	return next;
}

void loop_run_timers(struct loop *loop, uint64_t now_ms)
{
	loop->running_timers_ms = now_ms;
	for (struct timer_queue *q = loop->queues; q; q = q->next) {
		struct deadline *d;

		/* Taken off before its callback runs, which may set it again or cancel others. */
		while ((d = q->list.head) && d->at_ms <= now_ms) {
			struct timer *t = deadline_owner(d, struct timer, deadline);

			timer_cancel(t);
			t->cb(t->ctx);
		}
	}
	loop->running_timers_ms = 0;
}

/*
 * Only ever move the timerfd earlier: a deadline that moved later (the head call was
 * answered) is found when the timer fires, which costs one wake-up instead of a
 * timerfd_settime for every call set up and cleared.
 */
static void arm_timerfd(struct loop *loop)
{
	uint64_t next = loop_next_deadline(loop);
	struct itimerspec its = {0};

	if (next == 0 || (loop->timer_armed_ms != 0 && loop->timer_armed_ms <= next))
		return;
	/* CLOCK_MONOTONIC absolute time in ms, as loop_now_ms. */
	its.it_value.tv_sec = (time_t)(next / 1000);
	its.it_value.tv_nsec = (long)(next % 1000) * 1000000L;
	if (timerfd_settime(loop->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) < 0) {
		log_warn("arming the loop's timer failed: %s; timers may run late (retried after the next event)",
			 strerror(errno));
		return;
	}
	loop->timer_armed_ms = next;
}

void loop_stop(struct loop *loop)
{
	loop->stopping = true;
}

int loop_run(struct loop *loop, loop_after_batch_fn after_batch, void *ctx)
{
	struct epoll_event events[LOOP_MAX_EVENTS];

	loop->stopping = false;
	arm_timerfd(loop);
	while (!loop->stopping) {
		int n = epoll_wait(loop->epfd, events, LOOP_MAX_EVENTS, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("epoll_wait failed: %m; x25lo cannot continue");
			return -1;
		}
		for (int i = 0; i < n; i++) {
			struct io_watch *w = events[i].data.ptr;

			if (w->cb)
				w->cb(w->ctx, events[i].events);
		}
		if (after_batch)
			after_batch(ctx);
		arm_timerfd(loop);
	}
	return 0;
}
