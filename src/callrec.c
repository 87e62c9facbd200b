// SPDX-License-Identifier: GPL-2.0-or-later
/* callrec.c - call records: one JSON line per ended or refused call, to a file and to the journal (docs/call-records.md). */
#include "callrec.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "packet.h"
#include "port.h"
#include "relay.h"
#include "stats.h"
#include "text.h"
#include "xot.h"

#define CALLREC_FILE_MODE 0640  /* records name who called whom: not for everyone */
#define CALLREC_LOG_MS 10000    /* a failing file or journal is logged at most this often */
#define CALLREC_RETRY_MS 200    /* a FIFO whose reader took nothing is tried again this much later */
#define CALLREC_CLOSE_WAIT_MS 500 /* at exit, how long a FIFO's reader gets to take the last records */
#define CALLREC_JOURNAL_FIELDS 24

/* Rate-limited complaints about one destination: what was lost since the last line. */
struct trouble {
	uint64_t log_ms; /* 0 = nothing logged yet */
	uint64_t lost;   /* records lost since the last line */
};

struct callrec {
	struct relay *relay;
	char target[sizeof(((struct config *)0)->call_records)]; /* a path, or CALLREC_JOURNAL */
	int fd;            /* -1: the journal only */
	bool created;      /* x25lo created the file (callrec_set_owner gives it away) */
	bool journal;      /* also to the journal */
	bool journal_forced; /* by a test (callrec_set_journal_sender) */
	bool mid_line;     /* a failed write cut a record short: the next write starts a new line */
	struct timer retry; /* a FIFO's reader was behind: write again */
	callrec_journal_fn journal_send;
	struct trouble file_trouble, journal_trouble;
	size_t len; /* bytes queued */
	char queue[CALLREC_QUEUE_MAX];
};

/* ---- names ---- */

const char *callrec_reason_name(enum call_end why)
{
	switch (why) {
	case CALL_END_NONE: return "unknown";
	case CALL_END_CLEARED: return "clear_request";
	case CALL_END_SETUP_TIMEOUT: return "call_setup_timeout";
	case CALL_END_WRITE_FAILED: return "write_failed";
	case CALL_END_LINK_LOST: return "link_lost";
	case CALL_END_TUN_REMOVED: return "tun_removed";
	case CALL_END_SHUTDOWN: return "shutdown";
	case CALL_END_LCI_REUSED: return "lci_reused";
	case CALL_END_XOT_DNS: return "xot_dns";
	case CALL_END_XOT_REFUSED: return "xot_refused";
	case CALL_END_XOT_UNREACHABLE: return "xot_unreachable";
	case CALL_END_XOT_TIMEOUT: return "xot_timeout";
	case CALL_END_XOT_CLOSED: return "xot_closed";
	case CALL_END_XOT_PROTOCOL: return "xot_protocol";
	case CALL_END_NO_TARGET: return "no_target";
	case CALL_END_NO_LCI: return "no_lci";
	case CALL_END_MODULO: return "modulo";
	case CALL_END_MALFORMED: return "malformed";
	case CALL_END_INJECT_FAILED: return "write_failed";
	case CALL_END_COUNT: break;
	}
	return "unknown";
}

static const char *side_name(uint8_t side)
{
	return side == LEG_CALLER ? "caller" : "callee";
}

/* Reasons of x25lo's that concern one leg: the record names it. */
static bool reason_has_leg(enum call_end why)
{
	return why != CALL_END_NONE && why != CALL_END_CLEARED && why != CALL_END_SETUP_TIMEOUT &&
	       why != CALL_END_SHUTDOWN;
}

/*
 * Protocols named from the start of the call user data: RFC 1090's protocol identifier
 * (PRID) for SMTP on X.25, and the first octets IANA's "X.25 type numbers" list.
 */
