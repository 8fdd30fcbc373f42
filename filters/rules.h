/*
 * rules: the PCRE2 rules module.  Patterns are compiled (JIT where the
 * library has it, and where the caller allows it) once in the spawner;
 * matching runs in the worker.
 */
#ifndef FILTERD_RULES_H
#define FILTERD_RULES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "filterd/lib/config.h"
#include "filterd/lib/verdict.h"
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
	/* Issue 12: what conditions may look at besides. */
	RULE_TEXT,		/* what a reader sees (filter_msg_view_text) */
	RULE_URL,		/* each URL, normalised */
	RULE_URL_HOST,		/* each URL's host */
	RULE_AUTH_USER,		/* {auth_authen} */
	RULE_SIZE,		/* numeric: header and body, in bytes */
	RULE_RCPT_COUNT,	/* numeric */
	RULE_HEADER_COUNT,	/* numeric */
	RULE_ATTACHMENT_NAME,	/* each attachment's file name */
	RULE_ATTACHMENT_TYPE,	/* each attachment's content type */
	RULE_ARCHIVE_ENTRY,	/* each file name inside an archive */
	RULE_ARCHIVE,		/* a FILTER_ARCHIVE_* flag */
	RULE_ATTACHMENT_POLICY,	/* the group "attachments" blocks a part */
	RULE_TARGET_MAX
};

/* How a condition combines others (cond_conf.combo). */
#define COND_TEST	0	/* a test of its own: target and pattern... */
#define COND_REF	1	/* condition = "name" */
#define COND_ALL	2	/* all = [ "a", "b" ] */
#define COND_ANY	3	/* any = [ "a", "b" ] */
#define COND_NOT	4	/* not = "a" */

/* Numeric comparisons: size = "> 10M". */
#define COND_OP_GT	1
#define COND_OP_GE	2
#define COND_OP_LT	3
#define COND_OP_LE	4
#define COND_OP_EQ	5
#define COND_OP_NE	6

struct list;

/*
 * One condition: a test of the message, or a combination of named
 * conditions; then "unless": it does not hit when one of those does.
 * Named ones are the list "conditions"; each rule has one of its own.
 */
struct cond_conf {
	char		*name;		/* NULL for a rule's own */
	int		 line;
	const config_setting_t *where;	/* for errors found later */
	int		 combo;		/* COND_* */
	int		 target;	/* COND_TEST: enum rule_target */
	char		*header;	/* RULE_HEADER: which header */
	char		*pattern;	/* a PCRE2 pattern, or the CIDR text */
	char		*list_name;	/* "<target>_in": a list's name */
	const struct list *list;	/* resolved by the rules' check */
	int		 op;		/* numeric targets: COND_OP_* */
	long long	 num;
	int		 flag;		/* RULE_ARCHIVE: FILTER_ARCHIVE_* */
	int		 scope_all;	/* every value must match */
	int		 negate;	/* hit when the test does not */
	int		 cidr_family;	/* RULE_CLIENT_CIDR: AF_INET(6) */
	uint8_t		 cidr_addr[16];
	int		 cidr_bits;
	char		**refs;		/* combined conditions' names */
	size_t		 nrefs;
	size_t		*ref_idx;	/* their indices in "conditions" */
	char		**unless;
	size_t		 nunless;
	size_t		*unless_idx;
	int		 used;
};

/* A rule's action: an enum action from verdict.h, or one of these. */
#define RULE_ADD_HEADER	100	/* adds add_header, goes on */
#define RULE_SCORE	101	/* only adds its score, goes on */

struct rule_conf {
	char		*name;
	struct cond_conf cond;	/* when the rule hits */
	int		 action;
	char		*code;		/* parsed from reply, or NULL */
	char		*ecode;
	char		*text;
	char		*hdr_name;	/* parsed from add_header */
	char		*hdr_value;
	char		*reason;	/* quarantine reason */
	double		 score;		/* added when the rule hits */
	int		 line;
};

/* A configuration's rules, in order: config_settings(c, &rules_settings). */
struct rules_conf {
	struct rule_conf	*rules;
	size_t			 nrules;
};

/* The named conditions: config_settings(c, &conditions_settings). */
struct conds_conf {
	struct cond_conf	*v;
	size_t			 n;
};

extern const struct conf_module conditions_settings;

/*
 * filters/cond.c: reading, checking and dumping one condition, for the
 * list "conditions" and for each rule.  cond_read reads the keys of g
 * that make a condition (what the rule or condition looks at, or how it
 * combines others; negate, scope, unless), and reports what is wrong with
 * them; it returns 0 or -1.  owner names the rule or condition in
 * errors.  cond_keys lists those keys, for conf_check_members.
 */
int	cond_read(struct conf_loader *, const config_setting_t *g,
	    struct cond_conf *, const char *owner);
void	cond_free(struct cond_conf *);
void	cond_dump(const struct cond_conf *, FILE *);
extern const char *const cond_keys[];
extern const size_t cond_nkeys;
#define COND_KEY_NAMES \
	"header", "any_header", "body", "raw_body", "sender", "recipient", \
	"helo", "client_name", "client_addr", "client_cidr", "text", "url", \
	"url_host", "auth_user", "size", "rcpt_count", "header_count", \
	"attachment_name", "attachment_type", "archive_entry", "archive", \
	"attachment_policy", "sender_in", "recipient_in", "helo_in", \
	"client_name_in", "client_addr_in", "url_host_in", "auth_user_in", \
	"pattern", "negate", "scope", "condition", "all", "any", "not", \
	"unless"
/*
 * The checks across the lists, conditions and rules, once all are read:
 * unknown names, cycles, conditions and lists no rule uses.  The rules'
 * check hook.
 */
void	cond_check_all(struct conf_loader *, struct rules_conf *);

/*
 * A trace of rule matching (filterd -t --trace): while set, the rules
 * module calls fn for each rule it evaluates (cond NULL) and each named
 * condition, with whether it hit and, when it did, the text it hit on
 * (printable ASCII, escaped, at most RULES_TRACE_TEXT bytes).  Set in one
 * process at a time; NULL turns it off.
 */
#define RULES_TRACE_TEXT	120
typedef void	 rules_trace_fn(void *arg, const char *rule,
		    const char *cond, int hit, const char *text);
void	rules_set_trace(rules_trace_fn *, void *arg);

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
