/*
 * filter_impl: what filter.h's opaque types are, for filterd itself and
 * its built-in modules.  Not installed: external modules see filter.h only.
 */
#ifndef FILTERD_FILTER_IMPL_H
#define FILTERD_FILTER_IMPL_H

#include "filterd/lib/message.h"
#include "filterd/lib/verdict.h"
#include "filters/filter.h"

struct config;

struct mime;

struct filter_msg {
	const struct message	*m;
	const struct mime	*mime;	/* parsed once, before any module */
};

struct filter_result {
	struct verdict		*v;
	int			 trace;	/* the job asked for one (trace.h) */
};

/*
 * A built-in module: linked into filterd.  Its init takes the whole
 * configuration, and finds there its own settings, which its table in its
 * own file describes (config_settings(c, &x_settings); config.h), and the
 * core's limits; flags are modules_load_flags's (host.h).  What it may do
 * it declares from those settings, through the same struct conf_policy a
 * shared object's entry fills.
 */
struct builtin_module {
	const struct filter_module *mod;
	int	(*init)(const struct config *, unsigned flags, void **state_r,
		    char *err, size_t errlen);
	int	 last;	/* runs after the shared-object modules */
};

/* The built-in modules, in order, ending with { NULL, NULL, 0 }. */
extern const struct builtin_module filter_builtins[];

#endif
