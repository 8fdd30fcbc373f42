/*
 * super_milter: runs in the supervisor, in libmilter's threads.  Everything the
 * MTA sends is untrusted and bounded before it is stored; everything that
 * goes back to the MTA comes from a validated verdict or from the
 * configuration.  Every callback returns a legal SMFIS_* code, and
 * SMFIS_NOREPLY exactly at the steps negotiated as no-reply.
 */
#include <arpa/inet.h>
#include <grp.h>
#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "filterd/lib/config.h"
#include "filterd/super_dispatch.h"
#include "filterd/lib/log.h"
#include "filterd/lib/message.h"
#include "filterd/lib/rfc5322.h"
#include "filterd/super_answer.h"
#include "filterd/super_milter.h"
#include "filterd/lib/verdict.h"

/* The macros a job carries, when the MTA sends them. */
static const char *const milter_macros[] = {
	"i", "j", "{daemon_name}", "{auth_authen}", "{auth_type}",
	"{client_addr}", "{client_name}", "{if_addr}", "{tls_version}",
	"{cipher}", "{mail_addr}", "{rcpt_addr}",
};

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static struct dispatch		*milter_dispatch;

/*
 * The steps after which the MTA need not wait for our reply, asked for
 * when the MTA offers them: about 17 round trips a message become one.
 * Nothing is decided before the end of the message but a penalty and
 * limits.message_size, and those answers wait for the first step that
 * has a reply (milter_step).
 */
#define MILTER_NOREPLY	(SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL | \
			 SMFIP_NR_RCPT | SMFIP_NR_DATA | SMFIP_NR_UNKN | \
			 SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY)
/* Steps we have no use for: the MTA need not send them at all. */
#define MILTER_NOSEND	(SMFIP_NODATA | SMFIP_NOUNKNOWN)
#define MILTER_ACTIONS	(SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE)

/* One MTA connection; it keeps the configuration it started with. */
struct session {
	struct dgen	*g;
	struct message	*m;
	struct rfc5322	*rp;		/* the header and body being parsed */
	int		 failed;	/* out of memory or over a bound */
	unsigned long	 noreply;	/* the SMFIP_NR_* steps negotiated */
	int		 penalised;	/* refused at connect, with pen */
	struct outcome	 pen;		/* kept for every step with a reply */
};

/*
 * The messages being answered (in milter_eom: with a worker, or about to
 * be): at a stop, the listener closes at once and milter_run waits for
 * these (milter_drain).
 */
static pthread_mutex_t	 milter_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 milter_idle = PTHREAD_COND_INITIALIZER;
static unsigned		 milter_busy;

static struct session *
session_get(SMFICTX *ctx)
{
	return smfi_getpriv(ctx);
}

/* A session for a new connection, or NULL when out of memory. */
static struct session *
session_new(SMFICTX *ctx)
{
	struct session	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->g = dispatch_hold(milter_dispatch);
	if ((s->m = message_new((size_t)dgen_config(s->g)->message_size)) ==
	    NULL) {
		dispatch_release(milter_dispatch, &s->g);
		free(s);
		return NULL;
	}
	smfi_setpriv(ctx, s);
	return s;
}

static void
milter_collect_macros(SMFICTX *ctx, struct session *s)
{
	const char	*v;
	size_t		 i;

	for (i = 0; i < NITEMS(milter_macros); i++) {
		v = smfi_getsymval(ctx, (char *)(uintptr_t)milter_macros[i]);
		if (v != NULL &&
		    message_add_macro(s->m, milter_macros[i], v) == -1)
			s->failed = 1;
	}
}

static void
milter_addr(const struct sockaddr *sa, char *buf, size_t len)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	snprintf(buf, len, "unknown");
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET) {
		sin = (const struct sockaddr_in *)(const void *)sa;
		inet_ntop(AF_INET, &sin->sin_addr, buf, (socklen_t)len);
	} else if (sa->sa_family == AF_INET6) {
		sin6 = (const struct sockaddr_in6 *)(const void *)sa;
		inet_ntop(AF_INET6, &sin6->sin6_addr, buf, (socklen_t)len);
	} else if (sa->sa_family == AF_UNIX)
		snprintf(buf, len, "local");
}

