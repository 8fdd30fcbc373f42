/*
 * super_dispatch: runs in the supervisor.  A dispatcher thread of its own
 * talks to the parent and to the spawner, and keeps a small stock of ready
 * workers: it grants the spawner workers ahead of demand, several at a
 * time, and the spawner pushes each one as soon as it is ready.  The
 * frontend threads that run messages take a worker from that stock -- a
 * dequeue under a short lock, with no round trip to anyone -- and talk to
 * the worker only.  The spawner is trusted to hand out
 * sandboxed workers; the worker is not trusted at all -- silence, garbage,
 * extra frames and early exits all become the fallback for this one
 * message, never an error of the supervisor.
 *
 * A worker never outlives its message.  Each comes with a pidfd; after
 * its verdict, or once it has failed, the message's thread waits on the
 * pidfd for the worker to exit, SIGKILLs it when it does not within
 * DISPATCH_EXIT_MS, and only then answers.  Anything the worker sends
 * after its verdict, an empty record included, fails the message; a
 * verdict followed by silence stands, even when the worker had to be
 * killed (a loaded host makes healthy workers slow to exit).  The
 * workers the stock closes unused get the same bound, from the
 * dispatcher thread.
 *
 * With a parent, the dispatcher keeps a standby spawner besides the one in
 * use: started, configured and with its pool of workers forked, but asked
 * for nothing.  When the spawner in use retires -- after any worker of it
 * failed, as the spawner itself does after an abnormal death, or when it
 * served workers.max_served -- the standby takes over at once and the
 * parent is asked for the next standby in the background; so a crash
 * costs the other messages no spawner start.  A message whose worker
 * fails retires that worker's spawner itself, before any sibling of the
 * worker (same address layout) is handed out.  And the client whose
 * message it was is penalised (super_penalty.c): for a while its messages
 * get the fallback without a worker.
 *
 * Locking: d->lock guards the stock, the pointer to the generation in
 * force and a few flags, and is held for short in-memory updates only.  A
 * message that finds the stock empty waits on d->ready, until its own
 * deadline at most.  Only the dispatcher thread waits for the parent or a
 * spawner, in poll(), and it reads a new generation's snapshot holding no
 * lock; generations are reference-counted and published by a pointer swap.
 * The penalties have a lock of their own, never held with d->lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "filterd/lib/clock.h"
#include "filterd/lib/config.h"
#include "filterd/super_answer.h"
#include "filterd/super_dispatch.h"
#include "filterd/lib/log.h"
#include "filterd/lib/message.h"
#include "filterd/super_penalty.h"
#include "filterd/super_policy.h"
#include "filterd/lib/wire.h"

/* How long to wait for the spawner or the parent to answer. */
#define DISPATCH_CTL_TIMEOUT_MS	10000
/*
 * Workers kept ready beyond those that messages wait for, while busy;
 * more are granted once fewer than DISPATCH_STOCK_LOW are ready or on
 * their way, so that one grant tops up for several messages.
 */
#define DISPATCH_STOCK		4
#define DISPATCH_STOCK_LOW	2
/* The stock is kept full for this long after a worker was last taken. */
#define DISPATCH_BUSY_MS	1000
#define DISPATCH_STOCK_MAX	32
/*
 * The spawner kills a worker worker_timeout + 2 s after handing it out,
 * which is just before it reaches our stock.  So a stocked worker is used
 * within DISPATCH_STOCK_TTL_MS of arriving, or closed unused (it exits at
 * end of file), and its message ends at worker_timeout + DISPATCH_GRACE_MS
 * after it arrived at the latest.  Not from when it was asked for: the
 * first answer of a new spawner comes once it has started, which may take
 * longer than that.
 */
#define DISPATCH_STOCK_TTL_MS	1000
#define DISPATCH_GRACE_MS	1500
/*
 * How long a worker may take to exit after its verdict, or after its
 * channel is closed, before it is killed; then how long its death may
 * take.  A worker that spins after its verdict is killed here (below the
 * smallest workers.cpu, 1 s) or by its CPU limit; either way it said
 * nothing more, so its verdict stands.
 */
#define DISPATCH_EXIT_MS	500
#define DISPATCH_KILL_MS	1000
/* Workers closed unused that the dispatcher thread waits to see gone. */
#define DISPATCH_DYING_MAX	(2 * DISPATCH_STOCK_MAX)
/* After a failure, before asking the parent again. */
#define DISPATCH_RETRY_MS	200
/*
 * Spawners that end before they hand out a worker (a broken set-up)
 * are asked for less and less often, down to one every this many ms.
 */
#define DISPATCH_RETRY_MAX_MS	10000
/* A message's buffer: for its verdict, and its job when sent inline. */
#define DISPATCH_BUF_MAX	(WIRE_VERDICT_MAX > WIRE_JOB_INLINE_MAX ? \
				 WIRE_VERDICT_MAX : WIRE_JOB_INLINE_MAX)
/* The dispatcher thread looks for a reload at least this often. */
#define DISPATCH_TICK_MS	1000

/*
 * A configuration generation: the settings one spawner runs with, and the
 * policy that validates its workers' verdicts.  Held by the dispatcher
 * while current, by its spawner and stocked workers, by each message in
 * flight, and by each frontend session that started under it.
 */
struct dgen {
	unsigned		 refs;		/* atomic */
	uint64_t		 id;
	struct config		*own;		/* NULL: the caller's */
	const struct config	*conf;
	struct policy		 policy;
};

/* A worker the spawner handed out, not used yet. */
struct stocked {
	int		 fd;
	int		 pidfd;
	pid_t		 pid;
	unsigned	 spawner;	/* the serial of its spawner */
	long long	 since;		/* when it arrived, ms */
	struct dgen	*g;		/* held */
};

/* A worker closed unused, until it is gone. */
struct dying {
	int		 pidfd;
	pid_t		 pid;
	long long	 kill_at;	/* ms: killed then, unless gone */
	int		 killed;
};

enum { PARENT_IDLE, PARENT_SPAWNER, PARENT_CONFIG };

/* What the dispatcher thread alone touches. */
struct dthread {
	struct buf	*b;
	int		 pchan;		/* -1 once the parent is gone */
	int		 pwait;		/* PARENT_*: what the parent owes */
	long long	 pasked;	/* when it was asked */
	long long	 pnext;		/* ask it again not before */
	int		 pctl;		/* its spawner, awaiting the config */
	pid_t		 ppid;
	int		 ctl;		/* the spawner in use, or -1 */
	pid_t		 cpid;
	unsigned	 cserial;
	unsigned	 serials;
	struct dgen	*cg;		/* its generation, held */
	long long	 casked;	/* since when the spawner owes workers
					   and has sent none; 0: owes none */
	int		 cserved;	/* it handed out a worker */
	int		 sctl;		/* the standby spawner, or -1 */
	pid_t		 spid;
	struct dgen	*sg;		/* its generation, held */
	unsigned	 early;		/* spawners lost before serving, in
					   a row */
	struct dying	 dying[DISPATCH_DYING_MAX];
	size_t		 ndying;
};

