/* The pcapng writer (draft-ietf-opsawg-pcapng): the exact bytes of each
 * block type laid out by hand from §4.1-4.3, the general block structure
 * (§3.1: lengths a multiple of 4, repeated at the end) for every padding
 * case, and whole-world capture: one file per link, the two ends as
 * interfaces, outbound and inbound copies with simulated timestamps,
 * byte-identical across runs. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "inetbox/pcapng.h"
#include "inetbox/world.h"

/* Expected bytes, built field by field. */
struct bytes {
    uint8_t b[512];
    size_t n;
};

static void add8(struct bytes *x, uint8_t v) { x->b[x->n++] = v; }
static void add16(struct bytes *x, uint16_t v)
{
    add8(x, (uint8_t)v);
    add8(x, (uint8_t)(v >> 8));
}
static void add32(struct bytes *x, uint32_t v)
{
    add16(x, (uint16_t)v);
    add16(x, (uint16_t)(v >> 16));
}
static void add_padded(struct bytes *x, const void *s, size_t n)
{
    memcpy(x->b + x->n, s, n);
    x->n += n;
    while (x->n % 4)
        add8(x, 0);
}

/* Runs a writer on a memory stream and returns what it wrote. */
struct mem {
    char *buf;
    size_t len;
    FILE *f;
};
static void mem_open(struct mem *m)
{
    m->buf = NULL;
    m->len = 0;
    m->f = open_memstream(&m->buf, &m->len);
    assert_non_null(m->f);
}
static void mem_close(struct mem *m) { assert_int_equal(fclose(m->f), 0); }

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* §4.1: SHB with version 1.0, unknown section length and shb_userappl. */
static void test_shb_bytes(void **state)
{
    (void)state;
    const char *app = "inetbox " IB_VERSION;
    size_t alen = strlen(app);
    uint32_t total = (uint32_t)(8 + 16 + 4 + ((alen + 3) & ~3u) + 4 + 4);
    struct bytes want = {.n = 0};
    add32(&want, 0x0A0D0D0A);
    add32(&want, total);
    add8(&want, 0x4D), add8(&want, 0x3C), add8(&want, 0x2B), add8(&want, 0x1A);
    add16(&want, 1);
    add16(&want, 0);
    add32(&want, 0xffffffff), add32(&want, 0xffffffff);
    add16(&want, 4); /* shb_userappl */
    add16(&want, (uint16_t)alen);
    add_padded(&want, app, alen);
    add32(&want, 0); /* opt_endofopt */
    add32(&want, total);

    struct mem m;
    mem_open(&m);
    assert_int_equal(ib_pcapng_write_shb(m.f), 0);
    mem_close(&m);
    assert_int_equal(m.len, want.n);
    assert_memory_equal(m.buf, want.b, want.n);
    free(m.buf);
}

/* §4.2: IDB for Ethernet with if_name and if_tsresol = 9, as literal bytes. */
static void test_idb_bytes(void **state)
{
    (void)state;
    static const uint8_t want[] = {
        0x01, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, /* IDB, 44 bytes */
        0x01, 0x00, 0x00, 0x00,                         /* LINKTYPE_ETHERNET, reserved */
        0x00, 0x00, 0x00, 0x00,                         /* snaplen: no limit */
        0x02, 0x00, 0x07, 0x00, 'h',  '1',  ':',  'e',  't', 'h', '0', 0x00, /* if_name */
        0x09, 0x00, 0x01, 0x00, 0x09, 0x00, 0x00, 0x00, /* if_tsresol: 10^-9 */
        0x00, 0x00, 0x00, 0x00,                         /* opt_endofopt */
        0x2c, 0x00, 0x00, 0x00,
    };
    struct mem m;
    mem_open(&m);
    assert_int_equal(ib_pcapng_write_idb(m.f, "h1:eth0"), 0);
    mem_close(&m);
    assert_int_equal(m.len, sizeof(want));
    assert_memory_equal(m.buf, want, sizeof(want));
    free(m.buf);
}

/* §4.3: EPB with a 64-bit timestamp split high/low, data padded to 32 bits
 * and epb_flags (§4.3.1: 01 inbound, 10 outbound). */
