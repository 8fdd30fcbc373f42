/*
 * lists: address, domain and network lists (lists.h).  The list "lists"
 * of the configuration is read here wherever a configuration is loaded:
 * from the file (filterd -n, -t, the configuration checker, as root
 * before it drops anything), where list files are opened and read; or
 * from a snapshot (spawners, the supervisor, the parent), which carries
 * the entries inline and names no file.  The files are the
 * administrator's, but every line is still checked and bounded.
 * Matching runs in the worker over values from the hostile message: it
 * copies at most LIST_LINE_MAX bytes of a value and allocates nothing.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "filterd/lib/config.h"
#include "filterd/lib/netaddr.h"
#include "filterd/lib/smtp.h"
#include "filterd/lib/verdict.h"
#include "filters/lists.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static const char *const list_types[] = {
	[LIST_ADDRESS] = "address", [LIST_DOMAIN] = "domain",
	[LIST_NETWORK] = "network",
};

const char *
list_type_name(int t)
{
	return t > 0 && (size_t)t < NITEMS(list_types) ? list_types[t] : "?";
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
	if ((v = reallocarray(l->nets, l->nnets + 1, sizeof(*v))) == NULL) {
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
	if ((v = reallocarray(l->strs, l->nstrs + 1, sizeof(*v))) == NULL ||
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

/* Drops repeats of an entry; an entry both included and excluded is an
 * error. */
int
list_finish(struct list *l, const char **why_r)
{
	size_t	 i, n = 0;

	qsort(l->strs, l->nstrs, sizeof(*l->strs), list_str_cmp);
	for (i = 0; i < l->nstrs; i++) {
		if (n > 0 && strcmp(l->strs[n - 1].s, l->strs[i].s) == 0) {
			if (l->strs[n - 1].exclude != l->strs[i].exclude) {
				*why_r = "an entry is both listed and excluded";
				return -1;
			}
			free(l->strs[i].s);
			continue;
		}
		l->strs[n++] = l->strs[i];
	}
	l->nstrs = n;
	qsort(l->nets, l->nnets, sizeof(*l->nets), list_net_cmp);
	for (i = n = 0; i < l->nnets; i++) {
		if (n > 0 && list_net_cmp(&l->nets[n - 1], &l->nets[i]) == 0) {
			if (l->nets[n - 1].exclude != l->nets[i].exclude) {
				*why_r = "a block is both listed and excluded";
				return -1;
			}
			continue;
		}
		l->nets[n++] = l->nets[i];
	}
	l->nnets = n;
	return 0;
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
		/* A comment starts the line, or follows a blank. */
		for (const char *h = p; h < nl; h++)
			if (*h == '#' && (h == p || isspace((unsigned char)
			    h[-1]))) {
				n = (size_t)(h - p);
				break;
			}
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

	if (netaddr_parse(s, &a) == -1)
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

/*
 * The list "lists" of the configuration:
 *	lists = ( { name = "internal"; type = "domain";
 *	    file = "lists/internal-domains"; }, ... );
 * "entries = [ ... ]" may stand for the file, or add to it; a snapshot
 * has entries only.
 */

static const char *const list_keys[] = { "name", "type", "file", "entries" };

struct list_read {
	struct conf_loader	*l;
	const char		*path;
};

static void
list_line_error(void *arg, int line, const char *why)
{
	struct list_read	*r = arg;

	conf_error_line(r->l, r->path, line, "%s", why);
}

/* The file's path: relative to the folder of the file that names it. */
static void
list_path(const config_setting_t *s, const char *file, char *buf, size_t len)
{
	const char	*conf = config_setting_source_file(s), *slash;

	if (file[0] == '/' || conf == NULL ||
	    (slash = strrchr(conf, '/')) == NULL)
		snprintf(buf, len, "%s", file);
	else
		snprintf(buf, len, "%.*s/%s", (int)(slash - conf), conf, file);
}

/* Reads the whole file, bounded; returns it NUL-terminated, or NULL. */
static char *
list_slurp(const char *path, size_t *len_r, const char **why_r)
{
	struct stat	 st;
	char		*p;
	size_t		 got = 0;
	ssize_t		 n;
	int		 fd;

	*why_r = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > LIST_FILE_MAX) {
		*why_r = S_ISREG(st.st_mode) ? "larger than 4 MiB" :
		    "not a regular file";
		close(fd);
		return NULL;
	}
	if ((p = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return NULL;
	}
	while (got < (size_t)st.st_size &&
	    (n = read(fd, p + got, (size_t)st.st_size - got)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			free(p);
			close(fd);
			return NULL;
		}
		got += (size_t)n;
	}
	close(fd);
	p[got] = '\0';
	*len_r = got;
	return p;
}

static void
list_read_file(struct conf_loader *l, const config_setting_t *s,
    struct lists_conf *lc, struct list *li)
{
	char			 path[PATH_MAX];
	struct list_read	 r = { l, path };
	const char		*why;
	char			*text;
	size_t			 len = 0;

	list_path(s, li->file, path, sizeof(path));
	if ((text = list_slurp(path, &len, &why)) == NULL) {
		conf_error(l, s, "list %s: file \"%s\": %s", li->name, path,
		    why != NULL ? why : strerror(errno));
		return;
	}
	lc->total += len;
	if (lc->total > LIST_TOTAL_MAX)
		conf_error(l, s, "list %s: the list files add up to more "
		    "than 8 MiB", li->name);
	else if (list_parse(li, text, len, list_line_error, &r) == -1)
		conf_error(l, s, "out of memory");
	free(text);
}

static void
list_read_entries(struct conf_loader *l, const config_setting_t *s,
    struct list *li)
{
	const config_setting_t	*e;
	const char		*v, *why;
	int			 i;

	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		conf_error(l, s, "list %s: entries: expected [ \"...\", ... ]",
		    li->name);
		return;
	}
	for (i = 0; (e = config_setting_get_elem(s, (unsigned)i)) != NULL;
	    i++) {
		if ((v = config_setting_get_string(e)) == NULL)
			conf_error(l, e, "list %s: entries: expected strings",
			    li->name);
		else if (list_add(li, v, &why) == -1)
			conf_error(l, e, "list %s: entry \"%s\": %s", li->name,
			    v, why);
	}
}

