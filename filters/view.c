/*
 * view: the lazily computed views of one message (view.h).  Runs in the
 * worker, inside the sandbox, over the parts mime.c parsed from the
 * hostile message.  The text and the URLs are made in one pass (the HTML
 * is read once for both); the archive list in another.
 */
#include <iconv.h>
#include <langinfo.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "filterd/lib/buf.h"
#include "filters/archwalk.h"
#include "filters/html.h"
#include "filters/mime.h"
#include "filters/url.h"
#include "filters/view.h"

struct vurl {
	char	*url;
	char	*host;
};

struct view {
	const struct mime		*mime;
	const struct view_limits	*lim;
	int				 text_done;
	int				 arch_done;
	struct buf			*text;
	struct vurl			*urls;
	size_t				 nurls;
	size_t				 capurls;
	unsigned			 url_flags;
	struct arch_list		 arch;
};

static const uint8_t	empty[1];

/*
 * The conversions libarchive makes of entry names (archwalk.c): between
 * the locale's charset, UTF-8 and UTF-16 (7z, rar and zip names).  Opened
 * once in the spawner and never closed, so that glibc keeps the modules
 * loaded (it unloads one whose last user closed it) and a worker's own
 * iconv_open() of the same pair opens no file.
 */
static iconv_t	 view_iconv[12];

static void
view_iconv_pair(size_t *n, const char *a, const char *b)
{
	if (*n + 2 > sizeof(view_iconv) / sizeof(view_iconv[0]))
		return;
	view_iconv[(*n)++] = iconv_open(a, b);
	view_iconv[(*n)++] = iconv_open(b, a);
}

void
view_prepare(void)
{
	static int	 done;
	const char	*cs = nl_langinfo(CODESET);
	size_t		 n = 0;

	if (getenv("TZ") == NULL)
		(void)setenv("TZ", ":/etc/localtime", 1);
	tzset();
	if (done)
		return;
	done = 1;
	/*
	 * Entry names come out in the locale's charset: in "C" (ASCII) a
	 * 7z or rar name with a non-ASCII letter has no form at all, and a
	 * zip one loses its letters to '?'.  Only the character type is
	 * set; in C.UTF-8 it classifies ASCII as "C" does, and nothing in
	 * filterd reads it but libarchive.
	 */
	if (setlocale(LC_CTYPE, "C.UTF-8") != NULL)
		cs = nl_langinfo(CODESET);
	view_iconv_pair(&n, "UTF-8", cs);
	view_iconv_pair(&n, "UTF-16LE", cs);
	view_iconv_pair(&n, "UTF-16BE", cs);
	view_iconv_pair(&n, "UTF-16LE", "UTF-8");
	view_iconv_pair(&n, "UTF-16BE", "UTF-8");
}

struct view *
view_new(const struct mime *mime, const struct view_limits *lim)
{
	struct view	*v;

	if ((v = calloc(1, sizeof(*v))) == NULL)
		return NULL;
	v->mime = mime;
	v->lim = lim;
	v->arch.lim = &lim->arch;
	return v;
}

void
view_free(struct view **vp)
{
	struct view	*v = *vp;
	size_t		 i;

	if (v == NULL)
		return;
	buf_free(&v->text);
	for (i = 0; i < v->nurls; i++) {
		free(v->urls[i].url);
		free(v->urls[i].host);
	}
	free(v->urls);
	arch_list_free(&v->arch);
	free(v);
	*vp = NULL;
}

static int
url_seen(const struct view *v, const char *url)
{
	size_t	 i;

	for (i = 0; i < v->nurls; i++)
		if (strcmp(v->urls[i].url, url) == 0)
			return 1;
	return 0;
}

/*
 * Keeps a URL, once.  Past the limit it flags the list and drops the
 * rest, but returns 0 all the same: the text must still be made.
 */
