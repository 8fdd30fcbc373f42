/*
 * t/fuzz/fuzz-archive.c: a libFuzzer target over the archive walk
 * (filters/archwalk.c): hostile bytes as an attachment, read with
 * libarchive within small bounds.  Runs in a test program and trusts
 * nothing in its input.  Only our code is instrumented; libarchive is the
 * system's.
 *
 * Properties: the bounds hold (entries, depth, decompressed bytes); every
 * name is NUL-terminated within ARCH_NAME_MAX and free of controls; the
 * flags are only ARCH_* bits; an archive past a bound says so.  A broken
 * property aborts, which libFuzzer reports as a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters/archwalk.h"
#include "filters/view.h"

#define CHECK(c) do {							\
	if (!(c))							\
		fa_fail(__LINE__, #c);					\
} while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	fa_fail(int, const char *) __attribute__((noreturn));

static void
fa_fail(int line, const char *what)
{
	fprintf(stderr, "fuzz-archive.c:%d: property broken: %s\n", line,
	    what);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct arch_limits	 lim = { 64, 3, 4 << 20 };
	static int			 prepared;
	struct arch_list		 l;
	size_t				 i, j, n;
	const char			*name;

	if (!prepared) {
		view_prepare();
		prepared = 1;
	}
	memset(&l, 0, sizeof(l));
	l.lim = &lim;
	/* The first byte picks the attachment's name: by bytes or by name. */
	name = size > 0 && (data[0] & 1) ? "a.zip" : "";
	(void)arch_walk(&l, 1, name, data, size);
	CHECK((l.flags & ~(unsigned)(ARCH_ENCRYPTED | ARCH_UNREADABLE |
	    ARCH_OVER_LIMIT)) == 0);
	CHECK(l.n <= lim.max_entries);
	CHECK(l.bytes <= lim.max_bytes);
	for (i = 0; i < l.n; i++) {
		CHECK(l.v[i].depth >= 1 && l.v[i].depth <= lim.max_depth);
		CHECK(l.v[i].part == 1);
		n = strnlen(l.v[i].name, ARCH_NAME_MAX);
		CHECK(n < ARCH_NAME_MAX);
		for (j = 0; j < n; j++)
			CHECK((uint8_t)l.v[i].name[j] >= 0x20 &&
			    l.v[i].name[j] != 0x7f);
	}
	arch_list_free(&l);
	return 0;
}
