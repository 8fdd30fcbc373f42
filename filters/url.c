/*
 * url: URLs found in text, and their normal form (url.h).  Runs in the
 * worker, inside the sandbox, over hostile text; every copy is bounded by
 * the fixed sizes in url.h.  libidn2's idn2_to_ascii_8z() allocates and
 * computes, nothing more: no file, no locale (the _8z form takes UTF-8).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <idn2.h>

#include "filters/url.h"

#define SCHEME_MAX	16
#define RAW_HOST_MAX	1024	/* a host before IDNA, with its NUL */

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int
hexval(int c)
{
	if (is_digit(c))
		return c - '0';
	c = lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int
ci_prefix(const char *p, size_t n, const char *lit)
{
	size_t	 len = strlen(lit);

	return n >= len && strncasecmp(p, lit, len) == 0;
}

/*
 * Tabs and line ends go (browsers drop them anywhere in a URL), and so do
 * controls and spaces at either end; a NUL becomes "%00".  Cut at
 * URL_MAX - 1.
 */
static size_t
url_clean(const char *in, size_t len, char *out)
{
	size_t	 i, k = 0;

	while (len > 0 && (uint8_t)in[0] <= 0x20) {
		in++;
		len--;
	}
	while (len > 0 && (uint8_t)in[len - 1] <= 0x20)
		len--;
	for (i = 0; i < len && k < URL_MAX - 1; i++) {
		if (in[i] == '\t' || in[i] == '\n' || in[i] == '\r')
			continue;
		/* A NUL, as a browser writes it: never a host character. */
		if (in[i] == '\0') {
			if (k + 3 > URL_MAX - 1)
				break;
			memcpy(out + k, "%00", 3);
			k += 3;
		} else
			out[k++] = in[i];
	}
	out[k] = '\0';
	return k;
}

/*
 * The scheme, lower-cased, into scheme; returns where what follows it
 * starts, or (size_t)-1 for a URL we do not take.  "www." and "//" are
 * http, as mail readers link them.
 */
static size_t
url_scheme(const char *u, size_t n, char *scheme)
{
	size_t	 i;

	if (n > 0 && is_alpha(u[0])) {
		for (i = 1; i < n && (is_alpha(u[i]) || is_digit(u[i]) ||
		    u[i] == '+' || u[i] == '-' || u[i] == '.'); i++)
			continue;
		/* "www.example.org:8080" is a host, not a scheme. */
		if (i < n && u[i] == ':' && i < SCHEME_MAX &&
		    memchr(u, '.', i) == NULL) {
			for (n = 0; n < i; n++)
				scheme[n] = (char)lower(u[n]);
			scheme[i] = '\0';
			return i + 1;
		}
	}
	if (ci_prefix(u, n, "www.") || ci_prefix(u, n, "//") ||
	    ci_prefix(u, n, "\\\\")) {
		memcpy(scheme, "http", 5);
		return 0;
	}
	return (size_t)-1;
}

static int
scheme_special(const char *s)
{
	return strcmp(s, "http") == 0 || strcmp(s, "https") == 0 ||
	    strcmp(s, "ftp") == 0;
}

static const char *
scheme_port(const char *s)
{
	if (strcmp(s, "http") == 0)
		return "80";
	if (strcmp(s, "https") == 0)
		return "443";
	return strcmp(s, "ftp") == 0 ? "21" : "";
}

/* A percent-escape worth decoding in a host: it gives a host character. */
static int
host_pct(const char *p, size_t n, int *c_r)
{
	int	 hi, lo, c;

	if (n < 3 || p[0] != '%' || (hi = hexval(p[1])) < 0 ||
	    (lo = hexval(p[2])) < 0)
		return 0;
	c = hi << 4 | lo;
	if (c < 0x80 && !is_alpha(c) && !is_digit(c) && c != '-' &&
	    c != '.' && c != '_')
		return 0;
	*c_r = c;
	return 1;
}

/* Percent-decoded where safe, ASCII lower-cased; returns 0 or -1. */
static int
host_decode(const char *p, size_t n, char *out)
{
	size_t	 i = 0, k = 0;
	int	 c;

	while (i < n) {
		if (k >= RAW_HOST_MAX - 1)
			return -1;
		if (host_pct(p + i, n - i, &c)) {
			out[k++] = (char)lower(c);
			i += 3;
		} else
			out[k++] = (char)lower((uint8_t)p[i++]);
	}
	while (k > 0 && out[k - 1] == '.')
		k--;
	out[k] = '\0';
	return k > 0 ? 0 : -1;
}

/* Non-ASCII hosts become A-labels; one that IDNA rejects stays as it is. */
static void
host_idna(char *h)
{
	char	*a = NULL;
	size_t	 i, n;

	for (i = 0; h[i] != '\0' && (uint8_t)h[i] < 0x80; i++)
		continue;
	if (h[i] == '\0')
		return;
	if (idn2_to_ascii_8z(h, &a, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL) !=
	    IDN2_OK && idn2_to_ascii_8z(h, &a, IDN2_NFC_INPUT |
	    IDN2_TRANSITIONAL) != IDN2_OK) {
		idn2_free(a);
		return;
	}
	n = strlen(a);
	while (n > 0 && a[n - 1] == '.')
		n--;
	if (n > 0 && n < RAW_HOST_MAX) {
		for (i = 0; i < n; i++)
			h[i] = (char)lower((uint8_t)a[i]);
		h[n] = '\0';
	}
	idn2_free(a);
}

/* "0x7f.1", "2130706433" and the like, as the dotted quad they mean. */
static void
host_ipv4(char *h, size_t hlen)
{
	struct in_addr	 a;
	char		 q[INET_ADDRSTRLEN];
	size_t		 i;

	if (!is_digit(h[0]))
		return;
	for (i = 0; h[i] != '\0'; i++)
		if (!is_digit(h[i]) && hexval(h[i]) < 0 && h[i] != 'x' &&
		    h[i] != '.')
			return;
	if (inet_aton(h, &a) == 0 ||
	    inet_ntop(AF_INET, &a, q, sizeof(q)) == NULL)
		return;
	snprintf(h, hlen, "%s", q);
}

/* "[2001:DB8:0::1]" as "[2001:db8::1]"; -1 for what is no IPv6 address. */
static int
host_ipv6(const char *p, size_t n, char *h, size_t hlen)
{
	struct in6_addr	 a;
	char		 in[INET6_ADDRSTRLEN + 1], out[INET6_ADDRSTRLEN];

	if (n < 3 || p[n - 1] != ']' || n - 2 >= sizeof(in))
		return -1;
	memcpy(in, p + 1, n - 2);
	in[n - 2] = '\0';
	if (inet_pton(AF_INET6, in, &a) != 1 ||
	    inet_ntop(AF_INET6, &a, out, sizeof(out)) == NULL)
		return -1;
	snprintf(h, hlen, "[%s]", out);
	return 0;
}

/*
 * The WHATWG URL standard's forbidden host code points (after percent-
 * decoding): a browser refuses such a URL, so it links to nothing.
 */
static int
host_forbidden(const char *h)
{
	for (; *h != '\0'; h++)
		if ((uint8_t)*h <= 0x20 || *h == 0x7f ||
		    strchr("#%/:<>?@[\\]^|", *h) != NULL)
			return 1;
	return 0;
}

static int
host_normalise(const char *p, size_t n, char *host)
{
	char	 h[RAW_HOST_MAX];

	if (n > 0 && p[0] == '[') {	/* an IPv6 literal, as inet_ntop has it */
		if (host_ipv6(p, n, h, sizeof(h)) == -1)
			return -1;
	} else {
		if (host_decode(p, n, h) == -1)
			return -1;
		host_idna(h);
		host_ipv4(h, sizeof(h));
		if (host_forbidden(h))
			return -1;
	}
	if (strlen(h) >= URL_HOST_MAX)
		return -1;
	snprintf(host, URL_HOST_MAX, "%s", h);
	return 0;
}

/* The port, digits only; "" when none or the scheme's default. */
static int
url_port(const char *p, size_t n, const char *scheme, char *port,
    size_t portlen)
{
	size_t	 i;

	while (n > 1 && p[0] == '0') {
		p++;
		n--;
	}
	if (n >= portlen)
		return -1;
	for (i = 0; i < n; i++)
		if (!is_digit(p[i]))
			return -1;
	memcpy(port, p, n);
	port[n] = '\0';
	if (strcmp(port, scheme_port(scheme)) == 0)
		port[0] = '\0';
	return 0;
}

/* Splits the authority [a, e) into host and port; returns 0 or -1. */
static int
url_authority(const char *u, size_t a, size_t e, const char *scheme,
    char *host, char *port, size_t portlen)
{
	size_t	 k, he = e;

	for (k = e; k > a; k--)
		if (u[k - 1] == '@') {	/* userinfo: not the host */
			a = k;
			break;
		}
	port[0] = '\0';
	if (a < e && u[a] == '[') {
		for (k = a; k < e && u[k] != ']'; k++)
			continue;
		if (k == e)
			return -1;
		he = k + 1;
		if (he < e && u[he] != ':')
			return -1;
	} else
		for (k = e; k > a; k--)
			if (u[k - 1] == ':') {
				he = k - 1;
				break;
			}
	if (he < e && url_port(u + he + 1, e - he - 1, scheme, port,
	    portlen) == -1)
		return -1;
	return host_normalise(u + a, he - a, host);
}

int
url_normalise(const char *in, size_t len, char *out, char *host)
{
	char	 u[URL_MAX], scheme[SCHEME_MAX], port[8];
	size_t	 n, i, a, k;
	int	 special;

	n = url_clean(in, len, u);
	if ((i = url_scheme(u, n, scheme)) == (size_t)-1)
		return -1;
	if ((special = scheme_special(scheme))) {
		while (i < n && (u[i] == '/' || u[i] == '\\'))
			i++;
	} else if (i + 1 < n && u[i] == '/' && u[i + 1] == '/')
		i += 2;
	else
		return -1;	/* mailto:, javascript:, cid: and the like */
	for (a = i; i < n && u[i] != '/' && u[i] != '?' && u[i] != '#' &&
	    !(special && u[i] == '\\'); i++)
		continue;
	if (url_authority(u, a, i, scheme, host, port, sizeof(port)) == -1)
		return -1;
	if (special)
		for (k = i; k < n && u[k] != '?' && u[k] != '#'; k++)
			if (u[k] == '\\')
				u[k] = '/';
	snprintf(out, URL_MAX, "%s://%s%s%s%s%s", scheme, host,
	    port[0] != '\0' ? ":" : "", port, i < n && u[i] == '/' ? "" : "/",
	    u + i);
	return 0;
}

/* Where a URL in text ends: white space, a control, a bracket, a quote. */
static size_t
scan_end(const uint8_t *t, size_t len, size_t i)
{
	for (; i < len; i++) {
		if (t[i] <= 0x20 || t[i] == 0x7f || t[i] == '<' ||
		    t[i] == '>' || t[i] == '"' || t[i] == '\'' || t[i] == '`')
			break;
		if (t[i] == 0xc2 && i + 1 < len && t[i + 1] == 0xa0)
			break;		/* a no-break space */
	}
	return i;
}

/* Drops trailing punctuation, and a ')' that closes nothing. */
static size_t
scan_trim(const uint8_t *t, size_t s, size_t e)
{
	int	 open = memchr(t + s, '(', e - s) != NULL;

	while (e > s && (strchr(".,;:!?*]}", t[e - 1]) != NULL ||
	    (t[e - 1] == ')' && !open)))
		e--;
	return e;
}

static int
scan_start(const uint8_t *t, size_t len, size_t i)
{
	const char	*p = (const char *)t + i;
	uint8_t		 prev = i > 0 ? t[i - 1] : ' ';

	if (ci_prefix(p, len - i, "http://") ||
	    ci_prefix(p, len - i, "https://") ||
	    ci_prefix(p, len - i, "ftp://"))
		return 1;
	return ci_prefix(p, len - i, "www.") && !is_alpha(prev) &&
	    !is_digit(prev) && prev != '.' && prev != '-' && prev != '@' &&
	    prev != '/';
}

int
url_scan(const uint8_t *text, size_t len, url_fn *fn, void *arg)
{
	size_t	 i = 0, e;

	while (i < len) {
		if (!scan_start(text, len, i)) {
			i++;
			continue;
		}
		e = scan_trim(text, i, scan_end(text, len, i));
		if (fn(arg, (const char *)text + i, e - i) == -1)
			return -1;
		i = e > i ? e : i + 1;
	}
	return 0;
}