static int
url_keep(void *arg, const char *p, size_t len)
{
	struct view	*v = arg;
	struct vurl	*nu;
	char		 url[URL_MAX], host[URL_HOST_MAX];
	size_t		 cap;

	if ((v->url_flags & VIEW_URL_OVER_LIMIT) ||
	    url_normalise(p, len, url, host) == -1 || url_seen(v, url))
		return 0;
	if (v->nurls >= v->lim->max_urls)
		goto stop;
	if (v->nurls == v->capurls) {
		cap = v->capurls ? v->capurls * 2 : 16;
		if ((nu = reallocarray(v->urls, cap, sizeof(*nu))) == NULL)
			goto stop;
		v->urls = nu;
		v->capurls = cap;
	}
	nu = &v->urls[v->nurls];
	if ((nu->url = strdup(url)) == NULL ||
	    (nu->host = strdup(host)) == NULL) {
		free(nu->url);
		goto stop;
	}
	v->nurls++;
	return 0;
stop:
	v->url_flags |= VIEW_URL_OVER_LIMIT;
	return 0;
}

/* One text part into the view, and its URLs. */
static void
view_part(struct view *v, size_t i, const uint8_t *p, size_t n)
{
	const char	*type = mime_part_type(mime_part(v->mime, i));
	size_t		 start;

	if (buf_len(v->text) > 0 && buf_data(v->text)[buf_len(v->text) - 1] !=
	    '\n')
		(void)buf_put_u8(v->text, '\n');
	start = buf_len(v->text);
	if (strcmp(type, "text/html") == 0)
		(void)html_text(p, n, v->text, url_keep, v);
	else
		(void)buf_put(v->text, p, n);
	if (buf_len(v->text) > start)
		(void)url_scan(buf_data(v->text) + start, buf_len(v->text) -
		    start, url_keep, v);
}

static void
view_text_build(struct view *v)
{
	const uint8_t	*p;
	size_t		 i, n;

	v->text_done = 1;
	/* Entities never grow the text much; a cut view is still a view. */
	if ((v->text = buf_new(v->lim->max_text)) == NULL) {
		v->url_flags |= VIEW_URL_OVER_LIMIT;
		return;
	}
	for (i = 0; i < mime_part_count(v->mime); i++)
		if ((p = mime_part_text(v->mime, i, &n)) != NULL)
			view_part(v, i, p, n);
}

const uint8_t *
view_text(struct view *v, size_t *len_r)
{
	if (!v->text_done)
		view_text_build(v);
	*len_r = v->text != NULL ? buf_len(v->text) : 0;
	return *len_r > 0 ? buf_data(v->text) : empty;
}

size_t
view_url_count(struct view *v)
{
	if (!v->text_done)
		view_text_build(v);
	return v->nurls;
}

const char *
view_url(struct view *v, size_t i)
{
	return i < view_url_count(v) ? v->urls[i].url : NULL;
}

const char *
view_url_host(struct view *v, size_t i)
{
	return i < view_url_count(v) ? v->urls[i].host : NULL;
}

unsigned
view_url_flags(struct view *v)
{
	if (!v->text_done)
		view_text_build(v);
	return v->url_flags;
}

static void
view_arch_build(struct view *v)
{
	const struct mime_part	*p;
	const uint8_t		*d;
	size_t			 i, n;

	v->arch_done = 1;
	for (i = 0; i < mime_part_count(v->mime); i++) {
		p = mime_part(v->mime, i);
		if (mime_part_is_container(p) || !mime_part_is_attachment(p))
			continue;
		d = mime_part_data(p, &n);
		if (!arch_is_archive(mime_part_filename(p), d, n))
			continue;
		if (arch_walk(&v->arch, i, mime_part_filename(p), d, n) == -1)
			break;
	}
}

size_t
view_entry_count(struct view *v)
{
	if (!v->arch_done)
		view_arch_build(v);
	return v->arch.n;
}

const struct arch_entry *
view_entry(struct view *v, size_t i)
{
	return i < view_entry_count(v) ? &v->arch.v[i] : NULL;
}

unsigned
view_arch_flags(struct view *v)
{
	if (!v->arch_done)
		view_arch_build(v);
	return v->arch.flags;
}
