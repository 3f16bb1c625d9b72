/* tcpscript: runs packetdrill-style scripts (tests/tcp/scripts/NAME.pkt)
 * against one inetbox stack in the simulator.
 *
 * The stack is host 10.0.0.1/24 with one interface on a fake driver that
 * keeps every frame it is given, and a static ARP entry for the peer
 * 10.0.0.2, so no ARP traffic gets in the way. The script plays the peer:
 * '<' lines build a frame (Ethernet, IPv4, TCP with a correct checksum) and
 * hand it to the interface at their time; '>' lines take the next frame
 * the stack sent and compare it with the expected segment, its time within
 * a tolerance. The peer's sequence numbers are relative to `riss`, ours to
 * the ISS learned from the first SYN we send on a 4-tuple, like packetdrill.
 * Payload bytes follow a position-dependent pattern, so every byte the stack
 * sends or delivers to the application is checked.
 *
 * Usage: tcpscript [-v] [--expect-fail TEXT] SCRIPT...
 * Exit status 0 when every script passed, 1 otherwise. With --expect-fail
 * a script must fail with a message containing TEXT (the runner's own
 * tests). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inetbox/eth.h"
#include "inetbox/stack.h"
#include "inetbox/tcpdump.h"
#include "tcp/tcpscript.h"
#include "transport/tcp_int.h"

#define HOST IB_IP4(10, 0, 0, 1)
#define PEER IB_IP4(10, 0, 0, 2)
static const struct ib_mac host_mac = {{0x02, 0, 0, 0, 0, 0x01}};
static const struct ib_mac peer_mac = {{0x02, 0, 0, 0, 0, 0x02}};

#define MAX_FLOWS 64
#define MAX_CONNS 64
#define LOG_LINES 24
#define MSG_MAX 2048
#define ISS_SPAN 4096u

struct cap {
    struct ib_pkt *p;
    ib_time t;
};

/* Sequence bases of one 4-tuple (our port, the peer's port). */
struct flow {
    uint16_t lport, rport;
    bool iss_known, tsval_known;
    uint32_t iss, tsval; /* our ISS; the last TSval we sent */
};

struct conn {
    struct ib_tcp *c;
    bool released, connected;
    int err;
    uint64_t sent, read; /* bytes the app wrote and read */
};

struct run {
    const struct ts_script *sc;
    const struct ts_line *line;
    bool verbose, failed;
    char msg[MSG_MAX];
    struct ib_evq *q;
    struct ib_env env;
    struct ib_trace trace;
    struct ib_stack s;
    struct ib_netif nif;
    struct ib_tcp_config tcfg;
    struct cap *caps;
    size_t ncap, capcap, chead;
    struct flow flows[MAX_FLOWS];
    int nflows;
    struct conn conns[MAX_CONNS];
    int nconns, cur; /* cur: index of the connection verbs act on, -1 none */
    struct ib_tcp *listener;
    uint16_t lport, rport; /* default ports of segments */
    unsigned accepted;
    uint16_t ip_id;
    ib_time ref; /* time of the previous line (a '>' line: when it was sent) */
    char log[LOG_LINES][200];
    unsigned nlog;
};

/* Payload bytes by relative sequence number: ours and the peer's differ. */
static uint8_t pat_local(uint32_t pos)
{
    return (uint8_t)((pos * 2654435761u) >> 24);
}
static uint8_t pat_remote(uint32_t pos)
{
    return (uint8_t)((pos * 40503u + 17u) >> 3);
}

static void logf_(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(struct run *r, const char *fmt, ...)
{
    char *b = r->log[r->nlog++ % LOG_LINES];
    int n = snprintf(b, 200, "%10.6f ", (double)ib_now(&r->env) / 1e9);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b + n, 200 - (size_t)n, fmt, ap);
    va_end(ap);
    if (r->verbose) printf("  %s\n", b);
}

