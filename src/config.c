// SPDX-License-Identifier: GPL-2.0-or-later
/* config.c - the "tun-loopback" section of goxot's shared config.json: key table, parsing, -check. */
#include "config.h"

#include "log.h"
#include "xot_dns.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#define SECTION "tun-loopback"
#define LCI_MIN 1
#define LCI_MAX 4095 /* 12-bit logical channel identifier; 0 is the link's own channel */
#define TIMEOUT_MIN_MS 100
#define TIMEOUT_MAX_MS 600000
#define PCAP_MIN_BYTES (64LL * 1024)
#define PCAP_MAX_BYTES (1LL << 40)
#define FORMAT_MAX 4096 /* a key's value as JSON text: 64 routes or 64 networks fit */

/* Everything the parse phase needs; the result goes to *out only when all phases succeed. */
struct parse_ctx {
	const char *path;
	struct config cfg;
	long long lci_start, lci_end; /* raw values: clamping happens in config_finish() */
	bool have_routes;
	char *err;
	size_t errlen;
};

/* When a changed value takes effect on reload; also printed in docs/config.md. */
enum key_apply {
	APPLY_NOW,      /* the running daemon applies it on reload */
	APPLY_NEW_TUNS, /* TUNs created after the reload use it; existing TUNs keep the old value */
	APPLY_RESTART,  /* x25lo keeps the old value until it is restarted */
};

struct config_key {
	const char *name;
	const char *type;  /* as written in the docs */
	const char *range; /* accepted values, as written in the docs */
	bool required;
	enum key_apply apply;
	const char *doc;
	size_t offset, size; /* the struct config field a restart-only key keeps on reload */
	int (*parse)(struct parse_ctx *ctx, const char *key, json_t *value);
	/* Renders the value as JSON text: defaults in the docs, -check, reload messages. */
	void (*format)(const struct config *cfg, char *buf, size_t len);
};


/* ---------------------------------------------------------------------------------------- */
/* Messages */

static int fail(struct parse_ctx *ctx, const char *fmt, ...) X25LO_PRINTF(2, 3);