static sfsistat	milter_apply(SMFICTX *, const struct answer *);
static sfsistat	milter_finish(SMFICTX *, struct session *);

/*
 * Options.  libmilter shows the SMFIP_NR_* steps as offered whether the
 * MTA offers them or not (it answers "continue" in our place when the MTA
 * does not), so they are asked for only when the MTA offers SMFIP_SKIP,
 * which libmilter never adds and which came with them in milter protocol
 * 6 (Sendmail 8.14, Postfix 2.6).  An older MTA, or Postfix with
 * milter_protocol below 6, gets a reply at every step, as before.
 * SMFIS_SKIP itself is never used: where the body has replies, a message
 * over the limit is answered at once, which ends the body too.
 */
static sfsistat
milter_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	struct session	*s;
	unsigned long	 noreply = 0;

	(void)f0;
	(void)f2;
	(void)f3;
	if ((s = session_get(ctx)) == NULL && (s = session_new(ctx)) == NULL) {
		log_warnx("out of memory for a new connection");
		return SMFIS_REJECT;	/* libmilter drops the connection */
	}
	if (f1 & SMFIP_SKIP)
		noreply = f1 & MILTER_NOREPLY;
	s->noreply = noreply;
	*pf0 = MILTER_ACTIONS;
	*pf1 = noreply | (f1 & MILTER_NOSEND);
	*pf2 = *pf3 = 0;
	log_debug("milter options: offered 0x%lx (libmilter's too), asked "
	    "for 0x%lx", f1, *pf1);
	return SMFIS_CONTINUE;
}

/*
 * A client serving a penalty is refused for the whole connection, with
 * the on_failure answer and one log line, before it sends a message: the
 * cheapest answer to a client that crashes workers again and again.  The
 * answer is kept for the first step that has a reply.
 */
static void
milter_penalised(struct session *s)
{
	struct answer	 a;

	if (s->failed || !dispatch_penalised(milter_dispatch, s->m, &s->pen))
		return;
	s->penalised = 1;
	answer_make(&a, &s->pen, 0);
	answer_log(s->m, &s->pen, &a);
}

/* Whether the message is decided already: nothing more to parse. */
static int
milter_decided(const struct session *s)
{
	return s->penalised || s->m->oversize;
}

/*
 * The reply to a step before the end of the message.  None where the MTA
 * awaits none: anything but SMFIS_NOREPLY there breaks the protocol.
 * Else an answer decided earlier -- a penalty, or a message over
 * limits.message_size, the header counting too, whose rest is then not
 * read -- is given at this first step that has a reply.
 */
static sfsistat
milter_step(SMFICTX *ctx, struct session *s, unsigned long nr)
{
	struct answer	 a;

	if (s->noreply & nr)
		return SMFIS_NOREPLY;
	if (s->penalised) {
		answer_make(&a, &s->pen, 0);
		return milter_apply(ctx, &a);
	}
	if (s->m->oversize)
		return milter_finish(ctx, s);
	return SMFIS_CONTINUE;
}

static sfsistat
milter_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	struct session	*s = session_get(ctx);
	char		 addr[INET6_ADDRSTRLEN + 1];

	/*
	 * The session is made at negotiation.  A libmilter that closed it at
	 * SMFIC_QUIT_NC and goes on without negotiating again would leave us
	 * not knowing what the MTA awaits: every message of the connection is
	 * then refused (Debian's libmilter calls neither xxfi_close nor
	 * xxfi_connect there, and Postfix never sends SMFIC_QUIT_NC).
	 */
	if (s == NULL) {
		log_warnx("a connection without options: refused");
		return SMFIS_TEMPFAIL;
	}
	milter_addr(sa, addr, sizeof(addr));
	if (message_set(&s->m->client_addr, addr) == -1 ||
	    message_set(&s->m->client_name, host ? host : "unknown") == -1)
		s->failed = 1;
	milter_penalised(s);
	return milter_step(ctx, s, SMFIP_NR_CONN);
}

