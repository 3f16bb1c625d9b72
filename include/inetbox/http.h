/* HTTP/1.1 messages (RFC 9112, semantics RFC 9110): an incremental parser
 * for requests and responses fed bytes in arbitrary splits, and writers for
 * a request and a response.
 *
 * Memory: the parser owns one fixed buffer (IB_HTTP_BUF bytes) into which
 * the start line and the header field lines are copied as they arrive, so
 * every string in struct ib_http_msg points into the parser itself (do not
 * copy or move a parser between ib_http_feed calls and reading the
 * message). Body bytes are not stored: each piece is handed to the body
 * callback as soon as it is framed (chunk framing removed), so a parser
 * never allocates and never needs more than sizeof(struct ib_http_parser). */
#ifndef INETBOX_HTTP_H
#define INETBOX_HTTP_H

#include "inetbox/types.h"

#define IB_HTTP_BUF 8192u       /* hard ceiling of max_hdr_bytes */
#define IB_HTTP_MAX_HEADERS 64u /* hard ceiling of max_headers */
#define IB_HTTP_DEF_LINE 4096u  /* default max_line */
#define IB_HTTP_DEF_HEADERS 48u /* default max_headers */

/* 0 is success; every error is sticky (the parser stays failed). */
enum ib_http_err {
    IB_HTTP_OK = 0,
    IB_HTTP_E_START_LINE,        /* malformed request-line / status-line (§3, §4) */
    IB_HTTP_E_VERSION,           /* not HTTP/1.x (§2.3) */
    IB_HTTP_E_HEADER,            /* malformed field line (§5) */
    IB_HTTP_E_WS_BEFORE_COLON,   /* whitespace between field name and colon (§5.1) */
    IB_HTTP_E_OBS_FOLD,          /* line folding (§5.2) */
    IB_HTTP_E_CONTENT_LENGTH,    /* invalid Content-Length (§6.3 rule 5) */
    IB_HTTP_E_CL_MISMATCH,       /* Content-Length values disagree (RFC 9110 §8.6) */
    IB_HTTP_E_TE_AND_CL,         /* both Transfer-Encoding and Content-Length (§6.3 rule 3) */
    IB_HTTP_E_TRANSFER_ENCODING, /* unusable Transfer-Encoding (§6.1, §6.3 rule 4) */
    IB_HTTP_E_CHUNK,             /* malformed chunked coding (§7.1) */
    IB_HTTP_E_LINE_TOO_LONG,     /* a line longer than max_line */
    IB_HTTP_E_TOO_MANY_HEADERS,  /* more than max_headers field lines */
    IB_HTTP_E_HEADERS_TOO_BIG,   /* header (or trailer) section over max_hdr_bytes */
    IB_HTTP_E_TRUNCATED,         /* connection closed inside a message (§8) */
    IB_HTTP_E_NO_MESSAGE,        /* connection closed before any byte of a message */
};

enum ib_http_kind { IB_HTTP_REQUEST, IB_HTTP_RESPONSE };

/* How the body is delimited (RFC 9112 §6.3). */
enum ib_http_framing {
    IB_HTTP_BODY_NONE,    /* no body (request without length, HEAD/1xx/204/304 response) */
    IB_HTTP_BODY_LENGTH,  /* Content-Length */
    IB_HTTP_BODY_CHUNKED, /* chunked transfer coding */
    IB_HTTP_BODY_CLOSE,   /* response read until the connection closes */
};

struct ib_http_str {
    const char *p; /* not NUL-terminated */
    size_t n;
};

struct ib_http_field {
    struct ib_http_str name, value; /* value without surrounding OWS */
};

struct ib_http_msg {
    struct ib_http_str method, target; /* requests */
    uint16_t status;                   /* responses */
    struct ib_http_str reason;         /* responses; may be empty */
    uint8_t major, minor;
    uint16_t nfields;
    struct ib_http_field field[IB_HTTP_MAX_HEADERS];
    enum ib_http_framing framing;
    uint64_t content_length; /* IB_HTTP_BODY_LENGTH */
    uint64_t body_len;       /* body bytes delivered so far */
    bool keep_alive;         /* the connection may carry another message (§9.3) */
};

typedef void (*ib_http_body_fn)(void *ctx, const uint8_t *b, size_t n);

