/*
 * seterr: the one error reporter of sandbox/.
 */
#include <stdarg.h>
#include <stdio.h>

#include "sandbox/seterr.h"

void
sandbox_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
