/*
 * clock: CLOCK_MONOTONIC in milliseconds.  Every process may read it:
 * the seccomp policies of all of them allow clock_gettime.
 */
#include <time.h>

#include "filterd/lib/clock.h"

long long
clock_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
