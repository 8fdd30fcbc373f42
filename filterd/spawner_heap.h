/*
 * spawner_heap: the spawner's heap, made ready to be shared with workers.
 * Runs in the spawner once its set-up is done, before the first fork; it
 * trusts the C library's allocator, and relies on how it works only for
 * speed, never for safety.
 */
#ifndef FILTERD_SPAWNER_HEAP_H
#define FILTERD_SPAWNER_HEAP_H

#include <stddef.h>

struct spawner_heap;

/*
 * Takes for good every chunk that the heap holds free, so that a worker's
 * allocations come from fresh memory at its top instead of from chunks
 * scattered over the pages it shares with the spawner, each of which it
 * would copy on its first write.  Best effort: with glibc's allocator it
 * leaves only the top chunk free; with another (a sanitizer's, another
 * libc) it does nothing.  Returns what it took, to be given back by
 * spawner_heap_free(), or NULL when it took nothing; *nchunks_r gets how
 * many chunks that is.
 */
struct spawner_heap	*spawner_heap_settle(size_t *nchunks_r);

/* Frees what spawner_heap_settle() took, and sets *hp to NULL. */
void			 spawner_heap_free(struct spawner_heap **hp);

#endif
