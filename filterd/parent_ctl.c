/*
 * parent_ctl: runs in the parent.  Trusts the supervisor no more than on
 * pchan: a record that is not "reload" is logged and ignored, and a
 * reload is exactly what SIGHUP does -- the configuration file the
 * parent was started with, checked in a sandboxed child.  It also makes
 * the control socket, as root, before the supervisor exists (main.c), so
 * that a socket it cannot make stops filterd at start; and removes it at
 * exit only if it is still the one it made.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "filterd/lib/config.h"
#include "filterd/lib/log.h"
#include "filterd/parent_ctl.h"

static int	 ctl_fd = -1;
/* The control socket we made: only that one is removed at exit. */
static struct stat made;

/* The user and group ids of control_owner and control_group. */
static int
ctl_ids(const struct config *c, uid_t *uid, gid_t *gid)
{
	struct passwd	*pw;
	struct group	*gr;

	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	if (*c->control_owner != '\0') {
		if ((pw = getpwnam(c->control_owner)) == NULL) {
			log_warnx("%s: control_owner: no user \"%s\"", c->path,
			    c->control_owner);
			return -1;
		}
		*uid = pw->pw_uid;
	}
	if (*c->control_group != '\0') {
		if ((gr = getgrnam(c->control_group)) == NULL) {
			log_warnx("%s: control_group: no group \"%s\"",
			    c->path, c->control_group);
			return -1;
		}
		*gid = gr->gr_gid;
	}
	return 0;
}

/*
 * Whether a process answers on path: a stale socket (nobody listening)
 * may go, a live one is another filterd's, or another program's.
 */
static int
ctl_live(const struct sockaddr_un *sun)
{
	int	 fd, rc;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	close(fd);
	return rc == 0;
}

int
parent_ctl_listen(const struct config *c)
{
	struct sockaddr_un	 sun;
	struct stat		 sb;
	const char		*path = c->control_socket;
	mode_t			 old;
	uid_t			 uid;
	gid_t			 gid;
	int			 fd, rc;

	if (*path == '\0')
		return -2;
	if (ctl_ids(c, &uid, &gid) == -1)
		return -1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_warnx("control_socket %s: path too long", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	if (lstat(path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode)) {
			log_warnx("control_socket %s: exists and is not a "
			    "socket", path);
			return -1;
		}
		if (ctl_live(&sun) == 1) {
			log_warnx("control_socket %s: a running process "
			    "answers on it (another filterd?)", path);
			return -1;
		}
		if (unlink(path) == -1) {
			log_warn("control_socket %s: cannot remove the stale "
			    "socket", path);
			return -1;
		}
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		log_warn("control_socket %s: socket", path);
		return -1;
	}
	/* Nobody but us until its mode and owner are right. */
	old = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rc == -1) {
		log_warn("control_socket %s: bind", path);
		close(fd);
		return -1;
	}
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) &&
	    chown(path, uid, gid) == -1) {
		log_warn("control_socket %s: chown to control_owner and "
		    "control_group", path);
		goto fail;
	}
	if (chmod(path, (mode_t)config_mode(c->control_mode)) == -1) {
		log_warn("control_socket %s: chmod %s", path, c->control_mode);
		goto fail;
	}
	if (listen(fd, 8) == -1) {
		log_warn("control_socket %s: listen", path);
		goto fail;
	}
	if (lstat(path, &made) == -1) {
		log_warn("control_socket %s", path);
		goto fail;
	}
	log_info("control socket on %s (mode %s)", path, c->control_mode);
	return fd;
fail:
	close(fd);
	(void)unlink(path);
	return -1;
}


void
parent_ctl_set(int fd)
{
	ctl_fd = fd;
}

int
parent_ctl_read(int fd)
{
	char	 rec[16];
	ssize_t	 n;

	n = recv(fd, rec, sizeof(rec) - 1, MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0)
		return -1;
	rec[n] = '\0';
	if (strcmp(rec, "reload") == 0)
		return 1;
	log_warnx("bad request on the control channel");
	return 0;
}

void
parent_ctl_reloaded(int fd, int ok, uint64_t gen)
{
	char	 rec[64];
	int	 n;

	n = snprintf(rec, sizeof(rec), "%s %llu", ok ? "reloaded" :
	    "unchanged", (unsigned long long)gen);
	if (send(fd, rec, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) == -1)
		log_warn("cannot answer the control thread");
}

void
parent_usr_signal(int sig)
{
	const char	*rec = sig == SIGUSR1 ? "usr1" : "usr2";

	log_info("%s received: the supervisor logs its %s",
	    sig == SIGUSR1 ? "SIGUSR1" : "SIGUSR2",
	    sig == SIGUSR1 ? "counters" : "status");
	if (ctl_fd == -1 || send(ctl_fd, rec, strlen(rec), MSG_DONTWAIT |
	    MSG_NOSIGNAL) == -1)
		log_warnx("signal %d: the supervisor cannot be told", sig);
}

void
parent_ctl_cleanup(const char *path)
{
	struct stat	 sb;

	if (path == NULL || *path == '\0')
		return;
	if (made.st_ino == 0)
		return;		/* not ours: another's, or none */
	if (lstat(path, &sb) == 0 && sb.st_dev == made.st_dev &&
	    sb.st_ino == made.st_ino && unlink(path) == -1)
		log_warn("%s: cannot remove the control socket", path);
}
