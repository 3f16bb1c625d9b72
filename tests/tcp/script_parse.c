/* Parser of tcpscript files (language in tests/tcp/README.md). Segment lines
 * follow tcpdump's and packetdrill's notation: flags ("S.", "P.", "F.",
 * "R"), "start:end(len)", "ack N", "win N" and an option list in angle
 * brackets. Numbers are parsed as written; the runner makes them relative. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inetbox/types.h"
#include "tcp/tcpscript.h"

struct cur {
    const char *path;
    int lineno;
    char *p;
};

static int perr(const struct cur *c, const char *msg, const char *near)
{
    fprintf(stderr, "%s:%d: error: %s%s%s\n", c->path, c->lineno, msg, near ? " near: " : "",
            near ? near : "");
    return -1;
}

static void skip_ws(struct cur *c)
{
    while (*c->p == ' ' || *c->p == '\t')
        c->p++;
}

static bool eat(struct cur *c, const char *word)
{
    skip_ws(c);
    size_t n = strlen(word);
    if (strncmp(c->p, word, n) != 0) return false;
    c->p += n;
    return true;
}

/* A word: letters, digits, '_', '-'. */
static size_t word(struct cur *c, char *out, size_t cap)
{
    skip_ws(c);
    size_t n = 0;
    while (isalnum((unsigned char)c->p[n]) || c->p[n] == '_' || c->p[n] == '-') {
        if (n + 1 < cap) out[n] = c->p[n];
        n++;
    }
    if (cap) out[n < cap ? n : cap - 1] = 0;
    c->p += n;
    return n;
}

static int integer(struct cur *c, int64_t *v)
{
    skip_ws(c);
    char *end;
    errno = 0;
    long long x = strtoll(c->p, &end, 0);
    if (end == c->p || errno) return perr(c, "number expected", c->p);
    c->p = end;
    *v = x;
    return 0;
}

static int num(struct cur *c, struct ts_num *n, bool wild_ok)
{
    skip_ws(c);
    if (*c->p == '*') {
        if (!wild_ok) return perr(c, "'*' only matches in expected segments", c->p);
        c->p++;
        n->any = true;
        n->v = 0;
        return 0;
    }
    n->any = false;
    return integer(c, &n->v);
}

/* Seconds with up to 9 decimals, as nanoseconds, without rounding error. */
static int seconds(struct cur *c, int64_t *ns)
{
    skip_ws(c);
    if (!isdigit((unsigned char)*c->p)) return perr(c, "time expected", c->p);
    int64_t s = 0, frac = 0, scale = 1000000000;
    while (isdigit((unsigned char)*c->p))
        s = s * 10 + (*c->p++ - '0');
    if (*c->p == '.') {
        c->p++;
        while (isdigit((unsigned char)*c->p)) {
            scale /= 10;
            frac += (*c->p++ - '0') * scale;
        }
    }
    *ns = s * 1000000000 + frac;
    return 0;
}

/* A duration with its unit: 200ms, 1s, 2.5s, 100us, 50ns. */
static int duration(struct cur *c, int64_t *ns)
{
    int64_t x;
    if (seconds(c, &x) < 0) return -1;
    /* x is the number times 1e9. */
    if (eat(c, "ns"))
        *ns = x / 1000000000;
    else if (eat(c, "us"))
        *ns = x / 1000000;
    else if (eat(c, "ms"))
        *ns = x / 1000;
    else if (eat(c, "s"))
        *ns = x;
    else
        return perr(c, "duration needs a unit (ns, us, ms, s)", c->p);
    return 0;
}

static int time_spec(struct cur *c, struct ts_time *t)
{
    skip_ws(c);
    t->rel = false;
    if (*c->p == '+') {
        t->rel = true;
        c->p++;
    }
    return seconds(c, &t->ns);
}

