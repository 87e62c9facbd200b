// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_pcap.c - pcapng capture: block layout, LAPD framing, rotation, errors, and the file's
 * safety (symlinks, modes, owners, rotation by rename); --tshark decodes a call with tshark.
 */
#include "pcap.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h> /* cmocka.h needs these three first */
#include <cmocka.h>

#include "relay.h"

/* One call as x25lo sees it: tunlb1 (127002) calls 127001 on tunlb0, then clears. */
static const uint8_t link_connect[] = {0x01};
static const uint8_t link_disconnect[] = {0x02};
/* CALL REQUEST, LCI 1, called 127001, calling 127002, packet size 128/128, window 2/2 */
static const uint8_t call_request[] = {0x00, 0x10, 0x01, 0x0B, 0x66, 0x12, 0x70, 0x01, 0x12, 0x70,
				       0x02, 0x06, 0x42, 0x07, 0x07, 0x43, 0x02, 0x02};
static const uint8_t incoming_call[] = {0x00, 0x1F, 0xFF, 0x0B, 0x66, 0x12, 0x70, 0x01, 0x12, 0x70,
					0x02, 0x06, 0x42, 0x07, 0x07, 0x43, 0x02, 0x02};
static const uint8_t call_accepted[] = {0x00, 0x1F, 0xFF, 0x0F};
static const uint8_t call_connected[] = {0x00, 0x10, 0x01, 0x0F};
static const uint8_t data_out[] = {0x00, 0x10, 0x01, 0x00, 'h', 'e', 'l', 'l', 'o'};
static const uint8_t clear_request[] = {0x00, 0x10, 0x01, 0x13, 0x00, 0x00};
static const uint8_t clear_indication[] = {0x00, 0x1F, 0xFF, 0x13, 0x00, 0x00};
static const uint8_t clear_confirmation[] = {0x00, 0x1F, 0xFF, 0x17};

struct fixture {
	char dir[64];
	char path[128];
	char old_path[136];
	struct tun *tun0, *tun1;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_pcap.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/x25.pcapng", f->dir);
	snprintf(f->old_path, sizeof(f->old_path), "%s.1", f->path);
	f->tun0 = tun_new(NULL, "tunlb", 0, "127001", 1, 1, false);
	f->tun1 = tun_new(NULL, "tunlb", 1, "127002", 1, 1, false);
	if (!f->tun0 || !f->tun1)
		return -1;
	*state = f;
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	chmod(f->dir, 0700); /* some tests take write access away */
	nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	tun_free(f->tun0);
	tun_free(f->tun1);
	free(f);
	return 0;
}

/* Record a frame as the relay reads or writes it: pseudo-header, then the packet. */
static void record_frame(struct pcap_writer *w, struct tun *tun, bool to_kernel, const uint8_t *frame, size_t len)
{
	pcap_record(w, &tun->port, to_kernel, frame[0], frame + 1, len - 1);
}

/* Record the whole call, in the order the relay would. */
static void record_call(struct pcap_writer *w, struct fixture *f)
{
	record_frame(w, f->tun0, true, link_connect, sizeof(link_connect));
	record_frame(w, f->tun1, false, call_request, sizeof(call_request));
	record_frame(w, f->tun0, true, incoming_call, sizeof(incoming_call));
	record_frame(w, f->tun0, false, call_accepted, sizeof(call_accepted));
	record_frame(w, f->tun1, true, call_connected, sizeof(call_connected));
	record_frame(w, f->tun1, false, data_out, sizeof(data_out));
	record_frame(w, f->tun1, false, clear_request, sizeof(clear_request));
	record_frame(w, f->tun0, true, clear_indication, sizeof(clear_indication));
	record_frame(w, f->tun0, false, clear_confirmation, sizeof(clear_confirmation));
	record_frame(w, f->tun0, false, link_disconnect, sizeof(link_disconnect));
}

#define SMALL_CAP 600 /* a section header, one interface block and 7 data records */
#define NOBODY 65534  /* uid and gid the tests that drop root switch to */

