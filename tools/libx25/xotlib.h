// SPDX-License-Identifier: GPL-2.0-or-later
/* xotlib.h - XOT (RFC 1613: X.25 packets over TCP) in user space, for test tools and tests.
 *
 * Two layers, the first usable without the second:
 *
 *   xotlib.c     the wire: XOT framing (a 4-byte header, version 0 and the packet length,
 *                before each X.25 packet), building and decoding X.25 packets (CALL REQUEST
 *                and CALL ACCEPTED with BCD addresses and facilities, DATA, RR, RNR, CLEAR,
 *                RESET, ...) in both modulos, sequence-number arithmetic, and TCP helpers
 *                (endpoint syntax, resolving, listening, connecting without blocking).
 *   xotlib_vc.c  one virtual circuit as a DTE plays it over one TCP connection: place or
 *                answer a call, send and receive whole records (M-bit fragmentation and
 *                reassembly, P(S)/P(R), the window, RR/RNR), clear.
 *
 * Every name starts with xotlib_ (XOTLIB_), apart from x25lo's own XOT code in src/, so that
 * a test can link both.
 *
 * Packet layouts are docs/linux-x25.md §2; "Linux" below means what the 6.1 kernel does
 * (that document). Nothing here knows about x25stress. Functions print nothing: failures
 * come back as return values, errno, or a reason string, so every program reports them in
 * its own words. RFC 1613 rules that shape the code: one TCP connection per virtual circuit;
 * the LCN has no significance (it is sent as given and ignored on receipt); the CALL
 * REQUEST always carries the packet-size and window-size facilities; RESTART, DIAGNOSTIC,
 * REGISTRATION and DTE REJECT packets are never sent and are discarded when received.
 */
#ifndef X25_XOTLIB_H
#define X25_XOTLIB_H

#include <netdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#define XOTLIB_PORT           "1998"     /* RFC 1613 §5: the IANA port */
#define XOTLIB_HEADER_LEN     4          /* version (2 bytes, 0), length (2 bytes), big-endian */
#define XOTLIB_PACKET_MIN     3          /* GFI/LCGN, LCN, packet type */
#define XOTLIB_PACKET_MAX     (4096 + 4) /* the largest data field and a modulo-128 header */
#define XOTLIB_ADDRESS_DIGITS 15         /* X.121 digits per address */
#define XOTLIB_CUD_MAX        128        /* call user data with fast select; Linux's limit too */
#define XOTLIB_RECORD_MAX     65535      /* the longest record a Linux socket can send */

/* GFI modulo bits (byte 0, 0x30): 0x10 modulo 8, 0x20 modulo 128 */
#define XOTLIB_GFI_MOD8   0x10
#define XOTLIB_GFI_MOD128 0x20

/* X.25 defaults, which apply when a call does not carry the facility (X.25 §7.2.2). */
#define XOTLIB_DEFAULT_PACKET_LOG2 7 /* 128 bytes */
#define XOTLIB_DEFAULT_WINDOW      2

/* Causes and diagnostics (X.25 Annex E) that the helpers put in their CLEARs. */
#define XOTLIB_CAUSE_DTE_ORIGINATED             0x00
#define XOTLIB_DIAG_NONE                        0
#define XOTLIB_DIAG_INVALID_PS                  1
#define XOTLIB_DIAG_INVALID_PR                  2
#define XOTLIB_DIAG_TYPE_INVALID_P2             21 /* type invalid in p2 (DTE waiting) */
#define XOTLIB_DIAG_TYPE_INVALID_D1             27 /* type invalid in d1 (flow control) */
#define XOTLIB_DIAG_PACKET_TOO_SHORT            38
#define XOTLIB_DIAG_PACKET_TOO_LONG             39
#define XOTLIB_DIAG_INVALID_GFI                 40
#define XOTLIB_DIAG_UNAUTHORIZED_INTERRUPT_CONF 43
#define XOTLIB_DIAG_TIMER_EXPIRED               48
#define XOTLIB_DIAG_INVALID_FACILITY_PARAMETER  66
#define XOTLIB_DIAG_INVALID_CALLED_ADDRESS      67
#define XOTLIB_DIAG_INVALID_FACILITY_LENGTH     69

/* ------------------------------------------------------------------------------------- */
/* Framing (xotlib.c)                                                                        */
/* ------------------------------------------------------------------------------------- */

