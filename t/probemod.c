/*
 * probemod: a test module that says, on stderr, in which process it is
 * loaded: its pid, its parent's, its user and its seccomp mode, from its
 * constructor, before any init.  t/08-module.sh checks from it that the
 * parent never loads a module: filterd -n, the check at start and a
 * reload load it in an unprivileged, sandboxed child.  When the file
 * that FILTERD_PROBE_DIE names exists, the constructor also forks, which
 * kills a configuration check: a reload must then change nothing.  Built
 * as users build their modules, against filter.h alone.
 */
#include <sys/wait.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filters/filter.h"

/* The Seccomp: field of /proc/self/status, or "?". */
static void
probe_seccomp(char *out, size_t len)
{
	char	 buf[4096], *p;
	ssize_t	 n;
	int	 fd;

	(void)snprintf(out, len, "?");
	if ((fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC)) == -1)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	if ((p = strstr(buf, "\nSeccomp:\t")) != NULL)
		(void)snprintf(out, len, "%.1s", p + strlen("\nSeccomp:\t"));
}

static void __attribute__((constructor))
probe_loaded(void)
{
	const char	*die = getenv("FILTERD_PROBE_DIE");
	char		 mode[8];
	pid_t		 pid;

	probe_seccomp(mode, sizeof(mode));
	dprintf(STDERR_FILENO, "probemod: loaded in pid %ld ppid %ld uid %ld "
	    "seccomp %s\n", (long)getpid(), (long)getppid(), (long)getuid(),
	    mode);
	if (die == NULL || access(die, F_OK) == -1)
		return;
	if ((pid = fork()) == 0)
		_exit(0);
	if (pid > 0)
		(void)waitpid(pid, NULL, 0);
}

static int
probe_init(const config_setting_t *settings, void **state_r, char *err,
    size_t errlen)
{
	(void)settings;
	(void)err;
	(void)errlen;
	*state_r = NULL;
	return 0;
}

static int
probe_check(void *state, const struct filter_msg *m, struct filter_result *r)
{
	(void)state;
	(void)m;
	(void)r;
	return 0;
}

const struct filter_module filterd_module = {
	.abi = FILTER_ABI_VERSION,
	.name = "probe",
	.init = probe_init,
	.check = probe_check,
};
