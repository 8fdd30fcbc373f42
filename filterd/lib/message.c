/*
 * message: the in-memory form of one mail message.  Runs in the supervisor
 * (filled by a frontend from MTA input, which is untrusted) and in the
 * worker (filled by the job decoder).  Sizes are capped before allocating.
 * In the supervisor a large body goes to a memfd as it comes, and the
 * worker takes that memfd as it is: the body is written once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "filterd/lib/message.h"

/*
 * A spilled body's tail is gathered in memory up to this much before it
 * is written, so that a frontend that adds a line at a time does not make
 * a system call per line; a piece of half that or more is written at once.
 */
#define MSG_STAGE	(64 * 1024)

struct msgspill {
	int	 fd;
	size_t	 flushed;	/* the body's first bytes, in fd */
	int	 sealed;	/* fd is whole and sealed */
	int	 failed;	/* a write failed: fd is not the body */
};

/* message_spill_above's n; 0: bodies stay in memory. */
static size_t	spill_above;

struct message *
message_new(size_t size_max)
{
	struct message	*m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->size_max = size_max;
	return m;
}

static void
kv_free_all(struct kv *v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].value);
	}
	free(v);
}

void
message_reset(struct message *m)
{
	size_t	 i;

	free(m->sender);
	m->sender = NULL;
	for (i = 0; i < m->nrcpts; i++)
		free(m->rcpts[i]);
	free(m->rcpts);
	m->rcpts = NULL;
	m->nrcpts = 0;
	kv_free_all(m->hdrs, m->nhdrs);
	m->hdrs = NULL;
	m->nhdrs = 0;
	if (!m->bodyref)
		free(m->body);
	m->body = NULL;
	m->bodyref = 0;
	m->bodylen = m->bodycap = 0;
	if (m->spill != NULL) {
		close(m->spill->fd);
		free(m->spill);
		m->spill = NULL;
	}
	m->hdrsize = 0;
	m->oversize = 0;
	m->over = NULL;
	m->malformed = NULL;
	free(m->queue_id);
	m->queue_id = NULL;
}

void
message_free(struct message **mp)
{
	struct message	*m = *mp;

	if (m == NULL)
		return;
	message_reset(m);
	free(m->client_addr);
	free(m->client_name);
	free(m->helo);
	kv_free_all(m->macros, m->nmacros);
	free(m);
	*mp = NULL;
}

