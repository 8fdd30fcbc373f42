/*
 * t/fuzz/fuzz-mime.h: splits a raw message into headers and body the way
 * an MTA hands them to filterd, for the MIME fuzz target and t/07-mime.
 * Header only.  Runs in test programs; trusts nothing in the message.
 *
 * Header lines run up to the first empty line, or up to the first line
 * that is neither a field ("name:") nor a continuation, which starts the
 * body, as Postfix takes it.  A value keeps its folding ("\r\n " or
 * "\n\t") but not its last line break nor the white space after the
 * colon; a NUL ends it.  At most MSG_HDRS_MAX fields are kept, each
 * value at most MSG_HDR_VALUE_MAX bytes.
 */
#ifndef FILTERD_FUZZ_MIME_H
#define FILTERD_FUZZ_MIME_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filterd/lib/message.h"

struct fm_msg {
	struct kv	*hdrs;
	size_t		 nhdrs;
	const uint8_t	*body;
	size_t		 bodylen;
};

static inline void
fm_clear(struct fm_msg *m)
{
	size_t	i;

	for (i = 0; i < m->nhdrs; i++) {
		free(m->hdrs[i].name);
		free(m->hdrs[i].value);
	}
	free(m->hdrs);
	memset(m, 0, sizeof(*m));
}

/* Returns the end of the line at off (its '\n', or n). */
static inline size_t
fm_eol(const uint8_t *p, size_t n, size_t off)
{
	const uint8_t	*q = memchr(p + off, '\n', n - off);

	return q == NULL ? n : (size_t)(q - p);
}

/* Returns the length of a field name ending in ':' at p, or 0. */
static inline size_t
fm_name(const uint8_t *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n && p[i] > 0x20 && p[i] < 0x7f && p[i] != ':'; i++)
		continue;
	return i > 0 && i < n && p[i] == ':' ? i : 0;
}

static inline int
fm_add(struct fm_msg *m, const uint8_t *p, size_t namelen, size_t end)
{
	struct kv	*v;
	size_t		 vs = namelen + 1;

	if (m->nhdrs == MSG_HDRS_MAX)
		return 0;
	while (vs < end && (p[vs] == ' ' || p[vs] == '\t'))
		vs++;
	if (end > vs && p[end - 1] == '\r')
		end--;
	if (end - vs > MSG_HDR_VALUE_MAX)
		end = vs + MSG_HDR_VALUE_MAX;
	if ((v = reallocarray(m->hdrs, m->nhdrs + 1, sizeof(*v))) == NULL)
		return -1;
	m->hdrs = v;
	v[m->nhdrs].name = strndup((const char *)p, namelen);
	v[m->nhdrs].value = strndup((const char *)p + vs, end - vs);
	m->nhdrs++;
	if (v[m->nhdrs - 1].name == NULL || v[m->nhdrs - 1].value == NULL)
		return -1;
	return 0;
}

/* Returns 0, or -1 when memory runs out. */
static inline int
fm_split(const uint8_t *p, size_t n, struct fm_msg *m)
{
	size_t	off = 0, start, end, namelen;

	memset(m, 0, sizeof(*m));
	while (off < n) {
		end = fm_eol(p, n, off);
		if (end == off || (end == off + 1 && p[off] == '\r')) {
			off = end < n ? end + 1 : n;
			break;
		}
		if ((namelen = fm_name(p + off, end - off)) == 0)
			break;
		start = off;
		/* Continuation lines belong to the field. */
		while (end < n && end + 1 < n &&
		    (p[end + 1] == ' ' || p[end + 1] == '\t'))
			end = fm_eol(p, n, end + 1);
		if (fm_add(m, p + start, namelen, end - start) == -1) {
			fm_clear(m);
			return -1;
		}
		off = end < n ? end + 1 : n;
	}
	m->body = p + off;
	m->bodylen = n - off;
	return 0;
}

#endif
