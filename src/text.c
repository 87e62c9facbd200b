// SPDX-License-Identifier: GPL-2.0-or-later
/* text.c - a small text buffer for rendering JSON and the like: growing, or over a caller's fixed buffer. */
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool text_reserve(struct text *t, size_t more)
{
	size_t cap = t->cap ? t->cap : 4096;
	char *p;

	if (t->oom)
		return false;
	if (t->len + more + 1 <= t->cap)
		return true;
	if (t->fixed) {
		t->oom = true;
		return false;
	}
	while (cap < t->len + more + 1)
		cap *= 2;
	p = realloc(t->p, cap);
	if (!p) {
		t->oom = true;
		return false;
	}
	t->p = p;
	t->cap = cap;
	return true;
}

void text_printf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	size_t room;
	int n;

	if (!text_reserve(t, 64))
		return;
	/* Usually fits in what is left: format once, grow and retry only when it did not. */
	room = t->cap - t->len;
	va_start(ap, fmt);
	n = vsnprintf(t->p + t->len, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= room) {
		if (!text_reserve(t, (size_t)n)) {
			t->p[t->len] = '\0'; /* a fixed buffer keeps what it had, without the cut-off piece */
			return;
		}
		va_start(ap, fmt);
		vsnprintf(t->p + t->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	t->len += (size_t)n;
}

char *text_finish(struct text *t)
{
	if (t->oom || !text_reserve(t, 0)) {
		free(t->p);
		return NULL;
	}
	return t->p;
}

void text_json_string(struct text *t, const char *s, size_t max)
{
	size_t i = 0;

	text_add(t, "\"", 1);
	while (i < max && s[i]) {
		size_t run = i;
		unsigned char c;

		/* Runs of plain characters go in whole. */
		while (run < max && s[run] && (unsigned char)s[run] >= 0x20 && s[run] != '"' && s[run] != '\\')
			run++;
		text_add(t, s + i, run - i);
		i = run;
		if (i >= max || !s[i])
			break;
		c = (unsigned char)s[i++];
		if (c == '"' || c == '\\') {
			char esc[2] = {'\\', (char)c};
			text_add(t, esc, 2);
		} else {
			text_printf(t, "\\u%04x", c);
		}
	}
	text_add(t, "\"", 1);
}

void text_u64(struct text *t, uint64_t v)
{
	char digits[20];
	size_t n = sizeof(digits);

	do {
		digits[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	text_add(t, digits + n, sizeof(digits) - n);
}

void text_hex(struct text *t, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char *out;

	if (!text_reserve(t, 2 * n))
		return;
	out = t->p + t->len;
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0x0F];
	}
	t->len += 2 * n;
	t->p[t->len] = '\0';
}
