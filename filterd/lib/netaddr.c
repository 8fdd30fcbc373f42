/*
 * netaddr: runs wherever a configuration is read (the exempt blocks of
 * the penalties) and in the supervisor (each message's client address).
 * inet_pton does the reading; this file only frames it.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "filterd/lib/netaddr.h"

/* "::ffff:a.b.c.d" */
static const uint8_t v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

/* Longest text an address may have, brackets and prefix included. */
#define NETADDR_TEXT_MAX	64

int
netaddr_parse(const char *s, struct netaddr *a)
{
	char	 text[NETADDR_TEXT_MAX];
	size_t	 n;

	memset(a, 0, sizeof(*a));
	if (strncasecmp(s, "IPv6:", 5) == 0)
		s += 5;
	n = strlen(s);
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(text))
		return -1;
	memcpy(text, s, n);
	text[n] = '\0';
	if (inet_pton(AF_INET, text, a->a) == 1) {
		a->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, text, a->a) != 1) {
		memset(a, 0, sizeof(*a));
		return -1;
	}
	a->family = 6;
	if (memcmp(a->a, v4mapped, sizeof(v4mapped)) == 0) {
		memmove(a->a, a->a + 12, 4);
		memset(a->a + 4, 0, 12);
		a->family = 4;
	}
	return 0;
}

void
netaddr_mask(struct netaddr *a, int bits)
{
	int	 i, max = a->family == 4 ? 32 : 128;

	if (bits < 0)
		bits = 0;
	for (i = bits; i < max; i++)
		a->a[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
}

/* Decimal digits, no sign, no leading zero, at most max. */
static int
netaddr_bits(const char *s, int max)
{
	int	 v = 0;

	if (*s == '\0' || (s[0] == '0' && s[1] != '\0') || strlen(s) > 3)
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v <= max ? v : -1;
}

int
netaddr_parse_block(const char *s, struct netaddr *net, int *bits_r)
{
	char		 text[NETADDR_TEXT_MAX];
	const char	*slash = strchr(s, '/');
	size_t		 n = slash != NULL ? (size_t)(slash - s) : strlen(s);
	int		 bits, max;

	if (n >= sizeof(text))
		return -1;
	memcpy(text, s, n);
	text[n] = '\0';
	/* A block is written plainly: no brackets, no "IPv6:". */
	if (text[0] == '[' || strncasecmp(text, "IPv6:", 5) == 0 ||
	    netaddr_parse(text, net) == -1)
		return -1;
	/* ::ffff:0:0/96 would read as an IPv4 block with 96 bits. */
	if (net->family == 4 && strchr(text, ':') != NULL)
		return -1;
	max = net->family == 4 ? 32 : 128;
	bits = slash != NULL ? netaddr_bits(slash + 1, max) : max;
	if (bits == -1)
		return -1;
	netaddr_mask(net, bits);
	*bits_r = bits;
	return 0;
}

int
netaddr_in(const struct netaddr *a, const struct netaddr *net, int bits)
{
	struct netaddr	 m = *a;

	if (a->family != net->family)
		return 0;
	netaddr_mask(&m, bits);
	return memcmp(m.a, net->a, sizeof(m.a)) == 0;
}
