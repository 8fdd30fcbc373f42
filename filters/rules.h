/*
 * rules: the PCRE2 rules module.  Patterns are compiled (JIT where the
 * library has it) once in the spawner; matching runs in the worker.
 */
#ifndef FILTERD_RULES_H
#define FILTERD_RULES_H

#include "filter.h"

struct config;

extern const struct filter_module filter_rules;
/* The built-in init: compiles every rule of the configuration. */
int	rules_init(const struct config *, void **state_r, char *err,
	    size_t errlen);

#endif
