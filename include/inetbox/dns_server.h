/* Authoritative DNS: zones read from RFC 1035 §5 master files, and a server
 * that answers from them by the RFC 1034 §4.3.2 algorithm (answers, CNAME
 * chasing within a zone, wildcards (RFC 4592), referrals with glue,
 * NXDOMAIN and NODATA with the SOA for negative caching (RFC 2308 §3)),
 * over UDP (RFC 1035 §4.2.1, EDNS(0) of RFC 6891) and TCP (RFC 7766).
 *
 * A zone keeps its records compactly, in the canonical order of RFC 4034
 * §6.1 (so a name's records, and the names below it, are one run). The
 * server emits an IB_EV_DNS event for every query it receives and every
 * response it sends. */
#ifndef INETBOX_DNS_SERVER_H
#define INETBOX_DNS_SERVER_H

#include "inetbox/dns.h"
#include "inetbox/stack.h"

/* The largest UDP response we offer with EDNS (RFC 6891 §6.2.5): 1232,
 * DNS Flag Day 2020's size, which keeps responses unfragmented. */
#define IB_DNS_EDNS_SIZE 1232u
/* A TCP connection closes after this long without a query (RFC 7766 §6.2.3). */
#define IB_DNS_TCP_IDLE IB_SEC(10)
/* Zone text we read at most, and records one zone may hold. */
#define IB_DNS_ZONE_MAX_TEXT (64u << 20)
#define IB_DNS_ZONE_MAX_RECORDS (1u << 22)

struct ib_dns_zone;

/* Parses an RFC 1035 §5 master file: $ORIGIN, $TTL (RFC 2308 §4), @,
 * relative and absolute names, the owner omitted (a line starting with a
 * blank: the previous owner), class IN and the TTL optional (TTLs may use
 * the units s, m, h, d, w), parentheses spanning lines, ; comments, quoted
 * strings with \X and \DDD escapes for TXT. Escapes in names and $INCLUDE
 * are refused. Types: SOA, NS, A, AAAA, CNAME, PTR, MX, TXT. origin: the
 * zone's name ("." for the root, "com.", "google.com."; trailing dot
 * optional). Exactly one SOA, at the apex, is required, every record must
 * be at or below the origin, and a CNAME's name holds nothing else (RFC
 * 2181 §10.1). Identical records are kept once (RFC 2181 §5).
 * On error returns IB_ERR_INVAL with err set to one line
 * "file:line:col: expected ..." (columns count bytes from 1), or
 * IB_ERR_NOMEM. */
int ib_dns_zone_parse(struct ib_dns_zone **out, const char *file, const char *text, size_t len,
                      const char *origin, char *err, size_t errlen);
/* Reads the file at path and parses it (errors name path; IB_ERR_IO if it
 * cannot be read). */
int ib_dns_zone_load(struct ib_dns_zone **out, const char *path, const char *origin, char *err,
                     size_t errlen);
void ib_dns_zone_free(struct ib_dns_zone *z);
/* Dotted, no trailing dot, as given; "" for the root. */
const char *ib_dns_zone_origin(const struct ib_dns_zone *z);
/* Records (after removing duplicates). */
size_t ib_dns_zone_count(const struct ib_dns_zone *z);
/* Record i (0 <= i < count) in canonical order (RFC 4034 §6.1), records
 * of one name by type, then in file order. Returns 0 or IB_ERR_INVAL. */
int ib_dns_zone_rr(const struct ib_dns_zone *z, size_t i, struct ib_dns_rr *out);

struct ib_dns_auth;

/* Serves DNS on UDP and TCP port `port` (53) of every address of s (one
 * wildcard endpoint each: a reply leaves from the address IP chooses
 * toward the asker). NULL if a port is taken or out of memory. */
struct ib_dns_auth *ib_dns_auth_start(struct ib_stack *s, uint16_t port);
/* A server without sockets, for ib_dns_auth_answer alone. NULL if out of
 * memory. */
struct ib_dns_auth *ib_dns_auth_new(void);
/* Serves z from now on, and frees it with a. On error z stays the
 * caller's: IB_ERR_INUSE if a zone of that origin is already served,
 * IB_ERR_NOMEM. */
int ib_dns_auth_add_zone(struct ib_dns_auth *a, struct ib_dns_zone *z);
/* Closes the sockets and connections, frees the zones and a. */
void ib_dns_auth_stop(struct ib_dns_auth *a);

/* The answer logic alone (no sockets): writes the response to query q into
 * out (cap bytes: 512 over UDP, or the EDNS size agreed, 65535 over TCP)
 * and returns its length; 0 if no response should be sent (q is a
 * response, RFC 1035 §4.1.1, or shorter than a header) or cap cannot hold
 * one. Uses a's scratch message: one call at a time per server. */
size_t ib_dns_auth_answer(const struct ib_dns_auth *a, const uint8_t *q, size_t qlen, uint8_t *out,
                          size_t cap);

/* Counters of a running server. */
struct ib_dns_auth_stats {
    uint64_t udp_queries, tcp_queries, responses, truncated, tcp_conns, tcp_idle_closed;
};
void ib_dns_auth_get_stats(const struct ib_dns_auth *a, struct ib_dns_auth_stats *out);

#endif
