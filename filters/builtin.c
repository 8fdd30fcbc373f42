/*
 * builtin: the table of filter modules linked into filterd.  Runs in the
 * spawner (init) and the worker (check).
 */
#include <stddef.h>

#include "filters/filter_impl.h"
#include "filters/attach.h"
#include "filters/limits.h"
#include "filters/rules.h"
#include "filters/scoring.h"

/*
 * Limits first, then the rules; shared-object modules after them, and
 * last what all their scores add up to.
 */
const struct builtin_module filter_builtins[] = {
	{ &filter_limits, limits_init, 0 },
	{ &filter_attach, attach_init, 0 },
	{ &filter_rules, rules_init, 0 },
	{ &filter_scoring, scoring_init, 1 },
	{ NULL, NULL, 0 },
};
