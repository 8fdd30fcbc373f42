/*
 * t/12-seccomp-pfc.c: the seccomp policies against their golden copies,
 * so that every change to a policy shows up in review as a change to a
 * file: the worker's in t/data/seccomp-x86_64.pfc, the supervisor's, the
 * spawner's, the configuration checker's and the metrics process's in
 * t/data/seccomp-{supervisor,spawner,checker,metrics}-x86_64.pfc.  Runs as a test
 * program, as any user; trusts the golden files only as text to compare
 * with.
 *
 * A golden file is sandbox_filter_dump()'s or sandbox_proc_dump()'s
 * output (libseccomp's pseudo filter code) under a three-line header that
 * names the libseccomp version that wrote it.  Another version may print the same policy
 * differently, so the comparison is skipped, with a reason, under any
 * other version and on any other architecture; CI runs the version the
 * file was made with.  On a mismatch the test prints a unified diff (by
 * diff(1)) and how to regenerate the file:
 *
 *	FILTERD_REGEN_GOLDEN=1 make check TESTS=t/12-seccomp-pfc
 *
 * which rewrites them in the source tree, for review with git diff.
 */
#ifdef HAVE_CONFIG_H
#include "autoconf.h"
#endif

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sandbox/sandbox.h"
#include "t/tap.h"

#define GOLDEN_PATH	"t/data/seccomp-x86_64.pfc"
#define GOLDEN_MAX	64	/* of a golden file's path in the tree */
#define REGEN_VAR	"FILTERD_REGEN_GOLDEN"
#define REGEN_HOW	REGEN_VAR "=1 make check TESTS=t/12-seccomp-pfc"
#define TEXT_MAX	(1 << 20)	/* far above the ~5 KB of policy */
#define DIFF_LINES	200		/* of diff output shown at most */

struct text {
	char	*p;
	size_t	 len;
};

static void
text_free(struct text *t)
{
	free(t->p);
	t->p = NULL;
	t->len = 0;
}

/* Reads all of fd, from offset 0, into t; at most TEXT_MAX bytes. */
static int
text_read_fd(int fd, struct text *t)
{
	ssize_t	n = 0;

	if ((t->p = malloc(TEXT_MAX + 1)) == NULL)
		bail("malloc: %s", strerror(errno));
	t->len = 0;
	while (t->len < TEXT_MAX &&
	    (n = pread(fd, t->p + t->len, TEXT_MAX - t->len,
	    (off_t)t->len)) > 0)
		t->len += (size_t)n;
	t->p[t->len] = '\0';
	return n < 0 || t->len == TEXT_MAX ? -1 : 0;
}

static int
text_read_file(const char *path, struct text *t)
{
	int	fd, rc;

	t->p = NULL;
	t->len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	rc = text_read_fd(fd, t);
	(void)close(fd);
	if (rc == -1)
		text_free(t);
	return rc;
}

/* The header of a golden file, for this libseccomp. */
static void
golden_header(const char *what, char *buf, size_t len)
{
	const struct scmp_version	*v = seccomp_version();

	(void)snprintf(buf, len,
	    "# filterd's %s seccomp policy, from %s.\n"
	    "# libseccomp %u.%u.%u. After a deliberate change to the policy:\n"
	    "# %s\n", what, strcmp(what, "worker") == 0 ?
	    "sandbox_filter_dump()" : "sandbox_proc_dump()", v->major,
	    v->minor, v->micro, REGEN_HOW);
}

/*
 * The header, then the dump of f (or, f NULL, of process p's policy):
 * what the golden file should hold.
 */
static int
policy_text(const struct sandbox_filter *f, enum sandbox_proc p,
    struct text *t)
{
	char	hdr[512], err[256];
	size_t	hlen;
	int	fd, rc;

	golden_header(f != NULL ? "worker" : sandbox_proc_name(p), hdr,
	    sizeof(hdr));
	hlen = strlen(hdr);
	if ((fd = memfd_create("pfc", MFD_CLOEXEC)) == -1)
		bail("memfd_create: %s", strerror(errno));
	if (write(fd, hdr, hlen) != (ssize_t)hlen)
		bail("write: %s", strerror(errno));
	if (f != NULL)
		rc = sandbox_filter_dump(f, fd);
	else if ((rc = sandbox_proc_dump(p, fd, err, sizeof(err))) == -1)
		diag("sandbox_proc_dump: %s", err);
	if (rc == 0)
		rc = text_read_fd(fd, t);
	(void)close(fd);
	return rc;
}

