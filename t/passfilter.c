/*
 * passfilter: an OpenSMTPD proc-exec filter that changes nothing, the
 * baseline that "make bench-mta" measures filterd's OpenSMTPD frontend
 * against.  A test program: it runs under smtpd, trusts it, and checks
 * only what it needs to answer.
 *
 *	passfilter [-a]
 *
 * After smtpd's "config|ready" it registers for the smtp-in data-line and
 * commit phases, the two that a content filter needs, and says
 * "register|ready".  With -a it registers every filter phase and report
 * that filterd registers (filterd/opensmtpd_proto.c), so that smtpd does
 * the same work for both.  Then it echoes every data line unchanged,
 *
 *	filter-dataline|SESSION|TOKEN|LINE
 *
 * answers every other filter request "filter-result|SESSION|TOKEN|proceed",
 * and reads reports without answering, as the protocol wants; 0.6
 * (OpenSMTPD 6.8) and 0.7 (7.x) are the same for all of that.
 *
 * It reads what there is, up to 64 KiB a read(2), answers every complete
 * line of it into one buffer, and writes that buffer before it reads
 * again: no stdio, and no more system calls than smtpd's traffic asks for
 * (under load, one read and one write for many lines).  Exits 0 at end of
 * input, 1 on a line it cannot answer (said on stderr, which smtpd logs)
 * or when it cannot write.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PF_READ		(64 * 1024)
#define PF_LINE_MAX	(1024 * 1024)	/* as filterd's SP_LINE_MAX */
#define PF_FIELDS	8		/* filter|V|TIME|SUB|PHASE|S|T|rest */

struct pf_buf {
	char	*p;
	size_t	 len, cap;
};

static int	 pf_all;	/* -a */

static void __attribute__((noreturn))
pf_die(const char *what, const char *line, size_t n)
{
	fprintf(stderr, "passfilter: %s: %.*s\n", what,
	    (int)(n > 200 ? 200 : n), line != NULL ? line : "");
	exit(1);
}

/* Makes room for n more bytes; the buffers never pass PF_LINE_MAX much. */
static void
pf_reserve(struct pf_buf *b, size_t n)
{
	size_t	 cap;

	if (b->len + n <= b->cap)
		return;
	if (b->len + n > 4 * PF_LINE_MAX + PF_READ)
		pf_die("buffer limit", NULL, 0);
	cap = (b->len + n) * 2;
	if ((b->p = realloc(b->p, cap)) == NULL)
		pf_die("out of memory", NULL, 0);
	b->cap = cap;
}

