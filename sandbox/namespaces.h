/*
 * sandbox/namespaces.h: internal to sandbox/, not for the rest of filterd.
 * New network and IPC namespaces for the spawner and so for every worker
 * it forks (namespaces.c).  Best effort: where they are not permitted the
 * workers run without, and the spawner says so once when it starts.
 */
#ifndef FILTERD_SANDBOX_NAMESPACES_H
#define FILTERD_SANDBOX_NAMESPACES_H

#include <stddef.h>

/*
 * Runs in the spawner, once, single-threaded, before sandbox_privdrop():
 * moves the process into new, empty network and IPC namespaces.  As root
 * it uses its own CAP_SYS_ADMIN; otherwise it creates a user namespace
 * with them, and holds every capability there until sandbox_drop_caps().
 * Returns 1 when done, with *userns_r set when a user namespace was
 * created; 0 when this system does not permit it, with the reason's errno
 * (EPERM, EINVAL, ENOSPC or EUSERS) in *errno_r and nothing changed; or -1
 * with a message in err on any other failure.
 */
int	sandbox_unshare(int *userns_r, int *errno_r, char *err,
	    size_t errlen);

#endif
