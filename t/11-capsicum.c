/*
 * t/11-capsicum.c: the FreeBSD worker sandbox (sandbox/capsicum.c), on
 * Linux, against the recording stand-in of <sys/capsicum.h> in
 * t/capsicum-shim/.  Runs as a test program, as any user; trusts nothing
 * but what the shim recorded.
 *
 * It checks what capsicum.c asks of the kernel, and in what order: every
 * descriptor limited to exactly its rights, every limit before
 * cap_enter(), cap_getmode() last; and, by making each call fail in turn
 * (ENOSYS among them, a kernel without Capsicum), that every failure
 * fails closed: -1 with a message, and no call after the one that failed,
 * so never cap_enter() after a failed limit.  Whether FreeBSD enforces
 * those rights is FreeBSD's business; that we ask for the right ones is
 * ours.
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

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
#include "t/capsicum-shim.h"
#include "t/tap.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* The empty word 1 of a cap_rights_t: only its index bit. */
#define NO_RIGHTS1	CAPRIGHT(1, 0ULL)

struct want_limit {
	int		 fd;
	const char	*name;
	uint64_t	 rights0;
};

/* Exactly what each descriptor must get, in order. */
static const struct want_limit want_limits[] = {
	{ 0, "stdin", CAPRIGHT(0, 0ULL) },
	{ 1, "stdout", CAPRIGHT(0, 0ULL) },
	{ 2, "stderr", CAPRIGHT(0, 0ULL) },
	{ SANDBOX_FD_CHAN, "channel", CAP_READ | CAP_WRITE },
	{ SANDBOX_FD_JOB, "job", CAP_READ | CAP_SEEK | CAP_MMAP_R },
};

static const char *
op_name(enum shim_op op)
{
	switch (op) {
	case SHIM_RIGHTS_INIT:
		return "cap_rights_init";
	case SHIM_RIGHTS_LIMIT:
		return "cap_rights_limit";
	case SHIM_ENTER:
		return "cap_enter";
	case SHIM_GETMODE:
		return "cap_getmode";
	}
	return "?";
}

static void
diag_calls(void)
{
	size_t	i;

	for (i = 0; i < shim_ncalls; i++)
		diag("call %zu: %s fd %d rights %#llx %#llx%s", i,
		    op_name(shim_calls[i].op), shim_calls[i].fd,
		    (unsigned long long)shim_calls[i].rights[0],
		    (unsigned long long)shim_calls[i].rights[1],
		    shim_calls[i].failed ? " (failed)" : "");
}

/* Index of the first call of op from start, or -1. */
static int
call_find(enum shim_op op, size_t start)
{
	size_t	i;

	for (i = start; i < shim_ncalls; i++)
		if (shim_calls[i].op == op)
			return (int)i;
	return -1;
}

/* The number of calls that can fail: what fail_at counts. */
static int
calls_failable(void)
{
	size_t	i;
	int	n = 0;

	for (i = 0; i < shim_ncalls; i++)
		n += shim_calls[i].op != SHIM_RIGHTS_INIT;
	return n;
}

/* Puts /dev/null on fd, or closes it. */
static void
fd_set_open(int fd, int open_it)
{
	int	null;

	if (!open_it) {
		(void)close(fd);
		return;
	}
	if ((null = open("/dev/null", O_RDWR)) == -1 ||
	    (null != fd && (dup2(null, fd) == -1 || close(null) == -1)))
		bail("/dev/null on fd %d: %s", fd, strerror(errno));
}

/*
 * The limits recorded, in order, are the first nwant of want_limits, each
 * with exactly its rights, each set up by a cap_rights_init just before.
 */
static int
limits_exact(size_t nwant)
{
	const struct shim_call	*c;
	size_t			 i, n = 0;

	for (i = 0; i < shim_ncalls; i++) {
		c = &shim_calls[i];
		if (c->op != SHIM_RIGHTS_LIMIT)
			continue;
		if (n == nwant || c->fd != want_limits[n].fd ||
		    c->rights[0] != want_limits[n].rights0 ||
		    c->rights[1] != NO_RIGHTS1 || i == 0 ||
		    shim_calls[i - 1].op != SHIM_RIGHTS_INIT ||
		    shim_calls[i - 1].rights[0] != c->rights[0])
			return 0;
		n++;
	}
	return n == nwant;
}

/* The one limit of want's fd, with exactly want's rights. */
static int
limit_ok(const struct want_limit *want)
{
	const struct shim_call	*c, *found = NULL;
	size_t			 i;

	for (i = 0; i < shim_ncalls; i++) {
		c = &shim_calls[i];
		if (c->op != SHIM_RIGHTS_LIMIT || c->fd != want->fd)
			continue;
		if (found != NULL)
			return 0;
		found = c;
	}
	return found != NULL && found->rights[0] == want->rights0 &&
	    found->rights[1] == NO_RIGHTS1;
}

