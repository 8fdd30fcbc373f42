/*
 * super_dispatch: runs in the supervisor, in whichever frontend thread handles
 * the message.  The spawner is trusted to hand out sandboxed workers; the
 * worker is not trusted at all -- silence, garbage, extra frames and early
 * exits all become the fallback for this one message, never an error of
 * the supervisor.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "filterd/lib/config.h"
#include "filterd/super_answer.h"
#include "filterd/super_dispatch.h"
#include "filterd/lib/log.h"
#include "filterd/lib/message.h"
#include "filterd/super_policy.h"
#include "filterd/lib/wire.h"

/* How long to wait for the spawner or the parent to answer. */
#define DISPATCH_CTL_TIMEOUT_MS	10000

/*
 * A configuration generation: the settings one spawner runs with, and the
 * policy that validates its workers' verdicts.  Held by the dispatcher
 * while current, by each message in flight, and by each frontend session
 * that started under it.
 */
struct dgen {
	unsigned		 refs;		/* under dispatch.lock */
	uint64_t		 id;
	struct config		*own;		/* NULL: the caller's */
	const struct config	*conf;
	struct policy		 policy;
};

struct dispatch {
	pthread_mutex_t		 lock;
	int			 pchan;
	int			 ctl;		/* cur's spawner; -1: ask */
	struct dgen		*cur;
	const uint64_t		*announced;	/* by the parent, or NULL */
};

static long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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

/* Drops a reference; under the lock. */
static void
dgen_put(struct dgen *g)
{
	if (g == NULL || --g->refs > 0)
		return;
	policy_clear(&g->policy);
	config_free(&g->own);
	free(g);
}

struct dispatch *
dispatch_new(int pchan, const struct config *conf,
    const uint64_t *announced)
{
	struct dispatch	*d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	if ((d->cur = dgen_new(1, NULL, conf)) == NULL) {
		free(d);
		return NULL;
	}
	pthread_mutex_init(&d->lock, NULL);
	d->pchan = pchan;
	d->ctl = -1;
	d->announced = announced;
	return d;
}

void
dispatch_free(struct dispatch **dp)
{
	struct dispatch	*d = *dp;

	if (d == NULL)
		return;
	if (d->ctl != -1)
		close(d->ctl);
	dgen_put(d->cur);
	pthread_mutex_destroy(&d->lock);
	free(d);
	*dp = NULL;
}

void
dispatch_set_spawner(struct dispatch *d, int ctl)
{
	pthread_mutex_lock(&d->lock);
	if (d->ctl != -1)
		close(d->ctl);
	d->ctl = ctl;
	pthread_mutex_unlock(&d->lock);
}

/* Waits up to ms for a frame; returns its length, 0 at EOF, -1. */
static ssize_t
recv_within(int fd, struct buf *b, size_t max, int *fd_r, int ms)
{
	struct pollfd	 pfd = { fd, POLLIN, 0 };
	int		 rc;

	if (fd_r != NULL)
		*fd_r = -1;
	do {
		rc = poll(&pfd, 1, ms < 0 ? 0 : ms);
	} while (rc == -1 && errno == EINTR);
	if (rc == 0)
		errno = ETIMEDOUT;
	if (rc <= 0)
		return -1;
	return wire_recv(fd, b, max, fd_r);
}

