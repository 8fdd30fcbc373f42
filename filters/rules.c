/*
 * rules: PCRE2 rules over headers, body, envelope sender and recipients.
 * init compiles every pattern in the spawner, before the sandbox (JIT code
 * must be mapped executable, which the worker may never do; the host then
 * seals it, filters/host.c); check runs in the worker over the hostile
 * message and only reads it.  A match that ends in an error is never "no
 * match": the message gets matching.on_error.  The list "rules" and the
 * group "matching" of the configuration are read and checked by
 * rules_settings and matching_settings, at the end of this file, wherever
 * a configuration is loaded; they trust the file no more than the rest of
 * the loader does.
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
#include "filterd/lib/rfc5322.h"
#include "filterd/lib/smtp.h"
#include "filterd/lib/verdict.h"
#include "filters/filter_impl.h"
#include "filters/host.h"
#include "filters/mime.h"
#include "filters/rules.h"
#include "filters/trace.h"

/*
 * The room a match gets, and its bounds (pcre2api(3), pcre2jit(3)).
 * Figures measured with PCRE2 10.42 on x86_64, where the work and memory
 * of a match grow with the repetitions of a group within it, as with
 * "(cheap\s+)*" over "cheap " repeated:
 *
 * - JIT stack: about 40 bytes a repetition.  PCRE2's default, 32 KiB,
 *   ran out after some 800, so that "buy" + "cheap " x 2000 + "viagra"
 *   escaped a reject rule (error -46, once counted as no match).  Here an
 *   eighth of workers.memory: 64 MiB, 1.6 million repetitions, at the
 *   default 512 MiB.  Reserved once in the spawner, untouched, so every
 *   worker inherits it inside its RLIMIT_AS and maps nothing itself.
 * - Heap, for the interpreter (a pattern the JIT refused, or no JIT):
 *   about 288 bytes a repetition, in frames of 128 bytes and more.  Also
 *   an eighth of workers.memory: 230,000 repetitions at the default.
 *   With the JIT stack that leaves three quarters for the message, its
 *   decoded parts and the rest of the worker.
 * - Depth, for the interpreter only: the heap limit over the smallest
 *   frame, so that the heap limit decides, not the build's default.
 * - Match limit (matching.match_limit, by default PCRE2's own 10,000,000):
 *   one count a repetition with the JIT, two in the interpreter, so
 *   legitimate input runs out of the room above before it reaches this.
 *   What it stops is backtracking that explodes at one starting position:
 *   10 million steps take 0.1 to 0.2 s with the JIT, about 0.5 s without.
 *   PCRE2 counts afresh at each starting position, so the work of a
 *   pattern that grows with the square of its input (a 120 KB subject and
 *   "(\w+\s+)*viagra": 11 s) is bounded only by workers.cpu, whose end
 *   gives the message on_failure.
 */
#define RULES_MEMORY_SHARE	8	/* each of JIT stack and heap */
#define RULES_JIT_STACK_START	(32 * 1024)
#define RULES_FRAME_MIN		128	/* bytes of a backtracking frame */

struct rule {
	const struct rule_conf	*conf;
	pcre2_code		*re;
};

/*
 * What the last match of the rule being tried matched, for its trace: a
 * range of the subject, valid until the next match.  The worker tries one
 * message, one rule at a time, in one thread.
 */
static struct {
	const uint8_t	*p;
	size_t		 len;
} rules_seen;

struct rules {
	struct rule		*v;
	size_t			 n;
	pcre2_match_context	*mctx;
	pcre2_jit_stack		*jstack;	/* NULL without JIT code */
	int			 on_error;	/* enum action */
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
	pcre2_jit_stack_free(rs->jstack);
	free(rs->v);
	free(rs);
}

/* Returns 1 with JIT code, 0 without, -1 for a pattern in error. */
static int
rules_compile(const struct config *c, struct rule *r, int jit, char *err,
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
	return jit && pcre2_jit_compile(r->re, PCRE2_JIT_COMPLETE) == 0;
}

/* The bounds of every match (see the top of this file). */
static void
rules_limits(struct rules *rs, const struct config *c, int match_limit)
{
	uint32_t	 heap_kib;

	heap_kib = (uint32_t)c->memory * 1024 / RULES_MEMORY_SHARE;
	pcre2_set_match_limit(rs->mctx, (uint32_t)match_limit);
	pcre2_set_heap_limit(rs->mctx, heap_kib);
	pcre2_set_depth_limit(rs->mctx, heap_kib * (1024 / RULES_FRAME_MIN));
}

