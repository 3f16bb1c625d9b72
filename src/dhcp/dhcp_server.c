/* DHCP server (RFC 2131 §4.3) for the network of one interface, options
 * from RFC 2132. The pool is an array with one slot per address; a slot
 * remembers the last client that held it, so a returning client gets its
 * previous address back (§4.3.1). Offers and leases expire lazily: a slot
 * whose time has passed is simply free again, so the server keeps no
 * timer. Relay agents (giaddr) are not supported. */
#include <stdlib.h>

#include "dhcp_app.h"

enum slot_state {
    SLOT_FREE,
    SLOT_OFFERED,  /* reserved by an OFFER until expires */
    SLOT_BOUND,    /* leased until expires */
    SLOT_DECLINED, /* a client found it in use (§4.3.3) */
    SLOT_RESERVED, /* the server's, the router's, a DNS server's, ... */
};

struct slot {
    struct ib_mac mac; /* the client holding it, or the last one, if known */
    bool known;
    uint8_t state;
    ib_time expires;
};

struct ib_dhcp_server {
    struct ib_stack *s;
    struct ib_netif *nif;
    struct ib_dhcp_server_config cfg;
    struct ib_udp_pcb pcb;
    uint32_t n;
    struct slot *slot; /* slot[i] is cfg.pool_first + i */
};

static ib_time now_of(const struct ib_dhcp_server *d)
{
    return ib_now(d->s->node.env);
}

static ib_ip4 slot_addr(const struct ib_dhcp_server *d, const struct slot *sl)
{
    return d->cfg.pool_first + (ib_ip4)(sl - d->slot);
}

static struct slot *slot_of(const struct ib_dhcp_server *d, ib_ip4 a)
{
    if (a < d->cfg.pool_first || a > d->cfg.pool_last) return NULL;
    return &d->slot[a - d->cfg.pool_first];
}

/* Offered or leased, and not expired. */
static bool slot_live(const struct slot *sl, ib_time now)
{
    return (sl->state == SLOT_OFFERED || sl->state == SLOT_BOUND) && sl->expires > now;
}

static bool slot_is(const struct slot *sl, const struct ib_mac *mac)
{
    return sl->known && ib_mac_eq(&sl->mac, mac);
}

/* Whether mac may have this address: it is in service and nobody else
 * holds it now. */
static bool slot_usable(const struct slot *sl, const struct ib_mac *mac, ib_time now)
{
    if (sl->state == SLOT_DECLINED || sl->state == SLOT_RESERVED) return false;
    return !slot_live(sl, now) || slot_is(sl, mac);
}

/* The slot recorded for mac: the one it holds now, else the one it held
 * last (NULL if none). */
static struct slot *client_slot(const struct ib_dhcp_server *d, const struct ib_mac *mac)
{
    ib_time now = now_of(d);
    struct slot *prev = NULL;
    for (uint32_t i = 0; i < d->n; i++) {
        struct slot *sl = &d->slot[i];
        if (!slot_is(sl, mac)) continue;
        if (slot_live(sl, now)) return sl;
        if (!prev) prev = sl;
    }
    return prev;
}

/* RFC 2131 §4.3.1: the address to offer, in the order the RFC gives. */
static struct slot *choose(const struct ib_dhcp_server *d, const struct ib_dhcp_msg *m,
                           const struct ib_mac *mac)
{
    ib_time now = now_of(d);
    /* "The client's current address as recorded in the client's current
     * binding, ELSE the client's previous address as recorded in the
     * client's (now expired or released) binding, if that address is in
     * the server's pool of available addresses and not already allocated" */
    struct slot *sl = client_slot(d, mac);
    if (sl && slot_usable(sl, mac, now)) return sl;
    /* "ELSE the address requested in the 'Requested IP Address' option, if
     * that address is valid and not already allocated" */
    if (ib_dhcp_has(m, IB_DHCP_OPT_REQUESTED_IP)) {
        sl = slot_of(d, m->requested_ip);
        if (sl && slot_usable(sl, mac, now)) return sl;
    }
    /* "ELSE a new address allocated from the server's pool": the lowest
     * one no client has had, else the lowest free one, so that addresses
     * stay with their last clients as long as the pool allows. */
    struct slot *reused = NULL;
    for (uint32_t i = 0; i < d->n; i++) {
        sl = &d->slot[i];
        if (!slot_usable(sl, mac, now)) continue;
        if (!sl->known) return sl;
        if (!reused) reused = sl;
    }
    return reused;
}

