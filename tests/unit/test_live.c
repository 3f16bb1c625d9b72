/* The live loop without a TAP: a SOCK_SEQPACKET socketpair carries one
 * Ethernet frame per message, as the TAP does, so a test plays the Linux
 * side (writing and reading raw frames) or runs a second live loop on the
 * other end. Times are real: the assertions on them leave wide margins. */
#define _GNU_SOURCE /* memmem, open_memstream */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "inetbox/apps.h"
#include "inetbox/arp.h"
#include "inetbox/eth.h"
#include "inetbox/http.h"
#include "inetbox/icmp.h"
#include "inetbox/json.h"
#include "inetbox/live.h"
#include "inetbox/pcapng.h"
#include "inetbox/tcpdump.h"

#define OUR_IP IB_IP4(10, 99, 0, 2)
#define PEER_IP IB_IP4(10, 99, 0, 1)
static const struct ib_mac our_mac = {{0x02, 0, 0, 0, 0x99, 0x02}};
static const struct ib_mac peer_mac = {{0x02, 0, 0, 0, 0x99, 0x01}};

struct fix {
    struct ib_live *l;
    int peer; /* the test's end of the socketpair */
};

static struct ib_live *open_mtu(int fd, const char *name, const struct ib_mac *mac, uint16_t mtu)
{
    struct ib_live_config cfg = {.tap = name, .mac = *mac, .has_mac = true, .mtu = mtu};
    char err[128];
    struct ib_live *l = ib_live_open_fd(fd, &cfg, err, sizeof(err));
    if (!l) fail_msg("ib_live_open_fd: %s", err);
    return l;
}

static struct ib_live *open_on(int fd, const char *name, const struct ib_mac *mac)
{
    return open_mtu(fd, name, mac, 0);
}

/* mtu 0: Ethernet's 1500. */
static void fix_open_mtu(struct fix *f, uint16_t mtu)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv), 0);
    f->l = open_mtu(sv[0], "t0", &our_mac, mtu);
    f->peer = sv[1];
}

static void fix_open(struct fix *f)
{
    fix_open_mtu(f, 0);
}

static void fix_close(struct fix *f)
{
    ib_live_close(f->l);
    if (f->peer >= 0) close(f->peer);
}

static ib_time live_now(struct ib_live *l)
{
    return ib_now(ib_live_env(l));
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * IB_SEC(1) + ts.tv_nsec;
}

/* The next frame the stack wrote, or 0 if none is waiting. */
static size_t peer_read(struct fix *f, uint8_t *b, size_t cap)
{
    ssize_t n = read(f->peer, b, cap);
    return n > 0 ? (size_t)n : 0;
}

static void peer_write(struct fix *f, const uint8_t *b, size_t len)
{
    assert_int_equal(write(f->peer, b, len), (ssize_t)len);
}

static size_t arp_frame(uint8_t *b, uint16_t op, ib_ip4 tpa)
{
    struct ib_eth_hdr eh = {ib_mac_broadcast, peer_mac, IB_ETHERTYPE_ARP};
    struct ib_arp_msg m = {.op = op, .sha = peer_mac, .spa = PEER_IP, .tpa = tpa};
    ib_eth_emit(&eh, b);
    ib_arp_emit(&m, b + IB_ETH_HLEN);
    return IB_ETH_HLEN + IB_ARP_LEN;
}

