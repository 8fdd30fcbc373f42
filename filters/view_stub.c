/*
 * view_stub: TEMPORARY weak fallbacks for the message views of branch
 * i12-parse (see view_stub.h), so that branch i12-rules links alone: the
 * text view is the decoded text parts, and there are no URLs and no
 * archive entries.  Runs in the worker.  The lead drops this file at the
 * merge; i12-parse's strong definitions win over these meanwhile.
 */
#include "filters/filter_impl.h"
#include "filters/mime.h"
#include "filters/view_stub.h"

__attribute__((weak)) const uint8_t *
filter_msg_view_text(const struct filter_msg *fm, size_t *len_r)
{
	return filter_msg_text(fm, len_r);
}

__attribute__((weak)) size_t
filter_msg_url_count(const struct filter_msg *fm)
{
	return 0;
}

__attribute__((weak)) const char *
filter_msg_url(const struct filter_msg *fm, size_t i)
{
	return NULL;
}

__attribute__((weak)) const char *
filter_msg_url_host(const struct filter_msg *fm, size_t i)
{
	return NULL;
}

__attribute__((weak)) size_t
filter_msg_archive_entry_count(const struct filter_msg *fm)
{
	return 0;
}

__attribute__((weak)) const char *
filter_msg_archive_entry_name(const struct filter_msg *fm, size_t i)
{
	return NULL;
}

__attribute__((weak)) size_t
filter_msg_archive_entry_depth(const struct filter_msg *fm, size_t i)
{
	return 0;
}

__attribute__((weak)) int
filter_msg_archive_flags(const struct filter_msg *fm)
{
	return 0;
}