static sfsistat
milter_helo(SMFICTX *ctx, char *helo)
{
	struct session	*s = session_get(ctx);

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	if (message_set(&s->m->helo, helo) == -1)
		s->failed = 1;
	return milter_step(ctx, s, SMFIP_NR_HELO);
}

/* Strips the angle brackets of "<user@domain>". */
static void
milter_unbracket(const char *in, char *out, size_t len)
{
	size_t	 n = strlen(in);

	if (n >= 2 && in[0] == '<' && in[n - 1] == '>')
		snprintf(out, len, "%.*s", (int)(n - 2), in + 1);
	else
		snprintf(out, len, "%s", in);
}

/* A new transaction: the envelope and the message are forgotten. */
static void
milter_tx_reset(struct session *s)
{
	message_reset(s->m);
	rfc5322_free(&s->rp);
	s->failed = 0;
}

/* The message's parser, made when the first header or body byte comes. */
static struct rfc5322 *
milter_parser(struct session *s)
{
	if (s->rp == NULL && (s->rp = rfc5322_new(s->m)) == NULL)
		s->failed = 1;
	return s->rp;
}

static sfsistat
milter_envfrom(SMFICTX *ctx, char **argv)
{
	struct session	*s = session_get(ctx);
	char		 addr[MSG_STR_MAX + 1];

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	milter_tx_reset(s);
	if (strlen(argv[0]) > MSG_STR_MAX) {
		s->failed = 1;
		return milter_step(ctx, s, SMFIP_NR_MAIL);
	}
	milter_unbracket(argv[0], addr, sizeof(addr));
	if (message_set(&s->m->sender, addr) == -1)
		s->failed = 1;
	milter_collect_macros(ctx, s);
	return milter_step(ctx, s, SMFIP_NR_MAIL);
}

static sfsistat
milter_envrcpt(SMFICTX *ctx, char **argv)
{
	struct session	*s = session_get(ctx);
	char		 addr[MSG_STR_MAX + 1];

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	if (strlen(argv[0]) > MSG_STR_MAX) {
		s->failed = 1;
		return milter_step(ctx, s, SMFIP_NR_RCPT);
	}
	milter_unbracket(argv[0], addr, sizeof(addr));
	if (message_add_rcpt(s->m, addr) == -1)
		s->failed = 1;
	return milter_step(ctx, s, SMFIP_NR_RCPT);
}

/* DATA comes only from an MTA that does not offer SMFIP_NODATA. */
static sfsistat
milter_data(SMFICTX *ctx)
{
	struct session	*s = session_get(ctx);

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	return milter_step(ctx, s, SMFIP_NR_DATA);
}

/* An SMTP command the MTA did not know: not ours to judge. */
static sfsistat
milter_unknown(SMFICTX *ctx, const char *cmd)
{
	struct session	*s = session_get(ctx);

	(void)cmd;
	if (s != NULL && (s->noreply & SMFIP_NR_UNKN))
		return SMFIS_NOREPLY;
	return SMFIS_CONTINUE;
}

static sfsistat
milter_header(SMFICTX *ctx, char *name, char *value)
{
	struct session	*s = session_get(ctx);

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	if (!milter_decided(s) && milter_parser(s) != NULL &&
	    rfc5322_field(s->rp, name, value) == -1)
		s->failed = 1;
	return milter_step(ctx, s, SMFIP_NR_HDR);
}

static sfsistat
milter_eoh(SMFICTX *ctx)
{
	struct session	*s = session_get(ctx);

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	milter_collect_macros(ctx, s);
	return milter_step(ctx, s, SMFIP_NR_EOH);
}

