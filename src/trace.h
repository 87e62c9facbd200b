// SPDX-License-Identifier: GPL-2.0-or-later
/* trace.h - the -trace line of one frame: "<src>><dst> <TYPE> <HEX>". */
#ifndef X25LO_TRACE_H
#define X25LO_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"

/* The name trace lines give x25lo itself, as source or destination. */
extern const char trace_x25lo[];

/*
 * Log one frame: a pseudo-header other than DATA prints its name (CONNECT, ...), a DATA
 * frame the packet's type and its first bytes in hex. Callers check log_trace_on first,
 * so nothing is formatted while tracing is off.
 */
void trace_frame(const char *src, const char *dst, uint8_t pseudo_header, const uint8_t *packet, size_t len,
		 bool extended);

#endif