/* Data frames on tunlb1 carrying 0, 1, 2...: 7 fill a SMALL_CAP file. */
static void record_data(struct pcap_writer *w, struct fixture *f, int count)
{
	uint8_t data[] = {0x00, 0x10, 0x01, 0x00, 0};

	for (int seq = 0; seq < count; seq++) {
		data[4] = (uint8_t)seq;
		record_frame(w, f->tun1, false, data, sizeof(data));
	}
}

/* ---- a minimal pcapng reader ---- */

struct block {
	uint32_t type, len;
	const uint8_t *body; /* after type and length */
};

struct capture {
	uint8_t *data;
	size_t len, off;
};

static void capture_load(struct capture *c, const char *path)
{
	FILE *fp = fopen(path, "rb");
	struct stat st;

	assert_non_null(fp);
	assert_int_equal(fstat(fileno(fp), &st), 0);
	c->len = (size_t)st.st_size;
	c->off = 0;
	c->data = malloc(c->len + 1);
	assert_int_equal(fread(c->data, 1, c->len, fp), c->len);
	fclose(fp);
}

static uint32_t u32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint16_t u16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static bool next_block(struct capture *c, struct block *b)
{
	if (c->off == c->len)
		return false;
	assert_true(c->off + 12 <= c->len);
	b->type = u32(c->data + c->off);
	b->len = u32(c->data + c->off + 4);
	assert_int_equal(b->len % 4, 0);
	assert_true(b->len >= 12 && c->off + b->len <= c->len);
	/* The length is repeated at the end of every block. */
	assert_int_equal(u32(c->data + c->off + b->len - 4), b->len);
	b->body = c->data + c->off + 8;
	c->off += b->len;
	return true;
}

/* The first option with this code in an option list, or NULL. */
static const uint8_t *find_option(const uint8_t *opt, const uint8_t *end, uint16_t code, uint16_t *len)
{
	while (opt + 4 <= end && u16(opt) != 0) {
		uint16_t l = u16(opt + 2);

		if (u16(opt) == code) {
			*len = l;
			return opt + 4;
		}
		opt += 4 + ((l + 3u) & ~3u);
	}
	return NULL;
}

struct record {
	uint32_t iface;
	uint32_t flags;
	const uint8_t *data; /* captured bytes: Linux cooked header, LAPD header, X.25 */
	uint32_t len;
};

static void parse_epb(const struct block *b, struct record *r)
{
	uint16_t olen = 0;
	const uint8_t *flags;

	assert_int_equal(b->type, 6);
	r->iface = u32(b->body);
	r->len = u32(b->body + 12);
	assert_int_equal(u32(b->body + 16), r->len);
	r->data = b->body + 20;
	flags = find_option(r->data + ((r->len + 3u) & ~3u), b->body + b->len - 12, 2, &olen);
	assert_non_null(flags);
	assert_int_equal(olen, 4);
	r->flags = u32(flags);
}

static void check_section_header(struct capture *c)
{
	struct block b;

	assert_true(next_block(c, &b));
	assert_int_equal(b.type, 0x0A0D0D0A);
	assert_int_equal(u32(b.body), 0x1A2B3C4D);
	assert_int_equal(u16(b.body + 4), 1);
}

/* An interface block: LINUX_LAPD, named after the TUN. */
static void check_interface(const struct block *b, const char *name)
{
	uint16_t len = 0;
	const uint8_t *opt;

	assert_int_equal(b->type, 1);
	assert_int_equal(u16(b->body), 177);
	opt = find_option(b->body + 8, b->body + b->len - 12, 2, &len);
	assert_non_null(opt);
	assert_int_equal(len, strlen(name));
	assert_memory_equal(opt, name, len);
}

/* The X.25 packet or link frame as recorded: Linux header, LAPD address and control, then the packet. */
static void check_record(const struct record *r, uint32_t iface, bool to_kernel, unsigned tei, uint8_t control,
			 const uint8_t *frame, size_t len)
{
	size_t payload = control == 0x03 ? len - 1 : 0;

	assert_int_equal(r->iface, iface);
	assert_int_equal(r->flags, to_kernel ? 1 : 2); /* pcapng: inbound to the host / outbound */
	assert_int_equal(r->len, 16 + 3 + payload);
	assert_int_equal(r->data[0] << 8 | r->data[1], to_kernel ? 0 : 4); /* PACKET_HOST / PACKET_OUTGOING */
	assert_int_equal(r->data[2] << 8 | r->data[3], 271);              /* ARPHRD_X25 */
	assert_int_equal(r->data[14] << 8 | r->data[15], 0x0030);         /* ETH_P_LAPD */
	assert_int_equal(r->data[16], (16 << 2) | (to_kernel ? 2 : 0));    /* SAPI 16, C/R from the network */
	assert_int_equal(r->data[17], tei << 1 | 1);
	assert_int_equal(r->data[18], control);
	if (payload)
		assert_memory_equal(r->data + 19, frame + 1, payload);
}

