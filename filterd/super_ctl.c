/*
 * super_ctl: runs in the supervisor, as a thread of its own.  Trusts no
 * client of the control socket beyond its permission to connect (the
 * socket's mode and owner): a client can choose one of five commands and
 * nothing else, its line is bounded, and its time too.  The parent's
 * channel carries only the parent's answers and forwarded signals; the
 * metrics process's carries its requests, of which only two are served.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "filterd/lib/buf.h"
#include "filterd/lib/clock.h"
#include "filterd/lib/log.h"
#include "filterd/lib/logfmt.h"
#include "filterd/super_ctl.h"
#include "filterd/super_dispatch.h"
#include "filterd/super_stats.h"

/* The largest answer: the metrics of STATS_RULES_MAX rules fit. */
#define CTL_ANSWER_MAX	(192 * 1024)

enum { C_FREE, C_READ, C_WRITE, C_RELOAD };

struct client {
	int		 fd;
	int		 state;
	char		 in[CTL_LINE_MAX + 1];
	size_t		 inlen;
	struct buf	*out;
	size_t		 off;
	long long	 deadline;
};

static struct {
	int		 listen;	/* -1: no control socket */
	int		 parent;
	int		 metrics;
	int		 wake[2];
	pthread_t	 tid;
	int		 running;
	long long	 reload_asked;	/* 0: none outstanding */
	struct client	 c[CTL_CLIENTS_MAX];
} ctl = { .listen = -1, .parent = -1, .metrics = -1,
    .wake = { -1, -1 } };

static void
client_close(struct client *cl)
{
	close(cl->fd);
	buf_free(&cl->out);
	memset(cl, 0, sizeof(*cl));
	cl->state = C_FREE;
	cl->fd = -1;
}

/* The answer is in cl->out: send it from now on. */
static void
client_answer(struct client *cl)
{
	cl->state = C_WRITE;
	cl->off = 0;
	cl->deadline = clock_ms() + CTL_CLIENT_MS;
}

static void
client_say(struct client *cl, const char *text)
{
	buf_reset(cl->out);
	(void)buf_printf(cl->out, "%s\n", text);
	client_answer(cl);
}

/* Asks the parent to reload, unless it is asked already. */
static int
ctl_ask_reload(void)
{
	if (ctl.reload_asked != 0)
		return 0;
	if (ctl.parent == -1 || send(ctl.parent, "reload", 6,
	    MSG_DONTWAIT | MSG_NOSIGNAL) != 6)
		return -1;
	ctl.reload_asked = clock_ms();
	return 0;
}

/*
 * A command's answer into b; returns 1 when it is a reload, which waits
 * for the parent, 0 otherwise.  metrics_only: the metrics process.
 */
static int
ctl_command(const char *cmd, struct buf *b, int metrics_only)
{
	struct logfmt	 l;
	char		 enc[CTL_LINE_MAX * 4 + 8];
	int		 rc = 0;

	buf_reset(b);
	if (strcmp(cmd, "ping") == 0)
		rc = buf_printf(b, "pong\n");
	else if (strcmp(cmd, "metrics") == 0)
		rc = stats_format_prometheus(b);
	else if (!metrics_only && strcmp(cmd, "status") == 0)
		rc = stats_format_status(b);
	else if (!metrics_only && strcmp(cmd, "stats") == 0)
		rc = stats_format_stats(b);
	else if (!metrics_only && strcmp(cmd, "reload") == 0)
		return 1;
	else {
		logfmt_init(&l, enc, sizeof(enc));
		logfmt_value(&l, cmd, sizeof(enc) - 1);
		rc = buf_printf(b, "error: unknown command %s (ping, status, "
		    "stats, metrics, reload)\n", enc);
	}
	if (rc == -1) {
		buf_reset(b);
		(void)buf_printf(b, "error: answer too large\n");
	}
	return 0;
}

/* A whole line has come (or the client stopped sending): answer it. */
static void
client_line(struct client *cl)
{
	cl->in[cl->inlen] = '\0';
	cl->in[strcspn(cl->in, "\r\n")] = '\0';
	if (ctl_command(cl->in, cl->out, 0) == 0) {
		client_answer(cl);
		return;
	}
	if (ctl_ask_reload() == -1) {
		client_say(cl, "error: cannot reach the parent");
		return;
	}
	log_info("control socket: reload asked");
	cl->state = C_RELOAD;
	cl->deadline = ctl.reload_asked + CTL_RELOAD_MS;
}

