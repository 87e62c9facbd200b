// SPDX-License-Identifier: GPL-2.0-or-later
/* privilege.h - least privilege after set-up: CAP_NET_ADMIN only, no_new_privs, optionally another user. */
#ifndef X25LO_PRIVILEGE_H
#define X25LO_PRIVILEGE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The user x25lo switches to after set-up (-user, or the config key "user"). */
struct privilege_user {
	bool set; /* false: keep the starting uid and gid */
	char name[33];
	uid_t uid;
	gid_t gid; /* the user's primary group */
};

/* privilege_lookup's results besides 0. */
#define PRIVILEGE_NO_SUCH_USER (-1) /* a bad command line or config (exit 2) */
#define PRIVILEGE_LOOKUP_FAILED (-2) /* the user database could not be read (exit 1) */

/*
 * Find user name in the user database (getpwnam). Returns 0 and fills *user, or one of the
 * values above with a message in err saying what to do.
 */
int privilege_lookup(const char *name, struct privilege_user *user, char *err, size_t errlen);

/*
 * Before set-up: can this process make the switch privilege_drop will be asked for? It
 * needs CAP_SETUID and CAP_SETGID to become another user. Returns 0, or -1 with err.
 */
int privilege_check(const struct privilege_user *user, char *err, size_t errlen);

/*
 * After set-up, while the process has one thread: keep only CAP_NET_ADMIN in the effective
 * and permitted sets and the bounding set (the bounding set only if CAP_SETPCAP is
 * effective, as for root; *bounding_kept tells when it was not and the set holds more),
 * clear the inheritable and ambient sets, set no_new_privs, and with user->set switch to its
 * uid and primary gid with no supplementary groups. Reads the result back and fails if it is
 * not exactly that. One exception: where capset is denied (the systemd unit's system call
 * filter) and the process holds CAP_NET_ADMIN alone already, CAP_NET_ADMIN may stay in the
 * inheritable set (said in the log).
 * Returns 0, or -1 with err: the process is then in an unknown state and must exit.
 */
int privilege_drop(const struct privilege_user *user, bool *bounding_kept, char *err, size_t errlen);

/*
 * After privilege_drop: warn about what the reduced process can no longer do that a later
 * reload needs: open /dev/net/tun, read config_path. (The capture's directory is checked by
 * pcap_set_owner.)
 */
void privilege_warn_access(const char *config_path);

/*
 * A reload of path failed: if the process cannot read path (or a directory above it), write
 * a hint that names the user x25lo runs as and what to change; otherwise write "".
 */
void privilege_unreadable_hint(const char *path, char *hint, size_t len);

#endif
