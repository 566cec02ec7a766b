/* The Internet checksum (RFC 1071) and SipHash. */
#include "lib/core_util.h"
#include "core/rand.h"

static void rfc1071_example(void **st)
{
    (void)st;
    /* RFC 1071 §3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2 (before complement). */
    const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
    assert_int_equal(ts_csum(b, sizeof b), (uint16_t)~0xddf2);
}

static void odd_and_chained(void **st)
{
    (void)st;
    uint8_t b[1501];
    for (size_t i = 0; i < sizeof b; i++) b[i] = (uint8_t)(i * 31 + 7);
    for (size_t len = 0; len <= sizeof b; len += 37) {
        uint32_t ref = 0;   /* reference: plain 16-bit big-endian sum */
        for (size_t i = 0; i + 1 < len; i += 2) ref += (uint32_t)(b[i] << 8 | b[i + 1]);
        if (len & 1) ref += (uint32_t)(b[len - 1] << 8);
        assert_int_equal(ts_csum(b, len), ts_csum_finish(ref));
        size_t half = (len / 2) & ~(size_t)1;   /* chained at an even split */
        uint32_t s = ts_csum_add(0, b, half);
        s = ts_csum_add(s, b + half, len - half);
        assert_int_equal(ts_csum_finish(s), ts_csum_finish(ref));
    }
}

/* The plain 16-bit big-endian sum, folded: what every variant must give exactly. */
static uint32_t ref_sum(uint32_t sum, const uint8_t *b, size_t len)
{
    uint64_t r = sum;
    for (size_t i = 0; i + 1 < len; i += 2) r += (uint32_t)(b[i] << 8 | b[i + 1]);
    if (len & 1) r += (uint32_t)(b[len - 1] << 8);
    while (r >> 16) r = (r & 0xffffu) + (r >> 16);
    return (uint32_t)r;
}

/* Every length up to 4 KB past the vector threshold, at every alignment, with a running sum, on
 * random bytes and on the bytes that stress carries (all 0xff, all zero): the dispatching sum
 * (AVX2 on this CPU if it has it) and the portable one agree with the reference exactly. */
static void variants_agree(void **st)
{
    (void)st;
    static uint8_t b[4200];
    struct ts_rng r;
    ts_rng_seed(&r, 7);
    for (int fill = 0; fill < 3; fill++) {
        for (size_t i = 0; i < sizeof b; i++) b[i] = fill == 0 ? (uint8_t)ts_rng_below(&r, 256) : fill == 1 ? 0xff : 0;
        for (size_t len = 0; len <= 4096; len += len < 300 ? 1 : 61) {
            for (size_t off = 0; off < 8; off++) {
                uint32_t sum = fill == 2 && off == 0 ? 0 : ts_rng_below(&r, 0x10000);
                uint32_t want = ref_sum(sum, b + off, len);
                assert_int_equal(ts_csum_add(sum, b + off, len), want);
                assert_int_equal(ts_csum_add_portable(sum, b + off, len), want);
            }
        }
    }
    /* 64 KB of 0xff (a super-segment): many carries per lane. */
    static uint8_t big[65536];
    memset(big, 0xff, sizeof big);
    assert_int_equal(ts_csum_add(0, big, sizeof big), ref_sum(0, big, sizeof big));
    assert_int_equal(ts_csum_add_portable(1, big, sizeof big - 1), ref_sum(1, big, sizeof big - 1));
}

static void verify_is_zero(void **st)
{
    (void)st;
    uint8_t b[20] = { 0x45, 0, 0, 84, 0x12, 0x34, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2 };
    ts_put16(b + 10, ts_csum(b, 20));
    assert_int_equal(ts_csum(b, 20), 0);
    b[15] ^= 1;
    assert_int_not_equal(ts_csum(b, 20), 0);
}

static void siphash_vector(void **st)
{
    (void)st;
    /* The reference vector of the SipHash paper: key 00..0f, message 00..0e. */
    struct ts_siphash_key k = { 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull };
    uint8_t m[15];
    for (int i = 0; i < 15; i++) m[i] = (uint8_t)i;
    assert_true(ts_siphash(&k, m, 15) == 0xa129ca6149be45e5ull);
}

static void rng_below_bounds(void **st)
{
    (void)st;
    struct ts_rng r;
    ts_rng_seed(&r, 1);
    unsigned hist[10] = { 0 };
    for (int i = 0; i < 100000; i++) {
        uint32_t v = ts_rng_below(&r, 10);
        assert_true(v < 10);
        hist[v]++;
    }
    for (int i = 0; i < 10; i++) assert_in_range(hist[i], 9000, 11000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc1071_example), cmocka_unit_test(odd_and_chained),
        cmocka_unit_test(variants_agree), cmocka_unit_test(verify_is_zero), cmocka_unit_test(siphash_vector),
        cmocka_unit_test(rng_below_bounds),
    };
    return cmocka_run_group_tests_name("checksum", tests, NULL, NULL);
}
