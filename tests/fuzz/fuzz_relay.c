// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_relay.c - libFuzzer target for the relay as a whole: up to five TUNs, each one end of a
 * SOCK_SEQPACKET socketpair whose other end the harness plays as the kernel (as
 * tests/unit/test_relay.c does), driven by a program of steps read from the input. After
 * every step the relay must be consistent (tests/relay_invariants.h) and every frame x25lo
 * wrote must be a well-formed TUN frame.
 *
 * Input: one set-up byte, then steps. Set-up bit i (0-4) leaves slot i empty at the start,
 * bit 5 turns -trace on, bit 6 starts every link as after a CONNECT (the kernel must send a
 * RESTART REQUEST first), bit 7 captures every frame (pcap_open, rotated every 4 KiB; at the
 * end both files must be well-formed pcapng: blocks whose lengths agree, a section header
 * first, packets only on interfaces described before them). The slots start as:
 *
 *   slot  address  LCIs        modulo   why
 *   0     127001   4092-4095   8        four channels: exhaustion
 *   1     127002   1-6         8        the kernel's own LCIs (from 1) meet injected ones
 *   2     1270     4000-4063   8        a prefix of the other addresses
 *   3     127003   100-103     128
 *   4     127004   4095        128      a single channel
 *
 * Each step is an op byte: kind = op >> 4, a = op & 15 (slot = (a & 7) % 5; defer = a & 8:
 * the frame is only queued, read by a later frame on that slot or a READ step). The bytes
 * after it, when the input has them (missing ones read as 0):
 *
 *   0     RAW     len (255: two more bytes, big-endian), then the whole frame as the kernel
 *                 writes it: tun_pi, pseudo-header, packet
 *   1     CALL    LCI (2 bytes, below), shape: bits 0-2 calling address, 3-4 called address,
 *                 5-6 facilities (none, common, all kinds, malformed: a field longer than the
 *                 packet if bit 0, else a facility longer than the field), 7 the other
 *                 modulo's GFI
 *   2, 15 PACKET  LCI (2), type: bits 0-3 which (CALL ACCEPTED, CLEAR, CLEAR CONFIRMATION, DATA,
 *                 RR, RNR, REJ, INTERRUPT, its confirmation, RESET, its confirmation, RESTART,
 *                 its confirmation, DIAGNOSTIC, a bare CALL REQUEST, any type byte), bits 4-7 a
 *                 variant (length, cause present, Q bit), then a parameter byte
 *   3     TIMER   a & 7 picks how far the virtual clock moves (1 ms up to 10 min, or exactly a
 *                 configured timeout), then the due timers run (loop_run_timers)
 *   4     LINK    v: 0 interface down (link_lost, link down, TUN writes fail), 1 interface up
 *                 (writes work, link_start), 2 down and up between two notifications, 3 link_lost
 *   5     BLOCK   the TUN's writes fail: its socketpair is filled (test_relay's block_tun)
 *   6     UNBLOCK the socketpair is emptied; writes work again
 *   7     REMOVE  daemon_remove_tun (the batch ends: daemon_after_batch)
 *   8     CREATE  address choice: a TUN in the lowest free slot with the configuration's LCI
 *                 range and modulo, as a reload adds a route (link started: CONNECT)
 *   9     RELOAD  r: call_timeout_ms (r & 7), clear_timeout_ms (r >> 3 & 7), and the LCI range
 *                 and modulo of TUNs created from now on (a & 7)
 *   10    RENDER  a & 3: /varz (must parse as JSON), /metrics (whole lines, each a comment or
 *                 a sample), /sessions with ?limit=a >> 2 (JSON, every live call up to the
 *                 limit), the SIGUSR1 dump. Each costs ten to a hundred packet steps: an
 *                 input gets the first /varz, /metrics and dump and the first two /sessions
 *                 it asks for
 *   11    SHUTDOWN daemon_begin_shutdown (SIGTERM): every call cleared, new ones refused
 *   12    READ    relay_tun_readable on the slot (frames left queued by deferred steps)
 *   13    LONG    LCI (2), size choice: a DATA packet of 300 bytes up to one longer than
 *                 x25lo's read buffer
 *   14    STREAM  a /sessions listing read in slices across steps (stats_sessions_*), as the
 *                 HTTP server streams it: a & 3: 0 open one (limit: next byte & 3, 0 = all),
 *                 1 read a slice (max bytes 1 + next byte, then a budget byte: calls b & 3,
 *                 slots 4 * (b >> 2); 255 = no budget), 2 read to the end, 3 abandon it. A
 *                 finished listing must be one JSON array of at most limit calls, no place
 *                 (TUN, LCI) twice, and every live call when none came or went meanwhile
 *
 * LCI: 2 bytes s0 s1; s0 >> 6 selects: 0 the 12 bits (s0 & 15) << 8 | s1, 1 the s1-th LCI
 * x25lo maps on that TUN (s1 when none), 2 the TUN's injection range start + s1, 3 a
 * kernel-chosen LCI 1 + s1 % 8.
 *
 * Time is virtual: the target is linked with -Wl,--wrap=clock_gettime, so loop_now_ms() reads
 * the harness's clock (CLOCK_MONOTONIC only); a timer step moves it forward and runs what is
 * due, so every input replays the same way. Between steps x25lo's writes are read back (unless
 * the TUN is blocked) and checked. At the end the relay is stopped with daemon_stop and the
 * loop must be left without any timer. In a step that made x25lo read at most one frame,
 * every packet it relayed (all but INCOMING CALLs, CLEARs and their confirmations) is on an
 * LCI mapped to an open leg of a connected call. FUZZ_RELAY_TRACE=1 prints each step.
 * Build and run: tests/fuzz/README.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "call.h"
