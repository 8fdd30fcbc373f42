/*
 * parent_ctl: the parent's end of the control thread's channel
 * (super_ctl.h).  The supervisor may only ask for a reload on it -- what
 * SIGHUP does -- and is told how it went; SIGUSR1 and SIGUSR2 go the
 * other way, for the supervisor to log its counters (SIGUSR1) or its
 * status (SIGUSR2): the parent has neither, and signalling the
 * supervisor itself would stop libmilter.
 */
#ifndef FILTERD_PARENT_CTL_H
#define FILTERD_PARENT_CTL_H

#include <stdint.h>

struct config;

/*
 * Opens control_socket, with control_mode, control_owner and
 * control_group, for the supervisor's control thread (super_ctl.h).
 * Refuses a socket a live process answers on; replaces a stale one.
 * Returns the listening socket, -2 when control_socket is "", or -1
 * with the reason logged.
 */
int	parent_ctl_listen(const struct config *);
/* The channel, for parent_usr_signal; -1: none. */
void	parent_ctl_set(int fd);
/*
 * Reads one request: 1 for a reload, 0 for nothing (or something else,
 * which is logged), -1 once the supervisor is gone.
 */
int	parent_ctl_read(int fd);
/* After a reload the channel asked for: whether it made generation gen. */
void	parent_ctl_reloaded(int fd, int ok, uint64_t gen);
/* SIGUSR1 or SIGUSR2, forwarded to the control thread; never blocks. */
void	parent_usr_signal(int sig);
/*
 * At exit: removes control_socket, which the supervisor cannot, if it is
 * the socket parent_ctl_listen made.
 */
void	parent_ctl_cleanup(const char *path);

#endif
