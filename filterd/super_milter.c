/*
 * super_milter: runs in the supervisor, in libmilter's threads.  Everything the
 * MTA sends is untrusted and bounded before it is stored; everything that
 * goes back to the MTA comes from a validated verdict or from the
 * configuration.  Every callback returns a legal SMFIS_* code.
 */
#include <arpa/inet.h>
#include <libmilter/mfapi.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "filterd/lib/config.h"
#include "filterd/super_dispatch.h"
#include "filterd/lib/log.h"
#include "filterd/lib/message.h"
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

/* One MTA connection; it keeps the configuration it started with. */
struct session {
	struct dgen	*g;
	struct message	*m;
	int		 failed;	/* out of memory or over a bound */
};

static struct session *
session_get(SMFICTX *ctx)
{
	return smfi_getpriv(ctx);
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

static sfsistat
milter_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	struct session	*s;
	char		 addr[INET6_ADDRSTRLEN + 1];

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		log_warnx("out of memory for a new connection");
		return SMFIS_TEMPFAIL;
	}
	s->g = dispatch_hold(milter_dispatch);
	if ((s->m = message_new((size_t)dgen_config(s->g)->message_size)) ==
	    NULL) {
		dispatch_release(milter_dispatch, &s->g);
		free(s);
		log_warnx("out of memory for a new connection");
		return SMFIS_TEMPFAIL;
	}
	smfi_setpriv(ctx, s);
	milter_addr(sa, addr, sizeof(addr));
	if (message_set(&s->m->client_addr, addr) == -1 ||
	    message_set(&s->m->client_name, host ? host : "unknown") == -1)
		s->failed = 1;
	return SMFIS_CONTINUE;
}

static sfsistat
milter_helo(SMFICTX *ctx, char *helo)
{
	struct session	*s = session_get(ctx);

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	if (message_set(&s->m->helo, helo) == -1)
		s->failed = 1;
	return SMFIS_CONTINUE;
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

static sfsistat
milter_envfrom(SMFICTX *ctx, char **argv)
{
	struct session	*s = session_get(ctx);
	char		 addr[MSG_STR_MAX + 1];

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	message_reset(s->m);
	s->failed = 0;
	if (strlen(argv[0]) > MSG_STR_MAX) {
		s->failed = 1;
		return SMFIS_CONTINUE;
	}
	milter_unbracket(argv[0], addr, sizeof(addr));
	if (message_set(&s->m->sender, addr) == -1)
		s->failed = 1;
	milter_collect_macros(ctx, s);
	return SMFIS_CONTINUE;
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
		return SMFIS_CONTINUE;
	}
	milter_unbracket(argv[0], addr, sizeof(addr));
	if (message_add_rcpt(s->m, addr) == -1)
		s->failed = 1;
	return SMFIS_CONTINUE;
}

static sfsistat
milter_header(SMFICTX *ctx, char *name, char *value)
{
	struct session	*s = session_get(ctx);

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	if (message_add_header(s->m, name, value) == -1)
		s->failed = 1;
	return SMFIS_CONTINUE;
}

static sfsistat
milter_eoh(SMFICTX *ctx)
{
	struct session	*s = session_get(ctx);

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	milter_collect_macros(ctx, s);
	return SMFIS_CONTINUE;
}

/* Sets the reply for an action; NULL parts take the action's default. */
static void
milter_reply(SMFICTX *ctx, const struct verdict *v)
{
	char		 text[2 * VERDICT_TEXT_MAX + 1];
	const char	*code = v->code, *ecode = v->ecode, *t = v->text;
	size_t		 i, o = 0;

	if (v->action == ACTION_REJECT && code == NULL) {
		code = "550";
		ecode = "5.7.1";
		t = "Message rejected by content filter";
	} else if (v->action == ACTION_TEMPFAIL && code == NULL) {
		code = "451";
		ecode = "4.7.1";
		t = "Message deferred by content filter";
	}
	if (code == NULL)
		return;
	/* libmilter hands the text to a printf-like formatter: double %. */
	for (i = 0; t != NULL && t[i] != '\0' && o + 2 < sizeof(text); i++) {
		if (t[i] == '%')
			text[o++] = '%';
		text[o++] = t[i];
	}
	text[o] = '\0';
	if (smfi_setreply(ctx, (char *)(uintptr_t)code,
	    (char *)(uintptr_t)ecode, t != NULL ? text : NULL) != MI_SUCCESS)
		log_warnx("smfi_setreply %s failed", code);
}

