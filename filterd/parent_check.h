/*
 * parent_check: checking a configuration file in a sandboxed child, so
 * that the parent, which may be root, never loads a module or compiles a
 * pattern (filterd -n, the check at start, SIGHUP).
 */
#ifndef FILTERD_PARENT_CHECK_H
#define FILTERD_PARENT_CHECK_H

/*
 * Forks a child that reads the file at path (as root, when we are), then
 * drops to the configured user and into the checker's seccomp policy,
 * loads every module and runs its init.  Each error line it reports
 * ("file:line: message"), and why the check itself failed when it did,
 * goes to report(arg, line), escaped.  Returns the configuration's
 * snapshot, a memfd sealed against any change (config_snapshot), for the
 * caller to keep; or -1 when the file has errors or the check could not
 * be made.  Blocks for up to 30 seconds; only from a single-threaded
 * process.
 */
int	parent_check(const char *path, void (*report)(void *, const char *),
	    void *arg);

#endif
