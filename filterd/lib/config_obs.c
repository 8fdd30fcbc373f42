/*
 * config_obs: the checks of the settings an administrator watches
 * filterd with -- syslog_facility, control_*, metrics_listen,
 * quarantine_header.  Pure, like the rest of loading: whether users and
 * groups exist is for start-up (super_ctl.c).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "filterd/lib/config.h"
#include "filterd/lib/rfc5322.h"

static const struct {
	const char	*name;
	int		 value;
} facilities[] = {
	{ "mail", LOG_MAIL }, { "daemon", LOG_DAEMON }, { "user", LOG_USER },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

int
config_facility(const char *name)
{
	size_t	 i;

	for (i = 0; i < NITEMS(facilities); i++)
		if (strcmp(facilities[i].name, name) == 0)
			return facilities[i].value;
	return -1;
}

int
config_mode(const char *s)
{
	size_t	 n = strlen(s);
	int	 mode = 0;

	if (n < 3 || n > 4 || strspn(s, "01234567") != n)
		return -1;
	for (; *s != '\0'; s++)
		mode = mode * 8 + (*s - '0');
	return mode <= 0777 ? mode : -1;
}

int
config_hostport(const char *s, char *host, size_t hostlen, char *port,
    size_t portlen)
{
	const char	*colon, *h = s;
	unsigned char	 addr[16];
	size_t		 hl;
	char		*end;
	long		 p;

	if (*s == '[') {
		if ((colon = strstr(s, "]:")) == NULL)
			return -1;
		h = s + 1;
		hl = (size_t)(colon - h);
		colon++;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return -1;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= hostlen)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	p = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || p < 1 || p > 65535 ||
	    strlen(colon + 1) >= portlen)
		return -1;
	snprintf(port, portlen, "%ld", p);
	if (strcmp(host, "*") == 0)
		return 0;
	if (inet_pton(*s == '[' ? AF_INET6 : AF_INET, host, addr) != 1)
		return -1;
	return 0;
}

void
config_check_obs(struct conf_loader *l, const struct config *c)
{
	const char	*why;
	char		 host[64], port[8];

	if (config_facility(c->syslog_facility) == -1)
		conf_error(l, config_lookup(c->cf, "syslog_facility"),
		    "syslog_facility: unknown facility \"%s\" (mail, daemon, "
		    "user, local0 to local7)", c->syslog_facility);
	if (*c->control_socket != '\0' && *c->control_socket != '/')
		conf_error(l, config_lookup(c->cf, "control_socket"),
		    "control_socket: \"%s\" is not an absolute path",
		    c->control_socket);
	if (strlen(c->control_socket) >= 100)
		conf_error(l, config_lookup(c->cf, "control_socket"),
		    "control_socket: path too long for a unix socket");
	if (config_mode(c->control_mode) == -1)
		conf_error(l, config_lookup(c->cf, "control_mode"),
		    "control_mode: \"%s\" is not an octal mode such as "
		    "\"0660\"", c->control_mode);
	if (*c->metrics_listen != '\0' && config_hostport(c->metrics_listen,
	    host, sizeof(host), port, sizeof(port)) == -1)
		conf_error(l, config_lookup(c->cf, "metrics_listen"),
		    "metrics_listen: \"%s\" is not ADDRESS:PORT (a numeric "
		    "address, [IPv6]:PORT, or *:PORT)", c->metrics_listen);
	if (*c->quarantine_header != '\0' &&
	    rfc5322_check_name(c->quarantine_header, &why) == -1)
		conf_error(l, config_lookup(c->cf, "quarantine_header"),
		    "quarantine_header: %s", why);
}
