/*
 * cond: conditions as the configuration writes them -- the list
 * "conditions" and the test of each rule -- read, checked across the
 * lists, conditions and rules, and dumped.  Runs wherever a configuration
 * is loaded (the configuration checker, the parent, the supervisor, the
 * spawner, filterd -t); pure but for the errors it reports.  The file is
 * the administrator's, but every value is still checked.
 *
 *	conditions = (
 *	  { name = "outside"; sender_in = "our-domains"; negate = true; },
 *	  { name = "invoice"; header = "Subject"; pattern = "(?i)invoice"; }
 *	);
 *	rules = (
 *	  { name = "fake-invoice"; all = [ "outside", "invoice" ];
 *	    action = "reject"; }
 *	);
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filterd/lib/config.h"
#include "filterd/lib/smtp.h"
#include "filterd/lib/verdict.h"
#include "filters/attach.h"
#include "filters/lists.h"
#include "filters/rules.h"
#include "filters/filter.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* How a key reads its value. */
#define K_PATTERN	1	/* a PCRE2 pattern */
#define K_HEADER	2	/* a header's name; "pattern" goes with it */
#define K_CIDR		3	/* an address block */
#define K_NUM		4	/* a comparison: "> 10M" */
#define K_LIST		5	/* a list's name */
#define K_FLAG		6	/* archive = "encrypted" */
#define K_BOOL		7	/* attachment_policy = true */

static const struct cond_key {
	const char	*key;
	int		 target;
	int		 kind;
	int		 multi;		/* several values: scope applies */
} cond_targets[] = {
	{ "header", RULE_HEADER, K_HEADER, 1 },
	{ "any_header", RULE_ANY_HEADER, K_PATTERN, 1 },
	{ "body", RULE_BODY, K_PATTERN, 0 },
	{ "raw_body", RULE_RAW_BODY, K_PATTERN, 0 },
	{ "sender", RULE_SENDER, K_PATTERN, 0 },
	{ "recipient", RULE_RECIPIENT, K_PATTERN, 1 },
	{ "helo", RULE_HELO, K_PATTERN, 0 },
	{ "client_name", RULE_CLIENT_NAME, K_PATTERN, 0 },
	{ "client_addr", RULE_CLIENT_ADDR, K_PATTERN, 0 },
	{ "client_cidr", RULE_CLIENT_CIDR, K_CIDR, 0 },
	{ "text", RULE_TEXT, K_PATTERN, 0 },
	{ "url", RULE_URL, K_PATTERN, 1 },
	{ "url_host", RULE_URL_HOST, K_PATTERN, 1 },
	{ "auth_user", RULE_AUTH_USER, K_PATTERN, 0 },
	{ "size", RULE_SIZE, K_NUM, 0 },
	{ "rcpt_count", RULE_RCPT_COUNT, K_NUM, 0 },
	{ "header_count", RULE_HEADER_COUNT, K_NUM, 0 },
	{ "attachment_name", RULE_ATTACHMENT_NAME, K_PATTERN, 1 },
	{ "attachment_type", RULE_ATTACHMENT_TYPE, K_PATTERN, 1 },
	{ "archive_entry", RULE_ARCHIVE_ENTRY, K_PATTERN, 1 },
	{ "archive", RULE_ARCHIVE, K_FLAG, 0 },
	{ "attachment_policy", RULE_ATTACHMENT_POLICY, K_BOOL, 0 },
	{ "sender_in", RULE_SENDER, K_LIST, 0 },
	{ "recipient_in", RULE_RECIPIENT, K_LIST, 1 },
	{ "helo_in", RULE_HELO, K_LIST, 0 },
	{ "client_name_in", RULE_CLIENT_NAME, K_LIST, 0 },
	{ "client_addr_in", RULE_CLIENT_ADDR, K_LIST, 0 },
	{ "url_host_in", RULE_URL_HOST, K_LIST, 1 },
	{ "auth_user_in", RULE_AUTH_USER, K_LIST, 0 },
};

