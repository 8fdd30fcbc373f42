/*
 * t/07-mime.c: the MIME parser (filters/mime.c).  Runs as a test program;
 * reads the messages under t/data/mail, found through $top_srcdir (set by
 * the harness) or SRCDIR, and splits them as an MTA would
 * (t/fuzz/fuzz-mime.h).
 *
 * Every message of the corpus is a table row: its parts (type, file name,
 * depth, attachment or not), the flags it must get, text it must and must
 * not yield.  Then tables for RFC 2047 header decoding, RFC 2231 and other
 * parameter forms, extensions and double extensions, the limits, and last
 * the whole corpus parsed again inside the worker's sandbox, where any
 * file access or stray system call would kill the child.
 */
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filterd/lib/message.h"
#include "filters/mime.h"
#include "sandbox/sandbox.h"
#include "t/fuzz/fuzz-mime.h"
#include "t/tap.h"

#ifndef SRCDIR
#define SRCDIR	"."
#endif

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define MAIL_MAX	(1024 * 1024)
/* mime.c's DISP_MAX and BOUNDARY_MAX, which its header does not export. */
#define DISP_BOUND	32
#define BOUNDARY_BOUND	1024
#define BODY_MAX	(1024 * 1024)

struct pexp {
	const char	*type;
	const char	*filename;
	size_t		 depth;
	int		 attach;
};

struct mcase {
	const char		*file;
	size_t			 nparts;
	unsigned		 flags;
	const struct pexp	*parts;		/* the first ones */
	const char *const	*has;		/* in the text, to NULL */
	const char *const	*lacks;		/* not in the text, to NULL */
};

#define P(...)	(const struct pexp[]){ __VA_ARGS__, { NULL, NULL, 0, 0 } }
#define S(...)	(const char *const[]){ __VA_ARGS__, NULL }

static const struct mcase mcases[] = {
	{ "plain.eml", 1, 0,
	    P({ "text/plain", "", 0, 0 }),
	    S("Are we still on for lunch tomorrow at noon?\n\nAlice\n"),
	    S("From:", "Subject") },
	{ "alternative.eml", 3, 0,
	    P({ "multipart/alternative", "", 0, 0 },
	    { "text/plain", "", 1, 0 }, { "text/html", "", 1, 0 }),
	    S("Plain version: caf\xc3\xa9 prices are down this week.\n",
	    "<b>special offer</b>"),
	    S("Epilogue", "multi-part message", "--=_alt") },
	{ "mixed-attachments.eml", 5, 0,
	    P({ "multipart/mixed", "", 0, 0 }, { "text/plain", "", 1, 0 },
	    { "application/pdf", "report.pdf", 1, 1 },
	    { "image/png", "chart.png", 1, 1 },
	    { "text/plain", "notes.txt", 1, 1 }),
	    S("Please find the quarterly report attached.",
	    "Notes: revenue up, costs flat."),
	    S("%PDF", "base64") },
	{ "nested-rfc822.eml", 8, 0,
	    P({ "multipart/mixed", "", 0, 0 }, { "text/plain", "", 1, 0 },
	    { "message/rfc822", "", 1, 0 }, { "multipart/mixed", "", 2, 0 },
	    { "multipart/alternative", "", 3, 0 },
	    { "text/plain", "", 4, 0 }, { "text/html", "", 4, 0 },
	    { "application/zip", "payload.zip", 3, 1 }),
	    S("See the forwarded message below.",
	    "Inner text with na\xc3\xafve caf\xc3\xa9.", "<p>Inner html</p>"),
	    S("PK", "From: Eve") },
	{ "subject-2047.eml", 1, 0,
	    P({ "text/plain", "", 0, 0 }),
	    S("Body of the encoded-subject message."), S("=?") },
	{ "base64-body.eml", 1, 0,
	    P({ "text/plain", "", 0, 0 }),
	    S("Congratulations, you have won a prize! R\xc3\xa9" "clamez-le "
	    "maintenant.\n"),
	    S("Q29u") },
	{ "qp-soft-breaks.eml", 1, 0,
	    P({ "text/plain", "", 0, 0 }),
	    S("break it with a soft line break, and the word \"line\" must",
	    "Accents: caf\xc3\xa9, na\xc3\xafve, gar\xc3\xa7on.    \n",
	    "Trailing spaces on this line go:\nEquals sign: 1 + 1 = 2.\n"),
	    S("=E9", "l=") },
	{ "rfc2231-filename.eml", 5, 0,
	    P({ "multipart/mixed", "", 0, 0 }, { "text/plain", "", 1, 0 },
	    { "application/pdf", "na\xc3\xafve r\xc3\xa9sum\xc3\xa9.pdf", 1,
	    1 },
	    { "application/octet-stream",
	    "Gr\xc3\xbc\xc3\x9f" "e aus M\xc3\xbcnchen final.docx", 1, 1 },
	    { "application/octet-stream",
	    "very-long-name-split-across-two-lines.txt", 1, 1 }),
	    S("Two attachments with RFC 2231 file names."), S("JVBER") },
	{ "double-ext.eml", 5, 0,
	    P({ "multipart/mixed", "", 0, 0 }, { "text/plain", "", 1, 0 },
	    { "application/octet-stream", "invoice.pdf.exe", 1, 1 },
	    { "application/octet-stream", "photo.jpg   .scr", 1, 1 },
	    { "application/pdf", "statement.pdf", 1, 1 }),
	    S("Please pay the attached invoice."), S("TVqQ", "not really") },
	{ "malformed-no-close.eml", 3, MIME_MALFORMED,
	    P({ "multipart/mixed", "", 0, 0 }, { "text/plain", "", 1, 0 },
	    { "text/plain", "", 1, 0 }),
	    S("first part\n", "second part, and then the message just ends"),
	    S("--never") },
	{ "malformed-no-boundary.eml", 1, MIME_MALFORMED,
	    P({ "multipart/mixed", "", 0, 0 }),
	    S("Buy cheap watches now"), NULL },
	{ "malformed-bad-base64.eml", 1, MIME_MALFORMED,
	    P({ "text/plain", "", 0, 0 }),
	    S("Hello world!"), S("!!", "SGVs") },
	{ "malformed-truncated-qp.eml", 1, MIME_MALFORMED,
	    P({ "text/plain", "", 0, 0 }),
	    S("Valid caf\xc3\xa9 then a broken =ZZ escape and a cut one at "
	    "the end=E"), NULL },
	{ "malformed-deep.eml", 9, MIME_TOO_DEEP,
	    P({ "multipart/mixed", "", 0, 0 }, { "multipart/mixed", "", 1, 0 },
	    { "multipart/mixed", "", 2, 0 }, { "multipart/mixed", "", 3, 0 },
	    { "multipart/mixed", "", 4, 0 }, { "multipart/mixed", "", 5, 0 },
	    { "multipart/mixed", "", 6, 0 }, { "multipart/mixed", "", 7, 0 },
	    { "multipart/mixed", "", 8, 0 }),
	    NULL, S("TVqQ") },
	{ "malformed-header-no-colon.eml", 3, MIME_MALFORMED,
	    P({ "multipart/mixed", "", 0, 0 }, { "text/plain", "", 1, 0 },
	    { "text/plain", "", 1, 0 }),
	    S("This line has no colon and starts the body\n"
	    "Content-Disposition: attachment; filename=\"hidden.exe\"\n",
	    "visible text after the broken header",
	    "second part has two content types"),
	    S("X-Good") },
	{ "windows-1252.eml", 1, 0,
	    P({ "text/plain", "", 0, 0 }),
	    S("\xe2\x80\x9cSmart quotes\xe2\x80\x9d cost \xe2\x82\xac" "10 "
	    "\xe2\x80\x93 that\xe2\x80\x99s it. Latin-1 too: "
	    "\xc3\xa9\xc3\xa8."),
	    NULL },
	{ "malformed-many-parts.eml", 100, MIME_TOO_MANY_PARTS,
	    P({ "multipart/mixed", "", 0, 0 }, { "text/plain", "", 1, 0 }),
	    S("part 0\npart 1\n", "\npart 98"), S("part 99") },
	{ "digest.eml", 5, 0,
	    P({ "multipart/digest", "", 0, 0 }, { "message/rfc822", "", 1, 0 },
	    { "text/plain", "", 2, 0 }, { "message/rfc822", "", 1, 0 },
	    { "text/plain", "", 2, 0 }),
	    S("first digest message\n",
	    "second digest message costs \xe2\x82\xac 5"),
	    S("Subject: first") },
};

