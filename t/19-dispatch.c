/*
 * 19-dispatch: the supervisor's dispatcher (filterd/super_dispatch.c) in
 * one process, against a fake parent and fake spawners on socketpairs,
 * each a thread, whose workers are forked processes handed out with a
 * pidfd, as the real spawner's are.  A silent spawner or a silent parent
 * costs each of two concurrent messages its own deadline, not the
 * other's; after a reload is announced, the workers kept ready from the
 * older generation are closed unused and the next message gets a worker of
 * the new one; with no spawner and no parent, a message fails at once.
 * And no message is answered while its worker lives: one that stays after
 * its verdict is killed first, an empty record after the verdict is a
 * failure, and a worker that exits normally has exited when the answer
 * comes.  A standby spawner is kept ready: when the spawner in use retires,
 * the next message is served at once, even by a parent that has stopped
 * answering.  A worker that dies without a verdict retires its spawner
 * before any sibling serves, and its client is penalised: its next message
 * gets the fallback without a worker, another client's does not, and the
 * penalty ends, and doubles with a second offence; loopback is exempt; a
 * worker that times out is an offence too.  Workers are pushed ahead of
 * demand: while mail flows four wait in the supervisor's stock, one grant
 * tops it up for several messages, four messages at once are served from
 * the stock with the spawner silent, and when a worker fails, the
 * siblings its spawner pushed ahead are closed unused.  A small job goes
 * inline, a larger one in a memfd.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "filterd/lib/buf.h"
#include "filterd/lib/config.h"
#include "filterd/lib/log.h"
#include "filterd/lib/message.h"
#include "filterd/lib/verdict.h"
#include "filterd/lib/wire.h"
#include "filterd/super_dispatch.h"
#include "t/tap.h"

/*
 * worker_timeout is 1 s where a test waits for a deadline to pass (a
 * silent spawner or parent), and 5 s elsewhere: a sanitizer build's fake
 * worker, executed on a loaded machine, can take over a second to start.
 */
#define CONF_T(size, timeout) \
	"listen = \"unix:/tmp/t17.sock\";\n" \
	"user = \"nobody\";\n" \
	"on_failure = \"tempfail\";\n" \
	"limits = { worker_timeout = " timeout "; message_size = " size "; };\n" \
	"penalty = { base = 2; max = 60; };\n"
#define CONF(size)	CONF_T(size, "5")

/* A fake worker's descriptors: its channel, and its spawner's counters. */
#define WORKER_FD_CHAN		3
#define WORKER_FD_SHARED	4

/* The largest message a fake worker takes. */
#define JOB_MSG_MAX	1000000

/* What a fake worker does after its verdict. */
enum { W_EXIT, W_LINGER, W_EMPTY, W_EMPTY_LINGER };

/*
 * A fake spawner, in memory shared with its workers' processes, which
 * count themselves in served, unused and crashed.
 */
struct spawner {
	int		 fd;		/* its end of the control socket */
	int		 memfd;		/* of this, shared with its workers */
	unsigned	 silent;	/* atomic: reads grants, answers none */
	int		 unasked;	/* sends a worker before any grant */
	int		 mode;		/* W_*, for the workers it forks */
	unsigned	 handed;	/* atomic, as the counters below */
	unsigned	 started;	/* workers executed and waiting */
	unsigned	 served;	/* workers that got a job */
	unsigned	 unused;	/* workers closed without one */
	unsigned	 crashed;	/* workers that gave no verdict */
	unsigned	 ended;		/* its control socket was closed */
	unsigned	 granted;	/* workers the supervisor granted */
	unsigned	 inline_jobs;	/* jobs that came inline */
	unsigned	 head_jobs;	/* as a head, and the body's memfd */
	unsigned	 memfd_jobs;	/* whole in a memfd */
	size_t		 last_body;	/* the last job's body length */
	uint32_t	 last_sum;	/* and body_sum of it */
	unsigned	 grants;	/* in that many frames */
	uint64_t	 gen;		/* the generation it was handed with */
	pthread_t	 tid;
	pid_t		 pids[64];	/* its workers, reaped at its end */
	unsigned	 nw;
};

/* A fake parent: a spawner per request, then its configuration. */
struct parent {
	int		 fd;
	unsigned	 silent;	/* atomic */
	unsigned	 silent_spawners;
	int		 unasked_first;	/* its first spawner sends unasked */
	pthread_mutex_t	 lock;
	uint64_t	 gen;
	int		 snap;
	struct spawner	*spawners[16];
	unsigned	 nspawners;	/* atomic */
	pthread_t	 tid;
};

