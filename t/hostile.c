/*
 * hostile: a filter module that misbehaves on command, for the
 * hostile-worker tests.  It runs in a worker, like any module, and does
 * what an attacker who owns the worker would try: the X-Hostile header of
 * the message names one misdeed.  It is linked only into t/filterd-hostile,
 * never into filterd.
 *
 * Where a misdeed could succeed without being killed (a probe answered
 * with an error), the module reports success loudly -- an added header
 * X-Filterd-Leak -- and failure quietly, by exiting without a verdict, so
 * that a test sees the fallback exactly when the sandbox held.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <netinet/in.h>
#include <unistd.h>

#include "filterd/lib/message.h"
#include "filterd/lib/verdict.h"
#include "filterd/lib/wire.h"
#include "filterd/worker.h"
#include "filters/filter_impl.h"
#include "sandbox/sandbox.h"

#ifndef __X32_SYSCALL_BIT
#define __X32_SYSCALL_BIT	0x40000000
#endif

static void
leak(struct verdict *v, const char *what)
{
	verdict_add_op(v, HDR_ADD, 0, "X-Filterd-Leak", what);
}

/* A probe that was answered: the sandbox leaked if it succeeded. */
static void
probe(struct verdict *v, long rc, const char *what)
{
	if (rc >= 0)
		leak(v, what);
	else
		worker_exit(1);
}

static void
send_raw(const struct buf *b)
{
	(void)wire_send(SANDBOX_FD_CHAN, b, -1);
}

static void
raw_frames(const char *cmd, struct verdict *v)
{
	struct buf	*b = buf_new(1 << 20);
	size_t		 i;

	if (strcmp(cmd, "two-verdicts") == 0) {
		wire_enc_verdict(b, v);
		send_raw(b);
		return;		/* the worker sends the second */
	}
	/*
	 * A worker that outlives its message: its verdict, then maybe an
	 * empty record (which reads as 0 bytes, like end of file), then it
	 * stays, its channel open.
	 */
	if (strncmp(cmd, "verdict-", 8) == 0) {
		wire_enc_verdict(b, v);
		send_raw(b);
		buf_reset(b);
		if (strncmp(cmd, "verdict-empty-", 14) == 0)
			send_raw(b);
		if (strcmp(cmd, "verdict-empty-exit") == 0)
			worker_exit(0);
		for (;;)
			;
	}
	if (strcmp(cmd, "empty") == 0) {
		send_raw(b);
		worker_exit(0);
	}
	if (strcmp(cmd, "oversized") == 0) {
		wire_enc_verdict(b, v);
		while (buf_len(b) < WIRE_VERDICT_MAX + 100)
			buf_put_u8(b, 0);
		buf_poke_u32(b, 4, (uint32_t)(buf_len(b) - WIRE_HDR_LEN));
	} else if (strcmp(cmd, "truncated") == 0) {
		wire_enc_verdict(b, v);
		struct buf *half = buf_new(WIRE_VERDICT_MAX);
		buf_put(half, buf_data(b), buf_len(b) / 2);
		send_raw(half);
		worker_exit(0);
	} else if (strcmp(cmd, "too-many-ops") == 0) {
		buf_put_u8(b, WIRE_VERSION);
		buf_put_u8(b, WIRE_VERDICT);
		buf_put_u16(b, 0);
		buf_put_u32(b, 0);
		buf_put_u64(b, v->nonce);
		buf_put_u8(b, ACTION_ACCEPT);
		for (i = 0; i < 5; i++)
			buf_put_u32(b, 0);
		buf_put_u32(b, VERDICT_OPS_MAX + 1);
		for (i = 0; i < VERDICT_OPS_MAX + 1; i++) {
			buf_put_u8(b, HDR_ADD);
			buf_put_u32(b, 0);
			buf_put_str(b, "X-Filterd-Op");
			buf_put_u8(b, 1);
			buf_put_str(b, "x");
		}
		buf_put_u32(b, 0);
		buf_put_u32(b, 0);
		buf_poke_u32(b, 4, (uint32_t)(buf_len(b) - WIRE_HDR_LEN));
	} else if (strcmp(cmd, "too-many-logs") == 0) {
		/* One log line more than the verdict's array holds. */
		buf_put_u8(b, WIRE_VERSION);
		buf_put_u8(b, WIRE_VERDICT);
		buf_put_u16(b, 0);
		buf_put_u32(b, 0);
		buf_put_u64(b, v->nonce);
		buf_put_u8(b, ACTION_ACCEPT);
		for (i = 0; i < 5; i++)
			buf_put_u32(b, 0);
		buf_put_u32(b, 0);	/* no operations */
		buf_put_u32(b, 0);	/* no rule names */
		buf_put_u32(b, VERDICT_LOGS_MAX + 1);
		for (i = 0; i < VERDICT_LOGS_MAX + 1; i++)
			buf_put_str(b, "log");
		buf_poke_u32(b, 4, (uint32_t)(buf_len(b) - WIRE_HDR_LEN));
	} else if (strcmp(cmd, "short-length") == 0) {
		/* A good verdict whose declared length is one byte short. */
		wire_enc_verdict(b, v);
		buf_poke_u32(b, 4, (uint32_t)(buf_len(b) - WIRE_HDR_LEN - 1));
	} else if (strcmp(cmd, "garbage") == 0)
		buf_put(b, "GET / HTTP/1.0\r\n\r\n", 18);
	else {
		buf_free(&b);
		return;
	}
	send_raw(b);
	worker_exit(0);
}