/* Writes "<path>: <message>" as the one user-facing error and returns -1. */
static int fail(struct parse_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!ctx->err || ctx->errlen == 0)
		return -1;
	n = snprintf(ctx->err, ctx->errlen, "%s: ", ctx->path);
	if (n < 0 || (size_t)n >= ctx->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(ctx->err + n, ctx->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * Quotes text from the file for a message: printable ASCII as is, everything else as
 * \xNN, long text cut short, so a hostile or binary file cannot garble the terminal.
 */
static const char *quote(const char *text, char *buf, size_t len)
{
	size_t o = 0;

	buf[o++] = '"';
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (o + 8 >= len) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
			buf[o++] = (char)*p;
		else
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", *p);
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

static const char *json_type_name(const json_t *value)
{
	switch (json_typeof(value)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number with a fraction or exponent";
	case JSON_TRUE:
		return "true";
	case JSON_FALSE:
		return "false";
	case JSON_NULL:
		return "null";
	}
	return "an unknown JSON value";
}

/* "the string \"3072\"", "the number 1.5", "an array": what a wrong-typed value was. */
static const char *describe(const json_t *value, char *buf, size_t len)
{
	char q[48];

	switch (json_typeof(value)) {
	case JSON_STRING:
		snprintf(buf, len, "the string %s", quote(json_string_value(value), q, sizeof(q)));
		break;
	case JSON_INTEGER:
		snprintf(buf, len, "the integer %lld", (long long)json_integer_value(value));
		break;
	case JSON_REAL:
		snprintf(buf, len, "the number %g", json_real_value(value));
		break;
	case JSON_OBJECT:
	case JSON_ARRAY:
	case JSON_TRUE:
	case JSON_FALSE:
	case JSON_NULL:
		snprintf(buf, len, "%s", json_type_name(value));
		break;
	}
	return buf;
}

/* ---------------------------------------------------------------------------------------- */
/* Typed getters shared by the parse_<key>() functions */

static int get_integer(struct parse_ctx *ctx, const char *key, const json_t *value,
		       long long min, long long max, long long *out)
{
	char d[80];
	long long v = 0;

	if (!json_is_integer(value))
		return fail(ctx, SECTION ".%s: expected an integer, got %s; write a whole number without quotes",
			    key, describe(value, d, sizeof(d)));
	v = json_integer_value(value);
	if (v < min || v > max)
		return fail(ctx, SECTION ".%s: %lld is out of range; use a value from %lld to %lld", key, v,
			    min, max);
	*out = v;
	return 0;
}

static int get_string(struct parse_ctx *ctx, const char *key, const json_t *value, char *buf,
		      size_t size)
{
	char q[64], d[80];
	size_t len;

	if (!json_is_string(value))
		return fail(ctx, SECTION ".%s: expected a string, got %s; put the value in double quotes",
			    key, describe(value, d, sizeof(d)));
	len = json_string_length(value);
	/* jansson rejects \u0000 by default, so the length is also the C string length. */
	if (len >= size)
		return fail(ctx, SECTION ".%s: %s is %zu characters long, at most %zu are allowed; shorten it",
			    key, quote(json_string_value(value), q, sizeof(q)), len, size - 1);
	memcpy(buf, json_string_value(value), len + 1);
	return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Phase 2: one parse_<key>() per key */

static int parse_lci_start(struct parse_ctx *ctx, const char *key, json_t *value)
{
	/* Any integer: goxot clamps out-of-range LCIs with a warning instead of refusing them. */
	return get_integer(ctx, key, value, LLONG_MIN, LLONG_MAX, &ctx->lci_start);
}

static int parse_lci_end(struct parse_ctx *ctx, const char *key, json_t *value)
{
	return get_integer(ctx, key, value, LLONG_MIN, LLONG_MAX, &ctx->lci_end);
}

static int parse_stats_port(struct parse_ctx *ctx, const char *key, json_t *value)
{
	long long v = 0;

	if (get_integer(ctx, key, value, 0, 65535, &v) < 0)
		return -1;
	ctx->cfg.stats_port = (int)v;
	return 0;
}

static bool is_x121_address(const char *s, size_t len)
{
	if (len < 1 || len > CONFIG_ADDR_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int parse_routes(struct parse_ctx *ctx, const char *key, json_t *value)
{
	struct config *cfg = &ctx->cfg;
	size_t i, n;
	json_t *route;
	char q[64], d[80];

	if (!json_is_array(value))
		return fail(ctx, SECTION ".%s: expected an array of X.121 addresses, got %s; write it like [\"127001\", \"127002\"]",
			    key, describe(value, d, sizeof(d)));
	n = json_array_size(value);
	if (n == 0)
		return fail(ctx, SECTION ".%s: is empty; list at least one X.121 address, e.g. [\"127001\", \"127002\"]",
			    key);
	if (n > CONFIG_MAX_ROUTES)
		return fail(ctx, SECTION ".%s: has %zu addresses, at most %d are supported; remove some",
			    key, n, CONFIG_MAX_ROUTES);
	json_array_foreach(value, i, route) {
		const char *addr;
		size_t len;

		if (!json_is_string(route)) {
			if (json_is_integer(route))
				return fail(ctx, SECTION ".%s[%zu]: expected a string, got the number %lld; quote the address (\"%lld\") so leading zeros survive",
					    key, i, json_integer_value(route), json_integer_value(route));
			return fail(ctx, SECTION ".%s[%zu]: expected a string, got %s; write the address in double quotes",
				    key, i, describe(route, d, sizeof(d)));
		}
		addr = json_string_value(route);
		len = json_string_length(route);
		if (!is_x121_address(addr, len))
			return fail(ctx, SECTION ".%s[%zu]: %s is not an X.121 address (digits only, 1-%d digits); fix the route",
				    key, i, quote(addr, q, sizeof(q)), CONFIG_ADDR_MAX);
		for (size_t j = 0; j < i; j++)
			if (strcmp(cfg->routes[j], addr) == 0)
				return fail(ctx, SECTION ".%s[%zu]: %s repeats %s[%zu]; each address gets its own TUN, remove the duplicate",
					    key, i, quote(addr, q, sizeof(q)), key, j);
		memcpy(cfg->routes[i], addr, len + 1);
	}
	cfg->nroutes = n;
	ctx->have_routes = true;
	return 0;
}

static int parse_extended(struct parse_ctx *ctx, const char *key, json_t *value)
{
	char d[80];

	if (!json_is_boolean(value))
		return fail(ctx, SECTION ".%s: expected true or false, got %s; write true for modulo 128, false for modulo 8",
			    key, describe(value, d, sizeof(d)));
	ctx->cfg.extended = json_is_true(value);
	return 0;
}

static int parse_device_prefix(struct parse_ctx *ctx, const char *key, json_t *value)
{
	char *prefix = ctx->cfg.device_prefix;
	char q[64];

	if (get_string(ctx, key, value, prefix, sizeof(ctx->cfg.device_prefix)) < 0)
		return -1;
	if (prefix[0] == '\0')
		return fail(ctx, SECTION ".%s: is empty; use letters such as \"tunlb\", or remove the key for the default",
			    key);
	/* A subset of what the kernel's dev_valid_name() allows that is also safe in shells. */
	for (const char *p = prefix; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '_' || *p == '-'))
			return fail(ctx, SECTION ".%s: %s contains a character not allowed in an interface name; use only A-Z, a-z, 0-9, '_' and '-'",
				    key, quote(prefix, q, sizeof(q)));
	return 0;
}

static int parse_stats_bind(struct parse_ctx *ctx, const char *key, json_t *value)
{
	unsigned char addr[sizeof(struct in6_addr)];
	char *bind = ctx->cfg.stats_bind;
	char q[96];

	if (get_string(ctx, key, value, bind, sizeof(ctx->cfg.stats_bind)) < 0)
		return -1;
	if (inet_pton(AF_INET, bind, addr) != 1 && inet_pton(AF_INET6, bind, addr) != 1)
		return fail(ctx, SECTION ".%s: %s is not a numeric IPv4 or IPv6 address; use e.g. \"127.0.0.1\", \"0.0.0.0\" or \"::1\" (host names are not resolved)",
			    key, quote(bind, q, sizeof(q)));
	return 0;
}

static int parse_pcap_path(struct parse_ctx *ctx, const char *key, json_t *value)
{
	return get_string(ctx, key, value, ctx->cfg.pcap_path, sizeof(ctx->cfg.pcap_path));
}

static int parse_call_records(struct parse_ctx *ctx, const char *key, json_t *value)
{
	return get_string(ctx, key, value, ctx->cfg.call_records, sizeof(ctx->cfg.call_records));
}

static int parse_call_records_journal(struct parse_ctx *ctx, const char *key, json_t *value)
{
	char d[80];

	if (!json_is_boolean(value))
		return fail(ctx, SECTION ".%s: expected true or false, got %s; write false to keep call records out of "
			    "the journal", key, describe(value, d, sizeof(d)));
	ctx->cfg.call_records_journal = json_is_true(value);
	return 0;
}

static int parse_user(struct parse_ctx *ctx, const char *key, json_t *value)
{
	char *user = ctx->cfg.user;
	char q[64];

	if (get_string(ctx, key, value, user, sizeof(ctx->cfg.user)) < 0)
		return -1;
	/* The portable user name characters (POSIX), not starting with '-'. */
	for (const char *p = user; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '_' || *p == '.' || (*p == '-' && p != user)))
			return fail(ctx, SECTION ".%s: %s is not a user name; use the name of an existing system user "
				    "such as \"x25lo\", or \"\" to stay root with CAP_NET_ADMIN only",
				    key, quote(user, q, sizeof(q)));
	return 0;
}

static int parse_stats_cors_origin(struct parse_ctx *ctx, const char *key, json_t *value)
{
	char *origin = ctx->cfg.stats_cors_origin;
	char q[160];

	if (get_string(ctx, key, value, origin, sizeof(ctx->cfg.stats_cors_origin)) < 0)
		return -1;
	/* It becomes a header line: printable ASCII without spaces, so nothing can be injected. */
	for (const char *p = origin; *p; p++)
		if (*p <= ' ' || *p > '~')
			return fail(ctx, SECTION ".%s: %s contains a space or control character; write one origin "
				    "such as \"http://localhost:3000\", \"*\" for any, or \"\" for none",
				    key, quote(origin, q, sizeof(q)));
	return 0;
}

static int parse_xot_servers(struct parse_ctx *ctx, const char *key, json_t *value)
{
	char d[80];

	if (!json_is_boolean(value))
		return fail(ctx, SECTION ".%s: expected true or false, got %s; write true to route the top-level "
			    "\"servers\" over XOT", key, describe(value, d, sizeof(d)));
	ctx->cfg.xot_servers = json_is_true(value);
	return 0;
}

int config_parse_endpoint(const char *text, struct sockaddr_storage *ss, const char **why)
{
	char host[64];
	const char *colon, *port_text;
	size_t hostlen;
	char *end;
	long port;

	memset(ss, 0, sizeof(*ss));
	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (!close || close[1] != ':') {
			*why = "an IPv6 address goes in brackets before the port, as \"[::]:1998\"";
			return -1;
		}
		hostlen = (size_t)(close - text - 1);
		if (hostlen >= sizeof(host)) {
			*why = "the address is too long";
			return -1;
		}
		memcpy(host, text + 1, hostlen);
		port_text = close + 2;
	} else {
		colon = strrchr(text, ':');
		if (colon && strchr(text, ':') != colon) {
			*why = "an IPv6 address goes in brackets before the port, as \"[::]:1998\"";
			return -1;
		}
		if (!colon) {
			*why = "write ADDRESS:PORT, e.g. \"0.0.0.0:1998\", or \"[::]:1998\" for IPv6";
			return -1;
		}
		hostlen = (size_t)(colon - text);
		if (hostlen >= sizeof(host)) {
			*why = "the address is too long";
			return -1;
		}
		memcpy(host, text, hostlen);
		port_text = colon + 1;
	}
	host[hostlen] = '\0';
	errno = 0;
	port = strtol(port_text, &end, 10);
	if (errno || end == port_text || *end || port < 1 || port > 65535) {
		*why = "the port must be a number from 1 to 65535";
		return -1;
	}
	if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
		return 0;
	}
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->sin_addr) == 1 && text[0] != '[') {
		((struct sockaddr_in *)ss)->sin_family = AF_INET;
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
		return 0;
	}
	*why = "the address must be numeric IPv4 or IPv6 (host names are not resolved)";
	return -1;
}

