/*
 * super_opensmtpd: the OpenSMTPD frontend.  Runs in the supervisor, unprivileged:
 * one event loop thread speaks the filter protocol on stdin and stdout
 * (opensmtpd_proto.c holds the protocol), and a small pool of threads runs
 * dispatch_run(), which blocks for up to limits.worker_timeout, one message
 * each; a finished message comes back to the loop through a pipe.  So a
 * slow worker delays its own message only.  Trusts the configuration;
 * trusts neither smtpd's stream (the client's bytes) nor the workers
 * (dispatch.c validates their verdicts).
 *
 * Why not libopensmtpd (Debian's libopensmtpd-dev 0.7, the library the
 * issue prefers): osmtpd_run() owns the process -- it calls event_init()
 * and event_dispatch() on libevent's global base and returns only when
 * smtpd hangs up, so our wake-up pipe could be added only from inside one
 * of its callbacks; and it ends the process with errx() on any line it
 * does not expect ("Invalid line received", "Unexpectd event") or err() on
 * a failed write, with no hook to log through filterd or to decide what is
 * fatal.  In this mode filterd's exit is smtpd's exit, so that decision
 * must be ours.  Its parser also cannot be fed bytes without its event
 * loop reading fd 0, so it could be neither unit-tested nor fuzzed here.
 * The protocol is small and line-based; smtpd_proto.c is bounded,
 * table-tested and fuzzed instead, with no new dependency.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "filterd/lib/config.h"
#include "filterd/super_dispatch.h"
#include "filterd/lib/log.h"
#include "filterd/super_opensmtpd.h"
#include "filterd/opensmtpd_proto.h"

#define SMTPD_THREADS_MAX	64
#define SMTPD_READ_MAX		65536
/* Stop reading from smtpd while this much waits to be written to it. */
#define SMTPD_OUT_HIGH		(1024 * 1024)

struct pool {
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;
	struct smtpd_job	*todo;
	struct smtpd_job	**tail;
	size_t			 ntodo;
	struct smtpd_job	*done;
	pthread_t		 tid[SMTPD_THREADS_MAX];
	int			 nthreads;
	int			 nidle;
	int			 stop;
	int			 wake[2];	/* done -> loop */
	struct dispatch		*d;
};

struct frontend {
	struct dispatch		*d;
	struct dgen		*g;	/* for sessions that begin now */
	struct pool		 pool;
	struct smtpd_proto	*p;
	int			 sigfd;
};

/* The pool */

static void
pool_wake(struct pool *pl)
{
	char	 c = 0;

	/* A full pipe already holds a wake-up: EAGAIN is fine. */
	if (write(pl->wake[1], &c, 1) == -1 && errno != EAGAIN)
		log_warn("opensmtpd: wake-up pipe");
}

static void
pool_finish(struct pool *pl, struct smtpd_job *j)
{
	pthread_mutex_lock(&pl->lock);
	j->next = pl->done;
	pl->done = j;
	pthread_mutex_unlock(&pl->lock);
	pool_wake(pl);
}

static struct smtpd_job *
pool_take(struct pool *pl)
{
	struct smtpd_job	*j;

	if ((j = pl->todo) == NULL)
		return NULL;
	if ((pl->todo = j->next) == NULL)
		pl->tail = &pl->todo;
	pl->ntodo--;
	return j;
}

static void *
pool_thread(void *arg)
{
	struct pool		*pl = arg;
	struct smtpd_job	*j;

	for (;;) {
		pthread_mutex_lock(&pl->lock);
		while (pl->todo == NULL && !pl->stop) {
			pl->nidle++;
			pthread_cond_wait(&pl->cond, &pl->lock);
			pl->nidle--;
		}
		j = pl->stop ? NULL : pool_take(pl);
		pthread_mutex_unlock(&pl->lock);
		if (j == NULL)
			return NULL;
		dispatch_run(pl->d, j->m, &j->o);
		pool_finish(pl, j);
	}
}

/* With no thread at all, queued messages get the fallback.  Locked. */
static void
pool_fail_queued(struct pool *pl)
{
	struct smtpd_job	*j;

	while ((j = pool_take(pl)) != NULL) {
		memset(&j->o, 0, sizeof(j->o));
		j->o.kind = OUTCOME_FALLBACK;
		snprintf(j->o.why, sizeof(j->o.why), "cannot start a "
		    "dispatch thread");
		dispatch_fallback_now(pl->d, &j->o.v);
		j->next = pl->done;
		pl->done = j;
	}
	pool_wake(pl);
}