struct ib_http_parser {
    /* Limits; init sets the defaults; change them before the first feed
     * (feed clamps them to IB_HTTP_BUF and IB_HTTP_MAX_HEADERS). */
    size_t max_line, max_headers, max_hdr_bytes;
    enum ib_http_kind kind;
    bool head_request;       /* response to a HEAD request: no body (§6.3 rule 1) */
    ib_http_body_fn on_body; /* may be NULL: the body is then discarded */
    void *ctx;
    struct ib_http_msg msg;
    /* private */
    int state, err;
    bool done, started, chunk_ext;
    size_t used, line_len, hdr_bytes, chunk_digits;
    uint64_t remaining;
    char buf[IB_HTTP_BUF];
};

void ib_http_parser_init(struct ib_http_parser *p, enum ib_http_kind kind, ib_http_body_fn on_body,
                         void *ctx);
/* Prepares for the next message on the same connection, keeping kind,
 * limits and callback; head_request is cleared. */
void ib_http_parser_reset(struct ib_http_parser *p);
/* Consumes bytes up to the end of the current message (never beyond it, so
 * a pipelined next message stays with the caller); *used says how many.
 * Returns 0 (then check ib_http_done) or an enum ib_http_err. */
int ib_http_feed(struct ib_http_parser *p, const uint8_t *b, size_t len, size_t *used);
/* The peer closed the connection: completes a read-until-close body
 * (§6.3 rule 8). Returns 0 if the message is complete, else
 * IB_HTTP_E_NO_MESSAGE (nothing received) or IB_HTTP_E_TRUNCATED. */
int ib_http_finish(struct ib_http_parser *p);
static inline bool ib_http_done(const struct ib_http_parser *p)
{
    return p->done;
}

/* First field with this name (case-insensitive, RFC 9110 §5.1), or NULL. */
const struct ib_http_field *ib_http_find(const struct ib_http_msg *m, const char *name);
const char *ib_http_err_str(int err);
/* The RFC 9110 §15 reason phrase of a status code ("" if unknown). */
const char *ib_http_reason(uint16_t status);

/* Writers: return the bytes written, 0 if they do not fit in cap. */
struct ib_http_request_spec {
    const char *method, *target, *host;
    bool close; /* Connection: close, else Connection: keep-alive */
};
size_t ib_http_emit_request(const struct ib_http_request_spec *r, uint8_t *b, size_t cap);

/* No Date field (RFC 9110 §6.6.1 lets a server without a reliable clock
 * omit it), so the output is deterministic. */
struct ib_http_response_spec {
    uint16_t status;
    const char *reason;       /* NULL: ib_http_reason(status) */
    const char *content_type; /* NULL: no Content-Type */
    bool chunked;             /* Transfer-Encoding: chunked, else Content-Length */
    bool close;               /* Connection: close */
    uint64_t body_len;        /* used for Content-Length */
};
/* Status line and header section, ending with the empty line. */
size_t ib_http_emit_response_head(const struct ib_http_response_spec *r, uint8_t *b, size_t cap);
/* One chunk (§7.1); n == 0 writes the last-chunk and the empty trailer. */
size_t ib_http_emit_chunk(const uint8_t *data, size_t n, uint8_t *b, size_t cap);
/* A whole response: the head, then the body raw or as one chunk followed
 * by the last-chunk. r->body_len is taken from n. */
size_t ib_http_emit_response(const struct ib_http_response_spec *r, const uint8_t *body, size_t n,
                             uint8_t *b, size_t cap);

/* URLs (RFC 9110 §4.2.1, syntax RFC 3986 §3): http://host[:port][/path],
 * host a name or a dotted quad (lower-cased, RFC 3986 §6.2.2.1), port 80
 * unless given, path "/" unless given (RFC 9112 §3.2.1). path is the
 * request-target: the query stays, the fragment goes (RFC 3986 §3.5). */
struct ib_url {
    char host[256];
    uint16_t port;
    char path[1024];
};
/* 0, or IB_ERR_INVAL: another scheme, userinfo (RFC 9110 §4.2.4), an empty
 * or malformed host, a port out of 1-65535, a path that does not fit or
 * holds spaces or control characters. */
int ib_url_parse(const char *url, struct ib_url *u);

/* An origin server for static resources (RFC 9110, RFC 9112): GET and HEAD
 * (other methods 501), 404 for an unknown path, 400 (and the connection
 * closed) for a missing Host or a malformed request; persistent
 * connections, pipelined requests answered in order, an idle timeout.
 * Bodies are written as TCP takes them from the server's own copy, so a
 * resource of any size costs its size once. */
struct ib_stack;

struct ib_http_resource {
    const char *host;         /* NULL: any Host (matched without the port, any case) */
    const char *path;         /* exact match of the target without its query */
    const char *content_type; /* NULL: no Content-Type */
    const void *body;
    size_t len;
};

