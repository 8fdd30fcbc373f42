/*
 * parent_start: the start and the end of the daemon as the system sees
 * them (parent_start.h).  Runs in main() before anything is forked, and
 * in the parent; trusts the configuration, and nothing it finds in the
 * file system: a path that is not what it should be is refused, never
 * removed, unless it is a socket nobody answers on.
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "filterd/lib/log.h"
#include "filterd/parent_start.h"

#ifndef FILTERD_RUNDIR
#define FILTERD_RUNDIR	"/run/filterd"
#endif

static int	 notify_fd = -1;

const char *
start_unix_path(const char *listen)
{
	if (strncmp(listen, "unix:", 5) == 0)
		return listen + 5;
	if (strncmp(listen, "local:", 6) == 0)
		return listen + 6;
	if (listen[0] == '/')
		return listen;		/* libmilter's default family */
	return NULL;
}

/* The directory of path must exist and be one. */
static int
start_check_dir(const char *what, const char *path, char *err, size_t len)
{
	char		 copy[PATH_MAX], *dir;
	struct stat	 st;

	if (snprintf(copy, sizeof(copy), "%s", path) >= (int)sizeof(copy)) {
		snprintf(err, len, "%s%s: path too long", what, path);
		return -1;
	}
	dir = dirname(copy);
	if (stat(dir, &st) == -1) {
		snprintf(err, len, "%s%s: directory %s: %s", what, path, dir,
		    strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, len, "%s%s: %s is not a directory", what, path,
		    dir);
		return -1;
	}
	return 0;
}

/*
 * A socket left at path: in use (something accepts), stale (nothing
 * does: removed) or a mystery (refused).
 */
static int
start_check_unix(const char *path, char *err, size_t len)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	int			 fd, rc, saved;

	if (start_rundir(path) == -1) {
		snprintf(err, len, "listen unix:%s: cannot make %s: %s", path,
		    FILTERD_RUNDIR, strerror(errno));
		return -1;
	}
	if (start_check_dir("listen unix:", path, err, len) == -1)
		return -1;
	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, len, "listen unix:%s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, len, "listen unix:%s: exists and is not a "
		    "socket; not removing it", path);
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path) >=
	    (int)sizeof(sun.sun_path)) {
		snprintf(err, len, "listen unix:%s: path too long", path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, len, "socket: %s", strerror(errno));
		return -1;
	}
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	saved = errno;
	close(fd);
	if (rc == 0) {
		snprintf(err, len, "listen unix:%s: another process (a running "
		    "filterd?) answers on this socket; not starting", path);
		return -1;
	}
	if (saved != ECONNREFUSED) {
		snprintf(err, len, "listen unix:%s: %s", path,
		    strerror(saved));
		return -1;
	}
	if (unlink(path) == -1) {
		snprintf(err, len, "listen unix:%s: cannot remove the stale "
		    "socket: %s", path, strerror(errno));
		return -1;
	}
	log_info("listen unix:%s: removed a stale socket", path);
	return 0;
}

/*
 * The port and host of "inet:port@host" or "inet6:port@host": the port
 * copied into port, the host (NULL when there is none) pointing into
 * listen.  Returns -1 when there is no port.
 */
static int
start_inet_split(const char *listen, char *port, size_t len,
    const char **host)
{
	const char	*p = strchr(listen, ':') + 1, *at;

	if ((at = strchr(p, '@')) == NULL)
		at = p + strlen(p);
	if (at == p || (size_t)(at - p) >= len)
		return -1;
	memcpy(port, p, (size_t)(at - p));
	port[at - p] = '\0';
	*host = *at == '@' ? at + 1 : NULL;
	return 0;
}

/*
 * "inet:port@host" or "inet6:port@host", as libmilter reads them: the
 * address must resolve and the port be free.  The probe binds as
 * libmilter will (SO_REUSEADDR) and lets go at once.
 */
