/*
 * t/11-capsicum.c: the FreeBSD worker sandbox (sandbox/capsicum.c), on
 * Linux, against the recording stand-in of <sys/capsicum.h> and
 * <sys/procctl.h> in t/capsicum-shim/.  Runs as a test program, as any
 * user; trusts nothing but what the shim recorded.
 *
 * A worker here is what the spawner forks, running the real code path:
 * descriptors set up as spawner_child() does, sandbox_worker_enter() from
 * capsicum.c, then worker_run() from filterd/worker.c with the built-in
 * modules, which receives a real job (a sealed memfd, by SCM_RIGHTS) and
 * sends a real verdict.  The shim keeps its record in memory shared with
 * the worker, and the test checks the exact sequence of calls the worker
 * made: procctl for tracing and no-new-privs, read back; every descriptor
 * it keeps limited before cap_enter(), each with its rights and no ioctl
 * or fcntl; cap_enter() with the rlimits in place and every other
 * descriptor closed; cap_getmode(); and the job descriptor, received in
 * capability mode, limited to read, seek and read-only mmap before the
 * worker sizes it.  Then it makes each of those calls fail in turn (ENOSYS
 * among them, a kernel without Capsicum), and each status lie, and checks
 * that the worker fails closed every time: it exits with
 * WORKER_EXIT_SANDBOX, sends no verdict, makes no call after the one that
 * failed, and never enters capability mode after a failed limit.  Whether
 * FreeBSD enforces those rights is FreeBSD's business; that we ask for
 * the right ones, on the real path, is ours.
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <sys/capsicum.h>
#include <sys/procctl.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "filterd/lib/buf.h"
#include "filterd/lib/config.h"
#include "filterd/lib/message.h"
#include "filterd/lib/verdict.h"
#include "filterd/lib/wire.h"
#include "filterd/spawner.h"
#include "filterd/worker.h"
#include "filters/host.h"
#include "sandbox/sandbox.h"
#include "sandbox/capsicum.h"
#include "t/capsicum-shim.h"
#include "t/tap.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

#define CONF \
	"listen = \"unix:/tmp/t11.sock\";\n" \
	"user = \"nobody\";\n" \
	"on_failure = \"tempfail\";\n"

#define NO_RIGHTS0	CAPRIGHT(0, 0ULL)
#define NO_RIGHTS1	CAPRIGHT(1, 0ULL)
#define CHAN_RIGHTS	(CAP_READ | CAP_WRITE)
#define JOB_RIGHTS	(CAP_READ | CAP_SEEK | CAP_MMAP_R)

/* A descriptor the spawner would not have left open, for the sandbox. */
#define STRAY_FD	9
#define CPU_SECONDS	5
#define DEADLINE_MS	10000

/* What state_now() sees before a call. */
#define STATE_RLIMITS	0x1	/* the worker's rlimits are in place */
#define STATE_CLOSED	0x2	/* STRAY_FD is closed */
#define STATE_UNSIZED	0x4	/* the job's offset is 0: not sized yet */

struct want {
	enum shim_op	 op;
	int		 fd;		/* or procctl's command */
	uint64_t	 rights;	/* cap_rights_limit, word 0 */
	long		 arg;		/* procctl's int, cap_getmode's mode */
};

#define LIMIT(fd, r) \
	{ SHIM_RIGHTS_LIMIT, (fd), (r), 0 }, \
	{ SHIM_IOCTLS_LIMIT, (fd), 0, 0 }, \
	{ SHIM_FCNTLS_LIMIT, (fd), 0, 0 }

/* Every call a worker makes, in order: the whole FreeBSD sandbox. */
static const struct want want_seq[] = {
	{ SHIM_PROCCTL, PROC_TRACE_CTL, 0, PROC_TRACE_CTL_DISABLE },
	{ SHIM_PROCCTL, PROC_TRACE_STATUS, 0, -1 },
	{ SHIM_PROCCTL, PROC_NO_NEW_PRIVS_CTL, 0, PROC_NO_NEW_PRIVS_ENABLE },
	{ SHIM_PROCCTL, PROC_NO_NEW_PRIVS_STATUS, 0,
	    PROC_NO_NEW_PRIVS_ENABLE },
	LIMIT(STDIN_FILENO, NO_RIGHTS0),
	LIMIT(STDOUT_FILENO, NO_RIGHTS0),
	LIMIT(STDERR_FILENO, NO_RIGHTS0),
	LIMIT(SANDBOX_FD_CHAN, CHAN_RIGHTS),
	{ SHIM_ENTER, -1, 0, 0 },
	{ SHIM_GETMODE, -1, 0, 1 },
	/* After recvmsg, in capability mode: the job. */
	LIMIT(SANDBOX_FD_JOB, JOB_RIGHTS),
};

