/* HTTP/1.1 message parser and writer (RFC 9112; semantics RFC 9110).
 * The parser is a byte-driven state machine: lines of the start line, the
 * header section and the trailer section are copied into the parser's own
 * buffer until their LF arrives, so any split of the input gives the same
 * result; body bytes are passed straight to the caller's callback. It is
 * strict where laxness enables request smuggling (§6.3, §11.2): whitespace
 * before a colon, obs-fold, conflicting lengths and TE with CL are errors. */
#include "inetbox/http.h"

enum {
    S_START,      /* start line, after optional empty lines */
    S_HEADERS,    /* field lines up to the empty line */
    S_BODY_LEN,   /* Content-Length bytes */
    S_BODY_CLOSE, /* until the connection closes */
    S_CHUNK_SIZE, /* chunk-size [chunk-ext] CRLF */
    S_CHUNK_DATA,
    S_CHUNK_CR, /* CRLF after chunk-data */
    S_CHUNK_LF,
    S_TRAILER, /* trailer field lines up to the empty line */
    S_DONE,
    S_ERROR,
};

/* RFC 9110 §5.6.2: tchar. */
static bool is_tchar(uint8_t c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* RFC 9110 §5.5: field-vchar = VCHAR / obs-text, plus SP and HTAB inside. */
static bool is_field_char(uint8_t c)
{
    return c == ' ' || c == '\t' || (c >= 0x21 && c != 0x7f);
}

static bool is_ows(uint8_t c)
{
    return c == ' ' || c == '\t';
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static bool str_ieq(const char *a, size_t n, const char *b)
{
    size_t i = 0;
    for (; i < n && b[i]; i++)
        if (lower((uint8_t)a[i]) != lower((uint8_t)b[i])) return false;
    return i == n && b[i] == '\0';
}

void ib_http_parser_init(struct ib_http_parser *p, enum ib_http_kind kind, ib_http_body_fn on_body,
                         void *ctx)
{
    p->max_line = IB_HTTP_DEF_LINE;
    p->max_headers = IB_HTTP_DEF_HEADERS;
    p->max_hdr_bytes = IB_HTTP_BUF;
    p->kind = kind;
    p->on_body = on_body;
    p->ctx = ctx;
    ib_http_parser_reset(p);
}

void ib_http_parser_reset(struct ib_http_parser *p)
{
    memset(&p->msg, 0, sizeof(p->msg));
    p->head_request = false;
    p->state = S_START;
    p->err = 0;
    p->done = p->started = p->chunk_ext = false;
    p->used = p->line_len = p->hdr_bytes = p->chunk_digits = 0;
    p->remaining = 0;
}

static int fail(struct ib_http_parser *p, int err)
{
    p->state = S_ERROR;
    p->err = err;
    return err;
}

/* RFC 9112 §2.3: HTTP-version = "HTTP" "/" DIGIT "." DIGIT, case-sensitive;
 * only major version 1 is this grammar. */
static int parse_version(struct ib_http_msg *m, const char *s, size_t n)
{
    if (n != 8 || memcmp(s, "HTTP/", 5) != 0 || s[6] != '.') return IB_HTTP_E_START_LINE;
    if (s[5] < '0' || s[5] > '9' || s[7] < '0' || s[7] > '9') return IB_HTTP_E_START_LINE;
    m->major = (uint8_t)(s[5] - '0');
    m->minor = (uint8_t)(s[7] - '0');
    return m->major == 1 ? 0 : IB_HTTP_E_VERSION;
}

/* RFC 9112 §3: request-line = method SP request-target SP HTTP-version,
 * single spaces, method a token, the target without whitespace (§3.2). */
static int parse_request_line(struct ib_http_msg *m, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && is_tchar((uint8_t)s[i]))
        i++;
    if (i == 0 || i >= n || s[i] != ' ') return IB_HTTP_E_START_LINE;
    m->method = (struct ib_http_str){s, i};
    size_t t = ++i;
    while (i < n && (uint8_t)s[i] > 0x20 && s[i] != 0x7f)
        i++;
    if (i == t || i >= n || s[i] != ' ') return IB_HTTP_E_START_LINE;
    m->target = (struct ib_http_str){s + t, i - t};
    i++;
    return parse_version(m, s + i, n - i);
}

/* RFC 9112 §4: status-line = HTTP-version SP status-code SP [reason-phrase]. */
static int parse_status_line(struct ib_http_msg *m, const char *s, size_t n)
{
    if (n < 13 || s[8] != ' ' || s[12] != ' ') return IB_HTTP_E_START_LINE;
    int e = parse_version(m, s, 8);
    if (e) return e;
    uint16_t st = 0;
    for (size_t i = 9; i < 12; i++) {
        if (s[i] < '0' || s[i] > '9') return IB_HTTP_E_START_LINE;
        st = (uint16_t)(st * 10 + (uint16_t)(s[i] - '0'));
    }
    /* RFC 9110 §15: three digits, first 1-5. */
    if (st < 100 || st > 599) return IB_HTTP_E_START_LINE;
    for (size_t i = 13; i < n; i++)
        if (!is_field_char((uint8_t)s[i])) return IB_HTTP_E_START_LINE;
    m->status = st;
    m->reason = (struct ib_http_str){s + 13, n - 13};
    return 0;
}

/* RFC 9112 §5: field-line = field-name ":" OWS field-value OWS. */
static int parse_field(struct ib_http_field *f, const char *s, size_t n, bool first)
{
    /* §5.2: obs-fold is rejected; §2.2: whitespace before the first field
     * line is rejected too. */
    if (is_ows((uint8_t)s[0])) return first ? IB_HTTP_E_HEADER : IB_HTTP_E_OBS_FOLD;
    size_t i = 0;
    while (i < n && is_tchar((uint8_t)s[i]))
        i++;
    if (i < n && is_ows((uint8_t)s[i])) {
        size_t j = i;
        while (j < n && is_ows((uint8_t)s[j]))
            j++;
        /* §5.1: "No whitespace is allowed between the field name and colon." */
        if (j < n && s[j] == ':') return IB_HTTP_E_WS_BEFORE_COLON;
        return IB_HTTP_E_HEADER;
    }
    if (i == 0 || i >= n || s[i] != ':') return IB_HTTP_E_HEADER;
    size_t v = i + 1, e = n;
    while (v < e && is_ows((uint8_t)s[v]))
        v++;
    while (e > v && is_ows((uint8_t)s[e - 1]))
        e--;
    for (size_t k = v; k < e; k++)
        if (!is_field_char((uint8_t)s[k])) return IB_HTTP_E_HEADER;
    f->name = (struct ib_http_str){s, i};
    f->value = (struct ib_http_str){s + v, e - v};
    return 0;
}

/* Calls fn on each element of a comma-separated list (RFC 9110 §5.6.1),
 * OWS trimmed, empty elements skipped. Stops at the first nonzero result. */
static int each_elem(struct ib_http_str v, int (*fn)(void *, const char *, size_t), void *arg)
{
    size_t i = 0;
    while (i <= v.n) {
        size_t j = i;
        while (j < v.n && v.p[j] != ',')
            j++;
        size_t a = i, b = j;
        while (a < b && is_ows((uint8_t)v.p[a]))
            a++;
        while (b > a && is_ows((uint8_t)v.p[b - 1]))
            b--;
        if (b > a) {
            int r = fn(arg, v.p + a, b - a);
            if (r) return r;
        }
        i = j + 1;
    }
    return 0;
}

struct framing_scan {
    bool has_cl, has_te, te_chunked, te_bad, conn_close, conn_ka;
    uint64_t cl;
};

/* RFC 9110 §8.6: Content-Length = 1*DIGIT; a list of identical values may
 * be taken as one, differing ones make the framing invalid. */
static int scan_cl(void *arg, const char *s, size_t n)
{
    struct framing_scan *fs = arg;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return IB_HTTP_E_CONTENT_LENGTH;
        if (v > (UINT64_MAX - 9) / 10) return IB_HTTP_E_CONTENT_LENGTH;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (fs->has_cl && fs->cl != v) return IB_HTTP_E_CL_MISMATCH;
    fs->has_cl = true;
    fs->cl = v;
    return 0;
}

/* RFC 9112 §6.1: chunked must be applied once, and last. */
static int scan_te(void *arg, const char *s, size_t n)
{
    struct framing_scan *fs = arg;
    if (fs->te_chunked) fs->te_bad = true; /* something after chunked */
    fs->te_chunked = str_ieq(s, n, "chunked");
    return 0;
}

static int scan_conn(void *arg, const char *s, size_t n)
{
    struct framing_scan *fs = arg;
    if (str_ieq(s, n, "close")) fs->conn_close = true;
    if (str_ieq(s, n, "keep-alive")) fs->conn_ka = true;
    return 0;
}

/* End of the header section: decide persistence (§9.3) and the body
 * length (§6.3, rules in order). */
static int headers_done(struct ib_http_parser *p)
{
    struct ib_http_msg *m = &p->msg;
    struct framing_scan fs = {0};
    for (size_t i = 0; i < m->nfields; i++) {
        const struct ib_http_field *f = &m->field[i];
        int e = 0;
        if (str_ieq(f->name.p, f->name.n, "content-length")) {
            if (f->value.n == 0) return IB_HTTP_E_CONTENT_LENGTH;
            e = each_elem(f->value, scan_cl, &fs);
        } else if (str_ieq(f->name.p, f->name.n, "transfer-encoding")) {
            fs.has_te = true;
            e = each_elem(f->value, scan_te, &fs);
        } else if (str_ieq(f->name.p, f->name.n, "connection")) {
            e = each_elem(f->value, scan_conn, &fs);
        }
        if (e) return e;
    }
    /* §9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only with
     * "keep-alive" (§C.2.2). */
    m->keep_alive = !fs.conn_close && (m->minor >= 1 || fs.conn_ka);

    bool resp = p->kind == IB_HTTP_RESPONSE;
    /* §6.3 rule 1: HEAD responses, 1xx, 204 and 304 end with the headers. */
    if (resp && (p->head_request || m->status < 200 || m->status == 204 || m->status == 304)) {
        m->framing = IB_HTTP_BODY_NONE;
        return 0;
    }
    if (fs.has_te) {
        /* §6.1: Transfer-Encoding in HTTP/1.0 means faulty framing. */
        if (m->minor == 0) return IB_HTTP_E_TRANSFER_ENCODING;
        /* §6.3 rule 3: both is a smuggling attempt; treat as an error. */
        if (fs.has_cl) return IB_HTTP_E_TE_AND_CL;
        if (fs.te_bad) return IB_HTTP_E_TRANSFER_ENCODING;
        if (fs.te_chunked) {
            m->framing = IB_HTTP_BODY_CHUNKED;
            return 0;
        }
        /* §6.3 rule 4: a request must end in chunked; a response is read
         * until close. */
        if (!resp) return IB_HTTP_E_TRANSFER_ENCODING;
        m->framing = IB_HTTP_BODY_CLOSE;
        m->keep_alive = false;
        return 0;
    }
    if (fs.has_cl) { /* §6.3 rule 6 */
        m->framing = IB_HTTP_BODY_LENGTH;
        m->content_length = p->remaining = fs.cl;
        return 0;
    }
    if (!resp) { /* §6.3 rule 7 */
        m->framing = IB_HTTP_BODY_NONE;
        return 0;
    }
    m->framing = IB_HTTP_BODY_CLOSE; /* §6.3 rule 8 */
    m->keep_alive = false;
    return 0;
}

static int enter_body(struct ib_http_parser *p)
{
    switch (p->msg.framing) {
    case IB_HTTP_BODY_LENGTH:
        p->state = p->remaining ? S_BODY_LEN : S_DONE;
        break;
    case IB_HTTP_BODY_CHUNKED:
        p->state = S_CHUNK_SIZE;
        break;
    case IB_HTTP_BODY_CLOSE:
        p->state = S_BODY_CLOSE;
        break;
    default:
        p->state = S_DONE;
        break;
    }
    return 0;
}

/* A complete line sits at buf + used, line_len bytes without its LF. */
static int line_done(struct ib_http_parser *p)
{
    char *s = p->buf + p->used;
    size_t n = p->line_len;
    p->line_len = 0;
    /* §2.2: a CR before the LF is dropped; a bare CR elsewhere is invalid
     * (the field and start-line checks reject it as a control char). */
    if (n && s[n - 1] == '\r') n--;
    int e = 0;
    switch (p->state) {
    case S_START:
        /* §2.2: empty lines before a request-line are ignored. */
        if (n == 0 && p->kind == IB_HTTP_REQUEST) return 0;
        e = p->kind == IB_HTTP_REQUEST ? parse_request_line(&p->msg, s, n)
                                       : parse_status_line(&p->msg, s, n);
        if (e) return e;
        p->used += n;
        p->state = S_HEADERS;
        return 0;
    case S_HEADERS:
        if (n == 0) {
            e = headers_done(p);
            return e ? e : enter_body(p);
        }
        if (p->msg.nfields >= p->max_headers) return IB_HTTP_E_TOO_MANY_HEADERS;
        e = parse_field(&p->msg.field[p->msg.nfields], s, n, p->msg.nfields == 0);
        if (e) return e;
        p->msg.nfields++;
        p->used += n;
        return 0;
    default: { /* S_TRAILER: §7.1.2, parsed for syntax and discarded */
        if (n == 0) {
            p->state = S_DONE;
            return 0;
        }
        struct ib_http_field f;
        return parse_field(&f, s, n, false);
    }
    }
}

/* Copies bytes of the current line; *i advances past its LF if present. */
static int line_feed(struct ib_http_parser *p, const uint8_t *b, size_t len, size_t *i)
{
    const uint8_t *s = b + *i;
    size_t avail = len - *i;
    const uint8_t *lf = memchr(s, '\n', avail);
    size_t take = lf ? (size_t)(lf - s) : avail;
    if (p->line_len + take > p->max_line) return IB_HTTP_E_LINE_TOO_LONG;
    if (p->hdr_bytes + take + (lf != NULL) > p->max_hdr_bytes) return IB_HTTP_E_HEADERS_TOO_BIG;
    /* used + line_len <= hdr_bytes <= max_hdr_bytes <= IB_HTTP_BUF */
    memcpy(p->buf + p->used + p->line_len, s, take);
    p->line_len += take;
    p->hdr_bytes += take + (lf != NULL);
    *i += take + (lf != NULL);
    return lf ? line_done(p) : 0;
}

static void deliver(struct ib_http_parser *p, const uint8_t *b, size_t n)
{
    p->msg.body_len += n;
    if (p->on_body && n) p->on_body(p->ctx, b, n);
}

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = (uint8_t)lower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* RFC 9112 §7.1: chunk-size [chunk-ext] CRLF; extensions are ignored
 * (§7.1.1) but their bytes count against max_line. */
static int chunk_size_byte(struct ib_http_parser *p, uint8_t c)
{
    if (c == '\n') {
        if (p->chunk_digits == 0) return IB_HTTP_E_CHUNK;
        p->line_len = 0;
        p->chunk_digits = 0;
        p->chunk_ext = false;
        p->state = p->remaining ? S_CHUNK_DATA : S_TRAILER; /* last-chunk */
        return 0;
    }
    if (++p->line_len > p->max_line) return IB_HTTP_E_LINE_TOO_LONG;
    int h = hexval(c);
    if (!p->chunk_ext && h >= 0) {
        if (p->remaining >> 60) return IB_HTTP_E_CHUNK;
        p->remaining = p->remaining << 4 | (uint64_t)h;
        p->chunk_digits++;
        return 0;
    }
    if (!p->chunk_ext) {
        /* chunk-ext = *( BWS ";" BWS ext-name ... ); CR only before LF */
        if (p->chunk_digits == 0 || (c != ';' && !is_ows(c) && c != '\r')) return IB_HTTP_E_CHUNK;
        p->chunk_ext = true;
    }
    return 0;
}

int ib_http_feed(struct ib_http_parser *p, const uint8_t *b, size_t len, size_t *used)
{
    size_t i = 0;
    int e = 0;
    /* The limits may only lower the ceilings the buffers are sized for. */
    if (p->max_hdr_bytes > IB_HTTP_BUF) p->max_hdr_bytes = IB_HTTP_BUF;
    if (p->max_headers > IB_HTTP_MAX_HEADERS) p->max_headers = IB_HTTP_MAX_HEADERS;
    if (len) p->started = true;
    while (i < len && !e) {
        switch (p->state) {
        case S_START:
        case S_HEADERS:
        case S_TRAILER:
            e = line_feed(p, b, len, &i);
            break;
        case S_BODY_LEN: {
            size_t n = len - i;
            if (n > p->remaining) n = (size_t)p->remaining;
            deliver(p, b + i, n);
            i += n;
            p->remaining -= n;
            if (!p->remaining) p->state = S_DONE;
            break;
        }
        case S_BODY_CLOSE:
            deliver(p, b + i, len - i);
            i = len;
            break;
        case S_CHUNK_SIZE:
            e = chunk_size_byte(p, b[i++]);
            break;
        case S_CHUNK_DATA: {
            size_t n = len - i;
            if (n > p->remaining) n = (size_t)p->remaining;
            deliver(p, b + i, n);
            i += n;
            p->remaining -= n;
            if (!p->remaining) p->state = S_CHUNK_CR;
            break;
        }
        case S_CHUNK_CR:
            /* chunk-data is followed by CRLF (a bare LF is tolerated, §2.2). */
            if (b[i] == '\r')
                p->state = S_CHUNK_LF;
            else if (b[i] == '\n')
                p->state = S_CHUNK_SIZE;
            else
                e = IB_HTTP_E_CHUNK;
            i++;
            break;
        case S_CHUNK_LF:
            if (b[i++] != '\n') e = IB_HTTP_E_CHUNK;
            p->state = S_CHUNK_SIZE;
            break;
        case S_ERROR:
            e = p->err;
            break;
        default:
            goto out; /* S_DONE: the rest belongs to the next message */
        }
    }
out:
    if (e) fail(p, e);
    if (p->state == S_DONE) p->done = true;
    if (used) *used = i;
    return p->state == S_ERROR ? p->err : 0;
}

int ib_http_finish(struct ib_http_parser *p)
{
    if (p->state == S_ERROR) return p->err;
    if (p->state == S_BODY_CLOSE) {
        p->state = S_DONE;
        p->done = true;
    }
    if (p->done) return 0;
    return fail(p, p->started ? IB_HTTP_E_TRUNCATED : IB_HTTP_E_NO_MESSAGE);
}

const struct ib_http_field *ib_http_find(const struct ib_http_msg *m, const char *name)
{
    for (size_t i = 0; i < m->nfields; i++)
        if (str_ieq(m->field[i].name.p, m->field[i].name.n, name)) return &m->field[i];
    return NULL;
}

const char *ib_http_err_str(int err)
{
    switch (err) {
    case IB_HTTP_OK:
        return "ok";
    case IB_HTTP_E_START_LINE:
        return "malformed start line";
    case IB_HTTP_E_VERSION:
        return "unsupported HTTP version";
    case IB_HTTP_E_HEADER:
        return "malformed header field";
    case IB_HTTP_E_WS_BEFORE_COLON:
        return "whitespace before colon";
    case IB_HTTP_E_OBS_FOLD:
        return "obsolete line folding";
    case IB_HTTP_E_CONTENT_LENGTH:
        return "invalid Content-Length";
    case IB_HTTP_E_CL_MISMATCH:
        return "conflicting Content-Length";
    case IB_HTTP_E_TE_AND_CL:
        return "Transfer-Encoding with Content-Length";
    case IB_HTTP_E_TRANSFER_ENCODING:
        return "unusable Transfer-Encoding";
    case IB_HTTP_E_CHUNK:
        return "malformed chunk";
    case IB_HTTP_E_LINE_TOO_LONG:
        return "line too long";
    case IB_HTTP_E_TOO_MANY_HEADERS:
        return "too many header fields";
    case IB_HTTP_E_HEADERS_TOO_BIG:
        return "header section too big";
    case IB_HTTP_E_TRUNCATED:
        return "connection closed inside a message";
    case IB_HTTP_E_NO_MESSAGE:
        return "connection closed";
    default:
        return "unknown error";
    }
}

const char *ib_http_reason(uint16_t status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 204:
        return "No Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "";
    }
}

