/*
 * url: finding URLs in text and normalising them, for the worker's URL
 * view (filters/view.c).  Runs in the worker, inside the sandbox, over
 * hostile text: bounded buffers only; IDNA by libidn2, which neither
 * opens files nor makes system calls (it only allocates).
 *
 * Why our own scanner: a URL in mail is whatever a mail reader makes a
 * link of, which no URL library defines; what we need is a lenient scan
 * of text plus the WHATWG URL standard's host rules for the special
 * schemes, which is what browsers apply to "http:\\evil.example" or
 * "http://paypal.com@evil.example/".
 */
#ifndef FILTERD_URL_H
#define FILTERD_URL_H

#include <stddef.h>
#include <stdint.h>

#define URL_MAX		4096	/* a normalised URL, with its NUL */
#define URL_HOST_MAX	256	/* a normalised host, with its NUL */

/* Called with each URL-like span found in text; 0, or -1 to stop. */
typedef int	url_fn(void *arg, const char *p, size_t len);

/*
 * Calls fn for each URL in text (UTF-8): "http://", "https://" and
 * "ftp://" in any case, and "www." at the start of a word, up to white
 * space, a control, '<', '>' or a quote, without trailing punctuation
 * (and without a ')' that closes nothing).  Returns 0, or -1 when fn did.
 */
int	url_scan(const uint8_t *text, size_t len, url_fn *fn, void *arg);

/*
 * Normalises a URL as a browser would read it: tabs and line ends dropped,
 * the scheme lower-cased ("www." and "//" get "http:"), backslashes read
 * as slashes and missing slashes supplied for http, https and ftp, the
 * userinfo dropped ("http://paypal.com@evil.example/" is
 * "http://evil.example/"), the host percent-decoded where that gives a
 * host character, lower-cased, its trailing dots dropped, IDNA applied (a
 * host with non-ASCII letters becomes its A-label, "xn--..."), numeric
 * IPv4 forms ("0x7f.1") written as a dotted quad, the default port
 * dropped.  The path, query and fragment are kept as they are, cut to
 * fit.  Writes the URL to out (URL_MAX bytes) and the host to host
 * (URL_HOST_MAX bytes).  Returns 0, or -1 when in is not a URL with a
 * host (relative, mailto:, javascript:, an empty or too long host, or one
 * with a character a browser refuses in a host, such as a space).
 */
int	url_normalise(const char *in, size_t len, char *out, char *host);

#endif
