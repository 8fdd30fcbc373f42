/*
 * t/capsicum-shim/sys/procctl.h: a stand-in for FreeBSD's <sys/procctl.h>
 * so that sandbox/capsicum.c compiles and runs on Linux, for t/11-capsicum
 * only.  Runs in that test program; trusts nothing.
 *
 * The commands and values that capsicum.c uses, with FreeBSD's numbers;
 * idtype_t and P_PID are glibc's, from <sys/wait.h>, as FreeBSD's come
 * from there too.  procctl() does nothing to the process: it records the
 * call, keeps the state the status commands report, and fails when the
 * test says so (t/capsicum-shim.c, t/capsicum-shim.h).
 */
#ifndef FILTERD_T_CAPSICUM_SHIM_SYS_PROCCTL_H
#define FILTERD_T_CAPSICUM_SHIM_SYS_PROCCTL_H

#include <sys/types.h>
#include <sys/wait.h>

#define PROC_TRACE_CTL			7
#define PROC_TRACE_STATUS		8
#define PROC_NO_NEW_PRIVS_CTL		19
#define PROC_NO_NEW_PRIVS_STATUS	20
#define PROC_WXMAP_CTL			21
#define PROC_WXMAP_STATUS		22

#define PROC_TRACE_CTL_ENABLE		1
#define PROC_TRACE_CTL_DISABLE		2
#define PROC_TRACE_CTL_DISABLE_EXEC	3

#define PROC_NO_NEW_PRIVS_ENABLE	1
#define PROC_NO_NEW_PRIVS_DISABLE	2

#define PROC_WX_MAPPINGS_PERMIT		0x0001
#define PROC_WX_MAPPINGS_DISALLOW_EXEC	0x0002
#define PROC_WXORX_ENFORCE		((int)0x80000000U)

int	procctl(idtype_t, id_t, int, void *);

#endif