static void test_epb_bytes(void **state)
{
    (void)state;
    static const uint8_t frame[5] = {0xaa, 0xbb, 0xcc, 0xdd, 0xee};
    static const uint8_t want[] = {
        0x06, 0x00, 0x00, 0x00, 0x34, 0x00, 0x00, 0x00, /* EPB, 52 bytes */
        0x01, 0x00, 0x00, 0x00,                         /* interface 1 */
        0x01, 0x00, 0x00, 0x00, 0x89, 0x67, 0x45, 0x23, /* 0x1_23456789 ns */
        0x05, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, /* captured, original */
        0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x00, 0x00, 0x00, /* data, padded */
        0x02, 0x00, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00, /* epb_flags: inbound */
        0x00, 0x00, 0x00, 0x00,                         /* opt_endofopt */
        0x34, 0x00, 0x00, 0x00,
    };
    struct mem m;
    mem_open(&m);
    assert_int_equal(ib_pcapng_write_epb(m.f, 1, 0x123456789LL, frame, sizeof(frame), true), 0);
    mem_close(&m);
    assert_int_equal(m.len, sizeof(want));
    assert_memory_equal(m.buf, want, sizeof(want));
    free(m.buf);

    /* four bytes need no padding; outbound sets bit 1 */
    static const uint8_t want4[] = {
        0x06, 0x00, 0x00, 0x00, 0x30, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0xe8, 0x03, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00,
        0x04, 0x00, 0x00, 0x00, 0xaa, 0xbb, 0xcc, 0xdd, 0x02, 0x00, 0x04, 0x00,
        0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x30, 0x00, 0x00, 0x00,
    };
    mem_open(&m);
    assert_int_equal(ib_pcapng_write_epb(m.f, 0, 1000, frame, 4, false), 0);
    mem_close(&m);
    assert_int_equal(m.len, sizeof(want4));
    assert_memory_equal(m.buf, want4, sizeof(want4));
    free(m.buf);
}

/* One block as a reader sees it. */
struct blk {
    uint32_t type, len;
    const uint8_t *p; /* the whole block */
};

/* §3.1: walks a whole file; every block is a multiple of 4 bytes, at least
 * 12, fits, and ends with its own length. Returns the block count. */
static size_t walk(const uint8_t *b, size_t len, struct blk *out, size_t max)
{
    size_t n = 0, off = 0;
    while (off < len) {
        assert_true(len - off >= 12);
        uint32_t bl = rd32(b + off + 4);
        assert_int_equal(bl % 4, 0);
        assert_true(bl >= 12 && bl <= len - off);
        assert_int_equal(rd32(b + off + bl - 4), bl);
        assert_true(n < max);
        out[n++] = (struct blk){rd32(b + off), bl, b + off};
        off += bl;
    }
    return n;
}

/* Options of a block from its first option to opt_endofopt (§3.5): each
 * value padded to 32 bits, the list ends exactly before the trailing
 * length. Returns the value of option `code` (NULL if absent). */
static const uint8_t *find_opt(const struct blk *k, size_t opts_at, uint16_t code, uint16_t *vlen)
{
    const uint8_t *found = NULL;
    size_t off = opts_at;
    for (;;) {
        assert_true(off + 4 <= k->len - 4);
        uint16_t c = rd16(k->p + off), l = rd16(k->p + off + 2);
        if (c == 0) {
            assert_int_equal(l, 0);
            assert_int_equal(off + 4, k->len - 4);
            return found;
        }
        if (c == code) {
            found = k->p + off + 4;
            *vlen = l;
        }
        off += 4 + ((l + 3u) & ~3u);
    }
}

