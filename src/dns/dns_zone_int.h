/* Inside a zone: the records of a master file, kept compactly in one
 * arena of bytes and sorted by canonical key, shared by the master-file
 * parser (dns_zone.c), the store (dns_zone_store.c) and the server
 * (dns_auth.c).
 *
 * A name's key is its labels from the root down, lowercased (RFC 4343),
 * each followed by KEY_SEP: "www.Google.com" is "com\1google\1www\1", the
 * root is "". Comparing keys as strings is the canonical order of RFC
 * 4034 §6.1, an ancestor's key is a prefix of its descendants' keys, and
 * so the records of a name and of everything below it form one run. */
#ifndef INETBOX_DNS_ZONE_INT_H
#define INETBOX_DNS_ZONE_INT_H

#include "inetbox/dns_server.h"

#define IB_DNS_KEY_SEP '\1'
#define IB_DNS_KEY_SIZE 256u /* the longest key (254 bytes) and its NUL */

/* One record. Rdata in the arena, by type: A 4 bytes, AAAA 16; NS, CNAME,
 * PTR a NUL-terminated name; MX a 2-byte preference then the name; SOA
 * mname, rname (NUL-terminated) then the five 32-bit numbers; TXT its
 * character-strings as on the wire. Numbers are big-endian. */
struct ib_dns_zrec {
    uint32_t name; /* arena offset of the owner, dotted as written */
    uint32_t key;  /* arena offset of the owner's key */
    uint32_t rd;   /* arena offset of the rdata */
    uint32_t ttl;
    uint32_t line, col; /* where the record starts, for errors */
    uint16_t type, rdlen;
};

struct ib_dns_zone {
    char origin[IB_DNS_NAME_SIZE];
    char okey[IB_DNS_KEY_SIZE];
    size_t oklen;
    char *arena;
    size_t alen, acap;
    struct ib_dns_zrec *rec;
    size_t n, cap;
    size_t soa; /* index of the SOA once the zone is complete */
};

/* Writes name's key (NUL-terminated) and returns its length. */
size_t ib_dns_name_key(const char *name, char *key);
/* Is key (klen bytes) that of a name at or below the zone's origin? */
static inline bool ib_dns_zone_holds(const struct ib_dns_zone *z, const char *key, size_t klen)
{
    return klen >= z->oklen && memcmp(key, z->okey, z->oklen) == 0;
}

/* The store, while a parser fills it. */
struct ib_dns_zone *ib_dns_zone_new(const char *origin);
/* Copies n bytes into the arena; returns their offset, or UINT32_MAX if
 * out of memory (or beyond 4 GiB). */
uint32_t ib_dns_zone_put(struct ib_dns_zone *z, const void *b, size_t n);
/* Appends a record (its name, key and rdata already in the arena).
 * Returns 0, IB_ERR_NOMEM or IB_ERR_TOOBIG. */
int ib_dns_zone_add(struct ib_dns_zone *z, const struct ib_dns_zrec *r);
/* Sorts, removes duplicates and checks the rules of a whole zone: one SOA
 * at the apex, nothing beside a CNAME. Returns 0 or IB_ERR_INVAL with
 * *bad the record at fault (SIZE_MAX: the zone has no SOA) and *why what
 * was expected. */
int ib_dns_zone_finish(struct ib_dns_zone *z, size_t *bad, const char **why);

/* Records with exactly this key: [*lo, return value). */
size_t ib_dns_zone_find(const struct ib_dns_zone *z, const char *key, size_t klen, size_t *lo);
/* Does some name strictly below key hold records? (An empty non-terminal
 * exists, RFC 4592 §2.2.2.) */
bool ib_dns_zone_has_below(const struct ib_dns_zone *z, const char *key, size_t klen);
/* The TTL of a negative answer: the smaller of the SOA's own TTL and its
 * minimum field (RFC 2308 §3). */
uint32_t ib_dns_zone_neg_ttl(const struct ib_dns_zone *z);

static inline const uint8_t *ib_dns_zrd(const struct ib_dns_zone *z, const struct ib_dns_zrec *r)
{
    return (const uint8_t *)z->arena + r->rd;
}

#endif
