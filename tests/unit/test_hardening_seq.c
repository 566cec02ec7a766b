/*
 * Hardening, root cause 4: sequence arithmetic that is not modulo 2^32, and the checks built on
 * it (blind RST/SYN/data injection, RFC 5961; ACKs outside the window; nonsense flag sets).
 *
 * Data across the 2^32 wrap in both directions, in order and reversed; ACKs far outside the
 * window (unsent data, older than the largest window); RST and SYN at and around RCV.NXT;
 * SYN+FIN and other flag sets no segment may carry; the land attack. Each time the counter named
 * for the reason moves or the RFC's answer (challenge ACK, ACK) comes out, the connection keeps
 * its state, and data then still flows.
 */
#include "lib/harden.h"

#define T0 H_T0

static struct ts_tcp_info info(const struct ts_sock *c)
{
    struct ts_tcp_info in;
    ts_tcp_get_info(c, &in);
    return in;
}

/* Pattern byte i of a stream. */
static uint8_t sb(size_t i) { return (uint8_t)(i * 7 + (i >> 8) + 1); }

/* The peer's ISN just below 2^32: 40 segments of 100 bytes cross the wrap, sent in order, then
 * another 40 sent in reverse order; everything is delivered once, in order. */
static void peer_data_across_wrap(void **st)
{
    (void)st;
    struct ts_stack *s = h_stack(31);
    struct ts_sock *l;
    assert_int_equal(ts_tcp_listen(s, 0, 80, 4, NULL, NULL, &l), 0);
    static const uint32_t isns[] = { 0xfffffff0u, 0xffffffffu, 0xfffff000u, 0x7ffffff0u };
    for (size_t r = 0; r < sizeof isns / sizeof isns[0]; r++) {
        struct h_conn k = h_open(s, T0, l, PEER_IP, (uint16_t)(6000 + r), isns[r]);
        uint8_t d[100], got[8192];
        size_t base = 0, have = 0;
        for (unsigned i = 0; i < 40; i++) {
            for (size_t j = 0; j < 100; j++) d[j] = sb(base + i * 100 + j);
            h_send(s, T0, &k, k.peer_nxt + i * 100, FRM_ACK | FRM_PSH, 0, d, 100);
        }
        base += 4000;
        for (unsigned i = 40; i-- > 0;) {                   /* reversed: all but the last are out of order */
            for (size_t j = 0; j < 100; j++) d[j] = sb(base + i * 100 + j);
            h_send(s, T0, &k, k.peer_nxt + (uint32_t)base + i * 100, FRM_ACK, 0, d, 100);
        }
        long n;
        while ((n = ts_tcp_recv(k.c, T0, got + have, sizeof got - have)) > 0) have += (size_t)n;
        assert_int_equal(have, 8000);
        for (size_t i = 0; i < have; i++) assert_int_equal(got[i], sb(i));
        assert_int_equal(info(k.c).rcv_nxt, k.peer_nxt + 8000);
        assert_int_equal(info(k.c).ooo_bytes, 0);
        ts_tcp_abort(k.c, T0);
        drain(s, T0);
    }
    assert_int_equal(ctr(s, TS_CTR_tcp_drop_out_of_window), 0);
    ts_tcp_close(l, T0);
    ts_stack_free(s);
}

/* Our ISN just below 2^32 (the clock is moved until RFC 6528's ISN for the 4-tuple lands there):
 * 20,000 bytes sent across the wrap arrive in order, and the peer's wrapped ACKs free the send
 * buffer. */
