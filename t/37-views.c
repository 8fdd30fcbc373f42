/*
 * t/37-views.c: what the worker's views give the rules: HTML as text
 * (filters/html.c), URLs found and normalised (filters/url.c), the text
 * and URL views of whole messages (filters/view.c), and the names inside
 * archives (filters/archwalk.c).  Runs as a test program.
 *
 * The archives are made here with libarchive's writer, in memory: zip,
 * 7z, tar with gzip, bzip2 and xz, an encrypted zip, nested zips, a zip
 * bomb, a truncated zip and garbage.  Last, every archive is walked again
 * in a child inside the worker's sandbox (sandbox/seccomp.c), which dies
 * on any file access or system call the policy does not list; libarchive
 * is not used for reading in this process before that child forks, as the
 * spawner never uses it before its workers fork.
 */
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "filterd/lib/buf.h"
#include "filters/archwalk.h"
#include "filters/html.h"
#include "filters/mime.h"
#include "filters/url.h"
#include "filters/view.h"
#include "sandbox/sandbox.h"
#include "t/fuzz/fuzz-mime.h"
#include "t/tap.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define ARCH_OUT_MAX	(4 * 1024 * 1024)
#define BOMB_BYTES	(16 * 1024 * 1024)

/* HTML in, text out. */
static const struct {
	const char	*html;
	const char	*text;
	const char	*what;
} html_cases[] = {
	{ "<p>Hello&nbsp;<b>world</b></p>", "Hello world", "tags dropped" },
	{ "&#x70;aypa1.com", "paypa1.com", "hex reference" },
	{ "&#X70;&#112;&#0112;", "ppp", "hex and decimal references" },
	{ "&amp;&lt;&gt;&quot;&apos;", "&<>\"'", "the basic entities" },
	{ "paypal&period;com", "paypal.com", "an HTML5-only entity" },
	{ "x&copy y &notit; z", "x\xc2\xa9 y \xc2\xacit; z",
	    "legacy entities without ';', longest match" },
	{ "&nGt;", "\xe2\x89\xab\xe2\x83\x92", "an entity of two code points" },
	{ "&#0;&#xD800;&#x110000;&#99999999999;",
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
	    "invalid code points become U+FFFD" },
	{ "&#x80;&#150;", "\xe2\x82\xac\xe2\x80\x93",
	    "0x80-0x9F as windows-1252" },
	{ "&bogus; & &# &#x; &", "&bogus; & &# &#x; &",
	    "what is not a reference stays" },
	{ "pay&#8203;pa&shy;l\xe2\x80\x8b.com", "paypal.com",
	    "invisible characters dropped" },
	{ "<script>var s = '<b>no</b>';</script>yes"
	    "<style>p { color: red }</style>!", "yes!",
	    "script and style dropped" },
	{ "<SCRIPT type=x>alert(1)</script >ok<Style>x</STYLE>", "ok",
	    "script and style in any case" },
	{ "a<script>no", "a", "an unclosed script hides the rest" },
	{ "a<!-- hidden <b>x</b> -->b<!-->c<!--->d", "abcd", "comments" },
	{ "a<!-- unclosed", "a", "an unclosed comment hides the rest" },
	{ "a<b", "a", "a tag cut by the end is dropped" },
	{ "a < b <3 c<", "a < b <3 c<", "a '<' that starts no tag is text" },
	{ "a<!DOCTYPE html>b<?xml x?>c</ x>d</>e", "abcde", "bogus comments" },
	{ "one<br>two<div>three</div>four<p>five", "one\ntwo\nthree\nfour\n"
	    "five", "blocks end lines" },
	{ "  lots \t of\n\n   space  ", "lots of space", "white space collapses" },
	{ "<a title='x>y' href=\"a>b\">link</a>", "link",
	    "'>' inside quoted attributes" },
	{ "<title>T&amp;C</title><textarea><b>&lt;</textarea>", "T&C\n<b><",
	    "title and textarea are text" },
	{ "<head><meta x=1>shown", "shown", "an unclosed head hides nothing" },
	{ "caf\xc3\xa9 \xff ok", "caf\xc3\xa9 \xff ok",
	    "UTF-8 kept, invalid bytes kept" },
};

