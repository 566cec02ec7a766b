/*
 * Unit tests for the heap trimmer's rule (stack/cli/malloc_policy.c): give the heap's free pages
 * back once the bytes in use have halved from their peak since the last trim, by 1 MiB at least;
 * never under steady load. The CLI is not in the libraries the unit tests link, so its source is
 * compiled in here. (The thresholds' effect on RSS is tests/integration/t_mem_return.sh's.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cli/malloc_policy.c"

#define MB (1024u * 1024)

static void test_trim_after_a_fall_to_half(void **state)
{
    (void)state;
    struct ts_malloc_trimmer t = { 0 };
    assert_false(ts_malloc_trim_due(&t, 2 * MB));
    assert_false(ts_malloc_trim_due(&t, 12 * MB));      /* a burst */
    assert_false(ts_malloc_trim_due(&t, 7 * MB));       /* more than half still in use */
    assert_true(ts_malloc_trim_due(&t, 6 * MB));        /* half: the burst is gone */
    assert_int_equal(t.peak, 6 * MB);                   /* the peak starts again from there */
    assert_false(ts_malloc_trim_due(&t, 6 * MB));       /* not again for the same fall */
    assert_false(ts_malloc_trim_due(&t, 4 * MB));
    assert_true(ts_malloc_trim_due(&t, 3 * MB));
}

static void test_no_trim_under_steady_load(void **state)
{
    (void)state;
    struct ts_malloc_trimmer t = { 0 };
    /* a load that swings by a third around 2 MB, for an hour of looks */
    for (unsigned i = 0; i < 3600; i++)
        assert_false(ts_malloc_trim_due(&t, (i % 3 == 0 ? 3 : 2) * MB + (i % 7) * 1024));
}

static void test_small_falls_ignored(void **state)
{
    (void)state;
    struct ts_malloc_trimmer t = { 0 };
    assert_false(ts_malloc_trim_due(&t, MB - 1));
    assert_false(ts_malloc_trim_due(&t, MB / 4));       /* halved, but by less than 1 MiB */
    assert_false(ts_malloc_trim_due(&t, 0));
    assert_false(ts_malloc_trim_due(&t, 2 * MB));
    assert_true(ts_malloc_trim_due(&t, MB));            /* halved, and by 1 MiB */
}

static void test_app_polls_once_a_second(void **state)
{
    (void)state;
    struct ts_malloc_trimmer t;
    struct ts_app app;
    ts_malloc_trimmer_app(&t, 5000000, &app);
    assert_non_null(app.poll);
    assert_null(app.stop);
    assert_int_equal(app.poll_at(app.ctx), 5000000 + TS_MALLOC_TRIM_EVERY);
    app.poll(app.ctx, 5000000 + TS_MALLOC_TRIM_EVERY);
    assert_int_equal(app.poll_at(app.ctx), 5000000 + 2 * TS_MALLOC_TRIM_EVERY);
    assert_true(t.peak > 0 || t.trims == 0);            /* looked at the heap (ASan's reports 0) */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trim_after_a_fall_to_half),
        cmocka_unit_test(test_no_trim_under_steady_load),
        cmocka_unit_test(test_small_falls_ignored),
        cmocka_unit_test(test_app_polls_once_a_second),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
