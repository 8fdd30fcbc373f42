/*
 * 03-validate: the verdict validator, one case per rejection reason, each
 * a small change to a verdict that is otherwise valid.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filterd/lib/config.h"
#include "filterd/super_policy.h"
#include "filterd/lib/verdict.h"
#include "t/tap.h"

#define NONCE	0x1122334455667788ULL

static struct policy	 pol;

static void
base(struct verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->nonce = NONCE;
	v->action = ACTION_REJECT;
	verdict_set_reply(v, "550", "5.7.1", "Subject not allowed");
	verdict_add_op(v, HDR_ADD, 0, "X-Filterd-Rule", "lottery");
	verdict_add_rule(v, "bad-subject");
}

static void
set(char **f, const char *s)
{
	free(*f);
	*f = s ? strdup(s) : NULL;
}

static void m_ok(struct verdict *v) { (void)v; }
static void m_nonce(struct verdict *v) { v->nonce++; }
static void m_action(struct verdict *v) { v->action = ACTION_MAX; }
static void m_action_cfg(struct verdict *v) {
	v->action = ACTION_DISCARD; set(&v->code, NULL); set(&v->ecode, NULL);
	set(&v->text, NULL); }
static void m_code_digits(struct verdict *v) { set(&v->code, "5x0"); }
static void m_code_short(struct verdict *v) { set(&v->code, "55"); }
static void m_code_2xx(struct verdict *v) { set(&v->code, "250"); }
static void m_code_class(struct verdict *v) { set(&v->code, "450"); }
static void m_tempfail_5xx(struct verdict *v) {
	v->action = ACTION_TEMPFAIL; set(&v->ecode, "4.7.1"); }
static void m_reply_accept(struct verdict *v) { v->action = ACTION_ACCEPT; }
static void m_ecode_class(struct verdict *v) { set(&v->ecode, "4.7.1"); }
static void m_ecode_form(struct verdict *v) { set(&v->ecode, "5.7"); }
static void m_ecode_long(struct verdict *v) { set(&v->ecode, "5.1000.1"); }
static void m_ecode_trail(struct verdict *v) { set(&v->ecode, "5.7.1x"); }
static void m_ecode_alone(struct verdict *v) { set(&v->code, NULL);
	set(&v->text, NULL); }
static void m_text_crlf(struct verdict *v) { set(&v->text, "a\r\n250 ok"); }
static void m_text_ctl(struct verdict *v) { set(&v->text, "bell\a"); }
static void m_text_8bit(struct verdict *v) { set(&v->text, "caf\xc3\xa9"); }
static void m_text_long(struct verdict *v) {
	char *s = malloc(VERDICT_TEXT_MAX + 2);
	memset(s, 'a', VERDICT_TEXT_MAX + 1); s[VERDICT_TEXT_MAX + 1] = 0;
	free(v->text); v->text = s; }
static void m_reason(struct verdict *v) { set(&v->reason, "why"); }
static void m_op_unknown(struct verdict *v) { v->ops[0].op = HDR_OP_MAX; }
static void m_op_zero(struct verdict *v) { v->ops[0].op = 0; }
static void m_name_colon(struct verdict *v) {
	set(&v->ops[0].name, "X-Filterd-A:B"); }
static void m_name_space(struct verdict *v) {
	set(&v->ops[0].name, "X-Filterd A"); }
static void m_name_empty(struct verdict *v) { set(&v->ops[0].name, ""); }
static void m_name_8bit(struct verdict *v) {
	set(&v->ops[0].name, "X-Filterd-\xe9"); }
static void m_value_lf(struct verdict *v) {
	set(&v->ops[0].value, "a\nBcc: x@example"); }
static void m_value_cr(struct verdict *v) { set(&v->ops[0].value, "a\rb"); }
static void m_value_crlf_end(struct verdict *v) {
	set(&v->ops[0].value, "a\r\n"); }
static void m_value_crlf_nows(struct verdict *v) {
	set(&v->ops[0].value, "a\r\nBcc: x"); }
static void m_value_fold(struct verdict *v) {
	set(&v->ops[0].value, "a\r\n\tb"); }
static void m_value_ctl(struct verdict *v) { set(&v->ops[0].value, "a\x01"); }
static void m_not_allowed(struct verdict *v) {
	set(&v->ops[0].name, "Received"); }
static void m_allowed_wild(struct verdict *v) {
	set(&v->ops[0].name, "x-filterd-score"); }
static void m_add_index(struct verdict *v) { v->ops[0].index = 3; }
static void m_del_value(struct verdict *v) { v->ops[0].op = HDR_DELETE;
	v->ops[0].index = 1; }
static void m_del_ok(struct verdict *v) { v->ops[0].op = HDR_DELETE;
	v->ops[0].index = 1; set(&v->ops[0].value, NULL); }
static void m_del_zero(struct verdict *v) { v->ops[0].op = HDR_DELETE;
	v->ops[0].index = 0; set(&v->ops[0].value, NULL); }
static void m_chg_noval(struct verdict *v) { v->ops[0].op = HDR_CHANGE;
	v->ops[0].index = 1; set(&v->ops[0].value, NULL); }
static void m_ins_far(struct verdict *v) { v->ops[0].op = HDR_INSERT;
	v->ops[0].index = 1000000; }
static void m_rule_name(struct verdict *v) { set(&v->rules[0], "a\nb"); }
static void m_rule_empty(struct verdict *v) { set(&v->rules[0], ""); }
static void m_log(struct verdict *v) { verdict_add_log(v, "x\r\ny"); }
static void m_trace_ok(struct verdict *v) { verdict_set_trace(v,
	"rule r: condition c: hit on \"\\x00\"\nrule r: hit\n"); }
static void m_trace_text(struct verdict *v) {
	verdict_set_trace(v, "rule r: hit on \"a\rb\"\n"); }
static void m_trace_part(struct verdict *v) {
	verdict_set_trace(v, "rule r: miss\n\nrule s: miss\n"); }
static void m_trace_rule(struct verdict *v) {
	verdict_set_trace(v, "rule r\x7f: miss\n"); }
static void m_trace_end(struct verdict *v) {
	verdict_set_trace(v, "rule r: miss\nrule s: miss"); }
static void m_trace_empty(struct verdict *v) { verdict_set_trace(v, ""); }
static void m_quarantine(struct verdict *v) {
	v->action = ACTION_QUARANTINE; set(&v->code, NULL);
	set(&v->ecode, NULL); set(&v->text, NULL); set(&v->reason, "spam"); }
static void m_quarantine_nl(struct verdict *v) { m_quarantine(v);
	set(&v->reason, "spam\n"); }
static void m_no_reply(struct verdict *v) { set(&v->code, NULL);
	set(&v->ecode, NULL); set(&v->text, NULL); }
static void m_none(struct verdict *v) { m_no_reply(v);
	v->action = ACTION_NONE; }

static const struct {
	void		(*mutate)(struct verdict *);
	const char	*why;	/* NULL: valid */
	const char	*desc;
} cases[] = {
	{ m_ok, NULL, "the base verdict is valid" },
	{ m_nonce, "nonce", "wrong nonce" },
	{ m_action, "unknown action", "unknown action" },
	{ m_action_cfg, "not allowed by configuration", "action not in policy" },
	{ m_code_digits, "three digits", "reply code with a letter" },
	{ m_code_short, "three digits", "two-digit reply code" },
	{ m_code_2xx, "4xx or 5xx", "2xx reply code" },
	{ m_code_class, "does not match", "4xx with reject" },
	{ m_tempfail_5xx, "does not match", "5xx with tempfail" },
	{ m_reply_accept, "takes none", "reply with accept" },
	{ m_ecode_class, "class differs", "4.x.y with 5xx" },
	{ m_ecode_form, "[45].x.y", "enhanced code with two parts" },
	{ m_ecode_long, "[45].x.y", "enhanced code with 4 digits" },
	{ m_ecode_trail, "[45].x.y", "enhanced code with trailing junk" },
	{ m_ecode_alone, "without reply code", "enhanced code alone" },
	{ m_text_crlf, "printable", "reply text with CRLF" },
	{ m_text_ctl, "printable", "reply text with a control" },
	{ m_text_8bit, "printable", "reply text with 8-bit bytes" },
	{ m_text_long, "too long", "reply text over 980 bytes" },
	{ m_reason, "quarantine reason", "reason without quarantine" },
	{ m_op_unknown, "unknown header operation", "operation past the set" },
	{ m_op_zero, "unknown header operation", "operation 0" },
	{ m_name_colon, "field name", "header name with a colon" },
	{ m_name_space, "field name", "header name with a space" },
	{ m_name_empty, "empty header name", "empty header name" },
	{ m_name_8bit, "field name", "header name with 8-bit byte" },
	{ m_value_lf, "bare CR or LF", "header value with bare LF" },
	{ m_value_cr, "bare CR or LF", "header value with bare CR" },
	{ m_value_crlf_end, "bare CR or LF", "value ending in CRLF" },
	{ m_value_crlf_nows, "bare CR or LF", "CRLF not followed by WSP" },
	{ m_value_fold, NULL, "CRLF + TAB folding is fine" },
	{ m_value_ctl, "control", "header value with a control" },
	{ m_not_allowed, "not allowed", "header not allowed by config" },
	{ m_allowed_wild, NULL, "wildcard match, any case" },
	{ m_add_index, "with an index", "addition with an index" },
	{ m_del_value, "with a value", "deletion with a value" },
	{ m_del_ok, NULL, "deletion of index 1" },
	{ m_del_zero, "out of range", "deletion of index 0" },
	{ m_chg_noval, "without a value", "change without a value" },
	{ m_ins_far, "out of range", "insertion far past the end" },
	{ m_rule_name, "rule name", "rule name with a newline" },
	{ m_rule_empty, "rule name", "empty rule name" },
	{ m_log, "log line", "log line with CRLF" },
	{ m_trace_ok, NULL, "trace item, escaped" },
	{ m_trace_text, "trace", "trace text with a CR" },
	{ m_trace_part, "trace", "trace with an empty line" },
	{ m_trace_rule, "trace", "trace rule name with DEL" },
	{ m_trace_end, "trace", "trace without a last line end" },
	{ m_trace_empty, "trace", "empty trace" },
	{ m_quarantine, NULL, "quarantine with a reason" },
	{ m_quarantine_nl, "quarantine reason", "reason with a newline" },
	{ m_no_reply, NULL, "reject without a reply" },
	{ m_none, NULL, "no action" },
};

