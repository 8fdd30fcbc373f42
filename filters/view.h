/*
 * view: what a reader of one message sees -- its text, its URLs, the
 * names inside its archives -- computed in the worker the first time a
 * module asks (filter.h's filter_msg_view_text, filter_msg_url*,
 * filter_msg_archive_*), so that a message no rule asks about costs
 * nothing.  Runs in the worker, inside the sandbox, over the hostile
 * message that mime.c parsed; trusts the limits it is given.
 */
#ifndef FILTERD_VIEW_H
#define FILTERD_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "filters/archwalk.h"

struct mime;

#define VIEW_URL_OVER_LIMIT	0x01	/* more URLs than max_urls */

struct view_limits {
	size_t			max_text;	/* bytes of the text view */
	size_t			max_urls;	/* distinct URLs */
	struct arch_limits	arch;
};

struct view;

/*
 * Readies the process for views in workers forked after it: to be called
 * once before the sandbox, where the spawner loads the modules.  Zip and
 * rar times are DOS local times, which libarchive converts with mktime();
 * glibc's mktime() looks at /etc/localtime again on every call while TZ
 * is unset, and a worker may not open files.  With TZ set (to
 * ":/etc/localtime", the same zone) glibc reads the file once, here, and
 * never again.  TZ set by the administrator is kept.  LC_CTYPE becomes
 * C.UTF-8 (when there is one), for libarchive's entry names, which it
 * gives in the locale's charset.  Likewise, names
 * libarchive converts between UTF-8 and the locale's charset go through
 * iconv, and glibc's first iconv_open() reads gconv-modules.cache: done
 * here, the workers inherit the list and open nothing (the conversions
 * between UTF-8, UTF-16 and ASCII are built into glibc, no module is
 * loaded for them).
 */
void		 view_prepare(void);

/*
 * A view of the message that mime holds, which must outlive it; computes
 * nothing yet.  Returns NULL when memory runs out.
 */
struct view	*view_new(const struct mime *, const struct view_limits *);
void		 view_free(struct view **);

/*
 * The text a reader sees: each text/plain part's text, and each
 * text/html part's as html.c renders it, a newline between parts; UTF-8,
 * at most max_text bytes, not NUL-terminated.  Never NULL.
 */
const uint8_t	*view_text(struct view *, size_t *len_r);

/*
 * The distinct URLs of the text and HTML parts (url.h's normal form, in
 * the order first seen), from href, src and the like and from the text
 * itself, references decoded first.  Past max_urls, or when memory runs
 * out, the rest are not kept and VIEW_URL_OVER_LIMIT is set.  Index past
 * the count: NULL.
 */
size_t		 view_url_count(struct view *);
const char	*view_url(struct view *, size_t);
const char	*view_url_host(struct view *, size_t);
unsigned	 view_url_flags(struct view *);

/*
 * The archive attachments' entries, in part order (archwalk.h), and
 * their ARCH_* flags.  Index past the count: NULL, or 0.
 */
size_t		 view_entry_count(struct view *);
const struct arch_entry *view_entry(struct view *, size_t);
unsigned	 view_arch_flags(struct view *);

#endif
