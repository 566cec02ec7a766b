/* Unit tests: the fault injector (stack/driver/fault.c, fault_parse.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "driver/fault.h"

#define N_FRAMES 100000u

/* A 100-byte frame whose bytes 14.. carry its number i. */
static size_t frame_n(uint8_t *f, uint32_t i)
{
    memset(f, 0xee, 14);
    memset(f + 14, 0, 86);
    f[14] = (uint8_t)(i >> 24);
    f[15] = (uint8_t)(i >> 16);
    f[16] = (uint8_t)(i >> 8);
    f[17] = (uint8_t)i;
    return 100;
}

static uint32_t num_of(const uint8_t *f)
{
    return ((uint32_t)f[14] << 24) | ((uint32_t)f[15] << 16) | ((uint32_t)f[16] << 8) | f[17];
}

/* Push n frames 1 ms apart, popping what is due after each; return frames popped, their numbers
 * (first cap of them) in out. */
static size_t run(struct ts_fault *f, uint32_t n, uint32_t *out, size_t cap)
{
    uint8_t fr[200], got[200];
    size_t k = 0, len;
    ts_time_t now = TS_SEC(1);
    for (uint32_t i = 0; i < n; i++, now += TS_MS(1)) {
        ts_fault_push(f, now, fr, frame_n(fr, i));
        while ((len = ts_fault_pop(f, now, got, sizeof got)) > 0) {
            assert_int_equal(len, 100);
            if (k < cap) out[k] = num_of(got);
            k++;
        }
    }
    /* drain */
    for (int guard = 0; guard < 100000 && ts_fault_held(f); guard++) {
        now = ts_fault_poll_at(f);
        assert_true(now != TS_TIME_NEVER);
        while ((len = ts_fault_pop(f, now, got, sizeof got)) > 0) {
            if (k < cap) out[k] = num_of(got);
            k++;
        }
    }
    assert_int_equal(ts_fault_held(f), 0);
    return k;
}

static void test_loss_rate_and_determinism(void **state)
{
    struct ts_fault_cfg cfg = { .loss = 0.1 };
    struct ts_stats s1 = {0}, s2 = {0}, s3 = {0};
    static uint32_t o1[N_FRAMES], o2[N_FRAMES], o3[N_FRAMES];
    struct ts_fault *a = ts_fault_new(&cfg, TS_FAULT_IN, 1, &s1);
    struct ts_fault *b = ts_fault_new(&cfg, TS_FAULT_IN, 1, &s2);
    struct ts_fault *c = ts_fault_new(&cfg, TS_FAULT_IN, 2, &s3);
    size_t na = run(a, N_FRAMES, o1, N_FRAMES), nb = run(b, N_FRAMES, o2, N_FRAMES);
    size_t nc = run(c, N_FRAMES, o3, N_FRAMES);
    uint64_t lost = s1.v[TS_CTR_fault_loss_in];
    /* 10 % of 100,000 is 10,000 with a standard deviation near 95: allow 5 of them */
    assert_in_range(lost, 9525, 10475);
    assert_int_equal(na + lost, N_FRAMES);
    assert_int_equal(ts_fault_counts(a)->loss, lost);       /* its own count agrees */
    assert_int_equal(s1.v[TS_CTR_fault_loss_out], 0);
    /* same seed: the very same frames pass */
    assert_int_equal(na, nb);
    assert_memory_equal(o1, o2, na * sizeof o1[0]);
    assert_memory_equal(&s1, &s2, sizeof s1);
    /* another seed: another pattern */
    assert_true(nc != na || memcmp(o1, o3, na * sizeof o1[0]) != 0);
    /* no loss means order kept */
    for (size_t i = 1; i < na; i++) assert_true(o1[i] > o1[i - 1]);
    ts_fault_free(a);
    ts_fault_free(b);
    ts_fault_free(c);
}

