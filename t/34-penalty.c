/*
 * 34-penalty: the penalty table of the supervisor (filterd/super_penalty.c)
 * on its own, with times made up, and the address reading under it
 * (filterd/lib/netaddr.c) at and just past each of its bounds.  A
 * penalty lasts base, then twice the last for each further offence up to
 * max, and starts again from base after forgive quiet seconds; a burst of
 * messages that were on their way counts once; exempt blocks, clients
 * without an address and a disabled table penalise no one; an IPv6 /64 is
 * one client, an IPv4-mapped address is its IPv4 one; the table keeps at
 * most penalty.sources clients, forgetting the least recent offender.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filterd/lib/config.h"
#include "filterd/lib/log.h"
#include "filterd/lib/netaddr.h"
#include "filterd/super_penalty.h"
#include "t/tap.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static const struct addr_case {
	const char	*text;
	int		 family;	/* 0: refused */
	const char	*same;		/* reads as the same as this */
} addr_cases[] = {
	{ "192.0.2.1", 4, NULL },
	{ "0.0.0.0", 4, NULL },
	{ "255.255.255.255", 4, NULL },
	{ "::ffff:192.0.2.1", 4, "192.0.2.1" },
	{ "[2001:db8::1]", 6, "2001:db8::1" },
	{ "IPv6:2001:db8::1", 6, "2001:db8::1" },
	{ "ipv6:2001:db8::1", 6, "2001:db8::1" },
	{ "[IPv6:2001:db8::1]", 0, NULL },
	{ "::1", 6, NULL },
	{ "unknown", 0, NULL },
	{ "local", 0, NULL },
	{ "", 0, NULL },
	{ "[]", 0, NULL },
	{ "192.0.2.1:25", 0, NULL },
	{ "192.0.2.256", 0, NULL },
	{ "192.0.2", 0, NULL },
	{ " 192.0.2.1", 0, NULL },
	{ "192.0.2.1 ", 0, NULL },
	{ "[192.0.2.1", 0, NULL },
	{ "fe80::1%eth0", 0, NULL },
	{ "2001:db8::1/64", 0, NULL },
	/* 63 characters inside the brackets: too long, not read at all. */
	{ "[0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0]",
	    0, NULL },
};

static const struct block_case {
	const char	*text;
	int		 bits;		/* -1: refused */
	const char	*net;		/* the block's address, masked */
} block_cases[] = {
	{ "10.0.0.0/8", 8, "10.0.0.0" },
	{ "10.1.2.3/8", 8, "10.0.0.0" },
	{ "10.1.2.3", 32, "10.1.2.3" },
	{ "10.1.2.3/32", 32, "10.1.2.3" },
	{ "10.1.2.3/33", -1, NULL },
	{ "10.1.2.3/0", 0, "0.0.0.0" },
	{ "192.0.2.130/25", 25, "192.0.2.128" },
	{ "::1/128", 128, "::1" },
	{ "::1/129", -1, NULL },
	{ "2001:db8:1:2::5/64", 64, "2001:db8:1:2::" },
	{ "2001:db8::/0", 0, "::" },
	{ "10.0.0.0/", -1, NULL },
	{ "10.0.0.0/08", -1, NULL },
	{ "10.0.0.0/-1", -1, NULL },
	{ "10.0.0.0/+8", -1, NULL },
	{ "10.0.0.0/1000", -1, NULL },
	{ "10.0.0.0/8/8", -1, NULL },
	{ "[::1]/128", -1, NULL },
	{ "IPv6:::1", -1, NULL },
	{ "::ffff:10.0.0.0/104", -1, NULL },
	/* Not an IPv4 /24 in disguise, nor an IPv6 /24: refused. */
	{ "::ffff:10.0.0.0/24", -1, NULL },
	{ "localhost", -1, NULL },
};

static void
test_addresses(void)
{
	struct netaddr	 a, b;
	size_t		 i;
	int		 rc;

	for (i = 0; i < NITEMS(addr_cases); i++) {
		rc = netaddr_parse(addr_cases[i].text, &a);
		if (addr_cases[i].family == 0) {
			ok(rc == -1, "address \"%s\" is refused",
			    addr_cases[i].text);
			continue;
		}
		ok(rc == 0 && a.family == addr_cases[i].family &&
		    (addr_cases[i].same == NULL ||
		    (netaddr_parse(addr_cases[i].same, &b) == 0 &&
		    memcmp(&a, &b, sizeof(a)) == 0)),
		    "address \"%s\" reads as IPv%d%s%s", addr_cases[i].text,
		    addr_cases[i].family, addr_cases[i].same ? " " : "",
		    addr_cases[i].same ? addr_cases[i].same : "");
	}
}

