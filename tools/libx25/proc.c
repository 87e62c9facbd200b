// SPDX-License-Identifier: GPL-2.0-or-later
/* proc.c - read and parse /proc/net/x25/socket (Linux 6.1 net/x25/x25_proc.c). */
#include "x25lib.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROC_HEADER_START "dest_addr"
/* dev lci st vs vr va t t2 t21 t22 t23 Snd-Q Rcv-Q inode: the fields after the addresses */
#define FIELDS_AFTER_ADDRESSES 14
#define MAX_ROW_FIELDS 32
#define MAX_ROW_LEN 511

char *x25_proc_read(const char *path, char *error, size_t error_len)
{
	FILE *f = fopen(path, "r");
	size_t used = 0, capacity = 65536;
	char *text;

	if (!f) {
		snprintf(error, error_len, "cannot open %s: %s (is the x25 module loaded?)", path,
			 strerror(errno));
		return NULL;
	}
	/* A /proc file has no size up front: read until a read comes back short. */
	text = malloc(capacity);
	while (text) {
		used += fread(text + used, 1, capacity - used - 1, f);
		if (used + 1 < capacity)
			break;
		char *grown = realloc(text, capacity * 2);
		if (!grown) {
			free(text);
			text = NULL;
			break;
		}
		text = grown;
		capacity *= 2;
	}
	if (!text) {
		snprintf(error, error_len, "out of memory reading %s", path);
	} else if (ferror(f)) {
		snprintf(error, error_len, "cannot read %s: %s", path, strerror(errno));
		free(text);
		text = NULL;
	} else {
		text[used] = '\0';
	}
	fclose(f);
	return text;
}

/* The line at *cursor, without its newline; *cursor moves to the next line. */
static size_t take_line(const char **cursor, const char **line)
{
	const char *newline = strchr(*cursor, '\n');
	size_t len = newline ? (size_t)(newline - *cursor) : strlen(*cursor);

	*line = *cursor;
	*cursor += len + (newline ? 1 : 0);
	return len;
}

bool x25_proc_skip_header(const char **cursor)
{
	const char *line;
	size_t len;

	if (**cursor == '\0')
		return false;
	len = take_line(cursor, &line);
	return len >= strlen(PROC_HEADER_START) &&
	       strncmp(line, PROC_HEADER_START, strlen(PROC_HEADER_START)) == 0;
}

/*
 * The addresses are printed with %s, and a listener on the null address has 15 spaces as
 * its address, so a row is read from the right, where every field is a number or a name.
 */
static bool parse_row(const char *line, size_t len, struct x25_proc_socket *row)
{
	char copy[MAX_ROW_LEN + 1];
	char *fields[MAX_ROW_FIELDS];
	char *save = NULL, *end;
	int count = 0;

	if (len > MAX_ROW_LEN)
		return false;
	memcpy(copy, line, len);
	copy[len] = '\0';
	for (char *f = strtok_r(copy, " \t", &save); f && count < MAX_ROW_FIELDS;
	     f = strtok_r(NULL, " \t", &save))
		fields[count++] = f;
	if (count < FIELDS_AFTER_ADDRESSES)
		return false;
	long state = strtol(fields[count - 12], &end, 10);
	if (*end || state < 0 || state > 5)
		return false;
	long inode = strtol(fields[count - 1], &end, 10);
	if (*end || inode < 0)
		return false;
	row->state = (int)state;
	row->inode = inode;
	row->line = line;
	row->line_len = len;
	return true;
}

int x25_proc_next_socket(const char **cursor, struct x25_proc_socket *row)
{
	while (**cursor) {
		const char *line;
		size_t len = take_line(cursor, &line);

		if (len > 0)
			return parse_row(line, len, row) ? 1 : -1;
	}
	return 0;
}
