/*
 * 24-job: how the real worker (filterd/worker.c, worker_run with the
 * built-in modules) takes its job, each form the supervisor sends and
 * each way a job can be wrong.  A worker here is forked as the spawner
 * forks one, its channel on SANDBOX_FD_CHAN and nothing else open, but
 * without the sandbox, which other tests cover: what is checked is the
 * job's way in.  A job inline on the channel, a job's head with its body
 * in a sealed memfd, and a whole job in a sealed memfd all get a verdict
 * with their nonce, and the body rule sees the body of each; an inline
 * frame one byte over WIRE_JOB_INLINE_MAX, an inline job with a
 * descriptor, a head or a reference without one, a head whose memfd is a
 * byte short or long, a reference whose nonce is not its job's or whose
 * memfd holds a head, a job with a trailing byte, and a job over
 * limits.message_size each make the worker exit with WORKER_EXIT_IO and
 * no verdict.  A test program; it trusts nothing the worker sends.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
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
#include "t/tap.h"

#define CONF \
	"listen = \"unix:/tmp/t24.sock\";\n" \
	"user = \"nobody\";\n" \
	"on_failure = \"tempfail\";\n" \
	"limits = { message_size = 200000; };\n" \
	"allowed_headers = [ \"X-Filterd-*\" ];\n" \
	"rules = ( { name = \"lottery\"; body = \"(?i)you have won\";\n" \
	"  action = \"add-header\";\n" \
	"  add_header = \"X-Filterd-Rule: lottery\"; } );\n"

#define DEADLINE_MS	10000
#define NONCE		0x2400cafe1234ULL

static struct config	*conf;
static struct modules	*mods;

/* What came back from one worker. */
struct result {
	int	status;		/* exit status, or 128 + the signal */
	int	verdict;	/* a verdict with NONCE came */
	int	lottery;	/* and the body rule's header op in it */
};

/* How the job goes to the worker. */
enum how {
	INLINE,		/* b as the one frame */
	INLINE_FD,	/* b as the one frame, with a descriptor */
	REF,		/* a reference to b in a memfd */
	REF_NOFD,	/* the reference without its descriptor */
	REF_NONCE,	/* the reference with another nonce */
	HEAD,		/* b a head, with the body in a memfd */
	HEAD_NOFD,	/* the head without the memfd */
	HEAD_SHORT,	/* with a memfd one byte short of the body */
	HEAD_LONG,	/* with a memfd one byte longer */
	NOTHING,	/* end of file */
};

/* The body that goes with a head (HEAD...). */
static const uint8_t	*head_body;
static size_t		 head_len;

/* A message with a body of len bytes that ends "you have won". */
static struct message *
msg_of(size_t len)
{
	static const char	 tail[] = "you have won\r\n";
	struct message		*m;
	char			*body;

	if (len < sizeof(tail) - 1 || (body = malloc(len)) == NULL)
		bail("msg_of");
	memset(body, 'x', len);
	memcpy(body + len - (sizeof(tail) - 1), tail, sizeof(tail) - 1);
	if ((m = message_new(1000000)) == NULL ||
	    message_set(&m->client_addr, "192.0.2.24") == -1 ||
	    message_set(&m->sender, "a@example.org") == -1 ||
	    message_add_rcpt(m, "b@example.net") == -1 ||
	    message_add_header(m, "Subject", "t24") == -1 ||
	    message_add_body(m, body, len) == -1)
		bail("cannot build the message");
	free(body);
	return m;
}

/* The job of m, with nonce; the caller frees it. */
static struct buf *
job_of(const struct message *m, uint64_t nonce)
{
	struct buf	*b;

	if ((b = buf_new(message_size(m) + WIRE_JOB_OVERHEAD)) == NULL ||
	    wire_enc_job(b, nonce, m) == -1)
		bail("cannot encode the job");
	return b;
}

/* A sealed memfd holding n bytes of p, as the supervisor writes one. */
static int
memfd_of(const void *p, size_t n)
{
	const uint8_t	*q = p;
	ssize_t		 w;
	int		 fd;

	if ((fd = memfd_create("t24", MFD_CLOEXEC | MFD_ALLOW_SEALING)) == -1)
		bail("memfd_create: %s", strerror(errno));
	for (; n > 0; n -= (size_t)w, q += w)
		if ((w = write(fd, q, n)) <= 0)
			bail("write: %s", strerror(errno));
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE | F_SEAL_SEAL) == -1)
		bail("seals: %s", strerror(errno));
	return fd;
}

