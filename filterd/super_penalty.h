/*
 * super_penalty: per-client penalties, in the supervisor.  A client whose
 * message made a worker fail -- die without a verdict (a crash, a sandbox
 * violation) or run out of time -- is an offender: for a while its
 * messages get the on_failure answer without a worker, so that a crash
 * bug cannot be turned into a storm of dying workers and retired
 * spawners that starves every other client.  The idea is OpenSSH 9.8's
 * PerSourcePenalties; the code is our own.
 *
 * A client is an IPv4 address or an IPv6 block (penalty.ipv4_prefix and
 * ipv6_prefix bits, /32 and /64 by default).  Its first offence costs it
 * penalty.base seconds, each further one twice the one before, up to
 * penalty.max (which bounds base too); penalty.forgive quiet seconds
 * after its last penalty ended, it starts again from its first.  Clients
 * in penalty.exempt, and those whose address is not one (a local socket),
 * are never penalised.  The table holds penalty.sources clients at most;
 * when full, the one whose last offence is oldest is forgotten.
 * Thread-safe.
 */
#ifndef FILTERD_SUPER_PENALTY_H
#define FILTERD_SUPER_PENALTY_H

#include <stddef.h>

struct config;
struct penalty;

/* Returns an empty table, or NULL when out of memory. */
struct penalty	*penalty_new(void);
void		 penalty_free(struct penalty **);

/*
 * Whether the client at addr (as the MTA named it) serves a penalty at
 * now (ms, CLOCK_MONOTONIC) under c.  Returns 1 and writes why ("penalty
 * (offence 2, 57 s left)") for the message's log line, or 0.
 */
int	penalty_check(struct penalty *, const struct config *c,
	    const char *addr, long long now, char *why, size_t len);
/*
 * Records that the message of the client at addr, begun at started (ms),
 * made a worker fail at now; what says how, for the log.  Returns 1 when
 * that starts a penalty, logged with the client, its offence count and
 * the penalty's length; 0 when it does not count: penalties are off, the
 * client is exempt or has no address, or the message was on its way
 * before the client's penalty in force began (a burst is one offence).
 */
int	penalty_offence(struct penalty *, const struct config *c,
	    const char *addr, long long started, long long now,
	    const char *what);

#endif
