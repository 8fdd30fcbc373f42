/*
 * host: the filter modules of one configuration -- the built-ins, then
 * the shared objects named under "modules", in order.  Loaded and
 * initialised in the spawner before any sandbox, which then seals their
 * JIT code; run in the worker.  A process that only checks a
 * configuration (filterd -n, a reload) loads them without JIT.
 */
#ifndef FILTERS_HOST_H
#define FILTERS_HOST_H

#include <stddef.h>

struct config;
struct message;
struct modules;
struct verdict;

/*
 * modules_load_flags's flags.  MODULES_NOJIT: the rules are compiled for
 * PCRE2's interpreter only, so that the process gets no executable
 * memory -- for processes that check a configuration and match nothing.
 * It cannot stop a shared-object module's own init from generating code.
 */
#define MODULES_NOJIT	0x1

/*
 * Loads every module the configuration names and runs its init.  Returns
 * NULL with a message in err for a shared object that cannot be loaded,
 * has no filterd_module symbol, has the wrong ABI version, or fails init.
 * modules_load is modules_load_flags with no flags: patterns get JIT code,
 * which modules_seal must seal before any worker is forked -- where it
 * can (sandbox/wx.h); elsewhere MODULES_NOJIT is always set.
 */
struct modules	*modules_load_flags(const struct config *, unsigned flags,
		    char *err, size_t errlen);
struct modules	*modules_load(const struct config *, char *err, size_t errlen);
/*
 * W^X: makes the JIT code of the process read and execute only (every
 * anonymous writable and executable mapping: sandbox/wx.h), and checks
 * that no mapping is left writable and executable.  Call it once, after
 * modules_load and before the first fork, while /proc is still there
 * (before a chroot); nothing may be compiled afterwards.  Returns 0, or
 * -1 with a message in err: the process must not go on to match.  Where
 * nothing can be sealed it does nothing: the rules made no JIT code, and
 * a shared-object module that generates code of its own is not seen.
 */
int		 modules_seal(struct modules *, char *err, size_t errlen);
/*
 * Frees the modules.  Sealed code is first made read-write (never
 * executable again), as its allocator writes inside it to free it: so
 * only a process about to exit may free sealed modules, and a worker,
 * which cannot make that change, never frees them (it just exits).
 */
void		 modules_free(struct modules **);
/*
 * In the worker: runs the modules over m, adding to v, until one sets a
 * terminal action.  Returns -1 when a module could not check the message:
 * the worker then sends no verdict, and the message gets on_failure.
 */
int		 modules_check(const struct modules *, const struct message *m,
		    struct verdict *v);

#endif
