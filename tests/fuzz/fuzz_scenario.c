/* libFuzzer harness for the scenario loader: the input is a YAML file.
 * Oracles (abort() on failure): a rejected file gets one line of message
 * "fuzz.yaml:LINE:COL: ..."; an accepted one builds into a world, and
 * written back out as YAML (every value in a form the loader reads
 * exactly: quoted names, durations in ns, rates in bit, probabilities
 * with 17 digits) it parses again into the same scenario. Seeds:
 * corpus/scenario/. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inetbox/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct out {
    char *b;
    size_t len, cap;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        abort();
    if (o->len + (size_t)n + 1 > o->cap) {
        o->cap = (o->len + (size_t)n + 1) * 2;
        o->b = realloc(o->b, o->cap);
        if (!o->b)
            abort();
    }
    va_start(ap, fmt);
    vsnprintf(o->b + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    o->len += (size_t)n;
}

/* One character of s (valid UTF-8: libyaml checked it) as a YAML escape;
 * returns its length in bytes. */
static size_t put_escaped(struct out *o, const unsigned char *s)
{
    size_t n = s[0] < 0x80 ? 1 : s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
    uint32_t cp = n == 1 ? s[0] : s[0] & (0x7fu >> n);
    for (size_t i = 1; i < n; i++)
        cp = cp << 6 | (s[i] & 0x3fu);
    put(o, "\\U%08" PRIx32, cp);
    return n;
}

/* A YAML double-quoted scalar a, or "a:b"; everything outside printable
 * ASCII is escaped, so any name survives (YAML 1.1 §5.7). */
static void put_quoted(struct out *o, const char *a, const char *b)
{
    put(o, "\"");
    for (int part = 0; part < 2 && a; part++, a = b, b = NULL) {
        if (part == 1)
            put(o, ":");
        for (const unsigned char *s = (const unsigned char *)a; *s;) {
            if (*s < 0x20 || *s >= 0x7f || *s == '"' || *s == '\\')
                s += put_escaped(o, s);
            else
                put(o, "%c", *s++);
        }
    }
    put(o, "\"");
}

static void put_ip(struct out *o, ib_ip4 a)
{
    char s[IB_IP4_STRLEN];
    put(o, "%s", ib_ip4_str(a, s));
}

static void emit(const struct ib_scenario *sc, struct out *o)
{
    put(o, "name: ");
    put_quoted(o, sc->name, NULL);
    put(o, "\nseed: %" PRIu64 "\n", sc->seed);
    if (sc->stop != IB_TIME_NEVER)
        put(o, "stop: %" PRId64 "ns\n", sc->stop);
    put(o, sc->n_nodes ? "nodes:\n" : "nodes: {}\n");
    static const char *const kinds[] = {"host", "router", "switch"};
    for (uint32_t i = 0; i < sc->n_nodes; i++) {
        const struct ib_sc_node *nd = &sc->nodes[i];
        put(o, "  ");
        put_quoted(o, nd->name, NULL);
        put(o, ":\n    kind: %s\n", kinds[nd->kind]);
        if (nd->kind == IB_NODE_SWITCH)
            continue;
        put(o, nd->n_ifaces ? "    interfaces:\n" : "    interfaces: {}\n");
        for (uint32_t j = 0; j < nd->n_ifaces; j++) {
            put(o, "      ");
            put_quoted(o, nd->ifaces[j].name, NULL);
            put(o, ": {");
            if (nd->ifaces[j].has_addr) {
                put(o, "address: ");
                put_ip(o, nd->ifaces[j].addr);
                put(o, "/%u", nd->ifaces[j].plen);
            }
            put(o, "}\n");
        }
        put(o, nd->n_routes ? "    routes:\n" : "    routes: []\n");
        for (uint32_t j = 0; j < nd->n_routes; j++) {
            put(o, "      - {to: ");
            put_ip(o, nd->routes[j].prefix);
            put(o, "/%u, via: ", nd->routes[j].plen);
            put_ip(o, nd->routes[j].via);
            put(o, "}\n");
        }
    }
    put(o, sc->n_links ? "links:\n" : "links: []\n");
    for (uint32_t i = 0; i < sc->n_links; i++) {
        const struct ib_sc_link *l = &sc->links[i];
        const struct ib_link_params *p = &l->params;
        put(o, "  - endpoints: [");
        put_quoted(o, sc->nodes[l->ep[0].node].name, l->ep[0].ifname);
        put(o, ", ");
        put_quoted(o, sc->nodes[l->ep[1].node].name, l->ep[1].ifname);
        put(o, "]\n    rate: %" PRIu64 "bit\n    delay: %" PRId64 "ns\n    queue: %" PRIu32 "\n",
            p->rate_bps, p->delay, p->queue);
        put(o, "    loss: %.17g\n    duplicate: %.17g\n    reorder: %.17g\n    corrupt: %.17g\n",
            p->loss, p->duplicate, p->reorder, p->corrupt);
        put(o, "    reorder_delay: %" PRId64 "ns\n", p->reorder_delay);
        if (l->mtu)
            put(o, "    mtu: %u\n", l->mtu);
    }
}

