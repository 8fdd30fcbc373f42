/*
 * sandbox/wx.c: no mapping both writable and executable.  Runs in a
 * spawner after its modules have compiled their patterns, and at its
 * exit; trusts nothing but the kernel's /proc/self/maps.  Linux only: on
 * other systems wx_available() says so, and the rest fails.  See wx.h.
 */
#include <sys/mman.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/seterr.h"
#include "sandbox/wx.h"

#ifdef __linux__

#define WX_MAPS	"/proc/self/maps"

struct wx_range {
	uintptr_t	 start, end;
};

struct wx_sealed {
	struct wx_range	*v;
	size_t		 n, cap;
};

static int
wx_add(struct wx_sealed *s, uintptr_t start, uintptr_t end)
{
	struct wx_range	*v;
	size_t		 ncap;

	if (s->n == s->cap) {
		ncap = s->cap ? s->cap * 2 : 8;
		if ((v = reallocarray(s->v, ncap, sizeof(*v))) == NULL)
			return -1;
		s->v = v;
		s->cap = ncap;
	}
	s->v[s->n].start = start;
	s->v[s->n].end = end;
	s->n++;
	return 0;
}

static void
wx_free(struct wx_sealed **sp)
{
	if (*sp == NULL)
		return;
	free((*sp)->v);
	free(*sp);
	*sp = NULL;
}

/*
 * One line of the maps: "start-end perms offset dev inode [name]".
 * Returns 1 for a writable and executable mapping (and sets *named_r
 * when it names a file or "[stack]" and the like), 0 for another, -1 for
 * a line that is none.
 */
static int
wx_line(const char *line, uintptr_t *start_r, uintptr_t *end_r,
    const char **name_r)
{
	unsigned long	 start, end, inode;
	char		 perms[5];
	int		 n = -1;

	if (sscanf(line, "%lx-%lx %4s %*s %*s %lu %n", &start, &end, perms,
	    &inode, &n) != 4 || n == -1)
		return -1;
	*start_r = start;
	*end_r = end;
	*name_r = line[n] != '\0' ? line + n : NULL;
	return perms[1] == 'w' && perms[2] == 'x';
}

/*
 * Adds every anonymous writable and executable mapping to s; with strict,
 * a named one is an error.  Returns how many there were (named ones
 * included), or -1 with a message in err.
 */
static int
wx_scan(struct wx_sealed *s, int strict, char *err, size_t errlen)
{
	FILE		*f;
	char		*line = NULL;
	const char	*name;
	size_t		 cap = 0;
	uintptr_t	 start, end;
	int		 n = 0, rc;

	if ((f = fopen(WX_MAPS, "re")) == NULL) {
		sandbox_seterr(err, errlen, "%s: %s", WX_MAPS, strerror(errno));
		return -1;
	}
	while (n != -1 && getline(&line, &cap, f) != -1) {
		line[strcspn(line, "\n")] = '\0';
		if ((rc = wx_line(line, &start, &end, &name)) == 0)
			continue;
		if (rc == -1) {
			sandbox_seterr(err, errlen, "%s: cannot read \"%.64s\"",
			    WX_MAPS, line);
			n = -1;
		} else if (name != NULL && strict) {
			sandbox_seterr(err, errlen, "%.128s is mapped writable "
			    "and executable", name);
			n = -1;
		} else if (s != NULL && name == NULL &&
		    wx_add(s, start, end) == -1) {
			sandbox_seterr(err, errlen, "out of memory");
			n = -1;
		} else
			n++;
	}
	if (n != -1 && ferror(f)) {
		sandbox_seterr(err, errlen, "%s: %s", WX_MAPS, strerror(errno));
		n = -1;
	}
	free(line);
	fclose(f);
	return n;
}

int
wx_seal(struct wx_sealed **sealed_r, char *err, size_t errlen)
{
	struct wx_sealed	*s;
	size_t			 i;
	int			 left;

	*sealed_r = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		sandbox_seterr(err, errlen, "out of memory");
		return -1;
	}
	/* Read whole before any change: mprotect may merge mappings. */
	if (wx_scan(s, 1, err, errlen) == -1) {
		wx_free(&s);
		return -1;
	}
	if (s->n == 0) {
		wx_free(&s);
		return 0;
	}
	*sealed_r = s;
	for (i = 0; i < s->n; i++)
		if (mprotect((void *)s->v[i].start, s->v[i].end - s->v[i].start,
		    PROT_READ | PROT_EXEC) == -1) {
			sandbox_seterr(err, errlen, "mprotect r-x: %s",
			    strerror(errno));
			return -1;
		}
	if ((left = wx_scan(NULL, 0, err, errlen)) != 0) {
		if (left > 0)
			sandbox_seterr(err, errlen, "%d mapping%s still "
			    "writable and executable after sealing", left,
			    left == 1 ? "" : "s");
		return -1;
	}
	return 0;
}

int
wx_unseal(struct wx_sealed **sealedp)
{
	struct wx_sealed	*s = *sealedp;
	size_t			 i;
	int			 rc = 0;

	if (s == NULL)
		return 0;
	for (i = 0; i < s->n; i++)
		if (mprotect((void *)s->v[i].start, s->v[i].end - s->v[i].start,
		    PROT_READ | PROT_WRITE) == -1)
			rc = -1;
	wx_free(sealedp);
	return rc;
}

int
wx_count(void)
{
	return wx_scan(NULL, 0, NULL, 0);
}

int
wx_available(void)
{
	return 1;
}

#else	/* no /proc/self/maps: nothing can be sealed */

int
wx_available(void)
{
	return 0;
}

int
wx_seal(struct wx_sealed **sealed_r, char *err, size_t errlen)
{
	*sealed_r = NULL;
	sandbox_seterr(err, errlen, "no way to list the mappings here");
	return -1;
}

int
wx_unseal(struct wx_sealed **sealedp)
{
	return *sealedp == NULL ? 0 : -1;
}

int
wx_count(void)
{
	return -1;
}

#endif
