/*
 * filterd-spawner: the program the parent execs for every spawner
 * (parent.c), installed in $(pkglibexecdir), never run by hand.  It is
 * main() for spawner.c and nothing else: a program of its own, so that a
 * spawner and every worker it forks carry only what they run -- libc,
 * PCRE2, libconfig (the snapshot's text and the module interface),
 * libseccomp, the built-in filters and the sandbox -- and not libmilter,
 * the supervisor's and the parent's code or the libraries only they use.
 * Each fork copies, and each worker's exit tears down, every mapping of
 * the process: fewer libraries, fewer mappings (README, "Processes").
 * It still exports the module interface (filters/filter.syms) and loads
 * shared-object modules with dlopen, which is why it is not linked
 * statically.
 *
 * Its descriptors: the control socket on SPAWNER_FD_CTL and the snapshot
 * on SPAWNER_FD_CONF (spawner.h), and stdio; the parent closed the rest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "filterd/lib/log.h"
#include "filterd/spawner.h"

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: filterd-spawner [-dv] -f file\n"
	    "filterd-spawner is started by filterd, not by hand\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	const char	*confpath = NULL;
	int		 ch, foreground = 0, verbose = 0;

	while ((ch = getopt(argc, argv, "df:v")) != -1) {
		switch (ch) {
		case 'd':
			foreground = 1;
			break;
		case 'f':
			confpath = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || confpath == NULL)
		usage();
	log_init("filterd/spawner", foreground, verbose);
	spawner_main(confpath);
}
