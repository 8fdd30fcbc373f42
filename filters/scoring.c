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
#include "filterd/lib/rfc5322.h"
#include "filterd/lib/smtp.h"
#include "filters/filter_impl.h"
#include "filters/scoring.h"

#define OFF(f)	offsetof(struct scoring_conf, f)

/* The group "scoring". */
static const struct conf_key scoring_keys[] = {
	{ "scoring.header", T_STR, OFF(header), "X-Filterd-Score", 0, 0,
	    0, 0 },
	{ "scoring.tag", T_DOUBLE, OFF(tag), "0", -1000, 1000, 0, 0 },
	{ "scoring.subject_prefix", T_OSTR, OFF(prefix), "", 0, 0, 0, 0 },
	{ "scoring.quarantine", T_DOUBLE, OFF(quarantine), "0", -1000,
	    1000, 0, 0 },
	{ "scoring.reject", T_DOUBLE, OFF(reject), "0", -1000, 1000,
	    0, 0 },
	{ "scoring.reply", T_STR, OFF(reply),
	    "550 5.7.1 Message scored as spam", 0, 0, 0, 0 },
};

/* The settings that the table cannot check: the reply, the header. */
static void
scoring_conf_check(struct conf_loader *l, const config_setting_t *g,
    void *settings)
{
	struct scoring_conf	*sc = settings;
	const char		*why;

	if (smtp_parse_reply(sc->reply, ACTION_REJECT, &sc->code, &sc->ecode,
	    &sc->text, &why) == -1)
		conf_error(l, g, "scoring.reply: %s", why);
	if (rfc5322_check_name(sc->header, &why) == -1)
		conf_error(l, g, "scoring.header: %s", why);
	if (rfc5322_check_value(sc->prefix, &why) == -1)
		conf_error(l, g, "scoring.subject_prefix: %s", why);
}

/*
 * A threshold that is set lets the module reject or quarantine; tagging
 * (and quarantine) adds the result header, and tagging with a prefix
 * changes the Subject.
 */
static int
scoring_conf_declare(const struct config *c, const void *settings,
    struct conf_policy *p)
{
	const struct scoring_conf	*sc = settings;

	if (sc->reject != 0)
		p->actions |= 1U << ACTION_REJECT;
	if (sc->quarantine != 0)
		p->actions |= 1U << ACTION_QUARANTINE;
	if ((sc->tag != 0 || sc->quarantine != 0) &&
	    conf_policy_header(p, sc->header) == -1)
		return -1;
	if (*sc->prefix != '\0' && sc->tag != 0 &&
	    conf_policy_header(p, "Subject") == -1)
		return -1;
	return 0;
}

static void
scoring_conf_free(void *settings)
{
	struct scoring_conf	*sc = settings;

	free(sc->code);
	free(sc->ecode);
	free(sc->text);
}

const struct conf_module scoring_settings = {
	.name = "scoring",
	.keys = scoring_keys,
	.nkeys = sizeof(scoring_keys) / sizeof(scoring_keys[0]),
	.size = sizeof(struct scoring_conf),
	.check = scoring_conf_check,
	.declare = scoring_conf_declare,
	.free = scoring_conf_free,
};

static int
scoring_init_config(const struct config *c, void **state_r, char *err,
    size_t errlen)
{
	*state_r = (void *)(uintptr_t)config_settings(c, &scoring_settings);
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
scoring_subject(const struct scoring_conf *c, const struct message *m,
    struct verdict *v)
{
	char		 subj[VERDICT_HDR_VALUE_MAX + 1];
	const char	*old = NULL, *p;
	size_t		 i, o;

	for (i = 0; i < m->nhdrs && old == NULL; i++)
		if (strcasecmp(m->hdrs[i].name, "Subject") == 0)
			old = m->hdrs[i].value;
	if (old == NULL)
		return verdict_add_op(v, HDR_ADD, 0, "Subject", c->prefix);
	o = (size_t)snprintf(subj, sizeof(subj), "%s", c->prefix);
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
	const struct scoring_conf	*c = state;
	struct verdict			*v = fr->v;
	double				 score = v->score / 1000.0;
	char				 value[VERDICT_HDR_VALUE_MAX];

	if (reached(c->reject, score)) {
		v->action = ACTION_REJECT;
		return verdict_set_reply(v, c->code, c->ecode,
		    c->text) == -1 ? -1 : 0;
	}
	if (!reached(c->quarantine, score) &&
	    !reached(c->tag, score))
		return 0;
	scoring_value(v, value, sizeof(value));
	if (verdict_add_op(v, HDR_ADD, 0, c->header, value) == -1)
		return -1;
	if (reached(c->quarantine, score)) {
		v->action = ACTION_QUARANTINE;
		snprintf(value, sizeof(value), "score %.3f", score);
		return verdict_set_reason(v, value);
	}
	if (*c->prefix != '\0' &&
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
scoring_init(const struct config *c, unsigned flags, void **state_r,
    char *err, size_t errlen)
{
	return scoring_init_config(c, state_r, err, errlen);
}
