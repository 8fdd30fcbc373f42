/*
 * milterclient: the MTA side of the milter protocol (version 6), written
 * from the protocol description, for tests and benchmarks.  Runs in test
 * programs only.  It trusts nothing the milter sends: packet lengths are
 * bounded before allocation, every reply is decoded by mc_decode() against
 * one table and must end exactly, and a reply out of place or asking for an
 * action that was not negotiated is a protocol error.  Packets are built
 * and read with filterd's bounded buffer (filterd/lib/buf.h); the only pointer
 * arithmetic over milter bytes is in mc_rd_cstr().
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>

#include "filterd/lib/buf.h"
#include "t/milterclient.h"

/* What we offer, like Postfix: every action and every protocol step. */
#define MC_OFFER_ACTIONS	((uint32_t)SMFI_CURR_ACTS)
#define MC_OFFER_PROTOCOL	((uint32_t)SMFI_CURR_PROT)
/* The steps Postfix offers to skip at its milter_protocol 2, 3 and 4. */
#define MC_OFFER_V2		((uint32_t)SMFI_V2_PROT)
#define MC_OFFER_V3		(MC_OFFER_V2 | SMFIP_NOUNKNOWN)
#define MC_OFFER_V4		(MC_OFFER_V3 | SMFIP_NODATA)
/* Caps on what one transaction may make us keep. */
#define MC_MAX_EVENTS		4096
#define MC_MAX_EVBYTES		(16 * 1024 * 1024)
#define MC_MAX_PROGRESS		10000
#define MC_NSTAGES		(SMFIM_LAST + 1)
/* Largest packet we build: length, command, data (we offer no SMFIP_MDS_*). */
#define MC_OUT_MAX		(5 + MILTER_MAX_DATA_SIZE)

/* How a command's reply wait ended. */
#define MC_R_CONTINUE	0
#define MC_R_VERDICT	1
#define MC_R_SKIP	2
#define MC_R_MORE	3	/* not yet: read the next reply */

struct mc_conn {
	int		 fd;
	int		 timeout_ms;
	uint32_t	 version;
	uint32_t	 actions;
	uint32_t	 protocol;
	uint32_t	 offer_version;	/* what we offered */
	uint32_t	 offer;
	size_t		 maxdata;
	char		*symlist[MC_NSTAGES];
	struct buf	*out;
	int		 oerr;		/* building the packet in out failed */
	int		 helloed;
	enum mc_action	 conn_action;	/* a verdict for the whole connection */
	enum mc_phase	 conn_phase;
	char		*conn_reply;
	size_t		 evbytes;	/* event bytes kept this transaction */
	char		 err[256];
};

struct mc_pkt {
	char		 cmd;
	uint8_t		*data;
	size_t		 len;
};

/* The shape of a reply's data. */
enum mc_shape {
	SH_EMPTY,	/* nothing */
	SH_TEXT,	/* text\0 */
	SH_TEXT12,	/* text\0 [text\0] */
	SH_PAIR,	/* name\0 value\0 */
	SH_IDXPAIR,	/* u32 index, name\0 value\0 */
	SH_RAW		/* any bytes */
};

enum mc_kind {
	K_CONTINUE,
	K_VERDICT,
	K_SKIP,
	K_PROGRESS,
	K_MOD		/* a modification: end of message only */
};

struct mc_rdef {
	char			cmd;
	enum mc_shape		shape;
	enum mc_kind		kind;
	enum mc_action		action;
	enum mc_event_type	ev;
	uint32_t		need;	/* SMFIF_* that must be negotiated */
};

/* Every reply a milter may send after option negotiation. */
static const struct mc_rdef mc_rdefs[] = {
	{ SMFIR_CONTINUE, SH_EMPTY, K_CONTINUE, MC_ACTION_CONTINUE, 0, 0 },
	{ SMFIR_ACCEPT, SH_EMPTY, K_VERDICT, MC_ACTION_ACCEPT, 0, 0 },
	{ SMFIR_REJECT, SH_EMPTY, K_VERDICT, MC_ACTION_REJECT, 0, 0 },
	{ SMFIR_TEMPFAIL, SH_EMPTY, K_VERDICT, MC_ACTION_TEMPFAIL, 0, 0 },
	{ SMFIR_DISCARD, SH_EMPTY, K_VERDICT, MC_ACTION_DISCARD, 0, 0 },
	{ SMFIR_REPLYCODE, SH_TEXT, K_VERDICT, MC_ACTION_REPLYCODE, 0, 0 },
	{ SMFIR_SHUTDOWN, SH_EMPTY, K_VERDICT, MC_ACTION_SHUTDOWN, 0, 0 },
	{ SMFIR_CONN_FAIL, SH_EMPTY, K_VERDICT, MC_ACTION_CONNFAIL, 0, 0 },
	{ SMFIR_SKIP, SH_EMPTY, K_SKIP, MC_ACTION_NONE, 0, 0 },
	{ SMFIR_PROGRESS, SH_EMPTY, K_PROGRESS, MC_ACTION_NONE, 0, 0 },
	{ SMFIR_ADDHEADER, SH_PAIR, K_MOD, MC_ACTION_NONE, MC_EV_ADDHEADER,
	    SMFIF_ADDHDRS },
	{ SMFIR_INSHEADER, SH_IDXPAIR, K_MOD, MC_ACTION_NONE, MC_EV_INSHEADER,
	    SMFIF_ADDHDRS },
	{ SMFIR_CHGHEADER, SH_IDXPAIR, K_MOD, MC_ACTION_NONE, MC_EV_CHGHEADER,
	    SMFIF_CHGHDRS },
	{ SMFIR_QUARANTINE, SH_TEXT, K_MOD, MC_ACTION_NONE, MC_EV_QUARANTINE,
	    SMFIF_QUARANTINE },
	{ SMFIR_ADDRCPT, SH_TEXT, K_MOD, MC_ACTION_NONE, MC_EV_ADDRCPT,
	    SMFIF_ADDRCPT },
	{ SMFIR_ADDRCPT_PAR, SH_TEXT12, K_MOD, MC_ACTION_NONE,
	    MC_EV_ADDRCPT_PAR, SMFIF_ADDRCPT_PAR },
	{ SMFIR_DELRCPT, SH_TEXT, K_MOD, MC_ACTION_NONE, MC_EV_DELRCPT,
	    SMFIF_DELRCPT },
	{ SMFIR_CHGFROM, SH_TEXT12, K_MOD, MC_ACTION_NONE, MC_EV_CHGFROM,
	    SMFIF_CHGFROM },
	{ SMFIR_REPLBODY, SH_RAW, K_MOD, MC_ACTION_NONE, MC_EV_REPLBODY,
	    SMFIF_CHGBODY },
};

