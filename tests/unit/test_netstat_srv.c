/* The control socket's netstat/arp commands (cli/netstat_srv.c): flags from the client, answer text. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tapstack/socket.h"
#include "cli/netstat_srv.h"
#include "driver/ctl.h"

static void noop_cb(void *arg, struct ts_sock *sock, unsigned ev, ts_time_t now)
{
    (void)arg; (void)sock; (void)ev; (void)now;
}

/* Run a command as the control socket would; returns its output (caller frees) and status. */
static char *run(struct ts_stack *s, int *status, int argc, char **argv)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    *status = strcmp(argv[0], "arp") == 0 ? ts_ctl_arp(s, 0, argc, argv, out) : ts_ctl_netstat(s, 0, argc, argv, out);
    fclose(out);
    return text;
}

static void test_commands(void **state)
{
    (void)state;
    struct ts_config cfg;
    ts_config_default(&cfg);
    struct ts_stack *s = ts_stack_new(&cfg, NULL);
    assert_non_null(s);
    struct ts_sock *u = NULL;
    assert_int_equal(ts_udp_open(s, 0, 7, noop_cb, NULL, &u), 0);
    int st;
    char *a1[] = { "netstat", "-l", "-n" };
    char *t = run(s, &st, 3, a1);
    assert_int_equal(st, 0);
    assert_non_null(strstr(t, "udp        0      0 0.0.0.0:7               0.0.0.0:*\n"));
    free(t);
    char *a2[] = { "netstat", "-q" };
    t = run(s, &st, 2, a2);
    assert_int_equal(st, 2);
    assert_string_equal(t, "-q: unknown flag (see tapstack netstat --help)\n");
    free(t);
    char *a3[] = { "arp" };
    t = run(s, &st, 1, a3);
    assert_int_equal(st, 0);
    assert_non_null(strstr(t, "Entries: 0\n"));
    free(t);
    struct ts_netstat_srv *srv = ts_netstat_srv_start(s, "tap9", NULL, 0);
    assert_non_null(srv);
    ts_netstat_srv_stop(srv);
    ts_udp_close(u);
    ts_stack_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_commands) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
