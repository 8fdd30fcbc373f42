/*
 * super_answer: runs in the supervisor, in whichever frontend thread ends
 * a message, and in filterd -t.  No I/O but the log line; the line's
 * values come from the MTA and the worker, so every one goes through
 * logfmt.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "filterd/lib/log.h"
#include "filterd/lib/logfmt.h"
#include "filterd/lib/message.h"
#include "filterd/super_answer.h"
#include "filterd/super_stats.h"

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
		/* Decided without a worker: why, rather than nothing. */
		a->reason = v->reason != NULL ? v->reason :
		    o->kind != OUTCOME_WORKER && o->why[0] != '\0' ? o->why :
		    "filterd";
	answer_ops(a, v);
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

/*
 * The bounds of the fields of the message's line, in bytes of their
 * encoding: together within what log.c writes (LOG_LINE_MAX), with the
 * keys and the bare fields.  Values from the MTA and the worker are cut
 * to these, never the line.
 */
#define F_QID		64
#define F_ADDR		64
#define F_NAME		128
#define F_SENDER	200
#define F_RCPTS		300	/* the first few, together */
#define F_RCPTS_SHOWN	3
#define F_MSGID		128
#define F_RULES		256
#define F_HEADERS	160
#define F_REASON	200
#define F_WHY		200
#define LINE_MAX_LEN	1900

/* The message's first Message-ID field, or NULL. */
static const char *
answer_msgid(const struct message *m)
{
	size_t	 i;

	for (i = 0; i < m->nhdrs; i++)
		if (strcasecmp(m->hdrs[i].name, "Message-ID") == 0)
			return m->hdrs[i].value;
	return NULL;
}

/* "<addr>", as the MTA gave it, into buf. */
static void
angle(char *buf, size_t len, const char *addr)
{
	snprintf(buf, len, "<%s>", addr != NULL ? addr : "");
}

/* The first few recipients, "<a>,<b>". */
static void
answer_rcpts(const struct message *m, char *buf, size_t len)
{
	size_t	 i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < m->nrcpts && i < F_RCPTS_SHOWN && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s<%s>",
		    i ? "," : "", m->rcpts[i]);
}

static void
answer_rules(const struct verdict *v, char *buf, size_t len)
{
	size_t	 i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < v->nrules && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    i ? "," : "", v->rules[i]);
}

/* "+Added,~Changed,-Deleted": what the answer does to the header. */
static void
answer_headers(const struct answer *a, char *buf, size_t len)
{
	static const char	 sign[HDR_OP_MAX] = {
		[HDR_ADD] = '+', [HDR_INSERT] = '+', [HDR_CHANGE] = '~',
		[HDR_DELETE] = '-',
	};
	size_t			 i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < a->nops && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%c%s",
		    i ? "," : "", sign[a->ops[i]->op], a->ops[i]->name);
}

char *
answer_line(const struct message *m, const struct outcome *o,
    const struct answer *a, char *line, size_t len)
{
	struct logfmt	 l;
	char		 tmp[1024];
	const char	*kind = outcome_kind_name(o->kind);
	long		 score = o->v.score;

	logfmt_init(&l, line, len);
	logfmt_str(&l, "client", m->client_addr, F_ADDR);
	logfmt_str(&l, "client_name", m->client_name, F_NAME);
	angle(tmp, sizeof(tmp), m->sender);
	logfmt_str(&l, "from", tmp, F_SENDER);
	logfmt_raw(&l, " rcpts=%zu", m->nrcpts);
	answer_rcpts(m, tmp, sizeof(tmp));
	logfmt_str(&l, "rcpt", tmp, F_RCPTS);
	logfmt_raw(&l, " size=%zu", message_size(m));
	logfmt_str(&l, "msgid", answer_msgid(m), F_MSGID);
	logfmt_raw(&l, " action=%s", action_name(a->action));
	answer_rules(&o->v, tmp, sizeof(tmp));
	logfmt_str(&l, "rules", tmp[0] != '\0' ? tmp : "-", F_RULES);
	logfmt_raw(&l, " score=%s%ld.%03ld", score < 0 ? "-" : "",
	    labs(score) / 1000, labs(score) % 1000);
	/* Validated (super_policy.c) or our own defaults: bare words. */
	logfmt_str(&l, "code", a->code != NULL ? a->code : "-", 8);
	logfmt_str(&l, "ecode", a->ecode != NULL ? a->ecode : "-", 16);
	answer_headers(a, tmp, sizeof(tmp));
	logfmt_str(&l, "headers", tmp[0] != '\0' ? tmp : "-", F_HEADERS);
	logfmt_str(&l, "reason", a->reason != NULL ? a->reason : "-",
	    F_REASON);
	logfmt_raw(&l, " worker=%ld time=%ldms gen=%llu", (long)o->pid,
	    o->ms, (unsigned long long)(o->gen != 0 ? o->gen :
	    stats_generation()));
	if (a->discarded)
		logfmt_raw(&l, " discarded=yes");
	if (o->kind != OUTCOME_WORKER)
		logfmt_str(&l, kind != NULL ? kind : "failure", o->why, F_WHY);
	return line;
}

void
answer_log(const struct message *m, const struct outcome *o,
    const struct answer *a)
{
	struct logfmt	 q;
	char		 qid[F_QID + 8], line[LINE_MAX_LEN];
	size_t		 i;

	logfmt_init(&q, qid, sizeof(qid));
	logfmt_value(&q, m->queue_id != NULL ? m->queue_id : "NOQUEUE", F_QID);
	for (i = 0; i < o->v.nlogs; i++)
		log_info("%s: worker %ld: %s", qid, (long)o->pid, o->v.logs[i]);
	log_info("%s: %s", qid, answer_line(m, o, a, line, sizeof(line)));
	stats_message(o, a);
}

/* Deletes every field of name the message has, last first. */
static int
answer_strip(const struct message *m, struct verdict *v, const char *name)
{
	uint32_t	 n = 0;
	size_t		 i;

	for (i = 0; i < m->nhdrs; i++)
		if (strcasecmp(m->hdrs[i].name, name) == 0)
			n++;
	for (; n > 0; n--)
		if (verdict_add_op(v, HDR_DELETE, n, name, NULL) == -1)
			return -1;
	return 0;
}

static int
answer_quarantine_header(const struct message *m, struct outcome *o,
    const char *name)
{
	const char	*reason;

	if (name == NULL || *name == '\0')
		return 0;
	if (answer_strip(m, &o->v, name) == -1)
		return -1;
	if (o->v.action != ACTION_QUARANTINE)
		return 0;
	reason = o->v.reason != NULL ? o->v.reason :
	    o->kind != OUTCOME_WORKER && o->why[0] != '\0' ? o->why :
	    "filterd";
	return verdict_add_op(&o->v, HDR_ADD, 0, name, reason);
}

void
answer_message(struct answer *a, const struct message *m, struct outcome *o,
    const char *qheader, int flags)
{
	if (answer_quarantine_header(m, o, qheader) == -1)
		log_warnx("quarantine_header: too many header operations");
	answer_make(a, o, flags);
}