static long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static unsigned
get(const unsigned *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void
bump(unsigned *p)
{
	__atomic_add_fetch(p, 1, __ATOMIC_ACQ_REL);
}

static void
bump_by(unsigned *p, unsigned n)
{
	__atomic_add_fetch(p, n, __ATOMIC_ACQ_REL);
}

/* Waits up to ms for *p to reach want. */
static int
wait_for(const unsigned *p, unsigned want, int ms)
{
	long long	 end = now_ms() + ms;

	while (get(p) < want && now_ms() < end)
		usleep(10000);
	return get(p) >= want;
}

/*
 * Ends a forked worker as filterd's do: not _exit(), which a sanitizer
 * build turns into a leak check of a fork of this threaded process.
 */
static void __attribute__((noreturn))
w_exit(int status)
{
	for (;;)
		syscall(SYS_exit_group, status);
}

/* A checksum of n bytes, to see the worker got the right body. */
static uint32_t
sum(const uint8_t *p, size_t n)
{
	uint32_t	 h = 2166136261U;
	size_t		 i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619U;
	return h;
}

/* Of m's whole body, wherever it is kept. */
static uint32_t
body_sum(const struct message *m)
{
	uint8_t		*p;
	uint32_t	 h;

	if ((p = malloc(m->bodylen + 1)) == NULL ||
	    message_body_copy(m, p) == -1)
		bail("message_body_copy");
	h = sum(p, m->bodylen);
	free(p);
	return h;
}

/*
 * What the job's message asks of the worker: 0 nothing, 1 to end without
 * a verdict (X-Crash: yes), 2 to stay silent (X-Crash: silent).
 */
static int
job_crashes(const struct message *m)
{
	size_t	 i;
	int	 crash = 0;

	for (i = 0; i < m->nhdrs; i++)
		if (strcasecmp(m->hdrs[i].name, "X-Crash") == 0)
			crash = strcmp(m->hdrs[i].value, "silent") == 0 ? 2 : 1;
	return crash;
}

/* Maps all of memfd fd, which must hold size bytes. */
static const uint8_t *
job_map(int fd, uint64_t size)
{
	void	*p;

	if (lseek(fd, 0, SEEK_END) != (off_t)size)
		w_exit(1);
	p = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		w_exit(1);
	return p;
}

/*
 * The job, in any of its forms (wire.h), decoded into m; counts which
 * form it came in.  Returns its nonce; 0 at end of file.
 */
static uint64_t
job_read(struct spawner *s, int fd, struct buf *b, struct message *m)
{
	const uint8_t	*p;
	const char	*why;
	uint64_t	 nonce = 0, jnonce = 0, size;
	size_t		 len;
	int		 jfd = -1;

	if (wire_recv(fd, b, WIRE_JOB_INLINE_MAX, &jfd) <= 0)
		return 0;
	if (jfd == -1) {
		bump(&s->inline_jobs);
		if (wire_dec_job(buf_data(b), buf_len(b), &nonce, m,
		    &why) == -1)
			w_exit(1);
		return nonce;
	}
	if (wire_peek_type(buf_data(b), buf_len(b)) == WIRE_JOBHEAD) {
		bump(&s->head_jobs);
		if (wire_dec_jobhead(buf_data(b), buf_len(b), &nonce, m, &len,
		    &why) == -1 ||
		    message_body_ref(m, job_map(jfd, len), len) == -1)
			w_exit(1);
		return nonce;
	}
	bump(&s->memfd_jobs);
	if (wire_dec_jobref(buf_data(b), buf_len(b), &nonce, &size,
	    &why) == -1 || (p = job_map(jfd, size)) == NULL ||
	    wire_dec_job(p, (size_t)size, &jnonce, m, &why) == -1 ||
	    jnonce != nonce)
		w_exit(1);
	return nonce;
}

/*
 * In a forked worker, on fd: one job, one valid verdict; or end of file;
 * or, for a message with X-Crash, an end without a verdict, as a crashed
 * worker's.
 */
static void __attribute__((noreturn))
worker_main(struct spawner *s, int fd)
{
	struct verdict	*v = verdict_new();
	struct buf	*b = buf_new(WIRE_JOB_INLINE_MAX + 1);
	struct buf	*empty = buf_new(1);
	struct message	*m = message_new(JOB_MSG_MAX);
	uint64_t	 nonce;

	if (v == NULL || b == NULL || empty == NULL || m == NULL)
		w_exit(1);
	if ((nonce = job_read(s, fd, b, m)) == 0) {
		bump(&s->unused);
		w_exit(0);
	}
	s->last_body = m->bodylen;
	s->last_sum = body_sum(m);
	switch (job_crashes(m)) {
	case 1:
		bump(&s->crashed);
		w_exit(0);
	case 2:
		for (;;)
			pause();	/* until the supervisor kills it */
	}
	v->nonce = nonce;
	v->action = ACTION_ACCEPT;
	if (wire_enc_verdict(b, v) == 0)
		(void)wire_send(fd, b, -1);
	bump(&s->served);
	if (s->mode == W_EMPTY || s->mode == W_EMPTY_LINGER)
		(void)wire_send(fd, empty, -1);
	while (s->mode == W_LINGER || s->mode == W_EMPTY_LINGER)
		pause();
	w_exit(0);
}

/* Forks a worker and hands it out with a pidfd, as the spawner does. */
static void
spawner_hand(struct spawner *s, struct buf *b)
{
	long long	 end;
	pid_t		 pid;
	int		 sv[2], fds[2];

	if (s->nw == sizeof(s->pids) / sizeof(s->pids[0]))
		bail("too many workers");
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1 ||
	    wire_passcred(sv[0]) == -1)
		bail("socketpair: %s", strerror(errno));
	if ((pid = fork()) == -1)
		bail("fork: %s", strerror(errno));
	/*
	 * The worker is this program again, executed: a fork of this
	 * threaded process may not allocate (a sanitizer's allocator lock
	 * held by another thread stays held in the child).  Only its own
	 * end, or the supervisor never sees EOF; and the shared counters.
	 */
	if (pid == 0) {
		if (dup2(sv[1], WORKER_FD_CHAN) == -1 ||
		    dup2(s->memfd, WORKER_FD_SHARED) == -1 ||
		    close_range(WORKER_FD_SHARED + 1, ~0U, 0) == -1)
			w_exit(1);
		execl("/proc/self/exe", "19-dispatch", "worker", (char *)NULL);
		w_exit(1);
	}
	close(sv[1]);
	s->pids[s->nw++] = pid;
	/* Handed out once waiting for its job, as the spawner's are. */
	end = now_ms() + 10000;
	while (get(&s->started) < s->nw && now_ms() < end)
		usleep(500);
	if (get(&s->started) < s->nw)
		bail("a fake worker did not start");
	if ((fds[1] = (int)syscall(SYS_pidfd_open, pid, 0)) == -1)
		bail("pidfd_open: %s", strerror(errno));
	fds[0] = sv[0];
	/* Retired meanwhile: the worker reads end of file. */
	if (wire_enc_pid(b, WIRE_WORKER, pid) == 0 &&
	    wire_send_fds(s->fd, b, fds, 2) == 0)
		bump(&s->handed);
	close(fds[0]);
	close(fds[1]);
}

