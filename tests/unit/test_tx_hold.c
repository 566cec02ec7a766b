/* Holding the transmit drain for the next batch (stack/driver/tx_hold.h): when, how often, when not. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "driver/tx_hold.h"

/* Held only while frames wait in the TAP and the batch brought super-segments. */
static void only_while_super_segments_wait(void **st)
{
    (void)st;
    struct ts_tx_hold h;
    ts_tx_hold_init(&h, 3);
    assert_false(ts_tx_hold_drain(&h, false, 4));   /* the TAP is empty: drain now */
    assert_false(ts_tx_hold_drain(&h, true, 0));    /* small frames waiting (requests): drain now */
    assert_false(ts_tx_hold_drain(&h, false, 0));   /* a lone frame, only writes completed */
    assert_true(ts_tx_hold_drain(&h, true, 4));     /* four super-segments and more waiting */
    assert_true(ts_tx_hold_drain(&h, true, 1));     /* one among other frames */
    assert_false(ts_tx_hold_drain(&h, false, 4));   /* the TAP ran dry: drain */
}

/* At most max drains in a row, then one runs, and a new run may be held again. */
static void at_most_max_in_a_row(void **st)
{
    (void)st;
    struct ts_tx_hold h;
    ts_tx_hold_init(&h, 3);
    for (unsigned round = 0; round < 2; round++) {
        assert_true(ts_tx_hold_drain(&h, true, 4));
        assert_true(ts_tx_hold_drain(&h, true, 4));
        assert_true(ts_tx_hold_drain(&h, true, 4));
        assert_false(ts_tx_hold_drain(&h, true, 4));   /* the fourth batch drains */
    }
    assert_true(ts_tx_hold_drain(&h, true, 4));
    assert_false(ts_tx_hold_drain(&h, true, 0));       /* any drain starts the count again */
    assert_true(ts_tx_hold_drain(&h, true, 4));
    assert_int_equal(h.held, 1);
}

/* Off (plain frames, or a capture that its replay must reproduce batch by batch). */
static void off_with_max_zero(void **st)
{
    (void)st;
    struct ts_tx_hold h;
    ts_tx_hold_init(&h, 0);
    assert_false(ts_tx_hold_drain(&h, true, 4));
    assert_false(ts_tx_hold_drain(&h, true, 4));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(only_while_super_segments_wait),
        cmocka_unit_test(at_most_max_in_a_row),
        cmocka_unit_test(off_with_max_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
