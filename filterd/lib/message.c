/*
 * message: the in-memory form of one mail message.  Runs in the supervisor
 * (filled by a frontend from MTA input, which is untrusted) and in the
 * worker (filled by the job decoder).  Sizes are capped before allocating.
 */
#include <stdlib.h>
#include <string.h>

#include "filterd/lib/message.h"

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
	free(m->body);
	m->body = NULL;
	m->bodylen = m->bodycap = 0;
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

int
message_add_body(struct message *m, const void *p, size_t n)
{
	size_t	 ncap, room, sep;
	uint8_t	*b;

	/* The first body bytes bring the empty line before them. */
	sep = n > 0 && m->bodylen == 0 ? 2 : 0;
	if (!message_fits(m, n + sep))
		return -1;
	if (n == 0)
		return 0;
	m->hdrsize += sep;
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
	m->bodylen += n;
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