/* A configuration from text, or a bail-out. */
static struct config *
load(const char *text)
{
	struct config	*c;

	if ((c = config_load_text(text, "t.conf", stderr)) == NULL)
		bail("cannot load: %s", text);
	return c;
}

/*
 * The policy of a configuration with four rules, as policy_init builds it
 * from what the modules declared.  The validator cases below use it; it
 * borrows pol_conf's strings.
 */
static struct config	*pol_conf;

static void
test_policy(void)
{
	pol_conf = load("rules = ("
	    "{ name = \"r\"; body = \"a\"; action = \"reject\"; },"
	    "{ name = \"r\"; body = \"b\"; action = \"add-header\";"
	    "  add_header = \"X-Other: yes\"; },"
	    "{ name = \"r\"; body = \"c\"; action = \"tempfail\"; },"
	    "{ name = \"r\"; body = \"d\"; action = \"quarantine\"; }"
	    ");");
	if (policy_init(&pol, pol_conf) == -1)
		bail("policy_init");
	ok(validate_hdr_allowed(&pol, "X-Other"), "a rule's header is allowed");
	ok(!validate_hdr_allowed(&pol, "X-Othe"), "a prefix of it is not");
	ok(!(pol.actions & (1U << ACTION_DISCARD)), "discard is not allowed");
}

