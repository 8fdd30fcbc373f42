/*
 * config: loading, checking and dumping filterd.conf.  Runs in every
 * process that reads a configuration: the parent (start-up, filterd -n,
 * each reload), the supervisor (the snapshot of a reload) and each spawner
 * (its snapshot); never in a worker.  The file is the
 * administrator's; still, every value is type- and range-checked, unknown
 * keys are errors, and every error names the file and line.
 *
 * This file knows the core settings (conf_keys[]) and the shared-object
 * modules' entries.  Each built-in module describes its own part of the
 * file in its own file, as a struct conf_module (config.h), and
 * config_modules[] lists them: the same table machinery reads, checks,
 * defaults, frees and dumps those parts, and hands each module its group.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <libconfig.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "filterd/lib/config.h"
#include "filterd/lib/netaddr.h"
#include "filterd/lib/verdict.h"

#define A(x)	(1U << ACTION_##x)
#define OFF(f)	offsetof(struct config, f)

static const struct conf_key conf_keys[] = {
	{ "listen", T_STR, OFF(listen), "unix:" FILTERD_RUNDIR "/filterd.sock",
	    0, 0, 0, 0 },
	{ "user", T_STR, OFF(user), "filterd", 0, 0, 0, 0 },
	{ "worker_user", T_STR, OFF(worker_user), "filterd-worker", 0, 0, 0,
	    0 },
	{ "chroot", T_STR, OFF(chroot), "/var/lib/filterd/empty", 0, 0, 0, 0 },
	{ "on_failure", T_ACTION, OFF(on_failure), "tempfail", 0, 0,
	    A(TEMPFAIL) | A(ACCEPT) | A(REJECT), 0 },
	{ "limits.message_size", T_INT64, OFF(message_size), "26214400",
	    1024, 1LL << 30, 0, 0 },
	{ "limits.oversize", T_ACTION, OFF(oversize), "reject", 0, 0,
	    A(REJECT) | A(TEMPFAIL) | A(ACCEPT), 0 },
	{ "limits.malformed", T_ACTION, OFF(malformed), "reject", 0, 0,
	    A(REJECT) | A(TEMPFAIL) | A(DISCARD) | A(QUARANTINE), 0 },
	{ "limits.worker_timeout", T_INT, OFF(worker_timeout), "10", 1, 3600,
	    0, 0 },
	{ "limits.max_recipients", T_INT, OFF(max_recipients), "1000", 1,
	    MSG_RCPTS_MAX, 0, 0 },
	/* No stricter than the MTAs (filterd.conf(5), Limits). */
	{ "limits.max_headers", T_INT, OFF(max_headers), "10000", 1,
	    MSG_HDRS_MAX, 0, 0 },
	{ "limits.max_header_size", T_INT, OFF(max_header_size), "102400", 64,
	    MSG_HDR_VALUE_MAX, 0, 0 },
	{ "limits.max_mime_depth", T_INT, OFF(max_mime_depth), "8", 1, 32,
	    0, 0 },
	{ "limits.max_mime_parts", T_INT, OFF(max_mime_parts), "100", 1,
	    10000, 0, 0 },
	/* What the worker's views read (filters/view.h): URLs, archives. */
	{ "limits.max_urls", T_INT, OFF(max_urls), "1000", 1, 10000, 0, 0 },
	{ "limits.archive_max_entries", T_INT, OFF(archive_max_entries),
	    "10000", 1, 1000000, 0, 0 },
	{ "limits.archive_max_depth", T_INT, OFF(archive_max_depth), "3", 1,
	    16, 0, 0 },
	{ "limits.archive_max_bytes", T_INT64, OFF(archive_max_bytes),
	    "104857600", 1024, 1LL << 30, 0, 0 },
	{ "workers.pool", T_INT, OFF(pool), "4", 1, 256, 0, 0 },
	{ "workers.memory", T_INT, OFF(memory), "512", 16, 65536, 0, 0 },
	{ "workers.cpu", T_INT, OFF(cpu), "10", 1, 3600, 0, 0 },
	{ "workers.max_served", T_INT, OFF(max_served), "1000", 1, 1000000,
	    0, 0 },
	{ "penalty.enable", T_BOOL, OFF(penalty), "true", 0, 0, 0, 0 },
	{ "penalty.base", T_INT, OFF(penalty_base), "30", 1, 86400, 0, 0 },
	{ "penalty.max", T_INT, OFF(penalty_max), "600", 1, 604800, 0, 0 },
	{ "penalty.forgive", T_INT, OFF(penalty_forgive), "3600", 0, 604800,
	    0, 0 },
	{ "penalty.sources", T_INT, OFF(penalty_sources), "10000", 16,
	    1000000, 0, 0 },
	{ "penalty.ipv4_prefix", T_INT, OFF(penalty_ipv4_prefix), "32", 8, 32,
	    0, 0 },
	{ "penalty.ipv6_prefix", T_INT, OFF(penalty_ipv6_prefix), "64", 16,
	    128, 0, 0 },
	{ "penalty.exempt", T_STRLIST, OFF(penalty_exempt),
	    "127.0.0.0/8 ::1/128", 0, 0, 0, OFF(npenalty_exempt) },
	{ "allowed_headers", T_STRLIST, OFF(allowed_headers), "X-Filterd-*",
	    0, 0, 0, OFF(nallowed) },
	/* The daemon's place in the system: filterd.conf(5), Daemon. */
	{ "pidfile", T_OSTR, OFF(pidfile), FILTERD_RUNDIR "/filterd.pid", 0,
	    0, 0, 0 },
	{ "socket_mode", T_STR, OFF(socket_mode), "0666", 0, 0, 0, 0 },
	{ "socket_group", T_OSTR, OFF(socket_group), "", 0, 0, 0, 0 },
	/* What an administrator watches (config_obs.c checks them). */
	{ "syslog_facility", T_STR, OFF(syslog_facility), "mail", 0, 0, 0, 0 },
	{ "control_socket", T_OSTR, OFF(control_socket), "", 0, 0, 0, 0 },
	{ "control_mode", T_STR, OFF(control_mode), "0600", 0, 0, 0, 0 },
	{ "control_owner", T_OSTR, OFF(control_owner), "", 0, 0, 0, 0 },
	{ "control_group", T_OSTR, OFF(control_group), "", 0, 0, 0, 0 },
	{ "metrics_listen", T_OSTR, OFF(metrics_listen), "", 0, 0, 0, 0 },
	{ "quarantine_header", T_OSTR, OFF(quarantine_header), "", 0, 0, 0,
	    0 },
};

