/* The DNS message codec: RFC 1035 §4.1 (header, question, resource
 * records), §3.3 and RFC 3596 §2.2 (typed rdata), §4.1.4 (compression).
 * The parser checks every length before it reads and follows compression
 * pointers only strictly backwards, so a name always ends; the emitter
 * remembers where it wrote each name suffix and points back to it. */
#include "inetbox/dns.h"

#include <string.h>

#define PTR_MASK 0xc0u
#define PTR_MAX 0x3fffu /* RFC 1035 §4.1.4: a 14-bit offset */
#define CTAB_SIZE 128u  /* name suffixes the emitter remembers */

static const char *const err_names[IB_DNS__NERR] = {
    [IB_DNS_OK] = "ok",
    [IB_DNS_ERR_SHORT] = "short header",
    [IB_DNS_ERR_TRUNCATED] = "truncated",
    [IB_DNS_ERR_COUNT] = "count beyond data",
    [IB_DNS_ERR_TOO_MANY] = "too many records",
    [IB_DNS_ERR_LABEL_TYPE] = "bad label type",
    [IB_DNS_ERR_LABEL_CHAR] = "bad label character",
    [IB_DNS_ERR_NAME_LONG] = "name too long",
    [IB_DNS_ERR_PTR_FORWARD] = "pointer forward",
    [IB_DNS_ERR_PTR_HOPS] = "too many pointers",
    [IB_DNS_ERR_RDLENGTH] = "rdlength mismatch",
    [IB_DNS_ERR_RDATA_LONG] = "rdata too long",
};

const char *ib_dns_err_str(int err)
{
    return err >= 0 && err < IB_DNS__NERR ? err_names[err] : "unknown";
}

/* Dotted text cannot show '.' or '\' inside a label without escapes, and
 * the names of this simulator never need them: such labels are refused. */
static bool label_char_ok(uint8_t c)
{
    return c > 0x20 && c < 0x7f && c != '.' && c != '\\';
}

/* Reads the name at *off into out, leaves *off after the name's bytes in
 * place (after its first pointer, if any). */
static int parse_name(const uint8_t *b, size_t len, size_t *off, char *out)
{
    size_t pos = *off, limit = *off, wire = 0, t = 0;
    unsigned hops = 0;
    bool jumped = false;
    for (;;) {
        if (pos >= len)
            return IB_DNS_ERR_TRUNCATED;
        uint8_t l = b[pos];
        if ((l & PTR_MASK) == PTR_MASK) {
            if (pos + 2 > len)
                return IB_DNS_ERR_TRUNCATED;
            size_t to = ib_get16(b + pos) & PTR_MAX;
            /* RFC 1035 §4.1.4 lets a pointer reach "a prior occurrence";
             * demanding each jump land before the labels it ends means the
             * positions strictly decrease, so no chain can loop. */
            if (to >= limit)
                return IB_DNS_ERR_PTR_FORWARD;
            if (++hops > IB_DNS_MAX_HOPS)
                return IB_DNS_ERR_PTR_HOPS;
            if (!jumped)
                *off = pos + 2;
            jumped = true;
            pos = limit = to;
            continue;
        }
        if (l & PTR_MASK)
            return IB_DNS_ERR_LABEL_TYPE; /* RFC 6891 §5: 01 and 10 are not in use */
        /* RFC 1035 §2.3.4: 255 octets counting every length byte */
        wire += 1u + l;
        if (wire > IB_DNS_MAX_NAME)
            return IB_DNS_ERR_NAME_LONG;
        if (l == 0)
            break;
        if (pos + 1 + l > len)
            return IB_DNS_ERR_TRUNCATED;
        if (t > 0)
            out[t++] = '.';
        for (size_t i = 0; i < l; i++) {
            uint8_t c = b[pos + 1 + i];
            if (!label_char_ok(c))
                return IB_DNS_ERR_LABEL_CHAR;
            out[t++] = (char)c;
        }
        pos += 1u + l;
    }
    out[t] = '\0';
    if (!jumped)
        *off = pos + 1;
    return IB_DNS_OK;
}

/* RFC 1035 §3.3.14: TXT rdata is one or more <character-string>s. */
static bool txt_ok(const uint8_t *p, size_t n)
{
    size_t i = 0;
    if (n == 0)
        return false;
    while (i < n)
        i += 1u + p[i];
    return i == n;
}

