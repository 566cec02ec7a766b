/*
 * `tapstack up`'s FTP flags (stack/cli/app_ftp.c) through the real option parser, and the app's
 * start/stop on a real stack. The CLI is not in the libraries the unit tests link, so its
 * sources are compiled in here (as tests/unit/test_cli_up.c does).
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
#include "cli/app_ftp.c"

static unsigned ftp_slot(void)
{
    for (unsigned i = 0; i < TS_CLI_APPS_MAX; i++)
        if (ts_cli_app_at(i) == &ts_cli_app_ftp) return i;
    fail_msg("ftp not in the table");
    return 0;
}

static int parse(struct ts_up_opts *o, char *err, size_t n, const char *a, const char *b, const char *c)
{
    char *argv[5] = { (char *)"up", (char *)a, (char *)b, (char *)c, NULL };
    int argc = 1 + (a != NULL) + (a && b) + (a && b && c);
    err[0] = '\0';
    return ts_up_parse(argc, argv, o, err, n);
}

static void test_flags(void **state)
{
    (void)state;
    struct ts_up_opts o;
    char err[300];
    unsigned f = ftp_slot();
    assert_int_equal(parse(&o, err, sizeof err, NULL, NULL, NULL), 0);
    assert_true(o.app_on[f]);
    struct cli_ftp *c = o.app_opts[f];
    assert_int_equal(c->o.port, 21);
    assert_null(c->o.root);
    assert_false(c->o.writable);
    assert_string_equal(c->user, "");
    ts_up_opts_free(&o);

    assert_int_equal(parse(&o, err, sizeof err, "--no-ftp", NULL, NULL), 0);
    assert_false(o.app_on[f]);
    ts_up_opts_free(&o);

    /* --ftp PORT moves it and switches it on, even after --no-ftp */
    assert_int_equal(parse(&o, err, sizeof err, "--no-ftp", "--ftp", "2121"), 0);
    assert_true(o.app_on[f]);
    assert_int_equal(((struct cli_ftp *)o.app_opts[f])->o.port, 2121);
    ts_up_opts_free(&o);

    assert_int_equal(parse(&o, err, sizeof err, "--ftp-user", "alice:s3:cret", "--ftp-writable"), 0);
    c = o.app_opts[f];
    assert_string_equal(c->user, "alice");
    assert_string_equal(c->password, "s3:cret");    /* the first colon splits */
    assert_true(c->o.writable);
    ts_up_opts_free(&o);

    assert_int_equal(parse(&o, err, sizeof err, "--ftp-root=/tmp", NULL, NULL), 0);
    assert_string_equal(((struct cli_ftp *)o.app_opts[f])->o.root, "/tmp");
    ts_up_opts_free(&o);

    static const char *const bad[][3] = {
        {"--ftp", "0", "expected a TCP port"},
        {"--ftp", "65536", "expected a TCP port"},
        {"--ftp", "21x", "expected a TCP port"},
        {"--ftp-root", "/nonexistent/dir", "no such directory"},
        {"--ftp-user", "alice", "expected NAME:PASSWORD"},
        {"--ftp-user", ":pw", "expected NAME:PASSWORD"},
        {"--ftp-writable=yes", NULL, "takes no value"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int r = parse(&o, err, sizeof err, bad[i][0], bad[i][1], NULL);
        if (r != -1 || !strstr(err, bad[i][2]))
            fail_msg("%s %s: got %d '%s', wanted '%s'", bad[i][0], bad[i][1] ? bad[i][1] : "", r, err, bad[i][2]);
        ts_up_opts_free(&o);
    }
}

/* The app starts on a real stack, refuses a taken port with a message, and stops cleanly. */
static void test_start_stop(void **state)
{
    (void)state;
    struct ts_config cfg;
    ts_config_default(&cfg);
    struct ts_stack *s = ts_stack_new(&cfg, NULL);
    assert_non_null(s);
    struct cli_ftp c;
    ftp_defaults(&c);
    assert_int_equal(ftp_set_port(&c, "2121", NULL, 0), 0);
    struct ts_app a, b;
    char err[200] = "";
    assert_int_equal(ts_cli_app_ftp.start(s, 0, &c, &a, err, sizeof err), 0);
    assert_string_equal(a.name, "ftp");
    assert_int_equal(a.poll_at(a.ctx), TS_TIME_NEVER);
    assert_int_equal(ts_cli_app_ftp.start(s, 0, &c, &b, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot listen on TCP port 2121"));
    a.stop(a.ctx, 0);
    /* the port is free again */
    assert_int_equal(ts_cli_app_ftp.start(s, 0, &c, &b, err, sizeof err), 0);
    b.stop(b.ctx, 0);
    ts_stack_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_start_stop),
    };
    return cmocka_run_group_tests_name("ftp_cli", tests, NULL, NULL);
}
