/*
 * super: set-up of the MTA-facing process.  Runs as root only until
 * its socket is open, then without capabilities as the configured user,
 * with the effective ids of worker_user so that it can kill workers and
 * they cannot signal it (sandbox/privdrop.c); or as the invoking user,
 * still without capabilities.  In opensmtpd
 * mode there is no socket: smtpd's stream is stdin and stdout.  Trusts the
 * configuration; trusts neither the MTA nor the workers.
 */
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "filterd/lib/config.h"
#include "filterd/super_dispatch.h"
#include "filterd/lib/log.h"
#include "filterd/super_milter.h"
#include "sandbox/sandbox.h"
#include "filterd/super_opensmtpd.h"
#include "filterd/super.h"

int
supervisor_main(const struct config *c, int pchan, int frontend,
    const uint64_t *announced)
{
	struct dispatch	*d;
	char		 err[256];
	int		 rc;

	signal(SIGPIPE, SIG_IGN);
	/* OpenSMTPD hands us stdin and stdout: there is nothing to open. */
	if (frontend == FRONTEND_MILTER && milter_listen(c) == -1)
		return 1;
	/* Effective ids worker_user's: it may kill workers, not they it. */
	if (geteuid() == 0 && sandbox_privdrop(c->user, c->worker_user, NULL,
	    err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		return 1;
	}
	if (sandbox_drop_caps(err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		return 1;
	}
	/* Nothing here ever execs; say so to the kernel. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		log_warn("PR_SET_NO_NEW_PRIVS");
		return 1;
	}
	if ((d = dispatch_new(pchan, c, announced)) == NULL) {
		log_warnx("out of memory");
		return 1;
	}
	if (frontend == FRONTEND_OPENSMTPD)
		rc = smtpd_run(c, d);
	else
		rc = milter_run(c, d);
	dispatch_free(&d);
#ifdef FD_SANITIZERS
	/*
	 * LeakSanitizer checks at exit from a clone of this process that
	 * ptraces it, which the kernel refuses while the real and effective
	 * ids differ.  No worker is left to kill: take user's ids back.
	 */
	if (setresgid((gid_t)-1, getgid(), (gid_t)-1) == -1 ||
	    setresuid((uid_t)-1, getuid(), (uid_t)-1) == -1)
		log_warn("setresuid for LeakSanitizer");
#endif
	return rc;
}
