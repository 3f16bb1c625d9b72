/* The RFC 9293 state diagram (§3.3.2, figure 5), transition by transition,
 * between two real stacks: each row drives a scenario and lists the
 * (old, new) state events each end must emit, in order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "tcp_pair_harness.h"

enum {
    C = IB_TCP_CLOSED,
    L = IB_TCP_LISTEN,
    SS = IB_TCP_SYN_SENT,
    SR = IB_TCP_SYN_RECEIVED,
    E = IB_TCP_ESTABLISHED,
    FW1 = IB_TCP_FIN_WAIT_1,
    FW2 = IB_TCP_FIN_WAIT_2,
    CW = IB_TCP_CLOSE_WAIT,
    CL = IB_TCP_CLOSING,
    LA = IB_TCP_LAST_ACK,
    TW = IB_TCP_TIME_WAIT,
};

#define MAXTR 12

struct row {
    const char *name;
    void (*run)(struct tp *t);
    uint8_t a[MAXTR][2];
    uint8_t b[MAXTR][2];
};

/* a closes first, b closes when it reads the FIN: a is the active closer
 * (RFC 9293 §3.6 figure 12), and TIME_WAIT lasts 2*MSL of the default
 * MSL, 2 minutes (§3.4.2). */
static void run_active_close(struct tp *t)
{
    tp_establish(t);
    t->side[1].close_on_eof = true;
    ib_tcp_close(t->side[0].c);
    t->side[0].c = NULL;
    tp_run(t, IB_SEC(1));
    assert_int_equal(ib_tcp_get_state(t->side[1].l), IB_TCP_LISTEN);
    tp_run(t, IB_SEC(300));
    ib_time tw = tp_when(t, 0, FW2, TW), closed = tp_when(t, 0, TW, C);
    assert_true(tw > 0 && closed > 0);
    assert_int_equal(closed - tw, 2 * ib_tcp_defaults.msl);
}

/* b (the server) closes first. */
static void run_passive_close(struct tp *t)
{
    tp_establish(t);
    t->side[0].close_on_eof = true;
    ib_tcp_close(t->side[1].c);
    t->side[1].c = NULL;
    tp_run(t, IB_SEC(300));
}

/* Both close at once: the FINs cross, CLOSING on both ends (§3.6 figure
 * 13). */
static void run_simultaneous_close(struct tp *t)
{
    tp_establish(t);
    ib_tcp_close(t->side[0].c);
    ib_tcp_close(t->side[1].c);
    t->side[0].c = t->side[1].c = NULL;
    tp_run(t, IB_SEC(300));
}

/* Both connect to each other's port at once: the SYNs cross (§3.5 figure
 * 7). */
static void run_simultaneous_open(struct tp *t)
{
    t->s[0]->next_port = 50000;
    t->s[1]->next_port = 50001;
    t->side[0].c = ib_tcp_connect(t->s[0], TP_B, 50001, &tp_ops, &t->side[0], &t->cfg[0]);
    t->side[1].c = ib_tcp_connect(t->s[1], TP_A, 50000, &tp_ops, &t->side[1], &t->cfg[1]);
    assert_non_null(t->side[0].c);
    assert_non_null(t->side[1].c);
    tp_run(t, IB_MS(100));
    assert_int_equal(t->side[0].connected, 1);
    assert_int_equal(t->side[1].connected, 1);
    t->side[1].close_on_eof = true;
    ib_tcp_close(t->side[0].c);
    t->side[0].c = NULL;
    tp_run(t, IB_SEC(300));
}

/* Half-close: a shuts down its side, b keeps sending in CLOSE_WAIT and a
 * keeps receiving in FIN_WAIT_2 (§3.6). */