/* The header for an X.25 packet of len bytes (XOTLIB_PACKET_MIN..XOTLIB_PACKET_MAX). */
void xotlib_header_put(uint8_t header[XOTLIB_HEADER_LEN], size_t len);

/*
 * Check a received header: 0 with *len set, or -1 when the version is not 0 or the length is
 * not a legal X.25 packet length (RFC 1613 §4.1: the connection must then be closed); the
 * reason goes to error (NUL-terminated) when error_len > 0.
 */
int xotlib_header_get(const uint8_t header[XOTLIB_HEADER_LEN], size_t *len, char *error,
		      size_t error_len);

/* Bytes read from a stream and not yet returned as packets; a packet may arrive in pieces.
 * 64 KiB: allocate it rather than putting it on a stack. */
#define XOTLIB_READ_BUFFER 65536
struct xotlib_reader {
	size_t start, end; /* unread bytes are buf[start..end) */
	bool broken;       /* a bad header was seen: nothing more will be returned */
	char error[96];    /* why, when broken */
	uint8_t buf[XOTLIB_READ_BUFFER];
};

void xotlib_reader_init(struct xotlib_reader *r);

/*
 * The next whole packet already buffered: 1 with *packet (pointing into the reader, valid
 * until the next xotlib_reader_fill or xotlib_reader_feed) and *len; 0 if more bytes are needed;
 * -1 on a bad header (r->error says what; every later call returns -1 too).
 */
int xotlib_reader_next(struct xotlib_reader *r, const uint8_t **packet, size_t *len);

/* One read() from fd into the buffer: the byte count, 0 at end of stream, -1 with errno. */
ssize_t xotlib_reader_fill(struct xotlib_reader *r, int fd);

/* Append bytes as if read (tests, or bytes from elsewhere). Returns how many fitted. */
size_t xotlib_reader_feed(struct xotlib_reader *r, const uint8_t *data, size_t len);

/* What a wait for a packet, or a virtual-circuit operation, came to. */
enum xotlib_result {
	XOTLIB_OK = 0,
	XOTLIB_TIMEOUT,  /* nothing (or not enough) arrived in time */
	XOTLIB_WOKEN,    /* the wake descriptor became readable: the caller asked to stop */
	XOTLIB_CLOSED,   /* the peer closed the TCP connection (end of stream) */
	XOTLIB_IO_ERROR, /* a socket call failed: errno (or vc->error_errno) says why */
	XOTLIB_FRAMING,  /* a bad XOT header: the connection must be closed */
	XOTLIB_CLEARED,  /* the peer cleared the call (cause and diagnostic kept) */
	XOTLIB_RESET,    /* the peer reset the call (cause and diagnostic kept) */
	XOTLIB_PROTOCOL, /* the peer broke X.25 (bad P(S), a packet out of place): clear */
};

/* "timeout", "cleared by the peer", ...: for messages. */
const char *xotlib_result_text(enum xotlib_result result);

/*
 * Wait up to timeout_ms (-1: no limit) for one whole packet on fd, reading into r.
 * wake_fd (or -1) ends the wait early when readable (XOTLIB_WOKEN). XOTLIB_OK with *packet and
 * *len as xotlib_reader_next gives them; XOTLIB_FRAMING with r->error; XOTLIB_IO_ERROR with errno.
 */
enum xotlib_result xotlib_recv_packet(int fd, struct xotlib_reader *r, int timeout_ms, int wake_fd,
				      const uint8_t **packet, size_t *len);

/* Send one packet with its XOT header, whole (MSG_NOSIGNAL). 0, or -1 with errno. */
int xotlib_send_packet(int fd, const uint8_t *packet, size_t len);

/* ------------------------------------------------------------------------------------- */
/* Packets (xotlib.c)                                                                        */
/* ------------------------------------------------------------------------------------- */

enum xotlib_type {
	XOTLIB_CALL_REQUEST,
	XOTLIB_CALL_ACCEPTED,
	XOTLIB_CLEAR_REQUEST,
	XOTLIB_CLEAR_CONFIRMATION,
	XOTLIB_DATA,
	XOTLIB_RR,
	XOTLIB_RNR,
	XOTLIB_REJ, /* DTE REJECT: never sent over XOT, discarded on receipt */
	XOTLIB_INTERRUPT,
	XOTLIB_INTERRUPT_CONFIRMATION,
	XOTLIB_RESET_REQUEST,
	XOTLIB_RESET_CONFIRMATION,
	XOTLIB_RESTART_REQUEST,
	XOTLIB_RESTART_CONFIRMATION,
	XOTLIB_DIAGNOSTIC,
	XOTLIB_REGISTRATION_REQUEST,
	XOTLIB_REGISTRATION_CONFIRMATION,
	XOTLIB_ILLEGAL, /* no packet type fits (Linux: ILLEGAL, 0xFD) */
};