/* The messages, as read from t/data/mail, in the order of mcases. */
static struct mail {
	uint8_t	*raw;
	size_t	 len;
} mails[NITEMS(mcases)];

static size_t
mcase(const char *file)
{
	size_t	i;

	for (i = 0; i < NITEMS(mcases); i++)
		if (strcmp(mcases[i].file, file) == 0)
			return i;
	bail("no case %s", file);
	return 0;
}

static const char *
srcdir(void)
{
	const char	*top = getenv("top_srcdir");

	return top != NULL ? top : SRCDIR;
}

static void
load(size_t i)
{
	struct mail	*c = &mails[i];
	char		 path[4096];
	FILE		*f;

	snprintf(path, sizeof(path), "%s/t/data/mail/%s", srcdir(),
	    mcases[i].file);
	if ((f = fopen(path, "rb")) == NULL)
		bail("%s: %s", path, strerror(errno));
	if ((c->raw = malloc(MAIL_MAX)) == NULL)
		bail("out of memory");
	c->len = fread(c->raw, 1, MAIL_MAX, f);
	if (ferror(f) || !feof(f))
		bail("%s: cannot read it whole", path);
	fclose(f);
}

static struct mime *
parse(size_t i, const struct mime_limits *l, struct fm_msg *msg)
{
	struct mime	*m;

	if (fm_split(mails[i].raw, mails[i].len, msg) == -1 ||
	    (m = mime_parse(msg->hdrs, msg->nhdrs, msg->body, msg->bodylen,
	    l)) == NULL)
		bail("out of memory");
	return m;
}

static int
has(const uint8_t *t, size_t len, const char *s)
{
	return memmem(t, len, s, strlen(s)) != NULL;
}

static void
test_parts(const struct mime *m, const struct mcase *c)
{
	const struct mime_part	*p;
	const struct pexp	*e;
	size_t			 i;

	for (i = 0, e = c->parts; e->type != NULL; i++, e++) {
		if ((p = mime_part(m, i)) == NULL) {
			ok(0, "%s: part %zu exists", c->file, i);
			continue;
		}
		ok(strcmp(mime_part_type(p), e->type) == 0 &&
		    strcmp(mime_part_filename(p), e->filename) == 0 &&
		    mime_part_depth(p) == e->depth &&
		    mime_part_is_attachment(p) == e->attach,
		    "%s: part %zu is %s \"%s\" at depth %zu%s", c->file, i,
		    e->type, e->filename, e->depth,
		    e->attach ? ", an attachment" : "");
		if (strcmp(mime_part_type(p), e->type) != 0 ||
		    strcmp(mime_part_filename(p), e->filename) != 0)
			diag("got %s \"%s\" depth %zu", mime_part_type(p),
			    mime_part_filename(p), mime_part_depth(p));
	}
}

static void
test_mail(size_t i)
{
	const struct mcase *c = &mcases[i];
	struct fm_msg	 msg;
	struct mime	*m;
	const uint8_t	*t;
	size_t		 len;
	const char *const *s;

	m = parse(i, NULL, &msg);
	is_int(mime_part_count(m), c->nparts, "%s: %zu parts", c->file,
	    c->nparts);
	is_int(mime_flags(m), c->flags, "%s: flags %#x", c->file, c->flags);
	test_parts(m, c);
	t = mime_text(m, &len);
	for (s = c->has; s != NULL && *s != NULL; s++)
		if (!ok(has(t, len, *s), "%s: text has \"%.40s\"", c->file,
		    *s))
			diag("text: %.*s", (int)len, (const char *)t);
	for (s = c->lacks; s != NULL && *s != NULL; s++)
		ok(!has(t, len, *s), "%s: text lacks \"%s\"", c->file, *s);
	ok(!has(t, len, "\r"), "%s: no CR in the text", c->file);
	mime_free(&m);
	ok(m == NULL, "%s: mime_free clears the pointer", c->file);
	fm_clear(&msg);
}

