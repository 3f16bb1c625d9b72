/* The story's layout, shared by every language: templates filled from a
 * line's parameters, the time / node / layer columns, notes, wrapping to
 * 80 columns by display width (a Hangul syllable takes two), and the
 * request frame drawn as nested boxes.
 *
 * Placeholders in templates: {node}; {a0}..{a3} IPv4 addresses; {p0}..{p3}
 * ports; {n0}..{n4} numbers; {x0} n0 in hex; {b0}..{b3} small numbers;
 * {m0} {m1} MACs; {s0}..{s2} strings; {st0} {st1} the TCP states b0 and
 * b1; {fl} the TCP flags b2; {dm} the DHCP message type b0; {qt} the DNS
 * type n2; {t} and {t2} times; {dt} a duration; {cause} the TCP cause b3;
 * {err} the error -n3. The picture's field names (src, dst, TTL, seq ...)
 * are the header fields' own, the same in every language. */
#include "story_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>

#include "inetbox/dhcp.h"
#include "inetbox/eth.h"
#include "inetbox/tcp.h"

#define COLS 80
#define PIC_W 78 /* the picture, after its two-space indent */
#define TEXT_MAX 2048

const struct story_text *story_text(enum ib_lang lang)
{
    return lang == IB_LANG_KO ? &ib_story_text_ko : &ib_story_text_en;
}

/* Text being appended to buf; n counts what would have been written. */
struct sink {
    char *buf;
    size_t cap, n;
};

