/*
 * 06-smtpd: the OpenSMTPD filter protocol (filterd/opensmtpd_proto.c), table
 * driven, with a fake worker in place of dispatch: every phase,
 * dot-stuffing, the final ".", "|" inside lines, header operations on the
 * emitted lines, interleaved sessions, oversize mail, disconnects, the
 * protocol errors that end the frontend, versions 0.6 and 0.7.  Runs in a
 * test program; trusts nothing but its own table.
 *
 * Each case is run twice: fed one line at a time, and one byte at a time.
 * Inputs and outputs are written in a shorthand (session a or b):
 *
 *	aF phase|params	filter|V|1.0|smtp-in|phase|A|f1|params
 *	aD text		filter|V|1.0|smtp-in|data-line|A|d1|text
 *	aC		filter|V|1.0|smtp-in|commit|A|c1|
 *	aR event|params	report|V|1.0|smtp-in|event|A|params
 *	!raw		the raw line, V replaced by the version
 *	=a  =b  =	the fake worker answers a's, b's, or every job
 *
 *	aP		filter-result|A|f1|proceed
 *	aL text		filter-dataline|A|d1|text
 *	aR decision	filter-result|A|c1|decision
 */
#include <stdlib.h>
#include <string.h>

#include "filterd/lib/buf.h"
#include "filterd/lib/log.h"
#include "filterd/lib/message.h"
#include "filterd/opensmtpd_proto.h"
#include "filterd/lib/verdict.h"
#include "t/tap.h"

#define SID_A	"00000000000000aa"
#define SID_B	"00000000000000bb"
#define MAXJOBS	16

struct top {
	int		 op;
	uint32_t	 index;
	const char	*name;
	const char	*value;
};

struct tverdict {
	int		 action;
	const char	*code, *ecode, *text, *reason;
	struct top	 ops[6];
	int		 fallback;
};

struct tcase {
	const char	*name;
	const char	*version;	/* default 0.6 */
	size_t		 size;		/* message_size; default 4096 */
	int		 oversize;	/* default reject */
	int		 malformed;	/* default reject */
	const char	*in;
	struct tverdict	 va, vb;	/* what the worker answers */
	const char	*msgs;		/* what the worker saw, or NULL */
	const char	*out;
	const char	*error;		/* a protocol error containing it */
	size_t		 sessions;	/* open at the end */
};

struct fake {
	struct smtpd_job	*jobs[MAXJOBS];
	size_t			 njobs;
	struct buf		*seen;
	const struct tcase	*tc;
};

/* The fake dispatcher */

static void
fake_submit(void *arg, struct smtpd_job *j)
{
	struct fake	*f = arg;

	if (f->njobs == MAXJOBS)
		bail("too many jobs");
	f->jobs[f->njobs++] = j;
}

static void
fake_fallback(void *arg, struct verdict *v)
{
	v->action = ACTION_TEMPFAIL;
	verdict_set_reply(v, "451", "4.3.0",
	    "Content filter failure, try again later");
}

static void
esc(struct buf *b, const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (s[i] == '\n')
			buf_printf(b, "\\n");
		else if (s[i] == '\r')
			buf_printf(b, "\\r");
		else if (s[i] == '\t')
			buf_printf(b, "\\t");
		else
			buf_put(b, &s[i], 1);
}

#define S(x)	((x) != NULL ? (x) : "-")

/* What the worker was given, in one comparable string. */
static void
fake_dump(struct buf *b, const struct message *m)
{
	size_t	 i;

	buf_printf(b, "from=<%s> rcpts=", S(m->sender));
	for (i = 0; i < m->nrcpts; i++)
		buf_printf(b, "%s%s", i ? "," : "", m->rcpts[i]);
	buf_printf(b, " client=%s/%s helo=%s qid=%s auth=%s\n",
	    S(m->client_addr), S(m->client_name), S(m->helo), S(m->queue_id),
	    S(message_macro(m, "{auth_authen}")));
	for (i = 0; i < m->nhdrs; i++) {
		buf_printf(b, "H %s: ", m->hdrs[i].name);
		esc(b, m->hdrs[i].value, strlen(m->hdrs[i].value));
		buf_printf(b, "\n");
	}
	buf_printf(b, "B ");
	esc(b, (const char *)m->body, m->bodylen);
	buf_printf(b, "\n");
}

static void
fake_answer(struct fake *f, struct smtpd_job *j, const struct tverdict *tv)
{
	size_t	 i;

	memset(&j->o, 0, sizeof(j->o));
	if (tv->fallback) {
		j->o.kind = OUTCOME_FALLBACK;
		snprintf(j->o.why, sizeof(j->o.why), "worker timed out");
		fake_fallback(NULL, &j->o.v);
		return;
	}
	j->o.v.action = (uint8_t)tv->action;
	if (tv->code != NULL || tv->text != NULL)
		verdict_set_reply(&j->o.v, tv->code, tv->ecode, tv->text);
	if (tv->reason != NULL)
		verdict_set_reason(&j->o.v, tv->reason);
	for (i = 0; i < 6 && tv->ops[i].op != 0; i++)
		verdict_add_op(&j->o.v, tv->ops[i].op, tv->ops[i].index,
		    tv->ops[i].name, tv->ops[i].value);
	(void)f;
}

/* Answers the jobs of session which ('a', 'b', or 0 for all). */
static int
fake_run(struct fake *f, struct smtpd_proto *p, char which)
{
	const char	*why;
	size_t		 i, k = 0;
	int		 rc = 0;

	for (i = 0; i < f->njobs; i++) {
		struct smtpd_job	*j = f->jobs[i];
		const char		*qid = j->m->queue_id;
		char			 sess = qid != NULL ? qid[0] : 'a';

		if (which != 0 && sess != which) {
			f->jobs[k++] = j;
			continue;
		}
		if (f->seen != NULL) {
			if (buf_len(f->seen) > 0)
				buf_printf(f->seen, "---\n");
			fake_dump(f->seen, j->m);
		}
		fake_answer(f, j, sess == 'b' ? &f->tc->vb : &f->tc->va);
		if (smtpd_proto_done(p, j, &why) == -1)
			rc = -1;
	}
	f->njobs = k;
	return rc;
}

/* The shorthand */

static const char *
sid(char c)
{
	return c == 'b' ? SID_B : SID_A;
}

