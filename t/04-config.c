/*
 * t/04-config.c: config_load and config_dump.  Runs as a test program;
 * reads the sample configuration and the files under t/data/conf.
 *
 * Every bad file must fail to load with its error, as "file:line: message",
 * and with no other line than those expected.  Good files must load with
 * the values they hold, and their dump must load again and dump to the very
 * same bytes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "filterd/lib/config.h"
#include "filterd/lib/verdict.h"
#include "filters/attach.h"
#include "filters/rules.h"
#include "filters/scoring.h"
#include "t/tap.h"

#ifndef SRCDIR
#define SRCDIR	"."
#endif

/* One error a bad file must produce, and how many lines it prints in all. */
static const struct bad_case {
	const char	*file;
	int		 line;
	const char	*msg;
	int		 nerr;
} bad_cases[] = {
	{ "syntax.conf", 4, "syntax error", 1 },
	{ "unknown-top.conf", 3, "unknown setting \"lissen\"; did you mean "
	    "\"listen\"?", 1 },
	{ "unknown-limits.conf", 4, "unknown setting \"limits.pool\"; did "
	    "you mean \"workers.pool\"?", 1 },
	{ "unknown-rule-key.conf", 5, "rule r1: unknown setting \"actoin\"; "
	    "did you mean \"action\"?", 1 },
	{ "unknown-group-key.conf", 3, "unknown setting "
	    "\"limits.mesage_size\"; did you mean \"limits.message_size\"?",
	    1 },
	{ "unknown-far.conf", 2, "unknown setting \"frobnicate\"", 1 },
	{ "module-inf-setting.conf", 3, "module /nonexistent.so: settings: "
	    "big is not a finite number", 1 },
	{ "newline-in-error.conf", 2, "on_failure: \"bounce\\x0afuzz.conf:1: "
	    "forged\" is not one of the allowed actions", 1 },
	{ "module-relative.conf", 2, "module example.so: path must be "
	    "absolute", 1 },
	{ "unknown-module-key.conf", 3, "module /nonexistent.so: unknown "
	    "setting \"setings\"; did you mean \"settings\"?", 1 },
	{ "type-string-int.conf", 3,
	    "limits.worker_timeout: expected an integer", 1 },
	{ "range-message-size.conf", 4, "limits.message_size: 100 is out of "
	    "range (1024 to 1073741824)", 1 },
	{ "range-worker-timeout.conf", 3, "limits.worker_timeout: 3601 is "
	    "out of range (1 to 3600)", 1 },
	{ "bad-on-failure.conf", 2, "on_failure: \"discard\" is not one of "
	    "the allowed actions", 1 },
	{ "rule-two-targets.conf", 4, "rule two: needs exactly one of "
	    "header, any_header, body, raw_body, sender, recipient, helo, "
	    "client_name, client_addr, client_cidr, text, url, url_host, "
	    "auth_user, size, rcpt_count, header_count, attachment_name, "
	    "attachment_type, archive_entry, archive, attachment_policy, a "
	    "list's <target>_in, or condition, all, any, not", 1 },
	{ "rule-no-target.conf", 3, "rule none: needs exactly one of "
	    "header, any_header, body, raw_body, sender, recipient, helo, "
	    "client_name, client_addr, client_cidr, text, url, url_host, "
	    "auth_user, size, rcpt_count, header_count, attachment_name, "
	    "attachment_type, archive_entry, archive, attachment_policy, a "
	    "list's <target>_in, or condition, all, any, not", 1 },
	{ "rule-header-no-pattern.conf", 3, "rule hdr: pattern goes with "
	    "header, and header needs one", 1 },
	{ "rule-pattern-no-header.conf", 3, "rule pat: pattern goes with "
	    "header, and header needs one", 1 },
	{ "rule-unknown-action.conf", 3,
	    "rule bounce: unknown action \"bounce\"", 1 },
	{ "rule-reject-4xx.conf", 3, "rule rej: reply: reply code class "
	    "does not match the action", 1 },
	{ "rule-tempfail-5xx.conf", 3, "rule tf: reply: reply code class "
	    "does not match the action", 1 },
	{ "rule-accept-reply.conf", 3, "rule acc: reply: only reject and "
	    "tempfail take a reply", 1 },
	{ "rule-ecode-class.conf", 3, "rule cls: reply: enhanced code class "
	    "differs from reply code", 1 },
	{ "rule-add-header-missing.conf", 3, "rule tag: add_header goes with "
	    "action add-header, and it needs one", 1 },
	{ "rule-add-header-no-colon.conf", 3,
	    "rule tag: add_header must be \"Name: value\"", 1 },
	{ "rule-add-header-space.conf", 3, "rule tag: add_header: header "
	    "name is not an RFC 5322 field name", 1 },
	{ "rule-reason-not-quarantine.conf", 3,
	    "rule why: reason goes with action quarantine", 1 },
	{ "rules-not-list.conf", 3,
	    "rules: expected a list ( { ... }, ... )", 1 },
	{ "many-errors.conf", 2, "on_failure: \"quarantine\" is not one of "
	    "the allowed actions", 4 },
	{ "many-errors.conf", 4, "limits.worker_timeout: 0 is out of range "
	    "(1 to 3600)", 4 },
	{ "many-errors.conf", 7, "workers.pool: expected an integer", 4 },
	{ "many-errors.conf", 10, "rule r1: unknown action \"explode\"", 4 },
	{ "missing.conf", 0, NULL, 1 },
};

/*
 * Errors in the built-in modules' groups, which the modules' own tables
 * and hooks find: the same "file:line: message", did-you-mean included,
 * as the core's settings get; and the core's checks across its settings.
 * Loaded from text named "t.conf".
 */
