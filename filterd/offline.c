/*
 * offline: filterd -t.  Runs in the one filterd process of a test run:
 * it reads each message file or standard input (the administrator's, but
 * parsed as untrusted mail, with every bound a frontend has), gives it the
 * connection and envelope of the command line as the milter frontend
 * would (offline_opts.c), starts one spawner for the run, and takes each
 * worker's verdict through the same dispatcher and validator as the
 * milter frontend.  Single-threaded but for the dispatcher's thread; the
 * spawner is fork+exec'd here, the same program the daemon's parent
 * executes (filterd-spawner), so that a test run is sandboxed and
 * filtered exactly as the daemon's messages are.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "filterd/lib/config.h"
#include "filterd/super_dispatch.h"
#include "filterd/lib/log.h"
#include "filterd/lib/message.h"
#include "filterd/offline.h"
#include "filterd/parent.h"
#include "filterd/super_answer.h"
#include "filterd/lib/rfc5322.h"
#include "filterd/lib/verdict.h"

/*
 * Reads the file ("-": standard input), at most max bytes of it, and
 * returns them NUL-terminated; *more_r says whether the file had more.
 */
static char *
offline_read(const char *path, size_t max, size_t *len_r, int *more_r)
{
	char	*p;
	size_t	 len = 0;
	ssize_t	 n = 0;
	int	 fd = STDIN_FILENO;

	if (strcmp(path, "-") != 0 &&
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if ((p = malloc(max + 2)) == NULL) {
		if (fd != STDIN_FILENO)
			close(fd);
		return NULL;
	}
	while (len <= max && ((n = read(fd, p + len, max + 1 - len)) > 0 ||
	    (n == -1 && errno == EINTR)))
		len += n > 0 ? (size_t)n : 0;
	if (fd != STDIN_FILENO)
		close(fd);
	if (n == -1) {
		free(p);
		return NULL;
	}
	if ((*more_r = len > max))
		len = max;
	p[len] = '\0';
	*len_r = len;
	return p;
}

/* Copies the address out of "Name <a@b>" or "a@b", at most len bytes. */
static void
offline_addr(const char *s, size_t n, char *out, size_t len)
{
	const char	*lt = memchr(s, '<', n), *gt;

	if (lt != NULL && (gt = memchr(lt, '>', n - (size_t)(lt - s))) != NULL) {
		s = lt + 1;
		n = (size_t)(gt - s);
	}
	while (n > 0 && (*s == ' ' || *s == '\t' || *s == '\n')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
	    s[n - 1] == '\n'))
		n--;
	snprintf(out, len, "%.*s", (int)n, s);
}

/*
 * The envelope, from Return-Path or From, and To and Cc: for a message
 * the command line gives none.  sender and rcpts say which to take.
 */
static void
offline_header_envelope(struct message *m, int sender, int rcpts)
{
	char		 addr[MSG_STR_MAX + 1];
	const char	*v, *comma;
	size_t		 i;

	for (i = 0; i < m->nhdrs; i++) {
		v = m->hdrs[i].value;
		if (sender && (strcasecmp(m->hdrs[i].name, "Return-Path") == 0 ||
		    (strcasecmp(m->hdrs[i].name, "From") == 0 &&
		    m->sender == NULL))) {
			offline_addr(v, strlen(v), addr, sizeof(addr));
			(void)message_set(&m->sender, addr);
		}
		if (!rcpts || (strcasecmp(m->hdrs[i].name, "To") != 0 &&
		    strcasecmp(m->hdrs[i].name, "Cc") != 0))
			continue;
		for (; *v != '\0'; v = *comma ? comma + 1 : comma) {
			comma = v + strcspn(v, ",");
			offline_addr(v, (size_t)(comma - v), addr, sizeof(addr));
			if (*addr != '\0')
				(void)message_add_rcpt(m, addr);
		}
	}
	if (m->sender == NULL)
		(void)message_set(&m->sender, "");
}

/*
 * The connection and envelope, as the milter frontend fills them: the
 * client and HELO at connect, the sender, its macros ("i" the queue id,
 * {auth_authen} the authenticated user) and the recipients -- from the
 * command line, else from the header, else localhost.  Returns 0, or -1
 * with the reason on stderr: a string over a bound of struct message.
 */
