/*
 * mclient: send one RFC 5322 message to a milter the way Postfix would,
 * and print what the milter answered, one line per event, for shell tests.
 * A test program: it trusts its command line and message file, and nothing
 * the milter says (milterclient checks that).
 *
 *	mclient -s SOCKET [-c client_name] [-a client_addr] [-H helo]
 *	    [-f sender] [-r rcpt]... [-q queue_id] [-j myhostname]
 *	    [-M [S:]name=value]... [-m file.eml] [-x N | -A N]
 *	    [-t seconds] [-n count | -N count [-K]] [-o version] [-O flags] [-v]
 *
 * The message is read from -m or standard input.  Its header is unfolded
 * into name and value as an MTA sends them (value as after the colon,
 * folded lines joined with "\n"); the body, after the first empty line,
 * is sent with CRLF line ends, a last line without one getting one.  As
 * Postfix does, a leading mbox "From " line becomes the field
 * X-Mailbox-Line, and the header ends at the first line that is neither a
 * field nor a continuation.  -P hands every line before the first empty
 * line to the milter instead, as a permissive MTA could: a line that is no
 * field goes as a name (up to its first colon) and a value, so that
 * filterd's own check of field names is what decides.  -x N closes the connection after N body
 * bytes; -A N sends N body bytes, then ABORT, then the whole message again
 * on the same connection.  -n sends the message count times, each on a new
 * connection; -N count times on one connection, one transaction after
 * another, or with -K each in a new SMTP session on the same connection
 * (SMFIC_QUIT_NC between them).  -o offers what Postfix offers at that milter_protocol (2, 3,
 * 4 or 6; by default $MCLIENT_PROTOCOL, else 6: with 6 come the no-reply
 * steps, SMFIP_NR_*); -O offers exactly the SMFIP_* flags given (hex).
 * Output lines (values escaped: \\ \r \n \t \xNN):
 *
 *	optneg version=6 actions=0x... protocol=0x...	(with -v)
 *	rcpt ADDR reject|tempfail|replycode[ TEXT]	a refused recipient
 *	addheader NAME: VALUE
 *	insheader IDX NAME: VALUE
 *	chgheader IDX NAME: VALUE		("chgheader IDX NAME:" deletes)
 *	quarantine REASON
 *	addrcpt RCPT / addrcpt_par RCPT ARGS / delrcpt RCPT
 *	chgfrom SENDER[ ARGS] / replbody LEN
 *	disconnect N | abort N			(-x, -A: body bytes sent)
 *	action accept|continue|reject|tempfail|discard|replycode|...
 *	reply TEXT				(after action replycode)
 *	phase connect|helo|mail|rcpt|data|header|eoh|body|eom
 *	replies N			(with -v: reply packets received)
 *
 * Exits 0 when every exchange completed, whatever the verdict; 1 on a
 * protocol or connection error, with a message on standard error; 2 on a
 * usage error.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmilter/mfdef.h>

#include "filterd/lib/buf.h"
#include "t/milterclient.h"

#define MCLIENT_MAX_MSG		(64 * 1024 * 1024)
#define MCLIENT_MAX_LIST	1024
#define MCLIENT_OPTS		"A:a:c:f:H:j:KM:m:N:n:O:o:Pq:r:s:t:vx:"

struct eml_header {
	char	*name;
	char	*value;
};

/* A parsed message file. */
struct eml {
	struct eml_header	*h;
	struct mc_header	*mh;	/* views of h for milterclient */
	size_t			 nh;
	struct buf		*body;
};

struct opts {
	const char	*sock;
	const char	*client_name;
	const char	*client_addr;
	const char	*helo;
	const char	*sender;
	const char	*queue_id;
	const char	*myhostname;
	const char	*file;
	const char	*rcpts[MCLIENT_MAX_LIST];
	size_t		 nrcpts;
	struct mc_macro	 macros[MCLIENT_MAX_LIST];
	size_t		 nmacros;
	enum mc_stop	 stop;
	size_t		 stop_after;
	int		 timeout_s;
	unsigned long	 count;
	unsigned long	 same;		/* -N: transactions per connection */
	int		 verbose;
	int		 pass_all;	/* -P */
	int		 quit_nc;	/* -K */
	int		 version;	/* -o */
	uint32_t	 offer;		/* -o, -O */
};

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: mclient -s socket [-c client_name] "
	    "[-a client_addr] [-H helo] [-f sender]\n"
	    "\t[-r rcpt]... [-q queue_id] [-j myhostname] "
	    "[-M [S:]name=value]...\n"
	    "\t[-m file.eml] [-x N | -A N] [-t seconds] [-n count | -N count] "
	    "[-P] [-v]\n\t[-o milter_protocol] [-O protocol_flags] [-K]\n");
	exit(2);
}

