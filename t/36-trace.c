/*
 * 36-trace: the trace of filterd -t --trace in the verdict, as the worker
 * builds it (filters/rules.c): only for a job that asks for one (its flag,
 * message.h); then a line for each rule and named condition, what hit on
 * escaped and cut at RULES_TRACE_TEXT with "...", every line printable
 * ASCII, the whole at most VERDICT_TRACE_MAX and ending "(trace cut)"
 * when there was more -- what the supervisor's check wants
 * (super_policy.c, t/03-validate).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filterd/lib/config.h"
#include "filterd/lib/message.h"
#include "filterd/lib/verdict.h"
#include "filters/host.h"
#include "filters/rules.h"
#include "t/tap.h"

#define BASE	"user = \"nobody\"; worker_user = \"daemon\";\n"

static char	 path[] = "/tmp/t36trace.XXXXXX";

static struct config *
load(const char *text)
{
	FILE	*f;
	int	 fd;

	if ((fd = mkstemp(path)) == -1 || (f = fdopen(fd, "w")) == NULL)
		bail("%s", path);
	fputs(text, f);
	fclose(f);
	return config_load(path, stderr);
}

/* Runs the rules over a message with subject; the verdict's trace. */
static char *
trace_of(const struct config *c, const char *subject, int want)
{
	struct modules	*ms;
	struct message	*m;
	struct verdict	*v;
	char		 err[512], *t;

	if ((ms = modules_load_flags(c, MODULES_NOJIT, err,
	    sizeof(err))) == NULL)
		bail("modules: %s", err);
	if ((m = message_new(1 << 20)) == NULL || (v = verdict_new()) == NULL)
		bail("out of memory");
	(void)message_set(&m->sender, "<a@x.example>");
	(void)message_add_rcpt(m, "<b@y.example>");
	(void)message_add_header(m, "Subject", subject);
	m->trace = want;
	if (modules_check(ms, m, v) == -1)
		bail("modules_check");
	t = v->trace;
	v->trace = NULL;
	verdict_free(&v);
	message_free(&m);
	modules_free(&ms);
	return t;
}

/* Lines of printable ASCII, none empty, the last ending in '\n'. */
static int
lines_ok(const char *t)
{
	size_t	 i, len = strlen(t);

	if (len == 0 || len > VERDICT_TRACE_MAX || t[len - 1] != '\n')
		return 0;
	for (i = 0; i < len; i++)
		if ((t[i] == '\n' && (i == 0 || t[i - 1] == '\n')) ||
		    (t[i] != '\n' && (t[i] < 0x20 || t[i] > 0x7e)))
			return 0;
	return 1;
}

static void
test_rule(void)
{
	struct config	*c;
	char		 subj[1000], *t, *hit, *end;

	c = load(BASE "rules = (\n"
	    " { name = \"r\"; header = \"Subject\"; pattern = \"EXE.*\";"
	    " action = \"score\"; score = 1; },\n"
	    " { name = \"s\"; sender = \"nobody\"; action = \"score\"; score = 1; }\n"
	    ");\n");
	if (c == NULL)
		bail("the configuration does not load");
	t = trace_of(c, "EXE", 0);
	ok(t == NULL, "no trace when the job asked for none");
	free(t);
	t = trace_of(c, "an EXE\001\"\\", 1);
	is_str(t, "rule r: hit on \"an EXE\\x01\\x22\\x5c\"\nrule s: miss\n",
	    "a line a rule, what hit on escaped");
	free(t);
	memset(subj, 'x', sizeof(subj) - 1);
	memcpy(subj, "EXE", 3);
	subj[sizeof(subj) - 1] = '\0';
	t = trace_of(c, subj, 1);
	ok(t != NULL && lines_ok(t), "the trace is lines of printable ASCII");
	hit = t != NULL ? strstr(t, "hit on \"") : NULL;
	end = hit != NULL ? strchr(hit + 8, '"') : NULL;
	ok(end != NULL && (size_t)(end - hit - 8) <= RULES_TRACE_TEXT &&
	    strncmp(end - 3, "...", 3) == 0,
	    "the text is cut to RULES_TRACE_TEXT (%d), ending in \"...\"",
	    end != NULL ? (int)(end - hit - 8) : -1);
	free(t);
	config_free(&c);
}

/* Many rules: the trace stops at its bound, and says so. */
static void
test_cut(void)
{
	struct config	*c;
	char		*text, *t;
	size_t		 i, n = 0, len = 400 * 200;

	if ((text = malloc(len)) == NULL)
		bail("malloc");
	n = (size_t)snprintf(text, len, "%srules = (\n", BASE);
	for (i = 0; i < 300; i++)
		n += (size_t)snprintf(text + n, len - n, " { name = "
		    "\"rule-with-a-long-name-%03zu\"; header = \"Subject\"; "
		    "pattern = \".\"; action = \"score\"; score = 1; }%s\n", i,
		    i + 1 < 300 ? "," : "");
	snprintf(text + n, len - n, ");\n");
	if ((c = load(text)) == NULL)
		bail("the configuration does not load");
	free(text);
	unlink(path);
	t = trace_of(c, "a subject long enough to fill the trace quickly, "
	    "at a hundred and twenty bytes a hit, and more than that", 1);
	ok(t != NULL && strlen(t) <= VERDICT_TRACE_MAX && lines_ok(t),
	    "a long trace stays within VERDICT_TRACE_MAX (%zu), printable",
	    t != NULL ? strlen(t) : 0);
	ok(t != NULL && strlen(t) > 12 &&
	    strcmp(t + strlen(t) - 12, "(trace cut)\n") == 0,
	    "and ends in \"(trace cut)\"");
	free(t);
	config_free(&c);
}

int
main(void)
{
	test_rule();
	unlink(path);
	memset(path + strlen(path) - 6, 'X', 6);
	test_cut();
	unlink(path);
	return done_testing();
}
