/*
 * Unit tests for the heap trimmer (stack/cli/malloc_policy.c): it looks once a second and gives
 * the heap's free pages back when 256 KiB or more inside it is free. The CLI is not in the libraries the
 * unit tests link, so its source is compiled in here. (The effect on RSS is
 * tests/integration/t_mem_return.sh's to check, on the release build.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cli/malloc_policy.c"

#define MB (1024u * 1024)

static void test_trim_rule(void **state)
{
    (void)state;
    struct ts_malloc_trimmer t = { 0 };
    assert_false(ts_malloc_trim_due(&t, 0));
    assert_false(ts_malloc_trim_due(&t, 256u * 1024 - 1));
    assert_true(ts_malloc_trim_due(&t, 256u * 1024));
    assert_true(ts_malloc_trim_due(&t, 40 * MB));
}

static void test_app_polls_once_a_second(void **state)
{
    (void)state;
    struct ts_malloc_trimmer t;
    struct ts_app app;
    ts_malloc_trimmer_app(&t, 5000000, &app);
    assert_string_equal(app.name, "malloc-trim");
    assert_non_null(app.poll);
    assert_null(app.stop);
    assert_null(app.conn_stats);
    assert_int_equal(app.poll_at(app.ctx), 5000000 + TS_MALLOC_TRIM_EVERY);
    app.poll(app.ctx, 5000000 + TS_MALLOC_TRIM_EVERY - 1);         /* early: nothing moves */
    assert_int_equal(app.poll_at(app.ctx), 5000000 + TS_MALLOC_TRIM_EVERY);
    app.poll(app.ctx, 5000000 + TS_MALLOC_TRIM_EVERY);
    assert_int_equal(app.poll_at(app.ctx), 5000000 + 2 * TS_MALLOC_TRIM_EVERY);
}

static void test_policy_leaves_malloc_working(void **state)
{
    (void)state;
    ts_malloc_policy();              /* glibc's, or ignored by a sanitizer's allocator */
    char *big = malloc(4u * MB), *small = malloc(100);
    assert_non_null(big);
    assert_non_null(small);
    big[4u * MB - 1] = 1;
    free(big);
    free(small);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trim_rule),
        cmocka_unit_test(test_app_polls_once_a_second),
        cmocka_unit_test(test_policy_leaves_malloc_working),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