/* One decoded reply; the strings point into the packet. */
struct mc_reply {
	const struct mc_rdef	*def;
	uint32_t		 idx;
	const char		*s1;
	const char		*s2;
	const uint8_t		*raw;
	size_t			 rawlen;
};

static int	mc_fail(struct mc_conn *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static int
mc_fail(struct mc_conn *c, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return -1;
}

static int64_t
mc_now_ms(void)
{
	struct timespec	 ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Connection set-up. */

static int
mc_set_timeouts(int fd, int timeout_ms)
{
	struct timeval	 tv;

	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	/* SO_SNDTIMEO also bounds a blocking connect() on Linux. */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1)
		return -1;
	return 0;
}

static int
mc_dial_unix(const char *path, int timeout_ms, char *err, size_t errlen)
{
	struct sockaddr_un	 sun;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		(void)snprintf(err, errlen, "socket path too long: %s", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    mc_set_timeouts(fd, timeout_ms) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		(void)snprintf(err, errlen, "connect unix:%s: %s", path,
		    strerror(errno));
		if (fd != -1)
			(void)close(fd);
		return -1;
	}
	return fd;
}

static int
mc_dial_addrs(const struct addrinfo *ai, int timeout_ms)
{
	int	 fd, saved;

	for (; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1)
			continue;
		if (mc_set_timeouts(fd, timeout_ms) == 0 &&
		    connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			return fd;
		saved = errno;
		(void)close(fd);
		errno = saved;
	}
	return -1;
}

/* "PORT@HOST"; HOST may be a name or an address. */
static int
mc_dial_inet(const char *spec, int timeout_ms, char *err, size_t errlen)
{
	struct addrinfo	 hints, *res;
	char		 port[16];
	const char	*at;
	int		 fd, e;

	if ((at = strchr(spec, '@')) == NULL || at == spec ||
	    (size_t)(at - spec) >= sizeof(port) || at[1] == '\0') {
		(void)snprintf(err, errlen, "bad inet socket: %s", spec);
		return -1;
	}
	memcpy(port, spec, (size_t)(at - spec));
	port[at - spec] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((e = getaddrinfo(at + 1, port, &hints, &res)) != 0) {
		(void)snprintf(err, errlen, "%s: %s", spec, gai_strerror(e));
		return -1;
	}
	errno = ECONNREFUSED;
	fd = mc_dial_addrs(res, timeout_ms);
	if (fd == -1)
		(void)snprintf(err, errlen, "connect inet:%s: %s", spec,
		    strerror(errno));
	freeaddrinfo(res);
	return fd;
}

static int
mc_dial(const char *spec, int timeout_ms, char *err, size_t errlen)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return mc_dial_unix(spec + 5, timeout_ms, err, errlen);
	if (strncmp(spec, "local:", 6) == 0)
		return mc_dial_unix(spec + 6, timeout_ms, err, errlen);
	if (strncmp(spec, "inet:", 5) == 0)
		return mc_dial_inet(spec + 5, timeout_ms, err, errlen);
	if (strncmp(spec, "inet6:", 6) == 0)
		return mc_dial_inet(spec + 6, timeout_ms, err, errlen);
	if (spec[0] == '/')
		return mc_dial_unix(spec, timeout_ms, err, errlen);
	(void)snprintf(err, errlen, "unknown socket type: %s", spec);
	return -1;
}

/* Bounded I/O: every wait ends at a deadline. */

static int
mc_poll(struct mc_conn *c, short events, int64_t deadline)
{
	struct pollfd	 pfd;
	int64_t		 left;
	int		 r;

	pfd.fd = c->fd;
	pfd.events = events;
	for (;;) {
		if ((left = deadline - mc_now_ms()) <= 0)
			return mc_fail(c, "timeout: no answer from the "
			    "milter within %d ms", c->timeout_ms);
		if ((r = poll(&pfd, 1, (int)left)) > 0)
			return 0;
		if (r == -1 && errno != EINTR)
			return mc_fail(c, "poll: %s", strerror(errno));
	}
}

static int
mc_write_all(struct mc_conn *c, const uint8_t *p, size_t n)
{
	int64_t	 deadline = mc_now_ms() + c->timeout_ms;
	ssize_t	 r;
	size_t	 off = 0;

	while (off < n) {
		if (mc_poll(c, POLLOUT, deadline) == -1)
			return -1;
		r = send(c->fd, p + off, n - off, MSG_NOSIGNAL);
		if (r == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r == -1)
			return mc_fail(c, "write to milter: %s",
			    strerror(errno));
		off += (size_t)r;
	}
	return 0;
}

static int
mc_read_all(struct mc_conn *c, uint8_t *p, size_t n, int64_t deadline)
{
	ssize_t	 r;
	size_t	 off = 0;

	while (off < n) {
		if (mc_poll(c, POLLIN, deadline) == -1)
			return -1;
		r = recv(c->fd, p + off, n - off, 0);
		if (r == 0)
			return mc_fail(c, "milter closed the connection");
		if (r == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r == -1)
			return mc_fail(c, "read from milter: %s",
			    strerror(errno));
		off += (size_t)r;
	}
	return 0;
}

/* Packets to the milter, built in c->out. */