static void emit(struct sink *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emit(struct sink *k, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = k->n < k->cap ? k->cap - k->n : 0;
    int w = vsnprintf(room ? k->buf + k->n : NULL, room, fmt, ap);
    va_end(ap);
    if (w > 0) k->n += (size_t)w;
}

static void emit_time(struct sink *k, ib_time t)
{
    if (t < 0) {
        emit(k, "-");
        t = -t;
    } else {
        emit(k, "+");
    }
    emit(k, "%" PRId64 ".%06" PRId64 "s", t / IB_SEC(1), t % IB_SEC(1) / 1000);
}

static void emit_duration(struct sink *k, ib_time d, const struct story_text *tx)
{
    if (d % IB_SEC(1) == 0)
        emit(k, "%" PRId64 "%s", d / IB_SEC(1), tx->unit_s);
    else if (d >= IB_SEC(1))
        emit(k, "%.3f%s", (double)d / 1e9, tx->unit_s);
    else
        emit(k, "%.3f%s", (double)d / 1e6, tx->unit_ms);
}

/* Wireshark's way: "[SYN, ACK]". */
static void emit_flags(struct sink *k, uint8_t f)
{
    static const struct {
        uint8_t bit;
        const char *name;
    } names[] = {{IB_TCP_SYN, "SYN"}, {IB_TCP_FIN, "FIN"}, {IB_TCP_RST, "RST"},
                 {IB_TCP_PSH, "PSH"}, {IB_TCP_ACK, "ACK"}, {IB_TCP_URG, "URG"},
                 {IB_TCP_ECE, "ECE"}, {IB_TCP_CWR, "CWR"}};
    const char *sep = "";
    emit(k, "[");
    for (unsigned i = 0; i < IB_ARRAY_LEN(names); i++)
        if (f & names[i].bit) {
            emit(k, "%s%s", sep, names[i].name);
            sep = ", ";
        }
    emit(k, "]");
}

static const char *dhcp_name(uint8_t m)
{
    /* RFC 2132 §9.6 */
    static const char *const names[] = {"BOOTP",       "DHCPDISCOVER", "DHCPOFFER",
                                        "DHCPREQUEST", "DHCPDECLINE",  "DHCPACK",
                                        "DHCPNAK",     "DHCPRELEASE",  "DHCPINFORM"};
    return m < IB_ARRAY_LEN(names) ? names[m] : "DHCP";
}

static void emit_qtype(struct sink *k, uint32_t t)
{
    /* RFC 1035 §3.2.2, RFC 3596 §2.1 */
    static const struct {
        uint16_t type;
        const char *name;
    } names[] = {{1, "A"},   {2, "NS"},   {5, "CNAME"}, {6, "SOA"},  {12, "PTR"},
                 {15, "MX"}, {16, "TXT"}, {28, "AAAA"}, {255, "ANY"}};
    for (unsigned i = 0; i < IB_ARRAY_LEN(names); i++)
        if (names[i].type == t) {
            emit(k, "%s", names[i].name);
            return;
        }
    emit(k, "TYPE%" PRIu32, t); /* RFC 3597 §5 */
}

/* Writes the value of {name}; false if there is no such placeholder. */
static bool field(struct sink *k, const char *name, size_t len, const struct ib_story_line *l,
                  const struct story_text *tx)
{
    char s[IB_MAC_STRLEN > IB_IP4_STRLEN ? IB_MAC_STRLEN : IB_IP4_STRLEN];
    int i = len > 1 && name[len - 1] >= '0' && name[len - 1] <= '9' ? name[len - 1] - '0' : -1;
    size_t base = i < 0 ? len : len - 1;
#define IS(word) (base == sizeof(word) - 1 && memcmp(name, word, base) == 0)
    if (IS("node") && i < 0)
        emit(k, "%s", l->node);
    else if (IS("a") && i >= 0 && i < 4)
        emit(k, "%s", ib_ip4_str(l->a[i], s));
    else if (IS("p") && i >= 0 && i < 4)
        emit(k, "%u", l->p[i]);
    else if (IS("n") && i >= 0 && i < 5)
        emit(k, "%" PRIu32, l->n[i]);
    else if (IS("x") && i == 0)
        emit(k, "0x%08" PRIx32, l->n[0]);
    else if (IS("b") && i >= 0 && i < 4)
        emit(k, "%u", l->b[i]);
    else if (IS("m") && i >= 0 && i < 2)
        emit(k, "%s", ib_mac_str(&l->m[i], s));
    else if (IS("s") && i >= 0 && i < 3)
        emit(k, "%s", l->s[i]);
    else if (IS("st") && i >= 0 && i < 2)
        emit(k, "%s", ib_tcp_state_name((enum ib_tcp_state)l->b[i]));
    else if (IS("fl") && i < 0)
        emit_flags(k, l->b[2]);
    else if (IS("dm") && i < 0)
        emit(k, "%s", dhcp_name(l->b[0]));
    else if (IS("qt") && i < 0)
        emit_qtype(k, l->n[2]);
    else if (IS("t") && (i < 0 || i == 2))
        emit_time(k, i < 0 ? l->t : l->t2);
    else if (IS("dt") && i < 0)
        emit_duration(k, l->dt, tx);
    else if (IS("cause") && i < 0)
        emit(k, "%s", l->b[3] < STORY_CAUSES ? tx->causes[l->b[3]] : "?");
    else if (IS("err") && i < 0)
        emit(k, "%s",
             tx->errs && l->n[3] < STORY_ERRS ? tx->errs[l->n[3]] : ib_err_str(-(int)l->n[3]));
    else
        return false;
#undef IS
    return true;
}

static size_t expand(const char *tpl, const struct ib_story_line *l, const struct story_text *tx,
                     char *buf, size_t cap)
{
    struct sink k = {buf, cap, 0};
    if (cap) buf[0] = '\0';
    for (const char *p = tpl ? tpl : ""; *p;) {
        const char *end = *p == '{' ? strchr(p, '}') : NULL;
        if (end && end - p <= 8 && field(&k, p + 1, (size_t)(end - p - 1), l, tx)) {
            p = end + 1;
            continue;
        }
        size_t n = strcspn(p + 1, "{") + 1;
        emit(&k, "%.*s", (int)n, p);
        p += n;
    }
    return k.n;
}

size_t ib_story_format(const struct ib_story_line *l, enum ib_lang lang, char *buf, size_t cap)
{
    const struct story_text *tx = story_text(lang);
    return expand(l->what < IB_SW__COUNT ? tx->what[l->what] : NULL, l, tx, buf, cap);
}

/* ---- output ---- */

/* Columns a UTF-8 string takes: East Asian wide characters (Hangul,
 * CJK) take two (Unicode UAX #11), the rest one. */
static int width(const char *s, size_t n)
{
    int w = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        uint32_t cp = c;
        size_t len = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
        if (len > 1 && i + len <= n) {
            cp = c & (0x7fu >> len);
            for (size_t j = 1; j < len; j++)
                cp = cp << 6 | ((unsigned char)s[i + j] & 0x3fu);
        }
        bool wide = (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) ||
                    (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
                    (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
                    (cp >= 0xffe0 && cp <= 0xffe6);
        w += wide ? 2 : 1;
        i += len;
    }
    return w;
}

/* Prints text from column col, breaking at spaces before COLS; continued
 * lines start at column indent. A word longer than a line stays whole. */
static void wrap(FILE *out, const char *text, int col, int indent)
{
    bool first = true;
    for (const char *p = text; *p;) {
        size_t n = strcspn(p, " ");
        int w = width(p, n);
        if (!first && col + 1 + w > COLS) {
            fprintf(out, "\n%*s", indent, "");
            col = indent;
        } else if (!first) {
            fputc(' ', out);
            col++;
        }
        fwrite(p, 1, n, out);
        col += w;
        first = false;
        p += n;
        while (*p == ' ')
            p++;
    }
    fputc('\n', out);
}

static void pic_border(FILE *out, int depth, const char *label)
{
    fprintf(out, "  ");
    for (int d = 0; d < depth; d++)
        fputs("| ", out);
    int dashes = PIC_W - 4 * depth - 2;
    fputc('+', out);
    if (label) {
        int n = fprintf(out, "- %s ", label);
        dashes -= n > 0 ? n : 0;
    }
    for (int i = 0; i < dashes; i++)
        fputc('-', out);
    fputc('+', out);
    for (int d = 0; d < depth; d++)
        fputs(" |", out);
    fputc('\n', out);
}

static void pic_row(FILE *out, int depth, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void pic_row(FILE *out, int depth, const char *fmt, ...)
{
    char text[PIC_W + 1];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    int inner = PIC_W - 4 * (depth + 1);
    fprintf(out, "  ");
    for (int d = 0; d <= depth; d++)
        fputs("| ", out);
    fprintf(out, "%-*.*s", inner, inner, text);
    for (int d = 0; d <= depth; d++)
        fputs(" |", out);
    fputc('\n', out);
}

/* The request frame as nested boxes: each header wraps the next. */
static void picture(FILE *out, const struct ib_story_line *l)
{
    char a[4][IB_MAC_STRLEN], label[32];
    char flags[48];
    struct sink k = {flags, sizeof(flags), 0};
    emit_flags(&k, l->b[2]);
    snprintf(label, sizeof(label), "Ethernet II (%u B)", IB_ETH_HLEN);
    pic_border(out, 0, label);
    pic_row(out, 0, "dst %s  src %s  type 0x0800 (IPv4)", ib_mac_str(&l->m[1], a[0]),
            ib_mac_str(&l->m[0], a[1]));
    snprintf(label, sizeof(label), "IPv4 (%" PRIu32 " B)", l->n[2]);
    pic_border(out, 1, label);
    pic_row(out, 1, "src %s  dst %s  TTL %u  proto %u (TCP)", ib_ip4_str(l->a[0], a[2]),
            ib_ip4_str(l->a[1], a[3]), l->b[0], l->b[1]);
    snprintf(label, sizeof(label), "TCP (%" PRIu32 " B)", l->n[3]);
    pic_border(out, 2, label);
    pic_row(out, 2, "sport %u  dport %u  flags %s", l->p[0], l->p[1], flags);
    pic_row(out, 2, "seq %" PRIu32 "  ack %" PRIu32, l->n[0], l->n[1]);
    snprintf(label, sizeof(label), "HTTP (%" PRIu32 " B)", l->n[4]);
    pic_border(out, 3, label);
    pic_row(out, 3, "%s", l->s[0]);
    if (l->s[1][0]) pic_row(out, 3, "Host: %s", l->s[1]);
    for (int d = 3; d >= 0; d--)
        pic_border(out, d, NULL);
}

static void print_line(FILE *out, const struct ib_story_line *l, enum ib_lang lang, char *text)
{
    const struct story_text *tx = story_text(lang);
    ib_story_format(l, lang, text, TEXT_MAX);
    if (l->what == IB_SW_BUILD_PICTURE) {
        fprintf(out, "    ");
        wrap(out, text, 4, 4);
        picture(out, l);
    } else if (l->what >= IB_SW_FIRST_MISSING) {
        fprintf(out, "    ");
        wrap(out, text, 4, 4);
    } else if (ib_story_what_is_note(l->what)) {
        fprintf(out, "      %s ", tx->note);
        int col = 7 + width(tx->note, strlen(tx->note));
        wrap(out, text, col, col);
    } else {
        char t[32];
        struct sink k = {t, sizeof(t), 0};
        emit_time(&k, l->t);
        char layer[4] = "  ";
        if (l->layer) snprintf(layer, sizeof(layer), "L%u", l->layer % 10u);
        int col = fprintf(out, "  %12s  %-12s %s  ", t, l->node, layer);
        wrap(out, text, col, col > 0 ? col : 0);
    }
}

size_t ib_story_heading(const struct ib_story *st, unsigned step, enum ib_lang lang, char *buf,
                        size_t cap)
{
    const struct story_text *tx = story_text(lang);
    struct ib_story_line h = {0};
    story_copy(h.node, sizeof(h.node), st->client);
    story_copy(h.s[0], sizeof(h.s[0]), st->url);
    if (step == 0 || step > IB_STEP_COUNT) return expand(tx->title, &h, tx, buf, cap);
    char title[IB_STORY_STR];
    expand(tx->steps[step], &h, tx, title, sizeof(title));
    h.n[0] = step;
    story_copy(h.s[0], sizeof(h.s[0]), title);
    return expand(tx->heading, &h, tx, buf, cap);
}

int ib_story_print(const struct ib_story *st, enum ib_lang lang, FILE *out)
{
    const struct story_text *tx = story_text(lang);
    char *text = malloc(TEXT_MAX);
    if (!text) return IB_ERR_NOMEM;
    struct ib_story_line h = {0};
    ib_story_heading(st, 0, lang, text, TEXT_MAX);
    fprintf(out, "%s\n", text);
    for (int i = width(text, strlen(text)); i > 0; i--)
        fputc('=', out);
    fputc('\n', out);
    for (uint8_t step = 1; step <= IB_STEP_COUNT; step++) {
        ib_story_heading(st, step, lang, text, TEXT_MAX);
        fprintf(out, "\n%s\n", text);
        for (size_t i = 0; i < st->nlines; i++)
            if (st->lines[i].step == step) print_line(out, &st->lines[i], lang, text);
    }
    if (st->unrecorded) {
        snprintf(h.s[0], sizeof(h.s[0]), "%" PRIu64, st->unrecorded);
        expand(tx->unrecorded, &h, tx, text, TEXT_MAX);
        fprintf(out, "\n%s\n", text);
    }
    free(text);
    return ferror(out) ? IB_ERR_IO : 0;
}
