/*
 * spawner_heap: runs in the spawner, once, after its set-up and its
 * seccomp policy and before it forks its first worker.  It trusts glibc's
 * allocator, and relies on how that works for speed only: whatever glibc
 * does, every chunk taken here is a valid allocation, freed at exit.
 *
 * A worker's heap is the spawner's, shared copy-on-write, and every page a
 * worker writes is copied for it: a page fault each.  The set-up (the
 * configuration, the modules and their patterns, the seccomp policies)
 * leaves freed chunks all over that heap, and glibc serves a worker's
 * allocations from them first: each chunk taken, split, sorted or merged
 * is on a page of its own.  That was 28 of the 42 page faults of a worker
 * for a 2 KB message (perf record -e page-faults on the workers).  With
 * every free chunk taken here, glibc has only the top of the heap left,
 * fresh pages that a worker's allocations fill one after the other: 21 to
 * 24 faults.
 *
 * glibc keeps a freed chunk in one of three places: the thread's cache
 * (up to seven chunks of each size up to 1 KB, which mallinfo2 counts as
 * in use), the fast bins, or the other bins (counted as free, like the
 * top chunk, whose size is mallinfo2's keepcost).  An allocation that
 * changes nothing mallinfo2 counts came from the cache; one that lowers
 * the free bytes below the top came from a bin; one that lowers keepcost
 * or grows the heap came from the top.
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#include <stddef.h>
#include <stdlib.h>
#if defined(HAVE_MALLINFO2) && !defined(FD_SANITIZERS)
#include <malloc.h>
#define HEAP_SETTLE	1
#endif

#include "filterd/spawner_heap.h"

/* A chunk taken, linked to the next through its first word. */
struct spawner_heap {
	struct spawner_heap	*next;
};

#ifdef HEAP_SETTLE

/* glibc's thread cache: 64 sizes of chunk, 32 to 1040 bytes. */
#define CACHE_SIZES	64
#define CACHE_REQUEST(i) ((size_t)(i) * 16 + 24)
/* Allocations at most, whatever the heap looks like. */
#define SETTLE_MAX	65536

/*
 * Requests for the bins, largest first.  The first, of glibc's large bins,
 * also merges the fast bins into the others; each is repeated until glibc
 * takes it from the top; the last, the smallest chunk there is, takes
 * whatever is left.  All are below glibc's least threshold for mmap.
 */
static const size_t	bin_requests[] = {
	65536, 16384, 4096, 1024, 512, 256, 128, 64, 40, 24
};

struct settle {
	struct spawner_heap	*kept;
	size_t			 n;
};

enum source { FROM_CACHE, FROM_BIN, FROM_TOP, FAILED };

/* Takes len bytes for good; says where glibc found them. */
static enum source
heap_take(struct settle *s, size_t len)
{
	struct mallinfo2	 a, b;
	struct spawner_heap	*h;

	a = mallinfo2();
	if (s->n >= SETTLE_MAX || (h = malloc(len)) == NULL)
		return FAILED;
	b = mallinfo2();
	h->next = s->kept;
	s->kept = h;
	s->n++;
	if (b.arena != a.arena || b.keepcost < a.keepcost)
		return FROM_TOP;
	return b.fordblks == a.fordblks ? FROM_CACHE : FROM_BIN;
}

/* Takes chunks of len bytes until glibc has none but from the top. */
static int
heap_take_all(struct settle *s, size_t len)
{
	enum source	src;

	while ((src = heap_take(s, len)) != FROM_TOP)
		if (src == FAILED)
			return -1;
	return 0;
}

struct spawner_heap *
spawner_heap_settle(size_t *nchunks_r)
{
	struct settle	s = { NULL, 0 };
	size_t		i;

	/* The bins, then the cache, which taking from a bin may refill. */
	for (i = 0; i < sizeof(bin_requests) / sizeof(bin_requests[0]); i++)
		if (heap_take_all(&s, bin_requests[i]) == -1)
			goto done;
	for (i = 0; i < CACHE_SIZES; i++)
		if (heap_take_all(&s, CACHE_REQUEST(i)) == -1)
			break;
done:
	*nchunks_r = s.n;
	return s.kept;
}

#else /* !HEAP_SETTLE */

struct spawner_heap *
spawner_heap_settle(size_t *nchunks_r)
{
	*nchunks_r = 0;
	return NULL;
}

#endif /* HEAP_SETTLE */

void
spawner_heap_free(struct spawner_heap **hp)
{
	struct spawner_heap	*h, *next;

	for (h = *hp; h != NULL; h = next) {
		next = h->next;
		free(h);
	}
	*hp = NULL;
}
