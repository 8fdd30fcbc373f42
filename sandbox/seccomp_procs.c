/*
 * sandbox/seccomp_procs.c: the seccomp policies of filterd's processes
 * other than the worker (Linux, x86_64): the supervisor, the spawner and
 * the configuration checker.  Each process builds its own policy with
 * sandbox_proc_enter() and loads it on itself, once its set-up is done and
 * before it reads any input; it trusts these tables and nothing else.
 * From then on the process is assumed to be under an attacker's control:
 * the supervisor under the MTA's client, the spawner under a worker that
 * got out, the checker under a module.
 *
 * Each policy kills the process on any call it does not list, like the
 * worker's (seccomp_rules.h).  Every process is also given no-new-privs
 * and a check that READ_IMPLIES_EXEC is off, without which the PROT_EXEC
 * checks below would mean nothing.
 *
 * The lists were taken from strace -f of every end-to-end test (milter on
 * unix and inet sockets, Postfix, OpenSMTPD 6.8 and 7.6, reload, stalls,
 * hostile workers, shutdown), then checked by running the whole suite,
 * and the sanitizer build's, with each policy's default action set to
 * log (README: "Finding what a process calls").
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <linux/futex.h>
#include <linux/seccomp.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sandbox/sandbox.h"
#include "sandbox/seccomp_rules.h"
#include "sandbox/seterr.h"

/*
 * clone(2) flags.  A thread shares everything that makes it a thread; no
 * clone may make a namespace, trace or escape tracing, take another
 * parent, or share the caller's memory without being a thread of it.
 * Only the low 32 bits are flags for clone(2) (clone3 has the others).
 */
#define CLONE_THREADLIKE	(CLONE_THREAD | CLONE_SIGHAND | CLONE_VM | \
				 CLONE_FS | CLONE_FILES)
#define CLONE_NEVER		(CLONE_VFORK | CLONE_PARENT | CLONE_PTRACE | \
				 CLONE_UNTRACED | CLONE_NEWNS | \
				 CLONE_NEWCGROUP | CLONE_NEWUTS | \
				 CLONE_NEWIPC | CLONE_NEWUSER | \
				 CLONE_NEWPID | CLONE_NEWNET | CLONE_IO)
#define IS_THREAD(a)	BITS_ARE(a, CLONE_THREADLIKE | CLONE_NEVER, \
			    CLONE_THREADLIKE)
#define IS_FORK(a)	BITS_ARE(a, CLONE_THREADLIKE | CLONE_NEVER | \
			    CLONE_SETTLS | CLONE_SYSVSEM, 0)

/* futex(2) operations, whatever their private and clock flags. */
#define FUTEX_OP_MASK	(0xffffffffULL & \
			    ~(unsigned long long)(FUTEX_PRIVATE_FLAG | \
			    FUTEX_CLOCK_REALTIME))
#define FUTEX_OP_IS(op)	BITS_ARE(1, FUTEX_OP_MASK, (op))

/* The open(2) flags that could create, empty or write a file. */
#define OPEN_WRITES	(O_ACCMODE | O_CREAT | O_TRUNC)

/*
 * Thread synchronisation as glibc does it (mutexes, condition variables
 * with their bitsets, pthread_join on the thread id): wait and wake only.
 * Requeue and the priority-inheritance operations (the CVE-2014-3153
 * code) kill.
 */
#define FUTEX_RULES \
	RULE(futex, 1, FUTEX_OP_IS(FUTEX_WAIT)), \
	RULE(futex, 1, FUTEX_OP_IS(FUTEX_WAKE)), \
	RULE(futex, 1, FUTEX_OP_IS(FUTEX_WAIT_BITSET)), \
	RULE(futex, 1, FUTEX_OP_IS(FUTEX_WAKE_BITSET))

/* Memory that is never executable. */
#define MEMORY_RULES \
	RULE(mprotect, 1, NO_EXEC(2)), \
	RULE(munmap, 0), \
	RULE(mremap, 0), \
	RULE(brk, 0), \
	RULE(madvise, 0)

