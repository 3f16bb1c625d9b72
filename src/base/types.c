/* Text forms of the basic types: error names, dotted-quad IPv4 addresses
 * (RFC 791 §3.2 / RFC 4632 §3.1 prefix notation) and colon-separated MAC
 * addresses (IEEE 802 canonical form). Parsers are strict: they accept only
 * what they would print, so a typo in a scenario is an error, not a guess. */
#include "inetbox/types.h"

#include <stdio.h>

const struct ib_mac ib_mac_broadcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
const struct ib_mac ib_mac_zero = {{0, 0, 0, 0, 0, 0}};

const char *ib_err_str(int err)
{
    switch ((enum ib_err)err) {
    case IB_OK:
        return "success";
    case IB_ERR_NOMEM:
        return "out of memory";
    case IB_ERR_INVAL:
        return "invalid argument";
    case IB_ERR_TRUNCATED:
        return "truncated";
    case IB_ERR_CHECKSUM:
        return "bad checksum";
    case IB_ERR_NOROUTE:
        return "no route";
    case IB_ERR_INUSE:
        return "in use";
    case IB_ERR_NOTFOUND:
        return "not found";
    case IB_ERR_DROPPED:
        return "dropped";
    case IB_ERR_QUEUED:
        return "queued";
    case IB_ERR_TOOBIG:
        return "too big";
    case IB_ERR_IO:
        return "I/O error";
    case IB_ERR_RESET:
        return "connection reset";
    case IB_ERR_TIMEOUT:
        return "connection timed out";
    case IB_ERR_REFUSED:
        return "connection refused";
    case IB_ERR_CLOSED:
        return "connection closed";
    case IB_ERR_AGAIN:
        return "try again";
    case IB_ERR_UNREACH:
        return "destination unreachable";
    case IB_ERR_SERVFAIL:
        return "server failure";
    case IB_ERR_PROTO:
        return "protocol error";
    }
    return "unknown error";
}

char *ib_ip4_str(ib_ip4 a, char *buf)
{
    snprintf(buf, IB_IP4_STRLEN, "%u.%u.%u.%u", (unsigned)(a >> 24), (unsigned)(a >> 16) & 0xffu,
             (unsigned)(a >> 8) & 0xffu, (unsigned)a & 0xffu);
    return buf;
}

char *ib_mac_str(const struct ib_mac *m, char *buf)
{
    snprintf(buf, IB_MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", m->b[0], m->b[1], m->b[2],
             m->b[3], m->b[4], m->b[5]);
    return buf;
}

/* Reads 1 to max_digits decimal digits not above max; leading zeros are
 * refused on multi-digit numbers ("010" is octal to inet_aton, so it is
 * ambiguous). Returns the position after the number, or NULL. */
static const char *parse_dec(const char *s, unsigned max_digits, unsigned max, unsigned *out)
{
    unsigned v = 0, n = 0;
    while (s[n] >= '0' && s[n] <= '9') {
        if (n == max_digits) return NULL;
        v = v * 10 + (unsigned)(s[n] - '0');
        n++;
    }
    if (n == 0 || v > max || (n > 1 && s[0] == '0')) return NULL;
    *out = v;
    return s + n;
}

int ib_ip4_from_str(const char *s, ib_ip4 *out, unsigned *plen)
{
    ib_ip4 a = 0;
    for (int i = 0; i < 4; i++) {
        unsigned octet;
        if (i > 0 && *s++ != '.') return IB_ERR_INVAL;
        s = parse_dec(s, 3, 255, &octet);
        if (!s) return IB_ERR_INVAL;
        a = a << 8 | octet;
    }
    unsigned len = 32;
    if (*s == '/' && plen) {
        s = parse_dec(s + 1, 2, 32, &len);
        if (!s) return IB_ERR_INVAL;
    }
    if (*s != '\0') return IB_ERR_INVAL;
    *out = a;
    if (plen) *plen = len;
    return IB_OK;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int ib_mac_parse(const char *s, struct ib_mac *out)
{
    struct ib_mac m;
    for (int i = 0; i < 6; i++) {
        if (i > 0 && *s++ != ':') return IB_ERR_INVAL;
        int hi = hex_digit(s[0]);
        int lo = hi < 0 ? -1 : hex_digit(s[1]);
        if (lo < 0) return IB_ERR_INVAL;
        m.b[i] = (uint8_t)(hi << 4 | lo);
        s += 2;
    }
    if (*s != '\0') return IB_ERR_INVAL;
    *out = m;
    return IB_OK;
}

int ib_err_at(char *buf, size_t len, const char *file, unsigned line, unsigned col,
              const char *fmt, va_list ap)
{
    if (!buf || len == 0)
        return IB_ERR_INVAL;
    int n = snprintf(buf, len, "%s:%u:%u: ", file, line, col);
    if (n >= 0 && (size_t)n < len)
        vsnprintf(buf + n, len - (size_t)n, fmt, ap);
    return IB_ERR_INVAL;
}