/* Sends the bytes of b as one frame, with fd when fd >= 0. */
static void
send_raw(int sock, const struct buf *b, int fd)
{
	if (wire_send(sock, b, fd) == -1)
		diag("send: %s (the worker may have gone)", strerror(errno));
}

/* Sends job b by reference: ref_nonce in the reference, b in a memfd. */
static void
send_ref(int sock, const struct buf *b, uint64_t ref_nonce, int with_fd)
{
	struct buf	*r = buf_new(WIRE_CTL_MAX);
	int		 fd;

	fd = memfd_of(buf_data(b), buf_len(b));
	if (r == NULL || wire_enc_jobref(r, ref_nonce, buf_len(b)) == -1)
		bail("cannot encode the reference");
	send_raw(sock, r, with_fd ? fd : -1);
	close(fd);
	buf_free(&r);
}

/* Sends head b and the body, in a memfd as how says. */
static void
send_head(int sock, const struct buf *b, int how)
{
	uint8_t	*p;
	size_t	 n = head_len;
	int	 fd;

	if ((p = malloc(n + 1)) == NULL)
		bail("out of memory");
	memcpy(p, head_body, n);
	p[n] = 'x';
	n += how == HEAD_LONG ? 1 : how == HEAD_SHORT ? (size_t)-1 : 0;
	fd = memfd_of(p, n);
	send_raw(sock, b, how == HEAD_NOFD ? -1 : fd);
	close(fd);
	free(p);
}

static void __attribute__((noreturn))
child(int chan)
{
	/* As spawner_child leaves it: the channel, and nothing above it. */
	if (dup2(chan, SANDBOX_FD_CHAN) == -1 ||
	    close_range(SANDBOX_FD_CHAN + 1, ~0U, 0) == -1)
		worker_exit(90);
	worker_run(conf, mods);
}

/* The verdict, if one comes before the deadline. */
static void
verdict_read(int sock, struct result *r)
{
	struct pollfd	 pfd = { sock, POLLIN, 0 };
	struct verdict	 v;
	struct buf	*b;
	const char	*why;
	size_t		 i;

	if ((b = buf_new(WIRE_VERDICT_MAX + 1)) == NULL)
		bail("out of memory");
	memset(&v, 0, sizeof(v));
	if (poll(&pfd, 1, DEADLINE_MS) == 1 &&
	    wire_recv(sock, b, WIRE_VERDICT_MAX, NULL) > 0 &&
	    wire_dec_verdict(buf_data(b), buf_len(b), &v, &why) == 0) {
		r->verdict = v.nonce == NONCE;
		for (i = 0; i < v.nops; i++)
			if (v.ops[i].value != NULL &&
			    strstr(v.ops[i].value, "lottery") != NULL)
				r->lottery = 1;
		verdict_clear(&v);
	}
	buf_free(&b);
}

static int
child_wait(pid_t pid)
{
	int	 status;

	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			bail("waitpid: %s", strerror(errno));
	return WIFEXITED(status) ? WEXITSTATUS(status) :
	    128 + WTERMSIG(status);
}


/* Forks a worker, hands it b as how says, and sees what comes back. */
static void
run(const struct buf *b, enum how how, struct result *r)
{
	pid_t	 pid;
	int	 sv[2], fd;

	memset(r, 0, sizeof(*r));
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		bail("socketpair: %s", strerror(errno));
	if ((pid = fork()) == -1)
		bail("fork: %s", strerror(errno));
	if (pid == 0)
		child(sv[1]);
	close(sv[1]);
	switch (how) {
	case INLINE:
		send_raw(sv[0], b, -1);
		break;
	case INLINE_FD:
		fd = memfd_of("x", 1);
		send_raw(sv[0], b, fd);
		close(fd);
		break;
	case REF:
	case REF_NOFD:
		send_ref(sv[0], b, NONCE, how == REF);
		break;
	case REF_NONCE:
		send_ref(sv[0], b, NONCE + 1, 1);
		break;
	case HEAD:
	case HEAD_NOFD:
	case HEAD_SHORT:
	case HEAD_LONG:
		send_head(sv[0], b, how);
		break;
	case NOTHING:
		break;
	}
	if (how == NOTHING)
		shutdown(sv[0], SHUT_WR);
	verdict_read(sv[0], r);
	close(sv[0]);
	r->status = child_wait(pid);
}

