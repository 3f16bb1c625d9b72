/* DHCP wire format: the six messages of a lease's life (DISCOVER, OFFER,
 * REQUEST, ACK, NAK, RELEASE) laid out by hand from RFC 2131 §2 figure 1
 * and RFC 2132 (each one, wrapped in UDP 68->67 or 67->68, decodes in
 * `tshark -V` as the DHCP message with the fields and options below and no
 * malformed packet), parse -> emit bit-exact (the vectors list options in
 * the emitter's canonical order), option overload (RFC 2131 §4.1), the
 * bounds on lists and unknown options, every malformation mapped to its
 * reason, and the fuzz seeds (tests/fuzz/corpus/dhcp/, these vectors)
 * through the fuzz harness's oracles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fuzz/fuzz_dhcp.c"
#include "inetbox/dhcp.h"

#define XID 0x3903f326u
#define SERVER IB_IP4(192, 168, 0, 1)
#define LEASED IB_IP4(192, 168, 0, 100)
#define MAXLEN 1024u

static const uint8_t mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x10};

struct fixed {
    uint8_t op;
    uint16_t flags;
    ib_ip4 ciaddr, yiaddr, siaddr;
};

/* RFC 2131 §2 figure 1, byte by byte: op htype hlen hops | xid | secs
 * flags | ciaddr | yiaddr | siaddr | giaddr | chaddr(16) | sname(64) |
 * file(128) | cookie 99.130.83.99 | options, end, zero padding to 300. */
static size_t build(uint8_t *b, const struct fixed *f, const uint8_t *opts, size_t olen)
{
    memset(b, 0, MAXLEN);
    b[0] = f->op;
    b[1] = 1; /* Ethernet, RFC 1700 */
    b[2] = 6;
    b[4] = 0x39, b[5] = 0x03, b[6] = 0xf3, b[7] = 0x26;
    b[10] = (uint8_t)(f->flags >> 8);
    b[11] = (uint8_t)f->flags;
    for (int i = 0; i < 4; i++) {
        b[12 + i] = (uint8_t)(f->ciaddr >> (24 - 8 * i));
        b[16 + i] = (uint8_t)(f->yiaddr >> (24 - 8 * i));
        b[20 + i] = (uint8_t)(f->siaddr >> (24 - 8 * i));
    }
    memcpy(b + 28, mac, 6);
    b[236] = 99, b[237] = 130, b[238] = 83, b[239] = 99;
    memcpy(b + 240, opts, olen);
    size_t len = 240 + olen;
    return len < 300 ? 300 : len;
}

#define CLIENT_ID 61, 7, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x10
#define SERVER_ID 54, 4, 192, 168, 0, 1
#define HOSTNAME 12, 6, 'l', 'a', 'p', 't', 'o', 'p'
#define PRL 55, 4, 1, 3, 6, 15

static const uint8_t discover_opts[] = {
    53, 1, 1, CLIENT_ID, HOSTNAME, PRL, 57, 2, 0x05, 0xdc, 255,
};
static const uint8_t offer_opts[] = {
    53,  1,   2,    SERVER_ID, 51,   4,    0x00, 0x01, 0x51, 0x80, /* 86400 s */
    58,  4,   0x00, 0x00,      0xa8, 0xc0,                         /* 43200 s */
    59,  4,   0x00, 0x01,      0x27, 0x50,                         /* 75600 s */
    1,   4,   255,  255,       255,  0,    3,    4,    192,  168,  0,   1,   6,   8,
    192, 168, 0,    1,         8,    8,    8,    8,    15,   9,    'h', 'o', 'm', 'e',
    '.', 'a', 'r',  'p',       'a',  28,   4,    192,  168,  0,    255, /* broadcast address (RFC
                                                                           2132 §5.3): kept opaque
                                                                         */
    255,
};
static const uint8_t request_opts[] = {
    53, 1, 3, CLIENT_ID, 50, 4, 192, 168, 0, 100, SERVER_ID, HOSTNAME, PRL, 255,
};
static const uint8_t ack_opts[] = {
    53, 1, 5, SERVER_ID, 51,  4, 0x00, 0x01, 0x51, 0x80, 1,   4, 255, 255, 255,
    0,  3, 4, 192,       168, 0, 1,    6,    4,    192,  168, 0, 1,   255,
};
static const uint8_t nak_opts[] = {
    53,  1,   6,   SERVER_ID, 56,  13,  'w', 'r', 'o', 'n',
    'g', ' ', 'n', 'e',       't', 'w', 'o', 'r', 'k', 255,
};
static const uint8_t release_opts[] = {53, 1, 7, CLIENT_ID, SERVER_ID, 255};

