/*
 * bench: a milter load generator over milterclient, for "make bench".  A
 * test program; it trusts its command line, and milterclient checks what
 * the milter says.
 *
 *	bench -s SOCKET [-c concurrency] [-n total] [-w warmup] [-t seconds]
 *	    [-a client_addr] [-h 'Name: value']... [-d seconds] [-R N]
 *	    [-b body_bytes]
 *
 * Each of the concurrency threads repeatedly opens a new connection, sends
 * one message (10 header fields, a body of 2 KiB or -b bytes, one
 * recipient, Postfix's macros with a unique queue id), reads the verdict
 * and closes.  The body is lines of 62 printable bytes and CRLF (the last
 * one shorter when the size is not a multiple of 64); it is built once and
 * shared by every thread, so a 10 MB body costs the client one copy.  Latency is
 * measured from connect to the final reply.  The warm-up messages are sent
 * first and not measured.  Prints one line:
 *
 *	msgs/s=N p50_ms=X p99_ms=Y ok=N errors=N accept=N continue=N
 *	    reject=N tempfail=N discard=N replycode=N other=N
 *
 * -a is the client address the milter is told (192.0.2.1); each -h adds
 * a header field to every message (up to 4).  -d sends for that many
 * seconds instead of until total (which then bounds the count), and the
 * rate is of the messages sent in that time.  -R N makes every Nth
 * message's Subject say "executable" (a word the test configurations
 * reject), and checks every verdict: such a message must get a 5xx reply,
 * every other one accept (or continue); the line then ends with
 *
 *	    expected_reject=N wrong=N
 *
 * wrong counting every message answered otherwise, errors included.
 *
 * Exits 0, or 1 when any message (warm-up included) met a protocol or
 * connection error; a reject or tempfail verdict is not an error.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfdef.h>

#include "t/milterclient.h"

#define BENCH_BODY_DEFAULT	2048	/* 32 lines of 64 bytes */
#define BENCH_BODY_MAX		(64UL * 1024 * 1024)
#define BENCH_NACTIONS		(MC_ACTION_CONNFAIL + 1)
#define BENCH_MAX_CONC		1024
#define BENCH_HEADERS		10	/* the message's own */
#define BENCH_EXTRA_MAX		4	/* -h */

struct bench {
	const char	*sock;
	int		 timeout_ms;
	unsigned int	 conc;
	unsigned long	 total;
	unsigned long	 warmup;
	const char	*client_addr;
	struct mc_header extra[BENCH_EXTRA_MAX];
	size_t		 nextra;
	unsigned long	 duration_ms;	/* -d, or 0 */
	unsigned long	 reject_every;	/* -R, or 0 */
	uint8_t		*body;
	size_t		 bodylen;
	/* One phase (warm-up, then measured) at a time: */
	int		 measuring;
	unsigned long	 limit;
	double		 end_ms;	/* -d: no message starts after */
	unsigned long	 seq_base;
	atomic_ulong	 next;
	atomic_ulong	 sent;		/* measured messages begun */
	atomic_ulong	 expected_reject;
	atomic_ulong	 wrong;
	double		*lat_ms;	/* per measured message, or -1 */
	atomic_ulong	 ok;
	atomic_ulong	 errors;
	atomic_ulong	 warm_errors;
	atomic_ulong	 verdicts[BENCH_NACTIONS];
	pthread_mutex_t	 lock;
	char		 first_error[512];
};

/* What one thread sends; only the ids change from message to message. */
struct sender {
	struct bench		*b;
	char			 qid[32];
	char			 msgid[96];
	struct mc_header	 h[BENCH_HEADERS + BENCH_EXTRA_MAX];
	struct mc_macro		 macros[2];
	const char		*rcpt;
	struct mc_message	 m;
};

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: bench -s socket [-c concurrency] [-n total] "
	    "[-w warmup] [-t seconds]\n"
	    "\t[-a client_addr] [-h 'Name: value']... [-d seconds] "
	    "[-R N] [-b body_bytes]\n");
	exit(2);
}

static unsigned long
parse_num(const char *s, unsigned long min, unsigned long max,
    const char *what)
{
	unsigned long	 v;
	char		*end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 ||
	    v < min || v > max) {
		fprintf(stderr, "bench: bad %s: %s\n", what, s);
		usage();
	}
	return v;
}