static const struct {
	uint8_t prefix[4];
	size_t len;
	const char *name;
} protocols[] = {
	{{0xC0, 0xF7, 0x00, 0x00}, 4, "smtp"}, /* RFC 1090 */
	{{0x01}, 1, "pad"},                    /* X.29 */
	{{0xCC}, 1, "ip"},                     /* RFC 877 */
	{{0xCD}, 1, "iso-ip"},
	{{0xCF}, 1, "ppp"},                    /* RFC 1598 */
};

static const char *protocol_of(const uint8_t *cud, size_t len)
{
	for (size_t i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++)
		if (len >= protocols[i].len && memcmp(cud, protocols[i].prefix, protocols[i].len) == 0)
			return protocols[i].name;
	return NULL;
}

/* ---- one record, flattened from a call or a refused CALL REQUEST ---- */

struct record_leg {
	bool present;           /* false: "callee": null (refused before any target) */
	const struct port *port; /* NULL: the TUN is gone ("tun": null) */
	int lci;                /* -1: none (a refused call's target) */
	bool clear_timed_out;
};

struct record {
	const char *outcome;
	uint64_t start_wall_ms, duration_ms;
	int64_t setup_ms; /* -1: never connected */
	const char *calling, *called;
	const uint8_t *cud;
	size_t cud_kept, cud_len;
	const uint8_t *fac; /* NULL: unknown (a malformed CALL REQUEST) */
	size_t fac_len;
	bool negotiated;
	unsigned packet_size_in, packet_size_out, window_in, window_out;
	struct record_leg caller, callee;
	uint64_t packets[2], bytes[2]; /* [LEG_CALLER]: what the caller sent, [LEG_CALLEE]: the callee */
	const char *cleared_by, *reason, *leg;
	uint8_t cause, diag;
};

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The value in force: the CALL ACCEPTED's, else the CALL REQUEST's, else X.25's default. */
static unsigned in_force(unsigned accepted, unsigned requested, unsigned fallback)
{
	return accepted ? accepted : requested ? requested : fallback;
}

static unsigned packet_bytes(unsigned log2)
{
	return log2 > 0 && log2 < 16 ? 1u << log2 : log2;
}

static void negotiated_sizes(struct record *rec, const struct call *call)
{
	struct x25_facility_summary f = {0};
	size_t len = call->facilities_len < sizeof(call->facilities) ? call->facilities_len : sizeof(call->facilities);

	if (packet_parse_facilities(call->facilities, len, &f) < 0)
		f = (struct x25_facility_summary){0};
	rec->negotiated = true;
	rec->packet_size_in = packet_bytes(in_force(call->accepted[0], (unsigned)f.pacsize_in, 7));
	rec->packet_size_out = packet_bytes(in_force(call->accepted[1], (unsigned)f.pacsize_out, 7));
	rec->window_in = in_force(call->accepted[2], (unsigned)f.winsize_in, 2);
	rec->window_out = in_force(call->accepted[3], (unsigned)f.winsize_out, 2);
}

static void from_call(struct record *rec, const struct call *call, uint64_t now_ms)
{
	enum call_end why = (enum call_end)call->end;
	uint64_t ended = call->ended_ms ? call->ended_ms : now_ms;

	*rec = (struct record){0};
	rec->outcome = why == CALL_END_INJECT_FAILED ? "refused" : call->connected_ms ? "connected" : "not_connected";
	rec->start_wall_ms = wall_ms() - (now_ms - call->started_ms);
	rec->duration_ms = ended > call->started_ms ? ended - call->started_ms : 0;
	rec->setup_ms = call->connected_ms ? (int64_t)(call->connected_ms - call->started_ms) : -1;
	rec->calling = call->calling;
	rec->called = call->called;
	rec->cud = call->cud;
	rec->cud_len = call->cud_len;
	rec->cud_kept = call->cud_len < CALL_CUD_KEPT ? call->cud_len : CALL_CUD_KEPT;
	rec->fac = call->facilities;
	rec->fac_len = call->facilities_len < sizeof(call->facilities) ? call->facilities_len : sizeof(call->facilities);
	if (call->connected_ms)
		negotiated_sizes(rec, call);
	for (int s = LEG_CALLER; s <= LEG_CALLEE; s++) {
		const struct leg *l = &call->leg[s];
		struct record_leg *rl = s == LEG_CALLER ? &rec->caller : &rec->callee;

		*rl = (struct record_leg){.present = true, .port = l->port, .lci = l->lci,
					  .clear_timed_out = l->clear_timed_out};
		rec->packets[s] = l->packets_in;
		rec->bytes[s] = l->bytes_in;
	}
	rec->cleared_by = why == CALL_END_CLEARED ? side_name(call->end_side) : "x25lo";
	rec->reason = callrec_reason_name(why);
	rec->leg = reason_has_leg(why) ? side_name(call->end_side) : NULL;
	rec->cause = call->end_cause;
	rec->diag = call->end_diag;
}