#define B(a)	(1U << ACTION_##a)
#define BASE	(B(NONE) | B(ACCEPT))

/*
 * What each built-in module declares from its settings, and what a shared
 * object declares in its entry: the actions exactly, a header that must be
 * allowed and one that must not.
 */
static const struct policy_case {
	const char	*text;
	uint32_t	 actions;
	const char	*allowed;
	const char	*refused;
	const char	*desc;
} policy_cases[] = {
	{ "", BASE | B(REJECT), "X-Filterd-Any", "Subject",
	    "defaults: oversize rejects, allowed_headers" },
	{ "limits = { oversize = \"accept\"; };", BASE, NULL, NULL,
	    "limits: oversize accept needs no action" },
	{ "limits = { oversize = \"tempfail\"; };", BASE | B(TEMPFAIL),
	    NULL, NULL, "limits: oversize tempfail" },
	{ "limits = { oversize = \"accept\"; }; allowed_headers = [];"
	    "scoring = { tag = 5.0; header = \"X-Score\";"
	    " subject_prefix = \"[S] \"; };", BASE, "X-Score", "X-Filterd-A",
	    "scoring: tag adds the header" },
	{ "limits = { oversize = \"accept\"; }; allowed_headers = [];"
	    "scoring = { tag = 5.0; subject_prefix = \"[S] \"; };", BASE,
	    "Subject", "From", "scoring: tag with a prefix changes Subject" },
	{ "limits = { oversize = \"accept\"; }; allowed_headers = [];"
	    "scoring = { quarantine = 5.0; subject_prefix = \"[S] \";"
	    " header = \"X-Score\"; };", BASE | B(QUARANTINE), "X-Score",
	    "Subject", "scoring: quarantine, and no prefix without tag" },
	{ "limits = { oversize = \"accept\"; };"
	    "scoring = { reject = 9.0; };", BASE | B(REJECT), NULL, NULL,
	    "scoring: reject" },
	{ "limits = { oversize = \"accept\"; };"
	    "attachments = { action = \"discard\"; };", BASE, NULL, NULL,
	    "attachments: nothing blocked, no action" },
	{ "limits = { oversize = \"accept\"; };"
	    "attachments = { action = \"discard\"; extensions = [\"exe\"]; };",
	    BASE | B(DISCARD), NULL, NULL, "attachments: extensions" },
	{ "limits = { oversize = \"accept\"; };"
	    "attachments = { action = \"quarantine\";"
	    " double_extensions = true; };", BASE | B(QUARANTINE), NULL, NULL,
	    "attachments: double extensions" },
	{ "limits = { oversize = \"accept\"; };"
	    "rules = ( { body = \"x\"; action = \"score\"; score = 1.0; } );",
	    BASE | B(TEMPFAIL), NULL, NULL,
	    "rules: a score rule sets no action but matching.on_error's" },
	{ "limits = { oversize = \"accept\"; };"
	    "matching = { on_error = \"quarantine\"; };"
	    "rules = ( { body = \"x\"; action = \"score\"; score = 1.0; } );",
	    BASE | B(QUARANTINE), NULL, NULL,
	    "rules: matching.on_error quarantine" },
	{ "limits = { oversize = \"accept\"; };"
	    "matching = { on_error = \"reject\"; };"
	    "rules = ( { client_cidr = \"192.0.2.0/24\"; action = \"score\";"
	    " score = 1.0; } );", BASE, NULL, NULL,
	    "rules: no pattern, no matching.on_error" },
	{ "limits = { oversize = \"accept\"; }; allowed_headers = [];"
	    "modules = ( { path = \"/m.so\"; actions = [ \"discard\" ];"
	    " headers = [ \"X-Mod-*\" ]; } );", BASE | B(DISCARD), "X-Mod-A",
	    "X-Filterd-A", "a shared object's declaration" },
};