/* The core's groups; a module's group is named by the module. */
static const char *const conf_groups[] = { "limits", "workers", "penalty" };

/* The list of shared-object modules, handled outside the table. */
#define MODULES_KEY	"modules"

/* Keys of one shared-object module. */
static const char *const module_keys[] = {
	"path", "actions", "headers", "settings",
};

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* A built-in module's part of one configuration. */
struct conf_part {
	const struct conf_module	*mod;
	void				*settings;
	struct conf_policy		 policy;
};

/* The core's table, described as a module's would be. */
static const struct conf_module conf_core = {
	NULL, conf_keys, NITEMS(conf_keys), sizeof(struct config),
	NULL, NULL, NULL, NULL, NULL
};

struct conf_loader {
	const char	*path;
	FILE		*errf;
	int		 errors;
	const struct config *c;	/* the one being loaded, or NULL */
};

/* "file:line: msg", one line whatever msg holds; the load fails. */
static void
conf_vreport(struct conf_loader *l, const char *file, int line,
    const char *fmt, va_list ap)
{
	char		 msg[1024];
	size_t		 i;

	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(l->errf, "%s:%d: ", file, line);
	/* The file's strings are in it: one error is one line, always. */
	for (i = 0; msg[i] != '\0'; i++)
		if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
			fprintf(l->errf, "\\x%02x", (unsigned char)msg[i]);
		else
			fputc(msg[i], l->errf);
	fputc('\n', l->errf);
	l->errors++;
}

void
conf_error(struct conf_loader *l, const config_setting_t *s, const char *fmt,
    ...)
{
	va_list		 ap;
	const char	*file = NULL;
	int		 line = 0;

	if (s != NULL) {
		file = config_setting_source_file(s);
		line = (int)config_setting_source_line(s);
	}
	va_start(ap, fmt);
	conf_vreport(l, file != NULL ? file : l->path, line, fmt, ap);
	va_end(ap);
}

/* Lines of files a module reads itself (list files): file:line. */
void
conf_error_line(struct conf_loader *l, const char *file, int line,
    const char *fmt, ...)
{
	va_list		 ap;

	va_start(ap, fmt);
	conf_vreport(l, file, line, fmt, ap);
	va_end(ap);
}

const void *
conf_loader_settings(struct conf_loader *l, const struct conf_module *m)
{
	return l->c != NULL ? config_settings(l->c, m) : NULL;
}

void
config_error_at(const struct config *c, const char *key, FILE *errf,
    const char *msg)
{
	struct conf_loader	 l = { c->path, errf, 0, NULL };

	conf_error(&l, config_lookup(c->cf, key), "%s", msg);
}

/* Where a key's value lives in the structure its table describes. */
static void *
field(void *base, const struct conf_key *k)
{
	return (char *)base + k->off;
}

static const void *
cfield(const void *base, const struct conf_key *k)
{
	return (const char *)base + k->off;
}

/* A list's count. */
static size_t *
field_n(void *base, const struct conf_key *k)
{
	return (size_t *)(void *)((char *)base + k->noff);
}

static int
conf_set_str(char **dst, const char *s)
{
	char	*d;

	if ((d = strdup(s)) == NULL)
		return -1;
	free(*dst);
	*dst = d;
	return 0;
}

/* A list's default: its strings separated by spaces; none for "". */
static int
conf_set_listdef(void *base, const struct conf_key *k, const char *s)
{
	char	***v = field(base, k);
	size_t	*n = field_n(base, k), len, max = 1;
	const char *p;

	*n = 0;
	for (p = s; *p != '\0'; p++)
		max += *p == ' ';
	if ((*v = calloc(max + 1, sizeof(char *))) == NULL)
		return -1;
	for (; *s != '\0'; s += len + (s[len] == ' ')) {
		if ((len = strcspn(s, " ")) == 0)
			continue;
		if (((*v)[*n] = strndup(s, len)) == NULL)
			return -1;
		(*n)++;
	}
	return 0;
}

