/* The master-file reader (RFC 1035 §5.1): entries of one line, or of
 * several inside parentheses; ; comments; a blank first column repeats
 * the previous owner; @ is the origin and names without a final dot are
 * relative to it; $ORIGIN moves it, $TTL sets the default TTL (RFC 2308
 * §4). Quoted strings and \X, \DDD escapes make TXT data; names with
 * escapes are refused, since the names of this stack are dotted text that
 * cannot hold a '.' inside a label. Every error names file:line:col and
 * what was expected there. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "dns/dns_zone_int.h"

#define TOK_MAX 1024u       /* decoded bytes of one token */
#define TXT_STR_MAX 255u    /* RFC 1035 §3.3: a <character-string> */
#define TTL_MAX 0x7fffffffu /* RFC 2181 §8 */
#define RD_MAX (IB_DNS_MAX_RDATA + 2 * IB_DNS_NAME_SIZE + 24)

enum tok_kind { TOK_WORD, TOK_STR, TOK_EOL, TOK_EOF };

struct tok {
    enum tok_kind kind;
    unsigned line, col;
    bool bol;     /* in the line's first column: an owner or a directive */
    bool escaped; /* held a backslash escape */
    size_t len;
    char text[TOK_MAX + 1]; /* decoded, NUL-terminated */
};

struct zp {
    const char *file, *s;
    size_t len, pos;
    unsigned line, col;
    bool paren;
    unsigned pline, pcol; /* the open '(' */
    struct tok t;
    struct ib_dns_zone *z;
    char origin[IB_DNS_NAME_SIZE]; /* the current $ORIGIN, dotted */
    uint32_t def_ttl;
    bool have_ttl, dollar_ttl;
    bool have_owner;
    uint32_t owner, owner_key; /* arena offsets of the previous owner */
    char *err;
    size_t errlen;
};

static int fail(struct zp *p, unsigned line, unsigned col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ib_err_at(p->err, p->errlen, p->file, line, col, fmt, ap);
    va_end(ap);
    return IB_ERR_INVAL;
}

