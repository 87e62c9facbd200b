/* test_pcap.c - pcapng capture: block layout, LAPD framing, rotation, errors; --tshark decodes a call with tshark. */
#include "pcap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static int teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->path);
	unlink(f->old_path);
	rmdir(f->dir);
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
	const size_t cap = 600;
	struct pcap_writer *w = pcap_open(f->path, cap, err, sizeof(err));
	uint8_t data[] = {0x00, 0x10, 0x01, 0x00, 0};
	int first_old = -1, last_old = -1, first_new = -1, last_new = -1;
	struct stat st;
	unsigned old_n, new_n;

	assert_non_null(w);
	for (int seq = 0; seq < 40; seq++) {
		data[4] = (uint8_t)seq;
		record_frame(w, f->tun1, false, data, sizeof(data));
	}
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
	char err[256] = "", path[200];

	snprintf(path, sizeof(path), "%s/missing-dir/x.pcapng", f->dir);
	assert_null(pcap_open(path, 0, err, sizeof(err)));
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "No such file or directory"));
	assert_non_null(strstr(err, "check that the directory exists"));
}

static void null_writer_is_ignored(void **state)
{
	struct fixture *f = *state;

	record_frame(NULL, f->tun0, true, link_connect, 1);
	pcap_flush(NULL);
	pcap_close(NULL);
	assert_int_equal(pcap_frames_recorded(NULL), 0);
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
	};

	if (argc > 1 && strcmp(argv[1], "--tshark") == 0)
		return run_tshark();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
