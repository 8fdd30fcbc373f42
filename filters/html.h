/*
 * html: HTML to the text a mail reader shows, for the worker's text view
 * (filters/view.c).  Runs in the worker, inside the sandbox, over hostile
 * HTML: no file, no locale, no allocation but the caller's bounded buffers.
 *
 * Why our own and not a library: Debian 12 offers libxml2's HTML parser
 * (HTML 4 era: it lacks most HTML5 named references such as "&period;",
 * so "paypal&period;com" would stay hidden, and it brings global state and
 * an encoding layer built on iconv, which opens files) and gumbo 0.10.1
 * (a full HTML5 tree builder, but from 2015, its upstream archived, and a
 * tree of the whole document in memory).  We need neither a tree nor the
 * error recovery of a browser's tree builder: only the tokenizer's view --
 * text, comments, raw text elements and attribute values -- with the
 * standard's character references.  That is this file, about 400 lines,
 * with a fuzz target (t/fuzz/fuzz-html.c) and the standard's full table of
 * named references (filters/html_entities.c).
 *
 * What comes out: the text outside tags and comments, character references
 * decoded (numeric, hex and decimal, and every named one, with the
 * standard's rules for a missing ';'), the contents of script, style and
 * other raw-text elements dropped, white space collapsed to one space,
 * block elements (p, div, br, li, tr, ...) ending a line, invisible
 * characters (soft hyphen, zero-width space and joiners, word joiner, BOM)
 * dropped and no-break spaces turned into spaces.  Broken HTML is read as
 * a browser's tokenizer would, as far as text goes: an unclosed comment or
 * tag at the end hides what follows, as it does in a browser.
 */
#ifndef FILTERD_HTML_H
#define FILTERD_HTML_H

#include <stddef.h>
#include <stdint.h>

struct buf;

#define HTML_ATTR_MAX	8192	/* an attribute value longer is cut */

/*
 * Called with the decoded value of each attribute that holds a URL (href,
 * src, action, formaction, background, cite, poster, data, longdesc, and
 * the URLs of srcset), NUL-terminated, of len bytes.  Returns 0, or -1 to
 * stop the conversion.
 */
typedef int	html_url_fn(void *arg, const char *url, size_t len);

/*
 * Converts html (UTF-8, as mime.c's text is) to text appended to out.
 * fn may be NULL.  Returns 0; or -1 when out reached its maximum (what fit
 * was kept, never a cut UTF-8 sequence of ours) or fn returned -1.
 */
int	html_text(const uint8_t *html, size_t len, struct buf *out,
	    html_url_fn *fn, void *arg);

/*
 * Decodes the character reference at p (p[0] == '&') as the standard does
 * in text (in_attr 0) or in an attribute value (in_attr 1).  Returns the
 * bytes it spans and sets cp[0] and cp[1] (0: none); or returns 0 when
 * there is no reference there (the '&' is then a plain '&').  Code points
 * the standard replaces (NUL, surrogates, past U+10FFFF) come out as
 * U+FFFD, and 0x80-0x9F as windows-1252 has them.
 */
size_t	html_charref(const uint8_t *p, size_t n, int in_attr, uint32_t cp[2]);

#endif
