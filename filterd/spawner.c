/*
 * spawner: runs in its own exec'd process, single-threaded, without
 * privileges and under its seccomp policy (sandbox/seccomp_procs.c) once
 * set up.  It trusts the configuration and the modules; it
 * trusts the supervisor on the control socket only to send well-formed
 * grants (anything else retires the spawner).  It never reads a message:
 * only workers do.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <limits.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "filterd/lib/clock.h"
#include "filterd/lib/config.h"
#include "filters/host.h"
#include "filterd/lib/log.h"
#include "sandbox/sandbox.h"
#include "filterd/spawner.h"
#include "filterd/spawner_heap.h"
#include "filterd/lib/wire.h"
#include "filterd/worker.h"

/* Grace on top of worker_timeout before the spawner kills a worker. */
#define SPAWNER_GRACE_MS	2000
/*
 * The most workers the supervisor may be owed at once: more than it ever
 * keeps ready (DISPATCH_STOCK_MAX), so that a grant past this is a broken
 * supervisor, not a busy one.
 */
#define SPAWNER_OWED_MAX	(2 * WIRE_GRANT_MAX)

struct child {
	pid_t		 pid;
	int		 fd;		/* our end; -1 once handed out */
	int		 pidfd;		/* handed out with fd */
	long long	 deadline;	/* ms; 0 while in the pool */
};

struct spawner {
	struct config		*conf;
	struct modules		*mods;
	struct sandbox_filter	*filter;
	struct sandbox_limits	 lim;
	struct spawner_heap	*heap;		/* free chunks taken at set-up */
	int			 devnull;
	int			 worker_ids;	/* workers take worker_user's ids */
	int			 sigfd;
	int			 ctl;		/* -1 once retiring */
	struct child		*kids;
	size_t			 nkids, capkids;
	size_t			 npool;
	unsigned		 owed;		/* granted, not sent yet */
	unsigned long		 served;
	struct buf		*b;
};

/* In the new worker: descriptors, signals, sandbox, then the job. */
static void
spawner_child(struct spawner *s, int fd)
{
	sigset_t	 none;
	char		 err[256];

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	(void)prctl(PR_SET_NAME, "filterd-worker", 0, 0, 0);
	if (dup2(s->devnull, STDIN_FILENO) == -1 ||
	    dup2(s->devnull, STDOUT_FILENO) == -1 ||
	    dup2(s->devnull, STDERR_FILENO) == -1 ||
	    dup2(fd, SANDBOX_FD_CHAN) == -1 ||
	    close_range(SANDBOX_FD_CHAN + 1, ~0U, 0) == -1)
		worker_exit(WORKER_EXIT_SANDBOX);
	/* Out of reach of the supervisor and of us: privdrop.c says how. */
	if (s->worker_ids && sandbox_worker_user(err, sizeof(err)) == -1)
		worker_exit(WORKER_EXIT_SANDBOX);
	if (sandbox_worker_enter(s->filter, &s->lim, err, sizeof(err)) == -1)
		worker_exit(WORKER_EXIT_SANDBOX);
	worker_run(s->conf, s->mods);
}

static struct child *
spawner_add_kid(struct spawner *s)
{
	struct child	*v;
	size_t		 ncap;

	if (s->nkids == s->capkids) {
		ncap = s->capkids ? s->capkids * 2 : 16;
		if ((v = reallocarray(s->kids, ncap, sizeof(*v))) == NULL)
			return NULL;
		s->kids = v;
		s->capkids = ncap;
	}
	return &s->kids[s->nkids++];
}

/*
 * A pidfd of the child just forked.  The pid cannot have been reused: we
 * have not reaped it.  The supervisor makes sure through it that the
 * worker is gone before its message is answered.
 */
static int
spawner_pidfd(pid_t pid)
{
	int	 fd;

	if ((fd = (int)syscall(SYS_pidfd_open, pid, 0)) == -1)
		log_warn("pidfd_open");
	return fd;
}

