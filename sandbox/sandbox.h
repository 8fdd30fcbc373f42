/*
 * sandbox: the layers that confine a worker, and the privilege drop of the
 * spawner and supervisor.  One file per mechanism behind this header:
 * seccomp.c (Linux seccomp-bpf, and the order of the layers), limits.c
 * (rlimits, no-new-privs, not dumpable), landlock.c (an empty Landlock
 * ruleset), namespaces.c (network and IPC namespaces), privdrop.c (chroot,
 * uid/gid, capabilities); on FreeBSD, capsicum.c (Capsicum and
 * procctl) instead of seccomp.c, landlock.c and namespaces.c, as
 * configure selects.
 *
 * A worker's descriptors are fixed: 0-2 are /dev/null, SANDBOX_FD_CHAN is
 * its end of the socket to the supervisor (it reads the job request and
 * writes the verdict there), and SANDBOX_FD_JOB is the sealed memfd holding
 * the job, received over SANDBOX_FD_CHAN.  Nothing else is open.
 *
 * Every function returns 0 on success, or -1 with a message in err; none
 * logs or exits.  A layer that cannot be applied is an error, never a
 * silent skip.  Two layers depend on the kernel and how it is configured:
 * Landlock and the namespaces.  Where they are missing the workers run
 * without them, and sandbox_spawner_enter() reports it for the spawner to
 * log once; a layer reported present is applied to every worker or the
 * worker does not run.
 */
#ifndef FILTERD_SANDBOX_H
#define FILTERD_SANDBOX_H

#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

#define SANDBOX_FD_CHAN	3
#define SANDBOX_FD_JOB	4

struct sandbox_filter;

/* The layers every worker of a spawner gets, for its log. */
struct sandbox_report {
	int		 landlock_abi;	/* Landlock ABI; 0: none */
	const char	*landlock_why;	/* why none (static) */
	int		 namespaces;	/* new network and IPC ones */
	int		 userns;	/* through a new user one */
	int		 ns_errno;	/* why not, when none */
	int		 wxorx;		/* FreeBSD: W^X enforced; -1 unknown */
};

struct sandbox_limits {
	rlim_t	as_bytes;	/* RLIMIT_AS; 0 leaves it unset (sanitizers) */
	rlim_t	cpu_seconds;	/* RLIMIT_CPU */
	rlim_t	nofile;		/* RLIMIT_NOFILE, at least SANDBOX_FD_JOB+1 */
};

/*
 * Builds the worker's seccomp filter and compiles it to BPF, once, in the
 * spawner, and asks the kernel which Landlock ABI it has.  Returns NULL
 * with a message in err on failure.
 */
struct sandbox_filter	*sandbox_filter_new(char *err, size_t errlen);
void			 sandbox_filter_free(struct sandbox_filter **);

/*
 * Writes a readable dump of the policy (libseccomp's PFC form) to fd, for
 * review and the golden test.
 */
int	sandbox_filter_dump(const struct sandbox_filter *, int fd);

/*
 * Runs once in the spawner, single-threaded, after sandbox_filter_new()
 * and before sandbox_privdrop() and sandbox_drop_caps(), which must
 * follow: moves the spawner, and so every worker it will fork, into new
 * network and IPC namespaces where the system permits (as root by itself;
 * otherwise through a new user namespace, in which the spawner holds
 * every capability until sandbox_drop_caps()).  Fills report with what
 * the workers will get.  Returns 0, also when the namespaces are not
 * permitted (the report says so), or -1 with a message in err on an
 * unexpected failure.
 */
int	sandbox_spawner_enter(const struct sandbox_filter *,
	    struct sandbox_report *, char *err, size_t errlen);

/*
 * Writes the report as one line into buf, such as "seccomp, rlimits,
 * no-new-privs, landlock ABI 7, network+IPC namespaces".  Truncates to
 * len - 1 bytes; always terminates the string when len is not 0.
 */