static void capture_of_a_call_has_interfaces_directions_and_frames(void **state)
{
	struct fixture *f = *state;
	char err[256] = "";
	struct pcap_writer *w = pcap_open(f->path, 0, err, sizeof(err));
	struct capture c;
	struct block b;
	struct record r;

	assert_non_null(w);
	record_call(w, f);
	assert_int_equal(pcap_frames_recorded(w), 10);
	pcap_close(w);

	capture_load(&c, f->path);
	check_section_header(&c);
	/* Interface blocks appear when a TUN is first seen: tunlb0 = 0, tunlb1 = 1. */
	assert_true(next_block(&c, &b));
	check_interface(&b, "tunlb0");
	assert_true(next_block(&c, &b));
	parse_epb(&b, &r);
	check_record(&r, 0, true, 0, 0x7F, link_connect, 1); /* connect = SABME */
	assert_true(next_block(&c, &b));
	check_interface(&b, "tunlb1");
	assert_true(next_block(&c, &b));
	parse_epb(&b, &r);
	check_record(&r, 1, false, 1, 0x03, call_request, sizeof(call_request));
	assert_true(next_block(&c, &b));
	parse_epb(&b, &r);
	check_record(&r, 0, true, 0, 0x03, incoming_call, sizeof(incoming_call));
	for (int i = 0; i < 6; i++) {
		assert_true(next_block(&c, &b));
		parse_epb(&b, &r);
	}
	check_record(&r, 0, false, 0, 0x03, clear_confirmation, sizeof(clear_confirmation));
	assert_true(next_block(&c, &b));
	parse_epb(&b, &r);
	check_record(&r, 0, false, 0, 0x53, link_disconnect, 1); /* disconnect = DISC */
	assert_false(next_block(&c, &b));
	free(c.data);
}

/* Count records and check that each file is a complete pcapng on its own; returns the first/last sequence bytes. */
static unsigned check_rotated_file(const char *path, int *first_seq, int *last_seq)
{
	struct capture c;
	struct block b;
	struct record r;
	unsigned n = 0;
	bool iface_seen = false;

	capture_load(&c, path);
	check_section_header(&c);
	while (next_block(&c, &b)) {
		if (b.type == 1) {
			check_interface(&b, "tunlb1");
			iface_seen = true;
			continue;
		}
		assert_true(iface_seen);
		parse_epb(&b, &r);
		if (n == 0)
			*first_seq = r.data[19 + 3];
		*last_seq = r.data[19 + 3];
		n++;
	}
	free(c.data);
	return n;
}

static void full_capture_rotates_to_dot_1_and_stays_under_the_cap(void **state)
{
	struct fixture *f = *state;
	char err[256] = "";
	const size_t cap = SMALL_CAP;
	struct pcap_writer *w = pcap_open(f->path, cap, err, sizeof(err));
	int first_old = -1, last_old = -1, first_new = -1, last_new = -1;
	struct stat st;
	unsigned old_n, new_n;

	assert_non_null(w);
	record_data(w, f, 40);
	pcap_close(w);

	assert_int_equal(stat(f->path, &st), 0);
	assert_true((size_t)st.st_size <= cap);
	assert_int_equal(stat(f->old_path, &st), 0);
	assert_true((size_t)st.st_size <= cap);
	old_n = check_rotated_file(f->old_path, &first_old, &last_old);
	new_n = check_rotated_file(f->path, &first_new, &last_new);
	/* The newest records are kept, in order, with nothing lost between the two files. */
	assert_int_equal(last_new, 39);
	assert_int_equal(last_old + 1, first_new);
	assert_int_equal(last_old - first_old + 1, (int)old_n);
	assert_true(old_n + new_n < 40);
}

