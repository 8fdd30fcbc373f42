/*
 * offline: filterd -t.  Runs in the one filterd process of a test run:
 * it reads a message file (the administrator's, but parsed as untrusted
 * mail, with every bound a frontend has), starts a spawner, and takes the
 * worker's verdict through the same dispatcher and validator as the
 * milter frontend.  Single-threaded; the spawner is fork+exec'd here, the
 * same program the daemon's parent executes (filterd-spawner), so that a
 * test run is sandboxed and filtered exactly as the daemon's messages are.
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

static int	offline_trace;	/* --trace */

void
offline_set_trace(int on)
{
	offline_trace = on;
}

/* The worker's trace, a "trace: " line each, anything odd escaped. */
static void
print_trace(const char *t)
{
	if (t == NULL)
		return;
	for (fputs("trace: ", stdout); *t != '\0'; t++)
		if (*t == '\n' && t[1] != '\0')
			fputs("\ntrace: ", stdout);
		else if (*t == '\n' || (*t >= 0x20 && *t < 0x7f))
			putchar(*t);
		else
			printf("\\x%02x", (unsigned char)*t);
}

/*
 * Reads the file, at most max bytes of it, and returns them NUL-terminated;
 * *more_r says whether the file had more.
 */
static char *
offline_read(const char *path, size_t max, size_t *len_r, int *more_r)
{
	char	*p;
	size_t	 len = 0;
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if ((p = malloc(max + 2)) == NULL) {
		close(fd);
		return NULL;
	}
	while (len <= max && (n = read(fd, p + len, max + 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
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

/* The envelope, from Return-Path or From, and To and Cc. */
static void
offline_envelope(struct message *m)
{
	char		 addr[MSG_STR_MAX + 1];
	const char	*v, *comma;
	size_t		 i;

	for (i = 0; i < m->nhdrs; i++) {
		v = m->hdrs[i].value;
		if (strcasecmp(m->hdrs[i].name, "Return-Path") == 0 ||
		    (strcasecmp(m->hdrs[i].name, "From") == 0 &&
		    m->sender == NULL)) {
			offline_addr(v, strlen(v), addr, sizeof(addr));
			(void)message_set(&m->sender, addr);
		}
		if (strcasecmp(m->hdrs[i].name, "To") != 0 &&
		    strcasecmp(m->hdrs[i].name, "Cc") != 0)
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

static void
print_text(const struct outcome *o, const struct answer *a)
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
	for (i = 0; i < a->nops; i++) {
		h = a->ops[i];
		printf("header: %s %u %s%s%s\n", hdr_op_name(h->op), h->index,
		    h->name, h->value ? ": " : "", h->value ? h->value : "");
	}
	for (i = 0; i < v->nlogs; i++)
		printf("log: %s\n", v->logs[i]);
	if (o->kind == OUTCOME_FALLBACK)
		printf("failure: %s (on_failure applied)\n", o->why);
	else if (o->kind != OUTCOME_WORKER)
		printf("%s: %s (limits.%s applied)\n",
		    outcome_kind_name(o->kind), o->why,
		    outcome_kind_name(o->kind));
	printf("worker: %ld, %ld ms\n", (long)o->pid, o->ms);
}

static void
print_json(const struct outcome *o, const struct answer *a)
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
	printf(", \"worker\": %ld, \"ms\": %ld}\n", (long)o->pid, o->ms);
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

/* Runs m through a spawner of our own; fills o. */
static int
offline_run(const struct config *c, const struct parent_args *a,
    const struct message *m, struct outcome *o)
{
	struct dispatch	*d;
	pid_t		 pid;
	int		 ctl;

	if ((ctl = parent_start_spawner(a, &pid)) == -1)
		return -1;
	if ((d = dispatch_new(-1, c, NULL)) == NULL) {
		close(ctl);
		return -1;
	}
	dispatch_set_spawner(d, ctl);
	dispatch_run(d, m, o);
	dispatch_free(&d);	/* closes ctl: the spawner retires */
	while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
		;
	return 0;
}

int
offline_main(const struct config *c, const struct parent_args *a,
    const char *path, int json)
{
	struct message	*m;
	struct outcome	 o;
	struct answer	 ans;
	char		*p;
	size_t		 len;
	int		 status, more;

	/* The slack lets the parser decide, counting line ends as CRLF. */
	if ((p = offline_read(path, (size_t)c->message_size + 1024 * 1024,
	    &len, &more)) == NULL) {
		log_warn("%s", path);
		return OFFLINE_ERROR;
	}
	if ((m = message_new((size_t)c->message_size)) == NULL ||
	    offline_parse(m, p, len) == -1) {
		log_warnx("%s: out of memory", path);
		free(p);
		message_free(&m);
		return OFFLINE_ERROR;
	}
	free(p);
	/* A file larger still is over the limit, however it is counted. */
	if (more && m->over == NULL) {
		m->oversize = 1;
		m->over = "over limits.message_size";
	}
	(void)message_set(&m->client_addr, "127.0.0.1");
	(void)message_set(&m->client_name, "localhost");
	(void)message_set(&m->helo, "localhost");
	(void)message_set(&m->queue_id, "OFFLINE");
	offline_envelope(m);
	if (offline_trace)
		(void)message_add_macro(m, VERDICT_TRACE_MACRO, "1");
	if (!answer_decide(m, c->oversize, c->malformed, &o) && offline_run(c, a, m, &o) == -1) {
		log_warnx("cannot start a spawner");
		message_free(&m);
		return OFFLINE_ERROR;
	}
	if (answer_quarantine_header(m, &o, c->quarantine_header) == -1)
		log_warnx("quarantine_header: too many header operations");
	answer_make(&ans, &o, 0);
	if (log_verbose())	/* the line the daemon would log */
		answer_log(m, &o, &ans);
	if (json)
		print_json(&o, &ans);
	else
		print_text(&o, &ans);
	if (offline_trace && !json)
		print_trace(o.v.trace);
	status = offline_status(ans.action);
	outcome_clear(&o);
	message_free(&m);
	return status;
}
