/*
 * parent: runs in the first filterd process, single-threaded, as the user
 * filterd was started as (root, usually) but with only the capabilities
 * it uses (parent_caps below).  It reads no mail and loads no module:
 * configuration checks run in a sandboxed child (parent_check.c).  It
 * trusts the supervisor only to send well-formed requests; anything else
 * on pchan is logged and ignored.  Spawner starts are throttled, so a
 * crash loop cannot become a fork bomb; the throttle defers a start with
 * a timer in the poll loop and never sleeps, so signals, reloads and
 * requests are served meanwhile.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "filterd/lib/clock.h"
#include "filterd/lib/config.h"
#include "filterd/lib/log.h"
#include "filterd/parent.h"
#include "filterd/parent_check.h"
#include "filterd/parent_start.h"
#include "filterd/parent_ctl.h"
#include "filterd/spawner.h"
#include "filterd/lib/wire.h"
#include "sandbox/sandbox.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* At most this many spawner starts a second, in bursts of as many. */
#define PARENT_SPAWNS_PER_SEC	10
/*
 * Requests held while the throttle defers them.  The supervisor asks for
 * one spawner at a time; more is a confused supervisor, and is dropped.
 */
#define PARENT_PENDING_MAX	4

#define PARENT_NUDGE_MS	50

struct parent {
	struct parent_args *a;
	int		 sigfd;
	struct buf	*b;
	unsigned	 rate;		/* starts a second at most */
	long long	 tat;		/* the throttle: when the next start
					   would be due at the full rate */
	int		 pending;	/* requests the throttle holds */
	int		 throttled;	/* said so in the log */
	int		 status;	/* the supervisor's, once it is gone */
	int		 done;
	int		 stopping;	/* told to stop: nudge the listener */
	int		 ready;		/* the first spawner handed over */
	int		 orphan;	/* the supervisor is out of our reach */
	struct stat	 sock;		/* our socket, once ready */
	int		 have_sock;
};

/* In the child: the control socket on SPAWNER_FD_CTL, then exec. */
static void
parent_exec_spawner(const struct parent_args *a, int fd)
{
	char		*argv[8];
	int		 n = 0, cfd;
	sigset_t	 none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Out of the way first: either may sit on the other's number. */
	if ((fd = fcntl(fd, F_DUPFD, SPAWNER_FD_CONF + 1)) == -1 ||
	    (cfd = fcntl(a->conffd, F_DUPFD, SPAWNER_FD_CONF + 1)) == -1 ||
	    dup2(fd, SPAWNER_FD_CTL) == -1 ||
	    dup2(cfd, SPAWNER_FD_CONF) == -1 ||
	    close_range(SPAWNER_FD_CONF + 1, ~0U, 0) == -1)
		_exit(127);
	argv[n++] = (char *)(uintptr_t)"filterd-spawner";
	if (a->foreground)
		argv[n++] = (char *)(uintptr_t)"-d";
	if (a->verbose)
		argv[n++] = (char *)(uintptr_t)"-v";
	argv[n++] = (char *)(uintptr_t)"-f";
	argv[n++] = (char *)(uintptr_t)a->confpath;
	argv[n] = NULL;
	/*
	 * Every symbol of every library bound at start: workers inherit a
	 * resolved, read-only GOT instead of each binding lazily -- writing
	 * its own copy of the pages -- on first use.
	 */
	if (setenv("LD_BIND_NOW", "1", 1) == -1)
		_exit(127);
	execv(a->spawner, argv);
	_exit(127);
}

int
parent_start_spawner(const struct parent_args *a, pid_t *pid_r)
{
	int	 sv[2];
	pid_t	 pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("socketpair");
		return -1;
	}
	if ((pid = fork()) == -1) {
		log_warn("fork");
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0)
		parent_exec_spawner(a, sv[1]);
	close(sv[1]);
	*pid_r = pid;
	return sv[0];
}

/*
 * The throttle (a token bucket kept as one time): ms until the next start
 * is allowed, 0 when it is now.
 */
static long long
parent_throttle_wait(const struct parent *p, long long now)
{
	long long	 burst = (p->rate - 1) * (1000LL / p->rate);

	return p->tat - burst > now ? p->tat - burst - now : 0;
}