static const struct text_case {
	const char	*text;
	int		 line;
	const char	*msg;
	int		 nerr;
} text_cases[] = {
	{ "scoring = {\n\trejct = 5.0;\n};\n", 2, "unknown setting "
	    "\"scoring.rejct\"; did you mean \"scoring.reject\"?", 1 },
	{ "scorng = { reject = 5.0; };\n", 1, "unknown setting \"scorng\"; "
	    "did you mean \"scoring\"?", 1 },
	{ "rule = ();\n", 1, "unknown setting \"rule\"; did you mean "
	    "\"rules\"?", 1 },
	{ "workers = { header = \"x\"; };\n", 1, "unknown setting "
	    "\"workers.header\"; did you mean \"scoring.header\"?", 1 },
	{ "scoring = { max_served = 1; };\n", 1, "unknown setting "
	    "\"scoring.max_served\"; did you mean \"workers.max_served\"?",
	    1 },
	{ "attachments = 5;\n", 1, "attachments: expected a group { ... }",
	    1 },
	{ "\nscoring = { tag = \"x\"; };\n", 2,
	    "scoring.tag: expected a number", 1 },
	{ "scoring = { reject = 1001; };\n", 1, "scoring.reject: 1001 is out "
	    "of range (-1000 to 1000)", 1 },
	{ "attachments = { action = \"accept\"; };\n", 1, "attachments."
	    "action: \"accept\" is not one of the allowed actions", 1 },
	{ "\n\nscoring = { reply = \"450 later\"; };\n", 3, "scoring.reply: "
	    "reply code class does not match the action", 1 },
	{ "attachments = { action = \"tempfail\"; };\n", 1,
	    "attachments.reply: reply code class does not match the action",
	    1 },
	{ "rules = { };\n", 1, "rules: expected a list ( { ... }, ... )", 1 },
	{ "matching = {\n\ton_error = \"discard\";\n};\n", 2,
	    "matching.on_error: \"discard\" is not one of on_failure, "
	    "tempfail, reject, accept, quarantine", 1 },
	{ "matching = { match_limit = 0; };\n", 1, "matching.match_limit: 0 "
	    "is out of range (1 to 1000000000)", 1 },
	{ "matching = { match_limit = 1000000001; };\n", 1, "matching."
	    "match_limit: 1000000001 is out of range (1 to 1000000000)", 1 },
	{ "matching = { on_eror = \"reject\"; };\n", 1, "unknown setting "
	    "\"matching.on_eror\"; did you mean \"matching.on_error\"?", 1 },
	/* The core's own check across settings: workers' user apart. */
	{ "user = \"mail\";\nworker_user = \"mail\";\n", 2, "worker_user "
	    "must name another user than user (both are \"mail\")", 1 },
	{ "\nuser = \"filterd-worker\";\n", 2, "worker_user must name "
	    "another user than user (both are \"filterd-worker\")", 1 },
	/* The penalties (their numbers' bounds are in num_bounds below). */
	{ "penalty = { enable = 1; };\n", 1, "penalty.enable: expected true "
	    "or false", 1 },
	{ "penalty = { exempt = [ \"10.0.0.0/33\" ]; };\n", 1,
	    "penalty.exempt: \"10.0.0.0/33\" is not an address or an address "
	    "block", 1 },
	{ "penalty = { exempt = [ \"::1/129\" ]; };\n", 1, "penalty.exempt: "
	    "\"::1/129\" is not an address or an address block", 1 },
	{ "penalty = { exempt = [ \"localhost\", \"10.1/8\" ]; };\n", 1,
	    "penalty.exempt: \"localhost\" is not an address or an address "
	    "block", 2 },
	{ "penalty = { exempt = [ \"10.0.0.0/08\" ]; };\n", 1,
	    "penalty.exempt: \"10.0.0.0/08\" is not an address or an address "
	    "block", 1 },
	{ "penalty = { exempt = [ \"[::1]\" ]; };\n", 1, "penalty.exempt: "
	    "\"[::1]\" is not an address or an address block", 1 },
	{ "penalty = { exempt = \"::1\"; };\n", 1, "penalty.exempt: "
	    "expected a list of strings", 1 },
	/* Logging, the control socket and metrics (config_obs.c). */
	{ "\nsyslog_facility = \"mial\";\n", 2, "syslog_facility: unknown "
	    "facility \"mial\" (mail, daemon, user, local0 to local7)", 1 },
	{ "syslog_facility = \"local8\";\n", 1, "syslog_facility: unknown "
	    "facility \"local8\" (mail, daemon, user, local0 to local7)", 1 },
	{ "\ncontrol_socket = \"run/ctl\";\n", 2, "control_socket: "
	    "\"run/ctl\" is not an absolute path", 1 },
	{ "listen = \"unix:/x\";\ncontrol_mode = \"0668\";\n", 2,
	    "control_mode: \"0668\" is not an octal mode such as \"0660\"",
	    1 },
	{ "control_mode = \"01777\";\n", 1, "control_mode: \"01777\" is "
	    "not an octal mode such as \"0660\"", 1 },
	{ "\n\nmetrics_listen = \"localhost:9154\";\n", 3,
	    "metrics_listen: \"localhost:9154\" is not ADDRESS:PORT (a "
	    "numeric address, [IPv6]:PORT, or *:PORT)", 1 },
	{ "metrics_listen = \"127.0.0.1:65536\";\n", 1, "metrics_listen: "
	    "\"127.0.0.1:65536\" is not ADDRESS:PORT (a numeric address, "
	    "[IPv6]:PORT, or *:PORT)", 1 },
	{ "metrics_listen = \"::1:9154\";\n", 1, "metrics_listen: "
	    "\"::1:9154\" is not ADDRESS:PORT (a numeric address, "
	    "[IPv6]:PORT, or *:PORT)", 1 },
	{ "quarantine_header = \"X-Bad Name\";\n", 1, "quarantine_header: "
	    "header name is not an RFC 5322 field name",
	    1 },
};

/* Files that load, for the dump round trip. */
static const char *const good_files[] = {
	"conf/filterd.conf",
	"t/data/conf/every-setting.conf",
	"t/data/conf/empty.conf",
};

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static const char	*srcdir;

static void	fmt(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* Formats into dst; a test that would truncate bails out. */
static void
fmt(char *dst, size_t len, const char *f, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, f);
	n = vsnprintf(dst, len, f, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len)
		bail("string too long: %s", f);
}

static void
src_path(char *dst, size_t len, const char *rel)
{
	fmt(dst, len, "%s/%s", srcdir, rel);
}

/* An in-memory stream for config_load's errors or config_dump's output. */
struct capture {
	FILE	*f;
	char	*s;
	size_t	 len;
};

static FILE *
cap_open(struct capture *c)
{
	c->s = NULL;
	c->len = 0;
	if ((c->f = open_memstream(&c->s, &c->len)) == NULL)
		bail("open_memstream failed");
	return c->f;
}