static int
start_check_inet(const char *listen, int family, char *err, size_t len)
{
	struct addrinfo	 hints, *ai = NULL;
	char		 port[64];
	const char	*host;
	int		 fd, rc, on = 1;

	if (start_inet_split(listen, port, sizeof(port), &host) == -1) {
		snprintf(err, len, "listen %s: no port", listen);
		return -1;
	}
	/* glibc takes 99999 for a port, and libmilter its low 16 bits. */
	if (port[strspn(port, "0123456789")] == '\0' &&
	    (strlen(port) > 5 || strtol(port, NULL, 10) < 1 ||
	    strtol(port, NULL, 10) > 65535)) {
		snprintf(err, len, "listen %s: port %s is not from 1 to 65535",
		    listen, port);
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0) {
		snprintf(err, len, "listen %s: %s", listen, rc == EAI_SYSTEM ?
		    strerror(errno) : gai_strerror(rc));
		return -1;
	}
	rc = -1;
	if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) != -1) {
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
		    sizeof(on));
		rc = bind(fd, ai->ai_addr, ai->ai_addrlen);
	}
	if (rc == -1)
		snprintf(err, len, "listen %s: %s", listen, strerror(errno));
	if (fd != -1)
		close(fd);
	freeaddrinfo(ai);
	return rc;
}

int
start_nudge_addr(const char *listen, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct sockaddr_un	*sun = (struct sockaddr_un *)ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;
	struct addrinfo		 hints, *ai = NULL;
	char			 port[64];
	const char		*path, *host;

	memset(ss, 0, sizeof(*ss));
	*len = 0;
	if ((path = start_unix_path(listen)) != NULL) {
		sun->sun_family = AF_UNIX;
		if (snprintf(sun->sun_path, sizeof(sun->sun_path), "%s",
		    path) >= (int)sizeof(sun->sun_path))
			return -1;
		*len = sizeof(*sun);
		return 0;
	}
	memset(&hints, 0, sizeof(hints));
	if (strncmp(listen, "inet:", 5) == 0)
		hints.ai_family = AF_INET;
	else if (strncmp(listen, "inet6:", 6) == 0)
		hints.ai_family = AF_INET6;
	else
		return -1;
	if (start_inet_split(listen, port, sizeof(port), &host) == -1)
		return -1;
	hints.ai_socktype = SOCK_STREAM;
	/* No host: getaddrinfo gives the loopback address. */
	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return -1;
	if (ai->ai_addrlen > sizeof(*ss)) {
		freeaddrinfo(ai);
		return -1;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	if (ss->ss_family == AF_INET &&
	    sin->sin_addr.s_addr == htonl(INADDR_ANY))
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (ss->ss_family == AF_INET6 &&
	    IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr))
		sin6->sin6_addr = in6addr_loopback;
	return 0;
}

