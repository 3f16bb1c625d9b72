/* pcapng writer (draft-ietf-opsawg-pcapng): a Section Header Block, one
 * Interface Description Block per capturing interface and one Enhanced
 * Packet Block per frame. Everything is written little-endian whatever the
 * host (the byte-order magic tells readers, §4.1), so the same simulated
 * run gives byte-identical files on every machine: a simulated run's
 * timestamps are simulated nanoseconds and no host name or OS is recorded.
 *
 * ib_pcapng_open_world() keeps one file per link, each with the link's two
 * ends as interfaces 0 and 1, and writes a frame twice: outbound on the
 * sender's interface when it starts onto the wire, inbound on the
 * receiver's when it arrives (so loss, delay and corruption are visible).
 * Links added to the world after the call are not captured.
 *
 * ib_pcapng_open_netif() keeps one file for one interface (live mode's
 * TAP), on the trace bus its environment already uses: frames it sent
 * outbound, frames it received inbound. A live run's timestamps are
 * wall-clock time (the environment's epoch plus the time of the event), as
 * a capture of a real interface has them. */
#include "inetbox/pcapng.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "inetbox/link.h"
#include "inetbox/world.h"

/* §4: block types. */
#define PCAPNG_SHB 0x0A0D0D0Au
#define PCAPNG_IDB 0x00000001u
#define PCAPNG_EPB 0x00000006u
#define PCAPNG_MAGIC 0x1A2B3C4Du

/* §3.5 and §4.1-4.3: option codes. */
#define OPT_ENDOFOPT 0u
#define OPT_SHB_USERAPPL 4u
#define OPT_IF_NAME 2u
#define OPT_IF_TSRESOL 9u
#define OPT_EPB_FLAGS 2u

/* §4.3.1: the two low bits of epb_flags give the direction. */
#define EPB_FLAG_INBOUND 1u
#define EPB_FLAG_OUTBOUND 2u

/* LINKTYPE_ETHERNET (draft-ietf-opsawg-pcaplinktype). */
#define LINKTYPE_ETHERNET 1u

/* Every block and option value is padded to 32 bits (§3.1, §3.5). */
static size_t pad4(size_t n) { return (n + 3u) & ~(size_t)3u; }

static uint8_t *le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    return p + 2;
}

static uint8_t *le32(uint8_t *p, uint32_t v)
{
    p = le16(p, (uint16_t)v);
    return le16(p, (uint16_t)(v >> 16));
}

static int put(FILE *f, const void *b, size_t n)
{
    return fwrite(b, 1, n, f) == n ? 0 : IB_ERR_IO;
}

/* A block whose body is a fixed part followed by one string option and,
 * optionally, a short binary option (values up to 4 bytes). */
static int write_block(FILE *f, uint32_t type, const uint8_t *fixed, size_t fixed_len,
                       uint16_t str_code, const char *str, uint16_t bin_code, const uint8_t *bin,
                       size_t bin_len)
{
    static const uint8_t zeros[4];
    size_t slen = strlen(str);
    if (slen > UINT16_MAX)
        return IB_ERR_INVAL;
    size_t total = 8 + fixed_len + 4 + pad4(slen) + (bin ? 4 + pad4(bin_len) : 0) + 4 + 4;
    uint8_t head[8], opt[4], tail[16];
    le32(le32(head, type), (uint32_t)total);
    le16(le16(opt, str_code), (uint16_t)slen);
    uint8_t *t = tail;
    if (bin) {
        t = le16(le16(t, bin_code), (uint16_t)bin_len);
        memcpy(t, bin, bin_len);
        memset(t + bin_len, 0, pad4(bin_len) - bin_len);
        t += pad4(bin_len);
    }
    t = le32(t, OPT_ENDOFOPT); /* code 0, length 0 */
    t = le32(t, (uint32_t)total); /* §3.1: the length is repeated at the end */
    int r = put(f, head, sizeof(head));
    if (!r)
        r = put(f, fixed, fixed_len);
    if (!r)
        r = put(f, opt, sizeof(opt));
    if (!r)
        r = put(f, str, slen);
    if (!r)
        r = put(f, zeros, pad4(slen) - slen);
    if (!r)
        r = put(f, tail, (size_t)(t - tail));
    return r;
}

