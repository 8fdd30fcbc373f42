/*
 * attach: the built-in attachment policy.  Runs in the worker over the
 * MIME structure that mime.c parsed from the hostile message; trusts the
 * configuration.  A part is blocked by its file name's extension, by a
 * double extension that ends in an executable one (invoice.pdf.exe), or
 * by its content type ("type/subtype", or "type/" and a star).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "filterd/lib/config.h"
#include "filterd/lib/smtp.h"
#include "filters/attach.h"
#include "filters/filter_impl.h"
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
	{ "attachments.action", T_ACTION, OFF(action), "reject", 0, 0,
	    A(REJECT) | A(TEMPFAIL) | A(DISCARD) | A(QUARANTINE), 0 },
	{ "attachments.reply", T_STR, OFF(reply),
	    "550 5.7.1 Attachment type not allowed", 0, 0, 0, 0 },
	{ "attachments.in_rules", T_BOOL, OFF(in_rules), "false", 0, 1, 0,
	    0 },
};

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
	if ((ac->nexts > 0 || ac->ntypes > 0 || ac->dbl) && !ac->in_rules)
		p->actions |= 1U << ac->action;
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
	*state_r = (void *)(uintptr_t)config_settings(c, &attach_settings);
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

static int
attach_check(void *state, const struct filter_msg *fm,
    struct filter_result *fr)
{
	const struct attach_conf	*c = state;
	const struct mime_part		*p;
	struct verdict		*v = fr->v;
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
		(void)filter_log(fr, "%s", line);
		(void)verdict_add_rule(v, "attachments");
		v->action = (uint8_t)c->action;
		if (c->action == ACTION_QUARANTINE)
			return verdict_set_reason(v, "attachment policy");
		if (c->code != NULL)
			return verdict_set_reply(v, c->code, c->ecode,
			    c->text);
		return 0;
	}
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
}

const struct filter_module filter_attach = {
	.abi = FILTER_ABI_VERSION,
	.name = "attachments",
	.init = NULL,
	.check = attach_check,
	.free = attach_free,
};
