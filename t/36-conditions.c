/*
 * 36-conditions: the rules module's conditions (issue 12) in one process:
 * named conditions combined with all/any/not and unless, recipient scope,
 * lists (address, domain, network) and their matching, the numeric and
 * envelope targets, the attachment policy as a condition, the trace hook,
 * and what filterd -n reports about them (file:line).  The rules run here
 * outside any sandbox, straight through modules_check: the sandboxed path
 * is t/36-examples.sh's, through filterd -t.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filterd/lib/buf.h"
#include "filterd/lib/config.h"
#include "filterd/lib/message.h"
#include "filterd/lib/verdict.h"
#include "filterd/lib/wire.h"
#include "filters/host.h"
#include "filters/lists.h"
#include "filters/rules.h"
#include "t/tap.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static const char *tmpdir;

/* Loads text as a configuration; errors go into errs when not NULL. */
static struct config *
load(const char *text, char *errs, size_t len)
{
	struct config	*c;
	FILE		*f;
	char		 path[512];

	snprintf(path, sizeof(path), "%s/t36.conf", tmpdir);
	if ((f = fopen(path, "w")) == NULL)
		bail("%s", path);
	fputs(text, f);
	fclose(f);
	if (errs == NULL)
		return config_load(path, stderr);
	if ((f = fmemopen(errs, len, "w")) == NULL)
		bail("fmemopen");
	c = config_load(path, f);
	fclose(f);
	return c;
}

static void
write_file(const char *name, const char *text)
{
	char	 path[512];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	if ((f = fopen(path, "w")) == NULL)
		bail("%s", path);
	fputs(text, f);
	fclose(f);
}

struct msgspec {
	const char	*sender;
	const char	*rcpts[4];
	const char	*client;
	const char	*auth;
	const char	*hdrs[6][2];
	const char	*body;
};

static struct message *
build(const struct msgspec *s)
{
	struct message	*m;
	size_t		 i;

	if ((m = message_new(1 << 20)) == NULL)
		bail("message_new");
	(void)message_set(&m->sender, s->sender ? s->sender : "<a@x.example>");
	(void)message_set(&m->client_addr, s->client ? s->client :
	    "192.0.2.1");
	(void)message_set(&m->helo, "mx.x.example");
	(void)message_set(&m->client_name, "mx.x.example");
	for (i = 0; i < 4 && s->rcpts[i] != NULL; i++)
		(void)message_add_rcpt(m, s->rcpts[i]);
	if (m->nrcpts == 0)
		(void)message_add_rcpt(m, "<b@y.example>");
	if (s->auth != NULL)
		(void)message_add_macro(m, "{auth_authen}", s->auth);
	for (i = 0; i < 6 && s->hdrs[i][0] != NULL; i++)
		(void)message_add_header(m, s->hdrs[i][0], s->hdrs[i][1]);
	if (s->body != NULL)
		(void)message_add_body(m, s->body, strlen(s->body));
	return m;
}

/* Runs the configuration's modules over the message; the rules hit. */
static int
run(const struct config *c, const struct msgspec *s, char *rules,
    size_t len, int *action_r)
{
	struct modules	*ms;
	struct message	*m = build(s);
	struct verdict	*v;
	char		 err[512];
	size_t		 i;
	int		 rc;

	if ((ms = modules_load_flags(c, MODULES_NOJIT, err,
	    sizeof(err))) == NULL)
		bail("modules: %s", err);
	if ((v = verdict_new()) == NULL)
		bail("verdict_new");
	rc = modules_check(ms, m, v);
	rules[0] = '\0';
	for (i = 0; i < v->nrules; i++)
		snprintf(rules + strlen(rules), len - strlen(rules), "%s%s",
		    i ? "," : "", v->rules[i]);
	*action_r = v->action;
	verdict_free(&v);
	modules_free(&ms);
	message_free(&m);
	return rc;
}

/* The rules that hit, "," between, or "error". */
static const char *
hits(const struct config *c, const struct msgspec *s)
{
	static char	 r[512];
	int		 a;

	if (run(c, s, r, sizeof(r), &a) == -1)
		return "error";
	return r;
}