/* Decoded data: the PDF attachment and the nested zip. */
static void
test_data(void)
{
	struct fm_msg	 msg;
	struct mime	*m;
	const uint8_t	*d;
	size_t		 len;

	m = parse(mcase("mixed-attachments.eml"), NULL, &msg);
	d = mime_part_data(mime_part(m, 2), &len);
	ok(len > 8 && memcmp(d, "%PDF-1.4", 8) == 0 &&
	    has(d, len, "%%EOF\n"), "base64 attachment decodes to its bytes");
	is_str(mime_part_charset(mime_part(m, 1)), "us-ascii",
	    "charset lower-cased");
	is_str(mime_part_disposition(mime_part(m, 3)), "inline",
	    "disposition");
	is_str(mime_part_ext(mime_part(m, 2)), "pdf", "extension of a part");
	mime_free(&m);
	fm_clear(&msg);
	m = parse(mcase("nested-rfc822.eml"), NULL, &msg);
	d = mime_part_data(mime_part(m, 7), &len);
	ok(len == 12 && memcmp(d, "PK\x03\x04" "fake zip", 12) == 0,
	    "nested attachment decodes");
	ok(mime_part_is_container(mime_part(m, 2)) &&
	    mime_part_parent(mime_part(m, 3)) == 2 &&
	    mime_part_parent(mime_part(m, 7)) == 3,
	    "message/rfc822 contains the inner message");
	d = mime_part_data(mime_part(m, 2), &len);
	ok(len > 5 && memcmp(d, "From:", 5) == 0,
	    "message/rfc822 data is the whole inner message");
	mime_free(&m);
	fm_clear(&msg);
}

static const struct hcase {
	const char	*in;
	size_t		 outlen;
	const char	*want;
	int		 rc;
	const char	*what;
} hcases[] = {
	{ "=?UTF-8?B?Q2Fmw6kgZ3JhdHVpdA==?= =?UTF-8?Q?_pour_vous?=\n"
	    " =?ISO-8859-1?Q?_=E0_Paris?=", 256,
	    "Caf\xc3\xa9 gratuit pour vous \xc3\xa0 Paris", 0,
	    "B and Q, UTF-8 and Latin-1, folded" },
	{ "=?utf-8?q?a?= =?utf-8?q?b?=", 64, "ab", 0,
	    "space between encoded words dropped" },
	{ "=?utf-8?q?a?=\r\n\t=?utf-8?q?b?=", 64, "ab", 0,
	    "folding between encoded words dropped" },
	{ "a =?utf-8?q?b?= c", 64, "a b c", 0,
	    "space next to text kept" },
	{ "=?iso-8859-1?B?R3L832Vu?=", 64, "Gr\xc3\xbc\xc3\x9f" "en", 0,
	    "B, ISO-8859-1" },
	{ "=?utf-8?x?abc?=", 64, "=?utf-8?x?abc?=", 0,
	    "unknown encoding left as is" },
	{ "=?utf-8?B?#a#?= x", 64, "=?utf-8?B?#a#?= x", 0,
	    "bad base64 left as is" },
	{ "=?utf-8?B?YWJjZ?=", 64, "=?utf-8?B?YWJjZ?=", 0,
	    "base64 of a bad length left as is" },
	{ "=?utf-8?Q?=ZZ?=", 64, "=?utf-8?Q?=ZZ?=", 0,
	    "bad Q escape left as is" },
	{ "=?utf-8?Q?no end", 64, "=?utf-8?Q?no end", 0,
	    "unterminated word left as is" },
	{ "=?utf-8?Q?a?= =?utf-8?x?b?=", 64, "a =?utf-8?x?b?=", 0,
	    "space before an invalid word kept" },
	{ "=?utf-8*en?Q?lang?=", 64, "lang", 0, "RFC 2231 language" },
	{ "=?windows-1252?Q?=93q=94_=80?=", 64,
	    "\xe2\x80\x9cq\xe2\x80\x9d \xe2\x82\xac", 0, "windows-1252" },
	{ "=?iso-8859-15?Q?=A4?=", 64, "\xe2\x82\xac", 0, "ISO-8859-15" },
	{ "=?koi8-r?B?8NLJ18XU?=", 64, "\xf0\xd2\xc9\xd7\xc5\xd4", 0,
	    "other charsets pass as bytes" },
	{ "=?utf-8?Q?a=00b=0D=0Ac?=", 64, "a b  c", 0,
	    "NUL, CR, LF from a word become spaces" },
	{ "x=?utf-8?Q?glued?=y", 64, "xgluedy", 0,
	    "words inside text decoded" },
	{ "plain\r\n folded", 64, "plain folded", 0, "unfolded" },
	{ "=?utf-8?B?w6k=?=", 2, "", -1, "no cut UTF-8 sequence" },
	{ "abc", 3, "ab", -1, "truncated to outlen - 1" },
	{ "", 1, "", 0, "empty" },
};

static void
test_headers(void)
{
	char	out[256];
	size_t	i;
	int	rc;

	for (i = 0; i < NITEMS(hcases); i++) {
		memset(out, 'X', sizeof(out));
		rc = mime_decode_header(hcases[i].in, out, hcases[i].outlen);
		ok(rc == hcases[i].rc && strcmp(out, hcases[i].want) == 0,
		    "header: %s", hcases[i].what);
		if (strcmp(out, hcases[i].want) != 0)
			diag("got \"%s\" rc %d", out, rc);
	}
	ok(mime_decode_header("abc", out, 0) == -1, "outlen 0 refused");
}

