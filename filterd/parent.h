/*
 * parent: the first filterd process.  Single-threaded; keeps the
 * privileges filterd was started with, and uses them for one thing: to
 * fork and exec a fresh spawner whenever the supervisor asks for one.  It
 * reaps its children and ends the whole daemon on SIGTERM or when the
 * supervisor exits.
 */
#ifndef FILTERD_PARENT_H
#define FILTERD_PARENT_H

#include <sys/types.h>

struct parent_args {
	const char	*self;		/* this program, for exec */
	const char	*confpath;
	int		 foreground;
	int		 verbose;
	int		 pchan;		/* socket to the supervisor */
	pid_t		 supervisor;
};

/*
 * Forks and execs a spawner with a new control socket; returns our end of
 * it and the pid, or -1.  Only from a single-threaded process.
 */
int	parent_start_spawner(const struct parent_args *, pid_t *pid_r);
/* Serves the supervisor until it exits; returns the exit status. */
int	parent_main(const struct parent_args *);

#endif
