/* attach: the attachment policy, a built-in module (see attach.c). */
#ifndef FILTERD_ATTACH_H
#define FILTERD_ATTACH_H

#include <stddef.h>

#include "filterd/lib/config.h"

struct config;

/* The group "attachments": config_settings(c, &attach_settings). */
struct attach_conf {
	char	**exts;		/* blocked extensions */
	size_t	 nexts;
	char	**types;	/* blocked content types */
	size_t	 ntypes;
	int	 dbl;		/* block x.pdf.exe and the like */
	int	 archives;	/* look inside archives too */
	int	 encrypted;	/* block an archive with encrypted entries */
	int	 action;	/* enum action */
	char	*reply;
	char	*code;		/* reply, parsed */
	char	*ecode;
	char	*text;
	int	 in_rules;	/* only the rules apply it (attachment_policy) */
};

extern const struct conf_module attach_settings;
extern const struct filter_module filter_attach;
int	attach_init(const struct config *, unsigned, void **, char *, size_t);

struct filter_msg;
/*
 * For the rules' condition attachment_policy, in the worker: returns 1
 * when the policy blocks a part, with its index in *part_r and by what
 * in *why_r; 0 when it blocks none.
 */
int	attach_policy_hit(const struct attach_conf *, const struct filter_msg *,
	    size_t *part_r, const char **why_r);

#endif