/* ---- rendering ---- */

/* Two digits of v, for the timestamp. */
static void put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
}

/* RFC 3339 in UTC with milliseconds: "2026-05-17T14:20:08.123Z" (24 characters). */
static void rfc3339(char out[25], uint64_t ms)
{
	time_t s = (time_t)(ms / 1000u);
	unsigned milli = (unsigned)(ms % 1000u);
	struct tm tm;

	gmtime_r(&s, &tm);
	put2(out, (unsigned)(tm.tm_year + 1900) / 100);
	put2(out + 2, (unsigned)(tm.tm_year + 1900) % 100);
	memcpy(out + 4, "-mm-ddThh:mm:ss.", 16);
	put2(out + 5, (unsigned)tm.tm_mon + 1);
	put2(out + 8, (unsigned)tm.tm_mday);
	put2(out + 11, (unsigned)tm.tm_hour);
	put2(out + 14, (unsigned)tm.tm_min);
	put2(out + 17, (unsigned)tm.tm_sec);
	out[20] = (char)('0' + milli / 100);
	put2(out + 21, milli % 100);
	out[23] = 'Z';
	out[24] = '\0';
}

/* ", \"name\": " and a number. */
static void number(struct text *t, const char *name, uint64_t v)
{
	text_puts(t, name);
	text_u64(t, v);
}

/* A cause or diagnostic as X.25 people write it: "0x05". */
static void hex_byte(struct text *t, const char *name, uint8_t v)
{
	static const char digits[] = "0123456789abcdef";
	char h[6] = {'"', '0', 'x', digits[v >> 4], digits[v & 0x0F], '"'};

	text_puts(t, name);
	text_add(t, h, sizeof(h));
}

static void render_leg(struct text *t, const struct record_leg *l)
{
	if (!l->present) {
		text_puts(t, "null");
		return;
	}
	stats_leg_port_json(t, l->port);
	if (l->lci >= 0)
		number(t, ", \"lci\": ", (uint64_t)l->lci);
	else
		text_puts(t, ", \"lci\": null");
	if (l->clear_timed_out)
		text_puts(t, ", \"clear_timeout\": true");
	text_puts(t, "}");
}