/*
 * Signals as glibc, libmilter and ASan handle them (masks, handlers,
 * sigwait in libmilter's signal thread, an alternate stack for ASan),
 * the time, and facts about the process itself (ASan counts the CPUs it
 * may run on when a thread starts).  No way to send a
 * signal: abort() and a failed assertion end in SIGSYS, not SIGABRT.
 */
#define PROCESS_RULES \
	RULE(rt_sigprocmask, 0), \
	RULE(rt_sigaction, 0), \
	RULE(rt_sigreturn, 0), \
	RULE(rt_sigtimedwait, 0), \
	RULE(sigaltstack, 0), \
	RULE(restart_syscall, 0), \
	RULE(clock_gettime, 0), \
	RULE(gettimeofday, 0), \
	RULE(clock_nanosleep, 0), \
	RULE(nanosleep, 0), \
	RULE(sched_yield, 0), \
	RULE(sched_getaffinity, 0), \
	RULE(getpid, 0), \
	RULE(gettid, 0), \
	RULE(getppid, 0), \
	RULE(getuid, 0), \
	RULE(geteuid, 0), \
	RULE(getgid, 0), \
	RULE(getegid, 0), \
	RULE(getrandom, 0), \
	RULE(exit, 0), \
	RULE(exit_group, 0)

/*
 * syslog(3): glibc sends each line on a datagram socket to /dev/log
 * (send() is sendto() without an address), and makes a new socket when
 * syslogd went away (a stream one when /dev/log is one).  The socket is
 * opened before the filter (log_init: openlog with LOG_NDELAY); these
 * are for the reconnection, and for libmilter's own lines, which go to
 * syslog even in the foreground.  A unix socket reaches only what the
 * process's user may write to.
 */
#define SYSLOG_RULES \
	RULE(socket, 2, INT_IS(0, AF_UNIX), BITS_ARE(1, 0xf, SOCK_DGRAM)), \
	RULE(socket, 2, INT_IS(0, AF_UNIX), BITS_ARE(1, 0xf, SOCK_STREAM)), \
	RULE(connect, 0), \
	RULE(sendto, 1, IS_NULL(4))

/*
 * The supervisor: libmilter's threads (its listener accepting the MTA's
 * connections, a thread per connection, a signal thread), or OpenSMTPD's
 * event loop on stdin and stdout and its dispatch threads; in both modes
 * the dispatcher thread talking to the parent, the spawner and the
 * workers.  It opens no file, makes no network socket (the listening one
 * is open before the filter), and never makes a process: threads only.
 */
static const struct policy_rule super_allow[] = {
	/* The MTA: accepting, reading, writing; smtpd's stream. */
	RULE(accept, 0),
	RULE(accept4, 0),
	RULE(poll, 0),
	RULE(ppoll, 0),
	RULE(read, 0),
	RULE(readv, 0),
	RULE(write, 0),
	RULE(writev, 0),
	RULE(close, 0),
	RULE(setsockopt, 1, INT_IS(1, SOL_SOCKET)),
	RULE(getsockopt, 1, INT_IS(1, SOL_SOCKET)),
	RULE(fcntl, 1, INT_IS(1, F_GETFD)),
	RULE(fcntl, 1, INT_IS(1, F_SETFD)),
	RULE(fcntl, 1, INT_IS(1, F_GETFL)),
	RULE(fcntl, 1, INT_IS(1, F_SETFL)),
	/*
	 * Workers and spawners, their descriptors passed with the frames;
	 * the job in a sealed memfd; a new generation's snapshot, read
	 * with fstat and pread; the wake-up pipes and the signalfd that
	 * frontends and the dispatcher make once they run.
	 */
	RULE(recvmsg, 0),
	RULE(sendmsg, 0),
	RULE(memfd_create, 0),
	RULE(fcntl, 1, INT_IS(1, F_ADD_SEALS)),
	RULE(fcntl, 1, INT_IS(1, F_GET_SEALS)),
	RULE(fstat, 0),
	RULE(newfstatat, 0),
	RULE(pread64, 0),
	RULE(lseek, 0),
	RULE(pipe2, 0),
	RULE(signalfd4, 0),
	/* A worker that must go is killed through its pidfd, and only so. */
	RULE(pidfd_send_signal, 1, INT_IS(1, SIGKILL)),
	/* Threads, and nothing but threads. */
	RULE(clone, 1, IS_THREAD(0)),
	RULE(set_robust_list, 0),
	RULE(rseq, 0),
	FUTEX_RULES,
	/* Anonymous memory only: there is no file to map. */
	RULE(mmap, 2, NO_EXEC(2), BITS_ARE(3, MAP_ANONYMOUS, MAP_ANONYMOUS)),
	MEMORY_RULES,
	SYSLOG_RULES,
	PROCESS_RULES,
};

