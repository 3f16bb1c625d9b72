/* DHCP message codec: the BOOTP-shaped fixed part of RFC 2131 §2, the
 * magic cookie and the RFC 2132 options a DHCP client, server or relay of
 * inetbox needs, with option overload (RFC 2131 §4.1, RFC 2132 §9.3).
 * Unknown options are kept as opaque bytes, up to a bound, so an observer
 * can show them and a relay can pass them on. Emitting writes every option
 * in the options field in one canonical order and pads the message to the
 * 300-byte BOOTP minimum (RFC 1542 §2.1), as common servers do. */
#include <string.h>

#include "inetbox/dhcp.h"

#define OPTS_OFF (IB_DHCP_FIXED_LEN + 4u) /* options begin after the cookie */
#define SNAME_OFF 44u
#define FILE_OFF 108u

const char *ib_dhcp_err_str(int err)
{
    static const char *const names[IB_DHCP_ERR__COUNT] = {
        [IB_DHCP_OK] = "ok",
        [IB_DHCP_ERR_SHORT] = "message too short",
        [IB_DHCP_ERR_BAD_OP] = "bad op",
        [IB_DHCP_ERR_BAD_HLEN] = "bad hardware address length",
        [IB_DHCP_ERR_BAD_MAGIC] = "bad magic cookie",
        [IB_DHCP_ERR_OPT_OVERRUN] = "option runs past the end",
        [IB_DHCP_ERR_OPT_LEN] = "bad option length",
        [IB_DHCP_ERR_OPT_VALUE] = "bad option value",
        [IB_DHCP_ERR_OPT_DUP] = "duplicate option",
        [IB_DHCP_ERR_NO_END] = "missing end option",
        [IB_DHCP_ERR_OVERLOAD] = "option overload outside the options field",
    };
    if (err < 0 || err >= IB_DHCP_ERR__COUNT) return "?";
    return names[err];
}

bool ib_dhcp_add_unknown(struct ib_dhcp_msg *m, uint8_t code, const uint8_t *v, uint8_t len)
{
    if (m->n_unknown >= IB_DHCP_MAX_UNKNOWN || m->unknown_used + len > IB_DHCP_UNKNOWN_BYTES)
        return false;
    struct ib_dhcp_unknown *u = &m->unknown[m->n_unknown++];
    u->code = code;
    u->len = len;
    u->off = m->unknown_used;
    memcpy(m->unknown_data + m->unknown_used, v, len);
    m->unknown_used = (uint16_t)(m->unknown_used + len);
    return true;
}

/* A list of addresses (RFC 2132 §3.5, §3.8): "The minimum length for the
 * router option is 4 octets, and the length MUST always be a multiple of 4." */
static int get_addrs(const uint8_t *v, uint8_t len, ib_ip4 *out, uint8_t *n)
{
    if (len < 4 || len % 4) return IB_DHCP_ERR_OPT_LEN;
    for (unsigned i = 0; i < len / 4u && i < IB_DHCP_MAX_ADDRS; i++)
        out[(*n)++] = ib_get32(v + 4 * i);
    return 0;
}

/* A byte string whose definition says "minimum length is `min`". */
static int get_bytes(const uint8_t *v, uint8_t len, uint8_t min, uint8_t *out, uint8_t *olen)
{
    if (len < min) return IB_DHCP_ERR_OPT_LEN;
    memcpy(out, v, len);
    *olen = len;
    return 0;
}

static int get_fixed(uint8_t len, uint8_t want)
{
    return len == want ? 0 : IB_DHCP_ERR_OPT_LEN;
}

/* The options whose value is one 32-bit number, all of length 4 (RFC
 * 2132 §3.3 subnet mask, §9.1 requested address, §9.2 lease time, §9.7
 * server identifier, §9.11 T1, §9.12 T2). */
