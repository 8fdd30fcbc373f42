/*
 * sandbox/landlock.h: internal to sandbox/, not for the rest of filterd.
 * The Landlock layer of a worker (landlock.c): an empty ruleset that
 * handles every access right the running kernel knows, so that the worker
 * can open, create or remove no file, bind or connect no TCP port, and
 * signal or reach through abstract sockets no process outside its domain.
 * Best effort: a kernel without Landlock gets no Landlock layer, and the
 * spawner says so once when it starts.
 */
#ifndef FILTERD_SANDBOX_LANDLOCK_H
#define FILTERD_SANDBOX_LANDLOCK_H

#include <stddef.h>

/*
 * Runs in the spawner, once.  Returns the kernel's Landlock ABI version
 * (1 or more); or 0 when there is no Landlock to use (not in the kernel,
 * disabled at boot, refused by a container's seccomp filter, or filterd
 * built without <linux/landlock.h>), with *why_r set to a static string
 * that says which; or -1 with a message in err on any other failure.
 */
int	sandbox_landlock_abi(const char **why_r, char *err, size_t errlen);

/*
 * Runs in the worker, before its rlimits: the ruleset is a descriptor,
 * and RLIMIT_NOFILE leaves no room for one.  Creates an empty ruleset
 * that handles everything ABI version abi can restrict, and sets *fd_r to
 * it; with abi 0 sets *fd_r to -1 and does nothing.  Returns 0, or -1
 * with a message in err.
 */
int	sandbox_landlock_prepare(int abi, int *fd_r, char *err,
	    size_t errlen);

/*
 * Runs in the worker, after no-new-privs (which Landlock needs) and before
 * the seccomp filter (which kills the Landlock system calls): restricts the
 * process to the ruleset fd and closes fd, also on error.  With fd -1 does
 * nothing.  Returns 0, or -1 with a message in err.
 */
int	sandbox_landlock_restrict(int fd, char *err, size_t errlen);

#endif
