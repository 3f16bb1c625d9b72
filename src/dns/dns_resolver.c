/* The recursive resolver's resolution (RFC 1034 §5.3.3, RFC 1035 §7).
 *
 * A task resolves one question. Step 1 looks in the cache, following
 * CNAMEs; step 2 picks the closest zone whose servers the cache knows (or
 * the root hints); step 3 asks them one at a time, RD=0, each query from a
 * fresh random port with a random id (RFC 5452 §9.2); step 4 reads the
 * response: an answer or a negative answer ends the task, a referral makes
 * the delegated zone the next step, a CNAME restarts at step 1 with its
 * target, and a timeout or an error moves on to another server. Records
 * outside the zone being asked about are ignored (bailiwick); a referral
 * whose servers came without glue first resolves a server's address in a
 * nested task. Every query a task and its nested tasks send counts against
 * max_queries, which ends referral and CNAME loops.
 *
 * Clients asking the same question while it is being resolved wait on the
 * same task. */
#include <stdlib.h>

#include "dns/dns_resolver_int.h"

bool res_cache_walk(struct ib_dns_resolver *r, struct res_answer *a, char *name, uint16_t qtype)
{
    ib_time now = ib_now(r->s->node.env);
    for (;;) {
        const struct ib_dns_centry *e =
            ib_dns_cache_get(r->cache, now, name, qtype, IB_DNS_RANK_ANSWER);
        uint32_t ttl = e ? ib_dns_centry_ttl(e, now) : 0;
        if (e && e->negative) {
            /* RFC 2308 §5: the SOA's TTL counts down with the entry. */
            a->rcode = e->rcode;
            if (e->n) {
                a->soa = e->rr[0];
                a->soa.ttl = ttl;
                a->has_soa = true;
            }
            return true;
        }
        if (e) {
            for (uint16_t i = 0; i < e->n; i++)
                res_answer_add(a, &e->rr[i], ttl);
            a->rcode = IB_DNS_R_NOERROR;
            return true;
        }
        if (qtype == IB_DNS_T_CNAME) return false;
        e = ib_dns_cache_get(r->cache, now, name, IB_DNS_T_CNAME, IB_DNS_RANK_ANSWER);
        if (!e || e->negative || e->n == 0) return false;
        /* RFC 1034 §3.6.2: chains are followed, loops must end. */
        if (a->n_chain >= RES_MAX_CHAIN ||
            !res_answer_add(a, &e->rr[0], ib_dns_centry_ttl(e, now))) {
            a->rcode = IB_DNS_R_SERVFAIL;
            return true;
        }
        a->n_chain++;
        ib_dns_name_copy(name, e->rr[0].rd.name);
    }
}

static void task_step(struct res_task *t);
static void task_next(struct res_task *t);
static void task_timer(struct ib_timer *tm);
static const struct ib_dns_flight_ops task_flight_ops;

static struct res_task *task_new(struct ib_dns_resolver *r, const char *name, uint16_t qtype,
                                 struct res_task *parent)
{
    struct res_task *t = calloc(1, sizeof(*t));
    if (!t) return NULL;
    t->r = r;
    t->parent = parent;
    t->root = parent ? parent->root : t;
    t->depth = parent ? (uint8_t)(parent->depth + 1) : 0;
    ib_dns_name_copy(t->qname, name);
    ib_dns_name_copy(t->sname, name);
    t->qtype = qtype;
    ib_dns_flight_init(&t->fl, r->s, &task_flight_ops, t);
    ib_timer_init(&t->timer, task_timer);
    t->next = r->tasks;
    r->tasks = t;
    r->n_tasks++;
    /* Step 1 runs from the event loop, so that neither a client's query
     * nor a parent task is ever re-entered by a task that ends at once. */
    t->state = TASK_START;
    struct ib_env *env = r->s->node.env;
    ib_timer_arm(env, &t->timer, ib_now(env));
    return t;
}

static void task_end_query(struct res_task *t)
{
    ib_timer_cancel(&t->timer);
    ib_dns_flight_end(&t->fl);
}