/*
 * glibc's pthread_create tries clone3 first, whose flags are in memory,
 * out of the filter's reach; told it does not exist, glibc falls back to
 * clone(2), whose flags IS_THREAD checks.
 */
static const struct policy_rule clone3_rules[] = {
	RULE(clone3, 0),
};

/*
 * Harmless probes fail rather than kill: glibc's malloc reads
 * /proc/sys/vm/overcommit_memory when a thread's arena shrinks (and does
 * without), and libmilter removes its unix socket at exit (it stays, and
 * the next start replaces it).  No path is reached.
 */
static const struct policy_rule super_eacces[] = {
	RULE(open, 0),
	RULE(openat, 0),
	RULE(unlink, 0),
	RULE(unlinkat, 0),
	RULE(stat, 0),
	RULE(lstat, 0),
	RULE(access, 0),
	RULE(faccessat, 0),
	RULE(faccessat2, 0),
	RULE(readlink, 0),
	RULE(readlinkat, 0),
};

static const struct policy_part super_policy[] = {
	{ SCMP_ACT_ALLOW, super_allow, NITEMS(super_allow) },
	{ SCMP_ACT_ERRNO(ENOSYS), clone3_rules, NITEMS(clone3_rules) },
	{ SCMP_ACT_ERRNO(EACCES), super_eacces, NITEMS(super_eacces) },
};

/*
 * The spawner: single-threaded, it serves the supervisor's requests on
 * its control socket, forks workers (a socketpair, a plain fork, a pidfd
 * for the supervisor), reaps them through its signalfd and kills those
 * past their deadline.  It also runs what its forked child does before
 * the worker's own filter is loaded (sandbox_worker_enter, and the switch
 * to the worker's user), and, filters being stacked, everything a worker
 * may do under its own: the worker's policy (seccomp.c) is a subset of
 * this one, and t/10-sandbox runs every case of it under both.
 */
