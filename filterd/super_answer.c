/*
 * super_answer: runs in the supervisor, in whichever frontend thread ends
 * a message, and in filterd -t.  No I/O but the log line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "filterd/lib/log.h"
#include "filterd/lib/message.h"
#include "filterd/super_answer.h"

struct reply {
	int		 kind;		/* enum outcome_kind */
	const char	*code, *ecode, *text;
};

/* The defaults, one table: a verdict's own reply wins over them. */
static const struct reply replies[] = {
	{ OUTCOME_WORKER, "550", "5.7.1", "Message rejected by content filter" },
	{ OUTCOME_WORKER, "451", "4.7.1", "Message deferred by content filter" },
	{ OUTCOME_FALLBACK, "550", "5.7.0", "Content filter failure" },
	{ OUTCOME_FALLBACK, "451", "4.3.0",
	    "Content filter failure, try again later" },
	{ OUTCOME_OVERSIZE, "552", "5.3.4", "Message size exceeds fixed limit" },
	{ OUTCOME_OVERSIZE, "452", "4.3.4", "Message size exceeds fixed limit" },
	{ OUTCOME_MALFORMED, "550", "5.6.0", "Message header is malformed" },
	{ OUTCOME_MALFORMED, "451", "4.6.0", "Message header is malformed" },
};

/* A line longer than the MTA takes back from a filter (OpenSMTPD 6.8). */
static const struct reply line_too_long = {
	OUTCOME_OVERSIZE, "550", "5.6.0",
	"Message has a line too long to be filtered"
};

static const struct reply *
default_reply(int kind, int action)
{
	size_t	 i;

	for (i = 0; i < sizeof(replies) / sizeof(replies[0]); i++)
		if (replies[i].kind == kind && replies[i].code[0] ==
		    (action == ACTION_REJECT ? '5' : '4'))
			return &replies[i];
	return NULL;
}

/* A verdict of action with the kind's default reply. */
static void
decided(struct verdict *v, int kind, int action)
{
	const struct reply	*r;

	verdict_clear(v);
	v->action = (uint8_t)action;
	if ((action == ACTION_REJECT || action == ACTION_TEMPFAIL) &&
	    (r = default_reply(kind, action)) != NULL)
		(void)verdict_set_reply(v, r->code, r->ecode, r->text);
}

void
outcome_clear(struct outcome *o)
{
	verdict_clear(&o->v);
}

void
answer_fallback(int on_failure, struct verdict *v)
{
	decided(v, OUTCOME_FALLBACK, on_failure);
}

void
answer_oversize(int oversize, const char *why, struct outcome *o)
{
	memset(o, 0, sizeof(*o));
	o->kind = OUTCOME_OVERSIZE;
	snprintf(o->why, sizeof(o->why), "%s", why);
	decided(&o->v, o->kind, oversize);
}

void
answer_line_too_long(const char *why, struct outcome *o)
{
	const struct reply	*r = &line_too_long;

	memset(o, 0, sizeof(*o));
	o->kind = r->kind;
	snprintf(o->why, sizeof(o->why), "%s", why);
	o->v.action = ACTION_REJECT;
	(void)verdict_set_reply(&o->v, r->code, r->ecode, r->text);
}

int
answer_decide(const struct message *m, int oversize, int malformed,
    struct outcome *o)
{
	memset(o, 0, sizeof(*o));
	if (m->malformed != NULL) {
		o->kind = OUTCOME_MALFORMED;
		snprintf(o->why, sizeof(o->why), "%s", m->malformed);
		decided(&o->v, o->kind, malformed);
		return 1;
	}
	if (m->oversize || m->over != NULL) {
		answer_oversize(oversize, m->over != NULL ? m->over :
		    "over limits.message_size", o);
		return 1;
	}
	return 0;
}

/* Deletions of one name, last index first (CVE-2022-48521). */
static int
delete_cmp(const void *a, const void *b)
{
	const struct hdrop	*x = *(const struct hdrop *const *)a;
	const struct hdrop	*y = *(const struct hdrop *const *)b;
	int			 c;

	if ((c = strcasecmp(x->name, y->name)) != 0)
		return c;
	return x->index < y->index ? 1 : x->index > y->index ? -1 : 0;
}

static void
answer_ops(struct answer *a, const struct verdict *v)
{
	size_t	 i, ndel;

	for (i = 0; i < v->nops; i++)
		if (v->ops[i].op == HDR_CHANGE)
			a->ops[a->nops++] = &v->ops[i];
	ndel = a->nops;
	for (i = 0; i < v->nops; i++)
		if (v->ops[i].op == HDR_DELETE)
			a->ops[a->nops++] = &v->ops[i];
	qsort(&a->ops[ndel], a->nops - ndel, sizeof(a->ops[0]), delete_cmp);
	for (i = 0; i < v->nops; i++)
		if (v->ops[i].op == HDR_INSERT || v->ops[i].op == HDR_ADD)
			a->ops[a->nops++] = &v->ops[i];
}

void
answer_make(struct answer *a, const struct outcome *o, int flags)
{
	const struct verdict	*v = &o->v;
	const struct reply	*r;

	memset(a, 0, sizeof(*a));
	a->action = v->action == ACTION_NONE ? ACTION_ACCEPT : v->action;
	if (a->action == ACTION_DISCARD && (flags & ANSWER_NO_DISCARD)) {
		a->action = ACTION_REJECT;
		a->discarded = 1;
	}
	if (a->action == ACTION_REJECT || a->action == ACTION_TEMPFAIL) {
		if (v->code != NULL && !a->discarded) {
			a->code = v->code;
			a->ecode = v->ecode;
			a->text = v->text;
		} else if ((r = default_reply(OUTCOME_WORKER, a->action)) !=
		    NULL) {
			a->code = r->code;
			a->ecode = r->ecode;
			a->text = r->text;
		}
	}
	if (a->action == ACTION_QUARANTINE)
		a->reason = v->reason != NULL ? v->reason : "filterd";
	answer_ops(a, v);
}

static const char *
or(const char *s, const char *def)
{
	return s != NULL ? s : def;
}

static const char *const kind_names[] = {
	NULL, "failure", "oversize", "malformed",
};

const char *
outcome_kind_name(int kind)
{
	return kind > OUTCOME_WORKER && kind <= OUTCOME_MALFORMED ?
	    kind_names[kind] : NULL;
}

void
answer_log(const struct message *m, const struct outcome *o,
    const struct answer *a)
{
	const char	*qid = or(m->queue_id, "NOQUEUE");
	char		 rules[512], why[sizeof(o->why) + 16];
	size_t		 i, off = 0;

	rules[0] = '\0';
	for (i = 0; i < o->v.nrules && off < sizeof(rules); i++)
		off += (size_t)snprintf(rules + off, sizeof(rules) - off,
		    "%s%s", i ? "," : "", o->v.rules[i]);
	for (i = 0; i < o->v.nlogs; i++)
		log_info("%s: worker %ld: %s", qid, (long)o->pid, o->v.logs[i]);
	why[0] = '\0';
	if (o->kind != OUTCOME_WORKER)
		snprintf(why, sizeof(why), " %s=%s",
		    or(outcome_kind_name(o->kind), "?"), o->why);
	log_info("%s: client=%s from=<%s> rcpts=%zu action=%s rules=%s "
	    "worker=%ld time=%ldms%s%s", qid, or(m->client_addr, "unknown"),
	    or(m->sender, ""), m->nrcpts, action_name(a->action),
	    rules[0] ? rules : "-", (long)o->pid, o->ms,
	    a->discarded ? " (discard answered as reject)" : "", why);
}