static uint8_t half_data[200000];
static void run_half_close(struct tp *t)
{
    tp_establish(t);
    ib_tcp_shutdown(t->side[0].c);
    tp_run(t, IB_MS(50));
    assert_int_equal(ib_tcp_get_state(t->side[0].c), IB_TCP_FIN_WAIT_2);
    assert_int_equal(ib_tcp_get_state(t->side[1].c), IB_TCP_CLOSE_WAIT);
    assert_int_equal(ib_tcp_send(t->side[0].c, "x", 1), IB_ERR_CLOSED);
    for (size_t i = 0; i < sizeof(half_data); i++)
        half_data[i] = (uint8_t)(i * 7 + (i >> 9));
    t->side[1].tx = half_data;
    t->side[1].tx_len = sizeof(half_data);
    t->side[1].close_after_tx = true;
    tp_push(&t->side[1]);
    tp_run(t, IB_SEC(2));
    assert_int_equal(t->side[0].rx_len, sizeof(half_data));
    assert_memory_equal(t->side[0].rx, half_data, sizeof(half_data));
    assert_true(ib_tcp_eof(t->side[0].c));
    tp_run(t, IB_SEC(300));
}

/* RST in SYN-SENT: nobody listens (§3.10.7.1, §3.10.7.3). */
static void run_rst_syn_sent(struct tp *t)
{
    tp_connect(t, 0, 9);
    tp_run(t, IB_MS(50));
    assert_int_equal(t->side[0].err, IB_ERR_REFUSED);
}

/* RST in SYN-RECEIVED: the client gives up before the SYN-ACK arrives and
 * answers it with a reset (§3.10.7.1); the listener stays. */
static void run_rst_syn_received(struct tp *t)
{
    tp_listen(t, 1, TP_PORT);
    tp_connect(t, 0, TP_PORT);
    tp_run(t, IB_US(1500));
    ib_tcp_abort(t->side[0].c);
    t->side[0].c = NULL;
    tp_run(t, IB_MS(50));
    assert_int_equal(t->side[1].accepted, 0);
}

static void run_rst_established(struct tp *t)
{
    tp_establish(t);
    ib_tcp_abort(t->side[0].c);
    t->side[0].c = NULL;
    tp_run(t, IB_MS(50));
    assert_int_equal(t->side[1].err, IB_ERR_RESET);
    assert_int_equal(ib_tcp_recv(t->side[1].c, half_data, 1), IB_ERR_RESET);
}

/* b's FIN is in flight when a's RST leaves: it meets b in FIN_WAIT_1. */
static void run_rst_fin_wait_1(struct tp *t)
{
    tp_establish(t);
    ib_tcp_shutdown(t->side[1].c);
    ib_tcp_abort(t->side[0].c);
    t->side[0].c = NULL;
    tp_run(t, IB_MS(50));
    assert_int_equal(t->side[1].err, IB_ERR_RESET);
}

static void run_rst_fin_wait_2(struct tp *t)
{
    tp_establish(t);
    ib_tcp_shutdown(t->side[1].c);
    tp_run(t, IB_MS(50));
    ib_tcp_abort(t->side[0].c);
    t->side[0].c = NULL;
    tp_run(t, IB_MS(50));
    assert_int_equal(t->side[1].err, IB_ERR_RESET);
}

static void run_rst_close_wait(struct tp *t)
{
    tp_establish(t);
    ib_tcp_shutdown(t->side[1].c);
    tp_run(t, IB_MS(50));
    ib_tcp_abort(t->side[1].c);
    t->side[1].c = NULL;
    tp_run(t, IB_MS(50));
    assert_int_equal(t->side[0].err, IB_ERR_RESET);
}

/* Both shut down at once (CLOSING); a aborts on reading b's FIN, before
 * acknowledging it (an abort in CLOSING sends nothing, §3.10.5), so b's
 * ACK of a's FIN meets no connection and is answered by a reset. */
static void run_rst_closing(struct tp *t)
{
    tp_establish(t);
    t->side[0].abort_on_eof = true;
    ib_tcp_shutdown(t->side[0].c);
    ib_tcp_shutdown(t->side[1].c);
    tp_run(t, IB_MS(50));
    assert_int_equal(t->side[1].err, IB_ERR_RESET);
}

/* a aborts in TIME_WAIT (nothing sent), so b's repeated FIN is reset. */
static void run_rst_last_ack(struct tp *t)
{
    tp_establish(t);
    t->side[0].abort_on_eof = true;
    t->side[1].shut_on_eof = true;
    ib_tcp_shutdown(t->side[0].c);
    tp_run(t, IB_SEC(5));
}

