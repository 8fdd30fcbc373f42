/*
 * sandbox/capsicum.c: the worker sandbox on FreeBSD, with Capsicum and
 * procctl(2), in place of seccomp.c, landlock.c and namespaces.c.
 * sandbox_filter_new(), sandbox_filter_dump() and sandbox_spawner_enter()
 * run in the spawner, which trusts its configuration;
 * sandbox_worker_enter() runs in a freshly forked worker before it reads
 * a byte of the message, and sandbox_worker_job() on the job descriptor
 * the worker then receives, before it reads a byte of the job.  After
 * that the worker trusts nothing.
 *
 * The same order as on Linux, narrowing last: every descriptor past the
 * channel closed; rlimits (limits.c: no processes, no files, no core,
 * CPU, address space, four descriptors and the job); tracing and core
 * dumps off and no-new-privs (procctl); descriptors 0-3 limited to the
 * rights they need, with no ioctl and no fcntl command; cap_enter(), and
 * cap_getmode() to check that it took.  In capability mode no global
 * namespace is reachable: no path, no socket address, no pid but our own,
 * no System V IPC; so the Linux layers that close those (Landlock, the
 * namespaces, most of the seccomp policy) have nothing left to do.
 *
 * The job arrives after cap_enter(), by recvmsg on the channel, with the
 * rights the supervisor's descriptor had: all of them.  Rights travel with
 * a descriptor over SCM_RIGHTS, so the supervisor could narrow it before
 * sending; we narrow it in the worker instead, right after recvmsg and
 * before the job is sized, mapped or read (sandbox_worker_job(), from
 * worker.c).  cap_rights_limit(2) works in capability mode; the sealed
 * memfd cannot be written meanwhile; nothing from the message has been
 * parsed before the limit; a failed limit ends the worker before it reads
 * the job; and it keeps every Capsicum call in this file, where
 * t/11-capsicum checks the whole sequence, rather than in the supervisor.
 *
 * What capability mode and these rights still allow a worker that a
 * message took over (there is no Capsicum equivalent of seccomp's
 * allow-list): anonymous memory mapped or mprotect'ed PROT_EXEC -- no
 * mapping of the job, which lacks CAP_MMAP_X, but code written into
 * anonymous memory can be made executable, and W^X, where the spawner's
 * image enforces it (reported by sandbox_spawner_enter), only refuses
 * write and execute at once; fork and pdfork, which RLIMIT_NPROC 0
 * refuses to a worker that is not root, and threads, which share its
 * limits; socket(), socketpair(), pipe() and shm_open(SHM_ANON), which
 * give descriptors that reach nothing outside (bind, connect and sendto
 * with an address are refused) and which RLIMIT_NOFILE leaves no room
 * for once the job is in, short of closing its own; sending its own
 * descriptors (rights and all) to the supervisor, which closes them;
 * kill() of itself only; the sysctls marked for capability mode; and the
 * system calls behind all these, the kernel's attack surface.  execve()
 * is refused, and fexecve() needs CAP_FEXECVE, which no descriptor has.
 *
 * Nothing is best effort here: a kernel without Capsicum answers ENOSYS,
 * which is an error like any other; every procctl is read back; any error
 * stops before cap_enter(), so a worker never runs with a descriptor wider
 * than fd_table says.
 *
 * Built where configure selects Capsicum (FreeBSD), and on Linux for
 * t/11-capsicum against a recording stand-in of <sys/capsicum.h> and
 * <sys/procctl.h> (SANDBOX_CAPSICUM_SHIM).
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#if !defined(SANDBOX_CAPSICUM_SHIM) && \
    (!defined(HAVE_SYS_CAPSICUM_H) || !defined(HAVE_SYS_PROCCTL_H))
#error "sandbox/capsicum.c needs <sys/capsicum.h> and <sys/procctl.h>"
#endif

#include <sys/types.h>
#include <sys/capsicum.h>
#include <sys/procctl.h>
#include <sys/wait.h>

#include <errno.h>
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
 * so they combine with |; 0 is no right at all.  CAP_READ and CAP_WRITE
 * are CAP_RECV and CAP_SEND: recvmsg, which also receives the job, and
 * sendmsg without an address; no CAP_CONNECT, CAP_BIND, CAP_ACCEPT,
 * CAP_LISTEN, CAP_SHUTDOWN.  CAP_SEEK covers lseek (the job's size);
 * CAP_MMAP_R (which includes CAP_READ and CAP_SEEK) a read-only mapping,
 * never an executable one.  No descriptor gets CAP_IOCTL, CAP_FCNTL,
 * CAP_FSTAT or CAP_FEXECVE.
 */
