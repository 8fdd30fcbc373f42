/*
 * parent: the first filterd process.  Single-threaded; keeps of the
 * privileges filterd was started with only the capabilities it uses, for
 * one thing: to fork and exec a fresh spawner (the program
 * filterd-spawner, spawner_main.c) whenever the supervisor asks for one
 * (and to check a configuration in a child).  It reaps its children and
 * ends the whole daemon on SIGTERM or when the supervisor
 * exits.
 *
 * It also holds the configuration in force, as a sealed snapshot
 * (config_snapshot) numbered by a generation.  Every spawner is exec'd
 * with the snapshot on SPAWNER_FD_CONF, and every spawner handed to the
 * supervisor is followed by a WIRE_CONFIG frame with its generation and
 * snapshot.  On SIGHUP the parent has the file checked as filterd -n
 * checks it, in a sandboxed child (parent_check.h), and only if it is
 * good makes the child's snapshot the new one and announces the new
 * generation in *generation, which the supervisor watches; a bad file is
 * logged and changes nothing.
 */
#ifndef FILTERD_PARENT_H
#define FILTERD_PARENT_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>

struct parent_args {
	const char	*spawner;	/* the spawner program, for exec */
	const char	*confpath;
	int		 foreground;
	int		 verbose;
	int		 pchan;		/* socket to the supervisor */
	pid_t		 supervisor;
	int		 conffd;	/* the snapshot in force */
	uint64_t	 gen;		/* and its generation, from 1 */
	uint64_t	*generation;	/* shared with the supervisor, which
					   may write it: only ever stored */
	const char	*worker_user;	/* the supervisor's effective user */
	unsigned	 spawn_rate;	/* spawner starts a second at most,
					   in bursts of as many; 0: 10 */
	/* The daemon's place in the system (parent_start.h). */
	int		 readyfd;	/* to the starting process, or -1 */
	const char	*pidfile;	/* removed at exit, or NULL */
	const char	*sockpath;	/* our unix socket, or NULL */
	struct sockaddr_storage nudge;	/* the listener, for start_nudge */
	socklen_t	 nudgelen;	/* 0: none (OpenSMTPD) */
	int		 cchan;		/* the supervisor's control thread
					   (parent_ctl.h), or -1 */
	pid_t		 metrics;	/* the metrics process, or 0 */
};

/*
 * Forks and execs a spawner with a new control socket and the snapshot
 * a->conffd; returns our end of the socket and the pid, or -1.  Only from
 * a single-threaded process.
 */
int	parent_start_spawner(const struct parent_args *, pid_t *pid_r);
/* Serves the supervisor until it exits; returns the exit status. */
int	parent_main(struct parent_args *);

#endif
