/*
 * rules: rules over headers, body, envelope, connection, size, URLs and
 * attachments -- PCRE2 patterns, lists (lists.c), comparisons -- each a
 * condition of its own or a combination of named ones (cond.c), evaluated
 * in order; a named condition at most once a message.
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
#include "filters/attach.h"
#include "filters/filter_impl.h"
#include "filters/host.h"
#include "filters/lists.h"
#include "filters/mime.h"
#include "filters/rules.h"
#include "filters/filter.h"

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

/* A condition ready to match: its settings and its compiled pattern. */
struct cond {
	const struct cond_conf	*conf;
	pcre2_code		*re;		/* NULL: no pattern to match */
};

struct rule {
	const struct rule_conf	*conf;
	struct cond		 c;
};

struct rules {
	struct rule		*v;
	size_t			 n;
	struct cond		*conds;		/* the named ones, in order */
	size_t			 nconds;
	const struct attach_conf *attach;	/* for attachment_policy */
	pcre2_match_context	*mctx;
	pcre2_jit_stack		*jstack;	/* NULL without JIT code */
	int			 on_error;	/* enum action */
};

/* The trace, while filterd -t --trace asks for one (rules.h). */
static rules_trace_fn	*rules_trace;
static void		*rules_trace_arg;

void
rules_set_trace(rules_trace_fn *fn, void *arg)
{
	rules_trace = fn;
	rules_trace_arg = arg;
}

static void
rules_free(void *state)
{
	struct rules	*rs = state;
	size_t		 i;

	if (rs == NULL)
		return;
	for (i = 0; i < rs->n; i++)
		pcre2_code_free(rs->v[i].c.re);
	for (i = 0; i < rs->nconds; i++)
		pcre2_code_free(rs->conds[i].re);
	pcre2_match_context_free(rs->mctx);
	pcre2_jit_stack_free(rs->jstack);
	free(rs->conds);
	free(rs->v);
	free(rs);
}

/*
 * Returns 1 with JIT code, 0 without (or with no pattern to compile), -1
 * for a pattern in error.
 */