void	sandbox_report_str(const struct sandbox_report *, char *buf,
	    size_t len);

/*
 * Confines the calling worker: rlimits, not dumpable, no-new-privs, the
 * empty Landlock ruleset (when the kernel has Landlock), then the seccomp
 * filter last.  Called after fork, before the job is read.  On -1 the
 * caller must _exit without touching the job.  Limits that would leave a
 * layer off (cpu_seconds 0, nofile too small) are refused before anything
 * is changed.  On FreeBSD (capsicum.c): every descriptor past
 * SANDBOX_FD_CHAN closed, the rlimits, tracing off and no-new-privs
 * (procctl), 0-2 and the channel limited to their rights, then capability
 * mode; what follows here is the Linux policy.
 *
 * Afterwards the worker may: read, readv on both fds; recvmsg on the
 * channel; write, writev, sendmsg, send (no address) on the channel;
 * lseek, pread on the job; mmap (anonymous or the job), mprotect, never
 * with PROT_EXEC; munmap, mremap, brk, madvise; close; getpid, gettid,
 * getrandom, clock_gettime; rt_sigprocmask, rt_sigreturn; a private
 * futex wake; exit.  open, stat, access, readlink and their variants fail
 * with EACCES.  Anything else kills it with SIGSYS.  Hence:
 * - size the job with lseek(SANDBOX_FD_JOB, 0, SEEK_END), not fstat()
 *   (which glibc makes newfstatat, refused); its offset is shared with
 *   the sender, so use pread or mmap rather than read;
 * - abort() and assert() end in SIGSYS, not SIGABRT (tgkill is refused);
 * - end with syscall(SYS_exit_group, status), not _exit(): under ASan,
 *   _exit() runs LeakSanitizer, which needs sigaltstack, clone and ptrace;
 * - anything libc sets up lazily from files (iconv modules, locales) must
 *   be set up before the fork.
 */
int	sandbox_worker_enter(const struct sandbox_filter *,
	    const struct sandbox_limits *, char *err, size_t errlen);

/*
 * Narrows fd, the job descriptor the worker has just received over
 * SANDBOX_FD_CHAN, to what the worker needs of it.  Called after
 * sandbox_worker_enter() and the recvmsg, before the job is sized, mapped
 * or read; on -1 the worker must exit without touching it.  On FreeBSD
 * the descriptor arrives with every right the sender's had, and this
 * limits it to read, seek and read-only mmap, with no ioctl and no fcntl
 * (capsicum.c); on Linux the seccomp filter already confines the job by
 * its descriptor number, and this does nothing.  Returns 0, or -1 with a
 * message in err.
 */
int	sandbox_worker_job(int fd, char *err, size_t errlen);

/*
 * The processes that confine themselves under a seccomp policy of their
 * own (seccomp_procs.c), each once its set-up is done and before it reads
 * any input.
 */
enum sandbox_proc {
	SANDBOX_PROC_SUPERVISOR,	/* threads only; no file, no process */
	SANDBOX_PROC_SPAWNER,		/* forks workers; no exec, no thread */
	SANDBOX_PROC_CHECKER,		/* loads modules; no network */
	SANDBOX_PROC_METRICS,		/* HTTP on its socket; no file */
};

/*
 * Sets no-new-privs, checks that READ_IMPLIES_EXEC is off, then builds
 * the policy of process p and loads it on every thread of the calling
 * process.  Returns 0, or -1 with a message in err; then nothing was
 * loaded, and the caller must not go on.  Any call outside the policy
 * kills the whole process with SIGSYS, so:
 * - the supervisor may make threads (clone3 fails with ENOSYS, so that
 *   glibc uses clone, whose flags the filter reads), never a process;
 *   it opens no file (open fails with EACCES) and makes no socket but a
 *   unix one for syslog; it may kill a worker through its pidfd;
 * - the spawner may fork (never a thread), kill with SIGKILL, and do what
 *   its child does up to sandbox_worker_enter(), and what a worker does
 *   after it;
 * - the checker may open files read-only and map them executable when
 *   not writable (dlopen); opens for writing, sockets, anonymous
 *   executable memory and mprotect to executable fail with EACCES;
 * - none may exec, ptrace, or map memory writable and executable;
 * - end with sandbox_proc_exit(), not exit().
 * On FreeBSD it does nothing yet, and returns 0 (capsicum.c).
 */
