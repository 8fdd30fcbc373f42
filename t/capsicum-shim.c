/*
 * t/capsicum-shim.c: a recording stand-in for FreeBSD's Capsicum and
 * procctl(2) calls, for t/11-capsicum on Linux.  Runs in that test program
 * and in the workers it forks; trusts nothing, and enters no capability
 * mode: it remembers what it was asked, in order, refuses what FreeBSD's
 * kernel refuses (a closed descriptor, rights wider than a descriptor
 * has), refuses procctl on another process or in capability mode (which
 * capsicum.c never needs), and fails when told to (t/capsicum-shim.h).
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/capsicum.h>
#include <sys/procctl.h>

#include "t/capsicum-shim.h"

/* FreeBSD's rights of a new descriptor: all of them. */
#define CAP_ALL0	CAPRIGHT(0, 0x000007FFFFFFFFFFULL)
#define CAP_ALL1	CAPRIGHT(1, 0x00000000001FFFFFULL)
#define IOCTLS_MAX	256		/* the kernel's IOCTLS_MAX_COUNT */
#define SHIM_FDS	16

struct shim_log	 *shim_log;
int		(*shim_state)(enum shim_op, int);
int		  shim_wxmap;

/* This process's own: copied into a child by fork, unlike the log. */
static struct {
	int		fail_at;	/* failable call that fails, from 1 */
	int		fail_errno;
	int		failable;	/* calls so far */
	int		lies;
	int		capmode;
	int		notrace;
	int		nnp;
	uint64_t	rights[SHIM_FDS][2];
	long		nioctls[SHIM_FDS];	/* -1: all */
	uint32_t	fcntls[SHIM_FDS];
} shim;

void
shim_reset(int fail_at, int fail_errno, int lies)
{
	int	fd;

	if (shim_log == NULL && (shim_log = mmap(NULL, sizeof(*shim_log),
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
	    0)) == MAP_FAILED)
		abort();
	memset(shim_log, 0, sizeof(*shim_log));
	memset(&shim, 0, sizeof(shim));
	shim.fail_at = fail_at;
	shim.fail_errno = fail_errno;
	shim.lies = lies;
	for (fd = 0; fd < SHIM_FDS; fd++) {
		shim.rights[fd][0] = CAP_ALL0;
		shim.rights[fd][1] = CAP_ALL1;
		shim.nioctls[fd] = -1;
		shim.fcntls[fd] = CAP_FCNTL_ALL;
	}
}

static struct shim_call *
shim_record(enum shim_op op, int fd)
{
	static struct shim_call	 spare;
	struct shim_call	*c;
	int			 state;

	state = shim_state != NULL ? shim_state(op, fd) : 0;
	if (shim_log->n == SHIM_CALLS_MAX) {
		shim_log->overflow = 1;
		c = &spare;
	} else
		c = &shim_log->calls[shim_log->n++];
	memset(c, 0, sizeof(*c));
	c->op = op;
	c->fd = fd;
	c->state = state;
	return c;
}

/*
 * Whether this call is the one to fail, or is refused as FreeBSD would;
 * sets errno if so.
 */
static int
shim_fails(struct shim_call *c, int refuse)
{
	if (++shim.failable == shim.fail_at) {
		c->failed = 1;
		errno = shim.fail_errno;
		return 1;
	}
	if (refuse != 0) {
		c->failed = 1;
		errno = refuse;
		return 1;
	}
	return 0;
}

/* EBADF for a closed descriptor, as the kernel's fdeget would. */
static int
shim_badfd(int fd)
{
	return fd < 0 || fd >= SHIM_FDS || fcntl(fd, F_GETFD) == -1;
}

/* As FreeBSD's: each right goes to the word its index bits name. */
cap_rights_t *
shim_cap_rights_init(int version, cap_rights_t *r, ...)
{
	va_list		 ap;
	uint64_t	 right;
	int		 idx;

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
	return r;
}

int
cap_rights_limit(int fd, const cap_rights_t *r)
{
	struct shim_call	*c = shim_record(SHIM_RIGHTS_LIMIT, fd);
	int			 refuse = 0;

	c->rights[0] = r->cr_rights[0];
	c->rights[1] = r->cr_rights[1];
	if (shim_badfd(fd))
		refuse = EBADF;
	else if ((r->cr_rights[0] & ~shim.rights[fd][0]) != 0 ||
	    (r->cr_rights[1] & ~shim.rights[fd][1]) != 0)
		refuse = ENOTCAPABLE;
	if (shim_fails(c, refuse))
		return -1;
	shim.rights[fd][0] = r->cr_rights[0];
	shim.rights[fd][1] = r->cr_rights[1];
	/* As the kernel: no CAP_IOCTL, no ioctls; no CAP_FCNTL, no fcntls. */
	if ((r->cr_rights[1] & CAP_IOCTL & ~CAPRIGHT(1, 0ULL)) == 0)
		shim.nioctls[fd] = 0;
	if ((r->cr_rights[0] & CAP_FCNTL & ~CAPRIGHT(0, 0ULL)) == 0)
		shim.fcntls[fd] = 0;
	return 0;
}