#define BASE	"user = \"nobody\"; worker_user = \"daemon\";\n"

static void
test_combinations(void)
{
	struct config	*c;
	struct msgspec	 inv = { .hdrs = { { "Subject", "Your invoice" } } };
	struct msgspec	 inv_in = { .sender = "<boss@ours.example>",
	    .hdrs = { { "Subject", "Your invoice" } } };
	struct msgspec	 plain = { .hdrs = { { "Subject", "hello" } } };

	c = load(BASE
	    "conditions = (\n"
	    " { name = \"invoice\"; header = \"Subject\"; pattern = \"(?i)invoice\"; },\n"
	    " { name = \"inside\"; sender = \"@ours\\\\.example>?$\"; },\n"
	    " { name = \"outside\"; not = \"inside\"; },\n"
	    " { name = \"either\"; any = [ \"invoice\", \"inside\" ]; }\n"
	    ");\n"
	    "rules = (\n"
	    " { name = \"both\"; all = [ \"invoice\", \"outside\" ]; action = \"score\"; score = 1; },\n"
	    " { name = \"one\"; condition = \"either\"; action = \"score\"; score = 1; },\n"
	    " { name = \"plain\"; header = \"Subject\"; pattern = \"hello\"; action = \"score\"; score = 1; }\n"
	    ");\n", NULL, 0);
	if (c == NULL) {
		ok(0, "the configuration loads");
		return;
	}
	is_str(hits(c, &inv), "both,one", "all: invoice and outside");
	is_str(hits(c, &inv_in), "one", "not: an inside sender is not outside");
	is_str(hits(c, &plain), "plain", "a single-condition rule, as before");
	ok(1, "configuration with all, any, not and condition loads");
	config_free(&c);
}

static void
test_scope_unless(void)
{
	struct config	*c;
	struct msgspec	 lab = { .rcpts = { "<a@lab.ours.example>",
	    "<b@LAB.ours.example>" }, .hdrs = { { "Subject", "x" } } };
	struct msgspec	 mixed = { .rcpts = { "<a@lab.ours.example>",
	    "<c@ours.example>" }, .hdrs = { { "Subject", "x" } } };

	c = load(BASE
	    "lists = ( { name = \"lab\"; type = \"domain\"; entries = [ \"lab.ours.example\" ]; } );\n"
	    "conditions = (\n"
	    " { name = \"all-lab\"; recipient_in = \"lab\"; scope = \"all\"; },\n"
	    " { name = \"any-lab\"; recipient_in = \"lab\"; }\n"
	    ");\n"
	    "rules = (\n"
	    " { name = \"policy\"; header = \"Subject\"; pattern = \"x\"; unless = \"all-lab\"; action = \"score\"; score = 1; },\n"
	    " { name = \"some\"; condition = \"any-lab\"; action = \"score\"; score = 1; },\n"
	    " { name = \"every\"; recipient = \"(?i)lab\"; scope = \"all\"; action = \"score\"; score = 1; }\n"
	    ");\n", NULL, 0);
	if (c == NULL) {
		ok(0, "the configuration loads");
		return;
	}
	is_str(hits(c, &lab), "some,every",
	    "unless: every recipient in the exempt list exempts");
	is_str(hits(c, &mixed), "policy,some",
	    "a co-recipient outside the list is not exempt; any vs all");
	config_free(&c);
}

