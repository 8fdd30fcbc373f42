/*
 * archwalk: listing archive attachments with libarchive (archwalk.h).
 * Runs in the worker, inside the sandbox, over hostile archives.  Every
 * decompressed byte is counted against one budget for the message, data
 * is kept only for an archive inside an archive (within that budget), and
 * every libarchive error marks the list unreadable.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <archive.h>
#include <archive_entry.h>

#include "filters/archwalk.h"

#define CHUNK		65536	/* one archive_read_data() */

/* Extensions read as archives, and zip-based documents that are not. */
static const char *const arch_exts[] = {
	"7z", "bz2", "gz", "rar", "tar", "tbz", "tbz2", "tgz", "txz", "xz",
	"zip",
};
static const char *const zip_docs[] = {
	"docm", "docx", "dotm", "dotx", "epub", "odg", "odp", "ods", "odt",
	"otp", "ots", "ott", "potm", "potx", "ppsm", "ppsx", "pptm", "pptx",
	"vsdx", "xlsb", "xlsm", "xlsx", "xltm", "xltx",
};
/* Compressed streams: what raw_ok() lets be a single compressed file. */
static const char *const comp_exts[] = { "bz2", "gz", "xz" };

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

enum magic { M_NONE, M_ZIP, M_OTHER, M_COMPRESSED };

/* One archive being read: where its entries' names start. */
struct walk {
	struct arch_list	*l;
	size_t			 part;
	const char		*path;	/* "" at the top, else "a.zip/b.zip" */
	const char		*name;	/* the archive's own name */
	size_t			 depth;	/* of its entries */
};

static int	walk_archive(struct walk *, const uint8_t *, size_t);

static int
in_list(const char *const *v, size_t n, const char *s)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcasecmp(v[i], s) == 0)
			return 1;
	return 0;
}

/* The extension after the last dot, or "". */
static const char *
ext_of(const char *name)
{
	const char	*dot = strrchr(name, '.');

	return dot != NULL && strchr(dot, '/') == NULL ? dot + 1 : "";
}

static int
starts(const uint8_t *p, size_t n, size_t off, const char *lit, size_t len)
{
	return n >= off + len && memcmp(p + off, lit, len) == 0;
}

static enum magic
magic_of(const uint8_t *p, size_t n)
{
	if (starts(p, n, 0, "PK\003\004", 4) || starts(p, n, 0, "PK\005\006",
	    4) || starts(p, n, 0, "PK\007\010", 4))
		return M_ZIP;
	if (starts(p, n, 0, "Rar!\032\007", 6) ||
	    starts(p, n, 0, "7z\274\257\047\034", 6) ||
	    starts(p, n, 257, "ustar", 5))
		return M_OTHER;
	if (starts(p, n, 0, "\037\213", 2) || starts(p, n, 0, "BZh", 3) ||
	    starts(p, n, 0, "\3757zXZ\0", 6))
		return M_COMPRESSED;
	return M_NONE;
}

int
arch_is_archive(const char *filename, const uint8_t *data, size_t len)
{
	const char	*ext = ext_of(filename != NULL ? filename : "");
	enum magic	 m = magic_of(data, len);

	if (m == M_ZIP && in_list(zip_docs, NITEMS(zip_docs), ext))
		return 0;
	return m != M_NONE || in_list(arch_exts, NITEMS(arch_exts), ext);
}