void
start_nudge(const struct sockaddr_storage *ss, socklen_t len)
{
	int	 fd;

	if (len == 0 || (fd = socket(ss->ss_family,
	    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1)
		return;
	(void)connect(fd, (const struct sockaddr *)ss, len);
	close(fd);
}

int
start_check_listen(const char *listen, char *err, size_t errlen)
{
	const char	*path;

	if ((path = start_unix_path(listen)) != NULL)
		return start_check_unix(path, err, errlen);
	if (strncmp(listen, "inet:", 5) == 0)
		return start_check_inet(listen, AF_INET, err, errlen);
	if (strncmp(listen, "inet6:", 6) == 0)
		return start_check_inet(listen, AF_INET6, err, errlen);
	snprintf(err, errlen, "listen %s: not unix:PATH, inet:PORT@HOST or "
	    "inet6:PORT@HOST", listen);
	return -1;
}

int
start_rundir(const char *path)
{
	size_t	 n = strlen(FILTERD_RUNDIR);

	if (strncmp(path, FILTERD_RUNDIR "/", n + 1) != 0 ||
	    strchr(path + n + 1, '/') != NULL)
		return 0;
	if (mkdir(FILTERD_RUNDIR, 0755) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

int
start_pidfile_lock(const char *path, char *err, size_t errlen)
{
	char	 pid[32];
	ssize_t	 n;
	int	 fd;

	if (start_rundir(path) == -1) {
		snprintf(err, errlen, "pidfile %s: cannot make %s: %s", path,
		    FILTERD_RUNDIR, strerror(errno));
		return -1;
	}
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0644)) == -1) {
		snprintf(err, errlen, "pidfile %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return fd;
	if (errno == EWOULDBLOCK) {
		n = pread(fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		snprintf(err, errlen, "pidfile %s: locked by a running "
		    "filterd (pid %s); not starting", path,
		    pid[0] != '\0' ? pid : "unknown");
	} else
		snprintf(err, errlen, "pidfile %s: flock: %s", path,
		    strerror(errno));
	close(fd);
	return -1;
}

int
start_pidfile_write(int fd)
{
	char	 pid[32];
	int	 n;

	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 ||
	    pwrite(fd, pid, (size_t)n, 0) != (ssize_t)n)
		return -1;
	return 0;
}

/* In the process that was started: the daemon's word, then our exit. */
static void __attribute__((noreturn))
start_wait(int fd, pid_t pid)
{
	char	 c = 0;
	ssize_t	 n;
	int	 status;

	while ((n = read(fd, &c, 1)) == -1 && errno == EINTR)
		;
	if (n == 1 && c == 'R')
		_exit(0);
	/* It said why on stderr; its status, when it has one, too. */
	if (waitpid(pid, &status, WNOHANG) == pid && WIFEXITED(status))
		fprintf(stderr, "filterd: start-up failed (exit status %d)\n",
		    WEXITSTATUS(status));
	else
		fprintf(stderr, "filterd: start-up failed\n");
	_exit(1);
}

int
start_daemonize(void)
{
	int	 p[2];
	pid_t	 pid;

	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	if ((pid = fork()) == -1) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid > 0) {
		close(p[1]);
		start_wait(p[0], pid);
	}
	close(p[0]);
	if (setsid() == -1 || chdir("/") == -1) {
		close(p[1]);
		return -1;
	}
	return p[1];
}

void
start_ready(int readyfd)
{
	start_notify("READY=1");
	log_leave_terminal();
	if (readyfd != -1) {
		if (write(readyfd, "R", 1) != 1)
			log_warn("cannot tell the starting process");
		close(readyfd);
	}
}

void
start_notify_init(void)
{
	struct sockaddr_un	 sun;
	const char		*path;
	size_t			 n;

	if ((path = getenv("NOTIFY_SOCKET")) == NULL)
		return;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	n = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || n >= sizeof(sun.sun_path)) {
		log_warnx("NOTIFY_SOCKET %s: not a socket path, ignored", path);
		(void)unsetenv("NOTIFY_SOCKET");
		return;
	}
	memcpy(sun.sun_path, path, n);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';		/* an abstract name */
	if ((notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) ==
	    -1 || connect(notify_fd, (struct sockaddr *)&sun,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)) == -1) {
		log_warn("NOTIFY_SOCKET %s", path);
		if (notify_fd != -1)
			close(notify_fd);
		notify_fd = -1;
	}
	(void)unsetenv("NOTIFY_SOCKET");
}

void
start_notify(const char *state)
{
	if (notify_fd != -1 && send(notify_fd, state, strlen(state),
	    MSG_NOSIGNAL) == -1)
		log_warn("sd_notify %s", state);
}

void
start_cleanup(const char *sockpath, const struct stat *st,
    const char *pidfile)
{
	struct stat	 now;

	if (sockpath != NULL && st != NULL && lstat(sockpath, &now) == 0 &&
	    S_ISSOCK(now.st_mode) && now.st_dev == st->st_dev &&
	    now.st_ino == st->st_ino && unlink(sockpath) == -1)
		log_warn("cannot remove the socket %s", sockpath);
	if (pidfile != NULL && unlink(pidfile) == -1 && errno != ENOENT)
		log_warn("cannot remove the pidfile %s", pidfile);
}
