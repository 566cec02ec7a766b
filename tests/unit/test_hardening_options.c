/*
 * Hardening, root cause 2: option loops that never advance on length 0 or 1, or read past the
 * header on an overrunning length (AMNESIA:33's uIP/FNET option loops, URGENT/11's TCP options).
 *
 * TCP options with length 0, 1 and past the header; every (kind, length) pair at every place
 * fed to the option parser in a buffer of exactly the option bytes (ASan sees any overread);
 * MSS 0, 1 and 65535; window scale 15 and 255 (capped at 14, RFC 7323 §2.3); IPv4 options that
 * lie. Each time the loop ends, the SYN gets its SYN,ACK as if the malformed option were absent,
 * and data then flows at the segment size the RFCs give.
 */
#include <stdlib.h>
#include "lib/harden.h"
#include "wire/tcp.h"

#define T0 H_T0

struct conn {
    struct ts_sock *c;
    uint32_t peer_isn, our_isn;
    struct frm_tcp_opts synack_opts;
};

/* A SYN from the peer with raw options opt (padded by the builder); complete the handshake and
 * accept. */
static struct conn open_with_opts(struct ts_stack *s, struct ts_sock *l, uint16_t sport,
                                  const uint8_t *opt, size_t optlen)
{
    struct conn k = { .peer_isn = 7000u * sport };
    uint8_t buf[FRM_MAX_FRAME];
    struct frm_pkt p;
    struct frm_tcp t = { .seq = k.peer_isn, .flags = FRM_SYN, .win = 65535 };
    if (optlen) assert_true(frm_opt_raw(&t, opt, optlen));
    uint64_t opens = ctr(s, TS_CTR_tcp_passive_opens);
    h_tcp_from(s, T0, PEER_IP, sport, 80, &t);
    assert_int_equal(ctr(s, TS_CTR_tcp_passive_opens), opens + 1);
    assert_true(h_next_tcp(s, T0, buf, sizeof buf, &p));
    assert_int_equal(p.tcp.flags, FRM_SYN | FRM_ACK);
    assert_int_equal(p.tcp.ack, k.peer_isn + 1);
    frm_tcp_opts_parse(p.tcp.opt, p.tcp.opt_len, &k.synack_opts);
    assert_false(k.synack_opts.malformed);
    k.our_isn = p.tcp.seq;
    struct frm_tcp a = { .seq = k.peer_isn + 1, .ack = k.our_isn + 1, .flags = FRM_ACK, .win = 65535 };
    h_tcp_from(s, T0, PEER_IP, sport, 80, &a);
    k.c = ts_tcp_accept(l, NULL, NULL);
    assert_non_null(k.c);
    assert_int_equal(ts_tcp_get_state(k.c), TS_TCP_ESTABLISHED);
    return k;
}

static uint16_t conn_mss(const struct ts_sock *c)
{
    struct ts_tcp_info in;
    ts_tcp_get_info(c, &in);
    return in.mss;
}

/* The server sends n bytes; the segments it emits carry at most max bytes each, and all of them
 * arrive in order. Returns the number of segments. */
static unsigned send_and_check(struct ts_stack *s, struct conn *k, size_t n, uint16_t max)
{
    static uint8_t data[4096];
    for (size_t i = 0; i < n; i++) data[i] = (uint8_t)(i * 31 + 7);
    assert_int_equal(ts_tcp_send(k->c, T0, data, n), (long)n);
    uint8_t buf[FRM_MAX_FRAME];
    struct frm_pkt p;
    size_t got = 0;
    unsigned segs = 0;
    ts_time_t now = T0;
    for (int round = 0; round < 200 && got < n; round++) {
        while (h_next_tcp(s, now, buf, sizeof buf, &p)) {
            if (!p.tcp.data_len) continue;
            assert_true(p.tcp.data_len <= max);
            assert_int_equal(p.tcp.seq, k->our_isn + 1 + got);
            assert_memory_equal(p.tcp.data, data + got, p.tcp.data_len);
            got += p.tcp.data_len;
            segs++;
            struct frm_tcp a = { .seq = k->peer_isn + 1, .ack = k->our_isn + 1 + (uint32_t)got,
                                 .flags = FRM_ACK, .win = 65535 };
            uint16_t sport;
            ts_sock_name(k->c, NULL, NULL, NULL, &sport);
            h_tcp_from(s, now, PEER_IP, sport, 80, &a);
        }
        now += TS_MS(1);
    }
    assert_int_equal(got, n);
    return segs;
}

