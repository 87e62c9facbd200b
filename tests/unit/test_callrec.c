// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_callrec.c - call records (callrec.c, docs/call-records.md): calls end every way on
 * fake kernels (socketpair TUNs) and a real TCP XOT peer, and each record's JSON is checked
 * field by field; the journal copy, the counters, the queue bound, a full disk, reopening.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "call.h"
#include "callrec.h"
#include "daemon.h"
#include "link.h"
#include "log.h"
#include "relay.h"
#include "stats.h"
#include "xot.h"

#include "fake_tun.h"

#include "../relay_invariants.h"

static struct relay relay; /* large: static */
static struct loop *loop;
static int kernel_fd[2];
static char dir[] = "/tmp/test_callrec.XXXXXX";
static char path[160];
static long read_off;     /* bytes of the records file already looked at */
static json_t *journal;   /* the entries the fake journal got, as objects */
static int xot_server = -1, xot_port, closed_port;

/* ---- the fixture ---- */

static int fake_journal(const struct iovec *iov, int n)
{
	json_t *entry = json_object();

	for (int i = 0; i < n; i++) {
		const char *f = iov[i].iov_base, *eq = memchr(f, '=', iov[i].iov_len);
		char key[64];

		assert_non_null(eq);
		snprintf(key, sizeof(key), "%.*s", (int)(eq - f), f);
		json_object_set_new(entry, key, json_stringn(eq + 1, iov[i].iov_len - (size_t)(eq - f) - 1));
	}
	json_array_append_new(journal, entry);
	return 0;
}

static int tcp_listener(int *port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

/* Two TUNs (127001 on tunlb0, 127002 on tunlb1, LCIs lci_start-4095), XOT servers 999 (the test's) and 998 (closed). */
static void start(uint16_t lci_start)
{
	struct config cfg;
	char err[512];
	int fd;

	config_defaults(&cfg);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/calls.json", dir);
	snprintf(cfg.call_records, sizeof(cfg.call_records), "%s", path);
	cfg.xot_servers = true;
	cfg.nservers = 2;
	xot_server = tcp_listener(&xot_port);
	fd = tcp_listener(&closed_port);
	close(fd);
	snprintf(cfg.servers[0].prefix, sizeof(cfg.servers[0].prefix), "999");
	snprintf(cfg.servers[0].ip, sizeof(cfg.servers[0].ip), "127.0.0.1");
	cfg.servers[0].port = xot_port;
	snprintf(cfg.servers[1].prefix, sizeof(cfg.servers[1].prefix), "998");
	snprintf(cfg.servers[1].ip, sizeof(cfg.servers[1].ip), "127.0.0.1");
	cfg.servers[1].port = closed_port;
	loop = loop_new();
	assert_non_null(loop);
	relay_init(&relay, loop, &cfg);
	fake_tun_add(&relay, 0, "127001", lci_start, 4095, false, &kernel_fd[0]);
	fake_tun_add(&relay, 1, "127002", lci_start, 4095, false, &kernel_fd[1]);
	if (xot_start(&relay, err, sizeof(err)) < 0)
		fail_msg("xot_start: %s", err);
	relay.callrec = callrec_open(&relay, err, sizeof(err));
	if (!relay.callrec)
		fail_msg("callrec_open: %s", err);
	journal = json_array();
	callrec_set_journal_sender(relay.callrec, fake_journal);
	read_off = 0;
}

static int setup(void **state)
{
	start(3072);
	return 0;
}

/* tunlb0 has one LCI for injected calls: a second call finds none. */
static int setup_one_lci(void **state)
{
	start(4095);
	return 0;
}

static int teardown(void **state)
{
	/* Every test ends with the relay consistent (tests/relay_invariants.h). */
	const char *broken = relay_invariants_broken(&relay);
	char name[160];

	callrec_close(relay.callrec);
	relay.callrec = NULL;
	xot_stop(&relay);
	daemon_after_batch(&relay); /* frees a TUN the test removed */
	for (unsigned i = 0; i < 2; i++) {
		if (!relay.tuns[i])
			continue;
		close(kernel_fd[i]);
		tun_free(relay.tuns[i]);
	}
	close(xot_server);
	memset(&relay, 0, sizeof(relay));
	loop_free(loop);
	json_decref(journal);
	for (const char *const *f = (const char *const[]){"calls.json", "calls.json.1", "fifo", NULL}; *f; f++) {
		snprintf(name, sizeof(name), "%s/%s", dir, *f);
		unlink(name);
	}
	assert_int_equal(rmdir(dir), 0);
	memcpy(dir + sizeof(dir) - 7, "XXXXXX", 6);
	if (broken)
		fail_msg("relay invariant broken at the end of the test: %s", broken);
	return 0;
}

/* ---- the kernels ---- */

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	unsigned byte;
	int used;

	while (sscanf(hex, " %2x%n", &byte, &used) == 1) {
		assert_true(n < cap);
		out[n++] = (uint8_t)byte;
		hex += used;
	}
	return n;
}

/* Kernel i writes the packet (hex bytes); x25lo reads it in one batch of its loop. */
static void from_kernel(unsigned i, const char *hex)
{
	uint8_t frame[5 + 256] = {0, 0, 0x08, 0x05, 0};
	size_t n = unhex(hex, frame + 5, sizeof(frame) - 5);

	assert_int_equal(write(kernel_fd[i], frame, 5 + n), (ssize_t)(5 + n));
	relay_tun_readable(relay.tuns[i], 0);
	daemon_after_batch(&relay);
}