int	sandbox_proc_enter(enum sandbox_proc p, char *err, size_t errlen);

/* Writes the policy of p in libseccomp's PFC form to fd, for review. */
int	sandbox_proc_dump(enum sandbox_proc p, int fd, char *err,
	    size_t errlen);

/* "supervisor", "spawner", "checker". */
const char	*sandbox_proc_name(enum sandbox_proc p);

/*
 * Ends a process that called sandbox_proc_enter(): exit(), except in a
 * sanitizer build, where LeakSanitizer's check at exit would need ptrace
 * and a new process; there it ends with exit_group, without the check.
 */
void	sandbox_proc_exit(int status) __attribute__((noreturn));

/* The users sandbox_privdrop() switches to. */
struct sandbox_ids {
	uid_t	uid;	/* user: the supervisor and the spawner */
	gid_t	gid;
	uid_t	wuid;	/* worker_user: the workers */
	gid_t	wgid;
};

/*
 * Looks up user and worker_user in the password database.  Refuses a
 * missing user, uid or gid 0, and a worker user with the uid or the
 * primary group of user.  Returns 0, or -1 with a message in err and
 * *bad_r saying which setting is at fault (0: user, 1: worker_user).
 */
int	sandbox_users(const char *user, const char *worker_user,
	    struct sandbox_ids *, int *bad_r, char *err, size_t errlen);

/*
 * When running as root: looks both users up (sandbox_users), chroot to
 * dir (skipped when dir is NULL; it must be owned by root and writable by
 * no one else), empty the capability bounding set (which needs root's
 * CAP_SETPCAP, so it cannot wait for sandbox_drop_caps), then empty the
 * supplementary groups and set the real and saved ids to user's and the
 * effective ids to worker_user's (privdrop.c says why), verify with
 * getres[ug]id, getgroups and a failing setuid(0), and make the process
 * not dumpable.  Fails when not root.
 */
int	sandbox_privdrop(const char *user, const char *worker_user,
	    const char *dir, char *err, size_t errlen);

/*
 * In a worker forked by a spawner set up by sandbox_privdrop(), before
 * sandbox_worker_enter(): sets the real and saved user and group ids to
 * the effective ones (worker_user's), and verifies them and that there
 * are no supplementary groups.  Uses setres[ug]id, getres[ug]id and
 * getgroups only.
 */
int	sandbox_worker_user(char *err, size_t errlen);

/*
 * Keeps, effective and permitted, the capabilities listed in keep that
 * the process has, and no other; none inheritable or ambient; and in the
 * bounding set only those listed in bound (what an exec as root may get
 * back).  Then reads them back to verify.  Works as root and as any
 * user; a process without CAP_SETPCAP cannot shrink its bounding set,
 * which is accepted as sandbox_drop_caps does.  Capability numbers are
 * those of <sys/capability.h>.
 */
int	sandbox_caps_limit(const int *keep, size_t nkeep, const int *bound,
	    size_t nbound, char *err, size_t errlen);

/*
 * Drops every capability, including the bounding set and ambient ones,
 * then re-reads them to verify.  Works as root and as any user; call it
 * after sandbox_privdrop.  A process without CAP_SETPCAP cannot shrink its
 * bounding set; that is accepted, as it then holds no capability and the
 * bounding set only matters across execve.
 */
int	sandbox_drop_caps(char *err, size_t errlen);

#endif
