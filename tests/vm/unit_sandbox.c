// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * unit_sandbox.c - run a program under the seccomp part of systemd's sandbox, for the VM
 * guest, which has no systemd: an allow list of system calls (SystemCallFilter=, already
 * expanded to names), every other call failing with EPERM (SystemCallErrorNumber=EPERM),
 * socket() only for the listed address families (RestrictAddressFamilies=; systemd answers
 * the others EAFNOSUPPORT, this one EPERM), the native ABI only (SystemCallArchitectures=
 * native), and no_new_privs. Credentials (User=, AmbientCapabilities=, CapabilityBoundingSet=)
 * are setpriv's job before this runs.
 *
 *   unit_sandbox --syscalls FILE [--families AF_X25,AF_UNIX,...] -- PROGRAM [ARG...]
 *
 * FILE holds one system call name a line; names this architecture lacks are skipped.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const struct {
	const char *name;
	int family;
} families[] = {
	{"AF_UNIX", AF_UNIX},       {"AF_INET", AF_INET},   {"AF_INET6", AF_INET6},
	{"AF_NETLINK", AF_NETLINK}, {"AF_X25", AF_X25},     {"AF_PACKET", AF_PACKET},
};

static int add_families(scmp_filter_ctx ctx, char *list)
{
	for (char *name = strtok(list, ", "); name; name = strtok(NULL, ", ")) {
		/* Spelled out: SCMP_A0() leaves datum_b to be zeroed, which clang's -Wextra objects to. */
		struct scmp_arg_cmp first_is = {.arg = 0, .op = SCMP_CMP_EQ, .datum_a = 0, .datum_b = 0};
		size_t i = 0;
		int rc;

		while (i < sizeof(families) / sizeof(families[0]) && strcmp(families[i].name, name) != 0)
			i++;
		if (i == sizeof(families) / sizeof(families[0])) {
			fprintf(stderr, "unit_sandbox: unknown address family %s\n", name);
			return -1;
		}
		first_is.datum_a = (scmp_datum_t)families[i].family;
		rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, &first_is);
		if (rc < 0) {
			fprintf(stderr, "unit_sandbox: socket(%s): %s\n", name, strerror(-rc));
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *syscalls = NULL;
	char *family_list = NULL, families_text[256] = "every family", line[128];
	scmp_filter_ctx ctx;
	unsigned allowed = 0, skipped = 0;
	FILE *f;
	int i, rc;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--syscalls") == 0 && i + 1 < argc)
			syscalls = argv[++i];
		else if (strcmp(argv[i], "--families") == 0 && i + 1 < argc)
			family_list = argv[++i];
		else
			break;
	}
	if (!syscalls || i + 1 >= argc || strcmp(argv[i], "--") != 0) {
		fprintf(stderr, "usage: unit_sandbox --syscalls FILE [--families AF_X,...] -- PROGRAM [ARG...]\n");
		return 2;
	}
	f = fopen(syscalls, "r");
	ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	if (!f || !ctx) {
		fprintf(stderr, "unit_sandbox: %s: %s\n", f ? "seccomp_init" : syscalls, strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		int nr;

		line[strcspn(line, " \t\r\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		if (family_list && strcmp(line, "socket") == 0)
			continue; /* only for the listed families */
		nr = seccomp_syscall_resolve_name(line);
		if (nr == __NR_SCMP_ERROR || nr < 0) {
			skipped++; /* another architecture's call (e.g. _llseek) */
			continue;
		}
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (rc < 0 && rc != -EEXIST) {
			fprintf(stderr, "unit_sandbox: allowing %s: %s\n", line, strerror(-rc));
			return 1;
		}
		allowed++;
	}
	fclose(f);
	if (family_list) {
		snprintf(families_text, sizeof(families_text), "%s", family_list);
		if (add_families(ctx, family_list) < 0) /* strtok: family_list is cut up */
			return 1;
	}
	/* seccomp_load sets no_new_privs first (SCMP_FLTATR_CTL_NNP is on by default). */
	rc = seccomp_load(ctx);
	if (rc < 0) {
		fprintf(stderr, "unit_sandbox: seccomp_load: %s\n", strerror(-rc));
		return 1;
	}
	seccomp_release(ctx);
	fprintf(stderr, "unit_sandbox: %u system calls allowed (%u names not on this architecture), socket() for %s\n",
		allowed, skipped, families_text);
	execvp(argv[i + 1], argv + i + 1);
	fprintf(stderr, "unit_sandbox: %s: %s\n", argv[i + 1], strerror(errno));
	return 127;
}