struct dispatch {
	pthread_mutex_t	 lock;
	pthread_cond_t	 ready;		/* the stock or the source changed */
	pthread_t	 tid;
	int		 wake[2];	/* to the dispatcher thread */
	int		 parent;	/* 1: spawners come from the parent */
	const uint64_t	*announced;	/* by the parent, or NULL */
	const char	*path;		/* of the configuration, for messages */
	/* Under the lock. */
	struct dgen	*cur;
	struct stocked	 stock[DISPATCH_STOCK_MAX];
	size_t		 nstock;
	unsigned	 waiters;	/* messages waiting for a worker */
	unsigned	 owed;		/* granted by the spawner in use, not
					   arrived yet */
	long long	 taken;		/* when a worker was last taken */
	unsigned	 live;		/* serial of the spawner in use; 0 */
	int		 given;		/* from dispatch_set_spawner, or -1 */
	int		 nosource;	/* no spawner, and none to come */
	int		 stop;
	char		 fault[96];	/* why workers are missing, lately */
	struct penalty	*pen;		/* with a parent only */
	struct dthread	 t;
};

/* Takes over own (may be NULL when conf is the caller's). */
static struct dgen *
dgen_new(uint64_t id, struct config *own, const struct config *conf)
{
	struct dgen	*g;

	if ((g = calloc(1, sizeof(*g))) == NULL ||
	    policy_init(&g->policy, conf) == -1) {
		free(g);
		config_free(&own);
		return NULL;
	}
	g->refs = 1;
	g->id = id;
	g->own = own;
	g->conf = conf;
	return g;
}

static struct dgen *
dgen_ref(struct dgen *g)
{
	__atomic_add_fetch(&g->refs, 1, __ATOMIC_RELAXED);
	return g;
}

/* Drops a reference; takes no lock. */
static void
dgen_put(struct dgen **gp)
{
	struct dgen	*g = *gp;

	*gp = NULL;
	if (g == NULL || __atomic_sub_fetch(&g->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	policy_clear(&g->policy);
	config_free(&g->own);
	free(g);
}

static void
dispatch_poke(struct dispatch *d)
{
	char	 c = 0;

	/* A full pipe already holds a wake-up. */
	if (write(d->wake[1], &c, 1) == -1 && errno != EAGAIN)
		log_warn("dispatch: wake-up pipe");
}

int
dispatch_stale(const struct dispatch *d, const struct dgen *g)
{
	return d->announced != NULL && d->parent &&
	    __atomic_load_n(d->announced, __ATOMIC_ACQUIRE) != g->id;
}

/* The stock */

/* Whether a message that starts now may use w.  Locked. */
static int
stock_usable(const struct dispatch *d, const struct stocked *w, long long now)
{
	return w->spawner == d->live &&
	    now - w->since < DISPATCH_STOCK_TTL_MS && !dispatch_stale(d, w->g);
}

/* Takes the oldest usable worker; returns 0, or -1.  Locked. */
static int
stock_take(struct dispatch *d, long long now, struct stocked *w_r)
{
	size_t	 i;

	for (i = 0; i < d->nstock; i++) {
		if (!stock_usable(d, &d->stock[i], now))
			continue;
		*w_r = d->stock[i];
		memmove(&d->stock[i], &d->stock[i + 1],
		    (d->nstock - i - 1) * sizeof(d->stock[0]));
		d->nstock--;
		d->taken = now;
		return 0;
	}
	return -1;
}

/*
 * How many more workers to grant: none while the stock and those on their
 * way are at least the low mark, else enough to reach the high one.  The
 * messages waiting count in both; while mail flows (a worker was taken in
 * the last DISPATCH_BUSY_MS), DISPATCH_STOCK more are kept ready.
 * Without a parent (filterd -t), only what is waited for.  Locked.
 */
static size_t
stock_need(const struct dispatch *d, long long now)
{
	size_t	 have = d->nstock + d->owed, want, low;

	want = low = d->waiters;
	if (d->parent && now - d->taken < DISPATCH_BUSY_MS) {
		want += DISPATCH_STOCK;
		low += DISPATCH_STOCK_LOW;
	}
	if (want > DISPATCH_STOCK_MAX)
		want = DISPATCH_STOCK_MAX;
	return have < low && have < want ? want - have : 0;
}

/*
 * Moves the workers no message may use any more to out (*nout of them);
 * returns how many more to grant.  Locked.
 */
static size_t
stock_sweep(struct dispatch *d, long long now, struct stocked *out,
    size_t *nout)
{
	size_t	 i, n = 0;

	*nout = 0;
	for (i = 0; i < d->nstock; i++)
		if (stock_usable(d, &d->stock[i], now))
			d->stock[n++] = d->stock[i];
		else
			out[(*nout)++] = d->stock[i];
	d->nstock = n;
	return stock_need(d, now);
}

/* Workers' ends */

/*
 * Waits up to ms for the process of pidfd to exit; returns 1 once it has,
 * 0 when it has not, -1 on error.
 */
static int
pidfd_wait(int pidfd, int ms)
{
	struct pollfd	 pfd = { pidfd, POLLIN, 0 };
	long long	 end = clock_ms() + ms;
	int		 rc;

	for (;;) {
		rc = poll(&pfd, 1, (int)(end > clock_ms() ? end - clock_ms() : 0));
		if (rc != -1 || errno != EINTR)
			return rc > 0 ? 1 : rc;
	}
}

static void
pidfd_kill(int pidfd, pid_t pid)
{
	/* ESRCH: it is gone already. */
	if (syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) == -1 &&
	    errno != ESRCH)
		log_warn("worker %ld: pidfd_send_signal", (long)pid);
}

/*
 * Makes sure a worker is gone: waits up to ms for it to exit, else kills
 * it and waits for that.  Returns 0 when it went by itself, 1 when it was
 * killed.  Only a process that ignores SIGKILL -- stuck in the kernel --
 * outlives this, and that is logged.
 */
static int
worker_gone(int pidfd, pid_t pid, int ms)
{
	if (pidfd_wait(pidfd, ms) == 1)
		return 0;
	pidfd_kill(pidfd, pid);
	if (pidfd_wait(pidfd, DISPATCH_KILL_MS) != 1)
		log_warnx("worker %ld still there %d ms after SIGKILL",
		    (long)pid, DISPATCH_KILL_MS);
	return 1;
}

/* The dispatcher thread waits for w to be gone; it owns w's pidfd now. */
static void
dying_add(struct dthread *t, const struct stocked *w)
{
	struct dying	*y;

	if (t->ndying == DISPATCH_DYING_MAX) {
		/* No room to wait: it must go at once. */
		pidfd_kill(w->pidfd, w->pid);
		close(w->pidfd);
		return;
	}
	y = &t->dying[t->ndying++];
	y->pidfd = w->pidfd;
	y->pid = w->pid;
	y->kill_at = clock_ms() + DISPATCH_EXIT_MS;
	y->killed = 0;
}

static void
dying_forget(struct dthread *t, size_t i)
{
	close(t->dying[i].pidfd);
	t->dying[i] = t->dying[--t->ndying];
}

/* Kills the workers closed unused that did not exit in time. */
static void
dying_tick(struct dthread *t, long long now)
{
	struct dying	*y;
	size_t		 i = 0;

	while (i < t->ndying) {
		y = &t->dying[i];
		if (y->kill_at > now) {
			i++;
		} else if (!y->killed) {
			log_warnx("worker %ld closed unused did not exit within "
			    "%d ms, killed", (long)y->pid, DISPATCH_EXIT_MS);
			pidfd_kill(y->pidfd, y->pid);
			y->killed = 1;
			y->kill_at = now + DISPATCH_KILL_MS;
			i++;
		} else {
			log_warnx("worker %ld still there %d ms after SIGKILL",
			    (long)y->pid, DISPATCH_KILL_MS);
			dying_forget(t, i);
		}
	}
}

/*
 * Closes unused workers: they read end of file and exit, and the
 * dispatcher thread sees them go.  On that thread only, or once it is gone.
 */
static void
stock_close(struct dthread *t, struct stocked *w, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		close(w[i].fd);
		dying_add(t, &w[i]);
		dgen_put(&w[i].g);
	}
}