static const struct {
	const char	*key;
	int		 combo;
} cond_combos[] = {
	{ "condition", COND_REF }, { "all", COND_ALL }, { "any", COND_ANY },
	{ "not", COND_NOT },
};

static const struct {
	const char	*name;
	int		 flag;
} cond_flags[] = {
	{ "encrypted", FILTER_ARCHIVE_ENCRYPTED },
	{ "unreadable", FILTER_ARCHIVE_UNREADABLE },
	{ "over_limit", FILTER_ARCHIVE_OVER_LIMIT },
};

static const char *const cond_ops[] = {
	[COND_OP_GT] = ">", [COND_OP_GE] = ">=", [COND_OP_LT] = "<",
	[COND_OP_LE] = "<=", [COND_OP_EQ] = "==", [COND_OP_NE] = "!=",
};

const char *const cond_keys[] = { COND_KEY_NAMES };
static const char *const cond_group_keys[] = { "name", COND_KEY_NAMES };
const size_t cond_nkeys = NITEMS(cond_keys);

static const struct cond_key *
cond_key_of(const struct cond_conf *c)
{
	size_t	 i;

	for (i = 0; i < NITEMS(cond_targets); i++)
		if (cond_targets[i].target == c->target &&
		    (cond_targets[i].kind == K_LIST) == (c->list_name != NULL))
			return &cond_targets[i];
	return NULL;
}

/* "name", or "rule x" for a rule's own condition, for errors. */
static const char *
cond_str(struct conf_loader *l, const config_setting_t *g, const char *key,
    const char *owner)
{
	const config_setting_t	*s;
	const char		*v;

	if ((s = config_setting_get_member(g, key)) == NULL)
		return NULL;
	if ((v = config_setting_get_string(s)) == NULL) {
		conf_error(l, s, "%s: %s: expected a string", owner, key);
		return NULL;
	}
	return v;
}

/* Parses "192.0.2.0/24" or "2001:db8::/32" (no prefix: one address). */
static int
cond_cidr(struct cond_conf *c, const char *s)
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
	if (inet_pton(AF_INET, addr, c->cidr_addr) == 1) {
		c->cidr_family = AF_INET;
		c->cidr_bits = 32;
	} else if (inet_pton(AF_INET6, addr, c->cidr_addr) == 1) {
		c->cidr_family = AF_INET6;
		c->cidr_bits = 128;
	} else
		return -1;
	if (slash != NULL) {
		bits = strtol(slash + 1, &end, 10);
		if (end == slash + 1 || *end != '\0' || bits < 0 ||
		    bits > c->cidr_bits)
			return -1;
		c->cidr_bits = (int)bits;
	}
	return 0;
}

/*
 * A comparison: an operator (> >= < <= == !=, or = for ==), a decimal
 * number of at most 18 digits, and for a size a unit K, M or G (of 1024).
 */
static int
cond_num(struct cond_conf *c, const char *s)
{
	long long	 n = 0, mul = 1;
	size_t		 i, digits = 0;

	while (*s == ' ')
		s++;
	c->op = 0;
	for (i = NITEMS(cond_ops) - 1; i > 0; i--)
		if (strncmp(s, cond_ops[i], strlen(cond_ops[i])) == 0 &&
		    (c->op == 0 || strlen(cond_ops[i]) >
		    strlen(cond_ops[c->op])))
			c->op = (int)i;
	if (c->op == 0 && *s == '=')
		c->op = COND_OP_EQ;
	if (c->op == 0)
		return -1;
	s += *s == '=' && s[1] != '=' ? 1 : strlen(cond_ops[c->op]);
	while (*s == ' ')
		s++;
	for (; *s >= '0' && *s <= '9' && digits < 18; s++, digits++)
		n = n * 10 + (*s - '0');
	if (digits == 0 || (*s >= '0' && *s <= '9'))
		return -1;
	if (c->target == RULE_SIZE && *s != '\0') {
		mul = *s == 'K' || *s == 'k' ? 1024 : *s == 'M' ? 1024 * 1024 :
		    *s == 'G' ? 1024LL * 1024 * 1024 : 0;
		if (mul == 0 || n > (1LL << 40))
			return -1;
		s++;
	}
	if (*s != '\0')
		return -1;
	c->num = n * mul;
	return 0;
}

