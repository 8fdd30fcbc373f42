/*
 * sandbox/privdrop.c: chroot, user and group ids, and capabilities.  Runs
 * in the spawner (and the supervisor) at start-up, before any untrusted
 * input is read; it trusts its configuration (user name, directory) and
 * the password database, and verifies every step it takes.
 *
 * Order: sandbox_privdrop() first (as root), then sandbox_drop_caps().
 * Emptying the bounding set needs CAP_SETPCAP, which a process loses when
 * it stops being root, so sandbox_privdrop() empties it itself before it
 * changes ids; sandbox_drop_caps() then clears and verifies the rest.
 *
 * Two users: "user" (A) for the supervisor and the spawner, "worker_user"
 * (W) for the workers.  The kernel lets a process signal another when the
 * sender's real or effective uid is the target's real or saved uid, and
 * trace it or read its memory (ptrace, /proc/PID/mem, environ) only when
 * the caller's uid equals all three of the target's and the target is
 * dumpable.  So the supervisor and the spawner run with real and saved ids
 * A and effective ids W, and workers with W everywhere:
 * - supervisor and spawner -> worker: effective W is the worker's real W,
 *   so they may kill it (and only that: workers are not dumpable);
 * - worker -> supervisor or spawner: neither W matches A, so a worker can
 *   neither signal nor trace them, with or without seccomp;
 * - the spawner's forked child goes from (A, W, A) to (W, W, W) with
 *   setresuid alone: an unprivileged process may set any of its ids to
 *   any of its current ones, so the worker needs no capability for it,
 *   and can never get A back.
 * Supplementary groups are emptied, so that workers inherit none.
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <linux/capability.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sandbox/sandbox.h"
#include "sandbox/seterr.h"

/*
 * Capabilities through capget(2), capset(2) and prctl(2) themselves, not
 * libcap: this file runs in the spawner, and whatever the spawner links is
 * mapped into every worker it forks (filterd/spawner_main.c).  The three
 * sets of the version 3 interface, 64 capabilities in two words each.
 */
struct caps {
	struct __user_cap_data_struct	d[_LINUX_CAPABILITY_U32S_3];
};

