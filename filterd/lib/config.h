/*
 * config: filterd's configuration, read with libconfig.  Declarative tables
 * of settings drive loading, unknown-key rejection, type and range checks,
 * defaults and the dump: the core's (config.c), and each built-in module's
 * for its own group, in the module's file (struct conf_module below).
 * Loaded by the supervisor (which reports errors) and again by each
 * spawner; the file is trusted to be the administrator's, but every value
 * is still checked.
 */
#ifndef FILTERD_LIB_CONFIG_H
#define FILTERD_LIB_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <libconfig.h>

#include "filterd/lib/message.h"

#define CONFIG_DEFAULT_PATH	SYSCONFDIR "/filterd/filterd.conf"
#ifndef FILTERD_RUNDIR
#define FILTERD_RUNDIR		"/run/filterd"	/* configure --with-rundir */
#endif

/*
 * The types of a setting in a table.  The table is declarative: loading,
 * unknown-key rejection, type and range checks, defaults, freeing and the
 * dump all follow from it.
 */
enum conf_type {
	T_STR,		/* a string, not empty */
	T_INT,
	T_INT64,
	T_DOUBLE,
	T_BOOL,
	T_OSTR,		/* a string that may be empty: "" is off */
	T_ACTION,	/* an action's name, one of the allowed ones */
	T_STRLIST,	/* a list of strings, and its count at noff */
};

/*
 * One setting: its path in the file ("key", or "group.key" for one level
 * of group), its type, where it lives (offsetof in the structure the table
 * describes), its default as text, and its bounds.
 */
struct conf_key {
	const char	*path;
	enum conf_type	 type;
	size_t		 off;
	const char	*def;
	long long	 min, max;
	uint32_t	 actions;	/* T_ACTION: the allowed ones */
	size_t		 noff;		/* T_STRLIST: where its count goes */
};

struct config;
struct conf_loader;	/* a load in progress: where its errors go */

/*
 * What a module may do: the actions it may set and the headers it may add,
 * change or delete.  A shared-object module declares it in the file
 * ("actions", "headers"); a built-in one derives it from its settings.
 * The supervisor's policy is the union of every module's, so it never needs
 * to run module code or know which modules exist.
 */
struct conf_policy {
	uint32_t	 actions;	/* bit (1 << ACTION_x) */
	char		**headers;	/* names or "Prefix-*", owned */
	size_t		 nheaders;
};

/*
 * A built-in module's part of the configuration, defined in the module's
 * own file.  The core allocates `size' bytes of settings (zeroed), sets
 * the table's defaults, and hands the module its group: a group { ... }
 * is read through keys (each path "name.key"); anything else (the rules'
 * list) goes to read.  check then sees the settings whole, declare says
 * what they let the module do, dump prints what read took in (the table's
 * keys are dumped by the core), free releases what read and check
 * allocated beyond the table's strings and lists.  Every hook is optional.
 * These run wherever a configuration is loaded -- the parent, the
 * supervisor and the spawner -- and must be pure: no I/O but errors
 * through conf_error and the dump to its stream.
 */
struct conf_module {
	const char		*name;	/* its group or list; NULL: none */
	const struct conf_key	*keys;
	size_t			 nkeys;
	size_t			 size;	/* of its settings structure */
	void	(*read)(struct conf_loader *, const config_setting_t *,
		    void *settings);
	/* g is the module's setting in the file, or NULL when absent. */
	void	(*check)(struct conf_loader *, const config_setting_t *g,
		    void *settings);
	/* Returns 0, or -1 when out of memory. */
	int	(*declare)(const struct config *, const void *settings,
		    struct conf_policy *);
	void	(*dump)(const void *settings, FILE *);
	void	(*free)(void *settings);
};

/*
 * The built-in modules' parts, in the order of the dump, NULL-terminated:
 * filters/settings.c.  The core reads them as tables; it names none.
 */
extern const struct conf_module *const config_modules[];

/* A module loaded from a shared object ("modules" in the file). */
struct module_conf {
	char			*path;
	const char		*file;	/* where it was configured */
	int			 line;
	struct conf_policy	 policy;	/* "actions" and "headers" */
	const config_setting_t	*settings;	/* or NULL */
};

struct conf_part;	/* a built-in module's settings and policy */

