/*
 * seterr: how the sandbox/ functions report a failure -- a message in the
 * caller's err buffer (of errlen bytes), which may be NULL.  Internal to
 * sandbox/.
 */
#ifndef SANDBOX_SETERR_H
#define SANDBOX_SETERR_H

#include <stddef.h>

void	sandbox_seterr(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#endif
