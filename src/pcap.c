// SPDX-License-Identifier: GPL-2.0-or-later
/* pcap.c - pcapng capture of TUN frames, framed as Linux LAPD so Wireshark dissects X.25. */
#include "pcap.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "port.h"
#include "x25.h"

/*
 * Why LAPD: Debian's Wireshark (4.0) has no link type that hands a bare X.25 packet to its
 * X.25 dissector (ethertype 0x0805 is not registered, not even for "Decode As"), but its
 * LAPD dissector passes SAPI 16 to X.25. LINKTYPE_LINUX_LAPD carries a Linux cooked header
 * whose packet type gives the direction, and the pcapng interface block names the TUN.
 */
#define LINKTYPE_LINUX_LAPD 177
#define ETH_P_LAPD 0x0030
#define ARPHRD_X25_TYPE 271
#define SLL_HOST 0     /* PACKET_HOST: the host received it (x25lo wrote it into the TUN) */
#define SLL_OUTGOING 4 /* PACKET_OUTGOING: the kernel sent it (x25lo read it) */

#define LAPD_SAPI_X25 16
#define LAPD_UI 0x03
#define LAPD_SABME_P 0x7F /* pseudo-header 0x01 (connect) */
#define LAPD_DISC_P 0x53  /* pseudo-header 0x02 (disconnect) */
#define LAPD_XID_P 0xBF   /* any other pseudo-header, carried with its payload */

#define PCAPNG_SHB 0x0A0D0D0Au
#define PCAPNG_IDB 0x00000001u
#define PCAPNG_EPB 0x00000006u
#define PCAPNG_BYTE_ORDER_MAGIC 0x1A2B3C4Du
#define OPT_END 0
#define OPT_SHB_USERAPPL 4
#define OPT_IF_NAME 2
#define OPT_IF_DESCRIPTION 3
#define OPT_EPB_FLAGS 2
#define EPB_FLAG_INBOUND 1u
#define EPB_FLAG_OUTBOUND 2u

#define EPB_HEADER_LEN 28  /* block type, length, interface, timestamp, captured and original length */
#define EPB_TRAILER_LEN 16 /* epb_flags option, end of options, block length again */
#define SLL_HEADER_LEN 16
#define LAPD_HEADER_LEN 3
#define PCAP_MAX_IFACES 128 /* TUN indexes are below 100 (tunlb0..tunlb99) */
#define PCAP_STDIO_BUFFER (256 * 1024)

struct pcap_iface {
	char name[IFNAMSIZ]; /* "" = no interface block written yet in this file */
	uint32_t id;
};

#define PCAP_FILE_MODE 0640 /* captures hold everyone's call data */
#define PCAP_TEMP_TRIES 16  /* random temporary names to try before giving up */

struct pcap_writer {
	FILE *f;
	char path[PATH_MAX];
	char old_path[PATH_MAX + 2];
	/* The directory is resolved once, at open; every file operation is relative to it. */
	int dir_fd;
	char dir[PATH_MAX];
	char base[NAME_MAX + 1];     /* the file's name in dir */
	char old_base[NAME_MAX + 1]; /* base + ".1" */
	dev_t dev;                   /* the file being written, to tell it from one put at path by others */
	ino_t ino;
	bool owner_set; /* pcap_set_owner: new files go to uid:gid */
	uid_t uid;
	gid_t gid;
	/* The step that failed last and its errno, for the caller's message. */
	char what[2 * PATH_MAX + 64];
	int err;
	size_t max_bytes;
	uint64_t file_bytes;   /* bytes in the current file, headers included */
	uint64_t header_bytes; /* section header + interface blocks: a file this small is never rotated */
	uint32_t next_iface_id;
	struct pcap_iface ifaces[PCAP_MAX_IFACES];
	struct pcap_iface shared_iface; /* for a TUN index beyond the table (should not happen) */
	time_t last_flush_sec;
	uint64_t frames;
	bool failed;
	char *stdio_buf;
};

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static void put_u16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void put_u32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Append one pcapng option (code, length, value padded to 4) at buf+*off. */
static void put_option(uint8_t *buf, size_t *off, uint16_t code, const void *val, size_t len)
{
	put_u16(buf + *off, code);
	put_u16(buf + *off + 2, (uint16_t)len);
	if (len)
		memcpy(buf + *off + 4, val, len);
	memset(buf + *off + 4 + len, 0, pad4(len) - len);
	*off += 4 + pad4(len);
}

