// SPDX-License-Identifier: GPL-2.0-or-later
/* stats.c - render the relay's counters: /varz (goxot's layout), /metrics (Prometheus), /sessions, SIGUSR1 dump. */
#include "stats.h"

#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "counters.h"
#include "log.h"
#include "pcap.h"
#include "relay.h"
#include "text.h"
#include "xot.h"

/* The SIGUSR1 dump lists at most this many calls, so a full table cannot flood the log. */
#define DUMP_MAX_CALLS 1000

/* A Prometheus label value: escape backslash, double quote and newline. */
static void text_label_value(struct text *t, const char *s, size_t max)
{
	for (size_t i = 0; i < max && s[i]; i++) {
		if (s[i] == '\\' || s[i] == '"')
			text_add(t, "\\", 1);
		if (s[i] == '\n')
			text_add(t, "\\n", 2);
		else
			text_add(t, &s[i], 1);
	}
}

/* ---- names used by every renderer ---- */

static const char *stats_link_state_name(int link_state)
{
	switch ((enum link_state)link_state) {
	case LINK_DOWN: return "down";
	case LINK_STARTING: return "starting";
	case LINK_READY: return "ready";
	}
	return "unknown";
}

static const char *stats_call_state_name(int call_state)
{
	switch ((enum call_state)call_state) {
	case CALL_FREE: return "free";
	case CALL_SETUP: return "setup";
	case CALL_CONNECTED: return "connected";
	case CALL_CLEARING: return "clearing";
	case CALL_STATE_COUNT: break;
	}
	return "unknown";
}

static const char *stats_leg_state_name(int leg_state)
{
	switch ((enum leg_state)leg_state) {
	case LEG_IDLE: return "idle";
	case LEG_OPEN: return "open";
	case LEG_CLEARING: return "clearing";
	}
	return "unknown";
}

/* ---- shared views of the relay ---- */

/* Live TUNs in index order; removed routes leave NULL gaps. */
#define for_each_tun(relay, i, t)                                                                  \
	for (unsigned i = 0; i < RELAY_MAX_TUNS; i++)                                             \
		for (const struct tun *t = (relay)->tuns[i]; t && !t->retired; t = NULL)

static unsigned lci_range_size(const struct tun *t)
{
	return t->lci_end >= t->lci_start ? (unsigned)(t->lci_end - t->lci_start) + 1 : 0;
}

static unsigned lci_free_count(const struct tun *t)
{
	unsigned range = lci_range_size(t);

	return t->calls_in_use < range ? range - t->calls_in_use : 0;
}

/* Whole seconds from since_ms to now_ms (loop clock); 0 if the clock has not moved on. */
static uint64_t seconds_since(uint64_t since_ms, uint64_t now_ms)
{
	return now_ms > since_ms ? (now_ms - since_ms) / 1000u : 0;
}

/* Calls live in the slot table of the TUN they were injected into, indexed by that LCI. */
#define for_each_call(relay, i, t, j, c)                                                           \
	for_each_tun(relay, i, t) for (unsigned j = 0; t->calls && j < lci_range_size(t); j++)    \
		for (const struct call *c = &t->calls[j]; c && c->state != CALL_FREE; c = NULL)

static const char *reload_text(const struct relay *relay)
{
	if (relay->last_reload_ok)
		return "ok";
	return relay->last_reload_error[0] ? relay->last_reload_error : "error";
}

/* ---- /varz ---- */

static json_t *int_json(uint64_t v)
{
	return json_integer(v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v);
}

static void set_int(json_t *obj, const char *key, uint64_t v)
{
	json_object_set_new(obj, key, int_json(v));
}

/* The /varz map named key, created empty the first time (goxot prints empty maps as {}). */
static json_t *varz_map(json_t *vars, const char *key)
{
	json_t *map = json_object_get(vars, key);

	if (!map) {
		map = json_object();
		json_object_set_new(vars, key, map);
	}
	return map;
}

static void varz_relay_counter(json_t *vars, const struct relay *relay, const struct counter *c)
{
	char buf[COUNTER_KEY_LEN];
	json_t *map;

	if (!c->count && !c->field) {
		set_int(vars, c->varz, counter_relay_value(c, relay, 0));
		return;
	}
	map = varz_map(vars, c->varz);
	if (c->field) {
		set_int(map, c->field, counter_relay_value(c, relay, 0));
		return;
	}
	for (unsigned i = 0; i < c->count; i++) {
		uint64_t v = counter_relay_value(c, relay, i);
		const char *key = v ? c->key(i, buf) : NULL;

		if (key)
			set_int(map, key, v);
	}
}

