/*
 * example: a filterd module, as a starting point for your own.  It looks
 * for shouting -- a Subject in capitals -- and tags or rejects it.
 *
 * Build it against the installed header (make install puts this file,
 * example.conf and Makefile.example in the documentation's examples
 * directory) and load it:
 *
 *	cc $(pkg-config --cflags filterd) -o example.so example.c \
 *	    $(pkg-config --libs filterd)
 *
 *	modules = ( { path = "/usr/local/lib/filterd/example.so";
 *	              actions = [ "reject" ];
 *	              headers = [ "X-Example-Shout" ];
 *	              settings = { min_length = 8; reject = false; }; } );
 *
 * init runs in filterd's spawner, once; check runs in a sandboxed worker,
 * once per message, and must not open anything.  See filterd-module(3).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <filter.h>

struct shout {
	int	 min_length;	/* capitals in a row that count as shouting */
	int	 reject;	/* reject instead of tagging */
};

static int
shout_init(const config_setting_t *settings, void **state_r, char *err,
    size_t errlen)
{
	struct shout	*st;
	int		 v;

	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	st->min_length = 8;
	if (settings != NULL) {
		if (config_setting_lookup_int(settings, "min_length", &v))
			st->min_length = v;
		if (config_setting_lookup_bool(settings, "reject", &v))
			st->reject = v;
	}
	if (st->min_length < 1) {
		snprintf(err, errlen, "min_length must be at least 1");
		free(st);
		return -1;
	}
	*state_r = st;
	return 0;
}

/* The longest run of capital letters, spaces included, in s. */
static int
longest_capitals(const char *s)
{
	int	 run = 0, best = 0;

	for (; *s != '\0'; s++) {
		if (isupper((unsigned char)*s) || (*s == ' ' && run > 0))
			run++;
		else
			run = 0;
		if (run > best)
			best = run;
	}
	return best;
}

static int
shout_check(void *state, const struct filter_msg *m, struct filter_result *r)
{
	const struct shout	*st = state;
	const char		*subject;

	subject = filter_msg_header(m, "Subject", 1);
	if (subject == NULL || longest_capitals(subject) < st->min_length)
		return 0;
	filter_hit(r, "example-shout");
	filter_add_score(r, 1.5);
	if (st->reject)
		return filter_set_action(r, FILTER_REJECT,
		    "550 5.7.1 Please do not shout");
	return filter_add_header(r, "X-Example-Shout", "yes");
}

static void
shout_free(void *state)
{
	free(state);
}

const struct filter_module filterd_module = {
	.abi = FILTER_ABI_VERSION,
	.name = "example-shout",
	.init = shout_init,
	.check = shout_check,
	.free = shout_free,
};
