/* Waiting awake for the next super-segment (stack/driver/rx_spin.h): when, how long, when not. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "driver/rx_spin.h"

static void only_while_super_segments_arrive(void **st)
{
    (void)st;
    struct ts_rx_spin sp;
    ts_rx_spin_init(&sp, 30);
    assert_int_equal(ts_rx_spin_until(&sp, 1000, TS_TIME_NEVER), 0);      /* nothing yet: sleep */
    ts_rx_spin_batch(&sp, 3, 3);
    assert_int_equal(ts_rx_spin_until(&sp, 1000, TS_TIME_NEVER), 1030);   /* watch the budget */
    ts_rx_spin_batch(&sp, 0, 0);             /* only writes completed: still a bulk transfer */
    assert_int_equal(ts_rx_spin_until(&sp, 1000, TS_TIME_NEVER), 1030);
    ts_rx_spin_batch(&sp, 2, 1);             /* a super-segment among other frames */
    assert_int_equal(ts_rx_spin_until(&sp, 1000, TS_TIME_NEVER), 1030);
    ts_rx_spin_batch(&sp, 1, 0);             /* a request, a lone frame */
    assert_int_equal(ts_rx_spin_until(&sp, 1000, TS_TIME_NEVER), 0);
}

static void never_past_a_timer(void **st)
{
    (void)st;
    struct ts_rx_spin sp;
    ts_rx_spin_init(&sp, 30);
    ts_rx_spin_batch(&sp, 3, 3);
    assert_int_equal(ts_rx_spin_until(&sp, 1000, 1010), 1010);   /* the timer comes first */
    assert_int_equal(ts_rx_spin_until(&sp, 1000, 1000), 0);      /* due now: no watch */
    assert_int_equal(ts_rx_spin_until(&sp, 1000, 900), 0);
}

static void off_with_no_budget(void **st)
{
    (void)st;
    struct ts_rx_spin sp;
    ts_rx_spin_init(&sp, 0);   /* plain frames, or a ring that cannot say when work is pending */
    ts_rx_spin_batch(&sp, 3, 3);
    assert_int_equal(ts_rx_spin_until(&sp, 1000, TS_TIME_NEVER), 0);
}

/* An empty watch: sleep at once until a sleep is shorter than the budget again. */
static void cold_after_an_empty_watch(void **st)
{
    (void)st;
    struct ts_rx_spin sp;
    ts_rx_spin_init(&sp, 30);
    ts_rx_spin_batch(&sp, 3, 3);
    ts_rx_spin_watched(&sp, true);
    assert_int_equal(ts_rx_spin_until(&sp, 2000, TS_TIME_NEVER), 2030);   /* a hit changes nothing */
    ts_rx_spin_watched(&sp, false);
    assert_int_equal(ts_rx_spin_until(&sp, 2000, TS_TIME_NEVER), 0);
    ts_rx_spin_slept(&sp, 500);            /* a slow sender: still asleep at once */
    ts_rx_spin_batch(&sp, 3, 3);
    assert_int_equal(ts_rx_spin_until(&sp, 3000, TS_TIME_NEVER), 0);
    ts_rx_spin_slept(&sp, 30);             /* the budget itself would not have caught it */
    assert_int_equal(ts_rx_spin_until(&sp, 3000, TS_TIME_NEVER), 0);
    ts_rx_spin_slept(&sp, 12);             /* frames come faster than the budget again */
    assert_int_equal(ts_rx_spin_until(&sp, 4000, TS_TIME_NEVER), 4030);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(only_while_super_segments_arrive), cmocka_unit_test(never_past_a_timer),
        cmocka_unit_test(off_with_no_budget), cmocka_unit_test(cold_after_an_empty_watch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