static int parse_rdata(const uint8_t *b, size_t off, size_t rdlen, struct ib_dns_rr *r)
{
    size_t end = off + rdlen, p = off;
    int err = IB_DNS_OK;
    switch (r->type) {
    case IB_DNS_T_A:
        if (rdlen != 4)
            return IB_DNS_ERR_RDLENGTH;
        r->rd.a = ib_get32(b + off);
        return IB_DNS_OK;
    case IB_DNS_T_AAAA:
        if (rdlen != 16)
            return IB_DNS_ERR_RDLENGTH;
        memcpy(r->rd.aaaa, b + off, 16);
        return IB_DNS_OK;
    case IB_DNS_T_NS:
    case IB_DNS_T_CNAME:
    case IB_DNS_T_PTR:
        err = parse_name(b, end, &p, r->rd.name);
        break;
    case IB_DNS_T_MX:
        if (rdlen < 3)
            return IB_DNS_ERR_RDLENGTH;
        r->rd.mx.pref = ib_get16(b + off);
        p += 2;
        err = parse_name(b, end, &p, r->rd.mx.host);
        break;
    case IB_DNS_T_SOA:
        err = parse_name(b, end, &p, r->rd.soa.mname);
        if (!err)
            err = parse_name(b, end, &p, r->rd.soa.rname);
        if (!err) {
            if (p + 20 > end)
                return IB_DNS_ERR_RDLENGTH;
            r->rd.soa.serial = ib_get32(b + p);
            r->rd.soa.refresh = ib_get32(b + p + 4);
            r->rd.soa.retry = ib_get32(b + p + 8);
            r->rd.soa.expire = ib_get32(b + p + 12);
            r->rd.soa.minimum = ib_get32(b + p + 16);
            p += 20;
        }
        break;
    default:
        if (rdlen > IB_DNS_MAX_RDATA)
            return IB_DNS_ERR_RDATA_LONG;
        if (r->type == IB_DNS_T_TXT && !txt_ok(b + off, rdlen))
            return IB_DNS_ERR_RDLENGTH;
        r->rd.raw.len = (uint16_t)rdlen;
        memcpy(r->rd.raw.data, b + off, rdlen);
        return IB_DNS_OK;
    }
    /* A name in rdata that runs past rdlength is read against `end`, so
     * it shows up as truncated: it is the rdlength that is wrong. */
    if (err == IB_DNS_ERR_TRUNCATED || (!err && p != end))
        return IB_DNS_ERR_RDLENGTH;
    return err;
}

static int parse_rrs(const uint8_t *b, size_t len, size_t *off, uint16_t n, struct ib_dns_rr *rr)
{
    for (uint16_t i = 0; i < n; i++) {
        struct ib_dns_rr *r = &rr[i];
        if (*off >= len)
            return IB_DNS_ERR_COUNT;
        int err = parse_name(b, len, off, r->name);
        if (err)
            return err;
        /* RFC 1035 §4.1.3: type, class, ttl, rdlength, then rdata */
        if (*off + 10 > len)
            return IB_DNS_ERR_TRUNCATED;
        r->type = ib_get16(b + *off);
        r->cls = ib_get16(b + *off + 2);
        r->ttl = ib_get32(b + *off + 4);
        size_t rdlen = ib_get16(b + *off + 8);
        *off += 10;
        if (*off + rdlen > len)
            return IB_DNS_ERR_TRUNCATED;
        err = parse_rdata(b, *off, rdlen, r);
        if (err)
            return err;
        *off += rdlen;
    }
    return IB_DNS_OK;
}

int ib_dns_parse(const uint8_t *b, size_t len, struct ib_dns_msg *out)
{
    if (len < IB_DNS_HLEN)
        return IB_DNS_ERR_SHORT;
    /* RFC 1035 §4.1.1 */
    out->id = ib_get16(b);
    uint16_t fl = ib_get16(b + 2);
    out->qr = fl >> 15;
    out->opcode = (fl >> 11) & 0xf;
    out->aa = (fl >> 10) & 1;
    out->tc = (fl >> 9) & 1;
    out->rd = (fl >> 8) & 1;
    out->ra = (fl >> 7) & 1;
    out->z = (fl >> 4) & 7;
    out->rcode = fl & 0xf;
    out->qdcount = ib_get16(b + 4);
    out->ancount = ib_get16(b + 6);
    out->nscount = ib_get16(b + 8);
    out->arcount = ib_get16(b + 10);
    if (out->qdcount > IB_DNS_MAX_QD || out->ancount > IB_DNS_MAX_RR ||
        out->nscount > IB_DNS_MAX_RR || out->arcount > IB_DNS_MAX_RR)
        return IB_DNS_ERR_TOO_MANY;
    size_t off = IB_DNS_HLEN;
    for (uint16_t i = 0; i < out->qdcount; i++) {
        struct ib_dns_question *q = &out->qd[i];
        if (off >= len)
            return IB_DNS_ERR_COUNT;
        int err = parse_name(b, len, &off, q->name);
        if (err)
            return err;
        /* RFC 1035 §4.1.2 */
        if (off + 4 > len)
            return IB_DNS_ERR_TRUNCATED;
        q->type = ib_get16(b + off);
        q->cls = ib_get16(b + off + 2);
        off += 4;
    }
    int err = parse_rrs(b, len, &off, out->ancount, out->an);
    if (!err)
        err = parse_rrs(b, len, &off, out->nscount, out->ns);
    if (!err)
        err = parse_rrs(b, len, &off, out->arcount, out->ar);
    return err;
}

