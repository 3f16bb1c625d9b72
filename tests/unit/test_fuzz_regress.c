/* Replays the fuzz seed corpora (tests/fuzz/corpus/<harness>/, written by
 * tests/fuzz/make_corpus.py, plus any crash reproducer saved there) through
 * the harness bodies of tests/fuzz/fuzz_common.h and of the codec
 * harnesses (fuzz_dns.c, fuzz_dhcp.c, fuzz_http.c, fuzz_scenario.c,
 * fuzz_tcpdump.c, compiled in below with their entry points renamed), so
 * every test run, the sanitizer one included, checks them without
 * libFuzzer. Each harness also eats every other harness's seeds, as odd
 * input. The harness itself aborts on a broken oracle or a leaked packet;
 * here each named seed must also reach the behaviour it was written for. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "fuzz/fuzz_common.h"

/* The codec harnesses share helper names (check, put, same_msg): each gets
 * its own. */
#define LLVMFuzzerTestOneInput fuzz_dns_input
#define check dns_check
#define same_msg dns_same_msg
#include "fuzz/fuzz_dns.c"
#undef same_msg
#undef check
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_dhcp_input
#include "fuzz/fuzz_dhcp.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_http_input
#define put http_put
#define same_msg http_same_msg
#include "fuzz/fuzz_http.c"
#undef same_msg
#undef put
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_scenario_input
#define put scenario_put
#include "fuzz/fuzz_scenario.c"
#undef put
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_tcpdump_input
#define check tcpdump_check
#include "fuzz/fuzz_tcpdump.c"
#undef check
#undef LLVMFuzzerTestOneInput

#ifndef IB_SOURCE_DIR
#error "IB_SOURCE_DIR must name the source tree (set by CMakeLists.txt)"
#endif

/* The stack harnesses' corpora first, in enum ib_fuzz_kind order. */
static const char *const corpora[] = {"eth", "arp",  "ipv4", "icmp",     "udp",    "tcp",
                                      "dns", "dhcp", "http", "scenario", "tcpdump"};

typedef void (*expect_fn)(const struct ib_fuzz_result *r);

/* RFC 826: a request for our address is answered. */
static void eth_arp_request(const struct ib_fuzz_result *r)
{
    assert_int_equal(r->arp_out[IB_ARP_OP_REPLY], 1);
}
/* RFC 792: an echo request gets one echo reply. */
static void one_echo_reply(const struct ib_fuzz_result *r)
{
    assert_int_equal(r->icmp_out[IB_ICMP_ECHO_REPLY], 1);
}
/* RFC 862 over RFC 768: the datagram reaches port 7 and is sent back (the
 * second datagram out, after the one sent at start). */
static void udp_echoed(const struct ib_fuzz_result *r)
{
    assert_int_equal(r->udp_rx, 1);
    assert_int_equal(r->udp_out, 2);
}
static void eth_runt(const struct ib_fuzz_result *r)
{
    assert_int_equal(r->drops[IB_DROP_ETH_TRUNCATED], 1);
}
/* RFC 1812 §5.2: forwarded on, not delivered. */
static void forwarded(const struct ib_fuzz_result *r)
{
    assert_int_equal(r->ip.forwarded, 1);
    assert_int_equal(r->passed_out, 1);
}
/* RFC 826 "merge": a reply for the pending entry releases the queued ping,
 * so both echo requests sent at start leave. */
static void arp_resolves(const struct ib_fuzz_result *r)
{
    assert_int_equal(r->icmp_out[IB_ICMP_ECHO_REQUEST], 2);
    assert_int_equal(r->drops[IB_DROP_ARP_UNRESOLVED], 0);
}
/* Without that reply the queued ping is dropped when ARP gives up. */
static void arp_gives_up(const struct ib_fuzz_result *r)
{
    assert_int_equal(r->icmp_out[IB_ICMP_ECHO_REQUEST], 1);
    assert_int_equal(r->drops[IB_DROP_ARP_UNRESOLVED], 1);
}
static void arp_reply_only(const struct ib_fuzz_result *r)
{
    assert_int_equal(r->arp_out[IB_ARP_OP_REPLY], 1);
    arp_gives_up(r);
}
/* RFC 791 §3.2: two fragments, in either order, make one datagram. */
static void reassembled_echo(const struct ib_fuzz_result *r)
{
    assert_int_equal(r->ip.reassembled, 1);
    assert_int_equal(r->udp_rx, 1);
    assert_int_equal(r->udp_out, 2);
}
/* RFC 1122 §3.3.2: an incomplete datagram is dropped at the timeout and,
 * its first fragment having arrived, time exceeded (code 1) is sent. */
