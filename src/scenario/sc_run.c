/* A scenario running: the software its nodes were given (NAT, DHCP, DNS,
 * HTTP) and its timeline. Everything started is listed in `apps` so that
 * ib_scenario_stop can stop it in reverse order before the world goes. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inetbox/apps.h"
#include "inetbox/browser.h"
#include "inetbox/dhcp.h"
#include "inetbox/dns_resolver.h"
#include "inetbox/dns_server.h"
#include "inetbox/nat.h"
#include "inetbox/scenario.h"

enum app_kind { APP_DHCP_CLIENT, APP_DHCP_SERVER, APP_DNS_AUTH, APP_RESOLVER, APP_HTTP };

struct app {
    enum app_kind kind;
    void *obj;
};

/* A timeline action in progress. */
struct pending {
    struct ib_sc_run *run;
    const struct ib_sc_action_item *item;
    struct ib_stack *stack;
    struct ib_browser_fetch *fetch;
    struct ib_dns_lookup *lookup;
    struct ib_ping ping;
    bool active;
};

struct ib_sc_run {
    const struct ib_scenario *sc;
    struct ib_world *w;
    ib_sc_report_fn report;
    void *arg;
    struct app *apps;
    uint32_t n_apps, cap_apps;
    struct pending *pending; /* one per timeline item */
    uint32_t next;           /* the next timeline item to start */
    struct ib_timer timer;
};

static int add_app(struct ib_sc_run *r, enum app_kind kind, void *obj)
{
    if (!obj)
        return IB_ERR_NOMEM;
    if (r->n_apps == r->cap_apps) {
        uint32_t cap = r->cap_apps ? r->cap_apps * 2 : 16;
        struct app *a = realloc(r->apps, cap * sizeof(*a));
        if (!a)
            return IB_ERR_NOMEM;
        r->apps = a;
        r->cap_apps = cap;
    }
    r->apps[r->n_apps++] = (struct app){kind, obj};
    return 0;
}

static void report(struct pending *pd, struct ib_sc_result *res)
{
    pd->active = false;
    if (!pd->run->report)
        return;
    res->item = pd->item;
    res->node = pd->stack->node.name;
    res->t = ib_now(&pd->run->w->env);
    pd->run->report(pd->run->arg, res);
}

static void on_fetched(void *arg, const struct ib_http_result *r)
{
    struct pending *pd = arg;
    pd->fetch = NULL;
    struct ib_sc_result res = {.err = r->err, .status = r->status, .len = r->len,
                               .body = r->body, .addr = r->addr};
    report(pd, &res);
}

static void on_resolved(void *arg, int err, const char *name, ib_ip4 addr, uint32_t ttl)
{
    struct pending *pd = arg;
    pd->lookup = NULL;
    struct ib_sc_result res = {.err = err, .addr = addr};
    report(pd, &res);
}

static void on_ping_done(struct ib_ping *p)
{
    struct pending *pd = (struct pending *)((char *)p - offsetof(struct pending, ping));
    struct ib_sc_result res = {.addr = p->cfg.dst, .sent = p->stats.transmitted,
                               .received = p->stats.received};
    report(pd, &res);
}

static void start_item(struct ib_sc_run *r, struct pending *pd)
{
    const struct ib_sc_action_item *it = pd->item;
    if (it->action == IB_SC_LINK_DOWN || it->action == IB_SC_LINK_UP) {
        ib_link_set_up(r->w->links[it->link], it->action == IB_SC_LINK_UP);
        return;
    }
    pd->stack = (struct ib_stack *)ib_world_node(r->w, r->sc->nodes[it->node].name);
    pd->active = true;
    int err = 0;
    if (it->action == IB_SC_FETCH) {
        pd->fetch = ib_browser_fetch(pd->stack, it->arg, on_fetched, pd);
        err = pd->fetch ? 0 : IB_ERR_NOMEM;
    } else if (it->action == IB_SC_RESOLVE) {
        pd->lookup = ib_dns_lookup(pd->stack, it->arg, 0, on_resolved, pd);
        err = pd->lookup ? 0 : IB_ERR_NOMEM;
    } else {
        struct ib_ping_config cfg = ib_ping_defaults;
        cfg.dst = it->addr;
        cfg.count = it->count;
        err = ib_ping_start(&pd->ping, pd->stack, &cfg, NULL, NULL);
        pd->ping.finished = on_ping_done;
    }
    if (err) {
        struct ib_sc_result res = {.err = err};
        report(pd, &res);
    }
}

