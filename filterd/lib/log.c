/*
 * log: stderr or syslog output for every filterd process.  Trusts its
 * callers' format strings only; arguments may carry hostile bytes, so
 * control characters are escaped before anything is written.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "filterd/lib/log.h"

#define LOG_LINE_MAX	2048

static const char	*log_ident = "filterd";
static int		 log_fg = 1;
static int		 log_verb;
static int		 log_tee;	/* stderr too, while a start is watched */
static int		 log_fac = LOG_MAIL;

void
log_init(const char *ident, int foreground, int verbose)
{
	log_ident = ident;
	log_fg = foreground;
	log_verb = verbose;
	/*
	 * syslog(3) stamps each line in local time and reads the zone file
	 * on first use: now, before a sandbox closes the file system.
	 * LOG_NDELAY connects to syslogd now for the same reason.
	 */
	tzset();
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, log_fac);
}

void
log_set_facility(int facility)
{
	if (facility == log_fac || facility == -1)
		return;
	log_fac = facility;
	if (!log_fg) {
		closelog();
		openlog(log_ident, LOG_PID | LOG_NDELAY, log_fac);
	}
}

void
log_detach(void)
{
	closelog();
}

void
log_tee_stderr(int on)
{
	log_tee = on;
}

void
log_leave_terminal(void)
{
	int	 fd;

	log_tee = 0;
	if (log_fg || (fd = open("/dev/null", O_RDWR)) == -1)
		return;
	(void)dup2(fd, STDIN_FILENO);
	(void)dup2(fd, STDOUT_FILENO);
	(void)dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}

int
log_foreground(void)
{
	return log_fg;
}

int
log_verbose(void)
{
	return log_verb;
}

/* Copies src into dst, escaping control and non-ASCII bytes as \xNN. */
static void
log_sanitize(char *dst, size_t dstlen, const char *src)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 o = 0;
	unsigned char		 c;

	for (; *src != '\0' && o + 5 < dstlen; src++) {
		c = (unsigned char)*src;
		if (c >= 0x20 && c < 0x7f) {
			dst[o++] = (char)c;
			continue;
		}
		dst[o++] = '\\';
		dst[o++] = 'x';
		dst[o++] = hex[c >> 4];
		dst[o++] = hex[c & 15];
	}
	dst[o] = '\0';
}

static void
log_emit(int pri, const char *fmt, va_list ap, int with_errno)
{
	char	 raw[LOG_LINE_MAX], line[LOG_LINE_MAX], out[LOG_LINE_MAX + 64];
	int	 saved = errno;

	vsnprintf(raw, sizeof(raw), fmt, ap);
	log_sanitize(line, sizeof(line), raw);
	if (log_fg || log_tee) {
		if (with_errno)
			snprintf(out, sizeof(out), "%s[%ld]: %s: %s\n",
			    log_ident, (long)getpid(), line, strerror(saved));
		else
			snprintf(out, sizeof(out), "%s[%ld]: %s\n",
			    log_ident, (long)getpid(), line);
		if (write(STDERR_FILENO, out, strlen(out)) == -1)
			errno = saved;	/* nowhere left to say it */
	}
	if (!log_fg && with_errno)
		syslog(pri, "%s: %s", line, strerror(saved));
	else if (!log_fg)
		syslog(pri, "%s", line);
	errno = saved;
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_emit(LOG_INFO, fmt, ap, 0);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_emit(LOG_WARNING, fmt, ap, 0);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_emit(LOG_WARNING, fmt, ap, 1);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (!log_verb)
		return;
	va_start(ap, fmt);
	log_emit(LOG_DEBUG, fmt, ap, 0);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_emit(LOG_CRIT, fmt, ap, 1);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_emit(LOG_CRIT, fmt, ap, 0);
	va_end(ap);
	exit(1);
}

void
log_panic(const char *file, int line, const char *expr)
{
	log_warnx("panic: %s:%d: assertion failed: %s", file, line, expr);
	abort();
}
