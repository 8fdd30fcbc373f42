/*
 * rules: PCRE2 rules over headers, body, envelope sender and recipients.
 * init compiles every pattern in the spawner, before the sandbox (JIT code
 * must be mapped executable, which the worker may never do); check runs in
 * the worker over the hostile message and only reads it.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <arpa/inet.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "filterd/lib/config.h"
#include "filterd/lib/message.h"
#include "filterd/lib/verdict.h"
#include "filters/filter_impl.h"
#include "filters/mime.h"
#include "filters/rules.h"

/* Bounds backtracking; the worker's CPU limit is the last resort. */
#define RULES_MATCH_LIMIT	10000000

struct rule {
	const struct rule_conf	*conf;
	pcre2_code		*re;
};

struct rules {
	struct rule		*v;
	size_t			 n;
	pcre2_match_context	*mctx;
};

static void
rules_free(void *state)
{
	struct rules	*rs = state;
	size_t		 i;

	if (rs == NULL)
		return;
	for (i = 0; i < rs->n; i++)
		pcre2_code_free(rs->v[i].re);
	pcre2_match_context_free(rs->mctx);
	free(rs->v);
	free(rs);
}

static int
rules_compile(const struct config *c, struct rule *r, char *err,
    size_t errlen)
{
	PCRE2_UCHAR	 msg[256];
	PCRE2_SIZE	 off;
	int		 code;

	r->re = pcre2_compile((PCRE2_SPTR)r->conf->pattern,
	    PCRE2_ZERO_TERMINATED, 0, &code, &off, NULL);
	if (r->re == NULL) {
		pcre2_get_error_message(code, msg, sizeof(msg));
		snprintf(err, errlen, "%s:%d: rule %s: pattern at offset "
		    "%zu: %s", c->path, r->conf->line, r->conf->name,
		    (size_t)off, (const char *)msg);
		return -1;
	}
	/* JIT is an optimisation: without it, the interpreter matches. */
	(void)pcre2_jit_compile(r->re, PCRE2_JIT_COMPLETE);
	return 0;
}

int
rules_init(const struct config *c, void **state_r, char *err, size_t errlen)
{
	struct rules	*rs;
	size_t		 i;

	if ((rs = calloc(1, sizeof(*rs))) == NULL ||
	    (rs->v = calloc(c->nrules + 1, sizeof(*rs->v))) == NULL ||
	    (rs->mctx = pcre2_match_context_create(NULL)) == NULL) {
		snprintf(err, errlen, "rules: out of memory");
		rules_free(rs);
		return -1;
	}
	pcre2_set_match_limit(rs->mctx, RULES_MATCH_LIMIT);
	for (i = 0; i < c->nrules; i++) {
		rs->v[i].conf = &c->rules[i];
		rs->n++;
		if (c->rules[i].target != RULE_CLIENT_CIDR &&
		    rules_compile(c, &rs->v[i], err, errlen) == -1) {
			rules_free(rs);
			return -1;
		}
	}
	*state_r = rs;
	return 0;
}

/* Returns 1 on a match, 0 on none or on a matching error. */
static int
rules_match(const struct rules *rs, const struct rule *r, const void *s,
    size_t len)
{
	pcre2_match_data	*md;
	int			 rc;

	if (s == NULL)
		return 0;
	if ((md = pcre2_match_data_create_from_pattern(r->re, NULL)) == NULL)
		return 0;
	rc = pcre2_match(r->re, s, len, 0, 0, md, rs->mctx);
	pcre2_match_data_free(md);
	return rc >= 0;
}

static int
rules_match_str(const struct rules *rs, const struct rule *r, const char *s)
{
	return s != NULL && rules_match(rs, r, s, strlen(s));
}

/*
 * Matches a header value with its RFC 2047 encoded words decoded to
 * UTF-8, and, with name set, as "Name: value".
 */
static int
rules_match_header(const struct rules *rs, const struct rule *r,
    const struct kv *h, int with_name)
{
	static char	 dec[MSG_HDR_VALUE_MAX + 1];
	static char	 line[MSG_HDR_NAME_MAX + MSG_HDR_VALUE_MAX + 3];
	const char	*v = h->value;

	if (mime_decode_header(h->value, dec, sizeof(dec)) >= 0)
		v = dec;
	if (!with_name)
		return rules_match_str(rs, r, v);
	snprintf(line, sizeof(line), "%s: %s", h->name, v);
	return rules_match_str(rs, r, line);
}