static const struct policy_rule spawner_allow[] = {
	/* Requests, workers handed out, signals, the log. */
	RULE(poll, 0),
	RULE(ppoll, 0),
	RULE(read, 0),
	RULE(readv, 0),
	RULE(pread64, 0),
	RULE(lseek, 0),
	RULE(write, 0),
	RULE(writev, 0),
	RULE(recvmsg, 0),
	RULE(sendmsg, 0),
	RULE(close, 0),
	RULE(fcntl, 1, INT_IS(1, F_GETFD)),
	RULE(fcntl, 1, INT_IS(1, F_SETFD)),
	RULE(fcntl, 1, INT_IS(1, F_GETFL)),
	RULE(fcntl, 1, INT_IS(1, F_SETFL)),
	RULE(fcntl, 1, INT_IS(1, F_DUPFD)),
	RULE(fcntl, 1, INT_IS(1, F_DUPFD_CLOEXEC)),
	/* A worker: its channel, a fork, a pidfd; reaped or killed. */
	RULE(socketpair, 1, INT_IS(0, AF_UNIX)),
	RULE(setsockopt, 1, INT_IS(1, SOL_SOCKET)),
	RULE(clone, 1, IS_FORK(0)),
	RULE(pidfd_open, 0),
	RULE(set_robust_list, 0),
	RULE(wait4, 0),
	RULE(waitid, 0),
	/* SIGKILL only, and never to -1 (every process it may signal). */
	RULE(kill, 2, BITS_ARE(0, 0x80000000ULL, 0), INT_IS(1, SIGKILL)),
	/*
	 * The child, until the worker's filter: its descriptors, its name,
	 * the worker's user, the rlimits, no-new-privs, not dumpable,
	 * Landlock, and the worker's filter itself.
	 */
	RULE(dup2, 0),
	RULE(dup3, 0),
	RULE(close_range, 0),
	RULE(prctl, 1, INT_IS(0, PR_SET_NAME)),
	RULE(prctl, 1, INT_IS(0, PR_SET_DUMPABLE)),
	RULE(prctl, 1, INT_IS(0, PR_GET_DUMPABLE)),
	RULE(prctl, 1, INT_IS(0, PR_SET_NO_NEW_PRIVS)),
	RULE(prctl, 1, INT_IS(0, PR_GET_NO_NEW_PRIVS)),
	RULE(prctl, 1, INT_IS(0, PR_SET_SECCOMP)),
	RULE(prctl, 1, INT_IS(0, PR_CAPBSET_READ)),
	RULE(prctl, 1, INT_IS(0, PR_CAPBSET_DROP)),
	RULE(prctl, 1, INT_IS(0, PR_CAP_AMBIENT)),
	RULE(seccomp, 1, INT_IS(0, SECCOMP_SET_MODE_FILTER)),
	RULE(personality, 1, INT_IS(0, 0xffffffff)),
	RULE(prlimit64, 1, INT_IS(0, 0)),
	RULE(landlock_create_ruleset, 0),
	RULE(landlock_add_rule, 0),
	RULE(landlock_restrict_self, 0),
	/*
	 * Without capabilities these only move among the ids the process
	 * already has (privdrop.c).
	 */
	RULE(setresuid, 0),
	RULE(setresgid, 0),
	RULE(setgroups, 0),
	RULE(getresuid, 0),
	RULE(getresgid, 0),
	RULE(getgroups, 0),
	RULE(capget, 0),
	RULE(capset, 0),
	/*
	 * Any descriptor may be mapped, never executable: the worker maps
	 * its job.  PCRE2's JIT code is made writable again, not
	 * executable, before it is freed.
	 */
	RULE(mmap, 1, NO_EXEC(2)),
	MEMORY_RULES,
	FUTEX_RULES,
	SYSLOG_RULES,
	PROCESS_RULES,
};

/* The worker's harmless probes (seccomp.c), which must not kill here. */
static const struct policy_rule spawner_eacces[] = {
	RULE(stat, 0),
	RULE(lstat, 0),
	RULE(newfstatat, 0),
	RULE(access, 0),
	RULE(faccessat, 0),
	RULE(faccessat2, 0),
	RULE(readlink, 0),
	RULE(readlinkat, 0),
};

static const struct policy_part spawner_policy[] = {
	{ SCMP_ACT_ALLOW, spawner_allow, NITEMS(spawner_allow) },
	{ SCMP_ACT_ERRNO(ENOSYS), clone3_rules, NITEMS(clone3_rules) },
	{ SCMP_ACT_ERRNO(EACCES), spawner_eacces, NITEMS(spawner_eacces) },
};

/*
 * The configuration checker: a child of the parent that has read the
 * configuration and dropped to the configured user; it loads the modules
 * (dlopen: read-only opens, file mappings executable only when not
 * writable) and runs their init, then hands a snapshot memfd and its
 * error lines to the parent.  No network, no process, no signal, no file
 * written.
 */