static void
pf_put(struct pf_buf *o, const char *s, size_t n)
{
	pf_reserve(o, n);
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void
pf_puts(struct pf_buf *o, const char *s)
{
	pf_put(o, s, strlen(s));
}

static void
pf_flush(struct pf_buf *o)
{
	size_t	 off = 0;
	ssize_t	 w;

	while (off < o->len) {
		if ((w = write(STDOUT_FILENO, o->p + off, o->len - off)) == -1) {
			if (errno == EINTR)
				continue;
			pf_die("write", strerror(errno), strlen(strerror(errno)));
		}
		off += (size_t)w;
	}
	o->len = 0;
}

/* The answer to "config|ready": what to be sent. */
static void
pf_register(struct pf_buf *o)
{
	static const char *const	 lean[] = { "data-line", "commit" };
	static const char *const	 all[] = { "connect", "helo", "ehlo",
	    "mail-from", "rcpt-to", "data-line", "commit" };
	static const char *const	 reports[] = { "link-disconnect",
	    "link-auth", "tx-begin", "tx-mail", "tx-rcpt", "tx-reset",
	    "tx-rollback" };
	const char *const		*f = pf_all ? all : lean;
	size_t				 i, n = pf_all ? 7 : 2;

	for (i = 0; i < n; i++) {
		pf_puts(o, "register|filter|smtp-in|");
		pf_puts(o, f[i]);
		pf_puts(o, "\n");
	}
	for (i = 0; pf_all && i < sizeof(reports) / sizeof(reports[0]); i++) {
		pf_puts(o, "register|report|smtp-in|");
		pf_puts(o, reports[i]);
		pf_puts(o, "\n");
	}
	pf_puts(o, "register|ready\n");
}

/*
 * Splits line (n bytes, no newline) at its first PF_FIELDS - 1 bars: the
 * last field takes the rest, bars included.  Returns the number of fields.
 */
static size_t
pf_split(const char *line, size_t n, const char *f[], size_t len[])
{
	const char	*p = line, *end = line + n, *bar;
	size_t		 k = 0;

	while (k < PF_FIELDS - 1 &&
	    (bar = memchr(p, '|', (size_t)(end - p))) != NULL) {
		f[k] = p;
		len[k++] = (size_t)(bar - p);
		p = bar + 1;
	}
	f[k] = p;
	len[k++] = (size_t)(end - p);
	return k;
}

static int
pf_is(const char *s, size_t n, const char *word)
{
	return n == strlen(word) && memcmp(s, word, n) == 0;
}

/* "filter|V|TIME|smtp-in|PHASE|SESSION|TOKEN[|PARAMS]" */
static void
pf_filter(struct pf_buf *o, const char *line, size_t n)
{
	const char	*f[PF_FIELDS];
	size_t		 len[PF_FIELDS], k;

	k = pf_split(line, n, f, len);
	if (k < 7 || len[5] == 0 || len[6] == 0)
		pf_die("malformed filter request", line, n);
	if (pf_is(f[4], len[4], "data-line")) {
		pf_puts(o, "filter-dataline|");
		pf_put(o, f[5], len[5]);
		pf_puts(o, "|");
		pf_put(o, f[6], len[6]);
		pf_puts(o, "|");
		if (k == PF_FIELDS)
			pf_put(o, f[7], len[7]);
	} else {
		pf_puts(o, "filter-result|");
		pf_put(o, f[5], len[5]);
		pf_puts(o, "|");
		pf_put(o, f[6], len[6]);
		pf_puts(o, "|proceed");
	}
	pf_puts(o, "\n");
}

static void
pf_line(struct pf_buf *o, const char *line, size_t n)
{
	if (n >= 7 && memcmp(line, "filter|", 7) == 0)
		pf_filter(o, line, n);
	else if (n >= 7 && memcmp(line, "report|", 7) == 0)
		return;
	else if (pf_is(line, n, "config|ready"))
		pf_register(o);
	else if (n >= 7 && memcmp(line, "config|", 7) == 0)
		return;
	else
		pf_die("unexpected line", line, n);
}

int
main(int argc, char *argv[])
{
	struct pf_buf	 in = { 0 }, out = { 0 };
	size_t		 off, done;
	ssize_t		 r;
	char		*nl;
	int		 ch;

	while ((ch = getopt(argc, argv, "a")) != -1) {
		if (ch != 'a') {
			fprintf(stderr, "usage: passfilter [-a]\n");
			return 2;
		}
		pf_all = 1;
	}
	for (;;) {
		pf_reserve(&in, PF_READ);
		if ((r = read(STDIN_FILENO, in.p + in.len, PF_READ)) == -1) {
			if (errno == EINTR)
				continue;
			pf_die("read", strerror(errno), strlen(strerror(errno)));
		}
		if (r == 0)
			break;
		in.len += (size_t)r;
		for (off = 0; (nl = memchr(in.p + off, '\n', in.len - off)) !=
		    NULL; off = done) {
			done = (size_t)(nl - in.p) + 1;
			pf_line(&out, in.p + off, done - 1 - off);
		}
		if (in.len - off > PF_LINE_MAX)
			pf_die("line too long", in.p + off, in.len - off);
		memmove(in.p, in.p + off, in.len - off);
		in.len -= off;
		pf_flush(&out);
	}
	if (in.len > 0)
		pf_die("input ends inside a line", in.p, in.len);
	return 0;
}