static int
caps_get(struct caps *c, char *err, size_t errlen)
{
	struct __user_cap_header_struct	h = {
		_LINUX_CAPABILITY_VERSION_3, 0
	};

	memset(c, 0, sizeof(*c));
	if (syscall(SYS_capget, &h, c->d) == -1) {
		sandbox_seterr(err, errlen, "capget: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int
caps_set(const struct caps *c, char *err, size_t errlen)
{
	struct __user_cap_header_struct	h = {
		_LINUX_CAPABILITY_VERSION_3, 0
	};

	if (syscall(SYS_capset, &h, c->d) == -1) {
		sandbox_seterr(err, errlen, "capset: %s", strerror(errno));
		return -1;
	}
	return 0;
}

#define CAPS_WORD(cap)	((unsigned)(cap) >> 5)
#define CAPS_BIT(cap)	(1U << ((unsigned)(cap) & 31))

/*
 * The number of capabilities this kernel has: the first that the bounding
 * set does not know (EINVAL) ends them.
 */
static int
caps_max(void)
{
	int	cap;

	for (cap = 0; cap < 32 * _LINUX_CAPABILITY_U32S_3; cap++)
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == -1 &&
		    errno == EINVAL)
			break;
	return cap;
}

/* Sets *have_r to whether cap is in this process's permitted set. */
static int
caps_permitted(int cap, int *have_r, char *err, size_t errlen)
{
	struct caps	c;

	if (caps_get(&c, err, errlen) == -1)
		return -1;
	*have_r = (c.d[CAPS_WORD(cap)].permitted & CAPS_BIT(cap)) != 0;
	return 0;
}

/* Makes CAP_SETPCAP effective, which dropping from the bounding set needs. */
static int
caps_raise_setpcap(char *err, size_t errlen)
{
	struct caps	c;

	if (caps_get(&c, err, errlen) == -1)
		return -1;
	c.d[CAPS_WORD(CAP_SETPCAP)].effective |= CAPS_BIT(CAP_SETPCAP);
	return caps_set(&c, err, errlen);
}

/*
 * Empties the bounding set, and sets *dropped_r to whether it could.  A
 * process without CAP_SETPCAP cannot: the kernel answers EPERM.  That is
 * accepted only then, because such a process holds no capability worth
 * bounding once sandbox_drop_caps() has verified its sets are empty, and
 * the bounding set only matters across execve, where no-new-privs ignores
 * setuid bits and file capabilities (and which workers cannot call).
 */
static int
caps_drop_bound(int *dropped_r, char *err, size_t errlen)
{
	int	cap, max, setpcap, rc;

	*dropped_r = 0;
	if (caps_permitted(CAP_SETPCAP, &setpcap, err, errlen) == -1)
		return -1;
	if (setpcap && caps_raise_setpcap(err, errlen) == -1)
		return -1;
	max = caps_max();
	for (cap = 0; cap < max; cap++) {
		if ((rc = prctl(PR_CAPBSET_READ, cap, 0, 0, 0)) == -1) {
			sandbox_seterr(err, errlen, "PR_CAPBSET_READ %d: %s",
			    cap, strerror(errno));
			return -1;
		}
		if (rc == 0 || prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
			continue;
		if (errno == EPERM && !setpcap)
			return 0;
		sandbox_seterr(err, errlen, "PR_CAPBSET_DROP %d: %s", cap,
		    strerror(errno));
		return -1;
	}
	*dropped_r = 1;
	return 0;
}

static int
caps_verify(int bound_dropped, char *err, size_t errlen)
{
	struct caps	c;
	int		cap, max;
	size_t		i;

	if (caps_get(&c, err, errlen) == -1)
		return -1;
	for (i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		if (c.d[i].effective != 0 || c.d[i].permitted != 0 ||
		    c.d[i].inheritable != 0) {
			sandbox_seterr(err, errlen,
			    "capabilities left after the drop");
			return -1;
		}
	max = caps_max();
	for (cap = 0; cap < max; cap++) {
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0,
		    0) != 0) {
			sandbox_seterr(err, errlen, "ambient capability %d left",
			    cap);
			return -1;
		}
		if (bound_dropped &&
		    prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != 0) {
			sandbox_seterr(err, errlen,
			    "bounding capability %d left", cap);
			return -1;
		}
	}
	return 0;
}

int
sandbox_drop_caps(char *err, size_t errlen)
{
	struct caps	none;
	int		bound_dropped;

	/* The bounding set first: it needs CAP_SETPCAP, cleared below. */
	if (caps_drop_bound(&bound_dropped, err, errlen) == -1)
		return -1;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1) {
		sandbox_seterr(err, errlen, "PR_CAP_AMBIENT_CLEAR_ALL: %s",
		    strerror(errno));
		return -1;
	}
	memset(&none, 0, sizeof(none));
	if (caps_set(&none, err, errlen) == -1)
		return -1;
	return caps_verify(bound_dropped, err, errlen);
}

/* Looks the user up; must happen before chroot, which hides the database. */
static int
privdrop_lookup(const char *user, uid_t *uid_r, gid_t *gid_r, char *err,
    size_t errlen)
{
	struct passwd	*pw;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		sandbox_seterr(err, errlen, "user %s: %s", user,
		    errno != 0 ? strerror(errno) : "no such user");
		return -1;
	}
	if (pw->pw_uid == 0 || pw->pw_gid == 0) {
		sandbox_seterr(err, errlen, "user %s has uid or gid 0", user);
		return -1;
	}
	*uid_r = pw->pw_uid;
	*gid_r = pw->pw_gid;
	return 0;
}

int
sandbox_users(const char *user, const char *worker_user,
    struct sandbox_ids *ids, int *bad_r, char *err, size_t errlen)
{
	*bad_r = 0;
	if (privdrop_lookup(user, &ids->uid, &ids->gid, err, errlen) == -1)
		return -1;
	*bad_r = 1;
	if (privdrop_lookup(worker_user, &ids->wuid, &ids->wgid, err,
	    errlen) == -1)
		return -1;
	if (ids->wuid == ids->uid) {
		sandbox_seterr(err, errlen, "worker_user %s has the uid of user "
		    "%s (%ld): workers could signal the supervisor", worker_user,
		    user, (long)ids->uid);
		return -1;
	}
	if (ids->wgid == ids->gid) {
		sandbox_seterr(err, errlen, "worker_user %s has the group of "
		    "user %s (%ld): give it a group of its own", worker_user,
		    user, (long)ids->gid);
		return -1;
	}
	return 0;
}

/*
 * Changes root to dir, and checks that the new root is owned by root and
 * writable by nobody else, or the unprivileged user could plant files in it.
 */