static void __attribute__((noreturn))
die(const char *what, const char *why)
{
	fprintf(stderr, "mclient: %s: %s\n", what, why);
	exit(1);
}

static unsigned long
parse_num(const char *s, unsigned long max, const char *what)
{
	unsigned long	 v;
	char		*end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 ||
	    v > max) {
		fprintf(stderr, "mclient: bad %s: %s\n", what, s);
		usage();
	}
	return v;
}

/*
 * "-M [S:]name=value": S is the command the macro goes with, one of
 * C H M R T N E (connect by default); these are the SMFIC_* letters.
 */
static void
parse_macro(struct opts *o, char *arg)
{
	struct mc_macro	*m;
	char		*eq;

	if (o->nmacros >= MCLIENT_MAX_LIST)
		usage();
	m = &o->macros[o->nmacros++];
	m->stage = SMFIC_CONNECT;
	if (arg[0] != '\0' && arg[1] == ':' &&
	    strchr("CHMRTNE", arg[0]) != NULL) {
		m->stage = arg[0];
		arg += 2;
	}
	if ((eq = strchr(arg, '=')) == NULL || eq == arg)
		usage();
	*eq = '\0';
	m->name = arg;
	m->value = eq + 1;
}

/* "-o V": what Postfix offers at milter_protocol V. */
static void
parse_version(struct opts *o, const char *arg)
{
	o->version = (int)parse_num(arg, 6, "milter protocol");
	if ((o->offer = mc_offer_of(o->version)) == 0) {
		fprintf(stderr, "mclient: milter protocol 2, 3, 4 or 6\n");
		usage();
	}
}

/* "-O 0x...": exactly these SMFIP_* flags. */
static uint32_t
parse_flags(const char *arg)
{
	unsigned long	 v;
	char		*end;

	errno = 0;
	v = strtoul(arg, &end, 16);
	if (arg[0] == '\0' || *end != '\0' || errno != 0 ||
	    (v & ~(unsigned long)mc_offer_of(6)) != 0) {
		fprintf(stderr, "mclient: bad protocol flags: %s\n", arg);
		usage();
	}
	return (uint32_t)v;
}

static void
parse_opts(struct opts *o, int argc, char *argv[])
{
	const char	*env = getenv("MCLIENT_PROTOCOL");
	int		 ch, flags = 0;
	uint32_t	 offer = 0;

	memset(o, 0, sizeof(*o));
	o->client_name = "client.example.com";
	o->client_addr = "192.0.2.1";
	o->helo = "client.example.com";
	o->sender = "sender@example.com";
	o->myhostname = "mx.example.org";
	o->timeout_s = 10;
	o->count = 1;
	o->same = 1;
	parse_version(o, env != NULL && env[0] != '\0' ? env : "6");
	while ((ch = getopt(argc, argv, MCLIENT_OPTS)) != -1) {
		switch (ch) {
		case 'A':
		case 'x':
			if (o->stop != MC_STOP_NONE)
				usage();
			o->stop = ch == 'A' ? MC_STOP_ABORT :
			    MC_STOP_DISCONNECT;
			o->stop_after = parse_num(optarg, MCLIENT_MAX_MSG,
			    "byte count");
			break;
		case 'a':
			o->client_addr = optarg;
			break;
		case 'c':
			o->client_name = optarg;
			break;
		case 'f':
			o->sender = optarg;
			break;
		case 'H':
			o->helo = optarg;
			break;
		case 'j':
			o->myhostname = optarg;
			break;
		case 'K':
			o->quit_nc = 1;
			break;
		case 'M':
			parse_macro(o, optarg);
			break;
		case 'm':
			o->file = optarg;
			break;
		case 'n':
			o->count = parse_num(optarg, 1000000, "count");
			break;
		case 'N':
			o->same = parse_num(optarg, 1000000, "count");
			break;
		case 'O':
			offer = parse_flags(optarg);
			flags = 1;
			break;
		case 'o':
			parse_version(o, optarg);
			break;
		case 'q':
			o->queue_id = optarg;
			break;
		case 'r':
			if (o->nrcpts >= MCLIENT_MAX_LIST)
				usage();
			o->rcpts[o->nrcpts++] = optarg;
			break;
		case 's':
			o->sock = optarg;
			break;
		case 't':
			o->timeout_s = (int)parse_num(optarg, 3600, "timeout");
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'P':
			o->pass_all = 1;
			break;
		default:
			usage();
		}
	}
	if (o->sock == NULL || optind != argc || o->count == 0 ||
	    o->same == 0 || o->timeout_s == 0 ||
	    (o->same > 1 && (o->count > 1 || o->stop != MC_STOP_NONE)))
		usage();
	if (o->nrcpts == 0)
		o->rcpts[o->nrcpts++] = "rcpt@example.net";
	if (flags)
		o->offer = offer;
}

