/*
 * ascreds: what a process with given user and group ids may do to other
 * processes, for t/31-procstatus.sh.  A test program, run as root; it
 * trusts its command line.
 *
 *	ascreds RUID EUID RGID EGID PID...
 *
 * Drops the supplementary groups, sets the real and saved gid to RGID and
 * the effective one to EGID, then the uids alike -- as sandbox_privdrop()
 * does for the supervisor (user's real ids, worker_user's effective ones),
 * or as a worker has them when all are worker_user's -- and then, for each
 * PID, tries what a compromised worker would: signal 0, and open
 * /proc/PID/mem and /proc/PID/environ.  Prints one line a PID:
 *
 *	PID kill=ok|ERRNO mem=ok|ERRNO environ=ok|ERRNO
 *
 * with ERRNO a name such as EPERM or EACCES.  Exits 0 when every id could
 * be set, 1 otherwise, 2 on a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static long
num(const char *s)
{
	char	*end;
	long	 n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || n < 0) {
		fprintf(stderr, "ascreds: %s: not a number\n", s);
		exit(2);
	}
	return n;
}

static const char *
errname(int e)
{
	switch (e) {
	case 0:
		return "ok";
	case EPERM:
		return "EPERM";
	case EACCES:
		return "EACCES";
	case ESRCH:
		return "ESRCH";
	case ENOENT:
		return "ENOENT";
	default:
		return "other";
	}
}

/* Opens /proc/PID/what for reading; returns 0 or the errno. */
static int
try_open(long pid, const char *what)
{
	char	 path[64];
	int	 fd;

	snprintf(path, sizeof(path), "/proc/%ld/%s", pid, what);
	if ((fd = open(path, O_RDONLY)) == -1)
		return errno;
	close(fd);
	return 0;
}

int
main(int argc, char *argv[])
{
	uid_t	 ruid, euid;
	gid_t	 rgid, egid;
	long	 pid;
	int	 i, k;

	if (argc < 6) {
		fprintf(stderr, "usage: ascreds RUID EUID RGID EGID PID...\n");
		return 2;
	}
	ruid = (uid_t)num(argv[1]);
	euid = (uid_t)num(argv[2]);
	rgid = (gid_t)num(argv[3]);
	egid = (gid_t)num(argv[4]);
	if (setgroups(0, NULL) == -1 || setresgid(rgid, egid, rgid) == -1 ||
	    setresuid(ruid, euid, ruid) == -1) {
		perror("ascreds: setting ids");
		return 1;
	}
	for (i = 5; i < argc; i++) {
		pid = num(argv[i]);
		k = kill((pid_t)pid, 0) == -1 ? errno : 0;
		printf("%ld kill=%s", pid, errname(k));
		printf(" mem=%s", errname(try_open(pid, "mem")));
		printf(" environ=%s\n", errname(try_open(pid, "environ")));
	}
	/*
	 * Not exit(): in a sanitizer build LeakSanitizer would check, which
	 * needs to ptrace this process -- refused with ids like these.
	 */
	syscall(SYS_exit_group, fflush(stdout) == EOF);
	return 1;
}
