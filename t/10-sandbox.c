/*
 * t/10-sandbox.c: the worker sandbox (sandbox/).  Runs as a test program,
 * as root or as any user; trusts nothing a child reports but its exit.
 *
 * The seccomp filter is built once, here, as the spawner builds it.  Each
 * case forks a child set up like a worker (0-2 /dev/null, its end of a
 * socketpair on SANDBOX_FD_CHAN, a sealed memfd on SANDBOX_FD_JOB, nothing
 * else), which enters the sandbox and does one thing; the parent judges
 * how it ended.  Children have an alarm and the parent a deadline, so no
 * case can hang the test.
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <linux/futex.h>
#include <linux/io_uring.h>
#include <linux/seccomp.h>

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <pwd.h>
#include <seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sandbox/sandbox.h"
#include "sandbox/landlock.h"
#include "sandbox/limits.h"
#include "t/tap.h"

/* FD_SANITIZERS is configure's; __SANITIZE_ADDRESS__ a compile by hand. */
#if defined(FD_SANITIZERS) || defined(__SANITIZE_ADDRESS__)
#define T_SANITIZERS	1
#endif

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

#define JOB_TEXT	"Subject: test\r\n\r\nhello, sandbox\r\n"
#define JOB_LEN		(sizeof(JOB_TEXT) - 1)
#define REQ_TEXT	"req"
#define REQ_LEN		(sizeof(REQ_TEXT) - 1)

#define AS_BYTES	(256UL << 20)
#define CPU_SECONDS	5
#define NOFILE		(SANDBOX_FD_JOB + 1)

#define CHILD_ALARM	30	/* seconds of wall clock a child may live */
#define PARENT_WAIT_MS	40000	/* and how long the parent waits for it */
#define TEST_ALARM	300	/* the whole test */

/* Exit codes of a child that did not get to its action. */
#define EXIT_RETURNED	1	/* a call that should have killed returned */
#define EXIT_ENTER	100	/* sandbox_worker_enter() failed */
#define EXIT_SETUP	101	/* fds could not be set up */

/* How a child sets up, and what it runs. */
#define F_CPU1		0x01	/* cpu_seconds is 1 */
#define F_SENDFD	0x02	/* no fd 4: the job comes over the channel */
#define F_STATUS	0x04	/* fd 4 is the child's /proc/self/status */
#define F_LIMITS	0x08	/* fd 4 is the child's /proc/self/limits */
#define F_NOENTER	0x10	/* the action runs outside the sandbox */
#define F_NEEDAS	0x20	/* needs RLIMIT_AS (not under sanitizers) */
#define F_IA32		0x40	/* needs the kernel's i386 entry */

enum outcome {
	EXITS_0,	/* the action worked, or failed as it should */
	SIGSYS_KILL,	/* seccomp killed the process */
	CPU_KILL,	/* RLIMIT_CPU: SIGXCPU, or SIGKILL at the hard limit */
};

struct tcase {
	const char	*name;
	int		(*act)(void);
	enum outcome	 want;
	unsigned int	 flags;
};

static struct sandbox_filter	*t_filter;
static pid_t			 t_parent;
static int			 t_ia32;
static int			 t_stacked;	/* under the spawner's too */

/*
 * Ends a child.  Not _exit(): under ASan that is intercepted to run
 * LeakSanitizer, which needs sigaltstack, clone and ptrace, and the
 * sandbox kills it for that.  A worker has to end the same way.
 */
static void __attribute__((noreturn))
t_exit(int status)
{
	for (;;)
		syscall(SYS_exit_group, status);
}

/* Writes all of buf to the channel. */
static int
chan_put(const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(SANDBOX_FD_CHAN, p, len)) <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* 0 when rc is -1 with EACCES: the probe was refused, not killed. */
static int
eacces(long rc)
{
	return rc == -1 && errno == EACCES ? 0 : 2;
}

/*
 * Actions that a worker may take.  Each returns its exit status: 0 when it
 * worked as it should.
 */
static int
act_read_chan(void)
{
	char	b[REQ_LEN];

	return read(SANDBOX_FD_CHAN, b, sizeof(b)) == (ssize_t)REQ_LEN &&
	    memcmp(b, REQ_TEXT, REQ_LEN) == 0 ? 0 : 2;
}

static int
act_read_job(void)
{
	char	b[JOB_LEN + 1];

	return read(SANDBOX_FD_JOB, b, sizeof(b)) == (ssize_t)JOB_LEN &&
	    memcmp(b, JOB_TEXT, JOB_LEN) == 0 ? 0 : 2;
}

static int
act_readv_job(void)
{
	char		b[JOB_LEN];
	struct iovec	iov = { b, sizeof(b) };

	return readv(SANDBOX_FD_JOB, &iov, 1) == (ssize_t)JOB_LEN ? 0 : 2;
}

static int
act_pread_job(void)
{
	char	b[5];

	return pread(SANDBOX_FD_JOB, b, sizeof(b), 9) == 5 &&
	    memcmp(b, JOB_TEXT + 9, 5) == 0 ? 0 : 2;
}

static int
act_lseek_job(void)
{
	return lseek(SANDBOX_FD_JOB, 0, SEEK_END) == (off_t)JOB_LEN ? 0 : 2;
}

static int
act_write_chan(void)
{
	return write(SANDBOX_FD_CHAN, "ok", 2) == 2 ? 0 : 2;
}

static int
act_writev_chan(void)
{
	struct iovec	iov[2] = { { (void *)(uintptr_t)"o", 1 },
			    { (void *)(uintptr_t)"k", 1 } };

	return writev(SANDBOX_FD_CHAN, iov, 2) == 2 ? 0 : 2;
}

static int
act_send_chan(void)
{
	return send(SANDBOX_FD_CHAN, "ok", 2, 0) == 2 ? 0 : 2;
}

static int
act_sendmsg_chan(void)
{
	struct iovec	iov = { (void *)(uintptr_t)"ok", 2 };
	struct msghdr	msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	return sendmsg(SANDBOX_FD_CHAN, &msg, 0) == 2 ? 0 : 2;
}

/* The job memfd arrives over the channel and lands on SANDBOX_FD_JOB. */
static int
act_recvmsg_job(void)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	}		 cbuf;
	char		 b[REQ_LEN], j[JOB_LEN];
	struct iovec	 iov = { b, sizeof(b) };
	struct msghdr	 msg = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cbuf.buf,
			    .msg_controllen = sizeof(cbuf.buf) };
	struct cmsghdr	*cm;
	int		 fd;

	if (recvmsg(SANDBOX_FD_CHAN, &msg, 0) != (ssize_t)REQ_LEN ||
	    (cm = CMSG_FIRSTHDR(&msg)) == NULL ||
	    cm->cmsg_type != SCM_RIGHTS)
		return 2;
	memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
	if (fd != SANDBOX_FD_JOB)
		return 3;
	return pread(fd, j, sizeof(j), 0) == (ssize_t)JOB_LEN &&
	    memcmp(j, JOB_TEXT, JOB_LEN) == 0 ? 0 : 4;
}

static int
act_close(void)
{
	return close(SANDBOX_FD_JOB) == 0 ? 0 : 2;
}

static int
act_malloc(void)
{
	size_t	 n = 8UL << 20;
	char	*p, *q;

	if ((p = malloc(n)) == NULL)
		return 2;
	memset(p, 'x', n);
	/* A large realloc goes through mremap. */
	if ((q = realloc(p, 2 * n)) == NULL)
		return 3;
	memset(q + n, 'y', n);
	free(q);
	return 0;
}

static int
act_malloc_over_as(void)
{
	void	*p;

	p = malloc(2 * AS_BYTES);
	return p == NULL ? 0 : 2;
}

static int
act_mmap_job(void)
{
	char	*p;
	int	 rc;

	p = mmap(NULL, JOB_LEN, PROT_READ, MAP_PRIVATE, SANDBOX_FD_JOB, 0);
	if (p == MAP_FAILED)
		return 2;
	rc = memcmp(p, JOB_TEXT, JOB_LEN) == 0 ? 0 : 3;
	return munmap(p, JOB_LEN) == 0 ? rc : 4;
}

static int
act_mmap_anon(void)
{
	size_t	 n = 1UL << 20;
	char	*p;

	p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED)
		return 2;
	memset(p, 'z', n);
	if (mprotect(p, n, PROT_READ) == -1)
		return 3;
	if (madvise(p, n, MADV_DONTNEED) == -1)
		return 4;
	return munmap(p, n) == 0 ? 0 : 5;
}

static int
act_brk(void)
{
	return sbrk(1 << 16) != (void *)-1 ? 0 : 2;
}

static int
act_facts(void)
{
	struct timespec	ts;
	sigset_t	set;
	char		rnd[16];

	if (getpid() <= 0 || syscall(SYS_gettid) <= 0)
		return 2;
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return 3;
	/* The syscall itself, not the vDSO. */
	if (syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts) != 0)
		return 4;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		return 5;
	return 0;
}

static int
act_exit_thread(void)
{
	syscall(SYS_exit, 0);
	return EXIT_RETURNED;
}

/* Path probes: refused with EACCES, not killed. */
static int
act_open(void)
{
	return eacces(open("/etc/passwd", O_RDONLY));
}

static int
act_open_raw(void)
{
	return eacces(syscall(SYS_open, "/etc/passwd", O_RDONLY));
}

static int
act_stat(void)
{
	struct stat	st;

	return eacces(stat("/etc/passwd", &st));
}

static int
act_stat_raw(void)
{
	struct stat	st;

	return eacces(syscall(SYS_stat, "/etc/passwd", &st));
}

static int
act_lstat_raw(void)
{
	struct stat	st;

	return eacces(syscall(SYS_lstat, "/etc/passwd", &st));
}

static int
act_fstat_job(void)
{
	struct stat	st;

	return eacces(fstat(SANDBOX_FD_JOB, &st));
}

