/*
 * Unit tests for the flags of `tapstack up` (stack/cli/up_opts.c, parse.c, apps_table.c).
 * The CLI is not in the libraries the unit tests link, so its sources are compiled in here.
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
#include "apps/services/services.h"

#define IP(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))

/* App flags are checked on a real app, echo (app_services.c): --echo PORT names the app (and
 * switches it on), --echo-port PORT is a flag of the app that does not. */
static unsigned echo_slot(void)
{
    for (unsigned i = 0; i < TS_CLI_APPS_MAX; i++)
        if (ts_cli_app_at(i) == &ts_cli_app_echo) return i;
    fail_msg("echo not in the table");
    return 0;
}

static unsigned echo_port(const struct ts_up_opts *o, unsigned q)
{
    return ((const struct ts_services_opts *)o->app_opts[q])->echo_port;
}

/* Parse a NULL-terminated list of arguments after "up". */
static int parse(struct ts_up_opts *o, char *err, size_t n, const char *first, ...)
{
    char *argv[32] = { (char *)"up" };
    int argc = 1;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && argc < 31; a = va_arg(ap, const char *)) argv[argc++] = (char *)a;
    va_end(ap);
    err[0] = '\0';
    return ts_up_parse(argc, argv, o, err, n);
}

/* The argument list must be rejected with a message that contains want. */
static void expect_bad(const char *want, const char *a, const char *b)
{
    struct ts_up_opts o;
    char err[256];
    int r = parse(&o, err, sizeof err, a, b, NULL);
    if (r != -1 || !strstr(err, want))
        fail_msg("%s %s: got %d '%s', wanted an error containing '%s'", a, b ? b : "", r, err, want);
    ts_up_opts_free(&o);
}

static void test_defaults(void **state)
{
    struct ts_up_opts o;
    char err[256];
    assert_int_equal(parse(&o, err, sizeof err, NULL), 0);
    assert_string_equal(o.tap, "tap0");
    assert_null(o.netns);
    assert_null(o.ctl);
    assert_false(o.seed_set);
    assert_false(o.hints);
    assert_int_equal(o.busy_poll_us, 0);    /* off, as Linux's busy_read */
    assert_int_equal(o.cfg.ip, IP(10, 0, 0, 2));
    assert_int_equal(o.cfg.prefix_len, 24);
    const uint8_t mac[6] = { 2, 0, 0, 0, 0, 2 };
    assert_memory_equal(o.cfg.mac, mac, 6);
    unsigned q = echo_slot();
    assert_true(o.app_on[q]);
    assert_int_equal(echo_port(&o, q), 7);
    assert_int_equal(ts_up_peer_ip(&o.cfg), IP(10, 0, 0, 1));
    ts_up_opts_free(&o);
}

static void test_every_flag(void **state)
{
    struct ts_up_opts o;
    char err[256];
    int r = parse(&o, err, sizeof err, "--tap", "tapX", "--ip=192.168.7.9/16", "--mac", "0a:BB:cc:dd:ee:0f",
                  "--gateway", "192.168.0.1", "--mtu", "9000", "--netns", "ns-1.a_b", "--ctl", "/tmp/ts.sock",
                  "--seed", "18446744073709551615", "--ports", "1000-2000", "--port-alg", "sequential",
                  "--msl", "250", "--rto-min=5", "--max-conns", "10", "--arp-cache", "3", "--hints", "--busy-poll", "50", NULL);
    assert_int_equal(r, 0);
    assert_string_equal(o.tap, "tapX");
    assert_int_equal(o.cfg.ip, IP(192, 168, 7, 9));
    assert_int_equal(o.cfg.prefix_len, 16);
    const uint8_t mac[6] = { 0x0a, 0xbb, 0xcc, 0xdd, 0xee, 0x0f };
    assert_memory_equal(o.cfg.mac, mac, 6);
    assert_int_equal(o.cfg.gateway, IP(192, 168, 0, 1));
    assert_int_equal(o.cfg.mtu, 9000);
    assert_string_equal(o.netns, "ns-1.a_b");
    assert_string_equal(o.ctl, "/tmp/ts.sock");
    assert_true(o.seed_set);
    assert_true(o.cfg.seed == UINT64_MAX);
    assert_int_equal(o.cfg.port_low, 1000);
    assert_int_equal(o.cfg.port_high, 2000);
    assert_int_equal(o.cfg.port_alg, TS_PORT_ALG_SEQUENTIAL);
    assert_true(o.cfg.tcp_msl == TS_MS(250));
    assert_true(o.cfg.tcp_rto_min == TS_MS(5));
    assert_int_equal(o.cfg.tcp_max_conns, 10);
    assert_int_equal(o.cfg.arp_cache_size, 3);
    assert_true(o.hints);
    assert_int_equal(o.busy_poll_us, 50);
    assert_int_equal(ts_up_peer_ip(&o.cfg), IP(192, 168, 0, 1));
    ts_up_opts_free(&o);
}