static void open_failure_says_what_to_do(void **state)
{
	struct fixture *f = *state;
	char err[1024] = "", path[200];

	snprintf(path, sizeof(path), "%s/missing-dir/x.pcapng", f->dir);
	assert_null(pcap_open(path, 0, err, sizeof(err)));
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "No such file or directory"));
	assert_non_null(strstr(err, "check that the directory exists"));

	/* A directory is not a capture file, with or without the slash. */
	snprintf(path, sizeof(path), "%s/", f->dir);
	assert_null(pcap_open(path, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "not of a directory"));
	assert_int_equal(mkdir(f->path, 0755), 0);
	assert_null(pcap_open(f->path, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "Is a directory"));
	assert_non_null(strstr(err, "not of a directory"));
	assert_int_equal(rmdir(f->path), 0);
}

static void null_writer_is_ignored(void **state)
{
	struct fixture *f = *state;

	record_frame(NULL, f->tun0, true, link_connect, 1);
	pcap_flush(NULL);
	pcap_close(NULL);
	assert_int_equal(pcap_frames_recorded(NULL), 0);
}

/* ---- the capture file's safety: symlinks, modes, owners, rotation by rename ---- */

static void write_text(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

/* The file holds exactly text. */
static bool has_text(const char *path, const char *text)
{
	char buf[256];
	FILE *fp = fopen(path, "r");
	size_t n;

	if (!fp)
		return false;
	n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	return n == strlen(text) && memcmp(buf, text, n) == 0;
}

static ino_t inode_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_ino;
}

/* path is x25lo's own capture: a regular file (not a symlink), mode 0640, owned by uid, a pcapng section. */
static void check_own_capture(const char *path, uid_t uid)
{
	struct stat st;
	struct capture c;

	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(st.st_uid, uid);
	capture_load(&c, path);
	check_section_header(&c);
	free(c.data);
}

/*
 * A local user's trap: a symlink at link_path (the capture path or <path>.1) to a file they
 * want truncated. The capture, rotated when cap is set, replaces the symlink instead.
 */
static void symlink_planted_at(struct fixture *f, const char *link_path, size_t cap)
{
	char err[256] = "", victim[160];
	struct pcap_writer *w;

	snprintf(victim, sizeof(victim), "%s/victim", f->dir);
	write_text(victim, "precious\n", 0644);
	assert_int_equal(symlink(victim, link_path), 0);
	w = pcap_open(f->path, cap, err, sizeof(err));
	assert_non_null(w);
	record_data(w, f, 20);
	pcap_close(w);
	assert_true(has_text(victim, "precious\n"));
	check_own_capture(link_path, geteuid());
}

static void symlink_at_the_path_is_replaced_not_followed(void **state)
{
	symlink_planted_at(*state, ((struct fixture *)*state)->path, 0);
}

static void symlink_at_dot_1_is_replaced_not_followed(void **state)
{
	symlink_planted_at(*state, ((struct fixture *)*state)->old_path, SMALL_CAP);
}

static void dangling_symlink_at_the_path_creates_nothing_behind_it(void **state)
{
	struct fixture *f = *state;
	char err[256] = "", target[160];
	struct pcap_writer *w;

	snprintf(target, sizeof(target), "%s/planted", f->dir);
	assert_int_equal(symlink(target, f->path), 0);
	w = pcap_open(f->path, 0, err, sizeof(err));
	assert_non_null(w);
	pcap_close(w);
	assert_int_equal(access(target, F_OK), -1);
	check_own_capture(f->path, geteuid());
}

static void existing_file_is_replaced_by_a_new_one_of_x25los_own(void **state)
{
	struct fixture *f = *state;
	char err[256] = "", kept[160];
	struct pcap_writer *w;
	ino_t before;

	/* Someone's world-writable file at the path; a second link shows its content afterwards. */
	write_text(f->path, "someone's file\n", 0666);
	if (geteuid() == 0)
		assert_int_equal(chown(f->path, NOBODY, NOBODY), 0);
	snprintf(kept, sizeof(kept), "%s/kept", f->dir);
	assert_int_equal(link(f->path, kept), 0);
	before = inode_of(f->path);
	w = pcap_open(f->path, 0, err, sizeof(err));
	assert_non_null(w);
	record_call(w, f);
	pcap_close(w);
	assert_true(has_text(kept, "someone's file\n"));
	assert_true(inode_of(f->path) != before);
	check_own_capture(f->path, geteuid());
}

