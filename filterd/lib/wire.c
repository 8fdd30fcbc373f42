/*
 * wire: frame codecs and descriptor passing.  Runs in the supervisor, the
 * spawner and the worker.  The decoders are the first code to touch bytes
 * from a less trusted peer -- the worker's verdict in the supervisor, the
 * supervisor's job in the worker -- and they trust nothing: every length is
 * bounded and the exact end is required.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "filterd/lib/message.h"
#include "filterd/lib/verdict.h"
#include "filterd/lib/wire.h"

/*
 * The most a job holds besides the message's size (message.h): the frame
 * header and nonce; five strings and the recipients, each with its u32
 * length; the macros; and per field two u32 lengths, of which the field's
 * size counts ":" and CRLF already; the oversize byte and the body's
 * length.  A job of a message within limits therefore always fits in
 * size + WIRE_JOB_OVERHEAD, which is what the worker accepts.
 */
#define WIRE_STR(max)		(4 + (max))
#define WIRE_JOB_FIXED_MAX	(WIRE_HDR_LEN + 8 + \
	5 * WIRE_STR(MSG_STR_MAX) + \
	4 + MSG_RCPTS_MAX * WIRE_STR(MSG_STR_MAX) + \
	4 + MSG_MACROS_MAX * (WIRE_STR(MSG_HDR_NAME_MAX) + \
	WIRE_STR(MSG_STR_MAX)) + \
	4 + MSG_HDRS_MAX * (8 - 3) + 1 + 4)
_Static_assert(WIRE_JOB_FIXED_MAX <= WIRE_JOB_OVERHEAD,
    "a job of a message within limits must fit WIRE_JOB_OVERHEAD");

/* Starts a frame; returns the offset of the length field to patch. */
static int
wire_begin(struct buf *b, int type, size_t *lenoff_r)
{
	buf_reset(b);
	if (buf_put_u8(b, WIRE_VERSION) == -1 ||
	    buf_put_u8(b, (uint8_t)type) == -1 || buf_put_u16(b, 0) == -1)
		return -1;
	*lenoff_r = buf_len(b);
	return buf_put_u32(b, 0);
}

static int
wire_finish(struct buf *b, size_t lenoff)
{
	return buf_poke_u32(b, lenoff, (uint32_t)(buf_len(b) - WIRE_HDR_LEN));
}

/* Checks the header of a frame of the given type; leaves r at its payload. */
static int
wire_open(struct rd *r, const uint8_t *p, size_t n, int type,
    const char **why_r)
{
	uint8_t		 version, t;
	uint16_t	 zero;
	uint32_t	 len;

	rd_init(r, p, n);
	if (rd_u8(r, &version) == -1 || rd_u8(r, &t) == -1 ||
	    rd_u16(r, &zero) == -1 || rd_u32(r, &len) == -1) {
		*why_r = "short frame header";
		return -1;
	}
	if (version != WIRE_VERSION) {
		*why_r = "wrong frame version";
		return -1;
	}
	if (t != type) {
		*why_r = "unexpected frame type";
		return -1;
	}
	if (zero != 0 || len != rd_left(r)) {
		*why_r = "bad frame length";
		return -1;
	}
	return 0;
}

static int
wire_close(const struct rd *r, const char **why_r)
{
	if (rd_end(r) == -1) {
		*why_r = r->err ? "truncated or oversized field" :
		    "trailing bytes after frame";
		return -1;
	}
	return 0;
}

int
wire_enc_request(struct buf *b)
{
	size_t	 off;

	if (wire_begin(b, WIRE_REQUEST, &off) == -1)
		return -1;
	return wire_finish(b, off);
}

int
wire_dec_request(const uint8_t *p, size_t n, const char **why_r)
{
	struct rd	 r;

	if (wire_open(&r, p, n, WIRE_REQUEST, why_r) == -1)
		return -1;
	return wire_close(&r, why_r);
}

int
wire_enc_grant(struct buf *b, unsigned n)
{
	size_t	 off;

	if (wire_begin(b, WIRE_GRANT, &off) == -1 ||
	    buf_put_u32(b, (uint32_t)n) == -1)
		return -1;
	return wire_finish(b, off);
}

