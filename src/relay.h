/* relay.h - the relay's state: TUNs, call legs indexed by [TUN][LCI], counters. */
#ifndef X25LO_RELAY_H
#define X25LO_RELAY_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "deadline.h"
#include "loop.h"
#include "packet.h"
#include "x25.h"

struct call;
struct tun;

enum link_state {
	LINK_DOWN,     /* interface down (or not yet up): nothing can be written */
	LINK_STARTING, /* CONNECT sent, waiting for the kernel's RESTART REQUEST */
	LINK_READY,    /* restart confirmed: calls may be injected */
};

enum leg_state {
	LEG_IDLE,     /* not mapped */
	LEG_OPEN,     /* the kernel has a socket on this LCI that x25lo relays for */
	LEG_CLEARING, /* CLEAR INDICATION sent, waiting for the kernel's CLEAR CONFIRMATION */
};

/* One side of a call: an LCI on a TUN. */
struct leg {
	struct call *call;
	struct tun *tun;
	uint16_t lci;
	uint8_t state;   /* enum leg_state */
	uint8_t side;    /* LEG_CALLER or LEG_CALLEE */
	uint64_t packets_in, bytes_in; /* read from this leg's kernel */
	struct deadline clearing;      /* while CLEARING */
};

enum { LEG_CALLER = 0, LEG_CALLEE = 1 };

enum call_state {
	CALL_FREE,
	CALL_SETUP,     /* INCOMING CALL injected, waiting for CALL ACCEPTED */
	CALL_CONNECTED, /* data transfer */
	CALL_CLEARING,  /* at least one leg clearing, none open */
	CALL_STATE_COUNT
};

struct call {
	struct leg leg[2]; /* [LEG_CALLER] = where the CALL REQUEST left, [LEG_CALLEE] = injected */
	uint8_t state;     /* enum call_state */
	char calling[16], called[16];
	uint8_t facilities[32]; /* as in the CALL REQUEST (truncated copy for /sessions) */
	uint8_t facilities_len;
	uint64_t started_ms;
	struct deadline setup; /* while SETUP */
};

/* goxot's interface_* maps, per TUN. */
struct tun_counters {
	uint64_t sessions_opened, sessions_closed;
	uint64_t call_request, call_connected, clear_request, clear_confirm;
	uint64_t packets_sent, packets_received, bytes_sent, bytes_received;
	uint64_t link_up, link_lost;
};

struct tun {
	struct relay *relay;
	unsigned index; /* the N in tunlbN */
	char name[IFNAMSIZ];
	char address[16];
	int ifindex;
	int fd;
	struct io_watch watch;
	enum link_state link;
	bool admin_up;  /* last IFF_UP seen via rtnetlink */
	bool route_added;
	bool retired;   /* removed from the relay, freed after the current batch */
	bool failed;    /* the TUN fd broke: removed after the current batch */
	bool extended;
	uint16_t lci_start, lci_end; /* range for injected calls, fixed at creation */
	uint16_t lci_cursor;         /* next candidate, moving down */
	uint16_t lci_last_freed;
	unsigned legs_mapped;        /* entries in legs[] (both directions, clearing included) */
	unsigned calls_in_use;       /* slots of calls[] in use */
	struct tun_counters counters;
	struct call *calls;          /* [lci_end - lci_start + 1], indexed by injected LCI */
	struct leg *legs[X25_LCI_COUNT];
};

struct relay_counters {
	uint64_t packets_handled[PKT_TYPE_COUNT];
	uint64_t packets_unknown_type[256];
	uint64_t causes_received[256];  /* CLEAR REQUEST causes read from the kernels */
	uint64_t causes_generated[256]; /* clears x25lo itself generated */
	uint64_t calls_relayed, calls_connected;
	uint64_t calls_refused_no_lci, calls_refused_no_target, calls_refused_modulo;
	uint64_t calls_malformed;
	uint64_t call_timeouts, clear_timeouts;
	uint64_t lci_reused;          /* kernel CALL REQUEST on an LCI still mapped */
	uint64_t unknown_lci_cleared; /* packets on unmapped LCIs answered with a clear */
	uint64_t unknown_lci_confirmed;
	uint64_t unknown_lci_ignored;
	uint64_t frames_dropped_short, frames_dropped_proto, frames_dropped_truncated;
	uint64_t frames_dropped_state; /* relayed packets arriving while their call is clearing */
	uint64_t write_errors;
};

struct stats_server;
struct pcap_writer;

struct relay {
	struct loop *loop;
	struct config cfg;
	char config_path[4096];
	uint64_t config_generation;
	bool last_reload_ok;
	char last_reload_error[512];
	uint64_t started_ms;
	unsigned ntuns;
	struct tun *tuns[CONFIG_MAX_ROUTES]; /* by index; NULL where a removed route left a gap */
	struct relay_counters counters;
	unsigned calls_by_state[CALL_STATE_COUNT]; /* [CALL_FREE] unused */
	struct deadline_list setup_timers;    /* calls waiting for CALL ACCEPTED */
	struct deadline_list clearing_timers; /* legs waiting for CLEAR CONFIRMATION */
	int timer_fd;
	uint64_t timer_armed_ms;
	struct io_watch timer_watch;
	int x25_fd; /* AF_X25 socket for route and subscription ioctls */
	int rtnl_fd; /* link notifications */
	struct io_watch rtnl_watch;
	uint64_t shutdown_deadline_ms;
	struct tun *retired[CONFIG_MAX_ROUTES * 2]; /* freed after the current batch */
	unsigned nretired;
	struct stats_server *stats;
	struct pcap_writer *pcap;
	bool shutting_down;
	bool trace_consumed; /* -trace: the packet being handled was traced as relayed */
	uint64_t lci_reuse_log_ms; /* last time an LCI reuse was logged (once per burst) */
	uint64_t lci_reuse_unlogged;
	uint8_t frame[4 + 1 + 65535 + 64]; /* one read buffer: tun_pi, pseudo-header, packet */
};

#endif

/* relay.c: frame output. Every write is counted, captured and traced here. */

/* Rewrite the LCI of frame (tun_pi + pseudo-header + packet) to `to` and write it into to's TUN. */
bool relay_forward(struct leg *to, const struct leg *from, uint8_t *frame, size_t len);
/* Packets x25lo generates itself. relay_send_clear counts the cause as generated. */
void relay_send_clear(struct tun *t, uint16_t lci, uint8_t cause, uint8_t diag);
void relay_send_clear_confirmation(struct tun *t, uint16_t lci);
void relay_send_restart_confirmation(struct tun *t);
void relay_send_control(struct tun *t, uint8_t pseudo_header);

/* epoll callback of a TUN fd (ctx = struct tun). */
void relay_tun_readable(void *ctx, uint32_t events);

/* Offset of the X.25 packet inside a TUN frame: 4-byte tun_pi + 1-byte pseudo-header. */
#define FRAME_PACKET_OFFSET 5
