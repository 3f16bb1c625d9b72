/* tcpscript: a packetdrill-style script language for testing one inetbox
 * TCP stack in the simulator. A script is a list of lines, each at a time:
 * inject a segment from the peer ('<'), expect a segment from the stack
 * ('>') or act as the application (listen, connect, send, recv, close...).
 * See tests/tcp/README.md for the language. This header holds the parsed
 * form shared by the parser (script_parse.c) and the runner (tcpscript.c). */
#ifndef INETBOX_TCPSCRIPT_H
#define INETBOX_TCPSCRIPT_H

#include <stdbool.h>
#include <stdint.h>

#include "inetbox/tcp.h"

/* A number in a script; `*` matches anything (outbound lines only). */
struct ts_num {
    bool any;
    int64_t v;
};

enum ts_opt_kind {
    TS_OPT_NOP,
    TS_OPT_EOL,
    TS_OPT_MSS,
    TS_OPT_WSCALE,
    TS_OPT_SACKOK,
    TS_OPT_TS,
    TS_OPT_SACK
};

#define TS_MAX_OPTS 12
#define TS_MAX_BLOCKS 4
struct ts_opt {
    enum ts_opt_kind kind;
    struct ts_num a, b; /* mss/wscale value; TS val and ecr */
    struct ts_num blk[TS_MAX_BLOCKS][2];
    uint8_t nblk;
};

struct ts_seg {
    uint8_t flags;
    struct ts_num seq, end, len;
    bool has_ack, has_win, has_sport, has_dport, has_opts;
    struct ts_num ack, win;
    uint16_t sport, dport; /* as seen on the wire of this segment */
    struct ts_opt opt[TS_MAX_OPTS];
    uint8_t nopt;
};

/* A time: absolute, or relative (+) to the previous line's time. */
struct ts_time {
    bool rel;
    int64_t ns;
};

enum ts_kind {
    TS_INJECT,   /* < segment */
    TS_EXPECT,   /* > segment */
    TS_LISTEN,   /* listen PORT */
    TS_CONNECT,  /* connect PORT */
    TS_SEND,     /* send N [= R] */
    TS_RECV,     /* recv N [= R] */
    TS_SHUTDOWN, /* shutdown [= R] */
    TS_CLOSE,
    TS_ABORT,
    TS_STATE,     /* state NAME */
    TS_ERROR,     /* error NAME|none: the error callback's last error */
    TS_EOF,       /* eof 0|1 */
    TS_READABLE,  /* readable N */
    TS_CONNECTED, /* connected 0|1: the connected callback ran */
    TS_ACCEPTED,  /* accepted N: connections accepted so far */
    TS_USE,       /* use N: later verbs act on connection N (1 = first) */
    TS_INFO,      /* info key=value... (ib_tcp_get_info) */
    TS_MIB,       /* mib key=value... (stack TCP counters) */
    TS_DROPS,     /* drops NAME=N... (node drop counters) */
    TS_TW,        /* tw N: TIME_WAIT records in the stack */
    TS_CONNS,     /* conns N: connections in the stack's 4-tuple hash */
    TS_WAIT,      /* wait: only moves the clock (and checks nothing was sent) */
};

enum ts_cmp { TS_EQ, TS_LE, TS_GE };
#define TS_MAX_KV 8
struct ts_kv {
    char key[24];
    enum ts_cmp cmp;
    int64_t v;
};

struct ts_line {
    int lineno;
    char *text; /* the line as written, for messages */
    enum ts_kind kind;
    struct ts_time t, t2; /* t2: end of a window "t~t2" (expect only) */
    bool has_t2;
    struct ts_seg seg;
    int64_t arg;  /* port, byte count, state, error, N */
    bool has_ret; /* "= R" given */
    int64_t ret;  /* expected return: a count or a negative ib_err */
    struct ts_kv kv[TS_MAX_KV];
    uint8_t nkv;
};

/* Harness settings from `config` lines. */
struct ts_config {
    struct ib_tcp_config tcp;
    int64_t tol_ns; /* timing tolerance of '>' lines */
    uint32_t riss;  /* the peer's sequence numbers are relative to this */
    bool iss_near;  /* steer our ISS into [iss, iss + 4096) */
    uint32_t iss;
    uint16_t rport; /* the peer's port for passive opens */
    uint16_t mtu;
    bool psh; /* compare PSH too (by default it is ignored) */
};

struct ts_script {
    const char *path;
    char *buf; /* the file, its lines cut in place */
    struct ts_line *lines;
    int n, cap;
    struct ts_config cfg;
};

/* Parses a script file. On error prints "path:line: message" to stderr and
 * returns -1. */
int ts_parse_file(const char *path, struct ts_script *sc);
void ts_script_free(struct ts_script *sc);

#endif
