/*
 * opensmtpd_proto: OpenSMTPD's filter protocol, 0.6 (OpenSMTPD 6.8) and 0.7
 * (7.x).  Runs in the supervisor, single-threaded, in the opensmtpd
 * frontend's event loop.  Trusts nothing it is fed: smtpd's lines carry the
 * SMTP client's bytes.  Trusts the verdicts it is given back to be
 * validated (super_policy.c), and still refuses to write a line break that
 * did not come from folding.
 *
 * What smtpd sends (smtpd-filters(7), and checked against the 6.8 binary):
 *
 *	config|KEY|VALUE ... config|ready
 *	filter|VERSION|TIME|smtp-in|PHASE|SESSION|TOKEN[|PARAMS]
 *	report|VERSION|TIME|smtp-in|EVENT|SESSION[|PARAMS]
 *
 * Only the last field may contain "|", so every line is split into a
 * fixed number of fields, the last one taking the rest.  Answers carry the
 * session and token exactly as received:
 *
 *	filter-result|SESSION|TOKEN|proceed		(or reject|CODE TEXT)
 *	filter-dataline|SESSION|TOKEN|LINE
 *
 * Per session: data lines (dot-stuffed, ending with ".") are held, up to
 * limits.message_size counted with CRLF line ends.  At "." the message
 * goes to a worker; when the verdict is back the lines are emitted with
 * its header operations applied (or only "." when the message will be
 * refused anyway), and the verdict answers the commit phase.  A message
 * that grows past the limit is not filtered: what was held is emitted,
 * the rest passes through as it comes, and commit gets limits.oversize.
 *
 * OpenSMTPD has no discard and kills itself on "junk" at commit (lka:
 * "filter-reponse junk after DATA"), so discard is answered as a reject
 * and quarantine adds "X-Spam: Yes" -- what smtpd's own junk adds -- to
 * the emitted header.  0.6 and 0.7 differ, for what filterd reads, only in
 * link-auth: "user|result" became "result|user".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "filterd/lib/buf.h"
#include "filterd/lib/log.h"
#include "filterd/lib/message.h"
#include "filterd/lib/rfc5322.h"
#include "filterd/super_answer.h"
#include "filterd/opensmtpd_proto.h"
#include "filterd/lib/verdict.h"

#define SP_LINE_MAX	(1024 * 1024)	/* one line from smtpd */
#define SP_OUT_MAX	(SIZE_MAX / 4)	/* see smtpd_proto_output() */
#define SP_ID_MAX	16		/* hex digits of a session or token */
#define SP_BUCKETS	4096
#define SP_JUNK_HEADER	"X-Spam: Yes"
#define SP_STREAM_OVERSIZE 1
#define SP_STREAM_NOMEM	2
/*
 * OpenSMTPD 6.8 copies each line a filter writes into a char[LINE_MAX]
 * (lka_filter.c), so a longer filter-dataline is cut, silently.  7.x
 * does not.  In 0.6 a message that would be cut is refused instead.
 */
#define SP_REPLY_MAX_06	2047

enum sp_state {
	SS_IDLE,	/* no message data yet */
	SS_DATA,	/* collecting data lines */
	SS_RUNNING,	/* a job is out */
	SS_DECIDED,	/* lines emitted, verdict held for commit */
};

/* A view of a field or a line; never NUL-terminated. */
struct sp_str {
	const char	*p;
	size_t		 n;
};

/* The held lines of a message, parsed: where each field stands. */
struct sp_msg {
	struct sp_str		*lines;		/* unstuffed */
	size_t			 nlines;
	struct rfc5322		*rp;		/* NULL: not parsed */
	const struct message	*m;		/* the fields' names */
};

struct session {
	struct session	 *next;		/* hash chain */
	char		  id[SP_ID_MAX + 1];
	char		  tok[SP_ID_MAX + 1];	/* of the data lines */
	enum sp_state	  state;
	struct message	 *m;		/* the transaction being built */
	struct buf	 *raw;		/* data lines, each ended by \n */
	size_t		  size;		/* with CRLF line ends */
	int		  failed;	/* envelope over a bound */
	int		  streaming;	/* SP_STREAM_*: passed through */
	int		  toolong;	/* smtpd 6.8 would cut a line */
	int		  gone;		/* disconnected while running */
	int		  abandoned;	/* smtpd moved on while running */
	struct smtpd_job *job;
	struct sp_msg	  x;		/* SS_RUNNING: the held message */
	struct outcome	  o;		/* SS_DECIDED: commit's answer */
	struct smtpd_limits lim;	/* as when the session began */
};

struct smtpd_proto {
	struct smtpd_limits	 lim;
	char			 qheader[VERDICT_HDR_NAME_MAX + 1];
	struct smtpd_ops	 ops;
	void			*arg;
	struct buf		*in;		/* a partial line */
	struct buf		*out;
	size_t			 out_off;
	int			 ready;		/* after config|ready */
	int			 smtp_in;	/* subsystem offered */
	int			 broken;
	int			 oom;		/* output could not grow */
	char			 version[4];
	struct session		*buckets[SP_BUCKETS];
	size_t			 nsessions;
	size_t			 nrunning;
	size_t			 untracked;	/* lines without a session */
	char			 why[256];
};

/* A header field as emitted: original, generated, or fixed text. */
struct sp_ent {
	size_t			 orig;		/* field index, or SIZE_MAX */
	const struct hdrop	*gen;
	const char		*fixed;
	int			 deleted;
};

static const char *const sp_filters[] = {
	"connect", "helo", "ehlo", "mail-from", "rcpt-to", "data-line",
	"commit",
};
static const char *const sp_reports[] = {
	"link-disconnect", "link-auth", "tx-begin", "tx-mail", "tx-rcpt",
	"tx-reset", "tx-rollback",
};

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* Fields and strings */

/* A buffer's bytes; never NULL, even before the first byte. */
static const char *
sp_bytes(const struct buf *b)
{
	return b != NULL && buf_data(b) != NULL ? (const char *)buf_data(b) :
	    "";
}

static int
str_is(struct sp_str s, const char *lit)
{
	return s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0;
}