/* Whether the worker pid is one of s's. */
static int
spawner_owns(const struct spawner *s, pid_t pid)
{
	unsigned	 i;

	for (i = 0; i < s->nw; i++)
		if (s->pids[i] == pid)
			return 1;
	return 0;
}

static void *
spawner_thread(void *arg)
{
	struct spawner	*s = arg;
	struct buf	*b = buf_new(WIRE_CTL_MAX + 1);
	const char	*why;
	unsigned	 i, n;

	if (b == NULL)
		bail("out of memory");
	if (s->unasked)
		spawner_hand(s, b);
	while (wire_recv(s->fd, b, WIRE_CTL_MAX, NULL) > 0) {
		if (wire_dec_grant(buf_data(b), buf_len(b), &n, &why) == -1)
			bail("the supervisor sent a bad grant: %s", why);
		bump_by(&s->granted, n);
		bump(&s->grants);
		while (!get(&s->silent) && n-- > 0)
			spawner_hand(s, b);
	}
	bump(&s->ended);
	close(s->fd);
	buf_free(&b);
	/* The supervisor closes every worker, by dispatch_free at the latest. */
	for (i = 0; i < s->nw; i++)
		while (waitpid(s->pids[i], NULL, 0) == -1 && errno == EINTR)
			;
	return NULL;
}

static struct spawner *spawner_start2(unsigned, int, int *);

static void
spawner_free(struct spawner *s)
{
	close(s->memfd);
	munmap(s, sizeof(*s));
}

/* Starts a fake spawner; returns it, *ctl_r the supervisor's end. */
static struct spawner *
spawner_start(unsigned silent, int *ctl_r)
{
	return spawner_start2(silent, 0, ctl_r);
}

/* Starts a fake spawner that may send a worker before any grant. */
static struct spawner *
spawner_start2(unsigned silent, int unasked, int *ctl_r)
{
	struct spawner	*s;
	int		 sv[2], mfd;

	/* In a memfd, for the workers it executes to map. */
	if ((mfd = memfd_create("t19-spawner", MFD_CLOEXEC)) == -1 ||
	    ftruncate(mfd, sizeof(*s)) == -1 ||
	    (s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED,
	    mfd, 0)) == MAP_FAILED ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		bail("spawner_start: %s", strerror(errno));
	memset(s, 0, sizeof(*s));
	s->memfd = mfd;
	s->fd = sv[1];
	s->silent = silent;
	s->unasked = unasked;
	*ctl_r = sv[0];
	if (pthread_create(&s->tid, NULL, spawner_thread, s) != 0)
		bail("pthread_create");
	return s;
}

static void
parent_answer(struct parent *p, struct buf *b)
{
	struct spawner	*s;
	unsigned	 n = get(&p->nspawners);
	int		 ctl;

	if (n == sizeof(p->spawners) / sizeof(p->spawners[0]))
		bail("too many spawners");
	s = spawner_start2(p->silent_spawners, p->unasked_first && n == 0,
	    &ctl);
	p->spawners[n] = s;
	pthread_mutex_lock(&p->lock);
	s->gen = p->gen;
	if (wire_enc_pid(b, WIRE_SPAWNER, (pid_t)(n + 1) * 100) == -1 ||
	    wire_send(p->fd, b, ctl) == -1 ||
	    wire_enc_config(b, p->gen) == -1 ||
	    wire_send(p->fd, b, p->snap) == -1) {
		/*
		 * The dispatcher may be freed while its last request (a
		 * standby, often) is being answered: parent_stop closed its
		 * end.  The spawner's thread ends when ctl closes below.
		 */
		if (errno != EPIPE && errno != ECONNRESET)
			bail("cannot hand a spawner out: %s", strerror(errno));
	}
	pthread_mutex_unlock(&p->lock);
	close(ctl);
	bump(&p->nspawners);
}

static void *
parent_thread(void *arg)
{
	struct parent	*p = arg;
	struct buf	*b = buf_new(WIRE_CTL_MAX + 1);

	if (b == NULL)
		bail("out of memory");
	while (wire_recv(p->fd, b, WIRE_CTL_MAX, NULL) > 0)
		if (!get(&p->silent))
			parent_answer(p, b);
	buf_free(&b);
	return NULL;
}

/* Starts a fake parent with generation 1 of c; *pchan_r: our end. */
static void
parent_start(struct parent *p, const struct config *c, int *pchan_r)
{
	int	 sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1 ||
	    (p->snap = config_snapshot(c)) == -1)
		bail("parent_start: %s", strerror(errno));
	pthread_mutex_init(&p->lock, NULL);
	p->fd = sv[1];
	p->gen = 1;
	*pchan_r = sv[0];
	if (pthread_create(&p->tid, NULL, parent_thread, p) != 0)
		bail("pthread_create");
}

/* Once the dispatcher is gone: our end of pchan closes, the parent ends. */
static void
parent_stop(struct parent *p, int pchan)
{
	unsigned	 i;

	close(pchan);
	pthread_join(p->tid, NULL);
	for (i = 0; i < get(&p->nspawners); i++) {
		pthread_join(p->spawners[i]->tid, NULL);
		spawner_free(p->spawners[i]);
	}
	close(p->fd);
	close(p->snap);
	pthread_mutex_destroy(&p->lock);
}