/* A string, or an array or list of strings, into a new vector. */
static int
cond_names(struct conf_loader *l, const config_setting_t *s,
    const char *owner, char ***v_r, size_t *n_r)
{
	const config_setting_t	*e;
	const char		*v;
	size_t			 n, i;

	n = config_setting_type(s) == CONFIG_TYPE_STRING ? 1 :
	    (size_t)config_setting_length(s);
	if (config_setting_type(s) != CONFIG_TYPE_STRING &&
	    !config_setting_is_array(s) && !config_setting_is_list(s)) {
		conf_error(l, s, "%s: %s: expected a condition's name or "
		    "[ \"name\", ... ]", owner, config_setting_name(s));
		return -1;
	}
	if (n == 0) {
		conf_error(l, s, "%s: %s: names no condition", owner,
		    config_setting_name(s));
		return -1;
	}
	if ((*v_r = calloc(n + 1, sizeof(**v_r))) == NULL)
		return -1;
	*n_r = n;
	for (i = 0; i < n; i++) {
		e = config_setting_type(s) == CONFIG_TYPE_STRING ? s :
		    config_setting_get_elem(s, (unsigned)i);
		if ((v = config_setting_get_string(e)) == NULL || *v == '\0') {
			conf_error(l, e, "%s: %s: expected condition names",
			    owner, config_setting_name(s));
			return -1;
		}
		if (((*v_r)[i] = strdup(v)) == NULL)
			return -1;
	}
	return 0;
}

/* The value of a test's key, as its kind reads it. */
static int
cond_value(struct conf_loader *l, const config_setting_t *g,
    const config_setting_t *s, const struct cond_key *k, struct cond_conf *c,
    const char *owner)
{
	const char	*v;
	size_t		 i;

	if (k->kind == K_BOOL) {
		if (config_setting_type(s) != CONFIG_TYPE_BOOL ||
		    !config_setting_get_bool(s)) {
			conf_error(l, s, "%s: %s: the only value is true",
			    owner, k->key);
			return -1;
		}
		return 0;
	}
	if ((v = config_setting_get_string(s)) == NULL || *v == '\0') {
		conf_error(l, s, "%s: %s: expected a string", owner, k->key);
		return -1;
	}
	switch (k->kind) {
	case K_HEADER:
		if ((c->header = strdup(v)) == NULL)
			return -1;
		break;
	case K_LIST:
		if ((c->list_name = strdup(v)) == NULL)
			return -1;
		break;
	case K_NUM:
		if (cond_num(c, v) == -1) {
			conf_error(l, s, "%s: %s: \"%s\" is not a comparison "
			    "such as \"> 10\"%s", owner, k->key, v,
			    c->target == RULE_SIZE ? " or \">= 5M\"" : "");
			return -1;
		}
		break;
	case K_FLAG:
		for (i = 0; i < NITEMS(cond_flags); i++)
			if (strcmp(v, cond_flags[i].name) == 0)
				c->flag = cond_flags[i].flag;
		if (c->flag == 0) {
			conf_error(l, s, "%s: archive: \"%s\" is not one of "
			    "encrypted, unreadable, over_limit", owner, v);
			return -1;
		}
		break;
	case K_CIDR:
		if (cond_cidr(c, v) == -1) {
			conf_error(l, g, "%s: client_cidr: \"%s\" is not an "
			    "address or address/prefix", owner, v);
			return -1;
		}
		/* FALLTHROUGH */
	default:
		if ((c->pattern = strdup(v)) == NULL)
			return -1;
	}
	return 0;
}

