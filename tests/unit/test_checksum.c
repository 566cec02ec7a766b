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
        cmocka_unit_test(verify_is_zero), cmocka_unit_test(siphash_vector),
        cmocka_unit_test(rng_below_bounds),
    };
    return cmocka_run_group_tests_name("checksum", tests, NULL, NULL);
}