static void
mc_put(struct mc_conn *c, const void *p, size_t n)
{
	if (buf_put(c->out, p, n) == -1)
		c->oerr = 1;
}

static void
mc_put_u8(struct mc_conn *c, uint8_t v)
{
	mc_put(c, &v, 1);
}

static void
mc_put_u16(struct mc_conn *c, uint16_t v)
{
	if (buf_put_u16(c->out, v) == -1)
		c->oerr = 1;
}

static void
mc_put_u32(struct mc_conn *c, uint32_t v)
{
	if (buf_put_u32(c->out, v) == -1)
		c->oerr = 1;
}

/* A string and its NUL. */
static void
mc_put_str(struct mc_conn *c, const char *s)
{
	mc_put(c, s, strlen(s) + 1);
}

/* An address in angle brackets, and its NUL. */
static void
mc_put_addr(struct mc_conn *c, const char *s)
{
	if (s == NULL)
		s = "";
	if (s[0] == '<') {
		mc_put_str(c, s);
		return;
	}
	mc_put(c, "<", 1);
	mc_put(c, s, strlen(s));
	mc_put(c, ">", 2);
}

static void
mc_pkt_begin(struct mc_conn *c, char cmd)
{
	buf_reset(c->out);
	c->oerr = 0;
	mc_put_u32(c, 0);
	mc_put_u8(c, (uint8_t)cmd);
}

static int
mc_pkt_send(struct mc_conn *c)
{
	size_t	 len = buf_len(c->out);

	if (c->oerr || len < 5 || len - 5 > c->maxdata)
		return mc_fail(c, "command longer than the milter's limit "
		    "of %zu bytes", c->maxdata);
	if (buf_poke_u32(c->out, 0, (uint32_t)(len - 4)) == -1)
		return mc_fail(c, "internal error: packet length");
	return mc_write_all(c, buf_data(c->out), len);
}

/* Sends a command that has no data and gets no reply (A, Q). */
static int
mc_send_bare(struct mc_conn *c, char cmd)
{
	mc_pkt_begin(c, cmd);
	return mc_pkt_send(c);
}

/* Packets from the milter. */

static int
mc_pkt_read(struct mc_conn *c, struct mc_pkt *pkt)
{
	int64_t	 deadline = mc_now_ms() + c->timeout_ms;
	uint8_t	 hdr[4];
	uint8_t	 cmd;
	uint32_t len;
	struct rd r;

	pkt->data = NULL;
	if (mc_read_all(c, hdr, sizeof(hdr), deadline) == -1)
		return -1;
	rd_init(&r, hdr, sizeof(hdr));
	(void)rd_u32(&r, &len);
	if (len == 0 || len - 1 > c->maxdata)
		return mc_fail(c, "milter sent a packet of %u bytes (limit "
		    "%zu)", len, c->maxdata + 1);
	if (mc_read_all(c, &cmd, 1, deadline) == -1)
		return -1;
	pkt->cmd = (char)cmd;
	pkt->len = len - 1;
	if ((pkt->data = malloc(len)) == NULL)
		return mc_fail(c, "out of memory");
	if (mc_read_all(c, pkt->data, pkt->len, deadline) == -1) {
		free(pkt->data);
		pkt->data = NULL;
		return -1;
	}
	return 0;
}

/*
 * Reads a NUL-terminated string that must end before the reader does;
 * *s_r points into the packet.  The one place that walks milter bytes.
 */
static int
mc_rd_cstr(struct rd *r, const char **s_r)
{
	const char	*p;
	const char	*nul;

	if (r->err)
		return -1;
	p = (const char *)r->p + r->off;
	if ((nul = memchr(p, '\0', rd_left(r))) == NULL) {
		r->err = 1;
		return -1;
	}
	*s_r = p;
	r->off += (size_t)(nul - p) + 1;
	return 0;
}

static const struct mc_rdef *
mc_rdef_find(char cmd)
{
	size_t	 i;

	for (i = 0; i < sizeof(mc_rdefs) / sizeof(mc_rdefs[0]); i++)
		if (mc_rdefs[i].cmd == cmd)
			return &mc_rdefs[i];
	return NULL;
}

/* An SMTP reply must start with a 4xx or 5xx code. */
static int
mc_reply_valid(const char *s)
{
	if ((s[0] != '4' && s[0] != '5') ||
	    s[1] < '0' || s[1] > '9' || s[2] < '0' || s[2] > '9')
		return 0;
	return s[3] == ' ' || s[3] == '-' || s[3] == '\0';
}

static int
mc_printable(char cmd)
{
	return cmd > ' ' && cmd < 0x7f;
}

/* Decodes one reply completely, or fails. */
static int
mc_decode(struct mc_conn *c, const struct mc_pkt *pkt, struct mc_reply *rp)
{
	const struct mc_rdef	*def;
	struct rd		 r;

	memset(rp, 0, sizeof(*rp));
	rp->s1 = rp->s2 = "";
	if ((def = mc_rdef_find(pkt->cmd)) == NULL)
		return mc_fail(c, "unknown reply 0x%02x '%c' from milter",
		    (unsigned char)pkt->cmd,
		    mc_printable(pkt->cmd) ? pkt->cmd : '?');
	rp->def = def;
	rd_init(&r, pkt->data, pkt->len);
	switch (def->shape) {
	case SH_EMPTY:
		break;
	case SH_TEXT:
		(void)mc_rd_cstr(&r, &rp->s1);
		break;
	case SH_TEXT12:
		(void)mc_rd_cstr(&r, &rp->s1);
		if (rd_left(&r) > 0)
			(void)mc_rd_cstr(&r, &rp->s2);
		break;
	case SH_IDXPAIR:
		(void)rd_u32(&r, &rp->idx);
		/* FALLTHROUGH */
	case SH_PAIR:
		(void)mc_rd_cstr(&r, &rp->s1);
		(void)mc_rd_cstr(&r, &rp->s2);
		break;
	case SH_RAW:
		rp->raw = pkt->data;
		rp->rawlen = pkt->len;
		r.off = r.len;
		break;
	}
	if (rd_end(&r) == -1)
		return mc_fail(c, "malformed '%c' reply (%zu bytes)",
		    pkt->cmd, pkt->len);
	if ((def->need & c->actions) != def->need)
		return mc_fail(c, "'%c' reply but its action 0x%x was not "
		    "negotiated", pkt->cmd, (unsigned int)def->need);
	if (def->action == MC_ACTION_REPLYCODE && !mc_reply_valid(rp->s1))
		return mc_fail(c, "'y' reply without a 4xx/5xx code: %.40s",
		    rp->s1);
	return 0;
}

