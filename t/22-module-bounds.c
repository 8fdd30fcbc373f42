/*
 * t/22-module-bounds.c: the bounds of the built-in modules, each just
 * inside and just outside: a rule's address block at every kind of
 * prefix (not a multiple of 8 above all), a rule's score of either sign,
 * the scoring thresholds reached exactly and missed by a thousandth, the
 * limits on recipients, header fields and the longest header value at the
 * limit and one over.
 * Runs as a test program; each module is driven directly, as the worker
 * drives it (filters/host.c), on a configuration loaded from text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filterd/lib/config.h"
#include "filterd/lib/message.h"
#include "filterd/lib/verdict.h"
#include "filters/filter_impl.h"
#include "filters/limits.h"
#include "filters/mime.h"
#include "filters/rules.h"
#include "filters/scoring.h"
#include "t/tap.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static struct config *
load(const char *text)
{
	struct config	*c;

	if ((c = config_load_text(text, "t.conf", stderr)) == NULL)
		bail("cannot load: %s", text);
	return c;
}

/*
 * Runs one module over a message into v (zeroed first, then given the
 * score so far); returns the module's return value.
 */
static int
run(const struct filter_module *mod, void *state, const struct message *m,
    struct verdict *v, int32_t score)
{
	struct filter_msg	 fm = { m, NULL };
	struct filter_result	 fr = { v, 0 };
	struct mime		*mime;
	int			 rc;

	memset(v, 0, sizeof(*v));
	v->score = score;
	if ((mime = mime_parse(m->hdrs, m->nhdrs, m->body != NULL ? m->body :
	    (const uint8_t *)"", m->bodylen, NULL)) == NULL)
		bail("out of memory");
	fm.mime = mime;
	rc = mod->check(state, &fm, &fr);
	mime_free(&mime);
	return rc;
}

/* Client address blocks: prefix, an address inside, one just outside. */
static const struct cidr_case {
	const char	*block;
	const char	*in;
	const char	*out;
} cidr_cases[] = {
	{ "192.0.2.0/25", "192.0.2.127", "192.0.2.128" },
	{ "192.0.2.128/25", "192.0.2.128", "192.0.2.127" },
	{ "192.0.2.0/31", "192.0.2.1", "192.0.2.2" },
	{ "192.0.2.4/30", "192.0.2.7", "192.0.2.8" },
	{ "10.0.0.0/9", "10.127.255.255", "10.128.0.0" },
	{ "10.128.0.0/9", "10.128.0.0", "10.127.255.255" },
	{ "128.0.0.0/1", "200.1.1.1", "127.255.255.255" },
	{ "0.0.0.0/1", "127.255.255.255", "128.0.0.0" },
	{ "192.0.2.0/24", "192.0.2.255", "192.0.3.0" },
	{ "192.0.2.1/32", "192.0.2.1", "192.0.2.0" },
	{ "192.0.2.1", "192.0.2.1", "192.0.2.2" },
	{ "0.0.0.0/0", "255.255.255.255", "2001:db8::1" },
	{ "2001:db8::/33", "2001:db8:7fff:ffff::1", "2001:db8:8000::" },
	{ "2001:db8::/32", "2001:db8:ffff::1", "2001:db9::" },
	{ "2001:db8::/127", "2001:db8::1", "2001:db8::2" },
	{ "2001:db8::1/128", "2001:db8::1", "2001:db8::" },
	{ "::/0", "ffff::1", "192.0.2.1" },
	{ "::/1", "7fff::", "8000::" },
};

static void
test_cidr(void)
{
	const struct cidr_case	*t;
	struct config		*c;
	struct message		*m;
	struct verdict		 v;
	void			*state;
	char			 text[256], err[256];
	size_t			 i;

	for (i = 0; i < NITEMS(cidr_cases); i++) {
		t = &cidr_cases[i];
		snprintf(text, sizeof(text), "rules = ( { name = \"net\"; "
		    "client_cidr = \"%s\"; action = \"reject\"; } );",
		    t->block);
		c = load(text);
		if (rules_init(c, 0, &state, err, sizeof(err)) == -1)
			bail("rules_init: %s", err);
		m = message_new(1024);
		message_set(&m->client_addr, t->in);
		run(&filter_rules, state, m, &v, 0);
		ok(v.action == ACTION_REJECT, "cidr %s: %s is inside",
		    t->block, t->in);
		verdict_clear(&v);
		message_set(&m->client_addr, t->out);
		run(&filter_rules, state, m, &v, 0);
		ok(v.action == ACTION_NONE, "cidr %s: %s is outside",
		    t->block, t->out);
		verdict_clear(&v);
		message_free(&m);
		filter_rules.free(state);
		config_free(&c);
	}
}

/* A rule's score is added whatever its sign, and by a terminal rule too. */
static void
test_rule_scores(void)
{
	static const struct {
		const char	*score;
		const char	*action;
		int32_t		 want;
	} t[] = {
		{ "-1.5", "score", -1500 },
		{ "-0.001", "score", -1 },
		{ "0.001", "score", 1 },
		{ "-1000.0", "score", -1000000 },
		{ "1000.0", "score", 1000000 },
		{ "-2.0", "reject", -2000 },
		{ "2.5", "add-header\"; add_header = \"X-A: b", 2500 },
	};
	struct config	*c;
	struct message	*m;
	struct verdict	 v;
	void		*state;
	char		 text[256], err[256];
	size_t		 i;

	for (i = 0; i < NITEMS(t); i++) {
		snprintf(text, sizeof(text), "rules = ( { name = \"s\"; "
		    "helo = \"^mx\"; score = %s; action = \"%s\"; } );",
		    t[i].score, t[i].action);
		c = load(text);
		if (rules_init(c, 0, &state, err, sizeof(err)) == -1)
			bail("rules_init: %s", err);
		m = message_new(1024);
		message_set(&m->helo, "mx.example");
		run(&filter_rules, state, m, &v, 0);
		if (!ok(v.score == t[i].want && v.nrules == 1,
		    "rule score %s (%s) adds %d", t[i].score, t[i].action,
		    (int)t[i].want))
			diag("score %d, %zu rules", (int)v.score, v.nrules);
		verdict_clear(&v);
		message_free(&m);
		filter_rules.free(state);
		config_free(&c);
	}
}

