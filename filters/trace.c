/*
 * trace: the items of filterd -t --trace, built in the worker from what
 * a rule engine reports (trace.h).  The text comes from the hostile
 * message: it is escaped to printable ASCII and cut before it goes into
 * the verdict, and the supervisor checks it again (super_policy.c).
 */
#include <string.h>

#include "filterd/lib/verdict.h"
#include "filters/filter_impl.h"
#include "filters/trace.h"

int
trace_wanted(const struct filter_result *fr)
{
	return fr->trace;
}

/* The escape of one byte into e (at least 5 bytes); returns its length. */
static size_t
trace_escape_byte(unsigned char c, char *e)
{
	static const char	 hex[] = "0123456789abcdef";
	static const char	 from[] = "\\\"\t\n\r", to[] = "\\\"tnr";
	const char		*p;

	if (c != '\0' && (p = strchr(from, c)) != NULL) {
		e[0] = '\\';
		e[1] = to[p - from];
		return 2;
	}
	if (c >= 0x20 && c <= 0x7e) {
		e[0] = (char)c;
		return 1;
	}
	e[0] = '\\';
	e[1] = 'x';
	e[2] = hex[c >> 4];
	e[3] = hex[c & 0xf];
	return 4;
}

char *
trace_escape(char *out, size_t outlen, const void *text, size_t len)
{
	const unsigned char	*p = text;
	char			 e[5];
	size_t			 i, o = 0, n, need = 0, room = outlen - 1, limit;

	/* Whether it all fits: counted until it does not. */
	for (i = 0; i < len && need <= room; i++)
		need += trace_escape_byte(p[i], e);
	/* If not, as much as fits with "..." after it. */
	limit = need <= room ? room : room - 3;
	for (i = 0; i < len; i++) {
		n = trace_escape_byte(p[i], e);
		if (o + n > limit)
			break;
		memcpy(out + o, e, n);
		o += n;
	}
	if (need > room) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

void
trace_rule(struct filter_result *fr, const char *rule, const char *part,
    int result, const void *text, size_t len)
{
	char	 r[VERDICT_RULE_NAME_MAX + 1], p[VERDICT_TRACE_PART_MAX + 1];
	char	 t[VERDICT_TRACE_TEXT_MAX + 1];

	if (!fr->trace)
		return;
	trace_escape(r, sizeof(r), rule, strlen(rule));
	trace_escape(p, sizeof(p), part, strlen(part));
	(void)verdict_add_trace(fr->v, r, p, result, text == NULL ? NULL :
	    trace_escape(t, sizeof(t), text, len));
}