/* The next frame x25lo wrote into TUN i carries this packet. */
static void to_kernel(unsigned i, const char *hex)
{
	uint8_t want[256], frame[5 + 256];
	size_t n = unhex(hex, want, sizeof(want));
	ssize_t got = read(kernel_fd[i], frame, sizeof(frame));

	if (got != (ssize_t)(5 + n) || memcmp(frame + 5, want, n) != 0)
		fail_msg("kernel %u expected %s, got %zd bytes", i, hex, got);
}

static void stop_loop(void *ctx)
{
	loop_stop(loop);
}

/* Run x25lo's loop for ms (XOT's TCP). */
static void run_loop(unsigned ms)
{
	struct timer t;

	timer_init(&t, stop_loop, NULL);
	timer_set(loop_timers(loop), &t, loop_now_ms() + ms);
	assert_int_equal(loop_run(loop, daemon_after_batch, &relay), 0);
	timer_cancel(&t);
}

/* 127002 on tunlb1's LCI 1 calls 127001 with cud (hex); injected into tunlb0 on the top LCI. */
#define CALL_REQUEST "10 01 0B 66 12 70 01 12 70 02 06 42 08 08 43 03 03"

/* ---- the records ---- */

/* Every record line written since the last look, parsed (an array). */
static json_t *new_records(void)
{
	json_t *all = json_array();
	FILE *f = fopen(path, "r");
	char line[CALLREC_LINE_MAX + 2];

	assert_non_null(f);
	assert_int_equal(fseek(f, read_off, SEEK_SET), 0);
	while (fgets(line, sizeof(line), f)) {
		json_error_t err;
		json_t *rec;

		assert_true(strchr(line, '\n') != NULL);
		rec = json_loads(line, 0, &err);
		if (!rec)
			fail_msg("not a JSON line: %s (%s)", line, err.text);
		/* The fields come in the documented order, starting with the version. */
		assert_int_equal(strncmp(line, "{\"v\": 1, \"start\": \"", 19), 0);
		json_array_append_new(all, rec);
	}
	read_off = ftell(f);
	fclose(f);
	return all;
}

/*
 * The one new record must be exactly expected (JSON text) once start, duration_ms and
 * setup_ms, which depend on the clock, are checked and taken out. Returns the record.
 */
static json_t *expect_record(const char *expected)
{
	json_t *all = new_records(), *rec, *want;
	json_error_t err;
	regex_t rfc3339;
	const char *start;
	char *text;

	if (json_array_size(all) != 1)
		fail_msg("expected one new record, found %zu", json_array_size(all));
	rec = json_incref(json_array_get(all, 0));
	json_decref(all);
	start = json_string_value(json_object_get(rec, "start"));
	assert_non_null(start);
	assert_int_equal(regcomp(&rfc3339, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$",
				 REG_EXTENDED | REG_NOSUB), 0);
	assert_int_equal(regexec(&rfc3339, start, 0, NULL, 0), 0);
	regfree(&rfc3339);
	assert_true(json_integer_value(json_object_get(rec, "duration_ms")) < 5000);
	want = json_loads(expected, 0, &err);
	if (!want)
		fail_msg("bad expected JSON: %s", err.text);
	/* Connected calls say how long the set-up took; the others do not. */
	assert_int_equal(json_object_get(rec, "setup_ms") != NULL, json_object_get(want, "negotiated") != NULL);
	json_object_del(rec, "start");
	json_object_del(rec, "duration_ms");
	json_object_del(rec, "setup_ms");
	if (!json_equal(rec, want)) {
		text = json_dumps(rec, JSON_SORT_KEYS);
		fail_msg("record differs; got %s", text);
	}
	json_decref(want);
	return rec;
}

static size_t count_new_records(void)
{
	json_t *all = new_records();
	size_t n = json_array_size(all);

	json_decref(all);
	return n;
}

static void no_new_record(void)
{
	assert_int_equal(count_new_records(), 0);
}

/* ---- calls that connect ---- */

/*
 * RFC 1090's protocol id, facilities that the callee lowers, data both ways, the caller
 * hangs up: every field, the journal's copy, the counters.
 */