static void test_directions_differ(void **state)
{
    struct ts_fault_cfg cfg = { .loss = 0.5 };
    struct ts_stats st = {0};
    static uint32_t oi[1000], oo[1000];
    struct ts_fault *in = ts_fault_new(&cfg, TS_FAULT_IN, 7, &st);
    struct ts_fault *out = ts_fault_new(&cfg, TS_FAULT_OUT, 7, &st);
    size_t ni = run(in, 1000, oi, 1000), no = run(out, 1000, oo, 1000);
    assert_true(ni != no || memcmp(oi, oo, ni * sizeof oi[0]) != 0);
    assert_int_equal(st.v[TS_CTR_fault_loss_in], 1000 - ni);
    assert_int_equal(st.v[TS_CTR_fault_loss_out], 1000 - no);
    ts_fault_free(in);
    ts_fault_free(out);
}

static void test_dup(void **state)
{
    struct ts_fault_cfg cfg = { .dup = 0.05 };
    struct ts_stats st = {0};
    static uint32_t o[2 * N_FRAMES];
    struct ts_fault *f = ts_fault_new(&cfg, TS_FAULT_OUT, 3, &st);
    size_t n = run(f, N_FRAMES, o, 2 * N_FRAMES);
    uint64_t dups = st.v[TS_CTR_fault_dup_out];
    assert_in_range(dups, 4600, 5400);
    assert_int_equal(n, N_FRAMES + dups);
    /* a duplicate follows its original at once */
    size_t seen_dup = 0;
    for (size_t i = 1; i < n; i++) {
        assert_true(o[i] >= o[i - 1]);
        if (o[i] == o[i - 1]) seen_dup++;
    }
    assert_int_equal(seen_dup, dups);
    ts_fault_free(f);
}

static void test_corrupt(void **state)
{
    struct ts_fault_cfg cfg = { .corrupt = 1.0 };
    struct ts_stats st = {0};
    struct ts_fault *f = ts_fault_new(&cfg, TS_FAULT_IN, 5, &st);
    uint8_t fr[200], got[200];
    for (uint32_t i = 0; i < 1000; i++) {
        size_t len = frame_n(fr, i);
        assert_int_equal(ts_fault_push(f, 0, fr, len), TS_FAULT_CORRUPT);
        assert_int_equal(ts_fault_pop(f, 0, got, sizeof got), len);
        int diff = 0;
        for (size_t k = 0; k < len; k++) {
            if (got[k] != fr[k]) {
                assert_true(k >= 14);            /* the Ethernet header is left alone */
                diff++;
            }
        }
        assert_int_equal(diff, 1);
    }
    assert_int_equal(st.v[TS_CTR_fault_corrupt_in], 1000);
    ts_fault_free(f);
}

static void test_delay_and_jitter(void **state)
{
    struct ts_fault_cfg cfg = { .delay = TS_MS(20) };
    struct ts_stats st = {0};
    struct ts_fault *f = ts_fault_new(&cfg, TS_FAULT_OUT, 1, &st);
    uint8_t fr[200], got[200];
    assert_int_equal(ts_fault_poll_at(f), TS_TIME_NEVER);
    assert_int_equal(ts_fault_push(f, 1000, fr, frame_n(fr, 1)), TS_FAULT_DELAYED);
    assert_int_equal(ts_fault_push(f, 2000, fr, frame_n(fr, 2)), TS_FAULT_DELAYED);
    assert_int_equal(ts_fault_pop(f, 1000, got, sizeof got), 0);
    assert_int_equal(ts_fault_poll_at(f), 21000);
    assert_int_equal(ts_fault_pop(f, 20999, got, sizeof got), 0);
    assert_int_equal(ts_fault_pop(f, 21000, got, sizeof got), 100);
    assert_int_equal(num_of(got), 1);
    assert_int_equal(ts_fault_poll_at(f), 22000);
    assert_int_equal(ts_fault_pop(f, 30000, got, sizeof got), 100);
    assert_int_equal(num_of(got), 2);
    assert_int_equal(st.v[TS_CTR_fault_delayed_out], 2);
    ts_fault_free(f);

    /* with jitter every frame leaves within [delay, delay + jitter] */
    cfg.jitter = TS_MS(10);
    f = ts_fault_new(&cfg, TS_FAULT_OUT, 9, &st);
    for (uint32_t i = 0; i < 200; i++) ts_fault_push(f, TS_MS(i), fr, frame_n(fr, i));
    unsigned n = 0;
    while (ts_fault_held(f)) {
        ts_time_t t = ts_fault_poll_at(f);
        assert_int_equal(ts_fault_pop(f, t, got, sizeof got), 100);
        ts_time_t sent = TS_MS(num_of(got));
        assert_true(t >= sent + TS_MS(20) && t <= sent + TS_MS(30));
        n++;
    }
    assert_int_equal(n, 200);
    ts_fault_free(f);
}