static size_t echo_frame(uint8_t *b, uint16_t id, uint16_t seq, size_t data)
{
    struct ib_eth_hdr eh = {our_mac, peer_mac, IB_ETHERTYPE_IP4};
    uint16_t len = (uint16_t)(IB_IP4_HLEN + IB_ICMP_HLEN + data);
    struct ib_ip4_hdr ip = {.hlen = IB_IP4_HLEN,
                            .tot_len = len,
                            .id = 7,
                            .ttl = 64,
                            .proto = IB_IPPROTO_ICMP,
                            .src = PEER_IP,
                            .dst = OUR_IP};
    uint8_t *icmp = b + IB_ETH_HLEN + IB_IP4_HLEN;
    for (size_t i = 0; i < data; i++)
        icmp[IB_ICMP_HLEN + i] = (uint8_t)(i * 7);
    struct ib_icmp_hdr ih = {.type = IB_ICMP_ECHO_REQUEST, .rest = (uint32_t)id << 16 | seq};
    ib_icmp_emit(&ih, icmp, IB_ICMP_HLEN + data);
    ib_ip4_emit(&ip, b + IB_ETH_HLEN);
    ib_eth_emit(&eh, b);
    return IB_ETH_HLEN + len;
}

/* RFC 5227 §2.3: the address is announced at once with a gratuitous ARP,
 * written to the device before ib_stack_set_addr returns. */
static void set_addr(struct fix *f)
{
    uint8_t b[2048];
    struct ib_stack *s = ib_live_stack(f->l);
    assert_int_equal(ib_stack_set_addr(s, ib_live_netif(f->l), OUR_IP, 24), 0);
    size_t n = peer_read(f, b, sizeof(b));
    assert_int_equal(n, IB_ETH_MIN_FRAME);
    struct ib_eth_hdr eh;
    struct ib_arp_msg m;
    assert_int_equal(ib_eth_parse(b, n, &eh), 0);
    assert_true(ib_mac_is_broadcast(&eh.dst));
    assert_true(ib_mac_eq(&eh.src, &our_mac));
    assert_int_equal(eh.type, IB_ETHERTYPE_ARP);
    assert_int_equal(ib_arp_parse(b + IB_ETH_HLEN, n - IB_ETH_HLEN, &m), 0);
    assert_int_equal(m.spa, OUR_IP);
    assert_int_equal(m.tpa, OUR_IP);
}

/* Linux's side of ping: ARP for our address, then an echo request; the
 * loop answers both within a few milliseconds of real time. */
static void test_arp_and_echo(void **state)
{
    struct fix f;
    fix_open(&f);
    set_addr(&f);
    uint8_t b[2048];
    peer_write(&f, b, arp_frame(b, IB_ARP_OP_REQUEST, OUR_IP));
    peer_write(&f, b, echo_frame(b, 0x1234, 1, 56));
    assert_int_equal(ib_live_run(f.l, live_now(f.l) + IB_MS(50)), IB_LIVE_DEADLINE);

    size_t n = peer_read(&f, b, sizeof(b));
    struct ib_eth_hdr eh;
    struct ib_arp_msg m;
    assert_int_equal(n, IB_ETH_MIN_FRAME);
    assert_int_equal(ib_eth_parse(b, n, &eh), 0);
    assert_true(ib_mac_eq(&eh.dst, &peer_mac));
    assert_int_equal(ib_arp_parse(b + IB_ETH_HLEN, n - IB_ETH_HLEN, &m), 0);
    assert_int_equal(m.op, IB_ARP_OP_REPLY);
    assert_true(ib_mac_eq(&m.sha, &our_mac));
    assert_int_equal(m.spa, OUR_IP);

    n = peer_read(&f, b, sizeof(b));
    assert_int_equal(n, IB_ETH_HLEN + IB_IP4_HLEN + IB_ICMP_HLEN + 56);
    struct ib_ip4_hdr ip;
    struct ib_icmp_hdr ih;
    assert_int_equal(ib_ip4_parse(b + IB_ETH_HLEN, n - IB_ETH_HLEN, &ip), 0);
    assert_int_equal(ip.src, OUR_IP);
    assert_int_equal(ip.dst, PEER_IP);
    const uint8_t *icmp = b + IB_ETH_HLEN + IB_IP4_HLEN;
    assert_int_equal(ib_icmp_parse(icmp, IB_ICMP_HLEN + 56, &ih), 0);
    assert_int_equal(ih.type, IB_ICMP_ECHO_REPLY);
    assert_int_equal(ih.rest, 0x1234u << 16 | 1);
    for (size_t i = 0; i < 56; i++)
        assert_int_equal(icmp[IB_ICMP_HLEN + i], (uint8_t)(i * 7));
    assert_int_equal(peer_read(&f, b, sizeof(b)), 0);
    assert_int_equal(ib_live_netif(f.l)->stats.rx_frames, 2);
    fix_close(&f);
}