/* !raw, aD text and aC; the "V" of a raw line is the version. */
static void
expand_in(struct buf *b, const char *l, size_t n, const char *v)
{
	const char	*r;
	int		 rn = n > 3 ? (int)(n - 3) : 0;

	if (l[0] == '!') {
		for (r = l + 1; r < l + n; r++)
			if (*r == 'V')
				buf_printf(b, "%s", v);
			else
				buf_put(b, r, 1);
	} else if (l[1] == 'D')
		buf_printf(b, "filter|%s|1.0|smtp-in|data-line|%s|d1|%.*s", v,
		    sid(l[0]), rn, n > 3 ? l + 3 : "");
	else if (l[1] == 'C')
		buf_printf(b, "filter|%s|1.0|smtp-in|commit|%s|c1|", v,
		    sid(l[0]));
	else
		bail("bad input shorthand: %.*s", (int)n, l);
	buf_printf(b, "\n");
}

/* aF phase|params and aR event|params: the session goes after the name. */
static void
expand_line(struct buf *b, const char *l, size_t n, const char *v)
{
	const char	*bar;
	size_t		 pn;

	if (l[0] == '!' || n < 4 || (l[1] != 'F' && l[1] != 'R')) {
		expand_in(b, l, n, v);
		return;
	}
	bar = memchr(l + 3, '|', n - 3);
	pn = bar != NULL ? (size_t)(bar - (l + 3)) : n - 3;
	if (l[1] == 'F')
		buf_printf(b, "filter|%s|1.0|smtp-in|%.*s|%s|f1|%.*s\n", v,
		    (int)pn, l + 3, sid(l[0]), bar != NULL ?
		    (int)(n - 3 - pn - 1) : 0, bar != NULL ? bar + 1 : "");
	else if (l[1] == 'R')
		buf_printf(b, "report|%s|1.0|smtp-in|%.*s|%s%s%.*s\n", v,
		    (int)pn, l + 3, sid(l[0]), bar != NULL ? "|" : "",
		    bar != NULL ? (int)(n - 3 - pn - 1) : 0,
		    bar != NULL ? bar + 1 : "");
}

static void
expand_out(struct buf *b, const char *l, size_t n)
{
	int	 rn = n > 3 ? (int)(n - 3) : 0;

	if (l[0] == '!')
		buf_printf(b, "%.*s", (int)(n - 1), l + 1);
	else if (l[1] == 'P')
		buf_printf(b, "filter-result|%s|f1|proceed", sid(l[0]));
	else if (l[1] == 'L')
		buf_printf(b, "filter-dataline|%s|d1|%.*s", sid(l[0]), rn,
		    l + 3);
	else if (l[1] == 'R')
		buf_printf(b, "filter-result|%s|c1|%.*s", sid(l[0]), rn,
		    l + 3);
	buf_printf(b, "\n");
}

static void
take_output(struct smtpd_proto *p, struct buf *b)
{
	const uint8_t	*o;
	size_t		 n;

	o = smtpd_proto_output(p, &n);
	if (b != NULL)
		buf_put(b, o, n);
	smtpd_proto_consume(p, n);
}

static int
feed(struct smtpd_proto *p, const struct buf *line, int bytewise,
    const char **why)
{
	const uint8_t	*d = buf_data(line);
	size_t		 i, n = buf_len(line);

	if (!bytewise)
		return smtpd_proto_feed(p, d, n, why);
	for (i = 0; i < n; i++)
		if (smtpd_proto_feed(p, d + i, 1, why) == -1)
			return -1;
	return 0;
}

static struct smtpd_proto *
start(const struct tcase *tc, struct fake *f, const char *v)
{
	static const struct smtpd_ops	 ops = { fake_submit, fake_fallback };
	struct smtpd_limits		 lim;
	struct smtpd_proto		*p;
	const char			*why;
	char				 hs[256];

	lim.message_size = tc->size ? tc->size : 4096;
	lim.oversize = tc->oversize ? tc->oversize : ACTION_REJECT;
	lim.malformed = tc->malformed ? tc->malformed : ACTION_REJECT;
	lim.worker_timeout = 10;
	if ((p = smtpd_proto_new(&lim, &ops, f)) == NULL)
		bail("smtpd_proto_new");
	snprintf(hs, sizeof(hs), "config|smtpd-version|x\n%s"
	    "config|subsystem|smtp-in\nconfig|ready\n",
	    strcmp(v, "0.7") == 0 ? "config|protocol|0.7\n" : "");
	if (smtpd_proto_feed(p, hs, strlen(hs), &why) == -1)
		bail("handshake: %s", why);
	take_output(p, NULL);
	return p;
}

static void
run_case(const struct tcase *tc, int bytewise)
{
	struct fake		 f;
	struct smtpd_proto	*p;
	struct buf		*out, *want, *line;
	const char		*v = tc->version ? tc->version : "0.6";
	const char		*l, *nl, *why = NULL, *err = NULL;
	const char		*mode = bytewise ? "bytes" : "lines";
	size_t			 n;

	memset(&f, 0, sizeof(f));
	f.tc = tc;
	f.seen = buf_new(1 << 20);
	out = buf_new(1 << 22);
	want = buf_new(1 << 20);
	line = buf_new(1 << 21);
	p = start(tc, &f, v);
	for (l = tc->in; *l != '\0' && err == NULL; l = nl + 1) {
		nl = strchr(l, '\n');
		n = (size_t)(nl - l);
		buf_reset(line);
		if (l[0] == '=') {
			if (fake_run(&f, p, n > 1 ? l[1] : 0) == -1)
				err = "done failed";
		} else {
			expand_line(line, l, n, v);
			if (feed(p, line, bytewise, &why) == -1)
				err = why;
		}
		take_output(p, out);
	}
	for (l = tc->out; *l != '\0'; l = nl + 1) {
		nl = strchr(l, '\n');
		expand_out(want, l, (size_t)(nl - l));
	}
	if (tc->error != NULL)
		ok(err != NULL && strstr(err, tc->error) != NULL,
		    "%s (%s): protocol error \"%s\"", tc->name, mode,
		    err ? err : "none");
	else if (!ok(err == NULL, "%s (%s): no protocol error", tc->name, mode))
		diag("error: %s", err);
	is_str(buf_cstr(out), buf_cstr(want), "%s (%s): output", tc->name,
	    mode);
	if (tc->msgs != NULL)
		is_str(buf_cstr(f.seen), tc->msgs, "%s (%s): the worker's "
		    "message", tc->name, mode);
	is_int((long long)smtpd_proto_sessions(p), (long long)tc->sessions,
	    "%s (%s): sessions left", tc->name, mode);
	/* Whatever is still out is answered, so that nothing leaks. */
	(void)fake_run(&f, p, 0);
	smtpd_proto_free(&p);
	buf_free(&f.seen);
	buf_free(&out);
	buf_free(&want);
	buf_free(&line);
}

