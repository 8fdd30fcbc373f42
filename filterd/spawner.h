/*
 * spawner: the process that makes workers.  Exec'd fresh by the parent
 * with its control socket on SPAWNER_FD_CTL and the configuration
 * snapshot on SPAWNER_FD_CONF (see parent.h); loads the configuration and
 * the modules, builds the seccomp filter, drops privileges, and keeps a
 * pool of sandboxed workers waiting.  Single-threaded.
 *
 * On the control socket the supervisor grants it workers (WIRE_GRANT),
 * ahead of its messages; the spawner pushes each granted worker, as soon
 * as one is ready, in a WIRE_WORKER frame that carries its pid, its
 * socket and a pidfd of it.  It retires -- stops sending, closes the
 * socket, lets its handed-out workers finish or kills them at their
 * deadline, and exits -- after any abnormal worker death, after
 * workers.max_served, and on SIGHUP.
 */
#ifndef FILTERD_SPAWNER_H
#define FILTERD_SPAWNER_H

#define SPAWNER_FD_CTL	3
#define SPAWNER_FD_CONF	4

/* Worker exit statuses the spawner knows how to name. */
#define WORKER_EXIT_OK		0
#define WORKER_EXIT_IO		2	/* job unreadable or verdict unsent */
#define WORKER_EXIT_SANDBOX	3	/* the sandbox could not be entered */
#define WORKER_EXIT_MODULE	4	/* a module could not check the job */

/* confpath names the file the snapshot came from, for messages. */
void	spawner_main(const char *confpath) __attribute__((noreturn));

#endif