#include "config.h"
#include "daemon.h"
#include "link.h"
#include "log.h"
#include "loop.h"
#include "pcap.h"
#include "relay.h"
#include "stats.h"
#include "tun.h"
#include "x25.h"

#include "../relay_invariants.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);
int __wrap_clock_gettime(clockid_t clk, struct timespec *ts);
int __real_clock_gettime(clockid_t clk, struct timespec *ts);
/* Sanitizer hooks, when the build has them (replay without sanitizers has not). */
void __sanitizer_set_report_fd(void *fd) __attribute__((weak));
void __asan_set_error_report_callback(void (*cb)(const char *)) __attribute__((weak));

#define NSLOTS 5
#define START_MS 1000000u

struct slot_config {
	const char *address;
	uint16_t lci_start, lci_end;
	bool extended;
};

static const struct slot_config slot_defaults[NSLOTS] = {
	{"127001", 4092, 4095, false}, {"127002", 1, 6, false},       {"1270", 4000, 4063, false},
	{"127003", 100, 103, true},    {"127004", 4095, 4095, true},
};
/* What a reload may set for TUNs created afterwards: LCI range and modulo. */
static const struct slot_config reload_presets[8] = {
	{NULL, 4092, 4095, false}, {NULL, 1, 6, false},    {NULL, 4000, 4063, false}, {NULL, 100, 103, true},
	{NULL, 4095, 4095, true},  {NULL, 1, 4095, false}, {NULL, 4094, 4095, true},  {NULL, 1, 1, false},
};
static const char *const create_addresses[8] = {"127001", "127002", "1270", "127003", "127004", "127005", "1", "99"};
/* Valid timeouts (config.c accepts 100-600000 ms). */
static const unsigned timeouts[8] = {100, 101, 999, 1000, 1001, 10000, 30000, 600000};
static const char *const calling_addresses[8] = {"127001", "127002", "1270",  "127003",
						 "127004", "12700",  "",      "123456789012345"};
static const char *const called_addresses[4] = {"127002", "127001", "127003", "1270"};

static struct relay relay; /* large: static */
static struct loop *loop;
static int kernel_fd[NSLOTS] = {-1, -1, -1, -1, -1};
static bool blocked[NSLOTS];
static uint64_t drained_sent[NSLOTS]; /* the TUN's packets_sent when its kernel end was last read */
static unsigned queued[NSLOTS];       /* frames the kernel wrote that x25lo has not read (deferred) */
/* This step made x25lo read at most one frame: what it relayed went to a call that is still up. */
static bool one_frame;
static uint64_t fake_now_ms;
static bool fake_clock;
static int devnull = -1, real_stderr = -1;
static char capture_dir[64], capture_path[96], capture_old[104]; /* bit 7: path and path.1 */
static bool verbose;
/* The /sessions listing in progress (STREAM steps). */
static struct sessions_stream *stream;
static uint64_t tuns_changed; /* TUNs removed or created in this input */
static unsigned renders[4]; /* of each kind in this input */

/* ---- virtual time (-Wl,--wrap=clock_gettime) ---- */

int __wrap_clock_gettime(clockid_t clk, struct timespec *ts)
{
	if (clk == CLOCK_MONOTONIC && fake_clock) {
		ts->tv_sec = (time_t)(fake_now_ms / 1000);
		ts->tv_nsec = (long)(fake_now_ms % 1000) * 1000000L;
		return 0;
	}
	return __real_clock_gettime(clk, ts);
}

/* ---- reporting: x25lo's log goes to /dev/null during an input, reports never ---- */

static void restore_stderr(void)
{
	if (real_stderr >= 0)
		dup2(real_stderr, STDERR_FILENO);
}

static void asan_report(const char *report)
{
	(void)report;
	restore_stderr();
}

#undef CHECK
#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			restore_stderr();                                                          \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	vdprintf(real_stderr, fmt, ap);
	va_end(ap);
}

/* ---- the input ---- */

struct input {
	const uint8_t *p;
	size_t left;
};

