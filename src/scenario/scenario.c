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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sc_parse.h"

#define SC_FILE_MAX (16u << 20)
#define SC_QUEUE_MAX 1000000u
/* RFC 791: every internet module must handle 68-byte datagrams; Ethernet
 * carries at most 1500 (RFC 894). */
#define SC_MTU_MIN 68u
#define SC_MTU_MAX 1500u

static int parse_iface(struct sp *p, void *ctx, yaml_node_t *kn, yaml_node_t *vn)
{
    struct ib_sc_node *nd = ctx;
    int err = sc_grow((void **)&nd->ifaces, nd->n_ifaces, sizeof(*nd->ifaces));
    if (err)
        return err;
    struct ib_sc_iface *f = &nd->ifaces[nd->n_ifaces];
    memset(f, 0, sizeof(*f));
    f->pos = sc_pos_of(kn);
    err = sc_name(p, kn, IB_IFNAME_MAX, "an interface name of 1 to 15 printable characters without ':'",
                   f->name);
    if (err)
        return err;
    for (uint32_t i = 0; i < nd->n_ifaces; i++)
        if (strcmp(nd->ifaces[i].name, f->name) == 0)
            return sc_fail(p, f->pos, "duplicate interface \"%s\" (first at %u:%u)", f->name,
                           nd->ifaces[i].pos.line, nd->ifaces[i].pos.col);
    nd->n_ifaces++;
    static const char *const keys[] = {"address", "dhcp"};
    yaml_node_t *v[2];
    struct ib_sc_pos kp[2];
    char what[IB_NAME_MAX + IB_IFNAME_MAX + 16];
    snprintf(what, sizeof(what), "interface %s:%s", nd->name, f->name);
    err = sc_read_map(p, vn, what, keys, 2, "address and dhcp", v, kp, true);
    if (err)
        return err;
    if (v[1]) {
        if (!sc_is_text(v[1]) || (strcmp(sc_str(v[1]), "true") && strcmp(sc_str(v[1]), "false")))
            return sc_expected(p, v[1], "true or false");
        f->dhcp = strcmp(sc_str(v[1]), "true") == 0;
        if (f->dhcp && v[0])
            return sc_fail(p, kp[1], "an interface takes address: or dhcp: true, not both");
    }
    if (!v[0])
        return 0;
    unsigned plen = 33;
    f->addr_pos = sc_pos_of(v[0]);
    if (!sc_is_text(v[0]) || !strchr(sc_str(v[0]), '/') ||
        ib_ip4_from_str(sc_str(v[0]), &f->addr, &plen) != 0)
        return sc_expected(p, v[0], "an address with its prefix length such as 10.0.1.10/24");
    /* RFC 1122 §3.2.1.3: the all-zeros and all-ones host numbers are not
     * a host's address (/31 links have no such numbers, RFC 3021). */
    ib_ip4 host = f->addr & ~ib_ip4_mask(plen);
    if (plen == 0 || (plen < 31 && (host == 0 || host == ~ib_ip4_mask(plen))))
        return sc_expected(p, v[0], "a host address, not the network or broadcast address");
    f->has_addr = true;
    f->plen = (uint8_t)plen;
    return 0;
}

static int parse_route(struct sp *p, void *ctx, yaml_node_t *kn, yaml_node_t *rn)
{
    struct ib_sc_node *nd = ctx;
    int err = sc_grow((void **)&nd->routes, nd->n_routes, sizeof(*nd->routes));
    if (err)
        return err;
    struct ib_sc_route *r = &nd->routes[nd->n_routes++];
    memset(r, 0, sizeof(*r));
    r->pos = sc_pos_of(rn);
    static const char *const keys[] = {"to", "via"};
    yaml_node_t *v[2];
    struct ib_sc_pos kp[2];
    err = sc_read_map(p, rn, "a route", keys, 2, "to and via", v, kp, false);
    if (err)
        return err;
    if (!v[0] || !v[1])
        return sc_fail(p, r->pos, "a route needs both to: and via:");
    r->to_pos = sc_pos_of(v[0]);
    r->via_pos = sc_pos_of(v[1]);
    unsigned plen = 33;
    if (sc_is_text(v[0]) && strcmp(sc_str(v[0]), "default") == 0) {
        plen = 0;
    } else if (!sc_is_text(v[0]) || !strchr(sc_str(v[0]), '/') ||
               ib_ip4_from_str(sc_str(v[0]), &r->prefix, &plen) != 0) {
        return sc_expected(p, v[0], "default or a prefix such as 10.0.2.0/24");
    } else if ((r->prefix & ~ib_ip4_mask(plen)) != 0) {
        return sc_expected(p, v[0], "a prefix with no bits set after its length");
    }
    r->plen = (uint8_t)plen;
    if (!sc_is_text(v[1]) || ib_ip4_from_str(sc_str(v[1]), &r->via, NULL) != 0)
        return sc_expected(p, v[1], "a gateway address such as 10.0.0.2");
    return 0;
}

