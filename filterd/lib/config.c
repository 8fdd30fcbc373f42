/*
 * config: loading, checking and dumping filterd.conf.  Runs in the
 * supervisor (filterd -n, start-up) and in each spawner.  The file is the
 * administrator's; still, every value is type- and range-checked, unknown
 * keys are errors, and every error names the file and line.
 */
#include <arpa/inet.h>
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
#include "filterd/lib/rfc5322.h"
#include "filterd/lib/smtp.h"
#include "filterd/lib/verdict.h"

enum conf_type {
	T_STR,
	T_INT,
	T_INT64,
	T_DOUBLE,
	T_BOOL,
	T_OSTR,		/* a string that may be empty: "" is off */
	T_ACTION,
	T_STRLIST,
};

/* One setting: where it lives, its type, default and bounds. */
struct conf_key {
	const char	*path;
	enum conf_type	 type;
	size_t		 off;
	const char	*def;
	long long	 min, max;
	uint32_t	 actions;	/* T_ACTION: the allowed ones */
	size_t		 noff;		/* T_STRLIST: where its count goes */
};

#define A(x)	(1U << ACTION_##x)
#define OFF(f)	offsetof(struct config, f)

static const struct conf_key conf_keys[] = {
	{ "listen", T_STR, OFF(listen), "unix:/tmp/filterd.sock", 0, 0, 0, 0 },
	{ "user", T_STR, OFF(user), "filterd", 0, 0, 0, 0 },
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
	{ "limits.max_headers", T_INT, OFF(max_headers), "1000", 1,
	    MSG_HDRS_MAX, 0, 0 },
	{ "limits.max_header_size", T_INT, OFF(max_header_size), "16384", 64,
	    MSG_HDR_VALUE_MAX, 0, 0 },
	{ "limits.max_mime_depth", T_INT, OFF(max_mime_depth), "8", 1, 32,
	    0, 0 },
	{ "limits.max_mime_parts", T_INT, OFF(max_mime_parts), "100", 1,
	    10000, 0, 0 },
	{ "workers.pool", T_INT, OFF(pool), "4", 1, 256, 0, 0 },
	{ "workers.memory", T_INT, OFF(memory), "512", 16, 65536, 0, 0 },
	{ "workers.cpu", T_INT, OFF(cpu), "10", 1, 3600, 0, 0 },
	{ "workers.max_served", T_INT, OFF(max_served), "1000", 1, 1000000,
	    0, 0 },
	{ "scoring.header", T_STR, OFF(score_header), "X-Filterd-Score", 0, 0,
	    0, 0 },
	{ "scoring.tag", T_DOUBLE, OFF(score_tag), "0", -1000, 1000, 0, 0 },
	{ "scoring.subject_prefix", T_OSTR, OFF(score_prefix), "", 0, 0, 0, 0 },
	{ "scoring.quarantine", T_DOUBLE, OFF(score_quarantine), "0", -1000,
	    1000, 0, 0 },
	{ "scoring.reject", T_DOUBLE, OFF(score_reject), "0", -1000, 1000,
	    0, 0 },
	{ "scoring.reply", T_STR, OFF(score_reply),
	    "550 5.7.1 Message scored as spam", 0, 0, 0, 0 },
	{ "attachments.extensions", T_STRLIST, OFF(att_exts), "", 0, 0, 0,
	    OFF(natt_exts) },
	{ "attachments.types", T_STRLIST, OFF(att_types), "", 0, 0, 0,
	    OFF(natt_types) },
	{ "attachments.double_extensions", T_BOOL, OFF(att_double), "false",
	    0, 1, 0, 0 },
	{ "attachments.action", T_ACTION, OFF(att_action), "reject", 0, 0,
	    A(REJECT) | A(TEMPFAIL) | A(DISCARD) | A(QUARANTINE), 0 },
	{ "attachments.reply", T_STR, OFF(att_reply),
	    "550 5.7.1 Attachment type not allowed", 0, 0, 0, 0 },
	{ "allowed_headers", T_STRLIST, OFF(allowed_headers), "X-Filterd-*",
	    0, 0, 0, OFF(nallowed) },
};

/* The groups and lists handled outside the table. */
static const char *const conf_groups[] = {
	"limits", "workers", "scoring", "attachments"
};
#define RULES_KEY	"rules"
#define MODULES_KEY	"modules"

/* Keys of one shared-object module. */
static const char *const module_keys[] = {
	"path", "actions", "headers", "settings",
};

/* Keys of one rule. */
static const char *const rule_keys[] = {
	"name", "header", "pattern", "any_header", "body", "raw_body",
	"sender", "recipient", "helo", "client_name", "client_addr",
	"client_cidr", "negate", "score", "action", "reply", "add_header",
	"reason",
};

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

