/*
 * t/fuzz/fuzz-config.c: a libFuzzer target over the configuration loader
 * (filterd/lib/config.c) and the libconfig parser beneath it.  Runs in a test
 * program and trusts nothing in its input, a whole configuration text.
 *
 * Besides "no crash, no leak, no hang" it checks the loader's contract
 * (config.h): a text that is refused gets at least one error, and every
 * error line names the file, "fuzz.conf:"; a text that is accepted gets
 * none, and its dump loads again and dumps to the very same bytes, as a
 * snapshot must.  A broken property aborts, which libFuzzer reports as a
 * crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libconfig.h>

#include "filterd/lib/config.h"

#define CHECK(c) do {							\
	if (!(c))							\
		fc_fail(__LINE__, #c);					\
} while (0)

#define FC_NAME		"fuzz.conf"
#define FC_PREFIX	FC_NAME ":"
#define FC_TEXT_MAX	(64 * 1024)

int		 LLVMFuzzerTestOneInput(const uint8_t *, size_t);
const char	*__lsan_default_suppressions(void);
const char	*__lsan_default_options(void);

static void	fc_fail(int, const char *) __attribute__((noreturn));

static void
fc_fail(int line, const char *what)
{
	fprintf(stderr, "fuzz-config.c:%d: property broken: %s\n", line,
	    what);
	abort();
}

/*
 * libconfig (1.5 in Debian 12; its grammar frees no discarded token)
 * leaks the strings it has scanned when a syntax error stops the parser
 * before they are used, as in 'a = "x" b "y"' or 'a "" = 1': its bug, not
 * config.c's, and one the loader cannot free
 * (t/fuzz/corpus/config/libconfig-leak-syntax).  Such strings are
 * allocated by the scanner alone (strbuf_append, or libconfig_yylex for
 * ""); a configuration that is not destroyed would still leak its
 * settings, which are reported.  LeakSanitizer reads this list when it is
 * linked in: libFuzzer, and the replay under --enable-sanitizers.  It is
 * told not to count them at exit, so that the fuzzer's last line stays
 * its "Done" line.
 */
const char *
__lsan_default_suppressions(void)
{
	return "leak:strbuf_append\nleak:libconfig_yylex\n";
}

const char *
__lsan_default_options(void)
{
	return "print_suppressions=0";
}

/* Loads text; what the loader wrote to errf goes to *err_r, to free. */
static struct config *
fc_load(const char *text, char **err_r, size_t *errlen_r)
{
	struct config	*c;
	FILE		*errf;

	*err_r = NULL;
	*errlen_r = 0;
	CHECK((errf = open_memstream(err_r, errlen_r)) != NULL);
	c = config_load_text(text, FC_NAME, errf);
	CHECK(fclose(errf) == 0);
	return c;
}

/* At least one error, and every line of them names the file. */
static void
fc_errors(const char *text, const char *err, size_t len)
{
	const char	*p = err, *end = err + len, *nl;

	CHECK(len > strlen(FC_PREFIX) && err[len - 1] == '\n');
	CHECK(memcmp(err, FC_PREFIX, strlen(FC_PREFIX)) == 0);
	while (p < end) {
		CHECK((size_t)(end - p) > strlen(FC_PREFIX) &&
		    memcmp(p, FC_PREFIX, strlen(FC_PREFIX)) == 0);
		nl = memchr(p, '\n', (size_t)(end - p));
		p = nl + 1;
	}
}

static char *
fc_dump(const struct config *c, size_t *len_r)
{
	char	*d = NULL;
	FILE	*f;

	*len_r = 0;
	CHECK((f = open_memstream(&d, len_r)) != NULL);
	config_dump(c, f);
	CHECK(fclose(f) == 0);
	return d;
}

/* The dump loads again, without errors, and dumps to the same bytes. */
static void
fc_round_trip(const struct config *c)
{
	struct config	*c2;
	char		*d1, *d2, *err;
	size_t		 n1, n2, errlen;

	d1 = fc_dump(c, &n1);
	CHECK(strlen(d1) == n1);
	if ((c2 = fc_load(d1, &err, &errlen)) == NULL)
		fprintf(stderr, "the dump:\n%s\nits errors:\n%s", d1, err);
	CHECK(c2 != NULL);
	CHECK(errlen == 0);
	d2 = fc_dump(c2, &n2);
	if (n1 != n2 || memcmp(d1, d2, n1) != 0)
		fprintf(stderr, "the dump:\n%s\nits dump:\n%s", d1, d2);
	CHECK(n1 == n2 && memcmp(d1, d2, n1) == 0);
	config_free(&c2);
	CHECK(c2 == NULL);
	free(err);
	free(d1);
	free(d2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config	*c;
	char		*text, *err;
	size_t		 errlen;

	if (size > FC_TEXT_MAX || memchr(data, '\0', size) != NULL)
		return 0;
	CHECK((text = malloc(size + 1)) != NULL);
	memcpy(text, data, size);
	text[size] = '\0';
	/*
	 * An "@include" would make libconfig open files of the machine that
	 * runs the fuzzer, relative to its current directory: what it finds
	 * there is not the input, and reading /dev or /proc may hang.
	 */
	if (strstr(text, "@include") != NULL) {
		free(text);
		return 0;
	}
	if ((c = fc_load(text, &err, &errlen)) == NULL)
		fc_errors(text, err, errlen);
	else {
		CHECK(errlen == 0);
		fc_round_trip(c);
		config_free(&c);
		CHECK(c == NULL);
	}
	free(err);
	free(text);
	return 0;
}