static uint8_t next(struct input *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

static unsigned slot_of(unsigned a)
{
	return (a & 7) % NSLOTS;
}

static struct tun *tun_at(unsigned slot)
{
	return relay.tuns[slot];
}

/* ---- the kernel's ends ---- */

static struct tun *add_tun(unsigned slot, const char *address, uint16_t lci_start, uint16_t lci_end, bool extended,
			   bool ready)
{
	struct tun *t = tun_new(&relay, "tunlb", slot, address, lci_start, lci_end, extended);
	int sv[2];

	CHECK(t != NULL);
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
	t->fd = sv[0];
	kernel_fd[slot] = sv[1];
	blocked[slot] = false;
	drained_sent[slot] = 0;
	queued[slot] = 0;
	t->admin_up = true;
	relay.tuns[slot] = t;
	if (slot >= relay.ntuns)
		relay.ntuns = slot + 1;
	if (ready)
		t->link = LINK_READY;
	else
		link_start(t); /* as tun_add: CONNECT, then the kernel's RESTART REQUEST makes it ready */
	return t;
}

/* Every frame x25lo wrote into a TUN: tun_pi, a known pseudo-header, a packet that makes sense. */
static void check_written_frame(const struct tun *t, const uint8_t *f, size_t n)
{
	CHECK(n >= TUN_FRAME_HEADER);
	CHECK(f[0] == 0 && f[1] == 0 && f[2] == (ETH_P_X25_PROTO >> 8) && f[3] == (ETH_P_X25_PROTO & 0xFF));
	if (f[4] == X25_IFACE_CONNECT || f[4] == X25_IFACE_DISCONNECT) {
		CHECK(n == TUN_FRAME_HEADER);
		return;
	}
	CHECK(f[4] == X25_IFACE_DATA);
	CHECK(n >= TUN_FRAME_HEADER + 3);
	f += TUN_FRAME_HEADER;
	n -= TUN_FRAME_HEADER;
	if ((((f[0] & 0x0F) << 8) | f[1]) == 0) {
		/* x25lo's only packet on LCI 0 is the RESTART CONFIRMATION. */
		CHECK(n == 3 && f[2] == 0xFF);
		return;
	}
	/* An INCOMING CALL is always injected inside the TUN's range. */
	if (f[2] == X25_CALL_REQUEST) {
		unsigned lci = ((f[0] & 0x0F) << 8) | f[1];

		CHECK(lci >= t->lci_start && lci <= t->lci_end);
		return;
	}
	/*
	 * Besides INCOMING CALLs x25lo writes only CLEARs and their confirmations of its own: any
	 * other packet is one it relayed, onto an open leg of a connected call (still so at the end
	 * of a step that read one frame: nothing else happened in it).
	 */
	if (one_frame && f[2] != X25_CLEAR_REQUEST && f[2] != X25_CLEAR_CONFIRMATION) {
		const struct leg *leg = t->legs[((f[0] & 0x0F) << 8) | f[1]];

		CHECK(leg && leg->state == LEG_OPEN && leg->call->state == CALL_CONNECTED);
	}
}

/* Read everything queued toward the kernel of slot (x25lo's frames and a block's filler). */
static void drain(unsigned slot)
{
	static uint8_t frame[TUN_FRAME_HEADER + 65535 + 64];
	struct tun *t = tun_at(slot);
	ssize_t n;

	while ((n = read(kernel_fd[slot], frame, sizeof(frame))) >= 0) {
		if (blocked[slot] && n > 0 && frame[0] == 'F')
			continue; /* a block's filler (x25lo's frames start with tun_pi's zero flags) */
		check_written_frame(t, frame, (size_t)n);
	}
	CHECK(errno == EAGAIN);
	drained_sent[slot] = t->port.counters.packets_sent;
}

/* Make x25lo's writes into slot fail (EAGAIN): fill the socketpair, large frames first. */
static void block(unsigned slot)
{
	static uint8_t big[16384];
	uint8_t filler = 'F';
	int fd = tun_at(slot)->fd;

	memset(big, 'F', sizeof(big));
	blocked[slot] = true;
	while (write(fd, big, sizeof(big)) > 0)
		;
	while (write(fd, &filler, 1) == 1)
		;
	CHECK(errno == EAGAIN);
}

static void unblock(unsigned slot)
{
	drain(slot);
	blocked[slot] = false;
}

/* x25lo reads what the kernel of slot queued (64 frames at most, READ_BUDGET). */
static void x25lo_reads(unsigned slot)
{
	if (queued[slot] > 1)
		one_frame = false;
	relay_tun_readable(tun_at(slot), 0);
	queued[slot] = queued[slot] > 64 ? queued[slot] - 64 : 0;
}

/* The kernel of slot writes a frame; unless deferred, x25lo reads what is queued. */
static void kernel_writes(unsigned slot, const uint8_t *frame, size_t len, bool defer)
{
	ssize_t n = write(kernel_fd[slot], frame, len);

	/* Only a full ring toward x25lo (many deferred frames) refuses; the kernel would drop it. */
	CHECK(n == (ssize_t)len || (n < 0 && (errno == EAGAIN || errno == EMSGSIZE)));
	if (n >= 0)
		queued[slot]++;
	if (!defer)
		x25lo_reads(slot);
}

/* ---- building packets ---- */

static uint16_t pick_lci(struct input *in, const struct tun *t)
{
	uint8_t s0 = next(in), s1 = next(in);
	unsigned n, seen = 0;

	switch (s0 >> 6) {
	case 0:
		return (uint16_t)(((s0 & 0x0F) << 8) | s1);
	case 1:
		n = t->legs_mapped ? s1 % t->legs_mapped : 0;
		for (unsigned lci = 1; t->legs_mapped && lci < X25_LCI_COUNT; lci++)
			if (t->legs[lci] && seen++ == n)
				return (uint16_t)lci;
		return s1;
	case 2:
		return (uint16_t)(t->lci_start + s1 % ((unsigned)(t->lci_end - t->lci_start) + 1));
	default:
		return (uint16_t)(1 + s1 % 8);
	}
}

/* tun_pi, DATA pseudo-header and the 3-byte packet header; returns the length so far. */
static size_t frame_start(uint8_t *f, bool extended, bool other_modulo, uint16_t lci, uint8_t type)
{
	bool mod128 = extended != other_modulo;

	f[0] = 0;
	f[1] = 0;
	f[2] = ETH_P_X25_PROTO >> 8;
	f[3] = ETH_P_X25_PROTO & 0xFF;
	f[4] = X25_IFACE_DATA;
	f[5] = (uint8_t)((mod128 ? X25_GFI_MODULO128 : X25_GFI_MODULO8) | ((lci >> 8) & 0x0F));
	f[6] = (uint8_t)(lci & 0xFF);
	f[7] = type;
	return TUN_FRAME_HEADER + 3;
}

/* Semi-octets of called then calling address after the lengths byte (X.25 §5.2.2.1). */
static size_t put_addresses(uint8_t *p, const char *called, const char *calling)
{
	size_t lc = strlen(called), lg = strlen(calling), n = 1;
	char digits[32];

	p[0] = (uint8_t)((lg << 4) | lc);
	snprintf(digits, sizeof(digits), "%s%s", called, calling);
	for (size_t i = 0; i < lc + lg; i += 2)
		p[n++] = (uint8_t)(((digits[i] - '0') << 4) | (i + 1 < lc + lg ? digits[i + 1] - '0' : 0));
	return n;
}

static void op_call(struct input *in, unsigned slot, bool defer)
{
	static const uint8_t common[] = {0x42, 0x07, 0x07, 0x43, 0x02, 0x02};
	static const uint8_t all[] = {0x42, 0x0A, 0x0A, 0x43, 0x7F, 0x7F, 0x01, 0x01, 0x02, 0xAA, 0xC3, 0x02, 0x01, 0x02};
	struct tun *t = tun_at(slot);
	uint16_t lci = pick_lci(in, t);
	uint8_t shape = next(in), f[TUN_FRAME_HEADER + 128];
	size_t n = frame_start(f, t->port.extended, shape & 0x80, lci, 0x0B);

	n += put_addresses(f + n, called_addresses[(shape >> 3) & 3], calling_addresses[shape & 7]);
	switch ((shape >> 5) & 3) {
	case 0: f[n++] = 0; break;
	case 1: f[n++] = sizeof(common); memcpy(f + n, common, sizeof(common)); n += sizeof(common); break;
	case 2: f[n++] = sizeof(all); memcpy(f + n, all, sizeof(all)); n += sizeof(all); break;
	default:
		if (shape & 1) { /* a facility field longer than the packet: a malformed call */
			f[n++] = 12;
			f[n++] = 0x42;
		} else { /* a field that fits, with a facility inside longer than it: relayed as it is */
			memcpy(f + n, "\x06\x42\x07\x07\xC3\x09\x01", 7);
			n += 7;
		}
		break;
	}
	if (((shape >> 5) & 3) != 3) { /* call user data: X.29's protocol identifier */
		memcpy(f + n, "\x01\x00\x00\x00", 4);
		n += 4;
	}
	note("  CALL REQUEST on %s LCI %u from %s to %s\n", t->port.name, lci, calling_addresses[shape & 7],
	     called_addresses[(shape >> 3) & 3]);
	kernel_writes(slot, f, n, defer);
}

enum { P_ACCEPTED, P_CLEAR, P_CLEAR_CONF, P_DATA, P_RR, P_RNR, P_REJ, P_INT, P_INT_CONF, P_RESET, P_RESET_CONF,
       P_RESTART, P_RESTART_CONF, P_DIAG, P_CALL, P_ANY };
static const uint8_t packet_types[16] = {0x0F, 0x13, 0x17, 0x00, 0x01, 0x05, 0x09, 0x23,
					 0x27, 0x1B, 0x1F, 0xFB, 0xFF, 0xF1, 0x0B, 0x00};
static const unsigned data_lengths[8] = {0, 1, 2, 16, 128, 255, 1024, 4096};

static void op_packet(struct input *in, unsigned slot, bool defer)
{
	static uint8_t f[TUN_FRAME_HEADER + 8 + 4096];
	struct tun *t = tun_at(slot);
	uint16_t lci = pick_lci(in, t);
	uint8_t sel = next(in), param = next(in), which = sel & 15, variant = sel >> 4;
	bool ext = t->port.extended;
	size_t n;

	/* Link packets on LCI 0, unless the variant says otherwise. */
	if (which == P_RESTART || which == P_RESTART_CONF || which == P_DIAG)
		lci = variant & 4 ? lci : 0;
	n = frame_start(f, ext, which != P_DATA && (variant & 8), lci, which == P_ANY ? param : packet_types[which]);
	switch (which) {
	case P_CLEAR:
	case P_RESET:
	case P_RESTART:
	case P_DIAG:
		/* Cause (and diagnostic): absent, cause only, both, both and more. */
		if (variant & 3)
			f[n++] = param;
		if ((variant & 3) >= 2)
			f[n++] = (uint8_t)(param ^ 0x5A);
		if ((variant & 3) == 3)
			memcpy(f + n, "\x00\x00\x01", 3), n += 3;
		break;
	case P_DATA:
		/* P(S), M and P(R) from param; Q bit from the variant. */
		f[7] = ext ? (uint8_t)((param & 0x7F) << 1) : (uint8_t)(param & 0xFE);
		if (variant & 8)
			f[5] |= X25_GFI_Q;
		if (ext)
			f[n++] = (uint8_t)(param ^ 0x33);
		memset(f + n, param, data_lengths[variant & 7]);
		n += data_lengths[variant & 7];
		break;
	case P_RR:
	case P_RNR:
	case P_REJ:
		if (ext && !(variant & 1))
			f[n++] = (uint8_t)(param << 1);
		else
			f[7] |= (uint8_t)(param & 0xE0);
		break;
	case P_INT:
		if (!(variant & 1))
			f[n++] = param;
		break;
	case P_CALL:
		/* A CALL REQUEST cut short after a few bytes of its address block. */
		n += put_addresses(f + n, "127002", "127001");
		n -= variant & 7;
		break;
	case P_ANY:
		for (unsigned i = 0; i < (variant & 7); i++)
			f[n++] = (uint8_t)(param + i);
		break;
	default:
		break;
	}
	note("  packet 0x%02X (%u bytes) on %s LCI %u\n", f[7], (unsigned)(n - TUN_FRAME_HEADER), t->port.name, lci);
	kernel_writes(slot, f, n, defer);
}

static void op_long(struct input *in, unsigned slot, bool defer)
{
	static const size_t sizes[4] = {300, 65535, 65535 + 64 + 1, 70000};
	static uint8_t f[TUN_FRAME_HEADER + 70000];
	struct tun *t = tun_at(slot);
	uint16_t lci = pick_lci(in, t);
	size_t len = sizes[next(in) & 3], n = frame_start(f, t->port.extended, false, lci, 0x00);

	memset(f + n, 0xA5, len - 3);
	note("  %zu-byte DATA on %s LCI %u\n", len, t->port.name, lci);
	kernel_writes(slot, f, TUN_FRAME_HEADER + len, defer);
}

static void op_raw(struct input *in, unsigned slot, bool defer)
{
	size_t len = next(in);

	if (len == 255)
		len = (size_t)next(in) << 8 | next(in);
	if (len > in->left)
		len = in->left;
	note("  raw frame of %zu bytes on %s\n", len, tun_at(slot)->port.name);
	kernel_writes(slot, in->p, len, defer);
	in->p += len;
	in->left -= len;
}

/* ---- the other steps ---- */

static void op_timer(unsigned a)
{
	const unsigned steps[8] = {1, 999, 1000, relay.cfg.clear_timeout_ms, relay.cfg.call_timeout_ms, 5000, 60000,
				   600000};

	fake_now_ms += steps[a & 7];
	note("  time +%u ms\n", steps[a & 7]);
	loop_run_timers(loop, fake_now_ms);
}

static void op_link(unsigned slot, uint8_t v)
{
	struct tun *t = tun_at(slot);

	switch (v & 3) {
	case 0: /* interface down: as daemon.c's tun_check_interface; a down TUN refuses writes */
		if (!t->admin_up)
			return;
		t->admin_up = false;
		link_lost(t, "fuzz: interface down");
		t->link = LINK_DOWN;
		if (!blocked[slot])
			block(slot);
		break;
	case 1: /* interface up */
		if (t->admin_up)
			return;
		unblock(slot);
		t->admin_up = true;
		link_start(t);
		break;
	case 2: /* down and up between two notifications */
		if (!t->admin_up)
			return;
		link_lost(t, "fuzz: interface went down and up");
		link_start(t);
		break;
	default:
		link_lost(t, "fuzz");
		break;
	}
}

static void op_remove(unsigned slot)
{
	daemon_remove_tun(&relay, tun_at(slot), "fuzz");
	tuns_changed++;
	CHECK(relay.tuns[slot] == NULL);
	close(kernel_fd[slot]);
	kernel_fd[slot] = -1;
	daemon_after_batch(&relay);
}

static void op_create(uint8_t v)
{
	const char *address = create_addresses[v & 7];
	unsigned slot = 0;

	while (slot < NSLOTS && tun_at(slot))
		slot++;
	if (slot == NSLOTS)
		return;
	/* daemon_apply_config: an address already routed keeps its TUN. */
	for (unsigned i = 0; i < NSLOTS; i++)
		if (tun_at(i) && strcmp(tun_at(i)->address, address) == 0)
			return;
	add_tun(slot, address, (uint16_t)relay.cfg.lci_start, (uint16_t)relay.cfg.lci_end, relay.cfg.extended,
		v & 8);
	tuns_changed++;
}

static void op_reload(unsigned a, uint8_t r)
{
	const struct slot_config *p = &reload_presets[a & 7];

	relay.cfg.call_timeout_ms = timeouts[r & 7];
	relay.cfg.clear_timeout_ms = timeouts[(r >> 3) & 7];
	relay.cfg.lci_start = p->lci_start;
	relay.cfg.lci_end = p->lci_end;
	relay.cfg.extended = p->extended;
	relay.config_generation++;
	note("  reload: call_timeout_ms %u clear_timeout_ms %u, new TUNs %u-%u%s\n", relay.cfg.call_timeout_ms,
	     relay.cfg.clear_timeout_ms, p->lci_start, p->lci_end, p->extended ? " modulo 128" : "");
}

/* /sessions must list each live call once: at most limit of them, the total all of them. */
static void check_sessions(size_t limit)
{
	size_t total = 0, expect = relay_calls_active(&relay);
	char *text = stats_render_sessions_limited(&relay, limit, &total);
	json_error_t err;
	json_t *list;

	CHECK(text != NULL);
	list = json_loads(text, 0, &err);
	if (!list) {
		restore_stderr();
		fprintf(stderr, "/sessions is not JSON (%s at %d): %s\n", err.text, err.position, text);
	}
	CHECK(list && json_is_array(list));
	CHECK(total == expect);
	CHECK(json_array_size(list) == (limit && limit < expect ? limit : expect));
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *call = json_array_get(list, i);

		CHECK(json_is_object(call) && json_is_string(json_object_get(call, "state")) &&
		      json_is_object(json_object_get(call, "caller")) && json_is_object(json_object_get(call, "callee")));
	}
	json_decref(list);
	free(text);
}

