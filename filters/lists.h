/*
 * lists: address, domain and network lists that conditions refer to
 * ("sender_in", "client_addr_in", ...).  A list is read from a file (one
 * entry a line, '#' comments) and/or written inline in the configuration,
 * wherever a configuration is loaded; a snapshot carries the entries
 * themselves, so that a spawner in its chroot never opens a list file and
 * a worker never sees one.  Matching is by exact address, by domain and
 * its parent domains, or by the longest network prefix -- never by
 * pattern.  An entry that starts with '!' excludes: the most specific
 * entry that covers a value decides.
 */
#ifndef FILTERS_LISTS_H
#define FILTERS_LISTS_H

#include <stddef.h>
#include <stdint.h>

#include "filterd/lib/config.h"

enum list_type {
	LIST_ADDRESS = 1,	/* local@domain, compared without case */
	LIST_DOMAIN,		/* a domain and every domain under it */
	LIST_NETWORK,		/* IPv4 or IPv6 address blocks */
};

/* Bounds of what a list file may hold (the snapshot must carry it all). */
#define LIST_FILE_MAX		(4 * 1024 * 1024)
#define LIST_TOTAL_MAX		(8 * 1024 * 1024)
#define LIST_LINE_MAX		512
/* What the entries may take in the snapshot (CONFIG_SNAPSHOT_MAX: 16). */
#define LIST_DUMP_MAX		(12 * 1024 * 1024)

struct list_net {
	uint8_t		 family;	/* 4 or 6 */
	uint8_t		 bits;
	uint8_t		 a[16];		/* host bits cleared */
	uint8_t		 exclude;
};

struct list_str {
	char		*s;		/* lower case (address: domain part) */
	int		 exclude;
};

struct list {
	char		*name;
	int		 type;		/* enum list_type */
	char		*file;		/* as written, or NULL */
	int		 line;		/* of its definition */
	const config_setting_t *where;
	struct list_str	*strs;		/* sorted, for LIST_ADDRESS, _DOMAIN */
	size_t		 nstrs;
	struct list_net	*nets;		/* sorted, for LIST_NETWORK */
	size_t		 nnets;
	uint8_t		 lens4[33];	/* prefix lengths present */
	uint8_t		 lens6[129];
	int		 used;		/* referred to by a condition */
};

/* The list "lists": config_settings(c, &lists_settings). */
struct lists_conf {
	struct list	*v;
	size_t		 n;
	size_t		 total;		/* bytes of list files read */
	size_t		 dumped;	/* list_dump_size of them all */
};

extern const struct conf_module lists_settings;

/* The list so named, or NULL. */
struct list	*lists_find(const struct lists_conf *, const char *name);
const char	*list_type_name(int);
extern const char *const list_types[];	/* by enum list_type */

/*
 * Adds one entry, as a file line holds it once trimmed ("!" first to
 * exclude).  Returns 0, or -1 with *why_r set for an entry its list's
 * type cannot hold.  list_finish sorts the entries; it returns -1 with
 * *why_r set when an entry is there twice.
 */
int	list_add(struct list *, const char *entry, const char **why_r);
int	list_finish(struct list *, const char **why_r);
/*
 * Parses the text of a list file, entry by entry; for each line it
 * cannot take, calls err(arg, line, why) and goes on.  Returns the number
 * of such lines, or -1 when out of memory.
 */
int	list_parse(struct list *, const char *text, size_t len,
	    void (*err)(void *, int, const char *), void *arg);
void	list_clear(struct list *);

/*
 * Matching, in the worker (pure, no allocation).  Each returns 1 when
 * the list covers the value, 0 when not (a value that is no address or
 * domain at all is not covered).  list_match takes any value and matches
 * it as the list's type reads it: an address list the whole address
 * (angle brackets dropped), a domain list the part after the last '@',
 * a network list an IP address.  *entry_r, when not NULL, gets the entry
 * that decided, for a trace.
 */
int	list_match(const struct list *, const char *value,
	    const char **entry_r);

#endif