#define X50 "x123456789x123456789x123456789x123456789x123456789"
#define X200 X50 X50 X50 X50
/* The longest data line OpenSMTPD 6.8 takes back whole, for A and d1. */
#define L2011 X200 X200 X200 X200 X200 X200 X200 X200 X200 X200 "12345678901"
#define HEAD \
	"aF connect|mx.example.org|192.0.2.7\n" \
	"aF ehlo|client.example.org\n" \
	"aF mail-from|a@example.org\n" \
	"aR tx-begin|a1b2c3d4\n" \
	"aR tx-mail|a1b2c3d4|ok|a@example.org\n" \
	"aF rcpt-to|b@example.net\n" \
	"aR tx-rcpt|a1b2c3d4|ok|b@example.net\n"
#define HEAD_OUT "aP\naP\naP\naP\n"
#define HEAD_MSG "from=<a@example.org> rcpts=b@example.net " \
	"client=192.0.2.7/mx.example.org helo=client.example.org " \
	"qid=a1b2c3d4 auth=-\n"

static const struct tcase cases[] = {
{ .name = "every phase, accepted",
  .in = HEAD
	"aF data|\n"
	"aD Subject: hello\n" "aD \n" "aD body\n" "aD .\n" "=\n"
	"aC\n" "aR tx-reset|a1b2c3d4\n" "aR link-disconnect\n",
  .va = { .action = ACTION_NONE },
  .msgs = HEAD_MSG "H Subject: hello\nB body\\r\\n\n",
  .out = HEAD_OUT "aP\n"
	"aL Subject: hello\n" "aL \n" "aL body\n" "aL .\n" "aR proceed\n" },
{ .name = "0.7: the same exchange",
  .version = "0.7",
  .in = HEAD "aD Subject: hello\n" "aD \n" "aD body\n" "aD .\n" "=\n"
	"aC\n",
  .va = { .action = ACTION_ACCEPT },
  .msgs = HEAD_MSG "H Subject: hello\nB body\\r\\n\n",
  .out = HEAD_OUT "aL Subject: hello\n" "aL \n" "aL body\n" "aL .\n"
	"aR proceed\n",
  .sessions = 1 },
{ .name = "dot-stuffing kept on the way back, removed for the worker",
  .in = HEAD "aD Subject: dots\n" "aD \n" "aD ..leading dot\n" "aD ..\n"
	"aD ...two\n" "aD .\n" "=\n" "aC\n",
  .va = { .action = ACTION_NONE,
	  .ops = { { HDR_ADD, 0, ".X-Filterd-Dot", "v" } } },
  .msgs = HEAD_MSG "H Subject: dots\n"
	"B .leading dot\\r\\n.\\r\\n..two\\r\\n\n",
  .out = HEAD_OUT "aL Subject: dots\n" "aL ..X-Filterd-Dot: v\n" "aL \n"
	"aL ..leading dot\n" "aL ..\n" "aL ...two\n" "aL .\n"
	"aR proceed\n",
  .sessions = 1 },
{ .name = "\"|\" inside data lines and parameters",
  .in = "aF connect|rdns|with|bars|192.0.2.8\n"
	"aR tx-begin|0000beef\n"
	"aR tx-mail|0000beef|ok|<odd|sender@example.org>\n"
	"aR tx-rcpt|0000beef|ok|b@example.net\n"
	"aD Subject: a | b ||\n" "aD \n" "aD |x|\n" "aD .\n" "=\n" "aC\n",
  .va = { .action = ACTION_NONE },
  .msgs = "from=<odd|sender@example.org> rcpts=b@example.net "
	"client=192.0.2.8/rdns|with|bars helo=- qid=0000beef auth=-\n"
	"H Subject: a | b ||\nB |x|\\r\\n\n",
  .out = "aP\n" "aL Subject: a | b ||\n" "aL \n" "aL |x|\n" "aL .\n"
	"aR proceed\n",
  .sessions = 1 },
{ .name = "header operations applied to the emitted lines",
  .in = HEAD "aD Received: from x\n" "aD \tby y\n" "aD X-Filterd-Old: one\n"
	"aD Subject: s\n" "aD X-Filterd-Old: two\n" "aD  folded\n"
	"aD X-Filterd-Gone: 1\n" "aD \n" "aD b\n" "aD .\n" "=\n" "aC\n",
  .va = { .action = ACTION_ACCEPT, .ops = {
	{ HDR_INSERT, 0, "X-Filterd-First", "top" },
	{ HDR_CHANGE, 1, "X-Filterd-Old", "new\r\n\tvalue" },
	{ HDR_DELETE, 2, "x-filterd-old", NULL },
	{ HDR_DELETE, 1, "X-Filterd-Gone", NULL },
	{ HDR_ADD, 0, "X-Filterd-Rule", "lottery" },
	{ HDR_CHANGE, 1, "X-Filterd-New", "added" } } },
  .msgs = HEAD_MSG "H Received: from x\\n\\tby y\nH X-Filterd-Old: one\n"
	"H Subject: s\nH X-Filterd-Old: two\\n folded\nH X-Filterd-Gone: 1\n"
	"B b\\r\\n\n",
  .out = HEAD_OUT "aL X-Filterd-First: top\n" "aL Received: from x\n"
	"aL \tby y\n" "aL X-Filterd-Old: new\n" "aL \tvalue\n"
	"aL Subject: s\n" "aL X-Filterd-New: added\n"
	"aL X-Filterd-Rule: lottery\n" "aL \n" "aL b\n" "aL .\n"
	"aR proceed\n",
  .sessions = 1 },
{ .name = "insert at an index, deletions in original numbering",
  .in = HEAD "aD A: 1\n" "aD X-F: 1\n" "aD X-F: 2\n" "aD X-F: 3\n" "aD \n"
	"aD .\n" "=\n" "aC\n",
  .va = { .action = ACTION_NONE, .ops = {
	{ HDR_DELETE, 1, "X-F", NULL }, { HDR_DELETE, 3, "X-F", NULL },
	{ HDR_INSERT, 1, "X-Ins", "i" }, { HDR_INSERT, 99, "X-End", "e" } } },
  .out = HEAD_OUT "aL A: 1\n" "aL X-Ins: i\n" "aL X-F: 2\n" "aL X-End: e\n"
	"aL \n" "aL .\n" "aR proceed\n",
  .sessions = 1 },
{ .name = "a body without a header is malformed: 550 5.6.0, no worker",
  .in = HEAD "aD just text\n" "aD .\n" "aC\n",
  .out = HEAD_OUT "aL .\n" "aR reject|550 5.6.0 Message header is malformed\n",
  .sessions = 1 },
{ .name = "an empty header: added fields go before the empty line",
  .in = HEAD "aD \n" "aD just text\n" "aD .\n" "=\n" "aC\n",
  .va = { .action = ACTION_NONE,
	  .ops = { { HDR_ADD, 0, "X-Filterd-Rule", "r" } } },
  .msgs = HEAD_MSG "B just text\\r\\n\n",
  .out = HEAD_OUT "aL X-Filterd-Rule: r\n" "aL \n" "aL just text\n"
	"aL .\n" "aR proceed\n",
  .sessions = 1 },
{ .name = "a leading mbox line stays first and is the field X-Mailbox-Line",
  .in = HEAD "aD From a@example.org Mon Jan  1 00:00:00 2024\n"
	"aD Subject: s\n" "aD \n" "aD b\n" "aD .\n" "=\n" "aC\n",
  .va = { .action = ACTION_QUARANTINE, .ops = {
	{ HDR_INSERT, 0, "X-Filterd-First", "top" },
	{ HDR_ADD, 0, "X-Filterd-Rule", "r" } } },
  .msgs = HEAD_MSG "H X-Mailbox-Line: From a@example.org Mon Jan  1 "
	"00:00:00 2024\nH Subject: s\nB b\\r\\n\n",
  .out = HEAD_OUT "aL From a@example.org Mon Jan  1 00:00:00 2024\n"
	"aL X-Spam: Yes\n" "aL X-Filterd-First: top\n" "aL Subject: s\n"
	"aL X-Filterd-Rule: r\n" "aL \n" "aL b\n" "aL .\n" "aR proceed\n",
  .sessions = 1 },
{ .name = "a line that is not a field after one: malformed, no worker",
  .in = HEAD "aD From: a@example.org\n" "aD Bogus line\n"
	"aD Subject: run this\n" "aD \n" "aD b\n" "aD .\n" "aC\n",
  .out = HEAD_OUT "aL .\n" "aR reject|550 5.6.0 Message header is malformed\n",
  .sessions = 1 },
{ .name = "malformed with malformed = quarantine: passed back whole, X-Spam",
  .malformed = ACTION_QUARANTINE,
  .in = HEAD "aD From: a@example.org\n" "aD Bogus line\n" "aD \n"
	"aD b\n" "aD .\n" "aC\n",
  .out = HEAD_OUT "aL X-Spam: Yes\n" "aL From: a@example.org\n"
	"aL Bogus line\n" "aL \n" "aL b\n" "aL .\n" "aR proceed\n",
  .sessions = 1 },
{ .name = "a field name with an 8-bit byte: malformed, no worker",
  .in = HEAD "aD From: a@example.org\n" "aD X-\xc3\xa9t\xc3\xa9: 1\n"
	"aD Subject: run this\n" "aD \n" "aD b\n" "aD .\n" "aC\n",
  .out = HEAD_OUT "aL .\n" "aR reject|550 5.6.0 Message header is malformed\n",
  .sessions = 1 },
{ .name = "quarantine: X-Spam: Yes first, commit proceeds",
  .in = HEAD "aD Subject: q\n" "aD \n" "aD x\n" "aD .\n" "=\n" "aC\n",
  .va = { .action = ACTION_QUARANTINE, .reason = "held" },
  .out = HEAD_OUT "aL X-Spam: Yes\n" "aL Subject: q\n" "aL \n" "aL x\n"
	"aL .\n" "aR proceed\n",
  .sessions = 1 },
{ .name = "reject: only the final dot, the reply at commit",
  .in = HEAD "aD Subject: executable\n" "aD \n" "aD x\n" "aD .\n" "=\n"
	"aC\n",
  .va = { .action = ACTION_REJECT, .code = "550", .ecode = "5.7.1",
	  .text = "Subject not allowed | really" },
  .out = HEAD_OUT "aL .\n" "aR reject|550 5.7.1 Subject not allowed | "
	"really\n",
  .sessions = 1 },
{ .name = "reject and tempfail without a reply get the defaults",
  .in = HEAD "aD X: x\n" "aD .\n" "=\n" "aC\n"
	"bF connect|h|192.0.2.9\n" "bR tx-begin|b0\n" "bD Y: y\n" "bD .\n"
	"=\n" "bC\n",
  .va = { .action = ACTION_REJECT }, .vb = { .action = ACTION_TEMPFAIL },
  .out = HEAD_OUT "aL .\n"
	"aR reject|550 5.7.1 Message rejected by content filter\n"
	"bP\n" "bL .\n"
	"bR reject|451 4.7.1 Message deferred by content filter\n",
  .sessions = 2 },
{ .name = "tempfail with 421 and discard (answered as a reject)",
  .in = HEAD "aD X: x\n" "aD .\n" "=\n" "aC\n"
	"bR tx-begin|b0\n" "bD Y: y\n" "bD .\n" "=\n" "bC\n",
  .va = { .action = ACTION_TEMPFAIL, .code = "421", .ecode = "4.7.0",
	  .text = "Go away" },
  .vb = { .action = ACTION_DISCARD },
  .out = HEAD_OUT "aL .\n" "aR reject|421 4.7.0 Go away\n" "bL .\n"
	"bR reject|550 5.7.1 Message rejected by content filter\n",
  .sessions = 2 },
{ .name = "worker failure: the fallback",
  .in = HEAD "aD Subject: x\n" "aD .\n" "=\n" "aC\n",
  .va = { .fallback = 1 },
  .out = HEAD_OUT "aL .\n"
	"aR reject|451 4.3.0 Content filter failure, try again later\n",
  .sessions = 1 },
{ .name = "interleaved sessions, answered out of order",
  .in = "aF connect|ha|192.0.2.1\n" "bF connect|hb|192.0.2.2\n"
	"aR tx-begin|a0\n" "bR tx-begin|b0\n"
	"bR tx-mail|b0|ok|b@x\n" "aR tx-mail|a0|ok|a@x\n"
	"aR tx-rcpt|a0|ok|ra@y\n" "bR tx-rcpt|b0|permfail|bad@y\n"
	"bR tx-rcpt|b0|ok|rb@y\n" "aR tx-rcpt|a0|ok|ra2@y\n"
	"aD Subject: A\n" "bD Subject: B\n" "bD \n" "aD \n" "bD body b\n"
	"aD body a\n" "bD .\n" "aD .\n" "=b\n" "bC\n" "=a\n" "aC\n"
	"aR link-disconnect\n",
  .va = { .action = ACTION_NONE,
	  .ops = { { HDR_ADD, 0, "X-Filterd-Who", "a" } } },
  .vb = { .action = ACTION_REJECT, .code = "550", .text = "b refused" },
  .msgs = "from=<b@x> rcpts=rb@y client=192.0.2.2/hb helo=- qid=b0 auth=-\n"
	"H Subject: B\nB body b\\r\\n\n---\n"
	"from=<a@x> rcpts=ra@y,ra2@y client=192.0.2.1/ha helo=- qid=a0 "
	"auth=-\nH Subject: A\nB body a\\r\\n\n",
  .out = "aP\n" "bP\n" "bL .\n" "bR reject|550 b refused\n"
	"aL Subject: A\n" "aL X-Filterd-Who: a\n" "aL \n" "aL body a\n"
	"aL .\n" "aR proceed\n",
  .sessions = 1 },
{ .name = "two messages in one session",
  .in = HEAD "aD \n" "aD m1\n" "aD .\n" "=\n" "aC\n"
	"aR tx-reset|a1b2c3d4\n" "aF mail-from|c@example.org\n"
	"aR tx-begin|e5f6\n" "aR tx-mail|e5f6|ok|c@example.org\n"
	"aR tx-rcpt|e5f6|ok|d@example.net\n" "aD \n" "aD m2\n" "aD .\n"
	"=\n" "aC\n",
  .va = { .action = ACTION_NONE },
  .msgs = HEAD_MSG "B m1\\r\\n\n---\n"
	"from=<c@example.org> rcpts=d@example.net "
	"client=192.0.2.7/mx.example.org helo=client.example.org qid=e5f6 "
	"auth=-\nB m2\\r\\n\n",
  .out = HEAD_OUT "aL \n" "aL m1\n" "aL .\n" "aR proceed\n" "aP\n"
	"aL \n" "aL m2\n" "aL .\n" "aR proceed\n",
  .sessions = 1 },
{ .name = "oversize: held lines flushed, the rest streamed, 552 at commit",
  .size = 40,
  .in = HEAD "aD Subject: big\n" "aD \n" "aD 0123456789\n"
	"aD 0123456789abcdef\n" "aD ..more\n" "aD .\n" "aC\n",
  .out = HEAD_OUT "aL Subject: big\n" "aL \n" "aL 0123456789\n"
	"aL 0123456789abcdef\n" "aL ..more\n" "aL .\n"
	"aR reject|552 5.3.4 Message size exceeds fixed limit\n",
  .sessions = 1 },
{ .name = "oversize with oversize = accept: delivered unfiltered",
  .size = 10, .oversize = ACTION_ACCEPT,
  .in = HEAD "aD Subject: big\n" "aD .\n" "aC\n",
  .out = HEAD_OUT "aL Subject: big\n" "aL .\n" "aR proceed\n",
  .sessions = 1 },
{ .name = "oversize with oversize = quarantine: X-Spam first",
  .size = 20, .oversize = ACTION_QUARANTINE,
  .in = HEAD "aD Subject: fits\n" "aD 0123456789\n" "aD .\n" "aC\n",
  .out = HEAD_OUT "aL X-Spam: Yes\n" "aL Subject: fits\n"
	"aL 0123456789\n" "aL .\n" "aR proceed\n",
  .sessions = 1 },
{ .name = "exactly at the limit is not oversize",
  .size = 9,
  .in = HEAD "aD a:c\n" "aD d:\n" "aD .\n" "=\n" "aC\n",
  .va = { .action = ACTION_NONE },
  .out = HEAD_OUT "aL a:c\n" "aL d:\n" "aL .\n" "aR proceed\n",
  .sessions = 1 },
{ .name = "disconnect while the worker runs: nothing emitted, state freed",
  .in = HEAD "aD X: x\n" "aD .\n" "aR link-disconnect\n" "=\n",
  .va = { .action = ACTION_NONE },
  .out = HEAD_OUT },
{ .name = "disconnect in the middle of the data",
  .in = HEAD "aD x\n" "aR link-disconnect\n"
	"aF connect|h|192.0.2.3\n",
  .out = HEAD_OUT "aP\n", .sessions = 1 },
{ .name = "smtpd leaves the data phase without a dot: nothing emitted",
  .in = HEAD "aD x\n" "aF rset|\n" "aF mail-from|z@z\n"
	"aR tx-begin|0f\n" "aD Y: y\n" "aD .\n" "=\n" "aC\n",
  .va = { .action = ACTION_NONE },
  .out = HEAD_OUT "aP\n" "aP\n" "aL Y: y\n" "aL .\n" "aR proceed\n",
  .sessions = 1 },
{ .name = "transaction rolled back after the data: no commit",
  .in = HEAD "aD X: x\n" "aD .\n" "=\n" "aR tx-rollback|a1b2c3d4\n"
	"aR tx-begin|0a\n" "aD Y: y\n" "aD .\n" "=\n" "aC\n",
  .va = { .action = ACTION_NONE },
  .out = HEAD_OUT "aL X: x\n" "aL .\n" "aL Y: y\n" "aL .\n"
	"aR proceed\n",
  .sessions = 1 },
{ .name = "commit without a message: on_failure",
  .in = "aF connect|h|192.0.2.3\n" "aC\n",
  .out = "aP\n"
	"aR reject|451 4.3.0 Content filter failure, try again later\n",
  .sessions = 1 },
{ .name = "an envelope over a bound: limits.oversize, no worker",
  .in = "aR tx-begin|01\n"
	"aR tx-mail|01|ok|a@example.org\n" "aR tx-rcpt|01|ok|"
	X200 X200 X200 X200 X200 X200 "@example.net\n"
	"aD Subject: x\n" "aD .\n" "aC\n",
  .msgs = "",
  .out = "aL .\n"
	"aR reject|552 5.3.4 Message size exceeds fixed limit\n",
  .sessions = 1 },
{ .name = "tokens and session ids echoed exactly as received",
  .in = "!filter|V|1.0|smtp-in|connect|0Ab|FFFFFFFFFFFFFFFF|h|192.0.2.4\n"
	"!filter|V|1.0|smtp-in|data-line|0Ab|00D1|X: x\n"
	"!filter|V|1.0|smtp-in|data-line|0Ab|00D1|.\n" "=\n"
	"!filter|V|1.0|smtp-in|commit|0Ab|0c|\n",
  .va = { .action = ACTION_NONE },
  .out = "!filter-result|0Ab|FFFFFFFFFFFFFFFF|proceed\n"
	"!filter-dataline|0Ab|00D1|X: x\n" "!filter-dataline|0Ab|00D1|.\n"
	"!filter-result|0Ab|0c|proceed\n",
  .sessions = 1 },
{ .name = "link-auth, 0.6 order (user|result)",
  .in = "aR link-auth|us|er|pass\n" "aR tx-begin|01\n" "aD \n" "aD x\n"
	"aD .\n" "=\n" "aC\n",
  .va = { .action = ACTION_NONE },
  .msgs = "from=<-> rcpts= client=-/- helo=- qid=01 auth=us|er\nB x\\r\\n\n",
  .out = "aL \n" "aL x\n" "aL .\n" "aR proceed\n", .sessions = 1 },
{ .name = "link-auth, 0.7 order (result|user)",
  .version = "0.7",
  .in = "aR link-auth|pass|us|er\n" "aR tx-begin|01\n" "aD \n" "aD x\n"
	"aD .\n" "=\n" "aC\n",
  .va = { .action = ACTION_NONE },
  .msgs = "from=<-> rcpts= client=-/- helo=- qid=01 auth=us|er\nB x\\r\\n\n",
  .out = "aL \n" "aL x\n" "aL .\n" "aR proceed\n", .sessions = 1 },
{ .name = "failed link-auth sets nothing",
  .in = "aR link-auth|u|fail\n" "aR tx-begin|01\n" "aD .\n" "=\n" "aC\n",
  .va = { .action = ACTION_NONE },
  .msgs = "from=<-> rcpts= client=-/- helo=- qid=01 auth=-\nB \n",
  .out = "aL .\n" "aR proceed\n", .sessions = 1 },
{ .name = "IPv6 and local clients; other subsystems and events ignored",
  .in = "aF connect||[2001:db8::1]\n" "bF connect|x|local\n"
	"!report|V|1.0|smtp-out|link-connect|00aa|a|b|c|d\n"
	"aR link-greeting|mx\n" "aF auth|plain\n" "aD .\n" "=\n" "aC\n",
  .va = { .action = ACTION_NONE },
  .msgs = "from=<-> rcpts= client=2001:db8::1/unknown helo=- qid=- "
	"auth=-\nB \n",
  .out = "aP\n" "bP\n" "aP\n" "aL .\n" "aR proceed\n", .sessions = 2 },
{ .name = "0.6: a line as long as OpenSMTPD 6.8 takes back",
  .size = 8192, .in = HEAD "aD \n" "aD " L2011 "\n" "aD .\n" "=\n" "aC\n",
  .va = { .action = ACTION_NONE },
  .out = HEAD_OUT "aL \n" "aL " L2011 "\n" "aL .\n" "aR proceed\n",
  .sessions = 1 },
{ .name = "0.6: one byte longer is refused, not cut by smtpd",
  .size = 8192, .in = HEAD "aD " L2011 "x\n" "aD .\n" "aC\n",
  .out = HEAD_OUT "aL .\n"
	"aR reject|550 5.6.0 Message has a line too long to be filtered\n",
  .sessions = 1 },
{ .name = "0.6: a line too long, then oversize: still refused",
  .size = 2100, .oversize = ACTION_ACCEPT,
  .in = HEAD "aD " L2011 "x\n" "aD " X200 "\n" "aD .\n" "aC\n",
  .out = HEAD_OUT "aL " L2011 "x\n" "aL " X200 "\n" "aL .\n"
	"aR reject|550 5.6.0 Message has a line too long to be filtered\n",
  .sessions = 1 },
{ .name = "0.7: no such limit",
  .version = "0.7", .size = 8192,
  .in = HEAD "aD \n" "aD " L2011 "x\n" "aD .\n" "=\n" "aC\n",
  .va = { .action = ACTION_NONE },
  .out = HEAD_OUT "aL \n" "aL " L2011 "x\n" "aL .\n" "aR proceed\n",
  .sessions = 1 },
{ .name = "0.6: a generated header line too long is left out",
  .in = HEAD "aD S: x\n" "aD .\n" "=\n" "aC\n",
  .va = { .action = ACTION_NONE, .ops = {
	{ HDR_ADD, 0, "X-Long", L2011 },
	{ HDR_ADD, 0, "X-Folded", X200 "\r\n\t" X200 } } },
  .out = HEAD_OUT "aL S: x\n" "aL X-Folded: " X200 "\n" "aL \t" X200 "\n"
	"aL .\n" "aR proceed\n",
  .sessions = 1 },
/* Protocol errors: the frontend must end, with this reason. */
{ .name = "unknown line type",
  .in = "!hello|world\n", .out = "", .error = "unexpected line" },
{ .name = "unsupported version",
  .in = "!filter|0.5|1.0|smtp-in|connect|aa|f1|h|1.2.3.4\n", .out = "",
  .error = "unsupported filter protocol version" },
{ .name = "version changing mid-stream",
  .in = "aF connect|h|1.2.3.4\n"
	"!report|0.7|1.0|smtp-in|tx-begin|aa|01\n",
  .out = "aP\n", .error = "version changed", .sessions = 1 },
{ .name = "0.6 lines after config|protocol|0.7",
  .version = "0.7", .in = "!filter|0.6|1.0|smtp-in|connect|aa|f1|h|x\n",
  .out = "", .error = "version changed" },
{ .name = "malformed session id",
  .in = "!filter|V|1.0|smtp-in|connect|xyz!|f1|h|1.2.3.4\n", .out = "",
  .error = "malformed filter request" },
{ .name = "session id longer than 16 digits",
  .in = "!report|V|1.0|smtp-in|tx-begin|00000000000000000|01\n",
  .out = "", .error = "malformed report" },
{ .name = "filter request outside smtp-in",
  .in = "!filter|V|1.0|smtp-out|connect|aa|f1|h|x\n", .out = "",
  .error = "outside smtp-in" },
{ .name = "data-line without its line field",
  .in = "!filter|V|1.0|smtp-in|data-line|aa|d1\n", .out = "",
  .error = "data-line without a line" },
{ .name = "data-line while the worker runs",
  .in = HEAD "aD X: x\n" "aD .\n" "aD y\n",
  .va = { .action = ACTION_NONE },
  .out = HEAD_OUT, .error = "while the message is being decided",
  .sessions = 1 },
{ .name = "commit before the final dot",
  .in = HEAD "aD x\n" "aC\n", .out = HEAD_OUT,
  .error = "commit before the data lines", .sessions = 1 },
{ .name = "a config line after config|ready",
  .in = "!config|ready\n", .out = "", .error = "unexpected line" },
};