/* Where the golden file of p lives in the tree; the worker's for -1. */
static void
golden_rel(int p, char *buf, size_t len)
{
	if (p == -1)
		(void)snprintf(buf, len, "%s", GOLDEN_PATH);
	else
		(void)snprintf(buf, len, "t/data/seccomp-%s-x86_64.pfc",
		    sandbox_proc_name((enum sandbox_proc)p));
}

static const char *
golden_path(const char *rel, char *buf, size_t len)
{
	const char	*top = getenv("top_srcdir");

	(void)snprintf(buf, len, "%s/%s", top != NULL && *top != '\0' ? top :
	    ".", rel);
	return buf;
}

/*
 * The libseccomp version named in the golden file's header; "" when the
 * header has none.
 */
static void
golden_version(const struct text *g, char *buf, size_t len)
{
	const char	*p, *e;
	size_t		 n;

	buf[0] = '\0';
	if ((p = strstr(g->p, "# libseccomp ")) == NULL)
		return;
	p += strlen("# libseccomp ");
	if ((e = strchr(p, '.')) == NULL || (e = strchr(e + 1, '.')) == NULL)
		return;
	n = strspn(e + 1, "0123456789");
	n += (size_t)(e + 1 - p);
	if (n >= len)
		return;
	memcpy(buf, p, n);
	buf[n] = '\0';
}

static void
runtime_version(char *buf, size_t len)
{
	const struct scmp_version	*v = seccomp_version();

	(void)snprintf(buf, len, "%u.%u.%u", v->major, v->minor, v->micro);
}

/* Writes t to path through a temporary file and a rename. */
static int
golden_write(const char *path, const struct text *t)
{
	char	tmp[4096];
	int	fd;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return -1;
	if ((fd = mkstemp(tmp)) == -1)
		return -1;
	if (write(fd, t->p, t->len) != (ssize_t)t->len || fchmod(fd, 0644) ==
	    -1 || close(fd) == -1 || rename(tmp, path) == -1) {
		(void)unlink(tmp);
		return -1;
	}
	return 0;
}

/* Sends the lines of buf to diag(), at most *left of them. */
static void
diag_lines(char *buf, int *left)
{
	char	*line, *nl;

	for (line = buf; *line != '\0' && *left > 0; line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL) {
			diag("%s", line);
			(*left)--;
			return;
		}
		*nl = '\0';
		diag("%s", line);
		(*left)--;
	}
}

/* Runs diff -u golden actual and shows its output as diag lines. */
static int
diff_show(const char *rel, const char *golden, const char *actual)
{
	char	buf[4096], carry[8192];
	size_t	clen = 0;
	ssize_t	n;
	pid_t	pid;
	int	p[2], status, left = DIFF_LINES;

	if (pipe(p) == -1 || (pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		(void)dup2(p[1], 1);
		(void)dup2(p[1], 2);
		(void)close(p[0]);
		execlp("diff", "diff", "-u", "-L", rel, "-L", "the dump",
		    golden, actual, (char *)NULL);
		_exit(127);
	}
	(void)close(p[1]);
	while ((n = read(p[0], buf, sizeof(buf))) > 0) {
		if (clen + (size_t)n >= sizeof(carry) - 1)
			n = (ssize_t)(sizeof(carry) - 1 - clen);
		memcpy(carry + clen, buf, (size_t)n);
		clen += (size_t)n;
	}
	carry[clen] = '\0';
	(void)close(p[0]);
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) > 1)
		return -1;
	diag_lines(carry, &left);
	if (left == 0)
		diag("(diff cut at %d lines)", DIFF_LINES);
	return 0;
}

