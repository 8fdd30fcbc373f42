/*
 * metrics: runs in the metrics process, and for metrics_start in main()
 * before it forks.  Trusts the supervisor's answers as text to pass on;
 * trusts no HTTP client: libmicrohttpd parses the requests, at most
 * METRICS_CLIENTS at once, each for METRICS_CLIENT_S at most, and the
 * only thing a request can cause is one "metrics" request to the
 * supervisor, which the control thread answers from a copy of its
 * counters.  Should this process be taken over, it holds no mail, no
 * file, no privilege, and its channel serves "metrics" and "ping" only.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "filterd/lib/clock.h"
#include "filterd/lib/config.h"
#include "filterd/lib/log.h"
#include "filterd/metrics.h"
#include "sandbox/sandbox.h"

#define METRICS_CLIENTS		8
#define METRICS_CLIENT_S	5

static int	 metrics_chan = -1;
static char	*metrics_buf;

/* Opens metrics_listen, as root if need be (a port below 1024). */
static int
metrics_bind(const struct config *c)
{
	struct addrinfo	 hints, *ai;
	char		 host[64], port[8];
	int		 fd, on = 1, rc;

	if (config_hostport(c->metrics_listen, host, sizeof(host), port,
	    sizeof(port)) == -1) {
		log_warnx("metrics_listen %s: not ADDRESS:PORT",
		    c->metrics_listen);
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	if ((rc = getaddrinfo(strcmp(host, "*") == 0 ? NULL : host, port,
	    &hints, &ai)) != 0) {
		log_warnx("metrics_listen %s: %s", c->metrics_listen,
		    gai_strerror(rc));
		return -1;
	}
	if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    listen(fd, METRICS_CLIENTS) == -1) {
		log_warn("metrics_listen %s", c->metrics_listen);
		if (fd != -1)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

/*
 * Asks the supervisor for cmd; returns the answer's length, or -1.
 * Answers that came too late for an earlier request are dropped first.
 */
static ssize_t
metrics_ask(const char *cmd)
{
	struct pollfd	 pfd = { metrics_chan, POLLIN, 0 };
	long long	 end = clock_ms() + METRICS_ASK_MS, now;
	ssize_t		 n;

	while (recv(metrics_chan, metrics_buf, METRICS_ANSWER_MAX,
	    MSG_DONTWAIT) > 0)
		;
	if (send(metrics_chan, cmd, strlen(cmd), MSG_NOSIGNAL) == -1)
		return -1;
	while ((now = clock_ms()) < end) {
		if (poll(&pfd, 1, (int)(end - now)) == -1 && errno != EINTR)
			return -1;
		if (pfd.revents == 0)
			continue;
		n = recv(metrics_chan, metrics_buf, METRICS_ANSWER_MAX,
		    MSG_DONTWAIT);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		return n > 0 ? n : -1;
	}
	return -1;
}

static enum MHD_Result
metrics_reply(struct MHD_Connection *conn, unsigned status, const char *type,
    const char *text, size_t len)
{
	struct MHD_Response	*r;
	enum MHD_Result		 rc;

	if ((r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)text,
	    MHD_RESPMEM_MUST_COPY)) == NULL)
		return MHD_NO;
	(void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

#define TEXT	"text/plain; charset=utf-8"

/* GET or HEAD of /metrics; nothing else. */
static enum MHD_Result
metrics_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **state)
{
	static const char	 notfound[] = "not found: try /metrics\n";
	static const char	 notallowed[] = "method not allowed\n";
	static const char	 down[] = "filterd's supervisor did not answer\n";
	ssize_t			 n;

	(void)cls;
	(void)version;
	(void)upload;
	(void)state;
	if (*upload_size != 0)
		return MHD_NO;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return metrics_reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, TEXT,
		    notallowed, sizeof(notallowed) - 1);
	if (strcmp(url, "/metrics") != 0)
		return metrics_reply(conn, MHD_HTTP_NOT_FOUND, TEXT, notfound,
		    sizeof(notfound) - 1);
	if ((n = metrics_ask("metrics")) <= 0)
		return metrics_reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE, TEXT,
		    down, sizeof(down) - 1);
	return metrics_reply(conn, MHD_HTTP_OK,
	    "text/plain; version=0.0.4; charset=utf-8", metrics_buf,
	    (size_t)n);
}

/* Whether the supervisor is gone: then so are we. */
static int
metrics_orphan(void)
{
	struct pollfd	 pfd = { metrics_chan, 0, 0 };

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLHUP | POLLERR));
}

static void __attribute__((noreturn))
metrics_main(const struct config *c, int lfd)
{
	struct MHD_Daemon	*d;
	char			 err[256];

	if (geteuid() == 0 && sandbox_privdrop(c->user, c->worker_user, NULL,
	    err, sizeof(err)) == -1)
		fatalx("metrics: %s", err);
	if (sandbox_drop_caps(err, sizeof(err)) == -1)
		fatalx("metrics: %s", err);
	if ((metrics_buf = malloc(METRICS_ANSWER_MAX)) == NULL)
		fatalx("metrics: out of memory");
	/* One thread, our loop: a small policy, and no lock to take. */
	if ((d = MHD_start_daemon(MHD_NO_FLAG, 0, NULL, NULL,
	    metrics_request, NULL,
	    MHD_OPTION_LISTEN_SOCKET, lfd,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_CLIENTS,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_CLIENT_S,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384,
	    MHD_OPTION_END)) == NULL)
		fatalx("metrics: cannot start the HTTP server");
	if (sandbox_proc_enter(SANDBOX_PROC_METRICS, err, sizeof(err)) == -1)
		fatalx("metrics: %s", err);
	log_info("metrics on http://%s/metrics", c->metrics_listen);
	while (!metrics_orphan())
		if (MHD_run_wait(d, 1000) == MHD_NO)
			break;
	/* MHD_stop_daemon would close what the policy need not allow. */
	sandbox_proc_exit(0);
}

/* Closes every descriptor above stderr but lo and hi (lo < hi). */
static int
metrics_close_fds(int lo, int hi)
{
	if (lo > STDERR_FILENO + 1 &&
	    close_range(STDERR_FILENO + 1, (unsigned)lo - 1, 0) == -1)
		return -1;
	if (hi > lo + 1 &&
	    close_range((unsigned)lo + 1, (unsigned)hi - 1, 0) == -1)
		return -1;
	return close_range((unsigned)hi + 1, ~0U, 0);
}

pid_t
metrics_start(const struct config *c, int chan)
{
	pid_t	 pid;
	int	 lfd;

	if (*c->metrics_listen == '\0')
		return 0;
	if ((lfd = metrics_bind(c)) == -1)
		return -1;
	if ((pid = fork()) == -1) {
		log_warn("metrics: fork");
		close(lfd);
		return -1;
	}
	if (pid > 0) {
		close(lfd);
		return pid;
	}
	(void)prctl(PR_SET_NAME, "filterd-metrics", 0, 0, 0);
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
	signal(SIGPIPE, SIG_IGN);
	metrics_chan = chan;
	log_detach();
	if (metrics_close_fds(lfd < chan ? lfd : chan,
	    lfd < chan ? chan : lfd) == -1)
		_exit(1);
	log_init("filterd/metrics", log_foreground(), log_verbose());
	metrics_main(c, lfd);
}