/* The handshake, separately: registration, and the lines before ready. */
static void
test_handshake(void)
{
	static const struct smtpd_ops	 ops = { fake_submit, fake_fallback };
	struct smtpd_limits		 lim = { 4096, ACTION_REJECT, ACTION_REJECT, 300 };
	struct smtpd_proto		*p;
	struct buf			*out = buf_new(1 << 16);
	const char			*why = NULL;
	const char			*hs = "config|smtpd-version|6.8.0p2\n"
	    "config|smtp-session-timeout|300\nconfig|subsystem|smtp-in\n"
	    "config|admd|vm\nconfig|ready\n";

	p = smtpd_proto_new(&lim, &ops, NULL);
	is_int(smtpd_proto_feed(p, hs, strlen(hs), &why), 0, "handshake fed");
	take_output(p, out);
	is_str(buf_cstr(out),
	    "register|filter|smtp-in|connect\n"
	    "register|filter|smtp-in|helo\n"
	    "register|filter|smtp-in|ehlo\n"
	    "register|filter|smtp-in|mail-from\n"
	    "register|filter|smtp-in|rcpt-to\n"
	    "register|filter|smtp-in|data-line\n"
	    "register|filter|smtp-in|commit\n"
	    "register|report|smtp-in|link-disconnect\n"
	    "register|report|smtp-in|link-auth\n"
	    "register|report|smtp-in|tx-begin\n"
	    "register|report|smtp-in|tx-mail\n"
	    "register|report|smtp-in|tx-rcpt\n"
	    "register|report|smtp-in|tx-reset\n"
	    "register|report|smtp-in|tx-rollback\n"
	    "register|ready\n", "phases and reports registered, then ready");
	ok(smtpd_proto_version(p) == NULL, "no version before the first line");
	smtpd_proto_free(&p);

	buf_reset(out);
	p = smtpd_proto_new(&lim, &ops, NULL);
	hs = "config|smtpd-version|7.0\nconfig|subsystem|smtp-out\n"
	    "config|ready\n";
	is_int(smtpd_proto_feed(p, hs, strlen(hs), &why), 0,
	    "handshake without smtp-in");
	take_output(p, out);
	is_str(buf_cstr(out), "register|ready\n",
	    "without smtp-in nothing is registered");
	smtpd_proto_free(&p);

	p = smtpd_proto_new(&lim, &ops, NULL);
	hs = "config|protocol|0.7\nconfig|ready\n";
	smtpd_proto_feed(p, hs, strlen(hs), &why);
	is_str(smtpd_proto_version(p), "0.7", "config|protocol announces 0.7");
	smtpd_proto_free(&p);

	p = smtpd_proto_new(&lim, &ops, NULL);
	hs = "filter|0.6|1.0|smtp-in|connect|aa|bb|h|x\n";
	ok(smtpd_proto_feed(p, hs, strlen(hs), &why) == -1 &&
	    strstr(why, "config|ready") != NULL,
	    "a filter line before config|ready is a protocol error");
	ok(smtpd_proto_feed(p, "x", 1, &why) == -1,
	    "and the machine stays broken");
	smtpd_proto_free(&p);

	p = smtpd_proto_new(&lim, &ops, NULL);
	hs = "config|protocol|0.8\n";
	ok(smtpd_proto_feed(p, hs, strlen(hs), &why) == -1 &&
	    strstr(why, "unsupported") != NULL,
	    "config|protocol|0.8 is refused");
	smtpd_proto_free(&p);
	buf_free(&out);
}

