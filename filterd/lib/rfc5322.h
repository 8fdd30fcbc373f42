/*
 * rfc5322: the one message parser of filterd, and the one definition of a
 * header field.  Every frontend and filterd -t builds its struct message
 * through it, so that the same bytes give the same message on every path:
 * the OpenSMTPD frontend feeds smtpd's data lines, filterd -t a file's
 * lines, and the milter frontend the fields the MTA hands it, as lines.
 * Runs in the supervisor (and the -t process); trusts nothing it is fed.
 *
 * Where the header ends (see also filterd.conf(5), MESSAGES):
 *  - A field is a line that starts with a field name -- 1 to
 *    MSG_HDR_NAME_MAX printable ASCII characters other than ":" -- then
 *    optional blanks, then ":".  Its value is what follows the colon,
 *    leading blanks skipped; continuation lines (starting with a space or
 *    a tab) are joined to it with "\n", as Postfix hands values to a
 *    milter.
 *  - The header ends at the first empty line, or at the end of the
 *    message.
 *  - A line that starts with "From " and is no field, before any field
 *    but Received: (an mbox separator; OpenSMTPD puts its own Received:
 *    in front of the client's data), is neither a field nor the end of
 *    the header: it becomes the field X-Mailbox-Line, whose value is the
 *    whole line, as Postfix makes it of a leading one.
 *  - Any other line before the end of the header that is neither a field
 *    nor a continuation, and a NUL byte anywhere in the header, make the
 *    message malformed: it is never filtered as if the fields after that
 *    line did not exist; the frontends give it limits.malformed.
 */
#ifndef FILTERD_LIB_RFC5322_H
#define FILTERD_LIB_RFC5322_H

#include <stddef.h>

struct message;
struct rfc5322;

#define RFC5322_MBOX_FIELD	"X-Mailbox-Line"

/* Where one header field stands among the lines fed: first, and count. */
struct rfc5322_field {
	size_t	 first;
	size_t	 nlines;
};

/*
 * Returns the length of the field name that starts line (n bytes, no line
 * end), or 0 when the line is not a field.
 */
size_t	rfc5322_name_len(const char *line, size_t n);
/*
 * Returns a parser that fills m's header fields and body, or NULL without
 * memory.  m must outlive it.
 */
struct rfc5322	*rfc5322_new(struct message *m);
void		 rfc5322_free(struct rfc5322 **);
/*
 * Feeds one line without its line end (and, from OpenSMTPD, without its
 * dot-stuffing).  Body lines are stored with CRLF line ends.  Returns 0,
 * or -1 when the message passes a bound of struct message or memory runs
 * out, with the bound in m->over.  Malformed input is no error: it sets
 * m->malformed and the rest of the header is skipped.
 */
int	rfc5322_line(struct rfc5322 *, const char *, size_t);
/*
 * Feeds text, a line at a time: LF or CRLF ends a line, and a last line
 * without one is a line.  Returns 0 or -1 as rfc5322_line.
 */
int	rfc5322_text(struct rfc5322 *, const char *, size_t);
/*
 * Feeds one field as an MTA hands it to a milter: a name, and a value
 * whose folding is "\n" or "\r\n".  A name that is not one makes the
 * message malformed.  Returns 0 or -1 as rfc5322_line.
 */
int	rfc5322_field(struct rfc5322 *, const char *name, const char *value);
/*
 * Ends the header if it has not ended, then appends body bytes as they
 * are: for a frontend whose MTA delimited the body already.  Returns 0 or
 * -1 as rfc5322_line.
 */
int	rfc5322_body(struct rfc5322 *, const void *, size_t);
/* Ends the message: stores the field in progress.  Returns 0 or -1. */
int	rfc5322_end(struct rfc5322 *);
/*
 * The lines of each field of m->hdrs, in order, and the line the body
 * starts at (the empty line that ended the header, or the line count):
 * for a frontend that emits the message again.
 */
const struct rfc5322_field *rfc5322_fields(const struct rfc5322 *,
	    size_t *n_r);
size_t	rfc5322_body_line(const struct rfc5322 *);
/* The field that is the mbox "From " line, or SIZE_MAX. */
size_t	rfc5322_mbox(const struct rfc5322 *);

/*
 * A field name as filterd writes one: 1 to VERDICT_HDR_NAME_MAX printable
 * ASCII characters other than ":".  Returns 0, or -1 with a reason.
 */
int	rfc5322_check_name(const char *, const char **why_r);
/*
 * A field value as filterd writes one: at most VERDICT_HDR_VALUE_MAX
 * bytes of printable ASCII, tab and valid UTF-8 (RFC 6532), with no
 * control character -- C0 but tab, DEL, C1 (U+0080 to U+009F) -- and
 * line breaks only as CRLF followed by a space or a tab (folding).
 * Returns 0, or -1 with a reason.
 */
int	rfc5322_check_value(const char *, const char **why_r);

#endif
