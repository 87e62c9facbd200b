/* pcap.c - pcapng capture of TUN frames, framed as Linux LAPD so Wireshark dissects X.25. */
#include "pcap.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

struct pcap_writer {
	FILE *f;
	char path[PATH_MAX];
	char old_path[PATH_MAX + 2];
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

static void capture_failed(struct pcap_writer *w, const char *what)
{
	if (w->failed)
		return;
	w->failed = true;
	log_error("packet capture: %s %s failed: %m; capture stopped (the relay goes on), check the disk "
		  "and restart x25lo to capture again",
		  what, w->path);
}

static bool write_block(struct pcap_writer *w, const uint8_t *block, size_t len)
{
	if (fwrite_unlocked(block, 1, len, w->f) != len) {
		capture_failed(w, "writing");
		return false;
	}
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
	put_option(block, &off, OPT_IF_NAME, port->name, strnlen(port->name, sizeof(port->name)));
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

static bool open_file(struct pcap_writer *w)
{
	int fd = open(w->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);

	if (fd < 0)
		return false;
	w->f = fdopen(fd, "wb");
	if (!w->f) {
		close(fd);
		return false;
	}
	setvbuf(w->f, w->stdio_buf, _IOFBF, PCAP_STDIO_BUFFER);
	w->file_bytes = 0;
	w->next_iface_id = 0;
	memset(w->ifaces, 0, sizeof(w->ifaces));
	memset(&w->shared_iface, 0, sizeof(w->shared_iface));
	if (!write_section_header(w))
		return false;
	w->header_bytes = w->file_bytes;
	return true;
}

struct pcap_writer *pcap_open(const char *path, size_t max_bytes, char *err, size_t errlen)
{
	struct pcap_writer *w = calloc(1, sizeof(*w));

	if (!w || !(w->stdio_buf = malloc(PCAP_STDIO_BUFFER))) {
		snprintf(err, errlen, "packet capture %s: out of memory", path);
		free(w);
		return NULL;
	}
	if (strlen(path) >= sizeof(w->path)) {
		snprintf(err, errlen, "packet capture path is too long (%zu bytes); use a shorter path", strlen(path));
		pcap_close(w);
		return NULL;
	}
	snprintf(w->path, sizeof(w->path), "%s", path);
	snprintf(w->old_path, sizeof(w->old_path), "%s.1", path);
	w->max_bytes = max_bytes;
	if (!open_file(w) || fflush(w->f) != 0) {
		snprintf(err, errlen, "cannot create packet capture %s: %s; check that the directory exists and is writable",
			 path, strerror(errno));
		if (w->f)
			fclose(w->f);
		w->f = NULL;
		pcap_close(w);
		return NULL;
	}
	w->last_flush_sec = time(NULL);
	return w;
}

/* Close the full file, keep it as <path>.1 (replacing the previous one), start a new one. */
static bool rotate(struct pcap_writer *w)
{
	if (fclose(w->f) != 0) {
		w->f = NULL;
		capture_failed(w, "closing");
		return false;
	}
	w->f = NULL;
	if (rename(w->path, w->old_path) != 0) {
		capture_failed(w, "renaming");
		return false;
	}
	if (!open_file(w)) {
		capture_failed(w, "re-creating");
		return false;
	}
	return true;
}

static const struct pcap_iface *iface_for(struct pcap_writer *w, const struct port *port)
{
	struct pcap_iface *iface = port->index < PCAP_MAX_IFACES ? &w->ifaces[port->index] : &w->shared_iface;

	/* A TUN re-created under another name (new prefix) gets a new interface block. */
	if (iface->name[0] && strncmp(iface->name, port->name, sizeof(iface->name)) == 0)
		return iface;
	if (!write_interface_block(w, port))
		return NULL;
	snprintf(iface->name, sizeof(iface->name), "%s", port->name[0] ? port->name : "?");
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

	if (w->max_bytes && w->file_bytes + total > w->max_bytes && w->file_bytes > w->header_bytes && !rotate(w))
		return;
	iface = iface_for(w, port);
	if (!iface)
		return;

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
		capture_failed(w, "writing");
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
		capture_failed(w, "writing");
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
			capture_failed(w, "closing");
		w->f = NULL;
	}
	free(w->stdio_buf);
	free(w);
}