/* "CALL REQUEST", "DATA", ...: for messages. */
const char *xotlib_type_name(enum xotlib_type type);

/* The packets RFC 1613 §6.4 keeps off XOT; a receiver discards them silently. */
static inline bool xotlib_type_local_only(enum xotlib_type type)
{
	return type == XOTLIB_RESTART_REQUEST || type == XOTLIB_RESTART_CONFIRMATION ||
	       type == XOTLIB_DIAGNOSTIC || type == XOTLIB_REGISTRATION_REQUEST ||
	       type == XOTLIB_REGISTRATION_CONFIRMATION || type == XOTLIB_REJ;
}

/* One decoded packet; pointers point into the caller's bytes. */
struct xotlib_packet {
	enum xotlib_type type;
	uint8_t gfi_modulo; /* byte 0 & 0x30: XOTLIB_GFI_MOD8, XOTLIB_GFI_MOD128, ... */
	uint16_t lci;       /* 12 bits; no significance over XOT */
	bool q, d;          /* GFI bits; meaningful on DATA only */
	bool m;             /* DATA: more data follows in the next packet */
	unsigned ps, pr;    /* DATA: P(S) and P(R); RR, RNR, REJ: P(R) */
	const uint8_t *data; /* DATA payload, INTERRUPT user data */
	size_t data_len;
	bool has_cause, has_diag; /* CLEAR, RESET: the bytes after the type, if present */
	uint8_t cause, diag;
};

/*
 * Classify len bytes (at least 3) with the call's modulo (8 or 128), which decides the
 * DATA/RR/RNR/REJ layouts as in Linux's x25_decode (docs/linux-x25.md §2.2): returns 0, or
 * -1 when the packet is shorter than its type needs (a CLEAR or RESET without its cause
 * byte, a modulo-128 DATA/RR/RNR/REJ under 4 bytes; < 3 bytes always).
 */
int xotlib_decode(const uint8_t *packet, size_t len, int modulo, struct xotlib_packet *out);

/* Packet size (0x42) and window size (0x43), in the packets' byte order. */
struct xotlib_facilities {
	bool has_packet, has_window;
	/*
	 * Byte 1 and byte 2 of each facility. X.25 makes byte 1 the direction from the called
	 * DTE and byte 2 the direction from the calling DTE; Linux names them _in and _out
	 * (struct x25_facilities) whichever end it is, and so does this struct.
	 */
	uint8_t packet_in, packet_out; /* log2 of the size in bytes: 4 (16) .. 12 (4096) */
	uint8_t window_in, window_out; /* 1..7 on modulo 8, 1..127 on modulo 128 */
};

/* A CALL REQUEST or CALL ACCEPTED: what a caller asks for or what a callee got. */
struct xotlib_call {
	int modulo; /* 8 or 128, from the GFI */
	uint16_t lci;
	char called[XOTLIB_ADDRESS_DIGITS + 1]; /* digits, NUL-terminated; "" when absent */
	char calling[XOTLIB_ADDRESS_DIGITS + 1];
	struct xotlib_facilities fac;
	uint8_t cud[XOTLIB_CUD_MAX]; /* call user data */
	size_t cud_len;
};

/* The packet size in bytes for a log2 code (4..12), 0 for anything else. */
static inline size_t xotlib_packet_bytes(uint8_t log2)
{
	return log2 >= 4 && log2 <= 12 ? (size_t)1 << log2 : 0;
}

/*
 * Facility field: the length byte, then 0x42 and 0x43 (when present) in Linux's order.
 * out needs 7 bytes. Returns the bytes written (1 when neither is present).
 */
size_t xotlib_build_facilities(uint8_t *out, const struct xotlib_facilities *fac);

/*
 * Parse len facility bytes (after the length byte) as Linux does (docs/linux-x25.md §2.4):
 * class A/B/C/D elements, 0x42 and 0x43 kept, every other code skipped. 0, or -1 with *why
 * when an element runs past the field. Values are not range-checked here.
 */
int xotlib_parse_facilities(const uint8_t *field, size_t len, struct xotlib_facilities *fac,
			    const char **why);