#define SEQ_ENTER	16	/* want_seq's cap_enter */

struct outcome {
	int	status;		/* exit status, or 128 + the signal */
	int	verdict;	/* a verdict with the job's nonce came back */
};

static struct config		*conf;
static struct modules		*mods;
static struct sandbox_filter	*filter;

static const char *
op_name(enum shim_op op)
{
	switch (op) {
	case SHIM_RIGHTS_LIMIT:
		return "cap_rights_limit";
	case SHIM_IOCTLS_LIMIT:
		return "cap_ioctls_limit";
	case SHIM_FCNTLS_LIMIT:
		return "cap_fcntls_limit";
	case SHIM_ENTER:
		return "cap_enter";
	case SHIM_GETMODE:
		return "cap_getmode";
	case SHIM_PROCCTL:
		return "procctl";
	}
	return "?";
}

static void
diag_calls(void)
{
	const struct shim_call	*c;
	size_t			 i;

	for (i = 0; i < shim_log->n; i++) {
		c = &shim_log->calls[i];
		diag("call %zu: %s %d rights %#llx %#llx arg %ld state %#x%s",
		    i + 1, op_name(c->op), c->fd,
		    (unsigned long long)c->rights[0],
		    (unsigned long long)c->rights[1], c->arg, c->state,
		    c->failed ? " (failed)" : "");
	}
}

static long long
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
rlimit_max_is(int resource, rlim_t want)
{
	struct rlimit	rl;

	return getrlimit(resource, &rl) == 0 && rl.rlim_max == want;
}

/* The shim's state hook, in the worker: what holds before each call. */
static int
state_now(enum shim_op op, int fd)
{
	struct rlimit	cpu;
	int		st = 0;

	if (rlimit_max_is(RLIMIT_FSIZE, 0) && rlimit_max_is(RLIMIT_NPROC, 0) &&
	    rlimit_max_is(RLIMIT_CORE, 0) &&
	    rlimit_max_is(RLIMIT_NOFILE, SANDBOX_FD_JOB + 1) &&
	    getrlimit(RLIMIT_CPU, &cpu) == 0 && cpu.rlim_cur == CPU_SECONDS)
		st |= STATE_RLIMITS;
	if (fcntl(STRAY_FD, F_GETFD) == -1 && errno == EBADF)
		st |= STATE_CLOSED;
	if (op == SHIM_RIGHTS_LIMIT && fd == SANDBOX_FD_JOB &&
	    lseek(fd, 0, SEEK_CUR) == 0)
		st |= STATE_UNSIZED;
	return st;
}

static int
call_is(const struct shim_call *c, const struct want *w)
{
	if (c->op != w->op || c->failed)
		return 0;
	switch (c->op) {
	case SHIM_RIGHTS_LIMIT:
		return c->fd == w->fd && c->rights[0] == w->rights &&
		    c->rights[1] == NO_RIGHTS1;
	case SHIM_IOCTLS_LIMIT:
	case SHIM_FCNTLS_LIMIT:
		return c->fd == w->fd && c->arg == 0;
	case SHIM_PROCCTL:
		return c->fd == w->fd && c->arg == w->arg;
	case SHIM_GETMODE:
		return c->arg == w->arg;
	case SHIM_ENTER:
		return 1;
	}
	return 0;
}

/* The first n calls recorded are want_seq's first n. */
static int
seq_match(size_t n)
{
	size_t	i;

	if (shim_log->overflow || shim_log->n < n)
		return 0;
	for (i = 0; i < n; i++)
		if (!call_is(&shim_log->calls[i], &want_seq[i]))
			return 0;
	return 1;
}