/* Every name and frame length pads correctly. */
static void test_padding_all_lengths(void **state)
{
    (void)state;
    uint8_t frame[70];
    for (size_t i = 0; i < sizeof(frame); i++)
        frame[i] = (uint8_t)(i + 1);
    struct mem m;
    mem_open(&m);
    assert_int_equal(ib_pcapng_write_shb(m.f), 0);
    static const char name[] = "abcdefghij";
    for (size_t n = 1; n < sizeof(name); n++) {
        char s[sizeof(name)];
        memcpy(s, name, n);
        s[n] = '\0';
        assert_int_equal(ib_pcapng_write_idb(m.f, s), 0);
    }
    for (uint32_t len = 0; len < sizeof(frame); len++)
        assert_int_equal(ib_pcapng_write_epb(m.f, len % 3, (ib_time)len * 7, frame, len, len & 1),
                         0);
    mem_close(&m);

    struct blk k[128];
    size_t nb = walk((const uint8_t *)m.buf, m.len, k, IB_ARRAY_LEN(k));
    size_t names = sizeof(name) - 1;
    assert_int_equal(nb, 1 + names + sizeof(frame));
    for (size_t i = 0; i < names; i++) {
        const struct blk *b = &k[1 + i];
        assert_int_equal(b->type, 1);
        uint16_t vl = 0;
        const uint8_t *v = find_opt(b, 16, 2, &vl);
        assert_non_null(v);
        assert_int_equal(vl, i + 1);
        assert_memory_equal(v, name, i + 1);
        v = find_opt(b, 16, 9, &vl);
        assert_non_null(v);
        assert_int_equal(vl, 1);
        assert_int_equal(v[0], 9);
    }
    for (uint32_t len = 0; len < sizeof(frame); len++) {
        const struct blk *b = &k[1 + names + len];
        assert_int_equal(b->type, 6);
        assert_int_equal(rd32(b->p + 8), len % 3);
        assert_int_equal(rd32(b->p + 12), 0);
        assert_int_equal(rd32(b->p + 16), len * 7);
        assert_int_equal(rd32(b->p + 20), len);
        assert_int_equal(rd32(b->p + 24), len);
        assert_memory_equal(b->p + 28, frame, len);
        for (uint32_t j = len; j % 4; j++)
            assert_int_equal(b->p[28 + j], 0);
        uint16_t vl = 0;
        const uint8_t *v = find_opt(b, 28 + ((len + 3u) & ~3u), 2, &vl);
        assert_non_null(v);
        assert_int_equal(vl, 4);
        assert_int_equal(rd32(v), (len & 1) ? 1u : 2u);
    }
    free(m.buf);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = NULL;
    size_t cap = 0;
    *len = 0;
    for (;;) {
        if (*len == cap) {
            cap = cap ? cap * 2 : 4096;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        size_t k = fread(buf + *len, 1, cap - *len, f);
        if (k == 0)
            break;
        *len += k;
    }
    fclose(f);
    return buf;
}

/* A world of two hosts on one link (1 ms, no rate limit), one of them with
 * a name that is not a portable file name. */
struct wfx {
    struct ib_world *w;
    struct ib_netif *a, *b;
    char dir[64];
};

static void wfx_build(struct wfx *x)
{
    x->w = ib_world_new(7);
    assert_non_null(x->w);
    struct ib_stack *h1 = ib_world_add_host(x->w, "h1");
    struct ib_stack *h2 = ib_world_add_host(x->w, "web/2 x");
    assert_non_null(h1);
    assert_non_null(h2);
    x->a = ib_world_add_netif(x->w, &h1->node, "eth0");
    x->b = ib_world_add_netif(x->w, &h2->node, "eth1");
    assert_non_null(x->a);
    assert_non_null(x->b);
    struct ib_link_params p = ib_link_defaults;
    p.rate_bps = 0;
    p.delay = IB_MS(1);
    assert_non_null(ib_world_connect(x->w, x->a, x->b, &p));
    snprintf(x->dir, sizeof(x->dir), "/tmp/ib_pcapng_XXXXXX");
    assert_non_null(mkdtemp(x->dir));
}

/* Sends a frame for nobody (b drops it on arrival) from a to b. */
static void send_frame(struct wfx *x, const uint8_t *frame, size_t len)
{
    struct ib_pkt *p = ib_pkt_from(x->w->env.pool, frame, len);
    assert_non_null(p);
    ib_netif_xmit(x->a, p);
}

static const uint8_t frame60[60] = {
    0x02, 0x99, 0x99, 0x99, 0x99, 0x99, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x88, 0xb5, 'i',  'n',  'e',  't',  'b',  'o',  'x',
};

static void run_capture(struct wfx *x, const char *sub)
{
    char dir[128];
    snprintf(dir, sizeof(dir), "%s/%s", x->dir, sub);
    struct ib_pcapng *pc = ib_pcapng_open_world(x->w, dir);
    assert_non_null(pc);
    ib_world_run(x->w, IB_US(3));
    send_frame(x, frame60, sizeof(frame60));
    ib_world_run(x->w, IB_TIME_NEVER);
    assert_int_equal(ib_pcapng_close(pc), 0);
    /* the writer is no longer attached: later frames must not reach it */
    assert_int_equal(x->w->trace.n, 0);
    send_frame(x, frame60, sizeof(frame60));
    ib_world_run(x->w, IB_TIME_NEVER);
}

static void path_of(const struct wfx *x, const char *sub, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s/h1_eth0--web_2_x_eth1.pcapng", x->dir, sub);
}

static void wfx_free(struct wfx *x, const char *const *subs, size_t n)
{
    struct ib_pkt_pool_stats st;
    ib_pkt_pool_stats(x->w->env.pool, &st);
    assert_int_equal(st.in_use, 0);
    ib_world_free(x->w);
    for (size_t i = 0; i < n; i++) {
        char path[256];
        path_of(x, subs[i], path, sizeof(path));
        unlink(path);
        snprintf(path, sizeof(path), "%s/%s", x->dir, subs[i]);
        rmdir(path);
        /* nested directories made by mkdir -p */
        char *slash = strrchr(path, '/');
        while (slash && slash > path + strlen(x->dir)) {
            *slash = '\0';
            rmdir(path);
            slash = strrchr(path, '/');
        }
    }
    rmdir(x->dir);
}

/* The link's file: SHB, one IDB per end named node:ifname, the frame
 * outbound on interface 0 when it starts and inbound on interface 1 when
 * it arrives 1 ms later, in simulated nanoseconds. */
static void test_world_capture(void **state)
{
    (void)state;
    struct wfx x;
    wfx_build(&x);
    run_capture(&x, "deep/er");

    char path[256];
    path_of(&x, "deep/er", path, sizeof(path));
    size_t len;
    char *buf = slurp(path, &len);
    struct blk k[8];
    size_t nb = walk((const uint8_t *)buf, len, k, IB_ARRAY_LEN(k));
    assert_int_equal(nb, 5);
    assert_int_equal(k[0].type, 0x0A0D0D0A);
    uint16_t vl = 0;
    const char *names[2] = {"h1:eth0", "web/2 x:eth1"};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(k[1 + i].type, 1);
        assert_int_equal(rd16(k[1 + i].p + 8), 1);
        const uint8_t *v = find_opt(&k[1 + i], 16, 2, &vl);
        assert_non_null(v);
        assert_int_equal(vl, strlen(names[i]));
        assert_memory_equal(v, names[i], vl);
    }
    const ib_time when[2] = {IB_US(3), IB_US(3) + IB_MS(1)};
    for (int i = 0; i < 2; i++) {
        const struct blk *b = &k[3 + i];
        assert_int_equal(b->type, 6);
        assert_int_equal(rd32(b->p + 8), (uint32_t)i);
        uint64_t t = (uint64_t)rd32(b->p + 12) << 32 | rd32(b->p + 16);
        assert_int_equal(t, (uint64_t)when[i]);
        assert_int_equal(rd32(b->p + 20), sizeof(frame60));
        assert_memory_equal(b->p + 28, frame60, sizeof(frame60));
        const uint8_t *v = find_opt(b, 28 + sizeof(frame60), 2, &vl);
        assert_non_null(v);
        assert_int_equal(rd32(v), i == 0 ? 2u : 1u);
    }
    free(buf);
    static const char *const subs[] = {"deep/er"};
    wfx_free(&x, subs, 1);
}

