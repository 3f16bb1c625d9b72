/* The node keys that start software rather than wire a network: dns (the
 * stub resolver's servers), nat, and services (DHCP, DNS and HTTP
 * servers, a recursive resolver). Zones are master files written inline;
 * they are parsed here already, so that a mistake inside one is reported
 * at its line and column in the scenario file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inetbox/dns_server.h"
#include "inetbox/ipv4.h"
#include "sc_parse.h"

/* A list of up to max addresses. */
static int parse_addrs(struct sp *p, yaml_node_t *n, ib_ip4 *out, uint8_t max, uint8_t *count)
{
    if (n->type != YAML_SEQUENCE_NODE)
        return sc_expected(p, n, "a list of addresses such as [168.126.63.1]");
    size_t len = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (len == 0 || len > max)
        return sc_fail(p, sc_pos_of(n), "expected 1 to %u addresses", max);
    for (size_t i = 0; i < len; i++) {
        yaml_node_t *a = sc_take(p, n->data.sequence.items.start[i]);
        if (!a)
            return IB_ERR_INVAL;
        int err = sc_ip4(p, a, "an address such as 168.126.63.1", &out[i]);
        if (err)
            return err;
    }
    *count = (uint8_t)len;
    return 0;
}

int sc_parse_dns(struct sp *p, struct ib_sc_node *nd, yaml_node_t *v)
{
    return parse_addrs(p, v, nd->resolv, (uint8_t)IB_ARRAY_LEN(nd->resolv), &nd->n_resolv);
}

static uint32_t iface_index(const struct ib_sc_node *nd, const char *name)
{
    uint32_t i = 0;
    while (i < nd->n_ifaces && strcmp(nd->ifaces[i].name, name) != 0)
        i++;
    return i;
}

static int get_iface(struct sp *p, struct ib_sc_node *nd, yaml_node_t *n, uint32_t *out)
{
    *out = sc_is_text(n) ? iface_index(nd, sc_str(n)) : nd->n_ifaces;
    if (*out == nd->n_ifaces) {
        char what[IB_NAME_MAX + 48];
        snprintf(what, sizeof(what), "one of %s's interfaces", nd->name);
        return sc_expected(p, n, what);
    }
    return 0;
}

static int get_port(struct sp *p, yaml_node_t *n, uint16_t *out)
{
    uint64_t u;
    int err = sc_uint(p, n, 1, 65535, "a port from 1 to 65535", &u);
    *out = (uint16_t)u;
    return err;
}

static int parse_forward(struct sp *p, void *ctx, yaml_node_t *kn, yaml_node_t *vn)
{
    struct ib_sc_nat *nat = ctx;
    int err = sc_grow((void **)&nat->forwards, nat->n_forwards, sizeof(*nat->forwards));
    if (err)
        return err;
    struct ib_sc_forward *f = &nat->forwards[nat->n_forwards++];
    memset(f, 0, sizeof(*f));
    f->pos = sc_pos_of(vn);
    static const char *const keys[] = {"proto", "port", "to"};
    yaml_node_t *v[3];
    struct ib_sc_pos kp[3];
    err = sc_read_map(p, vn, "a port forward", keys, 3, "proto, port and to", v, kp, false);
    if (err)
        return err;
    if (!v[0] || !v[1] || !v[2])
        return sc_fail(p, f->pos, "a port forward needs proto:, port: and to:");
    if (sc_is_text(v[0]) && strcmp(sc_str(v[0]), "tcp") == 0)
        f->proto = IB_IPPROTO_TCP;
    else if (sc_is_text(v[0]) && strcmp(sc_str(v[0]), "udp") == 0)
        f->proto = IB_IPPROTO_UDP;
    else
        return sc_expected(p, v[0], "tcp or udp");
    if ((err = get_port(p, v[1], &f->port)))
        return err;
    char addr[IB_IP4_STRLEN + 8];
    const char *colon = sc_is_text(v[2]) ? strrchr(sc_str(v[2]), ':') : NULL;
    unsigned long port = colon ? strtoul(colon + 1, NULL, 10) : 0;
    size_t alen = colon ? (size_t)(colon - sc_str(v[2])) : 0;
    if (!colon || alen >= sizeof(addr) || port == 0 || port > 65535 ||
        strspn(colon + 1, "0123456789") != strlen(colon + 1))
        return sc_expected(p, v[2], "an inside address and port such as 192.168.0.10:80");
    memcpy(addr, sc_str(v[2]), alen);
    addr[alen] = '\0';
    if (ib_ip4_from_str(addr, &f->to, NULL) != 0)
        return sc_expected(p, v[2], "an inside address and port such as 192.168.0.10:80");
    f->to_port = (uint16_t)port;
    return 0;
}