/* cap_enter once, after the last limit, then cap_getmode, then nothing. */
static int
order_ok(void)
{
	int	enter, getmode;

	enter = call_find(SHIM_ENTER, 0);
	getmode = call_find(SHIM_GETMODE, 0);
	return enter != -1 && call_find(SHIM_ENTER, (size_t)enter + 1) == -1 &&
	    call_find(SHIM_RIGHTS_LIMIT, (size_t)enter) == -1 &&
	    getmode == enter + 1 && (size_t)getmode == shim_ncalls - 1;
}

#define ENTER_TESTS	(4 + NITEMS(want_limits))

static void
test_enter(void)
{
	char	err[256] = "";
	size_t	i;
	int	rc;

	fd_set_open(SANDBOX_FD_CHAN, 1);
	fd_set_open(SANDBOX_FD_JOB, 1);
	shim_reset(0, 0, 1);
	rc = sandbox_capsicum_enter(err, sizeof(err));
	if (!ok(rc == 0 && !shim_overflow, "sandbox_capsicum_enter"))
		diag("err: %s", err);
	for (i = 0; i < NITEMS(want_limits); i++)
		if (!ok(limit_ok(&want_limits[i]), "fd %d (%s): %#llx",
		    want_limits[i].fd, want_limits[i].name,
		    (unsigned long long)want_limits[i].rights0))
			diag_calls();
	ok(limits_exact(NITEMS(want_limits)),
	    "fds 0-4 limited, in order, exactly, and nothing else");
	if (!ok(order_ok(), "every limit before cap_enter, cap_getmode last"))
		diag_calls();
	fd_set_open(SANDBOX_FD_JOB, 0);
	shim_reset(0, 0, 1);
	rc = sandbox_capsicum_enter(err, sizeof(err));
	if (!ok(rc == 0 && limits_exact(NITEMS(want_limits) - 1) &&
	    order_ok(), "without a job fd: fds 0-3, then cap_enter"))
		diag_calls();
}

/*
 * Makes each failable call fail in turn with e.  Every time: -1, a
 * message, and the failed call is the last one made.
 */
static void
test_fail_each(int e, const char *ename, int nfailable)
{
	char	err[256];
	int	k, rc, last_failed, entered;

	for (k = 1; k <= nfailable; k++) {
		err[0] = '\0';
		shim_reset(k, e, 1);
		rc = sandbox_capsicum_enter(err, sizeof(err));
		last_failed = shim_ncalls > 0 &&
		    shim_calls[shim_ncalls - 1].failed;
		entered = call_find(SHIM_ENTER, 0) != -1;
		if (!ok(rc == -1 && err[0] != '\0' && last_failed &&
		    calls_failable() == k &&
		    entered == (k > (int)NITEMS(want_limits)) &&
		    (e != ENOSYS || strstr(err, "without Capsicum") != NULL),
		    "call %d of %d fails with %s: fails closed (%s)", k,
		    nfailable, ename, err)) {
			diag("rc %d", rc);
			diag_calls();
		}
	}
}

#define LIAR_TESTS	2

static void
test_liar(void)
{
	char	err[256] = "";

	shim_reset(0, 0, 0);
	ok(sandbox_capsicum_enter(err, sizeof(err)) == -1 &&
	    strstr(err, "did not take") != NULL,
	    "cap_getmode says not in capability mode: fails (%s)", err);
	shim_reset(1, ENOTTY, 1);
	ok(sandbox_capsicum_limit_job(7, err, sizeof(err)) == -1 &&
	    shim_ncalls == 2, "a failed limit of a received job fails (%s)",
	    err);
}

#define JOB_TESTS	1

static void
test_limit_job(void)
{
	char	err[256] = "";

	shim_reset(0, 0, 1);
	if (!ok(sandbox_capsicum_limit_job(7, err, sizeof(err)) == 0 &&
	    shim_ncalls == 2 && shim_calls[1].op == SHIM_RIGHTS_LIMIT &&
	    shim_calls[1].fd == 7 &&
	    shim_calls[1].rights[0] == (CAP_READ | CAP_SEEK | CAP_MMAP_R) &&
	    shim_calls[1].rights[1] == NO_RIGHTS1,
	    "a received job: read, seek, mmap read-only"))
		diag_calls();
}

/* What cap_enter() sees: bit 0 rlimits set, bit 1 no-new-privs. */
#define STATE_LIMITS	0x1
#define STATE_NNP	0x2

static int
enter_state(void)
{
	struct rlimit	fsize, nproc, nofile;
	int		state = 0;

	if (getrlimit(RLIMIT_FSIZE, &fsize) == 0 &&
	    getrlimit(RLIMIT_NPROC, &nproc) == 0 &&
	    getrlimit(RLIMIT_NOFILE, &nofile) == 0 && fsize.rlim_max == 0 &&
	    nproc.rlim_max == 0 && nofile.rlim_max == SANDBOX_FD_JOB + 1)
		state |= STATE_LIMITS;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 &&
	    prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0)
		state |= STATE_NNP;
	return state;
}

