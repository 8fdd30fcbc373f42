/* scoring: scores to actions, a built-in module (see scoring.c). */
#ifndef FILTERD_SCORING_H
#define FILTERD_SCORING_H

#include <stddef.h>

#include "filterd/lib/config.h"

struct config;

/* The group "scoring": config_settings(c, &scoring_settings). */
struct scoring_conf {
	char	*header;	/* the result header */
	double	 tag;		/* 0: off */
	char	*prefix;	/* of the Subject; "": none */
	double	 quarantine;
	double	 reject;
	char	*reply;
	char	*code;		/* reply, parsed */
	char	*ecode;
	char	*text;
};

extern const struct conf_module scoring_settings;
extern const struct filter_module filter_scoring;
int	scoring_init(const struct config *, unsigned, void **, char *, size_t);

#endif
