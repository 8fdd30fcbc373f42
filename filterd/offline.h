/*
 * offline: filterd -t, one message from a file through the same spawner,
 * sandboxed worker and validator as mail from an MTA, for rule authors.
 */
#ifndef FILTERD_OFFLINE_H
#define FILTERD_OFFLINE_H

struct config;
struct parent_args;

/* Exit statuses of filterd -t, by action. */
#define OFFLINE_ACCEPT		0
#define OFFLINE_ERROR		1
#define OFFLINE_REJECT		10
#define OFFLINE_TEMPFAIL	11
#define OFFLINE_DISCARD		12
#define OFFLINE_QUARANTINE	13

/*
 * Runs the message in path (RFC 5322, LF or CRLF line ends) and prints the
 * verdict to stdout, as text or JSON.  Returns the exit status above.
 */
int	offline_main(const struct config *, const struct parent_args *,
	    const char *path, int json);
/*
 * --trace: the job asks the rules for their trace (VERDICT_TRACE_MACRO),
 * and the text output ends with it, a "trace: " line a rule or condition.
 */
void	offline_set_trace(int);

#endif
