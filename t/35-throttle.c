/*
 * 35-throttle: the parent's throttle on spawner starts (filterd/parent.c).
 * parent_main runs in a child process, with a stand-in spawner (a shell
 * script that reads its control socket until the supervisor closes it)
 * and a stand-in supervisor process that only waits for SIGTERM; this
 * process asks for spawners as the supervisor does.  At the parent's
 * rate, ten starts a second, thirty starts asked for three at a time take
 * at least two seconds.  Then, at one start a second (spawn_rate, so
 * that a loaded host cannot hide it): the second start of two comes a
 * second after the first; and while a third one is held back, the parent
 * still serves its signals -- SIGTERM reaches the supervisor before the
 * held start is made, where a sleeping parent would make the start first.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "filterd/lib/buf.h"
#include "filterd/lib/clock.h"
#include "filterd/lib/log.h"
#include "filterd/lib/wire.h"
#include "filterd/parent.h"
#include "t/tap.h"

#define STARTS		30
#define IN_FLIGHT	3	/* the parent holds up to 4 */

static char	 dir[] = "/tmp/filterd-t35.XXXXXX";
static char	 script[64];
static int	 errfd = -1;		/* the parent's standard error */
static char	 errtext[65536];
static size_t	 errlen;

/* The stand-in spawner: it ends when its control socket (fd 3) does. */
static void
write_script(void)
{
	static const char	 text[] =
	    "#!/bin/sh\nexec cat <&3 >/dev/null\n";
	int			 fd;

	if (mkdtemp(dir) == NULL)
		bail("mkdtemp: %s", strerror(errno));
	snprintf(script, sizeof(script), "%s/spawner", dir);
	if ((fd = open(script, O_WRONLY | O_CREAT | O_EXCL, 0755)) == -1 ||
	    write(fd, text, sizeof(text) - 1) != (ssize_t)sizeof(text) - 1 ||
	    close(fd) == -1)
		bail("%s: %s", script, strerror(errno));
}

/* The stand-in supervisor: waits to be told to stop. */
static pid_t
start_supervisor(void)
{
	pid_t	 pid;

	if ((pid = fork()) == -1)
		bail("fork: %s", strerror(errno));
	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

/*
 * parent_main in a child, at rate starts a second (0: its own), its
 * standard error to errfd; *pchan_r is ours.
 */
static pid_t
start_parent(pid_t sup, unsigned rate, int *pchan_r)
{
	static uint64_t		 generation = 1;
	static struct parent_args a;
	int			 sv[2], ep[2], conffd;
	pid_t			 pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1 ||
	    pipe2(ep, O_CLOEXEC) == -1 ||
	    (conffd = memfd_create("t35-conf", MFD_CLOEXEC)) == -1 ||
	    write(conffd, "# empty\n", 8) != 8)
		bail("set-up: %s", strerror(errno));
	if ((pid = fork()) == -1)
		bail("fork: %s", strerror(errno));
	if (pid == 0) {
		close(sv[0]);
		close(ep[0]);
		if (dup2(ep[1], STDERR_FILENO) == -1)
			_exit(127);
		log_init("t35-parent", 1, 1);
		a.spawner = script;
		a.confpath = "/nonexistent/t35.conf";
		a.foreground = 1;
		a.pchan = sv[1];
		a.supervisor = sup;
		a.conffd = conffd;
		a.gen = 1;
		a.generation = &generation;
		a.spawn_rate = rate;
		_exit(parent_main(&a));
	}
	close(sv[1]);
	close(ep[1]);
	close(conffd);
	if (errfd != -1)
		close(errfd);
	errfd = ep[0];
	errlen = 0;
	errtext[0] = '\0';
	*pchan_r = sv[0];
	return pid;
}

/* Reads what the parent logged so far, waiting up to ms for more. */
static void
read_err(int ms)
{
	struct pollfd	 pfd = { errfd, POLLIN, 0 };
	ssize_t		 n;

	if (poll(&pfd, 1, ms) <= 0 || errlen + 1 >= sizeof(errtext))
		return;
	if ((n = read(errfd, errtext + errlen, sizeof(errtext) - 1 -
	    errlen)) > 0)
		errlen += (size_t)n;
	errtext[errlen] = '\0';
}