/* Thresholds are reached at exactly their value, not a thousandth below. */
static void
test_thresholds(void)
{
	static const struct {
		const char	*conf;
		int32_t		 score;
		int		 action;
		size_t		 nops;
	} t[] = {
		{ "reject = 5.0;", 5000, ACTION_REJECT, 0 },
		{ "reject = 5.0;", 4999, ACTION_NONE, 0 },
		{ "reject = -1.0;", -1000, ACTION_REJECT, 0 },
		{ "reject = -1.0;", -1001, ACTION_NONE, 0 },
		{ "quarantine = 3.0;", 3000, ACTION_QUARANTINE, 1 },
		{ "quarantine = 3.0;", 2999, ACTION_NONE, 0 },
		{ "tag = 1.0;", 1000, ACTION_NONE, 1 },
		{ "tag = 1.0;", 999, ACTION_NONE, 0 },
		{ "tag = 1000.0;", 1000000, ACTION_NONE, 1 },
		{ "reject = 0.0; tag = 0.0;", 0, ACTION_NONE, 0 },
	};
	struct config	*c;
	struct message	*m = message_new(1024);
	struct verdict	 v;
	void		*state;
	char		 text[256], err[256];
	size_t		 i;

	for (i = 0; i < NITEMS(t); i++) {
		snprintf(text, sizeof(text), "scoring = { %s };", t[i].conf);
		c = load(text);
		if (scoring_init(c, 0, &state, err, sizeof(err)) == -1)
			bail("scoring_init: %s", err);
		run(&filter_scoring, state, m, &v, t[i].score);
		if (!ok(v.action == t[i].action && v.nops == t[i].nops,
		    "scoring %s at %.3f: %s, %zu header%s", t[i].conf,
		    t[i].score / 1000.0, action_name(t[i].action), t[i].nops,
		    t[i].nops == 1 ? "" : "s"))
			diag("got %s, %zu headers", action_name(v.action),
			    v.nops);
		verdict_clear(&v);
		filter_scoring.free(state);
		config_free(&c);
	}
	message_free(&m);
}

/* The limits module: recipients and header fields at the limit, one over. */
static void
test_limits(void)
{
	struct config	*c;
	struct message	*m = message_new(1024);
	struct verdict	 v;
	void		*state;
	char		 err[256], name[16];
	size_t		 i;

	c = load("limits = { max_recipients = 3; max_headers = 4; };");
	if (limits_init(c, 0, &state, err, sizeof(err)) == -1)
		bail("limits_init: %s", err);
	for (i = 0; i < 3; i++)
		message_add_rcpt(m, "r@example.net");
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "X-H%zu", i);
		message_add_header(m, name, "x");
	}
	run(&filter_limits, state, m, &v, 0);
	ok(v.action == ACTION_NONE, "limits: 3 recipients and 4 fields pass "
	    "max_recipients 3, max_headers 4");
	verdict_clear(&v);
	message_add_rcpt(m, "r@example.net");
	run(&filter_limits, state, m, &v, 0);
	ok(v.action == ACTION_REJECT && v.text != NULL &&
	    strstr(v.text, "4 recipients, at most 3") != NULL,
	    "limits: a 4th recipient is over");
	verdict_clear(&v);
	message_reset(m);
	for (i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "X-H%zu", i);
		message_add_header(m, name, "x");
	}
	run(&filter_limits, state, m, &v, 0);
	ok(v.action == ACTION_REJECT && v.text != NULL &&
	    strstr(v.text, "5 headers, at most 4") != NULL,
	    "limits: a 5th field is over");
	verdict_clear(&v);
	filter_limits.free(state);
	config_free(&c);
	message_free(&m);
}

/* The longest header value: max_header_size bytes pass, one more is over. */
static void
test_header_size(void)
{
	struct config	*c;
	struct message	*m = message_new(1024);
	struct verdict	 v;
	void		*state;
	char		 err[256], value[66];

	c = load("limits = { max_header_size = 64; };");
	if (limits_init(c, 0, &state, err, sizeof(err)) == -1)
		bail("limits_init: %s", err);
	memset(value, 'v', 64);
	value[64] = '\0';
	message_add_header(m, "X-A", value);
	run(&filter_limits, state, m, &v, 0);
	ok(v.action == ACTION_NONE,
	    "limits: a value of 64 bytes passes max_header_size 64");
	verdict_clear(&v);
	message_reset(m);
	memset(value, 'v', 65);
	value[65] = '\0';
	message_add_header(m, "X-A", value);
	run(&filter_limits, state, m, &v, 0);
	ok(v.action == ACTION_REJECT && v.text != NULL &&
	    strstr(v.text, "65 bytes in one header, at most 64") != NULL,
	    "limits: one of 65 bytes is over");
	verdict_clear(&v);
	filter_limits.free(state);
	config_free(&c);
	message_free(&m);
}

int
main(void)
{
	test_cidr();
	test_rule_scores();
	test_thresholds();
	test_limits();
	test_header_size();
	return done_testing();
}
