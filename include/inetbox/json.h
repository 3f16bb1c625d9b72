/* The JSON lines observer: one JSON object (RFC 8259) per trace event, one
 * per line, for tools (jq, scripts, notebooks) to read a run. Each object
 * has, in this order:
 *   t        simulated time in ns (integer)       t_s  the same in seconds, "1.000202048"
 *   wall     live mode only: the wall-clock time, RFC 3339 in UTC,
 *            "2025-03-01T14:03:07.123456789Z" (t is then ns since the start)
 *   kind     ib_ev_kind_name ("wire_tx")           layer  OSI layer (integer)
 *   node     node name or null                     iface  interface name or null
 *   journey  the packet's journey id (0: none)
 *   reason   drops only: {"name": "IP_TTL_EXPIRED", "text": "TTL expired"}
 *   len      packet bytes the event carries        data  those bytes in hex (see below)
 * then the union member the kind fills, as a nested object named like the
 * member in struct ib_event (link, bridge, arp, route, frag, icmp, tcp,
 * nat, dhcp, dns, http, app) with every field: addresses as dotted
 * strings, MACs as "02:00:00:00:00:01", TCP states, causes and the
 * protocols' enums by name (include/inetbox/evname.h), TCP flags as an
 * array of names. Strings are escaped per RFC 8259 §7; bytes that are not
 * valid UTF-8 (RFC 3629 §4) become U+FFFD, so every line is valid JSON.
 * The output depends on the events only: same seed, same bytes. */
#ifndef INETBOX_JSON_H
#define INETBOX_JSON_H

#include <stdio.h>

#include "inetbox/trace.h"

/* Which events show their packet bytes as "data". */
enum ib_json_data {
    IB_JSON_DATA_WIRE, /* frames put on a wire (IB_EV_WIRE_TX) only, and in live mode the
                        * frames received (IB_EV_WIRE_RX) too: the default */
    IB_JSON_DATA_ALL,  /* every event that carries bytes */
    IB_JSON_DATA_NONE,
};

struct ib_json;

/* An observer writing to out (not closed by ib_json_free). NULL if out of
 * memory. */
struct ib_json *ib_json_new(FILE *out);
void ib_json_set_data(struct ib_json *j, enum ib_json_data data);
void ib_json_free(struct ib_json *j);

/* The observer: ib_world_observe(w, ib_json_observe, j). */
void ib_json_observe(void *ctx /* struct ib_json */, const struct ib_event *ev);

/* Writes s (n bytes, NUL or not) as a JSON string with its quotes. */
void ib_json_put_string(FILE *out, const char *s, size_t n);

#endif