static void test_reorder(void **state)
{
    struct ts_fault_cfg cfg = { .reorder = 1.0 };
    struct ts_stats st = {0};
    uint32_t o[10];
    struct ts_fault *f = ts_fault_new(&cfg, TS_FAULT_IN, 1, &st);
    /* every other frame is held back and follows the next one */
    assert_int_equal(run(f, 10, o, 10), 10);
    static const uint32_t want[10] = { 1, 0, 3, 2, 5, 4, 7, 6, 9, 8 };
    assert_memory_equal(o, want, sizeof want);
    assert_int_equal(st.v[TS_CTR_fault_reorder_in], 5);
    /* a frame with no successor is let go after the hold time */
    uint8_t fr[200], got[200];
    assert_int_equal(ts_fault_push(f, 500, fr, frame_n(fr, 42)), TS_FAULT_REORDERED);
    assert_int_equal(ts_fault_pop(f, 500, got, sizeof got), 0);
    assert_int_equal(ts_fault_poll_at(f), 500 + TS_FAULT_REORDER_HOLD);
    assert_int_equal(ts_fault_pop(f, 500 + TS_FAULT_REORDER_HOLD, got, sizeof got), 100);
    assert_int_equal(num_of(got), 42);
    ts_fault_free(f);
}

static void test_rate(void **state)
{
    /* 1 Mbit/s; 1250-byte frames take 10 ms each; the queue holds 500 ms */
    struct ts_fault_cfg cfg = { .rate = 1000000 };
    struct ts_stats st = {0};
    struct ts_fault *f = ts_fault_new(&cfg, TS_FAULT_OUT, 1, &st);
    static uint8_t fr[1250], got[1500];
    memset(fr, 0, sizeof fr);
    unsigned passed_now = 0;
    for (int i = 0; i < 100; i++) {
        unsigned what = ts_fault_push(f, 0, fr, sizeof fr);
        if (what == 0) passed_now++;
    }
    assert_int_equal(passed_now, 1);                 /* the burst allows one frame at once */
    uint64_t over = st.v[TS_CTR_fault_overflow_out];
    uint64_t limited = st.v[TS_CTR_fault_rate_limited_out];
    assert_int_equal(1 + limited + over, 100);
    assert_in_range(limited, 49, 51);
    ts_time_t last = 0;
    unsigned n = 0;
    while (ts_fault_held(f)) {
        ts_time_t t = ts_fault_poll_at(f);
        assert_int_equal(ts_fault_pop(f, t, got, sizeof got), 1250);
        if (n > 1) assert_in_range(t - last, 9990, 10010);
        last = t;
        n++;
    }
    assert_int_equal(n, 1 + limited);
    assert_true(last <= TS_FAULT_RATE_QUEUE);
    ts_fault_free(f);
}