static void
conf_strv_free(char **v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Sets every key of a table to its default. */
static int
conf_defaults(void *base, const struct conf_module *m)
{
	const struct conf_key	*k;
	size_t			 i;

	for (i = 0; i < m->nkeys; i++) {
		k = &m->keys[i];
		switch (k->type) {
		case T_STR:
		case T_OSTR:
			if (conf_set_str(field(base, k), k->def) == -1)
				return -1;
			break;
		case T_INT:
			*(int *)field(base, k) = atoi(k->def);
			break;
		case T_DOUBLE:
			*(double *)field(base, k) = strtod(k->def, NULL);
			break;
		case T_BOOL:
			*(int *)field(base, k) = strcmp(k->def, "true") == 0;
			break;
		case T_INT64:
			*(long long *)field(base, k) = atoll(k->def);
			break;
		case T_ACTION:
			*(int *)field(base, k) = action_from_name(k->def);
			break;
		case T_STRLIST:
			if (conf_set_listdef(base, k, k->def) == -1)
				return -1;
			break;
		}
	}
	return 0;
}

/* Frees the strings and lists of a table's keys. */
static void
conf_keys_free(void *base, const struct conf_module *m)
{
	const struct conf_key	*k;
	size_t			 i;

	for (i = 0; i < m->nkeys; i++) {
		k = &m->keys[i];
		if (k->type == T_STR || k->type == T_OSTR)
			free(*(char **)field(base, k));
		else if (k->type == T_STRLIST)
			conf_strv_free(*(char ***)field(base, k),
			    *field_n(base, k));
	}
}

static const struct conf_key *
conf_key_find(const struct conf_module *m, const char *path)
{
	size_t	 i;

	for (i = 0; i < m->nkeys; i++)
		if (strcmp(m->keys[i].path, path) == 0)
			return &m->keys[i];
	return NULL;
}

static int
conf_read_int(struct conf_loader *l, const config_setting_t *s,
    const struct conf_key *k, long long *v)
{
	int	 t = config_setting_type(s);

	if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
		conf_error(l, s, "%s: expected an integer", k->path);
		return -1;
	}
	*v = config_setting_get_int64(s);
	if (*v < k->min || *v > k->max) {
		conf_error(l, s, "%s: %lld is out of range (%lld to %lld)",
		    k->path, *v, k->min, k->max);
		return -1;
	}
	return 0;
}

static int
conf_read_strlist(struct conf_loader *l, void *base,
    const config_setting_t *s, const struct conf_key *k)
{
	char		***v = field(base, k);
	size_t		*cnt = field_n(base, k);
	const char	*e;
	int		 i, n;

	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		conf_error(l, s, "%s: expected a list of strings", k->path);
		return -1;
	}
	n = config_setting_length(s);
	conf_strv_free(*v, *cnt);
	*cnt = 0;
	if ((*v = calloc((size_t)n + 1, sizeof(char *))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if ((e = config_setting_get_string_elem(s, i)) == NULL) {
			conf_error(l, s, "%s: expected a list of strings",
			    k->path);
			return -1;
		}
		if (((*v)[i] = strdup(e)) == NULL)
			return -1;
		(*cnt)++;
	}
	return 0;
}

static void
conf_read_double(struct conf_loader *l, void *base,
    const config_setting_t *s, const struct conf_key *k)
{
	double	 d;
	int	 t = config_setting_type(s);

	if (t == CONFIG_TYPE_FLOAT)
		d = config_setting_get_float(s);
	else if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64)
		d = (double)config_setting_get_int64(s);
	else {
		conf_error(l, s, "%s: expected a number", k->path);
		return;
	}
	if (d < (double)k->min || d > (double)k->max) {
		conf_error(l, s, "%s: %g is out of range (%lld to %lld)",
		    k->path, d, k->min, k->max);
		return;
	}
	*(double *)field(base, k) = d;
}

/* Reads one setting that a table describes. */
static void
conf_read_key(struct conf_loader *l, void *base, const config_setting_t *s,
    const struct conf_key *k)
{
	const char	*str;
	long long	 v;
	int		 a;

	switch (k->type) {
	case T_STR:
	case T_OSTR:
	case T_ACTION:
		if ((str = config_setting_get_string(s)) == NULL) {
			conf_error(l, s, "%s: expected a string", k->path);
			return;
		}
		if (k->type == T_OSTR) {
			if (conf_set_str(field(base, k), str) == -1)
				conf_error(l, s, "out of memory");
			return;
		}
		if (k->type == T_STR) {
			if (*str == '\0')
				conf_error(l, s, "%s: must not be empty",
				    k->path);
			else if (conf_set_str(field(base, k), str) == -1)
				conf_error(l, s, "out of memory");
			return;
		}
		a = action_from_name(str);
		if (a == -1 || !(k->actions & (1U << a))) {
			conf_error(l, s, "%s: \"%s\" is not one of the allowed "
			    "actions", k->path, str);
			return;
		}
		*(int *)field(base, k) = a;
		return;
	case T_INT:
		if (conf_read_int(l, s, k, &v) == 0)
			*(int *)field(base, k) = (int)v;
		return;
	case T_INT64:
		if (conf_read_int(l, s, k, &v) == 0)
			*(long long *)field(base, k) = v;
		return;
	case T_DOUBLE:
		conf_read_double(l, base, s, k);
		return;
	case T_BOOL:
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			conf_error(l, s, "%s: expected true or false", k->path);
		else
			*(int *)field(base, k) = config_setting_get_bool(s);
		return;
	case T_STRLIST:
		(void)conf_read_strlist(l, base, s, k);
		return;
	}
}

static int
str_in(const char *s, const char *const *v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcmp(s, v[i]) == 0)
			return 1;
	return 0;
}