static void
test_lists(void)
{
	struct config	*c;
	struct msgspec	 s = { 0 };
	static const struct {
		const char	*sender, *client, *want;
	} cases[] = {
		{ "<Trusted@Partner.example>", "192.0.2.1", "addr,dom" },
		{ "<other@partner.example>", "192.0.2.1", "dom" },
		{ "<x@mail.partner.example>", "192.0.2.1", "dom" },
		{ "<x@bad.partner.example>", "192.0.2.1", "" },
		{ "<x@partner.example.net>", "10.1.2.3", "net" },
		{ "<x@y.example>", "10.99.1.1", "" },
		{ "<x@y.example>", "10.99.7.1", "net" },
		{ "<x@y.example>", "2001:db8::5", "net" },
		{ "<x@y.example>", "2001:db9::5", "" },
		{ "<x@y.example>", "::ffff:10.1.1.1", "net" },
	};
	size_t		 i;

	write_file("nets.txt", "# our networks\n10.0.0.0/8\n"
	    "!10.99.0.0/16   # the guest network\n10.99.7.0/24\n\n"
	    "2001:db8::/32\n");
	c = load(BASE
	    "lists = (\n"
	    " { name = \"a\"; type = \"address\"; entries = [ \"trusted@partner.example\" ]; },\n"
	    " { name = \"d\"; type = \"domain\"; entries = [ \"partner.example\", \"!bad.partner.example\" ]; },\n"
	    " { name = \"n\"; type = \"network\"; file = \"nets.txt\"; }\n"
	    ");\n"
	    "rules = (\n"
	    " { name = \"addr\"; sender_in = \"a\"; action = \"score\"; score = 1; },\n"
	    " { name = \"dom\"; sender_in = \"d\"; action = \"score\"; score = 1; },\n"
	    " { name = \"net\"; client_addr_in = \"n\"; action = \"score\"; score = 1; }\n"
	    ");\n", NULL, 0);
	if (c == NULL) {
		ok(0, "the configuration loads");
		return;
	}
	for (i = 0; i < NITEMS(cases); i++) {
		s.sender = cases[i].sender;
		s.client = cases[i].client;
		is_str(hits(c, &s), cases[i].want, "lists: %s from %s",
		    cases[i].sender, cases[i].client);
	}
	config_free(&c);
}

static void
test_numbers(void)
{
	struct config	*c;
	char		 big[3000];
	struct msgspec	 small = { .hdrs = { { "Subject", "x" } }, .body = "hi\r\n" };
	struct msgspec	 large = { .rcpts = { "<a@y.example>", "<b@y.example>",
	    "<c@y.example>" }, .auth = "alice@ours.example",
	    .hdrs = { { "Subject", "x" }, { "From", "a" }, { "To", "b" } } };

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	large.body = big;
	c = load(BASE
	    "lists = ( { name = \"users\"; type = \"address\"; entries = [ \"alice@ours.example\" ]; } );\n"
	    "rules = (\n"
	    " { name = \"size\"; size = \">= 2K\"; action = \"score\"; score = 1; },\n"
	    " { name = \"small\"; size = \"<100\"; action = \"score\"; score = 1; },\n"
	    " { name = \"rcpts\"; rcpt_count = \"> 2\"; action = \"score\"; score = 1; },\n"
	    " { name = \"hdrs\"; header_count = \"== 3\"; action = \"score\"; score = 1; },\n"
	    " { name = \"auth\"; auth_user = \"^alice@\"; action = \"score\"; score = 1; },\n"
	    " { name = \"authlist\"; auth_user_in = \"users\"; action = \"score\"; score = 1; },\n"
	    " { name = \"noauth\"; auth_user = \".\"; negate = true; action = \"score\"; score = 1; }\n"
	    ");\n", NULL, 0);
	if (c == NULL) {
		ok(0, "the configuration loads");
		return;
	}
	is_str(hits(c, &large), "size,rcpts,hdrs,auth,authlist",
	    "size, rcpt_count, header_count, auth_user, auth_user_in");
	is_str(hits(c, &small), "small,noauth",
	    "a small message without authentication");
	config_free(&c);
}

#define MIME_EXE \
	"--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n" \
	"--b\r\nContent-Type: application/octet-stream\r\n" \
	"Content-Disposition: attachment; filename=\"run.exe\"\r\n\r\nMZ\r\n" \
	"--b--\r\n"

