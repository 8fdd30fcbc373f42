/*
 * filter.h: the interface of a filterd filter module -- the one header a
 * module includes, built-in or loaded from a shared object.  See
 * filterd-module(3) for a tutorial.
 *
 * Where module code runs:
 *   init   once, in the spawner, before any sandbox, with the module's
 *          settings.  It may allocate, read files and precompile (patterns,
 *          tables, iconv conversions): its state is inherited by every
 *          worker.  Errors stop filterd at start-up.  Code it generates
 *          (a JIT) is made read and execute only after every init: none
 *          may be generated later.
 *   check  once per message, in a fresh worker, inside the sandbox.  It may
 *          read the message and add to the result; it may not open files,
 *          sockets or processes (the sandbox kills a worker that tries), and
 *          should not write through its state: each worker has its own copy.
 *   free   in the spawner, when it exits.
 *
 * Everything a module sets in the result is validated by the supervisor
 * before it reaches the MTA: an action or header the configuration does
 * not allow makes the message get the on_failure action instead.
 *
 * Modules run in order; once one sets a terminal action, the modules after
 * it are not run.  Strings passed to the result functions are copied;
 * strings returned by the message functions belong to the message and
 * live until check returns.
 */
#ifndef FILTERD_FILTER_H
#define FILTERD_FILTER_H

#include <libconfig.h>
#include <stddef.h>
#include <stdint.h>

#define FILTER_ABI_VERSION	2

/* A shared-object module exports its descriptor under this name. */
#define FILTER_MODULE_SYMBOL	"filterd_module"

/* Actions a module may set.  FILTER_NONE leaves the decision to others. */
#define FILTER_NONE		0
#define FILTER_ACCEPT		1
#define FILTER_REJECT		2
#define FILTER_TEMPFAIL		3
#define FILTER_DISCARD		4
#define FILTER_QUARANTINE	5

struct filter_msg;	/* read-only view of one message */
struct filter_result;	/* the verdict being built */

struct filter_module {
	uint32_t	 abi;		/* FILTER_ABI_VERSION */
	const char	*name;
	/*
	 * settings is the module's group in the configuration, or NULL when
	 * there is none.  Returns 0 and sets *state_r (NULL is fine), or -1
	 * with a message in err ("file:line: ..." where it can tell).
	 */
	int	 (*init)(const config_setting_t *settings, void **state_r,
		    char *err, size_t errlen);
	/* Returns 0, or -1 when the message cannot be checked (on_failure). */
	int	 (*check)(void *state, const struct filter_msg *,
		    struct filter_result *);
	void	 (*free)(void *state);
};

/* The envelope and connection; NULL or "" when the MTA did not say. */
const char	*filter_msg_sender(const struct filter_msg *);
size_t		 filter_msg_rcpt_count(const struct filter_msg *);
const char	*filter_msg_rcpt(const struct filter_msg *, size_t);
const char	*filter_msg_helo(const struct filter_msg *);
const char	*filter_msg_client_addr(const struct filter_msg *);
const char	*filter_msg_client_name(const struct filter_msg *);
const char	*filter_msg_queue_id(const struct filter_msg *);
/* A milter macro such as "{auth_authen}", or NULL. */
const char	*filter_msg_macro(const struct filter_msg *, const char *);

/* Headers in message order, values as the MTA sent them (maybe folded). */
size_t		 filter_msg_header_count(const struct filter_msg *);
const char	*filter_msg_header_name(const struct filter_msg *, size_t);
const char	*filter_msg_header_value(const struct filter_msg *, size_t);
/* The value of the nth (from 1) header so named, any case; or NULL. */
const char	*filter_msg_header(const struct filter_msg *, const char *,
		    size_t nth);
/* The raw body, as received (bounded by limits.message_size). */
const uint8_t	*filter_msg_body(const struct filter_msg *, size_t *len_r);

/*
 * The MIME structure, parsed once per message within limits.max_mime_depth
 * and limits.max_mime_parts.  Part 0 is the message itself; the others
 * follow in document order, a container before what it contains.  An
 * index past the count gets NULL, or 0.  Like everything above, valid
 * until check returns, and never to be written to.
 */
/*
 * The decoded text of the text/plain and text/html parts, in UTF-8, LF
 * line ends: what body rules see.  Not NUL-terminated; never NULL.
 */