/* One record, in the order and form docs/call-records.md gives, ending with a newline. */
static void render_json(struct text *t, const struct record *rec)
{
	char start[25];
	const char *protocol = protocol_of(rec->cud, rec->cud_kept);

	rfc3339(start, rec->start_wall_ms);
	number(t, "{\"v\": ", CALLREC_VERSION);
	text_puts(t, ", \"start\": \"");
	text_puts(t, start);
	number(t, "\", \"duration_ms\": ", rec->duration_ms);
	text_puts(t, ", \"outcome\": \"");
	text_puts(t, rec->outcome);
	text_puts(t, "\", \"calling\": ");
	text_json_string(t, rec->calling, 16);
	text_puts(t, ", \"called\": ");
	text_json_string(t, rec->called, 16);
	text_puts(t, ", \"cud\": \"");
	text_hex(t, rec->cud, rec->cud_kept);
	number(t, "\", \"cud_len\": ", rec->cud_len);
	if (protocol) {
		text_puts(t, ", \"protocol\": \"");
		text_puts(t, protocol);
		text_puts(t, "\"");
	}
	text_puts(t, ", \"facilities\": ");
	if (rec->fac)
		stats_facilities_json(t, rec->fac, rec->fac_len);
	else
		text_puts(t, "null");
	if (rec->setup_ms >= 0)
		number(t, ", \"setup_ms\": ", (uint64_t)rec->setup_ms);
	if (rec->negotiated) {
		number(t, ", \"negotiated\": {\"packet_size_in\": ", rec->packet_size_in);
		number(t, ", \"packet_size_out\": ", rec->packet_size_out);
		number(t, ", \"window_in\": ", rec->window_in);
		number(t, ", \"window_out\": ", rec->window_out);
		text_puts(t, "}");
	}
	text_puts(t, ", \"caller\": ");
	render_leg(t, &rec->caller);
	text_puts(t, ", \"callee\": ");
	render_leg(t, &rec->callee);
	number(t, ", \"caller_to_callee\": {\"packets\": ", rec->packets[LEG_CALLER]);
	number(t, ", \"bytes\": ", rec->bytes[LEG_CALLER]);
	number(t, "}, \"callee_to_caller\": {\"packets\": ", rec->packets[LEG_CALLEE]);
	number(t, ", \"bytes\": ", rec->bytes[LEG_CALLEE]);
	text_puts(t, "}, \"cleared_by\": \"");
	text_puts(t, rec->cleared_by);
	text_puts(t, "\", \"reason\": \"");
	text_puts(t, rec->reason);
	text_puts(t, "\"");
	if (rec->leg) {
		text_puts(t, ", \"leg\": \"");
		text_puts(t, rec->leg);
		text_puts(t, "\"");
	}
	hex_byte(t, ", \"cause\": ", rec->cause);
	hex_byte(t, ", \"diag\": ", rec->diag);
	text_puts(t, "}\n");
}

/* ---- the file ---- */

static const char *hint(int err)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
		return "check that the directory exists";
	case EACCES:
	case EPERM:
	case EROFS:
		return "make the file (or its directory) writable by the user x25lo runs as, or choose another path";
	case ELOOP:
		return "the path names a symbolic link, which x25lo does not follow there; give the file's own path";
	case ENXIO:
		return "a FIFO needs its reader running before x25lo opens it";
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
		return "free some space on that disk";
	case EAGAIN:
		return "the FIFO's reader is not keeping up";
	case EISDIR:
		return "give the path of a file (such as /var/log/x25lo/calls.json), not of a directory";
	default:
		return "check the file and its disk";
	}
}

/* Open (or create, mode 0640) path for appending. -1 with err. */
static int open_file(const char *path, bool *created, char *err, size_t errlen)
{
	const int flags = O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
	int fd = open(path, flags | O_CREAT | O_EXCL, CALLREC_FILE_MODE);

	*created = fd >= 0;
	/* O_EXCL also fails on a symlink: the second open's O_NOFOLLOW then refuses it (ELOOP). */
	if (fd < 0 && errno == EEXIST)
		fd = open(path, flags);
	if (fd < 0) {
		int e = errno;

		snprintf(err, errlen, "cannot open the call records file %s: %s; %s", path, strerror(e), hint(e));
		return -1;
	}
	/* Exactly 0640 whatever the umask: the file names who called whom. */
	if (*created && fchmod(fd, CALLREC_FILE_MODE) != 0)
		log_warn("call records: cannot set the mode of %s to 0640: %s", path, strerror(errno));
	return fd;
}