static void
client_read(struct client *cl)
{
	ssize_t	 n;

	n = read(cl->fd, cl->in + cl->inlen, CTL_LINE_MAX - cl->inlen);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == -1 || (n == 0 && cl->inlen == 0)) {
		client_close(cl);
		return;
	}
	cl->inlen += (size_t)n;
	if (n == 0 || memchr(cl->in, '\n', cl->inlen) != NULL)
		client_line(cl);
	else if (cl->inlen == CTL_LINE_MAX)
		client_say(cl, "error: line too long");
}

static void
client_write(struct client *cl)
{
	ssize_t	 n;

	n = send(cl->fd, buf_data(cl->out) + cl->off,
	    buf_len(cl->out) - cl->off, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(cl);
		return;
	}
	cl->off += (size_t)n;
	if (cl->off == buf_len(cl->out))
		client_close(cl);
}

static void
ctl_accept(void)
{
	struct client	*cl = NULL;
	size_t		 i;
	int		 fd;

	if ((fd = accept4(ctl.listen, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) == -1)
		return;
	for (i = 0; i < CTL_CLIENTS_MAX && cl == NULL; i++)
		if (ctl.c[i].state == C_FREE)
			cl = &ctl.c[i];
	if (cl == NULL || (cl->out = buf_new(CTL_ANSWER_MAX)) == NULL) {
		(void)send(fd, "error: busy\n", 12, MSG_DONTWAIT |
		    MSG_NOSIGNAL);
		close(fd);
		return;
	}
	cl->fd = fd;
	cl->state = C_READ;
	cl->inlen = 0;
	cl->deadline = clock_ms() + CTL_CLIENT_MS;
}

/* The parent's reload answer, to every client waiting for it. */
static void
ctl_reloaded(int ok, const char *gen)
{
	char	 text[128];
	size_t	 i;

	if (ok)
		snprintf(text, sizeof(text), "ok generation %s", gen);
	else
		snprintf(text, sizeof(text), "error: reload failed, generation "
		    "%s stays in force (the log says why)", gen);
	ctl.reload_asked = 0;
	for (i = 0; i < CTL_CLIENTS_MAX; i++)
		if (ctl.c[i].state == C_RELOAD)
			client_say(&ctl.c[i], text);
}

/* Logs an answer, a line of the log each line of it. */
static void
ctl_log(const char *what, int (*format)(struct buf *))
{
	struct buf	*b;
	const char	*p, *nl;

	if ((b = buf_new(CTL_ANSWER_MAX)) == NULL)
		return;
	if (format(b) == 0 && buf_put_u8(b, 0) == 0)
		for (p = (const char *)buf_data(b); (nl = strchr(p,
		    '\n')) != NULL; p = nl + 1)
			log_info("%s: %.*s", what, (int)(nl - p), p);
	buf_free(&b);
}

/*
 * One record of a channel, NUL-terminated, into rec; returns its length,
 * or 0 for none yet.  A channel at its end, or broken, is closed and *fd
 * becomes -1.
 */
static ssize_t
ctl_record(int *fd, char *rec, size_t len)
{
	ssize_t	 n;

	n = read(*fd, rec, len - 1);
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
		close(*fd);
		*fd = -1;
		return 0;
	}
	if (n < 0)
		return 0;
	rec[n] = '\0';
	return n;
}

/* "reloaded N", "unchanged N", "usr1", "usr2": the parent's records. */
static void
ctl_parent(void)
{
	char	 rec[64];

	if (ctl_record(&ctl.parent, rec, sizeof(rec)) <= 0)
		return;
	if (strncmp(rec, "reloaded ", 9) == 0)
		ctl_reloaded(1, rec + 9);
	else if (strncmp(rec, "unchanged ", 10) == 0)
		ctl_reloaded(0, rec + 10);
	else if (strcmp(rec, "usr1") == 0)
		ctl_log("stats", stats_format_stats);
	else if (strcmp(rec, "usr2") == 0)
		ctl_log("status", stats_format_status);
}

