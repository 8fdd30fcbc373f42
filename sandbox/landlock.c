/*
 * sandbox/landlock.c: an empty Landlock ruleset for a worker (Linux 5.13
 * and later).  sandbox_landlock_abi() runs once in the spawner, which
 * trusts the kernel's answer; the other two run in a freshly forked worker
 * before it reads a byte of the message, and trust nothing but the ABI
 * version the spawner found.
 *
 * The ruleset has no rule, so everything it handles is denied: it handles
 * every right the running kernel's ABI knows, file system, TCP and scopes
 * alike.  The seccomp filter loaded after it already kills open, socket
 * and kill; Landlock is the second wall behind it, for the day a policy or
 * kernel bug lets one through.  Descriptors the worker holds are not
 * affected: Landlock checks paths when they are opened.
 *
 * Debian 12's headers stop at ABI 2 and glibc has no wrappers, so the
 * rights of later ABIs, the ruleset attribute and the system call numbers
 * are defined here when the headers lack them.
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#include <sys/syscall.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_LINUX_LANDLOCK_H
#include <linux/landlock.h>
#endif

#include "sandbox/landlock.h"
#include "sandbox/seterr.h"

#if defined(HAVE_LINUX_LANDLOCK_H) && defined(__x86_64__)
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset	444
#endif
#ifndef SYS_landlock_add_rule
#define SYS_landlock_add_rule		445
#endif
#ifndef SYS_landlock_restrict_self
#define SYS_landlock_restrict_self	446
#endif
#endif

#if defined(HAVE_LINUX_LANDLOCK_H) && \
    defined(SYS_landlock_create_ruleset) && \
    defined(SYS_landlock_restrict_self)
#define LL_BUILT	1
#else
#define LL_BUILT	0
#endif

/*
 * Rights newer than the headers (Debian 12's stop at ABI 2): REFER is
 * ABI 2, TRUNCATE 3, the network rights 4, IOCTL_DEV 5, the scopes 6.
 */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER		(1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE		(1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV		(1ULL << 15)
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP		(1ULL << 0)
#define LANDLOCK_ACCESS_NET_CONNECT_TCP		(1ULL << 1)
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET	(1ULL << 0)
#define LANDLOCK_SCOPE_SIGNAL			(1ULL << 1)
#endif

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

#if LL_BUILT

/*
 * struct landlock_ruleset_attr as of ABI 6.  A kernel of an older ABI
 * accepts the larger size as long as the fields it does not know are 0,
 * and they are: ll_rights() sets only what the ABI has.
 */
struct ll_ruleset_attr {
	uint64_t	handled_access_fs;
	uint64_t	handled_access_net;	/* ABI 4 */
	uint64_t	scoped;			/* ABI 6 */
};

/* The file system rights of ABI 1: bits 0 (EXECUTE) to 12 (MAKE_SYM). */
#define LL_FS_V1	((1ULL << 13) - 1)

/*
 * What each ABI version added, in order: version n handles rows 1 to n.
 * ABI 7 added only audit logging flags.  A kernel newer than the last row
 * gets everything listed here.
 */
static const struct ll_ruleset_attr ll_added[] = {
	{ LL_FS_V1, 0, 0 },					/* 1 */
	{ LANDLOCK_ACCESS_FS_REFER, 0, 0 },			/* 2 */
	{ LANDLOCK_ACCESS_FS_TRUNCATE, 0, 0 },			/* 3 */
	{ 0, LANDLOCK_ACCESS_NET_BIND_TCP |
	    LANDLOCK_ACCESS_NET_CONNECT_TCP, 0 },		/* 4 */
	{ LANDLOCK_ACCESS_FS_IOCTL_DEV, 0, 0 },			/* 5 */
	{ 0, 0, LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET |
	    LANDLOCK_SCOPE_SIGNAL },				/* 6 */
};

/* Everything ABI version abi (1 or more) can handle. */
static void
ll_rights(int abi, struct ll_ruleset_attr *a)
{
	size_t	i;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < NITEMS(ll_added) && i < (size_t)abi; i++) {
		a->handled_access_fs |= ll_added[i].handled_access_fs;
		a->handled_access_net |= ll_added[i].handled_access_net;
		a->scoped |= ll_added[i].scoped;
	}
}

/*
 * ENOSYS: not built into the kernel; EOPNOTSUPP: built but not enabled
 * (the lsm= boot parameter).  EPERM comes from a container's seccomp
 * policy that refuses system calls it does not know; to filterd the
 * kernel then has no Landlock either.
 */
int
sandbox_landlock_abi(const char **why_r, char *err, size_t errlen)
{
	long	abi;

	*why_r = NULL;
	abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	if (abi >= 1)
		return abi > INT_MAX ? INT_MAX : (int)abi;
	if (abi == -1 && errno == ENOSYS)
		*why_r = "not in this kernel";
	else if (abi == -1 && errno == EOPNOTSUPP)
		*why_r = "disabled at boot";
	else if (abi == -1 && errno == EPERM)
		*why_r = "refused by a seccomp filter";
	if (*why_r != NULL)
		return 0;
	sandbox_seterr(err, errlen, "landlock_create_ruleset(VERSION): %s",
	    abi == -1 ? strerror(errno) : "ABI version 0");
	return -1;
}

int
sandbox_landlock_prepare(int abi, int *fd_r, char *err, size_t errlen)
{
	struct ll_ruleset_attr	attr;
	long			fd;

	*fd_r = -1;
	if (abi == 0)
		return 0;
	ll_rights(abi, &attr);
	if ((fd = syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr),
	    0)) == -1) {
		sandbox_seterr(err, errlen, "landlock_create_ruleset: %s",
		    strerror(errno));
		return -1;
	}
	*fd_r = (int)fd;
	return 0;
}

int
sandbox_landlock_restrict(int fd, char *err, size_t errlen)
{
	int	rc, saved;

	if (fd == -1)
		return 0;
	rc = (int)syscall(SYS_landlock_restrict_self, fd, 0);
	saved = errno;
	(void)close(fd);
	if (rc == -1) {
		sandbox_seterr(err, errlen, "landlock_restrict_self: %s",
		    strerror(saved));
		return -1;
	}
	return 0;
}

#else /* !LL_BUILT */

int
sandbox_landlock_abi(const char **why_r, char *err, size_t errlen)
{
	*why_r = "filterd built without <linux/landlock.h>";
	return 0;
}

int
sandbox_landlock_prepare(int abi, int *fd_r, char *err, size_t errlen)
{
	*fd_r = -1;
	if (abi == 0)
		return 0;
	sandbox_seterr(err, errlen, "Landlock ABI %d, but built without Landlock",
	    abi);
	return -1;
}

int
sandbox_landlock_restrict(int fd, char *err, size_t errlen)
{
	if (fd == -1)
		return 0;
	sandbox_seterr(err, errlen, "built without Landlock");
	return -1;
}

#endif /* LL_BUILT */