static void timeline_timer(struct ib_timer *t)
{
    struct ib_sc_run *r = (struct ib_sc_run *)((char *)t - offsetof(struct ib_sc_run, timer));
    ib_time now = ib_now(&r->w->env);
    while (r->next < r->sc->n_timeline && r->sc->timeline[r->next].at <= now) {
        struct pending *pd = &r->pending[r->next++];
        start_item(r, pd);
    }
    if (r->next < r->sc->n_timeline)
        ib_timer_arm(&r->w->env, &r->timer, r->sc->timeline[r->next].at);
}

static int start_fail(struct ib_sc_run *r, const struct ib_scenario *sc, struct ib_sc_pos at,
                      const char *what, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s:%u:%u: cannot start %s", sc->file, at.line, at.col, what);
    return IB_ERR_INVAL;
}

static int start_dns_server(struct ib_sc_run *r, struct ib_stack *s, const struct ib_sc_node *nd,
                            char *err, size_t errlen)
{
    struct ib_dns_auth *a = ib_dns_auth_start(s, 53);
    if (add_app(r, APP_DNS_AUTH, a))
        return start_fail(r, r->sc, nd->dns_server.pos, "the DNS server", err, errlen);
    for (uint32_t i = 0; i < nd->dns_server.n_zones; i++) {
        const struct ib_sc_zone *z = &nd->dns_server.zones[i];
        struct ib_dns_zone *zone = NULL;
        char zerr[IB_SC_ERR_MAX];
        if (ib_dns_zone_parse(&zone, r->sc->file, z->text, z->len, z->origin, zerr, sizeof(zerr)) ||
            ib_dns_auth_add_zone(a, zone)) {
            ib_dns_zone_free(zone);
            return start_fail(r, r->sc, z->pos, "this zone", err, errlen);
        }
    }
    return 0;
}

static int start_resolver(struct ib_sc_run *r, struct ib_stack *s, const struct ib_sc_node *nd,
                          char *err, size_t errlen)
{
    struct ib_dns_hint *hints = calloc(nd->resolver.n_hints, sizeof(*hints));
    if (!hints)
        return start_fail(r, r->sc, nd->resolver.pos, "the resolver", err, errlen);
    for (uint32_t i = 0; i < nd->resolver.n_hints; i++)
        hints[i] = (struct ib_dns_hint){nd->resolver.hints[i].name, nd->resolver.hints[i].addr};
    struct ib_dns_resolver_config cfg = ib_dns_resolver_defaults;
    cfg.hints = hints;
    cfg.n_hints = nd->resolver.n_hints;
    int rc = add_app(r, APP_RESOLVER, ib_dns_resolver_start(s, &cfg));
    free(hints);
    return rc ? start_fail(r, r->sc, nd->resolver.pos, "the resolver", err, errlen) : 0;
}

static int start_http(struct ib_sc_run *r, struct ib_stack *s, const struct ib_sc_node *nd,
                      char *err, size_t errlen)
{
    const struct ib_sc_http_server *h = &nd->http_server;
    struct ib_http_resource *res = calloc(h->n_files ? h->n_files : 1, sizeof(*res));
    if (!res)
        return start_fail(r, r->sc, h->pos, "the HTTP server", err, errlen);
    for (uint32_t i = 0; i < h->n_files; i++)
        res[i] = (struct ib_http_resource){.path = h->files[i].path,
                                           .content_type = h->files[i].type,
                                           .body = h->files[i].body,
                                           .len = h->files[i].len};
    int rc = add_app(r, APP_HTTP, ib_http_server_start(s, h->port, res, h->n_files, NULL));
    free(res);
    return rc ? start_fail(r, r->sc, h->pos, "the HTTP server", err, errlen) : 0;
}

