// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_relay.c - the relay's call logic on the host: each TUN fd is one end of a
 * SOCK_SEQPACKET socketpair, the test plays both kernels at the other ends.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "call.h"
#include "daemon.h"
#include "lci.h"
#include "link.h"
#include "log.h"
#include "relay.h"
#include "stats.h"

#include "fake_tun.h"

#include "../relay_invariants.h"

#define MAX_TEST_TUNS 3

static struct relay relay; /* large: static */
static struct loop *loop;
static int kernel_fd[MAX_TEST_TUNS];
static unsigned filler_frames[MAX_TEST_TUNS]; /* queued toward kernel i while its writes are blocked */

static struct tun *add_tun(unsigned i, const char *address, uint16_t lci_start, uint16_t lci_end, bool extended)
{
	return fake_tun_add(&relay, i, address, lci_start, lci_end, extended, &kernel_fd[i]);
}

static int setup_two(void **state)
{
	struct config cfg;

	config_defaults(&cfg);
	cfg.call_timeout_ms = 30000;
	cfg.clear_timeout_ms = 10000;
	loop = loop_new();
	assert_non_null(loop);
	relay_init(&relay, loop, &cfg);
	add_tun(0, "127001", 3072, 4095, false);
	add_tun(1, "127002", 3072, 4095, false);
	return 0;
}

static int teardown(void **state)
{
	/* Every test ends with the relay consistent (tests/relay_invariants.h). */
	const char *broken = relay_invariants_broken(&relay);

	for (unsigned i = 0; i < relay.ntuns; i++) {
		if (!relay.tuns[i])
			continue;
		close(kernel_fd[i]);
		tun_free(relay.tuns[i]);
	}
	memset(&relay, 0, sizeof(relay));
	memset(filler_frames, 0, sizeof(filler_frames));
	loop_free(loop);
	if (broken)
		fail_msg("relay invariant broken at the end of the test: %s", broken);
	return 0;
}