/* The token as an error message shows it: quoted, printable, short. */
static const char *shown(const struct tok *t, char *buf, size_t size)
{
    if (t->kind == TOK_EOL) return "the end of the line";
    if (t->kind == TOK_EOF) return "the end of the file";
    size_t k = 0, max = size - 6;
    buf[k++] = '"';
    for (size_t i = 0; i < t->len && k < max; i++) {
        unsigned char c = (unsigned char)t->text[i];
        buf[k++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    if (t->len > max - 1) k = (size_t)(stpcpy(buf + k, "...") - buf);
    buf[k++] = '"';
    buf[k] = '\0';
    return buf;
}

/* "expected <what>, got <token>" at the token. */
static int expected(struct zp *p, const struct tok *t, const char *what)
{
    char b[48];
    return fail(p, t->line, t->col, "expected %s, got %s", what, shown(t, b, sizeof(b)));
}

static void advance(struct zp *p)
{
    if (p->s[p->pos++] == '\n') {
        p->line++;
        p->col = 1;
    } else {
        p->col++;
    }
}

static void put(struct tok *t, char c)
{
    if (t->len < TOK_MAX) t->text[t->len] = c;
    t->len++;
}

/* RFC 1035 §5.1: "\X" quotes X, "\DDD" is the octet DDD (decimal). */
static int escape(struct zp *p, struct tok *t)
{
    unsigned line = p->line, col = p->col;
    advance(p);
    if (p->pos >= p->len || p->s[p->pos] == '\n')
        return fail(p, line, col, "expected a character or three digits after '\\'");
    t->escaped = true;
    if (p->s[p->pos] < '0' || p->s[p->pos] > '9') {
        put(t, p->s[p->pos]);
        advance(p);
        return 0;
    }
    unsigned v = 0;
    for (int i = 0; i < 3; i++) {
        if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
            return fail(p, line, col, "expected three digits after '\\' (\\DDD)");
        v = v * 10 + (unsigned)(p->s[p->pos] - '0');
        advance(p);
    }
    if (v > 255) return fail(p, line, col, "expected \\DDD of at most \\255");
    put(t, (char)v);
    return 0;
}

/* Adds the next character, or the one an escape stands for, to t. */
static int take(struct zp *p, struct tok *t)
{
    if (p->s[p->pos] == '\\') return escape(p, t);
    put(t, p->s[p->pos]);
    advance(p);
    return 0;
}

static bool word_char(char c)
{
    return c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != ';' && c != '(' && c != ')' &&
           c != '"';
}

/* Skips blanks, comments and parentheses (inside which a newline is a
 * blank); returns the start of the next token, or EOL / EOF. */
static int skip(struct zp *p)
{
    struct tok *t = &p->t;
    for (;;) {
        t->line = p->line;
        t->col = p->col;
        if (p->pos >= p->len) {
            if (p->paren)
                return fail(p, p->pline, p->pcol,
                            "expected ')' to close this '(' before the end of "
                            "the file");
            t->kind = TOK_EOF;
            return 1;
        }
        char c = p->s[p->pos];
        if (c == '\n' && !p->paren) {
            t->kind = TOK_EOL;
            advance(p);
            return 1;
        }
        if (c == ';') {
            while (p->pos < p->len && p->s[p->pos] != '\n')
                advance(p);
            continue;
        }
        if (c == '(') {
            if (p->paren) return fail(p, p->line, p->col, "expected ')' before another '('");
            p->paren = true;
            p->pline = p->line;
            p->pcol = p->col;
        } else if (c == ')') {
            if (!p->paren) return fail(p, p->line, p->col, "expected '(' before ')'");
            p->paren = false;
        } else if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
            return 0;
        }
        advance(p);
    }
}

static int lex(struct zp *p)
{
    struct tok *t = &p->t;
    t->len = 0;
    t->escaped = false;
    t->bol = false;
    int rc = skip(p);
    if (rc) return rc < 0 ? rc : 0;
    t->line = p->line;
    t->col = p->col;
    t->bol = p->col == 1 && !p->paren;
    if (p->s[p->pos] == '"') {
        t->kind = TOK_STR;
        advance(p);
        for (;;) {
            if (p->pos >= p->len || p->s[p->pos] == '\n')
                return fail(p, t->line, t->col, "expected a closing '\"' on the same line");
            if (p->s[p->pos] == '"') break;
            rc = take(p, t);
            if (rc) return rc;
        }
        advance(p);
    } else {
        t->kind = TOK_WORD;
        while (!rc && p->pos < p->len && word_char(p->s[p->pos]))
            rc = take(p, t);
        if (rc) return rc;
    }
    if (t->len > TOK_MAX)
        return fail(p, t->line, t->col, "expected a word of at most %u characters", TOK_MAX);
    t->text[t->len] = '\0';
    return 0;
}

/* A word as written, without escapes or NUL bytes. */
static bool plain(const struct tok *t)
{
    return t->kind == TOK_WORD && !t->escaped && strlen(t->text) == t->len;
}

/* Label bytes the message codec can show as dotted text (dns_wire.c). */
static bool label_char_ok(unsigned char c)
{
    return c > 0x20 && c < 0x7f && c != '.' && c != '\\';
}

/* Turns the name in t (relative to base unless it ends in '.') into
 * dotted text without the final dot. RFC 1035 §2.3.4: labels of 1 to 63
 * octets, 255 octets in all (so 253 characters of dotted text). */
static int name_of(struct zp *p, const struct tok *t, const char *base, const char *what, char *out)
{
    char b[48];
    if (t->kind != TOK_WORD) return expected(p, t, what);
    if (t->escaped)
        return fail(p, t->line, t->col, "expected %s without '\\' escapes, got %s", what,
                    shown(t, b, sizeof(b)));
    if (!plain(t)) return expected(p, t, what);
    const char *s = t->text;
    size_t n = t->len;
    if (strcmp(s, "@") == 0) {
        snprintf(out, IB_DNS_NAME_SIZE, "%s", base);
        return 0;
    }
    bool absolute = n > 0 && s[n - 1] == '.';
    if (absolute) n--;
    for (size_t i = 0, lab = 0; i <= n; i++) {
        if (i == n || s[i] == '.') {
            if (lab == 0 && !(n == 0 && absolute))
                return fail(p, t->line, t->col, "expected %s, got %s with an empty label", what,
                            shown(t, b, sizeof(b)));
            if (lab > IB_DNS_MAX_LABEL)
                return fail(p, t->line, t->col,
                            "expected %s with labels of at most 63 octets, "
                            "got %s",
                            what, shown(t, b, sizeof(b)));
            lab = 0;
        } else if (!label_char_ok((unsigned char)s[i])) {
            return fail(p, t->line, t->col, "expected %s of printable characters, got %s", what,
                        shown(t, b, sizeof(b)));
        } else {
            lab++;
        }
    }
    size_t total = n + (!absolute && base[0] ? 1 + strlen(base) : 0);
    if (total > IB_DNS_NAME_SIZE - 1)
        return fail(p, t->line, t->col, "expected %s of at most 255 octets, got %s", what,
                    shown(t, b, sizeof(b)));
    memcpy(out, s, n);
    if (n < total) {
        out[n] = '.';
        memcpy(out + n + 1, base, total - n - 1);
    }
    out[total] = '\0';
    return 0;
}

static int name_tok(struct zp *p, const char *what, char *out)
{
    int rc = name_of(p, &p->t, p->origin, what, out);
    return rc ? rc : lex(p);
}

/* Decimal, at most max. */
static int number(struct zp *p, const char *what, uint32_t max, uint32_t *out)
{
    struct tok *t = &p->t;
    uint64_t v = 0;
    bool ok = t->kind == TOK_WORD && t->len > 0 && t->len <= 10;
    for (size_t i = 0; ok && i < t->len; i++) {
        ok = t->text[i] >= '0' && t->text[i] <= '9';
        v = v * 10 + (uint64_t)(t->text[i] - '0');
    }
    if (!ok || v > max) return expected(p, t, what);
    *out = (uint32_t)v;
    return lex(p);
}

/* A TTL in seconds, or with units as BIND writes them ("1h30m", "2d"). */
static int ttl_tok(struct zp *p, const char *what, uint32_t *out)
{
    struct tok *t = &p->t;
    uint64_t total = 0, cur = 0;
    bool digits = false, ok = t->kind == TOK_WORD && t->len > 0;
    for (size_t i = 0; ok && i < t->len && total <= TTL_MAX; i++) {
        char c = t->text[i];
        if (c >= '0' && c <= '9') {
            cur = cur * 10 + (uint64_t)(c - '0');
            digits = true;
            ok = cur <= TTL_MAX;
            continue;
        }
        const char *units = "smhdw";
        static const uint32_t mult[] = {1, 60, 3600, 86400, 604800};
        const char *u = c ? strchr(units, c | 0x20) : NULL;
        ok = digits && u;
        if (ok) total += cur * mult[u - units];
        cur = 0;
        digits = false;
    }
    total += cur;
    if (!ok || total > TTL_MAX) return expected(p, t, what);
    *out = (uint32_t)total;
    return lex(p);
}

/* Writes name (with its NUL) into rd at *n. */
static void rd_name(uint8_t *rd, size_t *n, const char *name)
{
    size_t l = strlen(name) + 1;
    memcpy(rd + *n, name, l);
    *n += l;
}

/* RFC 1035 §3.3.14: one or more <character-string>s. */
static int txt_rdata(struct zp *p, uint8_t *rd, size_t *n)
{
    struct tok *t = &p->t;
    if (t->kind != TOK_WORD && t->kind != TOK_STR)
        return expected(p, t, "TXT data: one or more strings");
    while (t->kind == TOK_WORD || t->kind == TOK_STR) {
        if (t->len > TXT_STR_MAX)
            return fail(p, t->line, t->col,
                        "expected a string of at most 255 octets (RFC 1035 "
                        "§3.3)");
        if (*n + 1 + t->len > IB_DNS_MAX_RDATA)
            return fail(p, t->line, t->col, "expected at most %u octets of TXT data",
                        IB_DNS_MAX_RDATA);
        rd[(*n)++] = (uint8_t)t->len;
        memcpy(rd + *n, t->text, t->len);
        *n += t->len;
        int rc = lex(p);
        if (rc) return rc;
    }
    return 0;
}

static int rdata(struct zp *p, uint16_t type, uint8_t *rd, size_t *n)
{
    struct tok *t = &p->t;
    char name[IB_DNS_NAME_SIZE];
    int rc = 0;
    uint32_t v;
    *n = 0;
    switch (type) {
    case IB_DNS_T_A: {
        ib_ip4 a;
        if (!plain(t) || ib_ip4_from_str(t->text, &a, NULL) != 0)
            return expected(p, t, "an IPv4 address such as 192.0.2.1");
        ib_put32(rd, a);
        *n = 4;
        return lex(p);
    }
    case IB_DNS_T_AAAA:
        if (!plain(t) || inet_pton(AF_INET6, t->text, rd) != 1)
            return expected(p, t, "an IPv6 address such as 2001:db8::1");
        *n = 16;
        return lex(p);
    case IB_DNS_T_MX:
        rc = number(p, "a preference from 0 to 65535", 65535, &v);
        if (!rc) rc = name_tok(p, "a mail exchange's name", name);
        if (rc) return rc;
        ib_put16(rd, (uint16_t)v);
        *n = 2;
        rd_name(rd, n, name);
        return 0;
    case IB_DNS_T_SOA: {
        /* RFC 1035 §3.3.13: MNAME RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM */
        static const char *const what[4] = {"a refresh time", "a retry time", "an expire time",
                                            "a minimum TTL"};
        rc = name_tok(p, "the primary server's name", name);
        if (rc) return rc;
        rd_name(rd, n, name);
        rc = name_tok(p, "the responsible mailbox as a name", name);
        if (!rc) rc = number(p, "a serial number from 0 to 4294967295", UINT32_MAX, &v);
        if (rc) return rc;
        rd_name(rd, n, name);
        ib_put32(rd + *n, v);
        *n += 4;
        for (int i = 0; i < 4; i++) {
            rc = ttl_tok(p, what[i], &v);
            if (rc) return rc;
            ib_put32(rd + *n, v);
            *n += 4;
        }
        return 0;
    }
    case IB_DNS_T_TXT:
        return txt_rdata(p, rd, n);
    default: /* NS, CNAME, PTR */
        rc = name_tok(p, type == IB_DNS_T_NS ? "a name server's name" : "a target name", name);
        if (!rc) rd_name(rd, n, name);
        return rc;
    }
}

static const struct {
    const char *name;
    uint16_t type;
} types[] = {
    {"A", IB_DNS_T_A},   {"AAAA", IB_DNS_T_AAAA}, {"CNAME", IB_DNS_T_CNAME}, {"MX", IB_DNS_T_MX},
    {"NS", IB_DNS_T_NS}, {"PTR", IB_DNS_T_PTR},   {"SOA", IB_DNS_T_SOA},     {"TXT", IB_DNS_T_TXT},
};

static uint16_t type_of(const struct tok *t)
{
    for (size_t i = 0; plain(t) && i < IB_ARRAY_LEN(types); i++)
        if (strcasecmp(t->text, types[i].name) == 0) return types[i].type;
    return 0;
}

/* RFC 1035 §3.2.4 classes and the generic CLASSnn (RFC 3597 §5). */
static bool is_class(const struct tok *t)
{
    static const char *const classes[] = {"IN", "CH", "CS", "HS", "ANY", "NONE"};
    if (!plain(t)) return false;
    for (size_t i = 0; i < IB_ARRAY_LEN(classes); i++)
        if (strcasecmp(t->text, classes[i]) == 0) return true;
    return strncasecmp(t->text, "CLASS", 5) == 0;
}

static int end_of_entry(struct zp *p)
{
    if (p->t.kind != TOK_EOL && p->t.kind != TOK_EOF)
        return expected(p, &p->t, "the end of the record");
    return 0;
}

static int directive(struct zp *p)
{
    struct tok *t = &p->t;
    char name[IB_DNS_NAME_SIZE];
    int rc;
    if (strcasecmp(t->text, "$ORIGIN") == 0) {
        rc = lex(p);
        if (!rc) rc = name_tok(p, "a domain name after $ORIGIN", name);
        if (rc) return rc;
        memcpy(p->origin, name, sizeof(name));
    } else if (strcasecmp(t->text, "$TTL") == 0) {
        rc = lex(p);
        if (!rc) rc = ttl_tok(p, "a TTL after $TTL (0 to 2147483647 seconds)", &p->def_ttl);
        if (rc) return rc;
        p->have_ttl = p->dollar_ttl = true;
    } else {
        return expected(p, t, "$ORIGIN or $TTL ($INCLUDE and others are not supported)");
    }
    return end_of_entry(p);
}

/* The owner in the current token: stored once, kept for the lines after
 * that leave it out. */
static int owner(struct zp *p)
{
    char name[IB_DNS_NAME_SIZE], key[IB_DNS_KEY_SIZE], b[48];
    int rc = name_of(p, &p->t, p->origin, "an owner name", name);
    if (rc) return rc;
    size_t klen = ib_dns_name_key(name, key);
    if (!ib_dns_zone_holds(p->z, key, klen))
        return fail(p, p->t.line, p->t.col, "expected a name at or below %s, got %s",
                    p->z->origin[0] ? p->z->origin : ".", shown(&p->t, b, sizeof(b)));
    p->owner = ib_dns_zone_put(p->z, name, strlen(name) + 1);
    p->owner_key = ib_dns_zone_put(p->z, key, klen + 1);
    if (p->owner == UINT32_MAX || p->owner_key == UINT32_MAX) return IB_ERR_NOMEM;
    p->have_owner = true;
    return lex(p);
}

static int entry(struct zp *p)
{
    struct tok *t = &p->t;
    struct ib_dns_zrec r = {.line = t->line, .col = t->col};
    int rc;
    if (t->bol && plain(t) && t->text[0] == '$') return directive(p);
    if (t->bol) {
        rc = owner(p);
        if (rc) return rc;
    } else if (!p->have_owner) {
        return fail(p, t->line, t->col,
                    "expected an owner name in the first column (a line "
                    "starting with a blank repeats the previous owner, and "
                    "there is none)");
    }
    /* RFC 1035 §5.1: <owner> [<TTL>] [<class>] <type> <RDATA>, the TTL
     * and class in either order. */
    bool ttl_set = false, cls_set = false;
    for (;;) {
        if (!ttl_set && t->kind == TOK_WORD && t->text[0] >= '0' && t->text[0] <= '9') {
            rc = ttl_tok(p, "a TTL (0 to 2147483647 seconds)", &r.ttl);
            ttl_set = true;
        } else if (!cls_set && is_class(t)) {
            if (strcasecmp(t->text, "IN") != 0) return expected(p, t, "class IN");
            rc = lex(p);
            cls_set = true;
        } else {
            break;
        }
        if (rc) return rc;
    }
    r.type = type_of(t);
    if (!r.type) return expected(p, t, "a record type (A, AAAA, CNAME, MX, NS, PTR, SOA or TXT)");
    if (!ttl_set && !p->have_ttl)
        return fail(p, t->line, t->col,
                    "expected a TTL before the type: there is no $TTL line "
                    "and no earlier TTL (RFC 2308 §4)");
    if (!ttl_set)
        r.ttl = p->def_ttl;
    else if (!p->dollar_ttl) {
        /* RFC 1035 §5.1: an omitted TTL is the last one given. */
        p->def_ttl = r.ttl;
        p->have_ttl = true;
    }
    rc = lex(p);
    uint8_t rd[RD_MAX];
    size_t n = 0;
    if (!rc) rc = rdata(p, r.type, rd, &n);
    if (!rc) rc = end_of_entry(p);
    if (rc) return rc;
    r.name = p->owner;
    r.key = p->owner_key;
    r.rdlen = (uint16_t)n;
    r.rd = ib_dns_zone_put(p->z, rd, n);
    if (r.rd == UINT32_MAX) return IB_ERR_NOMEM;
    rc = ib_dns_zone_add(p->z, &r);
    if (rc == IB_ERR_TOOBIG)
        return fail(p, r.line, r.col, "expected at most %u records in a zone",
                    IB_DNS_ZONE_MAX_RECORDS);
    return rc;
}

static int parse(struct zp *p)
{
    int rc;
    while ((rc = lex(p)) == 0 && p->t.kind != TOK_EOF) {
        if (p->t.kind == TOK_EOL) continue;
        rc = entry(p);
        if (rc || p->t.kind == TOK_EOF) break;
    }
    if (rc) return rc;
    size_t bad;
    const char *why;
    rc = ib_dns_zone_finish(p->z, &bad, &why);
    if (rc == IB_ERR_INVAL) {
        unsigned line = bad == SIZE_MAX ? p->line : p->z->rec[bad].line;
        unsigned col = bad == SIZE_MAX ? p->col : p->z->rec[bad].col;
        return fail(p, line, col, "expected %s", why);
    }
    return rc;
}

int ib_dns_zone_parse(struct ib_dns_zone **out, const char *file, const char *text, size_t len,
                      const char *origin, char *err, size_t errlen)
{
    struct zp *p = calloc(1, sizeof(*p));
    *out = NULL;
    if (err && errlen) err[0] = '\0';
    if (!p) return IB_ERR_NOMEM;
    *p = (struct zp){.file = file ? file : "zone",
                     .s = text,
                     .len = len,
                     .line = 1,
                     .col = 1,
                     .err = err,
                     .errlen = errlen};
    /* The origin is read like a name in the file, with the root as base. */
    p->t.kind = TOK_WORD;
    p->t.line = p->t.col = 1;
    /* "" (how ib_dns_zone_origin shows the root) is the root too. */
    p->t.len =
        (size_t)snprintf(p->t.text, sizeof(p->t.text), "%s", origin && origin[0] ? origin : ".");
    char name[IB_DNS_NAME_SIZE];
    int rc = p->t.len > TOK_MAX || strcmp(p->t.text, "@") == 0
                 ? expected(p, &p->t, "a zone origin such as \"example.com.\"")
                 : name_of(p, &p->t, "", "a zone origin", name);
    if (!rc && len > IB_DNS_ZONE_MAX_TEXT)
        rc = fail(p, 1, 1, "expected at most %u bytes of zone text", IB_DNS_ZONE_MAX_TEXT);
    if (!rc) {
        memcpy(p->origin, name, sizeof(name));
        p->z = ib_dns_zone_new(name);
        rc = p->z ? parse(p) : IB_ERR_NOMEM;
    }
    if (rc == IB_ERR_NOMEM) fail(p, p->line, p->col, "out of memory");
    if (rc) {
        ib_dns_zone_free(p->z);
        p->z = NULL;
    }
    *out = p->z;
    free(p);
    return rc;
}

int ib_dns_zone_load(struct ib_dns_zone **out, const char *path, const char *origin, char *err,
                     size_t errlen)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    size_t len = 0, cap = 0;
    bool ok = f != NULL;
    while (ok && !feof(f) && len <= IB_DNS_ZONE_MAX_TEXT) {
        if (len == cap) {
            cap = cap ? cap * 2 : 65536;
            char *t = realloc(text, cap);
            ok = t != NULL;
            if (!ok) break;
            text = t;
        }
        len += fread(text + len, 1, cap - len, f);
        ok = !ferror(f);
    }
    int rc;
    if (ok) {
        rc = ib_dns_zone_parse(out, path, text, len, origin, err, errlen);
    } else {
        rc = f && !ferror(f) ? IB_ERR_NOMEM : IB_ERR_IO;
        if (err && errlen) snprintf(err, errlen, "%s: cannot read the file", path);
    }
    if (f) fclose(f);
    free(text);
    return rc;
}
