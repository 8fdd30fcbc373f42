/*
 * t/22-seccomp-procs.c: the seccomp policies of the supervisor, the
 * spawner and the configuration checker (sandbox/seccomp_procs.c), from
 * the inside.  Runs as a test program, as root or as any user; trusts
 * nothing a child reports but its exit.
 *
 * Each case forks a child, which loads one policy with
 * sandbox_proc_enter() as the process would, then does one thing; the
 * parent judges how it ended: it works (exit 0), fails with the errno the
 * policy gives (exit 0 too: the action checks it), or the whole process
 * is killed with SIGSYS.  Above all: nothing forks or execs from the
 * supervisor, while its threads work; the spawner forks but never makes
 * a thread; nothing execs anywhere.  Children have an alarm and the
 * parent a deadline, so no case can hang the test.
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/futex.h>
#include <linux/sched.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "sandbox/sandbox.h"
#include "t/tap.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

#define CHILD_ALARM	30	/* seconds a child may live */
#define PARENT_WAIT_MS	40000	/* and how long the parent waits for it */
#define TEST_ALARM	300

#define EXIT_RETURNED	1	/* a call that should have killed returned */
#define EXIT_WRONG	2	/* a call that should work, or fail, did not */
#define EXIT_ENTER	100	/* sandbox_proc_enter() failed */

/* How a child sets up before its policy. */
#define F_THREAD	0x01	/* a thread runs the action, made before */
#define F_VICTIM	0x02	/* a child to signal, made before */

enum outcome {
	WORKS,		/* exit 0: it worked, or failed as it should */
	SIGSYS_KILL,	/* seccomp killed the whole process */
};

struct tcase {
	enum sandbox_proc	 proc;
	const char		*name;
	int			(*act)(void);
	enum outcome		 want;
	unsigned int		 flags;
};

static pid_t	t_victim = -1;		/* F_VICTIM */
static int	t_victim_pidfd = -1;

/*
 * Ends a child.  Not exit(): under ASan that runs LeakSanitizer, which
 * needs ptrace and a process of its own, and every policy kills that.
 */
static void __attribute__((noreturn))
t_exit(int status)
{
	for (;;)
		syscall(SYS_exit_group, status);
}

static int
fails_with(long rc, int e)
{
	return rc == -1 && errno == e ? 0 : EXIT_WRONG;
}

/* Every policy */

static int
act_nothing(void)
{
	return 0;
}

static int
act_execve(void)
{
	char	*argv[] = { (char *)(uintptr_t)"true", NULL };

	execve("/bin/true", argv, argv + 1);
	return EXIT_RETURNED;
}

static int
act_fork(void)
{
	pid_t	pid;

	if ((pid = fork()) == 0)
		t_exit(0);
	return pid == -1 ? EXIT_WRONG : EXIT_RETURNED;
}

static int
act_vfork_raw(void)
{
	syscall(SYS_vfork);
	return EXIT_RETURNED;
}

static int
act_ptrace(void)
{
	ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	return EXIT_RETURNED;
}

static int
act_kill_parent(void)
{
	kill(getppid(), 0);
	return EXIT_RETURNED;
}

static int
act_socket_inet(void)
{
	socket(AF_INET, SOCK_STREAM, 0);
	return EXIT_RETURNED;
}

static int
act_mmap_exec(void)
{
	mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return EXIT_RETURNED;
}

static int
act_mprotect_exec(void)
{
	void	*p;

	if ((p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1,
	    0)) == MAP_FAILED)
		return EXIT_WRONG;
	mprotect(p, 4096, PROT_READ | PROT_EXEC);
	return EXIT_RETURNED;
}

static int
act_unshare(void)
{
	unshare(CLONE_NEWUSER);
	return EXIT_RETURNED;
}

static int
act_bpf(void)
{
	syscall(SYS_bpf, 0, NULL, 0);
	return EXIT_RETURNED;
}

static int
act_io_uring(void)
{
	syscall(SYS_io_uring_setup, 1, NULL);
	return EXIT_RETURNED;
}

static int
act_setuid(void)
{
	if (setuid(getuid()) == -1)
		return EXIT_WRONG;
	return EXIT_RETURNED;
}

static int
act_futex_requeue(void)
{
	uint32_t	a = 0, b = 0;

	syscall(SYS_futex, &a, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, NULL, &b, 0);
	return EXIT_RETURNED;
}

