/* Waiting awake for the next frame (stack/driver/rx_spin.h): when, how long, when not. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "driver/rx_spin.h"

/* With --busy-poll: after any batch with frames; the bulk budget after super-segments. */
static void after_frames_with_their_budget(void **st)
{
    (void)st;
    struct ts_rx_spin sp;
    ts_rx_spin_init(&sp, 30, 50);
    assert_int_equal(ts_rx_spin_until(&sp, 1000, TS_TIME_NEVER), 0);      /* nothing yet: sleep */
    ts_rx_spin_batch(&sp, 0, 0);             /* writes or timers alone: still nothing */
    assert_int_equal(ts_rx_spin_until(&sp, 1000, TS_TIME_NEVER), 0);
    ts_rx_spin_batch(&sp, 1, 0);             /* a request, a lone frame: the whole budget */
    assert_int_equal(ts_rx_spin_until(&sp, 1000, TS_TIME_NEVER), 1050);
    ts_rx_spin_batch(&sp, 3, 3);             /* super-segments: the bulk budget */
    assert_int_equal(ts_rx_spin_until(&sp, 1000, TS_TIME_NEVER), 1030);
    ts_rx_spin_batch(&sp, 0, 0);             /* only writes completed: still a bulk transfer */
    assert_int_equal(ts_rx_spin_until(&sp, 1000, TS_TIME_NEVER), 1030);
    ts_rx_spin_batch(&sp, 2, 1);             /* a super-segment among other frames */
    assert_int_equal(ts_rx_spin_until(&sp, 1000, TS_TIME_NEVER), 1030);
    ts_rx_spin_batch(&sp, 2, 0);             /* requests again */
    assert_int_equal(ts_rx_spin_until(&sp, 1000, TS_TIME_NEVER), 1050);
}

/* By default (no --busy-poll) only super-segments are watched for. */
static void only_super_segments_by_default(void **st)
{
    (void)st;
    struct ts_rx_spin sp;
    ts_rx_spin_init(&sp, 30, 0);
    ts_rx_spin_batch(&sp, 3, 3);
    assert_int_equal(ts_rx_spin_until(&sp, 1000, TS_TIME_NEVER), 1030);
    ts_rx_spin_batch(&sp, 1, 0);             /* a request, a lone frame: sleep */
    assert_int_equal(ts_rx_spin_until(&sp, 1000, TS_TIME_NEVER), 0);
    ts_rx_spin_batch(&sp, 0, 0);             /* writes alone: still not bulk */
    assert_int_equal(ts_rx_spin_until(&sp, 1000, TS_TIME_NEVER), 0);
}

static void never_past_a_timer(void **st)
{
    (void)st;
    struct ts_rx_spin sp;
    ts_rx_spin_init(&sp, 30, 50);
    ts_rx_spin_batch(&sp, 1, 0);
    assert_int_equal(ts_rx_spin_until(&sp, 1000, 1010), 1010);   /* the timer comes first */
    assert_int_equal(ts_rx_spin_until(&sp, 1000, 1000), 0);      /* due now: no watch */
    assert_int_equal(ts_rx_spin_until(&sp, 1000, 900), 0);
}

static void off_with_no_budget(void **st)
{
    (void)st;
    struct ts_rx_spin sp;
    ts_rx_spin_init(&sp, 0, 0);   /* a ring that cannot say when work is pending */
    ts_rx_spin_batch(&sp, 3, 3);
    assert_int_equal(ts_rx_spin_until(&sp, 1000, TS_TIME_NEVER), 0);
    ts_rx_spin_batch(&sp, 1, 0);
    assert_int_equal(ts_rx_spin_until(&sp, 1000, TS_TIME_NEVER), 0);
}

/* An empty watch: sleep at once until a whole wait is shorter than the budget again. */
static void cold_after_an_empty_watch(void **st)
{
    (void)st;
    struct ts_rx_spin sp;
    ts_rx_spin_init(&sp, 30, 50);
    ts_rx_spin_batch(&sp, 1, 0);
    ts_rx_spin_watched(&sp, true);
    assert_int_equal(ts_rx_spin_until(&sp, 2000, TS_TIME_NEVER), 2050);   /* a hit changes nothing */
    ts_rx_spin_watched(&sp, false);
    assert_int_equal(ts_rx_spin_until(&sp, 2000, TS_TIME_NEVER), 0);
    ts_rx_spin_slept(&sp, 53);             /* the sleep after the empty watch: watch + 3 µs */
    ts_rx_spin_batch(&sp, 1, 0);
    assert_int_equal(ts_rx_spin_until(&sp, 3000, TS_TIME_NEVER), 0);       /* still cold */
    ts_rx_spin_slept(&sp, 500);            /* a slow client: still asleep at once */
    assert_int_equal(ts_rx_spin_until(&sp, 3000, TS_TIME_NEVER), 0);
    ts_rx_spin_slept(&sp, 50);             /* the budget itself would not have caught it */
    assert_int_equal(ts_rx_spin_until(&sp, 3000, TS_TIME_NEVER), 0);
    ts_rx_spin_slept(&sp, 12);             /* frames come faster than the budget again */
    assert_int_equal(ts_rx_spin_until(&sp, 4000, TS_TIME_NEVER), 4050);
}

/* Cold and warm are judged by the budget now: 40 µs is within a request's 50, not a bulk 30. */
static void warm_again_by_the_budget_now(void **st)
{
    (void)st;
    struct ts_rx_spin sp;
    ts_rx_spin_init(&sp, 30, 50);
    ts_rx_spin_batch(&sp, 3, 3);
    ts_rx_spin_watched(&sp, false);
    ts_rx_spin_slept(&sp, 40);
    assert_int_equal(ts_rx_spin_until(&sp, 1000, TS_TIME_NEVER), 0);
    ts_rx_spin_batch(&sp, 1, 0);
    ts_rx_spin_slept(&sp, 40);
    assert_int_equal(ts_rx_spin_until(&sp, 1000, TS_TIME_NEVER), 1050);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(after_frames_with_their_budget), cmocka_unit_test(only_super_segments_by_default),
        cmocka_unit_test(never_past_a_timer), cmocka_unit_test(off_with_no_budget),
        cmocka_unit_test(cold_after_an_empty_watch), cmocka_unit_test(warm_again_by_the_budget_now),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
