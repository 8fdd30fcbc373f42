/* attach: the attachment policy, a built-in module (see attach.c). */
#ifndef FILTERD_ATTACH_H
#define FILTERD_ATTACH_H

#include <stddef.h>

struct config;

extern const struct filter_module filter_attach;
int	attach_init(const struct config *, void **, char *, size_t);

#endif
