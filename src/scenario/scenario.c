/* Scenario files, from YAML text to a checked struct ib_scenario.
 *
 * libyaml loads the text into a node tree (each node keeps the mark where
 * it starts); we walk that tree along the schema of docs/scenario.md. Every
 * mapping is read by one function that rejects unknown and repeated keys,
 * so nothing in a file is silently ignored. A node of the tree reached twice
 * came through a YAML alias: aliases are refused, which also stops a small
 * file from expanding into a huge scenario ("billion laughs"). Checks that
 * need the whole file (endpoints naming nodes, gateways on a network of
 * the node) run once every node has been read. */
#include "inetbox/scenario.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define SC_FILE_MAX (16u << 20)
#define SC_QUEUE_MAX 1000000u
/* RFC 791: every internet module must handle 68-byte datagrams; Ethernet
 * carries at most 1500 (RFC 894). */
#define SC_MTU_MIN 68u
#define SC_MTU_MAX 1500u

struct sp {
    struct ib_scenario *sc;
    yaml_document_t *doc;
    bool *seen; /* by node id - 1 */
    char *err;
    size_t errlen;
};

static struct ib_sc_pos pos_of(const yaml_node_t *n)
{
    return (struct ib_sc_pos){(uint32_t)n->start_mark.line + 1, (uint32_t)n->start_mark.column + 1};
}

