/*
 * rfc5322: header fields -- what a field name is, what a field value may
 * hold.  Shared: the validator checks worker-made header operations with
 * it, and the configuration loader the headers a rule adds.
 */
#include <string.h>

#include "filterd/lib/rfc5322.h"
#include "filterd/lib/verdict.h"

static int
fail(const char **why_r, const char *why)
{
	*why_r = why;
	return -1;
}

int
rfc5322_check_name(const char *name, const char **why_r)
{
	const char	*s;

	if (*name == '\0')
		return fail(why_r, "empty header name");
	if (strlen(name) > VERDICT_HDR_NAME_MAX)
		return fail(why_r, "header name too long");
	for (s = name; *s != '\0'; s++)
		if (*s <= 0x20 || *s > 0x7e || *s == ':')
			return fail(why_r, "header name is not an RFC 5322 "
			    "field name");
	return 0;
}

int
rfc5322_check_value(const char *value, const char **why_r)
{
	const char	*s;

	if (strlen(value) > VERDICT_HDR_VALUE_MAX)
		return fail(why_r, "header value too long");
	for (s = value; *s != '\0'; s++) {
		if (*s == '\r') {
			/* Folding only as CRLF followed by a space or tab. */
			if (s[1] != '\n' || (s[2] != ' ' && s[2] != '\t'))
				return fail(why_r, "header value has a bare "
				    "CR or LF");
			s++;
		} else if (*s == '\n')
			return fail(why_r, "header value has a bare CR or LF");
		else if ((unsigned char)*s < 0x20 && *s != '\t')
			return fail(why_r, "header value has a control "
			    "character");
	}
	return 0;
}