/* Index of the first recorded call of op on fd (-1: any), or -1. */
static int
call_find(enum shim_op op, int fd)
{
	size_t	i;

	for (i = 0; i < shim_log->n; i++)
		if (shim_log->calls[i].op == op &&
		    (fd == -1 || shim_log->calls[i].fd == fd))
			return (int)i;
	return -1;
}

/* All three limits of fd, as want_seq has them, before index end. */
static int
limited_before(int fd, uint64_t rights, int end)
{
	const struct shim_call	*c;
	int			 i, seen = 0;

	for (i = 0; i < end && (size_t)i < shim_log->n; i++) {
		c = &shim_log->calls[i];
		if (c->fd != fd || c->failed)
			continue;
		if (c->op == SHIM_RIGHTS_LIMIT && c->rights[0] == rights &&
		    c->rights[1] == NO_RIGHTS1)
			seen |= 1;
		else if (c->op == SHIM_IOCTLS_LIMIT && c->arg == 0)
			seen |= 2;
		else if (c->op == SHIM_FCNTLS_LIMIT && c->arg == 0)
			seen |= 4;
	}
	return seen == 7;
}

/* Puts /dev/null on fd. */
static int
null_on(int fd)
{
	int	null;

	if ((null = open("/dev/null", O_RDWR)) == -1)
		return -1;
	if (null != fd && (dup2(null, fd) == -1 || close(null) == -1))
		return -1;
	return 0;
}

/*
 * A worker as spawner_child() makes one: 0-2 on /dev/null and the channel
 * on SANDBOX_FD_CHAN -- plus a stray descriptor that the spawner's
 * close_range would have closed, to see the sandbox close it too -- then
 * the sandbox, then the real worker.
 */
static void __attribute__((noreturn))
child_worker(int chan, const struct sandbox_limits *lim)
{
	char	err[256];

	if (null_on(STDIN_FILENO) == -1 || null_on(STDOUT_FILENO) == -1 ||
	    null_on(STDERR_FILENO) == -1 || dup2(chan, SANDBOX_FD_CHAN) == -1 ||
	    (chan != SANDBOX_FD_CHAN && close(chan) == -1) ||
	    dup2(SANDBOX_FD_CHAN, STRAY_FD) == -1)
		worker_exit(90);
	if (sandbox_worker_enter(filter, lim, err, sizeof(err)) == -1)
		worker_exit(WORKER_EXIT_SANDBOX);
	worker_run(conf, mods);
}

/* A job in a sealed memfd at offset 0, as the supervisor writes it. */
static int
job_make(uint64_t nonce, uint64_t *size_r)
{
	struct message	*m;
	struct buf	*b;
	const uint8_t	*p;
	size_t		 left;
	ssize_t		 n;
	int		 fd;

	if ((m = message_new(1024)) == NULL || (b = buf_new(1 << 16)) == NULL)
		bail("out of memory");
	if (message_set(&m->client_addr, "192.0.2.7") == -1 ||
	    message_set(&m->helo, "mx.example") == -1 ||
	    message_set(&m->sender, "a@example.org") == -1 ||
	    message_add_rcpt(m, "b@example.net") == -1 ||
	    message_add_header(m, "Subject", "capsicum") == -1 ||
	    message_add_body(m, "hello\r\n", 7) == -1 ||
	    wire_enc_job(b, nonce, m) == -1)
		bail("cannot build the job");
	if ((fd = memfd_create("t11-job", MFD_CLOEXEC |
	    MFD_ALLOW_SEALING)) == -1)
		bail("memfd_create: %s", strerror(errno));
	p = buf_data(b);
	for (left = buf_len(b); left > 0; left -= (size_t)n, p += n)
		if ((n = write(fd, p, left)) <= 0)
			bail("write: %s", strerror(errno));
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE | F_SEAL_SEAL) == -1 || lseek(fd, 0, SEEK_SET) != 0)
		bail("sealing the job: %s", strerror(errno));
	*size_r = buf_len(b);
	buf_free(&b);
	message_free(&m);
	return fd;
}

