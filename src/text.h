// SPDX-License-Identifier: GPL-2.0-or-later
/* text.h - a small text buffer for rendering JSON and the like: growing, or over a caller's fixed buffer. */
#ifndef X25LO_TEXT_H
#define X25LO_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "log.h"

/*
 * Text being built. Zeroed, it grows with realloc (hand it over with text_finish); with
 * fixed set and p/cap a caller's buffer, running out of room sets oom instead of growing.
 * Once oom is set every later append is dropped, so a caller checks once at the end.
 */
struct text {
	char *p;
	size_t len, cap;
	bool oom;
	bool fixed;
};

/* Room for more bytes and the terminating NUL; false (and oom) when there is none. */
bool text_reserve(struct text *t, size_t more);

/* Inline: records and listings add many short pieces, most of them literals. */
static inline void text_add(struct text *t, const char *s, size_t n)
{
	if ((t->oom || t->len + n + 1 > t->cap) && !text_reserve(t, n))
		return;
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

static inline void text_puts(struct text *t, const char *s)
{
	text_add(t, s, strlen(s));
}
void text_printf(struct text *t, const char *fmt, ...) X25LO_PRINTF(2, 3);
/* A JSON string literal of s (at most max bytes, or up to its NUL). */
void text_json_string(struct text *t, const char *s, size_t max);
/* A number in decimal, without printf's cost. */
void text_u64(struct text *t, uint64_t v);
/* Bytes as lowercase hex digits, two per byte, nothing between them. */
void text_hex(struct text *t, const uint8_t *p, size_t n);
/* Hand a growing text over (malloc'd, NUL-terminated); NULL when memory ran out at any point. */
char *text_finish(struct text *t);

#endif
