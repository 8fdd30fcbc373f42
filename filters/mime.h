/*
 * mime: a small, bounded MIME parser for the filter modules.  Runs in the
 * worker, inside the sandbox, over the hostile message, and trusts nothing
 * in it: no file, no locale, no iconv, no stdio; every length is bounded
 * and every allocation capped.  filters/MIME.md says why it is ours and
 * not GMime.
 *
 * mime_parse() splits a message into its parts (multipart bodies, nested
 * message/rfc822), decodes base64 and quoted-printable bodies, RFC 2047
 * encoded words and RFC 2231 parameters in file names, and collects the
 * decoded text that body rules match.  It never rejects a message:
 * whatever is malformed is recorded in the flags and parsed as well as it
 * can be.  A filter should treat MIME_TOO_DEEP and MIME_TOO_MANY_PARTS as
 * a reason to refuse the message: the parts past the limits were never
 * looked at.
 *
 * Cost: time O((D + 1) * n) for a body of n bytes and a depth limit D
 * (each byte is scanned for boundaries once per enclosing multipart and
 * decoded once per enclosing encoding); memory O(n) at most: the parts'
 * decoded bytes together never pass max_decoded, the text never passes
 * max_text, and there are at most max_parts parts.
 *
 * Text is converted to UTF-8 by hand: UTF-8 and US-ASCII pass through,
 * ISO-8859-1, ISO-8859-15 and windows-1252 are converted; any other
 * charset passes through as its bytes.  Invalid UTF-8 is not repaired.
 */
#ifndef FILTERD_MIME_H
#define FILTERD_MIME_H

#include <stddef.h>
#include <stdint.h>

struct kv;

/* What mime_flags() and mime_part_flags() report. */
#define MIME_MALFORMED		0x01	/* broken syntax, parsed leniently */
#define MIME_TOO_DEEP		0x02	/* nesting past max_depth not parsed */
#define MIME_TOO_MANY_PARTS	0x04	/* parts past max_parts not parsed */
#define MIME_TRUNCATED		0x08	/* text or data cut at a limit */
#define MIME_FLAGS_ALL		0x0f

#define MIME_DEPTH_MAX	32	/* hard cap on max_depth */
#define MIME_PARTS_MAX	10000	/* hard cap on max_parts */
#define MIME_TYPE_MAX	256	/* "type/subtype", with its NUL */
#define MIME_CHARSET_MAX 64	/* a charset name, with its NUL */
#define MIME_NAME_MAX	1024	/* a decoded file name, with its NUL */
#define MIME_EXT_MAX	32	/* an extension, with its NUL */

struct mime_limits {
	size_t	max_depth;	/* deepest part: the message is depth 0 */
	size_t	max_parts;	/* parts, containers included */
	size_t	max_text;	/* bytes of mime_text() */
	size_t	max_decoded;	/* base64 and QP output, all parts together */
};

struct mime;
struct mime_part;

/*
 * Fills l with the defaults for a body of at most body_max bytes: depth
 * 8, 100 parts, body_max bytes of text, 2 * body_max decoded bytes.
 */
void	mime_limits_default(struct mime_limits *l, size_t body_max);

/*
 * Parses a message: its headers (NUL-terminated names and values, values
 * possibly folded with "\r\n " or "\n\t", as struct message holds them)
 * and its raw body.  limits NULL means the defaults for body_max = len,
 * but with room for all the text.  max_depth and max_parts are clamped to
 * the hard caps above, max_parts to at least 1.
 *
 * The mime borrows body: part data points into it, so it must outlive the
 * mime.  hdrs are only read during the call.  Everything else the mime
 * returns it owns, until mime_free().  Never fails on malformed input.
 * Returns NULL only when memory runs out.
 */
struct mime	*mime_parse(const struct kv *hdrs, size_t nhdrs,
		    const uint8_t *body, size_t len,
		    const struct mime_limits *limits);
void		 mime_free(struct mime **);

/* The OR of every part's flags, and of the message's own. */
unsigned	 mime_flags(const struct mime *);
/* At least 1: the message itself is part 0. */
size_t		 mime_part_count(const struct mime *);
/*
 * Returns part i, in document order (a container comes before what it
 * contains), or NULL when i >= mime_part_count().
 */
