/* The live loop (include/inetbox/live.h): the event queue of the
 * simulator, run against CLOCK_MONOTONIC. One epoll set holds the device,
 * a timerfd armed (absolute) at the queue's earliest deadline and a
 * signalfd for SIGINT and SIGTERM, so a wakeup is always one of: a frame
 * to read, a timer due, a signal. The device driver is the netif's xmit
 * (write one frame) and the read side of the loop (ib_netif_receive); both
 * report wire events as the simulated link does (src/sim/link.c). */
#define _GNU_SOURCE /* epoll, timerfd, signalfd, getrandom */

#include "inetbox/live.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "inetbox/eth.h"
#include "tap.h"

/* VLAN-tagged frames (IEEE 802.1Q) carry 4 bytes more than the MTU allows
 * an untagged one. */
#define LIVE_VLAN_SLACK 4u

enum { SRC_DEV, SRC_TIMER, SRC_SIGNAL };

struct ib_live {
    struct ib_env env;
    struct ib_evq q;
    struct ib_trace trace;
    struct ib_stack stack;
    struct ib_netif nif;
    int fd; /* the device */
    int ep, tfd, sfd;
    bool is_sock; /* a test's socket: send() without SIGPIPE */
    bool created;
    bool stop;
    bool masked; /* oldmask holds the mask to restore */
    sigset_t oldmask;
    int64_t mono0; /* CLOCK_MONOTONIC at time 0, ns */
    ib_time armed; /* where the timerfd is set, IB_TIME_NEVER if disarmed */
    uint32_t frame_max;
    /* frame_max + 1 bytes: what of a frame a pooled packet cannot hold */
    uint8_t *spill;
    int signo;
    char error[128];
};

static int64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * IB_SEC(1) + ts.tv_nsec;
}

static ib_time live_now(const struct ib_live *l)
{
    return clock_ns(CLOCK_MONOTONIC) - l->mono0;
}

static void wire_event(struct ib_live *l, enum ib_ev_kind kind, const struct ib_pkt *p)
{
    if (!ib_tracing(&l->env)) return;
    struct ib_event ev;
    ib_event_init(&ev, &l->env, kind, 1, &l->stack.node, &l->nif, p);
    ib_emit(&l->env, &ev);
}

/* One frame onto the device. The device takes it whole or not at all: a
 * full queue (EAGAIN, ENOBUFS) loses it as a full link queue would, and TCP
 * retransmits; anything else means the device is not passing frames. */
static void live_xmit(struct ib_netif *nif, struct ib_pkt *p)
{
    struct ib_live *l = nif->drv;
    ssize_t n =
        l->is_sock ? send(l->fd, p->data, p->len, MSG_NOSIGNAL) : write(l->fd, p->data, p->len);
    if (n == (ssize_t)p->len) {
        wire_event(l, IB_EV_WIRE_TX, p);
        ib_pkt_free(p);
        return;
    }
    bool full = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS);
    ib_drop(nif->node, nif, p, full ? IB_DROP_LINK_QUEUE_FULL : IB_DROP_LINK_DOWN);
}

static const struct ib_netif_ops live_ops = {.xmit = live_xmit};

static int set_error(struct ib_live *l, const char *what, int e)
{
    snprintf(l->error, sizeof(l->error), "%s: %s", what, strerror(e));
    return -1;
}

/* 02: (locally administered unicast, IEEE 802 §8.4) and five random bytes. */
static void random_mac(struct ib_mac *m, uint64_t r)
{
    m->b[0] = 0x02;
    for (int i = 1; i < 6; i++)
        m->b[i] = (uint8_t)(r >> (8 * (i - 1)));
}

static int os_random(uint64_t *out, size_t n)
{
    size_t got = 0;
    while (got < n * sizeof(*out)) {
        ssize_t r = getrandom((char *)out + got, n * sizeof(*out) - got, 0);
        if (r < 0 && errno != EINTR) return -1;
        if (r > 0) got += (size_t)r;
    }
    return 0;
}

static int watch(struct ib_live *l, int fd, uint64_t src)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = src};
    return epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev);
}

/* The epoll set, the timer and the signals. SIGINT and SIGTERM are blocked
 * so that they wait in the signalfd instead of killing the process. */
static int loop_open(struct ib_live *l)
{
    l->ep = epoll_create1(EPOLL_CLOEXEC);
    if (l->ep < 0) return set_error(l, "epoll_create1", errno);
    l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (l->tfd < 0) return set_error(l, "timerfd_create", errno);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    int e = pthread_sigmask(SIG_BLOCK, &set, &l->oldmask);
    if (e != 0) return set_error(l, "pthread_sigmask", e);
    l->masked = true;
    l->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (l->sfd < 0) return set_error(l, "signalfd", errno);
    if (watch(l, l->fd, SRC_DEV) || watch(l, l->tfd, SRC_TIMER) || watch(l, l->sfd, SRC_SIGNAL))
        return set_error(l, "epoll_ctl", errno);
    return 0;
}

