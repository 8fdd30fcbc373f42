/*
 * config: filterd's configuration, read with libconfig.  One declarative
 * table of settings (config.c) drives loading, unknown-key rejection, type
 * and range checks, defaults and the dump.  Loaded by the supervisor (which
 * reports errors) and again by each spawner; the file is trusted to be the
 * administrator's, but every value is still checked.
 */
#ifndef FILTERD_LIB_CONFIG_H
#define FILTERD_LIB_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <libconfig.h>

#include "filterd/lib/message.h"

#define CONFIG_DEFAULT_PATH	SYSCONFDIR "/filterd/filterd.conf"

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

/* A module loaded from a shared object ("modules" in the file). */
struct module_conf {
	char			*path;
	const char		*file;	/* where it was configured */
	int			 line;
	uint32_t		 actions;	/* bit (1 << ACTION_x) */
	char			**headers;	/* names or "Prefix-*" */
	size_t			 nheaders;
	const config_setting_t	*settings;	/* or NULL */
};

struct config {
	char		*path;
	char		*listen;
	char		*user;
	char		*chroot;	/* the spawner's, when root */
	int		 on_failure;	/* enum action */
	long long	 message_size;
	int		 oversize;	/* enum action */
	int		 malformed;	/* enum action */
	int		 worker_timeout;
	int		 max_recipients;
	int		 max_headers;
	int		 max_header_size;
	int		 max_mime_depth;
	int		 max_mime_parts;
	char		**att_exts;	/* blocked extensions */
	size_t		 natt_exts;
	char		**att_types;	/* blocked content types */
	size_t		 natt_types;
	int		 att_double;	/* block x.pdf.exe and the like */
	int		 att_action;
	char		*att_reply;
	char		*att_code;	/* att_reply, parsed */
	char		*att_ecode;
	char		*att_text;
	char		*score_header;	/* the result header */
	double		 score_tag;	/* 0: off */
	char		*score_prefix;	/* "": none */
	double		 score_quarantine;
	double		 score_reject;
	char		*score_reply;
	char		*score_code;	/* score_reply, parsed */
	char		*score_ecode;
	char		*score_text;
	int		 pool;
	int		 memory;	/* MiB */
	int		 cpu;
	int		 max_served;	/* workers before a spawner retires */
	char		**allowed_headers;
	size_t		 nallowed;
	struct rule_conf *rules;
	size_t		 nrules;
	struct module_conf *modules;
	size_t		 nmodules;
	config_t	*cf;		/* kept for the modules' settings */
};

/*
 * Reads and checks a configuration file.  Returns NULL with every error
 * found written to errf, one "file:line: message" line each.
 */
struct config	*config_load(const char *path, FILE *errf);
/*
 * As config_load, for a NUL-terminated text in memory; errors are named
 * after name.  The text is the caller's; an "@include" in it opens files
 * relative to the current directory.
 */
struct config	*config_load_text(const char *text, const char *name,
		    FILE *errf);
void		 config_free(struct config **);
/*
 * The configuration as checked, frozen: its dump in a sealed memfd
 * (close-on-exec), or -1.  Spawners and, after a reload, the supervisor
 * read it with config_load_fd, so that every process filters with the
 * same settings, whatever happens to the file afterwards.
 */
int		 config_snapshot(const struct config *);
/* Reads a snapshot; name is the file it came from, for messages. */
struct config	*config_load_fd(int fd, const char *name, FILE *errf);
#define CONFIG_SNAPSHOT_MAX	(16 * 1024 * 1024)
/* Prints the effective configuration in a form config_load reads back. */
void		 config_dump(const struct config *, FILE *);
/*
 * Splits "550 5.7.1 Some text" into its parts (each may be NULL when
 * absent) and checks them for the given action.  Returns 0 or -1 with a
 * reason.  Used for rule replies and by the validator.
 */
int	smtp_parse_reply(const char *, int action, char **code_r,
	    char **ecode_r, char **text_r, const char **why_r);

#endif
