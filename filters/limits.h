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

#endif