/*
 * The supervisor has its socket open (it opens it before it asks for
 * anything) and its first spawner: the daemon is ready.  Notes which
 * socket is ours, for start_cleanup().
 */
static void
parent_ready(struct parent *p)
{
	p->ready = 1;
	if (p->a->sockpath != NULL && lstat(p->a->sockpath, &p->sock) == 0)
		p->have_sock = 1;
	start_ready(p->a->readyfd);
	p->a->readyfd = -1;
	log_info("ready");
}

/* Starts a spawner and hands it to the supervisor, with its configuration. */
static void
parent_spawn(struct parent *p, long long now)
{
	pid_t	 pid;
	int	 fd;

	p->tat = (p->tat > now ? p->tat : now) + 1000LL / p->rate;
	if ((fd = parent_start_spawner(p->a, &pid)) == -1)
		return;		/* the supervisor times out and falls back */
	if (wire_enc_pid(p->b, WIRE_SPAWNER, pid) == -1 ||
	    wire_send(p->a->pchan, p->b, fd) == -1 ||
	    wire_enc_config(p->b, p->a->gen) == -1 ||
	    wire_send(p->a->pchan, p->b, p->a->conffd) == -1)
		log_warn("cannot hand the spawner over");
	else if (!p->ready)
		parent_ready(p);
	close(fd);
}

/* Starts what the throttle allows of the spawners asked for. */
static void
parent_serve(struct parent *p)
{
	long long	 now = clock_ms();

	while (p->pending > 0 && !p->done &&
	    parent_throttle_wait(p, now) == 0) {
		p->pending--;
		parent_spawn(p, now);
	}
}

static void
parent_request(struct parent *p)
{
	const char	*why;
	long long	 wait;
	ssize_t		 n;

	n = wire_recv(p->a->pchan, p->b, WIRE_CTL_MAX, NULL);
	if (n == 0) {
		p->done = 1;
		return;
	}
	if (n == -1 || wire_dec_request(buf_data(p->b), buf_len(p->b),
	    &why) == -1) {
		log_warnx("bad request from the supervisor");
		return;
	}
	if (p->pending >= PARENT_PENDING_MAX) {
		log_warnx("too many spawners asked for at once, one dropped");
		return;
	}
	p->pending++;
	if ((wait = parent_throttle_wait(p, clock_ms())) == 0)
		p->throttled = 0;
	else {
		/* Once a bout, not once a start. */
		if (!p->throttled)
			log_warnx("spawners are dying too fast: at most %u "
			    "starts a second", p->rate);
		p->throttled = 1;
		log_debug("spawner start held back %lld ms: spawners are "
		    "dying too fast", wait);
	}
	parent_serve(p);
}

/*
 * How long poll may wait: until the throttle lets a held request go, or,
 * once stopping, until the listener's next nudge (parent_reap).
 */
static int
parent_timeout(const struct parent *p)
{
	long long	 ms;

	if (p->stopping)
		return PARENT_NUDGE_MS;
	if (p->pending == 0)
		return -1;
	ms = parent_throttle_wait(p, clock_ms());
	return ms > 60000 ? 60000 : (int)ms;
}

static void
parent_report(void *arg, const char *line)
{
	(void)arg;
	log_warnx("%s", line);
}

/*
 * The new configuration's worker_user, which the check in the child
 * looked up.  The supervisor took worker_user's effective ids at start, so
 * that it can kill workers: a new worker_user would put them out of its
 * reach.  Reads the checked snapshot, which loads no module.
 */
static int
parent_check_users(const struct parent *p, int fd)
{
	struct config	*c;
	int		 rc = 0;

	if ((c = config_load_fd(fd, p->a->confpath, stderr)) == NULL)
		return -1;
	if (strcmp(c->worker_user, p->a->worker_user) != 0) {
		log_warnx("%s: worker_user changes only at restart (running: "
		    "%s)", p->a->confpath, p->a->worker_user);
		rc = -1;
	}
	config_free(&c);
	return rc;
}

