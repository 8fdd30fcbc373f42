/*
 * trace: what filterd -t --trace shows of a rule engine.  Runs in the
 * worker.  A rule engine calls trace_rule once for each rule it tries --
 * or for each part of a rule, for a rule made of several -- with what it
 * looked at, whether it hit, and the text its pattern matched.  The text
 * is escaped and cut here, so an engine passes bytes as they are.  A job
 * from an MTA never asks for a trace: then trace_rule does nothing, and
 * trace_wanted says so, for an engine that would work to find the text.
 */
#ifndef FILTERS_TRACE_H
#define FILTERS_TRACE_H

#include <stddef.h>

struct filter_result;

/* 1 when the job asked for a trace (message.h), else 0. */
int	trace_wanted(const struct filter_result *);

/*
 * Adds one item to the verdict's trace: rule names the rule, part what
 * of the message it looked at ("header Subject"), result is an enum
 * trace_result (verdict.h), and text (len bytes, any bytes, NULL for
 * none) what matched.  Past VERDICT_TRACE_MAX items the verdict counts
 * the rest as lost.  Never fails the message: a trace only informs.
 */
void	trace_rule(struct filter_result *, const char *rule,
	    const char *part, int result, const void *text, size_t len);

/*
 * Writes text as printable ASCII into out, a NUL-terminated string of at
 * most outlen - 1 bytes: a backslash becomes "\\", a double quote "\"",
 * a tab, line feed and carriage return "\t", "\n" and "\r", every other
 * byte outside 0x20 to 0x7e "\xHH"; a text that does not fit is cut at a
 * whole escape and ends in "...".  outlen must be at least 4.  Returns
 * out.
 */
char	*trace_escape(char *out, size_t outlen, const void *text,
	    size_t len);

#endif