static void mode_is_0640_whatever_the_umask(void **state)
{
	struct fixture *f = *state;
	static const mode_t masks[] = {077, 0};
	char err[256] = "";

	for (size_t i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		mode_t old = umask(masks[i]);
		struct pcap_writer *w = pcap_open(f->path, SMALL_CAP, err, sizeof(err));

		record_data(w, f, 20); /* rotated files too */
		pcap_close(w);
		umask(old);
		assert_non_null(w);
		check_own_capture(f->path, geteuid());
		check_own_capture(f->old_path, geteuid());
	}
}

/*
 * The directory's events while a capture starts and rotates: the path and <path>.1 only
 * ever appear by a rename onto them, never vanish, and are never created in place (where a
 * symlink or someone's file could have been put first). No temporary file is left.
 */
static void path_and_dot_1_only_ever_change_by_rename(void **state)
{
	struct fixture *f = *state;
	const char *base = strrchr(f->path, '/') + 1, *old_base = strrchr(f->old_path, '/') + 1;
	union {
		struct inotify_event ev;
		char bytes[65536];
	} buf;
	char err[256] = "";
	unsigned onto_path = 0, onto_old = 0, entries = 0;
	struct pcap_writer *w;
	struct dirent *de;
	DIR *d;
	ssize_t n;
	int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	assert_true(in >= 0);
	assert_true(inotify_add_watch(in, f->dir, IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO) >= 0);
	w = pcap_open(f->path, SMALL_CAP, err, sizeof(err));
	assert_non_null(w);
	record_data(w, f, 40);
	pcap_close(w);
	while ((n = read(in, buf.bytes, sizeof(buf.bytes))) > 0) {
		for (const char *p = buf.bytes; p < buf.bytes + n;) {
			const struct inotify_event *ev = (const void *)p;

			assert_false(ev->mask & IN_Q_OVERFLOW);
			if (ev->len && strcmp(ev->name, base) == 0) {
				assert_int_equal(ev->mask, IN_MOVED_TO);
				onto_path++;
			} else if (ev->len && strcmp(ev->name, old_base) == 0) {
				assert_int_equal(ev->mask, IN_MOVED_TO);
				onto_old++;
			}
			p += sizeof(*ev) + ev->len;
		}
	}
	assert_int_equal(errno, EAGAIN);
	close(in);
	assert_true(onto_old >= 3); /* 40 records, 7 to a file */
	assert_int_equal(onto_path, onto_old + 1);

	d = opendir(f->dir);
	assert_non_null(d);
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (strcmp(de->d_name, base) != 0 && strcmp(de->d_name, old_base) != 0)
			fail_msg("left in the directory: %s", de->d_name);
		entries++;
	}
	closedir(d);
	assert_int_equal(entries, 2);
}

/* Record until path names another file than before (the next rotation put its file there); at most 20. */
static void record_until_rotated(struct pcap_writer *w, struct fixture *f)
{
	struct stat st;
	ino_t before = lstat(f->path, &st) == 0 ? st.st_ino : 0;

	for (int i = 0; i < 20; i++) {
		record_data(w, f, 1);
		if (lstat(f->path, &st) == 0 && st.st_ino != before)
			return;
	}
	fail_msg("%s did not rotate in 20 records", f->path);
}

static void file_put_at_the_path_by_others_is_never_kept_as_dot_1(void **state)
{
	struct fixture *f = *state;
	char err[256] = "", foreign[160], kept[160];
	struct pcap_writer *w = pcap_open(f->path, SMALL_CAP, err, sizeof(err));
	ino_t old;

	assert_non_null(w);
	record_until_rotated(w, f);
	old = inode_of(f->old_path);
	/* Someone with write access to the directory puts their own file at the path. */
	snprintf(foreign, sizeof(foreign), "%s/foreign", f->dir);
	snprintf(kept, sizeof(kept), "%s/kept", f->dir);
	write_text(foreign, "foreign\n", 0666);
	assert_int_equal(link(foreign, kept), 0);
	assert_int_equal(rename(foreign, f->path), 0);
	record_until_rotated(w, f);
	pcap_close(w);
	assert_int_equal(inode_of(f->old_path), old);
	assert_true(has_text(kept, "foreign\n"));
	check_own_capture(f->path, geteuid());
}