static const char html_urls[] = "<a href=\"&#x68;ttp://x.example/"
    "?a=1&amp;b=2&copy=3\">t</a><img src=//cdn.example/i.png>"
    "<img srcset=\"a.png 1x, b.png 2x\"><a name=x data-href=no>"
    "</a><a href='unterminated";

static int
url_collect(void *arg, const char *url, size_t len)
{
	struct buf	*b = arg;

	(void)buf_put(b, url, len);
	(void)buf_put_u8(b, '|');
	return 0;
}

static void
test_html(void)
{
	struct buf	*b, *u;
	uint32_t	 cp[2];
	size_t		 i;

	for (i = 0; i < NITEMS(html_cases); i++) {
		b = buf_new(4096);
		(void)html_text((const uint8_t *)html_cases[i].html,
		    strlen(html_cases[i].html), b, NULL, NULL);
		is_str(buf_cstr(b), html_cases[i].text, "html: %s",
		    html_cases[i].what);
		buf_free(&b);
	}
	b = buf_new(4096);
	u = buf_new(4096);
	(void)html_text((const uint8_t *)html_urls, strlen(html_urls), b,
	    url_collect, u);
	is_str(buf_cstr(u), "http://x.example/?a=1&b=2&copy=3|"
	    "//cdn.example/i.png|a.png|b.png|", "html: URL attributes, "
	    "decoded, '&copy=' left alone in a value");
	buf_free(&u);
	buf_free(&b);
	b = buf_new(6);
	ok(html_text((const uint8_t *)"abc&eacute;&eacute;", 19, b, NULL,
	    NULL) == -1 && buf_len(b) == 5, "html: a full buffer is an error "
	    "and cuts no UTF-8 sequence");
	buf_free(&b);
	ok(html_charref((const uint8_t *)"&amp=1", 6, 1, cp) == 0 &&
	    html_charref((const uint8_t *)"&amp=1", 6, 0, cp) == 4 &&
	    cp[0] == '&', "html: legacy entity before '=' only in text");
}

