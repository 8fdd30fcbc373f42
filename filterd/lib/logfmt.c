/*
 * logfmt: runs wherever a line is made of values from outside -- the
 * supervisor's log line per message and control socket answers, and
 * filterd -t.  Trusts nothing in the values; see logfmt.h for the rules.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "filterd/lib/logfmt.h"

/* Room kept at the end of a cut value for "..." and the closing quote. */
#define CUT_MARK	"..."

void
logfmt_init(struct logfmt *l, char *buf, size_t cap)
{
	l->buf = buf;
	l->cap = cap;
	l->len = 0;
	buf[0] = '\0';
}

static int
plain(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '=';
}

int
logfmt_bare(const char *v)
{
	if (v == NULL || *v == '\0')
		return 0;
	for (; *v != '\0'; v++)
		if (!plain((unsigned char)*v))
			return 0;
	return 1;
}

/* Appends n bytes if they fit whole, else nothing; returns whether. */
static int
put(struct logfmt *l, const char *s, size_t n)
{
	if (l->len + n + 1 > l->cap)
		return 0;
	memcpy(l->buf + l->len, s, n);
	l->len += n;
	l->buf[l->len] = '\0';
	return 1;
}

/* The encoding of one byte inside quotes; returns its length. */
static size_t
quoted_byte(unsigned char c, char out[4])
{
	static const char	 hex[] = "0123456789abcdef";

	if (c == '"' || c == '\\') {
		out[0] = '\\';
		out[1] = (char)c;
		return 2;
	}
	if (c >= 0x20 && c < 0x7f) {
		out[0] = (char)c;
		return 1;
	}
	out[0] = '\\';
	out[1] = 'x';
	out[2] = hex[c >> 4];
	out[3] = hex[c & 15];
	return 4;
}

void
logfmt_value(struct logfmt *l, const char *v, size_t max)
{
	const int	 bare = logfmt_bare(v);
	const size_t	 mark = strlen(CUT_MARK);
	size_t		 start, n, room;
	char		 e[4];

	if (v == NULL)
		v = "";
	/* max bounds the encoding; the line's room bounds it too. */
	if (max < mark + 1)
		max = mark + 1;
	start = l->len;
	if (!bare && !put(l, "\"", 1))
		return;
	for (; *v != '\0'; v++) {
		n = bare ? 1 : quoted_byte((unsigned char)*v, e);
		if (bare)
			e[0] = *v;
		room = (v[1] != '\0' ? mark : 0) + (bare ? 0 : 1);
		if (l->len - start + n + room > max ||
		    l->len + n + room + (bare ? 0 : 1) + 1 > l->cap) {
			(void)put(l, CUT_MARK, mark);
			break;
		}
		(void)put(l, e, n);
	}
	if (!bare && !put(l, "\"", 1)) {
		/* No room for the closing quote: take the value back. */
		l->len = start;
		l->buf[l->len] = '\0';
	}
}

void
logfmt_str(struct logfmt *l, const char *key, const char *v, size_t max)
{
	size_t	 start = l->len;

	if ((l->len > 0 && !put(l, " ", 1)) || !put(l, key, strlen(key)) ||
	    !put(l, "=", 1)) {
		l->len = start;
		l->buf[l->len] = '\0';
		return;
	}
	logfmt_value(l, v, max);
}

void
logfmt_raw(struct logfmt *l, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (l->len + 1 >= l->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, l->cap - l->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		l->buf[l->len] = '\0';
	else if ((size_t)n >= l->cap - l->len)
		l->len = l->cap - 1;
	else
		l->len += (size_t)n;
}