static uint32_t *u32_slot(struct ib_dhcp_msg *m, uint8_t code)
{
    switch (code) {
    case IB_DHCP_OPT_SUBNET_MASK:
        return &m->subnet_mask;
    case IB_DHCP_OPT_REQUESTED_IP:
        return &m->requested_ip;
    case IB_DHCP_OPT_LEASE_TIME:
        return &m->lease_time;
    case IB_DHCP_OPT_SERVER_ID:
        return &m->server_id;
    case IB_DHCP_OPT_RENEWAL_T1:
        return &m->t1;
    case IB_DHCP_OPT_REBINDING_T2:
        return &m->t2;
    default:
        return NULL;
    }
}

static int get_opt(struct ib_dhcp_msg *m, uint8_t code, const uint8_t *v, uint8_t len)
{
    int err = 0;
    uint32_t *slot = u32_slot(m, code);
    if (slot) {
        if (!(err = get_fixed(len, 4))) *slot = ib_get32(v);
    } else {
        switch (code) {
        case IB_DHCP_OPT_ROUTER:
            err = get_addrs(v, len, m->routers, &m->n_routers);
            break;
        case IB_DHCP_OPT_DNS:
            err = get_addrs(v, len, m->dns, &m->n_dns);
            break;
        case IB_DHCP_OPT_HOST_NAME: /* RFC 2132 §3.14: minimum length 1 */
            err = get_bytes(v, len, 1, m->host_name, &m->host_name_len);
            break;
        case IB_DHCP_OPT_DOMAIN_NAME: /* RFC 2132 §3.17 */
            err = get_bytes(v, len, 1, m->domain_name, &m->domain_name_len);
            break;
        case IB_DHCP_OPT_OVERLOAD:
            /* RFC 2132 §9.3: length 1, value 1, 2 or 3 */
            if (!(err = get_fixed(len, 1))) {
                m->overload = v[0];
                if (v[0] < 1 || v[0] > 3) err = IB_DHCP_ERR_OPT_VALUE;
            }
            break;
        case IB_DHCP_OPT_MSG_TYPE: /* RFC 2132 §9.6: length 1, value 1..8 */
            if (!(err = get_fixed(len, 1))) {
                m->type = v[0];
                if (v[0] < IB_DHCPDISCOVER || v[0] > IB_DHCPINFORM) err = IB_DHCP_ERR_OPT_VALUE;
            }
            break;
        case IB_DHCP_OPT_PARAM_REQ: /* RFC 2132 §9.8: minimum length 1 */
            err = get_bytes(v, len, 1, m->prl, &m->prl_len);
            break;
        case IB_DHCP_OPT_MESSAGE: /* RFC 2132 §9.9: minimum length 1 */
            err = get_bytes(v, len, 1, m->message, &m->message_len);
            break;
        case IB_DHCP_OPT_MAX_MSG_SIZE: /* RFC 2132 §9.10: length 2, at least 576 */
            if (!(err = get_fixed(len, 2))) {
                m->max_msg_size = ib_get16(v);
                if (m->max_msg_size < 576) err = IB_DHCP_ERR_OPT_VALUE;
            }
            break;
        case IB_DHCP_OPT_CLIENT_ID: /* RFC 2132 §9.14: minimum length 2 */
            err = get_bytes(v, len, 2, m->client_id, &m->client_id_len);
            break;
        default:
            /* RFC 2131 §4.1/RFC 2132 §2: options the receiver does not know are
             * skipped by their length; kept, within bounds, for observers. */
            ib_dhcp_add_unknown(m, code, v, len);
            return 0;
        }
    }
    if (!err) m->has |= 1ull << code;
    return err;
}

/* Parses one field of options, which must close with the end option (RFC
 * 2131 §4.1 for sname and file; RFC 2132 §3.2 for the options field). */
static int parse_field(struct ib_dhcp_msg *m, const uint8_t *b, size_t len, bool main)
{
    size_t i = 0;
    while (i < len) {
        uint8_t code = b[i];
        if (code == IB_DHCP_OPT_END) return 0; /* what follows is padding (RFC 2131 §4.1) */
        if (code == IB_DHCP_OPT_PAD) {         /* RFC 2132 §3.1: one octet, no length */
            i++;
            continue;
        }
        if (i + 2 > len || i + 2 + b[i + 1] > len) return IB_DHCP_ERR_OPT_OVERRUN;
        uint8_t olen = b[i + 1];
        /* RFC 2131 §4.1: "the 'option overload' option MUST appear in the
         * 'options' field" (and so only once). */
        if (code == IB_DHCP_OPT_OVERLOAD && !main) return IB_DHCP_ERR_OVERLOAD;
        /* RFC 3396 would concatenate split options; we do not, so a second
         * instance of a known option is refused rather than misread. */
        if (code < 64 && ib_dhcp_has(m, code)) return IB_DHCP_ERR_OPT_DUP;
        int err = get_opt(m, code, b + i + 2, olen);
        if (err) return err;
        i += 2u + olen;
    }
    return IB_DHCP_ERR_NO_END;
}

