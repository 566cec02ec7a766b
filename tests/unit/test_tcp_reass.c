/* Out-of-order range tracking (stack/tcp/tcp_reass.c): in order, reversed, overlapping,
 * bounded. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "tcp/tcp_reass.h"

static void in_order(void **st)
{
    (void)st;
    struct ts_reass re = { 0 };
    assert_int_equal(ts_reass_add(&re, 0, 100), 0);
    assert_int_equal(ts_reass_front(&re), 100);
    ts_reass_advance(&re, 100);
    assert_int_equal(re.n, 0);
    assert_int_equal(ts_reass_front(&re), 0);
    ts_reass_free(&re);
}

static void reversed(void **st)
{
    (void)st;
    struct ts_reass re = { 0 };
    for (int i = 4; i >= 1; i--) {
        assert_int_equal(ts_reass_add(&re, (uint32_t)i * 10, 10), 0);
        assert_int_equal(ts_reass_front(&re), 0);       /* hole at 0 */
    }
    assert_int_equal(re.n, 1);                           /* adjacent ranges merged: [10,50) */
    assert_int_equal(ts_reass_bytes(&re), 40);
    assert_int_equal(ts_reass_add(&re, 0, 10), 0);
    assert_int_equal(ts_reass_front(&re), 50);
    ts_reass_free(&re);
}

static void overlapping(void **st)
{
    (void)st;
    struct ts_reass re = { 0 };
    assert_int_equal(ts_reass_add(&re, 10, 20), 0);     /* [10,30) */
    assert_int_equal(ts_reass_add(&re, 40, 10), 0);     /* [40,50) */
    assert_int_equal(ts_reass_add(&re, 25, 20), 0);     /* bridges both: [10,50) */
    assert_int_equal(re.n, 1);
    assert_int_equal(re.r[0].start, 10);
    assert_int_equal(re.r[0].end, 50);
    assert_int_equal(ts_reass_add(&re, 12, 5), 0);      /* inside: nothing changes */
    assert_int_equal(re.n, 1);
    assert_int_equal(ts_reass_bytes(&re), 40);
    assert_int_equal(ts_reass_add(&re, 5, 100), 0);     /* covers everything */
    assert_int_equal(re.r[0].start, 5);
    assert_int_equal(re.r[0].end, 105);
    ts_reass_advance(&re, 50);                           /* RCV.NXT moved into the range */
    assert_int_equal(re.r[0].start, 0);
    assert_int_equal(ts_reass_front(&re), 55);
    ts_reass_free(&re);
}

static void bounded(void **st)
{
    (void)st;
    struct ts_reass re = { 0 };
    for (uint32_t i = 0; i < TS_REASS_MAX; i++) assert_int_equal(ts_reass_add(&re, 10 + i * 20, 5), 0);
    assert_int_equal(re.n, TS_REASS_MAX);
    struct ts_reass before = re;
    assert_int_equal(ts_reass_add(&re, 1000, 5), -1);   /* one more hole: refused */
    assert_int_equal(ts_reass_add(&re, 2, 3), -1);
    assert_memory_equal(&before, &re, sizeof re);        /* unchanged */
    assert_int_equal(ts_reass_add(&re, 15, 15), 0);      /* merging two is fine */
    assert_int_equal(re.n, TS_REASS_MAX - 1);
    assert_int_equal(ts_reass_add(&re, 1000, 5), 0);
    ts_reass_advance(&re, 40);                            /* drops ranges fully before */
    assert_int_equal(re.r[0].start, 10);
    ts_reass_advance(&re, 100000);                        /* all gone: the array is freed */
    assert_int_equal(re.n, 0);
    assert_null(re.r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(in_order), cmocka_unit_test(reversed),
        cmocka_unit_test(overlapping), cmocka_unit_test(bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