/* The reply of an answer; libmilter formats the text: % doubled. */
static void
milter_reply(SMFICTX *ctx, const struct answer *a)
{
	char		 text[2 * VERDICT_TEXT_MAX + 1];
	const char	*t = a->text;
	size_t		 i, o = 0;

	if (a->code == NULL)
		return;
	for (i = 0; t != NULL && t[i] != '\0' && o + 2 < sizeof(text); i++) {
		if (t[i] == '%')
			text[o++] = '%';
		text[o++] = t[i];
	}
	text[o] = '\0';
	if (smfi_setreply(ctx, (char *)(uintptr_t)a->code,
	    (char *)(uintptr_t)a->ecode, t != NULL ? text : NULL) !=
	    MI_SUCCESS)
		log_warnx("smfi_setreply %s failed", a->code);
}

static sfsistat
milter_body(SMFICTX *ctx, unsigned char *p, size_t len)
{
	struct session	*s = session_get(ctx);

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	if (!milter_decided(s) && milter_parser(s) != NULL &&
	    rfc5322_body(s->rp, p, len) == -1)
		s->failed = 1;
	return milter_step(ctx, s, SMFIP_NR_BODY);
}

/* Converts CRLF folding to the LF folding libmilter expects. */
static void
milter_unfold(const char *in, char *out, size_t len)
{
	size_t	 o = 0;

	for (; *in != '\0' && o + 1 < len; in++)
		if (!(in[0] == '\r' && in[1] == '\n'))
			out[o++] = *in;
	out[o] = '\0';
}

static int
milter_op(SMFICTX *ctx, const struct hdrop *h)
{
	char	 value[VERDICT_HDR_VALUE_MAX + 1];
	char	*name = (char *)(uintptr_t)h->name;

	if (h->value != NULL)
		milter_unfold(h->value, value, sizeof(value));
	switch (h->op) {
	case HDR_ADD:
		return smfi_addheader(ctx, name, value);
	case HDR_INSERT:
		return smfi_insheader(ctx, (int)h->index, name, value);
	case HDR_CHANGE:
		return smfi_chgheader(ctx, name, (int)h->index, value);
	case HDR_DELETE:
		return smfi_chgheader(ctx, name, (int)h->index, NULL);
	}
	return MI_FAILURE;
}

/* Translates an answer into libmilter calls, in the answer's order. */
static sfsistat
milter_apply(SMFICTX *ctx, const struct answer *a)
{
	size_t	 i;

	for (i = 0; i < a->nops; i++)
		if (milter_op(ctx, a->ops[i]) != MI_SUCCESS)
			log_warnx("%s header %s failed",
			    hdr_op_name(a->ops[i]->op), a->ops[i]->name);
	switch (a->action) {
	case ACTION_REJECT:
		milter_reply(ctx, a);
		return SMFIS_REJECT;
	case ACTION_TEMPFAIL:
		milter_reply(ctx, a);
		return SMFIS_TEMPFAIL;
	case ACTION_DISCARD:
		return SMFIS_DISCARD;
	case ACTION_QUARANTINE:
		if (smfi_quarantine(ctx, (char *)(uintptr_t)a->reason) !=
		    MI_SUCCESS)
			log_warnx("smfi_quarantine failed");
		return SMFIS_ACCEPT;
	default:
		return SMFIS_ACCEPT;
	}
}

/*
 * Decides the message -- without a worker when it is malformed or over a
 * bound, else through one -- then logs and applies the answer.
 */
