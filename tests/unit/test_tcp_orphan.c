/* Orphans (stack/tcp/tcp_orphan.c): connections the application has closed cannot be kept alive
 * by a peer beyond their bounds (issue 25): 8 zero-window probes, 8 retransmissions, 60 s in
 * FIN_WAIT_2 whatever the peer sends, data after the close discarded without a buffer, and at most
 * tcp_max_orphans of them (the oldest reset first). */
#include <stdlib.h>
#include "lib/tcp_frames.h"
#include "tapstack/socket.h"

#define T0 TS_SEC(10)

static struct ts_stack *orphan_stack(unsigned max_orphans)
{
    struct ts_config c;
    ts_config_default(&c);
    c.seed = 42;
    c.tcp_max_orphans = max_orphans;
    struct ts_stack *s = ts_stack_new(&c, NULL);
    assert_non_null(s);
    assert_int_equal(ts_stack_arp_add(s, T0, PEER_IP, PEER_MAC, true), 0);
    return s;
}

/* A connection from the peer's sport to port 80, accepted; the peer's last ACK advertises wnd.
 * *iss gets our ISS. */
static struct ts_sock *open_conn(struct ts_stack *s, struct ts_sock *l, uint16_t sport, uint16_t wnd, uint32_t *iss)
{
    struct tseg g;
    tcp_in(s, T0, sport, 80, 1000, 0, TS_TCP_SYN, 65535, OPT_MSS1460, 4, NULL, 0);
    assert_true(tcp_out(s, T0, &g));
    assert_int_equal(g.h.flags, TS_TCP_SYN | TS_TCP_ACK);
    *iss = g.h.seq;
    tcp_in(s, T0, sport, 80, 1001, g.h.seq + 1, TS_TCP_ACK, wnd, NULL, 0, NULL, 0);
    struct ts_sock *c = ts_tcp_accept(l, NULL, NULL);
    assert_non_null(c);
    return c;
}

/* Run the stack's timers to its next deadline (at least now); returns the new time. */
static ts_time_t next_timer(struct ts_stack *s, ts_time_t now)
{
    ts_time_t at = ts_stack_poll_at(s);
    assert_true(at != TS_TIME_NEVER);
    if (at > now) now = at;
    ts_stack_poll(s, now);
    return now;
}

static unsigned conns(const struct ts_stack *s)
{
    struct ts_mem_usage m;
    ts_stack_memory(s, &m);
    return m.tcp_conns;
}

static unsigned orphans(const struct ts_stack *s)
{
    struct ts_mem_usage m;
    ts_stack_memory(s, &m);
    return m.tcp_orphans;
}

/* A peer that answers every window probe with a zero window keeps a connection whose application
 * holds it probing for ever; once the application has closed it, 8 probes and it is reset. */
static void zero_window_orphan_reset_after_8_probes(void **st)
{
    (void)st;
    struct ts_stack *s = orphan_stack(0);
    struct ts_sock *l;
    struct tseg g;
    uint32_t iss[2];
    assert_int_equal(ts_tcp_listen(s, 0, 80, 8, NULL, NULL, &l), 0);
    struct ts_sock *held = open_conn(s, l, 4000, 0, &iss[0]);
    struct ts_sock *c = open_conn(s, l, 4001, 0, &iss[1]);
    static const char data[1000] = { 1 };
    assert_int_equal(ts_tcp_send(held, T0, data, sizeof data), (long)sizeof data);
    assert_int_equal(ts_tcp_send(c, T0, data, sizeof data), (long)sizeof data);
    ts_tcp_close(c, T0);
    assert_int_equal(orphans(s), 1);
    ts_time_t now = T0;
    unsigned probes[2] = { 0, 0 }, rst = 0;
    for (int i = 0; i < 200 && now < T0 + TS_SEC(3600); i++) {
        now = next_timer(s, now);
        while (tcp_out(s, now, &g)) {
            unsigned k = g.h.sport == 80 && g.h.dport == 4001;
            if (g.h.flags & TS_TCP_RST) {
                assert_int_equal(k, 1);
                rst++;
                continue;
            }
            probes[k]++;
            tcp_in(s, now, k ? 4001 : 4000, 80, 1001, iss[k] + 1, TS_TCP_ACK, 0, NULL, 0, NULL, 0);
        }
        if (probes[0] >= 20) break;
    }
    assert_int_equal(rst, 1);
    assert_int_equal(probes[1], 8);
    assert_true(probes[0] >= 20);               /* the one its application holds goes on */
    assert_int_equal(ctr(s, TS_CTR_tcp_orphan_timeouts), 1);
    assert_int_equal(orphans(s), 0);
    assert_int_equal(conns(s), 2);              /* the listener and the held one */
    ts_tcp_close(held, now);
    ts_tcp_close(l, now);
    ts_stack_free(s);
}