static void
pool_submit(void *arg, struct smtpd_job *j)
{
	struct frontend	*fe = arg;
	struct pool	*pl = &fe->pool;
	int		 rc;

	pthread_mutex_lock(&pl->lock);
	j->next = NULL;
	*pl->tail = j;
	pl->tail = &j->next;
	pl->ntodo++;
	if ((size_t)pl->nidle < pl->ntodo &&
	    pl->nthreads < SMTPD_THREADS_MAX) {
		rc = pthread_create(&pl->tid[pl->nthreads], NULL, pool_thread,
		    pl);
		if (rc == 0)
			pl->nthreads++;
		else if (pl->nthreads == 0) {
			log_warnx("opensmtpd: pthread_create: %s",
			    strerror(rc));
			pool_fail_queued(pl);
		}
	}
	pthread_cond_signal(&pl->cond);
	pthread_mutex_unlock(&pl->lock);
}

static int
pool_init(struct pool *pl, struct dispatch *d)
{
	memset(pl, 0, sizeof(*pl));
	pl->tail = &pl->todo;
	pl->d = d;
	if (pipe2(pl->wake, O_NONBLOCK | O_CLOEXEC) == -1)
		return -1;
	pthread_mutex_init(&pl->lock, NULL);
	pthread_cond_init(&pl->cond, NULL);
	return 0;
}

/* Lets running messages finish (within limits.worker_timeout). */
static void
pool_stop(struct pool *pl)
{
	int	 i;

	pthread_mutex_lock(&pl->lock);
	pl->stop = 1;
	pthread_cond_broadcast(&pl->cond);
	pthread_mutex_unlock(&pl->lock);
	for (i = 0; i < pl->nthreads; i++)
		pthread_join(pl->tid[i], NULL);
	pthread_cond_destroy(&pl->cond);
	pthread_mutex_destroy(&pl->lock);
	close(pl->wake[0]);
	close(pl->wake[1]);
}

/* The loop */

static void
fe_fallback(void *arg, struct verdict *v)
{
	const struct frontend	*fe = arg;

	dispatch_fallback(dgen_config(fe->g), v);
}

static void
fe_limits(const struct config *c, struct smtpd_limits *lim)
{
	lim->message_size = (size_t)c->message_size;
	lim->oversize = c->oversize;
	lim->malformed = c->malformed;
	lim->worker_timeout = c->worker_timeout;
}

/*
 * After a reload, sessions that begin get the new limits.  The check takes
 * no lock: the loop must not wait behind a dispatch thread.
 */
static void
fe_refresh(struct frontend *fe)
{
	struct smtpd_limits	 lim;

	if (!dispatch_stale(fe->d, fe->g))
		return;
	dispatch_release(fe->d, &fe->g);
	fe->g = dispatch_hold(fe->d);
	fe_limits(dgen_config(fe->g), &lim);
	smtpd_proto_set_limits(fe->p, &lim);
	smtpd_proto_set_qheader(fe->p, dgen_config(fe->g)->quarantine_header);
}

static int
fe_fatal(const char *why)
{
	log_warnx("opensmtpd: protocol error: %s; exiting (smtpd exits "
	    "with its filter)", why);
	return -1;
}

/* Hands finished messages back to the protocol. */
static int
fe_wake(struct frontend *fe)
{
	struct smtpd_job	*j, *next;
	const char		*why;
	char			 drain[64];
	int			 rc = 0;

	while (read(fe->pool.wake[0], drain, sizeof(drain)) > 0)
		;
	pthread_mutex_lock(&fe->pool.lock);
	j = fe->pool.done;
	fe->pool.done = NULL;
	pthread_mutex_unlock(&fe->pool.lock);
	for (; j != NULL; j = next) {
		next = j->next;
		if (rc == 0 && smtpd_proto_done(fe->p, j, &why) == -1)
			rc = fe_fatal(why);
	}
	return rc;
}

