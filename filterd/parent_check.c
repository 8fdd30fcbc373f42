/*
 * parent_check: checks a configuration file -- for filterd -n, at start
 * and on SIGHUP -- without the parent ever loading a module or compiling
 * a pattern.  Runs in the parent, which may be root, and in a child it
 * forks for each check.  The child reads the file as root (it may be
 * readable by root alone), drops to the configured user, its
 * capabilities and into its seccomp policy (sandbox/seccomp_procs.c),
 * then loads the modules and runs their init as a spawner would, rules
 * compiled and all.  It answers with its error lines and, when all is
 * well, the configuration's sealed snapshot.
 *
 * The parent trusts the child's answer no more than a worker's: records
 * are bounded, lines are printed or logged escaped, the snapshot must be
 * a memfd sealed against any change, and the child has CHECK_TIMEOUT_MS
 * to finish before it is killed.
 */
#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "filterd/lib/buf.h"
#include "filterd/lib/clock.h"
#include "filterd/lib/config.h"
#include "filterd/lib/log.h"
#include "filterd/lib/wire.h"
#include "filterd/parent_check.h"
#include "filters/host.h"
#include "sandbox/sandbox.h"

/* How long the child may take, init of every module included. */
#define CHECK_TIMEOUT_MS	30000
/* One record: a kind byte, then a line of at most this much. */
#define CHECK_LINE_MAX		1024
#define CHECK_REC_MAX		(1 + CHECK_LINE_MAX)
#define CHECK_ERROR		'E'	/* + a line */
#define CHECK_SNAPSHOT		'S'	/* nothing else; + the memfd */

#define SEALS_ALL	(F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | \
			 F_SEAL_WRITE)

/* The child */

/* Sends one error line; a longer one is cut. */
static void
child_line(int sock, struct buf *b, const char *line)
{
	size_t	 len = strnlen(line, CHECK_LINE_MAX);

	buf_reset(b);
	if (buf_put_u8(b, CHECK_ERROR) == 0 && buf_put(b, line, len) == 0)
		(void)wire_send(sock, b, -1);
}

/* Sends what config_load wrote, a line at a time. */
static void
child_lines(int sock, struct buf *b, char *text)
{
	char	*line, *next;

	for (line = text; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		child_line(sock, b, line);
	}
}

static void __attribute__((noreturn))
child_fail(int sock, struct buf *b, const char *line)
{
	child_line(sock, b, line);
	sandbox_proc_exit(1);
}

/* Reads the file as the parent would, as root: it may be root's alone. */
static struct config *
child_load(const char *path, int sock, struct buf *b)
{
	struct config	*c;
	FILE		*errf;
	char		*errs = NULL;
	size_t		 errlen = 0;

	if ((errf = open_memstream(&errs, &errlen)) == NULL)
		child_fail(sock, b, "configuration check: out of memory");
	c = config_load(path, errf);
	fclose(errf);
	child_lines(sock, b, errs);
	free(errs);
	return c;
}

/* Reports msg about key as "file:line: msg", and ends the check. */
static void __attribute__((noreturn))
child_error_at(const struct config *c, const char *key, int sock,
    struct buf *b, const char *msg)
{
	FILE	*errf;
	char	*errs = NULL;
	size_t	 errlen = 0;

	if ((errf = open_memstream(&errs, &errlen)) == NULL)
		child_fail(sock, b, "configuration check: out of memory");
	config_error_at(c, key, errf, msg);
	fclose(errf);
	child_lines(sock, b, errs);
	free(errs);
	sandbox_proc_exit(1);
}

/*
 * As root, the users must exist, be other than root, and differ: a worker
 * with the supervisor's uid could signal it.  Then the ids a spawner has
 * (so that the modules are read as the spawner will read them), no
 * capability, the checker's policy.  Not root, no ids change and the
 * users are not looked up.
 */