/* A peer that acknowledges nothing: an orphan gives up after 8 retransmissions, not 15. */
static void silent_peer_orphan_reset_after_8_retransmissions(void **st)
{
    (void)st;
    struct ts_stack *s = orphan_stack(0);
    struct ts_sock *l;
    struct tseg g;
    uint32_t iss;
    assert_int_equal(ts_tcp_listen(s, 0, 80, 8, NULL, NULL, &l), 0);
    struct ts_sock *c = open_conn(s, l, 4000, 65535, &iss);
    assert_int_equal(ts_tcp_send(c, T0, "response", 8), 8);
    ts_tcp_close(c, T0);
    unsigned sent = 0, rst = 0;
    ts_time_t now = T0;
    while (tcp_out(s, now, &g)) sent++;         /* the data and the FIN */
    assert_true(sent >= 1);
    sent = 0;
    for (int i = 0; i < 40 && conns(s) > 1; i++) {
        now = next_timer(s, now);
        while (tcp_out(s, now, &g)) {
            if (g.h.flags & TS_TCP_RST) rst++;
            else if (g.h.seq == iss + 1) sent++;
        }
    }
    assert_int_equal(sent, 8);
    assert_int_equal(rst, 1);
    assert_int_equal(ctr(s, TS_CTR_tcp_orphan_timeouts), 1);
    assert_int_equal(conns(s), 1);
    assert_int_equal(orphans(s), 0);
    ts_tcp_close(l, now);
    ts_stack_free(s);
}

/* FIN_WAIT_2: the peer acknowledges our FIN and then keeps sending data and ACKs. The data is
 * acknowledged and discarded (no buffer), and the connection ends 60 s after FIN_WAIT_2 began. */
static void fin_wait_2_orphan_ends_whatever_the_peer_sends(void **st)
{
    (void)st;
    struct ts_stack *s = orphan_stack(0);
    struct ts_sock *l;
    struct tseg g;
    uint32_t iss;
    assert_int_equal(ts_tcp_listen(s, 0, 80, 8, NULL, NULL, &l), 0);
    struct ts_sock *c = open_conn(s, l, 4000, 65535, &iss);
    ts_tcp_close(c, T0);
    assert_true(tcp_out(s, T0, &g));
    assert_true(g.h.flags & TS_TCP_FIN);
    tcp_in(s, T0, 4000, 80, 1001, iss + 2, TS_TCP_ACK, 65535, NULL, 0, NULL, 0);   /* FIN acked */
    assert_int_equal(orphans(s), 1);
    uint32_t seq = 1001;
    static const char junk[1000] = { 7 };
    ts_time_t now = T0;
    unsigned acks = 0;
    for (int i = 0; i < 100 && conns(s) > 1; i++) {
        now += TS_SEC(1);
        tcp_in(s, now, 4000, 80, seq, iss + 2, TS_TCP_ACK | TS_TCP_PSH, 65535, NULL, 0, junk, sizeof junk);
        seq += sizeof junk;
        while (tcp_out(s, now, &g))
            if (g.h.ack == seq) acks++;
        struct ts_mem_usage m;
        ts_stack_memory(s, &m);
        assert_int_equal(m.tcp_buffers, 0);     /* nothing kept for a reader that is gone */
        ts_stack_poll(s, now);
    }
    assert_int_equal(conns(s), 1);
    assert_true(now <= T0 + TS_SEC(61));
    assert_true(acks >= 50);
    assert_true(ctr(s, TS_CTR_tcp_orphan_data_discarded) >= 50);
    assert_int_equal(orphans(s), 0);
    ts_tcp_close(l, now);
    ts_stack_free(s);
}

/* At most tcp_max_orphans: past it the oldest orphan is reset, the newest keeps its graceful
 * close; an orphan that reaches TIME_WAIT is no longer one. */
