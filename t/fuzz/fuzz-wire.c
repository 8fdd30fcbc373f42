/*
 * t/fuzz/fuzz-wire.c: a libFuzzer target over every wire decoder.  Runs in
 * a test program and trusts nothing in its input, which plays the worker
 * (verdict), the supervisor (job, job head, job reference, grant) or the
 * spawner and parent (pid frames, requests).  The first byte picks the decoder (fuzz-wire.h);
 * the rest is the frame.
 *
 * Besides "no crash, no leak" it checks the decoders' contract: they
 * return 0 or -1 with a reason, and what they accept stays within the
 * documented bounds.  What decodes is encoded again and must decode to the
 * same fields; the verdict and control frames have one encoding only, so
 * theirs must also be the very bytes that came in.  A broken property
 * aborts, which libFuzzer reports as a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filterd/lib/buf.h"
#include "filterd/lib/message.h"
#include "filterd/lib/verdict.h"
#include "filterd/lib/wire.h"
#include "t/fuzz/fuzz-wire.h"

#define CHECK(c) do {							\
	if (!(c))							\
		fw_fail(__LINE__, #c);					\
} while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	fw_fail(int, const char *) __attribute__((noreturn));

static void
fw_fail(int line, const char *what)
{
	fprintf(stderr, "fuzz-wire.c:%d: property broken: %s\n", line, what);
	abort();
}

/* The calling convention every decoder follows. */
static void
fw_result(int rc, const char *why)
{
	CHECK(rc == 0 || rc == -1);
	CHECK(rc == 0 || why != NULL);
}

static int
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int
str_within(const char *s, size_t max)
{
	return s == NULL || strnlen(s, max + 1) <= max;
}

/* A string the decoder must have set: present and bounded. */
static int
str_set(const char *s, size_t max)
{
	return s != NULL && str_within(s, max);
}

/* A nullable field: absent, or present and not empty. */
static int
str_opt(const char *s, size_t max)
{
	return s == NULL || (*s != '\0' && str_within(s, max));
}

static int
same_bytes(const struct buf *b, const uint8_t *p, size_t n)
{
	return buf_len(b) == n && (n == 0 || memcmp(buf_data(b), p, n) == 0);
}

static void
fw_verdict_bounds(const struct verdict *v)
{
	size_t	 i;

	CHECK(str_opt(v->code, 3));
	CHECK(str_opt(v->ecode, 11));
	CHECK(str_opt(v->text, VERDICT_TEXT_MAX));
	CHECK(str_opt(v->reason, VERDICT_REASON_MAX));
	CHECK(v->nops <= VERDICT_OPS_MAX);
	CHECK(v->nrules <= VERDICT_RULES_MAX);
	CHECK(v->nlogs <= VERDICT_LOGS_MAX);
	for (i = 0; i < v->nops; i++) {
		CHECK(str_set(v->ops[i].name, VERDICT_HDR_NAME_MAX));
		CHECK(str_within(v->ops[i].value, VERDICT_HDR_VALUE_MAX));
	}
	for (i = 0; i < v->nrules; i++)
		CHECK(str_set(v->rules[i], VERDICT_RULE_NAME_MAX));
	for (i = 0; i < v->nlogs; i++)
		CHECK(str_set(v->logs[i], VERDICT_LOG_MAX));
}

static void
fw_verdict_same(const struct verdict *a, const struct verdict *b)
{
	size_t	 i;

	CHECK(a->nonce == b->nonce);
	CHECK(a->action == b->action);
	CHECK(str_eq(a->code, b->code));
	CHECK(str_eq(a->ecode, b->ecode));
	CHECK(str_eq(a->text, b->text));
	CHECK(str_eq(a->reason, b->reason));
	CHECK(a->score == b->score);
	CHECK(a->nops == b->nops);
	for (i = 0; i < a->nops; i++) {
		CHECK(a->ops[i].op == b->ops[i].op);
		CHECK(a->ops[i].index == b->ops[i].index);
		CHECK(str_eq(a->ops[i].name, b->ops[i].name));
		CHECK(str_eq(a->ops[i].value, b->ops[i].value));
	}
	CHECK(a->nrules == b->nrules);
	for (i = 0; i < a->nrules; i++)
		CHECK(str_eq(a->rules[i], b->rules[i]));
	CHECK(a->nlogs == b->nlogs);
	for (i = 0; i < a->nlogs; i++)
		CHECK(str_eq(a->logs[i], b->logs[i]));
}

/* Encodes a decoded verdict again: same fields, same bytes. */
static void
fw_verdict_again(const struct verdict *v, const uint8_t *p, size_t n)
{
	struct verdict	 v2;
	struct buf	*b;
	const char	*why = NULL;

	CHECK((b = buf_new(WIRE_VERDICT_MAX)) != NULL);
	CHECK(wire_enc_verdict(b, v) == 0);
	memset(&v2, 0, sizeof(v2));
	CHECK(wire_dec_verdict(buf_data(b), buf_len(b), &v2, &why) == 0);
	fw_verdict_same(v, &v2);
	CHECK(same_bytes(b, p, n));
	verdict_clear(&v2);
	buf_free(&b);
}

