// SPDX-License-Identifier: GPL-2.0-or-later
/* config.h - the "tun-loopback" section of goxot's shared config.json. */
#ifndef X25LO_CONFIG_H
#define X25LO_CONFIG_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#define CONFIG_MAX_ROUTES 64
#define CONFIG_ADDR_MAX 15 /* X.121 digits, as the kernel's struct x25_address */

#define CONFIG_DEFAULT_LCI_START 1024
#define CONFIG_DEFAULT_LCI_END 2048
#define CONFIG_DEFAULT_PREFIX "tunlb"
#define CONFIG_DEFAULT_STATS_BIND "127.0.0.1"
#define CONFIG_DEFAULT_CALL_TIMEOUT_MS 30000  /* injected call waiting for CALL ACCEPTED */
#define CONFIG_DEFAULT_CLEAR_TIMEOUT_MS 10000 /* clearing leg waiting for CLEAR CONFIRMATION */
#define CONFIG_DEFAULT_PCAP_MAX_BYTES (64u * 1024 * 1024)

#define CONFIG_MAX_SERVERS 64
#define CONFIG_MAX_ALLOW 64
#define CONFIG_XOT_PORT 1998 /* RFC 1613 */
#define CONFIG_DEFAULT_XOT_DNS_PATTERN "^(...)(...)" /* goxot's, when only dns_name is given */
#define CONFIG_DEFAULT_XOT_MAX_CONNECTIONS 256
#define CONFIG_DEFAULT_XOT_CALL_REQUEST_TIMEOUT_MS 10000 /* an inbound connection's first packet */
#define CONFIG_DEFAULT_XOT_CONNECT_TIMEOUT_MS 5000       /* per address, as goxot */
#define CONFIG_DEFAULT_XOT_KEEPALIVE_IDLE_S 60
#define CONFIG_DEFAULT_XOT_KEEPALIVE_INTERVAL_S 10
#define CONFIG_DEFAULT_XOT_KEEPALIVE_COUNT 6

/* One entry of goxot's top-level "servers": where calls to a prefix go over XOT. */
struct config_server {
	char prefix[CONFIG_ADDR_MAX + 1]; /* X.121 digits; a called address starting with them matches */
	char ip[64];                      /* numeric IPv4 or IPv6; "" in DNS mode */
	int port;
	char dns_name[254];               /* template with \1..\9 for the pattern's groups; "" with ip */
	char dns_pattern[128];            /* applied to the called address */
};

/* An address or network peers may connect from (xot_allow). */
struct config_network {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	unsigned bits;
};

struct config {
	int lci_start, lci_end; /* after defaults and clamping: 1 <= start <= end <= 4095 */
	int stats_port;         /* 0 = stats server off */
	char stats_bind[64];    /* numeric IPv4/IPv6 address */
	size_t nroutes;
	char routes[CONFIG_MAX_ROUTES][CONFIG_ADDR_MAX + 1]; /* order = device index */
	bool extended;                                        /* modulo 128 on every TUN */
	char device_prefix[IFNAMSIZ - 3];                     /* room for up to 2 digits + NUL */
	unsigned call_timeout_ms, clear_timeout_ms;
	char pcap_path[256]; /* "" = no capture */
	size_t pcap_max_bytes;
	char user[33];               /* "" = keep the starting user (root), with CAP_NET_ADMIN only */
	char stats_cors_origin[128]; /* "" = no Access-Control-Allow-Origin header */
	char call_records[256];      /* call records file, "journal", or "" = off (docs/call-records.md) */
	bool call_records_journal;   /* copy records to the journal when stderr is the journal */

	/* XOT (docs/xot.md) */
	bool xot_servers;            /* route goxot's "servers" prefixes over XOT */
	size_t nservers;
	struct config_server servers[CONFIG_MAX_SERVERS];
	char xot_listen[64];         /* "ADDR:PORT" or "[ADDR]:PORT"; "" = no listener */
	struct sockaddr_storage xot_listen_addr;
	size_t nallow;
	struct config_network xot_allow[CONFIG_MAX_ALLOW];
	unsigned xot_max_connections, xot_call_request_timeout_ms, xot_connect_timeout_ms;
	unsigned xot_keepalive_idle_s, xot_keepalive_interval_s, xot_keepalive_count;
};

/* Fill *cfg with every default (as if the section were empty). */
void config_defaults(struct config *cfg);

/*
 * Load and validate path into *cfg. On success returns 0; warnings (clamped LCIs, a
 * low lci_start) are logged with log_warn. On failure returns -1, leaves *cfg untouched
 * and writes one user-facing message to err ("<path>:<line>:<col>: <key>: <problem>;
 * <what to do>").
 */
int config_load(const char *path, struct config *cfg, char *err, size_t errlen);

/* Human-readable description of what would be set up (used by -check). */
void config_print(FILE *out, const struct config *cfg);

/*
 * Run after a successful reload, before the daemon applies next. Logs every changed key
 * and when it takes effect. Keys that need a restart (stats-port, stats-bind,
 * device_prefix, pcap, pcap_max_bytes) are copied back from running into next, so next
 * describes what really runs. routes, timers apply now; lci_start, lci_end and extended
 * apply to TUNs created from now on. Returns how many changed keys wait for a restart.
 */
unsigned config_reload_merge(struct config *next, const struct config *running);

/*
 * Parse "ADDR:PORT" or "[IPv6]:PORT" (numeric addresses only) into ss. Returns 0, or -1 with
 * a reason in why.
 */
int config_parse_endpoint(const char *text, struct sockaddr_storage *ss, const char **why);

/* Whether addr (struct sockaddr_in or _in6) is inside one of cfg's xot_allow networks. */
bool config_xot_allowed(const struct config *cfg, const struct sockaddr *addr);

/* The key reference table of docs/config.md (Markdown), generated from the key table. */
void config_write_key_table(FILE *out);

/* lci_start values up to this one are warned about: the kernel hands out LCIs from 1 up. */
#define CONFIG_LOW_LCI_WARN 255

#endif