static int
offline_envelope(struct message *m, const struct offline_opts *op)
{
	size_t	 i;
	int	 rc = 0;

	rc |= message_set(&m->client_addr, op->client_addr != NULL ?
	    op->client_addr : "127.0.0.1");
	rc |= message_set(&m->client_name, op->client_name != NULL ?
	    op->client_name : "localhost");
	rc |= message_set(&m->helo, op->helo != NULL ? op->helo : "localhost");
	if (op->sender != NULL)
		rc |= message_set(&m->sender, op->sender);
	rc |= message_add_macro(m, "i", "OFFLINE");
	for (i = 0; i < op->nmacros; i++)
		rc |= message_add_macro(m, op->macros[i].name,
		    op->macros[i].value);
	for (i = 0; i < op->nrcpts; i++)
		rc |= message_add_rcpt(m, op->rcpts[i]);
	rc |= message_set(&m->queue_id, message_macro(m, "i"));
	offline_header_envelope(m, op->sender == NULL, op->nrcpts == 0);
	if (rc != 0)
		fprintf(stderr, "filterd: an option is over a bound: %d bytes "
		    "a string, %d recipients, %d macros\n", MSG_STR_MAX,
		    MSG_RCPTS_MAX, MSG_MACROS_MAX);
	return rc != 0 ? -1 : 0;
}

/* Feeds the file to the one message parser, as an MTA reads it. */
static int
offline_parse(struct message *m, const char *p, size_t len)
{
	struct rfc5322	*rp;
	int		 rc;

	if ((rp = rfc5322_new(m)) == NULL)
		return -1;
	if ((rc = rfc5322_text(rp, p, len)) == 0)
		rc = rfc5322_end(rp);
	rfc5322_free(&rp);
	/* Over a bound: the message gets limits.oversize, as with an MTA. */
	return rc == -1 && m->over == NULL ? -1 : 0;
}

