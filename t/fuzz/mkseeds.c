/*
 * t/fuzz/mkseeds.c: writes the seed corpus of the wire fuzz target, one
 * valid frame per file, built with the real encoders so that the seeds
 * follow the wire format when it changes.  Runs at build time, by hand
 * ("make fuzz-seeds"); trusts its own input.
 *
 *	mkseeds DIR
 *
 * Each file is the selector byte of fuzz-wire.h followed by the frame.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filterd/lib/buf.h"
#include "filterd/lib/message.h"
#include "filterd/lib/verdict.h"
#include "filterd/lib/wire.h"
#include "t/fuzz/fuzz-wire.h"

static const char	*seed_dir;

static void	die(const char *, const char *) __attribute__((noreturn));

static void
die(const char *what, const char *name)
{
	fprintf(stderr, "mkseeds: %s: %s\n", name, what);
	exit(1);
}

/* Returns 0 when the frame decodes with the decoder it is a seed for. */
static int
seed_decodes(int decoder, const uint8_t *p, size_t n)
{
	struct verdict	 v;
	struct message	*m;
	uint64_t	 u1, u2;
	size_t		 len;
	unsigned	 count;
	pid_t		 pid;
	const char	*why;
	int		 rc = -1;

	switch (decoder) {
	case FW_VERDICT:
		memset(&v, 0, sizeof(v));
		rc = wire_dec_verdict(p, n, &v, &why);
		verdict_clear(&v);
		break;
	case FW_JOB:
		if ((m = message_new(FW_BODY_MAX)) == NULL)
			die("out of memory", "message_new");
		rc = wire_dec_job(p, n, &u1, m, &why);
		message_free(&m);
		break;
	case FW_JOBREF:
		rc = wire_dec_jobref(p, n, &u1, &u2, &why);
		break;
	case FW_WORKER:
		rc = wire_dec_pid(p, n, WIRE_WORKER, &pid, &why);
		break;
	case FW_SPAWNER:
		rc = wire_dec_pid(p, n, WIRE_SPAWNER, &pid, &why);
		break;
	case FW_REQUEST:
		rc = wire_dec_request(p, n, &why);
		break;
	case FW_CONFIG:
		rc = wire_dec_config(p, n, &u1, &why);
		break;
	case FW_GRANT:
		rc = wire_dec_grant(p, n, &count, &why);
		break;
	case FW_JOBHEAD:
		if ((m = message_new(FW_BODY_MAX)) == NULL)
			die("out of memory", "message_new");
		rc = wire_dec_jobhead(p, n, &u1, m, &len, &why);
		message_free(&m);
		break;
	}
	return rc;
}

/*
 * Writes the selector and the frame to DIR/name; the frame must decode,
 * or, when refused is set, must not.
 */