int
wire_dec_grant(const uint8_t *p, size_t n, unsigned *n_r, const char **why_r)
{
	struct rd	 r;
	uint32_t	 count;

	if (wire_open(&r, p, n, WIRE_GRANT, why_r) == -1)
		return -1;
	if (rd_u32(&r, &count) == -1 || wire_close(&r, why_r) == -1) {
		*why_r = "bad grant frame";
		return -1;
	}
	if (count == 0 || count > WIRE_GRANT_MAX) {
		*why_r = "bad number of workers granted";
		return -1;
	}
	*n_r = count;
	return 0;
}

int
wire_enc_pid(struct buf *b, int type, pid_t pid)
{
	size_t	 off;

	if (wire_begin(b, type, &off) == -1 ||
	    buf_put_u32(b, (uint32_t)pid) == -1)
		return -1;
	return wire_finish(b, off);
}

int
wire_dec_pid(const uint8_t *p, size_t n, int type, pid_t *pid_r,
    const char **why_r)
{
	struct rd	 r;
	uint32_t	 pid;

	if (wire_open(&r, p, n, type, why_r) == -1)
		return -1;
	if (rd_u32(&r, &pid) == -1 || wire_close(&r, why_r) == -1) {
		*why_r = "bad pid frame";
		return -1;
	}
	if (pid == 0 || pid > INT32_MAX) {
		*why_r = "bad worker pid";
		return -1;
	}
	*pid_r = (pid_t)pid;
	return 0;
}

int
wire_enc_config(struct buf *b, uint64_t generation)
{
	size_t	 off;

	if (wire_begin(b, WIRE_CONFIG, &off) == -1 ||
	    buf_put_u64(b, generation) == -1)
		return -1;
	return wire_finish(b, off);
}

int
wire_dec_config(const uint8_t *p, size_t n, uint64_t *generation_r,
    const char **why_r)
{
	struct rd	 r;

	if (wire_open(&r, p, n, WIRE_CONFIG, why_r) == -1)
		return -1;
	if (rd_u64(&r, generation_r) == -1 || wire_close(&r, why_r) == -1) {
		*why_r = "bad config frame";
		return -1;
	}
	if (*generation_r == 0) {
		*why_r = "bad configuration generation";
		return -1;
	}
	return 0;
}

int
wire_enc_jobref(struct buf *b, uint64_t nonce, uint64_t size)
{
	size_t	 off;

	if (wire_begin(b, WIRE_JOBREF, &off) == -1 ||
	    buf_put_u64(b, nonce) == -1 || buf_put_u64(b, size) == -1)
		return -1;
	return wire_finish(b, off);
}

int
wire_dec_jobref(const uint8_t *p, size_t n, uint64_t *nonce_r,
    uint64_t *size_r, const char **why_r)
{
	struct rd	 r;

	if (wire_open(&r, p, n, WIRE_JOBREF, why_r) == -1)
		return -1;
	if (rd_u64(&r, nonce_r) == -1 || rd_u64(&r, size_r) == -1) {
		*why_r = "bad job reference";
		return -1;
	}
	return wire_close(&r, why_r);
}

