/*
 * archwalk: the names inside archive attachments (zip, rar, 7z, tar,
 * and tar or a single file compressed with gzip, bzip2 or xz), nested
 * archives included, read with libarchive from memory.  Runs in the
 * worker, inside the sandbox, over hostile archives; bounded by entries,
 * depth and decompressed bytes (struct arch_limits), and failing closed:
 * whatever libarchive cannot read is flagged, never skipped.
 *
 * libarchive in the worker: it is given the bytes (archive_read_open_memory)
 * and only the formats and filters above are enabled, each built into
 * Debian's libarchive (an external helper program would need fork and
 * exec: arch_walk() refuses a filter that needs one).  At read time it
 * allocates and nothing more -- no file, no thread; t/37-archive.sh reads
 * every format through filterd -t under the worker's seccomp policy.
 */
#ifndef FILTERD_ARCHWALK_H
#define FILTERD_ARCHWALK_H

#include <stddef.h>
#include <stdint.h>

/* Flags; the same bits as filter.h's FILTER_ARCHIVE_*. */
#define ARCH_ENCRYPTED	0x01	/* an entry, or the names, encrypted */
#define ARCH_UNREADABLE	0x02	/* libarchive failed on an archive */
#define ARCH_OVER_LIMIT	0x04	/* a bound was reached: not all seen */

#define ARCH_NAME_MAX	1024	/* an entry's path, with its NUL */

struct arch_limits {
	size_t		 max_entries;	/* all archives of a message */
	size_t		 max_depth;	/* 1: no archive inside an archive */
	uint64_t	 max_bytes;	/* decompressed, all levels */
};

struct arch_entry {
	char		*name;	/* "inner.zip/x.exe"; controls as '_' */
	size_t		 depth;	/* 1: in the attachment itself */
	size_t		 part;	/* the MIME part */
};

/* What one message's archives hold.  Zero it, set lim, then arch_walk. */
struct arch_list {
	const struct arch_limits *lim;
	struct arch_entry	*v;
	size_t			 n;
	size_t			 cap;
	uint64_t		 bytes;	/* decompressed so far */
	unsigned		 flags;
};

/*
 * Returns 1 when a MIME part named filename (may be "") with these bytes
 * is to be read as an archive: its bytes start like one of the formats
 * above, or its name ends in one of their extensions (.zip, .rar, .7z,
 * .tar, .tgz, .gz, ...).  A document that is a zip inside (.docx, .odt,
 * .epub and the like) is not.
 */
int	arch_is_archive(const char *filename, const uint8_t *data, size_t len);

/*
 * Lists the entries of the archive in data, the MIME part part named
 * filename, into l, and of the archives inside it down to max_depth.
 * Sets l->flags as the archive deserves.  Returns 0, or -1 when memory
 * ran out (l->flags then has ARCH_UNREADABLE too).
 */
int	arch_walk(struct arch_list *l, size_t part, const char *filename,
	    const uint8_t *data, size_t len);

void	arch_list_free(struct arch_list *);

#endif