/* Parameters, through a message of one part with these two headers. */
static const struct ncase {
	const char	*ct;
	const char	*cd;
	const char	*want;
	unsigned	 flags;
	const char	*what;
} ncases[] = {
	{ "application/pdf", "attachment; filename*=''%41.pdf", "A.pdf", 0,
	    "RFC 2231, no charset" },
	{ "application/pdf", "attachment; filename=\"a.pdf\"; "
	    "filename*=utf-8''b.pdf", "b.pdf", 0, "RFC 2231 wins over plain" },
	{ "application/pdf", "attachment; filename*1=\"b.exe\"; "
	    "filename*0=\"a\"", "ab.exe", 0, "continuations out of order" },
	{ "application/pdf", "attachment; filename*0=\"a\"; "
	    "filename*2=\"c.exe\"", "a", 0, "continuations stop at a gap" },
	{ "application/pdf", "attachment; filename*=utf-8''evil%00.exe",
	    "evil_.exe", MIME_MALFORMED, "a NUL in a name is flagged" },
	{ "application/pdf; name=\"b.exe\"", "attachment; filename=a.pdf",
	    "a.pdf", MIME_MALFORMED, "name and filename differ: flagged" },
	{ "application/pdf; name=\"=?iso-8859-1?Q?r=E9sum=E9.pdf?=\"", NULL,
	    "r\xc3\xa9sum\xc3\xa9.pdf", 0, "RFC 2047 in a quoted name" },
	{ "application/pdf", "attachment; filename=my file (1).pdf",
	    "my file (1).pdf", 0, "unquoted name with spaces" },
	{ "application/pdf", "attachment; filename=\"a\\\"b.pdf\"",
	    "a\"b.pdf", 0, "quoted pair" },
	{ "APPLICATION/PDF (a comment); (another) NAME=x.pdf", NULL,
	    "x.pdf", 0, "comments and case" },
	{ "application/pdf", "attachment; filename=\"unterminated.exe",
	    "unterminated.exe", MIME_MALFORMED, "unterminated quote" },
	{ "application/pdf", "attachment; garbage; filename=x.pdf",
	    "x.pdf", MIME_MALFORMED, "a parameter without a value" },
	{ "application/pdf; name=\"\"", "attachment; filename=\"\"", "", 0,
	    "empty name and filename" },
	{ "text", NULL, "", MIME_MALFORMED, "type without subtype" },
};

static void
test_names(void)
{
	char		 ctn[] = "Content-Type", cdn[] = "Content-Disposition";
	char		 ct[256], cd[256];
	struct kv	 kv[2] = { { ctn, ct }, { cdn, cd } };
	struct mime	*m;
	size_t		 i, n;

	for (i = 0; i < NITEMS(ncases); i++) {
		snprintf(ct, sizeof(ct), "%s", ncases[i].ct);
		snprintf(cd, sizeof(cd), "%s",
		    ncases[i].cd != NULL ? ncases[i].cd : "");
		n = ncases[i].cd != NULL ? 2 : 1;
		if ((m = mime_parse(kv, n, (const uint8_t *)"x", 1,
		    NULL)) == NULL)
			bail("out of memory");
		ok(strcmp(mime_part_filename(mime_part(m, 0)),
		    ncases[i].want) == 0 && mime_flags(m) == ncases[i].flags,
		    "name: %s", ncases[i].what);
		if (strcmp(mime_part_filename(mime_part(m, 0)),
		    ncases[i].want) != 0 || mime_flags(m) != ncases[i].flags)
			diag("got \"%s\" flags %#x",
			    mime_part_filename(mime_part(m, 0)), mime_flags(m));
		mime_free(&m);
	}
}

/* Bodies of one part, and the text they must give. */
static const struct bcase {
	const char	*ct;
	const char	*cte;
	const char	*body;
	const char	*want;
	unsigned	 flags;
	const char	*what;
} bcases[] = {
	{ "text/plain", NULL, "a\r\nb\r\n", "a\nb\n", 0, "CRLF as LF" },
	{ "text/plain", NULL, "a\r\r\nb\r\rc\r", "a\nb\rc", 0,
	    "no CRLF left from CR CR LF (found by fuzz-mime)" },
	{ "text/plain; charset=iso-8859-1", "quoted-printable",
	    "caf=E9=\r\n =3D=\n", "caf\xc3\xa9 =", 0,
	    "QP soft breaks, CRLF and LF" },
	{ "text/plain", "base64", "YWJj\nZGVm\nZw", "abcdefg", 0,
	    "base64 without padding" },
	{ "text/plain", "base64", "YQ==YmM=", "abc", MIME_MALFORMED,
	    "base64 after padding goes on, flagged" },
	{ "text/plain", "base64", "YWJjZ", "abc", MIME_MALFORMED,
	    "one sextet too many is flagged" },
	{ "text/plain", "x-uuencode", "begin", "begin", MIME_MALFORMED,
	    "unknown transfer encoding kept as is, flagged" },
	{ "image/png", NULL, "not text", "", 0, "no text from an image" },
	{ "text/html; charset=windows-1252", NULL, "<p>\x80</p>",
	    "<p>\xe2\x82\xac</p>", 0, "HTML is text, not rendered" },
	{ "multipart/mixed", NULL, "no boundary parameter", "no boundary "
	    "parameter", MIME_MALFORMED, "multipart without a boundary" },
	{ "multipart/mixed; boundary=b", "base64",
	    "--b\n\nx\n--b--\n", "x", MIME_MALFORMED,
	    "transfer encoding on a multipart ignored, flagged" },
	{ "multipart/mixed; boundary=b", NULL,
	    "--bb\n\nnot a part\n--b\n\nx\n--b--", "x", 0,
	    "a longer boundary is not ours" },
	{ "multipart/mixed; boundary=b", NULL, "text\n--b--\nmore", "",
	    MIME_MALFORMED, "a close delimiter before any part" },
	{ "multipart/mixed; boundary=\"b c\"", NULL,
	    "--b c  \n\nx\n--b c--junk", "x", 0,
	    "padding after a delimiter, junk after the close" },
	{ "multipart/mixed; boundary=b", NULL,
	    "--b\nContent-Type: text/plain\nContent-Type: image/png\n\nx\n"
	    "--b--", "x", MIME_MALFORMED, "the first of two types counts" },
	{ "message/rfc822", "base64", "U3ViamVjdDogeAoKaGk=", "hi",
	    MIME_MALFORMED, "base64 message/rfc822 decoded, flagged" },
};