/*
 * A message past what filterd holds -- its size, or the hard bounds on
 * recipients, headers and lengths -- gets limits.oversize, not a worker.
 */
static sfsistat
milter_oversize(SMFICTX *ctx, struct session *s, const char *what)
{
	int		 oversize = dgen_config(s->g)->oversize;
	struct verdict	 v;

	memset(&v, 0, sizeof(v));
	log_info("%s: oversize message from %s (%s): %s",
	    s->m->queue_id ? s->m->queue_id : "NOQUEUE",
	    s->m->client_addr ? s->m->client_addr : "unknown", what,
	    action_name(oversize));
	v.action = (uint8_t)oversize;
	if (v.action == ACTION_REJECT)
		(void)verdict_set_reply(&v, "552", "5.3.4",
		    "Message size exceeds fixed limit");
	else if (v.action == ACTION_TEMPFAIL)
		(void)verdict_set_reply(&v, "452", "4.3.4",
		    "Message size exceeds fixed limit");
	milter_reply(ctx, &v);
	verdict_clear(&v);
	message_reset(s->m);
	switch (oversize) {
	case ACTION_REJECT:
		return SMFIS_REJECT;
	case ACTION_TEMPFAIL:
		return SMFIS_TEMPFAIL;
	default:
		return SMFIS_ACCEPT;
	}
}