/* The JIT stack every worker inherits; returns 0 or -1. */
static int
rules_jit_stack(struct rules *rs, const struct config *c)
{
	size_t	 max = ((size_t)c->memory << 20) / RULES_MEMORY_SHARE;

	if ((rs->jstack = pcre2_jit_stack_create(RULES_JIT_STACK_START, max,
	    NULL)) == NULL)
		return -1;
	pcre2_jit_stack_assign(rs->mctx, NULL, rs->jstack);
	return 0;
}

int
rules_init(const struct config *c, unsigned flags, void **state_r,
    char *err, size_t errlen)
{
	const struct rules_conf		*rc = config_settings(c, &rules_settings);
	const struct matching_conf	*mc;
	struct rules			*rs;
	size_t				 i;
	int				 jit = 0, r;

	mc = config_settings(c, &matching_settings);
	if ((rs = calloc(1, sizeof(*rs))) == NULL ||
	    (rs->v = calloc(rc->nrules + 1, sizeof(*rs->v))) == NULL ||
	    (rs->mctx = pcre2_match_context_create(NULL)) == NULL) {
		snprintf(err, errlen, "rules: out of memory");
		rules_free(rs);
		return -1;
	}
	rs->on_error = mc->on_error == MATCHING_ON_FAILURE ? c->on_failure :
	    mc->on_error;
	rules_limits(rs, c, mc->match_limit);
	for (i = 0; i < rc->nrules; i++) {
		rs->v[i].conf = &rc->rules[i];
		rs->n++;
		if (rc->rules[i].target == RULE_CLIENT_CIDR)
			continue;
		if ((r = rules_compile(c, &rs->v[i],
		    !(flags & MODULES_NOJIT), err, errlen)) == -1) {
			rules_free(rs);
			return -1;
		}
		jit |= r;
	}
	if (jit && rules_jit_stack(rs, c) == -1) {
		snprintf(err, errlen, "rules: cannot reserve a JIT stack of "
		    "%d MiB", c->memory / RULES_MEMORY_SHARE);
		rules_free(rs);
		return -1;
	}
	*state_r = rs;
	return 0;
}

/* Keeps what a match matched, ov[0] to ov[1] of s; \K may turn it round. */
static void
rules_saw(const void *s, size_t len, const PCRE2_SIZE *ov)
{
	if (ov[0] <= ov[1] && ov[1] <= len) {
		rules_seen.p = (const uint8_t *)s + ov[0];
		rules_seen.len = ov[1] - ov[0];
	}
}

/*
 * Returns 1 on a match, 0 on none, or PCRE2's error code (negative) when
 * the match could not be completed: a limit reached, no memory, input
 * that is not UTF-8 for a (*UTF) pattern.  An error is never "no match".
 */
static int
rules_match(const struct rules *rs, const struct rule *r, const void *s,
    size_t len)
{
	pcre2_match_data	*md;
	int			 rc;

	if (s == NULL)
		return 0;
	if ((md = pcre2_match_data_create_from_pattern(r->re, NULL)) == NULL)
		return PCRE2_ERROR_NOMEMORY;
	rc = pcre2_match(r->re, s, len, 0, 0, md, rs->mctx);
	if (rc >= 0)
		rules_saw(s, len, pcre2_get_ovector_pointer(md));
	pcre2_match_data_free(md);
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	return rc >= 0 ? 1 : rc;
}