static void task_free(struct res_task *t)
{
    struct ib_dns_resolver *r = t->r;
    for (struct res_task **pp = &r->tasks; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    }
    r->n_tasks--;
    task_end_query(t);
    ib_evq_forget(r->s->node.env->q, &t->timer);
    while (t->clients) {
        struct res_client *c = t->clients;
        t->clients = c->next;
        free(c);
    }
    res_answer_free(&t->ans);
    free(t);
}

void res_tasks_free(struct ib_dns_resolver *r)
{
    while (r->tasks)
        task_free(r->tasks);
}

/* Starts an event about the query in flight: to or from the server asked. */
static bool task_event(struct res_task *t, struct ib_event *ev, uint8_t what,
                       const struct ib_dns_msg *m, const uint8_t *data, size_t len,
                       uint32_t journey)
{
    if (!ib_dns_event(t->r->s, ev, what, data, len, journey)) return false;
    ev->u.dns.server = t->fl.server;
    ev->u.dns.qname = t->sname;
    ev->u.dns.qtype = t->qtype;
    ev->u.dns.id = t->fl.id;
    ev->u.dns.tcp = t->fl.tcp;
    if (m) {
        ev->u.dns.rcode = m->rcode;
        ev->u.dns.aa = m->aa;
    }
    return true;
}

/* A response that helps no further, or none in time (m NULL). */
static void task_failed_server(struct res_task *t, const struct ib_dns_msg *m, const uint8_t *data,
                               size_t len, uint32_t journey)
{
    struct ib_event ev;
    if (task_event(t, &ev, IB_DNS_RESPONSE_RX, m, data, len, journey)) {
        ev.u.dns.kind = IB_DNS_KIND_ERROR;
        ib_emit(t->r->s->node.env, &ev);
    }
    task_end_query(t);
    task_next(t);
}

/* A nested task found (or not) the address of one of parent's servers. */
static void task_adopt(struct res_task *parent, const struct res_task *child)
{
    const struct res_answer *a = &child->ans;
    for (uint8_t i = 0; i < parent->n_srv; i++) {
        struct res_server *sv = &parent->srv[i];
        if (sv->state != SRV_RESOLVING || !ib_dns_name_eq(sv->name, child->qname)) continue;
        sv->state = SRV_FAILED;
        for (uint16_t k = a->n_chain; a->rcode == IB_DNS_R_NOERROR && k < a->n; k++) {
            if (a->rr[k].type != IB_DNS_T_A) continue;
            if (sv->state == SRV_READY) {
                if (parent->n_srv == RES_MAX_SERVERS) break;
                struct res_server *more = &parent->srv[parent->n_srv++];
                *more = *sv;
                sv = more;
            }
            sv->addr = a->rr[k].rd.a;
            sv->state = SRV_READY;
            sv->sent = 0;
        }
    }
}

static void task_finish(struct res_task *t, uint8_t rcode)
{
    struct ib_dns_resolver *r = t->r;
    struct ib_env *env = r->s->node.env;
    t->ans.rcode = rcode;
    r->stats.resolutions++;
    if (rcode == IB_DNS_R_SERVFAIL) r->stats.servfails++;
    struct ib_event ev;
    if (ib_dns_event(r->s, &ev, IB_DNS_RESOLVED, NULL, 0, 0)) {
        ev.u.dns.kind = res_answer_kind(&t->ans, &ev.u.dns.addr, &ev.u.dns.ttl);
        ev.u.dns.rcode = rcode;
        ev.u.dns.qname = t->qname;
        ev.u.dns.qtype = t->qtype;
        ib_emit(env, &ev);
    }
    struct res_task *parent = t->parent;
    if (parent) {
        task_adopt(parent, t);
        task_free(t);
        task_next(parent);
        return;
    }
    while (t->clients) {
        struct res_client *c = t->clients;
        t->clients = c->next;
        res_respond(r, c, &t->ans);
    }
    task_free(t);
}

/* RFC 1034 §5.3.3 step 3: sends the question to server i. */
static void task_send(struct res_task *t, uint8_t i, bool tcp)
{
    struct ib_dns_resolver *r = t->r;
    struct ib_env *env = r->s->node.env;
    if (t->root->queries >= r->cfg.max_queries) {
        task_finish(t, IB_DNS_R_SERVFAIL);
        return;
    }
    t->root->queries++;
    t->step_tries++;
    t->cur = i;
    if (ib_dns_flight_send(&t->fl, t->srv[i].addr, t->sname, t->qtype, false, tcp) != 0) {
        task_next(t); /* it could not leave: the next one */
        return;
    }
    r->stats.queries_out++;
    r->stats.tcp_queries_out += tcp;
    t->state = TASK_QUERY;
    ib_timer_arm(env, &t->timer, ib_now(env) + r->cfg.timeout);
}

