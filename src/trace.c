// SPDX-License-Identifier: GPL-2.0-or-later
/* trace.c - format the -trace line of one frame. */
#include "trace.h"

#include <stdio.h>

#include "packet.h"
#include "x25.h"

#define TRACE_MAX_BYTES 96

const char trace_x25lo[] = "x25lo";

void trace_frame(const char *src, const char *dst, uint8_t pseudo_header, const uint8_t *packet, size_t len,
		 bool extended)
{
	static const char *const controls[] = {"DATA", "CONNECT", "DISCONNECT", "PARAMS"};
	char hex[TRACE_MAX_BYTES * 3 + 32], namebuf[16];
	struct x25_packet pkt;
	const char *name = "SHORT";
	size_t shown = len < TRACE_MAX_BYTES ? len : TRACE_MAX_BYTES, n = 0;

	if (pseudo_header != X25_IFACE_DATA) {
		log_debug("%s>%s %s", src, dst, pseudo_header < 4 ? controls[pseudo_header] : "PSEUDO-HEADER?");
		return;
	}
	if (packet_decode(packet, len, extended, &pkt) == 0)
		name = packet_trace_name(&pkt, namebuf);
	hex[0] = '\0';
	for (size_t i = 0; i < shown; i++)
		n += (size_t)snprintf(hex + n, sizeof(hex) - n, i ? " %02X" : "%02X", packet[i]);
	if (shown < len)
		snprintf(hex + n, sizeof(hex) - n, " ... (%zu bytes)", len);
	log_debug("%s>%s %s %s", src, dst, name, hex);
}