static int
rules_match_str(const struct rules *rs, const struct rule *r, const char *s)
{
	return s != NULL ? rules_match(rs, r, s, strlen(s)) : 0;
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

/* Each "Name: value"; as rules_match, for the first that is not 0. */
static int
rules_any_header(const struct rules *rs, const struct rule *r,
    const struct message *m)
{
	size_t	 i;
	int	 rc;

	for (i = 0; i < m->nhdrs; i++)
		if ((rc = rules_match_header(rs, r, &m->hdrs[i], 1)) != 0)
			return rc;
	return 0;
}

/* The headers called name; as rules_any_header. */
static int
rules_named_header(const struct rules *rs, const struct rule *r,
    const struct message *m, const char *name)
{
	size_t	 i;
	int	 rc;

	for (i = 0; i < m->nhdrs; i++)
		if (strcasecmp(m->hdrs[i].name, name) == 0 &&
		    (rc = rules_match_header(rs, r, &m->hdrs[i], 0)) != 0)
			return rc;
	return 0;
}

/* Every recipient; as rules_any_header. */
static int
rules_recipients(const struct rules *rs, const struct rule *r,
    const struct message *m)
{
	size_t	 i;
	int	 rc;

	for (i = 0; i < m->nrcpts; i++)
		if ((rc = rules_match_str(rs, r, m->rcpts[i])) != 0)
			return rc;
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
	if (rest != 0 &&
	    ((a[full] ^ rc->cidr_addr[full]) & (0xff << (8 - rest))) != 0)
		return 0;
	rules_seen.p = (const uint8_t *)client;
	rules_seen.len = strlen(client);
	return 1;
}

/* As rules_match, for whatever the rule looks at. */
static int
rules_target(const struct rules *rs, const struct rule *r,
    const struct filter_msg *fm)
{
	const struct message	*m = fm->m;
	const uint8_t		*text;
	size_t			 len;

	switch (r->conf->target) {
	case RULE_HEADER:
		return rules_named_header(rs, r, m, r->conf->header);
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
		return rules_recipients(rs, r, m);
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

/* Each target's key in the configuration, for the dump and the trace. */
static const char *const rules_target_keys[RULE_TARGET_MAX] = {
	[RULE_HEADER] = "header", [RULE_ANY_HEADER] = "any_header",
	[RULE_BODY] = "body", [RULE_RAW_BODY] = "raw_body",
	[RULE_SENDER] = "sender", [RULE_RECIPIENT] = "recipient",
	[RULE_HELO] = "helo", [RULE_CLIENT_NAME] = "client_name",
	[RULE_CLIENT_ADDR] = "client_addr",
	[RULE_CLIENT_CIDR] = "client_cidr",
};

/* Returns 1 when the rule hits, 0 when not, or PCRE2's error code. */
static int
rules_hit(const struct rules *rs, const struct rule *r,
    const struct filter_msg *fm)
{
	int	 rc;

	if ((rc = rules_target(rs, r, fm)) < 0)
		return rc;
	return rc != r->conf->negate;
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

/* Copies s into buf, printable ASCII only: it goes into the verdict. */
static void
rules_printable(char *buf, size_t len, const char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0' && i + 1 < len; i++)
		buf[i] = s[i] >= 0x20 && s[i] <= 0x7e ? s[i] : '?';
	if (len > 0)
		buf[i] = '\0';
}

/*
 * A rule whose pattern could not be matched: the message gets on_error,
 * a terminal action, and the log says which rule and PCRE2's reason.  The
 * reply is the answer layer's default for the action: a client learns
 * nothing of the filter's failure.
 */
static int
rules_error(const struct rules *rs, const struct rule_conf *rc, int code,
    struct verdict *v)
{
	PCRE2_UCHAR	 msg[128];
	char		 name[VERDICT_RULE_NAME_MAX + 1];
	char		 line[VERDICT_LOG_MAX + 1];

	if (pcre2_get_error_message(code, msg, sizeof(msg)) < 0)
		snprintf((char *)msg, sizeof(msg), "unknown error");
	rules_printable(name, sizeof(name), rc->name);
	/* Cut to fit, if need be: the rule's name and the reason come first. */
	if (snprintf(line, sizeof(line), "rule %s: cannot match: %s (PCRE2 "
	    "error %d); matching.on_error: %s", name, (const char *)msg, code,
	    action_name(rs->on_error)) < 0)
		return -1;
	(void)verdict_add_log(v, line);
	v->action = (uint8_t)rs->on_error;
	if (rs->on_error == ACTION_QUARANTINE) {
		snprintf(line, sizeof(line), "rule %s cannot match", name);
		return verdict_set_reason(v, line);
	}
	return 0;
}

/*
 * The trace of a rule just tried (rc as rules_hit's): what it looked at,
 * and what its pattern matched -- for a negated rule, what kept it from
 * hitting.
 */
static void
rules_trace(struct filter_result *fr, const struct rule_conf *r, int rc)
{
	char	 part[VERDICT_TRACE_PART_MAX + 1];

	if (!trace_wanted(fr))
		return;
	if (r->target == RULE_HEADER)
		snprintf(part, sizeof(part), "header %s", r->header);
	else
		snprintf(part, sizeof(part), "%s", rules_target_keys[r->target]);
	trace_rule(fr, r->name, part, rc < 0 ? TRACE_ERROR : rc ? TRACE_HIT :
	    TRACE_MISS, rules_seen.p, rules_seen.len);
}

static int
rules_check(void *state, const struct filter_msg *fm,
    struct filter_result *fr)
{
	const struct rules	*rs = state;
	struct verdict		*v = fr->v;
	size_t			 i;
	int			 rc;

	for (i = 0; i < rs->n; i++) {
		rules_seen.p = NULL;
		rules_seen.len = 0;
		rc = rules_hit(rs, &rs->v[i], fm);
		rules_trace(fr, rs->v[i].conf, rc);
		if (rc < 0)
			return rules_error(rs, rs->v[i].conf, rc, v);
		if (rc == 1 && rules_apply(rs->v[i].conf, v))
			break;
	}
	return 0;
}

const struct filter_module filter_rules = {
	.abi = FILTER_ABI_VERSION,
	.name = "rules",
	.init = NULL,		/* built-in: rules_init, with the whole config */
	.check = rules_check,
	.free = rules_free,
};

/*
 * The rules' part of the configuration: the list "rules = ( { ... }, ... )".
 * Read wherever a configuration is loaded (parent, supervisor, spawner);
 * the patterns are only kept as text here, and compiled by rules_init.
 */

/* Keys of one rule. */
static const char *const rule_keys[] = {
	"name", "header", "pattern", "any_header", "body", "raw_body",
	"sender", "recipient", "helo", "client_name", "client_addr",
	"client_cidr", "negate", "score", "action", "reply", "add_header",
	"reason",
};

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static const char *
rule_str(struct conf_loader *l, const config_setting_t *r, const char *key)
{
	const config_setting_t	*s;
	const char		*v;

	if ((s = config_setting_get_member(r, key)) == NULL)
		return NULL;
	if ((v = config_setting_get_string(s)) == NULL) {
		conf_error(l, s, "rule: %s: expected a string", key);
		return NULL;
	}
	return v;
}

/* Splits "Name: value" for add_header. */
static int
rule_add_header(struct conf_loader *l, const config_setting_t *r,
    struct rule_conf *rc, const char *s)
{
	const char	*colon, *why;
	const char	*v;

	if ((colon = strchr(s, ':')) == NULL) {
		conf_error(l, r, "rule %s: add_header must be \"Name: value\"",
		    rc->name);
		return -1;
	}
	if ((rc->hdr_name = strndup(s, (size_t)(colon - s))) == NULL)
		return -1;
	for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		;
	if ((rc->hdr_value = strdup(v)) == NULL)
		return -1;
	if (rfc5322_check_name(rc->hdr_name, &why) == -1 ||
	    rfc5322_check_value(rc->hdr_value, &why) == -1) {
		conf_error(l, r, "rule %s: add_header: %s", rc->name, why);
		return -1;
	}
	return 0;
}

static const struct {
	const char	*key;
	int		 target;
} rule_targets[] = {
	{ "header", RULE_HEADER },
	{ "any_header", RULE_ANY_HEADER },
	{ "body", RULE_BODY },
	{ "raw_body", RULE_RAW_BODY },
	{ "sender", RULE_SENDER },
	{ "recipient", RULE_RECIPIENT },
	{ "helo", RULE_HELO },
	{ "client_name", RULE_CLIENT_NAME },
	{ "client_addr", RULE_CLIENT_ADDR },
	{ "client_cidr", RULE_CLIENT_CIDR },
};

/* Parses "192.0.2.0/24" or "2001:db8::/32" (no prefix: one address). */
static int
rule_cidr(struct rule_conf *rc, const char *s)
{
	char		 addr[INET6_ADDRSTRLEN + 1];
	const char	*slash = strchr(s, '/');
	char		*end;
	long		 bits;
	size_t		 n = slash ? (size_t)(slash - s) : strlen(s);

	if (n >= sizeof(addr))
		return -1;
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (inet_pton(AF_INET, addr, rc->cidr_addr) == 1) {
		rc->cidr_family = AF_INET;
		rc->cidr_bits = 32;
	} else if (inet_pton(AF_INET6, addr, rc->cidr_addr) == 1) {
		rc->cidr_family = AF_INET6;
		rc->cidr_bits = 128;
	} else
		return -1;
	if (slash != NULL) {
		bits = strtol(slash + 1, &end, 10);
		if (end == slash + 1 || *end != '\0' || bits < 0 ||
		    bits > rc->cidr_bits)
			return -1;
		rc->cidr_bits = (int)bits;
	}
	return 0;
}

static int
rule_target(struct conf_loader *l, const config_setting_t *r,
    struct rule_conf *rc)
{
	const char	*v, *pattern;
	size_t		 i;
	int		 n = 0;

	for (i = 0; i < NITEMS(rule_targets); i++) {
		if ((v = rule_str(l, r, rule_targets[i].key)) == NULL)
			continue;
		if (n++ > 0)
			continue;	/* an error below; keep the first */
		rc->target = rule_targets[i].target;
		if (rc->target == RULE_HEADER) {
			if ((rc->header = strdup(v)) == NULL)
				return -1;
		} else if ((rc->pattern = strdup(v)) == NULL)
			return -1;
	}
	if (n != 1) {
		conf_error(l, r, "rule %s: needs exactly one of header, "
		    "any_header, body, raw_body, sender, recipient, helo, "
		    "client_name, client_addr, client_cidr", rc->name);
		return -1;
	}
	if (rc->target == RULE_CLIENT_CIDR && rule_cidr(rc, rc->pattern) ==
	    -1) {
		conf_error(l, r, "rule %s: client_cidr: \"%s\" is not an "
		    "address or address/prefix", rc->name, rc->pattern);
		return -1;
	}
	pattern = rule_str(l, r, "pattern");
	if ((rc->target == RULE_HEADER) != (pattern != NULL)) {
		conf_error(l, r, "rule %s: pattern goes with header, and "
		    "header needs one", rc->name);
		return -1;
	}
	if (pattern != NULL && (rc->pattern = strdup(pattern)) == NULL)
		return -1;
	return 0;
}

/* negate and score, both optional. */
static int
rule_flags(struct conf_loader *l, const config_setting_t *r,
    struct rule_conf *rc)
{
	const config_setting_t	*s;

	if ((s = config_setting_get_member(r, "negate")) != NULL) {
		if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
			conf_error(l, s, "rule %s: negate: expected true or "
			    "false", rc->name);
			return -1;
		}
		rc->negate = config_setting_get_bool(s);
	}
	if ((s = config_setting_get_member(r, "score")) != NULL) {
		if (config_setting_type(s) != CONFIG_TYPE_FLOAT &&
		    config_setting_type(s) != CONFIG_TYPE_INT &&
		    config_setting_type(s) != CONFIG_TYPE_INT64) {
			conf_error(l, s, "rule %s: score: expected a number",
			    rc->name);
			return -1;
		}
		rc->score = config_setting_get_float(s);
		if (config_setting_type(s) != CONFIG_TYPE_FLOAT)
			rc->score = (double)config_setting_get_int64(s);
		if (rc->score < -1000 || rc->score > 1000) {
			conf_error(l, s, "rule %s: score: %g is out of range "
			    "(-1000 to 1000)", rc->name, rc->score);
			return -1;
		}
	}
	if (rc->action == RULE_SCORE && rc->score == 0) {
		conf_error(l, r, "rule %s: action score needs a score",
		    rc->name);
		return -1;
	}
	return 0;
}

/*
 * A rule's name and quarantine reason go into each of its verdicts, and
 * the supervisor refuses a verdict whose name or reason is empty or not
 * printable ASCII (super_policy.c), as the builder refuses one too long
 * for the verdict: such a rule would fail every message it hits.
 */
static int
rule_text_ok(const char *s, size_t max)
{
	return *s != '\0' && strnlen(s, max + 1) <= max && smtp_printable(s);
}

static int
rule_action(struct conf_loader *l, const config_setting_t *r,
    struct rule_conf *rc)
{
	const char	*a, *reply, *hdr, *reason, *why;

	if ((a = rule_str(l, r, "action")) == NULL) {
		conf_error(l, r, "rule %s: needs an action", rc->name);
		return -1;
	}
	if (strcmp(a, "add-header") == 0)
		rc->action = RULE_ADD_HEADER;
	else if (strcmp(a, "score") == 0)
		rc->action = RULE_SCORE;
	else if ((rc->action = action_from_name(a)) <= ACTION_NONE) {
		conf_error(l, r, "rule %s: unknown action \"%s\"", rc->name, a);
		return -1;
	}
	reply = rule_str(l, r, "reply");
	hdr = rule_str(l, r, "add_header");
	reason = rule_str(l, r, "reason");
	if (reply != NULL && smtp_parse_reply(reply, rc->action, &rc->code,
	    &rc->ecode, &rc->text, &why) == -1) {
		conf_error(l, r, "rule %s: reply: %s", rc->name, why);
		return -1;
	}
	if ((hdr != NULL) != (rc->action == RULE_ADD_HEADER)) {
		conf_error(l, r, "rule %s: add_header goes with action "
		    "add-header, and it needs one", rc->name);
		return -1;
	}
	if (hdr != NULL && rule_add_header(l, r, rc, hdr) == -1)
		return -1;
	if (rule_flags(l, r, rc) == -1)
		return -1;
	if (reason != NULL) {
		if (rc->action != ACTION_QUARANTINE) {
			conf_error(l, r, "rule %s: reason goes with action "
			    "quarantine", rc->name);
			return -1;
		}
		if (!rule_text_ok(reason, VERDICT_REASON_MAX)) {
			conf_error(l, r, "rule %s: reason: must be 1 to %d "
			    "printable ASCII characters", rc->name,
			    VERDICT_REASON_MAX);
			return -1;
		}
		if ((rc->reason = strdup(reason)) == NULL)
			return -1;
	}
	return 0;
}

static void
rule_read(struct conf_loader *l, const config_setting_t *r,
    struct rule_conf *rc, int idx)
{
	const char	*name;
	char		 def[32];

	rc->line = (int)config_setting_source_line(r);
	if (!config_setting_is_group(r)) {
		conf_error(l, r, "rules: each rule is a group { ... }");
		return;
	}
	if ((name = rule_str(l, r, "name")) == NULL) {
		snprintf(def, sizeof(def), "rule%d", idx + 1);
		name = def;
	}
	if (!rule_text_ok(name, VERDICT_RULE_NAME_MAX)) {
		conf_error(l, r, "rule %s: name: must be 1 to %d printable "
		    "ASCII characters", name, VERDICT_RULE_NAME_MAX);
		return;
	}
	if ((rc->name = strdup(name)) == NULL) {
		conf_error(l, r, "out of memory");
		return;
	}
	if (conf_check_members(l, r, "rule", rc->name, rule_keys,
	    NITEMS(rule_keys)) > 0 || rule_target(l, r, rc) == -1)
		return;
	(void)rule_action(l, r, rc);
}

static void
rules_conf_read(struct conf_loader *l, const config_setting_t *s,
    void *settings)
{
	struct rules_conf	*rs = settings;
	int			 i, n;

	if (!config_setting_is_list(s)) {
		conf_error(l, s, "rules: expected a list ( { ... }, ... )");
		return;
	}
	n = config_setting_length(s);
	if ((rs->rules = calloc((size_t)n + 1, sizeof(*rs->rules))) == NULL) {
		conf_error(l, s, "out of memory");
		return;
	}
	rs->nrules = (size_t)n;
	for (i = 0; i < n; i++)
		rule_read(l, config_setting_get_elem(s, (unsigned)i),
		    &rs->rules[i], i);
}

static void
rules_conf_free(void *settings)
{
	struct rules_conf	*rs = settings;
	struct rule_conf	*r;
	size_t			 i;

	for (i = 0; i < rs->nrules; i++) {
		r = &rs->rules[i];
		free(r->name);
		free(r->header);
		free(r->pattern);
		free(r->code);
		free(r->ecode);
		free(r->text);
		free(r->hdr_name);
		free(r->hdr_value);
		free(r->reason);
	}
	free(rs->rules);
}

static void
rule_dump(const struct rule_conf *r, FILE *f)
{
	const char *const *tkeys = rules_target_keys;
	char	 line[VERDICT_HDR_VALUE_MAX + VERDICT_HDR_NAME_MAX + 8];

	fputs("\t{ name = ", f);
	conf_dump_str(f, r->name);
	fprintf(f, "; %s = ", tkeys[r->target]);
	conf_dump_str(f, r->target == RULE_HEADER ? r->header : r->pattern);
	if (r->target == RULE_HEADER) {
		fputs("; pattern = ", f);
		conf_dump_str(f, r->pattern);
	}
	if (r->negate)
		fputs("; negate = true", f);
	if (r->score != 0) {
		fputs("; score = ", f);
		conf_dump_double(f, r->score);
	}
	fputs("; action = ", f);
	conf_dump_str(f, r->action == RULE_ADD_HEADER ? "add-header" :
	    r->action == RULE_SCORE ? "score" : action_name(r->action));
	if (r->code != NULL) {
		snprintf(line, sizeof(line), "%s%s%s%s%s", r->code,
		    r->ecode ? " " : "", r->ecode ? r->ecode : "",
		    r->text ? " " : "", r->text ? r->text : "");
		fputs("; reply = ", f);
		conf_dump_str(f, line);
	}
	if (r->hdr_name != NULL) {
		snprintf(line, sizeof(line), "%s: %s", r->hdr_name,
		    r->hdr_value);
		fputs("; add_header = ", f);
		conf_dump_str(f, line);
	}
	if (r->reason != NULL) {
		fputs("; reason = ", f);
		conf_dump_str(f, r->reason);
	}
	fputs("; }", f);
}

static void
rules_conf_dump(const void *settings, FILE *f)
{
	const struct rules_conf	*rs = settings;
	size_t			 i;

	fputs("rules = (\n", f);
	for (i = 0; i < rs->nrules; i++) {
		rule_dump(&rs->rules[i], f);
		fputs(i + 1 < rs->nrules ? ",\n" : "\n", f);
	}
	fputs(");\n", f);
}

/* Each rule may set its action, or add its header. */
static int
rules_conf_declare(const struct config *c, const void *settings,
    struct conf_policy *p)
{
	const struct rules_conf	*rs = settings;
	size_t			 i;

	for (i = 0; i < rs->nrules; i++) {
		if (rs->rules[i].action == RULE_ADD_HEADER) {
			if (conf_policy_header(p, rs->rules[i].hdr_name) == -1)
				return -1;
		} else if (rs->rules[i].action < ACTION_MAX)
			p->actions |= 1U << rs->rules[i].action;
	}
	return 0;
}

const struct conf_module rules_settings = {
	.name = "rules",
	.size = sizeof(struct rules_conf),
	.read = rules_conf_read,
	.declare = rules_conf_declare,
	.dump = rules_conf_dump,
	.free = rules_conf_free,
};

/*
 * The group "matching": what a message gets when a pattern cannot be
 * matched to it, and the match limit.  Read wherever a configuration is
 * loaded, as the rules are.
 */
#define MOFF(f)	offsetof(struct matching_conf, f)

static const struct conf_key matching_keys[] = {
	{ "matching.on_error", T_STR, MOFF(on_error_name), "on_failure", 0, 0,
	    0, 0 },
	{ "matching.match_limit", T_INT, MOFF(match_limit), "10000000", 1,
	    1000000000, 0, 0 },
};

/* on_error: "on_failure", or an action that stands for "not checked". */
static void
matching_conf_check(struct conf_loader *l, const config_setting_t *g,
    void *settings)
{
	struct matching_conf	*mc = settings;
	int			 a;

	if (strcmp(mc->on_error_name, "on_failure") == 0) {
		mc->on_error = MATCHING_ON_FAILURE;
		return;
	}
	a = action_from_name(mc->on_error_name);
	if (a != ACTION_TEMPFAIL && a != ACTION_REJECT &&
	    a != ACTION_ACCEPT && a != ACTION_QUARANTINE) {
		conf_error(l, g != NULL ? config_setting_get_member(g,
		    "on_error") : NULL, "matching.on_error: \"%s\" is not "
		    "one of on_failure, tempfail, reject, accept, quarantine",
		    mc->on_error_name);
		return;
	}
	mc->on_error = a;
}

/* With a pattern to match, the rules may set on_error's action. */
static int
matching_conf_declare(const struct config *c, const void *settings,
    struct conf_policy *p)
{
	const struct matching_conf	*mc = settings;
	const struct rules_conf		*rc = config_settings(c,
					    &rules_settings);
	size_t				 i;

	for (i = 0; i < rc->nrules; i++)
		if (rc->rules[i].target != RULE_CLIENT_CIDR) {
			p->actions |= 1U << (mc->on_error ==
			    MATCHING_ON_FAILURE ? c->on_failure : mc->on_error);
			break;
		}
	return 0;
}

const struct conf_module matching_settings = {
	.name = "matching",
	.keys = matching_keys,
	.nkeys = sizeof(matching_keys) / sizeof(matching_keys[0]),
	.size = sizeof(struct matching_conf),
	.check = matching_conf_check,
	.declare = matching_conf_declare,
};
