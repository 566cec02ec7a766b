/* IPv4 reassembly (stack/net/ip_frag.c): in order, reversed, duplicated, overlapping, timing out,
 * memory and table caps, malformed fragments, and 10,000 tiny holes. */
#include <stdlib.h>
#include "lib/udp_frames.h"
#include "net/ip_frag.h"
#include "tapstack/socket.h"
#include "tapstack/stats.h"

#define T0 TS_SEC(1)
#define PORT 5000

struct fx {
    struct ts_stack *s;
    struct ts_sock *so;
    uint8_t dgram[65535];   /* UDP header + payload: the IP payload being fragmented */
    size_t dlen;
    uint8_t got[65536];
};

static int setup(void **st)
{
    struct fx *x = calloc(1, sizeof *x);
    x->s = new_stack();
    assert_int_equal(ts_stack_arp_add(x->s, T0, PEER_IP, PEER_MAC, true), 0);
    assert_int_equal(ts_udp_open(x->s, 0, PORT, NULL, NULL, &x->so), 0);
    *st = x;
    return 0;
}

static int teardown(void **st)
{
    struct fx *x = *st;
    ts_stack_free(x->s);
    free(x);
    return 0;
}

/* Make a UDP datagram with n payload bytes to our PORT. */
static void make_dgram(struct fx *x, size_t n)
{
    x->dlen = put_udp(x->dgram, PEER_IP, 4000, OUR_IP, PORT, n, CSUM_GOOD, 0);
}

/* Feed fragment [off, off+n) of x->dgram, MF set unless it reaches the end. */
static void frag(struct fx *x, ts_time_t now, uint16_t id, size_t off, size_t n)
{
    uint8_t f[2048];
    size_t len = build_frag(f, 17, id, x->dgram, off, n, off + n < x->dlen);
    ts_stack_receive(x->s, now, f, len);
}

/* The socket holds exactly the datagram, once. */
static void expect_delivered(struct fx *x)
{
    long n = ts_udp_recvfrom(x->so, x->got, sizeof x->got, NULL, NULL);
    assert_int_equal(n, (long)(x->dlen - 8));
    assert_memory_equal(x->got, x->dgram + 8, x->dlen - 8);
    assert_int_equal(ts_udp_recvfrom(x->so, x->got, sizeof x->got, NULL, NULL), -TS_EAGAIN);
    assert_int_equal(ts_frag_in_progress(x->s), 0);
    assert_int_equal(ts_frag_mem_used(x->s), 0);
}

static void expect_nothing(struct fx *x)
{
    assert_int_equal(ts_udp_recvfrom(x->so, x->got, sizeof x->got, NULL, NULL), -TS_EAGAIN);
}

static void in_order(void **st)
{
    struct fx *x = *st;
    make_dgram(x, 4000);   /* 4008 bytes: 1480 + 1480 + 1048 */
    frag(x, T0, 1, 0, 1480);
    frag(x, T0, 1, 1480, 1480);
    assert_int_equal(ts_frag_in_progress(x->s), 1);
    assert_true(ts_frag_mem_used(x->s) >= 2960);
    struct ts_mem_usage m;    /* what netstat -s shows (the soak checks it returns to 0) */
    ts_stack_memory(x->s, &m);
    assert_int_equal(m.frag_dgrams, 1);
    assert_int_equal(m.frag_bytes, ts_frag_mem_used(x->s));
    expect_nothing(x);
    frag(x, T0, 1, 2960, 1048);
    expect_delivered(x);
    ts_stack_memory(x->s, &m);
    assert_int_equal(m.frag_dgrams, 0);
    assert_int_equal(m.frag_bytes, 0);
    assert_int_equal(m.frames_in_use, 0);   /* the datagram was read: every frame is back */
    assert_int_equal(ctr(x->s, TS_CTR_ipv4_frag_received), 3);
    assert_int_equal(ctr(x->s, TS_CTR_ipv4_frag_reassembled), 1);
}

static void reversed(void **st)
{
    struct fx *x = *st;
    make_dgram(x, 10000);
    size_t offs[8];
    int k = 0;
    for (size_t off = 0; off < x->dlen; off += 1480) offs[k++] = off;
    for (int i = k - 1; i >= 0; i--) {
        expect_nothing(x);
        size_t n = x->dlen - offs[i] < 1480 ? x->dlen - offs[i] : 1480;
        frag(x, T0, 2, offs[i], n);
    }
    expect_delivered(x);
}

