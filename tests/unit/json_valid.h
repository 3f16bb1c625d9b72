/* A strict JSON validator (RFC 8259 §2-§8) for the tests of JSON writers,
 * written apart from them: one value, strings in valid UTF-8 (RFC 3629 §4)
 * without raw control characters. */
#ifndef INETBOX_TEST_JSON_VALID_H
#define INETBOX_TEST_JSON_VALID_H

#include <stdbool.h>
#include <string.h>

struct jv {
    const unsigned char *p, *end;
};

static inline bool jv_value(struct jv *j, int depth);

static inline void jv_ws(struct jv *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static inline bool jv_lit(struct jv *j, const char *s)
{
    size_t n = strlen(s);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, s, n) != 0) return false;
    j->p += n;
    return true;
}

static inline bool jv_digits(struct jv *j)
{
    const unsigned char *s = j->p;
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
        j->p++;
    return j->p > s;
}

/* §6: -? int frac? exp?, int without leading zeros */
static inline bool jv_number(struct jv *j)
{
    if (j->p < j->end && *j->p == '-') j->p++;
    if (j->p < j->end && *j->p == '0')
        j->p++;
    else if (!jv_digits(j))
        return false;
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        if (!jv_digits(j)) return false;
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-')) j->p++;
        if (!jv_digits(j)) return false;
    }
    return true;
}

/* One UTF-8 character: decoded, then checked against the shortest form,
 * the surrogates and U+10FFFF. */
static inline bool jv_utf8(struct jv *j)
{
    unsigned c = *j->p, n, cp;
    if (c < 0x80)
        n = 1, cp = c;
    else if ((c & 0xe0) == 0xc0)
        n = 2, cp = c & 0x1f;
    else if ((c & 0xf0) == 0xe0)
        n = 3, cp = c & 0x0f;
    else if ((c & 0xf8) == 0xf0)
        n = 4, cp = c & 0x07;
    else
        return false;
    if ((size_t)(j->end - j->p) < n) return false;
    for (unsigned i = 1; i < n; i++) {
        if ((j->p[i] & 0xc0) != 0x80) return false;
        cp = cp << 6 | (j->p[i] & 0x3fu);
    }
    static const unsigned min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    j->p += n;
    return true;
}

/* §7 */
static inline bool jv_string(struct jv *j)
{
    if (j->p >= j->end || *j->p != '"') return false;
    j->p++;
    while (j->p < j->end && *j->p != '"') {
        if (*j->p < 0x20) return false;
        if (*j->p != '\\') {
            if (!jv_utf8(j)) return false;
            continue;
        }
        j->p++;
        if (j->p >= j->end) return false;
        if (*j->p == 'u') {
            for (int i = 1; i <= 4; i++)
                if (j->p + i >= j->end || !strchr("0123456789abcdefABCDEF", j->p[i])) return false;
            j->p += 5;
        } else if (strchr("\"\\/bfnrt", *j->p) && *j->p) {
            j->p++;
        } else {
            return false;
        }
    }
    if (j->p >= j->end) return false;
    j->p++;
    return true;
}

/* §4 and §5: members and elements separated by commas, none trailing */
static inline bool jv_seq(struct jv *j, char close, bool object, int depth)
{
    j->p++;
    jv_ws(j);
    if (j->p < j->end && *j->p == close) {
        j->p++;
        return true;
    }
    for (;;) {
        jv_ws(j);
        if (object) {
            if (!jv_string(j)) return false;
            jv_ws(j);
            if (j->p >= j->end || *j->p++ != ':') return false;
        }
        if (!jv_value(j, depth + 1)) return false;
        jv_ws(j);
        if (j->p >= j->end) return false;
        if (*j->p == close) {
            j->p++;
            return true;
        }
        if (*j->p++ != ',') return false;
    }
}

static inline bool jv_value(struct jv *j, int depth)
{
    jv_ws(j);
    if (j->p >= j->end || depth > 32) return false;
    switch (*j->p) {
    case '{':
        return jv_seq(j, '}', true, depth);
    case '[':
        return jv_seq(j, ']', false, depth);
    case '"':
        return jv_string(j);
    case 't':
        return jv_lit(j, "true");
    case 'f':
        return jv_lit(j, "false");
    case 'n':
        return jv_lit(j, "null");
    default:
        return jv_number(j);
    }
}

/* Whether s[0..len) is exactly one JSON value (whitespace around it
 * allowed); *bad gets the offset where it stopped being valid. */
static inline bool json_valid(const char *s, size_t len, size_t *bad)
{
    struct jv j = {(const unsigned char *)s, (const unsigned char *)s + len};
    bool ok = jv_value(&j, 0);
    jv_ws(&j);
    *bad = (size_t)((const char *)j.p - s);
    return ok && j.p == j.end;
}

#endif
