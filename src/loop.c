/* loop.c - epoll dispatch with a retire-after-batch hook. */
#include "loop.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOOP_MAX_EVENTS 64

struct loop {
	int epfd;
	bool stopping;
};

uint64_t loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct loop *loop_new(void)
{
	struct loop *loop = calloc(1, sizeof(*loop));

	if (!loop)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		free(loop);
		return NULL;
	}
	return loop;
}

void loop_free(struct loop *loop)
{
	if (!loop)
		return;
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

void loop_stop(struct loop *loop)
{
	loop->stopping = true;
}

int loop_run(struct loop *loop, loop_after_batch_fn after_batch, void *ctx)
{
	struct epoll_event events[LOOP_MAX_EVENTS];

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
	}
	return 0;
}