struct vector {
    const char *name;
    struct fixed f;
    const uint8_t *opts;
    size_t olen;
};

static const struct vector vectors[] = {
    {"discover", {1, 0x8000, 0, 0, 0}, discover_opts, sizeof(discover_opts)},
    {"offer", {2, 0x8000, 0, LEASED, SERVER}, offer_opts, sizeof(offer_opts)},
    {"request", {1, 0x8000, 0, 0, 0}, request_opts, sizeof(request_opts)},
    {"ack", {2, 0x8000, 0, LEASED, SERVER}, ack_opts, sizeof(ack_opts)},
    {"nak", {2, 0x8000, 0, 0, 0}, nak_opts, sizeof(nak_opts)},
    {"release", {1, 0, LEASED, 0, 0}, release_opts, sizeof(release_opts)},
};

static int parse_vec(unsigned i, struct ib_dhcp_msg *m, uint8_t *b)
{
    const struct vector *v = &vectors[i];
    size_t len = build(b, &v->f, v->opts, v->olen);
    return ib_dhcp_parse(b, len, m);
}

static void check_fixed(const struct ib_dhcp_msg *m, const struct fixed *f)
{
    assert_int_equal(m->op, f->op);
    assert_int_equal(m->htype, 1);
    assert_int_equal(m->hlen, 6);
    assert_int_equal(m->xid, XID);
    assert_int_equal(m->flags, f->flags);
    assert_int_equal(m->ciaddr, f->ciaddr);
    assert_int_equal(m->yiaddr, f->yiaddr);
    assert_int_equal(m->siaddr, f->siaddr);
    assert_int_equal(m->giaddr, 0);
    assert_memory_equal(m->chaddr, mac, 6);
}

static void test_discover(void **state)
{
    (void)state;
    uint8_t b[MAXLEN];
    struct ib_dhcp_msg m;
    assert_int_equal(parse_vec(0, &m, b), 0);
    check_fixed(&m, &vectors[0].f);
    assert_int_equal(m.type, IB_DHCPDISCOVER);
    assert_int_equal(m.client_id_len, 7);
    assert_int_equal(m.client_id[0], 1); /* RFC 2132 §9.14: type, then the MAC */
    assert_memory_equal(m.client_id + 1, mac, 6);
    assert_int_equal(m.host_name_len, 6);
    assert_memory_equal(m.host_name, "laptop", 6);
    assert_int_equal(m.prl_len, 4);
    assert_memory_equal(m.prl, "\x01\x03\x06\x0f", 4);
    assert_int_equal(m.max_msg_size, 1500);
    assert_false(ib_dhcp_has(&m, IB_DHCP_OPT_SERVER_ID));
    assert_false(ib_dhcp_has(&m, IB_DHCP_OPT_REQUESTED_IP));
    assert_int_equal(m.n_unknown, 0);
}

static void test_offer(void **state)
{
    (void)state;
    uint8_t b[MAXLEN];
    struct ib_dhcp_msg m;
    assert_int_equal(parse_vec(1, &m, b), 0);
    check_fixed(&m, &vectors[1].f);
    assert_int_equal(m.type, IB_DHCPOFFER);
    assert_int_equal(m.server_id, SERVER);
    assert_int_equal(m.lease_time, 86400);
    assert_int_equal(m.t1, 43200);
    assert_int_equal(m.t2, 75600);
    assert_int_equal(m.subnet_mask, IB_IP4(255, 255, 255, 0));
    assert_int_equal(m.n_routers, 1);
    assert_int_equal(m.routers[0], SERVER);
    assert_int_equal(m.n_dns, 2);
    assert_int_equal(m.dns[0], SERVER);
    assert_int_equal(m.dns[1], IB_IP4(8, 8, 8, 8));
    assert_int_equal(m.domain_name_len, 9);
    assert_memory_equal(m.domain_name, "home.arpa", 9);
    assert_int_equal(m.n_unknown, 1);
    assert_int_equal(m.unknown[0].code, 28);
    assert_int_equal(m.unknown[0].len, 4);
    assert_memory_equal(m.unknown_data + m.unknown[0].off, "\xc0\xa8\x00\xff", 4);
}