static unsigned
count_lines(const char *needle)
{
	const char	*p;
	unsigned	 n = 0;

	for (p = errtext; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* Waits up to ms for the parent to log needle more than n times. */
static int
wait_err(const char *needle, unsigned n, int ms)
{
	long long	 end = clock_ms() + ms;

	while (count_lines(needle) <= n && clock_ms() < end)
		read_err((int)(end - clock_ms()));
	return count_lines(needle) > n;
}

/* Receives one frame of type, with a descriptor, within ms; 0 or -1. */
static int
recv_frame(int pchan, struct buf *b, int type, int ms)
{
	struct pollfd	 pfd = { pchan, POLLIN, 0 };
	const char	*why;
	uint64_t	 gen;
	pid_t		 pid;
	int		 fd = -1, rc;

	if (poll(&pfd, 1, ms) != 1 ||
	    wire_recv(pchan, b, WIRE_CTL_MAX, &fd) <= 0 || fd == -1)
		return -1;
	close(fd);
	if (type == WIRE_SPAWNER)
		rc = wire_dec_pid(buf_data(b), buf_len(b), WIRE_SPAWNER, &pid,
		    &why);
	else
		rc = wire_dec_config(buf_data(b), buf_len(b), &gen, &why);
	return rc;
}

static void
ask(int pchan, struct buf *b)
{
	if (wire_enc_request(b) == -1 || wire_send(pchan, b, -1) == -1)
		bail("cannot ask the parent: %s", strerror(errno));
}

/* Receives one spawner and its configuration; 0 or -1. */
static int
answer(int pchan, struct buf *b)
{
	if (recv_frame(pchan, b, WIRE_SPAWNER, 10000) == -1 ||
	    recv_frame(pchan, b, WIRE_CONFIG, 10000) == -1)
		return -1;
	return 0;
}

/* Waits up to ms for pid, our child, to end; returns 0 or -1. */
static int
wait_child(pid_t pid, int ms)
{
	long long	 end = clock_ms() + ms;
	int		 status;

	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (clock_ms() >= end)
			return -1;
		usleep(5000);
	}
	return 0;
}

/* Stops the parent and the supervisor: nothing is left behind. */
static void
stop(pid_t par, pid_t sup, int pchan)
{
	if (pchan != -1)
		close(pchan);
	kill(par, SIGKILL);
	kill(sup, SIGKILL);
	(void)wait_child(par, 5000);
	(void)wait_child(sup, 5000);
}

/* Thirty starts at the parent's own rate. */
static void
test_rate(struct buf *b)
{
	long long	 t0, total;
	pid_t		 sup, par;
	int		 pchan, i, answered = 0;

	sup = start_supervisor();
	par = start_parent(sup, 0, &pchan);
	t0 = clock_ms();
	for (i = 0; i < IN_FLIGHT; i++)
		ask(pchan, b);
	for (i = 0; i < STARTS; i++) {
		if (answer(pchan, b) == -1)
			break;
		answered++;
		if (i + IN_FLIGHT < STARTS)
			ask(pchan, b);
	}
	total = clock_ms() - t0;
	is_int(answered, STARTS, "every spawner asked for is started");
	ok(total >= (STARTS - 10) * 100 - 100, "%d starts take %lld ms: ten "
	    "at once, then ten a second", STARTS, total);
	close(pchan);
	ok(wait_child(par, 10000) == 0, "the parent ends when the supervisor "
	    "hangs up");
	stop(par, sup, -1);
}

/* Whether the supervisor, our child, has ended; its end time in *t_r. */
static int
ended(pid_t sup, long long *t_r)
{
	int	 status;

	if (*t_r == 0 && waitpid(sup, &status, WNOHANG) == sup)
		*t_r = clock_ms();
	return *t_r != 0;
}

/* At one start a second: held starts, and signals meanwhile. */
static void
test_held(struct buf *b)
{
	struct pollfd	 pfd;
	long long	 t1, t2, tsup = 0, tstart = 0, end;
	pid_t		 sup, par;
	unsigned	 before;
	int		 pchan;

	sup = start_supervisor();
	par = start_parent(sup, 1, &pchan);
	ask(pchan, b);
	ask(pchan, b);
	t1 = answer(pchan, b) == 0 ? clock_ms() : 0;
	t2 = answer(pchan, b) == 0 ? clock_ms() : 0;
	ok(t1 > 0 && t2 - t1 >= 800, "at one start a second, the second "
	    "start comes a second after the first (%lld ms)", t2 - t1);

	read_err(0);
	before = count_lines("held back");
	ask(pchan, b);
	if (!wait_err("held back", before, 5000))
		bail("the parent did not hold the third start back");
	kill(par, SIGTERM);
	/* Which comes first: the supervisor's end, or the held start? */
	pfd.fd = pchan;
	pfd.events = POLLIN;
	end = clock_ms() + 5000;
	while ((!ended(sup, &tsup) || tstart == 0) && clock_ms() < end) {
		if (tstart == 0 && poll(&pfd, 1, 5) == 1)
			tstart = answer(pchan, b) == 0 ? clock_ms() : -1;
		else if (tstart != 0)
			usleep(5000);
	}
	ok(tsup > 0 && (tstart == 0 || tsup <= tstart), "while a start is "
	    "held back, SIGTERM reaches the supervisor first (%lld ms before "
	    "the start)", tstart > 0 ? tstart - tsup : -1);
	ok(tstart > 0, "and the held start is made after all");
	stop(par, sup, pchan);
}

int
main(void)
{
	struct buf	*b;

	plan(6);
	signal(SIGPIPE, SIG_IGN);
	if ((b = buf_new(WIRE_CTL_MAX + 1)) == NULL)
		bail("out of memory");
	write_script();
	test_rate(b);
	test_held(b);
	unlink(script);
	rmdir(dir);
	buf_free(&b);
	return done_testing();
}
