/*
 * 36-trace: the trace of filterd -t --trace, as the worker builds it
 * (filters/trace.c).  trace_escape turns any bytes into printable ASCII
 * and cuts them to the room given, at a whole escape, with "..."; a
 * table of cases, the edges of the room among them.  trace_rule adds an
 * item only when the job asked for a trace, and every item it adds passes
 * the supervisor's check.
 */
#include <string.h>

#include "filterd/lib/verdict.h"
#include "filters/filter_impl.h"
#include "filters/trace.h"
#include "t/tap.h"

struct esc_case {
	const char	*in;
	size_t		 inlen;
	size_t		 room;		/* outlen */
	const char	*want;
};

static const struct esc_case esc_cases[] = {
	{ "plain", 5, 32, "plain" },
	{ "a\\b\"c", 5, 32, "a\\\\b\\\"c" },
	{ "t\tn\nr\r", 6, 32, "t\\tn\\nr\\r" },
	{ "\0\x1f\x7f\xc3\xa9", 5, 32, "\\x00\\x1f\\x7f\\xc3\\xa9" },
	{ "", 0, 4, "" },
	/* Exactly the room: no cut. */
	{ "abc", 3, 4, "abc" },
	/* One more: cut, with "..." in the room. */
	{ "abcd", 4, 4, "..." },
	{ "abcdefgh", 8, 8, "abcd..." },
	/* An escape is never split: "\x" of "\xc3" does not come alone. */
	{ "ab\xc3\xa9", 4, 8, "ab..." },
	{ "ab\xc3", 3, 8, "ab\\xc3" },
};

static void
test_escape(void)
{
	char	 out[64];
	size_t	 i;

	for (i = 0; i < sizeof(esc_cases) / sizeof(esc_cases[0]); i++) {
		memset(out, 'Z', sizeof(out));
		trace_escape(out, esc_cases[i].room, esc_cases[i].in,
		    esc_cases[i].inlen);
		is_str(out, esc_cases[i].want, "escape case %zu: \"%s\"", i,
		    esc_cases[i].want);
		ok(strlen(out) < esc_cases[i].room,
		    "escape case %zu fits its room", i);
	}
}

static void
test_rule(void)
{
	struct verdict		 v;
	struct filter_result	 fr = { &v, 0 };
	char			 big[1000];

	memset(&v, 0, sizeof(v));
	trace_rule(&fr, "r", "body", TRACE_HIT, "x", 1);
	ok(v.ntrace == 0, "no trace when the job asked for none");
	fr.trace = 1;
	memset(big, '\n', sizeof(big));
	trace_rule(&fr, "bad\nname", "header X\x01", TRACE_HIT, big,
	    sizeof(big));
	ok(v.ntrace == 1, "an item when it asked");
	is_str(v.trace[0].rule, "bad\\nname", "the rule name is escaped");
	is_str(v.trace[0].part, "header X\\x01", "and the part");
	ok(strlen(v.trace[0].text) <= VERDICT_TRACE_TEXT_MAX &&
	    strncmp(v.trace[0].text, "\\n\\n", 4) == 0 &&
	    strcmp(v.trace[0].text + strlen(v.trace[0].text) - 3, "...") == 0,
	    "the text is escaped and cut to VERDICT_TRACE_TEXT_MAX (%zu)",
	    strlen(v.trace[0].text));
	trace_rule(&fr, "r", "body", TRACE_MISS, NULL, 0);
	ok(v.ntrace == 2 && v.trace[1].text == NULL,
	    "no text stays no text");
	verdict_clear(&v);
}

int
main(void)
{
	test_escape();
	test_rule();
	return done_testing();
}
