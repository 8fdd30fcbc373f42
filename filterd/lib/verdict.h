/*
 * verdict: what a worker decided about one message.  Built by the filter
 * modules inside the worker; decoded (wire.c) and then checked field by
 * field (validate.c) in the supervisor before a frontend applies it.  Every
 * string is owned by the verdict.
 */
#ifndef FILTERD_LIB_VERDICT_H
#define FILTERD_LIB_VERDICT_H

#include <stddef.h>
#include <stdint.h>

enum action {
	ACTION_NONE = 0,	/* no terminal action: accept */
	ACTION_ACCEPT,
	ACTION_REJECT,
	ACTION_TEMPFAIL,
	ACTION_DISCARD,
	ACTION_QUARANTINE,
	ACTION_MAX
};

enum hdr_op {
	HDR_ADD = 1,		/* append name: value */
	HDR_INSERT,		/* insert at index (0 = first) */
	HDR_CHANGE,		/* replace the index-th (1-based) name */
	HDR_DELETE,		/* delete the index-th (1-based) name */
	HDR_OP_MAX
};

#define VERDICT_OPS_MAX		32
#define VERDICT_RULES_MAX	64
#define VERDICT_LOGS_MAX	8
#define VERDICT_RULE_NAME_MAX	64
#define VERDICT_LOG_MAX		256
#define VERDICT_TEXT_MAX	980	/* reply text, one SMTP line */
#define VERDICT_REASON_MAX	256
#define VERDICT_HDR_NAME_MAX	128
#define VERDICT_HDR_VALUE_MAX	2048
/*
 * filterd -t --trace: the rules' trace, lines of printable ASCII each
 * ending in '\n'.  Only a job whose flags ask for one gets one
 * (message.h's trace, WIRE_JOB_TRACE: filterd -t sets it; a frontend
 * never does, and no MTA can), the supervisor checks it (super_policy.c),
 * never relays nor logs it, and only filterd -t prints it, escaped again.
 */
#define VERDICT_TRACE_MAX	16384

struct hdrop {
	uint8_t		 op;
	uint32_t	 index;
	char		*name;
	char		*value;	/* NULL for HDR_DELETE */
};

struct verdict {
	uint64_t	 nonce;
	uint8_t		 action;
	char		*code;		/* "550", or NULL */
	char		*ecode;		/* "5.7.1", or NULL */
	char		*text;		/* reply text, or NULL */
	char		*reason;	/* quarantine reason, or NULL */
	int32_t		 score;		/* thousandths of a point */
	struct hdrop	 ops[VERDICT_OPS_MAX];
	size_t		 nops;
	char		*rules[VERDICT_RULES_MAX];
	size_t		 nrules;
	char		*logs[VERDICT_LOGS_MAX];
	size_t		 nlogs;
	char		*trace;		/* or NULL: see VERDICT_TRACE_MAX */
};

struct verdict	*verdict_new(void);
void		 verdict_free(struct verdict **);
/* Frees what the verdict holds and zeroes it. */
void		 verdict_clear(struct verdict *);

/* Returns "accept", "reject", ... or NULL for an unknown value. */
const char	*action_name(int);
/* Returns the action for a name, or -1. */
int		 action_from_name(const char *);
const char	*hdr_op_name(int);

/*
 * Builders used by the filter modules in the worker.  Each copies its
 * arguments and returns -1 when a bound is reached; they check sizes, not
 * syntax -- syntax is the validator's job, on the supervisor side.
 */
int	verdict_set_reply(struct verdict *, const char *code,
	    const char *ecode, const char *text);
int	verdict_set_reason(struct verdict *, const char *);
/* The whole trace (VERDICT_TRACE_MAX); NULL: none. */
int	verdict_set_trace(struct verdict *, const char *);
int	verdict_add_op(struct verdict *, int op, uint32_t index,
	    const char *name, const char *value);
int	verdict_add_rule(struct verdict *, const char *);
int	verdict_add_log(struct verdict *, const char *);
/* Adds points (kept in thousandths); -1 when the sum would overflow. */
int	verdict_add_score(struct verdict *, double points);

#endif
