/*
 * rfc5322: the one definition of a header field, shared by every process.
 */
#ifndef FILTERD_LIB_RFC5322_H
#define FILTERD_LIB_RFC5322_H

/*
 * A field name as filterd writes one: 1 to VERDICT_HDR_NAME_MAX printable
 * ASCII characters other than ":".  Returns 0, or -1 with a reason.
 */
int	rfc5322_check_name(const char *, const char **why_r);
/*
 * A field value as filterd writes one: at most VERDICT_HDR_VALUE_MAX
 * bytes, no NUL or control character but tab, line breaks only as CRLF
 * followed by a space or a tab (folding).  Returns 0, or -1 with a reason.
 */
int	rfc5322_check_value(const char *, const char **why_r);

#endif