static int opt_list(struct cur *c, struct ts_seg *s, bool out)
{
    s->has_opts = true;
    for (;;) {
        skip_ws(c);
        if (*c->p == '>') {
            c->p++;
            return 0;
        }
        if (s->nopt >= TS_MAX_OPTS) return perr(c, "too many options", c->p);
        struct ts_opt *o = &s->opt[s->nopt++];
        memset(o, 0, sizeof(*o));
        char w[16];
        if (!word(c, w, sizeof(w))) return perr(c, "option expected", c->p);
        if (!strcmp(w, "nop")) {
            o->kind = TS_OPT_NOP;
        } else if (!strcmp(w, "eol")) {
            o->kind = TS_OPT_EOL;
        } else if (!strcmp(w, "mss")) {
            o->kind = TS_OPT_MSS;
            if (num(c, &o->a, out) < 0) return -1;
        } else if (!strcmp(w, "wscale")) {
            o->kind = TS_OPT_WSCALE;
            if (num(c, &o->a, out) < 0) return -1;
        } else if (!strcmp(w, "sackOK")) {
            o->kind = TS_OPT_SACKOK;
        } else if (!strcmp(w, "TS")) {
            o->kind = TS_OPT_TS;
            if (!eat(c, "val") || num(c, &o->a, out) < 0)
                return perr(c, "TS val N ecr N expected", c->p);
            /* "ecr *" in an injected segment echoes our last TSval. */
            if (!eat(c, "ecr") || num(c, &o->b, true) < 0)
                return perr(c, "TS val N ecr N expected", c->p);
        } else if (!strcmp(w, "sack")) {
            o->kind = TS_OPT_SACK;
            for (;;) {
                skip_ws(c);
                if (*c->p == ',' || *c->p == '>') break;
                if (o->nblk >= TS_MAX_BLOCKS) return perr(c, "too many SACK blocks", c->p);
                if (num(c, &o->blk[o->nblk][0], out) < 0 || !eat(c, ":") ||
                    num(c, &o->blk[o->nblk][1], out) < 0)
                    return perr(c, "SACK block start:end expected", c->p);
                o->nblk++;
            }
            if (!o->nblk) return perr(c, "SACK option without blocks", c->p);
        } else {
            return perr(c, "unknown option", w);
        }
        skip_ws(c);
        if (*c->p == ',')
            c->p++;
        else if (*c->p != '>')
            return perr(c, "',' or '>' expected", c->p);
    }
}

static int segment(struct cur *c, struct ts_seg *s, bool out)
{
    memset(s, 0, sizeof(*s));
    skip_ws(c);
    while (*c->p && *c->p != ' ' && *c->p != '\t') {
        switch (*c->p++) {
        case 'F':
            s->flags |= IB_TCP_FIN;
            break;
        case 'S':
            s->flags |= IB_TCP_SYN;
            break;
        case 'R':
            s->flags |= IB_TCP_RST;
            break;
        case 'P':
            s->flags |= IB_TCP_PSH;
            break;
        case '.':
            s->flags |= IB_TCP_ACK;
            break;
        case 'U':
            s->flags |= IB_TCP_URG;
            break;
        case 'E':
            s->flags |= IB_TCP_ECE;
            break;
        case 'W':
            s->flags |= IB_TCP_CWR;
            break;
        default:
            return perr(c, "bad flag (one of SFRP.UEW)", c->p - 1);
        }
    }
    if (num(c, &s->seq, out) < 0 || !eat(c, ":") || num(c, &s->end, out) < 0 || !eat(c, "(") ||
        num(c, &s->len, out) < 0 || !eat(c, ")"))
        return perr(c, "start:end(len) expected", c->p);
    if (!s->seq.any && !s->end.any && !s->len.any &&
        (uint32_t)(s->end.v - s->seq.v) != (uint32_t)s->len.v)
        return perr(c, "end - start differs from len", NULL);
    if (s->len.v < 0 || s->len.v > 65000) return perr(c, "bad length", NULL);
    for (;;) {
        skip_ws(c);
        if (!*c->p) return 0;
        if (*c->p == '<') {
            c->p++;
            if (opt_list(c, s, out) < 0) return -1;
            continue;
        }
        char w[16];
        if (!word(c, w, sizeof(w))) return perr(c, "unexpected text", c->p);
        int64_t v;
        if (!strcmp(w, "ack")) {
            s->has_ack = true;
            if (num(c, &s->ack, out) < 0) return -1;
        } else if (!strcmp(w, "win")) {
            s->has_win = true;
            if (num(c, &s->win, out) < 0) return -1;
        } else if (!strcmp(w, "sport")) {
            s->has_sport = true;
            if (integer(c, &v) < 0) return -1;
            s->sport = (uint16_t)v;
        } else if (!strcmp(w, "dport")) {
            s->has_dport = true;
            if (integer(c, &v) < 0) return -1;
            s->dport = (uint16_t)v;
        } else {
            return perr(c, "unknown segment field", w);
        }
    }
}