/* Closes the stream; c->s is then the NUL-terminated text. */
static const char *
cap_close(struct capture *c)
{
	if (fclose(c->f) == EOF)
		bail("open_memstream stream failed");
	c->f = NULL;
	return c->s;
}

/* Returns 1 when s starts with a line number and ": ". */
static int
lineno_ok(const char *s)
{
	size_t	 n = strspn(s, "0123456789");

	return n > 0 && strncmp(s + n, ": ", 2) == 0;
}

/*
 * Counts the lines of an error report; *bad_r is set when one of them
 * does not start with "path:N: ".
 */
static int
err_lines(const char *s, const char *path, int *bad_r)
{
	size_t		 plen = strlen(path);
	const char	*p;
	int		 n = 0;

	*bad_r = 0;
	for (; *s != '\0'; s = p + 1, n++) {
		if ((p = strchr(s, '\n')) == NULL) {
			*bad_r = 1;
			return n + 1;
		}
		if (strncmp(s, path, plen) != 0 || s[plen] != ':' ||
		    !lineno_ok(s + plen + 1))
			*bad_r = 1;
	}
	return n;
}

static void
test_bad(const struct bad_case *t)
{
	struct capture	 cap;
	struct config	*c;
	char		 path[4096], want[4096];
	const char	*out;
	int		 n, bad;

	fmt(want, sizeof(want), "t/data/conf/%s", t->file);
	src_path(path, sizeof(path), want);
	c = config_load(path, cap_open(&cap));
	out = cap_close(&cap);
	ok(c == NULL, "%s: does not load", t->file);
	config_free(&c);
	if (t->msg != NULL)
		fmt(want, sizeof(want), "%s:%d: %s\n", path, t->line,
		    t->msg);
	else
		fmt(want, sizeof(want), "%s: No such file", path);
	if (!ok(strstr(out, want) != NULL, "%s: line %d: %s", t->file,
	    t->line, t->msg ? t->msg : "No such file"))
		diag("got: %s", out);
	n = err_lines(out, path, &bad);
	if (t->msg == NULL)
		bad = 0;	/* "file: reason", no line to give */
	if (!ok(n == t->nerr && !bad, "%s: %d error line%s as file:line: "
	    "message", t->file, t->nerr, t->nerr == 1 ? "" : "s"))
		diag("got: %s", out);
	free(cap.s);
}

static void
test_text(const struct text_case *t)
{
	struct capture	 cap;
	struct config	*c;
	char		 want[4096];
	const char	*out;
	int		 n, bad;

	c = config_load_text(t->text, "t.conf", cap_open(&cap));
	out = cap_close(&cap);
	ok(c == NULL, "text %d: does not load", t->line);
	config_free(&c);
	fmt(want, sizeof(want), "t.conf:%d: %s\n", t->line, t->msg);
	if (!ok(strstr(out, want) != NULL, "t.conf:%d: %s", t->line, t->msg))
		diag("got: %s", out);
	n = err_lines(out, "t.conf", &bad);
	if (!ok(n == t->nerr && !bad, "%s: %d error line%s", t->msg, t->nerr,
	    t->nerr == 1 ? "" : "s"))
		diag("got: %s", out);
	free(cap.s);
}

static struct config *
load_good(const char *rel, char *path, size_t len)
{
	struct capture	 cap;
	struct config	*c;
	const char	*out;

	src_path(path, len, rel);
	c = config_load(path, cap_open(&cap));
	out = cap_close(&cap);
	if (!ok(c != NULL && *out == '\0', "%s loads without errors", rel))
		diag("errors: %s", out);
	free(cap.s);
	return c;
}

/* The rules of a loaded configuration: the rules module's settings. */
static const struct rules_conf *
rules_of(const struct config *c)
{
	return config_settings(c, &rules_settings);
}

static void
test_sample(void)
{
	const struct rule_conf	*r;
	struct config		*c;
	char			 path[4096];

	if ((c = load_good("conf/filterd.conf", path, sizeof(path))) == NULL) {
		skip(11, "the sample did not load");
		return;
	}
	is_str(c->path, path, "sample: path kept");
	is_str(c->listen, "unix:" FILTERD_RUNDIR "/filterd.sock", "sample: listen");
	is_int(c->on_failure, ACTION_TEMPFAIL, "sample: on_failure");
	is_int(c->message_size, 26214400, "sample: limits.message_size");
	is_int(rules_of(c)->nrules, 3, "sample: three rules");
	if (rules_of(c)->nrules != 3) {
		skip(6, "not three rules");
		config_free(&c);
		return;
	}
	r = rules_of(c)->rules;
	is_str(r[0].cond.header, "Subject", "sample: rule 1 header");
	is_str(r[0].ecode, "5.7.1", "sample: rule 1 enhanced code");
	is_str(r[0].text, "Subject not allowed", "sample: rule 1 text");
	is_int(r[1].action, RULE_ADD_HEADER, "sample: rule 2 action");
	is_str(r[1].hdr_value, "lottery", "sample: rule 2 value");
	is_str(r[2].name, "blocked-sender", "sample: rule 3 name");
	config_free(&c);
}

