/*
 * t/capsicum-shim.c: a recording stand-in for FreeBSD's Capsicum calls,
 * for t/11-capsicum on Linux.  Runs in that test program; trusts nothing,
 * and enters no capability mode: it only remembers what it was asked, in
 * order, and fails when told to (t/capsicum-shim.h).
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sys/capsicum.h>

#include "t/capsicum-shim.h"

struct shim_call	  shim_calls[SHIM_CALLS_MAX];
size_t			  shim_ncalls;
int			  shim_overflow;
int			(*shim_enter_state)(void);

static int	shim_fail_at;	/* failable call that fails, from 1 */
static int	shim_fail_errno;
static int	shim_failable;	/* failable calls so far */
static int	shim_mode_after;
static int	shim_in_capmode;

void
shim_reset(int fail_at, int fail_errno, int mode_after)
{
	memset(shim_calls, 0, sizeof(shim_calls));
	shim_ncalls = 0;
	shim_overflow = 0;
	shim_fail_at = fail_at;
	shim_fail_errno = fail_errno;
	shim_failable = 0;
	shim_mode_after = mode_after;
	shim_in_capmode = 0;
}

static struct shim_call *
shim_record(enum shim_op op)
{
	static struct shim_call	spare;

	if (shim_ncalls == SHIM_CALLS_MAX) {
		shim_overflow = 1;
		memset(&spare, 0, sizeof(spare));
		return &spare;
	}
	shim_calls[shim_ncalls].op = op;
	return &shim_calls[shim_ncalls++];
}

/* Whether this failable call is the one to fail; sets errno if so. */
static int
shim_fails(struct shim_call *c)
{
	if (++shim_failable != shim_fail_at)
		return 0;
	c->failed = 1;
	errno = shim_fail_errno;
	return 1;
}

/* As FreeBSD's: each right goes to the word its index bits name. */
cap_rights_t *
shim_cap_rights_init(int version, cap_rights_t *r, ...)
{
	struct shim_call	*c;
	va_list			 ap;
	uint64_t		 right;
	int			 idx;

	r->cr_rights[0] = ((uint64_t)version << 62) | CAPRIGHT(0, 0ULL);
	r->cr_rights[1] = CAPRIGHT(1, 0ULL);
	va_start(ap, r);
	while ((right = va_arg(ap, unsigned long long)) != 0) {
		/* FreeBSD asserts the index: 1 for word 0, 2 for word 1. */
		idx = (int)((right >> 57) & 0x1f);
		if (idx != 1 && idx != 2)
			abort();
		r->cr_rights[idx - 1] |= right;
	}
	va_end(ap);
	c = shim_record(SHIM_RIGHTS_INIT);
	c->rights[0] = r->cr_rights[0];
	c->rights[1] = r->cr_rights[1];
	return r;
}

int
cap_rights_limit(int fd, const cap_rights_t *r)
{
	struct shim_call	*c = shim_record(SHIM_RIGHTS_LIMIT);

	c->fd = fd;
	c->rights[0] = r->cr_rights[0];
	c->rights[1] = r->cr_rights[1];
	return shim_fails(c) ? -1 : 0;
}

int
cap_enter(void)
{
	int			 state = 0;
	struct shim_call	*c;

	if (shim_enter_state != NULL)
		state = shim_enter_state();
	c = shim_record(SHIM_ENTER);
	c->state = state;
	if (shim_fails(c))
		return -1;
	shim_in_capmode = shim_mode_after;
	return 0;
}

int
cap_getmode(unsigned int *modep)
{
	struct shim_call	*c = shim_record(SHIM_GETMODE);

	if (shim_fails(c))
		return -1;
	*modep = (unsigned int)shim_in_capmode;
	return 0;
}
