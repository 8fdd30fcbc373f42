/*
 * worker: the one-message process.  Forked by the spawner, sandboxed
 * before it reads anything, it reads one job, runs the filter modules and
 * writes one verdict, then exits.  Never reused.
 */
#ifndef FILTERD_WORKER_H
#define FILTERD_WORKER_H

#include <stddef.h>

struct config;
struct modules;

/*
 * Serves one job on SANDBOX_FD_CHAN and exits: 0 after a verdict was
 * sent, 2 when the job could not be read or the verdict not written.
 */
void	worker_run(const struct config *, const struct modules *)
	    __attribute__((noreturn));

/* Ends a worker with exit_group(2), the only way its sandbox allows. */
void	worker_exit(int) __attribute__((noreturn));

#endif