/* Every fragment twice, in a scrambled order: delivered once, duplicates counted. */
static void duplicated(void **st)
{
    struct fx *x = *st;
    make_dgram(x, 3000);   /* 3008: 1000 + 1000 + 1008 with 1000-byte steps (multiples of 8) */
    frag(x, T0, 3, 1000, 1000);
    frag(x, T0, 3, 1000, 1000);
    frag(x, T0, 3, 2000, 1008);
    frag(x, T0, 3, 0, 1000);
    expect_delivered(x);
    assert_int_equal(ctr(x->s, TS_CTR_ipv4_frag_duplicate), 1);
    /* a late duplicate after completion starts a new datagram that only times out */
    frag(x, T0, 3, 0, 1000);
    assert_int_equal(ts_frag_in_progress(x->s), 1);
    ts_stack_poll(x->s, T0 + TS_FRAG_TIMEOUT);
    assert_int_equal(ts_frag_in_progress(x->s), 0);
    expect_nothing(x);
}

/* Overlap drops the whole datagram; so does a same-offset fragment with other bytes. */
static void overlapping(void **st)
{
    struct fx *x = *st;
    make_dgram(x, 3000);
    frag(x, T0, 4, 0, 1000);
    frag(x, T0, 4, 992, 1008);   /* overlaps by 8 */
    assert_int_equal(ctr(x->s, TS_CTR_ipv4_frag_drop_overlap), 1);
    assert_int_equal(ts_frag_in_progress(x->s), 0);
    frag(x, T0, 4, 1000, 2008);  /* the rest arrives: no datagram to finish */
    expect_nothing(x);
    assert_int_equal(ts_frag_in_progress(x->s), 1);

    /* same offset and length but different content: an overlap, not a duplicate */
    uint8_t f[2048];
    size_t len = build_frag(f, 17, 4, x->dgram, 1000, 1000, 1);
    f[14 + 20 + 5] ^= 0xff;
    ts_stack_receive(x->s, T0, f, len);
    assert_int_equal(ctr(x->s, TS_CTR_ipv4_frag_drop_overlap), 2);
    assert_int_equal(ts_frag_in_progress(x->s), 0);
    expect_nothing(x);
}

/* A datagram that never completes is dropped at its deadline, and the stack asks to be woken. */
static void timing_out(void **st)
{
    struct fx *x = *st;
    make_dgram(x, 3000);
    frag(x, T0, 5, 0, 1000);
    assert_int_equal(ts_stack_poll_at(x->s), T0 + TS_FRAG_TIMEOUT);
    ts_stack_poll(x->s, T0 + TS_FRAG_TIMEOUT - 1);
    assert_int_equal(ts_frag_in_progress(x->s), 1);
    frag(x, T0 + TS_SEC(10), 6, 0, 1000);   /* a second one, later */
    ts_stack_poll(x->s, T0 + TS_FRAG_TIMEOUT);
    assert_int_equal(ts_frag_in_progress(x->s), 1);
    assert_int_equal(ctr(x->s, TS_CTR_ipv4_frag_drop_timeout), 1);
    assert_int_equal(ts_stack_poll_at(x->s), T0 + TS_SEC(10) + TS_FRAG_TIMEOUT);
    frag(x, T0 + TS_SEC(31), 5, 1000, 2008);  /* the rest of the first is too late */
    expect_nothing(x);
    ts_stack_poll(x->s, T0 + TS_SEC(100));
    assert_int_equal(ts_frag_in_progress(x->s), 0);
    assert_int_equal(ts_frag_mem_used(x->s), 0);
    assert_int_equal(ts_stack_poll_at(x->s), TS_TIME_NEVER);
}

/* A reassembly that times out with fragment zero held is answered with ICMP Time Exceeded,
 * code 1, quoting the header and 8 bytes (RFC 792, RFC 1122 §3.3.2); without fragment zero,
 * nothing is sent. */
static void timing_out_time_exceeded(void **st)
{
    struct fx *x = *st;
    drain(x->s, T0);
    make_dgram(x, 3000);
    frag(x, T0, 21, 1000, 1000);                   /* no fragment zero: silent */
    ts_stack_poll(x->s, T0 + TS_FRAG_TIMEOUT);
    uint8_t o[2048];
    assert_int_equal(ts_stack_transmit(x->s, T0 + TS_FRAG_TIMEOUT, o, sizeof o), 0);
    ts_time_t t1 = T0 + TS_FRAG_TIMEOUT + TS_SEC(1);
    frag(x, t1, 22, 0, 1000);
    ts_stack_poll(x->s, t1 + TS_FRAG_TIMEOUT);
    size_t m = ts_stack_transmit(x->s, t1 + TS_FRAG_TIMEOUT, o, sizeof o);
    assert_int_equal(m, 14 + 20 + 8 + 20 + 8);
    assert_int_equal(o[34], 11);                     /* Time Exceeded */
    assert_int_equal(o[35], 1);                      /* fragment reassembly time exceeded */
    assert_int_equal(ts_get16(o + 42 + 4), 22);      /* quoted IP id */
    assert_int_equal(ts_get16(o + 42 + 20 + 2), PORT); /* quoted UDP destination port */
    assert_int_equal(ctr(x->s, TS_CTR_icmp_tx_time_exceeded), 1);
    assert_int_equal(ctr(x->s, TS_CTR_ipv4_frag_drop_timeout), 2);
}

