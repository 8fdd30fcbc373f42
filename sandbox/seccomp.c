/*
 * sandbox/seccomp.c: the worker's seccomp-bpf policy (Linux, x86_64).
 *
 * sandbox_filter_new(), sandbox_filter_dump() and sandbox_spawner_enter()
 * run in the spawner, which trusts its own configuration and nothing else:
 * the policy is built with libseccomp and compiled to BPF once, before any
 * worker exists, and the kernel is asked once which other layers it has.
 * sandbox_worker_enter() runs in a freshly forked worker, before it reads a
 * byte of the hostile message; it does no libseccomp work, it applies the
 * other layers (limits.c, landlock.c) and then loads the precompiled
 * program.  From then on the worker is assumed to be under the message's
 * control.
 *
 * The policy: kill the process on any syscall not listed below, on any
 * architecture but native x86_64 (libseccomp's arch check catches i386
 * "int $0x80" by AUDIT_ARCH_I386 and x32 numbers by the 0x40000000 bit),
 * allow a short list with argument checks, and fail a few harmless path
 * probes with EACCES.  sandbox_policy_build() builds it, and the policies
 * of the other processes (seccomp_procs.c), from their tables.
 *
 * Each worker loads this whole policy on top of the spawner's, rather
 * than a small filter on top of a spawner policy that would carry most of
 * the worker's.  A worker needs a filter of its own either way, one that
 * forbids what its spawner must do (fork, kill, socketpair, pidfd_open,
 * wait4, poll, prctl, the descriptors the spawner reads and writes...), and
 * with the spawner's policy beneath it, what a filter costs to attach no
 * longer depends on its length.  The kernel copies and JIT-compiles every
 * filter into memory of its own (vmalloc, text_poke: the same for ten
 * instructions as for this policy's ninety), and runs the new filter over
 * every system call number to cache the ones it always allows -- but only
 * over the numbers that every filter beneath it always allows, a few
 * dozen under the spawner's policy against all ~450 without it.  So the
 * smallest filter that would keep this policy exactly, an allow-list of
 * its 35 calls (42 instructions) over a spawner policy made of this one
 * and the spawner's own, attaches within 2-4% of this one, and a filter
 * of 10 instructions within a few percent more (make bench-worker; the
 * figures in the commit that added this note): not worth making the
 * spawner's policy depend on the worker's, or the worker's on the
 * descriptors its spawner holds.  t/10-sandbox runs every case under this
 * policy alone and forked from under the spawner's, including calls that
 * only the spawner's allows.
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sandbox/sandbox.h"
#include "sandbox/landlock.h"
#include "sandbox/limits.h"
#include "sandbox/namespaces.h"
#include "sandbox/seccomp_rules.h"
#include "sandbox/seterr.h"

struct sandbox_filter {
	scmp_filter_ctx		 ctx;	/* kept for sandbox_filter_dump() */
	struct sock_fprog	 prog;	/* what a worker loads */
	int			 landlock_abi;	/* 0: no Landlock, */
	const char		*landlock_why;	/* for this reason */
};

/*
 * What a worker may do.  It reads its job from SANDBOX_FD_CHAN (the request
 * and the memfd, with recvmsg) and SANDBOX_FD_JOB, writes one verdict to
 * SANDBOX_FD_CHAN, manages memory without ever making it executable, and
 * exits.  The only call that may block is a read or recvmsg on the channel.
 */