/* What to do about an error, for the messages. */
static const char *hint(int err)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
		return "check that the directory exists";
	case EACCES:
	case EPERM:
	case EROFS:
		return "make the directory writable by the user x25lo runs as, or choose another path";
	case ENOSPC:
	case EDQUOT:
		return "free some space on that disk";
	case EISDIR:
		return "give the path of a file (such as /var/tmp/x25.pcapng), not of a directory";
	default:
		return "check the directory and its disk";
	}
}

/* Record which step failed and why; the caller reports it. Returns false. */
static bool step_failed(struct pcap_writer *w, int err, const char *fmt, ...) X25LO_PRINTF(3, 4);
static bool step_failed(struct pcap_writer *w, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->what, sizeof(w->what), fmt, ap);
	va_end(ap);
	w->err = err;
	return false;
}

/* Stop the capture (once) with the failed step's message; the relay goes on. */
static void capture_failed(struct pcap_writer *w)
{
	if (w->failed)
		return;
	w->failed = true;
	log_error("packet capture %s: %s failed: %s; capture stopped (the relay goes on); %s, then restart x25lo "
		  "to capture again",
		  w->path, w->what, strerror(w->err), hint(w->err));
}

/* Stop the capture because doing this (writing, closing) to the current file failed with errno. */
static void capture_failed_errno(struct pcap_writer *w, const char *doing)
{
	step_failed(w, errno, "%s %s", doing, w->path);
	capture_failed(w);
}

/* Append a block to the current file; false with errno set on failure. */
static bool write_block(struct pcap_writer *w, const uint8_t *block, size_t len)
{
	if (fwrite_unlocked(block, 1, len, w->f) != len)
		return false;
	w->file_bytes += len;
	return true;
}

static bool write_section_header(struct pcap_writer *w)
{
	static const char appl[] = "x25lo " X25LO_VERSION;
	uint8_t block[64];
	size_t off = 8;
	uint64_t section_len = UINT64_MAX; /* unknown: the file grows as we go */

	put_u32(block, PCAPNG_SHB);
	put_u32(block + off, PCAPNG_BYTE_ORDER_MAGIC);
	put_u16(block + off + 4, 1);
	put_u16(block + off + 6, 0);
	memcpy(block + off + 8, &section_len, 8);
	off += 16;
	put_option(block, &off, OPT_SHB_USERAPPL, appl, sizeof(appl) - 1);
	put_option(block, &off, OPT_END, NULL, 0);
	put_u32(block + 4, (uint32_t)(off + 4));
	put_u32(block + off, (uint32_t)(off + 4));
	off += 4;
	return write_block(w, block, off);
}

static bool write_interface_block(struct pcap_writer *w, const struct port *port)
{
	uint8_t block[160];
	size_t off = 8;

	put_u32(block, PCAPNG_IDB);
	put_u16(block + off, LINKTYPE_LINUX_LAPD);
	put_u16(block + off + 2, 0);
	put_u32(block + off + 4, 0); /* snaplen: no limit */
	off += 8;
	put_option(block, &off, OPT_IF_NAME, port->capture_name, strnlen(port->capture_name, IFNAMSIZ));
	put_option(block, &off, OPT_IF_DESCRIPTION, port->description,
		   strnlen(port->description, sizeof(port->description)));
	put_option(block, &off, OPT_END, NULL, 0);
	put_u32(block + 4, (uint32_t)(off + 4));
	put_u32(block + off, (uint32_t)(off + 4));
	off += 4;
	if (!write_block(w, block, off))
		return false;
	w->header_bytes += off;
	return true;
}