static void test_bad_values(void **state)
{
    expect_bad("--ip '10.0.0.300/24'", "--ip", "10.0.0.300/24");
    expect_bad("ADDRESS/PREFIX", "--ip", "10.0.0.2");
    expect_bad("ADDRESS/PREFIX", "--ip", "10.0.0.2/33");
    expect_bad("ADDRESS/PREFIX", "--ip", "10.0.0.2/");
    expect_bad("network or broadcast", "--ip", "10.0.0.0/24");
    expect_bad("network or broadcast", "--ip", "10.0.0.255/24");
    expect_bad("multicast", "--mac", "01:00:5e:00:00:01");
    expect_bad("six hex pairs", "--mac", "02:00:00:00:00");
    expect_bad("six hex pairs", "--mac", "02:00:00:00:00:0g");
    expect_bad("not usable", "--mac", "00:00:00:00:00:00");
    expect_bad("576 to 9000", "--mtu", "575");
    expect_bad("576 to 9000", "--mtu", "9001");
    expect_bad("576 to 9000", "--mtu", "1500x");
    expect_bad("from 0 (sleep at once) to 1000", "--busy-poll", "1001");
    expect_bad("from 0 (sleep at once) to 1000", "--busy-poll", "-1");
    expect_bad("--busy-poll 'fast'", "--busy-poll", "fast");
    expect_bad("LOW-HIGH", "--ports", "2000-1000");
    expect_bad("LOW-HIGH", "--ports", "0-100");
    expect_bad("LOW-HIGH", "--ports", "100-65536");
    expect_bad("LOW-HIGH", "--ports", "100");
    expect_bad("double-hash", "--port-alg", "fast");
    expect_bad("decimal", "--seed", "-1");
    expect_bad("decimal", "--seed", "18446744073709551616");
    expect_bad("1 to 600000", "--msl", "0");
    expect_bad("1-15 characters", "--tap", "a-very-long-tap-name");
    expect_bad("1-15 characters", "--tap", "a/b");
    expect_bad("--netns 'a/b'", "--netns", "a/b");
    expect_bad("--netns '..'", "--netns", "..");
    expect_bad("not on 10.0.0.2/24", "--gateway", "10.0.1.1");
    expect_bad("IPv4 address", "--gateway", "nope");
    expect_bad("needs a value (ADDR/PREFIX)", "--ip", NULL);
    expect_bad("unknown flag --bogus", "--bogus", NULL);
    expect_bad("unknown flag --bogus", "--bogus=1", NULL);
    expect_bad("unexpected argument 'tap0'", "tap0", NULL);
    expect_bad("takes no value", "--hints=yes", NULL);
    expect_bad("give a port number 1..65535", "--echo", "0");
    expect_bad("give a port number 1..65535", "--echo=", NULL);
    expect_bad("give a port number 1..65535", "--echo-port", "65536");
}

static void test_cross_checks(void **state)
{
    struct ts_up_opts o;
    char err[256];
    assert_int_equal(parse(&o, err, sizeof err, "--ip", "10.0.0.2/31", "--netns", "x", NULL), -1);
    assert_non_null(strstr(err, "/30 or shorter"));
    ts_up_opts_free(&o);
    /* without --netns a /31 or /32 is fine */
    assert_int_equal(parse(&o, err, sizeof err, "--ip", "10.0.0.2/32", NULL), 0);
    ts_up_opts_free(&o);
    /* order does not matter: the gateway is checked against the final --ip */
    assert_int_equal(parse(&o, err, sizeof err, "--gateway", "172.16.0.1", "--ip", "172.16.0.9/12", NULL), 0);
    ts_up_opts_free(&o);
    assert_int_equal(parse(&o, err, sizeof err, "--ip", "10.0.0.2/24", "--gateway", "10.0.0.2", NULL), -1);
    assert_non_null(strstr(err, "own address"));
    ts_up_opts_free(&o);
    /* the kernel side skips the stack's own address */
    assert_int_equal(parse(&o, err, sizeof err, "--ip", "10.9.0.1/24", NULL), 0);
    assert_int_equal(ts_up_peer_ip(&o.cfg), IP(10, 9, 0, 2));
    ts_up_opts_free(&o);
}

