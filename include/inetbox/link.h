/* A simulated point-to-point Ethernet link (a cable) between two
 * interfaces. Each direction has a drop-tail transmit queue, a rate
 * (serialization delay) and a propagation delay, and impairments drawn from
 * the link's own seeded random stream: loss, duplication, reordering (an
 * extra delay for the chosen frame) and bit corruption. Links can go down
 * and up; frames queued or in flight on a link that goes down are dropped
 * and counted.
 *
 * Frames arrive in order except when reordered, so each direction keeps
 * its in-flight frames in a small time-ordered ring and arms one timer for
 * the earliest arrival: the event queue holds O(links), not O(packets).
 *
 * Serialization time counts the frame as it is on the wire, padded to the
 * 60-byte minimum, plus its 4-byte FCS (like ns-3, without preamble and
 * inter-frame gap): a 1514-byte frame at 1 Gbit/s takes 12.144 us. The
 * queue limit counts frames waiting behind the one being serialized.
 * Impairments are drawn when a frame starts onto the wire, always in the
 * order loss, corruption, duplication, reordering, so a seed fixes the run.
 * A receiver always gets a packet nobody else references: a frame still
 * shared (a switch's flood, a duplicate) is copied on arrival. */
#ifndef INETBOX_LINK_H
#define INETBOX_LINK_H

#include "inetbox/netif.h"
#include "inetbox/node.h"

struct ib_link_params {
    uint64_t rate_bps; /* 0: unlimited */
    ib_time delay;     /* propagation delay */
    uint32_t queue;    /* packets waiting to be sent, per direction */
    double loss, duplicate, reorder, corrupt; /* probabilities, per frame */
    ib_time reorder_delay; /* extra delay of a reordered frame; 0: twice its
                              serialization time plus 1 us */
};
extern const struct ib_link_params ib_link_defaults;

struct ib_link_flight {
    struct ib_pkt *p;
    ib_time arrive;
    bool corrupted;
};

/* Per direction, kept by the end that transmits. */
struct ib_link_stats {
    uint64_t tx_frames, tx_bytes, rx_frames, dropped_queue, lost, duplicated, reordered,
        corrupted, dropped_down;
};

struct ib_link;
struct ib_link_end {
    struct ib_link *link;
    struct ib_netif *nif; /* the interface at this end; it sends through us */
    uint8_t side;
    /* transmit queue (ring of packets waiting for the wire) */
    struct ib_pkt **q;
    uint32_t q_head, q_len, q_cap; /* q_cap: ring size, grown up to params.queue */
    bool busy; /* a frame is being serialized */
    struct ib_timer tx_timer;
    /* frames in flight toward the other end, ordered by arrival */
    struct ib_link_flight *fl;
    uint32_t fl_head, fl_len, fl_cap;
    struct ib_timer rx_timer;
    struct ib_link_stats stats;
};

struct ib_link {
    uint32_t id;
    struct ib_env *env;
    struct ib_link_params p;
    bool up;
    struct ib_rng rng;
    struct ib_link_end end[2];
};

/* Connects a and b (their ops/drv are set to the link). p NULL: the
 * defaults. IB_ERR_INVAL for bad parameters, IB_ERR_INUSE if an interface
 * already has a driver. */
int ib_link_init(struct ib_link *l, struct ib_env *env, uint32_t id, uint64_t seed,
                 const struct ib_link_params *p, struct ib_netif *a, struct ib_netif *b);
/* Frees queued and in-flight frames (no events) and detaches both ends. */
void ib_link_destroy(struct ib_link *l);
/* Taking a link down drops (and counts) every frame queued or in flight;
 * frames sent while it is down are dropped. Emits IB_EV_LINK_STATE at each
 * end. */
void ib_link_set_up(struct ib_link *l, bool up);

#endif
