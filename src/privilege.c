// SPDX-License-Identifier: GPL-2.0-or-later
/* privilege.c - least privilege after set-up: CAP_NET_ADMIN only, no_new_privs, optionally another user. */
#include "privilege.h"

#include <cap-ng.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

/* Who x25lo runs as after privilege_drop, for messages: "user x25lo (uid 1000)" or "uid 0". */
static char identity[64] = "the starting user";

int privilege_lookup(const char *name, struct privilege_user *user, char *err, size_t errlen)
{
	struct passwd *pw;

	*user = (struct privilege_user){0};
	if (strlen(name) >= sizeof(user->name)) {
		snprintf(err, errlen, "the user name \"%.40s...\" is %zu bytes long, at most %zu are allowed; use a shorter name",
			 name, strlen(name), sizeof(user->name) - 1);
		return PRIVILEGE_NO_SUCH_USER;
	}
	errno = 0;
	pw = getpwnam(name);
	if (!pw) {
		/* getpwnam(3): these mean "not found"; anything else is a failed lookup. */
		if (errno == 0 || errno == ENOENT || errno == ESRCH || errno == EBADF || errno == EPERM) {
			snprintf(err, errlen, "there is no user \"%s\" on this system; create it (e.g. useradd --system "
				 "--no-create-home --shell /usr/sbin/nologin %s) or name an existing one",
				 name, name);
			return PRIVILEGE_NO_SUCH_USER;
		}
		snprintf(err, errlen, "cannot look up user \"%s\": %s; check /etc/nsswitch.conf and the user database",
			 name, strerror(errno));
		return PRIVILEGE_LOOKUP_FAILED;
	}
	user->set = true;
	snprintf(user->name, sizeof(user->name), "%s", name);
	user->uid = pw->pw_uid;
	user->gid = pw->pw_gid;
	return 0;
}

static bool already_user(const struct privilege_user *user)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;

	return getresuid(&ruid, &euid, &suid) == 0 && getresgid(&rgid, &egid, &sgid) == 0 && ruid == user->uid &&
	       euid == user->uid && suid == user->uid && rgid == user->gid && egid == user->gid && sgid == user->gid;
}

static bool can_change_id(void)
{
	capng_get_caps_process();
	return capng_have_capability(CAPNG_PERMITTED, CAP_SETUID) &&
	       capng_have_capability(CAPNG_PERMITTED, CAP_SETGID);
}

int privilege_check(const struct privilege_user *user, char *err, size_t errlen)
{
	if (!user->set || already_user(user) || can_change_id())
		return 0;
	snprintf(err, errlen, "x25lo runs as uid %u without CAP_SETUID and CAP_SETGID, so it cannot switch to user %s "
		 "(uid %u): start it as root, or start it as user %s directly (with CAP_NET_ADMIN, e.g. from "
		 "setcap cap_net_admin+ep)", (unsigned)getuid(), user->name, (unsigned)user->uid, user->name);
	return -1;
}

/* Capabilities are per thread: dropping them in one thread would leave any other privileged. */
static int count_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static const char *cap_name(unsigned cap, char *buf, size_t len)
{
	const char *name = capng_capability_to_name(cap);

	if (name)
		return name;
	snprintf(buf, len, "capability %u", cap);
	return buf;
}

/* Every capability the kernel knows: PR_CAPBSET_READ fails (EINVAL) past the last one. */
static unsigned last_cap(void)
{
	unsigned cap = 0;

	while (prctl(PR_CAPBSET_READ, (unsigned long)cap + 1, 0, 0, 0) >= 0)
		cap++;
	return cap;
}

/* Whether the bounding set holds some capability other than CAP_NET_ADMIN. */
static bool bounding_set_wider(void)
{
	for (unsigned cap = 0, last = last_cap(); cap <= last; cap++)
		if (cap != CAP_NET_ADMIN && prctl(PR_CAPBSET_READ, (unsigned long)cap, 0, 0, 0) == 1)
			return true;
	return false;
}

/*
 * The bounding set limits what exec can gain; it can only shrink, and only with CAP_SETPCAP.
 * Already reduced to CAP_NET_ADMIN (systemd's CapabilityBoundingSet=), it is not "kept".
 */