static void check_metrics(const char *text)
{
	for (const char *line = text; *line; line = strchr(line, '\n') + 1) {
		const char *end = strchr(line, '\n'), *value;

		CHECK(end != NULL && end > line); /* whole, non-empty lines */
		if (line[0] == '#')
			continue;
		CHECK((line[0] >= 'a' && line[0] <= 'z') || line[0] == '_');
		value = memrchr(line, ' ', (size_t)(end - line));
		CHECK(value && value[1] >= '0' && value[1] <= '9');
	}
}

/* One rendering (a & 3), so that a program pays only for what it looks at. */
static void op_render(unsigned a)
{
	json_error_t err;
	json_t *v;
	char *text;

	static const unsigned most[4] = {1, 1, 2, 1};

	if (renders[a & 3]++ >= most[a & 3])
		return;
	switch (a & 3) {
	case 0:
		text = stats_render_varz(&relay);
		CHECK(text != NULL);
		v = json_loads(text, 0, &err);
		CHECK(v && json_is_object(v));
		json_decref(v);
		free(text);
		break;
	case 1:
		text = stats_render_metrics(&relay);
		CHECK(text != NULL);
		check_metrics(text);
		free(text);
		break;
	case 2:
		check_sessions(a >> 2); /* ?limit=0 (all) to 3 */
		break;
	default:
		stats_log_dump(&relay);
		break;
	}
}