static void
test_blocks(void)
{
	struct netaddr	 net, want;
	size_t		 i;
	int		 bits, rc;

	for (i = 0; i < NITEMS(block_cases); i++) {
		rc = netaddr_parse_block(block_cases[i].text, &net, &bits);
		if (block_cases[i].bits == -1) {
			ok(rc == -1, "block \"%s\" is refused",
			    block_cases[i].text);
			continue;
		}
		ok(rc == 0 && bits == block_cases[i].bits &&
		    netaddr_parse(block_cases[i].net, &want) == 0 &&
		    memcmp(&net, &want, sizeof(net)) == 0,
		    "block \"%s\" is %s/%d", block_cases[i].text,
		    block_cases[i].net, block_cases[i].bits);
	}
}

/* Whether the address a is in the block b. */
static int
in(const char *a, const char *b)
{
	struct netaddr	 x, net;
	int		 bits;

	if (netaddr_parse(a, &x) == -1 ||
	    netaddr_parse_block(b, &net, &bits) == -1)
		bail("in(%s, %s)", a, b);
	return netaddr_in(&x, &net, bits);
}

static void
test_in(void)
{
	ok(in("10.1.2.3", "10.0.0.0/8") && !in("11.0.0.1", "10.0.0.0/8"),
	    "10.0.0.0/8 holds 10.1.2.3, not 11.0.0.1");
	ok(in("192.0.2.128", "192.0.2.128/25") &&
	    in("192.0.2.255", "192.0.2.128/25") &&
	    !in("192.0.2.127", "192.0.2.128/25"),
	    "a /25: both ends inside, one below outside");
	ok(!in("::ffff:10.0.0.1", "::/0") && in("::ffff:10.0.0.1",
	    "0.0.0.0/0") && in("2001:db8::1", "::/0"),
	    "a block holds its own family only; mapped IPv4 is IPv4");
	ok(in("2001:db8:1:2:ffff::9", "2001:db8:1:2::/64") &&
	    !in("2001:db8:1:3::", "2001:db8:1:2::/64"),
	    "a /64 holds its 64 bits, not the next block");
}

static struct config *
conf(const char *penalty)
{
	struct config	*c;
	char		 text[1024];

	snprintf(text, sizeof(text), "penalty = { %s };\n", penalty);
	if ((c = config_load_text(text, "t34.conf", stderr)) == NULL)
		bail("configuration refused: %s", text);
	return c;
}

/* Whether addr is penalised at now; why goes to *why_r. */
static int
held(struct penalty *p, const struct config *c, const char *addr,
    long long now, char *why, size_t len)
{
	why[0] = '\0';
	return penalty_check(p, c, addr, now, why, len);
}

