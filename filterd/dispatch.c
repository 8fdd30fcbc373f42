/*
 * dispatch: runs in the supervisor, in whichever frontend thread handles
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

#include "config.h"
#include "dispatch.h"
#include "log.h"
#include "message.h"
#include "validate.h"
#include "wire.h"

/* How long to wait for the spawner or the parent to answer. */
#define DISPATCH_CTL_TIMEOUT_MS	10000

struct dispatch {
	pthread_mutex_t		 lock;
	int			 pchan;
	int			 ctl;		/* -1: ask the parent */
	const struct config	*conf;
	struct policy		 policy;
};

static long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct dispatch *
dispatch_new(int pchan, const struct config *conf)
{
	struct dispatch	*d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	if (policy_init(&d->policy, conf) == -1) {
		free(d);
		return NULL;
	}
	pthread_mutex_init(&d->lock, NULL);
	d->pchan = pchan;
	d->ctl = -1;
	d->conf = conf;
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
	policy_clear(&d->policy);
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
 * Gets a fresh worker; returns its socket, or -1.  A spawner that does
 * not answer has retired (or died): ask the parent for a new one, once.
 */
static int
dispatch_worker(struct dispatch *d, struct buf *b, pid_t *pid_r)
{
	pid_t	 spid;
	int	 fd = -1, try;

	pthread_mutex_lock(&d->lock);
	for (try = 0; try < 2 && fd == -1; try++) {
		if (d->ctl == -1) {
			d->ctl = ask_for_fd(d->pchan, WIRE_SPAWNER, b, &spid);
			if (d->ctl == -1) {
				log_warnx("no spawner from the parent");
				break;
			}
			log_debug("new spawner %ld", (long)spid);
		}
		if ((fd = ask_for_fd(d->ctl, WIRE_WORKER, b, pid_r)) == -1) {
			close(d->ctl);
			d->ctl = -1;
		}
	}
	pthread_mutex_unlock(&d->lock);
	return fd;
}

/* Writes the job into a sealed memfd; returns it and its size, or -1. */
static int
dispatch_job(const struct config *c, const struct message *m,
    uint64_t nonce, uint64_t *size_r)
{
	struct buf	*b;
	const uint8_t	*p;
	size_t		 left;
	ssize_t		 n;
	int		 fd = -1;

	if ((b = buf_new((size_t)c->message_size + WIRE_JOB_OVERHEAD)) == NULL)
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
dispatch_read(struct dispatch *d, int fd, struct buf *b, long long deadline,
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
	if (validate_verdict(&o->v, nonce, &d->policy, &why) == -1)
		return fail(o, why);
	return 0;
}

void
dispatch_fallback(const struct config *c, struct verdict *v)
{
	verdict_clear(v);
	v->action = (uint8_t)c->on_failure;
	if (c->on_failure == ACTION_TEMPFAIL)
		(void)verdict_set_reply(v, "451", "4.3.0",
		    "Content filter failure, try again later");
	else if (c->on_failure == ACTION_REJECT)
		(void)verdict_set_reply(v, "550", "5.7.0",
		    "Content filter failure");
}

static int
dispatch_try(struct dispatch *d, const struct message *m, struct buf *b,
    struct outcome *o)
{
	long long	 deadline = now_ms() + d->conf->worker_timeout * 1000LL;
	uint64_t	 nonce, size;
	int		 wfd, jfd, rc;

	if (getrandom(&nonce, sizeof(nonce), 0) != sizeof(nonce))
		return fail(o, "getrandom failed");
	if ((wfd = dispatch_worker(d, b, &o->pid)) == -1)
		return fail(o, "no worker available");
	if ((jfd = dispatch_job(d->conf, m, nonce, &size)) == -1) {
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
	rc = dispatch_read(d, wfd, b, deadline, nonce, o);
	close(wfd);
	o->ms = (long)(now_ms() - (deadline - d->conf->worker_timeout * 1000LL));
	return rc;
}

void
dispatch_run(struct dispatch *d, const struct message *m, struct outcome *o)
{
	struct buf	*b;

	memset(o, 0, sizeof(*o));
	if ((b = buf_new(WIRE_VERDICT_MAX + 1)) == NULL) {
		fail(o, "out of memory");
	} else if (dispatch_try(d, m, b, o) == 0) {
		buf_free(&b);
		return;
	}
	buf_free(&b);
	o->fallback = 1;
	dispatch_fallback(d->conf, &o->v);
}

void
outcome_clear(struct outcome *o)
{
	verdict_clear(&o->v);
}
