/*
 * super_penalty: runs in the supervisor, in whichever frontend thread
 * ends a message.  It trusts the configuration; the client address is
 * the MTA's text, read strictly (netaddr.c), and the clients themselves
 * choose their addresses: the table is bounded, and its hash is keyed
 * with a random seed so that no one can choose addresses that share a
 * bucket.
 *
 * Locking: p->lock guards everything, held for a lookup or an update in
 * memory only.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "filterd/lib/config.h"
#include "filterd/lib/log.h"
#include "filterd/lib/netaddr.h"
#include "filterd/super_penalty.h"

/* Buckets per client at most, and the fewest buckets. */
#define PENALTY_LOAD		2
#define PENALTY_BUCKETS_MIN	256
/* The table-full warning, at most this often. */
#define PENALTY_WARN_MS		60000

/* One client. */
struct pentry {
	struct pentry	*hnext;		/* in its bucket */
	struct pentry	*older;		/* by last offence */
	struct pentry	*newer;
	struct netaddr	 key;		/* the address, masked */
	unsigned	 offences;	/* since the slate was last clean */
	long long	 since;		/* the penalty in force, ms */
	long long	 until;
};

struct penalty {
	pthread_mutex_t	 lock;
	uint64_t	 seed;
	struct pentry	**buckets;	/* NULL until the first offence */
	size_t		 nbuckets;	/* a power of two */
	struct pentry	*oldest;
	struct pentry	*newest;
	size_t		 n;
	long long	 warned;	/* when the table was last full */
};

