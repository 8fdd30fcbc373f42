/*
 * mime: a small, bounded MIME parser.  Runs in the worker, inside the
 * sandbox, and trusts nothing in its input: every byte of the headers and
 * the body is the attacker's.  It opens nothing, asks no locale and no
 * iconv, and allocates only through capped buffers (filterd/buf.h).
 *
 * Layout: byte classes and the sink (a bounded output); charsets to UTF-8;
 * base64 and quoted-printable bodies; RFC 2047 encoded words; a lexer for
 * structured header values and their parameters (RFC 2045, RFC 2231);
 * header blocks of body parts; the entity walk (multipart, message/rfc822),
 * which recurses at most MIME_DEPTH_MAX levels; the text; the accessors;
 * file name extensions.
 *
 * Pointer arithmetic over untrusted bytes happens only on a (pointer,
 * length) pair with an index checked against the length first.
 */
#include <stdlib.h>
#include <string.h>

#include "filterd/lib/buf.h"
#include "filterd/lib/message.h"
#include "filters/mime.h"

#define NONE		((size_t)-1)
#define RAW_MAX		MSG_HDR_VALUE_MAX	/* a parameter, undecoded */
#define UTF_MAX		(3 * RAW_MAX)		/* the same, in UTF-8 */
#define BOUNDARY_MAX	1024			/* RFC 2046 says 70 */
#define SEGS_MAX	64			/* parameters kept per header */
#define SEG_IDX_MAX	999			/* RFC 2231 name*999 */
#define DISP_MAX	32

enum cte { CTE_IDENTITY, CTE_BASE64, CTE_QP };
enum cs { CS_PASS, CS_LATIN1, CS_LATIN15, CS_CP1252 };
enum param { P_CHARSET, P_BOUNDARY, P_NAME, P_FILENAME, P_OTHER };

struct range {
	const uint8_t	*p;
	size_t		 n;
};

/* A bounded output: the first append that does not fit cuts it. */
struct sink {
	struct buf	*b;
	int		 cut;	/* hit the buffer's maximum */
	int		 oom;	/* an allocation failed */
};

struct mime_part {
	char		 type[MIME_TYPE_MAX];
	char		 charset[MIME_CHARSET_MAX];
	char		 disposition[DISP_MAX];
	char		 ext[MIME_EXT_MAX];
	char		*filename;	/* NULL: none */
	size_t		 depth;
	size_t		 parent;
	unsigned	 flags;
	enum cs		 cs;
	int		 container;	/* its children were parsed */
	int		 textual;	/* goes into mime_text() */
	size_t		 text_off;	/* its share of it, when textual */
	size_t		 text_len;
	struct buf	*dec;		/* owned decoded bytes, or NULL */
	const uint8_t	*data;
	size_t		 len;
};

struct mime {
	struct mime_limits	 lim;
	struct mime_part	*parts;
	size_t			 nparts;
	size_t			 cap;
	unsigned		 flags;
	size_t			 decoded;	/* base64 and QP bytes so far */
	struct buf		*text;
	size_t			 textlen;	/* without a cut UTF-8 tail */
	struct buf		*raw;		/* scratch: a parameter */
	struct buf		*utf;		/* scratch: that, in UTF-8 */
	int			 oom;
	int			 stop;		/* out of parts or memory */
};

/* The header fields of one entity that MIME parsing needs. */
struct ehdrs {
	struct range	 ct;
	struct range	 cte;
	struct range	 cd;
	unsigned	 flags;
};

struct seg {
	enum param	 name;
	int		 idx;		/* -1: not a continuation */
	int		 ext;		/* charset'lang'%XX or %XX */
	int		 quoted;
	struct range	 v;
};

struct params {
	struct seg	 v[SEGS_MAX];
	size_t		 n;
	unsigned	 flags;
};

struct lex {
	const uint8_t	*p;
	size_t		 n;
	size_t		 i;
};

static const uint8_t	empty[1];
static const struct range none = { empty, 0 };

/*
 * Byte classes, ASCII only: no locale is ever consulted.
 */
static int
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

