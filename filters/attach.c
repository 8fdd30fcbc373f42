/*
 * attach: the built-in attachment policy.  Runs in the worker over the
 * MIME structure that mime.c parsed from the hostile message; trusts the
 * configuration.  A part is blocked by its file name's extension, by a
 * double extension that ends in an executable one (invoice.pdf.exe), or
 * by its content type ("type/subtype", or "type/" and a star).  With
 * attachments.archives, the names inside archive attachments are held to
 * the same extension checks (filters/archwalk.h reads them): an archive
 * it cannot read gets the policy's action, one past a limits.archive_*
 * bound gets limits.oversize, as an oversize message does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "filterd/lib/config.h"
#include "filterd/lib/smtp.h"
#include "filters/attach.h"
#include "filters/filter_impl.h"
#include "filters/limits.h"
#include "filters/mime.h"

#define A(x)	(1U << ACTION_##x)
#define OFF(f)	offsetof(struct attach_conf, f)

/* The group "attachments". */
static const struct conf_key attach_keys[] = {
	{ "attachments.extensions", T_STRLIST, OFF(exts), "", 0, 0, 0,
	    OFF(nexts) },
	{ "attachments.types", T_STRLIST, OFF(types), "", 0, 0, 0,
	    OFF(ntypes) },
	{ "attachments.double_extensions", T_BOOL, OFF(dbl), "false",
	    0, 1, 0, 0 },
	{ "attachments.archives", T_BOOL, OFF(archives), "true", 0, 1, 0, 0 },
	{ "attachments.archive_encrypted", T_BOOL, OFF(encrypted), "false",
	    0, 1, 0, 0 },
	{ "attachments.action", T_ACTION, OFF(action), "reject", 0, 0,
	    A(REJECT) | A(TEMPFAIL) | A(DISCARD) | A(QUARANTINE), 0 },
	{ "attachments.reply", T_STR, OFF(reply),
	    "550 5.7.1 Attachment type not allowed", 0, 0, 0, 0 },
	{ "attachments.in_rules", T_BOOL, OFF(in_rules), "false", 0, 1, 0,
	    0 },
};

/* The state of one configuration's policy. */
struct attach_state {
	const struct attach_conf	*ac;
	const struct config		*c;	/* limits.oversize */
};

/* Whether archives are to be opened: only when something is checked. */
static int
attach_archives(const struct attach_conf *ac)
{
	return ac->archives && (ac->nexts > 0 || ac->dbl || ac->encrypted);
}

/* The reply goes with the action, when the action takes one. */
static void
attach_conf_check(struct conf_loader *l, const config_setting_t *g,
    void *settings)
{
	struct attach_conf	*ac = settings;
	const char		*why;

	if ((ac->action == ACTION_REJECT || ac->action == ACTION_TEMPFAIL) &&
	    smtp_parse_reply(ac->reply, ac->action, &ac->code, &ac->ecode,
	    &ac->text, &why) == -1)
		conf_error(l, g, "attachments.reply: %s", why);
}

/* Something to block lets the module take its action. */
static int
attach_conf_declare(const struct config *c, const void *settings,
    struct conf_policy *p)
{
	const struct attach_conf	*ac = settings;

	/* In the rules, a rule's action applies instead. */
	if ((ac->nexts > 0 || ac->ntypes > 0 || ac->dbl || ac->encrypted) &&
	    !ac->in_rules)
		p->actions |= 1U << ac->action;
	/* An archive past a bound gets limits.oversize. */
	if (attach_archives(ac) && c->oversize != ACTION_ACCEPT)
		p->actions |= 1U << c->oversize;
	return 0;
}

static void
attach_conf_free(void *settings)
{
	struct attach_conf	*ac = settings;

	free(ac->code);
	free(ac->ecode);
	free(ac->text);
}

const struct conf_module attach_settings = {
	.name = "attachments",
	.keys = attach_keys,
	.nkeys = sizeof(attach_keys) / sizeof(attach_keys[0]),
	.size = sizeof(struct attach_conf),
	.check = attach_conf_check,
	.declare = attach_conf_declare,
	.free = attach_conf_free,
};

int
attach_init(const struct config *c, unsigned flags, void **state_r, char *err,
    size_t errlen)
{
	struct attach_state	*st;

	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	st->ac = config_settings(c, &attach_settings);
	st->c = c;
	*state_r = st;
	return 0;
}

static int
in_list(char *const *v, size_t n, const char *s)
{
	size_t	 i, len;

	for (i = 0; i < n; i++) {
		len = strlen(v[i]);
		if (len > 1 && strcmp(v[i] + len - 2, "/*") == 0) {
			if (strncasecmp(v[i], s, len - 1) == 0)
				return 1;
		} else if (strcasecmp(v[i], s) == 0)
			return 1;
	}
	return 0;
}

