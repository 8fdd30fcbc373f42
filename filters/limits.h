/* limits: recipients and headers within bounds, a built-in module. */
#ifndef FILTERD_LIMITS_H
#define FILTERD_LIMITS_H

#include <stddef.h>

#include "filterd/lib/config.h"

struct config;

/* No settings of its own; declares what limits.oversize lets it do. */
extern const struct conf_module limits_settings;
extern const struct filter_module filter_limits;
int	limits_init(const struct config *, unsigned, void **, char *, size_t);
/*
 * Sets limits.oversize's action on v, with text as the reply (5xx or 4xx
 * 5.3.4/4.3.4); accept leaves v alone.  Returns 0, or -1 when the reply
 * does not fit.  The caller names the rule and logs.
 */
struct verdict;
int	limits_oversize(const struct config *, struct verdict *,
	    const char *text);

#endif