/* Where the capture goes: its directory (opened once) and its name there, which must be a file name. */
static bool set_location(struct pcap_writer *w, const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;

	if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return step_failed(w, EISDIR, "finding a file name at the end of the path");
	if (strlen(base) + 2 >= sizeof(w->base))
		return step_failed(w, ENAMETOOLONG, "using %s as a file name (with %s.1 next to it)", base, base);
	snprintf(w->base, sizeof(w->base), "%s", base);
	snprintf(w->old_base, sizeof(w->old_base), "%s.1", base);
	if (!slash)
		snprintf(w->dir, sizeof(w->dir), ".");
	else if (slash == path)
		snprintf(w->dir, sizeof(w->dir), "/");
	else
		snprintf(w->dir, sizeof(w->dir), "%.*s", (int)(slash - path), path);
	/* A symlink in the directory part is followed here, once; only the file name must not be one. */
	w->dir_fd = open(w->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (w->dir_fd < 0)
		return step_failed(w, errno, "opening the directory %s", w->dir);
	return true;
}

/* A fresh name for a temporary file next to the capture (hidden, random: O_EXCL decides). */
static void temp_name(const struct pcap_writer *w, char *name, size_t len)
{
	uint64_t r;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
		struct timespec ts;

		/* No entropy yet (early boot): unique enough, and a clash only costs a retry. */
		clock_gettime(CLOCK_MONOTONIC, &ts);
		r = (uint64_t)ts.tv_sec * 1000000007u ^ (uint64_t)ts.tv_nsec ^ (uint64_t)getpid() << 40;
	}
	snprintf(name, len, ".%.200s.%016" PRIx64 ".tmp", w->base, r);
}

/* Remove a temporary file after a failure; the error being reported is the first one. */
static void discard_temp(const struct pcap_writer *w, const char *name)
{
	if (unlinkat(w->dir_fd, name, 0) != 0)
		log_warn("packet capture: cannot remove the temporary file %s/%s: %s; remove it by hand", w->dir, name,
			 strerror(errno));
}

/*
 * Give fd to uid:gid. A file that is theirs already is left alone: x25lo started as that
 * user (its systemd unit) creates files that are, and the unit's system call filter denies
 * chown calls, even those that would change nothing.
 */
static int give_to(int fd, uid_t uid, gid_t gid)
{
	struct stat st;

	if (fstat(fd, &st) == 0 && st.st_uid == uid && st.st_gid == gid)
		return 0;
	return fchown(fd, uid, gid);
}

/*
 * A new file of x25lo's own under a temporary name: O_EXCL|O_NOFOLLOW never opens an existing
 * file or follows a symlink, and the mode is set after creation whatever the umask is.
 */
static int create_temp(struct pcap_writer *w, char *name, size_t len)
{
	int fd = -1, e;

	for (int i = 0; i < PCAP_TEMP_TRIES && fd < 0; i++) {
		temp_name(w, name, len);
		fd = openat(w->dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, PCAP_FILE_MODE);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0)
		return step_failed(w, errno, "creating a file in %s", w->dir), -1;
	if (fchmod(fd, PCAP_FILE_MODE) != 0) {
		e = errno;
		step_failed(w, e, "setting the mode of %s/%s to 0640", w->dir, name);
	} else if (w->owner_set && give_to(fd, w->uid, w->gid) != 0) {
		e = errno;
		step_failed(w, e, "giving %s/%s to uid %u gid %u", w->dir, name, (unsigned)w->uid, (unsigned)w->gid);
	} else {
		return fd;
	}
	close(fd);
	discard_temp(w, name);
	errno = e;
	return -1;
}

/* Close the file being built and remove it (after a failure). */
static void drop_temp(struct pcap_writer *w, const char *name)
{
	fclose(w->f); /* its data is thrown away, so a close error does not matter */
	w->f = NULL;
	discard_temp(w, name);
}

