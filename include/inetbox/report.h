/* The HTML report: an observer that records what a page needs to show a
 * run, and a writer of that page.
 *
 * Recorded: every frame put on a wire (when it left, when it arrived or
 * that it was lost, its bytes), drops, the topology (nodes, interfaces,
 * addresses, links), what each node's tables held over time (ARP cache,
 * switch MAC table, routes, NAT mappings, the DNS resolver's answers), each
 * TCP connection's states and statistics (cwnd, RTT, bytes in flight) from
 * both ends, the DHCP, DNS and HTTP events, and the story's lines in every
 * language.
 *
 * Written: one self-contained HTML file. The page's template, style and
 * script are the files of src/report/web/, compiled in (cmake/embed.cmake);
 * the data is a JSON object (RFC 8259) inside <script type=
 * "application/json">, with every '<' written \u003c so that no string
 * can end the element. The script dissects frames from their bytes and
 * draws the views; the page needs no network and no server.
 *
 * Use (the simulator):
 *     struct ib_report *r = ib_report_new();
 *     ib_report_add_world(r, w);             after building, before the run
 *     ib_world_observe(w, ib_report_observe, r);
 *     ... run ...
 *     ib_report_snapshot(r);                 while the nodes still exist
 *     ib_report_set_story(r, story);         optional, after ib_story_finish
 *     ib_report_write(r, file);
 *     ib_report_free(r);
 * Live mode is the same with ib_report_add_node(r, &stack->node) for the
 * one stack and ib_live_observe(l, ib_report_observe, r): frames on an
 * interface without a simulated link come from or go to "outside". */
#ifndef INETBOX_REPORT_H
#define INETBOX_REPORT_H

#include <stdio.h>

#include "inetbox/story.h"
#include "inetbox/trace.h"

struct ib_world;
struct ib_report;

/* Bounds on what is recorded; zero fields take the defaults. */
struct ib_report_limits {
    uint32_t max_frames;  /* frames kept (default 200000); later ones are counted */
    size_t full_bytes;    /* frames are kept whole until this many bytes were kept
                             (default 8 MiB) ... */
    uint32_t snaplen;     /* ... then cut to this many bytes (default 128) */
    uint32_t max_samples; /* TCP state/statistics samples (default 500000) */
    uint32_t max_events;  /* drops, ARP, NAT, DNS, DHCP, HTTP ... events (default 200000) */
};
extern const struct ib_report_limits ib_report_defaults;

/* NULL if out of memory. */
struct ib_report *ib_report_new(void);
void ib_report_free(struct ib_report *r);
void ib_report_set_limits(struct ib_report *r, const struct ib_report_limits *lim);
/* The page's title (copied); default "inetbox report". */
int ib_report_set_title(struct ib_report *r, const char *title);

/* The observer. */
void ib_report_observe(void *ctx /* struct ib_report */, const struct ib_event *ev);

/* Every node, interface and link of w, in the world's order. Call it
 * before the run, so that each frame is matched with the link it crossed;
 * the pointers are used until ib_report_snapshot. */
int ib_report_add_world(struct ib_report *r, const struct ib_world *w);
/* One node and its interfaces, outside any world (live mode). */
int ib_report_add_node(struct ib_report *r, const struct ib_node *n);
/* After the run, while the nodes exist: interface addresses and routing
 * tables as they are now, each route dated by the DHCP lease that brought
 * it, if one did. After this the report holds no pointer into the run and
 * ignores events (stopping applications afterwards is not part of it). */
int ib_report_snapshot(struct ib_report *r);
/* The story's title, step headings and lines in every language (copied);
 * the page links each line to the frames its node sent or received at
 * that moment. */
int ib_report_set_story(struct ib_report *r, const struct ib_story *st);

/* Frames seen but not kept (max_frames reached). */
uint64_t ib_report_unrecorded(const struct ib_report *r);
uint32_t ib_report_frames(const struct ib_report *r);

/* Writes the HTML page: 0, IB_ERR_NOMEM or IB_ERR_IO. */
int ib_report_write(const struct ib_report *r, FILE *out);
/* Writes only the JSON data object (what the page embeds), for tools and
 * tests: 0, IB_ERR_NOMEM or IB_ERR_IO. */
int ib_report_write_json(const struct ib_report *r, FILE *out);

#endif