/* The option parser, given every (kind, length) pair at every offset of a 40-byte option area
 * (and each alone in a buffer of exactly its size): it always returns, and ASan sees no read
 * outside the buffer. */
static void parser_every_kind_and_length(void **st)
{
    (void)st;
    unsigned calls = 0;
    for (size_t size = 1; size <= 40; size += 13) {
        for (size_t at = 0; at < size; at++) {
            for (unsigned kind = 0; kind < 256; kind++) {
                for (unsigned len = 0; len < 256; len += (len < 12 ? 1 : 17)) {
                    uint8_t *o = malloc(size);
                    memset(o, TS_TCPOPT_NOP, size);
                    o[at] = (uint8_t)kind;
                    if (at + 1 < size) o[at + 1] = (uint8_t)len;
                    struct ts_tcp_opts r;
                    ts_tcp_parse_opts(o, size, &r);
                    free(o);
                    calls++;
                }
            }
        }
    }
    /* random bytes */
    uint32_t x = 12345;
    for (int i = 0; i < 100000; i++) {
        size_t size = (size_t)(i % 40) + 1;
        uint8_t *o = malloc(size);
        for (size_t j = 0; j < size; j++) {
            x = x * 1103515245u + 12345u;
            o[j] = (uint8_t)(x >> 16);
            if ((x >> 8) % 5 == 0) o[j] = (uint8_t)((x >> 4) & 1);   /* many 0/1 lengths */
        }
        struct ts_tcp_opts r;
        ts_tcp_parse_opts(o, size, &r);
        free(o);
    }
    assert_true(calls > 100000);
}

/* SYNs whose options have length 0, 1, or run past the header: each is answered with a SYN,ACK
 * as if the malformed option and what follows were not there (default MSS 536, no window
 * scaling), and the connection then carries data. */