static void reass_timeout(const struct ib_fuzz_result *r)
{
    assert_int_equal(r->drops[IB_DROP_FRAG_TIMEOUT], 1);
    assert_int_equal(r->icmp_out[IB_ICMP_TIME_EXCEEDED], 1);
    assert_int_equal(r->udp_rx, 0);
}
/* RFC 1122 §3.3.2: reassembly resources are bounded; a datagram that
 * cannot take another fragment is discarded whole. */
static void reass_too_many(const struct ib_fuzz_result *r)
{
    assert_int_equal(r->drops[IB_DROP_FRAG_TOO_MANY], 1);
    assert_int_equal(r->drops[IB_DROP_FRAG_TIMEOUT], 0);
}
/* ...and a fourth datagram finds no room while three are pending; those
 * three then time out. */
static void reass_no_space(const struct ib_fuzz_result *r)
{
    assert_int_equal(r->drops[IB_DROP_FRAG_NO_SPACE], 1);
    assert_int_equal(r->drops[IB_DROP_FRAG_TIMEOUT], 3);
}
/* RFC 1122 §3.2.2.1: protocol unreachable. */
static void proto_unreach(const struct ib_fuzz_result *r)
{
    assert_int_equal(r->drops[IB_DROP_IP_UNKNOWN_PROTO], 1);
    assert_int_equal(r->icmp_out[IB_ICMP_DEST_UNREACH], 1);
}
/* RFC 791 §3.2: 1008 bytes of UDP through a 576-byte MTU leave as two
 * fragments, of 552 bytes (the largest multiple of 8 fitting 576 - 20) and
 * 456 bytes. */
static void router_fragments(const struct ib_fuzz_result *r)
{
    assert_int_equal(r->ip.forwarded, 1);
    assert_int_equal(r->frags_out, 2);
    assert_int_equal(r->passed_out, 2);
}
/* RFC 1191 §4 / RFC 1812 §5.2.7.1: DF set and too big: fragmentation
 * needed, not forwarded. */
static void router_needfrag(const struct ib_fuzz_result *r)
{
    assert_int_equal(r->ip.forwarded, 0);
    assert_int_equal(r->drops[IB_DROP_IP_DF_TOO_BIG], 1);
    assert_int_equal(r->icmp_out[IB_ICMP_DEST_UNREACH], 1);
}
/* RFC 1812 §5.3.1: TTL 1 cannot be forwarded: time exceeded. */
static void router_ttl(const struct ib_fuzz_result *r)
{
    assert_int_equal(r->ip.forwarded, 0);
    assert_int_equal(r->drops[IB_DROP_IP_TTL_EXPIRED], 1);
    assert_int_equal(r->icmp_out[IB_ICMP_TIME_EXCEEDED], 1);
}
/* RFC 1122 §3.2.1.3: a datagram from 0.0.0.0 to a unicast address, or
 * from a directed broadcast, has an invalid source: discarded, no reply
 * (found by fuzz_icmp). */