/* ---- /sessions read in slices ---- */

/* The streaming API of stats.h; until a tree has it, STREAM steps do nothing. */
#ifdef STATS_SESSIONS_END
static struct sessions_budget stream_budget;
static char *stream_text;
static size_t stream_len, stream_limit;
static uint64_t stream_fingerprint; /* what changes when calls or TUNs come or go */

static uint64_t fingerprint(void)
{
	/*
	 * No call set up, none gone (the count), no TUN replaced: the same calls. Every call starts
	 * with a CALL REQUEST read; calls_relayed would miss one whose INCOMING CALL could not be
	 * written (it lives on, clearing, without ever being relayed).
	 */
	return relay.counters.packets_handled[PKT_CALL_REQUEST] * 1000003u + relay_calls_active(&relay) * 131u +
	       tuns_changed;
}

static void stream_close(void)
{
	stats_sessions_close(stream);
	stream = NULL;
	free(stream_text);
	stream_text = NULL;
	stream_len = 0;
}

/* The listing is complete: one JSON array, places listed once, all live calls if nothing changed. */
static void stream_finished(void)
{
	size_t n, expect = relay_calls_active(&relay);
	json_error_t err;
	json_t *list;

	list = json_loadb(stream_text, stream_len, 0, &err);
	if (!list) {
		restore_stderr();
		fprintf(stderr, "streamed /sessions is not JSON (%s at %d): %.*s\n", err.text, err.position,
			(int)stream_len, stream_text);
	}
	CHECK(list && json_is_array(list));
	n = json_array_size(list);
	CHECK(n <= stats_sessions_limit(stream_limit));
	for (size_t i = 0; i < n; i++) {
		json_t *callee = json_object_get(json_array_get(list, i), "callee");
		const char *tun = json_string_value(json_object_get(callee, "tun"));
		json_int_t lci = json_integer_value(json_object_get(callee, "lci"));

		CHECK(tun != NULL);
		for (size_t j = 0; j < i; j++) {
			json_t *other = json_object_get(json_array_get(list, j), "callee");

			CHECK(strcmp(tun, json_string_value(json_object_get(other, "tun"))) != 0 ||
			      lci != json_integer_value(json_object_get(other, "lci")));
		}
	}
	note("  streamed /sessions: %zu calls (%zu live)\n", n, expect);
	if (stream_fingerprint == fingerprint())
		CHECK(n == (stream_limit && stream_limit < expect ? stream_limit : expect));
	json_decref(list);
	stream_close();
}