static void
test_attachment_policy(void)
{
	struct config	*c;
	struct msgspec	 lab = { .rcpts = { "<a@lab.example>" },
	    .hdrs = { { "MIME-Version", "1.0" },
	    { "Content-Type", "multipart/mixed; boundary=b" } },
	    .body = MIME_EXE };
	struct msgspec	 other = lab;
	char		 r[256];
	int		 action;

	other.rcpts[0] = "<a@lab.example>";
	other.rcpts[1] = "<b@elsewhere.example>";
	c = load(BASE
	    "attachments = { extensions = [ \"exe\" ]; in_rules = true; };\n"
	    "lists = ( { name = \"exempt\"; type = \"domain\"; entries = [ \"lab.example\" ]; } );\n"
	    "conditions = ( { name = \"exempt-only\"; recipient_in = \"exempt\"; scope = \"all\"; } );\n"
	    "rules = ( { name = \"attachments\"; attachment_policy = true; unless = \"exempt-only\";\n"
	    "    action = \"reject\"; reply = \"550 5.7.1 Attachment type not allowed\"; },\n"
	    "  { name = \"named\"; attachment_name = \"(?i)\\\\.exe$\"; action = \"score\"; score = 1; } );\n",
	    NULL, 0);
	if (c == NULL) {
		ok(0, "the configuration loads");
		return;
	}
	(void)run(c, &lab, r, sizeof(r), &action);
	ok(action == ACTION_NONE && strcmp(r, "named") == 0,
	    "attachment policy in the rules: an exempt recipient domain "
	    "(rules %s)", r);
	(void)run(c, &other, r, sizeof(r), &action);
	ok(action == ACTION_REJECT && strcmp(r, "attachments") == 0,
	    "with a co-recipient outside it, the policy applies (rules %s)",
	    r);
	config_free(&c);
}

struct trace {
	char	 buf[2048];
};

static void
trace_cb(void *arg, const char *rule, const char *cond, int hit,
    const char *text)
{
	struct trace	*t = arg;
	size_t		 n = strlen(t->buf);

	snprintf(t->buf + n, sizeof(t->buf) - n, "%s/%s=%d[%s];", rule,
	    cond != NULL ? cond : "-", hit, text);
}

static void
test_trace(void)
{
	struct config	*c;
	struct trace	 t;
	struct msgspec	 s = { .hdrs = { { "Subject", "Cheap \001pills now" } } };

	c = load(BASE
	    "conditions = ( { name = \"pills\"; header = \"Subject\"; pattern = \"(?i)cheap\\\\s+.pills\"; } );\n"
	    "rules = (\n"
	    " { name = \"r1\"; condition = \"pills\"; action = \"score\"; score = 1; },\n"
	    " { name = \"r2\"; all = [ \"pills\" ]; action = \"score\"; score = 1; },\n"
	    " { name = \"r3\"; sender = \"nobody\"; action = \"score\"; score = 1; }\n"
	    ");\n", NULL, 0);
	if (c == NULL) {
		ok(0, "the configuration loads");
		return;
	}
	memset(&t, 0, sizeof(t));
	rules_set_trace(trace_cb, &t);
	(void)hits(c, &s);
	rules_set_trace(NULL, NULL);
	is_str(t.buf, "r1/pills=1[Cheap \\x01pills now];r1/-=1[];r2/-=1[];"
	    "r3/-=0[];", "trace: each rule and condition, what hit, escaped; "
	    "a condition is evaluated once");
	config_free(&c);
}

/*
 * The trace travels in the verdict only when there is one, as its last
 * field: other frames are as they were.
 */
static void
test_trace_wire(void)
{
	struct verdict	 v, d;
	struct buf	*b = buf_new(WIRE_VERDICT_MAX);
	const char	*why;
	size_t		 plain;

	memset(&v, 0, sizeof(v));
	memset(&d, 0, sizeof(d));
	v.nonce = 7;
	if (b == NULL || wire_enc_verdict(b, &v) == -1)
		bail("wire_enc_verdict");
	plain = buf_len(b);
	ok(wire_dec_verdict(buf_data(b), buf_len(b), &d, &why) == 0 &&
	    d.trace == NULL, "a verdict without a trace has none");
	verdict_clear(&d);
	v.trace = (char *)(uintptr_t)"rule r: hit\n";
	buf_reset(b);
	if (wire_enc_verdict(b, &v) == -1)
		bail("wire_enc_verdict");
	ok(buf_len(b) == plain + 4 + 12 && wire_dec_verdict(buf_data(b),
	    buf_len(b), &d, &why) == 0 && d.trace != NULL &&
	    strcmp(d.trace, "rule r: hit\n") == 0,
	    "a trace is the verdict's last field, and comes back");
	verdict_clear(&d);
	buf_free(&b);
}