static void a_connected_call_cleared_by_the_caller(void **state)
{
	json_t *rec, *entry;
	char *varz;

	from_kernel(1, CALL_REQUEST " C0 F7 00 00");
	to_kernel(0, "1F FF 0B 66 12 70 01 12 70 02 06 42 08 08 43 03 03 C0 F7 00 00");
	from_kernel(0, "1F FF 0F 00 06 42 07 07 43 02 02");
	to_kernel(1, "10 01 0F 00 06 42 07 07 43 02 02");
	from_kernel(1, "10 01 00 68 69");
	to_kernel(0, "1F FF 00 68 69");
	from_kernel(0, "1F FF 20 6F 6B");
	to_kernel(1, "10 01 20 6F 6B");
	no_new_record();
	from_kernel(1, "10 01 13 00 00");
	to_kernel(1, "10 01 17");
	to_kernel(0, "1F FF 13 00 00");
	no_new_record(); /* written when both LCIs are free */
	from_kernel(0, "1F FF 17");
	rec = expect_record(
		"{\"v\": 1, \"outcome\": \"connected\", \"calling\": \"127002\", \"called\": \"127001\","
		" \"cud\": \"c0f70000\", \"cud_len\": 4, \"protocol\": \"smtp\","
		" \"facilities\": {\"raw\": \"420808430303\", \"packet_size_in\": 256, \"packet_size_out\": 256,"
		" \"window_in\": 3, \"window_out\": 3},"
		" \"negotiated\": {\"packet_size_in\": 128, \"packet_size_out\": 128, \"window_in\": 2, \"window_out\": 2},"
		" \"caller\": {\"tun\": \"tunlb1\", \"lci\": 1}, \"callee\": {\"tun\": \"tunlb0\", \"lci\": 4095},"
		" \"caller_to_callee\": {\"packets\": 3, \"bytes\": 31}, \"callee_to_caller\": {\"packets\": 3, \"bytes\": 19},"
		" \"cleared_by\": \"caller\", \"reason\": \"clear_request\", \"cause\": \"0x00\", \"diag\": \"0x00\"}");
	json_decref(rec);

	assert_int_equal(json_array_size(journal), 1);
	entry = json_array_get(journal, 0);
	assert_string_equal(json_string_value(json_object_get(entry, "MESSAGE_ID")), CALLREC_MESSAGE_ID);
	assert_string_equal(json_string_value(json_object_get(entry, "PRIORITY")), "6");
	assert_string_equal(json_string_value(json_object_get(entry, "X25_CALLING")), "127002");
	assert_string_equal(json_string_value(json_object_get(entry, "X25_CALLED")), "127001");
	assert_string_equal(json_string_value(json_object_get(entry, "X25_OUTCOME")), "connected");
	assert_string_equal(json_string_value(json_object_get(entry, "X25_CLEARED_BY")), "caller");
	assert_string_equal(json_string_value(json_object_get(entry, "X25_REASON")), "clear_request");
	assert_string_equal(json_string_value(json_object_get(entry, "X25_CAUSE")), "0x00");
	assert_string_equal(json_string_value(json_object_get(entry, "X25_CUD")), "c0f70000");
	assert_string_equal(json_string_value(json_object_get(entry, "X25_PROTOCOL")), "smtp");
	assert_string_equal(json_string_value(json_object_get(entry, "X25_CALLER_PORT")), "tunlb1");
	assert_string_equal(json_string_value(json_object_get(entry, "X25_CALLER_LCI")), "1");
	assert_string_equal(json_string_value(json_object_get(entry, "X25_CALLEE_PORT")), "tunlb0");
	assert_string_equal(json_string_value(json_object_get(entry, "X25_CALLEE_LCI")), "4095");
	assert_string_equal(json_string_value(json_object_get(entry, "X25_BYTES_CALLER_TO_CALLEE")), "31");
	assert_non_null(strstr(json_string_value(json_object_get(entry, "MESSAGE")),
			       "X.25 call 127002 -> 127001 connected after "));
	/* The whole line rides along, without its newline. */
	rec = json_loads(json_string_value(json_object_get(entry, "X25_CALL_RECORD")), 0, NULL);
	assert_non_null(rec);
	assert_string_equal(json_string_value(json_object_get(rec, "outcome")), "connected");
	json_decref(rec);

	assert_int_equal(relay.counters.call_records_written, 1);
	assert_int_equal(relay.counters.call_records_journal, 1);
	varz = stats_render_varz(&relay);
	assert_non_null(strstr(varz, "\n\"call_records\": {\"dropped\": 0, \"journal\": 1, \"journal_failed\": 0, "
				     "\"written\": 1},\n"));
	free(varz);
	varz = stats_render_metrics(&relay);
	assert_non_null(strstr(varz, "\nx25lo_call_records_total{destination=\"file\",result=\"written\"} 1\n"));
	free(varz);
}

/* The callee hangs up with its own cause; a CALL ACCEPTED without facilities keeps the requested ones. */
static void a_connected_call_cleared_by_the_callee(void **state)
{
	from_kernel(1, "10 01 0B 66 12 70 01 12 70 02 00 01 00 00 00 41");
	to_kernel(0, "1F FF 0B 66 12 70 01 12 70 02 00 01 00 00 00 41");
	from_kernel(0, "1F FF 0F");
	to_kernel(1, "10 01 0F");
	from_kernel(0, "1F FF 13 00 07");
	to_kernel(0, "1F FF 17");
	to_kernel(1, "10 01 13 00 07");
	from_kernel(1, "10 01 17");
	json_decref(expect_record(
		"{\"v\": 1, \"outcome\": \"connected\", \"calling\": \"127002\", \"called\": \"127001\","
		" \"cud\": \"0100000041\", \"cud_len\": 5, \"protocol\": \"pad\", \"facilities\": {\"raw\": \"\"},"
		" \"negotiated\": {\"packet_size_in\": 128, \"packet_size_out\": 128, \"window_in\": 2, \"window_out\": 2},"
		" \"caller\": {\"tun\": \"tunlb1\", \"lci\": 1}, \"callee\": {\"tun\": \"tunlb0\", \"lci\": 4095},"
		" \"caller_to_callee\": {\"packets\": 2, \"bytes\": 19}, \"callee_to_caller\": {\"packets\": 2, \"bytes\": 8},"
		" \"cleared_by\": \"callee\", \"reason\": \"clear_request\", \"cause\": \"0x00\", \"diag\": \"0x07\"}"));
}