static void task_sent(struct ib_dns_flight *f, const uint8_t *query, size_t len, uint32_t journey)
{
    struct res_task *t = f->arg;
    struct ib_event ev;
    if (task_event(t, &ev, IB_DNS_QUERY_TX, NULL, query, len, journey))
        ib_emit(t->r->s->node.env, &ev);
}

static bool task_has_ancestor(const struct res_task *t, const char *name)
{
    for (; t; t = t->parent)
        if (t->qtype == IB_DNS_T_A && ib_dns_name_eq(t->sname, name)) return true;
    return false;
}

/* Picks who to ask next in this step: a server not asked yet, else the
 * address of a server that came without one, else a server again; gives
 * up after 1 + retries queries (RFC 1035 §7.2). */
static void task_next(struct res_task *t)
{
    struct ib_dns_resolver *r = t->r;
    for (;;) {
        if (t->step_tries > r->cfg.retries) {
            task_finish(t, IB_DNS_R_SERVFAIL);
            return;
        }
        int best = -1, need = -1;
        for (uint8_t i = 0; i < t->n_srv; i++) {
            const struct res_server *sv = &t->srv[i];
            if (sv->state == SRV_READY && (best < 0 || sv->sent < t->srv[best].sent)) best = i;
            if (sv->state == SRV_NEED_ADDR && need < 0) need = i;
        }
        if (best >= 0 && t->srv[best].sent == 0) {
            t->srv[best].sent++;
            task_send(t, (uint8_t)best, false);
            return;
        }
        if (need >= 0) {
            struct res_server *sv = &t->srv[need];
            /* A server whose address needs itself (or is too deep) cannot
             * be reached this way. */
            if (t->depth + 1u >= RES_MAX_DEPTH || task_has_ancestor(t, sv->name)) {
                sv->state = SRV_FAILED;
                continue;
            }
            sv->state = SRV_RESOLVING;
            t->state = TASK_CHILD;
            if (!task_new(r, sv->name, IB_DNS_T_A, t))
                sv->state = SRV_FAILED;
            else
                return;
            continue;
        }
        if (best >= 0) {
            t->srv[best].sent++;
            task_send(t, (uint8_t)best, false);
            return;
        }
        task_finish(t, IB_DNS_R_SERVFAIL);
        return;
    }
}

static void add_server(struct res_task *t, const char *name, ib_ip4 addr)
{
    if (t->n_srv == RES_MAX_SERVERS) return;
    struct res_server *sv = &t->srv[t->n_srv++];
    ib_dns_name_copy(sv->name, name);
    sv->addr = addr;
    sv->state = addr ? SRV_READY : SRV_NEED_ADDR;
    sv->sent = 0;
}

/* Adds the server called name with its addresses from glue (ar, only
 * records inside the zone asked: bailiwick) or else from the cache. */
static ib_ip4 add_server_named(struct res_task *t, const char *name, const struct ib_dns_rr *ar,
                               uint16_t n_ar)
{
    struct ib_dns_resolver *r = t->r;
    ib_time now = ib_now(r->s->node.env);
    ib_ip4 first = 0;
    if (ar && ib_dns_name_under(name, t->zone)) {
        ib_dns_cache_put(r->cache, now, IB_DNS_RANK_GLUE, ar, n_ar, name, IB_DNS_T_A);
        for (uint16_t k = 0; k < n_ar; k++) {
            if (ar[k].type == IB_DNS_T_A && ar[k].cls == IB_DNS_C_IN &&
                ib_dns_name_eq(ar[k].name, name)) {
                add_server(t, name, ar[k].rd.a);
                first = first ? first : ar[k].rd.a;
            }
        }
    }
    if (first) return first;
    const struct ib_dns_centry *e =
        ib_dns_cache_get(r->cache, now, name, IB_DNS_T_A, IB_DNS_RANK_GLUE);
    for (uint16_t k = 0; e && !e->negative && k < e->n; k++) {
        add_server(t, name, e->rr[k].rd.a);
        first = first ? first : e->rr[k].rd.a;
    }
    if (!first) add_server(t, name, 0);
    return first;
}

