/*
 * nullmilter: a libmilter milter that does nothing, the baseline that
 * "make bench" measures filterd against.  A test program; it trusts its
 * command line and lets libmilter deal with the MTA.
 *
 * Every callback is registered, so libmilter asks the MTA for every
 * protocol step and does the same protocol work as a real filter; each
 * returns SMFIS_CONTINUE, and end of message returns SMFIS_ACCEPT.  It
 * requests no actions (flags 0).
 *
 *	nullmilter -p unix:/path/to/socket [-b backlog] [-T timeout]
 *
 * SIGTERM, SIGINT and SIGHUP stop it (libmilter handles them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

/* The callbacks ignore their arguments: that is the point. */
#pragma GCC diagnostic ignored "-Wunused-parameter"

static sfsistat
null_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *addr)
{
	return SMFIS_CONTINUE;
}

static sfsistat
null_helo(SMFICTX *ctx, char *helo)
{
	return SMFIS_CONTINUE;
}

static sfsistat
null_envfrom(SMFICTX *ctx, char **argv)
{
	return SMFIS_CONTINUE;
}

static sfsistat
null_envrcpt(SMFICTX *ctx, char **argv)
{
	return SMFIS_CONTINUE;
}

static sfsistat
null_header(SMFICTX *ctx, char *name, char *value)
{
	return SMFIS_CONTINUE;
}

static sfsistat
null_eoh(SMFICTX *ctx)
{
	return SMFIS_CONTINUE;
}

static sfsistat
null_body(SMFICTX *ctx, unsigned char *p, size_t len)
{
	return SMFIS_CONTINUE;
}

static sfsistat
null_eom(SMFICTX *ctx)
{
	return SMFIS_ACCEPT;
}

static sfsistat
null_abort(SMFICTX *ctx)
{
	return SMFIS_CONTINUE;
}

static sfsistat
null_close(SMFICTX *ctx)
{
	return SMFIS_CONTINUE;
}

static sfsistat
null_unknown(SMFICTX *ctx, const char *cmd)
{
	return SMFIS_CONTINUE;
}

static sfsistat
null_data(SMFICTX *ctx)
{
	return SMFIS_CONTINUE;
}

static char null_name[] = "nullmilter";

static struct smfiDesc null_desc = {
	.xxfi_name = null_name,
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = 0,
	.xxfi_connect = null_connect,
	.xxfi_helo = null_helo,
	.xxfi_envfrom = null_envfrom,
	.xxfi_envrcpt = null_envrcpt,
	.xxfi_header = null_header,
	.xxfi_eoh = null_eoh,
	.xxfi_body = null_body,
	.xxfi_eom = null_eom,
	.xxfi_abort = null_abort,
	.xxfi_close = null_close,
	.xxfi_unknown = null_unknown,
	.xxfi_data = null_data,
	/* No negotiate callback: libmilter derives the flags itself. */
};

static void
usage(void)
{
	fprintf(stderr, "usage: nullmilter -p socket [-b backlog] "
	    "[-T timeout]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	char		*conn = NULL;
	int		 ch, backlog = 128, timeout = 0;

	while ((ch = getopt(argc, argv, "b:p:T:")) != -1) {
		switch (ch) {
		case 'b':
			backlog = atoi(optarg);
			break;
		case 'p':
			conn = optarg;
			break;
		case 'T':
			timeout = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (conn == NULL || optind != argc || backlog <= 0)
		usage();
	if (smfi_setconn(conn) == MI_FAILURE ||
	    smfi_setbacklog(backlog) == MI_FAILURE ||
	    (timeout > 0 && smfi_settimeout(timeout) == MI_FAILURE) ||
	    smfi_register(null_desc) == MI_FAILURE) {
		fprintf(stderr, "nullmilter: cannot set up libmilter\n");
		return 1;
	}
	if (smfi_opensocket(1) == MI_FAILURE) {
		fprintf(stderr, "nullmilter: cannot open %s\n", conn);
		return 1;
	}
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