static void option_length_zero_one_overrun(void **st)
{
    (void)st;
    struct ts_stack *s = h_stack(11);
    struct ts_sock *l;
    assert_int_equal(ts_tcp_listen(s, 0, 80, 32, NULL, NULL, &l), 0);
    h_legit_exchange(s, T0, l, PEER_IP, 39999, 98);      /* warm up: the frame pool's first chunk */
    unsigned pool = ts_frame_pool_free(s);
    size_t heap0 = heap_now();
    struct ts_mem_usage m0, m1;
    ts_stack_memory(s, &m0);
    uint64_t opens0 = ctr(s, TS_CTR_tcp_passive_opens), est0 = ctr(s, TS_CTR_tcp_established);
    static const struct { uint8_t o[12]; uint8_t n; } bad[] = {
        { { 2, 0, 5, 0xb4 }, 4 },                  /* MSS, length 0 */
        { { 2, 1, 5, 0xb4 }, 4 },                  /* MSS, length 1 */
        { { 99, 0, 2, 4, 5, 0xb4 }, 6 },           /* unknown kind, length 0, then a real MSS */
        { { 99, 1, 2, 4, 5, 0xb4 }, 6 },           /* unknown kind, length 1 */
        { { 3, 0, 7, 1 }, 4 },                     /* window scale, length 0 */
        { { 8, 1, 0, 0 }, 4 },                     /* timestamps, length 1 */
        { { 1, 1, 1, 2 }, 4 },                     /* kind with no room for its length byte */
        { { 2, 40, 5, 0xb4 }, 4 },                 /* MSS, length past the header */
        { { 8, 255, 1, 2, 3, 4, 5, 6 }, 8 },       /* timestamps, length 255 */
        { { 99, 200, 0, 0 }, 4 },                  /* unknown kind overrunning */
        { { 1, 1, 1, 1, 1, 1, 1, 1, 99, 2, 2, 0 }, 12 },   /* NOPs, empty option, MSS length 0 */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct conn k = open_with_opts(s, l, (uint16_t)(2000 + i), bad[i].o, bad[i].n);
        assert_int_equal(conn_mss(k.c), 536);
        struct ts_tcp_info in;
        ts_tcp_get_info(k.c, &in);
        assert_int_equal(in.snd_wscale, 0);
        assert_false(k.synack_opts.has_ws);        /* RFC 7323: no scale unless the peer offered one */
        send_and_check(s, &k, 1200, 536);
        ts_tcp_abort(k.c, T0);
        drain(s, T0);
    }
    assert_int_equal(ctr(s, TS_CTR_tcp_passive_opens) - opens0, sizeof bad / sizeof bad[0]);
    assert_int_equal(ctr(s, TS_CTR_tcp_established) - est0, sizeof bad / sizeof bad[0]);
    /* malformed options on an established connection's data segment: the data is taken */
    static const uint8_t junk[8] = { 8, 0, 5, 1, 1, 99, 1, 0 };
    struct conn k = open_with_opts(s, l, 3000, NULL, 0);
    struct frm_tcp d = { .seq = k.peer_isn + 1, .ack = k.our_isn + 1, .flags = FRM_ACK | FRM_PSH,
                         .win = 65535, .data = (const uint8_t *)"abc", .data_len = 3 };
    frm_opt_raw(&d, junk, sizeof junk);
    h_tcp_from(s, T0, PEER_IP, 3000, 80, &d);
    char in[8];
    assert_int_equal(ts_tcp_recv(k.c, T0, in, sizeof in), 3);
    assert_memory_equal(in, "abc", 3);
    ts_tcp_abort(k.c, T0);
    drain(s, T0);
    assert_int_equal(h_tcp_conns(s), 1);
    assert_int_equal(ts_frame_pool_free(s), pool);
    ts_stack_memory(s, &m1);   /* ring storage kept as spares (tcp_ring_spare.c) is not a leak */
    assert_true(heap_growth(heap0) < 64 * 1024 + (m1.other - m0.other) * 17 / 16);
    assert_true(m1.other - m0.other <= 16 * 128 * 1024);
    h_legit_exchange(s, T0, l, PEER_IP, 40000, 99);
    ts_tcp_close(l, T0);
    ts_stack_free(s);
}

/* MSS 0 and 1 are raised to the floor (48: no zero-length segments, no division by zero); 65535
 * is capped at ours (1460). Data flows in segments of that size. */