static const struct {
    const char *name;
    int err;
} err_names[] = {
    {"none", 0},
    {"RESET", IB_ERR_RESET},
    {"TIMEOUT", IB_ERR_TIMEOUT},
    {"REFUSED", IB_ERR_REFUSED},
    {"CLOSED", IB_ERR_CLOSED},
    {"AGAIN", IB_ERR_AGAIN},
    {"UNREACH", IB_ERR_UNREACH},
};

/* An expected return: a number or an error name. */
static int ret_value(struct cur *c, int64_t *v)
{
    skip_ws(c);
    if (isalpha((unsigned char)*c->p)) {
        char w[16];
        word(c, w, sizeof(w));
        for (size_t i = 0; i < IB_ARRAY_LEN(err_names); i++)
            if (!strcmp(w, err_names[i].name)) {
                *v = err_names[i].err;
                return 0;
            }
        return perr(c, "unknown error name", w);
    }
    return integer(c, v);
}

static int kv_list(struct cur *c, struct ts_line *l, bool durations)
{
    for (;;) {
        skip_ws(c);
        if (!*c->p) return l->nkv ? 0 : perr(c, "key=value expected", NULL);
        if (l->nkv >= TS_MAX_KV) return perr(c, "too many checks on one line", c->p);
        struct ts_kv *kv = &l->kv[l->nkv++];
        if (!word(c, kv->key, sizeof(kv->key))) return perr(c, "key expected", c->p);
        if (eat(c, "<="))
            kv->cmp = TS_LE;
        else if (eat(c, ">="))
            kv->cmp = TS_GE;
        else if (eat(c, "="))
            kv->cmp = TS_EQ;
        else
            return perr(c, "=, <= or >= expected", c->p);
        skip_ws(c);
        /* Durations (info srtt/rttvar/rto) carry a unit; counts do not. */
        char *q = c->p;
        while (isdigit((unsigned char)*q) || *q == '.')
            q++;
        if (durations && isalpha((unsigned char)*q)) {
            if (duration(c, &kv->v) < 0) return -1;
        } else if (integer(c, &kv->v) < 0) {
            return -1;
        }
    }
}

static int set_bool(struct cur *c, int64_t v, bool *out)
{
    if (v != 0 && v != 1) return perr(c, "0 or 1 expected", NULL);
    *out = v;
    return 0;
}

