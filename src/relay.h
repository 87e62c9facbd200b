// SPDX-License-Identifier: GPL-2.0-or-later
/* relay.h - the relay's context and its receive side: read a TUN, decode once, hand each packet on. */
#ifndef X25LO_RELAY_H
#define X25LO_RELAY_H

#include <stdbool.h>
#include <stdint.h>

#include "call.h"
#include "config.h"
#include "loop.h"
#include "packet.h"
#include "port.h"
#include "tun.h"
#include "x25.h"
#include "xot.h"

/* One TUN per route, and one more that carries the kernel routes of XOT prefixes. */
#define RELAY_MAX_TUNS (CONFIG_MAX_ROUTES + 1)
#define RELAY_XOT_TUN_INDEX CONFIG_MAX_ROUTES

struct relay_counters {
	uint64_t packets_handled[PKT_TYPE_COUNT];
	uint64_t packets_unknown_type[256];
	uint64_t causes_received[256];  /* CLEAR REQUEST causes read from the kernels */
	uint64_t causes_generated[256]; /* clears x25lo itself generated */
	uint64_t calls_relayed, calls_connected;
	uint64_t calls_refused_no_lci, calls_refused_no_target, calls_refused_modulo;
	uint64_t calls_refused_write_failed; /* the INCOMING CALL could not be written */
	uint64_t calls_malformed;
	uint64_t calls_cleared_write_failed; /* a packet of a call in progress could not be written */
	uint64_t call_timeouts, clear_timeouts;
	uint64_t clear_retries; /* CLEARs and CLEAR CONFIRMATIONs written again after a failed write */
	uint64_t xot_failures[XOT_FAIL_COUNT]; /* XOT connections that failed, by reason */
	uint64_t lci_reused;          /* kernel CALL REQUEST on an LCI still mapped */
	uint64_t unknown_lci_cleared; /* packets on unmapped LCIs answered with a clear */
	uint64_t unknown_lci_confirmed;
	uint64_t unknown_lci_ignored;
	uint64_t frames_dropped_short, frames_dropped_proto, frames_dropped_truncated;
	uint64_t frames_dropped_state; /* relayed packets arriving while their call is clearing */
	uint64_t write_errors;
	/* Call records (callrec.c): lines written to the file, lost (queue full, failed write), journal entries. */
	uint64_t call_records_written, call_records_dropped;
	uint64_t call_records_journal, call_records_journal_failed;
};

struct stats_server;
struct pcap_writer;
struct callrec;
struct xot;

struct relay {
	struct loop *loop;
	struct config cfg;
	char config_path[4096];
	uint64_t config_generation;
	bool last_reload_ok;
	char last_reload_error[512];
	uint64_t started_ms;
	unsigned ntuns;
	/* By index; NULL where a removed route left a gap. The last slot is the XOT gateway TUN. */
	struct tun *tuns[RELAY_MAX_TUNS];
	struct relay_counters counters;
	unsigned calls_by_state[CALL_STATE_COUNT]; /* [CALL_FREE] unused */
	struct timer_queue setup_timers;    /* calls waiting for CALL ACCEPTED */
	struct timer_queue clearing_timers; /* legs waiting for CLEAR CONFIRMATION */
	int x25_fd; /* AF_X25 socket for route and subscription ioctls */
	int rtnl_fd; /* link notifications */
	struct io_watch rtnl_watch;
	struct timer shutdown_timer;
	struct timer drops_timer; /* looks at the kernel's drop counts of every TUN */
	struct tun *retired; /* removed during this batch, freed after it (linked by next_retired) */
	struct stats_server *stats;
	struct pcap_writer *pcap;
	struct callrec *callrec; /* call records; NULL when off */
	struct xot *xot; /* XOT connections, listener, resolver (xot.c); NULL until started */
	/* The kernel routes on the XOT gateway TUN: the servers' prefixes no local route shadows. */
	char xot_routes[CONFIG_MAX_SERVERS][CONFIG_ADDR_MAX + 1];
	size_t nxot_routes;
	bool shutting_down;
	uint64_t lci_reuse_log_ms; /* last time an LCI reuse was logged (once per burst) */
	uint64_t lci_reuse_unlogged;
	uint64_t write_failed_log_ms; /* likewise for calls cleared after a failed write */
	uint64_t write_failed_unlogged;
	/* One read buffer: tun_pi, pseudo-header, packet (whose headroom is the first two). */
	uint8_t frame[TUN_FRAME_HEADER + 65535 + 64];
	/* The caller's TUN is read into this one while a CALL ACCEPTED waits in frame (relay.c). */
	uint8_t drain_frame[TUN_FRAME_HEADER + 65535 + 64];
	bool draining;
};

/* Zero relay and tie it to loop: its timer queues join the loop. Before anything else uses it. */
void relay_init(struct relay *relay, struct loop *loop, const struct config *cfg);

/* Calls that are set up, connected or clearing. */
unsigned relay_calls_active(const struct relay *relay);
/* Channels x25lo holds: LCIs on TUNs and XOT connections' calls, clearing ones included. */
unsigned relay_channels_mapped(const struct relay *relay);
/* Bring every TUN's kernel drop counts up to date (before they are shown). */
void relay_read_drops(struct relay *relay);

/*
 * A CALL ACCEPTED was read for leg (from a TUN or an XOT peer): first read what the caller's
 * TUN already holds, so a second CALL REQUEST on the caller's LCI is handled before the
 * kernel gets the CALL ACCEPTED (docs/relay.md, "On two or more CPUs"). leg may be cleared
 * by it: look the leg up again afterwards.
 */
void relay_read_caller_first(struct leg *leg);

/* epoll callback of a TUN fd (ctx = struct tun). */
void relay_tun_readable(void *ctx, uint32_t events);

/* A packet read from a port was decoded: count it by type. */
static inline void relay_count_packet(struct relay *relay, const struct x25_packet *pkt)
{
	relay->counters.packets_handled[pkt->type]++;
	if (pkt->type == PKT_UNKNOWN)
		relay->counters.packets_unknown_type[pkt->type_id]++;
}

#endif