/* ---- calls that never connect ---- */

/* No listener: the callee's kernel clears the INCOMING CALL (docs/linux-x25.md §9.1). */
static void a_call_the_callee_refuses_is_not_connected(void **state)
{
	from_kernel(1, CALL_REQUEST);
	to_kernel(0, "1F FF 0B 66 12 70 01 12 70 02 06 42 08 08 43 03 03");
	from_kernel(0, "1F FF 13 01 00");
	to_kernel(0, "1F FF 17");
	to_kernel(1, "10 01 13 01 00");
	from_kernel(1, "10 01 17");
	json_decref(expect_record(
		"{\"v\": 1, \"outcome\": \"not_connected\", \"calling\": \"127002\", \"called\": \"127001\","
		" \"cud\": \"\", \"cud_len\": 0,"
		" \"facilities\": {\"raw\": \"420808430303\", \"packet_size_in\": 256, \"packet_size_out\": 256,"
		" \"window_in\": 3, \"window_out\": 3},"
		" \"caller\": {\"tun\": \"tunlb1\", \"lci\": 1}, \"callee\": {\"tun\": \"tunlb0\", \"lci\": 4095},"
		" \"caller_to_callee\": {\"packets\": 2, \"bytes\": 20}, \"callee_to_caller\": {\"packets\": 1, \"bytes\": 5},"
		" \"cleared_by\": \"callee\", \"reason\": \"clear_request\", \"cause\": \"0x01\", \"diag\": \"0x00\"}"));
}

/* Nobody answers within call_timeout_ms; then the caller's kernel never confirms the clear. */
static void a_call_set_up_timeout_and_a_clear_timeout(void **state)
{
	from_kernel(1, CALL_REQUEST);
	to_kernel(0, "1F FF 0B 66 12 70 01 12 70 02 06 42 08 08 43 03 03");
	loop_run_timers(loop, loop_now_ms() + relay.cfg.call_timeout_ms + 1);
	to_kernel(1, "10 01 13 05 31");
	to_kernel(0, "1F FF 13 05 31");
	from_kernel(0, "1F FF 17");
	no_new_record();
	loop_run_timers(loop, loop_next_deadline(loop)); /* the caller's clear_timeout_ms */
	daemon_after_batch(&relay);
	json_decref(expect_record(
		"{\"v\": 1, \"outcome\": \"not_connected\", \"calling\": \"127002\", \"called\": \"127001\","
		" \"cud\": \"\", \"cud_len\": 0,"
		" \"facilities\": {\"raw\": \"420808430303\", \"packet_size_in\": 256, \"packet_size_out\": 256,"
		" \"window_in\": 3, \"window_out\": 3},"
		" \"caller\": {\"tun\": \"tunlb1\", \"lci\": 1, \"clear_timeout\": true},"
		" \"callee\": {\"tun\": \"tunlb0\", \"lci\": 4095},"
		" \"caller_to_callee\": {\"packets\": 1, \"bytes\": 17}, \"callee_to_caller\": {\"packets\": 1, \"bytes\": 3},"
		" \"cleared_by\": \"x25lo\", \"reason\": \"call_setup_timeout\", \"cause\": \"0x05\", \"diag\": \"0x31\"}"));
}

/* ---- refused calls ---- */

static void a_call_without_a_free_lci_is_refused(void **state)
{
	from_kernel(1, CALL_REQUEST);
	to_kernel(0, "1F FF 0B 66 12 70 01 12 70 02 06 42 08 08 43 03 03");
	from_kernel(1, "10 02 0B 66 12 70 01 12 70 02 00 C0 F7 00 00 AA");
	to_kernel(1, "10 02 13 05 47");
	json_decref(expect_record(
		"{\"v\": 1, \"outcome\": \"refused\", \"calling\": \"127002\", \"called\": \"127001\","
		" \"cud\": \"c0f70000aa\", \"cud_len\": 5, \"protocol\": \"smtp\", \"facilities\": {\"raw\": \"\"},"
		" \"caller\": {\"tun\": \"tunlb1\", \"lci\": 2}, \"callee\": {\"tun\": \"tunlb0\", \"lci\": null},"
		" \"caller_to_callee\": {\"packets\": 1, \"bytes\": 16}, \"callee_to_caller\": {\"packets\": 0, \"bytes\": 0},"
		" \"cleared_by\": \"x25lo\", \"reason\": \"no_lci\", \"cause\": \"0x05\", \"diag\": \"0x47\"}"));
	assert_int_equal(relay.counters.calls_refused_no_lci, 1);
}

static void a_malformed_call_request_is_refused(void **state)
{
	from_kernel(1, "10 03 0B 66 12 70");
	to_kernel(1, "10 03 13 05 21");
	json_decref(expect_record(
		"{\"v\": 1, \"outcome\": \"refused\", \"calling\": \"\", \"called\": \"\", \"cud\": \"\", \"cud_len\": 0,"
		" \"facilities\": null, \"caller\": {\"tun\": \"tunlb1\", \"lci\": 3}, \"callee\": null,"
		" \"caller_to_callee\": {\"packets\": 1, \"bytes\": 6}, \"callee_to_caller\": {\"packets\": 0, \"bytes\": 0},"
		" \"cleared_by\": \"x25lo\", \"reason\": \"malformed\", \"cause\": \"0x05\", \"diag\": \"0x21\"}"));
}