static void
test_every_setting(void)
{
	const struct scoring_conf	*sc;
	const struct attach_conf	*ac;
	const struct matching_conf	*mc;
	const struct rule_conf		*r;
	struct config			*c;
	char				 path[4096];

	if ((c = load_good("t/data/conf/every-setting.conf", path,
	    sizeof(path))) == NULL) {
		skip(17, "every-setting.conf did not load");
		return;
	}
	is_str(c->user, "daemon", "every: user");
	is_str(c->worker_user, "nobody", "every: worker_user");
	is_int(c->on_failure, ACTION_ACCEPT, "every: on_failure, any case");
	is_int(c->oversize, ACTION_TEMPFAIL, "every: limits.oversize");
	is_int(c->worker_timeout, 30, "every: limits.worker_timeout");
	ok(c->pool == 2 && c->memory == 256 && c->cpu == 5,
	    "every: workers.pool, memory and cpu");
	is_int(c->nallowed, 3, "every: three allowed headers");
	ok(c->max_recipients == 50 && c->max_headers == 200 &&
	    c->max_header_size == 4096, "every: limits on recipients, headers");
	sc = config_settings(c, &scoring_settings);
	ok(sc->tag == 3.5 && sc->quarantine == 8 && sc->reject == 12.25 &&
	    strcmp(sc->prefix, "[SPAM] ") == 0 && strcmp(sc->code, "554") == 0,
	    "every: scoring");
	ac = config_settings(c, &attach_settings);
	ok(ac->nexts == 2 && ac->ntypes == 2 && ac->dbl &&
	    ac->action == ACTION_QUARANTINE && c->max_mime_depth == 4 &&
	    c->max_mime_parts == 40, "every: attachments and MIME limits");
	mc = config_settings(c, &matching_settings);
	ok(mc->on_error == ACTION_QUARANTINE && mc->match_limit == 500000,
	    "every: matching");
	is_int(rules_of(c)->nrules, 17, "every: seventeen rules");
	if (rules_of(c)->nrules != 17) {
		skip(14, "not sixteen rules");
		config_free(&c);
		return;
	}
	r = rules_of(c)->rules;
	is_str(r[0].cond.pattern, "(?i)\"free\"\\s+\\$\\$\\$",
	    "every: escapes in a pattern");
	ok(r[1].code != NULL && r[1].ecode == NULL &&
	    r[1].text == NULL, "every: a reply of a code only");
	ok(r[2].ecode == NULL && r[2].text != NULL &&
	    strcmp(r[2].text, "try later") == 0,
	    "every: a reply with no enhanced code");
	is_str(r[5].reason, "uuencoded \\ attachment",
	    "every: quarantine reason");
	is_str(r[7].hdr_value, "tabbed\tvalue",
	    "every: add_header value, leading blanks dropped");
	is_str(r[8].name, "rule9", "every: an unnamed rule's name");
	is_int(r[7].line, 60, "every: a rule's line is its first");
	ok(r[9].cond.target == RULE_ANY_HEADER && r[9].action ==
	    RULE_SCORE && r[9].score == 2.5, "every: a score rule");
	ok(r[10].cond.target == RULE_RAW_BODY && r[10].cond.negate &&
	    r[10].score == -1, "every: negated, negative score");
	ok(r[14].cond.target == RULE_CLIENT_CIDR &&
	    r[14].cond.cidr_family == AF_INET && r[14].cond.cidr_bits == 24,
	    "every: an IPv4 block");
	ok(r[15].cond.cidr_family == AF_INET6 &&
	    r[15].cond.cidr_bits == 32, "every: an IPv6 block");
	ok(r[12].cond.target == RULE_CLIENT_NAME && r[13].cond.target ==
	    RULE_CLIENT_ADDR && r[11].cond.target == RULE_HELO,
	    "every: helo, client name and address rules");
	ok(!c->penalty && c->penalty_base == 5 && c->penalty_max == 100 &&
	    c->penalty_forgive == 0 && c->penalty_sources == 64 &&
	    c->penalty_ipv4_prefix == 24 && c->penalty_ipv6_prefix == 48,
	    "every: penalty");
	ok(c->npenalty_exempt == 3 &&
	    strcmp(c->penalty_exempt[2], "192.0.2.1") == 0,
	    "every: penalty.exempt, a plain address too");
	config_free(&c);
}

static void
test_defaults(void)
{
	struct config	*c;
	char		 path[4096];

	if ((c = load_good("t/data/conf/empty.conf", path,
	    sizeof(path))) == NULL) {
		skip(7, "empty.conf did not load");
		return;
	}
	is_str(c->user, "filterd", "defaults: user");
	is_int(c->oversize, ACTION_REJECT, "defaults: limits.oversize");
	is_int(c->worker_timeout, 10, "defaults: limits.worker_timeout");
	ok(c->nallowed == 1 &&
	    strcmp(c->allowed_headers[0], "X-Filterd-*") == 0,
	    "defaults: allowed_headers");
	is_int(rules_of(c)->nrules, 0, "defaults: no rules");
	ok(c->penalty && c->penalty_base == 30 && c->penalty_max == 600 &&
	    c->penalty_forgive == 3600 && c->penalty_sources == 10000 &&
	    c->penalty_ipv4_prefix == 32 && c->penalty_ipv6_prefix == 64,
	    "defaults: penalty");
	ok(c->npenalty_exempt == 2 &&
	    strcmp(c->penalty_exempt[0], "127.0.0.0/8") == 0 &&
	    strcmp(c->penalty_exempt[1], "::1/128") == 0,
	    "defaults: penalty.exempt, loopback, from a default of two");
	config_free(&c);
}

/* What the rules may do when a match fails: matching's policy. */
static uint32_t
matching_actions(const char *text)
{
	struct capture		 cap;
	struct config		*c;
	const struct conf_policy *p;
	uint32_t		 a = 0xffffffff;
	size_t			 i;

	c = config_load_text(text, "t.conf", cap_open(&cap));
	(void)cap_close(&cap);
	free(cap.s);
	for (i = 0; c != NULL && config_modules[i] != NULL; i++)
		if (config_modules[i] == &matching_settings &&
		    (p = config_policy(c, i)) != NULL)
			a = p->actions;
	config_free(&c);
	return a;
}

/*
 * matching.on_error is declared, so that the validator lets the verdict
 * through, only when there is a pattern to fail; its default follows
 * on_failure; and the bounds load as set.
 */
static void
test_matching(void)
{
	struct config			*c;
	const struct matching_conf	*mc;
	char				 path[4096];

	is_int(matching_actions("rules = ( { body = \"x\"; action = "
	    "\"accept\"; } );\n"), 1U << ACTION_TEMPFAIL,
	    "matching: on_failure's tempfail by default");
	is_int(matching_actions("on_failure = \"reject\";\nrules = ( "
	    "{ body = \"x\"; action = \"accept\"; } );\n"),
	    1U << ACTION_REJECT, "matching: on_failure's reject");
	is_int(matching_actions("matching = { on_error = \"accept\"; };\n"
	    "rules = ( { helo = \"x\"; action = \"score\"; score = 1; } "
	    ");\n"), 1U << ACTION_ACCEPT, "matching: on_error accept");
	is_int(matching_actions("matching = { on_error = \"reject\"; };\n"
	    "rules = ( { client_cidr = \"192.0.2.0/24\"; action = "
	    "\"accept\"; } );\n"), 0,
	    "matching: nothing without a pattern");
	is_int(matching_actions("matching = { match_limit = 1; };\n"), 0,
	    "matching: nothing without a rule; match_limit 1 loads");
	if ((c = load_good("t/data/conf/empty.conf", path,
	    sizeof(path))) == NULL) {
		skip(1, "empty.conf did not load");
		return;
	}
	mc = config_settings(c, &matching_settings);
	ok(mc->on_error == MATCHING_ON_FAILURE &&
	    mc->match_limit == 10000000, "matching: the defaults");
	config_free(&c);
}

