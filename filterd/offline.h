/*
 * offline: filterd -t, a test bench for rule authors.  Messages from files
 * or standard input, with the connection and envelope the command line
 * gives them, go through the same spawner, sandboxed worker and validator
 * as mail from an MTA (offline.c); offline_opts.c reads the command line.
 */
#ifndef FILTERD_OFFLINE_H
#define FILTERD_OFFLINE_H

#include <stddef.h>

struct config;
struct parent_args;

/* Exit statuses of filterd -t, by action. */
#define OFFLINE_ACCEPT		0
#define OFFLINE_ERROR		1
#define OFFLINE_REJECT		10
#define OFFLINE_TEMPFAIL	11
#define OFFLINE_DISCARD		12
#define OFFLINE_QUARANTINE	13

/* The long options of filterd -t, for main()'s getopt_long table. */
enum {
	OFFLINE_OPT_JSON = 0x100,
	OFFLINE_OPT_TRACE,
	OFFLINE_OPT_CLIENT_ADDR,
	OFFLINE_OPT_CLIENT_NAME,
	OFFLINE_OPT_HELO,
	OFFLINE_OPT_SENDER,
	OFFLINE_OPT_RCPT,
	OFFLINE_OPT_AUTH,
	OFFLINE_OPT_MACRO,
};

#define OFFLINE_LONGOPTS \
	{ "json", no_argument, NULL, OFFLINE_OPT_JSON }, \
	{ "trace", no_argument, NULL, OFFLINE_OPT_TRACE }, \
	{ "client-addr", required_argument, NULL, OFFLINE_OPT_CLIENT_ADDR }, \
	{ "client-name", required_argument, NULL, OFFLINE_OPT_CLIENT_NAME }, \
	{ "helo", required_argument, NULL, OFFLINE_OPT_HELO }, \
	{ "sender", required_argument, NULL, OFFLINE_OPT_SENDER }, \
	{ "rcpt", required_argument, NULL, OFFLINE_OPT_RCPT }, \
	{ "auth", required_argument, NULL, OFFLINE_OPT_AUTH }, \
	{ "macro", required_argument, NULL, OFFLINE_OPT_MACRO },

/* A name and value given on the command line, as an MTA would send. */
struct offline_kv {
	char	*name;
	char	*value;
};

/* What the command line says of a test run; zeroed before the first option. */
struct offline_opts {
	char		**files;	/* "-": standard input */
	size_t		 nfiles;
	int		 json;
	int		 trace;
	int		 envelope;	/* an option below was given */
	char		*client_addr;	/* as the milter frontend writes it */
	char		*client_name;
	char		*helo;
	char		*sender;	/* NULL: from the header */
	char		**rcpts;	/* none: from the header */
	size_t		 nrcpts;
	struct offline_kv *macros;	/* --auth and --macro, in order */
	size_t		 nmacros;
};

/*
 * Takes one option of a test run: 't' (a message file) or an
 * OFFLINE_OPT_*.  Returns 0, or -1 with the reason on stderr: an unknown
 * option, an argument that is not an address, out of memory.
 */
int	offline_option(struct offline_opts *, int ch, const char *arg);
void	offline_opts_clear(struct offline_opts *);

/*
 * Runs each message (RFC 5322, LF or CRLF line ends) and prints its
 * verdict to stdout, as text or JSON: one message as a block, several as
 * a line each and a summary line.  Returns the exit status above -- for
 * several messages, the smallest of their statuses that is not 0, so 0
 * when every message was accepted.
 */
int	offline_main(const struct config *, const struct parent_args *,
	    const struct offline_opts *);

#endif