/*
 * CALL REQUEST: GFI (modulo), LCI, 0x0B, the BCD address block (called, then calling),
 * the facility field, the CUD. Returns the length, or 0 when an address is not 0..15 digits,
 * the CUD is over 128 bytes, the modulo is not 8 or 128, or cap is too small.
 */
size_t xotlib_build_call_request(uint8_t *out, size_t cap, const struct xotlib_call *call);

/*
 * CALL ACCEPTED: GFI, LCI, 0x0F, the address block (length byte 00 when both addresses are
 * empty, as Linux sends it), the facility field. No CUD. Returns the length, or 0 as above.
 */
size_t xotlib_build_call_accepted(uint8_t *out, size_t cap, const struct xotlib_call *call);

/*
 * Parse a CALL REQUEST (address block and facility field required) or a CALL ACCEPTED
 * (everything after the type optional) into *call: 0, or -1 with *why and *diag (the
 * Annex E diagnostic to clear with) when malformed: truncated, a non-BCD digit, a bad GFI
 * modulo, facilities that do not parse, a CUD over 128 bytes.
 */
int xotlib_parse_call(const uint8_t *packet, size_t len, struct xotlib_call *call, const char **why,
		      uint8_t *diag);

/*
 * Builders of the fixed-layout packets. out needs 5 bytes (4 + the payload for DATA);
 * each returns the length. P(S) and P(R) are taken modulo the modulo.
 */
size_t xotlib_build_data_header(uint8_t *out, int modulo, uint16_t lci, bool q, unsigned ps,
				unsigned pr, bool m); /* 3 (modulo 8) or 4 */
size_t xotlib_build_rr(uint8_t *out, int modulo, uint16_t lci, unsigned pr);
size_t xotlib_build_rnr(uint8_t *out, int modulo, uint16_t lci, unsigned pr);
size_t xotlib_build_clear(uint8_t *out, int modulo, uint16_t lci, uint8_t cause, uint8_t diag);
size_t xotlib_build_clear_confirmation(uint8_t *out, int modulo, uint16_t lci);
size_t xotlib_build_reset(uint8_t *out, int modulo, uint16_t lci, uint8_t cause, uint8_t diag);
size_t xotlib_build_reset_confirmation(uint8_t *out, int modulo, uint16_t lci);
size_t xotlib_build_interrupt_confirmation(uint8_t *out, int modulo, uint16_t lci);

/* --- sequence numbers, modulo 8 or 128 --- */

static inline unsigned xotlib_seq_add(unsigned n, unsigned k, int modulo)
{
	return (n + k) % (unsigned)modulo;
}

/* (a - b) modulo: how far a is ahead of b. */
static inline unsigned xotlib_seq_diff(unsigned a, unsigned b, int modulo)
{
	return (a + (unsigned)modulo - b % (unsigned)modulo) % (unsigned)modulo;
}

/* A P(R) is valid when it lies in [V(A), V(S)], modulo (Linux's x25_validate_nr). */
static inline bool xotlib_seq_pr_valid(unsigned pr, unsigned va, unsigned vs, int modulo)
{
	return pr < (unsigned)modulo &&
	       xotlib_seq_diff(pr, va, modulo) <= xotlib_seq_diff(vs, va, modulo);
}

/* ------------------------------------------------------------------------------------- */
/* TCP (xotlib.c)                                                                            */
/* ------------------------------------------------------------------------------------- */

/*
 * Split an endpoint: "host:port", "[v6addr]:port", "host", "[v6addr]", a bare IPv6
 * address (two colons or more, no port), and, when port_alone is true (a listener's
 * "[ADDR:]PORT"), "port" alone (all digits) with host "". The port defaults to 1998.
 * Returns 0, or -1 with a reason in error.
 */
int xotlib_parse_endpoint(const char *text, bool port_alone, char *host, size_t host_len,
			  char *port, size_t port_len, char *error, size_t error_len);

/*
 * getaddrinfo for TCP: passive for a listener (host "" = every address). Returns the list
 * (freeaddrinfo it), or NULL with the reason in error.
 */
struct addrinfo *xotlib_resolve(const char *host, const char *port, bool passive, char *error,
				size_t error_len);

/* "127.0.0.1:1998" or "[::1]:1998" for a socket address. */
void xotlib_format_address(const struct sockaddr *sa, socklen_t len, char *out, size_t out_len);

/*
 * A listening TCP socket (close-on-exec, SO_REUSEADDR) on the first address of host:port
 * that works; port "0" lets the kernel pick one. The address really bound goes to bound
 * (as xotlib_format_address writes it). Returns the socket, or -1 with the reason in error.
 */