/* A complete new capture (section header written and flushed) under a temporary name. */
static bool start_file(struct pcap_writer *w, char *name, size_t len)
{
	struct stat st;
	int fd = create_temp(w, name, len);

	if (fd < 0)
		return false;
	if (fstat(fd, &st) != 0 || !(w->f = fdopen(fd, "wb"))) {
		step_failed(w, errno, "opening %s/%s", w->dir, name);
		close(fd);
		discard_temp(w, name);
		return false;
	}
	setvbuf(w->f, w->stdio_buf, _IOFBF, PCAP_STDIO_BUFFER);
	w->dev = st.st_dev;
	w->ino = st.st_ino;
	w->file_bytes = 0;
	w->next_iface_id = 0;
	memset(w->ifaces, 0, sizeof(w->ifaces));
	memset(&w->shared_iface, 0, sizeof(w->shared_iface));
	if (!write_section_header(w) || fflush(w->f) != 0) {
		step_failed(w, errno, "writing %s/%s", w->dir, name);
		drop_temp(w, name);
		return false;
	}
	w->header_bytes = w->file_bytes;
	return true;
}

/* Put the new file at path: rename() replaces whatever is there (a symlink too) without following it. */
static bool put_in_place(struct pcap_writer *w, const char *name)
{
	if (renameat(w->dir_fd, name, w->dir_fd, w->base) != 0) {
		step_failed(w, errno, "renaming %s/%s to %s", w->dir, name, w->path);
		drop_temp(w, name);
		return false;
	}
	return true;
}

struct pcap_writer *pcap_open(const char *path, size_t max_bytes, char *err, size_t errlen)
{
	struct pcap_writer *w = calloc(1, sizeof(*w));
	char name[NAME_MAX + 1];

	if (!w || !(w->stdio_buf = malloc(PCAP_STDIO_BUFFER))) {
		snprintf(err, errlen, "packet capture %s: out of memory", path);
		free(w);
		return NULL;
	}
	w->dir_fd = -1;
	if (strlen(path) >= sizeof(w->path)) {
		snprintf(err, errlen, "packet capture path is too long (%zu bytes); use a shorter path", strlen(path));
		pcap_close(w);
		return NULL;
	}
	snprintf(w->path, sizeof(w->path), "%s", path);
	snprintf(w->old_path, sizeof(w->old_path), "%s.1", path);
	w->max_bytes = max_bytes;
	if (!set_location(w, path) || !start_file(w, name, sizeof(name)) || !put_in_place(w, name)) {
		snprintf(err, errlen, "cannot create packet capture %s: %s failed: %s; %s", path, w->what,
			 strerror(w->err), hint(w->err));
		pcap_close(w);
		return NULL;
	}
	w->last_flush_sec = time(NULL);
	return w;
}

/*
 * Make <path>.1 name the full file (dev, ino) atomically: link it to a temporary name, then
 * rename that over <path>.1. If path no longer names that file (moved away or replaced by
 * someone), <path>.1 is left alone: x25lo never keeps a file it did not write.
 */
