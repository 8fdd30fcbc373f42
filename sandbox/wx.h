/*
 * wx: W^X for code generated at run time (PCRE2's JIT).  Debian's PCRE2
 * (10.42, built without --enable-jit-sealloc) maps its JIT code
 * anonymous, readable, writable and executable, and leaves it so.  The
 * process that compiles -- a spawner, before it forks any worker --
 * seals it: every such mapping becomes read and execute only, and a
 * worker, whose seccomp filter refuses PROT_EXEC, can make nothing
 * executable again.  Linux: the mappings are read from /proc/self/maps,
 * so sealing must happen before a chroot hides /proc.  Elsewhere (FreeBSD
 * today) nothing can be sealed, and nothing may be made executable.
 */
#ifndef FILTERD_SANDBOX_WX_H
#define FILTERD_SANDBOX_WX_H

#include <stddef.h>

struct wx_sealed;	/* what wx_seal sealed */

/*
 * 1 where wx_seal can see the process's mappings; 0 where it cannot, and
 * where a caller must then generate no code at all (filters/host.c then
 * compiles no JIT code).
 */
int	wx_available(void);

/*
 * Makes every anonymous mapping of the calling process that is writable
 * and executable read and execute only, then reads the mappings again to
 * verify that none is left.  Returns 0 and sets *sealed_r (NULL when
 * there was none), or -1 with a message in err: /proc/self/maps cannot be
 * read, mprotect failed, or a mapping that is not anonymous (a file, the
 * stack) is writable and executable -- that is refused, not sealed, as
 * the code using it would fault.  Single-threaded callers only.
 */
int	wx_seal(struct wx_sealed **sealed_r, char *err, size_t errlen);

/*
 * Makes what wx_seal sealed readable and writable, never executable
 * again, so that the allocator of that code (whose free lists live inside
 * it) can free it; then frees the record and sets *sealedp to NULL.  Only
 * for a process about to exit, which runs none of that code any more.
 * Returns 0, or -1 when mprotect failed: the code must then not be freed.
 */
int	wx_unseal(struct wx_sealed **sealedp);

/*
 * How many mappings of the calling process are writable and executable,
 * or -1 when /proc/self/maps cannot be read.
 */
int	wx_count(void);

#endif