static void our_data_across_wrap(void **st)
{
    (void)st;
    struct ts_stack *s = h_stack(32);
    struct ts_sock *l;
    assert_int_equal(ts_tcp_listen(s, 0, 80, 4, NULL, NULL, &l), 0);
    struct h_conn k = h_open(s, T0, l, PEER_IP, 6100, 5000);
    uint32_t h = (k.our_nxt - 1) - (uint32_t)(T0 / 4);      /* the keyed hash of this 4-tuple */
    ts_tcp_abort(k.c, T0);
    drain(s, T0);
    uint64_t ticks = (uint32_t)(0xfffffff0u - h);
    if (ticks <= T0 / 4) ticks += 1ull << 32;
    ts_time_t t1 = ticks * 4;
    k = h_open(s, t1, l, PEER_IP, 6100, 5000);
    assert_int_equal(k.our_nxt - 1, 0xfffffff0u);
    static uint8_t data[20000];
    for (size_t i = 0; i < sizeof data; i++) data[i] = sb(i);
    assert_int_equal(ts_tcp_send(k.c, t1, data, sizeof data), (long)sizeof data);
    uint8_t buf[FRM_MAX_FRAME];
    struct frm_pkt p;
    size_t got = 0;
    ts_time_t now = t1;
    for (int round = 0; round < 1000 && got < sizeof data; round++) {
        while (h_next_tcp(s, now, buf, sizeof buf, &p)) {
            if (!p.tcp.data_len) continue;
            assert_int_equal(p.tcp.seq, (uint32_t)(k.our_nxt + got));
            assert_memory_equal(p.tcp.data, data + got, p.tcp.data_len);
            got += p.tcp.data_len;
            struct frm_tcp a = { .seq = k.peer_nxt, .ack = (uint32_t)(k.our_nxt + got), .flags = FRM_ACK,
                                 .win = 65535 };
            h_tcp_from(s, now, PEER_IP, 6100, 80, &a);
        }
        now += TS_MS(1);
        if (ts_stack_poll_at(s) <= now) ts_stack_poll(s, now);
    }
    assert_int_equal(got, sizeof data);
    struct ts_tcp_info in = info(k.c);
    assert_int_equal(in.snd_una, (uint32_t)(0xfffffff1u + sizeof data));
    assert_true(in.snd_una < 0x10000u);                      /* it did wrap */
    assert_int_equal(in.snd_queued, 0);
    assert_int_equal(ctr(s, TS_CTR_tcp_drop_ack_unsent) + ctr(s, TS_CTR_tcp_drop_ack_too_old), 0);
    ts_tcp_abort(k.c, now);
    ts_tcp_close(l, now);
    ts_stack_free(s);
}

/* ACKs for data never sent (up to 2^31 - 1 ahead) and older than SND.UNA - MAX.SND.WND (RFC
 * 5961 §5.2): dropped, answered with an ACK, the data they carry not taken; then a valid ACK
 * works. (An ACK 2^31 away is on both sides at once, modulo 2^32: it is dropped either way.) */
static void ack_far_outside_window(void **st)
{
    (void)st;
    struct ts_stack *s = h_stack(33);
    struct ts_sock *l;
    assert_int_equal(ts_tcp_listen(s, 0, 80, 4, NULL, NULL, &l), 0);
    struct h_conn k = h_open(s, T0, l, PEER_IP, 6200, 0x12345678);
    static const uint8_t out[2000] = { 9 };
    assert_int_equal(ts_tcp_send(k.c, T0, out, sizeof out), 2000);
    drain(s, T0);
    struct ts_tcp_info in = info(k.c);
    static const struct { int64_t delta; enum ts_counter_id id; } cases[] = {
        { 2001, TS_CTR_tcp_drop_ack_unsent }, { 0x7fffffff, TS_CTR_tcp_drop_ack_unsent },
        { 100000, TS_CTR_tcp_drop_ack_unsent }, { -70000, TS_CTR_tcp_drop_ack_too_old },
        { -0x70000000, TS_CTR_tcp_drop_ack_too_old }, { -(int64_t)0x40000000, TS_CTR_tcp_drop_ack_too_old },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t before = ctr(s, cases[i].id);
        struct frm_tcp a = { .seq = k.peer_nxt, .ack = (uint32_t)(in.snd_una + (uint32_t)cases[i].delta),
                             .flags = FRM_ACK | FRM_PSH, .win = 65535, .data = (const uint8_t *)"evil", .data_len = 4 };
        h_tcp_from(s, T0, PEER_IP, 6200, 80, &a);
        assert_int_equal(ctr(s, cases[i].id), before + 1);
        uint32_t ack;
        assert_true(h_last_ack(s, T0, &k, &ack));
        assert_int_equal(ack, k.peer_nxt);                 /* the data was not taken */
        assert_int_equal(ts_tcp_recv_avail(k.c), 0);
        assert_int_equal(info(k.c).snd_una, in.snd_una);
        assert_int_equal(ts_tcp_get_state(k.c), TS_TCP_ESTABLISHED);
    }
    struct frm_tcp a = { .seq = k.peer_nxt, .ack = in.snd_una + 2000, .flags = FRM_ACK | FRM_PSH, .win = 65535,
                         .data = (const uint8_t *)"good", .data_len = 4 };
    h_tcp_from(s, T0, PEER_IP, 6200, 80, &a);
    assert_int_equal(info(k.c).snd_una, in.snd_una + 2000);
    char got[8];
    assert_int_equal(ts_tcp_recv(k.c, T0, got, sizeof got), 4);
    assert_memory_equal(got, "good", 4);
    ts_tcp_abort(k.c, T0);
    h_legit_exchange(s, T0, l, PEER_IP, 40000, 0xfffffffeu);
    ts_tcp_close(l, T0);
    ts_stack_free(s);
}