/* Gives sl to mac until `until`; the client's other records are forgotten
 * so that each client has one. */
static void hold(struct ib_dhcp_server *d, struct slot *sl, const struct ib_mac *mac, uint8_t state,
                 ib_time until)
{
    for (uint32_t i = 0; i < d->n; i++) {
        struct slot *o = &d->slot[i];
        if (o != sl && slot_is(o, mac)) {
            o->known = false;
            if (o->state == SLOT_OFFERED || o->state == SLOT_BOUND) o->state = SLOT_FREE;
        }
    }
    sl->mac = *mac;
    sl->known = true;
    sl->state = state;
    sl->expires = until;
}

static uint32_t lease_s(const struct ib_dhcp_server *d)
{
    return d->cfg.lease_s ? d->cfg.lease_s : IB_DHCP_DEFAULT_LEASE_S;
}

/* RFC 2131 §4.3.1 table 3: the fields every reply copies from the request,
 * and the server identifier every reply carries. */
static void reply_init(const struct ib_dhcp_server *d, const struct ib_dhcp_msg *req,
                       struct ib_dhcp_msg *r, uint8_t type)
{
    memset(r, 0, sizeof(*r));
    r->op = IB_BOOTREPLY;
    r->htype = req->htype;
    r->hlen = req->hlen;
    r->xid = req->xid;
    r->flags = req->flags;
    r->giaddr = req->giaddr;
    memcpy(r->chaddr, req->chaddr, sizeof(r->chaddr));
    r->type = type;
    r->server_id = d->nif->addr;
    r->has = 1ull << IB_DHCP_OPT_MSG_TYPE | 1ull << IB_DHCP_OPT_SERVER_ID;
}

/* The configuration handed out: subnet mask (RFC 2132 §3.3), router
 * (§3.5), DNS servers (§3.8) and, with a lease, its time (§9.2) and T1/T2
 * at the RFC 2131 §4.4.5 defaults of 0.5 and 0.875 of it (§9.11, §9.12). */
static void reply_params(const struct ib_dhcp_server *d, struct ib_dhcp_msg *r, bool lease)
{
    r->subnet_mask = ib_ip4_mask(d->nif->plen);
    r->has |= 1ull << IB_DHCP_OPT_SUBNET_MASK;
    if (d->cfg.router) {
        r->routers[0] = d->cfg.router;
        r->n_routers = 1;
        r->has |= 1ull << IB_DHCP_OPT_ROUTER;
    }
    if (d->cfg.n_dns) {
        memcpy(r->dns, d->cfg.dns, d->cfg.n_dns * sizeof(r->dns[0]));
        r->n_dns = d->cfg.n_dns;
        r->has |= 1ull << IB_DHCP_OPT_DNS;
    }
    if (!lease) return;
    uint32_t l = lease_s(d);
    r->lease_time = l;
    r->has |= 1ull << IB_DHCP_OPT_LEASE_TIME;
    if (l != UINT32_MAX) { /* RFC 2131 §3.3: all ones is an infinite lease */
        r->t1 = l / 2;
        r->t2 = (uint32_t)((uint64_t)l * 7 / 8);
        r->has |= 1ull << IB_DHCP_OPT_RENEWAL_T1 | 1ull << IB_DHCP_OPT_REBINDING_T2;
    }
}

/* RFC 2131 §4.1 with giaddr zero: a NAK is broadcast; with ciaddr set the
 * client has an address and gets a unicast; otherwise the reply is
 * broadcast ("If unicasting is not possible, the message MAY be sent as
 * an IP broadcast"): a client without an address could only take a
 * unicast if we wrote its MAC into our ARP cache, which we do not. */