static int
act_access(void)
{
	return eacces(access("/etc/passwd", R_OK));
}

static int
act_faccessat(void)
{
	return eacces(faccessat(AT_FDCWD, "/etc/passwd", R_OK, 0));
}

static int
act_readlink(void)
{
	char	b[64];

	return eacces(readlink("/proc/self/exe", b, sizeof(b)));
}

/* A library that probes files gets an error, and the worker lives on. */
static int
act_iconv(void)
{
	iconv_t	cd;

	cd = iconv_open("UTF-8", "ISO-8859-2");
	if (cd != (iconv_t)-1) {
		(void)iconv_close(cd);
		return 2;
	}
	return 0;
}

/* Calls that must kill.  Each returns EXIT_RETURNED if it comes back. */
static int
act_socket(void)
{
	syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
	return EXIT_RETURNED;
}

static int
act_connect(void)
{
	struct sockaddr_un	sun = { .sun_family = AF_UNIX,
				    .sun_path = "/nonexistent" };

	syscall(SYS_connect, SANDBOX_FD_CHAN, &sun, sizeof(sun));
	return EXIT_RETURNED;
}

static int
act_sendto_addr(void)
{
	struct sockaddr_un	sun = { .sun_family = AF_UNIX,
				    .sun_path = "/nonexistent" };

	sendto(SANDBOX_FD_CHAN, "x", 1, 0, (struct sockaddr *)&sun,
	    sizeof(sun));
	return EXIT_RETURNED;
}

static int
act_execve(void)
{
	char *const	argv[] = { (char *)(uintptr_t)"/bin/true", NULL };

	syscall(SYS_execve, "/bin/true", argv, NULL);
	return EXIT_RETURNED;
}

static int
act_execveat(void)
{
	char *const	argv[] = { (char *)(uintptr_t)"/bin/true", NULL };

	syscall(SYS_execveat, AT_FDCWD, "/bin/true", argv, NULL, 0);
	return EXIT_RETURNED;
}

static int
act_fork_raw(void)
{
	if (syscall(SYS_fork) == 0)
		t_exit(EXIT_RETURNED);
	return EXIT_RETURNED;
}

static int
act_vfork_raw(void)
{
	syscall(SYS_vfork);
	return EXIT_RETURNED;
}

/* glibc's fork() is clone(2). */
static int
act_clone(void)
{
	if (fork() == 0)
		t_exit(EXIT_RETURNED);
	return EXIT_RETURNED;
}

static int
act_clone3(void)
{
	syscall(SYS_clone3, NULL, 0);
	return EXIT_RETURNED;
}

static int
act_ptrace(void)
{
	syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0);
	return EXIT_RETURNED;
}

static int
act_kill_parent(void)
{
	kill(t_parent, 0);
	return EXIT_RETURNED;
}

static int
act_tgkill_self(void)
{
	syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), 0);
	return EXIT_RETURNED;
}

static int
act_abort(void)
{
	abort();
}

static int
act_write_stdout(void)
{
	if (write(1, "x", 1) == -1)
		return 2;
	return EXIT_RETURNED;
}

static int
act_write_stderr(void)
{
	if (write(2, "x", 1) == -1)
		return 2;
	return EXIT_RETURNED;
}

static int
act_write_job(void)
{
	if (write(SANDBOX_FD_JOB, "x", 1) == -1)
		return 2;
	return EXIT_RETURNED;
}

static int
act_read_stdin(void)
{
	char	b;

	if (read(0, &b, 1) == -1)
		return 2;
	return EXIT_RETURNED;
}

static int
act_dup(void)
{
	if (dup(SANDBOX_FD_CHAN) == -1)
		return 2;
	return EXIT_RETURNED;
}

static int
act_fcntl(void)
{
	fcntl(SANDBOX_FD_CHAN, F_GETFL);
	return EXIT_RETURNED;
}

static int
act_mmap_exec(void)
{
	mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	return EXIT_RETURNED;
}

static int
act_mmap_job_exec(void)
{
	mmap(NULL, JOB_LEN, PROT_READ | PROT_EXEC, MAP_PRIVATE,
	    SANDBOX_FD_JOB, 0);
	return EXIT_RETURNED;
}

/* fd 0 stands for any descriptor that leaked into a worker. */
static int
act_mmap_other_fd(void)
{
	mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 0, 0);
	return EXIT_RETURNED;
}

static int
act_mprotect_exec(void)
{
	void	*p;

	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 2;
	mprotect(p, 4096, PROT_READ | PROT_EXEC);
	return EXIT_RETURNED;
}

static int
act_pkey_mprotect(void)
{
	void	*p;

	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 2;
	syscall(SYS_pkey_mprotect, p, 4096, PROT_READ, -1);
	return EXIT_RETURNED;
}

/* getpid (20) through the i386 entry: AUDIT_ARCH_I386 to seccomp. */
static int
act_int80(void)
{
	long	ret;

	__asm__ volatile ("int $0x80" : "=a"(ret) : "a"(20L)
	    : "r8", "r9", "r10", "r11", "memory", "cc");
	return ret > 0 ? EXIT_RETURNED : 2;
}

static int
act_x32(void)
{
	syscall(0x40000000L | SYS_getpid);
	return EXIT_RETURNED;
}

static int
act_io_uring(void)
{
	struct io_uring_params	p;

	memset(&p, 0, sizeof(p));
	syscall(SYS_io_uring_setup, 1, &p);
	return EXIT_RETURNED;
}

static int
act_bpf(void)
{
	syscall(SYS_bpf, 0, NULL, 0);
	return EXIT_RETURNED;
}

static int
act_unshare(void)
{
	unshare(CLONE_NEWUSER);
	return EXIT_RETURNED;
}

static int
act_setns(void)
{
	setns(SANDBOX_FD_CHAN, 0);
	return EXIT_RETURNED;
}

static int
act_prctl(void)
{
	prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	return EXIT_RETURNED;
}

static int
act_seccomp(void)
{
	uint32_t	action = SECCOMP_RET_ALLOW;

	syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action);
	return EXIT_RETURNED;
}

static int
act_personality(void)
{
	personality(0xffffffff);
	return EXIT_RETURNED;
}

/* What pthread_once() does at the end, with or without waiters. */
static int
act_futex_wake(void)
{
	uint32_t	word = 0;

	return syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, INT32_MAX,
	    NULL, NULL, 0) == 0 ? 0 : 2;
}

static int
act_futex_wait(void)
{
	struct timespec	ts = { 0, 1000 };
	uint32_t	word = 0;

	syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0);
	return EXIT_RETURNED;
}

static int
act_futex_shared(void)
{
	uint32_t	word = 0;

	syscall(SYS_futex, &word, FUTEX_WAKE, 1, NULL, NULL, 0);
	return EXIT_RETURNED;
}

static int
act_futex_requeue(void)
{
	uint32_t	a = 0, b = 0;

	syscall(SYS_futex, &a, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, NULL, &b, 0);
	return EXIT_RETURNED;
}

static int
act_nanosleep(void)
{
	struct timespec	ts = { 0, 1000 };

	nanosleep(&ts, NULL);
	return EXIT_RETURNED;
}

static int
act_clock_nanosleep(void)
{
	struct timespec	ts = { 0, 1000 };

	clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
	return EXIT_RETURNED;
}

static int
act_setrlimit(void)
{
	struct rlimit	rl = { 64, 64 };

	setrlimit(RLIMIT_NOFILE, &rl);
	return EXIT_RETURNED;
}

static int
act_openat2(void)
{
	syscall(SYS_openat2, AT_FDCWD, "/etc/passwd", NULL, 0);
	return EXIT_RETURNED;
}

/*
 * What the spawner's policy allows and a worker's must not: a worker is
 * forked under the spawner's policy, so each of these kills it only
 * because its own filter says so (the second run of the cases).  5 is a
 * descriptor number a spawner holds and a worker does not.
 */
#define SPAWNER_FD	5

static int
act_socketpair(void)
{
	int	sv[2];

	syscall(SYS_socketpair, AF_UNIX, SOCK_SEQPACKET, 0, sv);
	return EXIT_RETURNED;
}

static int
act_pidfd_open(void)
{
	syscall(SYS_pidfd_open, getpid(), 0);
	return EXIT_RETURNED;
}

static int
act_pidfd_send_signal(void)
{
	syscall(SYS_pidfd_send_signal, SANDBOX_FD_CHAN, SIGKILL, NULL, 0);
	return EXIT_RETURNED;
}

static int
act_kill_self(void)
{
	kill(getpid(), SIGKILL);
	return EXIT_RETURNED;
}

static int
act_wait4(void)
{
	syscall(SYS_wait4, -1, NULL, WNOHANG, NULL);
	return EXIT_RETURNED;
}

static int
act_poll(void)
{
	syscall(SYS_poll, NULL, 0, 0);
	return EXIT_RETURNED;
}

static int
act_dup2(void)
{
	syscall(SYS_dup2, SANDBOX_FD_CHAN, SANDBOX_FD_CHAN);
	return EXIT_RETURNED;
}

static int
act_close_range(void)
{
	syscall(SYS_close_range, 100, 200, 0);
	return EXIT_RETURNED;
}

static int
act_setsockopt(void)
{
	int	on = 1;

	syscall(SYS_setsockopt, SANDBOX_FD_CHAN, SOL_SOCKET, SO_PASSCRED, &on,
	    sizeof(on));
	return EXIT_RETURNED;
}

static int
act_setresuid(void)
{
	syscall(SYS_setresuid, -1, -1, -1);
	return EXIT_RETURNED;
}

static int
act_getuid(void)
{
	syscall(SYS_getuid);
	return EXIT_RETURNED;
}

static int
act_sigaction(void)
{
	syscall(SYS_rt_sigaction, SIGUSR1, NULL, NULL, 8);
	return EXIT_RETURNED;
}