/* Exactly one test or combination. */
static int
cond_what(struct conf_loader *l, const config_setting_t *g,
    struct cond_conf *c, const char *owner)
{
	const config_setting_t	*s, *which = NULL;
	const struct cond_key	*k = NULL;
	size_t			 i;
	int			 n = 0;

	for (i = 0; i < NITEMS(cond_targets); i++)
		if ((s = config_setting_get_member(g,
		    cond_targets[i].key)) != NULL && n++ == 0) {
			k = &cond_targets[i];
			which = s;
		}
	for (i = 0; i < NITEMS(cond_combos); i++)
		if ((s = config_setting_get_member(g,
		    cond_combos[i].key)) != NULL && n++ == 0) {
			c->combo = cond_combos[i].combo;
			which = s;
		}
	if (n != 1) {
		conf_error(l, g, "%s: needs exactly one of header, any_header, "
		    "body, raw_body, sender, recipient, helo, client_name, "
		    "client_addr, client_cidr, text, url, url_host, auth_user, "
		    "size, rcpt_count, header_count, attachment_name, "
		    "attachment_type, archive_entry, archive, "
		    "attachment_policy, a list's <target>_in, or condition, "
		    "all, any, not", owner);
		return -1;
	}
	if (c->combo != COND_TEST) {
		if (cond_names(l, which, owner, &c->refs, &c->nrefs) == -1)
			return -1;
		if (c->combo != COND_ALL && c->combo != COND_ANY &&
		    c->nrefs != 1) {
			conf_error(l, which, "%s: %s takes one condition",
			    owner, config_setting_name(which));
			return -1;
		}
		return 0;
	}
	c->target = k->target;
	return cond_value(l, g, which, k, c, owner);
}

/* pattern goes with header; scope with a test of several values. */
static int
cond_extras(struct conf_loader *l, const config_setting_t *g,
    struct cond_conf *c, const char *owner)
{
	const config_setting_t	*s;
	const struct cond_key	*k = cond_key_of(c);
	const char		*v;

	v = cond_str(l, g, "pattern", owner);
	if ((c->target == RULE_HEADER && c->list_name == NULL) !=
	    (v != NULL)) {
		conf_error(l, g, "%s: pattern goes with header, and header "
		    "needs one", owner);
		return -1;
	}
	if (v != NULL && (c->pattern = strdup(v)) == NULL)
		return -1;
	if ((s = config_setting_get_member(g, "negate")) != NULL) {
		if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
			conf_error(l, s, "%s: negate: expected true or false",
			    owner);
			return -1;
		}
		c->negate = config_setting_get_bool(s);
	}
	if ((v = cond_str(l, g, "scope", owner)) != NULL) {
		if (strcmp(v, "all") != 0 && strcmp(v, "any") != 0) {
			conf_error(l, g, "%s: scope: \"%s\" is not any or all",
			    owner, v);
			return -1;
		}
		if (k == NULL || !k->multi) {
			conf_error(l, g, "%s: scope goes with a test of several "
			    "values (recipients, headers, URLs, attachments, "
			    "archive entries)", owner);
			return -1;
		}
		c->scope_all = strcmp(v, "all") == 0;
	}
	if ((s = config_setting_get_member(g, "unless")) != NULL &&
	    cond_names(l, s, owner, &c->unless, &c->nunless) == -1)
		return -1;
	return 0;
}

int
cond_read(struct conf_loader *l, const config_setting_t *g,
    struct cond_conf *c, const char *owner)
{
	c->where = g;
	c->line = (int)config_setting_source_line(g);
	if (cond_what(l, g, c, owner) == -1)
		return -1;
	return cond_extras(l, g, c, owner);
}