static char *
str_dup_max(const char *s, size_t max)
{
	size_t	 n;
	char	*d;

	if ((n = strnlen(s, max + 1)) > max)
		return NULL;
	if ((d = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

int
message_set(char **field, const char *value)
{
	char	*s;

	if ((s = str_dup_max(value, MSG_STR_MAX)) == NULL)
		return -1;
	free(*field);
	*field = s;
	return 0;
}

/*
 * Room for element n of an array of n: the array holds the smallest power
 * of two, at least 8, that is not less than n, and doubles when full, so
 * that 10000 header fields cost 11 copies rather than 10000.
 */
static void *
grow(void *v, size_t n, size_t size)
{
	if (n != 0 && (n < 8 || (n & (n - 1)) != 0))
		return v;
	return reallocarray(v, n == 0 ? 8 : 2 * n, size);
}

int
message_add_rcpt(struct message *m, const char *rcpt)
{
	char	**v, *s;

	if (m->nrcpts >= MSG_RCPTS_MAX)
		return -1;
	if ((s = str_dup_max(rcpt, MSG_STR_MAX)) == NULL)
		return -1;
	if ((v = grow(m->rcpts, m->nrcpts, sizeof(*v))) == NULL) {
		free(s);
		return -1;
	}
	v[m->nrcpts++] = s;
	m->rcpts = v;
	return 0;
}

static int
kv_append(struct kv **vp, size_t *np, size_t maxn, const char *name,
    size_t name_max, const char *value, size_t value_max)
{
	struct kv	*v;
	char		*n, *s;

	if (*np >= maxn)
		return -1;
	if ((n = str_dup_max(name, name_max)) == NULL)
		return -1;
	if ((s = str_dup_max(value, value_max)) == NULL) {
		free(n);
		return -1;
	}
	if ((v = grow(*vp, *np, sizeof(*v))) == NULL) {
		free(n);
		free(s);
		return -1;
	}
	v[*np].name = n;
	v[*np].value = s;
	(*np)++;
	*vp = v;
	return 0;
}

int
message_add_macro(struct message *m, const char *name, const char *value)
{
	size_t	 i;
	char	*s;

	for (i = 0; i < m->nmacros; i++) {
		if (strcmp(m->macros[i].name, name) != 0)
			continue;
		if ((s = str_dup_max(value, MSG_STR_MAX)) == NULL)
			return -1;
		free(m->macros[i].value);
		m->macros[i].value = s;
		return 0;
	}
	return kv_append(&m->macros, &m->nmacros, MSG_MACROS_MAX, name,
	    MSG_HDR_NAME_MAX, value, MSG_STR_MAX);
}

size_t
message_field_size(const char *name, const char *value)
{
	size_t	 n = strlen(name) + 1 + 2;	/* ":" and CRLF */

	for (; *value != '\0'; value++)
		n += *value == '\n' ? 2 : 1;	/* a fold's CRLF */
	return n;
}

size_t
message_size(const struct message *m)
{
	return m->hdrsize + m->bodylen;
}

/* Whether n more bytes fit; sets oversize when they do not. */
static int
message_fits(struct message *m, size_t n)
{
	if (m->oversize || n > m->size_max - message_size(m)) {
		m->oversize = 1;
		return 0;
	}
	return 1;
}

int
message_add_header(struct message *m, const char *name, const char *value)
{
	size_t	 n;

	/* Bounded before strlen: value may be anything the MTA sent. */
	if (strnlen(name, MSG_HDR_NAME_MAX + 1) > MSG_HDR_NAME_MAX ||
	    strnlen(value, MSG_HDR_VALUE_MAX + 1) > MSG_HDR_VALUE_MAX)
		return -1;
	n = message_field_size(name, value);
	if (!message_fits(m, n))
		return -1;
	if (kv_append(&m->hdrs, &m->nhdrs, MSG_HDRS_MAX, name,
	    MSG_HDR_NAME_MAX, value, MSG_HDR_VALUE_MAX) == -1)
		return -1;
	m->hdrsize += n;
	return 0;
}

/* Writes all n bytes of p to fd; returns 0 or -1. */
static int
write_all(int fd, const void *p, size_t n)
{
	const uint8_t	*q = p;
	ssize_t		 w;

	while (n > 0) {
		if ((w = write(fd, q, n)) == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		q += w;
		n -= (size_t)w;
	}
	return 0;
}

void
message_spill_above(size_t n)
{
	spill_above = n;
}

int
message_body_spilled(const struct message *m)
{
	return m->spill != NULL;
}

/* Moves the body so far to a new memfd; body becomes the stage. */
static int
spill_start(struct message *m)
{
	struct msgspill	*sp;
	uint8_t		*stage;

	if ((sp = calloc(1, sizeof(*sp))) == NULL)
		return -1;
	if ((sp->fd = memfd_create("filterd-body", MFD_CLOEXEC |
	    MFD_ALLOW_SEALING)) == -1) {
		free(sp);
		return -1;
	}
	if (write_all(sp->fd, m->body, m->bodylen) == -1 ||
	    (stage = realloc(m->body, MSG_STAGE)) == NULL) {
		close(sp->fd);
		free(sp);
		return -1;
	}
	sp->flushed = m->bodylen;
	m->body = stage;
	m->bodycap = MSG_STAGE;
	m->spill = sp;
	return 0;
}

/* Writes the staged tail; on failure the memfd is no longer the body. */
static int
spill_flush(struct msgspill *sp, const struct message *m)
{
	if (write_all(sp->fd, m->body, m->bodylen - sp->flushed) == -1) {
		sp->failed = 1;
		return -1;
	}
	sp->flushed = m->bodylen;
	return 0;
}

/* Appends to a spilled body: staged, or written at once when large. */
static int
spill_add(struct message *m, const void *p, size_t n)
{
	struct msgspill	*sp = m->spill;
	size_t		 staged = m->bodylen - sp->flushed;

	if (sp->failed || sp->sealed)
		return -1;
	if (staged + n <= MSG_STAGE) {
		memcpy(m->body + staged, p, n);
		return 0;
	}
	if (spill_flush(sp, m) == -1)
		return -1;
	if (n < MSG_STAGE / 2) {
		memcpy(m->body, p, n);
		return 0;
	}
	if (write_all(sp->fd, p, n) == -1) {
		sp->failed = 1;
		return -1;
	}
	sp->flushed += n;
	return 0;
}

/* Appends to a body in memory. */
static int
body_grow(struct message *m, const void *p, size_t n)
{
	size_t	 ncap, room;
	uint8_t	*b;

	if (m->bodylen + n > m->bodycap) {
		/* The body can grow no further than the header leaves. */
		room = m->size_max - m->hdrsize;
		ncap = m->bodycap ? m->bodycap : 8192;
		while (ncap < m->bodylen + n)
			ncap *= 2;
		if (ncap > room)
			ncap = room;
		if ((b = realloc(m->body, ncap)) == NULL)
			return -1;
		m->body = b;
		m->bodycap = ncap;
	}
	memcpy(m->body + m->bodylen, p, n);
	return 0;
}

int
message_add_body(struct message *m, const void *p, size_t n)
{
	size_t	 sep;

	/* The first body bytes bring the empty line before them. */
	sep = n > 0 && m->bodylen == 0 ? 2 : 0;
	if (!message_fits(m, n + sep))
		return -1;
	if (n == 0)
		return 0;
	if (m->bodyref)
		return -1;
	m->hdrsize += sep;
	if (m->spill == NULL && spill_above > 0 &&
	    m->bodylen + n > spill_above && spill_start(m) == -1)
		return -1;
	if ((m->spill != NULL ? spill_add(m, p, n) : body_grow(m, p, n)) == -1)
		return -1;
	m->bodylen += n;
	return 0;
}

int
message_body_fd(const struct message *m)
{
	struct msgspill	*sp = m->spill;

	if (sp == NULL || sp->failed)
		return -1;
	if (sp->sealed)
		return sp->fd;
	if (spill_flush(sp, m) == -1)
		return -1;
	if (fcntl(sp->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE | F_SEAL_SEAL) == -1) {
		sp->failed = 1;
		return -1;
	}
	sp->sealed = 1;
	return sp->fd;
}

int
message_body_copy(const struct message *m, uint8_t *dst)
{
	const struct msgspill	*sp = m->spill;
	size_t			 off;
	ssize_t			 r;

	if (sp == NULL) {
		if (m->bodylen > 0)
			memcpy(dst, m->body, m->bodylen);
		return 0;
	}
	if (sp->failed)
		return -1;
	for (off = 0; off < sp->flushed; off += (size_t)r) {
		r = pread(sp->fd, dst + off, sp->flushed - off, (off_t)off);
		if (r == -1 && errno == EINTR)
			r = 0;
		else if (r <= 0)
			return -1;
	}
	memcpy(dst + sp->flushed, m->body, m->bodylen - sp->flushed);
	return 0;
}

int
message_body_ref(struct message *m, const uint8_t *p, size_t n)
{
	size_t	 sep = n > 0 ? 2 : 0;

	if (m->body != NULL || m->bodylen != 0 || m->spill != NULL)
		return -1;
	/* The size only: a job's oversize flag may come before its body. */
	if (n + sep < n || n + sep > m->size_max - message_size(m))
		return -1;
	if (n == 0)
		return 0;
	m->hdrsize += 2;
	m->body = (uint8_t *)(uintptr_t)p;
	m->bodyref = 1;
	m->bodylen = n;
	return 0;
}

const char *
message_macro(const struct message *m, const char *name)
{
	size_t	 i;

	for (i = 0; i < m->nmacros; i++)
		if (strcmp(m->macros[i].name, name) == 0)
			return m->macros[i].value;
	return NULL;
}