static int drop_bounding_set(bool *kept, char *err, size_t errlen)
{
	char buf[32];

	capng_get_caps_process();
	*kept = !capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP) && bounding_set_wider();
	if (!capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP))
		return 0;
	for (unsigned cap = 0, last = last_cap(); cap <= last; cap++) {
		if (cap == CAP_NET_ADMIN || prctl(PR_CAPBSET_READ, (unsigned long)cap, 0, 0, 0) != 1)
			continue;
		if (prctl(PR_CAPBSET_DROP, (unsigned long)cap, 0, 0, 0) < 0) {
			snprintf(err, errlen, "cannot drop %s from the capability bounding set: %s",
				 cap_name(cap, buf, sizeof(buf)), strerror(errno));
			return -1;
		}
	}
	return 0;
}

static const char *change_id_step(int rc)
{
	switch (rc) {
	case -2: return "keeping capabilities across the uid change (PR_SET_KEEPCAPS)";
	case -3: return "raising CAP_SETUID and CAP_SETGID for the switch";
	case -4: return "changing the group id (setresgid)";
	case -5: return "dropping the supplementary groups (setgroups)";
	case -6: return "changing the user id (setresuid)";
	case -7: return "clearing PR_SET_KEEPCAPS";
	default: return "applying the final capabilities";
	}
}

/*
 * capset was refused (EPERM) though nothing but the inheritable set would change: effective
 * and permitted are CAP_NET_ADMIN alone already, and the inheritable set holds nothing else.
 * That is x25lo under its systemd unit: AmbientCapabilities= puts CAP_NET_ADMIN in the
 * inheritable set (an ambient capability must be inheritable) and SystemCallFilter= denies
 * capset. Left there it gives nothing: x25lo runs no program, and with no_new_privs and an
 * empty ambient set no program could gain more than the CAP_NET_ADMIN it holds anyway.
 */
static bool only_inheritable_left(void)
{
	if (capng_get_caps_process() < 0)
		return false;
	for (unsigned cap = 0, last = last_cap(); cap <= last; cap++) {
		bool want = cap == CAP_NET_ADMIN;

		if (capng_have_capability(CAPNG_EFFECTIVE, cap) != want ||
		    capng_have_capability(CAPNG_PERMITTED, cap) != want ||
		    (!want && capng_have_capability(CAPNG_INHERITABLE, cap)))
			return false;
	}
	return true;
}

/* Read back what the kernel now holds: exactly what privilege_drop promised, or an error. */
static int verify(const struct privilege_user *user, bool switched, bool bounding_kept, bool inheritable_kept,
		  char *err, size_t errlen)
{
	unsigned last = last_cap();
	char buf[32];

	if (capng_get_caps_process() < 0) {
		snprintf(err, errlen, "cannot read back the capabilities: %s", strerror(errno));
		return -1;
	}
	for (unsigned cap = 0; cap <= last; cap++) {
		bool want = cap == CAP_NET_ADMIN;

		if (capng_have_capability(CAPNG_EFFECTIVE, cap) != want ||
		    capng_have_capability(CAPNG_PERMITTED, cap) != want ||
		    (capng_have_capability(CAPNG_INHERITABLE, cap) && !(want && inheritable_kept)) ||
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, (unsigned long)cap, 0, 0) > 0 ||
		    (!bounding_kept && prctl(PR_CAPBSET_READ, (unsigned long)cap, 0, 0, 0) != want)) {
			snprintf(err, errlen, "after dropping privileges %s is %s", cap_name(cap, buf, sizeof(buf)),
				 want ? "missing" : "still held");
			return -1;
		}
	}
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) {
		snprintf(err, errlen, "no_new_privs is not set after PR_SET_NO_NEW_PRIVS");
		return -1;
	}
	if (user->set && (!already_user(user) || (switched && getgroups(0, NULL) != 0))) {
		snprintf(err, errlen, "after switching to user %s the process runs as uid %u gid %u with %d "
			 "supplementary groups, not uid %u gid %u with none", user->name, (unsigned)geteuid(),
			 (unsigned)getegid(), getgroups(0, NULL), (unsigned)user->uid, (unsigned)user->gid);
		return -1;
	}
	return 0;
}