/*
 * Edit distance between two short names (insertions, deletions,
 * substitutions, and swaps of neighbours); SIZE_MAX past 63 characters.
 */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t	 d[3][64], la = strlen(a), lb = strlen(b), i, j, c, v;

	if (la >= 64 || lb >= 64)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		size_t	*cur = d[i % 3], *prev = d[(i - 1) % 3];
		size_t	*prev2 = d[(i + 1) % 3];

		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			c = a[i - 1] != b[j - 1];
			v = prev[j - 1] + c;
			if (prev[j] + 1 < v)
				v = prev[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && prev2[j - 2] + 1 < v)
				v = prev2[j - 2] + 1;
			cur[j] = v;
		}
	}
	return d[la % 3][lb];
}

/* Keeps cand in *best when it is nearer to name than what is there. */
static void
nearest(const char *name, const char *cand, const char **best, size_t *bd)
{
	size_t	 d = edit_distance(name, cand);

	/* A typo, not another word: at most 2 edits, and not most of it. */
	if (d <= 2 && d * 3 <= strlen(name) && d < *bd) {
		*best = cand;
		*bd = d;
	}
}

/* The name meant by a mistyped one among v, or NULL. */
static const char *
nearest_in(const char *name, const char *const *v, size_t n)
{
	const char	*best = NULL;
	size_t		 i, bd = SIZE_MAX;

	for (i = 0; i < n; i++)
		nearest(name, v[i], &best, &bd);
	return best;
}

/* The core's table, then each built-in module's; NULL past the last. */
static const struct conf_module *
conf_table(size_t t)
{
	size_t	 i;

	if (t == 0)
		return &conf_core;
	for (i = 0; config_modules[i] != NULL; i++)
		if (i + 1 == t)
			return config_modules[i];
	return NULL;
}

/*
 * The setting meant by an unknown path: a near spelling of a key (of the
 * core or of any module) or of a group, or the same key in another group
 * ("limits.pool" is "workers.pool").  NULL when nothing is likely.
 */
static const char *
conf_suggest(const char *path)
{
	const struct conf_module	*m;
	const char			*best = NULL, *leaf, *kleaf;
	size_t				 i, t, bd = SIZE_MAX;

	for (t = 0; (m = conf_table(t)) != NULL; t++)
		for (i = 0; i < m->nkeys; i++)
			nearest(path, m->keys[i].path, &best, &bd);
	if (strchr(path, '.') == NULL) {
		for (i = 0; i < NITEMS(conf_groups); i++)
			nearest(path, conf_groups[i], &best, &bd);
		for (t = 1; (m = conf_table(t)) != NULL; t++)
			if (m->name != NULL)
				nearest(path, m->name, &best, &bd);
		nearest(path, MODULES_KEY, &best, &bd);
	}
	if (best != NULL)
		return best;
	leaf = strrchr(path, '.') ? strrchr(path, '.') + 1 : path;
	for (t = 0; (m = conf_table(t)) != NULL; t++)
		for (i = 0; i < m->nkeys; i++) {
			kleaf = strrchr(m->keys[i].path, '.');
			kleaf = kleaf ? kleaf + 1 : m->keys[i].path;
			if (strcmp(leaf, kleaf) == 0)
				return m->keys[i].path;
		}
	return NULL;
}

/*
 * "[rule NAME: ]unknown setting ...", with a did-you-mean when one is
 * likely; kind and owner say whose setting it is, or are NULL.
 */
static void
conf_unknown(struct conf_loader *l, const config_setting_t *s,
    const char *kind, const char *owner, const char *name, const char *meant)
{
	conf_error(l, s, "%s%s%s%sunknown setting \"%s\"%s%s%s",
	    kind != NULL ? kind : "", kind != NULL ? " " : "",
	    owner != NULL ? owner : "", owner != NULL ? ": " : "", name,
	    meant != NULL ? "; did you mean \"" : "",
	    meant != NULL ? meant : "", meant != NULL ? "\"?" : "");
}

int
conf_check_members(struct conf_loader *l, const config_setting_t *g,
    const char *kind, const char *owner, const char *const *keys,
    size_t nkeys)
{
	const config_setting_t	*s;
	const char		*k;
	int			 i, bad = 0;

	for (i = 0; (s = config_setting_get_elem(g, (unsigned)i)) != NULL;
	    i++) {
		k = config_setting_name(s);
		if (k != NULL && !str_in(k, keys, nkeys)) {
			conf_unknown(l, s, kind, owner, k,
			    nearest_in(k, keys, nkeys));
			bad++;
		}
	}
	return bad;
}

/*
 * Reads the members of the group g, named prefix ("" at the top), into
 * the structure at base that table m describes; other members are errors.
 */
static void
conf_read_table(struct conf_loader *l, const struct conf_module *m,
    void *base, const config_setting_t *g, const char *prefix)
{
	const config_setting_t	*s;
	const struct conf_key	*k;
	char			 path[128];
	const char		*name;
	int			 i;

	for (i = 0; (s = config_setting_get_elem(g, (unsigned)i)) != NULL;
	    i++) {
		if ((name = config_setting_name(s)) == NULL)
			continue;
		snprintf(path, sizeof(path), "%s%s%s", prefix,
		    *prefix ? "." : "", name);
		if ((k = conf_key_find(m, path)) == NULL)
			conf_unknown(l, s, NULL, NULL, path,
			    conf_suggest(path));
		else
			conf_read_key(l, base, s, k);
	}
}