static int
wire_put_kvs(struct buf *b, const struct kv *v, size_t n)
{
	size_t	 i;

	if (buf_put_u32(b, (uint32_t)n) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (buf_put_str(b, v[i].name) == -1 ||
		    buf_put_str(b, v[i].value) == -1)
			return -1;
	return 0;
}

/* Everything of a job before its body; starts the frame. */
static int
wire_put_head(struct buf *b, int type, uint64_t nonce,
    const struct message *m, size_t *off_r)
{
	size_t	 i;

	if (wire_begin(b, type, off_r) == -1 ||
	    buf_put_u64(b, nonce) == -1 ||
	    buf_put_str(b, m->queue_id) == -1 ||
	    buf_put_str(b, m->client_addr) == -1 ||
	    buf_put_str(b, m->client_name) == -1 ||
	    buf_put_str(b, m->helo) == -1 ||
	    buf_put_str(b, m->sender) == -1 ||
	    buf_put_u32(b, (uint32_t)m->nrcpts) == -1)
		return -1;
	for (i = 0; i < m->nrcpts; i++)
		if (buf_put_str(b, m->rcpts[i]) == -1)
			return -1;
	if (wire_put_kvs(b, m->macros, m->nmacros) == -1 ||
	    wire_put_kvs(b, m->hdrs, m->nhdrs) == -1 ||
	    buf_put_u8(b, (uint8_t)((m->oversize ? WIRE_JOB_OVERSIZE : 0) |
	    (m->trace ? WIRE_JOB_TRACE : 0))) == -1 ||
	    m->bodylen > UINT32_MAX ||
	    buf_put_u32(b, (uint32_t)m->bodylen) == -1)
		return -1;
	return 0;
}


int
wire_enc_job(struct buf *b, uint64_t nonce, const struct message *m)
{
	size_t	 off;
	void	*dst;

	if (wire_put_head(b, WIRE_JOB, nonce, m, &off) == -1)
		return -1;
	/* The body, from memory or from its memfd. */
	if (m->bodylen > 0) {
		if ((dst = buf_space(b, m->bodylen)) == NULL ||
		    message_body_copy(m, dst) == -1)
			return -1;
		buf_commit(b, m->bodylen);
	}
	return wire_finish(b, off);
}

int
wire_enc_jobhead(struct buf *b, uint64_t nonce, const struct message *m)
{
	size_t	 off;

	if (m->bodylen == 0 ||
	    wire_put_head(b, WIRE_JOBHEAD, nonce, m, &off) == -1)
		return -1;
	return wire_finish(b, off);
}

int
wire_peek_type(const uint8_t *p, size_t n)
{
	struct rd	 r;
	const char	*why;

	if (n < WIRE_HDR_LEN)
		return -1;
	return wire_open(&r, p, n, p[1], &why) == -1 ? -1 : p[1];
}

/* Reads a string into a freshly allocated field; "" for length 0. */
static int
wire_get_str(struct rd *r, size_t max, char **field)
{
	return rd_str(r, max, 0, field);
}

static int
wire_get_kvs(struct rd *r, size_t maxn, size_t name_max, size_t value_max,
    int (*add)(struct message *, const char *, const char *),
    struct message *m)
{
	uint32_t	 n, i;
	char		*name, *value;
	int		 rc;

	if (rd_u32(r, &n) == -1 || n > maxn) {
		r->err = 1;
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (wire_get_str(r, name_max, &name) == -1)
			return -1;
		if (wire_get_str(r, value_max, &value) == -1) {
			free(name);
			return -1;
		}
		rc = add(m, name, value);
		free(name);
		free(value);
		if (rc == -1) {
			r->err = 1;
			return -1;
		}
	}
	return 0;
}

/*
 * Reads a job's fields up to its body into m; the frame's type was
 * checked.  Returns 0 or -1.
 */
static int
wire_get_head(struct rd *r, uint64_t *nonce_r, struct message *m)
{
	uint32_t	 nrcpts, i;
	uint8_t		 flags;
	char		*s;

	if (rd_u64(r, nonce_r) == -1 ||
	    wire_get_str(r, MSG_STR_MAX, &m->queue_id) == -1 ||
	    wire_get_str(r, MSG_STR_MAX, &m->client_addr) == -1 ||
	    wire_get_str(r, MSG_STR_MAX, &m->client_name) == -1 ||
	    wire_get_str(r, MSG_STR_MAX, &m->helo) == -1 ||
	    wire_get_str(r, MSG_STR_MAX, &m->sender) == -1 ||
	    rd_u32(r, &nrcpts) == -1 || nrcpts > MSG_RCPTS_MAX)
		return -1;
	for (i = 0; i < nrcpts; i++) {
		if (wire_get_str(r, MSG_STR_MAX, &s) == -1)
			return -1;
		if (message_add_rcpt(m, s) == -1) {
			free(s);
			return -1;
		}
		free(s);
	}
	if (wire_get_kvs(r, MSG_MACROS_MAX, MSG_HDR_NAME_MAX, MSG_STR_MAX,
	    message_add_macro, m) == -1 ||
	    wire_get_kvs(r, MSG_HDRS_MAX, MSG_HDR_NAME_MAX, MSG_HDR_VALUE_MAX,
	    message_add_header, m) == -1 ||
	    rd_u8(r, &flags) == -1 ||
	    (flags & ~(WIRE_JOB_OVERSIZE | WIRE_JOB_TRACE)) != 0)
		return -1;
	m->oversize = (flags & WIRE_JOB_OVERSIZE) != 0;
	m->trace = (flags & WIRE_JOB_TRACE) != 0;
	return 0;
}

int
wire_dec_job(const uint8_t *p, size_t n, uint64_t *nonce_r,
    struct message *m, const char **why_r)
{
	struct rd	 r;
	const uint8_t	*body;
	size_t		 bodylen;

	if (wire_open(&r, p, n, WIRE_JOB, why_r) == -1)
		return -1;
	*why_r = "bad job field";
	/* The body stays where it is: p outlives m. */
	if (wire_get_head(&r, nonce_r, m) == -1 ||
	    rd_mem(&r, m->size_max, &body, &bodylen) == -1 ||
	    message_body_ref(m, body, bodylen) == -1)
		return -1;
	return wire_close(&r, why_r);
}

int
wire_dec_jobhead(const uint8_t *p, size_t n, uint64_t *nonce_r,
    struct message *m, size_t *bodylen_r, const char **why_r)
{
	struct rd	 r;
	uint32_t	 bodylen;

	if (wire_open(&r, p, n, WIRE_JOBHEAD, why_r) == -1)
		return -1;
	*why_r = "bad job field";
	if (wire_get_head(&r, nonce_r, m) == -1 ||
	    rd_u32(&r, &bodylen) == -1 || bodylen == 0 ||
	    bodylen > m->size_max)
		return -1;
	*bodylen_r = bodylen;
	return wire_close(&r, why_r);
}

int
wire_enc_verdict(struct buf *b, const struct verdict *v)
{
	size_t		 off, i;
	const struct hdrop *h;

	if (wire_begin(b, WIRE_VERDICT, &off) == -1 ||
	    buf_put_u64(b, v->nonce) == -1 ||
	    buf_put_u8(b, v->action) == -1 ||
	    buf_put_str(b, v->code) == -1 ||
	    buf_put_str(b, v->ecode) == -1 ||
	    buf_put_str(b, v->text) == -1 ||
	    buf_put_str(b, v->reason) == -1 ||
	    buf_put_u32(b, (uint32_t)v->score) == -1 ||
	    buf_put_u32(b, (uint32_t)v->nops) == -1)
		return -1;
	for (i = 0; i < v->nops; i++) {
		h = &v->ops[i];
		if (buf_put_u8(b, h->op) == -1 ||
		    buf_put_u32(b, h->index) == -1 ||
		    buf_put_str(b, h->name) == -1 ||
		    buf_put_u8(b, h->value != NULL) == -1 ||
		    buf_put_str(b, h->value) == -1)
			return -1;
	}
	if (buf_put_u32(b, (uint32_t)v->nrules) == -1)
		return -1;
	for (i = 0; i < v->nrules; i++)
		if (buf_put_str(b, v->rules[i]) == -1)
			return -1;
	if (buf_put_u32(b, (uint32_t)v->nlogs) == -1)
		return -1;
	for (i = 0; i < v->nlogs; i++)
		if (buf_put_str(b, v->logs[i]) == -1)
			return -1;
	/* Only filterd -t --trace has one: other frames stay as they were. */
	if (v->trace != NULL && buf_put_str(b, v->trace) == -1)
		return -1;
	return wire_finish(b, off);
}

/* Reads a counted list of strings into a fixed array. */
static int
wire_get_strv(struct rd *r, char **v, size_t *n_r, size_t maxn, size_t max)
{
	uint32_t	 n;

	if (rd_u32(r, &n) == -1 || n > maxn) {
		r->err = 1;
		return -1;
	}
	for (*n_r = 0; *n_r < n; (*n_r)++)
		if (rd_str(r, max, 0, &v[*n_r]) == -1)
			return -1;
	return 0;
}

static int
wire_get_ops(struct rd *r, struct verdict *v)
{
	struct hdrop	*h;
	uint32_t	 n;
	uint8_t		 has_value;

	if (rd_u32(r, &n) == -1 || n > VERDICT_OPS_MAX) {
		r->err = 1;
		return -1;
	}
	for (v->nops = 0; v->nops < n; v->nops++) {
		h = &v->ops[v->nops];
		if (rd_u8(r, &h->op) == -1 || rd_u32(r, &h->index) == -1 ||
		    rd_str(r, VERDICT_HDR_NAME_MAX, 0, &h->name) == -1 ||
		    rd_u8(r, &has_value) == -1 || has_value > 1 ||
		    rd_str(r, VERDICT_HDR_VALUE_MAX, !has_value,
		    &h->value) == -1) {
			r->err = 1;
			v->nops++;	/* so that verdict_clear frees it */
			return -1;
		}
		if (!has_value && h->value != NULL) {
			r->err = 1;
			v->nops++;
			return -1;
		}
	}
	return 0;
}

int
wire_dec_verdict(const uint8_t *p, size_t n, struct verdict *v,
    const char **why_r)
{
	struct rd	 r;
	uint32_t	 score;

	if (n > WIRE_VERDICT_MAX) {
		*why_r = "verdict frame too large";
		return -1;
	}
	if (wire_open(&r, p, n, WIRE_VERDICT, why_r) == -1)
		return -1;
	*why_r = "malformed verdict field";
	if (rd_u64(&r, &v->nonce) == -1 || rd_u8(&r, &v->action) == -1 ||
	    rd_str(&r, 3, 1, &v->code) == -1 ||
	    rd_str(&r, 11, 1, &v->ecode) == -1 ||
	    rd_str(&r, VERDICT_TEXT_MAX, 1, &v->text) == -1 ||
	    rd_str(&r, VERDICT_REASON_MAX, 1, &v->reason) == -1 ||
	    rd_u32(&r, &score) == -1 || wire_get_ops(&r, v) == -1 ||
	    wire_get_strv(&r, v->rules, &v->nrules, VERDICT_RULES_MAX,
	    VERDICT_RULE_NAME_MAX) == -1 ||
	    wire_get_strv(&r, v->logs, &v->nlogs, VERDICT_LOGS_MAX,
	    VERDICT_LOG_MAX) == -1)
		return -1;
	/*
	 * The trace, the one optional field: the last, when there is one
	 * (its length takes 4 bytes; fewer are trailing bytes).
	 */
	if (r.len - r.off >= 4 && rd_str(&r, VERDICT_TRACE_MAX, 0,
	    &v->trace) == -1)
		return -1;
	v->score = (int32_t)score;
	return wire_close(&r, why_r);
}

int
wire_send_fds(int sock, const struct buf *b, const int *fds, size_t nfds)
{
	struct msghdr	 msg;
	struct iovec	 iov;
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(WIRE_FDS_MAX * sizeof(int))];
	}		 cmsgbuf;
	struct cmsghdr	*cmsg;
	ssize_t		 n;

	if (nfds > WIRE_FDS_MAX) {
		errno = EINVAL;
		return -1;
	}
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = (void *)(uintptr_t)buf_data(b);
	iov.iov_len = buf_len(b);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (nfds > 0) {
		memset(&cmsgbuf, 0, sizeof(cmsgbuf));
		msg.msg_control = cmsgbuf.buf;
		msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(cmsg), fds, nfds * sizeof(int));
	}
	do {
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if ((size_t)n != buf_len(b)) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

int
wire_send(int sock, const struct buf *b, int fd)
{
	return wire_send_fds(sock, b, &fd, fd >= 0 ? 1 : 0);
}

/* What came with one frame besides its bytes. */
struct wire_rx {
	int	 fds[WIRE_FDS_MAX];
	size_t	 nfds;
	int	 toomany;	/* more than WIRE_FDS_MAX came, all closed */
	int	 cred;		/* SCM_CREDENTIALS came */
	pid_t	 pid;		/* the sender's, when cred */
};

static void
wire_rx_close(struct wire_rx *rx)
{
	size_t	 i;

	for (i = 0; i < rx->nfds; i++)
		close(rx->fds[i]);
	rx->nfds = 0;
}

/*
 * Takes the descriptors and credentials out of a control message.  The
 * descriptors are open in this process from recvmsg on, wanted or not:
 * those beyond WIRE_FDS_MAX are closed here, the rest are the caller's.
 */
static void
wire_rx_take(struct msghdr *msg, struct wire_rx *rx)
{
	struct cmsghdr	*c;
	struct ucred	 uc;
	size_t		 i, nfd;
	int		 fd;

	for (c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_CREDENTIALS &&
		    c->cmsg_len == CMSG_LEN(sizeof(uc))) {
			memcpy(&uc, CMSG_DATA(c), sizeof(uc));
			rx->cred = 1;
			rx->pid = uc.pid;
		}
		if (c->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfd; i++) {
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			if (rx->nfds < WIRE_FDS_MAX)
				rx->fds[rx->nfds++] = fd;
			else {
				close(fd);
				rx->toomany = 1;
			}
		}
	}
}