int privilege_drop(const struct privilege_user *user, bool *bounding_kept, char *err, size_t errlen)
{
	bool switched, inheritable_kept = false;
	int threads = count_threads();
	int rc;

	if (threads > 1) {
		snprintf(err, errlen, "x25lo has %d threads at the point where it drops privileges, which apply per "
			 "thread: this is a bug (report it); refusing to run half-privileged", threads);
		return -1;
	}
	if (drop_bounding_set(bounding_kept, err, errlen) < 0)
		return -1;

	if (user->set && !already_user(user) && !can_change_id()) {
		privilege_check(user, err, errlen); /* it said so before set-up too */
		return -1;
	}
	switched = user->set && can_change_id();
	/* can_change_id read the process's state into libcap-ng's: the wanted state starts here. */
	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_NET_ADMIN) < 0) {
		snprintf(err, errlen, "libcap-ng cannot record CAP_NET_ADMIN (capng_update failed)");
		return -1;
	}
	if (switched) {
		/* Raises CAP_SETUID/CAP_SETGID for the switch, keeps capabilities across it, drops them after. */
		errno = 0;
		rc = capng_change_id((int)user->uid, (int)user->gid, CAPNG_DROP_SUPP_GRP);
		if (rc < 0) {
			snprintf(err, errlen, "cannot switch to user %s (uid %u, gid %u): %s failed%s%s", user->name,
				 (unsigned)user->uid, (unsigned)user->gid, change_id_step(rc), errno ? ": " : "",
				 errno ? strerror(errno) : "");
			return -1;
		}
	} else if (capng_apply(CAPNG_SELECT_CAPS) < 0) {
		int capset_errno = errno;

		if (capset_errno != EPERM || !only_inheritable_left()) {
			snprintf(err, errlen, "cannot reduce the capabilities to CAP_NET_ADMIN (capset): %s",
				 strerror(capset_errno));
			return -1;
		}
		inheritable_kept = true;
	}
	/* The kernel empties the ambient set with the inheritable one; say so explicitly anyway. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
		snprintf(err, errlen, "cannot clear the ambient capabilities: %s", strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, errlen, "cannot set no_new_privs: %s", strerror(errno));
		return -1;
	}
	if (verify(user, switched, *bounding_kept, inheritable_kept, err, errlen) < 0)
		return -1;
	if (inheritable_kept)
		log_info("capset is not allowed here (a system call filter, such as the systemd unit's): CAP_NET_ADMIN "
			 "stays in the inheritable set, where it gives nothing (no program is run; no_new_privs)");
	if (user->set)
		snprintf(identity, sizeof(identity), "user %s (uid %u)", user->name, (unsigned)user->uid);
	else
		snprintf(identity, sizeof(identity), "uid %u", (unsigned)getuid());
	return 0;
}

static void warn_tun_device(void)
{
	const char *path = "/dev/net/tun";
	struct stat st;
	int fd = open(path, O_RDWR | O_CLOEXEC);

	/* An open without TUNSETIFF creates nothing; closing it releases the file. */
	if (fd >= 0) {
		close(fd);
		return;
	}
	if (errno != EACCES && errno != EPERM)
		return; /* e.g. no tun module: tun_open_device says so when it matters */
	if (stat(path, &st) < 0)
		st = (struct stat){0};
	log_warn("running as %s, x25lo cannot open %s (%s; mode %04o, owner %u:%u): a reload that adds a route "
		 "will fail to create its TUN. Let the user open it: Debian's udev rule makes it 0666 "
		 "(chmod 0666 %s), or give it that user's group (chgrp GROUP %s; chmod 0660 %s)",
		 identity, path, strerror(errno), (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid,
		 (unsigned)st.st_gid, path, path, path);
}

void privilege_warn_access(const char *config_path)
{
	warn_tun_device();
	if (access(config_path, R_OK) < 0)
		log_warn("running as %s, x25lo cannot read %s (%s): reloads will fail until it can; make the file "
			 "and its directories readable by that user (e.g. chgrp GROUP %s; chmod g+r %s)",
			 identity, config_path, strerror(errno), config_path, config_path);
}

void privilege_unreadable_hint(const char *path, char *hint, size_t len)
{
	hint[0] = '\0';
	if (access(path, R_OK) < 0 && (errno == EACCES || errno == EPERM))
		snprintf(hint, len, " (x25lo runs as %s with CAP_NET_ADMIN only since start-up: make the file and its "
			 "directories readable by it, see docs/security.md)", identity);
}