static bool keep_previous(struct pcap_writer *w, dev_t dev, ino_t ino)
{
	char name[NAME_MAX + 1];
	struct stat st;
	int rc = -1;

	for (int i = 0; i < PCAP_TEMP_TRIES && rc != 0; i++) {
		temp_name(w, name, sizeof(name));
		rc = linkat(w->dir_fd, w->base, w->dir_fd, name, 0); /* no AT_SYMLINK_FOLLOW: a symlink is linked as itself */
		if (rc != 0 && errno != EEXIST)
			break;
	}
	if (rc != 0 && errno == ENOENT) {
		log_warn("packet capture: %s was moved away or removed; %s is left as it was", w->path, w->old_path);
		return true;
	}
	if (rc != 0)
		return step_failed(w, errno, "linking %s to a temporary name (the filesystem must have hard links)",
				   w->path);
	if (fstatat(w->dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		step_failed(w, errno, "checking %s/%s", w->dir, name);
		discard_temp(w, name);
		return false;
	}
	if (st.st_dev != dev || st.st_ino != ino) {
		discard_temp(w, name);
		log_warn("packet capture: %s is no longer the file x25lo wrote (something else was put there); it is "
			 "replaced by the new capture file and %s is left as it was",
			 w->path, w->old_path);
		return true;
	}
	if (renameat(w->dir_fd, name, w->dir_fd, w->old_base) != 0) {
		step_failed(w, errno, "renaming the full capture to %s", w->old_path);
		discard_temp(w, name);
		return false;
	}
	return true;
}

/*
 * The file is full: start a new one, make <path>.1 the full one, then put the new one at
 * path. Each step is one rename, so path always names a complete capture of x25lo's own.
 */
static bool rotate(struct pcap_writer *w)
{
	char name[NAME_MAX + 1];
	dev_t dev = w->dev;
	ino_t ino = w->ino;

	if (fclose(w->f) != 0) {
		w->f = NULL;
		return step_failed(w, errno, "closing %s", w->path);
	}
	w->f = NULL;
	if (!start_file(w, name, sizeof(name)))
		return false;
	if (!keep_previous(w, dev, ino)) {
		drop_temp(w, name);
		return false;
	}
	return put_in_place(w, name);
}

static const struct pcap_iface *iface_for(struct pcap_writer *w, const struct port *port)
{
	struct pcap_iface *iface = port->index < PCAP_MAX_IFACES ? &w->ifaces[port->index] : &w->shared_iface;

	/* A TUN re-created under another name (new prefix) gets a new interface block. */
	if (iface->name[0] && strncmp(iface->name, port->capture_name, sizeof(iface->name)) == 0)
		return iface;
	if (!write_interface_block(w, port))
		return NULL;
	snprintf(iface->name, sizeof(iface->name), "%s", port->capture_name[0] ? port->capture_name : "?");
	iface->id = w->next_iface_id++;
	return iface;
}

void pcap_record(struct pcap_writer *w, const struct port *port, bool to_kernel, uint8_t pseudo_header,
		 const uint8_t *packet, size_t len)
{
	uint8_t head[EPB_HEADER_LEN + SLL_HEADER_LEN + LAPD_HEADER_LEN];
	uint8_t tail[3 + EPB_TRAILER_LEN];
	const struct pcap_iface *iface;
	struct timespec now;
	size_t payload_len = len, prefix_len = 0, captured, pad, tail_len, total;
	uint8_t control;
	uint64_t usec;

	if (!w || w->failed || !w->f)
		return;
	/* The pseudo-header picks the LAPD frame: data becomes UI with the X.25 packet. */
	switch (pseudo_header) {
	case X25_IFACE_DATA: control = LAPD_UI; break;
	case X25_IFACE_CONNECT: control = LAPD_SABME_P; payload_len = 0; break;
	case X25_IFACE_DISCONNECT: control = LAPD_DISC_P; payload_len = 0; break;
	default:
		/* Any other pseudo-header: XID carrying that byte and whatever followed it. */
		control = LAPD_XID_P;
		prefix_len = 1;
		break;
	}
	captured = SLL_HEADER_LEN + LAPD_HEADER_LEN + prefix_len + payload_len;
	pad = pad4(captured) - captured;
	tail_len = pad + EPB_TRAILER_LEN;
	total = EPB_HEADER_LEN + captured + tail_len;

	if (w->max_bytes && w->file_bytes + total > w->max_bytes && w->file_bytes > w->header_bytes && !rotate(w)) {
		capture_failed(w);
		return;
	}
	iface = iface_for(w, port);
	if (!iface) {
		capture_failed_errno(w, "writing");
		return;
	}

	clock_gettime(CLOCK_REALTIME, &now);
	usec = (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u;
	put_u32(head, PCAPNG_EPB);
	put_u32(head + 4, (uint32_t)total);
	put_u32(head + 8, iface->id);
	put_u32(head + 12, (uint32_t)(usec >> 32));
	put_u32(head + 16, (uint32_t)usec);
	put_u32(head + 20, (uint32_t)captured);
	put_u32(head + 24, (uint32_t)captured);

	/* Linux cooked header (big-endian), as a capture on the TUN would show it. */
	uint8_t *sll = head + EPB_HEADER_LEN;
	memset(sll, 0, SLL_HEADER_LEN);
	put_be16(sll, to_kernel ? SLL_HOST : SLL_OUTGOING);
	put_be16(sll + 2, ARPHRD_X25_TYPE);
	put_be16(sll + 14, ETH_P_LAPD);

	/* LAPD: SAPI 16 (X.25), C/R set on the network (x25lo) side, TEI = TUN index. */
	uint8_t *lapd = sll + SLL_HEADER_LEN;
	lapd[0] = (uint8_t)((LAPD_SAPI_X25 << 2) | (to_kernel ? 0x02 : 0x00));
	lapd[1] = (uint8_t)(((port->index & 0x7F) << 1) | 0x01);
	lapd[2] = control;

	memset(tail, 0, pad);
	put_u16(tail + pad, OPT_EPB_FLAGS);
	put_u16(tail + pad + 2, 4);
	put_u32(tail + pad + 4, to_kernel ? EPB_FLAG_INBOUND : EPB_FLAG_OUTBOUND);
	put_u32(tail + pad + 8, 0); /* opt_endofopt */
	put_u32(tail + pad + 12, (uint32_t)total);

	if (fwrite_unlocked(head, 1, sizeof(head), w->f) != sizeof(head) ||
	    (prefix_len && fwrite_unlocked(&pseudo_header, 1, prefix_len, w->f) != prefix_len) ||
	    (payload_len && fwrite_unlocked(packet, 1, payload_len, w->f) != payload_len) ||
	    fwrite_unlocked(tail, 1, tail_len, w->f) != tail_len) {
		capture_failed_errno(w, "writing");
		return;
	}
	w->file_bytes += total;
	w->frames++;
	/* Flush at most once a second, so a capture being watched stays current. */
	if (now.tv_sec != w->last_flush_sec) {
		w->last_flush_sec = now.tv_sec;
		pcap_flush(w);
	}
}

void pcap_flush(struct pcap_writer *w)
{
	if (w && w->f && !w->failed && fflush(w->f) != 0)
		capture_failed_errno(w, "writing");
}

uint64_t pcap_frames_recorded(const struct pcap_writer *w)
{
	return w ? w->frames : 0;
}

void pcap_close(struct pcap_writer *w)
{
	if (!w)
		return;
	if (w->f) {
		if (fclose(w->f) != 0)
			capture_failed_errno(w, "closing");
		w->f = NULL;
	}
	if (w->dir_fd >= 0)
		close(w->dir_fd);
	free(w->stdio_buf);
	free(w);
}

/* Rotation creates files as the user x25lo then runs as: warn now if the directory's mode plainly denies it. */
static void warn_if_directory_not_writable(const struct pcap_writer *w)
{
	struct stat st;

	/* Advisory only: without a cap there is no rotation, root may write anywhere, and a failed fstat says nothing. */
	if (!w->max_bytes || w->uid == 0 || fstat(w->dir_fd, &st) != 0)
		return;
	if ((st.st_uid == w->uid && (st.st_mode & S_IWUSR)) || (st.st_gid == w->gid && (st.st_mode & S_IWGRP)) ||
	    (st.st_mode & S_IWOTH))
		return;
	log_warn("packet capture: the directory %s does not look writable by uid %u gid %u, the user x25lo will run "
		 "as, so the capture will stop when %s reaches pcap_max_bytes (%zu); make the directory writable by "
		 "that user (chown or chmod) or capture into another directory",
		 w->dir, (unsigned)w->uid, (unsigned)w->gid, w->path, w->max_bytes);
}

void pcap_set_owner(struct pcap_writer *w, uid_t uid, gid_t gid)
{
	if (!w || w->failed || !w->f)
		return;
	w->owner_set = true;
	w->uid = uid;
	w->gid = gid;
	if (give_to(fileno(w->f), uid, gid) != 0) {
		step_failed(w, errno, "giving %s to uid %u gid %u", w->path, (unsigned)uid, (unsigned)gid);
		capture_failed(w);
		return;
	}
	warn_if_directory_not_writable(w);
}
