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
/* At exit: removes control_socket, which the supervisor cannot. */
void	parent_ctl_cleanup(const char *path);

#endif