/* RFC 1034 §5.3.3 step 2: the servers of zone from a cached NS set. */
static bool task_load_cached_ns(struct res_task *t, const char *zone)
{
    struct ib_dns_resolver *r = t->r;
    struct ib_env *env = r->s->node.env;
    /* Any rank: a referral's NS set is what says where to ask. */
    const struct ib_dns_centry *e =
        ib_dns_cache_get(r->cache, ib_now(env), zone, IB_DNS_T_NS, IB_DNS_RANK_GLUE);
    if (!e || e->negative || e->n == 0) return false;
    /* Copied: looking up addresses may change the cache. */
    char names[RES_MAX_SERVERS][IB_DNS_NAME_SIZE];
    uint16_t n = e->n < RES_MAX_SERVERS ? e->n : RES_MAX_SERVERS;
    for (uint16_t i = 0; i < n; i++)
        ib_dns_name_copy(names[i], e->rr[i].rd.name);
    uint32_t ttl = ib_dns_centry_ttl(e, ib_now(env));
    ib_dns_name_copy(t->zone, zone);
    t->n_srv = 0;
    ib_ip4 first = 0;
    for (uint16_t i = 0; i < n; i++) {
        ib_ip4 a = add_server_named(t, names[i], NULL, 0);
        first = first ? first : a;
    }
    struct ib_event ev;
    if (ib_dns_event(r->s, &ev, IB_DNS_CACHE_HIT, NULL, 0, 0)) {
        ev.u.dns.kind = IB_DNS_KIND_REFERRAL;
        ev.u.dns.qname = t->sname;
        ev.u.dns.qtype = t->qtype;
        ev.u.dns.zone = t->zone;
        ev.u.dns.ns = names[0];
        ev.u.dns.addr = first;
        ev.u.dns.ttl = ttl;
        ib_emit(env, &ev);
    }
    return true;
}

static void task_step(struct res_task *t)
{
    struct ib_dns_resolver *r = t->r;
    struct ib_env *env = r->s->node.env;
    if (res_cache_walk(r, &t->ans, t->sname, t->qtype)) {
        struct ib_event ev;
        if (t->ans.rcode != IB_DNS_R_SERVFAIL &&
            ib_dns_event(r->s, &ev, IB_DNS_CACHE_HIT, NULL, 0, 0)) {
            ev.u.dns.kind = res_answer_kind(&t->ans, &ev.u.dns.addr, &ev.u.dns.ttl);
            ev.u.dns.rcode = t->ans.rcode;
            ev.u.dns.qname = t->sname;
            ev.u.dns.qtype = t->qtype;
            ib_emit(env, &ev);
        }
        task_finish(t, t->ans.rcode);
        return;
    }
    bool found = false;
    for (const char *z = t->sname; *z && !found; z = ib_dns_name_parent(z))
        found = task_load_cached_ns(t, z);
    if (!found) {
        t->zone[0] = '\0';
        t->n_srv = 0;
        for (size_t i = 0; i < r->cfg.n_hints; i++)
            add_server(t, r->hints[i].name, r->hints[i].addr);
    }
    t->step_tries = 0;
    task_next(t);
}

static void task_timer(struct ib_timer *tm)
{
    struct res_task *t = (struct res_task *)((char *)tm - offsetof(struct res_task, timer));
    if (t->state == TASK_START) {
        task_step(t);
    } else if (t->state == TASK_QUERY) {
        t->r->stats.timeouts++;
        task_failed_server(t, NULL, NULL, 0, 0);
    }
}

/* RFC 2308 §3 and §5: a negative answer lives min(SOA TTL, SOA minimum),
 * capped. */
static uint32_t neg_ttl(const struct ib_dns_resolver *r, const struct ib_dns_rr *soa)
{
    if (!soa) return 0;
    uint32_t ttl = ib_dns_ttl_clamp(soa->ttl), min = ib_dns_ttl_clamp(soa->rd.soa.minimum);
    ttl = ttl < min ? ttl : min;
    return ttl < r->cfg.neg_ttl_max ? ttl : r->cfg.neg_ttl_max;
}