struct fd_rights {
	int		 fd;
	const char	*name;
	uint64_t	 rights;
	const char	*desc;
};

#define CHAN_RIGHTS	(CAP_READ | CAP_WRITE)
#define JOB_RIGHTS	(CAP_READ | CAP_SEEK | CAP_MMAP_R)

static const struct fd_rights fd_table[] = {
	{ STDIN_FILENO, "stdin", 0, "none" },
	{ STDOUT_FILENO, "stdout", 0, "none" },
	{ STDERR_FILENO, "stderr", 0, "none" },
	{ SANDBOX_FD_CHAN, "channel", CHAN_RIGHTS, "recv, send" },
};

/* Received after cap_enter(); limited by sandbox_worker_job(). */
static const struct fd_rights job_rights = {
	SANDBOX_FD_JOB, "job", JOB_RIGHTS, "read, seek, mmap read-only"
};

/* A procctl(2) setting and the status that shows it took. */
struct pctl {
	const char	*name;
	int		 ctl, arg;
	int		 status, want;
};

/*
 * Tracing off is FreeBSD's not dumpable: no ptrace, no ktrace, no core
 * (it fails with EBUSY on a process being traced, so a traced worker
 * does not start).  No-new-privs only matters to execve, which capability
 * mode refuses anyway; it is set where the headers have it (it was
 * added in 2021, and FreeBSD 14 has it).
 */
static const struct pctl pctl_table[] = {
	{ "PROC_TRACE_CTL", PROC_TRACE_CTL, PROC_TRACE_CTL_DISABLE,
	    PROC_TRACE_STATUS, -1 },
#ifdef PROC_NO_NEW_PRIVS_CTL
	{ "PROC_NO_NEW_PRIVS_CTL", PROC_NO_NEW_PRIVS_CTL,
	    PROC_NO_NEW_PRIVS_ENABLE, PROC_NO_NEW_PRIVS_STATUS,
	    PROC_NO_NEW_PRIVS_ENABLE },
#endif
};

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static const char *
capsicum_strerror(int e)
{
	return e == ENOSYS ? "kernel without Capsicum (ENOSYS)" : strerror(e);
}

/*
 * Limits fd to t's rights, then to no ioctl and no fcntl command.  The
 * kernel already empties both lists when the rights lack CAP_IOCTL and
 * CAP_FCNTL; saying so again costs two calls and fails closed on a kernel
 * that did not.
 */
static int
capsicum_limit(const struct fd_rights *t, int fd, char *err, size_t errlen)
{
	cap_rights_t	 r;
	const char	*call;

	if (t->rights == 0)
		(void)cap_rights_init(&r);
	else
		(void)cap_rights_init(&r, t->rights);
	if (cap_rights_limit(fd, &r) == -1)
		call = "cap_rights_limit";
	else if (cap_ioctls_limit(fd, NULL, 0) == -1)
		call = "cap_ioctls_limit";
	else if (cap_fcntls_limit(fd, 0) == -1)
		call = "cap_fcntls_limit";
	else
		return 0;
	sandbox_seterr(err, errlen, "%s %s (fd %d): %s", call, t->name, fd,
	    capsicum_strerror(errno));
	return -1;
}

static int
capsicum_procctl(const struct pctl *p, char *err, size_t errlen)
{
	int	arg = p->arg, st = 0;

	if (procctl(P_PID, getpid(), p->ctl, &arg) == -1 ||
	    procctl(P_PID, getpid(), p->status, &st) == -1) {
		sandbox_seterr(err, errlen, "%s: %s", p->name, strerror(errno));
		return -1;
	}
	if (st != p->want) {
		sandbox_seterr(err, errlen, "%s did not take", p->name);
		return -1;
	}
	return 0;
}

