/*
 * t/fuzz/fuzz-lists.c: libFuzzer target for the list file parser and list
 * matching (filters/lists.c).  The first byte picks the list's type; the
 * rest is a list file, as an administrator's file reaches list_parse.
 * Then every line of the input is also matched as a value, as the worker
 * matches what a hostile message sends.  Properties: the parser never
 * reads or writes out of bounds (ASan), list_finish leaves the entries
 * sorted and unique, and an entry that was taken, without '!', matches
 * itself unless a more specific exclusion covers it -- so, for an address
 * list (no parent domains), always.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters/lists.h"

#define CHECK(c)	do { if (!(c)) { fprintf(stderr, "%s:%d: %s\n", \
			    __FILE__, __LINE__, #c); abort(); } } while (0)

static void
fl_err(void *arg, int line, const char *why)
{
	CHECK(line >= 1 && why != NULL && *why != '\0');
	(*(int *)arg)++;
}

static void
fl_sorted(const struct list *l)
{
	size_t	 i;

	for (i = 1; i < l->nstrs; i++)
		CHECK(strcmp(l->strs[i - 1].s, l->strs[i].s) < 0);
	for (i = 1; i < l->nnets; i++)
		CHECK(memcmp(&l->nets[i - 1], &l->nets[i],
		    sizeof(l->nets[i])) != 0);
}

/* Each line as a value: no crash; an address entry matches itself. */
static void
fl_match_lines(const struct list *l, const char *text, size_t len)
{
	char		 v[LIST_LINE_MAX + 2];
	const char	*p = text, *end = text + len, *nl;
	size_t		 n, i;

	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		n = (size_t)(nl - p);
		if (n > LIST_LINE_MAX)
			n = LIST_LINE_MAX;
		memcpy(v, p, n);
		v[n] = '\0';
		if (memchr(v, '\0', n) != NULL)
			continue;
		(void)list_match(l, v, NULL);
	}
	if (l->type != LIST_ADDRESS)
		return;
	for (i = 0; i < l->nstrs; i++)
		CHECK(list_match(l, l->strs[i].s, NULL) ==
		    !l->strs[i].exclude);
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct list	 l;
	const char	*why;
	int		 bad = 0, rc;

	if (size < 1)
		return 0;
	memset(&l, 0, sizeof(l));
	l.type = data[0] % 3 + 1;
	rc = list_parse(&l, (const char *)data + 1, size - 1, fl_err, &bad);
	CHECK(rc == -1 || rc == bad);
	if (list_finish(&l, &why) == 0) {
		fl_sorted(&l);
		fl_match_lines(&l, (const char *)data + 1, size - 1);
	}
	list_clear(&l);
	return 0;
}
