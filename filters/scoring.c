/*
 * scoring: the built-in module that turns the rules' scores into an
 * action.  Runs after the rules, in the worker; trusts the configuration
 * and reads nothing of the message but its Subject.
 *
 * At scoring.reject or more the message is rejected; at
 * scoring.quarantine or more, quarantined; at scoring.tag or more, tagged
 * with the result header and the subject prefix.  A threshold of 0 is off.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "filterd/lib/config.h"
#include "filters/filter_impl.h"
#include "filters/scoring.h"

static int
scoring_init_config(const struct config *c, void **state_r, char *err,
    size_t errlen)
{
	*state_r = (void *)(uintptr_t)c;
	return 0;
}

static int
reached(double threshold, double score)
{
	return threshold != 0 && score >= threshold;
}

/* "7.500 (rule, rule)": the score and what hit. */
static void
scoring_value(const struct verdict *v, char *buf, size_t len)
{
	size_t	 i, off;

	off = (size_t)snprintf(buf, len, "%.3f (", v->score / 1000.0);
	for (i = 0; i < v->nrules && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    i ? ", " : "", v->rules[i]);
	if (off < len)
		snprintf(buf + off, len - off, ")");
}

/* The Subject with the prefix, folded as CRLF + WSP like any value. */
static int
scoring_subject(const struct config *c, const struct message *m,
    struct verdict *v)
{
	char		 subj[VERDICT_HDR_VALUE_MAX + 1];
	const char	*old = NULL, *p;
	size_t		 i, o;

	for (i = 0; i < m->nhdrs && old == NULL; i++)
		if (strcasecmp(m->hdrs[i].name, "Subject") == 0)
			old = m->hdrs[i].value;
	if (old == NULL)
		return verdict_add_op(v, HDR_ADD, 0, "Subject", c->score_prefix);
	o = (size_t)snprintf(subj, sizeof(subj), "%s", c->score_prefix);
	for (p = old; *p != '\0' && o + 2 < sizeof(subj); p++) {
		if (*p == '\n' && (p == old || p[-1] != '\r'))
			subj[o++] = '\r';
		subj[o++] = *p;
	}
	subj[o < sizeof(subj) ? o : sizeof(subj) - 1] = '\0';
	return verdict_add_op(v, HDR_CHANGE, 1, "Subject", subj);
}

static int
scoring_check(void *state, const struct filter_msg *fm,
    struct filter_result *fr)
{
	const struct config	*c = state;
	struct verdict		*v = fr->v;
	double			 score = v->score / 1000.0;
	char			 value[VERDICT_HDR_VALUE_MAX];

	if (reached(c->score_reject, score)) {
		v->action = ACTION_REJECT;
		return verdict_set_reply(v, c->score_code, c->score_ecode,
		    c->score_text) == -1 ? -1 : 0;
	}
	if (!reached(c->score_quarantine, score) &&
	    !reached(c->score_tag, score))
		return 0;
	scoring_value(v, value, sizeof(value));
	if (verdict_add_op(v, HDR_ADD, 0, c->score_header, value) == -1)
		return -1;
	if (reached(c->score_quarantine, score)) {
		v->action = ACTION_QUARANTINE;
		snprintf(value, sizeof(value), "score %.3f", score);
		return verdict_set_reason(v, value);
	}
	if (*c->score_prefix != '\0' &&
	    scoring_subject(c, fm->m, v) == -1)
		return -1;
	return 0;
}

static void
scoring_free(void *state)
{
}

const struct filter_module filter_scoring = {
	.abi = FILTER_ABI_VERSION,
	.name = "scoring",
	.init = NULL,
	.check = scoring_check,
	.free = scoring_free,
};

int
scoring_init(const struct config *c, void **state_r, char *err,
    size_t errlen)
{
	return scoring_init_config(c, state_r, err, errlen);
}
