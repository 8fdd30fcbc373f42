/*
 * sandbox/limits.c: resource limits, not dumpable and no-new-privs for a
 * worker.  Runs in the worker, after fork and before the job is read; the
 * limits come from the spawner's configuration, which it trusts.  Every
 * setting is read back, because a layer that silently did not apply is
 * worse than an error.
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
 * Sets one limit, never above the current hard limit (only root could
 * raise it, and a lower limit is still within what was asked), and reads
 * it back.
 */
static int
limit_set(const struct limit *lim, char *err, size_t errlen)
{
	struct rlimit	cur, want;

	if (getrlimit(lim->resource, &cur) == -1) {
		sandbox_seterr(err, errlen, "getrlimit %s: %s", lim->name,
		    strerror(errno));
		return -1;
	}
	want.rlim_max = limit_min(lim->hard, cur.rlim_max);
	want.rlim_cur = limit_min(lim->soft, want.rlim_max);
	if (setrlimit(lim->resource, &want) == -1) {
		sandbox_seterr(err, errlen, "setrlimit %s: %s", lim->name,
		    strerror(errno));
		return -1;
	}
	if (getrlimit(lim->resource, &cur) == -1 ||
	    cur.rlim_cur != want.rlim_cur || cur.rlim_max != want.rlim_max) {
		sandbox_seterr(err, errlen, "setrlimit %s did not take", lim->name);
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

int
sandbox_prctl_apply(char *err, size_t errlen)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1) {
		sandbox_seterr(err, errlen, "PR_SET_DUMPABLE: %s", strerror(errno));
		return -1;
	}
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0) {
		sandbox_seterr(err, errlen, "PR_SET_DUMPABLE did not take");
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		sandbox_seterr(err, errlen, "PR_SET_NO_NEW_PRIVS: %s",
		    strerror(errno));
		return -1;
	}
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) {
		sandbox_seterr(err, errlen, "PR_SET_NO_NEW_PRIVS did not take");
		return -1;
	}
	return 0;
}

#endif /* __linux__ */
