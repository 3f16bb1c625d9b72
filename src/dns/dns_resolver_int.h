/* The recursive resolver's insides, shared by its two halves:
 * dns_resolver.c resolves (RFC 1034 §5.3.3), dns_resolver_net.c serves
 * clients over UDP and TCP (RFC 1035 §4.2, RFC 7766). */
#ifndef INETBOX_DNS_RESOLVER_INT_H
#define INETBOX_DNS_RESOLVER_INT_H

#include "dns/dns_cache.h"
#include "dns/dns_client.h"
#include "inetbox/dns_resolver.h"

#define RES_MAX_SERVERS 16u /* addresses of one zone's servers we keep */
#define RES_MAX_CHAIN 8u    /* CNAMEs followed for one question */
#define RES_MAX_DEPTH 4u    /* nested lookups of name server addresses */
#define RES_MAX_TASKS 1024u /* resolutions at once; more clients get SERVFAIL */
#define RES_MAX_WAITING 64u /* clients waiting on one resolution; more get SERVFAIL */
/* RFC 7766 §10: a server bounds what TCP clients may hold of it. */
#define RES_MAX_CONNS 64u        /* TCP clients at once; more are refused */
#define RES_CONN_MAX_PENDING 16u /* queries read and not answered, per connection */
#define RES_CONN_OUT_MAX 65536u  /* answers TCP has not taken, per connection */

/* What a question resolved to: the CNAME chain, then the records asked
 * for; or a negative answer with its SOA (RFC 2308 §3). */
struct res_answer {
    struct ib_dns_rr *rr;
    uint16_t n, cap;
    uint16_t n_chain; /* rr[0 .. n_chain) are the CNAMEs */
    bool has_soa;
    uint8_t rcode;
    struct ib_dns_rr soa;
};

/* Appends r with the given TTL, clamped, and the smallest TTL for every
 * record of its set (RFC 2181 §5.2, §8); false when full (IB_DNS_MAX_RR)
 * or out of memory. */
bool res_answer_add(struct res_answer *a, const struct ib_dns_rr *r, uint32_t ttl);
void res_answer_free(struct res_answer *a);
/* How a finished answer reads (enum ib_dns_kind), with the first address
 * and the TTL of the records asked for (or of the negative answer). */
uint8_t res_answer_kind(const struct res_answer *a, ib_ip4 *addr, uint32_t *ttl);
/* Walks the cache from name (RFC 1034 §5.3.3 step 1): appends the CNAMEs
 * it finds, moves name to their target, and returns true if the answer
 * is complete: the records, a negative answer, or SERVFAIL for a CNAME
 * chain too long (a loop). */
bool res_cache_walk(struct ib_dns_resolver *r, struct res_answer *a, char *name, uint16_t qtype);

struct res_conn;

/* A client waiting for an answer. */
struct res_client {
    struct res_client *next;
    ib_ip4 addr;
    uint16_t port, id;
    bool rd;
    struct res_conn *conn; /* TCP, or NULL for UDP */
    uint32_t journey;
    char qname[IB_DNS_NAME_SIZE]; /* as the client spelled it */
    uint16_t qtype, qclass;       /* qtype 0: the query had no question */
};

enum res_srv_state { SRV_READY, SRV_NEED_ADDR, SRV_RESOLVING, SRV_FAILED };

struct res_server {
    char name[IB_DNS_NAME_SIZE];
    ib_ip4 addr;
    uint8_t state; /* enum res_srv_state */
    uint8_t sent;  /* queries to it in this step */
};

enum res_task_state { TASK_START, TASK_QUERY, TASK_CHILD };

/* One resolution of (qname, qtype), for clients or for a parent task that
 * needs a name server's address. */
struct res_task {
    struct res_task *next;
    struct ib_dns_resolver *r;
    struct res_task *parent; /* waits for our A records; NULL: clients wait */
    struct res_task *root;   /* whose query budget this spends */
    struct res_client *clients;
    uint32_t n_clients;
    uint8_t state; /* enum res_task_state */
    uint8_t depth;
    char qname[IB_DNS_NAME_SIZE];
    uint16_t qtype;
    char sname[IB_DNS_NAME_SIZE]; /* qname after the CNAMEs so far */
    struct res_answer ans;
    uint32_t queries; /* sent for this resolution, nested lookups included */
    /* The step: the zone whose servers are asked, and them. */
    char zone[IB_DNS_NAME_SIZE];
    struct res_server srv[RES_MAX_SERVERS];
    uint8_t n_srv;
    uint8_t step_tries;
    uint8_t cur;             /* the server asked */
    struct ib_dns_flight fl; /* the query out to srv[cur] */
    struct ib_timer timer;
};

struct res_hint {
    char name[IB_DNS_NAME_SIZE];
    ib_ip4 addr;
};

struct ib_dns_resolver {
    struct ib_stack *s;
    struct ib_dns_resolver_config cfg;
    struct res_hint hints[IB_DNS_MAX_HINTS];
    struct ib_dns_cache *cache;
    struct ib_udp_pcb udp;
    struct ib_tcp *listener;
    struct res_task *tasks;
    uint32_t n_tasks;
    struct res_conn *conns;
    uint32_t n_conns;
    struct ib_dns_msg *msg; /* scratch: the message being read */
    struct ib_dns_msg *out; /* scratch: the message being written */
    uint8_t *wbuf;          /* its bytes: a TCP length and a message */
    struct res_answer hit;  /* scratch: an answer from the cache */
    struct ib_dns_resolver_stats stats;
};

/* dns_resolver.c: resolves c's question for it, in a resolution of the
 * same question already under way if there is one (or drops c if it is a
 * retransmission of a query already waiting). Takes c, unless it returns
 * false: too many resolutions, too many clients waiting on this one, or
 * out of memory. */
bool res_resolve(struct ib_dns_resolver *r, struct res_client *c);
void res_tasks_free(struct ib_dns_resolver *r);

/* dns_resolver_net.c: sends the answer (a NULL: SERVFAIL) to c and frees
 * c. */
void res_respond(struct ib_dns_resolver *r, struct res_client *c, const struct res_answer *a);

#endif
