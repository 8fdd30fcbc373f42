/*
 * filterd: a sandboxed mail filter daemon.  main() has the configuration
 * checked in a sandboxed child (parent_check.c) and loads what it checked,
 * then splits into the parent (which starts spawners), the supervisor
 * (which speaks to the MTA) and, through exec of a program of their own
 * (filterd-spawner, spawner_main.c), spawners (which fork one sandboxed
 * worker per message).  It never loads a module itself.
 */
#include <errno.h>
#include <fcntl.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "filterd/lib/config.h"
#include "filterd/offline.h"
#include "filterd/lib/log.h"
#include "filterd/parent.h"
#include "filterd/metrics.h"
#include "filterd/parent_check.h"
#include "filterd/parent_ctl.h"
#include "filterd/parent_start.h"
#include "filterd/super.h"
#include "sandbox/sandbox.h"

/* -h: to stdout, and success; a mistake: to stderr, and failure. */
static void __attribute__((noreturn))
usage(int help)
{
	fprintf(help ? stdout : stderr, "usage: filterd [-dhnTVv] [-f file] "
	    "[-x milter | opensmtpd]\n"
	    "       filterd [-v] [-f file] -t message|- [message ...] "
	    "[--json] [--trace]\n"
	    "               [--client-addr addr] [--client-name name] "
	    "[--helo name]\n"
	    "               [--sender addr] [--rcpt addr ...] [--auth user] "
	    "[--macro name=value ...]\n");
	if (help)
		fputs("  -d            stay in the foreground, log to stderr\n"
		    "  -f file       configuration file (default "
		    CONFIG_DEFAULT_PATH ")\n"
		    "  -h            this help\n"
		    "  -n            check the configuration and exit\n"
		    "  -T            print the effective configuration\n"
		    "  -t message    filter message files (- for standard "
		    "input) offline\n"
		    "  --json        with -t: the verdict as JSON\n"
		    "  --trace       with -t: what each rule matched\n"
		    "  --client-addr, --client-name, --helo, --sender, --rcpt, "
		    "--auth, --macro\n"
		    "                with -t: the connection and envelope\n"
		    "  -V            version and sandbox features\n"
		    "  -v            verbose logging\n"
		    "  -x frontend   milter (default) or opensmtpd\n"
		    "See filterd(8).\n", stdout);
	exit(help ? 0 : 2);
}

/* -V: the version, and what this build confines and compiles with. */
static void __attribute__((noreturn))
version(void)
{
	uint32_t	 jit = 0;
	char		 pcre[64];

	printf("filterd %s\n", PACKAGE_VERSION);
	printf("sandbox: %s%s\n", FD_SANDBOX_NAME,
#ifdef HAVE_LINUX_LANDLOCK_H
	    ", landlock, namespaces, rlimits, no-new-privs"
#else
	    ", rlimits"
#endif
	    );
	if (pcre2_config(PCRE2_CONFIG_VERSION, pcre) < 0)
		snprintf(pcre, sizeof(pcre), "unknown");
	(void)pcre2_config(PCRE2_CONFIG_JIT, &jit);
	printf("pcre2: %s, JIT %s\n", pcre, jit ? "available" : "not "
	    "available");
	printf("runtime directory: %s\n", FILTERD_RUNDIR);
	exit(0);
}

/* A line of the configuration check's (parent_check.c). */
static void
report_stderr(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "%s\n", line);
}

/*
 * Checks the configuration in a sandboxed child, modules and all, and
 * loads what it checked: its snapshot.  Exits 1 when it has errors.
 */
static struct config *
check_config(const char *path, int *conffd_r)
{
	struct config	*c = NULL;

	if ((*conffd_r = parent_check(path, report_stderr, NULL)) == -1 ||
	    (c = config_load_fd(*conffd_r, path, stderr)) == NULL) {
		fprintf(stderr, "filterd: %s: configuration has errors\n",
		    path);
		exit(1);
	}
	return c;
}

/*
 * In opensmtpd mode stdin and stdout are smtpd's filter stream: only the
 * supervisor keeps them.  The parent and the spawners it execs get
 * /dev/null, so that nothing but the frontend can read or write them.
 */
