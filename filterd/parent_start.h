/*
 * parent_start: what the first filterd process does about its place in
 * the system before and while it becomes a daemon, and again when it
 * ends: the listening socket's path, the pidfile, the start watched from
 * the foreground, the service manager's notifications.  Runs in main()
 * and in the parent, as the user filterd was started as; reads no mail.
 *
 * A daemon's start is watched: start_daemonize() forks, and the process
 * that was started waits until the daemon says it is ready -- the
 * supervisor has its socket open and has asked for its first spawner --
 * or has failed, and exits 0 or 1 accordingly.  Every error before that
 * goes to stderr as well as to the log, so an administrator sees it.
 */
#ifndef FILTERD_PARENT_START_H
#define FILTERD_PARENT_START_H

#include <sys/socket.h>

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/*
 * Checks the milter listen address before anything is started.  A unix
 * socket: its directory must exist; a socket on which something accepts
 * connections is refused (another filterd, most likely); a socket that
 * refuses them is stale and removed; anything but a socket is refused.
 * An inet one: the address and port must resolve and be free to bind.
 * Returns 0, or -1 with a message naming the path or address and the
 * system's reason in err.
 */
int	start_check_listen(const char *listen, char *err, size_t errlen);

/*
 * The unix socket's path in a milter listen address, or NULL when it is
 * not a unix socket.  Points into listen.
 */
const char *start_unix_path(const char *listen);

/*
 * Where a connection reaches the milter listener (start_nudge): the unix
 * path, or the inet address with a wildcard made loopback.  Fills ss and
 * len (0 when there is nothing to reach); returns -1 then.
 */
int	start_nudge_addr(const char *listen, struct sockaddr_storage *ss,
	    socklen_t *len);
/*
 * Connects to the listener and hangs up at once, without waiting; errors
 * are ignored.  libmilter's listener holds a lock across each 5 s poll of
 * its socket, and its stop waits for that lock: a connection ends the
 * poll, and the stop takes milliseconds instead of up to 5 s.
 */
void	start_nudge(const struct sockaddr_storage *ss, socklen_t len);

/*
 * Opens and locks the pidfile (flock, held by the daemon for its life).
 * Returns the descriptor, close-on-exec, or -1 with the reason in err:
 * another filterd holds it, or the file cannot be opened.  The runtime
 * directory itself (FILTERD_RUNDIR) is made when missing; any other
 * missing directory is an error.
 */
int	start_pidfile_lock(const char *path, char *err, size_t errlen);
/* Writes our pid into the locked pidfile.  Returns 0 or -1 (errno). */
int	start_pidfile_write(int fd);

/*
 * Makes the runtime directory (FILTERD_RUNDIR, root's, mode 0755) when
 * path lies in it and it does not exist; then nothing needs it made.
 * Returns 0 or -1 (errno).
 */
int	start_rundir(const char *path);

/*
 * Becomes a daemon whose start is watched: forks; the calling process
 * waits for the child's word and exits 0 once it is ready, 1 if it ends
 * first.  Returns, in the child (a new session, in "/"), the descriptor
 * to give to start_ready(), or -1 when the fork fails.
 */
int	start_daemonize(void);

/*
 * Ready: tells the waiting process (readyfd, -1 when there is none) and
 * the service manager, and leaves the terminal (log_leave_terminal).
 */
void	start_ready(int readyfd);

/*
 * sd_notify(3)'s protocol, without libsystemd: one datagram with state
 * ("READY=1", "STOPPING=1", ...) to $NOTIFY_SOCKET, when there is one.
 * start_notify_init() takes the variable out of the environment (the
 * spawners need none of it) and opens the socket.
 */
void	start_notify_init(void);
void	start_notify(const char *state);

/*
 * At exit: removes the unix socket if it is still the one st describes
 * (a later filterd may have made its own there), and the pidfile.
 * Either may be NULL.
 */
void	start_cleanup(const char *sockpath, const struct stat *st,
	    const char *pidfile);

#endif
