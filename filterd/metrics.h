/*
 * metrics: the process that serves Prometheus metrics over HTTP on
 * metrics_listen (libmicrohttpd).  Forked by main() before the supervisor,
 * it never touches mail: all it can do is ask the supervisor's control
 * thread for "metrics" (or "ping") on its channel and hand the answer to
 * an HTTP client.  It binds its socket, drops to user (and worker_user's
 * effective ids, as the supervisor does) without capabilities, and runs
 * under a seccomp policy of its own (sandbox/seccomp_procs.c).
 */
#ifndef FILTERD_METRICS_H
#define FILTERD_METRICS_H

#include <sys/types.h>

struct config;

/* The most an answer from the supervisor may be. */
#define METRICS_ANSWER_MAX	(192 * 1024)
/* How long an HTTP client waits for the supervisor's answer. */
#define METRICS_ASK_MS		3000

/*
 * Forks the metrics process with chan, its end of the channel to the
 * supervisor; the caller closes chan.  Returns its pid, 0 when
 * metrics_listen is not set, or -1 (logged).
 */
pid_t	metrics_start(const struct config *, int chan);

#endif