static uint64_t count_lines(const char *p, size_t n)
{
	uint64_t lines = 0;

	for (const char *end = p + n; (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
		lines++;
	return lines;
}

/* Records were lost: count them, and say so at most once per CALLREC_LOG_MS. */
static void lost(struct callrec *r, struct trouble *tr, uint64_t n, uint64_t *counter, int err, const char *what)
{
	uint64_t now = loop_now_ms();

	*counter += n;
	tr->lost += n;
	if (tr->log_ms && now - tr->log_ms < CALLREC_LOG_MS)
		return;
	log_error("call records: %s failed: %s; %" PRIu64 " record%s lost since the last such line (counted in "
		  "/varz call_records); %s",
		  what, strerror(err), tr->lost, tr->lost == 1 ? "" : "s", hint(err));
	tr->log_ms = now;
	tr->lost = 0;
}

/* A destination works again after losing records: say how many went since the last line. */
static void recovered(struct trouble *tr, const char *what)
{
	if (!tr->log_ms)
		return;
	if (tr->lost)
		log_info("call records: %s works again; %" PRIu64 " more record%s lost before it did", what,
			 tr->lost, tr->lost == 1 ? " was" : "s were");
	else
		log_info("call records: %s works again", what);
	*tr = (struct trouble){0};
}

static void retry_expired(void *ctx)
{
	callrec_flush(ctx);
}

/* A write failed for good (ENOSPC, EIO, EFBIG, ...) after off bytes: the rest of the queue is lost. */
static void write_failed(struct callrec *r, size_t off, int err, const char *what)
{
	struct relay_counters *counters = &r->relay->counters;

	/* A record cut short: the next write starts a new line, so the records after it stay whole. */
	if (off > 0 && r->queue[off - 1] != '\n')
		r->mid_line = true;
	counters->call_records_written += count_lines(r->queue, off);
	lost(r, &r->file_trouble, count_lines(r->queue + off, r->len - off), &counters->call_records_dropped, err, what);
	r->len = 0;
}

/*
 * One write(2) of the queue (a partial one is continued). Regular files take everything or
 * fail: a failure loses what is queued (counted, logged). A FIFO may take nothing (EAGAIN):
 * the rest waits for the next batch or a short timer.
 */
static void write_queue(struct callrec *r)
{
	char what[sizeof(r->target) + 16];
	size_t off = 0;

	if (r->fd < 0 || r->len == 0)
		return;
	snprintf(what, sizeof(what), "writing %s", r->target);
	if (r->mid_line) {
		ssize_t n = write(r->fd, "\n", 1);

		if (n == 1)
			r->mid_line = false;
		else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			write_failed(r, 0, n == 0 ? EIO : errno, what);
			return;
		}
	}
	while (off < r->len && !r->mid_line) {
		ssize_t n = write(r->fd, r->queue + off, r->len - off);

		if (n > 0)
			off += (size_t)n;
		else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			write_failed(r, off, n == 0 ? EIO : errno, what);
			return;
		}
		else if (errno == EAGAIN)
			break;
	}
	r->relay->counters.call_records_written += count_lines(r->queue, off);
	memmove(r->queue, r->queue + off, r->len - off);
	r->len -= off;
	if (off > 0)
		recovered(&r->file_trouble, what);
	if (r->len > 0 && !timer_pending(&r->retry))
		timer_set(loop_timers(r->relay->loop), &r->retry, loop_now_ms() + CALLREC_RETRY_MS);
}

static void queue_line(struct callrec *r, const char *line, size_t n)
{
	if (r->fd < 0)
		return;
	/* Full: write now rather than drop (a regular file takes it; a FIFO may not). */
	if (r->len + n > sizeof(r->queue))
		write_queue(r);
	if (r->len + n > sizeof(r->queue)) {
		char what[sizeof(r->target) + 40];

		snprintf(what, sizeof(what), "queueing for %s (the queue is full)", r->target);
		lost(r, &r->file_trouble, 1, &r->relay->counters.call_records_dropped, EAGAIN, what);
		return;
	}
	memcpy(r->queue + r->len, line, n);
	r->len += n;
}

/* ---- the journal ---- */

static int journal_sendv(const struct iovec *iov, int n)
{
	return sd_journal_sendv(iov, n);
}

struct fields {
	struct iovec iov[CALLREC_JOURNAL_FIELDS];
	int n;
	struct text buf;
};