struct loader {
	const char	*path;
	FILE		*errf;
	int		 errors;
};

static void
conf_err(struct loader *l, const config_setting_t *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
conf_err(struct loader *l, const config_setting_t *s, const char *fmt, ...)
{
	va_list		 ap;
	const char	*file = NULL;
	char		 msg[1024];
	size_t		 i;
	int		 line = 0;

	if (s != NULL) {
		file = config_setting_source_file(s);
		line = (int)config_setting_source_line(s);
	}
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(l->errf, "%s:%d: ", file != NULL ? file : l->path, line);
	/* The file's strings are in it: one error is one line, always. */
	for (i = 0; msg[i] != '\0'; i++)
		if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
			fprintf(l->errf, "\\x%02x", (unsigned char)msg[i]);
		else
			fputc(msg[i], l->errf);
	fputc('\n', l->errf);
	l->errors++;
}

static void *
field(struct config *c, const struct conf_key *k)
{
	return (char *)c + k->off;
}

static const void *
cfield(const struct config *c, const struct conf_key *k)
{
	return (const char *)c + k->off;
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

/* A list's default: one string, or none for "". */
static int
conf_set_list1(struct config *c, const struct conf_key *k, const char *s)
{
	char	***v = field(c, k);
	size_t	*n = (size_t *)(void *)((char *)c + k->noff);

	*n = 0;
	if ((*v = calloc(2, sizeof(char *))) == NULL)
		return -1;
	if (*s == '\0')
		return 0;
	if (((*v)[0] = strdup(s)) == NULL)
		return -1;
	*n = 1;
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

/* Sets every key to its default. */
static int
conf_defaults(struct config *c)
{
	const struct conf_key	*k;
	size_t			 i;

	for (i = 0; i < NITEMS(conf_keys); i++) {
		k = &conf_keys[i];
		switch (k->type) {
		case T_STR:
		case T_OSTR:
			if (conf_set_str(field(c, k), k->def) == -1)
				return -1;
			break;
		case T_INT:
			*(int *)field(c, k) = atoi(k->def);
			break;
		case T_DOUBLE:
			*(double *)field(c, k) = strtod(k->def, NULL);
			break;
		case T_BOOL:
			*(int *)field(c, k) = strcmp(k->def, "true") == 0;
			break;
		case T_INT64:
			*(long long *)field(c, k) = atoll(k->def);
			break;
		case T_ACTION:
			*(int *)field(c, k) = action_from_name(k->def);
			break;
		case T_STRLIST:
			if (conf_set_list1(c, k, k->def) == -1)
				return -1;
			break;
		}
	}
	return 0;
}

static const struct conf_key *
conf_key_find(const char *path)
{
	size_t	 i;

	for (i = 0; i < NITEMS(conf_keys); i++)
		if (strcmp(conf_keys[i].path, path) == 0)
			return &conf_keys[i];
	return NULL;
}

static int
conf_read_int(struct loader *l, const config_setting_t *s,
    const struct conf_key *k, long long *v)
{
	int	 t = config_setting_type(s);

	if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
		conf_err(l, s, "%s: expected an integer", k->path);
		return -1;
	}
	*v = config_setting_get_int64(s);
	if (*v < k->min || *v > k->max) {
		conf_err(l, s, "%s: %lld is out of range (%lld to %lld)",
		    k->path, *v, k->min, k->max);
		return -1;
	}
	return 0;
}

static int
conf_read_strlist(struct loader *l, struct config *c,
    const config_setting_t *s, const struct conf_key *k)
{
	char		***v = field(c, k);
	size_t		*cnt = (size_t *)(void *)((char *)c + k->noff);
	const char	*e;
	int		 i, n;

	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		conf_err(l, s, "%s: expected a list of strings", k->path);
		return -1;
	}
	n = config_setting_length(s);
	conf_strv_free(*v, *cnt);
	*cnt = 0;
	if ((*v = calloc((size_t)n + 1, sizeof(char *))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if ((e = config_setting_get_string_elem(s, i)) == NULL) {
			conf_err(l, s, "%s: expected a list of strings",
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
conf_read_double(struct loader *l, struct config *c,
    const config_setting_t *s, const struct conf_key *k)
{
	double	 d;
	int	 t = config_setting_type(s);

	if (t == CONFIG_TYPE_FLOAT)
		d = config_setting_get_float(s);
	else if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64)
		d = (double)config_setting_get_int64(s);
	else {
		conf_err(l, s, "%s: expected a number", k->path);
		return;
	}
	if (d < (double)k->min || d > (double)k->max) {
		conf_err(l, s, "%s: %g is out of range (%lld to %lld)",
		    k->path, d, k->min, k->max);
		return;
	}
	*(double *)field(c, k) = d;
}

/* Reads one setting that the table describes. */
static void
conf_read_key(struct loader *l, struct config *c, const config_setting_t *s,
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
			conf_err(l, s, "%s: expected a string", k->path);
			return;
		}
		if (k->type == T_OSTR) {
			if (conf_set_str(field(c, k), str) == -1)
				conf_err(l, s, "out of memory");
			return;
		}
		if (k->type == T_STR) {
			if (*str == '\0')
				conf_err(l, s, "%s: must not be empty",
				    k->path);
			else if (conf_set_str(field(c, k), str) == -1)
				conf_err(l, s, "out of memory");
			return;
		}
		a = action_from_name(str);
		if (a == -1 || !(k->actions & (1U << a))) {
			conf_err(l, s, "%s: \"%s\" is not one of the allowed "
			    "actions", k->path, str);
			return;
		}
		*(int *)field(c, k) = a;
		return;
	case T_INT:
		if (conf_read_int(l, s, k, &v) == 0)
			*(int *)field(c, k) = (int)v;
		return;
	case T_INT64:
		if (conf_read_int(l, s, k, &v) == 0)
			*(long long *)field(c, k) = v;
		return;
	case T_DOUBLE:
		conf_read_double(l, c, s, k);
		return;
	case T_BOOL:
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			conf_err(l, s, "%s: expected true or false", k->path);
		else
			*(int *)field(c, k) = config_setting_get_bool(s);
		return;
	case T_STRLIST:
		(void)conf_read_strlist(l, c, s, k);
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

/*
 * The setting meant by an unknown path: a near spelling of a key or a
 * group, or the same key in another group ("limits.pool" is
 * "workers.pool").  NULL when nothing is likely.
 */
static const char *
conf_suggest(const char *path)
{
	const char	*best = NULL, *leaf, *kleaf;
	size_t		 i, bd = SIZE_MAX;

	for (i = 0; i < NITEMS(conf_keys); i++)
		nearest(path, conf_keys[i].path, &best, &bd);
	if (strchr(path, '.') == NULL) {
		for (i = 0; i < NITEMS(conf_groups); i++)
			nearest(path, conf_groups[i], &best, &bd);
		nearest(path, RULES_KEY, &best, &bd);
		nearest(path, MODULES_KEY, &best, &bd);
	}
	if (best != NULL)
		return best;
	leaf = strrchr(path, '.') ? strrchr(path, '.') + 1 : path;
	for (i = 0; i < NITEMS(conf_keys); i++) {
		kleaf = strrchr(conf_keys[i].path, '.');
		kleaf = kleaf ? kleaf + 1 : conf_keys[i].path;
		if (strcmp(leaf, kleaf) == 0)
			return conf_keys[i].path;
	}
	return NULL;
}

/*
 * "[rule NAME: ]unknown setting ...", with a did-you-mean when one is
 * likely; kind and owner say whose setting it is, or are NULL.
 */
static void
conf_unknown(struct loader *l, const config_setting_t *s, const char *kind,
    const char *owner, const char *name, const char *meant)
{
	conf_err(l, s, "%s%s%s%sunknown setting \"%s\"%s%s%s",
	    kind != NULL ? kind : "", kind != NULL ? " " : "",
	    owner != NULL ? owner : "", owner != NULL ? ": " : "", name,
	    meant != NULL ? "; did you mean \"" : "",
	    meant != NULL ? meant : "", meant != NULL ? "\"?" : "");
}

/* Walks a group's children: known keys are read, others are errors. */
static void
conf_read_group(struct loader *l, struct config *c,
    const config_setting_t *g, const char *prefix)
{
	const config_setting_t	*s;
	const struct conf_key	*k;
	char			 path[128];
	const char		*name;
	int			 i;

	for (i = 0; (s = config_setting_get_elem(g, (unsigned)i)) != NULL;
	    i++) {
		name = config_setting_name(s);
		if (name == NULL)
			continue;
		snprintf(path, sizeof(path), "%s%s%s", prefix,
		    *prefix ? "." : "", name);
		if (*prefix == '\0' && (strcmp(name, RULES_KEY) == 0 ||
		    strcmp(name, MODULES_KEY) == 0))
			continue;
		if (*prefix == '\0' &&
		    str_in(name, conf_groups, NITEMS(conf_groups))) {
			if (!config_setting_is_group(s))
				conf_err(l, s, "%s: expected a group "
				    "{ ... }", path);
			else
				conf_read_group(l, c, s, name);
			continue;
		}
		if ((k = conf_key_find(path)) == NULL) {
			conf_unknown(l, s, NULL, NULL, path,
			    conf_suggest(path));
			continue;
		}
		conf_read_key(l, c, s, k);
	}
}

static const char *
rule_str(struct loader *l, const config_setting_t *r, const char *key)
{
	const config_setting_t	*s;
	const char		*v;

	if ((s = config_setting_get_member(r, key)) == NULL)
		return NULL;
	if ((v = config_setting_get_string(s)) == NULL) {
		conf_err(l, s, "rule: %s: expected a string", key);
		return NULL;
	}
	return v;
}

/* Splits "Name: value" for add_header. */
static int
rule_add_header(struct loader *l, const config_setting_t *r,
    struct rule_conf *rc, const char *s)
{
	const char	*colon, *why;
	const char	*v;

	if ((colon = strchr(s, ':')) == NULL) {
		conf_err(l, r, "rule %s: add_header must be \"Name: value\"",
		    rc->name);
		return -1;
	}
	if ((rc->hdr_name = strndup(s, (size_t)(colon - s))) == NULL)
		return -1;
	for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		;
	if ((rc->hdr_value = strdup(v)) == NULL)
		return -1;
	if (rfc5322_check_name(rc->hdr_name, &why) == -1 ||
	    rfc5322_check_value(rc->hdr_value, &why) == -1) {
		conf_err(l, r, "rule %s: add_header: %s", rc->name, why);
		return -1;
	}
	return 0;
}

static const struct {
	const char	*key;
	int		 target;
} rule_targets[] = {
	{ "header", RULE_HEADER },
	{ "any_header", RULE_ANY_HEADER },
	{ "body", RULE_BODY },
	{ "raw_body", RULE_RAW_BODY },
	{ "sender", RULE_SENDER },
	{ "recipient", RULE_RECIPIENT },
	{ "helo", RULE_HELO },
	{ "client_name", RULE_CLIENT_NAME },
	{ "client_addr", RULE_CLIENT_ADDR },
	{ "client_cidr", RULE_CLIENT_CIDR },
};

/* Parses "192.0.2.0/24" or "2001:db8::/32" (no prefix: one address). */
static int
rule_cidr(struct rule_conf *rc, const char *s)
{
	char		 addr[INET6_ADDRSTRLEN + 1];
	const char	*slash = strchr(s, '/');
	char		*end;
	long		 bits;
	size_t		 n = slash ? (size_t)(slash - s) : strlen(s);

	if (n >= sizeof(addr))
		return -1;
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (inet_pton(AF_INET, addr, rc->cidr_addr) == 1) {
		rc->cidr_family = AF_INET;
		rc->cidr_bits = 32;
	} else if (inet_pton(AF_INET6, addr, rc->cidr_addr) == 1) {
		rc->cidr_family = AF_INET6;
		rc->cidr_bits = 128;
	} else
		return -1;
	if (slash != NULL) {
		bits = strtol(slash + 1, &end, 10);
		if (end == slash + 1 || *end != '\0' || bits < 0 ||
		    bits > rc->cidr_bits)
			return -1;
		rc->cidr_bits = (int)bits;
	}
	return 0;
}

static int
rule_target(struct loader *l, const config_setting_t *r, struct rule_conf *rc)
{
	const char	*v, *pattern;
	size_t		 i;
	int		 n = 0;

	for (i = 0; i < NITEMS(rule_targets); i++) {
		if ((v = rule_str(l, r, rule_targets[i].key)) == NULL)
			continue;
		if (n++ > 0)
			continue;	/* an error below; keep the first */
		rc->target = rule_targets[i].target;
		if (rc->target == RULE_HEADER) {
			if ((rc->header = strdup(v)) == NULL)
				return -1;
		} else if ((rc->pattern = strdup(v)) == NULL)
			return -1;
	}
	if (n != 1) {
		conf_err(l, r, "rule %s: needs exactly one of header, "
		    "any_header, body, raw_body, sender, recipient, helo, "
		    "client_name, client_addr, client_cidr", rc->name);
		return -1;
	}
	if (rc->target == RULE_CLIENT_CIDR && rule_cidr(rc, rc->pattern) ==
	    -1) {
		conf_err(l, r, "rule %s: client_cidr: \"%s\" is not an "
		    "address or address/prefix", rc->name, rc->pattern);
		return -1;
	}
	pattern = rule_str(l, r, "pattern");
	if ((rc->target == RULE_HEADER) != (pattern != NULL)) {
		conf_err(l, r, "rule %s: pattern goes with header, and "
		    "header needs one", rc->name);
		return -1;
	}
	if (pattern != NULL && (rc->pattern = strdup(pattern)) == NULL)
		return -1;
	return 0;
}

/* negate and score, both optional. */
static int
rule_flags(struct loader *l, const config_setting_t *r, struct rule_conf *rc)
{
	const config_setting_t	*s;

	if ((s = config_setting_get_member(r, "negate")) != NULL) {
		if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
			conf_err(l, s, "rule %s: negate: expected true or "
			    "false", rc->name);
			return -1;
		}
		rc->negate = config_setting_get_bool(s);
	}
	if ((s = config_setting_get_member(r, "score")) != NULL) {
		if (config_setting_type(s) != CONFIG_TYPE_FLOAT &&
		    config_setting_type(s) != CONFIG_TYPE_INT &&
		    config_setting_type(s) != CONFIG_TYPE_INT64) {
			conf_err(l, s, "rule %s: score: expected a number",
			    rc->name);
			return -1;
		}
		rc->score = config_setting_get_float(s);
		if (config_setting_type(s) != CONFIG_TYPE_FLOAT)
			rc->score = (double)config_setting_get_int64(s);
		if (rc->score < -1000 || rc->score > 1000) {
			conf_err(l, s, "rule %s: score: %g is out of range "
			    "(-1000 to 1000)", rc->name, rc->score);
			return -1;
		}
	}
	if (rc->action == RULE_SCORE && rc->score == 0) {
		conf_err(l, r, "rule %s: action score needs a score",
		    rc->name);
		return -1;
	}
	return 0;
}

static int
rule_action(struct loader *l, const config_setting_t *r, struct rule_conf *rc)
{
	const char	*a, *reply, *hdr, *reason, *why;

	if ((a = rule_str(l, r, "action")) == NULL) {
		conf_err(l, r, "rule %s: needs an action", rc->name);
		return -1;
	}
	if (strcmp(a, "add-header") == 0)
		rc->action = RULE_ADD_HEADER;
	else if (strcmp(a, "score") == 0)
		rc->action = RULE_SCORE;
	else if ((rc->action = action_from_name(a)) <= ACTION_NONE) {
		conf_err(l, r, "rule %s: unknown action \"%s\"", rc->name, a);
		return -1;
	}
	reply = rule_str(l, r, "reply");
	hdr = rule_str(l, r, "add_header");
	reason = rule_str(l, r, "reason");
	if (reply != NULL && smtp_parse_reply(reply, rc->action, &rc->code,
	    &rc->ecode, &rc->text, &why) == -1) {
		conf_err(l, r, "rule %s: reply: %s", rc->name, why);
		return -1;
	}
	if ((hdr != NULL) != (rc->action == RULE_ADD_HEADER)) {
		conf_err(l, r, "rule %s: add_header goes with action "
		    "add-header, and it needs one", rc->name);
		return -1;
	}
	if (hdr != NULL && rule_add_header(l, r, rc, hdr) == -1)
		return -1;
	if (rule_flags(l, r, rc) == -1)
		return -1;
	if (reason != NULL) {
		if (rc->action != ACTION_QUARANTINE) {
			conf_err(l, r, "rule %s: reason goes with action "
			    "quarantine", rc->name);
			return -1;
		}
		if ((rc->reason = strdup(reason)) == NULL)
			return -1;
	}
	return 0;
}

static int
rule_check_keys(struct loader *l, const config_setting_t *r, const char *name)
{
	const config_setting_t	*s;
	const char		*k;
	int			 i, bad = 0;

	for (i = 0; (s = config_setting_get_elem(r, (unsigned)i)) != NULL;
	    i++) {
		k = config_setting_name(s);
		if (!str_in(k, rule_keys, NITEMS(rule_keys))) {
			conf_unknown(l, s, "rule", name, k,
			    nearest_in(k, rule_keys, NITEMS(rule_keys)));
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

static void
conf_read_rule(struct loader *l, const config_setting_t *r,
    struct rule_conf *rc, int idx)
{
	const char	*name;
	char		 def[32];

	rc->line = (int)config_setting_source_line(r);
	if (!config_setting_is_group(r)) {
		conf_err(l, r, "rules: each rule is a group { ... }");
		return;
	}
	if ((name = rule_str(l, r, "name")) == NULL) {
		snprintf(def, sizeof(def), "rule%d", idx + 1);
		name = def;
	}
	if ((rc->name = strdup(name)) == NULL) {
		conf_err(l, r, "out of memory");
		return;
	}
	if (rule_check_keys(l, r, rc->name) == -1 ||
	    rule_target(l, r, rc) == -1)
		return;
	(void)rule_action(l, r, rc);
}

static void
conf_read_rules(struct loader *l, struct config *c, const config_setting_t *s)
{
	int	 i, n;

	if (s == NULL)
		return;
	if (!config_setting_is_list(s)) {
		conf_err(l, s, "rules: expected a list ( { ... }, ... )");
		return;
	}
	n = config_setting_length(s);
	if ((c->rules = calloc((size_t)n + 1, sizeof(*c->rules))) == NULL) {
		conf_err(l, s, "out of memory");
		return;
	}
	c->nrules = (size_t)n;
	for (i = 0; i < n; i++)
		conf_read_rule(l, config_setting_get_elem(s, (unsigned)i),
		    &c->rules[i], i);
}

/* Reads a list of strings into a new NULL-terminated array. */
static int
conf_strv(struct loader *l, const config_setting_t *s, const char *what,
    char ***v_r, size_t *n_r)
{
	const char	*e;
	int		 i, n;

	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		conf_err(l, s, "%s: expected a list of strings", what);
		return -1;
	}
	n = config_setting_length(s);
	if ((*v_r = calloc((size_t)n + 1, sizeof(char *))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if ((e = config_setting_get_string_elem(s, i)) == NULL) {
			conf_err(l, s, "%s: expected a list of strings", what);
			return -1;
		}
		if (((*v_r)[i] = strdup(e)) == NULL)
			return -1;
		(*n_r)++;
	}
	return 0;
}

static void
conf_module_actions(struct loader *l, const config_setting_t *s,
    struct module_conf *mc)
{
	char	**v = NULL;
	size_t	 n = 0, i;
	int	 a;

	if (conf_strv(l, s, "module actions", &v, &n) == 0)
		for (i = 0; i < n; i++) {
			a = action_from_name(v[i]);
			if (a <= ACTION_NONE)
				conf_err(l, s, "module %s: unknown action "
				    "\"%s\"", mc->path, v[i]);
			else
				mc->actions |= 1U << a;
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
conf_check_finite(struct loader *l, const config_setting_t *s,
    const char *path)
{
	const config_setting_t	*e;
	int			 i;

	if (config_setting_type(s) == CONFIG_TYPE_FLOAT &&
	    !isfinite(config_setting_get_float(s)))
		conf_err(l, s, "module %s: settings: %s is not a finite number",
		    path, config_setting_name(s) ? config_setting_name(s) :
		    "an element");
	for (i = 0; (e = config_setting_get_elem(s, (unsigned)i)) != NULL;
	    i++)
		conf_check_finite(l, e, path);
}

static void
conf_read_module(struct loader *l, const config_setting_t *g,
    struct module_conf *mc)
{
	const config_setting_t	*s;
	const char		*path;
	int			 i;

	mc->file = config_setting_source_file(g) ?
	    config_setting_source_file(g) : l->path;
	mc->line = (int)config_setting_source_line(g);
	if (!config_setting_is_group(g)) {
		conf_err(l, g, "modules: each module is a group { ... }");
		return;
	}
	if (config_setting_lookup_string(g, "path", &path) != CONFIG_TRUE) {
		conf_err(l, g, "module: needs a path");
		return;
	}
	/* Daemons run from "/", and dlopen searches names without a slash. */
	if (path[0] != '/') {
		conf_err(l, g, "module %s: path must be absolute", path);
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
			(void)conf_strv(l, s, "module headers", &mc->headers,
			    &mc->nheaders);
		else if (strcmp(k, "settings") == 0) {
			if (!config_setting_is_group(s))
				conf_err(l, s, "module %s: settings: expected "
				    "a group { ... }", path);
			conf_check_finite(l, s, path);
			mc->settings = s;
		}
	}
}

static void
conf_read_modules(struct loader *l, struct config *c,
    const config_setting_t *s)
{
	int	 i, n;

	if (s == NULL)
		return;
	if (!config_setting_is_list(s)) {
		conf_err(l, s, "modules: expected a list ( { ... }, ... )");
		return;
	}
	n = config_setting_length(s);
	if ((c->modules = calloc((size_t)n + 1, sizeof(*c->modules))) ==
	    NULL) {
		conf_err(l, s, "out of memory");
		return;
	}
	c->nmodules = (size_t)n;
	for (i = 0; i < n; i++)
		conf_read_module(l, config_setting_get_elem(s, (unsigned)i),
		    &c->modules[i]);
}

/* The scoring settings that depend on each other. */
static void
conf_check_scoring(struct loader *l, struct config *c,
    const config_setting_t *g)
{
	const char	*why;

	if (smtp_parse_reply(c->score_reply, ACTION_REJECT, &c->score_code,
	    &c->score_ecode, &c->score_text, &why) == -1)
		conf_err(l, g, "scoring.reply: %s", why);
	if (rfc5322_check_name(c->score_header, &why) == -1)
		conf_err(l, g, "scoring.header: %s", why);
	if (rfc5322_check_value(c->score_prefix, &why) == -1)
		conf_err(l, g, "scoring.subject_prefix: %s", why);
	if ((c->att_action == ACTION_REJECT ||
	    c->att_action == ACTION_TEMPFAIL) &&
	    smtp_parse_reply(c->att_reply, c->att_action, &c->att_code,
	    &c->att_ecode, &c->att_text, &why) == -1)
		conf_err(l, config_lookup(c->cf, "attachments"),
		    "attachments.reply: %s", why);
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
static struct config *
config_parse(const char *path, const char *text, FILE *errf)
{
	struct loader	 l = { path, errf, 0 };
	config_t	*cf;
	struct config	*c;
	char		 dir[PATH_MAX];
	int		 rc;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->path = strdup(path)) == NULL || conf_defaults(c) == -1 ||
	    (c->cf = calloc(1, sizeof(*c->cf))) == NULL) {
		fprintf(errf, "%s: out of memory\n", path);
		config_free(&c);
		return NULL;
	}
	l.path = c->path;	/* modules keep it as where they came from */
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
		conf_read_group(&l, c, config_root_setting(cf), "");
		conf_read_rules(&l, c, config_lookup(cf, RULES_KEY));
		conf_read_modules(&l, c, config_lookup(cf, MODULES_KEY));
		conf_check_scoring(&l, c, config_lookup(cf, "scoring"));
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
rule_free(struct rule_conf *r)
{
	free(r->name);
	free(r->header);
	free(r->pattern);
	free(r->code);
	free(r->ecode);
	free(r->text);
	free(r->hdr_name);
	free(r->hdr_value);
	free(r->reason);
}

void
config_free(struct config **cp)
{
	struct config	*c = *cp;
	size_t		 i, j;

	if (c == NULL)
		return;
	free(c->path);
	free(c->listen);
	free(c->user);
	free(c->chroot);
	free(c->score_header);
	free(c->score_prefix);
	free(c->score_reply);
	free(c->score_code);
	free(c->score_ecode);
	free(c->score_text);
	conf_strv_free(c->allowed_headers, c->nallowed);
	conf_strv_free(c->att_exts, c->natt_exts);
	conf_strv_free(c->att_types, c->natt_types);
	free(c->att_reply);
	free(c->att_code);
	free(c->att_ecode);
	free(c->att_text);
	for (i = 0; i < c->nrules; i++)
		rule_free(&c->rules[i]);
	free(c->rules);
	for (i = 0; i < c->nmodules; i++) {
		free(c->modules[i].path);
		for (j = 0; j < c->modules[i].nheaders; j++)
			free(c->modules[i].headers[j]);
		free(c->modules[i].headers);
	}
	free(c->modules);
	if (c->cf != NULL) {
		config_destroy(c->cf);
		free(c->cf);
	}
	free(c);
	*cp = NULL;
}

/* Prints a string with libconfig's escapes. */
static void
dump_str(FILE *f, const char *s)
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
static void
dump_double(FILE *f, double d)
{
	char	 num[64];

	snprintf(num, sizeof(num), "%.17g", d);
	fprintf(f, "%s%s", num, strpbrk(num, ".en") ? "" : ".0");
}

static void
dump_key(const struct config *c, const struct conf_key *k, FILE *f)
{
	const char	*name = strrchr(k->path, '.');
	size_t		 i, n;

	name = name ? name + 1 : k->path;
	fprintf(f, "%s%s = ", strchr(k->path, '.') ? "\t" : "", name);
	switch (k->type) {
	case T_STR:
	case T_OSTR:
		dump_str(f, *(char *const *)cfield(c, k));
		break;
	case T_INT:
		fprintf(f, "%d", *(const int *)cfield(c, k));
		break;
	case T_DOUBLE:
		dump_double(f, *(const double *)cfield(c, k));
		break;
	case T_BOOL:
		fputs(*(const int *)cfield(c, k) ? "true" : "false", f);
		break;
	case T_INT64:
		fprintf(f, "%lld", *(const long long *)cfield(c, k));
		break;
	case T_ACTION:
		dump_str(f, action_name(*(const int *)cfield(c, k)));
		break;
	case T_STRLIST:
		n = *(const size_t *)(const void *)((const char *)c + k->noff);
		fputs("[ ", f);
		for (i = 0; i < n; i++) {
			dump_str(f, (*(char *const *const *)cfield(c, k))[i]);
			fputs(i + 1 < n ? ", " : " ", f);
		}
		fputs("]", f);
		break;
	}
	fputs(";\n", f);
}

static void
dump_rule(const struct rule_conf *r, FILE *f)
{
	static const char *const tkeys[RULE_TARGET_MAX] = {
		[RULE_HEADER] = "header", [RULE_ANY_HEADER] = "any_header",
		[RULE_BODY] = "body", [RULE_RAW_BODY] = "raw_body",
		[RULE_SENDER] = "sender", [RULE_RECIPIENT] = "recipient",
		[RULE_HELO] = "helo", [RULE_CLIENT_NAME] = "client_name",
		[RULE_CLIENT_ADDR] = "client_addr",
		[RULE_CLIENT_CIDR] = "client_cidr",
	};
	char	 line[VERDICT_HDR_VALUE_MAX + VERDICT_HDR_NAME_MAX + 8];

	fputs("\t{ name = ", f);
	dump_str(f, r->name);
	fprintf(f, "; %s = ", tkeys[r->target]);
	dump_str(f, r->target == RULE_HEADER ? r->header : r->pattern);
	if (r->target == RULE_HEADER) {
		fputs("; pattern = ", f);
		dump_str(f, r->pattern);
	}
	if (r->negate)
		fputs("; negate = true", f);
	if (r->score != 0) {
		fputs("; score = ", f);
		dump_double(f, r->score);
	}
	fputs("; action = ", f);
	dump_str(f, r->action == RULE_ADD_HEADER ? "add-header" :
	    r->action == RULE_SCORE ? "score" : action_name(r->action));
	if (r->code != NULL) {
		snprintf(line, sizeof(line), "%s%s%s%s%s", r->code,
		    r->ecode ? " " : "", r->ecode ? r->ecode : "",
		    r->text ? " " : "", r->text ? r->text : "");
		fputs("; reply = ", f);
		dump_str(f, line);
	}
	if (r->hdr_name != NULL) {
		snprintf(line, sizeof(line), "%s: %s", r->hdr_name,
		    r->hdr_value);
		fputs("; add_header = ", f);
		dump_str(f, line);
	}
	if (r->reason != NULL) {
		fputs("; reason = ", f);
		dump_str(f, r->reason);
	}
	fputs("; }", f);
}

/* Prints any setting -- a module's settings are the module's business. */
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
		dump_str(f, config_setting_get_string(s));
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
	dump_str(f, m->path);
	fputs("; actions = [ ", f);
	for (a = ACTION_NONE + 1; a < ACTION_MAX; a++) {
		if (!(m->actions & (1U << a)))
			continue;
		fputs(first ? "" : ", ", f);
		dump_str(f, action_name(a));
		first = 0;
	}
	fputs(" ]; headers = [ ", f);
	for (i = 0; i < m->nheaders; i++) {
		fputs(i ? ", " : "", f);
		dump_str(f, m->headers[i]);
	}
	fputs(" ];", f);
	if (m->settings != NULL) {
		fputs(" ", f);
		dump_setting(m->settings, f, 0);
		fputs(";", f);
	}
	fputs(" }", f);
}

void
config_dump(const struct config *c, FILE *f)
{
	const char	*group = "";
	size_t		 i, glen;

	for (i = 0; i < NITEMS(conf_keys); i++) {
		glen = strcspn(conf_keys[i].path, ".");
		if (conf_keys[i].path[glen] == '.' &&
		    strncmp(group, conf_keys[i].path, glen + 1) != 0) {
			if (*group != '\0')
				fputs("};\n", f);
			fprintf(f, "%.*s = {\n", (int)glen, conf_keys[i].path);
			group = conf_keys[i].path;
		} else if (conf_keys[i].path[glen] != '.' && *group != '\0') {
			fputs("};\n", f);
			group = "";
		}
		dump_key(c, &conf_keys[i], f);
	}
	if (*group != '\0')
		fputs("};\n", f);
	fputs("rules = (\n", f);
	for (i = 0; i < c->nrules; i++) {
		dump_rule(&c->rules[i], f);
		fputs(i + 1 < c->nrules ? ",\n" : "\n", f);
	}
	fputs(");\n", f);
	fputs("modules = (\n", f);
	for (i = 0; i < c->nmodules; i++) {
		dump_module(&c->modules[i], f);
		fputs(i + 1 < c->nmodules ? ",\n" : "\n", f);
	}
	fputs(");\n", f);
}
