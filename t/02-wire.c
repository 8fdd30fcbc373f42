/*
 * 02-wire: the frame codecs.  Round trips for every frame type, and one
 * case per way a frame can be wrong: each must be refused.  Then the
 * socket I/O: descriptors counted exactly, none left open when a frame is
 * refused, and an empty record told from end of file.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "filterd/lib/buf.h"
#include "filterd/lib/message.h"
#include "filterd/lib/verdict.h"
#include "filterd/lib/wire.h"
#include "t/tap.h"

static struct verdict *
sample_verdict(void)
{
	struct verdict	*v = verdict_new();

	v->nonce = 0x0123456789abcdefULL;
	v->action = ACTION_REJECT;
	verdict_set_reply(v, "550", "5.7.1", "no thanks");
	v->score = -1500;
	verdict_add_op(v, HDR_ADD, 0, "X-Filterd-Rule", "lottery");
	verdict_add_op(v, HDR_DELETE, 2, "X-Spam", NULL);
	verdict_add_rule(v, "bad-subject");
	verdict_add_log(v, "a line");
	return v;
}

static void
test_verdict_roundtrip(void)
{
	struct verdict	*v = sample_verdict(), w;
	struct buf	*b = buf_new(WIRE_VERDICT_MAX);
	const char	*why = NULL;

	memset(&w, 0, sizeof(w));
	ok(wire_enc_verdict(b, v) == 0, "verdict encodes");
	ok(wire_dec_verdict(buf_data(b), buf_len(b), &w, &why) == 0,
	    "verdict decodes (%s)", why ? why : "ok");
	ok(w.nonce == v->nonce, "nonce survives");
	is_int(w.action, ACTION_REJECT, "action survives");
	is_str(w.code, "550", "code survives");
	is_str(w.ecode, "5.7.1", "enhanced code survives");
	is_str(w.text, "no thanks", "text survives");
	ok(w.reason == NULL, "absent reason stays absent");
	is_int(w.score, -1500, "negative score survives");
	is_int((long long)w.nops, 2, "two header operations");
	is_str(w.ops[1].name, "X-Spam", "deletion name");
	ok(w.ops[1].value == NULL, "deletion has no value");
	is_int(w.ops[1].index, 2, "deletion index");
	is_str(w.rules[0], "bad-subject", "rule name");
	is_str(w.logs[0], "a line", "log line");
	verdict_clear(&w);
	verdict_free(&v);
	buf_free(&b);
}

/* Decodes a verdict frame; returns 0 or -1. */
static int
dec_verdict(const uint8_t *p, size_t n, const char **why)
{
	struct verdict	 w;
	int		 rc;

	memset(&w, 0, sizeof(w));
	rc = wire_dec_verdict(p, n, &w, why);
	verdict_clear(&w);
	return rc;
}

static void
test_verdict_malformed(void)
{
	struct verdict	*v = sample_verdict();
	struct buf	*b = buf_new(WIRE_VERDICT_MAX + 16);
	uint8_t		*p;
	size_t		 n, i;
	const char	*why;
	int		 all;

	wire_enc_verdict(b, v);
	n = buf_len(b);
	p = malloc(n + 8);
	memcpy(p, buf_data(b), n);

	/* Every truncation must be refused. */
	for (all = 1, i = 0; i < n; i++)
		if (dec_verdict(p, i, &why) == 0)
			all = 0;
	ok(all, "every truncated verdict is refused");

	/* A trailing byte, with the length fixed up to cover it. */
	p[n] = 0;
	p[7]++;
	ok(dec_verdict(p, n + 1, &why) == -1 && strstr(why, "trailing"),
	    "trailing byte refused (%s)", why);
	p[7]--;

	p[0] = 2;
	ok(dec_verdict(p, n, &why) == -1 && strstr(why, "version"),
	    "wrong version refused (%s)", why);
	p[0] = WIRE_VERSION;
	p[1] = WIRE_JOB;
	ok(dec_verdict(p, n, &why) == -1 && strstr(why, "type"),
	    "wrong type refused (%s)", why);
	p[1] = WIRE_VERDICT;
	p[2] = 1;
	ok(dec_verdict(p, n, &why) == -1, "non-zero reserved bits refused");
	p[2] = 0;
	p[7]++;
	ok(dec_verdict(p, n, &why) == -1 && strstr(why, "length"),
	    "length mismatch refused (%s)", why);
	p[7]--;
	ok(dec_verdict(p, n, &why) == 0, "the unmodified frame decodes");
	free(p);
	verdict_free(&v);
	buf_free(&b);
}

/* Starts a verdict frame by hand; the length is patched at the end. */
static void
frame_begin(struct buf *b)
{
	buf_reset(b);
	buf_put_u8(b, WIRE_VERSION);
	buf_put_u8(b, WIRE_VERDICT);
	buf_put_u16(b, 0);
	buf_put_u32(b, 0);
}

