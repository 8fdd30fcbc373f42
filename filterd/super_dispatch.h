/*
 * super_dispatch: the supervisor's side of one message's trip through a worker.
 * Takes a fresh worker, hands it the job, waits for its one verdict within
 * limits.worker_timeout, decodes and validates it.  Shared by the
 * frontends; thread-safe, so libmilter's threads may call it at once.
 * Never forks: new spawners come from the parent process.  A thread of its
 * own talks to the parent and the spawner and keeps a few workers ready,
 * so that no message waits behind another for them: a stuck spawner or
 * parent costs each message at most its own deadline.
 */
#ifndef FILTERD_SUPER_DISPATCH_H
#define FILTERD_SUPER_DISPATCH_H

#include <stdint.h>
#include <sys/types.h>

#include "filterd/lib/verdict.h"
#include "filterd/super_answer.h"

struct config;
struct dgen;
struct dispatch;
struct message;

/*
 * pchan is the socket to the parent, which starts spawners on request
 * (-1: none, only dispatch_set_spawner's).  The configuration, generation
 * 1, must outlive the dispatcher.  announced, when not NULL, is where the
 * parent announces a reloaded generation (parent.h): the dispatcher then
 * takes a new spawner and reads that generation's snapshot, and messages
 * already on their way finish with the generation they started with.
 * Starts the dispatcher's thread, which dispatch_free joins: a process
 * that forks does so before or after.  Returns NULL on failure.
 */
struct dispatch	*dispatch_new(int pchan, const struct config *,
		    const uint64_t *announced);
void		 dispatch_free(struct dispatch **);
/* Starts with this spawner's control socket, before asking the parent. */
void		 dispatch_set_spawner(struct dispatch *, int ctl);

/*
 * Runs m through a fresh worker and fills o, always: with the validated
 * verdict, or with the on_failure verdict (OUTCOME_FALLBACK) and the
 * reason in o->why.  outcome_clear (super_answer.h) frees it.
 */
void	dispatch_run(struct dispatch *, const struct message *m,
	    struct outcome *o);
/*
 * The configuration generation in force, held: a frontend holds one for
 * each connection, so that a reload does not change limits under a
 * message it is collecting.  dgen_config is valid until the release.
 * Never waits: just after a reload it may return the older generation
 * while the dispatcher's thread reads the new one.
 */
struct dgen		*dispatch_hold(struct dispatch *);
const struct config	*dgen_config(const struct dgen *);
/* Its generation's number, as the parent announced it. */
uint64_t		 dgen_id(const struct dgen *);
void			 dispatch_release(struct dispatch *, struct dgen **);
/*
 * Whether the parent has announced a generation newer than g; takes no
 * lock, so an event loop may ask it often.
 */
int			 dispatch_stale(const struct dispatch *,
			    const struct dgen *);

/*
 * Whether the client of m serves a penalty (super_penalty.h).  If so, fills
 * o as dispatch_run would -- the on_failure verdict, OUTCOME_FALLBACK, and
 * "penalty (...)" in o->why -- and returns 1; no worker is involved.  For a
 * frontend that knows the client before its messages, to refuse it early;
 * dispatch_run checks every message again.
 */
int	dispatch_penalised(struct dispatch *, const struct message *m,
	    struct outcome *o);

/* Fills v with the on_failure verdict, as dispatch_run does on failure. */
void	dispatch_fallback(const struct config *, struct verdict *v);
/* The same, with the configuration in force. */
void	dispatch_fallback_now(struct dispatch *, struct verdict *v);

/*
 * For the control socket (super_stats.h): spawners in use and standby,
 * workers in stock, messages waiting for one.  arg is the dispatch.
 */
struct stats_status;
void	dispatch_status(void *arg, struct stats_status *);

#endif