/* The dispatcher thread */

/* Notes why workers are missing, for the messages that fall back. */
static void __attribute__((format(printf, 2, 3)))
dt_fault(struct dispatch *d, const char *fmt, ...)
{
	char	 why[sizeof(d->fault)];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&d->lock);
	memcpy(d->fault, why, sizeof(why));
	pthread_mutex_unlock(&d->lock);
}

/*
 * Stops using the current spawner: closing its socket retires it, and
 * its workers in stock are closed at the next sweep.
 */
static void
dt_retire(struct dispatch *d, const char *why)
{
	struct dthread	*t = &d->t;

	if (t->ctl == -1)
		return;
	if (why != NULL)
		log_debug("spawner %ld: %s", (long)t->cpid, why);
	close(t->ctl);		/* workers still on their way are closed */
	t->ctl = -1;
	t->casked = 0;
	dgen_put(&t->cg);
	pthread_mutex_lock(&d->lock);
	d->live = 0;
	d->owed = 0;
	pthread_mutex_unlock(&d->lock);
}

/* Starts using spawner ctl, which runs generation g (held). */
static void
dt_install(struct dispatch *d, int ctl, pid_t pid, struct dgen *g)
{
	struct dthread	*t = &d->t;
	int		 fl;

	dt_retire(d, "replaced");
	/* Never wait on a send: a stuck spawner times out instead. */
	if ((fl = fcntl(ctl, F_GETFL)) == -1 ||
	    fcntl(ctl, F_SETFL, fl | O_NONBLOCK) == -1)
		log_warn("spawner %ld: O_NONBLOCK", (long)pid);
	t->ctl = ctl;
	t->cpid = pid;
	t->cg = g;
	t->casked = 0;
	t->cserved = 0;
	t->cserial = ++t->serials;
	pthread_mutex_lock(&d->lock);
	d->live = t->cserial;
	d->fault[0] = '\0';
	pthread_mutex_unlock(&d->lock);
}

/* Keeps spawner ctl, of generation g (held), as the standby. */
static void
dt_standby_set(struct dispatch *d, int ctl, pid_t pid, struct dgen *g)
{
	struct dthread	*t = &d->t;
	int		 fl;

	if ((fl = fcntl(ctl, F_GETFL)) == -1 ||
	    fcntl(ctl, F_SETFL, fl | O_NONBLOCK) == -1)
		log_warn("spawner %ld: O_NONBLOCK", (long)pid);
	t->sctl = ctl;
	t->spid = pid;
	t->sg = g;
}

/* Lets the standby go: closing its socket retires it. */
static void
dt_standby_drop(struct dispatch *d, const char *why)
{
	struct dthread	*t = &d->t;

	if (t->sctl == -1)
		return;
	if (why != NULL)
		log_debug("standby spawner %ld: %s", (long)t->spid, why);
	close(t->sctl);
	t->sctl = -1;
	dgen_put(&t->sg);
}

/* With no spawner in use, the standby takes over. */
static void
dt_promote(struct dispatch *d)
{
	struct dthread	*t = &d->t;

	if (t->ctl != -1 || t->sctl == -1)
		return;
	log_debug("standby spawner %ld takes over", (long)t->spid);
	dt_install(d, t->sctl, t->spid, t->sg);
	t->sctl = -1;
	t->sg = NULL;
}

/*
 * A spawner ended before it handed out any worker: its set-up may be
 * broken, so the next one is asked for later, the longer the more such
 * losses in a row.
 */
static void
dt_early(struct dispatch *d)
{
	struct dthread	*t = &d->t;
	long long	 wait = DISPATCH_RETRY_MS;
	unsigned	 i;

	for (i = 0; i < t->early && wait < DISPATCH_RETRY_MAX_MS; i++)
		wait *= 2;
	if (wait > DISPATCH_RETRY_MAX_MS)
		wait = DISPATCH_RETRY_MAX_MS;
	t->early++;
	t->pnext = clock_ms() + wait;
}

/* The standby says something: it ended, or it is broken. */
static void
dt_sctl_read(struct dispatch *d)
{
	struct dthread	*t = &d->t;
	ssize_t		 n;

	/* Nothing was asked of it: descriptors are closed, frames refused. */
	n = wire_recv(t->sctl, t->b, WIRE_CTL_MAX, NULL);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	log_warnx("standby spawner %ld %s", (long)t->spid, n == 0 ?
	    "ended before it was used" : "sent what no one asked for");
	dt_standby_drop(d, NULL);
	dt_early(d);
}

/* Grants the spawner in use n more workers. */
static void
dt_ask_worker(struct dispatch *d, long long now, size_t n)
{
	struct dthread	*t = &d->t;

	if (n > WIRE_GRANT_MAX)
		n = WIRE_GRANT_MAX;
	if (wire_enc_grant(t->b, (unsigned)n) == -1 ||
	    wire_send(t->ctl, t->b, -1) == -1) {
		log_warn("spawner %ld: cannot grant workers", (long)t->cpid);
		dt_fault(d, "cannot ask spawner %ld for workers",
		    (long)t->cpid);
		dt_retire(d, NULL);
		return;
	}
	if (t->casked == 0)
		t->casked = now;
	pthread_mutex_lock(&d->lock);
	d->owed += (unsigned)n;
	pthread_mutex_unlock(&d->lock);
	dt_fault(d, "spawner %ld has not answered", (long)t->cpid);
}

/*
 * One frame from the spawner in use: a granted worker for the stock.
 * Returns 1 when it was one and more are owed, 0 when there is no more to
 * read now, -1 once the spawner is retired.
 */