static void mss_zero_one_max(void **st)
{
    (void)st;
    struct ts_stack *s = h_stack(12);
    struct ts_sock *l;
    assert_int_equal(ts_tcp_listen(s, 0, 80, 8, NULL, NULL, &l), 0);
    static const struct { uint16_t offered, used; } cases[] = {
        { 0, 48 }, { 1, 48 }, { 47, 48 }, { 48, 48 }, { 65535, 1460 }, { 1461, 1460 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t o[4] = { 2, 4, (uint8_t)(cases[i].offered >> 8), (uint8_t)cases[i].offered };
        struct conn k = open_with_opts(s, l, (uint16_t)(2100 + i), o, 4);
        assert_int_equal(conn_mss(k.c), cases[i].used);
        assert_true(k.synack_opts.has_mss);
        assert_int_equal(k.synack_opts.mss, 1460);              /* ours, whatever the peer said */
        unsigned segs = send_and_check(s, &k, 3000, cases[i].used);
        assert_int_equal(segs, (3000 + cases[i].used - 1) / cases[i].used);
        ts_tcp_abort(k.c, T0);
        drain(s, T0);
    }
    h_legit_exchange(s, T0, l, PEER_IP, 40001, 5);
    ts_tcp_close(l, T0);
    ts_stack_free(s);
}

/* Window scale 14 is the maximum (RFC 7323 §2.3): 15 and 255 are used as 14. A window of 65535
 * then means 65535 << 14, not an overflowed shift. */
static void window_scale_capped(void **st)
{
    (void)st;
    struct ts_stack *s = h_stack(13);
    struct ts_sock *l;
    assert_int_equal(ts_tcp_listen(s, 0, 80, 8, NULL, NULL, &l), 0);
    static const uint8_t offered[] = { 0, 7, 14, 15, 16, 31, 32, 255 };
    for (size_t i = 0; i < sizeof offered; i++) {
        uint8_t o[4] = { 1, 3, 3, offered[i] };
        struct conn k = open_with_opts(s, l, (uint16_t)(2200 + i), o, 4);
        struct ts_tcp_info in;
        ts_tcp_get_info(k.c, &in);
        uint8_t want = offered[i] > 14 ? 14 : offered[i];
        assert_int_equal(in.snd_wscale, want);
        assert_true(k.synack_opts.has_ws);
        assert_true(k.synack_opts.ws <= 14);
        struct frm_tcp a = { .seq = k.peer_isn + 1, .ack = k.our_isn + 1, .flags = FRM_ACK, .win = 65535 };
        h_tcp_from(s, T0, PEER_IP, (uint16_t)(2200 + i), 80, &a);
        ts_tcp_get_info(k.c, &in);
        assert_int_equal(in.snd_wnd, 65535u << want);
        ts_tcp_abort(k.c, T0);
        drain(s, T0);
    }
    h_legit_exchange(s, T0, l, PEER_IP, 40002, 5);
    ts_tcp_close(l, T0);
    ts_stack_free(s);
}

/* IPv4 options are skipped, never parsed: option bytes with length 0, 1 or overrunning (and an
 * IHL of 15) still let the ping through, counted under options_skipped. */
static void ipv4_options_skipped(void **st)
{
    (void)st;
    struct ts_stack *s = h_stack(14);
    static const uint8_t opts[][4] = {
        { 0x44, 0, 0, 0 }, { 0x44, 1, 5, 0 }, { 0x07, 255, 4, 0 }, { 0x83, 2, 0, 0 }, { 0x01, 0x01, 0x01, 0x00 },
    };
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        for (unsigned words = 1; words <= 10; words += 9) {
            uint8_t f[256];
            size_t o = put_eth(f, OUR_MAC, 0x0800);
            uint8_t *ip = f + o;
            size_t ihl = 20 + 4 * words;
            size_t mlen = 8 + 16;
            ip[0] = (uint8_t)(0x40 | (ihl / 4)); ip[1] = 0;
            ts_put16(ip + 2, (uint16_t)(ihl + mlen));
            ts_put16(ip + 4, 1); ts_put16(ip + 6, 0);
            ip[8] = 64; ip[9] = 1;
            ts_put16(ip + 10, 0);
            ts_put32(ip + 12, PEER_IP); ts_put32(ip + 16, OUR_IP);
            for (unsigned w = 0; w < words; w++) memcpy(ip + 20 + 4 * w, opts[i], 4);
            ts_put16(ip + 10, ts_csum(ip, ihl));
            uint8_t *m = ip + ihl;
            memset(m, 0, mlen);
            m[0] = 8;
            ts_put16(m + 4, 0x3333); ts_put16(m + 6, (uint16_t)i);
            ts_put16(m + 2, ts_csum(m, mlen));
            uint64_t before = ctr(s, TS_CTR_ipv4_options_skipped);
            ts_stack_receive(s, T0, f, o + ihl + mlen);
            assert_int_equal(ctr(s, TS_CTR_ipv4_options_skipped), before + 1);
            uint8_t out[256];
            size_t n = ts_stack_transmit(s, T0, out, sizeof out);
            assert_true(n >= 14 + 20 + mlen);
            assert_int_equal(out[14], 0x45);                 /* the reply carries no options */
            assert_int_equal(out[34], 0);
            assert_int_equal(ts_get16(out + 38), 0x3333);
        }
    }
    assert_int_equal(ctr(s, TS_CTR_icmp_tx_echo_replies), 10);
    assert_true(h_ping_answered(s, T0, 1));
    ts_stack_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parser_every_kind_and_length),
        cmocka_unit_test(option_length_zero_one_overrun),
        cmocka_unit_test(mss_zero_one_max),
        cmocka_unit_test(window_scale_capped),
        cmocka_unit_test(ipv4_options_skipped),
    };
    return cmocka_run_group_tests_name("hardening: option loops", tests, NULL, NULL);
}
