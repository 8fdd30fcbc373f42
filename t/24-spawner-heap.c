/*
 * t/24-spawner-heap.c: spawner_heap_settle() (filterd/spawner_heap.c).
 * Runs as a test program, as any user.
 *
 * Each case runs in a child, with a heap of its own: it fragments it as a
 * spawner's set-up does (many allocations of many sizes, every other one
 * freed), settles it or not, then allocates and frees as a worker does,
 * and counts the allocations that glibc served from below the end of the
 * set-up's chunks -- on pages that a worker would share with its spawner
 * and copy on its first write.  Settled, there must
 * be none; not settled, there are many, which says that the case can
 * tell.
 */
#include <sys/wait.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filterd/spawner_heap.h"
#include "t/tap.h"

#define SETUP_BLOCKS	4000	/* the set-up's allocations */
#define WORKER_BLOCKS	600	/* a worker's */
#define REUSED_MAX	250	/* exit statuses stop here */

static uint32_t	t_seed = 12345;

/* A deterministic size in [lo, hi]. */
static size_t
rnd_size(size_t lo, size_t hi)
{
	t_seed = t_seed * 1103515245U + 12345U;
	return lo + (t_seed >> 8) % (hi - lo + 1);
}

/*
 * Leaves the heap as a set-up does: chunks of every size, half freed.
 * Returns the end of the highest of them.
 */
static uintptr_t
fragment(void)
{
	static void	*p[SETUP_BLOCKS];
	uintptr_t	 end = 0;
	size_t		 i, len;

	for (i = 0; i < SETUP_BLOCKS; i++) {
		len = rnd_size(8, i % 10 == 0 ? 8000 : 600);
		if ((p[i] = malloc(len)) == NULL)
			_exit(REUSED_MAX + 1);
		if ((uintptr_t)p[i] + len > end)
			end = (uintptr_t)p[i] + len;
	}
	for (i = 0; i < SETUP_BLOCKS; i += 2)
		free(p[i]);
	return end;
}

/*
 * Allocates as a worker does, freeing some as it goes; returns how many
 * allocations were below mark.
 */
static int
work(uintptr_t mark)
{
	void	*p[WORKER_BLOCKS];
	size_t	 i;
	int	 below = 0;

	for (i = 0; i < WORKER_BLOCKS; i++) {
		if ((p[i] = malloc(rnd_size(1, i % 20 == 0 ? 4000 : 200))) ==
		    NULL)
			_exit(REUSED_MAX + 1);
		below += (uintptr_t)p[i] < mark;
		if (i % 3 == 2)
			free(p[i - 1]);
	}
	return below;
}

/* In a child: returns (as its exit status) the allocations below mark. */
static void __attribute__((noreturn))
child(int settle)
{
	struct spawner_heap	*h = NULL;
	uintptr_t		 mark;
	size_t			 n = 0;
	int			 below;

	mark = fragment();
	if (settle && (h = spawner_heap_settle(&n)) == NULL)
		_exit(REUSED_MAX + 2);
	below = work(mark);
	spawner_heap_free(&h);
	_exit(below > REUSED_MAX ? REUSED_MAX : below);
}

/* Runs child(settle); returns its exit status, or -1. */
static int
run(int settle)
{
	pid_t	pid;
	int	status;

	if ((pid = fork()) == -1)
		bail("fork: %s", strerror(errno));
	if (pid == 0)
		child(settle);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

int
main(void)
{
	struct spawner_heap	*h;
	size_t			 n;
	int			 plain, settled;

	/* Where the settle does nothing, there is nothing to test. */
	h = spawner_heap_settle(&n);
	spawner_heap_free(&h);
	if (n == 0) {
		printf("1..0 # SKIP spawner_heap_settle does nothing with this "
		    "allocator (a sanitizer's, or a libc without mallinfo2)\n");
		return 0;
	}
	plan(4);
	ok(h == NULL, "spawner_heap_free sets NULL");
	plain = run(0);
	ok(plain > 50 && plain <= REUSED_MAX, "not settled, a worker's "
	    "allocations reuse the set-up's free chunks (%d of %d)", plain,
	    WORKER_BLOCKS);
	settled = run(1);
	if (settled == REUSED_MAX + 2)
		diag("spawner_heap_settle took nothing");
	is_int(settled, 0, "settled, a worker allocates only above the "
	    "set-up's chunks");
	is_int(run(1), settled, "and so does the next one");
	return done_testing();
}
