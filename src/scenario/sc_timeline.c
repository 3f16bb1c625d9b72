/* The timeline: what happens when, once the network is up. Each item is
 * one action at a simulated time; items are kept sorted by time (a stable
 * sort, so actions at the same time run in file order). */
#include <stdlib.h>
#include <string.h>

#include "sc_parse.h"

static const char *const item_keys[] = {"at", "node", "fetch", "resolve", "ping", "count",
                                        "link-down", "link-up"};
enum { IK_AT, IK_NODE, IK_FETCH, IK_RESOLVE, IK_PING, IK_COUNT, IK_DOWN, IK_UP, IK__N };

static int find_node(struct sp *p, yaml_node_t *n, uint32_t *out)
{
    const struct ib_scenario *sc = p->sc;
    for (uint32_t i = 0; sc_is_text(n) && i < sc->n_nodes; i++) {
        if (strcmp(sc->nodes[i].name, sc_str(n)) != 0)
            continue;
        if (sc->nodes[i].kind == IB_NODE_SWITCH)
            return sc_expected(p, n, "a host or router (a switch runs no applications)");
        *out = i;
        return 0;
    }
    return sc_expected(p, n, "a node listed under nodes:");
}

/* A link named by one of its endpoints. */
static int find_link(struct sp *p, yaml_node_t *n, uint32_t *out)
{
    const struct ib_scenario *sc = p->sc;
    const char *s = sc_is_text(n) ? sc_str(n) : "";
    const char *colon = strchr(s, ':');
    for (uint32_t i = 0; colon && i < sc->n_links; i++) {
        for (int k = 0; k < 2; k++) {
            const struct ib_sc_endpoint *e = &sc->links[i].ep[k];
            const char *name = sc->nodes[e->node].name;
            if (strlen(name) == (size_t)(colon - s) && memcmp(name, s, strlen(name)) == 0 &&
                strcmp(e->ifname, colon + 1) == 0) {
                *out = i;
                return 0;
            }
        }
    }
    return sc_expected(p, n, "an endpoint of a link such as \"r1:eth1\"");
}

static int parse_item(struct sp *p, void *ctx, yaml_node_t *kn, yaml_node_t *vn)
{
    struct ib_scenario *sc = p->sc;
    int err = sc_grow((void **)&sc->timeline, sc->n_timeline, sizeof(*sc->timeline));
    if (err)
        return err;
    struct ib_sc_action_item *it = &sc->timeline[sc->n_timeline++];
    memset(it, 0, sizeof(*it));
    it->pos = sc_pos_of(vn);
    yaml_node_t *v[IK__N];
    struct ib_sc_pos kp[IK__N];
    err = sc_read_map(p, vn, "a timeline item", item_keys, IK__N,
                      "at, node, fetch, resolve, ping, count, link-down and link-up", v, kp, false);
    if (err)
        return err;
    if (!v[IK_AT])
        return sc_fail(p, it->pos, "a timeline item needs at: (a time such as 2s)");
    if ((err = sc_duration(p, v[IK_AT], &it->at)))
        return err;
    int actions = 0, which = -1;
    for (int k = IK_FETCH; k < IK__N; k++) {
        if (k == IK_COUNT || !v[k])
            continue;
        if (actions++)
            return sc_fail(p, kp[k], "one action per timeline item; this one already has %s",
                           item_keys[which]);
        which = k;
    }
    if (!actions)
        return sc_fail(p, it->pos, "a timeline item needs an action: fetch, resolve, ping, "
                                   "link-down or link-up");
    if (v[IK_COUNT] && which != IK_PING)
        return sc_fail(p, kp[IK_COUNT], "count: goes with ping:");
    bool needs_node = which == IK_FETCH || which == IK_RESOLVE || which == IK_PING;
    if (needs_node && !v[IK_NODE])
        return sc_fail(p, it->pos, "%s needs node: (who does it)", item_keys[which]);
    if (!needs_node && v[IK_NODE])
        return sc_fail(p, kp[IK_NODE], "%s takes no node: (the link is named by an endpoint)",
                       item_keys[which]);
    if (needs_node && (err = find_node(p, v[IK_NODE], &it->node)))
        return err;
    yaml_node_t *a = v[which];
    switch (which) {
    case IK_FETCH:
    case IK_RESOLVE:
        it->action = which == IK_FETCH ? IB_SC_FETCH : IB_SC_RESOLVE;
        if (!sc_is_text(a) || a->data.scalar.length == 0 || a->data.scalar.length >= sizeof(it->arg))
            return sc_expected(p, a, which == IK_FETCH ? "a URL such as http://www.google.com/"
                                                       : "a name such as www.google.com");
        strcpy(it->arg, sc_str(a));
        return 0;
    case IK_PING:
        it->action = IB_SC_PING;
        it->count = 3;
        if ((err = sc_ip4(p, a, "an address to ping such as 10.0.2.10", &it->addr)))
            return err;
        if (v[IK_COUNT]) {
            uint64_t u;
            if ((err = sc_uint(p, v[IK_COUNT], 1, 100000, "a count from 1 to 100000", &u)))
                return err;
            it->count = (uint32_t)u;
        }
        return 0;
    default:
        it->action = which == IK_DOWN ? IB_SC_LINK_DOWN : IB_SC_LINK_UP;
        return find_link(p, a, &it->link);
    }
}

static int by_time(const void *a, const void *b)
{
    const struct ib_sc_action_item *x = a, *y = b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    /* Ties keep file order: positions grow through the file. */
    if (x->pos.line != y->pos.line)
        return x->pos.line < y->pos.line ? -1 : 1;
    return x->pos.col < y->pos.col ? -1 : x->pos.col > y->pos.col;
}

int sc_parse_timeline(struct sp *p, yaml_node_t *v)
{
    struct ib_scenario *sc = p->sc;
    int err = sc_each(p, v, YAML_SEQUENCE_NODE,
                      "a list of actions such as [{at: 2s, node: laptop, fetch: "
                      "http://www.google.com/}]",
                      parse_item, NULL);
    if (err)
        return err;
    qsort(sc->timeline, sc->n_timeline, sizeof(*sc->timeline), by_time);
    for (uint32_t i = 0; i < sc->n_timeline; i++)
        if (sc->stop != IB_TIME_NEVER && sc->timeline[i].at > sc->stop)
            return sc_fail(p, sc->timeline[i].pos, "this action comes after stop: and would never run");
    return 0;
}