static struct config *
conf(const char *text)
{
	struct config	*c;

	if ((c = config_load_text(text, "t17.conf", stderr)) == NULL)
		bail("configuration refused");
	return c;
}

/*
 * A message from the client at addr, whose worker ends without a verdict
 * (crash 1), stays silent (2) or serves (0).
 */
static struct message *
msg_from(const char *addr, int crash)
{
	struct message	*m;

	if ((m = message_new(100000)) == NULL ||
	    message_set(&m->client_addr, addr) == -1 ||
	    message_set(&m->sender, "a@example.org") == -1 ||
	    message_add_rcpt(m, "b@example.net") == -1 ||
	    message_add_header(m, "Subject", "test") == -1 ||
	    (crash && message_add_header(m, "X-Crash", crash == 2 ? "silent" :
	    "yes") == -1) ||
	    message_add_body(m, "hello\r\n", 7) == -1)
		bail("message");
	return m;
}

static struct message *
msg(void)
{
	return msg_from("192.0.2.1", 0);
}

/* The fake spawner that made worker pid, or NULL. */
static struct spawner *
spawner_of(struct parent *p, pid_t pid)
{
	unsigned	 i;

	for (i = 0; i < get(&p->nspawners); i++)
		if (spawner_owns(p->spawners[i], pid))
			return p->spawners[i];
	return NULL;
}

struct run {
	struct dispatch		*d;
	const struct message	*m;
	struct outcome		 o;
	long long		 ms;
	pthread_t		 tid;
};

static void *
run_thread(void *arg)
{
	struct run	*r = arg;
	long long	 start = now_ms();

	dispatch_run(r->d, r->m, &r->o);
	r->ms = now_ms() - start;
	return NULL;
}

/* Two messages at once; both must end within their own deadline. */
static void
two_at_once(struct dispatch *d, const struct message *m, const char *what,
    const char *why)
{
	struct run	 r[2];
	int		 i;

	for (i = 0; i < 2; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].d = d;
		r[i].m = m;
		if (pthread_create(&r[i].tid, NULL, run_thread, &r[i]) != 0)
			bail("pthread_create");
	}
	for (i = 0; i < 2; i++) {
		pthread_join(r[i].tid, NULL);
		ok(r[i].o.kind == OUTCOME_FALLBACK && r[i].ms < 1500, "%s: message %d gets "
		    "the fallback within its deadline (%lld ms)", what, i + 1,
		    r[i].ms);
		ok(strstr(r[i].o.why, why) != NULL, "%s: message %d: why: %s",
		    what, i + 1, r[i].o.why);
		outcome_clear(&r[i].o);
	}
}

static void
test_reload(const struct message *m)
{
	struct config	*c1 = conf(CONF("100000")), *c2 = conf(CONF("5000"));
	struct parent	 p;
	struct dispatch	*d;
	struct outcome	 o;
	struct dgen	*g;
	struct spawner	*s1, *s;
	uint64_t	 announced = 1;
	unsigned	 left;
	int		 pchan;

	memset(&p, 0, sizeof(p));
	parent_start(&p, c1, &pchan);
	if ((d = dispatch_new(pchan, c1, &announced)) == NULL)
		bail("dispatch_new");
	dispatch_run(d, m, &o);
	s1 = p.spawners[0];
	ok(o.kind != OUTCOME_FALLBACK && spawner_owns(s1, o.pid),
	    "a worker of the first spawner serves a message (%ld%s%s)",
	    (long)o.pid, o.kind == OUTCOME_FALLBACK ? ": " : "", o.why);
	outcome_clear(&o);
	ok(wait_for(&s1->handed, 3, 2000),
	    "two more workers are made ready (%u handed out)",
	    get(&s1->handed));

	/* The parent reloads: generation 2, with a smaller message_size. */
	pthread_mutex_lock(&p.lock);
	close(p.snap);
	if ((p.snap = config_snapshot(c2)) == -1)
		bail("config_snapshot");
	p.gen = 2;
	pthread_mutex_unlock(&p.lock);
	__atomic_store_n(&announced, 2, __ATOMIC_RELEASE);
	dispatch_run(d, m, &o);
	s = spawner_of(&p, o.pid);
	ok(o.kind != OUTCOME_FALLBACK && s != NULL && s->gen == 2,
	    "after the reload, a worker of a spawner of generation 2 (%ld%s%s)",
	    (long)o.pid, o.kind == OUTCOME_FALLBACK ? ": " : "", o.why);
	outcome_clear(&o);
	left = get(&s1->handed) - get(&s1->served);
	ok(get(&s1->served) == 1, "no worker of generation 1 served after "
	    "the reload was announced (%u served)", get(&s1->served));
	ok(wait_for(&s1->unused, left, 3000), "the %u workers of generation "
	    "1 kept ready are closed unused", left);
	g = dispatch_hold(d);
	is_int(dgen_config(g)->message_size, 5000,
	    "the supervisor holds generation 2");
	dispatch_release(d, &g);
	dispatch_free(&d);
	parent_stop(&p, pchan);
	config_free(&c1);
	config_free(&c2);
}

static void
test_silent(const struct message *m, int parent_silent)
{
	struct config	*c = conf(CONF_T("100000", "1"));
	struct parent	 p;
	struct dispatch	*d;
	uint64_t	 announced = 1;
	int		 pchan;

	memset(&p, 0, sizeof(p));
	p.silent = parent_silent;
	p.silent_spawners = !parent_silent;
	parent_start(&p, c, &pchan);
	if ((d = dispatch_new(pchan, c, &announced)) == NULL)
		bail("dispatch_new");
	if (parent_silent)
		two_at_once(d, m, "a silent parent",
		    "waiting for a spawner from the parent");
	else
		two_at_once(d, m, "a silent spawner", "has not answered");
	dispatch_free(&d);
	parent_stop(&p, pchan);
	config_free(&c);
}

