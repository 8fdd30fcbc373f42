/*
 * offline_opts: the command line of filterd -t.  Runs in the one filterd
 * process of a test run, before any message is read.  It trusts the
 * administrator who typed it, but checks what a frontend would have
 * formatted itself -- an address -- so that a rule sees what it would see
 * behind an MTA, not a typo.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filterd/lib/message.h"
#include "filterd/offline.h"

static int
opts_nomem(void)
{
	fprintf(stderr, "filterd: out of memory\n");
	return -1;
}

/* Appends a copy of s to the list *v of *n; returns 0 or -1. */
static int
opts_push(char ***v, size_t *n, const char *s)
{
	char	**nv;

	if ((nv = reallocarray(*v, *n + 1, sizeof(**v))) == NULL)
		return opts_nomem();
	*v = nv;
	if ((nv[*n] = strdup(s)) == NULL)
		return opts_nomem();
	(*n)++;
	return 0;
}

static int
opts_set(char **field, const char *s)
{
	free(*field);
	return (*field = strdup(s)) == NULL ? opts_nomem() : 0;
}

/*
 * The client's address as the milter frontend writes it (inet_ntop), or
 * one of the two words it writes when there is no IP address.
 */
static int
opts_client_addr(struct offline_opts *o, const char *s)
{
	char	 a[16], out[INET6_ADDRSTRLEN];

	if (strcmp(s, "unknown") == 0 || strcmp(s, "local") == 0)
		return opts_set(&o->client_addr, s);
	if (inet_pton(AF_INET, s, a) == 1)
		inet_ntop(AF_INET, a, out, sizeof(out));
	else if (inet_pton(AF_INET6, s, a) == 1)
		inet_ntop(AF_INET6, a, out, sizeof(out));
	else {
		fprintf(stderr, "filterd: --client-addr %s: not an IPv4 or "
		    "IPv6 address (nor \"unknown\" or \"local\")\n", s);
		return -1;
	}
	return opts_set(&o->client_addr, out);
}

/* An address without the angle brackets, as the milter frontend keeps it. */
static int
opts_addr(char **field, const char *s)
{
	size_t	 n = strlen(s);
	char	*d;

	if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		s++;
		n -= 2;
	}
	if ((d = strndup(s, n)) == NULL)
		return opts_nomem();
	free(*field);
	*field = d;
	return 0;
}

static int
opts_rcpt(struct offline_opts *o, const char *s)
{
	char	*a = NULL;
	int	 rc;

	if (opts_addr(&a, s) == -1)
		return -1;
	rc = opts_push(&o->rcpts, &o->nrcpts, a);
	free(a);
	return rc;
}

/* A macro as an MTA sends it: the name ("i", "{auth_authen}") and value. */
static int
opts_macro(struct offline_opts *o, const char *name, size_t namelen,
    const char *value)
{
	struct offline_kv	*v;

	if (namelen == 0 || namelen > MSG_HDR_NAME_MAX) {
		fprintf(stderr, "filterd: --macro: a name of 1 to %d "
		    "characters, then \"=\" and the value\n", MSG_HDR_NAME_MAX);
		return -1;
	}
	if ((v = reallocarray(o->macros, o->nmacros + 1, sizeof(*v))) == NULL)
		return opts_nomem();
	o->macros = v;
	v = &o->macros[o->nmacros];
	if ((v->name = strndup(name, namelen)) == NULL)
		return opts_nomem();
	if ((v->value = strdup(value)) == NULL) {
		free(v->name);
		return opts_nomem();
	}
	o->nmacros++;
	return 0;
}

static int
opts_macro_arg(struct offline_opts *o, const char *arg)
{
	const char	*eq = strchr(arg, '=');

	return opts_macro(o, arg, eq != NULL ? (size_t)(eq - arg) : 0,
	    eq != NULL ? eq + 1 : "");
}

/* The options that set a string of the connection or envelope. */
static int
opts_envelope(struct offline_opts *o, int ch, const char *arg)
{
	o->envelope = 1;
	switch (ch) {
	case OFFLINE_OPT_CLIENT_ADDR:
		return opts_client_addr(o, arg);
	case OFFLINE_OPT_CLIENT_NAME:
		return opts_set(&o->client_name, arg);
	case OFFLINE_OPT_HELO:
		return opts_set(&o->helo, arg);
	case OFFLINE_OPT_SENDER:
		return opts_addr(&o->sender, arg);
	case OFFLINE_OPT_RCPT:
		return opts_rcpt(o, arg);
	case OFFLINE_OPT_AUTH:
		/* What Postfix and OpenSMTPD say of an authenticated client. */
		return opts_macro(o, "{auth_authen}", 13, arg);
	case OFFLINE_OPT_MACRO:
		return opts_macro_arg(o, arg);
	}
	return -1;
}

int
offline_option(struct offline_opts *o, int ch, const char *arg)
{
	switch (ch) {
	case 't':
		return opts_push(&o->files, &o->nfiles, arg);
	case OFFLINE_OPT_JSON:
		o->json = 1;
		return 0;
	case OFFLINE_OPT_TRACE:
		o->trace = 1;
		return 0;
	case OFFLINE_OPT_CLIENT_ADDR:
	case OFFLINE_OPT_CLIENT_NAME:
	case OFFLINE_OPT_HELO:
	case OFFLINE_OPT_SENDER:
	case OFFLINE_OPT_RCPT:
	case OFFLINE_OPT_AUTH:
	case OFFLINE_OPT_MACRO:
		return opts_envelope(o, ch, arg);
	}
	return -1;
}

static void
opts_free_list(char **v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
offline_opts_clear(struct offline_opts *o)
{
	size_t	 i;

	opts_free_list(o->files, o->nfiles);
	opts_free_list(o->rcpts, o->nrcpts);
	for (i = 0; i < o->nmacros; i++) {
		free(o->macros[i].name);
		free(o->macros[i].value);
	}
	free(o->macros);
	free(o->client_addr);
	free(o->client_name);
	free(o->helo);
	free(o->sender);
	memset(o, 0, sizeof(*o));
}
