/*
 * t/capsicum-shim.h: what t/11-capsicum sees of the recording Capsicum
 * shim (t/capsicum-shim.c).  Runs in that test program; trusts nothing.
 *
 * Every cap_* call is appended to shim_calls.  The calls that can fail on
 * FreeBSD (cap_rights_limit, cap_enter, cap_getmode) are counted from 1,
 * and the one numbered fail_at fails with fail_errno; 0 fails none.
 */
#ifndef FILTERD_T_CAPSICUM_SHIM_H
#define FILTERD_T_CAPSICUM_SHIM_H

#include <stddef.h>
#include <stdint.h>

enum shim_op {
	SHIM_RIGHTS_INIT,
	SHIM_RIGHTS_LIMIT,
	SHIM_ENTER,
	SHIM_GETMODE,
};

/* fd is SHIM_RIGHTS_LIMIT's, state SHIM_ENTER's (shim_enter_state()). */
struct shim_call {
	enum shim_op	op;
	int		fd;
	uint64_t	rights[2];	/* the cap_rights_t */
	int		failed;		/* the shim made it fail */
	int		state;
};

#define SHIM_CALLS_MAX	64

extern struct shim_call	shim_calls[SHIM_CALLS_MAX];
extern size_t		shim_ncalls;
extern int		shim_overflow;	/* more than SHIM_CALLS_MAX */

/*
 * Forgets every call and sets what comes next: the failable call fail_at
 * fails with fail_errno, and cap_getmode() after a cap_enter() that
 * worked says capability mode only when mode_after is 1.
 */
void	shim_reset(int fail_at, int fail_errno, int mode_after);

/*
 * Called by cap_enter() before it records itself: whatever the test wants
 * to know about the process at that moment (its rlimits, say).  May be
 * NULL.
 */
extern int	(*shim_enter_state)(void);

#endif