/* Builds verdict frames by hand, field by field. */
static void
test_verdict_fields(void)
{
	struct buf	*b = buf_new(WIRE_VERDICT_MAX * 2);
	const char	*why;
	size_t		 i;

	/* The control: a hand-built valid frame decodes. */
	frame_begin(b);
	buf_put_u64(b, 1);
	buf_put_u8(b, ACTION_REJECT);
	buf_put_str(b, "550");
	for (i = 0; i < 3; i++)
		buf_put_u32(b, 0);
	buf_put_u32(b, 0);	/* score */
	buf_put_u32(b, 1);	/* ops */
	buf_put_u8(b, HDR_DELETE);
	buf_put_u32(b, 1);
	buf_put_str(b, "X-Filterd-A");
	buf_put_u8(b, 0);
	buf_put_u32(b, 0);
	buf_put_u32(b, 0);	/* rules */
	buf_put_u32(b, 0);	/* logs */
	buf_poke_u32(b, 4, (uint32_t)(buf_len(b) - 8));
	ok(dec_verdict(buf_data(b), buf_len(b), &why) == 0,
	    "a hand-built frame decodes (the control for the cases below)");

	/* An embedded NUL in a string. */
	frame_begin(b);
	buf_put_u64(b, 1);
	buf_put_u8(b, ACTION_REJECT);
	buf_put_mem(b, "5\00050", 4);
	for (i = 0; i < 3; i++)
		buf_put_u32(b, 0);
	buf_put_u32(b, 0);	/* score */
	buf_put_u32(b, 0);	/* ops */
	buf_put_u32(b, 0);	/* rules */
	buf_put_u32(b, 0);	/* logs */
	buf_poke_u32(b, 4, (uint32_t)(buf_len(b) - 8));
	ok(dec_verdict(buf_data(b), buf_len(b), &why) == -1,
	    "reply code longer than 3 (with a NUL) refused");

	/* Too many header operations. */
	frame_begin(b);
	buf_put_u64(b, 1);
	buf_put_u8(b, ACTION_ACCEPT);
	for (i = 0; i < 4; i++)
		buf_put_u32(b, 0);
	buf_put_u32(b, 0);
	buf_put_u32(b, VERDICT_OPS_MAX + 1);
	for (i = 0; i < VERDICT_OPS_MAX + 1; i++) {
		buf_put_u8(b, HDR_ADD);
		buf_put_u32(b, 0);
		buf_put_str(b, "X-Filterd-A");
		buf_put_u8(b, 1);
		buf_put_str(b, "v");
	}
	buf_put_u32(b, 0);
	buf_put_u32(b, 0);
	buf_poke_u32(b, 4, (uint32_t)(buf_len(b) - 8));
	ok(dec_verdict(buf_data(b), buf_len(b), &why) == -1,
	    "more than VERDICT_OPS_MAX header operations refused");

	/* A deletion flagged as valueless but carrying a value. */
	frame_begin(b);
	buf_put_u64(b, 1);
	buf_put_u8(b, ACTION_ACCEPT);
	for (i = 0; i < 4; i++)
		buf_put_u32(b, 0);
	buf_put_u32(b, 0);
	buf_put_u32(b, 1);
	buf_put_u8(b, HDR_DELETE);
	buf_put_u32(b, 1);
	buf_put_str(b, "X-Filterd-A");
	buf_put_u8(b, 0);
	buf_put_str(b, "sneaky");
	buf_put_u32(b, 0);
	buf_put_u32(b, 0);
	buf_poke_u32(b, 4, (uint32_t)(buf_len(b) - 8));
	ok(dec_verdict(buf_data(b), buf_len(b), &why) == -1,
	    "valueless operation with a value refused");

	/* A frame over WIRE_VERDICT_MAX. */
	frame_begin(b);
	while (buf_len(b) <= WIRE_VERDICT_MAX)
		buf_put_u8(b, 0);
	buf_poke_u32(b, 4, (uint32_t)(buf_len(b) - 8));
	ok(dec_verdict(buf_data(b), buf_len(b), &why) == -1 &&
	    strstr(why, "too large"), "oversized verdict refused (%s)", why);
	buf_free(&b);
}

static void
test_job_roundtrip(void)
{
	struct message	*m = message_new(1024), *w = message_new(1024);
	struct message	*small = message_new(4);
	struct buf	*b = buf_new(1 << 20);
	const char	*why = NULL;
	uint64_t	 nonce = 0;

	message_set(&m->client_addr, "192.0.2.7");
	message_set(&m->helo, "mx.example");
	message_set(&m->sender, "a@example.org");
	message_add_rcpt(m, "b@example.net");
	message_add_rcpt(m, "c@example.net");
	message_add_macro(m, "i", "Q1");
	message_add_header(m, "Subject", "hi\r\n there");
	message_add_body(m, "body\0bytes", 10);
	ok(wire_enc_job(b, 42, m) == 0, "job encodes");
	ok(wire_dec_job(buf_data(b), buf_len(b), &nonce, w, &why) == 0,
	    "job decodes (%s)", why ? why : "ok");
	ok(nonce == 42, "job nonce");
	is_str(w->client_addr, "192.0.2.7", "client address");
	is_int((long long)w->nrcpts, 2, "two recipients");
	is_str(w->rcpts[1], "c@example.net", "second recipient");
	is_str(w->hdrs[0].value, "hi\r\n there", "folded header value");
	ok(w->bodylen == 10 && memcmp(w->body, "body\0bytes", 10) == 0,
	    "body with a NUL byte survives");
	is_str(message_macro(w, "i"), "Q1", "macro survives");
	ok(wire_dec_job(buf_data(b), buf_len(b), &nonce, small, &why) == -1,
	    "a body over the worker's limit is refused");
	message_free(&m);
	message_free(&w);
	message_free(&small);
	buf_free(&b);
}