static void
test_policy_case(const struct policy_case *t)
{
	struct config	*c = load(t->text);
	struct policy	 p;

	if (policy_init(&p, c) == -1)
		bail("policy_init");
	if (!ok(p.actions == t->actions, "%s: actions", t->desc))
		diag("got %#x, want %#x", p.actions, t->actions);
	if (t->allowed != NULL)
		ok(validate_hdr_allowed(&p, t->allowed), "%s: %s allowed",
		    t->desc, t->allowed);
	if (t->refused != NULL)
		ok(!validate_hdr_allowed(&p, t->refused), "%s: %s refused",
		    t->desc, t->refused);
	policy_clear(&p);
	config_free(&c);
}

/*
 * The bytes of a header value a worker writes (issue 9, finding 7): at
 * the edges of the control characters, of ASCII and of UTF-8.  A value
 * is "a" + the bytes + "b"; why is NULL when it must pass.
 */
static const struct value_case {
	const char	*bytes;
	const char	*why;
	const char	*desc;
} value_cases[] = {
	{ "\x1f", "control", "0x1f (unit separator)" },
	{ " ", NULL, "0x20 (space)" },
	{ "\t", NULL, "tab" },
	{ "~", NULL, "0x7e (tilde)" },
	{ "\x7f", "control", "0x7f (DEL)" },
	{ "\x80", "UTF-8", "0x80 alone (a continuation byte)" },
	{ "\xbf", "UTF-8", "0xbf alone" },
	{ "\xc2\x80", "control", "U+0080, the first C1 control" },
	{ "\xc2\x85", "control", "U+0085 (NEL)" },
	{ "\xc2\x9f", "control", "U+009F, the last C1 control" },
	{ "\xc2\xa0", NULL, "U+00A0, the first after C1" },
	{ "caf\xc3\xa9", NULL, "e acute" },
	{ "\xdf\xbf", NULL, "U+07FF, the last of two bytes" },
	{ "\xe0\xa0\x80", NULL, "U+0800, the first of three bytes" },
	{ "\xef\xbf\xbd", NULL, "U+FFFD" },
	{ "\xf0\x9f\x98\x80", NULL, "U+1F600, four bytes" },
	{ "\xf4\x8f\xbf\xbf", NULL, "U+10FFFF, the last code point" },
	{ "\xc0\xaf", "UTF-8", "overlong / in two bytes" },
	{ "\xc1\xbf", "UTF-8", "overlong U+007F in two bytes" },
	{ "\xe0\x9f\xbf", "UTF-8", "overlong U+07FF in three bytes" },
	{ "\xf0\x8f\xbf\xbf", "UTF-8", "overlong U+FFFF in four bytes" },
	{ "\xed\xa0\x80", "UTF-8", "a surrogate (U+D800)" },
	{ "\xf4\x90\x80\x80", "UTF-8", "past U+10FFFF" },
	{ "\xc3", "UTF-8", "a lead byte, then ASCII" },
	{ "\xe2\x82", "UTF-8", "three bytes cut after two" },
	{ "\xf0\x9f\x98", "UTF-8", "four bytes cut after three" },
	{ "\xf5\x80\x80\x80", "UTF-8", "0xf5, never a lead byte" },
	{ "\xfe", "UTF-8", "0xfe" },
	{ "\xff", "UTF-8", "0xff" },
	{ "\xc3\xa9\r\n \xc3\xa9", NULL, "UTF-8 across a fold" },
};