static void
fw_verdict(const uint8_t *p, size_t n)
{
	struct verdict	 v;
	const char	*why = NULL;
	int		 rc;

	memset(&v, 0, sizeof(v));
	rc = wire_dec_verdict(p, n, &v, &why);
	fw_result(rc, why);
	if (rc == 0) {
		fw_verdict_bounds(&v);
		fw_verdict_again(&v, p, n);
	}
	verdict_clear(&v);
}

static void
fw_kvs_bounds(const struct kv *v, size_t n, size_t name_max,
    size_t value_max)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		CHECK(str_set(v[i].name, name_max));
		CHECK(str_set(v[i].value, value_max));
	}
}

static void
fw_job_bounds(const struct message *m)
{
	size_t	 i, j;

	CHECK(str_set(m->queue_id, MSG_STR_MAX));
	CHECK(str_set(m->client_addr, MSG_STR_MAX));
	CHECK(str_set(m->client_name, MSG_STR_MAX));
	CHECK(str_set(m->helo, MSG_STR_MAX));
	CHECK(str_set(m->sender, MSG_STR_MAX));
	CHECK(m->nrcpts <= MSG_RCPTS_MAX);
	for (i = 0; i < m->nrcpts; i++)
		CHECK(str_set(m->rcpts[i], MSG_STR_MAX));
	CHECK(m->nmacros <= MSG_MACROS_MAX);
	fw_kvs_bounds(m->macros, m->nmacros, MSG_HDR_NAME_MAX, MSG_STR_MAX);
	for (i = 0; i < m->nmacros; i++)
		for (j = i + 1; j < m->nmacros; j++)
			CHECK(!str_eq(m->macros[i].name, m->macros[j].name));
	CHECK(m->nhdrs <= MSG_HDRS_MAX);
	fw_kvs_bounds(m->hdrs, m->nhdrs, MSG_HDR_NAME_MAX, MSG_HDR_VALUE_MAX);
	CHECK(message_size(m) <= m->size_max);
	CHECK(m->bodylen == 0 || m->body != NULL);
	CHECK(m->oversize == 0 || m->oversize == 1);
}

static void
fw_kvs_same(const struct kv *a, const struct kv *b, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		CHECK(str_eq(a[i].name, b[i].name));
		CHECK(str_eq(a[i].value, b[i].value));
	}
}

static void
fw_job_same(const struct message *a, const struct message *b)
{
	size_t	 i;

	CHECK(str_eq(a->queue_id, b->queue_id));
	CHECK(str_eq(a->client_addr, b->client_addr));
	CHECK(str_eq(a->client_name, b->client_name));
	CHECK(str_eq(a->helo, b->helo));
	CHECK(str_eq(a->sender, b->sender));
	CHECK(a->nrcpts == b->nrcpts);
	for (i = 0; i < a->nrcpts; i++)
		CHECK(str_eq(a->rcpts[i], b->rcpts[i]));
	CHECK(a->nmacros == b->nmacros);
	fw_kvs_same(a->macros, b->macros, a->nmacros);
	CHECK(a->nhdrs == b->nhdrs);
	fw_kvs_same(a->hdrs, b->hdrs, a->nhdrs);
	CHECK(a->bodylen == b->bodylen);
	CHECK(a->bodylen == 0 || memcmp(a->body, b->body, a->bodylen) == 0);
	CHECK(a->oversize == b->oversize);
}

/*
 * Encodes a decoded job again.  A job may name a macro twice and the
 * decoder keeps the last value, so the bytes may differ from the input,
 * but never grow; the second encoding is then a fixed point.
 */
static void
fw_job_again(uint64_t nonce, const struct message *m, size_t n)
{
	struct message	*m2;
	struct buf	*b, *b2;
	uint64_t	 nonce2 = 0;
	const char	*why = NULL;

	CHECK((b = buf_new(n)) != NULL);
	CHECK((b2 = buf_new(n)) != NULL);
	CHECK((m2 = message_new(m->size_max)) != NULL);
	CHECK(wire_enc_job(b, nonce, m) == 0);
	CHECK(wire_dec_job(buf_data(b), buf_len(b), &nonce2, m2, &why) == 0);
	CHECK(nonce2 == nonce);
	fw_job_same(m, m2);
	CHECK(wire_enc_job(b2, nonce2, m2) == 0);
	CHECK(same_bytes(b2, buf_data(b), buf_len(b)));
	message_free(&m2);
	buf_free(&b2);
	buf_free(&b);
}

static void
fw_job(const uint8_t *p, size_t n)
{
	struct message	*m;
	uint64_t	 nonce = 0;
	const char	*why = NULL;
	int		 rc;

	CHECK((m = message_new(FW_BODY_MAX)) != NULL);
	rc = wire_dec_job(p, n, &nonce, m, &why);
	fw_result(rc, why);
	if (rc == 0) {
		fw_job_bounds(m);
		fw_job_again(nonce, m, n);
	}
	message_free(&m);
}