/* A sealed memfd, written and read back: the job, the snapshot. */
static int
act_memfd(void)
{
	char	b[4];
	int	fd;

	if ((fd = memfd_create("t", MFD_CLOEXEC | MFD_ALLOW_SEALING)) == -1 ||
	    write(fd, "abc", 3) != 3 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE | F_SEAL_SEAL) == -1 ||
	    pread(fd, b, 3, 0) != 3 || memcmp(b, "abc", 3) != 0)
		return EXIT_WRONG;
	return close(fd) == 0 ? 0 : EXIT_WRONG;
}

/* The supervisor */

static void *
thread_main(void *arg)
{
	struct timespec	ts = { 0, 1000000 };

	(void)nanosleep(&ts, NULL);
	return arg;
}

/* glibc tries clone3, is told ENOSYS, and makes the thread with clone. */
static int
act_threads(void)
{
	static int	arg[4];
	pthread_t	t[4];
	void		*r;
	size_t		i;

	for (i = 0; i < NITEMS(t); i++)
		if (pthread_create(&t[i], NULL, thread_main, &arg[i]) != 0)
			return EXIT_WRONG;
	for (i = 0; i < NITEMS(t); i++)
		if (pthread_join(t[i], &r) != 0 || r != &arg[i])
			return EXIT_WRONG;
	return 0;
}

static int
act_clone3(void)
{
	uint64_t	args[11];

	memset(args, 0, sizeof(args));
	args[4] = SIGCHLD;	/* exit_signal: a plain fork */
	return fails_with(syscall(SYS_clone3, args, sizeof(args)), ENOSYS);
}

static int
act_clone_fork(void)
{
	long	rc;

	if ((rc = syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0)) == 0)
		t_exit(0);
	return EXIT_RETURNED;
}

/* Thread flags, and a namespace with them. */
static int
act_clone_thread_ns(void)
{
	syscall(SYS_clone, CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
	    CLONE_THREAD | CLONE_NEWNET, 0, NULL, NULL, 0);
	return EXIT_RETURNED;
}

/* Memory shared with a new process that is not a thread. */
static int
act_clone_vm(void)
{
	if (syscall(SYS_clone, CLONE_VM | SIGCHLD, 0, NULL, NULL, 0) == 0)
		t_exit(0);
	return EXIT_RETURNED;
}

static int
act_open(void)
{
	return fails_with(open("/etc/passwd", O_RDONLY), EACCES);
}

static int
act_unlink(void)
{
	return fails_with(unlink("/nonexistent/filterd-t22"), EACCES);
}

static int
act_mmap_file(void)
{
	int	fd;

	if ((fd = memfd_create("t", MFD_CLOEXEC)) == -1 ||
	    ftruncate(fd, 4096) == -1)
		return EXIT_WRONG;
	mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	return EXIT_RETURNED;
}

static int
act_socket_unix_dgram(void)
{
	int	fd;

	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return EXIT_WRONG;
	return close(fd) == 0 ? 0 : EXIT_WRONG;
}

static int
act_socket_unix_seqpacket(void)
{
	socket(AF_UNIX, SOCK_SEQPACKET, 0);
	return EXIT_RETURNED;
}

/* syslog(3) after the filter: it connects (or tries to) on its own. */
static int
act_syslog(void)
{
	syslog(LOG_DEBUG | LOG_MAIL, "t/22-seccomp-procs: a test line");
	closelog();
	syslog(LOG_DEBUG | LOG_MAIL, "t/22-seccomp-procs: again");
	return 0;
}

static int
act_pidfd_kill(void)
{
	if (syscall(SYS_pidfd_send_signal, t_victim_pidfd, SIGKILL, NULL,
	    0) == -1)
		return EXIT_WRONG;
	return 0;
}

static int
act_pidfd_term(void)
{
	syscall(SYS_pidfd_send_signal, t_victim_pidfd, SIGTERM, NULL, 0);
	return EXIT_RETURNED;
}

static int
act_prctl(void)
{
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	return EXIT_RETURNED;
}

static int
act_abort(void)
{
	abort();
}

/* The spawner */

/* A worker's fork: a socketpair, a child that exits, reaped. */
static int
act_spawn(void)
{
	int	sv[2], status;
	pid_t	pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1 ||
	    (pid = fork()) == -1)
		return EXIT_WRONG;
	if (pid == 0)
		t_exit(write(sv[1], "x", 1) == 1 ? 0 : 3);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return EXIT_WRONG;
	return 0;
}