static void
served(const struct buf *b, enum how how, const char *what)
{
	struct result	 r;

	run(b, how, &r);
	ok(r.status == WORKER_EXIT_OK && r.verdict && r.lottery,
	    "%s: a verdict with the job's nonce, and the body rule saw its "
	    "body (exit %d, verdict %d, rule %d)", what, r.status, r.verdict,
	    r.lottery);
}

static void
refused(const struct buf *b, enum how how, const char *what)
{
	struct result	 r;

	run(b, how, &r);
	ok(r.status == WORKER_EXIT_IO && !r.verdict, "%s: refused, no "
	    "verdict (exit %d, verdict %d)", what, r.status, r.verdict);
}

/* The head of m's job in *b_r; its body goes with it (head_body). */
static void
head_of(const struct message *m, struct buf **b_r)
{
	if ((*b_r = buf_new(WIRE_JOB_INLINE_MAX)) == NULL ||
	    wire_enc_jobhead(*b_r, NONCE, m) == -1)
		bail("cannot encode the head");
	head_body = m->body;
	head_len = m->bodylen;
}

/* The largest inline job, and one byte more. */
static void
test_inline_bound(void)
{
	struct message	*m = msg_of(1000);
	struct buf	*b = job_of(m, NONCE);
	size_t		 body;

	/* As large as the body makes it: WIRE_JOB_INLINE_MAX exactly. */
	body = 1000 + WIRE_JOB_INLINE_MAX - buf_len(b);
	buf_free(&b);
	message_free(&m);
	m = msg_of(body);
	b = job_of(m, NONCE);
	is_int((long long)buf_len(b), WIRE_JOB_INLINE_MAX,
	    "a job of WIRE_JOB_INLINE_MAX bytes");
	served(b, INLINE, "a job of WIRE_JOB_INLINE_MAX bytes inline");
	buf_free(&b);
	message_free(&m);
	m = msg_of(body + 1);
	b = job_of(m, NONCE);
	refused(b, INLINE, "one byte more inline");
	served(b, REF, "the same in a memfd");
	buf_free(&b);
	message_free(&m);
}

int
main(void)
{
	struct message	*m;
	struct buf	*b, *t;
	struct result	 r;
	char		 err[256];

	signal(SIGPIPE, SIG_IGN);
	if ((conf = config_load_text(CONF, "t24.conf", stderr)) == NULL)
		bail("configuration");
	if ((mods = modules_load(conf, err, sizeof(err))) == NULL)
		bail("modules: %s", err);
	plan(12 + 6);

	m = msg_of(2000);
	b = job_of(m, NONCE);
	served(b, INLINE, "a small job inline");
	served(b, REF, "a small job in a memfd");
	refused(b, INLINE_FD, "an inline job with a descriptor");
	refused(b, REF_NOFD, "a reference without its descriptor");
	refused(b, REF_NONCE, "a reference whose nonce is not its job's");
	if ((t = buf_new(buf_len(b) + 1)) == NULL ||
	    buf_put(t, buf_data(b), buf_len(b)) == -1 ||
	    buf_put_u8(t, 0) == -1)
		bail("out of memory");
	refused(t, INLINE, "an inline job with a trailing byte");
	buf_free(&t);
	buf_free(&b);
	message_free(&m);

	/* Within the supervisor's message, past the worker's limit. */
	m = msg_of(200001);
	b = job_of(m, NONCE);
	refused(b, REF, "a job over limits.message_size");
	buf_free(&b);
	head_of(m, &b);
	refused(b, HEAD, "a head whose body is over limits.message_size");
	buf_free(&b);
	message_free(&m);

	m = msg_of(150000);
	head_of(m, &b);
	served(b, HEAD, "a head, with its body in a memfd");
	refused(b, HEAD_NOFD, "a head without its memfd");
	refused(b, HEAD_SHORT, "a head whose memfd is a byte short");
	refused(b, HEAD_LONG, "a head whose memfd is a byte long");
	refused(b, REF, "a reference to a memfd that holds a head");
	buf_free(&b);
	message_free(&m);

	test_inline_bound();
	run(NULL, NOTHING, &r);
	ok(r.status == WORKER_EXIT_OK && !r.verdict, "end of file before a "
	    "job: the worker exits quietly (exit %d)", r.status);
	modules_free(&mods);
	config_free(&conf);
	return done_testing();
}