static void
fw_jobref(const uint8_t *p, size_t n)
{
	struct buf	*b;
	uint64_t	 nonce = 0, size = 0;
	const char	*why = NULL;
	int		 rc;

	rc = wire_dec_jobref(p, n, &nonce, &size, &why);
	fw_result(rc, why);
	if (rc == -1)
		return;
	CHECK((b = buf_new(WIRE_CTL_MAX)) != NULL);
	CHECK(wire_enc_jobref(b, nonce, size) == 0);
	CHECK(same_bytes(b, p, n));
	buf_free(&b);
}

static void
fw_pid(const uint8_t *p, size_t n, int type)
{
	struct buf	*b;
	pid_t		 pid = 0;
	const char	*why = NULL;
	int		 rc;

	rc = wire_dec_pid(p, n, type, &pid, &why);
	fw_result(rc, why);
	if (rc == -1)
		return;
	CHECK(pid > 0);
	CHECK((b = buf_new(WIRE_CTL_MAX)) != NULL);
	CHECK(wire_enc_pid(b, type, pid) == 0);
	CHECK(same_bytes(b, p, n));
	buf_free(&b);
}

static void
fw_request(const uint8_t *p, size_t n)
{
	struct buf	*b;
	const char	*why = NULL;
	int		 rc;

	rc = wire_dec_request(p, n, &why);
	fw_result(rc, why);
	if (rc == -1)
		return;
	CHECK((b = buf_new(WIRE_CTL_MAX)) != NULL);
	CHECK(wire_enc_request(b) == 0);
	CHECK(same_bytes(b, p, n));
	buf_free(&b);
}

static void
fw_config(const uint8_t *p, size_t n)
{
	struct buf	*b;
	uint64_t	 gen = 0;
	const char	*why = NULL;
	int		 rc;

	rc = wire_dec_config(p, n, &gen, &why);
	fw_result(rc, why);
	if (rc == -1)
		return;
	CHECK(gen > 0);
	CHECK((b = buf_new(WIRE_CTL_MAX)) != NULL);
	CHECK(wire_enc_config(b, gen) == 0);
	CHECK(same_bytes(b, p, n));
	buf_free(&b);
}

static void
fw_grant(const uint8_t *p, size_t n)
{
	struct buf	*b;
	unsigned	 count = 0;
	const char	*why = NULL;
	int		 rc;

	rc = wire_dec_grant(p, n, &count, &why);
	fw_result(rc, why);
	if (rc == -1)
		return;
	CHECK(count >= 1 && count <= WIRE_GRANT_MAX);
	CHECK((b = buf_new(WIRE_CTL_MAX)) != NULL);
	CHECK(wire_enc_grant(b, count) == 0);
	CHECK(same_bytes(b, p, n));
	buf_free(&b);
}

/*
 * A job's head: within bounds, and encoded again with a body of the
 * length it names, it decodes to the same fields (as fw_job_again).
 */
static void
fw_jobhead(const uint8_t *p, size_t n)
{
	static const uint8_t	 zeros[FW_BODY_MAX];
	struct message		*m, *m2;
	struct buf		*b;
	uint64_t		 nonce = 0, nonce2 = 0;
	size_t			 len = 0, len2 = 0;
	const char		*why = NULL;
	int			 rc;

	CHECK((m = message_new(FW_BODY_MAX)) != NULL);
	rc = wire_dec_jobhead(p, n, &nonce, m, &len, &why);
	fw_result(rc, why);
	if (rc == 0) {
		CHECK(len >= 1 && len <= FW_BODY_MAX && m->bodylen == 0);
		fw_job_bounds(m);
		/* The body the worker would map; too large: refused there. */
		if (message_body_ref(m, zeros, len) == 0) {
			CHECK((b = buf_new(n)) != NULL);
			CHECK((m2 = message_new(m->size_max)) != NULL);
			CHECK(wire_enc_jobhead(b, nonce, m) == 0);
			CHECK(wire_dec_jobhead(buf_data(b), buf_len(b), &nonce2,
			    m2, &len2, &why) == 0);
			CHECK(nonce2 == nonce && len2 == len);
			CHECK(message_body_ref(m2, zeros, len2) == 0);
			fw_job_same(m, m2);
			message_free(&m2);
			buf_free(&b);
		}
	}
	message_free(&m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % FW_NDEC) {
	case FW_VERDICT:
		fw_verdict(data + 1, size - 1);
		break;
	case FW_JOB:
		fw_job(data + 1, size - 1);
		break;
	case FW_JOBREF:
		fw_jobref(data + 1, size - 1);
		break;
	case FW_WORKER:
		fw_pid(data + 1, size - 1, WIRE_WORKER);
		break;
	case FW_SPAWNER:
		fw_pid(data + 1, size - 1, WIRE_SPAWNER);
		break;
	case FW_REQUEST:
		fw_request(data + 1, size - 1);
		break;
	case FW_CONFIG:
		fw_config(data + 1, size - 1);
		break;
	case FW_GRANT:
		fw_grant(data + 1, size - 1);
		break;
	case FW_JOBHEAD:
		fw_jobhead(data + 1, size - 1);
		break;
	}
	return 0;
}