static const struct policy_rule check_allow[] = {
	RULE(open, 1, BITS_ARE(1, OPEN_WRITES, 0)),
	RULE(openat, 1, BITS_ARE(2, OPEN_WRITES, 0)),
	RULE(read, 0),
	RULE(readv, 0),
	RULE(pread64, 0),
	RULE(lseek, 0),
	RULE(close, 0),
	RULE(fstat, 0),
	RULE(newfstatat, 0),
	RULE(stat, 0),
	RULE(lstat, 0),
	RULE(access, 0),
	RULE(faccessat, 0),
	RULE(faccessat2, 0),
	RULE(readlink, 0),
	RULE(readlinkat, 0),
	RULE(getdents64, 0),
	RULE(uname, 0),
	RULE(mmap, 1, NO_EXEC(2)),
	RULE(mmap, 2, BITS_ARE(2, PROT_WRITE | PROT_EXEC, PROT_EXEC),
	    BITS_ARE(3, MAP_ANONYMOUS, 0)),
	MEMORY_RULES,
	/* The answer: lines and the sealed snapshot, to the parent. */
	RULE(write, 0),
	RULE(writev, 0),
	RULE(sendmsg, 0),
	RULE(sendto, 1, IS_NULL(4)),
	RULE(memfd_create, 0),
	RULE(dup, 0),
	RULE(fcntl, 1, INT_IS(1, F_GETFD)),
	RULE(fcntl, 1, INT_IS(1, F_SETFD)),
	RULE(fcntl, 1, INT_IS(1, F_GETFL)),
	RULE(fcntl, 1, INT_IS(1, F_ADD_SEALS)),
	RULE(fcntl, 1, INT_IS(1, F_GET_SEALS)),
	FUTEX_RULES,
	PROCESS_RULES,
};

/*
 * Fail rather than kill: a module's init that tries to write a file or
 * reach the network gets an error it can report; PCRE2's JIT, asking for
 * anonymous executable memory (writable and executable at once, or made
 * executable once written), goes without and the pattern is interpreted.
 */
static const struct policy_rule check_eacces[] = {
	RULE(open, 1, BITS_ARE(1, O_ACCMODE, O_WRONLY)),
	RULE(open, 1, BITS_ARE(1, O_ACCMODE, O_RDWR)),
	RULE(open, 1, BITS_ARE(1, O_CREAT, O_CREAT)),
	RULE(open, 1, BITS_ARE(1, O_TRUNC, O_TRUNC)),
	RULE(openat, 1, BITS_ARE(2, O_ACCMODE, O_WRONLY)),
	RULE(openat, 1, BITS_ARE(2, O_ACCMODE, O_RDWR)),
	RULE(openat, 1, BITS_ARE(2, O_CREAT, O_CREAT)),
	RULE(openat, 1, BITS_ARE(2, O_TRUNC, O_TRUNC)),
	RULE(mmap, 2, BITS_ARE(2, PROT_EXEC, PROT_EXEC),
	    BITS_ARE(3, MAP_ANONYMOUS, MAP_ANONYMOUS)),
	RULE(mprotect, 1, BITS_ARE(2, PROT_EXEC, PROT_EXEC)),
	RULE(socket, 0),
};

static const struct policy_part check_policy[] = {
	{ SCMP_ACT_ALLOW, check_allow, NITEMS(check_allow) },
	{ SCMP_ACT_ERRNO(EACCES), check_eacces, NITEMS(check_eacces) },
};

/*
 * The metrics process (filterd/metrics.c): one thread running
 * libmicrohttpd's loop on the socket it was given, and asking the
 * supervisor for the metrics on its channel.  It accepts and serves HTTP
 * clients; it opens no file, makes no socket but syslog's, and no
 * process or thread.
 */
