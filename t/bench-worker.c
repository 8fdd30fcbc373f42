/*
 * t/bench-worker.c: what the sandbox costs a worker to enter, measured as
 * a spawner pays it.  A load tool, not a test: "make bench-worker" builds
 * and runs it; make check does not.  Runs as any user; trusts nothing
 * but its own children's exit statuses.
 *
 * It builds the worker's filter as a spawner does, loads the spawner's own
 * seccomp policy (-S: under which a spawner forks its workers, so that the
 * worker's filter stacks on it), then forks -n workers of each of three
 * kinds, one after the other and the kinds in turn: one enters the
 * sandbox (sandbox_worker_enter) and exits; one takes the layers before
 * the filter alone (the rlimits, the prctl flags and Landlock), so that
 * the filter's share is the difference; one loads only a filter of a few
 * instructions (kill fork, allow the rest), to compare with the worker's
 * 90: what a filter costs to attach on top of the spawner's policy hardly
 * depends on its length (seccomp.c).  It
 * prints, per worker, the medians and quartiles of the wall and CPU time
 * of the enter (taken inside the child), and the means of the CPU time and
 * minor page faults of the whole child (fork, enter, exit: wait4's
 * rusage); and, before any policy, how many system calls the enter makes
 * (one child traced through it).
 *
 *	t/bench-worker [-n workers] [-S]
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sandbox/sandbox.h"
#include "sandbox/landlock.h"
#include "sandbox/limits.h"

#define NWORKERS	1000
#define STAT_MAX	100000

struct sample {
	double	wall_us;	/* of the enter, in the child */
	double	cpu_us;
	double	child_us;	/* of the whole child: wait4's rusage */
	double	faults;		/* its minor faults */
	int	ok;
};

enum mode { ENTER, PARTS, TINY, NMODES };

static struct sandbox_filter	*b_filter;
static struct sock_fprog	 b_tiny;
static struct sandbox_limits	 b_lim = { 512UL << 20, 10, SANDBOX_FD_JOB + 1 };
static int			 b_llabi;

static double
ts_us(clockid_t c)
{
	struct timespec	ts;

	/* The call itself: the vDSO has no CPU clocks. */
	(void)syscall(SYS_clock_gettime, c, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* The layers before the filter, as sandbox_worker_enter runs them. */
static int
enter_parts(void)
{
	char	err[256];
	int	fd;

	if (sandbox_landlock_prepare(b_llabi, &fd, err, sizeof(err)) == -1 ||
	    sandbox_limits_apply(&b_lim, err, sizeof(err)) == -1 ||
	    sandbox_prctl_apply(err, sizeof(err)) == -1 ||
	    sandbox_landlock_restrict(fd, err, sizeof(err)) == -1)
		return -1;
	return 0;
}

static int
enter(enum mode m)
{
	char	err[256];

	switch (m) {
	case PARTS:
		return enter_parts();
	case TINY:
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
			return -1;
		return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &b_tiny, 0,
		    0);
	default:
		return sandbox_worker_enter(b_filter, &b_lim, err, sizeof(err));
	}
}

static void __attribute__((noreturn))
worker(struct sample *s, enum mode m)
{
	double	w0, c0;
	int	rc;

	w0 = ts_us(CLOCK_MONOTONIC);
	c0 = ts_us(CLOCK_THREAD_CPUTIME_ID);
	rc = enter(m);
	s->cpu_us = ts_us(CLOCK_THREAD_CPUTIME_ID) - c0;
	s->wall_us = ts_us(CLOCK_MONOTONIC) - w0;
	s->ok = rc == 0;
	for (;;)
		syscall(SYS_exit_group, rc == 0 ? 0 : 1);
}

/* Writes a line to fd: stdio is not for use under the spawner's policy. */
static void
put(int fd, const char *line, int len)
{
	if (len > 0 && write(fd, line, (size_t)len) != len)
		syscall(SYS_exit_group, 3);
}

static void
sort(double *v, size_t n)
{
	size_t	i, j;
	double	x;

	for (i = 1; i < n; i++) {
		x = v[i];
		for (j = i; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

/* Prints one line: median (quartiles) of the n values of v. */
static void
print_stat(const char *what, double *v, size_t n)
{
	char	line[256];
	int	len;

	sort(v, n);
	len = snprintf(line, sizeof(line), "  %-22s median %7.1f us "
	    "(quartiles %.1f-%.1f)\n", what, v[n / 2], v[n / 4],
	    v[3 * n / 4]);
	put(1, line, len);
}

/*
 * Forks one worker of mode m into s and reaps it; returns 0, or -1 when it
 * did not exit 0.  Uses only what the spawner's policy allows.
 */
static int
run_one(struct sample *s, enum mode m)
{
	struct rusage	ru;
	pid_t		pid;
	int		status;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0)
		worker(s, m);
	if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0 || !s->ok)
		return -1;
	s->child_us = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) *
	    1e6 + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
	s->faults = (double)ru.ru_minflt;
	return 0;
}

static void
report(enum mode m, const struct sample *s, double *tmp, size_t n)
{
	double	cpu = 0, flt = 0;
	char	line[256];
	size_t	i;
	int	len;

	if (m == TINY)
		len = snprintf(line, sizeof(line), "a filter of %u instructions "
		    "alone:\n", b_tiny.len);
	else
		len = snprintf(line, sizeof(line), "%s:\n", m == PARTS ?
		    "rlimits, prctl and Landlock alone" :
		    "sandbox_worker_enter");
	put(1, line, len);
	for (i = 0; i < n; i++)
		tmp[i] = s[i].wall_us;
	print_stat("enter, wall", tmp, n);
	for (i = 0; i < n; i++) {
		tmp[i] = s[i].cpu_us;
		cpu += s[i].child_us;
		flt += s[i].faults;
	}
	print_stat("enter, CPU", tmp, n);
	len = snprintf(line, sizeof(line), "  %-22s mean %7.1f us, %.1f minor "
	    "faults\n", "worker (fork to exit)", cpu / (double)n,
	    flt / (double)n);
	put(1, line, len);
}

/*
 * Builds the tiny filter and exports it to BPF, as sandbox_filter_new()
 * does the worker's, so that a worker only loads it.
 */
static int
tiny_new(struct sock_fprog *p)
{
	scmp_filter_ctx	ctx;
	off_t		len;
	int		fd, rc = -1;

	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL)
		return -1;
	if ((fd = memfd_create("tiny", MFD_CLOEXEC)) != -1 &&
	    seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(fork),
	    0) == 0 && seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS,
	    SCMP_SYS(vfork), 0) == 0 && seccomp_export_bpf(ctx, fd) == 0 &&
	    (len = lseek(fd, 0, SEEK_END)) > 0 &&
	    (p->filter = malloc((size_t)len)) != NULL &&
	    pread(fd, p->filter, (size_t)len, 0) == len) {
		p->len = (unsigned short)(len / (off_t)sizeof(*p->filter));
		rc = 0;
	}
	if (fd != -1)
		(void)close(fd);
	seccomp_release(ctx);
	return rc;
}

