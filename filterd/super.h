/*
 * super: the process that speaks to the MTA.  Forked by the parent
 * before any thread exists; opens its listening socket, drops every
 * privilege, and runs a frontend.  It never forks: spawners come from the
 * parent, over pchan.
 */
#ifndef FILTERD_SUPER_H
#define FILTERD_SUPER_H

#include <stdint.h>

struct config;

enum frontend {
	FRONTEND_MILTER = 0,	/* libmilter on the configured socket */
	FRONTEND_OPENSMTPD,	/* smtpd's filter protocol on stdin/stdout */
};

/*
 * Runs the given frontend; returns the exit status.  announced is where
 * the parent announces reloaded configuration generations.  cchan is the
 * control thread's channel to the parent, mchan the metrics process's to
 * it, lchan the control socket, each or -1 (super_ctl.h).
 */
int	supervisor_main(const struct config *, int pchan, int cchan, int mchan,
	    int lchan, int frontend, const uint64_t *announced);

#endif
