/* Live mode: one host's stack on a Linux TAP device, driven in real time,
 * so that the Linux kernel and its tools (ping, curl, dig, nc) talk to it.
 *
 * The loop is the simulator's event queue run against the clock: epoll
 * waits on the TAP, a timerfd armed to the queue's next deadline and a
 * signalfd for SIGINT and SIGTERM (blocked from ib_live_open to
 * ib_live_close). Time is CLOCK_MONOTONIC since the open, the node's
 * random stream is seeded from the OS (getrandom), and env->epoch holds the
 * CLOCK_REALTIME of time 0 so that observers print wall-clock times. Every
 * frame read or written is a wire event (IB_EV_WIRE_RX, IB_EV_WIRE_TX),
 * so the tcpdump, pcapng and JSON observers see the traffic. */
#ifndef INETBOX_LIVE_H
#define INETBOX_LIVE_H

#include "inetbox/stack.h"

#define IB_LIVE_DEFAULT_TAP "ib0"
#define IB_LIVE_MTU_MIN 68u    /* RFC 791: every IPv4 module takes 68-byte datagrams */
#define IB_LIVE_MTU_MAX 65521u /* a TAP's largest: 65535 less the Ethernet header */

struct ib_live_config {
    const char *tap; /* device name; NULL: IB_LIVE_DEFAULT_TAP */
    struct ib_mac mac;
    bool has_mac; /* else 02: and five random bytes */
    /* Set on a TAP we create; 0: the device's own (1500 when new). */
    uint16_t mtu;
    /* Also configure the Linux side of a TAP we create: this address. */
    bool host_addr;
    ib_ip4 host_ip;
    uint8_t host_plen;
};

struct ib_live;

/* Whether Linux takes name as one interface's name: 1 to 15 bytes, none of
 * them '/', ':', '%' (a template: "ib%d" names some other device) or
 * white space. IB_LIVE_TAP_NAME_RULE says so in messages. */
bool ib_live_tap_name_ok(const char *name);
#define IB_LIVE_TAP_NAME_RULE "1 to 15 characters, no '/', ':', '%' or blanks"

/* Opens (or creates) the TAP device and builds the stack on it, one
 * interface named like the device, up, no address. A device we create is
 * brought up on the Linux side too (with cfg's MTU and host address);
 * one that exists is left as it is, so an MTU or host address for it is
 * refused, and its own MTU is used (it must lie in IB_LIVE_MTU_MIN to
 * IB_LIVE_MTU_MAX). NULL on failure, with a one-line reason in err
 * starting "cannot create TAP NAME: " when the device could not be had
 * (no /dev/net/tun, no permission, in use), "cannot use TAP NAME: " when
 * it exists but does not fit. */
struct ib_live *ib_live_open(const struct ib_live_config *cfg, char *err, size_t errlen);
/* The same on a descriptor that carries one Ethernet frame per read and
 * write (a test's socketpair standing in for the TAP); cfg->tap names the
 * interface, host_addr is not allowed. fd is the loop's from then on, even
 * on failure. */
struct ib_live *ib_live_open_fd(int fd, const struct ib_live_config *cfg, char *err, size_t errlen);

struct ib_stack *ib_live_stack(struct ib_live *l);
struct ib_netif *ib_live_netif(struct ib_live *l);
struct ib_env *ib_live_env(struct ib_live *l);
/* The loop's trace bus, made the environment's (env->trace) from now on,
 * for writers that attach themselves to the environment's bus
 * (ib_pcapng_open_netif). Until then, or an ib_live_observe, no event is
 * even built. */
struct ib_trace *ib_live_trace(struct ib_live *l);
/* Observers see every event from now on. IB_ERR_NOMEM when the bus is full. */
int ib_live_observe(struct ib_live *l, ib_observer_fn fn, void *ctx);
/* Detaches an observer, which may then be freed. */
void ib_live_unobserve(struct ib_live *l, ib_observer_fn fn, void *ctx);
/* True if ib_live_open created the device (it goes away with the loop). */
bool ib_live_created(const struct ib_live *l);

enum ib_live_stop {
    IB_LIVE_STOPPED,  /* ib_live_stop() was called */
    IB_LIVE_SIGNAL,   /* SIGINT or SIGTERM (ib_live_signal says which) */
    IB_LIVE_DEADLINE, /* ib_now() reached the deadline */
    IB_LIVE_ERROR,    /* the device failed or went away (ib_live_error says why) */
};

/* Runs the loop until ib_live_stop(), SIGINT or SIGTERM, the deadline
 * (IB_TIME_NEVER: none) or an error. Timers and frames are handled in
 * time order as the clock reaches them; at most IB_LIVE_RX_BATCH frames
 * are read per wakeup so that timers are never starved. A deadline already
 * passed still runs the due timers and polls the device and the signals
 * once. A frame longer than the MTU allows (plus an Ethernet header and an
 * 802.1Q tag) is dropped as IB_DROP_ETH_TOO_BIG, never cut short. */
#define IB_LIVE_RX_BATCH 64u
enum ib_live_stop ib_live_run(struct ib_live *l, ib_time deadline);
/* Makes the running ib_live_run return IB_LIVE_STOPPED once the current
 * callback returns, whatever else happens in that turn (a deadline
 * reached, a frame or timer still due); outside a run, the next run
 * returns IB_LIVE_STOPPED as soon as it has run what is due. Each stop is
 * reported once. Safe from any callback. */
void ib_live_stop(struct ib_live *l);
int ib_live_signal(const struct ib_live *l);
const char *ib_live_error(const struct ib_live *l);

/* Frees the stack and the loop and restores the signal mask it found (a
 * signal still pending is consumed), so loops open at once close in the
 * reverse order; the TAP goes away if we created it. */
void ib_live_close(struct ib_live *l);

#endif
