/*
 * lists: address, domain and network lists (lists.h): entries checked and
 * sorted, list files parsed, values matched.  Pure functions: reading the
 * list "lists" of the configuration and the files it names is
 * lists_conf.c's.  Parsing runs wherever a configuration is loaded, over
 * the administrator's files, every line still checked and bounded.
 * Matching runs in the worker over values from the hostile message: it
 * copies at most LIST_LINE_MAX bytes of a value and allocates nothing.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "filterd/lib/netaddr.h"
#include "filters/lists.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

const char *const list_types[] = {
	[LIST_ADDRESS] = "address", [LIST_DOMAIN] = "domain",
	[LIST_NETWORK] = "network",
};

const char *
list_type_name(int t)
{
	return t > 0 && t <= LIST_NETWORK ? list_types[t] : "?";
}

/* Lower-cases s into buf; returns -1 when it does not fit. */
static int
list_lower(char *buf, size_t len, const char *s, size_t n)
{
	size_t	 i;

	if (n >= len)
		return -1;
	for (i = 0; i < n; i++)
		buf[i] = (char)tolower((unsigned char)s[i]);
	buf[n] = '\0';
	return 0;
}

/*
 * A domain as DNS writes it: labels of letters, digits, '-' and '_', 1 to
 * 63 bytes each, 253 in all.  IDNs go in as their A-label (xn--...).
 */