/* Results. */

static void
mc_result_init(struct mc_result *res)
{
	memset(res, 0, sizeof(*res));
}

void
mc_result_free(struct mc_result *res)
{
	size_t	 i;

	for (i = 0; i < res->nev; i++) {
		free(res->ev[i].name);
		free(res->ev[i].value);
		free(res->ev[i].data);
	}
	free(res->ev);
	free(res->reply);
	mc_result_init(res);
}

/* The event array holds 8, 16, 32... events: grows when nev gets there. */
static int
mc_event_grow(struct mc_conn *c, struct mc_result *res)
{
	struct mc_event	*ev;
	size_t		 n;

	if (res->nev >= MC_MAX_EVENTS)
		return mc_fail(c, "more than %d modifications",
		    MC_MAX_EVENTS);
	if (res->nev != 0 &&
	    (res->nev < 8 || (res->nev & (res->nev - 1)) != 0))
		return 0;
	n = res->nev == 0 ? 8 : res->nev * 2;
	if ((ev = realloc(res->ev, n * sizeof(*ev))) == NULL)
		return mc_fail(c, "out of memory");
	res->ev = ev;
	return 0;
}

/* Keeps one event; copies the strings and bytes it is given. */
static int
mc_event_add(struct mc_conn *c, struct mc_result *res,
    enum mc_event_type type, const struct mc_reply *rp, enum mc_action act)
{
	struct mc_event	*e;
	size_t		 bytes;

	bytes = strlen(rp->s1) + strlen(rp->s2) + rp->rawlen;
	if (bytes > MC_MAX_EVBYTES - c->evbytes)
		return mc_fail(c, "more than %d bytes of modifications",
		    MC_MAX_EVBYTES);
	if (mc_event_grow(c, res) == -1)
		return -1;
	e = &res->ev[res->nev];
	memset(e, 0, sizeof(*e));
	e->type = type;
	e->idx = rp->idx;
	e->action = act;
	e->name = strdup(rp->s1);
	e->value = strdup(rp->s2);
	if (rp->rawlen > 0 && (e->data = malloc(rp->rawlen)) != NULL)
		memcpy(e->data, rp->raw, rp->rawlen);
	e->len = rp->rawlen;
	res->nev++;
	if (e->name == NULL || e->value == NULL ||
	    (rp->rawlen > 0 && e->data == NULL))
		return mc_fail(c, "out of memory");
	c->evbytes += bytes;
	return 0;
}

/* Records how the transaction ended; takes reply. */
static int
mc_end(struct mc_result *res, enum mc_phase ph, enum mc_action act,
    char *reply)
{
	res->phase = ph;
	res->action = act;
	free(res->reply);
	res->reply = reply;
	return 1;
}

/* Whether a decoded reply may come at this phase. */
static int
mc_reply_in_place(struct mc_conn *c, enum mc_phase ph,
    const struct mc_reply *rp, struct mc_result *res)
{
	switch (rp->def->kind) {
	case K_PROGRESS:
		if (++res->progress > MC_MAX_PROGRESS)
			return mc_fail(c, "too many progress replies");
		return 0;
	case K_MOD:
		if (ph != MC_PHASE_EOM)
			return mc_fail(c, "'%c' reply at %s, before end of "
			    "message", rp->def->cmd, mc_phase_name(ph));
		return 0;
	case K_SKIP:
		if (ph != MC_PHASE_BODY || (c->protocol & SMFIP_SKIP) == 0)
			return mc_fail(c, "'s' reply at %s",
			    mc_phase_name(ph));
		return 0;
	case K_CONTINUE:
	case K_VERDICT:
		return 0;
	}
	return mc_fail(c, "internal error: reply kind");
}

/*
 * Takes one reply packet.  Returns -1; MC_R_MORE after progress or a
 * modification (kept in res); or how the command ended, as mc_await().
 */
static int
mc_take_reply(struct mc_conn *c, enum mc_phase ph, const struct mc_pkt *pkt,
    struct mc_result *res, enum mc_action *act_r, char **reply_r)
{
	struct mc_reply	 rp;

	if (mc_decode(c, pkt, &rp) == -1 ||
	    mc_reply_in_place(c, ph, &rp, res) == -1)
		return -1;
	switch (rp.def->kind) {
	case K_PROGRESS:
		return MC_R_MORE;
	case K_MOD:
		if (mc_event_add(c, res, rp.def->ev, &rp,
		    MC_ACTION_NONE) == -1)
			return -1;
		return MC_R_MORE;
	case K_SKIP:
		return MC_R_SKIP;
	case K_CONTINUE:
		*act_r = rp.def->action;
		return MC_R_CONTINUE;
	case K_VERDICT:
		break;
	}
	*act_r = rp.def->action;
	if (rp.def->action == MC_ACTION_REPLYCODE &&
	    (*reply_r = strdup(rp.s1)) == NULL)
		return mc_fail(c, "out of memory");
	return MC_R_VERDICT;
}

/*
 * Reads replies to one command until one ends it.  Modifications are
 * kept in res (they are legal only at end of message).  Returns -1,
 * MC_R_CONTINUE, MC_R_SKIP (body only) or MC_R_VERDICT with the verdict in
 * *act_r and an allocated *reply_r (NULL without a 'y' text).
 */
static int
mc_await(struct mc_conn *c, enum mc_phase ph, struct mc_result *res,
    enum mc_action *act_r, char **reply_r)
{
	struct mc_pkt	 pkt;
	int		 r;

