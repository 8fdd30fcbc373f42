/*
 * smtpdfeed: plays OpenSMTPD to a proc-exec filter, for tests that want
 * the OpenSMTPD path without smtpd: one session, one message, from a file.
 *
 *	smtpdfeed [-V 0.6|0.7] [-a addr] [-f sender] [-r rcpt] [-s sent]
 *	    [-o returned] -m file.eml -- command [arg ...]
 *
 * It runs command with pipes on its standard input and output, speaks the
 * filter protocol's handshake, then connect, ehlo, the envelope reports
 * and the message's data lines (LF or CRLF ends a line in the file, a last
 * line without one is a line; lines are dot-stuffed), answers each step as
 * smtpd would wait for it, and sends commit after the filter's final ".".
 * It prints the commit decision ("commit: proceed", "commit: reject|550
 * ...") and writes the data lines it sent to -s and those it got back to
 * -o, one a line, as on the wire (dot-stuffed).  Exits 0 after a commit
 * answer, 1 on any other end.  A test program: it trusts its arguments.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SID	"0123456789abcdef"
#define TOK	"00000000000000d1"
#define CTOK	"00000000000000c1"
#define MAXIN	(64 * 1024 * 1024)

struct out {
	char	*p;
	size_t	 len, cap, off;
};

static void __attribute__((noreturn))
die(const char *why)
{
	fprintf(stderr, "smtpdfeed: %s\n", why);
	exit(1);
}

static void
put(struct out *o, const char *s, size_t n)
{
	if (o->len + n > o->cap) {
		o->cap = (o->len + n) * 2 + 4096;
		if ((o->p = realloc(o->p, o->cap)) == NULL)
			die("out of memory");
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void
puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static char *
slurp(const char *path, size_t *len_r)
{
	FILE	*f;
	char	*p;
	size_t	 n;

	if ((f = fopen(path, "rb")) == NULL || (p = malloc(MAXIN)) == NULL)
		die("cannot read the message");
	n = fread(p, 1, MAXIN, f);
	fclose(f);
	*len_r = n;
	return p;
}

/* The message as data lines, dot-stuffed, each after the prefix. */
static void
data_lines(struct out *in, FILE *sent, const char *pre, const char *m,
    size_t len)
{
	const char	*nl;
	size_t		 n;

	while (len > 0) {
		nl = memchr(m, '\n', len);
		n = nl != NULL ? (size_t)(nl - m) : len;
		len -= n + (nl != NULL);
		if (nl != NULL && n > 0 && m[n - 1] == '\r')
			n--;
		puts_(in, pre);
		if (n > 0 && m[0] == '.')
			puts_(in, ".");
		put(in, m, n);
		puts_(in, "\n");
		if (sent != NULL)
			fprintf(sent, "%s%.*s\n", n > 0 && m[0] == '.' ? "." :
			    "", (int)n, m);
		m = nl != NULL ? nl + 1 : m + n;
	}
	puts_(in, pre);
	puts_(in, ".\n");
	if (sent != NULL)
		fprintf(sent, ".\n");
}

