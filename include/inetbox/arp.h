/* ARP for IPv4 over Ethernet (RFC 826, RFC 1122 §2.3.2, RFC 5227 for
 * announcements). One cache per interface; entries time out; packets wait
 * in a bounded queue while their next hop is resolved; requests are retried
 * and the queue is dropped (and reported) when resolution fails. */
#ifndef INETBOX_ARP_H
#define INETBOX_ARP_H

#include "inetbox/evq.h"
#include "inetbox/pkt.h"

#define IB_ARP_LEN 28u
#define IB_ARP_OP_REQUEST 1u
#define IB_ARP_OP_REPLY 2u

struct ib_arp_msg {
    uint16_t op;
    struct ib_mac sha, tha;
    ib_ip4 spa, tpa;
};

/* Returns 0 or a drop reason (hardware/protocol types other than
 * Ethernet/IPv4, wrong lengths, truncation). */
int ib_arp_parse(const uint8_t *b, size_t len, struct ib_arp_msg *m);
void ib_arp_emit(const struct ib_arp_msg *m, uint8_t *b);

enum ib_arp_state { IB_ARP_FREE, IB_ARP_INCOMPLETE, IB_ARP_REACHABLE };

struct ib_arp_entry {
    ib_ip4 ip;
    struct ib_mac mac;
    uint8_t state;
    uint8_t tries;  /* requests sent while INCOMPLETE */
    uint8_t qlen;
    ib_time expires; /* REACHABLE: when it expires; INCOMPLETE: next retry */
    struct ib_pkt *q; /* IPv4 packets waiting (data at IP header) */
};

struct ib_arp_config {
    ib_time timeout;       /* lifetime of a resolved entry */
    ib_time retry;         /* interval between requests */
    uint8_t max_tries;     /* requests before giving up */
    uint8_t max_queue;     /* packets held per unresolved entry */
    uint16_t max_entries;  /* cache size per interface */
};
extern const struct ib_arp_config ib_arp_defaults;

struct ib_arp_cache {
    struct ib_arp_entry *e; /* allocated on first use */
    uint16_t n, cap;
    struct ib_timer timer; /* earliest retry among INCOMPLETE entries */
};

struct ib_netif;
struct ib_stack;

void ib_arp_cache_init(struct ib_arp_cache *c);
void ib_arp_cache_destroy(struct ib_arp_cache *c);
/* ARP input (data at the ARP message). */
void ib_arp_input(struct ib_netif *nif, struct ib_pkt *p);
/* Sends IPv4 packet p (data at IP header) to next_hop on nif: at once if
 * the MAC is known, else queued while ARP resolves it. Consumes p. */
void ib_arp_output(struct ib_netif *nif, struct ib_pkt *p, ib_ip4 next_hop);
/* Gratuitous ARP announcing nif's address (RFC 5227 §2.3). */
void ib_arp_announce(struct ib_netif *nif);
/* Looks up a resolved entry; NULL if none. */
const struct ib_arp_entry *ib_arp_lookup(const struct ib_netif *nif, ib_ip4 ip);
/* Adds a permanent-until-timeout entry (tests, static neighbours). */
int ib_arp_set(struct ib_netif *nif, ib_ip4 ip, const struct ib_mac *mac);

#endif