/* A URL in, its normal form and host out (NULL: not taken). */
static const struct {
	const char	*in;
	const char	*url;
	const char	*host;
	const char	*what;
} url_cases[] = {
	{ "HTTP://WWW.Example.COM/Path?Q=A#F",
	    "http://www.example.com/Path?Q=A#F", "www.example.com",
	    "scheme and host lower-cased, the rest kept" },
	{ "http://paypal.com@evil.example/", "http://evil.example/",
	    "evil.example", "userinfo is not the host" },
	{ "https://user:pw@paypal.com:pw@evil.example:8443/x",
	    "https://evil.example:8443/x", "evil.example",
	    "the last '@' ends the userinfo" },
	{ "https://Example.com:443", "https://example.com/", "example.com",
	    "default port dropped, path added" },
	{ "http://ex%61mple.c%4Fm/%41", "http://example.com/%41",
	    "example.com", "host percent-decoded, path left" },
	{ "http://b\xc3\xbc" "cher.example/", "http://xn--bcher-kva.example/",
	    "xn--bcher-kva.example", "IDNA: the A-label" },
	{ "http://B\xc3\x9c" "CHER.example/", "http://xn--bcher-kva.example/",
	    "xn--bcher-kva.example", "IDNA after case mapping" },
	{ "http://\xef\xbd\x85\xef\xbd\x98\xef\xbd\x81\xef\xbd\x8d\xef\xbd\x90"
	    "\xef\xbd\x8c\xef\xbd\x85\xef\xbc\x8e" "com/",
	    "http://example.com/", "example.com",
	    "full-width letters and dot mapped by IDNA" },
	{ "http://p%D0%B0ypal.com/", "http://xn--pypal-4ve.com/",
	    "xn--pypal-4ve.com", "a percent-encoded Cyrillic letter" },
	{ "http://EXAMPLE.com./", "http://example.com/", "example.com",
	    "trailing dot dropped" },
	{ "http:\\\\evil.example\\a\\b?x\\y", "http://evil.example/a/b?x\\y",
	    "evil.example", "backslashes are slashes before the query" },
	{ "http:evil.example", "http://evil.example/", "evil.example",
	    "missing slashes supplied" },
	{ " \thttp://ev\nil.exa\tmple/ ", "http://evil.example/",
	    "evil.example", "tabs and line ends dropped" },
	{ "www.Example.org/x", "http://www.example.org/x", "www.example.org",
	    "www. is http" },
	{ "www.example.org:8080/x", "http://www.example.org:8080/x",
	    "www.example.org", "www. with a port" },
	{ "//cdn.example/i.png", "http://cdn.example/i.png", "cdn.example",
	    "scheme-relative" },
	{ "http://0x7f.1/", "http://127.0.0.1/", "127.0.0.1",
	    "numeric IPv4 as a dotted quad" },
	{ "http://3232235777/", "http://192.168.1.1/", "192.168.1.1",
	    "an IPv4 address as one number" },
	{ "http://[2001:DB8:0:0::1]:8080/", "http://[2001:db8::1]:8080/",
	    "[2001:db8::1]", "IPv6 literal, in its canonical form" },
	{ "http://[81|p;x]/", NULL, NULL, "no IPv6 literal (fuzz-html found "
	    "it kept)" },
	{ "ftp://Files.Example/pub", "ftp://files.example/pub",
	    "files.example", "ftp" },
	{ "mailto:a@example.com", NULL, NULL, "mailto: is not taken" },
	{ "javascript:alert(1)", NULL, NULL, "javascript: is not taken" },
	{ "/relative/path", NULL, NULL, "a relative URL is not taken" },
	{ "http:///", NULL, NULL, "no host" },
	{ "http://example.com:80x/", NULL, NULL, "a bad port" },
	{ "http://paypal.com evil.example/", NULL, NULL,
	    "a space in the host: no link (fuzz-html found it kept)" },
	{ "http://a%20b.example/", NULL, NULL,
	    "an escaped space in the host: no link" },
};

static void
test_url(void)
{
	char		 url[URL_MAX], host[URL_HOST_MAX];
	struct buf	*b;
	size_t		 i;
	int		 rc;

	for (i = 0; i < NITEMS(url_cases); i++) {
		rc = url_normalise(url_cases[i].in, strlen(url_cases[i].in),
		    url, host);
		if (url_cases[i].url == NULL) {
			is_int(rc, -1, "url: %s", url_cases[i].what);
			continue;
		}
		ok(rc == 0 && strcmp(url, url_cases[i].url) == 0 &&
		    strcmp(host, url_cases[i].host) == 0, "url: %s",
		    url_cases[i].what);
		if (rc == 0 && strcmp(url, url_cases[i].url) != 0)
			diag("got %s, want %s", url, url_cases[i].url);
		if (rc == 0 && strcmp(host, url_cases[i].host) != 0)
			diag("host %s, want %s", host, url_cases[i].host);
	}
	b = buf_new(4096);
	(void)url_scan((const uint8_t *)"See http://a.example/x). And "
	    "www.b.example, or (http://c.example/(d)) or HTTPS://D.example/"
	    "\"q\" not.www.e.example nor xwww.f.example: ftp://g.example/.",
	    149, url_collect, b);
	is_str(buf_cstr(b), "http://a.example/x|www.b.example|"
	    "http://c.example/(d))|HTTPS://D.example/|ftp://g.example/|",
	    "url: found in text, trailing punctuation dropped");
	buf_free(&b);
}

