/* deadline.h - intrusive lists of deadlines kept in expiry order by appending. */
#ifndef X25LO_DEADLINE_H
#define X25LO_DEADLINE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Every entry of one list gets the same timeout, so appending keeps the list sorted and
 * the head is always the next to expire: O(1) add, delete and next. (A reload that
 * shortens a timeout only delays the newer entries until the older ones expire.)
 */
struct deadline {
	uint64_t at_ms; /* 0 = not on a list */
	struct deadline *prev, *next;
};

struct deadline_list {
	struct deadline *head, *tail;
};

static inline void deadline_add(struct deadline_list *list, struct deadline *d, uint64_t at_ms)
{
	d->at_ms = at_ms;
	d->next = NULL;
	d->prev = list->tail;
	if (list->tail)
		list->tail->next = d;
	else
		list->head = d;
	list->tail = d;
}

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

#define deadline_owner(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#endif