static void
test_small_frames(void)
{
	struct buf	*b = buf_new(WIRE_CTL_MAX);
	const char	*why;
	uint64_t	 nonce, size;
	pid_t		 pid;

	ok(wire_enc_pid(b, WIRE_WORKER, 1234) == 0 &&
	    wire_dec_pid(buf_data(b), buf_len(b), WIRE_WORKER, &pid,
	    &why) == 0 && pid == 1234, "worker frame round trip");
	ok(wire_dec_pid(buf_data(b), buf_len(b), WIRE_SPAWNER, &pid,
	    &why) == -1, "worker frame is not a spawner frame");
	wire_enc_pid(b, WIRE_WORKER, 0);
	ok(wire_dec_pid(buf_data(b), buf_len(b), WIRE_WORKER, &pid,
	    &why) == -1, "pid 0 refused");
	ok(wire_enc_jobref(b, 7, 99) == 0 && wire_dec_jobref(buf_data(b),
	    buf_len(b), &nonce, &size, &why) == 0 && nonce == 7 && size == 99,
	    "jobref round trip");
	ok(wire_dec_jobref(buf_data(b), buf_len(b) - 1, &nonce, &size,
	    &why) == -1, "short jobref refused");
	ok(wire_enc_request(b) == 0 && wire_dec_request(buf_data(b),
	    buf_len(b), &why) == 0, "request round trip");
	ok(wire_enc_config(b, 42) == 0 && wire_dec_config(buf_data(b),
	    buf_len(b), &nonce, &why) == 0 && nonce == 42,
	    "config round trip");
	ok(wire_dec_config(buf_data(b), buf_len(b) - 1, &nonce, &why) == -1,
	    "short config frame refused");
	ok(wire_dec_pid(buf_data(b), buf_len(b), WIRE_SPAWNER, &pid,
	    &why) == -1, "config frame is not a spawner frame");
	wire_enc_config(b, 0);
	ok(wire_dec_config(buf_data(b), buf_len(b), &nonce, &why) == -1 &&
	    strcmp(why, "bad configuration generation") == 0,
	    "generation 0 refused");
	buf_free(&b);
}

static void
test_socket_io(void)
{
	struct buf	*b = buf_new(WIRE_VERDICT_MAX + 1);
	struct buf	*big = buf_new(200);
	int		 sv[2], fd, pfd[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == -1 ||
	    pipe(pfd) == -1)
		bail("socketpair or pipe");
	wire_enc_request(b);
	ok(wire_send(sv[0], b, pfd[0]) == 0, "send with a descriptor");
	ok(wire_recv(sv[1], b, WIRE_CTL_MAX, &fd) > 0 && fd >= 0,
	    "descriptor received");
	close(fd);
	wire_send(sv[0], b, pfd[0]);
	ok(wire_recv(sv[1], b, WIRE_CTL_MAX, NULL) == -1,
	    "unexpected descriptor refused");
	while (buf_len(big) < 100)
		buf_put_u8(big, 'x');
	wire_send(sv[0], big, -1);
	ok(wire_recv(sv[1], b, 50, NULL) == -1, "oversized frame refused");
	close(sv[0]);
	ok(wire_recv(sv[1], b, 50, NULL) == 0, "end of file is 0");
	close(sv[1]);
	close(pfd[0]);
	close(pfd[1]);
	buf_free(&b);
	buf_free(&big);
}

/*
 * The bounds of the decoders, each just inside and just outside it: the
 * frame's declared length against its data, every count and every string
 * length, trailing bytes after every frame type.  A verdict frame is
 * built by hand from a description, so that it may break any bound.
 */
struct vspec {
	size_t	 code, ecode, text, reason;	/* lengths; 0: absent */
	size_t	 nops, name, value;		/* each operation's */
	uint8_t	 has_value;
	size_t	 nrules, rule, nlogs, log;
	uint8_t	 lastop;			/* 0: HDR_ADD */
};

/* n bytes of c, as a length-prefixed string. */
static void
put_n(struct buf *b, size_t n, char c)
{
	size_t	 i;

	buf_put_u32(b, (uint32_t)n);
	for (i = 0; i < n; i++)
		buf_put_u8(b, (uint8_t)c);
}

static void
vspec_frame(struct buf *b, const struct vspec *s)
{
	size_t	 i;

	frame_begin(b);
	buf_put_u64(b, 1);
	buf_put_u8(b, ACTION_REJECT);
	buf_put_mem(b, "55555", s->code);	/* length-prefixed */
	put_n(b, s->ecode, '5');
	put_n(b, s->text, 't');
	put_n(b, s->reason, 'r');
	buf_put_u32(b, 0);	/* score */
	buf_put_u32(b, (uint32_t)s->nops);
	for (i = 0; i < s->nops; i++) {
		buf_put_u8(b, i + 1 == s->nops && s->lastop ? s->lastop :
		    HDR_ADD);
		buf_put_u32(b, 0);
		put_n(b, s->name, 'N');
		buf_put_u8(b, s->has_value);
		put_n(b, s->value, 'v');
	}
	buf_put_u32(b, (uint32_t)s->nrules);
	for (i = 0; i < s->nrules; i++)
		put_n(b, s->rule, 'r');
	buf_put_u32(b, (uint32_t)s->nlogs);
	for (i = 0; i < s->nlogs; i++)
		put_n(b, s->log, 'l');
	buf_poke_u32(b, 4, (uint32_t)(buf_len(b) - WIRE_HDR_LEN));
}

#define VS_OK	{ 3, 5, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0 }

