/*
 * limits: the built-in module that holds a message to the configured
 * limits -- recipients, header count, size of one header -- before any
 * rule looks at it.  Runs first, in the worker; trusts the configuration.
 * A message over a limit gets limits.oversize, as an oversize one does.
 */
#include <stdio.h>
#include <string.h>

#include "filterd/lib/config.h"
#include "filters/filter_impl.h"
#include "filters/limits.h"
#include "filters/mime.h"

/*
 * The limits themselves are core settings ("limits" in the file): the
 * frontends, the host's MIME parser and this module all hold messages to
 * them.  What the module may do follows from one of them: a message over
 * a limit gets limits.oversize.
 */
static int
limits_conf_declare(const struct config *c, const void *settings,
    struct conf_policy *p)
{
	if (c->oversize != ACTION_ACCEPT)
		p->actions |= 1U << c->oversize;
	return 0;
}

const struct conf_module limits_settings = {
	.name = NULL,
	.declare = limits_conf_declare,
};

int
limits_init(const struct config *c, unsigned flags, void **state_r, char *err,
    size_t errlen)
{
	*state_r = (void *)(uintptr_t)c;
	return 0;
}

int
limits_oversize(const struct config *c, struct verdict *v, const char *text)
{
	switch (c->oversize) {
	case ACTION_REJECT:
		v->action = ACTION_REJECT;
		return verdict_set_reply(v, "552", "5.3.4", text);
	case ACTION_TEMPFAIL:
		v->action = ACTION_TEMPFAIL;
		return verdict_set_reply(v, "452", "4.3.4", text);
	default:
		return 0;	/* accept: logged, passed on */
	}
}

/* Applies limits.oversize, saying which limit; returns 0 or -1. */
static int
limits_over(const struct config *c, struct verdict *v, const char *what,
    size_t n, long max)
{
	char	 text[128];

	snprintf(text, sizeof(text), "Message exceeds a limit: %zu %s, at "
	    "most %ld", n, what, max);
	(void)verdict_add_rule(v, "limits");
	(void)verdict_add_log(v, text);
	return limits_oversize(c, v, text);
}

static int
limits_check(void *state, const struct filter_msg *fm,
    struct filter_result *fr)
{
	const struct config	*c = state;
	const struct message	*m = fm->m;
	size_t			 i, longest = 0, n;

	if (m->nrcpts > (size_t)c->max_recipients)
		return limits_over(c, fr->v, "recipients", m->nrcpts,
		    c->max_recipients);
	if (m->nhdrs > (size_t)c->max_headers)
		return limits_over(c, fr->v, "headers", m->nhdrs,
		    c->max_headers);
	for (i = 0; i < m->nhdrs; i++)
		if ((n = strlen(m->hdrs[i].value)) > longest)
			longest = n;
	if (longest > (size_t)c->max_header_size)
		return limits_over(c, fr->v, "bytes in one header", longest,
		    c->max_header_size);
	/* Parts past these limits were never examined: refuse them. */
	if (mime_flags(fm->mime) & MIME_TOO_DEEP)
		return limits_over(c, fr->v, "or more MIME levels",
		    (size_t)c->max_mime_depth + 1, c->max_mime_depth);
	if (mime_flags(fm->mime) & MIME_TOO_MANY_PARTS)
		return limits_over(c, fr->v, "or more MIME parts",
		    (size_t)c->max_mime_parts + 1, c->max_mime_parts);
	return 0;
}

static void
limits_free(void *state)
{
}

const struct filter_module filter_limits = {
	.abi = FILTER_ABI_VERSION,
	.name = "limits",
	.init = NULL,
	.check = limits_check,
	.free = limits_free,
};
