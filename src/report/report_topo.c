/* What the report knows besides events: the topology (nodes, interfaces,
 * links), the state of each node's interfaces and routing table at the end
 * of the run, and the story's text in every language. */
#include "report_int.h"

#include <stdlib.h>

#include "inetbox/world.h"

static int add_link(struct ib_report *r, const struct ib_link *l)
{
    uint32_t a = rp_nif(r, l->end[0].nif);
    uint32_t b = rp_nif(r, l->end[1].nif);
    if (a == RP_NONE || b == RP_NONE) return IB_ERR_NOMEM;
    if (r->nifs[a].link != RP_NONE) return IB_OK; /* added before */
    if (!rp_grow((void **)&r->links, &r->cap_links, r->n_links, sizeof(*r->links)))
        return IB_ERR_NOMEM;
    r->links[r->n_links] = (struct rp_link){a, b, l->p};
    r->nifs[a].link = r->nifs[b].link = r->n_links++;
    r->nifs[a].peer = b;
    r->nifs[b].peer = a;
    return IB_OK;
}

int ib_report_add_world(struct ib_report *r, const struct ib_world *w)
{
    for (uint32_t i = 0; i < w->n_nodes; i++)
        if (rp_node(r, w->nodes[i]) == RP_NONE) return IB_ERR_NOMEM;
    for (uint32_t i = 0; i < w->n_nifs; i++)
        if (rp_nif(r, w->nifs[i]) == RP_NONE) return IB_ERR_NOMEM;
    for (uint32_t i = 0; i < w->n_links; i++)
        if (add_link(r, w->links[i]) != IB_OK) return IB_ERR_NOMEM;
    return IB_OK;
}

int ib_report_add_node(struct ib_report *r, const struct ib_node *n)
{
    if (rp_node(r, n) == RP_NONE) return IB_ERR_NOMEM;
    if (n->kind == IB_NODE_SWITCH) {
        const struct ib_bridge *b = (const struct ib_bridge *)n;
        for (uint8_t i = 0; i < b->n_ports; i++)
            if (rp_nif(r, b->ports[i]) == RP_NONE) return IB_ERR_NOMEM;
        return IB_OK;
    }
    const struct ib_stack *s = (const struct ib_stack *)n;
    for (uint16_t i = 0; i < s->n_nifs; i++)
        if (rp_nif(r, s->nifs[i]) == RP_NONE) return IB_ERR_NOMEM;
    return IB_OK;
}

/* The routing table as it is now. A route through an interface whose
 * address came from a DHCP lease came with the lease (RFC 2132 §3.3, §3.5:
 * the subnet and the router options). */
static int snapshot_routes(struct ib_report *r, uint32_t node, struct ib_stack *s)
{
    uint32_t n;
    const struct ib_route *rt = ib_fib_routes(&s->fib, &n);
    r->nodes[node].first_route = r->n_routes;
    for (uint32_t i = 0; i < n; i++) {
        if (!rp_grow((void **)&r->routes, &r->cap_routes, r->n_routes, sizeof(*r->routes)))
            return IB_ERR_NOMEM;
        ib_time since = 0;
        uint32_t nif = rt[i].ifindex < s->n_nifs ? rp_nif(r, s->nifs[rt[i].ifindex]) : RP_NONE;
        if (nif != RP_NONE && r->nifs[nif].dhcp_since > 0) since = r->nifs[nif].dhcp_since;
        r->routes[r->n_routes++] = (struct rp_route){rt[i], nif, since};
        r->nodes[node].n_routes++;
    }
    return IB_OK;
}

int ib_report_snapshot(struct ib_report *r)
{
    int rc = IB_OK;
    for (uint32_t i = 0; i < r->n_nifs; i++) {
        struct rp_nif *n = &r->nifs[i];
        if (!n->nif) continue; /* a second snapshot */
        n->addr = n->nif->addr;
        n->plen = n->nif->plen;
        n->mtu = n->nif->mtu;
        n->mac = n->nif->mac;
    }
    for (uint32_t i = 0; i < r->n_nodes; i++)
        if (r->nodes[i].n && ib_now(r->nodes[i].n->env) > r->end)
            r->end = ib_now(r->nodes[i].n->env);
    /* New interfaces may be interned on the way: index, not pointer. */
    for (uint32_t i = 0; i < r->n_nodes && rc == IB_OK; i++) {
        struct rp_node *rn = &r->nodes[i];
        if (rn->n && rn->kind != IB_NODE_SWITCH)
            rc = snapshot_routes(r, i, (struct ib_stack *)(uintptr_t)rn->n);
    }
    for (uint32_t i = 0; i < r->n_nodes; i++)
        r->nodes[i].n = NULL;
    for (uint32_t i = 0; i < r->n_nifs; i++)
        r->nifs[i].nif = NULL;
    rp_map_free(&r->node_map);
    rp_map_free(&r->nif_map);
    r->frozen = true;
    return rc;
}

/* s formatted by fmt(arg, lang, buf, cap), copied into the string arena. */
static uint32_t text_of(struct ib_report *r, const void *arg, unsigned n, enum ib_lang lang,
                        size_t (*fmt)(const void *, unsigned, enum ib_lang, char *, size_t))
{
    size_t len = fmt(arg, n, lang, NULL, 0);
    char *buf = malloc(len + 1);
    if (!buf) {
        r->nomem = true;
        return 0;
    }
    fmt(arg, n, lang, buf, len + 1);
    uint32_t off = rp_str(r, buf);
    free(buf);
    return off;
}

static size_t fmt_heading(const void *st, unsigned step, enum ib_lang lang, char *buf, size_t cap)
{
    return ib_story_heading(st, step, lang, buf, cap);
}

static size_t fmt_line(const void *l, unsigned unused, enum ib_lang lang, char *buf, size_t cap)
{
    return ib_story_format(l, lang, buf, cap);
}

int ib_report_set_story(struct ib_report *r, const struct ib_story *st)
{
    const struct ib_story_line *lines;
    size_t n = ib_story_lines(st, &lines);
    r->n_lines = 0;
    for (unsigned lang = 0; lang < IB_LANG_COUNT; lang++)
        for (unsigned step = 0; step <= IB_STEP_COUNT; step++) {
            uint32_t off = text_of(r, st, step, (enum ib_lang)lang, fmt_heading);
            if (step == 0)
                r->story_title[lang] = off;
            else
                r->story_steps[step][lang] = off;
        }
    for (size_t i = 0; i < n; i++) {
        if (!rp_grow((void **)&r->lines, &r->cap_lines, r->n_lines, sizeof(*r->lines)))
            return IB_ERR_NOMEM;
        struct rp_story_line *l = &r->lines[r->n_lines++];
        l->l = lines[i];
        for (unsigned lang = 0; lang < IB_LANG_COUNT; lang++)
            l->text[lang] = text_of(r, &lines[i], 0, (enum ib_lang)lang, fmt_line);
    }
    r->has_story = true;
    return r->nomem ? IB_ERR_NOMEM : IB_OK;
}