/*
 * SIGHUP: the file is checked as filterd -n checks it, modules and all,
 * in a sandboxed child (parent_check.c).  Only a good one replaces the
 * snapshot: the child's.  Spawners started from now on get it, and the
 * supervisor, told of the new generation, swaps its spawner and validator
 * when it next starts a message.  Messages in flight finish with the
 * spawner and policy they began with.  A check that fails, or cannot be
 * made, changes nothing.
 */
static void
parent_reload(struct parent *p)
{
	int	 fd;

	log_info("%s: reloading", p->a->confpath);
	start_notify("RELOADING=1");
	if ((fd = parent_check(p->a->confpath, parent_report, NULL)) != -1 &&
	    parent_check_users(p, fd) == -1) {
		close(fd);
		fd = -1;
	}
	if (fd == -1) {
		log_warnx("%s: reload failed, the running configuration "
		    "stays in force", p->a->confpath);
		start_notify("READY=1");
		return;
	}
	close(p->a->conffd);
	p->a->conffd = fd;
	p->a->gen++;
	__atomic_store_n(p->a->generation, p->a->gen, __ATOMIC_RELEASE);
	log_info("%s: reloaded, configuration generation %llu",
	    p->a->confpath, (unsigned long long)p->a->gen);
	start_notify("READY=1");
}

/*
 * SIGTERM or SIGINT: the supervisor finishes the messages in flight and
 * exits, and we after it.  Signalling it takes CAP_KILL (it runs as
 * another user); without it, we say so and exit now: the supervisor and
 * the spawners get their parent-death signal (SIGTERM) from the kernel,
 * which needs no capability.
 */
static void
parent_stop(struct parent *p, int sig)
{
	log_info("shutting down on signal %d", sig);
	start_notify("STOPPING=1");
	if (p->done)
		return;
	if (kill(p->a->supervisor, SIGTERM) == -1) {
		log_warn("cannot signal the supervisor (pid %ld); it and the "
		    "spawners end with this process", (long)p->a->supervisor);
		p->orphan = 1;
		p->done = 1;
	} else
		p->stopping = 1;
}

/* The control thread asks for what SIGHUP does (parent_ctl.h). */
static void
parent_control(struct parent *p)
{
	uint64_t	 was = p->a->gen;
	int		 rc;

	if ((rc = parent_ctl_read(p->a->cchan)) == -1) {
		close(p->a->cchan);
		p->a->cchan = -1;
		parent_ctl_set(-1);
	} else if (rc == 1) {
		parent_reload(p);
		parent_ctl_reloaded(p->a->cchan, p->a->gen != was, p->a->gen);
	}
}

static void
parent_signals(struct parent *p)
{
	struct signalfd_siginfo	 si;
	pid_t			 pid;
	int			 status;

	while (read(p->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			parent_stop(p, (int)si.ssi_signo);
		else if (si.ssi_signo == SIGHUP && !p->done)
			parent_reload(p);
		else if (si.ssi_signo == SIGUSR1 || si.ssi_signo == SIGUSR2)
			parent_usr_signal((int)si.ssi_signo);
	}
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == p->a->supervisor) {
			p->status = status;
			p->done = 1;
			if (WIFSIGNALED(status))
				log_warnx("the supervisor was killed by signal "
				    "%d (%s)%s", WTERMSIG(status),
				    strsignal(WTERMSIG(status)),
				    WTERMSIG(status) == SIGSYS ?
				    ": sandbox violation" : "");
		} else if (pid == p->a->metrics) {
			log_warnx("the metrics process ended (status %d)",
			    status);
			p->a->metrics = 0;
		} else if (WIFSIGNALED(status) ||
		    (WIFEXITED(status) && WEXITSTATUS(status) != 0))
			log_warnx("spawner %ld ended abnormally (status %d)",
			    (long)pid, status);
	}
}

/*
 * The capabilities the parent uses, when it runs as root:
 * - CAP_KILL: to signal the supervisor and the spawners, which run as
 *   another user (SIGTERM at shutdown, SIGHUP to retire), and to kill a
 *   configuration check that does not finish;
 * - CAP_SETUID, CAP_SETGID, CAP_SETPCAP: for the configuration check's
 *   child, forked with ours, to drop to the configured user and empty
 *   its bounding set (sandbox_privdrop).
 */