int
cap_ioctls_limit(int fd, const cap_ioctl_t *cmds, size_t ncmds)
{
	struct shim_call	*c = shim_record(SHIM_IOCTLS_LIMIT, fd);
	int			 refuse = 0;

	c->arg = (long)ncmds;
	if (ncmds > IOCTLS_MAX || (ncmds > 0 && cmds == NULL))
		refuse = EINVAL;
	else if (shim_badfd(fd))
		refuse = EBADF;
	else if (shim.nioctls[fd] != -1 && (long)ncmds > shim.nioctls[fd])
		refuse = ENOTCAPABLE;
	if (shim_fails(c, refuse))
		return -1;
	shim.nioctls[fd] = (long)ncmds;
	return 0;
}

int
cap_fcntls_limit(int fd, uint32_t rights)
{
	struct shim_call	*c = shim_record(SHIM_FCNTLS_LIMIT, fd);
	int			 refuse = 0;

	c->arg = (long)rights;
	if ((rights & ~(uint32_t)CAP_FCNTL_ALL) != 0)
		refuse = EINVAL;
	else if (shim_badfd(fd))
		refuse = EBADF;
	else if ((rights & ~shim.fcntls[fd]) != 0)
		refuse = ENOTCAPABLE;
	if (shim_fails(c, refuse))
		return -1;
	shim.fcntls[fd] = rights;
	return 0;
}

int
cap_enter(void)
{
	struct shim_call	*c = shim_record(SHIM_ENTER, -1);

	if (shim_fails(c, 0))
		return -1;
	shim.capmode = 1;
	return 0;
}

int
cap_getmode(unsigned int *modep)
{
	struct shim_call	*c = shim_record(SHIM_GETMODE, -1);

	if (shim_fails(c, 0))
		return -1;
	*modep = shim.capmode && !(shim.lies & SHIM_LIE_GETMODE);
	c->arg = (long)*modep;
	return 0;
}

/* The *_CTL commands capsicum.c sends; EINVAL for anything else. */
static int
shim_procctl_ctl(int cmd, int arg)
{
	switch (cmd) {
	case PROC_TRACE_CTL:
		if (arg != PROC_TRACE_CTL_DISABLE)
			return EINVAL;
		shim.notrace = 1;
		return 0;
	case PROC_NO_NEW_PRIVS_CTL:
		if (arg != PROC_NO_NEW_PRIVS_ENABLE)
			return EINVAL;
		shim.nnp = 1;
		return 0;
	}
	return EINVAL;
}

static int
shim_procctl_status(int cmd, int *st)
{
	switch (cmd) {
	case PROC_TRACE_STATUS:
		*st = shim.notrace && !(shim.lies & SHIM_LIE_TRACE) ? -1 : 0;
		return 0;
	case PROC_NO_NEW_PRIVS_STATUS:
		*st = shim.nnp && !(shim.lies & SHIM_LIE_NNP) ?
		    PROC_NO_NEW_PRIVS_ENABLE : PROC_NO_NEW_PRIVS_DISABLE;
		return 0;
	case PROC_WXMAP_STATUS:
		*st = shim_wxmap;
		return 0;
	}
	return EINVAL;
}

int
procctl(idtype_t idtype, id_t id, int cmd, void *data)
{
	struct shim_call	*c = shim_record(SHIM_PROCCTL, cmd);
	int			 refuse, st = 0, status;

	status = cmd == PROC_TRACE_STATUS || cmd == PROC_NO_NEW_PRIVS_STATUS ||
	    cmd == PROC_WXMAP_STATUS;
	if (!status)
		c->arg = *(int *)data;
	/* Only ever this process: anything else is the test's failure. */
	if (idtype != P_PID || (id != 0 && id != (id_t)getpid()))
		refuse = ESRCH;
	else if (shim.capmode)
		refuse = ECAPMODE;	/* not needed there: do it before */
	else
		refuse = status ? shim_procctl_status(cmd, &st) :
		    shim_procctl_ctl(cmd, *(int *)data);
	if (shim_fails(c, refuse))
		return -1;
	if (status) {
		*(int *)data = st;
		c->arg = st;
	}
	return 0;
}