static bool type_matches(uint16_t rtype, uint16_t qtype)
{
    return rtype == qtype || qtype == IB_DNS_T_ANY;
}

/* The first answer record (name, type) inside zone, or NULL. */
static const struct ib_dns_rr *find_rr(const struct ib_dns_rr *sec, uint16_t n, const char *name,
                                       uint16_t type, const char *zone)
{
    for (uint16_t i = 0; i < n; i++)
        if (type_matches(sec[i].type, type) && sec[i].cls == IB_DNS_C_IN &&
            ib_dns_name_eq(sec[i].name, name) && ib_dns_name_under(sec[i].name, zone))
            return &sec[i];
    return NULL;
}

/* RFC 2308 §3: the SOA of a negative answer, owned by a zone that holds
 * name and lies inside the zone asked. */
static const struct ib_dns_rr *find_soa(const struct ib_dns_msg *m, const char *name,
                                        const char *zone)
{
    for (uint16_t i = 0; i < m->nscount; i++)
        if (m->ns[i].type == IB_DNS_T_SOA && ib_dns_name_under(name, m->ns[i].name) &&
            ib_dns_name_under(m->ns[i].name, zone))
            return &m->ns[i];
    return NULL;
}

/* RFC 1034 §4.3.2: a referral names the servers of a zone between the one
 * asked (strictly below it, or it is no progress) and name. */
static const char *find_cut(const struct ib_dns_msg *m, const char *name, const char *zone)
{
    for (uint16_t i = 0; i < m->nscount; i++) {
        const char *z = m->ns[i].name;
        if (m->ns[i].type == IB_DNS_T_NS && ib_dns_name_under(name, z) &&
            ib_dns_name_under(z, zone) && !ib_dns_name_eq(z, zone))
            return z;
    }
    return NULL;
}

/* Moves the step down to the delegated zone cut, its servers named by the
 * referral; name is the question's name after the answer's CNAMEs. */
static void task_referral(struct res_task *t, const struct ib_dns_msg *m, const char *cut,
                          const char *name, const uint8_t *data, size_t len, uint32_t journey)
{
    struct ib_dns_resolver *r = t->r;
    struct ib_env *env = r->s->node.env;
    ib_dns_cache_put(r->cache, ib_now(env), IB_DNS_RANK_GLUE, m->ns, m->nscount, cut, IB_DNS_T_NS);
    struct ib_event ev;
    bool tracing = task_event(t, &ev, IB_DNS_RESPONSE_RX, m, data, len, journey);
    /* The glue is checked against the zone asked (the parent), then the
     * step moves down to the delegated zone. */
    t->n_srv = 0;
    ib_ip4 first = 0;
    const char *ns = NULL;
    uint32_t ttl = 0;
    for (uint16_t i = 0; i < m->nscount; i++) {
        const struct ib_dns_rr *rr = &m->ns[i];
        if (rr->type != IB_DNS_T_NS || !ib_dns_name_eq(rr->name, cut)) continue;
        ib_ip4 a = add_server_named(t, rr->rd.name, m->ar, m->arcount);
        if (!ns) ttl = ib_dns_ttl_clamp(rr->ttl);
        ns = ns ? ns : rr->rd.name;
        first = first ? first : a;
    }
    if (tracing) {
        ev.u.dns.kind = IB_DNS_KIND_REFERRAL;
        ev.u.dns.ttl = ttl; /* the delegation's (its NS set's) TTL */
        ev.u.dns.zone = cut;
        ev.u.dns.ns = ns;
        ev.u.dns.addr = first;
        ib_emit(env, &ev);
    }
    ib_dns_name_copy(t->zone, cut);
    ib_dns_name_copy(t->sname, name);
    t->step_tries = 0;
    task_end_query(t);
    task_next(t);
}

