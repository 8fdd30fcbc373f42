/*
 * super_stats: runs in the supervisor, in the frontend threads that end
 * messages (stats_message) and in the control thread (the formats).  Its
 * inputs are validated outcomes (super_policy.c) and our own answers; rule
 * names are a worker's, so they are bounded in number and escaped in
 * every format.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "filterd/lib/buf.h"
#include "filterd/lib/clock.h"
#include "filterd/lib/logfmt.h"
#include "filterd/lib/verdict.h"
#include "filterd/super_answer.h"
#include "filterd/super_stats.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* The histogram's upper bounds, in ms; the last bucket is +Inf. */
static const long bounds_ms[] = {
	5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000,
};

/* Worker failures, by cause: how dispatch_run's reasons begin. */
static const struct {
	const char	*cause;
	const char	*prefix;
} causes[] = {
	{ "timeout", "worker timed out" },
	{ "crash", "worker exited without a verdict" },
	{ "no_exit", "worker did not exit after its verdict" },
	{ "no_worker", "no worker available" },
	{ "penalty", "penalty" },
	{ "internal", "getrandom failed" },
	{ "internal", "cannot write the job" },
	{ "internal", "cannot send the job" },
	{ "internal", "out of memory" },
	{ "internal", "cannot wait for the worker" },
};
/* Everything else a worker can get wrong: its verdict was refused. */
#define CAUSE_INVALID	"invalid_verdict"
static const char *const cause_names[] = {
	"timeout", "crash", "no_exit", "no_worker", "penalty", "internal",
	CAUSE_INVALID,
};

static const char *const kinds[] = {
	"worker", "failure", "oversize", "malformed",
};

struct rule_count {
	char		 name[64];
	unsigned long long n;
};

static struct {
	pthread_mutex_t	 lock;
	const uint64_t	*announced;
	void		(*status)(void *, struct stats_status *);
	void		*arg;
	time_t		 started;	/* wall clock, for Prometheus */
	long long	 started_ms;	/* monotonic */
	unsigned long long messages;
	unsigned long long actions[ACTION_MAX];
	unsigned long long kinds[NITEMS(kinds)];
	unsigned long long causes[NITEMS(cause_names)];
	unsigned long long buckets[NITEMS(bounds_ms) + 1];
	unsigned long long timed;	/* messages in the histogram */
	unsigned long long sum_ms;
	struct rule_count rules[STATS_RULES_MAX];
	size_t		 nrules;
	unsigned long long other_rules;
} st = { .lock = PTHREAD_MUTEX_INITIALIZER };

void
stats_init(const uint64_t *announced,
    void (*status)(void *, struct stats_status *), void *arg)
{
	pthread_mutex_lock(&st.lock);
	st.announced = announced;
	st.status = status;
	st.arg = arg;
	st.started = time(NULL);
	st.started_ms = clock_ms();
	pthread_mutex_unlock(&st.lock);
}

uint64_t
stats_generation(void)
{
	return st.announced != NULL ? __atomic_load_n(st.announced,
	    __ATOMIC_ACQUIRE) : 1;
}

const char *
stats_cause(const struct outcome *o)
{
	size_t	 i;

	for (i = 0; i < NITEMS(causes); i++)
		if (strncmp(o->why, causes[i].prefix,
		    strlen(causes[i].prefix)) == 0)
			return causes[i].cause;
	return CAUSE_INVALID;
}

static size_t
cause_index(const char *cause)
{
	size_t	 i;

	for (i = 0; i < NITEMS(cause_names); i++)
		if (strcmp(cause_names[i], cause) == 0)
			return i;
	return NITEMS(cause_names) - 1;
}

/* Under the lock. */
static void
count_rule(const char *name)
{
	size_t	 i;

	for (i = 0; i < st.nrules; i++)
		if (strcmp(st.rules[i].name, name) == 0) {
			st.rules[i].n++;
			return;
		}
	if (st.nrules == STATS_RULES_MAX ||
	    strlen(name) >= sizeof(st.rules[0].name)) {
		st.other_rules++;
		return;
	}
	snprintf(st.rules[st.nrules].name, sizeof(st.rules[0].name), "%s",
	    name);
	st.rules[st.nrules++].n = 1;
}

