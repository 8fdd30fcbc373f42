/*
 * sandbox/capsicum.h: internal to sandbox/, not for the rest of filterd.
 * The Capsicum layer of a worker on FreeBSD (capsicum.c), which
 * sandbox_worker_enter() applies last, after the rlimits and procctl(2).
 * Runs in the worker, after fork and before the job is read.  The rest of
 * filterd sees only sandbox.h: sandbox_worker_enter() before the job,
 * sandbox_worker_job() on the job descriptor it then receives.
 */
#ifndef FILTERD_SANDBOX_CAPSICUM_H
#define FILTERD_SANDBOX_CAPSICUM_H

#include <stddef.h>

/*
 * Limits descriptors 0-2 (no right at all) and SANDBOX_FD_CHAN (recv and
 * send) to the rights they need, each with no ioctl and no fcntl command,
 * then enters capability mode and checks that it did.  The caller has
 * closed every other descriptor.  Any failure stops at once, before
 * cap_enter() when a limit failed; ENOSYS (a kernel without Capsicum) is
 * a failure like any other.  Returns 0, or -1 with a message in err.
 */
int	sandbox_capsicum_enter(char *err, size_t errlen);

#endif
