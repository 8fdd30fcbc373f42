/*
 * 21-rfc5322: the one message parser (filterd/lib/rfc5322.c), case by
 * case: where the header ends, what is a field, what is malformed, and
 * the bounds on names.  Each case is fed as text (filterd -t, OpenSMTPD)
 * or as fields (the milter frontend) and checked against the header
 * fields it must give, "name=value" joined with "|" (of a malformed one:
 * those stored before the line that made it so), the body, and why it is
 * malformed ("" when it is not).
 */
#include <stdio.h>
#include <string.h>

#include "filterd/lib/message.h"
#include "filterd/lib/rfc5322.h"
#include "filterd/lib/verdict.h"
#include "t/tap.h"

struct tcase {
	const char	*name;
	const char	*text;		/* fed with rfc5322_text */
	size_t		 len;		/* of text; 0: strlen */
	const char	*fields[6];	/* or: name, value, name, value ... */
	const char	*hdrs;
	const char	*body;
	const char	*malformed;
};

static const struct tcase cases[] = {
{ "two fields, blanks after the colon skipped",
  "A: 1\r\nB:\t 2\r\n\r\nbody", 0, { NULL }, "A=1|B=2", "body\r\n", "" },
{ "folding is kept as a newline", "S: a\n b\n\tc\n\nx\n", 0,
  { NULL }, "S=a\n b\n\tc", "x\r\n", "" },
{ "blanks before the colon (obsolete syntax) still make a field",
  "From : a@b\n\n", 0, { NULL }, "From=a@b", "", "" },
{ "a leading mbox line is X-Mailbox-Line", "From a@b Mon\nA: 1\n\nb\n", 0,
  { NULL }, "X-Mailbox-Line=From a@b Mon|A=1", "b\r\n", "" },
{ "and so it is after the MTA's own Received",
  "Received: by x\n\tid 1\nFrom a@b Mon\nA: 1\n\n", 0,
  { NULL }, "Received=by x\n\tid 1|X-Mailbox-Line=From a@b Mon|A=1", "",
  "" },
{ "but not after any other field", "A: 1\nFrom a@b Mon\nS: x\n\n", 0,
  { NULL }, "", "", "a header line that is not a field" },
{ "a line without a colon", "A: 1\nBogus\nS: x\n\nb\n", 0,
  { NULL }, "", "b\r\n", "a header line that is not a field" },
{ "a name with a space", "Bad Name: x\n\n", 0, { NULL }, "", "",
  "a header line that is not a field" },
{ "a name with an 8-bit byte", "X-\xc3\xa9: x\n\n", 0, { NULL }, "", "",
  "a header line that is not a field" },
{ "a continuation with nothing to continue", " x\nA: 1\n\n", 0,
  { NULL }, "", "", "a header line that is not a field" },
{ "a NUL in the header", "A: 1\nB: x\0y\n\n", 13, { NULL }, "", "",
  "a NUL byte in the header" },
{ "an empty header", "\nno header\n", 0, { NULL }, "", "no header\r\n", "" },
{ "a header only, no last line end", "A: 1\nB: 2", 0, { NULL }, "A=1|B=2",
  "", "" },
{ "bare CR stays data, CRLF and LF end lines",
  "A: x\ry\r\n\r\na\rb\nc", 0, { NULL }, "A=x\ry", "a\rb\r\nc\r\n", "" },
{ "milter: fields as the MTA hands them", NULL, 0,
  { "Subject", " hello\n world", "X-A", "1" },
  "Subject=hello\n world|X-A=1", "", "" },
{ "milter: a name with a colon is none", NULL, 0, { "a:b", "x" }, "", "",
  "a header line that is not a field" },
{ "milter: a value that would start a field of its own", NULL, 0,
  { "X-A", "1\nSubject: run this" }, "", "",
  "a line break inside a header field" },
{ "milter: an empty line inside a value", NULL, 0, { "X-A", "1\n\n b" }, "",
  "", "a line break inside a header field" },
};

/* The fields as "name=value|...", into out. */
static void
hdrs_str(const struct message *m, char *out, size_t len)
{
	size_t	 i, off = 0;

	out[0] = '\0';
	for (i = 0; i < m->nhdrs && off < len; i++)
		off += (size_t)snprintf(out + off, len - off, "%s%s=%s",
		    i ? "|" : "", m->hdrs[i].name, m->hdrs[i].value);
}

static void
run(const struct tcase *tc)
{
	struct message	*m = message_new(1 << 20);
	struct rfc5322	*p = rfc5322_new(m);
	char		 got[1024];
	size_t		 i;
	int		 rc = 0;

	if (tc->text != NULL)
		rc = rfc5322_text(p, tc->text, tc->len ? tc->len :
		    strlen(tc->text));
	for (i = 0; tc->text == NULL && tc->fields[i] != NULL; i += 2)
		rc |= rfc5322_field(p, tc->fields[i], tc->fields[i + 1]);
	ok(rc == 0, "%s: fed", tc->name);
	ok(rfc5322_end(p) == 0, "%s: ended", tc->name);
	is_str(m->malformed != NULL ? m->malformed : "", tc->malformed,
	    "%s: malformed or not", tc->name);
	hdrs_str(m, got, sizeof(got));
	is_str(got, tc->hdrs, "%s: the fields before it", tc->name);
	ok(m->bodylen == strlen(tc->body) && memcmp(m->body ?
	    (char *)m->body : "", tc->body, m->bodylen) == 0, "%s: body",
	    tc->name);
	rfc5322_free(&p);
	message_free(&m);
}