int ib_dhcp_parse(const uint8_t *b, size_t len, struct ib_dhcp_msg *out)
{
    memset(out, 0, sizeof(*out));
    if (len < OPTS_OFF) return IB_DHCP_ERR_SHORT;
    /* RFC 2131 §2 figure 1 */
    out->op = b[0];
    out->htype = b[1];
    out->hlen = b[2];
    out->hops = b[3];
    out->xid = ib_get32(b + 4);
    out->secs = ib_get16(b + 8);
    out->flags = ib_get16(b + 10);
    out->ciaddr = ib_get32(b + 12);
    out->yiaddr = ib_get32(b + 16);
    out->siaddr = ib_get32(b + 20);
    out->giaddr = ib_get32(b + 24);
    memcpy(out->chaddr, b + 28, sizeof(out->chaddr));
    memcpy(out->sname, b + SNAME_OFF, sizeof(out->sname));
    memcpy(out->file, b + FILE_OFF, sizeof(out->file));
    if (out->op != IB_BOOTREQUEST && out->op != IB_BOOTREPLY) return IB_DHCP_ERR_BAD_OP;
    if (out->hlen > sizeof(out->chaddr)) return IB_DHCP_ERR_BAD_HLEN;
    /* RFC 2131 §3: "The first four octets of the 'options' field of the
     * DHCP message contain the (decimal) values 99, 130, 83 and 99". */
    if (ib_get32(b + IB_DHCP_FIXED_LEN) != IB_DHCP_MAGIC) return IB_DHCP_ERR_BAD_MAGIC;
    int err = parse_field(out, b + OPTS_OFF, len - OPTS_OFF, true);
    if (err) return err;
    /* RFC 2131 §4.1: the options field is read first, then an overloaded
     * 'file', then an overloaded 'sname'. */
    if (out->overload & 1u) {
        memset(out->file, 0, sizeof(out->file));
        if ((err = parse_field(out, b + FILE_OFF, sizeof(out->file), false))) return err;
    }
    if (out->overload & 2u) {
        memset(out->sname, 0, sizeof(out->sname));
        if ((err = parse_field(out, b + SNAME_OFF, sizeof(out->sname), false))) return err;
    }
    return 0;
}

struct writer {
    uint8_t *b;
    size_t pos, cap;
    bool ok;
};

static void put_opt(struct writer *w, uint8_t code, const uint8_t *v, size_t len)
{
    if (!w->ok || len > 255 || w->pos + 2 + len > w->cap) {
        w->ok = false;
        return;
    }
    w->b[w->pos] = code;
    w->b[w->pos + 1] = (uint8_t)len;
    if (len) memcpy(w->b + w->pos + 2, v, len);
    w->pos += 2 + len;
}

static void put_u32(struct writer *w, const struct ib_dhcp_msg *m, uint8_t code, uint32_t v)
{
    if (!ib_dhcp_has(m, code)) return;
    uint8_t t[4];
    ib_put32(t, v);
    put_opt(w, code, t, 4);
}

static void put_bytes(struct writer *w, const struct ib_dhcp_msg *m, uint8_t code, const uint8_t *v,
                      uint8_t len, uint8_t min)
{
    if (!ib_dhcp_has(m, code)) return;
    if (len < min) /* would not parse back */
        w->ok = false;
    put_opt(w, code, v, len);
}

