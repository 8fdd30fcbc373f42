/*
 * host: loading and running filter modules.  modules_load runs in the
 * spawner, followed by modules_seal; modules_load_flags with MODULES_NOJIT
 * wherever a configuration is only checked (filterd -n, a reload).  It
 * trusts the configuration, and so the shared objects it names: they are
 * the administrator's code.  modules_check runs in the worker, inside the
 * sandbox.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filterd/lib/config.h"
#include "filters/filter_impl.h"
#include "filters/mime.h"
#include "filters/host.h"
#include "sandbox/wx.h"

struct module {
	const struct filter_module	*mod;
	void				*state;
	void				*dl;	/* NULL for a built-in */
};

struct modules {
	struct module		*v;
	size_t			 n;
	struct mime_limits	 lim;
	unsigned		 flags;
	struct wx_sealed	*sealed;	/* by modules_seal */
};

/* The built-ins that run before (last == 0) or after the shared ones. */
static int
modules_builtin(struct modules *ms, const struct config *c, int last,
    char *err, size_t errlen)
{
	const struct builtin_module	*b;
	struct module			*m;

	for (b = filter_builtins; b->mod != NULL; b++) {
		if (b->last != last)
			continue;
		m = &ms->v[ms->n];
		m->mod = b->mod;
		if (b->init(c, ms->flags, &m->state, err, errlen) == -1)
			return -1;
		ms->n++;
	}
	return 0;
}

static int
modules_shared(struct modules *ms, const struct module_conf *mc, char *err,
    size_t errlen)
{
	struct module	*m = &ms->v[ms->n];
	const char	*e;
	char		 why[256];

	if ((m->dl = dlopen(mc->path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		e = dlerror();
		snprintf(err, errlen, "%s:%d: module %s: %s", mc->file,
		    mc->line, mc->path, e != NULL ? e : "cannot load");
		return -1;
	}
	if ((m->mod = dlsym(m->dl, FILTER_MODULE_SYMBOL)) == NULL) {
		snprintf(err, errlen, "%s:%d: module %s: no %s symbol",
		    mc->file, mc->line, mc->path, FILTER_MODULE_SYMBOL);
		goto fail;
	}
	if (m->mod->abi != FILTER_ABI_VERSION) {
		snprintf(err, errlen, "%s:%d: module %s: ABI version %u, "
		    "filterd has %u: rebuild it against this filter.h",
		    mc->file, mc->line, mc->path, m->mod->abi,
		    FILTER_ABI_VERSION);
		goto fail;
	}
	if (m->mod->init == NULL || m->mod->check == NULL) {
		snprintf(err, errlen, "%s:%d: module %s: no init or check",
		    mc->file, mc->line, mc->path);
		goto fail;
	}
	why[0] = '\0';
	if (m->mod->init(mc->settings, &m->state, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "%s:%d: module %s: init failed: %s",
		    mc->file, mc->line, m->mod->name ? m->mod->name : mc->path,
		    why[0] ? why : "no reason given");
		goto fail;
	}
	ms->n++;
	return 0;
fail:
	dlclose(m->dl);
	m->dl = NULL;
	return -1;
}

struct modules *
modules_load(const struct config *c, char *err, size_t errlen)
{
	return modules_load_flags(c, 0, err, errlen);
}

struct modules *
modules_load_flags(const struct config *c, unsigned flags, char *err,
    size_t errlen)
{
	const struct builtin_module	*b;
	struct modules			*ms;
	size_t				 n = c->nmodules, i;

	for (b = filter_builtins; b->mod != NULL; b++)
		n++;
	if ((ms = calloc(1, sizeof(*ms))) == NULL ||
	    (ms->v = calloc(n + 1, sizeof(*ms->v))) == NULL) {
		free(ms);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* JIT code only where it can be sealed (sandbox/wx.h). */
	ms->flags = flags | (wx_available() ? 0 : MODULES_NOJIT);
	mime_limits_default(&ms->lim, (size_t)c->message_size);
	ms->lim.max_depth = (size_t)c->max_mime_depth;
	ms->lim.max_parts = (size_t)c->max_mime_parts;
	if (modules_builtin(ms, c, 0, err, errlen) == -1)
		goto fail;
	for (i = 0; i < c->nmodules; i++)
		if (modules_shared(ms, &c->modules[i], err, errlen) == -1)
			goto fail;
	if (modules_builtin(ms, c, 1, err, errlen) == -1)
		goto fail;
	return ms;
fail:
	modules_free(&ms);
	return NULL;
}

int
modules_seal(struct modules *ms, char *err, size_t errlen)
{
	char	 why[256];

	if (ms->sealed != NULL) {
		snprintf(err, errlen, "modules sealed twice");
		return -1;
	}
	if (!wx_available())
		return 0;	/* and so the rules made no JIT code */
	if (wx_seal(&ms->sealed, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "cannot seal the modules' JIT code: %s",
		    why);
		return -1;
	}
	return 0;
}

void
modules_free(struct modules **msp)
{
	struct modules	*ms = *msp;
	size_t		 i;

	if (ms == NULL)
		return;
	/* Still sealed: freeing would write to read-only code; leave it. */
	if (wx_unseal(&ms->sealed) == -1)
		ms->n = 0;
	for (i = ms->n; i-- > 0; ) {
		if (ms->v[i].mod->free != NULL)
			ms->v[i].mod->free(ms->v[i].state);
		if (ms->v[i].dl != NULL)
			dlclose(ms->v[i].dl);
	}
	free(ms->v);
	free(ms);
	*msp = NULL;
}

int
modules_check(const struct modules *ms, const struct message *m,
    struct verdict *v)
{
	struct filter_msg	 fm = { m, NULL };
	struct filter_result	 fr = { v, m->trace };
	struct mime		*mime;
	size_t			 i;
	int			 rc = 0;

	/* Once for every module: what body rules and attachments see. */
	if ((mime = mime_parse(m->hdrs, m->nhdrs, m->body != NULL ?
	    m->body : (const uint8_t *)"", m->bodylen,
	    &ms->lim)) == NULL)
		return -1;
	fm.mime = mime;
	for (i = 0; i < ms->n && v->action == ACTION_NONE && rc == 0; i++)
		rc = ms->v[i].mod->check(ms->v[i].state, &fm, &fr);
	mime_free(&mime);
	return rc;
}
