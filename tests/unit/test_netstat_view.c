/* netstat views: text in net-tools layout, JSON, counters, ARP, over a stack built in-process. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tapstack/socket.h"
#include "tapstack/stats.h"
#include "netstat/netstat_view.h"
#include "plot/plot_rec.h"
#include "lib/core_util.h"
#include "lib/frames.h"

/* Render with the flags in line ("netstat -a -n"); returns the text (caller frees). */
static char *render(struct ts_stack *s, ts_time_t now, const char *line)
{
    struct ts_netstat_opts o;
    char err[200];
    assert_int_equal(ts_netstat_parse_line(line, &o, err, sizeof err), 0);
    struct ts_netstat_ctx c = { .stack = s, .ifname = "tap0", .pid = 4242 };
    struct ts_nsbuf b;
    ts_nsbuf_init(&b, 0);
    assert_int_equal(ts_netstat_render(&c, now, &o, &b), 0);
    assert_non_null(b.data);
    return b.data;
}

static void noop_cb(void *arg, struct ts_sock *sock, unsigned ev, ts_time_t now)
{
    (void)arg; (void)sock; (void)ev; (void)now;
}

static void test_parse_flags(void **state)
{
    (void)state;
    struct ts_netstat_opts o;
    char err[200];
    char *argv1[] = { "netstat", "-tlnp", "--json", "--ctl", "/tmp/x.sock" };
    assert_int_equal(ts_netstat_parse(5, argv1, &o, err, sizeof err), 0);
    assert_true(o.tcp && o.listening && o.numeric && o.programs && o.json);
    assert_false(o.udp || o.all || o.stats || o.extend);
    assert_string_equal(o.ctl, "/tmp/x.sock");
    char req[TS_NETSTAT_REQ_MAX];
    assert_int_not_equal(ts_netstat_request(&o, req, sizeof req), 0);
    assert_string_equal(req, "netstat -l -t -n -p --json\n");

    char *argv2[] = { "netstat", "-c", "3", "-e" };
    assert_int_equal(ts_netstat_parse(4, argv2, &o, err, sizeof err), 0);
    assert_true(o.continuous && o.extend);
    assert_int_equal(o.count, 3);

    char *argv3[] = { "netstat", "-tx" };
    assert_int_equal(ts_netstat_parse(2, argv3, &o, err, sizeof err), -1);
    assert_non_null(strstr(err, "-x: unknown flag"));
    char *argv4[] = { "netstat", "--bogus" };
    assert_int_equal(ts_netstat_parse(2, argv4, &o, err, sizeof err), -1);
    assert_non_null(strstr(err, "--bogus: unknown flag"));
    char *argv5[] = { "netstat", "--ctl" };
    assert_int_equal(ts_netstat_parse(2, argv5, &o, err, sizeof err), -1);
    assert_non_null(strstr(err, "--ctl needs a path"));
    char *argv6[] = { "arp", "-n" };
    assert_int_equal(ts_netstat_parse(2, argv6, &o, err, sizeof err), 0);
    assert_true(o.arp && o.numeric);
    char *argv7[] = { "netstat", "-s", "-l" };
    assert_int_equal(ts_netstat_parse(3, argv7, &o, err, sizeof err), -1);
    assert_int_equal(ts_netstat_parse_line("rm -rf /", &o, err, sizeof err), -1);
}

static void test_udp_rows(void **state)
{
    (void)state;
    struct ts_stack *s = new_stack();
    struct ts_sock *echo = NULL, *conn = NULL;
    assert_int_equal(ts_udp_open(s, 0, 7, noop_cb, NULL, &echo), 0);
    assert_int_equal(ts_udp_open(s, OUR_IP, 5000, noop_cb, NULL, &conn), 0);
    assert_int_equal(ts_udp_connect(conn, PEER_IP, 53), 0);

    /* Default: conversations only, so only the connected socket. */
    char *t = render(s, 0, "netstat");
    assert_non_null(strstr(t, "Active Internet connections (w/o servers)\n"
                              "Proto Recv-Q Send-Q Local Address           Foreign Address         State\n"));
    assert_non_null(strstr(t, "udp        0      0 10.0.0.2:5000           10.0.0.1:domain\n"));
    assert_null(strstr(t, ":echo"));
    free(t);

    /* -l: the unconnected one, by service name; -n: by number. */
    t = render(s, 0, "netstat -l");
    assert_non_null(strstr(t, "(only servers)"));
    assert_non_null(strstr(t, "udp        0      0 0.0.0.0:echo            0.0.0.0:*\n"));
    assert_null(strstr(t, ":5000"));
    free(t);
    t = render(s, 0, "netstat -a -n -u");
    assert_non_null(strstr(t, "udp        0      0 0.0.0.0:7               0.0.0.0:*\n"));
    assert_non_null(strstr(t, "udp        0      0 10.0.0.2:5000           10.0.0.1:53\n"));
    free(t);

    /* -t hides UDP; -p adds the program column; -e the port groups. */
    t = render(s, 0, "netstat -a -t");
    assert_null(strstr(t, "udp"));
    free(t);
    t = render(s, 0, "netstat -a -p -e");
    assert_non_null(strstr(t, "State       PID/Program name\n"));
    assert_non_null(strstr(t, "0.0.0.0:*                           4242/tapstack\n"));
    assert_non_null(strstr(t, "        ports: local 7 well-known (echo)\n"));
    assert_non_null(strstr(t, "        ports: local 5000 registered, foreign 53 well-known (domain)\n"));
    free(t);
    ts_udp_close(conn);
    ts_udp_close(echo);
    ts_stack_free(s);
}