static int
is_fws(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
is_ctl(int c)
{
	return c < 0x20 || c == 0x7f;
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Two hex digits, already checked. */
static uint8_t
hexbyte(const uint8_t *p)
{
	return (uint8_t)(hexval(p[0]) << 4 | hexval(p[1]));
}

/* RFC 2045 token characters. */
static int
is_tchar(int c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* Compares n bytes with a lower-case literal, ignoring ASCII case. */
static int
range_is(const uint8_t *p, size_t n, const char *lit)
{
	size_t	i;

	if (strlen(lit) != n)
		return 0;
	for (i = 0; i < n; i++)
		if (lower(p[i]) != lit[i])
			return 0;
	return 1;
}

/*
 * Copies n bytes lower-cased into dst as a string.  Returns 0, or -1 when
 * they do not fit or hold a control or non-ASCII byte.
 */
static int
lower_copy(char *dst, size_t dstlen, const uint8_t *p, size_t n)
{
	size_t	i;

	if (n >= dstlen)
		return -1;
	for (i = 0; i < n; i++) {
		if (is_ctl(p[i]) || p[i] >= 0x80)
			return -1;
		dst[i] = (char)lower(p[i]);
	}
	dst[n] = '\0';
	return 0;
}

/* Returns the index of the '\n' ending the line at off, or n. */
static size_t
line_end(const uint8_t *p, size_t n, size_t off)
{
	const uint8_t	*q;

	if (off >= n)
		return n;
	q = memchr(p + off, '\n', n - off);
	return q == NULL ? n : (size_t)(q - p);
}

/*
 * Returns n without a UTF-8 sequence cut short at its end, for output
 * that a limit truncated.
 */
static size_t
utf8_trim(const uint8_t *p, size_t n)
{
	size_t	i = n, k = 0, need;

	while (i > 0 && k < 3 && (p[i - 1] & 0xc0) == 0x80) {
		i--;
		k++;
	}
	if (i == 0 || p[i - 1] < 0xc0)
		return n;
	need = p[i - 1] >= 0xf0 ? 4 : p[i - 1] >= 0xe0 ? 3 : 2;
	return n - (i - 1) < need ? i - 1 : n;
}

static void
sink_init(struct sink *s, struct buf *b)
{
	s->b = b;
	s->cut = 0;
	s->oom = 0;
}

static int
sink_ok(const struct sink *s)
{
	return !s->cut && !s->oom;
}

/* Appends all of p, or sets cut (or oom) and appends nothing. */
static int
sink_put(struct sink *s, const void *p, size_t n)
{
	if (!sink_ok(s))
		return -1;
	if (buf_put(s->b, p, n) == 0)
		return 0;
	if (n > buf_max(s->b) - buf_len(s->b))
		s->cut = 1;
	else
		s->oom = 1;
	return -1;
}

static int
sink_byte(struct sink *s, uint8_t c)
{
	return sink_put(s, &c, 1);
}

/* Appends as much of p as fits; sets cut when not all of it did. */
static void
sink_some(struct sink *s, const uint8_t *p, size_t n)
{
	size_t	room;

	if (!sink_ok(s))
		return;
	room = buf_max(s->b) - buf_len(s->b);
	if (n <= room) {
		(void)sink_put(s, p, n);
		return;
	}
	(void)sink_put(s, p, room);
	if (sink_ok(s))
		s->cut = 1;
}

/*
 * Charsets.  Conversion is by hand and byte by byte: nothing here keeps
 * state between bytes, so encoded words and lines may be converted apart.
 */
struct cs_alias {
	const char	*name;
	enum cs		 cs;
};

static const struct cs_alias cs_aliases[] = {
	{ "iso-8859-1", CS_LATIN1 },	{ "iso8859-1", CS_LATIN1 },
	{ "iso_8859-1", CS_LATIN1 },	{ "iso_8859-1:1987", CS_LATIN1 },
	{ "latin1", CS_LATIN1 },	{ "latin-1", CS_LATIN1 },
	{ "l1", CS_LATIN1 },		{ "cp819", CS_LATIN1 },
	{ "ibm819", CS_LATIN1 },	{ "iso-ir-100", CS_LATIN1 },
	{ "iso-8859-15", CS_LATIN15 },	{ "iso8859-15", CS_LATIN15 },
	{ "iso_8859-15", CS_LATIN15 },	{ "latin9", CS_LATIN15 },
	{ "latin-9", CS_LATIN15 },
	{ "windows-1252", CS_CP1252 },	{ "cp1252", CS_CP1252 },
	{ "x-cp1252", CS_CP1252 },
};

/* windows-1252 0x80-0x9f; U+FFFD for the five it leaves undefined. */
static const uint16_t cp1252_c1[32] = {
	0x20ac, 0xfffd, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0xfffd, 0x017d, 0xfffd,
	0xfffd, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0xfffd, 0x017e, 0x0178,
};

/* UTF-8, US-ASCII and every unknown charset pass through. */
static enum cs
cs_lookup(const uint8_t *p, size_t n)
{
	size_t	i;

	for (i = 0; i < sizeof(cs_aliases) / sizeof(cs_aliases[0]); i++)
		if (range_is(p, n, cs_aliases[i].name))
			return cs_aliases[i].cs;
	return CS_PASS;
}

static uint32_t
cs_latin15(uint8_t c)
{
	switch (c) {
	case 0xa4:
		return 0x20ac;
	case 0xa6:
		return 0x0160;
	case 0xa8:
		return 0x0161;
	case 0xb4:
		return 0x017d;
	case 0xb8:
		return 0x017e;
	case 0xbc:
		return 0x0152;
	case 0xbd:
		return 0x0153;
	case 0xbe:
		return 0x0178;
	}
	return c;
}

/* Appends one code point (at most U+FFFF) as UTF-8, whole or not at all. */
static int
utf8_put(struct sink *s, uint32_t cp)
{
	uint8_t	 u[3];

	if (cp < 0x80)
		return sink_byte(s, (uint8_t)cp);
	if (cp < 0x800) {
		u[0] = 0xc0 | cp >> 6;
		u[1] = 0x80 | (cp & 0x3f);
		return sink_put(s, u, 2);
	}
	u[0] = 0xe0 | cp >> 12;
	u[1] = 0x80 | (cp >> 6 & 0x3f);
	u[2] = 0x80 | (cp & 0x3f);
	return sink_put(s, u, 3);
}

static int
cs_put(struct sink *s, enum cs cs, uint8_t c)
{
	if (c < 0x80 || cs == CS_PASS)
		return sink_byte(s, c);
	if (cs == CS_CP1252 && c < 0xa0)
		return utf8_put(s, cp1252_c1[c - 0x80]);
	if (cs == CS_LATIN15)
		return utf8_put(s, cs_latin15(c));
	return utf8_put(s, c);
}

/*
 * Base64 (RFC 2045 6.8), leniently: white space is skipped, other bytes
 * outside the alphabet are skipped and flagged, decoding goes on after
 * padding (flagged), and a final partial group gives what it holds.
 */
static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

struct b64 {
	uint32_t	 q;	/* bits of the group so far */
	int		 nq;	/* sextets in q */
	int		 pad;	/* padding seen */
	unsigned	 flags;
};

/* Ends a group of two or three sextets; one sextet is lost, and flagged. */
static void
b64_flush(struct b64 *d, struct sink *s, enum cs cs)
{
	if (d->nq == 1)
		d->flags |= MIME_MALFORMED;
	if (d->nq >= 2)
		(void)cs_put(s, cs, (uint8_t)(d->q >> (d->nq == 2 ? 4 : 10)));
	if (d->nq == 3)
		(void)cs_put(s, cs, (uint8_t)(d->q >> 2));
	d->q = 0;
	d->nq = 0;
}

static void
b64_sextet(struct b64 *d, struct sink *s, enum cs cs, int v)
{
	if (d->pad) {
		d->flags |= MIME_MALFORMED;
		d->pad = 0;
	}
	d->q = d->q << 6 | (uint32_t)v;
	if (++d->nq < 4)
		return;
	(void)cs_put(s, cs, (uint8_t)(d->q >> 16));
	(void)cs_put(s, cs, (uint8_t)(d->q >> 8));
	(void)cs_put(s, cs, (uint8_t)d->q);
	d->q = 0;
	d->nq = 0;
}

static unsigned
b64_decode(const uint8_t *p, size_t n, struct sink *s, enum cs cs)
{
	struct b64	d;
	size_t		i;
	int		v;

	memset(&d, 0, sizeof(d));
	for (i = 0; i < n && sink_ok(s); i++) {
		if ((v = b64val(p[i])) >= 0)
			b64_sextet(&d, s, cs, v);
		else if (p[i] == '=') {
			b64_flush(&d, s, cs);
			d.pad = 1;
		} else if (!is_fws(p[i]))
			d.flags |= MIME_MALFORMED;
	}
	b64_flush(&d, s, cs);
	return d.flags;
}

/*
 * Quoted-printable (RFC 2045 6.7): "=XX" (either case), soft line breaks
 * "=" [WSP] (CRLF | LF | end), white space at the end of a line dropped.
 * A "=" that starts nothing valid is kept as it is and flagged.
 * Returns how many bytes of p the escape at p[0] took.
 */
static size_t
qp_escape(const uint8_t *p, size_t n, struct sink *s, unsigned *flags)
{
	size_t	j;

	if (n >= 3 && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
		(void)sink_byte(s, hexbyte(p + 1));
		return 3;
	}
	for (j = 1; j < n && is_wsp(p[j]); j++)
		continue;
	if (j == n)
		return n;
	if (p[j] == '\n')
		return j + 1;
	if (p[j] == '\r' && (j + 1 == n || p[j + 1] == '\n'))
		return j + 1 == n ? n : j + 2;
	*flags |= MIME_MALFORMED;
	(void)sink_byte(s, '=');
	return 1;
}

/* Returns the length of a line break at p[0], or 0. */
static size_t
eol_len(const uint8_t *p, size_t n)
{
	if (n >= 1 && p[0] == '\n')
		return 1;
	if (n >= 2 && p[0] == '\r' && p[1] == '\n')
		return 2;
	return 0;
}

static unsigned
qp_decode(const uint8_t *p, size_t n, struct sink *s)
{
	size_t		i = 0, ws = 0, nws = 0, k;
	unsigned	flags = 0;

	while (i < n && sink_ok(s)) {
		if (is_wsp(p[i])) {
			if (nws++ == 0)
				ws = i;
			i++;
			continue;
		}
		if ((k = eol_len(p + i, n - i)) > 0) {
			nws = 0;	/* trailing white space goes */
			(void)sink_put(s, p + i, k);
			i += k;
			continue;
		}
		if (nws > 0)
			(void)sink_put(s, p + ws, nws);
		nws = 0;
		if (p[i] == '=')
			i += qp_escape(p + i, n - i, s, &flags);
		else
			(void)sink_byte(s, p[i++]);
	}
	return flags;
}

/*
 * RFC 2047 encoded words: =?charset[*lang]?B|Q?text?=.  ew_parse checks a
 * whole word before anything is written, so an invalid one is kept as it
 * is.  Every scan stops at the next '?', so the attempts together stay
 * linear in the input.
 */
struct ew {
	enum cs		 cs;
	int		 enc;	/* 'b' or 'q' */
	struct range	 text;
};

static int
ew_valid_b(const uint8_t *p, size_t n)
{
	size_t	i, data = 0;

	for (i = 0; i < n && b64val(p[i]) >= 0; i++)
		data++;
	for (; i < n && p[i] == '='; i++)
		continue;
	return i == n && data % 4 != 1;
}

static int
ew_valid_q(const uint8_t *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (p[i] != '=')
			continue;
		if (i + 2 >= n || hexval(p[i + 1]) < 0 || hexval(p[i + 2]) < 0)
			return 0;
		i += 2;
	}
	return 1;
}

/* Returns the length of the encoded word at p, or 0 when there is none. */
static size_t
ew_parse(const uint8_t *p, size_t n, struct ew *ew)
{
	size_t	i = 2, cs, ts;

	if (n < 2 || p[0] != '=' || p[1] != '?')
		return 0;
	while (i < n && i - 2 < MIME_CHARSET_MAX && p[i] != '?' &&
	    p[i] > 0x20 && p[i] < 0x7f)
		i++;
	if (i >= n || p[i] != '?' || i == 2)
		return 0;
	/* RFC 2231 section 5: the charset may carry "*language". */
	for (cs = 2; cs < i && p[cs] != '*'; cs++)
		continue;
	ew->cs = cs_lookup(p + 2, cs - 2);
	if (i + 2 >= n || p[i + 2] != '?')
		return 0;
	ew->enc = lower(p[i + 1]);
	if (ew->enc != 'b' && ew->enc != 'q')
		return 0;
	for (i += 3, ts = i; i < n && p[i] != '?' && p[i] > 0x20 &&
	    p[i] < 0x7f; i++)
		continue;
	if (i + 1 >= n || p[i] != '?' || p[i + 1] != '=')
		return 0;
	ew->text.p = p + ts;
	ew->text.n = i - ts;
	if (ew->enc == 'b' ? !ew_valid_b(ew->text.p, ew->text.n) :
	    !ew_valid_q(ew->text.p, ew->text.n))
		return 0;
	return i + 2;
}

static void
ew_write(const struct ew *ew, struct sink *s)
{
	const uint8_t	*p = ew->text.p;
	size_t		 i, n = ew->text.n;

	if (ew->enc == 'b') {
		(void)b64_decode(p, n, s, ew->cs);
		return;
	}
	for (i = 0; i < n && sink_ok(s); i++) {
		if (p[i] == '_')
			(void)sink_byte(s, ' ');
		else if (p[i] == '=') {
			(void)cs_put(s, ew->cs, hexbyte(p + i + 1));
			i += 2;
		} else
			(void)sink_byte(s, p[i]);
	}
}

/* White space held back after an encoded word, without CR and LF. */
static void
ew_flush_ws(const uint8_t *p, size_t from, size_t to, struct sink *s)
{
	for (; from < to; from++)
		if (p[from] != '\r' && p[from] != '\n')
			(void)sink_byte(s, p[from]);
}

/*
 * Decodes a header value: encoded words into UTF-8, CR and LF dropped,
 * the white space between two encoded words dropped.  Other bytes pass.
 */
static void
ew_decode(const uint8_t *p, size_t n, struct sink *s)
{
	struct ew	ew;
	size_t		i = 0, k, ws = 0;
	int		after_ew = 0, held = 0;

	while (i < n && sink_ok(s)) {
		if (p[i] == '=' && (k = ew_parse(p + i, n - i, &ew)) > 0) {
			if (held && !after_ew)
				ew_flush_ws(p, ws, i, s);
			held = 0;
			ew_write(&ew, s);
			after_ew = 1;
			i += k;
		} else if (is_fws(p[i])) {
			if (!held)
				ws = i;
			held = 1;
			i++;
		} else {
			if (held)
				ew_flush_ws(p, ws, i, s);
			held = 0;
			after_ew = 0;
			(void)sink_byte(s, p[i++]);
		}
	}
	if (held)
		ew_flush_ws(p, ws, n, s);
}

/*
 * The lexer for structured header values: RFC 822 comments (nested,
 * with quoted pairs) and folding are white space.
 */
static void
lx_init(struct lex *l, struct range r)
{
	l->p = r.p;
	l->n = r.n;
	l->i = 0;
}

static int
lx_cur(const struct lex *l)
{
	return l->i < l->n ? l->p[l->i] : -1;
}

static void
lx_comment(struct lex *l)
{
	size_t	depth = 0;
	int	c;

	while (l->i < l->n) {
		c = l->p[l->i++];
		if (c == '\\' && l->i < l->n)
			l->i++;
		else if (c == '(')
			depth++;
		else if (c == ')' && --depth == 0)
			return;
	}
}

static void
lx_cfws(struct lex *l)
{
	while (l->i < l->n) {
		if (is_fws(l->p[l->i]))
			l->i++;
		else if (l->p[l->i] == '(')
			lx_comment(l);
		else
			return;
	}
}

static size_t
lx_token(struct lex *l, struct range *r)
{
	r->p = l->p + l->i;
	for (r->n = 0; l->i < l->n && is_tchar(l->p[l->i]); l->i++)
		r->n++;
	return r->n;
}

static void
lx_skip_to(struct lex *l, int c)
{
	while (l->i < l->n && l->p[l->i] != c)
		l->i++;
}

/* A quoted string, escapes left in; unterminated is flagged. */
static void
lx_quoted(struct lex *l, struct range *r, unsigned *flags)
{
	size_t	start = ++l->i;

	while (l->i < l->n && l->p[l->i] != '"') {
		if (l->p[l->i] == '\\' && l->i + 1 < l->n)
			l->i++;
		l->i++;
	}
	r->p = l->p + start;
	r->n = l->i - start;
	if (l->i < l->n)
		l->i++;
	else
		*flags |= MIME_MALFORMED;
}

/*
 * An unquoted value, leniently: a charset or boundary ends at white space
 * or a comment; a name runs to the next ';', spaces and all, as mail
 * readers take it.
 */
static void
lx_bare(struct lex *l, enum param name, struct range *r)
{
	int	 word = name == P_CHARSET || name == P_BOUNDARY;
	int	 c;

	r->p = l->p + l->i;
	while ((c = lx_cur(l)) != -1 && c != ';' &&
	    !(word && (is_fws(c) || c == '(')))
		l->i++;
	r->n = (size_t)(l->p + l->i - r->p);
	while (r->n > 0 && is_fws(r->p[r->n - 1]))
		r->n--;
}

/*
 * Parameters (RFC 2045 5.1, RFC 2231).  Only those MIME parsing uses are
 * kept: charset, boundary, name, filename, as segments for RFC 2231
 * continuations (name*0, name*1*, ...).
 */
static enum param
param_which(const uint8_t *p, size_t n)
{
	if (range_is(p, n, "charset"))
		return P_CHARSET;
	if (range_is(p, n, "boundary"))
		return P_BOUNDARY;
	if (range_is(p, n, "name"))
		return P_NAME;
	if (range_is(p, n, "filename"))
		return P_FILENAME;
	return P_OTHER;
}

/* Splits "name", "name*", "name*N" or "name*N*"; -1 for anything else. */
static int
param_attr(struct range a, struct seg *sg)
{
	const uint8_t	*star;
	size_t		 i, k;

	star = memchr(a.p, '*', a.n);
	k = star == NULL ? a.n : (size_t)(star - a.p);
	sg->name = param_which(a.p, k);
	sg->idx = -1;
	sg->ext = 0;
	if (star == NULL)
		return 0;
	if ((i = k + 1) == a.n) {
		sg->ext = 1;
		return 0;
	}
	if (a.p[i] < '0' || a.p[i] > '9')
		return -1;
	for (sg->idx = 0; i < a.n && a.p[i] >= '0' && a.p[i] <= '9' &&
	    sg->idx <= SEG_IDX_MAX; i++)
		sg->idx = sg->idx * 10 + (a.p[i] - '0');
	if (sg->idx > SEG_IDX_MAX)
		return -1;
	if (i == a.n)
		return 0;
	if (i + 1 != a.n || a.p[i] != '*')
		return -1;
	sg->ext = 1;
	return 0;
}

static const struct seg *
param_find(const struct params *ps, enum param name, int idx, int ext)
{
	size_t	i;

	for (i = 0; i < ps->n; i++)
		if (ps->v[i].name == name && ps->v[i].idx == idx &&
		    (ext == -1 || ps->v[i].ext == ext))
			return &ps->v[i];
	return NULL;
}

static void
param_add(struct params *ps, const struct seg *sg)
{
	if (sg->name == P_OTHER)
		return;
	if (param_find(ps, sg->name, sg->idx, sg->ext) != NULL ||
	    ps->n == SEGS_MAX) {
		ps->flags |= MIME_MALFORMED;	/* the first one counts */
		return;
	}
	ps->v[ps->n++] = *sg;
}

/* One "; attribute = value"; on anything else skips to the next ';'. */
static void
params_one(struct lex *l, struct params *ps)
{
	struct range	 a;
	struct seg	 sg;

	l->i++;
	lx_cfws(l);
	if (lx_token(l, &a) == 0)
		return;
	lx_cfws(l);
	if (lx_cur(l) != '=') {
		ps->flags |= MIME_MALFORMED;
		return;
	}
	l->i++;
	lx_cfws(l);
	if (param_attr(a, &sg) == -1)
		sg.name = P_OTHER;
	sg.quoted = lx_cur(l) == '"';
	if (sg.quoted)
		lx_quoted(l, &sg.v, &ps->flags);
	else
		lx_bare(l, sg.name, &sg.v);
	param_add(ps, &sg);
}

static void
params_parse(struct lex *l, struct params *ps)
{
	for (;;) {
		lx_cfws(l);
		if (lx_cur(l) == -1)
			return;
		if (lx_cur(l) == ';')
			params_one(l, ps);
		else {
			ps->flags |= MIME_MALFORMED;
			lx_skip_to(l, ';');
		}
	}
}

/* A segment's bytes: quoted pairs undone, folding dropped, %XX if ext. */
static void
seg_put(struct range v, int quoted, int pct, struct sink *s)
{
	size_t	i;

	for (i = 0; i < v.n && sink_ok(s); i++) {
		if (v.p[i] == '\r' || v.p[i] == '\n')
			continue;
		if (quoted && v.p[i] == '\\' && i + 1 < v.n)
			i++;
		else if (pct && v.p[i] == '%' && i + 2 < v.n &&
		    hexval(v.p[i + 1]) >= 0 && hexval(v.p[i + 2]) >= 0) {
			(void)sink_byte(s, hexbyte(v.p + i + 1));
			i += 2;
			continue;
		}
		(void)sink_byte(s, v.p[i]);
	}
}

/* The first extended segment: charset'language'%XX... */
static void
seg_put_first(const struct seg *sg, struct sink *s, enum cs *cs,
    unsigned *flags)
{
	const uint8_t	*q1, *q2 = NULL;
	struct range	 v = sg->v;

	if ((q1 = memchr(v.p, '\'', v.n)) != NULL)
		q2 = memchr(q1 + 1, '\'', v.n - (size_t)(q1 + 1 - v.p));
	if (q2 == NULL) {
		*flags |= MIME_MALFORMED;
		*cs = CS_PASS;
		seg_put(v, sg->quoted, 1, s);
		return;
	}
	*cs = cs_lookup(v.p, (size_t)(q1 - v.p));
	v.n -= (size_t)(q2 + 1 - v.p);
	v.p = q2 + 1;
	seg_put(v, sg->quoted, 1, s);
}

/* RFC 2231 continuations name*0, name*1, ... up to the first gap. */
static int
param_cont(const struct params *ps, enum param name, struct sink *s,
    enum cs *cs, unsigned *flags)
{
	const struct seg	*sg;
	int			 i;

	for (i = 0; i <= SEG_IDX_MAX; i++) {
		if ((sg = param_find(ps, name, i, -1)) == NULL)
			break;
		if (i == 0 && sg->ext)
			seg_put_first(sg, s, cs, flags);
		else
			seg_put(sg->v, sg->quoted, sg->ext, s);
	}
	return i > 0;
}

/*
 * Puts a parameter's value, undecoded but for RFC 2231, into s: name*
 * first, then name*0..., then plain name.  Returns 0 when absent, 1 for a
 * plain value (RFC 2047 words may remain), 2 for an RFC 2231 one in *cs.
 */
static int
param_get(const struct params *ps, enum param name, struct sink *s,
    enum cs *cs, unsigned *flags)
{
	const struct seg	*sg;
	struct range		 v;

	*cs = CS_PASS;
	if ((sg = param_find(ps, name, -1, 1)) != NULL) {
		seg_put_first(sg, s, cs, flags);
		return 2;
	}
	if (param_cont(ps, name, s, cs, flags))
		return 2;
	if ((sg = param_find(ps, name, -1, 0)) == NULL)
		return 0;
	v = sg->v;
	if (v.n > buf_max(s->b)) {
		/* Its end, where a file name keeps its extension. */
		*flags |= MIME_MALFORMED;
		v.p += v.n - buf_max(s->b);
		v.n = buf_max(s->b);
	}
	seg_put(v, sg->quoted, 0, s);
	return 1;
}

/*
 * Parts.
 */
static struct mime_part *
part_at(struct mime *m, size_t i)
{
	return &m->parts[i];
}

static size_t
part_add(struct mime *m, size_t depth, size_t parent)
{
	struct mime_part	*np;
	size_t			 ncap;

	if (m->stop)
		return NONE;
	if (m->nparts >= m->lim.max_parts) {
		m->flags |= MIME_TOO_MANY_PARTS;
		m->stop = 1;
		return NONE;
	}
	if (m->nparts == m->cap) {
		ncap = m->cap == 0 ? 8 : m->cap * 2;
		if (ncap > m->lim.max_parts)
			ncap = m->lim.max_parts;
		if ((np = reallocarray(m->parts, ncap, sizeof(*np))) == NULL) {
			m->oom = m->stop = 1;
			return NONE;
		}
		m->parts = np;
		m->cap = ncap;
	}
	np = part_at(m, m->nparts);
	memset(np, 0, sizeof(*np));
	np->depth = depth;
	np->parent = parent;
	np->data = empty;
	return m->nparts++;
}

/* The sink's state after a parameter or a body was written. */
static void
part_sink(struct mime *m, struct mime_part *pt, const struct sink *s)
{
	if (s->oom)
		m->oom = m->stop = 1;
	if (s->cut)
		pt->flags |= MIME_TRUNCATED;
}

static void
part_type(struct mime_part *pt, struct lex *l, int present,
    const char *deftype)
{
	struct range	 t, st;
	size_t		 n;

	lx_cfws(l);
	if (lx_token(l, &t) > 0 && t.n < MIME_TYPE_MAX / 2) {
		lx_cfws(l);
		if (lx_cur(l) == '/') {
			l->i++;
			lx_cfws(l);
			if (lx_token(l, &st) > 0 && st.n < MIME_TYPE_MAX / 2) {
				(void)lower_copy(pt->type, MIME_TYPE_MAX, t.p,
				    t.n);
				n = strlen(pt->type);
				pt->type[n] = '/';
				(void)lower_copy(pt->type + n + 1,
				    MIME_TYPE_MAX - n - 1, st.p, st.n);
				return;
			}
		}
	}
	/* RFC 2045 5.2: an invalid type means the default. */
	if (present)
		pt->flags |= MIME_MALFORMED;
	n = strlen(deftype);
	memcpy(pt->type, deftype, n + 1);
}

static void
part_charset(struct mime *m, struct mime_part *pt, const struct params *ps)
{
	struct sink	s;
	enum cs		cs;

	buf_reset(m->raw);
	sink_init(&s, m->raw);
	if (param_get(ps, P_CHARSET, &s, &cs, &pt->flags) == 0) {
		part_sink(m, pt, &s);
		return;
	}
	part_sink(m, pt, &s);
	if (lower_copy(pt->charset, sizeof(pt->charset), buf_data(m->raw),
	    buf_len(m->raw)) == -1) {
		pt->charset[0] = '\0';
		pt->flags |= MIME_MALFORMED;
		return;
	}
	pt->cs = cs_lookup(buf_data(m->raw), buf_len(m->raw));
}

/* The boundary, as a new string, or NULL (flagged) when it is unusable. */
static char *
part_boundary(struct mime *m, struct mime_part *pt, const struct params *ps)
{
	struct sink	 s;
	enum cs		 cs;
	char		*b;
	size_t		 n;

	buf_reset(m->raw);
	sink_init(&s, m->raw);
	(void)param_get(ps, P_BOUNDARY, &s, &cs, &pt->flags);
	part_sink(m, pt, &s);
	n = buf_len(m->raw);
	if (m->oom || n == 0 || n > BOUNDARY_MAX ||
	    memchr(buf_data(m->raw), '\n', n) != NULL ||
	    memchr(buf_data(m->raw), '\r', n) != NULL) {
		pt->flags |= MIME_MALFORMED;
		return NULL;
	}
	if ((b = malloc(n + 1)) == NULL) {
		m->oom = m->stop = 1;
		return NULL;
	}
	memcpy(b, buf_data(m->raw), n);
	b[n] = '\0';
	return b;
}

/*
 * Keeps a decoded file name: at most MIME_NAME_MAX - 1 bytes, its end if
 * longer (where the extension is), controls as '_'.  Both are flagged.
 */
static void
part_name_set(struct mime *m, struct mime_part *pt, const uint8_t *p,
    size_t n)
{
	size_t	i, start = 0;

	if (n >= MIME_NAME_MAX) {
		start = n - (MIME_NAME_MAX - 1);
		while (start < n && (p[start] & 0xc0) == 0x80)
			start++;
		pt->flags |= MIME_MALFORMED;
	}
	if ((pt->filename = malloc(n - start + 1)) == NULL) {
		m->oom = m->stop = 1;
		return;
	}
	for (i = start; i < n; i++) {
		pt->filename[i - start] = is_ctl(p[i]) ? '_' : (char)p[i];
		if (is_ctl(p[i]))
			pt->flags |= MIME_MALFORMED;
	}
	pt->filename[n - start] = '\0';
}

/*
 * Decodes one name parameter into m->utf; returns 0 when absent.  The
 * tail of a plain value too long for m->raw is taken, for its extension.
 */
static int
part_name_get(struct mime *m, struct mime_part *pt, const struct params *ps,
    enum param name)
{
	struct sink	 rs, us;
	enum cs		 cs;
	size_t		 i;
	int		 kind;

	buf_reset(m->raw);
	buf_reset(m->utf);
	sink_init(&rs, m->raw);
	sink_init(&us, m->utf);
	if ((kind = param_get(ps, name, &rs, &cs, &pt->flags)) == 0)
		return 0;
	if (rs.cut)
		pt->flags |= MIME_MALFORMED;
	part_sink(m, pt, &rs);
	if (kind == 2)
		for (i = 0; i < buf_len(m->raw) && sink_ok(&us); i++)
			(void)cs_put(&us, cs, buf_data(m->raw)[i]);
	else
		ew_decode(buf_data(m->raw), buf_len(m->raw), &us);
	part_sink(m, pt, &us);
	return 1;
}

static int
bytes_are(const uint8_t *p, size_t n, const char *s)
{
	return n == strlen(s) && (n == 0 || memcmp(p, s, n) == 0);
}

/*
 * The file name: the disposition's filename, else the type's name.  Mail
 * readers differ on which wins when both are there and differ, so that is
 * flagged.
 */
static void
part_filename(struct mime *m, struct mime_part *pt, const struct params *ct,
    const struct params *cd)
{
	if (part_name_get(m, pt, cd, P_FILENAME)) {
		part_name_set(m, pt, buf_data(m->utf), buf_len(m->utf));
		if (pt->filename != NULL && part_name_get(m, pt, ct, P_NAME) &&
		    !bytes_are(buf_data(m->utf), buf_len(m->utf), pt->filename))
			pt->flags |= MIME_MALFORMED;
	} else if (part_name_get(m, pt, ct, P_NAME))
		part_name_set(m, pt, buf_data(m->utf), buf_len(m->utf));
	if (pt->filename != NULL)
		(void)mime_ext(pt->filename, pt->ext, sizeof(pt->ext));
}

static void
part_disposition(struct mime_part *pt, struct lex *l, struct params *ps)
{
	struct range	r;

	lx_cfws(l);
	if (lx_token(l, &r) > 0 &&
	    lower_copy(pt->disposition, DISP_MAX, r.p, r.n) == -1)
		pt->disposition[0] = '\0';
	params_parse(l, ps);
}

static enum cte
part_cte(struct mime_part *pt, struct range r)
{
	struct lex	 l;
	struct range	 t;

	if (r.p == NULL)
		return CTE_IDENTITY;
	lx_init(&l, r);
	lx_cfws(&l);
	(void)lx_token(&l, &t);
	if (range_is(t.p, t.n, "base64"))
		return CTE_BASE64;
	if (range_is(t.p, t.n, "quoted-printable"))
		return CTE_QP;
	if (!range_is(t.p, t.n, "7bit") && !range_is(t.p, t.n, "8bit") &&
	    !range_is(t.p, t.n, "binary"))
		pt->flags |= MIME_MALFORMED;
	return CTE_IDENTITY;
}

/*
 * Fills a new part from its headers; returns its boundary (a new string)
 * when it is a multipart that has a usable one.
 */
static char *
part_headers(struct mime *m, size_t idx, const struct ehdrs *h,
    const char *deftype, enum cte *cte)
{
	struct mime_part	*pt = part_at(m, idx);
	struct params		 ct, cd;
	struct lex		 l;

	memset(&ct, 0, sizeof(ct));
	memset(&cd, 0, sizeof(cd));
	pt->flags |= h->flags;
	lx_init(&l, h->ct.p != NULL ? h->ct : none);
	part_type(pt, &l, h->ct.p != NULL, deftype);
	params_parse(&l, &ct);
	lx_init(&l, h->cd.p != NULL ? h->cd : none);
	part_disposition(pt, &l, &cd);
	pt->flags |= ct.flags | cd.flags;
	*cte = part_cte(pt, h->cte);
	part_charset(m, pt, &ct);
	part_filename(m, pt, &ct, &cd);
	if (strncmp(pt->type, "multipart/", 10) != 0 || m->oom)
		return NULL;
	return part_boundary(m, pt, &ct);
}

/* Undoes the transfer encoding into the part's own buffer, if it has one. */
static void
part_decode(struct mime *m, size_t idx, enum cte cte, struct range body)
{
	struct mime_part	*pt = part_at(m, idx);
	struct sink		 s;
	size_t			 max, left;

	pt->data = body.n > 0 ? body.p : empty;
	pt->len = body.n;
	if (cte == CTE_IDENTITY)
		return;
	max = cte == CTE_BASE64 ? body.n / 4 * 3 + 3 : body.n;
	left = m->lim.max_decoded - m->decoded;
	if ((pt->dec = buf_new(max < left ? max : left)) == NULL) {
		m->oom = m->stop = 1;
		return;
	}
	sink_init(&s, pt->dec);
	if (cte == CTE_BASE64)
		pt->flags |= b64_decode(body.p, body.n, &s, CS_PASS);
	else
		pt->flags |= qp_decode(body.p, body.n, &s);
	part_sink(m, pt, &s);
	m->decoded += buf_len(pt->dec);
	pt->data = buf_len(pt->dec) > 0 ? buf_data(pt->dec) : empty;
	pt->len = buf_len(pt->dec);
}

/*
 * Header blocks inside the body.  Reads lines up to the empty one; keeps
 * the first Content-Type, Content-Transfer-Encoding and
 * Content-Disposition (a second one is flagged).  A line that is neither
 * a field nor a continuation ends the block: it is the body's first line,
 * as Postfix takes it, and is flagged.
 */
static int
hdr_name_ok(const uint8_t *p, size_t n)
{
	size_t	i;

	while (n > 0 && is_wsp(p[n - 1]))
		n--;
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (p[i] <= 0x20 || p[i] >= 0x7f)
			return 0;
	return 1;
}

static struct range *
hdr_slot(struct ehdrs *h, const uint8_t *p, size_t n)
{
	while (n > 0 && is_wsp(p[n - 1]))
		n--;
	if (range_is(p, n, "content-type"))
		return &h->ct;
	if (range_is(p, n, "content-transfer-encoding"))
		return &h->cte;
	if (range_is(p, n, "content-disposition"))
		return &h->cd;
	return NULL;
}

/* Starts a field at a line; returns its slot or NULL. */
static struct range *
hdr_field(struct ehdrs *h, const uint8_t *line, const uint8_t *colon,
    const uint8_t *end)
{
	struct range	*slot;

	slot = hdr_slot(h, line, (size_t)(colon - line));
	if (slot == NULL)
		return NULL;
	if (slot->p != NULL) {
		h->flags |= MIME_MALFORMED;
		return NULL;
	}
	slot->p = colon + 1;
	slot->n = (size_t)(end - slot->p);
	return slot;
}

static void
hdrs_parse(struct range r, struct ehdrs *h, struct range *body)
{
	const uint8_t	*colon;
	struct range	*cur = NULL;
	size_t		 off = 0, le, end, next;
	int		 infield = 0;

	memset(h, 0, sizeof(*h));
	while (off < r.n) {
		le = line_end(r.p, r.n, off);
		end = le > off && r.p[le - 1] == '\r' ? le - 1 : le;
		next = le < r.n ? le + 1 : r.n;
		if (end == off) {
			off = next;
			break;
		}
		if (is_wsp(r.p[off]) && infield) {
			if (cur != NULL)
				cur->n = (size_t)(r.p + end - cur->p);
		} else {
			colon = memchr(r.p + off, ':', end - off);
			if (colon == NULL || is_wsp(r.p[off]) ||
			    !hdr_name_ok(r.p + off,
			    (size_t)(colon - (r.p + off)))) {
				h->flags |= MIME_MALFORMED;
				break;
			}
			cur = hdr_field(h, r.p + off, colon, r.p + end);
			infield = 1;
		}
		off = next;
	}
	body->p = r.p + off;
	body->n = r.n - off;
}

/* The message's own fields, from the MTA. */
static void
hdrs_from_kv(const struct kv *hdrs, size_t nhdrs, struct ehdrs *h)
{
	struct range	*slot;
	size_t		 i;

	memset(h, 0, sizeof(*h));
	for (i = 0; i < nhdrs; i++) {
		if (hdrs[i].name == NULL || hdrs[i].value == NULL)
			continue;
		slot = hdr_slot(h, (const uint8_t *)hdrs[i].name,
		    strlen(hdrs[i].name));
		if (slot == NULL)
			continue;
		if (slot->p != NULL) {
			h->flags |= MIME_MALFORMED;
			continue;
		}
		slot->p = (const uint8_t *)hdrs[i].value;
		slot->n = strlen(hdrs[i].value);
	}
}

/*
 * The entity walk.  mime_entity() adds one part and, for a multipart or a
 * message/rfc822 above max_depth, recurses into what it contains; depth
 * grows by one on every call, and max_depth is at most MIME_DEPTH_MAX,
 * which bounds the recursion.
 */
static void	mime_entity(struct mime *, const struct ehdrs *, struct range,
		    size_t, size_t, int);

/*
 * "--boundary" then "--" (the close delimiter) or white space or the end
 * of the line.  A longer boundary that starts with this one is not it.
 */
static int
is_delim(const uint8_t *p, size_t n, const char *b, size_t bl, int *close)
{
	const uint8_t	*rest;
	size_t		 rn;

	if (n < bl + 2 || p[0] != '-' || p[1] != '-' ||
	    memcmp(p + 2, b, bl) != 0)
		return 0;
	rest = p + 2 + bl;
	rn = n - 2 - bl;
	*close = rn >= 2 && rest[0] == '-' && rest[1] == '-';
	return *close || rn == 0 || is_fws(rest[0]);
}

/* One body part: [start, end), without the line break before the next. */
static void
mime_child(struct mime *m, size_t idx, struct range body, size_t start,
    size_t end, int digest)
{
	struct ehdrs	 h;
	struct range	 r, b;

	if (end > start && body.p[end - 1] == '\n')
		end--;
	if (end > start && body.p[end - 1] == '\r')
		end--;
	r.p = body.p + start;
	r.n = end - start;
	hdrs_parse(r, &h, &b);
	mime_entity(m, &h, b, part_at(m, idx)->depth + 1, idx, digest);
}

/*
 * Splits a multipart body at its delimiter lines, in one pass; the
 * preamble and epilogue are dropped.  Returns how many delimiters it saw.
 */
static size_t
mime_split(struct mime *m, size_t idx, struct range body, const char *b,
    int digest)
{
	size_t	off = 0, le, next, start = 0, bl = strlen(b), ndelim = 0;
	int	inpart = 0, close = 0;

	while (off < body.n && !m->stop) {
		le = line_end(body.p, body.n, off);
		next = le < body.n ? le + 1 : body.n;
		if (is_delim(body.p + off, le - off, b, bl, &close)) {
			ndelim++;
			if (inpart)
				mime_child(m, idx, body, start, off, digest);
			else if (close)		/* no part at all */
				part_at(m, idx)->flags |= MIME_MALFORMED;
			if (close)
				return ndelim;
			inpart = 1;
			start = next;
		}
		off = next;
	}
	if (inpart && !m->stop) {
		part_at(m, idx)->flags |= MIME_MALFORMED;
		mime_child(m, idx, body, start, body.n, digest);
	}
	return ndelim;
}

static void
mime_multipart(struct mime *m, size_t idx, struct range body, char *b)
{
	struct mime_part	*pt = part_at(m, idx);
	int			 digest;

	if (pt->depth >= m->lim.max_depth) {
		pt->flags |= MIME_TOO_DEEP;
		return;
	}
	digest = strcmp(pt->type, "multipart/digest") == 0;
	pt->container = 1;
	if (b == NULL || mime_split(m, idx, body, b, digest) == 0) {
		/* Boundary never seen: readers show the body as text. */
		pt = part_at(m, idx);
		pt->flags |= MIME_MALFORMED;
		pt->container = 0;
		pt->textual = 1;
	}
}

static void
mime_message(struct mime *m, size_t idx)
{
	struct mime_part	*pt = part_at(m, idx);
	struct ehdrs		 h;
	struct range		 r, b;

	if (pt->depth >= m->lim.max_depth) {
		pt->flags |= MIME_TOO_DEEP;
		return;
	}
	pt->container = 1;
	r.p = pt->data;
	r.n = pt->len;
	hdrs_parse(r, &h, &b);
	mime_entity(m, &h, b, pt->depth + 1, idx, 0);
}

static int
type_is_text(const char *type)
{
	return strcmp(type, "text/plain") == 0 ||
	    strcmp(type, "text/html") == 0;
}

static void
mime_entity(struct mime *m, const struct ehdrs *h, struct range body,
    size_t depth, size_t parent, int digest)
{
	struct mime_part	*pt;
	enum cte		 cte = CTE_IDENTITY;
	char			*b;
	size_t			 idx;

	if ((idx = part_add(m, depth, parent)) == NONE)
		return;
	b = part_headers(m, idx, h, digest ? "message/rfc822" : "text/plain",
	    &cte);
	pt = part_at(m, idx);
	if (m->oom) {
		free(b);
		return;
	}
	if (strncmp(pt->type, "multipart/", 10) == 0) {
		if (cte != CTE_IDENTITY)	/* RFC 2045 6.4: ignored */
			pt->flags |= MIME_MALFORMED;
		part_decode(m, idx, CTE_IDENTITY, body);
		mime_multipart(m, idx, body, b);
	} else if (strcmp(pt->type, "message/rfc822") == 0 ||
	    strcmp(pt->type, "message/global") == 0) {
		if (cte != CTE_IDENTITY)	/* RFC 2046 5.2.1 */
			pt->flags |= MIME_MALFORMED;
		part_decode(m, idx, cte, body);
		if (!m->stop)
			mime_message(m, idx);
	} else {
		part_decode(m, idx, cte, body);
		pt->textual = type_is_text(pt->type);
	}
	free(b);
}

/*
 * The text: textual parts converted to UTF-8, CRLF as LF (a CR before a CR
 * or at the end of a part goes too, so that no CRLF is left), a newline
 * between parts.  Runs of plain bytes are copied whole.
 */
static void
text_part(struct sink *s, enum cs cs, const uint8_t *p, size_t n)
{
	size_t	i = 0, j;

	while (i < n && sink_ok(s)) {
		for (j = i; j < n && p[j] != '\r' &&
		    (p[j] < 0x80 || cs == CS_PASS); j++)
			continue;
		sink_some(s, p + i, j - i);
		if ((i = j) == n)
			break;
		if (p[i] != '\r')
			(void)cs_put(s, cs, p[i]);
		else if (i + 1 < n && p[i + 1] != '\n' && p[i + 1] != '\r')
			(void)sink_byte(s, '\r');
		i++;
	}
}

static void
text_build(struct mime *m)
{
	struct mime_part	*pt;
	struct sink		 s;
	size_t			 i, len;

	sink_init(&s, m->text);
	for (i = 0; i < m->nparts && sink_ok(&s); i++) {
		pt = part_at(m, i);
		if (!pt->textual)
			continue;
		len = buf_len(m->text);
		if (len > 0 && buf_data(m->text)[len - 1] != '\n')
			(void)sink_byte(&s, '\n');
		pt->text_off = buf_len(m->text);
		text_part(&s, pt->cs, pt->data, pt->len);
		pt->text_len = buf_len(m->text) - pt->text_off;
	}
	if (s.oom)
		m->oom = 1;
	m->textlen = buf_len(m->text);
	if (s.cut) {
		m->flags |= MIME_TRUNCATED;
		m->textlen = utf8_trim(buf_data(m->text), m->textlen);
	}
}

void
mime_limits_default(struct mime_limits *l, size_t body_max)
{
	l->max_depth = 8;
	l->max_parts = 100;
	l->max_text = body_max;
	l->max_decoded = body_max > SIZE_MAX / 2 ? SIZE_MAX : 2 * body_max;
}

/*
 * The defaults for this body, with room for all its text: text parts
 * hold at most len bytes together, each byte is at most 3 in UTF-8, and
 * there is a newline between parts.
 */
static void
mime_limits_nocut(struct mime_limits *l, size_t len)
{
	mime_limits_default(l, len);
	l->max_text = len > (SIZE_MAX - MIME_PARTS_MAX) / 3 ? SIZE_MAX :
	    3 * len + MIME_PARTS_MAX;
}

static void
mime_limits_clamp(struct mime_limits *l)
{
	if (l->max_depth > MIME_DEPTH_MAX)
		l->max_depth = MIME_DEPTH_MAX;
	if (l->max_parts > MIME_PARTS_MAX)
		l->max_parts = MIME_PARTS_MAX;
	if (l->max_parts == 0)
		l->max_parts = 1;
}

static void
mime_finish(struct mime *m)
{
	size_t	i;

	buf_free(&m->raw);
	buf_free(&m->utf);
	for (i = 0; i < m->nparts; i++)
		m->flags |= part_at(m, i)->flags;
}

struct mime *
mime_parse(const struct kv *hdrs, size_t nhdrs, const uint8_t *body,
    size_t len, const struct mime_limits *limits)
{
	struct mime	*m;
	struct ehdrs	 h;
	struct range	 r;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	if (limits != NULL)
		m->lim = *limits;
	else
		mime_limits_nocut(&m->lim, len);
	mime_limits_clamp(&m->lim);
	if ((m->raw = buf_new(RAW_MAX)) == NULL ||
	    (m->utf = buf_new(UTF_MAX)) == NULL ||
	    (m->text = buf_new(m->lim.max_text)) == NULL) {
		mime_free(&m);
		return NULL;
	}
	r.p = body != NULL ? body : empty;
	r.n = body != NULL ? len : 0;
	hdrs_from_kv(hdrs, nhdrs, &h);
	mime_entity(m, &h, r, 0, 0, 0);
	if (!m->oom)
		text_build(m);
	mime_finish(m);
	if (m->oom)
		mime_free(&m);
	return m;
}

void
mime_free(struct mime **mp)
{
	struct mime	*m = *mp;
	size_t		 i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nparts; i++) {
		free(m->parts[i].filename);
		buf_free(&m->parts[i].dec);
	}
	free(m->parts);
	buf_free(&m->raw);
	buf_free(&m->utf);
	buf_free(&m->text);
	free(m);
	*mp = NULL;
}

unsigned
mime_flags(const struct mime *m)
{
	return m->flags;
}

size_t
mime_part_count(const struct mime *m)
{
	return m->nparts;
}

const struct mime_part *
mime_part(const struct mime *m, size_t i)
{
	return i < m->nparts ? &m->parts[i] : NULL;
}

const uint8_t *
mime_text(const struct mime *m, size_t *len_r)
{
	*len_r = m->textlen;
	return m->textlen > 0 ? buf_data(m->text) : empty;
}

const uint8_t *
mime_part_text(const struct mime *m, size_t i, size_t *len_r)
{
	const struct mime_part	*pt = mime_part(m, i);
	size_t			 off, len;

	*len_r = 0;
	if (pt == NULL || !pt->textual)
		return NULL;
	/* Within the text as trimmed at a limit. */
	off = pt->text_off < m->textlen ? pt->text_off : m->textlen;
	len = pt->text_len < m->textlen - off ? pt->text_len :
	    m->textlen - off;
	*len_r = len;
	return len > 0 ? buf_data(m->text) + off : empty;
}

const char *
mime_part_type(const struct mime_part *p)
{
	return p->type;
}

const char *
mime_part_charset(const struct mime_part *p)
{
	return p->charset;
}

const char *
mime_part_disposition(const struct mime_part *p)
{
	return p->disposition;
}

const char *
mime_part_filename(const struct mime_part *p)
{
	return p->filename != NULL ? p->filename : "";
}

const char *
mime_part_ext(const struct mime_part *p)
{
	return p->ext;
}

size_t
mime_part_depth(const struct mime_part *p)
{
	return p->depth;
}

size_t
mime_part_parent(const struct mime_part *p)
{
	return p->parent;
}

unsigned
mime_part_flags(const struct mime_part *p)
{
	return p->flags;
}

const uint8_t *
mime_part_data(const struct mime_part *p, size_t *len_r)
{
	*len_r = p->len;
	return p->data;
}

int
mime_part_is_container(const struct mime_part *p)
{
	return p->container;
}

int
mime_part_is_attachment(const struct mime_part *p)
{
	if (strcmp(p->disposition, "attachment") == 0 || p->filename != NULL)
		return 1;
	return !p->container && !type_is_text(p->type) &&
	    strncmp(p->type, "multipart/", 10) != 0;
}

int
mime_decode_header(const char *in, char *out, size_t outlen)
{
	struct buf	*b;
	struct sink	 s;
	const uint8_t	*p;
	size_t		 i, n;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	if ((b = buf_new(outlen - 1)) == NULL)
		return -1;
	sink_init(&s, b);
	ew_decode((const uint8_t *)in, strlen(in), &s);
	p = buf_data(b);
	n = s.cut ? utf8_trim(p, buf_len(b)) : buf_len(b);
	for (i = 0; i < n && !s.oom; i++)
		out[i] = p[i] == '\0' || p[i] == '\r' || p[i] == '\n' ? ' ' :
		    (char)p[i];
	out[s.oom ? 0 : n] = '\0';
	buf_free(&b);
	return sink_ok(&s) ? 0 : -1;
}

/*
 * File name extensions.  Executables: what Windows (and its mail readers)
 * run or install on a double click, or open with a script host.  One
 * table; the policy's attachment rules use it through mime_ext_executable.
 */
static const char *const exec_exts[] = {
	"ade", "adp", "app", "appref-ms", "application", "appx",
	"appxbundle", "bat", "cab", "chm", "cmd", "com", "cpl", "dll",
	"exe", "gadget", "hlp", "hta", "inf", "ins", "isp", "jar", "js",
	"jse", "lnk", "mde", "msc", "msh", "msi", "msix", "msixbundle",
	"msp", "mst", "ocx", "pif", "ps1", "ps1xml", "ps2", "psc1", "psd1",
	"psm1", "reg", "scf", "scr", "sct", "shb", "shs", "sys", "url",
	"vb", "vbe", "vbs", "vxd", "wsc", "wsf", "wsh", "xll",
};

/* What an executable pretends to be in a double extension. */
static const char *const doc_exts[] = {
	"7z", "avi", "bmp", "csv", "doc", "docm", "docx", "dot", "eml",
	"gif", "gz", "heic", "htm", "html", "ics", "jpeg", "jpg", "mov",
	"mp3", "mp4", "mpg", "msg", "odp", "ods", "odt", "pdf", "png",
	"ppt", "pptm", "pptx", "rar", "rtf", "svg", "tar", "tif", "tiff",
	"txt", "vcf", "wav", "webp", "wmv", "xls", "xlsm", "xlsx", "xml",
	"zip",
};

static int
ext_in(const char *const *tab, size_t n, const char *p, size_t len)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (range_is((const uint8_t *)p, len, tab[i]))
			return 1;
	return 0;
}