/*
 * The spawner in use retires; the parent stops answering.  The standby,
 * ready before it was needed, serves the next message at once.
 */
static void
test_standby(const struct message *m)
{
	struct config	*c = conf(CONF("100000"));
	struct parent	 p;
	struct dispatch	*d;
	struct outcome	 o;
	struct spawner	*s0, *s;
	uint64_t	 announced = 1;
	long long	 start, ms;
	int		 pchan;

	memset(&p, 0, sizeof(p));
	parent_start(&p, c, &pchan);
	if ((d = dispatch_new(pchan, c, &announced)) == NULL)
		bail("dispatch_new");
	dispatch_run(d, m, &o);
	outcome_clear(&o);
	ok(wait_for(&p.nspawners, 2, 3000), "a standby spawner is started "
	    "besides the one in use (%u spawners)", get(&p.nspawners));
	__atomic_store_n(&p.silent, 1, __ATOMIC_RELEASE);
	s0 = p.spawners[0];
	/*
	 * It retires: its end of the socket reads end of file, and once it
	 * has handed out all it will, the dispatcher closes what it kept.
	 */
	if (shutdown(s0->fd, SHUT_RDWR) == -1)
		bail("shutdown: %s", strerror(errno));
	if (!wait_for(&s0->ended, 1, 3000))
		bail("the first spawner did not end");
	ok(wait_for(&s0->unused, get(&s0->handed) - get(&s0->served), 3000),
	    "the workers kept ready from the retired spawner are closed");
	start = now_ms();
	dispatch_run(d, m, &o);
	ms = now_ms() - start;
	s = spawner_of(&p, o.pid);
	ok(o.kind == OUTCOME_WORKER && s == p.spawners[1] && ms < 500,
	    "with the parent silent, the standby serves the next message at "
	    "once (%lld ms, worker %ld%s%s)", ms, (long)o.pid,
	    o.kind != OUTCOME_WORKER ? ": " : "", o.why);
	outcome_clear(&o);
	dispatch_free(&d);
	parent_stop(&p, pchan);
	config_free(&c);
}

/* n messages at once; each must be served, by s, within ms. */
static void
n_at_once(struct dispatch *d, struct parent *p, const struct message *m,
    struct spawner *s, int n, long long ms, const char *what)
{
	struct run	 r[8];
	int		 i;

	for (i = 0; i < n; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].d = d;
		r[i].m = m;
		if (pthread_create(&r[i].tid, NULL, run_thread, &r[i]) != 0)
			bail("pthread_create");
	}
	for (i = 0; i < n; i++) {
		pthread_join(r[i].tid, NULL);
		ok(r[i].o.kind == OUTCOME_WORKER &&
		    spawner_of(p, r[i].o.pid) == s && r[i].ms < ms,
		    "%s: message %d is served at once (%lld ms%s%s)", what,
		    i + 1, r[i].ms, r[i].o.kind != OUTCOME_WORKER ? ": " : "",
		    r[i].o.why);
		outcome_clear(&r[i].o);
	}
}

/*
 * Workers are pushed ahead of demand: while mail flows the spawner keeps
 * four more in the supervisor's stock, one grant tops it up for several
 * messages; and with the spawner silent, four messages at once are still
 * served from the stock, none of them waiting for it.
 */
static void
test_push(const struct message *m, int silent)
{
	struct config	*c = conf(CONF("100000"));
	struct parent	 p;
	struct dispatch	*d;
	struct outcome	 o;
	struct spawner	*s0;
	uint64_t	 announced = 1;
	unsigned	 grants;
	int		 pchan, i, all = 1;

	memset(&p, 0, sizeof(p));
	parent_start(&p, c, &pchan);
	if ((d = dispatch_new(pchan, c, &announced)) == NULL)
		bail("dispatch_new");
	dispatch_run(d, m, &o);
	outcome_clear(&o);
	s0 = p.spawners[0];
	ok(wait_for(&s0->handed, 5, 3000), "ahead of demand, the spawner "
	    "pushes four workers more than the first message took (%u)",
	    get(&s0->handed));
	if (silent) {
		__atomic_store_n(&s0->silent, 1, __ATOMIC_RELEASE);
		n_at_once(d, &p, m, s0, 4, 500, "the spawner silent");
	} else {
		grants = get(&s0->grants);
		for (i = 0; i < 12; i++) {
			dispatch_run(d, m, &o);
			all &= o.kind == OUTCOME_WORKER &&
			    spawner_of(&p, o.pid) == s0;
			outcome_clear(&o);
		}
		ok(all, "twelve messages are served");
		ok(get(&s0->grants) - grants <= 6, "with no more than six "
		    "grants: one tops up for several messages (%u)",
		    get(&s0->grants) - grants);
	}
	dispatch_free(&d);
	parent_stop(&p, pchan);
	config_free(&c);
}

/*
 * A spawner that sends a worker nobody granted is retired, and the worker
 * closed unused; the next spawner serves.
 */