static void bad_source_ignored(const struct ib_fuzz_result *r)
{
    assert_int_equal(r->drops[IB_DROP_IP_BAD_SRC], 1);
    assert_int_equal(r->icmp_out[IB_ICMP_ECHO_REPLY], 0);
}
static void echo_reply_matched(const struct ib_fuzz_result *r) { assert_int_equal(r->echo_rx, 1); }
/* RFC 1122 §4.1.3.3: ICMP errors reach the UDP endpoint that sent. */
static void udp_error_delivered(const struct ib_fuzz_result *r)
{
    assert_int_equal(r->udp_err[IB_ICMP_DEST_UNREACH], 1);
}
static void echo_error_delivered(const struct ib_fuzz_result *r)
{
    assert_int_equal(r->echo_err[IB_ICMP_TIME_EXCEEDED], 1);
}
/* RFC 1122 §4.1.3.1: no listener: port unreachable. */
static void port_unreach(const struct ib_fuzz_result *r)
{
    assert_int_equal(r->drops[IB_DROP_UDP_NO_LISTENER], 1);
    assert_int_equal(r->icmp_out[IB_ICMP_DEST_UNREACH], 1);
}
/* RFC 1122 §3.2.2: but never about a broadcast. */
static void no_error_for_bcast(const struct ib_fuzz_result *r)
{
    assert_int_equal(r->drops[IB_DROP_UDP_NO_LISTENER], 1);
    assert_int_equal(r->icmp_out[IB_ICMP_DEST_UNREACH], 0);
}
/* RFC 768: a zero checksum means none was computed; the datagram is taken. */
static void zero_csum_accepted(const struct ib_fuzz_result *r)
{
    assert_int_equal(r->drops[IB_DROP_UDP_BAD_CHECKSUM], 0);
    udp_echoed(r);
}

/* RFC 9293 §3.5: a SYN to the listener is answered with a SYN-ACK. */
static void tcp_synack(const struct ib_fuzz_result *r)
{
    assert_true(r->tcp_syn_out >= 1);
    assert_int_equal(r->tcp_rst_out, 0);
    assert_int_equal(r->tcp_accepted, 0);
}
/* RFC 9293 §3.10.7.1: a SYN to a closed port gets a RST. */
static void tcp_refused(const struct ib_fuzz_result *r)
{
    assert_int_equal(r->drops[IB_DROP_TCP_NO_LISTENER], 1);
    assert_int_equal(r->tcp_rst_out, 1);
}
/* Three-way handshake to the listener, then 5 bytes read and echoed. */
static void tcp_accept_read(const struct ib_fuzz_result *r)
{
    assert_int_equal(r->tcp_accepted, 1);
    assert_int_equal(r->tcp_rx, 5);
}
/* RFC 9293 §3.10.7.3: SYN_SENT + an acceptable SYN-ACK: ESTABLISHED. */
static void tcp_connected(const struct ib_fuzz_result *r)
{
    assert_int_equal(r->tcp_connected, 1);
    assert_int_equal(r->tcp_rst_out, 0);
}
static void tcp_read5(const struct ib_fuzz_result *r) { assert_int_equal(r->tcp_rx, 5); }
/* RFC 9293 §3.10.7.4: an in-window RST with the exact sequence number
 * resets the connection. */
static void tcp_reset(const struct ib_fuzz_result *r)
{
    assert_int_equal(r->tcp_errors, 1);
    assert_int_equal(r->tcp_rst_out, 0);
}
static void tcp_bad_csum(const struct ib_fuzz_result *r)
{
    assert_int_equal(r->drops[IB_DROP_TCP_BAD_CHECKSUM], 1);
    assert_int_equal(r->tcp_rx, 0);
}
static void tcp_bad_options(const struct ib_fuzz_result *r)
{
    assert_int_equal(r->drops[IB_DROP_TCP_BAD_OPTIONS], 1);
}
static void tcp_truncated(const struct ib_fuzz_result *r)
{
    assert_int_equal(r->drops[IB_DROP_TCP_TRUNCATED], 1);
}
/* RFC 9293 §3.6: the peer's FIN is end of data; the service closes its
 * side too (CLOSE_WAIT, then LAST_ACK). */
static void tcp_peer_fin(const struct ib_fuzz_result *r)
{
    assert_int_equal(r->tcp_eof, 1);
    assert_int_equal(r->tcp_entered[IB_TCP_CLOSE_WAIT], 1);
    assert_int_equal(r->tcp_entered[IB_TCP_LAST_ACK], 1);
}
static void tcp_data_fin(const struct ib_fuzz_result *r)
{
    assert_int_equal(r->tcp_rx, 4);
    tcp_peer_fin(r);
}
/* RFC 9293 §3.10.7.4: a RST in SYN_RECEIVED from a passive open returns
 * to LISTEN: nothing is accepted or sent back. */