static int
privdrop_chroot(const char *dir, char *err, size_t errlen)
{
	struct stat	st;

	if (chroot(dir) == -1 || chdir("/") == -1) {
		sandbox_seterr(err, errlen, "chroot %s: %s", dir, strerror(errno));
		return -1;
	}
	if (stat("/", &st) == -1) {
		sandbox_seterr(err, errlen, "stat / in %s: %s", dir, strerror(errno));
		return -1;
	}
	if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		sandbox_seterr(err, errlen, "chroot %s: not owned by root, or "
		    "writable by group or others", dir);
		return -1;
	}
	return 0;
}

/* Real and saved ids the user's, effective ids the worker user's. */
static int
privdrop_ids(const struct sandbox_ids *ids, char *err, size_t errlen)
{
	if (setgroups(0, NULL) == -1) {
		sandbox_seterr(err, errlen, "setgroups: %s", strerror(errno));
		return -1;
	}
	if (setresgid(ids->gid, ids->wgid, ids->gid) == -1) {
		sandbox_seterr(err, errlen, "setresgid: %s", strerror(errno));
		return -1;
	}
	if (setresuid(ids->uid, ids->wuid, ids->uid) == -1) {
		sandbox_seterr(err, errlen, "setresuid: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Checks the ids are (ruid, euid, suid), the gids alike, and no groups. */
static int
privdrop_check_ids(uid_t ruid, uid_t euid, gid_t rgid, gid_t egid,
    char *err, size_t errlen)
{
	uid_t	ru, eu, su;
	gid_t	rg, eg, sg, groups[1];

	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1 ||
	    ru != ruid || eu != euid || su != ruid ||
	    rg != rgid || eg != egid || sg != rgid) {
		sandbox_seterr(err, errlen, "user or group ids did not change");
		return -1;
	}
	if (getgroups(1, groups) != 0) {
		sandbox_seterr(err, errlen, "supplementary groups left");
		return -1;
	}
	return 0;
}

static int
privdrop_verify(const struct sandbox_ids *ids, char *err, size_t errlen)
{
	if (privdrop_check_ids(ids->uid, ids->wuid, ids->gid, ids->wgid, err,
	    errlen) == -1)
		return -1;
	if (setuid(0) != -1 || setgid(0) != -1) {
		sandbox_seterr(err, errlen, "could become root again");
		return -1;
	}
	/*
	 * The change of effective uid has made us not dumpable already,
	 * unless fs.suid_dumpable says otherwise: a dumpable process's
	 * /proc files belong to its effective uid, the worker user's.
	 */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1) {
		sandbox_seterr(err, errlen, "PR_SET_DUMPABLE: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
sandbox_privdrop(const char *user, const char *worker_user, const char *dir,
    char *err, size_t errlen)
{
	struct sandbox_ids	ids;
	int			bound_dropped, bad;

	if (geteuid() != 0) {
		sandbox_seterr(err, errlen, "not running as root");
		return -1;
	}
	if (sandbox_users(user, worker_user, &ids, &bad, err, errlen) == -1)
		return -1;
	if (dir != NULL && privdrop_chroot(dir, err, errlen) == -1)
		return -1;
	if (caps_drop_bound(&bound_dropped, err, errlen) == -1)
		return -1;
	if (!bound_dropped) {
		sandbox_seterr(err, errlen, "root without CAP_SETPCAP");
		return -1;
	}
	if (privdrop_ids(&ids, err, errlen) == -1)
		return -1;
	return privdrop_verify(&ids, err, errlen);
}

/*
 * In a worker forked by a spawner that sandbox_privdrop() set up: the
 * real and saved ids become the effective ones, the worker user's.  Only
 * setresuid and setresgid to ids the process already has, which need no
 * capability.  The capability sets are inherited empty (the spawner
 * verified them), and the bounding set too.
 */
int
sandbox_worker_user(char *err, size_t errlen)
{
	uid_t	uid = geteuid();
	gid_t	gid = getegid();

	if (setresgid(gid, gid, gid) == -1) {
		sandbox_seterr(err, errlen, "setresgid: %s", strerror(errno));
		return -1;
	}
	if (setresuid(uid, uid, uid) == -1) {
		sandbox_seterr(err, errlen, "setresuid: %s", strerror(errno));
		return -1;
	}
	return privdrop_check_ids(uid, uid, gid, gid, err, errlen);
}