static void test_json(void **state)
{
    (void)state;
    struct ts_stack *s = new_stack();
    struct ts_sock *echo = NULL;
    assert_int_equal(ts_udp_open(s, 0, 7, noop_cb, NULL, &echo), 0);
    char *t = render(s, 1234, "netstat -l --json");
    assert_non_null(strstr(t, "{\"schema\":\"tapstack-netstat/1\",\"view\":\"sockets\",\"now_us\":1234,"
                              "\"host\":{\"addr\":\"10.0.0.2\",\"prefix_len\":24,\"mac\":\"02:00:00:00:00:02\","
                              "\"mtu\":1500,\"ifname\":\"tap0\",\"pid\":4242},\n"
                              "\"select\":\"listening\",\"sockets\":[\n"
                              "  {\"proto\":\"udp\",\"recv_q\":0,\"send_q\":0,"
                              "\"local\":{\"addr\":\"0.0.0.0\",\"port\":7,\"text\":\"0.0.0.0:echo\","
                              "\"service\":\"echo\",\"group\":\"well-known\"},"
                              "\"foreign\":{\"addr\":\"0.0.0.0\",\"port\":0,\"text\":\"0.0.0.0:*\","
                              "\"service\":null,\"group\":null},\"state\":null,\"listening\":true}\n]}\n"));
    free(t);
    t = render(s, 0, "netstat --json");   /* no conversations: an empty list */
    assert_non_null(strstr(t, "\"sockets\":[]}\n"));
    free(t);
    ts_udp_close(echo);
    ts_stack_free(s);
}

static void test_stats(void **state)
{
    (void)state;
    struct ts_stack *s = new_stack();
    ts_stack_stats_mut(s)->v[TS_CTR_udp_drop_bad_checksum] = 3;
    ts_stack_stats_mut(s)->v[TS_CTR_eth_rx_frames] = 17;
    char *t = render(s, 0, "netstat -s");
    assert_non_null(strstr(t, "Ethernet:\n    17 frames received\n"));
    assert_non_null(strstr(t, "Udp:\n"));
    assert_non_null(strstr(t, "    3 dropped: checksum wrong\n"));
    assert_non_null(strstr(t, "Ip:\n"));
    assert_non_null(strstr(t, "Icmp:\n"));
    assert_non_null(strstr(t, "Arp:\n"));
    assert_null(strstr(t, "Fault injection:"));   /* no fault was injected */
    free(t);
    t = render(s, 0, "netstat -s -u -e");
    assert_null(strstr(t, "Ethernet:"));
    assert_non_null(strstr(t, "    3 dropped: checksum wrong [drop_bad_checksum]\n"));
    free(t);
    t = render(s, 0, "netstat -s --json");
    assert_non_null(strstr(t, "\"view\":\"stats\""));
    assert_non_null(strstr(t, "\"eth\":{\"rx_frames\":17,"));
    assert_non_null(strstr(t, "\"drop_bad_checksum\":3"));
    free(t);
    ts_stack_free(s);
}

static void test_arp(void **state)
{
    (void)state;
    struct ts_stack *s = new_stack();
    const uint8_t mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
    assert_int_equal(ts_stack_arp_add(s, TS_SEC(1), PEER_IP, mac, false), 0);
    char *t = render(s, TS_SEC(4), "arp -n");
    assert_non_null(strstr(t, "Address          HWtype  HWaddress           State       Age      Pending  Iface\n"
                              "10.0.0.1         ether   02:11:22:33:44:55   reachable   3000ms   0        tap0\n"
                              "Entries: 1\n"));
    free(t);
    t = render(s, TS_SEC(4), "netstat --arp --json");
    assert_non_null(strstr(t, "\"arp\":[\n  {\"addr\":\"10.0.0.1\",\"mac\":\"02:11:22:33:44:55\","
                              "\"state\":\"reachable\",\"age_us\":3000000,\"pending\":0,\"tries\":0}\n]}\n"));
    free(t);
    ts_stack_free(s);
}