static void reply_send(struct ib_dhcp_server *d, const struct ib_dhcp_msg *r)
{
    ib_ip4 dst = r->type != IB_DHCPNAK && r->ciaddr ? r->ciaddr : IB_IP4_BROADCAST;
    ib_dhcp_app_send(&d->pcb, r, dst, IB_DHCP_CLIENT_PORT);
}

static void send_nak(struct ib_dhcp_server *d, const struct ib_dhcp_msg *req, const char *why)
{
    struct ib_dhcp_msg r;
    reply_init(d, req, &r, IB_DHCPNAK);
    /* RFC 2131 §4.3.2: the server MAY add a message option saying why. */
    r.message_len = (uint8_t)strlen(why);
    memcpy(r.message, why, r.message_len);
    r.has |= 1ull << IB_DHCP_OPT_MESSAGE;
    reply_send(d, &r);
}

static void send_ack(struct ib_dhcp_server *d, const struct ib_dhcp_msg *req, struct slot *sl,
                     const struct ib_mac *mac)
{
    uint32_t l = lease_s(d);
    ib_time until = l == UINT32_MAX ? IB_TIME_NEVER : now_of(d) + IB_SEC(l);
    hold(d, sl, mac, SLOT_BOUND, until);
    struct ib_dhcp_msg r;
    reply_init(d, req, &r, IB_DHCPACK);
    r.ciaddr = req->ciaddr;
    r.yiaddr = slot_addr(d, sl);
    reply_params(d, &r, true);
    reply_send(d, &r);
}

static void on_discover(struct ib_dhcp_server *d, const struct ib_dhcp_msg *m,
                        const struct ib_mac *mac)
{
    struct slot *sl = choose(d, m, mac);
    if (!sl) return; /* pool exhausted: RFC 2131 §4.3.1 leaves the client unanswered */
    ib_time now = now_of(d);
    /* An OFFER reserves the address a while; a lease it already holds
     * stays as it is. */
    if (!(sl->state == SLOT_BOUND && slot_live(sl, now)))
        hold(d, sl, mac, SLOT_OFFERED, now + IB_DHCP_OFFER_HOLD);
    struct ib_dhcp_msg r;
    reply_init(d, m, &r, IB_DHCPOFFER);
    r.yiaddr = slot_addr(d, sl);
    reply_params(d, &r, true);
    reply_send(d, &r);
}

/* RFC 2131 §4.3.2: a REQUEST means something different in each client
 * state, told apart by the server identifier, requested address and
 * ciaddr. */
static void on_request(struct ib_dhcp_server *d, const struct ib_dhcp_msg *m,
                       const struct ib_mac *mac)
{
    ib_time now = now_of(d);
    bool has_req = ib_dhcp_has(m, IB_DHCP_OPT_REQUESTED_IP);
    if (ib_dhcp_has(m, IB_DHCP_OPT_SERVER_ID)) {
        /* SELECTING. RFC 2131 §3.1 step 3: "Servers not selected by the
         * DHCPREQUEST message use the message as notification that the
         * client has declined that server's offer." */
        if (m->server_id != d->nif->addr) {
            struct slot *sl = client_slot(d, mac);
            if (sl && sl->state == SLOT_OFFERED) sl->state = SLOT_FREE;
            return;
        }
        /* "'requested IP address' MUST be filled in with the yiaddr value
         * from the chosen DHCPOFFER": anything else was not offered. */
        struct slot *sl = has_req ? slot_of(d, m->requested_ip) : NULL;
        if (sl && slot_is(sl, mac) && (sl->state == SLOT_OFFERED || sl->state == SLOT_BOUND))
            send_ack(d, m, sl, mac);
        else
            send_nak(d, m, "address not offered");
        return;
    }
    if (has_req && !m->ciaddr) {
        /* INIT-REBOOT: "Server SHOULD send a DHCPNAK message to the client
         * if the 'requested IP address' is incorrect, or is on the wrong
         * network. [...] If the DHCP server has no record of this client,
         * then it MUST remain silent". */
        if (!ib_netif_on_link(d->nif, m->requested_ip)) {
            send_nak(d, m, "wrong network");
            return;
        }
        struct slot *sl = client_slot(d, mac);
        if (!sl) return;
        if (slot_addr(d, sl) == m->requested_ip && slot_usable(sl, mac, now))
            send_ack(d, m, sl, mac);
        else
            send_nak(d, m, "address not yours");
        return;
    }
    /* RENEWING or REBINDING (ciaddr set, see table_ok): "the server should
     * return a DHCPACK" extending the lease when the address is still the
     * client's to have; one in another network or another client's is
     * refused. */
    struct slot *sl = slot_of(d, m->ciaddr);
    if (sl && slot_usable(sl, mac, now))
        send_ack(d, m, sl, mac);
    else
        send_nak(d, m, "address not yours");
}