/* The victim is the test's child: the test reaps it. */
static int
act_kill_victim(void)
{
	return kill(t_victim, SIGKILL) == 0 ? 0 : EXIT_WRONG;
}

static int
act_kill_term(void)
{
	kill(t_victim, SIGTERM);
	return EXIT_RETURNED;
}

/*
 * kill(-pgrp): a group that cannot exist, so that nothing is hit should
 * the filter let it through.
 */
static int
act_kill_group(void)
{
	kill(-(1 << 30), SIGKILL);
	return EXIT_RETURNED;
}

static int
act_thread(void)
{
	pthread_t	t;

	if (pthread_create(&t, NULL, thread_main, NULL) != 0)
		return EXIT_WRONG;
	return EXIT_RETURNED;
}

static int
act_open_any(void)
{
	open("/dev/null", O_RDONLY);
	return EXIT_RETURNED;
}

static int
act_prlimit_other(void)
{
	struct rlimit	rl;

	prlimit(getppid(), RLIMIT_NOFILE, NULL, &rl);
	return EXIT_RETURNED;
}

static int
act_clone_newuser(void)
{
	if (syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, NULL, NULL, 0) == 0)
		t_exit(0);
	return EXIT_RETURNED;
}

/* The checker */

static int
act_open_read(void)
{
	int	fd;

	if ((fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC)) == -1)
		return EXIT_WRONG;
	return close(fd) == 0 ? 0 : EXIT_WRONG;
}

static int
act_open_write(void)
{
	return fails_with(open("/tmp/filterd-t22-never", O_WRONLY | O_CREAT |
	    O_CLOEXEC, 0600), EACCES);
}

static int
act_open_creat(void)
{
	return fails_with(open("/tmp/filterd-t22-never", O_RDONLY | O_CREAT |
	    O_CLOEXEC, 0600), EACCES);
}

static int
act_openat_rdwr(void)
{
	return fails_with(openat(AT_FDCWD, "/etc/passwd", O_RDWR), EACCES);
}

/* What PCRE2's JIT asks for: it then compiles without it. */
static int
act_mmap_rwx_fails(void)
{
	return mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED &&
	    errno == EACCES ? 0 : EXIT_WRONG;
}

