/*
 * notifysock: plays systemd's side of sd_notify(3) for t/63-ops-death.sh.
 * A test program; it trusts its command line.
 *
 *	notifysock PATH
 *
 * Binds a datagram socket at PATH and writes each datagram it receives
 * to stdout as one line (newlines inside become spaces), flushed, until
 * it is killed.  Exits 1 when the socket cannot be made.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	struct sockaddr_un	 sun;
	char			 buf[4096];
	ssize_t			 n, i;
	int			 fd;

	if (argc != 2 || strlen(argv[1]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "usage: notifysock PATH\n");
		return 2;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, argv[1], strlen(argv[1]));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		perror(argv[1]);
		return 1;
	}
	while ((n = recv(fd, buf, sizeof(buf), 0)) >= 0) {
		for (i = 0; i < n; i++)
			if (buf[i] == '\n')
				buf[i] = ' ';
		printf("%.*s\n", (int)n, buf);
		fflush(stdout);
	}
	return 1;
}