static int
rules_compile(const struct config *c, struct cond *k, const char *owner,
    int jit, char *err, size_t errlen)
{
	PCRE2_UCHAR	 msg[256];
	PCRE2_SIZE	 off;
	int		 code;

	k->re = NULL;
	if (k->conf->combo != COND_TEST || k->conf->pattern == NULL ||
	    k->conf->target == RULE_CLIENT_CIDR)
		return 0;
	k->re = pcre2_compile((PCRE2_SPTR)k->conf->pattern,
	    PCRE2_ZERO_TERMINATED, 0, &code, &off, NULL);
	if (k->re == NULL) {
		pcre2_get_error_message(code, msg, sizeof(msg));
		snprintf(err, errlen, "%s:%d: %s: pattern at offset "
		    "%zu: %s", c->path, k->conf->line, owner,
		    (size_t)off, (const char *)msg);
		return -1;
	}
	/* JIT is an optimisation: without it, the interpreter matches. */
	return jit && pcre2_jit_compile(k->re, PCRE2_JIT_COMPLETE) == 0;
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

/* Compiles every condition's pattern: the rules', then the named ones. */
static int
rules_compile_all(struct rules *rs, const struct config *c, int jit,
    char *err, size_t errlen)
{
	char	 owner[VERDICT_RULE_NAME_MAX + 16];
	size_t	 i;
	int	 r, any = 0;

	for (i = 0; i < rs->n; i++) {
		snprintf(owner, sizeof(owner), "rule %s", rs->v[i].conf->name);
		if ((r = rules_compile(c, &rs->v[i].c, owner, jit, err,
		    errlen)) == -1)
			return -1;
		any |= r;
	}
	for (i = 0; i < rs->nconds; i++) {
		snprintf(owner, sizeof(owner), "condition %s",
		    rs->conds[i].conf->name);
		if ((r = rules_compile(c, &rs->conds[i], owner, jit, err,
		    errlen)) == -1)
			return -1;
		any |= r;
	}
	return any;
}

int
rules_init(const struct config *c, unsigned flags, void **state_r,
    char *err, size_t errlen)
{
	const struct rules_conf		*rc = config_settings(c, &rules_settings);
	const struct conds_conf		*cc;
	const struct matching_conf	*mc;
	struct rules			*rs;
	size_t				 i;
	int				 jit;

	mc = config_settings(c, &matching_settings);
	cc = config_settings(c, &conditions_settings);
	if ((rs = calloc(1, sizeof(*rs))) == NULL ||
	    (rs->v = calloc(rc->nrules + 1, sizeof(*rs->v))) == NULL ||
	    (rs->conds = calloc(cc->n + 1, sizeof(*rs->conds))) == NULL ||
	    (rs->mctx = pcre2_match_context_create(NULL)) == NULL) {
		snprintf(err, errlen, "rules: out of memory");
		rules_free(rs);
		return -1;
	}
	rs->attach = config_settings(c, &attach_settings);
	rs->on_error = mc->on_error == MATCHING_ON_FAILURE ? c->on_failure :
	    mc->on_error;
	rules_limits(rs, c, mc->match_limit);
	for (i = 0; i < rc->nrules; i++) {
		rs->v[i].conf = &rc->rules[i];
		rs->v[i].c.conf = &rc->rules[i].cond;
	}
	rs->n = rc->nrules;
	for (i = 0; i < cc->n; i++)
		rs->conds[i].conf = &cc->v[i];
	rs->nconds = cc->n;
	if ((jit = rules_compile_all(rs, c, !(flags & MODULES_NOJIT), err,
	    errlen)) == -1) {
		rules_free(rs);
		return -1;
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

/*
 * One message's evaluation: what each named condition gave (memo: 0
 * not yet, 1 no, 2 hit, 3 being evaluated), the rule being evaluated,
 * and with a trace, the text the last test hit on.
 */
struct eval {
	const struct rules	*rs;
	const struct filter_msg	*fm;
	uint8_t			*memo;
	const char		*rule;
	char			 hit[RULES_TRACE_TEXT + 1];
};

/* Keeps what a test hit on, escaped, for the trace. */
static void
eval_note(struct eval *e, const void *p, size_t len)
{
	const uint8_t	*s = p;
	size_t		 i, n = 0;

	if (rules_trace == NULL)
		return;
	for (i = 0; i < len && n + 5 < sizeof(e->hit); i++) {
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\' &&
		    s[i] != '"')
			e->hit[n++] = (char)s[i];
		else
			n += (size_t)snprintf(e->hit + n, sizeof(e->hit) - n,
			    "\\x%02x", s[i]);
	}
	if (i < len && n + 3 < sizeof(e->hit))
		n += (size_t)snprintf(e->hit + n, sizeof(e->hit) - n, "...");
	e->hit[n] = '\0';
}

/*
 * Returns 1 on a match, 0 on none, or PCRE2's error code (negative) when
 * the match could not be completed: a limit reached, no memory, input
 * that is not UTF-8 for a (*UTF) pattern.  An error is never "no match".
 * With a trace, what matched is noted.
 */
static int
rules_match(struct eval *e, const struct cond *k, const void *s, size_t len)
{
	pcre2_match_data	*md;
	PCRE2_SIZE		*ov;
	int			 rc;

	if ((md = pcre2_match_data_create_from_pattern(k->re, NULL)) == NULL)
		return PCRE2_ERROR_NOMEMORY;
	rc = pcre2_match(k->re, s, len, 0, 0, md, e->rs->mctx);
	/* The trace: a short value whole (a file name), else what matched. */
	if (rc >= 0 && rules_trace != NULL) {
		ov = pcre2_get_ovector_pointer(md);
		if (len <= RULES_TRACE_TEXT)
			eval_note(e, s, len);
		else if (ov[0] <= ov[1] && ov[1] <= len)
			eval_note(e, (const uint8_t *)s + ov[0], ov[1] - ov[0]);
	}
	pcre2_match_data_free(md);
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	return rc >= 0 ? 1 : rc;
}

/* Is the client's address inside the condition's block? */
static int
rules_cidr(const struct cond_conf *cc, const char *client)
{
	uint8_t	 a[16];
	int	 full, rest;

	if (client == NULL || inet_pton(cc->cidr_family, client, a) != 1)
		return 0;
	full = cc->cidr_bits / 8;
	rest = cc->cidr_bits % 8;
	if (memcmp(a, cc->cidr_addr, (size_t)full) != 0)
		return 0;
	return rest == 0 ||
	    ((a[full] ^ cc->cidr_addr[full]) & (0xff << (8 - rest))) == 0;
}

/*
 * A header value with its RFC 2047 encoded words decoded to UTF-8, and,
 * with the name, as "Name: value".  Into static room: one at a time.
 */
static const char *
eval_header(const struct kv *h, int with_name)
{
	static char	 dec[MSG_HDR_VALUE_MAX + 1];
	static char	 line[MSG_HDR_NAME_MAX + MSG_HDR_VALUE_MAX + 3];
	const char	*v = h->value;

	if (mime_decode_header(h->value, dec, sizeof(dec)) >= 0)
		v = dec;
	if (!with_name)
		return v;
	snprintf(line, sizeof(line), "%s: %s", h->name, v);
	return line;
}

/* The one value of a single-valued target, or NULL. */
static const char *
eval_single(const struct filter_msg *fm, int target)
{
	const struct message	*m = fm->m;

	switch (target) {
	case RULE_SENDER:
		return m->sender;
	case RULE_HELO:
		return m->helo;
	case RULE_CLIENT_NAME:
		return m->client_name;
	case RULE_CLIENT_ADDR:
	case RULE_CLIENT_CIDR:
		return m->client_addr;
	case RULE_AUTH_USER:
		return message_macro(m, "{auth_authen}");
	}
	return NULL;
}

/*
 * The ith value a test looks at, in *p and *len: returns 1, or 0 for an
 * index that has none (a header of another name, a part that is no
 * attachment), or -1 past the last.
 */
static int
eval_value(const struct filter_msg *fm, const struct cond_conf *c, size_t i,
    const void **p, size_t *len)
{
	const struct message	*m = fm->m;
	const char		*s = NULL;

	switch (c->target) {
	case RULE_HEADER:
	case RULE_ANY_HEADER:
		if (i >= m->nhdrs)
			return -1;
		if (c->target == RULE_HEADER &&
		    strcasecmp(m->hdrs[i].name, c->header) != 0)
			return 0;
		s = eval_header(&m->hdrs[i], c->target == RULE_ANY_HEADER);
		break;
	case RULE_BODY:
	case RULE_RAW_BODY:
	case RULE_TEXT:
		if (i > 0)
			return -1;
		/* The decoded text parts (mime.c), or what a reader sees. */
		*p = c->target == RULE_BODY ? mime_text(fm->mime, len) :
		    c->target == RULE_TEXT ? filter_msg_view_text(fm, len) :
		    filter_msg_body(fm, len);
		if (*p == NULL) {
			*p = "";
			*len = 0;
		}
		return 1;
	case RULE_RECIPIENT:
		if (i >= m->nrcpts)
			return -1;
		s = m->rcpts[i];
		break;
	case RULE_URL:
	case RULE_URL_HOST:
		if (i >= filter_msg_url_count(fm))
			return -1;
		s = c->target == RULE_URL ? filter_msg_url(fm, i) :
		    filter_msg_url_host(fm, i);
		break;
	case RULE_ATTACHMENT_NAME:
	case RULE_ATTACHMENT_TYPE:
		if (i >= filter_msg_part_count(fm))
			return -1;
		if (!filter_msg_part_is_attachment(fm, i))
			return 0;
		s = c->target == RULE_ATTACHMENT_NAME ?
		    filter_msg_part_filename(fm, i) :
		    filter_msg_part_type(fm, i);
		break;
	case RULE_ARCHIVE_ENTRY:
		if (i >= filter_msg_archive_entry_count(fm))
			return -1;
		s = filter_msg_archive_entry_name(fm, i);
		break;
	default:
		if (i > 0)
			return -1;
		s = eval_single(fm, c->target);
	}
	if (s == NULL || (*s == '\0' && c->target == RULE_ATTACHMENT_NAME))
		return 0;
	*p = s;
	*len = strlen(s);
	return 1;
}

/* One value against the pattern, the list or the block. */
static int
eval_one(struct eval *e, const struct cond *k, const void *p, size_t len)
{
	const char	*entry = NULL;
	int		 rc;

	if (k->conf->list != NULL) {
		if ((rc = list_match(k->conf->list, p, &entry)) == 1)
			eval_note(e, p, len);
		return rc;
	}
	if (k->conf->target == RULE_CLIENT_CIDR) {
		if ((rc = rules_cidr(k->conf, p)) == 1)
			eval_note(e, p, len);
		return rc;
	}
	return rules_match(e, k, p, len);
}

/*
 * Every value of the test: "any" hits on the first that matches, "all"
 * when there is at least one and every one matches.
 */
static int
eval_values(struct eval *e, const struct cond *k)
{
	const void	*p;
	size_t		 i, len, n = 0;
	int		 rc, all = k->conf->scope_all;

	for (i = 0; (rc = eval_value(e->fm, k->conf, i, &p, &len)) != -1;
	    i++) {
		if (rc == 0)
			continue;
		n++;
		if ((rc = eval_one(e, k, p, len)) < 0)
			return rc;
		if (rc != all)
			return rc;
	}
	return all && n > 0;
}

static int
eval_num(struct eval *e, const struct cond_conf *c)
{
	const struct message	*m = e->fm->m;
	long long		 v;
	char			 t[64];

	v = c->target == RULE_SIZE ? (long long)(m->hdrsize + m->bodylen) :
	    c->target == RULE_RCPT_COUNT ? (long long)m->nrcpts :
	    (long long)m->nhdrs;
	/*
	 * Only for a trace: printf's code is pages a fresh worker would
	 * otherwise fault in for nothing (t/bench-rules.sh).
	 */
	if (rules_trace != NULL) {
		snprintf(t, sizeof(t), "%lld", v);
		eval_note(e, t, strlen(t));
	}
	switch (c->op) {
	case COND_OP_GT:
		return v > c->num;
	case COND_OP_GE:
		return v >= c->num;
	case COND_OP_LT:
		return v < c->num;
	case COND_OP_LE:
		return v <= c->num;
	case COND_OP_EQ:
		return v == c->num;
	}
	return v != c->num;
}

/* The attachment policy (attach.c), as a condition. */
static int
eval_policy(struct eval *e)
{
	const char	*why, *name;
	char		 t[RULES_TRACE_TEXT];
	size_t		 part;

	if (!attach_policy_hit(e->rs->attach, e->fm, &part, &why))
		return 0;
	name = filter_msg_part_filename(e->fm, part);
	snprintf(t, sizeof(t), "%s (%s)", name != NULL ? name : "", why);
	eval_note(e, t, strlen(t));
	return 1;
}

static int	eval_named(struct eval *, size_t);

static int
eval_combo(struct eval *e, const struct cond_conf *c)
{
	size_t	 i;
	int	 rc;

	switch (c->combo) {
	case COND_REF:
		return eval_named(e, c->ref_idx[0]);
	case COND_NOT:
		rc = eval_named(e, c->ref_idx[0]);
		return rc < 0 ? rc : !rc;
	}
	for (i = 0; i < c->nrefs; i++) {
		if ((rc = eval_named(e, c->ref_idx[i])) < 0)
			return rc;
		if (rc != (c->combo == COND_ALL))
			return rc;
	}
	return c->combo == COND_ALL;
}

static int
eval_test(struct eval *e, const struct cond *k)
{
	const struct cond_conf	*c = k->conf;

	if (c->combo != COND_TEST)
		return eval_combo(e, c);
	switch (c->target) {
	case RULE_SIZE:
	case RULE_RCPT_COUNT:
	case RULE_HEADER_COUNT:
		return eval_num(e, c);
	case RULE_ARCHIVE:
		return (filter_msg_archive_flags(e->fm) & c->flag) != 0;
	case RULE_ATTACHMENT_POLICY:
		return eval_policy(e);
	}
	return eval_values(e, k);
}

/*
 * Returns 1 when the condition hits, 0 when not, or PCRE2's error code:
 * its test, negated if so written, and then none of "unless" may hit.
 */
static int
eval_cond(struct eval *e, const struct cond *k, const char *name)
{
	const struct cond_conf	*c = k->conf;
	char			 why[RULES_TRACE_TEXT + 16];
	size_t			 i;
	int			 rc, u;

	e->hit[0] = '\0';
	if ((rc = eval_test(e, k)) < 0)
		return rc;
	rc = rc != c->negate;
	if (rules_trace == NULL)
		why[0] = '\0';
	else if (c->combo == COND_TEST && c->negate && rc == 0 &&
	    e->hit[0] != '\0')
		/* A negated test its pattern kept from hitting: on what. */
		snprintf(why, sizeof(why), "matched \"%s\"", e->hit);
	else
		snprintf(why, sizeof(why), "%s", c->combo == COND_TEST &&
		    !c->negate ? e->hit : "");
	for (i = 0; rc == 1 && i < c->nunless; i++) {
		if ((u = eval_named(e, c->unless_idx[i])) < 0)
			return u;
		if (u == 1) {
			rc = 0;
			snprintf(why, sizeof(why), "unless %s", c->unless[i]);
		}
	}
	if (rules_trace != NULL)
		rules_trace(rules_trace_arg, e->rule, name, rc, why);
	return rc;
}

/* A named condition, evaluated once a message. */
static int
eval_named(struct eval *e, size_t i)
{
	int	 rc;

	if (e->memo[i] == 1 || e->memo[i] == 2)
		return e->memo[i] == 2;
	if (e->memo[i] == 3)
		return 0;	/* a cycle: the configuration check refuses it */
	e->memo[i] = 3;
	if ((rc = eval_cond(e, &e->rs->conds[i],
	    e->rs->conds[i].conf->name)) < 0) {
		e->memo[i] = 0;
		return rc;
	}
	e->memo[i] = rc ? 2 : 1;
	return rc;
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
 * filterd -t --trace: a job that asks for one (message.h) gets the
 * trace in its verdict, a line a rule or condition, cut at
 * VERDICT_TRACE_MAX.  In the worker: only this one message's.
 */
struct trace_buf {
	char	*p;
	size_t	 len;
	int	 cut;
};

static void
rules_trace_verdict(void *arg, const char *rule, const char *cond, int hit,
    const char *text)
{
	struct trace_buf	*t = arg;
	char			 line[VERDICT_RULE_NAME_MAX * 2 +
				    RULES_TRACE_TEXT + 64];
	char			 r[VERDICT_RULE_NAME_MAX + 1];
	char			 c[VERDICT_RULE_NAME_MAX + 1];
	int			 n;

	if (t->p == NULL || t->cut)
		return;
	rules_printable(r, sizeof(r), rule);
	rules_printable(c, sizeof(c), cond != NULL ? cond : "");
	n = snprintf(line, sizeof(line), "rule %s: %s%s%s%s%s%s%s\n", r,
	    cond != NULL ? "condition " : "", c, cond != NULL ? ": " : "",
	    hit ? "hit" : "miss", *text == '\0' ? "" : hit ? " on \"" : " (",
	    text, *text == '\0' ? "" : hit ? "\"" : ")");
	if (n < 0 || (size_t)n >= sizeof(line))
		return;		/* cannot be: the parts are bounded */
	if (t->len + (size_t)n + 16 > VERDICT_TRACE_MAX) {
		memcpy(t->p + t->len, "(trace cut)\n", 13);
		t->len += 12;
		t->cut = 1;
		return;
	}
	memcpy(t->p + t->len, line, (size_t)n + 1);
	t->len += (size_t)n;
}

static int
rules_check(void *state, const struct filter_msg *fm,
    struct filter_result *fr)
{
	const struct rules	*rs = state;
	struct verdict		*v = fr->v;
	struct eval		 e;
	size_t			 i;
	int			 rc = 0;

	struct trace_buf	 t = { NULL, 0, 0 };

	memset(&e, 0, sizeof(e));
	e.rs = rs;
	e.fm = fm;
	if ((e.memo = calloc(rs->nconds + 1, 1)) == NULL)
		return -1;	/* not checked: on_failure */
	if (rules_trace == NULL &&
	    fm->m->trace &&
	    (t.p = calloc(1, VERDICT_TRACE_MAX + 1)) != NULL)
		rules_set_trace(rules_trace_verdict, &t);
	for (i = 0; i < rs->n; i++) {
		e.rule = rs->v[i].conf->name;
		if ((rc = eval_cond(&e, &rs->v[i].c, NULL)) < 0) {
			rc = rules_error(rs, rs->v[i].conf, rc, v);
			break;
		}
		if (rc == 1 && rules_apply(rs->v[i].conf, v)) {
			rc = 0;
			break;
		}
		rc = 0;
	}
	free(e.memo);
	if (t.p != NULL) {
		rules_set_trace(NULL, NULL);
		free(v->trace);
		v->trace = t.p;
	}
	return rc;
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
	"name", "score", "action", "reply", "add_header", "reason",
	COND_KEY_NAMES
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

/* score, optional (negate is the condition's). */
static int
rule_flags(struct conf_loader *l, const config_setting_t *r,
    struct rule_conf *rc)
{
	const config_setting_t	*s;
	char			 owner[VERDICT_RULE_NAME_MAX + 8];

	snprintf(owner, sizeof(owner), "rule %s", rc->name);
	if (cond_read(l, r, &rc->cond, owner) == -1)
		return -1;
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
	    NITEMS(rule_keys)) > 0)
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
		cond_free(&r->cond);
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
	char	 line[VERDICT_HDR_VALUE_MAX + VERDICT_HDR_NAME_MAX + 8];

	fputs("\t{ name = ", f);
	conf_dump_str(f, r->name);
	cond_dump(&r->cond, f);
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

/* The checks across lists, conditions and rules (cond.c). */
static void
rules_conf_check(struct conf_loader *l, const config_setting_t *g,
    void *settings)
{
	cond_check_all(l, settings);
}

const struct conf_module rules_settings = {
	.name = "rules",
	.size = sizeof(struct rules_conf),
	.read = rules_conf_read,
	.check = rules_conf_check,
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

/* Whether a condition has a pattern to match, which may fail. */
static int
rules_has_pattern(const struct cond_conf *c)
{
	return c->combo == COND_TEST && c->pattern != NULL &&
	    c->target != RULE_CLIENT_CIDR;
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

	const struct conds_conf		*cc = config_settings(c,
					    &conditions_settings);
	int				 any = 0;

	for (i = 0; i < rc->nrules; i++)
		any |= rules_has_pattern(&rc->rules[i].cond);
	for (i = 0; i < cc->n; i++)
		any |= rules_has_pattern(&cc->v[i]);
	if (any)
		p->actions |= 1U << (mc->on_error == MATCHING_ON_FAILURE ?
		    c->on_failure : mc->on_error);
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
