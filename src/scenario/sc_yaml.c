/* The YAML side of the scenario loader: walking libyaml's node tree with
 * positions, refusing aliases, unknown and repeated keys, and reading the
 * value forms of docs/scenario.md (durations, rates, probabilities, names).
 * Every failure is one "file:line:col: expected ..." message. */
#include "sc_parse.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ib_sc_pos sc_pos_of(const yaml_node_t *n)
{
    return (struct ib_sc_pos){(uint32_t)n->start_mark.line + 1, (uint32_t)n->start_mark.column + 1};
}

int sc_fail(struct sp *p, struct ib_sc_pos at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ib_err_at(p->err, p->errlen, p->sc->file, at.line, at.col, fmt, ap);
    va_end(ap);
    return IB_ERR_INVAL;
}

const char *sc_str(const yaml_node_t *n) { return (const char *)n->data.scalar.value; }

/* A scalar with no NUL inside, so that C string functions see all of it. */
bool sc_is_text(const yaml_node_t *n)
{
    return n->type == YAML_SCALAR_NODE && strlen(sc_str(n)) == n->data.scalar.length;
}

/* How a value is shown after "got": quoted and escaped, cut if long. */
const char *sc_shown(const yaml_node_t *n, char *buf, size_t cap)
{
    if (n->type == YAML_MAPPING_NODE)
        return "a mapping";
    if (n->type == YAML_SEQUENCE_NODE)
        return "a list";
    const unsigned char *s = n->data.scalar.value;
    size_t len = n->data.scalar.length, o = 0;
    if (len == 0)
        return "nothing";
    buf[o++] = '"';
    for (size_t i = 0; i < len && o + 8 < cap; i++) {
        if (i == 40) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        if (s[i] < 0x20 || s[i] == 0x7f || s[i] == '"' || s[i] == '\\')
            o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", s[i]);
        else
            buf[o++] = (char)s[i];
    }
    buf[o++] = '"';
    buf[o] = '\0';
    return buf;
}

int sc_expected(struct sp *p, const yaml_node_t *n, const char *what)
{
    char buf[80];
    return sc_fail(p, sc_pos_of(n), "expected %s, got %s", what, sc_shown(n, buf, sizeof(buf)));
}

/* Each tree node may be reached once; a second time means an alias. */
yaml_node_t *sc_take(struct sp *p, int id)
{
    yaml_node_t *n = yaml_document_get_node(p->doc, id);
    if (!n || p->seen[id - 1]) {
        if (n)
            sc_fail(p, sc_pos_of(n), "this value is reached through an alias; aliases are not supported");
        return NULL;
    }
    p->seen[id - 1] = true;
    return n;
}

int sc_grow(void **arr, uint32_t n, size_t elem)
{
    /* Capacities are powers of two, so growth is decided from n alone. */
    if (n != 0 && (n < 4 || (n & (n - 1)) != 0))
        return 0;
    size_t cap = n ? (size_t)n * 2 : 4;
    void *a = realloc(*arr, cap * elem);
    if (!a)
        return IB_ERR_NOMEM;
    *arr = a;
    return 0;
}

/* Calls fn on each entry of a mapping (key and value) or of a list (key
 * NULL), after checking n is of that type. */
int sc_each(struct sp *p, yaml_node_t *n, yaml_node_type_t type, const char *what,
                entry_fn fn, void *ctx)
{
    if (n->type != type)
        return sc_expected(p, n, what);
    bool map = type == YAML_MAPPING_NODE;
    size_t len = map ? (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start)
                     : (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    for (size_t i = 0; i < len; i++) {
        yaml_node_t *k = map ? sc_take(p, n->data.mapping.pairs.start[i].key) : NULL;
        if (map && !k)
            return IB_ERR_INVAL;
        yaml_node_t *v = sc_take(p, map ? n->data.mapping.pairs.start[i].value
                                     : n->data.sequence.items.start[i]);
        if (!v)
            return IB_ERR_INVAL;
        int err = fn(p, ctx, k, v);
        if (err)
            return err;
    }
    return 0;
}

/* Reads a mapping whose keys must come from keys[0..nkeys): vals[i] gets
 * the value of keys[i] (NULL if absent), kpos[i] where its key is. A value
 * that is an empty scalar (`eth0:`) counts as an empty mapping when
 * allow_empty. */
int sc_read_map(struct sp *p, yaml_node_t *map, const char *what, const char *const *keys,
                    size_t nkeys, const char *list, yaml_node_t **vals, struct ib_sc_pos *kpos,
                    bool allow_empty)
{
    for (size_t i = 0; i < nkeys; i++)
        vals[i] = NULL;
    if (allow_empty && map->type == YAML_SCALAR_NODE && map->data.scalar.length == 0)
        return 0;
    if (map->type != YAML_MAPPING_NODE) {
        char buf[128];
        snprintf(buf, sizeof(buf), "%s: a mapping of %s", what, list);
        return sc_expected(p, map, buf);
    }
    for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top;
         pr++) {
        yaml_node_t *k = sc_take(p, pr->key);
        if (!k)
            return IB_ERR_INVAL;
        size_t i = 0;
        while (i < nkeys && !(sc_is_text(k) && strcmp(sc_str(k), keys[i]) == 0))
            i++;
        if (i == nkeys) {
            char buf[80];
            return sc_fail(p, sc_pos_of(k), "unknown key %s in %s; expected %s", sc_shown(k, buf, sizeof(buf)),
                           what, list);
        }
        if (vals[i])
            return sc_fail(p, sc_pos_of(k), "duplicate key \"%s\" (first at %u:%u)", keys[i],
                           kpos[i].line, kpos[i].col);
        kpos[i] = sc_pos_of(k);
        vals[i] = sc_take(p, pr->value);
        if (!vals[i])
            return IB_ERR_INVAL;
    }
    return 0;
}


