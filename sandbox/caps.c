/*
 * sandbox/caps.c: keeping a named set of capabilities, for the parent,
 * which stays root and must keep what it uses and nothing else.  Runs in
 * the parent at start-up; trusts its caller's lists.  (privdrop.c drops
 * every capability, for the processes that keep none.)
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#include <sys/types.h>
#include <sys/capability.h>

#include <errno.h>
#include <string.h>

#include "sandbox/sandbox.h"
#include "sandbox/seterr.h"

static int
caps_listed(cap_value_t cap, const int *list, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (list[i] == (int)cap)
			return 1;
	return 0;
}

/* What the process is to keep: keep, as far as it has them now. */
static cap_t
caps_wanted(cap_t have, const int *keep, size_t nkeep)
{
	cap_flag_value_t	 v;
	cap_value_t		 cap;
	cap_t			 want;
	size_t			 i;

	if ((want = cap_init()) == NULL)
		return NULL;
	for (i = 0; i < nkeep; i++) {
		cap = (cap_value_t)keep[i];
		if (cap_get_flag(have, cap, CAP_PERMITTED, &v) == -1 ||
		    v != CAP_SET)
			continue;
		if (cap_set_flag(want, CAP_PERMITTED, 1, &cap, CAP_SET) == -1 ||
		    cap_set_flag(want, CAP_EFFECTIVE, 1, &cap, CAP_SET) == -1) {
			(void)cap_free(want);
			return NULL;
		}
	}
	return want;
}

/*
 * Drops from the bounding set what bound does not list.  That needs
 * CAP_SETPCAP, effective: raised first when permitted.  Without it the
 * kernel refuses (EPERM), which is accepted: such a process holds no
 * capability to pass on at exec.
 */
static int
caps_bound(cap_t have, const int *bound, size_t nbound, char *err,
    size_t errlen)
{
	const cap_value_t	 setpcap = CAP_SETPCAP;
	cap_flag_value_t	 v = CAP_CLEAR;
	cap_value_t		 cap, max = (cap_value_t)cap_max_bits();
	cap_t			 raised;
	int			 rc;

	(void)cap_get_flag(have, CAP_SETPCAP, CAP_PERMITTED, &v);
	if (v == CAP_SET) {
		if ((raised = cap_dup(have)) == NULL ||
		    cap_set_flag(raised, CAP_EFFECTIVE, 1, &setpcap,
		    CAP_SET) == -1 || cap_set_proc(raised) == -1) {
			sandbox_seterr(err, errlen, "raising CAP_SETPCAP: %s",
			    strerror(errno));
			if (raised != NULL)
				(void)cap_free(raised);
			return -1;
		}
		(void)cap_free(raised);
	}
	for (cap = 0; cap < max; cap++) {
		if (caps_listed(cap, bound, nbound) ||
		    (rc = cap_get_bound(cap)) == 0)
			continue;
		if (rc == 1 && cap_drop_bound(cap) == 0)
			continue;
		if (rc == 1 && errno == EPERM && v != CAP_SET)
			return 0;
		sandbox_seterr(err, errlen, "dropping capability %d from the "
		    "bounding set: %s", (int)cap, strerror(errno));
		return -1;
	}
	return 0;
}

/* Reads back: exactly want, nothing ambient, nothing unlisted bounding. */
static int
caps_verify(cap_t want, const int *bound, size_t nbound, int bounded,
    char *err, size_t errlen)
{
	cap_value_t	 cap, max = (cap_value_t)cap_max_bits();
	cap_t		 now;
	int		 rc;

	if ((now = cap_get_proc()) == NULL) {
		sandbox_seterr(err, errlen, "cap_get_proc: %s", strerror(errno));
		return -1;
	}
	rc = cap_compare(now, want);
	(void)cap_free(now);
	if (rc != 0) {
		sandbox_seterr(err, errlen, "capabilities differ from those "
		    "kept");
		return -1;
	}
	for (cap = 0; cap < max; cap++) {
		if (cap_get_ambient(cap) != 0 ||
		    (bounded && !caps_listed(cap, bound, nbound) &&
		    cap_get_bound(cap) != 0)) {
			sandbox_seterr(err, errlen, "capability %d left",
			    (int)cap);
			return -1;
		}
	}
	return 0;
}

int
sandbox_caps_limit(const int *keep, size_t nkeep, const int *bound,
    size_t nbound, char *err, size_t errlen)
{
	cap_flag_value_t	 setpcap = CAP_CLEAR;
	cap_t			 have, want = NULL;
	int			 rc = -1;

	if ((have = cap_get_proc()) == NULL) {
		sandbox_seterr(err, errlen, "cap_get_proc: %s", strerror(errno));
		return -1;
	}
	(void)cap_get_flag(have, CAP_SETPCAP, CAP_PERMITTED, &setpcap);
	if ((want = caps_wanted(have, keep, nkeep)) == NULL)
		sandbox_seterr(err, errlen, "capability sets: %s",
		    strerror(errno));
	else if (caps_bound(have, bound, nbound, err, errlen) == 0) {
		if (cap_reset_ambient() == -1 || cap_set_proc(want) == -1)
			sandbox_seterr(err, errlen, "keeping capabilities: %s",
			    strerror(errno));
		else
			rc = caps_verify(want, bound, nbound,
			    setpcap == CAP_SET, err, errlen);
	}
	(void)cap_free(have);
	if (want != NULL)
		(void)cap_free(want);
	return rc;
}