/* argv of this process, as goxot's (Go runtime) cmdline variable; read once, it never changes. */
static json_t *cmdline_json(void)
{
	static char buf[4096];
	static ssize_t len = -1;
	json_t *arr = json_array();

	if (len < 0) {
		int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);

		len = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : 0;
		if (fd >= 0)
			close(fd);
		if (len < 0)
			len = 0;
		buf[len] = '\0';
	}
	for (ssize_t off = 0; off < len; off += (ssize_t)strlen(buf + off) + 1)
		json_array_append_new(arr, json_string(buf + off));
	return arr;
}

static int compare_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * goxot's expvar layout: "{", one `"name": value` per line in key order, maps inline
 * with `{"k": v, "k2": v2}` spacing (jansson's default separators), "}".
 */
static char *render_goxot_layout(json_t *vars)
{
	size_t n = json_object_size(vars), i = 0;
	const char **keys = calloc(n ? n : 1, sizeof(*keys));
	struct text out = {0};
	const char *key;
	json_t *value;

	if (!keys)
		return NULL;
	json_object_foreach(vars, key, value)
		keys[i++] = key;
	qsort(keys, n, sizeof(*keys), compare_keys);
	text_puts(&out, "{\n");
	for (i = 0; i < n; i++) {
		json_t *v = json_object_get(vars, keys[i]);
		/* Go marshals cmdline compactly; expvar maps use ", " and ": ". */
		size_t flags = JSON_SORT_KEYS | JSON_ENCODE_ANY | (json_is_array(v) ? JSON_COMPACT : 0);
		char *dumped = json_dumps(v, flags);

		if (!dumped) {
			out.oom = true;
			break;
		}
		text_json_string(&out, keys[i], SIZE_MAX);
		text_puts(&out, ": ");
		text_puts(&out, dumped);
		text_puts(&out, i + 1 < n ? ",\n" : "\n");
		free(dumped);
	}
	text_puts(&out, "}\n");
	free(keys);
	return text_finish(&out);
}

char *stats_render_varz(const struct relay *relay)
{
	struct port_counters xot_totals;
	json_t *vars = json_object(), *map;
	char *text;

	/* goxot's process variables (dns_requests is in the table). */
	json_object_set_new(vars, "cmdline", cmdline_json());
	map = varz_map(vars, "threads_active");
	set_int(map, "event_loop", 1); /* x25lo is single-threaded */
	json_object_set_new(vars, "last_reload", json_string(reload_text(relay)));

	for (size_t k = 0; k < relay_counter_count; k++)
		if (relay_counter_table[k].varz)
			varz_relay_counter(vars, relay, &relay_counter_table[k]);
	xot_port_counters(relay, &xot_totals);
	for (size_t k = 0; k < tun_counter_count; k++) {
		map = varz_map(vars, tun_counter_table[k].varz);
		for_each_tun(relay, i, t)
			set_int(map, t->port.name, counter_tun_value(&tun_counter_table[k], t));
		/* All XOT connections as one interface, goxot's "xot". */
		if (xot_enabled(relay) && !tun_counter_table[k].tun_value)
			set_int(map, "xot", counter_port_value(&tun_counter_table[k], &xot_totals));
	}
	for (size_t k = 0; k < xot_peer_counter_count && xot_enabled(relay); k++) {
		if (!xot_peer_counter_table[k].varz)
			continue;
		map = varz_map(vars, xot_peer_counter_table[k].varz);
		for (size_t i = 0; i < xot_peer_count(relay); i++)
			set_int(map, xot_peer_at(relay, i)->name,
				counter_peer_value(&xot_peer_counter_table[k], xot_peer_at(relay, i), 0));
	}
	map = varz_map(vars, "interface_link_state");
	for_each_tun(relay, i, t)
		json_object_set_new(map, t->port.name, json_string(stats_link_state_name((int)t->link)));
	map = varz_map(vars, "interface_address");
	for_each_tun(relay, i, t)
		json_object_set_new(map, t->port.name, json_string(t->address));

	text = render_goxot_layout(vars);
	json_decref(vars);
	return text;
}

/* ---- /metrics (Prometheus text format 0.0.4) ---- */

static void metric_header(struct text *t, const char *name, const char *type, const char *help)
{
	text_printf(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A family is announced at its first entry in the table. */
static void metric_family_start(struct text *t, const struct counter *table, size_t k)
{
	if (k == 0 || strcmp(table[k - 1].metric, table[k].metric) != 0)
		metric_header(t, table[k].metric, table[k].type, table[k].help);
}

static void metric_relay_counter(struct text *t, const struct relay *relay, const struct counter *c)
{
	char buf[COUNTER_KEY_LEN];

	if (!c->count) {
		text_puts(t, c->metric);
		if (c->label)
			text_printf(t, "{%s}", c->label);
		text_printf(t, " %" PRIu64 "\n", counter_relay_value(c, relay, 0));
		return;
	}
	for (unsigned i = 0; i < c->count; i++) {
		uint64_t v = counter_relay_value(c, relay, i);
		const char *key = v || c->metric_zeros ? c->key(i, buf) : NULL;

		if (key)
			text_printf(t, "%s{%s=\"%s\"} %" PRIu64 "\n", c->metric, c->label, key, v);
	}
}

/* One line per TUN: name{tun="tunlb0",label} value. */
static void metric_tun_value(struct text *t, const char *name, const struct tun *tun, const char *label,
			     uint64_t v)
{
	text_printf(t, "%s{tun=\"", name);
	text_label_value(t, tun->port.name, sizeof(tun->port.name));
	text_printf(t, "\"%s%s} %" PRIu64 "\n", label ? "," : "", label ? label : "", v);
}

/* name{peer="192.0.2.1",label} value; an array's label names the index ("reason") and key is its value. */
static void metric_peer_value(struct text *t, const struct counter *c, const struct xot_peer *peer,
			      const char *key, uint64_t v)
{
	text_printf(t, "%s{peer=\"", c->metric);
	text_label_value(t, peer->name, sizeof(peer->name));
	text_puts(t, "\"");
	if (c->label && key)
		text_printf(t, ",%s=\"%s\"", c->label, key);
	else if (c->label)
		text_printf(t, ",%s", c->label);
	text_printf(t, "} %" PRIu64 "\n", v);
}

static void metric_xot_peers(struct text *t, const struct relay *relay)
{
	char buf[COUNTER_KEY_LEN];

	for (size_t k = 0, end; k < xot_peer_counter_count; k = end) {
		for (end = k + 1; end < xot_peer_counter_count && strcmp(xot_peer_counter_table[end].metric,
									 xot_peer_counter_table[k].metric) == 0;
		     end++)
			;
		metric_family_start(t, xot_peer_counter_table, k);
		for (size_t i = 0; i < xot_peer_count(relay); i++) {
			const struct xot_peer *peer = xot_peer_at(relay, i);

			for (size_t m = k; m < end; m++) {
				const struct counter *c = &xot_peer_counter_table[m];

				if (!c->count) {
					metric_peer_value(t, c, peer, NULL, counter_peer_value(c, peer, 0));
					continue;
				}
				for (unsigned j = 0; j < c->count; j++)
					metric_peer_value(t, c, peer, c->key(j, buf), counter_peer_value(c, peer, j));
			}
		}
	}
}

char *stats_render_metrics(const struct relay *relay)
{
	struct text t = {0};

	metric_header(&t, "x25lo_info", "gauge", "Always 1; the version label says which x25lo runs.");
	text_puts(&t, "x25lo_info{version=\"" X25LO_VERSION "\"} 1\n");
	for (size_t k = 0; k < relay_counter_count; k++) {
		metric_family_start(&t, relay_counter_table, k);
		metric_relay_counter(&t, relay, &relay_counter_table[k]);
	}

	metric_header(&t, "x25lo_tun_info", "gauge", "Always 1 per TUN; the address label is its X.121 address.");
	for_each_tun(relay, i, tun) {
		text_puts(&t, "x25lo_tun_info{tun=\"");
		text_label_value(&t, tun->port.name, sizeof(tun->port.name));
		text_puts(&t, "\",address=\"");
		text_label_value(&t, tun->address, sizeof(tun->address));
		text_puts(&t, "\"} 1\n");
	}
	metric_header(&t, "x25lo_tun_link_state", "gauge", "1 for the TUN's current link state, 0 for the others.");
	for_each_tun(relay, i, tun) {
		for (int s = LINK_DOWN; s <= LINK_READY; s++) {
			char label[32];

			snprintf(label, sizeof(label), "state=\"%s\"", stats_link_state_name(s));
			metric_tun_value(&t, "x25lo_tun_link_state", tun, label, (int)tun->link == s);
		}
	}
	/* Family by family, each TUN's values of the family together. */
	for (size_t k = 0, end; k < tun_counter_count; k = end) {
		for (end = k + 1; end < tun_counter_count && strcmp(tun_counter_table[end].metric,
								    tun_counter_table[k].metric) == 0;
		     end++)
			;
		metric_family_start(&t, tun_counter_table, k);
		for_each_tun(relay, i, tun)
			for (size_t m = k; m < end; m++)
				metric_tun_value(&t, tun_counter_table[m].metric, tun, tun_counter_table[m].label,
						 counter_tun_value(&tun_counter_table[m], tun));
	}
	metric_xot_peers(&t, relay);
	return text_finish(&t);
}

/* ---- /sessions ---- */

void stats_facilities_json(struct text *t, const uint8_t *fac, size_t len)
{
	struct x25_facility_summary f;

	text_puts(t, "{\"raw\": \"");
	text_hex(t, fac, len);
	text_puts(t, "\"");
	if (packet_parse_facilities(fac, len, &f) < 0) {
		text_puts(t, ", \"malformed\": true}");
		return;
	}
	/* Sizes are sent as log2 (docs/linux-x25.md §2.4); show bytes. */
	if (f.pacsize_in > 0 && f.pacsize_in < 16) {
		text_puts(t, ", \"packet_size_in\": ");
		text_u64(t, 1u << f.pacsize_in);
	}
	if (f.pacsize_out > 0 && f.pacsize_out < 16) {
		text_puts(t, ", \"packet_size_out\": ");
		text_u64(t, 1u << f.pacsize_out);
	}
	if (f.winsize_in > 0) {
		text_puts(t, ", \"window_in\": ");
		text_u64(t, (uint64_t)f.winsize_in);
	}
	if (f.winsize_out > 0) {
		text_puts(t, ", \"window_out\": ");
		text_u64(t, (uint64_t)f.winsize_out);
	}
	if (f.reverse >= 0)
		text_printf(t, ", \"reverse_charging\": %s", (f.reverse & 0x01) ? "true" : "false");
	if (f.throughput >= 0)
		text_printf(t, ", \"throughput_class\": \"0x%02x\"", (unsigned)f.throughput);
	text_puts(t, "}");
}

void stats_leg_port_json(struct text *t, const struct port *port)
{
	if (port && port->kind == PORT_XOT) {
		/* An XOT leg: its connection and the peer at the other end. */
		text_puts(t, "{\"xot\": ");
		text_json_string(t, port->name, sizeof(port->name));
		text_puts(t, ", \"peer\": ");
		text_json_string(t, xot_peer_text(port), 256);
	} else {
		text_puts(t, "{\"tun\": ");
		if (port)
			text_json_string(t, port->name, sizeof(port->name));
		else
			text_puts(t, "null");
	}
}

static void session_leg(struct text *t, const struct leg *l)
{
	stats_leg_port_json(t, l->port);
	text_printf(t, ", \"lci\": %u, \"state\": \"%s\", \"packets_in\": %" PRIu64 ", \"bytes_in\": %" PRIu64 "}",
		    l->lci, stats_leg_state_name(l->state), l->packets_in, l->bytes_in);
}

static void session_json(struct text *t, const struct call *c, uint64_t now)
{
	const struct leg *caller = &c->leg[LEG_CALLER], *callee = &c->leg[LEG_CALLEE];

	text_puts(t, "{\"state\": \"");
	text_puts(t, stats_call_state_name(c->state));
	text_printf(t, "\", \"age_seconds\": %" PRIu64 ", \"calling\": ",
		    seconds_since(c->started_ms, now));
	text_json_string(t, c->calling, sizeof(c->calling));
	text_puts(t, ", \"called\": ");
	text_json_string(t, c->called, sizeof(c->called));
	text_puts(t, ", \"facilities\": ");
	stats_facilities_json(t, c->facilities,
			      c->facilities_len < sizeof(c->facilities) ? c->facilities_len : sizeof(c->facilities));
	text_puts(t, ", \"caller\": ");
	session_leg(t, caller);
	text_puts(t, ", \"callee\": ");
	session_leg(t, callee);
	/* What each kernel sent is what x25lo relayed toward the other one. */
	text_printf(t,
		    ", \"caller_to_callee\": {\"packets\": %" PRIu64 ", \"bytes\": %" PRIu64
		    "}, \"callee_to_caller\": {\"packets\": %" PRIu64 ", \"bytes\": %" PRIu64 "}}",
		    caller->packets_in, caller->bytes_in, callee->packets_in, callee->bytes_in);
}

/*
 * A listing in progress. Its cursor is a place, [TUN index][slot], never a pointer: between
 * two slices calls end and slots are reused, and a removed TUN is freed after the loop's
 * batch, so every step looks the TUN up again in relay->tuns. Each call is rendered whole
 * into entry within one slice (one moment of the relay), then handed out as the reader asks.
 */
struct sessions_stream {
	const struct relay *relay;
	struct sessions_budget *budget; /* shared by every stream of one server; NULL = none */
	size_t limit, listed;
	unsigned tun, slot; /* the next place to look */
	bool opened, done;  /* "[" rendered; "]" rendered */
	struct text entry;  /* the piece being handed out (over entry_buf) */
	size_t sent;        /* bytes of entry already handed out */
	char entry_buf[STATS_SESSIONS_ENTRY_MAX];
};

size_t stats_sessions_limit(size_t limit)
{
	return limit == 0 || limit > STATS_SESSIONS_MAX ? STATS_SESSIONS_MAX : limit;
}

struct sessions_stream *stats_sessions_open(const struct relay *relay, size_t limit, struct sessions_budget *budget)
{
	struct sessions_stream *s = malloc(sizeof(*s));

	if (!s)
		return NULL;
	*s = (struct sessions_stream){.relay = relay, .budget = budget, .limit = stats_sessions_limit(limit)};
	s->entry = (struct text){.p = s->entry_buf, .cap = sizeof(s->entry_buf), .fixed = true};
	return s;
}

void stats_sessions_close(struct sessions_stream *s)
{
	free(s);
}

/* The live TUN at index i, NULL for a gap or a TUN on its way out. */
static const struct tun *stream_tun(const struct sessions_stream *s, unsigned i)
{
	const struct tun *t = s->relay->tuns[i];

	return t && !t->retired && t->calls ? t : NULL;
}

/* Past the TUNs, the cursor goes through the XOT connections: outgoing calls over XOT live there. */
static bool stream_at_end(const struct sessions_stream *s)
{
	return s->tun >= RELAY_MAX_TUNS + xot_slots(s->relay);
}

/* The next live call from the cursor on, within the budget; NULL when none was found (yet). */
static const struct call *stream_next_call(struct sessions_stream *s)
{
	while (s->tun < RELAY_MAX_TUNS) {
		const struct tun *t = stream_tun(s, s->tun);

		/* Re-checked at every step: the TUN at this index may be another one since the last slice. */
		if (!t || t->calls_in_use == 0 || s->slot >= lci_range_size(t)) {
			s->tun++;
			s->slot = 0;
			continue;
		}
		if (s->budget) {
			if (s->budget->slots == 0)
				return NULL;
			s->budget->slots--;
		}
		if (t->calls[s->slot].state != CALL_FREE)
			return &t->calls[s->slot++];
		s->slot++;
	}
	while (!stream_at_end(s)) {
		const struct call *c = xot_slot_call(s->relay, s->tun - RELAY_MAX_TUNS);

		if (s->budget) {
			if (s->budget->slots == 0)
				return NULL;
			s->budget->slots--;
		}
		s->tun++;
		if (c)
			return c;
	}
	return NULL;
}

/* Render the next piece into s->entry: "[", one call with its separator, or the end. False: nothing (yet). */
static bool stream_render_next(struct sessions_stream *s)
{
	const struct call *c = NULL;

	s->entry.len = 0;
	s->entry.oom = false;
	s->sent = 0;
	if (!s->opened) {
		s->opened = true;
		text_puts(&s->entry, "[");
		return true;
	}
	if (s->listed < s->limit) {
		if (s->budget && s->budget->calls == 0)
			return false;
		c = stream_next_call(s);
		if (!c && !stream_at_end(s))
			return false; /* the slot budget ran out; go on at the next slice */
	}
	if (!c) {
		s->done = true;
		text_puts(&s->entry, s->listed ? "\n]\n" : "]\n");
		return true;
	}
	text_puts(&s->entry, s->listed ? ",\n" : "\n");
	session_json(&s->entry, c, loop_now_ms());
	s->listed++;
	if (s->budget)
		s->budget->calls--;
	return true;
}

ssize_t stats_sessions_read(struct sessions_stream *s, char *buf, size_t max)
{
	size_t n = 0;

	for (;;) {
		size_t k = s->entry.len - s->sent;

		if (s->entry.oom)
			return STATS_SESSIONS_ERROR; /* never send a call cut short */
		if (k > max - n)
			k = max - n;
		memcpy(buf + n, s->entry.p + s->sent, k);
		n += k;
		s->sent += k;
		if (s->sent < s->entry.len || n == max)
			return (ssize_t)n;
		if (s->done)
			return n ? (ssize_t)n : STATS_SESSIONS_END;
		if (!stream_render_next(s))
			return (ssize_t)n;
	}
}

char *stats_render_sessions_limited(const struct relay *relay, size_t limit, size_t *total)
{
	struct sessions_stream *s = stats_sessions_open(relay, limit, NULL);
	struct text t = {0};
	char buf[4096];
	ssize_t n;

	if (total)
		*total = relay_calls_active(relay);
	if (!s)
		return NULL;
	while ((n = stats_sessions_read(s, buf, sizeof(buf))) > 0)
		text_add(&t, buf, (size_t)n);
	stats_sessions_close(s);
	if (n == STATS_SESSIONS_ERROR)
		t.oom = true;
	return text_finish(&t);
}

char *stats_render_sessions(const struct relay *relay)
{
	return stats_render_sessions_limited(relay, 0, NULL);
}

/* ---- SIGUSR1 dump ---- */

/* A scalar's clause of a dump line: "<clause> <name> <value>", or " <name> <value>" continuing one. */
static void dump_scalar(struct text *t, const struct counter *c, uint64_t v)
{
	if (c->dump_clause) {
		if (t->len)
			text_puts(t, ", ");
		text_puts(t, c->dump_clause);
		if (c->dump_name && c->dump_clause[0])
			text_puts(t, " ");
	} else {
		text_puts(t, " ");
	}
	if (c->dump_name)
		text_puts(t, c->dump_name);
	text_printf(t, " %" PRIu64, v);
}

/* An array on a line of its own: "<clause>: KEY=n KEY=n" for the non-zero values. */
static void dump_array(const struct relay *relay, const struct counter *c)
{
	char buf[COUNTER_KEY_LEN];
	struct text t = {0};

	for (unsigned i = 0; i < c->count; i++) {
		uint64_t v = counter_relay_value(c, relay, i);
		const char *key = v ? c->dump_key(i, buf) : NULL;

		if (key)
			text_printf(&t, " %s=%" PRIu64, key, v);
	}
	log_msg("Stats dump: %s:%s", c->dump_clause, t.p && !t.oom ? t.p : " none");
	free(t.p);
}

static bool dumped(const struct counter *c)
{
	return c->dump_clause || c->dump_name;
}

static void dump_tun(const struct tun *tun)
{
	struct text t = {0};

	text_printf(&t, "%s address %s link %s, LCIs in use %u, free %u of %u-%u", tun->port.name, tun->address,
		    stats_link_state_name((int)tun->link), tun->legs_mapped, lci_free_count(tun), tun->lci_start,
		    tun->lci_end);
	for (size_t k = 0; k < tun_counter_count; k++)
		if (dumped(&tun_counter_table[k]))
			dump_scalar(&t, &tun_counter_table[k], counter_tun_value(&tun_counter_table[k], tun));
	log_msg("Stats dump: %s", t.p && !t.oom ? t.p : "(out of memory)");
	free(t.p);
}

/* The XOT connections together, then one line per peer. */
static void dump_xot(const struct relay *relay)
{
	struct port_counters totals;
	struct text t = {0};

	xot_port_counters(relay, &totals);
	text_printf(&t, "xot connections open %u, peers %zu", xot_connections_open(relay), xot_peer_count(relay));
	for (size_t k = 0; k < tun_counter_count; k++)
		if (dumped(&tun_counter_table[k]) && !tun_counter_table[k].tun_value)
			dump_scalar(&t, &tun_counter_table[k], counter_port_value(&tun_counter_table[k], &totals));
	log_msg("Stats dump: %s", t.p && !t.oom ? t.p : "(out of memory)");
	free(t.p);
	for (size_t i = 0; i < xot_peer_count(relay); i++) {
		const struct xot_peer_counters *pc = &xot_peer_at(relay, i)->counters;
		uint64_t failed = 0;

		for (unsigned j = 0; j < XOT_FAIL_COUNT; j++)
			failed += pc->failures[j];
		log_msg("Stats dump: xot peer %s active %u, connections in %" PRIu64 " out %" PRIu64 ", calls in %" PRIu64
			" out %" PRIu64 ", packets %" PRIu64 "/%" PRIu64 ", bytes %" PRIu64 "/%" PRIu64 ", failures %" PRIu64,
			xot_peer_at(relay, i)->name, xot_peer_at(relay, i)->active, pc->connections_in, pc->connections_out,
			pc->calls_in, pc->calls_out, pc->packets_sent, pc->packets_received, pc->bytes_sent,
			pc->bytes_received, failed);
	}
}

static void dump_call(const struct call *c, uint64_t now, unsigned *total, unsigned *listed)
{
	const struct leg *a = &c->leg[LEG_CALLER], *b = &c->leg[LEG_CALLEE];

	++*total;
	if (*listed >= DUMP_MAX_CALLS)
		return;
	++*listed;
	log_msg("Stats dump: call %s/%u -> %s/%u, %s -> %s, %s, age %" PRIu64 "s, packets %" PRIu64 "/%" PRIu64
		", bytes %" PRIu64 "/%" PRIu64,
		a->port ? a->port->name : "-", a->lci, b->port ? b->port->name : "-", b->lci, c->calling, c->called,
		stats_call_state_name(c->state), seconds_since(c->started_ms, now), a->packets_in, b->packets_in,
		a->bytes_in, b->bytes_in);
}

void stats_log_dump(const struct relay *relay)
{
	const struct relay_counters *rc = &relay->counters;
	uint64_t now = loop_now_ms();
	unsigned listed = 0, total = 0;
	struct text line = {0};

	/* A one-line summary first: tests and scripts wait for it (calls=, channels=). */
	log_msg("x25lo state: calls=%u setup=%u connected=%u clearing=%u channels=%u relayed=%" PRIu64
		" lci_reused=%" PRIu64 " call_timeouts=%" PRIu64 " clear_timeouts=%" PRIu64 " unknown_lci=%" PRIu64 " ",
		relay_calls_active(relay), relay->calls_by_state[CALL_SETUP], relay->calls_by_state[CALL_CONNECTED],
		relay->calls_by_state[CALL_CLEARING], relay_channels_mapped(relay), rc->calls_relayed, rc->lci_reused,
		rc->call_timeouts, rc->clear_timeouts, rc->unknown_lci_cleared + rc->unknown_lci_confirmed);
	log_msg("Stats dump: uptime %" PRIu64 "s, config generation %" PRIu64 " (last reload %s), calls active %u "
		"(setup %u, connected %u, clearing %u)",
		seconds_since(relay->started_ms, now), relay->config_generation, reload_text(relay),
		relay_calls_active(relay), relay->calls_by_state[CALL_SETUP], relay->calls_by_state[CALL_CONNECTED],
		relay->calls_by_state[CALL_CLEARING]);
	for_each_tun(relay, i, t)
		dump_tun(t);
	if (xot_enabled(relay))
		dump_xot(relay);
	for (size_t k = 0; k < relay_counter_count; k++) {
		const struct counter *c = &relay_counter_table[k];

		if (c->count)
			dump_array(relay, c);
		else if (dumped(c))
			dump_scalar(&line, c, counter_relay_value(c, relay, 0));
	}
	log_msg("Stats dump: %s", line.p && !line.oom ? line.p : "(out of memory)");
	free(line.p);
	for_each_call(relay, i, tun, j, c)
		dump_call(c, now, &total, &listed);
	for (unsigned i = 0; i < xot_slots(relay); i++)
		if (xot_slot_call(relay, i))
			dump_call(xot_slot_call(relay, i), now, &total, &listed);
	if (total > listed)
		log_msg("Stats dump: %u more calls not listed", total - listed);
	/* The dump is also the moment to make the capture readable up to now. */
	if (relay->pcap) {
		pcap_flush(relay->pcap);
		log_msg("Stats dump: packet capture holds %" PRIu64 " frames (flushed)", pcap_frames_recorded(relay->pcap));
	}
	log_msg("Stats dump: end (%u calls)", total);
}