static const struct vcase {
	struct vspec	 s;
	int		 ok;
	const char	*desc;
} vcases[] = {
	{ VS_OK, 1, "the control: a small verdict" },
	{ { 4, 5, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0 }, 0, "a reply code of 4" },
	{ { 3, 11, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0 }, 1,
	    "an enhanced code of 11" },
	{ { 3, 12, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0 }, 0,
	    "an enhanced code of 12" },
	{ { 3, 5, VERDICT_TEXT_MAX, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0 }, 1,
	    "a reply text of VERDICT_TEXT_MAX" },
	{ { 3, 5, VERDICT_TEXT_MAX + 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0 }, 0,
	    "a reply text one longer" },
	{ { 3, 5, 1, VERDICT_REASON_MAX, 1, 1, 1, 1, 1, 1, 1, 1, 0 }, 1,
	    "a reason of VERDICT_REASON_MAX" },
	{ { 3, 5, 1, VERDICT_REASON_MAX + 1, 1, 1, 1, 1, 1, 1, 1, 1, 0 }, 0,
	    "a reason one longer" },
	{ { 3, 5, 1, 0, VERDICT_OPS_MAX, 1, 1, 1, 1, 1, 1, 1, 0 }, 1,
	    "VERDICT_OPS_MAX header operations" },
	{ { 3, 5, 1, 0, VERDICT_OPS_MAX + 1, 1, 1, 1, 1, 1, 1, 1, 0 }, 0,
	    "one header operation more" },
	/*
	 * The one too many has op 32: a decoder that stored it past the
	 * array would write it over the count it loops on (x86-64: the byte
	 * after ops[31] is nops's lowest) and stop at 33 with no error.
	 */
	{ { 3, 5, 1, 0, VERDICT_OPS_MAX + 1, 1, 1, 1, 1, 1, 1, 1,
	    VERDICT_OPS_MAX }, 0, "one header operation more, of op 32" },
	{ { 3, 5, 1, 0, 1, VERDICT_HDR_NAME_MAX, 1, 1, 1, 1, 1, 1, 0 }, 1,
	    "a header name of VERDICT_HDR_NAME_MAX" },
	{ { 3, 5, 1, 0, 1, VERDICT_HDR_NAME_MAX + 1, 1, 1, 1, 1, 1, 1, 0 }, 0,
	    "a header name one longer" },
	{ { 3, 5, 1, 0, 1, 1, VERDICT_HDR_VALUE_MAX, 1, 1, 1, 1, 1, 0 }, 1,
	    "a header value of VERDICT_HDR_VALUE_MAX" },
	{ { 3, 5, 1, 0, 1, 1, VERDICT_HDR_VALUE_MAX + 1, 1, 1, 1, 1, 1, 0 }, 0,
	    "a header value one longer" },
	{ { 3, 5, 1, 0, 1, 1, 1, 2, 1, 1, 1, 1, 0 }, 0, "has_value 2" },
	{ { 3, 5, 1, 0, 1, 1, 0, 0, 1, 1, 1, 1, 0 }, 1,
	    "has_value 0, no value" },
	{ { 3, 5, 1, 0, 1, 1, 1, 1, VERDICT_RULES_MAX, 1, 1, 1, 0 }, 1,
	    "VERDICT_RULES_MAX rule names" },
	{ { 3, 5, 1, 0, 1, 1, 1, 1, VERDICT_RULES_MAX + 1, 1, 1, 1, 0 }, 0,
	    "one rule name more" },
	{ { 3, 5, 1, 0, 1, 1, 1, 1, 1, VERDICT_RULE_NAME_MAX, 1, 1, 0 }, 1,
	    "a rule name of VERDICT_RULE_NAME_MAX" },
	{ { 3, 5, 1, 0, 1, 1, 1, 1, 1, VERDICT_RULE_NAME_MAX + 1, 1, 1, 0 }, 0,
	    "a rule name one longer" },
	{ { 3, 5, 1, 0, 1, 1, 1, 1, 1, 1, VERDICT_LOGS_MAX, 1, 0 }, 1,
	    "VERDICT_LOGS_MAX log lines" },
	{ { 3, 5, 1, 0, 1, 1, 1, 1, 1, 1, VERDICT_LOGS_MAX + 1, 1, 0 }, 0,
	    "one log line more" },
	{ { 3, 5, 1, 0, 1, 1, 1, 1, 1, 1, 1, VERDICT_LOG_MAX, 0 }, 1,
	    "a log line of VERDICT_LOG_MAX" },
	{ { 3, 5, 1, 0, 1, 1, 1, 1, 1, 1, 1, VERDICT_LOG_MAX + 1, 0 }, 0,
	    "a log line one longer" },
};

static void
test_verdict_bounds(void)
{
	struct buf	*b = buf_new(4 * WIRE_VERDICT_MAX);
	struct verdict	 w;
	const char	*why;
	size_t		 i, n;
	int		 rc;

	for (i = 0; i < sizeof(vcases) / sizeof(vcases[0]); i++) {
		vspec_frame(b, &vcases[i].s);
		memset(&w, 0, sizeof(w));
		why = "ok";
		rc = wire_dec_verdict(buf_data(b), buf_len(b), &w, &why);
		ok(rc == (vcases[i].ok ? 0 : -1), "bound: %s: %s (%s)",
		    vcases[i].desc, vcases[i].ok ? "decodes" : "refused", why);
		ok(w.nops <= VERDICT_OPS_MAX && w.nrules <= VERDICT_RULES_MAX &&
		    w.nlogs <= VERDICT_LOGS_MAX, "bound: %s: counts within "
		    "the arrays", vcases[i].desc);
		verdict_clear(&w);
	}

	/* The declared length one short of the data, and one past it. */
	vspec_frame(b, &(struct vspec)VS_OK);
	n = buf_len(b);
	buf_poke_u32(b, 4, (uint32_t)(n - WIRE_HDR_LEN - 1));
	ok(dec_verdict(buf_data(b), n, &why) == -1 &&
	    strcmp(why, "bad frame length") == 0,
	    "bound: a declared length one short of the data is refused (%s)",
	    why);
	buf_poke_u32(b, 4, (uint32_t)(n - WIRE_HDR_LEN + 1));
	ok(dec_verdict(buf_data(b), n, &why) == -1 &&
	    strcmp(why, "bad frame length") == 0,
	    "bound: a declared length one past the data is refused (%s)", why);
	buf_free(&b);
}

