/*
 * 22-limits: limits.message_size counts the header too (struct message,
 * filterd/lib/message.c), the parser says so when a header passes it
 * (filterd/lib/rfc5322.c), a job of a message within limits always fits
 * what the worker accepts and decodes to the same message
 * (filterd/lib/wire.c), and the per-header defaults and bounds are no
 * stricter than the MTAs' (filterd/lib/config.c).  Each bound is tried
 * just inside and just outside.  t/23-limits.sh does the same end to end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filterd/lib/buf.h"
#include "filterd/lib/config.h"
#include "filterd/lib/message.h"
#include "filterd/lib/rfc5322.h"
#include "filterd/lib/wire.h"
#include "t/tap.h"

/* A string of n copies of c; the caller frees it. */
static char *
rep(int c, size_t n)
{
	char	*s;

	if ((s = malloc(n + 1)) == NULL)
		bail("out of memory");
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* What a field counts: "Name:value" and CRLF, a fold's break as CRLF. */
static void
test_field_size(void)
{
	is_int((long long)message_field_size("A", "b"), 5, "A:b is 5 bytes");
	is_int((long long)message_field_size("Subject", "a\n b"), 15,
	    "a fold counts as CRLF");
	is_int((long long)message_field_size("X", ""), 4,
	    "an empty value: X: and CRLF");
}

/*
 * A header that would pass size_max is refused and makes the message
 * oversize; at size_max exactly, header and body fit.
 */
static void
test_model(void)
{
	struct message	*m;

	/* "A:bbbbbb\r\n" is 10; the body and its empty line 2 + 8. */
	m = message_new(20);
	ok(message_add_header(m, "A", "bbbbbb") == 0, "a field fits");
	ok(message_add_body(m, "12345678", 8) == 0,
	    "a body to exactly the limit fits");
	is_int((long long)message_size(m), 20, "the size is the limit");
	ok(!m->oversize, "and it is not oversize");
	ok(message_add_body(m, "9", 1) == -1 && m->oversize,
	    "one body byte more is oversize");
	message_free(&m);

	m = message_new(20);
	ok(message_add_header(m, "A", "bbbbbbbbbbbbbbbb") == 0,
	    "a field of 20 bytes fits a limit of 20");
	message_free(&m);
	m = message_new(20);
	ok(message_add_header(m, "A", "bbbbbbbbbbbbbbbbb") == -1 &&
	    m->oversize && m->nhdrs == 0,
	    "one of 21 is refused, and the message is oversize");
	ok(message_add_header(m, "B", "c") == -1,
	    "once oversize, no smaller field is taken");
	message_free(&m);

	m = message_new(20);
	ok(message_add_header(m, "A", "bbbbbbbbbbbbbbbb") == 0 &&
	    message_add_body(m, "x", 1) == -1 && m->oversize,
	    "a full header leaves no room for a body");
	message_free(&m);
}

/* The parser names the limit that a header passes. */
static void
test_parser(void)
{
	struct message	*m = message_new(1024);
	struct rfc5322	*p = rfc5322_new(m);
	char		*v = rep('v', 600), *text;
	size_t		 n = 2 * 600 + 64;
	int		 rc;

	if ((text = malloc(n)) == NULL)
		bail("out of memory");
	snprintf(text, n, "A: %s\nB: %s\n\nbody\n", v, v);
	rc = rfc5322_text(p, text, strlen(text));
	if (rc == 0)
		rc = rfc5322_end(p);
	ok(rc == -1 && m->over != NULL &&
	    strcmp(m->over, "over limits.message_size") == 0 && m->oversize,
	    "a header past limits.message_size is over it (%s)",
	    m->over != NULL ? m->over : "not over");
	rfc5322_free(&p);
	message_free(&m);
	free(v);
	free(text);
}

/* Feeds text to a new parser of a 32 MiB message; returns m->over. */
static const char *
parse_over(const char *text, size_t len)
{
	static char	 over[128];
	struct message	*m = message_new(32 * 1024 * 1024);
	struct rfc5322	*p = rfc5322_new(m);

	if (rfc5322_text(p, text, len) == 0)
		(void)rfc5322_end(p);
	snprintf(over, sizeof(over), "%s", m->over != NULL ? m->over : "");
	rfc5322_free(&p);
	message_free(&m);
	return over;
}

/* The supervisor's bounds: a value of MSG_HDR_VALUE_MAX, MSG_HDRS_MAX. */
static void
test_parser_bounds(void)
{
	struct buf	*b = buf_new(32 * 1024 * 1024);
	char		*v = rep('v', MSG_HDR_VALUE_MAX + 1);
	size_t		 i;

	buf_printf(b, "X: %s\n\nbody\n", v + 1);
	is_str(parse_over((const char *)buf_data(b), buf_len(b)), "",
	    "a value of %d bytes is stored", MSG_HDR_VALUE_MAX);
	buf_reset(b);
	buf_printf(b, "X: %s\n\nbody\n", v);
	is_str(parse_over((const char *)buf_data(b), buf_len(b)),
	    "over the bound on a header field's length",
	    "one of %d is over the bound", MSG_HDR_VALUE_MAX + 1);
	buf_reset(b);
	for (i = 0; i < MSG_HDRS_MAX; i++)
		buf_printf(b, "X-%zu: %zu\n", i, i);
	is_str(parse_over((const char *)buf_data(b), buf_len(b)), "",
	    "%d fields are stored", MSG_HDRS_MAX);
	buf_printf(b, "X-%zu: %zu\n", i, i);
	is_str(parse_over((const char *)buf_data(b), buf_len(b)),
	    "over the bound on header fields", "%d are over the bound",
	    MSG_HDRS_MAX + 1);
	buf_free(&b);
	free(v);
}

/*
 * The largest job: every envelope bound full, MSG_HDRS_MAX fields with
 * the longest names, and the header and body exactly at size_max.  It is
 * written in the buffer the supervisor makes, is no larger than what the
 * worker accepts, and decodes, with the worker's size_max, to the same
 * message; a body one byte longer is refused.
 */
#define JOB_SIZE_MAX	(4 * 1024 * 1024)

static struct message *
big_message(char *name, char *str)
{
	struct message	*m = message_new(JOB_SIZE_MAX);
	size_t		 i, left;
	char		*body;
	int		 rc = 0;

	rc |= message_set(&m->queue_id, str) | message_set(&m->client_addr,
	    str) | message_set(&m->client_name, str) | message_set(&m->helo,
	    str) | message_set(&m->sender, str);
	for (i = 0; i < MSG_RCPTS_MAX; i++)
		rc |= message_add_rcpt(m, str);
	for (i = 0; i < MSG_MACROS_MAX; i++) {
		snprintf(name, MSG_HDR_NAME_MAX + 1, "%0*zu", MSG_HDR_NAME_MAX,
		    i);
		rc |= message_add_macro(m, name, str);
	}
	for (i = 0; i < MSG_HDRS_MAX; i++) {
		snprintf(name, MSG_HDR_NAME_MAX + 1, "%0*zu", MSG_HDR_NAME_MAX,
		    i);
		rc |= message_add_header(m, name, "v");
	}
	left = JOB_SIZE_MAX - message_size(m) - 2;	/* the empty line */
	body = rep('b', left);
	rc |= message_add_body(m, body, left);
	free(body);
	if (rc != 0)
		bail("cannot build the largest message");
	return m;
}

static void
test_job_bound(void)
{
	char		*name = rep('n', MSG_HDR_NAME_MAX), *str = rep('s',
			    MSG_STR_MAX);
	struct message	*m = big_message(name, str), *w;
	struct buf	*b = buf_new(message_size(m) + WIRE_JOB_OVERHEAD);
	const char	*why = "ok";
	uint64_t	 nonce = 0;

	is_int((long long)message_size(m), JOB_SIZE_MAX,
	    "the largest message is at the limit");
	ok(!m->oversize, "and not over it");
	ok(wire_enc_job(b, 7, m) == 0,
	    "its job fits the buffer the supervisor makes");
	ok(buf_len(b) <= JOB_SIZE_MAX + WIRE_JOB_OVERHEAD,
	    "and is no larger than the worker accepts (%zu)", buf_len(b));
	w = message_new(JOB_SIZE_MAX);
	ok(wire_dec_job(buf_data(b), buf_len(b), &nonce, w, &why) == 0,
	    "the worker decodes it (%s)", why);
	ok(nonce == 7 && w->nhdrs == MSG_HDRS_MAX &&
	    w->nrcpts == MSG_RCPTS_MAX && w->nmacros == MSG_MACROS_MAX &&
	    message_size(w) == message_size(m) && w->bodylen == m->bodylen &&
	    memcmp(w->body, m->body, m->bodylen) == 0,
	    "to the same message");
	message_free(&w);
	ok(message_add_body(m, "b", 1) == -1 && m->oversize,
	    "one body byte more is oversize");
	message_free(&m);
	buf_free(&b);
	free(name);
	free(str);
}

/* Loads text; returns whether it loaded. */
static int
loads(const char *text)
{
	struct config	*c;
	FILE		*null = fopen("/dev/null", "w");
	int		 rc;

	c = config_load_text(text, "t.conf", null != NULL ? null : stderr);
	if (null != NULL)
		fclose(null);
	rc = c != NULL;
	config_free(&c);
	return rc;
}

/* Postfix: 102400 bytes a header; no MTA bounds the number of fields. */
static void
test_config(void)
{
	struct config	*c = config_load_text("", "t.conf", stderr);

	if (c == NULL)
		bail("cannot load the defaults");
	is_int(c->max_header_size, 102400,
	    "max_header_size defaults to Postfix's header_size_limit");
	is_int(c->max_headers, 10000, "max_headers defaults to 10000");
	config_free(&c);
	ok(loads("limits = { max_header_size = 1048576; };"),
	    "max_header_size 1048576 is taken");
	ok(!loads("limits = { max_header_size = 1048577; };"),
	    "1048577 is refused");
	ok(loads("limits = { max_headers = 10000; };"),
	    "max_headers 10000 is taken");
	ok(!loads("limits = { max_headers = 10001; };"), "10001 is refused");
}

int
main(void)
{
	test_field_size();
	test_model();
	test_parser();
	test_parser_bounds();
	test_job_bound();
	test_config();
	return done_testing();
}