/*
 * Splits s at "|" into at most max fields, the last taking the rest.
 * Returns the number of fields.  The fields past the last are set empty:
 * a caller whose count check were off by one would read an empty field
 * (which no id check passes), never what the stack held.
 */
static size_t
sp_split(struct sp_str s, struct sp_str *f, size_t max)
{
	const char	*bar;
	size_t		 n = 0, i;

	while (n + 1 < max && (bar = memchr(s.p, '|', s.n)) != NULL) {
		f[n].p = s.p;
		f[n++].n = (size_t)(bar - s.p);
		s.n -= (size_t)(bar - s.p) + 1;
		s.p = bar + 1;
	}
	f[n++] = s;
	for (i = n; i < max; i++) {
		f[i].p = "";
		f[i].n = 0;
	}
	return n;
}

/* Splits "a|b" at its last "|": for fields whose first part may hold one. */
static int
sp_split_last(struct sp_str s, struct sp_str *a, struct sp_str *b)
{
	size_t	 i;

	for (i = s.n; i > 0; i--)
		if (s.p[i - 1] == '|') {
			a->p = s.p;
			a->n = i - 1;
			b->p = s.p + i;
			b->n = s.n - i;
			return 0;
		}
	return -1;
}

static int
sp_is_id(struct sp_str s)
{
	size_t	 i;

	if (s.n == 0 || s.n > SP_ID_MAX)
		return 0;
	for (i = 0; i < s.n; i++)
		if (strchr("0123456789abcdefABCDEF", s.p[i]) == NULL ||
		    s.p[i] == '\0')
			return 0;
	return 1;
}

/* Copies a field into a new string, or NULL past max or without memory. */
static char *
sp_strdup(struct sp_str s, size_t max)
{
	char	*d;

	if (s.n > max || (d = malloc(s.n + 1)) == NULL)
		return NULL;
	memcpy(d, s.p, s.n);
	d[s.n] = '\0';
	return d;
}

/* Sets a message field from a field; -1 when too long or out of memory. */
static int
sp_set(char **field, struct sp_str s)
{
	char	*d;
	int	 rc;

	if ((d = sp_strdup(s, MSG_STR_MAX)) == NULL)
		return -1;
	rc = message_set(field, d);
	free(d);
	return rc;
}

static int
sp_fail(struct smtpd_proto *p, const char *why, struct sp_str line)
{
	snprintf(p->why, sizeof(p->why), "%s: \"%.*s%s\"", why,
	    (int)(line.n > 120 ? 120 : line.n), line.p,
	    line.n > 120 ? "..." : "");
	p->broken = 1;
	return -1;
}

/* Output */

static void
sp_out(struct smtpd_proto *p, const void *data, size_t n)
{
	if (buf_put(p->out, data, n) == -1)
		p->oom = 1;
}

static void
sp_out_str(struct smtpd_proto *p, const char *s)
{
	sp_out(p, s, strlen(s));
}

static void
sp_result(struct smtpd_proto *p, struct sp_str sid, struct sp_str tok,
    const char *decision)
{
	sp_out_str(p, "filter-result|");
	sp_out(p, sid.p, sid.n);
	sp_out_str(p, "|");
	sp_out(p, tok.p, tok.n);
	sp_out_str(p, "|");
	sp_out_str(p, decision);
	sp_out_str(p, "\n");
}

/* One data line back to smtpd, after pre ("" or a stuffing dot). */
static void
sp_dataline_pre(struct smtpd_proto *p, const struct session *s,
    const char *pre, const char *line, size_t n)
{
	sp_out_str(p, "filter-dataline|");
	sp_out_str(p, s->id);
	sp_out_str(p, "|");
	sp_out_str(p, s->tok);
	sp_out_str(p, "|");
	sp_out_str(p, pre);
	sp_out(p, line, n);
	sp_out_str(p, "\n");
}

/* A line as smtpd sent it: already dot-stuffed. */
static void
sp_dataline(struct smtpd_proto *p, const struct session *s, const char *line,
    size_t n)
{
	sp_dataline_pre(p, s, "", line, n);
}

/* A line we made up: dot-stuffed here. */
static void
sp_dataline_new(struct smtpd_proto *p, const struct session *s,
    const char *line, size_t n)
{
	sp_dataline_pre(p, s, n > 0 && line[0] == '.' ? "." : "", line, n);
}

/* Sessions */

static size_t
sp_hash(struct sp_str id)
{
	uint32_t	 h = 2166136261U;
	size_t		 i;

	for (i = 0; i < id.n; i++)
		h = (h ^ (uint8_t)id.p[i]) * 16777619U;
	return h % SP_BUCKETS;
}

static struct session *
sp_session_find(struct smtpd_proto *p, struct sp_str id)
{
	struct session	*s;

	for (s = p->buckets[sp_hash(id)]; s != NULL; s = s->next)
		if (str_is(id, s->id))
			return s;
	return NULL;
}

/* Returns the session, created on first sight, or NULL when it cannot be. */
static struct session *
sp_session(struct smtpd_proto *p, struct sp_str id)
{
	struct session	*s;
	size_t		 h;

	if ((s = sp_session_find(p, id)) != NULL)
		return s;
	if (p->nsessions >= SMTPD_PROTO_SESSIONS_MAX ||
	    (s = calloc(1, sizeof(*s))) == NULL) {
		/* One line per thousand, not one per line of data. */
		if (p->untracked++ % 1000 == 0)
			log_warnx("opensmtpd: cannot track session %.*s "
			    "(%zu open): answered without filtering",
			    (int)id.n, id.p, p->nsessions);
		return NULL;
	}
	memcpy(s->id, id.p, id.n);
	s->lim = p->lim;
	h = sp_hash(id);
	s->next = p->buckets[h];
	p->buckets[h] = s;
	p->nsessions++;
	return s;
}

/* The session's transaction, created when first needed; NULL: no memory. */
static struct message *
sp_tx(struct smtpd_proto *p, struct session *s)
{
	if (s->m == NULL && (s->m = message_new(s->lim.message_size)) == NULL)
		s->failed = 1;
	return s->m;
}

static void
sp_data_clear(struct session *s)
{
	buf_free(&s->raw);
	s->size = 0;
	s->streaming = 0;
	s->toolong = 0;
}

