/*
 * Hardening, root cause 1: trusting a length field instead of the bytes received
 * (Ripple20's IPv4 tunnelling and DNS bugs, AMNESIA:33's uIP/picoTCP length checks).
 *
 * Every header is fed truncated at every byte, and every length field is made to lie, longer and
 * shorter than the bytes: IPv4 total length and IHL, UDP length, TCP data offset, the IPv4 header
 * quoted in an ICMP error. Each time: the frame is dropped and the counter named for the reason
 * moves by exactly one, nothing is sent, no memory is kept; afterwards a ping is answered and a
 * TCP handshake with data exchange still works.
 */
#include "lib/harden.h"
#include "lib/udp_frames.h"

#define T0 H_T0

/* Feed one frame and check that exactly counter id moved by one and nothing was sent. */
static void expect_drop(struct ts_stack *s, const uint8_t *f, size_t n, enum ts_counter_id id)
{
    uint64_t before = ctr(s, id), drops = h_drops_total(s);
    ts_stack_receive(s, T0, f, n);
    assert_int_equal(ctr(s, id), before + 1);
    assert_int_equal(h_drops_total(s), drops + 1);   /* one reason per frame, not two */
    assert_int_equal(drain(s, T0), 0);
}

/* Legitimate traffic after the attack: a ping is answered, a TCP exchange works, no frame or
 * TCP state leaked. */
static void still_works(struct ts_stack *s, unsigned pool_free)
{
    assert_true(h_ping_answered(s, T0, 99));
    struct ts_sock *l;
    assert_int_equal(ts_tcp_listen(s, 0, 8080, 4, NULL, NULL, &l), 0);
    h_legit_exchange(s, T0, l, PEER_IP, 40000, 123456);
    ts_tcp_close(l, T0);
    drain(s, T0);
    assert_int_equal(ts_frame_pool_free(s), pool_free);
}

/* Every proper prefix of a valid ping, TCP SYN, UDP datagram and ARP request: all dropped,
 * each under exactly one reason, no answer, no memory kept. */
static void every_truncation_dropped(void **st)
{
    (void)st;
    struct ts_stack *s = h_stack(1);
    struct ts_sock *u, *l;
    assert_int_equal(ts_udp_open(s, 0, 7000, NULL, NULL, &u), 0);
    assert_int_equal(ts_tcp_listen(s, 0, 80, 4, NULL, NULL, &l), 0);
    unsigned pool = ts_frame_pool_free(s);
    size_t heap0 = heap_now();
    uint8_t f[4][256];
    size_t n[4];
    n[0] = build_ping(f[0], 32, 1, 1);
    n[1] = build_udp(f[1], OUR_IP, 4000, 7000, 20, CSUM_GOOD, 0, 0);
    n[2] = build_arp(f[2], 1, PEER_MAC, PEER_IP, OUR_IP);
    struct frm_tcp t = { .seq = 1000, .flags = FRM_SYN, .win = 1000 };
    frm_opt_mss(&t, 1460);
    struct frm_addr src = h_addr(PEER_MAC, PEER_IP, 4000), dst = h_addr(OUR_MAC, OUR_IP, 80);
    n[3] = frm_build_tcp(f[3], sizeof f[3], &src, &dst, 1, &t);
    uint64_t drops0 = h_drops_total(s);
    unsigned fed = 0;
    for (int k = 0; k < 4; k++) {
        for (size_t len = 0; len < n[k]; len++) {
            ts_stack_receive(s, T0, f[k], len);
            assert_int_equal(drain(s, T0), 0);
            fed++;
            assert_int_equal(h_drops_total(s), drops0 + fed);
        }
    }
    /* the reasons, layer by layer: 14 Ethernet, 20 IPv4 per IP frame, then the transports */
    assert_int_equal(ctr(s, TS_CTR_eth_drop_short), 4 * 14);
    assert_int_equal(ctr(s, TS_CTR_ipv4_drop_short), 3 * 20);
    assert_int_equal(ctr(s, TS_CTR_arp_drop_short), 28);
    /* past the IPv4 header, a frame shorter than the total length says is the IP layer's to
     * drop: the length field is never trusted over the bytes */
    assert_int_equal(ctr(s, TS_CTR_ipv4_drop_bad_total_len), (n[0] - 34) + (n[1] - 34) + (n[3] - 34));
    assert_int_equal(ctr(s, TS_CTR_icmp_rx_packets), 0);
    assert_int_equal(ctr(s, TS_CTR_udp_rx_datagrams), 0);
    assert_int_equal(ctr(s, TS_CTR_tcp_rx_segments), 0);
    assert_true(heap_growth(heap0) < 4096);
    assert_int_equal(ts_frame_pool_free(s), pool);
    ts_udp_close(u);
    ts_tcp_close(l, T0);
    still_works(s, pool);
    ts_stack_free(s);
}

/* Transport headers cut short while the IPv4 total length agrees with the bytes: the transport
 * drops them as short (the IP layer had no lie to catch). */
