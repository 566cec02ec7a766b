/* IPv4 validation: each bad field dropped and counted under its own reason. */
#include "lib/core_util.h"
#include "tapstack/socket.h"

static struct ts_stack *S;
static uint8_t F[200];
static size_t N;

static int setup(void **st)
{
    (void)st;
    S = new_stack();
    ts_stack_arp_add(S, 0, PEER_IP, PEER_MAC, false);
    N = build_ping(F, 16, 1, 1);
    return 0;
}
static int teardown(void **st) { (void)st; ts_stack_free(S); return 0; }

static void fix_csum(void) { ts_put16(F + 24, 0); ts_put16(F + 24, ts_csum(F + 14, (size_t)(F[14] & 15) * 4)); }

static void expect_drop(enum ts_counter_id id)
{
    uint64_t before = ctr(S, id);
    ts_stack_receive(S, 0, F, N);
    assert_int_equal(ctr(S, id), before + 1);
    assert_int_equal(drain(S, 0), 0);
}

static void good_is_answered(void **st)
{
    (void)st;
    ts_stack_receive(S, 0, F, N);
    assert_int_equal(drain(S, 0), 1);
}
static void short_header(void **st) { (void)st; N = 14 + 19; expect_drop(TS_CTR_ipv4_drop_short); }
static void bad_version(void **st) { (void)st; F[14] = 0x65; fix_csum(); expect_drop(TS_CTR_ipv4_drop_bad_version); }
static void ihl_too_small(void **st) { (void)st; F[14] = 0x44; expect_drop(TS_CTR_ipv4_drop_bad_ihl); }
static void ihl_past_packet(void **st) { (void)st; F[14] = 0x4f; N = 14 + 40; expect_drop(TS_CTR_ipv4_drop_bad_ihl); }
static void total_len_lies(void **st)
{
    (void)st;
    ts_put16(F + 16, 1500);      /* claims more bytes than arrived */
    fix_csum();
    expect_drop(TS_CTR_ipv4_drop_bad_total_len);
}
static void total_len_under_header(void **st)
{
    (void)st;
    ts_put16(F + 16, 10);
    fix_csum();
    expect_drop(TS_CTR_ipv4_drop_bad_total_len);
}
static void bad_checksum(void **st) { (void)st; F[24] ^= 0x55; expect_drop(TS_CTR_ipv4_drop_bad_checksum); }
static void not_for_us(void **st)
{
    (void)st;
    ts_put32(F + 30, 0x0a000009);
    fix_csum();
    expect_drop(TS_CTR_ipv4_drop_not_for_us);
}
static void source_is_us(void **st)
{
    (void)st;
    ts_put32(F + 26, OUR_IP);    /* land-style spoof */
    fix_csum();
    expect_drop(TS_CTR_ipv4_drop_bad_source);
}
static void trailing_padding_ok(void **st)
{
    (void)st;
    memset(F + N, 0, 10);        /* Ethernet padding past the IP total length is ignored */
    N += 10;
    ts_stack_receive(S, 0, F, N);
    assert_int_equal(drain(S, 0), 1);
}
static void options_skipped(void **st)
{
    (void)st;
    /* Rebuild with IHL 6 (one word of NOP options) and check the echo is still answered. */
    uint8_t g[200];
    memcpy(g, F, 34);
    g[14] = 0x46;
    memset(g + 34, 1, 4);
    memcpy(g + 38, F + 34, N - 34);
    ts_put16(g + 16, (uint16_t)(N - 14 + 4));
    memcpy(F, g, N + 4);
    N += 4;
    fix_csum();
    ts_stack_receive(S, 0, F, N);
    assert_int_equal(ctr(S, TS_CTR_ipv4_options_skipped), 1);
    assert_int_equal(drain(S, 0), 1);
}
static void not_our_mac(void **st)
{
    (void)st;
    F[0] = 0x02; F[5] = 0x77;
    expect_drop(TS_CTR_eth_drop_not_for_us);
}
static void runt_frame(void **st) { (void)st; N = 13; expect_drop(TS_CTR_eth_drop_short); }
static void unknown_ethertype(void **st) { (void)st; ts_put16(F + 12, 0x86dd); expect_drop(TS_CTR_eth_drop_unknown_type); }

/* The IPv4 ID of the next datagram the stack sends to dst (UDP, 1 byte). */
static uint16_t next_id_to(struct ts_sock *so, uint32_t dst)
{
    uint8_t out[200];
    assert_int_equal(ts_udp_sendto(so, 0, dst, 9, "x", 1), 1);
    size_t m = ts_stack_transmit(S, 0, out, sizeof out);
    assert_true(m >= 34);
    assert_int_equal(ts_get32(out + 30), dst);
    return ts_get16(out + 18);
}

/* RFC 7739 §5.3.2: each destination has its own ID sequence (consecutive for it, whatever is
 * sent elsewhere in between), starting at a keyed, per-destination offset. */
static void ip_id_per_destination(void **st)
{
    (void)st;
    static const uint8_t mac2[6] = {2, 0, 0, 0, 0, 3};
    const uint32_t other = 0x0a000003u;
    ts_stack_arp_add(S, 0, other, mac2, false);
    struct ts_sock *so;
    assert_int_equal(ts_udp_open(S, 0, 4000, NULL, NULL, &so), 0);
    drain(S, 0);
    uint16_t a1 = next_id_to(so, PEER_IP), b1 = next_id_to(so, other);
    for (int i = 0; i < 5; i++) next_id_to(so, other);
    uint16_t a2 = next_id_to(so, PEER_IP), b2 = next_id_to(so, other);
    assert_int_equal((uint16_t)(a1 + 1), a2);        /* others' traffic does not show */
    assert_int_equal((uint16_t)(b1 + 6), b2);
    assert_int_not_equal(a1, b1);                    /* offsets differ (keyed hash; this seed) */
    /* a run to one destination (its hash kept from the last datagram) stays consecutive, and
     * the other's sequence picks up where it was after it */
    uint16_t a3 = next_id_to(so, PEER_IP), a4 = next_id_to(so, PEER_IP), a5 = next_id_to(so, PEER_IP);
    assert_int_equal((uint16_t)(a2 + 1), a3);
    assert_int_equal((uint16_t)(a3 + 1), a4);
    assert_int_equal((uint16_t)(a4 + 1), a5);
    assert_int_equal((uint16_t)(b2 + 1), next_id_to(so, other));
    ts_udp_close(so);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
int main(void)
{
    const struct CMUnitTest tests[] = {
        T(good_is_answered), T(short_header), T(bad_version), T(ihl_too_small), T(ihl_past_packet),
        T(total_len_lies), T(total_len_under_header), T(bad_checksum), T(not_for_us), T(source_is_us),
        T(trailing_padding_ok), T(options_skipped), T(not_our_mac), T(runt_frame), T(unknown_ethertype),
        T(ip_id_per_destination),
    };
    return cmocka_run_group_tests_name("ipv4", tests, NULL, NULL);
}
