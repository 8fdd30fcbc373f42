/*
 * t/fuzz/fuzz-smtpd.c: a libFuzzer target over the bytes smtpd writes to
 * its filter, through the OpenSMTPD protocol machine (smtpd_proto.c).
 * Runs in a test program and trusts nothing in its input.
 *
 * Byte 0: bit 0 prepends a handshake (config|subsystem|smtp-in,
 * config|ready), bits 1-3 pick limits.oversize, bits 4-7 start the
 * rotation of verdicts; byte 1 picks limits.message_size (16 to 4096).
 * The rest is smtpd's stream, fed in chunks of varying size; after each
 * chunk a fake worker answers every job with the next verdict of the
 * rotation: accept with header operations of every kind, reject,
 * tempfail, quarantine, discard, or the fallback.
 *
 * Besides "no crash, no leak, no hang", it checks what filterd writes
 * back to smtpd: only whole lines, each "register|...",
 * "filter-result|SESSION|TOKEN|..." or "filter-dataline|SESSION|TOKEN|..."
 * with hexadecimal ids; that every job handed out is taken back; and that
 * the machine, once broken, stays broken.  A broken property aborts,
 * which libFuzzer reports as a crash.
 *
 * The log functions are stubs here, so that the fuzzer is not slowed by
 * one line per message on stderr.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filterd/lib/log.h"
#include "filterd/lib/message.h"
#include "filterd/opensmtpd_proto.h"
#include "filterd/lib/verdict.h"

#define CHECK(c) do {							\
	if (!(c))							\
		fs_fail(__LINE__, #c);					\
} while (0)

#define FS_JOBS_MAX	4096

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	fs_fail(int, const char *) __attribute__((noreturn));

struct fs {
	struct smtpd_job	*jobs[FS_JOBS_MAX];
	size_t			 njobs;
	unsigned		 turn;
};

static void
fs_fail(int line, const char *what)
{
	fprintf(stderr, "fuzz-smtpd.c:%d: property broken: %s\n", line, what);
	abort();
}

static void
fs_submit(void *arg, struct smtpd_job *j)
{
	struct fs	*f = arg;

	CHECK(f->njobs < FS_JOBS_MAX);
	CHECK(j->m != NULL);
	f->jobs[f->njobs++] = j;
}

static void
fs_fallback(void *arg, struct verdict *v)
{
	v->action = ACTION_TEMPFAIL;
	(void)verdict_set_reply(v, "451", "4.3.0", "Content filter failure");
}

static void
fs_verdict(unsigned turn, struct outcome *o)
{
	struct verdict	*v = &o->v;

	switch (turn % 6) {
	case 0:
		v->action = ACTION_ACCEPT;
		(void)verdict_add_op(v, HDR_CHANGE, 1, "Subject",
		    "changed\r\n\tfolded");
		(void)verdict_add_op(v, HDR_DELETE, 2, "Received", NULL);
		(void)verdict_add_op(v, HDR_INSERT, turn % 3, ".X-Dot", "x");
		(void)verdict_add_op(v, HDR_ADD, 0, "X-Filterd-Rule", "r");
		(void)verdict_add_op(v, HDR_CHANGE, 7, "X-New", "n");
		(void)verdict_add_op(v, HDR_DELETE, 1, "subject", NULL);
		break;
	case 1:
		v->action = ACTION_REJECT;
		(void)verdict_set_reply(v, "550", "5.7.1", "no | way");
		break;
	case 2:
		v->action = ACTION_TEMPFAIL;
		break;
	case 3:
		v->action = ACTION_QUARANTINE;
		(void)verdict_set_reason(v, "held");
		break;
	case 4:
		v->action = ACTION_DISCARD;
		break;
	default:
		o->kind = OUTCOME_FALLBACK;
		snprintf(o->why, sizeof(o->why), "worker timed out");
		fs_fallback(NULL, v);
	}
}

static void
fs_answer(struct fs *f, struct smtpd_proto *p)
{
	const char	*why;
	size_t		 i;

	for (i = 0; i < f->njobs; i++) {
		memset(&f->jobs[i]->o, 0, sizeof(f->jobs[i]->o));
		fs_verdict(f->turn++, &f->jobs[i]->o);
		(void)smtpd_proto_done(p, f->jobs[i], &why);
	}
	f->njobs = 0;
}

static int
fs_is_id(const char *p, size_t n)
{
	size_t	 i;

	if (n == 0 || n > 16)
		return 0;
	for (i = 0; i < n; i++)
		if (strchr("0123456789abcdefABCDEF", p[i]) == NULL ||
		    p[i] == '\0')
			return 0;
	return 1;
}

/* "KIND|SESSION|TOKEN|rest": both ids hexadecimal. */
static void
fs_check_answer(const char *l, size_t n, size_t kindlen)
{
	const char	*s = l + kindlen, *bar, *end = l + n;

	bar = memchr(s, '|', (size_t)(end - s));
	CHECK(bar != NULL && fs_is_id(s, (size_t)(bar - s)));
	s = bar + 1;
	bar = memchr(s, '|', (size_t)(end - s));
	CHECK(bar != NULL && fs_is_id(s, (size_t)(bar - s)));
}