const uint8_t	*filter_msg_text(const struct filter_msg *, size_t *len_r);
/* At least 1. */
size_t		 filter_msg_part_count(const struct filter_msg *);
/* "type/subtype", lower case. */
const char	*filter_msg_part_type(const struct filter_msg *, size_t);
/* The decoded file name (RFC 2231, RFC 2047), "" when there is none. */
const char	*filter_msg_part_filename(const struct filter_msg *, size_t);
/* 0 for the message, 1 for its parts, and so on. */
size_t		 filter_msg_part_depth(const struct filter_msg *, size_t);
/*
 * 1 when a mail reader would show the part as an attachment: disposition
 * "attachment", a file name, or a leaf that is not text/plain or
 * text/html.
 */
int		 filter_msg_part_is_attachment(const struct filter_msg *,
		    size_t);
/*
 * The part's content with its transfer encoding (base64,
 * quoted-printable) undone, in its own charset; a multipart's is its raw
 * body, a message/rfc822's the whole inner message.  Not NUL-terminated.
 */
const uint8_t	*filter_msg_part_data(const struct filter_msg *, size_t,
		    size_t *len_r);

/*
 * What a reader sees, computed the first time a module asks (a message
 * whose modules never ask pays nothing), within the limits.* settings.
 * Like the MIME structure, valid until check returns.
 *
 * The text view: each text/plain part's decoded text, and each text/html
 * part converted to text (tags and comments dropped, script and style
 * dropped, character references and entities decoded, white space
 * collapsed, invisible characters such as zero-width spaces dropped),
 * joined with newlines; UTF-8, not NUL-terminated, never NULL.
 */
const uint8_t	*filter_msg_view_text(const struct filter_msg *,
		    size_t *len_r);
/*
 * The distinct URLs of the text and HTML parts (href, src and the like,
 * and http, https, ftp and "www." URLs in the text), references decoded
 * first, in normal form: scheme and host lower-cased, userinfo dropped,
 * backslashes as slashes, the host percent-decoded, its trailing dot
 * dropped and IDNA applied (an A-label, "xn--..."), a numeric IPv4 host
 * as a dotted quad, the default port dropped.  At most limits.max_urls;
 * past it FILTER_URL_OVER_LIMIT is set and the rest are not listed: a
 * rule should then fail closed.  An index past the count gets NULL.
 */
#define FILTER_URL_OVER_LIMIT	0x01
size_t		 filter_msg_url_count(const struct filter_msg *);
const char	*filter_msg_url(const struct filter_msg *, size_t i);
const char	*filter_msg_url_host(const struct filter_msg *, size_t i);
int		 filter_msg_url_flags(const struct filter_msg *);
/*
 * The entries of archive attachments (zip, rar, 7z, tar, and gzip, bzip2
 * or xz compressed tar or files), archives inside them included to
 * limits.archive_max_depth: name "inner.zip/x.exe", depth 1 for an entry
 * of the attachment itself, 2 inside an archive inside it, and so on.
 * The flags say what could not be seen: an encrypted entry (its name is
 * listed, its contents are not read), an archive libarchive could not read
 * (never a silent pass), a bound reached (limits.archive_max_entries,
 * archive_max_depth, archive_max_bytes of decompressed data across all
 * levels; the built-in attachment policy gives it limits.oversize).
 */
#define FILTER_ARCHIVE_ENCRYPTED	0x01
#define FILTER_ARCHIVE_UNREADABLE	0x02
#define FILTER_ARCHIVE_OVER_LIMIT	0x04
size_t		 filter_msg_archive_entry_count(const struct filter_msg *);
const char	*filter_msg_archive_entry_name(const struct filter_msg *,
		    size_t i);
size_t		 filter_msg_archive_entry_depth(const struct filter_msg *,
		    size_t i);
int		 filter_msg_archive_flags(const struct filter_msg *);

/*
 * The result.  Each returns 0, or -1 when a bound is reached or an
 * argument is malformed (the result is then unchanged).
 */
int	filter_action(const struct filter_result *);
/* reply: "550 5.7.1 text" (reject: 5xx, tempfail: 4xx) or NULL. */
int	filter_set_action(struct filter_result *, int action,
	    const char *reply);
int	filter_quarantine(struct filter_result *, const char *reason);
int	filter_add_header(struct filter_result *, const char *name,
	    const char *value);
/* index: the position among all headers, 0 = first. */
int	filter_insert_header(struct filter_result *, size_t index,
	    const char *name, const char *value);
/* nth: which header so named, from 1. */
int	filter_change_header(struct filter_result *, const char *name,
	    size_t nth, const char *value);
int	filter_delete_header(struct filter_result *, const char *name,
	    size_t nth);
/* Names what hit, for the log and the result header. */
int	filter_hit(struct filter_result *, const char *rule);
int	filter_add_score(struct filter_result *, double points);
double	filter_score(const struct filter_result *);
/* One line for the supervisor's log (at most 8 a message). */
int	filter_log(struct filter_result *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