static void
null_stdio(void)
{
	int	 fd;

	if ((fd = open("/dev/null", O_RDWR)) == -1)
		fatal("/dev/null");
	if (dup2(fd, STDIN_FILENO) == -1 || dup2(fd, STDOUT_FILENO) == -1)
		fatal("dup2");
	if (fd > STDERR_FILENO)
		close(fd);
}

/*
 * The spawner program the parent execs: the one installed in
 * $(pkglibexecdir), or, for a filterd run from the tree it was built in
 * (its tests), the one built beside it, named after it: filterd/filterd
 * runs filterd/filterd-spawner, t/filterd-hostile t/filterd-hostile-spawner.
 * Fixed at build time, so that neither the environment nor the command
 * line can choose what the parent, as root, executes.  Checked here, so
 * that a missing one stops filterd at start with its name rather than
 * failing every spawner.
 */
static void
spawner_path(const char *self, char *buf, size_t len)
{
	char	 tree[PATH_MAX];
	size_t	 n;

	if (realpath(FD_BUILDDIR, tree) != NULL &&
	    (n = strlen(tree)) > 0 && strncmp(self, tree, n) == 0 &&
	    self[n] == '/') {
		if (snprintf(buf, len, "%s-spawner", self) >= (int)len)
			fatalx("%s-spawner: path too long", self);
	} else if (snprintf(buf, len, "%s", FD_SPAWNER_PATH) >= (int)len)
		fatalx("%s: path too long", FD_SPAWNER_PATH);
	if (access(buf, X_OK) == -1)
		fatal("the spawner program %s", buf);
}

/*
 * Before anything is forked, while filterd still has the terminal it was
 * started from: the milter socket's path and the pidfile.  A daemon that
 * cannot start says why here and exits 1.  Returns the locked pidfile's
 * descriptor, or -1 when there is none.
 */
static int
prepare(const struct config *c, struct parent_args *a)
{
	char	 err[512];
	int	 fd = -1;

	if (start_check_listen(c->listen, err, sizeof(err)) == -1 ||
	    (c->pidfile[0] != '\0' &&
	    (fd = start_pidfile_lock(c->pidfile, err, sizeof(err))) == -1)) {
		log_warnx("%s: %s", a->confpath, err);
		exit(1);
	}
	a->pidfile = c->pidfile[0] != '\0' ? c->pidfile : NULL;
	a->sockpath = start_unix_path(c->listen);
	(void)start_nudge_addr(c->listen, &a->nudge, &a->nudgelen);
	return fd;
}