static void
test_unasked(const struct message *m)
{
	struct config	*c = conf(CONF("100000"));
	struct parent	 p;
	struct dispatch	*d;
	struct outcome	 o;
	struct spawner	*s0;
	uint64_t	 announced = 1;
	int		 pchan;

	memset(&p, 0, sizeof(p));
	p.unasked_first = 1;
	parent_start(&p, c, &pchan);
	if ((d = dispatch_new(pchan, c, &announced)) == NULL)
		bail("dispatch_new");
	if (!wait_for(&p.nspawners, 1, 3000))
		bail("no spawner");
	s0 = p.spawners[0];
	ok(wait_for(&s0->ended, 1, 3000) && get(&s0->handed) == 1,
	    "a spawner that sends a worker nobody granted is retired");
	ok(wait_for(&s0->unused, 1, 3000), "and its worker closed unused");
	dispatch_run(d, m, &o);
	ok(o.kind == OUTCOME_WORKER && spawner_of(&p, o.pid) != s0,
	    "another spawner serves (%s)", o.kind == OUTCOME_WORKER ?
	    "served" : o.why);
	outcome_clear(&o);
	dispatch_free(&d);
	parent_stop(&p, pchan);
	config_free(&c);
}

/* Sends m; returns its outcome's kind, why in o (cleared by the caller). */
static void
run_from(struct dispatch *d, const char *addr, int crash, struct outcome *o)
{
	struct message	*m = msg_from(addr, crash);

	dispatch_run(d, m, o);
	message_free(&m);
}

/*
 * A worker that ends without a verdict: its spawner is retired before any
 * sibling serves, the standby takes over, and the client is penalised
 * (base 2 s, doubled on a second offence); other clients and loopback
 * are not.
 */
static void
test_penalty(void)
{
	struct config	*c = conf(CONF("100000"));
	struct parent	 p;
	struct dispatch	*d;
	struct outcome	 o;
	struct spawner	*s0, *s;
	struct message	*m;
	uint64_t	 announced = 1;
	long long	 crash, start;
	unsigned	 handed;
	int		 pchan, served;

	memset(&p, 0, sizeof(p));
	parent_start(&p, c, &pchan);
	if ((d = dispatch_new(pchan, c, &announced)) == NULL)
		bail("dispatch_new");
	if (!wait_for(&p.nspawners, 2, 3000))
		bail("no standby spawner");
	s0 = p.spawners[0];
	/* Mail flows: the spawner pushes workers ahead. */
	run_from(d, "10.0.0.9", 0, &o);
	outcome_clear(&o);
	ok(wait_for(&s0->handed, 5, 3000), "four more workers of the "
	    "spawner are ready in the supervisor (%u handed out, 1 served)",
	    get(&s0->handed));
	handed = get(&s0->handed);
	crash = now_ms();
	run_from(d, "10.0.0.1", 1, &o);
	ok(o.kind == OUTCOME_FALLBACK && spawner_of(&p, o.pid) == s0 &&
	    strstr(o.why, "exited without a verdict") != NULL,
	    "a worker ends without a verdict: the fallback (%s)", o.why);
	outcome_clear(&o);
	ok(wait_for(&s0->unused, handed - 2, 3000), "the %u siblings it "
	    "left in the stock are closed unused", handed - 2);
	start = now_ms();
	run_from(d, "10.0.0.1", 0, &o);
	ok(o.kind == OUTCOME_FALLBACK && o.pid == 0 && now_ms() - start < 200 &&
	    strstr(o.why, "penalty (offence 1, 2 s left)") != NULL,
	    "the same client's next message: the fallback at once, without a "
	    "worker (%s)", o.why);
	outcome_clear(&o);
	m = msg_from("10.0.0.1", 0);
	ok(dispatch_penalised(d, m, &o) == 1 && o.kind == OUTCOME_FALLBACK &&
	    o.v.action == ACTION_TEMPFAIL, "a frontend may ask before the "
	    "message: the same answer (%s)", o.why);
	outcome_clear(&o);
	message_free(&m);
	m = msg_from("10.0.0.2", 0);
	ok(dispatch_penalised(d, m, &o) == 0, "another client is not "
	    "penalised");
	outcome_clear(&o);
	message_free(&m);
	run_from(d, "10.0.0.2", 0, &o);
	s = spawner_of(&p, o.pid);
	ok(o.kind == OUTCOME_WORKER && s != NULL && s != s0,
	    "another client is served, by another spawner (worker %ld%s%s)",
	    (long)o.pid, o.kind != OUTCOME_WORKER ? ": " : "", o.why);
	outcome_clear(&o);
	is_int(get(&s0->served), 1, "no sibling of the failed worker served");
	ok(wait_for(&s0->ended, 1, 3000), "its spawner is retired");

	/* The penalty ends after base seconds, not before. */
	served = 0;
	while (!served && now_ms() - crash < 6000) {
		run_from(d, "10.0.0.1", 0, &o);
		served = o.kind == OUTCOME_WORKER;
		outcome_clear(&o);
		if (!served)
			usleep(100000);
	}
	ok(served && now_ms() - crash >= 1900, "the penalty ends after its "
	    "2 s (%lld ms after the offence)", now_ms() - crash);
	run_from(d, "10.0.0.1", 1, &o);
	outcome_clear(&o);
	run_from(d, "10.0.0.1", 0, &o);
	ok(o.kind == OUTCOME_FALLBACK && o.pid == 0 &&
	    strstr(o.why, "penalty (offence 2, 4 s left)") != NULL,
	    "a second offence: twice as long (%s)", o.why);
	outcome_clear(&o);

	run_from(d, "127.0.0.1", 1, &o);
	outcome_clear(&o);
	run_from(d, "127.0.0.1", 0, &o);
	ok(o.kind == OUTCOME_WORKER, "loopback is exempt by default (%s)",
	    o.kind != OUTCOME_WORKER ? o.why : "served");
	outcome_clear(&o);
	run_from(d, "10.0.0.5", 2, &o);
	ok(o.kind == OUTCOME_FALLBACK && strstr(o.why, "timed out") != NULL,
	    "a worker that stays silent: the fallback (%s)", o.why);
	outcome_clear(&o);
	run_from(d, "10.0.0.5", 0, &o);
	ok(o.kind == OUTCOME_FALLBACK && o.pid == 0 &&
	    strstr(o.why, "penalty (offence 1,") != NULL,
	    "a timeout is an offence too (%s)", o.why);
	outcome_clear(&o);
	dispatch_free(&d);
	parent_stop(&p, pchan);
	config_free(&c);
}