/* The emitter's state: the message so far and where name suffixes start. */
struct writer {
    uint8_t *b;
    size_t cap, pos;
    uint16_t ctab[CTAB_SIZE];
    unsigned nctab;
};

/* Turns dotted text into uncompressed wire labels; fills the offset of
 * each label in w, and of the root after them, and returns the label
 * count, or -1 if the name breaks
 * RFC 1035 §2.3.4 or has an empty label. */
static int name_to_wire(const char *s, uint8_t *w, uint8_t *lab)
{
    size_t n = strnlen(s, IB_DNS_NAME_SIZE);
    if (n == IB_DNS_NAME_SIZE)
        return -1;
    if (n > 0 && s[n - 1] == '.')
        n--; /* a trailing dot names the root explicitly */
    size_t pos = 0;
    int nl = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && s[j] != '.')
            j++;
        size_t l = j - i;
        if (l == 0 || l > IB_DNS_MAX_LABEL || pos + 1 + l + 1 > IB_DNS_MAX_NAME)
            return -1;
        for (size_t k = i; k < j; k++)
            if (!label_char_ok((uint8_t)s[k]))
                return -1;
        lab[nl++] = (uint8_t)pos;
        w[pos] = (uint8_t)l;
        memcpy(w + pos + 1, s + i, l);
        pos += 1 + l;
        i = j + 1;
    }
    lab[nl] = (uint8_t)pos;
    w[pos] = 0;
    return nl;
}