/* Reading and parsing the message. */

static struct buf *
read_all(FILE *fp, const char *name)
{
	struct buf	*b;
	char		 chunk[65536];
	size_t		 n;

	if ((b = buf_new(MCLIENT_MAX_MSG)) == NULL)
		die(name, "out of memory");
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (buf_put(b, chunk, n) == -1)
			die(name, "message larger than 64 MiB");
	if (ferror(fp))
		die(name, strerror(errno));
	return b;
}

static struct buf *
read_message(const char *file)
{
	struct buf	*b;
	FILE		*fp;

	if (file == NULL)
		return read_all(stdin, "stdin");
	if ((fp = fopen(file, "r")) == NULL)
		die(file, strerror(errno));
	b = read_all(fp, file);
	(void)fclose(fp);
	return b;
}

/* A field name: printable ASCII but no colon, then optional blanks. */
static size_t
field_name_len(const char *line, size_t len)
{
	size_t	 i, n;

	for (i = 0; i < len && line[i] > ' ' && line[i] < 0x7f &&
	    line[i] != ':'; i++)
		;
	n = i;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (n == 0 || i >= len || line[i] != ':')
		return 0;
	return n;
}

static char *
dup_mem(const char *p, size_t n)
{
	char	*s;

	if (memchr(p, '\0', n) != NULL)
		die("message", "NUL byte in the header");
	if ((s = malloc(n + 1)) == NULL)
		die("message", "out of memory");
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static void
eml_add(struct eml *e, const char *name, size_t nlen, const char *value,
    size_t vlen)
{
	struct eml_header	*h;

	if (e->nh % 16 == 0) {
		h = realloc(e->h, (e->nh + 16) * sizeof(*h));
		if (h == NULL)
			die("message", "out of memory");
		e->h = h;
	}
	h = &e->h[e->nh++];
	h->name = dup_mem(name, nlen);
	h->value = dup_mem(value, vlen);
}

/* A field line: the value is what follows the colon, blanks kept. */
static void
eml_add_header(struct eml *e, const char *line, size_t len, size_t nlen)
{
	const char	*colon = memchr(line, ':', len);

	eml_add(e, line, nlen, colon + 1, len - (size_t)(colon + 1 - line));
}

/* Appends a continuation line to the last header, Postfix style. */
static void
eml_fold(struct eml *e, const char *line, size_t len)
{
	struct eml_header	*h = &e->h[e->nh - 1];
	size_t			 old = strlen(h->value);
	char			*v;

	if (memchr(line, '\0', len) != NULL)
		die("message", "NUL byte in the header");
	if ((v = realloc(h->value, old + 1 + len + 1)) == NULL)
		die("message", "out of memory");
	v[old] = '\n';
	memcpy(v + old + 1, line, len);
	v[old + 1 + len] = '\0';
	h->value = v;
}

/* The body from off on, with CRLF line ends. */
static void
eml_body(struct eml *e, const char *p, size_t len, size_t off)
{
	const char	*nl;
	size_t		 n;

	if ((e->body = buf_new(2 * (size_t)MCLIENT_MAX_MSG)) == NULL)
		die("message", "out of memory");
	while (off < len) {
		nl = memchr(p + off, '\n', len - off);
		n = nl != NULL ? (size_t)(nl - (p + off)) : len - off;
		if (n > 0 && p[off + n - 1] == '\r')
			n--;
		if (buf_put(e->body, p + off, n) == -1 ||
		    buf_put(e->body, "\r\n", 2) == -1)
			die("message", "body too large");
		off = nl != NULL ? (size_t)(nl - p) + 1 : len;
	}
}

/* Length of the line at off, without its LF or CR LF. */
static size_t
line_len(const char *p, size_t len, size_t off, size_t *next_r)
{
	const char	*nl = memchr(p + off, '\n', len - off);
	size_t		 n = nl != NULL ? (size_t)(nl - (p + off)) : len - off;

	*next_r = nl != NULL ? off + n + 1 : len;
	if (n > 0 && p[off + n - 1] == '\r')
		n--;
	return n;
}

/*
 * Splits the message into header fields and body, as an MTA does: the
 * header ends at the first empty line, or at the first line that is
 * neither a field nor a continuation (which then starts the body), or,
 * with pass_all, at the first empty line only.  A leading mbox "From "
 * line becomes X-Mailbox-Line.
 */
/* A line that is no field, as -P hands it on: name up to a colon. */
static void
eml_add_bad(struct eml *e, const char *line, size_t len)
{
	const char	*colon = memchr(line, ':', len);
	size_t		 nlen = colon != NULL ? (size_t)(colon - line) : len;

	eml_add(e, line, nlen, line + nlen + (colon != NULL),
	    len - nlen - (colon != NULL));
}

static void
eml_parse(struct eml *e, const struct buf *raw, int pass_all)
{
	const char	*p = (const char *)buf_data(raw);
	const char	*line;
	size_t		 len = buf_len(raw), off = 0, next, n, nlen;

	memset(e, 0, sizeof(*e));
	if (len >= 5 && memcmp(p, "From ", 5) == 0) {
		n = line_len(p, len, 0, &off);
		eml_add(e, "X-Mailbox-Line", 14, p, n);
	}
	while (off < len) {
		line = p + off;
		n = line_len(p, len, off, &next);
		if (n == 0) {
			off = next;
			break;
		}
		if ((line[0] == ' ' || line[0] == '\t') && e->nh > 0)
			eml_fold(e, line, n);
		else if ((nlen = field_name_len(line, n)) > 0)
			eml_add_header(e, line, n, nlen);
		else if (pass_all)
			eml_add_bad(e, line, n);
		else
			break;
		off = next;
	}
	eml_body(e, p, len, off);
	if ((e->mh = calloc(e->nh + 1, sizeof(*e->mh))) == NULL)
		die("message", "out of memory");
	for (n = 0; n < e->nh; n++) {
		e->mh[n].name = e->h[n].name;
		e->mh[n].value = e->h[n].value;
	}
}

static void
eml_free(struct eml *e)
{
	size_t	 i;

	for (i = 0; i < e->nh; i++) {
		free(e->h[i].name);
		free(e->h[i].value);
	}
	free(e->h);
	free(e->mh);
	buf_free(&e->body);
}

/* Output. */

static void
print_esc(const char *s)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '\\')
			fputs("\\\\", stdout);
		else if (*p == '\r')
			fputs("\\r", stdout);
		else if (*p == '\n')
			fputs("\\n", stdout);
		else if (*p == '\t')
			fputs("\\t", stdout);
		else if (*p < ' ' || *p >= 0x7f)
			printf("\\x%02x", *p);
		else
			putchar(*p);
	}
}