/* A message with a text and an HTML part, and what the views give. */
static const char view_msg[] =
    "From: a@example.org\n"
    "Content-Type: multipart/alternative; boundary=\"b\"\n"
    "\n"
    "--b\n"
    "Content-Type: text/plain\n"
    "\n"
    "Visit www.Shop.example today.\n"
    "--b\n"
    "Content-Type: text/html; charset=iso-8859-1\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "<p>Dear caf=E9,</p><a href=3D\"http://paypal.com@&#x70;aypa1.com/lo=\n"
    "gin\">log in</a><script>x='http://hidden.example/'</script>\n"
    "<img src=3D\"http://b&uuml;cher.example/i.png\">\n"
    "<p>or h&#116;tp://&#x70;aypa1.com/b &amp; http://pay&#8203;pal.example"
    "</p>\n"
    "--b--\n";

static struct mime *
parse_msg(const char *text, struct fm_msg *fm)
{
	struct mime	*m;

	if (fm_split((const uint8_t *)text, strlen(text), fm) == -1 ||
	    (m = mime_parse(fm->hdrs, fm->nhdrs, fm->body, fm->bodylen,
	    NULL)) == NULL)
		bail("cannot parse a test message");
	return m;
}

static void
test_view(void)
{
	struct view_limits	 lim = { 65536, 1000, { 10, 3, 1 << 20 } };
	struct fm_msg		 fm;
	struct mime		*m;
	struct view		*v;
	const uint8_t		*t;
	size_t			 len;

	m = parse_msg(view_msg, &fm);
	v = view_new(m, &lim);
	t = view_text(v, &len);
	if (!ok(len == strlen("Visit www.Shop.example today.\nDear caf\xc3\xa9,\n"
	    "log in\nor http://paypa1.com/b & http://paypal.example") &&
	    memcmp(t, "Visit www.Shop.example today.\nDear caf\xc3\xa9,\nlog "
	    "in\nor http://paypa1.com/b & http://paypal.example", len) == 0,
	    "view: text parts as they are, HTML as text, references decoded"))
		diag("text: %.*s", (int)len, (const char *)t);
	is_int(view_url_count(v), 5, "view: five distinct URLs");
	is_str(view_url(v, 0), "http://www.shop.example/", "view: from text");
	is_str(view_url(v, 1), "http://paypa1.com/login",
	    "view: from href, references decoded, userinfo dropped");
	is_str(view_url_host(v, 1), "paypa1.com", "view: its host");
	is_str(view_url(v, 2), "http://xn--bcher-kva.example/i.png",
	    "view: from src, an entity in an IDN host");
	is_str(view_url(v, 3), "http://paypa1.com/b",
	    "view: from HTML text, references decoded");
	is_str(view_url(v, 4), "http://paypal.example/",
	    "view: a zero-width space is not seen");
	ok(view_url(v, 5) == NULL && view_url_flags(v) == 0,
	    "view: nothing past the count, no flag");
	view_free(&v);
	lim.max_urls = 2;
	v = view_new(m, &lim);
	ok(view_url_count(v) == 2 &&
	    (view_url_flags(v) & VIEW_URL_OVER_LIMIT),
	    "view: past max_urls, the flag");
	t = view_text(v, &len);
	ok(len > 0 && memmem(t, len, "paypal.example", 14) != NULL,
	    "view: and the text is whole all the same");
	view_free(&v);
	mime_free(&m);
	fm_clear(&fm);
}

/* Archives, written with libarchive. */
struct file {
	const char	*name;
	const void	*data;
	size_t		 len;
};

struct arch {
	const char	*what;
	uint8_t		*data;
	size_t		 len;
	const char	*filename;	/* the attachment's */
	struct arch_limits lim;
	const char	*names;		/* "name:depth|..." */
	unsigned	 flags;
};