int
main(int argc, char *argv[])
{
	struct parent_args	 a;
	struct config		*c;
	char			 self[PATH_MAX], confabs[PATH_MAX];
	char			 spawner[PATH_MAX];
	ssize_t			 n;
	static const struct option longopts[] = {
		OFFLINE_LONGOPTS
		{ NULL, 0, NULL, 0 },
	};
	struct offline_opts	 test;
	int			 ch, check = 0, dump = 0, rc;
	int			 frontend = FRONTEND_MILTER;
	int			 sv[2], cv[2], mv[2] = { -1, -1 }, lfd;
	int			 pidfd = -1;
	pid_t			 pid;

	memset(&a, 0, sizeof(a));
	memset(&test, 0, sizeof(test));
	a.confpath = CONFIG_DEFAULT_PATH;
	a.cchan = -1;
	while ((ch = getopt_long(argc, argv, "df:hnTt:Vvx:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'd':
			a.foreground = 1;
			break;
		case 'f':
			a.confpath = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'T':
			dump = 1;
			break;
		case 'h':
			usage(1);
		case 'V':
			version();
		case 'v':
			a.verbose = 1;
			break;
		case 'x':
			if (strcmp(optarg, "opensmtpd") == 0)
				frontend = FRONTEND_OPENSMTPD;
			else if (strcmp(optarg, "milter") != 0)
				usage(0);
			break;
		default:
			/* -t and its options (offline_opts.c). */
			if (offline_option(&test, ch, optarg) == -1)
				usage(0);
		}
	}
	/* filterd -t a.eml b.eml: the operands are more messages. */
	for (; optind < argc && test.nfiles > 0; optind++)
		if (offline_option(&test, 't', argv[optind]) == -1)
			exit(1);
	if (optind != argc ||
	    (test.nfiles == 0 && (test.json || test.trace || test.envelope)))
		usage(0);
	/* Nothing but stdio of what whoever started us left open. */
	if (close_range(STDERR_FILENO + 1, ~0U, 0) == -1) {
		fprintf(stderr, "filterd: close_range: %s\n", strerror(errno));
		exit(1);
	}
	/* Spawners re-read the file after daemon() has gone to "/". */
	if (a.confpath[0] != '/' && realpath(a.confpath, confabs) != NULL)
		a.confpath = confabs;
	/* smtpd reads our stderr into its log; stdout is the protocol. */
	if (frontend == FRONTEND_OPENSMTPD)
		a.foreground = 1;
	log_init("filterd", a.foreground || check || dump || test.nfiles > 0,
	    a.verbose);
	/* Until the daemon is ready, the terminal sees what the log does. */
	log_tee_stderr(1);
	c = check_config(a.confpath, &a.conffd);
	log_set_facility(config_facility(c->syslog_facility));
	if (dump) {
		config_dump(c, stdout);
		exit(0);
	}
	if (check) {
		fprintf(stderr, "filterd: %s: configuration OK\n", a.confpath);
		exit(0);
	}
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) == -1)
		fatal("readlink /proc/self/exe");
	self[n] = '\0';
	spawner_path(self, spawner, sizeof(spawner));
	a.spawner = spawner;
	/* The checked snapshot: what every spawner runs with, until a
	   reload replaces it. */
	a.gen = 1;
	a.worker_user = c->worker_user;
	if (test.nfiles > 0) {
		a.foreground = 1;
		rc = offline_main(c, &a, &test);
		offline_opts_clear(&test);
		config_free(&c);
		return rc;
	}
	if ((a.generation = mmap(NULL, sizeof(*a.generation),
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)) ==
	    MAP_FAILED)
		fatal("mmap");
	*a.generation = a.gen;
	if (frontend == FRONTEND_MILTER)
		pidfd = prepare(c, &a);
	/* As root, and before anything runs: a bad one stops us now. */
	if ((lfd = parent_ctl_listen(c)) == -1)
		exit(1);
	start_notify_init();
	a.readyfd = -1;
	if (!a.foreground && (a.readyfd = start_daemonize()) == -1)
		fatal("cannot become a daemon");
	if (pidfd != -1 && start_pidfile_write(pidfd) == -1)
		fatal("pidfile %s", c->pidfile);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		fatal("socketpair");
	/* The control thread's channel to us, and the metrics process's to
	   it (super_ctl.h, metrics.h). */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, cv) == -1 ||
	    (*c->metrics_listen != '\0' && socketpair(AF_UNIX, SOCK_SEQPACKET |
	    SOCK_CLOEXEC, 0, mv) == -1))
		fatal("socketpair");
	if (mv[0] != -1 && (a.metrics = metrics_start(c, mv[0])) == -1) {
		parent_ctl_cleanup(c->control_socket);
		exit(1);
	}
	if (mv[0] != -1)
		close(mv[0]);
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0) {
		/* Its own name, so that "killall -HUP filterd" reaches only
		   the parent: libmilter stops on SIGHUP. */
		(void)prctl(PR_SET_NAME, "filterd-super", 0, 0, 0);
		/* It closes sv[0] and conffd: it gets each spawner's from
		   us. */
		rc = supervisor_main(c, sv[1], cv[1], mv[1], lfd >= 0 ? lfd : -1,
		    frontend, a.generation);
		config_free(&c);
		sandbox_proc_exit(rc);
	}
	close(sv[1]);
	close(cv[1]);
	if (mv[1] != -1)
		close(mv[1]);
	if (lfd >= 0)
		close(lfd);
	if (frontend == FRONTEND_OPENSMTPD)
		null_stdio();
	a.pchan = sv[0];
	a.cchan = cv[0];
	a.supervisor = pid;
	rc = parent_main(&a);
	parent_ctl_cleanup(c->control_socket);
	config_free(&c);
	return rc;
}