/* Read up to max bytes; budget NULL: as much as the listing gives. */
static void stream_read(size_t max, struct sessions_budget *budget)
{
	ssize_t n;

	stream_text = realloc(stream_text, stream_len + max + 1);
	CHECK(stream_text != NULL);
	n = stats_sessions_read(stream, stream_text + stream_len, max);
	CHECK(n == STATS_SESSIONS_END || (n >= 0 && (size_t)n <= max));
	if (n == STATS_SESSIONS_END) {
		stream_finished();
		return;
	}
	/* Without a budget a read always gives something until the end. */
	CHECK(n > 0 || (budget && (budget->calls == 0 || budget->slots == 0)));
	stream_len += (size_t)n;
}

static void op_stream(struct input *in, unsigned a)
{
	size_t max;
	uint8_t b;

	switch (a & 3) {
	case 0:
		if (stream)
			return;
		stream_limit = next(in) & 3;
		stream = stats_sessions_open(&relay, stream_limit, &stream_budget);
		CHECK(stream != NULL);
		stream_fingerprint = fingerprint();
		break;
	case 1:
		if (!stream)
			return;
		max = (size_t)1 + next(in);
		b = next(in);
		stream_budget = b == 255 ? (struct sessions_budget){.calls = ~0u, .slots = ~0u}
					 : (struct sessions_budget){.calls = b & 3u, .slots = 4u * (b >> 2)};
		stream_read(max, &stream_budget);
		break;
	case 2:
		stream_budget = (struct sessions_budget){.calls = ~0u, .slots = ~0u};
		while (stream)
			stream_read(4096, NULL);
		break;
	default:
		if (stream)
			stream_close();
		break;
	}
}
#else
static void stream_close(void)
{
}

