/*
 * sandbox/capsicum.h: internal to sandbox/, not for the rest of filterd.
 * The Capsicum layer of a worker on FreeBSD (capsicum.c), which
 * sandbox_worker_enter() applies last, after the rlimits.  Runs in the
 * worker, after fork and before the job is read.
 */
#ifndef FILTERD_SANDBOX_CAPSICUM_H
#define FILTERD_SANDBOX_CAPSICUM_H

#include <stddef.h>

/*
 * Limits every descriptor of a worker to the rights it needs, then enters
 * capability mode and checks that it did: 0-2 get no right at all,
 * SANDBOX_FD_CHAN read and write (which cover recv and send), and
 * SANDBOX_FD_JOB, when it is open, read, seek and read-only mmap.  Any
 * failure stops at once, before cap_enter() when a limit failed; ENOSYS
 * (a kernel without Capsicum) is a failure like any other.  Returns 0, or
 * -1 with a message in err.
 */
int	sandbox_capsicum_enter(char *err, size_t errlen);

/*
 * Limits fd, a job descriptor received after sandbox_capsicum_enter(), to
 * the rights of SANDBOX_FD_JOB.  Returns 0, or -1 with a message in err.
 */
int	sandbox_capsicum_limit_job(int fd, char *err, size_t errlen);

#endif