static sfsistat
milter_finish(SMFICTX *ctx, struct session *s)
{
	struct outcome	 o;
	struct answer	 a;
	sfsistat	 rc;

	if (s->m->queue_id == NULL && message_macro(s->m, "i") != NULL)
		(void)message_set(&s->m->queue_id, message_macro(s->m, "i"));
	if (s->failed && s->m->over == NULL)
		s->m->over = "over a bound on recipients, headers or lengths";
	if (!answer_decide(s->m, dgen_config(s->g)->oversize,
	    dgen_config(s->g)->malformed, &o))
		dispatch_run(milter_dispatch, s->m, &o);
	else
		o.gen = dgen_id(s->g);
	answer_message(&a, s->m, &o, dgen_config(s->g)->quarantine_header, 0);
	answer_log(s->m, &o, &a);
	rc = milter_apply(ctx, &a);
	outcome_clear(&o);
	milter_tx_reset(s);
	return rc;
}

static sfsistat
milter_eom(SMFICTX *ctx)
{
	struct session	*s = session_get(ctx);
	sfsistat	 rc;

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	if (s->penalised) {
		rc = milter_step(ctx, s, 0);
		milter_tx_reset(s);
		return rc;
	}
	pthread_mutex_lock(&milter_lock);
	milter_busy++;
	pthread_mutex_unlock(&milter_lock);
	milter_collect_macros(ctx, s);
	if (!s->m->oversize && milter_parser(s) != NULL &&
	    rfc5322_end(s->rp) == -1)
		s->failed = 1;
	rc = milter_finish(ctx, s);
	pthread_mutex_lock(&milter_lock);
	if (--milter_busy == 0)
		pthread_cond_broadcast(&milter_idle);
	pthread_mutex_unlock(&milter_lock);
	return rc;
}

static sfsistat
milter_abort(SMFICTX *ctx)
{
	struct session	*s = session_get(ctx);

	if (s != NULL)
		milter_tx_reset(s);
	return SMFIS_CONTINUE;
}

static sfsistat
milter_close(SMFICTX *ctx)
{
	struct session	*s = session_get(ctx);

	if (s != NULL) {
		outcome_clear(&s->pen);
		rfc5322_free(&s->rp);
		message_free(&s->m);
		dispatch_release(milter_dispatch, &s->g);
		free(s);
		smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

static struct smfiDesc milter_desc = {
	.xxfi_name = (char *)(uintptr_t)"filterd",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = MILTER_ACTIONS,
	.xxfi_connect = milter_connect,
	.xxfi_helo = milter_helo,
	.xxfi_envfrom = milter_envfrom,
	.xxfi_envrcpt = milter_envrcpt,
	.xxfi_header = milter_header,
	.xxfi_eoh = milter_eoh,
	.xxfi_body = milter_body,
	.xxfi_eom = milter_eom,
	.xxfi_abort = milter_abort,
	.xxfi_close = milter_close,
	.xxfi_unknown = milter_unknown,
	.xxfi_data = milter_data,
	.xxfi_negotiate = milter_negotiate,
};

/*
 * Over TCP, a reply made of several packets -- header changes, then the
 * verdict -- would wait for the MTA's acknowledgement of the first
 * (Nagle's algorithm), which the MTA, waiting for the verdict, delays by
 * 40 ms (Linux).  libmilter opens and accepts the sockets itself, but on
 * Linux an accepted socket inherits TCP_NODELAY from the listening one:
 * it is set there, on the one listening TCP socket of the process.
 */
static void
milter_nodelay(void)
{
	socklen_t	 len;
	int		 fd, on = 1, v;

	for (fd = 0; fd < 1024; fd++) {
		len = sizeof(v);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == -1 ||
		    v == 0)
			continue;
		len = sizeof(v);
		if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &len) == -1 ||
		    v != IPPROTO_TCP)
			continue;
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on,
		    sizeof(on)) == -1)
			log_warn("TCP_NODELAY");
	}
}

/*
 * socket_group: the group the unix socket is made with.  As root the
 * socket is made with that effective group (no CAP_CHOWN needed), else
 * it is given the group afterwards, which works for our own groups.
 * Returns the gid, or -1 when there is none to set (or an error, logged).
 */
