/*
 * The monotonic clock in milliseconds: for deadlines and rate limits,
 * never for the time of day.
 */
#ifndef FILTERD_CLOCK_H
#define FILTERD_CLOCK_H

long long	clock_ms(void);

#endif