/* Asks over sock for a descriptor; returns it, or -1.  Under the lock. */
static int
ask_for_fd(int sock, int type, struct buf *b, pid_t *pid_r)
{
	const char	*why;
	int		 fd;

	if (wire_enc_request(b) == -1 || wire_send(sock, b, -1) == -1)
		return -1;
	if (recv_within(sock, b, WIRE_CTL_MAX, &fd,
	    DISPATCH_CTL_TIMEOUT_MS) <= 0)
		return -1;
	if (fd == -1 || wire_dec_pid(buf_data(b), buf_len(b), type, pid_r,
	    &why) == -1) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

/*
 * Makes the configuration in snapshot fd generation id the current one;
 * returns 0 or -1, keeping the old one.  Under the lock.
 */
static int
dispatch_adopt(struct dispatch *d, uint64_t id, int fd)
{
	struct config	*c;
	struct dgen	*g;

	if (id == d->cur->id)
		return 0;
	/* The parent checked it: an error here is a bug, not the admin's. */
	if ((c = config_load_fd(fd, d->cur->conf->path, stderr)) == NULL ||
	    (g = dgen_new(id, c, c)) == NULL) {
		log_warnx("cannot read configuration generation %llu",
		    (unsigned long long)id);
		return -1;
	}
	dgen_put(d->cur);
	d->cur = g;
	log_info("configuration generation %llu in force",
	    (unsigned long long)id);
	return 0;
}

/*
 * Gets a new spawner from the parent, and the configuration it runs with;
 * sets d->ctl, or leaves it -1.  Under the lock.
 */
static void
dispatch_spawner(struct dispatch *d, struct buf *b)
{
	const char	*why;
	uint64_t	 id;
	pid_t		 spid;
	int		 ctl, cfd = -1;

	if ((ctl = ask_for_fd(d->pchan, WIRE_SPAWNER, b, &spid)) == -1) {
		log_warnx("no spawner from the parent");
		return;
	}
	if (recv_within(d->pchan, b, WIRE_CTL_MAX, &cfd,
	    DISPATCH_CTL_TIMEOUT_MS) <= 0 || cfd == -1 ||
	    wire_dec_config(buf_data(b), buf_len(b), &id, &why) == -1 ||
	    dispatch_adopt(d, id, cfd) == -1) {
		log_warnx("spawner %ld came without a usable configuration",
		    (long)spid);
		close(ctl);	/* it retires */
	} else {
		log_debug("new spawner %ld, configuration generation %llu",
		    (long)spid, (unsigned long long)id);
		d->ctl = ctl;
	}
	if (cfd != -1)
		close(cfd);
}

int
dispatch_stale(const struct dispatch *d, const struct dgen *g)
{
	return d->announced != NULL && d->pchan != -1 &&
	    __atomic_load_n(d->announced, __ATOMIC_ACQUIRE) != g->id;
}

/*
 * After a reload the parent announces a newer generation: retire the
 * current spawner (closing its socket does that; its workers in flight
 * finish) and take one with the new configuration.  Under the lock.
 */
static void
dispatch_refresh(struct dispatch *d)
{
	struct buf	*b;

	if (!dispatch_stale(d, d->cur) ||
	    (b = buf_new(WIRE_CTL_MAX + 1)) == NULL)
		return;
	if (d->ctl != -1)
		close(d->ctl);
	d->ctl = -1;
	dispatch_spawner(d, b);
	buf_free(&b);
}

/*
 * Gets a fresh worker; returns its socket and the generation it runs
 * (held), or -1.  A spawner that does not answer has retired (or died):
 * ask the parent for a new one, once.
 */
static int
dispatch_worker(struct dispatch *d, struct buf *b, pid_t *pid_r,
    struct dgen **g_r)
{
	int	 fd = -1, try;

	pthread_mutex_lock(&d->lock);
	dispatch_refresh(d);
	for (try = 0; try < 2 && fd == -1; try++) {
		if (d->ctl == -1 && d->pchan != -1)
			dispatch_spawner(d, b);
		if (d->ctl == -1)
			break;
		if ((fd = ask_for_fd(d->ctl, WIRE_WORKER, b, pid_r)) == -1) {
			close(d->ctl);
			d->ctl = -1;
		}
	}
	*g_r = d->cur;
	d->cur->refs++;
	pthread_mutex_unlock(&d->lock);
	return fd;
}

struct dgen *
dispatch_hold(struct dispatch *d)
{
	struct dgen	*g;

	pthread_mutex_lock(&d->lock);
	dispatch_refresh(d);
	g = d->cur;
	g->refs++;
	pthread_mutex_unlock(&d->lock);
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
	if (*gp == NULL)
		return;
	pthread_mutex_lock(&d->lock);
	dgen_put(*gp);
	pthread_mutex_unlock(&d->lock);
	*gp = NULL;
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

	if ((b = buf_new(m->bodylen + WIRE_JOB_OVERHEAD)) == NULL)
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

static int
fail(struct outcome *o, const char *why)
{
	snprintf(o->why, sizeof(o->why), "%s", why);
	return -1;
}

/* Reads exactly one verdict, then end of file, before the deadline. */
static int
dispatch_read(const struct dgen *g, int fd, struct buf *b, long long deadline,
    uint64_t nonce, struct outcome *o)
{
	const char	*why;
	ssize_t		 n;

	n = recv_within(fd, b, WIRE_VERDICT_MAX, NULL,
	    (int)(deadline - now_ms()));
	if (n == -1 && errno == ETIMEDOUT)
		return fail(o, "worker timed out");
	if (n == -1 && errno == EMSGSIZE)
		return fail(o, "verdict frame too large or with descriptors");
	if (n == -1)
		return fail(o, "cannot read the verdict");
	if (n == 0)
		return fail(o, "worker exited without a verdict");
	if (wire_dec_verdict(buf_data(b), buf_len(b), &o->v, &why) == -1)
		return fail(o, why);
	n = recv_within(fd, b, WIRE_VERDICT_MAX, NULL,
	    (int)(deadline - now_ms()));
	if (n > 0 || (n == -1 && errno == EMSGSIZE))
		return fail(o, "more than one verdict");
	if (n == -1 && errno == ETIMEDOUT)
		return fail(o, "worker did not exit after its verdict");
	if (n == -1)
		return fail(o, "cannot read after the verdict");
	if (validate_verdict(&o->v, nonce, &g->policy, &why) == -1)
		return fail(o, why);
	return 0;
}

void
dispatch_fallback(const struct config *c, struct verdict *v)
{
	answer_fallback(c->on_failure, v);
}

/* The worker is validated by the policy of the spawner it came from. */
static int
dispatch_try(struct dispatch *d, const struct message *m, struct buf *b,
    struct dgen **g_r, struct outcome *o)
{
	long long	 start = now_ms(), deadline;
	uint64_t	 nonce, size;
	int		 wfd, jfd, rc;

	if (getrandom(&nonce, sizeof(nonce), 0) != sizeof(nonce))
		return fail(o, "getrandom failed");
	wfd = dispatch_worker(d, b, &o->pid, g_r);
	deadline = start + (*g_r)->conf->worker_timeout * 1000LL;
	if (wfd == -1)
		return fail(o, "no worker available");
	if ((jfd = dispatch_job(m, nonce, &size)) == -1) {
		close(wfd);
		return fail(o, "cannot write the job");
	}
	rc = wire_enc_jobref(b, nonce, size) == -1 ||
	    wire_send(wfd, b, jfd) == -1;
	close(jfd);
	if (rc) {
		close(wfd);
		return fail(o, "cannot send the job");
	}
	rc = dispatch_read(*g_r, wfd, b, deadline, nonce, o);
	close(wfd);
	o->ms = (long)(now_ms() - start);
	return rc;
}

void
dispatch_run(struct dispatch *d, const struct message *m, struct outcome *o)
{
	struct dgen	*g = NULL;
	struct buf	*b;
	int		 rc = -1;

	memset(o, 0, sizeof(*o));
	if ((b = buf_new(WIRE_VERDICT_MAX + 1)) == NULL)
		fail(o, "out of memory");
	else
		rc = dispatch_try(d, m, b, &g, o);
	buf_free(&b);
	if (rc == -1) {
		o->fallback = 1;
		o->kind = OUTCOME_FALLBACK;
		if (g == NULL)
			g = dispatch_hold(d);
		dispatch_fallback(g->conf, &o->v);
	}
	dispatch_release(d, &g);
}

void
dispatch_fallback_now(struct dispatch *d, struct verdict *v)
{
	struct dgen	*g = dispatch_hold(d);

	dispatch_fallback(g->conf, v);
	dispatch_release(d, &g);
}

