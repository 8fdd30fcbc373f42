/*
 * t/fuzz/replay.c: runs a fuzz target over its committed corpus without
 * libFuzzer, so that "make check" (and the sanitizer build in CI) replays
 * every seed and every crash reproducer ever added to it.  Runs in a test
 * program; the corpus files are treated as hostile, as the fuzzer would.
 *
 * Linked with one target; CORPUS names its directory under t/fuzz/corpus,
 * found through $top_srcdir (set by the test harness) or SRCDIR.  Prints
 * one TAP line per file: a broken property aborts the whole run.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t/tap.h"

#ifndef SRCDIR
#define SRCDIR	"."
#endif

#define REPLAY_MAX	(8 * 1024 * 1024)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads a whole file into a new allocation; returns its length or -1. */
static long
replay_read(const char *path, uint8_t **p_r)
{
	FILE	*f;
	uint8_t	*p;
	size_t	 n;

	*p_r = NULL;
	if ((f = fopen(path, "rb")) == NULL)
		return -1;
	if ((p = malloc(REPLAY_MAX)) == NULL) {
		fclose(f);
		return -1;
	}
	n = fread(p, 1, REPLAY_MAX, f);
	if (ferror(f) || !feof(f)) {
		fclose(f);
		free(p);
		return -1;
	}
	fclose(f);
	*p_r = p;
	return (long)n;
}

/* Lists the regular names in dir, sorted; returns how many, or -1. */
static int
replay_list(const char *dir, char ***names_r)
{
	DIR		*d;
	struct dirent	*e;
	char		**v = NULL, **nv;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if ((nv = reallocarray(v, (size_t)n + 1, sizeof(*v))) == NULL ||
		    (nv[n] = strdup(e->d_name)) == NULL)
			bail("out of memory");
		v = nv;
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(v, (size_t)n, sizeof(*v), name_cmp);
	*names_r = v;
	return n;
}

int
main(void)
{
	const char	*top;
	char		 dir[4096], path[8192];
	char		**names;
	uint8_t		*p, *exact;
	long		 len;
	int		 i, n;

	if ((top = getenv("top_srcdir")) == NULL)
		top = SRCDIR;
	snprintf(dir, sizeof(dir), "%s/t/fuzz/corpus/%s", top, CORPUS);
	if ((n = replay_list(dir, &names)) <= 0)
		bail("%s: no corpus to replay", dir);
	plan(n);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if ((len = replay_read(path, &p)) == -1)
			bail("%s: cannot read", path);
		/*
		 * As libFuzzer does, an allocation of exactly the input's
		 * size, so that ASan sees a read one byte past its end.
		 */
		if ((exact = malloc(len > 0 ? (size_t)len : 1)) == NULL)
			bail("out of memory");
		memcpy(exact, p, (size_t)len);
		free(p);
		LLVMFuzzerTestOneInput(exact, (size_t)len);
		ok(1, "%s/%s", CORPUS, names[i]);
		free(exact);
		free(names[i]);
	}
	free(names);
	return done_testing();
}