/* Reads a whole small file into a new NUL-terminated string. */
static char *
slurp(const char *path)
{
	FILE	*f;
	char	*s;
	size_t	 n;

	if ((f = fopen(path, "r")) == NULL)
		bail("%s: cannot open", path);
	if ((s = malloc(65536)) == NULL)
		bail("out of memory");
	n = fread(s, 1, 65535, f);
	if (ferror(f) || !feof(f))
		bail("%s: cannot read, or too long", path);
	fclose(f);
	s[n] = '\0';
	return s;
}

/* Returns 1 when a line of text (not a comment) sets name. */
static int
text_sets(const char *text, const char *name)
{
	size_t		 len = strlen(name);
	const char	*s;

	for (s = text; s != NULL && *s != '\0'; s = strchr(s, '\n')) {
		s += strspn(s, "\n \t");
		if (strncmp(s, name, len) == 0 &&
		    s[len + strspn(s + len, " \t")] == '=')
			return 1;
	}
	return 0;
}

/* Returns the dump of a file that loads, as a new string. */
static char *
dump_of(const char *rel)
{
	struct capture	 cap;
	struct config	*c;
	char		 path[4096];

	src_path(path, sizeof(path), rel);
	if ((c = config_load(path, stderr)) == NULL)
		bail("%s does not load", rel);
	config_dump(c, cap_open(&cap));
	cap_close(&cap);
	config_free(&c);
	return cap.s;
}

/*
 * Every setting of the dump (the table) is shown in the sample, and set
 * away from its default by every-setting.conf, so that the dump round trip
 * covers it.  The dumps of empty.conf and every-setting.conf list the
 * settings in the same order, one a line, before "rules = (".
 */
static void
test_every_key(void)
{
	char		*d0, *d1, *sample, path[4096], name[128];
	const char	*l0, *l1;
	size_t		 n0, n1;

	src_path(path, sizeof(path), "conf/filterd.conf");
	sample = slurp(path);
	d0 = dump_of("t/data/conf/empty.conf");
	d1 = dump_of("t/data/conf/every-setting.conf");
	for (l0 = d0, l1 = d1; strncmp(l0, "rules = ", 8) != 0;
	    l0 += n0 + 1, l1 += n1 + 1) {
		n0 = strcspn(l0, "\n");
		n1 = strcspn(l1, "\n");
		if (l0[n0] == '\0' || l1[n1] == '\0')
			bail("a dump ends before its rules");
		if (n0 == 0 || strncmp(l0, "};", 2) == 0 || l0[n0 - 1] == '{')
			continue;
		l0 += strspn(l0, "\t");
		n0 = strcspn(l0, "\n");
		fmt(name, sizeof(name), "%.*s", (int)strcspn(l0, " ="), l0);
		ok(text_sets(sample, name), "the sample shows %s", name);
		l1 += strspn(l1, "\t");
		n1 = strcspn(l1, "\n");
		ok(n0 != n1 || strncmp(l0, l1, n0) != 0,
		    "every-setting.conf sets %s away from its default", name);
	}
	free(d1);
	free(d0);
	free(sample);
}

/* Writes s to a new temporary file; returns its path in tmp. */
static void
write_tmp(char *tmp, size_t len, const char *s)
{
	const char	*dir;
	FILE		*f;
	int		 fd;

	if ((dir = getenv("TMPDIR")) == NULL || *dir == '\0')
		dir = "/tmp";
	fmt(tmp, len, "%s/04-config.XXXXXX", dir);
	if ((fd = mkstemp(tmp)) == -1 || (f = fdopen(fd, "w")) == NULL)
		bail("%s: cannot create", tmp);
	if (fputs(s, f) == EOF || fclose(f) == EOF)
		bail("%s: cannot write", tmp);
}

/* The dump loads again and dumps to the same bytes. */
static void
test_dump(const char *rel)
{
	struct capture	 cap1, cap2;
	struct config	*c, *c2;
	char		 path[4096], tmp[4096];

	if ((c = load_good(rel, path, sizeof(path))) == NULL) {
		skip(2, "the file did not load");
		return;
	}
	config_dump(c, cap_open(&cap1));
	write_tmp(tmp, sizeof(tmp), cap_close(&cap1));
	c2 = config_load(tmp, stderr);
	ok(c2 != NULL, "%s: the dump loads", rel);
	if (c2 != NULL) {
		config_dump(c2, cap_open(&cap2));
		is_str(cap_close(&cap2), cap1.s,
		    "%s: the dump of the dump is the dump", rel);
		free(cap2.s);
	} else
		skip(1, "the dump did not load");
	unlink(tmp);
	free(cap1.s);
	config_free(&c2);
	config_free(&c);
}

/*
 * The snapshot a reload hands out is sealed, reads back to the same
 * configuration, and names the original file; a bad one is refused.
 */
static void
test_snapshot(const char *rel)
{
	struct capture	 cap1, cap2;
	struct config	*c, *c2;
	char		 path[4096];
	int		 fd;

	if ((c = load_good(rel, path, sizeof(path))) == NULL) {
		skip(4, "the file did not load");
		return;
	}
	fd = config_snapshot(c);
	ok(fd != -1, "%s: snapshot made", rel);
	ok(fd != -1 && write(fd, "x", 1) == -1 && errno == EPERM,
	    "%s: the snapshot is sealed against writes", rel);
	c2 = fd == -1 ? NULL : config_load_fd(fd, path, stderr);
	if (c2 != NULL) {
		config_dump(c, cap_open(&cap1));
		config_dump(c2, cap_open(&cap2));
		is_str(cap_close(&cap2), cap_close(&cap1),
		    "%s: the snapshot reads back to the same settings", rel);
		ok(strcmp(c2->path, path) == 0,
		    "%s: and keeps the file's name", rel);
		free(cap1.s);
		free(cap2.s);
	} else
		skip(2, "the snapshot did not load");
	if (fd != -1)
		close(fd);
	config_free(&c2);
	config_free(&c);
}