static void
cond_strv_free(char **v, size_t n)
{
	size_t	 i;

	for (i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
}

void
cond_free(struct cond_conf *c)
{
	free(c->name);
	free(c->header);
	free(c->pattern);
	free(c->list_name);
	cond_strv_free(c->refs, c->nrefs);
	free(c->ref_idx);
	cond_strv_free(c->unless, c->nunless);
	free(c->unless_idx);
}

static void
cond_dump_names(FILE *f, const char *key, char *const *v, size_t n)
{
	size_t	 i;

	fprintf(f, "; %s = [", key);
	for (i = 0; i < n; i++) {
		fputs(i ? ", " : " ", f);
		conf_dump_str(f, v[i]);
	}
	fputs(" ]", f);
}

/* The keys of the condition, each after "; ", as cond_read reads them. */
void
cond_dump(const struct cond_conf *c, FILE *f)
{
	const struct cond_key	*k;
	size_t			 i;

	if (c->combo != COND_TEST) {
		for (i = 0; i < NITEMS(cond_combos); i++)
			if (cond_combos[i].combo == c->combo)
				cond_dump_names(f, cond_combos[i].key, c->refs,
				    c->nrefs);
	} else if ((k = cond_key_of(c)) != NULL) {
		fprintf(f, "; %s = ", k->key);
		switch (k->kind) {
		case K_HEADER:
			conf_dump_str(f, c->header);
			break;
		case K_LIST:
			conf_dump_str(f, c->list_name);
			break;
		case K_NUM:
			fprintf(f, "\"%s %lld\"", cond_ops[c->op], c->num);
			break;
		case K_BOOL:
			fputs("true", f);
			break;
		case K_FLAG:
			for (i = 0; i < NITEMS(cond_flags); i++)
				if (cond_flags[i].flag == c->flag)
					fprintf(f, "\"%s\"", cond_flags[i].name);
			break;
		default:
			conf_dump_str(f, c->pattern);
		}
		if (k->kind == K_HEADER) {
			fputs("; pattern = ", f);
			conf_dump_str(f, c->pattern);
		}
	}
	if (c->negate)
		fputs("; negate = true", f);
	if (c->scope_all)
		fputs("; scope = \"all\"", f);
	if (c->nunless > 0)
		cond_dump_names(f, "unless", c->unless, c->nunless);
}

/*
 * The list "conditions": each a group with a name and the keys of
 * cond_read.  Names are unique; a rule refers to them.
 */

static int
cond_name_ok(const char *s)
{
	return *s != '\0' && strlen(s) <= VERDICT_RULE_NAME_MAX &&
	    smtp_printable(s);
}

static void
conds_read_one(struct conf_loader *l, const config_setting_t *g,
    struct conds_conf *cc, struct cond_conf *c)
{
	const char	*name;
	char		 owner[VERDICT_RULE_NAME_MAX + 16];
	size_t		 i;

	c->where = g;
	c->line = (int)config_setting_source_line(g);
	if (!config_setting_is_group(g)) {
		conf_error(l, g, "conditions: each condition is a group "
		    "{ ... }");
		return;
	}
	if ((name = cond_str(l, g, "name", "condition")) == NULL ||
	    !cond_name_ok(name)) {
		conf_error(l, g, "conditions: each condition needs a name, 1 "
		    "to %d printable ASCII characters", VERDICT_RULE_NAME_MAX);
		return;
	}
	for (i = 0; i < cc->n; i++)
		if (cc->v[i].name != NULL && strcmp(cc->v[i].name, name) == 0) {
			conf_error(l, g, "condition %s: defined twice (also at "
			    "line %d)", name, cc->v[i].line);
			return;
		}
	if ((c->name = strdup(name)) == NULL)
		return;
	snprintf(owner, sizeof(owner), "condition %s", name);
	if (conf_check_members(l, g, "condition", name, cond_group_keys,
	    NITEMS(cond_group_keys)) > 0)
		return;
	(void)cond_read(l, g, c, owner);
}

static void
conds_conf_read(struct conf_loader *l, const config_setting_t *s,
    void *settings)
{
	struct conds_conf	*cc = settings;
	int			 i, n;

	if (!config_setting_is_list(s)) {
		conf_error(l, s, "conditions: expected a list ( { ... }, ... )");
		return;
	}
	n = config_setting_length(s);
	if ((cc->v = calloc((size_t)n + 1, sizeof(*cc->v))) == NULL) {
		conf_error(l, s, "out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		conds_read_one(l, config_setting_get_elem(s, (unsigned)i), cc,
		    &cc->v[i]);
		cc->n++;
	}
}

static void
conds_conf_free(void *settings)
{
	struct conds_conf	*cc = settings;
	size_t			 i;

	for (i = 0; i < cc->n; i++)
		cond_free(&cc->v[i]);
	free(cc->v);
}

static void
conds_conf_dump(const void *settings, FILE *f)
{
	const struct conds_conf	*cc = settings;
	size_t			 i;

	if (cc->n == 0)
		return;
	fputs("conditions = (\n", f);
	for (i = 0; i < cc->n; i++) {
		fputs("\t{ name = ", f);
		conf_dump_str(f, cc->v[i].name);
		cond_dump(&cc->v[i], f);
		fputs("; }", f);
		fputs(i + 1 < cc->n ? ",\n" : "\n", f);
	}
	fputs(");\n", f);
}

const struct conf_module conditions_settings = {
	.name = "conditions",
	.size = sizeof(struct conds_conf),
	.read = conds_conf_read,
	.dump = conds_conf_dump,
	.free = conds_conf_free,
};

/* The checks across lists, conditions and rules */

struct cond_check {
	struct conf_loader	*l;
	struct conds_conf	*cc;
	const struct lists_conf	*lc;
	int			 policy;	/* attachment_policy used */
	int			 bad;		/* a name not found */
};

/* Which lists a target takes, and how it reads a value. */
static int
cond_list_fits(int target, int type)
{
	if (target == RULE_CLIENT_ADDR)
		return type == LIST_NETWORK;
	if (target == RULE_SENDER || target == RULE_RECIPIENT ||
	    target == RULE_AUTH_USER)
		return type == LIST_ADDRESS || type == LIST_DOMAIN;
	return type == LIST_DOMAIN;	/* helo, client_name, url_host */
}

static int
cond_resolve_names(struct cond_check *k, const struct cond_conf *c,
    char *const *names, size_t n, size_t **idx_r, const char *owner)
{
	size_t	 i, j;

	if (n == 0)
		return 0;
	if ((*idx_r = calloc(n, sizeof(**idx_r))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		for (j = 0; j < k->cc->n; j++)
			if (k->cc->v[j].name != NULL &&
			    strcmp(k->cc->v[j].name, names[i]) == 0)
				break;
		if (j == k->cc->n) {
			conf_error(k->l, c->where, "%s: unknown condition "
			    "\"%s\"", owner, names[i]);
			free(*idx_r);
			*idx_r = NULL;
			k->bad = 1;
			return -1;
		}
		(*idx_r)[i] = j;
	}
	return 0;
}

/* Resolves the condition's list and the conditions it names. */
static void
cond_resolve(struct cond_check *k, struct cond_conf *c, const char *owner)
{
	struct list	*li;

	if (c->target == RULE_ATTACHMENT_POLICY)
		k->policy = 1;
	if (c->list_name != NULL) {
		if ((li = lists_find(k->lc, c->list_name)) == NULL)
			conf_error(k->l, c->where, "%s: unknown list \"%s\"",
			    owner, c->list_name);
		else if (!cond_list_fits(c->target, li->type))
			conf_error(k->l, c->where, "%s: list %s is a %s list, "
			    "which this test cannot use", owner, li->name,
			    list_type_name(li->type));
		else {
			li->used = 1;
			c->list = li;
		}
	}
	(void)cond_resolve_names(k, c, c->refs, c->nrefs, &c->ref_idx, owner);
	(void)cond_resolve_names(k, c, c->unless, c->nunless, &c->unless_idx,
	    owner);
}

/* Marks what c uses; a condition met again on the way is a cycle. */
static int
cond_walk(struct cond_check *k, size_t i, uint8_t *state)
{
	struct cond_conf	*c = &k->cc->v[i];
	size_t			 j;

	if (state[i] == 2)
		return 0;
	if (state[i] == 1) {
		conf_error(k->l, c->where, "condition %s: is part of a cycle "
		    "(it uses itself through the conditions it names)",
		    c->name);
		return -1;
	}
	state[i] = 1;
	for (j = 0; c->ref_idx != NULL && j < c->nrefs; j++)
		if (cond_walk(k, c->ref_idx[j], state) == -1)
			return -1;
	for (j = 0; c->unless_idx != NULL && j < c->nunless; j++)
		if (cond_walk(k, c->unless_idx[j], state) == -1)
			return -1;
	state[i] = 2;
	return 0;
}

/* Marks what a rule uses, through the conditions it names. */
static void
cond_mark(struct cond_check *k, const struct cond_conf *c)
{
	struct cond_conf	*u;
	size_t			 j;

	for (j = 0; c->ref_idx != NULL && j < c->nrefs; j++) {
		u = &k->cc->v[c->ref_idx[j]];
		if (!u->used) {
			u->used = 1;
			cond_mark(k, u);
		}
	}
	for (j = 0; c->unless_idx != NULL && j < c->nunless; j++) {
		u = &k->cc->v[c->unless_idx[j]];
		if (!u->used) {
			u->used = 1;
			cond_mark(k, u);
		}
	}
}

static void
cond_check_unused(struct cond_check *k)
{
	size_t	 i;

	for (i = 0; i < k->cc->n; i++)
		if (k->cc->v[i].name != NULL && !k->cc->v[i].used)
			conf_error(k->l, k->cc->v[i].where, "condition %s: "
			    "no rule uses it", k->cc->v[i].name);
	for (i = 0; i < k->lc->n; i++)
		if (k->lc->v[i].name != NULL && !k->lc->v[i].used)
			conf_error(k->l, k->lc->v[i].where, "list %s: no "
			    "condition uses it", k->lc->v[i].name);
}

void
cond_check_all(struct conf_loader *l, struct rules_conf *rs)
{
	struct cond_check		 k = { l, NULL, NULL, 0, 0 };
	const struct attach_conf	*ac;
	char				 owner[VERDICT_RULE_NAME_MAX + 16];
	uint8_t				*state;
	size_t				 i;
	int				 cycle = 0;

	k.cc = (struct conds_conf *)(uintptr_t)conf_loader_settings(l,
	    &conditions_settings);
	k.lc = conf_loader_settings(l, &lists_settings);
	ac = conf_loader_settings(l, &attach_settings);
	if (k.cc == NULL || k.lc == NULL || ac == NULL)
		return;
	for (i = 0; i < k.cc->n; i++)
		if (k.cc->v[i].name != NULL) {
			snprintf(owner, sizeof(owner), "condition %s",
			    k.cc->v[i].name);
			cond_resolve(&k, &k.cc->v[i], owner);
		}
	for (i = 0; i < rs->nrules; i++)
		if (rs->rules[i].name != NULL) {
			snprintf(owner, sizeof(owner), "rule %s",
			    rs->rules[i].name);
			cond_resolve(&k, &rs->rules[i].cond, owner);
		}
	if ((state = calloc(k.cc->n + 1, 1)) == NULL) {
		conf_error(l, NULL, "out of memory");
		return;
	}
	for (i = 0; i < k.cc->n; i++)
		if (state[i] == 0 && k.cc->v[i].name != NULL &&
		    cond_walk(&k, i, state) == -1)
			cycle = 1;
	free(state);
	if (cycle || k.bad)
		return;	/* marking what rules use might not end */
	for (i = 0; i < rs->nrules; i++)
		cond_mark(&k, &rs->rules[i].cond);
	cond_check_unused(&k);
	if (ac->in_rules && !k.policy)
		conf_error(l, NULL, "attachments.in_rules is true, but no rule "
		    "or condition uses attachment_policy: the attachment "
		    "policy would never be applied");
}