/* Sends the job; a worker that already failed may not take it. */
static void
job_send(int sock, uint64_t nonce)
{
	struct buf	*b;
	uint64_t	 size;
	int		 jfd;

	jfd = job_make(nonce, &size);
	if ((b = buf_new(WIRE_CTL_MAX + 1)) == NULL ||
	    wire_enc_jobref(b, nonce, size) == -1)
		bail("cannot encode the job reference");
	(void)wire_send(sock, b, jfd);
	close(jfd);
	buf_free(&b);
}

/* Whether a verdict with nonce comes back before the deadline. */
static int
verdict_read(int sock, uint64_t nonce)
{
	struct pollfd	 pfd = { sock, POLLIN, 0 };
	struct verdict	 v;
	struct buf	*b;
	const char	*why;
	int		 ok = 0;

	if ((b = buf_new(WIRE_VERDICT_MAX + 1)) == NULL)
		bail("out of memory");
	memset(&v, 0, sizeof(v));
	if (poll(&pfd, 1, DEADLINE_MS) == 1 &&
	    wire_recv(sock, b, WIRE_VERDICT_MAX, NULL) > 0 &&
	    wire_dec_verdict(buf_data(b), buf_len(b), &v, &why) == 0) {
		ok = v.nonce == nonce;
		verdict_clear(&v);
	}
	buf_free(&b);
	return ok;
}

/* Waits for pid until the deadline, then kills it. */
static int
child_wait(pid_t pid)
{
	long long	end = now_ms() + DEADLINE_MS;
	pid_t		got;
	int		status;

	while ((got = waitpid(pid, &status, WNOHANG)) == 0 && now_ms() < end)
		(void)poll(NULL, 0, 10);
	if (got == 0) {
		(void)kill(pid, SIGKILL);
		got = waitpid(pid, &status, 0);
	}
	if (got != pid)
		bail("waitpid: %s", strerror(errno));
	return WIFEXITED(status) ? WEXITSTATUS(status) :
	    128 + WTERMSIG(status);
}

/* Forks a worker, hands it a job, and sees what comes back. */
static void
run_worker(const struct sandbox_limits *lim, struct outcome *o)
{
	uint64_t	nonce = 0x1100cafe0000ULL + (uint64_t)now_ms();
	pid_t		pid;
	int		sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		bail("socketpair: %s", strerror(errno));
	fflush(NULL);
	if ((pid = fork()) == -1)
		bail("fork: %s", strerror(errno));
	if (pid == 0) {
		close(sv[0]);
		child_worker(sv[1], lim);
	}
	close(sv[1]);
	job_send(sv[0], nonce);
	o->verdict = verdict_read(sv[0], nonce);
	close(sv[0]);
	o->status = child_wait(pid);
}

static const struct sandbox_limits	good_limits = {
	0, CPU_SECONDS, SANDBOX_FD_JOB + 1
};

#define SEQUENCE_TESTS	7

static void
test_sequence(void)
{
	struct outcome	o;
	int		enter, job;

	shim_reset(0, 0, 0);
	run_worker(&good_limits, &o);
	enter = call_find(SHIM_ENTER, -1);
	job = call_find(SHIM_RIGHTS_LIMIT, SANDBOX_FD_JOB);
	if (!ok(o.status == WORKER_EXIT_OK && o.verdict,
	    "the worker took the job and sent its verdict"))
		diag("exit %d, verdict %d", o.status, o.verdict);
	ok(enter != -1 && limited_before(STDIN_FILENO, NO_RIGHTS0, enter) &&
	    limited_before(STDOUT_FILENO, NO_RIGHTS0, enter) &&
	    limited_before(STDERR_FILENO, NO_RIGHTS0, enter) &&
	    limited_before(SANDBOX_FD_CHAN, CHAN_RIGHTS, enter),
	    "before cap_enter: 0-2 no right, the channel recv and send, "
	    "each with no ioctl and no fcntl");
	ok(seq_match(4), "before them: tracing off and no-new-privs, "
	    "each read back");
	if (!ok(enter != -1 && (shim_log->calls[enter].state &
	    (STATE_RLIMITS | STATE_CLOSED)) == (STATE_RLIMITS | STATE_CLOSED),
	    "cap_enter came with the rlimits set and descriptors past the "
	    "channel closed"))
		diag("state %#x", enter != -1 ? shim_log->calls[enter].state : 0);
	ok(job > enter && enter != -1 &&
	    limited_before(SANDBOX_FD_JOB, JOB_RIGHTS, (int)shim_log->n),
	    "the job, received in capability mode: read, seek, mmap "
	    "read-only, no ioctl, no fcntl");
	ok(job != -1 && (shim_log->calls[job].state & STATE_UNSIZED),
	    "the job was limited before the worker sized or read it");
	if (!ok(shim_log->n == NITEMS(want_seq) &&
	    seq_match(NITEMS(want_seq)), "exactly the %zu calls of the "
	    "FreeBSD sandbox, in order", NITEMS(want_seq)))
		diag_calls();
}