static void
test_bodies(void)
{
	char		 ctn[] = "Content-Type", cten[] = "Content-Transfer-"
			    "Encoding", ct[256], cte[256];
	struct kv	 kv[2] = { { ctn, ct }, { cten, cte } };
	struct mime	*m;
	const uint8_t	*t;
	size_t		 i, len;

	for (i = 0; i < NITEMS(bcases); i++) {
		snprintf(ct, sizeof(ct), "%s", bcases[i].ct);
		snprintf(cte, sizeof(cte), "%s",
		    bcases[i].cte ? bcases[i].cte : "");
		if ((m = mime_parse(kv, bcases[i].cte != NULL ? 2 : 1,
		    (const uint8_t *)bcases[i].body, strlen(bcases[i].body),
		    NULL)) == NULL)
			bail("out of memory");
		t = mime_text(m, &len);
		ok(len == strlen(bcases[i].want) &&
		    memcmp(t, bcases[i].want, len) == 0 &&
		    mime_flags(m) == bcases[i].flags, "body: %s",
		    bcases[i].what);
		if (len != strlen(bcases[i].want) ||
		    memcmp(t, bcases[i].want, len) != 0 ||
		    mime_flags(m) != bcases[i].flags)
			diag("got \"%.*s\" flags %#x", (int)len,
			    (const char *)t, mime_flags(m));
		mime_free(&m);
	}
}

/* A name too long keeps its end, extension included. */
static void
test_long_name(void)
{
	char		 cdn[] = "Content-Disposition", cd[4096];
	struct kv	 kv[1] = { { cdn, cd } };
	struct mime	*m;
	const char	*f;
	size_t		 n;

	n = (size_t)snprintf(cd, sizeof(cd), "attachment; filename=\"");
	memset(cd + n, 'a', 2000);
	snprintf(cd + n + 2000, sizeof(cd) - n - 2000, ".pdf.exe\"");
	if ((m = mime_parse(kv, 1, (const uint8_t *)"", 0, NULL)) == NULL)
		bail("out of memory");
	f = mime_part_filename(mime_part(m, 0));
	ok(strlen(f) == MIME_NAME_MAX - 1 &&
	    strcmp(f + strlen(f) - 8, ".pdf.exe") == 0 &&
	    (mime_flags(m) & MIME_MALFORMED) && mime_double_ext(f) &&
	    strcmp(mime_part_ext(mime_part(m, 0)), "exe") == 0,
	    "a long name keeps its end and is flagged");
	mime_free(&m);
}

static const struct xcase {
	const char	*name;
	const char	*ext;
	int		 dbl;
} xcases[] = {
	{ "invoice.pdf.exe", "exe", 1 },
	{ "photo.jpg.scr", "scr", 1 },
	{ "report.doc.js", "js", 1 },
	{ "INVOICE.PDF.EXE", "exe", 1 },
	{ "invoice.pdf.exe.", "exe", 1 },
	{ "invoice.pdf.exe . ", "exe", 1 },
	{ "invoice.pdf   .exe", "exe", 1 },
	{ "scan.jpeg.vbs", "vbs", 1 },
	{ "setup.exe", "exe", 0 },
	{ "archive.tar.gz", "gz", 0 },
	{ "putty-0.78.exe", "exe", 0 },
	{ "John.Smith.exe", "exe", 0 },
	{ "invoice.pdf", "pdf", 0 },
	{ "a.pdf.exe.txt", "txt", 0 },
	{ ".exe", "exe", 0 },
	{ "noext", "", 0 },
	{ "", "", 0 },
	{ "dir.d/file", "", 0 },
	{ "a.b c", "", 0 },
	{ "a.thisextensionistoolongtofitinthebuffer", "", 0 },
};

static void
test_ext(void)
{
	char	ext[MIME_EXT_MAX];
	size_t	i;

	for (i = 0; i < NITEMS(xcases); i++) {
		ok(strcmp(mime_ext(xcases[i].name, ext, sizeof(ext)),
		    xcases[i].ext) == 0 &&
		    mime_double_ext(xcases[i].name) == xcases[i].dbl,
		    "\"%s\": extension \"%s\"%s", xcases[i].name,
		    xcases[i].ext, xcases[i].dbl ? ", double" : "");
	}
	ok(mime_ext_executable("EXE") && mime_ext_executable("js") &&
	    !mime_ext_executable("pdf") && !mime_ext_executable(""),
	    "the executable table");
	ok(mime_ext("a.exe", ext, 0) == ext, "extlen 0 writes nothing");
	ok(*mime_ext("a.exe", ext, 3) == '\0', "an extension that does not "
	    "fit is none");
}

/* The limits, on the corpus. */
static void
test_limits(void)
{
	struct mime_limits	 l;
	struct fm_msg		 msg;
	struct mime		*m;
	const uint8_t		*t;
	size_t			 len;

	mime_limits_default(&l, BODY_MAX);
	ok(l.max_depth == 8 && l.max_parts == 100 && l.max_text == BODY_MAX &&
	    l.max_decoded == 2 * BODY_MAX, "defaults");
	l.max_text = 17;
	m = parse(mcase("windows-1252.eml"), &l, &msg);
	t = mime_text(m, &len);
	ok(len == 15 && memcmp(t, "\xe2\x80\x9cSmart quotes", 15) == 0 &&
	    (mime_flags(m) & MIME_TRUNCATED),
	    "text cut at max_text, a converted character whole or not at all");
	mime_free(&m);
	fm_clear(&msg);
	l.max_text = 19;
	m = parse(mcase("alternative.eml"), &l, &msg);
	t = mime_text(m, &len);
	ok(len == 18 && memcmp(t, "Plain version: caf", 18) == 0 &&
	    (mime_flags(m) & MIME_TRUNCATED),
	    "text cut at max_text, not in a UTF-8 sequence");
	mime_free(&m);
	fm_clear(&msg);
	mime_limits_default(&l, BODY_MAX);
	l.max_decoded = 10;
	m = parse(mcase("mixed-attachments.eml"), &l, &msg);
	(void)mime_part_data(mime_part(m, 2), &len);
	ok(len == 10 && (mime_part_flags(mime_part(m, 2)) & MIME_TRUNCATED) &&
	    (mime_flags(m) & MIME_TRUNCATED), "decoding stops at max_decoded");
	mime_free(&m);
	fm_clear(&msg);
	mime_limits_default(&l, BODY_MAX);
	l.max_depth = 1000;
	l.max_parts = 0;
	m = parse(mcase("malformed-deep.eml"), &l, &msg);
	ok(mime_part_count(m) == 1 &&
	    (mime_flags(m) & MIME_TOO_MANY_PARTS), "max_parts 0 means 1");
	mime_free(&m);
	fm_clear(&msg);
	l.max_parts = MIME_PARTS_MAX;
	m = parse(mcase("malformed-deep.eml"), &l, &msg);
	ok(mime_part_count(m) == MIME_DEPTH_MAX + 1 &&
	    (mime_flags(m) & MIME_TOO_DEEP),
	    "max_depth is capped at MIME_DEPTH_MAX (%d)", MIME_DEPTH_MAX);
	mime_free(&m);
	fm_clear(&msg);
}