/* One request of the metrics process, one record in answer. */
static void
ctl_metrics(struct buf *b)
{
	char	 rec[CTL_LINE_MAX + 1];

	if (ctl_record(&ctl.metrics, rec, sizeof(rec)) <= 0)
		return;
	(void)ctl_command(rec, b, 1);
	/* A full socket drops the answer: the metrics process times out. */
	(void)send(ctl.metrics, buf_data(b), buf_len(b), MSG_DONTWAIT |
	    MSG_NOSIGNAL);
}

/* Clients past their time go; so does a reload the parent never answered. */
static void
ctl_expire(long long now)
{
	size_t	 i;

	if (ctl.reload_asked != 0 && now - ctl.reload_asked >= CTL_RELOAD_MS)
		ctl_reloaded(0, "?");
	for (i = 0; i < CTL_CLIENTS_MAX; i++)
		if (ctl.c[i].state != C_FREE && now >= ctl.c[i].deadline)
			client_close(&ctl.c[i]);
}

static void *
ctl_thread(void *arg)
{
	struct pollfd	 pfd[4 + CTL_CLIENTS_MAX];
	struct client	*who[4 + CTL_CLIENTS_MAX];
	struct buf	*mb;
	nfds_t		 n, i;
	char		 byte;

	(void)arg;
	if ((mb = buf_new(CTL_ANSWER_MAX)) == NULL)
		return NULL;
	for (;;) {
		n = 0;
		pfd[n].fd = ctl.wake[0];
		pfd[n].events = POLLIN;
		who[n++] = NULL;
		if (ctl.parent != -1) {
			pfd[n].fd = ctl.parent;
			pfd[n].events = POLLIN;
			who[n++] = NULL;
		}
		if (ctl.metrics != -1) {
			pfd[n].fd = ctl.metrics;
			pfd[n].events = POLLIN;
			who[n++] = NULL;
		}
		if (ctl.listen != -1) {
			pfd[n].fd = ctl.listen;
			pfd[n].events = POLLIN;
			who[n++] = NULL;
		}
		for (i = 0; i < CTL_CLIENTS_MAX; i++) {
			if (ctl.c[i].state != C_READ &&
			    ctl.c[i].state != C_WRITE)
				continue;
			pfd[n].fd = ctl.c[i].fd;
			pfd[n].events = ctl.c[i].state == C_READ ? POLLIN :
			    POLLOUT;
			who[n++] = &ctl.c[i];
		}
		if (poll(pfd, n, 1000) == -1 && errno != EINTR)
			break;
		if (pfd[0].revents != 0 && read(ctl.wake[0], &byte, 1) >= 0)
			break;
		for (i = 1; i < n; i++) {
			if (pfd[i].revents == 0)
				continue;
			if (who[i] == NULL && pfd[i].fd == ctl.parent)
				ctl_parent();
			else if (who[i] == NULL && pfd[i].fd == ctl.metrics)
				ctl_metrics(mb);
			else if (who[i] == NULL)
				ctl_accept();
			else if (who[i]->state == C_READ)
				client_read(who[i]);
			else if (who[i]->state == C_WRITE)
				client_write(who[i]);
		}
		ctl_expire(clock_ms());
	}
	buf_free(&mb);
	return NULL;
}

int
ctl_start(int listen, int parent, int metrics, struct dispatch *d)
{
	sigset_t	 all, old;
	size_t		 i;
	int		 rc;

	(void)d;
	for (i = 0; i < CTL_CLIENTS_MAX; i++)
		ctl.c[i].fd = -1;
	ctl.listen = listen;
	ctl.parent = parent;
	ctl.metrics = metrics;
	if (parent != -1)
		(void)fcntl(parent, F_SETFL, O_NONBLOCK);
	if (metrics != -1)
		(void)fcntl(metrics, F_SETFL, O_NONBLOCK);
	if (pipe2(ctl.wake, O_CLOEXEC | O_NONBLOCK) == -1) {
		log_warn("control: pipe2");
		return -1;
	}
	/* Signals are libmilter's signal thread's, or the frontend's. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&ctl.tid, NULL, ctl_thread, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		log_warnx("control: pthread_create: %s", strerror(rc));
		return -1;
	}
	ctl.running = 1;
	return 0;
}

void
ctl_stop(void)
{
	if (!ctl.running)
		return;
	if (write(ctl.wake[1], "", 1) == -1)
		log_warn("control: cannot stop the thread");
	pthread_join(ctl.tid, NULL);
	ctl.running = 0;
}