static int
act_mmap_rx_fails(void)
{
	return mmap(NULL, 4096, PROT_READ | PROT_EXEC,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED &&
	    errno == EACCES ? 0 : EXIT_WRONG;
}

/* The other way to JIT code: written, then made executable. */
static int
act_mprotect_exec_fails(void)
{
	void	*p;

	if ((p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) == MAP_FAILED)
		return EXIT_WRONG;
	return fails_with(mprotect(p, 4096, PROT_READ | PROT_EXEC), EACCES);
}

static int
act_socket_fails(void)
{
	return fails_with(socket(AF_INET, SOCK_STREAM, 0), EACCES);
}

/*
 * A shared object, as modules are loaded: t/badabi.so, whose symbols
 * need nothing of filterd's.
 */
static int
act_dlopen(void)
{
	const char	*top = getenv("top_builddir");
	char		 path[4096];
	void		*h;

	(void)snprintf(path, sizeof(path), "%s/t/badabi.so",
	    top != NULL ? top : ".");
	if ((h = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL ||
	    dlsym(h, "filterd_module") == NULL)
		return EXIT_WRONG;
	return 0;
}

/* A writable and executable file mapping. */
static int
act_mmap_file_wx(void)
{
	int	fd;

	if ((fd = open("/etc/passwd", O_RDONLY)) == -1)
		return EXIT_WRONG;
	mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE, fd,
	    0);
	return EXIT_RETURNED;
}

#define SUPER	SANDBOX_PROC_SUPERVISOR
#define SPAWNER	SANDBOX_PROC_SPAWNER
#define CHECKER	SANDBOX_PROC_CHECKER
#define METRICS	SANDBOX_PROC_METRICS

static const struct tcase cases[] = {
	{ SUPER, "exit", act_nothing, WORKS, 0 },
	{ SUPER, "threads: made (clone3 ENOSYS, then clone) and joined",
	    act_threads, WORKS, 0 },
	{ SUPER, "clone3 is ENOSYS", act_clone3, WORKS, 0 },
	{ SUPER, "a sealed memfd (the job)", act_memfd, WORKS, 0 },
	{ SUPER, "a unix datagram socket (syslog)", act_socket_unix_dgram,
	    WORKS, 0 },
	{ SUPER, "syslog", act_syslog, WORKS, 0 },
	{ SUPER, "kill a worker through its pidfd", act_pidfd_kill, WORKS,
	    F_VICTIM },
	{ SUPER, "open is EACCES", act_open, WORKS, 0 },
	{ SUPER, "unlink is EACCES", act_unlink, WORKS, 0 },
	{ SUPER, "fork", act_fork, SIGSYS_KILL, 0 },
	{ SUPER, "fork from a thread made before the filter", act_fork,
	    SIGSYS_KILL, F_THREAD },
	{ SUPER, "vfork(2)", act_vfork_raw, SIGSYS_KILL, 0 },
	{ SUPER, "clone(2) of a process", act_clone_fork, SIGSYS_KILL, 0 },
	{ SUPER, "clone(2) sharing memory, not a thread", act_clone_vm,
	    SIGSYS_KILL, 0 },
	{ SUPER, "clone(2) of a thread in a new namespace",
	    act_clone_thread_ns, SIGSYS_KILL, 0 },
	{ SUPER, "execve", act_execve, SIGSYS_KILL, 0 },
	{ SUPER, "execve from a thread made before the filter", act_execve,
	    SIGSYS_KILL, F_THREAD },
	{ SUPER, "ptrace", act_ptrace, SIGSYS_KILL, 0 },
	{ SUPER, "kill", act_kill_parent, SIGSYS_KILL, 0 },
	{ SUPER, "pidfd_send_signal other than SIGKILL", act_pidfd_term,
	    SIGSYS_KILL, F_VICTIM },
	{ SUPER, "an inet socket", act_socket_inet, SIGSYS_KILL, 0 },
	{ SUPER, "a unix seqpacket socket", act_socket_unix_seqpacket,
	    SIGSYS_KILL, 0 },
	{ SUPER, "mmap of a file", act_mmap_file, SIGSYS_KILL, 0 },
	{ SUPER, "mmap PROT_EXEC", act_mmap_exec, SIGSYS_KILL, 0 },
	{ SUPER, "mprotect +PROT_EXEC", act_mprotect_exec, SIGSYS_KILL, 0 },
	{ SUPER, "prctl", act_prctl, SIGSYS_KILL, 0 },
	{ SUPER, "setuid", act_setuid, SIGSYS_KILL, 0 },
	{ SUPER, "unshare", act_unshare, SIGSYS_KILL, 0 },
	{ SUPER, "bpf", act_bpf, SIGSYS_KILL, 0 },
	{ SUPER, "io_uring_setup", act_io_uring, SIGSYS_KILL, 0 },
	{ SUPER, "futex requeue PI", act_futex_requeue, SIGSYS_KILL, 0 },
	{ SUPER, "abort() (tgkill)", act_abort, SIGSYS_KILL, 0 },

	{ SPAWNER, "exit", act_nothing, WORKS, 0 },
	{ SPAWNER, "a socketpair and a fork, reaped", act_spawn, WORKS, 0 },
	{ SPAWNER, "SIGKILL to a worker", act_kill_victim, WORKS, F_VICTIM },
	{ SPAWNER, "clone3 is ENOSYS", act_clone3, WORKS, 0 },
	{ SPAWNER, "a thread", act_thread, SIGSYS_KILL, 0 },
	{ SPAWNER, "clone(2) sharing memory", act_clone_vm, SIGSYS_KILL, 0 },
	{ SPAWNER, "clone(2) into a new user namespace", act_clone_newuser,
	    SIGSYS_KILL, 0 },
	{ SPAWNER, "execve", act_execve, SIGSYS_KILL, 0 },
	{ SPAWNER, "ptrace", act_ptrace, SIGSYS_KILL, 0 },
	{ SPAWNER, "SIGTERM", act_kill_term, SIGSYS_KILL, F_VICTIM },
	{ SPAWNER, "kill of a process group", act_kill_group, SIGSYS_KILL,
	    0 },
	{ SPAWNER, "open", act_open_any, SIGSYS_KILL, 0 },
	{ SPAWNER, "an inet socket", act_socket_inet, SIGSYS_KILL, 0 },
	{ SPAWNER, "mmap PROT_EXEC", act_mmap_exec, SIGSYS_KILL, 0 },
	{ SPAWNER, "mprotect +PROT_EXEC", act_mprotect_exec, SIGSYS_KILL,
	    0 },
	{ SPAWNER, "prlimit of another process", act_prlimit_other,
	    SIGSYS_KILL, 0 },
	{ SPAWNER, "unshare", act_unshare, SIGSYS_KILL, 0 },
	{ SPAWNER, "bpf", act_bpf, SIGSYS_KILL, 0 },

	{ CHECKER, "exit", act_nothing, WORKS, 0 },
	{ CHECKER, "open read-only", act_open_read, WORKS, 0 },
	{ CHECKER, "dlopen of a module", act_dlopen, WORKS, 0 },
	{ CHECKER, "a sealed memfd (the snapshot)", act_memfd, WORKS, 0 },
	{ CHECKER, "open for writing is EACCES", act_open_write, WORKS, 0 },
	{ CHECKER, "open O_CREAT is EACCES", act_open_creat, WORKS, 0 },
	{ CHECKER, "openat O_RDWR is EACCES", act_openat_rdwr, WORKS, 0 },
	{ CHECKER, "anonymous writable and executable memory is EACCES",
	    act_mmap_rwx_fails, WORKS, 0 },
	{ CHECKER, "anonymous executable memory is EACCES",
	    act_mmap_rx_fails, WORKS, 0 },
	{ CHECKER, "mprotect +PROT_EXEC is EACCES", act_mprotect_exec_fails,
	    WORKS, 0 },
	{ CHECKER, "socket is EACCES", act_socket_fails, WORKS, 0 },
	{ CHECKER, "a file mapped writable and executable",
	    act_mmap_file_wx, SIGSYS_KILL, 0 },
	{ CHECKER, "fork", act_fork, SIGSYS_KILL, 0 },
	{ CHECKER, "execve", act_execve, SIGSYS_KILL, 0 },
	{ CHECKER, "kill", act_kill_parent, SIGSYS_KILL, 0 },
	{ CHECKER, "ptrace", act_ptrace, SIGSYS_KILL, 0 },
	{ CHECKER, "setuid", act_setuid, SIGSYS_KILL, 0 },

	/* The metrics process: HTTP on its socket, nothing else. */
	{ METRICS, "exit", act_nothing, WORKS, 0 },
	{ METRICS, "syslog", act_syslog, WORKS, 0 },
	{ METRICS, "open is EACCES", act_open, WORKS, 0 },
	{ METRICS, "an inet socket", act_socket_inet, SIGSYS_KILL, 0 },
	{ METRICS, "a thread", act_thread, SIGSYS_KILL, 0 },
	{ METRICS, "fork", act_fork, SIGSYS_KILL, 0 },
	{ METRICS, "execve", act_execve, SIGSYS_KILL, 0 },
	{ METRICS, "kill", act_kill_parent, SIGSYS_KILL, 0 },
	{ METRICS, "ptrace", act_ptrace, SIGSYS_KILL, 0 },
	{ METRICS, "setuid", act_setuid, SIGSYS_KILL, 0 },
	{ METRICS, "mmap PROT_EXEC", act_mmap_exec, SIGSYS_KILL, 0 },
	{ METRICS, "mmap of a file", act_mmap_file, SIGSYS_KILL, 0 },
	{ METRICS, "a sealed memfd", act_memfd, SIGSYS_KILL, 0 },
};

/* A thread made before the filter, which does the action. */
struct runner {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	int		 go;
	int		(*act)(void);
};

static void *
runner_main(void *arg)
{
	struct runner	*r = arg;

	pthread_mutex_lock(&r->lock);
	while (!r->go)
		pthread_cond_wait(&r->cond, &r->lock);
	pthread_mutex_unlock(&r->lock);
	t_exit(r->act());
}

static void __attribute__((noreturn))
child_main(const struct tcase *c)
{
	static struct runner	 r = { PTHREAD_MUTEX_INITIALIZER,
				    PTHREAD_COND_INITIALIZER, 0, NULL };
	pthread_t		 t;
	char			 err[256];

	alarm(CHILD_ALARM);
	r.act = c->act;
	if ((c->flags & F_THREAD) &&
	    pthread_create(&t, NULL, runner_main, &r) != 0)
		t_exit(EXIT_ENTER);
	/* syslog's socket, as log_init opens it before any filter. */
	if (c->act == act_syslog)
		openlog("t22", LOG_NDELAY, LOG_MAIL);
	if (sandbox_proc_enter(c->proc, err, sizeof(err)) == -1) {
		fprintf(stderr, "# sandbox_proc_enter: %s\n", err);
		t_exit(EXIT_ENTER);
	}
	if (!(c->flags & F_THREAD))
		t_exit(c->act());
	pthread_mutex_lock(&r.lock);
	r.go = 1;
	pthread_cond_signal(&r.cond);
	pthread_mutex_unlock(&r.lock);
	for (;;)
		pause();
}

/* A process that waits to be signalled, and its pidfd. */
static void
victim_start(void)
{
	if ((t_victim = fork()) == -1)
		bail("fork: %s", strerror(errno));
	if (t_victim == 0) {
		alarm(CHILD_ALARM);
		for (;;)
			pause();
	}
	if ((t_victim_pidfd = (int)syscall(SYS_pidfd_open, t_victim, 0)) == -1)
		bail("pidfd_open: %s", strerror(errno));
}

static void
victim_stop(void)
{
	(void)kill(t_victim, SIGKILL);
	(void)waitpid(t_victim, NULL, 0);
	(void)close(t_victim_pidfd);
	t_victim = -1;
	t_victim_pidfd = -1;
}

static int
wait_child(pid_t pid, int *status_r)
{
	struct timespec	tick = { 0, 1000000 };
	pid_t		r;
	int		ms;

	for (ms = 0; ms < PARENT_WAIT_MS; ms++) {
		if ((r = waitpid(pid, status_r, WNOHANG)) == pid)
			return 0;
		if (r == -1)
			bail("waitpid: %s", strerror(errno));
		(void)nanosleep(&tick, NULL);
	}
	(void)kill(pid, SIGKILL);
	(void)waitpid(pid, status_r, 0);
	return -1;
}

static void
status_str(int status, char *buf, size_t len)
{
	if (status == -1)
		(void)snprintf(buf, len, "still running after %d ms",
		    PARENT_WAIT_MS);
	else if (WIFEXITED(status))
		(void)snprintf(buf, len, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		(void)snprintf(buf, len, "signal %d (%s)", WTERMSIG(status),
		    strsignal(WTERMSIG(status)));
	else
		(void)snprintf(buf, len, "status %#x", status);
}

static void
test_case(const struct tcase *c)
{
	char	st[128];
	int	status, good;
	pid_t	pid;

	if (c->flags & F_VICTIM)
		victim_start();
	fflush(NULL);
	if ((pid = fork()) == -1)
		bail("fork: %s", strerror(errno));
	if (pid == 0)
		child_main(c);
	if (wait_child(pid, &status) == -1)
		status = -1;
	if (c->flags & F_VICTIM)
		victim_stop();
	if (c->want == WORKS)
		good = status != -1 && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 0;
	else
		good = status != -1 && WIFSIGNALED(status) &&
		    WTERMSIG(status) == SIGSYS;
	if (!ok(good, "%s: %s: %s", sandbox_proc_name(c->proc), c->name,
	    c->want == WORKS ? "works" : "SIGSYS")) {
		status_str(status, st, sizeof(st));
		diag("child: %s", st);
	}
}

#define DUMP_TESTS	3

/* Every policy builds, and dumps something that names its calls. */
static void
test_dumps(void)
{
	static const struct {
		enum sandbox_proc	 p;
		const char		*needle;
	} want[] = {
		{ SUPER, "clone" }, { SPAWNER, "wait4" }, { CHECKER, "openat" },
	};
	char	buf[65536], err[256];
	size_t	i;
	ssize_t	n;
	int	fd;

	for (i = 0; i < NITEMS(want); i++) {
		n = -1;
		if ((fd = memfd_create("pfc", MFD_CLOEXEC)) != -1 &&
		    sandbox_proc_dump(want[i].p, fd, err, sizeof(err)) == 0)
			n = pread(fd, buf, sizeof(buf) - 1, 0);
		if (fd != -1)
			(void)close(fd);
		buf[n > 0 ? n : 0] = '\0';
		ok(n > 0 && strstr(buf, want[i].needle) != NULL,
		    "%s policy dumps, naming %s", sandbox_proc_name(want[i].p),
		    want[i].needle);
	}
}

int
main(void)
{
	size_t	i;

	alarm(TEST_ALARM);
	plan(DUMP_TESTS + (int)NITEMS(cases));
	test_dumps();
	for (i = 0; i < NITEMS(cases); i++)
		test_case(&cases[i]);
	return done_testing();
}