static void task_negative(struct res_task *t, const struct ib_dns_msg *m, const char *name,
                          const uint8_t *data, size_t len, uint32_t journey)
{
    struct ib_dns_resolver *r = t->r;
    struct ib_env *env = r->s->node.env;
    const struct ib_dns_rr *soa = find_soa(m, name, t->zone);
    uint32_t ttl = neg_ttl(r, soa);
    /* RFC 2308 §5: "Negative responses without SOA records SHOULD NOT be
     * cached". */
    if (soa) {
        ib_dns_cache_put_neg(r->cache, ib_now(env), name, t->qtype, m->rcode, soa, ttl);
        t->ans.soa = *soa;
        t->ans.soa.ttl = ttl;
        t->ans.has_soa = true;
    }
    struct ib_event ev;
    if (task_event(t, &ev, IB_DNS_RESPONSE_RX, m, data, len, journey)) {
        ev.u.dns.kind = m->rcode == IB_DNS_R_NXDOMAIN ? IB_DNS_KIND_NXDOMAIN : IB_DNS_KIND_NODATA;
        ev.u.dns.ttl = ttl;
        ib_emit(env, &ev);
    }
    task_finish(t, m->rcode);
}

/* A non-authoritative response that is neither an answer nor a referral
 * (its NS records are at or above the zone asked) is a lame, upward
 * referral: RFC 1034 §5.3.3 step 4d, "a servers failure or other bizarre
 * contents". */
static bool lame(const struct ib_dns_msg *m)
{
    for (uint16_t i = 0; !m->aa && i < m->nscount; i++)
        if (m->ns[i].type == IB_DNS_T_NS) return true;
    return false;
}

/* Takes a response's CNAMEs into the answer and the cache, once the
 * response is accepted. False if the answer is full. */
static bool task_chain(struct res_task *t, const struct ib_dns_msg *m,
                       const struct ib_dns_rr *const *chain, uint16_t n, uint8_t rank)
{
    struct ib_dns_resolver *r = t->r;
    uint16_t n0 = t->ans.n;
    for (uint16_t i = 0; i < n; i++) {
        if (!res_answer_add(&t->ans, chain[i], chain[i]->ttl)) {
            t->ans.n = n0;
            return false;
        }
    }
    t->ans.n_chain = (uint16_t)(t->ans.n_chain + n);
    ib_time now = ib_now(r->s->node.env);
    for (uint16_t i = 0; i < n; i++)
        ib_dns_cache_put(r->cache, now, rank, m->an, m->ancount, chain[i]->name, IB_DNS_T_CNAME);
    return true;
}