static int config(struct cur *c, struct ts_config *k)
{
    struct ib_tcp_config *t = &k->tcp;
    for (;;) {
        skip_ws(c);
        if (!*c->p) return 0;
        char key[24];
        if (!word(c, key, sizeof(key)) || !eat(c, "=")) return perr(c, "key=value expected", c->p);
        int64_t v = 0;
        static const struct {
            const char *key;
            size_t off;
        } durs[] = {
            {"rto_min", offsetof(struct ib_tcp_config, rto_min)},
            {"rto_max", offsetof(struct ib_tcp_config, rto_max)},
            {"rto_init", offsetof(struct ib_tcp_config, rto_init)},
            {"msl", offsetof(struct ib_tcp_config, msl)},
            {"delack", offsetof(struct ib_tcp_config, delack)},
            {"keepalive_idle", offsetof(struct ib_tcp_config, keepalive_idle)},
            {"keepalive_intvl", offsetof(struct ib_tcp_config, keepalive_intvl)},
        };
        bool done = false;
        for (size_t i = 0; i < IB_ARRAY_LEN(durs); i++)
            if (!strcmp(key, durs[i].key)) {
                if (duration(c, &v) < 0) return -1;
                memcpy((char *)t + durs[i].off, &(ib_time){v}, sizeof(ib_time));
                done = true;
            }
        if (done) continue;
        if (!strcmp(key, "tol")) {
            if (duration(c, &k->tol_ns) < 0) return -1;
            continue;
        }
        if (!strcmp(key, "cc")) {
            char w[16];
            word(c, w, sizeof(w));
            if (!strcmp(w, "newreno"))
                t->cc = IB_TCP_CC_NEWRENO;
            else if (!strcmp(w, "cubic"))
                t->cc = IB_TCP_CC_CUBIC;
            else
                return perr(c, "cc is newreno or cubic", w);
            continue;
        }
        if (integer(c, &v) < 0) return -1;
        int r = 0;
        if (!strcmp(key, "mss"))
            t->mss = (uint16_t)v;
        else if (!strcmp(key, "sndbuf"))
            t->sndbuf = (uint32_t)v;
        else if (!strcmp(key, "rcvbuf"))
            t->rcvbuf = (uint32_t)v;
        else if (!strcmp(key, "ooo_max"))
            t->ooo_max = (uint32_t)v;
        else if (!strcmp(key, "max_retries"))
            t->max_retries = (uint8_t)v;
        else if (!strcmp(key, "syn_retries"))
            t->syn_retries = (uint8_t)v;
        else if (!strcmp(key, "keepalive_cnt"))
            t->keepalive_cnt = (uint8_t)v;
        else if (!strcmp(key, "iw"))
            t->iw = (uint8_t)v;
        else if (!strcmp(key, "backlog"))
            t->backlog = (uint16_t)v;
        else if (!strcmp(key, "nagle"))
            r = set_bool(c, v, &t->nagle);
        else if (!strcmp(key, "sack"))
            r = set_bool(c, v, &t->sack);
        else if (!strcmp(key, "ts"))
            r = set_bool(c, v, &t->timestamps);
        else if (!strcmp(key, "wscale"))
            r = set_bool(c, v, &t->wscale);
        else if (!strcmp(key, "syncookies"))
            r = set_bool(c, v, &t->syncookies);
        else if (!strcmp(key, "psh"))
            r = set_bool(c, v, &k->psh);
        else if (!strcmp(key, "riss"))
            k->riss = (uint32_t)v;
        else if (!strcmp(key, "iss")) {
            k->iss_near = true;
            k->iss = (uint32_t)v;
        } else if (!strcmp(key, "rport"))
            k->rport = (uint16_t)v;
        else if (!strcmp(key, "mtu"))
            k->mtu = (uint16_t)v;
        else
            return perr(c, "unknown config key", key);
        if (r < 0) return -1;
    }
}

static int verb(struct cur *c, struct ts_line *l)
{
    char w[24];
    if (!word(c, w, sizeof(w))) return perr(c, "'<', '>' or a verb expected", c->p);
    static const struct {
        const char *name;
        enum ts_kind kind;
        int args; /* 0 none, 1 integer, 2 state, 3 error, 4 key=value, 5 durations kv */
        bool ret; /* "= R" allowed */
    } verbs[] = {
        {"listen", TS_LISTEN, 1, false},     {"connect", TS_CONNECT, 1, false},
        {"send", TS_SEND, 1, true},          {"recv", TS_RECV, 1, true},
        {"shutdown", TS_SHUTDOWN, 0, true},  {"close", TS_CLOSE, 0, false},
        {"abort", TS_ABORT, 0, false},       {"state", TS_STATE, 2, false},
        {"error", TS_ERROR, 3, false},       {"eof", TS_EOF, 1, false},
        {"readable", TS_READABLE, 1, false}, {"connected", TS_CONNECTED, 1, false},
        {"accepted", TS_ACCEPTED, 1, false}, {"use", TS_USE, 1, false},
        {"info", TS_INFO, 5, false},         {"mib", TS_MIB, 4, false},
        {"drops", TS_DROPS, 4, false},       {"tw", TS_TW, 1, false},
        {"conns", TS_CONNS, 1, false},       {"wait", TS_WAIT, 0, false},
    };
    for (size_t i = 0; i < IB_ARRAY_LEN(verbs); i++) {
        if (strcmp(w, verbs[i].name)) continue;
        l->kind = verbs[i].kind;
        switch (verbs[i].args) {
        case 1:
            if (integer(c, &l->arg) < 0) return -1;
            break;
        case 2: {
            char st[24];
            word(c, st, sizeof(st));
            l->arg = -1;
            for (int s = 0; s < IB_TCP__NSTATES; s++)
                if (!strcmp(st, ib_tcp_state_name((enum ib_tcp_state)s))) l->arg = s;
            if (l->arg < 0) return perr(c, "unknown state", st);
            break;
        }
        case 3:
            if (ret_value(c, &l->arg) < 0) return -1;
            break;
        case 4:
        case 5:
            if (kv_list(c, l, verbs[i].args == 5) < 0) return -1;
            break;
        default:
            break;
        }
        if (verbs[i].ret && eat(c, "=")) {
            l->has_ret = true;
            if (ret_value(c, &l->ret) < 0) return -1;
        }
        skip_ws(c);
        if (*c->p) return perr(c, "unexpected text", c->p);
        return 0;
    }
    return perr(c, "unknown verb", w);
}