/*
 * A worker's view: the policy of sandbox/seccomp.c, limits and all.  The
 * child parses every message and reports part counts and text lengths on
 * the channel, the only descriptor it may write.
 */
static void __attribute__((noreturn))
sb_exit(int status)
{
	for (;;)
		syscall(SYS_exit_group, status);
}

static void __attribute__((noreturn))
sb_child(const struct sandbox_filter *f, int chan)
{
	struct sandbox_limits	 lim;
	struct fm_msg		 msg;
	struct mime		*m;
	char			 err[256];
	uint32_t		 rep[2];
	size_t			 i, len;

	if (dup2(chan, SANDBOX_FD_CHAN) == -1)
		sb_exit(100);
	memset(&lim, 0, sizeof(lim));
#ifndef FD_SANITIZERS
	lim.as_bytes = 512UL << 20;
#endif
	lim.cpu_seconds = 10;
	lim.nofile = SANDBOX_FD_JOB + 1;
	if (sandbox_worker_enter(f, &lim, err, sizeof(err)) == -1)
		sb_exit(101);
	for (i = 0; i < NITEMS(mcases); i++) {
		m = parse(i, NULL, &msg);
		(void)mime_text(m, &len);
		rep[0] = (uint32_t)mime_part_count(m);
		rep[1] = (uint32_t)len;
		if (write(SANDBOX_FD_CHAN, rep, sizeof(rep)) != sizeof(rep))
			sb_exit(102);
		mime_free(&m);
		fm_clear(&msg);
	}
	sb_exit(0);
}

static void
test_sandbox(void)
{
	struct sandbox_filter	*f;
	struct fm_msg		 msg;
	struct mime		*m;
	char			 err[256], why[300];
	uint32_t		 rep[2];
	size_t			 i, len, good = 0;
	int			 sv[2], status;
	pid_t			 pid;

	if ((f = sandbox_filter_new(err, sizeof(err))) == NULL) {
		snprintf(why, sizeof(why), "no worker sandbox here: %s", err);
		skip(2, why);
		return;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		bail("socketpair: %s", strerror(errno));
	fflush(NULL);
	if ((pid = fork()) == -1)
		bail("fork: %s", strerror(errno));
	if (pid == 0)
		sb_child(f, sv[1]);
	close(sv[1]);
	for (i = 0; i < NITEMS(mcases); i++) {
		if (read(sv[0], rep, sizeof(rep)) != sizeof(rep))
			break;
		m = parse(i, NULL, &msg);
		(void)mime_text(m, &len);
		if (rep[0] == mime_part_count(m) && rep[1] == len)
			good++;
		mime_free(&m);
		fm_clear(&msg);
	}
	close(sv[0]);
	if (waitpid(pid, &status, 0) == -1)
		bail("waitpid: %s", strerror(errno));
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "the corpus parses inside the worker sandbox (status %#x)",
	    status);
	is_int(good, NITEMS(mcases), "with the same results as outside");
	sandbox_filter_free(&f);
}

/*
 * The bounds of the parser, each just inside and just outside it: a
 * changed comparison or a bound one too far must show here.  Where a
 * bound guards memory, t/fuzz/corpus/mime has a seed for it too
 * ("bound-*"), for the sanitizer build.
 */

/* Parses a message of one part from up to three headers and a body. */
static struct mime *
parse1(const char *ct, const char *cte, const char *cd, const void *body,
    size_t len, const struct mime_limits *l)
{
	static char	 ctn[] = "Content-Type",
			 cten[] = "Content-Transfer-Encoding",
			 cdn[] = "Content-Disposition";
	struct kv	 kv[3];
	struct mime	*m;
	size_t		 n = 0;

	if (ct != NULL)
		kv[n++] = (struct kv){ ctn, (char *)(uintptr_t)ct };
	if (cte != NULL)
		kv[n++] = (struct kv){ cten, (char *)(uintptr_t)cte };
	if (cd != NULL)
		kv[n++] = (struct kv){ cdn, (char *)(uintptr_t)cd };
	if ((m = mime_parse(kv, n, body, len, l)) == NULL)
		bail("out of memory");
	return m;
}

/* A new string: prefix, n bytes of c, suffix. */
static char *
strfill(const char *prefix, size_t n, char c, const char *suffix)
{
	size_t	 pl = strlen(prefix), sl = strlen(suffix);
	char	*s;

	if ((s = malloc(pl + n + sl + 1)) == NULL)
		bail("out of memory");
	memcpy(s, prefix, pl);
	memset(s + pl, c, n);
	memcpy(s + pl + n, suffix, sl + 1);
	return s;
}

static int
text_is(const struct mime *m, const char *want)
{
	size_t		 len;
	const uint8_t	*t = mime_text(m, &len);

	return len == strlen(want) && memcmp(t, want, len) == 0;
}

/* Quoted-printable reads no byte past its input, at the input's end. */
static void
test_bound_qp(void)
{
	static const char	 body[] = "x=41=4";
	struct mime		*m;

	m = parse1("text/plain", "quoted-printable", NULL, body, 3, NULL);
	ok(text_is(m, "x=4") && (mime_flags(m) & MIME_MALFORMED),
	    "bound: \"=4\" at the end of the body stays as is (the next byte "
	    "in memory is not read)");
	mime_free(&m);
	m = parse1("text/plain", "quoted-printable", NULL, body, 4, NULL);
	ok(text_is(m, "xA") && mime_flags(m) == 0,
	    "bound: \"=41\" at the end of the body decodes");
	mime_free(&m);
	m = parse1("text/plain", "quoted-printable", NULL, body + 4, 1, NULL);
	ok(text_is(m, "") && mime_flags(m) == 0,
	    "bound: \"=\" alone at the end is a soft line break");
	mime_free(&m);
}