/* The clock is CLOCK_MONOTONIC since the open: a deadline 30 ms ahead
 * takes 30 ms of real time, not less. */
static void test_deadline(void **state)
{
    struct fix f;
    fix_open(&f);
    ib_time t0 = live_now(f.l);
    int64_t m0 = mono_ns();
    assert_int_equal(ib_live_run(f.l, t0 + IB_MS(30)), IB_LIVE_DEADLINE);
    int64_t took = mono_ns() - m0;
    assert_true(live_now(f.l) >= t0 + IB_MS(30));
    assert_true(took >= IB_MS(30));
    assert_true(took < IB_MS(500));
    /* a deadline already passed returns at once */
    assert_int_equal(ib_live_run(f.l, 0), IB_LIVE_DEADLINE);
    fix_close(&f);
}

struct stopper {
    struct ib_timer t;
    struct ib_live *l;
    ib_time fired;
};

static void stop_now(struct ib_timer *t)
{
    struct stopper *s = (struct stopper *)((char *)t - offsetof(struct stopper, t));
    s->fired = live_now(s->l);
    ib_live_stop(s->l);
}

/* A timer runs when the clock reaches it (the timerfd wakes the loop), and
 * ib_live_stop from inside it ends the run. */
static void test_timer_stops(void **state)
{
    struct fix f;
    fix_open(&f);
    struct stopper s = {.l = f.l, .fired = -1};
    ib_timer_init(&s.t, stop_now);
    ib_time at = live_now(f.l) + IB_MS(20);
    ib_timer_arm(ib_live_env(f.l), &s.t, at);
    assert_int_equal(ib_live_run(f.l, IB_TIME_NEVER), IB_LIVE_STOPPED);
    assert_int_equal(s.fired, at);
    assert_true(live_now(f.l) >= at);
    assert_true(live_now(f.l) < at + IB_MS(500));
    fix_close(&f);
}

/* A stop outside a run is kept: the next run returns at once, and only
 * that one. */
static void test_stop_before_run(void **state)
{
    struct fix f;
    fix_open(&f);
    ib_live_stop(f.l);
    int64_t m0 = mono_ns();
    assert_int_equal(ib_live_run(f.l, IB_TIME_NEVER), IB_LIVE_STOPPED);
    assert_true(mono_ns() - m0 < IB_MS(500));
    assert_int_equal(ib_live_run(f.l, live_now(f.l) + IB_MS(5)), IB_LIVE_DEADLINE);
    fix_close(&f);
}

static void arm_on_rx(void *ctx, const struct ib_event *ev)
{
    struct stopper *s = ctx;
    struct ib_env *env = ib_live_env(s->l);
    if (ev->kind == IB_EV_WIRE_RX) ib_timer_arm(env, &s->t, ib_now(env));
}

/* A run past its deadline polls once and catches up once more: a stop
 * from that last catch-up (a DHCP lease bound by a frame read in the poll)
 * is reported as the stop, not as the deadline. */
static void test_stop_in_last_catch_up(void **state)
{
    struct fix f;
    fix_open(&f);
    struct stopper s = {.l = f.l, .fired = -1};
    ib_timer_init(&s.t, stop_now);
    assert_int_equal(ib_live_observe(f.l, arm_on_rx, &s), 0);
    uint8_t b[2048];
    peer_write(&f, b, arp_frame(b, IB_ARP_OP_REQUEST, OUR_IP));
    assert_int_equal(ib_live_run(f.l, 0), IB_LIVE_STOPPED);
    assert_true(s.fired >= 0);
    ib_evq_forget(ib_live_env(f.l)->q, &s.t);
    fix_close(&f);
}

