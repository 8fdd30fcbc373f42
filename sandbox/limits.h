/*
 * sandbox/limits.h: internal to sandbox/, not for the rest of filterd.
 * The non-seccomp layers of a worker (limits.c), which seccomp.c applies
 * from sandbox_worker_enter() before it loads the filter, and capsicum.c
 * (the rlimits) before it enters capability mode.  Runs in the worker,
 * after fork and before the job is read.
 *
 * Include it as "sandbox/limits.h": the name shadows <limits.h> for any
 * compiler that searches sandbox/ itself.
 */
#ifndef FILTERD_SANDBOX_LIMITS_H
#define FILTERD_SANDBOX_LIMITS_H

#include <stddef.h>

struct sandbox_limits;

/*
 * Rejects limits that would leave a layer off: cpu_seconds of 0 or
 * RLIM_INFINITY, nofile below SANDBOX_FD_JOB + 1.  Changes nothing.
 * Returns 0, or -1 with a message in err.
 */
int	sandbox_limits_check(const struct sandbox_limits *, char *err,
	    size_t errlen);

/*
 * Sets RLIMIT_AS (when as_bytes is not 0), RLIMIT_CPU (hard limit a little
 * above the soft one, so SIGXCPU comes first and SIGKILL after), and
 * RLIMIT_FSIZE, RLIMIT_NPROC and RLIMIT_CORE to 0, RLIMIT_NOFILE to nofile.
 * A limit is never raised: a value above the current hard limit is lowered
 * to it.  On Linux one prlimit(2) a limit, whose success is the check (two
 * more for a limit above the hard one).  Returns 0, or -1 with a message in
 * err, as soon as a limit cannot be set.
 */
int	sandbox_limits_apply(const struct sandbox_limits *, char *err,
	    size_t errlen);

/*
 * Linux only: makes the process not dumpable and sets no-new-privs (which
 * the seccomp filter and Landlock need when unprivileged), one prctl(2)
 * each, whose success is the check.  Returns 0, or -1 with a message in
 * err.  On FreeBSD capsicum.c
 * does the same with procctl(2): tracing and core dumps off, no-new-privs
 * where the kernel has it.
 */
int	sandbox_prctl_apply(char *err, size_t errlen);

#endif
