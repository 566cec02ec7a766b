/* RFC 6528 ISNs and SYN cookies (stack/tcp/tcp_isn.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "tcp/tcp_impl.h"

static struct ts_tcp keyed(uint64_t seed)
{
    struct ts_tcp t = { 0 };
    struct ts_rng r;
    ts_rng_seed(&r, seed);
    t.isn_key = ts_rng_key(&r);
    t.cookie_key = ts_rng_key(&r);
    return t;
}

static void differs_per_tuple(void **st)
{
    (void)st;
    struct ts_tcp t = keyed(1);
    ts_time_t now = TS_SEC(5);
    uint32_t a = tcp_isn(&t, now, 0x0a000002, 80, 0x0a000001, 40000);
    assert_int_not_equal(a, tcp_isn(&t, now, 0x0a000002, 80, 0x0a000001, 40001));
    assert_int_not_equal(a, tcp_isn(&t, now, 0x0a000002, 81, 0x0a000001, 40000));
    assert_int_not_equal(a, tcp_isn(&t, now, 0x0a000002, 80, 0x0a000003, 40000));
    assert_int_equal(a, tcp_isn(&t, now, 0x0a000002, 80, 0x0a000001, 40000));   /* a function */
    struct ts_tcp u = keyed(2);
    assert_int_not_equal(a, tcp_isn(&u, now, 0x0a000002, 80, 0x0a000001, 40000)); /* keyed */
}

static void grows_with_time(void **st)
{
    (void)st;
    struct ts_tcp t = keyed(1);
    uint32_t a = tcp_isn(&t, TS_SEC(5), 1, 2, 3, 4);
    uint32_t b = tcp_isn(&t, TS_SEC(5) + 4, 1, 2, 3, 4);
    uint32_t c = tcp_isn(&t, TS_SEC(6), 1, 2, 3, 4);
    assert_int_equal(b - a, 1);                 /* one tick per 4 microseconds */
    assert_int_equal(c - a, 250000);
    assert_true(SEQ_GT(c, a));
}

static void cookie_roundtrip(void **st)
{
    (void)st;
    struct ts_tcp t = keyed(3);
    ts_time_t now = TS_SEC(1000);
    uint32_t c = tcp_cookie_make(&t, now, 1, 80, 2, 5555, 12345, 1460);
    assert_int_equal(tcp_cookie_check(&t, now + TS_SEC(3), 1, 80, 2, 5555, 12345, c), 1460);
    assert_int_equal(tcp_cookie_check(&t, now + TS_SEC(64), 1, 80, 2, 5555, 12345, c), 1460);
    assert_int_equal(tcp_cookie_check(&t, now + TS_SEC(200), 1, 80, 2, 5555, 12345, c), 0);  /* stale */
    assert_int_equal(tcp_cookie_check(&t, now, 1, 80, 2, 5556, 12345, c), 0);   /* other port */
    assert_int_equal(tcp_cookie_check(&t, now, 1, 80, 2, 5555, 12346, c), 0);   /* other ISN */
    assert_int_equal(tcp_cookie_check(&t, now, 1, 80, 2, 5555, 12345, c ^ 1), 0);
    uint32_t d = tcp_cookie_make(&t, now, 1, 80, 2, 5555, 12345, 600);
    assert_int_equal(tcp_cookie_check(&t, now, 1, 80, 2, 5555, 12345, d), 536);  /* rounded down */
    uint32_t e = tcp_cookie_make(&t, now, 1, 80, 2, 5555, 12345, 10);
    assert_int_equal(tcp_cookie_check(&t, now, 1, 80, 2, 5555, 12345, e), 48);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(differs_per_tuple), cmocka_unit_test(grows_with_time),
        cmocka_unit_test(cookie_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
