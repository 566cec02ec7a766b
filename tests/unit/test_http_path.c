/* Unit tests: request-target decoding, normalization and confinement (stack/apps/http/http_path.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apps/http/http_path.h"

static void ok(const char *target, const char *want)
{
    char out[TS_HTTP_MAX_PATH];
    int st = ts_http_target_path(target, out, sizeof out, NULL);
    if (st != 0 || strcmp(out, want) != 0)
        fprintf(stderr, "target %s: status %d path %s, want %s\n", target, st, st ? "-" : out, want);
    assert_int_equal(st, 0);
    assert_string_equal(out, want);
}

static void refused(const char *target, int status)
{
    char out[TS_HTTP_MAX_PATH];
    int st = ts_http_target_path(target, out, sizeof out, NULL);
    if (st != status)
        fprintf(stderr, "target %s: status %d (%s), want %d\n", target, st, st ? "-" : out, status);
    assert_int_equal(st, status);
}

static void test_plain_paths(void **state)
{
    (void)state;
    ok("/", "/");
    ok("/index.html", "/index.html");
    ok("/a/b/c.txt", "/a/b/c.txt");
    ok("/a/b/", "/a/b/");
    ok("//a///b", "/a/b");
    ok("/a?x=1&y=/../..", "/a");
    ok("/a#frag", "/a");
    ok("/?", "/");
    bool q = false;
    char out[64];
    assert_int_equal(ts_http_target_path("/x?y", out, sizeof out, &q), 0);
    assert_true(q);
    assert_string_equal(ts_http_target_query("/x?a=1"), "a=1");
    assert_string_equal(ts_http_target_query("/x"), "");
}

static void test_absolute_form(void **state)
{
    (void)state;
    ok("http://example.com/a/b", "/a/b");
    ok("HTTP://example.com", "/");
    ok("http://example.com:8080?x", "/");
    ok("https://h/x/", "/x/");
}

static void test_percent_decoding(void **state)
{
    (void)state;
    ok("/a%20b", "/a b");
    ok("/%41%62c", "/Abc");
    ok("/caf%C3%A9", "/caf\xc3\xa9");
    ok("/a%2Eb", "/a.b");                  /* an encoded dot inside a name is only a dot */
    refused("/a%2", 400);
    refused("/a%zz", 400);
    refused("/a%", 400);
    refused("/a%00b", 400);                /* NUL */
    refused("/a%2fb", 400);                /* encoded slash */
    refused("/a%2Fb", 400);
}

static void test_dot_segments(void **state)
{
    (void)state;
    ok("/a/./b", "/a/b");
    ok("/a/b/../c", "/a/c");
    ok("/a/b/..", "/a/");
    ok("/a/.", "/a/");
    ok("/a/b/../../", "/");
    ok("/.", "/");
    ok("/...", "/...");                    /* a legal file name */
    ok("/..a", "/..a");
    refused("/..", 400);
    refused("/../etc/passwd", 400);
    refused("/a/../../etc/passwd", 400);
    refused("/a/b/../../../x", 400);
    refused("http://h/../x", 400);
}

static void test_encoded_dots_refused(void **state)
{
    (void)state;
    refused("/%2e%2e/etc/passwd", 400);
    refused("/%2E%2E/%2E%2E/etc/passwd", 400);
    refused("/a/%2e%2e/b", 400);
    refused("/a/.%2e/b", 400);
    refused("/a/%2e/b", 400);
    refused("/%2e", 400);
}

static void test_malformed(void **state)
{
    (void)state;
    refused("*", 400);
    refused("example.com:80", 400);
    refused("a/b", 400);
    refused("", 400);
}

static void test_too_long(void **state)
{
    (void)state;
    char big[600];
    big[0] = '/';
    memset(big + 1, 'a', 300);
    big[301] = '\0';
    refused(big, 414);                     /* one segment longer than NAME_MAX */
    char out[16];
    assert_int_equal(ts_http_target_path("/abcdefgh/ijklmnopq", out, sizeof out, NULL), 414);
}

/* Opening beneath the root (symlinks, races ...) is attacked in test_fs_root.c. */

static void test_escape_helpers(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(ts_http_html_escape(out, sizeof out, 0, "<a href=\"x\">&'"), 38);
    assert_string_equal(out, "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    size_t n = ts_http_url_encode(out, sizeof out, 0, "a b/c%d~e.f");
    assert_string_equal(out, "a%20b%2Fc%25d~e.f");
    assert_int_equal(n, strlen(out));
    /* Truncation is reported as cap and leaves a terminated string. */
    char small[8];
    assert_int_equal(ts_http_url_encode(small, sizeof small, 0, "     "), sizeof small);
    assert_true(strlen(small) < sizeof small);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_paths),
        cmocka_unit_test(test_absolute_form),
        cmocka_unit_test(test_percent_decoding),
        cmocka_unit_test(test_dot_segments),
        cmocka_unit_test(test_encoded_dots_refused),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_too_long),
        cmocka_unit_test(test_escape_helpers),
    };
    return cmocka_run_group_tests_name("http_path", tests, NULL, NULL);
}