/* Errors -n reports: file:line and the message. */
static void
test_errors(void)
{
	static const struct {
		const char	*conf;
		const char	*want;
	} cases[] = {
		{ "rules = ( { name = \"r\"; condition = \"nope\"; action = \"reject\"; } );\n",
		  "t36.conf:2: rule r: unknown condition \"nope\"" },
		{ "conditions = ( { name = \"a\"; not = \"b\"; },\n"
		  "  { name = \"b\"; all = [ \"a\" ]; } );\n"
		  "rules = ( { name = \"r\"; condition = \"a\"; action = \"reject\"; } );\n",
		  "t36.conf:2: condition a: is part of a cycle" },
		{ "conditions = ( { name = \"a\"; sender = \"x\"; },\n"
		  "  { name = \"b\"; sender = \"y\"; } );\n"
		  "rules = ( { name = \"r\"; condition = \"a\"; action = \"reject\"; } );\n",
		  "t36.conf:3: condition b: no rule uses it" },
		{ "lists = ( { name = \"l\"; type = \"domain\"; entries = [ \"x.example\" ]; } );\n",
		  "t36.conf:2: list l: no condition uses it" },
		{ "rules = ( { name = \"r\"; sender_in = \"l\"; action = \"reject\"; } );\n",
		  "t36.conf:2: rule r: unknown list \"l\"" },
		{ "lists = ( { name = \"l\"; type = \"network\"; file = \"bad.txt\"; } );\n"
		  "rules = ( { name = \"r\"; client_addr_in = \"l\"; action = \"reject\"; } );\n",
		  "bad.txt:3: not an address or address/prefix" },
		{ "lists = ( { name = \"l\"; type = \"network\"; entries = [ \"10.0.0.0/8\" ]; } );\n"
		  "rules = ( { name = \"r\"; sender_in = \"l\"; action = \"reject\"; } );\n",
		  "t36.conf:3: rule r: list l is a network list, which this test cannot use" },
		{ "rules = ( { name = \"r\"; sender = \"x\"; scope = \"all\"; action = \"reject\"; } );\n",
		  "t36.conf:2: rule r: scope goes with a test of several values" },
		{ "rules = ( { name = \"r\"; size = \"big\"; action = \"reject\"; } );\n",
		  "t36.conf:2: rule r: size: \"big\" is not a comparison" },
		{ "attachments = { in_rules = true; };\n",
		  "t36.conf:0: attachments.in_rules is true, but no rule" },
		{ "lists = ( { name = \"l\"; type = \"address\"; entries = [ \"a@b.example\", \"!a@b.example\" ]; } );\n"
		  "rules = ( { name = \"r\"; sender_in = \"l\"; action = \"reject\"; } );\n",
		  "t36.conf:2: list l: an entry is both listed and excluded" },
	};
	struct config	*c;
	char		 errs[4096], text[2048];
	const char	*p;
	size_t		 i;

	write_file("bad.txt", "10.0.0.0/8\n# comment\n300.1.2.3\n");
	for (i = 0; i < NITEMS(cases); i++) {
		memset(errs, 0, sizeof(errs));
		snprintf(text, sizeof(text), BASE "%s", cases[i].conf);
		c = load(text, errs, sizeof(errs));
		p = strstr(errs, cases[i].want);
		ok(c == NULL && p != NULL && (p == errs || p[-1] == '/'),
		    "-n: %s", cases[i].want);
		if (p == NULL)
			diag("got: %s", errs);
		config_free(&c);
	}
}

/*
 * Lists whose entries would not fit in a snapshot are refused at the
 * check, not at a spawner's start: 250000 single addresses (3.5 MB of
 * file, within the 8 MiB of list files) take some 14 MB as entries.
 */
