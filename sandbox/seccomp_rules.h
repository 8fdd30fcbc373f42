/*
 * sandbox/seccomp_rules.h: internal to sandbox/.  The tables that every
 * seccomp policy of filterd is written as, and the one function that
 * turns them into a libseccomp filter: the worker's (seccomp.c) and those
 * of the supervisor, the spawner and the configuration checker
 * (seccomp_procs.c).  Runs wherever a policy is built; trusts its tables.
 *
 * A policy kills the process on any system call it does not list, and on
 * any architecture but the native one (libseccomp's arch check catches
 * i386 "int $0x80" by AUDIT_ARCH_I386 and x32 numbers by the 0x40000000
 * bit).  Each part of a policy is a table of rules with one action.
 */
#ifndef FILTERD_SANDBOX_SECCOMP_RULES_H
#define FILTERD_SANDBOX_SECCOMP_RULES_H

#include <stddef.h>
#include <stdint.h>

#include <seccomp.h>

struct policy_rule {
	const char		*name;
	int			 nr;
	unsigned int		 ncmp;
	struct scmp_arg_cmp	 cmp[3];
};

/* One table, and what happens to the calls it matches. */
struct policy_part {
	uint32_t			 action;
	const struct policy_rule	*rules;
	size_t				 nrules;
};

/*
 * Integer and descriptor arguments are compared on their low 32 bits, as
 * the kernel reads them (int or unsigned int), so that a value with junk
 * in the upper half cannot slip past: both (long)-1 and (unsigned)-1
 * match FD_IS(a, ANON_FD).
 */
#define FD_IS(a, fd)	{ .arg = (a), .op = SCMP_CMP_MASKED_EQ, \
			    .datum_a = 0xffffffffULL, .datum_b = (fd) }
#define ANON_FD		0xffffffffULL
#define NO_EXEC(a)	{ .arg = (a), .op = SCMP_CMP_MASKED_EQ, \
			    .datum_a = PROT_EXEC, .datum_b = 0 }
#define IS_NULL(a)	{ .arg = (a), .op = SCMP_CMP_EQ, .datum_a = 0 }
#define INT_IS(a, v)	{ .arg = (a), .op = SCMP_CMP_MASKED_EQ, \
			    .datum_a = 0xffffffffULL, .datum_b = (v) }
/* The bits of mask in argument a are exactly v. */
#define BITS_ARE(a, mask, v) { .arg = (a), .op = SCMP_CMP_MASKED_EQ, \
			    .datum_a = (mask), .datum_b = (v) }

#define RULE(sys, n, ...) \
	{ #sys, SCMP_SYS(sys), (n), { __VA_ARGS__ } }

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * Builds a filter that kills the process by default and on a foreign
 * architecture, then adds each part's rules with its action.  Returns
 * the context, for seccomp_load() or an export, or NULL with a message
 * in err.  Needs SECCOMP_RET_KILL_PROCESS (Linux 4.14).
 */
scmp_filter_ctx	sandbox_policy_build(const struct policy_part *, size_t,
		    char *err, size_t errlen);

/*
 * Fails with a message in err when the personality has READ_IMPLIES_EXEC,
 * which would make a PROT_READ mapping executable behind the prot checks.
 */
int		sandbox_check_personality(char *err, size_t errlen);

#endif