static void op_stream(struct input *in, unsigned a)
{
	(void)in;
	(void)a;
}
#endif

/* ---- the capture ---- */

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A pcapng file x25lo wrote (if there is one): block by block. */
static void check_capture(const char *path)
{
	static uint8_t buf[1 << 20];
	unsigned ifaces = 0;
	size_t len, off = 0;
	FILE *f = fopen(path, "rb");

	if (!f)
		return; /* no rotation happened */
	len = fread(buf, 1, sizeof(buf), f);
	CHECK(feof(f));
	fclose(f);
	CHECK(len >= 28 && le32(buf) == 0x0A0D0D0A && le32(buf + 8) == 0x1A2B3C4D);
	while (off < len) {
		uint32_t type, total;

		CHECK(len - off >= 12);
		type = le32(buf + off);
		total = le32(buf + off + 4);
		CHECK(total >= 12 && total % 4 == 0 && total <= len - off && le32(buf + off + total - 4) == total);
		if (type == 1) { /* interface description */
			ifaces++;
		} else if (type == 6) { /* enhanced packet: on an interface described before, caplen inside */
			CHECK(total >= 32 && le32(buf + off + 8) < ifaces);
			CHECK(le32(buf + off + 20) <= le32(buf + off + 24) && le32(buf + off + 20) <= total - 32);
		} else {
			CHECK(type == 0x0A0D0D0A && off == 0);
		}
		off += total;
	}
}

/* ---- one input ---- */

static void start(uint8_t setup)
{
	struct config cfg;

	config_defaults(&cfg);
	cfg.lci_start = 3072;
	cfg.lci_end = 4095;
	fake_now_ms = START_MS;
	memset(renders, 0, sizeof(renders));
	tuns_changed = 0;
	relay_init(&relay, loop, &cfg);
	log_trace_on = setup & 0x20;
	if (setup & 0x80) {
		char err[512];

		relay.pcap = pcap_open(capture_path, 4096, err, sizeof(err));
		if (!relay.pcap)
			fprintf(stderr, "fuzz_relay: %s\n", err);
		CHECK(relay.pcap != NULL);
	}
	for (unsigned i = 0; i < NSLOTS; i++)
		if (!(setup & (1u << i)))
			add_tun(i, slot_defaults[i].address, slot_defaults[i].lci_start, slot_defaults[i].lci_end,
				slot_defaults[i].extended, !(setup & 0x40));
}