static void truncated_transport_headers(void **st)
{
    (void)st;
    struct ts_stack *s = h_stack(2);
    unsigned pool = ts_frame_pool_free(s);
    uint8_t f[128];
    static const uint8_t protos[3] = { 1, 6, 17 };
    static const enum ts_counter_id ids[3] = { TS_CTR_icmp_drop_short, TS_CTR_tcp_drop_short, TS_CTR_udp_drop_short };
    static const size_t hlen[3] = { 8, 20, 8 };
    for (int k = 0; k < 3; k++) {
        for (size_t m = 0; m < hlen[k]; m++) {
            memset(f, 0, sizeof f);
            size_t o = put_eth(f, OUR_MAC, 0x0800);
            o += put_ip(f + o, protos[k], PEER_IP, OUR_IP, m, 7, 0);
            memset(f + o, 0xa5, m);
            expect_drop(s, f, o + m, ids[k]);
        }
    }
    assert_int_equal(ctr(s, TS_CTR_icmp_drop_short), 8);
    assert_int_equal(ctr(s, TS_CTR_tcp_drop_short), 20);
    assert_int_equal(ctr(s, TS_CTR_udp_drop_short), 8);
    still_works(s, pool);
    ts_stack_free(s);
}

/* Re-checksum an IPv4 header at p (20 bytes). */
static void ip_fix(uint8_t *p)
{
    ts_put16(p + 10, 0);
    ts_put16(p + 10, ts_csum(p, 20));
}

/* IPv4 total length longer than the bytes (by 1, by 1000, 65535), shorter than the header (0,
 * 19); IHL under 5 or past the packet; version not 4. Shorter than the bytes is Ethernet padding:
 * the ping is answered with exactly the bytes the total length covers. */
static void ipv4_lengths_lie(void **st)
{
    (void)st;
    struct ts_stack *s = h_stack(3);
    unsigned pool = ts_frame_pool_free(s);
    uint8_t f[1600];
    size_t n = build_ping(f, 32, 1, 1);
    static const uint16_t longer[] = { 1, 2, 8, 1000, 65535 - 60 };
    for (size_t i = 0; i < sizeof longer / sizeof longer[0]; i++) {
        n = build_ping(f, 32, 1, 1);
        ts_put16(f + 16, (uint16_t)(n - 14 + longer[i]));
        ip_fix(f + 14);
        expect_drop(s, f, n, TS_CTR_ipv4_drop_bad_total_len);
    }
    n = build_ping(f, 32, 1, 1);
    ts_put16(f + 16, 65535);
    ip_fix(f + 14);
    expect_drop(s, f, n, TS_CTR_ipv4_drop_bad_total_len);
    static const uint16_t shorter[] = { 0, 1, 19 };
    for (size_t i = 0; i < 3; i++) {
        n = build_ping(f, 32, 1, 1);
        ts_put16(f + 16, shorter[i]);
        ip_fix(f + 14);
        expect_drop(s, f, n, TS_CTR_ipv4_drop_bad_total_len);
    }
    /* IHL 0..4: under the minimum; 15 (60 bytes) on a 28-byte packet: past it */
    for (uint8_t ihl = 0; ihl < 5; ihl++) {
        n = build_ping(f, 0, 1, 1);
        f[14] = (uint8_t)(0x40 | ihl);
        expect_drop(s, f, n, TS_CTR_ipv4_drop_bad_ihl);
    }
    n = build_ping(f, 0, 1, 1);
    f[14] = 0x4f;
    expect_drop(s, f, n, TS_CTR_ipv4_drop_bad_ihl);
    n = build_ping(f, 0, 1, 1);
    f[14] = 0x65;
    ip_fix(f + 14);
    expect_drop(s, f, n, TS_CTR_ipv4_drop_bad_version);
    /* total length shorter than the bytes: the rest is padding, never echoed */
    n = build_ping(f, 32, 0x55, 9);
    memset(f + n, 0xee, 200);
    ts_stack_receive(s, T0, f, n + 200);
    uint8_t out[2048];
    size_t m = ts_stack_transmit(s, T0, out, sizeof out);
    assert_int_equal(m, n);                       /* 74 bytes: no padding needed, none echoed */
    assert_int_equal(ts_get16(out + 16), n - 14);
    assert_int_equal(out[34], 0);                 /* echo reply */
    assert_memory_equal(out + 42, f + 42, 32);
    /* total length cuts the ICMP header: ICMP drops it as short, not the bytes after it */
    n = build_ping(f, 32, 1, 1);
    ts_put16(f + 16, 20 + 4);
    ip_fix(f + 14);
    expect_drop(s, f, n, TS_CTR_icmp_drop_short);
    still_works(s, pool);
    ts_stack_free(s);
}

/* UDP length longer than the IP payload, under 8; shorter than the IP payload (the rest is
 * ignored: exactly ulen - 8 bytes are delivered). */