static int
list_domain_ok(const char *d)
{
	size_t	 label = 0, n = strlen(d), i;

	if (n == 0 || n > 253 || d[0] == '.' || d[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		if (d[i] == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if (isalnum((unsigned char)d[i]) || d[i] == '-' ||
		    d[i] == '_') {
			if (++label > 63)
				return 0;
		} else
			return 0;
	}
	return 1;
}

/* local@domain: a local part of printable ASCII, then a domain. */
static int
list_address_ok(const char *a)
{
	const char	*at = strrchr(a, '@');
	const char	*p;

	if (at == NULL || at == a || at - a > 64)
		return 0;
	for (p = a; p < at; p++)
		if (*p <= ' ' || *p > '~' || *p == '<' || *p == '>')
			return 0;
	return list_domain_ok(at + 1);
}

/*
 * Room for entry n of an array of n: the array doubles from 8 whenever n
 * reaches a power of two, so that a list of 250,000 entries is not
 * copied once an entry (which a sanitizer's realloc always does).
 */
static void *
list_grow(void *v, size_t n, size_t size)
{
	if (n != 0 && (n < 8 || (n & (n - 1)) != 0))
		return v;
	return reallocarray(v, n == 0 ? 8 : 2 * n, size);
}

static int
list_add_net(struct list *l, const char *s, int exclude, const char **why_r)
{
	struct list_net	*v;
	struct netaddr	 net;
	int		 bits;

	if (netaddr_parse_block(s, &net, &bits) == -1) {
		*why_r = "not an address or address/prefix";
		return -1;
	}
	if ((v = list_grow(l->nets, l->nnets, sizeof(*v))) == NULL) {
		*why_r = "out of memory";
		return -1;
	}
	l->nets = v;
	memset(&v[l->nnets], 0, sizeof(*v));
	v[l->nnets].family = net.family;
	v[l->nnets].bits = (uint8_t)bits;
	memcpy(v[l->nnets].a, net.a, sizeof(net.a));
	v[l->nnets].exclude = (uint8_t)exclude;
	if (net.family == 4)
		l->lens4[bits] = 1;
	else
		l->lens6[bits] = 1;
	l->nnets++;
	return 0;
}

int
list_add(struct list *l, const char *entry, const char **why_r)
{
	struct list_str	*v;
	char		 low[LIST_LINE_MAX + 1];
	int		 exclude = 0;

	if (*entry == '!') {
		exclude = 1;
		entry++;
	}
	if (l->type == LIST_NETWORK)
		return list_add_net(l, entry, exclude, why_r);
	if (list_lower(low, sizeof(low), entry, strlen(entry)) == -1) {
		*why_r = "too long";
		return -1;
	}
	if (l->type == LIST_ADDRESS && !list_address_ok(low)) {
		*why_r = "not an address local@domain";
		return -1;
	}
	if (l->type == LIST_DOMAIN && !list_domain_ok(low)) {
		*why_r = "not a domain (letters, digits, '-', '_', dots; an "
		    "IDN as its xn-- form)";
		return -1;
	}
	if ((v = list_grow(l->strs, l->nstrs, sizeof(*v))) == NULL ||
	    (v[l->nstrs].s = strdup(low)) == NULL) {
		if (v != NULL)
			l->strs = v;
		*why_r = "out of memory";
		return -1;
	}
	l->strs = v;
	v[l->nstrs++].exclude = exclude;
	return 0;
}

static int
list_str_cmp(const void *a, const void *b)
{
	return strcmp(((const struct list_str *)a)->s,
	    ((const struct list_str *)b)->s);
}

static int
list_net_cmp(const void *a, const void *b)
{
	const struct list_net	*x = a, *y = b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	if (x->bits != y->bits)
		return x->bits < y->bits ? -1 : 1;
	return memcmp(x->a, y->a, sizeof(x->a));
}

/*
 * Sorts the entries and drops repeats of one; an entry both listed and
 * excluded is an error, found before anything is dropped, so that the
 * list stays whole for list_clear.
 */
int
list_finish(struct list *l, const char **why_r)
{
	size_t	 i, n;

	if (l->nstrs > 1)
		qsort(l->strs, l->nstrs, sizeof(*l->strs), list_str_cmp);
	if (l->nnets > 1)
		qsort(l->nets, l->nnets, sizeof(*l->nets), list_net_cmp);
	for (i = 1; i < l->nstrs; i++)
		if (strcmp(l->strs[i - 1].s, l->strs[i].s) == 0 &&
		    l->strs[i - 1].exclude != l->strs[i].exclude) {
			*why_r = "an entry is both listed and excluded";
			return -1;
		}
	for (i = 1; i < l->nnets; i++)
		if (list_net_cmp(&l->nets[i - 1], &l->nets[i]) == 0 &&
		    l->nets[i - 1].exclude != l->nets[i].exclude) {
			*why_r = "a block is both listed and excluded";
			return -1;
		}
	for (i = n = 0; i < l->nstrs; i++) {
		if (n > 0 && strcmp(l->strs[n - 1].s, l->strs[i].s) == 0)
			free(l->strs[i].s);
		else
			l->strs[n++] = l->strs[i];
	}
	l->nstrs = n;
	for (i = n = 0; i < l->nnets; i++)
		if (n == 0 || list_net_cmp(&l->nets[n - 1], &l->nets[i]) != 0)
			l->nets[n++] = l->nets[i];
	l->nnets = n;
	return 0;
}

/* The length of a line before its comment: '#' first, or after a blank. */
static size_t
list_comment(const char *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (p[i] == '#' && (i == 0 || isspace((unsigned char)p[i - 1])))
			return i;
	return n;
}

int
list_parse(struct list *l, const char *text, size_t len,
    void (*err)(void *, int, const char *), void *arg)
{
	char		 entry[LIST_LINE_MAX + 1];
	const char	*p = text, *end = text + len, *nl, *why;
	size_t		 n;
	int		 line = 0, bad = 0;

	for (; p < end; p = nl + 1) {
		line++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		n = (size_t)(nl - p);
		n = list_comment(p, n);
		while (n > 0 && isspace((unsigned char)*p)) {
			p++;
			n--;
		}
		while (n > 0 && isspace((unsigned char)p[n - 1]))
			n--;
		if (n == 0)
			continue;
		if (n > LIST_LINE_MAX || memchr(p, '\0', n) != NULL) {
			err(arg, line, n > LIST_LINE_MAX ? "line too long" :
			    "a NUL byte");
			bad++;
			continue;
		}
		memcpy(entry, p, n);
		entry[n] = '\0';
		if (list_add(l, entry, &why) == -1) {
			if (strcmp(why, "out of memory") == 0)
				return -1;
			err(arg, line, why);
			bad++;
		}
	}
	return bad;
}

void
list_clear(struct list *l)
{
	size_t	 i;

	for (i = 0; i < l->nstrs; i++)
		free(l->strs[i].s);
	free(l->strs);
	free(l->nets);
	free(l->name);
	free(l->file);
	memset(l, 0, sizeof(*l));
}

struct list *
lists_find(const struct lists_conf *lc, const char *name)
{
	size_t	 i;

	for (i = 0; i < lc->n; i++)
		if (lc->v[i].name != NULL && strcmp(lc->v[i].name, name) == 0)
			return &lc->v[i];
	return NULL;
}

/* Matching, in the worker */

static const struct list_str *
list_find_str(const struct list *l, const char *s)
{
	struct list_str	 key = { (char *)(uintptr_t)s, 0 };

	if (l->nstrs == 0)
		return NULL;
	return bsearch(&key, l->strs, l->nstrs, sizeof(*l->strs),
	    list_str_cmp);
}

/* The domain, then each parent: the most specific entry decides. */
static int
list_match_domain(const struct list *l, const char *d, const char **entry_r)
{
	const struct list_str	*e;

	while (*d != '\0') {
		if ((e = list_find_str(l, d)) != NULL) {
			if (entry_r != NULL)
				*entry_r = e->s;
			return !e->exclude;
		}
		if ((d = strchr(d, '.')) == NULL)
			break;
		d++;
	}
	return 0;
}

/* The longest prefix present in the list decides. */
static int
list_match_net(const struct list *l, const char *s, const char **entry_r)
{
	const struct list_net	*e;
	const uint8_t		*lens;
	struct list_net		 key;
	struct netaddr		 a, m;
	int			 bits;

	if (l->nnets == 0 || netaddr_parse(s, &a) == -1)
		return 0;
	lens = a.family == 4 ? l->lens4 : l->lens6;
	for (bits = a.family == 4 ? 32 : 128; bits >= 0; bits--) {
		if (!lens[bits])
			continue;
		m = a;
		netaddr_mask(&m, bits);
		memset(&key, 0, sizeof(key));
		key.family = a.family;
		key.bits = (uint8_t)bits;
		memcpy(key.a, m.a, sizeof(key.a));
		if ((e = bsearch(&key, l->nets, l->nnets, sizeof(*l->nets),
		    list_net_cmp)) != NULL) {
			if (entry_r != NULL)
				*entry_r = e->exclude ? "!(a block)" :
				    "(a block)";
			return !e->exclude;
		}
	}
	return 0;
}

int
list_match(const struct list *l, const char *value, const char **entry_r)
{
	char		 v[LIST_LINE_MAX + 1];
	const struct list_str *e;
	const char	*at;
	size_t		 n;

	if (value == NULL)
		return 0;
	while (*value == ' ' || *value == '<')
		value++;
	n = strcspn(value, ">");
	while (n > 0 && (value[n - 1] == ' ' || value[n - 1] == '.'))
		n--;
	if (n == 0 || list_lower(v, sizeof(v), value, n) == -1)
		return 0;
	switch (l->type) {
	case LIST_ADDRESS:
		if ((e = list_find_str(l, v)) == NULL)
			return 0;
		if (entry_r != NULL)
			*entry_r = e->s;
		return !e->exclude;
	case LIST_DOMAIN:
		at = strrchr(v, '@');
		return list_match_domain(l, at != NULL ? at + 1 : v, entry_r);
	case LIST_NETWORK:
		return list_match_net(l, v, entry_r);
	}
	return 0;
}
