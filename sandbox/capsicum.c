/*
 * sandbox/capsicum.c: the worker sandbox on FreeBSD, with Capsicum, in
 * place of seccomp.c, landlock.c and namespaces.c.  sandbox_filter_new(),
 * sandbox_filter_dump() and sandbox_spawner_enter() run in the spawner,
 * which trusts its configuration; sandbox_worker_enter() runs in a freshly
 * forked worker before it reads a byte of the message, and trusts nothing
 * after it returns.
 *
 * The same order as on Linux, narrowing last: rlimits, then tracing and
 * core dumps off and no-new-privs (limits.c), then every descriptor is
 * limited to the rights it needs with cap_rights_limit(), then
 * cap_enter(), then cap_getmode() checks that it took.  In capability mode
 * no global namespace is reachable: no path, no socket address, no pid,
 * no System V IPC, so the Linux layers that close those (Landlock, the
 * namespaces, most of the seccomp policy) have nothing left to do.
 *
 * Nothing is best effort here: a kernel without Capsicum answers ENOSYS,
 * which is an error like any other, and any error stops before
 * cap_enter(), so a worker never runs with a descriptor wider than its
 * table says.
 *
 * Built only where <sys/capsicum.h> exists, and on Linux for t/11-capsicum
 * against a recording stand-in of that header (SANDBOX_CAPSICUM_SHIM).
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#if !defined(HAVE_SYS_CAPSICUM_H) && !defined(SANDBOX_CAPSICUM_SHIM)
#error "sandbox/capsicum.c needs <sys/capsicum.h>"
#endif

#include <sys/types.h>
#include <sys/capsicum.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sandbox/sandbox.h"
#include "sandbox/capsicum.h"
#include "sandbox/limits.h"
#include "sandbox/seterr.h"

/* Nothing to build in advance: the rights are in fd_table. */
struct sandbox_filter {
	int	unused;
};

/*
 * The rights of each descriptor of a worker.  All are rights of index 0,
 * so they combine with |; 0 is no right at all.  CAP_RECV and CAP_SEND
 * are CAP_READ and CAP_WRITE under other names, listed for the reader.
 * CAP_SEEK covers lseek (the job's size) and, with CAP_READ, pread.
 */
struct fd_rights {
	int		 fd;
	const char	*name;
	int		 optional;	/* may be closed: then skipped */
	uint64_t	 rights;
	const char	*desc;
};

#define JOB_RIGHTS	(CAP_READ | CAP_SEEK | CAP_MMAP_R)

static const struct fd_rights fd_table[] = {
	{ STDIN_FILENO, "stdin", 0, 0, "none" },
	{ STDOUT_FILENO, "stdout", 0, 0, "none" },
	{ STDERR_FILENO, "stderr", 0, 0, "none" },
	{ SANDBOX_FD_CHAN, "channel", 0,
	    CAP_READ | CAP_RECV | CAP_WRITE | CAP_SEND,
	    "read, write (recv, send)" },
	{ SANDBOX_FD_JOB, "job", 1, JOB_RIGHTS,
	    "read, seek, mmap read-only (when open)" },
};

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static const char *
capsicum_strerror(int e)
{
	return e == ENOSYS ? "kernel without Capsicum (ENOSYS)" : strerror(e);
}

static int
capsicum_limit(int fd, const char *name, uint64_t rights, char *err,
    size_t errlen)
{
	cap_rights_t	r;

	if (rights == 0)
		(void)cap_rights_init(&r);
	else
		(void)cap_rights_init(&r, rights);
	if (cap_rights_limit(fd, &r) == -1) {
		sandbox_seterr(err, errlen, "cap_rights_limit %s (fd %d): %s", name,
		    fd, capsicum_strerror(errno));
		return -1;
	}
	return 0;
}

/* Sets *open_r to whether fd is open; any answer but EBADF is an error. */
static int
capsicum_fd_open(const struct fd_rights *t, int *open_r, char *err,
    size_t errlen)
{
	*open_r = fcntl(t->fd, F_GETFD) != -1;
	if (*open_r || errno == EBADF)
		return 0;
	sandbox_seterr(err, errlen, "fcntl %s (fd %d): %s", t->name, t->fd,
	    strerror(errno));
	return -1;
}

