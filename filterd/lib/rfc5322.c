/*
 * rfc5322: the one message parser (see rfc5322.h for where the header
 * ends), and what a field name and value filterd writes may hold.  Runs
 * in the supervisor and in filterd -t, on MTA input, which is untrusted:
 * every length is bounded before it is stored.  The checks also run in
 * every process that reads the configuration (headers a rule adds) and
 * in the worker (headers a module hands filter.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "filterd/lib/buf.h"
#include "filterd/lib/message.h"
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

/*
 * The length of the multibyte UTF-8 sequence that starts at s, with its
 * code point in *cp_r, or 0 when it is none (RFC 3629: no overlong form,
 * no surrogate, nothing past U+10FFFF).  Stops at the first byte that is
 * no continuation, so never reads past a NUL.
 */
static size_t
utf8_seq(const unsigned char *s, uint32_t *cp_r)
{
	static const uint32_t	 min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	uint32_t		 cp;
	size_t			 n, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;	/* ASCII, a continuation, 0xc0, 0xc1, 0xf5.. */
	cp = s[0] & (0x7fU >> n);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*cp_r = cp;
	return n;
}

/*
 * Printable ASCII, tab, and UTF-8 (RFC 6532) but for the C1 controls;
 * DEL is a control too.  Postfix, Sendmail and OpenSMTPD check none of
 * it in a field a filter adds: this is the only check.
 */
int
rfc5322_check_value(const char *value, const char **why_r)
{
	const unsigned char	*s;
	uint32_t		 cp;
	size_t			 n;

	if (strlen(value) > VERDICT_HDR_VALUE_MAX)
		return fail(why_r, "header value too long");
	for (s = (const unsigned char *)value; *s != '\0'; s += n) {
		n = 1;
		if (*s == '\r') {
			/* Folding only as CRLF followed by a space or tab. */
			if (s[1] != '\n' || (s[2] != ' ' && s[2] != '\t'))
				return fail(why_r, "header value has a bare "
				    "CR or LF");
			n = 2;
		} else if (*s == '\n')
			return fail(why_r, "header value has a bare CR or LF");
		else if ((*s < 0x20 && *s != '\t') || *s == 0x7f)
			return fail(why_r, "header value has a control "
			    "character");
		else if (*s >= 0x80 && (n = utf8_seq(s, &cp)) == 0)
			return fail(why_r, "header value is not UTF-8");
		else if (*s >= 0x80 && cp <= 0x9f)
			return fail(why_r, "header value has a control "
			    "character");
	}
	return 0;
}

/* The parser */

enum rfc5322_state {
	R_FIRST,	/* only Received: yet: an mbox "From " line may come */
	R_HEADER,
	R_SKIP,		/* malformed: the rest of the header is skipped */
	R_BODY,
};

struct rfc5322 {
	struct message		*m;
	enum rfc5322_state	 state;
	size_t			 nlines;	/* lines fed so far */
	size_t			 body_line;
	struct buf		*name;		/* the field in progress */
	struct buf		*value;
	struct buf		*line;		/* a milter field, as a line */
	int			 pending;
	struct rfc5322_field	*fields;
	size_t			 nfields;
	size_t			 mbox;		/* its field, or SIZE_MAX */
};

static int
over(struct rfc5322 *p, const char *what)
{
	p->m->over = what;
	return -1;
}

size_t
rfc5322_name_len(const char *line, size_t n)
{
	size_t	 i, len;

	for (i = 0; i < n && i <= MSG_HDR_NAME_MAX && line[i] > ' ' &&
	    line[i] < 0x7f && line[i] != ':'; i++)
		;
	len = i;
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (len == 0 || len > MSG_HDR_NAME_MAX || i >= n || line[i] != ':')
		return 0;
	return len;
}

struct rfc5322 *
rfc5322_new(struct message *m)
{
	struct rfc5322	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->m = m;
	p->mbox = SIZE_MAX;
	if ((p->name = buf_new(MSG_HDR_NAME_MAX)) == NULL ||
	    (p->value = buf_new(MSG_HDR_VALUE_MAX)) == NULL) {
		rfc5322_free(&p);
		return NULL;
	}
	return p;
}