int
sandbox_capsicum_enter(char *err, size_t errlen)
{
	unsigned int	mode = 0;
	size_t		i;

	for (i = 0; i < NITEMS(fd_table); i++)
		if (capsicum_limit(&fd_table[i], fd_table[i].fd, err,
		    errlen) == -1)
			return -1;
	if (cap_enter() == -1) {
		sandbox_seterr(err, errlen, "cap_enter: %s",
		    capsicum_strerror(errno));
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

static int
dump_rights(const struct fd_rights *t, int fd)
{
	return dprintf(fd, "fd %d %s: %#llx %s; no ioctl, no fcntl\n", t->fd,
	    t->name, (unsigned long long)t->rights, t->desc) < 0 ? -1 : 0;
}

/* The order of sandbox_worker_enter(), then the job's limit. */
int
sandbox_filter_dump(const struct sandbox_filter *f, int fd)
{
	size_t	i;

	if (dprintf(fd, "close fds above %d\nrlimits\n", SANDBOX_FD_CHAN) < 0)
		return -1;
	for (i = 0; i < NITEMS(pctl_table); i++)
		if (dprintf(fd, "procctl %s %d\n", pctl_table[i].name,
		    pctl_table[i].arg) < 0)
			return -1;
	for (i = 0; i < NITEMS(fd_table); i++)
		if (dump_rights(&fd_table[i], fd) == -1)
			return -1;
	if (dprintf(fd, "cap_enter\nafter recvmsg: ") < 0)
		return -1;
	return dump_rights(&job_rights, fd);
}

/*
 * W^X is decided when an image is exec'd (kern.elf64.allow_wx, elfctl(1),
 * or PROC_WX_MAPPINGS_DISALLOW_EXEC in whoever exec'd us), and anything,
 * PCRE2's JIT among them, may turn it off for the rest of the process
 * with PROC_WX_MAPPINGS_PERMIT; it cannot be turned back on.  So the
 * spawner, after compiling its rules, reports what its workers, forked
 * from it, will get.
 */
#ifdef PROC_WXMAP_STATUS
static int
capsicum_wxorx(int *wxorx_r, char *err, size_t errlen)
{
	int	st = 0;

	if (procctl(P_PID, getpid(), PROC_WXMAP_STATUS, &st) == -1) {
		sandbox_seterr(err, errlen, "PROC_WXMAP_STATUS: %s",
		    strerror(errno));
		return -1;
	}
	*wxorx_r = (st & PROC_WXORX_ENFORCE) != 0;
	return 0;
}
#else
static int
capsicum_wxorx(int *wxorx_r, char *err, size_t errlen)
{
	*wxorx_r = -1;
	return 0;
}
#endif

/* Capability mode covers what Landlock and the namespaces do on Linux. */
int
sandbox_spawner_enter(const struct sandbox_filter *f,
    struct sandbox_report *r, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	r->landlock_why = "FreeBSD: capability mode instead";
	r->ns_errno = ENOSYS;
	return capsicum_wxorx(&r->wxorx, err, errlen);
}

void
sandbox_report_str(const struct sandbox_report *r, char *buf, size_t len)
{
	(void)snprintf(buf, len, "capsicum (per-descriptor rights, "
	    "capability mode), rlimits, tracing off, no-new-privs where "
	    "the kernel has it, %s", r->wxorx == 1 ? "W^X enforced" :
	    r->wxorx == 0 ? "W+X mappings allowed (kern.elf64.allow_wx, "
	    "or the PCRE2 JIT asked)" : "W^X unknown (no PROC_WXMAP_STATUS)");
}

/*
 * Nothing but 0-2 and the channel may be open when capability mode
 * starts, for any other descriptor would keep every right it has.
 */
static int
capsicum_close_rest(char *err, size_t errlen)
{
	if (close_range(SANDBOX_FD_CHAN + 1, ~0U, 0) == -1) {
		sandbox_seterr(err, errlen, "close_range: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
sandbox_worker_enter(const struct sandbox_filter *f,
    const struct sandbox_limits *l, char *err, size_t errlen)
{
	size_t	i;

	if (sandbox_limits_check(l, err, errlen) == -1 ||
	    capsicum_close_rest(err, errlen) == -1 ||
	    sandbox_limits_apply(l, err, errlen) == -1)
		return -1;
	for (i = 0; i < NITEMS(pctl_table); i++)
		if (capsicum_procctl(&pctl_table[i], err, errlen) == -1)
			return -1;
	/* Last: nothing after this may need a global namespace. */
	return sandbox_capsicum_enter(err, errlen);
}

int
sandbox_worker_job(int fd, char *err, size_t errlen)
{
	return capsicum_limit(&job_rights, fd, err, errlen);
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