struct config {
	char		*path;
	char		*listen;
	char		*user;		/* the supervisor's and spawner's */
	char		*worker_user;	/* the workers' */
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
	int		 max_urls;		/* filters/view.h */
	int		 archive_max_entries;
	int		 archive_max_depth;
	long long	 archive_max_bytes;
	int		 pool;
	int		 memory;	/* MiB */
	int		 cpu;
	int		 max_served;	/* workers before a spawner retires */
	int		 penalty;	/* penalty.enable */
	int		 penalty_base;	/* seconds, the first offence's */
	int		 penalty_max;	/* seconds */
	int		 penalty_forgive; /* quiet s before a clean slate */
	int		 penalty_sources; /* clients remembered at most */
	int		 penalty_ipv4_prefix;	/* bits that make one client */
	int		 penalty_ipv6_prefix;
	char		**penalty_exempt;	/* address blocks */
	size_t		 npenalty_exempt;
	char		**allowed_headers;
	size_t		 nallowed;
	/* The log, the control socket, metrics (config_obs.c). */
	char		*syslog_facility;
	char		*control_socket;	/* "": none */
	char		*control_mode;		/* octal digits */
	char		*control_owner;		/* "": filterd's user */
	char		*control_group;		/* "": its group */
	char		*metrics_listen;	/* "": none; ADDR:PORT */
	char		*quarantine_header;	/* "": none */
	struct conf_part *parts;	/* one per config_modules[] entry */
	size_t		 nparts;
	struct module_conf *modules;
	size_t		 nmodules;
	config_t	*cf;		/* kept for the modules' settings */
	/* Where the daemon lives (parent_start.c, super_milter.c). */
	char		*pidfile;	/* "": none */
	char		*socket_mode;	/* octal, of a unix socket */
	char		*socket_group;	/* "": the supervisor's */
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
/*
 * Reports msg about the core setting key as config_load does, "file:line:
 * msg" (line 0 when the file does not set it), to errf: for checks that
 * only start-up can make, such as whether a user exists.
 */
void		 config_error_at(const struct config *, const char *key,
		    FILE *errf, const char *msg);
/* socket_mode as a number, or -1 when it is not an octal mode. */
int		 config_socket_mode(const struct config *);
/* Reads a snapshot; name is the file it came from, for messages. */
struct config	*config_load_fd(int fd, const char *name, FILE *errf);
#define CONFIG_SNAPSHOT_MAX	(16 * 1024 * 1024)
/* Prints the effective configuration in a form config_load reads back. */
void		 config_dump(const struct config *, FILE *);
/*
 * The settings of a built-in module, as its table and hooks made them;
 * they belong to the configuration.  Never NULL for a module of
 * config_modules[] in a loaded configuration.
 */
const void	*config_settings(const struct config *,
		    const struct conf_module *);
/*
 * What the nth module may do: the built-in modules first, then the shared
 * objects, in order; NULL past the last.  Belongs to the configuration.
 */
const struct conf_policy *config_policy(const struct config *, size_t n);

/*
 * For modules' hooks.  conf_error reports "file:line: message" for the
 * setting s (NULL: the file) and makes the load fail.  conf_check_members
 * reports each member of the group g whose name is not in keys as an
 * unknown setting of "kind owner", with a did-you-mean; it returns how
 * many there were.  conf_policy_header adds a copy of a header name to a
 * policy; it returns 0, or -1 when out of memory.  conf_dump_str and
 * conf_dump_double print a value so that config_load reads it back the
 * same.
 */
void	conf_error(struct conf_loader *, const config_setting_t *s,
	    const char *, ...) __attribute__((format(printf, 3, 4)));
int	conf_check_members(struct conf_loader *, const config_setting_t *g,
	    const char *kind, const char *owner, const char *const *keys,
	    size_t nkeys);
int	conf_policy_header(struct conf_policy *, const char *);
void	conf_dump_str(FILE *, const char *);
void	conf_dump_double(FILE *, double);
/*
 * For modules that read files of their own (list files): reports "file:
 * line: message" and makes the load fail.  conf_loader_settings gives a
 * check hook another module's settings, all read by then (NULL outside
 * a load).
 */
void	conf_error_line(struct conf_loader *, const char *file, int line,
	    const char *, ...) __attribute__((format(printf, 4, 5)));
const void *conf_loader_settings(struct conf_loader *,
	    const struct conf_module *);

/*
 * The settings of the log, the control socket and metrics (config_obs.c):
 * checked at load, from the core's checks.
 */
void	config_check_obs(struct conf_loader *, const struct config *);
/* syslog_facility's value (LOG_MAIL, ...), or -1 for an unknown name. */
int	config_facility(const char *name);
/* control_mode as a mode, or -1. */
int	config_mode(const char *);
/*
 * Splits metrics_listen's "ADDR:PORT" or "[ADDR6]:PORT" (numeric, ADDR
 * may be "*" for every address) into host and port; -1 when malformed.
 */
int	config_hostport(const char *, char *host, size_t hostlen,
	    char *port, size_t portlen);

#endif