/* RST and SYN around RCV.NXT (RFC 5961 §3, §4): out of window, silently dropped; in window but
 * not exact, a challenge ACK (rate limited); exactly at RCV.NXT, the connection is reset. */
static void blind_rst_and_syn(void **st)
{
    (void)st;
    struct ts_stack *s = h_stack(34);
    struct ts_sock *l;
    assert_int_equal(ts_tcp_listen(s, 0, 80, 4, NULL, NULL, &l), 0);
    struct h_conn k = h_open(s, T0, l, PEER_IP, 6300, 0xffffff00u);   /* the window wraps */
    uint32_t wnd = info(k.c).rcv_wnd;
    static const uint32_t out[] = { 0x80000000u, 0xffffffffu, 70000, 0x7fffffffu };
    for (size_t i = 0; i < sizeof out / sizeof out[0]; i++) {
        uint64_t oow = ctr(s, TS_CTR_tcp_drop_out_of_window);
        h_send(s, T0, &k, k.peer_nxt + out[i], FRM_RST, 0, NULL, 0);
        assert_int_equal(ctr(s, TS_CTR_tcp_drop_out_of_window), oow + 1);
        assert_int_equal(drain(s, T0), 0);                  /* never answer a RST */
    }
    for (size_t i = 0; i < 2; i++) {
        uint64_t rstw = ctr(s, TS_CTR_tcp_drop_rst_in_window), ch = ctr(s, TS_CTR_tcp_challenge_acks);
        h_send(s, T0, &k, k.peer_nxt + (i ? wnd - 1 : 1), FRM_RST | FRM_ACK, 0, NULL, 0);
        assert_int_equal(ctr(s, TS_CTR_tcp_drop_rst_in_window), rstw + 1);
        assert_int_equal(ctr(s, TS_CTR_tcp_challenge_acks), ch + 1);
        uint32_t ack;
        assert_true(h_last_ack(s, T0, &k, &ack));
        assert_int_equal(ack, k.peer_nxt);
    }
    uint64_t sw = ctr(s, TS_CTR_tcp_drop_syn_in_window);
    h_send(s, T0, &k, k.peer_nxt + 100, FRM_SYN, 0, NULL, 0);
    assert_int_equal(ctr(s, TS_CTR_tcp_drop_syn_in_window), sw + 1);
    uint32_t ack;
    assert_true(h_last_ack(s, T0, &k, &ack));
    assert_int_equal(ack, k.peer_nxt);
    /* a flood of in-window RSTs gets at most TS_TCP_CHALLENGE_PER_SEC challenge ACKs a second */
    uint64_t lim = ctr(s, TS_CTR_tcp_challenge_acks_limited);
    unsigned answered = 0;
    for (unsigned i = 0; i < 1000; i++) {
        h_send(s, T0 + TS_MS(1), &k, k.peer_nxt + 1 + i, FRM_RST, 0, NULL, 0);
        answered += drain(s, T0 + TS_MS(1));
    }
    assert_true(answered <= 10);
    assert_true(ctr(s, TS_CTR_tcp_challenge_acks_limited) >= lim + 990);
    assert_int_equal(ts_tcp_get_state(k.c), TS_TCP_ESTABLISHED);
    /* data still flows, then the exact RST resets */
    h_send(s, T0 + TS_MS(2), &k, k.peer_nxt, FRM_ACK | FRM_PSH, 0, "ok", 2);
    char got[4];
    assert_int_equal(ts_tcp_recv(k.c, T0 + TS_MS(2), got, sizeof got), 2);
    k.peer_nxt += 2;
    h_send(s, T0 + TS_MS(2), &k, k.peer_nxt, FRM_RST, 0, NULL, 0);
    assert_int_equal(ts_tcp_get_state(k.c), TS_TCP_CLOSED);
    assert_int_equal(ts_sock_error(k.c), TS_ECONNRESET);
    ts_tcp_close(k.c, T0 + TS_MS(2));
    drain(s, T0 + TS_MS(2));
    h_legit_exchange(s, T0 + TS_MS(2), l, PEER_IP, 40000, 5);
    ts_tcp_close(l, T0 + TS_MS(2));
    ts_stack_free(s);
}

/* SYN+FIN (and the "christmas tree" with every flag) with the drop_synfin knob on: to a listener
 * and to a closed port dropped under drop_syn_fin, never answered, no state made; to an
 * established connection (in the window, not at RCV.NXT) at most a challenge ACK (RFC 5961 §3-4),
 * and the connection stays. */