	*act_r = MC_ACTION_NONE;
	*reply_r = NULL;
	do {
		if (mc_pkt_read(c, &pkt) == -1)
			return -1;
		res->replies++;
		r = mc_take_reply(c, ph, &pkt, res, act_r, reply_r);
		free(pkt.data);
	} while (r == MC_R_MORE);
	return r;
}

/*
 * Sends the packet built in c->out and, unless the milter negotiated no
 * reply for it (nr), waits for the reply as mc_await() does.
 */
static int
mc_command(struct mc_conn *c, uint32_t nr, enum mc_phase ph,
    struct mc_result *res, enum mc_action *act_r, char **reply_r)
{
	*act_r = MC_ACTION_NONE;
	*reply_r = NULL;
	if (mc_pkt_send(c) == -1)
		return -1;
	if ((c->protocol & nr) != 0)
		return MC_R_CONTINUE;
	return mc_await(c, ph, res, act_r, reply_r);
}

/*
 * A command step: sends c->out, and ends the transaction at phase ph on
 * any verdict.  Returns -1, 0 to go on, or 1 when it ended.
 */
static int
mc_step(struct mc_conn *c, uint32_t nr, enum mc_phase ph,
    struct mc_result *res)
{
	enum mc_action	 act;
	char		*reply;
	int		 r;

	if ((r = mc_command(c, nr, ph, res, &act, &reply)) == -1)
		return -1;
	if (r == MC_R_VERDICT)
		return mc_end(res, ph, act, reply);
	return 0;
}

/* Macros. */

static int
mc_stage_index(char stage)
{
	switch (stage) {
	case SMFIC_CONNECT:
		return SMFIM_CONNECT;
	case SMFIC_HELO:
		return SMFIM_HELO;
	case SMFIC_MAIL:
		return SMFIM_ENVFROM;
	case SMFIC_RCPT:
		return SMFIM_ENVRCPT;
	case SMFIC_DATA:
		return SMFIM_DATA;
	case SMFIC_BODYEOB:
		return SMFIM_EOM;
	case SMFIC_EOH:
		return SMFIM_EOH;
	default:
		return -1;
	}
}

/* Compares macro names, "{x}" and "x" being the same. */
static int
mc_macro_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen >= 2 && a[0] == '{' && a[alen - 1] == '}') {
		a++;
		alen -= 2;
	}
	if (blen >= 2 && b[0] == '{' && b[blen - 1] == '}') {
		b++;
		blen -= 2;
	}
	return alen == blen && memcmp(a, b, alen) == 0;
}

/* Whether the milter's symbol list (if any) for a stage names a macro. */
static int
mc_macro_wanted(const struct mc_conn *c, char stage, const char *name)
{
	const char	*list, *end;
	size_t		 n;
	int		 i;

	if ((i = mc_stage_index(stage)) == -1 || c->symlist[i] == NULL)
		return 1;
	for (list = c->symlist[i]; *list != '\0'; list = end) {
		list += strspn(list, " \t,");
		n = strcspn(list, " \t,");
		end = list + n;
		if (n > 0 && mc_macro_eq(list, n, name, strlen(name)))
			return 1;
	}
	return 0;
}

static void
mc_put_macro(struct mc_conn *c, char stage, const char *name,
    const char *value, int *n)
{
	if (name == NULL || value == NULL ||
	    !mc_macro_wanted(c, stage, name))
		return;
	mc_put_str(c, name);
	mc_put_str(c, value);
	(*n)++;
}

/*
 * Sends the macros of one stage: the defaults, then the caller's.  Sends
 * nothing when there is none.
 */
static int
mc_send_macros(struct mc_conn *c, const struct mc_message *m, char stage,
    const struct mc_macro *defs, size_t ndefs)
{
	size_t	 i;
	int	 n = 0;

	mc_pkt_begin(c, SMFIC_MACRO);
	mc_put_u8(c, (uint8_t)stage);
	for (i = 0; i < ndefs; i++)
		mc_put_macro(c, stage, defs[i].name, defs[i].value, &n);
	for (i = 0; i < m->nmacros; i++)
		if (m->macros[i].stage == stage)
			mc_put_macro(c, stage, m->macros[i].name,
			    m->macros[i].value, &n);
	if (n == 0)
		return 0;
	return mc_pkt_send(c);
}

/* Sends only macro i for a stage. */
static int
mc_send_qid(struct mc_conn *c, const struct mc_message *m, char stage)
{
	const struct mc_macro	 defs[] = { { stage, "i", m->queue_id } };

	return mc_send_macros(c, m, stage, defs, 1);
}

/* Connection steps. */

static char
mc_family(const char *addr)
{
	if (addr == NULL || addr[0] == '\0')
		return SMFIA_UNKNOWN;
	if (addr[0] == '/')
		return SMFIA_UNIX;
	if (strchr(addr, ':') != NULL)
		return SMFIA_INET6;
	return SMFIA_INET;
}

static int
mc_step_connect(struct mc_conn *c, const struct mc_message *m,
    struct mc_result *res)
{
	const char	*name = m->client_name ? m->client_name : "unknown";
	const char	*addr = m->client_addr;
	char		 under[1024];
	char		 family = mc_family(addr);
	struct mc_macro	 defs[] = {
		{ SMFIC_CONNECT, "j", m->myhostname },
		{ SMFIC_CONNECT, "{daemon_name}", "mclient" },
		{ SMFIC_CONNECT, "v", "filterd milterclient" },
		{ SMFIC_CONNECT, "_", under },
	};

	if ((c->protocol & SMFIP_NOCONNECT) != 0)
		return 0;
	if (snprintf(under, sizeof(under), "%s [%s]", name,
	    addr ? addr : "unknown") >= (int)sizeof(under))
		return mc_fail(c, "client name or address too long");
	if (mc_send_macros(c, m, SMFIC_CONNECT, defs, 4) == -1)
		return -1;
	mc_pkt_begin(c, SMFIC_CONNECT);
	mc_put_str(c, name);
	mc_put_u8(c, (uint8_t)family);
	if (family != SMFIA_UNKNOWN) {
		mc_put_u16(c, m->client_port);
		mc_put_str(c, addr);
	}
	return mc_step(c, SMFIP_NR_CONN, MC_PHASE_CONNECT, res);
}