/* b leaves LAST_ACK silently (abort) before a's last ACK arrives; b's
 * reset of that ACK ends a's TIME_WAIT record (§3.10.7.4, exact sequence
 * number so RFC 5961 §3.2 accepts it). */
static void run_rst_time_wait(struct tp *t)
{
    tp_establish(t);
    struct ib_tcp *b = t->side[1].c;
    ib_tcp_close(t->side[0].c);
    t->side[0].c = NULL;
    tp_run(t, IB_US(1500));
    assert_int_equal(ib_tcp_get_state(b), IB_TCP_CLOSE_WAIT);
    ib_tcp_shutdown(b);
    ib_tcp_abort(b);
    t->side[1].c = NULL;
    tp_run(t, IB_MS(50));
}

/* a's last ACK is lost: b repeats its FIN, the TIME_WAIT record answers
 * it and restarts its 2*MSL (§3.10.7.4 TIME-WAIT). */
static void drop_link_on_eof(struct ib_tcp *c, void *arg)
{
    struct tp_side *sd = arg;
    if (ib_tcp_eof(c)) {
        ib_link_set_up(sd->t->link, false);
        ib_timer_arm(&sd->t->w->env, &sd->t->link_up, ib_now(&sd->t->w->env) + IB_MS(100));
    }
}
static const struct ib_tcp_ops lose_last_ack_ops = {.readable = drop_link_on_eof};

static void run_time_wait_fin_retransmit(struct tp *t)
{
    tp_establish(t);
    t->side[1].close_on_eof = true;
    ib_tcp_set_ops(t->side[0].c, &lose_last_ack_ops, &t->side[0]);
    ib_tcp_shutdown(t->side[0].c);
    tp_run(t, IB_SEC(5));
    /* Released in TIME_WAIT: the compact record takes over. */
    ib_tcp_close(t->side[0].c);
    t->side[0].c = NULL;
    tp_run(t, IB_SEC(300));
    ib_time first_tw = tp_when(t, 0, FW2, TW), closed = tp_when(t, 0, TW, C);
    ib_time b_closed = tp_when(t, 1, LA, C);
    assert_true(b_closed > first_tw + IB_MS(100));
    /* The 2*MSL restarted when the repeated FIN was answered. */
    assert_true(closed >= b_closed - IB_MS(2) + 2 * ib_tcp_defaults.msl);
    assert_true(closed > first_tw + 2 * ib_tcp_defaults.msl);
    assert_true(t->rexmit[1] >= 1);
}