static void
test_snapshot_bad(void)
{
	struct capture	 cap;
	struct config	*c;
	const char	*out;
	int		 fd;

	if ((fd = memfd_create("t", 0)) == -1 ||
	    write(fd, "limits = { worker_timeout = 0; };\n", 34) != 34)
		bail("memfd");
	c = config_load_fd(fd, "/etc/x.conf", cap_open(&cap));
	out = cap_close(&cap);
	ok(c == NULL, "a bad snapshot is refused");
	if (!ok(strstr(out, "/etc/x.conf:1: limits.worker_timeout: 0 is out "
	    "of range") != NULL, "with the file's name and the line"))
		diag("got: %s", out);
	free(cap.s);
	config_free(&c);
	close(fd);
}

/*
 * The bounds of every numeric setting, just inside and just outside:
 * each must load at its minimum and maximum and be refused one step
 * beyond (1 for integers, 0.5 for numbers).  The bounds are written here
 * again, not read from the tables, so that a changed table shows; the
 * dump of the defaults is read to find any numeric setting missing here.
 */
static const struct num_bound {
	const char	*path;		/* group.key */
	const char	*min, *max;
	const char	*below, *above;
} num_bounds[] = {
	{ "limits.message_size", "1024", "1073741824", "1023", "1073741825" },
	{ "limits.worker_timeout", "1", "3600", "0", "3601" },
	/* The maximum of these three is a limit of message.h. */
	{ "limits.max_recipients", "1", NULL, "0", NULL },
	{ "limits.max_headers", "1", NULL, "0", NULL },
	{ "limits.max_header_size", "64", NULL, "63", NULL },
	{ "limits.max_mime_depth", "1", "32", "0", "33" },
	{ "limits.max_mime_parts", "1", "10000", "0", "10001" },
	{ "limits.max_urls", "1", "10000", "0", "10001" },
	{ "limits.archive_max_entries", "1", "1000000", "0", "1000001" },
	{ "limits.archive_max_depth", "1", "16", "0", "17" },
	{ "limits.archive_max_bytes", "1024", "1073741824", "1023",
	    "1073741825" },
	{ "workers.pool", "1", "256", "0", "257" },
	{ "workers.memory", "16", "65536", "15", "65537" },
	{ "workers.cpu", "1", "3600", "0", "3601" },
	{ "workers.max_served", "1", "1000000", "0", "1000001" },
	{ "scoring.tag", "-1000.0", "1000.0", "-1000.5", "1000.5" },
	{ "scoring.quarantine", "-1000.0", "1000.0", "-1000.5", "1000.5" },
	{ "scoring.reject", "-1000.0", "1000.0", "-1000.5", "1000.5" },
	{ "matching.match_limit", "1", "1000000000", "0", "1000000001" },
	{ "penalty.base", "1", "86400", "0", "86401" },
	{ "penalty.max", "1", "604800", "0", "604801" },
	{ "penalty.forgive", "0", "604800", "-1", "604801" },
	{ "penalty.sources", "16", "1000000", "15", "1000001" },
	{ "penalty.ipv4_prefix", "8", "32", "7", "33" },
	{ "penalty.ipv6_prefix", "16", "128", "15", "129" },
};

/* Loads "group = { key = value; };"; returns whether it loaded. */
static int
load_setting(const char *path, const char *value, char *err, size_t errlen)
{
	struct capture	 cap;
	struct config	*c;
	char		 text[256];
	size_t		 g = strcspn(path, ".");
	int		 loaded;

	fmt(text, sizeof(text), "%.*s = { %s = %s; };\n", (int)g, path,
	    path + g + 1, value);
	c = config_load_text(text, "t.conf", cap_open(&cap));
	snprintf(err, errlen, "%s", cap_close(&cap));
	free(cap.s);
	loaded = c != NULL;
	config_free(&c);
	return loaded;
}

static void
test_bound_1(const char *path, const char *value, int want)
{
	char	 err[512];

	if (!ok(load_setting(path, value, err, sizeof(err)) == want,
	    "bound: %s = %s %s", path, value, want ? "loads" : "is refused"))
		diag("errors: %s", err);
	else if (!want && !ok(strstr(err, "out of range") != NULL,
	    "bound: %s = %s: out of range", path, value))
		diag("errors: %s", err);
}

/* The line after l, or NULL. */
static char *
next_line(char *l)
{
	char	*nl = strchr(l, '\n');

	return nl != NULL ? nl + 1 : NULL;
}

/* Integers are formatted from the limits of message.h. */
static void
test_num_bounds(void)
{
	const struct num_bound	*b;
	char			 v[32], *d, *l, name[128];
	const char		*max, *above, *group = NULL;
	size_t			 i, j, glen = 0;
	int			 found;

	for (i = 0; i < NITEMS(num_bounds); i++) {
		b = &num_bounds[i];
		max = b->max;
		above = b->above;
		if (strcmp(b->path, "limits.max_recipients") == 0)
			j = MSG_RCPTS_MAX;
		else if (strcmp(b->path, "limits.max_headers") == 0)
			j = MSG_HDRS_MAX;
		else if (strcmp(b->path, "limits.max_header_size") == 0)
			j = MSG_HDR_VALUE_MAX;
		else
			j = 0;
		test_bound_1(b->path, b->min, 1);
		test_bound_1(b->path, b->below, 0);
		if (j != 0) {
			fmt(v, sizeof(v), "%zu", j);
			test_bound_1(b->path, v, 1);
			fmt(v, sizeof(v), "%zu", j + 1);
			test_bound_1(b->path, v, 0);
		} else {
			test_bound_1(b->path, max, 1);
			test_bound_1(b->path, above, 0);
		}
	}

	/* Every numeric setting of the dump is in the table above. */
	d = dump_of("t/data/conf/empty.conf");
	for (l = d; l != NULL && *l != '\0'; l = next_line(l)) {
		if (strncmp(l, "rules = ", 8) == 0)
			break;
		if (*l != '\t') {
			group = strstr(l, " = {") != NULL ? l : NULL;
			glen = group != NULL ? strcspn(group, " ") : 0;
			continue;
		}
		j = strcspn(l + 1, " ");
		if (group == NULL || strncmp(l + 1 + j, " = ", 3) != 0 ||
		    strchr("-0123456789", l[1 + j + 3]) == NULL)
			continue;
		fmt(name, sizeof(name), "%.*s.%.*s", (int)glen, group, (int)j,
		    l + 1);
		for (found = 0, i = 0; i < NITEMS(num_bounds); i++)
			found |= strcmp(num_bounds[i].path, name) == 0;
		ok(found, "bound: %s has its bounds tested here", name);
	}
	free(d);
}

