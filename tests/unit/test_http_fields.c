/* Unit tests: HTTP-date, Range and media types (http_date.c, http_range.c, mime.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "apps/http/http_date.h"
#include "apps/http/http_range.h"
#include "apps/http/mime.h"

static void test_date_format(void **state)
{
    (void)state;
    char buf[TS_HTTP_DATE_LEN + 1];
    assert_string_equal(ts_http_date_format(784111777, buf), "Sun, 06 Nov 1994 08:49:37 GMT");
    assert_string_equal(ts_http_date_format(0, buf), "Thu, 01 Jan 1970 00:00:00 GMT");
    assert_int_equal(strlen(buf), TS_HTTP_DATE_LEN);
}

static void test_date_parse_three_forms(void **state)
{
    (void)state;
    time_t t = 0;
    assert_true(ts_http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT", &t));
    assert_int_equal(t, 784111777);
    t = 0;
    assert_true(ts_http_date_parse("Sunday, 06-Nov-94 08:49:37 GMT", &t));
    assert_int_equal(t, 784111777);
    t = 0;
    assert_true(ts_http_date_parse("Sun Nov  6 08:49:37 1994", &t));
    assert_int_equal(t, 784111777);
    assert_true(ts_http_date_parse("Tue, 24 Nov 2026 10:00:00 GMT", &t));
    char buf[TS_HTTP_DATE_LEN + 1];
    assert_string_equal(ts_http_date_format(t, buf), "Tue, 24 Nov 2026 10:00:00 GMT");
}

static void test_date_parse_rejects(void **state)
{
    (void)state;
    time_t t;
    assert_false(ts_http_date_parse("", &t));
    assert_false(ts_http_date_parse("yesterday", &t));
    assert_false(ts_http_date_parse("Sun, 06 Nov 1994 08:49:37 UTC", &t));
    assert_false(ts_http_date_parse("Sun, 06 Foo 1994 08:49:37 GMT", &t));
    assert_false(ts_http_date_parse("Sun, 36 Nov 1994 08:49:37 GMT", &t));
    assert_false(ts_http_date_parse("Sun, 06 Nov 1994 25:49:37 GMT", &t));
    assert_false(ts_http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT ", &t));
    assert_false(ts_http_date_parse("Sun, 6 Nov 1994 08:49:37 GMT", &t));
    assert_false(ts_http_date_parse("Sunday, 06-Nov-94 08:49:37 GMX", &t));
}

static void range(const char *v, uint64_t size, enum ts_http_range_result want, uint64_t f,
                  uint64_t l)
{
    uint64_t first = 999, last = 999;
    enum ts_http_range_result r = ts_http_range_parse(v, size, &first, &last);
    assert_int_equal(r, want);
    if (want == TS_RANGE_OK) {
        assert_int_equal(first, f);
        assert_int_equal(last, l);
    }
}

static void test_range(void **state)
{
    (void)state;
    range("bytes=0-9", 100, TS_RANGE_OK, 0, 9);
    range("bytes=10-", 100, TS_RANGE_OK, 10, 99);
    range("bytes=-10", 100, TS_RANGE_OK, 90, 99);
    range("bytes=-1000", 100, TS_RANGE_OK, 0, 99);
    range("bytes=90-1000", 100, TS_RANGE_OK, 90, 99);
    range("BYTES=0-0", 100, TS_RANGE_OK, 0, 0);
    range("bytes=99-99", 100, TS_RANGE_OK, 99, 99);
    range("bytes=100-", 100, TS_RANGE_UNSATISFIABLE, 0, 0);
    range("bytes=100-200", 100, TS_RANGE_UNSATISFIABLE, 0, 0);
    range("bytes=-0", 100, TS_RANGE_UNSATISFIABLE, 0, 0);
    range("bytes=0-", 0, TS_RANGE_UNSATISFIABLE, 0, 0);
    range("bytes=-5", 0, TS_RANGE_UNSATISFIABLE, 0, 0);
    /* ignored: send the whole representation */
    range("", 100, TS_RANGE_IGNORE, 0, 0);
    range("items=0-9", 100, TS_RANGE_IGNORE, 0, 0);
    range("bytes=9-0", 100, TS_RANGE_IGNORE, 0, 0);
    range("bytes=0-1,5-6", 100, TS_RANGE_IGNORE, 0, 0);
    range("bytes=a-b", 100, TS_RANGE_IGNORE, 0, 0);
    range("bytes=-", 100, TS_RANGE_IGNORE, 0, 0);
    range("bytes=1", 100, TS_RANGE_IGNORE, 0, 0);
    range("bytes=99999999999999999999-", 100, TS_RANGE_IGNORE, 0, 0);
}

static void test_mime(void **state)
{
    (void)state;
    assert_string_equal(ts_mime_type("index.html"), "text/html; charset=utf-8");
    assert_string_equal(ts_mime_type("/a/b/PHOTO.JPG"), "image/jpeg");
    assert_string_equal(ts_mime_type("x.tar.gz"), "application/gzip");
    assert_string_equal(ts_mime_type("notes.txt"), "text/plain; charset=utf-8");
    assert_string_equal(ts_mime_type("data.json"), "application/json");
    assert_string_equal(ts_mime_type("Makefile"), "application/octet-stream");
    assert_string_equal(ts_mime_type(".bashrc"), "application/octet-stream");
    assert_string_equal(ts_mime_type("a.dir/noext"), "application/octet-stream");
    assert_string_equal(ts_mime_type("trailing."), "application/octet-stream");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_date_format),
        cmocka_unit_test(test_date_parse_three_forms),
        cmocka_unit_test(test_date_parse_rejects),
        cmocka_unit_test(test_range),
        cmocka_unit_test(test_mime),
    };
    return cmocka_run_group_tests_name("http_fields", tests, NULL, NULL);
}