static void
test_dump_bound(void)
{
	struct config	*c;
	char		 path[512], errs[1024];
	FILE		*f;
	int		 i;

	snprintf(path, sizeof(path), "%s/many.txt", tmpdir);
	if ((f = fopen(path, "w")) == NULL)
		bail("%s", path);
	for (i = 0; i < 250000; i++)
		fprintf(f, "10.%d.%d.%d\n", i >> 16, (i >> 8) & 255, i & 255);
	fclose(f);
	memset(errs, 0, sizeof(errs));
	c = load(BASE
	    "lists = ( { name = \"n\"; type = \"network\"; file = \"many.txt\"; } );\n"
	    "rules = ( { name = \"r\"; client_addr_in = \"n\"; action = \"accept\"; } );\n",
	    errs, sizeof(errs));
	if (!ok(c == NULL && strstr(errs, "t36.conf:2: list n: the lists take "
	    "more than 12 MiB as entries of the configuration's snapshot") !=
	    NULL, "lists too large for a snapshot are refused with file:line"))
		diag("%s", errs);
	config_free(&c);
}

/* The dump carries the lists' entries: a snapshot needs no list file. */
static void
test_dump(void)
{
	struct config	*c, *d;
	char		*a = NULL, *b = NULL;
	size_t		 alen, blen;
	FILE		*f;

	write_file("dom.txt", "ours.example\n!guest.ours.example\n");
	c = load(BASE
	    "lists = ( { name = \"d\"; type = \"domain\"; file = \"dom.txt\"; },\n"
	    "  { name = \"n\"; type = \"network\"; entries = [ \"192.0.2.0/24\", \"2001:db8::/32\" ]; } );\n"
	    "conditions = ( { name = \"in\"; sender_in = \"d\"; unless = [ \"net\" ]; },\n"
	    "  { name = \"net\"; client_addr_in = \"n\"; negate = true; },\n"
	    "  { name = \"big\"; size = \"> 1M\"; } );\n"
	    "rules = ( { name = \"r\"; any = [ \"in\", \"big\" ]; action = \"reject\"; } );\n",
	    NULL, 0);
	if (c == NULL) {
		ok(0, "the configuration loads");
		return;
	}
	f = open_memstream(&a, &alen);
	config_dump(c, f);
	fclose(f);
	ok(strstr(a, "entries = [ \"!guest.ours.example\", \"ours.example\" ]")
	    != NULL && strstr(a, "dom.txt") == NULL,
	    "the dump has the list file's entries, not its name");
	unlink("/nonexistent");
	d = config_load_text(a, "snapshot", stderr);
	ok(d != NULL, "the dump loads");
	if (d != NULL) {
		f = open_memstream(&b, &blen);
		config_dump(d, f);
		fclose(f);
	}
	is_str(b, a, "the dump of the dump is the dump");
	free(a);
	free(b);
	config_free(&d);
	config_free(&c);
}

/* A PCRE2 error inside a named condition is never "no match". */
static void
test_fail_closed(void)
{
	struct config	*c;
	char		 body[4096], r[256];
	struct msgspec	 s = { .hdrs = { { "Subject", "x" } } };
	int		 action;

	memset(body, 'a', sizeof(body) - 1);
	body[sizeof(body) - 2] = 'x';
	body[sizeof(body) - 1] = '\0';
	s.body = body;
	c = load(BASE
	    "matching = { match_limit = 1000; on_error = \"tempfail\"; };\n"
	    "conditions = ( { name = \"slow\"; raw_body = \"(a+)+[bc]x\"; } );\n"
	    "rules = ( { name = \"r\"; not = \"slow\"; action = \"accept\"; } );\n",
	    NULL, 0);
	if (c == NULL) {
		ok(0, "the configuration loads");
		return;
	}
	(void)run(c, &s, r, sizeof(r), &action);
	is_int(action, ACTION_TEMPFAIL, "a match error under not gives "
	    "matching.on_error, not a hit");
	config_free(&c);
}

int
main(void)
{
	char	 dir[] = "/tmp/t36.XXXXXX", cmd[64];

	if ((tmpdir = mkdtemp(dir)) == NULL)
		bail("mkdtemp");
	test_combinations();
	test_scope_unless();
	test_lists();
	test_numbers();
	test_attachment_policy();
	test_trace();
	test_trace_wire();
	test_errors();
	test_dump();
	test_dump_bound();
	test_fail_closed();
	done_testing();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		diag("could not remove %s", tmpdir);
	return 0;
}