/* The part of the built-in module whose group or list is name, or NULL. */
static struct conf_part *
conf_part_named(const struct config *c, const char *name)
{
	size_t	 i;

	for (i = 0; i < c->nparts; i++)
		if (c->parts[i].mod->name != NULL &&
		    strcmp(c->parts[i].mod->name, name) == 0)
			return &c->parts[i];
	return NULL;
}

/*
 * Walks the top level: core keys and groups are read with the core's
 * table, a module's group with its table; a module's list waits for
 * conf_read_lists, the shared objects for conf_read_modules.
 */
static void
conf_read_top(struct conf_loader *l, struct config *c,
    const config_setting_t *root)
{
	const config_setting_t	*s;
	const struct conf_part	*p;
	const struct conf_key	*k;
	const char		*name;
	int			 i;

	for (i = 0; (s = config_setting_get_elem(root, (unsigned)i)) != NULL;
	    i++) {
		if ((name = config_setting_name(s)) == NULL ||
		    strcmp(name, MODULES_KEY) == 0)
			continue;
		p = conf_part_named(c, name);
		if (p != NULL && p->mod->read != NULL)
			continue;
		if (p == NULL && !str_in(name, conf_groups,
		    NITEMS(conf_groups))) {
			if ((k = conf_key_find(&conf_core, name)) == NULL)
				conf_unknown(l, s, NULL, NULL, name,
				    conf_suggest(name));
			else
				conf_read_key(l, c, s, k);
			continue;
		}
		if (!config_setting_is_group(s))
			conf_error(l, s, "%s: expected a group { ... }", name);
		else if (p != NULL)
			conf_read_table(l, p->mod, p->settings, s, name);
		else
			conf_read_table(l, &conf_core, c, s, name);
	}
}

int
config_socket_mode(const struct config *c)
{
	char	*end;
	long	 mode;

	if (c->socket_mode == NULL || c->socket_mode[0] < '0' ||
	    c->socket_mode[0] > '7')
		return -1;
	errno = 0;
	mode = strtol(c->socket_mode, &end, 8);
	if (errno != 0 || *end != '\0' || mode < 0 || mode > 0777)
		return -1;
	return (int)mode;
}

/*
 * The core's checks across settings.  Whether the users exist and what
 * their ids are is for start-up (sandbox_users): loading stays pure.
 */
static void
conf_check_core(struct conf_loader *l, const struct config *c)
{
	const config_setting_t	*s;
	struct netaddr		 net;
	size_t			 i;
	int			 bits;

	/* A worker must not be able to signal the supervisor. */
	if (strcmp(c->user, c->worker_user) == 0) {
		if ((s = config_lookup(c->cf, "worker_user")) == NULL)
			s = config_lookup(c->cf, "user");
		conf_error(l, s, "worker_user must name another user than "
		    "user (both are \"%s\")", c->user);
	}
	if (config_socket_mode(c) == -1)
		conf_error(l, config_lookup(c->cf, "socket_mode"),
		    "socket_mode: \"%s\" is not an octal mode from 0 to 0777 "
		    "(such as \"0660\")", c->socket_mode);
	for (i = 0; i < c->npenalty_exempt; i++)
		if (netaddr_parse_block(c->penalty_exempt[i], &net,
		    &bits) == -1)
			conf_error(l, config_lookup(c->cf, "penalty.exempt"),
			    "penalty.exempt: \"%s\" is not an address or an "
			    "address block", c->penalty_exempt[i]);
	config_check_obs(l, c);
}

/* Hands each module that reads its own setting (a list) that setting. */
static void
conf_read_lists(struct conf_loader *l, struct config *c)
{
	const config_setting_t	*s;
	size_t			 i;

	for (i = 0; i < c->nparts; i++)
		if (c->parts[i].mod->read != NULL &&
		    (s = config_lookup(c->cf, c->parts[i].mod->name)) != NULL)
			c->parts[i].mod->read(l, s, c->parts[i].settings);
}

/* Reads a list of strings into a new NULL-terminated array. */
static int
conf_strv(struct conf_loader *l, const config_setting_t *s, const char *what,
    char ***v_r, size_t *n_r)
{
	const char	*e;
	int		 i, n;

	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		conf_error(l, s, "%s: expected a list of strings", what);
		return -1;
	}
	n = config_setting_length(s);
	if ((*v_r = calloc((size_t)n + 1, sizeof(char *))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if ((e = config_setting_get_string_elem(s, i)) == NULL) {
			conf_error(l, s, "%s: expected a list of strings",
			    what);
			return -1;
		}
		if (((*v_r)[i] = strdup(e)) == NULL)
			return -1;
		(*n_r)++;
	}
	return 0;
}

static void
conf_module_actions(struct conf_loader *l, const config_setting_t *s,
    struct module_conf *mc)
{
	char	**v = NULL;
	size_t	 n = 0, i;
	int	 a;

	if (conf_strv(l, s, "module actions", &v, &n) == 0)
		for (i = 0; i < n; i++) {
			a = action_from_name(v[i]);
			if (a <= ACTION_NONE)
				conf_error(l, s, "module %s: unknown action "
				    "\"%s\"", mc->path, v[i]);
			else
				mc->policy.actions |= 1U << a;
		}
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/*
 * A module's settings are its own business, except that every number must
 * be one: 1e999 reads as infinity, which the dump could not write back.
 */
static void
conf_check_finite(struct conf_loader *l, const config_setting_t *s,
    const char *path)
{
	const config_setting_t	*e;
	int			 i;

	if (config_setting_type(s) == CONFIG_TYPE_FLOAT &&
	    !isfinite(config_setting_get_float(s)))
		conf_error(l, s, "module %s: settings: %s is not a finite "
		    "number", path, config_setting_name(s) ?
		    config_setting_name(s) : "an element");
	for (i = 0; (e = config_setting_get_elem(s, (unsigned)i)) != NULL;
	    i++)
		conf_check_finite(l, e, path);
}

static void
conf_read_module(struct conf_loader *l, const config_setting_t *g,
    struct module_conf *mc)
{
	const config_setting_t	*s;
	const char		*path;
	int			 i;