/* An append-only writer: `over` records that something did not fit, so a
 * message is either written whole or reported as 0 bytes. */
struct wbuf {
    uint8_t *b;
    size_t cap, n;
    bool over;
};

static void w_mem(struct wbuf *w, const void *s, size_t n)
{
    if (w->over || w->cap - w->n < n) {
        w->over = true;
        return;
    }
    if (n) memcpy(w->b + w->n, s, n);
    w->n += n;
}

static void w_str(struct wbuf *w, const char *s)
{
    w_mem(w, s, strlen(s));
}

static void w_num(struct wbuf *w, uint64_t v, unsigned base, size_t min_digits)
{
    char d[24];
    size_t k = sizeof(d);
    do {
        d[--k] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v || sizeof(d) - k < min_digits);
    w_mem(w, d + k, sizeof(d) - k);
}

static size_t w_end(const struct wbuf *w)
{
    return w->over ? 0 : w->n;
}

static void request(struct wbuf *w, const struct ib_http_request_spec *r)
{
    w_str(w, r->method);
    w_str(w, " ");
    w_str(w, r->target);
    /* RFC 9112 §3.2: a client MUST send Host in every HTTP/1.1 request. */
    w_str(w, " HTTP/1.1\r\nHost: ");
    w_str(w, r->host);
    w_str(w, r->close ? "\r\nConnection: close\r\n\r\n" : "\r\nConnection: keep-alive\r\n\r\n");
}

