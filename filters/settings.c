/*
 * settings: the built-in modules' parts of the configuration, as the core
 * reads them (config_modules[], config.h).  Linked into every process
 * that loads a configuration -- the parent, the supervisor, the spawner
 * -- which runs the modules' settings tables and hooks, never their init
 * or check.  The order is the dump's.
 */
#include <stddef.h>

#include "filterd/lib/config.h"
#include "filters/attach.h"
#include "filters/limits.h"
#include "filters/lists.h"
#include "filters/rules.h"
#include "filters/scoring.h"

const struct conf_module *const config_modules[] = {
	&limits_settings,
	&scoring_settings,
	&attach_settings,
	&matching_settings,
	&lists_settings,
	&conditions_settings,
	&rules_settings,
	NULL,
};