static void test_request_ack_nak_release(void **state)
{
    (void)state;
    uint8_t b[MAXLEN];
    struct ib_dhcp_msg m;
    assert_int_equal(parse_vec(2, &m, b), 0);
    check_fixed(&m, &vectors[2].f);
    assert_int_equal(m.type, IB_DHCPREQUEST);
    assert_int_equal(m.requested_ip, LEASED);
    assert_int_equal(m.server_id, SERVER);
    assert_int_equal(m.host_name_len, 6);

    assert_int_equal(parse_vec(3, &m, b), 0);
    check_fixed(&m, &vectors[3].f);
    assert_int_equal(m.type, IB_DHCPACK);
    assert_int_equal(m.lease_time, 86400);
    assert_false(ib_dhcp_has(&m, IB_DHCP_OPT_RENEWAL_T1));
    assert_int_equal(m.n_dns, 1);

    assert_int_equal(parse_vec(4, &m, b), 0);
    check_fixed(&m, &vectors[4].f);
    assert_int_equal(m.type, IB_DHCPNAK);
    assert_int_equal(m.message_len, 13);
    assert_memory_equal(m.message, "wrong network", 13);

    assert_int_equal(parse_vec(5, &m, b), 0);
    check_fixed(&m, &vectors[5].f);
    assert_int_equal(m.type, IB_DHCPRELEASE);
    assert_int_equal(m.server_id, SERVER);
    assert_int_equal(m.client_id_len, 7);
}

/* Each vector is in canonical order, so emit gives back its very bytes,
 * and a second parse the same struct. */
static void test_roundtrip(void **state)
{
    (void)state;
    for (unsigned i = 0; i < IB_ARRAY_LEN(vectors); i++) {
        uint8_t b[MAXLEN], e[MAXLEN];
        struct ib_dhcp_msg m, m2;
        assert_int_equal(parse_vec(i, &m, b), 0);
        size_t len = build(b, &vectors[i].f, vectors[i].opts, vectors[i].olen);
        size_t n = ib_dhcp_emit(&m, e, sizeof(e));
        assert_int_equal(n, len);
        assert_memory_equal(e, b, len);
        assert_int_equal(ib_dhcp_parse(e, n, &m2), 0);
        assert_memory_equal(&m, &m2, sizeof(m));
        assert_int_equal(ib_dhcp_emit(&m, e, n - 1), 0); /* does not fit */
    }
}

/* RFC 1542 §2.1: a message is at least 300 bytes; the options end with
 * end (RFC 2132 §3.2) and the rest is zeros. */
static void test_emit_minimal(void **state)
{
    (void)state;
    struct ib_dhcp_msg m;
    memset(&m, 0, sizeof(m));
    m.op = IB_BOOTREQUEST;
    uint8_t e[MAXLEN];
    memset(e, 0xaa, sizeof(e));
    assert_int_equal(ib_dhcp_emit(&m, e, sizeof(e)), 300);
    assert_int_equal(e[0], 1);
    assert_memory_equal(e + 236, "\x63\x82\x53\x63\xff", 5);
    for (unsigned i = 241; i < 300; i++)
        assert_int_equal(e[i], 0);
    assert_int_equal(ib_dhcp_emit(&m, e, 299), 0);
    /* a struct that could not parse back is refused */
    m.has = 1ull << IB_DHCP_OPT_HOST_NAME;
    assert_int_equal(ib_dhcp_emit(&m, e, sizeof(e)), 0);
}

/* RFC 2131 §4.1: with overload 3 the options go on in 'file', then in
 * 'sname'; each closes with end; those fields then hold no names. */
static const uint8_t overload_opts[] = {53, 1, 5, 52, 1, 3, 255};

static size_t build_overload(uint8_t *b)
{
    const struct fixed f = {2, 0, 0, LEASED, SERVER};
    size_t len = build(b, &f, overload_opts, sizeof(overload_opts));
    static const uint8_t file_opts[] = {SERVER_ID, 51, 4, 0, 0, 0x0e, 0x10, 255};
    static const uint8_t sname_opts[] = {1, 4, 255, 255, 255, 0, 0, 0, 255};
    memcpy(b + 108, file_opts, sizeof(file_opts));
    memcpy(b + 44, sname_opts, sizeof(sname_opts));
    return len;
}