/* Many incomplete datagrams: memory stays under the cap, the oldest go first, and a new one
 * still completes. */
static void memory_cap(void **st)
{
    struct fx *x = *st;
    make_dgram(x, 60000);
    for (uint16_t id = 100; id < 110; id++)          /* 10 x 59200 bytes, never the last */
        for (size_t off = 0; off + 1480 < x->dlen - 1480; off += 1480) {
            frag(x, T0, id, off, 1480);
            assert_true(ts_frag_mem_used(x->s) <= TS_FRAG_MEM_CAP);
        }
    assert_true(ctr(x->s, TS_CTR_ipv4_frag_drop_memory) >= 6);
    assert_true(ts_frag_in_progress(x->s) <= 4);
    assert_true(ts_frag_in_progress(x->s) >= 3);
    make_dgram(x, 20000);
    for (size_t off = 0; off < x->dlen; off += 1480)
        frag(x, T0, 200, off, x->dlen - off < 1480 ? x->dlen - off : 1480);
    long n = ts_udp_recvfrom(x->so, x->got, sizeof x->got, NULL, NULL);
    assert_int_equal(n, 20000);
    assert_memory_equal(x->got, x->dgram + 8, 20000);
}

/* More than TS_FRAG_MAX_DGRAMS datagrams at once: the oldest is dropped. */
static void table_full(void **st)
{
    struct fx *x = *st;
    make_dgram(x, 3000);
    for (uint16_t id = 0; id <= TS_FRAG_MAX_DGRAMS; id++) frag(x, T0 + id, id, 0, 1000);
    assert_int_equal(ts_frag_in_progress(x->s), TS_FRAG_MAX_DGRAMS);
    assert_int_equal(ctr(x->s, TS_CTR_ipv4_frag_drop_table_full), 1);
    frag(x, T0, 1, 1000, 2008);   /* id 1 survived and completes */
    assert_int_equal(ts_udp_recvfrom(x->so, x->got, sizeof x->got, NULL, NULL), 3000);
    frag(x, T0, 0, 1000, 2008);   /* id 0 was the one dropped: this starts afresh */
    expect_nothing(x);
    assert_int_equal(ts_frag_in_progress(x->s), TS_FRAG_MAX_DGRAMS);
}

/* Malformed: non-last data not a multiple of 8 (alone), past 65535 (whole datagram). */
static void malformed(void **st)
{
    struct fx *x = *st;
    make_dgram(x, 3000);
    frag(x, T0, 7, 0, 1000);
    frag(x, T0, 7, 1000, 1001);   /* MF set, 1001 bytes */
    assert_int_equal(ctr(x->s, TS_CTR_ipv4_frag_drop_bad), 1);
    assert_int_equal(ts_frag_in_progress(x->s), 1);
    frag(x, T0, 7, 1000, 2008);
    assert_int_equal(ts_udp_recvfrom(x->so, x->got, sizeof x->got, NULL, NULL), 3000);

    /* offset 65528 + 20 + 16 bytes > 65535: a ping of death */
    uint8_t f[2048];
    frag(x, T0, 8, 0, 1000);
    size_t len = build_frag(f, 17, 8, x->dgram, 0, 16, 0);
    ts_put16(f + 14 + 6, 65528 / 8);
    ts_put16(f + 14 + 10, 0);
    ts_put16(f + 14 + 10, ts_csum(f + 14, 20));
    ts_stack_receive(x->s, T0, f, len);
    assert_int_equal(ctr(x->s, TS_CTR_ipv4_frag_drop_too_big), 1);
    assert_int_equal(ts_frag_in_progress(x->s), 0);

    /* two last fragments that disagree on the end */
    frag(x, T0, 9, 2000, 1008);
    len = build_frag(f, 17, 9, x->dgram, 1000, 1000, 0);
    ts_stack_receive(x->s, T0, f, len);
    assert_int_equal(ctr(x->s, TS_CTR_ipv4_frag_drop_inconsistent), 1);
    assert_int_equal(ts_frag_in_progress(x->s), 0);
    expect_nothing(x);
}