static int
dt_ctl_read1(struct dispatch *d)
{
	struct dthread	*t = &d->t;
	struct stocked	 w;
	const char	*why = "unexpected frame";
	ssize_t		 n;
	unsigned	 owed;
	int		 fds[2], kept = 0;

	/* The worker's channel, and a pidfd of it. */
	n = wire_recv_fds(t->ctl, t->b, WIRE_CTL_MAX, fds, 2);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n == 0) {
		dt_fault(d, "spawner %ld retired", (long)t->cpid);
		if (!t->cserved)
			dt_early(d);
		dt_retire(d, "retired");
		return -1;
	}
	pthread_mutex_lock(&d->lock);
	owed = d->owed;
	pthread_mutex_unlock(&d->lock);
	if (n == -1 || owed == 0 || wire_dec_pid(buf_data(t->b),
	    buf_len(t->b), WIRE_WORKER, &w.pid, &why) == -1) {
		if (n > 0) {
			close(fds[0]);
			close(fds[1]);
		}
		log_warnx("spawner %ld: %s", (long)t->cpid,
		    n == -1 ? "cannot read its answer" : owed == 0 ?
		    "a worker that was not granted" : why);
		dt_fault(d, "spawner %ld failed", (long)t->cpid);
		dt_retire(d, NULL);
		return -1;
	}
	w.fd = fds[0];
	w.pidfd = fds[1];
	w.spawner = t->cserial;
	w.since = clock_ms();
	w.g = dgen_ref(t->cg);
	t->casked = owed > 1 ? w.since : 0;
	t->cserved = 1;
	t->early = 0;
	pthread_mutex_lock(&d->lock);
	d->owed--;
	if (d->nstock < DISPATCH_STOCK_MAX) {
		d->stock[d->nstock++] = w;
		d->fault[0] = '\0';
		kept = 1;
	}
	pthread_cond_broadcast(&d->ready);
	pthread_mutex_unlock(&d->lock);
	if (!kept)
		stock_close(t, &w, 1);
	return owed > 1;
}

/*
 * What the spawner in use sent: as long as it owes more, the next worker
 * is read without another poll, for it usually follows at once.
 */
static void
dt_ctl_read(struct dispatch *d)
{
	while (dt_ctl_read1(d) == 1)
		;
}

static void
dt_ask_parent(struct dispatch *d, long long now)
{
	struct dthread	*t = &d->t;

	if (t->pchan == -1 || t->pwait != PARENT_IDLE || now < t->pnext)
		return;
	if (wire_enc_request(t->b) == -1 ||
	    wire_send(t->pchan, t->b, -1) == -1) {
		log_warn("cannot ask the parent for a spawner");
		dt_fault(d, "cannot ask the parent for a spawner");
		t->pnext = now + DISPATCH_RETRY_MS;
		return;
	}
	t->pwait = PARENT_SPAWNER;
	t->pasked = now;
	if (t->ctl == -1)
		dt_fault(d, "waiting for a spawner from the parent");
}

/* Forgets what the parent owes; asks again after a while. */
static void
dt_parent_reset(struct dispatch *d)
{
	struct dthread	*t = &d->t;

	if (t->pctl != -1)
		close(t->pctl);		/* that spawner retires */
	t->pctl = -1;
	t->pwait = PARENT_IDLE;
	t->pnext = clock_ms() + DISPATCH_RETRY_MS;
}

/*
 * The generation id, whose snapshot is cfd, held: the one in force, or a
 * newer one read from cfd -- holding no lock -- and made the one in force.
 * NULL when it is older or unreadable.
 */
static struct dgen *
dt_generation(struct dispatch *d, uint64_t id, int cfd)
{
	struct config	*c;
	struct dgen	*g, *old;
	uint64_t	 curid;

	pthread_mutex_lock(&d->lock);
	curid = d->cur->id;
	g = id == curid ? dgen_ref(d->cur) : NULL;
	pthread_mutex_unlock(&d->lock);
	if (g != NULL || id < curid)
		return g;
	/* The parent checked it: an error here is a bug, not the admin's. */
	if ((c = config_load_fd(cfd, d->path, stderr)) == NULL ||
	    (g = dgen_new(id, c, c)) == NULL) {
		log_warnx("cannot read configuration generation %llu",
		    (unsigned long long)id);
		return NULL;
	}
	pthread_mutex_lock(&d->lock);
	old = d->cur;
	d->cur = dgen_ref(g);
	pthread_mutex_unlock(&d->lock);
	dgen_put(&old);
	log_info("configuration generation %llu in force",
	    (unsigned long long)id);
	return g;
}

/* The configuration that comes after a spawner. */
static void
dt_parent_config(struct dispatch *d, int cfd)
{
	struct dthread	*t = &d->t;
	struct dgen	*g = NULL;
	const char	*why;
	uint64_t	 id;
	pid_t		 pid = t->ppid;
	int		 ctl = t->pctl;

	if (wire_dec_config(buf_data(t->b), buf_len(t->b), &id, &why) == 0)
		g = dt_generation(d, id, cfd);
	if (g == NULL) {
		log_warnx("spawner %ld came without a usable configuration",
		    (long)pid);
		dt_fault(d, "spawner %ld came without a usable "
		    "configuration", (long)pid);
		dt_parent_reset(d);
		return;
	}
	t->pctl = -1;
	t->pwait = PARENT_IDLE;
	if (t->ctl == -1) {
		log_debug("new spawner %ld, configuration generation %llu",
		    (long)pid, (unsigned long long)id);
		dt_install(d, ctl, pid, g);
	} else if (t->sctl == -1) {
		log_debug("standby spawner %ld ready, configuration "
		    "generation %llu", (long)pid, (unsigned long long)id);
		dt_standby_set(d, ctl, pid, g);
	} else {
		close(ctl);		/* not asked for: it retires */
		dgen_put(&g);
	}
}

/* The parent's answer: a spawner, then the configuration it runs with. */
static void
dt_parent_read(struct dispatch *d)
{
	struct dthread	*t = &d->t;
	const char	*why = "unexpected frame";
	ssize_t		 n;
	int		 fd = -1;

	n = wire_recv(t->pchan, t->b, WIRE_CTL_MAX, &fd);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == 0) {
		log_warnx("the parent is gone: no new spawners");
		dt_fault(d, "the parent is gone");
		t->pchan = -1;		/* the caller's to close */
		dt_parent_reset(d);
		return;
	}
	if (n == -1 || fd == -1 || t->pwait == PARENT_IDLE) {
		if (fd != -1)
			close(fd);
		log_warnx("%s from the parent, dropped",
		    n == -1 ? "an unreadable frame" : t->pwait == PARENT_IDLE ?
		    "a late answer" : "a frame without a descriptor");
		if (t->pwait != PARENT_IDLE)
			dt_parent_reset(d);
		return;
	}
	if (t->pwait == PARENT_CONFIG) {
		dt_parent_config(d, fd);
		close(fd);
	} else if (wire_dec_pid(buf_data(t->b), buf_len(t->b), WIRE_SPAWNER,
	    &t->ppid, &why) == -1) {
		close(fd);
		log_warnx("no spawner from the parent: %s", why);
		dt_fault(d, "no spawner from the parent");
		dt_parent_reset(d);
	} else {
		t->pctl = fd;
		t->pwait = PARENT_CONFIG;
	}
}