/* Whether smtpd takes a filter-dataline of n bytes whole. */
static int
sp_fits(const struct smtpd_proto *p, const struct session *s, size_t n)
{
	return strcmp(p->version, "0.6") != 0 || n <= SP_REPLY_MAX_06 -
	    strlen("filter-dataline|||") - strlen(s->id) - strlen(s->tok);
}

static void
sp_msg_clear(struct sp_msg *x)
{
	free(x->lines);
	rfc5322_free(&x->rp);
	memset(x, 0, sizeof(*x));
}

static void
sp_job_free(struct smtpd_job **jp)
{
	struct smtpd_job	*j = *jp;

	if (j == NULL)
		return;
	message_free(&j->m);
	verdict_clear(&j->o.v);
	free(j);
	*jp = NULL;
}

static void
sp_session_free(struct smtpd_proto *p, struct session *s)
{
	struct session	**sp;

	for (sp = &p->buckets[sp_hash((struct sp_str){ s->id,
	    strlen(s->id) })]; *sp != NULL; sp = &(*sp)->next)
		if (*sp == s) {
			*sp = s->next;
			break;
		}
	p->nsessions--;
	sp_data_clear(s);
	sp_msg_clear(&s->x);
	message_free(&s->m);
	outcome_clear(&s->o);
	sp_job_free(&s->job);
	free(s);
}

/* A new transaction: the envelope is forgotten, the connection kept. */
static void
sp_tx_reset(struct session *s)
{
	if (s->state == SS_DECIDED) {
		outcome_clear(&s->o);
		sp_data_clear(s);
		s->state = SS_IDLE;
	}
	if (s->m != NULL)
		message_reset(s->m);
	s->failed = 0;
}

/* Message parsing, for the worker and for emission */

static struct sp_str
sp_unstuff(struct sp_str l)
{
	if (l.n > 0 && l.p[0] == '.') {
		l.p++;
		l.n--;
	}
	return l;
}