static int
act_landlock(void)
{
	syscall(SYS_landlock_create_ruleset, NULL, 0, 1);
	return EXIT_RETURNED;
}

static int
act_read_spawner_fd(void)
{
	char	b;

	syscall(SYS_read, SPAWNER_FD, &b, 1);
	return EXIT_RETURNED;
}

static int
act_write_spawner_fd(void)
{
	syscall(SYS_write, SPAWNER_FD, "x", 1);
	return EXIT_RETURNED;
}

static int
act_recvmsg_spawner_fd(void)
{
	struct msghdr	msg;

	memset(&msg, 0, sizeof(msg));
	syscall(SYS_recvmsg, SPAWNER_FD, &msg, MSG_DONTWAIT);
	return EXIT_RETURNED;
}

static int
act_sendmsg_spawner_fd(void)
{
	struct msghdr	msg;

	memset(&msg, 0, sizeof(msg));
	syscall(SYS_sendmsg, SPAWNER_FD, &msg, 0);
	return EXIT_RETURNED;
}

static int
act_mmap_spawner_fd(void)
{
	mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, SPAWNER_FD, 0);
	return EXIT_RETURNED;
}

/* Limits. */
static int
act_spin(void)
{
	volatile unsigned long	n = 0;

	/* 2^64 increments: far beyond any CPU limit. */
	while (n != ~0UL)
		n++;
	return 2;
}

static const struct tcase cases[] = {
	{ "read the channel", act_read_chan, EXITS_0, 0 },
	{ "read the job", act_read_job, EXITS_0, 0 },
	{ "readv the job", act_readv_job, EXITS_0, 0 },
	{ "pread the job", act_pread_job, EXITS_0, 0 },
	{ "lseek the job to its end", act_lseek_job, EXITS_0, 0 },
	{ "write the channel", act_write_chan, EXITS_0, 0 },
	{ "writev the channel", act_writev_chan, EXITS_0, 0 },
	{ "send on the channel", act_send_chan, EXITS_0, 0 },
	{ "sendmsg on the channel", act_sendmsg_chan, EXITS_0, 0 },
	{ "recvmsg the job memfd onto fd 4", act_recvmsg_job, EXITS_0,
	    F_SENDFD },
	{ "close", act_close, EXITS_0, 0 },
	{ "malloc and realloc a few MB", act_malloc, EXITS_0, 0 },
	{ "mmap the job PROT_READ", act_mmap_job, EXITS_0, 0 },
	{ "mmap anonymous, mprotect, madvise", act_mmap_anon, EXITS_0, 0 },
	{ "brk", act_brk, EXITS_0, 0 },
	{ "getpid, gettid, getrandom, clock_gettime, sigprocmask",
	    act_facts, EXITS_0, 0 },
	{ "futex wake, private", act_futex_wake, EXITS_0, 0 },
	{ "exit(2) of the only thread", act_exit_thread, EXITS_0, 0 },

	{ "open /etc/passwd kills", act_open, SIGSYS_KILL, 0 },
	{ "open(2) /etc/passwd kills", act_open_raw, SIGSYS_KILL, 0 },
	{ "stat is EACCES", act_stat, EXITS_0, 0 },
	{ "stat(2) is EACCES", act_stat_raw, EXITS_0, 0 },
	{ "lstat(2) is EACCES", act_lstat_raw, EXITS_0, 0 },
	{ "fstat of the job is EACCES", act_fstat_job, EXITS_0, 0 },
	{ "access is EACCES", act_access, EXITS_0, 0 },
	{ "faccessat is EACCES", act_faccessat, EXITS_0, 0 },
	{ "readlink is EACCES", act_readlink, EXITS_0, 0 },
	{ "iconv_open in a worker kills: modules set it up in init",
	    act_iconv, SIGSYS_KILL, 0 },

	{ "socket", act_socket, SIGSYS_KILL, 0 },
	{ "connect", act_connect, SIGSYS_KILL, 0 },
	{ "sendto an address", act_sendto_addr, SIGSYS_KILL, 0 },
	{ "execve", act_execve, SIGSYS_KILL, 0 },
	{ "execveat", act_execveat, SIGSYS_KILL, 0 },
	{ "fork(2)", act_fork_raw, SIGSYS_KILL, 0 },
	{ "vfork(2)", act_vfork_raw, SIGSYS_KILL, 0 },
	{ "fork() (clone)", act_clone, SIGSYS_KILL, 0 },
	{ "clone3", act_clone3, SIGSYS_KILL, 0 },
	{ "ptrace", act_ptrace, SIGSYS_KILL, 0 },
	{ "kill the parent", act_kill_parent, SIGSYS_KILL, 0 },
	{ "tgkill itself", act_tgkill_self, SIGSYS_KILL, 0 },
	{ "abort() (tgkill)", act_abort, SIGSYS_KILL, 0 },
	{ "write fd 1", act_write_stdout, SIGSYS_KILL, 0 },
	{ "write fd 2", act_write_stderr, SIGSYS_KILL, 0 },
	{ "write the job", act_write_job, SIGSYS_KILL, 0 },
	{ "read fd 0", act_read_stdin, SIGSYS_KILL, 0 },
	{ "dup", act_dup, SIGSYS_KILL, 0 },
	{ "fcntl", act_fcntl, SIGSYS_KILL, 0 },
	{ "mmap PROT_EXEC", act_mmap_exec, SIGSYS_KILL, 0 },
	{ "mmap the job PROT_EXEC", act_mmap_job_exec, SIGSYS_KILL, 0 },
	{ "mmap another fd", act_mmap_other_fd, SIGSYS_KILL, 0 },
	{ "mprotect +PROT_EXEC", act_mprotect_exec, SIGSYS_KILL, 0 },
	{ "pkey_mprotect", act_pkey_mprotect, SIGSYS_KILL, 0 },
	{ "i386 int $0x80", act_int80, SIGSYS_KILL, F_IA32 },
	{ "x32 syscall", act_x32, SIGSYS_KILL, 0 },
	{ "io_uring_setup", act_io_uring, SIGSYS_KILL, 0 },
	{ "bpf", act_bpf, SIGSYS_KILL, 0 },
	{ "unshare", act_unshare, SIGSYS_KILL, 0 },
	{ "setns", act_setns, SIGSYS_KILL, 0 },
	{ "prctl", act_prctl, SIGSYS_KILL, 0 },
	{ "seccomp", act_seccomp, SIGSYS_KILL, 0 },
	{ "personality", act_personality, SIGSYS_KILL, 0 },
	{ "futex wait", act_futex_wait, SIGSYS_KILL, 0 },
	{ "futex wake, shared", act_futex_shared, SIGSYS_KILL, 0 },
	{ "futex requeue PI", act_futex_requeue, SIGSYS_KILL, 0 },
	{ "nanosleep", act_nanosleep, SIGSYS_KILL, 0 },
	{ "clock_nanosleep", act_clock_nanosleep, SIGSYS_KILL, 0 },
	{ "setrlimit (prlimit64)", act_setrlimit, SIGSYS_KILL, 0 },
	{ "openat2", act_openat2, SIGSYS_KILL, 0 },

	{ "socketpair", act_socketpair, SIGSYS_KILL, 0 },
	{ "pidfd_open", act_pidfd_open, SIGSYS_KILL, 0 },
	{ "pidfd_send_signal", act_pidfd_send_signal, SIGSYS_KILL, 0 },
	{ "kill itself with SIGKILL", act_kill_self, SIGSYS_KILL, 0 },
	{ "wait4", act_wait4, SIGSYS_KILL, 0 },
	{ "poll", act_poll, SIGSYS_KILL, 0 },
	{ "dup2", act_dup2, SIGSYS_KILL, 0 },
	{ "close_range", act_close_range, SIGSYS_KILL, 0 },
	{ "setsockopt", act_setsockopt, SIGSYS_KILL, 0 },
	{ "setresuid", act_setresuid, SIGSYS_KILL, 0 },
	{ "getuid", act_getuid, SIGSYS_KILL, 0 },
	{ "rt_sigaction", act_sigaction, SIGSYS_KILL, 0 },
	{ "landlock_create_ruleset", act_landlock, SIGSYS_KILL, 0 },
	{ "read fd 5, a spawner's", act_read_spawner_fd, SIGSYS_KILL, 0 },
	{ "write fd 5, a spawner's", act_write_spawner_fd, SIGSYS_KILL, 0 },
	{ "recvmsg on fd 5, a spawner's", act_recvmsg_spawner_fd, SIGSYS_KILL,
	    0 },
	{ "sendmsg on fd 5, a spawner's", act_sendmsg_spawner_fd, SIGSYS_KILL,
	    0 },
	{ "mmap fd 5, a spawner's", act_mmap_spawner_fd, SIGSYS_KILL, 0 },

	{ "malloc beyond RLIMIT_AS fails", act_malloc_over_as, EXITS_0,
	    F_NEEDAS },
	{ "a CPU spin dies of RLIMIT_CPU", act_spin, CPU_KILL, F_CPU1 },
};

static void
child_fail(int code, const char *what)
{
	(void)chan_put(what, strlen(what));
	t_exit(code);
}

/* Moves fd above the worker's range, closing the original. */
static int
child_fd_high(int fd)
{
	int	high;

	if ((high = fcntl(fd, F_DUPFD, 10)) == -1 || close(fd) == -1)
		return -1;
	return high;
}

static int
child_proc_fd(unsigned int flags)
{
	if (flags & F_STATUS)
		return open("/proc/self/status", O_RDONLY);
	if (flags & F_LIMITS)
		return open("/proc/self/limits", O_RDONLY);
	return -1;
}

/*
 * Lays out the fds of a worker.  Everything goes high first, so that no
 * dup2 overwrites a descriptor still needed, then onto its place; fd 4 is
 * the job, a /proc file (F_STATUS, F_LIMITS) or free (F_SENDFD).
 */