/* Gives up on answers that are late. */
static void
dt_timeouts(struct dispatch *d, long long now)
{
	struct dthread	*t = &d->t;

	if (t->casked != 0 && now - t->casked >= DISPATCH_CTL_TIMEOUT_MS) {
		log_warnx("spawner %ld did not answer within %d ms, retiring "
		    "it", (long)t->cpid, DISPATCH_CTL_TIMEOUT_MS);
		dt_fault(d, "spawner %ld did not answer", (long)t->cpid);
		dt_retire(d, NULL);
	}
	if (t->pwait != PARENT_IDLE &&
	    now - t->pasked >= DISPATCH_CTL_TIMEOUT_MS) {
		log_warnx("no spawner from the parent within %d ms",
		    DISPATCH_CTL_TIMEOUT_MS);
		dt_fault(d, "the parent did not answer");
		dt_parent_reset(d);
	}
}

/*
 * Retires the spawner in use when a message saw one of its workers fail,
 * and spawners of an older generation; lets the standby take over.
 */
static void
dt_spawners(struct dispatch *d, unsigned live)
{
	struct dthread	*t = &d->t;

	if (t->ctl != -1 && live != t->cserial)
		dt_retire(d, "one of its workers failed");
	if (t->ctl != -1 && dispatch_stale(d, t->cg))
		dt_retire(d, "a newer configuration generation is announced");
	if (t->sctl != -1 && dispatch_stale(d, t->sg))
		dt_standby_drop(d,
		    "a newer configuration generation is announced");
	dt_promote(d);
}

/*
 * Sweeps the stock, changes spawners as needed, and asks for what the
 * stock and the messages waiting want, and for a standby spawner.
 * Returns -1 once the dispatcher stops.
 */
static int
dt_tick(struct dispatch *d)
{
	struct dthread	*t = &d->t;
	struct stocked	 out[DISPATCH_STOCK_MAX];
	struct dgen	*g;
	size_t		 nout, need;
	long long	 now = clock_ms();
	unsigned	 live;
	int		 given, stop, none, idle;

	pthread_mutex_lock(&d->lock);
	stop = d->stop;
	given = d->given;
	d->given = -1;
	live = d->live;
	pthread_mutex_unlock(&d->lock);
	if (stop) {
		if (given != -1)
			close(given);
		return -1;
	}
	dt_spawners(d, live);
	if (given != -1) {
		pthread_mutex_lock(&d->lock);
		g = dgen_ref(d->cur);
		pthread_mutex_unlock(&d->lock);
		dt_install(d, given, 0, g);
	}
	dt_timeouts(d, now);
	dt_promote(d);
	/* After the spawners changed: a retired one's workers go now. */
	pthread_mutex_lock(&d->lock);
	need = stock_sweep(d, now, out, &nout);
	/* Nothing left in stock, and nothing more on its way. */
	idle = nout > 0 && d->nstock == 0 && need == 0 && d->owed == 0;
	pthread_mutex_unlock(&d->lock);
	stock_close(t, out, nout);
	dying_tick(t, now);
	if (idle)
		log_debug("idle: %zu unused workers closed", nout);
	if (t->ctl != -1 && need > 0)
		dt_ask_worker(d, now, need);
	/* Without a parent (filterd -t), dt_ask_parent does nothing. */
	if (t->ctl == -1 || t->sctl == -1)
		dt_ask_parent(d, now);
	pthread_mutex_lock(&d->lock);
	none = t->ctl == -1 && d->given == -1 && t->pchan == -1;
	if (none && d->fault[0] == '\0')
		memcpy(d->fault, "no spawner", sizeof("no spawner"));
	if (none != d->nosource)
		pthread_cond_broadcast(&d->ready);
	d->nosource = none;
	pthread_mutex_unlock(&d->lock);
	return 0;
}

/* Until the next tick: a timeout is due, or it is time to look around. */
static int
dt_timeout(const struct dthread *t)
{
	long long	 now = clock_ms(), next = now + DISPATCH_TICK_MS;
	size_t		 i;

	if (t->casked != 0 && t->casked + DISPATCH_CTL_TIMEOUT_MS < next)
		next = t->casked + DISPATCH_CTL_TIMEOUT_MS;
	if (t->pwait != PARENT_IDLE &&
	    t->pasked + DISPATCH_CTL_TIMEOUT_MS < next)
		next = t->pasked + DISPATCH_CTL_TIMEOUT_MS;
	if (t->pnext > now && t->pnext < next)
		next = t->pnext;
	for (i = 0; i < t->ndying; i++)
		if (t->dying[i].kill_at < next)
			next = t->dying[i].kill_at;
	return next > now ? (int)(next - now) : 0;
}

/* Forgets the workers closed unused that poll saw go. */
static void
dt_dying_read(struct dthread *t, const struct pollfd *pfd, size_t n)
{
	size_t	 i;

	/* Backwards: dying_forget moves the last one into i. */
	for (i = n; i-- > 0;)
		if (pfd[i].revents != 0)
			dying_forget(t, i);
}

static void *
dispatch_thread(void *arg)
{
	struct dispatch	*d = arg;
	struct dthread	*t = &d->t;
	struct pollfd	 pfd[4 + DISPATCH_DYING_MAX];
	char		 drain[64];
	size_t		 i, ndying;
	int		 n, ictl, ipar, isby;

	while (dt_tick(d) == 0) {
		pfd[0].fd = d->wake[0];
		pfd[0].events = POLLIN;
		n = 1;
		ictl = ipar = isby = -1;
		if (t->ctl != -1) {
			pfd[ictl = n++].fd = t->ctl;
			pfd[ictl].events = POLLIN;
		}
		if (t->sctl != -1) {
			pfd[isby = n++].fd = t->sctl;
			pfd[isby].events = POLLIN;
		}
		if (t->pchan != -1) {
			pfd[ipar = n++].fd = t->pchan;
			pfd[ipar].events = POLLIN;
		}
		ndying = t->ndying;
		for (i = 0; i < ndying; i++) {
			pfd[n + (int)i].fd = t->dying[i].pidfd;
			pfd[n + (int)i].events = POLLIN;
		}
		if (poll(pfd, (nfds_t)n + ndying, dt_timeout(t)) == -1) {
			if (errno != EINTR)
				log_warn("dispatch: poll");
			continue;
		}
		dt_dying_read(t, pfd + n, ndying);
		/* Until a short read: the pipe is empty then. */
		if (pfd[0].revents != 0)
			while (read(d->wake[0], drain, sizeof(drain)) ==
			    (ssize_t)sizeof(drain))
				;
		if (ictl != -1 && pfd[ictl].revents != 0)
			dt_ctl_read(d);
		if (isby != -1 && pfd[isby].revents != 0)
			dt_sctl_read(d);
		if (ipar != -1 && pfd[ipar].revents != 0)
			dt_parent_read(d);
	}
	dt_retire(d, NULL);
	dt_standby_drop(d, NULL);
	if (t->pctl != -1)
		close(t->pctl);
	return NULL;
}

