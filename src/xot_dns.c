// SPDX-License-Identifier: GPL-2.0-or-later
/* xot_dns.c - goxot's DNS mode: dns_pattern (RE2, run as POSIX ERE) and dns_name to a host name. */
#include "xot_dns.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"

#define GROUPS_MAX 9 /* \1..\9: goxot's template has one digit per reference */
#define POSIX_MAX 1024

struct xot_dns_map {
	regex_t re;
	size_t groups; /* capture groups in the pattern */
	char *pattern; /* as configured, or the default */
	char *posix;   /* what regcomp compiled */
	char *name;    /* the dns_name template */
};

static int fail(char *err, size_t size, const char *fmt, ...) X25LO_PRINTF(3, 4);
static int fail(char *err, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (size) {
		va_start(ap, fmt);
		vsnprintf(err, size, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* A bounded string builder: overflow is noticed once, at the end. */
struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->len + n < o->size)
		memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void putch(struct out *o, char c)
{
	put(o, &c, 1);
}

static bool finish(struct out *o)
{
	if (o->len >= o->size) {
		if (o->size)
			o->buf[o->size - 1] = '\0';
		return false;
	}
	o->buf[o->len] = '\0';
	return true;
}

/* ---- RE2 to POSIX ERE ---- */

/* RE2's Perl classes as POSIX bracket expressions; the negated ones only outside brackets. */
static const struct {
	char c;
	const char *outside, *inside;
} perl_classes[] = {
	{'d', "[0-9]", "0-9"},
	{'D', "[^0-9]", NULL},
	{'w', "[0-9A-Za-z_]", "0-9A-Za-z_"},
	{'W', "[^0-9A-Za-z_]", NULL},
	{'s', "[\t\n\f\r ]", "\t\n\f\r "},
	{'S', "[^\t\n\f\r ]", NULL},
};

static int perl_class(char c)
{
	for (size_t i = 0; i < sizeof(perl_classes) / sizeof(perl_classes[0]); i++)
		if (perl_classes[i].c == c)
			return (int)i;
	return -1;
}

/* Why an RE2 letter or digit escape cannot be run by POSIX (none of these is in X.121). */
static const char *unsupported_escape(char c)
{
	switch (c) {
	case 'b':
	case 'B':
		return "a word boundary, which POSIX ERE does not have";
	case 'p':
	case 'P':
		return "a Unicode class, which POSIX ERE does not have; use [0-9] or a bracket expression";
	case 'Q':
	case 'E':
		return "\\Q...\\E quoting; escape each special character with '\\' instead";
	case 'x':
		return "a hex escape; write the character itself";
	case 'a':
	case 'f':
	case 'n':
	case 'r':
	case 't':
	case 'v':
		return "a control character, which never occurs in an X.121 address";
	case 'C':
		return "any byte; use '.'";
	default:
		if (c >= '0' && c <= '9')
			return "a backreference or octal escape, which RE2 does not have either";
		return "not an escape RE2 knows";
	}
}

static bool is_punct(char c)
{
	return c > ' ' && c < 0x7f && !(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z');
}

/* The members of a bracket expression, put in an order POSIX reads them as RE2 meant. */
struct bracket {
	char body[256];
	struct out o;
	bool rbracket, hyphen, caret, lbracket;
};

static void bracket_literal(struct bracket *b, char c)
{
	switch (c) {
	case ']':
		b->rbracket = true;
		break;
	case '-':
		b->hyphen = true;
		break;
	case '^':
		b->caret = true;
		break;
	case '[':
		b->lbracket = true; /* kept away from a following ':', '.' or '=' */
		break;
	default:
		putch(&b->o, c);
	}
}

/*
 * One character of a class at s[*i] (a literal, or an escaped punctuation character),
 * into *c; a Perl class (\d) gives -2 with its index in *c, an error -1.
 */
static int class_char(const char *s, size_t *i, char *c, const char *re2, char *err, size_t es)
{
	if (s[*i] != '\\') {
		*c = s[(*i)++];
		return 0;
	}
	char e = s[*i + 1];
	int k = perl_class(e);

	if (e == '\0')
		return fail(err, es, "dns_pattern \"%s\": ends inside a bracket expression with '\\'; close it with ']'",
			    re2);
	if (k >= 0) {
		if (!perl_classes[k].inside)
			return fail(err, es, "dns_pattern \"%s\": \\%c inside [...] (offset %zu) cannot be written in "
				    "POSIX ERE; use a negated bracket such as [^0-9]", re2, e, *i);
		*i += 2;
		*c = (char)k;
		return -2;
	}
	if (!is_punct(e))
		return fail(err, es, "dns_pattern \"%s\": \\%c at offset %zu is %s", re2, e, *i, unsupported_escape(e));
	*c = e;
	*i += 2;
	return 0;
}

static const char *const posix_class_names[] = {"alnum", "alpha", "blank", "cntrl", "digit", "graph", "lower",
						  "print", "punct", "space", "upper", "xdigit"};

/* [:name:] at s[*i] inside a bracket expression. */
static int named_class(const char *s, size_t *i, struct bracket *b, const char *re2, char *err, size_t es)
{
	const char *end = strstr(s + *i + 2, ":]");
	size_t n;

	if (!end)
		return fail(err, es, "dns_pattern \"%s\": \"[:\" at offset %zu has no closing \":]\"", re2, *i);
	n = (size_t)(end - (s + *i + 2));
	if (n == 4 && !strncmp(s + *i + 2, "word", 4)) {
		puts_(&b->o, "0-9A-Za-z_");
		*i += n + 4;
		return 0;
	}
	for (size_t k = 0; k < sizeof(posix_class_names) / sizeof(posix_class_names[0]); k++) {
		if (strlen(posix_class_names[k]) == n && !strncmp(s + *i + 2, posix_class_names[k], n)) {
			put(&b->o, s + *i, n + 4);
			*i += n + 4;
			return 0;
		}
	}
	return fail(err, es, "dns_pattern \"%s\": [:%.*s:] at offset %zu is not a class POSIX ERE has; use "
		    "[:digit:] or a range such as 0-9", re2, (int)n, s + *i + 2, *i);
}

/* The bracket expression starting at s[*i] == '['. */
static int bracket_expr(const char *s, size_t *i, struct out *o, const char *re2, char *err, size_t es)
{
	struct bracket b = {.o = {.buf = NULL}};
	size_t start = *i;
	bool negate = false, first = true;

	b.o = (struct out){.buf = b.body, .size = sizeof(b.body)};
	(*i)++;
	if (s[*i] == '^') {
		negate = true;
		(*i)++;
	}
	while (first || s[*i] != ']') {
		char lo, hi;
		int rc;

		if (s[*i] == '\0')
			return fail(err, es, "dns_pattern \"%s\": the '[' at offset %zu is never closed; add ']'", re2,
				    start);
		first = false;
		if (s[*i] == '[' && s[*i + 1] == ':') {
			if (s[*i + 2] == '^')
				return fail(err, es, "dns_pattern \"%s\": a negated class [:^...:] (offset %zu) cannot "
					    "be written in POSIX ERE", re2, *i);
			if (named_class(s, i, &b, re2, err, es) < 0)
				return -1;
			continue;
		}
		rc = class_char(s, i, &lo, re2, err, es);
		if (rc == -1)
			return -1;
		if (rc == -2) {
			puts_(&b.o, perl_classes[(int)lo].inside);
			continue;
		}
		if (s[*i] != '-' || s[*i + 1] == ']' || s[*i + 1] == '\0') {
			bracket_literal(&b, lo);
			continue;
		}
		(*i)++; /* a range lo-hi */
		rc = class_char(s, i, &hi, re2, err, es);
		if (rc == -1)
			return -1;
		if (rc == -2)
			return fail(err, es, "dns_pattern \"%s\": a range ending in a class (offset %zu) is not a "
				    "range; list the class on its own", re2, *i);
		if (strchr("]-^", lo) || strchr("]-^", hi))
			return fail(err, es, "dns_pattern \"%s\": the range %c-%c (before offset %zu) has ']', '-' or "
				    "'^' as an end, which POSIX reads differently; list those characters on their own",
				    re2, lo, hi, *i);
		if ((unsigned char)hi < (unsigned char)lo)
			return fail(err, es, "dns_pattern \"%s\": the range %c-%c (before offset %zu) runs backwards",
				    re2, lo, hi, *i);
		putch(&b.o, lo);
		putch(&b.o, '-');
		putch(&b.o, hi);
	}
	(*i)++;
	if (!finish(&b.o))
		return fail(err, es, "dns_pattern \"%s\": the bracket expression at offset %zu is too long", re2, start);
	if (!negate && b.caret && !b.rbracket && !b.lbracket && !b.body[0]) {
		/* Only '^' (and maybe '-'): a leading '^' would negate. */
		puts_(o, b.hyphen ? "[-^]" : "\\^");
		return 0;
	}
	putch(o, '[');
	if (negate)
		putch(o, '^');
	if (b.rbracket)
		putch(o, ']'); /* first: literal */
	puts_(o, b.body);
	if (b.lbracket)
		putch(o, '[');
	if (b.caret)
		putch(o, '^'); /* not first: literal */
	if (b.hyphen)
		putch(o, '-'); /* last: literal */
	putch(o, ']');
	return 0;
}

/* RE2's {n}, {n,}, {n,m} at s[i]; its length, or 0 when the '{' is a literal (as RE2 reads it). */
static size_t repetition(const char *s, size_t i)
{
	size_t j = i + 1, digits = 0;

	while (s[j] >= '0' && s[j] <= '9')
		j++, digits++;
	if (!digits)
		return 0;
	if (s[j] == ',') {
		j++;
		while (s[j] >= '0' && s[j] <= '9')
			j++;
	}
	return s[j] == '}' ? j + 1 - i : 0;
}

/* After a quantifier at s[i]: RE2's lazy forms and nested repetitions have no POSIX meaning. */
static int after_quantifier(const char *s, size_t i, const char *re2, char *err, size_t es)
{
	if (s[i] == '?')
		return fail(err, es, "dns_pattern \"%s\": the lazy quantifier ending at offset %zu has no POSIX "
			    "equivalent (POSIX takes the leftmost-longest match); drop the '?'", re2, i);
	if (s[i] == '*' || s[i] == '+' || (s[i] == '{' && repetition(s, i)))
		return fail(err, es, "dns_pattern \"%s\": a repetition of a repetition at offset %zu, which RE2 "
			    "refuses too; use one quantifier", re2, i);
	return 0;
}

int xot_dns_re2_to_posix(const char *re2, char *buf, size_t size, char *err, size_t es)
{
	struct out o = {.buf = buf, .size = size};
	const char *s = re2;
	size_t i = 0;

	while (s[i]) {
		char c = s[i];
		size_t n;
		int k;

		switch (c) {
		case '\\':
			c = s[i + 1];
			if (c == '\0')
				return fail(err, es, "dns_pattern \"%s\": ends with a lone '\\'; remove it or write \\\\",
					    re2);
			if ((k = perl_class(c)) >= 0)
				puts_(&o, perl_classes[k].outside);
			else if (c == 'A')
				putch(&o, '^'); /* the subject is one line: start of text */
			else if (c == 'z')
				putch(&o, '$');
			else if (!is_punct(c))
				return fail(err, es, "dns_pattern \"%s\": \\%c at offset %zu is %s", re2, c, i,
					    unsupported_escape(c));
			else if (strchr(".[]()*+?{}|^$\\", c)) {
				putch(&o, '\\');
				putch(&o, c);
			} else {
				putch(&o, c); /* RE2 may escape any punctuation; POSIX only its specials */
			}
			i += 2;
			break;
		case '[':
			if (bracket_expr(s, &i, &o, re2, err, es) < 0)
				return -1;
			break;
		case '(':
			if (s[i + 1] == '?') {
				/* A named group is still a numbered group: (?P<name>re) is (re). */
				const char *p = s + i + 2, *end;

				if (*p == 'P')
					p++;
				for (end = p + 1; *p == '<' && (isalnum((unsigned char)*end) || *end == '_'); end++)
					;
				if (*p == '<' && end > p + 1 && *end == '>') {
					putch(&o, '(');
					i = (size_t)(end + 1 - s);
					break;
				}
				return fail(err, es, "dns_pattern \"%s\": \"(?\" at offset %zu (flags or a non-capturing "
					    "group) has no POSIX equivalent; use a plain (...) group and count it in "
					    "dns_name's \\N", re2, i);
			}
			putch(&o, '(');
			i++;
			break;
		case '*':
		case '+':
		case '?':
			putch(&o, c);
			i++;
			if (after_quantifier(s, i, re2, err, es) < 0)
				return -1;
			break;
		case '{':
			n = repetition(s, i);
			if (n == 0) {
				puts_(&o, "\\{"); /* RE2 takes a '{' that starts no repetition literally */
				i++;
				break;
			}
			put(&o, s + i, n);
			i += n;
			if (after_quantifier(s, i, re2, err, es) < 0)
				return -1;
			break;
		default:
			putch(&o, c);
			i++;
		}
	}
	if (!finish(&o))
		return fail(err, es, "dns_pattern \"%s\": too long as a POSIX ERE (over %zu characters); shorten it",
			    re2, size - 1);
	return 0;
}

/* ---- names ---- */

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '_' || c == '.';
}

/* c for a message: printable as itself, else as \xNN. */
static const char *show_char(char c, char buf[8])
{
	if (c > ' ' && c < 0x7f)
		snprintf(buf, 8, "'%c'", c);
	else
		snprintf(buf, 8, "\\x%02x", (unsigned char)c);
	return buf;
}

/* One label of n characters (without its dot). */
static bool label_ok(const char *label, size_t n, char *why, size_t ws)
{
	if (n == 0)
		return (fail(why, ws, "it has an empty label (two dots, or a leading one)"), false);
	if (n > 63)
		return (fail(why, ws, "the label \"%.*s\" is %zu characters long; a label has at most 63", (int)n, label,
			     n), false);
	if (label[0] == '-' || label[n - 1] == '-')
		return (fail(why, ws, "the label \"%.*s\" starts or ends with '-'", (int)n, label), false);
	return true;
}

bool xot_dns_name_valid(const char *name, char *why, size_t ws)
{
	unsigned char addr[sizeof(struct in6_addr)];
	size_t len = strlen(name), start = 0;
	bool non_numeric = false;
	char cb[8];

	if (inet_pton(AF_INET, name, addr) == 1 || inet_pton(AF_INET6, name, addr) == 1)
		return true; /* a numeric address: c-ares answers it without a query */
	if (len == 0)
		return (fail(why, ws, "the name is empty"), false);
	if (len > XOT_DNS_NAME_MAX + 1 || (len == XOT_DNS_NAME_MAX + 1 && name[len - 1] != '.'))
		return (fail(why, ws, "it is %zu characters long; a DNS name has at most %d", len, XOT_DNS_NAME_MAX),
			false);
	for (size_t i = 0; i <= len; i++) {
		char c = name[i];

		if (c == '.' || (c == '\0' && start < len)) {
			if (!label_ok(name + start, i - start, why, ws))
				return false;
			start = i + 1;
		} else if (c != '\0' && !name_char(c)) {
			return (fail(why, ws, "%s at offset %zu cannot be in a DNS name (letters, digits, '-', '_', '.')",
				     show_char(c, cb), i), false);
		} else if (c != '\0' && !(c >= '0' && c <= '9')) {
			non_numeric = true; /* as Go: an all-numeric name is no host name */
		}
	}
	if (!non_numeric)
		return (fail(why, ws, "it is all digits and dots but not an IPv4 address"), false);
	return true;
}

/* dns_name: \1..\9 within the pattern's groups; literal parts only name characters (or ':'). */
static int check_template(const char *name, const char *pattern, size_t groups, char *err, size_t es)
{
	char cb[8];

	if (!name[0])
		return fail(err, es, "dns_name is empty; give the name to look up, such as \\2.\\1.x25.example");
	for (size_t i = 0; name[i]; i++) {
		char c = name[i];

		if (c == '\\') {
			char d = name[i + 1];

			if (d < '1' || d > '9')
				return fail(err, es, "dns_name \"%s\": '\\' at offset %zu must start a group reference "
					    "\\1..\\9", name, i);
			if ((size_t)(d - '0') > groups)
				return fail(err, es, "dns_name \"%s\" uses \\%c but dns_pattern \"%s\" has %zu capture "
					    "group%s; add groups to the pattern or use \\1..\\%zu", name, d, pattern, groups,
					    groups == 1 ? "" : "s", groups < GROUPS_MAX ? groups : GROUPS_MAX);
			i++;
		} else if (!name_char(c) && c != ':') {
			return fail(err, es, "dns_name \"%s\": %s at offset %zu cannot be in a DNS name (letters, digits, "
				    "'-', '_', '.')", name, show_char(c, cb), i);
		}
	}
	return 0;
}

/* ---- the map ---- */

struct xot_dns_map *xot_dns_map_new(const char *pattern, const char *dns_name, char *err, size_t es)
{
	char posix[POSIX_MAX];
	struct xot_dns_map *m;
	int rc;

	if (!pattern || !pattern[0])
		pattern = CONFIG_DEFAULT_XOT_DNS_PATTERN;
	if (xot_dns_re2_to_posix(pattern, posix, sizeof(posix), err, es) < 0)
		return NULL;
	m = calloc(1, sizeof(*m));
	if (!m) {
		fail(err, es, "out of memory compiling dns_pattern \"%s\"", pattern);
		return NULL;
	}
	rc = regcomp(&m->re, posix, REG_EXTENDED);
	if (rc != 0) {
		char why[128];

		regerror(rc, &m->re, why, sizeof(why));
		free(m);
		fail(err, es, "dns_pattern \"%s\": %s (compiled as the POSIX ERE \"%s\"); fix the pattern", pattern,
		     why, posix);
		return NULL;
	}
	m->groups = m->re.re_nsub;
	m->pattern = strdup(pattern);
	m->posix = strdup(posix);
	m->name = strdup(dns_name);
	if (!m->pattern || !m->posix || !m->name) {
		fail(err, es, "out of memory compiling dns_pattern \"%s\"", pattern);
		xot_dns_map_free(m);
		return NULL;
	}
	if (check_template(dns_name, pattern, m->groups, err, es) < 0) {
		xot_dns_map_free(m);
		return NULL;
	}
	return m;
}

void xot_dns_map_free(struct xot_dns_map *m)
{
	if (!m)
		return;
	regfree(&m->re);
	free(m->pattern);
	free(m->posix);
	free(m->name);
	free(m);
}

int xot_dns_check(const char *pattern, const char *dns_name, char *err, size_t es)
{
	struct xot_dns_map *m = xot_dns_map_new(pattern, dns_name, err, es);

	xot_dns_map_free(m);
	return m ? 0 : -1;
}

int xot_dns_map_name(const struct xot_dns_map *m, const char *called, char *name, size_t size, char *err, size_t es)
{
	regmatch_t match[GROUPS_MAX + 1];
	struct out o = {.buf = name, .size = size};
	size_t nmatch = m->groups < GROUPS_MAX ? m->groups + 1 : GROUPS_MAX + 1;
	char why[160];

	if (regexec(&m->re, called, nmatch, match, 0) != 0)
		return fail(err, es, "called address %s does not match dns_pattern \"%s\"", called, m->pattern);
	for (const char *t = m->name; *t; t++) {
		if (*t == '\\') {
			const regmatch_t *g = &match[t[1] - '0']; /* checked by check_template */

			if (g->rm_so >= 0)
				put(&o, called + g->rm_so, (size_t)(g->rm_eo - g->rm_so));
			t++;
		} else {
			putch(&o, *t);
		}
	}
	if (!finish(&o))
		return fail(err, es, "called address %s gives no valid DNS name: it would be %zu characters long; a "
			    "DNS name has at most %d (dns_name \"%s\")", called, o.len, XOT_DNS_NAME_MAX, m->name);
	/* The reason first: a long name and template may not fit the caller's buffer. */
	if (!xot_dns_name_valid(name, why, sizeof(why)))
		return fail(err, es, "called address %s gives no valid DNS name: %s; dns_name \"%s\" made \"%s\"", called,
			    why, m->name, name);
	return (int)o.len;
}

const char *xot_dns_map_pattern(const struct xot_dns_map *m)
{
	return m->pattern;
}

const char *xot_dns_map_posix(const struct xot_dns_map *m)
{
	return m->posix;
}