/* Points x->lines at the held lines (each ended by \n), unstuffed. */
static int
sp_msg_lines(struct sp_msg *x, const struct buf *raw)
{
	const char	*p = sp_bytes(raw);
	const char	*nl;
	size_t		 len = raw != NULL ? buf_len(raw) : 0, i, n = 0;

	for (i = 0; i < len; i++)
		n += p[i] == '\n';
	if (n > 0 && (x->lines = calloc(n, sizeof(*x->lines))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		nl = memchr(p, '\n', len);
		x->lines[i].p = p;
		x->lines[i].n = (size_t)(nl - p);
		x->lines[i] = sp_unstuff(x->lines[i]);
		len -= (size_t)(nl - p) + 1;
		p = nl + 1;
	}
	x->nlines = n;
	return 0;
}

/*
 * Parses the held lines into m's header and body with the one message
 * parser (rfc5322.c), and keeps where each field stands, for emission.
 * Returns 0, or -1 over a bound (m->over says which) or without memory.
 */
static int
sp_msg_parse(struct sp_msg *x, const struct buf *raw, struct message *m)
{
	size_t	 i;

	memset(x, 0, sizeof(*x));
	if (sp_msg_lines(x, raw) == -1 || (x->rp = rfc5322_new(m)) == NULL)
		return -1;
	x->m = m;
	for (i = 0; i < x->nlines; i++)
		if (rfc5322_line(x->rp, x->lines[i].p, x->lines[i].n) == -1)
			return -1;
	return rfc5322_end(x->rp);
}

/* The entry that is the mbox "From " line as it came, or n. */
static size_t
sp_ent_mbox(const struct sp_msg *x, const struct sp_ent *e, size_t n)
{
	size_t	 i, mbox = rfc5322_mbox(x->rp);

	for (i = 0; mbox != SIZE_MAX && i < n; i++)
		if (e[i].orig == mbox)
			return i;
	return n;
}

/* Header operations on the emitted lines */

static int
sp_ent_is(const struct sp_msg *x, const struct sp_ent *e, const char *name)
{
	if (e->orig != SIZE_MAX)
		return strcasecmp(x->m->hdrs[e->orig].name, name) == 0;
	if (e->gen != NULL)
		return strcasecmp(e->gen->name, name) == 0;
	return 0;
}

/* The index-th (1-based) field named name, deleted ones skipped, or n. */
static size_t
sp_ent_find(const struct sp_msg *x, const struct sp_ent *e, size_t n,
    const char *name, uint32_t index)
{
	size_t		 i;
	uint32_t	 seen = 0;

	for (i = 0; i < n; i++)
		if (!e[i].deleted && sp_ent_is(x, &e[i], name) &&
		    ++seen == index)
			return i;
	return n;
}

static void
sp_ent_insert(struct sp_ent *e, size_t *n, size_t at, struct sp_ent x)
{
	memmove(&e[at + 1], &e[at], (*n - at) * sizeof(*e));
	e[at] = x;
	(*n)++;
}

/*
 * Where an insertion at index (0: first) goes, deleted fields skipped;
 * never in front of the mbox line: it stays where the message had it.
 */
static size_t
sp_ent_slot(const struct sp_msg *x, const struct sp_ent *e, size_t n,
    uint32_t index)
{
	size_t		 i, mbox = sp_ent_mbox(x, e, n);
	uint32_t	 seen = 0;

	for (i = 0; i < n; i++)
		if (!e[i].deleted && seen++ == index)
			break;
	return mbox < n && i <= mbox ? mbox + 1 : i;
}

/*
 * Applies the answer's operations one by one, in its order, with the
 * meaning an MTA gives them (super_answer.c ordered them).  A change of a
 * field that is not there adds it, as Sendmail and Postfix do.
 */
static void
sp_ent_apply(const struct sp_msg *x, struct sp_ent *e, size_t *n,
    const struct answer *a)
{
	const struct hdrop	*h;
	struct sp_ent		 gen = { SIZE_MAX, NULL, NULL, 0 };
	size_t			 i, at;

	for (i = 0; i < a->nops; i++) {
		h = gen.gen = a->ops[i];
		at = h->op == HDR_CHANGE || h->op == HDR_DELETE ?
		    sp_ent_find(x, e, *n, h->name, h->index) : *n;
		if (h->op == HDR_CHANGE && at < *n)
			e[at] = gen;
		else if (h->op == HDR_DELETE && at < *n)
			e[at].deleted = 1;
		else if (h->op == HDR_INSERT)
			sp_ent_insert(e, n, sp_ent_slot(x, e, *n, h->index),
			    gen);
		else if (h->op == HDR_ADD || h->op == HDR_CHANGE)
			sp_ent_insert(e, n, *n, gen);
	}
}

/* Whether a generated value is folded only as CRLF + WSP. */
static int
sp_value_ok(const char *v)
{
	size_t	 i;

	for (i = 0; v[i] != '\0'; i++)
		if ((v[i] == '\r' && (v[i + 1] != '\n' ||
		    (v[i + 2] != ' ' && v[i + 2] != '\t'))) ||
		    (v[i] == '\n' && (i == 0 || v[i - 1] != '\r')))
			return 0;
	return 1;
}

/* The longest line of a generated field, a dot for stuffing included. */
static size_t
sp_longest(size_t n, const char *crlf)
{
	const char	*next;
	size_t		 max = n + 1, len;

	for (; crlf != NULL; crlf = next) {
		next = strstr(crlf + 2, "\r\n");
		len = next != NULL ? (size_t)(next - crlf - 2) :
		    strlen(crlf + 2);
		if (len + 1 > max)
			max = len + 1;
	}
	return max;
}

/* "Name: value", one data line per folded line. */
static void
sp_emit_gen(struct smtpd_proto *p, const struct session *s,
    const struct hdrop *h)
{
	struct buf	*b;
	const char	*v = h->value != NULL ? h->value : "", *crlf;

	if (strpbrk(h->name, "\r\n") != NULL || !sp_value_ok(v)) {
		log_warnx("opensmtpd: header %s with a bare line break: "
		    "not emitted", h->name);
		return;
	}
	if ((b = buf_new(VERDICT_HDR_NAME_MAX + VERDICT_HDR_VALUE_MAX + 4)) ==
	    NULL) {
		p->oom = 1;
		return;
	}
	crlf = strstr(v, "\r\n");
	if (buf_printf(b, "%s: %.*s", h->name, (int)(crlf != NULL ?
	    (size_t)(crlf - v) : strlen(v)), v) == -1)
		p->oom = 1;
	if (!sp_fits(p, s, sp_longest(buf_len(b), crlf))) {
		log_warnx("opensmtpd: header %s has a line too long for "
		    "OpenSMTPD 6.8: not emitted", h->name);
		buf_free(&b);
		return;
	}
	sp_dataline_new(p, s, sp_bytes(b), buf_len(b));
	while (crlf != NULL) {
		v = crlf + 2;
		crlf = strstr(v, "\r\n");
		sp_dataline_new(p, s, v, crlf != NULL ? (size_t)(crlf - v) :
		    strlen(v));
	}
	buf_free(&b);
}

/* Held lines from .. to, stuffed again exactly as smtpd stuffed them. */
static void
sp_emit_lines(struct smtpd_proto *p, const struct session *s,
    const struct sp_msg *x, size_t from, size_t to)
{
	for (; from < to; from++)
		sp_dataline_new(p, s, x->lines[from].p, x->lines[from].n);
}

/* The header as the entries say, then the body as it came. */
static void
sp_emit_ents(struct smtpd_proto *p, const struct session *s,
    const struct sp_msg *x, const struct sp_ent *e, size_t n)
{
	const struct rfc5322_field	*f;
	size_t				 i, nf;

	f = rfc5322_fields(x->rp, &nf);
	for (i = 0; i < n; i++) {
		if (e[i].deleted)
			continue;
		if (e[i].orig != SIZE_MAX)
			sp_emit_lines(p, s, x, f[e[i].orig].first,
			    f[e[i].orig].first + f[e[i].orig].nlines);
		else if (e[i].gen != NULL)
			sp_emit_gen(p, s, e[i].gen);
		else
			sp_dataline_new(p, s, e[i].fixed, strlen(e[i].fixed));
	}
	sp_emit_lines(p, s, x, rfc5322_body_line(x->rp), x->nlines);
}

/*
 * The held lines as they came, without allocating; quarantine's header
 * first, or second after a leading mbox line.
 */
static void
sp_emit_raw(struct smtpd_proto *p, const struct session *s, int junk)
{
	const char	*q = sp_bytes(s->raw), *nl;
	size_t		 len = s->raw != NULL ? buf_len(s->raw) : 0, i = 0;

	if (junk && (len < 5 || memcmp(q, "From ", 5) != 0)) {
		sp_dataline_new(p, s, SP_JUNK_HEADER, strlen(SP_JUNK_HEADER));
		junk = 0;
	}
	for (; (nl = memchr(q, '\n', len)) != NULL; i++) {
		sp_dataline(p, s, q, (size_t)(nl - q));
		len -= (size_t)(nl - q) + 1;
		q = nl + 1;
		if (i == 0 && junk)
			sp_dataline_new(p, s, SP_JUNK_HEADER,
			    strlen(SP_JUNK_HEADER));
	}
}

/*
 * The held message as the answer makes it, then "."; frees the lines.  A
 * message smtpd will refuse gets only ".": what it would store is moot.
 */
static void
sp_emit_message(struct smtpd_proto *p, struct session *s,
    const struct answer *a)
{
	struct sp_msg	*x = &s->x;
	struct sp_ent	*e = NULL;
	size_t		 i, n = 0, nf = 0;

	/* Only a message parsed whole has fields to rewrite. */
	if (x->rp != NULL)
		(void)rfc5322_fields(x->rp, &nf);
	if (a->action == ACTION_REJECT || a->action == ACTION_TEMPFAIL ||
	    a->action == ACTION_DISCARD)
		;
	else if (x->rp == NULL || nf != x->m->nhdrs ||
	    (e = calloc(nf + a->nops + 1, sizeof(*e))) == NULL) {
		if (x->rp != NULL)
			log_warnx("opensmtpd: message passed on without its "
			    "header operations");
		sp_emit_raw(p, s, a->action == ACTION_QUARANTINE);
	} else {
		for (i = 0; i < nf; i++) {
			e[n].orig = i;
			e[n++].gen = NULL;
		}
		sp_ent_apply(x, e, &n, a);
		if (a->action == ACTION_QUARANTINE)
			sp_ent_insert(e, &n, sp_ent_slot(x, e, n, 0),
			    (struct sp_ent){ SIZE_MAX, NULL, SP_JUNK_HEADER,
			    0 });
		sp_emit_ents(p, s, x, e, n);
	}
	sp_dataline(p, s, ".", 1);
	free(e);
	sp_msg_clear(x);
	sp_data_clear(s);
}

/* Decisions */

static void
sp_fallback(struct smtpd_proto *p, struct outcome *o, const char *why)
{
	memset(o, 0, sizeof(*o));
	o->kind = OUTCOME_FALLBACK;
	snprintf(o->why, sizeof(o->why), "%s", why);
	p->ops.fallback(p->arg, &o->v);
}

/* Takes over o's verdict: commit gets its answer. */
static void
sp_decided(struct session *s, struct outcome *o)
{
	outcome_clear(&s->o);
	s->o = *o;
	memset(&o->v, 0, sizeof(o->v));
	s->state = SS_DECIDED;
}

/* Decides without a worker: over a bound, malformed, out of memory. */
static void
sp_decide_here(struct smtpd_proto *p, struct session *s, struct outcome *o)
{
	static const struct message	 none;
	struct answer			 a;

	answer_message(&a, s->m != NULL ? s->m : &none, o, p->qheader,
	    ANSWER_NO_DISCARD);
	answer_log(s->m != NULL ? s->m : &none, o, &a);
	/* No verdict rewrites it: what is held goes back as it came. */
	sp_msg_clear(&s->x);
	if (s->streaming)
		sp_dataline(p, s, ".", 1);
	else
		sp_emit_message(p, s, &a);
	sp_decided(s, o);
	sp_data_clear(s);
	if (s->m != NULL)
		message_reset(s->m);
}

/*
 * Past the limit (or out of memory): the held lines go out now and the
 * rest as it comes; quarantine still gets its header, which comes first.
 */
static void
sp_overflow(struct smtpd_proto *p, struct session *s, int why)
{
	if (why == SP_STREAM_NOMEM)
		log_warnx("%s: out of memory for the message: passed "
		    "through unfiltered", s->m != NULL && s->m->queue_id ?
		    s->m->queue_id : "NOQUEUE");
	sp_emit_raw(p, s, why == SP_STREAM_OVERSIZE &&
	    s->lim.oversize == ACTION_QUARANTINE);
	buf_free(&s->raw);
	s->streaming = why;
}

/* A new message for the session's next transaction, with its connection. */
static struct message *
sp_msg_next(const struct session *s, const struct message *old)
{
	struct message	*m;
	size_t		 i;

	if ((m = message_new(s->lim.message_size)) == NULL)
		return NULL;
	if ((old->client_addr != NULL &&
	    message_set(&m->client_addr, old->client_addr) == -1) ||
	    (old->client_name != NULL &&
	    message_set(&m->client_name, old->client_name) == -1) ||
	    (old->helo != NULL && message_set(&m->helo, old->helo) == -1))
		goto fail;
	for (i = 0; i < old->nmacros; i++)
		if (message_add_macro(m, old->macros[i].name,
		    old->macros[i].value) == -1)
			goto fail;
	return m;
fail:
	message_free(&m);
	return NULL;
}

/* Whether the message must be decided here; fills o then. */
static int
sp_decide_early(struct smtpd_proto *p, struct session *s, struct outcome *o)
{
	if (s->toolong)
		answer_line_too_long("a line longer than OpenSMTPD 6.8 passes "
		    "back from a filter", o);
	else if (s->streaming == SP_STREAM_OVERSIZE)
		answer_oversize(s->lim.oversize, "over limits.message_size",
		    o);
	else if (s->streaming)
		sp_fallback(p, o, "out of memory for the message");
	else if (s->failed || sp_tx(p, s) == NULL)
		answer_oversize(s->lim.oversize, "over a bound on the "
		    "envelope, or out of memory", o);
	else if (sp_msg_parse(&s->x, s->raw, s->m) == -1) {
		if (s->m->over != NULL)
			answer_oversize(s->lim.oversize, s->m->over, o);
		else
			sp_fallback(p, o, "out of memory for the message");
	} else
		return answer_decide(s->m, s->lim.oversize,
		    s->lim.malformed, o);
	return 1;
}

/* The final ".": decide here, or hand the message to a worker. */
static void
sp_data_end(struct smtpd_proto *p, struct session *s)
{
	struct smtpd_job	*j;
	struct outcome		 o;

	if (sp_decide_early(p, s, &o)) {
		sp_decide_here(p, s, &o);
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		sp_fallback(p, &o, "out of memory for the message");
		sp_decide_here(p, s, &o);
		return;
	}
	j->m = s->m;
	j->session = s;
	s->m = sp_msg_next(s, j->m);
	s->job = j;
	s->state = SS_RUNNING;
	p->nrunning++;
	p->ops.submit(p->arg, j);
}

/* Filter requests */

static void
sp_connect(struct smtpd_proto *p, struct session *s, struct sp_str params)
{
	struct sp_str	 rdns, src;
	struct message	*m;

	if ((m = sp_tx(p, s)) == NULL ||
	    sp_split_last(params, &rdns, &src) == -1)
		return;
	if (src.n >= 2 && src.p[0] == '[' && src.p[src.n - 1] == ']') {
		src.p++;
		src.n -= 2;
	}
	(void)sp_set(&m->client_addr, src);
	if (rdns.n > 0)
		(void)sp_set(&m->client_name, rdns);
	else
		(void)message_set(&m->client_name, "unknown");
}

static int
sp_data_line(struct smtpd_proto *p, struct session *s, struct sp_str tok,
    struct sp_str line, struct sp_str raw)
{
	if (s->state == SS_RUNNING || s->state == SS_DECIDED)
		return sp_fail(p, "data-line while the message is being "
		    "decided", raw);
	if (s->state == SS_IDLE) {
		sp_data_clear(s);
		s->state = SS_DATA;
	}
	memcpy(s->tok, tok.p, tok.n);
	s->tok[tok.n] = '\0';
	if (!sp_fits(p, s, line.n))
		s->toolong = 1;
	if (str_is(line, ".")) {
		sp_data_end(p, s);
		return 0;
	}
	if (s->streaming) {
		sp_dataline(p, s, line.p, line.n);
		return 0;
	}
	if (line.n + 2 > s->lim.message_size - s->size) {
		sp_overflow(p, s, SP_STREAM_OVERSIZE);
		sp_dataline(p, s, line.p, line.n);
		return 0;
	}
	if (s->raw == NULL)
		s->raw = buf_new(s->lim.message_size);
	/* A line cut short by ENOMEM has no \n: it is not held, but sent. */
	if (s->raw == NULL || buf_put(s->raw, line.p, line.n) == -1 ||
	    buf_put(s->raw, "\n", 1) == -1) {
		sp_overflow(p, s, SP_STREAM_NOMEM);
		sp_dataline(p, s, line.p, line.n);
		return 0;
	}
	s->size += line.n + 2;
	return 0;
}

/* commit's answer: proceed, or reject with the answer's reply. */
static void
sp_reply(struct smtpd_proto *p, struct sp_str sid, struct sp_str tok,
    const struct outcome *o)
{
	struct answer	 a;
	char		 r[VERDICT_TEXT_MAX + 64];
	const char	*code, *ecode, *text;

	answer_make(&a, o, ANSWER_NO_DISCARD);
	if (a.action != ACTION_REJECT && a.action != ACTION_TEMPFAIL) {
		sp_result(p, sid, tok, "proceed");
		return;
	}
	code = a.code;
	ecode = a.ecode;
	text = a.text;
	/* Validated already; a line break here would forge a line. */
	if (code == NULL || strpbrk(code, "\r\n|") != NULL ||
	    (ecode != NULL && strpbrk(ecode, "\r\n|") != NULL) ||
	    (text != NULL && strpbrk(text, "\r\n") != NULL)) {
		code = a.action == ACTION_TEMPFAIL ? "451" : "550";
		ecode = NULL;
		text = NULL;
	}
	snprintf(r, sizeof(r), "reject|%s%s%s%s%s", code, ecode ? " " : "",
	    ecode ? ecode : "", text ? " " : "", text ? text : "");
	sp_result(p, sid, tok, r);
}

static int
sp_commit(struct smtpd_proto *p, struct session *s, struct sp_str sid,
    struct sp_str tok, struct sp_str raw)
{
	struct outcome	 o;

	if (s != NULL && (s->state == SS_DATA || s->state == SS_RUNNING))
		return sp_fail(p, "commit before the data lines were "
		    "answered", raw);
	if (s == NULL || s->state == SS_IDLE) {
		/* Nothing was filtered: never let it through unchecked. */
		log_warnx("opensmtpd: session %.*s: commit without a "
		    "message: on_failure", (int)sid.n, sid.p);
		sp_fallback(p, &o, "commit without a message");
		sp_reply(p, sid, tok, &o);
		outcome_clear(&o);
		return 0;
	}
	sp_reply(p, sid, tok, &s->o);
	outcome_clear(&s->o);
	s->state = SS_IDLE;
	return 0;
}

/* A phase other than data-line and commit: smtpd is past any data. */
static void
sp_other_phase(struct smtpd_proto *p, struct session *s, struct sp_str phase,
    struct sp_str params)
{
	struct message	*m;

	if (s->state == SS_DATA || s->state == SS_DECIDED) {
		if (s->state == SS_DATA)
			log_warnx("opensmtpd: session %s: data ended without "
			    "\".\"", s->id);
		outcome_clear(&s->o);
		sp_data_clear(s);
		s->state = SS_IDLE;
	} else if (s->state == SS_RUNNING)
		s->abandoned = 1;
	if (str_is(phase, "connect"))
		sp_connect(p, s, params);
	else if ((str_is(phase, "helo") || str_is(phase, "ehlo")) &&
	    (m = sp_tx(p, s)) != NULL)
		(void)sp_set(&m->helo, params);
}

/* The lines filterd answers when it cannot keep a session's state. */
static void
sp_stateless(struct smtpd_proto *p, struct sp_str sid, struct sp_str tok,
    struct sp_str phase, struct sp_str line)
{
	struct session	 s;

	memset(&s, 0, sizeof(s));
	if (str_is(phase, "data-line")) {
		memcpy(s.id, sid.p, sid.n);
		memcpy(s.tok, tok.p, tok.n);
		sp_dataline(p, &s, line.p, line.n);
	} else if (str_is(phase, "connect"))
		sp_result(p, sid, tok, "disconnect|421 4.3.2 Too many "
		    "sessions, try again later");
	else if (str_is(phase, "commit"))
		sp_result(p, sid, tok, "reject|451 4.3.0 Content filter "
		    "failure, try again later");
	else
		sp_result(p, sid, tok, "proceed");
}

static int
sp_version(struct smtpd_proto *p, struct sp_str v, struct sp_str raw)
{
	if (!str_is(v, "0.6") && !str_is(v, "0.7"))
		return sp_fail(p, "unsupported filter protocol version "
		    "(filterd speaks 0.6 and 0.7)", raw);
	if (p->version[0] == '\0') {
		memcpy(p->version, v.p, v.n);
		log_info("opensmtpd: filter protocol %s", p->version);
	} else if (!str_is(v, p->version))
		return sp_fail(p, "filter protocol version changed", raw);
	return 0;
}

static int
sp_filter(struct smtpd_proto *p, struct sp_str raw)
{
	struct sp_str	 f[8];
	struct session	*s;
	size_t		 n;

	n = sp_split(raw, f, NITEMS(f));
	if (n < 7 || !sp_is_id(f[5]) || !sp_is_id(f[6]))
		return sp_fail(p, "malformed filter request", raw);
	if (sp_version(p, f[1], raw) == -1)
		return -1;
	if (!str_is(f[3], "smtp-in"))
		return sp_fail(p, "filter request outside smtp-in", raw);
	if (str_is(f[4], "data-line") && n < 8)
		return sp_fail(p, "data-line without a line", raw);
	if (n < 8) {
		f[7].p = "";
		f[7].n = 0;
	}
	if ((s = sp_session(p, f[5])) == NULL) {
		sp_stateless(p, f[5], f[6], f[4], f[7]);
		return 0;
	}
	if (str_is(f[4], "data-line"))
		return sp_data_line(p, s, f[6], f[7], raw);
	if (str_is(f[4], "commit"))
		return sp_commit(p, s, f[5], f[6], raw);
	sp_other_phase(p, s, f[4], f[7]);
	sp_result(p, f[5], f[6], "proceed");
	return 0;
}

/* Reports */

/* link-auth: 0.6 says "user|result", 0.7 "result|user". */
static void
sp_auth(struct smtpd_proto *p, struct session *s, struct sp_str params)
{
	struct sp_str	 user, result, f[2];
	struct message	*m;
	char		*u;

	if (strcmp(p->version, "0.6") == 0) {
		if (sp_split_last(params, &user, &result) == -1)
			return;
	} else {
		if (sp_split(params, f, 2) != 2)
			return;
		result = f[0];
		user = f[1];
	}
	if (!str_is(result, "pass") || (m = sp_tx(p, s)) == NULL ||
	    (u = sp_strdup(user, MSG_STR_MAX)) == NULL)
		return;
	(void)message_add_macro(m, "{auth_authen}", u);
	free(u);
}

/* tx-mail and tx-rcpt: "msgid|result|address" in both versions. */
static void
sp_envelope(struct smtpd_proto *p, struct session *s, struct sp_str params,
    int rcpt)
{
	struct sp_str	 f[3];
	struct message	*m;
	char		*a;

	if (sp_split(params, f, 3) != 3 || !str_is(f[1], "ok") ||
	    (m = sp_tx(p, s)) == NULL)
		return;
	if (f[2].n >= 2 && f[2].p[0] == '<' && f[2].p[f[2].n - 1] == '>') {
		f[2].p++;
		f[2].n -= 2;
	}
	if ((a = sp_strdup(f[2], MSG_STR_MAX)) == NULL ||
	    (rcpt ? message_add_rcpt(m, a) : message_set(&m->sender, a)) == -1)
		s->failed = 1;
	free(a);
	if (!rcpt && m->queue_id == NULL)
		(void)sp_set(&m->queue_id, f[0]);
}

static void
sp_event(struct smtpd_proto *p, struct session *s, struct sp_str ev,
    struct sp_str params)
{
	struct message	*m;

	if (s->state == SS_DATA)
		return;		/* smtpd reports the data phase late */
	if (str_is(ev, "tx-begin")) {
		sp_tx_reset(s);
		if ((m = sp_tx(p, s)) != NULL)
			(void)sp_set(&m->queue_id, params);
	} else if (str_is(ev, "tx-reset") || str_is(ev, "tx-rollback"))
		sp_tx_reset(s);
	else if (str_is(ev, "tx-mail"))
		sp_envelope(p, s, params, 0);
	else if (str_is(ev, "tx-rcpt"))
		sp_envelope(p, s, params, 1);
	else if (str_is(ev, "link-auth"))
		sp_auth(p, s, params);
}

static int
sp_report(struct smtpd_proto *p, struct sp_str raw)
{
	struct sp_str	 f[7];
	struct session	*s;
	size_t		 n;

	n = sp_split(raw, f, NITEMS(f));
	if (n < 6 || !sp_is_id(f[5]))
		return sp_fail(p, "malformed report", raw);
	if (sp_version(p, f[1], raw) == -1)
		return -1;
	if (!str_is(f[3], "smtp-in"))
		return 0;
	if (str_is(f[4], "link-disconnect")) {
		if ((s = sp_session_find(p, f[5])) == NULL)
			return 0;
		if (s->state == SS_RUNNING)
			s->gone = 1;
		else
			sp_session_free(p, s);
		return 0;
	}
	if (n < 7) {
		f[6].p = "";
		f[6].n = 0;
	}
	if ((s = sp_session(p, f[5])) != NULL)
		sp_event(p, s, f[4], f[6]);
	return 0;
}

/* The handshake */

static void
sp_register(struct smtpd_proto *p)
{
	size_t	 i;

	if (!p->smtp_in)
		log_warnx("opensmtpd: smtpd offers no smtp-in subsystem: "
		    "nothing to filter (use \"listen on ... filter\")");
	for (i = 0; p->smtp_in && i < NITEMS(sp_filters); i++) {
		sp_out_str(p, "register|filter|smtp-in|");
		sp_out_str(p, sp_filters[i]);
		sp_out_str(p, "\n");
	}
	for (i = 0; p->smtp_in && i < NITEMS(sp_reports); i++) {
		sp_out_str(p, "register|report|smtp-in|");
		sp_out_str(p, sp_reports[i]);
		sp_out_str(p, "\n");
	}
	sp_out_str(p, "register|ready\n");
}

/* smtpd drops a session that waits longer than this for the filter. */
static void
sp_session_timeout(const struct smtpd_proto *p, struct sp_str v)
{
	long	 t = 0;
	size_t	 i;

	for (i = 0; i < v.n && i < 9 && v.p[i] >= '0' && v.p[i] <= '9'; i++)
		t = t * 10 + (v.p[i] - '0');
	if (i == v.n && t > 0 && p->lim.worker_timeout >= t)
		log_warnx("opensmtpd: limits.worker_timeout (%ds) is not "
		    "below smtpd's session timeout (%lds)",
		    p->lim.worker_timeout, t);
}

static int
sp_config(struct smtpd_proto *p, struct sp_str raw)
{
	struct sp_str	 f[3];
	size_t		 n;

	n = sp_split(raw, f, NITEMS(f));
	if (n == 2 && str_is(f[1], "ready")) {
		p->ready = 1;
		sp_register(p);
		return 0;
	}
	if (n != 3)
		return sp_fail(p, "malformed config line", raw);
	if (str_is(f[1], "protocol"))
		return sp_version(p, f[2], raw);
	if (str_is(f[1], "subsystem") && str_is(f[2], "smtp-in"))
		p->smtp_in = 1;
	else if (str_is(f[1], "smtpd-version"))
		log_info("opensmtpd: smtpd version %.*s", (int)f[2].n,
		    f[2].p);
	else if (str_is(f[1], "smtp-session-timeout"))
		sp_session_timeout(p, f[2]);
	return 0;
}

static int
sp_line(struct smtpd_proto *p, struct sp_str line)
{
	struct sp_str	 kind;
	const char	*bar;

	/*
	 * A NUL byte is data in a data line (passed back, and a reason for
	 * the fallback in a header); anywhere else it fails a field check.
	 */
	bar = memchr(line.p, '|', line.n);
	kind.p = line.p;
	kind.n = bar != NULL ? (size_t)(bar - line.p) : line.n;
	if (!p->ready) {
		if (!str_is(kind, "config"))
			return sp_fail(p, "expected config lines until "
			    "config|ready", line);
		return sp_config(p, line);
	}
	if (str_is(kind, "filter"))
		return sp_filter(p, line);
	if (str_is(kind, "report"))
		return sp_report(p, line);
	return sp_fail(p, "unexpected line", line);
}

/* The interface */

struct smtpd_proto *
smtpd_proto_new(const struct smtpd_limits *lim, const struct smtpd_ops *ops,
    void *arg)
{
	struct smtpd_proto	*p;

	if (lim->message_size == 0 || (p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->lim = *lim;
	p->ops = *ops;
	p->arg = arg;
	if ((p->in = buf_new(SP_LINE_MAX)) == NULL ||
	    (p->out = buf_new(SP_OUT_MAX)) == NULL) {
		smtpd_proto_free(&p);
		return NULL;
	}
	return p;
}

void
smtpd_proto_set_limits(struct smtpd_proto *p, const struct smtpd_limits *lim)
{
	if (lim->message_size > 0)
		p->lim = *lim;
}

void
smtpd_proto_set_qheader(struct smtpd_proto *p, const char *name)
{
	snprintf(p->qheader, sizeof(p->qheader), "%s", name);
}

void
smtpd_proto_free(struct smtpd_proto **pp)
{
	struct smtpd_proto	*p = *pp;
	size_t			 i;

	if (p == NULL)
		return;
	for (i = 0; i < SP_BUCKETS; i++)
		while (p->buckets[i] != NULL)
			sp_session_free(p, p->buckets[i]);
	buf_free(&p->in);
	buf_free(&p->out);
	free(p);
	*pp = NULL;
}

static int
sp_oom(struct smtpd_proto *p, const char **why_r)
{
	if (!p->oom)
		return 0;
	snprintf(p->why, sizeof(p->why), "out of memory for the output");
	p->broken = 1;
	*why_r = p->why;
	return -1;
}

static int
sp_feed_line(struct smtpd_proto *p, const char *s, size_t n,
    const char **why_r)
{
	struct sp_str	 line = { s, n };

	if (sp_line(p, line) == -1) {
		*why_r = p->why;
		return -1;
	}
	return sp_oom(p, why_r);
}

int
smtpd_proto_feed(struct smtpd_proto *p, const void *data, size_t len,
    const char **why_r)
{
	const char	*s = data, *nl;
	size_t		 n;

	if (p->broken) {
		*why_r = p->why;
		return -1;
	}
	while (len > 0) {
		nl = memchr(s, '\n', len);
		n = nl != NULL ? (size_t)(nl - s) : len;
		if (buf_put(p->in, s, n) == -1) {
			snprintf(p->why, sizeof(p->why), "line longer than "
			    "%d bytes", SP_LINE_MAX);
			p->broken = 1;
			*why_r = p->why;
			return -1;
		}
		if (nl == NULL)
			break;
		if (sp_feed_line(p, sp_bytes(p->in), buf_len(p->in),
		    why_r) == -1)
			return -1;
		buf_reset(p->in);
		s += n + 1;
		len -= n + 1;
	}
	return 0;
}

int
smtpd_proto_done(struct smtpd_proto *p, struct smtpd_job *j,
    const char **why_r)
{
	struct session	*s = j->session;
	struct answer	 a;

	FD_ASSERT(s != NULL && s->job == j && s->state == SS_RUNNING);
	p->nrunning--;
	s->job = NULL;
	if (s->gone || s->abandoned) {
		sp_msg_clear(&s->x);
		sp_job_free(&j);
		if (s->gone)
			sp_session_free(p, s);
		else {
			s->abandoned = 0;
			s->state = SS_IDLE;
			sp_data_clear(s);
		}
		return 0;
	}
	answer_message(&a, j->m, &j->o, p->qheader, ANSWER_NO_DISCARD);
	answer_log(j->m, &j->o, &a);
	sp_emit_message(p, s, &a);
	sp_decided(s, &j->o);
	sp_job_free(&j);
	return sp_oom(p, why_r);
}

const uint8_t *
smtpd_proto_output(const struct smtpd_proto *p, size_t *len_r)
{
	*len_r = buf_len(p->out) - p->out_off;
	return (const uint8_t *)sp_bytes(p->out) + p->out_off;
}

void
smtpd_proto_consume(struct smtpd_proto *p, size_t n)
{
	struct buf	*nb;

	FD_ASSERT(n <= buf_len(p->out) - p->out_off);
	p->out_off += n;
	if (p->out_off < buf_len(p->out))
		return;
	/* Drained: give back what a large message made it grow to. */
	if (buf_len(p->out) > 4 * 1024 * 1024 &&
	    (nb = buf_new(SP_OUT_MAX)) != NULL) {
		buf_free(&p->out);
		p->out = nb;
	} else
		buf_reset(p->out);
	p->out_off = 0;
}

const char *
smtpd_proto_version(const struct smtpd_proto *p)
{
	return p->version[0] != '\0' ? p->version : NULL;
}

size_t
smtpd_proto_sessions(const struct smtpd_proto *p)
{
	return p->nsessions;
}

size_t
smtpd_proto_running(const struct smtpd_proto *p)
{
	return p->nrunning;
}