/* A rules list of one rule, from the rule's settings. */
static int
load_rule(const char *rule, char *err, size_t errlen)
{
	struct capture	 cap;
	struct config	*c;
	char		 text[8192];
	int		 loaded;

	fmt(text, sizeof(text), "rules = ( { name = \"r\"; %s } );\n", rule);
	c = config_load_text(text, "t.conf", cap_open(&cap));
	snprintf(err, errlen, "%s", cap_close(&cap));
	free(cap.s);
	loaded = c != NULL;
	config_free(&c);
	return loaded;
}

static const struct rule_bound {
	const char	*rule;
	int		 loads;
	const char	*desc;
} rule_bounds[] = {
	{ "body = \"x\"; action = \"score\"; score = 1000.0;", 1,
	    "score 1000" },
	{ "body = \"x\"; action = \"score\"; score = 1000.5;", 0,
	    "score 1000.5" },
	{ "body = \"x\"; action = \"score\"; score = 1001;", 0,
	    "score 1001 (an integer)" },
	{ "body = \"x\"; action = \"score\"; score = -1000.0;", 1,
	    "score -1000" },
	{ "body = \"x\"; action = \"score\"; score = -1000.5;", 0,
	    "score -1000.5" },
	{ "body = \"x\"; action = \"score\"; score = 0.001;", 1,
	    "score 0.001" },
	{ "body = \"x\"; action = \"score\"; score = 0;", 0,
	    "score 0 with action score" },
	{ "client_cidr = \"192.0.2.1\"; action = \"reject\";", 1,
	    "an IPv4 address without a prefix" },
	{ "client_cidr = \"0.0.0.0/0\"; action = \"reject\";", 1,
	    "IPv4 /0" },
	{ "client_cidr = \"192.0.2.1/32\"; action = \"reject\";", 1,
	    "IPv4 /32" },
	{ "client_cidr = \"192.0.2.1/33\"; action = \"reject\";", 0,
	    "IPv4 /33" },
	{ "client_cidr = \"192.0.2.0/-1\"; action = \"reject\";", 0,
	    "IPv4 /-1" },
	{ "client_cidr = \"192.0.2.0/\"; action = \"reject\";", 0,
	    "IPv4 with an empty prefix" },
	{ "client_cidr = \"192.0.2.0/24x\"; action = \"reject\";", 0,
	    "IPv4 /24x" },
	{ "client_cidr = \"::/0\"; action = \"reject\";", 1, "IPv6 /0" },
	{ "client_cidr = \"2001:db8::1/128\"; action = \"reject\";", 1,
	    "IPv6 /128" },
	{ "client_cidr = \"2001:db8::1/129\"; action = \"reject\";", 0,
	    "IPv6 /129" },
	{ "client_cidr = \"0000:0000:0000:0000:0000:ffff:255.255.255.255\";"
	    " action = \"reject\";", 1, "the longest IPv6 address (45)" },
	{ "client_cidr = \"00000:0000:0000:0000:0000:ffff:255.255.255.255"
	    "/128\"; action = \"reject\";", 0, "an address of 46" },
};

/* What a rule of a loaded configuration holds: its CIDR prefix. */
static int
rule_cidr_bits(const char *cidr)
{
	struct config	*c;
	char		 text[512];
	int		 bits = -2;

	fmt(text, sizeof(text), "rules = ( { client_cidr = \"%s\"; "
	    "action = \"reject\"; } );\n", cidr);
	if ((c = config_load_text(text, "t.conf", stderr)) != NULL &&
	    rules_of(c)->nrules == 1)
		bits = rules_of(c)->rules[0].cond.cidr_bits;
	config_free(&c);
	return bits;
}

static void
test_rule_bounds(void)
{
	char	 err[1024];
	size_t	 i;

	for (i = 0; i < NITEMS(rule_bounds); i++)
		if (!ok(load_rule(rule_bounds[i].rule, err, sizeof(err)) ==
		    rule_bounds[i].loads, "bound: rule with %s %s",
		    rule_bounds[i].desc, rule_bounds[i].loads ? "loads" :
		    "is refused"))
			diag("errors: %s", err);
	ok(rule_cidr_bits("192.0.2.1") == 32 &&
	    rule_cidr_bits("2001:db8::1") == 128 &&
	    rule_cidr_bits("0.0.0.0/0") == 0 &&
	    rule_cidr_bits("10.0.0.0/9") == 9,
	    "bound: prefixes read as given; an address alone is /32 or /128");
}

/*
 * Strings: an empty T_STR, and the lengths that the validator would hold
 * a worker to -- a reply's text, a header's name and value, a rule's
 * name and quarantine reason -- are checked when the file is read, so
 * that no configuration makes every verdict of a rule invalid.
 */