/* RFC 1034 §5.3.3 step 4: what the response says. */
static void task_response(struct res_task *t, const struct ib_dns_msg *m, const uint8_t *data,
                          size_t len, uint32_t journey)
{
    struct ib_dns_resolver *r = t->r;
    struct ib_env *env = r->s->node.env;
    ib_time now = ib_now(env);
    ib_timer_cancel(&t->timer);
    struct ib_event ev;
    /* RFC 7766 §5 (RFC 1123 §6.1.3.2): truncated over UDP, ask again over
     * TCP, the same server. */
    if (m->tc && !t->fl.tcp) {
        if (task_event(t, &ev, IB_DNS_RESPONSE_RX, m, data, len, journey)) {
            ev.u.dns.kind = IB_DNS_KIND_TRUNCATED;
            ib_emit(env, &ev);
        }
        task_end_query(t);
        task_send(t, t->cur, true);
        return;
    }
    if (m->rcode != IB_DNS_R_NOERROR && m->rcode != IB_DNS_R_NXDOMAIN) {
        task_failed_server(t, m, data, len, journey);
        return;
    }
    uint8_t rank = m->aa ? IB_DNS_RANK_AUTH : IB_DNS_RANK_ANSWER;
    char name[IB_DNS_NAME_SIZE];
    ib_dns_name_copy(name, t->sname);
    /* The CNAMEs in the answer, inside the zone asked; set aside until the
     * response is found acceptable, so a rejected one leaves nothing. */
    const struct ib_dns_rr *chain[RES_MAX_CHAIN];
    uint16_t n_chain = 0;
    const struct ib_dns_rr *cn;
    while (!find_rr(m->an, m->ancount, name, t->qtype, t->zone) && t->qtype != IB_DNS_T_CNAME &&
           (cn = find_rr(m->an, m->ancount, name, IB_DNS_T_CNAME, t->zone))) {
        /* RFC 1034 §3.6.2: chains are followed, loops must end. */
        if (t->ans.n_chain + n_chain >= RES_MAX_CHAIN) {
            task_failed_server(t, m, data, len, journey);
            return;
        }
        chain[n_chain++] = cn;
        ib_dns_name_copy(name, cn->rd.name);
    }
    const struct ib_dns_rr *hit = find_rr(m->an, m->ancount, name, t->qtype, t->zone);
    const char *cut = hit || m->rcode == IB_DNS_R_NXDOMAIN ? NULL : find_cut(m, name, t->zone);
    bool alias = n_chain && !find_soa(m, name, t->zone);
    if ((!hit && m->rcode == IB_DNS_R_NOERROR && !cut && !alias && lame(m)) ||
        !task_chain(t, m, chain, n_chain, rank)) {
        task_failed_server(t, m, data, len, journey);
        return;
    }
    if (hit) {
        ib_dns_cache_put(r->cache, now, rank, m->an, m->ancount, name, t->qtype);
        for (uint16_t i = 0; i < m->ancount; i++)
            if (find_rr(&m->an[i], 1, name, t->qtype, t->zone))
                res_answer_add(&t->ans, &m->an[i], m->an[i].ttl);
        ib_dns_name_copy(t->sname, name);
        if (task_event(t, &ev, IB_DNS_RESPONSE_RX, m, data, len, journey)) {
            ev.u.dns.kind = res_answer_kind(&t->ans, &ev.u.dns.addr, &ev.u.dns.ttl);
            ib_emit(env, &ev);
        }
        task_finish(t, IB_DNS_R_NOERROR);
        return;
    }
    /* RFC 2308 §2.1: NXDOMAIN is about the last name of the chain. */
    if (m->rcode == IB_DNS_R_NXDOMAIN) {
        task_negative(t, m, name, data, len, journey);
        return;
    }
    if (cut) {
        task_referral(t, m, cut, name, data, len, journey);
        return;
    }
    if (alias) {
        /* RFC 1034 §5.3.3 step 4c: the alias leads elsewhere; step 1 again
         * with its target. The event names the question that was asked. */
        if (task_event(t, &ev, IB_DNS_RESPONSE_RX, m, data, len, journey)) {
            ev.u.dns.kind = IB_DNS_KIND_CNAME;
            ev.u.dns.ns = name;
            ev.u.dns.ttl = t->ans.rr[t->ans.n - 1].ttl;
            ib_emit(env, &ev);
        }
        task_end_query(t);
        ib_dns_name_copy(t->sname, name);
        task_step(t);
        return;
    }
    /* RFC 2308 §2.2: NODATA carries an SOA, or nothing. */
    task_negative(t, m, name, data, len, journey);
}

static void task_answer(struct ib_dns_flight *f, const struct ib_dns_msg *m, const uint8_t *b,
                        size_t len, uint32_t journey)
{
    task_response(f->arg, m, b, len, journey);
}

static void task_flight_failed(struct ib_dns_flight *f, int err)
{
    task_failed_server(f->arg, NULL, NULL, 0, 0);
}

static const struct ib_dns_flight_ops task_flight_ops = {
    .sent = task_sent,
    .answer = task_answer,
    .failed = task_flight_failed,
};

static bool same_client(const struct res_client *a, const struct res_client *b)
{
    return a->addr == b->addr && a->port == b->port && a->id == b->id && a->conn == b->conn;
}

bool res_resolve(struct ib_dns_resolver *r, struct res_client *c)
{
    for (struct res_task *t = r->tasks; t; t = t->next) {
        if (t->parent || t->qtype != c->qtype || !ib_dns_name_eq(t->qname, c->qname)) continue;
        for (struct res_client *w = t->clients; w; w = w->next) {
            if (same_client(w, c)) {
                free(c); /* a retransmission: its answer is on the way */
                return true;
            }
        }
        if (t->n_clients >= RES_MAX_WAITING) return false;
        r->stats.merged++;
        c->next = t->clients;
        t->clients = c;
        t->n_clients++;
        return true;
    }
    struct res_task *t = r->n_tasks < RES_MAX_TASKS ? task_new(r, c->qname, c->qtype, NULL) : NULL;
    if (!t) return false;
    t->clients = c;
    t->n_clients = 1;
    return true;
}
