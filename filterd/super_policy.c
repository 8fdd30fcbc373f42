/*
 * super_policy: the verdict validator.  Runs in the supervisor, on verdicts
 * that came from a worker -- a process that may be fully controlled by an
 * attacker.  libmilter itself accepts header names with colons, CR/LF in
 * values and mismatched reply classes; this file is the only line of
 * defence, so it allows exactly what is known to be safe.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "filterd/lib/config.h"
#include "filterd/lib/message.h"
#include "filterd/lib/rfc5322.h"
#include "filterd/lib/smtp.h"
#include "filterd/super_policy.h"
#include "filterd/lib/verdict.h"

#define BIT(a)	(1U << (a))

static int
fail(const char **why_r, const char *why)
{
	*why_r = why;
	return -1;
}

static int
policy_add_header(struct policy *p, const char *name)
{
	const char	**v;
	size_t		 i;

	for (i = 0; i < p->nheaders; i++)
		if (strcasecmp(p->headers[i], name) == 0)
			return 0;
	if ((v = reallocarray(p->headers, p->nheaders + 1,
	    sizeof(*v))) == NULL)
		return -1;
	v[p->nheaders++] = name;
	p->headers = v;
	return 0;
}

int
policy_init(struct policy *p, const struct config *c)
{
	const struct conf_policy	*d;
	size_t				 i, j;

	memset(p, 0, sizeof(*p));
	p->actions = BIT(ACTION_NONE) | BIT(ACTION_ACCEPT);
	for (i = 0; i < c->nallowed; i++)
		if (policy_add_header(p, c->allowed_headers[i]) == -1)
			goto fail;
	/* Every module, built in or not, may do what it declared. */
	for (i = 0; (d = config_policy(c, i)) != NULL; i++) {
		p->actions |= d->actions;
		for (j = 0; j < d->nheaders; j++)
			if (policy_add_header(p, d->headers[j]) == -1)
				goto fail;
	}
	return 0;
fail:
	policy_clear(p);
	return -1;
}

void
policy_clear(struct policy *p)
{
	free(p->headers);
	memset(p, 0, sizeof(*p));
}

int
validate_hdr_allowed(const struct policy *p, const char *name)
{
	const char	*pat;
	size_t		 i, n;

	for (i = 0; i < p->nheaders; i++) {
		pat = p->headers[i];
		n = strlen(pat);
		if (n > 0 && pat[n - 1] == '*') {
			if (strncasecmp(pat, name, n - 1) == 0)
				return 1;
		} else if (strcasecmp(pat, name) == 0)
			return 1;
	}
	return 0;
}

static int
validate_reply(const struct verdict *v, const char **why_r)
{
	if (v->code == NULL) {
		if (v->ecode != NULL || v->text != NULL)
			return fail(why_r, "reply text without reply code");
		return 0;
	}
	if (v->action != ACTION_REJECT && v->action != ACTION_TEMPFAIL)
		return fail(why_r, "reply code with an action that takes none");
	if (smtp_check_code(v->code, v->action, why_r) == -1)
		return -1;
	if (v->ecode != NULL && smtp_check_ecode(v->ecode, v->code, why_r) == -1)
		return -1;
	if (v->text != NULL && smtp_check_text(v->text, why_r) == -1)
		return -1;
	return 0;
}

static int
validate_op(const struct hdrop *h, const struct policy *p, const char **why_r)
{
	if (h->op == 0 || h->op >= HDR_OP_MAX)
		return fail(why_r, "unknown header operation");
	if (rfc5322_check_name(h->name, why_r) == -1)
		return -1;
	if (!validate_hdr_allowed(p, h->name))
		return fail(why_r, "header not allowed by configuration");
	if (h->op == HDR_DELETE) {
		if (h->value != NULL)
			return fail(why_r, "header deletion with a value");
	} else if (h->value == NULL)
		return fail(why_r, "header operation without a value");
	else if (rfc5322_check_value(h->value, why_r) == -1)
		return -1;
	if (h->op == HDR_ADD && h->index != 0)
		return fail(why_r, "header addition with an index");
	if ((h->op == HDR_CHANGE || h->op == HDR_DELETE) &&
	    (h->index == 0 || h->index > MSG_INDEX_MAX))
		return fail(why_r, "header index out of range");
	if (h->op == HDR_INSERT && h->index > MSG_INDEX_MAX)
		return fail(why_r, "header index out of range");
	return 0;
}

static int
validate_names(char *const *v, size_t n, const char *why, const char **why_r)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (*v[i] == '\0' || !smtp_printable(v[i]))
			return fail(why_r, why);
	return 0;
}

/*
 * A trace is never relayed to the MTA nor logged; filterd -t prints it.
 * It is checked like the rest all the same: bounded, and lines of
 * printable ASCII, none empty, the last ending in '\n'.
 */
static int
validate_trace(const struct verdict *v, const char **why_r)
{
	const char	*t = v->trace;
	size_t		 i, len;

	if (t == NULL)
		return 0;
	len = strnlen(t, VERDICT_TRACE_MAX + 1);
	if (len == 0 || len > VERDICT_TRACE_MAX || t[len - 1] != '\n')
		return fail(why_r, "bad trace");
	for (i = 0; i < len; i++)
		if ((t[i] == '\n' && (i == 0 || t[i - 1] == '\n')) ||
		    (t[i] != '\n' && (t[i] < 0x20 || t[i] > 0x7e)))
			return fail(why_r, "bad trace");
	return 0;
}

int
validate_verdict(const struct verdict *v, uint64_t nonce,
    const struct policy *p, const char **why_r)
{
	size_t	 i;

	if (v->nonce != nonce)
		return fail(why_r, "nonce does not match the job");
	if (v->action >= ACTION_MAX)
		return fail(why_r, "unknown action");
	if (!(p->actions & BIT(v->action)))
		return fail(why_r, "action not allowed by configuration");
	if (validate_reply(v, why_r) == -1)
		return -1;
	if (v->reason != NULL && (v->action != ACTION_QUARANTINE ||
	    !smtp_printable(v->reason) || *v->reason == '\0'))
		return fail(why_r, "bad quarantine reason");
	for (i = 0; i < v->nops; i++)
		if (validate_op(&v->ops[i], p, why_r) == -1)
			return -1;
	if (validate_names(v->rules, v->nrules, "bad rule name", why_r) == -1 ||
	    validate_names(v->logs, v->nlogs, "bad log line", why_r) == -1 ||
	    validate_trace(v, why_r) == -1)
		return -1;
	return 0;
}