static void put_addrs(struct writer *w, const struct ib_dhcp_msg *m, uint8_t code, const ib_ip4 *a,
                      uint8_t n)
{
    if (!ib_dhcp_has(m, code)) return;
    uint8_t t[4 * IB_DHCP_MAX_ADDRS];
    if (n == 0 || n > IB_DHCP_MAX_ADDRS) {
        w->ok = false;
        return;
    }
    for (unsigned i = 0; i < n; i++)
        ib_put32(t + 4 * i, a[i]);
    put_opt(w, code, t, 4u * n);
}

size_t ib_dhcp_emit(const struct ib_dhcp_msg *m, uint8_t *b, size_t cap)
{
    if (cap < IB_DHCP_MIN_LEN) return 0;
    memset(b, 0, IB_DHCP_MIN_LEN);
    b[0] = m->op;
    b[1] = m->htype;
    b[2] = m->hlen;
    b[3] = m->hops;
    ib_put32(b + 4, m->xid);
    ib_put16(b + 8, m->secs);
    ib_put16(b + 10, m->flags);
    ib_put32(b + 12, m->ciaddr);
    ib_put32(b + 16, m->yiaddr);
    ib_put32(b + 20, m->siaddr);
    ib_put32(b + 24, m->giaddr);
    memcpy(b + 28, m->chaddr, sizeof(m->chaddr));
    memcpy(b + SNAME_OFF, m->sname, sizeof(m->sname));
    memcpy(b + FILE_OFF, m->file, sizeof(m->file));
    ib_put32(b + IB_DHCP_FIXED_LEN, IB_DHCP_MAGIC);

    struct writer w = {b, OPTS_OFF, cap, true};
    if (ib_dhcp_has(m, IB_DHCP_OPT_MSG_TYPE)) put_opt(&w, IB_DHCP_OPT_MSG_TYPE, &m->type, 1);
    put_bytes(&w, m, IB_DHCP_OPT_CLIENT_ID, m->client_id, m->client_id_len, 2);
    put_u32(&w, m, IB_DHCP_OPT_REQUESTED_IP, m->requested_ip);
    put_u32(&w, m, IB_DHCP_OPT_SERVER_ID, m->server_id);
    put_u32(&w, m, IB_DHCP_OPT_LEASE_TIME, m->lease_time);
    put_u32(&w, m, IB_DHCP_OPT_RENEWAL_T1, m->t1);
    put_u32(&w, m, IB_DHCP_OPT_REBINDING_T2, m->t2);
    put_u32(&w, m, IB_DHCP_OPT_SUBNET_MASK, m->subnet_mask);
    put_addrs(&w, m, IB_DHCP_OPT_ROUTER, m->routers, m->n_routers);
    put_addrs(&w, m, IB_DHCP_OPT_DNS, m->dns, m->n_dns);
    put_bytes(&w, m, IB_DHCP_OPT_HOST_NAME, m->host_name, m->host_name_len, 1);
    put_bytes(&w, m, IB_DHCP_OPT_DOMAIN_NAME, m->domain_name, m->domain_name_len, 1);
    put_bytes(&w, m, IB_DHCP_OPT_PARAM_REQ, m->prl, m->prl_len, 1);
    if (ib_dhcp_has(m, IB_DHCP_OPT_MAX_MSG_SIZE)) {
        uint8_t t[2];
        ib_put16(t, m->max_msg_size);
        put_opt(&w, IB_DHCP_OPT_MAX_MSG_SIZE, t, 2);
    }
    put_bytes(&w, m, IB_DHCP_OPT_MESSAGE, m->message, m->message_len, 1);
    for (unsigned i = 0; i < m->n_unknown && i < IB_DHCP_MAX_UNKNOWN; i++) {
        const struct ib_dhcp_unknown *u = &m->unknown[i];
        if (u->off + u->len > IB_DHCP_UNKNOWN_BYTES || u->code == 0 || u->code == 255) {
            w.ok = false;
            break;
        }
        put_opt(&w, u->code, m->unknown_data + u->off, u->len);
    }
    if (!w.ok || w.pos >= cap) return 0;
    b[w.pos++] = IB_DHCP_OPT_END;
    if (w.pos < IB_DHCP_MIN_LEN) return IB_DHCP_MIN_LEN; /* zeros are pad options (RFC 2132 §3.1) */
    return w.pos;
}