/* "12", "1.5" followed by one of the units: the value in the smallest
 * unit, rounded down. false if malformed or above max. */
bool sc_scaled(const char *s, const struct unit *units, uint64_t max, uint64_t *out)
{
    uint64_t ip = 0, frac = 0, fscale = 1;
    const char *c = s;
    if (*c < '0' || *c > '9')
        return false;
    for (; *c >= '0' && *c <= '9'; c++) {
        uint64_t d = (uint64_t)(*c - '0');
        if (ip > UINT64_MAX / 10 || (ip == UINT64_MAX / 10 && d > UINT64_MAX % 10))
            return false;
        ip = ip * 10 + d;
    }
    if (*c == '.') {
        c++;
        if (*c < '0' || *c > '9')
            return false;
        for (; *c >= '0' && *c <= '9'; c++) {
            if (fscale == 1000000000u)
                return false; /* finer than a nanosecond or a bit/s */
            frac = frac * 10 + (uint64_t)(*c - '0');
            fscale *= 10;
        }
    }
    for (const struct unit *u = units; u->name; u++) {
        if (strcmp(c, u->name) != 0)
            continue;
        if (ip > max / u->mult)
            return false;
        uint64_t v = ip * u->mult + frac * u->mult / fscale;
        if (v > max)
            return false;
        *out = v;
        return true;
    }
    return false;
}

const struct unit sc_time_units[] = {
    {"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000}, {NULL, 0}};
const struct unit sc_rate_units[] = {
    {"bit", 1}, {"kbit", 1000}, {"Mbit", 1000000}, {"Gbit", 1000000000}, {NULL, 0}};
const struct unit sc_no_units[] = {{"", 1}, {NULL, 0}};

int sc_duration(struct sp *p, const yaml_node_t *n, ib_time *out)
{
    uint64_t v;
    if (!sc_is_text(n) || !sc_scaled(sc_str(n), sc_time_units, INT64_MAX - 1, &v))
        return sc_expected(p, n, "a duration such as 10ms");
    *out = (ib_time)v;
    return 0;
}

int sc_uint(struct sp *p, const yaml_node_t *n, uint64_t min, uint64_t max,
                    const char *what, uint64_t *out)
{
    if (!sc_is_text(n) || !sc_scaled(sc_str(n), sc_no_units, max, out) || strchr(sc_str(n), '.') ||
        *out < min)
        return sc_expected(p, n, what);
    return 0;
}

int sc_prob(struct sp *p, const yaml_node_t *n, double *out)
{
    const char *s = sc_is_text(n) ? sc_str(n) : "";
    char *end = NULL;
    double v = (*s >= '0' && *s <= '9') || *s == '.' ? strtod(s, &end) : -1.0;
    if (v < 0.0 || !(v <= 1.0) || *end != '\0')
        return sc_expected(p, n, "a probability between 0 and 1");
    *out = v;
    return 0;
}

/* Names end up in messages, traces and file names: no ':' (it separates
 * node and interface) and no control characters. */
int sc_name(struct sp *p, const yaml_node_t *n, size_t max, const char *what, char *out)
{
    if (!sc_is_text(n) || n->data.scalar.length == 0 || n->data.scalar.length >= max ||
        strchr(sc_str(n), ':'))
        return sc_expected(p, n, what);
    for (const unsigned char *c = n->data.scalar.value; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            return sc_expected(p, n, what);
    memcpy(out, sc_str(n), n->data.scalar.length + 1);
    return 0;
}

bool sc_same_net(ib_ip4 a, ib_ip4 b, uint8_t plen)
{
    return ((a ^ b) & ib_ip4_mask(plen)) == 0;
}

int sc_ip4(struct sp *p, const yaml_node_t *n, const char *what, ib_ip4 *out)
{
    if (!sc_is_text(n) || strchr(sc_str(n), '/') || ib_ip4_from_str(sc_str(n), out, NULL) != 0)
        return sc_expected(p, n, what);
    return 0;
}