static void
test_lengths(void)
{
	struct config	*c = conf("base = 10; max = 40; forgive = 100;");
	struct penalty	*p;
	char		 why[128];

	if ((p = penalty_new()) == NULL)
		bail("penalty_new");
	ok(!held(p, c, "10.0.0.1", 0, why, sizeof(why)),
	    "no one is penalised at first");
	ok(penalty_offence(p, c, "10.0.0.1", 0, 0, "test") == 1,
	    "an offence starts a penalty");
	ok(held(p, c, "10.0.0.1", 5000, why, sizeof(why)) &&
	    strcmp(why, "penalty (offence 1, 5 s left)") == 0,
	    "halfway through base: %s", why);
	ok(held(p, c, "10.0.0.1", 9999, why, sizeof(why)) &&
	    !held(p, c, "10.0.0.1", 10000, why, sizeof(why)),
	    "the first penalty lasts base, 10 s, to the millisecond");
	ok(penalty_offence(p, c, "10.0.0.1", -1, 200, "test") == 0 &&
	    held(p, c, "10.0.0.1", 300, why, sizeof(why)) &&
	    strstr(why, "offence 1,") != NULL,
	    "a message on its way before the penalty began adds no offence");
	ok(penalty_offence(p, c, "10.0.0.1", 15000, 20000, "test") == 1 &&
	    held(p, c, "10.0.0.1", 20000, why, sizeof(why)) &&
	    strcmp(why, "penalty (offence 2, 20 s left)") == 0,
	    "a second offence: twice base (%s)", why);
	ok(penalty_offence(p, c, "10.0.0.1", 45000, 50000, "test") == 1 &&
	    held(p, c, "10.0.0.1", 50000, why, sizeof(why)) &&
	    strcmp(why, "penalty (offence 3, 40 s left)") == 0,
	    "a third: twice again, 40 s = max (%s)", why);
	ok(penalty_offence(p, c, "10.0.0.1", 95000, 100000, "test") == 1 &&
	    held(p, c, "10.0.0.1", 100000, why, sizeof(why)) &&
	    strcmp(why, "penalty (offence 4, 40 s left)") == 0,
	    "a fourth: still max (%s)", why);
	/* That penalty ends at 140 s; forgive is 100 s after it. */
	ok(penalty_offence(p, c, "10.0.0.1", 239000, 239999, "test") == 1 &&
	    held(p, c, "10.0.0.1", 239999, why, sizeof(why)) &&
	    strstr(why, "offence 5,") != NULL,
	    "an offence 1 ms short of forgive counts on (%s)", why);
	ok(penalty_offence(p, c, "10.0.0.2", 0, 0, "test") == 1 &&
	    penalty_offence(p, c, "10.0.0.2", 10000, 110000, "test") == 1 &&
	    held(p, c, "10.0.0.2", 110000, why, sizeof(why)) &&
	    strcmp(why, "penalty (offence 1, 10 s left)") == 0,
	    "forgive quiet seconds after its penalty, a client starts again "
	    "from base (%s)", why);
	penalty_free(&p);
	ok(p == NULL, "penalty_free clears the pointer");
	config_free(&c);
	c = conf("base = 100; max = 40;");
	if ((p = penalty_new()) == NULL)
		bail("penalty_new");
	ok(penalty_offence(p, c, "10.0.0.3", 0, 0, "test") == 1 &&
	    held(p, c, "10.0.0.3", 0, why, sizeof(why)) &&
	    strcmp(why, "penalty (offence 1, 40 s left)") == 0,
	    "a base above max is cut to max (%s)", why);
	penalty_free(&p);
	config_free(&c);
}

static void
test_who(void)
{
	struct config	*c = conf("exempt = [ \"192.0.2.0/24\", \"::1\" ];");
	struct config	*off = conf("enable = false;");
	struct config	*v4 = conf("ipv4_prefix = 24; ipv6_prefix = 48;");
	struct penalty	*p;
	char		 why[128];

	if ((p = penalty_new()) == NULL)
		bail("penalty_new");
	ok(penalty_offence(p, c, "192.0.2.5", 0, 0, "t") == 0 &&
	    !held(p, c, "192.0.2.5", 1, why, sizeof(why)) &&
	    penalty_offence(p, c, "::1", 0, 0, "t") == 0,
	    "exempt blocks and addresses are never penalised");
	ok(penalty_offence(p, c, "127.0.0.1", 0, 0, "t") == 1,
	    "an exempt list of its own replaces the default loopback");
	ok(penalty_offence(p, c, "unknown", 0, 0, "t") == 0 &&
	    penalty_offence(p, c, "local", 0, 0, "t") == 0 &&
	    penalty_offence(p, c, NULL, 0, 0, "t") == 0 &&
	    !held(p, c, NULL, 1, why, sizeof(why)),
	    "a client without an address is never penalised");
	ok(penalty_offence(p, off, "10.0.0.9", 0, 0, "t") == 0 &&
	    !held(p, off, "10.0.0.9", 1, why, sizeof(why)),
	    "penalty.enable = false: no offence counts");
	ok(penalty_offence(p, c, "10.0.0.8", 0, 0, "t") == 1 &&
	    !held(p, off, "10.0.0.8", 1, why, sizeof(why)),
	    "nor does a penalty hold once disabled by a reload");
	ok(penalty_offence(p, c, "2001:db8:1:2::1", 0, 0, "t") == 1 &&
	    held(p, c, "2001:db8:1:2:ffff::9", 1, why, sizeof(why)) &&
	    !held(p, c, "2001:db8:1:3::1", 1, why, sizeof(why)),
	    "an IPv6 /64 is one client; the next /64 another");
	ok(penalty_offence(p, c, "::ffff:10.9.9.9", 0, 0, "t") == 1 &&
	    held(p, c, "10.9.9.9", 1, why, sizeof(why)) &&
	    !held(p, c, "10.9.9.10", 1, why, sizeof(why)),
	    "an IPv4-mapped address is its IPv4 address, and one address "
	    "only");
	ok(penalty_offence(p, v4, "10.1.1.1", 0, 0, "t") == 1 &&
	    held(p, v4, "10.1.1.200", 1, why, sizeof(why)) &&
	    !held(p, v4, "10.1.2.1", 1, why, sizeof(why)) &&
	    penalty_offence(p, v4, "2001:db8:7:1::1", 0, 0, "t") == 1 &&
	    held(p, v4, "2001:db8:7:ffff::1", 1, why, sizeof(why)),
	    "ipv4_prefix 24 and ipv6_prefix 48 make wider clients");
	ok(penalty_offence(p, c, "192.0.2.77", 0, 0, "t") == 0 &&
	    penalty_offence(p, off, "192.0.2.77", 0, 0, "t") == 0 &&
	    penalty_offence(p, v4, "192.0.2.77", 0, 0, "t") == 1 &&
	    held(p, v4, "192.0.2.77", 1, why, sizeof(why)) &&
	    !held(p, c, "192.0.2.77", 1, why, sizeof(why)),
	    "exempt after a reload: a penalty in force no longer holds");
	penalty_free(&p);
	config_free(&c);
	config_free(&off);
	config_free(&v4);
}