static const struct policy_rule allow_rules[] = {
	/* The request (with the memfd, by recvmsg) and the job. */
	RULE(read, 1, FD_IS(0, SANDBOX_FD_CHAN)),
	RULE(read, 1, FD_IS(0, SANDBOX_FD_JOB)),
	RULE(readv, 1, FD_IS(0, SANDBOX_FD_CHAN)),
	RULE(readv, 1, FD_IS(0, SANDBOX_FD_JOB)),
	RULE(recvmsg, 1, FD_IS(0, SANDBOX_FD_CHAN)),
	/* Random access to the sealed job: lseek(SEEK_END) gives its size. */
	RULE(lseek, 1, FD_IS(0, SANDBOX_FD_JOB)),
	RULE(pread64, 1, FD_IS(0, SANDBOX_FD_JOB)),
	/*
	 * The verdict.  send() is sendto(), allowed without an address:
	 * the channel is connected.
	 */
	RULE(write, 1, FD_IS(0, SANDBOX_FD_CHAN)),
	RULE(writev, 1, FD_IS(0, SANDBOX_FD_CHAN)),
	RULE(sendmsg, 1, FD_IS(0, SANDBOX_FD_CHAN)),
	RULE(sendto, 2, FD_IS(0, SANDBOX_FD_CHAN), IS_NULL(4)),
	RULE(close, 0),
	/*
	 * Memory (malloc, the job mapped read-only): never PROT_EXEC, and
	 * only anonymous memory or the job may be mapped, so a descriptor
	 * that leaked into the worker cannot be read through mmap.  The
	 * prot check is sound only without READ_IMPLIES_EXEC, which
	 * sandbox_worker_enter() verifies.
	 */
	RULE(mmap, 2, NO_EXEC(2), FD_IS(4, ANON_FD)),
	RULE(mmap, 2, NO_EXEC(2), FD_IS(4, SANDBOX_FD_JOB)),
	RULE(mprotect, 1, NO_EXEC(2)),
	RULE(munmap, 0),
	RULE(mremap, 0),
	RULE(brk, 0),
	RULE(madvise, 0),
	/*
	 * The end.  glibc masks signals around abort() and elsewhere; a
	 * handler set before the fork (ASan's, say) must be able to return.
	 */
	RULE(exit, 0),
	RULE(exit_group, 0),
	RULE(rt_sigprocmask, 0),
	RULE(rt_sigreturn, 0),
	/*
	 * Only the process's own alternate signal stack.  ASan queries it
	 * before every call to a noreturn function; allowed in every build,
	 * so that the sanitizer build tests the policy that ships.
	 */
	RULE(sigaltstack, 0),
	/*
	 * The worker is single-threaded, so glibc's locks never contend and
	 * nothing ever waits on a futex.  But every pthread_once() (glibc's
	 * lazy set-up of iconv, locales and the like) ends with a wake of
	 * all waiters, whether there are any or not.  A private wake only
	 * reaches this process's own waiters and never blocks; every other
	 * futex operation (wait, requeue, PI: the CVE-2014-3153 code) kills.
	 */
	RULE(futex, 1, INT_IS(1, FUTEX_WAKE | FUTEX_PRIVATE_FLAG)),
	/* Cheap, read-only facts; clock_gettime when the vDSO falls back. */
	RULE(clock_gettime, 0),
	RULE(getpid, 0),
	RULE(gettid, 0),
	RULE(getrandom, 0),
};

/*
 * Deliberately absent, so they kill:
 * - tgkill/tkill: a filter built before fork cannot name the worker's own
 *   pid, and any other target is a sibling worker of the same uid.  So
 *   abort() and a failed assertion end in SIGSYS rather than SIGABRT; both
 *   are an abnormal death to the supervisor.
 * - clock_nanosleep, nanosleep, poll, futex waits and the like: the worker
 *   blocks only on its channel, and the supervisor owns every timeout.
 * - fstat of the job: glibc's fstat() is newfstatat(fd, "", AT_EMPTY_PATH),
 *   whose path the filter cannot read, so it would also stat any absolute
 *   path.  Use lseek(SANDBOX_FD_JOB, 0, SEEK_END) for the size.
 *
 * Opening a file is what an attacker in a worker tries first, so open,
 * openat and openat2 kill, like socket: the spawner then logs a sandbox
 * violation and retires.  Code that opens files as a side effect
 * (iconv_open loading its modules, locale and NSS look-ups) must run in a
 * module's init, in the spawner, before the fork.
 *
 * Path probes that libc survives (stat, access and readlink of a path,
 * ASan's error reports) fail with EACCES instead of killing: they reveal
 * nothing and reach no file.  faccessat2 and readlinkat are the forms
 * newer glibc uses for the same probes.
 */
static const struct policy_rule eacces_rules[] = {
	RULE(stat, 0),
	RULE(lstat, 0),
	RULE(newfstatat, 0),
	RULE(access, 0),
	RULE(faccessat, 0),
	RULE(faccessat2, 0),
	RULE(readlink, 0),
	RULE(readlinkat, 0),
};