static int parse_xot_listen(struct parse_ctx *ctx, const char *key, json_t *value)
{
	const char *why;
	char q[96];

	if (get_string(ctx, key, value, ctx->cfg.xot_listen, sizeof(ctx->cfg.xot_listen)) < 0)
		return -1;
	if (ctx->cfg.xot_listen[0] &&
	    config_parse_endpoint(ctx->cfg.xot_listen, &ctx->cfg.xot_listen_addr, &why) < 0)
		return fail(ctx, SECTION ".%s: %s: %s; or \"\" for no listener", key,
			    quote(ctx->cfg.xot_listen, q, sizeof(q)), why);
	return 0;
}

/* "192.0.2.7", "192.0.2.0/24", "2001:db8::/32". */
static int parse_network(const char *text, struct config_network *net)
{
	char addr[64];
	const char *slash = strchr(text, '/');
	size_t len = slash ? (size_t)(slash - text) : strlen(text);
	unsigned max;

	if (len >= sizeof(addr))
		return -1;
	memcpy(addr, text, len);
	addr[len] = '\0';
	memset(net, 0, sizeof(*net));
	if (inet_pton(AF_INET6, addr, net->addr) == 1)
		net->family = AF_INET6;
	else if (inet_pton(AF_INET, addr, net->addr) == 1)
		net->family = AF_INET;
	else
		return -1;
	max = net->family == AF_INET6 ? 128 : 32;
	net->bits = max;
	if (slash) {
		char *end;
		long bits;

		errno = 0;
		bits = strtol(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end || bits < 0 || bits > (long)max)
			return -1;
		net->bits = (unsigned)bits;
	}
	return 0;
}

static int parse_xot_allow(struct parse_ctx *ctx, const char *key, json_t *value)
{
	struct config *cfg = &ctx->cfg;
	size_t i;
	json_t *entry;
	char q[80], d[80];

	if (!json_is_array(value))
		return fail(ctx, SECTION ".%s: expected an array of addresses or networks, got %s; write it like "
			    "[\"192.0.2.7\", \"2001:db8::/32\"]", key, describe(value, d, sizeof(d)));
	if (json_array_size(value) > CONFIG_MAX_ALLOW)
		return fail(ctx, SECTION ".%s: has %zu entries, at most %d are supported; use wider networks",
			    key, json_array_size(value), CONFIG_MAX_ALLOW);
	json_array_foreach(value, i, entry) {
		if (!json_is_string(entry))
			return fail(ctx, SECTION ".%s[%zu]: expected a string, got %s; write an address or network in "
				    "double quotes", key, i, describe(entry, d, sizeof(d)));
		if (parse_network(json_string_value(entry), &cfg->xot_allow[i]) < 0)
			return fail(ctx, SECTION ".%s[%zu]: %s is not a numeric address or ADDRESS/BITS network; write "
				    "e.g. \"192.0.2.7\", \"192.0.2.0/24\" or \"2001:db8::/32\"", key, i,
				    quote(json_string_value(entry), q, sizeof(q)));
	}
	cfg->nallow = json_array_size(value);
	return 0;
}

static int parse_pcap_max_bytes(struct parse_ctx *ctx, const char *key, json_t *value)
{
	long long v = 0;

	if (get_integer(ctx, key, value, PCAP_MIN_BYTES, PCAP_MAX_BYTES, &v) < 0)
		return -1;
	ctx->cfg.pcap_max_bytes = (size_t)v;
	return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Value rendering, as JSON text */

static void format_json_string(const char *s, char *buf, size_t len)
{
	char q[1100]; /* room for 255 bytes that all need \xNN escapes */

	snprintf(buf, len, "%s", quote(s, q, sizeof(q)));
}

static void format_lci_start(const struct config *cfg, char *buf, size_t len)
{
	snprintf(buf, len, "%d", cfg->lci_start);
}

static void format_lci_end(const struct config *cfg, char *buf, size_t len)
{
	snprintf(buf, len, "%d", cfg->lci_end);
}

static void format_stats_port(const struct config *cfg, char *buf, size_t len)
{
	snprintf(buf, len, "%d", cfg->stats_port);
}

static void format_routes(const struct config *cfg, char *buf, size_t len)
{
	size_t o = 0;

	o += (size_t)snprintf(buf + o, len - o, "[");
	for (size_t i = 0; i < cfg->nroutes && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s\"%s\"", i ? ", " : "", cfg->routes[i]);
	if (o < len)
		snprintf(buf + o, len - o, "]");
}

static void format_extended(const struct config *cfg, char *buf, size_t len)
{
	snprintf(buf, len, "%s", cfg->extended ? "true" : "false");
}

static void format_device_prefix(const struct config *cfg, char *buf, size_t len)
{
	format_json_string(cfg->device_prefix, buf, len);
}

static void format_stats_bind(const struct config *cfg, char *buf, size_t len)
{
	format_json_string(cfg->stats_bind, buf, len);
}

static void format_pcap_path(const struct config *cfg, char *buf, size_t len)
{
	format_json_string(cfg->pcap_path, buf, len);
}

static void format_bool(bool v, char *buf, size_t len)
{
	snprintf(buf, len, "%s", v ? "true" : "false");
}

static void format_call_records(const struct config *cfg, char *buf, size_t len)
{
	format_json_string(cfg->call_records, buf, len);
}

static void format_call_records_journal(const struct config *cfg, char *buf, size_t len)
{
	format_bool(cfg->call_records_journal, buf, len);
}

static void format_unsigned(unsigned v, char *buf, size_t len)
{
	snprintf(buf, len, "%u", v);
}

static void format_xot_servers(const struct config *cfg, char *buf, size_t len)
{
	format_bool(cfg->xot_servers, buf, len);
}

static void format_xot_listen(const struct config *cfg, char *buf, size_t len)
{
	format_json_string(cfg->xot_listen, buf, len);
}

static void format_xot_allow(const struct config *cfg, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "[");

	for (size_t i = 0; i < cfg->nallow && n < len; i++) {
		const struct config_network *net = &cfg->xot_allow[i];
		char text[INET6_ADDRSTRLEN];

		inet_ntop(net->family, net->addr, text, sizeof(text));
		n += (size_t)snprintf(buf + n, len - n, "%s\"%s/%u\"", i ? ", " : "", text, net->bits);
	}
	if (n < len)
		snprintf(buf + n, len - n, "]");
}