static const struct str_bound {
	const char	*fmt;		/* with %s for the string */
	size_t		 len;
	char		 fill;
	int		 loads;
	const char	*desc;
} str_bounds[] = {
	{ "user = \"%s\";", 0, 'u', 0, "an empty user" },
	{ "scoring = { subject_prefix = \"%s\"; };", 0, 'p', 1,
	    "an empty subject_prefix (off)" },
	{ "scoring = { reply = \"550 5.7.1 %s\"; };", VERDICT_TEXT_MAX, 't', 1,
	    "scoring.reply text of VERDICT_TEXT_MAX" },
	{ "scoring = { reply = \"550 5.7.1 %s\"; };", VERDICT_TEXT_MAX + 1,
	    't', 0, "scoring.reply text one longer" },
	{ "attachments = { reply = \"550 %s\"; };", VERDICT_TEXT_MAX, 't', 1,
	    "attachments.reply text of VERDICT_TEXT_MAX" },
	{ "attachments = { reply = \"550 %s\"; };", VERDICT_TEXT_MAX + 1, 't',
	    0, "attachments.reply text one longer" },
	{ "scoring = { header = \"%s\"; };", VERDICT_HDR_NAME_MAX, 'h', 1,
	    "scoring.header of VERDICT_HDR_NAME_MAX" },
	{ "scoring = { header = \"%s\"; };", VERDICT_HDR_NAME_MAX + 1, 'h', 0,
	    "scoring.header one longer" },
	{ "scoring = { subject_prefix = \"%s\"; };", VERDICT_HDR_VALUE_MAX,
	    'p', 1, "scoring.subject_prefix of VERDICT_HDR_VALUE_MAX" },
	{ "scoring = { subject_prefix = \"%s\"; };", VERDICT_HDR_VALUE_MAX + 1,
	    'p', 0, "scoring.subject_prefix one longer" },
	{ "rules = ( { body = \"x\"; action = \"reject\"; "
	    "reply = \"550 %s\"; } );", VERDICT_TEXT_MAX, 't', 1,
	    "a rule's reply text of VERDICT_TEXT_MAX" },
	{ "rules = ( { body = \"x\"; action = \"reject\"; "
	    "reply = \"550 %s\"; } );", VERDICT_TEXT_MAX + 1, 't', 0,
	    "a rule's reply text one longer" },
	{ "rules = ( { body = \"x\"; action = \"add-header\"; "
	    "add_header = \"%s: v\"; } );", VERDICT_HDR_NAME_MAX, 'h', 1,
	    "a rule's add_header name of VERDICT_HDR_NAME_MAX" },
	{ "rules = ( { body = \"x\"; action = \"add-header\"; "
	    "add_header = \"%s: v\"; } );", VERDICT_HDR_NAME_MAX + 1, 'h', 0,
	    "a rule's add_header name one longer" },
	{ "rules = ( { body = \"x\"; action = \"add-header\"; "
	    "add_header = \"X-A: %s\"; } );", VERDICT_HDR_VALUE_MAX, 'v', 1,
	    "a rule's add_header value of VERDICT_HDR_VALUE_MAX" },
	{ "rules = ( { body = \"x\"; action = \"add-header\"; "
	    "add_header = \"X-A: %s\"; } );", VERDICT_HDR_VALUE_MAX + 1, 'v', 0,
	    "a rule's add_header value one longer" },
	{ "rules = ( { name = \"%s\"; body = \"x\"; action = \"reject\"; } );",
	    VERDICT_RULE_NAME_MAX, 'n', 1,
	    "a rule name of VERDICT_RULE_NAME_MAX" },
	{ "rules = ( { name = \"%s\"; body = \"x\"; action = \"reject\"; } );",
	    VERDICT_RULE_NAME_MAX + 1, 'n', 0, "a rule name one longer" },
	{ "rules = ( { name = \"%s\"; body = \"x\"; action = \"reject\"; } );",
	    0, 'n', 0, "an empty rule name" },
	{ "rules = ( { name = \"a\\tb%s\"; body = \"x\"; "
	    "action = \"reject\"; } );", 0, 'n', 0, "a rule name with a tab" },
	{ "rules = ( { name = \"a\\x7f%s\"; body = \"x\"; "
	    "action = \"reject\"; } );", 0, 'n', 0, "a rule name with DEL" },
	{ "rules = ( { body = \"x\"; action = \"quarantine\"; "
	    "reason = \"%s\"; } );", VERDICT_REASON_MAX, 'r', 1,
	    "a quarantine reason of VERDICT_REASON_MAX" },
	{ "rules = ( { body = \"x\"; action = \"quarantine\"; "
	    "reason = \"%s\"; } );", VERDICT_REASON_MAX + 1, 'r', 0,
	    "a quarantine reason one longer" },
	{ "rules = ( { body = \"x\"; action = \"quarantine\"; "
	    "reason = \"%s\"; } );", 0, 'r', 0, "an empty quarantine reason" },
	{ "rules = ( { body = \"x\"; action = \"quarantine\"; "
	    "reason = \"a\\tb%s\"; } );", 0, 'r', 0,
	    "a quarantine reason with a tab" },
};

static void
test_str_bounds(void)
{
	const struct str_bound	*b;
	struct capture		 cap;
	struct config		*c;
	char			*fill, text[8192];
	const char		*err, *pct;
	size_t			 i;

	for (i = 0; i < NITEMS(str_bounds); i++) {
		b = &str_bounds[i];
		if ((fill = malloc(b->len + 1)) == NULL)
			bail("out of memory");
		memset(fill, b->fill, b->len);
		fill[b->len] = '\0';
		if ((pct = strstr(b->fmt, "%s")) == NULL)
			bail("no %%s in %s", b->fmt);
		fmt(text, sizeof(text), "%.*s%s%s", (int)(pct - b->fmt), b->fmt,
		    fill, pct + 2);
		free(fill);
		c = config_load_text(text, "t.conf", cap_open(&cap));
		err = cap_close(&cap);
		if (!ok((c != NULL) == b->loads, "bound: %s %s", b->desc,
		    b->loads ? "loads" : "is refused"))
			diag("errors: %s", err);
		free(cap.s);
		config_free(&c);
	}
}

int
main(void)
{
	size_t	 i;

	if ((srcdir = getenv("top_srcdir")) == NULL || *srcdir == '\0')
		srcdir = SRCDIR;
	for (i = 0; i < NITEMS(bad_cases); i++)
		test_bad(&bad_cases[i]);
	for (i = 0; i < NITEMS(text_cases); i++)
		test_text(&text_cases[i]);
	test_sample();
	test_every_setting();
	test_defaults();
	test_matching();
	test_every_key();
	for (i = 0; i < NITEMS(good_files); i++)
		test_dump(good_files[i]);
	test_snapshot("conf/filterd.conf");
	test_snapshot("t/data/conf/every-setting.conf");
	test_snapshot_bad();
	test_num_bounds();
	test_rule_bounds();
	test_str_bounds();
	return done_testing();
}