/* Returns why the part is blocked, or NULL. */
static const char *
attach_blocked(const struct attach_conf *c, const struct mime_part *p)
{
	const char	*name = mime_part_filename(p);
	const char	*ext = mime_part_ext(p);

	if (mime_part_is_container(p))
		return NULL;
	if (ext != NULL && *ext != '\0' &&
	    in_list(c->exts, c->nexts, ext))
		return "extension";
	if (c->dbl && name != NULL && mime_double_ext(name))
		return "double extension";
	if (in_list(c->types, c->ntypes, mime_part_type(p)))
		return "content type";
	return NULL;
}

/* The policy's action, after a log line that says why. */
static int
attach_act(const struct attach_conf *c, struct filter_result *fr,
    const char *line)
{
	struct verdict	*v = fr->v;

	(void)filter_log(fr, "%s", line);
	(void)verdict_add_rule(v, "attachments");
	v->action = (uint8_t)c->action;
	if (c->action == ACTION_QUARANTINE)
		return verdict_set_reason(v, "attachment policy");
	if (c->code != NULL)
		return verdict_set_reply(v, c->code, c->ecode, c->text);
	return 0;
}

/* limits.oversize, as the limits module gives an oversize message. */
static int
attach_oversize(const struct config *c, struct filter_result *fr)
{
	struct verdict	*v = fr->v;
	const char	*text = "Attachment exceeds a limit: an archive too "
			    "large, too deep or with too many entries";

	(void)filter_log(fr, "archive past a limits.archive_* bound");
	(void)verdict_add_rule(v, "attachments");
	return limits_oversize(c, v, text);
}

/* Returns why an archive entry is blocked, or NULL. */
static const char *
attach_entry_blocked(const struct attach_conf *c, const char *name)
{
	const char	*base = strrchr(name, '/');
	char		 ext[MIME_EXT_MAX];

	base = base != NULL ? base + 1 : name;
	if (*mime_ext(base, ext, sizeof(ext)) != '\0' &&
	    in_list(c->exts, c->nexts, ext))
		return "extension";
	if (c->dbl && mime_double_ext(base))
		return "double extension";
	return NULL;
}

/*
 * The names inside archives; then what could not be seen.  The view is
 * made here, the first time anything asks for it.
 */
static int
attach_check_archives(const struct attach_state *st,
    const struct filter_msg *fm, struct filter_result *fr)
{
	const struct attach_conf	*c = st->ac;
	const char			*name, *why;
	char				 line[VERDICT_LOG_MAX];
	size_t				 i, n;
	int				 flags;

	n = filter_msg_archive_entry_count(fm);
	for (i = 0; i < n; i++) {
		name = filter_msg_archive_entry_name(fm, i);
		if ((why = attach_entry_blocked(c, name)) == NULL)
			continue;
		snprintf(line, sizeof(line), "archive entry \"%.150s\" "
		    "blocked by %s", name, why);
		return attach_act(c, fr, line);
	}
	flags = filter_msg_archive_flags(fm);
	if (flags & FILTER_ARCHIVE_OVER_LIMIT)
		return attach_oversize(st->c, fr);
	/* What cannot be read cannot be said to be clean. */
	if (flags & FILTER_ARCHIVE_UNREADABLE)
		return attach_act(c, fr, "archive attachment unreadable");
	if ((flags & FILTER_ARCHIVE_ENCRYPTED) && c->encrypted)
		return attach_act(c, fr, "archive with encrypted entries");
	return 0;
}

static int
attach_check(void *state, const struct filter_msg *fm,
    struct filter_result *fr)
{
	const struct attach_state	*st = state;
	const struct attach_conf	*c = st->ac;
	const struct mime_part		*p;
	const char		*why, *name;
	char			 line[VERDICT_LOG_MAX];
	size_t			 i;

	if (c->in_rules)
		return 0;	/* a rule's attachment_policy applies it */
	for (i = 0; i < mime_part_count(fm->mime); i++) {
		p = mime_part(fm->mime, i);
		if ((why = attach_blocked(c, p)) == NULL)
			continue;
		name = mime_part_filename(p);
		snprintf(line, sizeof(line), "attachment \"%.100s\" (%.60s) "
		    "blocked by %s", name ? name : "", mime_part_type(p), why);
		return attach_act(c, fr, line);
	}
	if (attach_archives(c))
		return attach_check_archives(st, fm, fr);
	return 0;
}

int
attach_policy_hit(const struct attach_conf *c, const struct filter_msg *fm,
    size_t *part_r, const char **why_r)
{
	size_t	 i;

	for (i = 0; i < mime_part_count(fm->mime); i++)
		if ((*why_r = attach_blocked(c, mime_part(fm->mime,
		    i))) != NULL) {
			*part_r = i;
			return 1;
		}
	return 0;
}

static void
attach_free(void *state)
{
	free(state);
}

const struct filter_module filter_attach = {
	.abi = FILTER_ABI_VERSION,
	.name = "attachments",
	.init = NULL,
	.check = attach_check,
	.free = attach_free,
};
