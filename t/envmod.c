/*
 * envmod: a test module that reports, in log lines, the connection, the
 * envelope and the macros filter.h shows it, for t/09-testbench.sh: the
 * same lines from filterd -t with its envelope options and from the
 * milter frontend with the same envelope say that a module sees both
 * alike.  Built as users build their modules, against filter.h alone.
 */
#include <stdio.h>

#include "filters/filter.h"

static int
env_init(const config_setting_t *settings, void **state_r, char *err,
    size_t errlen)
{
	(void)settings;
	(void)err;
	(void)errlen;
	*state_r = NULL;
	return 0;
}

static const char *
or_null(const char *s)
{
	return s != NULL ? s : "(null)";
}

static int
env_check(void *state, const struct filter_msg *m, struct filter_result *r)
{
	size_t	 i, n = filter_msg_rcpt_count(m);

	(void)state;
	filter_log(r, "env client=%s name=%s helo=%s",
	    or_null(filter_msg_client_addr(m)),
	    or_null(filter_msg_client_name(m)), or_null(filter_msg_helo(m)));
	filter_log(r, "env from=<%s> rcpts=%zu", or_null(filter_msg_sender(m)),
	    n);
	for (i = 0; i < n && i < 3; i++)
		filter_log(r, "env rcpt=<%s>", or_null(filter_msg_rcpt(m, i)));
	filter_log(r, "env qid=%s auth=%s auth_type=%s",
	    or_null(filter_msg_queue_id(m)),
	    or_null(filter_msg_macro(m, "{auth_authen}")),
	    or_null(filter_msg_macro(m, "{auth_type}")));
	return 0;
}

const struct filter_module filterd_module = {
	.abi = FILTER_ABI_VERSION,
	.name = "env",
	.init = env_init,
	.check = env_check,
};