static void tcp_syn_rcvd_reset(const struct ib_fuzz_result *r)
{
    assert_int_equal(r->tcp_accepted, 0);
    assert_int_equal(r->tcp_rst_out, 0);
    assert_int_equal(r->tcp_syn_out, 1);
}
/* RFC 9293 §3.6: our FIN acked, then the peer's: TIME_WAIT. */
static void tcp_time_wait(const struct ib_fuzz_result *r)
{
    assert_int_equal(r->tcp_entered[IB_TCP_FIN_WAIT_2], 1);
    assert_int_equal(r->tcp_entered[IB_TCP_TIME_WAIT], 1);
}
/* RFC 9293 §3.6: LAST_ACK and our FIN acked: CLOSED, no RST. */
static void tcp_last_ack(const struct ib_fuzz_result *r)
{
    assert_int_equal(r->tcp_entered[IB_TCP_LAST_ACK], 1);
    assert_int_equal(r->tcp_entered[IB_TCP_CLOSED], 1);
    assert_int_equal(r->tcp_rst_out, 0);
}
/* RFC 6675 §5: duplicate ACKs whose SACK blocks grow start loss
 * recovery; RFC 6298 §5: a partial ACK leaves the rest to the timer. */
static void tcp_retransmitted(const struct ib_fuzz_result *r)
{
    assert_true(r->tcp_retransmits >= 1);
}

static const struct {
    const char *corpus, *file;
    expect_fn check;
} expectations[] = {
    {"eth", "arp_request", eth_arp_request},
    {"eth", "ping", one_echo_reply},
    {"eth", "udp_echo", udp_echoed},
    {"eth", "runt", eth_runt},
    {"eth", "router_forward", forwarded},
    {"arp", "request", arp_reply_only},
    {"arp", "reply_resolves", arp_resolves},
    {"arp", "gratuitous", arp_gives_up},
    {"arp", "router_request_eth1", arp_reply_only},
    {"ipv4", "frag_pair", reassembled_echo},
    {"ipv4", "frag_reverse", reassembled_echo},
    {"ipv4", "frag_timeout", reass_timeout},
    {"ipv4", "tight_too_many_frags", reass_too_many},
    {"ipv4", "tight_no_space", reass_no_space},
    {"ipv4", "bad_proto", proto_unreach},
    {"ipv4", "router_fragment", router_fragments},
    {"ipv4", "router_df", router_needfrag},
    {"ipv4", "router_ttl1", router_ttl},
    {"icmp", "echo_request", one_echo_reply},
    {"icmp", "echo_reply", echo_reply_matched},
    {"icmp", "unreach_port", udp_error_delivered},
    {"icmp", "time_exceeded_echo", echo_error_delivered},
    {"icmp", "router_echo", forwarded},
    {"icmp", "bug_echo_from_src_zero", bad_source_ignored},
    {"icmp", "bug_echo_from_directed_bcast", bad_source_ignored},
    /* An all-zero reply must carry checksum 0xffff, not 0x0000 (RFC 1624
     * §3); the harness checks every reply's checksum. */
    {"icmp", "bug_echo_reply_csum_zero", one_echo_reply},
    {"udp", "echo", udp_echoed},
    {"udp", "no_listener", port_unreach},
    {"udp", "bcast_no_listener", no_error_for_bcast},
    {"udp", "zero_csum", zero_csum_accepted},
    {"udp", "router_echo_eth1", udp_echoed},
    {"tcp", "listen_syn", tcp_synack},
    {"tcp", "no_listener_rst", tcp_refused},
    {"tcp", "handshake_data", tcp_accept_read},
    {"tcp", "active_synack", tcp_connected},
    {"tcp", "estab_data", tcp_read5},
    {"tcp", "estab_rst", tcp_reset},
    {"tcp", "estab_bad_csum", tcp_bad_csum},
    {"tcp", "estab_bad_options", tcp_bad_options},
    {"tcp", "truncated", tcp_truncated},
    {"tcp", "peer_fin", tcp_peer_fin},
    {"tcp", "passive_data_fin", tcp_data_fin},
    {"tcp", "syn_rcvd_rst", tcp_syn_rcvd_reset},
    {"tcp", "fin_wait_1_acked", tcp_time_wait},
    {"tcp", "last_ack_acked", tcp_last_ack},
    {"tcp", "in_flight_sack", tcp_retransmitted},
    {"tcp", "in_flight_rto", tcp_retransmitted},
};