/* The public side */

static int
dispatch_nonblock(int fd)
{
	int	 fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1)
		return -1;
	return fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* The thread takes no signal: the frontends' threads handle them. */
static int
dispatch_start(struct dispatch *d)
{
	sigset_t	 all, old;
	int		 rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&d->tid, NULL, dispatch_thread, d);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc == 0 ? 0 : -1;
}

static int
dispatch_init(struct dispatch *d, int pchan)
{
	pthread_condattr_t	 ca;
	int			 rc;

	if (pipe2(d->wake, O_NONBLOCK | O_CLOEXEC) == -1)
		return -1;
	if ((d->t.b = buf_new(WIRE_CTL_MAX + 1)) == NULL ||
	    (pchan != -1 && dispatch_nonblock(pchan) == -1))
		return -1;
	pthread_mutex_init(&d->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	rc = pthread_cond_init(&d->ready, &ca);
	pthread_condattr_destroy(&ca);
	if (rc != 0)
		return -1;
	if (dispatch_start(d) == -1) {
		pthread_cond_destroy(&d->ready);
		return -1;
	}
	return 0;
}

struct dispatch *
dispatch_new(int pchan, const struct config *conf,
    const uint64_t *announced)
{
	struct dispatch	*d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->wake[0] = d->wake[1] = -1;
	d->parent = pchan != -1;
	/* Large bodies go to a memfd as they come: the worker's job. */
	message_spill_above(WIRE_JOB_INLINE_MAX / 2);
	d->announced = announced;
	d->path = conf->path;
	d->given = -1;
	if ((d->nosource = pchan == -1))
		memcpy(d->fault, "no spawner", sizeof("no spawner"));
	d->t.pchan = pchan;
	d->t.pctl = -1;
	d->t.ctl = -1;
	d->t.sctl = -1;
	if ((d->cur = dgen_new(1, NULL, conf)) == NULL ||
	    (d->parent && (d->pen = penalty_new()) == NULL) ||
	    dispatch_init(d, pchan) == -1) {
		if (d->wake[0] != -1) {
			close(d->wake[0]);
			close(d->wake[1]);
		}
		buf_free(&d->t.b);
		dgen_put(&d->cur);
		penalty_free(&d->pen);
		free(d);
		return NULL;
	}
	return d;
}

void
dispatch_free(struct dispatch **dp)
{
	struct dispatch	*d = *dp;

	if (d == NULL)
		return;
	pthread_mutex_lock(&d->lock);
	d->stop = 1;
	pthread_mutex_unlock(&d->lock);
	dispatch_poke(d);
	pthread_join(d->tid, NULL);
	stock_close(&d->t, d->stock, d->nstock);
	/* The thread is gone: see the last workers go here. */
	while (d->t.ndying > 0) {
		if (pidfd_wait(d->t.dying[0].pidfd, (int)(d->t.dying[0].kill_at -
		    clock_ms())) == 1)
			dying_forget(&d->t, 0);
		else
			dying_tick(&d->t, clock_ms());
	}
	if (d->given != -1)
		close(d->given);
	close(d->wake[0]);
	close(d->wake[1]);
	buf_free(&d->t.b);
	dgen_put(&d->cur);
	penalty_free(&d->pen);
	pthread_cond_destroy(&d->ready);
	pthread_mutex_destroy(&d->lock);
	free(d);
	*dp = NULL;
}

void
dispatch_set_spawner(struct dispatch *d, int ctl)
{
	int	 old;

	pthread_mutex_lock(&d->lock);
	old = d->given;
	d->given = ctl;
	d->nosource = 0;
	pthread_mutex_unlock(&d->lock);
	if (old != -1)
		close(old);
	dispatch_poke(d);
}

struct dgen *
dispatch_hold(struct dispatch *d)
{
	struct dgen	*g;

	pthread_mutex_lock(&d->lock);
	g = dgen_ref(d->cur);
	pthread_mutex_unlock(&d->lock);
	/* The dispatcher thread takes the new generation. */
	if (dispatch_stale(d, g))
		dispatch_poke(d);
	return g;
}

const struct config *
dgen_config(const struct dgen *g)
{
	return g->conf;
}

void
dispatch_release(struct dispatch *d, struct dgen **gp)
{
	(void)d;
	dgen_put(gp);
}

/*
 * Waits up to ms for a frame from a worker; returns its length, 0 at end
 * of file, -1 (wire_recv_peer's errno, or ETIMEDOUT).
 */
static ssize_t
recv_within(int fd, struct buf *b, size_t max, pid_t *pid_r, int ms)
{
	struct pollfd	 pfd = { fd, POLLIN, 0 };
	int		 rc;

	do {
		rc = poll(&pfd, 1, ms < 0 ? 0 : ms);
	} while (rc == -1 && errno == EINTR);
	if (rc == 0)
		errno = ETIMEDOUT;
	if (rc <= 0)
		return -1;
	return wire_recv_peer(fd, b, max, pid_r);
}

/*
 * Takes a worker from the stock, waiting for one until deadline; returns
 * 0, or -1 with the reason in o->why.
 */
static int
dispatch_take(struct dispatch *d, long long deadline, struct stocked *w_r,
    struct outcome *o)
{
	struct timespec	 ts;
	int		 rc, poked = 0, short_of;

	ts.tv_sec = (time_t)(deadline / 1000);
	ts.tv_nsec = (long)(deadline % 1000) * 1000000;
	pthread_mutex_lock(&d->lock);
	d->waiters++;
	while ((rc = stock_take(d, clock_ms(), w_r)) == -1 && !d->nosource &&
	    !d->stop && clock_ms() < deadline) {
		if (!poked) {
			pthread_mutex_unlock(&d->lock);
			dispatch_poke(d);	/* we wait */
			pthread_mutex_lock(&d->lock);
			poked = 1;
		} else
			(void)pthread_cond_timedwait(&d->ready, &d->lock, &ts);
	}
	d->waiters--;
	if (rc == -1)
		snprintf(o->why, sizeof(o->why), "no worker available%s%s",
		    d->fault[0] != '\0' ? ": " : "", d->fault);
	/* Most takes leave enough: the dispatcher thread sleeps on. */
	short_of = stock_need(d, clock_ms()) > 0;
	pthread_mutex_unlock(&d->lock);
	if (short_of)
		dispatch_poke(d);
	return rc;
}

/* Writes the job into a sealed memfd; returns it and its size, or -1. */
static int
dispatch_job(const struct message *m, uint64_t nonce, uint64_t *size_r)
{
	struct buf	*b;
	const uint8_t	*p;
	size_t		 left;
	ssize_t		 n;
	int		 fd = -1;

	if ((b = buf_new(message_size(m) + WIRE_JOB_OVERHEAD)) == NULL)
		return -1;
	if (wire_enc_job(b, nonce, m) == -1 ||
	    (fd = memfd_create("filterd-job", MFD_CLOEXEC |
	    MFD_ALLOW_SEALING)) == -1)
		goto fail;
	p = buf_data(b);
	for (left = buf_len(b); left > 0; left -= (size_t)n, p += n)
		if ((n = write(fd, p, left)) <= 0 && errno != EINTR)
			goto fail;
		else if (n < 0)
			n = 0;
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE | F_SEAL_SEAL) == -1)
		goto fail;
	*size_r = buf_len(b);
	buf_free(&b);
	return fd;