static void
syscalls(const char *cmd, struct verdict *v)
{
	struct sockaddr_in	 sin;
	struct io_uring_params	 iop;
	struct stat		 st;
	char			 buf[64];
	void			*p;
	long			 rc;
	int			 fd;

	if (strcmp(cmd, "open") == 0) {
		fd = open("/etc/passwd", O_RDONLY);
		if (fd >= 0 && read(fd, buf, sizeof(buf) - 1) > 0)
			leak(v, "open");
		probe(v, fd, "open");
	} else if (strcmp(cmd, "openat") == 0)
		probe(v, syscall(SYS_openat, AT_FDCWD, "/etc/passwd",
		    O_RDONLY), "openat");
	else if (strcmp(cmd, "stat") == 0)
		probe(v, stat("/etc/passwd", &st), "stat");
	else if (strcmp(cmd, "socket") == 0)
		probe(v, socket(AF_INET, SOCK_STREAM, 0), "socket");
	else if (strcmp(cmd, "connect") == 0) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(25);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		probe(v, syscall(SYS_connect, SANDBOX_FD_CHAN, &sin,
		    sizeof(sin)), "connect");
	} else if (strcmp(cmd, "execve") == 0) {
		char *argv[] = { (char *)(uintptr_t)"/bin/true", NULL };
		probe(v, execve(argv[0], argv, argv + 1), "execve");
	} else if (strcmp(cmd, "fork") == 0)
		probe(v, syscall(SYS_fork), "fork");
	else if (strcmp(cmd, "clone") == 0)
		probe(v, syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0), "clone");
	else if (strcmp(cmd, "ptrace") == 0)
		probe(v, ptrace(PTRACE_ATTACH, getppid(), 0, 0), "ptrace");
	else if (strcmp(cmd, "kill-spawner") == 0)
		probe(v, kill(getppid(), SIGKILL), "kill");
	else if (strcmp(cmd, "kill-all") == 0)
		probe(v, kill(-1, SIGKILL), "kill -1");
	else if (strcmp(cmd, "write-stderr") == 0)
		probe(v, write(STDERR_FILENO, "x", 1), "write 2");
	else if (strcmp(cmd, "mmap-exec") == 0) {
		p = mmap(NULL, 4096, PROT_READ | PROT_EXEC,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		probe(v, p == MAP_FAILED ? -1 : 0, "mmap exec");
	} else if (strcmp(cmd, "mprotect-exec") == 0) {
		p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
		probe(v, mprotect(p, 4096, PROT_READ | PROT_EXEC),
		    "mprotect exec");
	} else if (strcmp(cmd, "i386") == 0) {
		/* getpid through the 32-bit entry point. */
		__asm__ volatile ("int $0x80" : "=a"(rc) : "a"(20L) : "memory");
		probe(v, rc, "int 0x80");
	} else if (strcmp(cmd, "x32") == 0)
		probe(v, syscall(__X32_SYSCALL_BIT | SYS_getpid), "x32");
	else if (strcmp(cmd, "io_uring") == 0) {
		memset(&iop, 0, sizeof(iop));
		probe(v, syscall(SYS_io_uring_setup, 4, &iop), "io_uring");
	} else if (strcmp(cmd, "bpf") == 0)
		probe(v, syscall(SYS_bpf, 0, NULL, 0), "bpf");
	else if (strcmp(cmd, "unshare") == 0)
		probe(v, unshare(CLONE_NEWUSER), "unshare");
	else
		return;
}

/* A wild write, hidden from the compiler's null checks. */
static void
raise_segv(void)
{
	volatile uintptr_t	 addr = 8;

	*(volatile int *)addr = 1;
}

