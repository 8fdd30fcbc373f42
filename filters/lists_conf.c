/*
 * lists_conf: the list "lists" of the configuration (lists.h), read
 * wherever a configuration is loaded: from the file (filterd -n, -t, the
 * configuration checker, as root before it drops anything), where the
 * list files it names are opened and read -- the one place a module's
 * settings do I/O, so that the lists are checked with the configuration;
 * or from a snapshot (spawners, the supervisor, the parent), which carries
 * the entries inline and names no file.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "filterd/lib/config.h"
#include "filterd/lib/netaddr.h"
#include "filterd/lib/smtp.h"
#include "filterd/lib/verdict.h"
#include "filters/lists.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

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

/* About what the entries take in a dump, quotes and commas included. */
static size_t
list_dump_size(const struct list *li)
{
	size_t	 n = 0, i;

	for (i = 0; i < li->nstrs; i++)
		n += strlen(li->strs[i].s) + 5;
	return n + li->nnets * (INET6_ADDRSTRLEN + 10);
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
	for (t = 1; type != NULL && t <= LIST_NETWORK; t++)
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
	if (list_finish(li, &why) == -1) {
		conf_error(l, g, "list %s: %s", name, why);
		return;
	}
	if ((lc->dumped += list_dump_size(li)) > LIST_DUMP_MAX)
		conf_error(l, g, "list %s: the lists take more than %d MiB as "
		    "entries of the configuration's snapshot", name,
		    LIST_DUMP_MAX >> 20);
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
