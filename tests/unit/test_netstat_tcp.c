/* netstat views of TCP: two stacks joined in-process, a listener on 80 and a connection to it. */
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
#include "lib/twostack.h"

#define SRV_IP 0x0a000002u   /* 10.0.0.2: the stack we look at */
#define CLI_IP 0x0a000001u   /* 10.0.0.1: the peer */

struct pair {
    struct twostack t;          /* t.s: the server we look at; t.c: the peer */
    struct ts_stack *srv, *cli;
    struct ts_sock *l80, *l21, *conn, *accepted;
};

static void on_listen(void *arg, struct ts_sock *sock, unsigned ev, ts_time_t now)
{
    (void)ev; (void)now;
    struct pair *p = arg;
    struct ts_sock *a = ts_tcp_accept(sock, NULL, NULL);
    if (a) p->accepted = a;
}

static int setup(void **state)
{
    struct pair *p = calloc(1, sizeof *p);
    struct ts_config cc, sc;
    twostack_config(&cc, CLI_IP, 1, 2);
    twostack_config(&sc, SRV_IP, 2, 1);
    twostack_init_with(&p->t, &cc, &sc, true);
    p->t.now = TS_SEC(100);
    p->srv = p->t.s;
    p->cli = p->t.c;
    assert_int_equal(ts_tcp_listen(p->srv, 0, 80, 16, on_listen, p, &p->l80), 0);
    assert_int_equal(ts_tcp_listen(p->srv, 0, 21, 16, on_listen, p, &p->l21), 0);
    assert_int_equal(ts_tcp_connect(p->cli, p->t.now, 0, 0, SRV_IP, 80, NULL, NULL, &p->conn), 0);
    twostack_settle(&p->t);
    assert_non_null(p->accepted);
    assert_int_equal(ts_tcp_get_state(p->accepted), TS_TCP_ESTABLISHED);
    *state = p;
    return 0;
}

static int teardown(void **state)
{
    struct pair *p = *state;
    twostack_free(&p->t);
    free(p);
    return 0;
}

static char *render(struct pair *p, const char *line)
{
    struct ts_netstat_opts o;
    char err[200];
    assert_int_equal(ts_netstat_parse_line(line, &o, err, sizeof err), 0);
    struct ts_netstat_ctx c = { .stack = p->srv, .ifname = "tap0" };
    struct ts_nsbuf b;
    ts_nsbuf_init(&b, 0);
    assert_int_equal(ts_netstat_render(&c, p->t.now, &o, &b), 0);
    return b.data;
}

/* Like EXPECT(t, s)), but shows the text when it fails. */
#define EXPECT(t, s) do { if (!strstr((t), (s))) { print_error("missing [%s] in:\n%s\n", (s), (t)); fail(); } } while (0)

static void test_conversation(void **state)
{
    struct pair *p = *state;
    uint16_t cport;
    ts_sock_name(p->conn, NULL, &cport, NULL, NULL);
    char line[160], *t;

    t = render(p, "netstat -n");
    snprintf(line, sizeof line, "tcp        0      0 10.0.0.2:80             10.0.0.1:%-5u          ESTABLISHED\n",
             (unsigned)cport);
    EXPECT(t, line);
    assert_null(strstr(t, "LISTEN"));
    free(t);

    t = render(p, "netstat");
    EXPECT(t, "10.0.0.2:http ");
    free(t);

    t = render(p, "netstat -l");
    EXPECT(t, "tcp        0     16 0.0.0.0:ftp             0.0.0.0:*               LISTEN\n");
    EXPECT(t, "tcp        0     16 0.0.0.0:http            0.0.0.0:*               LISTEN\n");
    assert_null(strstr(t, "ESTABLISHED"));
    free(t);

    /* -a: listeners come first, as in net-tools */
    t = render(p, "netstat -a -n");
    char *l = strstr(t, "LISTEN"), *e = strstr(t, "ESTABLISHED");
    assert_non_null(l);
    assert_non_null(e);
    assert_true(l < e);
    free(t);
}

static void test_extend_history(void **state)
{
    struct pair *p = *state;
    char *t = render(p, "netstat -n -e --history");
    EXPECT(t, "        ports: local 80 well-known (http), foreign ");
    EXPECT(t, " dynamic/private\n");
    EXPECT(t, "        snd_una ");
    EXPECT(t, "  snd_wnd ");
    EXPECT(t, "        rcv_nxt ");
    EXPECT(t, "        cwnd ");
    EXPECT(t, "  rto ");
    EXPECT(t, "        timers:");
    EXPECT(t, "        timestamps on  ts_recent ");      /* RFC 7323: both stacks offer them */
    EXPECT(t, "        history (oldest first):\n");
    EXPECT(t, "-> SYN_RECEIVED: ");
    EXPECT(t, "SYN_RECEIVED -> ESTABLISHED: ");
    free(t);

    t = render(p, "netstat -n -e --history --json");
    EXPECT(t, "\"state\":\"ESTABLISHED\"");
    EXPECT(t, "\"tcp\":{\"iss\":");
    EXPECT(t, "\"timers\":{\"rexmt\":");
    EXPECT(t, "\"timestamps\":true,\"ts_recent\":");
    EXPECT(t, "\"history\":[{\"at_us\":");
    EXPECT(t, "\"to\":\"ESTABLISHED\"");
    free(t);
}

/* A connection run by BBR: -e and the JSON show its model; others show none. */
static void test_extend_bbr(void **state)
{
    struct pair *p = *state;
    char *t = render(p, "netstat -n -e");
    assert_null(strstr(t, "bbr "));
    free(t);
    assert_int_equal(ts_tcp_set_cc(p->accepted, "bbr"), 0);
    t = render(p, "netstat -n -e");
    EXPECT(t, "        cc bbr ");
    EXPECT(t, "        bbr startup  max_bw 0 B/s  min_rtt ");
    EXPECT(t, "  pacing_gain 288%  cwnd_gain 288%  pacing_rate 0 B/s (not applied)\n");
    free(t);
    t = render(p, "netstat -n -e --json");
    EXPECT(t, "\"cc\":\"bbr\"");
    EXPECT(t, "\"bbr\":{\"mode\":\"startup\",\"max_bw_Bps\":0,\"min_rtt_us\":0,\"pacing_gain_pct\":288,"
              "\"cwnd_gain_pct\":288,\"pacing_rate_Bps\":0}");
    free(t);
}

static void test_close_time_wait(void **state)
{
    struct pair *p = *state;
    /* The server closes first, so the server side goes through FIN_WAIT to TIME_WAIT. */
    ts_tcp_close(p->accepted, p->t.now);
    twostack_settle(&p->t);
    ts_tcp_close(p->conn, p->t.now);
    twostack_settle(&p->t);
    char *t = render(p, "netstat -n -t");
    EXPECT(t, "TIME_WAIT");
    free(t);
    t = render(p, "netstat -s -t");
    EXPECT(t, "Tcp:\n    0 connections currently established\n");
    EXPECT(t, "1 connections opened passively");
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_conversation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_extend_history, setup, teardown),
        cmocka_unit_test_setup_teardown(test_extend_bbr, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_time_wait, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