	mc->file = config_setting_source_file(g) ?
	    config_setting_source_file(g) : l->path;
	mc->line = (int)config_setting_source_line(g);
	if (!config_setting_is_group(g)) {
		conf_error(l, g, "modules: each module is a group { ... }");
		return;
	}
	if (config_setting_lookup_string(g, "path", &path) != CONFIG_TRUE) {
		conf_error(l, g, "module: needs a path");
		return;
	}
	/* Daemons run from "/", and dlopen searches names without a slash. */
	if (path[0] != '/') {
		conf_error(l, g, "module %s: path must be absolute", path);
		return;
	}
	if ((mc->path = strdup(path)) == NULL)
		return;
	for (i = 0; (s = config_setting_get_elem(g, (unsigned)i)) != NULL;
	    i++) {
		const char *k = config_setting_name(s);

		if (!str_in(k, module_keys, NITEMS(module_keys)))
			conf_unknown(l, s, "module", path, k, nearest_in(k,
			    module_keys, NITEMS(module_keys)));
		else if (strcmp(k, "actions") == 0)
			conf_module_actions(l, s, mc);
		else if (strcmp(k, "headers") == 0)
			(void)conf_strv(l, s, "module headers",
			    &mc->policy.headers, &mc->policy.nheaders);
		else if (strcmp(k, "settings") == 0) {
			if (!config_setting_is_group(s))
				conf_error(l, s, "module %s: settings: "
				    "expected a group { ... }", path);
			conf_check_finite(l, s, path);
			mc->settings = s;
		}
	}
}

static void
conf_read_modules(struct conf_loader *l, struct config *c,
    const config_setting_t *s)
{
	int	 i, n;

	if (s == NULL)
		return;
	if (!config_setting_is_list(s)) {
		conf_error(l, s, "modules: expected a list ( { ... }, ... )");
		return;
	}
	n = config_setting_length(s);
	if ((c->modules = calloc((size_t)n + 1, sizeof(*c->modules))) ==
	    NULL) {
		conf_error(l, s, "out of memory");
		return;
	}
	c->nmodules = (size_t)n;
	for (i = 0; i < n; i++)
		conf_read_module(l, config_setting_get_elem(s, (unsigned)i),
		    &c->modules[i]);
}

/* The checks across settings, then what each module may do. */
static void
conf_check_parts(struct conf_loader *l, struct config *c)
{
	struct conf_part	*p;
	size_t			 i;

	for (i = 0; i < c->nparts; i++) {
		p = &c->parts[i];
		if (p->mod->check != NULL)
			p->mod->check(l, p->mod->name == NULL ? NULL :
			    config_lookup(c->cf, p->mod->name), p->settings);
	}
	for (i = 0; i < c->nparts && l->errors == 0; i++) {
		p = &c->parts[i];
		if (p->mod->declare != NULL &&
		    p->mod->declare(c, p->settings, &p->policy) == -1)
			conf_error(l, NULL, "out of memory");
	}
}

/* One part per built-in module, each with its table's defaults. */
static int
conf_parts_new(struct config *c)
{
	const struct conf_module	*m;
	size_t				 n;

	for (n = 0; config_modules[n] != NULL; n++)
		;
	if ((c->parts = calloc(n + 1, sizeof(*c->parts))) == NULL)
		return -1;
	for (c->nparts = 0; c->nparts < n; c->nparts++) {
		m = config_modules[c->nparts];
		c->parts[c->nparts].mod = m;
		if ((c->parts[c->nparts].settings = calloc(1, m->size ?
		    m->size : 1)) == NULL)
			return -1;
		if (conf_defaults(c->parts[c->nparts].settings, m) == -1) {
			c->nparts++;	/* config_free frees what is there */
			return -1;
		}
	}
	return 0;
}

/* Lets "@include" name files relative to the including file's folder. */
static void
conf_include_dir(config_t *cf, const char *path, char *dir, size_t len)
{
	const char	*slash = strrchr(path, '/');

	if (slash == NULL)
		return;
	snprintf(dir, len, "%.*s", (int)(slash - path), path);
	config_set_include_dir(cf, *dir ? dir : "/");
}

/* Reads from the file at path, or from text (then named path). */
/* Reads from the file at path, or from text (then named path). */
static struct config *
config_parse(const char *path, const char *text, FILE *errf)
{
	struct conf_loader	 l = { path, errf, 0, NULL };
	config_t		*cf;
	struct config		*c;
	char			 dir[PATH_MAX];
	int			 rc;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->path = strdup(path)) == NULL ||
	    conf_defaults(c, &conf_core) == -1 || conf_parts_new(c) == -1 ||
	    (c->cf = calloc(1, sizeof(*c->cf))) == NULL) {
		fprintf(errf, "%s: out of memory\n", path);
		config_free(&c);
		return NULL;
	}
	l.path = c->path;	/* modules keep it as where they came from */
	l.c = c;
	cf = c->cf;
	config_init(cf);
	config_set_options(cf, CONFIG_OPTION_AUTOCONVERT);
	if (text == NULL) {
		conf_include_dir(cf, path, dir, sizeof(dir));
		rc = config_read_file(cf, path);
	} else
		rc = config_read_string(cf, text);
	if (rc != CONFIG_TRUE) {
		if (config_error_type(cf) == CONFIG_ERR_FILE_IO)
			fprintf(errf, "%s: %s\n", path, strerror(errno));
		else
			fprintf(errf, "%s:%d: %s\n", config_error_file(cf) ?
			    config_error_file(cf) : path,
			    config_error_line(cf), config_error_text(cf));
		l.errors++;
	} else {
		conf_read_top(&l, c, config_root_setting(cf));
		conf_check_core(&l, c);
		conf_read_lists(&l, c);
		conf_read_modules(&l, c, config_lookup(cf, MODULES_KEY));
		conf_check_parts(&l, c);
	}
	if (l.errors > 0)
		config_free(&c);
	return c;
}