/* Not _exit(): with RLIMIT_NPROC 0, LeakSanitizer cannot run. */
static void __attribute__((noreturn))
child_exit(int status)
{
	for (;;)
		syscall(SYS_exit_group, status);
}

/*
 * In a child, as the FreeBSD worker would: sandbox_worker_enter() from
 * capsicum.c.  Exits 0 when the rlimits and no-new-privs were in place
 * when cap_enter() came, and cap_enter() came after every limit.
 */
static void
child_worker(void)
{
	struct sandbox_filter	*f;
	struct sandbox_limits	 lim = { 0, 5, SANDBOX_FD_JOB + 1 };
	char			 err[256];
	int			 enter;

	if ((f = sandbox_filter_new(err, sizeof(err))) == NULL)
		child_exit(10);
	shim_reset(0, 0, 1);
	shim_enter_state = enter_state;
	if (sandbox_worker_enter(f, &lim, err, sizeof(err)) == -1)
		child_exit(11);
	if (!limits_exact(NITEMS(want_limits)) || !order_ok())
		child_exit(12);
	enter = call_find(SHIM_ENTER, 0);
	if (!(shim_calls[enter].state & STATE_LIMITS))
		child_exit(13);
	if (!(shim_calls[enter].state & STATE_NNP))
		child_exit(14);
	child_exit(0);
}

/* Bad limits: refused before anything, so no cap_* call at all. */
static void
child_worker_bad(void)
{
	struct sandbox_filter	*f;
	struct sandbox_limits	 lim = { 0, 0, SANDBOX_FD_JOB + 1 };
	char			 err[256];

	if ((f = sandbox_filter_new(err, sizeof(err))) == NULL)
		child_exit(10);
	shim_reset(0, 0, 1);
	if (sandbox_worker_enter(f, &lim, err, sizeof(err)) != -1)
		child_exit(11);
	child_exit(shim_ncalls == 0 ? 0 : 12);
}

static int
run_child(void (*fn)(void))
{
	pid_t	pid;
	int	status;

	fflush(NULL);
	if ((pid = fork()) == -1)
		bail("fork: %s", strerror(errno));
	if (pid == 0)
		fn();
	if (waitpid(pid, &status, 0) == -1)
		bail("waitpid: %s", strerror(errno));
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

#define WORKER_TESTS	2

static void
test_worker(void)
{
	int	rc;

	fd_set_open(SANDBOX_FD_CHAN, 1);
	fd_set_open(SANDBOX_FD_JOB, 1);
	rc = run_child(child_worker);
	if (!ok(rc == 0, "sandbox_worker_enter: rlimits and no-new-privs, "
	    "then the limits, then cap_enter"))
		diag("child exited %d", rc);
	rc = run_child(child_worker_bad);
	if (!ok(rc == 0, "sandbox_worker_enter with cpu_seconds 0: "
	    "refused before any cap_* call"))
		diag("child exited %d", rc);
}

#define DUMP_TESTS	2

static void
test_dump(void)
{
	struct sandbox_filter	*f;
	char			 out[2048], err[256];
	ssize_t			 n;
	int			 fd;

	if ((f = sandbox_filter_new(err, sizeof(err))) == NULL)
		bail("sandbox_filter_new: %s", err);
	if ((fd = memfd_create("dump", MFD_CLOEXEC)) == -1)
		bail("memfd_create: %s", strerror(errno));
	n = sandbox_filter_dump(f, fd) == 0 ?
	    pread(fd, out, sizeof(out) - 1, 0) : -1;
	out[n > 0 ? n : 0] = '\0';
	(void)close(fd);
	if (!ok(strstr(out, "fd 3 channel: ") != NULL &&
	    strstr(out, "fd 0 stdin: 0 none\n") != NULL &&
	    n > 10 && strcmp(out + n - 10, "cap_enter\n") == 0,
	    "sandbox_filter_dump: the rights table, then cap_enter"))
		diag("%s", out);
	sandbox_filter_free(&f);
	ok(f == NULL, "sandbox_filter_free sets NULL");
}

int
main(void)
{
	int	nfailable;

	/* A dry run counts the calls that can fail, for the plan. */
	fd_set_open(SANDBOX_FD_CHAN, 1);
	fd_set_open(SANDBOX_FD_JOB, 1);
	shim_reset(0, 0, 1);
	(void)sandbox_capsicum_enter(NULL, 0);
	nfailable = calls_failable();
	plan((int)ENTER_TESTS + 2 * nfailable + LIAR_TESTS + JOB_TESTS +
	    WORKER_TESTS + DUMP_TESTS);
	test_enter();
	fd_set_open(SANDBOX_FD_JOB, 1);
	test_fail_each(EBADF, "EBADF", nfailable);
	test_fail_each(ENOSYS, "ENOSYS", nfailable);
	test_liar();
	test_limit_job();
	test_worker();
	test_dump();
	return done_testing();
}