static const struct policy_rule metrics_allow[] = {
	RULE(accept4, 0),
	RULE(accept, 0),
	RULE(poll, 0),
	RULE(ppoll, 0),
	RULE(select, 0),
	RULE(pselect6, 0),
	RULE(read, 0),
	RULE(recvfrom, 0),
	RULE(write, 0),
	RULE(writev, 0),
	RULE(sendmsg, 0),
	RULE(shutdown, 0),
	RULE(close, 0),
	RULE(setsockopt, 0),
	RULE(getsockopt, 0),
	RULE(getsockname, 0),
	RULE(fcntl, 1, INT_IS(1, F_GETFD)),
	RULE(fcntl, 1, INT_IS(1, F_SETFD)),
	RULE(fcntl, 1, INT_IS(1, F_GETFL)),
	RULE(fcntl, 1, INT_IS(1, F_SETFL)),
	RULE(mmap, 2, NO_EXEC(2), BITS_ARE(3, MAP_ANONYMOUS, MAP_ANONYMOUS)),
	MEMORY_RULES,
	FUTEX_RULES,
	SYSLOG_RULES,
	PROCESS_RULES,
};

/*
 * Harmless probes fail rather than kill, as the supervisor's: glibc's
 * syslog(3) reads /etc/localtime when the zone was not read before.  No
 * path is reached.
 */
static const struct policy_rule metrics_eacces[] = {
	RULE(open, 0),
	RULE(openat, 0),
};

static const struct policy_part metrics_policy[] = {
	{ SCMP_ACT_ALLOW, metrics_allow, NITEMS(metrics_allow) },
	{ SCMP_ACT_ERRNO(EACCES), metrics_eacces, NITEMS(metrics_eacces) },
};

static const struct {
	const char		*name;
	const struct policy_part *parts;
	size_t			 nparts;
} procs[] = {
	[SANDBOX_PROC_SUPERVISOR] = { "supervisor", super_policy,
	    NITEMS(super_policy) },
	[SANDBOX_PROC_SPAWNER] = { "spawner", spawner_policy,
	    NITEMS(spawner_policy) },
	[SANDBOX_PROC_CHECKER] = { "checker", check_policy,
	    NITEMS(check_policy) },
	[SANDBOX_PROC_METRICS] = { "metrics", metrics_policy,
	    NITEMS(metrics_policy) },
};

static scmp_filter_ctx
proc_build(enum sandbox_proc p, char *err, size_t errlen)
{
	if ((size_t)p >= NITEMS(procs)) {
		sandbox_seterr(err, errlen, "no seccomp policy %d", (int)p);
		return NULL;
	}
	return sandbox_policy_build(procs[p].parts, procs[p].nparts, err,
	    errlen);
}

const char *
sandbox_proc_name(enum sandbox_proc p)
{
	return (size_t)p < NITEMS(procs) ? procs[p].name : "?";
}

int
sandbox_proc_enter(enum sandbox_proc p, char *err, size_t errlen)
{
	scmp_filter_ctx	ctx;
	int		rc;

	if (sandbox_check_personality(err, errlen) == -1)
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) {
		sandbox_seterr(err, errlen, "PR_SET_NO_NEW_PRIVS: %s",
		    strerror(errno));
		return -1;
	}
	if ((ctx = proc_build(p, err, errlen)) == NULL)
		return -1;
	/* Every thread, should there be any already. */
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) < 0 ||
	    (rc = seccomp_load(ctx)) < 0)
		sandbox_seterr(err, errlen, "seccomp %s policy: %s",
		    procs[p].name, strerror(-rc));
	seccomp_release(ctx);
	return rc < 0 ? -1 : 0;
}

int
sandbox_proc_dump(enum sandbox_proc p, int fd, char *err, size_t errlen)
{
	scmp_filter_ctx	ctx;
	int		rc;

	if ((ctx = proc_build(p, err, errlen)) == NULL)
		return -1;
	if ((rc = seccomp_export_pfc(ctx, fd)) < 0)
		sandbox_seterr(err, errlen, "seccomp_export_pfc: %s",
		    strerror(-rc));
	seccomp_release(ctx);
	return rc < 0 ? -1 : 0;
}

void
sandbox_proc_exit(int status)
{
#ifdef FD_SANITIZERS
	/*
	 * LeakSanitizer's check at exit needs ptrace and a process of its
	 * own, which every policy kills; end as a worker does, without it.
	 */
	syscall(SYS_exit_group, status);
#endif
	exit(status);
}