static void test_html(void **state)
{
    (void)state;
    struct ts_stack *s = new_stack();
    struct ts_sock *echo = NULL;
    assert_int_equal(ts_udp_open(s, 0, 7, noop_cb, NULL, &echo), 0);
    ts_stack_stats_mut(s)->v[TS_CTR_udp_rx_datagrams] = 5;
    struct ts_netstat_ctx c = { .stack = s, .ifname = "<tap>" };
    struct ts_nsbuf b;
    ts_nsbuf_init(&b, 0);
    assert_int_equal(ts_netstat_render_html(&c, 0, 2, &b), 0);
    assert_non_null(strstr(b.data, "<meta http-equiv=refresh content=2>"));
    assert_non_null(strstr(b.data, "name=viewport"));
    assert_non_null(strstr(b.data, "<tr><td>udp</td><td class=n>0</td><td class=n>0</td><td>0.0.0.0:echo</td>"
                                   "<td>0.0.0.0:*</td><td class=\"\"></td></tr>"));
    assert_non_null(strstr(b.data, " on &lt;tap&gt;"));   /* escaped */
    assert_non_null(strstr(b.data, "<td>udp</td><td class=n>5</td><td>datagrams received</td><td>rx_datagrams</td>"));
    assert_non_null(strstr(b.data, "</html>\n"));
    ts_nsbuf_free(&b);
    ts_udp_close(echo);
    ts_stack_free(s);
}

/* With the live record and the wall clock: local times with milliseconds, and the recorded
 * conversations with links to their pictures and what the record costs. */
static void test_html_pictures(void **state)
{
    (void)state;
    struct ts_stack *s = new_stack();
    struct ts_plot_rec *rec = ts_plot_rec_new(0, 0);
    assert_non_null(rec);
    uint8_t f[200];
    struct frm_addr a = { { 2, 0, 0, 0, 0, 1 }, PEER_IP, 43210 }, b2 = { { 2, 0, 0, 0, 0, 2 }, OUR_IP, 80 };
    struct frm_tcp syn = { .seq = 1, .flags = FRM_SYN, .win = 1000 };
    size_t n = frm_build_tcp(f, sizeof f, &a, &b2, 1, &syn);
    ts_plot_rec_frame(rec, 500000, f, n);
    struct ts_netstat_ctx c = { .stack = s, .rec = rec, .wall_offset = 1700000000123456ll, .tz_offset = 3600 };
    struct ts_nsbuf b;
    ts_nsbuf_init(&b, 0);
    assert_int_equal(ts_netstat_render_html(&c, 0, 0, &b), 0);
    assert_non_null(strstr(b.data, " at 23:13:20.123 local time (stack clock t+0.000s)"));
    assert_non_null(strstr(b.data, "<td>10.0.0.1_43210-10.0.0.2_80</td><td class=n>1</td><td>23:13:20.623 (0.00ms ago)"));
    assert_non_null(strstr(b.data, "<a href=\"/conn/10.0.0.1_43210-10.0.0.2_80/seq.svg\">time-sequence graph</a>"));
    assert_non_null(strstr(b.data, "<a href=\"/conn/10.0.0.1_43210-10.0.0.2_80/ladder.svg\">sequence diagram</a>"));
    assert_non_null(strstr(b.data, "record: 1 conversations, 1 segments recorded"));
    ts_nsbuf_free(&b);
    ts_plot_rec_free(rec);
    ts_stack_free(s);
}

static void test_buffer_bound(void **state)
{
    (void)state;
    struct ts_nsbuf b;
    ts_nsbuf_init(&b, 10);
    assert_int_equal(ts_nsbuf_puts(&b, "12345"), 0);
    assert_int_equal(ts_nsbuf_printf(&b, "%s", "678901"), -1);
    assert_true(b.failed);
    assert_int_equal(b.len, 5);
    assert_string_equal(b.data, "12345");
    ts_nsbuf_reset(&b);
    assert_false(b.failed);
    assert_int_equal(b.len, 0);
    b.max = 64;
    assert_int_equal(ts_nsbuf_json_str(&b, "a\"\n"), 0);
    assert_string_equal(b.data, "\"a\\\"\\u000a\"");
    ts_nsbuf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_flags), cmocka_unit_test(test_udp_rows), cmocka_unit_test(test_json),
        cmocka_unit_test(test_stats), cmocka_unit_test(test_arp), cmocka_unit_test(test_html),
        cmocka_unit_test(test_buffer_bound), cmocka_unit_test(test_html_pictures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