/* RFC 2131 §4.3.3: "the server MUST mark the network address as not
 * available". */
static void on_decline(struct ib_dhcp_server *d, const struct ib_dhcp_msg *m,
                       const struct ib_mac *mac)
{
    struct slot *sl = slot_of(d, m->requested_ip);
    if (m->server_id != d->nif->addr || !sl || !slot_usable(sl, mac, now_of(d))) return;
    sl->state = SLOT_DECLINED;
    sl->known = false;
}

/* RFC 2131 §4.3.4: "the server marks the network address as not
 * allocated", remembering the client for its next DISCOVER. */
static void on_release(struct ib_dhcp_server *d, const struct ib_dhcp_msg *m,
                       const struct ib_mac *mac)
{
    struct slot *sl = slot_of(d, m->ciaddr);
    if (m->server_id != d->nif->addr || !sl || !slot_is(sl, mac) ||
        (sl->state != SLOT_OFFERED && sl->state != SLOT_BOUND))
        return;
    sl->state = SLOT_FREE;
}

/* RFC 2131 §4.3.5: a client configured otherwise asks for parameters; the
 * ACK carries no lease and no yiaddr, and goes to ciaddr. */
static void on_inform(struct ib_dhcp_server *d, const struct ib_dhcp_msg *m)
{
    struct ib_dhcp_msg r;
    reply_init(d, m, &r, IB_DHCPACK);
    r.ciaddr = m->ciaddr;
    reply_params(d, &r, false);
    reply_send(d, &r);
}

/* RFC 2131 §4.4.1 table 5: what each client message MUST carry, as far as
 * the server relies on it. A REQUEST with neither server identifier,
 * requested address nor ciaddr belongs to no client state. */
static bool table_ok(const struct ib_dhcp_msg *m)
{
    bool sid = ib_dhcp_has(m, IB_DHCP_OPT_SERVER_ID);
    bool req = ib_dhcp_has(m, IB_DHCP_OPT_REQUESTED_IP);
    switch (m->type) {
    case IB_DHCPDISCOVER:
        return true;
    case IB_DHCPREQUEST:
        return sid || req || m->ciaddr;
    case IB_DHCPDECLINE:
        return sid && req;
    case IB_DHCPRELEASE:
        return sid && m->ciaddr;
    case IB_DHCPINFORM:
        return m->ciaddr != 0;
    default:
        return false;
    }
}