/* The system calls of one sandbox_worker_enter, in a traced child. */
static int
count_calls(void)
{
	struct __ptrace_syscall_info	si;
	pid_t				pid;
	char				err[256];
	int				status, n = 0, sig = 0;

	fflush(NULL);
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) == -1)
			_exit(2);
		(void)raise(SIGSTOP);
		_exit(sandbox_worker_enter(b_filter, &b_lim, err,
		    sizeof(err)) == 0 ? 0 : 1);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status) ||
	    ptrace(PTRACE_SETOPTIONS, pid, NULL,
	    (void *)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL)) == -1)
		goto fail;
	for (;;) {
		if (ptrace(PTRACE_SYSCALL, pid, NULL, (void *)(long)sig) == -1 ||
		    waitpid(pid, &status, 0) != pid)
			goto fail;
		if (WIFEXITED(status) || WIFSIGNALED(status))
			break;
		sig = WSTOPSIG(status) == (SIGTRAP | 0x80) ? 0 :
		    WSTOPSIG(status);
		if (sig == 0 && ptrace(PTRACE_GET_SYSCALL_INFO, pid,
		    (void *)sizeof(si), &si) > 0 &&
		    si.op == PTRACE_SYSCALL_INFO_ENTRY &&
		    si.entry.nr != SYS_exit_group && si.entry.nr != SYS_exit)
			n++;
	}
	return n;
fail:
	(void)kill(pid, SIGKILL);
	(void)waitpid(pid, NULL, 0);
	return -1;
}

int
main(int argc, char *argv[])
{
	struct sample	*s;
	double		*tmp;
	const char	*why;
	char		 err[256];
	size_t		 i, n = NWORKERS;
	int		 c, m, stacked = 0, calls;

	while ((c = getopt(argc, argv, "n:S")) != -1)
		switch (c) {
		case 'n':
			n = strtoul(optarg, NULL, 10);
			break;
		case 'S':
			stacked = 1;
			break;
		default:
			fprintf(stderr, "usage: %s [-n workers] [-S]\n",
			    argv[0]);
			return 2;
		}
	if (n < 4 || n > STAT_MAX)
		n = NWORKERS;
	if (tiny_new(&b_tiny) == -1) {
		fprintf(stderr, "bench-worker: cannot build the tiny filter\n");
		return 1;
	}
	if ((b_filter = sandbox_filter_new(err, sizeof(err))) == NULL ||
	    (b_llabi = sandbox_landlock_abi(&why, err, sizeof(err))) == -1) {
		fprintf(stderr, "bench-worker: %s\n", err);
		return 1;
	}
#ifdef FD_SANITIZERS
	b_lim.as_bytes = 0;
#endif
	s = mmap(NULL, NMODES * n * sizeof(*s), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	tmp = calloc(n, sizeof(*tmp));
	if (s == MAP_FAILED || tmp == NULL) {
		fprintf(stderr, "bench-worker: out of memory\n");
		return 1;
	}
	calls = count_calls();
	printf("sandbox_worker_enter: %d system calls; Landlock ABI %d; %zu "
	    "workers of each kind in turn, forked from %s\n", calls, b_llabi,
	    n, stacked ? "under the spawner's seccomp policy (-S)" :
	    "no policy");
	fflush(stdout);
	if (stacked && sandbox_proc_enter(SANDBOX_PROC_SPAWNER, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "bench-worker: %s\n", err);
		return 1;
	}
	/* The modes in turn, so that they share whatever else the machine does. */
	for (i = 0; i < n; i++)
		for (m = 0; m < NMODES; m++)
			if (run_one(&s[(size_t)m * n + i], (enum mode)m) == -1) {
				put(2, "bench-worker: a worker failed\n", 30);
				sandbox_proc_exit(1);
			}
	for (m = 0; m < NMODES; m++)
		report((enum mode)m, &s[(size_t)m * n], tmp, n);
	sandbox_proc_exit(0);
}
