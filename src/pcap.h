// SPDX-License-Identifier: GPL-2.0-or-later
/* pcap.h - capture every frame x25lo reads from or writes into a TUN, for Wireshark/tshark. */
#ifndef X25LO_PCAP_H
#define X25LO_PCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct pcap_writer;
struct port;

/*
 * Start a pcapng capture at path. Each port becomes one pcapng interface named after it;
 * frames use link type LINUX_LAPD (177), which Wireshark dissects down to X.25 (SAPI 16),
 * with the direction in both the Linux header and the packet flags.
 * The file is always a new one of x25lo's own, mode 0640: created under a temporary name
 * next to path (never following a symlink, never opening an existing file), then renamed
 * over path, replacing whatever was there (a symlink is replaced, not followed). A symlink
 * in the directory part of path is followed once, here.
 * max_bytes caps the file: when the next record would pass it, a new file is started, the
 * full one becomes <path>.1 (replacing the older one) and the new one path, each by one
 * rename, so path always names a complete capture and at most about 2 * max_bytes is ever
 * on disk. 0 = no cap. Returns NULL and fills err on failure.
 */
struct pcap_writer *pcap_open(const char *path, size_t max_bytes, char *err, size_t errlen);

/*
 * Give the capture file to uid:gid, and every file rotation creates from now on. Call it
 * after pcap_open while still root, before switching to that user; rotation then runs as
 * that user, so the directory must be writable by it (a warning says so if its mode plainly
 * is not). A failure is logged and stops the capture, never the relay. NULL w is ignored.
 */
void pcap_set_owner(struct pcap_writer *w, uid_t uid, gid_t gid);

/*
 * Record one frame of port: its pseudo-header and the X.25 packet after it (len 0 for a
 * link CONNECT or DISCONNECT). to_kernel: x25lo wrote it (false: x25lo read it from the
 * kernel). Buffered; a write error is logged once and stops the capture, never the relay.
 */
void pcap_record(struct pcap_writer *w, const struct port *port, bool to_kernel, uint8_t pseudo_header,
		 const uint8_t *packet, size_t len);

/* Push buffered records to the file (records are also flushed at least once a second while traffic flows). */
void pcap_flush(struct pcap_writer *w);
void pcap_close(struct pcap_writer *w);

/* Frames recorded since pcap_open, across rotations (for the SIGUSR1 dump). */
uint64_t pcap_frames_recorded(const struct pcap_writer *w);

#endif
