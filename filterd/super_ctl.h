/*
 * super_ctl: the control socket, served by a thread of the supervisor.
 * Commands (filterd(8), CONTROL SOCKET): ping, status, stats, metrics and
 * reload, one a connection, a line of at most CTL_LINE_MAX bytes; the
 * answer is text lines, then the connection closes.  reload goes to the
 * parent (the only process that may reload) over a channel of its own,
 * and the answer waits for the parent's.  The same thread answers the
 * metrics process (metrics.c) on its channel, which may ask for metrics
 * and ping only, and logs the counters when the parent forwards SIGUSR1
 * (stats) or SIGUSR2 (status).
 *
 * Nothing here blocks but poll: every descriptor is non-blocking, a
 * client has CTL_CLIENT_MS to send its line and take its answer, and at
 * most CTL_CLIENTS_MAX are served at once.  Mail never waits for this
 * thread; it only ever takes the counters' lock for a copy.
 */
#ifndef FILTERD_SUPER_CTL_H
#define FILTERD_SUPER_CTL_H

struct dispatch;

#define CTL_LINE_MAX	64
#define CTL_CLIENTS_MAX	8
#define CTL_CLIENT_MS	5000
/* How long a reload may take: the configuration check, modules and all. */
#define CTL_RELOAD_MS	60000

/*
 * Under the supervisor's sandbox: starts the thread.  listen is the
 * control socket (parent_ctl_listen), parent and metrics the channels
 * (SOCK_SEQPACKET) to the parent and to the metrics process; any may be
 * -1.  Returns 0 or -1.
 */
int	ctl_start(int listen, int parent, int metrics, struct dispatch *);
void	ctl_stop(void);

#endif
