/*
 * opensmtpd_proto: the line protocol of OpenSMTPD's proc-exec filters, as a
 * state machine with neither I/O nor threads, so that a unit test or a
 * fuzzer can drive it byte by byte.  Runs in the supervisor, in the
 * opensmtpd frontend's event loop (smtpd.c).  Trusts nothing it is fed:
 * smtpd relays the SMTP client's bytes, and every line is bounded and
 * checked before it is stored.
 *
 * The caller feeds what smtpd wrote on the filter's stdin and writes what
 * smtpd_proto_output() holds to its stdout.  At the end of each message's
 * data the machine hands a job to ops->submit; the caller runs it through
 * a worker (or a fake) and gives it back with smtpd_proto_done(), from its
 * own loop.  Until then the message's data lines are held; then they are
 * emitted with the verdict's header operations applied, and the verdict
 * answers the commit phase.
 */
#ifndef FILTERD_OPENSMTPD_PROTO_H
#define FILTERD_OPENSMTPD_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "filterd/super_dispatch.h"

/* Sessions tracked at once; past it connect is refused with a 421. */
#define SMTPD_PROTO_SESSIONS_MAX	100000

struct message;
struct smtpd_proto;
struct verdict;

/* One message on its way through a worker. */
struct smtpd_job {
	struct message	 *m;	/* read-only for the caller until done */
	struct outcome	  o;	/* filled by the caller before done */
	struct smtpd_job *next;	/* free for the caller's queues */
	void		 *session;	/* the machine's own */
};

struct smtpd_ops {
	/*
	 * Starts filtering job->m.  The caller fills job->o and calls
	 * smtpd_proto_done() later, never from within submit.
	 */
	void	(*submit)(void *arg, struct smtpd_job *);
	/* Fills v (zeroed) with the configured on_failure verdict. */
	void	(*fallback)(void *arg, struct verdict *v);
};

struct smtpd_limits {
	size_t	 message_size;	/* limits.message_size */
	int	 oversize;	/* limits.oversize, an enum action */
	int	 malformed;	/* limits.malformed, an enum action */
	int	 worker_timeout; /* seconds; checked against smtpd's */
};

/* Returns a machine waiting for smtpd's config lines, or NULL. */
struct smtpd_proto	*smtpd_proto_new(const struct smtpd_limits *,
			    const struct smtpd_ops *, void *arg);
/*
 * New limits, after a reload: sessions that begin from now on get them;
 * those open keep theirs.
 */
void			 smtpd_proto_set_limits(struct smtpd_proto *,
			    const struct smtpd_limits *);
/*
 * quarantine_header (super_answer.h): the messages decided from now on
 * get it; "" for none.
 */
void			 smtpd_proto_set_qheader(struct smtpd_proto *,
			    const char *);
/* Frees every session and job; none may be running any more. */
void			 smtpd_proto_free(struct smtpd_proto **);

/*
 * Consumes bytes from smtpd; a partial line is kept for the next call.
 * Returns 0, or -1 when smtpd broke the protocol (or memory ran out) with
 * a reason in *why_r, valid until the next call.  After -1 the machine
 * is unusable: the caller must end the frontend.
 */
int	smtpd_proto_feed(struct smtpd_proto *, const void *, size_t,
	    const char **why_r);
/*
 * Takes back a job that submit handed out, with job->o filled, and emits
 * its message.  Returns 0, or -1 when memory ran out.
 */
int	smtpd_proto_done(struct smtpd_proto *, struct smtpd_job *,
	    const char **why_r);

/* What is waiting to be written to smtpd, and how much of it was. */
const uint8_t	*smtpd_proto_output(const struct smtpd_proto *, size_t *);
void		 smtpd_proto_consume(struct smtpd_proto *, size_t);

/* "0.6", "0.7", or NULL until smtpd has said. */
const char	*smtpd_proto_version(const struct smtpd_proto *);
/* Sessions open, and jobs handed out and not yet done. */
size_t		 smtpd_proto_sessions(const struct smtpd_proto *);
size_t		 smtpd_proto_running(const struct smtpd_proto *);

#endif
