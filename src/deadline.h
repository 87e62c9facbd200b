// SPDX-License-Identifier: GPL-2.0-or-later
/* deadline.h - an intrusive list of deadlines kept in expiry order. */
#ifndef X25LO_DEADLINE_H
#define X25LO_DEADLINE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Insertion walks back from the tail, so a list whose entries all get the same timeout
 * (every call set-up timer, every clear timer) takes them in O(1): each new deadline is
 * the latest. A deadline that lands earlier (a reload shortened the timeout) still goes
 * to its place. The head is always the next to expire.
 */
struct deadline {
	uint64_t at_ms; /* 0 = not on a list */
	struct deadline *prev, *next;
};

struct deadline_list {
	struct deadline *head, *tail;
};

static inline void deadline_del(struct deadline_list *list, struct deadline *d)
{
	if (d->at_ms == 0)
		return;
	if (d->prev)
		d->prev->next = d->next;
	else
		list->head = d->next;
	if (d->next)
		d->next->prev = d->prev;
	else
		list->tail = d->prev;
	d->prev = d->next = NULL;
	d->at_ms = 0;
}

/* at_ms must not be 0 (that means "not on a list"). */
static inline void deadline_add(struct deadline_list *list, struct deadline *d, uint64_t at_ms)
{
	struct deadline *after = list->tail;

	while (after && after->at_ms > at_ms)
		after = after->prev;
	d->at_ms = at_ms;
	d->prev = after;
	d->next = after ? after->next : list->head;
	if (d->next)
		d->next->prev = d;
	else
		list->tail = d;
	if (after)
		after->next = d;
	else
		list->head = d;
}

#define deadline_owner(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#endif