/* A call arriving while x25lo stops, then the calls in progress: both say shutdown. */
static void calls_at_shutdown(void **state)
{
	from_kernel(1, CALL_REQUEST);
	to_kernel(0, "1F FF 0B 66 12 70 01 12 70 02 06 42 08 08 43 03 03");
	from_kernel(0, "1F FF 0F");
	to_kernel(1, "10 01 0F");
	daemon_begin_shutdown(&relay);
	to_kernel(0, "1F FF 13 09 00");
	to_kernel(1, "10 01 13 09 00");
	from_kernel(1, "10 02 0B 66 12 70 01 12 70 02 00");
	to_kernel(1, "10 02 13 09 00");
	json_decref(expect_record(
		"{\"v\": 1, \"outcome\": \"refused\", \"calling\": \"127002\", \"called\": \"127001\","
		" \"cud\": \"\", \"cud_len\": 0, \"facilities\": {\"raw\": \"\"},"
		" \"caller\": {\"tun\": \"tunlb1\", \"lci\": 2}, \"callee\": null,"
		" \"caller_to_callee\": {\"packets\": 1, \"bytes\": 11}, \"callee_to_caller\": {\"packets\": 0, \"bytes\": 0},"
		" \"cleared_by\": \"x25lo\", \"reason\": \"shutdown\", \"cause\": \"0x09\", \"diag\": \"0x00\"}"));
	from_kernel(0, "1F FF 17");
	from_kernel(1, "10 01 17");
	json_decref(expect_record(
		"{\"v\": 1, \"outcome\": \"connected\", \"calling\": \"127002\", \"called\": \"127001\","
		" \"cud\": \"\", \"cud_len\": 0,"
		" \"facilities\": {\"raw\": \"420808430303\", \"packet_size_in\": 256, \"packet_size_out\": 256,"
		" \"window_in\": 3, \"window_out\": 3},"
		" \"negotiated\": {\"packet_size_in\": 256, \"packet_size_out\": 256, \"window_in\": 3, \"window_out\": 3},"
		" \"caller\": {\"tun\": \"tunlb1\", \"lci\": 1}, \"callee\": {\"tun\": \"tunlb0\", \"lci\": 4095},"
		" \"caller_to_callee\": {\"packets\": 2, \"bytes\": 20}, \"callee_to_caller\": {\"packets\": 2, \"bytes\": 6},"
		" \"cleared_by\": \"x25lo\", \"reason\": \"shutdown\", \"cause\": \"0x09\", \"diag\": \"0x00\"}"));
}

/* ---- x25lo's failures ---- */

static void connect_plain_call(void)
{
	from_kernel(1, "10 01 0B 66 12 70 01 12 70 02 00");
	to_kernel(0, "1F FF 0B 66 12 70 01 12 70 02 00");
	from_kernel(0, "1F FF 0F");
	to_kernel(1, "10 01 0F");
}

#define PLAIN_CALL                                                                                 \
	"\"calling\": \"127002\", \"called\": \"127001\", \"cud\": \"\", \"cud_len\": 0, \"facilities\": {\"raw\": \"\"}," \
	" \"negotiated\": {\"packet_size_in\": 128, \"packet_size_out\": 128, \"window_in\": 2, \"window_out\": 2},"

/* The callee's TUN restarts its link: its kernel dropped the call, the caller is cleared. */
static void a_call_whose_link_is_lost(void **state)
{
	connect_plain_call();
	from_kernel(0, "10 00 FB 00 00"); /* RESTART REQUEST while ready */
	to_kernel(0, "10 00 FF");
	to_kernel(1, "10 01 13 09 00");
	from_kernel(1, "10 01 17");
	json_decref(expect_record(
		"{\"v\": 1, \"outcome\": \"connected\", " PLAIN_CALL
		" \"caller\": {\"tun\": \"tunlb1\", \"lci\": 1}, \"callee\": {\"tun\": \"tunlb0\", \"lci\": 4095},"
		" \"caller_to_callee\": {\"packets\": 2, \"bytes\": 14}, \"callee_to_caller\": {\"packets\": 1, \"bytes\": 3},"
		" \"cleared_by\": \"x25lo\", \"reason\": \"link_lost\", \"leg\": \"callee\", \"cause\": \"0x09\","
		" \"diag\": \"0x00\"}"));
}

/* The caller's TUN is removed while the callee still clears: the record says which leg, its TUN is gone. */
static void a_call_whose_tun_is_removed(void **state)
{
	connect_plain_call();
	daemon_remove_tun(&relay, relay.tuns[1], "test");
	close(kernel_fd[1]);
	to_kernel(0, "1F FF 13 09 00");
	from_kernel(0, "1F FF 17");
	json_decref(expect_record(
		"{\"v\": 1, \"outcome\": \"connected\", " PLAIN_CALL
		" \"caller\": {\"tun\": null, \"lci\": 1}, \"callee\": {\"tun\": \"tunlb0\", \"lci\": 4095},"
		" \"caller_to_callee\": {\"packets\": 1, \"bytes\": 11}, \"callee_to_caller\": {\"packets\": 2, \"bytes\": 6},"
		" \"cleared_by\": \"x25lo\", \"reason\": \"tun_removed\", \"leg\": \"caller\", \"cause\": \"0x09\","
		" \"diag\": \"0x00\"}"));
}

