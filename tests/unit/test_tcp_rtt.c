/* RFC 6298 estimator (stack/tcp/tcp_rtt.c): the numbers of §2 by hand, clamps, back-off. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "tcp/tcp_rtt.h"

#define MIN TS_MS(200)

static void initial_one_second(void **st)
{
    (void)st;
    struct ts_rtt r;
    ts_rtt_init(&r, MIN, TS_RTO_MAX);
    assert_int_equal(r.rto, TS_SEC(1));
    assert_false(r.valid);
}

static void first_then_second_sample(void **st)
{
    (void)st;
    struct ts_rtt r;
    ts_rtt_init(&r, MIN, TS_RTO_MAX);
    ts_rtt_sample(&r, TS_MS(100), MIN, TS_RTO_MAX);
    /* §2.2: SRTT = R, RTTVAR = R/2, RTO = SRTT + 4*RTTVAR = 100 + 200 */
    assert_int_equal(r.srtt, 100000);
    assert_int_equal(r.rttvar, 50000);
    assert_int_equal(r.rto, 300000);
    ts_rtt_sample(&r, TS_MS(200), MIN, TS_RTO_MAX);
    /* §2.3: RTTVAR = 3/4*50 + 1/4*|100-200| = 62.5; SRTT = 7/8*100 + 1/8*200 = 112.5 */
    assert_int_equal(r.rttvar, 62500);
    assert_int_equal(r.srtt, 112500);
    assert_int_equal(r.rto, 112500 + 250000);
}

static void clamps(void **st)
{
    (void)st;
    struct ts_rtt r;
    ts_rtt_init(&r, MIN, TS_RTO_MAX);
    ts_rtt_sample(&r, 100, MIN, TS_RTO_MAX);           /* 100 us on a LAN: RTO floors at min */
    assert_int_equal(r.rto, MIN);
    for (int i = 0; i < 50; i++) ts_rtt_sample(&r, 100, MIN, TS_RTO_MAX);
    assert_int_equal(r.srtt, 100);
    assert_int_equal(r.rto, MIN);
    ts_rtt_init(&r, MIN, TS_RTO_MAX);
    ts_rtt_sample(&r, TS_SEC(40), MIN, TS_RTO_MAX);    /* 40 + 80 s caps at 60 s */
    assert_int_equal(r.rto, TS_RTO_MAX);
    /* with no variance, G = 1 ms still counts */
    ts_rtt_init(&r, 0, TS_RTO_MAX);
    for (int i = 0; i < 200; i++) ts_rtt_sample(&r, TS_MS(10), 0, TS_RTO_MAX);
    assert_int_equal(r.rto, TS_MS(10) + TS_RTT_G);
}

static void backoff_doubles_to_max(void **st)
{
    (void)st;
    struct ts_rtt r;
    ts_rtt_init(&r, MIN, TS_RTO_MAX);
    assert_int_equal(ts_rtt_backoff(&r, 0, TS_RTO_MAX), TS_SEC(1));
    assert_int_equal(ts_rtt_backoff(&r, 1, TS_RTO_MAX), TS_SEC(2));
    assert_int_equal(ts_rtt_backoff(&r, 5, TS_RTO_MAX), TS_SEC(32));
    assert_int_equal(ts_rtt_backoff(&r, 6, TS_RTO_MAX), TS_SEC(60));
    assert_int_equal(ts_rtt_backoff(&r, 200, TS_RTO_MAX), TS_SEC(60));
}

/* RFC 7323 Appendix G's divisor counts the samples a round trip brought, capped by the flight's
 * guess: after a 1 s outlier, samples of 2 ms every 1 ms, a few per round trip with a flight of
 * 60 segments (the guess: 30), bring SRTT and the RTO down within 200 samples; divided by 30 they
 * would still hold it above 1 s. */
static void expected_samples_counted(void **st)
{
    (void)st;
    struct ts_rtt r;
    ts_rtt_init(&r, MIN, TS_RTO_MAX);
    ts_time_t now = TS_SEC(10);
    ts_rtt_sample_n(&r, TS_SEC(1), ts_rtt_expected(&r, 1, now), MIN, TS_RTO_MAX);
    assert_int_equal(r.srtt, TS_SEC(1));
    for (int i = 0; i < 200; i++) {
        now += TS_MS(1);
        uint32_t n = ts_rtt_expected(&r, 30, now);
        assert_true(n >= 1 && n <= 30);
        ts_rtt_sample_n(&r, TS_MS(2), n, MIN, TS_RTO_MAX);
    }
    assert_true(r.srtt < TS_MS(20));
    assert_int_equal(r.rto, MIN);
    /* many samples per round trip: the flight's guess caps the divisor */
    for (int i = 0; i < 1000; i++) {
        now += 10;
        assert_true(ts_rtt_expected(&r, 30, now) <= 30);
    }
    assert_int_equal(ts_rtt_expected(&r, 30, now + TS_MS(5)), 30);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(initial_one_second), cmocka_unit_test(first_then_second_sample),
        cmocka_unit_test(clamps), cmocka_unit_test(backoff_doubles_to_max),
        cmocka_unit_test(expected_samples_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
