/*
 * t/fuzz/fuzz-mime.c: a libFuzzer target over the MIME parser
 * (filters/mime.c).  Runs in a test program and trusts nothing in its
 * input, a whole message that is split into headers and body as an MTA
 * would (t/fuzz/fuzz-mime.h).
 *
 * Besides "no crash, no leak, no hang" it checks the parser's contract:
 * bounds on parts, depth, names and text; parts in document order; every
 * string free of controls; every byte of every part readable.  The same
 * message parsed with fewer parts and less text allowed must give a
 * prefix of the same parts and of the same text.  Header decoding must
 * stay within its output, and a smaller output must be a prefix of a
 * larger one.  A broken property aborts, which libFuzzer reports as a
 * crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filterd/lib/message.h"
#include "filters/mime.h"
#include "t/fuzz/fuzz-mime.h"

#define CHECK(c) do {							\
	if (!(c))							\
		fm_fail(__LINE__, #c);					\
} while (0)

#define FM_BODY_MAX	(1024 * 1024)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	fm_fail(int, const char *) __attribute__((noreturn));

static void
fm_fail(int line, const char *what)
{
	fprintf(stderr, "fuzz-mime.c:%d: property broken: %s\n", line, what);
	abort();
}

/* A string within max bytes, without controls; lower-case when asked. */
static int
str_clean(const char *s, size_t max, int lc)
{
	size_t	i, n = strnlen(s, max + 1);

	if (n > max)
		return 0;
	for (i = 0; i < n; i++) {
		if ((uint8_t)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
		if (lc && s[i] >= 'A' && s[i] <= 'Z')
			return 0;
	}
	return 1;
}

static void
fm_type(const char *t)
{
	const char	*slash;

	CHECK(str_clean(t, MIME_TYPE_MAX - 1, 1));
	CHECK((slash = strchr(t, '/')) != NULL);
	CHECK(slash != t && slash[1] != '\0' && strchr(slash + 1, '/') == NULL);
}

/* Reads every byte, so that ASan sees a range that is not all there. */
static unsigned
fm_touch(const uint8_t *p, size_t n)
{
	unsigned	sum = 0;
	size_t		i;

	for (i = 0; i < n; i++)
		sum += p[i];
	return sum;
}

/* Part i's parent is i - 1 or one of its ancestors: document order. */
static void
fm_order(const struct mime *m, size_t i)
{
	const struct mime_part	*p = mime_part(m, i);
	size_t			 a = i - 1, want = mime_part_parent(p);

	CHECK(want < i);
	CHECK(mime_part_is_container(mime_part(m, want)));
	CHECK(mime_part_depth(p) == mime_part_depth(mime_part(m, want)) + 1);
	while (a != want && a != 0)
		a = mime_part_parent(mime_part(m, a));
	CHECK(a == want);
}

static void
fm_part(const struct mime *m, size_t i, const struct mime_limits *l)
{
	const struct mime_part	*p;
	const uint8_t		*d;
	char			 ext[MIME_EXT_MAX];
	size_t			 len;

	CHECK((p = mime_part(m, i)) != NULL);
	fm_type(mime_part_type(p));
	CHECK(str_clean(mime_part_charset(p), MIME_CHARSET_MAX - 1, 1));
	CHECK(str_clean(mime_part_disposition(p), 31, 1));
	CHECK(str_clean(mime_part_filename(p), MIME_NAME_MAX - 1, 0));
	CHECK(str_clean(mime_part_ext(p), MIME_EXT_MAX - 1, 1));
	CHECK(strcmp(mime_ext(mime_part_filename(p), ext, sizeof(ext)),
	    mime_part_ext(p)) == 0);
	CHECK(mime_part_depth(p) <= l->max_depth);
	CHECK((mime_part_flags(p) & ~MIME_FLAGS_ALL) == 0);
	CHECK((mime_part_flags(p) & ~mime_flags(m)) == 0);
	CHECK((d = mime_part_data(p, &len)) != NULL);
	(void)fm_touch(d, len);
	(void)mime_part_is_attachment(p);
	(void)mime_double_ext(mime_part_filename(p));
	(void)mime_ext_executable(mime_part_ext(p));
	if (i == 0)
		CHECK(mime_part_depth(p) == 0 && mime_part_parent(p) == 0);
	else
		fm_order(m, i);
}

static void
fm_check(const struct mime *m, const struct mime_limits *l)
{
	const uint8_t	*t;
	size_t		 i, n, len;

	n = mime_part_count(m);
	CHECK(n >= 1 && n <= l->max_parts);
	CHECK(mime_part(m, n) == NULL);
	CHECK((mime_flags(m) & ~MIME_FLAGS_ALL) == 0);
	for (i = 0; i < n; i++)
		fm_part(m, i, l);
	CHECK((t = mime_text(m, &len)) != NULL);
	CHECK(len <= l->max_text);
	(void)fm_touch(t, len);
	for (i = 0; i + 1 < len; i++)
		CHECK(t[i] != '\r' || t[i + 1] != '\n');
}

/* b, parsed with fewer parts and less text, is a prefix of a. */
static void
fm_prefix(const struct mime *a, const struct mime *b)
{
	const struct mime_part	*pa, *pb;
	const uint8_t		*ta, *tb;
	size_t			 i, la, lb;

	CHECK(mime_part_count(b) <= mime_part_count(a));
	for (i = 0; i < mime_part_count(b); i++) {
		pa = mime_part(a, i);
		pb = mime_part(b, i);
		CHECK(strcmp(mime_part_type(pa), mime_part_type(pb)) == 0);
		CHECK(strcmp(mime_part_filename(pa),
		    mime_part_filename(pb)) == 0);
		CHECK(mime_part_depth(pa) == mime_part_depth(pb));
		CHECK(mime_part_parent(pa) == mime_part_parent(pb));
	}
	ta = mime_text(a, &la);
	tb = mime_text(b, &lb);
	CHECK(lb <= la && memcmp(ta, tb, lb) == 0);
}

static struct mime *
fm_parse(const struct fm_msg *msg, const struct mime_limits *l)
{
	struct mime	*m;

	CHECK((m = mime_parse(msg->hdrs, msg->nhdrs, msg->body, msg->bodylen,
	    l)) != NULL);
	fm_check(m, l);
	return m;
}

static void
fm_header(const char *v)
{
	static char	 big[4096], small[8];
	size_t		 i, n;
	int		 rc;

	rc = mime_decode_header(v, big, sizeof(big));
	CHECK(rc == 0 || rc == -1);
	CHECK((n = strnlen(big, sizeof(big))) < sizeof(big));
	for (i = 0; i < n; i++)
		CHECK(big[i] != '\r' && big[i] != '\n');
	(void)mime_decode_header(v, small, sizeof(small));
	CHECK(strnlen(small, sizeof(small)) < sizeof(small));
	CHECK(strncmp(small, big, strlen(small)) == 0);
	CHECK(mime_decode_header(v, small, 0) == -1);
	CHECK(mime_decode_header(v, small, 1) == -1 || *v == '\0' ||
	    small[0] == '\0');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fm_msg		 msg;
	struct mime_limits	 l, ls;
	struct mime		*m, *ms;
	size_t			 i;

	if (size > FM_BODY_MAX)
		return 0;
	CHECK(fm_split(data, size, &msg) == 0);
	mime_limits_default(&l, FM_BODY_MAX);
	m = fm_parse(&msg, &l);
	/* Fewer parts and less text: a prefix of the same. */
	ls = l;
	ls.max_parts = 1 + size % 7;
	ls.max_text = size % 61;
	ms = fm_parse(&msg, &ls);
	fm_prefix(m, ms);
	mime_free(&ms);
	CHECK(ms == NULL);
	/* Shallow, and little room to decode: only the invariants. */
	ls.max_depth = size % 3;
	ls.max_decoded = size % 97;
	ms = fm_parse(&msg, &ls);
	mime_free(&ms);
	/* No limits given: the defaults, and room for all the text. */
	mime_limits_default(&ls, msg.bodylen);
	ls.max_text = 3 * msg.bodylen + MIME_PARTS_MAX;
	CHECK((ms = mime_parse(msg.hdrs, msg.nhdrs, msg.body, msg.bodylen,
	    NULL)) != NULL);
	fm_check(ms, &ls);
	CHECK(!(mime_flags(ms) & MIME_TRUNCATED) ||
	    (mime_flags(m) & MIME_TRUNCATED));
	mime_free(&ms);
	mime_free(&m);
	for (i = 0; i < msg.nhdrs; i++)
		fm_header(msg.hdrs[i].value);
	fm_clear(&msg);
	return 0;
}