static sfsistat
milter_body(SMFICTX *ctx, unsigned char *p, size_t len)
{
	struct session	*s = session_get(ctx);

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	if (message_add_body(s->m, p, len) == -1) {
		if (s->m->oversize)
			return milter_oversize(ctx, s,
			    "over limits.message_size");
		s->failed = 1;
	}
	return SMFIS_CONTINUE;
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
delete_cmp(const void *a, const void *b)
{
	const struct hdrop	*x = *(const struct hdrop *const *)a;
	const struct hdrop	*y = *(const struct hdrop *const *)b;
	int			 c;

	if ((c = strcasecmp(x->name, y->name)) != 0)
		return c;
	return x->index < y->index ? 1 : x->index > y->index ? -1 : 0;
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

/*
 * Applies header operations: changes first, then deletions in reverse
 * index order per name (so that one deletion does not shift the index of
 * the next, CVE-2022-48521), then insertions and additions.
 */
static void
milter_apply_ops(SMFICTX *ctx, const struct verdict *v)
{
	const struct hdrop	*dels[VERDICT_OPS_MAX];
	size_t			 i, n = 0;
	int			 pass;

	for (i = 0; i < v->nops; i++)
		if (v->ops[i].op == HDR_DELETE)
			dels[n++] = &v->ops[i];
	qsort(dels, n, sizeof(dels[0]), delete_cmp);
	for (pass = 0; pass < 3; pass++) {
		for (i = 0; i < (pass == 1 ? n : v->nops); i++) {
			const struct hdrop *h = pass == 1 ? dels[i] :
			    &v->ops[i];

			if ((pass == 0 && h->op != HDR_CHANGE) ||
			    (pass == 2 && h->op != HDR_ADD &&
			    h->op != HDR_INSERT))
				continue;
			if (milter_op(ctx, h) != MI_SUCCESS)
				log_warnx("%s header %s failed",
				    hdr_op_name(h->op), h->name);
		}
	}
}

static sfsistat
milter_apply(SMFICTX *ctx, const struct verdict *v)
{
	milter_apply_ops(ctx, v);
	switch (v->action) {
	case ACTION_REJECT:
		milter_reply(ctx, v);
		return SMFIS_REJECT;
	case ACTION_TEMPFAIL:
		milter_reply(ctx, v);
		return SMFIS_TEMPFAIL;
	case ACTION_DISCARD:
		return SMFIS_DISCARD;
	case ACTION_QUARANTINE:
		if (smfi_quarantine(ctx, v->reason ? (char *)(uintptr_t)
		    v->reason : (char *)(uintptr_t)"filterd") != MI_SUCCESS)
			log_warnx("smfi_quarantine failed");
		return SMFIS_ACCEPT;
	default:
		return SMFIS_ACCEPT;
	}
}

static void
milter_log(const struct session *s, const struct outcome *o)
{
	char	 rules[512];
	size_t	 i, off = 0;

	rules[0] = '\0';
	for (i = 0; i < o->v.nrules && off < sizeof(rules); i++)
		off += (size_t)snprintf(rules + off, sizeof(rules) - off,
		    "%s%s", i ? "," : "", o->v.rules[i]);
	for (i = 0; i < o->v.nlogs; i++)
		log_info("%s: worker %ld: %s", s->m->queue_id ?
		    s->m->queue_id : "NOQUEUE", (long)o->pid, o->v.logs[i]);
	log_info("%s: client=%s from=<%s> rcpts=%zu action=%s rules=%s "
	    "worker=%ld time=%ldms%s%s",
	    s->m->queue_id ? s->m->queue_id : "NOQUEUE",
	    s->m->client_addr ? s->m->client_addr : "unknown",
	    s->m->sender ? s->m->sender : "", s->m->nrcpts,
	    o->v.action == ACTION_NONE ? "accept" : action_name(o->v.action),
	    rules[0] ? rules : "-", (long)o->pid,
	    o->ms, o->fallback ? " failure=" : "",
	    o->fallback ? o->why : "");
}

static sfsistat
milter_eom(SMFICTX *ctx)
{
	struct session	*s = session_get(ctx);
	struct outcome	 o;
	sfsistat	 rc;

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	milter_collect_macros(ctx, s);
	if (s->m->queue_id == NULL && message_macro(s->m, "i") != NULL)
		(void)message_set(&s->m->queue_id, message_macro(s->m, "i"));
	if (s->failed)
		return milter_oversize(ctx, s, "over a bound on recipients, "
		    "headers or lengths");
	dispatch_run(milter_dispatch, s->m, &o);
	milter_log(s, &o);
	rc = milter_apply(ctx, &o.v);
	outcome_clear(&o);
	message_reset(s->m);
	return rc;
}

static sfsistat
milter_abort(SMFICTX *ctx)
{
	struct session	*s = session_get(ctx);

	if (s != NULL) {
		message_reset(s->m);
		s->failed = 0;
	}
	return SMFIS_CONTINUE;
}

static sfsistat
milter_close(SMFICTX *ctx)
{
	struct session	*s = session_get(ctx);

	if (s != NULL) {
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
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE,
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
};

int
milter_listen(const struct config *c)
{
	mode_t	 old;
	int	 rc;

	if (smfi_setconn((char *)(uintptr_t)c->listen) != MI_SUCCESS ||
	    smfi_register(milter_desc) != MI_SUCCESS) {
		log_warnx("%s: cannot use this listen address", c->listen);
		return -1;
	}
	/* The MTA runs as another user: let it connect to the socket. */
	old = umask(0111);
	rc = smfi_opensocket(1);
	umask(old);
	if (rc != MI_SUCCESS) {
		log_warnx("%s: cannot open the listening socket", c->listen);
		return -1;
	}
	return 0;
}

int
milter_run(const struct config *c, struct dispatch *d)
{
	milter_dispatch = d;
	log_info("listening on %s", c->listen);
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