static void
child_fds(int chan, int job, unsigned int flags)
{
	int	null, proc;

	proc = child_proc_fd(flags);
	if ((chan = child_fd_high(chan)) == -1 ||
	    (job = child_fd_high(job)) == -1 ||
	    (proc != -1 && (proc = child_fd_high(proc)) == -1) ||
	    dup2(chan, SANDBOX_FD_CHAN) == -1)
		t_exit(EXIT_SETUP);
	if ((flags & (F_STATUS | F_LIMITS)) && proc == -1)
		child_fail(EXIT_SETUP, "cannot open /proc/self");
	if (proc != -1)
		job = proc;
	if (!(flags & F_SENDFD) && dup2(job, SANDBOX_FD_JOB) == -1)
		child_fail(EXIT_SETUP, "dup2 of the job failed");
	if ((null = open("/dev/null", O_RDWR)) == -1 ||
	    dup2(null, 0) == -1 || dup2(null, 1) == -1 || dup2(null, 2) == -1)
		child_fail(EXIT_SETUP, "no /dev/null");
	if (flags & F_SENDFD)
		(void)close(SANDBOX_FD_JOB);
	if (close_range(SANDBOX_FD_JOB + 1, ~0U, 0) == -1)
		child_fail(EXIT_SETUP, "close_range failed");
}

static void
child_limits(unsigned int flags, struct sandbox_limits *l)
{
#ifdef T_SANITIZERS
	l->as_bytes = 0;	/* ASan reserves terabytes of shadow */
#else
	l->as_bytes = AS_BYTES;
#endif
	l->cpu_seconds = flags & F_CPU1 ? 1 : CPU_SECONDS;
	l->nofile = NOFILE;
}

static void
child_main(int (*act)(void), int chan, int job, unsigned int flags)
{
	struct sandbox_limits	lim;
	char			err[256];

	alarm(CHILD_ALARM);
	child_fds(chan, job, flags);
	child_limits(flags, &lim);
	/*
	 * A worker is forked from a spawner under its own policy, and
	 * filters stack: what the worker's allows must pass both.
	 */
	if (!(flags & F_NOENTER) && t_stacked &&
	    sandbox_proc_enter(SANDBOX_PROC_SPAWNER, err, sizeof(err)) == -1)
		child_fail(EXIT_ENTER, err);
	if (!(flags & F_NOENTER) &&
	    sandbox_worker_enter(t_filter, &lim, err, sizeof(err)) == -1)
		child_fail(EXIT_ENTER, err);
	t_exit(act());
}

static int
job_memfd(void)
{
	int	fd;

	if ((fd = memfd_create("job", MFD_CLOEXEC | MFD_ALLOW_SEALING)) == -1)
		bail("memfd_create: %s", strerror(errno));
	if (write(fd, JOB_TEXT, JOB_LEN) != (ssize_t)JOB_LEN ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE | F_SEAL_SEAL) == -1)
		bail("sealing the job: %s", strerror(errno));
	/* The offset is shared with the worker: rewind it for read(). */
	if (lseek(fd, 0, SEEK_SET) != 0)
		bail("lseek: %s", strerror(errno));
	return fd;
}

/* The request, with the job memfd attached when the case wants it. */
static void
send_request(int fd, int job, unsigned int flags)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	}		 cbuf;
	struct iovec	 iov = { (void *)(uintptr_t)REQ_TEXT, REQ_LEN };
	struct msghdr	 msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr	*cm;

	if (flags & F_SENDFD) {
		memset(&cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = sizeof(cbuf.buf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &job, sizeof(int));
	}
	if (sendmsg(fd, &msg, 0) != (ssize_t)REQ_LEN)
		bail("sendmsg: %s", strerror(errno));
}

/* Waits for pid for at most PARENT_WAIT_MS; kills it when it is late. */
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

/* Reads what the child wrote to its channel, up to len - 1 bytes. */
static void
read_all(int fd, char *out, size_t len)
{
	size_t	off = 0;
	ssize_t	n;

	while (off + 1 < len &&
	    (n = read(fd, out + off, len - 1 - off)) > 0)
		off += (size_t)n;
	out[off] = '\0';
}

/*
 * Runs act in a child laid out like a worker.  Returns the child's wait
 * status, or -1 when it had to be killed for being late; out gets what it
 * wrote to its channel.
 */