static int start_node(struct ib_sc_run *r, const struct ib_sc_node *nd, char *err, size_t errlen)
{
    struct ib_stack *s = (struct ib_stack *)ib_world_node(r->w, nd->name);
    memcpy(s->resolv.servers, nd->resolv, sizeof(nd->resolv));
    s->resolv.n = nd->n_resolv;
    if (nd->nat.on) {
        struct ib_nat *nat = ib_nat_enable(s, ib_stack_netif(s, nd->ifaces[nd->nat.outside].name), NULL);
        if (!nat)
            return start_fail(r, r->sc, nd->nat.pos, "NAT", err, errlen);
        for (uint32_t i = 0; i < nd->nat.n_forwards; i++) {
            const struct ib_sc_forward *f = &nd->nat.forwards[i];
            if (ib_nat_forward(nat, f->proto, f->port, f->to, f->to_port))
                return start_fail(r, r->sc, f->pos, "this port forward", err, errlen);
        }
    }
    if (nd->dhcp_server.on) {
        const struct ib_sc_dhcp_server *d = &nd->dhcp_server;
        struct ib_dhcp_server_config cfg = {.pool_first = d->first, .pool_last = d->last,
                                            .router = d->router, .n_dns = d->n_dns,
                                            .lease_s = d->lease_s};
        memcpy(cfg.dns, d->dns, sizeof(cfg.dns));
        struct ib_netif *nif = ib_stack_netif(s, nd->ifaces[d->iface].name);
        if (add_app(r, APP_DHCP_SERVER, ib_dhcp_server_start(s, nif, &cfg)))
            return start_fail(r, r->sc, d->pos, "the DHCP server", err, errlen);
    }
    int rc = 0;
    if ((nd->dns_server.on && (rc = start_dns_server(r, s, nd, err, errlen))) ||
        (nd->resolver.on && (rc = start_resolver(r, s, nd, err, errlen))) ||
        (nd->http_server.on && (rc = start_http(r, s, nd, err, errlen))))
        return rc;
    for (uint32_t i = 0; i < nd->n_ifaces; i++) {
        if (!nd->ifaces[i].dhcp)
            continue;
        struct ib_netif *nif = ib_stack_netif(s, nd->ifaces[i].name);
        if (add_app(r, APP_DHCP_CLIENT, ib_dhcp_client_start(s, nif, NULL, NULL)))
            return start_fail(r, r->sc, nd->ifaces[i].pos, "the DHCP client", err, errlen);
    }
    return 0;
}

struct ib_sc_run *ib_scenario_start(const struct ib_scenario *sc, struct ib_world *w,
                                    ib_sc_report_fn report_fn, void *arg, char *err, size_t errlen)
{
    struct ib_sc_run *r = calloc(1, sizeof(*r));
    if (r)
        r->pending = calloc(sc->n_timeline ? sc->n_timeline : 1, sizeof(*r->pending));
    if (!r || !r->pending) {
        free(r);
        snprintf(err, errlen, "%s: out of memory", sc->file);
        return NULL;
    }
    r->sc = sc;
    r->w = w;
    r->report = report_fn;
    r->arg = arg;
    ib_timer_init(&r->timer, timeline_timer);
    for (uint32_t i = 0; i < sc->n_timeline; i++)
        r->pending[i] = (struct pending){.run = r, .item = &sc->timeline[i]};
    for (uint32_t i = 0; i < sc->n_nodes; i++) {
        if (sc->nodes[i].kind != IB_NODE_SWITCH && start_node(r, &sc->nodes[i], err, errlen)) {
            ib_scenario_stop(r);
            return NULL;
        }
    }
    if (sc->n_timeline)
        ib_timer_arm(&w->env, &r->timer, sc->timeline[0].at);
    return r;
}

static void stop_app(struct app *a)
{
    switch (a->kind) {
    case APP_DHCP_CLIENT:
        ib_dhcp_client_stop(a->obj);
        break;
    case APP_DHCP_SERVER:
        ib_dhcp_server_stop(a->obj);
        break;
    case APP_DNS_AUTH:
        ib_dns_auth_stop(a->obj);
        break;
    case APP_RESOLVER:
        ib_dns_resolver_stop(a->obj);
        break;
    case APP_HTTP:
        ib_http_server_stop(a->obj);
        break;
    }
}

void ib_scenario_stop(struct ib_sc_run *r)
{
    if (!r)
        return;
    for (uint32_t i = 0; i < r->sc->n_timeline; i++) {
        struct pending *pd = &r->pending[i];
        if (pd->fetch)
            ib_browser_cancel(pd->fetch);
        if (pd->lookup)
            ib_dns_lookup_cancel(pd->lookup);
        if (pd->item->action == IB_SC_PING && pd->stack) {
            ib_ping_stop(&pd->ping);
            ib_evq_forget(&r->w->q, &pd->ping.timer);
        }
    }
    while (r->n_apps)
        stop_app(&r->apps[--r->n_apps]);
    ib_timer_cancel(&r->timer);
    ib_evq_forget(&r->w->q, &r->timer);
    free(r->apps);
    free(r->pending);
    free(r);
}
