/* ICMP echo, built from a frame and checked byte for byte; destination unreachable out. */
#include "lib/core_util.h"

static void ping_sizes(void **st)
{
    (void)st;
    struct ts_stack *s = new_stack();
    ts_stack_arp_add(s, 0, PEER_IP, PEER_MAC, false);
    static const size_t sizes[] = { 0, 1, 56, 1000, 1472 };
    for (unsigned k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        uint8_t in[1600], out[1600];
        size_t n = build_ping(in, sizes[k], 0x4242, (uint16_t)k);
        ts_stack_receive(s, 1000, in, n);
        size_t m = ts_stack_transmit(s, 1000, out, sizeof out);
        assert_true(m >= 60);
        assert_int_equal(m, n < 60 ? 60 : n);
        assert_memory_equal(out, PEER_MAC, 6);
        assert_memory_equal(out + 6, OUR_MAC, 6);
        const uint8_t *ip = out + 14;
        assert_int_equal(ts_csum(ip, 20), 0);
        assert_int_equal(ts_get32(ip + 12), OUR_IP);
        assert_int_equal(ts_get32(ip + 16), PEER_IP);
        assert_int_equal(ts_get16(ip + 2), 28 + sizes[k]);
        const uint8_t *icmp = ip + 20;
        assert_int_equal(icmp[0], 0);
        assert_int_equal(ts_csum(icmp, 8 + sizes[k]), 0);
        /* identifier, sequence and payload come back unchanged */
        assert_memory_equal(icmp + 4, in + 34 + 4, 4 + sizes[k]);
        assert_int_equal(ts_stack_transmit(s, 1000, out, sizeof out), 0);
    }
    assert_int_equal(ctr(s, TS_CTR_icmp_tx_echo_replies), 5);
    ts_stack_free(s);
}

static void bad_checksum_and_short(void **st)
{
    (void)st;
    struct ts_stack *s = new_stack();
    ts_stack_arp_add(s, 0, PEER_IP, PEER_MAC, false);
    uint8_t in[200];
    size_t n = build_ping(in, 20, 1, 1);
    in[n - 1] ^= 0xff;
    ts_stack_receive(s, 0, in, n);
    assert_int_equal(ctr(s, TS_CTR_icmp_drop_bad_checksum), 1);
    /* an ICMP message of 4 bytes: too short */
    n = put_eth(in, OUR_MAC, 0x0800);
    n += put_ip(in + n, 1, PEER_IP, OUR_IP, 4, 1, 0);
    memset(in + n, 0, 4);
    ts_stack_receive(s, 0, in, n + 4);
    assert_int_equal(ctr(s, TS_CTR_icmp_drop_short), 1);
    assert_int_equal(drain(s, 0), 0);
    ts_stack_free(s);
}

static void broadcast_echo_ignored(void **st)
{
    (void)st;
    struct ts_stack *s = new_stack();
    uint8_t in[200];
    size_t n = build_ping(in, 8, 1, 1);
    ts_put32(in + 14 + 16, 0x0a0000ff);      /* to 10.0.0.255 */
    ts_put16(in + 14 + 10, 0);
    ts_put16(in + 14 + 10, ts_csum(in + 14, 20));
    ts_stack_receive(s, 0, in, n);
    assert_int_equal(ctr(s, TS_CTR_icmp_drop_broadcast_echo), 1);
    assert_int_equal(drain(s, 0), 0);
    ts_stack_free(s);
}

static void unknown_protocol_unreachable(void **st)
{
    (void)st;
    struct ts_stack *s = new_stack();
    ts_stack_arp_add(s, 0, PEER_IP, PEER_MAC, false);
    uint8_t in[100], out[1600];
    size_t n = put_eth(in, OUR_MAC, 0x0800);
    n += put_ip(in + n, 99, PEER_IP, OUR_IP, 8, 7, 0);
    memset(in + n, 0xab, 8);
    ts_stack_receive(s, 0, in, n + 8);
    assert_int_equal(ctr(s, TS_CTR_ipv4_drop_unknown_proto), 1);
    size_t m = ts_stack_transmit(s, 0, out, sizeof out);
    assert_true(m > 34 + 8);
    assert_int_equal(out[34], 3);      /* destination unreachable */
    assert_int_equal(out[35], 2);      /* protocol unreachable */
    assert_memory_equal(out + 42, in + 14, 28);   /* quotes header + 8 bytes */
    ts_stack_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ping_sizes), cmocka_unit_test(bad_checksum_and_short),
        cmocka_unit_test(broadcast_echo_ignored), cmocka_unit_test(unknown_protocol_unreachable),
    };
    return cmocka_run_group_tests_name("icmp", tests, NULL, NULL);
}