static int
run_child(int (*act)(void), unsigned int flags, char *out, size_t outlen)
{
	int	sv[2], job, status;
	pid_t	pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		bail("socketpair: %s", strerror(errno));
	job = job_memfd();
	send_request(sv[0], job, flags);
	fflush(NULL);
	if ((pid = fork()) == -1)
		bail("fork: %s", strerror(errno));
	if (pid == 0) {
		(void)close(sv[0]);
		child_main(act, sv[1], job, flags);
	}
	(void)close(sv[1]);
	(void)close(job);
	if (wait_child(pid, &status) == -1)
		status = -1;
	read_all(sv[0], out, outlen);
	(void)close(sv[0]);
	return status;
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

static int
outcome_ok(enum outcome want, int status)
{
	if (status == -1)
		return 0;
	switch (want) {
	case EXITS_0:
		return WIFEXITED(status) && WEXITSTATUS(status) == 0;
	case SIGSYS_KILL:
		return WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS;
	case CPU_KILL:
		return WIFSIGNALED(status) && (WTERMSIG(status) == SIGXCPU ||
		    WTERMSIG(status) == SIGKILL);
	}
	return 0;
}

static const char *
outcome_str(enum outcome want)
{
	switch (want) {
	case EXITS_0:
		return "works";
	case SIGSYS_KILL:
		return "SIGSYS";
	case CPU_KILL:
		return "SIGXCPU or SIGKILL";
	}
	return "?";
}

static void
test_case(const struct tcase *c)
{
	char	out[512], st[128];
	int	status;

#ifdef T_SANITIZERS
	if (c->flags & F_NEEDAS) {
		skip(1, "sanitizers: as_bytes is 0, RLIMIT_AS left unset");
		return;
	}
#endif
	if ((c->flags & F_IA32) && !t_ia32) {
		skip(1, "no i386 entry: int $0x80 faults before seccomp");
		return;
	}
	status = run_child(c->act, c->flags, out, sizeof(out));
	if (!ok(outcome_ok(c->want, status), "%s%s: %s",
	    t_stacked ? "forked from a spawner: " : "", c->name,
	    outcome_str(c->want))) {
		status_str(status, st, sizeof(st));
		diag("child: %s", st);
		if (out[0] != '\0')
			diag("child said: %s", out);
	}
}

/*
 * Whether int $0x80 reaches the kernel's i386 entry at all: without
 * IA32_EMULATION it is a general protection fault, and seccomp never sees
 * it.  Probed in a child, outside the sandbox.
 */
static int
act_int80_probe(void)
{
	long	ret;

	__asm__ volatile ("int $0x80" : "=a"(ret) : "a"(20L)
	    : "r8", "r9", "r10", "r11", "memory", "cc");
	return ret == getpid() ? 0 : 2;
}

static int
probe_ia32(void)
{
	char	out[64];
	int	status;

	status = run_child(act_int80_probe, F_NOENTER, out, sizeof(out));
	return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Copies the fd 4 the child was given (a /proc file) to the channel. */
static int
act_relay_proc(void)
{
	char	b[4096];
	ssize_t	n;

	while ((n = read(SANDBOX_FD_JOB, b, sizeof(b))) > 0)
		if (chan_put(b, (size_t)n) == -1)
			return 2;
	return n == 0 ? 0 : 3;
}

/* Returns the value of "name:\t<value>" in a /proc status text. */
static const char *
status_field(const char *text, const char *name, char *buf, size_t len)
{
	const char	*p, *e;
	size_t		 nlen = strlen(name), n;

	for (p = text; p != NULL && *p != '\0'; p = strchr(p, '\n'),
	    p = p != NULL ? p + 1 : NULL) {
		if (strncmp(p, name, nlen) != 0 || p[nlen] != ':')
			continue;
		p += nlen + 1;
		p += strspn(p, " \t");
		e = strchr(p, '\n');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		if (n >= len)
			n = len - 1;
		memcpy(buf, p, n);
		buf[n] = '\0';
		return buf;
	}
	return NULL;
}

#define STATUS_TESTS	3

static void
test_status(void)
{
	char	out[8192], v[64];
	int	status;

	status = run_child(act_relay_proc, F_STATUS, out, sizeof(out));
	if (!outcome_ok(EXITS_0, status))
		diag("status child: %s", out);
	is_str(status_field(out, "NoNewPrivs", v, sizeof(v)), "1",
	    "worker: NoNewPrivs 1");
	is_str(status_field(out, "Seccomp", v, sizeof(v)), "2",
	    "worker: Seccomp 2 (filter)");
	is_str(status_field(out, "Seccomp_filters", v, sizeof(v)), "1",
	    "worker: one seccomp filter");
}

/*
 * Reads the soft and hard values of a /proc/<pid>/limits line, where
 * "unlimited" is RLIM_INFINITY.
 */
static int
limits_field(const char *text, const char *name, rlim_t *soft_r,
    rlim_t *hard_r)
{
	const char	*p;
	char		*end;
	rlim_t		*v[2] = { soft_r, hard_r };
	int		 i;

	if ((p = strstr(text, name)) == NULL)
		return -1;
	p += strlen(name);
	for (i = 0; i < 2; i++) {
		p += strspn(p, " ");
		if (strncmp(p, "unlimited", 9) == 0) {
			*v[i] = RLIM_INFINITY;
			p += 9;
			continue;
		}
		errno = 0;
		*v[i] = strtoull(p, &end, 10);
		if (errno != 0 || end == p)
			return -1;
		p = end;
	}
	return 0;
}

#define LIMITS_TESTS	6

static void
test_limits(void)
{
	const struct {
		const char	*name;
		rlim_t		 soft, hard;
	} want[] = {
		{ "Max cpu time", CPU_SECONDS, CPU_SECONDS + 1 },
		{ "Max file size", 0, 0 },
		{ "Max processes", 0, 0 },
		{ "Max open files", NOFILE, NOFILE },
		{ "Max core file size", 0, 0 },
#ifdef T_SANITIZERS
		{ "Max address space", RLIM_INFINITY, RLIM_INFINITY },
#else
		{ "Max address space", AS_BYTES, AS_BYTES },
#endif
	};
	char	out[8192];
	rlim_t	soft, hard;
	size_t	i;
	int	status;

	status = run_child(act_relay_proc, F_LIMITS, out, sizeof(out));
	if (!outcome_ok(EXITS_0, status))
		diag("limits child: %s", out);
	for (i = 0; i < NITEMS(want); i++) {
		if (limits_field(out, want[i].name, &soft, &hard) == -1)
			soft = hard = 12345;
		if (!ok(soft == want[i].soft && hard == want[i].hard,
		    "worker: %s %llu %llu", want[i].name,
		    (unsigned long long)want[i].soft,
		    (unsigned long long)want[i].hard))
			diag("got %llu %llu", (unsigned long long)soft,
			    (unsigned long long)hard);
	}
}

/*
 * sandbox_worker_enter() with limits that would leave a layer off fails,
 * and before it changed anything.
 */
static int
enter_bad(rlim_t cpu, rlim_t nofile)
{
	struct sandbox_limits	lim = { 0, cpu, nofile };
	struct rlimit		rl;
	char			err[256];

	if (sandbox_worker_enter(t_filter, &lim, err, sizeof(err)) != -1)
		return 2;
	if (err[0] == '\0')
		return 3;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 0 ||
	    prctl(PR_GET_SECCOMP, 0, 0, 0, 0) != 0 ||
	    getrlimit(RLIMIT_FSIZE, &rl) == -1 || rl.rlim_cur == 0)
		return 4;
	return 0;
}

static int
act_enter_cpu0(void)
{
	return enter_bad(0, NOFILE);
}

static int
act_enter_nofile2(void)
{
	return enter_bad(CPU_SECONDS, 2);
}

#define ENTER_TESTS	2

static void
test_enter_errors(void)
{
	char	out[256];
	int	status;

	status = run_child(act_enter_cpu0, F_NOENTER, out, sizeof(out));
	ok(outcome_ok(EXITS_0, status),
	    "cpu_seconds 0 is refused, nothing applied");
	status = run_child(act_enter_nofile2, F_NOENTER, out, sizeof(out));
	ok(outcome_ok(EXITS_0, status),
	    "nofile below %d is refused, nothing applied", SANDBOX_FD_JOB + 1);
}

/*
 * The checks of sandbox_limits_check() at their edges: the least nofile
 * that leaves room for the job's descriptor, and one less; cpu_seconds
 * 1, 0, and no limit at all.
 */
#define LIMITS_BOUND_TESTS	6

static void
test_limits_bounds(void)
{
	struct sandbox_limits	 l = { AS_BYTES, CPU_SECONDS, NOFILE };
	char			 err[256];

	l.nofile = SANDBOX_FD_JOB + 1;
	ok(sandbox_limits_check(&l, err, sizeof(err)) == 0,
	    "limits: nofile %d is enough", SANDBOX_FD_JOB + 1);
	l.nofile = SANDBOX_FD_JOB;
	ok(sandbox_limits_check(&l, err, sizeof(err)) == -1,
	    "limits: nofile %d is refused", SANDBOX_FD_JOB);
	l.nofile = RLIM_INFINITY;
	ok(sandbox_limits_check(&l, err, sizeof(err)) == -1,
	    "limits: no nofile limit is refused");
	l.nofile = NOFILE;
	l.cpu_seconds = 1;
	ok(sandbox_limits_check(&l, err, sizeof(err)) == 0,
	    "limits: cpu_seconds 1 is enough");
	l.cpu_seconds = 0;
	ok(sandbox_limits_check(&l, err, sizeof(err)) == -1,
	    "limits: cpu_seconds 0 is refused");
	l.cpu_seconds = RLIM_INFINITY;
	ok(sandbox_limits_check(&l, err, sizeof(err)) == -1,
	    "limits: no CPU limit is refused");
}

/*
 * How sandbox_worker_enter() sets each limit: one prlimit(2), whose
 * success is the check; a limit above the hard one lowered to it, never
 * raised (as root, the first call may raise it, and it must come down
 * again); and a limit that cannot be set stops the worker.  The failures
 * come from a seccomp filter of the test's own, loaded first: refused
 * calls fail with an errno and the rest go through.
 */
#define CPU_LOW		3	/* a hard limit below CPU_SECONDS */

static int	enter_fails_with(const char *);

static int
act_limits_lowered(void)
{
	struct sandbox_limits	lim;
	struct rlimit		rl = { CPU_LOW, CPU_LOW };
	char			err[256];

	if (setrlimit(RLIMIT_CPU, &rl) == -1)
		return 4;
	child_limits(0, &lim);
	if (sandbox_worker_enter(t_filter, &lim, err, sizeof(err)) == -1)
		child_fail(EXIT_ENTER, err);
	return act_relay_proc();
}

/* Loads a filter that makes prlimit64 fail with e where cmp matches. */
static int
refuse_prlimit(int e, const struct scmp_arg_cmp *cmp)
{
	scmp_filter_ctx	ctx;
	int		rc;

	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL)
		return -1;
	rc = seccomp_rule_add_exact(ctx, SCMP_ACT_ERRNO(e),
	    SCMP_SYS(prlimit64), 1, *cmp);
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	return rc;
}

/*
 * sandbox_worker_enter() fails with want in its message, and the worker's
 * filter is not loaded: getppid, which it would kill, still works.
 */
static int
enter_refused(const char *want)
{
	if (enter_fails_with(want) != 0)
		return 2;
	return getppid() > 0 ? 0 : 3;
}

/* RLIMIT_CORE cannot be set at all (EACCES). */
static int
act_limits_core_refused(void)
{
	struct scmp_arg_cmp	cmp = SCMP_A1(SCMP_CMP_EQ, RLIMIT_CORE);

	if (refuse_prlimit(EACCES, &cmp) != 0)
		return 4;
	return enter_refused("RLIMIT_CORE: Permission denied");
}

/*
 * No limit may be set (EPERM, as without CAP_SYS_RESOURCE), but each may
 * be read: the lowered retry fails too.
 */
static int
act_limits_sets_refused(void)
{
	struct scmp_arg_cmp	cmp = SCMP_A2(SCMP_CMP_NE, 0);

	if (refuse_prlimit(EPERM, &cmp) != 0)
		return 4;
	return enter_refused("RLIMIT_CPU: Operation not permitted");
}

/* What sandbox_prctl_apply() sets, by itself, read back here. */
static int
act_prctl_apply(void)
{
	char	err[256];

	if (sandbox_prctl_apply(err, sizeof(err)) == -1)
		child_fail(EXIT_ENTER, err);
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
		return 2;
	return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ? 0 : 3;
}

/* Whether a hard limit may be raised here (CAP_SYS_RESOURCE), in a child. */
static int
can_raise_limits(void)
{
	struct rlimit	lo = { CPU_LOW, CPU_LOW }, hi = { CPU_LOW, CPU_LOW + 1 };
	pid_t		pid;
	int		status;

	fflush(NULL);
	if ((pid = fork()) == -1)
		bail("fork: %s", strerror(errno));
	if (pid == 0)
		t_exit(setrlimit(RLIMIT_CPU, &lo) == 0 &&
		    setrlimit(RLIMIT_CPU, &hi) == 0 ? 0 : 1);
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0;
}

#define LIMITS_SET_TESTS	4

static void
test_limits_set(void)
{
	char	out[8192], st[128];
	rlim_t	soft, hard;
	int	status;

	status = run_child(act_limits_lowered, F_NOENTER | F_LIMITS, out,
	    sizeof(out));
	if (!outcome_ok(EXITS_0, status) ||
	    limits_field(out, "Max cpu time", &soft, &hard) == -1)
		soft = hard = 12345;
	if (!ok(soft == CPU_LOW && hard == CPU_LOW, "cpu_seconds %d above a "
	    "hard limit of %d: lowered to it, never raised (%s)", CPU_SECONDS,
	    CPU_LOW, can_raise_limits() ? "CAP_SYS_RESOURCE: raised, then "
	    "lowered again" : "no CAP_SYS_RESOURCE: refused, then lowered")) {
		status_str(status, st, sizeof(st));
		diag("child: %s; got %llu %llu", st, (unsigned long long)soft,
		    (unsigned long long)hard);
	}
	status = run_child(act_limits_core_refused, F_NOENTER, out,
	    sizeof(out));
	if (!ok(outcome_ok(EXITS_0, status), "a limit that cannot be set "
	    "stops the worker before its filter")) {
		status_str(status, st, sizeof(st));
		diag("child: %s, said: %s", st, out);
	}
	status = run_child(act_limits_sets_refused, F_NOENTER, out,
	    sizeof(out));
	if (!ok(outcome_ok(EXITS_0, status), "limits that may be read but "
	    "not set stop the worker too")) {
		status_str(status, st, sizeof(st));
		diag("child: %s, said: %s", st, out);
	}
	status = run_child(act_prctl_apply, F_NOENTER, out, sizeof(out));
	if (!ok(outcome_ok(EXITS_0, status), "sandbox_prctl_apply: not "
	    "dumpable, no-new-privs")) {
		status_str(status, st, sizeof(st));
		diag("child: %s, said: %s", st, out);
	}
}

