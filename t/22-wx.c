/*
 * 22-wx: sandbox/wx.c on mappings made for the test, as PCRE2's JIT makes
 * them (anonymous, rwx): sealed r-x, executable and no longer writable;
 * unsealed rw-, writable and no longer executable; a named rwx mapping is
 * refused.  Faults are provoked in forked children.
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sandbox/wx.h"
#include "t/tap.h"

#define PAGE	4096

/* The permissions of the mapping holding p, from /proc/self/maps. */
static void
perms_of(const void *p, char *perms, size_t len)
{
	FILE		*f;
	char		 line[512], pr[5];
	unsigned long	 lo, hi, a = (unsigned long)(uintptr_t)p;

	snprintf(perms, len, "none");
	if ((f = fopen("/proc/self/maps", "re")) == NULL)
		bail("/proc/self/maps");
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, pr) == 3 &&
		    a >= lo && a < hi)
			snprintf(perms, len, "%s", pr);
	fclose(f);
}

/* Runs fn(p) in a child; returns the signal that ended it, or 0. */
static int
in_child(void (*fn)(volatile uint8_t *), volatile uint8_t *p)
{
	pid_t	 pid;
	int	 status;

	if ((pid = fork()) == -1)
		bail("fork");
	if (pid == 0) {
		/* The fault itself, not a sanitizer's report of it. */
		signal(SIGSEGV, SIG_DFL);
		signal(SIGBUS, SIG_DFL);
		fn(p);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) == -1)
		bail("waitpid");
	return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

static void
poke(volatile uint8_t *p)
{
	p[1] = 0xc3;
}

static void
call(volatile uint8_t *p)
{
	void	(*fn)(void) = (void (*)(void))(uintptr_t)p;

	fn();
}

/* A file mapped writable and executable: not ours to seal. */
static void
test_named(void)
{
	struct wx_sealed	*s;
	char			 path[] = "/tmp/22-wx.XXXXXX", err[256];
	void			*p;
	int			 fd;

	if ((fd = mkstemp(path)) == -1 || ftruncate(fd, PAGE) == -1)
		bail("mkstemp");
	unlink(path);
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE,
	    fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		skip(3, "cannot map a file rwx here (noexec /tmp?)");
		return;
	}
	err[0] = '\0';
	ok(wx_seal(&s, err, sizeof(err)) == -1, "a named rwx mapping is "
	    "refused");
	ok(strstr(err, "22-wx.") != NULL && strstr(err, "writable and "
	    "executable") != NULL, "and named in the error (%s)", err);
	ok(s == NULL && wx_count() == 1, "and left alone");
	munmap(p, PAGE);
}

int
main(void)
{
	struct wx_sealed	*s = (struct wx_sealed *)1;
	uint8_t			*p;
	char			 perms[8], err[256];

	if (!wx_available()) {
		printf("1..0 # SKIP no way to list the mappings here\n");
		return 0;
	}
	is_int(wx_count(), 0, "no rwx mapping to begin with");
	ok(wx_seal(&s, err, sizeof(err)) == 0 && s == NULL,
	    "with none, nothing is sealed");
	p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE | PROT_EXEC,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		skip(12, "cannot map rwx memory here");
		return done_testing();
	}
	p[0] = 0xc3;	/* x86 "ret" */
	is_int(wx_count(), 1, "an anonymous rwx mapping is counted");

	ok(wx_seal(&s, err, sizeof(err)) == 0 && s != NULL, "sealed");
	perms_of(p, perms, sizeof(perms));
	is_str(perms, "r-xp", "the mapping is now read and execute only");
	is_int(wx_count(), 0, "no rwx mapping is left");
	is_int(in_child(poke, p), SIGSEGV, "writing to it faults");
#if defined(__x86_64__) || defined(__i386__)
	is_int(in_child(call, p), 0, "its code runs");
#else
	skip(1, "no code to run on this architecture");
#endif

	ok(wx_unseal(&s) == 0 && s == NULL, "unsealed");
	perms_of(p, perms, sizeof(perms));
	is_str(perms, "rw-p", "the mapping is now read and write only");
	is_int(in_child(poke, p), 0, "writing to it works");
	is_int(in_child(call, p), SIGSEGV, "running it faults");
	ok(wx_unseal(&s) == 0, "unsealing nothing is a no-op");
	munmap(p, 2 * PAGE);

	test_named();
	return done_testing();
}
