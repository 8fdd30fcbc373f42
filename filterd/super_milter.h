/*
 * super_milter: the libmilter frontend, for Postfix and Sendmail.  Collects one
 * message per transaction, hands it to the dispatcher at end of message,
 * and applies the validated verdict with smfi_*.  Runs in the supervisor,
 * whose threads are libmilter's: nothing here forks.
 */
#ifndef FILTERD_SUPER_MILTER_H
#define FILTERD_SUPER_MILTER_H

struct config;
struct dispatch;

/*
 * Opens the listening socket named by the configuration.  Called before
 * privileges are dropped.  Returns 0, or -1 after logging why.
 */
int	milter_listen(const struct config *);
/* Serves until SIGTERM or SIGINT; returns the exit status. */
int	milter_run(const struct config *, struct dispatch *);
/*
 * Has milter_run return, as on SIGTERM: no new connection is accepted,
 * those open finish.  From any thread.
 */
void	milter_stop(void);

#endif