size_t ib_http_emit_request(const struct ib_http_request_spec *r, uint8_t *b, size_t cap)
{
    struct wbuf w = {b, cap, 0, false};
    request(&w, r);
    return w_end(&w);
}

static void response_head(struct wbuf *w, const struct ib_http_response_spec *r)
{
    w_str(w, "HTTP/1.1 ");
    w_num(w, r->status, 10, 3);
    w_str(w, " ");
    w_str(w, r->reason ? r->reason : ib_http_reason(r->status));
    w_str(w, "\r\n");
    if (r->content_type) {
        w_str(w, "Content-Type: ");
        w_str(w, r->content_type);
        w_str(w, "\r\n");
    }
    /* RFC 9112 §6.1: chunked, or else RFC 9110 §8.6 Content-Length, never both. */
    if (r->chunked) {
        w_str(w, "Transfer-Encoding: chunked\r\n");
    } else {
        w_str(w, "Content-Length: ");
        w_num(w, r->body_len, 10, 1);
        w_str(w, "\r\n");
    }
    if (r->close) w_str(w, "Connection: close\r\n");
    w_str(w, "\r\n");
}

size_t ib_http_emit_response_head(const struct ib_http_response_spec *r, uint8_t *b, size_t cap)
{
    struct wbuf w = {b, cap, 0, false};
    response_head(&w, r);
    return w_end(&w);
}

/* RFC 9112 §7.1: chunk = chunk-size CRLF chunk-data CRLF; a zero size is
 * the last-chunk, followed here by an empty trailer section. */
static void chunk(struct wbuf *w, const uint8_t *data, size_t n)
{
    w_num(w, n, 16, 1);
    w_str(w, "\r\n");
    w_mem(w, data, n);
    if (n) w_str(w, "\r\n");
}

size_t ib_http_emit_chunk(const uint8_t *data, size_t n, uint8_t *b, size_t cap)
{
    struct wbuf w = {b, cap, 0, false};
    chunk(&w, data, n);
    if (!n) w_str(&w, "\r\n");
    return w_end(&w);
}

size_t ib_http_emit_response(const struct ib_http_response_spec *r, const uint8_t *body, size_t n,
                             uint8_t *b, size_t cap)
{
    struct wbuf w = {b, cap, 0, false};
    struct ib_http_response_spec h = *r;
    h.body_len = n;
    response_head(&w, &h);
    if (!r->chunked) {
        w_mem(&w, body, n);
    } else {
        if (n) chunk(&w, body, n);
        w_str(&w, "0\r\n\r\n");
    }
    return w_end(&w);
}