/* Length of name without trailing dots and spaces (Windows drops them). */
static size_t
name_trim(const char *name, size_t n)
{
	while (n > 0 && (name[n - 1] == '.' || name[n - 1] == ' '))
		n--;
	return n;
}

/* The extension of name[0, n): sets [*e, *e + *elen); 0 when none. */
static int
ext_find(const char *name, size_t n, size_t *e, size_t *elen)
{
	size_t	i;

	for (i = n; i > 0; i--) {
		if (name[i - 1] == '.')
			break;
		if (is_fws((uint8_t)name[i - 1]) || name[i - 1] == '/' ||
		    name[i - 1] == '\\')
			return 0;
	}
	if (i == 0 || i == n)
		return 0;
	*e = i;
	*elen = n - i;
	return 1;
}

const char *
mime_ext(const char *filename, char *ext, size_t extlen)
{
	size_t	e, elen, i;

	if (extlen == 0)
		return ext;
	ext[0] = '\0';
	if (!ext_find(filename, name_trim(filename, strlen(filename)), &e,
	    &elen) || elen >= extlen)
		return ext;
	for (i = 0; i < elen; i++)
		ext[i] = (char)lower((uint8_t)filename[e + i]);
	ext[elen] = '\0';
	return ext;
}

int
mime_ext_executable(const char *ext)
{
	return ext_in(exec_exts, sizeof(exec_exts) / sizeof(exec_exts[0]),
	    ext, strlen(ext));
}

int
mime_double_ext(const char *filename)
{
	size_t	n, e, elen;

	n = name_trim(filename, strlen(filename));
	if (!ext_find(filename, n, &e, &elen) ||
	    !ext_in(exec_exts, sizeof(exec_exts) / sizeof(exec_exts[0]),
	    filename + e, elen))
		return 0;
	n = e - 1;
	while (n > 0 && is_wsp((uint8_t)filename[n - 1]))
		n--;
	return ext_find(filename, n, &e, &elen) &&
	    ext_in(doc_exts, sizeof(doc_exts) / sizeof(doc_exts[0]),
	    filename + e, elen);
}