/*
 * smtpd cannot send a NUL byte (it prints lines with %s), but if one came:
 * in a data line it is data, in a header the fallback, in an id an error.
 */
static void
test_nul(void)
{
	static const struct smtpd_ops	 ops = { fake_submit, fake_fallback };
	struct smtpd_limits		 lim = { 4096, ACTION_REJECT, ACTION_REJECT, 10 };
	struct smtpd_proto		*p;
	struct buf			*out = buf_new(1 << 16);
	struct fake			 f;
	const char			*why = NULL;
	const char			 in[] = "config|ready\n"
	    "filter|0.6|1|smtp-in|data-line|aa|d1|X: a\0b\n"
	    "filter|0.6|1|smtp-in|data-line|aa|d1|\n"
	    "filter|0.6|1|smtp-in|data-line|aa|d1|c\0d\n"
	    "filter|0.6|1|smtp-in|data-line|aa|d1|.\n"
	    "filter|0.6|1|smtp-in|data-line|bb|d1|\n"
	    "filter|0.6|1|smtp-in|data-line|bb|d1|e\0f\n"
	    "filter|0.6|1|smtp-in|data-line|bb|d1|.\n";
	const char			 want[] =
	    "register|ready\n"
	    "filter-dataline|aa|d1|.\n"
	    "filter-dataline|bb|d1|\n"
	    "filter-dataline|bb|d1|e\0f\n"
	    "filter-dataline|bb|d1|.\n";
	const char			 bad[] =
	    "filter|0.6|1|smtp-in|data-line|a\0|d1|x\n";

	memset(&f, 0, sizeof(f));
	p = smtpd_proto_new(&lim, &ops, &f);
	is_int(smtpd_proto_feed(p, in, sizeof(in) - 1, &why), 0,
	    "NUL bytes in data lines are no protocol error");
	is_int((long long)f.njobs, 1, "a NUL in a header: malformed, "
	    "no worker; in the body: a worker");
	ok(f.njobs == 1 && f.jobs[0]->m->bodylen == 5 &&
	    memcmp(f.jobs[0]->m->body, "e\0f\r\n", 5) == 0,
	    "the worker gets the NUL in the body");
	fake_answer(&f, f.jobs[0], &(struct tverdict){ .action = 0 });
	smtpd_proto_done(p, f.jobs[0], &why);
	take_output(p, out);
	ok(buf_len(out) == sizeof(want) - 1 &&
	    memcmp(buf_data(out), want, sizeof(want) - 1) == 0,
	    "the header's message is refused, the body's passed back whole");
	ok(smtpd_proto_feed(p, bad, sizeof(bad) - 1, &why) == -1 &&
	    strstr(why, "malformed") != NULL,
	    "a NUL in a session id is a protocol error");
	smtpd_proto_free(&p);
	buf_free(&out);
}