fail:
	if (fd != -1)
		close(fd);
	buf_free(&b);
	return -1;
}

/* How dispatch_try failed: the fallback, and whether the worker failed. */
#define TRY_FAILED	(-1)
#define TRY_WORKER	(-2)	/* died without a verdict or timed out */

static int
fail(struct outcome *o, const char *why)
{
	snprintf(o->why, sizeof(o->why), "%s", why);
	return TRY_FAILED;
}

/*
 * Sends the job to w in the cheapest of its forms (wire.h) that fits:
 * inline, when all of it fits WIRE_JOB_INLINE_MAX; as a JOBHEAD with the
 * memfd the body went to as it came, when the rest fits; else all of it
 * in a new memfd.  b holds at least WIRE_JOB_INLINE_MAX.  Returns 0 with
 * the form in *form_r, or TRY_FAILED.
 */
static int
dispatch_send(const struct stocked *w, const struct message *m,
    uint64_t nonce, struct buf *b, const char **form_r, struct outcome *o)
{
	uint64_t	 size;
	int		 jfd, rc;

	*form_r = "inline";
	if (!message_body_spilled(m) &&
	    message_size(m) < WIRE_JOB_INLINE_MAX &&
	    wire_enc_job(b, nonce, m) == 0 &&
	    buf_len(b) <= WIRE_JOB_INLINE_MAX) {
		if (wire_send(w->fd, b, -1) == 0)
			return 0;
		/* A send buffer made smaller than the job: a memfd then. */
		if (errno != EMSGSIZE && errno != ENOBUFS)
			return fail(o, "cannot send the job");
	} else if (message_body_spilled(m) &&
	    wire_enc_jobhead(b, nonce, m) == 0 &&
	    buf_len(b) <= WIRE_JOB_INLINE_MAX &&
	    (jfd = message_body_fd(m)) != -1) {
		*form_r = "its body in the memfd it was written to";
		return wire_send(w->fd, b, jfd) == -1 ?
		    fail(o, "cannot send the job") : 0;
	}
	*form_r = "whole in a memfd";
	if ((jfd = dispatch_job(m, nonce, &size)) == -1)
		return fail(o, "cannot write the job");
	rc = wire_enc_jobref(b, nonce, size) == -1 ||
	    wire_send(w->fd, b, jfd) == -1 ? fail(o, "cannot send the job") : 0;
	close(jfd);
	return rc;
}

static int
worker_failed(struct outcome *o, const char *why)
{
	snprintf(o->why, sizeof(o->why), "%s", why);
	return TRY_WORKER;
}

/* Reads the one verdict before the deadline; decodes it. */
static int
dispatch_read(const struct stocked *w, struct buf *b, long long deadline,
    struct outcome *o)
{
	const char	*why;
	ssize_t		 n;
	pid_t		 from = 0;

	n = recv_within(w->fd, b, WIRE_VERDICT_MAX, &from,
	    (int)(deadline - clock_ms()));
	if (n == -1 && errno == ETIMEDOUT)
		return worker_failed(o, "worker timed out");
	if (n == -1 && errno == EMSGSIZE)
		return fail(o, "verdict frame too large or with descriptors");
	if (n == -1 && errno == EBADMSG)
		return fail(o, "an empty record instead of a verdict");
	if (n == -1 && errno == EPROTO)
		return fail(o, "a verdict without the sender's credentials");
	if (n == -1)
		return fail(o, "cannot read the verdict");
	if (n == 0)
		return worker_failed(o, "worker exited without a verdict");
	if (from != w->pid)
		return fail(o, "a verdict from another process");
	if (wire_dec_verdict(buf_data(b), buf_len(b), &o->v, &why) == -1)
		return fail(o, why);
	return 0;
}

/* Why a frame after the verdict fails the message; NULL: end of file. */
static const char *
dispatch_extra(ssize_t n)
{
	if (n == 0)
		return NULL;
	if (n > 0 || errno == EMSGSIZE)
		return "more than one verdict";
	if (errno == EBADMSG)
		return "an empty record after the verdict";
	return "cannot read after the verdict";
}

/*
 * After the verdict, the worker must exit within DISPATCH_EXIT_MS and
 * send nothing more.  Watches its channel and its pidfd until it exits,
 * then reads what it sent just before it went.  A frame does not end the
 * wait: a worker that sends one and exits is not killed, so that how it
 * ends does not depend on how fast it is.  Returns 0 once it is gone and
 * sent nothing; 1 when time was up and it had sent nothing more (the
 * caller kills it); -1 with the reason in o->why, and then it is gone too
 * unless time was up.  *gone_r says whether its exit was seen.
 */
static int
dispatch_after(const struct stocked *w, struct buf *b, struct outcome *o,
    int *gone_r)
{
	struct pollfd	 pfd[2] = { { w->pidfd, POLLIN, 0 },
			    { w->fd, POLLIN, 0 } };
	const char	*why = NULL;
	long long	 end = clock_ms() + DISPATCH_EXIT_MS;
	nfds_t		 nfd = 2;
	pid_t		 from;
	int		 rc;

	for (;;) {
		rc = poll(pfd, nfd, (int)(end > clock_ms() ? end - clock_ms() : 0));
		if (rc == -1 && errno == EINTR)
			continue;
		/*
		 * Slow to exit, but it said nothing after its verdict: a
		 * healthy worker on a host short of CPU can be this slow.
		 * It is killed before the answer all the same; its verdict,
		 * validated as any other, stands.  A worker that owns its
		 * process could have sent that verdict and exited, so
		 * staying on gains it nothing.
		 */
		if (rc == 0 && why == NULL)
			return 1;
		if (rc <= 0)
			return fail(o, why != NULL ? why :
			    "cannot wait for the worker to exit");
		if (pfd[0].revents != 0)
			break;
		/* A frame or end of file: only the exit is left to see. */
		why = dispatch_extra(wire_recv_peer(w->fd, b, WIRE_VERDICT_MAX,
		    &from));
		nfd = 1;
	}
	*gone_r = 1;
	/*
	 * Gone, so its end of the channel is closed (no other process has
	 * it): what it sent, or end of file, is there without a poll.
	 */
	if (why == NULL && nfd == 2)
		why = dispatch_extra(wire_recv_peer(w->fd, b, WIRE_VERDICT_MAX,
		    &from));
	return why == NULL ? 0 : fail(o, why);
}