static void format_user(const struct config *cfg, char *buf, size_t len)
{
	format_json_string(cfg->user, buf, len);
}

static void format_stats_cors_origin(const struct config *cfg, char *buf, size_t len)
{
	format_json_string(cfg->stats_cors_origin, buf, len);
}

static void format_pcap_max_bytes(const struct config *cfg, char *buf, size_t len)
{
	snprintf(buf, len, "%zu", cfg->pcap_max_bytes);
}

/*
 * An unsigned member whose key takes a whole number from min to max: its parse_<member>() and
 * format_<member>() for the key table.
 */
#define UNSIGNED_KEY(member, min, max)                                                             \
	static int parse_##member(struct parse_ctx *ctx, const char *key, json_t *value)          \
	{                                                                                          \
		long long v = 0;                                                                   \
                                                                                                   \
		if (get_integer(ctx, key, value, min, max, &v) < 0)                                \
			return -1;                                                                 \
		ctx->cfg.member = (unsigned)v;                                                     \
		return 0;                                                                          \
	}                                                                                          \
	static void format_##member(const struct config *cfg, char *buf, size_t len)              \
	{                                                                                          \
		format_unsigned(cfg->member, buf, len);                                            \
	}

UNSIGNED_KEY(call_timeout_ms, TIMEOUT_MIN_MS, TIMEOUT_MAX_MS)
UNSIGNED_KEY(clear_timeout_ms, TIMEOUT_MIN_MS, TIMEOUT_MAX_MS)
UNSIGNED_KEY(xot_max_connections, 1, 65536)
UNSIGNED_KEY(xot_call_request_timeout_ms, TIMEOUT_MIN_MS, TIMEOUT_MAX_MS)
UNSIGNED_KEY(xot_connect_timeout_ms, TIMEOUT_MIN_MS, TIMEOUT_MAX_MS)
UNSIGNED_KEY(xot_keepalive_idle_s, 0, 32767)
UNSIGNED_KEY(xot_keepalive_interval_s, 1, 32767)
UNSIGNED_KEY(xot_keepalive_count, 1, 127)

/* ---------------------------------------------------------------------------------------- */
/* The key table: drives parsing, -check, reload messages and docs/config.md */

/* Each key names its struct config member; parse_<member>() and format_<member>() handle it. */
#define KEY(key_name, member, ...)                                                                 \
	{ .name = key_name, .offset = offsetof(struct config, member),                            \
	  .size = sizeof(((struct config *)0)->member), .parse = parse_##member,                  \
	  .format = format_##member, __VA_ARGS__ }

static const struct config_key config_keys[] = {
	KEY("lci_start", lci_start, .type = "integer", .range = "1-4095; 0 or absent: default",
	    .apply = APPLY_NEW_TUNS,
	    .doc = "First LCI x25lo uses for the calls it injects into a TUN. Below 1 is clamped to 1 "
		   "with a warning. Values up to 255 draw a warning: the kernel numbers its own "
		   "outgoing calls from 1 upward on every TUN."),
	KEY("lci_end", lci_end, .type = "integer", .range = "1-4095; 0 or absent: default",
	    .apply = APPLY_NEW_TUNS,
	    .doc = "Last LCI of that range. Above 4095 is clamped to 4095 with a warning. If "
		   "lci_start > lci_end both are reset to 1024-2048 with a warning; lci_start == "
		   "lci_end (a single LCI) is allowed."),
	KEY("stats-port", stats_port, .type = "integer", .range = "0-65535",
	    .apply = APPLY_RESTART,
	    .doc = "TCP port of the HTTP stats server (/varz, /debug/vars); 0 turns it off. The "
		   "-stats-port option overrides it."),
	KEY("routes", routes, .type = "array of strings", .range = "1-64 unique X.121 addresses of 1-15 digits",
	    .required = true, .apply = APPLY_NOW,
	    .doc = "One TUN per address, in this order: routes[0] gets tunlb0 (with the default "
		   "device_prefix), routes[1] tunlb1, and so on, each with a kernel route for its address "
		   "with as many significant digits as the address has. On reload, added addresses get "
		   "new TUNs and removed ones are torn down."),
	KEY("extended", extended, .type = "boolean", .range = "true, false", .apply = APPLY_NEW_TUNS,
	    .doc = "Modulo-128 sequence numbering (the kernel's X.25 subscription flag \"extended\") on "
		   "every TUN; false means modulo 8. Unlike goxot it does not depend on lci_end."),
	KEY("device_prefix", device_prefix, .type = "string", .range = "1-12 of A-Z a-z 0-9 _ -",
	    .apply = APPLY_RESTART,
	    .doc = "Start of the TUN device names, followed by the route's index (tunlb0, tunlb1, ...). "
		   "At most 12 characters, so that prefix and index fit the kernel's 15."),
	KEY("stats-bind", stats_bind, .type = "string", .range = "numeric IPv4 or IPv6 address",
	    .apply = APPLY_RESTART,
	    .doc = "Address the stats server listens on. goxot listens on every interface; use "
		   "\"0.0.0.0\" or \"::\" for that."),
	KEY("call_timeout_ms", call_timeout_ms, .type = "integer", .range = "100-600000",
	    .apply = APPLY_NOW,
	    .doc = "How long a call x25lo injected may wait for CALL ACCEPTED or a clear before both "
		   "sides are cleared. Timers started after a reload use the new value."),
	KEY("clear_timeout_ms", clear_timeout_ms, .type = "integer", .range = "100-600000",
	    .apply = APPLY_NOW,
	    .doc = "How long a clearing call leg may wait for its CLEAR CONFIRMATION before x25lo "
		   "frees its LCI. Timers started after a reload use the new value."),
	KEY("pcap", pcap_path, .type = "string", .range = "file path, at most 255 bytes; \"\" = off",
	    .apply = APPLY_RESTART,
	    .doc = "Capture every relayed frame into this pcap file (for Wireshark); empty means no "
		   "capture."),
	KEY("pcap_max_bytes", pcap_max_bytes, .type = "integer", .range = "65536-1099511627776",
	    .apply = APPLY_RESTART,
	    .doc = "Upper bound on the size of the pcap file, in bytes."),
	KEY("user", user, .type = "string", .range = "a system user name; \"\" = none",
	    .apply = APPLY_RESTART,
	    .doc = "After setting up, run as this user and its group, keeping only CAP_NET_ADMIN "
		   "(docs/security.md). Empty: stay the starting user, still with CAP_NET_ADMIN only. The "
		   "-user option overrides it."),
	KEY("stats-cors-origin", stats_cors_origin, .type = "string",
	    .range = "an origin, \"*\", or \"\" = no header", .apply = APPLY_NOW,
	    .doc = "Access-Control-Allow-Origin of the stats server's answers, for a browser dashboard on "
		   "another origin. Empty (the default): no such header, so web pages in a local browser "
		   "cannot read /varz and /sessions. goxot always sends \"*\"."),
	KEY("call_records", call_records, .type = "string",
	    .range = "file path, at most 255 bytes; \"journal\"; \"\" = off", .apply = APPLY_NOW,
	    .doc = "Append one JSON line per ended or refused call to this file (docs/call-records.md), "
		   "reopened on SIGHUP for logrotate; \"journal\" sends them to the journal only. The "
		   "-call-records option overrides it."),
	KEY("call_records_journal", call_records_journal, .type = "boolean", .range = "true, false",
	    .apply = APPLY_NOW,
	    .doc = "When stderr is the journal (under systemd), also send each call record to it with "
		   "structured fields."),
	KEY("xot_servers", xot_servers, .type = "boolean", .range = "true, false", .apply = APPLY_NOW,
	    .doc = "Route calls to the prefixes of the top-level \"servers\" array (goxot's format) over XOT "
		   "(docs/xot.md). Off by default, so a config shared with goxot's own XOT tools is left to "
		   "them."),
	KEY("xot_listen", xot_listen, .type = "string", .range = "\"ADDRESS:PORT\", \"[IPv6]:PORT\"; \"\" = off",
	    .apply = APPLY_RESTART,
	    .doc = "Accept XOT calls on this TCP address (RFC 1613 uses port 1998), only from xot_allow."),
	KEY("xot_allow", xot_allow, .type = "array of strings", .range = "addresses or ADDRESS/BITS networks",
	    .apply = APPLY_NOW,
	    .doc = "Peers the XOT listener accepts; XOT has no authentication of its own. Required with "
		   "xot_listen."),
	KEY("xot_max_connections", xot_max_connections, .type = "integer", .range = "1-65536",
	    .apply = APPLY_NOW,
	    .doc = "Inbound XOT connections open at once; one more is closed at once."),
	KEY("xot_call_request_timeout_ms", xot_call_request_timeout_ms, .type = "integer", .range = "100-600000",
	    .apply = APPLY_NOW,
	    .doc = "How long an inbound XOT connection may take to send its CALL REQUEST."),
	KEY("xot_connect_timeout_ms", xot_connect_timeout_ms, .type = "integer", .range = "100-600000",
	    .apply = APPLY_NOW,
	    .doc = "How long x25lo waits for each address of an XOT server to accept the TCP connection."),
	KEY("xot_keepalive_idle_s", xot_keepalive_idle_s, .type = "integer", .range = "0-32767; 0 = off",
	    .apply = APPLY_NOW,
	    .doc = "TCP keepalive on XOT connections: seconds of silence before the first probe, so a peer "
		   "that vanished is noticed and its call cleared. Connections opened afterwards use a new value."),
	KEY("xot_keepalive_interval_s", xot_keepalive_interval_s, .type = "integer", .range = "1-32767",
	    .apply = APPLY_NOW, .doc = "Seconds between TCP keepalive probes."),
	KEY("xot_keepalive_count", xot_keepalive_count, .type = "integer", .range = "1-127",
	    .apply = APPLY_NOW, .doc = "Unanswered TCP keepalive probes after which the connection is dropped."),
};

#define NKEYS (sizeof(config_keys) / sizeof(config_keys[0]))

static const char *apply_text(enum key_apply apply)
{
	switch (apply) {
	case APPLY_NOW:
		return "on reload";
	case APPLY_NEW_TUNS:
		return "on reload, for TUNs created afterwards";
	case APPLY_RESTART:
		return "after a restart";
	}
	return "?";
}

static const struct config_key *find_key(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(config_keys[i].name, name) == 0)
			return &config_keys[i];
	return NULL;
}

