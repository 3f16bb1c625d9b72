/* The resolver's cache: record sets and negative answers keyed by (name,
 * type), names without regard to case (RFC 1035 §2.3.3). Entries expire
 * with their TTL, which counts down (RFC 1035 §3.2.1); the cache holds at
 * most a given number of records and evicts the least recently used
 * entries beyond it. Data from a more credible source is not replaced by
 * less credible data (RFC 2181 §5.4.1). */
#ifndef INETBOX_DNS_CACHE_H
#define INETBOX_DNS_CACHE_H

#include "inetbox/dns_resolver.h"

/* RFC 2181 §5.4.1's ranking, the few levels a resolver tells apart. */
enum ib_dns_rank {
    IB_DNS_RANK_GLUE = 1, /* referral NS sets and glue (additional data) */
    IB_DNS_RANK_ANSWER,   /* the answer section of a non-authoritative answer */
    IB_DNS_RANK_AUTH,     /* an authoritative answer, and negative answers */
};

/* The type an NXDOMAIN entry is kept under: it answers for every type of
 * its name (RFC 2308 §5). Type 0 is reserved (RFC 6895 §3.1). */
#define IB_DNS_CACHE_NXDOMAIN 0u

/* RFC 2181 §8: a TTL with its top bit set is 0; RFC 8767 §4: at most 7
 * days. What the cache keeps and what a resolver hands out. */
uint32_t ib_dns_ttl_clamp(uint32_t ttl);

struct ib_dns_centry {
    struct ib_dns_centry *hnext;         /* hash chain */
    struct ib_dns_centry *newer, *older; /* use order */
    char name[IB_DNS_NAME_SIZE];         /* as first received */
    uint16_t type;
    uint8_t rank;
    bool negative;
    uint8_t rcode; /* negative: NXDOMAIN or NOERROR (no data) */
    uint32_t hash;
    ib_time expires;
    uint16_t n;            /* records: the set, or a negative answer's SOA (0 or 1) */
    struct ib_dns_rr rr[]; /* TTLs as stored: see ib_dns_centry_ttl for what is left */
};

struct ib_dns_cache;

struct ib_dns_cache *ib_dns_cache_new(uint32_t max_records);
void ib_dns_cache_free(struct ib_dns_cache *c);

/* Caches the records of sec[0..n) that are (name, type, IN) as one set
 * whose TTL is the smallest of theirs (RFC 2181 §5.2). Nothing is cached
 * for TTL 0 (RFC 1035 §3.2.1) or when a fresh entry of higher rank exists.
 * Data stored for a name ends its NXDOMAIN entry. Returns the records
 * cached. */
size_t ib_dns_cache_put(struct ib_dns_cache *c, ib_time now, enum ib_dns_rank rank,
                        const struct ib_dns_rr *sec, size_t n, const char *name, uint16_t type);
/* RFC 2308 §5: caches "(name, type) has no data" (rcode NOERROR) or "name
 * does not exist" (NXDOMAIN: type is ignored, the entry answers for every
 * type) for ttl seconds, with the SOA that came with it (may be NULL; its
 * TTL is set to ttl). */
void ib_dns_cache_put_neg(struct ib_dns_cache *c, ib_time now, const char *name, uint16_t type,
                          uint8_t rcode, const struct ib_dns_rr *soa, uint32_t ttl);
/* The fresh entry for (name, type) of at least min_rank, now the most
 * recently used, or NULL: the name's NXDOMAIN entry if it has one, else
 * the set or NODATA entry. Valid until the cache is next changed. What a
 * client is told needs IB_DNS_RANK_ANSWER: referral NS sets and glue only
 * say where to ask (RFC 2181 §5.4.1). */
const struct ib_dns_centry *ib_dns_cache_get(struct ib_dns_cache *c, ib_time now, const char *name,
                                             uint16_t type, enum ib_dns_rank min_rank);
/* Seconds left, rounded up: what an answer from the cache carries. */
uint32_t ib_dns_centry_ttl(const struct ib_dns_centry *e, ib_time now);
/* Records held (a negative entry counts as one). */
uint32_t ib_dns_cache_used(const struct ib_dns_cache *c);
/* As ib_dns_resolver_cache. */
size_t ib_dns_cache_view(const struct ib_dns_cache *c, ib_time now, struct ib_dns_cache_view *out,
                         size_t max);

#endif