X25LO_PRINTF(2, 3) static void field(struct fields *f, const char *fmt, ...)
{
	size_t start = f->buf.len;
	va_list ap;
	int n;

	if (f->n >= CALLREC_JOURNAL_FIELDS || f->buf.oom)
		return;
	va_start(ap, fmt);
	n = vsnprintf(f->buf.p + start, f->buf.cap - start, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= f->buf.cap - start) {
		f->buf.oom = true;
		return;
	}
	f->buf.len += (size_t)n + 1; /* each field keeps its NUL: iovecs point into buf */
	f->iov[f->n++] = (struct iovec){.iov_base = f->buf.p + start, .iov_len = (size_t)n};
}

static void leg_fields(struct fields *f, const char *side, const struct record_leg *l)
{
	if (!l->present)
		return;
	field(f, "X25_%s_PORT=%s", side, l->port ? l->port->name : "");
	if (l->lci >= 0)
		field(f, "X25_%s_LCI=%d", side, l->lci);
	if (l->port && l->port->kind == PORT_XOT)
		field(f, "X25_%s_XOT_PEER=%s", side, xot_peer_text(l->port));
}

static void send_journal(struct callrec *r, const struct record *rec, const char *line, size_t len)
{
	struct relay_counters *counters = &r->relay->counters;
	char buf[2 * CALLREC_LINE_MAX], cud[2 * CALL_CUD_KEPT + 1];
	struct fields f = {.buf = {.p = buf, .cap = sizeof(buf), .fixed = true}};
	const char *protocol = protocol_of(rec->cud, rec->cud_kept);
	int rc;

	for (size_t i = 0; i < rec->cud_kept; i++)
		snprintf(cud + 2 * i, 3, "%02x", rec->cud[i]);
	cud[2 * rec->cud_kept] = '\0';
	field(&f, "MESSAGE=X.25 call %s -> %s %s after %" PRIu64 " ms, cleared by %s (%s), cause 0x%02x diag 0x%02x",
	      rec->calling, rec->called, rec->outcome, rec->duration_ms, rec->cleared_by, rec->reason, rec->cause,
	      rec->diag);
	field(&f, "MESSAGE_ID=%s", CALLREC_MESSAGE_ID);
	field(&f, "PRIORITY=%d", LOG_PRIORITY_INFO);
	field(&f, "SYSLOG_IDENTIFIER=x25lo");
	field(&f, "X25_OUTCOME=%s", rec->outcome);
	field(&f, "X25_CALLING=%s", rec->calling);
	field(&f, "X25_CALLED=%s", rec->called);
	field(&f, "X25_DURATION_MS=%" PRIu64, rec->duration_ms);
	field(&f, "X25_CLEARED_BY=%s", rec->cleared_by);
	field(&f, "X25_REASON=%s", rec->reason);
	field(&f, "X25_CAUSE=0x%02x", rec->cause);
	field(&f, "X25_DIAG=0x%02x", rec->diag);
	field(&f, "X25_CUD=%s", cud);
	if (protocol)
		field(&f, "X25_PROTOCOL=%s", protocol);
	leg_fields(&f, "CALLER", &rec->caller);
	leg_fields(&f, "CALLEE", &rec->callee);
	field(&f, "X25_BYTES_CALLER_TO_CALLEE=%" PRIu64, rec->bytes[LEG_CALLER]);
	field(&f, "X25_BYTES_CALLEE_TO_CALLER=%" PRIu64, rec->bytes[LEG_CALLEE]);
	/* The whole record, for tools that read the JSON (journalctl --output-fields=X25_CALL_RECORD). */
	field(&f, "X25_CALL_RECORD=%.*s", (int)(len > 0 ? len - 1 : 0), line);
	rc = f.buf.oom ? -ENOBUFS : r->journal_send(f.iov, f.n);
	if (rc < 0) {
		lost(r, &r->journal_trouble, 1, &counters->call_records_journal_failed, -rc, "sending to the journal");
		return;
	}
	counters->call_records_journal++;
	recovered(&r->journal_trouble, "sending to the journal");
}