/* A valid verdict frame of exactly n bytes: one header value fills it. */
static void
verdict_of_size(struct buf *b, size_t n)
{
	struct verdict	*v = verdict_new();
	char		*s;
	size_t		 len, i;

	v->nonce = 1;
	s = malloc(VERDICT_HDR_VALUE_MAX + 1);
	memset(s, 'v', VERDICT_HDR_VALUE_MAX);
	s[VERDICT_HDR_VALUE_MAX] = '\0';
	for (i = 0; i < VERDICT_OPS_MAX; i++)
		verdict_add_op(v, HDR_ADD, 0, "X-Filterd-Pad", s);
	wire_enc_verdict(b, v);
	len = buf_len(b);
	if (len < n || len - n > VERDICT_HDR_VALUE_MAX)
		bail("verdict_of_size: cannot make %zu bytes from %zu", n, len);
	s[VERDICT_HDR_VALUE_MAX - (len - n)] = '\0';
	free(v->ops[VERDICT_OPS_MAX - 1].value);
	v->ops[VERDICT_OPS_MAX - 1].value = strdup(s);
	wire_enc_verdict(b, v);
	if (buf_len(b) != n)
		bail("verdict_of_size: %zu bytes, not %zu", buf_len(b), n);
	free(s);
	verdict_free(&v);
}

static void
test_frame_size_bounds(void)
{
	struct buf	*b = buf_new(2 * WIRE_VERDICT_MAX);
	const char	*why = "ok";

	verdict_of_size(b, WIRE_VERDICT_MAX);
	ok(dec_verdict(buf_data(b), buf_len(b), &why) == 0,
	    "bound: a verdict frame of WIRE_VERDICT_MAX bytes decodes (%s)",
	    why);
	verdict_of_size(b, WIRE_VERDICT_MAX + 1);
	ok(dec_verdict(buf_data(b), buf_len(b), &why) == -1 &&
	    strstr(why, "too large") != NULL,
	    "bound: one byte more is too large (%s)", why);
	buf_free(&b);
}

/* Appends a byte to a frame, the declared length fixed up to cover it. */
static void
add_trailing(struct buf *b)
{
	buf_put_u8(b, 0);
	buf_poke_u32(b, 4, (uint32_t)(buf_len(b) - WIRE_HDR_LEN));
}

static void
test_small_frame_bounds(void)
{
	struct buf	*b = buf_new(WIRE_CTL_MAX);
	const char	*why;
	uint64_t	 u1, u2;
	pid_t		 pid;

	wire_enc_pid(b, WIRE_WORKER, INT32_MAX);
	ok(wire_dec_pid(buf_data(b), buf_len(b), WIRE_WORKER, &pid, &why) ==
	    0 && pid == INT32_MAX, "bound: pid INT32_MAX decodes");
	wire_enc_pid(b, WIRE_WORKER, 1);
	buf_poke_u32(b, WIRE_HDR_LEN, (uint32_t)INT32_MAX + 1);
	ok(wire_dec_pid(buf_data(b), buf_len(b), WIRE_WORKER, &pid, &why) ==
	    -1, "bound: pid INT32_MAX + 1 is refused");
	wire_enc_pid(b, WIRE_SPAWNER, 1);
	add_trailing(b);
	ok(wire_dec_pid(buf_data(b), buf_len(b), WIRE_SPAWNER, &pid, &why) ==
	    -1, "bound: a pid frame with a trailing byte is refused");
	wire_enc_jobref(b, 1, 2);
	add_trailing(b);
	ok(wire_dec_jobref(buf_data(b), buf_len(b), &u1, &u2, &why) == -1 &&
	    strstr(why, "trailing") != NULL,
	    "bound: a job reference with a trailing byte is refused");
	wire_enc_request(b);
	add_trailing(b);
	ok(wire_dec_request(buf_data(b), buf_len(b), &why) == -1,
	    "bound: a request with a trailing byte is refused");
	wire_enc_config(b, 1);
	add_trailing(b);
	ok(wire_dec_config(buf_data(b), buf_len(b), &u1, &why) == -1,
	    "bound: a config frame with a trailing byte is refused");
	buf_free(&b);
}

/* Decodes a job into a fresh message of the given body limit. */
static int
dec_job(const struct buf *b, size_t body_max, const char **why)
{
	struct message	*w = message_new(body_max);
	uint64_t	 nonce;
	int		 rc;

	*why = "ok";
	rc = wire_dec_job(buf_data(b), buf_len(b), &nonce, w, why);
	message_free(&w);
	return rc;
}