struct config *
config_load(const char *path, FILE *errf)
{
	return config_parse(path, NULL, errf);
}

struct config *
config_load_text(const char *text, const char *name, FILE *errf)
{
	return config_parse(name, text, errf);
}

int
config_snapshot(const struct config *c)
{
	FILE	*f = NULL;
	int	 fd, wfd = -1;

	if ((fd = memfd_create("filterd-conf", MFD_CLOEXEC |
	    MFD_ALLOW_SEALING)) == -1 ||
	    (wfd = dup(fd)) == -1 || (f = fdopen(wfd, "w")) == NULL)
		goto fail;
	config_dump(c, f);
	wfd = -1;
	if (fclose(f) == EOF) {
		f = NULL;
		goto fail;
	}
	f = NULL;
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE | F_SEAL_SEAL) == -1)
		goto fail;
	return fd;
fail:
	if (f != NULL)
		fclose(f);
	else if (wfd != -1)
		close(wfd);
	if (fd != -1)
		close(fd);
	return -1;
}

struct config *
config_load_fd(int fd, const char *name, FILE *errf)
{
	struct config	*c;
	struct stat	 st;
	char		*text;
	ssize_t		 n;
	size_t		 got = 0;

	if (fstat(fd, &st) == -1 || st.st_size < 0 ||
	    st.st_size > CONFIG_SNAPSHOT_MAX) {
		fprintf(errf, "%s: the configuration snapshot is unreadable "
		    "or too large\n", name);
		return NULL;
	}
	if ((text = malloc((size_t)st.st_size + 1)) == NULL) {
		fprintf(errf, "%s: out of memory\n", name);
		return NULL;
	}
	/* pread: the descriptor's offset is shared with other processes. */
	while (got < (size_t)st.st_size) {
		n = pread(fd, text + got, (size_t)st.st_size - got,
		    (off_t)got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(errf, "%s: cannot read the configuration "
			    "snapshot\n", name);
			free(text);
			return NULL;
		}
		got += (size_t)n;
	}
	text[got] = '\0';
	c = config_load_text(text, name, errf);
	free(text);
	return c;
}

static void
conf_policy_free(struct conf_policy *p)
{
	conf_strv_free(p->headers, p->nheaders);
	memset(p, 0, sizeof(*p));
}

int
conf_policy_header(struct conf_policy *p, const char *name)
{
	char	**v;

	if ((v = reallocarray(p->headers, p->nheaders + 2,
	    sizeof(*v))) == NULL)
		return -1;
	p->headers = v;
	if ((v[p->nheaders] = strdup(name)) == NULL)
		return -1;
	v[++p->nheaders] = NULL;
	return 0;
}

static void
conf_part_free(struct conf_part *p)
{
	if (p->settings != NULL) {
		if (p->mod->free != NULL)
			p->mod->free(p->settings);
		conf_keys_free(p->settings, p->mod);
		free(p->settings);
	}
	conf_policy_free(&p->policy);
}

void
config_free(struct config **cp)
{
	struct config	*c = *cp;
	size_t		 i;

	if (c == NULL)
		return;
	free(c->path);
	conf_keys_free(c, &conf_core);
	for (i = 0; i < c->nparts; i++)
		conf_part_free(&c->parts[i]);
	free(c->parts);
	for (i = 0; i < c->nmodules; i++) {
		free(c->modules[i].path);
		conf_policy_free(&c->modules[i].policy);
	}
	free(c->modules);
	if (c->cf != NULL) {
		config_destroy(c->cf);
		free(c->cf);
	}
	free(c);
	*cp = NULL;
}

const void *
config_settings(const struct config *c, const struct conf_module *m)
{
	size_t	 i;

	for (i = 0; i < c->nparts; i++)
		if (c->parts[i].mod == m)
			return c->parts[i].settings;
	return NULL;
}

const struct conf_policy *
config_policy(const struct config *c, size_t n)
{
	if (n < c->nparts)
		return &c->parts[n].policy;
	if (n - c->nparts < c->nmodules)
		return &c->modules[n - c->nparts].policy;
	return NULL;
}

/* Prints a string with libconfig's escapes. */
void
conf_dump_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\x%02x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/* A float that libconfig reads back as a float, and as the same one. */
/* A float that libconfig reads back as a float, and as the same one. */
void
conf_dump_double(FILE *f, double d)
{
	char	 num[64];

	snprintf(num, sizeof(num), "%.17g", d);
	fprintf(f, "%s%s", num, strpbrk(num, ".en") ? "" : ".0");
}

