/*
 * logfmt: key=value lines that hostile values cannot break.  A value is
 * written bare when it is made of printable ASCII other than space, '"',
 * '\' and '=', and quoted otherwise ("" when empty), with '"' and '\'
 * escaped by a backslash and every other byte outside printable ASCII as
 * \xNN.  So a field always ends at the first space outside quotes, and a
 * line at its end: whatever a value holds, it cannot make a field or a
 * line of its own.  This is the convention that log tools call logfmt.
 * Used for the message's log line (super_answer.c) and the control
 * socket's answers (super_ctl.c).
 */
#ifndef FILTERD_LIB_LOGFMT_H
#define FILTERD_LIB_LOGFMT_H

#include <stddef.h>

/* A line being built in the caller's buffer; never overflows it. */
struct logfmt {
	char	*buf;
	size_t	 len, cap;
};

/* Starts an empty line in buf (cap bytes, at least 1). */
void	logfmt_init(struct logfmt *, char *buf, size_t cap);
/*
 * Appends " key=value" (no space first on an empty line), the value
 * encoded as above and cut to at most max bytes of its encoding, which
 * then ends with "..." (inside the quotes).  A NULL value is written as
 * "".  key must be a bare word of the caller's.
 */
void	logfmt_str(struct logfmt *, const char *key, const char *value,
	    size_t max);
/* Appends value encoded and cut as logfmt_str does, without a key. */
void	logfmt_value(struct logfmt *, const char *value, size_t max);
/* Appends text as it is: the caller's own, already a bare word. */
void	logfmt_raw(struct logfmt *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Whether value would be written bare. */
int	logfmt_bare(const char *value);

#endif