static void same(const struct ib_scenario *a, const struct ib_scenario *b)
{
    if (strcmp(a->name, b->name) || a->seed != b->seed || a->stop != b->stop ||
        a->n_nodes != b->n_nodes || a->n_links != b->n_links)
        abort();
    for (uint32_t i = 0; i < a->n_nodes; i++) {
        const struct ib_sc_node *x = &a->nodes[i], *y = &b->nodes[i];
        if (strcmp(x->name, y->name) || x->kind != y->kind || x->n_ifaces != y->n_ifaces ||
            x->n_routes != y->n_routes)
            abort();
        for (uint32_t j = 0; j < x->n_ifaces; j++) {
            const struct ib_sc_iface *f = &x->ifaces[j], *g = &y->ifaces[j];
            if (strcmp(f->name, g->name) || f->has_addr != g->has_addr ||
                (f->has_addr && (f->addr != g->addr || f->plen != g->plen)))
                abort();
        }
        for (uint32_t j = 0; j < x->n_routes; j++) {
            const struct ib_sc_route *r = &x->routes[j], *s = &y->routes[j];
            if (r->prefix != s->prefix || r->plen != s->plen || r->via != s->via ||
                r->iface != s->iface)
                abort();
        }
    }
    for (uint32_t i = 0; i < a->n_links; i++) {
        const struct ib_sc_link *l = &a->links[i], *m = &b->links[i];
        if (memcmp(&l->params, &m->params, sizeof(l->params)) != 0 || l->mtu != m->mtu)
            abort();
        for (int k = 0; k < 2; k++)
            if (l->ep[k].node != m->ep[k].node || strcmp(l->ep[k].ifname, m->ep[k].ifname))
                abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ib_scenario sc, again;
    char err[IB_SC_ERR_MAX];
    int rc = ib_scenario_parse(&sc, "fuzz.yaml", (const char *)data, size, err, sizeof(err));
    if (rc == IB_ERR_INVAL) {
        unsigned line, col;
        int n = 0;
        if (sscanf(err, "fuzz.yaml:%u:%u: %n", &line, &col, &n) != 2 || n == 0 || line == 0 ||
            col == 0 || strchr(err, '\n') || err[n] == '\0')
            abort();
    } else if (rc == 0) {
        struct ib_world *w = ib_scenario_build(&sc, err, sizeof(err));
        if (!w || ib_scenario_configure(&sc, w, err, sizeof(err)) != 0)
            abort();
        ib_world_free(w);
        struct out o = {0};
        emit(&sc, &o);
        if (ib_scenario_parse(&again, "again.yaml", o.b, o.len, err, sizeof(err)) != 0) {
            fprintf(stderr, "%s\n%s\n", err, o.b);
            abort();
        }
        same(&sc, &again);
        ib_scenario_free(&again);
        free(o.b);
    } else if (rc != IB_ERR_NOMEM) {
        abort();
    }
    ib_scenario_free(&sc);
    return 0;
}