/* Appends an entry, its name "path/name" cut to keep its end. */
static int
list_add(struct walk *w, const char *name)
{
	struct arch_list	*l = w->l;
	struct arch_entry	*e, *v;
	char			 full[ARCH_NAME_MAX * 2 + 2];
	size_t			 len, i, cap;

	if (l->n == l->cap) {
		cap = l->cap ? l->cap * 2 : 16;
		if ((v = reallocarray(l->v, cap, sizeof(*v))) == NULL)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	len = (size_t)snprintf(full, sizeof(full), "%.*s%s%.*s",
	    ARCH_NAME_MAX, w->path, w->path[0] != '\0' ? "/" : "",
	    ARCH_NAME_MAX, name);
	if (len >= sizeof(full))
		len = sizeof(full) - 1;
	if (len >= ARCH_NAME_MAX)	/* keep the end: the extension */
		memmove(full, full + len - (ARCH_NAME_MAX - 1), ARCH_NAME_MAX);
	for (i = 0; full[i] != '\0'; i++)
		if ((unsigned char)full[i] < 0x20 || full[i] == 0x7f)
			full[i] = '_';
	e = &l->v[l->n];
	if ((e->name = strdup(full)) == NULL)
		return -1;
	e->depth = w->depth;
	e->part = w->part;
	l->n++;
	return 0;
}

/* The name libarchive gives, in UTF-8 where it can tell; never NULL. */
static const char *
entry_name(struct walk *w, struct archive *a, struct archive_entry *e,
    char *raw, size_t rawlen)
{
	const char	*n = archive_entry_pathname_utf8(e);
	const char	*ext, *base;
	size_t		 len;

	if (n == NULL)
		n = archive_entry_pathname(e);
	/* A single compressed file: its name without the suffix. */
	if (archive_format(a) == ARCHIVE_FORMAT_RAW) {
		base = strrchr(w->name, '/');
		snprintf(raw, rawlen, "%s", base != NULL ? base + 1 : w->name);
		ext = ext_of(raw);
		len = strlen(raw);
		if (in_list(comp_exts, NITEMS(comp_exts), ext))
			raw[len - strlen(ext) - 1] = '\0';
		else if (strcasecmp(ext, "tgz") == 0 ||
		    strcasecmp(ext, "tbz2") == 0 || strcasecmp(ext, "txz") == 0 ||
		    strcasecmp(ext, "tbz") == 0)
			snprintf(raw + len - strlen(ext), rawlen -
			    (len - strlen(ext)), "tar");
		return raw[0] != '\0' ? raw : "data";
	}
	return n != NULL ? n : "";
}

static void
over(struct arch_list *l)
{
	l->flags |= ARCH_OVER_LIMIT;
}

/*
 * Reads the entry's data, counting it; keeps it in *keep_r when it is an
 * archive to look into.  Returns 0 to go on, 1 to stop this archive (a
 * bound or an error, flagged), -1 when memory ran out.
 */
static int
entry_data(struct walk *w, struct archive *a, const char *name,
    uint8_t **keep_r, size_t *keeplen_r)
{
	struct arch_list	*l = w->l;
	uint8_t			*buf, *keep = NULL, *nk;
	size_t			 klen = 0, kcap = 0;
	la_ssize_t		 r;
	int			 first = 1, want = 0, rc = 0;

	if ((buf = malloc(CHUNK)) == NULL)
		return -1;
	while ((r = archive_read_data(a, buf, CHUNK)) > 0) {
		if ((uint64_t)r > l->lim->max_bytes - l->bytes) {
			over(l);
			rc = 1;
			break;
		}
		l->bytes += (uint64_t)r;
		if (first)
			want = arch_is_archive(name, buf, (size_t)r);
		first = 0;
		if (!want)
			continue;
		if (klen + (size_t)r > kcap) {
			/* Double, but never past what the budget has left. */
			kcap = klen + (size_t)r;
			kcap += kcap < l->lim->max_bytes - l->bytes ? kcap :
			    (size_t)(l->lim->max_bytes - l->bytes);
			if ((nk = realloc(keep, kcap)) == NULL) {
				rc = -1;
				break;
			}
			keep = nk;
		}
		memcpy(keep + klen, buf, (size_t)r);
		klen += (size_t)r;
	}
	if (r < 0 && rc == 0) {
		l->flags |= ARCH_UNREADABLE;
		rc = 1;
	}
	free(buf);
	if (rc != 0 || !want) {
		free(keep);
		return rc;
	}
	*keep_r = keep;
	*keeplen_r = klen;
	return 0;
}

/* An archive inside: deeper than allowed is over the limit. */
static int
entry_nested(struct walk *w, const char *name, const uint8_t *data,
    size_t len)
{
	struct walk	 in;
	char		 path[ARCH_NAME_MAX];

	if (w->depth >= w->l->lim->max_depth) {
		over(w->l);
		return 1;
	}
	snprintf(path, sizeof(path), "%s%s%s", w->path,
	    w->path[0] != '\0' ? "/" : "", name);
	in = *w;
	in.path = path;
	in.name = name;
	in.depth = w->depth + 1;
	return walk_archive(&in, data, len);
}

/* One entry; returns as entry_data() does. */
static int
walk_entry(struct walk *w, struct archive *a, struct archive_entry *e)
{
	struct arch_list	*l = w->l;
	const char		*name;
	char			 raw[ARCH_NAME_MAX];
	uint8_t			*keep = NULL;
	size_t			 klen = 0;
	int			 rc;

	if (l->n >= l->lim->max_entries) {
		over(l);
		return 1;
	}
	name = entry_name(w, a, e, raw, sizeof(raw));
	/* A name libarchive could not convert cannot be checked. */
	if (*name == '\0')
		l->flags |= ARCH_UNREADABLE;
	if (list_add(w, name) == -1)
		return -1;
	if (archive_entry_is_encrypted(e))
		l->flags |= ARCH_ENCRYPTED;
	/* Encrypted data cannot be read: its name is all there is. */
	if (archive_entry_filetype(e) != AE_IFREG ||
	    archive_entry_is_data_encrypted(e))
		return 0;
	/* A declared size past the budget: no need to inflate it to know. */
	if (archive_entry_size_is_set(e) && archive_entry_size(e) > 0 &&
	    (uint64_t)archive_entry_size(e) > l->lim->max_bytes - l->bytes) {
		over(l);
		return 1;
	}
	if ((rc = entry_data(w, a, name, &keep, &klen)) != 0 || keep == NULL)
		return rc;
	rc = entry_nested(w, name, keep, klen);
	free(keep);
	return rc;
}

/*
 * The formats and filters of archwalk.h, and "raw" (a single compressed
 * file) only for a compressed stream: raw takes any bytes, and garbage
 * must stay unreadable.  A filter that would need an external program
 * (ARCHIVE_WARN) is refused.
 */
static struct archive *
walk_open(const uint8_t *data, size_t len)
{
	struct archive	*a;
	int		 ok;

	if ((a = archive_read_new()) == NULL)
		return NULL;
	ok = archive_read_support_format_zip(a) == ARCHIVE_OK &&
	    archive_read_support_format_rar(a) == ARCHIVE_OK &&
	    archive_read_support_format_rar5(a) == ARCHIVE_OK &&
	    archive_read_support_format_7zip(a) == ARCHIVE_OK &&
	    archive_read_support_format_tar(a) == ARCHIVE_OK &&
	    archive_read_support_filter_gzip(a) == ARCHIVE_OK &&
	    archive_read_support_filter_bzip2(a) == ARCHIVE_OK &&
	    archive_read_support_filter_xz(a) == ARCHIVE_OK &&
	    (magic_of(data, len) != M_COMPRESSED ||
	    archive_read_support_format_raw(a) == ARCHIVE_OK) &&
	    archive_read_open_memory(a, data, len) == ARCHIVE_OK;
	if (!ok) {
		archive_read_free(a);
		return NULL;
	}
	return a;
}

static int
walk_archive(struct walk *w, const uint8_t *data, size_t len)
{
	struct archive		*a;
	struct archive_entry	*e;
	int			 r, rc = 0;

	if ((a = walk_open(data, len)) == NULL) {
		w->l->flags |= ARCH_UNREADABLE;
		return 0;
	}
	for (;;) {
		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		/* A warning (a name not convertible, say) still has a name. */
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			w->l->flags |= ARCH_UNREADABLE;
			break;
		}
		if ((rc = walk_entry(w, a, e)) != 0)
			break;
	}
	/* 7z and rar with encrypted names say so only here. */
	if (archive_read_has_encrypted_entries(a) > 0)
		w->l->flags |= ARCH_ENCRYPTED;
	archive_read_free(a);
	/* Past a bound, every level stops; an unreadable inner one does not. */
	if (rc == -1)
		return -1;
	return (w->l->flags & ARCH_OVER_LIMIT) ? 1 : 0;
}

int
arch_walk(struct arch_list *l, size_t part, const char *filename,
    const uint8_t *data, size_t len)
{
	struct walk	 w;

	if (l->flags & ARCH_OVER_LIMIT)
		return 0;	/* the budget is spent: nothing more is read */
	w.l = l;
	w.part = part;
	w.path = "";
	w.name = filename != NULL ? filename : "";
	w.depth = 1;
	if (walk_archive(&w, data, len) == -1) {
		l->flags |= ARCH_UNREADABLE;
		return -1;
	}
	return 0;
}

void
arch_list_free(struct arch_list *l)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].name);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}
