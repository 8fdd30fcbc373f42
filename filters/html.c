/*
 * html: HTML to text, a tokenizer after the WHATWG HTML standard's, cut
 * down to what text and URL extraction need (html.h says what and why).
 * Runs in the worker, inside the sandbox, over hostile HTML: every index
 * is checked against the length, nothing is allocated, and the output goes
 * to the caller's bounded buffer.
 */
#include <stdlib.h>
#include <string.h>

#include "filterd/lib/buf.h"
#include "filters/html.h"
#include "filters/html_entities.h"

#define NAME_MAX_	16	/* tag and attribute names we compare */

/* The writer: white space collapsed, line ends only between text. */
struct hw {
	struct buf	*out;
	html_url_fn	*fn;
	void		*arg;
	int		 space;	/* white space since the last text */
	int		 nl;	/* a block ended since the last text */
	int		 any;	/* text written by this call */
	int		 err;	/* out full, or fn said stop */
};

/* What the standard maps numeric references 0x80-0x9F to (windows-1252). */
static const uint16_t c1_map[32] = {
	0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
	0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
};

/* Elements whose contents a reader never sees, and those shown as text. */
static const char *const raw_drop[] = {
	"script", "style", "xmp", "iframe", "noembed", "noframes",
	"template",
};
static const char *const raw_text[] = { "title", "textarea" };

/* Elements that end a line. */
static const char *const blocks[] = {
	"address", "article", "aside", "blockquote", "br", "caption", "dd",
	"div", "dl", "dt", "fieldset", "figcaption", "figure", "footer",
	"form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li",
	"main", "nav", "ol", "p", "pre", "section", "table", "tbody", "td",
	"textarea", "tfoot", "th", "thead", "title", "tr", "ul",
};

/* Attributes whose value is a URL (srcset: a list of them). */
static const char *const url_attrs[] = {
	"action", "background", "cite", "data", "formaction", "href",
	"longdesc", "poster", "src", "srcset",
};

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static int
in_set(const char *const *v, size_t n, const char *s)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

