/*
 * super_opensmtpd: the OpenSMTPD frontend ("filterd -x opensmtpd").  smtpd starts
 * filterd as a proc-exec filter and speaks its filter protocol on the
 * filter's stdin and stdout; this frontend runs that protocol
 * (smtpd_proto.c) in the supervisor and sends each message through the
 * same dispatcher as the milter frontend.  Runs in the supervisor; nothing
 * here forks.
 */
#ifndef FILTERD_SUPER_OPENSMTPD_H
#define FILTERD_SUPER_OPENSMTPD_H

struct config;
struct dispatch;

/*
 * Serves smtpd on stdin and stdout until smtpd closes the stream (returns
 * 0), SIGTERM or SIGINT (0), or smtpd breaks the protocol (1, after a log
 * line that says how).  Nothing a client, a message or a worker does ends
 * it.  Blocks SIGTERM, SIGINT and SIGHUP in the calling thread; call it
 * before any thread exists.
 */
int	smtpd_run(const struct config *, struct dispatch *);

#endif