static void
test_job_bounds(void)
{
	struct message	*m = message_new(64);
	struct buf	*b = buf_new(1 << 20);
	const char	*why;
	uint8_t		*p;
	size_t		 i, off, max;

	message_set(&m->sender, "a@example.org");
	message_add_header(m, "Subject", "x");
	message_add_body(m, "0123456789abcdef", 16);
	/* Header and body count: the size is what message_size says. */
	max = message_size(m);
	wire_enc_job(b, 7, m);
	ok(dec_job(b, max, &why) == 0, "bound: a message of size_max decodes");
	ok(dec_job(b, max - 1, &why) == -1, "bound: a message one byte over is refused");
	add_trailing(b);
	ok(dec_job(b, max, &why) == -1 && strstr(why, "trailing") != NULL,
	    "bound: a job with a trailing byte is refused (%s)", why);

	/* The oversize flag is the byte before the body's length. */
	wire_enc_job(b, 7, m);
	off = buf_len(b) - 16 - 4 - 1;
	p = malloc(buf_len(b));
	memcpy(p, buf_data(b), buf_len(b));
	p[off] = 1;
	buf_reset(b);
	buf_put(b, p, off + 21);
	ok(dec_job(b, max, &why) == 0, "bound: oversize flag 1 decodes");
	p[off] = 3;
	buf_reset(b);
	buf_put(b, p, off + 21);
	ok(dec_job(b, max, &why) == 0,
	    "bound: oversize and trace flags (3) decode");
	p[off] = 4;
	buf_reset(b);
	buf_put(b, p, off + 21);
	ok(dec_job(b, max, &why) == -1, "bound: an unknown flag (4) is refused");
	free(p);

	/* Recipients are no part of the size. */
	for (i = 0; i < MSG_RCPTS_MAX; i++)
		message_add_rcpt(m, "r@example.net");
	wire_enc_job(b, 7, m);
	ok(m->nrcpts == MSG_RCPTS_MAX && dec_job(b, max, &why) == 0,
	    "bound: MSG_RCPTS_MAX recipients decode");
	message_free(&m);
	buf_free(&b);
}

/* wire_recv takes a frame of max bytes, and refuses one of max + 1. */
static void
test_recv_bounds(void)
{
	struct buf	*b = buf_new(128), *in = buf_new(128);
	int		 sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == -1)
		bail("socketpair");
	while (buf_len(b) < 50)
		buf_put_u8(b, 'x');
	wire_send(sv[0], b, -1);
	ok(wire_recv(sv[1], in, 50, NULL) == 50,
	    "bound: a frame of exactly max bytes is received");
	buf_put_u8(b, 'x');
	wire_send(sv[0], b, -1);
	ok(wire_recv(sv[1], in, 50, NULL) == -1 && errno == EMSGSIZE,
	    "bound: a frame of max + 1 bytes is refused");
	close(sv[0]);
	close(sv[1]);
	buf_free(&b);
	buf_free(&in);
}

/* How many descriptors this process has open. */
static int
open_fds(void)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		bail("/proc/self/fd: %s", strerror(errno));
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own */
}

/* Sends a frame with n copies of fd, bypassing wire_send_fds's bound. */
static void
raw_send_fds(int sock, const struct buf *b, int fd, size_t n)
{
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(8 * sizeof(int))];
	}		 cb;
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*c;
	size_t		 i;

	memset(&msg, 0, sizeof(msg));
	memset(&cb, 0, sizeof(cb));
	iov.iov_base = (void *)(uintptr_t)buf_data(b);
	iov.iov_len = buf_len(b);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cb.buf;
	msg.msg_controllen = CMSG_SPACE(n * sizeof(int));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(n * sizeof(int));
	for (i = 0; i < n; i++)
		memcpy(CMSG_DATA(c) + i * sizeof(int), &fd, sizeof(int));
	if (sendmsg(sock, &msg, 0) == -1)
		bail("sendmsg: %s", strerror(errno));
}

/* WIRE_WORKER's two descriptors: exactly two, in order, or none kept. */
static void
test_two_fds(void)
{
	struct buf	*b = buf_new(WIRE_CTL_MAX + 1);
	int		 sv[2], p1[2], p2[2], fds[2], got[2], base;
	char		 c = 0;
	size_t		 n;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == -1 ||
	    pipe(p1) == -1 || pipe(p2) == -1)
		bail("socketpair or pipe");
	wire_enc_pid(b, WIRE_WORKER, 42);
	fds[0] = p1[1];
	fds[1] = p2[1];
	ok(wire_send_fds(sv[0], b, fds, 2) == 0, "send with two descriptors");
	ok(wire_recv_fds(sv[1], b, WIRE_CTL_MAX, got, 2) > 0 &&
	    got[0] >= 0 && got[1] >= 0, "two descriptors received");
	ok(write(got[1], "2", 1) == 1 && read(p2[0], &c, 1) == 1 && c == '2' &&
	    write(got[0], "1", 1) == 1 && read(p1[0], &c, 1) == 1 && c == '1',
	    "in the order they were sent");
	close(got[0]);
	close(got[1]);
	ok(wire_send_fds(sv[0], b, fds, WIRE_FDS_MAX + 1) == -1 &&
	    errno == EINVAL, "no more than WIRE_FDS_MAX sent");
	base = open_fds();
	for (n = 0; n <= 4; n++) {
		if (n == 2)
			continue;
		if (n == 0)
			wire_send(sv[0], b, -1);
		else
			raw_send_fds(sv[0], b, p1[1], n);
		ok(wire_recv_fds(sv[1], b, WIRE_CTL_MAX, got, 2) == -1 &&
		    errno == EMSGSIZE && got[0] == -1 && got[1] == -1,
		    "a frame with %zu descriptors is refused where 2 must come",
		    n);
		is_int(open_fds(), base, "and none of them is left open");
	}
	raw_send_fds(sv[0], b, p1[1], 2);
	ok(wire_recv(sv[1], b, WIRE_CTL_MAX, &got[0]) == -1 &&
	    errno == EMSGSIZE && open_fds() == base,
	    "two descriptors refused where one may come, none left open");
	close(sv[0]);
	ok(wire_recv_fds(sv[1], b, WIRE_CTL_MAX, got, 2) == 0,
	    "end of file is 0");
	close(sv[1]);
	close(p1[0]);
	close(p1[1]);
	close(p2[0]);
	close(p2[1]);
	buf_free(&b);
}

