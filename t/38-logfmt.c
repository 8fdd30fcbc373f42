/*
 * t/38-logfmt.c: filterd/lib/logfmt.c, the encoding of the message's log
 * line and of the control socket's names: bare and quoted values, every
 * escape, the bounds (a value cut with "...", a line never past its
 * buffer, quotes always closed), and a value that tries to make a field.
 */
#include <stdio.h>
#include <string.h>

#include "filterd/lib/logfmt.h"
#include "t/tap.h"

static const char *
enc(const char *v, size_t max)
{
	static char	 buf[512];
	struct logfmt	 l;

	logfmt_init(&l, buf, sizeof(buf));
	logfmt_value(&l, v, max);
	return buf;
}

/* Whether s is one field: key=bare or key="..." with escapes only. */
static int
one_field(const char *s)
{
	const char	*p = strchr(s, '=');

	if (p == NULL || p[1] == '\0')
		return 0;
	if (p[1] != '"')
		return strpbrk(p + 1, " \"\\=") == NULL;
	for (p += 2; *p != '\0' && *p != '"'; p++)
		if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
			p++;
		else if (*p == '\\' && p[1] != 'x')
			return 0;
	return *p == '"' && p[1] == '\0';
}

int
main(void)
{
	struct logfmt	 l;
	char		 buf[64], big[300];
	size_t		 i;

	plan(17);
	is_str(enc("<a@example.org>", 100), "<a@example.org>",
	    "printable without space, quote, backslash, = : bare");
	is_str(enc("", 100), "\"\"", "empty: quoted");
	is_str(enc(NULL, 100), "\"\"", "NULL: empty");
	is_str(enc("a b", 100), "\"a b\"", "a space: quoted");
	is_str(enc("k=v", 100), "\"k=v\"", "an =: quoted");
	is_str(enc("a\"b\\c", 100), "\"a\\\"b\\\\c\"",
	    "a quote and a backslash: escaped");
	is_str(enc("a\r\n\tb\x7f\xc3\xa9", 100),
	    "\"a\\x0d\\x0a\\x09b\\x7f\\xc3\\xa9\"",
	    "control bytes, DEL, UTF-8: \\xNN");
	is_str(enc("abcdefghijkl", 8), "abcde...", "a bare value cut: ...");
	is_str(enc("a bcdefghijkl", 10), "\"a bcd...\"",
	    "a quoted value cut: ... inside the quotes");
	is_str(enc("ab\"\"\"\"\"", 9), "\"ab\\\"...\"",
	    "never cut inside an escape");

	logfmt_init(&l, buf, sizeof(buf));
	logfmt_str(&l, "from", "<x\" action=accept rules=\"y>", 100);
	logfmt_raw(&l, " rcpts=%d", 1);
	is_str(buf, "from=\"<x\\\" action=accept rules=\\\"y>\" rcpts=1",
	    "a value that tries to make fields is one field");
	ok(one_field("from=\"<x\\\" action=accept rules=\\\"y>\""),
	    "(the checker says so)");
	ok(!one_field("from=<x\" action=accept"),
	    "(and can tell a forged one)");

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[10] = ' ';
	logfmt_init(&l, buf, sizeof(buf));
	logfmt_str(&l, "a", big, 1000);
	ok(strlen(buf) < sizeof(buf) && buf[strlen(buf) - 1] == '"',
	    "a value longer than the line: cut within it, quotes closed");
	ok(strstr(buf, "...\"") != NULL, "and marked");
	for (i = 0; i < 8; i++)
		logfmt_str(&l, "more", "y y", 100);
	ok(strlen(buf) < sizeof(buf), "a full line takes nothing more");
	logfmt_init(&l, buf, 4);
	logfmt_str(&l, "key", "value", 100);
	is_str(buf, "", "a field that does not fit at all is left out");
	return done_testing();
}
