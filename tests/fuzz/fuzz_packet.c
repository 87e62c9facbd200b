// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_packet.c - libFuzzer target for the packet codec (src/packet.h), the code that
 * reads every frame a kernel writes to a TUN.
 *
 * Input: one mode byte, then the bytes handed to the codec. Mode bit 0 selects modulo 128
 * (extended), bit 1 feeds the bytes to packet_parse_facilities() directly instead of
 * decoding a packet. Every public function is called and its result checked against the
 * bytes; a broken invariant aborts, and ASan reports any read outside the input.
 * Build and run: tests/fuzz/README.md.
 */
#include "packet.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_facilities(const uint8_t *fac, size_t len)
{
	struct x25_facility_summary sum;

	memset(&sum, 0x5A, sizeof(sum));
	if (packet_parse_facilities(fac, len, &sum) < 0)
		return;
	/* Every value is one byte of the field, or the "absent" marker. */
	CHECK(sum.pacsize_in >= 0 && sum.pacsize_in <= 255 && sum.pacsize_out >= 0 && sum.pacsize_out <= 255);
	CHECK(sum.winsize_in >= 0 && sum.winsize_in <= 255 && sum.winsize_out >= 0 && sum.winsize_out <= 255);
	CHECK(sum.reverse >= -1 && sum.reverse <= 255 && sum.throughput >= -1 && sum.throughput <= 255);
}

static void check_call(const struct x25_packet *pkt)
{
	struct x25_call_fields call;
	const char *why = NULL;

	if (packet_parse_call(pkt, &call, &why) < 0) {
		CHECK(why && why[0]);
		return;
	}
	/* The address lengths are the two nibbles of byte 3; the digits show as '0'..'?'. */
	CHECK(strlen(call.called) == (size_t)(pkt->data[3] & 0x0F) && strlen(call.calling) == (size_t)(pkt->data[3] >> 4));
	for (const char *c = call.called; *c; c++)
		CHECK(*c >= '0' && *c <= '0' + 15);
	for (const char *c = call.calling; *c; c++)
		CHECK(*c >= '0' && *c <= '0' + 15);
	/* Facilities then user data, both inside the packet and back to back up to its end. */
	CHECK(call.fac_off > PKT_HEADER_LEN && call.fac_off <= pkt->len);
	CHECK(call.fac_len <= pkt->len - call.fac_off);
	CHECK(call.cud_off == call.fac_off + call.fac_len && call.cud_off + call.cud_len == pkt->len);
	CHECK(call.fac_len == (size_t)pkt->data[call.fac_off - 1]);
	check_facilities(pkt->data + call.fac_off, call.fac_len);
}

/* What a builder made decodes as what it was asked for. */
static void check_builders(bool extended, uint16_t lci, uint8_t cause, uint8_t diag)
{
	uint8_t out[8];
	struct x25_packet pkt;
	uint8_t got_cause, got_diag;
	size_t n;

	n = packet_build_clear(out, extended, lci, cause, diag);
	CHECK(n == 5 && packet_decode(out, n, extended, &pkt) == 0);
	CHECK(pkt.type == PKT_CLEAR_REQUEST && pkt.lci == lci);
	CHECK(packet_clear_cause(&pkt, &got_cause, &got_diag) == 0 && got_cause == cause && got_diag == diag);
	n = packet_build_clear_confirmation(out, extended, lci);
	CHECK(n == PKT_HEADER_LEN && packet_decode(out, n, extended, &pkt) == 0);
	CHECK(pkt.type == PKT_CLEAR_CONFIRMATION && pkt.lci == lci);
	n = packet_build_restart_confirmation(out, extended);
	CHECK(n == PKT_HEADER_LEN && packet_decode(out, n, extended, &pkt) == 0);
	CHECK(pkt.type == PKT_RESTART_CONFIRMATION && pkt.lci == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct x25_packet pkt;
	char buf[16];
	const char *name;
	uint8_t cause, diag, *copy;
	bool extended;
	int rc;

	if (size < 1)
		return 0;
	extended = data[0] & 1;
	if (data[0] & 2) {
		check_facilities(data + 1, size - 1);
		return 0;
	}
	data++;
	size--;

	rc = packet_decode(data, size, extended, &pkt);
	if (size < PKT_HEADER_LEN) {
		CHECK(rc == -1);
		return 0;
	}
	if (rc < 0) {
		/* Only a modulo-128 data or flow-control packet without its fourth byte. */
		CHECK(extended && size == 3);
		return 0;
	}
	CHECK(pkt.data == data && pkt.len == size);
	CHECK(pkt.gfi == (data[0] & 0xF0) && pkt.lci == (((data[0] & 0x0F) << 8) | data[1]) && pkt.type_id == data[2]);
	CHECK(pkt.type < PKT_TYPE_COUNT);
	CHECK((pkt.type == PKT_DATA) == ((data[2] & 1) == 0));
	CHECK((packet_type_name(pkt.type) == NULL) == (pkt.type == PKT_UNKNOWN));

	memset(buf, 0x5A, sizeof(buf));
	name = packet_trace_name(&pkt, buf);
	CHECK(name && name[0] && strnlen(name, 16) < 16);

	rc = packet_clear_cause(&pkt, &cause, &diag);
	CHECK(rc == (size < 4 ? -1 : 0));
	CHECK(rc < 0 || (cause == data[3] && diag == (size >= 5 ? data[4] : 0)));

	check_call(&pkt);

	/* Rewriting the LCI keeps the GFI nibble and the rest of the packet. */
	copy = malloc(size);
	CHECK(copy != NULL);
	memcpy(copy, data, size);
	packet_set_lci(copy, (uint16_t)(pkt.lci ^ 0x0A5A));
	CHECK((copy[0] & 0xF0) == pkt.gfi && memcmp(copy + 2, data + 2, size - 2) == 0);
	CHECK(packet_decode(copy, size, extended, &pkt) == 0 && pkt.lci == ((((data[0] & 0x0F) << 8) | data[1]) ^ 0x0A5A));
	free(copy);

	check_builders(extended, pkt.lci, data[2], data[size - 1]);
	return 0;
}