/* Fill the socketpair toward kernel i, so writes into TUN i fail (EAGAIN); returns the filler count. */
static unsigned fill_tun(unsigned i)
{
	unsigned n = 0;

	while (write(relay.tuns[i]->fd, "F", 1) == 1)
		n++;
	return n;
}

static void drain_kernel(unsigned i, unsigned n)
{
	uint8_t byte;

	while (n--)
		assert_int_equal(read(kernel_fd[i], &byte, 1), 1);
}

static void a_call_whose_packet_cannot_be_written(void **state)
{
	unsigned filler;

	connect_plain_call();
	filler = fill_tun(0);
	from_kernel(1, "10 01 00 6C 6F 73 74");
	to_kernel(1, "10 01 13 05 00");
	from_kernel(1, "10 01 17");
	drain_kernel(0, filler);
	loop_run_timers(loop, loop_next_deadline(loop)); /* the CLEAR for tunlb0 goes out again */
	to_kernel(0, "1F FF 13 05 00");
	from_kernel(0, "1F FF 17");
	json_decref(expect_record(
		"{\"v\": 1, \"outcome\": \"connected\", " PLAIN_CALL
		" \"caller\": {\"tun\": \"tunlb1\", \"lci\": 1}, \"callee\": {\"tun\": \"tunlb0\", \"lci\": 4095},"
		" \"caller_to_callee\": {\"packets\": 3, \"bytes\": 21}, \"callee_to_caller\": {\"packets\": 2, \"bytes\": 6},"
		" \"cleared_by\": \"x25lo\", \"reason\": \"write_failed\", \"leg\": \"callee\", \"cause\": \"0x05\","
		" \"diag\": \"0x00\"}"));
}

static void an_incoming_call_that_cannot_be_written_is_refused(void **state)
{
	unsigned filler = fill_tun(0);

	from_kernel(1, "10 01 0B 66 12 70 01 12 70 02 00");
	to_kernel(1, "10 01 13 05 00");
	from_kernel(1, "10 01 17");
	drain_kernel(0, filler);
	json_decref(expect_record(
		"{\"v\": 1, \"outcome\": \"refused\", \"calling\": \"127002\", \"called\": \"127001\", \"cud\": \"\","
		" \"cud_len\": 0, \"facilities\": {\"raw\": \"\"},"
		" \"caller\": {\"tun\": \"tunlb1\", \"lci\": 1}, \"callee\": {\"tun\": \"tunlb0\", \"lci\": 4095},"
		" \"caller_to_callee\": {\"packets\": 2, \"bytes\": 14}, \"callee_to_caller\": {\"packets\": 0, \"bytes\": 0},"
		" \"cleared_by\": \"x25lo\", \"reason\": \"write_failed\", \"leg\": \"callee\", \"cause\": \"0x05\","
		" \"diag\": \"0x00\"}"));
}

/* ---- XOT ---- */

static void xot_read(int fd, const char *hex)
{
	uint8_t want[256], got[4 + 256];
	size_t n = unhex(hex, want, sizeof(want)), have = 0;

	while (have < 4 + n) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t r;

		if (poll(&p, 1, 0) == 0)
			run_loop(20);
		r = recv(fd, got + have, 4 + n - have, MSG_DONTWAIT);
		if (r == 0)
			fail_msg("the XOT connection closed");
		if (r > 0)
			have += (size_t)r;
	}
	assert_memory_equal(got, ((uint8_t[]){0, 0, 0, (uint8_t)n}), 4);
	assert_memory_equal(got + 4, want, n);
}

static void xot_send(int fd, const char *hex)
{
	uint8_t buf[4 + 256] = {0};
	size_t n = unhex(hex, buf + 4, sizeof(buf) - 4);

	buf[3] = (uint8_t)n;
	assert_int_equal(send(fd, buf, 4 + n, MSG_NOSIGNAL), (ssize_t)(4 + n));
	run_loop(20);
}

/* A local program calls over XOT; the peer answers, then its connection drops. */
static void an_xot_call_whose_connection_is_lost(void **state)
{
	char peer[64], expected[2048];
	struct pollfd p = {.fd = xot_server, .events = POLLIN};
	int fd;

	from_kernel(1, "10 01 0B 66 99 91 23 12 70 02 00");
	for (int i = 0; i < 50 && poll(&p, 1, 0) == 0; i++)
		run_loop(20);
	fd = accept4(xot_server, NULL, NULL, SOCK_CLOEXEC);
	assert_true(fd >= 0);
	xot_read(fd, "10 01 0B 66 99 91 23 12 70 02 06 42 07 07 43 02 02");
	xot_send(fd, "10 01 0F 00 06 42 07 07 43 02 02");
	to_kernel(1, "10 01 0F 00 06 42 07 07 43 02 02");
	close(fd);
	run_loop(50);
	to_kernel(1, "10 01 13 09 00");
	from_kernel(1, "10 01 17");
	snprintf(peer, sizeof(peer), "127.0.0.1:%d", xot_port);
	snprintf(expected, sizeof(expected),
		 "{\"v\": 1, \"outcome\": \"connected\", \"calling\": \"127002\", \"called\": \"999123\","
		 " \"cud\": \"\", \"cud_len\": 0, \"facilities\": {\"raw\": \"\"},"
		 " \"negotiated\": {\"packet_size_in\": 128, \"packet_size_out\": 128, \"window_in\": 2, \"window_out\": 2},"
		 " \"caller\": {\"tun\": \"tunlb1\", \"lci\": 1}, \"callee\": {\"xot\": \"xot0\", \"peer\": \"%s\", \"lci\": 1},"
		 " \"caller_to_callee\": {\"packets\": 2, \"bytes\": 14}, \"callee_to_caller\": {\"packets\": 1, \"bytes\": 11},"
		 " \"cleared_by\": \"x25lo\", \"reason\": \"xot_closed\", \"leg\": \"callee\", \"cause\": \"0x09\","
		 " \"diag\": \"0x00\"}",
		 peer);
	json_decref(expect_record(expected));
}

