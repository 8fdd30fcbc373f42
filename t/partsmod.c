/*
 * partsmod: a test module that reports, one log line each, what the MIME
 * accessors of filter.h show of a message, for t/08-module.sh.  Built as
 * users build their modules, against filter.h alone.
 */
#include <stdio.h>

#include "filters/filter.h"

static int
parts_init(const config_setting_t *settings, void **state_r, char *err,
    size_t errlen)
{
	(void)settings;
	(void)err;
	(void)errlen;
	*state_r = NULL;
	return 0;
}

/* The first bytes of p, with anything not printable as '.'. */
static void
printable(const uint8_t *p, size_t len, char *out, size_t outlen)
{
	size_t	 i;

	for (i = 0; i < len && i + 1 < outlen; i++)
		out[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '.';
	out[i] = '\0';
}

static int
parts_check(void *state, const struct filter_msg *m, struct filter_result *r)
{
	const uint8_t	*p;
	char		 start[24];
	size_t		 i, n, len;

	(void)state;
	p = filter_msg_text(m, &len);
	printable(p, len, start, sizeof(start));
	filter_log(r, "text %zu bytes: %s", len, start);
	n = filter_msg_part_count(m);
	for (i = 0; i < n; i++) {
		p = filter_msg_part_data(m, i, &len);
		printable(p, len < 8 ? len : 8, start, sizeof(start));
		filter_log(r, "part %zu depth %zu %s name=%s attachment=%d "
		    "bytes=%zu starts=%s", i, filter_msg_part_depth(m, i),
		    filter_msg_part_type(m, i), filter_msg_part_filename(m, i),
		    filter_msg_part_is_attachment(m, i), len, start);
	}
	if (filter_msg_part_type(m, n) == NULL &&
	    filter_msg_part_filename(m, n) == NULL &&
	    filter_msg_part_data(m, n, &len) == NULL && len == 0 &&
	    filter_msg_part_depth(m, n) == 0 &&
	    filter_msg_part_is_attachment(m, n) == 0)
		filter_log(r, "past the last part: nothing");
	return 0;
}

const struct filter_module filterd_module = {
	.abi = FILTER_ABI_VERSION,
	.name = "parts",
	.init = parts_init,
	.check = parts_check,
};