static void orphan_limit_resets_the_oldest(void **st)
{
    (void)st;
    struct ts_stack *s = orphan_stack(4);
    struct ts_sock *l;
    struct tseg g;
    uint32_t iss[6];
    assert_int_equal(ts_tcp_listen(s, 0, 80, 16, NULL, NULL, &l), 0);
    struct ts_sock *c[6];
    for (unsigned i = 0; i < 6; i++) c[i] = open_conn(s, l, (uint16_t)(4000 + i), 65535, &iss[i]);
    for (unsigned i = 0; i < 6; i++) {
        assert_int_equal(ts_tcp_send(c[i], T0, "bye", 3), 3);
        ts_tcp_close(c[i], T0);
        unsigned rst_to = 0;
        while (tcp_out(s, T0, &g))
            if (g.h.flags & TS_TCP_RST) rst_to = g.h.dport;
        if (i < 4) {
            assert_int_equal(rst_to, 0);
        } else {
            assert_int_equal(rst_to, 4000 + (i - 4));   /* the oldest */
        }
        assert_int_equal(orphans(s), i < 4 ? i + 1 : 4);
    }
    assert_int_equal(ctr(s, TS_CTR_tcp_orphans_reset_limit), 2);
    /* the newest ends normally: data and FIN acknowledged, then the peer's FIN: TIME_WAIT */
    tcp_in(s, T0, 4005, 80, 1001, iss[5] + 5, TS_TCP_ACK | TS_TCP_FIN, 65535, NULL, 0, NULL, 0);
    while (tcp_out(s, T0, &g)) assert_false(g.h.flags & TS_TCP_RST);
    assert_int_equal(orphans(s), 3);
    struct ts_mem_usage m;
    ts_stack_memory(s, &m);
    assert_int_equal(m.tcp_conns + m.tcp_time_wait, 1 + 4);   /* the listener, 3 orphans, 1 TIME_WAIT */
    ts_tcp_close(l, T0);
    ts_stack_free(s);
}

/* The RST of a connection we abort is not a reply: while the frame pool is down to the reserve
 * kept for replies (data queued to 200 peers and not yet drained), an abort sends none and counts
 * it; a SYN still gets its SYN,ACK. Once the queue drains, an abort sends its RST again. */
static void abort_rst_leaves_the_reply_reserve(void **st)
{
    (void)st;
    struct ts_stack *s = orphan_stack(0);
    struct ts_sock *l;
    struct tseg g;
    uint32_t iss;
    assert_int_equal(ts_tcp_listen(s, 0, 80, 256, NULL, NULL, &l), 0);
    enum { N = 200 };
    static struct ts_sock *c[N];
    static char data[16384];
    for (unsigned i = 0; i < N; i++) c[i] = open_conn(s, l, (uint16_t)(10000 + i), 65535, &iss);
    for (unsigned i = 0; i < N; i++) ts_tcp_send(c[i], T0, data, sizeof data);   /* queued, not drained */
    assert_true(ctr(s, TS_CTR_tcp_output_blocked) > 0);   /* data stopped at the reserve */
    ts_tcp_abort(c[0], T0);
    assert_int_equal(ctr(s, TS_CTR_tcp_rst_own_not_sent), 1);
    tcp_in(s, T0, 9999, 80, 5000, 0, TS_TCP_SYN, 65535, OPT_MSS1460, 4, NULL, 0);   /* a real client */
    unsigned rst = 0, synack = 0;
    while (tcp_out(s, T0, &g)) {
        if (g.h.flags & TS_TCP_RST) rst++;
        if (g.h.flags == (TS_TCP_SYN | TS_TCP_ACK) && g.h.dport == 9999) synack++;
    }
    assert_int_equal(rst, 0);
    assert_int_equal(synack, 1);
    ts_tcp_abort(c[1], T0);                               /* the queue is drained: a RST */
    assert_true(tcp_out(s, T0, &g));
    assert_true(g.h.flags & TS_TCP_RST);
    assert_int_equal(g.h.dport, 10001);
    assert_int_equal(ctr(s, TS_CTR_tcp_rst_own_not_sent), 1);
    for (unsigned i = 2; i < N; i++) ts_tcp_abort(c[i], T0);
    ts_tcp_close(l, T0);
    ts_stack_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(zero_window_orphan_reset_after_8_probes),
        cmocka_unit_test(silent_peer_orphan_reset_after_8_retransmissions),
        cmocka_unit_test(fin_wait_2_orphan_ends_whatever_the_peer_sends),
        cmocka_unit_test(orphan_limit_resets_the_oldest),
        cmocka_unit_test(abort_rst_leaves_the_reply_reserve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