/* "NAME: VALUE", or "NAME:" for an empty value. */
static void
print_field(const struct mc_event *e)
{
	print_esc(e->name);
	putchar(':');
	if (e->value[0] != '\0') {
		putchar(' ');
		print_esc(e->value);
	}
}

/* " TEXT" when there is one. */
static void
print_opt(const char *s)
{
	if (s == NULL || s[0] == '\0')
		return;
	putchar(' ');
	print_esc(s);
}

static void
print_event(const struct mc_event *e)
{
	printf("%s ", mc_event_name(e->type));
	switch (e->type) {
	case MC_EV_RCPT:
		print_esc(e->name);
		printf(" %s", mc_action_name(e->action));
		print_opt(e->value);
		break;
	case MC_EV_INSHEADER:
	case MC_EV_CHGHEADER:
		printf("%u ", (unsigned int)e->idx);
		/* FALLTHROUGH */
	case MC_EV_ADDHEADER:
		print_field(e);
		break;
	case MC_EV_REPLBODY:
		printf("%zu", e->len);
		break;
	case MC_EV_ADDRCPT_PAR:
	case MC_EV_CHGFROM:
		print_esc(e->name);
		print_opt(e->value);
		break;
	case MC_EV_QUARANTINE:
	case MC_EV_ADDRCPT:
	case MC_EV_DELRCPT:
		print_esc(e->name);
		break;
	}
	putchar('\n');
}