static uint8_t lower(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* Is the name already written at off equal to wire labels u (ending in
 * the root)? RFC 1035 §2.3.3: compared without regard to case. What we
 * wrote holds only backward pointers, so the walk ends. */
static bool same_name(const uint8_t *b, size_t off, const uint8_t *u)
{
    for (;;) {
        while ((b[off] & PTR_MASK) == PTR_MASK)
            off = ib_get16(b + off) & PTR_MAX;
        uint8_t l = b[off];
        if (l != *u)
            return false;
        if (l == 0)
            return true;
        for (size_t i = 1; i <= l; i++)
            if (lower(b[off + i]) != lower(u[i]))
                return false;
        off += 1u + l;
        u += 1u + l;
    }
}

/* RFC 1035 §4.1.4: writes the name, ending with a pointer to the longest
 * suffix already in the message when `compress` (RFC 3597 §4: only names
 * in the RFC 1035 types may be compressed). Returns false if no room. */
static bool put_name(struct writer *w, const char *s, bool compress)
{
    uint8_t u[IB_DNS_MAX_NAME + 1], lab[128];
    int nl = name_to_wire(s, u, lab);
    if (nl < 0)
        return false;
    int cut = nl;
    uint16_t ptr = 0;
    for (int i = 0; compress && i < nl && cut == nl; i++)
        for (unsigned k = 0; k < w->nctab; k++)
            if (same_name(w->b, w->ctab[k], u + lab[i])) {
                cut = i;
                ptr = w->ctab[k];
                break;
            }
    size_t plain = lab[cut];
    size_t need = plain + (cut < nl ? 2u : 1u);
    if (w->pos + need > w->cap)
        return false;
    for (int i = 0; i < cut; i++)
        if (w->pos + lab[i] <= PTR_MAX && w->nctab < CTAB_SIZE)
            w->ctab[w->nctab++] = (uint16_t)(w->pos + lab[i]);
    memcpy(w->b + w->pos, u, plain);
    w->pos += plain;
    if (cut < nl) {
        ib_put16(w->b + w->pos, (uint16_t)(0xc000u | ptr));
        w->pos += 2;
    } else {
        w->b[w->pos++] = 0;
    }
    return true;
}

static bool put_bytes(struct writer *w, const void *p, size_t n)
{
    if (w->pos + n > w->cap)
        return false;
    memcpy(w->b + w->pos, p, n);
    w->pos += n;
    return true;
}

static bool put16(struct writer *w, uint16_t v)
{
    uint8_t t[2];
    ib_put16(t, v);
    return put_bytes(w, t, 2);
}

static bool put32(struct writer *w, uint32_t v)
{
    uint8_t t[4];
    ib_put32(t, v);
    return put_bytes(w, t, 4);
}

/* The rdata of r, typed by r->type (RFC 1035 §3.3, RFC 3596 §2.2). */
static bool put_rdata(struct writer *w, const struct ib_dns_rr *r)
{
    switch (r->type) {
    case IB_DNS_T_A:
        return put32(w, r->rd.a);
    case IB_DNS_T_AAAA:
        return put_bytes(w, r->rd.aaaa, 16);
    case IB_DNS_T_NS:
    case IB_DNS_T_CNAME:
    case IB_DNS_T_PTR:
        return put_name(w, r->rd.name, true);
    case IB_DNS_T_MX:
        return put16(w, r->rd.mx.pref) && put_name(w, r->rd.mx.host, true);
    case IB_DNS_T_SOA:
        return put_name(w, r->rd.soa.mname, true) && put_name(w, r->rd.soa.rname, true) &&
               put32(w, r->rd.soa.serial) && put32(w, r->rd.soa.refresh) &&
               put32(w, r->rd.soa.retry) && put32(w, r->rd.soa.expire) &&
               put32(w, r->rd.soa.minimum);
    default:
        return r->rd.raw.len <= IB_DNS_MAX_RDATA && put_bytes(w, r->rd.raw.data, r->rd.raw.len);
    }
}

/* Writes one whole record, or nothing (the writer is rolled back). */
static bool put_rr(struct writer *w, const struct ib_dns_rr *r)
{
    size_t start = w->pos;
    unsigned nctab = w->nctab;
    bool ok = put_name(w, r->name, true) && put16(w, r->type) && put16(w, r->cls) &&
              put32(w, r->ttl) && put16(w, 0);
    size_t rdstart = w->pos;
    ok = ok && put_rdata(w, r);
    if (!ok) {
        w->pos = start;
        w->nctab = nctab;
        return false;
    }
    ib_put16(w->b + rdstart - 2, (uint16_t)(w->pos - rdstart));
    return true;
}

size_t ib_dns_emit(const struct ib_dns_msg *m, uint8_t *b, size_t cap)
{
    if (m->qdcount > IB_DNS_MAX_QD || m->ancount > IB_DNS_MAX_RR || m->nscount > IB_DNS_MAX_RR ||
        m->arcount > IB_DNS_MAX_RR || cap < IB_DNS_HLEN)
        return 0;
    struct writer w = {.b = b, .cap = cap, .pos = IB_DNS_HLEN};
    for (unsigned i = 0; i < m->qdcount; i++)
        if (!put_name(&w, m->qd[i].name, true) || !put16(&w, m->qd[i].type) ||
            !put16(&w, m->qd[i].cls))
            return 0;
    const struct ib_dns_rr *sec[3] = {m->an, m->ns, m->ar};
    uint16_t want[3] = {m->ancount, m->nscount, m->arcount}, got[3] = {0, 0, 0};
    bool tc = m->tc, full = false;
    for (unsigned s = 0; s < 3 && !full; s++) {
        for (unsigned i = 0; i < want[s]; i++) {
            if (!put_rr(&w, &sec[s][i])) {
                /* RFC 2181 §9: TC only when the answer itself was cut;
                 * additional data left out is no reason to retry over TCP.
                 * Records stay in order: later ones are left out too. */
                full = true;
                tc |= s < 2;
                break;
            }
            got[s]++;
        }
    }
    /* A name that could never be written fails the whole message, not a
     * truncation: check the first record left out would fit in an empty
     * message, so invalid names are not mistaken for lack of room. */
    if (full) {
        for (unsigned s = 0; s < 3; s++) {
            if (got[s] < want[s]) {
                uint8_t tmp[IB_DNS_HLEN + 2 * IB_DNS_MAX_NAME + 30 + IB_DNS_MAX_RDATA];
                struct writer t = {.b = tmp, .cap = sizeof(tmp), .pos = IB_DNS_HLEN};
                if (!put_rr(&t, &sec[s][got[s]]))
                    return 0;
                break;
            }
        }
    }
    /* RFC 1035 §4.1.1 */
    ib_put16(b, m->id);
    uint16_t fl = (uint16_t)((unsigned)m->qr << 15 | (m->opcode & 0xfu) << 11 |
                             (unsigned)m->aa << 10 | (unsigned)tc << 9 | (unsigned)m->rd << 8 |
                             (unsigned)m->ra << 7 | (m->z & 7u) << 4 | (m->rcode & 0xfu));
    ib_put16(b + 2, fl);
    ib_put16(b + 4, m->qdcount);
    ib_put16(b + 6, got[0]);
    ib_put16(b + 8, got[1]);
    ib_put16(b + 10, got[2]);
    return w.pos;
}