static int fail_at(struct sp *p, struct ib_sc_pos at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_at(struct sp *p, struct ib_sc_pos at, const char *fmt, ...)
{
    if (p->errlen == 0)
        return IB_ERR_INVAL;
    int n = snprintf(p->err, p->errlen, "%s:%u:%u: ", p->sc->file, at.line, at.col);
    if (n >= 0 && (size_t)n < p->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return IB_ERR_INVAL;
}

static const char *str_of(const yaml_node_t *n) { return (const char *)n->data.scalar.value; }

/* A scalar with no NUL inside, so that C string functions see all of it. */
static bool is_text(const yaml_node_t *n)
{
    return n->type == YAML_SCALAR_NODE && strlen(str_of(n)) == n->data.scalar.length;
}

/* How a value is shown after "got": quoted and escaped, cut if long. */
static const char *shown(const yaml_node_t *n, char *buf, size_t cap)
{
    if (n->type == YAML_MAPPING_NODE)
        return "a mapping";
    if (n->type == YAML_SEQUENCE_NODE)
        return "a list";
    const unsigned char *s = n->data.scalar.value;
    size_t len = n->data.scalar.length, o = 0;
    if (len == 0)
        return "nothing";
    buf[o++] = '"';
    for (size_t i = 0; i < len && o + 8 < cap; i++) {
        if (i == 40) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        if (s[i] < 0x20 || s[i] == 0x7f || s[i] == '"' || s[i] == '\\')
            o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", s[i]);
        else
            buf[o++] = (char)s[i];
    }
    buf[o++] = '"';
    buf[o] = '\0';
    return buf;
}

static int expected(struct sp *p, const yaml_node_t *n, const char *what)
{
    char buf[80];
    return fail_at(p, pos_of(n), "expected %s, got %s", what, shown(n, buf, sizeof(buf)));
}

/* Each tree node may be reached once; a second time means an alias. */
static yaml_node_t *take(struct sp *p, int id)
{
    yaml_node_t *n = yaml_document_get_node(p->doc, id);
    if (!n || p->seen[id - 1]) {
        if (n)
            fail_at(p, pos_of(n), "this value is reached through an alias; aliases are not supported");
        return NULL;
    }
    p->seen[id - 1] = true;
    return n;
}

static int grow(void **arr, uint32_t n, size_t elem)
{
    /* Capacities are powers of two, so growth is decided from n alone. */
    if (n != 0 && (n < 4 || (n & (n - 1)) != 0))
        return 0;
    size_t cap = n ? (size_t)n * 2 : 4;
    void *a = realloc(*arr, cap * elem);
    if (!a)
        return IB_ERR_NOMEM;
    *arr = a;
    return 0;
}

/* Calls fn on each entry of a mapping (key and value) or of a list (key
 * NULL), after checking n is of that type. */
typedef int (*entry_fn)(struct sp *p, void *ctx, yaml_node_t *k, yaml_node_t *v);
static int each(struct sp *p, yaml_node_t *n, yaml_node_type_t type, const char *what,
                entry_fn fn, void *ctx)
{
    if (n->type != type)
        return expected(p, n, what);
    bool map = type == YAML_MAPPING_NODE;
    size_t len = map ? (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start)
                     : (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    for (size_t i = 0; i < len; i++) {
        yaml_node_t *k = map ? take(p, n->data.mapping.pairs.start[i].key) : NULL;
        if (map && !k)
            return IB_ERR_INVAL;
        yaml_node_t *v = take(p, map ? n->data.mapping.pairs.start[i].value
                                     : n->data.sequence.items.start[i]);
        if (!v)
            return IB_ERR_INVAL;
        int err = fn(p, ctx, k, v);
        if (err)
            return err;
    }
    return 0;
}

/* Reads a mapping whose keys must come from keys[0..nkeys): vals[i] gets
 * the value of keys[i] (NULL if absent), kpos[i] where its key is. A value
 * that is an empty scalar (`eth0:`) counts as an empty mapping when
 * allow_empty. */
static int read_map(struct sp *p, yaml_node_t *map, const char *what, const char *const *keys,
                    size_t nkeys, const char *list, yaml_node_t **vals, struct ib_sc_pos *kpos,
                    bool allow_empty)
{
    for (size_t i = 0; i < nkeys; i++)
        vals[i] = NULL;
    if (allow_empty && map->type == YAML_SCALAR_NODE && map->data.scalar.length == 0)
        return 0;
    if (map->type != YAML_MAPPING_NODE) {
        char buf[128];
        snprintf(buf, sizeof(buf), "%s: a mapping of %s", what, list);
        return expected(p, map, buf);
    }
    for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top;
         pr++) {
        yaml_node_t *k = take(p, pr->key);
        if (!k)
            return IB_ERR_INVAL;
        size_t i = 0;
        while (i < nkeys && !(is_text(k) && strcmp(str_of(k), keys[i]) == 0))
            i++;
        if (i == nkeys) {
            char buf[80];
            return fail_at(p, pos_of(k), "unknown key %s in %s; expected %s", shown(k, buf, sizeof(buf)),
                           what, list);
        }
        if (vals[i])
            return fail_at(p, pos_of(k), "duplicate key \"%s\" (first at %u:%u)", keys[i],
                           kpos[i].line, kpos[i].col);
        kpos[i] = pos_of(k);
        vals[i] = take(p, pr->value);
        if (!vals[i])
            return IB_ERR_INVAL;
    }
    return 0;
}

struct unit {
    const char *name;
    uint64_t mult;
};

/* "12", "1.5" followed by one of the units: the value in the smallest
 * unit, rounded down. false if malformed or above max. */
static bool parse_scaled(const char *s, const struct unit *units, uint64_t max, uint64_t *out)
{
    uint64_t ip = 0, frac = 0, fscale = 1;
    const char *c = s;
    if (*c < '0' || *c > '9')
        return false;
    for (; *c >= '0' && *c <= '9'; c++) {
        uint64_t d = (uint64_t)(*c - '0');
        if (ip > UINT64_MAX / 10 || (ip == UINT64_MAX / 10 && d > UINT64_MAX % 10))
            return false;
        ip = ip * 10 + d;
    }
    if (*c == '.') {
        c++;
        if (*c < '0' || *c > '9')
            return false;
        for (; *c >= '0' && *c <= '9'; c++) {
            if (fscale == 1000000000u)
                return false; /* finer than a nanosecond or a bit/s */
            frac = frac * 10 + (uint64_t)(*c - '0');
            fscale *= 10;
        }
    }
    for (const struct unit *u = units; u->name; u++) {
        if (strcmp(c, u->name) != 0)
            continue;
        if (ip > max / u->mult)
            return false;
        uint64_t v = ip * u->mult + frac * u->mult / fscale;
        if (v > max)
            return false;
        *out = v;
        return true;
    }
    return false;
}

static const struct unit time_units[] = {
    {"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000}, {NULL, 0}};
static const struct unit rate_units[] = {
    {"bit", 1}, {"kbit", 1000}, {"Mbit", 1000000}, {"Gbit", 1000000000}, {NULL, 0}};
static const struct unit no_units[] = {{"", 1}, {NULL, 0}};

static int get_duration(struct sp *p, const yaml_node_t *n, ib_time *out)
{
    uint64_t v;
    if (!is_text(n) || !parse_scaled(str_of(n), time_units, INT64_MAX - 1, &v))
        return expected(p, n, "a duration such as 10ms");
    *out = (ib_time)v;
    return 0;
}

static int get_uint(struct sp *p, const yaml_node_t *n, uint64_t min, uint64_t max,
                    const char *what, uint64_t *out)
{
    if (!is_text(n) || !parse_scaled(str_of(n), no_units, max, out) || strchr(str_of(n), '.') ||
        *out < min)
        return expected(p, n, what);
    return 0;
}

static int get_prob(struct sp *p, const yaml_node_t *n, double *out)
{
    const char *s = is_text(n) ? str_of(n) : "";
    char *end = NULL;
    double v = (*s >= '0' && *s <= '9') || *s == '.' ? strtod(s, &end) : -1.0;
    if (v < 0.0 || !(v <= 1.0) || *end != '\0')
        return expected(p, n, "a probability between 0 and 1");
    *out = v;
    return 0;
}

static int get_name(struct sp *p, const yaml_node_t *n, size_t max, const char *what, char *out)
{
    if (!is_text(n) || n->data.scalar.length == 0 || n->data.scalar.length >= max ||
        strchr(str_of(n), ':'))
        return expected(p, n, what);
    memcpy(out, str_of(n), n->data.scalar.length + 1);
    return 0;
}

static bool same_net(ib_ip4 a, ib_ip4 b, uint8_t plen)
{
    return ((a ^ b) & ib_ip4_mask(plen)) == 0;
}

static int parse_iface(struct sp *p, void *ctx, yaml_node_t *kn, yaml_node_t *vn)
{
    struct ib_sc_node *nd = ctx;
    int err = grow((void **)&nd->ifaces, nd->n_ifaces, sizeof(*nd->ifaces));
    if (err)
        return err;
    struct ib_sc_iface *f = &nd->ifaces[nd->n_ifaces];
    memset(f, 0, sizeof(*f));
    f->pos = pos_of(kn);
    err = get_name(p, kn, IB_IFNAME_MAX, "an interface name of 1 to 15 characters without ':'",
                   f->name);
    if (err)
        return err;
    for (uint32_t i = 0; i < nd->n_ifaces; i++)
        if (strcmp(nd->ifaces[i].name, f->name) == 0)
            return fail_at(p, f->pos, "duplicate interface \"%s\" (first at %u:%u)", f->name,
                           nd->ifaces[i].pos.line, nd->ifaces[i].pos.col);
    nd->n_ifaces++;
    static const char *const keys[] = {"address"};
    yaml_node_t *v[1];
    struct ib_sc_pos kp[1];
    char what[IB_NAME_MAX + IB_IFNAME_MAX + 16];
    snprintf(what, sizeof(what), "interface %s:%s", nd->name, f->name);
    err = read_map(p, vn, what, keys, 1, "address", v, kp, true);
    if (err || !v[0])
        return err;
    unsigned plen = 33;
    f->addr_pos = pos_of(v[0]);
    if (!is_text(v[0]) || !strchr(str_of(v[0]), '/') ||
        ib_ip4_from_str(str_of(v[0]), &f->addr, &plen) != 0)
        return expected(p, v[0], "an address with its prefix length such as 10.0.1.10/24");
    /* RFC 1122 §3.2.1.3: the all-zeros and all-ones host numbers are not
     * a host's address (/31 links have no such numbers, RFC 3021). */
    ib_ip4 host = f->addr & ~ib_ip4_mask(plen);
    if (plen == 0 || (plen < 31 && (host == 0 || host == ~ib_ip4_mask(plen))))
        return expected(p, v[0], "a host address, not the network or broadcast address");
    f->has_addr = true;
    f->plen = (uint8_t)plen;
    return 0;
}

static int parse_route(struct sp *p, void *ctx, yaml_node_t *kn, yaml_node_t *rn)
{
    struct ib_sc_node *nd = ctx;
    int err = grow((void **)&nd->routes, nd->n_routes, sizeof(*nd->routes));
    if (err)
        return err;
    struct ib_sc_route *r = &nd->routes[nd->n_routes++];
    memset(r, 0, sizeof(*r));
    r->pos = pos_of(rn);
    static const char *const keys[] = {"to", "via"};
    yaml_node_t *v[2];
    struct ib_sc_pos kp[2];
    err = read_map(p, rn, "a route", keys, 2, "to and via", v, kp, false);
    if (err)
        return err;
    if (!v[0] || !v[1])
        return fail_at(p, r->pos, "a route needs both to: and via:");
    r->to_pos = pos_of(v[0]);
    r->via_pos = pos_of(v[1]);
    unsigned plen = 33;
    if (is_text(v[0]) && strcmp(str_of(v[0]), "default") == 0) {
        plen = 0;
    } else if (!is_text(v[0]) || !strchr(str_of(v[0]), '/') ||
               ib_ip4_from_str(str_of(v[0]), &r->prefix, &plen) != 0) {
        return expected(p, v[0], "default or a prefix such as 10.0.2.0/24");
    } else if ((r->prefix & ~ib_ip4_mask(plen)) != 0) {
        return expected(p, v[0], "a prefix with no bits set after its length");
    }
    r->plen = (uint8_t)plen;
    if (!is_text(v[1]) || ib_ip4_from_str(str_of(v[1]), &r->via, NULL) != 0)
        return expected(p, v[1], "a gateway address such as 10.0.0.2");
    return 0;
}

static const char *const node_keys[] = {"kind", "interfaces", "routes"};
enum { NK_KIND, NK_IFACES, NK_ROUTES, NK__N };

static int parse_node(struct sp *p, void *ctx, yaml_node_t *kn, yaml_node_t *vn)
{
    struct ib_scenario *sc = p->sc;
    int err = grow((void **)&sc->nodes, sc->n_nodes, sizeof(*sc->nodes));
    if (err)
        return err;
    struct ib_sc_node *nd = &sc->nodes[sc->n_nodes];
    memset(nd, 0, sizeof(*nd));
    nd->pos = pos_of(kn);
    err = get_name(p, kn, IB_NAME_MAX, "a node name of 1 to 31 characters without ':'", nd->name);
    if (err)
        return err;
    for (uint32_t i = 0; i < sc->n_nodes; i++)
        if (strcmp(sc->nodes[i].name, nd->name) == 0)
            return fail_at(p, nd->pos, "duplicate node name \"%s\" (first at %u:%u)", nd->name,
                           sc->nodes[i].pos.line, sc->nodes[i].pos.col);
    sc->n_nodes++;

    yaml_node_t *v[NK__N];
    struct ib_sc_pos kp[NK__N];
    char what[IB_NAME_MAX + 8];
    snprintf(what, sizeof(what), "node %s", nd->name);
    err = read_map(p, vn, what, node_keys, NK__N, "kind, interfaces and routes", v, kp, false);
    if (err)
        return err;
    if (!v[NK_KIND])
        return fail_at(p, nd->pos, "node %s has no kind; expected kind: host, switch or router",
                       nd->name);
    nd->kind_pos = pos_of(v[NK_KIND]);
    const char *kind = is_text(v[NK_KIND]) ? str_of(v[NK_KIND]) : "";
    if (strcmp(kind, "host") == 0)
        nd->kind = IB_NODE_HOST;
    else if (strcmp(kind, "router") == 0)
        nd->kind = IB_NODE_ROUTER;
    else if (strcmp(kind, "switch") == 0)
        nd->kind = IB_NODE_SWITCH;
    else
        return expected(p, v[NK_KIND], "a kind: host, switch or router");
    if (nd->kind == IB_NODE_SWITCH) {
        for (int i = NK_IFACES; i < NK__N; i++)
            if (v[i])
                return fail_at(p, kp[i],
                               "a switch has no %s (its ports are created by the links that name "
                               "them); expected only kind",
                               node_keys[i]);
        return 0;
    }
    if (v[NK_IFACES] && (err = each(p, v[NK_IFACES], YAML_MAPPING_NODE,
                                    "a mapping of interface names to interfaces", parse_iface, nd)))
        return err;
    if (v[NK_ROUTES] && (err = each(p, v[NK_ROUTES], YAML_SEQUENCE_NODE,
                                    "a list of routes such as [{to: default, via: 10.0.1.1}]",
                                    parse_route, nd)))
        return err;
    return 0;
}

/* Each route leaves through the interface whose network holds its
 * gateway (RFC 1812 §5.2.4.3: a next hop must be directly reachable). */
static int check_routes(struct sp *p, struct ib_sc_node *nd)
{
    for (uint32_t i = 0; i < nd->n_routes; i++) {
        struct ib_sc_route *r = &nd->routes[i];
        uint32_t j = 0;
        while (j < nd->n_ifaces &&
               !(nd->ifaces[j].has_addr && same_net(r->via, nd->ifaces[j].addr, nd->ifaces[j].plen)))
            j++;
        if (j == nd->n_ifaces) {
            char a[IB_IP4_STRLEN];
            ib_ip4_str(r->via, a);
            return fail_at(p, r->via_pos, "expected a gateway on a network of %s's interfaces, got %s",
                           nd->name, a);
        }
        r->iface = j;
    }
    return 0;
}

static int parse_endpoint(struct sp *p, struct ib_sc_link *l, int side, yaml_node_t *n)
{
    struct ib_scenario *sc = p->sc;
    struct ib_sc_endpoint *e = &l->ep[side];
    e->pos = pos_of(n);
    const char *s = is_text(n) ? str_of(n) : "";
    const char *colon = strchr(s, ':');
    if (!colon || colon == s || colon[1] == '\0')
        return expected(p, n, "an endpoint such as \"h1:eth0\"");
    size_t nlen = (size_t)(colon - s);
    for (e->node = 0; e->node < sc->n_nodes; e->node++)
        if (strlen(sc->nodes[e->node].name) == nlen &&
            memcmp(sc->nodes[e->node].name, s, nlen) == 0)
            break;
    char buf[80];
    if (e->node == sc->n_nodes)
        return fail_at(p, e->pos, "unknown node in endpoint %s; expected a node listed under nodes:",
                       shown(n, buf, sizeof(buf)));
    const struct ib_sc_node *nd = &sc->nodes[e->node];
    if (strlen(colon + 1) >= IB_IFNAME_MAX || strchr(colon + 1, ':'))
        return expected(p, n, "an interface name of 1 to 15 characters without ':' after the node");
    strcpy(e->ifname, colon + 1);
    if (nd->kind != IB_NODE_SWITCH) {
        uint32_t i = 0;
        while (i < nd->n_ifaces && strcmp(nd->ifaces[i].name, e->ifname) != 0)
            i++;
        if (i == nd->n_ifaces)
            return fail_at(p, e->pos, "unknown interface in endpoint %s; expected one listed under "
                           "%s's interfaces:", shown(n, buf, sizeof(buf)), nd->name);
    }
    for (uint32_t i = 0; i <= sc->n_links; i++) {
        const struct ib_sc_link *o = &sc->links[i];
        for (int k = 0; k < 2; k++) {
            if (o == l && k >= side)
                break;
            if (o->ep[k].node == e->node && strcmp(o->ep[k].ifname, e->ifname) == 0)
                return fail_at(p, e->pos, "endpoint %s is already used at %u:%u",
                               shown(n, buf, sizeof(buf)), o->ep[k].pos.line, o->ep[k].pos.col);
        }
    }
    return 0;
}

static const char *const link_keys[] = {"endpoints", "rate",    "delay",   "queue",  "loss",
                                        "duplicate", "reorder", "corrupt", "reorder_delay", "mtu"};
enum { LK_EP, LK_RATE, LK_DELAY, LK_QUEUE, LK_LOSS, LK_DUP, LK_REORDER, LK_CORRUPT, LK_RDELAY,
       LK_MTU, LK__N };

static int parse_link(struct sp *p, void *ctx, yaml_node_t *kn, yaml_node_t *ln)
{
    struct ib_scenario *sc = p->sc;
    int err = grow((void **)&sc->links, sc->n_links, sizeof(*sc->links));
    if (err)
        return err;
    struct ib_sc_link *l = &sc->links[sc->n_links];
    memset(l, 0, sizeof(*l));
    l->pos = pos_of(ln);
    l->params = ib_link_defaults;
    yaml_node_t *v[LK__N];
    struct ib_sc_pos kp[LK__N];
    err = read_map(p, ln, "a link", link_keys, LK__N,
                   "endpoints, rate, delay, queue, loss, duplicate, reorder, corrupt, "
                   "reorder_delay and mtu",
                   v, kp, false);
    if (err)
        return err;
    yaml_node_t *eps = v[LK_EP];
    if (!eps)
        return fail_at(p, l->pos, "a link needs endpoints:");
    if (eps->type != YAML_SEQUENCE_NODE ||
        eps->data.sequence.items.top - eps->data.sequence.items.start != 2)
        return expected(p, eps, "a list of two endpoints such as [\"h1:eth0\", \"sw1:p1\"]");
    for (int i = 0; i < 2; i++) {
        yaml_node_t *e = take(p, eps->data.sequence.items.start[i]);
        if (!e)
            return IB_ERR_INVAL;
        err = parse_endpoint(p, l, i, e);
        if (err)
            return err;
    }
    struct ib_link_params *lp = &l->params;
    uint64_t u;
    if (v[LK_RATE]) {
        if (!is_text(v[LK_RATE]) || !parse_scaled(str_of(v[LK_RATE]), rate_units, UINT64_MAX, &u) ||
            u == 0)
            return expected(p, v[LK_RATE], "a rate such as 100Mbit");
        lp->rate_bps = u;
    }
    if ((v[LK_DELAY] && (err = get_duration(p, v[LK_DELAY], &lp->delay))) ||
        (v[LK_RDELAY] && (err = get_duration(p, v[LK_RDELAY], &lp->reorder_delay))) ||
        (v[LK_LOSS] && (err = get_prob(p, v[LK_LOSS], &lp->loss))) ||
        (v[LK_DUP] && (err = get_prob(p, v[LK_DUP], &lp->duplicate))) ||
        (v[LK_REORDER] && (err = get_prob(p, v[LK_REORDER], &lp->reorder))) ||
        (v[LK_CORRUPT] && (err = get_prob(p, v[LK_CORRUPT], &lp->corrupt))))
        return err;
    if (v[LK_QUEUE]) {
        err = get_uint(p, v[LK_QUEUE], 0, SC_QUEUE_MAX,
                       "a queue length from 0 to 1000000 packets", &u);
        if (err)
            return err;
        lp->queue = (uint32_t)u;
    }
    if (v[LK_MTU]) {
        err = get_uint(p, v[LK_MTU], SC_MTU_MIN, SC_MTU_MAX, "an MTU from 68 to 1500 bytes", &u);
        if (err)
            return err;
        l->mtu = (uint16_t)u;
    }
    sc->n_links++;
    return 0;
}

static const char *const top_keys[] = {"name", "seed", "stop", "nodes", "links"};
enum { TK_NAME, TK_SEED, TK_STOP, TK_NODES, TK_LINKS, TK__N };

static int parse_doc(struct sp *p, yaml_node_t *root)
{
    struct ib_scenario *sc = p->sc;
    yaml_node_t *v[TK__N];
    struct ib_sc_pos kp[TK__N];
    int err = read_map(p, root, "a scenario", top_keys, TK__N,
                       "name, seed, stop, nodes and links", v, kp, false);
    if (err)
        return err;
    if (v[TK_NAME]) {
        sc->name_pos = pos_of(v[TK_NAME]);
        if (!is_text(v[TK_NAME]) || v[TK_NAME]->data.scalar.length >= sizeof(sc->name))
            return expected(p, v[TK_NAME], "a name of at most 63 characters");
        strcpy(sc->name, str_of(v[TK_NAME]));
    }
    if (v[TK_SEED]) {
        sc->seed_pos = pos_of(v[TK_SEED]);
        err = get_uint(p, v[TK_SEED], 0, UINT64_MAX,
                       "a seed: an integer from 0 to 18446744073709551615", &sc->seed);
        if (err)
            return err;
    }
    if (v[TK_STOP]) {
        sc->stop_pos = pos_of(v[TK_STOP]);
        err = get_duration(p, v[TK_STOP], &sc->stop);
        if (err)
            return err;
    }
    if (v[TK_NODES]) {
        err = each(p, v[TK_NODES], YAML_MAPPING_NODE, "a mapping of node names to nodes",
                   parse_node, NULL);
        for (uint32_t i = 0; !err && i < sc->n_nodes; i++)
            err = check_routes(p, &sc->nodes[i]);
        if (err)
            return err;
    }
    if (v[TK_LINKS])
        return each(p, v[TK_LINKS], YAML_SEQUENCE_NODE, "a list of links", parse_link, NULL);
    return 0;
}

static int syntax_error(struct sp *p, const yaml_parser_t *yp, const char *text, size_t len)
{
    if (yp->error == YAML_MEMORY_ERROR)
        return IB_ERR_NOMEM;
    struct ib_sc_pos at = {(uint32_t)yp->problem_mark.line + 1,
                           (uint32_t)yp->problem_mark.column + 1};
    if (yp->error == YAML_READER_ERROR) {
        /* The reader (bad encoding, control characters) gives a byte
         * offset, not a mark. */
        at = (struct ib_sc_pos){1, 1};
        for (size_t i = 0; i < yp->problem_offset && i < len; i++, at.col++)
            if (text[i] == '\n')
                at = (struct ib_sc_pos){at.line + 1, 0};
    }
    const char *problem = yp->problem ? yp->problem : "unreadable YAML";
    if (yp->context)
        return fail_at(p, at, "invalid YAML: %s (%s at %u:%u)", problem, yp->context,
                       (unsigned)yp->context_mark.line + 1, (unsigned)yp->context_mark.column + 1);
    return fail_at(p, at, "invalid YAML: %s", problem);
}

int ib_scenario_parse(struct ib_scenario *sc, const char *file, const char *text, size_t len,
                      char *err, size_t errlen)
{
    memset(sc, 0, sizeof(*sc));
    snprintf(sc->file, sizeof(sc->file), "%s", file);
    sc->seed = 1;
    sc->stop = IB_TIME_NEVER;
    if (errlen)
        err[0] = '\0';
    struct sp p = {.sc = sc, .err = err, .errlen = errlen};
    yaml_parser_t yp;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&yp))
        return IB_ERR_NOMEM;
    yaml_parser_set_input_string(&yp, (const unsigned char *)text, len);
    int rc;
    if (!yaml_parser_load(&yp, &doc)) {
        rc = syntax_error(&p, &yp, text, len);
        yaml_parser_delete(&yp);
        return rc;
    }
    p.doc = &doc;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    size_t n_tree = (size_t)(doc.nodes.top - doc.nodes.start);
    p.seen = calloc(n_tree ? n_tree : 1, sizeof(bool));
    if (!p.seen) {
        rc = IB_ERR_NOMEM;
    } else if (!root) {
        rc = fail_at(&p, (struct ib_sc_pos){1, 1},
                     "expected a scenario: a mapping of name, seed, stop, nodes and links, got "
                     "nothing");
    } else {
        p.seen[0] = true;
        rc = parse_doc(&p, root);
    }
    if (rc == 0) {
        /* One file, one scenario: a second document would be ignored. */
        yaml_document_t next;
        if (!yaml_parser_load(&yp, &next)) {
            rc = syntax_error(&p, &yp, text, len);
        } else {
            yaml_node_t *r2 = yaml_document_get_root_node(&next);
            if (r2)
                rc = fail_at(&p, pos_of(r2), "expected the end of the file, got a second document");
            yaml_document_delete(&next);
        }
    }
    free(p.seen);
    yaml_document_delete(&doc);
    yaml_parser_delete(&yp);
    return rc;
}

int ib_scenario_load(struct ib_scenario *sc, const char *path, char *err, size_t errlen)
{
    memset(sc, 0, sizeof(*sc));
    FILE *f = fopen(path, "rb");
    char *buf = f ? malloc(SC_FILE_MAX) : NULL;
    size_t len = buf ? fread(buf, 1, SC_FILE_MAX, f) : 0;
    int rc;
    if (!buf || ferror(f)) {
        snprintf(err, errlen, "%s: cannot read the file", path);
        rc = IB_ERR_IO;
    } else if (len == SC_FILE_MAX) {
        snprintf(err, errlen, "%s: larger than 16 MiB", path);
        rc = IB_ERR_IO;
    } else {
        rc = ib_scenario_parse(sc, path, buf, len, err, errlen);
    }
    free(buf);
    if (f)
        fclose(f);
    return rc;
}

void ib_scenario_free(struct ib_scenario *sc)
{
    for (uint32_t i = 0; i < sc->n_nodes; i++) {
        free(sc->nodes[i].ifaces);
        free(sc->nodes[i].routes);
    }
    free(sc->nodes);
    free(sc->links);
    memset(sc, 0, sizeof(*sc));
}
