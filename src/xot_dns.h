// SPDX-License-Identifier: GPL-2.0-or-later
/* xot_dns.h - goxot's DNS mode: a called X.121 address to the DNS name of its XOT server. */
#ifndef X25LO_XOT_DNS_H
#define X25LO_XOT_DNS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A "servers" entry in DNS mode has dns_pattern, a Go (RE2) regular expression applied to
 * the called address, and dns_name, a template where \1..\9 stand for the pattern's capture
 * groups: pattern "^(\d{4})(\d+)" and name "\2.\1.x25.org" map 12345678 to 5678.1234.x25.org.
 * x25lo compiles the pattern once with POSIX regcomp (REG_EXTENDED), after translating what
 * RE2 writes differently (\d and friends, escapes in brackets, named groups) and refusing
 * what POSIX cannot express (lazy quantifiers, (?...) flags and non-capturing groups, \b).
 * The functions are pure: no network, no logging; errors come back as text.
 */

#define XOT_DNS_NAME_MAX 253 /* characters of a DNS name, without a trailing dot */

struct xot_dns_map;

/*
 * Compile pattern ("" or NULL: goxot's default "^(...)(...)") and check dns_name: every '\'
 * must start \1..\9 naming a group the pattern has, the rest only characters a DNS name or
 * a numeric address can hold. Returns the map, or NULL with the reason in err (which names
 * the key, not the entry: the caller adds "servers[i] (prefix)"); NULL with "out of memory"
 * too.
 */
struct xot_dns_map *xot_dns_map_new(const char *pattern, const char *dns_name, char *err, size_t err_size);
void xot_dns_map_free(struct xot_dns_map *m);

/* The same checks for a config loader that keeps only the strings: 0, or -1 with err. */
int xot_dns_check(const char *pattern, const char *dns_name, char *err, size_t err_size);

/*
 * The name for a called address: the pattern's first match (leftmost-longest, POSIX), its
 * groups put into dns_name (a group that took part in no match gives ""). Returns the
 * name's length, or -1 with err when the address does not match or the result is not a
 * valid DNS name (nor a numeric IPv4/IPv6 address). name_size should be at least
 * XOT_DNS_NAME_MAX + 2.
 */
int xot_dns_map_name(const struct xot_dns_map *m, const char *called, char *name, size_t name_size, char *err,
		     size_t err_size);

/* The pattern as configured (or the default) and the POSIX ERE it was compiled as. */
const char *xot_dns_map_pattern(const struct xot_dns_map *m);
const char *xot_dns_map_posix(const struct xot_dns_map *m);

/*
 * Translate an RE2 pattern to a POSIX ERE. Returns 0, or -1 with the reason in err (the
 * construct, its offset, and what to write instead).
 */
int xot_dns_re2_to_posix(const char *re2, char *out, size_t out_size, char *err, size_t err_size);

/*
 * Whether name can be looked up: a numeric IPv4 or IPv6 address, or a DNS name as Go's
 * resolver accepts it (at most 253 characters, or 254 ending in '.'; labels of 1-63 letters,
 * digits, '-' and '_', not starting or ending with '-'; not all digits and dots). false
 * with the reason in why.
 */
bool xot_dns_name_valid(const char *name, char *why, size_t why_size);

#endif