static int
capsicum_limit_all(char *err, size_t errlen)
{
	const struct fd_rights	*t;
	size_t			 i;
	int			 isopen;

	for (i = 0; i < NITEMS(fd_table); i++) {
		t = &fd_table[i];
		isopen = 1;
		if (t->optional && capsicum_fd_open(t, &isopen, err,
		    errlen) == -1)
			return -1;
		if (isopen && capsicum_limit(t->fd, t->name, t->rights, err,
		    errlen) == -1)
			return -1;
	}
	return 0;
}

int
sandbox_capsicum_enter(char *err, size_t errlen)
{
	unsigned int	mode = 0;

	if (capsicum_limit_all(err, errlen) == -1)
		return -1;
	if (cap_enter() == -1) {
		sandbox_seterr(err, errlen, "cap_enter: %s", capsicum_strerror(errno));
		return -1;
	}
	if (cap_getmode(&mode) == -1) {
		sandbox_seterr(err, errlen, "cap_getmode: %s",
		    capsicum_strerror(errno));
		return -1;
	}
	if (mode == 0) {
		sandbox_seterr(err, errlen, "cap_enter did not take");
		return -1;
	}
	return 0;
}

int
sandbox_capsicum_limit_job(int fd, char *err, size_t errlen)
{
	return capsicum_limit(fd, "job", JOB_RIGHTS, err, errlen);
}

struct sandbox_filter *
sandbox_filter_new(char *err, size_t errlen)
{
	struct sandbox_filter	*f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		sandbox_seterr(err, errlen, "calloc: %s", strerror(errno));
	return f;
}

void
sandbox_filter_free(struct sandbox_filter **fp)
{
	free(*fp);
	*fp = NULL;
}

/* The rights table, one descriptor a line, then cap_enter. */
int
sandbox_filter_dump(const struct sandbox_filter *f, int fd)
{
	const struct fd_rights	*t;
	size_t			 i;

	for (i = 0; i < NITEMS(fd_table); i++) {
		t = &fd_table[i];
		if (dprintf(fd, "fd %d %s: %#llx %s\n", t->fd, t->name,
		    (unsigned long long)t->rights, t->desc) < 0)
			return -1;
	}
	return dprintf(fd, "cap_enter\n") < 0 ? -1 : 0;
}

/* Capability mode covers what Landlock and the namespaces do on Linux. */
int
sandbox_spawner_enter(const struct sandbox_filter *f,
    struct sandbox_report *r, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	r->landlock_why = "FreeBSD: capability mode instead";
	r->ns_errno = ENOSYS;
	return 0;
}

void
sandbox_report_str(const struct sandbox_report *r, char *buf, size_t len)
{
	(void)snprintf(buf, len, "capsicum (per-descriptor rights, "
	    "capability mode), rlimits, tracing off, no-new-privs where "
	    "the kernel has it");
}

int
sandbox_worker_enter(const struct sandbox_filter *f,
    const struct sandbox_limits *l, char *err, size_t errlen)
{
	if (sandbox_limits_check(l, err, errlen) == -1 ||
	    sandbox_limits_apply(l, err, errlen) == -1 ||
	    sandbox_prctl_apply(err, errlen) == -1)
		return -1;
	/* Last: nothing after this may need a global namespace. */
	return sandbox_capsicum_enter(err, errlen);
}

/*
 * The supervisor's, the spawner's and the checker's own confinement is
 * seccomp's on Linux (seccomp_procs.c).  It is not done on FreeBSD yet:
 * these processes run there with their privileges dropped but outside
 * capability mode, and sandbox_proc_enter() is a no-op that succeeds.
 */
int
sandbox_proc_enter(enum sandbox_proc p, char *err, size_t errlen)
{
	(void)p;
	(void)err;
	(void)errlen;
	return 0;
}

int
sandbox_proc_dump(enum sandbox_proc p, int fd, char *err, size_t errlen)
{
	(void)p;
	(void)fd;
	sandbox_seterr(err, errlen, "no policy to dump: capsicum");
	return -1;
}

const char *
sandbox_proc_name(enum sandbox_proc p)
{
	return p == SANDBOX_PROC_SUPERVISOR ? "supervisor" :
	    p == SANDBOX_PROC_SPAWNER ? "spawner" : "checker";
}

void
sandbox_proc_exit(int status)
{
	exit(status);
}