/* ---- records ---- */

static void record(struct callrec *r, const struct record *rec)
{
	char line[CALLREC_LINE_MAX];
	struct text t = {.p = line, .cap = sizeof(line), .fixed = true};

	render_json(&t, rec);
	if (t.oom) {
		/* Cannot happen with bounded names; counted rather than written cut short. */
		if (r->fd >= 0)
			lost(r, &r->file_trouble, 1, &r->relay->counters.call_records_dropped, ENOBUFS, "formatting a record");
		if (r->journal)
			r->relay->counters.call_records_journal_failed++;
		return;
	}
	queue_line(r, line, t.len);
	if (r->journal)
		send_journal(r, rec, line, t.len);
}

void callrec_call_ended(struct callrec *r, const struct call *call)
{
	struct record rec;

	from_call(&rec, call, loop_now_ms());
	record(r, &rec);
}

void callrec_refused(struct callrec *r, const struct port *origin, const struct x25_packet *pkt,
		     const struct port *target, enum call_end why, uint8_t cause, uint8_t diag)
{
	struct x25_call_fields fields;
	struct record rec = {0};
	const char *problem;
	bool parsed = packet_parse_call(pkt, &fields, &problem) == 0;

	rec.outcome = "refused";
	rec.start_wall_ms = wall_ms();
	rec.setup_ms = -1;
	rec.calling = parsed ? fields.calling : "";
	rec.called = parsed ? fields.called : "";
	if (parsed) {
		rec.cud = pkt->data + fields.cud_off;
		rec.cud_len = fields.cud_len;
		rec.cud_kept = fields.cud_len < CALL_CUD_KEPT ? fields.cud_len : CALL_CUD_KEPT;
		rec.fac = pkt->data + fields.fac_off;
		rec.fac_len = fields.fac_len;
	}
	rec.caller = (struct record_leg){.present = true, .port = origin, .lci = pkt->lci};
	rec.callee = (struct record_leg){.present = target != NULL, .port = target, .lci = -1};
	rec.packets[LEG_CALLER] = 1;
	rec.bytes[LEG_CALLER] = pkt->len;
	rec.cleared_by = "x25lo";
	rec.reason = callrec_reason_name(why);
	rec.cause = cause;
	rec.diag = diag;
	record(r, &rec);
}

void callrec_flush(struct callrec *r)
{
	if (r)
		write_queue(r);
}

/* Whether to copy records to the journal for this target and config. */
static bool wants_journal(const struct config *cfg)
{
	return strcmp(cfg->call_records, CALLREC_JOURNAL) == 0 || (cfg->call_records_journal && log_to_journal());
}

struct callrec *callrec_open(struct relay *relay, char *err, size_t errlen)
{
	const struct config *cfg = &relay->cfg;
	struct callrec *r = calloc(1, sizeof(*r));

	if (!r) {
		snprintf(err, errlen, "call records: out of memory");
		return NULL;
	}
	r->relay = relay;
	r->fd = -1;
	r->journal_send = journal_sendv;
	timer_init(&r->retry, retry_expired, r);
	snprintf(r->target, sizeof(r->target), "%s", cfg->call_records);
	if (strcmp(r->target, CALLREC_JOURNAL) != 0 && (r->fd = open_file(r->target, &r->created, err, errlen)) < 0) {
		free(r);
		return NULL;
	}
	r->journal = wants_journal(cfg);
	return r;
}

void callrec_set_journal_sender(struct callrec *r, callrec_journal_fn fn)
{
	r->journal_send = fn ? fn : journal_sendv;
	r->journal = fn != NULL;
	r->journal_forced = fn != NULL;
}