static void server_recv(struct ib_udp_pcb *u, ib_ip4 src, uint16_t sport, struct ib_pkt *p)
{
    struct ib_dhcp_server *d = u->arg;
    struct ib_stack *s = d->s;
    struct ib_dhcp_msg m;
    (void)src;
    (void)sport;
    if (!ib_dhcp_app_parse(s, d->nif, p, &m)) return;
    /* Only DHCP requests (RFC 2131 §2: op BOOTREQUEST; option 53, §3)
     * from Ethernet clients (htype 1, RFC 1700), sent on this link. */
    if (m.op != IB_BOOTREQUEST || m.type == IB_DHCP_NONE || m.htype != 1 || m.hlen != 6 ||
        m.giaddr) {
        ib_drop(&s->node, d->nif, p, IB_DROP_DHCP_IGNORED);
        return;
    }
    if (!table_ok(&m)) {
        ib_drop(&s->node, d->nif, p, IB_DROP_DHCP_MALFORMED);
        return;
    }
    ib_dhcp_app_event(s, d->nif, IB_DHCP_RX, &m, p);
    ib_pkt_free(p);
    struct ib_mac mac;
    memcpy(mac.b, m.chaddr, sizeof(mac.b));
    switch (m.type) {
    case IB_DHCPDISCOVER:
        on_discover(d, &m, &mac);
        break;
    case IB_DHCPREQUEST:
        on_request(d, &m, &mac);
        break;
    case IB_DHCPDECLINE:
        on_decline(d, &m, &mac);
        break;
    case IB_DHCPRELEASE:
        on_release(d, &m, &mac);
        break;
    case IB_DHCPINFORM:
        on_inform(d, &m);
        break;
    }
}

static bool config_ok(const struct ib_netif *nif, const struct ib_dhcp_server_config *cfg)
{
    return nif->addr && cfg->pool_first <= cfg->pool_last &&
           cfg->pool_last - cfg->pool_first < IB_DHCP_MAX_POOL &&
           ib_netif_on_link(nif, cfg->pool_first) && ib_netif_on_link(nif, cfg->pool_last) &&
           cfg->n_dns <= IB_ARRAY_LEN(cfg->dns);
}

static void reserve(struct ib_dhcp_server *d, ib_ip4 a)
{
    struct slot *sl = slot_of(d, a);
    if (sl) sl->state = SLOT_RESERVED;
}

struct ib_dhcp_server *ib_dhcp_server_start(struct ib_stack *s, struct ib_netif *nif,
                                            const struct ib_dhcp_server_config *cfg)
{
    if (!cfg || nif->node != &s->node || !config_ok(nif, cfg)) return NULL;
    struct ib_dhcp_server *d = calloc(1, sizeof(*d));
    if (!d) return NULL;
    d->s = s;
    d->nif = nif;
    d->cfg = *cfg;
    d->n = cfg->pool_last - cfg->pool_first + 1;
    d->slot = calloc(d->n, sizeof(*d->slot));
    if (!d->slot || ib_udp_bind_netif(s, &d->pcb, nif, IB_DHCP_SERVER_PORT) != 0) {
        free(d->slot);
        free(d);
        return NULL;
    }
    d->pcb.recv = server_recv;
    d->pcb.arg = d;
    /* Addresses in use by the network itself (RFC 1122 §3.2.1.3: the
     * all-zeros and all-ones host parts are never a host's). */
    ib_ip4 net = nif->addr & ib_ip4_mask(nif->plen);
    if (nif->plen < 31) {
        reserve(d, net);
        reserve(d, ib_netif_broadcast(nif));
    }
    reserve(d, nif->addr);
    reserve(d, cfg->router);
    for (unsigned i = 0; i < cfg->n_dns; i++)
        reserve(d, cfg->dns[i]);
    return d;
}

void ib_dhcp_server_stop(struct ib_dhcp_server *d)
{
    if (!d) return;
    ib_udp_close(&d->pcb);
    free(d->slot);
    free(d);
}

size_t ib_dhcp_server_bindings(const struct ib_dhcp_server *d, struct ib_dhcp_binding *out,
                               size_t max)
{
    ib_time now = now_of(d);
    size_t n = 0;
    for (uint32_t i = 0; i < d->n; i++) {
        const struct slot *sl = &d->slot[i];
        if (!slot_live(sl, now)) continue;
        if (n < max) {
            out[n].chaddr = sl->mac;
            out[n].addr = slot_addr(d, sl);
            out[n].expires = sl->expires;
            out[n].offered_only = sl->state == SLOT_OFFERED;
        }
        n++;
    }
    return n;
}