static gid_t
milter_group(const struct config *c, int *err_r)
{
	struct group	*gr;

	*err_r = 0;
	if (c->socket_group[0] == '\0')
		return (gid_t)-1;
	if ((gr = getgrnam(c->socket_group)) == NULL) {
		log_warnx("%s: socket_group: no group \"%s\"", c->path,
		    c->socket_group);
		*err_r = 1;
		return (gid_t)-1;
	}
	return gr->gr_gid;
}

int
milter_listen(const struct config *c)
{
	const char	*path = NULL;
	mode_t		 old;
	gid_t		 gid, egid = getegid();
	int		 rc, mode, err;

	if (smfi_setconn((char *)(uintptr_t)c->listen) != MI_SUCCESS ||
	    smfi_register(milter_desc) != MI_SUCCESS) {
		log_warnx("%s: cannot use this listen address", c->listen);
		return -1;
	}
	gid = milter_group(c, &err);
	if (err || (mode = config_socket_mode(c)) == -1)
		return -1;
	if (strncmp(c->listen, "unix:", 5) == 0 ||
	    strncmp(c->listen, "local:", 6) == 0)
		path = strchr(c->listen, ':') + 1;
	if (gid != (gid_t)-1 && geteuid() == 0 && setegid(gid) == -1) {
		log_warn("socket_group %s: setegid", c->socket_group);
		return -1;
	}
	/*
	 * The MTA runs as another user: socket_mode says who may connect.
	 * Never remove a socket here (rmsocket 0): main() removed a stale
	 * one, and a live one is another filterd's.
	 */
	old = umask(~(mode_t)mode & 0777);
	rc = smfi_opensocket(0);
	umask(old);
	if (gid != (gid_t)-1 && geteuid() == 0 && setegid(egid) == -1) {
		log_warn("setegid");
		return -1;
	}
	if (rc != MI_SUCCESS) {
		log_warnx("%s: cannot open the listening socket (see the "
		    "system log)", c->listen);
		return -1;
	}
	if (path != NULL && gid != (gid_t)-1 && geteuid() != 0 &&
	    chown(path, (uid_t)-1, gid) == -1) {
		log_warn("socket_group %s: chown %s", c->socket_group, path);
		return -1;
	}
	if (strncmp(c->listen, "inet", 4) == 0)
		milter_nodelay();
	return 0;
}

void
milter_stop(void)
{
	(void)smfi_stop();
}

/*
 * After a stop, the listener is closed: the MTA takes new connections
 * elsewhere or later.  libmilter ends each open connection at its next
 * command; the messages being answered then are given their answers
 * first, each within limits.worker_timeout and the dispatcher's grace
 * (1.5 s; 5 s are allowed),
 * so the wait is bounded by that -- the timeout in force, which a reload
 * may have changed.
 */
static void
milter_drain(void)
{
	struct dgen	*g = dispatch_hold(milter_dispatch);
	struct timespec	 end;
	unsigned	 n;

	clock_gettime(CLOCK_REALTIME, &end);
	end.tv_sec += dgen_config(g)->worker_timeout + 5;
	dispatch_release(milter_dispatch, &g);
	pthread_mutex_lock(&milter_lock);
	if (milter_busy > 0)
		log_info("stopping: answering %u message%s first",
		    milter_busy, milter_busy == 1 ? "" : "s");
	while (milter_busy > 0 &&
	    pthread_cond_timedwait(&milter_idle, &milter_lock, &end) == 0)
		;
	n = milter_busy;
	pthread_mutex_unlock(&milter_lock);
	if (n > 0)
		log_warnx("stopping: %u message%s not answered in time", n,
		    n == 1 ? "" : "s");
}

int
milter_run(const struct config *c, struct dispatch *d)
{
	int	 rc;

	milter_dispatch = d;
	log_info("listening on %s", c->listen);
	rc = smfi_main() == MI_SUCCESS ? 0 : 1;
	milter_drain();
	return rc;
}