static const struct policy_part worker_policy[] = {
	{ SCMP_ACT_ALLOW, allow_rules, NITEMS(allow_rules) },
	{ SCMP_ACT_ERRNO(EACCES), eacces_rules, NITEMS(eacces_rules) },
};

static int
filter_add(scmp_filter_ctx ctx, const struct policy_part *p, char *err,
    size_t errlen)
{
	size_t	i;
	int	rc;

	for (i = 0; i < p->nrules; i++) {
		rc = seccomp_rule_add_exact_array(ctx, p->action,
		    p->rules[i].nr, p->rules[i].ncmp, p->rules[i].cmp);
		if (rc < 0) {
			sandbox_seterr(err, errlen, "seccomp rule for %s: %s",
			    p->rules[i].name, strerror(-rc));
			return -1;
		}
	}
	return 0;
}

scmp_filter_ctx
sandbox_policy_build(const struct policy_part *parts, size_t nparts,
    char *err, size_t errlen)
{
	scmp_filter_ctx	ctx;
	size_t		i;
	int		rc;

	/* SECCOMP_RET_KILL_PROCESS needs API level 3 (Linux 4.14). */
	if (seccomp_api_get() < 3) {
		sandbox_seterr(err, errlen, "kernel lacks SECCOMP_RET_KILL_PROCESS");
		return NULL;
	}
	/* seccomp_init() adds the native architecture, and only that. */
	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL) {
		sandbox_seterr(err, errlen, "seccomp_init failed");
		return NULL;
	}
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    SCMP_ACT_KILL_PROCESS);
	if (rc < 0) {
		sandbox_seterr(err, errlen, "seccomp bad arch action: %s",
		    strerror(-rc));
		seccomp_release(ctx);
		return NULL;
	}
	for (i = 0; i < nparts; i++)
		if (filter_add(ctx, &parts[i], err, errlen) == -1) {
			seccomp_release(ctx);
			return NULL;
		}
	return ctx;
}

static int
filter_build(struct sandbox_filter *f, char *err, size_t errlen)
{
	f->ctx = sandbox_policy_build(worker_policy, NITEMS(worker_policy),
	    err, errlen);
	return f->ctx == NULL ? -1 : 0;
}

/* Reads back what seccomp_export_bpf() wrote to fd. */
static int
filter_read_prog(struct sandbox_filter *f, int fd, char *err, size_t errlen)
{
	struct stat	 st;
	size_t		 len;
	ssize_t		 n;

	if (fstat(fd, &st) == -1) {
		sandbox_seterr(err, errlen, "fstat: %s", strerror(errno));
		return -1;
	}
	len = (size_t)st.st_size;
	if (st.st_size <= 0 || len % sizeof(struct sock_filter) != 0 ||
	    len / sizeof(struct sock_filter) > BPF_MAXINSNS) {
		sandbox_seterr(err, errlen, "exported BPF has a bad size %lld",
		    (long long)st.st_size);
		return -1;
	}
	if ((f->prog.filter = malloc(len)) == NULL) {
		sandbox_seterr(err, errlen, "malloc: %s", strerror(errno));
		return -1;
	}
	if ((n = pread(fd, f->prog.filter, len, 0)) < 0 || (size_t)n != len) {
		sandbox_seterr(err, errlen, "reading exported BPF: %s",
		    n < 0 ? strerror(errno) : "short read");
		return -1;
	}
	f->prog.len = (unsigned short)(len / sizeof(struct sock_filter));
	return 0;
}

static int
filter_export(struct sandbox_filter *f, char *err, size_t errlen)
{
	int	fd, rc, ret;

	if ((fd = memfd_create("filterd-seccomp", MFD_CLOEXEC)) == -1) {
		sandbox_seterr(err, errlen, "memfd_create: %s", strerror(errno));
		return -1;
	}
	if ((rc = seccomp_export_bpf(f->ctx, fd)) < 0) {
		sandbox_seterr(err, errlen, "seccomp_export_bpf: %s", strerror(-rc));
		ret = -1;
	} else
		ret = filter_read_prog(f, fd, err, errlen);
	(void)close(fd);
	return ret;
}

