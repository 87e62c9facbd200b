/* loop.h - the single event loop: epoll over fds (TUNs, timerfd, signalfd, netlink, HTTP). */
#ifndef X25LO_LOOP_H
#define X25LO_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop;
typedef void (*io_callback)(void *ctx, uint32_t events);

/* Embedded in its owner; registered with loop_add. */
struct io_watch {
	int fd;
	io_callback cb;
	void *ctx;
};

struct loop *loop_new(void);
void loop_free(struct loop *loop);

/* Register/unregister an fd (level-triggered). Return 0 or -errno. */
int loop_add(struct loop *loop, struct io_watch *w, int fd, uint32_t events, io_callback cb, void *ctx);
int loop_mod(struct loop *loop, struct io_watch *w, uint32_t events);
void loop_del(struct loop *loop, struct io_watch *w);

/*
 * Run until loop_stop. Each iteration waits for events, dispatches them, then calls
 * after_batch(ctx): there owners re-arm their timerfd and free objects they retired
 * during the batch, so no callback in the batch sees freed memory.
 */
typedef void (*loop_after_batch_fn)(void *ctx);
int loop_run(struct loop *loop, loop_after_batch_fn after_batch, void *ctx);
void loop_stop(struct loop *loop);

/* Monotonic milliseconds. */
uint64_t loop_now_ms(void);

#endif