static int line(struct cur *c, struct ts_script *sc)
{
    if (eat(c, "config")) {
        if (sc->n) return perr(c, "config lines come before the first timed line", NULL);
        return config(c, &sc->cfg);
    }
    if (sc->n == sc->cap) {
        sc->cap = sc->cap ? sc->cap * 2 : 64;
        struct ts_line *nl = realloc(sc->lines, (size_t)sc->cap * sizeof(*nl));
        if (!nl) return perr(c, "out of memory", NULL);
        sc->lines = nl;
    }
    struct ts_line *l = &sc->lines[sc->n];
    memset(l, 0, sizeof(*l));
    l->lineno = c->lineno;
    l->text = c->p;
    if (time_spec(c, &l->t) < 0) return -1;
    if (*c->p == '~') {
        c->p++;
        l->has_t2 = true;
        if (time_spec(c, &l->t2) < 0) return -1;
    }
    skip_ws(c);
    if (*c->p == '<' || *c->p == '>') {
        bool out = *c->p == '>';
        c->p++;
        l->kind = out ? TS_EXPECT : TS_INJECT;
        if (segment(c, &l->seg, out) < 0) return -1;
    } else if (verb(c, l) < 0) {
        return -1;
    }
    if (l->has_t2 && l->kind != TS_EXPECT)
        return perr(c, "a time window t~t2 is only for '>' lines", NULL);
    sc->n++;
    return 0;
}

static void config_defaults(struct ts_config *k)
{
    memset(k, 0, sizeof(*k));
    k->tcp = ib_tcp_defaults;
    k->tol_ns = IB_MS(5);
    k->rport = 40000;
    k->mtu = 1500;
}

int ts_parse_file(const char *path, struct ts_script *sc)
{
    memset(sc, 0, sizeof(*sc));
    sc->path = path;
    config_defaults(&sc->cfg);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, n = 0;
    sc->buf = malloc(cap);
    for (size_t got; sc->buf && (got = fread(sc->buf + n, 1, cap - n - 1, f)) > 0;) {
        n += got;
        if (n + 1 == cap) {
            char *nb = realloc(sc->buf, cap *= 2);
            if (!nb) free(sc->buf);
            sc->buf = nb;
        }
    }
    fclose(f);
    if (!sc->buf) {
        fprintf(stderr, "%s: out of memory\n", path);
        return -1;
    }
    sc->buf[n] = 0;
    struct cur c = {.path = path, .lineno = 0, .p = sc->buf};
    for (char *ln = sc->buf; ln && *ln;) {
        char *nl = strchr(ln, '\n');
        if (nl) *nl = 0;
        c.lineno++;
        char *hash = strchr(ln, '#');
        if (hash) *hash = 0;
        size_t len = strlen(ln);
        while (len && isspace((unsigned char)ln[len - 1]))
            ln[--len] = 0;
        c.p = ln;
        skip_ws(&c);
        if (*c.p && line(&c, sc) < 0) return -1;
        ln = nl ? nl + 1 : NULL;
    }
    return 0;
}

void ts_script_free(struct ts_script *sc)
{
    free(sc->lines);
    free(sc->buf);
    memset(sc, 0, sizeof(*sc));
}
