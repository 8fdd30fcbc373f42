/*
 * t/fuzz/fuzz-html.c: a libFuzzer target over the HTML to text converter
 * (filters/html.c) and the URL scanner and normaliser (filters/url.c),
 * our own parsers of hostile text in the worker.  Runs in a test program
 * and trusts nothing in its input, taken as one HTML part.
 *
 * Besides "no crash, no leak, no hang" it checks their contracts: the
 * text stays within its buffer, and with a smaller buffer it is a prefix
 * of the same text; every URL attribute and every URL found in the text
 * normalises to a NUL-terminated URL within URL_MAX that starts with its
 * scheme and "://", and to a host within URL_HOST_MAX, without ASCII
 * capitals, controls, white space or a final dot.  A broken property
 * aborts, which libFuzzer reports as a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filterd/lib/buf.h"
#include "filters/html.h"
#include "filters/url.h"

#define CHECK(c) do {							\
	if (!(c))							\
		fh_fail(__LINE__, #c);					\
} while (0)

#define FH_TEXT_MAX	(256 * 1024)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	fh_fail(int, const char *) __attribute__((noreturn));

static void
fh_fail(int line, const char *what)
{
	fprintf(stderr, "fuzz-html.c:%d: property broken: %s\n", line, what);
	abort();
}

static int
fh_url(void *arg, const char *p, size_t len)
{
	char		 url[URL_MAX], host[URL_HOST_MAX];
	const char	*sep;
	size_t		 i, n;

	(void)arg;
	if (url_normalise(p, len, url, host) == -1)
		return 0;
	CHECK(strnlen(url, URL_MAX) < URL_MAX);
	CHECK((n = strnlen(host, URL_HOST_MAX)) < URL_HOST_MAX && n > 0);
	CHECK(host[n - 1] != '.');
	for (i = 0; i < n; i++)
		CHECK((uint8_t)host[i] > 0x20 && host[i] != 0x7f &&
		    !(host[i] >= 'A' && host[i] <= 'Z'));
	CHECK((sep = strstr(url, "://")) != NULL && sep > url);
	CHECK(strncmp(sep + 3, host, n) == 0);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf	*full, *part;
	uint32_t	 cp[2];
	size_t		 i, cut;

	if ((full = buf_new(FH_TEXT_MAX)) == NULL)
		return 0;
	(void)html_text(data, size, full, fh_url, NULL);
	CHECK(buf_len(full) <= FH_TEXT_MAX);
	if (buf_len(full) > 0)
		(void)url_scan(buf_data(full), buf_len(full), fh_url, NULL);
	/* Less room: a prefix of the same text. */
	cut = buf_len(full) / 2;
	if ((part = buf_new(cut)) != NULL) {
		(void)html_text(data, size, part, NULL, NULL);
		CHECK(buf_len(part) <= cut);
		CHECK(buf_len(part) == 0 || memcmp(buf_data(part),
		    buf_data(full), buf_len(part)) == 0);
		buf_free(&part);
	}
	buf_free(&full);
	for (i = 0; i < size; i++)
		if (data[i] == '&')
			CHECK(html_charref(data + i, size - i, (int)(i & 1),
			    cp) <= size - i);
	(void)fh_url(NULL, (const char *)data, size);
	return 0;
}