int xotlib_listen(const char *host, const char *port, int backlog, char *bound, size_t bound_len,
		  char *error, size_t error_len);

/* TCP_NODELAY: XOT packets are small and each one is a step of the protocol. */
int xotlib_set_nodelay(int fd);

/*
 * Connect without blocking, as x25_connect_start does for AF_X25: 0 when connected at once
 * (the socket is blocking again), EINPROGRESS (poll for POLLOUT, then xotlib_connect_finish),
 * or the errno of the failure.
 */
int xotlib_connect_start(int fd, const struct sockaddr *sa, socklen_t len);

/* After POLLOUT: 0 when connected (the socket is blocking again), else why it failed. */
int xotlib_connect_finish(int fd);

/* ------------------------------------------------------------------------------------- */
/* A virtual circuit (xotlib_vc.c)                                                           */
/* ------------------------------------------------------------------------------------- */

enum xotlib_vc_state {
	XOTLIB_VC_READY,    /* no call yet */
	XOTLIB_VC_CALLING,  /* CALL REQUEST sent */
	XOTLIB_VC_DATA,     /* call up */
	XOTLIB_VC_CLEARING, /* CLEAR REQUEST sent */
	XOTLIB_VC_CLEARED,  /* done: cleared by either side */
};

/*
 * One virtual circuit, the DTE's side, on a connected stream socket it does not own
 * (xotlib_vc_free does not close it). Not thread-safe: one thread per circuit.
 *
 * Flow control (docs/linux-x25.md §4.2-4.4, as a Linux DTE does it): DATA goes out while
 * fewer than the send window are unacknowledged and the peer has not sent RNR; every DATA
 * carries P(R) = V(R); a received DATA must have P(S) = V(R) and a P(R) in [V(A), V(S)];
 * RR is sent once the receive window is full, or ack_delay_ms after the first
 * unacknowledged packet when nothing has carried the acknowledgement by then (Linux's T2).
 * Records that complete while the program is not reading are queued; past max_record
 * queued bytes the acknowledgements are held back, so the peer's window stops it.
 */
struct xotlib_vc {
	int fd;
	enum xotlib_vc_state state;
	int modulo;                      /* 8 or 128 */
	uint16_t lci;                    /* put in every packet sent */
	bool calling;                    /* this end placed the call */
	struct xotlib_facilities fac;    /* agreed, byte 1/byte 2 as in the CALL ACCEPTED */
	size_t send_packet, recv_packet; /* bytes per DATA packet, each way */
	unsigned send_window, recv_window;

	/* settings: xotlib_vc_init's defaults, change before the call */
	int ack_delay_ms;  /* 100 */
	size_t max_record; /* XOTLIB_RECORD_MAX */
	int wake_fd;       /* -1; readable: every wait but xotlib_vc_clear's ends, XOTLIB_WOKEN */

	/* after a result other than XOTLIB_OK */
	/* XOTLIB_CLEARED, XOTLIB_RESET: the peer's; XOTLIB_PROTOCOL: ours to clear with */
	uint8_t cause, diag;
	int error_errno; /* XOTLIB_IO_ERROR */
	char why[160];   /* what happened, for a message */

	/* counts, for tests and statistics */
	unsigned long data_sent, data_received, rr_sent, rr_received, rnr_received;
	unsigned long interrupts_confirmed, discarded;

	/* internals */
	unsigned vs, va, vr, vl; /* V(S), V(A), V(R), and the V(R) last sent to the peer */
	bool peer_busy;
	uint64_t ack_owed_since; /* CLOCK_MONOTONIC ns; 0 when nothing is owed */
	struct xotlib_reader *reader;
	uint8_t *out; /* framed packets not yet written */
	size_t out_len, out_cap;
	uint8_t *rx; /* records: [4-byte length][Q byte][bytes], last one may be partial */
	size_t rx_len, rx_cap;
	size_t rx_queued;     /* bytes of complete records held (the back-pressure figure) */
	bool rx_partial;      /* the last record is still being reassembled */
	size_t rx_partial_at; /* where its 5-byte prefix is */
};

/* Set up vc on fd (connected TCP). 0, or -1 with errno ENOMEM. */
int xotlib_vc_init(struct xotlib_vc *vc, int fd);
void xotlib_vc_free(struct xotlib_vc *vc);

