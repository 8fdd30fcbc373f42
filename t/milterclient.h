/*
 * milterclient: the MTA side of the milter protocol, version 6, as Postfix
 * speaks it.  A test and benchmark library: it runs in mclient(1), bench and
 * the test programs, never in filterd.  It trusts nothing the milter sends:
 * every packet length is bounded before anything is allocated, every reply
 * is decoded completely, and a reply that is out of place, malformed, or
 * asks for an action that was not negotiated is a protocol error.
 *
 * One struct mc_conn is one connection to a milter.  mc_open() connects and
 * negotiates options (all protocol steps and actions are offered, as Postfix
 * does, and whatever the milter answers is honoured: steps flagged SMFIP_NO*
 * are not sent, replies flagged SMFIP_NR_* are not awaited); mc_open_offer()
 * offers less, as an older MTA would.  mc_send() then
 * runs the connect and HELO steps and one mail transaction and fills in a
 * struct mc_result.  Every call that can fail returns -1 and leaves a
 * message for mc_error(); the library neither prints nor exits.
 */
#ifndef FILTERD_T_MILTERCLIENT_H
#define FILTERD_T_MILTERCLIENT_H

#include <stddef.h>
#include <stdint.h>

struct mc_conn;

/* The verdict that ended a transaction (or the connection). */
enum mc_action {
	MC_ACTION_NONE = 0,	/* none: the client stopped the transaction */
	MC_ACTION_ACCEPT,
	MC_ACTION_CONTINUE,	/* "continue" at end of message: accept */
	MC_ACTION_REJECT,
	MC_ACTION_TEMPFAIL,
	MC_ACTION_DISCARD,
	MC_ACTION_REPLYCODE,	/* an explicit SMTP reply, in reply */
	MC_ACTION_SHUTDOWN,	/* '4': the milter is shutting down (421) */
	MC_ACTION_CONNFAIL	/* 'f': the milter wants the SMTP session cut */
};

/* The protocol step at which a transaction ended. */
enum mc_phase {
	MC_PHASE_NONE = 0,
	MC_PHASE_CONNECT,
	MC_PHASE_HELO,
	MC_PHASE_MAIL,
	MC_PHASE_RCPT,
	MC_PHASE_DATA,
	MC_PHASE_HEADER,
	MC_PHASE_EOH,
	MC_PHASE_BODY,
	MC_PHASE_EOM
};

/* What the milter asked for, in the order it asked. */
enum mc_event_type {
	MC_EV_RCPT,		/* a recipient refused: name, action, value */
	MC_EV_ADDHEADER,	/* name, value */
	MC_EV_INSHEADER,	/* idx, name, value */
	MC_EV_CHGHEADER,	/* idx, name, value ("" deletes) */
	MC_EV_QUARANTINE,	/* name: the reason */
	MC_EV_ADDRCPT,		/* name: the recipient */
	MC_EV_ADDRCPT_PAR,	/* name: the recipient, value: ESMTP args */
	MC_EV_DELRCPT,		/* name: the recipient */
	MC_EV_CHGFROM,		/* name: the sender, value: ESMTP args */
	MC_EV_REPLBODY		/* data, len: one chunk of the new body */
};

struct mc_event {
	enum mc_event_type	 type;
	uint32_t		 idx;
	char			*name;		/* never NULL */
	char			*value;		/* never NULL */
	uint8_t			*data;		/* MC_EV_REPLBODY only */
	size_t			 len;
	enum mc_action		 action;	/* MC_EV_RCPT only */
};

/*
 * The outcome of one transaction.  Owned by the caller; mc_send() and
 * mc_transaction() initialise it, mc_result_free() releases what they
 * allocated in it.
 */
struct mc_result {
	enum mc_action	 action;
	char		*reply;		/* the text of a 'y' reply, or NULL */
	enum mc_phase	 phase;		/* where the transaction ended */
	struct mc_event	*ev;
	size_t		 nev;
	size_t		 body_sent;	/* body bytes sent to the milter */
	int		 stopped;	/* the client stopped it (see stop) */
	unsigned int	 progress;	/* 'p' progress replies received */
	unsigned int	 replies;	/* reply packets received, all kinds */
};

/* A macro sent before the command named by stage (SMFIC_CONNECT, ...). */
struct mc_macro {
	char		 stage;
	const char	*name;		/* "i", "{auth_authen}", ... */
	const char	*value;
};

