/*
 * view_stub: TEMPORARY.  The declarations of the message views that
 * branch i12-parse adds to filters/filter.h (HTML as text, URLs, archive
 * entries), so that the conditions of branch i12-rules build before the
 * two are merged.  The lead drops this file and view_stub.c at the merge;
 * filter.h then declares them (identically) and defines the flags.
 */
#ifndef FILTERS_VIEW_STUB_H
#define FILTERS_VIEW_STUB_H

#include <stddef.h>
#include <stdint.h>

#include "filters/filter.h"

#ifndef FILTER_ARCHIVE_ENCRYPTED
#define FILTER_ARCHIVE_ENCRYPTED	0x1
#define FILTER_ARCHIVE_UNREADABLE	0x2
#define FILTER_ARCHIVE_OVER_LIMIT	0x4
#endif

const uint8_t	*filter_msg_view_text(const struct filter_msg *, size_t *len_r);
size_t		 filter_msg_url_count(const struct filter_msg *);
const char	*filter_msg_url(const struct filter_msg *, size_t i);
const char	*filter_msg_url_host(const struct filter_msg *, size_t i);
size_t		 filter_msg_archive_entry_count(const struct filter_msg *);
const char	*filter_msg_archive_entry_name(const struct filter_msg *,
		    size_t i);
size_t		 filter_msg_archive_entry_depth(const struct filter_msg *,
		    size_t i);
int		 filter_msg_archive_flags(const struct filter_msg *);

#endif