static uint8_t *
mkarch(int format, int filter, const char *pass, const struct file *f,
    size_t nf, size_t *len_r)
{
	struct archive		*a = archive_write_new();
	struct archive_entry	*e;
	uint8_t			*out = malloc(ARCH_OUT_MAX);
	size_t			 i, used = 0;

	if (out == NULL || archive_write_set_format(a, format) != ARCHIVE_OK ||
	    (filter != ARCHIVE_FILTER_NONE &&
	    archive_write_add_filter(a, filter) != ARCHIVE_OK))
		bail("libarchive writer: %s", archive_error_string(a));
	if (pass != NULL && (archive_write_set_options(a,
	    "zip:encryption=traditional") != ARCHIVE_OK ||
	    archive_write_set_passphrase(a, pass) != ARCHIVE_OK))
		bail("libarchive writer: %s", archive_error_string(a));
	if (archive_write_open_memory(a, out, ARCH_OUT_MAX, &used) !=
	    ARCHIVE_OK)
		bail("libarchive writer: %s", archive_error_string(a));
	for (i = 0; i < nf; i++) {
		e = archive_entry_new();
		archive_entry_set_pathname(e, f[i].name);
		archive_entry_set_size(e, (la_int64_t)f[i].len);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		if (archive_write_header(a, e) != ARCHIVE_OK ||
		    archive_write_data(a, f[i].data, f[i].len) !=
		    (la_ssize_t)f[i].len)
			bail("libarchive writer: %s", archive_error_string(a));
		archive_entry_free(e);
	}
	if (archive_write_close(a) != ARCHIVE_OK)
		bail("libarchive writer: %s", archive_error_string(a));
	archive_write_free(a);
	*len_r = used;
	return out;
}

static uint8_t *
dup_bytes(const void *p, size_t n)
{
	uint8_t	*d = malloc(n > 0 ? n : 1);

	if (d == NULL)
		bail("out of memory");
	memcpy(d, p, n);
	return d;
}

#define LIM(e, d, b)	{ (e), (d), (b) }
#define DEF_LIM		LIM(100, 3, 8 << 20)

static struct arch	 arches[16];
static size_t		 narches;

static void
add_arch(const char *what, uint8_t *data, size_t len, const char *filename,
    struct arch_limits lim, const char *names, unsigned flags)
{
	struct arch	*a = &arches[narches++];

	a->what = what;
	a->data = data;
	a->len = len;
	a->filename = filename;
	a->lim = lim;
	a->names = names;
	a->flags = flags;
}