/* The whole file in an exactly-sized heap buffer, so that ASan sees any
 * read past its end. */
static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        if (got == 0)
            break;
        n += got;
    }
    fclose(f);
    buf = realloc(buf, n ? n : 1);
    assert_non_null(buf);
    *len = n;
    return buf;
}

typedef void (*visit_fn)(void *ctx, unsigned corpus, const char *file, const uint8_t *b,
                         size_t len);

/* Calls visit with every file of every corpus. */
static void each_seed(visit_fn visit, void *ctx)
{
    for (unsigned c = 0; c < IB_ARRAY_LEN(corpora); c++) {
        char dir[1024];
        snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", IB_SOURCE_DIR, corpora[c]);
        DIR *d = opendir(dir);
        assert_non_null(d);
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            if (de->d_name[0] == '.')
                continue;
            char path[1400];
            snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
            size_t len;
            uint8_t *data = read_file(path, &len);
            visit(ctx, c, de->d_name, data, len);
            free(data);
        }
        closedir(d);
    }
}

struct stack_replay {
    enum ib_fuzz_kind kind;
    unsigned own, checked;
};

static void stack_visit(void *ctx, unsigned corpus, const char *file, const uint8_t *b, size_t len)
{
    struct stack_replay *sr = ctx;
    struct ib_fuzz_result r;
    memset(&r, 0, sizeof(r));
    ib_fuzz_run(sr->kind, b, len, &r);
    if (corpus != (unsigned)sr->kind)
        return;
    sr->own++;
    for (unsigned i = 0; i < IB_ARRAY_LEN(expectations); i++) {
        if (strcmp(expectations[i].corpus, corpora[corpus]) == 0 &&
            strcmp(expectations[i].file, file) == 0) {
            print_message("%s/%s\n", corpora[corpus], file);
            expectations[i].check(&r);
            sr->checked++;
        }
    }
}

/* Runs harness `kind` over every file of every corpus; returns how many
 * files its own corpus holds and checks their expectations. */
static unsigned replay(enum ib_fuzz_kind kind)
{
    struct stack_replay sr = {kind, 0, 0};
    each_seed(stack_visit, &sr);
    unsigned want = 0;
    for (unsigned i = 0; i < IB_ARRAY_LEN(expectations); i++)
        want += strcmp(expectations[i].corpus, corpora[kind]) == 0;
    assert_int_equal(sr.checked, want); /* every named seed is there */
    return sr.own;
}

/* Each codec seed, read by the codec directly: what it was written to be. */
typedef void (*seed_fn)(const char *file, const uint8_t *b, size_t len);

/* RFC 1035 §4.1: every DNS seed is a whole message of the kind its name
 * says. */
static void dns_seed(const char *file, const uint8_t *b, size_t len)
{
    struct ib_dns_msg *m = malloc(sizeof(*m));
    assert_non_null(m);
    assert_int_equal(ib_dns_parse(b, len, m), IB_DNS_OK);
    if (strcmp(file, "query") == 0) {
        assert_false(m->qr);
        assert_int_equal(m->qdcount, 1);
    } else if (strcmp(file, "referral") == 0) {
        /* RFC 1034 §4.3.2 step 3b: no answer, the delegation's NS records */
        assert_true(m->qr);
        assert_int_equal(m->ancount, 0);
        assert_true(m->nscount > 0);
        assert_int_equal(m->ns[0].type, IB_DNS_T_NS);
    } else if (strcmp(file, "nxdomain") == 0) {
        assert_int_equal(m->rcode, IB_DNS_R_NXDOMAIN);
    } else if (strcmp(file, "cname") == 0) {
        assert_true(m->ancount > 0);
        assert_int_equal(m->an[0].type, IB_DNS_T_CNAME);
    }
    free(m);
}