/* Fixed-size fields: the longest that fits, and one byte more. */
static void
test_bound_fields(void)
{
	struct mime	*m;
	char		*s, *want;

	s = strfill("", DISP_BOUND - 1, 'd', "");
	m = parse1("text/plain", NULL, s, "x", 1, NULL);
	is_str(mime_part_disposition(mime_part(m, 0)), s,
	    "bound: a disposition of %d bytes is kept", DISP_BOUND - 1);
	mime_free(&m);
	free(s);
	s = strfill("", DISP_BOUND, 'd', "");
	m = parse1("text/plain", NULL, s, "x", 1, NULL);
	is_str(mime_part_disposition(mime_part(m, 0)), "",
	    "bound: one of %d bytes is none", DISP_BOUND);
	mime_free(&m);
	free(s);

	s = strfill("text/plain; charset=", MIME_CHARSET_MAX - 1, 'c', "");
	m = parse1(s, NULL, NULL, "x", 1, NULL);
	ok(strlen(mime_part_charset(mime_part(m, 0))) == MIME_CHARSET_MAX - 1
	    && mime_flags(m) == 0, "bound: a charset of %d bytes is kept",
	    MIME_CHARSET_MAX - 1);
	mime_free(&m);
	free(s);
	s = strfill("text/plain; charset=", MIME_CHARSET_MAX, 'c', "");
	m = parse1(s, NULL, NULL, "x", 1, NULL);
	ok(*mime_part_charset(mime_part(m, 0)) == '\0' &&
	    (mime_flags(m) & MIME_MALFORMED),
	    "bound: one of %d bytes is none, flagged", MIME_CHARSET_MAX);
	mime_free(&m);
	free(s);

	/* "type/subtype": each half below MIME_TYPE_MAX / 2. */
	s = strfill("", MIME_TYPE_MAX / 2 - 1, 't', "/");
	want = strfill(s, MIME_TYPE_MAX / 2 - 1, 's', "");
	m = parse1(want, NULL, NULL, "x", 1, NULL);
	is_str(mime_part_type(mime_part(m, 0)), want,
	    "bound: a type of %d bytes is kept", MIME_TYPE_MAX - 1);
	mime_free(&m);
	free(want);
	want = strfill(s, MIME_TYPE_MAX / 2, 's', "");
	m = parse1(want, NULL, NULL, "x", 1, NULL);
	ok(strcmp(mime_part_type(mime_part(m, 0)), "text/plain") == 0 &&
	    (mime_flags(m) & MIME_MALFORMED),
	    "bound: a subtype of %d bytes makes it text/plain, flagged",
	    MIME_TYPE_MAX / 2);
	mime_free(&m);
	free(want);
	free(s);
	s = strfill("", MIME_TYPE_MAX / 2, 't', "/plain");
	m = parse1(s, NULL, NULL, "x", 1, NULL);
	ok(strcmp(mime_part_type(mime_part(m, 0)), "text/plain") == 0 &&
	    (mime_flags(m) & MIME_MALFORMED),
	    "bound: so does a type of %d bytes", MIME_TYPE_MAX / 2);
	mime_free(&m);
	free(s);
}

/* A file name of MIME_NAME_MAX - 1 bytes is whole; one more keeps its end. */
static void
test_bound_name(void)
{
	struct mime	*m;
	const char	*f;
	char		*s;

	s = strfill("attachment; filename=\"", MIME_NAME_MAX - 5, 'a',
	    ".exe\"");
	m = parse1("application/octet-stream", NULL, s, "x", 1, NULL);
	f = mime_part_filename(mime_part(m, 0));
	ok(strlen(f) == MIME_NAME_MAX - 1 && f[0] == 'a' &&
	    mime_flags(m) == 0, "bound: a file name of %d bytes is whole",
	    MIME_NAME_MAX - 1);
	mime_free(&m);
	free(s);
	s = strfill("attachment; filename=\"b", MIME_NAME_MAX - 5, 'a',
	    ".exe\"");
	m = parse1("application/octet-stream", NULL, s, "x", 1, NULL);
	f = mime_part_filename(mime_part(m, 0));
	ok(strlen(f) == MIME_NAME_MAX - 1 && f[0] == 'a' &&
	    strcmp(f + strlen(f) - 4, ".exe") == 0 &&
	    (mime_flags(m) & MIME_MALFORMED),
	    "bound: one of %d bytes keeps its last %d, flagged",
	    MIME_NAME_MAX, MIME_NAME_MAX - 1);
	mime_free(&m);
	free(s);
}

/* Parameters: at most 64 segments kept, continuation numbers to 999. */
static void
test_bound_params(void)
{
	struct mime	*m;
	char		 cd[4096], want[128];
	size_t		 i, off;

	for (i = 0, off = 0; i < 64; i++)
		off += (size_t)snprintf(cd + off, sizeof(cd) - off,
		    "%sfilename*%zu=\"%c\"", i ? "; " : "attachment; ", i,
		    'a' + (int)(i % 26));
	for (i = 0; i < 64; i++)
		want[i] = (char)('a' + i % 26);
	want[64] = '\0';
	m = parse1("application/pdf", NULL, cd, "x", 1, NULL);
	ok(strcmp(mime_part_filename(mime_part(m, 0)), want) == 0 &&
	    mime_flags(m) == 0, "bound: 64 continuations make the name");
	mime_free(&m);
	snprintf(cd + off, sizeof(cd) - off, "; filename*64=\"z\"");
	m = parse1("application/pdf", NULL, cd, "x", 1, NULL);
	ok(strcmp(mime_part_filename(mime_part(m, 0)), want) == 0 &&
	    (mime_flags(m) & MIME_MALFORMED),
	    "bound: a 65th is not kept, and is flagged");
	mime_free(&m);

	m = parse1("application/pdf", NULL, "attachment; filename*999=a; "
	    "filename*999=b", "x", 1, NULL);
	ok(mime_flags(m) == MIME_MALFORMED,
	    "bound: continuation 999 is one (given twice: flagged)");
	mime_free(&m);
	m = parse1("application/pdf", NULL, "attachment; filename*1000=a; "
	    "filename*1000=b", "x", 1, NULL);
	ok(mime_flags(m) == 0, "bound: continuation 1000 is none (ignored)");
	mime_free(&m);
}

