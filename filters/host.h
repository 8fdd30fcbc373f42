/*
 * host: the filter modules of one configuration -- the built-ins, then
 * the shared objects named under "modules", in order.  Loaded and
 * initialised in the spawner before any sandbox (and by filterd -n, to
 * check them); run in the worker.
 */
#ifndef FILTERS_HOST_H
#define FILTERS_HOST_H

#include <stddef.h>

struct config;
struct message;
struct modules;
struct verdict;

/*
 * Loads every module the configuration names and runs its init.  Returns
 * NULL with a message in err for a shared object that cannot be loaded,
 * has no filterd_module symbol, has the wrong ABI version, or fails init.
 */
struct modules	*modules_load(const struct config *, char *err, size_t errlen);
void		 modules_free(struct modules **);
/*
 * In the worker: runs the modules over m, adding to v, until one sets a
 * terminal action.  Returns -1 when a module could not check the message:
 * the worker then sends no verdict, and the message gets on_failure.
 */
int		 modules_check(const struct modules *, const struct message *m,
		    struct verdict *v);

#endif
