/* pcapng writer (draft-ietf-opsawg-pcapng): one file per link, one
 * Interface Description Block per link end named "node:ifname", Enhanced
 * Packet Blocks with nanosecond timestamps (if_tsresol = 9) and the
 * direction flag (inbound/outbound, epb_flags). Timestamps are simulated
 * time, so the same run always writes the same bytes; in live mode
 * (env->live) they are wall-clock time. */
#ifndef INETBOX_PCAPNG_H
#define INETBOX_PCAPNG_H

#include <stdio.h>

#include "inetbox/trace.h"

struct ib_world;
struct ib_netif;
struct ib_pcapng;

/* Writes one file per link of w into dir (created if missing), named
 * "<a-node>_<a-if>--<b-node>_<b-if>.pcapng" (characters other than
 * [A-Za-z0-9._-] become '_'; should two links still share a name, the later
 * gets "-<link id>" appended), and observes w's wire events: each frame is
 * written outbound on the sender's interface when it starts onto the wire
 * and inbound on the receiver's when it arrives. Links added to w later
 * are not captured. Takes one observer slot and one open file per link.
 * NULL on failure (errno set). */
struct ib_pcapng *ib_pcapng_open_world(struct ib_world *w, const char *dir);
/* Stops observing, flushes and closes every file. Call it before
 * ib_world_free(). Returns 0 or IB_ERR_IO (a write failed at any time). */
int ib_pcapng_close(struct ib_pcapng *pc);

/* Writes one file at path capturing the frames of nif alone (interface 0,
 * named "node:ifname"): outbound when it sends one (IB_EV_WIRE_TX),
 * inbound when it receives one (IB_EV_WIRE_RX). Attaches itself to the
 * trace bus nif's environment uses (env->trace; ib_live_trace gives a live
 * loop one). Timestamps are env->epoch + t when env->live. NULL on failure
 * (errno set; EINVAL if the environment has no trace bus). Close it with
 * ib_pcapng_close(). */
struct ib_pcapng *ib_pcapng_open_netif(const struct ib_netif *nif, const char *path);

/* Low-level writers, also used by live mode. */
int ib_pcapng_write_shb(FILE *f);
int ib_pcapng_write_idb(FILE *f, const char *name);
int ib_pcapng_write_epb(FILE *f, uint32_t ifid, ib_time t, const uint8_t *frame, uint32_t len,
                        bool inbound);

#endif
