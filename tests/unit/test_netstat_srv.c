/* The control socket's netstat/arp commands (cli/netstat_srv.c): flags from the client, answer
 * text; and the control socket itself (driver/ctl.c) serving them without blocking. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <cmocka.h>

#include "lib/tcp_frames.h"
#include "tapstack/socket.h"
#include "apps/ftp/ftp_server.h"
#include "apps/services/services.h"
#include "cli/netstat_srv.h"
#include "driver/ctl.h"

static void noop_cb(void *arg, struct ts_sock *sock, unsigned ev, ts_time_t now)
{
    (void)arg; (void)sock; (void)ev; (void)now;
}

/* Run a command as the control socket would; returns its output (caller frees) and status. */
static char *run(struct ts_netstat_srv *srv, int *status, int argc, char **argv)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    *status = ts_netstat_srv_command(srv, 0, argc, argv, out);
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
    struct ts_netstat_srv *srv = ts_netstat_srv_start(s, "tap9", NULL, 0, NULL);
    assert_non_null(srv);
    int st;
    char *a1[] = { "netstat", "-l", "-n" };
    char *t = run(srv, &st, 3, a1);
    assert_int_equal(st, 0);
    assert_non_null(strstr(t, "udp        0      0 0.0.0.0:7               0.0.0.0:*\n"));
    free(t);
    char *a2[] = { "netstat", "-q" };
    t = run(srv, &st, 2, a2);
    assert_int_equal(st, 2);
    assert_string_equal(t, "-q: unknown flag (see tapstack netstat --help)\n");
    free(t);
    char *a3[] = { "arp" };
    t = run(srv, &st, 1, a3);
    assert_int_equal(st, 0);
    assert_non_null(strstr(t, "Entries: 0\n"));
    free(t);
    ts_netstat_srv_stop(srv);
    ts_udp_close(u);
    ts_stack_free(s);
}

/* -s shows each server's connection limits and what they did (issue 25): an FTP server with room
 * for 2 sessions, a third client evicts one; echo, discard and daytime beside it. */
static void test_servers(void **state)
{
    (void)state;
    struct ts_config cfg;
    ts_config_default(&cfg);
    cfg.seed = 42;
    struct ts_stack *s = ts_stack_new(&cfg, NULL);
    assert_non_null(s);
    assert_int_equal(ts_stack_arp_add(s, 0, PEER_IP, PEER_MAC, true), 0);
    struct ts_app apps[2];
    struct ts_ftp_opts fo = { .max_sessions = 2 };
    assert_int_equal(ts_ftp_start(s, 0, &fo, &apps[0]), 0);
    assert_int_equal(ts_services_start(s, 0, NULL, &apps[1]), 0);
    for (uint16_t i = 0; i < 3; i++) {
        struct tseg g;
        tcp_in(s, TS_SEC(1), (uint16_t)(5000 + i), 21, 100, 0, TS_TCP_SYN, 65535, OPT_MSS1460, 4, NULL, 0);
        assert_true(tcp_out(s, TS_SEC(1), &g));
        tcp_in(s, TS_SEC(1), (uint16_t)(5000 + i), 21, 101, g.h.seq + 1, TS_TCP_ACK, 65535, NULL, 0, NULL, 0);
        ts_stack_dispatch(s, TS_SEC(1));
        while (tcp_out(s, TS_SEC(1), &g)) {}
    }
    struct ts_netstat_srv *srv = ts_netstat_srv_start(s, "tap9", apps, 2, NULL);
    assert_non_null(srv);
    int st;
    char *a1[] = { "netstat", "-s" };
    char *t = run(srv, &st, 2, a1);
    assert_int_equal(st, 0);
    assert_non_null(strstr(t, "Servers (connection limits):\n    ftp: 2 connections of 2 (at most 2 per address)\n"
                              "        3 admitted, 1 idle evicted for a newcomer, 0 timed out\n"));
    assert_non_null(strstr(t, "    echo: 0 connections of "));
    assert_non_null(strstr(t, "    daytime: 0 connections of "));
    free(t);
    char *a2[] = { "netstat", "-s", "--json" };
    t = run(srv, &st, 3, a2);
    assert_int_equal(st, 0);
    assert_non_null(strstr(t, "\"servers\":{\"ftp\":{\"conns\":2,\"max_conns\":2,\"max_per_peer\":2,"
                              "\"admitted\":3,\"evicted\":1,\"expired\":0,\"refused_full\":0,\"refused_peer\":0},"
                              "\"echo\":{"));
    free(t);
    ts_netstat_srv_stop(srv);
    for (int i = 0; i < 2; i++) apps[i].stop(apps[i].ctx, TS_SEC(1));
    ts_stack_free(s);
}