static void
seed_write_as(const char *name, int decoder, const struct buf *b,
    int refused)
{
	char		 path[4096];
	FILE		*f;
	unsigned char	 sel = (unsigned char)decoder;
	int		 n;

	if ((seed_decodes(decoder, buf_data(b), buf_len(b)) == -1) != refused)
		die(refused ? "the seed decodes" : "the seed does not decode",
		    name);
	n = snprintf(path, sizeof(path), "%s/%s", seed_dir, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		die("path too long", name);
	if ((f = fopen(path, "wb")) == NULL)
		die("cannot create", path);
	if (fwrite(&sel, 1, 1, f) != 1 ||
	    fwrite(buf_data(b), 1, buf_len(b), f) != buf_len(b) ||
	    fclose(f) == EOF)
		die("cannot write", path);
}

static void
seed_write(const char *name, int decoder, const struct buf *b)
{
	seed_write_as(name, decoder, b, 0);
}

static struct buf *
seed_buf(size_t max)
{
	struct buf	*b;

	if ((b = buf_new(max)) == NULL)
		die("out of memory", "buf_new");
	return b;
}

static void
seed_verdict(const char *name, const struct verdict *v)
{
	struct buf	*b = seed_buf(WIRE_VERDICT_MAX);

	if (wire_enc_verdict(b, v) == -1)
		die("cannot encode", name);
	seed_write(name, FW_VERDICT, b);
	buf_free(&b);
}

static struct verdict *
verdict_base(uint64_t nonce, int action)
{
	struct verdict	*v;

	if ((v = verdict_new()) == NULL)
		die("out of memory", "verdict_new");
	v->nonce = nonce;
	v->action = (uint8_t)action;
	return v;
}

/* One verdict of each action, each with what that action may carry. */
static void
seeds_verdict_actions(void)
{
	struct verdict	*v;
	int		 rc;

	v = verdict_base(1, ACTION_NONE);
	seed_verdict("verdict-none-empty", v);
	verdict_free(&v);

	v = verdict_base(0x0123456789abcdefULL, ACTION_ACCEPT);
	v->score = 1500;
	rc = verdict_add_op(v, HDR_ADD, 0, "X-Filterd-Score", "1.5");
	seed_verdict("verdict-accept-add-header", v);
	verdict_free(&v);

	v = verdict_base(2, ACTION_REJECT);
	rc |= verdict_set_reply(v, "550", "5.7.1", "Subject not allowed");
	rc |= verdict_add_rule(v, "bad-subject");
	v->score = 10000;
	seed_verdict("verdict-reject-reply", v);
	verdict_free(&v);

	v = verdict_base(3, ACTION_TEMPFAIL);
	rc |= verdict_set_reply(v, "451", "4.7.1", "Try again later");
	rc |= verdict_add_rule(v, "blocked-sender");
	rc |= verdict_add_log(v, "sender matched @spam\\.example$");
	seed_verdict("verdict-tempfail-reply", v);
	verdict_free(&v);

	v = verdict_base(4, ACTION_REJECT);
	rc |= verdict_set_reply(v, "554", NULL, NULL);
	seed_verdict("verdict-reject-code-only", v);
	verdict_free(&v);

	/* filterd -t --trace: the trace after the logs. */
	v = verdict_base(5, ACTION_REJECT);
	rc |= verdict_add_rule(v, "bad-subject");
	rc |= verdict_set_trace(v, "rule lottery: miss\n"
	    "rule bad-subject: hit on \"EXECUTABLE \\xc3\\xa9\"\n");
	seed_verdict("verdict-reject-trace", v);
	verdict_free(&v);

	v = verdict_base(5, ACTION_DISCARD);
	rc |= verdict_add_log(v, "discarded");
	seed_verdict("verdict-discard", v);
	verdict_free(&v);

	v = verdict_base(6, ACTION_QUARANTINE);
	rc |= verdict_set_reason(v, "attachment with a double extension");
	rc |= verdict_add_rule(v, "double-ext");
	v->score = -2500;
	seed_verdict("verdict-quarantine-reason", v);
	verdict_free(&v);
	if (rc != 0)
		die("verdict builder failed", "verdict-actions");
}

/* Every header operation, rules and logs at once, and a folded value. */
static void
seeds_verdict_ops(void)
{
	struct verdict	*v;
	char		 name[32];
	int		 rc, i;

	v = verdict_base(7, ACTION_ACCEPT);
	rc = verdict_add_op(v, HDR_ADD, 0, "X-Filterd-Rule", "lottery");
	rc |= verdict_add_op(v, HDR_INSERT, 0, "X-Filterd-First", "yes");
	rc |= verdict_add_op(v, HDR_CHANGE, 1, "Subject",
	    "[SPAM] You have won\r\n\tthe lottery");
	rc |= verdict_add_op(v, HDR_CHANGE, 2, "X-Filterd-Empty", "");
	rc |= verdict_add_op(v, HDR_DELETE, 3, "X-Spam-Flag", NULL);
	rc |= verdict_add_rule(v, "lottery");
	rc |= verdict_add_rule(v, "subject-tag");
	rc |= verdict_add_log(v, "body matched (?i)you have won");
	rc |= verdict_add_log(v, "subject tagged");
	v->score = 7250;
	seed_verdict("verdict-header-ops", v);
	verdict_free(&v);

	v = verdict_base(UINT64_MAX, ACTION_ACCEPT);
	for (i = 0; i < VERDICT_RULES_MAX; i++) {
		snprintf(name, sizeof(name), "rule-%d", i);
		rc |= verdict_add_rule(v, name);
	}
	for (i = 0; i < VERDICT_LOGS_MAX; i++)
		rc |= verdict_add_log(v, "log line");
	for (i = 0; i < VERDICT_OPS_MAX; i++)
		rc |= verdict_add_op(v, HDR_DELETE, (uint32_t)i + 1,
		    "X-Filterd-Old", NULL);
	seed_verdict("verdict-all-lists-full", v);
	verdict_free(&v);
	if (rc != 0)
		die("verdict builder failed", "verdict-ops");
}

static void
seed_job(const char *name, uint64_t nonce, const struct message *m)
{
	struct buf	*b = seed_buf(FW_BODY_MAX + WIRE_JOB_OVERHEAD);

	if (wire_enc_job(b, nonce, m) == -1)
		die("cannot encode", name);
	seed_write(name, FW_JOB, b);
	buf_free(&b);
}

static void
seed_jobhead(const char *name, uint64_t nonce, const struct message *m)
{
	struct buf	*b = seed_buf(WIRE_JOB_INLINE_MAX);

	if (wire_enc_jobhead(b, nonce, m) == -1)
		die("cannot encode", name);
	seed_write(name, FW_JOBHEAD, b);
	buf_free(&b);
}

static struct message *
job_base(void)
{
	struct message	*m;
	int		 rc;

	if ((m = message_new(FW_BODY_MAX)) == NULL)
		die("out of memory", "message_new");
	rc = message_set(&m->queue_id, "4XyZ1h2Kq9z3");
	rc |= message_set(&m->client_addr, "192.0.2.25");
	rc |= message_set(&m->client_name, "mail.example.net");
	rc |= message_set(&m->helo, "mail.example.net");
	rc |= message_set(&m->sender, "alice@example.net");
	rc |= message_add_rcpt(m, "bob@example.org");
	if (rc != 0)
		die("message setter failed", "job-base");
	return m;
}

static void
seeds_job(void)
{
	static const char body[] = "Hello Bob,\r\n\r\nyou have won.\r\n"
	    "-- \r\nAlice\r\n";
	static const unsigned char binary[] = { 0, 1, 0xff, '\r', '\n', 0x80 };
	struct message	*m;
	int		 rc;

	if ((m = message_new(FW_BODY_MAX)) == NULL)
		die("out of memory", "message_new");
	seed_job("job-empty", 0, m);
	message_free(&m);

	m = job_base();
	rc = message_add_rcpt(m, "carol@example.org");
	rc |= message_add_macro(m, "i", "4XyZ1h2Kq9z3");
	rc |= message_add_macro(m, "j", "mx.example.org");
	rc |= message_add_macro(m, "{auth_authen}", "alice");
	rc |= message_add_header(m, "Received", "from mail.example.net\r\n\t"
	    "by mx.example.org; Mon, 1 Jan 2024 00:00:00 +0000");
	rc |= message_add_header(m, "From", "Alice <alice@example.net>");
	rc |= message_add_header(m, "To", "Bob <bob@example.org>");
	rc |= message_add_header(m, "Subject", "You have won");
	rc |= message_add_header(m, "X-Empty", "");
	rc |= message_add_body(m, body, sizeof(body) - 1);
	seed_job("job-headers-body", 42, m);
	seed_jobhead("jobhead-headers-body", 44, m);
	message_free(&m);

	m = job_base();
	rc |= message_add_header(m, "Subject", "binary");
	rc |= message_add_body(m, binary, sizeof(binary));
	seed_job("job-binary-body", UINT64_MAX, m);
	m->oversize = 1;
	seed_job("job-oversize", 43, m);
	message_free(&m);
	if (rc != 0)
		die("message setter failed", "job");
}

static void
seeds_control(void)
{
	struct buf	*b = seed_buf(WIRE_CTL_MAX);

	if (wire_enc_jobref(b, 42, 1234) == -1)
		die("cannot encode", "jobref");
	seed_write("jobref-small", FW_JOBREF, b);
	if (wire_enc_jobref(b, UINT64_MAX, (uint64_t)FW_BODY_MAX +
	    WIRE_JOB_OVERHEAD) == -1)
		die("cannot encode", "jobref");
	seed_write("jobref-large", FW_JOBREF, b);
	if (wire_enc_pid(b, WIRE_WORKER, 12345) == -1)
		die("cannot encode", "pid");
	seed_write("pid-worker", FW_WORKER, b);
	if (wire_enc_pid(b, WIRE_SPAWNER, 0x7fffffff) == -1)
		die("cannot encode", "pid");
	seed_write("pid-spawner-max", FW_SPAWNER, b);
	if (wire_enc_request(b) == -1)
		die("cannot encode", "request");
	seed_write("request", FW_REQUEST, b);
	if (wire_enc_config(b, 3) == -1)
		die("cannot encode", "config");
	seed_write("config-generation", FW_CONFIG, b);
	if (wire_enc_grant(b, 3) == -1)
		die("cannot encode", "grant");
	seed_write("grant", FW_GRANT, b);
	if (wire_enc_grant(b, WIRE_GRANT_MAX) == -1)
		die("cannot encode", "grant");
	seed_write("grant-max", FW_GRANT, b);
	buf_free(&b);
}

/*
 * Frames at the decoders' bounds, by hand: the largest count that fits
 * and one more, a declared length one off the data, a flag of 2, a
 * trailing byte.  Those one past a bound must be refused; under the
 * sanitizers, replay-wire shows any byte read or written past an array.
 */
struct bspec {
	size_t	 nops, nrules, nlogs;
	uint8_t	 has_value;
	int	 lendelta;	/* added to the declared length */
	uint8_t	 lastop;	/* the last operation's; 0: HDR_ADD */
};

static void
bound_verdict(struct buf *b, const struct bspec *s)
{
	size_t	 i;

	buf_reset(b);
	if (buf_put_u8(b, WIRE_VERSION) == -1 ||
	    buf_put_u8(b, WIRE_VERDICT) == -1 || buf_put_u16(b, 0) == -1 ||
	    buf_put_u32(b, 0) == -1 || buf_put_u64(b, 7) == -1 ||
	    buf_put_u8(b, ACTION_ACCEPT) == -1)
		die("cannot build", "bound verdict");
	for (i = 0; i < 5; i++)		/* no reply, no reason, score 0 */
		(void)buf_put_u32(b, 0);
	(void)buf_put_u32(b, (uint32_t)s->nops);
	for (i = 0; i < s->nops; i++) {
		(void)buf_put_u8(b, i + 1 == s->nops && s->lastop ? s->lastop :
		    HDR_ADD);
		(void)buf_put_u32(b, 0);
		(void)buf_put_str(b, "X-Filterd-B");
		(void)buf_put_u8(b, s->has_value);
		(void)buf_put_str(b, "v");
	}
	(void)buf_put_u32(b, (uint32_t)s->nrules);
	for (i = 0; i < s->nrules; i++)
		(void)buf_put_str(b, "rule");
	(void)buf_put_u32(b, (uint32_t)s->nlogs);
	for (i = 0; i < s->nlogs; i++)
		(void)buf_put_str(b, "log");
	if (buf_poke_u32(b, 4, (uint32_t)((long)buf_len(b) - WIRE_HDR_LEN +
	    s->lendelta)) == -1)
		die("cannot build", "bound verdict");
}

static void
seeds_bounds(void)
{
	static const struct {
		const char	*name;
		struct bspec	 s;
		int		 refused;
	} v[] = {
		{ "bound-verdict-ops-max",
		    { VERDICT_OPS_MAX, 0, 0, 1, 0, 0 }, 0 },
		{ "bound-verdict-ops-over",
		    { VERDICT_OPS_MAX + 1, 0, 0, 1, 0, 0 }, 1 },
		/* Written past the array, op 32 would land on the count. */
		{ "bound-verdict-ops-over-op32",
		    { VERDICT_OPS_MAX + 1, 0, 0, 1, 0, VERDICT_OPS_MAX }, 1 },
		{ "bound-verdict-rules-max",
		    { 0, VERDICT_RULES_MAX, 0, 1, 0, 0 }, 0 },
		{ "bound-verdict-rules-over",
		    { 0, VERDICT_RULES_MAX + 1, 0, 1, 0, 0 }, 1 },
		{ "bound-verdict-logs-max",
		    { 0, 0, VERDICT_LOGS_MAX, 1, 0, 0 }, 0 },
		{ "bound-verdict-logs-over",
		    { 0, 0, VERDICT_LOGS_MAX + 1, 1, 0, 0 }, 1 },
		{ "bound-verdict-has-value-2", { 1, 0, 0, 2, 0, 0 }, 1 },
		{ "bound-verdict-length-short", { 1, 1, 1, 1, -1, 0 }, 1 },
		{ "bound-verdict-length-long", { 1, 1, 1, 1, 1, 0 }, 1 },
	};
	struct buf	*b = seed_buf(WIRE_VERDICT_MAX);
	struct message	*m;
	size_t		 i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		bound_verdict(b, &v[i].s);
		seed_write_as(v[i].name, FW_VERDICT, b, v[i].refused);
	}
	if ((m = message_new(FW_BODY_MAX)) == NULL ||
	    message_set(&m->sender, "a@example.org") == -1 ||
	    message_add_body(m, "x", 1) == -1 || wire_enc_job(b, 9, m) == -1 ||
	    buf_put_u8(b, 0) == -1 ||
	    buf_poke_u32(b, 4, (uint32_t)(buf_len(b) - WIRE_HDR_LEN)) == -1)
		die("cannot build", "bound job");
	seed_write_as("bound-job-trailing-byte", FW_JOB, b, 1);
	message_free(&m);
	if (wire_enc_pid(b, WIRE_WORKER, 1) == -1 ||
	    buf_poke_u32(b, WIRE_HDR_LEN, (uint32_t)INT32_MAX + 1) == -1)
		die("cannot build", "bound pid");
	seed_write_as("bound-pid-over", FW_WORKER, b, 1);
	buf_free(&b);
}

int
main(int argc, char *argv[])
{
	if (argc != 2) {
		fprintf(stderr, "usage: mkseeds dir\n");
		return 2;
	}
	seed_dir = argv[1];
	seeds_verdict_actions();
	seeds_verdict_ops();
	seeds_job();
	seeds_control();
	seeds_bounds();
	return 0;
}