/* A boundary of BOUNDARY_MAX bytes works; one more is unusable. */
static struct mime *
parse_boundary(size_t n)
{
	struct mime	*m;
	char		*b, *ct, *body;
	size_t		 len = 2 * n + 64;

	b = strfill("", n, 'b', "");
	if ((ct = malloc(len)) == NULL || (body = malloc(len)) == NULL)
		bail("out of memory");
	snprintf(ct, len, "multipart/mixed; boundary=\"%s\"", b);
	snprintf(body, len, "--%s\n\nx\n--%s--\n", b, b);
	m = parse1(ct, NULL, NULL, body, strlen(body), NULL);
	free(b);
	free(ct);
	free(body);
	return m;
}

static void
test_bound_boundary(void)
{
	struct mime	*m;

	m = parse_boundary(BOUNDARY_BOUND);
	ok(mime_part_count(m) == 2 && mime_flags(m) == 0 && text_is(m, "x"),
	    "bound: a boundary of %d bytes splits the body", BOUNDARY_BOUND);
	mime_free(&m);
	m = parse_boundary(BOUNDARY_BOUND + 1);
	ok(mime_part_count(m) == 1 && (mime_flags(m) & MIME_MALFORMED),
	    "bound: one of %d bytes is unusable, flagged", BOUNDARY_BOUND + 1);
	mime_free(&m);
}

/* message/rfc822 inside message/rfc822: depth stops at max_depth. */
static void
test_bound_depth(void)
{
	struct mime_limits	 l;
	struct mime		*m;
	const char		*body = "Content-Type: message/rfc822\n\n"
	    "Content-Type: message/rfc822\n\nContent-Type: message/rfc822\n\n"
	    "Content-Type: message/rfc822\n\nSubject: deepest\n\nhi\n";

	mime_limits_default(&l, 4096);
	l.max_depth = 2;
	m = parse1("message/rfc822", NULL, NULL, body, strlen(body), &l);
	ok(mime_part_count(m) == 3 &&
	    mime_part_depth(mime_part(m, 2)) == 2 &&
	    (mime_flags(m) & MIME_TOO_DEEP),
	    "bound: message/rfc822 parts to depth max_depth, no deeper");
	mime_free(&m);
	l.max_depth = 5;
	m = parse1("message/rfc822", NULL, NULL, body, strlen(body), &l);
	ok(mime_part_count(m) == 6 && !(mime_flags(m) & MIME_TOO_DEEP),
	    "bound: and all of them when max_depth allows");
	mime_free(&m);
}

/* max_parts, max_text and max_decoded, exactly reached and passed. */
static void
test_bound_limits(void)
{
	struct mime_limits	 l;
	struct fm_msg		 msg;
	struct mime		*m;
	const uint8_t		*d;
	size_t			 len;

	mime_limits_default(&l, BODY_MAX);
	l.max_parts = 5;
	m = parse(mcase("mixed-attachments.eml"), &l, &msg);
	ok(mime_part_count(m) == 5 && !(mime_flags(m) & MIME_TOO_MANY_PARTS),
	    "bound: 5 parts with max_parts 5");
	mime_free(&m);
	fm_clear(&msg);
	l.max_parts = 4;
	m = parse(mcase("mixed-attachments.eml"), &l, &msg);
	ok(mime_part_count(m) == 4 && (mime_flags(m) & MIME_TOO_MANY_PARTS),
	    "bound: 4 of them with max_parts 4, flagged");
	mime_free(&m);
	fm_clear(&msg);

	mime_limits_default(&l, 64);
	l.max_text = 3;
	m = parse1("text/plain", NULL, NULL, "abc", 3, &l);
	ok(text_is(m, "abc") && mime_flags(m) == 0,
	    "bound: 3 bytes of text with max_text 3");
	mime_free(&m);
	l.max_text = 2;
	m = parse1("text/plain", NULL, NULL, "abc", 3, &l);
	ok(text_is(m, "ab") && (mime_flags(m) & MIME_TRUNCATED),
	    "bound: 2 of them with max_text 2, flagged");
	mime_free(&m);

	mime_limits_default(&l, 64);
	l.max_decoded = 3;
	m = parse1("application/pdf", "base64", NULL, "YWJj", 4, &l);
	d = mime_part_data(mime_part(m, 0), &len);
	ok(len == 3 && memcmp(d, "abc", 3) == 0 && mime_flags(m) == 0,
	    "bound: 3 decoded bytes with max_decoded 3");
	mime_free(&m);
	l.max_decoded = 2;
	m = parse1("application/pdf", "base64", NULL, "YWJj", 4, &l);
	d = mime_part_data(mime_part(m, 0), &len);
	ok(len == 2 && (mime_flags(m) & MIME_TRUNCATED),
	    "bound: 2 of them with max_decoded 2, flagged");
	mime_free(&m);
}

/* An encoded word's charset: MIME_CHARSET_MAX bytes, not one more. */
static void
test_bound_ew(void)
{
	char	*in, out[512];
	int	 rc;

	in = strfill("=?", MIME_CHARSET_MAX, 'c', "?Q?ok?=");
	rc = mime_decode_header(in, out, sizeof(out));
	ok(rc == 0 && strcmp(out, "ok") == 0,
	    "bound: an encoded word with a charset of %d bytes decodes",
	    MIME_CHARSET_MAX);
	free(in);
	in = strfill("=?", MIME_CHARSET_MAX + 1, 'c', "?Q?ok?=");
	rc = mime_decode_header(in, out, sizeof(out));
	ok(rc == 0 && strcmp(out, in) == 0,
	    "bound: one of %d bytes is left as it is", MIME_CHARSET_MAX + 1);
	free(in);
	rc = mime_decode_header("abc", out, 4);
	ok(rc == 0 && strcmp(out, "abc") == 0,
	    "bound: outlen 4 holds \"abc\" whole");
}

static void
test_mime_bounds(void)
{
	test_bound_qp();
	test_bound_fields();
	test_bound_name();
	test_bound_params();
	test_bound_boundary();
	test_bound_depth();
	test_bound_limits();
	test_bound_ew();
}

int
main(void)
{
	size_t	i;

	for (i = 0; i < NITEMS(mcases); i++)
		load(i);
	for (i = 0; i < NITEMS(mcases); i++)
		test_mail(i);
	test_data();
	test_headers();
	test_names();
	test_bodies();
	test_long_name();
	test_ext();
	test_limits();
	test_mime_bounds();
	test_sandbox();
	for (i = 0; i < NITEMS(mcases); i++)
		free(mails[i].raw);
	return done_testing();
}