/* Same run, same bytes. */
static void test_world_deterministic(void **state)
{
    (void)state;
    struct wfx x[2];
    char *buf[2];
    size_t len[2];
    for (int i = 0; i < 2; i++) {
        wfx_build(&x[i]);
        run_capture(&x[i], "run");
        char path[256];
        path_of(&x[i], "run", path, sizeof(path));
        buf[i] = slurp(path, &len[i]);
    }
    assert_int_equal(len[0], len[1]);
    assert_memory_equal(buf[0], buf[1], len[0]);
    static const char *const subs[] = {"run"};
    for (int i = 0; i < 2; i++) {
        free(buf[i]);
        wfx_free(&x[i], subs, 1);
    }
}

/* A link made after the writer opened has no file and is ignored. */
static void test_world_late_link(void **state)
{
    (void)state;
    struct wfx x;
    wfx_build(&x);
    char dir[128];
    snprintf(dir, sizeof(dir), "%s/late", x.dir);
    struct ib_pcapng *pc = ib_pcapng_open_world(x.w, dir);
    assert_non_null(pc);
    struct ib_stack *h3 = ib_world_add_host(x.w, "h3");
    struct ib_netif *c = ib_world_add_netif(x.w, &h3->node, "eth0");
    struct ib_netif *d = ib_world_add_netif(x.w, &h3->node, "eth1");
    assert_non_null(ib_world_connect(x.w, c, d, NULL));
    ib_netif_xmit(c, ib_pkt_from(x.w->env.pool, frame60, sizeof(frame60)));
    ib_world_run(x.w, IB_TIME_NEVER);
    assert_int_equal(ib_pcapng_close(pc), 0);

    char path[256];
    path_of(&x, "late", path, sizeof(path));
    size_t len;
    char *buf = slurp(path, &len);
    struct blk k[8];
    assert_int_equal(walk((const uint8_t *)buf, len, k, IB_ARRAY_LEN(k)), 3);
    free(buf);
    struct stat st;
    snprintf(path, sizeof(path), "%s/late/h3_eth0--h3_eth1.pcapng", x.dir);
    assert_int_not_equal(stat(path, &st), 0);
    static const char *const subs[] = {"late"};
    wfx_free(&x, subs, 1);
}

