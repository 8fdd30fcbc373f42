/*
 * super_stats: the supervisor's counters -- messages by action and by how
 * they were decided, rule hits, worker failures by cause, and a histogram
 * of the time from request to verdict -- and the status the control
 * socket reports.  Fed by answer_log with validated outcomes only;
 * thread-safe (one short lock).  Rule names are bounded in number: past
 * STATS_RULES_MAX distinct names, hits count under "_other", so that a
 * hostile worker naming new rules cannot grow the table.
 */
#ifndef FILTERD_SUPER_STATS_H
#define FILTERD_SUPER_STATS_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct outcome;
struct answer;

#define STATS_RULES_MAX	256

/* What the dispatcher knows, for status. */
struct stats_status {
	unsigned	 spawners;	/* in use and standby */
	unsigned	 ready;		/* workers in stock */
	unsigned	 waiting;	/* messages waiting for one */
};

/*
 * announced: where the parent announces the generation (NULL: 1).
 * status, when not NULL, fills what the dispatcher knows.
 */
void	stats_init(const uint64_t *announced,
	    void (*status)(void *, struct stats_status *), void *arg);
void	stats_message(const struct outcome *, const struct answer *);
/* The generation in force. */
uint64_t stats_generation(void);
/* A worker failure's cause: "timeout", "crash", ... (filterd(8)). */
const char *stats_cause(const struct outcome *);

/* The control socket's answers (filterd(8)); -1 when b is full. */
int	stats_format_status(struct buf *);
int	stats_format_stats(struct buf *);
/* The Prometheus text exposition format, version 0.0.4. */
int	stats_format_prometheus(struct buf *);

#endif