void
rfc5322_free(struct rfc5322 **pp)
{
	struct rfc5322	*p = *pp;

	if (p == NULL)
		return;
	buf_free(&p->name);
	buf_free(&p->value);
	buf_free(&p->line);
	free(p->fields);
	free(p);
	*pp = NULL;
}

/* Stores the field in progress in the message. */
static int
flush(struct rfc5322 *p)
{
	const char	*name, *value;

	if (!p->pending)
		return 0;
	p->pending = 0;
	if ((name = buf_cstr(p->name)) == NULL ||
	    (value = buf_cstr(p->value)) == NULL)
		return over(p, "out of memory");
	if (message_add_header(p->m, name, value) == -1)
		return over(p, p->m->oversize ? "over limits.message_size" :
		    "over the bound on header fields");
	return 0;
}

/* The header has ended before the line being fed (or at the end). */
static void
to_body(struct rfc5322 *p)
{
	p->state = R_BODY;
	p->body_line = p->nlines;
}

static void
malformed(struct rfc5322 *p, const char *why)
{
	p->pending = 0;
	p->m->malformed = why;
	p->state = R_SKIP;
}

/* Starts a field whose name is the first nlen bytes of line. */
static int
field_start(struct rfc5322 *p, const char *line, size_t n, size_t nlen,
    size_t voff)
{
	struct rfc5322_field	*f;

	if (flush(p) == -1)
		return -1;
	if (p->nfields % 64 == 0) {
		if (p->nfields >= MSG_HDRS_MAX)
			return over(p, "over the bound on header fields");
		if ((f = reallocarray(p->fields, p->nfields + 64,
		    sizeof(*f))) == NULL)
			return over(p, "out of memory");
		p->fields = f;
	}
	p->fields[p->nfields].first = p->nlines;
	p->fields[p->nfields++].nlines = 1;
	while (voff < n && (line[voff] == ' ' || line[voff] == '\t'))
		voff++;
	buf_reset(p->name);
	buf_reset(p->value);
	p->pending = 1;
	if (buf_put(p->name, line, nlen) == -1 ||
	    buf_put(p->value, line + voff, n - voff) == -1)
		return over(p, "over the bound on a header field's length");
	return 0;
}

static int
field_more(struct rfc5322 *p, const char *line, size_t n)
{
	p->fields[p->nfields - 1].nlines++;
	if (buf_put(p->value, "\n", 1) == -1 ||
	    buf_put(p->value, line, n) == -1)
		return over(p, "over the bound on a header field's length");
	return 0;
}

/* A leading mbox "From " line: the field X-Mailbox-Line, as in Postfix. */
static int
mbox_line(struct rfc5322 *p, const char *line, size_t n)
{
	const char	*name = RFC5322_MBOX_FIELD;
	size_t		 len = strlen(name);

	p->state = R_HEADER;
	/* Only once it is a field: storing the one before may fail. */
	if (field_start(p, name, len, len, len) == -1)
		return -1;
	p->mbox = p->nfields - 1;
	if (buf_put(p->value, line, n) == -1)
		return over(p, "over the bound on a header field's length");
	return 0;
}

static int
header_line(struct rfc5322 *p, const char *line, size_t n)
{
	size_t	 nlen;

	if (n == 0) {
		to_body(p);
		return flush(p);
	}
	if (memchr(line, '\0', n) != NULL) {
		malformed(p, "a NUL byte in the header");
		return 0;
	}
	if ((line[0] == ' ' || line[0] == '\t') && p->pending)
		return field_more(p, line, n);
	if ((nlen = rfc5322_name_len(line, n)) == 0) {
		if (p->state == R_FIRST && n >= 5 &&
		    memcmp(line, "From ", 5) == 0)
			return mbox_line(p, line, n);
		malformed(p, "a header line that is not a field");
		return 0;
	}
	/* The MTA's own Received: may come before the mbox line. */
	if (nlen != 8 || strncasecmp(line, "Received", 8) != 0)
		p->state = R_HEADER;
	return field_start(p, line, n, nlen,
	    (size_t)((const char *)memchr(line, ':', n) - line) + 1);
}