struct penalty *
penalty_new(void)
{
	struct penalty	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	if (getrandom(&p->seed, sizeof(p->seed), 0) != sizeof(p->seed)) {
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	p->warned = -PENALTY_WARN_MS;
	return p;
}

void
penalty_free(struct penalty **pp)
{
	struct penalty	*p = *pp;
	struct pentry	*e, *next;

	if (p == NULL)
		return;
	for (e = p->oldest; e != NULL; e = next) {
		next = e->newer;
		free(e);
	}
	free(p->buckets);
	pthread_mutex_destroy(&p->lock);
	free(p);
	*pp = NULL;
}

/* splitmix64's finaliser: every bit of x moves every bit of the result. */
static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static size_t
penalty_hash(const struct penalty *p, const struct netaddr *k)
{
	uint64_t	 w[2];

	memcpy(w, k->a, sizeof(w));
	return (size_t)(mix64(mix64(p->seed ^ k->family ^ w[0]) ^ w[1]) &
	    (p->nbuckets - 1));
}

/* The client that addr belongs to under c; -1 when it has no address. */
static int
penalty_key(const struct config *c, const char *addr, struct netaddr *k)
{
	if (addr == NULL || netaddr_parse(addr, k) == -1)
		return -1;
	netaddr_mask(k, k->family == 4 ? c->penalty_ipv4_prefix :
	    c->penalty_ipv6_prefix);
	return 0;
}

static int
penalty_exempt(const struct config *c, const char *addr)
{
	struct netaddr	 a, net;
	size_t		 i;
	int		 bits;

	if (netaddr_parse(addr, &a) == -1)
		return 1;
	for (i = 0; i < c->npenalty_exempt; i++)
		if (netaddr_parse_block(c->penalty_exempt[i], &net,
		    &bits) == 0 && netaddr_in(&a, &net, bits))
			return 1;
	return 0;
}

/* The client's entry, or NULL.  Locked. */
static struct pentry *
penalty_find(const struct penalty *p, const struct netaddr *k)
{
	struct pentry	*e;

	if (p->buckets == NULL)
		return NULL;
	for (e = p->buckets[penalty_hash(p, k)]; e != NULL; e = e->hnext)
		if (memcmp(&e->key, k, sizeof(*k)) == 0)
			return e;
	return NULL;
}

/* Whether e's slate is clean again at now under c. */
static int
penalty_forgiven(const struct config *c, const struct pentry *e,
    long long now)
{
	return now - e->until >= c->penalty_forgive * 1000LL;
}

int
penalty_check(struct penalty *p, const struct config *c, const char *addr,
    long long now, char *why, size_t len)
{
	struct pentry	*e;
	struct netaddr	 k;
	long long	 left = 0;
	unsigned	 n = 0;

	if (!c->penalty || penalty_key(c, addr, &k) == -1)
		return 0;
	pthread_mutex_lock(&p->lock);
	if ((e = penalty_find(p, &k)) != NULL && now < e->until) {
		left = e->until - now;
		n = e->offences;
	}
	pthread_mutex_unlock(&p->lock);
	/* A reload may have exempted it since. */
	if (left == 0 || penalty_exempt(c, addr))
		return 0;
	snprintf(why, len, "penalty (offence %u, %lld s left)", n,
	    (left + 999) / 1000);
	return 1;
}

/* Unlinks e from the order of offences.  Locked. */
static void
penalty_unlink(struct penalty *p, struct pentry *e)
{
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		p->oldest = e->newer;
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		p->newest = e->older;
	e->older = e->newer = NULL;
}

/* Makes e the latest offender.  Locked. */
static void
penalty_touch(struct penalty *p, struct pentry *e)
{
	if (p->newest == e)
		return;
	if (e->older != NULL || e->newer != NULL || p->oldest == e)
		penalty_unlink(p, e);
	e->older = p->newest;
	if (p->newest != NULL)
		p->newest->newer = e;
	else
		p->oldest = e;
	p->newest = e;
}

/* Forgets e.  Locked. */
static void
penalty_drop(struct penalty *p, struct pentry *e)
{
	struct pentry	**ep;

	for (ep = &p->buckets[penalty_hash(p, &e->key)]; *ep != e;
	    ep = &(*ep)->hnext)
		;
	*ep = e->hnext;
	penalty_unlink(p, e);
	free(e);
	p->n--;
}

/*
 * Enough buckets for sources clients: the table grows with the setting,
 * never shrinks.  Returns 0, or -1 when out of memory.  Locked.
 */
static int
penalty_grow(struct penalty *p, size_t sources)
{
	struct pentry	**b, *e;
	size_t		 n = PENALTY_BUCKETS_MIN;

	while (n * PENALTY_LOAD < sources)
		n *= 2;
	if (n <= p->nbuckets)
		return 0;
	if ((b = calloc(n, sizeof(*b))) == NULL)
		return p->buckets != NULL ? 0 : -1;
	free(p->buckets);
	p->buckets = b;
	p->nbuckets = n;
	for (e = p->oldest; e != NULL; e = e->newer) {
		e->hnext = b[penalty_hash(p, &e->key)];
		b[penalty_hash(p, &e->key)] = e;
	}
	return 0;
}

/* A new entry for k, making room first.  NULL when out of memory.  Locked. */
static struct pentry *
penalty_add(struct penalty *p, const struct config *c,
    const struct netaddr *k, long long now)
{
	struct pentry	*e;
	size_t		 h;

	if (penalty_grow(p, (size_t)c->penalty_sources) == -1)
		return NULL;
	while (p->n >= (size_t)c->penalty_sources && p->oldest != NULL) {
		if (now - p->warned >= PENALTY_WARN_MS) {
			log_warnx("penalty: %d clients remembered, forgetting "
			    "the least recent offenders (penalty.sources)",
			    c->penalty_sources);
			p->warned = now;
		}
		penalty_drop(p, p->oldest);
	}
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->key = *k;
	h = penalty_hash(p, k);
	e->hnext = p->buckets[h];
	p->buckets[h] = e;
	p->n++;
	return e;
}

/* base, doubled for each offence after the first, at most max; in ms. */
static long long
penalty_length(const struct config *c, unsigned offences)
{
	long long	 s = c->penalty_base;
	unsigned	 i;

	for (i = 1; i < offences && s < c->penalty_max; i++)
		s *= 2;
	return (s < c->penalty_max ? s : c->penalty_max) * 1000LL;
}

/* "192.0.2.7" or "2001:db8::1 (2001:db8::/64)": the client, for the log. */
static void
penalty_name(const struct config *c, const char *addr,
    const struct netaddr *k, char *buf, size_t len)
{
	char	 net[INET6_ADDRSTRLEN];
	int	 bits = k->family == 4 ? c->penalty_ipv4_prefix :
		    c->penalty_ipv6_prefix;

	if (bits == (k->family == 4 ? 32 : 128) ||
	    inet_ntop(k->family == 4 ? AF_INET : AF_INET6, k->a, net,
	    sizeof(net)) == NULL)
		snprintf(buf, len, "%s", addr);
	else
		snprintf(buf, len, "%s (%s/%d)", addr, net, bits);
}

int
penalty_offence(struct penalty *p, const struct config *c, const char *addr,
    long long started, long long now, const char *what)
{
	struct pentry	*e;
	struct netaddr	 k;
	long long	 ms;
	unsigned	 n;
	char		 name[INET6_ADDRSTRLEN * 2 + 64];

	if (!c->penalty || penalty_key(c, addr, &k) == -1 ||
	    penalty_exempt(c, addr))
		return 0;
	pthread_mutex_lock(&p->lock);
	if ((e = penalty_find(p, &k)) != NULL && started < e->since) {
		pthread_mutex_unlock(&p->lock);
		return 0;
	}
	if (e == NULL && (e = penalty_add(p, c, &k, now)) == NULL) {
		pthread_mutex_unlock(&p->lock);
		log_warnx("penalty: out of memory, client %s not penalised",
		    addr);
		return 0;
	}
	if (e->offences > 0 && penalty_forgiven(c, e, now))
		e->offences = 0;
	n = ++e->offences;
	ms = penalty_length(c, n);
	e->since = now;
	e->until = now + ms;
	penalty_touch(p, e);
	pthread_mutex_unlock(&p->lock);
	penalty_name(c, addr, &k, name, sizeof(name));
	log_warnx("client %s penalised for %lld s, offence %u: %s; its "
	    "messages get on_failure without a worker until then", name,
	    ms / 1000, n, what);
	return 1;
}