static void
make_arches(void)
{
	static const char	 pdf[] = "%PDF-1.4 not really";
	static const char	 mz[] = "MZ\x90\0 a program";
	struct file		 f[12];
	uint8_t			*inner, *mid, *zeros;
	size_t			 ilen, mlen, len, i;
	char			*names[10], *data;

	f[0] = (struct file){ "invoice.pdf.exe", mz, sizeof(mz) };
	f[1] = (struct file){ "readme.txt", pdf, sizeof(pdf) };
	data = (char *)mkarch(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, NULL,
	    f, 2, &len);
	add_arch("zip", (uint8_t *)data, len, "invoice.zip", (struct
	    arch_limits)DEF_LIM, "invoice.pdf.exe:1|readme.txt:1|", 0);

	f[0] = (struct file){ "x.exe", mz, sizeof(mz) };
	inner = mkarch(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, NULL, f, 1,
	    &ilen);
	f[0] = (struct file){ "inner.zip", inner, ilen };
	mid = mkarch(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, NULL, f, 1,
	    &mlen);
	f[0] = (struct file){ "outer.zip", mid, mlen };
	f[1] = (struct file){ "doc.pdf", pdf, sizeof(pdf) };
	data = (char *)mkarch(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, NULL,
	    f, 2, &len);
	add_arch("nested zips", (uint8_t *)data, len, "a.zip",
	    (struct arch_limits)DEF_LIM, "outer.zip:1|outer.zip/inner.zip:2|"
	    "outer.zip/inner.zip/x.exe:3|doc.pdf:1|", 0);
	add_arch("nested past archive_max_depth", dup_bytes(data, len), len,
	    "a.zip", (struct arch_limits)LIM(100, 2, 8 << 20),
	    "outer.zip:1|outer.zip/inner.zip:2|", ARCH_OVER_LIMIT);
	free(inner);
	free(mid);

	f[0] = (struct file){ "dir/evil.scr", mz, sizeof(mz) };
	data = (char *)mkarch(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_GZIP,
	    NULL, f, 1, &len);
	add_arch("tar.gz", (uint8_t *)data, len, "x.tgz",
	    (struct arch_limits)DEF_LIM, "dir/evil.scr:1|", 0);
	data = (char *)mkarch(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_BZIP2,
	    NULL, f, 1, &len);
	add_arch("tar.bz2", (uint8_t *)data, len, "x.tar.bz2",
	    (struct arch_limits)DEF_LIM, "dir/evil.scr:1|", 0);
	data = (char *)mkarch(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_XZ,
	    NULL, f, 1, &len);
	add_arch("tar.xz, named as nothing", (uint8_t *)data, len, "",
	    (struct arch_limits)DEF_LIM, "dir/evil.scr:1|", 0);
	data = (char *)mkarch(ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_GZIP, NULL,
	    f, 1, &len);
	add_arch("a single gzip-compressed file", (uint8_t *)data, len,
	    "evil.exe.gz", (struct arch_limits)DEF_LIM, "evil.exe:1|", 0);
	data = (char *)mkarch(ARCHIVE_FORMAT_7ZIP, ARCHIVE_FILTER_NONE, NULL,
	    f, 1, &len);
	add_arch("7z", (uint8_t *)data, len, "x.7z",
	    (struct arch_limits)DEF_LIM, "dir/evil.scr:1|", 0);

	f[0] = (struct file){ "secret.exe", mz, sizeof(mz) };
	data = (char *)mkarch(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, "pw",
	    f, 1, &len);
	add_arch("encrypted zip", (uint8_t *)data, len, "s.zip",
	    (struct arch_limits)DEF_LIM, "secret.exe:1|", ARCH_ENCRYPTED);

	f[0] = (struct file){ "a.txt", pdf, sizeof(pdf) };
	f[1] = (struct file){ "b.exe", mz, sizeof(mz) };
	data = (char *)mkarch(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, NULL,
	    f, 2, &len);
	add_arch("truncated zip", (uint8_t *)data, len / 3, "t.zip",
	    (struct arch_limits)DEF_LIM, NULL, ARCH_UNREADABLE);
	add_arch("garbage named .zip", dup_bytes("this is no zip at all, "
	    "only text", 33), 33, "g.zip", (struct arch_limits)DEF_LIM, "",
	    ARCH_UNREADABLE);

	if ((zeros = calloc(1, BOMB_BYTES)) == NULL)
		bail("out of memory");
	f[0] = (struct file){ "zeros.bin", zeros, BOMB_BYTES };
	data = (char *)mkarch(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, NULL,
	    f, 1, &len);
	f[0] = (struct file){ "bomb.zip", data, len };
	inner = mkarch(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, NULL, f, 1,
	    &ilen);
	add_arch("zip bomb", (uint8_t *)data, len, "bomb.zip",
	    (struct arch_limits)LIM(100, 3, 1 << 20), "zeros.bin:1|",
	    ARCH_OVER_LIMIT);
	add_arch("zip bomb in a zip", inner, ilen, "bomb.zip",
	    (struct arch_limits)LIM(100, 3, 1 << 20), "bomb.zip:1|"
	    "bomb.zip/zeros.bin:2|", ARCH_OVER_LIMIT);
	free(zeros);

	for (i = 0; i < 10; i++) {
		if (asprintf(&names[i], "f%zu.txt", i) == -1)
			bail("out of memory");
		f[i] = (struct file){ names[i], pdf, sizeof(pdf) };
	}
	data = (char *)mkarch(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, NULL,
	    f, 10, &len);
	add_arch("past archive_max_entries", (uint8_t *)data, len, "n.zip",
	    (struct arch_limits)LIM(4, 3, 8 << 20),
	    "f0.txt:1|f1.txt:1|f2.txt:1|f3.txt:1|", ARCH_OVER_LIMIT);
	for (i = 0; i < 10; i++)
		free(names[i]);
}

