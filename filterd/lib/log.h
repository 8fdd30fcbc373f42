/*
 * log: one logging interface for every filterd process.  With -d it writes
 * to stderr, otherwise to syslog (mail facility, or syslog_facility).  Thread-safe: each call
 * formats into a local buffer and emits one write or one syslog call.
 */
#ifndef FILTERD_LIB_LOG_H
#define FILTERD_LIB_LOG_H

#include <stdarg.h>

/* ident names the process role ("filterd", "filterd/spawner"). */
void	log_init(const char *ident, int foreground, int verbose);
/*
 * Closes syslog's socket, before the caller closes descriptors wholesale
 * (glibc would go on writing to the number); log_init() opens it again.
 */
void	log_detach(void);
/*
 * syslog_facility (LOG_MAIL at first): reopens syslog with it, so call it
 * before a sandbox closes the file system.  Kept across log_init.
 */
void	log_set_facility(int facility);
int	log_foreground(void);
/*
 * Whether lines also go to stderr when they go to syslog: while the start
 * of a daemon is watched from the terminal (parent_start.h), so that a
 * failure is seen where filterd was started.
 */
void	log_tee_stderr(int on);
/*
 * Once a daemon is started: no more lines to stderr, and, unless in the
 * foreground, stdin, stdout and stderr on /dev/null.
 */
void	log_leave_terminal(void);
int	log_verbose(void);

void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
/* As log_warnx, with ": strerror(errno)" appended. */
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Environment or configuration failures at start-up: log and exit 1. */
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

/* Always-on assertion for our own invariants: logs and aborts. */
#define FD_ASSERT(e)	((e) ? (void)0 : \
	log_panic(__FILE__, __LINE__, #e))
void	log_panic(const char *, int, const char *)
	    __attribute__((noreturn));

#endif