static int
mc_step_helo(struct mc_conn *c, const struct mc_message *m,
    struct mc_result *res)
{
	if (m->helo == NULL || (c->protocol & SMFIP_NOHELO) != 0)
		return 0;
	if (mc_send_macros(c, m, SMFIC_HELO, NULL, 0) == -1)
		return -1;
	mc_pkt_begin(c, SMFIC_HELO);
	mc_put_str(c, m->helo);
	return mc_step(c, SMFIP_NR_HELO, MC_PHASE_HELO, res);
}

/* Keeps a verdict given at connect or HELO for the whole connection. */
static int
mc_keep_conn_verdict(struct mc_conn *c, const struct mc_result *res)
{
	c->conn_action = res->action;
	c->conn_phase = res->phase;
	if (res->reply != NULL &&
	    (c->conn_reply = strdup(res->reply)) == NULL)
		return mc_fail(c, "out of memory");
	return 1;
}

static int
mc_do_hello(struct mc_conn *c, const struct mc_message *m,
    struct mc_result *res)
{
	int	 r;

	if (c->helloed)
		return 0;
	c->helloed = 1;
	if ((r = mc_step_connect(c, m, res)) == 0)
		r = mc_step_helo(c, m, res);
	if (r == 1)
		return mc_keep_conn_verdict(c, res);
	return r;
}

/* Transaction steps. */

static int
mc_step_mail(struct mc_conn *c, const struct mc_message *m,
    struct mc_result *res)
{
	const char		*from = m->sender ? m->sender : "";
	const struct mc_macro	 defs[] = {
		{ SMFIC_MAIL, "i", m->queue_id },
		{ SMFIC_MAIL, "{mail_addr}", from },
	};

	if ((c->protocol & SMFIP_NOMAIL) != 0)
		return 0;
	if (mc_send_macros(c, m, SMFIC_MAIL, defs, 2) == -1)
		return -1;
	mc_pkt_begin(c, SMFIC_MAIL);
	mc_put_addr(c, from);
	return mc_step(c, SMFIP_NR_MAIL, MC_PHASE_MAIL, res);
}

/*
 * One RCPT.  Returns -1; 0 when the recipient is accepted; 1 when the
 * transaction ended; 2 when the recipient alone was refused, which is kept
 * as an MC_EV_RCPT event.
 */
static int
mc_step_rcpt(struct mc_conn *c, const struct mc_message *m,
    const char *rcpt, struct mc_result *res, enum mc_action *act_r)
{
	const struct mc_macro	 defs[] = {
		{ SMFIC_RCPT, "i", m->queue_id },
		{ SMFIC_RCPT, "{rcpt_addr}", rcpt },
	};
	struct mc_reply		 rp;
	char			*reply;
	int			 r;

	if (mc_send_macros(c, m, SMFIC_RCPT, defs, 2) == -1)
		return -1;
	mc_pkt_begin(c, SMFIC_RCPT);
	mc_put_addr(c, rcpt);
	r = mc_command(c, SMFIP_NR_RCPT, MC_PHASE_RCPT, res, act_r, &reply);
	if (r != MC_R_VERDICT)
		return r;
	if (*act_r != MC_ACTION_REJECT && *act_r != MC_ACTION_TEMPFAIL &&
	    *act_r != MC_ACTION_REPLYCODE)
		return mc_end(res, MC_PHASE_RCPT, *act_r, reply);
	memset(&rp, 0, sizeof(rp));
	rp.s1 = rcpt;
	rp.s2 = reply ? reply : "";
	r = mc_event_add(c, res, MC_EV_RCPT, &rp, *act_r);
	free(reply);
	return r == -1 ? -1 : 2;
}

/*
 * All recipients.  When the milter refuses every one, the transaction
 * ends with the last refusal and an ABORT resets the milter, as Postfix
 * does when the client then quits or resets.
 */
static int
mc_step_rcpts(struct mc_conn *c, const struct mc_message *m,
    struct mc_result *res)
{
	enum mc_action	 act = MC_ACTION_NONE;
	const char	*last = NULL;
	size_t		 i, ok = 0;
	int		 r;

	if ((c->protocol & SMFIP_NORCPT) != 0)
		return 0;
	for (i = 0; i < m->nrcpts; i++) {
		r = mc_step_rcpt(c, m, m->rcpts[i], res, &act);
		if (r == -1 || r == 1)
			return r;
		if (r == 2)
			last = res->ev[res->nev - 1].value;
		else
			ok++;
	}
	if (m->nrcpts == 0 || ok > 0)
		return 0;
	mc_end(res, MC_PHASE_RCPT, act, NULL);
	if (last != NULL && last[0] != '\0' &&
	    (res->reply = strdup(last)) == NULL)
		return mc_fail(c, "out of memory");
	if (mc_send_bare(c, SMFIC_ABORT) == -1)
		return -1;
	return 1;
}

static int
mc_step_data(struct mc_conn *c, const struct mc_message *m,
    struct mc_result *res)
{
	if ((c->protocol & SMFIP_NODATA) != 0)
		return 0;
	if (mc_send_qid(c, m, SMFIC_DATA) == -1)
		return -1;
	mc_pkt_begin(c, SMFIC_DATA);
	return mc_step(c, SMFIP_NR_DATA, MC_PHASE_DATA, res);
}

static int
mc_step_headers(struct mc_conn *c, const struct mc_message *m,
    struct mc_result *res)
{
	const char	*v;
	size_t		 i;
	int		 r;