/* Forks one sandboxed worker into the pool; returns 0 or -1. */
static int
spawner_fork(struct spawner *s)
{
	struct child	*c;
	pid_t		 pid;
	int		 sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("socketpair");
		return -1;
	}
	/* Credentials with each record tell an empty one from EOF (wire.h). */
	if (wire_passcred(sv[0]) == -1 || (c = spawner_add_kid(s)) == NULL) {
		log_warn("cannot set up a worker's channel");
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if ((pid = fork()) == -1) {
		log_warn("fork");
		s->nkids--;
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0)
		spawner_child(s, sv[1]);
	close(sv[1]);
	c->pid = pid;
	c->fd = sv[0];
	c->pidfd = spawner_pidfd(pid);
	c->deadline = 0;
	if (c->pidfd == -1) {
		/* Never handed out: killed, then reaped and forgotten. */
		kill(pid, SIGKILL);
		close(c->fd);
		c->fd = -1;
		c->deadline = clock_ms() + SPAWNER_GRACE_MS;
		return -1;
	}
	s->npool++;
	return 0;
}

static struct child *
spawner_find(struct spawner *s, pid_t pid)
{
	size_t	 i;

	for (i = 0; i < s->nkids; i++)
		if (s->kids[i].pid == pid)
			return &s->kids[i];
	return NULL;
}

/* Closes what we hold of a pool worker: it reads end of file. */
static void
spawner_close(struct child *c)
{
	close(c->fd);
	c->fd = -1;
	if (c->pidfd != -1)
		close(c->pidfd);
	c->pidfd = -1;
}

static void
spawner_forget(struct spawner *s, struct child *c)
{
	if (c->fd != -1) {
		spawner_close(c);
		s->npool--;
	}
	*c = s->kids[--s->nkids];
}

/* Stops serving: the supervisor sees end of file and asks for another. */
static void
spawner_retire(struct spawner *s, const char *why)
{
	size_t	 i;

	if (s->ctl == -1)
		return;
	log_info("retiring: %s", why);
	close(s->ctl);
	s->ctl = -1;
	s->owed = 0;
	for (i = 0; i < s->nkids; i++) {
		if (s->kids[i].fd == -1)
			continue;
		spawner_close(&s->kids[i]);	/* the idle worker reads EOF */
		s->kids[i].deadline = clock_ms() + SPAWNER_GRACE_MS;
	}
	s->npool = 0;
}

static void
spawner_status(pid_t pid, int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "worker %ld killed by signal %d (%s)%s",
		    (long)pid, WTERMSIG(status), strsignal(WTERMSIG(status)),
		    WTERMSIG(status) == SIGSYS ? ": sandbox violation" : "");
	else if (WEXITSTATUS(status) == WORKER_EXIT_SANDBOX)
		snprintf(buf, len, "worker %ld could not enter its sandbox",
		    (long)pid);
	else
		snprintf(buf, len, "worker %ld exited with status %d",
		    (long)pid, WEXITSTATUS(status));
}

static void
spawner_reap(struct spawner *s)
{
	struct signalfd_siginfo	 si;
	struct child		*c;
	char			 why[128];
	pid_t			 pid;
	int			 status;

	while (read(s->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			spawner_retire(s, "reload requested");
		else if (si.ssi_signo == SIGTERM)
			spawner_retire(s, "shutting down");
	}
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if ((c = spawner_find(s, pid)) == NULL)
			continue;
		spawner_forget(s, c);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			continue;
		/* A shutdown signal to the whole group reached it too. */
		if (s->ctl == -1 && WIFSIGNALED(status) &&
		    WTERMSIG(status) == SIGTERM)
			continue;
		if (WIFEXITED(status) &&
		    WEXITSTATUS(status) == WORKER_EXIT_MODULE) {
			log_warnx("worker %ld: a module could not check its "
			    "message", (long)pid);
			continue;
		}
		spawner_status(pid, status, why, sizeof(why));
		log_warnx("%s", why);
		spawner_retire(s, "abnormal worker death");
	}
}

