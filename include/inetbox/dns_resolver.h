/* DNS resolvers on a stack.
 *
 * The recursive resolver (RFC 1034 §5.3.3, RFC 1035 §7) serves RD=1
 * queries from clients over UDP and TCP (RFC 7766) and answers them from
 * its cache or by asking authorities itself: it starts at the closest
 * servers it knows (or the root hints), follows referrals and CNAMEs, and
 * caches what it learns, negative answers included (RFC 2308). Its queries
 * leave from a random port with a random id, and a response must match
 * both, its server's address and the question (RFC 5452 §9). What clients
 * can hold of it is bounded (RFC 7766 §10): a query gets SERVFAIL at once
 * when too many resolutions are under way or too many clients wait on its
 * own; TCP clients are limited in number, in queries read ahead of their
 * answers, and in answers left unread (past that, the connection is
 * reset).
 *
 * The stub resolver (RFC 1123 §6.1.3.1) asks a recursive server for a
 * name's address, as a host's resolver library does.
 *
 * Both emit IB_EV_DNS events (layer 7) for every query and response they
 * send or receive, cache hits and finished lookups. Beyond trace.h:
 * - a query that got no answer in time (or an ICMP error, or a failed TCP
 *   connection) is reported as IB_DNS_RESPONSE_RX, kind ERROR, rcode
 *   NOERROR, no packet;
 * - a CNAME response (kind CNAME) names the alias's target in u.dns.ns;
 * - the resolver also reports IB_DNS_CACHE_HIT, kind REFERRAL, when it
 *   starts a resolution at a zone whose servers it has cached (zone, ns,
 *   addr as for a referral); a client answered wholly from the cache gets
 *   IB_DNS_CACHE_HIT with the answer's kind, addr and ttl. */
#ifndef INETBOX_DNS_RESOLVER_H
#define INETBOX_DNS_RESOLVER_H

#include "inetbox/dns.h"
#include "inetbox/stack.h"

/* Root hints, e.g. a.root-servers.net 198.41.0.4. */
struct ib_dns_hint {
    const char *name;
    ib_ip4 addr;
};

/* Zero fields take the defaults. */
struct ib_dns_resolver_config {
    const struct ib_dns_hint *hints; /* copied */
    size_t n_hints;
    uint16_t port;        /* where clients ask; default 53 */
    uint32_t cache_max;   /* records; default 10000 */
    ib_time timeout;      /* per query to an authority; default 800 ms */
    uint8_t retries;      /* other servers / retries per step; default 3 */
    uint32_t max_queries; /* per resolution, against loops; default 32 */
    uint32_t neg_ttl_max; /* RFC 2308 §5: cap on negative caching (s), default 3 h */
};
extern const struct ib_dns_resolver_config ib_dns_resolver_defaults;

/* As many root servers as there are: 13 names fit one 512-byte UDP
 * answer (RFC 1035 §4.2.1). */
#define IB_DNS_MAX_HINTS 13u

struct ib_dns_resolver;

/* Listens on cfg->port (UDP and TCP, any address). NULL if a port is taken,
 * a hint is invalid or there are more than IB_DNS_MAX_HINTS, or out of
 * memory. cfg NULL: the defaults (no hints: answers only from the cache). */
struct ib_dns_resolver *ib_dns_resolver_start(struct ib_stack *s,
                                              const struct ib_dns_resolver_config *cfg);
/* Closes its sockets and connections, forgets pending resolutions (their
 * clients get no answer) and frees r. */
void ib_dns_resolver_stop(struct ib_dns_resolver *r);

/* One cache entry: a record set (name, type), or a negative answer. */
struct ib_dns_cache_view {
    char name[IB_DNS_NAME_SIZE];
    uint16_t type;
    bool negative;
    uint8_t rcode; /* negative: NXDOMAIN (type 0: every type, RFC 2308 §5),
                      or NOERROR for "no such type" */
    ib_ip4 addr;   /* A: the first address */
    ib_time expires;
};
/* Writes up to max fresh entries, most recently used first; returns how
 * many fresh entries there are. */
size_t ib_dns_resolver_cache(const struct ib_dns_resolver *r, struct ib_dns_cache_view *out,
                             size_t max);

/* Counters of a resolver. turned_away: queries answered SERVFAIL at once
 * (too many resolutions, or too many clients waiting on this one);
 * tcp_refused: connections over the limit; tcp_dropped: connections reset
 * for leaving too many answers unread (RFC 7766 §10). */
struct ib_dns_resolver_stats {
    uint64_t client_queries, cache_hits, merged, resolutions, servfails;
    uint64_t queries_out, tcp_queries_out, timeouts;
    uint64_t turned_away, tcp_refused, tcp_dropped;
};
void ib_dns_resolver_get_stats(const struct ib_dns_resolver *r, struct ib_dns_resolver_stats *out);

/* Stub resolver (RFC 1123 §6.1.3.1 "stub"): asks `server` (0: the stack's
 * s->resolv list, in turn) for name's A record with RD=1, a random id and a
 * random source port (RFC 5452 §9.2), retries (timeout 1 s, 2 tries per
 * server), falls back to TCP on TC (RFC 7766 §5). done is called exactly
 * once, never from inside ib_dns_lookup itself, with err 0 and the first
 * address (following CNAMEs in the answer), or IB_ERR_NOTFOUND (NXDOMAIN
 * or NODATA), IB_ERR_TIMEOUT, IB_ERR_SERVFAIL (the servers failed or
 * refused), IB_ERR_PROTO (malformed or nonsensical answers), IB_ERR_INVAL
 * (name is not a domain name), IB_ERR_NOROUTE (no server known). name may
 * be an IPv4 literal: done gets it from a zero-delay timer. The lookup is
 * freed after done returns (do not cancel it from done). */
typedef void (*ib_dns_lookup_fn)(void *arg, int err, const char *name, ib_ip4 addr, uint32_t ttl);
struct ib_dns_lookup;
/* NULL (and done is never called) only if name or done is NULL or out of
 * memory. */
struct ib_dns_lookup *ib_dns_lookup(struct ib_stack *s, const char *name, ib_ip4 server,
                                    ib_dns_lookup_fn done, void *arg);
/* Before done: done is never called. */
void ib_dns_lookup_cancel(struct ib_dns_lookup *l);

#endif
