/*
 * netaddr: client addresses and address blocks, as the configuration
 * names them and the supervisor's penalties count them.  Pure functions
 * over text an MTA sent (untrusted: anything that is not exactly an
 * address is refused) or the administrator wrote.
 */
#ifndef FILTERD_LIB_NETADDR_H
#define FILTERD_LIB_NETADDR_H

#include <stdint.h>

/* An IPv4 address (family 4, in a[0..3]) or an IPv6 one (family 6). */
struct netaddr {
	uint8_t		 family;	/* 4 or 6 */
	uint8_t		 a[16];		/* the rest zero */
};

/*
 * Reads an address: dotted IPv4, or IPv6 text, optionally in brackets
 * or after "IPv6:" (as OpenSMTPD writes it).  An IPv4-mapped IPv6
 * address (::ffff:192.0.2.1) reads as the IPv4 address.  Returns 0, or
 * -1 for anything else ("unknown", "local", a port, a zone).
 */
int	netaddr_parse(const char *, struct netaddr *);
/*
 * Reads a block "address/bits" or one address (all its bits); the bits
 * at most 32 for IPv4 and 128 for IPv6, in decimal without a sign or
 * leading zero.  Host bits are cleared.  Returns 0, or -1.
 */
int	netaddr_parse_block(const char *, struct netaddr *, int *bits_r);
/* Clears every bit of a past the first bits. */
void	netaddr_mask(struct netaddr *a, int bits);
/* Whether a lies in the block net/bits of its family. */
int	netaddr_in(const struct netaddr *a, const struct netaddr *net,
	    int bits);

#endif