/* filterd -t: a spawner of its own, no parent. */
static void
test_no_parent(const struct message *m)
{
	struct config	*c = conf(CONF("100000"));
	struct dispatch	*d;
	struct spawner	*s;
	struct outcome	 o;
	long long	 start;
	int		 ctl;

	if ((d = dispatch_new(-1, c, NULL)) == NULL)
		bail("dispatch_new");
	start = now_ms();
	dispatch_run(d, m, &o);
	ok(o.kind == OUTCOME_FALLBACK && now_ms() - start < 200 &&
	    strstr(o.why, "no spawner") != NULL,
	    "no spawner and no parent: the fallback at once (%s)", o.why);
	outcome_clear(&o);
	s = spawner_start(0, &ctl);
	dispatch_set_spawner(d, ctl);
	dispatch_run(d, m, &o);
	ok(o.kind != OUTCOME_FALLBACK && spawner_owns(s, o.pid), "a spawner of "
	    "its own serves (%ld%s%s)", (long)o.pid,
	    o.kind == OUTCOME_FALLBACK ? ": " : "", o.why);
	outcome_clear(&o);
	dispatch_free(&d);
	pthread_join(s->tid, NULL);
	is_int(get(&s->handed), 1, "no worker asked for ahead of demand");
	spawner_free(s);
	config_free(&c);
}

/* Appends n body bytes of a pattern, in pieces of piece bytes. */
static void
body_add(struct message *m, size_t n, size_t piece)
{
	static uint8_t	 chunk[70000];
	size_t		 i, k;

	for (i = 0; i < n; i += k) {
		k = n - i < piece ? n - i : piece;
		if (k > sizeof(chunk))
			bail("piece too large");
		for (size_t j = 0; j < k; j++)
			chunk[j] = (uint8_t)((m->bodylen + j) * 31 % 251);
		if (message_add_body(m, chunk, k) == -1)
			bail("message_add_body");
	}
}

/* A message with nhdrs padding fields of 1000 bytes and no body. */
static struct message *
msg_padded(size_t nhdrs)
{
	struct message	*m;
	char		 name[32], value[1001];
	size_t		 i;

	memset(value, 'v', 1000);
	value[1000] = '\0';
	if ((m = message_new(JOB_MSG_MAX)) == NULL ||
	    message_set(&m->client_addr, "192.0.2.1") == -1 ||
	    message_set(&m->sender, "a@example.org") == -1 ||
	    message_add_rcpt(m, "b@example.net") == -1)
		bail("message");
	for (i = 0; i < nhdrs; i++) {
		snprintf(name, sizeof(name), "X-Pad-%zu", i);
		if (message_add_header(m, name, value) == -1)
			bail("message_add_header");
	}
	return m;
}

/*
 * Sends m through s; whether it was served in the form whose counter is
 * form, with every byte of its body.
 */
static int
sent_as(struct dispatch *d, struct spawner *s, const struct message *m,
    const unsigned *form, char *why, size_t len)
{
	struct outcome	 o;
	unsigned	 before = get(form);
	int		 rc;

	dispatch_run(d, m, &o);
	rc = o.kind == OUTCOME_WORKER && get(form) == before + 1 &&
	    s->last_body == m->bodylen && s->last_sum == body_sum(m);
	snprintf(why, len, "%.100s, body %zu of %zu", o.kind == OUTCOME_WORKER ?
	    "served" : o.why, s->last_body, m->bodylen);
	outcome_clear(&o);
	return rc;
}

/*
 * Each form of the job: a small one inline; a large body, which went to
 * a memfd as it was added, as a head and that memfd; a header too large
 * to go inline, whole in a new memfd, with a body in memory or one
 * spilled.  The worker gets every byte of the body each time.
 */
static void
test_forms(const struct message *small)
{
	struct config	*c = conf(CONF("2000000"));
	struct dispatch	*d;
	struct spawner	*s;
	struct message	*m;
	char		 why[160];
	int		 ctl;

	if ((d = dispatch_new(-1, c, NULL)) == NULL)
		bail("dispatch_new");
	s = spawner_start(0, &ctl);
	dispatch_set_spawner(d, ctl);
	ok(sent_as(d, s, small, &s->inline_jobs, why, sizeof(why)),
	    "a small job goes inline (%s)", why);

	m = msg_padded(1);
	body_add(m, 30000, 30000);
	ok(!message_body_spilled(m) && sent_as(d, s, m, &s->inline_jobs, why,
	    sizeof(why)), "a body of 30000 bytes stays in memory and goes "
	    "inline (%s)", why);
	body_add(m, 3000, 1000);
	ok(message_body_spilled(m), "past 32 KiB the body moves to a memfd");
	body_add(m, 9000, 700);		/* staged */
	body_add(m, 120000, 60000);	/* written at once */
	body_add(m, 777, 3);
	ok(sent_as(d, s, m, &s->head_jobs, why, sizeof(why)),
	    "a spilled body goes as the memfd it is in, with the job's head "
	    "(%s)", why);
	ok(sent_as(d, s, m, &s->head_jobs, why, sizeof(why)),
	    "and again, for another worker (%s)", why);
	message_free(&m);

	/* The stage filled to its last byte, then one byte past it. */
	m = msg_padded(1);
	body_add(m, 33000, 33000);
	body_add(m, 32536, 32536);
	body_add(m, 1, 1);
	body_add(m, 32537, 32537);
	body_add(m, 33000, 33000);
	body_add(m, 32537, 32537);
	ok(sent_as(d, s, m, &s->head_jobs, why, sizeof(why)),
	    "bound: pieces that fill the stage exactly, or one byte past "
	    "it (%s)", why);
	message_free(&m);

	m = msg_padded(70);
	body_add(m, 1000, 1000);
	ok(sent_as(d, s, m, &s->memfd_jobs, why, sizeof(why)),
	    "a header too large to go inline: the whole job in a memfd (%s)",
	    why);
	body_add(m, 100000, 5000);
	ok(message_body_spilled(m) && sent_as(d, s, m, &s->memfd_jobs, why,
	    sizeof(why)), "with a spilled body too, read back from its "
	    "memfd (%s)", why);
	message_free(&m);
	dispatch_free(&d);
	pthread_join(s->tid, NULL);
	spawner_free(s);
	config_free(&c);
}