/* RFC 2132 §9.6: each DHCP seed carries the message type it is named for. */
static void dhcp_seed(const char *file, const uint8_t *b, size_t len)
{
    static const struct {
        const char *file;
        uint8_t type;
    } types[] = {
        {"discover", IB_DHCPDISCOVER}, {"offer", IB_DHCPOFFER},    {"request", IB_DHCPREQUEST},
        {"ack", IB_DHCPACK},           {"ack_overload", IB_DHCPACK}, {"nak", IB_DHCPNAK},
        {"release", IB_DHCPRELEASE},
    };
    struct ib_dhcp_msg m;
    assert_int_equal(ib_dhcp_parse(b, len, &m), IB_DHCP_OK);
    for (size_t i = 0; i < IB_ARRAY_LEN(types); i++)
        if (strcmp(file, types[i].file) == 0)
            assert_int_equal(m.type, types[i].type);
    /* RFC 2131 §4.1: options continued in the file field */
    if (strcmp(file, "ack_overload") == 0)
        assert_true(m.overload != 0);
}

/* The HTTP harness's first byte: bit 0 response, bit 1 response to HEAD.
 * Every seed is a complete message except the one RFC 9112 §6.3 rule 3
 * rejects (Transfer-Encoding with Content-Length in a request). */
static void http_seed(const char *file, const uint8_t *b, size_t len)
{
    assert_true(len >= 1);
    struct ib_http_parser *p = malloc(sizeof(*p));
    assert_non_null(p);
    ib_http_parser_init(p, b[0] & 1 ? IB_HTTP_RESPONSE : IB_HTTP_REQUEST, NULL, NULL);
    p->head_request = (b[0] & 3) == 3;
    size_t used;
    int err = ib_http_feed(p, b + 1, len - 1, &used);
    if (!err && !ib_http_done(p))
        err = ib_http_finish(p);
    if (strcmp(file, "bad_te_cl") == 0) {
        assert_int_equal(err, IB_HTTP_E_TE_AND_CL);
    } else {
        assert_int_equal(err, IB_HTTP_OK);
        assert_true(ib_http_done(p));
    }
    if (strcmp(file, "get") == 0)
        assert_true(p->msg.method.n == 3 && memcmp(p->msg.method.p, "GET", 3) == 0);
    if (strcmp(file, "resp_304") == 0)
        assert_int_equal(p->msg.status, 304);
    free(p);
}

/* Seeds of a mistake (a YAML syntax error, a bad value, an alias, which
 * the loader refuses) are refused; the others load. */
static void scenario_seed(const char *file, const uint8_t *b, size_t len)
{
    struct ib_scenario sc;
    char err[IB_SC_ERR_MAX];
    int rc = ib_scenario_parse(&sc, file, (const char *)b, len, err, sizeof(err));
    bool bad = strcmp(file, "syntax.yaml") == 0 || strcmp(file, "alias.yaml") == 0 ||
               strncmp(file, "bad-", 4) == 0;
    if (bad)
        assert_int_equal(rc, IB_ERR_INVAL);
    else if (rc != 0)
        fail_msg("%s: %s", file, err);
    ib_scenario_free(&sc);
}

/* The application seeds are decoded, whole: their line shows the
 * question, the BOOTP message or the request line. */
static void tcpdump_seed(const char *file, const uint8_t *b, size_t len)
{
    static const struct {
        const char *prefix, *shows;
    } apps[] = {{"dns_", " A? www.google.com. "},
                {"dhcp_", ": BOOTP/DHCP, Request from 02:00:00:00:00:02, length 300, "},
                {"http_", ": HTTP: GET / HTTP/1.1"}};
    char line[512];
    ib_tcpdump_frame(b, len, line, sizeof(line));
    for (size_t i = 0; i < IB_ARRAY_LEN(apps); i++) {
        if (strncmp(file, apps[i].prefix, strlen(apps[i].prefix)) != 0)
            continue;
        if (!strstr(line, apps[i].shows) || strstr(line, "[|") || strstr(line, "malformed"))
            fail_msg("%s: %s", file, line);
    }
}