int sc_parse_nat(struct sp *p, struct ib_sc_node *nd, yaml_node_t *v)
{
    static const char *const keys[] = {"outside", "forwards"};
    yaml_node_t *val[2];
    struct ib_sc_pos kp[2];
    struct ib_sc_nat *nat = &nd->nat;
    nat->pos = sc_pos_of(v);
    int err = sc_read_map(p, v, "nat", keys, 2, "outside and forwards", val, kp, false);
    if (err)
        return err;
    if (nd->kind != IB_NODE_ROUTER)
        return sc_fail(p, nat->pos, "nat: is for routers; %s is a host", nd->name);
    if (!val[0])
        return sc_fail(p, nat->pos, "nat needs outside: the interface toward the internet");
    if ((err = get_iface(p, nd, val[0], &nat->outside)))
        return err;
    nat->on = true;
    if (val[1])
        return sc_each(p, val[1], YAML_SEQUENCE_NODE,
                       "a list of forwards such as [{proto: tcp, port: 8080, to: "
                       "192.168.0.10:80}]",
                       parse_forward, nat);
    return 0;
}

/* "first-last", both addresses. */
static int get_pool(struct sp *p, yaml_node_t *n, ib_ip4 *first, ib_ip4 *last)
{
    const char *s = sc_is_text(n) ? sc_str(n) : "";
    const char *dash = strchr(s, '-');
    char a[IB_IP4_STRLEN + 1];
    size_t alen = dash ? (size_t)(dash - s) : 0;
    if (!dash || alen >= sizeof(a))
        return sc_expected(p, n, "an address range such as 192.168.0.100-192.168.0.199");
    memcpy(a, s, alen);
    a[alen] = '\0';
    if (ib_ip4_from_str(a, first, NULL) != 0 || ib_ip4_from_str(dash + 1, last, NULL) != 0 ||
        *last < *first)
        return sc_expected(p, n, "an address range such as 192.168.0.100-192.168.0.199");
    return 0;
}

static int parse_dhcp_server(struct sp *p, struct ib_sc_node *nd, yaml_node_t *v)
{
    static const char *const keys[] = {"interface", "pool", "router", "dns", "lease"};
    yaml_node_t *val[5];
    struct ib_sc_pos kp[5];
    struct ib_sc_dhcp_server *d = &nd->dhcp_server;
    d->pos = sc_pos_of(v);
    int err = sc_read_map(p, v, "dhcp-server", keys, 5, "interface, pool, router, dns and lease",
                          val, kp, false);
    if (err)
        return err;
    if (!val[0] || !val[1])
        return sc_fail(p, d->pos, "dhcp-server needs interface: and pool:");
    if ((err = get_iface(p, nd, val[0], &d->iface)) || (err = get_pool(p, val[1], &d->first, &d->last)))
        return err;
    if (val[2] && (err = sc_ip4(p, val[2], "the router's address such as 192.168.0.1", &d->router)))
        return err;
    if (val[3] && (err = parse_addrs(p, val[3], d->dns, 3, &d->n_dns)))
        return err;
    if (val[4]) {
        ib_time t;
        if ((err = sc_duration(p, val[4], &t)))
            return err;
        /* RFC 2132 §9.2: the lease is a 32-bit count of seconds. */
        if (t < IB_SEC(1) || t / IB_SEC(1) > UINT32_MAX - 1)
            return sc_expected(p, val[4], "a lease from 1s to 136 years");
        d->lease_s = (uint32_t)(t / IB_SEC(1));
    }
    d->on = true;
    return 0;
}

/* Where line `line` (from 1) of a block scalar starting at `at` is in the
 * file, and how far its text is indented. */
static struct ib_sc_pos block_pos(const struct sp *p, const yaml_node_t *n, uint32_t line,
                                  uint32_t col)
{
    struct ib_sc_pos at = sc_pos_of(n);
    if (n->data.scalar.style != YAML_LITERAL_SCALAR_STYLE &&
        n->data.scalar.style != YAML_FOLDED_SCALAR_STYLE)
        return at;
    /* The content starts on the line after the '|' indicator. */
    uint32_t want = at.line + line;
    size_t i = 0;
    for (uint32_t l = 1; l < want && i < p->len; i++)
        if (p->text[i] == '\n')
            l++;
    uint32_t indent = 0;
    while (i + indent < p->len && p->text[i + indent] == ' ')
        indent++;
    return (struct ib_sc_pos){want, indent + col};
}