static void
test_value_bytes(void)
{
	const struct value_case	*t;
	struct verdict		 v;
	const char		*why;
	char			 value[32];
	size_t			 i;
	int			 rc;

	for (i = 0; i < sizeof(value_cases) / sizeof(value_cases[0]); i++) {
		t = &value_cases[i];
		snprintf(value, sizeof(value), "a%sb", t->bytes);
		base(&v);
		set(&v.ops[0].value, value);
		why = "";
		rc = validate_verdict(&v, NONCE, &pol, &why);
		if (t->why == NULL)
			ok(rc == 0, "header value with %s: accepted (%s)",
			    t->desc, rc ? why : "ok");
		else
			ok(rc == -1 && strstr(why, t->why) != NULL,
			    "header value with %s: refused (%s)", t->desc,
			    rc ? why : "accepted!");
		verdict_clear(&v);
	}
	/* The last byte of the value: nothing is read past the NUL. */
	base(&v);
	set(&v.ops[0].value, "a\xe2");
	ok(validate_verdict(&v, NONCE, &pol, &why) == -1,
	    "a value ending in a lead byte is refused");
	verdict_clear(&v);
}

/*
 * The bounds of the validator, each just inside and just outside it, so
 * that a changed comparison (">=" for ">", a bound one too far, a check
 * gone) shows.  Each case changes the base verdict; why is NULL when it
 * must be accepted.
 */

/* A new string of n bytes: prefix, then fill. */
static char *
str_n(const char *prefix, size_t n, char fill)
{
	size_t	 plen = strlen(prefix);
	char	*s;

	if (plen > n || (s = malloc(n + 1)) == NULL)
		bail("str_n");
	memcpy(s, prefix, plen);
	memset(s + plen, fill, n - plen);
	s[n] = '\0';
	return s;
}

static void
put(char **f, char *s)
{
	free(*f);
	*f = s;
}

static void b_value_max(struct verdict *v) {
	put(&v->ops[0].value, str_n("", VERDICT_HDR_VALUE_MAX, 'v')); }
static void b_value_over(struct verdict *v) {
	put(&v->ops[0].value, str_n("", VERDICT_HDR_VALUE_MAX + 1, 'v')); }
static void b_name_max(struct verdict *v) {
	put(&v->ops[0].name, str_n("X-Filterd-", VERDICT_HDR_NAME_MAX, 'n')); }
static void b_name_over(struct verdict *v) {
	put(&v->ops[0].name, str_n("X-Filterd-", VERDICT_HDR_NAME_MAX + 1,
	    'n')); }