static void
addr_n(char *buf, size_t len, unsigned n)
{
	snprintf(buf, len, "10.%u.%u.%u", (n >> 16) & 0xff, (n >> 8) & 0xff,
	    n & 0xff);
}

/* How many of the clients from to to-1 are penalised at now. */
static unsigned
count_held(struct penalty *p, const struct config *c, unsigned from,
    unsigned to, long long now)
{
	char		 a[32], why[128];
	unsigned	 n, k = 0;

	for (n = from; n < to; n++) {
		addr_n(a, sizeof(a), n);
		k += (unsigned)held(p, c, a, now, why, sizeof(why));
	}
	return k;
}

static void
test_bound(void)
{
	struct config	*c = conf("sources = 16; base = 1000; max = 1000;");
	struct config	*big = conf("sources = 5000; base = 1000; max = 1000;");
	struct penalty	*p;
	char		 a[32];
	unsigned	 n;

	if ((p = penalty_new()) == NULL)
		bail("penalty_new");
	for (n = 1; n <= 16; n++) {
		addr_n(a, sizeof(a), n);
		(void)penalty_offence(p, c, a, n, n, "t");
	}
	is_int(count_held(p, c, 1, 17, 100), 16, "16 clients fit in 16");
	/* 10.0.0.5 offends again: it is no longer the least recent. */
	(void)penalty_offence(p, c, "10.0.0.5", 50, 50, "t");
	for (n = 17; n <= 21; n++) {
		addr_n(a, sizeof(a), n);
		(void)penalty_offence(p, c, a, 100 + n, 100 + n, "t");
	}
	ok(count_held(p, c, 1, 5, 200) == 0 && count_held(p, c, 6, 7, 200) ==
	    0 && count_held(p, c, 5, 6, 200) == 1 &&
	    count_held(p, c, 7, 22, 200) == 15,
	    "five more: the five least recent offenders are forgotten");
	penalty_free(&p);

	if ((p = penalty_new()) == NULL)
		bail("penalty_new");
	for (n = 0; n < 7500; n++) {
		addr_n(a, sizeof(a), n);
		(void)penalty_offence(p, big, a, n, n, "t");
	}
	ok(count_held(p, big, 0, 2500, 8000) == 0 &&
	    count_held(p, big, 2500, 7500, 8000) == 5000,
	    "5000 sources: of 7500 clients, the last 5000 are found");
	/* A reload to fewer sources: the next offence trims the table. */
	(void)penalty_offence(p, c, "10.200.0.1", 9000, 9000, "t");
	is_int(count_held(p, big, 0, 7500, 9500), 15, "a reload to 16 "
	    "sources: the next offence keeps the 15 latest and itself");
	penalty_free(&p);
	config_free(&c);
	config_free(&big);
}

int
main(void)
{
	log_init("34-penalty", 1, 0);
	plan((int)(NITEMS(addr_cases) + NITEMS(block_cases)) + 4 + 12 + 9 +
	    4);
	test_addresses();
	test_blocks();
	test_in();
	test_lengths();
	test_who();
	test_bound();
	return done_testing();
}