static int parse_zone(struct sp *p, void *ctx, yaml_node_t *kn, yaml_node_t *vn)
{
    struct ib_sc_dns_server *ds = ctx;
    int err = sc_grow((void **)&ds->zones, ds->n_zones, sizeof(*ds->zones));
    if (err)
        return err;
    struct ib_sc_zone *z = &ds->zones[ds->n_zones++];
    memset(z, 0, sizeof(*z));
    z->pos = sc_pos_of(vn);
    static const char *const keys[] = {"origin", "records"};
    yaml_node_t *v[2];
    struct ib_sc_pos kp[2];
    err = sc_read_map(p, vn, "a zone", keys, 2, "origin and records", v, kp, false);
    if (err)
        return err;
    if (!v[0] || !v[1])
        return sc_fail(p, z->pos, "a zone needs origin: and records: (a master file, RFC 1035 §5)");
    if (!sc_is_text(v[0]) || v[0]->data.scalar.length >= sizeof(z->origin))
        return sc_expected(p, v[0], "a zone name such as google.com. or \".\"");
    strcpy(z->origin, sc_str(v[0]));
    if (!sc_is_text(v[1]))
        return sc_expected(p, v[1], "the zone's records as master-file text");
    z->len = v[1]->data.scalar.length;
    z->text = malloc(z->len + 1);
    if (!z->text)
        return IB_ERR_NOMEM;
    memcpy(z->text, sc_str(v[1]), z->len + 1);
    struct ib_dns_zone *parsed = NULL;
    char zerr[IB_SC_ERR_MAX];
    err = ib_dns_zone_parse(&parsed, "zone", z->text, z->len, z->origin, zerr, sizeof(zerr));
    ib_dns_zone_free(parsed);
    if (err == IB_ERR_NOMEM)
        return err;
    if (err) {
        unsigned line = 0, col = 0;
        int off = 0;
        if (sscanf(zerr, "zone:%u:%u: %n", &line, &col, &off) < 2 || off == 0)
            return sc_fail(p, sc_pos_of(v[1]), "%s", zerr);
        return sc_fail(p, block_pos(p, v[1], line, col), "%s", zerr + off);
    }
    return 0;
}

static int parse_dns_server(struct sp *p, struct ib_sc_node *nd, yaml_node_t *v)
{
    static const char *const keys[] = {"zones"};
    yaml_node_t *val[1];
    struct ib_sc_pos kp[1];
    struct ib_sc_dns_server *ds = &nd->dns_server;
    ds->pos = sc_pos_of(v);
    int err = sc_read_map(p, v, "dns-server", keys, 1, "zones", val, kp, false);
    if (err)
        return err;
    if (!val[0])
        return sc_fail(p, ds->pos, "dns-server needs zones:");
    ds->on = true;
    return sc_each(p, val[0], YAML_SEQUENCE_NODE, "a list of zones", parse_zone, ds);
}

static int parse_hint(struct sp *p, void *ctx, yaml_node_t *kn, yaml_node_t *vn)
{
    struct ib_sc_resolver *r = ctx;
    int err = sc_grow((void **)&r->hints, r->n_hints, sizeof(*r->hints));
    if (err)
        return err;
    struct ib_sc_hint *h = &r->hints[r->n_hints++];
    memset(h, 0, sizeof(*h));
    static const char *const keys[] = {"name", "address"};
    yaml_node_t *v[2];
    struct ib_sc_pos kp[2];
    err = sc_read_map(p, vn, "a root hint", keys, 2, "name and address", v, kp, false);
    if (err)
        return err;
    if (!v[0] || !v[1])
        return sc_fail(p, sc_pos_of(vn), "a root hint needs name: and address:");
    if (!sc_is_text(v[0]) || v[0]->data.scalar.length == 0 ||
        v[0]->data.scalar.length >= sizeof(h->name))
        return sc_expected(p, v[0], "a server name such as a.root-servers.net");
    strcpy(h->name, sc_str(v[0]));
    return sc_ip4(p, v[1], "an address such as 198.41.0.4", &h->addr);
}

static int parse_resolver(struct sp *p, struct ib_sc_node *nd, yaml_node_t *v)
{
    static const char *const keys[] = {"root-hints"};
    yaml_node_t *val[1];
    struct ib_sc_pos kp[1];
    struct ib_sc_resolver *r = &nd->resolver;
    r->pos = sc_pos_of(v);
    int err = sc_read_map(p, v, "dns-resolver", keys, 1, "root-hints", val, kp, false);
    if (err)
        return err;
    if (!val[0])
        return sc_fail(p, r->pos, "dns-resolver needs root-hints: where iteration starts");
    r->on = true;
    return sc_each(p, val[0], YAML_SEQUENCE_NODE,
                   "a list of root servers such as [{name: a.root-servers.net, address: "
                   "198.41.0.4}]",
                   parse_hint, r);
}