/* A line past the bound ends the frontend; no allocation follows it. */
static void
test_long_line(void)
{
	static const struct smtpd_ops	 ops = { fake_submit, fake_fallback };
	struct smtpd_limits		 lim = { 4096, ACTION_REJECT, ACTION_REJECT, 10 };
	struct smtpd_proto		*p;
	const char			*why = NULL;
	char				*big;
	size_t				 n = 2 * 1024 * 1024;
	int				 rc;

	p = smtpd_proto_new(&lim, &ops, NULL);
	big = malloc(n);
	memset(big, 'a', n);
	rc = smtpd_proto_feed(p, big, n, &why);
	ok(rc == -1 && strstr(why, "line longer than") != NULL,
	    "a 2 MiB line is a protocol error: %s", why ? why : "none");
	free(big);
	smtpd_proto_free(&p);
}

/* Sessions past the bound: connect is refused, nothing else breaks. */
static void
test_session_bound(void)
{
	static const struct smtpd_ops	 ops = { fake_submit, fake_fallback };
	struct smtpd_limits		 lim = { 4096, ACTION_REJECT, ACTION_REJECT, 10 };
	struct smtpd_proto		*p;
	struct buf			*in = buf_new(1 << 24), *out;
	const char			*why = NULL, *o;
	size_t				 i, n;

	p = smtpd_proto_new(&lim, &ops, NULL);
	smtpd_proto_feed(p, "config|subsystem|smtp-in\nconfig|ready\n", 38,
	    &why);
	take_output(p, NULL);
	for (i = 0; i < SMTPD_PROTO_SESSIONS_MAX; i++)
		buf_printf(in, "report|0.6|1|smtp-in|tx-begin|%zx|01\n", i);
	is_int(smtpd_proto_feed(p, buf_data(in), buf_len(in), &why), 0,
	    "%d sessions opened", SMTPD_PROTO_SESSIONS_MAX);
	buf_reset(in);
	buf_printf(in, "filter|0.6|1|smtp-in|connect|ffffff|f1|h|x\n"
	    "filter|0.6|1|smtp-in|data-line|ffffff|d1|x\n"
	    "filter|0.6|1|smtp-in|data-line|ffffff|d1|.\n"
	    "filter|0.6|1|smtp-in|commit|ffffff|c1|\n");
	is_int(smtpd_proto_feed(p, buf_data(in), buf_len(in), &why), 0,
	    "one more is no protocol error");
	o = (const char *)smtpd_proto_output(p, &n);
	out = buf_new(1 << 16);
	buf_put(out, o, n);
	is_str(buf_cstr(out),
	    "filter-result|ffffff|f1|disconnect|421 4.3.2 Too many sessions, "
	    "try again later\n"
	    "filter-dataline|ffffff|d1|x\n"
	    "filter-dataline|ffffff|d1|.\n"
	    "filter-result|ffffff|c1|reject|451 4.3.0 Content filter "
	    "failure, try again later\n",
	    "it is answered without state: 421, echo, 451");
	is_int((long long)smtpd_proto_sessions(p), SMTPD_PROTO_SESSIONS_MAX,
	    "no session past the bound");
	smtpd_proto_free(&p);
	buf_free(&in);
	buf_free(&out);
}