static void finish(void)
{
	if (stream)
		stream_close(); /* a client gone mid-listing */
	daemon_stop(&relay);
	for (unsigned i = 0; i < NSLOTS; i++) {
		if (kernel_fd[i] >= 0)
			close(kernel_fd[i]);
		kernel_fd[i] = -1;
	}
	/* Nothing may stay on the loop: every timer was a TUN's, a call's or a leg's. */
	CHECK(loop_next_deadline(loop) == 0);
	if (relay.pcap) {
		pcap_close(relay.pcap);
		relay.pcap = NULL;
		check_capture(capture_path);
		check_capture(capture_old);
		unlink(capture_path);
		unlink(capture_old);
	}
	log_trace_on = false;
}

/* Read back what x25lo wrote since the last look, and check the relay. */
static void after_step(void)
{
	const char *broken;

	daemon_after_batch(&relay);
	for (unsigned i = 0; i < NSLOTS; i++)
		if (tun_at(i) && !blocked[i] && tun_at(i)->port.counters.packets_sent != drained_sent[i])
			drain(i);
	broken = relay_invariants_broken(&relay);
	if (broken) {
		restore_stderr();
		fprintf(stderr, "relay invariant broken: %s\n", broken);
		abort();
	}
	if (verbose) {
		note("  -> calls setup %u connected %u clearing %u, mapped", relay.calls_by_state[CALL_SETUP],
		     relay.calls_by_state[CALL_CONNECTED], relay.calls_by_state[CALL_CLEARING]);
		for (unsigned i = 0; i < NSLOTS; i++)
			if (tun_at(i))
				note(" %s:%u%s", tun_at(i)->port.name, tun_at(i)->legs_mapped,
				     tun_at(i)->link == LINK_READY ? "" : "(not ready)");
		note("\n");
	}
}

static void step(struct input *in)
{
	uint8_t op = next(in);
	unsigned kind = op >> 4, a = op & 15, slot = slot_of(a);
	bool defer = a & 8;

	note("step %u.%u\n", kind, a);
	one_frame = true;
	/* Steps on a slot need its TUN. */
	if (!tun_at(slot) && kind != 3 && kind != 8 && kind != 9 && kind != 10 && kind != 11 && kind != 14)
		return;
	switch (kind) {
	case 0: op_raw(in, slot, defer); break;
	case 1: op_call(in, slot, defer); break;
	case 2:
	case 15: op_packet(in, slot, defer); break;
	case 3: op_timer(a); break;
	case 4: op_link(slot, next(in)); break;
	case 5:
		if (!blocked[slot])
			block(slot);
		break;
	case 6:
		if (tun_at(slot)->admin_up && blocked[slot])
			unblock(slot);
		break;
	case 7: op_remove(slot); break;
	case 8: op_create(next(in)); break;
	case 9: op_reload(a, next(in)); break;
	case 10: op_render(a); break;
	case 11: daemon_begin_shutdown(&relay); break;
	case 12: x25lo_reads(slot); break;
	case 14: op_stream(in, a); break;
	default: op_long(in, slot, defer); break;
	}
}

static void remove_capture_dir(void)
{
	unlink(capture_path);
	unlink(capture_old);
	rmdir(capture_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	loop = loop_new();
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	real_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 10);
	if (!loop || devnull < 0 || real_stderr < 0) {
		perror("fuzz_relay: set-up");
		exit(1);
	}
	/* Sanitizer reports go to the real stderr even while x25lo's log goes to /dev/null. */
	if (__sanitizer_set_report_fd)
		__sanitizer_set_report_fd((void *)(intptr_t)real_stderr);
	if (__asan_set_error_report_callback)
		__asan_set_error_report_callback(asan_report);
	verbose = getenv("FUZZ_RELAY_TRACE") != NULL;
	/* Captures go to a directory of this process's own (tmpfs when there is one). */
	snprintf(capture_dir, sizeof(capture_dir), "%s/fuzz_relay.XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (!mkdtemp(capture_dir)) {
		perror("fuzz_relay: mkdtemp");
		exit(1);
	}
	snprintf(capture_path, sizeof(capture_path), "%s/capture.pcapng", capture_dir);
	snprintf(capture_old, sizeof(capture_old), "%s.1", capture_path);
	atexit(remove_capture_dir);
	/* Without the wrap, timers would run on the real clock and steps would not replay. */
	fake_clock = true;
	fake_now_ms = 4242;
	if (loop_now_ms() != 4242) {
		fprintf(stderr, "fuzz_relay: link with -Wl,--wrap=clock_gettime (virtual time)\n");
		exit(1);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size};

	if (size < 1)
		return 0;
	if (!verbose)
		dup2(devnull, STDERR_FILENO);
	start(next(&in));
	after_step();
	while (in.left > 0) {
		step(&in);
		after_step();
	}
	finish();
	restore_stderr();
	return 0;
}
