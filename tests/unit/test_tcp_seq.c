/* Sequence arithmetic modulo 2^32 (stack/tcp/tcp_seq.h), wrap included. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "tcp/tcp_seq.h"

static void plain_order(void **st)
{
    (void)st;
    assert_true(SEQ_LT(1, 2));
    assert_false(SEQ_LT(2, 1));
    assert_false(SEQ_LT(5, 5));
    assert_true(SEQ_LEQ(5, 5));
    assert_true(SEQ_GEQ(5, 5));
    assert_true(SEQ_GT(100, 99));
}

static void across_wrap(void **st)
{
    (void)st;
    assert_true(SEQ_LT(0xfffffff0u, 0x10u));       /* 0x10 comes after the wrap */
    assert_true(SEQ_GT(0x10u, 0xfffffff0u));
    assert_true(SEQ_LT(0xffffffffu, 0));
    assert_true(SEQ_GEQ(0, 0xffffffffu));
    assert_int_equal(ts_seq_max(0xfffffff0u, 5), 5);
    assert_int_equal(ts_seq_min(0xfffffff0u, 5), 0xfffffff0u);
}

static void half_space(void **st)
{
    (void)st;
    /* 2^31 - 1 ahead is still "after"; 2^31 + 1 ahead reads as "before" */
    assert_true(SEQ_LT(0, 0x7fffffffu));
    assert_true(SEQ_GT(0, 0x80000001u));
}

static void in_range(void **st)
{
    (void)st;
    assert_true(ts_seq_in(0xfffffffeu, 0xfffffff0u, 0x10u));
    assert_true(ts_seq_in(0x5u, 0xfffffff0u, 0x10u));
    assert_false(ts_seq_in(0x10u, 0xfffffff0u, 0x10u));   /* hi is excluded */
    assert_true(ts_seq_in(0xfffffff0u, 0xfffffff0u, 0x10u));
    assert_false(ts_seq_in(7, 7, 7));                     /* empty */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_order), cmocka_unit_test(across_wrap),
        cmocka_unit_test(half_space), cmocka_unit_test(in_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
