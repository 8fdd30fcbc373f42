/*
 * buf: bounded byte buffers and readers.  Runs in every process.  This file
 * is one of the few places with pointer arithmetic over untrusted bytes; all
 * of it is checked against len and off before it happens.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filterd/lib/buf.h"

struct buf {
	uint8_t	*data;
	size_t	 len;
	size_t	 cap;
	size_t	 max;
};

struct buf *
buf_new(size_t max)
{
	struct buf *b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->max = max;
	return b;
}

void
buf_free(struct buf **bp)
{
	if (*bp == NULL)
		return;
	free((*bp)->data);
	free(*bp);
	*bp = NULL;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
}

const uint8_t *
buf_data(const struct buf *b)
{
	return b->data;
}

size_t
buf_len(const struct buf *b)
{
	return b->len;
}

size_t
buf_max(const struct buf *b)
{
	return b->max;
}

/* Makes room for n more bytes; the room may include one for a NUL. */
static int
buf_reserve(struct buf *b, size_t n)
{
	size_t	 need, ncap;
	uint8_t	*p;

	if (n > b->max - b->len + 1)
		return -1;
	need = b->len + n;
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 256;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
	if (ncap > b->max + 1)
		ncap = b->max + 1;
	if ((p = realloc(b->data, ncap)) == NULL)
		return -1;
	b->data = p;
	b->cap = ncap;
	return 0;
}

int
buf_put(struct buf *b, const void *p, size_t n)
{
	if (n > b->max - b->len)
		return -1;
	if (n == 0)
		return 0;
	if (buf_reserve(b, n) == -1)
		return -1;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int
buf_put_u8(struct buf *b, uint8_t v)
{
	return buf_put(b, &v, 1);
}

int
buf_put_u16(struct buf *b, uint16_t v)
{
	uint8_t	 x[2] = { v >> 8, v };

	return buf_put(b, x, sizeof(x));
}

int
buf_put_u32(struct buf *b, uint32_t v)
{
	uint8_t	 x[4] = { v >> 24, v >> 16, v >> 8, v };

	return buf_put(b, x, sizeof(x));
}

int
buf_put_u64(struct buf *b, uint64_t v)
{
	if (buf_put_u32(b, v >> 32) == -1)
		return -1;
	if (buf_put_u32(b, (uint32_t)v) == -1) {
		b->len -= 4;
		return -1;
	}
	return 0;
}

int
buf_put_mem(struct buf *b, const void *p, size_t n)
{
	if (n > UINT32_MAX || n > b->max || 4 + n > b->max - b->len)
		return -1;
	if (buf_put_u32(b, (uint32_t)n) == -1)
		return -1;
	return buf_put(b, p, n);
}

int
buf_put_str(struct buf *b, const char *s)
{
	return buf_put_mem(b, s, s == NULL ? 0 : strlen(s));
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n > b->max - b->len)
		return -1;
	if (buf_reserve(b, (size_t)n + 1) == -1)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	b->len += (size_t)n;
	return 0;
}

void *
buf_space(struct buf *b, size_t n)
{
	if (n > b->max - b->len || buf_reserve(b, n) == -1)
		return NULL;
	return b->data + b->len;
}

void
buf_commit(struct buf *b, size_t n)
{
	if (n > b->cap - b->len || n > b->max - b->len)
		abort();
	b->len += n;
}

int
buf_poke_u32(struct buf *b, size_t off, uint32_t v)
{
	if (off > b->len || b->len - off < 4)
		return -1;
	b->data[off] = v >> 24;
	b->data[off + 1] = v >> 16;
	b->data[off + 2] = v >> 8;
	b->data[off + 3] = v;
	return 0;
}

const char *
buf_cstr(struct buf *b)
{
	if (buf_reserve(b, 1) == -1)
		return NULL;
	b->data[b->len] = '\0';
	return (const char *)b->data;
}

void
rd_init(struct rd *r, const void *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->off = 0;
	r->err = 0;
}

size_t
rd_left(const struct rd *r)
{
	return r->len - r->off;
}

/* Points *p_r at the next n bytes and consumes them. */
static int
rd_take(struct rd *r, size_t n, const uint8_t **p_r)
{
	if (r->err || n > rd_left(r)) {
		r->err = 1;
		return -1;
	}
	*p_r = r->p + r->off;
	r->off += n;
	return 0;
}

int
rd_u8(struct rd *r, uint8_t *v)
{
	const uint8_t	*p;

	if (rd_take(r, 1, &p) == -1)
		return -1;
	*v = p[0];
	return 0;
}

int
rd_u16(struct rd *r, uint16_t *v)
{
	const uint8_t	*p;

	if (rd_take(r, 2, &p) == -1)
		return -1;
	*v = (uint16_t)(p[0] << 8 | p[1]);
	return 0;
}

int
rd_u32(struct rd *r, uint32_t *v)
{
	const uint8_t	*p;

	if (rd_take(r, 4, &p) == -1)
		return -1;
	*v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
	return 0;
}

int
rd_u64(struct rd *r, uint64_t *v)
{
	uint32_t	 hi, lo;

	if (rd_u32(r, &hi) == -1 || rd_u32(r, &lo) == -1)
		return -1;
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

int
rd_mem(struct rd *r, size_t max, const uint8_t **p_r, size_t *len_r)
{
	uint32_t	 n;

	if (rd_u32(r, &n) == -1)
		return -1;
	if (n > max) {
		r->err = 1;
		return -1;
	}
	if (rd_take(r, n, p_r) == -1)
		return -1;
	*len_r = n;
	return 0;
}

int
rd_str(struct rd *r, size_t max, int nullable, char **s_r)
{
	const uint8_t	*p;
	size_t		 n;
	char		*s;

	*s_r = NULL;
	if (rd_mem(r, max, &p, &n) == -1)
		return -1;
	if (n == 0 && nullable)
		return 0;
	if (memchr(p, '\0', n) != NULL) {
		r->err = 1;
		return -1;
	}
	if ((s = malloc(n + 1)) == NULL) {
		r->err = 1;
		return -1;
	}
	memcpy(s, p, n);
	s[n] = '\0';
	*s_r = s;
	return 0;
}

int
rd_end(const struct rd *r)
{
	return r->err || r->off != r->len ? -1 : 0;
}