static void
misbehave(const char *cmd, struct verdict *v)
{
	char		*p;
	size_t		 n;

	syscalls(cmd, v);
	raw_frames(cmd, v);
	if (strcmp(cmd, "memory") == 0) {
		for (n = 0; n < 64 * 1024; n++) {
			if ((p = malloc(1 << 20)) == NULL)
				worker_exit(1);
			memset(p, 1, 1 << 20);
		}
		leak(v, "memory");
	} else if (strcmp(cmd, "spin") == 0) {
		for (;;)
			;
	} else if (strcmp(cmd, "slow") == 0) {
		/* Well-behaved, only slow: for the reload test. */
		struct timespec	 t0, t;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		do
			clock_gettime(CLOCK_MONOTONIC, &t);
		while ((t.tv_sec - t0.tv_sec) * 1000 +
		    (t.tv_nsec - t0.tv_nsec) / 1000000 < 1500);
		verdict_add_op(v, HDR_ADD, 0, "X-Hostile-Slow", "done");
	} else if (strcmp(cmd, "silent") == 0) {
		char	 c;

		/* Blocks until the supervisor gives up and hangs up. */
		while (read(SANDBOX_FD_CHAN, &c, 1) > 0)
			;
		worker_exit(0);
	} else if (strcmp(cmd, "segv") == 0)
		raise_segv();
	else if (strcmp(cmd, "exit") == 0)
		worker_exit(0);
	else if (strcmp(cmd, "wrong-nonce") == 0)
		v->nonce ^= 1;
	else if (strcmp(cmd, "bad-action") == 0)
		v->action = 42;
	else if (strcmp(cmd, "discard") == 0)
		v->action = ACTION_DISCARD;	/* no rule allows it */
	else if (strcmp(cmd, "bad-code") == 0) {
		v->action = ACTION_REJECT;
		verdict_set_reply(v, "2x0", NULL, "x");
	} else if (strcmp(cmd, "bad-class") == 0) {
		v->action = ACTION_REJECT;
		verdict_set_reply(v, "451", "4.7.1", "wrong class");
	} else if (strcmp(cmd, "bad-text") == 0) {
		v->action = ACTION_REJECT;
		verdict_set_reply(v, "550", "5.7.1", "a\r\n250 2.0.0 ok");
	} else if (strcmp(cmd, "colon-name") == 0)
		verdict_add_op(v, HDR_ADD, 0, "X-Filterd-A:B", "x");
	else if (strcmp(cmd, "bare-lf") == 0)
		verdict_add_op(v, HDR_ADD, 0, "X-Filterd-A", "a\nBcc: x@y");
	else if (strcmp(cmd, "insert-header") == 0)
		verdict_add_op(v, HDR_INSERT, 0, "X-Filterd-First", "top");
	else if (strcmp(cmd, "change-header") == 0)
		verdict_add_op(v, HDR_CHANGE, 1, "X-Filterd-Old", "new\r\n\tvalue");
	else if (strcmp(cmd, "delete-headers") == 0) {
		verdict_add_op(v, HDR_DELETE, 1, "X-Filterd-Old", NULL);
		verdict_add_op(v, HDR_DELETE, 2, "X-Filterd-Old", NULL);
	} else if (strcmp(cmd, "percent") == 0) {
		v->action = ACTION_REJECT;
		verdict_set_reply(v, "550", "5.7.1", "100% spam");
	} else if (strcmp(cmd, "not-allowed") == 0)
		verdict_add_op(v, HDR_ADD, 0, "Received", "from nowhere");
}

static int
hostile_init(const struct config *c, unsigned flags, void **state_r,
    char *err, size_t len)
{
	*state_r = NULL;
	return 0;
}

static int
hostile_check(void *state, const struct filter_msg *fm,
    struct filter_result *fr)
{
	const struct message	*m = fm->m;
	struct verdict		*v = fr->v;
	size_t			 i;

	for (i = 0; i < m->nhdrs; i++)
		if (strcasecmp(m->hdrs[i].name, "X-Hostile") == 0)
			misbehave(m->hdrs[i].value + strspn(m->hdrs[i].value,
			    " \t"), v);
	return 0;
}

static void
hostile_free(void *state)
{
}

static const struct filter_module filter_hostile = {
	.abi = FILTER_ABI_VERSION,
	.name = "hostile",
	.init = NULL,
	.check = hostile_check,
	.free = hostile_free,
};

#include "filters/attach.h"
#include "filters/limits.h"
#include "filters/rules.h"
#include "filters/scoring.h"

const struct builtin_module filter_builtins[] = {
	{ &filter_hostile, hostile_init, 0 },
	{ &filter_limits, limits_init, 0 },
	{ &filter_attach, attach_init, 0 },
	{ &filter_rules, rules_init, 0 },
	{ &filter_scoring, scoring_init, 1 },
	{ NULL, NULL, 0 },
};
