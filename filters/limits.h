/* limits: recipients and headers within bounds, a built-in module. */
#ifndef FILTERD_LIMITS_H
#define FILTERD_LIMITS_H

#include <stddef.h>

struct config;

extern const struct filter_module filter_limits;
int	limits_init(const struct config *, void **, char *, size_t);

#endif