const struct mime_part *mime_part(const struct mime *, size_t i);

/*
 * The decoded text of every text/plain and text/html leaf part (and of a
 * multipart whose boundary never appears), converted to UTF-8, CRLF turned
 * into LF, parts separated by a newline, at most max_text bytes, never
 * ending in a cut UTF-8 sequence.  HTML is not rendered.  The bytes are
 * not NUL-terminated and may contain NUL.  Never NULL.
 */
const uint8_t	*mime_text(const struct mime *, size_t *len_r);
/*
 * Part i's share of mime_text() (without the newline before it), or NULL
 * when part i's text is not in it (not text/plain or text/html, or past
 * the parts).  Owned by the mime; not NUL-terminated.
 */
const uint8_t	*mime_part_text(const struct mime *, size_t i, size_t *len_r);

/*
 * Part accessors.  Strings are owned by the mime, NUL-terminated and free
 * of control characters.
 *
 * type: lower-cased "type/subtype"; "text/plain" when the header is
 * missing or invalid (message/rfc822 inside multipart/digest).
 * charset: lower-cased, "" when none.  disposition: lower-cased, "" when
 * none.  filename: the decoded file name, UTF-8, from the disposition's
 * filename (RFC 2231, RFC 2047 or plain) or else the type's name, "" when
 * none; control characters are replaced by '_' and the part flagged
 * malformed; a name longer than MIME_NAME_MAX - 1 keeps its end (and so
 * its extension) and is flagged malformed.  ext: mime_ext() of filename.
 * depth: 0 for the message, 1 for what it contains, and so on.
 * parent: the index of the enclosing part; 0 for part 0.
 * data: the body once its transfer encoding is undone (a multipart's body
 * is its raw body; a message/rfc822 part's is the whole inner message);
 * not converted to UTF-8, not NUL-terminated.
 */
const char	*mime_part_type(const struct mime_part *);
const char	*mime_part_charset(const struct mime_part *);
const char	*mime_part_disposition(const struct mime_part *);
const char	*mime_part_filename(const struct mime_part *);
const char	*mime_part_ext(const struct mime_part *);
size_t		 mime_part_depth(const struct mime_part *);
size_t		 mime_part_parent(const struct mime_part *);
unsigned	 mime_part_flags(const struct mime_part *);
const uint8_t	*mime_part_data(const struct mime_part *, size_t *len_r);
/* Returns 1 for a multipart or message/rfc822 whose contents were parsed. */
int		 mime_part_is_container(const struct mime_part *);
/*
 * Returns 1 when the part is what a mail reader shows as an attachment:
 * disposition "attachment", or a file name, or a leaf that is neither
 * text/plain nor text/html.  Containers are attachments only by the first
 * two.
 */
int		 mime_part_is_attachment(const struct mime_part *);

/*
 * Decodes the RFC 2047 encoded words of a header value into UTF-8 and
 * unfolds it (CR and LF are dropped); the white space between two encoded
 * words is dropped, an invalid encoded word is kept as it is, and encoded
 * words inside other text are decoded too, as mail readers do.  NUL, CR
 * and LF that come out of an encoded word become spaces.  Writes at most
 * outlen - 1 bytes and a NUL (nothing when outlen is 0), never a cut
 * UTF-8 sequence.  Returns 0, or -1 when the output was truncated or
 * memory ran out.
 */
int		 mime_decode_header(const char *in, char *out, size_t outlen);

/*
 * Writes the extension of filename (after its last dot, lower-cased,
 * without the dot) into ext, and returns ext.  Trailing dots and spaces
 * are ignored, as Windows does ("a.exe. " is "exe").  "" when there is no
 * extension, when it has white space or a slash, or when it does not fit
 * in extlen; nothing is written when extlen is 0.
 */
const char	*mime_ext(const char *filename, char *ext, size_t extlen);
/*
 * Returns 1 when filename has a "double extension": an executable
 * extension (one table in mime.c: exe, scr, js, ...) right after a
 * document or media one (pdf, doc, jpg, ...), ignoring white space
 * between them, as in "invoice.pdf.exe" or "photo.jpg   .scr"; else 0.
 */
int		 mime_double_ext(const char *filename);
/* Returns 1 when ext (without the dot, any case) is in the table. */
int		 mime_ext_executable(const char *ext);

#endif
