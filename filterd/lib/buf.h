/*
 * buf: the one bounded byte buffer of filterd, for building and reading
 * frames and strings.  Used by every process; trusts nothing it reads.
 *
 * A struct buf grows up to a hard maximum fixed at creation and never past
 * it: every append either fits whole or fails with -1 and leaves the buffer
 * unchanged.  A struct rd reads a byte range; every read is bounded by what
 * is left, and the first failure sticks, so a decoder can read all fields
 * and check rd_end() once.
 */
#ifndef FILTERD_LIB_BUF_H
#define FILTERD_LIB_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf;

/* Returns an empty buffer that will never hold more than max bytes. */
struct buf	*buf_new(size_t max);
void		 buf_free(struct buf **);
void		 buf_reset(struct buf *);
const uint8_t	*buf_data(const struct buf *);
size_t		 buf_len(const struct buf *);
size_t		 buf_max(const struct buf *);

/* Appends; returns 0, or -1 when the bytes would pass the maximum. */
int	buf_put(struct buf *, const void *, size_t);
int	buf_put_u8(struct buf *, uint8_t);
int	buf_put_u16(struct buf *, uint16_t);
int	buf_put_u32(struct buf *, uint32_t);
int	buf_put_u64(struct buf *, uint64_t);
/* A u32 length, then the bytes; a NULL string is put as length 0. */
int	buf_put_str(struct buf *, const char *);
int	buf_put_mem(struct buf *, const void *, size_t);
/* Formats and appends, bounded; -1 when it would not fit. */
int	buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/*
 * Returns room for n more bytes at the end, for a read into it, or NULL
 * when n would pass the maximum; buf_commit then counts what was read.
 */
void	*buf_space(struct buf *, size_t n);
void	 buf_commit(struct buf *, size_t n);
/* Overwrites a u32 (big-endian) at an offset already written. */
int	buf_poke_u32(struct buf *, size_t, uint32_t);
/*
 * Returns the contents as a NUL-terminated string (the NUL is not counted
 * in buf_len; a buffer always has room for it, even when full), or NULL
 * when memory runs out.
 */
const char *buf_cstr(struct buf *);

struct rd {
	const uint8_t	*p;
	size_t		 len;
	size_t		 off;
	int		 err;
};

void	rd_init(struct rd *, const void *, size_t);
int	rd_u8(struct rd *, uint8_t *);
int	rd_u16(struct rd *, uint16_t *);
int	rd_u32(struct rd *, uint32_t *);
int	rd_u64(struct rd *, uint64_t *);
/*
 * Reads a length-prefixed string of at most max bytes into a new
 * NUL-terminated allocation in *s_r (NULL for length 0 when nullable is
 * set, "" otherwise).  Rejects embedded NUL bytes.  Returns 0 or -1.
 */
int	rd_str(struct rd *, size_t max, int nullable, char **s_r);
/* Points *p_r at a length-prefixed byte range of at most max bytes. */
int	rd_mem(struct rd *, size_t max, const uint8_t **p_r, size_t *len_r);
/* Returns 0 when every byte was read and no read failed, else -1. */
int	rd_end(const struct rd *);
size_t	rd_left(const struct rd *);

#endif