/* The kernel behind TUN i writes an X.25 packet, which waits in the TUN until x25lo reads it. */
static void kernel_queues(unsigned i, const uint8_t *packet, size_t len)
{
	uint8_t frame[TUN_FRAME_HEADER + 256] = {0, 0, 0x08, 0x05, X25_IFACE_DATA};

	memcpy(frame + TUN_FRAME_HEADER, packet, len);
	assert_int_equal(write(kernel_fd[i], frame, TUN_FRAME_HEADER + len), (ssize_t)(TUN_FRAME_HEADER + len));
}
#define KERNEL_QUEUES(i, ...)                                                                      \
	kernel_queues(i, (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

/* The kernel behind TUN i writes an X.25 packet; x25lo handles it. */
static void kernel_sends(unsigned i, const uint8_t *packet, size_t len)
{
	kernel_queues(i, packet, len);
	relay_tun_readable(relay.tuns[i], 0);
}
#define KERNEL_SENDS(i, ...)                                                                       \
	kernel_sends(i, (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

/* The next packet x25lo wrote into TUN i must be exactly this one. */
static void kernel_receives(unsigned i, const uint8_t *packet, size_t len)
{
	uint8_t frame[TUN_FRAME_HEADER + 256];
	ssize_t n = read(kernel_fd[i], frame, sizeof(frame));

	assert_true(n >= TUN_FRAME_HEADER);
	assert_memory_equal(frame, ((uint8_t[]){0, 0, 0x08, 0x05, X25_IFACE_DATA}), TUN_FRAME_HEADER);
	assert_int_equal((size_t)n - TUN_FRAME_HEADER, len);
	assert_memory_equal(frame + TUN_FRAME_HEADER, packet, len);
}
#define KERNEL_RECEIVES(i, ...)                                                                    \
	kernel_receives(i, (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

static void kernel_receives_nothing(unsigned i)
{
	uint8_t frame[64];

	assert_int_equal(read(kernel_fd[i], frame, sizeof(frame)), -1);
	assert_int_equal(errno, EAGAIN);
}

/* A single-route relay: drop tunlb1. */
static void keep_only_first_tun(void)
{
	close(kernel_fd[1]);
	tun_free(relay.tuns[1]);
	relay.tuns[1] = NULL;
	relay.ntuns = 1;
}

static unsigned active_calls(void)
{
	return relay_calls_active(&relay);
}

/* 127001 on tunlb1's LCI 1 calls 127002: injected into tunlb0 on 4095, accepted. */
static void connect_default_call(void)
{
	KERNEL_SENDS(1, 0x10, 0x01, 0x0B, 0x66, 0x12, 0x70, 0x02, 0x12, 0x70, 0x01, 0x06, 0x42, 0x07, 0x07, 0x43, 0x02, 0x02);
	KERNEL_RECEIVES(0, 0x1F, 0xFF, 0x0B, 0x66, 0x12, 0x70, 0x02, 0x12, 0x70, 0x01, 0x06, 0x42, 0x07, 0x07, 0x43, 0x02, 0x02);
	KERNEL_SENDS(0, 0x1F, 0xFF, 0x0F, 0x00, 0x06, 0x42, 0x07, 0x07, 0x43, 0x02, 0x02);
	KERNEL_RECEIVES(1, 0x10, 0x01, 0x0F, 0x00, 0x06, 0x42, 0x07, 0x07, 0x43, 0x02, 0x02);
	assert_int_equal(relay.calls_by_state[CALL_CONNECTED], 1);
}

static void a_call_is_injected_into_the_calling_addresses_tun_on_the_top_lci(void **state)
{
	connect_default_call();
	assert_non_null(relay.tuns[1]->legs[1]);
	assert_non_null(relay.tuns[0]->legs[4095]);
	assert_int_equal(relay.tuns[0]->legs_mapped, 1);
	assert_int_equal(relay.tuns[1]->port.counters.call_request, 1);
	assert_int_equal(relay.tuns[0]->port.counters.call_connected, 1);
}

static void data_and_flow_control_pass_verbatim_but_for_the_lci(void **state)
{
	connect_default_call();
	/* Q bit, P(R)=3, M=1, P(S)=2 and a payload. */
	KERNEL_SENDS(1, 0x90, 0x01, 0x74, 'a', 'b');
	KERNEL_RECEIVES(0, 0x9F, 0xFF, 0x74, 'a', 'b');
	KERNEL_SENDS(0, 0x1F, 0xFF, 0x61);            /* RR P(R)=3 */
	KERNEL_RECEIVES(1, 0x10, 0x01, 0x61);
	KERNEL_SENDS(0, 0x1F, 0xFF, 0x23, 0x55);      /* INTERRUPT */
	KERNEL_RECEIVES(1, 0x10, 0x01, 0x23, 0x55);
	KERNEL_SENDS(1, 0x10, 0x01, 0x27);            /* INTERRUPT CONFIRMATION */
	KERNEL_RECEIVES(0, 0x1F, 0xFF, 0x27);
	KERNEL_SENDS(1, 0x10, 0x01, 0x1B, 0x00, 0x00);/* RESET REQUEST */
	KERNEL_RECEIVES(0, 0x1F, 0xFF, 0x1B, 0x00, 0x00);
	assert_int_equal(relay.tuns[0]->calls[4095 - 3072].leg[LEG_CALLER].packets_in, 4);
}

static void a_clear_is_confirmed_at_once_and_the_peer_lci_held_until_its_confirmation(void **state)
{
	connect_default_call();
	KERNEL_SENDS(1, 0x10, 0x01, 0x13, 0x42, 0x39);
	KERNEL_RECEIVES(1, 0x10, 0x01, 0x17);               /* confirmed to the clearing side */
	KERNEL_RECEIVES(0, 0x1F, 0xFF, 0x13, 0x42, 0x39);   /* same cause and diagnostic */
	assert_null(relay.tuns[1]->legs[1]);
	assert_non_null(relay.tuns[0]->legs[4095]);          /* still clearing */
	assert_int_equal(relay.calls_by_state[CALL_CLEARING], 1);
	/* Late data from the callee is not relayed while it clears. */
	KERNEL_SENDS(0, 0x1F, 0xFF, 0x00, 'x');
	kernel_receives_nothing(1);
	KERNEL_SENDS(0, 0x1F, 0xFF, 0x17);
	assert_null(relay.tuns[0]->legs[4095]);
	assert_int_equal(active_calls(), 0);
	assert_int_equal(relay.tuns[0]->calls_in_use, 0);
	assert_int_equal(relay.counters.causes_received[0x42], 1);
}

static void a_clear_collision_frees_both_sides_without_extra_packets(void **state)
{
	connect_default_call();
	KERNEL_SENDS(0, 0x1F, 0xFF, 0x13, 0x00, 0x00);
	KERNEL_RECEIVES(0, 0x1F, 0xFF, 0x17);
	KERNEL_RECEIVES(1, 0x10, 0x01, 0x13, 0x00, 0x00);
	/* The caller's kernel had sent its own CLEAR at the same time. */
	KERNEL_SENDS(1, 0x10, 0x01, 0x13, 0x00, 0x00);
	kernel_receives_nothing(1);
	assert_int_equal(active_calls(), 0);
	assert_int_equal(relay.tuns[1]->legs_mapped, 0);
	/* Its confirmation of our CLEAR then arrives for a free LCI and is ignored. */
	KERNEL_SENDS(1, 0x10, 0x01, 0x17);
	kernel_receives_nothing(1);
	assert_int_equal(relay.counters.unknown_lci_ignored, 1);
}

static void the_callees_refusal_reaches_the_caller_and_frees_the_lci(void **state)
{
	KERNEL_SENDS(1, 0x10, 0x01, 0x0B, 0x66, 0x12, 0x70, 0x02, 0x12, 0x70, 0x01, 0x00);
	KERNEL_RECEIVES(0, 0x1F, 0xFF, 0x0B, 0x66, 0x12, 0x70, 0x02, 0x12, 0x70, 0x01, 0x00);
	KERNEL_SENDS(0, 0x1F, 0xFF, 0x13, 0x01, 0x00); /* no listener */
	KERNEL_RECEIVES(0, 0x1F, 0xFF, 0x17);
	KERNEL_RECEIVES(1, 0x10, 0x01, 0x13, 0x01, 0x00);
	KERNEL_SENDS(1, 0x10, 0x01, 0x17);
	assert_int_equal(active_calls(), 0);
	assert_int_equal(relay.tuns[0]->legs_mapped + relay.tuns[1]->legs_mapped, 0);
}

static void unknown_lcis_get_answers_that_free_the_kernel_socket(void **state)
{
	KERNEL_SENDS(1, 0x10, 0x07, 0x13, 0x00, 0x00);
	KERNEL_RECEIVES(1, 0x10, 0x07, 0x17);
	KERNEL_SENDS(1, 0x10, 0x07, 0x00, 'x');
	KERNEL_RECEIVES(1, 0x10, 0x07, 0x13, 0x05, 0x24);
	KERNEL_SENDS(1, 0x10, 0x07, 0x17);
	kernel_receives_nothing(1);
	kernel_receives_nothing(0);
	assert_int_equal(relay.counters.unknown_lci_confirmed, 1);
	assert_int_equal(relay.counters.unknown_lci_cleared, 1);
	assert_int_equal(relay.counters.causes_generated[0x05], 1);
}

static void lcis_go_round_robin_from_the_top_and_skip_busy_ones(void **state)
{
	struct tun *t = relay.tuns[0];
	struct leg fake = {0};

	assert_int_equal(lci_alloc(t, 0), 4095);
	/* Mapped in the other direction (a kernel-chosen LCI in our range): skipped. */
	lci_map(t, 4094, &fake);
	assert_int_equal(lci_alloc(t, 0), 4093);
	lci_unmap(t, 4094);
	assert_int_equal(lci_alloc(t, 0), 4092);
}

static void the_lci_freed_last_is_taken_only_when_nothing_else_is_free(void **state)
{
	struct tun *t = relay.tuns[0];

	t->lci_start = 4094;
	t->lci_end = 4095;
	t->lci_cursor = 4095;
	connect_default_call();                             /* 4095 */
	KERNEL_SENDS(1, 0x10, 0x01, 0x13, 0x00, 0x00);
	KERNEL_RECEIVES(1, 0x10, 0x01, 0x17);
	KERNEL_RECEIVES(0, 0x1F, 0xFF, 0x13, 0x00, 0x00);
	KERNEL_SENDS(0, 0x1F, 0xFF, 0x17);
	assert_int_equal(t->lci_last_freed, 4095);
	assert_int_equal(lci_alloc(t, 0), 4094);              /* the cursor moved on anyway */
	t->lci_cursor = 4095;
	assert_int_equal(lci_alloc(t, 0), 4094);              /* 4095 was freed last: avoided */
	t->lci_start = t->lci_end = 4095;
	t->lci_cursor = 4095;
	assert_int_equal(lci_alloc(t, 0), 4095);              /* a range of one reuses it */
}

static void the_third_call_on_a_two_lci_range_is_cleared_with_no_channel_available(void **state)
{
	struct tun *t = relay.tuns[0];

	t->lci_start = 4094;
	t->lci_end = 4095;
	t->lci_cursor = 4095;
	for (uint8_t lci = 1; lci <= 3; lci++)
		kernel_sends(1, (const uint8_t[]){0x10, lci, 0x0B, 0x66, 0x12, 0x70, 0x02, 0x12, 0x70, 0x01, 0x00}, 11);
	KERNEL_RECEIVES(0, 0x1F, 0xFF, 0x0B, 0x66, 0x12, 0x70, 0x02, 0x12, 0x70, 0x01, 0x00);
	KERNEL_RECEIVES(0, 0x1F, 0xFE, 0x0B, 0x66, 0x12, 0x70, 0x02, 0x12, 0x70, 0x01, 0x00);
	KERNEL_RECEIVES(1, 0x10, 0x03, 0x13, 0x05, 0x47);
	kernel_receives_nothing(0);
	assert_int_equal(relay.counters.calls_refused_no_lci, 1);
	assert_int_equal(relay.calls_by_state[CALL_SETUP], 2);
}

static void a_kernel_call_on_a_busy_lci_clears_the_old_call_and_both_sockets(void **state)
{
	connect_default_call();
	KERNEL_SENDS(1, 0x10, 0x01, 0x0B, 0x66, 0x12, 0x70, 0x02, 0x12, 0x70, 0x01, 0x00);
	KERNEL_RECEIVES(0, 0x1F, 0xFF, 0x13, 0x05, 0x48);   /* the old call's peer */
	KERNEL_RECEIVES(1, 0x10, 0x01, 0x13, 0x05, 0x48);   /* one clear per socket that may hold LCI 1 */
	KERNEL_RECEIVES(1, 0x10, 0x01, 0x13, 0x05, 0x48);
	assert_int_equal(relay.counters.lci_reused, 1);
	assert_null(relay.tuns[1]->legs[1]);
	KERNEL_SENDS(0, 0x1F, 0xFF, 0x17);
	assert_int_equal(active_calls(), 0);
}

static void a_call_accepted_waits_until_what_the_callers_kernel_sent_before_it_is_handled(void **state)
{
	KERNEL_SENDS(1, 0x10, 0x01, 0x0B, 0x66, 0x12, 0x70, 0x02, 0x12, 0x70, 0x01, 0x00);
	KERNEL_RECEIVES(0, 0x1F, 0xFF, 0x0B, 0x66, 0x12, 0x70, 0x02, 0x12, 0x70, 0x01, 0x00);
	/* Another call is still unread in tunlb1 when the callee's CALL ACCEPTED comes. */
	KERNEL_QUEUES(1, 0x10, 0x02, 0x0B, 0x66, 0x12, 0x70, 0x02, 0x12, 0x70, 0x01, 0x00);
	KERNEL_SENDS(0, 0x1F, 0xFF, 0x0F);
	KERNEL_RECEIVES(0, 0x1F, 0xFE, 0x0B, 0x66, 0x12, 0x70, 0x02, 0x12, 0x70, 0x01, 0x00);
	KERNEL_RECEIVES(1, 0x10, 0x01, 0x0F);
	kernel_receives_nothing(1);
	assert_int_equal(relay.calls_by_state[CALL_CONNECTED], 1);
	assert_int_equal(relay.calls_by_state[CALL_SETUP], 1);
}

/*
 * Two connect()s on two CPUs were given LCI 1 (docs/linux-x25.md §9.3). The first CALL
 * REQUEST is injected; the second is still unread in tunlb1 when the callee accepts. The
 * kernel would hand that CALL ACCEPTED to whichever socket it finds first, connecting one
 * that x25lo clears a moment later: its data is lost, its read() fails. Reading tunlb1 up
 * first finds the reuse, so both sockets are cleared in state 1 and nothing is connected.
 */
static void a_call_accepted_is_never_relayed_on_an_lci_another_call_request_already_reused(void **state)
{
	KERNEL_SENDS(1, 0x10, 0x01, 0x0B, 0x66, 0x12, 0x70, 0x02, 0x12, 0x70, 0x01, 0x00);
	KERNEL_RECEIVES(0, 0x1F, 0xFF, 0x0B, 0x66, 0x12, 0x70, 0x02, 0x12, 0x70, 0x01, 0x00);
	KERNEL_QUEUES(1, 0x10, 0x01, 0x0B, 0x66, 0x12, 0x70, 0x02, 0x12, 0x70, 0x01, 0x00);
	KERNEL_SENDS(0, 0x1F, 0xFF, 0x0F, 0x00, 0x00);
	KERNEL_RECEIVES(0, 0x1F, 0xFF, 0x13, 0x05, 0x48);   /* the callee */
	KERNEL_RECEIVES(1, 0x10, 0x01, 0x13, 0x05, 0x48);   /* both sockets on LCI 1 */
	KERNEL_RECEIVES(1, 0x10, 0x01, 0x13, 0x05, 0x48);
	kernel_receives_nothing(1);                          /* and no CALL ACCEPTED */
	assert_int_equal(relay.counters.lci_reused, 1);
	assert_int_equal(relay.counters.calls_connected, 0);
	KERNEL_SENDS(0, 0x1F, 0xFF, 0x17);
	assert_int_equal(active_calls(), 0);
	assert_int_equal(relay.tuns[0]->legs_mapped + relay.tuns[1]->legs_mapped, 0);
}

static void a_restart_while_ready_is_confirmed_once_and_clears_the_peers(void **state)
{
	connect_default_call();
	KERNEL_SENDS(0, 0x10, 0x00, 0xFB, 0x00, 0x00);
	KERNEL_RECEIVES(0, 0x10, 0x00, 0xFF);
	kernel_receives_nothing(0);
	KERNEL_RECEIVES(1, 0x10, 0x01, 0x13, 0x09, 0x00);
	assert_int_equal(relay.tuns[0]->legs_mapped, 0);
	assert_int_equal(relay.tuns[0]->link, LINK_READY);
	KERNEL_SENDS(1, 0x10, 0x01, 0x17);
	assert_int_equal(active_calls(), 0);
	assert_int_equal(relay.tuns[0]->calls_in_use, 0);
}

static void a_connect_request_is_echoed_and_marks_the_link_starting(void **state)
{
	uint8_t connect_frame[TUN_FRAME_HEADER] = {0, 0, 0x08, 0x05, X25_IFACE_CONNECT}, got[16];

	assert_int_equal(write(kernel_fd[0], connect_frame, sizeof(connect_frame)), (ssize_t)sizeof(connect_frame));
	relay_tun_readable(relay.tuns[0], 0);
	assert_int_equal(read(kernel_fd[0], got, sizeof(got)), TUN_FRAME_HEADER);
	assert_memory_equal(got, connect_frame, TUN_FRAME_HEADER);
	assert_int_equal(relay.tuns[0]->link, LINK_STARTING);
	/* No call is injected into a TUN that is not ready: the caller is cleared. */
	KERNEL_SENDS(1, 0x10, 0x01, 0x0B, 0x66, 0x12, 0x70, 0x02, 0x12, 0x70, 0x01, 0x00);
	KERNEL_RECEIVES(1, 0x1F, 0xFF, 0x0B, 0x66, 0x12, 0x70, 0x02, 0x12, 0x70, 0x01, 0x00); /* back into tunlb1 */
}

static void malformed_frames_are_counted_and_lose_nothing(void **state)
{
	uint8_t only_pi[4] = {0, 0, 0x08, 0x05};
	uint8_t ipv4[TUN_FRAME_HEADER + 3] = {0, 0, 0x08, 0x00, 0, 0x10, 0x01, 0x0B};
	uint8_t short_packet[TUN_FRAME_HEADER + 2] = {0, 0, 0x08, 0x05, 0, 0x10, 0x01};
	uint8_t params[TUN_FRAME_HEADER] = {0, 0, 0x08, 0x05, 0x03};

	assert_int_equal(write(kernel_fd[1], only_pi, sizeof(only_pi)), sizeof(only_pi));
	assert_int_equal(write(kernel_fd[1], ipv4, sizeof(ipv4)), sizeof(ipv4));
	assert_int_equal(write(kernel_fd[1], short_packet, sizeof(short_packet)), sizeof(short_packet));
	assert_int_equal(write(kernel_fd[1], params, sizeof(params)), sizeof(params));
	relay_tun_readable(relay.tuns[1], 0);
	kernel_receives_nothing(0);
	kernel_receives_nothing(1);
	assert_int_equal(relay.counters.frames_dropped_short, 2);
	assert_int_equal(relay.counters.frames_dropped_proto, 2);
	/* A CALL REQUEST with a truncated address block is cleared, not relayed. */
	KERNEL_SENDS(1, 0x10, 0x02, 0x0B, 0x66, 0x12, 0x70);
	KERNEL_RECEIVES(1, 0x10, 0x02, 0x13, 0x05, 0x21);
	kernel_receives_nothing(0);
	assert_int_equal(relay.counters.calls_malformed, 1);
	/* The relay still works. */
	connect_default_call();
}

static void a_modulo_mismatch_is_cleared_not_translated(void **state)
{
	relay.tuns[0]->port.extended = true;
	KERNEL_SENDS(1, 0x10, 0x01, 0x0B, 0x66, 0x12, 0x70, 0x02, 0x12, 0x70, 0x01, 0x00);
	KERNEL_RECEIVES(1, 0x10, 0x01, 0x13, 0x21, 0x00);
	kernel_receives_nothing(0);
	assert_int_equal(relay.counters.calls_refused_modulo, 1);
}

static void an_unanswered_call_is_cleared_on_both_sides_when_its_timer_expires(void **state)
{
	KERNEL_SENDS(1, 0x10, 0x01, 0x0B, 0x66, 0x12, 0x70, 0x02, 0x12, 0x70, 0x01, 0x00);
	KERNEL_RECEIVES(0, 0x1F, 0xFF, 0x0B, 0x66, 0x12, 0x70, 0x02, 0x12, 0x70, 0x01, 0x00);
	assert_int_not_equal(loop_next_deadline(loop), 0);
	loop_run_timers(loop, loop_next_deadline(loop));
	KERNEL_RECEIVES(1, 0x10, 0x01, 0x13, 0x05, 0x31);
	KERNEL_RECEIVES(0, 0x1F, 0xFF, 0x13, 0x05, 0x31);
	assert_int_equal(relay.counters.call_timeouts, 1);
	/* Nobody confirms: the clear timer frees both LCIs anyway. */
	loop_run_timers(loop, loop_next_deadline(loop));
	assert_int_equal(relay.counters.clear_timeouts, 2);
	assert_int_equal(active_calls(), 0);
	assert_int_equal(loop_next_deadline(loop), 0);
}

static void a_single_route_injects_back_into_the_same_tun_on_a_relay_lci(void **state)
{
	keep_only_first_tun();
	KERNEL_SENDS(0, 0x10, 0x01, 0x0B, 0x66, 0x12, 0x70, 0x01, 0x12, 0x70, 0x01, 0x00);
	KERNEL_RECEIVES(0, 0x1F, 0xFF, 0x0B, 0x66, 0x12, 0x70, 0x01, 0x12, 0x70, 0x01, 0x00);
	KERNEL_SENDS(0, 0x1F, 0xFF, 0x0F);
	KERNEL_RECEIVES(0, 0x10, 0x01, 0x0F);
	KERNEL_SENDS(0, 0x10, 0x01, 0x00, 'z');
	KERNEL_RECEIVES(0, 0x1F, 0xFF, 0x00, 'z');
	assert_int_equal(relay.tuns[0]->legs_mapped, 2);
	/* Link loss on the only TUN forgets both legs, sending nothing. */
	link_lost(relay.tuns[0], "test");
	kernel_receives_nothing(0);
	assert_int_equal(active_calls(), 0);
}

static void a_call_back_into_its_own_tun_never_gets_the_callers_lci(void **state)
{
	struct tun *t = relay.tuns[0];

	keep_only_first_tun();
	/* The kernel's own LCI 4095 is inside the range: the injected call must take 4094. */
	KERNEL_SENDS(0, 0x1F, 0xFF, 0x0B, 0x66, 0x12, 0x70, 0x01, 0x12, 0x70, 0x01, 0x00);
	KERNEL_RECEIVES(0, 0x1F, 0xFE, 0x0B, 0x66, 0x12, 0x70, 0x01, 0x12, 0x70, 0x01, 0x00);
	assert_int_equal(t->legs_mapped, 2);
	assert_int_equal(t->legs[4095]->side, LEG_CALLER);
	assert_int_equal(t->legs[4094]->side, LEG_CALLEE);
	/* With a range of one LCI that is the caller's own, there is no channel for it. */
	KERNEL_SENDS(0, 0x1F, 0xFE, 0x13, 0x00, 0x00);
	KERNEL_RECEIVES(0, 0x1F, 0xFE, 0x17);
	KERNEL_RECEIVES(0, 0x1F, 0xFF, 0x13, 0x00, 0x00);
	KERNEL_SENDS(0, 0x1F, 0xFF, 0x17);
	assert_int_equal(active_calls(), 0);
	t->lci_start = t->lci_end = t->lci_cursor = 4095;
	KERNEL_SENDS(0, 0x1F, 0xFF, 0x0B, 0x66, 0x12, 0x70, 0x01, 0x12, 0x70, 0x01, 0x00);
	KERNEL_RECEIVES(0, 0x1F, 0xFF, 0x13, 0x05, 0x47);
	assert_int_equal(t->legs_mapped, 0);
}

static void frames_left_from_before_a_link_loss_are_dropped(void **state)
{
	connect_default_call();
	relay.tuns[1]->link = LINK_DOWN;
	link_lost(relay.tuns[1], "test");
	KERNEL_RECEIVES(0, 0x1F, 0xFF, 0x13, 0x09, 0x00);    /* the peer is cleared */
	/* A stale CALL REQUEST and data still in tunlb1's ring: nothing is relayed or answered. */
	KERNEL_SENDS(1, 0x10, 0x02, 0x0B, 0x66, 0x12, 0x70, 0x02, 0x12, 0x70, 0x01, 0x00);
	KERNEL_SENDS(1, 0x10, 0x01, 0x00, 'x');
	kernel_receives_nothing(0);
	kernel_receives_nothing(1);
	assert_int_equal(relay.counters.frames_dropped_state, 2);
}

/* The lines x25lo logs (without their timestamps) while -trace is on, captured from stderr. */
static char trace_text[4096];
static int trace_saved_stderr = -1;
static FILE *trace_file;

static void trace_begin(void)
{
	trace_file = tmpfile();
	assert_non_null(trace_file);
	trace_saved_stderr = dup(STDERR_FILENO);
	dup2(fileno(trace_file), STDERR_FILENO);
	log_trace_on = true;
}

static const char *trace_end(void)
{
	char line[512];
	size_t n = 0;

	log_trace_on = false;
	dup2(trace_saved_stderr, STDERR_FILENO);
	close(trace_saved_stderr);
	rewind(trace_file);
	trace_text[0] = '\0';
	/* "YYYY/MM/DD HH:MM:SS " is 20 characters. */
	while (fgets(line, sizeof(line), trace_file) && strlen(line) > 20)
		n += (size_t)snprintf(trace_text + n, sizeof(trace_text) - n, "%s", line + 20);
	fclose(trace_file);
	return trace_text;
}

static void the_trace_has_one_line_per_packet_answers_first_relayed_ones_with_their_new_lci(void **state)
{
	uint8_t connect_frame[TUN_FRAME_HEADER] = {0, 0, 0x08, 0x05, X25_IFACE_CONNECT}, got[16];

	trace_begin();
	connect_default_call();
	KERNEL_SENDS(1, 0x10, 0x01, 0x13, 0x42, 0x39);
	KERNEL_RECEIVES(1, 0x10, 0x01, 0x17);
	KERNEL_RECEIVES(0, 0x1F, 0xFF, 0x13, 0x42, 0x39);
	KERNEL_SENDS(1, 0x10, 0x07, 0x13, 0x00, 0x00);       /* unknown LCI */
	KERNEL_RECEIVES(1, 0x10, 0x07, 0x17);
	KERNEL_SENDS(0, 0x10, 0x00, 0xFB, 0x00, 0x00);       /* restart */
	KERNEL_RECEIVES(0, 0x10, 0x00, 0xFF);
	assert_int_equal(write(kernel_fd[0], connect_frame, sizeof(connect_frame)), (ssize_t)sizeof(connect_frame));
	relay_tun_readable(relay.tuns[0], 0);
	assert_int_equal(read(kernel_fd[0], got, sizeof(got)), TUN_FRAME_HEADER);
	assert_string_equal(trace_end(),
			    "tunlb1>tunlb0 CALL_REQ 1F FF 0B 66 12 70 02 12 70 01 06 42 07 07 43 02 02\n"
			    "tunlb0>tunlb1 CALL_CONN 10 01 0F 00 06 42 07 07 43 02 02\n"
			    "x25lo>tunlb1 CLR_CONF 10 01 17\n"
			    "tunlb1>tunlb0 CLR_REQ 1F FF 13 42 39\n"
			    "x25lo>tunlb1 CLR_CONF 10 07 17\n"
			    "tunlb1>x25lo CLR_REQ 10 07 13 00 00\n"
			    "tunlb0: link lost (the kernel restarted the link): forgot 1 channels, cleared 0 peer calls\n"
			    "x25lo>tunlb0 RESTART_CONF 10 00 FF\n"
			    "tunlb0>x25lo RESTART_REQ 10 00 FB 00 00\n"
			    "tunlb0: link lost (the kernel asked to reconnect)\n"
			    "x25lo>tunlb0 CONNECT\n"
			    "tunlb0>x25lo CONNECT\n");
}

/* The caller's TUN goes away while the callee leg still clears: nothing may point at the freed TUN. */
static void removing_a_tun_leaves_no_leg_pointing_at_it(void **state)
{
	char *sessions;

	connect_default_call();                             /* the call's memory is tunlb0's */
	call_forget_tun(relay.tuns[1], X25_CAUSE_OUT_OF_ORDER, true);
	KERNEL_RECEIVES(0, 0x1F, 0xFF, 0x13, 0x09, 0x00);
	close(kernel_fd[1]);
	tun_free(relay.tuns[1]);
	relay.tuns[1] = NULL;
	relay.ntuns = 1;
	assert_int_equal(relay.calls_by_state[CALL_CLEARING], 1);
	sessions = stats_render_sessions(&relay);
	assert_non_null(sessions);
	assert_non_null(strstr(sessions, "\"caller\": {\"tun\": null, \"lci\": 1, \"state\": \"idle\""));
	free(sessions);
	stats_log_dump(&relay);
	KERNEL_SENDS(0, 0x1F, 0xFF, 0x17);
	assert_int_equal(active_calls(), 0);
}

/*
 * Found by fuzz_relay (corpus/fuzz_relay/removal_mid_clear): the caller hung up and was
 * confirmed, so its leg is idle but still names tunlb1, while the callee leg on tunlb0 waits
 * for its CLEAR CONFIRMATION; then tunlb1 is removed. The idle leg must not keep pointing at it.
 */
static void removing_a_tun_after_its_caller_hung_up_leaves_no_leg_pointing_at_it(void **state)
{
	connect_default_call();
	KERNEL_SENDS(1, 0x10, 0x01, 0x13, 0x00, 0x00);
	KERNEL_RECEIVES(1, 0x10, 0x01, 0x17);
	KERNEL_RECEIVES(0, 0x1F, 0xFF, 0x13, 0x00, 0x00);
	daemon_remove_tun(&relay, relay.tuns[1], "test");
	close(kernel_fd[1]);
	daemon_after_batch(&relay);                        /* tunlb1 is freed */
	assert_null(relay.tuns[0]->calls[4095 - 3072].leg[LEG_CALLER].port);
	free(stats_render_sessions(&relay));               /* reads both legs (under ASan) */
	KERNEL_SENDS(0, 0x1F, 0xFF, 0x17);
	assert_int_equal(relay.tuns[0]->calls_in_use, 0);
}


/* Fill the socketpair toward kernel i, so x25lo's writes into TUN i fail (EAGAIN) until unblock_tun. */
static void block_tun(unsigned i)
{
	while (write(relay.tuns[i]->fd, "F", 1) == 1)
		filler_frames[i]++;
	assert_int_equal(errno, EAGAIN);
	assert_true(filler_frames[i] > 0);
}

static void unblock_tun(unsigned i)
{
	uint8_t byte;

	for (; filler_frames[i] > 0; filler_frames[i]--)
		assert_int_equal(read(kernel_fd[i], &byte, 1), 1);
}

static void a_data_packet_that_cannot_be_written_clears_both_sides(void **state)
{
	connect_default_call();
	block_tun(0);
	KERNEL_SENDS(1, 0x10, 0x01, 0x00, 'l', 'o', 's', 't');
	KERNEL_RECEIVES(1, 0x10, 0x01, 0x13, 0x05, 0x00);      /* the sender learns at once */
	assert_int_equal(relay.counters.calls_cleared_write_failed, 1);
	assert_int_equal(relay.counters.write_errors, 2);      /* the DATA and the CLEAR for tunlb0 */
	KERNEL_SENDS(1, 0x10, 0x01, 0x17);
	/* tunlb0's socket still holds LCI 4095: x25lo keeps it and writes the CLEAR again. */
	assert_non_null(relay.tuns[0]->legs[4095]);
	unblock_tun(0);
	loop_run_timers(loop, loop_next_deadline(loop));
	KERNEL_RECEIVES(0, 0x1F, 0xFF, 0x13, 0x05, 0x00);
	assert_int_equal(relay.counters.clear_retries, 1);
	KERNEL_SENDS(0, 0x1F, 0xFF, 0x17);
	assert_int_equal(active_calls(), 0);
	assert_int_equal(relay.tuns[0]->legs_mapped + relay.tuns[1]->legs_mapped, 0);
}

static void an_incoming_call_that_cannot_be_written_clears_the_caller_at_once(void **state)
{
	block_tun(0);
	KERNEL_SENDS(1, 0x10, 0x01, 0x0B, 0x66, 0x12, 0x70, 0x02, 0x12, 0x70, 0x01, 0x00);
	KERNEL_RECEIVES(1, 0x10, 0x01, 0x13, 0x05, 0x00);
	assert_int_equal(relay.counters.calls_refused_write_failed, 1);
	assert_int_equal(relay.counters.calls_relayed, 0);
	assert_int_equal(relay.tuns[0]->legs_mapped, 0);    /* tunlb0 got nothing: its LCI is free */
	KERNEL_SENDS(1, 0x10, 0x01, 0x17);
	assert_int_equal(active_calls(), 0);
	unblock_tun(0);
	kernel_receives_nothing(0);
}

static void a_clear_confirmation_that_cannot_be_written_is_retried_and_holds_the_lci(void **state)
{
	connect_default_call();
	block_tun(0);
	KERNEL_SENDS(0, 0x1F, 0xFF, 0x13, 0x00, 0x00);          /* the callee hangs up */
	KERNEL_RECEIVES(1, 0x10, 0x01, 0x13, 0x00, 0x00);
	KERNEL_SENDS(1, 0x10, 0x01, 0x17);
	assert_non_null(relay.tuns[0]->legs[4095]);            /* its socket waits in state 2 */
	assert_int_equal(lci_alloc(relay.tuns[0], 0), 4094);   /* so no new call gets 4095 */
	unblock_tun(0);
	loop_run_timers(loop, loop_next_deadline(loop));
	KERNEL_RECEIVES(0, 0x1F, 0xFF, 0x17);
	assert_int_equal(relay.counters.clear_retries, 1);
	assert_int_equal(active_calls(), 0);
	assert_null(relay.tuns[0]->legs[4095]);
}

static void a_restart_confirmation_that_cannot_be_written_is_retried(void **state)
{
	block_tun(0);
	KERNEL_SENDS(0, 0x10, 0x00, 0xFB, 0x00, 0x00);
	assert_int_equal(relay.tuns[0]->link, LINK_STARTING);
	unblock_tun(0);
	assert_int_not_equal(loop_next_deadline(loop), 0);
	loop_run_timers(loop, loop_next_deadline(loop));
	KERNEL_RECEIVES(0, 0x10, 0x00, 0xFF);
	assert_int_equal(relay.tuns[0]->link, LINK_READY);
}

/*
 * Found by fuzz_relay: a RESTART CONFIRMATION that could not be written left its retry armed
 * after the next one went through, and a second later x25lo sent one nobody asked for. In link
 * state 3 the kernel answers that by killing every call on the TUN (docs/linux-x25.md §1.4).
 */
static void a_restart_confirmed_after_a_failed_write_is_not_confirmed_again(void **state)
{
	block_tun(0);
	KERNEL_SENDS(0, 0x10, 0x00, 0xFB, 0x00, 0x00);
	unblock_tun(0);
	KERNEL_SENDS(0, 0x10, 0x00, 0xFB, 0x00, 0x00);          /* the kernel asks again (T20) */
	KERNEL_RECEIVES(0, 0x10, 0x00, 0xFF);
	assert_int_equal(relay.tuns[0]->link, LINK_READY);
	connect_default_call();
	loop_run_timers(loop, loop_now_ms() + 60000);
	kernel_receives_nothing(0);
	assert_int_equal(relay.tuns[0]->link, LINK_READY);
	assert_int_equal(relay.calls_by_state[CALL_CONNECTED], 1);
}

static void a_clear_without_diagnostic_keeps_its_cause(void **state)
{
	connect_default_call();
	KERNEL_SENDS(1, 0x10, 0x01, 0x13, 0x42);
	KERNEL_RECEIVES(1, 0x10, 0x01, 0x17);
	KERNEL_RECEIVES(0, 0x1F, 0xFF, 0x13, 0x42, 0x00);
	assert_int_equal(relay.counters.causes_received[0x42], 1);
}

/* Many removals in one batch of events (reloads, interfaces deleted): every one is freed. */
static void every_tun_removed_in_one_batch_is_freed(void **state)
{
	for (unsigned n = 0; n < 3 * CONFIG_MAX_ROUTES; n++) {
		struct tun *t = tun_new(&relay, "tunlb", 2, "127003", 3072, 4095, false);
		int sv[2];

		assert_non_null(t);
		assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv), 0);
		close(sv[1]);
		t->fd = sv[0];
		relay.tuns[2] = t;
		relay.ntuns = 3;
		daemon_remove_tun(&relay, t, "test");
		assert_null(relay.tuns[2]);
	}
	daemon_after_batch(&relay);
	assert_null(relay.retired);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup_two, teardown)
		T(a_call_is_injected_into_the_calling_addresses_tun_on_the_top_lci),
		T(data_and_flow_control_pass_verbatim_but_for_the_lci),
		T(a_clear_is_confirmed_at_once_and_the_peer_lci_held_until_its_confirmation),
		T(a_clear_collision_frees_both_sides_without_extra_packets),
		T(the_callees_refusal_reaches_the_caller_and_frees_the_lci),
		T(unknown_lcis_get_answers_that_free_the_kernel_socket),
		T(lcis_go_round_robin_from_the_top_and_skip_busy_ones),
		T(the_lci_freed_last_is_taken_only_when_nothing_else_is_free),
		T(the_third_call_on_a_two_lci_range_is_cleared_with_no_channel_available),
		T(a_kernel_call_on_a_busy_lci_clears_the_old_call_and_both_sockets),
		T(a_call_accepted_waits_until_what_the_callers_kernel_sent_before_it_is_handled),
		T(a_call_accepted_is_never_relayed_on_an_lci_another_call_request_already_reused),
		T(a_restart_while_ready_is_confirmed_once_and_clears_the_peers),
		T(a_connect_request_is_echoed_and_marks_the_link_starting),
		T(malformed_frames_are_counted_and_lose_nothing),
		T(a_modulo_mismatch_is_cleared_not_translated),
		T(an_unanswered_call_is_cleared_on_both_sides_when_its_timer_expires),
		T(a_single_route_injects_back_into_the_same_tun_on_a_relay_lci),
		T(a_call_back_into_its_own_tun_never_gets_the_callers_lci),
		T(frames_left_from_before_a_link_loss_are_dropped),
		T(the_trace_has_one_line_per_packet_answers_first_relayed_ones_with_their_new_lci),
		T(removing_a_tun_leaves_no_leg_pointing_at_it),
		T(removing_a_tun_after_its_caller_hung_up_leaves_no_leg_pointing_at_it),
		T(a_data_packet_that_cannot_be_written_clears_both_sides),
		T(an_incoming_call_that_cannot_be_written_clears_the_caller_at_once),
		T(a_clear_confirmation_that_cannot_be_written_is_retried_and_holds_the_lci),
		T(a_restart_confirmation_that_cannot_be_written_is_retried),
		T(a_restart_confirmed_after_a_failed_write_is_not_confirmed_again),
		T(a_clear_without_diagnostic_keeps_its_cause),
		T(every_tun_removed_in_one_batch_is_freed),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