static void
child_sandbox(const char *path, const struct config *c, int sock,
    struct buf *b)
{
	struct sandbox_ids	 ids;
	char			 err[512], line[CHECK_LINE_MAX];
	int			 bad;

	if (geteuid() == 0 && sandbox_users(c->user, c->worker_user, &ids,
	    &bad, err, sizeof(err)) == -1)
		child_error_at(c, bad ? "worker_user" : "user", sock, b, err);
	/* The group the supervisor gives its socket must exist. */
	if (c->socket_group[0] != '\0' && getgrnam(c->socket_group) == NULL) {
		(void)snprintf(err, sizeof(err), "socket_group: no group "
		    "\"%s\"", c->socket_group);
		child_error_at(c, "socket_group", sock, b, err);
	}
	if (geteuid() == 0 && sandbox_privdrop(c->user, c->worker_user, NULL,
	    err, sizeof(err)) == -1) {
		(void)snprintf(line, sizeof(line), "%s: %s", path, err);
		child_fail(sock, b, line);
	}
	if (sandbox_drop_caps(err, sizeof(err)) == -1 ||
	    sandbox_proc_enter(SANDBOX_PROC_CHECKER, err, sizeof(err)) == -1)
		child_fail(sock, b, err);
}

/*
 * In the child: only stdio and sock stay open, and nothing of the
 * parent's signal set-up.
 */
static void __attribute__((noreturn))
child_main(const char *path, int sock)
{
	struct config	*c;
	struct modules	*ms;
	struct buf	*b;
	sigset_t	 none;
	char		 err[512];
	int		 fd;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	log_detach();
	if ((sock = fcntl(sock, F_DUPFD_CLOEXEC, STDERR_FILENO + 1)) == -1 ||
	    dup2(sock, STDERR_FILENO + 1) == -1 ||
	    close_range(STDERR_FILENO + 2, ~0U, 0) == -1)
		_exit(1);
	sock = STDERR_FILENO + 1;
	if ((b = buf_new(CHECK_REC_MAX)) == NULL)
		_exit(1);
	if ((c = child_load(path, sock, b)) == NULL)
		sandbox_proc_exit(1);
	child_sandbox(path, c, sock, b);
	/* Without PCRE2's JIT: the checker never makes executable memory. */
	if ((ms = modules_load_flags(c, MODULES_NOJIT, err,
	    sizeof(err))) == NULL)
		child_fail(sock, b, err);
	modules_free(&ms);
	if ((fd = config_snapshot(c)) == -1) {
		(void)snprintf(err, sizeof(err), "configuration snapshot: %s",
		    strerror(errno));
		child_fail(sock, b, err);
	}
	buf_reset(b);
	if (buf_put_u8(b, CHECK_SNAPSHOT) == -1 || wire_send(sock, b, fd) == -1)
		sandbox_proc_exit(1);
	config_free(&c);
	buf_free(&b);
	sandbox_proc_exit(0);
}

/* The parent */

struct check {
	void		(*report)(void *, const char *);
	void		*arg;
	int		 snapshot;	/* -1 until it comes */
	int		 bad;		/* a record we refused */
};