/* Walks one archive; writes "name:depth|..." into out. */
static unsigned
walk_one(const struct arch *a, char *out, size_t outlen)
{
	struct arch_list	 l;
	size_t			 i, off = 0;
	unsigned		 flags;

	memset(&l, 0, sizeof(l));
	l.lim = &a->lim;
	if (arch_walk(&l, 1, a->filename, a->data, a->len) == -1)
		l.flags |= 0x80;
	out[0] = '\0';
	for (i = 0; i < l.n && off < outlen; i++)
		off += (size_t)snprintf(out + off, outlen - off, "%s:%zu|",
		    l.v[i].name, l.v[i].depth);
	flags = l.flags;
	arch_list_free(&l);
	return flags;
}

static void
test_archives(void)
{
	char		 got[1024];
	unsigned	 flags;
	size_t		 i;

	for (i = 0; i < narches; i++) {
		flags = walk_one(&arches[i], got, sizeof(got));
		is_int(flags, arches[i].flags, "archive: %s: flags",
		    arches[i].what);
		if (arches[i].names != NULL)
			is_str(got, arches[i].names, "archive: %s: entries",
			    arches[i].what);
	}
	ok(arch_is_archive("report.docx", arches[0].data, arches[0].len) == 0,
	    "archive: a .docx is a document, not an archive");
	ok(arch_is_archive("", arches[0].data, arches[0].len) &&
	    arch_is_archive("x.ZIP", (const uint8_t *)"", 0) &&
	    !arch_is_archive("x.pdf", (const uint8_t *)"%PDF", 4),
	    "archive: known by its bytes or its name");
}

/*
 * Every archive again, and the views of view_msg, in a fresh process
 * inside the worker's sandbox: this program run again with --sandboxed
 * (exec'd, so that nothing libarchive's writer set up here, such as
 * glibc's converter list, is inherited: a worker inherits only what the
 * spawner did).  It reads the archives on its standard input, enters the
 * sandbox as a worker does, and writes back each archive's flags, then
 * the URL count and the length of the text.
 */
static void __attribute__((noreturn))
sb_exit(int status)
{
	for (;;)
		syscall(SYS_exit_group, status);
}

static int
rd_all(void *p, size_t n)
{
	return fread(p, 1, n, stdin) == n ? 0 : -1;
}

static void
sb_read(void)
{
	struct arch	*a;
	uint64_t	 v[3];
	uint32_t	 n, len, i;
	char		*name;

	if (rd_all(&n, sizeof(n)) == -1 || n > NITEMS(arches))
		sb_exit(110);
	for (i = 0; i < n; i++) {
		a = &arches[narches++];
		if (rd_all(v, sizeof(v)) == -1 || rd_all(&len, sizeof(len)) ==
		    -1 || (name = calloc(1, len + 1)) == NULL ||
		    rd_all(name, len) == -1)
			sb_exit(111);
		a->lim.max_entries = (size_t)v[0];
		a->lim.max_depth = (size_t)v[1];
		a->lim.max_bytes = v[2];
		a->filename = name;
		if (rd_all(&len, sizeof(len)) == -1 ||
		    (a->data = malloc(len + 1)) == NULL ||
		    rd_all(a->data, len) == -1)
			sb_exit(112);
		a->len = len;
	}
}

