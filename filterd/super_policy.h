/*
 * super_policy: the supervisor's check of every field of every verdict before
 * a frontend relays anything to the MTA.  Runs in the supervisor.  Trusts
 * nothing in the verdict; trusts the policy, which is derived from the
 * configuration.
 *
 * Each check returns 0, or -1 with a short static reason in *why_r that
 * names the field and the fault, for the log line.
 */
#ifndef FILTERD_SUPER_POLICY_H
#define FILTERD_SUPER_POLICY_H

#include <stdint.h>

struct config;
struct verdict;

struct policy {
	uint32_t	 actions;	/* bit (1 << ACTION_x) when allowed */
	const char	**headers;	/* names, or prefixes ending in '*' */
	size_t		 nheaders;
};

/*
 * Derives what workers may say from the configuration: accept always,
 * allowed_headers, and what every module declared it may do (its
 * conf_policy, read from the configuration -- no module is loaded).
 * Returns 0 or -1 (out of memory).  The policy borrows the config's strings.
 */
int	policy_init(struct policy *, const struct config *);
void	policy_clear(struct policy *);

/* Returns 1 when the policy lets workers touch the named header. */
int	validate_hdr_allowed(const struct policy *, const char *);

/*
 * Checks a decoded verdict against the job's nonce and the policy: action,
 * reply code, enhanced code and text, quarantine reason, every header
 * operation, rule names, log lines and the trace (filterd -t --trace).
 */
int	validate_verdict(const struct verdict *, uint64_t nonce,
	    const struct policy *, const char **why_r);

#endif
