/*
 * rules: the PCRE2 rules module.  Patterns are compiled (JIT where the
 * library has it, and where the caller allows it) once in the spawner;
 * matching runs in the worker.
 */
#ifndef FILTERD_RULES_H
#define FILTERD_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "filterd/lib/config.h"
#include "filters/filter.h"

enum rule_target {
	RULE_HEADER = 1,	/* header = "Name"; pattern = "..." */
	RULE_ANY_HEADER,	/* "Name: value" of every header */
	RULE_BODY,
	RULE_RAW_BODY,
	RULE_SENDER,
	RULE_RECIPIENT,
	RULE_HELO,
	RULE_CLIENT_NAME,
	RULE_CLIENT_ADDR,
	RULE_CLIENT_CIDR,	/* no pattern: an address block */
	RULE_TARGET_MAX
};

/* A rule's action: an enum action from verdict.h, or one of these. */
#define RULE_ADD_HEADER	100	/* adds add_header, goes on */
#define RULE_SCORE	101	/* only adds its score, goes on */

struct rule_conf {
	char	*name;
	int	 target;
	char	*header;	/* RULE_HEADER: which header */
	char	*pattern;
	int	 action;
	char	*code;		/* parsed from reply, or NULL */
	char	*ecode;
	char	*text;
	char	*hdr_name;	/* parsed from add_header */
	char	*hdr_value;
	char	*reason;	/* quarantine reason */
	int	 negate;	/* hit when the pattern does not match */
	double	 score;		/* added when the rule hits */
	int	 cidr_family;	/* RULE_CLIENT_CIDR: AF_INET or AF_INET6 */
	uint8_t	 cidr_addr[16];
	int	 cidr_bits;
	int	 line;
};

/* A configuration's rules, in order: config_settings(c, &rules_settings). */
struct rules_conf {
	struct rule_conf	*rules;
	size_t			 nrules;
};

/* The list "rules": read and checked, its patterns not yet compiled. */
extern const struct conf_module rules_settings;

/* on_error's value when it is "on_failure": the core's on_failure. */
#define MATCHING_ON_FAILURE	(-1)

/*
 * The group "matching": how hard a pattern may try, and what a message
 * gets when a pattern cannot be matched to it (a PCRE2 error).
 */
struct matching_conf {
	char	*on_error_name;	/* as written */
	int	 on_error;	/* enum action, or MATCHING_ON_FAILURE */
	int	 match_limit;
};

extern const struct conf_module matching_settings;

extern const struct filter_module filter_rules;
/*
 * The built-in init: compiles every rule of the configuration, with
 * PCRE2's JIT unless flags has MODULES_NOJIT (filters/host.h).
 */
int	rules_init(const struct config *, unsigned flags, void **state_r,
	    char *err, size_t errlen);

#endif
