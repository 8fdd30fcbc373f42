/*
 * super_answer: the one place where a message's outcome becomes what the
 * MTA is told -- the action, the SMTP reply with its defaults, the order
 * of the header operations, and the message's log line.  Runs in the
 * supervisor (and in filterd -t, to show what a deployment would answer).
 * Trusts the outcome: a worker's verdict reaches it only validated
 * (super_policy.c); everything else comes from the configuration.
 *
 * The frontends only translate an answer into their protocol: libmilter
 * calls (super_milter.c) or OpenSMTPD lines (opensmtpd_proto.c).
 */
#ifndef FILTERD_SUPER_ANSWER_H
#define FILTERD_SUPER_ANSWER_H

#include <stdint.h>
#include <sys/types.h>

#include "filterd/lib/verdict.h"

struct message;

/* How an outcome was decided. */
enum outcome_kind {
	OUTCOME_WORKER = 0,	/* a worker's validated verdict */
	OUTCOME_FALLBACK,	/* on_failure: the worker failed */
	OUTCOME_OVERSIZE,	/* limits.oversize, without a worker */
	OUTCOME_MALFORMED,	/* limits.malformed, without a worker */
};

/* One message's outcome: what super_dispatch.c or a frontend decided. */
struct outcome {
	struct verdict	 v;		/* validated, or decided here */
	int		 kind;		/* enum outcome_kind */
	char		 why[160];	/* why, when not OUTCOME_WORKER */
	pid_t		 pid;		/* the worker, or 0 */
	long		 ms;		/* time from request to verdict */
	uint64_t	 gen;		/* configuration generation; 0:
					   unknown, the one in force */
};

void	outcome_clear(struct outcome *);
/* "failure", "oversize" or "malformed": why there was no worker's verdict. */
const char	*outcome_kind_name(int kind);

/* The protocol cannot accept and drop: discard is answered as reject. */
#define ANSWER_NO_DISCARD	0x01

struct answer {
	int			 action;	/* never ACTION_NONE */
	const char		*code;		/* NULL: no reply to set */
	const char		*ecode;		/* may be NULL */
	const char		*text;		/* may be NULL */
	const char		*reason;	/* quarantine, never NULL then */
	/* Changes, then deletions (last index first), then the rest. */
	const struct hdrop	*ops[VERDICT_OPS_MAX];
	size_t			 nops;
	int			 discarded;	/* discard became reject */
};

/* Fills v (cleared first) with the verdict of on_failure (an action). */
void	answer_fallback(int on_failure, struct verdict *v);
/*
 * Decides a message without a worker when it must be: malformed header
 * (the limits.malformed action), over limits.message_size or over a bound
 * of struct message (limits.oversize).  Returns 1 and fills o (zeroed
 * first) then, else 0: the message goes to a worker.
 */
int	answer_decide(const struct message *, int oversize, int malformed,
	    struct outcome *o);
/* Fills o (zeroed first): the oversize action, and why. */
void	answer_oversize(int oversize, const char *why, struct outcome *o);
/*
 * Fills o (zeroed first): reject with 550 5.6.0, for a message the MTA
 * could not take back whole from a filter.
 */
void	answer_line_too_long(const char *why, struct outcome *o);
/*
 * The answer to an outcome.  It points into o, which must outlive it.
 * flags: ANSWER_NO_DISCARD.
 */
void	answer_make(struct answer *, const struct outcome *o, int flags);
/*
 * Logs the message's line: its worker's log lines, then one line of
 * key=value fields (logfmt.h) -- every field filterd(8) documents, in its
 * order -- and counts the message (super_stats.h).
 */
void	answer_log(const struct message *, const struct outcome *,
	    const struct answer *);
/*
 * The message's line without the queue id and without logging it: for
 * answer_log and the tests.  Returns line.
 */
char	*answer_line(const struct message *, const struct outcome *,
	    const struct answer *, char *line, size_t len);
/*
 * The answer to a message at its end, every frontend's and filterd -t's:
 * answer_make after quarantine_header's edits.  When qheader (the
 * setting) is not empty, every field of that name the message came with
 * is deleted, so that none can be forged, and a quarantined message gets
 * one with the validated reason (or, decided without a worker, why).  The
 * edits go into o's verdict; when they do not all fit, that is logged and
 * the message is answered all the same.
 */
void	answer_message(struct answer *, const struct message *,
	    struct outcome *o, const char *qheader, int flags);

#endif