/* Returns 1 at end of file, 0, or -1. */
static int
fe_read(struct frontend *fe)
{
	char		 b[SMTPD_READ_MAX];
	const char	*why;
	ssize_t		 n;

	if ((n = read(STDIN_FILENO, b, sizeof(b))) == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		log_warn("opensmtpd: read from smtpd");
		return -1;
	}
	if (n == 0)
		return 1;
	if (smtpd_proto_feed(fe->p, b, (size_t)n, &why) == -1)
		return fe_fatal(why);
	return 0;
}

static int
fe_write(struct frontend *fe)
{
	const uint8_t	*out;
	size_t		 len;
	ssize_t		 n;

	out = smtpd_proto_output(fe->p, &len);
	if (len == 0)
		return 0;
	if ((n = write(STDOUT_FILENO, out, len)) == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		log_warn("opensmtpd: write to smtpd");
		return -1;
	}
	smtpd_proto_consume(fe->p, (size_t)n);
	return 0;
}

/* Returns 1 to stop, 0 to go on. */
static int
fe_signal(struct frontend *fe)
{
	struct signalfd_siginfo	 si;

	while (read(fe->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			log_warnx("opensmtpd: SIGHUP ignored here: send it "
			    "to the parent filterd process, pid %ld, to "
			    "reload", (long)getppid());
			continue;
		}
		log_info("opensmtpd: shutting down on signal %u",
		    si.ssi_signo);
		return 1;
	}
	return 0;
}

static int
fe_loop(struct frontend *fe)
{
	struct pollfd	 pfd[4];
	size_t		 pending;
	int		 rc = 0;

	while (rc == 0) {
		(void)smtpd_proto_output(fe->p, &pending);
		pfd[0].fd = fe->sigfd;
		pfd[1].fd = fe->pool.wake[0];
		pfd[2].fd = pending < SMTPD_OUT_HIGH ? STDIN_FILENO : -1;
		pfd[3].fd = pending > 0 ? STDOUT_FILENO : -1;
		pfd[0].events = pfd[1].events = pfd[2].events = POLLIN;
		pfd[3].events = POLLOUT;
		if (poll(pfd, 4, -1) == -1) {
			if (errno == EINTR)
				continue;
			log_warn("opensmtpd: poll");
			return 1;
		}
		if (pfd[0].revents & POLLIN && fe_signal(fe))
			return 0;
		if (pfd[1].revents & POLLIN && fe_wake(fe) == -1)
			return 1;
		if (pfd[3].revents & (POLLOUT | POLLERR | POLLHUP) &&
		    fe_write(fe) == -1)
			return 1;
		if (pfd[2].revents & (POLLIN | POLLERR | POLLHUP)) {
			fe_refresh(fe);
			rc = fe_read(fe);
		}
	}
	if (rc == 1)
		log_info("opensmtpd: smtpd closed the filter stream, "
		    "exiting");
	return rc == 1 ? 0 : 1;
}

static int
fe_signals(void)
{
	sigset_t	 set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		return -1;
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

static int
fe_nonblock(int fd)
{
	int	 fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1)
		return -1;
	return fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int
smtpd_run(const struct config *c, struct dispatch *d)
{
	struct frontend		 fe;
	struct smtpd_limits	 lim;
	struct smtpd_ops	 ops = { pool_submit, fe_fallback };
	int			 rc;

	memset(&fe, 0, sizeof(fe));
	fe.d = d;
	fe.g = dispatch_hold(d);
	fe_limits(c, &lim);
	if ((fe.sigfd = fe_signals()) == -1 ||
	    fe_nonblock(STDIN_FILENO) == -1 ||
	    fe_nonblock(STDOUT_FILENO) == -1) {
		log_warn("opensmtpd: cannot set up stdin, stdout or signals");
		return 1;
	}
	if (pool_init(&fe.pool, d) == -1) {
		log_warn("opensmtpd: cannot start");
		dispatch_release(d, &fe.g);
		return 1;
	}
	if ((fe.p = smtpd_proto_new(&lim, &ops, &fe)) == NULL) {
		log_warnx("opensmtpd: out of memory");
		pool_stop(&fe.pool);
		dispatch_release(d, &fe.g);
		return 1;
	}
	smtpd_proto_set_qheader(fe.p, c->quarantine_header);
	log_info("opensmtpd: filtering on stdin and stdout");
	rc = fe_loop(&fe);
	pool_stop(&fe.pool);
	smtpd_proto_free(&fe.p);
	dispatch_release(d, &fe.g);
	close(fe.sigfd);
	return rc;
}
