/*
 * message: one mail message as the MTA handed it to filterd -- connection
 * facts, envelope, headers and body.  The frontends build it in the
 * supervisor; the worker gets a decoded copy.  Every string is owned by the
 * message and freed with it.  The limits below bound what a frontend
 * collects and what the job decoder accepts.
 *
 * Its size -- what limits.message_size bounds -- is the header and the
 * body together, counted as the MTA passes them: each field as
 * "Name:value" and CRLF, a folded line's break as CRLF, and a body as
 * stored (CRLF line ends) with the empty line before it.  A field never
 * counts more than its bytes on the wire, whatever blanks they held, so a
 * message the MTA counted within a limit is within it here; only a
 * leading mbox "From " line, stored as the field X-Mailbox-Line, counts
 * 15 bytes more than it had.  The
 * supervisor and the worker count alike, which is what lets a job of a
 * message within limits always be written and decoded (see wire.h).
 *
 * Where the body is kept: in memory; or, in a process that asked for it
 * with message_spill_above (the supervisor), past that size in a memfd,
 * written as it arrives, that becomes the worker's job without another
 * copy; or, in the worker, in the job's own bytes (message_body_ref).
 */
#ifndef FILTERD_LIB_MESSAGE_H
#define FILTERD_LIB_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

#define MSG_STR_MAX	1024	/* addresses, names, HELO, macro values */
#define MSG_HDR_NAME_MAX 256
/* The most limits.max_header_size may be: ten times Postfix's default. */
#define MSG_HDR_VALUE_MAX (1024 * 1024)
#define MSG_INDEX_MAX	10000	/* header indexes a verdict may name */
/* The most limits.max_headers may be: every field can be named. */
#define MSG_HDRS_MAX	MSG_INDEX_MAX
#define MSG_RCPTS_MAX	1000
#define MSG_MACROS_MAX	64

struct kv {
	char	*name;
	char	*value;
};

struct msgspill;

struct message {
	char		*queue_id;
	char		*client_addr;
	char		*client_name;
	char		*helo;
	char		*sender;
	char		**rcpts;
	size_t		 nrcpts;
	struct kv	*macros;
	size_t		 nmacros;
	struct kv	*hdrs;
	size_t		 nhdrs;
	uint8_t		*body;		/* the body, or its tail once spilled */
	size_t		 bodylen;	/* the whole body's length */
	size_t		 bodycap;
	int		 bodyref;	/* body is borrowed: never freed */
	struct msgspill	*spill;		/* the body's memfd, or NULL */
	size_t		 hdrsize;	/* fields and the empty line */
	size_t		 size_max;	/* for the header and body */
	int		 oversize;	/* more arrived than size_max */
	const char	*over;		/* a bound passed (static text) */
	const char	*malformed;	/* why the header is not one */
	int		 trace;		/* filterd -t --trace only: the
					   verdict says what each rule saw */
};

/*
 * Returns a new empty message whose header and body together will hold at
 * most size_max bytes, counted as above.
 */
struct message	*message_new(size_t size_max);
void		 message_free(struct message **);
/* Forgets the envelope, headers and body; keeps the connection facts. */
void		 message_reset(struct message *);

/*
 * Setters copy their arguments, truncating nothing: a string longer than
 * MSG_STR_MAX, or one more header or recipient than the limits, makes them
 * return -1 and leave the message unchanged.
 */
int	message_set(char **field, const char *value);
int	message_add_rcpt(struct message *, const char *);
int	message_add_macro(struct message *, const char *, const char *);
/*
 * Appends a header field.  Past size_max, or once oversize is set, it
 * stores nothing, sets oversize and returns -1; past the other bounds it
 * returns -1 and leaves oversize alone.
 */
int	message_add_header(struct message *, const char *, const char *);
/*
 * Appends body bytes.  Past size_max, or once oversize is set, it stores
 * nothing more, sets oversize and returns -1.
 */
int	message_add_body(struct message *, const void *, size_t);
/*
 * From now on, in this process, a body that grows past n bytes moves to
 * a memfd, and what follows is written there as it comes (0: never, the
 * default).  Called once, before any message is built.
 */
void	message_spill_above(size_t n);
/* Whether m's body is in a memfd. */
int	message_body_spilled(const struct message *);
/*
 * The memfd of a spilled body, written whole and sealed against any
 * change; it stays m's (closed with it).  Returns -1 when the body is
 * not spilled or cannot be written.
 */
int	message_body_fd(const struct message *);
/* Copies the whole body, bodylen bytes, to dst; returns 0 or -1. */
int	message_body_copy(const struct message *, uint8_t *dst);
/*
 * Makes the n bytes at p the body of m, which has none yet, without a
 * copy: p must outlive m.  Counts as message_add_body does; past
 * size_max it returns -1 and changes nothing (the oversize flag, which a
 * job carries, is left as it is).
 */
int	message_body_ref(struct message *, const uint8_t *p, size_t n);
/* What a field of this name and value counts against size_max. */
size_t	message_field_size(const char *name, const char *value);
/* The header and body's size so far: never more than size_max. */
size_t	message_size(const struct message *);
/* Returns the value of the named macro ("i", "{auth_authen}") or NULL. */
const char *message_macro(const struct message *, const char *);

#endif