static void test_help_and_apps(void **state)
{
    struct ts_up_opts o;
    char err[256];
    assert_int_equal(parse(&o, err, sizeof err, "--ip", "10.0.0.2/24", "--help", NULL), 1);
    ts_up_opts_free(&o);
    assert_int_equal(parse(&o, err, sizeof err, "-h", NULL), 1);
    ts_up_opts_free(&o);
    unsigned q = echo_slot();
    /* a flag of the app that is not named like it leaves it off */
    assert_int_equal(parse(&o, err, sizeof err, "--no-echo", "--echo-port=1000", NULL), 0);
    assert_false(o.app_on[q]);
    assert_int_equal(echo_port(&o, q), 1000);
    ts_up_opts_free(&o);
    /* a flag named like its app takes a value and switches the app on */
    assert_int_equal(parse(&o, err, sizeof err, "--no-echo", "--echo", "1017", "--hints", NULL), 0);
    assert_true(o.app_on[q]);
    assert_int_equal(echo_port(&o, q), 1017);
    assert_true(o.hints);
    ts_up_opts_free(&o);
    /* ... but alone, or before another flag, it is just the switch */
    assert_int_equal(parse(&o, err, sizeof err, "--no-echo", "--echo", NULL), 0);
    assert_true(o.app_on[q]);
    assert_int_equal(echo_port(&o, q), 7);
    ts_up_opts_free(&o);
    assert_int_equal(parse(&o, err, sizeof err, "--no-echo", "--echo", "--hints", NULL), 0);
    assert_true(o.app_on[q]);
    assert_int_equal(echo_port(&o, q), 7);
    assert_true(o.hints);
    ts_up_opts_free(&o);
    assert_int_equal(parse(&o, err, sizeof err, "--echo=99", NULL), 0);
    assert_int_equal(echo_port(&o, q), 99);
    ts_up_opts_free(&o);
    /* the table: every slot up to its end filled, distinct names, nothing past it */
    unsigned n = 0;
    while (n < TS_CLI_APPS_MAX && ts_cli_app_at(n)) n++;
    assert_true(n >= 5);
    for (unsigned i = n; i <= TS_CLI_APPS_MAX; i++) assert_null(ts_cli_app_at(i));
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = i + 1; j < n; j++) assert_string_not_equal(ts_cli_app_at(i)->name, ts_cli_app_at(j)->name);
}

static void test_value_parsers(void **state)
{
    uint64_t v = 0;
    assert_true(ts_parse_uint("0", 0, 5, &v));
    assert_int_equal(v, 0);
    assert_false(ts_parse_uint("", 0, 5, &v));
    assert_false(ts_parse_uint("6", 0, 5, &v));
    assert_false(ts_parse_uint(" 1", 0, 5, &v));
    assert_false(ts_parse_uint("+1", 0, 5, &v));
    uint8_t mac[6];
    assert_true(ts_parse_mac("02-00-00-00-00-0A", mac));
    assert_int_equal(mac[5], 10);
    char buf[18];
    assert_string_equal(ts_format_mac(mac, buf), "02:00:00:00:00:0a");
    assert_int_equal(ts_prefix_mask(0), 0);
    assert_int_equal(ts_prefix_mask(24), 0xffffff00u);
    assert_int_equal(ts_prefix_mask(32), 0xffffffffu);
    uint16_t lo, hi;
    assert_true(ts_parse_port_range("65535-65535", &lo, &hi));
    assert_int_equal(lo, 65535);
    assert_false(ts_parse_port_range("1-2-3", &lo, &hi));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_every_flag),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_cross_checks),
        cmocka_unit_test(test_help_and_apps),
        cmocka_unit_test(test_value_parsers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