/* Edit distance, to suggest the key a typo probably meant. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[32];

	if (la >= 32 || lb >= 32)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

static void warn_unknown_key(const char *path, const char *key)
{
	const struct config_key *closest = NULL;
	size_t best = 4; /* further than 3 edits is no longer a typo */
	char q[64];

	for (size_t i = 0; i < NKEYS; i++) {
		size_t d = edit_distance(key, config_keys[i].name);

		if (d < best) {
			best = d;
			closest = &config_keys[i];
		}
	}
	if (closest)
		log_warn("%s: " SECTION ": unknown key %s ignored; did you mean \"%s\"?", path,
			 quote(key, q, sizeof(q)), closest->name);
	else
		log_warn("%s: " SECTION ": unknown key %s ignored; see docs/config.md for the keys x25lo reads",
			 path, quote(key, q, sizeof(q)));
}

/* ---------------------------------------------------------------------------------------- */
/* Phases 1 and 3, and the public interface */

void config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->lci_start = CONFIG_DEFAULT_LCI_START;
	cfg->lci_end = CONFIG_DEFAULT_LCI_END;
	cfg->stats_port = 0;
	snprintf(cfg->stats_bind, sizeof(cfg->stats_bind), "%s", CONFIG_DEFAULT_STATS_BIND);
	cfg->extended = false;
	snprintf(cfg->device_prefix, sizeof(cfg->device_prefix), "%s", CONFIG_DEFAULT_PREFIX);
	cfg->call_timeout_ms = CONFIG_DEFAULT_CALL_TIMEOUT_MS;
	cfg->clear_timeout_ms = CONFIG_DEFAULT_CLEAR_TIMEOUT_MS;
	cfg->pcap_max_bytes = CONFIG_DEFAULT_PCAP_MAX_BYTES;
	cfg->call_records_journal = true;
	cfg->xot_max_connections = CONFIG_DEFAULT_XOT_MAX_CONNECTIONS;
	cfg->xot_call_request_timeout_ms = CONFIG_DEFAULT_XOT_CALL_REQUEST_TIMEOUT_MS;
	cfg->xot_connect_timeout_ms = CONFIG_DEFAULT_XOT_CONNECT_TIMEOUT_MS;
	cfg->xot_keepalive_idle_s = CONFIG_DEFAULT_XOT_KEEPALIVE_IDLE_S;
	cfg->xot_keepalive_interval_s = CONFIG_DEFAULT_XOT_KEEPALIVE_INTERVAL_S;
	cfg->xot_keepalive_count = CONFIG_DEFAULT_XOT_KEEPALIVE_COUNT;
}

static unsigned decimal_digits(size_t n)
{
	unsigned digits = 1;

	while (n >= 10) {
		n /= 10;
		digits++;
	}
	return digits;
}

