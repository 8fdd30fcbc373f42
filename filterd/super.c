/*
 * super: set-up of the MTA-facing process.  Runs as root only until
 * its socket is open, then without capabilities as the configured user,
 * with the effective ids of worker_user so that it can kill workers and
 * they cannot signal it (sandbox/privdrop.c); or as the invoking user,
 * still without capabilities.  From before its first thread and its
 * first read it runs under its seccomp policy (sandbox/seccomp_procs.c).
 * In opensmtpd mode there is no socket: smtpd's stream is stdin and
 * stdout.  Trusts the configuration; trusts neither the MTA nor the
 * workers.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "filterd/lib/config.h"
#include "filterd/super_ctl.h"
#include "filterd/super_dispatch.h"
#include "filterd/super_stats.h"
#include "filterd/lib/log.h"
#include "filterd/super_milter.h"
#include "sandbox/sandbox.h"
#include "filterd/super_opensmtpd.h"
#include "filterd/super.h"

/*
 * Only stdio (smtpd's stream in opensmtpd mode), the channels to the
 * parent (and from the metrics process) and the control socket stay open: nothing else that
 * whoever started filterd, or the parent, held at the fork.  syslog's
 * socket is among them: it is closed first and opened again, or glibc
 * would write to its number.
 */
static int
super_close_fds(int pchan, int cchan, int mchan, int lchan)
{
	int	 keep[4] = { pchan, cchan, mchan, lchan }, t, i, j, rc = 0;
	unsigned from = STDERR_FILENO + 1;

	/* In order, -1 first: the ranges between them go. */
	for (i = 0; i < 4; i++)
		for (j = i + 1; j < 4; j++)
			if (keep[j] < keep[i]) {
				t = keep[i];
				keep[i] = keep[j];
				keep[j] = t;
			}
	log_detach();
	for (i = 0; i < 4 && rc == 0; i++) {
		if (keep[i] < (int)from)
			continue;
		if ((unsigned)keep[i] > from)
			rc = close_range(from, (unsigned)keep[i] - 1, 0);
		from = (unsigned)keep[i] + 1;
	}
	if (rc == 0)
		rc = close_range(from, ~0U, 0);
	log_init("filterd/supervisor", log_foreground(), log_verbose());
	if (rc == -1)
		log_warn("close_range");
	return rc;
}

/*
 * The supervisor ends when the parent does, however the parent ends
 * (kill -9 included): the kernel sends it SIGTERM, which needs no
 * capability, and it stops as on any SIGTERM.  Set after the change of
 * ids, which clears it; ppid is the parent we were forked by, and a
 * parent that died before this is seen at once.
 */
static int
super_bind_parent(pid_t ppid)
{
	if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) == -1) {
		log_warn("PR_SET_PDEATHSIG");
		return -1;
	}
	if (getppid() != ppid) {
		log_warnx("the parent is gone");
		return -1;
	}
	return 0;
}

/*
 * The parent's end of pchan closes however the parent ends.  When the
 * parent-death signal cannot reach us -- a root parent without CAP_KILL
 * may not signal another user, even through the kernel -- this thread
 * sees the hang-up and stops libmilter as SIGTERM would.  It only waits:
 * the dispatcher reads pchan.
 */
static void *
super_watch_parent(void *arg)
{
	struct pollfd	 pfd;

	pfd.fd = *(int *)arg;
	pfd.events = 0;		/* hang-ups are always reported */
	while (poll(&pfd, 1, -1) == -1 || pfd.revents == 0)
		;
	log_info("the parent is gone: stopping");
	milter_stop();
	return NULL;
}

/* The watcher takes no signal: libmilter's signal thread does. */
static int
super_watch_start(int *pchan)
{
	pthread_t	 tid;
	sigset_t	 all, old;
	int		 rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&tid, NULL, super_watch_parent, pchan);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc == 0)
		pthread_detach(tid);
	return rc == 0 ? 0 : -1;
}

int
supervisor_main(const struct config *c, int pchan, int cchan, int mchan,
    int lchan, int frontend, const uint64_t *announced)
{
	struct dispatch	*d;
	char		 err[256];
	pid_t		 ppid = getppid();
	int		 rc;

	if (super_close_fds(pchan, cchan, mchan, lchan) == -1)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	/* SIGUSR1 and SIGUSR2 are the parent's (filterd(8), SIGNALS). */
	signal(SIGUSR1, SIG_IGN);
	signal(SIGUSR2, SIG_IGN);
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
	if (super_bind_parent(ppid) == -1)
		return 1;
	/* Nothing here ever execs; say so to the kernel. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		log_warn("PR_SET_NO_NEW_PRIVS");
		return 1;
	}
	/* It kept the terminal only to say why it could not start. */
	log_leave_terminal();
	/*
	 * Before the dispatcher's thread and libmilter's, and before a byte
	 * from the MTA: from here on, threads only, no file, no process.
	 */
	if (sandbox_proc_enter(SANDBOX_PROC_SUPERVISOR, err,
	    sizeof(err)) == -1) {
		log_warnx("%s", err);
		return 1;
	}
	if ((d = dispatch_new(pchan, c, announced)) == NULL) {
		log_warnx("out of memory");
		return 1;
	}
	stats_init(announced, dispatch_status, d);
	if (ctl_start(lchan, cchan, mchan, d) == -1)
		return 1;
	if (frontend == FRONTEND_OPENSMTPD)
		rc = smtpd_run(c, d);
	else if (super_watch_start(&pchan) == -1) {
		log_warnx("cannot start the thread that watches the parent");
		rc = 1;
	} else
		rc = milter_run(c, d);
	ctl_stop();
	dispatch_free(&d);
	return rc;
}