/* SIGTERM waits in the signalfd: the run returns instead of the process
 * dying, and the mask is as before once the loop is closed. */
static void test_signal(void **state)
{
    sigset_t before, after;
    sigprocmask(SIG_SETMASK, NULL, &before);
    struct fix f;
    fix_open(&f);
    raise(SIGTERM);
    assert_int_equal(ib_live_run(f.l, IB_TIME_NEVER), IB_LIVE_SIGNAL);
    assert_int_equal(ib_live_signal(f.l), SIGTERM);
    raise(SIGINT); /* left pending: close consumes it */
    fix_close(&f);
    sigprocmask(SIG_SETMASK, NULL, &after);
    assert_int_equal(sigismember(&after, SIGTERM), sigismember(&before, SIGTERM));
    assert_int_equal(sigismember(&after, SIGINT), sigismember(&before, SIGINT));
}

struct drops {
    int n;
    enum ib_drop reason;
};

static void count_drops(void *ctx, const struct ib_event *ev)
{
    struct drops *d = ctx;
    if (ev->kind != IB_EV_DROP) return;
    d->n++;
    d->reason = ev->reason;
}

/* A device that takes no more frames loses them as a full link queue
 * would (counted, traced), and the loop goes on. */
static void test_full_device_drops(void **state)
{
    struct fix f;
    fix_open(&f);
    int small = 4096;
    setsockopt(f.peer, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    struct drops d = {0};
    assert_int_equal(ib_live_observe(f.l, count_drops, &d), 0);
    struct ib_netif *nif = ib_live_netif(f.l);
    struct ib_stack *s = ib_live_stack(f.l);
    int sent = 0;
    while (d.n == 0 && sent < 100000) {
        struct ib_pkt *p = ib_pkt_alloc(ib_live_env(f.l)->pool, IB_PKT_HEADROOM, 1514);
        assert_non_null(p);
        memset(p->data, 0xab, p->len);
        ib_netif_xmit(nif, p);
        sent++;
    }
    assert_int_equal(d.n, 1);
    assert_int_equal(d.reason, IB_DROP_LINK_QUEUE_FULL);
    assert_int_equal(s->node.drops[IB_DROP_LINK_QUEUE_FULL], 1);
    assert_true(sent > 1);
    fix_close(&f);
}

/* The other end closing is the device going away: an error, not a hang. */
static void test_device_gone(void **state)
{
    struct fix f;
    fix_open(&f);
    close(f.peer);
    f.peer = -1;
    assert_int_equal(ib_live_run(f.l, live_now(f.l) + IB_SEC(2)), IB_LIVE_ERROR);
    assert_non_null(strstr(ib_live_error(f.l), "reading the device"));
    fix_close(&f);
}

static void test_open_errors(void **state)
{
    char err[160];
    struct ib_live_config cfg = {.tap = "no/slash"};
    assert_null(ib_live_open(&cfg, err, sizeof(err)));
    assert_non_null(strstr(err, "cannot create TAP no/slash"));
    assert_false(ib_live_tap_name_ok(""));
    assert_false(ib_live_tap_name_ok("sixteen-chars-xx"));
    assert_true(ib_live_tap_name_ok("fifteen-chars-x"));
    /* a template would make TUNSETIFF pick another device ("rv0") */
    cfg.tap = "rv%d";
    assert_null(ib_live_open(&cfg, err, sizeof(err)));
    assert_non_null(strstr(err, "cannot create TAP rv%d: not a valid interface name"));
    const char *bad[] = {"a b", "a\tb", "a\vb", "a\fb", "a\rb", "a:1", ".", ".."};
    for (size_t i = 0; i < IB_ARRAY_LEN(bad); i++)
        assert_false(ib_live_tap_name_ok(bad[i]));
    const uint16_t mtus[] = {IB_LIVE_MTU_MIN - 1, IB_LIVE_MTU_MAX + 1};
    for (size_t i = 0; i < IB_ARRAY_LEN(mtus); i++) {
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
        cfg = (struct ib_live_config){.tap = "t0", .mtu = mtus[i]};
        assert_null(ib_live_open_fd(sv[0], &cfg, err, sizeof(err)));
        close(sv[1]);
    }
}

static void count_all(void *ctx, const struct ib_event *ev)
{
    (*(int *)ctx)++;
}

/* A frame may be as long as the MTU, the Ethernet header and an 802.1Q
 * tag (1518 bytes); one byte more and it is dropped whole as ETH_TOO_BIG
 * (counted, traced), never handled cut short. */
static void test_frame_too_big(void **state)
{
    struct fix f;
    fix_open(&f);
    set_addr(&f);
    struct drops d = {0};
    assert_int_equal(ib_live_observe(f.l, count_drops, &d), 0);
    uint8_t b[2048];
    peer_write(&f, b, arp_frame(b, IB_ARP_OP_REQUEST, OUR_IP));
    /* an IP datagram of the MTU, then Ethernet trailer bytes (RFC 894) */
    size_t n = echo_frame(b, 9, 1, 1500 - IB_IP4_HLEN - IB_ICMP_HLEN);
    memset(b + n, 0, 5);
    peer_write(&f, b, n + 4);
    peer_write(&f, b, n + 5);
    assert_int_equal(ib_live_run(f.l, live_now(f.l) + IB_MS(50)), IB_LIVE_DEADLINE);
    assert_int_equal(peer_read(&f, b, sizeof(b)), IB_ETH_MIN_FRAME); /* the ARP reply */
    assert_int_equal(peer_read(&f, b, sizeof(b)), n);                /* the echo reply */
    assert_int_equal(peer_read(&f, b, sizeof(b)), 0);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.reason, IB_DROP_ETH_TOO_BIG);
    assert_int_equal(ib_live_stack(f.l)->node.drops[IB_DROP_ETH_TOO_BIG], 1);
    assert_int_equal(ib_live_netif(f.l)->stats.rx_frames, 2);
    /* an observer detached hears nothing more */
    int heard = 0;
    assert_int_equal(ib_live_observe(f.l, count_all, &heard), 0);
    ib_live_unobserve(f.l, count_drops, &d);
    ib_live_unobserve(f.l, count_all, &heard);
    peer_write(&f, b, n + 5);
    assert_int_equal(ib_live_run(f.l, live_now(f.l) + IB_MS(20)), IB_LIVE_DEADLINE);
    assert_int_equal(ib_live_stack(f.l)->node.drops[IB_DROP_ETH_TOO_BIG], 2);
    assert_int_equal(d.n, 1);
    assert_int_equal(heard, 0);
    fix_close(&f);
}

