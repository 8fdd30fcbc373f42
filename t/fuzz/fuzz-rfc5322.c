/*
 * t/fuzz/fuzz-rfc5322.c: a libFuzzer target over the one message parser
 * (filterd/lib/rfc5322.c), which reads MTA input in the supervisor.  Runs
 * in a test program and trusts nothing in its input.
 *
 * Byte 0 picks the body bound (16 bytes to 64 KiB); the rest is a message
 * as filterd -t reads it.  Besides "no crash, no leak, no hang", it checks:
 *  - what was parsed is consistent: one field record a header, in line
 *    order, every name a field name, the body after the header;
 *  - the parser's own checks agree with it: a name it stored passes
 *    rfc5322_name_len, and rfc5322_check_value never lets a bare line
 *    break or a NUL through;
 *  - the milter path agrees with the text path: the fields handed back
 *    one by one, as an MTA hands them to a milter, and the body, give the
 *    same message, unless a value holds a CR (a milter value's line ends
 *    may be CRLF, so a CR before a fold is not kept there).
 * A broken property aborts, which libFuzzer reports as a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filterd/lib/message.h"
#include "filterd/lib/rfc5322.h"

#define CHECK(c) do {							\
	if (!(c)) {							\
		fprintf(stderr, "fuzz-rfc5322: line %d: %s\n",		\
		    __LINE__, #c);					\
		abort();						\
	}								\
} while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static size_t
body_bound(uint8_t b)
{
	return (size_t)16 << (b % 13);
}

/*
 * What rfc5322_check_value must never let through, whatever else it
 * refuses: a C0 control but tab, DEL, a C1 control in UTF-8 (0xc2 then
 * 0x80 to 0x9f), a byte that is never in UTF-8 (0xc0, 0xc1, 0xf5 to
 * 0xff), or a line break that is not CRLF then a blank.
 */
static int
value_is_clean(const char *v)
{
	const unsigned char	*s;

	for (s = (const unsigned char *)v; *s != '\0'; s++) {
		if (*s == '\r' && s[1] == '\n' && (s[2] == ' ' || s[2] == '\t'))
			s++;
		else if ((*s < 0x20 && *s != '\t') || *s == 0x7f ||
		    *s == 0xc0 || *s == 0xc1 || *s >= 0xf5 ||
		    (*s == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f))
			return 0;
	}
	return 1;
}

/* The stored fields and body make sense for what was fed. */
static void
check_parse(const struct message *m, const struct rfc5322 *p)
{
	const struct rfc5322_field	*f;
	const char			*why;
	char				 line[MSG_HDR_NAME_MAX + 2];
	size_t				 n, i, len;

	f = rfc5322_fields(p, &n);
	if (m->malformed == NULL && m->over == NULL)
		CHECK(n == m->nhdrs);
	for (i = 1; i < n; i++)
		CHECK(f[i].first >= f[i - 1].first + f[i - 1].nlines);
	if (n > 0)
		CHECK(rfc5322_body_line(p) >= f[n - 1].first +
		    f[n - 1].nlines);
	CHECK(rfc5322_mbox(p) == SIZE_MAX || rfc5322_mbox(p) < n);
	CHECK(message_size(m) <= m->size_max);
	for (i = 0; i < m->nhdrs; i++) {
		len = strlen(m->hdrs[i].name);
		CHECK(len > 0 && len <= MSG_HDR_NAME_MAX);
		memcpy(line, m->hdrs[i].name, len);
		line[len] = ':';
		CHECK(rfc5322_name_len(line, len + 1) == len);
		CHECK(strlen(m->hdrs[i].value) <= MSG_HDR_VALUE_MAX);
		if (rfc5322_check_value(m->hdrs[i].value, &why) == 0)
			CHECK(value_is_clean(m->hdrs[i].value));
	}
}

/* Hands m's fields and body to a second parser, as the milter path does. */
static void
check_milter(const struct message *m)
{
	struct message	*c;
	struct rfc5322	*p;
	size_t		 i;
	int		 rc = 0;

	for (i = 0; i < m->nhdrs; i++)
		if (strchr(m->hdrs[i].value, '\r') != NULL)
			return;
	if ((c = message_new(m->size_max)) == NULL ||
	    (p = rfc5322_new(c)) == NULL) {
		message_free(&c);
		return;
	}
	for (i = 0; rc == 0 && i < m->nhdrs; i++)
		rc = rfc5322_field(p, m->hdrs[i].name, m->hdrs[i].value);
	if (rc == 0)
		rc = rfc5322_body(p, m->body, m->bodylen);
	if (rc == 0)
		rc = rfc5322_end(p);
	CHECK(rc == 0);
	CHECK(c->malformed == NULL);
	CHECK(c->nhdrs == m->nhdrs);
	for (i = 0; i < m->nhdrs; i++) {
		CHECK(strcmp(c->hdrs[i].name, m->hdrs[i].name) == 0);
		CHECK(strcmp(c->hdrs[i].value, m->hdrs[i].value) == 0);
	}
	CHECK(c->bodylen == m->bodylen);
	CHECK(m->bodylen == 0 || memcmp(c->body, m->body, m->bodylen) == 0);
	rfc5322_free(&p);
	message_free(&c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct message	*m;
	struct rfc5322	*p;
	int		 rc;

	if (size < 1)
		return 0;
	if ((m = message_new(body_bound(data[0]))) == NULL ||
	    (p = rfc5322_new(m)) == NULL) {
		message_free(&m);
		return 0;
	}
	rc = rfc5322_text(p, (const char *)data + 1, size - 1);
	if (rc == 0)
		rc = rfc5322_end(p);
	CHECK(rc == 0 || m->over != NULL);
	check_parse(m, p);
	if (rc == 0 && m->malformed == NULL)
		check_milter(m);
	rfc5322_free(&p);
	message_free(&m);
	return 0;
}