static pid_t
start(char **argv, int *to_r, int *from_r)
{
	int	 a[2], b[2];
	pid_t	 pid;

	if (pipe(a) == -1 || pipe(b) == -1 || (pid = fork()) == -1)
		die("cannot start the filter");
	if (pid == 0) {
		dup2(a[0], STDIN_FILENO);
		dup2(b[1], STDOUT_FILENO);
		close(a[0]);
		close(a[1]);
		close(b[0]);
		close(b[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(a[0]);
	close(b[1]);
	/*
	 * A blocking write of a large chunk would wait for the filter to
	 * read it all while the filter waits for us to read its output.
	 */
	if (fcntl(a[1], F_SETFL, O_NONBLOCK) == -1)
		die("cannot start the filter");
	*to_r = a[1];
	*from_r = b[0];
	return pid;
}

/*
 * One line from the filter; fpre is "filter|VERSION|TIME|smtp-in|".
 * Returns 1 when commit was answered.
 */
static int
line(struct out *in, FILE *ret, const char *fpre, const char *l)
{
	const char	*dl = "filter-dataline|" SID "|" TOK "|";
	const char	*cr = "filter-result|" SID "|" CTOK "|";

	if (strncmp(l, dl, strlen(dl)) == 0) {
		if (ret != NULL)
			fprintf(ret, "%s\n", l + strlen(dl));
		if (strcmp(l + strlen(dl), ".") == 0) {
			puts_(in, fpre);
			puts_(in, "commit|" SID "|" CTOK "|\n");
		}
	} else if (strncmp(l, cr, strlen(cr)) == 0) {
		printf("commit: %s\n", l + strlen(cr));
		return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char	*v = "0.6", *addr = "192.0.2.1", *from = "a@example.org";
	const char	*rcpt = "b@example.net", *file = NULL;
	FILE		*sent = NULL, *ret = NULL;
	struct out	 in = { 0 }, got = { 0 };
	struct pollfd	 pfd[2];
	char		 fpre[64], pre[160], rep[64], buf[65536], *m, *nl;
	size_t		 mlen;
	ssize_t		 n;
	pid_t		 pid;
	int		 ch, to, from_fd, done = 0, status;

	while ((ch = getopt(argc, argv, "a:f:m:o:r:s:V:")) != -1)
		switch (ch) {
		case 'a': addr = optarg; break;
		case 'f': from = optarg; break;
		case 'm': file = optarg; break;
		case 'o': ret = fopen(optarg, "w"); break;
		case 'r': rcpt = optarg; break;
		case 's': sent = fopen(optarg, "w"); break;
		case 'V': v = optarg; break;
		default: die("usage: smtpdfeed [-V 0.6|0.7] [-a addr] "
		    "[-f sender] [-r rcpt] [-s sent] [-o returned] -m file "
		    "-- command ...");
		}
	if (file == NULL || optind >= argc)
		die("a message (-m) and a command are needed");
	signal(SIGPIPE, SIG_IGN);
	m = slurp(file, &mlen);
	snprintf(fpre, sizeof(fpre), "filter|%s|1700000000.0|smtp-in|", v);
	snprintf(pre, sizeof(pre), "%sdata-line|" SID "|" TOK "|", fpre);
	snprintf(rep, sizeof(rep), "report|%s|1700000000.0|smtp-in|", v);
	puts_(&in, "config|smtpd-version|7.6.0\nconfig|subsystem|smtp-in\n"
	    "config|ready\n");
	snprintf(buf, sizeof(buf), "filter|%s|1700000000.0|smtp-in|connect|"
	    SID "|00000000000000a1|client.example.org|%s\n"
	    "filter|%s|1700000000.0|smtp-in|ehlo|" SID "|00000000000000a2|"
	    "client.example.org\n"
	    "%stx-begin|" SID "|0a0b0c0d\n%stx-mail|" SID "|0a0b0c0d|ok|<%s>\n"
	    "%stx-rcpt|" SID "|0a0b0c0d|ok|<%s>\n", v, addr, v, rep, rep,
	    from, rep, rcpt);
	puts_(&in, buf);
	data_lines(&in, sent, pre, m, mlen);
	free(m);
	if (sent != NULL)
		fclose(sent);
	pid = start(argv + optind, &to, &from_fd);
	while (from_fd != -1) {
		if (done && in.off == in.len && to != -1) {
			close(to);	/* end of file: the filter exits */
			to = -1;
		}
		pfd[0].fd = in.off < in.len ? to : -1;
		pfd[0].events = POLLOUT;
		pfd[1].fd = from_fd;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, 30000) <= 0)
			die("the filter is silent");
		if (pfd[0].revents & (POLLOUT | POLLERR | POLLHUP)) {
			n = write(to, in.p + in.off, in.len - in.off);
			if (n == -1 && errno == EAGAIN)
				n = 0;
			else if (n <= 0)
				die("the filter stopped reading");
			in.off += (size_t)n;
		}
		if (!(pfd[1].revents & (POLLIN | POLLHUP)))
			continue;
		if ((n = read(from_fd, buf, sizeof(buf))) <= 0) {
			close(from_fd);
			from_fd = -1;
			break;
		}
		put(&got, buf, (size_t)n);
		while ((nl = memchr(got.p + got.off, '\n', got.len - got.off))
		    != NULL) {
			*nl = '\0';
			if (line(&in, ret, fpre, got.p + got.off) && !done) {
				done = 1;
				snprintf(buf, sizeof(buf), "%slink-disconnect|"
				    SID "\n", rep);
				puts_(&in, buf);
			}
			got.off = (size_t)(nl - got.p) + 1;
		}
	}
	if (ret != NULL)
		fclose(ret);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	/* Freed, so that LeakSanitizer lets the answer printed reach us. */
	free(in.p);
	free(got.p);
	return done ? 0 : 1;
}
