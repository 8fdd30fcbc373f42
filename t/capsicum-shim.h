/*
 * t/capsicum-shim.h: what t/11-capsicum sees of the recording Capsicum and
 * procctl shim (t/capsicum-shim.c).  Runs in that test program and in the
 * workers it forks; trusts nothing.
 *
 * Every cap_*_limit, cap_enter, cap_getmode and procctl call is appended
 * to shim_log, which lives in memory shared with forked children, so the
 * test reads what a worker asked for after the worker has exited.  Every
 * one of those calls can fail: they are counted from 1 after
 * shim_reset(), and the one numbered fail_at fails with fail_errno.
 */
#ifndef FILTERD_T_CAPSICUM_SHIM_H
#define FILTERD_T_CAPSICUM_SHIM_H

#include <stddef.h>
#include <stdint.h>

enum shim_op {
	SHIM_RIGHTS_LIMIT,
	SHIM_IOCTLS_LIMIT,
	SHIM_FCNTLS_LIMIT,
	SHIM_ENTER,
	SHIM_GETMODE,
	SHIM_PROCCTL,
};

/*
 * One call.  fd: the *_LIMIT calls' descriptor, procctl's command.
 * rights: the cap_rights_t of cap_rights_limit.  arg: the number of ioctl
 * commands, the fcntl rights, or the int procctl read (a *_CTL) or wrote
 * (a *_STATUS).  state: what shim_state said just before the call.
 */
struct shim_call {
	enum shim_op	op;
	int		fd;
	uint64_t	rights[2];
	long		arg;
	int		failed;		/* the shim made it fail */
	int		state;
};

#define SHIM_CALLS_MAX	64

struct shim_log {
	struct shim_call	calls[SHIM_CALLS_MAX];
	size_t			n;
	int			overflow;	/* more than SHIM_CALLS_MAX */
};

/* Shared with forked children; set up by the first shim_reset(). */
extern struct shim_log	*shim_log;

/* What the status calls can be made to claim, against the truth. */
#define SHIM_LIE_GETMODE	0x1	/* not in capability mode */
#define SHIM_LIE_TRACE		0x2	/* tracing allowed */
#define SHIM_LIE_NNP		0x4	/* no-new-privs off */

/*
 * Forgets every call, and every descriptor's rights, and sets what comes
 * next: call fail_at (from 1; 0 for none) fails with fail_errno, and the
 * status calls tell the lies in the lies mask.
 */
void	shim_reset(int fail_at, int fail_errno, int lies);

/* Called before each call is recorded, for its state; may be NULL. */
extern int	(*shim_state)(enum shim_op, int fd);

/* What PROC_WXMAP_STATUS answers. */
extern int	shim_wxmap;

#endif