/* Phase 3: defaults for absent values, goxot's LCI clamping, and checks across keys. */
static int config_finish(struct parse_ctx *ctx)
{
	struct config *cfg = &ctx->cfg;
	long long start = ctx->lci_start, end = ctx->lci_end;

	if (!ctx->have_routes)
		return fail(ctx, SECTION ".routes: missing; add the X.121 addresses to serve, e.g. \"routes\": [\"127001\", \"127002\"]");

	/* As goxot: 0 means "not set", then clamp, then an inverted range falls back to defaults. */
	if (start == 0)
		start = CONFIG_DEFAULT_LCI_START;
	if (end == 0)
		end = CONFIG_DEFAULT_LCI_END;
	if (start < LCI_MIN) {
		log_warn("%s: " SECTION ".lci_start %lld < minimum %d, clamping to %d", ctx->path, start,
			 LCI_MIN, LCI_MIN);
		start = LCI_MIN;
	}
	if (end > LCI_MAX) {
		log_warn("%s: " SECTION ".lci_end %lld > maximum %d, clamping to %d", ctx->path, end,
			 LCI_MAX, LCI_MAX);
		end = LCI_MAX;
	}
	/* Unlike goxot, start == end is a valid one-LCI range. */
	if (start > end) {
		log_warn("%s: " SECTION ".lci_start %lld > lci_end %lld, resetting to defaults %d-%d",
			 ctx->path, start, end, CONFIG_DEFAULT_LCI_START, CONFIG_DEFAULT_LCI_END);
		start = CONFIG_DEFAULT_LCI_START;
		end = CONFIG_DEFAULT_LCI_END;
	}
	cfg->lci_start = (int)start;
	cfg->lci_end = (int)end;
	/*
	 * The kernel numbers its outgoing calls 1, 2, 3, ... on every TUN (lowest free LCI),
	 * so a TUN with lci_start concurrent outgoing calls meets the injected range, and a
	 * CALL REQUEST can cross an INCOMING CALL on the same LCI.
	 */
	if (cfg->lci_start <= CONFIG_LOW_LCI_WARN)
		log_warn("%s: " SECTION ".lci_start %d is low: the kernel gives its own outgoing calls LCIs from 1 upward on every TUN, so the two meet once one TUN has %d outgoing calls open; use %d or more (e.g. 3072-4095 as in the goxot article)",
			 ctx->path, cfg->lci_start, cfg->lci_start, CONFIG_LOW_LCI_WARN + 1);

	if (cfg->xot_listen[0] && cfg->nallow == 0)
		return fail(ctx, SECTION ".xot_allow: missing or empty while xot_listen is set; XOT has no "
			    "authentication, so list the peers' addresses or networks, e.g. \"xot_allow\": [\"192.0.2.0/24\"]");
	if (strlen(cfg->device_prefix) + decimal_digits(cfg->nroutes - 1) > IFNAMSIZ - 1)
		return fail(ctx, SECTION ".device_prefix: \"%s\" plus a device index of %u digits exceeds the kernel's %d characters for interface names; shorten it",
			    cfg->device_prefix, decimal_digits(cfg->nroutes - 1), IFNAMSIZ - 1);
	return 0;
}

/* One "servers" entry's "prefix": goxot's "<digits>/<number of digits>". */
static int parse_server_prefix(struct parse_ctx *ctx, size_t i, const json_t *value, struct config_server *srv)
{
	const char *text = json_string_value(value), *slash;
	char q[64];
	size_t digits;
	long count;
	char *end;

	if (!text)
		return fail(ctx, "servers[%zu].prefix: expected a string like \"123/3\" (digits, slash, their count)", i);
	slash = strchr(text, '/');
	digits = slash ? (size_t)(slash - text) : 0;
	if (!slash || !is_x121_address(text, digits))
		return fail(ctx, "servers[%zu].prefix: %s is not \"<digits>/<count>\"; write e.g. \"123/3\" for the "
			    "prefix 123", i, quote(text, q, sizeof(q)));
	errno = 0;
	count = strtol(slash + 1, &end, 10);
	if (errno || end == slash + 1 || *end || count != (long)digits)
		return fail(ctx, "servers[%zu].prefix: %s: the number after '/' must be the number of digits "
			    "before it (%zu), as goxot requires; write \"%.*s/%zu\"", i, quote(text, q, sizeof(q)),
			    digits, (int)digits, text, digits);
	memcpy(srv->prefix, text, digits);
	srv->prefix[digits] = '\0';
	return 0;
}

static int parse_server_string(struct parse_ctx *ctx, size_t i, const char *key, const json_t *value,
			       char *buf, size_t size)
{
	char q[64], d[80];

	if (!json_is_string(value))
		return fail(ctx, "servers[%zu].%s: expected a string, got %s; put the value in double quotes", i, key,
			    describe(value, d, sizeof(d)));
	if (json_string_length(value) >= size)
		return fail(ctx, "servers[%zu].%s: %s is longer than %zu characters; shorten it", i, key,
			    quote(json_string_value(value), q, sizeof(q)), size - 1);
	memcpy(buf, json_string_value(value), json_string_length(value) + 1);
	return 0;
}

static int parse_server(struct parse_ctx *ctx, size_t i, json_t *entry, struct config_server *srv)
{
	json_t *prefix = json_object_get(entry, "prefix"), *ip = json_object_get(entry, "ip");
	json_t *port = json_object_get(entry, "port"), *name = json_object_get(entry, "dns_name");
	json_t *pattern = json_object_get(entry, "dns_pattern");
	unsigned char addr[sizeof(struct in6_addr)];
	char q[80], d[80], why[256];

	memset(srv, 0, sizeof(*srv));
	if (!prefix)
		return fail(ctx, "servers[%zu]: has no \"prefix\"; add the X.121 prefix it serves, e.g. \"prefix\": \"123/3\"", i);
	if (parse_server_prefix(ctx, i, prefix, srv) < 0)
		return -1;
	if (ip && parse_server_string(ctx, i, "ip", ip, srv->ip, sizeof(srv->ip)) < 0)
		return -1;
	if (name && parse_server_string(ctx, i, "dns_name", name, srv->dns_name, sizeof(srv->dns_name)) < 0)
		return -1;
	if (pattern && parse_server_string(ctx, i, "dns_pattern", pattern, srv->dns_pattern, sizeof(srv->dns_pattern)) < 0)
		return -1;
	if (srv->ip[0] && (srv->dns_name[0] || srv->dns_pattern[0]))
		return fail(ctx, "servers[%zu] (%s): has both \"ip\" and DNS keys; keep one of them", i, srv->prefix);
	if (!srv->ip[0] && !srv->dns_name[0])
		return fail(ctx, "servers[%zu] (%s): has neither \"ip\" nor \"dns_name\"; say where calls to %s go",
			    i, srv->prefix, srv->prefix);
	if (srv->ip[0] && inet_pton(AF_INET, srv->ip, addr) != 1 && inet_pton(AF_INET6, srv->ip, addr) != 1)
		return fail(ctx, "servers[%zu].ip: %s is not a numeric IPv4 or IPv6 address; for a host name use "
			    "\"dns_name\"", i, quote(srv->ip, q, sizeof(q)));
	if (srv->dns_name[0] && !srv->dns_pattern[0])
		snprintf(srv->dns_pattern, sizeof(srv->dns_pattern), "%s", CONFIG_DEFAULT_XOT_DNS_PATTERN);
	if (srv->dns_name[0] && xot_dns_check(srv->dns_pattern, srv->dns_name, why, sizeof(why)) < 0)
		return fail(ctx, "servers[%zu] (%s): %s", i, srv->prefix, why);
	srv->port = CONFIG_XOT_PORT;
	if (port) {
		if (!json_is_integer(port) || json_integer_value(port) < 0 || json_integer_value(port) > 65535)
			return fail(ctx, "servers[%zu].port: expected a port number 1-65535, got %s; leave it out (or 0) "
				    "for XOT's 1998", i, describe(port, d, sizeof(d)));
		if (json_integer_value(port) != 0)
			srv->port = (int)json_integer_value(port);
	}
	return 0;
}