/* Jumbo frames cross the loop whole: the part a pooled packet cannot hold
 * is read into the spill buffer, and the echo comes back at full size. */
static void jumbo_echo(uint16_t mtu)
{
    static uint8_t b[IB_ETH_HLEN + IB_LIVE_MTU_MAX + 64];
    struct fix f;
    fix_open_mtu(&f, mtu);
    set_addr(&f);
    peer_write(&f, b, arp_frame(b, IB_ARP_OP_REQUEST, OUR_IP));
    size_t data = mtu - IB_IP4_HLEN - IB_ICMP_HLEN;
    size_t n = echo_frame(b, 0x4242, 3, data);
    assert_int_equal(n, IB_ETH_HLEN + mtu);
    peer_write(&f, b, n);
    assert_int_equal(ib_live_run(f.l, live_now(f.l) + IB_MS(100)), IB_LIVE_DEADLINE);
    assert_int_equal(peer_read(&f, b, sizeof(b)), IB_ETH_MIN_FRAME);
    assert_int_equal(peer_read(&f, b, sizeof(b)), n);
    struct ib_ip4_hdr ip;
    struct ib_icmp_hdr ih;
    assert_int_equal(ib_ip4_parse(b + IB_ETH_HLEN, n - IB_ETH_HLEN, &ip), 0);
    assert_int_equal(ip.tot_len, mtu);
    assert_int_equal(ip.frag & 0x3fff, 0); /* not fragmented */
    const uint8_t *icmp = b + IB_ETH_HLEN + IB_IP4_HLEN;
    assert_int_equal(ib_icmp_parse(icmp, IB_ICMP_HLEN + data, &ih), 0);
    assert_int_equal(ih.type, IB_ICMP_ECHO_REPLY);
    for (size_t i = 0; i < data; i++)
        if (icmp[IB_ICMP_HLEN + i] != (uint8_t)(i * 7)) fail_msg("byte %zu differs", i);
    assert_int_equal(ib_live_stack(f.l)->node.drops[IB_DROP_ETH_TOO_BIG], 0);
    fix_close(&f);
}