/*
 * Receives one frame of at most max bytes into b, and what came with it
 * into rx.  Returns the length (0 for an empty record and at end of
 * file alike), or -1; on -1 no descriptor is left open.
 */
static ssize_t
wire_recv_rx(int sock, struct buf *b, size_t max, struct wire_rx *rx,
    int flags)
{
	struct msghdr	 msg;
	struct iovec	 iov;
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(sizeof(struct ucred)) +
				     CMSG_SPACE(4 * sizeof(int))];
	}		 cmsgbuf;
	ssize_t		 n;

	memset(rx, 0, sizeof(*rx));
	buf_reset(b);
	/* One byte more than allowed, to tell "too long" from "just fits". */
	if ((iov.iov_base = buf_space(b, max + 1)) == NULL) {
		errno = ENOBUFS;
		return -1;
	}
	iov.iov_len = max + 1;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);
	do {
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | flags);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	wire_rx_take(&msg, rx);
	if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || (size_t)n > max ||
	    rx->toomany) {
		wire_rx_close(rx);
		errno = EMSGSIZE;
		return -1;
	}
	buf_commit(b, (size_t)n);
	return n;
}

ssize_t
wire_recv(int sock, struct buf *b, size_t max, int *fd_r)
{
	struct wire_rx	 rx;
	ssize_t		 n;

	if (fd_r != NULL)
		*fd_r = -1;
	if ((n = wire_recv_rx(sock, b, max, &rx, 0)) == -1)
		return -1;
	if (rx.nfds > 1 || (rx.nfds == 1 && fd_r == NULL)) {
		wire_rx_close(&rx);
		errno = EMSGSIZE;
		return -1;
	}
	if (fd_r != NULL && rx.nfds == 1)
		*fd_r = rx.fds[0];
	return n;
}