void callrec_set_owner(struct callrec *r, uid_t uid, gid_t gid)
{
	struct stat st;

	if (!r || r->fd < 0 || fstat(r->fd, &st) != 0)
		return;
	/* Already that user's (x25lo started as it, as under its systemd unit, whose filter refuses chown). */
	if (st.st_uid == uid && st.st_gid == gid)
		return;
	if (r->created) {
		if (fchown(r->fd, uid, gid) != 0)
			log_warn("call records: cannot give %s to uid %u gid %u: %s; x25lo may not reopen it after SIGHUP",
				 r->target, (unsigned)uid, (unsigned)gid, strerror(errno));
		return;
	}
	/* x25lo keeps no capability that bypasses file permissions: the mode bits decide. */
	if (S_ISREG(st.st_mode) && !(st.st_uid == uid && (st.st_mode & S_IWUSR)) &&
	    !(st.st_gid == gid && (st.st_mode & S_IWGRP)) && !(st.st_mode & S_IWOTH))
		log_warn("call records: %s (owner uid %u gid %u, mode %04o) is not writable by uid %u gid %u, which "
			 "x25lo runs as: reopening it (SIGHUP) will fail; chown it, or let logrotate create it for "
			 "that user",
			 r->target, (unsigned)st.st_uid, (unsigned)st.st_gid, (unsigned)(st.st_mode & 07777),
			 (unsigned)uid, (unsigned)gid);
}

/* Give the queue a short time to reach a FIFO whose reader is behind, then count the rest lost. */
static void drain(struct callrec *r)
{
	uint64_t until = loop_now_ms() + CALLREC_CLOSE_WAIT_MS;

	write_queue(r);
	while (r->fd >= 0 && r->len > 0 && loop_now_ms() < until) {
		struct pollfd p = {.fd = r->fd, .events = POLLOUT};

		if (poll(&p, 1, CALLREC_CLOSE_WAIT_MS / 5) < 0 && errno != EINTR)
			break;
		write_queue(r);
	}
	if (r->len > 0) {
		char what[sizeof(r->target) + 16];

		snprintf(what, sizeof(what), "writing %s", r->target);
		r->file_trouble.log_ms = 0; /* said now, whatever was said before */
		lost(r, &r->file_trouble, count_lines(r->queue, r->len), &r->relay->counters.call_records_dropped,
		     EAGAIN, what);
		r->len = 0;
	}
}

void callrec_close(struct callrec *r)
{
	if (!r)
		return;
	drain(r);
	timer_cancel(&r->retry);
	if (r->fd >= 0)
		close(r->fd);
	free(r);
}

void callrec_sync(struct relay *relay, bool reopen)
{
	const struct config *cfg = &relay->cfg;
	struct callrec *r = relay->callrec;
	char err[1024];
	bool created;
	int fd = -1;

	if (!r) {
		if (!cfg->call_records[0])
			return;
		relay->callrec = callrec_open(relay, err, sizeof(err));
		if (relay->callrec)
			log_info("Call records: %s", cfg->call_records);
		else
			log_error("%s; no call records until a reload opens it", err);
		return;
	}
	if (!cfg->call_records[0]) {
		log_info("Call records stopped (%s)", r->target);
		callrec_close(r);
		relay->callrec = NULL;
		return;
	}
	r->journal = r->journal_forced || wants_journal(cfg);
	if (!reopen && strcmp(cfg->call_records, r->target) == 0)
		return;
	/* What is queued belongs to the file opened so far (logrotate has just renamed it). */
	drain(r);
	if (strcmp(cfg->call_records, CALLREC_JOURNAL) != 0 &&
	    (fd = open_file(cfg->call_records, &created, err, sizeof(err))) < 0) {
		log_error("%s; call records go on to %s", err, r->fd >= 0 ? r->target : "the journal only");
		return;
	}
	if (r->fd >= 0)
		close(r->fd);
	if (strcmp(cfg->call_records, r->target) != 0)
		log_info("Call records: %s (were %s)", cfg->call_records, r->target);
	r->fd = fd;
	r->created = fd >= 0 && created;
	r->mid_line = false;
	snprintf(r->target, sizeof(r->target), "%s", cfg->call_records);
}