static int fail(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct run *r, const char *fmt, ...)
{
    if (r->failed) return -1;
    r->failed = true;
    int n = 0;
    if (r->line)
        n = snprintf(r->msg, MSG_MAX, "%s:%d: FAIL at %.6f: ", r->sc->path, r->line->lineno,
                     (double)ib_now(&r->env) / 1e9);
    else
        n = snprintf(r->msg, MSG_MAX, "%s: FAIL: ", r->sc->path);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg + n, MSG_MAX - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static void describe(const struct ib_pkt *p, char *buf, size_t cap)
{
    ib_tcpdump_frame(p->data, p->len, buf, cap);
}

static struct flow *flow_get(struct run *r, uint16_t lport, uint16_t rport)
{
    for (int i = 0; i < r->nflows; i++)
        if (r->flows[i].lport == lport && r->flows[i].rport == rport) return &r->flows[i];
    if (r->nflows == MAX_FLOWS) return NULL;
    struct flow *f = &r->flows[r->nflows++];
    memset(f, 0, sizeof(*f));
    f->lport = lport;
    f->rport = rport;
    return f;
}

static struct conn *conn_of(struct run *r, const struct ib_tcp *c)
{
    for (int i = 0; i < r->nconns; i++)
        if (r->conns[i].c == c && !r->conns[i].released) return &r->conns[i];
    return NULL;
}

static struct conn *conn_add(struct run *r, struct ib_tcp *c)
{
    if (r->nconns == MAX_CONNS) return NULL;
    struct conn *k = &r->conns[r->nconns++];
    memset(k, 0, sizeof(*k));
    k->c = c;
    r->cur = r->nconns - 1;
    return k;
}

static void on_accepted(struct ib_tcp *listener, struct ib_tcp *c, void *arg)
{
    struct run *r = arg;
    r->accepted++;
    uint16_t lport, rport;
    ib_ip4 la, ra;
    ib_tcp_endpoints(c, &la, &lport, &ra, &rport);
    logf_(r, "app: accepted %u <- %u", lport, rport);
    if (!conn_add(r, c)) fail(r, "too many connections");
}

static void on_connected(struct ib_tcp *c, void *arg)
{
    struct run *r = arg;
    struct conn *k = conn_of(r, c);
    logf_(r, "app: connected");
    if (k) k->connected = true;
}

static void on_readable(struct ib_tcp *c, void *arg)
{
    logf_(arg, "app: readable (%zu bytes%s)", ib_tcp_readable(c), ib_tcp_eof(c) ? ", eof" : "");
}

static void on_error(struct ib_tcp *c, int err, void *arg)
{
    struct run *r = arg;
    struct conn *k = conn_of(r, c);
    logf_(r, "app: error %s", ib_err_str(err));
    if (k) k->err = err;
}

static const struct ib_tcp_ops app_ops = {
    .accepted = on_accepted,
    .connected = on_connected,
    .readable = on_readable,
    .error = on_error,
};

static void observe(void *ctx, const struct ib_event *e)
{
    struct run *r = ctx;
    if (e->kind == IB_EV_TCP_STATE)
        logf_(r, "tcp %u>%u: %s -> %s", e->u.tcp.lport, e->u.tcp.rport,
              ib_tcp_state_name((enum ib_tcp_state)e->u.tcp.old_state),
              ib_tcp_state_name((enum ib_tcp_state)e->u.tcp.new_state));
    else if (e->kind == IB_EV_DROP)
        logf_(r, "drop %s", ib_drop_name(e->reason));
    else if (e->kind == IB_EV_TCP_RETRANSMIT)
        logf_(r, "retransmit seq %" PRIu32, e->u.tcp.seq);
}

static void drv_xmit(struct ib_netif *nif, struct ib_pkt *p)
{
    struct run *r = nif->drv;
    if (r->ncap == r->capcap) {
        size_t n = r->capcap ? r->capcap * 2 : 64;
        struct cap *nc = realloc(r->caps, n * sizeof(*nc));
        if (!nc) {
            ib_pkt_free(p);
            fail(r, "out of memory");
            return;
        }
        r->caps = nc;
        r->capcap = n;
    }
    r->caps[r->ncap++] = (struct cap){p, ib_now(&r->env)};
    if (r->verbose) {
        char d[512];
        describe(p, d, sizeof(d));
        logf_(r, "> %s", d);
    }
}

static const struct ib_netif_ops drv_ops = {.xmit = drv_xmit};

/* Key search for `config iss=X`: our ISN for the coming SYN lands in
 * [X, X + ISS_SPAN) so that scripts can move data across the 2^32 wrap. */
static void steer_iss(struct run *r, uint16_t lport, uint16_t rport)
{
    struct ib_tcp_stack *ts = r->s.tcp;
    if (!ts) return;
    ib_time now = ib_now(&r->env);
    for (uint64_t k = 1; k < 100000000u; k++) {
        memcpy(ts->isn_key, &k, sizeof(k));
        uint32_t isn = ib_tcp_isn(ts, now, HOST, lport, PEER, rport);
        if (isn - r->sc->cfg.iss < ISS_SPAN) return;
    }
}

static size_t build_opts(struct run *r, const struct ts_seg *s, const struct flow *f, uint8_t *o)
{
    size_t n = 0;
    uint32_t base = f->iss_known ? f->iss : 0;
    for (unsigned i = 0; i < s->nopt; i++) {
        const struct ts_opt *x = &s->opt[i];
        uint8_t b[40];
        size_t k = 0;
        switch (x->kind) {
        case TS_OPT_NOP:
            b[k++] = 1;
            break;
        case TS_OPT_EOL:
            b[k++] = 0;
            break;
        case TS_OPT_MSS:
            b[k++] = 2, b[k++] = 4;
            ib_put16(b + k, (uint16_t)x->a.v);
            k += 2;
            break;
        case TS_OPT_WSCALE:
            b[k++] = 3, b[k++] = 3, b[k++] = (uint8_t)x->a.v;
            break;
        case TS_OPT_SACKOK:
            b[k++] = 4, b[k++] = 2;
            break;
        case TS_OPT_TS:
            b[k++] = 8, b[k++] = 10;
            ib_put32(b + k, (uint32_t)x->a.v);
            if (x->b.any && !f->tsval_known) {
                fail(r, "'ecr *' but the stack sent no timestamp yet");
                return 0;
            }
            ib_put32(b + k + 4, x->b.any ? f->tsval : (uint32_t)x->b.v);
            k += 8;
            break;
        case TS_OPT_SACK:
            b[k++] = 5, b[k++] = (uint8_t)(2 + 8 * x->nblk);
            for (unsigned j = 0; j < x->nblk; j++, k += 8) {
                ib_put32(b + k, base + (uint32_t)x->blk[j][0].v);
                ib_put32(b + k + 4, base + (uint32_t)x->blk[j][1].v);
            }
            break;
        }
        if (n + k > 40) {
            fail(r, "options longer than 40 bytes");
            return 0;
        }
        memcpy(o + n, b, k);
        n += k;
    }
    while (n % 4)
        o[n++] = 0; /* EOL padding (RFC 9293 §3.1) */
    return n;
}

static int inject(struct run *r, const struct ts_line *l)
{
    const struct ts_seg *s = &l->seg;
    uint16_t sport = s->has_sport ? s->sport : r->rport;
    uint16_t dport = s->has_dport ? s->dport : r->lport;
    struct flow *f = flow_get(r, dport, sport);
    if (!f) return fail(r, "too many 4-tuples");
    if (r->sc->cfg.iss_near && (s->flags & IB_TCP_SYN) && !(s->flags & IB_TCP_ACK) && !f->iss_known)
        steer_iss(r, dport, sport);
    uint8_t opts[40];
    size_t olen = build_opts(r, s, f, opts);
    if (r->failed) return -1;
    size_t plen = (size_t)s->len.v;
    size_t tlen = IB_TCP_HLEN + olen + plen;
    struct ib_pkt *p = ib_pkt_alloc(r->env.pool, IB_PKT_HEADROOM, IB_ETH_HLEN + IB_IP4_HLEN + tlen);
    if (!p) return fail(r, "out of packet memory");
    uint8_t *eth = p->data, *ip = eth + IB_ETH_HLEN, *tcp = ip + IB_IP4_HLEN;
    struct ib_tcp_hdr h = {
        .sport = sport,
        .dport = dport,
        .seq = r->sc->cfg.riss + (uint32_t)s->seq.v,
        .ack = s->has_ack ? (f->iss_known ? f->iss : 0) + (uint32_t)s->ack.v : 0,
        .flags = s->flags,
        .wnd = s->has_win ? (uint16_t)s->win.v : 65535,
    };
    ib_tcp_emit(&h, tcp);
    tcp[12] = (uint8_t)(((IB_TCP_HLEN + olen) / 4) << 4);
    memcpy(tcp + IB_TCP_HLEN, opts, olen);
    uint32_t pos = (uint32_t)s->seq.v + ((s->flags & IB_TCP_SYN) ? 1u : 0u);
    for (size_t j = 0; j < plen; j++)
        tcp[IB_TCP_HLEN + olen + j] = pat_remote(pos + (uint32_t)j);
    ib_tcp_fill_csum(tcp, tlen, PEER, HOST);
    struct ib_ip4_hdr iph = {.hlen = IB_IP4_HLEN,
                             .tot_len = (uint16_t)(IB_IP4_HLEN + tlen),
                             .id = r->ip_id++,
                             .frag = IB_IP4_DF,
                             .ttl = 64,
                             .proto = IB_IPPROTO_TCP,
                             .src = PEER,
                             .dst = HOST};
    ib_ip4_emit(&iph, ip);
    struct ib_eth_hdr eh = {.dst = host_mac, .src = peer_mac, .type = IB_ETHERTYPE_IP4};
    ib_eth_emit(&eh, eth);
    char d[512];
    describe(p, d, sizeof(d));
    logf_(r, "< %s", d);
    ib_netif_receive(&r->nif, p);
    return r->failed ? -1 : 0;
}

static bool num_ok(const struct ts_num *n, uint32_t v)
{
    return n->any || (uint32_t)n->v == v;
}

static int cmp_opts(struct run *r, const struct ts_seg *s, const struct ib_tcp_opts *o,
                    const char *what)
{
    bool mss = false, ws = false, sok = false, ts = false, sack = false;
    for (unsigned i = 0; i < s->nopt; i++) {
        const struct ts_opt *x = &s->opt[i];
        switch (x->kind) {
        case TS_OPT_NOP:
        case TS_OPT_EOL:
            break;
        case TS_OPT_MSS:
            mss = true;
            if (!o->has_mss || !num_ok(&x->a, o->mss))
                return fail(r, "MSS option differs\n%s", what);
            break;
        case TS_OPT_WSCALE:
            ws = true;
            if (!o->has_wscale || !num_ok(&x->a, o->wscale))
                return fail(r, "window scale option differs\n%s", what);
            break;
        case TS_OPT_SACKOK:
            sok = true;
            if (!o->sack_ok) return fail(r, "SACK-permitted option missing\n%s", what);
            break;
        case TS_OPT_TS:
            ts = true;
            if (!o->has_ts || !num_ok(&x->a, o->ts_val) || !num_ok(&x->b, o->ts_ecr))
                return fail(r, "timestamp option differs\n%s", what);
            break;
        case TS_OPT_SACK:
            sack = true;
            if (o->nsack != x->nblk)
                return fail(r, "%u SACK blocks expected, %u sent\n%s", x->nblk, o->nsack, what);
            for (unsigned j = 0; j < x->nblk; j++)
                if (!num_ok(&x->blk[j][0], o->sack[j].start - r->sc->cfg.riss) ||
                    !num_ok(&x->blk[j][1], o->sack[j].end - r->sc->cfg.riss))
                    return fail(
                        r, "SACK block %u differs (sent %" PRIu32 ":%" PRIu32 " relative)\n%s", j,
                        o->sack[j].start - r->sc->cfg.riss, o->sack[j].end - r->sc->cfg.riss, what);
            break;
        }
    }
    if (o->has_mss != mss || o->has_wscale != ws || o->sack_ok != sok || o->has_ts != ts ||
        (o->nsack != 0) != sack)
        return fail(r, "options differ (an option was sent that the script does not list)\n%s",
                    what);
    return 0;
}

static int expect(struct run *r, const struct ts_line *l, ib_time lo, ib_time hi)
{
    while (r->chead == r->ncap && !r->failed)
        if (!ib_evq_run_one(r->q, hi))
            return fail(r, "expected by %.6f: %s\n  nothing was sent", (double)hi / 1e9, l->text);
    if (r->failed) return -1;
    struct cap *cp = &r->caps[r->chead++];
    struct ib_pkt *p = cp->p;
    char d[512], what[MSG_MAX / 2];
    describe(p, d, sizeof(d));
    snprintf(what, sizeof(what), "  expected: %s (in [%.6f, %.6f])\n  actual:   %.6f %s", l->text,
             (double)lo / 1e9, (double)hi / 1e9, (double)cp->t / 1e9, d);
    if (cp->t < lo || cp->t > hi) return fail(r, "segment sent at the wrong time\n%s", what);
    struct ib_eth_hdr eh;
    struct ib_ip4_hdr ih;
    struct ib_tcp_hdr th;
    if (ib_eth_parse(p->data, p->len, &eh) || eh.type != IB_ETHERTYPE_IP4 ||
        ib_ip4_parse(p->data + IB_ETH_HLEN, p->len - IB_ETH_HLEN, &ih) ||
        ih.proto != IB_IPPROTO_TCP)
        return fail(r, "not a TCP segment\n%s", what);
    if (!ib_mac_eq(&eh.dst, &peer_mac) || ih.src != HOST || ih.dst != PEER)
        return fail(r, "wrong addresses\n%s", what);
    const uint8_t *seg = p->data + IB_ETH_HLEN + ih.hlen;
    size_t seglen = ih.tot_len - ih.hlen;
    int bad = ib_tcp_parse(seg, seglen, ih.src, ih.dst, &th);
    if (bad)
        return fail(r, "TCP segment does not parse (%s)\n%s", ib_drop_name((enum ib_drop)bad),
                    what);
    const struct ts_seg *s = &l->seg;
    uint16_t sport = s->has_sport ? s->sport : r->lport;
    uint16_t dport = s->has_dport ? s->dport : r->rport;
    if (th.sport != sport || th.dport != dport)
        return fail(r, "ports %u > %u expected\n%s", sport, dport, what);
    struct flow *f = flow_get(r, sport, dport);
    if (!f) return fail(r, "too many 4-tuples");
    if ((th.flags & IB_TCP_SYN) && !f->iss_known) {
        f->iss_known = true;
        f->iss = th.seq;
        if (r->sc->cfg.iss_near && th.seq - r->sc->cfg.iss >= ISS_SPAN)
            return fail(r,
                        "config iss: our ISS is %" PRIu32 ", not near %" PRIu32
                        " (does the core take its ISN from ib_tcp_isn?)\n%s",
                        th.seq, r->sc->cfg.iss, what);
    }
    uint8_t mask = r->sc->cfg.psh ? 0xff : (uint8_t)~IB_TCP_PSH;
    if ((th.flags & mask) != (s->flags & mask)) return fail(r, "flags differ\n%s", what);
    uint32_t rel = th.seq - (f->iss_known ? f->iss : 0);
    size_t plen = seglen - th.hlen;
    if (!num_ok(&s->seq, rel))
        return fail(r, "sequence number differs (sent %" PRIu32 " relative)\n%s", rel, what);
    if (!num_ok(&s->len, (uint32_t)plen))
        return fail(r, "payload length differs (sent %zu)\n%s", plen, what);
    uint32_t rack = th.ack - r->sc->cfg.riss;
    if (s->has_ack && (th.flags & IB_TCP_ACK) && !num_ok(&s->ack, rack))
        return fail(r, "ack differs (sent %" PRIu32 " relative)\n%s", rack, what);
    if (s->has_win && !num_ok(&s->win, th.wnd))
        return fail(r, "window differs (sent %u)\n%s", th.wnd, what);
    if (s->has_opts && cmp_opts(r, s, &th.opt, what) < 0) return -1;
    if (f->iss_known) {
        uint32_t pos = rel + ((th.flags & IB_TCP_SYN) ? 1u : 0u);
        const uint8_t *pl = seg + th.hlen;
        for (size_t j = 0; j < plen; j++)
            if (pl[j] != pat_local(pos + (uint32_t)j))
                return fail(r, "payload byte %zu (relative seq %" PRIu32 ") is wrong\n%s", j,
                            pos + (uint32_t)j, what);
    }
    if (th.opt.has_ts) {
        f->tsval_known = true;
        f->tsval = th.opt.ts_val;
    }
    r->ref = cp->t;
    ib_pkt_free(p);
    cp->p = NULL;
    return 0;
}

/* Everything the stack sent up to now must have been expected. */
static int no_unexpected(struct run *r)
{
    if (r->failed) return -1;
    if (r->chead == r->ncap) return 0;
    struct cap *cp = &r->caps[r->chead];
    char d[512];
    describe(cp->p, d, sizeof(d));
    return fail(r, "unexpected segment sent at %.6f:\n  %s", (double)cp->t / 1e9, d);
}

static struct conn *current(struct run *r)
{
    if (r->cur < 0) {
        fail(r, "no connection yet");
        return NULL;
    }
    struct conn *k = &r->conns[r->cur];
    if (k->released) {
        fail(r, "the script already closed this connection");
        return NULL;
    }
    return k;
}

static int check_ret(struct run *r, const char *what, long got, int64_t want)
{
    if (got == want) return 0;
    if (got < 0)
        return fail(r, "%s returned %s, expected %" PRId64, what, ib_err_str((int)got), want);
    return fail(r, "%s returned %ld, expected %" PRId64, what, got, want);
}

static bool cmp_ok(enum ts_cmp c, int64_t got, int64_t want)
{
    return c == TS_EQ ? got == want : c == TS_LE ? got <= want : got >= want;
}

struct field {
    const char *name;
    size_t off;
    uint8_t size; /* 1, 4 or 8 bytes */
    bool is_time;
};

/* A field of struct s; durations (is_time) are printed in seconds.
 * clang-format cannot lay out a macro that is a braced initializer. */
/* clang-format off */
#define FIELD(s, f, is_time) {#f, offsetof(struct s, f), sizeof(((struct s *)0)->f), is_time}
/* clang-format on */
static const struct field info_fields[] = {
    FIELD(ib_tcp_info, mss, false),         FIELD(ib_tcp_info, cwnd, false),
    FIELD(ib_tcp_info, ssthresh, false),    FIELD(ib_tcp_info, snd_wnd, false),
    FIELD(ib_tcp_info, rcv_wnd, false),     FIELD(ib_tcp_info, inflight, false),
    FIELD(ib_tcp_info, srtt, true),         FIELD(ib_tcp_info, rttvar, true),
    FIELD(ib_tcp_info, rto, true),          FIELD(ib_tcp_info, bytes_sent, false),
    FIELD(ib_tcp_info, bytes_acked, false), FIELD(ib_tcp_info, bytes_received, false),
    FIELD(ib_tcp_info, segs_out, false),    FIELD(ib_tcp_info, segs_in, false),
    FIELD(ib_tcp_info, retransmits, false), FIELD(ib_tcp_info, fast_retransmits, false),
    FIELD(ib_tcp_info, timeouts, false),    FIELD(ib_tcp_info, snd_wscale, false),
    FIELD(ib_tcp_info, rcv_wscale, false),
};
static const struct field mib_fields[] = {
    FIELD(ib_tcp_mib, active_opens, false),    FIELD(ib_tcp_mib, passive_opens, false),
    FIELD(ib_tcp_mib, attempt_fails, false),   FIELD(ib_tcp_mib, estab_resets, false),
    FIELD(ib_tcp_mib, segs_in, false),         FIELD(ib_tcp_mib, segs_out, false),
    FIELD(ib_tcp_mib, retrans_segs, false),    FIELD(ib_tcp_mib, in_errs, false),
    FIELD(ib_tcp_mib, out_rsts, false),        FIELD(ib_tcp_mib, syncookies_sent, false),
    FIELD(ib_tcp_mib, syncookies_recv, false), FIELD(ib_tcp_mib, syncookies_failed, false),
    FIELD(ib_tcp_mib, challenge_acks, false),
};

static int check_fields(struct run *r, const struct ts_line *l, const void *obj,
                        const struct field *fs, size_t nf, const char *what)
{
    for (unsigned i = 0; i < l->nkv; i++) {
        const struct ts_kv *kv = &l->kv[i];
        const struct field *fd = NULL;
        for (size_t j = 0; j < nf; j++)
            if (!strcmp(fs[j].name, kv->key)) fd = &fs[j];
        if (!fd) return fail(r, "no %s field '%s'", what, kv->key);
        int64_t got;
        const char *at = (const char *)obj + fd->off;
        if (fd->size == 1) {
            got = *(const uint8_t *)at;
        } else if (fd->size == 4) {
            uint32_t v;
            memcpy(&v, at, 4);
            got = v;
        } else {
            memcpy(&got, at, 8);
        }
        if (!cmp_ok(kv->cmp, got, kv->v)) {
            if (fd->is_time)
                return fail(r, "%s %s is %.6f s, expected %s %.6f s", what, kv->key,
                            (double)got / 1e9,
                            kv->cmp == TS_EQ   ? "="
                            : kv->cmp == TS_LE ? "<="
                                               : ">=",
                            (double)kv->v / 1e9);
            return fail(r, "%s %s is %" PRId64 ", expected %s %" PRId64, what, kv->key, got,
                        kv->cmp == TS_EQ   ? "="
                        : kv->cmp == TS_LE ? "<="
                                           : ">=",
                        kv->v);
        }
    }
    return 0;
}

static int check_drops(struct run *r, const struct ts_line *l)
{
    for (unsigned i = 0; i < l->nkv; i++) {
        const struct ts_kv *kv = &l->kv[i];
        int reason = -1;
        for (int d = 0; d < IB_DROP__COUNT; d++)
            if (!strcmp(ib_drop_name((enum ib_drop)d), kv->key)) reason = d;
        if (reason < 0) return fail(r, "no drop reason %s", kv->key);
        uint32_t got = r->s.node.drops[reason];
        if (!cmp_ok(kv->cmp, got, kv->v))
            return fail(r, "drops %s is %" PRIu32 ", expected %" PRId64, kv->key, got, kv->v);
    }
    return 0;
}

static int do_send(struct run *r, const struct ts_line *l)
{
    struct conn *k = current(r);
    if (!k) return -1;
    size_t n = (size_t)l->arg;
    uint8_t *b = malloc(n ? n : 1);
    if (!b) return fail(r, "out of memory");
    for (size_t j = 0; j < n; j++)
        b[j] = pat_local((uint32_t)(k->sent + 1 + j));
    long got = ib_tcp_send(k->c, b, n);
    free(b);
    if (got > 0) k->sent += (uint64_t)got;
    return check_ret(r, "send", got, l->has_ret ? l->ret : l->arg);
}

static int do_recv(struct run *r, const struct ts_line *l)
{
    struct conn *k = current(r);
    if (!k) return -1;
    size_t n = (size_t)l->arg;
    uint8_t *b = malloc(n ? n : 1);
    if (!b) return fail(r, "out of memory");
    long got = ib_tcp_recv(k->c, b, n);
    for (long j = 0; j < got; j++)
        if (b[j] != pat_remote((uint32_t)(k->read + 1 + (uint64_t)j))) {
            free(b);
            return fail(r, "received byte %" PRIu64 " of the stream is wrong",
                        k->read + (uint64_t)j);
        }
    free(b);
    if (got > 0) k->read += (uint64_t)got;
    return check_ret(r, "recv", got, l->has_ret ? l->ret : l->arg);
}

static int app(struct run *r, const struct ts_line *l)
{
    struct conn *k;
    switch (l->kind) {
    case TS_LISTEN:
        r->listener = ib_tcp_listen(&r->s, 0, (uint16_t)l->arg, &app_ops, r, &r->tcfg);
        if (!r->listener) return fail(r, "listen failed");
        r->lport = (uint16_t)l->arg;
        r->rport = r->sc->cfg.rport;
        return 0;
    case TS_CONNECT: {
        struct ib_tcp *c = ib_tcp_connect(&r->s, PEER, (uint16_t)l->arg, &app_ops, r, &r->tcfg);
        if (!c) return fail(r, "connect failed");
        if (!conn_add(r, c)) return fail(r, "too many connections");
        ib_ip4 la, ra;
        ib_tcp_endpoints(c, &la, &r->lport, &ra, &r->rport);
        return 0;
    }
    case TS_SEND:
        return do_send(r, l);
    case TS_RECV:
        return do_recv(r, l);
    case TS_SHUTDOWN:
        if (!(k = current(r))) return -1;
        return check_ret(r, "shutdown", ib_tcp_shutdown(k->c), l->has_ret ? l->ret : 0);
    case TS_CLOSE:
    case TS_ABORT:
        if (!(k = current(r))) return -1;
        k->released = true;
        if (l->kind == TS_CLOSE)
            ib_tcp_close(k->c);
        else
            ib_tcp_abort(k->c);
        return 0;
    case TS_STATE: {
        if (!(k = current(r))) return -1;
        enum ib_tcp_state st = ib_tcp_get_state(k->c);
        if ((int64_t)st != l->arg)
            return fail(r, "state is %s, expected %s", ib_tcp_state_name(st),
                        ib_tcp_state_name((enum ib_tcp_state)l->arg));
        return 0;
    }
    case TS_ERROR:
        if (!(k = current(r))) return -1;
        if (k->err != l->arg)
            return fail(r, "last error is %s, expected %s", k->err ? ib_err_str(k->err) : "none",
                        l->arg ? ib_err_str((int)l->arg) : "none");
        return 0;
    case TS_EOF:
        if (!(k = current(r))) return -1;
        if (ib_tcp_eof(k->c) != (l->arg != 0)) return fail(r, "eof is %d", ib_tcp_eof(k->c));
        return 0;
    case TS_READABLE:
        if (!(k = current(r))) return -1;
        if ((int64_t)ib_tcp_readable(k->c) != l->arg)
            return fail(r, "readable is %zu", ib_tcp_readable(k->c));
        return 0;
    case TS_CONNECTED:
        if (!(k = current(r))) return -1;
        if (k->connected != (l->arg != 0))
            return fail(r, "connected callback %s", k->connected ? "ran" : "did not run");
        return 0;
    case TS_ACCEPTED:
        if (r->accepted != l->arg) return fail(r, "%u connections accepted", r->accepted);
        return 0;
    case TS_USE:
        if (l->arg < 1 || l->arg > r->nconns) return fail(r, "no connection %" PRId64, l->arg);
        r->cur = (int)l->arg - 1;
        {
            ib_ip4 la, ra;
            ib_tcp_endpoints(r->conns[r->cur].c, &la, &r->lport, &ra, &r->rport);
        }
        return 0;
    case TS_INFO: {
        if (!(k = current(r))) return -1;
        struct ib_tcp_info in;
        ib_tcp_get_info(k->c, &in);
        return check_fields(r, l, &in, info_fields, IB_ARRAY_LEN(info_fields), "info");
    }
    case TS_MIB: {
        struct ib_tcp_mib zero = {0};
        const struct ib_tcp_mib *m = r->s.tcp ? &r->s.tcp->mib : &zero;
        return check_fields(r, l, m, mib_fields, IB_ARRAY_LEN(mib_fields), "mib");
    }
    case TS_DROPS:
        return check_drops(r, l);
    case TS_TW: {
        uint32_t n = r->s.tcp ? r->s.tcp->n_tw : 0;
        if (n != l->arg) return fail(r, "%" PRIu32 " TIME_WAIT records", n);
        return 0;
    }
    case TS_CONNS: {
        uint32_t n = r->s.tcp ? r->s.tcp->n_conns : 0;
        if (n != l->arg) return fail(r, "%" PRIu32 " connections in the stack", n);
        return 0;
    }
    case TS_WAIT:
        return 0;
    case TS_INJECT:
        return inject(r, l);
    case TS_EXPECT:
        break;
    }
    return fail(r, "internal: unhandled line kind");
}

static ib_time resolve(const struct ts_time *t, ib_time ref)
{
    return t->rel ? ref + t->ns : t->ns;
}

static int run_lines(struct run *r)
{
    const struct ts_script *sc = r->sc;
    for (int i = 0; i < sc->n && !r->failed; i++) {
        const struct ts_line *l = &sc->lines[i];
        r->line = l;
        ib_time t = resolve(&l->t, r->ref);
        if (l->kind == TS_EXPECT) {
            ib_time t2 = l->has_t2 ? resolve(&l->t2, r->ref) : t;
            if (expect(r, l, t - sc->cfg.tol_ns, t2 + sc->cfg.tol_ns) < 0) return -1;
            continue;
        }
        if (t > ib_now(&r->env)) ib_evq_run_until(r->q, t);
        r->ref = t;
        if (no_unexpected(r) < 0 || app(r, l) < 0) return -1;
        if (r->verbose && l->kind != TS_INJECT) logf_(r, "script: %s", l->text);
    }
    r->line = NULL;
    return no_unexpected(r);
}

static void setup(struct run *r, const struct ts_script *sc, bool verbose)
{
    memset(r, 0, sizeof(*r));
    r->sc = sc;
    r->verbose = verbose;
    r->cur = -1;
    r->ip_id = 1;
    r->rport = sc->cfg.rport;
    r->q = malloc(sizeof(*r->q));
    if (!r->q) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    ib_evq_init(r->q);
    r->env.q = r->q;
    r->env.pool = ib_pkt_pool_new();
    r->env.trace = &r->trace;
    ib_trace_attach(&r->trace, observe, r);
    r->tcfg = sc->cfg.tcp;
    struct ib_stack_config scfg = ib_stack_defaults;
    scfg.tcp = sc->cfg.tcp;
    ib_stack_init(&r->s, &r->env, "host", 1, 1, &scfg);
    ib_netif_init(&r->nif, &r->s.node, "eth0", &host_mac);
    r->nif.ops = &drv_ops;
    r->nif.drv = r;
    r->nif.mtu = sc->cfg.mtu;
    if (ib_stack_add_netif(&r->s, &r->nif) || ib_stack_set_addr(&r->s, &r->nif, HOST, 24) ||
        ib_arp_set(&r->nif, PEER, &peer_mac)) {
        fprintf(stderr, "stack setup failed\n");
        exit(2);
    }
    /* The gratuitous ARP of ib_stack_set_addr is not part of any script. */
    for (size_t i = 0; i < r->ncap; i++)
        ib_pkt_free(r->caps[i].p);
    r->ncap = r->chead = 0;
    r->s.ip_id = 0x1000;
}

/* Tears the stack down; every packet must be back in the pool. */
static void teardown(struct run *r)
{
    /* Matched segments were freed (p NULL); a failed '>' line left its own. */
    for (size_t i = 0; i < r->ncap; i++)
        if (r->caps[i].p) ib_pkt_free(r->caps[i].p);
    free(r->caps);
    ib_tcp_stack_destroy(&r->s);
    ib_evq_run_until(r->q, ib_now(&r->env));
    ib_stack_destroy(&r->s);
    struct ib_pkt_pool_stats st;
    ib_pkt_pool_stats(r->env.pool, &st);
    if (st.in_use && !r->failed) {
        r->line = NULL;
        fail(r, "%" PRIu64 " packets leaked", st.in_use);
    }
    ib_pkt_pool_free(r->env.pool);
    ib_evq_destroy(r->q);
    free(r->q);
}

static void print_failure(const struct run *r)
{
    fprintf(stderr, "%s\n  recent events:\n", r->msg);
    unsigned n = r->nlog < LOG_LINES ? r->nlog : LOG_LINES;
    for (unsigned i = r->nlog - n; i < r->nlog; i++)
        fprintf(stderr, "    %s\n", r->log[i % LOG_LINES]);
}

/* Returns 0 if the script passed (or, with expect_fail, failed as told). */
static int run_script(const char *path, bool verbose, const char *expect_fail)
{
    struct ts_script sc;
    if (ts_parse_file(path, &sc) < 0) {
        ts_script_free(&sc);
        return 1;
    }
    struct run *r = malloc(sizeof(*r));
    if (!r) {
        ts_script_free(&sc);
        return 1;
    }
    setup(r, &sc, verbose);
    run_lines(r);
    teardown(r);
    int rc = 0;
    if (expect_fail) {
        if (!r->failed) {
            fprintf(stderr, "%s: passed, but was expected to fail with \"%s\"\n", path,
                    expect_fail);
            rc = 1;
        } else if (!strstr(r->msg, expect_fail)) {
            print_failure(r);
            fprintf(stderr, "%s: failed, but not with \"%s\"\n", path, expect_fail);
            rc = 1;
        } else {
            printf("%s: failed as expected: %s\n", path, r->msg);
        }
    } else if (r->failed) {
        print_failure(r);
        rc = 1;
    } else {
        printf("%s: ok (%d lines)\n", path, sc.n);
    }
    free(r);
    ts_script_free(&sc);
    return rc;
}

int main(int argc, char **argv)
{
    bool verbose = false;
    const char *expect_fail = NULL;
    int rc = 0, scripts = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-v")) {
            verbose = true;
        } else if (!strcmp(argv[i], "--expect-fail") && i + 1 < argc) {
            expect_fail = argv[++i];
        } else {
            scripts++;
            rc |= run_script(argv[i], verbose, expect_fail);
        }
    }
    if (!scripts) {
        fprintf(stderr, "usage: tcpscript [-v] [--expect-fail TEXT] SCRIPT...\n");
        return 2;
    }
    return rc;
}