static void b_name_del(struct verdict *v) {
	set(&v->ops[0].name, "X-Filterd-\x7f"); }
static void b_name_edges(struct verdict *v) {
	set(&v->ops[0].name, "X-Filterd-!~"); }
static void b_value_tab(struct verdict *v) { set(&v->ops[0].value, "a\tb"); }
static void b_value_us(struct verdict *v) { set(&v->ops[0].value, "a\x1f"); }
static void b_op(struct verdict *v, int op, uint32_t index) {
	v->ops[0].op = (uint8_t)op; v->ops[0].index = index;
	if (op == HDR_DELETE) set(&v->ops[0].value, NULL); }
static void b_chg_max(struct verdict *v) { b_op(v, HDR_CHANGE, MSG_INDEX_MAX); }
static void b_chg_over(struct verdict *v) {
	b_op(v, HDR_CHANGE, MSG_INDEX_MAX + 1); }
static void b_chg_zero(struct verdict *v) { b_op(v, HDR_CHANGE, 0); }
static void b_del_max(struct verdict *v) { b_op(v, HDR_DELETE, MSG_INDEX_MAX); }
static void b_del_over(struct verdict *v) {
	b_op(v, HDR_DELETE, MSG_INDEX_MAX + 1); }
static void b_ins_zero(struct verdict *v) { b_op(v, HDR_INSERT, 0); }
static void b_ins_max(struct verdict *v) { b_op(v, HDR_INSERT, MSG_INDEX_MAX); }
static void b_ins_over(struct verdict *v) {
	b_op(v, HDR_INSERT, MSG_INDEX_MAX + 1); }
static void b_add_one(struct verdict *v) { b_op(v, HDR_ADD, 1); }
static void b_code_long(struct verdict *v) { set(&v->code, "5500"); }
static void b_code_slash(struct verdict *v) { set(&v->code, "5/0"); }
static void b_code_colon(struct verdict *v) { set(&v->code, "55:"); }
static void b_code_509(struct verdict *v) { set(&v->code, "509"); }
static void b_code_599(struct verdict *v) { set(&v->code, "599"); }
static void b_code_6xx(struct verdict *v) { set(&v->code, "600"); }
static void b_code_3xx(struct verdict *v) { v->action = ACTION_TEMPFAIL;
	set(&v->code, "399"); set(&v->ecode, NULL); }
static void b_code_400(struct verdict *v) { v->action = ACTION_TEMPFAIL;
	set(&v->code, "400"); set(&v->ecode, "4.0.0"); }
static void b_ecode_max(struct verdict *v) { set(&v->ecode, "5.999.999"); }
static void b_ecode_empty_part(struct verdict *v) { set(&v->ecode, "5..1"); }
static void b_ecode_last_long(struct verdict *v) {
	set(&v->ecode, "5.1.1000"); }
static void b_text_max(struct verdict *v) {
	put(&v->text, str_n("", VERDICT_TEXT_MAX, 't')); }
static void b_text_edges(struct verdict *v) { set(&v->text, " ~ "); }
static void b_text_del(struct verdict *v) { set(&v->text, "a\x7f"); }
static void b_text_us(struct verdict *v) { set(&v->text, "a\x1f"); }
static void b_quarantine(struct verdict *v) {
	v->action = ACTION_QUARANTINE; set(&v->code, NULL);
	set(&v->ecode, NULL); set(&v->text, NULL); }
static void b_reason_empty(struct verdict *v) { b_quarantine(v);
	set(&v->reason, ""); }
static void b_reason_del(struct verdict *v) { b_quarantine(v);
	set(&v->reason, "spam\x7f"); }
static void b_rule_del(struct verdict *v) { set(&v->rules[0], "r\x7f"); }
static void b_log_del(struct verdict *v) { verdict_add_log(v, "l\x7f"); }
static void b_log_edges(struct verdict *v) { verdict_add_log(v, " ~"); }