static int
is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_alnum(int c)
{
	return is_alpha(c) || (c >= '0' && c <= '9');
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Code points a reader does not see: soft hyphen, zero widths, BOM. */
static int
cp_invisible(uint32_t cp)
{
	return cp == 0 || cp == 0xad || (cp >= 0x200b && cp <= 0x200d) ||
	    cp == 0x2060 || cp == 0xfeff;
}

static int
cp_space(uint32_t cp)
{
	return cp < 0x80 ? is_ws((int)cp) : cp == 0xa0;
}

static size_t
utf8_enc(uint32_t cp, uint8_t b[4])
{
	if (cp < 0x80) {
		b[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		b[0] = (uint8_t)(0xc0 | cp >> 6);
		b[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		b[0] = (uint8_t)(0xe0 | cp >> 12);
		b[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	b[0] = (uint8_t)(0xf0 | cp >> 18);
	b[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
	b[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
	b[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Decodes one UTF-8 sequence at p; returns its length and sets *cp, or
 * returns 1 with *cp = -1 for a byte that starts no valid sequence.
 */
static size_t
utf8_dec(const uint8_t *p, size_t n, int32_t *cp)
{
	size_t		 len, i;
	uint32_t	 v, min;

	*cp = -1;
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if ((p[0] & 0xe0) == 0xc0)
		len = 2, v = p[0] & 0x1f, min = 0x80;
	else if ((p[0] & 0xf0) == 0xe0)
		len = 3, v = p[0] & 0x0f, min = 0x800;
	else if ((p[0] & 0xf8) == 0xf0)
		len = 4, v = p[0] & 0x07, min = 0x10000;
	else
		return 1;
	if (len > n)
		return 1;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 1;
		v = v << 6 | (p[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 1;
	*cp = (int32_t)v;
	return len;
}

/* The separator due before the next text. */
static void
hw_flush(struct hw *w)
{
	if (w->any && (w->nl || w->space) &&
	    buf_put_u8(w->out, w->nl ? '\n' : ' ') == -1)
		w->err = 1;
	w->nl = w->space = 0;
}

static void
hw_bytes(struct hw *w, const uint8_t *p, size_t n)
{
	if (w->err)
		return;
	hw_flush(w);
	if (!w->err && buf_put(w->out, p, n) == -1)
		w->err = 1;
	w->any = 1;
}

static void
hw_cp(struct hw *w, uint32_t cp)
{
	uint8_t	 b[4];

	if (cp_space(cp))
		w->space = 1;
	else if (!cp_invisible(cp))
		hw_bytes(w, b, utf8_enc(cp, b));
}

static void
hw_block(struct hw *w)
{
	w->nl = 1;
}

/* Text bytes: UTF-8 decoded only to see spaces and invisible characters. */
static size_t
hw_text(struct hw *w, const uint8_t *p, size_t n)
{
	int32_t	 cp;
	size_t	 len = utf8_dec(p, n, &cp);

	if (cp >= 0)
		hw_cp(w, (uint32_t)cp);
	else
		hw_bytes(w, p, 1);	/* invalid UTF-8 is not repaired */
	return len;
}

static uint32_t
numeric_fix(uint32_t v)
{
	if (v == 0 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0xfffd;
	if (v >= 0x80 && v <= 0x9f)
		return c1_map[v - 0x80];
	return v;
}

/* "&#" digits or "&#x" hex digits, and an optional ';'. */
static size_t
charref_numeric(const uint8_t *p, size_t n, uint32_t cp[2])
{
	size_t		 i = 2, start;
	uint32_t	 v = 0;
	int		 hex = 0, d;

	if (i < n && (p[i] == 'x' || p[i] == 'X')) {
		hex = 1;
		i++;
	}
	for (start = i; i < n; i++) {
		if ((d = hex ? hexval(p[i]) :
		    (p[i] >= '0' && p[i] <= '9' ? p[i] - '0' : -1)) < 0)
			break;
		v = v * (hex ? 16 : 10) + (uint32_t)d;
		if (v > 0x110000)
			v = 0x110000;	/* stays past the last code point */
	}
	if (i == start)
		return 0;
	if (i < n && p[i] == ';')
		i++;
	cp[0] = numeric_fix(v);
	cp[1] = 0;
	return i;
}

static int
entity_cmp(const uint8_t *name, size_t len, const char *s)
{
	size_t	 slen = strlen(s);
	int	 c = memcmp(name, s, len < slen ? len : slen);

	if (c != 0)
		return c;
	return len < slen ? -1 : len > slen;
}

static const struct html_entity *
entity_find(const uint8_t *name, size_t len)
{
	size_t	 lo = 0, hi = html_nentities, mid;
	int	 c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = entity_cmp(name, len, html_entities[mid].name)) == 0)
			return &html_entities[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* The longest name in the table that the text after '&' starts with. */
static size_t
charref_named(const uint8_t *p, size_t n, int in_attr, uint32_t cp[2])
{
	const struct html_entity	*e = NULL;
	size_t				 len, max = 1;

	while (max < n && max <= HTML_ENTITY_NAME_MAX && is_alnum(p[max]))
		max++;
	if (max < n && max <= HTML_ENTITY_NAME_MAX && p[max] == ';')
		max++;
	for (len = max - 1; len > 0; len--)
		if ((e = entity_find(p + 1, len)) != NULL)
			break;
	if (e == NULL)
		return 0;
	/* In a value, "&amp=" and "&ampx" stay as they are (URL queries). */
	if (in_attr && p[len] != ';' && len + 1 < n &&
	    (p[len + 1] == '=' || is_alnum(p[len + 1])))
		return 0;
	cp[0] = e->cp[0];
	cp[1] = e->cp[1];
	return len + 1;
}

size_t
html_charref(const uint8_t *p, size_t n, int in_attr, uint32_t cp[2])
{
	cp[0] = cp[1] = 0;
	if (n < 2 || p[0] != '&')
		return 0;
	if (p[1] == '#')
		return charref_numeric(p, n, cp);
	return charref_named(p, n, in_attr, cp);
}

/* Text: a character reference, or one character. */
static size_t
text_one(struct hw *w, const uint8_t *p, size_t n)
{
	uint32_t	 cp[2];
	size_t		 len;

	if (p[0] == '&' && (len = html_charref(p, n, 0, cp)) > 0) {
		hw_cp(w, cp[0]);
		if (cp[1] != 0)
			hw_cp(w, cp[1]);
		return len;
	}
	return hw_text(w, p, n);
}

/* Reads a name into name (lower-cased, cut); returns where it ends. */
static size_t
read_name(const uint8_t *p, size_t n, size_t i, char *name, int attr)
{
	size_t	 k = 0;

	/* An attribute name may start with '=' (the standard's quirk). */
	if (attr && i < n && p[i] == '=') {
		name[k++] = '=';
		i++;
	}
	for (; i < n && !is_ws(p[i]) && p[i] != '/' && p[i] != '>' &&
	    !(attr && p[i] == '='); i++)
		if (k < NAME_MAX_ - 1)
			name[k++] = (char)lower(p[i]);
	name[k] = '\0';
	return i;
}

static size_t
skip_ws(const uint8_t *p, size_t n, size_t i)
{
	while (i < n && is_ws(p[i]))
		i++;
	return i;
}

/* A value, its references decoded, into v (cut at HTML_ATTR_MAX). */
static void
attr_decode(const uint8_t *p, size_t n, char *v, size_t *vlen_r)
{
	uint32_t	 cp[2];
	uint8_t		 b[4];
	size_t		 i = 0, k = 0, len, j, m;

	while (i < n) {
		if (p[i] == '&' && (len = html_charref(p + i, n - i, 1,
		    cp)) > 0) {
			for (j = 0; j < 2 && cp[j] != 0; j++) {
				m = utf8_enc(cp[j], b);
				if (k + m <= HTML_ATTR_MAX)
					memcpy(v + k, b, m), k += m;
			}
			i += len;
		} else {
			if (k < HTML_ATTR_MAX)
				v[k++] = (char)p[i];
			i++;
		}
	}
	v[k] = '\0';
	*vlen_r = k;
}

/* srcset: "url [descriptor], url [descriptor], ..." */
static int
attr_srcset(struct hw *w, char *v, size_t len)
{
	size_t	 i = 0, s;
	char	 save;

	while (i < len) {
		while (i < len && (is_ws(v[i]) || v[i] == ','))
			i++;
		for (s = i; i < len && !is_ws(v[i]); i++)
			continue;
		if (i > s) {
			save = v[i];
			v[i] = '\0';
			if (w->fn(w->arg, v + s, i - s) == -1)
				return -1;
			v[i] = save;
		}
		while (i < len && v[i] != ',')
			i++;
	}
	return 0;
}

static void
attr_url(struct hw *w, const char *name, const uint8_t *p, size_t n)
{
	char	 v[HTML_ATTR_MAX + 1];
	size_t	 len;
	int	 rc;

	if (w->fn == NULL || w->err || !in_set(url_attrs, NITEMS(url_attrs),
	    name))
		return;
	attr_decode(p, n, v, &len);
	rc = strcmp(name, "srcset") == 0 ? attr_srcset(w, v, len) :
	    w->fn(w->arg, v, len);
	if (rc == -1)
		w->err = 1;
}

/*
 * The attributes of a tag from i, to its '>'.  Returns the index after
 * the '>', or n when the input ends inside the tag (which the standard
 * then drops).
 */
static size_t
tag_attrs(struct hw *w, const uint8_t *p, size_t n, size_t i, int start)
{
	char	 name[NAME_MAX_];
	size_t	 vs;
	uint8_t	 q;

	for (;;) {
		while (i < n && (is_ws(p[i]) || p[i] == '/'))
			i++;
		if (i >= n)
			return n;
		if (p[i] == '>')
			return i + 1;
		i = skip_ws(p, n, read_name(p, n, i, name, 1));
		if (i >= n || p[i] != '=')
			continue;
		i = skip_ws(p, n, i + 1);
		if (i < n && (p[i] == '"' || p[i] == '\'')) {
			q = p[i++];
			for (vs = i; i < n && p[i] != q; i++)
				continue;
			if (i >= n)
				return n;
			if (start)
				attr_url(w, name, p + vs, i - vs);
			i++;
		} else {
			for (vs = i; i < n && !is_ws(p[i]) && p[i] != '>'; i++)
				continue;
			if (start)
				attr_url(w, name, p + vs, i - vs);
		}
	}
}

/* Where "</name" followed by a space, '/' or '>' starts, or n. */
static size_t
raw_end(const uint8_t *p, size_t n, size_t i, const char *name)
{
	size_t	 len = strlen(name), k;

	for (; i + 2 + len <= n; i++) {
		if (p[i] != '<' || p[i + 1] != '/')
			continue;
		for (k = 0; k < len && lower(p[i + 2 + k]) == name[k]; k++)
			continue;
		if (k == len && (i + 2 + len == n || is_ws(p[i + 2 + len]) ||
		    p[i + 2 + len] == '/' || p[i + 2 + len] == '>'))
			return i;
	}
	return n;
}

/* After a start tag: the raw text of script and the like. */
static size_t
tag_raw(struct hw *w, const uint8_t *p, size_t n, size_t i, const char *name)
{
	size_t	 end;

	if (in_set(raw_drop, NITEMS(raw_drop), name))
		return raw_end(p, n, i, name);
	if (strcmp(name, "plaintext") == 0) {
		while (i < n && !w->err)
			i += hw_text(w, p + i, n - i);
		return n;
	}
	if (!in_set(raw_text, NITEMS(raw_text), name))
		return i;
	for (end = raw_end(p, n, i, name); i < end && !w->err; )
		i += text_one(w, p + i, end - i);
	return end;
}

/* A start or end tag at p[i] == '<'; returns where the text goes on. */
static size_t
tag(struct hw *w, const uint8_t *p, size_t n, size_t i)
{
	char	 name[NAME_MAX_];
	int	 start = p[i + 1] != '/';

	i = read_name(p, n, start ? i + 1 : i + 2, name, 0);
	if (in_set(blocks, NITEMS(blocks), name))
		hw_block(w);
	if ((i = tag_attrs(w, p, n, i, start)) >= n || !start)
		return i;
	return tag_raw(w, p, n, i, name);
}

/* "<!--" to "-->" or "--!>"; "<!-->" and "<!--->" are empty. */
static size_t
comment(const uint8_t *p, size_t n, size_t i)
{
	size_t	 j = i + 4;

	if (j < n && p[j] == '>')
		return j + 1;
	if (j + 1 < n && p[j] == '-' && p[j + 1] == '>')
		return j + 2;
	for (; j + 2 < n; j++) {
		if (p[j] != '-' || p[j + 1] != '-')
			continue;
		if (p[j + 2] == '>')
			return j + 3;
		if (j + 3 < n && p[j + 2] == '!' && p[j + 3] == '>')
			return j + 4;
	}
	return n;
}

/* Up to and with the next '>': doctype, "<?", "</ x" and the like. */
static size_t
bogus(const uint8_t *p, size_t n, size_t i)
{
	const uint8_t	*gt = memchr(p + i, '>', n - i);

	return gt != NULL ? (size_t)(gt - p) + 1 : n;
}

/* Markup at p[i] == '<': returns where the text goes on, or 0: text. */
static size_t
markup(struct hw *w, const uint8_t *p, size_t n, size_t i)
{
	if (i + 1 >= n)
		return 0;
	if (is_alpha(p[i + 1]))
		return tag(w, p, n, i);
	if (p[i + 1] == '/') {
		if (i + 2 >= n)
			return 0;
		if (is_alpha(p[i + 2]))
			return tag(w, p, n, i);
		return p[i + 2] == '>' ? i + 3 : bogus(p, n, i);
	}
	if (p[i + 1] == '!') {
		if (i + 3 < n && p[i + 2] == '-' && p[i + 3] == '-')
			return comment(p, n, i);
		return bogus(p, n, i);
	}
	if (p[i + 1] == '?')
		return bogus(p, n, i);
	return 0;
}

int
html_text(const uint8_t *html, size_t len, struct buf *out,
    html_url_fn *fn, void *arg)
{
	struct hw	 w;
	size_t		 i = 0, next;

	memset(&w, 0, sizeof(w));
	w.out = out;
	w.fn = fn;
	w.arg = arg;
	while (i < len && !w.err) {
		if (html[i] == '<' && (next = markup(&w, html, len, i)) > 0)
			i = next;
		else
			i += text_one(&w, html + i, len - i);
	}
	return w.err ? -1 : 0;
}