static void udp_length_lies(void **st)
{
    (void)st;
    struct ts_stack *s = h_stack(4);
    unsigned pool = ts_frame_pool_free(s);
    struct ts_sock *u;
    assert_int_equal(ts_udp_open(s, 0, 7000, NULL, NULL, &u), 0);
    uint8_t f[2048], got[2048];
    static const uint16_t bad[] = { 0, 1, 7, 8 + 20 + 1, 8 + 20 + 100, 65535 };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n = build_udp(f, OUR_IP, 4000, 7000, 20, CSUM_GOOD, bad[i], 0);
        if (bad[i] == 0) ts_put16(f + 14 + 20 + 4, 0);
        expect_drop(s, f, n, TS_CTR_udp_drop_bad_len);
    }
    assert_int_equal(ctr(s, TS_CTR_udp_drop_bad_len), 6);
    assert_int_equal(ts_udp_recvfrom(u, got, sizeof got, NULL, NULL), -TS_EAGAIN);
    /* 20 bytes of datagram, 300 bytes of junk after it inside the IP payload */
    size_t n = build_udp(f, OUR_IP, 4000, 7000, 20, CSUM_GOOD, 0, 300);
    memset(f + 14 + 20 + 28, 0xcc, 300);
    ts_stack_receive(s, T0, f, n);
    assert_int_equal(ts_udp_recvfrom(u, got, sizeof got, NULL, NULL), 20);
    for (size_t i = 0; i < 20; i++) assert_int_equal(got[i], pat(i));
    ts_udp_close(u);
    still_works(s, pool);
    ts_stack_free(s);
}

/* TCP data offset under 5, past the segment, and past the IP total length into Ethernet
 * padding (the padding must not be read as options). */
static void tcp_data_offset_lies(void **st)
{
    (void)st;
    struct ts_stack *s = h_stack(5);
    unsigned pool = ts_frame_pool_free(s);
    struct ts_sock *l;
    assert_int_equal(ts_tcp_listen(s, 0, 80, 4, NULL, NULL, &l), 0);
    uint8_t f[256];
    struct frm_addr src = h_addr(PEER_MAC, PEER_IP, 4000), dst = h_addr(OUR_MAC, OUR_IP, 80);
    struct frm_tcp t = { .seq = 1000, .flags = FRM_SYN, .win = 1000 };
    for (uint8_t off = 0; off < 16; off++) {
        if (off == 5) continue;
        size_t n = frm_build_tcp(f, sizeof f, &src, &dst, 1, &t);   /* 20-byte header, no data */
        f[14 + 20 + 12] = (uint8_t)(off << 4);
        memset(f + n, 0x02, 60);                                     /* padding: looks like options */
        expect_drop(s, f, off < 5 ? n : n + 60, TS_CTR_tcp_drop_bad_offset);
    }
    assert_int_equal(ctr(s, TS_CTR_tcp_drop_bad_offset), 15);
    assert_int_equal(ctr(s, TS_CTR_tcp_passive_opens), 0);
    assert_int_equal(h_tcp_conns(s), 1);
    ts_tcp_close(l, T0);
    still_works(s, pool);
    ts_stack_free(s);
}

/* ICMP destination unreachable whose quoted IPv4 header lies about its length (IHL 15 with 28
 * bytes quoted; IHL 5 with fewer than 8 transport bytes; IHL 0): dropped as short, no crash. */
static void icmp_quote_lies(void **st)
{
    (void)st;
    struct ts_stack *s = h_stack(6);
    unsigned pool = ts_frame_pool_free(s);
    static const struct { uint8_t vihl; size_t qlen; } cases[] = {
        { 0x4f, 28 }, { 0x45, 27 }, { 0x45, 20 }, { 0x40, 28 }, { 0x65, 28 }, { 0x45, 0 }, { 0x45, 12 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t f[256];
        memset(f, 0, sizeof f);
        size_t o = put_eth(f, OUR_MAC, 0x0800);
        size_t mlen = 8 + cases[i].qlen;
        o += put_ip(f + o, 1, PEER_IP, OUR_IP, mlen, 9, 0);
        uint8_t *m = f + o;
        m[0] = 3; m[1] = 3;
        uint8_t *q = m + 8;
        if (cases[i].qlen >= 20) {
            put_ip(q, 17, OUR_IP, PEER_IP, 8, 1, 0);
            q[0] = cases[i].vihl;
        }
        ts_put16(m + 2, ts_csum(m, mlen));
        expect_drop(s, f, o + mlen, TS_CTR_icmp_drop_short);
    }
    assert_int_equal(ctr(s, TS_CTR_icmp_rx_dest_unreach), 7);
    assert_int_equal(ctr(s, TS_CTR_udp_rx_icmp_errors), 0);
    still_works(s, pool);
    ts_stack_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_truncation_dropped),
        cmocka_unit_test(truncated_transport_headers),
        cmocka_unit_test(ipv4_lengths_lie),
        cmocka_unit_test(udp_length_lies),
        cmocka_unit_test(tcp_data_offset_lies),
        cmocka_unit_test(icmp_quote_lies),
    };
    return cmocka_run_group_tests_name("hardening: length fields", tests, NULL, NULL);
}
