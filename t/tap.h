/*
 * t/tap.h: the Test Anything Protocol for filterd's C tests, header only.
 * Runs in a test program; trusts nothing but the test itself.
 *
 *	plan(3);
 *	ok(x == 1, "x is one");
 *	is_int(n, 2, "two of them");
 *	is_str(s, "abc", "the string");
 *	return done_testing();
 *
 * Output goes to stdout, flushed after every line so that a forked child
 * never repeats it; diag() goes to stderr.  done_testing() prints the plan
 * when plan() was not called, and returns the exit status: 0 when every
 * test passed and the count matched the plan, 1 otherwise.  A child that
 * was forked must leave with _exit(), never through done_testing().
 */
#ifndef FILTERD_TAP_H
#define FILTERD_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int	tap_planned = -1;	/* -1: no plan yet */
static int	tap_run;
static int	tap_failed;

#define TAP_PRINTF(f, a)	__attribute__((format(printf, f, a)))

static inline void
tap_vline(FILE *fp, const char *prefix, const char *fmt, va_list ap)
{
	fputs(prefix, fp);
	vfprintf(fp, fmt, ap);
	fputc('\n', fp);
	fflush(fp);
}

static inline void diag(const char *, ...) TAP_PRINTF(1, 2);

static inline void
diag(const char *fmt, ...)
{
	va_list	ap;

	fflush(stdout);
	va_start(ap, fmt);
	tap_vline(stderr, "# ", fmt, ap);
	va_end(ap);
}

static inline void bail(const char *, ...) TAP_PRINTF(1, 2);

static inline void
bail(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	tap_vline(stdout, "Bail out! ", fmt, ap);
	va_end(ap);
	exit(255);
}

static inline void
plan(int n)
{
	if (tap_planned != -1)
		bail("plan() called twice");
	tap_planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

static inline int
tap_vok(int cond, const char *fmt, va_list ap)
{
	tap_run++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_run);
	tap_vline(stdout, "", fmt, ap);
	return cond;
}

static inline int ok(int, const char *, ...) TAP_PRINTF(2, 3);

/* Returns cond, so that a caller can diag() more on failure. */
static inline int
ok(int cond, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	cond = tap_vok(cond, fmt, ap);
	va_end(ap);
	return cond;
}

static inline int is_int(long long, long long, const char *, ...)
    TAP_PRINTF(3, 4);

static inline int
is_int(long long got, long long want, const char *fmt, ...)
{
	va_list	ap;
	int	cond = got == want;

	va_start(ap, fmt);
	tap_vok(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		diag("     got: %lld\n#   wanted: %lld", got, want);
	return cond;
}

static inline int is_str(const char *, const char *, const char *, ...)
    TAP_PRINTF(3, 4);

static inline int
is_str(const char *got, const char *want, const char *fmt, ...)
{
	va_list	ap;
	int	cond;

	cond = got != NULL && want != NULL ? strcmp(got, want) == 0 :
	    got == want;
	va_start(ap, fmt);
	tap_vok(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		diag("     got: %s%s%s\n#   wanted: %s%s%s",
		    got ? "\"" : "", got ? got : "NULL", got ? "\"" : "",
		    want ? "\"" : "", want ? want : "NULL", want ? "\"" : "");
	return cond;
}

/* Counts n tests as skipped, for the reason given. */
static inline void
skip(int n, const char *reason)
{
	while (n-- > 0) {
		tap_run++;
		printf("ok %d # SKIP %s\n", tap_run, reason);
	}
	fflush(stdout);
}

static inline int
done_testing(void)
{
	if (tap_planned == -1) {
		printf("1..%d\n", tap_run);
		fflush(stdout);
	} else if (tap_run != tap_planned) {
		diag("planned %d tests but ran %d", tap_planned, tap_run);
		return 1;
	}
	if (tap_failed != 0)
		diag("failed %d of %d tests", tap_failed, tap_run);
	return tap_failed != 0;
}

#endif