static void
json_str(FILE *f, const char *s)
{
	if (s == NULL) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/* The reply the MTA would be given, defaults included. */
static void
offline_reply(const struct answer *a, char *buf, size_t len)
{
	buf[0] = '\0';
	if (a->code != NULL)
		snprintf(buf, len, "%s%s%s%s%s", a->code, a->ecode ? " " : "",
		    a->ecode ? a->ecode : "", a->text ? " " : "",
		    a->text ? a->text : "");
}

/*
 * Why there was no worker's verdict, if so: "failure: WHY (on_failure
 * applied)" or "oversize: WHY (limits.oversize applied)".
 */
static void
print_why(const struct outcome *o, const char *before, const char *after)
{
	if (o->kind == OUTCOME_FALLBACK)
		printf("%sfailure: %s (on_failure applied)%s", before, o->why,
		    after);
	else if (o->kind != OUTCOME_WORKER)
		printf("%s%s: %s (limits.%s applied)%s", before,
		    outcome_kind_name(o->kind), o->why,
		    outcome_kind_name(o->kind), after);
}

/*
 * The rules' trace (rules.h), a "trace: " line each of its lines.  The
 * supervisor let through printable lines only; anything odd is escaped
 * all the same.
 */
static void
print_trace_text(const struct verdict *v, const char *indent)
{
	const char	*t;
	int		 bol = 1;

	if (v->trace == NULL)
		return;
	for (t = v->trace; *t != '\0'; t++) {
		if (bol)
			printf("%strace: ", indent);
		bol = *t == '\n';
		if (*t == '\n' || (*t >= 0x20 && *t < 0x7f))
			putchar(*t);
		else
			printf("\\x%02x", (unsigned char)*t);
	}
	if (!bol)
		putchar('\n');
}

/* One message, as a block of "key: value" lines. */
static void
print_text(const struct outcome *o, const struct answer *a, int trace)
{
	const struct verdict	*v = &o->v;
	const struct hdrop	*h;
	char			 reply[1100];
	size_t			 i;

	offline_reply(a, reply, sizeof(reply));
	printf("action: %s\n", action_name(a->action));
	if (*reply)
		printf("reply: %s\n", reply);
	if (a->reason != NULL)
		printf("quarantine: %s\n", a->reason);
	printf("score: %.3f\n", v->score / 1000.0);
	printf("rules:");
	for (i = 0; i < v->nrules; i++)
		printf("%s%s", i ? ", " : " ", v->rules[i]);
	printf("\n");
	if (trace)
		print_trace_text(v, "");
	for (i = 0; i < a->nops; i++) {
		h = a->ops[i];
		printf("header: %s %u %s%s%s\n", hdr_op_name(h->op), h->index,
		    h->name, h->value ? ": " : "", h->value ? h->value : "");
	}
	for (i = 0; i < v->nlogs; i++)
		printf("log: %s\n", v->logs[i]);
	print_why(o, "", "\n");
	printf("worker: %ld, %ld ms\n", (long)o->pid, o->ms);
}

/*
 * One message of several, on one line: "FILE: ACTION[ REPLY][ (quarantine:
 * REASON)], score S, rules: R[, WHY]", and its trace below, indented.
 */
static void
print_line(const char *path, const struct outcome *o, const struct answer *a,
    int trace)
{
	const struct verdict	*v = &o->v;
	char			 reply[1100];
	size_t			 i;

	offline_reply(a, reply, sizeof(reply));
	printf("%s: %s", path, action_name(a->action));
	if (*reply)
		printf(" %s", reply);
	if (a->reason != NULL)
		printf(" (quarantine: %s)", a->reason);
	printf(", score %.3f, rules:", v->score / 1000.0);
	for (i = 0; i < v->nrules; i++)
		printf("%s%s", i ? "," : " ", v->rules[i]);
	if (v->nrules == 0)
		printf(" -");
	print_why(o, ", ", "");
	printf("\n");
	if (trace)
		print_trace_text(v, "    ");
}

/* The trace as "trace": [LINE, ...], each line without its '\n'. */
static void
print_trace_json(const struct verdict *v)
{
	const char	*t, *nl;
	char		 line[VERDICT_TRACE_MAX + 1];
	size_t		 n;
	int		 first = 1;

	printf(", \"trace\": [");
	for (t = v->trace; t != NULL && *t != '\0'; t = nl + (*nl != '\0')) {
		if ((nl = strchr(t, '\n')) == NULL)
			nl = t + strlen(t);
		n = (size_t)(nl - t);
		memcpy(line, t, n);
		line[n] = '\0';
		printf("%s", first ? "" : ", ");
		json_str(stdout, line);
		first = 0;
	}
	printf("]");
}

/* One message, as one JSON object on one line; path only for several. */
static void
print_json(const char *path, const struct outcome *o, const struct answer *a,
    int trace)
{
	const struct verdict	*v = &o->v;
	const struct hdrop	*h;
	char			 reply[1100];
	size_t			 i;

	offline_reply(a, reply, sizeof(reply));
	printf("{\"action\": ");
	json_str(stdout, action_name(a->action));
	printf(", \"reply\": ");
	json_str(stdout, *reply ? reply : NULL);
	printf(", \"quarantine\": ");
	json_str(stdout, a->reason);
	printf(", \"score\": %.3f, \"rules\": [", v->score / 1000.0);
	for (i = 0; i < v->nrules; i++) {
		printf(i ? ", " : "");
		json_str(stdout, v->rules[i]);
	}
	printf("], \"headers\": [");
	for (i = 0; i < a->nops; i++) {
		h = a->ops[i];
		printf("%s{\"op\": \"%s\", \"index\": %u, \"name\": ",
		    i ? ", " : "", hdr_op_name(h->op), h->index);
		json_str(stdout, h->name);
		printf(", \"value\": ");
		json_str(stdout, h->value);
		printf("}");
	}
	printf("], \"logs\": [");
	for (i = 0; i < v->nlogs; i++) {
		printf(i ? ", " : "");
		json_str(stdout, v->logs[i]);
	}
	printf("]");
	for (i = OUTCOME_FALLBACK; i <= OUTCOME_MALFORMED; i++) {
		printf(", \"%s\": ", outcome_kind_name((int)i));
		json_str(stdout, (size_t)o->kind == i ? o->why : NULL);
	}
	printf(", \"worker\": %ld, \"ms\": %ld", (long)o->pid, o->ms);
	if (trace)
		print_trace_json(v);
	if (path != NULL) {
		printf(", \"file\": ");
		json_str(stdout, path);
	}
	printf("}\n");
}

static int
offline_status(int action)
{
	switch (action) {
	case ACTION_REJECT:
		return OFFLINE_REJECT;
	case ACTION_TEMPFAIL:
		return OFFLINE_TEMPFAIL;
	case ACTION_DISCARD:
		return OFFLINE_DISCARD;
	case ACTION_QUARANTINE:
		return OFFLINE_QUARANTINE;
	default:
		return OFFLINE_ACCEPT;
	}
}

/* One run: its spawner, started for the first message that needs one. */
struct offline_run {
	const struct config		*c;
	const struct parent_args	*a;
	const struct offline_opts	*op;
	struct dispatch			*d;
	pid_t				 spawner;
	unsigned			 count[ACTION_MAX];
	unsigned			 errors;
};

/* Starts the run's spawner and its dispatcher; returns 0 or -1. */
static int
offline_start(struct offline_run *r)
{
	int	 ctl;

	if (r->d != NULL)
		return 0;
	if ((ctl = parent_start_spawner(r->a, &r->spawner)) == -1)
		return -1;
	if ((r->d = dispatch_new(-1, r->c, NULL)) == NULL) {
		close(ctl);
		while (waitpid(r->spawner, NULL, 0) == -1 && errno == EINTR)
			;
		return -1;
	}
	dispatch_set_spawner(r->d, ctl);
	return 0;
}

static void
offline_stop(struct offline_run *r)
{
	if (r->d == NULL)
		return;
	dispatch_free(&r->d);	/* closes ctl: the spawner retires */
	while (waitpid(r->spawner, NULL, 0) == -1 && errno == EINTR)
		;
}

/*
 * Reads and parses one message, with the command line's envelope.
 * Returns it, or NULL with the reason on stderr and in why.
 */
static struct message *
offline_message(const struct offline_run *r, const char *path, char *why,
    size_t whylen)
{
	struct message	*m;
	char		*p;
	size_t		 len;
	int		 more;

	/* The slack lets the parser decide, counting line ends as CRLF. */
	if ((p = offline_read(path, (size_t)r->c->message_size + 1024 * 1024,
	    &len, &more)) == NULL) {
		snprintf(why, whylen, "%s", strerror(errno));
		log_warnx("%s: %s", path, why);
		return NULL;
	}
	if ((m = message_new((size_t)r->c->message_size)) == NULL ||
	    offline_parse(m, p, len) == -1) {
		snprintf(why, whylen, "out of memory");
		log_warnx("%s: %s", path, why);
		free(p);
		message_free(&m);
		return NULL;
	}
	free(p);
	/* A file larger still is over the limit, however it is counted. */
	if (more && m->over == NULL) {
		m->oversize = 1;
		m->over = "over limits.message_size";
	}
	m->trace = r->op->trace;
	if (offline_envelope(m, r->op) == -1) {
		snprintf(why, whylen, "an option is over a bound");
		message_free(&m);
	}
	return m;
}

/*
 * Runs one message and prints its verdict; returns its exit status, and
 * for OFFLINE_ERROR the reason in why.
 */
static int
offline_one(struct offline_run *r, const char *path, int several,
    char *why, size_t whylen)
{
	struct message	*m;
	struct outcome	 o;
	struct answer	 ans;
	int		 status;

	if ((m = offline_message(r, path, why, whylen)) == NULL)
		return OFFLINE_ERROR;
	if (!answer_decide(m, r->c->oversize, r->c->malformed, &o)) {
		if (offline_start(r) == -1) {
			snprintf(why, whylen, "cannot start a spawner");
			log_warnx("%s", why);
			message_free(&m);
			return OFFLINE_ERROR;
		}
		dispatch_run(r->d, m, &o);
		/*
		 * A worker that failed retires its spawner, as in the daemon,
		 * where the parent starts the next: so do we, for the next
		 * message.
		 */
		if (o.kind == OUTCOME_FALLBACK)
			offline_stop(r);
	}
	answer_message(&ans, m, &o, r->c->quarantine_header, 0);
	if (log_verbose())	/* the line the daemon would log */
		answer_log(m, &o, &ans);
	if (r->op->json)
		print_json(several ? path : NULL, &o, &ans, r->op->trace);
	else if (several)
		print_line(path, &o, &ans, r->op->trace);
	else
		print_text(&o, &ans, r->op->trace);
	fflush(stdout);
	r->count[ans.action]++;
	status = offline_status(ans.action);
	outcome_clear(&o);
	message_free(&m);
	return status;
}

/* The summary of several messages: counts by action, and errors. */
static void
print_summary(const struct offline_run *r, size_t n)
{
	int	 a;

	if (r->op->json)
		printf("{\"summary\": {\"messages\": %zu", n);
	else
		printf("summary: %zu messages", n);
	for (a = ACTION_ACCEPT; a < ACTION_MAX; a++)
		printf(r->op->json ? ", \"%s\": %u" : ", %s %u",
		    action_name(a), r->count[a]);
	printf(r->op->json ? ", \"error\": %u}}\n" : ", error %u\n",
	    r->errors);
}

int
offline_main(const struct config *c, const struct parent_args *a,
    const struct offline_opts *op)
{
	struct offline_run	 r;
	char			 why[256];
	size_t			 i;
	int			 status = 0, st, several = op->nfiles > 1;

	memset(&r, 0, sizeof(r));
	r.c = c;
	r.a = a;
	r.op = op;
	for (i = 0; i < op->nfiles; i++) {
		if ((st = offline_one(&r, op->files[i], several, why,
		    sizeof(why))) == OFFLINE_ERROR) {
			r.errors++;
			if (op->json && several) {
				printf("{\"file\": ");
				json_str(stdout, op->files[i]);
				printf(", \"error\": ");
				json_str(stdout, why);
				printf("}\n");
			} else if (several)
				printf("%s: error: %s\n", op->files[i], why);
		}
		/* The most severe: an error, then reject, ... quarantine. */
		if (st != 0 && (status == 0 || st < status))
			status = st;
	}
	if (several)
		print_summary(&r, op->nfiles);
	offline_stop(&r);
	return status;
}