static const struct {
	void		(*mutate)(struct verdict *);
	const char	*why;	/* NULL: valid */
	const char	*desc;
} bound_cases[] = {
	{ b_value_max, NULL, "header value of VERDICT_HDR_VALUE_MAX bytes" },
	{ b_value_over, "too long", "header value one byte longer" },
	{ b_name_max, NULL, "header name of VERDICT_HDR_NAME_MAX bytes" },
	{ b_name_over, "too long", "header name one byte longer" },
	{ b_name_del, "field name", "header name with DEL" },
	{ b_name_edges, NULL, "header name with '!' and '~' (0x21, 0x7e)" },
	{ b_value_tab, NULL, "header value with a tab" },
	{ b_value_us, "control", "header value with 0x1f" },
	{ b_chg_max, NULL, "change of index MSG_INDEX_MAX" },
	{ b_chg_over, "out of range", "change of index MSG_INDEX_MAX + 1" },
	{ b_chg_zero, "out of range", "change of index 0" },
	{ b_del_max, NULL, "deletion of index MSG_INDEX_MAX" },
	{ b_del_over, "out of range", "deletion of index MSG_INDEX_MAX + 1" },
	{ b_ins_zero, NULL, "insertion at index 0" },
	{ b_ins_max, NULL, "insertion at index MSG_INDEX_MAX" },
	{ b_ins_over, "out of range", "insertion at MSG_INDEX_MAX + 1" },
	{ b_add_one, "with an index", "addition with index 1" },
	{ b_code_long, "three digits", "four-digit reply code" },
	{ b_code_slash, "three digits", "reply code with '/' (below '0')" },
	{ b_code_colon, "three digits", "reply code with ':' (above '9')" },
	{ b_code_509, NULL, "reply code 509" },
	{ b_code_599, NULL, "reply code 599" },
	{ b_code_6xx, "4xx or 5xx", "reply code 600" },
	{ b_code_3xx, "4xx or 5xx", "reply code 399 with tempfail" },
	{ b_code_400, NULL, "reply code 400 with tempfail" },
	{ b_ecode_max, NULL, "enhanced code 5.999.999" },
	{ b_ecode_empty_part, "[45].x.y", "enhanced code with an empty part" },
	{ b_ecode_last_long, "[45].x.y", "enhanced code, last part 4 digits" },
	{ b_text_max, NULL, "reply text of VERDICT_TEXT_MAX bytes" },
	{ b_text_edges, NULL, "reply text of ' ' and '~' (0x20, 0x7e)" },
	{ b_text_del, "printable", "reply text with DEL" },
	{ b_text_us, "printable", "reply text with 0x1f" },
	{ b_reason_empty, "quarantine reason", "empty quarantine reason" },
	{ b_reason_del, "quarantine reason", "quarantine reason with DEL" },
	{ b_rule_del, "rule name", "rule name with DEL" },
	{ b_log_del, "log line", "log line with DEL" },
	{ b_log_edges, NULL, "log line of ' ' and '~'" },
};

static void
test_validate_bounds(void)
{
	struct verdict	 v;
	const char	*why;
	size_t		 i;
	int		 rc;

	for (i = 0; i < sizeof(bound_cases) / sizeof(bound_cases[0]); i++) {
		base(&v);
		bound_cases[i].mutate(&v);
		why = "";
		rc = validate_verdict(&v, NONCE, &pol, &why);
		if (bound_cases[i].why == NULL)
			ok(rc == 0, "bound: %s: accepted (%s)",
			    bound_cases[i].desc, rc ? why : "ok");
		else
			ok(rc == -1 && strstr(why, bound_cases[i].why) != NULL,
			    "bound: %s: refused (%s)", bound_cases[i].desc,
			    rc ? why : "accepted!");
		verdict_clear(&v);
	}
}

/*
 * The builders' bounds, which keep a module's verdict within what the
 * decoder takes and within the verdict's arrays: the last that fits is
 * taken, the next one refused, and what was there stays.
 */