/*
 * The bounds of the line parser, each just inside and just outside: the
 * fields of a filter request and of a report, one too few after a good
 * line (whose fields are still where the parser keeps them), and none
 * missing; id and token lengths; the version, exactly.
 */
#define T16 "0123456789abcdef"
static const struct tcase bound_cases[] = {
{ .name = "bound: a filter request of 6 fields after a good one",
  .in = "aF connect|h|1.2.3.4\n"
	"!filter|V|1.0|smtp-in|connect|" SID_A "\n",
  .out = "aP\n", .error = "malformed filter request", .sessions = 1 },
{ .name = "bound: a filter request of 7 fields (no parameters)",
  .in = "!filter|V|1.0|smtp-in|helo|" SID_A "|f1\n",
  .out = "aP\n", .sessions = 1 },
{ .name = "bound: a report of 5 fields after a good one",
  .in = "aR tx-begin|01\n"
	"!report|V|1.0|smtp-in|tx-begin\n",
  .out = "", .error = "malformed report", .sessions = 1 },
{ .name = "bound: a report of 6 fields (no parameters)",
  .in = "!report|V|1.0|smtp-in|tx-reset|" SID_A "\n",
  .out = "", .sessions = 1 },
{ .name = "bound: a token of 16 digits",
  .in = "!filter|V|1.0|smtp-in|connect|" SID_A "|" T16 "|h|1.2.3.4\n",
  .out = "!filter-result|" SID_A "|" T16 "|proceed\n", .sessions = 1 },
{ .name = "bound: a token of 17 digits",
  .in = "!filter|V|1.0|smtp-in|connect|" SID_A "|" T16 "0|h|1.2.3.4\n",
  .out = "", .error = "malformed filter request" },
{ .name = "bound: a session id of 16 digits",
  .in = "!report|V|1.0|smtp-in|tx-begin|" T16 "|01\n",
  .out = "", .sessions = 1 },
{ .name = "bound: an empty session id",
  .in = "!report|V|1.0|smtp-in|tx-begin||01\n",
  .out = "", .error = "malformed report" },
{ .name = "bound: version 0.60",
  .in = "!filter|0.60|1.0|smtp-in|connect|aa|f1|h|1.2.3.4\n",
  .out = "", .error = "unsupported filter protocol version" },
{ .name = "bound: version 0.",
  .in = "!filter|0.|1.0|smtp-in|connect|aa|f1|h|1.2.3.4\n",
  .out = "", .error = "unsupported filter protocol version" },
};