static void
dump_key(const void *base, const struct conf_key *k, FILE *f)
{
	const char	*name = strrchr(k->path, '.');
	size_t		 i, n;

	name = name ? name + 1 : k->path;
	fprintf(f, "%s%s = ", strchr(k->path, '.') ? "\t" : "", name);
	switch (k->type) {
	case T_STR:
	case T_OSTR:
		conf_dump_str(f, *(char *const *)cfield(base, k));
		break;
	case T_INT:
		fprintf(f, "%d", *(const int *)cfield(base, k));
		break;
	case T_DOUBLE:
		conf_dump_double(f, *(const double *)cfield(base, k));
		break;
	case T_BOOL:
		fputs(*(const int *)cfield(base, k) ? "true" : "false", f);
		break;
	case T_INT64:
		fprintf(f, "%lld", *(const long long *)cfield(base, k));
		break;
	case T_ACTION:
		conf_dump_str(f, action_name(*(const int *)cfield(base, k)));
		break;
	case T_STRLIST:
		n = *(const size_t *)(const void *)((const char *)base +
		    k->noff);
		fputs("[ ", f);
		for (i = 0; i < n; i++) {
			conf_dump_str(f,
			    (*(char *const *const *)cfield(base, k))[i]);
			fputs(i + 1 < n ? ", " : " ", f);
		}
		fputs("]", f);
		break;
	}
	fputs(";\n", f);
}

static void
dump_setting(const config_setting_t *s, FILE *f, int depth)
{
	const config_setting_t	*e;
	const char		*name = config_setting_name(s);
	char			 num[64];
	int			 i, t = config_setting_type(s), n;

	if (name != NULL)
		fprintf(f, "%s = ", name);
	switch (t) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		fprintf(f, "%lld%s", config_setting_get_int64(s),
		    t == CONFIG_TYPE_INT64 ? "L" : "");
		break;
	case CONFIG_TYPE_FLOAT:
		/* libconfig reads "2" as an integer: keep a float a float. */
		snprintf(num, sizeof(num), "%.17g", config_setting_get_float(s));
		fprintf(f, "%s%s", num, strpbrk(num, ".en") ? "" : ".0");
		break;
	case CONFIG_TYPE_BOOL:
		fputs(config_setting_get_bool(s) ? "true" : "false", f);
		break;
	case CONFIG_TYPE_STRING:
		conf_dump_str(f, config_setting_get_string(s));
		break;
	default:
		n = config_setting_length(s);
		fputs(t == CONFIG_TYPE_GROUP ? "{ " : t == CONFIG_TYPE_ARRAY ?
		    "[ " : "( ", f);
		for (i = 0; i < n; i++) {
			e = config_setting_get_elem(s, (unsigned)i);
			dump_setting(e, f, depth + 1);
			if (t == CONFIG_TYPE_GROUP)
				fputs("; ", f);
			else if (i + 1 < n)
				fputs(", ", f);
		}
		fputs(t == CONFIG_TYPE_GROUP ? "}" : t == CONFIG_TYPE_ARRAY ?
		    " ]" : " )", f);
		break;
	}
}

static void
dump_module(const struct module_conf *m, FILE *f)
{
	size_t	 i;
	int	 a, first = 1;

	fputs("\t{ path = ", f);
	conf_dump_str(f, m->path);
	fputs("; actions = [ ", f);
	for (a = ACTION_NONE + 1; a < ACTION_MAX; a++) {
		if (!(m->policy.actions & (1U << a)))
			continue;
		fputs(first ? "" : ", ", f);
		conf_dump_str(f, action_name(a));
		first = 0;
	}
	fputs(" ]; headers = [ ", f);
	for (i = 0; i < m->policy.nheaders; i++) {
		fputs(i ? ", " : "", f);
		conf_dump_str(f, m->policy.headers[i]);
	}
	fputs(" ];", f);
	if (m->settings != NULL) {
		fputs(" ", f);
		dump_setting(m->settings, f, 0);
		fputs(";", f);
	}
	fputs(" }", f);
}

/* Prints a table's keys; "group.key" ones inside "group = { ... };". */
static void
dump_table(const void *base, const struct conf_module *m, FILE *f)
{
	const char	*group = "", *path;
	size_t		 i, glen;

	for (i = 0; i < m->nkeys; i++) {
		path = m->keys[i].path;
		glen = strcspn(path, ".");
		if (path[glen] == '.' &&
		    strncmp(group, path, glen + 1) != 0) {
			if (*group != '\0')
				fputs("};\n", f);
			fprintf(f, "%.*s = {\n", (int)glen, path);
			group = path;
		} else if (path[glen] != '.' && *group != '\0') {
			fputs("};\n", f);
			group = "";
		}
		dump_key(base, &m->keys[i], f);
	}
	if (*group != '\0')
		fputs("};\n", f);
}

void
config_dump(const struct config *c, FILE *f)
{
	const struct conf_part	*p;
	size_t			 i;

	dump_table(c, &conf_core, f);
	for (i = 0; i < c->nparts; i++) {
		p = &c->parts[i];
		dump_table(p->settings, p->mod, f);
		if (p->mod->dump != NULL)
			p->mod->dump(p->settings, f);
	}
	fputs("modules = (\n", f);
	for (i = 0; i < c->nmodules; i++) {
		dump_module(&c->modules[i], f);
		fputs(i + 1 < c->nmodules ? ",\n" : "\n", f);
	}
	fputs(");\n", f);
}
