// SPDX-License-Identifier: GPL-2.0-or-later
/* callrec.h - call records: one JSON line per ended or refused call, to a file and to the journal (docs/call-records.md). */
#ifndef X25LO_CALLREC_H
#define X25LO_CALLREC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "call.h"

struct port;
struct relay;
struct x25_packet;

#define CALLREC_VERSION 1
/* The call_records value that sends records to the journal only. */
#define CALLREC_JOURNAL "journal"
/* Records waiting for the next write: about 500 of them. A full queue is written at once. */
#define CALLREC_QUEUE_MAX (256 * 1024)
/* The longest record: every name escaped, an XOT peer's 255-byte DNS name on both legs. */
#define CALLREC_LINE_MAX 4096
/* journalctl MESSAGE_ID=... finds every call record. */
#define CALLREC_MESSAGE_ID "4f949fb79b904ec6a430abed9ff74a9c"

struct callrec;

/*
 * Start call records for relay->cfg.call_records: a file, opened with O_WRONLY|O_APPEND|
 * O_CREAT|O_NOFOLLOW|O_CLOEXEC|O_NONBLOCK (created with mode 0640), or "journal". Records
 * also go to the journal when the target is "journal", or when call_records_journal is set
 * and stderr is the journal (JOURNAL_STREAM). NULL with err when the file cannot be opened.
 */
struct callrec *callrec_open(struct relay *relay, char *err, size_t errlen);

/*
 * Follow relay->cfg after a reload: start, stop or move the records as call_records says;
 * with reopen (SIGHUP, logrotate's postrotate) open the same path again, so records go to
 * the file now at that path. What is queued goes to the old file first. A failure is logged
 * and the records stay where they went (no record is lost to it).
 */
void callrec_sync(struct relay *relay, bool reopen);

/* Give the file to uid:gid if x25lo created it (before switching to that user); warn if it could not reopen it. */
void callrec_set_owner(struct callrec *r, uid_t uid, gid_t gid);

/* A started call was freed (both legs done): queue its record. */
void callrec_call_ended(struct callrec *r, const struct call *call);

/* x25lo refused pkt, a CALL REQUEST read from origin (target: the TUN chosen for it, or NULL). */
void callrec_refused(struct callrec *r, const struct port *origin, const struct x25_packet *pkt,
		     const struct port *target, enum call_end why, uint8_t cause, uint8_t diag);

/* After each loop batch: write what is queued, with one write(2). */
void callrec_flush(struct callrec *r);

/* Write what is queued and close (NULL r is ignored). */
void callrec_close(struct callrec *r);

/* "clear_request", "call_setup_timeout", ...: a reason's name in the records. */
const char *callrec_reason_name(enum call_end why);

/* Tests: copy records to fn instead of sd_journal_sendv (returns 0 or a negative errno); NULL: no copies. */
typedef int (*callrec_journal_fn)(const struct iovec *iov, int n);
void callrec_set_journal_sender(struct callrec *r, callrec_journal_fn fn);

#endif
