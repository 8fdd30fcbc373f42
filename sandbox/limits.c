/*
 * sandbox/limits.c: resource limits, not dumpable and no-new-privs for a
 * worker.  Runs in the worker, after fork and before the job is read; the
 * limits come from the spawner's configuration, which it trusts.  Every
 * setting is checked, because a layer that silently did not apply is worse
 * than an error; it is checked by the call that makes it, which on Linux
 * succeeds only once the new setting is in place (see limit_set and
 * sandbox_prctl_apply), so nothing is read back twice: one system call a
 * limit, a worker being forked for every message.
 *
 * Linux and FreeBSD: the rlimits are POSIX; not dumpable and no-new-privs
 * are prctl(2) here on Linux, and procctl(2) in capsicum.c on FreeBSD.
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#include <sys/types.h>
#include <sys/resource.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sandbox/sandbox.h"
#include "sandbox/limits.h"
#include "sandbox/seterr.h"

/* Seconds of CPU between SIGXCPU (soft limit) and SIGKILL (hard limit). */
#define CPU_HARD_MARGIN	1

struct limit {
	int		 resource;
	const char	*name;
	rlim_t		 soft;
	rlim_t		 hard;
};

int
sandbox_limits_check(const struct sandbox_limits *l, char *err,
    size_t errlen)
{
	if (l->cpu_seconds == 0 || l->cpu_seconds == RLIM_INFINITY) {
		sandbox_seterr(err, errlen, "cpu_seconds must be finite and positive");
		return -1;
	}
	if (l->nofile < SANDBOX_FD_JOB + 1 || l->nofile == RLIM_INFINITY) {
		sandbox_seterr(err, errlen, "nofile must be finite and at least %d",
		    SANDBOX_FD_JOB + 1);
		return -1;
	}
	return 0;
}

static rlim_t
limit_min(rlim_t a, rlim_t b)
{
	return a < b ? a : b;
}

/*
 * Sets the limit want and returns the one it replaced in old.  On Linux
 * that is one prlimit(2), and a success means the kernel now holds exactly
 * want: do_prlimit() checks the new limit, then stores it whole under the
 * task lock, or fails and changes nothing.  Elsewhere getrlimit and
 * setrlimit, whose success means the same.
 */
static int
limit_swap(int resource, const struct rlimit *want, struct rlimit *old)
{
#ifdef __linux__
	return prlimit(0, resource, want, old);
#else
	if (getrlimit(resource, old) == -1)
		return -1;
	return setrlimit(resource, want);
#endif
}

/*
 * Sets one limit, never above the current hard limit (only root could
 * raise it, and a lower limit is still within what was asked).  Usually
 * one call: the limit is set as asked, and what it replaced shows that
 * the hard limit was not raised.  When the new hard limit is above the old
 * one, the call either failed (EPERM: no CAP_SYS_RESOURCE) or raised it
 * (with CAP_SYS_RESOURCE); either way the limit is set again, lowered to
 * the old hard limit.  Any other failure is an error.
 */
static int
limit_set(const struct limit *lim, char *err, size_t errlen)
{
	struct rlimit	want, old;

	want.rlim_max = lim->hard;
	want.rlim_cur = lim->soft;
	if (limit_swap(lim->resource, &want, &old) == 0) {
		if (old.rlim_max >= want.rlim_max)
			return 0;
	} else if (errno != EPERM || getrlimit(lim->resource, &old) == -1) {
		sandbox_seterr(err, errlen, "setrlimit %s: %s", lim->name,
		    strerror(errno));
		return -1;
	}
	want.rlim_max = limit_min(lim->hard, old.rlim_max);
	want.rlim_cur = limit_min(lim->soft, want.rlim_max);
	if (setrlimit(lim->resource, &want) == -1) {
		sandbox_seterr(err, errlen, "setrlimit %s: %s", lim->name,
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
sandbox_limits_apply(const struct sandbox_limits *l, char *err,
    size_t errlen)
{
	const struct limit	 t[] = {
		{ RLIMIT_CPU, "RLIMIT_CPU", l->cpu_seconds,
		    l->cpu_seconds + CPU_HARD_MARGIN },
		{ RLIMIT_FSIZE, "RLIMIT_FSIZE", 0, 0 },
		{ RLIMIT_NPROC, "RLIMIT_NPROC", 0, 0 },
		{ RLIMIT_CORE, "RLIMIT_CORE", 0, 0 },
		{ RLIMIT_NOFILE, "RLIMIT_NOFILE", l->nofile, l->nofile },
		{ RLIMIT_AS, "RLIMIT_AS", l->as_bytes, l->as_bytes },
	};
	size_t			 i, n;

	if (sandbox_limits_check(l, err, errlen) == -1)
		return -1;
	/* RLIMIT_AS comes last so that it can be left out. */
	n = sizeof(t) / sizeof(t[0]);
	if (l->as_bytes == 0)
		n--;
	for (i = 0; i < n; i++)
		if (limit_set(&t[i], err, errlen) == -1)
			return -1;
	return 0;
}

#ifdef __linux__

/*
 * Each prctl(2) returns 0 only once its flag is set (kernel/sys.c:
 * PR_SET_DUMPABLE checks its argument, then stores it in the mm;
 * PR_SET_NO_NEW_PRIVS sets a bit that nothing clears), so reading them
 * back could only say what the return value already did.
 */
int
sandbox_prctl_apply(char *err, size_t errlen)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1) {
		sandbox_seterr(err, errlen, "PR_SET_DUMPABLE: %s", strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		sandbox_seterr(err, errlen, "PR_SET_NO_NEW_PRIVS: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

#endif /* __linux__ */