/*
 * Makes each call of the sequence fail in turn with e.  Every time: the
 * worker exits with WORKER_EXIT_SANDBOX, sends no verdict, and the failed
 * call is its last; cap_enter only after every limit of 0-3 worked.
 */
static void
test_fail_each(int e, const char *ename)
{
	struct outcome	o;
	size_t		k;
	int		entered;

	for (k = 1; k <= NITEMS(want_seq); k++) {
		shim_reset((int)k, e, 0);
		run_worker(&good_limits, &o);
		entered = call_find(SHIM_ENTER, -1) != -1;
		if (!ok(o.status == WORKER_EXIT_SANDBOX && !o.verdict &&
		    shim_log->n == k && shim_log->calls[k - 1].failed &&
		    seq_match(k - 1) && entered == (k > SEQ_ENTER),
		    "call %zu of %zu (%s) fails with %s: the worker stops there",
		    k, NITEMS(want_seq), op_name(want_seq[k - 1].op), ename)) {
			diag("exit %d, verdict %d", o.status, o.verdict);
			diag_calls();
		}
	}
}

struct lie {
	int		 lies;
	size_t		 ncalls;	/* where the worker must stop */
	const char	*what;
};

static const struct lie lies[] = {
	{ SHIM_LIE_TRACE, 2, "PROC_TRACE_STATUS says tracing is on" },
	{ SHIM_LIE_NNP, 4, "PROC_NO_NEW_PRIVS_STATUS says it is off" },
	{ SHIM_LIE_GETMODE, SEQ_ENTER + 2,
	    "cap_getmode says not in capability mode" },
};

/* A setting that did not take stops the worker where it was read. */
static void
test_lies(void)
{
	struct outcome	o;
	size_t		i;

	for (i = 0; i < NITEMS(lies); i++) {
		shim_reset(0, 0, lies[i].lies);
		run_worker(&good_limits, &o);
		if (!ok(o.status == WORKER_EXIT_SANDBOX && !o.verdict &&
		    shim_log->n == lies[i].ncalls &&
		    seq_match(lies[i].ncalls - 1),
		    "%s: the worker stops", lies[i].what)) {
			diag("exit %d, verdict %d", o.status, o.verdict);
			diag_calls();
		}
	}
}

/* Limits that would leave a layer off: refused before anything. */
static void
test_bad_limits(void)
{
	struct sandbox_limits	lim = { 0, 0, SANDBOX_FD_JOB + 1 };
	struct outcome		o;

	shim_reset(0, 0, 0);
	run_worker(&lim, &o);
	ok(o.status == WORKER_EXIT_SANDBOX && !o.verdict && shim_log->n == 0,
	    "cpu_seconds 0: the worker stops before any call");
}

/*
 * In this process: the messages a failed call leaves, and a job that
 * came narrower than the worker's rights (rights are never widened).
 */