static int parse_file(struct sp *p, void *ctx, yaml_node_t *kn, yaml_node_t *vn)
{
    struct ib_sc_http_server *h = ctx;
    int err = sc_grow((void **)&h->files, h->n_files, sizeof(*h->files));
    if (err)
        return err;
    struct ib_sc_http_file *f = &h->files[h->n_files++];
    memset(f, 0, sizeof(*f));
    static const char *const keys[] = {"path", "type", "body"};
    yaml_node_t *v[3];
    struct ib_sc_pos kp[3];
    err = sc_read_map(p, vn, "a file", keys, 3, "path, type and body", v, kp, false);
    if (err)
        return err;
    if (!v[0] || !v[2])
        return sc_fail(p, sc_pos_of(vn), "a file needs path: and body:");
    if (!sc_is_text(v[0]) || sc_str(v[0])[0] != '/' || v[0]->data.scalar.length >= sizeof(f->path))
        return sc_expected(p, v[0], "a path starting with / such as /index.html");
    strcpy(f->path, sc_str(v[0]));
    for (uint32_t i = 0; i + 1 < h->n_files; i++)
        if (strcmp(h->files[i].path, f->path) == 0)
            return sc_fail(p, sc_pos_of(v[0]), "duplicate path \"%s\"", f->path);
    if (v[1] && (!sc_is_text(v[1]) || v[1]->data.scalar.length >= sizeof(f->type)))
        return sc_expected(p, v[1], "a media type such as text/html");
    strcpy(f->type, v[1] ? sc_str(v[1]) : "text/html; charset=utf-8");
    if (v[2]->type != YAML_SCALAR_NODE)
        return sc_expected(p, v[2], "the file's content as text");
    f->len = v[2]->data.scalar.length;
    f->body = malloc(f->len + 1);
    if (!f->body)
        return IB_ERR_NOMEM;
    memcpy(f->body, v[2]->data.scalar.value, f->len + 1);
    return 0;
}

static int parse_http_server(struct sp *p, struct ib_sc_node *nd, yaml_node_t *v)
{
    static const char *const keys[] = {"port", "files"};
    yaml_node_t *val[2];
    struct ib_sc_pos kp[2];
    struct ib_sc_http_server *h = &nd->http_server;
    h->pos = sc_pos_of(v);
    h->port = 80;
    int err = sc_read_map(p, v, "http-server", keys, 2, "port and files", val, kp, false);
    if (err)
        return err;
    if (val[0] && (err = get_port(p, val[0], &h->port)))
        return err;
    h->on = true;
    if (val[1])
        return sc_each(p, val[1], YAML_SEQUENCE_NODE, "a list of files", parse_file, h);
    return 0;
}

int sc_parse_services(struct sp *p, struct ib_sc_node *nd, yaml_node_t *v)
{
    static const char *const keys[] = {"dhcp-server", "dns-server", "dns-resolver", "http-server"};
    yaml_node_t *val[4];
    struct ib_sc_pos kp[4];
    int err = sc_read_map(p, v, "services", keys, 4,
                          "dhcp-server, dns-server, dns-resolver and http-server", val, kp, false);
    if (err)
        return err;
    if (val[1] && val[2])
        return sc_fail(p, kp[2], "a node runs dns-server or dns-resolver, not both (both want port 53)");
    if ((val[0] && (err = parse_dhcp_server(p, nd, val[0]))) ||
        (val[1] && (err = parse_dns_server(p, nd, val[1]))) ||
        (val[2] && (err = parse_resolver(p, nd, val[2]))) ||
        (val[3] && (err = parse_http_server(p, nd, val[3]))))
        return err;
    return 0;
}

/* Checks that need the node's interfaces all read. */
int sc_check_services(struct sp *p, struct ib_sc_node *nd)
{
    struct ib_sc_dhcp_server *d = &nd->dhcp_server;
    if (d->on) {
        const struct ib_sc_iface *f = &nd->ifaces[d->iface];
        if (!f->has_addr)
            return sc_fail(p, d->pos, "the DHCP server's interface %s needs an address:", f->name);
        if (!sc_same_net(d->first, f->addr, f->plen) || !sc_same_net(d->last, f->addr, f->plen))
            return sc_fail(p, d->pos, "the pool must lie in %s's network", f->name);
    }
    if (nd->nat.on) {
        const struct ib_sc_iface *f = &nd->ifaces[nd->nat.outside];
        if (!f->has_addr && !f->dhcp)
            return sc_fail(p, nd->nat.pos, "the NAT's outside interface %s needs an address", f->name);
    }
    return 0;
}

void sc_free_services(struct ib_sc_node *nd)
{
    for (uint32_t i = 0; i < nd->dns_server.n_zones; i++)
        free(nd->dns_server.zones[i].text);
    free(nd->dns_server.zones);
    for (uint32_t i = 0; i < nd->http_server.n_files; i++)
        free(nd->http_server.files[i].body);
    free(nd->http_server.files);
    free(nd->resolver.hints);
    free(nd->nat.forwards);
}