/*
 * Runs the job through w; the worker is gone when this returns, which
 * returns as dispatch_try does.  On a failure before the verdict the
 * worker's channel is closed first, so that a worker waiting for more
 * reads end of file and exits by itself; after DISPATCH_EXIT_MS it is
 * killed.  After the verdict it has had its time.
 */
static int
dispatch_use(struct stocked *w, const struct message *m, struct buf *b,
    long long deadline, struct outcome *o)
{
	const char	*why, *form = NULL;
	uint64_t	 nonce;
	int		 rc, grace = DISPATCH_EXIT_MS, gone = 0, late = 0;
	size_t		 len;

	/*
	 * A reload may have lowered limits.message_size since the message
	 * came: its worker would refuse the job.  Over a limit is oversize.
	 */
	if (message_size(m) > (size_t)w->g->conf->message_size) {
		answer_oversize(w->g->conf->oversize, "over limits.message_size",
		    o);
		rc = 1;
	} else if (getrandom(&nonce, sizeof(nonce), 0) != sizeof(nonce))
		rc = fail(o, "getrandom failed");
	else
		rc = dispatch_send(w, m, nonce, b, &form, o);
	/* What a test waits for, rather than for a while. */
	if (rc == 0)
		log_debug("%s: job sent to worker %ld, %s", m->queue_id != NULL ?
		    m->queue_id : "NOQUEUE", (long)w->pid, form);
	if (rc == 0 && (rc = dispatch_read(w, b, deadline, o)) == 0) {
		if ((late = dispatch_after(w, b, o, &gone)) != 0)
			grace = 0;
		if (late < 0)
			rc = late;
		else if (validate_verdict(&o->v, nonce, &w->g->policy,
		    &why) == -1)
			rc = fail(o, why);
	}
	close(w->fd);
	if (!gone && worker_gone(w->pidfd, w->pid, grace)) {
		if (rc < 0) {
			len = strlen(o->why);
			snprintf(o->why + len, sizeof(o->why) - len,
			    ", killed");
		} else if (late == 1)
			log_warnx("%s: worker %ld did not exit within %d ms "
			    "of its verdict, killed; the verdict stands",
			    m->queue_id != NULL ? m->queue_id : "NOQUEUE",
			    (long)w->pid, DISPATCH_EXIT_MS);
	}
	close(w->pidfd);
	return rc;
}

void
dispatch_fallback(const struct config *c, struct verdict *v)
{
	answer_fallback(c->on_failure, v);
}

/*
 * A worker of spawner serial failed: no sibling of it (the same address
 * layout) is handed out from now on, and the dispatcher thread retires
 * the spawner and lets the standby take over.
 */
static void
dispatch_lost(struct dispatch *d, unsigned serial)
{
	pthread_mutex_lock(&d->lock);
	if (d->live == serial)
		d->live = 0;
	pthread_mutex_unlock(&d->lock);
	dispatch_poke(d);
}

/*
 * The worker is validated by the policy of the spawner it came from.
 * Returns 0 with the verdict in o, 1 when o was decided without one, or
 * TRY_FAILED or TRY_WORKER with the reason in o->why.
 */
static int
dispatch_try(struct dispatch *d, const struct message *m, struct buf *b,
    long long start, struct dgen **g_r, struct outcome *o)
{
	struct stocked	 w;
	long long	 deadline, limit;
	int		 rc;

	memset(&w, 0, sizeof(w));
	deadline = start + (*g_r)->conf->worker_timeout * 1000LL;
	if (dispatch_take(d, deadline, &w, o) == -1)
		return TRY_FAILED;
	dgen_put(g_r);
	*g_r = w.g;
	o->pid = w.pid;
	deadline = start + w.g->conf->worker_timeout * 1000LL;
	limit = w.since + w.g->conf->worker_timeout * 1000LL +
	    DISPATCH_GRACE_MS;
	if (deadline > limit)
		deadline = limit;	/* before its spawner kills it */
	/*
	 * Without a parent (filterd -t) there is no other spawner to take
	 * over: the spawner's own retirement after an abnormal death does.
	 */
	if ((rc = dispatch_use(&w, m, b, deadline, o)) == TRY_WORKER &&
	    d->parent)
		dispatch_lost(d, w.spawner);
	return rc;
}

/* A client serving a penalty gets the fallback at once. */
static int
dispatch_penalty(struct dispatch *d, const struct dgen *g,
    const struct message *m, long long now, struct outcome *o)
{
	return d->pen != NULL && penalty_check(d->pen, g->conf,
	    m->client_addr, now, o->why, sizeof(o->why));
}

/* The client whose message made a worker fail offended. */
static void
dispatch_offence(struct dispatch *d, const struct dgen *g,
    const struct message *m, long long start, const struct outcome *o)
{
	char	 what[sizeof(o->why) + 32];

	if (d->pen == NULL)
		return;
	snprintf(what, sizeof(what), "worker %ld %s", (long)o->pid,
	    strncmp(o->why, "worker ", 7) == 0 ? o->why + 7 : o->why);
	(void)penalty_offence(d->pen, g->conf, m->client_addr, start,
	    clock_ms(), what);
}

void
dispatch_run(struct dispatch *d, const struct message *m, struct outcome *o)
{
	struct dgen	*g = dispatch_hold(d);
	struct buf	*b = NULL;
	long long	 start = clock_ms();
	int		 rc;

	memset(o, 0, sizeof(*o));
	if (dispatch_penalty(d, g, m, start, o))
		rc = TRY_FAILED;
	else if ((b = buf_new(DISPATCH_BUF_MAX + 1)) == NULL)
		rc = fail(o, "out of memory");
	else
		rc = dispatch_try(d, m, b, start, &g, o);
	buf_free(&b);
	o->ms = (long)(clock_ms() - start);
	if (rc == TRY_WORKER)
		dispatch_offence(d, g, m, start, o);
	if (rc < 0) {
		o->kind = OUTCOME_FALLBACK;
		dispatch_fallback(g->conf, &o->v);
	}
	dispatch_release(d, &g);
}

int
dispatch_penalised(struct dispatch *d, const struct message *m,
    struct outcome *o)
{
	struct dgen	*g = dispatch_hold(d);
	int		 rc;

	memset(o, 0, sizeof(*o));
	if ((rc = dispatch_penalty(d, g, m, clock_ms(), o))) {
		o->kind = OUTCOME_FALLBACK;
		dispatch_fallback(g->conf, &o->v);
	}
	dispatch_release(d, &g);
	return rc;
}

void
dispatch_fallback_now(struct dispatch *d, struct verdict *v)
{
	struct dgen	*g = dispatch_hold(d);

	dispatch_fallback(g->conf, v);
	dispatch_release(d, &g);
}