/*
 * Results common to the operations below. XOTLIB_PROTOCOL: the peer broke X.25; vc->diag is
 * the diagnostic to clear with and vc->why says what happened; nothing has been sent about
 * it, so clear the call (xotlib_vc_clear) or close the connection. XOTLIB_CLEARED: the peer
 * cleared (cause and diagnostic in vc->cause/diag) and has been sent CLEAR CONFIRMATION.
 * XOTLIB_RESET: the peer reset the call (its cause and diagnostic kept); nothing has been
 * answered: clear. XOTLIB_TIMEOUT, XOTLIB_CLOSED, XOTLIB_IO_ERROR, XOTLIB_FRAMING,
 * XOTLIB_WOKEN: vc->why says what.
 */

/*
 * Place a call: send call as the CALL REQUEST (modulo 8 or 128; the packet-size and
 * window-size facilities are always included, the X.25 defaults for those not set) and wait
 * up to timeout_ms (-1: no limit) for the answer. XOTLIB_OK: CALL ACCEPTED, whose facilities
 * are adopted (those it leaves out stay as requested) and range-checked (XOTLIB_PROTOCOL when
 * out of range). XOTLIB_CLEARED: refused. XOTLIB_IO_ERROR with EINVAL when call cannot be
 * encoded.
 */
enum xotlib_result xotlib_vc_call(struct xotlib_vc *vc, const struct xotlib_call *call,
				  int timeout_ms);

/*
 * Wait for a CALL REQUEST (other packets before it are discarded, RFC 1613 §6.1) and parse
 * it into *call. XOTLIB_PROTOCOL when it is malformed or asks for facility values out of range.
 */
enum xotlib_result xotlib_vc_wait_call(struct xotlib_vc *vc, struct xotlib_call *call,
				       int timeout_ms);

/*
 * What a Linux listener with facilities own would agree to (docs/linux-x25.md §3.3): each
 * value is the smaller of the caller's and own. A facility the call leaves out (or a 0 in
 * it) counts as the X.25 default (128 bytes, window 2), which the caller then assumes; Linux
 * would keep its own value instead. Windows are capped at 7 on modulo 8. own must have both.
 */
void xotlib_negotiate(const struct xotlib_facilities *theirs, const struct xotlib_facilities *own,
		      int modulo, struct xotlib_facilities *agreed);

/*
 * Answer call (from xotlib_vc_wait_call) with CALL ACCEPTED carrying the facilities
 * xotlib_negotiate gives, explicitly, and an empty address block as Linux sends. The called
 * end sends per byte 1 and receives per byte 2 (X.25; a Linux callee uses byte 2 to send,
 * which only matters when the two differ). XOTLIB_OK or XOTLIB_IO_ERROR.
 */
enum xotlib_result xotlib_vc_accept(struct xotlib_vc *vc, const struct xotlib_call *call,
				    const struct xotlib_facilities *own);

/* Refuse call with CLEAR (cause, diag) and wait up to timeout_ms for its confirmation. */
enum xotlib_result xotlib_vc_refuse(struct xotlib_vc *vc, uint8_t cause, uint8_t diag,
				    int timeout_ms);

/*
 * Send len bytes (0..XOTLIB_RECORD_MAX) as one record: DATA packets of send_packet bytes, M set
 * on all but the last, Q on all if q. Waits while the window is closed or the peer has sent
 * RNR, at most timeout_ms between packets from the peer. XOTLIB_OK once all are written (not
 * acknowledged).
 */
enum xotlib_result xotlib_vc_send_record(struct xotlib_vc *vc, const uint8_t *data, size_t len,
					 bool q, int timeout_ms);

/*
 * The next whole record, copied to buf (cap bytes): *len, and *q, the first packet's Q bit.
 * Waits at most timeout_ms between packets. XOTLIB_PROTOCOL also for a record longer than cap
 * or max_record, a DATA packet over the packet size, or a packet out of place.
 */
enum xotlib_result xotlib_vc_recv_record(struct xotlib_vc *vc, uint8_t *buf, size_t cap,
					 size_t *len, bool *q, int timeout_ms);

/*
 * Clear the call with cause and diag and wait up to timeout_ms for CLEAR CONFIRMATION (a
 * CLEAR from the peer crossing ours counts as one). XOTLIB_OK at once if the call is already
 * cleared. Whatever else arrives meanwhile is discarded.
 */
enum xotlib_result xotlib_vc_clear(struct xotlib_vc *vc, uint8_t cause, uint8_t diag,
				   int timeout_ms);

#endif