/* The supervisor grants more workers; anything else retires us. */
static void
spawner_read(struct spawner *s)
{
	const char	*why;
	unsigned	 n;
	ssize_t		 len;

	len = wire_recv(s->ctl, s->b, WIRE_CTL_MAX, NULL);
	if (len == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (len == 0) {
		spawner_retire(s, "supervisor closed the control socket");
		return;
	}
	if (len == -1 || wire_dec_grant(buf_data(s->b), buf_len(s->b), &n,
	    &why) == -1) {
		spawner_retire(s, len == -1 ? strerror(errno) : why);
		return;
	}
	if (n > SPAWNER_OWED_MAX - s->owed) {
		spawner_retire(s, "granted more workers than it may hold");
		return;
	}
	s->owed += n;
}

/* Hands a pool worker to the supervisor; returns 0 or -1 (retired). */
static int
spawner_hand(struct spawner *s)
{
	struct child	*c = NULL;
	size_t		 i;
	int		 fds[2];

	for (i = 0; i < s->nkids && c == NULL; i++)
		if (s->kids[i].fd != -1)
			c = &s->kids[i];
	FD_ASSERT(c != NULL);
	fds[0] = c->fd;
	fds[1] = c->pidfd;
	/* Never more than granted, so the socket never fills. */
	if (wire_enc_pid(s->b, WIRE_WORKER, c->pid) == -1 ||
	    wire_send_fds(s->ctl, s->b, fds, 2) == -1) {
		spawner_retire(s, "cannot send a worker");
		return -1;
	}
	spawner_close(c);
	c->deadline = clock_ms() + s->conf->worker_timeout * 1000LL +
	    SPAWNER_GRACE_MS;
	s->npool--;
	s->owed--;
	/* A fresh address layout now and then, even without a crash. */
	if (++s->served >= (unsigned long)s->conf->max_served) {
		spawner_retire(s, "served workers.max_served workers");
		return -1;
	}
	return 0;
}

/*
 * Sends what the supervisor was granted and the pool holds, before any
 * fork: a worker it waits for is ready now, a fresh one only later.
 */
static void
spawner_push(struct spawner *s)
{
	while (s->ctl != -1 && s->owed > 0) {
		if (s->npool == 0 && spawner_fork(s) == -1) {
			spawner_retire(s, "cannot fork a worker");
			return;
		}
		if (spawner_hand(s) == -1)
			return;
	}
}

/* Kills handed-out workers past their deadline; returns the next one. */
static long long
spawner_deadlines(struct spawner *s)
{
	long long	 now = clock_ms(), next = -1;
	size_t		 i;

	for (i = 0; i < s->nkids; i++) {
		if (s->kids[i].deadline == 0)
			continue;
		if (s->kids[i].deadline <= now) {
			log_warnx("worker %ld past its deadline, killed",
			    (long)s->kids[i].pid);
			kill(s->kids[i].pid, SIGKILL);
			s->kids[i].deadline = now + 1000;
		}
		if (next == -1 || s->kids[i].deadline < next)
			next = s->kids[i].deadline;
	}
	return next == -1 ? -1 : next - now;
}

/* Frees everything before a clean exit, so that leak checkers see none. */
static void __attribute__((noreturn))
spawner_exit(struct spawner *s)
{
	spawner_heap_free(&s->heap);
	modules_free(&s->mods);
	sandbox_filter_free(&s->filter);
	buf_free(&s->b);
	free(s->kids);
	config_free(&s->conf);
	sandbox_proc_exit(0);
}

static void __attribute__((noreturn))
spawner_loop(struct spawner *s)
{
	struct pollfd	 pfd[2];
	long long	 wait;
	int		 timeout;

	for (;;) {
		if (s->ctl == -1 && s->nkids == 0)
			spawner_exit(s);
		wait = spawner_deadlines(s);
		timeout = wait > 60000 ? 60000 : (int)wait;
		if (s->ctl != -1 && s->npool < (size_t)s->conf->pool)
			timeout = 0;
		pfd[0].fd = s->sigfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = s->ctl;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, timeout) == -1 && errno != EINTR)
			fatal("poll");
		if (pfd[0].revents & POLLIN)
			spawner_reap(s);
		if (s->ctl != -1 && (pfd[1].revents & (POLLIN | POLLHUP)))
			spawner_read(s);
		spawner_push(s);
		if (s->ctl != -1 && s->npool < (size_t)s->conf->pool &&
		    spawner_fork(s) == -1)
			spawner_retire(s, "cannot fork a worker");
	}
}