/*
 * The system calls sandbox_worker_enter() makes, a worker being set up
 * for every message: a child stops, is traced through the call, and
 * counts each system call it enters.  One prlimit64 a limit (it was three:
 * a read, the set, a read back), prctl for not dumpable, no-new-privs and
 * the filter, and nothing else but personality and Landlock's three.
 */
struct enter_calls {
	int	prlimit;
	int	prctl;
	int	total;
};

static void __attribute__((noreturn))
traced_enter(void)
{
	struct sandbox_limits	lim;
	char			err[256];

	child_limits(0, &lim);
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) == -1)
		t_exit(EXIT_SETUP);
	(void)raise(SIGSTOP);
	if (sandbox_worker_enter(t_filter, &lim, err, sizeof(err)) == -1)
		t_exit(EXIT_ENTER);
	t_exit(0);
}

/* Counts the calls of the traced child pid up to its exit_group. */
static int
trace_count(pid_t pid, struct enter_calls *c)
{
	struct __ptrace_syscall_info	si;
	int				status, sig = 0;

	memset(c, 0, sizeof(*c));
	if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status) ||
	    ptrace(PTRACE_SETOPTIONS, pid, NULL,
	    (void *)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL)) == -1)
		return -1;
	for (;;) {
		if (ptrace(PTRACE_SYSCALL, pid, NULL, (void *)(long)sig) == -1 ||
		    waitpid(pid, &status, 0) != pid)
			return -1;
		if (WIFEXITED(status) || WIFSIGNALED(status))
			return status;
		sig = 0;
		if (WSTOPSIG(status) != (SIGTRAP | 0x80)) {
			sig = WSTOPSIG(status);
			continue;
		}
		if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof(si),
		    &si) == -1)
			return -1;
		if (si.op != PTRACE_SYSCALL_INFO_ENTRY ||
		    si.entry.nr == SYS_exit_group)
			continue;
		c->total++;
		c->prlimit += si.entry.nr == SYS_prlimit64;
		c->prctl += si.entry.nr == SYS_prctl;
	}
}

#define ENTER_CALLS_TESTS	2

static void
test_enter_calls(void)
{
	struct enter_calls	c;
	pid_t			pid;
	int			status, nlimits = 6;

#ifdef T_SANITIZERS
	nlimits = 5;	/* no RLIMIT_AS */
#endif
	fflush(NULL);
	if ((pid = fork()) == -1)
		bail("fork: %s", strerror(errno));
	if (pid == 0)
		traced_enter();
	status = trace_count(pid, &c);
	if (status == -1) {
		(void)kill(pid, SIGKILL);
		(void)waitpid(pid, NULL, 0);
		skip(ENTER_CALLS_TESTS, "cannot trace a child here");
		return;
	}
	if (!outcome_ok(EXITS_0, status)) {
		diag("traced child: status %#x", status);
		skip(ENTER_CALLS_TESTS, "sandbox_worker_enter failed");
		return;
	}
	diag("sandbox_worker_enter: %d system calls", c.total);
	is_int(c.prlimit, nlimits, "one prlimit64 for each of the %d limits",
	    nlimits);
	is_int(c.prctl, 3, "one prctl each for not dumpable, no-new-privs "
	    "and the filter");
}

#define FILTER_TESTS	7

static void
test_filter_dump(void)
{
	char	out[16384];
	ssize_t	n;
	int	fd;

	if ((fd = memfd_create("pfc", MFD_CLOEXEC)) == -1)
		bail("memfd_create: %s", strerror(errno));
	ok(sandbox_filter_dump(t_filter, fd) == 0, "sandbox_filter_dump");
	n = pread(fd, out, sizeof(out) - 1, 0);
	(void)close(fd);
	out[n > 0 ? n : 0] = '\0';
	ok(strstr(out, "filter for arch x86_64") != NULL &&
	    strstr(out, "filter for arch x86 ") == NULL &&
	    strstr(out, "x32") == NULL, "dump: x86_64 only");
	ok(strstr(out, "# default action\n  action KILL_PROCESS;") != NULL,
	    "dump: default action KILL_PROCESS");
	ok(strstr(out, "# invalid architecture action\naction KILL_PROCESS;")
	    != NULL, "dump: bad architecture action KILL_PROCESS");
	ok(strstr(out, "\"newfstatat\"") != NULL && strstr(out, "ERRNO(13)"),
	    "dump: probes are EACCES");
	ok(strstr(out, "\"openat\"") == NULL,
	    "dump: openat not mentioned (it kills)");
	ok(strstr(out, "\"execve\"") == NULL && strstr(out, "\"tgkill\"") ==
	    NULL && strstr(out, "\"socket\"") == NULL,
	    "dump: execve, tgkill, socket not mentioned");
}

/* Drops capabilities, then sends /proc/self/status to the parent. */
static int
act_drop_caps(void)
{
	char	err[256];
	int	fd;

	if (sandbox_drop_caps(err, sizeof(err)) == -1)
		child_fail(EXIT_ENTER, err);
	if ((fd = open("/proc/self/status", O_RDONLY)) == -1 ||
	    dup2(fd, SANDBOX_FD_JOB) == -1)
		return 2;
	return act_relay_proc();
}

#define CAPS_TESTS	6
#define NO_CAPS		"0000000000000000"

static void
test_drop_caps(void)
{
	char	out[8192], v[64];
	int	status;

	status = run_child(act_drop_caps, F_NOENTER, out, sizeof(out));
	if (!ok(outcome_ok(EXITS_0, status), "sandbox_drop_caps"))
		diag("child said: %.200s", out);
	is_str(status_field(out, "CapEff", v, sizeof(v)), NO_CAPS, "CapEff");
	is_str(status_field(out, "CapPrm", v, sizeof(v)), NO_CAPS, "CapPrm");
	is_str(status_field(out, "CapInh", v, sizeof(v)), NO_CAPS, "CapInh");
	is_str(status_field(out, "CapAmb", v, sizeof(v)), NO_CAPS, "CapAmb");
	if (geteuid() != 0)
		skip(1, "not root: without CAP_SETPCAP the bounding set "
		    "cannot shrink, and holds nothing to bound");
	else
		is_str(status_field(out, "CapBnd", v, sizeof(v)), NO_CAPS,
		    "CapBnd");
}

static char	t_root[64];
static uid_t	t_uid;
static gid_t	t_gid;
static const char *t_wuser;	/* the workers' user */
static uid_t	t_wuid;
static gid_t	t_wgid;

/* Writes "TAG uid R E S gid R E S groups N" to the channel. */
static int
report_ids(const char *tag)
{
	char	line[128];
	uid_t	r, e, s;
	gid_t	rg, eg, sg;
	int	n;

	if (getresuid(&r, &e, &s) == -1 || getresgid(&rg, &eg, &sg) == -1)
		return -1;
	n = snprintf(line, sizeof(line), "%s uid %d %d %d gid %d %d %d "
	    "groups %d\n", tag, (int)r, (int)e, (int)s, (int)rg, (int)eg,
	    (int)sg, getgroups(0, NULL));
	if (n < 0 || (size_t)n >= sizeof(line))
		return -1;
	return chan_put(line, (size_t)n);
}

/*
 * As root: privdrop to nobody, workers to t_wuser, in an empty
 * root-owned directory, then drop capabilities, then report who and
 * where the child is; then become a worker as a spawner's child does,
 * and report again.  Neither may become root, nor the worker nobody.
 */