static const char *const node_keys[] = {"kind", "interfaces", "routes", "nat", "dns", "services"};
enum { NK_KIND, NK_IFACES, NK_ROUTES, NK_NAT, NK_DNS, NK_SERVICES, NK__N };

static int parse_node(struct sp *p, void *ctx, yaml_node_t *kn, yaml_node_t *vn)
{
    struct ib_scenario *sc = p->sc;
    int err = sc_grow((void **)&sc->nodes, sc->n_nodes, sizeof(*sc->nodes));
    if (err)
        return err;
    struct ib_sc_node *nd = &sc->nodes[sc->n_nodes];
    memset(nd, 0, sizeof(*nd));
    nd->pos = sc_pos_of(kn);
    err = sc_name(p, kn, IB_NAME_MAX, "a node name of 1 to 31 printable characters without ':'", nd->name);
    if (err)
        return err;
    for (uint32_t i = 0; i < sc->n_nodes; i++)
        if (strcmp(sc->nodes[i].name, nd->name) == 0)
            return sc_fail(p, nd->pos, "duplicate node name \"%s\" (first at %u:%u)", nd->name,
                           sc->nodes[i].pos.line, sc->nodes[i].pos.col);
    sc->n_nodes++;

    yaml_node_t *v[NK__N];
    struct ib_sc_pos kp[NK__N];
    char what[IB_NAME_MAX + 8];
    snprintf(what, sizeof(what), "node %s", nd->name);
    err = sc_read_map(p, vn, what, node_keys, NK__N, "kind, interfaces, routes, nat, dns and services", v, kp, false);
    if (err)
        return err;
    if (!v[NK_KIND])
        return sc_fail(p, nd->pos, "node %s has no kind; expected kind: host, switch or router",
                       nd->name);
    nd->kind_pos = sc_pos_of(v[NK_KIND]);
    const char *kind = sc_is_text(v[NK_KIND]) ? sc_str(v[NK_KIND]) : "";
    if (strcmp(kind, "host") == 0)
        nd->kind = IB_NODE_HOST;
    else if (strcmp(kind, "router") == 0)
        nd->kind = IB_NODE_ROUTER;
    else if (strcmp(kind, "switch") == 0)
        nd->kind = IB_NODE_SWITCH;
    else
        return sc_expected(p, v[NK_KIND], "a kind: host, switch or router");
    if (nd->kind == IB_NODE_SWITCH) {
        for (int i = NK_IFACES; i < NK__N; i++)
            if (v[i])
                return sc_fail(p, kp[i],
                               "a switch has no %s (its ports are created by the links that name "
                               "them); expected only kind",
                               node_keys[i]);
        return 0;
    }
    if (v[NK_IFACES] && (err = sc_each(p, v[NK_IFACES], YAML_MAPPING_NODE,
                                    "a mapping of interface names to interfaces", parse_iface, nd)))
        return err;
    if (v[NK_ROUTES] && (err = sc_each(p, v[NK_ROUTES], YAML_SEQUENCE_NODE,
                                    "a list of routes such as [{to: default, via: 10.0.1.1}]",
                                    parse_route, nd)))
        return err;
    if (v[NK_DNS] && (err = sc_parse_dns(p, nd, v[NK_DNS])))
        return err;
    if (v[NK_NAT] && (err = sc_parse_nat(p, nd, v[NK_NAT])))
        return err;
    if (v[NK_SERVICES] && (err = sc_parse_services(p, nd, v[NK_SERVICES])))
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
               !(nd->ifaces[j].has_addr && sc_same_net(r->via, nd->ifaces[j].addr, nd->ifaces[j].plen)))
            j++;
        if (j == nd->n_ifaces) {
            char a[IB_IP4_STRLEN];
            ib_ip4_str(r->via, a);
            return sc_fail(p, r->via_pos, "expected a gateway on a network of %s's interfaces, got %s",
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
    e->pos = sc_pos_of(n);
    const char *s = sc_is_text(n) ? sc_str(n) : "";
    const char *colon = strchr(s, ':');
    if (!colon || colon == s || colon[1] == '\0')
        return sc_expected(p, n, "an endpoint such as \"h1:eth0\"");
    size_t nlen = (size_t)(colon - s);
    for (e->node = 0; e->node < sc->n_nodes; e->node++)
        if (strlen(sc->nodes[e->node].name) == nlen &&
            memcmp(sc->nodes[e->node].name, s, nlen) == 0)
            break;
    char buf[80];
    if (e->node == sc->n_nodes)
        return sc_fail(p, e->pos, "unknown node in endpoint %s; expected a node listed under nodes:",
                       sc_shown(n, buf, sizeof(buf)));
    const struct ib_sc_node *nd = &sc->nodes[e->node];
    if (strlen(colon + 1) >= IB_IFNAME_MAX || strchr(colon + 1, ':'))
        return sc_expected(p, n, "an interface name of 1 to 15 characters without ':' after the node");
    strcpy(e->ifname, colon + 1);
    if (nd->kind != IB_NODE_SWITCH) {
        uint32_t i = 0;
        while (i < nd->n_ifaces && strcmp(nd->ifaces[i].name, e->ifname) != 0)
            i++;
        if (i == nd->n_ifaces)
            return sc_fail(p, e->pos, "unknown interface in endpoint %s; expected one listed under "
                           "%s's interfaces:", sc_shown(n, buf, sizeof(buf)), nd->name);
    }
    for (uint32_t i = 0; i <= sc->n_links; i++) {
        const struct ib_sc_link *o = &sc->links[i];
        for (int k = 0; k < 2; k++) {
            if (o == l && k >= side)
                break;
            if (o->ep[k].node == e->node && strcmp(o->ep[k].ifname, e->ifname) == 0)
                return sc_fail(p, e->pos, "endpoint %s is already used at %u:%u",
                               sc_shown(n, buf, sizeof(buf)), o->ep[k].pos.line, o->ep[k].pos.col);
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
    int err = sc_grow((void **)&sc->links, sc->n_links, sizeof(*sc->links));
    if (err)
        return err;
    struct ib_sc_link *l = &sc->links[sc->n_links];
    memset(l, 0, sizeof(*l));
    l->pos = sc_pos_of(ln);
    l->params = ib_link_defaults;
    yaml_node_t *v[LK__N];
    struct ib_sc_pos kp[LK__N];
    err = sc_read_map(p, ln, "a link", link_keys, LK__N,
                   "endpoints, rate, delay, queue, loss, duplicate, reorder, corrupt, "
                   "reorder_delay and mtu",
                   v, kp, false);
    if (err)
        return err;
    yaml_node_t *eps = v[LK_EP];
    if (!eps)
        return sc_fail(p, l->pos, "a link needs endpoints:");
    if (eps->type != YAML_SEQUENCE_NODE ||
        eps->data.sequence.items.top - eps->data.sequence.items.start != 2)
        return sc_expected(p, eps, "a list of two endpoints such as [\"h1:eth0\", \"sw1:p1\"]");
    for (int i = 0; i < 2; i++) {
        yaml_node_t *e = sc_take(p, eps->data.sequence.items.start[i]);
        if (!e)
            return IB_ERR_INVAL;
        err = parse_endpoint(p, l, i, e);
        if (err)
            return err;
    }
    struct ib_link_params *lp = &l->params;
    uint64_t u;
    if (v[LK_RATE]) {
        if (!sc_is_text(v[LK_RATE]) || !sc_scaled(sc_str(v[LK_RATE]), sc_rate_units, UINT64_MAX, &u) ||
            u == 0)
            return sc_expected(p, v[LK_RATE], "a rate such as 100Mbit");
        lp->rate_bps = u;
    }
    if ((v[LK_DELAY] && (err = sc_duration(p, v[LK_DELAY], &lp->delay))) ||
        (v[LK_RDELAY] && (err = sc_duration(p, v[LK_RDELAY], &lp->reorder_delay))) ||
        (v[LK_LOSS] && (err = sc_prob(p, v[LK_LOSS], &lp->loss))) ||
        (v[LK_DUP] && (err = sc_prob(p, v[LK_DUP], &lp->duplicate))) ||
        (v[LK_REORDER] && (err = sc_prob(p, v[LK_REORDER], &lp->reorder))) ||
        (v[LK_CORRUPT] && (err = sc_prob(p, v[LK_CORRUPT], &lp->corrupt))))
        return err;
    if (v[LK_QUEUE]) {
        err = sc_uint(p, v[LK_QUEUE], 0, SC_QUEUE_MAX,
                       "a queue length from 0 to 1000000 packets", &u);
        if (err)
            return err;
        lp->queue = (uint32_t)u;
    }
    if (v[LK_MTU]) {
        err = sc_uint(p, v[LK_MTU], SC_MTU_MIN, SC_MTU_MAX, "an MTU from 68 to 1500 bytes", &u);
        if (err)
            return err;
        l->mtu = (uint16_t)u;
    }
    sc->n_links++;
    return 0;
}

static const char *const top_keys[] = {"name", "seed", "stop", "nodes", "links", "timeline"};
enum { TK_NAME, TK_SEED, TK_STOP, TK_NODES, TK_LINKS, TK_TIMELINE, TK__N };

static int parse_doc(struct sp *p, yaml_node_t *root)
{
    struct ib_scenario *sc = p->sc;
    yaml_node_t *v[TK__N];
    struct ib_sc_pos kp[TK__N];
    int err = sc_read_map(p, root, "a scenario", top_keys, TK__N,
                       "name, seed, stop, nodes, links and timeline", v, kp, false);
    if (err)
        return err;
    if (v[TK_NAME]) {
        sc->name_pos = sc_pos_of(v[TK_NAME]);
        if (!sc_is_text(v[TK_NAME]) || v[TK_NAME]->data.scalar.length >= sizeof(sc->name))
            return sc_expected(p, v[TK_NAME], "a name of at most 63 characters");
        strcpy(sc->name, sc_str(v[TK_NAME]));
    }
    if (v[TK_SEED]) {
        sc->seed_pos = sc_pos_of(v[TK_SEED]);
        err = sc_uint(p, v[TK_SEED], 0, UINT64_MAX,
                       "a seed: an integer from 0 to 18446744073709551615", &sc->seed);
        if (err)
            return err;
    }
    if (v[TK_STOP]) {
        sc->stop_pos = sc_pos_of(v[TK_STOP]);
        err = sc_duration(p, v[TK_STOP], &sc->stop);
        if (err)
            return err;
    }
    if (v[TK_NODES]) {
        err = sc_each(p, v[TK_NODES], YAML_MAPPING_NODE, "a mapping of node names to nodes",
                   parse_node, NULL);
        for (uint32_t i = 0; !err && i < sc->n_nodes; i++)
            err = check_routes(p, &sc->nodes[i]);
        for (uint32_t i = 0; !err && i < sc->n_nodes; i++)
            err = sc_check_services(p, &sc->nodes[i]);
        if (err)
            return err;
    }
    if (v[TK_LINKS] &&
        (err = sc_each(p, v[TK_LINKS], YAML_SEQUENCE_NODE, "a list of links", parse_link, NULL)))
        return err;
    if (v[TK_TIMELINE])
        return sc_parse_timeline(p, v[TK_TIMELINE]);
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
        return sc_fail(p, at, "invalid YAML: %s (%s at %u:%u)", problem, yp->context,
                       (unsigned)yp->context_mark.line + 1, (unsigned)yp->context_mark.column + 1);
    return sc_fail(p, at, "invalid YAML: %s", problem);
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
    struct sp p = {.sc = sc, .err = err, .errlen = errlen, .text = text, .len = len};
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
        rc = sc_fail(&p, (struct ib_sc_pos){1, 1},
                     "expected a scenario: a mapping of name, seed, stop, nodes, links and "
                     "timeline, got "
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
                rc = sc_fail(&p, sc_pos_of(r2), "expected the end of the file, got a second document");
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
        sc_free_services(&sc->nodes[i]);
    }
    free(sc->nodes);
    free(sc->links);
    free(sc->timeline);
    memset(sc, 0, sizeof(*sc));
}