static void test_queue_bound(void **state)
{
    struct ts_fault_cfg cfg = { .delay = TS_SEC(1) };
    struct ts_stats st = {0};
    struct ts_fault *f = ts_fault_new(&cfg, TS_FAULT_IN, 1, &st);
    uint8_t fr[200];
    for (uint32_t i = 0; i < TS_FAULT_QMAX + 100; i++) ts_fault_push(f, i, fr, frame_n(fr, i));
    assert_int_equal(ts_fault_held(f), TS_FAULT_QMAX);
    assert_int_equal(st.v[TS_CTR_fault_overflow_in], 100);
    ts_fault_free(f);                                /* frees what it holds (ASan checks) */
}

static void test_config(void **state)
{
    struct ts_fault_cfg cfg = { .loss = 1.5 };
    assert_null(ts_fault_new(&cfg, TS_FAULT_IN, 1, NULL));
    assert_non_null(ts_fault_cfg_check(&cfg));
    cfg = (struct ts_fault_cfg){ 0 };
    assert_false(ts_fault_cfg_active(&cfg));
    cfg.rate = 8000;
    assert_true(ts_fault_cfg_active(&cfg));
    /* nothing configured: frames pass at once, in order, uncounted */
    cfg = (struct ts_fault_cfg){ 0 };
    struct ts_fault *f = ts_fault_new(&cfg, TS_FAULT_IN, 1, NULL);
    uint32_t o[50];
    assert_int_equal(run(f, 50, o, 50), 50);
    for (uint32_t i = 0; i < 50; i++) assert_int_equal(o[i], i);
    ts_fault_free(f);
}

static void test_parse(void **state)
{
    double p;
    ts_time_t d, j;
    uint64_t r;
    assert_true(ts_fault_parse_prob("0.1", &p));
    assert_true(p > 0.0999 && p < 0.1001);
    assert_true(ts_fault_parse_prob("10%", &p));
    assert_true(p > 0.0999 && p < 0.1001);
    assert_true(ts_fault_parse_prob("1", &p));
    assert_false(ts_fault_parse_prob("1.5", &p));
    assert_false(ts_fault_parse_prob("-0.1", &p));
    assert_false(ts_fault_parse_prob("abc", &p));
    assert_false(ts_fault_parse_prob("", &p));
    assert_false(ts_fault_parse_prob("0.1x", &p));
    assert_true(ts_fault_parse_delay("20", &d, &j));
    assert_int_equal(d, 20000);
    assert_int_equal(j, 0);
    assert_true(ts_fault_parse_delay("20+5", &d, &j));
    assert_int_equal(d, 20000);
    assert_int_equal(j, 5000);
    assert_true(ts_fault_parse_delay("1.5ms+0.25ms", &d, &j));
    assert_int_equal(d, 1500);
    assert_int_equal(j, 250);
    assert_false(ts_fault_parse_delay("x", &d, &j));
    assert_false(ts_fault_parse_delay("20+", &d, &j));
    assert_false(ts_fault_parse_delay("-3", &d, &j));
    assert_true(ts_fault_parse_rate("1M", &r));
    assert_int_equal(r, 1000000);
    assert_true(ts_fault_parse_rate("10000000", &r));
    assert_int_equal(r, 10000000);
    assert_true(ts_fault_parse_rate("2.5Mbit", &r));
    assert_int_equal(r, 2500000);
    assert_true(ts_fault_parse_rate("1G", &r));
    assert_int_equal(r, 1000000000);
    assert_false(ts_fault_parse_rate("0", &r));
    assert_false(ts_fault_parse_rate("10x", &r));
    assert_false(ts_fault_parse_rate("100", &r));     /* below 1 kB/s */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loss_rate_and_determinism),
        cmocka_unit_test(test_directions_differ),
        cmocka_unit_test(test_dup),
        cmocka_unit_test(test_corrupt),
        cmocka_unit_test(test_delay_and_jitter),
        cmocka_unit_test(test_reorder),
        cmocka_unit_test(test_rate),
        cmocka_unit_test(test_queue_bound),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