static int
act_privdrop(void)
{
	char	err[256], line[64];
	int	n;

	if (sandbox_privdrop("nobody", t_wuser, t_root, err,
	    sizeof(err)) == -1 || sandbox_drop_caps(err, sizeof(err)) == -1)
		child_fail(EXIT_ENTER, err);
	if (report_ids("spawner") == -1)
		return 2;
	n = snprintf(line, sizeof(line), "passwd %d dumpable %d\n",
	    access("/etc/passwd", F_OK) == -1 ? errno : 0,
	    prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
	if (n < 0 || (size_t)n >= sizeof(line) ||
	    chan_put(line, (size_t)n) == -1)
		return 3;
	if (setuid(0) != -1)
		return 4;
	if (sandbox_worker_user(err, sizeof(err)) == -1)
		child_fail(EXIT_ENTER, err);
	if (report_ids("worker") == -1)
		return 5;
	if (setresuid((uid_t)-1, t_uid, (uid_t)-1) != -1 ||
	    setresgid((gid_t)-1, t_gid, (gid_t)-1) != -1 || setuid(0) != -1)
		return 6;
	return 0;
}

static int
act_privdrop_fails(const char *user, const char *wuser, const char *dir)
{
	char	err[256];

	err[0] = '\0';
	if (sandbox_privdrop(user, wuser, dir, err, sizeof(err)) != -1)
		return 2;
	(void)chan_put(err, strlen(err));
	return err[0] != '\0' ? 0 : 3;
}

static int
act_privdrop_unknown(void)
{
	return act_privdrop_fails("no-such-user-filterd", t_wuser, NULL);
}

static int
act_privdrop_root(void)
{
	return act_privdrop_fails("root", t_wuser, NULL);
}

static int
act_privdrop_worker_root(void)
{
	return act_privdrop_fails("nobody", "root", NULL);
}

static int
act_privdrop_worker_same(void)
{
	return act_privdrop_fails("nobody", "nobody", NULL);
}

static int
act_privdrop_badroot(void)
{
	return act_privdrop_fails("nobody", t_wuser, t_root);
}

#define PRIVDROP_TESTS	8

static void
test_privdrop_root(void)
{
	char	out[512], want[256];
	int	status;

	status = run_child(act_privdrop, F_NOENTER, out, sizeof(out));
	if (!ok(outcome_ok(EXITS_0, status), "sandbox_privdrop to nobody, "
	    "workers to %s", t_wuser))
		diag("child said: %s", out);
	(void)snprintf(want, sizeof(want), "spawner uid %d %d %d gid %d %d %d "
	    "groups 0\npasswd %d dumpable 0\nworker uid %d %d %d gid %d %d %d "
	    "groups 0\n", (int)t_uid, (int)t_wuid, (int)t_uid, (int)t_gid,
	    (int)t_wgid, (int)t_gid, ENOENT, (int)t_wuid, (int)t_wuid,
	    (int)t_wuid, (int)t_wgid, (int)t_wgid, (int)t_wgid);
	is_str(out, want, "privdrop: real and saved ids nobody's, effective "
	    "ids the worker user's, chrooted, not dumpable; the worker all its "
	    "own");
	status = run_child(act_privdrop_unknown, F_NOENTER, out, sizeof(out));
	ok(outcome_ok(EXITS_0, status), "privdrop to an unknown user fails");
	status = run_child(act_privdrop_root, F_NOENTER, out, sizeof(out));
	ok(outcome_ok(EXITS_0, status), "privdrop to uid 0 fails");
	status = run_child(act_privdrop_worker_root, F_NOENTER, out,
	    sizeof(out));
	ok(outcome_ok(EXITS_0, status), "workers as uid 0 are refused");
	status = run_child(act_privdrop_worker_same, F_NOENTER, out,
	    sizeof(out));
	ok(outcome_ok(EXITS_0, status) &&
	    strstr(out, "has the uid of user") != NULL,
	    "workers as the same user are refused (%s)", out);
	if (chmod(t_root, 0777) == -1)
		bail("chmod %s: %s", t_root, strerror(errno));
	status = run_child(act_privdrop_badroot, F_NOENTER, out, sizeof(out));
	ok(outcome_ok(EXITS_0, status),
	    "privdrop into a world-writable directory fails");
	if (chmod(t_root, 0755) == -1)
		bail("chmod %s: %s", t_root, strerror(errno));
	status = run_child(act_privdrop_unknown, 0, out, sizeof(out));
	ok(outcome_ok(SIGSYS_KILL, status),
	    "privdrop in a sandboxed worker is killed");
}

/*
 * The new root's check, at its edges: group-writable is as bad as
 * world-writable, and a directory owned by the unprivileged user (mode
 * 0755) is refused too, or that user could plant files in it.
 */
#define PRIVDROP_BOUND_TESTS	3

static void
test_privdrop_bounds(void)
{
	const char	*why = "not owned by root, or writable";
	char		 out[256];
	int		 status;

	if (chmod(t_root, 0775) == -1)
		bail("chmod %s: %s", t_root, strerror(errno));
	status = run_child(act_privdrop_badroot, F_NOENTER, out, sizeof(out));
	ok(outcome_ok(EXITS_0, status) && strstr(out, why) != NULL,
	    "privdrop into a group-writable directory fails");
	if (chmod(t_root, 0755) == -1 || chown(t_root, t_uid, t_gid) == -1)
		bail("chmod or chown %s: %s", t_root, strerror(errno));
	status = run_child(act_privdrop_badroot, F_NOENTER, out, sizeof(out));
	ok(outcome_ok(EXITS_0, status) && strstr(out, why) != NULL,
	    "privdrop into a directory owned by the user fails");
	if (chown(t_root, 0, 0) == -1)
		bail("chown %s: %s", t_root, strerror(errno));
	status = run_child(act_privdrop, F_NOENTER, out, sizeof(out));
	ok(outcome_ok(EXITS_0, status),
	    "and into the same directory, root's and 0755 again, works");
}

static int
act_privdrop_notroot(void)
{
	return act_privdrop_fails("nobody", "daemon", NULL);
}

static void
test_privdrop(void)
{
	struct passwd	*pw;
	char		 out[256];
	int		 status;

	if (geteuid() != 0) {
		status = run_child(act_privdrop_notroot, F_NOENTER, out,
		    sizeof(out));
		ok(outcome_ok(EXITS_0, status) &&
		    strstr(out, "not running as root") != NULL,
		    "privdrop when not root fails");
		skip(PRIVDROP_TESTS - 1, "not root: privdrop needs root");
		skip(PRIVDROP_BOUND_TESTS, "not root: privdrop needs root");
		return;
	}
	if ((pw = getpwnam("nobody")) == NULL) {
		skip(PRIVDROP_TESTS, "no user nobody");
		skip(PRIVDROP_BOUND_TESTS, "no user nobody");
		return;
	}
	t_uid = pw->pw_uid;
	t_gid = pw->pw_gid;
	if ((pw = getpwnam(t_wuser)) == NULL) {
		skip(PRIVDROP_TESTS, "no worker user (./autogen.sh --deps "
		    "creates filterd-worker; or set FILTERD_TEST_WORKER_USER)");
		return;
	}
	t_wuid = pw->pw_uid;
	t_wgid = pw->pw_gid;
	(void)snprintf(t_root, sizeof(t_root), "/tmp/filterd-t10.XXXXXX");
	if (mkdtemp(t_root) == NULL || chmod(t_root, 0755) == -1)
		bail("mkdtemp %s: %s", t_root, strerror(errno));
	test_privdrop_root();
	test_privdrop_bounds();
	(void)rmdir(t_root);
}

/*
 * Landlock by itself: a child outside the sandbox takes only the Landlock
 * step (after no-new-privs, which it needs), so that what it refuses is
 * Landlock's doing, not seccomp's.
 */
static int	t_ll_abi;

static int
landlock_only(void)
{
	char	err[256];
	int	fd;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    sandbox_landlock_prepare(t_ll_abi, &fd, err, sizeof(err)) == -1 ||
	    sandbox_landlock_restrict(fd, err, sizeof(err)) == -1)
		child_fail(EXIT_ENTER, err);
	return 0;
}

static int
act_landlock_files(void)
{
	char	b[JOB_LEN];
	int	fd;

	(void)landlock_only();
	if ((fd = open("/etc/passwd", O_RDONLY)) != -1 || errno != EACCES)
		return 2;
	if ((fd = open("/", O_RDONLY | O_DIRECTORY)) != -1 ||
	    errno != EACCES)
		return 3;
	if (mkdir("/tmp/filterd-landlock-t10", 0700) != -1 || errno != EACCES)
		return 4;
	if ((fd = open("/dev/null", O_WRONLY)) != -1 || errno != EACCES)
		return 5;
	/* What was open before is not Landlock's business. */
	return pread(SANDBOX_FD_JOB, b, sizeof(b), 0) == (ssize_t)JOB_LEN ?
	    0 : 6;
}

/* ABI 4: no TCP connect, wherever to. */
static int
act_landlock_tcp(void)
{
	struct sockaddr_in	sin = { .sin_family = AF_INET,
				    .sin_port = htons(9) };
	int			s;

	(void)landlock_only();
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return 2;
	if (connect(s, (struct sockaddr *)&sin, sizeof(sin)) != -1 ||
	    errno != EACCES)
		return 3;
	return 0;
}

/* ABI 6: no signal to a process outside the domain. */
static int
act_landlock_signal(void)
{
	(void)landlock_only();
	return kill(t_parent, 0) == -1 && errno == EPERM ? 0 : 2;
}

/*
 * sandbox_worker_enter() takes the Landlock step, and a worker whose step
 * fails does not run: with every descriptor in use the ruleset cannot be
 * made (EMFILE), and on top of Landlock's 16 layers it cannot be stacked
 * (E2BIG).  What a worker's Landlock refuses cannot be seen once seccomp
 * is on: every call that would reach it kills or fails first.
 */
static int
enter_fails_with(const char *want)
{
	struct sandbox_limits	lim;
	char			err[256] = "";

	child_limits(0, &lim);
	if (sandbox_worker_enter(t_filter, &lim, err, sizeof(err)) != -1)
		return 2;
	(void)chan_put(err, strlen(err));
	return strstr(err, want) != NULL ? 0 : 3;
}

static int
act_landlock_emfile(void)
{
	struct rlimit	rl = { NOFILE, NOFILE };

	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		return 4;
	return enter_fails_with("landlock_create_ruleset");
}

static int
act_landlock_layers(void)
{
	int	i;

	for (i = 0; i < 16; i++)
		(void)landlock_only();
	return enter_fails_with("landlock_restrict_self");
}

#define LANDLOCK_TESTS	5

static void
test_landlock_case(int abi, const char *what, int (*act)(void))
{
	char	out[256], why[64];
	int	status;

	if (t_ll_abi < abi) {
		(void)snprintf(why, sizeof(why), "Landlock ABI %d here, "
		    "this needs %d", t_ll_abi, abi);
		skip(1, why);
		return;
	}
	status = run_child(act, F_NOENTER, out, sizeof(out));
	if (!ok(outcome_ok(EXITS_0, status), "%s", what)) {
		status_str(status, why, sizeof(why));
		diag("child: %s %s", why, out);
	}
}

static void
test_landlock(void)
{
	char		 err[256];
	const char	*why;

	if ((t_ll_abi = sandbox_landlock_abi(&why, err, sizeof(err))) == -1)
		bail("sandbox_landlock_abi: %s", err);
	if (t_ll_abi == 0) {
		(void)snprintf(err, sizeof(err), "no Landlock: %s", why);
		skip(LANDLOCK_TESTS, err);
		return;
	}
	diag("Landlock ABI %d", t_ll_abi);
	test_landlock_case(1, "landlock only: open, mkdir refused with "
	    "EACCES, open fds work", act_landlock_files);
	test_landlock_case(4, "landlock only: TCP connect refused with EACCES",
	    act_landlock_tcp);
	test_landlock_case(6, "landlock only: kill outside the domain "
	    "refused with EPERM", act_landlock_signal);
	test_landlock_case(1, "worker: no descriptor left for the ruleset: "
	    "enter fails", act_landlock_emfile);
	test_landlock_case(1, "worker: 16 Landlock layers already: enter fails",
	    act_landlock_layers);
}

