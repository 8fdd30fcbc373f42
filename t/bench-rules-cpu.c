/*
 * bench-rules-cpu: the CPU time of the built-in modules' check (what a
 * worker spends on the rules) for one message like t/bench's -- 10 header
 * fields, a 2 KiB body, one recipient -- under each configuration given,
 * JIT and all, as a spawner builds them.  t/bench-rules.sh's companion:
 * on a loaded machine the end-to-end rates vary more than the rules cost.
 *
 *	t/bench-rules-cpu CONF...	prints, for each, the CPU time of
 *					loading it (lists read, patterns
 *					compiled: a spawner's start) and
 *					"CONF: N us a message"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "filterd/lib/config.h"
#include "filterd/lib/message.h"
#include "filterd/lib/verdict.h"
#include "filters/host.h"

#define ROUNDS	5000

static struct message *
bench_message(void)
{
	static const char *const h[][2] = {
		{ "Received", "from client.example.com (client.example.com "
		    "[192.0.2.1]) by mx.example.net" },
		{ "From", "Alice Example <alice@example.com>" },
		{ "To", "Bob <bob@example.net>" },
		{ "Subject", "Quarterly report, as discussed" },
		{ "Date", "Thu, 26 Nov 2026 10:00:00 +0000" },
		{ "Message-ID", "<bench@example.com>" },
		{ "MIME-Version", "1.0" },
		{ "Content-Type", "text/plain; charset=us-ascii" },
		{ "X-Mailer", "bench" },
		{ "X-Priority", "3" },
	};
	struct message	*m = message_new(1 << 20);
	char		 line[64];
	size_t		 i;

	(void)message_set(&m->sender, "<alice@example.com>");
	(void)message_add_rcpt(m, "<bob@example.net>");
	(void)message_set(&m->client_addr, "192.0.2.1");
	(void)message_set(&m->client_name, "client.example.com");
	(void)message_set(&m->helo, "client.example.com");
	for (i = 0; i < sizeof(h) / sizeof(h[0]); i++)
		(void)message_add_header(m, h[i][0], h[i][1]);
	memset(line, 'x', sizeof(line));
	line[62] = '\r';
	line[63] = '\n';
	for (i = 0; i < 32; i++)
		(void)message_add_body(m, line, sizeof(line));
	return m;
}

int
main(int argc, char **argv)
{
	struct timespec	 t0, t1;
	struct modules	*ms;
	struct message	*m = bench_message();
	struct verdict	*v;
	struct config	*c;
	char		 err[512];
	double		 us;
	int		 i, k;

	for (k = 1; k < argc; k++) {
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
		if ((c = config_load(argv[k], stderr)) == NULL ||
		    (ms = modules_load(c, err, sizeof(err))) == NULL) {
			fprintf(stderr, "%s: cannot load: %s\n", argv[k], err);
			return 1;
		}
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
		printf("%s: loaded and compiled in %.1f ms\n", argv[k],
		    ((double)(t1.tv_sec - t0.tv_sec) * 1e9 +
		    (double)(t1.tv_nsec - t0.tv_nsec)) / 1e6);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
		for (i = 0; i < ROUNDS; i++) {
			v = verdict_new();
			(void)modules_check(ms, m, v);
			verdict_free(&v);
		}
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
		us = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 +
		    (double)(t1.tv_nsec - t0.tv_nsec)) / 1e3 / ROUNDS;
		printf("%s: %.1f us a message\n", argv[k], us);
		modules_free(&ms);
		config_free(&c);
	}
	message_free(&m);
	return 0;
}