	if ((c->protocol & SMFIP_NOHDRS) != 0)
		return 0;
	for (i = 0; i < m->nheaders; i++) {
		v = m->headers[i].value ? m->headers[i].value : "";
		if ((c->protocol & SMFIP_HDR_LEADSPC) == 0)
			v += strspn(v, " \t");
		mc_pkt_begin(c, SMFIC_HEADER);
		mc_put_str(c, m->headers[i].name);
		mc_put_str(c, v);
		if ((r = mc_step(c, SMFIP_NR_HDR, MC_PHASE_HEADER, res)) != 0)
			return r;
	}
	return 0;
}

static int
mc_step_eoh(struct mc_conn *c, const struct mc_message *m,
    struct mc_result *res)
{
	if ((c->protocol & SMFIP_NOEOH) != 0)
		return 0;
	if (mc_send_qid(c, m, SMFIC_EOH) == -1)
		return -1;
	mc_pkt_begin(c, SMFIC_EOH);
	return mc_step(c, SMFIP_NR_EOH, MC_PHASE_EOH, res);
}

/* Ends the transaction the way the caller asked to stop it. */
static int
mc_stop_now(struct mc_conn *c, const struct mc_message *m,
    struct mc_result *res)
{
	res->stopped = 1;
	(void)mc_end(res, MC_PHASE_BODY, MC_ACTION_NONE, NULL);
	if (m->stop == MC_STOP_ABORT)
		return mc_send_bare(c, SMFIC_ABORT) == -1 ? -1 : 1;
	(void)close(c->fd);
	c->fd = -1;
	return 1;
}

static size_t
mc_min(size_t a, size_t b)
{
	return a < b ? a : b;
}

/*
 * Body chunks, at most MILTER_CHUNK_SIZE bytes each.  With a stop, sends
 * stop_after bytes at most and stops; a disconnect does not wait for the
 * reply to the last chunk, as an MTA that dies would not.
 */
static int
mc_step_body(struct mc_conn *c, const struct mc_message *m,
    struct mc_result *res)
{
	enum mc_action	 act;
	char		*reply;
	size_t		 limit = m->bodylen, n;
	int		 r;

	if (m->stop != MC_STOP_NONE)
		limit = mc_min(limit, m->stop_after);
	while ((c->protocol & SMFIP_NOBODY) == 0 && res->body_sent < limit) {
		n = mc_min(limit - res->body_sent,
		    mc_min(MILTER_CHUNK_SIZE, c->maxdata));
		mc_pkt_begin(c, SMFIC_BODY);
		mc_put(c, m->body + res->body_sent, n);
		res->body_sent += n;
		if (m->stop == MC_STOP_DISCONNECT && res->body_sent == limit) {
			if (mc_pkt_send(c) == -1)
				return -1;
			break;
		}
		r = mc_command(c, SMFIP_NR_BODY, MC_PHASE_BODY, res, &act,
		    &reply);
		if (r == -1)
			return -1;
		if (r == MC_R_VERDICT)
			return mc_end(res, MC_PHASE_BODY, act, reply);
		if (r == MC_R_SKIP)
			break;
	}
	if (m->stop != MC_STOP_NONE)
		return mc_stop_now(c, m, res);
	return 0;
}

static int
mc_step_eom(struct mc_conn *c, const struct mc_message *m,
    struct mc_result *res)
{
	enum mc_action	 act;
	char		*reply;

	if (mc_send_qid(c, m, SMFIC_BODYEOB) == -1)
		return -1;
	mc_pkt_begin(c, SMFIC_BODYEOB);
	if (mc_command(c, 0, MC_PHASE_EOM, res, &act, &reply) == -1)
		return -1;
	return mc_end(res, MC_PHASE_EOM, act, reply);
}

static int
mc_do_transaction(struct mc_conn *c, const struct mc_message *m,
    struct mc_result *res)
{
	int	 r;

	if (c->fd == -1)
		return mc_fail(c, "not connected");
	if (c->conn_action != MC_ACTION_NONE) {
		(void)mc_end(res, c->conn_phase, c->conn_action, NULL);
		if (c->conn_reply != NULL &&
		    (res->reply = strdup(c->conn_reply)) == NULL)
			return mc_fail(c, "out of memory");
		return 0;
	}
	c->evbytes = 0;
	if ((r = mc_step_mail(c, m, res)) == 0 &&
	    (r = mc_step_rcpts(c, m, res)) == 0 &&
	    (r = mc_step_data(c, m, res)) == 0 &&
	    (r = mc_step_headers(c, m, res)) == 0 &&
	    (r = mc_step_eoh(c, m, res)) == 0 &&
	    (r = mc_step_body(c, m, res)) == 0)
		r = mc_step_eom(c, m, res);
	return r == -1 ? -1 : 0;
}

/* The public face. */

int
mc_hello(struct mc_conn *c, const struct mc_message *m,
    struct mc_result *res)
{
	mc_result_init(res);
	if (c->fd == -1)
		return mc_fail(c, "not connected");
	return mc_do_hello(c, m, res) == -1 ? -1 : 0;
}

int
mc_transaction(struct mc_conn *c, const struct mc_message *m,
    struct mc_result *res)
{
	mc_result_init(res);
	return mc_do_transaction(c, m, res);
}

int
mc_send(struct mc_conn *c, const struct mc_message *m,
    struct mc_result *res)
{
	int	 r;

	mc_result_init(res);
	if (c->fd == -1)
		return mc_fail(c, "not connected");
	if ((r = mc_do_hello(c, m, res)) == -1)
		return -1;
	if (r == 1)
		return 0;
	return mc_do_transaction(c, m, res);
}

/* Option negotiation. */

static int
mc_read_symlists(struct mc_conn *c, struct rd *r)
{
	const char	*list;
	uint32_t	 stage;

	while (rd_left(r) > 0) {
		if (rd_u32(r, &stage) == -1 || mc_rd_cstr(r, &list) == -1)
			return mc_fail(c, "malformed macro list in options");
		if ((c->actions & SMFIF_SETSYMLIST) == 0)
			return mc_fail(c, "macro list without "
			    "SMFIF_SETSYMLIST");
		if (stage >= MC_NSTAGES || c->symlist[stage] != NULL)
			return mc_fail(c, "bad macro list stage %u", stage);
		if ((c->symlist[stage] = strdup(list)) == NULL)
			return mc_fail(c, "out of memory");
	}
	return 0;
}