/* A worker's channel: an empty record is not end of file. */
static void
test_peer(void)
{
	struct buf	*b = buf_new(WIRE_CTL_MAX + 1);
	struct buf	*empty = buf_new(1);
	int		 sv[2], pfd[2];
	pid_t		 pid = 0;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == -1 || pipe(pfd) == -1)
		bail("socketpair or pipe");
	wire_enc_request(b);
	wire_send(sv[1], b, -1);
	ok(wire_recv_peer(sv[0], b, WIRE_CTL_MAX, &pid) == -1 &&
	    errno == EPROTO, "without SO_PASSCRED a record is refused");
	ok(wire_passcred(sv[0]) == 0, "SO_PASSCRED set");
	wire_enc_request(b);
	wire_send(sv[1], b, -1);
	ok(wire_recv_peer(sv[0], b, WIRE_CTL_MAX, &pid) == WIRE_HDR_LEN,
	    "a frame");
	is_int(pid, getpid(), "and its sender's pid");
	wire_send(sv[1], empty, -1);
	ok(wire_recv_peer(sv[0], b, WIRE_CTL_MAX, &pid) == -1 &&
	    errno == EBADMSG, "an empty record is not end of file");
	wire_send(sv[1], b, pfd[0]);
	ok(wire_recv_peer(sv[0], b, WIRE_CTL_MAX, &pid) == -1 &&
	    errno == EMSGSIZE, "a descriptor is refused");
	wire_send(sv[1], empty, -1);
	close(sv[1]);
	ok(wire_recv_peer(sv[0], b, WIRE_CTL_MAX, &pid) == -1 &&
	    errno == EBADMSG, "an empty record just before the close too");
	ok(wire_recv_peer(sv[0], b, WIRE_CTL_MAX, &pid) == 0,
	    "then end of file is 0");
	close(sv[0]);
	close(pfd[0]);
	close(pfd[1]);
	buf_free(&b);
	buf_free(&empty);
}

/*
 * The trace of filterd -t --trace (the rules', rules.h): asked for by a
 * job flag, carried as the verdict's last, optional string only when
 * there is one, so that a verdict without one is the bytes it always
 * was; its bound holds.
 */
static void
test_trace(void)
{
	struct verdict	*v = sample_verdict(), w;
	struct message	*m = message_new(1024), *mm = message_new(1024);
	struct buf	*b = buf_new(WIRE_VERDICT_MAX + 16);
	const char	*why = NULL;
	const char	*t = "rule r1: condition c: hit on \"EXE\"\nrule r1: hit\n"
			    "rule r2: miss\n";
	char		*big;
	uint64_t	 nonce;
	size_t		 plain, i;
	uint8_t		*p;

	wire_enc_verdict(b, v);
	plain = buf_len(b);
	ok(verdict_set_trace(v, t) == 0, "a trace is set");
	ok(wire_enc_verdict(b, v) == 0 && buf_len(b) > plain,
	    "a verdict with a trace encodes, longer");
	memset(&w, 0, sizeof(w));
	ok(wire_dec_verdict(buf_data(b), buf_len(b), &w, &why) == 0 &&
	    w.trace != NULL && strcmp(w.trace, t) == 0 && w.nlogs == 1,
	    "the trace survives the round trip (%s)", why ? why : "ok");
	verdict_clear(&w);

	/* 1 to 3 bytes after the logs are no string: refused. */
	p = malloc(buf_len(b));
	for (i = 1; i < 4; i++) {
		memcpy(p, buf_data(b), plain + i);
		ok(dec_verdict(p, plain + i, &why) == -1,
		    "%zu byte(s) after the logs are refused (%s)", i, why);
	}
	/* A trace that says it is longer than the frame. */
	memcpy(p, buf_data(b), buf_len(b));
	p[plain] = 0xff;
	ok(dec_verdict(p, buf_len(b), &why) == -1,
	    "a trace longer than its frame is refused");
	free(p);

	/* VERDICT_TRACE_MAX fits a verdict frame; one byte more does not. */
	big = malloc(VERDICT_TRACE_MAX + 2);
	for (i = 0; i < VERDICT_TRACE_MAX + 1; i++)
		big[i] = i % 64 == 63 ? '\n' : 'x';
	big[VERDICT_TRACE_MAX + 1] = '\0';
	ok(verdict_set_trace(v, big) == -1,
	    "a trace over VERDICT_TRACE_MAX is not set");
	big[VERDICT_TRACE_MAX] = '\0';
	memset(&w, 0, sizeof(w));
	ok(verdict_set_trace(v, big) == 0 && wire_enc_verdict(b, v) == 0 &&
	    wire_dec_verdict(buf_data(b), buf_len(b), &w, &why) == 0 &&
	    w.trace != NULL && strlen(w.trace) == VERDICT_TRACE_MAX,
	    "a full trace fits a verdict frame");
	verdict_clear(&w);
	/* The same frame, its trace one byte longer than the bound. */
	big[VERDICT_TRACE_MAX] = 'x';
	free(v->trace);
	v->trace = big;
	ok(wire_enc_verdict(b, v) == 0 &&
	    dec_verdict(buf_data(b), buf_len(b), &why) == -1,
	    "a trace over VERDICT_TRACE_MAX is refused on decoding");
	free(v->trace);
	v->trace = NULL;
	ok(wire_enc_verdict(b, v) == 0 && buf_len(b) == plain,
	    "a dropped trace leaves the verdict as it was");

	m->trace = 1;
	message_set(&m->sender, "a@example.org");
	ok(wire_enc_job(b, 9, m) == 0 &&
	    wire_dec_job(buf_data(b), buf_len(b), &nonce, mm, &why) == 0 &&
	    mm->trace == 1 && mm->oversize == 0,
	    "a job's trace flag survives");
	message_free(&m);
	message_free(&mm);
	verdict_free(&v);
	buf_free(&b);
}