/* goxot's top-level "servers", read only when xot_servers is true. */
static int parse_servers(struct parse_ctx *ctx, json_t *root)
{
	json_t *servers = json_object_get(root, "servers"), *entry;
	struct config *cfg = &ctx->cfg;
	char d[80];
	size_t i;

	if (!servers)
		return fail(ctx, SECTION ".xot_servers is true but the file has no top-level \"servers\"; add it, e.g. "
			    "\"servers\": [{\"prefix\": \"123/3\", \"ip\": \"192.0.2.1\"}], or set xot_servers to false");
	if (!json_is_array(servers))
		return fail(ctx, "servers: expected an array of objects, got %s; see docs/xot.md",
			    describe(servers, d, sizeof(d)));
	if (json_array_size(servers) > CONFIG_MAX_SERVERS)
		return fail(ctx, "servers: has %zu entries, at most %d are supported; merge prefixes",
			    json_array_size(servers), CONFIG_MAX_SERVERS);
	json_array_foreach(servers, i, entry) {
		if (!json_is_object(entry))
			return fail(ctx, "servers[%zu]: expected an object, got %s; write {\"prefix\": \"123/3\", \"ip\": \"192.0.2.1\"}",
				    i, describe(entry, d, sizeof(d)));
		if (parse_server(ctx, i, entry, &cfg->servers[i]) < 0)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (strcmp(cfg->servers[j].prefix, cfg->servers[i].prefix) == 0)
				return fail(ctx, "servers[%zu]: the prefix %s repeats servers[%zu]; keep one entry per prefix",
					    i, cfg->servers[i].prefix, j);
	}
	cfg->nservers = json_array_size(servers);
	return 0;
}

bool config_xot_allowed(const struct config *cfg, const struct sockaddr *addr)
{
	const uint8_t *bytes;
	int family = addr->sa_family;
	uint8_t mapped[4];

	if (family == AF_INET) {
		bytes = (const uint8_t *)&((const struct sockaddr_in *)(const void *)addr)->sin_addr;
	} else if (family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)(const void *)addr)->sin6_addr;

		bytes = a6->s6_addr;
		/* An IPv4 peer on a dual-stack listener arrives as ::ffff:a.b.c.d. */
		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			memcpy(mapped, a6->s6_addr + 12, 4);
			bytes = mapped;
			family = AF_INET;
		}
	} else {
		return false;
	}
	for (size_t i = 0; i < cfg->nallow; i++) {
		const struct config_network *net = &cfg->xot_allow[i];
		unsigned full = net->bits / 8, rest = net->bits % 8;

		if (net->family != family || memcmp(net->addr, bytes, full) != 0)
			continue;
		if (rest && ((net->addr[full] ^ bytes[full]) & (uint8_t)(0xFF << (8 - rest))))
			continue;
		return true;
	}
	return false;
}

/* Phase 1: read the file and find the section. Returns NULL after writing the message. */
static json_t *load_document(struct parse_ctx *ctx)
{
	json_error_t jerr;
	struct stat st;
	json_t *root;
	FILE *fp;

	fp = fopen(ctx->path, "r");
	if (!fp) {
		int e = errno;

		if (e == ENOENT)
			fail(ctx, "%s; pass -config FILE or create %s%s", strerror(e), ctx->path,
			     strchr(ctx->path, '/') ? "" : " in the working directory");
		else
			fail(ctx, "%s; check the path and that the user running x25lo may read it",
			     strerror(e));
		return NULL;
	}
	if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(fp);
		fail(ctx, "is a directory; pass the JSON file itself with -config FILE");
		return NULL;
	}
	root = json_loadf(fp, 0, &jerr);
	fclose(fp);
	if (!root) {
		/* The path is repeated by hand: jansson names the stream "<stream>". */
		if (ctx->err && ctx->errlen)
			snprintf(ctx->err, ctx->errlen, "%s:%d:%d: invalid JSON: %s; fix the syntax there",
				 ctx->path, jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		fail(ctx, "the top level is %s, expected an object holding a \"" SECTION "\" section; see docs/config.md",
		     json_type_name(root));
		json_decref(root);
		return NULL;
	}
	return root;
}

/*
 * Whoever can write the config decides which routes, devices and capture file x25lo sets
 * up with CAP_NET_ADMIN (docs/security.md): say so when that is more than its owner.
 */
static void warn_if_others_can_write(const char *path)
{
	struct stat st;
	char dir[PATH_MAX];
	char *slash;

	if (stat(path, &st) == 0 && (st.st_mode & (S_IWGRP | S_IWOTH)))
		log_warn("%s is writable by %s (mode %04o): whoever can write it chooses the routes, devices, "
			 "capture and call records files x25lo sets up; make it writable by its owner only (chmod go-w %s)",
			 path, (st.st_mode & S_IWOTH) ? "everyone" : "its group", (unsigned)(st.st_mode & 07777), path);
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	/* x25lo follows editors that replace the file: a directory others may write is as open. */
	if (stat(dir, &st) == 0 && (st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX))
		log_warn("the directory %s of %s is writable by everyone (mode %04o): anyone can replace the "
			 "config; keep it in a directory only its owner can write (chmod o-w %s)",
			 dir, path, (unsigned)(st.st_mode & 07777), dir);
}

int config_load(const char *path, struct config *cfg, char *err, size_t errlen)
{
	struct parse_ctx ctx = { .path = path, .err = err, .errlen = errlen };
	json_t *root, *section, *value;
	const char *key;
	int rc = -1;

	if (err && errlen)
		err[0] = '\0';
	config_defaults(&ctx.cfg);
	root = load_document(&ctx);
	if (!root)
		return -1;

	/* Every other section belongs to other goxot tools and is ignored, as goxot does. */
	section = json_object_get(root, SECTION);
	if (!section) {
		fail(&ctx, "no \"" SECTION "\" section; add one, e.g. \"" SECTION "\": {\"lci_start\": 3072, \"lci_end\": 4095, \"stats-port\": 8004, \"routes\": [\"127001\", \"127002\"]}");
		goto out;
	}
	if (!json_is_object(section)) {
		fail(&ctx, SECTION ": expected an object, got %s; write it as \"" SECTION "\": {\"routes\": [...], ...}",
		     json_type_name(section));
		goto out;
	}

	/* Phase 2: known keys in table order, so the first error reported is predictable. */
	for (size_t i = 0; i < NKEYS; i++) {
		value = json_object_get(section, config_keys[i].name);
		if (value && config_keys[i].parse(&ctx, config_keys[i].name, value) < 0)
			goto out;
	}
	if (config_finish(&ctx) < 0)
		goto out;
	if (ctx.cfg.xot_servers && parse_servers(&ctx, root) < 0)
		goto out;
	/* Warn only once the section is valid, so a failed load prints just its one error. */
	json_object_foreach(section, key, value)
		if (!find_key(key))
			warn_unknown_key(path, key);
	warn_if_others_can_write(path);
	*cfg = ctx.cfg;
	rc = 0;
out:
	json_decref(root);
	return rc;
}