/*
 * A header as the MTA received it: value is everything after the colon,
 * folded lines joined with "\n" (Postfix) or "\r\n".  Leading white space
 * is stripped when the header is sent unless the milter asked for
 * SMFIP_HDR_LEADSPC.
 */
struct mc_header {
	const char	*name;
	const char	*value;
};

enum mc_stop {
	MC_STOP_NONE = 0,
	MC_STOP_DISCONNECT,	/* close the socket, as a crashed MTA would */
	MC_STOP_ABORT		/* send SMFIC_ABORT; the connection lives on */
};

/*
 * One message and the SMTP session around it.  Strings may be NULL where
 * noted.  The sender and recipients are sent in angle brackets (added when
 * missing).  Macros i (queue_id), j (myhostname), _, {mail_addr} and
 * {rcpt_addr} are sent where Postfix sends them, and macros[] besides.
 */
struct mc_message {
	const char		*client_name;	/* NULL: "unknown" */
	const char		*client_addr;	/* NULL: family 'U' */
	uint16_t		 client_port;
	const char		*helo;		/* NULL: no HELO step */
	const char		*queue_id;	/* NULL: no macro i */
	const char		*myhostname;	/* NULL: no macro j */
	const struct mc_macro	*macros;
	size_t			 nmacros;
	const char		*sender;	/* NULL or "": <> */
	const char *const	*rcpts;
	size_t			 nrcpts;
	const struct mc_header	*headers;
	size_t			 nheaders;
	const uint8_t		*body;		/* CRLF line ends */
	size_t			 bodylen;
	enum mc_stop		 stop;		/* after stop_after bytes */
	size_t			 stop_after;
};

/*
 * Connects to "unix:/path", "local:/path" or "inet:PORT@HOST" and
 * negotiates options.  Every later read and write waits at most timeout_ms.
 * Returns the connection, or NULL with a message in err (errlen bytes).
 */
struct mc_conn	*mc_open(const char *spec, int timeout_ms, char *err,
		    size_t errlen);
/*
 * The same, offering protocol version (2 to 6) and only the SMFIP_* flags
 * in offer (a subset of SMFI_CURR_PROT); mc_offer_of() gives Postfix's
 * offer at its milter_protocol 2, 3, 4 or 6, and 0 for any other.
 */
struct mc_conn	*mc_open_offer(const char *spec, int version, uint32_t offer,
		    int timeout_ms, char *err, size_t errlen);
uint32_t	 mc_offer_of(int milter_protocol);
/*
 * Ends the SMTP session but keeps the connection and what was negotiated
 * (SMFIC_QUIT_NC): the next mc_send() runs the connect and HELO steps again.
 */
int		 mc_quit_nc(struct mc_conn *);
/* Sends SMFIC_QUIT when still connected, closes and frees; sets *cp NULL. */
void		 mc_close(struct mc_conn **cp);
/* The last error, or "" when there was none. */
const char	*mc_error(const struct mc_conn *);
/* What the milter negotiated: version, SMFIF_* actions, SMFIP_* flags. */
uint32_t	 mc_version(const struct mc_conn *);
uint32_t	 mc_actions(const struct mc_conn *);
uint32_t	 mc_protocol(const struct mc_conn *);

/*
 * Runs the connect and HELO steps (once per connection) and then one mail
 * transaction.  Returns 0 when the exchange completed, whatever the
 * verdict, with the outcome in *res; -1 on a protocol or connection error
 * (*res then holds what was collected so far, and must still be freed).
 * A verdict at the connect or HELO step holds for the whole connection.
 */
int	mc_send(struct mc_conn *, const struct mc_message *,
	    struct mc_result *res);
/* Only the connect and HELO steps; mc_send() skips them once done. */
int	mc_hello(struct mc_conn *, const struct mc_message *,
	    struct mc_result *res);
/* Only a mail transaction (MAIL to end of message). */
int	mc_transaction(struct mc_conn *, const struct mc_message *,
	    struct mc_result *res);
void	mc_result_free(struct mc_result *);

/* Lower-case names for output: "accept", "rcpt", "addheader", ... */
const char	*mc_action_name(enum mc_action);
const char	*mc_phase_name(enum mc_phase);
const char	*mc_event_name(enum mc_event_type);

#endif