static void
print_result(const struct mc_result *res, enum mc_stop stop, int verbose)
{
	size_t	 i;

	for (i = 0; i < res->nev; i++)
		print_event(&res->ev[i]);
	if (res->stopped) {
		printf("%s %zu\n", stop == MC_STOP_ABORT ? "abort" :
		    "disconnect", res->body_sent);
	} else {
		printf("action %s\n", mc_action_name(res->action));
		if (res->reply != NULL) {
			fputs("reply ", stdout);
			print_esc(res->reply);
			putchar('\n');
		}
	}
	printf("phase %s\n", mc_phase_name(res->phase));
	if (verbose)
		printf("replies %u\n", res->replies);
}

/* Sending. */

static void
build_message(struct mc_message *m, const struct opts *o,
    const struct eml *e, const char *qid)
{
	memset(m, 0, sizeof(*m));
	m->client_name = o->client_name;
	m->client_addr = o->client_addr;
	m->helo = o->helo;
	m->queue_id = qid;
	m->myhostname = o->myhostname;
	m->macros = o->macros;
	m->nmacros = o->nmacros;
	m->sender = o->sender;
	m->rcpts = o->rcpts;
	m->nrcpts = o->nrcpts;
	m->headers = e->mh;
	m->nheaders = e->nh;
	m->body = buf_data(e->body);
	m->bodylen = buf_len(e->body);
	m->stop = o->stop;
	m->stop_after = o->stop_after;
}

/* Runs one exchange and prints it; exits on error. */
static void
run_one(struct mc_conn *c, const struct mc_message *m, int first,
    int verbose)
{
	struct mc_result	 res;
	int			 r;

	r = first ? mc_send(c, m, &res) : mc_transaction(c, m, &res);
	if (r == -1) {
		mc_result_free(&res);
		fflush(stdout);
		die("milter", mc_error(c));
	}
	print_result(&res, m->stop, verbose);
	mc_result_free(&res);
}

static void
send_once(const struct opts *o, const struct eml *e, unsigned long k)
{
	struct mc_message	 m;
	struct mc_conn		*c;
	char			 err[512], qid[32];
	unsigned long		 i;

	(void)snprintf(qid, sizeof(qid), "%05lX%05lX",
	    (unsigned long)getpid() & 0xfffff, (k + 1) & 0xfffff);
	build_message(&m, o, e, o->queue_id ? o->queue_id : qid);
	if ((c = mc_open_offer(o->sock, o->version, o->offer,
	    o->timeout_s * 1000, err, sizeof(err))) == NULL)
		die("connect", err);
	if (o->verbose)
		printf("optneg version=%u actions=0x%x protocol=0x%x\n",
		    mc_version(c), mc_actions(c), mc_protocol(c));
	run_one(c, &m, 1, o->verbose);
	for (i = 1; i < o->same; i++) {
		if (o->quit_nc && mc_quit_nc(c) == -1)
			die("milter", mc_error(c));
		run_one(c, &m, o->quit_nc, o->verbose);
	}
	if (o->stop == MC_STOP_ABORT) {
		m.stop = MC_STOP_NONE;
		run_one(c, &m, 0, o->verbose);
	}
	mc_close(&c);
}

int
main(int argc, char *argv[])
{
	struct opts	 o;
	struct eml	 e;
	struct buf	*raw;
	unsigned long	 k;

	parse_opts(&o, argc, argv);
	(void)signal(SIGPIPE, SIG_IGN);
	raw = read_message(o.file);
	eml_parse(&e, raw, o.pass_all);
	buf_free(&raw);
	for (k = 0; k < o.count; k++)
		send_once(&o, &e, k);
	eml_free(&e);
	if (fflush(stdout) == EOF)
		die("stdout", strerror(errno));
	return 0;
}