static void capture_moved_away_goes_on_in_a_new_file(void **state)
{
	struct fixture *f = *state;
	char err[256] = "", saved[160];
	struct pcap_writer *w = pcap_open(f->path, SMALL_CAP, err, sizeof(err));
	int first = -1, last = -1;

	assert_non_null(w);
	record_data(w, f, 3);
	/* The operator keeps what was captured so far. */
	snprintf(saved, sizeof(saved), "%s/saved.pcapng", f->dir);
	assert_int_equal(rename(f->path, saved), 0);
	record_until_rotated(w, f);
	record_data(w, f, 1);
	pcap_close(w);
	assert_int_equal(check_rotated_file(saved, &first, &last), 7);
	assert_int_equal(access(f->old_path, F_OK), -1);
	check_own_capture(f->path, geteuid());
}

static void directory_reached_through_a_symlink_is_fine(void **state)
{
	struct fixture *f = *state;
	char err[256] = "", real[100], via[100], via_path[140], path[140], old_path[150];
	struct pcap_writer *w;

	/* Only the file name must not be a symlink; the directory part may go through one. */
	snprintf(real, sizeof(real), "%s/real", f->dir);
	snprintf(via, sizeof(via), "%s/via", f->dir);
	assert_int_equal(mkdir(real, 0755), 0);
	assert_int_equal(symlink("real", via), 0);
	snprintf(via_path, sizeof(via_path), "%s/x.pcapng", via);
	snprintf(path, sizeof(path), "%s/x.pcapng", real);
	snprintf(old_path, sizeof(old_path), "%s.1", path);
	w = pcap_open(via_path, SMALL_CAP, err, sizeof(err));
	assert_non_null(w);
	record_data(w, f, 20);
	pcap_close(w);
	check_own_capture(path, geteuid());
	check_own_capture(old_path, geteuid());
}

/* ---- as another user: child processes, which report with their exit status ---- */

#define CHILD_CHECK(cond)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: child check failed: %s\n", __FILE__, __LINE__, #cond); \
			_exit(1);                                                                  \
		}                                                                                  \
	} while (0)

/* Become nobody if root (a non-root test process stays itself). */
static void drop_root(void)
{
	if (geteuid() == 0)
		CHILD_CHECK(setgroups(0, NULL) == 0 && setgid(NOBODY) == 0 && setuid(NOBODY) == 0);
}

/* Run fn in a child whose stderr (x25lo's log) is log_fd; the child must exit 0. */
static void run_child(struct fixture *f, int log_fd, void (*fn)(struct fixture *, int))
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		CHILD_CHECK(dup2(log_fd, STDERR_FILENO) == STDERR_FILENO);
		fn(f, log_fd);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char buf[8192];
		ssize_t n = pread(log_fd, buf, sizeof(buf) - 1, 0);

		buf[n > 0 ? n : 0] = '\0';
		fail_msg("the child failed (status %#x); its stderr:\n%s", status, buf);
	}
}

/* An unlinked temporary file for a child's stderr. */
static int log_file(void)
{
	char name[] = "/tmp/test_pcap_log.XXXXXX";
	int fd = mkstemp(name);

	assert_true(fd >= 0);
	assert_int_equal(unlink(name), 0);
	return fd;
}

