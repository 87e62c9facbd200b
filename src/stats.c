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

#include "log.h"
#include "pcap.h"
#include "relay.h"

/* The SIGUSR1 dump lists at most this many calls, so a full table cannot flood the log. */
#define DUMP_MAX_CALLS 1000

/* ---- small growing text buffer (no per-call allocations while rendering big tables) ---- */

struct text {
	char *p;
	size_t len, cap;
	bool oom;
};

static bool text_reserve(struct text *t, size_t more)
{
	size_t cap = t->cap ? t->cap : 4096;
	char *p;

	if (t->oom)
		return false;
	if (t->len + more + 1 <= t->cap)
		return true;
	while (cap < t->len + more + 1)
		cap *= 2;
	p = realloc(t->p, cap);
	if (!p) {
		t->oom = true;
		return false;
	}
	t->p = p;
	t->cap = cap;
	return true;
}

static void text_add(struct text *t, const char *s, size_t n)
{
	if (!text_reserve(t, n))
		return;
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

static void text_puts(struct text *t, const char *s)
{
	text_add(t, s, strlen(s));
}

X25LO_PRINTF(2, 3) static void text_printf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	size_t room;
	int n;

	if (!text_reserve(t, 64))
		return;
	/* Usually fits in what is left: format once, grow and retry only when it did not. */
	room = t->cap - t->len;
	va_start(ap, fmt);
	n = vsnprintf(t->p + t->len, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= room) {
		if (!text_reserve(t, (size_t)n))
			return;
		va_start(ap, fmt);
		vsnprintf(t->p + t->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	t->len += (size_t)n;
}

/* Hand the text over (NULL when memory ran out at any point). */
static char *text_finish(struct text *t)
{
	if (t->oom || !text_reserve(t, 0)) {
		free(t->p);
		return NULL;
	}
	return t->p;
}

/* A JSON string literal; bounded input (names, addresses). */
static void text_json_string(struct text *t, const char *s, size_t max)
{
	text_add(t, "\"", 1);
	for (size_t i = 0; i < max && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			char esc[2] = {'\\', (char)c};
			text_add(t, esc, 2);
		} else if (c < 0x20) {
			text_printf(t, "\\u%04x", c);
		} else {
			text_add(t, (const char *)&c, 1);
		}
	}
	text_add(t, "\"", 1);
}

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
	for (unsigned i = 0; i < CONFIG_MAX_ROUTES; i++)                                          \
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

static unsigned calls_active(const struct relay *relay)
{
	return relay->calls_by_state[CALL_SETUP] + relay->calls_by_state[CALL_CONNECTED] +
	       relay->calls_by_state[CALL_CLEARING];
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

typedef uint64_t (*tun_counter_fn)(const struct tun *t);

#define TUN_COUNTER(field)                                                                         \
	static uint64_t tun_##field(const struct tun *t)                                           \
	{                                                                                          \
		return t->counters.field;                                                          \
	}
TUN_COUNTER(sessions_opened)
TUN_COUNTER(sessions_closed)
TUN_COUNTER(call_request)
TUN_COUNTER(call_connected)
TUN_COUNTER(clear_request)
TUN_COUNTER(clear_confirm)
TUN_COUNTER(packets_sent)
TUN_COUNTER(packets_received)
TUN_COUNTER(bytes_sent)
TUN_COUNTER(bytes_received)
TUN_COUNTER(link_up)
TUN_COUNTER(link_lost)

static uint64_t tun_lci_in_use(const struct tun *t)
{
	return t->legs_mapped;
}

static uint64_t tun_lci_free(const struct tun *t)
{
	return lci_free_count(t);
}

/* goxot's ten interface_* maps first, then x25lo's own per-TUN maps. */
static const struct {
	const char *name;
	tun_counter_fn get;
} interface_maps[] = {
	{"interface_bytes_received", tun_bytes_received},
	{"interface_bytes_sent", tun_bytes_sent},
	{"interface_call_connected", tun_call_connected},
	{"interface_call_request", tun_call_request},
	{"interface_clear_confirm", tun_clear_confirm},
	{"interface_clear_request", tun_clear_request},
	{"interface_packets_received", tun_packets_received},
	{"interface_packets_sent", tun_packets_sent},
	{"interface_sessions_closed", tun_sessions_closed},
	{"interface_sessions_opened", tun_sessions_opened},
	{"interface_lci_free", tun_lci_free},
	{"interface_lci_in_use", tun_lci_in_use},
	{"interface_link_lost", tun_link_lost},
	{"interface_link_up", tun_link_up},
};

static json_t *int_json(uint64_t v)
{
	return json_integer(v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v);
}

static void set_int(json_t *obj, const char *key, uint64_t v)
{
	json_object_set_new(obj, key, int_json(v));
}

static json_t *cause_map(const uint64_t causes[256])
{
	json_t *map = json_object();

	for (unsigned c = 0; c < 256; c++) {
		char key[8];

		if (!causes[c])
			continue;
		snprintf(key, sizeof(key), "0x%02x", c);
		set_int(map, key, causes[c]);
	}
	return map;
}

static json_t *packets_handled_map(const struct relay_counters *rc)
{
	json_t *map = json_object();

	for (int type = 0; type < PKT_TYPE_COUNT; type++) {
		const char *name = packet_type_name((enum pkt_type)type);

		if (name && rc->packets_handled[type])
			set_int(map, name, rc->packets_handled[type]);
	}
	for (unsigned id = 0; id < 256; id++) {
		char key[16];

		if (!rc->packets_unknown_type[id])
			continue;
		snprintf(key, sizeof(key), "UNKNOWN(0x%02X)", id);
		set_int(map, key, rc->packets_unknown_type[id]);
	}
	return map;
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
	const struct relay_counters *rc = &relay->counters;
	json_t *vars = json_object(), *map;
	char *text;

	set_int(vars, "uptime", seconds_since(relay->started_ms, loop_now_ms()));
	set_int(vars, "dns_requests", 0);
	json_object_set_new(vars, "cmdline", cmdline_json());
	map = json_object();
	set_int(map, "event_loop", 1); /* x25lo is single-threaded */
	json_object_set_new(vars, "threads_active", map);
	json_object_set_new(vars, "packets_handled", packets_handled_map(rc));
	json_object_set_new(vars, "causes_received", cause_map(rc->causes_received));
	json_object_set_new(vars, "causes_generated", cause_map(rc->causes_generated));

	for (size_t m = 0; m < sizeof(interface_maps) / sizeof(interface_maps[0]); m++) {
		map = json_object();
		for_each_tun(relay, i, t)
			set_int(map, t->name, interface_maps[m].get(t));
		json_object_set_new(vars, interface_maps[m].name, map);
	}
	map = json_object();
	for_each_tun(relay, i, t)
		json_object_set_new(map, t->name, json_string(stats_link_state_name((int)t->link)));
	json_object_set_new(vars, "interface_link_state", map);
	map = json_object();
	for_each_tun(relay, i, t)
		json_object_set_new(map, t->name, json_string(t->address));
	json_object_set_new(vars, "interface_address", map);

	set_int(vars, "calls_active", calls_active(relay));
	map = json_object();
	for (int s = CALL_SETUP; s < CALL_STATE_COUNT; s++)
		set_int(map, stats_call_state_name(s), relay->calls_by_state[s]);
	json_object_set_new(vars, "calls_by_state", map);
	set_int(vars, "calls_relayed", rc->calls_relayed);
	set_int(vars, "calls_connected", rc->calls_connected);
	map = json_object();
	set_int(map, "no_lci", rc->calls_refused_no_lci);
	set_int(map, "no_target", rc->calls_refused_no_target);
	set_int(map, "modulo", rc->calls_refused_modulo);
	set_int(map, "malformed", rc->calls_malformed);
	json_object_set_new(vars, "calls_refused", map);
	map = json_object();
	set_int(map, "call_setup", rc->call_timeouts);
	set_int(map, "clear_confirm", rc->clear_timeouts);
	json_object_set_new(vars, "timeouts", map);
	set_int(vars, "lci_reused", rc->lci_reused);
	map = json_object();
	set_int(map, "cleared", rc->unknown_lci_cleared);
	set_int(map, "confirmed", rc->unknown_lci_confirmed);
	set_int(map, "ignored", rc->unknown_lci_ignored);
	json_object_set_new(vars, "unknown_lci", map);
	map = json_object();
	set_int(map, "short", rc->frames_dropped_short);
	set_int(map, "proto", rc->frames_dropped_proto);
	set_int(map, "truncated", rc->frames_dropped_truncated);
	set_int(map, "state", rc->frames_dropped_state);
	json_object_set_new(vars, "frames_dropped", map);
	set_int(vars, "write_errors", rc->write_errors);
	set_int(vars, "config_generation", relay->config_generation);
	json_object_set_new(vars, "last_reload", json_string(reload_text(relay)));

	text = render_goxot_layout(vars);
	json_decref(vars);
	return text;
}

/* ---- /metrics (Prometheus text format 0.0.4) ---- */

static void metric_header(struct text *t, const char *name, const char *type, const char *help)
{
	text_printf(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void metric_tun_value(struct text *t, const char *name, const struct tun *tun, const char *extra_label,
			     const char *extra_value, uint64_t v)
{
	text_printf(t, "%s{tun=\"", name);
	text_label_value(t, tun->name, sizeof(tun->name));
	if (extra_label)
		text_printf(t, "\",%s=\"%s", extra_label, extra_value);
	text_printf(t, "\"} %" PRIu64 "\n", v);
}

static void metric_per_tun(struct text *t, const struct relay *relay, const char *name, const char *type,
			   const char *help, tun_counter_fn get)
{
	metric_header(t, name, type, help);
	for_each_tun(relay, i, tun)
		metric_tun_value(t, name, tun, NULL, NULL, get(tun));
}

/* A per-TUN metric with two values of one label (sent/received, up/lost, ...). */
static void metric_per_tun_pair(struct text *t, const struct relay *relay, const char *name, const char *help,
				const char *label, const char *v1, tun_counter_fn get1, const char *v2,
				tun_counter_fn get2)
{
	metric_header(t, name, "counter", help);
	for_each_tun(relay, i, tun) {
		metric_tun_value(t, name, tun, label, v1, get1(tun));
		metric_tun_value(t, name, tun, label, v2, get2(tun));
	}
}

char *stats_render_metrics(const struct relay *relay)
{
	const struct relay_counters *rc = &relay->counters;
	struct text t = {0};

	metric_header(&t, "x25lo_info", "gauge", "Always 1; the version label says which x25lo runs.");
	text_puts(&t, "x25lo_info{version=\"" X25LO_VERSION "\"} 1\n");
	metric_header(&t, "x25lo_uptime_seconds", "gauge", "Seconds since x25lo started.");
	text_printf(&t, "x25lo_uptime_seconds %" PRIu64 "\n", seconds_since(relay->started_ms, loop_now_ms()));
	metric_header(&t, "x25lo_config_generation", "gauge", "Configurations applied so far (1 after start-up).");
	text_printf(&t, "x25lo_config_generation %" PRIu64 "\n", relay->config_generation);
	metric_header(&t, "x25lo_config_last_reload_success", "gauge",
		      "1 if the last configuration load succeeded, 0 if it failed (the old one stays).");
	text_printf(&t, "x25lo_config_last_reload_success %d\n", relay->last_reload_ok ? 1 : 0);

	metric_header(&t, "x25lo_calls_active", "gauge", "Calls x25lo relays now (set-up, connected or clearing).");
	text_printf(&t, "x25lo_calls_active %u\n", calls_active(relay));
	metric_header(&t, "x25lo_calls", "gauge", "Live calls by state.");
	for (int s = CALL_SETUP; s < CALL_STATE_COUNT; s++)
		text_printf(&t, "x25lo_calls{state=\"%s\"} %u\n", stats_call_state_name(s), relay->calls_by_state[s]);
	metric_header(&t, "x25lo_calls_relayed_total", "counter", "CALL REQUESTs injected into a target TUN.");
	text_printf(&t, "x25lo_calls_relayed_total %" PRIu64 "\n", rc->calls_relayed);
	metric_header(&t, "x25lo_calls_connected_total", "counter", "Relayed calls that the called side accepted.");
	text_printf(&t, "x25lo_calls_connected_total %" PRIu64 "\n", rc->calls_connected);
	metric_header(&t, "x25lo_calls_refused_total", "counter", "CALL REQUESTs x25lo cleared itself, by reason.");
	text_printf(&t, "x25lo_calls_refused_total{reason=\"no_lci\"} %" PRIu64 "\n", rc->calls_refused_no_lci);
	text_printf(&t, "x25lo_calls_refused_total{reason=\"no_target\"} %" PRIu64 "\n", rc->calls_refused_no_target);
	text_printf(&t, "x25lo_calls_refused_total{reason=\"modulo\"} %" PRIu64 "\n", rc->calls_refused_modulo);
	text_printf(&t, "x25lo_calls_refused_total{reason=\"malformed\"} %" PRIu64 "\n", rc->calls_malformed);
	metric_header(&t, "x25lo_timeouts_total", "counter", "Expired call set-up and clear-confirmation timers.");
	text_printf(&t, "x25lo_timeouts_total{timer=\"call_setup\"} %" PRIu64 "\n", rc->call_timeouts);
	text_printf(&t, "x25lo_timeouts_total{timer=\"clear_confirm\"} %" PRIu64 "\n", rc->clear_timeouts);
	metric_header(&t, "x25lo_lci_reused_total", "counter", "CALL REQUESTs from a kernel on an LCI still mapped.");
	text_printf(&t, "x25lo_lci_reused_total %" PRIu64 "\n", rc->lci_reused);
	metric_header(&t, "x25lo_unknown_lci_packets_total", "counter",
		      "Packets on LCIs x25lo does not map, by what x25lo did.");
	text_printf(&t, "x25lo_unknown_lci_packets_total{action=\"cleared\"} %" PRIu64 "\n", rc->unknown_lci_cleared);
	text_printf(&t, "x25lo_unknown_lci_packets_total{action=\"confirmed\"} %" PRIu64 "\n",
		    rc->unknown_lci_confirmed);
	text_printf(&t, "x25lo_unknown_lci_packets_total{action=\"ignored\"} %" PRIu64 "\n", rc->unknown_lci_ignored);
	metric_header(&t, "x25lo_frames_dropped_total", "counter", "Frames read from a TUN and dropped, by reason.");
	text_printf(&t, "x25lo_frames_dropped_total{reason=\"short\"} %" PRIu64 "\n", rc->frames_dropped_short);
	text_printf(&t, "x25lo_frames_dropped_total{reason=\"proto\"} %" PRIu64 "\n", rc->frames_dropped_proto);
	text_printf(&t, "x25lo_frames_dropped_total{reason=\"truncated\"} %" PRIu64 "\n",
		    rc->frames_dropped_truncated);
	text_printf(&t, "x25lo_frames_dropped_total{reason=\"state\"} %" PRIu64 "\n", rc->frames_dropped_state);
	metric_header(&t, "x25lo_write_errors_total", "counter", "Failed writes into a TUN.");
	text_printf(&t, "x25lo_write_errors_total %" PRIu64 "\n", rc->write_errors);

	metric_header(&t, "x25lo_packets_handled_total", "counter", "X.25 packets read from the kernels, by type.");
	for (int type = 0; type < PKT_TYPE_COUNT; type++) {
		const char *name = packet_type_name((enum pkt_type)type);

		if (name)
			text_printf(&t, "x25lo_packets_handled_total{type=\"%s\"} %" PRIu64 "\n", name,
				    rc->packets_handled[type]);
	}
	for (unsigned id = 0; id < 256; id++)
		if (rc->packets_unknown_type[id])
			text_printf(&t, "x25lo_packets_handled_total{type=\"UNKNOWN(0x%02X)\"} %" PRIu64 "\n", id,
				    rc->packets_unknown_type[id]);
	metric_header(&t, "x25lo_clears_total", "counter",
		      "CLEAR REQUESTs by cause: received from a kernel, or generated by x25lo.");
	for (unsigned c = 0; c < 256; c++)
		if (rc->causes_received[c])
			text_printf(&t, "x25lo_clears_total{direction=\"received\",cause=\"0x%02x\"} %" PRIu64 "\n", c,
				    rc->causes_received[c]);
	for (unsigned c = 0; c < 256; c++)
		if (rc->causes_generated[c])
			text_printf(&t, "x25lo_clears_total{direction=\"generated\",cause=\"0x%02x\"} %" PRIu64 "\n", c,
				    rc->causes_generated[c]);

	metric_header(&t, "x25lo_tun_info", "gauge", "Always 1 per TUN; the address label is its X.121 address.");
	for_each_tun(relay, i, tun) {
		text_puts(&t, "x25lo_tun_info{tun=\"");
		text_label_value(&t, tun->name, sizeof(tun->name));
		text_puts(&t, "\",address=\"");
		text_label_value(&t, tun->address, sizeof(tun->address));
		text_puts(&t, "\"} 1\n");
	}
	metric_header(&t, "x25lo_tun_link_state", "gauge", "1 for the TUN's current link state, 0 for the others.");
	for_each_tun(relay, i, tun)
		for (int s = LINK_DOWN; s <= LINK_READY; s++)
			metric_tun_value(&t, "x25lo_tun_link_state", tun, "state", stats_link_state_name(s),
					 (int)tun->link == s);
	metric_per_tun_pair(&t, relay, "x25lo_tun_link_events_total", "Link established or lost on the TUN.", "event",
			    "up", tun_link_up, "lost", tun_link_lost);
	metric_per_tun(&t, relay, "x25lo_tun_lci_in_use", "gauge", "LCIs x25lo maps on the TUN (both directions).",
		       tun_lci_in_use);
	metric_per_tun(&t, relay, "x25lo_tun_lci_free", "gauge", "Free LCIs in the TUN's range for injected calls.",
		       tun_lci_free);
	metric_per_tun(&t, relay, "x25lo_tun_sessions_opened_total", "counter", "Call legs opened on the TUN.",
		       tun_sessions_opened);
	metric_per_tun(&t, relay, "x25lo_tun_sessions_closed_total", "counter", "Call legs closed on the TUN.",
		       tun_sessions_closed);
	metric_header(&t, "x25lo_tun_call_packets_total", "counter",
		      "Call set-up and clearing packets seen on the TUN, by type (goxot's interface_* maps).");
	for_each_tun(relay, i, tun) {
		metric_tun_value(&t, "x25lo_tun_call_packets_total", tun, "type", "CALL_REQ", tun->counters.call_request);
		metric_tun_value(&t, "x25lo_tun_call_packets_total", tun, "type", "CALL_CONN",
				 tun->counters.call_connected);
		metric_tun_value(&t, "x25lo_tun_call_packets_total", tun, "type", "CLR_REQ", tun->counters.clear_request);
		metric_tun_value(&t, "x25lo_tun_call_packets_total", tun, "type", "CLR_CONF", tun->counters.clear_confirm);
	}
	metric_per_tun_pair(&t, relay, "x25lo_tun_packets_total",
			    "Frames written into (sent) or read from (received) the TUN.", "direction", "sent",
			    tun_packets_sent, "received", tun_packets_received);
	metric_per_tun_pair(&t, relay, "x25lo_tun_bytes_total",
			    "X.25 bytes written into (sent) or read from (received) the TUN, without headers.",
			    "direction", "sent", tun_bytes_sent, "received", tun_bytes_received);
	return text_finish(&t);
}

/* ---- /sessions ---- */

static void hex_bytes(struct text *t, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		char h[2] = {digits[p[i] >> 4], digits[p[i] & 0x0F]};
		text_add(t, h, 2);
	}
}

static void session_facilities(struct text *t, const struct call *c)
{
	struct x25_facility_summary f;
	size_t len = c->facilities_len < sizeof(c->facilities) ? c->facilities_len : sizeof(c->facilities);

	text_puts(t, "{\"raw\": \"");
	hex_bytes(t, c->facilities, len);
	text_puts(t, "\"");
	if (packet_parse_facilities(c->facilities, len, &f) < 0) {
		text_puts(t, ", \"malformed\": true}");
		return;
	}
	/* Sizes are sent as log2 (linux-x25.md §2.4); show bytes. */
	if (f.pacsize_in > 0 && f.pacsize_in < 16)
		text_printf(t, ", \"packet_size_in\": %u", 1u << f.pacsize_in);
	if (f.pacsize_out > 0 && f.pacsize_out < 16)
		text_printf(t, ", \"packet_size_out\": %u", 1u << f.pacsize_out);
	if (f.winsize_in > 0)
		text_printf(t, ", \"window_in\": %d", f.winsize_in);
	if (f.winsize_out > 0)
		text_printf(t, ", \"window_out\": %d", f.winsize_out);
	if (f.reverse >= 0)
		text_printf(t, ", \"reverse_charging\": %s", (f.reverse & 0x01) ? "true" : "false");
	if (f.throughput >= 0)
		text_printf(t, ", \"throughput_class\": \"0x%02x\"", (unsigned)f.throughput);
	text_puts(t, "}");
}

static void session_leg(struct text *t, const struct leg *l)
{
	text_puts(t, "{\"tun\": ");
	if (l->tun)
		text_json_string(t, l->tun->name, sizeof(l->tun->name));
	else
		text_puts(t, "null");
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
	session_facilities(t, c);
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

char *stats_render_sessions_limited(const struct relay *relay, size_t limit, size_t *total)
{
	struct text t = {0};
	uint64_t now = loop_now_ms();
	size_t n = 0;

	text_puts(&t, "[");
	for_each_call(relay, i, tun, j, c) {
		if (!limit || n < limit) {
			text_puts(&t, n ? ",\n" : "\n");
			session_json(&t, c, now);
		}
		n++;
	}
	text_puts(&t, n ? "\n]\n" : "]\n");
	if (total)
		*total = n;
	return text_finish(&t);
}

char *stats_render_sessions(const struct relay *relay)
{
	return stats_render_sessions_limited(relay, 0, NULL);
}

/* ---- SIGUSR1 dump ---- */

/*
 * One log line "title: KEY=n KEY=n" for the non-zero values; keys from name() (entries
 * without a name are left out) or "0x%02x" (upper-case hex digits when upper).
 */
static void dump_nonzero_map(const char *title, const uint64_t *values, unsigned count, const char *(*name)(unsigned),
			     bool upper)
{
	struct text t = {0};

	for (unsigned k = 0; k < count; k++) {
		if (!values[k] || (name && !name(k)))
			continue;
		text_puts(&t, " ");
		if (name)
			text_puts(&t, name(k));
		else
			text_printf(&t, upper ? "0x%02X" : "0x%02x", k);
		text_printf(&t, "=%" PRIu64, values[k]);
	}
	log_msg("Stats dump: %s:%s", title, t.p && !t.oom ? t.p : " none");
	free(t.p);
}

static const char *known_type_name(unsigned type)
{
	return packet_type_name((enum pkt_type)type);
}

void stats_log_dump(const struct relay *relay)
{
	const struct relay_counters *rc = &relay->counters;
	uint64_t now = loop_now_ms();
	unsigned listed = 0, total = 0;

	log_msg("Stats dump: uptime %" PRIu64 "s, config generation %" PRIu64 " (last reload %s), calls active %u "
		"(setup %u, connected %u, clearing %u)",
		seconds_since(relay->started_ms, now), relay->config_generation, reload_text(relay),
		calls_active(relay), relay->calls_by_state[CALL_SETUP], relay->calls_by_state[CALL_CONNECTED],
		relay->calls_by_state[CALL_CLEARING]);
	for_each_tun(relay, i, t) {
		const struct tun_counters *tc = &t->counters;

		log_msg("Stats dump: %s address %s link %s, LCIs in use %u, free %u of %u-%u, sessions opened %" PRIu64
			" closed %" PRIu64 ", packets sent %" PRIu64 " received %" PRIu64 ", bytes sent %" PRIu64
			" received %" PRIu64 ", CALL_REQ %" PRIu64 " CALL_CONN %" PRIu64 " CLR_REQ %" PRIu64
			" CLR_CONF %" PRIu64 ", link up %" PRIu64 " lost %" PRIu64,
			t->name, t->address, stats_link_state_name((int)t->link), t->legs_mapped, lci_free_count(t),
			t->lci_start, t->lci_end, tc->sessions_opened, tc->sessions_closed, tc->packets_sent,
			tc->packets_received, tc->bytes_sent, tc->bytes_received, tc->call_request, tc->call_connected,
			tc->clear_request, tc->clear_confirm, tc->link_up, tc->link_lost);
	}
	dump_nonzero_map("packets handled", rc->packets_handled, PKT_TYPE_COUNT, known_type_name, false);
	dump_nonzero_map("unknown packet types", rc->packets_unknown_type, 256, NULL, true);
	dump_nonzero_map("causes received", rc->causes_received, 256, NULL, false);
	dump_nonzero_map("causes generated", rc->causes_generated, 256, NULL, false);
	log_msg("Stats dump: calls relayed %" PRIu64 " connected %" PRIu64 ", refused no_lci %" PRIu64
		" no_target %" PRIu64 " modulo %" PRIu64 " malformed %" PRIu64 ", timeouts call_setup %" PRIu64
		" clear_confirm %" PRIu64 ", lci reused %" PRIu64 ", unknown LCI cleared %" PRIu64
		" confirmed %" PRIu64 " ignored %" PRIu64 ", frames dropped short %" PRIu64 " proto %" PRIu64
		" truncated %" PRIu64 " state %" PRIu64 ", write errors %" PRIu64,
		rc->calls_relayed, rc->calls_connected, rc->calls_refused_no_lci, rc->calls_refused_no_target,
		rc->calls_refused_modulo, rc->calls_malformed, rc->call_timeouts, rc->clear_timeouts, rc->lci_reused,
		rc->unknown_lci_cleared, rc->unknown_lci_confirmed, rc->unknown_lci_ignored, rc->frames_dropped_short,
		rc->frames_dropped_proto, rc->frames_dropped_truncated, rc->frames_dropped_state, rc->write_errors);
	for_each_call(relay, i, tun, j, c) {
		const struct leg *a = &c->leg[LEG_CALLER], *b = &c->leg[LEG_CALLEE];

		total++;
		if (listed >= DUMP_MAX_CALLS)
			continue;
		listed++;
		log_msg("Stats dump: call %s/%u -> %s/%u, %s -> %s, %s, age %" PRIu64 "s, packets %" PRIu64
			"/%" PRIu64 ", bytes %" PRIu64 "/%" PRIu64,
			a->tun ? a->tun->name : "-", a->lci, b->tun ? b->tun->name : "-", b->lci, c->calling, c->called,
			stats_call_state_name(c->state), seconds_since(c->started_ms, now),
			a->packets_in, b->packets_in, a->bytes_in, b->bytes_in);
	}
	if (total > listed)
		log_msg("Stats dump: %u more calls not listed", total - listed);
	/* The dump is also the moment to make the capture readable up to now. */
	if (relay->pcap) {
		pcap_flush(relay->pcap);
		log_msg("Stats dump: packet capture holds %" PRIu64 " frames (flushed)", pcap_frames_recorded(relay->pcap));
	}
	log_msg("Stats dump: end (%u calls)", total);
}