static int
mc_negotiate(struct mc_conn *c)
{
	struct mc_pkt	 pkt;
	struct rd	 r;
	int		 rv = -1;

	mc_pkt_begin(c, SMFIC_OPTNEG);
	mc_put_u32(c, c->offer_version);
	mc_put_u32(c, MC_OFFER_ACTIONS);
	mc_put_u32(c, c->offer);
	if (mc_pkt_send(c) == -1 || mc_pkt_read(c, &pkt) == -1)
		return -1;
	rd_init(&r, pkt.data, pkt.len);
	if (pkt.cmd != SMFIC_OPTNEG)
		(void)mc_fail(c, "expected options from milter, got 0x%02x",
		    (unsigned char)pkt.cmd);
	else if (rd_u32(&r, &c->version) == -1 ||
	    rd_u32(&r, &c->actions) == -1 || rd_u32(&r, &c->protocol) == -1)
		(void)mc_fail(c, "short options reply (%zu bytes)", pkt.len);
	else if (c->version < 2 || c->version > c->offer_version)
		(void)mc_fail(c, "milter protocol version %u", c->version);
	else if ((c->actions & ~MC_OFFER_ACTIONS) != 0)
		(void)mc_fail(c, "milter wants actions 0x%x not offered",
		    c->actions & ~MC_OFFER_ACTIONS);
	else if ((c->protocol & ~c->offer) != 0)
		(void)mc_fail(c, "milter wants protocol flags 0x%x not "
		    "offered", c->protocol & ~c->offer);
	else if (mc_read_symlists(c, &r) == 0)
		rv = 0;
	free(pkt.data);
	return rv;
}

/* The protocol flags Postfix offers at its milter_protocol v, or 0. */
uint32_t
mc_offer_of(int v)
{
	switch (v) {
	case 2:
		return MC_OFFER_V2;
	case 3:
		return MC_OFFER_V3;
	case 4:
		return MC_OFFER_V4;
	case 6:
		return MC_OFFER_PROTOCOL;
	default:
		return 0;
	}
}

struct mc_conn *
mc_open(const char *spec, int timeout_ms, char *err, size_t errlen)
{
	return mc_open_offer(spec, SMFI_PROT_VERSION, MC_OFFER_PROTOCOL,
	    timeout_ms, err, errlen);
}

struct mc_conn *
mc_open_offer(const char *spec, int version, uint32_t offer, int timeout_ms,
    char *err, size_t errlen)
{
	struct mc_conn	*c;

	if (version < 2 || version > SMFI_PROT_VERSION ||
	    (offer & ~MC_OFFER_PROTOCOL) != 0) {
		(void)snprintf(err, errlen, "cannot offer version %d, "
		    "protocol 0x%x", version, (unsigned int)offer);
		return NULL;
	}

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->out = buf_new(MC_OUT_MAX)) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		if (c != NULL)
			free(c);
		return NULL;
	}
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : 1;
	c->maxdata = MILTER_MAX_DATA_SIZE;
	c->offer_version = (uint32_t)version;
	c->offer = offer;
	if ((c->fd = mc_dial(spec, c->timeout_ms, err, errlen)) == -1) {
		mc_close(&c);
		return NULL;
	}
	if (mc_negotiate(c) == -1) {
		(void)snprintf(err, errlen, "%s: %s", spec, c->err);
		(void)close(c->fd);
		c->fd = -1;
		mc_close(&c);
		return NULL;
	}
	return c;
}

int
mc_quit_nc(struct mc_conn *c)
{
	if (c->fd == -1)
		return mc_fail(c, "not connected");
	if (mc_send_bare(c, SMFIC_QUIT_NC) == -1)
		return -1;
	c->helloed = 0;
	c->conn_action = MC_ACTION_NONE;
	c->conn_phase = MC_PHASE_NONE;
	free(c->conn_reply);
	c->conn_reply = NULL;
	return 0;
}

void
mc_close(struct mc_conn **cp)
{
	struct mc_conn	*c = *cp;
	size_t		 i;

	if (c == NULL)
		return;
	if (c->fd != -1) {
		(void)mc_send_bare(c, SMFIC_QUIT);
		(void)close(c->fd);
	}
	for (i = 0; i < MC_NSTAGES; i++)
		free(c->symlist[i]);
	free(c->conn_reply);
	buf_free(&c->out);
	free(c);
	*cp = NULL;
}

const char *
mc_error(const struct mc_conn *c)
{
	return c->err;
}

uint32_t
mc_version(const struct mc_conn *c)
{
	return c->version;
}

uint32_t
mc_actions(const struct mc_conn *c)
{
	return c->actions;
}

uint32_t
mc_protocol(const struct mc_conn *c)
{
	return c->protocol;
}

const char *
mc_action_name(enum mc_action a)
{
	static const char *const names[] = {
		"none", "accept", "continue", "reject", "tempfail",
		"discard", "replycode", "shutdown", "connfail"
	};

	if ((size_t)a >= sizeof(names) / sizeof(names[0]))
		return "?";
	return names[a];
}

const char *
mc_phase_name(enum mc_phase p)
{
	static const char *const names[] = {
		"none", "connect", "helo", "mail", "rcpt", "data",
		"header", "eoh", "body", "eom"
	};

	if ((size_t)p >= sizeof(names) / sizeof(names[0]))
		return "?";
	return names[p];
}

const char *
mc_event_name(enum mc_event_type t)
{
	static const char *const names[] = {
		"rcpt", "addheader", "insheader", "chgheader", "quarantine",
		"addrcpt", "addrcpt_par", "delrcpt", "chgfrom", "replbody"
	};

	if ((size_t)t >= sizeof(names) / sizeof(names[0]))
		return "?";
	return names[t];
}
