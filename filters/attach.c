/*
 * attach: the built-in attachment policy.  Runs in the worker over the
 * MIME structure that mime.c parsed from the hostile message; trusts the
 * configuration.  A part is blocked by its file name's extension, by a
 * double extension that ends in an executable one (invoice.pdf.exe), or
 * by its content type ("type/subtype", or "type/" and a star).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "filterd/lib/config.h"
#include "filters/attach.h"
#include "filters/filter_impl.h"
#include "filters/mime.h"

int
attach_init(const struct config *c, void **state_r, char *err, size_t errlen)
{
	*state_r = (void *)(uintptr_t)c;
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
attach_blocked(const struct config *c, const struct mime_part *p)
{
	const char	*name = mime_part_filename(p);
	const char	*ext = mime_part_ext(p);

	if (mime_part_is_container(p))
		return NULL;
	if (ext != NULL && *ext != '\0' &&
	    in_list(c->att_exts, c->natt_exts, ext))
		return "extension";
	if (c->att_double && name != NULL && mime_double_ext(name))
		return "double extension";
	if (in_list(c->att_types, c->natt_types, mime_part_type(p)))
		return "content type";
	return NULL;
}

static int
attach_check(void *state, const struct filter_msg *fm,
    struct filter_result *fr)
{
	const struct config	*c = state;
	const struct mime_part	*p;
	struct verdict		*v = fr->v;
	const char		*why, *name;
	char			 line[VERDICT_LOG_MAX];
	size_t			 i;

	for (i = 0; i < mime_part_count(fm->mime); i++) {
		p = mime_part(fm->mime, i);
		if ((why = attach_blocked(c, p)) == NULL)
			continue;
		name = mime_part_filename(p);
		snprintf(line, sizeof(line), "attachment \"%.100s\" (%.60s) "
		    "blocked by %s", name ? name : "", mime_part_type(p), why);
		(void)filter_log(fr, "%s", line);
		(void)verdict_add_rule(v, "attachments");
		v->action = (uint8_t)c->att_action;
		if (c->att_action == ACTION_QUARANTINE)
			return verdict_set_reason(v, "attachment policy");
		if (c->att_code != NULL)
			return verdict_set_reply(v, c->att_code, c->att_ecode,
			    c->att_text);
		return 0;
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