int ib_pcapng_write_shb(FILE *f)
{
    /* §4.1: magic, version 1.0, section length -1 (not known in advance). */
    uint8_t fixed[16];
    le32(fixed, PCAPNG_MAGIC);
    le16(fixed + 4, 1);
    le16(fixed + 6, 0);
    memset(fixed + 8, 0xff, 8);
    return write_block(f, PCAPNG_SHB, fixed, sizeof(fixed), OPT_SHB_USERAPPL, "inetbox " IB_VERSION,
                       0, NULL, 0);
}

int ib_pcapng_write_idb(FILE *f, const char *name)
{
    /* §4.2: link type, reserved, snaplen 0 = no limit. */
    uint8_t fixed[8];
    le16(fixed, LINKTYPE_ETHERNET);
    le16(fixed + 2, 0);
    le32(fixed + 4, 0);
    /* §4.2 if_tsresol: 9 = timestamps in units of 10^-9 s. */
    static const uint8_t tsresol[1] = {9};
    return write_block(f, PCAPNG_IDB, fixed, sizeof(fixed), OPT_IF_NAME, name, OPT_IF_TSRESOL,
                       tsresol, sizeof(tsresol));
}

int ib_pcapng_write_epb(FILE *f, uint32_t ifid, ib_time t, const uint8_t *frame, uint32_t len,
                        bool inbound)
{
    static const uint8_t zeros[4];
    size_t dlen = pad4(len);
    uint32_t total = (uint32_t)(28 + dlen + 12 + 4);
    uint64_t ts = t < 0 ? 0 : (uint64_t)t;
    /* §4.3: interface, 64-bit timestamp (high word first), captured and
     * original lengths; we always capture the whole frame. */
    uint8_t head[28], tail[16];
    uint8_t *p = le32(le32(head, PCAPNG_EPB), total);
    p = le32(le32(p, ifid), (uint32_t)(ts >> 32));
    p = le32(p, (uint32_t)ts);
    le32(le32(p, len), len);
    p = le16(le16(tail, OPT_EPB_FLAGS), 4);
    p = le32(p, inbound ? EPB_FLAG_INBOUND : EPB_FLAG_OUTBOUND);
    p = le32(p, OPT_ENDOFOPT);
    le32(p, total);
    int r = put(f, head, sizeof(head));
    if (!r)
        r = put(f, frame, len);
    if (!r)
        r = put(f, zeros, dlen - len);
    if (!r)
        r = put(f, tail, sizeof(tail));
    return r;
}

struct ib_pcapng_file {
    const struct ib_link *link;
    FILE *f;
    char *path;
};

struct ib_pcapng {
    struct ib_trace *tr; /* the bus observed */
    const struct ib_netif *nif; /* ib_pcapng_open_netif: the one interface */
    struct ib_pcapng_file *files;
    uint32_t n;
    /* file index by link id, so a wire event finds its file in O(1) */
    int32_t *by_id;
    uint32_t n_ids;
    int err; /* first write error, reported by close */
};