static void test_overload(void **state)
{
    (void)state;
    uint8_t b[MAXLEN], e[MAXLEN];
    struct ib_dhcp_msg m, m2;
    size_t len = build_overload(b);
    assert_int_equal(ib_dhcp_parse(b, len, &m), 0);
    assert_int_equal(m.type, IB_DHCPACK);
    assert_int_equal(m.overload, 3);
    assert_int_equal(m.server_id, SERVER);
    assert_int_equal(m.lease_time, 3600);
    assert_int_equal(m.subnet_mask, IB_IP4(255, 255, 255, 0));
    uint8_t zeros[64 + 128] = {0};
    assert_memory_equal(m.file, zeros, sizeof(m.file));
    assert_memory_equal(m.sname, zeros, sizeof(m.sname));

    /* emit gathers everything in the options field, sname and file empty */
    size_t n = ib_dhcp_emit(&m, e, sizeof(e));
    assert_int_equal(n, 300);
    assert_memory_equal(e + 44, zeros, 64 + 128);
    assert_int_equal(ib_dhcp_parse(e, n, &m2), 0);
    assert_int_equal(m2.overload, 0);
    assert_false(ib_dhcp_has(&m2, IB_DHCP_OPT_OVERLOAD));
    m2.overload = m.overload;
    m2.has |= 1ull << IB_DHCP_OPT_OVERLOAD;
    assert_memory_equal(&m, &m2, sizeof(m));

    /* overload 1: sname is a name again, left as it is */
    b[245] = 1;
    assert_int_equal(ib_dhcp_parse(b, len, &m), 0);
    assert_false(ib_dhcp_has(&m, IB_DHCP_OPT_SUBNET_MASK));
    assert_int_equal(m.sname[0], 1);
    assert_int_equal(m.lease_time, 3600);

    /* each overloaded field needs its end option */
    len = build_overload(b);
    memset(b + 44 + 6, 0, 3);
    assert_int_equal(ib_dhcp_parse(b, len, &m), IB_DHCP_ERR_NO_END);
    /* an option may not run out of its field into the next */
    len = build_overload(b);
    b[44] = 1, b[45] = 70;
    assert_int_equal(ib_dhcp_parse(b, len, &m), IB_DHCP_ERR_OPT_OVERRUN);
    /* overload only in the options field */
    len = build_overload(b);
    memcpy(b + 108, "\x34\x01\x01\xff", 4);
    assert_int_equal(ib_dhcp_parse(b, len, &m), IB_DHCP_ERR_OVERLOAD);
    /* an option in both fields is a duplicate */
    len = build_overload(b);
    memcpy(b + 44, "\x35\x01\x05\xff", 4);
    assert_int_equal(ib_dhcp_parse(b, len, &m), IB_DHCP_ERR_OPT_DUP);
}

static int parse_opts(const uint8_t *opts, size_t olen)
{
    uint8_t b[MAXLEN];
    const struct fixed f = {1, 0, 0, 0, 0};
    size_t len = build(b, &f, opts, olen);
    struct ib_dhcp_msg m;
    return ib_dhcp_parse(b, len, &m);
}

#define OPTS(...) (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})

static void test_malformed_fixed(void **state)
{
    (void)state;
    uint8_t b[MAXLEN];
    struct ib_dhcp_msg m;
    size_t len = build(b, &vectors[0].f, discover_opts, sizeof(discover_opts));
    assert_int_equal(ib_dhcp_parse(b, 239, &m), IB_DHCP_ERR_SHORT);
    assert_int_equal(ib_dhcp_parse(b, 0, &m), IB_DHCP_ERR_SHORT);
    b[0] = 3;
    assert_int_equal(ib_dhcp_parse(b, len, &m), IB_DHCP_ERR_BAD_OP);
    b[0] = 1;
    b[2] = 17;
    assert_int_equal(ib_dhcp_parse(b, len, &m), IB_DHCP_ERR_BAD_HLEN);
    b[2] = 16;
    assert_int_equal(ib_dhcp_parse(b, len, &m), 0);
    b[239] = 98;
    assert_int_equal(ib_dhcp_parse(b, len, &m), IB_DHCP_ERR_BAD_MAGIC);
    b[239] = 99;
    /* RFC 2132 §3.2: the options field ends with end */
    assert_int_equal(ib_dhcp_parse(b, 240, &m), IB_DHCP_ERR_NO_END);
    assert_int_equal(ib_dhcp_parse(b, 240 + sizeof(discover_opts) - 1, &m), IB_DHCP_ERR_NO_END);
    assert_int_equal(parse_opts(OPTS(53, 1, 1, 0, 0, 0)), IB_DHCP_ERR_NO_END);
    for (size_t cut = 241; cut < 240 + sizeof(discover_opts) - 1; cut++) {
        int err = ib_dhcp_parse(b, cut, &m);
        assert_true(err == IB_DHCP_ERR_OPT_OVERRUN || err == IB_DHCP_ERR_NO_END);
    }
    assert_int_equal(ib_dhcp_parse(b, 241, &m), IB_DHCP_ERR_OPT_OVERRUN); /* code, no length */
    assert_int_equal(ib_dhcp_parse(b, 242, &m), IB_DHCP_ERR_OPT_OVERRUN);
}