static int
feed_str(struct smtpd_proto *p, const char *s, const char **why)
{
	return smtpd_proto_feed(p, s, strlen(s), why);
}

/* A line of n bytes before its "\n": config|x|aaa... */
static int
feed_long_config(struct smtpd_proto *p, size_t n, const char **why)
{
	char	*l;
	int	 rc;

	if ((l = malloc(n + 1)) == NULL)
		bail("out of memory");
	memcpy(l, "config|x|", 9);
	memset(l + 9, 'a', n - 9);
	l[n] = '\n';
	rc = smtpd_proto_feed(p, l, n + 1, why);
	free(l);
	return rc;
}

static void
test_smtpd_bounds(void)
{
	static const struct smtpd_ops	 ops = { fake_submit, fake_fallback };
	struct smtpd_limits		 lim = { 4096, ACTION_REJECT,
					    ACTION_REJECT, 10 };
	struct smtpd_proto		*p;
	const char			*why = NULL;
	size_t				 i;

	for (i = 0; i < sizeof(bound_cases) / sizeof(bound_cases[0]); i++) {
		run_case(&bound_cases[i], 0);
		run_case(&bound_cases[i], 1);
	}

	/* Config lines: "config|key|value", or "config|ready". */
	p = smtpd_proto_new(&lim, &ops, NULL);
	ok(feed_str(p, "config|protocol\n", &why) == -1 &&
	    strstr(why, "malformed config line") != NULL,
	    "bound: config|protocol, without its value, is malformed");
	smtpd_proto_free(&p);
	p = smtpd_proto_new(&lim, &ops, NULL);
	ok(feed_str(p, "config|protocol|0.60\n", &why) == -1 &&
	    strstr(why, "unsupported") != NULL,
	    "bound: config|protocol|0.60 is refused");
	smtpd_proto_free(&p);

	/* A line of SP_LINE_MAX bytes, and one more: 1 MiB. */
	p = smtpd_proto_new(&lim, &ops, NULL);
	ok(feed_long_config(p, 1024 * 1024, &why) == 0,
	    "bound: a line of 1 MiB is read");
	smtpd_proto_free(&p);
	p = smtpd_proto_new(&lim, &ops, NULL);
	ok(feed_long_config(p, 1024 * 1024 + 1, &why) == -1 &&
	    strstr(why, "line longer than") != NULL,
	    "bound: one of 1 MiB + 1 is a protocol error");
	smtpd_proto_free(&p);
}

int
main(void)
{
	size_t	 i;

	log_init("06-smtpd", 1, 0);
	test_handshake();
	test_long_line();
	test_nul();
	test_session_bound();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run_case(&cases[i], 0);
		run_case(&cases[i], 1);
	}
	test_smtpd_bounds();
	return done_testing();
}