/* A line from the child, with anything not printable as '?'. */
static void
check_report(struct check *k, const uint8_t *p, size_t len)
{
	char	 line[CHECK_LINE_MAX + 1];
	size_t	 i;

	for (i = 0; i < len && i < CHECK_LINE_MAX; i++)
		line[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
	line[i] = '\0';
	k->report(k->arg, line);
}

/* A snapshot only counts as one when nobody can change it any more. */
static int
check_sealed(int fd)
{
	int	 seals;

	if ((seals = fcntl(fd, F_GET_SEALS)) == -1)
		return 0;
	return (seals & SEALS_ALL) == SEALS_ALL;
}

/*
 * Decodes one record of the child's: an error line, or the snapshot (once,
 * sealed, with nothing else).  Takes over fd.
 */
static void
check_record(struct check *k, const uint8_t *p, size_t len, int fd)
{
	if (len >= 1 && p[0] == CHECK_ERROR && fd == -1) {
		check_report(k, p + 1, len - 1);
		return;
	}
	if (len == 1 && p[0] == CHECK_SNAPSHOT && fd != -1 &&
	    k->snapshot == -1 && check_sealed(fd)) {
		k->snapshot = fd;
		return;
	}
	if (fd != -1)
		close(fd);
	k->bad = 1;
}

/* Reads the child's answer until end of file or the deadline. */
static void
check_read(struct check *k, int sock, long long deadline)
{
	struct pollfd	 pfd = { sock, POLLIN, 0 };
	struct buf	*b;
	ssize_t		 n;
	int		 fd, rc;

	if ((b = buf_new(CHECK_REC_MAX + 1)) == NULL) {
		k->bad = 1;
		return;
	}
	for (;;) {
		rc = poll(&pfd, 1, (int)(deadline > clock_ms() ?
		    deadline - clock_ms() : 0));
		if (rc == -1 && errno == EINTR)
			continue;
		if (rc <= 0)
			break;
		if ((n = wire_recv(sock, b, CHECK_REC_MAX, &fd)) <= 0)
			break;
		check_record(k, buf_data(b), buf_len(b), fd);
	}
	buf_free(&b);
}

/* Waits for the child until the deadline, then kills it. */
static int
check_reap(pid_t pid, long long deadline)
{
	int	 status;
	pid_t	 rc;

	while ((rc = waitpid(pid, &status, WNOHANG)) == 0 &&
	    clock_ms() < deadline)
		(void)poll(NULL, 0, 10);
	if (rc == 0) {
		/* Without CAP_KILL it is out of reach: never wait forever. */
		if (kill(pid, SIGKILL) == -1) {
			log_warn("cannot kill the configuration check %ld",
			    (long)pid);
			return -1;
		}
		rc = waitpid(pid, &status, 0);
	}
	return rc == pid ? status : -1;
}

/* Says why the check failed when the child did not. */
static void
check_explain(struct check *k, int status)
{
	char	 why[160];

	if (status == -1)
		(void)snprintf(why, sizeof(why), "the configuration check "
		    "process is lost");
	else if (WIFSIGNALED(status))
		(void)snprintf(why, sizeof(why), "the configuration check "
		    "process was killed by signal %d (%s)%s", WTERMSIG(status),
		    strsignal(WTERMSIG(status)), WTERMSIG(status) == SIGSYS ?
		    ": a module did what its sandbox refuses" :
		    WTERMSIG(status) == SIGKILL ? ": it took too long" : "");
	else if (k->bad)
		(void)snprintf(why, sizeof(why), "the configuration check "
		    "process gave an answer that cannot be used");
	else if (WEXITSTATUS(status) == 0)
		(void)snprintf(why, sizeof(why), "the configuration check "
		    "process ended without an answer");
	else
		return;		/* it said why itself */
	k->report(k->arg, why);
}

int
parent_check(const char *path, void (*report)(void *, const char *),
    void *arg)
{
	struct check	 k = { report, arg, -1, 0 };
	long long	 deadline;
	pid_t		 pid;
	int		 sv[2], status;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		report(arg, "cannot check the configuration: socketpair failed");
		return -1;
	}
	if ((pid = fork()) == -1) {
		report(arg, "cannot check the configuration: fork failed");
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0)
		child_main(path, sv[1]);
	close(sv[1]);
	deadline = clock_ms() + CHECK_TIMEOUT_MS;
	check_read(&k, sv[0], deadline);
	close(sv[0]);
	status = check_reap(pid, deadline);
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    k.bad || k.snapshot == -1) {
		check_explain(&k, status);
		if (k.snapshot != -1)
			close(k.snapshot);
		return -1;
	}
	return k.snapshot;
}