static const struct row rows[] = {
    {"active_close",
     run_active_close,
     {{C, SS}, {SS, E}, {E, FW1}, {FW1, FW2}, {FW2, TW}, {TW, C}},
     {{C, L}, {L, SR}, {SR, E}, {E, CW}, {CW, LA}, {LA, C}, {L, C}}},
    {"passive_close",
     run_passive_close,
     {{C, SS}, {SS, E}, {E, CW}, {CW, LA}, {LA, C}},
     {{C, L}, {L, SR}, {SR, E}, {E, FW1}, {FW1, FW2}, {FW2, TW}, {TW, C}, {L, C}}},
    {"simultaneous_close",
     run_simultaneous_close,
     {{C, SS}, {SS, E}, {E, FW1}, {FW1, CL}, {CL, TW}, {TW, C}},
     {{C, L}, {L, SR}, {SR, E}, {E, FW1}, {FW1, CL}, {CL, TW}, {TW, C}, {L, C}}},
    {"simultaneous_open",
     run_simultaneous_open,
     {{C, SS}, {SS, SR}, {SR, E}, {E, FW1}, {FW1, FW2}, {FW2, TW}, {TW, C}},
     {{C, SS}, {SS, SR}, {SR, E}, {E, CW}, {CW, LA}, {LA, C}}},
    {"half_close",
     run_half_close,
     {{C, SS}, {SS, E}, {E, FW1}, {FW1, FW2}, {FW2, TW}, {TW, C}},
     {{C, L}, {L, SR}, {SR, E}, {E, CW}, {CW, LA}, {LA, C}, {L, C}}},
    {"rst_syn_sent", run_rst_syn_sent, {{C, SS}, {SS, C}}, {{0, 0}}},
    {"rst_syn_received",
     run_rst_syn_received,
     {{C, SS}, {SS, C}},
     {{C, L}, {L, SR}, {SR, C}, {L, C}}},
    {"rst_established",
     run_rst_established,
     {{C, SS}, {SS, E}, {E, C}},
     {{C, L}, {L, SR}, {SR, E}, {E, C}, {L, C}}},
    {"rst_fin_wait_1",
     run_rst_fin_wait_1,
     {{C, SS}, {SS, E}, {E, C}},
     {{C, L}, {L, SR}, {SR, E}, {E, FW1}, {FW1, C}, {L, C}}},
    {"rst_fin_wait_2",
     run_rst_fin_wait_2,
     {{C, SS}, {SS, E}, {E, CW}, {CW, C}},
     {{C, L}, {L, SR}, {SR, E}, {E, FW1}, {FW1, FW2}, {FW2, C}, {L, C}}},
    {"rst_close_wait",
     run_rst_close_wait,
     {{C, SS}, {SS, E}, {E, CW}, {CW, C}},
     {{C, L}, {L, SR}, {SR, E}, {E, FW1}, {FW1, FW2}, {FW2, C}, {L, C}}},
    {"rst_closing",
     run_rst_closing,
     {{C, SS}, {SS, E}, {E, FW1}, {FW1, CL}, {CL, C}},
     {{C, L}, {L, SR}, {SR, E}, {E, FW1}, {FW1, CL}, {CL, C}, {L, C}}},
    {"rst_last_ack",
     run_rst_last_ack,
     {{C, SS}, {SS, E}, {E, FW1}, {FW1, FW2}, {FW2, TW}, {TW, C}},
     {{C, L}, {L, SR}, {SR, E}, {E, CW}, {CW, LA}, {LA, C}, {L, C}}},
    {"rst_time_wait",
     run_rst_time_wait,
     {{C, SS}, {SS, E}, {E, FW1}, {FW1, FW2}, {FW2, TW}, {TW, C}},
     {{C, L}, {L, SR}, {SR, E}, {E, CW}, {CW, LA}, {LA, C}, {L, C}}},
    {"time_wait_fin_retransmit",
     run_time_wait_fin_retransmit,
     {{C, SS}, {SS, E}, {E, FW1}, {FW1, FW2}, {FW2, TW}, {TW, C}},
     {{C, L}, {L, SR}, {SR, E}, {E, CW}, {CW, LA}, {LA, C}, {L, C}}},
};

static void print_trans(const struct tp *t)
{
    for (unsigned i = 0; i < t->nev; i++)
        print_error("  %c %.6f %s -> %s cause %u flags 0x%02x\n", t->ev[i].who ? 'b' : 'a',
                    (double)t->ev[i].t / 1e9, ib_tcp_state_name(t->ev[i].from),
                    ib_tcp_state_name(t->ev[i].to), t->ev[i].cause, t->ev[i].flags);
}

static void check_side(const struct tp *t, int who, const uint8_t (*want)[2])
{
    uint8_t got[MAXTR * 2][2];
    unsigned n = tp_trans(t, who, got, MAXTR * 2);
    unsigned m = 0;
    while (m < MAXTR && !(want[m][0] == 0 && want[m][1] == 0))
        m++;
    bool ok = n == m;
    for (unsigned i = 0; ok && i < n; i++)
        ok = got[i][0] == want[i][0] && got[i][1] == want[i][1];
    if (!ok) {
        print_error("side %c: %u transitions, wanted %u\n", who ? 'b' : 'a', n, m);
        print_trans(t);
    }
    assert_true(ok);
}

static void test_row(void **state)
{
    const struct row *r = *state;
    struct tp t;
    tp_init(&t, NULL);
    r->run(&t);
    tp_finish(&t);
    check_side(&t, 0, r->a);
    check_side(&t, 1, r->b);
}

int main(void)
{
    struct CMUnitTest tests[IB_ARRAY_LEN(rows)];
    for (size_t i = 0; i < IB_ARRAY_LEN(rows); i++)
        tests[i] = (struct CMUnitTest){rows[i].name, test_row, NULL, NULL, (void *)&rows[i]};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