static void syn_fin_dropped(void **st)
{
    (void)st;
    struct ts_stack *s = h_stack(35);
    struct ts_sock *l;
    assert_int_equal(ts_tcp_listen(s, 0, 80, 4, NULL, NULL, &l), 0);
    assert_int_equal(ts_stack_set_knob(s, "drop_synfin", true), 0);
    struct h_conn k = h_open(s, T0, l, PEER_IP, 6400, 1);
    static const uint8_t bad[] = {
        FRM_SYN | FRM_FIN, FRM_SYN | FRM_FIN | FRM_ACK, FRM_SYN | FRM_FIN | FRM_PSH | FRM_URG,
        0xff, FRM_SYN | FRM_FIN | FRM_RST,
    };
    unsigned conns = h_tcp_conns(s);
    uint64_t n = 0;
    for (size_t i = 0; i < sizeof bad; i++) {
        static const uint16_t ports[3] = { 80, 80, 81 };
        for (int j = 0; j < 3; j++) {
            struct frm_tcp t = { .seq = j == 1 ? k.peer_nxt + 1 : 1000, .ack = k.our_nxt, .flags = bad[i],
                                 .win = 1000, .data = (const uint8_t *)"x", .data_len = 1 };
            h_tcp_from(s, T0, PEER_IP, j == 1 ? 6400 : 6401, ports[j], &t);
            if (j == 1) { assert_true(drain(s, T0) <= 1); continue; }
            assert_int_equal(ctr(s, TS_CTR_tcp_drop_syn_fin), ++n);
            assert_int_equal(drain(s, T0), 0);
        }
    }
    assert_int_equal(h_tcp_conns(s), conns);
    assert_int_equal(ts_tcp_recv_avail(k.c), 0);
    assert_int_equal(ts_tcp_get_state(k.c), TS_TCP_ESTABLISHED);
    assert_int_equal(ctr(s, TS_CTR_tcp_passive_opens), 1);
    ts_tcp_abort(k.c, T0);
    h_legit_exchange(s, T0, l, PEER_IP, 40000, 5);
    ts_tcp_close(l, T0);
    ts_stack_free(s);
}

/* The land attack: a SYN from our own address and port to ourselves. The IPv4 layer refuses a
 * source that is ours (drop_bad_source) before TCP sees it; no SYN,ACK to ourselves, no loop. */
static void land_attack(void **st)
{
    (void)st;
    struct ts_stack *s = h_stack(36);
    struct ts_sock *l;
    assert_int_equal(ts_tcp_listen(s, 0, 80, 4, NULL, NULL, &l), 0);
    uint8_t f[FRM_MAX_FRAME];
    struct frm_addr me = h_addr(OUR_MAC, OUR_IP, 80);
    static const uint8_t flags[] = { FRM_SYN, FRM_SYN | FRM_ACK, FRM_ACK, FRM_RST };
    for (size_t i = 0; i < sizeof flags; i++) {
        struct frm_tcp t = { .seq = 1000, .ack = 1, .flags = flags[i], .win = 1000 };
        size_t n = frm_build_tcp(f, sizeof f, &me, &me, 1, &t);
        ts_stack_receive(s, T0, f, n);
        assert_int_equal(ctr(s, TS_CTR_ipv4_drop_bad_source), i + 1);
        assert_int_equal(drain(s, T0), 0);
    }
    /* the same with the broadcast address as both ends */
    struct frm_addr b = h_addr(OUR_MAC, 0x0a0000ffu, 80);
    struct frm_tcp t = { .seq = 1000, .flags = FRM_SYN, .win = 1000 };
    size_t n = frm_build_tcp(f, sizeof f, &b, &b, 1, &t);
    ts_stack_receive(s, T0, f, n);
    assert_int_equal(ctr(s, TS_CTR_ipv4_drop_bad_source), 5);
    assert_int_equal(drain(s, T0), 0);
    assert_int_equal(ctr(s, TS_CTR_tcp_rx_segments), 0);
    assert_int_equal(ctr(s, TS_CTR_tcp_passive_opens), 0);
    assert_int_equal(h_tcp_conns(s), 1);
    h_legit_exchange(s, T0, l, PEER_IP, 40000, 5);
    ts_tcp_close(l, T0);
    ts_stack_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(peer_data_across_wrap),
        cmocka_unit_test(our_data_across_wrap),
        cmocka_unit_test(ack_far_outside_window),
        cmocka_unit_test(blind_rst_and_syn),
        cmocka_unit_test(syn_fin_dropped),
        cmocka_unit_test(land_attack),
    };
    return cmocka_run_group_tests_name("hardening: sequence arithmetic", tests, NULL, NULL);
}
