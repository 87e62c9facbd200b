// SPDX-License-Identifier: GPL-2.0-or-later
/* test_loop.c - the loop's timers: order across queues, moves, cancels from callbacks, the one timerfd. */
#include "loop.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

/* Each fired timer appends its tag here. */
static char fired[64];

struct tagged {
	struct timer timer;
	char tag;
	struct timer *cancel; /* cancelled by this one's callback */
	struct timer_queue *again_queue; /* set again for "now" by its callback */
	uint64_t again_at;
};

static void on_fire(void *ctx)
{
	struct tagged *t = ctx;
	size_t n = strlen(fired);

	if (n + 1 < sizeof(fired)) {
		fired[n] = t->tag;
		fired[n + 1] = '\0';
	}
	if (t->cancel)
		timer_cancel(t->cancel);
	if (t->again_queue)
		timer_set(t->again_queue, &t->timer, t->again_at);
}

static void tag(struct tagged *t, char c)
{
	memset(t, 0, sizeof(*t));
	timer_init(&t->timer, on_fire, t);
	t->tag = c;
}

static int setup(void **state)
{
	struct loop *loop = loop_new();

	assert_non_null(loop);
	fired[0] = '\0';
	*state = loop;
	return 0;
}

static int teardown(void **state)
{
	loop_free(*state);
	return 0;
}

static void timers_fire_in_deadline_order_within_a_queue_whatever_the_order_they_were_set(void **state)
{
	struct loop *loop = *state;
	struct timer_queue q;
	struct tagged a, b, c;

	timer_queue_init(loop, &q);
	tag(&a, 'a');
	tag(&b, 'b');
	tag(&c, 'c');
	timer_set(&q, &b.timer, 200);
	timer_set(&q, &c.timer, 300);
	timer_set(&q, &a.timer, 100); /* earlier than the tail: goes to its place */
	assert_int_equal(loop_next_deadline(loop), 100);
	loop_run_timers(loop, 250);
	assert_string_equal(fired, "ab");
	assert_true(timer_pending(&c.timer));
	assert_int_equal(loop_next_deadline(loop), 300);
	timer_queue_remove(&q);
	assert_false(timer_pending(&c.timer));
	assert_int_equal(loop_next_deadline(loop), 0);
}

static void the_next_deadline_is_the_earliest_over_all_queues_and_a_moved_timer_follows(void **state)
{
	struct loop *loop = *state;
	struct timer_queue q;
	struct tagged a, b;

	timer_queue_init(loop, &q);
	tag(&a, 'a');
	tag(&b, 'b');
	timer_set(&q, &a.timer, 500);
	timer_set(loop_timers(loop), &b.timer, 400);
	assert_int_equal(loop_next_deadline(loop), 400);
	timer_set(loop_timers(loop), &b.timer, 900); /* moved later */
	assert_int_equal(loop_next_deadline(loop), 500);
	timer_cancel(&a.timer);
	assert_int_equal(loop_next_deadline(loop), 900);
	loop_run_timers(loop, 899);
	assert_string_equal(fired, "");
	loop_run_timers(loop, 900);
	assert_string_equal(fired, "b");
	timer_queue_remove(&q);
}

static void a_callback_may_cancel_another_due_timer(void **state)
{
	struct loop *loop = *state;
	struct tagged a, b;

	tag(&a, 'a');
	tag(&b, 'b');
	a.cancel = &b.timer;
	timer_set(loop_timers(loop), &a.timer, 10);
	timer_set(loop_timers(loop), &b.timer, 10);
	loop_run_timers(loop, 10);
	assert_string_equal(fired, "a");
	assert_false(timer_pending(&b.timer));
}

static void a_timer_set_again_for_now_by_its_callback_runs_in_the_next_pass_not_this_one(void **state)
{
	struct loop *loop = *state;
	struct tagged a;

	tag(&a, 'a');
	a.again_queue = loop_timers(loop);
	a.again_at = 50;
	timer_set(loop_timers(loop), &a.timer, 50);
	loop_run_timers(loop, 50);
	assert_string_equal(fired, "a");
	assert_true(timer_pending(&a.timer));
	assert_int_equal(loop_next_deadline(loop), 51);
	a.again_queue = NULL;
	loop_run_timers(loop, 51);
	assert_string_equal(fired, "aa");
	assert_false(timer_pending(&a.timer));
}

static void stop(void *ctx)
{
	loop_stop(ctx);
}

/* The one timerfd: loop_run wakes up for a timer 20 ms away and returns once it stopped the loop. */
static void loop_run_wakes_up_for_a_timer_on_its_timerfd(void **state)
{
	struct loop *loop = *state;
	struct timer t;
	uint64_t start = loop_now_ms();

	timer_init(&t, stop, loop);
	timer_set(loop_timers(loop), &t, start + 20);
	assert_int_equal(loop_run(loop, NULL, NULL), 0);
	assert_true(loop_now_ms() >= start + 20);
	/* And it runs again after a stop. */
	timer_set(loop_timers(loop), &t, loop_now_ms() + 5);
	assert_int_equal(loop_run(loop, NULL, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(timers_fire_in_deadline_order_within_a_queue_whatever_the_order_they_were_set),
		T(the_next_deadline_is_the_earliest_over_all_queues_and_a_moved_timer_follows),
		T(a_callback_may_cancel_another_due_timer),
		T(a_timer_set_again_for_now_by_its_callback_runs_in_the_next_pass_not_this_one),
		T(loop_run_wakes_up_for_a_timer_on_its_timerfd),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