static void
test_messages(void)
{
	cap_rights_t	r;
	char		err[256] = "";
	int		rc;

	if (null_on(SANDBOX_FD_CHAN) == -1 || null_on(SANDBOX_FD_JOB) == -1)
		bail("/dev/null: %s", strerror(errno));
	shim_reset(1, ENOSYS, 0);
	rc = sandbox_capsicum_enter(err, sizeof(err));
	ok(rc == -1 && strstr(err, "without Capsicum") != NULL &&
	    strstr(err, "stdin") != NULL, "ENOSYS is named (%s)", err);
	shim_reset(3, ENOSYS, 0);
	rc = sandbox_worker_job(SANDBOX_FD_JOB, err, sizeof(err));
	ok(rc == -1 && strstr(err, "cap_fcntls_limit job") != NULL &&
	    shim_log->n == 3, "a failed limit of the job says which (%s)", err);
	shim_reset(0, 0, 0);
	(void)cap_rights_init(&r, CAP_READ);
	rc = cap_rights_limit(SANDBOX_FD_JOB, &r) == 0 ?
	    sandbox_worker_job(SANDBOX_FD_JOB, err, sizeof(err)) : 0;
	ok(rc == -1 && shim_log->n == 2 && shim_log->calls[1].failed,
	    "a job narrower than read, seek, mmap: refused (%s)", err);
}

static void
test_dump(void)
{
	char	out[4096];
	ssize_t	n;
	int	fd;

	if ((fd = memfd_create("dump", MFD_CLOEXEC)) == -1)
		bail("memfd_create: %s", strerror(errno));
	n = sandbox_filter_dump(filter, fd) == 0 ?
	    pread(fd, out, sizeof(out) - 1, 0) : -1;
	out[n > 0 ? n : 0] = '\0';
	(void)close(fd);
	if (!ok(strstr(out, "procctl PROC_TRACE_CTL 2\n") != NULL &&
	    strstr(out, "fd 0 stdin: 0 none; no ioctl, "
	    "no fcntl\n") != NULL && strstr(out, "fd 3 channel: ") != NULL &&
	    strstr(out, "cap_enter\nafter recvmsg: fd 4 job: ") != NULL &&
	    strstr(out, "read, seek, mmap read-only; no ioctl, no fcntl\n") !=
	    NULL, "sandbox_filter_dump: the order, the rights, the job"))
		diag("%s", out);
}

/* sandbox_spawner_enter reports W^X as PROC_WXMAP_STATUS has it. */
static void
test_report(void)
{
	struct sandbox_report	r;
	char			line[512], err[256];

	shim_reset(0, 0, 0);
	shim_wxmap = PROC_WXORX_ENFORCE;
	ok(sandbox_spawner_enter(filter, &r, err, sizeof(err)) == 0 &&
	    r.wxorx == 1 && (sandbox_report_str(&r, line, sizeof(line)),
	    strstr(line, "W^X enforced") != NULL), "W^X enforced: %s", line);
	shim_wxmap = PROC_WX_MAPPINGS_PERMIT;
	ok(sandbox_spawner_enter(filter, &r, err, sizeof(err)) == 0 &&
	    r.wxorx == 0 && (sandbox_report_str(&r, line, sizeof(line)),
	    strstr(line, "W+X mappings allowed") != NULL),
	    "W+X permitted: %s", line);
	shim_reset(1, EPERM, 0);
	ok(sandbox_spawner_enter(filter, &r, err, sizeof(err)) == -1 &&
	    strstr(err, "PROC_WXMAP_STATUS") != NULL,
	    "a failed PROC_WXMAP_STATUS fails (%s)", err);
}

int
main(void)
{
	char	err[256];

	signal(SIGPIPE, SIG_IGN);
	if ((conf = config_load_text(CONF, "t11.conf", stderr)) == NULL)
		bail("configuration");
	if ((mods = modules_load(conf, err, sizeof(err))) == NULL)
		bail("modules: %s", err);
	if ((filter = sandbox_filter_new(err, sizeof(err))) == NULL)
		bail("sandbox_filter_new: %s", err);
	shim_state = state_now;
	plan(SEQUENCE_TESTS + 2 * (int)NITEMS(want_seq) + (int)NITEMS(lies) +
	    1 + 3 + 1 + 3 + 1);
	test_sequence();
	test_fail_each(EBADF, "EBADF");
	test_fail_each(ENOSYS, "ENOSYS");
	test_lies();
	test_bad_limits();
	shim_state = NULL;
	test_messages();
	test_dump();
	test_report();
	sandbox_filter_free(&filter);
	ok(filter == NULL, "sandbox_filter_free sets NULL");
	modules_free(&mods);
	config_free(&conf);
	return done_testing();
}