/*
 * WIRE_GRANT: 1 to WIRE_GRANT_MAX, nothing after.  WIRE_JOBHEAD: the
 * job's fields and a body length of 1 up to the message's limit, and
 * nothing after; the body is not in it.  wire_peek_type: the type of a
 * sound frame only.
 */
static void
test_grant_head(void)
{
	struct buf	*b = buf_new(WIRE_JOB_INLINE_MAX);
	struct message	*m = message_new(1000), *w;
	const char	*why;
	unsigned	 n;
	uint64_t	 nonce;
	size_t		 len;

	ok(wire_enc_grant(b, 5) == 0 && wire_dec_grant(buf_data(b),
	    buf_len(b), &n, &why) == 0 && n == 5, "grant round trip");
	ok(wire_peek_type(buf_data(b), buf_len(b)) == WIRE_GRANT,
	    "peek: a grant");
	ok(wire_peek_type(buf_data(b), buf_len(b) - 1) == -1,
	    "peek: not a frame one byte short");
	ok(wire_dec_request(buf_data(b), buf_len(b), &why) == -1,
	    "a grant is not a request");
	wire_enc_grant(b, WIRE_GRANT_MAX);
	ok(wire_dec_grant(buf_data(b), buf_len(b), &n, &why) == 0 &&
	    n == WIRE_GRANT_MAX, "bound: a grant of WIRE_GRANT_MAX decodes");
	wire_enc_grant(b, WIRE_GRANT_MAX + 1);
	ok(wire_dec_grant(buf_data(b), buf_len(b), &n, &why) == -1,
	    "bound: a grant of WIRE_GRANT_MAX + 1 is refused");
	wire_enc_grant(b, 0);
	ok(wire_dec_grant(buf_data(b), buf_len(b), &n, &why) == -1,
	    "bound: a grant of 0 is refused");
	wire_enc_grant(b, 1);
	add_trailing(b);
	ok(wire_dec_grant(buf_data(b), buf_len(b), &n, &why) == -1,
	    "bound: a grant with a trailing byte is refused");

	message_set(&m->sender, "a@example.org");
	message_add_header(m, "Subject", "x");
	ok(wire_enc_jobhead(b, 9, m) == -1, "no head for a message without "
	    "a body");
	message_add_body(m, "0123456789", 10);
	w = message_new(1000);
	ok(wire_enc_jobhead(b, 9, m) == 0 && wire_dec_jobhead(buf_data(b),
	    buf_len(b), &nonce, w, &len, &why) == 0 && nonce == 9 &&
	    len == 10 && w->bodylen == 0 && w->nhdrs == 1 &&
	    strcmp(w->sender, "a@example.org") == 0,
	    "head round trip: the fields and the body's length, no body");
	ok(message_body_ref(w, (const uint8_t *)"0123456789", len) == 0 &&
	    message_size(w) == message_size(m), "with its body it counts as "
	    "the message it came from");
	message_free(&w);
	ok(wire_peek_type(buf_data(b), buf_len(b)) == WIRE_JOBHEAD,
	    "peek: a head");
	w = message_new(1000);
	ok(wire_dec_job(buf_data(b), buf_len(b), &nonce, w, &why) == -1,
	    "a head is not a job");
	message_free(&w);
	add_trailing(b);
	w = message_new(1000);
	ok(wire_dec_jobhead(buf_data(b), buf_len(b), &nonce, w, &len,
	    &why) == -1, "bound: a head with a trailing byte is refused");
	message_free(&w);
	/* The body's length is the frame's last u32. */
	wire_enc_jobhead(b, 9, m);
	buf_poke_u32(b, buf_len(b) - 4, 0);
	w = message_new(1000);
	ok(wire_dec_jobhead(buf_data(b), buf_len(b), &nonce, w, &len,
	    &why) == -1, "bound: a head with a body of 0 is refused");
	message_free(&w);
	buf_poke_u32(b, buf_len(b) - 4, 1000);
	w = message_new(1000);
	ok(wire_dec_jobhead(buf_data(b), buf_len(b), &nonce, w, &len,
	    &why) == 0 && len == 1000, "bound: a head with a body of the "
	    "limit decodes");
	ok(message_body_ref(w, (const uint8_t *)"x", 1000) == -1,
	    "but the header leaves it no room: the body is refused");
	message_free(&w);
	buf_poke_u32(b, buf_len(b) - 4, 1001);
	w = message_new(1000);
	ok(wire_dec_jobhead(buf_data(b), buf_len(b), &nonce, w, &len,
	    &why) == -1, "bound: a head with a body over the limit is "
	    "refused");
	message_free(&w);
	message_free(&m);
	buf_free(&b);
}

int
main(void)
{
	test_verdict_roundtrip();
	test_verdict_malformed();
	test_verdict_fields();
	test_job_roundtrip();
	test_small_frames();
	test_socket_io();
	test_verdict_bounds();
	test_frame_size_bounds();
	test_small_frame_bounds();
	test_job_bounds();
	test_recv_bounds();
	test_two_fds();
	test_peer();
	test_trace();
	test_grant_head();
	return done_testing();
}