/* The namespaces of this process, "net:[...] ipc:[...] user:[...]". */
static void
ns_ids(char *buf, size_t len)
{
	const char	*ns[] = { "net", "ipc", "user" };
	char		 path[64], id[64];
	size_t		 i, off = 0;
	ssize_t		 n;

	buf[0] = '\0';
	for (i = 0; i < NITEMS(ns); i++) {
		(void)snprintf(path, sizeof(path), "/proc/self/ns/%s", ns[i]);
		if ((n = readlink(path, id, sizeof(id) - 1)) == -1)
			n = 0;
		id[n] = '\0';
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    i ? " " : "", id);
		if (off >= len)
			return;
	}
}

/* errno of a UDP connect to TEST-NET-1: ENETUNREACH with no route. */
static int
udp_connect_errno(void)
{
	struct sockaddr_in	sin = { .sin_family = AF_INET,
				    .sin_port = htons(9) };
	int			s, e;

	sin.sin_addr.s_addr = htonl(0xc0000201);	/* 192.0.2.1 */
	if ((s = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		return -1;
	e = connect(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ? errno : 0;
	(void)close(s);
	return e;
}

/*
 * As a spawner: sandbox_spawner_enter(), then report the result, the
 * namespaces and whether the network can route anything.
 */
static int
act_spawner_enter(void)
{
	struct sandbox_report	rep;
	char			err[256], ids[512], line[1024], str[512];
	int			n;

	if (sandbox_spawner_enter(t_filter, &rep, err, sizeof(err)) == -1)
		child_fail(EXIT_ENTER, err);
	ns_ids(ids, sizeof(ids));
	sandbox_report_str(&rep, str, sizeof(str));
	n = snprintf(line, sizeof(line), "%d %d %d %d\n%s\n%s\n",
	    rep.namespaces, rep.userns, rep.ns_errno, udp_connect_errno(),
	    ids, str);
	if (n < 0 || (size_t)n >= sizeof(line) ||
	    chan_put(line, (size_t)n) == -1)
		return 2;
	return 0;
}

#define NS_TESTS	5

static void
test_namespaces(void)
{
	char	out[2048], mine[512], ids[512], str[512], want[64];
	char	b[3][64], a[3][64];
	int	status, ns, userns, nserr, udp, root = geteuid() == 0;

	ns_ids(mine, sizeof(mine));
	status = run_child(act_spawner_enter, F_NOENTER, out, sizeof(out));
	if (!ok(outcome_ok(EXITS_0, status) &&
	    sscanf(out, "%d %d %d %d\n%511[^\n]\n%511[^\n]", &ns, &userns,
	    &nserr, &udp, ids, str) == 6, "sandbox_spawner_enter")) {
		diag("child said: %s", out);
		skip(NS_TESTS - 1, "sandbox_spawner_enter failed");
		return;
	}
	diag("%s: %s", root ? "root" : "not root", str);
	diag("namespaces before: %s", mine);
	diag("namespaces after:  %s", ids);
	if (!ns) {
		ok(nserr == EPERM || nserr == EINVAL || nserr == ENOSPC ||
		    nserr == EUSERS, "namespaces refused: %s", strerror(nserr));
		ok(strcmp(mine, ids) == 0, "and nothing changed");
		ok(strstr(str, "namespaces unavailable") != NULL,
		    "and the report says so");
		skip(1, "no network namespace to test");
		return;
	}
	if (sscanf(mine, "%63s %63s %63s", b[0], b[1], b[2]) != 3 ||
	    sscanf(ids, "%63s %63s %63s", a[0], a[1], a[2]) != 3)
		bail("cannot read /proc/self/ns: %s / %s", mine, ids);
	ok(userns == !root && (strcmp(b[2], a[2]) != 0) == userns, "%s",
	    root ? "root: no user namespace" :
	    "not root: through a new user namespace");
	ok(strcmp(b[0], a[0]) != 0 && strcmp(b[1], a[1]) != 0,
	    "network and IPC namespaces are new");
	(void)snprintf(want, sizeof(want), "landlock ABI %d", t_ll_abi);
	ok(strstr(str, "seccomp, rlimits, no-new-privs, ") == str &&
	    strstr(str, t_ll_abi ? want : "landlock unavailable") != NULL &&
	    strstr(str, "network+IPC namespaces") != NULL &&
	    strstr(str, "namespaces unavailable") == NULL,
	    "the report names every layer");
	is_int(udp, ENETUNREACH, "the new network routes nowhere");
}

/*
 * The spawner's order, then a worker: sandbox_spawner_enter(), as root
 * sandbox_privdrop() into an empty directory, sandbox_drop_caps(), and
 * sandbox_worker_enter() (Landlock, seccomp) in the same process.
 */
static char	t_sroot[64];

static void
spawner_sequence(void)
{
	struct sandbox_report	rep;
	struct sandbox_limits	lim;
	char			err[256];

	if (sandbox_spawner_enter(t_filter, &rep, err, sizeof(err)) == -1 ||
	    (geteuid() == 0 && sandbox_privdrop("nobody", t_wuser, t_sroot,
	    err, sizeof(err)) == -1) ||
	    sandbox_drop_caps(err, sizeof(err)) == -1)
		child_fail(EXIT_ENTER, err);
	child_limits(0, &lim);
	if ((getuid() != geteuid() &&
	    sandbox_worker_user(err, sizeof(err)) == -1) ||
	    sandbox_worker_enter(t_filter, &lim, err, sizeof(err)) == -1)
		child_fail(EXIT_ENTER, err);
}

static int
act_sequence_write(void)
{
	spawner_sequence();
	return act_write_chan();
}

static int
act_sequence_open(void)
{
	spawner_sequence();
	return act_open_raw();
}

/*
 * The wrong order, as root: after privdrop into a chroot, with no
 * capability left, the namespaces are refused (EPERM: no CAP_SYS_ADMIN,
 * and a chrooted process may not create a user namespace).
 */
static int
act_privdrop_then_unshare(void)
{
	struct sandbox_report	rep;
	char			err[256];

	if (sandbox_privdrop("nobody", t_wuser, t_sroot, err,
	    sizeof(err)) == -1 || sandbox_drop_caps(err, sizeof(err)) == -1 ||
	    sandbox_spawner_enter(t_filter, &rep, err, sizeof(err)) == -1)
		child_fail(EXIT_ENTER, err);
	return rep.namespaces == 0 && rep.ns_errno == EPERM ? 0 : 2;
}

#define SEQUENCE_TESTS	3

static void
test_sequence(void)
{
	char	out[256], st[128];
	int	status, root = geteuid() == 0;

	if (root && getpwnam(t_wuser) == NULL) {
		skip(SEQUENCE_TESTS, "no worker user (./autogen.sh --deps "
		    "creates filterd-worker; or set FILTERD_TEST_WORKER_USER)");
		return;
	}
	if (root) {
		(void)snprintf(t_sroot, sizeof(t_sroot),
		    "/tmp/filterd-t10s.XXXXXX");
		if (mkdtemp(t_sroot) == NULL || chmod(t_sroot, 0755) == -1)
			bail("mkdtemp %s: %s", t_sroot, strerror(errno));
	}
	status = run_child(act_sequence_write, F_NOENTER, out, sizeof(out));
	if (!ok(outcome_ok(EXITS_0, status) && strcmp(out, "ok") == 0,
	    "spawner order%s, then a worker writes its verdict",
	    root ? " (root: privdrop to nobody, the worker to its user)" :
	    "")) {
		status_str(status, st, sizeof(st));
		diag("child: %s, said: %s", st, out);
	}
	status = run_child(act_sequence_open, F_NOENTER, out, sizeof(out));
	if (!ok(outcome_ok(SIGSYS_KILL, status),
	    "spawner order, then a worker's open(2) kills")) {
		status_str(status, st, sizeof(st));
		diag("child: %s, said: %s", st, out);
	}
	if (!root) {
		skip(1, "not root: privdrop needs root");
		return;
	}
	status = run_child(act_privdrop_then_unshare, F_NOENTER, out,
	    sizeof(out));
	if (!ok(outcome_ok(EXITS_0, status),
	    "root: after privdrop, namespaces are refused (EPERM)")) {
		status_str(status, st, sizeof(st));
		diag("child: %s, said: %s", st, out);
	}
	(void)rmdir(t_sroot);
}

int
main(void)
{
	char	err[256];
	size_t	i;

	alarm(TEST_ALARM);
	t_parent = getpid();
	if ((t_wuser = getenv("FILTERD_TEST_WORKER_USER")) == NULL)
		t_wuser = "filterd-worker";
	plan(FILTER_TESTS + 2 * (int)NITEMS(cases) + STATUS_TESTS +
	    LIMITS_TESTS + ENTER_TESTS + CAPS_TESTS + PRIVDROP_TESTS +
	    PRIVDROP_BOUND_TESTS + LIMITS_BOUND_TESTS + LIMITS_SET_TESTS +
	    ENTER_CALLS_TESTS +
	    LANDLOCK_TESTS + NS_TESTS + SEQUENCE_TESTS);
	if ((t_filter = sandbox_filter_new(err, sizeof(err))) == NULL)
		bail("sandbox_filter_new: %s", err);
	t_ia32 = probe_ia32();
	test_filter_dump();
	for (i = 0; i < NITEMS(cases); i++)
		test_case(&cases[i]);
	t_stacked = 1;
	for (i = 0; i < NITEMS(cases); i++)
		test_case(&cases[i]);
	t_stacked = 0;
	test_status();
	test_limits();
	test_enter_errors();
	test_limits_bounds();
	test_limits_set();
	test_enter_calls();
	test_drop_caps();
	test_privdrop();
	test_landlock();
	test_namespaces();
	test_sequence();
	sandbox_filter_free(&t_filter);
	return done_testing();
}