static const char *
list_str(struct conf_loader *l, const config_setting_t *g, const char *key)
{
	const config_setting_t	*s;
	const char		*v;

	if ((s = config_setting_get_member(g, key)) == NULL)
		return NULL;
	if ((v = config_setting_get_string(s)) == NULL || *v == '\0') {
		conf_error(l, s, "lists: %s: expected a string", key);
		return NULL;
	}
	return v;
}

static void
list_read(struct conf_loader *l, const config_setting_t *g,
    struct lists_conf *lc, struct list *li)
{
	const config_setting_t	*e;
	const char		*name, *type, *file, *why;
	size_t			 t;

	li->where = g;
	li->line = (int)config_setting_source_line(g);
	if (!config_setting_is_group(g)) {
		conf_error(l, g, "lists: each list is a group { ... }");
		return;
	}
	if (conf_check_members(l, g, "list", "", list_keys,
	    NITEMS(list_keys)) > 0)
		return;
	if ((name = list_str(l, g, "name")) == NULL ||
	    !smtp_printable(name) || strlen(name) > VERDICT_RULE_NAME_MAX) {
		conf_error(l, g, "lists: each list needs a name, 1 to %d "
		    "printable ASCII characters", VERDICT_RULE_NAME_MAX);
		return;
	}
	if (lists_find(lc, name) != NULL) {
		conf_error(l, g, "list %s: defined twice", name);
		return;
	}
	if ((li->name = strdup(name)) == NULL)
		return;
	type = list_str(l, g, "type");
	for (t = 1; type != NULL && t < NITEMS(list_types); t++)
		if (strcmp(type, list_types[t]) == 0)
			li->type = (int)t;
	if (li->type == 0) {
		conf_error(l, g, "list %s: type must be address, domain or "
		    "network", name);
		return;
	}
	file = list_str(l, g, "file");
	e = config_setting_get_member(g, "entries");
	if (file == NULL && e == NULL) {
		conf_error(l, g, "list %s: needs a file or entries", name);
		return;
	}
	if (file != NULL && (li->file = strdup(file)) != NULL)
		list_read_file(l, config_setting_get_member(g, "file"), lc, li);
	if (e != NULL)
		list_read_entries(l, e, li);
	if (list_finish(li, &why) == -1)
		conf_error(l, g, "list %s: %s", name, why);
}

static void
lists_conf_read(struct conf_loader *l, const config_setting_t *s,
    void *settings)
{
	struct lists_conf	*lc = settings;
	int			 i, n;

	if (!config_setting_is_list(s)) {
		conf_error(l, s, "lists: expected a list ( { ... }, ... )");
		return;
	}
	n = config_setting_length(s);
	if ((lc->v = calloc((size_t)n + 1, sizeof(*lc->v))) == NULL) {
		conf_error(l, s, "out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		list_read(l, config_setting_get_elem(s, (unsigned)i), lc,
		    &lc->v[i]);
		lc->n++;
	}
}

static void
lists_conf_free(void *settings)
{
	struct lists_conf	*lc = settings;
	size_t			 i;

	for (i = 0; i < lc->n; i++)
		list_clear(&lc->v[i]);
	free(lc->v);
}

static void
list_dump_net(const struct list_net *e, FILE *f)
{
	char		 text[64];
	struct netaddr	 a;

	memset(&a, 0, sizeof(a));
	a.family = e->family;
	memcpy(a.a, e->a, sizeof(a.a));
	if (inet_ntop(e->family == 4 ? AF_INET : AF_INET6, a.a, text,
	    sizeof(text)) == NULL)
		snprintf(text, sizeof(text), "?");
	fprintf(f, "\"%s%s/%u\"", e->exclude ? "!" : "", text, e->bits);
}

/* The entries inline: the snapshot carries them, never the file name. */
static void
list_dump(const struct list *li, FILE *f)
{
	char	 e[LIST_LINE_MAX + 2];
	size_t	 i;

	fputs("\t{ name = ", f);
	conf_dump_str(f, li->name);
	fprintf(f, "; type = \"%s\"; entries = [", list_type_name(li->type));
	for (i = 0; i < li->nstrs; i++) {
		snprintf(e, sizeof(e), "%s%s", li->strs[i].exclude ? "!" : "",
		    li->strs[i].s);
		fputs(i ? ", " : " ", f);
		conf_dump_str(f, e);
	}
	for (i = 0; i < li->nnets; i++) {
		fputs(i ? ", " : " ", f);
		list_dump_net(&li->nets[i], f);
	}
	fputs(" ]; }", f);
}

static void
lists_conf_dump(const void *settings, FILE *f)
{
	const struct lists_conf	*lc = settings;
	size_t			 i;

	if (lc->n == 0)
		return;
	fputs("lists = (\n", f);
	for (i = 0; i < lc->n; i++) {
		list_dump(&lc->v[i], f);
		fputs(i + 1 < lc->n ? ",\n" : "\n", f);
	}
	fputs(");\n", f);
}

const struct conf_module lists_settings = {
	.name = "lists",
	.size = sizeof(struct lists_conf),
	.read = lists_conf_read,
	.dump = lists_conf_dump,
	.free = lists_conf_free,
};