static int
rules_any_header(const struct rules *rs, const struct rule *r,
    const struct message *m)
{
	size_t	 i;

	for (i = 0; i < m->nhdrs; i++)
		if (rules_match_header(rs, r, &m->hdrs[i], 1))
			return 1;
	return 0;
}

/* Is the client's address inside the rule's block? */
static int
rules_cidr(const struct rule_conf *rc, const char *client)
{
	uint8_t	 a[16];
	int	 full, rest;

	if (client == NULL || inet_pton(rc->cidr_family, client, a) != 1)
		return 0;
	full = rc->cidr_bits / 8;
	rest = rc->cidr_bits % 8;
	if (memcmp(a, rc->cidr_addr, (size_t)full) != 0)
		return 0;
	return rest == 0 ||
	    ((a[full] ^ rc->cidr_addr[full]) & (0xff << (8 - rest))) == 0;
}

static int
rules_target(const struct rules *rs, const struct rule *r,
    const struct filter_msg *fm)
{
	const struct message	*m = fm->m;
	const uint8_t		*text;
	size_t			 i, len;

	switch (r->conf->target) {
	case RULE_HEADER:
		for (i = 0; i < m->nhdrs; i++)
			if (strcasecmp(m->hdrs[i].name, r->conf->header) == 0 &&
			    rules_match_header(rs, r, &m->hdrs[i], 0))
				return 1;
		return 0;
	case RULE_ANY_HEADER:
		return rules_any_header(rs, r, m);
	case RULE_BODY:
		/* The decoded text of the text parts (mime.c). */
		text = mime_text(fm->mime, &len);
		return rules_match(rs, r, text != NULL ? text :
		    (const uint8_t *)"", len);
	case RULE_RAW_BODY:
		return rules_match(rs, r, m->body != NULL ? m->body :
		    (const uint8_t *)"", m->bodylen);
	case RULE_SENDER:
		return rules_match_str(rs, r, m->sender);
	case RULE_RECIPIENT:
		for (i = 0; i < m->nrcpts; i++)
			if (rules_match_str(rs, r, m->rcpts[i]))
				return 1;
		return 0;
	case RULE_HELO:
		return rules_match_str(rs, r, m->helo);
	case RULE_CLIENT_NAME:
		return rules_match_str(rs, r, m->client_name);
	case RULE_CLIENT_ADDR:
		return rules_match_str(rs, r, m->client_addr);
	case RULE_CLIENT_CIDR:
		return rules_cidr(r->conf, m->client_addr);
	}
	return 0;
}

static int
rules_hit(const struct rules *rs, const struct rule *r,
    const struct filter_msg *fm)
{
	return rules_target(rs, r, fm) != r->conf->negate;
}

/* Applies a rule that hit; returns 1 when its action is terminal. */
static int
rules_apply(const struct rule_conf *rc, struct verdict *v)
{
	(void)verdict_add_rule(v, rc->name);
	if (rc->score != 0)
		(void)verdict_add_score(v, rc->score);
	if (rc->action == RULE_SCORE)
		return 0;
	if (rc->action == RULE_ADD_HEADER) {
		(void)verdict_add_op(v, HDR_ADD, 0, rc->hdr_name,
		    rc->hdr_value);
		return 0;
	}
	v->action = (uint8_t)rc->action;
	if (rc->code != NULL)
		(void)verdict_set_reply(v, rc->code, rc->ecode, rc->text);
	if (rc->action == ACTION_QUARANTINE)
		(void)verdict_set_reason(v, rc->reason != NULL ? rc->reason :
		    rc->name);
	return 1;
}

static int
rules_check(void *state, const struct filter_msg *fm,
    struct filter_result *fr)
{
	const struct rules	*rs = state;
	struct verdict		*v = fr->v;
	size_t			 i;

	for (i = 0; i < rs->n; i++)
		if (rules_hit(rs, &rs->v[i], fm) &&
		    rules_apply(rs->v[i].conf, v))
			break;
	return 0;
}

const struct filter_module filter_rules = {
	.abi = FILTER_ABI_VERSION,
	.name = "rules",
	.init = NULL,		/* built-in: rules_init, with the whole config */
	.check = rules_check,
	.free = rules_free,
};