static void test_malformed_options(void **state)
{
    (void)state;
    assert_int_equal(parse_opts(OPTS(53, 1, 1, 255)), 0);
    /* RFC 2132: fixed lengths */
    static const uint8_t four[] = {1, 50, 51, 54, 58, 59};
    for (unsigned i = 0; i < sizeof(four); i++) {
        assert_int_equal(parse_opts(OPTS(four[i], 4, 1, 2, 3, 4, 255)), 0);
        assert_int_equal(parse_opts(OPTS(four[i], 3, 1, 2, 3, 255)), IB_DHCP_ERR_OPT_LEN);
        assert_int_equal(parse_opts(OPTS(four[i], 5, 1, 2, 3, 4, 5, 255)), IB_DHCP_ERR_OPT_LEN);
    }
    assert_int_equal(parse_opts(OPTS(53, 2, 1, 1, 255)), IB_DHCP_ERR_OPT_LEN);
    assert_int_equal(parse_opts(OPTS(53, 0, 255)), IB_DHCP_ERR_OPT_LEN);
    assert_int_equal(parse_opts(OPTS(52, 2, 1, 1, 255)), IB_DHCP_ERR_OPT_LEN);
    assert_int_equal(parse_opts(OPTS(57, 1, 5, 255)), IB_DHCP_ERR_OPT_LEN);
    /* lists: a multiple of 4, at least 4 (RFC 2132 §3.5, §3.8) */
    assert_int_equal(parse_opts(OPTS(3, 0, 255)), IB_DHCP_ERR_OPT_LEN);
    assert_int_equal(parse_opts(OPTS(3, 5, 1, 2, 3, 4, 5, 255)), IB_DHCP_ERR_OPT_LEN);
    assert_int_equal(parse_opts(OPTS(6, 6, 1, 2, 3, 4, 5, 6, 255)), IB_DHCP_ERR_OPT_LEN);
    /* minimum lengths */
    assert_int_equal(parse_opts(OPTS(12, 0, 255)), IB_DHCP_ERR_OPT_LEN);
    assert_int_equal(parse_opts(OPTS(15, 0, 255)), IB_DHCP_ERR_OPT_LEN);
    assert_int_equal(parse_opts(OPTS(55, 0, 255)), IB_DHCP_ERR_OPT_LEN);
    assert_int_equal(parse_opts(OPTS(56, 0, 255)), IB_DHCP_ERR_OPT_LEN);
    assert_int_equal(parse_opts(OPTS(61, 1, 1, 255)), IB_DHCP_ERR_OPT_LEN);
    assert_int_equal(parse_opts(OPTS(61, 2, 0, 'x', 255)), 0);
    /* values */
    assert_int_equal(parse_opts(OPTS(53, 1, 0, 255)), IB_DHCP_ERR_OPT_VALUE);
    assert_int_equal(parse_opts(OPTS(53, 1, 9, 255)), IB_DHCP_ERR_OPT_VALUE);
    assert_int_equal(parse_opts(OPTS(53, 1, 8, 255)), 0);
    assert_int_equal(parse_opts(OPTS(52, 1, 0, 255)), IB_DHCP_ERR_OPT_VALUE);
    assert_int_equal(parse_opts(OPTS(52, 1, 4, 255)), IB_DHCP_ERR_OPT_VALUE);
    assert_int_equal(parse_opts(OPTS(57, 2, 0x02, 0x3f, 255)), IB_DHCP_ERR_OPT_VALUE); /* 575 */
    assert_int_equal(parse_opts(OPTS(57, 2, 0x02, 0x40, 255)), 0);
    /* duplicates, and an option running past the end of the message */
    assert_int_equal(parse_opts(OPTS(53, 1, 1, 53, 1, 1, 255)), IB_DHCP_ERR_OPT_DUP);
    assert_int_equal(parse_opts(OPTS(99, 1, 1, 99, 1, 2, 255)), 0); /* unknown: both kept */
    uint8_t b[MAXLEN];
    const struct fixed f = {1, 0, 0, 0, 0};
    build(b, &f, OPTS(53, 1, 1, 12, 200));
    struct ib_dhcp_msg m;
    assert_int_equal(ib_dhcp_parse(b, 300, &m), IB_DHCP_ERR_OPT_OVERRUN);
    assert_int_equal(ib_dhcp_parse(b, 245 + 200, &m), IB_DHCP_ERR_NO_END);
    for (int e = 0; e <= IB_DHCP_ERR__COUNT; e++)
        assert_non_null(ib_dhcp_err_str(e));
    assert_string_equal(ib_dhcp_err_str(IB_DHCP_ERR_BAD_MAGIC), "bad magic cookie");
}