static void
test_builder_bounds(void)
{
	struct verdict	 v;
	char		*s;
	size_t		 i;
	int		 all;

	memset(&v, 0, sizeof(v));
	for (all = 1, i = 0; i < VERDICT_LOGS_MAX; i++)
		all &= verdict_add_log(&v, "line") == 0;
	ok(all && v.nlogs == VERDICT_LOGS_MAX, "builder: %d log lines",
	    VERDICT_LOGS_MAX);
	ok(verdict_add_log(&v, "one too many") == -1 &&
	    v.nlogs == VERDICT_LOGS_MAX && strcmp(v.logs[VERDICT_LOGS_MAX - 1],
	    "line") == 0, "builder: one more log line is refused");
	for (all = 1, i = 0; i < VERDICT_RULES_MAX; i++)
		all &= verdict_add_rule(&v, "rule") == 0;
	ok(all && verdict_add_rule(&v, "rule") == -1 &&
	    v.nrules == VERDICT_RULES_MAX, "builder: %d rule names, not one "
	    "more", VERDICT_RULES_MAX);
	for (all = 1, i = 0; i < VERDICT_OPS_MAX; i++)
		all &= verdict_add_op(&v, HDR_ADD, 0, "X-A", "v") == 0;
	ok(all && verdict_add_op(&v, HDR_ADD, 0, "X-A", "v") == -1 &&
	    v.nops == VERDICT_OPS_MAX, "builder: %d header operations, not "
	    "one more", VERDICT_OPS_MAX);
	verdict_clear(&v);

	s = str_n("", VERDICT_LOG_MAX + 1, 'l');
	ok(verdict_add_log(&v, s + 1) == 0 && verdict_add_log(&v, s) == -1 &&
	    v.nlogs == 1, "builder: a log line of %d bytes, not one more",
	    VERDICT_LOG_MAX);
	free(s);
	s = str_n("", VERDICT_RULE_NAME_MAX + 1, 'r');
	ok(verdict_add_rule(&v, s + 1) == 0 && verdict_add_rule(&v, s) == -1 &&
	    v.nrules == 1, "builder: a rule name of %d bytes, not one more",
	    VERDICT_RULE_NAME_MAX);
	free(s);
	s = str_n("", VERDICT_REASON_MAX + 1, 'q');
	ok(verdict_set_reason(&v, s + 1) == 0 &&
	    verdict_set_reason(&v, s) == -1 &&
	    strlen(v.reason) == VERDICT_REASON_MAX,
	    "builder: a reason of %d bytes, not one more", VERDICT_REASON_MAX);
	free(s);
	s = str_n("", VERDICT_TEXT_MAX + 1, 't');
	ok(verdict_set_reply(&v, "550", "5.123.123", s + 1) == 0 &&
	    verdict_set_reply(&v, "550", NULL, s) == -1,
	    "builder: reply text of %d bytes, not one more",
	    VERDICT_TEXT_MAX);
	free(s);
	ok(verdict_set_reply(&v, "5500", NULL, NULL) == -1 &&
	    verdict_set_reply(&v, "550", "5.123.12345", NULL) == 0 &&
	    verdict_set_reply(&v, "550", "5.123.123456", NULL) == -1,
	    "builder: a code of 3 bytes, an enhanced code of 11, not more");
	s = str_n("", VERDICT_HDR_VALUE_MAX + 1, 'v');
	ok(verdict_add_op(&v, HDR_ADD, 0, "X-A", s + 1) == 0 &&
	    verdict_add_op(&v, HDR_ADD, 0, "X-A", s) == -1 && v.nops == 1,
	    "builder: a header value of %d bytes, not one more",
	    VERDICT_HDR_VALUE_MAX);
	free(s);
	s = str_n("", VERDICT_HDR_NAME_MAX + 1, 'n');
	ok(verdict_add_op(&v, HDR_ADD, 0, s + 1, "v") == 0 &&
	    verdict_add_op(&v, HDR_ADD, 0, s, "v") == -1 && v.nops == 2,
	    "builder: a header name of %d bytes, not one more",
	    VERDICT_HDR_NAME_MAX);
	free(s);
	verdict_clear(&v);
}

int
main(void)
{
	struct verdict	 v;
	const char	*why;
	size_t		 i;
	int		 rc;

	test_policy();
	for (i = 0; i < sizeof(policy_cases) / sizeof(policy_cases[0]); i++)
		test_policy_case(&policy_cases[i]);
	test_value_bytes();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		base(&v);
		cases[i].mutate(&v);
		why = "";
		rc = validate_verdict(&v, NONCE, &pol, &why);
		if (cases[i].why == NULL)
			ok(rc == 0, "%s: accepted (%s)", cases[i].desc,
			    rc ? why : "ok");
		else
			ok(rc == -1 && strstr(why, cases[i].why) != NULL,
			    "%s: refused (%s)", cases[i].desc,
			    rc ? why : "accepted!");
		verdict_clear(&v);
	}
	test_validate_bounds();
	test_builder_bounds();
	policy_clear(&pol);
	config_free(&pol_conf);
	return done_testing();
}