static int
sb_main(void)
{
	struct view_limits	 vlim = { 65536, 1000, { 10, 3, 1 << 20 } };
	struct sandbox_filter	*f;
	struct sandbox_limits	 lim;
	struct fm_msg		 fm;
	struct mime		*m;
	struct view		*v;
	char			 err[256], got[1024];
	uint32_t		 rep;
	size_t			 i, len;

	sb_read();
	if ((f = sandbox_filter_new(err, sizeof(err))) == NULL)
		sb_exit(100);
	view_prepare();		/* as the spawner does */
	if (dup2(1, SANDBOX_FD_CHAN) == -1)
		sb_exit(101);
	memset(&lim, 0, sizeof(lim));
#ifndef FD_SANITIZERS
	lim.as_bytes = 512UL << 20;
#endif
	lim.cpu_seconds = 10;
	lim.nofile = SANDBOX_FD_JOB + 1;
	if (sandbox_worker_enter(f, &lim, err, sizeof(err)) == -1)
		sb_exit(102);
	for (i = 0; i < narches; i++) {
		rep = walk_one(&arches[i], got, sizeof(got));
		if (write(SANDBOX_FD_CHAN, &rep, sizeof(rep)) != sizeof(rep))
			sb_exit(103);
	}
	m = parse_msg(view_msg, &fm);
	v = view_new(m, &vlim);
	(void)view_text(v, &len);
	rep = (uint32_t)view_url_count(v);
	if (write(SANDBOX_FD_CHAN, &rep, sizeof(rep)) != sizeof(rep))
		sb_exit(104);
	rep = (uint32_t)len;
	if (write(SANDBOX_FD_CHAN, &rep, sizeof(rep)) != sizeof(rep))
		sb_exit(105);
	sb_exit(0);
}

static void
sb_send(FILE *f)
{
	uint64_t	 v[3];
	uint32_t	 n = (uint32_t)narches, len;
	size_t		 i;

	fwrite(&n, sizeof(n), 1, f);
	for (i = 0; i < narches; i++) {
		v[0] = arches[i].lim.max_entries;
		v[1] = arches[i].lim.max_depth;
		v[2] = arches[i].lim.max_bytes;
		fwrite(v, sizeof(v), 1, f);
		len = (uint32_t)strlen(arches[i].filename);
		fwrite(&len, sizeof(len), 1, f);
		fwrite(arches[i].filename, 1, len, f);
		len = (uint32_t)arches[i].len;
		fwrite(&len, sizeof(len), 1, f);
		fwrite(arches[i].data, 1, len, f);
	}
}

static void
test_sandbox(void)
{
	FILE		*to;
	uint32_t	 rep;
	size_t		 i, good = 0;
	int		 in[2], out[2], status;
	pid_t		 pid;

	if (pipe(in) == -1 || pipe(out) == -1)
		bail("pipe: %s", strerror(errno));
	fflush(NULL);
	if ((pid = fork()) == -1)
		bail("fork: %s", strerror(errno));
	if (pid == 0) {
		if (dup2(in[0], 0) == -1 || dup2(out[1], 1) == -1)
			_exit(120);
		close(in[1]);
		close(out[0]);
		execl("/proc/self/exe", "37-views", "--sandboxed", (char *)NULL);
		_exit(121);
	}
	close(in[0]);
	close(out[1]);
	if ((to = fdopen(in[1], "w")) == NULL)
		bail("fdopen: %s", strerror(errno));
	sb_send(to);
	fclose(to);
	for (i = 0; i < narches; i++) {
		if (read(out[0], &rep, sizeof(rep)) != sizeof(rep))
			break;
		if (rep == arches[i].flags)
			good++;
		else
			diag("%s: flags %#x in the sandbox", arches[i].what,
			    rep);
	}
	if (waitpid(pid, &status, 0) == -1)
		bail("waitpid: %s", strerror(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 100) {
		skip(3, "no worker sandbox here");
		close(out[0]);
		return;
	}
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "sandbox: a fresh process reads every archive inside the worker "
	    "sandbox (status %#x)", status);
	is_int(good, narches, "sandbox: with the same flags as here");
	ok(read(out[0], &rep, sizeof(rep)) == sizeof(rep) && rep == 5,
	    "sandbox: and makes the text and URL views (IDNA included)");
	close(out[0]);
}

int
main(int argc, char **argv)
{
	size_t	 i;

	if (argc > 1 && strcmp(argv[1], "--sandboxed") == 0)
		return sb_main();
	make_arches();
	test_sandbox();
	test_html();
	test_url();
	test_view();
	test_archives();
	for (i = 0; i < narches; i++)
		free(arches[i].data);
	done_testing();
	return 0;
}