ssize_t
wire_recv_fds(int sock, struct buf *b, size_t max, int *fds_r, size_t nfds)
{
	struct wire_rx	 rx;
	ssize_t		 n;
	size_t		 i;

	for (i = 0; i < nfds; i++)
		fds_r[i] = -1;
	if ((n = wire_recv_rx(sock, b, max, &rx, 0)) == -1)
		return -1;
	/* No frame is empty: nothing comes with end of file. */
	if (n == 0) {
		wire_rx_close(&rx);
		return 0;
	}
	if (rx.nfds != nfds) {
		wire_rx_close(&rx);
		errno = EMSGSIZE;
		return -1;
	}
	memcpy(fds_r, rx.fds, nfds * sizeof(int));
	return n;
}

ssize_t
wire_recv_peer(int sock, struct buf *b, size_t max, pid_t *pid_r)
{
	struct wire_rx	 rx;
	ssize_t		 n;

	if ((n = wire_recv_rx(sock, b, max, &rx, MSG_DONTWAIT)) == -1)
		return -1;
	if (rx.nfds > 0) {
		wire_rx_close(&rx);
		errno = EMSGSIZE;
		return -1;
	}
	/* Every record comes with credentials; end of file never does. */
	if (n == 0 && !rx.cred)
		return 0;
	if (!rx.cred) {
		errno = EPROTO;
		return -1;
	}
	if (n == 0) {
		errno = EBADMSG;
		return -1;
	}
	*pid_r = rx.pid;
	return n;
}

int
wire_passcred(int sock)
{
	int	 on = 1;

	return setsockopt(sock, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on));
}
