/*
 * message: one mail message as the MTA handed it to filterd -- connection
 * facts, envelope, headers and body.  The frontends build it in the
 * supervisor; the worker gets a decoded copy.  Every string is owned by the
 * message and freed with it.  The limits below bound what a frontend
 * collects and what the job decoder accepts.
 */
#ifndef FILTERD_LIB_MESSAGE_H
#define FILTERD_LIB_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

#define MSG_STR_MAX	1024	/* addresses, names, HELO, macro values */
#define MSG_HDR_NAME_MAX 256
#define MSG_HDR_VALUE_MAX 65536
#define MSG_HDRS_MAX	2000
#define MSG_RCPTS_MAX	1000
#define MSG_MACROS_MAX	64
#define MSG_INDEX_MAX	10000	/* header indexes a verdict may name */

struct kv {
	char	*name;
	char	*value;
};

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
	uint8_t		*body;
	size_t		 bodylen;
	size_t		 bodycap;
	size_t		 body_max;
	int		 oversize;	/* more arrived than body_max */
	const char	*over;		/* a bound passed (static text) */
	const char	*malformed;	/* why the header is not one */
};

/* Returns a new empty message whose body will hold at most body_max. */
struct message	*message_new(size_t body_max);
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
int	message_add_header(struct message *, const char *, const char *);
/*
 * Appends body bytes.  Past body_max it stores nothing more, sets
 * oversize and returns -1.
 */
int	message_add_body(struct message *, const void *, size_t);
/* Returns the value of the named macro ("i", "{auth_authen}") or NULL. */
const char *message_macro(const struct message *, const char *);

#endif