int
rfc5322_line(struct rfc5322 *p, const char *line, size_t n)
{
	int	 rc = 0;

	switch (p->state) {
	case R_FIRST:
	case R_HEADER:
		rc = header_line(p, line, n);
		break;
	case R_SKIP:
		if (n == 0)
			to_body(p);
		break;
	case R_BODY:
		if (message_add_body(p->m, line, n) == -1 ||
		    message_add_body(p->m, "\r\n", 2) == -1)
			rc = over(p, "over limits.message_size");
		break;
	}
	p->nlines++;
	if (p->state != R_BODY)
		p->body_line = p->nlines;
	return rc;
}

/*
 * Feeds text a line at a time: LF or CRLF ends a line, a last line without
 * one is a line.  Inside a field (the milter's value), every line after
 * the first must be a continuation: an empty line, or one that would
 * start a field of its own, makes the field malformed.
 */
static int
feed_text(struct rfc5322 *p, const char *l, size_t len, int in_field)
{
	const char	*first = l, *nl;
	size_t		 n, next;
	int		 rc = 0;

	for (; rc == 0 && len > 0; len -= next, l += next) {
		nl = memchr(l, '\n', len);
		next = n = nl != NULL ? (size_t)(nl - l) + 1 : len;
		if (nl != NULL)
			n -= n > 1 && l[n - 2] == '\r' ? 2 : 1;
		if (in_field && p->state == R_SKIP)
			break;
		if (in_field && l != first && (n == 0 ||
		    (l[0] != ' ' && l[0] != '\t')))
			malformed(p, "a line break inside a header field");
		else
			rc = rfc5322_line(p, l, n);
	}
	return rc;
}

int
rfc5322_text(struct rfc5322 *p, const char *text, size_t len)
{
	return feed_text(p, text, len, 0);
}

int
rfc5322_field(struct rfc5322 *p, const char *name, const char *value)
{
	struct buf	*b;
	size_t		 len;

	if (p->state == R_SKIP)
		return 0;
	if (p->state == R_BODY) {
		malformed(p, "a header field after the header");
		return 0;
	}
	if (p->line == NULL && (p->line = buf_new(MSG_HDR_NAME_MAX +
	    MSG_HDR_VALUE_MAX + 2)) == NULL)
		return over(p, "out of memory");
	b = p->line;
	buf_reset(b);
	len = strlen(name);
	if (buf_put(b, name, len) == -1 || buf_put(b, ":", 1) == -1 ||
	    buf_put(b, value, strlen(value)) == -1)
		return over(p, "over the bound on a header field's length");
	if (rfc5322_name_len((const char *)buf_data(b), buf_len(b)) != len) {
		malformed(p, "a header line that is not a field");
		return 0;
	}
	return feed_text(p, (const char *)buf_data(b), buf_len(b), 1);
}

int
rfc5322_body(struct rfc5322 *p, const void *data, size_t n)
{
	if (p->state != R_BODY) {
		if (p->state != R_SKIP && flush(p) == -1)
			return -1;
		to_body(p);
	}
	if (message_add_body(p->m, data, n) == -1)
		return over(p, "over limits.message_size");
	return 0;
}

int
rfc5322_end(struct rfc5322 *p)
{
	return p->state == R_SKIP ? 0 : flush(p);
}

const struct rfc5322_field *
rfc5322_fields(const struct rfc5322 *p, size_t *n_r)
{
	*n_r = p->nfields;
	return p->fields;
}

size_t
rfc5322_mbox(const struct rfc5322 *p)
{
	return p->mbox;
}

size_t
rfc5322_body_line(const struct rfc5322 *p)
{
	return p->body_line;
}