#define IB_HTTP_IDLE_DEFAULT IB_SEC(5)
#define IB_HTTP_MAX_CONNS_DEFAULT 1024u
struct ib_http_server_config {
    /* 0: IB_HTTP_IDLE_DEFAULT. A connection that makes no progress (no
     * request byte read, no response byte taken by TCP) that long is closed. */
    ib_time idle_timeout;
    uint32_t max_conns; /* 0: IB_HTTP_MAX_CONNS_DEFAULT; connections beyond are reset */
};

struct ib_http_server;
/* Serves the n resources (copied, bodies included; the first one matching
 * host and path answers) on TCP port of every address of s. NULL if the
 * port is taken or memory runs out. */
struct ib_http_server *ib_http_server_start(struct ib_stack *s, uint16_t port,
                                            const struct ib_http_resource *res, size_t n,
                                            const struct ib_http_server_config *cfg);
/* Serves the files under dir, for any Host: GET and HEAD of regular files,
 * read as TCP takes them (a file of any size costs 16 KB per connection),
 * opened per request and closed when the response ends or the connection
 * dies; Content-Length is the size when opened (a file that shrinks while
 * being sent ends the connection early). "/" and "/x/" serve the
 * index.html in them, else 404; "/x" naming a directory gets 301 to
 * "/x/". The path is percent-decoded (RFC 3986 §2.1); an invalid escape,
 * an encoded NUL or a ".." segment gets 400 (and the connection closed);
 * symbolic links are never followed, so nothing outside dir is served.
 * The query is ignored. Content-Type comes from the extension (html, htm,
 * txt, css, js, json, png, jpg, jpeg, svg; else application/octet-stream).
 * NULL if dir cannot be opened, the port is taken or memory runs out. */
struct ib_http_server *ib_http_server_start_dir(struct ib_stack *s, uint16_t port, const char *dir,
                                                const struct ib_http_server_config *cfg);
/* A graceful shutdown: closes the listener (new connections are refused)
 * and ends every connection after its current response, as if the request
 * had said "Connection: close" (RFC 9112 §9.6: our FIN after the response,
 * then whatever the client sends is read and dropped until its FIN). An
 * idle connection gets its FIN at once, a busy one once its response, read
 * from the file or memory as TCP takes it, has been handed to TCP whole.
 * Requests pipelined behind it get no answer. ib_http_server_conns tells
 * when all are gone; ib_http_server_stop still frees the server. */
void ib_http_server_drain(struct ib_http_server *h);
/* Connections the server still holds. */
size_t ib_http_server_conns(const struct ib_http_server *h);
/* Closes the listener and every connection (unsent data is still sent by
 * TCP, which owns a copy) and frees the server. */
void ib_http_server_stop(struct ib_http_server *h);

/* A browser-like client for one GET. */
#define IB_HTTP_MAX_BODY_DEFAULT ((size_t)16 << 20)

struct ib_http_result {
    /* 0, a TCP error (IB_ERR_REFUSED, _RESET, _TIMEOUT, _UNREACH),
     * IB_ERR_NOROUTE, IB_ERR_INVAL (host or path unfit for a request head),
     * IB_ERR_PROTO (a malformed or cut response), IB_ERR_TOOBIG (a body over
     * max_body) or IB_ERR_NOMEM. status is 0 unless err is 0. */
    int err;
    uint16_t status;
    const char *content_type; /* "" if none */
    const uint8_t *body;      /* body and len: valid during the callback only */
    size_t len;
    ib_ip4 addr; /* the server */
    uint16_t port;
};
typedef void (*ib_http_done_fn)(void *arg, const struct ib_http_result *r);

struct ib_http_get;
/* GET path from addr:port with Host: host (RFC 9112 §3.2). Reads a
 * Content-Length or chunked body, or one delimited by the close (RFC 9112
 * §6.3), skips interim 1xx responses, and closes the connection itself as
 * soon as the response is complete (so the client sends the first FIN).
 * done is called exactly once, never from inside ib_http_get; the handle
 * is freed when done returns. NULL only when out of memory. */
struct ib_http_get *ib_http_get(struct ib_stack *s, ib_ip4 addr, uint16_t port, const char *host,
                                const char *path, ib_http_done_fn done, void *arg);
/* The most body bytes kept (default IB_HTTP_MAX_BODY_DEFAULT); call it
 * right after ib_http_get. */
void ib_http_get_set_max_body(struct ib_http_get *g, size_t max);
/* Aborts the fetch (RST if connected); done is not called. From inside
 * done it does nothing; after done returned the handle is gone. */
void ib_http_get_cancel(struct ib_http_get *g);

#endif