/*
 * Loads the modules, whose patterns get JIT code, then seals that code
 * read and execute only -- while /proc can still be read, and before the
 * first worker is forked: no process of ours keeps a mapping that is both
 * writable and executable.
 */
static void
spawner_modules(struct spawner *s)
{
	char	 err[512];

	if ((s->mods = modules_load(s->conf, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	if (modules_seal(s->mods, err, sizeof(err)) == -1)
		fatalx("%s", err);
}

/*
 * Creates the empty, root-owned chroot directory when it does not exist
 * yet; sandbox_privdrop then checks its ownership and mode.
 */
static void
spawner_mkchroot(const char *dir)
{
	char	 path[PATH_MAX];
	size_t	 i;

	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		fatalx("chroot %s: path too long", dir);
	for (i = 1; path[i] != '\0'; i++) {
		if (path[i] != '/')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0755) == -1 && errno != EEXIST)
			fatal("mkdir %s", path);
		path[i] = '/';
	}
	if (mkdir(path, 0755) == -1 && errno != EEXIST)
		fatal("mkdir %s", path);
}

static void
spawner_setup(struct spawner *s, const char *confpath)
{
	struct sandbox_report	 rep;
	sigset_t		 set;
	size_t			 n;
	char			 err[256], line[256];

	s->conf = config_load_fd(SPAWNER_FD_CONF, confpath, stderr);
	close(SPAWNER_FD_CONF);
	if (s->conf == NULL)
		fatalx("%s: configuration failed to load", confpath);
	spawner_modules(s);
	if ((s->filter = sandbox_filter_new(err, sizeof(err))) == NULL)
		fatalx("seccomp: %s", err);
	if ((s->devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1)
		fatal("/dev/null");
	/* Namespaces: before privdrop, which loses what unshare needs. */
	if (sandbox_spawner_enter(s->filter, &rep, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (geteuid() == 0) {
		spawner_mkchroot(s->conf->chroot);
		if (sandbox_privdrop(s->conf->user, s->conf->worker_user,
		    s->conf->chroot, err, sizeof(err)) == -1)
			fatalx("%s", err);
		s->worker_ids = 1;
	} else
		log_info("not root: user %s, worker_user %s and chroot %s not "
		    "applied", s->conf->user, s->conf->worker_user,
		    s->conf->chroot);
	if (sandbox_drop_caps(err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("PR_SET_NO_NEW_PRIVS");
	sandbox_report_str(&rep, line, sizeof(line));
	log_info("sandbox: %s", line);
#ifdef FD_SANITIZERS
	s->lim.as_bytes = 0;	/* ASan reserves terabytes of shadow */
#else
	s->lim.as_bytes = (rlim_t)s->conf->memory << 20;
#endif
	s->lim.cpu_seconds = (rlim_t)s->conf->cpu;
	s->lim.nofile = SANDBOX_FD_JOB + 1;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1 ||
	    (s->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		fatal("signalfd");
	signal(SIGPIPE, SIG_IGN);
	if ((s->b = buf_new(WIRE_CTL_MAX + 1)) == NULL)
		fatal("buf_new");
	s->ctl = SPAWNER_FD_CTL;
	/* Last, before the first request is read: no exec, no thread. */
	if (sandbox_proc_enter(SANDBOX_PROC_SPAWNER, err, sizeof(err)) == -1)
		fatalx("%s", err);
	/*
	 * After everything that allocates and frees, before the first fork:
	 * the workers' allocations then fill fresh pages of their own.
	 */
	s->heap = spawner_heap_settle(&n);
	log_debug("heap: %zu free chunks set aside for good", n);
}

void
spawner_main(const char *confpath)
{
	struct spawner	 s;

	memset(&s, 0, sizeof(s));
	(void)prctl(PR_SET_NAME, "filterd-spawner", 0, 0, 0);
	spawner_setup(&s, confpath);
	log_debug("ready, uid %ld, pool of %d", (long)getuid(), s.conf->pool);
	spawner_loop(&s);
}