static void test_jumbo_frames(void **state)
{
    jumbo_echo(9000);
    jumbo_echo(IB_LIVE_MTU_MAX); /* a TAP's largest: a 65535-byte frame */
}

/* Two loops on one socketpair: each the other's Linux. */
struct pair {
    struct ib_live *a, *b;
};

static void pair_open(struct pair *p)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv), 0);
    p->a = open_on(sv[0], "a0", &peer_mac);
    p->b = open_on(sv[1], "b0", &our_mac);
    assert_int_equal(ib_stack_set_addr(ib_live_stack(p->a), ib_live_netif(p->a), PEER_IP, 24), 0);
    assert_int_equal(ib_stack_set_addr(ib_live_stack(p->b), ib_live_netif(p->b), OUR_IP, 24), 0);
}

/* Turns of 2 ms each until *done or the time runs out. */
static void pair_run(struct pair *p, const bool *done, ib_time limit)
{
    ib_time end = live_now(p->a) + limit;
    while (!*done && live_now(p->a) < end) {
        ib_live_run(p->a, live_now(p->a) + IB_MS(2));
        ib_live_run(p->b, live_now(p->b) + IB_MS(2));
    }
}

/* Loops opened together close in the reverse order, so each restores the
 * signal mask it found. */
static void pair_close(struct pair *p)
{
    ib_live_close(p->b);
    ib_live_close(p->a);
}

static void ping_finished(struct ib_ping *p) {}

static void test_two_loops_ping(void **state)
{
    struct pair p;
    pair_open(&p);
    struct ib_ping ping;
    struct ib_ping_config cfg = ib_ping_defaults;
    cfg.dst = OUR_IP;
    cfg.count = 3;
    cfg.size = 3000; /* fragmented both ways */
    cfg.interval = IB_MS(10);
    assert_int_equal(ib_ping_start(&ping, ib_live_stack(p.a), &cfg, NULL, NULL), 0);
    ping.finished = ping_finished;
    pair_run(&p, &ping.done, IB_SEC(3));
    assert_true(ping.done);
    assert_int_equal(ping.stats.transmitted, 3);
    assert_int_equal(ping.stats.received, 3);
    assert_true(ping.stats.rtt_max < IB_MS(500));
    ib_ping_stop(&ping);
    ib_evq_forget(ib_live_env(p.a)->q, &ping.timer);
    pair_close(&p);
}

struct got {
    bool done;
    int err;
    uint16_t status;
    size_t len;
    bool same;
};

static uint8_t page[300000];

static void on_got(void *arg, const struct ib_http_result *r)
{
    struct got *g = arg;
    g->done = true;
    g->err = r->err;
    g->status = r->status;
    g->len = r->len;
    g->same = r->len == sizeof(page) && memcmp(r->body, page, sizeof(page)) == 0;
}