static void
fs_check_output(struct smtpd_proto *p)
{
	const char	*o, *l, *nl;
	size_t		 n;

	o = (const char *)smtpd_proto_output(p, &n);
	CHECK(n == 0 || o[n - 1] == '\n');
	for (l = o; l < o + n; l = nl + 1) {
		nl = memchr(l, '\n', (size_t)(o + n - l));
		if (strncmp(l, "filter-result|", 14) == 0)
			fs_check_answer(l, (size_t)(nl - l), 14);
		else if (strncmp(l, "filter-dataline|", 16) == 0)
			fs_check_answer(l, (size_t)(nl - l), 16);
		else
			CHECK(strncmp(l, "register|", 9) == 0);
	}
	smtpd_proto_consume(p, n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct smtpd_ops	 ops = { fs_submit, fs_fallback };
	static const int		 over[] = { ACTION_REJECT,
	    ACTION_TEMPFAIL, ACTION_ACCEPT, ACTION_QUARANTINE, ACTION_DISCARD,
	    ACTION_NONE, ACTION_REJECT, ACTION_REJECT };
	static struct fs		 f;
	struct smtpd_limits		 lim;
	struct smtpd_proto		*p;
	const char			*why, *hs = "config|subsystem|smtp-in\n"
	    "config|ready\n";
	size_t				 off, chunk, i = 0;
	int				 rc = 0;

	if (size < 2)
		return 0;
	memset(&f, 0, sizeof(f));
	f.turn = data[0] >> 4;
	lim.message_size = 16 + (size_t)data[1] * 16;
	lim.oversize = over[(data[0] >> 1) & 7];
	lim.malformed = over[(data[0] >> 4) & 7];
	lim.worker_timeout = 10;
	CHECK((p = smtpd_proto_new(&lim, &ops, &f)) != NULL);
	if (data[0] & 1)
		CHECK(smtpd_proto_feed(p, hs, strlen(hs), &why) == 0);
	for (off = 2; off < size && rc == 0; off += chunk) {
		chunk = 1 + (i++ * 7919) % 97;
		if (chunk > size - off)
			chunk = size - off;
		rc = smtpd_proto_feed(p, data + off, chunk, &why);
		CHECK(rc == 0 || (rc == -1 && why != NULL));
		fs_answer(&f, p);
		fs_check_output(p);
	}
	if (rc == -1)
		CHECK(smtpd_proto_feed(p, "\n", 1, &why) == -1);
	CHECK(smtpd_proto_running(p) == 0);
	smtpd_proto_free(&p);
	return 0;
}

/* Quiet logging: the same interface as filterd/lib/log.c. */

void
log_init(const char *ident, int foreground, int verbose)
{
}

int
log_foreground(void)
{
	return 1;
}

int
log_verbose(void)
{
	return 0;
}

void
log_info(const char *fmt, ...)
{
}

void
log_warnx(const char *fmt, ...)
{
}

void
log_warn(const char *fmt, ...)
{
}

void
log_debug(const char *fmt, ...)
{
}

void
fatal(const char *fmt, ...)
{
	abort();
}

void
fatalx(const char *fmt, ...)
{
	abort();
}

void
log_panic(const char *file, int line, const char *expr)
{
	fprintf(stderr, "panic: %s:%d: %s\n", file, line, expr);
	abort();
}