static void print_stats_endpoint(FILE *out, const struct config *cfg)
{
	if (cfg->stats_port == 0) {
		fprintf(out, "  stats server:   off (stats-port 0)\n");
		return;
	}
	if (strchr(cfg->stats_bind, ':'))
		fprintf(out, "  stats server:   http://[%s]:%d/varz\n", cfg->stats_bind, cfg->stats_port);
	else
		fprintf(out, "  stats server:   http://%s:%d/varz\n", cfg->stats_bind, cfg->stats_port);
}

void config_print(FILE *out, const struct config *cfg)
{
	char value[FORMAT_MAX];

	fprintf(out, "x25lo would set up %zu TUN%s:\n", cfg->nroutes, cfg->nroutes == 1 ? "" : "s");
	for (size_t i = 0; i < cfg->nroutes; i++)
		fprintf(out, "  %s%zu -> address %s (kernel route %s/%zu, injected LCIs %d-%d, modulo %d)\n",
			cfg->device_prefix, i, cfg->routes[i], cfg->routes[i], strlen(cfg->routes[i]),
			cfg->lci_start, cfg->lci_end, cfg->extended ? 128 : 8);
	fprintf(out, "  LCI range:      %d-%d (%d LCI%s per TUN)\n", cfg->lci_start, cfg->lci_end,
		cfg->lci_end - cfg->lci_start + 1, cfg->lci_end == cfg->lci_start ? "" : "s");
	print_stats_endpoint(out, cfg);
	fprintf(out, "  timers:         call setup %u ms, clear confirmation %u ms\n",
		cfg->call_timeout_ms, cfg->clear_timeout_ms);
	if (cfg->pcap_path[0])
		fprintf(out, "  pcap:           %s (at most %zu bytes)\n", cfg->pcap_path,
			cfg->pcap_max_bytes);
	else
		fprintf(out, "  pcap:           off\n");
	if (cfg->call_records[0])
		fprintf(out, "  call records:   %s%s\n", cfg->call_records,
			strcmp(cfg->call_records, "journal") == 0 ? ""
			: cfg->call_records_journal          ? " (and the journal under systemd)"
							     : "");
	else
		fprintf(out, "  call records:   off\n");
	if (cfg->xot_servers) {
		fprintf(out, "  XOT routes:     %zu (kernel routes to %sxot)\n", cfg->nservers, cfg->device_prefix);
		for (size_t i = 0; i < cfg->nservers; i++) {
			const struct config_server *srv = &cfg->servers[i];

			if (srv->ip[0])
				fprintf(out, "    %s/%zu -> %s%s%s:%d\n", srv->prefix, strlen(srv->prefix),
					strchr(srv->ip, ':') ? "[" : "", srv->ip, strchr(srv->ip, ':') ? "]" : "",
					srv->port);
			else
				fprintf(out, "    %s/%zu -> DNS %s from %s, port %d\n", srv->prefix, strlen(srv->prefix),
					srv->dns_name, srv->dns_pattern, srv->port);
		}
	} else {
		fprintf(out, "  XOT routes:     off (xot_servers is false)\n");
	}
	if (cfg->xot_listen[0])
		fprintf(out, "  XOT listener:   %s, from %zu allowed network%s, at most %u connections\n",
			cfg->xot_listen, cfg->nallow, cfg->nallow == 1 ? "" : "s", cfg->xot_max_connections);
	else
		fprintf(out, "  XOT listener:   off\n");
	fprintf(out, "Effective \"" SECTION "\" keys:\n");
	for (size_t i = 0; i < NKEYS; i++) {
		config_keys[i].format(cfg, value, sizeof(value));
		fprintf(out, "  %-17s %s\n", config_keys[i].name, value);
	}
}

unsigned config_reload_merge(struct config *next, const struct config *running)
{
	char was[FORMAT_MAX];
	char now[sizeof(was)];
	unsigned pending = 0;

	for (size_t i = 0; i < NKEYS; i++) {
		const struct config_key *k = &config_keys[i];

		k->format(running, was, sizeof(was));
		k->format(next, now, sizeof(now));
		if (strcmp(was, now) == 0)
			continue;
		switch (k->apply) {
		case APPLY_NOW:
			log_info(SECTION ".%s changed from %s to %s", k->name, was, now);
			break;
		case APPLY_NEW_TUNS:
			log_info(SECTION ".%s changed from %s to %s; TUNs created from now on use it, existing TUNs keep %s",
				 k->name, was, now, was);
			break;
		case APPLY_RESTART:
			log_warn(SECTION ".%s changed from %s to %s; x25lo keeps %s until it is restarted",
				 k->name, was, now, was);
			memcpy((char *)next + k->offset, (const char *)running + k->offset, k->size);
			pending++;
			break;
		}
	}
	/* What the listener really binds goes with its text. */
	if (strcmp(next->xot_listen, running->xot_listen) == 0)
		next->xot_listen_addr = running->xot_listen_addr;
	if (next->nservers != running->nservers ||
	    memcmp(next->servers, running->servers, next->nservers * sizeof(next->servers[0])) != 0)
		log_info("servers changed: %zu XOT routes now", next->xot_servers ? next->nservers : 0);
	return pending;
}

/* Pipes would end a Markdown table cell early. */
static void write_cell(FILE *out, const char *text)
{
	for (const char *p = text; *p; p++) {
		if (*p == '|')
			fputc('\\', out);
		fputc(*p, out);
	}
}

void config_write_key_table(FILE *out)
{
	char value[256];
	struct config defaults;

	config_defaults(&defaults);
	fprintf(out, "| Key | Type | Default | Accepted | Takes effect | Meaning |\n");
	fprintf(out, "|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < NKEYS; i++) {
		const struct config_key *k = &config_keys[i];

		fprintf(out, "| `%s` | %s | ", k->name, k->type);
		if (k->required) {
			fprintf(out, "none (required)");
		} else {
			k->format(&defaults, value, sizeof(value));
			fputc('`', out);
			write_cell(out, value);
			fputc('`', out);
		}
		fprintf(out, " | ");
		write_cell(out, k->range);
		fprintf(out, " | %s | ", apply_text(k->apply));
		write_cell(out, k->doc);
		fprintf(out, " |\n");
	}
}
