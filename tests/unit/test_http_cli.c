/*
 * Unit tests for the HTTP block of `tapstack up` (stack/cli/app_http.c): --http PORT, --no-http,
 * --http-root DIR. The CLI is not in the libraries the unit tests link, so its sources are
 * compiled in here (as tests/unit/test_cli_up.c does).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli/parse.c"
#include "cli/apps_table.c"
#include "cli/up_opts.c"
#include "driver/netns.c"
#include "cli/app_http.c"

static int http_slot(void)
{
    for (unsigned i = 0; i < TS_CLI_APPS_MAX; i++) {
        const struct ts_cli_app *a = ts_cli_app_at(i);
        if (a && strcmp(a->name, "http") == 0)
            return (int)i;
    }
    fail_msg("no http app in the table");
    return -1;
}

/* Parse the flags in argv (NULL-terminated, after "up"); returns ts_up_parse's result. */
static int parse(struct ts_up_opts *o, char *err, const char *const *flags)
{
    char *argv[16] = {"up"};
    int argc = 1;
    for (; flags[argc - 1]; argc++)
        argv[argc] = (char *)flags[argc - 1];
    err[0] = '\0';
    return ts_up_parse(argc, argv, o, err, 256);
}

static void test_defaults(void **state)
{
    (void)state;
    struct ts_up_opts o;
    char err[256];
    const char *const f[] = {NULL};
    assert_int_equal(parse(&o, err, f), 0);
    int i = http_slot();
    assert_true(o.app_on[i]);
    const struct ts_http_opts *h = o.app_opts[i];
    assert_int_equal(h->port, 80);
    assert_null(h->root);
    ts_up_opts_free(&o);
}

static void test_port_and_switches(void **state)
{
    (void)state;
    struct ts_up_opts o;
    char err[256];
    int i = http_slot();
    const char *const a[] = {"--http", "8080", NULL};
    assert_int_equal(parse(&o, err, a), 0);
    assert_true(o.app_on[i]);
    assert_int_equal(((struct ts_http_opts *)o.app_opts[i])->port, 8080);
    ts_up_opts_free(&o);

    const char *const b[] = {"--no-http", NULL};
    assert_int_equal(parse(&o, err, b), 0);
    assert_false(o.app_on[i]);
    ts_up_opts_free(&o);

    const char *const c[] = {"--no-http", "--http=8081", NULL};
    assert_int_equal(parse(&o, err, c), 0);
    assert_true(o.app_on[i]);
    assert_int_equal(((struct ts_http_opts *)o.app_opts[i])->port, 8081);
    ts_up_opts_free(&o);
}

static void test_bad_values(void **state)
{
    (void)state;
    struct ts_up_opts o;
    char err[256];
    const char *const a[] = {"--http", "0", NULL};
    assert_int_equal(parse(&o, err, a), -1);
    assert_non_null(strstr(err, "port from 1 to 65535"));
    ts_up_opts_free(&o);
    const char *const b[] = {"--http", "http", NULL};
    assert_int_equal(parse(&o, err, b), -1);
    ts_up_opts_free(&o);
    /* --http alone is the switch (the port stays 80). */
    const char *const c[] = {"--no-http", "--http", NULL};
    assert_int_equal(parse(&o, err, c), 0);
    assert_true(o.app_on[http_slot()]);
    assert_int_equal(((struct ts_http_opts *)o.app_opts[http_slot()])->port, 80);
    ts_up_opts_free(&o);
    const char *const d[] = {"--http-root", "/no/such/dir/here", NULL};
    assert_int_equal(parse(&o, err, d), -1);
    assert_non_null(strstr(err, "no such directory"));
    ts_up_opts_free(&o);
    const char *const e[] = {"--http-root", "/etc/hostname", NULL};
    assert_int_equal(parse(&o, err, e), -1);
    ts_up_opts_free(&o);
}

static void test_root(void **state)
{
    (void)state;
    struct ts_up_opts o;
    char err[256];
    const char *const a[] = {"--http-root", "/tmp", NULL};
    assert_int_equal(parse(&o, err, a), 0);
    assert_string_equal(((struct ts_http_opts *)o.app_opts[http_slot()])->root, "/tmp");
    ts_up_opts_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_port_and_switches),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_root),
    };
    return cmocka_run_group_tests_name("http_cli", tests, NULL, NULL);
}