void
stats_message(const struct outcome *o, const struct answer *a)
{
	size_t	 i;

	pthread_mutex_lock(&st.lock);
	st.messages++;
	if (a->action > 0 && a->action < ACTION_MAX)
		st.actions[a->action]++;
	if (o->kind >= 0 && (size_t)o->kind < NITEMS(kinds))
		st.kinds[o->kind]++;
	if (o->kind == OUTCOME_FALLBACK)
		st.causes[cause_index(stats_cause(o))]++;
	for (i = 0; i < o->v.nrules; i++)
		count_rule(o->v.rules[i]);
	/* Only messages that went to a worker, or tried to, took time. */
	if (o->kind == OUTCOME_WORKER || o->kind == OUTCOME_FALLBACK) {
		for (i = 0; i < NITEMS(bounds_ms) && o->ms > bounds_ms[i]; i++)
			;
		st.buckets[i]++;
		st.timed++;
		st.sum_ms += o->ms > 0 ? (unsigned long long)o->ms : 0;
	}
	pthread_mutex_unlock(&st.lock);
}

/* A consistent copy, taken under the lock. */
static void
snapshot(__typeof__(st) *c, struct stats_status *ss)
{
	pthread_mutex_lock(&st.lock);
	memcpy(c, &st, sizeof(*c));
	pthread_mutex_unlock(&st.lock);
	memset(ss, 0, sizeof(*ss));
	if (c->status != NULL)
		c->status(c->arg, ss);
}

int
stats_format_status(struct buf *b)
{
	static __typeof__(st)	 c;	/* the control thread's alone */
	struct stats_status	 ss;

	snapshot(&c, &ss);
	return buf_printf(b, "uptime %lld\ngeneration %llu\nspawners %u\n"
	    "ready_workers %u\nwaiting_messages %u\nmessages %llu\n",
	    (clock_ms() - c.started_ms) / 1000,
	    (unsigned long long)stats_generation(), ss.spawners, ss.ready,
	    ss.waiting, c.messages);
}

/* "name value" lines for the rules, the name encoded as logfmt does. */
static int
format_rule(struct buf *b, const char *prefix, const char *name,
    unsigned long long n)
{
	struct logfmt	 l;
	char		 enc[4 * 64 + 8];

	logfmt_init(&l, enc, sizeof(enc));
	logfmt_value(&l, name, sizeof(enc) - 1);
	return buf_printf(b, "%s %s %llu\n", prefix, enc, n);
}

int
stats_format_stats(struct buf *b)
{
	static __typeof__(st)	 c;
	struct stats_status	 ss;
	unsigned long long	 cum = 0;
	size_t			 i;
	int			 rc = 0;

	snapshot(&c, &ss);
	rc |= buf_printf(b, "messages %llu\n", c.messages);
	for (i = ACTION_ACCEPT; i < ACTION_MAX; i++)
		rc |= buf_printf(b, "action %s %llu\n", action_name((int)i),
		    c.actions[i]);
	for (i = 0; i < NITEMS(kinds); i++)
		rc |= buf_printf(b, "decided %s %llu\n", kinds[i], c.kinds[i]);
	for (i = 0; i < NITEMS(cause_names); i++)
		rc |= buf_printf(b, "failure %s %llu\n", cause_names[i],
		    c.causes[i]);
	for (i = 0; i < c.nrules; i++)
		rc |= format_rule(b, "rule", c.rules[i].name, c.rules[i].n);
	if (c.other_rules > 0)
		rc |= format_rule(b, "rule", "_other", c.other_rules);
	/* Cumulative, as "le" says (and as Prometheus has them). */
	for (i = 0; i < NITEMS(bounds_ms); i++) {
		cum += c.buckets[i];
		rc |= buf_printf(b, "latency_ms le=%ld %llu\n", bounds_ms[i],
		    cum);
	}
	rc |= buf_printf(b, "latency_ms le=inf %llu\n",
	    cum + c.buckets[NITEMS(bounds_ms)]);
	rc |= buf_printf(b, "latency_ms count %llu\nlatency_ms sum %llu\n",
	    c.timed, c.sum_ms);
	return rc ? -1 : 0;
}