static double
now_ms(void)
{
	struct timespec	 ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/*
 * Lines of 62 printable bytes and CRLF; a last line of fewer than 64
 * bytes still ends in CRLF when it has room for it (a 1-byte body is
 * "t").  The text shifts from line to line, as prose would.
 */
static void
bench_make_body(struct bench *b)
{
	static const char	 words[] = "the quick brown fox jumps over "
	    "the lazy dog and then some more words to fill a line ";
	size_t			 i, j, len, n = b->bodylen;

	if (n > 0 && (b->body = malloc(n)) == NULL) {
		fprintf(stderr, "bench: out of memory for a %zu-byte body\n",
		    n);
		exit(1);
	}
	for (i = 0; i * 64 < n; i++) {
		len = n - i * 64 < 64 ? n - i * 64 : 64;
		for (j = 0; j < len; j++)
			b->body[i * 64 + j] =
			    (uint8_t)words[(i * 7 + j) % (sizeof(words) - 1)];
		if (len >= 3) {
			b->body[i * 64 + len - 2] = '\r';
			b->body[i * 64 + len - 1] = '\n';
		}
	}
}

static void
sender_init(struct sender *s, struct bench *b)
{
	static const struct mc_header	 h[BENCH_HEADERS] = {
		{ "Received", " from client.example.com (client.example.com "
		    "[192.0.2.1])\n\tby mx.example.org (Postfix) with ESMTP" },
		{ "Date", " Mon, 1 Jan 2024 12:00:00 +0000" },
		{ "From", " Alice Example <alice@example.com>" },
		{ "To", " Bob Example <bob@example.net>" },
		{ "Subject", " Quarterly report, as discussed" },
		{ "Message-ID", NULL },
		{ "MIME-Version", " 1.0" },
		{ "Content-Type", " text/plain; charset=us-ascii" },
		{ "Content-Transfer-Encoding", " 7bit" },
		{ "X-Mailer", " bench 1.0" },
	};

	memset(s, 0, sizeof(*s));
	s->b = b;
	memcpy(s->h, h, sizeof(h));
	s->h[5].value = s->msgid;
	s->macros[0] = (struct mc_macro){ SMFIC_CONNECT, "{daemon_addr}",
	    "127.0.0.1" };
	s->macros[1] = (struct mc_macro){ SMFIC_MAIL, "{mail_mailer}",
	    "smtp" };
	s->rcpt = "bob@example.net";
	memcpy(s->h + BENCH_HEADERS, b->extra, b->nextra * sizeof(b->extra[0]));
	s->m.client_name = "client.example.com";
	s->m.client_addr = b->client_addr;
	s->m.client_port = 41234;
	s->m.helo = "client.example.com";
	s->m.queue_id = s->qid;
	s->m.myhostname = "mx.example.org";
	s->m.macros = s->macros;
	s->m.nmacros = 2;
	s->m.sender = "alice@example.com";
	s->m.rcpts = &s->rcpt;
	s->m.nrcpts = 1;
	s->m.headers = s->h;
	s->m.nheaders = BENCH_HEADERS + b->nextra;
	s->m.body = b->body;
	s->m.bodylen = b->bodylen;
}

static void
bench_error(struct bench *b, const char *msg)
{
	atomic_fetch_add(b->measuring ? &b->errors : &b->warm_errors, 1);
	pthread_mutex_lock(&b->lock);
	if (b->first_error[0] == '\0')
		(void)snprintf(b->first_error, sizeof(b->first_error), "%s",
		    msg);
	pthread_mutex_unlock(&b->lock);
}

/* With -R: whether the verdict is the one the message should get. */
static int
bench_right(const struct mc_result *res, int rejected)
{
	if (rejected)
		return res->action == MC_ACTION_REPLYCODE &&
		    res->reply != NULL && res->reply[0] == '5';
	return res->action == MC_ACTION_ACCEPT ||
	    res->action == MC_ACTION_CONTINUE;
}

/* One connection, one message; returns its latency or -1. */
static double
bench_one(struct sender *s, unsigned long seq)
{
	struct bench		*b = s->b;
	struct mc_conn		*c;
	struct mc_result	 res;
	char			 err[512];
	double			 t0, t1;
	int			 rejected;

	(void)snprintf(s->qid, sizeof(s->qid), "%04X%07lX",
	    (unsigned int)getpid() & 0xffff, seq & 0xfffffff);
	(void)snprintf(s->msgid, sizeof(s->msgid),
	    " <%s.%lu@client.example.com>", s->qid, seq);
	rejected = b->reject_every > 0 && seq % b->reject_every == 0;
	s->h[4].value = rejected ? " An executable for you" :
	    " Quarterly report, as discussed";
	if (b->measuring && rejected)
		atomic_fetch_add(&b->expected_reject, 1);
	t0 = now_ms();
	if ((c = mc_open(b->sock, b->timeout_ms, err, sizeof(err))) == NULL) {
		bench_error(b, err);
		if (b->measuring)
			atomic_fetch_add(&b->wrong, 1);
		return -1;
	}
	if (mc_send(c, &s->m, &res) == -1) {
		bench_error(b, mc_error(c));
		if (b->measuring)
			atomic_fetch_add(&b->wrong, 1);
		mc_result_free(&res);
		mc_close(&c);
		return -1;
	}
	t1 = now_ms();
	if (b->measuring) {
		atomic_fetch_add(&b->ok, 1);
		atomic_fetch_add(&b->verdicts[res.action], 1);
		if (!bench_right(&res, rejected))
			atomic_fetch_add(&b->wrong, 1);
	}
	mc_result_free(&res);
	mc_close(&c);
	return t1 - t0;
}

static void *
bench_thread(void *arg)
{
	struct sender	 s;
	struct bench	*b = arg;
	unsigned long	 t;
	double		 lat;

	sender_init(&s, b);
	while ((t = atomic_fetch_add(&b->next, 1)) < b->limit) {
		if (b->end_ms > 0 && now_ms() >= b->end_ms)
			break;
		if (b->measuring)
			atomic_fetch_add(&b->sent, 1);
		lat = bench_one(&s, b->seq_base + t);
		if (b->measuring)
			b->lat_ms[t] = lat;
	}
	return NULL;
}

/* Runs n messages on b->conc threads; returns the wall time in ms. */
static double
bench_phase(struct bench *b, unsigned long n, int measuring)
{
	pthread_t	 tid[BENCH_MAX_CONC];
	unsigned int	 i;
	double		 t0;
	int		 e;

	b->measuring = measuring;
	b->limit = n;
	atomic_store(&b->next, 0);
	t0 = now_ms();
	b->end_ms = measuring && b->duration_ms > 0 ?
	    t0 + (double)b->duration_ms : 0;
	for (i = 0; i < b->conc; i++)
		if ((e = pthread_create(&tid[i], NULL, bench_thread, b)) != 0) {
			fprintf(stderr, "bench: pthread_create: %s\n",
			    strerror(e));
			exit(1);
		}
	for (i = 0; i < b->conc; i++)
		pthread_join(tid[i], NULL);
	b->seq_base += n;
	return now_ms() - t0;
}

static int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of n sorted values. */
static double
percentile(const double *v, size_t n, double p)
{
	size_t	 rank;

	if (n == 0)
		return 0;
	rank = (size_t)(p / 100.0 * (double)n + 0.999999);
	if (rank == 0)
		rank = 1;
	return v[(rank > n ? n : rank) - 1];
}

static void
bench_report(struct bench *b, double wall_ms)
{
	double		*v;
	size_t		 i, n = 0;
	unsigned long	 other, sent = atomic_load(&b->sent);

	if ((v = calloc(b->total, sizeof(*v))) == NULL) {
		fprintf(stderr, "bench: out of memory\n");
		exit(1);
	}
	for (i = 0; i < b->total; i++)
		if (b->lat_ms[i] >= 0)
			v[n++] = b->lat_ms[i];
	qsort(v, n, sizeof(*v), cmp_double);
	other = atomic_load(&b->verdicts[MC_ACTION_NONE]) +
	    atomic_load(&b->verdicts[MC_ACTION_SHUTDOWN]) +
	    atomic_load(&b->verdicts[MC_ACTION_CONNFAIL]);
	printf("msgs/s=%.0f p50_ms=%.3f p99_ms=%.3f ok=%lu errors=%lu "
	    "accept=%lu continue=%lu reject=%lu tempfail=%lu discard=%lu "
	    "replycode=%lu other=%lu",
	    wall_ms > 0 ? (double)sent * 1e3 / wall_ms : 0.0,
	    percentile(v, n, 50), percentile(v, n, 99),
	    atomic_load(&b->ok), atomic_load(&b->errors),
	    atomic_load(&b->verdicts[MC_ACTION_ACCEPT]),
	    atomic_load(&b->verdicts[MC_ACTION_CONTINUE]),
	    atomic_load(&b->verdicts[MC_ACTION_REJECT]),
	    atomic_load(&b->verdicts[MC_ACTION_TEMPFAIL]),
	    atomic_load(&b->verdicts[MC_ACTION_DISCARD]),
	    atomic_load(&b->verdicts[MC_ACTION_REPLYCODE]), other);
	if (b->reject_every > 0)
		printf(" expected_reject=%lu wrong=%lu",
		    atomic_load(&b->expected_reject), atomic_load(&b->wrong));
	putchar('\n');
	free(v);
}

/* "-h 'Name: value'": the value keeps its leading blank, as MTAs send it. */
static void
bench_header(struct bench *b, char *arg)
{
	char	*colon = strchr(arg, ':');

	if (b->nextra == BENCH_EXTRA_MAX || colon == NULL || colon == arg)
		usage();
	*colon = '\0';
	b->extra[b->nextra].name = arg;
	b->extra[b->nextra++].value = colon + 1;
}

static struct bench *
bench_new(int argc, char *argv[])
{
	struct bench	*b;
	unsigned long	 i;
	int		 ch;

	if ((b = calloc(1, sizeof(*b))) == NULL) {
		fprintf(stderr, "bench: out of memory\n");
		exit(1);
	}
	b->conc = 8;
	b->total = 5000;
	b->warmup = 200;
	b->timeout_ms = 10000;
	b->client_addr = "192.0.2.1";
	b->bodylen = BENCH_BODY_DEFAULT;
	while ((ch = getopt(argc, argv, "a:b:c:d:h:n:R:s:t:w:")) != -1) {
		switch (ch) {
		case 'a':
			b->client_addr = optarg;
			break;
		case 'b':
			b->bodylen = parse_num(optarg, 0, BENCH_BODY_MAX,
			    "body size");
			break;
		case 'd':
			b->duration_ms = 1000 * parse_num(optarg, 1, 3600,
			    "duration");
			break;
		case 'h':
			bench_header(b, optarg);
			break;
		case 'R':
			b->reject_every = parse_num(optarg, 1, 1000000,
			    "reject interval");
			break;
		case 'c':
			b->conc = (unsigned int)parse_num(optarg, 1,
			    BENCH_MAX_CONC, "concurrency");
			break;
		case 'n':
			b->total = parse_num(optarg, 1, 100000000, "total");
			break;
		case 's':
			b->sock = optarg;
			break;
		case 't':
			b->timeout_ms = 1000 * (int)parse_num(optarg, 1, 3600,
			    "timeout");
			break;
		case 'w':
			b->warmup = parse_num(optarg, 0, 100000000, "warmup");
			break;
		default:
			usage();
		}
	}
	if (b->sock == NULL || optind != argc)
		usage();
	if ((b->lat_ms = calloc(b->total, sizeof(*b->lat_ms))) == NULL) {
		fprintf(stderr, "bench: out of memory\n");
		exit(1);
	}
	/* -1: not sent (with -d, not all are), or not answered. */
	for (i = 0; i < b->total; i++)
		b->lat_ms[i] = -1;
	pthread_mutex_init(&b->lock, NULL);
	bench_make_body(b);
	return b;
}

int
main(int argc, char *argv[])
{
	struct bench	*b;
	double		 wall;
	unsigned long	 bad;

	b = bench_new(argc, argv);
	(void)signal(SIGPIPE, SIG_IGN);
	if (b->warmup > 0)
		(void)bench_phase(b, b->warmup, 0);
	wall = bench_phase(b, b->total, 1);
	bench_report(b, wall);
	bad = atomic_load(&b->errors) + atomic_load(&b->warm_errors);
	if (bad > 0)
		fprintf(stderr, "bench: %lu protocol or connection errors "
		    "(%lu in warm-up); first: %s\n", bad,
		    atomic_load(&b->warm_errors), b->first_error);
	free(b->lat_ms);
	free(b->body);
	pthread_mutex_destroy(&b->lock);
	free(b);
	return bad > 0 ? 1 : 0;
}