static const struct {
    const char *corpus;
    int (*run)(const uint8_t *data, size_t size);
    seed_fn seed;
} codecs[] = {
    {"dns", fuzz_dns_input, dns_seed},
    {"dhcp", fuzz_dhcp_input, dhcp_seed},
    {"http", fuzz_http_input, http_seed},
    {"scenario", fuzz_scenario_input, scenario_seed},
    {"tcpdump", fuzz_tcpdump_input, tcpdump_seed},
};

struct codec_replay {
    unsigned i, own;
};

static void codec_visit(void *ctx, unsigned corpus, const char *file, const uint8_t *b, size_t len)
{
    struct codec_replay *cr = ctx;
    assert_int_equal(codecs[cr->i].run(b, len), 0);
    if (strcmp(corpora[corpus], codecs[cr->i].corpus) == 0) {
        codecs[cr->i].seed(file, b, len);
        cr->own++;
    }
}

/* Runs codec harness i over every file of every corpus; returns how many
 * files its own corpus holds, each checked by its seed function. */
static unsigned replay_codec(unsigned i)
{
    struct codec_replay cr = {i, 0};
    each_seed(codec_visit, &cr);
    return cr.own;
}

static void test_eth(void **state) { assert_true(replay(IB_FUZZ_ETH) >= 3); }
static void test_arp(void **state) { assert_true(replay(IB_FUZZ_ARP) >= 3); }
static void test_ipv4(void **state) { assert_true(replay(IB_FUZZ_IP4) >= 3); }
static void test_icmp(void **state) { assert_true(replay(IB_FUZZ_ICMP) >= 3); }
static void test_udp(void **state) { assert_true(replay(IB_FUZZ_UDP) >= 3); }
static void test_tcp(void **state) { assert_true(replay(IB_FUZZ_TCP) >= 3); }
static void test_dns(void **state) { assert_true(replay_codec(0) >= 3); }
static void test_dhcp(void **state) { assert_true(replay_codec(1) >= 3); }
static void test_http(void **state) { assert_true(replay_codec(2) >= 3); }
static void test_scenario(void **state) { assert_true(replay_codec(3) >= 3); }
static void test_tcpdump(void **state) { assert_true(replay_codec(4) >= 3); }

/* The same input always gives the same run. */
static void test_deterministic(void **state)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/ipv4/router_fragment", IB_SOURCE_DIR);
    size_t len;
    uint8_t *data = read_file(path, &len);
    struct ib_fuzz_result a, b;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    ib_fuzz_run(IB_FUZZ_IP4, data, len, &a);
    ib_fuzz_run(IB_FUZZ_IP4, data, len, &b);
    free(data);
    assert_memory_equal(&a, &b, sizeof(a));
    assert_true(a.trace_sum != 0);
}

/* Inputs too short for a record still build, run and tear down a stack. */
static void test_empty_inputs(void **state)
{
    static const uint8_t in[5] = {1, 0, 0, 0x07, 0};
    for (size_t n = 0; n <= sizeof(in); n++) {
        struct ib_fuzz_result r;
        memset(&r, 0, sizeof(r));
        ib_fuzz_run(IB_FUZZ_IP4, in, n, &r);
        assert_int_equal(r.frames_in, n == sizeof(in) ? 1 : 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eth),           cmocka_unit_test(test_arp),
        cmocka_unit_test(test_ipv4),          cmocka_unit_test(test_icmp),
        cmocka_unit_test(test_udp),           cmocka_unit_test(test_tcp),
        cmocka_unit_test(test_dns),           cmocka_unit_test(test_dhcp),
        cmocka_unit_test(test_http),          cmocka_unit_test(test_scenario),
        cmocka_unit_test(test_tcpdump),
        cmocka_unit_test(test_deterministic), cmocka_unit_test(test_empty_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
