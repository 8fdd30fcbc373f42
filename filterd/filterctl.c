/*
 * filterctl: the control socket's client (filterd(8), CONTROL SOCKET).
 * Sends one command and prints the answer; exits 0 on an answer that is
 * not an error, 1 on an error answer, 2 on a usage or connection error.
 * A program of its own, as smtpctl(8), postqueue(1) and rndc(8) are: it
 * needs none of filterd's privileges or libraries, and an administrator's
 * habits (and a health check's) expect one.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#ifndef CONTROL_DEFAULT_PATH
#define CONTROL_DEFAULT_PATH	"/run/filterd/control.sock"
#endif

/* reload waits for the configuration check: longer than filterd's own. */
#define FILTERCTL_TIMEOUT_MS	70000

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: filterctl [-s socket] ping | status | stats | "
	    "metrics | reload\n");
	exit(2);
}

static long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int
main(int argc, char *argv[])
{
	struct sockaddr_un	 sun;
	struct pollfd		 pfd;
	const char		*path = CONTROL_DEFAULT_PATH;
	char			 line[80], buf[8192];
	long long		 end;
	ssize_t			 n;
	size_t			 len;
	int			 ch, fd, first = 1, error = 0;

	while ((ch = getopt(argc, argv, "s:")) != -1) {
		switch (ch) {
		case 's':
			path = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1 || strlen(argv[optind]) > 64)
		usage();
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if ((len = strlen(path)) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "filterctl: %s: path too long\n", path);
		return 2;
	}
	memcpy(sun.sun_path, path, len);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr, "filterctl: %s: %s\n", path, strerror(errno));
		return 2;
	}
	/* A busy filterd answers and closes before it reads: read that. */
	signal(SIGPIPE, SIG_IGN);
	len = (size_t)snprintf(line, sizeof(line), "%s\n", argv[optind]);
	if (write(fd, line, len) != (ssize_t)len && errno != EPIPE) {
		fprintf(stderr, "filterctl: %s: %s\n", path, strerror(errno));
		return 2;
	}
	end = now_ms() + FILTERCTL_TIMEOUT_MS;
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		if (now_ms() >= end) {
			fprintf(stderr, "filterctl: %s: no answer\n", path);
			return 2;
		}
		if (poll(&pfd, 1, (int)(end - now_ms())) <= 0)
			continue;
		if ((n = read(fd, buf, sizeof(buf))) <= 0) {
			/* Closed at once: what it said before is lost. */
			if (n == -1 && errno == ECONNRESET && first)
				n = 0;
			break;
		}
		if (first && n >= 6 && memcmp(buf, "error:", 6) == 0)
			error = 1;
		first = 0;
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			return 2;
	}
	if (n == -1) {
		fprintf(stderr, "filterctl: %s: %s\n", path, strerror(errno));
		return 2;
	}
	if (first) {
		fprintf(stderr, "filterctl: %s: closed without an answer\n",
		    path);
		return 2;
	}
	return error;
}