/* Without diff(1): the first line that differs. */
static void
diff_first(const struct text *g, const struct text *a)
{
	size_t	i, line = 1, start = 0;

	for (i = 0; i < g->len && i < a->len && g->p[i] == a->p[i]; i++)
		if (g->p[i] == '\n') {
			line++;
			start = i + 1;
		}
	diag("first difference at line %zu:", line);
	diag("  golden: %.*s", (int)strcspn(g->p + start, "\n"),
	    g->p + start);
	diag("  dump:   %.*s", (int)strcspn(a->p + start, "\n"),
	    a->p + start);
}

static void
mismatch_explain(const char *rel, const char *path, const struct text *g,
    const struct text *a)
{
	char	tmp[] = "/tmp/filterd-pfc.XXXXXX";
	int	fd, shown = 0;

	if ((fd = mkstemp(tmp)) != -1) {
		if (write(fd, a->p, a->len) == (ssize_t)a->len)
			shown = diff_show(rel, path, tmp) == 0;
		(void)close(fd);
		(void)unlink(tmp);
	}
	if (!shown)
		diff_first(g, a);
	diag("the seccomp policy differs from %s.", rel);
	diag("If the change is deliberate, regenerate the file and commit it");
	diag("with the change, for review:");
	diag("  %s", REGEN_HOW);
}

/* The worker's and the four processes'. */
#define GOLDEN_TESTS	5

static void
test_golden(const char *rel, const struct text *a)
{
	struct text	g;
	char		path[4096], gv[32], rv[32];

	golden_path(rel, path, sizeof(path));
	if (getenv(REGEN_VAR) != NULL && strcmp(getenv(REGEN_VAR), "1") == 0) {
		if (!ok(golden_write(path, a) == 0, "regenerated %s", path))
			diag("writing %s: %s", path, strerror(errno));
		else
			diag("now review it: git diff %s", rel);
		return;
	}
	if (text_read_file(path, &g) == -1) {
		ok(0, "golden file %s", path);
		diag("cannot read %s: %s; to create it: %s", path,
		    strerror(errno), REGEN_HOW);
		return;
	}
	golden_version(&g, gv, sizeof(gv));
	runtime_version(rv, sizeof(rv));
	if (strcmp(gv, rv) != 0) {
		(void)snprintf(path, sizeof(path), "golden file from "
		    "libseccomp %s, this is %s: its text may differ for the "
		    "same policy",
		    gv[0] != '\0' ? gv : "(unknown)", rv);
		skip(1, path);
	} else if (!ok(g.len == a->len && memcmp(g.p, a->p, a->len) == 0,
	    "policy matches %s", rel))
		mismatch_explain(rel, path, &g, a);
	text_free(&g);
}

int
main(void)
{
	struct sandbox_filter	*f1, *f2;
	struct text		 a, b, c;
	char			 err[256], rel[GOLDEN_MAX];
	int			 p;

	if (seccomp_arch_native() != SCMP_ARCH_X86_64) {
		printf("1..0 # SKIP the golden policy is for x86_64 only\n");
		return 0;
	}
	plan(3 + GOLDEN_TESTS);
	if ((f1 = sandbox_filter_new(err, sizeof(err))) == NULL ||
	    (f2 = sandbox_filter_new(err, sizeof(err))) == NULL)
		bail("sandbox_filter_new: %s", err);
	ok(policy_text(f1, 0, &a) == 0 && a.len > 0, "sandbox_filter_dump");
	ok(policy_text(f1, 0, &b) == 0 && a.len == b.len &&
	    memcmp(a.p, b.p, a.len) == 0, "a second dump is the same");
	ok(policy_text(f2, 0, &c) == 0 && a.len == c.len &&
	    memcmp(a.p, c.p, a.len) == 0,
	    "the dump of a second filter is the same");
	golden_rel(-1, rel, sizeof(rel));
	test_golden(rel, &a);
	text_free(&a);
	text_free(&b);
	text_free(&c);
	for (p = SANDBOX_PROC_SUPERVISOR; p <= SANDBOX_PROC_METRICS; p++) {
		if (policy_text(NULL, (enum sandbox_proc)p, &a) == -1)
			bail("cannot dump the %s policy",
			    sandbox_proc_name((enum sandbox_proc)p));
		golden_rel(p, rel, sizeof(rel));
		test_golden(rel, &a);
		text_free(&a);
	}
	sandbox_filter_free(&f1);
	sandbox_filter_free(&f2);
	return done_testing();
}