/* What the child logged contains text. */
static bool logged(int log_fd, const char *text)
{
	static char buf[8192];
	ssize_t n = pread(log_fd, buf, sizeof(buf) - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	return strstr(buf, text) != NULL;
}

static void open_in_unwritable_directory(struct fixture *f, int log_fd)
{
	char err[512] = "";

	drop_root();
	CHILD_CHECK(pcap_open(f->path, 0, err, sizeof(err)) == NULL);
	fprintf(stderr, "%s\n", err);
	CHILD_CHECK(strstr(err, f->path));
	CHILD_CHECK(strstr(err, "Permission denied"));
	CHILD_CHECK(strstr(err, "make the directory writable by the user x25lo runs as"));
}

static void unwritable_directory_says_what_to_do(void **state)
{
	struct fixture *f = *state;
	int log_fd = log_file();

	assert_int_equal(chmod(f->dir, 0555), 0);
	run_child(f, log_fd, open_in_unwritable_directory);
	close(log_fd);
}

/* As root: the capture, given to nobody as x25lo does before it drops root. */
static struct pcap_writer *open_for_nobody(struct fixture *f)
{
	char err[256] = "";
	struct pcap_writer *w = pcap_open(f->path, SMALL_CAP, err, sizeof(err));

	CHILD_CHECK(w);
	pcap_set_owner(w, NOBODY, NOBODY);
	return w;
}

/* Root opens and gives the capture to nobody, then runs as nobody in a directory nobody owns. */
static void owner_set_then_root_dropped(struct fixture *f, int log_fd)
{
	struct pcap_writer *w = open_for_nobody(f);
	struct stat st;

	CHILD_CHECK(stat(f->path, &st) == 0 && st.st_uid == NOBODY && st.st_gid == NOBODY);
	drop_root();
	record_data(w, f, 40);
	CHILD_CHECK(pcap_frames_recorded(w) == 40);
	pcap_close(w);
	CHILD_CHECK(lstat(f->path, &st) == 0 && st.st_uid == NOBODY && st.st_gid == NOBODY &&
		    (st.st_mode & 07777) == 0640);
	CHILD_CHECK(lstat(f->old_path, &st) == 0 && st.st_uid == NOBODY && (st.st_mode & 07777) == 0640);
	CHILD_CHECK(!logged(log_fd, "Warning") && !logged(log_fd, "Error"));
}

static void owner_is_kept_across_rotations_after_root_is_dropped(void **state)
{
	struct fixture *f = *state;
	int log_fd;

	if (geteuid() != 0)
		skip();
	log_fd = log_file();
	assert_int_equal(chown(f->dir, NOBODY, NOBODY), 0);
	run_child(f, log_fd, owner_set_then_root_dropped);
	close(log_fd);
}

/* As above in a directory only root may write: rotation fails, the capture stops, the file stays whole. */
static void rotation_without_directory_access(struct fixture *f, int log_fd)
{
	struct pcap_writer *w = open_for_nobody(f);
	struct stat st;

	CHILD_CHECK(logged(log_fd, "does not look writable by uid 65534 gid 65534"));
	drop_root();
	record_data(w, f, 20);
	pcap_close(w);
	CHILD_CHECK(logged(log_fd, "capture stopped (the relay goes on); make the directory writable by the user "
				   "x25lo runs as"));
	/* path still names the first file, complete: 7 records of 68 bytes after 124 bytes of headers. */
	CHILD_CHECK(lstat(f->path, &st) == 0 && st.st_size == SMALL_CAP && st.st_uid == NOBODY);
	CHILD_CHECK(access(f->old_path, F_OK) != 0);
}

static void rotation_in_a_directory_the_user_cannot_write_stops_the_capture(void **state)
{
	struct fixture *f = *state;
	struct dirent *de;
	int log_fd, entries = 0;
	DIR *d;

	if (geteuid() != 0)
		skip();
	log_fd = log_file();
	assert_int_equal(chmod(f->dir, 0755), 0);
	run_child(f, log_fd, rotation_without_directory_access);
	close(log_fd);
	d = opendir(f->dir);
	assert_non_null(d);
	while ((de = readdir(d)))
		entries += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(d);
	assert_int_equal(entries, 1); /* the capture; no temporary file */
}

/*
 * `test_pcap --tshark`: tshark must decode the captured call as X.25 with interface,
 * direction, addresses, facilities and clearing cause. Exit 77 (skip) without tshark.
 */
static int run_tshark(void)
{
	static const char expected[] =
		"tunlb0\t0x00000001\t\t\t\t\t\t\t\t\n"
		"tunlb1\t0x00000002\t1\t0x0b\t127001\t127002\t7\t2\t\t\n"
		"tunlb0\t0x00000001\t4095\t0x0b\t127001\t127002\t7\t2\t\t\n"
		"tunlb0\t0x00000002\t4095\t0x0f\t\t\t\t\t\t\n"
		"tunlb1\t0x00000001\t1\t0x0f\t\t\t\t\t\t\n"
		"tunlb1\t0x00000002\t1\t0x00\t\t\t\t\t\t\n"
		"tunlb1\t0x00000002\t1\t0x13\t\t\t\t\t0x00\t0\n"
		"tunlb0\t0x00000001\t4095\t0x13\t\t\t\t\t0x00\t0\n"
		"tunlb0\t0x00000002\t4095\t0x17\t\t\t\t\t\t\n"
		"tunlb0\t0x00000002\t\t\t\t\t\t\t\t\n";
	void *state = NULL;
	struct fixture *f;
	char err[256] = "", cmd[512];
	static char out[1 << 16];
	struct pcap_writer *w;
	size_t n;
	FILE *p;
	int rc = 0;

	if (system("command -v tshark >/dev/null 2>&1") != 0) {
		fprintf(stderr, "tshark not installed (Debian package tshark): skipping\n");
		return 77;
	}
	if (setup(&state) != 0)
		return 1;
	f = state;
	w = pcap_open(f->path, 0, err, sizeof(err));
	if (!w) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	record_call(w, f);
	pcap_close(w);

	snprintf(cmd, sizeof(cmd),
		 "tshark -r %s -T fields -e frame.interface_name -e frame.packet_flags_direction -e x25.lcn "
		 "-e x25.type -e x25.called_address -e x25.calling_address -e x25.facility.packet_size.called_dte "
		 "-e x25.window_size.called_dte -e x25.clear_cause -e x25.diagnostic 2>/dev/null",
		 f->path);
	p = popen(cmd, "r");
	n = p ? fread(out, 1, sizeof(out) - 1, p) : 0;
	out[n] = '\0';
	if (!p || pclose(p) != 0 || strcmp(out, expected) != 0) {
		fprintf(stderr, "tshark fields differ.\nexpected:\n%sgot:\n%s", expected, out);
		rc = 1;
	}

	/* The verbose dissection names the packets and facilities as Wireshark users know them. */
	snprintf(cmd, sizeof(cmd), "tshark -r %s -V 2>/dev/null", f->path);
	p = popen(cmd, "r");
	n = 0;
	while (p && !feof(p) && n < sizeof(out) - 1)
		n += fread(out + n, 1, sizeof(out) - 1 - n, p);
	out[n] = '\0';
	if (p)
		pclose(p);
	static const char *const phrases[] = {
		"Interface name: tunlb1",   "SAPI: X.25 Level 3 procedures (16)",
		"Called address: 127001",   "Calling address: 127002",
		"Facility: Packet size",    "From the called DTE: 128 (7)",
		"Facility: Window size",    "Packet Type: Incoming call/Call request",
	};
	for (size_t i = 0; i < sizeof(phrases) / sizeof(phrases[0]); i++) {
		if (!strstr(out, phrases[i])) {
			fprintf(stderr, "tshark -V lacks \"%s\"\n", phrases[i]);
			rc = 1;
		}
	}
	teardown(&state);
	if (rc == 0)
		printf("tshark decodes the capture as X.25 with TUN, direction, addresses and facilities\n");
	return rc;
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		T(capture_of_a_call_has_interfaces_directions_and_frames),
		T(full_capture_rotates_to_dot_1_and_stays_under_the_cap),
		T(open_failure_says_what_to_do),
		T(null_writer_is_ignored),
		T(symlink_at_the_path_is_replaced_not_followed),
		T(dangling_symlink_at_the_path_creates_nothing_behind_it),
		T(symlink_at_dot_1_is_replaced_not_followed),
		T(existing_file_is_replaced_by_a_new_one_of_x25los_own),
		T(mode_is_0640_whatever_the_umask),
		T(path_and_dot_1_only_ever_change_by_rename),
		T(file_put_at_the_path_by_others_is_never_kept_as_dot_1),
		T(capture_moved_away_goes_on_in_a_new_file),
		T(directory_reached_through_a_symlink_is_fine),
		T(unwritable_directory_says_what_to_do),
		T(owner_is_kept_across_rotations_after_root_is_dropped),
		T(rotation_in_a_directory_the_user_cannot_write_stops_the_capture),
	};

	if (argc > 1 && strcmp(argv[1], "--tshark") == 0)
		return run_tshark();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