/* Names that sanitize to the same file name: the later link gets its id
 * appended, and each file holds its own link's interfaces. */
static void test_name_collision(void **state)
{
    (void)state;
    struct ib_world *w = ib_world_new(1);
    assert_non_null(w);
    const char *nodes[4] = {"a b", "c d", "a_b", "c_d"};
    struct ib_netif *nif[4];
    for (int i = 0; i < 4; i++) {
        struct ib_stack *s = ib_world_add_host(w, nodes[i]);
        assert_non_null(s);
        nif[i] = ib_world_add_netif(w, &s->node, "e0");
        assert_non_null(nif[i]);
    }
    assert_non_null(ib_world_connect(w, nif[0], nif[1], NULL));
    assert_non_null(ib_world_connect(w, nif[2], nif[3], NULL));
    char dir[64];
    snprintf(dir, sizeof(dir), "/tmp/ib_pcapng_XXXXXX");
    assert_non_null(mkdtemp(dir));
    struct ib_pcapng *pc = ib_pcapng_open_world(w, dir);
    assert_non_null(pc);
    assert_int_equal(ib_pcapng_close(pc), 0);
    ib_world_free(w);

    static const char *const files[2] = {"a_b_e0--c_d_e0.pcapng", "a_b_e0--c_d_e0-1.pcapng"};
    for (int i = 0; i < 2; i++) {
        char path[128];
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        size_t len;
        char *buf = slurp(path, &len);
        struct blk k[4];
        assert_int_equal(walk((const uint8_t *)buf, len, k, IB_ARRAY_LEN(k)), 3);
        uint16_t vl = 0;
        const uint8_t *v = find_opt(&k[1], 16, 2, &vl);
        assert_non_null(v);
        assert_int_equal(vl, 6);
        assert_memory_equal(v, i == 0 ? "a b:e0" : "a_b:e0", 6);
        free(buf);
        unlink(path);
    }
    rmdir(dir);
}

/* The directory cannot be made under a regular file. */
static void test_open_bad_dir(void **state)
{
    (void)state;
    struct wfx x;
    wfx_build(&x);
    char file[128], dir[160];
    snprintf(file, sizeof(file), "%s/file", x.dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    snprintf(dir, sizeof(dir), "%s/sub", file);
    errno = 0;
    assert_null(ib_pcapng_open_world(x.w, dir));
    assert_int_equal(errno, ENOTDIR);
    assert_int_equal(x.w->trace.n, 0);
    unlink(file);
    wfx_free(&x, NULL, 0);
    assert_int_equal(ib_pcapng_close(NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shb_bytes),
        cmocka_unit_test(test_idb_bytes),
        cmocka_unit_test(test_epb_bytes),
        cmocka_unit_test(test_padding_all_lengths),
        cmocka_unit_test(test_world_capture),
        cmocka_unit_test(test_world_deterministic),
        cmocka_unit_test(test_world_late_link),
        cmocka_unit_test(test_name_collision),
        cmocka_unit_test(test_open_bad_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