static const int parent_caps[] = {
	CAP_KILL, CAP_SETUID, CAP_SETGID, CAP_SETPCAP,
};

/*
 * What a spawner, exec'd as root, starts with (the bounding set is all a
 * root exec gets) and needs for its set-up (spawner_setup):
 * - CAP_SYS_ADMIN: new network and IPC namespaces for its workers,
 *   without a user namespace (sandbox_spawner_enter);
 * - CAP_SYS_CHROOT: its empty root directory;
 * - CAP_SETUID, CAP_SETGID: its user (and its workers');
 * - CAP_SETPCAP: to empty its own bounding set.
 */
static const int spawner_caps[] = {
	CAP_SYS_ADMIN, CAP_SYS_CHROOT, CAP_SETUID, CAP_SETGID, CAP_SETPCAP,
};

/*
 * At the end: waits for every child.  From SIGTERM on, while the
 * supervisor is still there, its libmilter listener is nudged every
 * PARENT_NUDGE_MS (start_nudge): its stop would otherwise wait for the
 * end of a 5 s poll.
 */
static void
parent_reap(struct parent *p)
{
	pid_t	 pid;
	int	 status, nudge = p->a->nudgelen > 0 && p->status == -1;

	for (;;) {
		if ((pid = waitpid(-1, &status, nudge ? WNOHANG : 0)) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pid == 0) {
			start_nudge(&p->a->nudge, p->a->nudgelen);
			(void)poll(NULL, 0, PARENT_NUDGE_MS);
			continue;
		}
		if (pid == p->a->supervisor) {
			nudge = 0;
			if (p->status == -1)
				p->status = status;
		}
	}
}

int
parent_main(struct parent_args *a)
{
	struct parent	 p;
	struct pollfd	 pfd[3];
	sigset_t	 set;
	char		 err[256];

	/* The supervisor has its socket open already: the rest can go. */
	if (sandbox_caps_limit(parent_caps, NITEMS(parent_caps), spawner_caps,
	    NITEMS(spawner_caps), err, sizeof(err)) == -1)
		fatalx("%s", err);
	memset(&p, 0, sizeof(p));
	p.a = a;
	parent_ctl_set(a->cchan);
	p.status = -1;
	p.rate = a->spawn_rate > 0 && a->spawn_rate <= 1000 ? a->spawn_rate :
	    PARENT_SPAWNS_PER_SEC;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1 ||
	    (p.sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		fatal("signalfd");
	if ((p.b = buf_new(WIRE_CTL_MAX + 1)) == NULL)
		fatal("buf_new");
	while (!p.done) {
		pfd[0].fd = p.sigfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = a->pchan;
		pfd[1].events = POLLIN;
		pfd[2].fd = a->cchan;
		pfd[2].events = POLLIN;
		if (poll(pfd, 3, parent_timeout(&p)) == -1 && errno != EINTR)
			fatal("poll");
		if (pfd[0].revents & POLLIN)
			parent_signals(&p);
		if (!p.done && (pfd[1].revents & (POLLIN | POLLHUP)))
			parent_request(&p);
		if (!p.done && (pfd[2].revents & (POLLIN | POLLHUP)))
			parent_control(&p);
		parent_serve(&p);
		if (p.stopping && !p.done)
			start_nudge(&a->nudge, a->nudgelen);
	}
	/* The supervisor is gone or going: so are the spawners. */
	close(a->pchan);
	if (!p.orphan && p.status == -1 && kill(a->supervisor, SIGTERM) == -1) {
		log_warn("cannot signal the supervisor (pid %ld)",
		    (long)a->supervisor);
		p.orphan = 1;
	}
	/* It would stop at its next check of its channel, within 1 s. */
	if (a->metrics > 0)
		(void)kill(a->metrics, SIGTERM);
	if (!p.orphan)
		parent_reap(&p);
	buf_free(&p.b);
	start_notify("STOPPING=1");
	start_cleanup(p.have_sock ? a->sockpath : NULL, &p.sock, a->pidfile);
	log_info("exiting");
	if (p.orphan)
		return 0;
	return WIFEXITED(p.status) ? WEXITSTATUS(p.status) : 1;
}