/* TCP in real time: an HTTP GET of 300 KB between the two loops, with
 * their own clocks and timers. */
static void test_two_loops_http(void **state)
{
    for (size_t i = 0; i < sizeof(page); i++)
        page[i] = (uint8_t)(i * 31 + (i >> 9));
    struct pair p;
    pair_open(&p);
    struct ib_http_resource res = {.path = "/big", .body = page, .len = sizeof(page)};
    struct ib_http_server *h = ib_http_server_start(ib_live_stack(p.b), 80, &res, 1, NULL);
    assert_non_null(h);
    struct got g = {0};
    assert_non_null(ib_http_get(ib_live_stack(p.a), OUR_IP, 80, "b", "/big", on_got, &g));
    pair_run(&p, &g.done, IB_SEC(5));
    assert_true(g.done);
    assert_int_equal(g.err, 0);
    assert_int_equal(g.status, 200);
    assert_int_equal(g.len, sizeof(page));
    assert_true(g.same);
    ib_http_server_stop(h);
    pair_close(&p);
}

/* pcapng of the one interface: wall-clock timestamps (epoch + t), the
 * direction of each frame, the interface named node:ifname. */
static void test_pcapng_wall_clock(void **state)
{
    char path[] = "/tmp/ib-test-live-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct fix f;
    fix_open(&f);
    struct ib_env *env = ib_live_env(f.l);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t real = (int64_t)now.tv_sec * IB_SEC(1) + now.tv_nsec;
    assert_true(env->live);
    assert_true(env->epoch <= real && env->epoch > real - IB_SEC(5));
    /* no trace bus in the environment yet: nothing to attach to */
    errno = 0;
    assert_null(ib_pcapng_open_netif(ib_live_netif(f.l), path));
    assert_int_equal(errno, EINVAL);
    struct ib_trace *tr = ib_live_trace(f.l);
    assert_ptr_equal(env->trace, tr);
    struct ib_pcapng *pc = ib_pcapng_open_netif(ib_live_netif(f.l), path);
    assert_non_null(pc);
    set_addr(&f);
    uint8_t b[2048];
    peer_write(&f, b, arp_frame(b, IB_ARP_OP_REQUEST, OUR_IP));
    assert_int_equal(ib_live_run(f.l, live_now(f.l) + IB_MS(20)), IB_LIVE_DEADLINE);
    assert_int_equal(ib_pcapng_close(pc), 0);

    FILE *in = fopen(path, "rb");
    assert_non_null(in);
    static uint8_t file[65536];
    size_t len = fread(file, 1, sizeof(file), in);
    fclose(in);
    unlink(path);
    /* §4.1 SHB, §4.2 IDB (named), then one EPB (§4.3) per frame */
    size_t off = 0, epbs = 0;
    bool named = false;
    const uint32_t flags[3] = {2, 1, 2}; /* out (announce), in (request), out (reply) */
    while (off + 12 <= len) {
        uint32_t type =
            file[off] | file[off + 1] << 8 | file[off + 2] << 16 | (uint32_t)file[off + 3] << 24;
        uint32_t blen = file[off + 4] | file[off + 5] << 8 | file[off + 6] << 16 |
                        (uint32_t)file[off + 7] << 24;
        assert_true(blen >= 12 && off + blen <= len);
        if (type == 1) named = memmem(file + off, blen, "inetbox:t0", 10) != NULL;
        if (type == 6) {
            const uint8_t *e = file + off;
            uint64_t hi = e[12] | e[13] << 8 | e[14] << 16 | (uint64_t)e[15] << 24;
            uint64_t lo = e[16] | e[17] << 8 | e[18] << 16 | (uint64_t)e[19] << 24;
            int64_t ts = (int64_t)(hi << 32 | lo);
            assert_true(ts >= env->epoch);
            assert_true(ts < real + IB_SEC(5));
            assert_true(epbs < 3);
            uint32_t caplen = e[20] | e[21] << 8 | e[22] << 16 | (uint32_t)e[23] << 24;
            const uint8_t *opt = e + 28 + ((caplen + 3) & ~3u);
            assert_int_equal(opt[0] | opt[1] << 8, 2); /* epb_flags */
            assert_int_equal(opt[4] & 3, flags[epbs]);
            epbs++;
        }
        off += blen;
    }
    assert_true(named);
    assert_int_equal(epbs, 3);
    fix_close(&f);
}

