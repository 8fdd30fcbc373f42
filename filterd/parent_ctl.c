/*
 * parent_ctl: runs in the parent.  Trusts the supervisor no more than on
 * pchan: a record that is not "reload" is logged and ignored, and a
 * reload is exactly what SIGHUP does -- the configuration file the
 * parent was started with, checked in a sandboxed child.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "filterd/lib/log.h"
#include "filterd/parent_ctl.h"

static int	 ctl_fd = -1;

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
	if (lstat(path, &sb) == 0 && S_ISSOCK(sb.st_mode) &&
	    unlink(path) == -1)
		log_warn("%s: cannot remove the control socket", path);
}