/*
 * How the worker pid ended, if it has, without reaping it: "exited N",
 * "killed N", or "running".
 */
static const char *
ended(pid_t pid, char *buf, size_t len)
{
	siginfo_t	 si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == -1 ||
	    si.si_pid != pid)
		snprintf(buf, len, "running");
	else
		snprintf(buf, len, "%s %d", si.si_code == CLD_EXITED ?
		    "exited" : "killed", si.si_status);
	return buf;
}

/*
 * A worker never outlives its message: what the message gets, and how
 * its worker has ended by the time dispatch_run returns.
 */
static void
test_gone(const struct message *m, int mode, const char *what,
    const char *why, const char *how)
{
	struct config	*c = conf(CONF("100000"));
	struct dispatch	*d;
	struct spawner	*s;
	struct outcome	 o;
	char		 buf[64];
	int		 ctl;

	if ((d = dispatch_new(-1, c, NULL)) == NULL)
		bail("dispatch_new");
	s = spawner_start(0, &ctl);
	s->mode = mode;
	dispatch_set_spawner(d, ctl);
	dispatch_run(d, m, &o);
	if (why == NULL)
		ok(o.kind != OUTCOME_FALLBACK, "%s: the verdict is used (%s)",
		    what, o.why);
	else
		ok(o.kind == OUTCOME_FALLBACK && strstr(o.why, why) != NULL,
		    "%s: the fallback (%s)", what, o.why);
	ended(o.pid, buf, sizeof(buf));
	if (how != NULL)
		is_str(buf, how, "%s: when the answer comes, the worker has %s",
		    what, how);
	else
		ok(strcmp(buf, "running") != 0, "%s: when the answer comes, "
		    "the worker has ended (%s)", what, buf);
	outcome_clear(&o);
	dispatch_free(&d);
	pthread_join(s->tid, NULL);
	spawner_free(s);
	config_free(&c);
}

/*
 * A message taken under a larger limits.message_size than the worker's
 * generation has (a reload lowered it meanwhile) is over the limit: it
 * gets limits.oversize, not a job the worker would refuse (on_failure).
 */
static void
test_lowered_limit(void)
{
	struct config	*c = conf(CONF("5000"));
	struct message	*big = message_new(100000);
	struct dispatch	*d;
	struct spawner	*s;
	struct outcome	 o;
	char		 body[6000];
	int		 ctl;

	memset(body, 'b', sizeof(body));
	if (big == NULL || message_add_header(big, "Subject", "big") == -1 ||
	    message_add_body(big, body, sizeof(body)) == -1)
		bail("message");
	if ((d = dispatch_new(-1, c, NULL)) == NULL)
		bail("dispatch_new");
	s = spawner_start(0, &ctl);
	dispatch_set_spawner(d, ctl);
	dispatch_run(d, big, &o);
	ok(o.kind == OUTCOME_OVERSIZE, "a message over the worker's "
	    "generation's limit is oversize (%s)", o.why);
	is_int(get(&s->served), 0, "and no worker got it");
	outcome_clear(&o);
	dispatch_free(&d);
	pthread_join(s->tid, NULL);
	spawner_free(s);
	message_free(&big);
	config_free(&c);
}

/* A fake worker, executed by a fake spawner (spawner_hand). */
static void __attribute__((noreturn))
worker_exec(void)
{
	struct spawner	*s;

	s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED,
	    WORKER_FD_SHARED, 0);
	if (s == MAP_FAILED)
		w_exit(1);
	close(WORKER_FD_SHARED);
	bump(&s->started);
	worker_main(s, WORKER_FD_CHAN);
}

int
main(int argc, char *argv[])
{
	struct message	*m;

	if (argc == 2 && strcmp(argv[1], "worker") == 0)
		worker_exec();
	log_init("19-dispatch", 1, 0);
	plan(42 + 8 + 2 + 8 + 3);
	m = msg();
	test_reload(m);
	test_silent(m, 0);
	test_silent(m, 1);
	test_push(m, 0);
	test_push(m, 1);
	test_unasked(m);
	test_no_parent(m);
	test_lowered_limit();
	test_forms(m);
	test_gone(m, W_EXIT, "a worker that exits", NULL, "exited 0");
	/* Slow to exit but silent: killed, and its verdict stands. */
	test_gone(m, W_LINGER, "a worker that stays after its verdict",
	    NULL, "killed 9");
	test_gone(m, W_EMPTY, "a worker that sends an empty record after its "
	    "verdict", "an empty record after the verdict", "exited 0");
	test_standby(m);
	test_penalty();
	test_gone(m, W_EMPTY_LINGER, "a worker that sends an empty record "
	    "after its verdict and stays", "an empty record after the verdict, "
	    "killed", "killed 9");
	message_free(&m);
	return done_testing();
}