static void an_xot_call_the_peer_refuses_to_connect(void **state)
{
	char expected[2048];

	from_kernel(1, "10 01 0B 66 99 81 23 12 70 02 00");
	run_loop(100);
	to_kernel(1, "10 01 13 09 00");
	from_kernel(1, "10 01 17");
	snprintf(expected, sizeof(expected),
		 "{\"v\": 1, \"outcome\": \"not_connected\", \"calling\": \"127002\", \"called\": \"998123\","
		 " \"cud\": \"\", \"cud_len\": 0, \"facilities\": {\"raw\": \"\"},"
		 " \"caller\": {\"tun\": \"tunlb1\", \"lci\": 1}, \"callee\": {\"xot\": \"xot0\", \"peer\": \"127.0.0.1:%d\", \"lci\": 1},"
		 " \"caller_to_callee\": {\"packets\": 2, \"bytes\": 14}, \"callee_to_caller\": {\"packets\": 0, \"bytes\": 0},"
		 " \"cleared_by\": \"x25lo\", \"reason\": \"xot_refused\", \"leg\": \"callee\", \"cause\": \"0x09\","
		 " \"diag\": \"0x00\"}",
		 closed_port);
	json_decref(expect_record(expected));
}

/* ---- writing ---- */

/* A refused call: one record, without touching tunlb0. */
static void refuse_one(void)
{
	from_kernel(1, "10 03 0B 66 12 70");
	to_kernel(1, "10 03 13 05 21");
}

/* logrotate's create + postrotate: the file is renamed, SIGHUP reopens the path. */
static void sighup_reopens_the_file_at_the_path(void **state)
{
	char old[sizeof(path)];
	json_t *all;

	refuse_one();
	snprintf(old, sizeof(old), "%s/calls.json.1", dir);
	assert_int_equal(rename(path, old), 0);
	refuse_one(); /* still the renamed file: it is what x25lo has open */
	callrec_sync(&relay, true);
	refuse_one();
	read_off = 0;
	all = new_records();
	assert_int_equal(json_array_size(all), 1);
	json_decref(all);
	snprintf(path, sizeof(path), "%s", old);
	read_off = 0;
	all = new_records();
	assert_int_equal(json_array_size(all), 2);
	json_decref(all);
	snprintf(path, sizeof(path), "%s/calls.json", dir);
	assert_int_equal(relay.counters.call_records_written, 3);
}

/* copytruncate: the file is cut to 0 under x25lo, which goes on appending at its new end. */
static void a_truncated_file_is_appended_at_its_new_end(void **state)
{
	struct stat st;

	refuse_one();
	assert_int_equal(truncate(path, 0), 0);
	refuse_one();
	assert_int_equal(stat(path, &st), 0);
	read_off = 0;
	json_decref(expect_record(
		"{\"v\": 1, \"outcome\": \"refused\", \"calling\": \"\", \"called\": \"\", \"cud\": \"\", \"cud_len\": 0,"
		" \"facilities\": null, \"caller\": {\"tun\": \"tunlb1\", \"lci\": 3}, \"callee\": null,"
		" \"caller_to_callee\": {\"packets\": 1, \"bytes\": 6}, \"callee_to_caller\": {\"packets\": 0, \"bytes\": 0},"
		" \"cleared_by\": \"x25lo\", \"reason\": \"malformed\", \"cause\": \"0x05\", \"diag\": \"0x21\"}"));
	assert_int_equal(st.st_mode & 0777, 0640);
}

/* A reload can move the records, stop them and start them again. */
static void a_reload_moves_stops_and_starts_the_records(void **state)
{
	char moved[160];
	struct stat st;

	snprintf(moved, sizeof(moved), "%s/calls.json.1", dir);
	snprintf(relay.cfg.call_records, sizeof(relay.cfg.call_records), "%s", moved);
	callrec_sync(&relay, false);
	refuse_one();
	assert_int_equal(stat(moved, &st), 0);
	assert_true(st.st_size > 0);
	relay.cfg.call_records[0] = '\0';
	callrec_sync(&relay, false);
	assert_null(relay.callrec);
	refuse_one(); /* no records: nothing happens */
	snprintf(relay.cfg.call_records, sizeof(relay.cfg.call_records), "%s", path);
	callrec_sync(&relay, false);
	assert_non_null(relay.callrec);
	refuse_one();
	assert_int_equal(count_new_records(), 1);
	assert_int_equal(relay.counters.call_records_written, 2);
}

