/* scoring: scores to actions, a built-in module (see scoring.c). */
#ifndef FILTERD_SCORING_H
#define FILTERD_SCORING_H

#include <stddef.h>

struct config;

extern const struct filter_module filter_scoring;
int	scoring_init(const struct config *, void **, char *, size_t);

#endif