/* More than IB_DHCP_MAX_ADDRS routers: the first ones are kept. More
 * unknown options than the bound: the first ones are kept. */
static void test_bounds(void **state)
{
    (void)state;
    uint8_t opts[400], b[MAXLEN];
    size_t n = 0;
    opts[n++] = 3;
    opts[n++] = 40;
    for (uint8_t i = 0; i < 10; i++) {
        opts[n++] = 10, opts[n++] = 0, opts[n++] = 0, opts[n++] = (uint8_t)(i + 1);
    }
    for (uint8_t i = 0; i < IB_DHCP_MAX_UNKNOWN + 2; i++) {
        opts[n++] = (uint8_t)(100 + i), opts[n++] = 2, opts[n++] = i, opts[n++] = i;
    }
    opts[n++] = 255;
    const struct fixed f = {2, 0, 0, 0, 0};
    size_t len = build(b, &f, opts, n);
    struct ib_dhcp_msg m, m2;
    assert_int_equal(ib_dhcp_parse(b, len, &m), 0);
    assert_int_equal(m.n_routers, IB_DHCP_MAX_ADDRS);
    assert_int_equal(m.routers[7], IB_IP4(10, 0, 0, 8));
    assert_int_equal(m.n_unknown, IB_DHCP_MAX_UNKNOWN);
    assert_int_equal(m.unknown[15].code, 115);
    uint8_t e[MAXLEN];
    size_t elen = ib_dhcp_emit(&m, e, sizeof(e));
    assert_int_not_equal(elen, 0);
    assert_int_equal(ib_dhcp_parse(e, elen, &m2), 0);
    assert_memory_equal(&m, &m2, sizeof(m));

    /* the unknown data bound */
    memset(&m, 0, sizeof(m));
    uint8_t big[255] = {0};
    assert_true(ib_dhcp_add_unknown(&m, 200, big, 255));
    assert_true(ib_dhcp_add_unknown(&m, 201, big, 255));
    assert_false(ib_dhcp_add_unknown(&m, 202, big, 3));
    assert_true(ib_dhcp_add_unknown(&m, 203, big, 2));
}

/* The seeds are the vectors above (the overload one as "ack_overload");
 * each passes the harness's round-trip oracles, which abort() on failure. */
static void test_fuzz_seeds(void **state)
{
    (void)state;
    uint8_t b[MAXLEN], f[MAXLEN];
    char path[512];
    for (unsigned i = 0; i <= IB_ARRAY_LEN(vectors); i++) {
        bool ovl = i == IB_ARRAY_LEN(vectors);
        size_t len =
            ovl ? build_overload(b) : build(b, &vectors[i].f, vectors[i].opts, vectors[i].olen);
        snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/dhcp/%s", IB_SOURCE_DIR,
                 ovl ? "ack_overload" : vectors[i].name);
        FILE *fp = fopen(path, "rb");
        assert_non_null(fp);
        size_t n = fread(f, 1, sizeof(f), fp);
        fclose(fp);
        assert_int_equal(n, len);
        assert_memory_equal(f, b, len);
        assert_int_equal(LLVMFuzzerTestOneInput(f, n), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_discover),
        cmocka_unit_test(test_offer),
        cmocka_unit_test(test_request_ack_nak_release),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_emit_minimal),
        cmocka_unit_test(test_overload),
        cmocka_unit_test(test_malformed_fixed),
        cmocka_unit_test(test_malformed_options),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_fuzz_seeds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
