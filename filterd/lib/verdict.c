/*
 * verdict: construction and naming of verdicts.  The builders run in the
 * worker; verdict_clear and the name tables in both worker and supervisor.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "filterd/lib/verdict.h"

static const char *const action_names[ACTION_MAX] = {
	[ACTION_NONE] = "none",
	[ACTION_ACCEPT] = "accept",
	[ACTION_REJECT] = "reject",
	[ACTION_TEMPFAIL] = "tempfail",
	[ACTION_DISCARD] = "discard",
	[ACTION_QUARANTINE] = "quarantine",
};

static const char *const hdr_op_names[HDR_OP_MAX] = {
	[HDR_ADD] = "add",
	[HDR_INSERT] = "insert",
	[HDR_CHANGE] = "change",
	[HDR_DELETE] = "delete",
};

const char *
action_name(int a)
{
	if (a < 0 || a >= ACTION_MAX)
		return NULL;
	return action_names[a];
}

int
action_from_name(const char *s)
{
	int	 a;

	for (a = 0; a < ACTION_MAX; a++)
		if (strcasecmp(s, action_names[a]) == 0)
			return a;
	return -1;
}

const char *
hdr_op_name(int op)
{
	if (op <= 0 || op >= HDR_OP_MAX)
		return NULL;
	return hdr_op_names[op];
}

struct verdict *
verdict_new(void)
{
	return calloc(1, sizeof(struct verdict));
}

void
verdict_clear(struct verdict *v)
{
	size_t	 i;

	free(v->code);
	free(v->ecode);
	free(v->text);
	free(v->reason);
	for (i = 0; i < v->nops; i++) {
		free(v->ops[i].name);
		free(v->ops[i].value);
	}
	for (i = 0; i < v->nrules; i++)
		free(v->rules[i]);
	for (i = 0; i < v->nlogs; i++)
		free(v->logs[i]);
	free(v->trace);
	memset(v, 0, sizeof(*v));
}

void
verdict_free(struct verdict **vp)
{
	if (*vp == NULL)
		return;
	verdict_clear(*vp);
	free(*vp);
	*vp = NULL;
}

/* Copies s into *dst when it is at most max bytes; NULL clears. */
static int
verdict_str(char **dst, const char *s, size_t max)
{
	char	*d = NULL;

	if (s != NULL) {
		if (strnlen(s, max + 1) > max)
			return -1;
		if ((d = strdup(s)) == NULL)
			return -1;
	}
	free(*dst);
	*dst = d;
	return 0;
}

int
verdict_set_reply(struct verdict *v, const char *code, const char *ecode,
    const char *text)
{
	if (verdict_str(&v->code, code, 3) == -1 ||
	    verdict_str(&v->ecode, ecode, 11) == -1 ||
	    verdict_str(&v->text, text, VERDICT_TEXT_MAX) == -1)
		return -1;
	return 0;
}

int
verdict_set_reason(struct verdict *v, const char *reason)
{
	return verdict_str(&v->reason, reason, VERDICT_REASON_MAX);
}

int
verdict_set_trace(struct verdict *v, const char *trace)
{
	return verdict_str(&v->trace, trace, VERDICT_TRACE_MAX);
}

int
verdict_add_op(struct verdict *v, int op, uint32_t index, const char *name,
    const char *value)
{
	struct hdrop	*h;

	if (v->nops >= VERDICT_OPS_MAX)
		return -1;
	h = &v->ops[v->nops];
	memset(h, 0, sizeof(*h));
	if (verdict_str(&h->name, name, VERDICT_HDR_NAME_MAX) == -1)
		return -1;
	if (verdict_str(&h->value, value, VERDICT_HDR_VALUE_MAX) == -1) {
		free(h->name);
		h->name = NULL;
		return -1;
	}
	h->op = (uint8_t)op;
	h->index = index;
	v->nops++;
	return 0;
}

static int
verdict_add_str(char **v, size_t *n, size_t maxn, const char *s, size_t max)
{
	if (*n >= maxn)
		return -1;
	v[*n] = NULL;
	if (verdict_str(&v[*n], s, max) == -1 || v[*n] == NULL)
		return -1;
	(*n)++;
	return 0;
}

int
verdict_add_rule(struct verdict *v, const char *name)
{
	return verdict_add_str(v->rules, &v->nrules, VERDICT_RULES_MAX, name,
	    VERDICT_RULE_NAME_MAX);
}

int
verdict_add_log(struct verdict *v, const char *line)
{
	return verdict_add_str(v->logs, &v->nlogs, VERDICT_LOGS_MAX, line,
	    VERDICT_LOG_MAX);
}

int
verdict_add_score(struct verdict *v, double points)
{
	double	 s = v->score + points * 1000.0;

	if (s > INT32_MAX || s < -INT32_MAX)
		return -1;
	v->score = (int32_t)s;
	return 0;
}