static int connect_to(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Send req (reqlen bytes, NUL-separated arguments) to the control socket at path, serving it
 * with ts_ctl_ready meanwhile; the answer goes into ans (NUL-terminated). */
static void ask(struct ts_ctl *ctl, const char *path, const char *req, size_t reqlen, char *ans, size_t cap)
{
    struct pollfd p = { .fd = ts_ctl_fd(ctl), .events = POLLIN };
    int fd = connect_to(path);
    assert_int_equal(send(fd, req, reqlen, 0), (ssize_t)reqlen);
    shutdown(fd, SHUT_WR);
    size_t len = 0;
    for (int i = 0; i < 200; i++) {
        if (poll(&p, 1, 10) > 0) ts_ctl_ready(ctl, TS_SEC(2));
        ssize_t n = recv(fd, ans + len, cap - 1 - len, MSG_DONTWAIT);
        if (n == 0) break;
        if (n > 0) len += (size_t)n;
    }
    ans[len] = '\0';
    close(fd);
}

/* A client that connects and says nothing does not hold the loop: ts_ctl_ready returns at once,
 * another client is answered meanwhile (through the registered command, with the TAP's name),
 * and the silent one is dropped after TS_CTL_CLIENT_TIMEOUT. */
static void test_ctl_never_blocks(void **state)
{
    (void)state;
    char dir[32] = "/tmp/ts-nsctl-XXXXXX", path[64], err[256] = "";
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/c.sock", dir);
    struct ts_config cfg;
    ts_config_default(&cfg);
    struct ts_stack *s = ts_stack_new(&cfg, NULL);
    struct ts_ctl *ctl = ts_ctl_open(path, s, err, sizeof err);
    assert_non_null(ctl);
    struct ts_netstat_srv *srv = ts_netstat_srv_start(s, "tap9", NULL, 0, ctl);
    assert_non_null(srv);

    int silent = connect_to(path);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct pollfd p = { .fd = ts_ctl_fd(ctl), .events = POLLIN };
    assert_true(poll(&p, 1, 1000) > 0);
    ts_ctl_ready(ctl, TS_SEC(1));
    assert_true(ms_since(&t0) < 150);   /* the old server waited 200 ms for a silent client */

    static const char req[] = "arp\0-n";
    char ans[2048];
    ask(ctl, path, req, sizeof req, ans, sizeof ans);
    assert_string_equal(ans, "status 0\nAddress          HWtype  HWaddress           State       Age      Pending  Iface\n"
                             "Entries: 0\n");
    /* a command nobody registered: status 2 and why */
    static const char frob[] = "frob\0-n";
    ask(ctl, path, frob, sizeof frob, ans, sizeof ans);
    assert_string_equal(ans, "status 2\nthis tapstack does not serve 'frob'\n");

    /* Past the time limit, any activity drops the silent client: it sees EOF. */
    int other = connect_to(path);
    for (int i = 0; i < 100 && recv(silent, ans, 1, MSG_DONTWAIT) != 0; i++)
        if (poll(&p, 1, 10) > 0) ts_ctl_ready(ctl, TS_SEC(1) + TS_CTL_CLIENT_TIMEOUT);
    assert_int_equal(recv(silent, ans, 1, MSG_DONTWAIT), 0);
    close(other);
    close(silent);
    ts_ctl_close(ctl);
    ts_netstat_srv_stop(srv);
    ts_stack_free(s);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_commands), cmocka_unit_test(test_servers),
                                        cmocka_unit_test(test_ctl_never_blocks) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