/* 10,000 eight-byte fragments with gaps between them (one hole each): bounded memory and time. */
static void many_holes(void **st)
{
    struct fx *x = *st;
    make_dgram(x, 65000);
    for (unsigned i = 0; i < 10000; i++) {
        size_t off = (size_t)(i * 16u) % 64000u;
        frag(x, T0, 77, off, 8);
        assert_true(ts_frag_mem_used(x->s) <= TS_FRAG_MEM_CAP);
    }
    assert_true(ctr(x->s, TS_CTR_ipv4_frag_drop_too_many) >= 10000 / (TS_FRAG_MAX_PIECES + 1));
    assert_true(ts_frag_in_progress(x->s) <= 1);
    expect_nothing(x);
}

/* A reassembled datagram to a closed port is answered with port unreachable quoting the first
 * fragment's header and the UDP header. */
static void reassembled_unreach(void **st)
{
    struct fx *x = *st;
    drain(x->s, T0);
    x->dlen = put_udp(x->dgram, PEER_IP, 4000, OUR_IP, 9999, 2000, CSUM_GOOD, 0);
    frag(x, T0, 11, 1000, 1008);
    frag(x, T0, 11, 0, 1000);
    uint8_t o[2048];
    size_t m = ts_stack_transmit(x->s, T0, o, sizeof o);
    assert_true(m >= 70);
    assert_int_equal(o[34], 3);
    assert_int_equal(o[35], 3);
    assert_int_equal(ts_get16(o + 42 + 4), 11);      /* quoted IP id */
    assert_int_equal(ts_get16(o + 42 + 20 + 2), 9999); /* quoted UDP destination port */
}

/* Random fragments (ids, offsets, lengths, MF, time) under the sanitizers: no crash, memory and
 * table always within bounds, and whatever completes is delivered intact. */
static void random_fragments(void **st)
{
    struct fx *x = *st;
    make_dgram(x, 6000);
    uint64_t r = 0x9e3779b97f4a7c15ull;
    ts_time_t now = T0;
    uint8_t f[2048];
    for (unsigned i = 0; i < 20000; i++) {
        r ^= r << 13; r ^= r >> 7; r ^= r << 17;
        uint16_t id = (uint16_t)(r % 80);
        size_t off = (size_t)((r >> 8) % 751) * 8;   /* < 6008 */
        size_t n = (size_t)((r >> 20) % 1481);
        if (r >> 40 & 1) n &= ~(size_t)7;
        if (off + n > x->dlen) n = x->dlen - off;
        bool mf = off + n < x->dlen ? (r >> 41 & 7) != 0 : (r >> 41 & 7) == 0;
        size_t len = build_frag(f, 17, id, x->dgram, off, n, mf);
        ts_stack_receive(x->s, now, f, len);
        now += (r >> 44) % 20000;
        ts_stack_poll(x->s, now);
        assert_true(ts_frag_mem_used(x->s) <= TS_FRAG_MEM_CAP);
        assert_true(ts_frag_in_progress(x->s) <= TS_FRAG_MAX_DGRAMS);
        long got;
        while ((got = ts_udp_recvfrom(x->so, x->got, sizeof x->got, NULL, NULL)) >= 0) {
            assert_int_equal(got, 6000);
            assert_memory_equal(x->got, x->dgram + 8, 6000);
        }
        drain(x->s, now);
        if (i % 100 == 99) {   /* a whole datagram amid the noise, its fragments rotated */
            for (unsigned k = 0; k < 5; k++) {
                size_t o = ((k + i / 100) % 5) * 1480, m = o + 1480 < x->dlen ? 1480 : x->dlen - o;
                len = build_frag(f, 17, (uint16_t)(1000 + i / 100), x->dgram, o, m, o + m < x->dlen);
                ts_stack_receive(x->s, now, f, len);
            }
            assert_int_equal(ts_udp_recvfrom(x->so, x->got, sizeof x->got, NULL, NULL), 6000);
            assert_memory_equal(x->got, x->dgram + 8, 6000);
        }
    }
    assert_true(ctr(x->s, TS_CTR_ipv4_frag_reassembled) >= 200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(reversed, setup, teardown),
        cmocka_unit_test_setup_teardown(duplicated, setup, teardown),
        cmocka_unit_test_setup_teardown(overlapping, setup, teardown),
        cmocka_unit_test_setup_teardown(timing_out, setup, teardown),
        cmocka_unit_test_setup_teardown(timing_out_time_exceeded, setup, teardown),
        cmocka_unit_test_setup_teardown(memory_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(table_full, setup, teardown),
        cmocka_unit_test_setup_teardown(malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(many_holes, setup, teardown),
        cmocka_unit_test_setup_teardown(reassembled_unreach, setup, teardown),
        cmocka_unit_test_setup_teardown(random_fragments, setup, teardown),
    };
    return cmocka_run_group_tests_name("ip_frag", tests, NULL, NULL);
}