/* What fn sees of the announce, an ARP request from the peer and our
 * reply. */
static void observe_arp_exchange(ib_observer_fn fn, void *ctx)
{
    struct fix f;
    fix_open(&f);
    assert_int_equal(ib_live_observe(f.l, fn, ctx), 0);
    set_addr(&f);
    uint8_t b[2048];
    peer_write(&f, b, arp_frame(b, IB_ARP_OP_REQUEST, OUR_IP));
    assert_int_equal(ib_live_run(f.l, live_now(f.l) + IB_MS(20)), IB_LIVE_DEADLINE);
    fix_close(&f);
}

/* tcpdump lines in live mode: the time of day with microseconds, and the
 * frames received shown with '<'. */
static void test_tcpdump_wall_clock(void **state)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    assert_non_null(out);
    struct ib_tcpdump td = {.out = out};
    observe_arp_exchange(ib_tcpdump_observer, &td);
    fclose(out);
    int lines = 0, in = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        unsigned h, m, s, us;
        char dir = 0;
        int used = 0;
        assert_int_equal(
            sscanf(line, "%2u:%2u:%2u.%6u inetbox:t0 %c %n", &h, &m, &s, &us, &dir, &used), 5);
        assert_true(used > 0 && line[8] == '.' && line[15] == ' ');
        assert_true(h < 24 && m < 60 && s < 61);
        in += dir == '<';
        lines++;
    }
    assert_int_equal(lines, 3);
    assert_int_equal(in, 1);
    free(text);
}

/* JSON lines in live mode: "wall" (RFC 3339, UTC) after t_s, and the
 * bytes of the frames received as well as those sent. */
static void test_json_wall_clock(void **state)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    assert_non_null(out);
    struct ib_json *j = ib_json_new(out);
    assert_non_null(j);
    observe_arp_exchange(ib_json_observe, j);
    ib_json_free(j);
    fclose(out);
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    char year[16];
    snprintf(year, sizeof(year), "%04d-", tm.tm_year + 1900);
    int rx = 0, lines = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        const char *w = strstr(line, "\"wall\":\"");
        assert_non_null(w);
        assert_true(strstr(line, "\"t_s\":") < w);
        w += 8;
        assert_memory_equal(w, year, 5);
        assert_int_equal(w[10], 'T');
        assert_int_equal(w[29], 'Z');
        if (strstr(line, "\"kind\":\"wire_rx\"")) {
            rx++;
            assert_non_null(strstr(line, "\"data\":\"ffffffffffff020000009901"));
        }
        lines++;
    }
    assert_int_equal(rx, 1);
    assert_true(lines >= 3);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arp_and_echo),       cmocka_unit_test(test_deadline),
        cmocka_unit_test(test_timer_stops),        cmocka_unit_test(test_signal),
        cmocka_unit_test(test_full_device_drops),  cmocka_unit_test(test_device_gone),
        cmocka_unit_test(test_open_errors),        cmocka_unit_test(test_two_loops_ping),
        cmocka_unit_test(test_two_loops_http),     cmocka_unit_test(test_pcapng_wall_clock),
        cmocka_unit_test(test_tcpdump_wall_clock), cmocka_unit_test(test_json_wall_clock),
        cmocka_unit_test(test_frame_too_big),      cmocka_unit_test(test_jumbo_frames),
        cmocka_unit_test(test_stop_before_run),    cmocka_unit_test(test_stop_in_last_catch_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