/* A label value: '\', '"' and newline escaped (the format's rules). */
static int
prom_label(struct buf *b, const char *v)
{
	int	 rc = 0;

	for (; *v != '\0'; v++)
		if (*v == '\\' || *v == '"')
			rc |= buf_printf(b, "\\%c", *v);
		else if (*v == '\n')
			rc |= buf_printf(b, "\\n");
		else
			rc |= buf_put_u8(b, (uint8_t)*v);
	return rc;
}

static int
prom_head(struct buf *b, const char *name, const char *type,
    const char *help)
{
	return buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	    type);
}

int
stats_format_prometheus(struct buf *b)
{
	static __typeof__(st)	 c;
	struct stats_status	 ss;
	unsigned long long	 cum = 0;
	size_t			 i;
	int			 rc = 0;

	snapshot(&c, &ss);
	rc |= prom_head(b, "filterd_up", "gauge",
	    "Whether the supervisor answered.");
	rc |= buf_printf(b, "filterd_up 1\n");
	rc |= prom_head(b, "filterd_start_time_seconds", "gauge",
	    "When the supervisor started, in seconds since the epoch.");
	rc |= buf_printf(b, "filterd_start_time_seconds %lld\n",
	    (long long)c.started);
	rc |= prom_head(b, "filterd_config_generation", "gauge",
	    "The configuration generation in force.");
	rc |= buf_printf(b, "filterd_config_generation %llu\n",
	    (unsigned long long)stats_generation());
	rc |= prom_head(b, "filterd_spawners", "gauge",
	    "Spawners in use and on standby.");
	rc |= buf_printf(b, "filterd_spawners %u\n", ss.spawners);
	rc |= prom_head(b, "filterd_ready_workers", "gauge",
	    "Sandboxed workers ready for a message.");
	rc |= buf_printf(b, "filterd_ready_workers %u\n", ss.ready);
	rc |= prom_head(b, "filterd_messages_total", "counter",
	    "Messages answered, by action.");
	for (i = ACTION_ACCEPT; i < ACTION_MAX; i++)
		rc |= buf_printf(b, "filterd_messages_total{action=\"%s\"} "
		    "%llu\n", action_name((int)i), c.actions[i]);
	rc |= prom_head(b, "filterd_decisions_total", "counter",
	    "Messages by how they were decided: by a worker's verdict, "
	    "or without one.");
	for (i = 0; i < NITEMS(kinds); i++)
		rc |= buf_printf(b, "filterd_decisions_total{by=\"%s\"} %llu\n",
		    kinds[i], c.kinds[i]);
	rc |= prom_head(b, "filterd_worker_failures_total", "counter",
	    "Messages that got on_failure, by cause.");
	for (i = 0; i < NITEMS(cause_names); i++)
		rc |= buf_printf(b, "filterd_worker_failures_total{cause=\"%s\"}"
		    " %llu\n", cause_names[i], c.causes[i]);
	rc |= prom_head(b, "filterd_rule_hits_total", "counter",
	    "Rules named in validated verdicts.");
	for (i = 0; i < c.nrules + (c.other_rules > 0); i++) {
		rc |= buf_printf(b, "filterd_rule_hits_total{rule=\"");
		rc |= prom_label(b, i < c.nrules ? c.rules[i].name : "_other");
		rc |= buf_printf(b, "\"} %llu\n", i < c.nrules ?
		    c.rules[i].n : c.other_rules);
	}
	rc |= prom_head(b, "filterd_message_duration_seconds", "histogram",
	    "Time from a message's request for a worker to its verdict.");
	for (i = 0; i <= NITEMS(bounds_ms); i++) {
		cum += c.buckets[i];
		if (i < NITEMS(bounds_ms))
			rc |= buf_printf(b, "filterd_message_duration_seconds_"
			    "bucket{le=\"%ld.%03ld\"} %llu\n", bounds_ms[i] /
			    1000, bounds_ms[i] % 1000, cum);
		else
			rc |= buf_printf(b, "filterd_message_duration_seconds_"
			    "bucket{le=\"+Inf\"} %llu\n", cum);
	}
	rc |= buf_printf(b, "filterd_message_duration_seconds_sum %llu.%03llu\n"
	    "filterd_message_duration_seconds_count %llu\n", c.sum_ms / 1000,
	    c.sum_ms % 1000, c.timed);
	return rc ? -1 : 0;
}