/* The bounds on a field name: MSG_HDR_NAME_MAX fits, one more does not. */
static void
test_name_bound(void)
{
	char	 line[MSG_HDR_NAME_MAX + 8];

	memset(line, 'a', sizeof(line));
	memcpy(line + MSG_HDR_NAME_MAX, ": x", 3);
	is_int((long long)rfc5322_name_len(line, MSG_HDR_NAME_MAX + 3),
	    MSG_HDR_NAME_MAX, "a name of %d bytes is one", MSG_HDR_NAME_MAX);
	memset(line, 'a', sizeof(line));
	memcpy(line + MSG_HDR_NAME_MAX + 1, ": x", 3);
	is_int((long long)rfc5322_name_len(line, MSG_HDR_NAME_MAX + 4), 0,
	    "a name of %d bytes is none", MSG_HDR_NAME_MAX + 1);
	is_int((long long)rfc5322_name_len("A:", 2), 1, "A: is a field");
	is_int((long long)rfc5322_name_len(":", 1), 0, "an empty name is none");
	is_int((long long)rfc5322_name_len("A \t:", 4), 1,
	    "blanks before the colon");
	is_int((long long)rfc5322_name_len("A", 1), 0, "no colon, no field");
}

/* Where each field stands, and the body, for the OpenSMTPD frontend. */
static void
test_layout(void)
{
	const char			*t = "Received: x\n y\nFrom a b\nA: 1\n\nb\n";
	struct message			*m = message_new(1 << 20);
	struct rfc5322			*p = rfc5322_new(m);
	const struct rfc5322_field	*f;
	size_t				 n;

	(void)rfc5322_text(p, t, strlen(t));
	(void)rfc5322_end(p);
	f = rfc5322_fields(p, &n);
	ok(n == 3 && f[0].first == 0 && f[0].nlines == 2 && f[1].first == 2 &&
	    f[1].nlines == 1 && f[2].first == 3, "fields stand where they came");
	is_int((long long)rfc5322_mbox(p), 1, "the mbox line is field 1");
	is_int((long long)rfc5322_body_line(p), 4,
	    "the body starts at the empty line");
	rfc5322_free(&p);
	message_free(&m);
}

/*
 * What filterd writes (issue 9, finding 7): a field name is printable
 * ASCII but ":" (0x21 to 0x7e), a value printable ASCII, tab and UTF-8
 * without controls (DEL and C1 included), each at most its length.
 */
static void
test_write_checks(void)
{
	char		 name[VERDICT_HDR_NAME_MAX + 2];
	char		 value[VERDICT_HDR_VALUE_MAX + 2];
	const char	*why = "";

	ok(rfc5322_check_name("A\x21", &why) == 0, "name: 0x21 is taken");
	ok(rfc5322_check_name("A\x7e", &why) == 0, "name: 0x7e is taken");
	ok(rfc5322_check_name("A\x20", &why) == -1, "name: 0x20 is not");
	ok(rfc5322_check_name("A\x7f", &why) == -1, "name: 0x7f is not");
	ok(rfc5322_check_name("A\xc3\xa9", &why) == -1,
	    "name: UTF-8 is not");
	memset(name, 'n', sizeof(name));
	name[VERDICT_HDR_NAME_MAX] = '\0';
	ok(rfc5322_check_name(name, &why) == 0, "name: %d bytes are taken",
	    VERDICT_HDR_NAME_MAX);
	name[VERDICT_HDR_NAME_MAX] = 'n';
	name[VERDICT_HDR_NAME_MAX + 1] = '\0';
	ok(rfc5322_check_name(name, &why) == -1, "name: %d are not",
	    VERDICT_HDR_NAME_MAX + 1);

	ok(rfc5322_check_value("a\x20\x7e\tb", &why) == 0,
	    "value: 0x20, 0x7e and tab are taken");
	ok(rfc5322_check_value("a\x1f", &why) == -1, "value: 0x1f is not");
	ok(rfc5322_check_value("a\x7f", &why) == -1 &&
	    strstr(why, "control") != NULL, "value: DEL is a control (%s)",
	    why);
	ok(rfc5322_check_value("\xc2\x80", &why) == -1 &&
	    strstr(why, "control") != NULL, "value: U+0080 is a control");
	ok(rfc5322_check_value("\xc2\xa0\xf4\x8f\xbf\xbf", &why) == 0,
	    "value: U+00A0 and U+10FFFF are taken");
	ok(rfc5322_check_value("\x80", &why) == -1 &&
	    strstr(why, "UTF-8") != NULL, "value: 0x80 alone is not UTF-8");
	ok(rfc5322_check_value("\xc0\x80", &why) == -1,
	    "value: an overlong NUL is not UTF-8");
	ok(rfc5322_check_value("\xe2\x82", &why) == -1,
	    "value: a cut sequence at the end is not UTF-8");
	ok(rfc5322_check_value("\xff", &why) == -1, "value: 0xff is not");
	memset(value, 'v', sizeof(value));
	value[VERDICT_HDR_VALUE_MAX] = '\0';
	ok(rfc5322_check_value(value, &why) == 0,
	    "value: %d bytes are taken", VERDICT_HDR_VALUE_MAX);
	value[VERDICT_HDR_VALUE_MAX] = 'v';
	value[VERDICT_HDR_VALUE_MAX + 1] = '\0';
	ok(rfc5322_check_value(value, &why) == -1, "value: %d are not",
	    VERDICT_HDR_VALUE_MAX + 1);
}

int
main(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run(&cases[i]);
	test_name_bound();
	test_layout();
	test_write_checks();
	return done_testing();
}