/* mkdir -p: creates each missing component of dir. */
static int make_dirs(const char *dir)
{
    size_t n = strlen(dir);
    char *p = malloc(n + 1);
    if (!p)
        return -1;
    memcpy(p, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != '\0')
            continue;
        char c = p[i];
        p[i] = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            free(p);
            return -1;
        }
        p[i] = c;
    }
    free(p);
    struct stat st;
    if (stat(dir, &st) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

/* Node and interface names come from scenario files: keep them portable
 * as file names. */
static void sanitize(char *out, const char *s)
{
    size_t n = 0;
    for (; *s; s++) {
        char c = *s;
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        out[n++] = ok ? c : '_';
    }
    out[n] = '\0';
}

static void end_name(const struct ib_link_end *e, char *out, size_t cap)
{
    snprintf(out, cap, "%s:%s", e->nif->node->name, e->nif->name);
}

static char *link_path(const char *dir, const struct ib_link *l)
{
    char part[4][IB_NAME_MAX + IB_IFNAME_MAX];
    sanitize(part[0], l->end[0].nif->node->name);
    sanitize(part[1], l->end[0].nif->name);
    sanitize(part[2], l->end[1].nif->node->name);
    sanitize(part[3], l->end[1].nif->name);
    /* room for a "-<id>" suffix should two links sanitize to one name */
    size_t cap = strlen(dir) + 4 * sizeof(part[0]) + 32;
    char *path = malloc(cap);
    if (path)
        snprintf(path, cap, "%s/%s_%s--%s_%s.pcapng", dir, part[0], part[1], part[2], part[3]);
    return path;
}

static int cmp_path(const void *a, const void *b)
{
    const struct ib_pcapng_file *x = *(const struct ib_pcapng_file *const *)a;
    const struct ib_pcapng_file *y = *(const struct ib_pcapng_file *const *)b;
    int c = strcmp(x->path, y->path);
    return c ? c : (x->link->id > y->link->id) - (x->link->id < y->link->id);
}

/* Names that only differ in characters sanitize() replaced would share a
 * file: the later links get their id appended instead. */
static int dedupe_paths(struct ib_pcapng *pc)
{
    if (pc->n < 2)
        return 0;
    struct ib_pcapng_file **v = malloc(pc->n * sizeof(*v));
    if (!v)
        return -1;
    for (uint32_t i = 0; i < pc->n; i++)
        v[i] = &pc->files[i];
    qsort(v, pc->n, sizeof(*v), cmp_path);
    for (uint32_t i = pc->n - 1; i > 0; i--) {
        if (strcmp(v[i]->path, v[i - 1]->path) != 0)
            continue;
        char *p = v[i]->path;
        snprintf(p + strlen(p) - strlen(".pcapng"), strlen(".pcapng") + 12, "-%u.pcapng",
                 (unsigned)v[i]->link->id);
    }
    free(v);
    return 0;
}

static int open_file(struct ib_pcapng_file *pf)
{
    char name[2][IB_NAME_MAX + IB_IFNAME_MAX + 2];
    end_name(&pf->link->end[0], name[0], sizeof(name[0]));
    end_name(&pf->link->end[1], name[1], sizeof(name[1]));
    pf->f = fopen(pf->path, "wb");
    if (!pf->f)
        return -1;
    if (ib_pcapng_write_shb(pf->f) || ib_pcapng_write_idb(pf->f, name[0]) ||
        ib_pcapng_write_idb(pf->f, name[1])) {
        errno = EIO;
        return -1;
    }
    return 0;
}

static void observe(void *ctx, const struct ib_event *ev)
{
    struct ib_pcapng *pc = ctx;
    if ((ev->kind != IB_EV_WIRE_TX && ev->kind != IB_EV_WIRE_RX) || !ev->nif || !ev->data)
        return;
    /* wire events only come from simulated links: the driver is a link end */
    const struct ib_link_end *end = ev->nif->drv;
    if (!end)
        return;
    const struct ib_link *l = end->link;
    if (l->id >= pc->n_ids || pc->by_id[l->id] < 0)
        return;
    struct ib_pcapng_file *pf = &pc->files[pc->by_id[l->id]];
    if (pf->link != l || end->side > 1 || l->end[end->side].nif != ev->nif)
        return;
    int r = ib_pcapng_write_epb(pf->f, end->side, ev->t, ev->data, ev->len,
                                ev->kind == IB_EV_WIRE_RX);
    if (r && !pc->err)
        pc->err = r;
}

static void observe_netif(void *ctx, const struct ib_event *ev)
{
    struct ib_pcapng *pc = ctx;
    if ((ev->kind != IB_EV_WIRE_TX && ev->kind != IB_EV_WIRE_RX) || ev->nif != pc->nif ||
        !ev->data)
        return;
    const struct ib_env *env = ev->nif->node->env;
    ib_time t = env->live ? env->epoch + ev->t : ev->t;
    int r = ib_pcapng_write_epb(pc->files[0].f, 0, t, ev->data, ev->len,
                                ev->kind == IB_EV_WIRE_RX);
    if (r && !pc->err)
        pc->err = r;
}

static int close_all(struct ib_pcapng *pc)
{
    int r = pc->err;
    /* The bus outlives the writer: it must never call back into a closed one. */
    if (pc->tr)
        ib_trace_detach(pc->tr, pc->nif ? observe_netif : observe, pc);
    for (uint32_t i = 0; i < pc->n; i++) {
        if (pc->files[i].f && fclose(pc->files[i].f) != 0 && !r)
            r = IB_ERR_IO;
        free(pc->files[i].path);
    }
    free(pc->files);
    free(pc->by_id);
    free(pc);
    return r;
}

struct ib_pcapng *ib_pcapng_open_world(struct ib_world *w, const char *dir)
{
    if (make_dirs(dir) != 0)
        return NULL;
    struct ib_pcapng *pc = calloc(1, sizeof(*pc));
    if (!pc)
        return NULL;
    pc->files = calloc(w->n_links ? w->n_links : 1, sizeof(*pc->files));
    for (uint32_t i = 0; i < w->n_links; i++)
        if (w->links[i]->id >= pc->n_ids)
            pc->n_ids = w->links[i]->id + 1;
    pc->by_id = malloc((pc->n_ids ? pc->n_ids : 1) * sizeof(*pc->by_id));
    if (!pc->files || !pc->by_id)
        goto fail_nomem;
    for (uint32_t i = 0; i < pc->n_ids; i++)
        pc->by_id[i] = -1;
    for (uint32_t i = 0; i < w->n_links; i++) {
        struct ib_pcapng_file *pf = &pc->files[pc->n];
        pf->link = w->links[i];
        pf->path = link_path(dir, pf->link);
        if (!pf->path)
            goto fail_nomem;
        pc->by_id[pf->link->id] = (int32_t)pc->n++;
    }
    if (dedupe_paths(pc) != 0)
        goto fail_nomem;
    for (uint32_t i = 0; i < pc->n; i++)
        if (open_file(&pc->files[i]) != 0)
            goto fail;
    if (ib_world_observe(w, observe, pc) != 0)
        goto fail_nomem;
    pc->tr = &w->trace;
    return pc;

fail_nomem:
    errno = ENOMEM;
fail:;
    int e = errno;
    close_all(pc);
    errno = e;
    return NULL;
}

struct ib_pcapng *ib_pcapng_open_netif(const struct ib_netif *nif, const char *path)
{
    struct ib_trace *tr = nif->node->env->trace;
    if (!tr) {
        errno = EINVAL;
        return NULL;
    }
    struct ib_pcapng *pc = calloc(1, sizeof(*pc));
    if (pc)
        pc->files = calloc(1, sizeof(*pc->files));
    if (!pc || !pc->files) {
        free(pc);
        errno = ENOMEM;
        return NULL;
    }
    pc->nif = nif;
    pc->n = 1;
    char name[IB_NAME_MAX + IB_IFNAME_MAX + 2];
    snprintf(name, sizeof(name), "%s:%s", nif->node->name, nif->name);
    struct ib_pcapng_file *pf = &pc->files[0];
    pf->f = fopen(path, "wb");
    if (!pf->f || ib_pcapng_write_shb(pf->f) || ib_pcapng_write_idb(pf->f, name)) {
        int e = pf->f ? EIO : errno;
        close_all(pc);
        errno = e;
        return NULL;
    }
    if (ib_trace_attach(tr, observe_netif, pc) != 0) {
        close_all(pc);
        errno = ENOMEM;
        return NULL;
    }
    pc->tr = tr;
    return pc;
}

int ib_pcapng_close(struct ib_pcapng *pc)
{
    return pc ? close_all(pc) : 0;
}