struct ib_live *ib_live_open_fd(int fd, const struct ib_live_config *cfg, char *err, size_t errlen)
{
    const char *name = cfg->tap ? cfg->tap : IB_LIVE_DEFAULT_TAP;
    uint16_t mtu = cfg->mtu ? cfg->mtu : 1500;
    struct ib_live *l = calloc(1, sizeof(*l));
    if (!l) {
        close(fd);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    l->fd = fd;
    l->ep = l->tfd = l->sfd = -1;
    l->armed = IB_TIME_NEVER;
    ib_evq_init(&l->q);
    l->env.q = &l->q;
    l->env.live = true;
    l->env.pool = ib_pkt_pool_new();
    struct stat st;
    l->is_sock = fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
    uint64_t rnd[2];
    if (!l->env.pool) {
        snprintf(l->error, sizeof(l->error), "out of memory");
        goto fail;
    }
    if (cfg->host_addr || mtu < IB_LIVE_MTU_MIN || mtu > IB_LIVE_MTU_MAX ||
        strlen(name) >= IB_IFNAME_MAX) {
        snprintf(l->error, sizeof(l->error), "invalid configuration");
        goto fail;
    }
    if (os_random(rnd, 2) != 0) {
        set_error(l, "getrandom", errno);
        goto fail;
    }
    if (loop_open(l) != 0) goto fail;
    l->frame_max = mtu + IB_ETH_HLEN + LIVE_VLAN_SLACK;
    l->spill = malloc(l->frame_max + 1);
    if (!l->spill) {
        snprintf(l->error, sizeof(l->error), "out of memory");
        goto fail;
    }
    l->mono0 = clock_ns(CLOCK_MONOTONIC);
    l->env.epoch = clock_ns(CLOCK_REALTIME);
    ib_stack_init(&l->stack, &l->env, "inetbox", 0, rnd[0], NULL);
    struct ib_mac mac;
    if (cfg->has_mac)
        mac = cfg->mac;
    else
        random_mac(&mac, rnd[1]);
    ib_netif_init(&l->nif, &l->stack.node, name, &mac);
    l->nif.mtu = mtu;
    l->nif.ops = &live_ops;
    l->nif.drv = l;
    if (ib_stack_add_netif(&l->stack, &l->nif) != 0) {
        ib_arp_cache_destroy(&l->nif.arp);
        snprintf(l->error, sizeof(l->error), "out of memory");
        goto fail;
    }
    return l;
fail:
    snprintf(err, errlen, "%s", l->error);
    ib_live_close(l);
    return NULL;
}

/* The MTU of the link, checked before anything is built on the device; 0
 * with "cannot use TAP" in err if the device does not fit. */
static uint16_t tap_mtu(const char *name, bool created, const struct ib_live_config *cfg, char *err,
                        size_t errlen)
{
    /* A device that existed is someone else's: changing it would outlive us. */
    if (!created && (cfg->mtu || cfg->host_addr)) {
        snprintf(err, errlen,
                 "cannot use TAP %s: it exists, and inetbox sets the MTU and the host address "
                 "only on a TAP it creates (configure %s with ip link and ip addr instead)",
                 name, name);
        return 0;
    }
    /* The device's own MTU bounds the frames it hands us. */
    uint32_t mtu = cfg->mtu ? cfg->mtu : ib_tap_get_mtu(name);
    if (mtu < IB_LIVE_MTU_MIN || mtu > IB_LIVE_MTU_MAX) {
        snprintf(err, errlen, "cannot use TAP %s: its MTU (%u) is not in %u to %u", name,
                 (unsigned)mtu, IB_LIVE_MTU_MIN, IB_LIVE_MTU_MAX);
        return 0;
    }
    return (uint16_t)mtu;
}

/* The Linux side of a device we created: its MTU and address as asked, and
 * up (a TAP that is down fails every write with EIO). */
static int tap_setup(const char *name, const struct ib_live_config *cfg, char *err, size_t errlen)
{
    if (cfg->mtu && ib_tap_set_mtu(name, cfg->mtu, err, errlen) != 0) return -1;
    if (cfg->host_addr && ib_tap_set_addr(name, cfg->host_ip, cfg->host_plen, err, errlen) != 0)
        return -1;
    return ib_tap_up(name, err, errlen);
}

struct ib_live *ib_live_open(const struct ib_live_config *cfg, char *err, size_t errlen)
{
    char name[IB_IFNAME_MAX];
    bool created = false;
    int fd = ib_tap_open(cfg->tap ? cfg->tap : IB_LIVE_DEFAULT_TAP, name, &created, err, errlen);
    if (fd < 0) return NULL;
    struct ib_live_config c = *cfg;
    c.tap = name;
    c.host_addr = false;
    c.mtu = tap_mtu(name, created, cfg, err, errlen);
    if (!c.mtu) {
        close(fd);
        return NULL;
    }
    struct ib_live *l = ib_live_open_fd(fd, &c, err, errlen);
    if (!l) return NULL;
    l->created = created;
    if (created && tap_setup(name, cfg, err, errlen) != 0) {
        ib_live_close(l);
        return NULL;
    }
    return l;
}

struct ib_stack *ib_live_stack(struct ib_live *l)
{
    return &l->stack;
}
struct ib_netif *ib_live_netif(struct ib_live *l)
{
    return &l->nif;
}
struct ib_env *ib_live_env(struct ib_live *l)
{
    return &l->env;
}
struct ib_trace *ib_live_trace(struct ib_live *l)
{
    l->env.trace = &l->trace;
    return &l->trace;
}
bool ib_live_created(const struct ib_live *l)
{
    return l->created;
}
int ib_live_signal(const struct ib_live *l)
{
    return l->signo;
}
const char *ib_live_error(const struct ib_live *l)
{
    return l->error;
}
void ib_live_stop(struct ib_live *l)
{
    l->stop = true;
}

int ib_live_observe(struct ib_live *l, ib_observer_fn fn, void *ctx)
{
    int err = ib_trace_attach(&l->trace, fn, ctx);
    if (err == IB_OK) l->env.trace = &l->trace;
    return err;
}

void ib_live_unobserve(struct ib_live *l, ib_observer_fn fn, void *ctx)
{
    ib_trace_detach(&l->trace, fn, ctx);
}

/* Runs what is due by the clock; returns the time it ran to. */
static ib_time catch_up(struct ib_live *l)
{
    ib_time now = live_now(l);
    if (now < l->q.now) now = l->q.now;
    ib_evq_run_until(&l->q, now);
    return now;
}

static int read_failed(struct ib_live *l, ssize_t n, int e)
{
    if (n < 0 && (e == EAGAIN || e == EWOULDBLOCK || e == EINTR)) return 0;
    /* tun.c answers EBADFD once the device is gone from under us. */
    if (n < 0 && e == EBADFD) {
        snprintf(l->error, sizeof(l->error), "the TAP device was deleted");
        return -1;
    }
    return set_error(l, "reading the device", n == 0 ? EPIPE : e);
}

/* The frame a pooled packet held the start of, with the rest from spill,
 * in a packet of its own size. */
static struct ib_pkt *unspill(struct ib_live *l, struct ib_pkt *p, size_t held, size_t n)
{
    struct ib_pkt *big = ib_pkt_alloc(l->env.pool, IB_PKT_HEADROOM, n);
    if (big) {
        memcpy(big->data, p->data, held);
        memcpy(big->data + held, l->spill, n - held);
    }
    ib_pkt_free(p);
    return big;
}

/* One frame off the device into *out, or *out NULL when it was dropped.
 * One byte more than the longest frame is asked for, so that a longer one
 * shows itself instead of arriving cut short. A pooled packet takes the
 * frame's start and spill the rest, so the common frame is read in place
 * and only a jumbo one is copied. With no packet to be had the frame still
 * leaves the device (into spill), or epoll would wake us for it forever.
 * Returns 1, 0 when the device has no more, -1 when it failed. */
static int rx_frame(struct ib_live *l, struct ib_pkt **out)
{
    *out = NULL;
    size_t want = (size_t)l->frame_max + 1;
    struct ib_pkt *p = ib_pkt_alloc(l->env.pool, IB_PKT_HEADROOM, 0);
    size_t held = p ? ib_pkt_tailroom(p) : 0;
    if (held > want) held = want;
    struct iovec iov[2] = {{p ? p->data : NULL, held}, {l->spill, want - held}};
    ssize_t n = readv(l->fd, iov, 2);
    if (n <= 0) {
        int e = errno;
        ib_pkt_free(p);
        return read_failed(l, n, e);
    }
    catch_up(l);
    if (!p) {
        ib_drop(&l->stack.node, &l->nif, NULL, IB_DROP_NOMEM);
        return 1;
    }
    if ((size_t)n > l->frame_max) {
        p->len = (uint32_t)held;
        ib_drop(&l->stack.node, &l->nif, p, IB_DROP_ETH_TOO_BIG);
        return 1;
    }
    if ((size_t)n > held) {
        p = unspill(l, p, held, (size_t)n);
        if (!p) {
            ib_drop(&l->stack.node, &l->nif, NULL, IB_DROP_NOMEM);
            return 1;
        }
    } else {
        p->len = (uint32_t)n;
    }
    *out = p;
    return 1;
}

/* Reads up to a batch of frames, each handled at the time it is read.
 * Returns 0, or -1 when the device failed or went away. */
static int rx_batch(struct ib_live *l)
{
    for (unsigned i = 0; i < IB_LIVE_RX_BATCH && !l->stop; i++) {
        struct ib_pkt *p;
        int r = rx_frame(l, &p);
        if (r <= 0) return r;
        if (!p) continue;
        p->journey = ib_journey_new(&l->env);
        wire_event(l, IB_EV_WIRE_RX, p);
        ib_netif_receive(&l->nif, p);
    }
    return 0;
}

/* Sets the timerfd to the earlier of the queue's next entry and the
 * deadline; nothing to do when it is already there. */
static int arm(struct ib_live *l, ib_time deadline)
{
    ib_time next = ib_evq_next_time(&l->q);
    if (deadline < next) next = deadline;
    if (next == l->armed) return 0;
    struct itimerspec its;
    memset(&its, 0, sizeof(its));
    if (next != IB_TIME_NEVER) {
        /* an absolute zero would disarm the timer: 1 ns is already past */
        int64_t at = l->mono0 + (next > 0 ? next : 1);
        its.it_value.tv_sec = at / IB_SEC(1);
        its.it_value.tv_nsec = at % IB_SEC(1);
    }
    if (timerfd_settime(l->tfd, TFD_TIMER_ABSTIME, &its, NULL) != 0)
        return set_error(l, "timerfd_settime", errno);
    l->armed = next;
    return 0;
}

static int take_signal(struct ib_live *l)
{
    struct signalfd_siginfo si;
    ssize_t n = read(l->sfd, &si, sizeof(si));
    if (n != (ssize_t)sizeof(si)) return 0;
    l->signo = (int)si.ssi_signo;
    return l->signo;
}

/* Handles what one epoll_wait reported. Returns -1 to end the run (why is
 * set), else 0. */
static int dispatch(struct ib_live *l, const struct epoll_event *evs, int n, enum ib_live_stop *why)
{
    for (int i = 0; i < n; i++) {
        switch (evs[i].data.u64) {
        case SRC_SIGNAL:
            if (take_signal(l)) {
                *why = IB_LIVE_SIGNAL;
                return -1;
            }
            break;
        case SRC_TIMER: {
            uint64_t expirations;
            if (read(l->tfd, &expirations, sizeof(expirations)) > 0) l->armed = IB_TIME_NEVER;
            break;
        }
        default:
            if (rx_batch(l) != 0) {
                *why = IB_LIVE_ERROR;
                return -1;
            }
        }
    }
    return 0;
}

/* Every turn ends with the clock caught up and the stop flag checked, so
 * that a stop from the last timers run (a DHCP lease bound in the final
 * catch-up) is never reported as the deadline. */
enum ib_live_stop ib_live_run(struct ib_live *l, ib_time deadline)
{
    for (bool polled = false;; polled = true) {
        ib_time now = catch_up(l);
        if (l->stop) {
            l->stop = false;
            return IB_LIVE_STOPPED;
        }
        /* Past the deadline the device and the signals are still polled
         * once, so that a caller running short turns never starves them. */
        bool last = now >= deadline;
        if (last && polled) return IB_LIVE_DEADLINE;
        if (!last && arm(l, deadline) != 0) return IB_LIVE_ERROR;
        struct epoll_event evs[3];
        int n = epoll_wait(l->ep, evs, 3, last ? 0 : -1);
        if (n < 0 && errno != EINTR) {
            set_error(l, "epoll_wait", errno);
            return IB_LIVE_ERROR;
        }
        enum ib_live_stop why;
        if (dispatch(l, evs, n, &why) != 0) return why;
    }
}

void ib_live_close(struct ib_live *l)
{
    if (!l) return;
    if (l->stack.node.env) ib_stack_destroy(&l->stack);
    if (l->env.pool) ib_pkt_pool_free(l->env.pool);
    ib_evq_destroy(&l->q);
    /* The device goes with its descriptor if we created it (it is not
     * persistent). */
    if (l->fd >= 0) close(l->fd);
    if (l->ep >= 0) close(l->ep);
    if (l->tfd >= 0) close(l->tfd);
    if (l->sfd >= 0) {
        /* A signal that came after the last run is ours: unblocking it
         * now would kill the process on its way out. */
        struct signalfd_siginfo si;
        while (read(l->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
            ;
        close(l->sfd);
    }
    if (l->masked) pthread_sigmask(SIG_SETMASK, &l->oldmask, NULL);
    free(l->spill);
    free(l);
}