/* A path that names a symlink or a missing directory is a clear error. */
static void a_file_that_cannot_be_opened_is_an_error(void **state)
{
	char link_path[160], err[512];
	struct callrec *r;

	snprintf(link_path, sizeof(link_path), "%s/fifo", dir); /* a name teardown removes */
	assert_int_equal(symlink(path, link_path), 0);
	snprintf(relay.cfg.call_records, sizeof(relay.cfg.call_records), "%s", link_path);
	r = callrec_open(&relay, err, sizeof(err));
	assert_null(r);
	assert_non_null(strstr(err, "symbolic link"));
	snprintf(relay.cfg.call_records, sizeof(relay.cfg.call_records), "%s/no/such/dir/calls.json", dir);
	r = callrec_open(&relay, err, sizeof(err));
	assert_null(r);
	assert_non_null(strstr(err, "No such file or directory"));
	/* On reload, a failed open keeps the records where they went. */
	callrec_sync(&relay, false);
	assert_non_null(relay.callrec);
	refuse_one();
	assert_int_equal(count_new_records(), 1);
}

/* The file x25lo created goes to the user it will run as; one already that user's is left alone. */
static void the_file_goes_to_the_user_x25lo_runs_as(void **state)
{
	struct stat st;

	callrec_set_owner(relay.callrec, getuid(), getgid()); /* nothing to do: no fchown */
	if (geteuid() != 0)
		skip();
	callrec_set_owner(relay.callrec, 65534, 65534);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_uid, 65534);
	assert_int_equal(st.st_gid, 65534);
	assert_int_equal(st.st_mode & 0777, 0640);
}

/* A full disk: every write fails (ENOSPC); the records are counted as dropped, none written. */
static void a_full_disk_drops_and_counts_the_records(void **state)
{
	snprintf(relay.cfg.call_records, sizeof(relay.cfg.call_records), "/dev/full");
	callrec_sync(&relay, false);
	for (int i = 0; i < 3; i++)
		refuse_one();
	assert_int_equal(relay.counters.call_records_dropped, 3);
	assert_int_equal(relay.counters.call_records_written, 0);
	assert_int_equal(relay.counters.call_records_journal, 3); /* the journal copy still went */
}

/*
 * A FIFO whose reader does not read: the pipe fills, then the queue (CALLREC_QUEUE_MAX);
 * further records are dropped and counted. The reader then gets every record not dropped,
 * each line whole.
 */
static void a_full_queue_drops_and_counts_the_records(void **state)
{
	char fifo[160], buf[65536];
	uint64_t calls = 0, lines = 0;
	FILE *f;
	int rd;

	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	rd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	assert_true(rd >= 0);
	snprintf(relay.cfg.call_records, sizeof(relay.cfg.call_records), "%s", fifo);
	callrec_sync(&relay, false);
	while (relay.counters.call_records_dropped == 0) {
		refuse_one();
		calls++;
		assert_true(calls < 100000);
	}
	refuse_one();
	calls++;
	assert_int_equal(relay.counters.call_records_dropped, 2);
	/* The reader catches up: the retry timer and the next batches write the rest. */
	f = fdopen(rd, "r");
	assert_non_null(f);
	for (int idle = 0; idle < 20;) {
		ssize_t n = read(rd, buf, sizeof(buf));

		if (n > 0) {
			for (ssize_t i = 0; i < n; i++)
				lines += buf[i] == '\n';
			idle = 0;
			continue;
		}
		idle++;
		loop_run_timers(loop, loop_next_deadline(loop) ? loop_next_deadline(loop) : loop_now_ms());
	}
	fclose(f);
	assert_int_equal(lines, calls - 2);
	assert_int_equal(relay.counters.call_records_written, calls - 2);
}

/* Records off (the default): no file, nothing counted, calls run as before. */
static void records_off_cost_nothing(void **state)
{
	callrec_close(relay.callrec);
	relay.callrec = NULL;
	relay.cfg.call_records[0] = '\0';
	connect_plain_call();
	from_kernel(1, "10 01 13 00 00");
	to_kernel(1, "10 01 17");
	to_kernel(0, "1F FF 13 00 00");
	from_kernel(0, "1F FF 17");
	refuse_one();
	assert_int_equal(relay.counters.call_records_written + relay.counters.call_records_dropped, 0);
	assert_int_equal(count_new_records(), 0);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(a_connected_call_cleared_by_the_caller),
		T(a_connected_call_cleared_by_the_callee),
		T(a_call_the_callee_refuses_is_not_connected),
		T(a_call_set_up_timeout_and_a_clear_timeout),
		cmocka_unit_test_setup_teardown(a_call_without_a_free_lci_is_refused, setup_one_lci, teardown),
		T(a_malformed_call_request_is_refused),
		T(calls_at_shutdown),
		T(a_call_whose_link_is_lost),
		T(a_call_whose_tun_is_removed),
		T(a_call_whose_packet_cannot_be_written),
		T(an_incoming_call_that_cannot_be_written_is_refused),
		T(an_xot_call_whose_connection_is_lost),
		T(an_xot_call_the_peer_refuses_to_connect),
		T(sighup_reopens_the_file_at_the_path),
		T(a_truncated_file_is_appended_at_its_new_end),
		T(a_reload_moves_stops_and_starts_the_records),
		T(a_file_that_cannot_be_opened_is_an_error),
		T(the_file_goes_to_the_user_x25lo_runs_as),
		T(a_full_disk_drops_and_counts_the_records),
		T(a_full_queue_drops_and_counts_the_records),
		T(records_off_cost_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
