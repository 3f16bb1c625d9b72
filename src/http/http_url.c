/* "http" URLs (RFC 9110 §4.2.1) in the syntax of RFC 3986 §3:
 *   "http:" "//" host [ ":" port ] path-abempty [ "?" query ] [ "#" fragment ]
 * Only what a client needs to open a connection and write a request-target
 * is kept; what it must not send (userinfo, the fragment) is refused or
 * dropped. IPv6 literals are refused: the stack is IPv4 only. */
#include "http/http_int.h"

/* RFC 3986 §3.2.2 reg-name, narrowed to the characters DNS names use
 * (letters, digits, '-', '_'), in dot-separated labels of 1-63 bytes
 * (RFC 1035 §2.3.4); one trailing dot (an absolute name) is allowed. */
static int parse_host(const char *s, size_t n, char *out, size_t cap)
{
    if (n == 0 || n >= cap) return IB_ERR_INVAL; /* RFC 9110 §4.2.1: no empty host */
    size_t label = 0;
    for (size_t i = 0; i < n; i++) {
        int c = ib_http_lower((unsigned char)s[i]);
        if (c == '.') {
            if (label == 0) return IB_ERR_INVAL;
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
            if (++label > 63) return IB_ERR_INVAL;
        } else {
            return IB_ERR_INVAL;
        }
        out[i] = (char)c; /* RFC 3986 §6.2.2.1: the host is case-insensitive */
    }
    out[n] = '\0';
    return 0;
}

/* RFC 3986 §3.2.3: port = *DIGIT; an empty port means the scheme's
 * default (§6.2.3). Port 0 cannot be connected to. */
static int parse_port(const char *s, size_t n, uint16_t *port)
{
    if (n == 0) return 0;
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return IB_ERR_INVAL;
        v = v * 10 + (uint32_t)(s[i] - '0');
        if (v > 65535) return IB_ERR_INVAL;
    }
    if (v == 0) return IB_ERR_INVAL;
    *port = (uint16_t)v;
    return 0;
}

/* Path and query become the origin-form request-target (RFC 9112 §3.2.1),
 * so they may hold nothing a request-line cannot: no whitespace, no
 * control characters, no raw non-ASCII (RFC 3986 §2.1 wants those
 * percent-encoded). */
static int parse_target(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    /* RFC 9112 §3.2.1: an empty path is sent as "/". */
    if (n == 0 || s[0] != '/') out[o++] = '/';
    if (o + n >= cap) return IB_ERR_INVAL;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f) return IB_ERR_INVAL;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return 0;
}

int ib_url_parse(const char *url, struct ib_url *u)
{
    static const char scheme[] = "http://";
    if (!url || !u) return IB_ERR_INVAL;
    /* RFC 3986 §3.1: the scheme is case-insensitive. */
    for (size_t i = 0; i < sizeof(scheme) - 1; i++)
        if (ib_http_lower((unsigned char)url[i]) != scheme[i]) return IB_ERR_INVAL;
    const char *auth = url + sizeof(scheme) - 1;
    size_t alen = strcspn(auth, "/?#");
    const char *rest = auth + alen;
    /* RFC 9110 §4.2.4: userinfo is deprecated and refused. */
    if (memchr(auth, '@', alen)) return IB_ERR_INVAL;
    const char *colon = memchr(auth, ':', alen);
    size_t hlen = colon ? (size_t)(colon - auth) : alen;
    int e = parse_host(auth, hlen, u->host, sizeof(u->host));
    u->port = 80;
    if (!e && colon) e = parse_port(colon + 1, alen - hlen - 1, &u->port);
    /* RFC 3986 §3.5: the fragment is for the client alone. */
    if (!e) e = parse_target(rest, strcspn(rest, "#"), u->path, sizeof(u->path));
    return e;
}