struct sandbox_filter *
sandbox_filter_new(char *err, size_t errlen)
{
	struct sandbox_filter	*f;

	if ((f = calloc(1, sizeof(*f))) == NULL) {
		sandbox_seterr(err, errlen, "calloc: %s", strerror(errno));
		return NULL;
	}
	if (filter_build(f, err, errlen) == -1 ||
	    filter_export(f, err, errlen) == -1 ||
	    (f->landlock_abi = sandbox_landlock_abi(&f->landlock_why, err,
	    errlen)) == -1) {
		sandbox_filter_free(&f);
		return NULL;
	}
	return f;
}

void
sandbox_filter_free(struct sandbox_filter **fp)
{
	if (*fp == NULL)
		return;
	if ((*fp)->ctx != NULL)
		seccomp_release((*fp)->ctx);
	free((*fp)->prog.filter);
	free(*fp);
	*fp = NULL;
}

int
sandbox_filter_dump(const struct sandbox_filter *f, int fd)
{
	return seccomp_export_pfc(f->ctx, fd) < 0 ? -1 : 0;
}

/*
 * A personality with READ_IMPLIES_EXEC would make a PROT_READ mapping
 * executable behind the filter's back.
 */
int
sandbox_check_personality(char *err, size_t errlen)
{
	int	pers;

	if ((pers = personality(0xffffffff)) == -1) {
		sandbox_seterr(err, errlen, "personality: %s", strerror(errno));
		return -1;
	}
	if (pers & READ_IMPLIES_EXEC) {
		sandbox_seterr(err, errlen, "personality has READ_IMPLIES_EXEC");
		return -1;
	}
	return 0;
}

int
sandbox_spawner_enter(const struct sandbox_filter *f,
    struct sandbox_report *r, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	r->landlock_abi = f->landlock_abi;
	r->landlock_why = f->landlock_why;
	r->namespaces = sandbox_unshare(&r->userns, &r->ns_errno, err,
	    errlen);
	return r->namespaces == -1 ? -1 : 0;
}

void
sandbox_report_str(const struct sandbox_report *r, char *buf, size_t len)
{
	char	ll[128], ns[128];

	if (r->landlock_abi > 0)
		(void)snprintf(ll, sizeof(ll), "landlock ABI %d",
		    r->landlock_abi);
	else
		(void)snprintf(ll, sizeof(ll), "landlock unavailable (%s)",
		    r->landlock_why != NULL ? r->landlock_why : "?");
	if (r->namespaces == 1)
		(void)snprintf(ns, sizeof(ns), "network+IPC namespaces%s",
		    r->userns ? " (in a user namespace)" : "");
	else
		(void)snprintf(ns, sizeof(ns),
		    "network+IPC namespaces unavailable (%s)",
		    strerror(r->ns_errno));
	(void)snprintf(buf, len, "seccomp, rlimits, no-new-privs, %s, %s",
	    ll, ns);
}

/*
 * After the rlimits and no-new-privs, which Landlock needs; closes the
 * ruleset llfd whatever happens.
 */
static int
worker_narrow(const struct sandbox_limits *l, int llfd, char *err,
    size_t errlen)
{
	if (sandbox_limits_apply(l, err, errlen) == -1 ||
	    sandbox_prctl_apply(err, errlen) == -1) {
		if (llfd != -1)
			(void)close(llfd);
		return -1;
	}
	return sandbox_landlock_restrict(llfd, err, errlen);
}

int
sandbox_worker_enter(const struct sandbox_filter *f,
    const struct sandbox_limits *l, char *err, size_t errlen)
{
	int	llfd;

	if (sandbox_limits_check(l, err, errlen) == -1 ||
	    sandbox_check_personality(err, errlen) == -1)
		return -1;
	/* The ruleset is a descriptor: made before RLIMIT_NOFILE. */
	if (sandbox_landlock_prepare(f->landlock_abi, &llfd, err,
	    errlen) == -1 ||
	    worker_narrow(l, llfd, err, errlen) == -1)
		return -1;
	/* Last: nothing after this may need a syscall outside the policy. */
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &f->prog, 0, 0) == -1) {
		sandbox_seterr(err, errlen, "PR_SET_SECCOMP: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Nothing to narrow: the filter already lets the worker only read, seek,
 * pread and mmap (never PROT_EXEC) SANDBOX_FD_JOB, by its number.
 */
int
sandbox_worker_job(int fd, char *err, size_t errlen)
{
	return 0;
}
