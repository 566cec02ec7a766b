/* The small services over TCP (stack/apps/services/services_tcp.c), end to end in one process: a client
 * stack and a server stack joined by a perfect in-memory link and a virtual clock; the client is
 * written on the socket API. */
#include <stdlib.h>
#include "lib/core_util.h"
#include "apps/services/services.h"
#include "tapstack/socket.h"
#include "tapstack/stats.h"
#include "lib/twostack.h"

#define CLIENT_IP 0x0a000001u
#define SERVER_IP 0x0a000002u

struct client {
    struct ts_sock *sock;
    uint8_t *rx;
    size_t rx_len, rx_cap;
    const uint8_t *tx;
    size_t tx_len, tx_off;
    bool connected, eof, shut;
    bool keep_open;           /* no FIN after tx */
    int error;
};

struct net {
    struct twostack t;        /* t.s2c_budget: frames still delivered to the client; -1: all */
    struct ts_app app;
};

static void client_pump(struct client *cl, ts_time_t now)
{
    while (cl->tx_off < cl->tx_len) {
        long r = ts_tcp_send(cl->sock, now, cl->tx + cl->tx_off, cl->tx_len - cl->tx_off);
        if (r <= 0) break;
        cl->tx_off += (size_t)r;
    }
    if (cl->tx && cl->tx_off == cl->tx_len && !cl->shut && !cl->keep_open) {
        cl->shut = true;
        assert_int_equal(ts_tcp_shutdown(cl->sock, now), 0);
    }
    for (;;) {
        long r = ts_tcp_recv(cl->sock, now, cl->rx + cl->rx_len, cl->rx_cap - cl->rx_len);
        if (r > 0) {
            cl->rx_len += (size_t)r;
            assert_true(cl->rx_len < cl->rx_cap);
            continue;
        }
        if (r == 0) cl->eof = true;
        else if (r != -TS_EAGAIN) cl->error = (int)-r;
        break;
    }
}

static void client_cb(void *arg, struct ts_sock *sock, unsigned events, ts_time_t now)
{
    struct client *cl = arg;
    if (events & TS_EV_CONNECTED) cl->connected = true;
    if (events & TS_EV_ERROR) cl->error = ts_sock_error(sock);
    if (!cl->error) client_pump(cl, now);
}

static struct net *net_new(unsigned max_conns)
{
    struct net *n = calloc(1, sizeof *n);
    twostack_init(&n->t, false);
    struct ts_services_opts o;
    ts_services_opts_default(&o);
    o.udp = false;
    o.max_tcp_conns = max_conns;
    assert_int_equal(ts_services_start(n->t.s, n->t.now, &o, &n->app), 0);
    twostack_add_app(&n->t, &n->app);
    return n;
}

static void net_free(struct net *n)
{
    n->app.stop(n->app.ctx, n->t.now);
    twostack_free(&n->t);
    free(n);
}

static void client_open(struct net *n, struct client *cl, uint16_t port, const uint8_t *tx, size_t len)
{
    memset(cl, 0, sizeof *cl);
    cl->rx_cap = len + 4096;
    cl->rx = malloc(cl->rx_cap);
    cl->tx = tx;
    cl->tx_len = len;
    assert_int_equal(ts_tcp_connect(n->t.c, n->t.now, 0, 0, SERVER_IP, port, client_cb, cl, &cl->sock), 0);
}

static void client_close(struct net *n, struct client *cl)
{
    ts_tcp_close(cl->sock, n->t.now);
    free(cl->rx);
}

/* 300 KB to echo comes back exactly; after our FIN the server closes too. */
static void tcp_echo(void **st)
{
    (void)st;
    struct net *n = net_new(0);
    size_t len = 300000;
    uint8_t *data = malloc(len);
    for (size_t i = 0; i < len; i++) data[i] = (uint8_t)(i * 31 + i / 256);
    struct client cl;
    client_open(n, &cl, 7, data, len);
    twostack_run(&n->t, TS_SEC(5));
    assert_true(cl.connected);
    assert_int_equal(cl.error, 0);
    assert_int_equal(cl.rx_len, len);
    assert_memory_equal(cl.rx, data, len);
    assert_true(cl.eof);
    assert_int_equal(ts_services_stats(n->app.ctx)->tcp_echo_bytes, len);
    client_close(n, &cl);
    twostack_run(&n->t, TS_SEC(1));
    free(data);
    net_free(n);
}

/* discard takes everything and sends nothing; daytime sends a line and closes. */
static void tcp_discard_and_daytime(void **st)
{
    (void)st;
    struct net *n = net_new(0);
    size_t len = 200000;
    uint8_t *data = calloc(1, len);
    struct client d, t;
    client_open(n, &d, 9, data, len);
    client_open(n, &t, 13, NULL, 0);
    twostack_run(&n->t, TS_SEC(5));
    assert_int_equal(d.error, 0);
    assert_int_equal(d.rx_len, 0);
    assert_true(d.eof);
    assert_int_equal(ts_services_stats(n->app.ctx)->tcp_discard_bytes, len);
    assert_int_equal(t.error, 0);
    assert_true(t.eof);
    assert_true(t.rx_len > 20);
    assert_int_equal(t.rx[t.rx_len - 1], '\n');
    assert_int_equal(ts_services_stats(n->app.ctx)->tcp_daytime, 1);
    client_close(n, &d);
    client_close(n, &t);
    twostack_run(&n->t, TS_SEC(1));
    free(data);
    net_free(n);
}

/* At the limit a newcomer evicts the connection that idled longest, those that never sent a
 * byte first; silent ones are reset after first_byte_timeout (10 s; a quarter at 3/4 of the
 * limit), the others after tcp_idle. */
static void tcp_eviction_and_timeouts(void **st)
{
    (void)st;
    struct net *n = net_new(2);
    struct client c[3];
    for (int i = 0; i < 3; i++) {
        client_open(n, &c[i], 7, NULL, 0);
        twostack_run(&n->t, TS_MS(10));
    }
    assert_int_not_equal(c[0].error, 0);          /* the oldest silent one made room */
    assert_int_equal(c[1].error, 0);
    assert_int_equal(c[2].error, 0);
    const struct ts_services_stats *ss = ts_services_stats(n->app.ctx);
    assert_int_equal(ss->tcp_accepted, 3);
    assert_int_equal(ss->tcp_evicted, 1);
    twostack_run(&n->t, TS_MS(2600));                      /* 2 of 2: 2.5 s for the first byte ... */
    assert_int_not_equal(c[1].error, 0);
    assert_int_equal(c[2].error, 0);              /* ... and 10 s again at 1 of 2 */
    twostack_run(&n->t, TS_SEC(8));
    assert_int_not_equal(c[2].error, 0);
    for (int i = 0; i < 3; i++) client_close(n, &c[i]);
    twostack_run(&n->t, TS_SEC(1));

    /* one that has spoken stays; the silent newer one goes */
    struct client a, b, d;
    client_open(n, &a, 7, (const uint8_t *)"hi", 2);
    a.keep_open = true;
    twostack_run(&n->t, TS_MS(100));
    assert_int_equal(a.rx_len, 2);
    client_open(n, &b, 7, NULL, 0);
    twostack_run(&n->t, TS_MS(100));
    client_open(n, &d, 7, NULL, 0);
    twostack_run(&n->t, TS_MS(100));
    assert_int_equal(a.error, 0);
    assert_int_not_equal(b.error, 0);
    assert_int_equal(d.error, 0);
    assert_int_equal(ss->tcp_evicted, 2);
    twostack_run(&n->t, TS_SEC(299));                      /* a: idle 300 s (at 1 of 2 after d goes) */
    assert_int_equal(a.error, 0);
    twostack_run(&n->t, TS_SEC(2));
    assert_int_not_equal(a.error, 0);
    client_close(n, &a);
    client_close(n, &b);
    client_close(n, &d);
    twostack_run(&n->t, TS_SEC(1));
    net_free(n);
}

/* A daytime client that never acknowledges the line (its SYN,ACK arrives, nothing after it) is
 * reset after 3 s: no orphan left retransmitting FIN to a ghost. A real one gets the line and a FIN. */
static void tcp_daytime_ghost_reset(void **st)
{
    (void)st;
    struct net *n = net_new(0);
    const struct ts_stats *ss = ts_stack_stats(n->t.s);
    struct client g;
    n->t.s2c_budget = 2;                           /* the ARP reply and the SYN,ACK only */
    client_open(n, &g, 13, NULL, 0);
    twostack_run(&n->t, TS_SEC(2));
    assert_true(g.connected);
    assert_int_equal(g.rx_len, 0);
    assert_int_equal(ss->v[TS_CTR_tcp_rsts_sent], 0);   /* still waiting for the ACK */
    twostack_run(&n->t, TS_MS(1300));
    assert_int_equal(ss->v[TS_CTR_tcp_rsts_sent], 1);   /* reset after 3 s */
    n->t.s2c_budget = -1;
    struct client r;
    client_open(n, &r, 13, NULL, 0);
    twostack_run(&n->t, TS_SEC(1));
    assert_true(r.eof);
    assert_int_equal(r.error, 0);
    assert_true(r.rx_len > 20);
    assert_int_equal(ss->v[TS_CTR_tcp_rsts_sent], 1);
    client_close(n, &g);
    client_close(n, &r);
    twostack_run(&n->t, TS_SEC(1));
    net_free(n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tcp_echo),
        cmocka_unit_test(tcp_discard_and_daytime),
        cmocka_unit_test(tcp_eviction_and_timeouts),
        cmocka_unit_test(tcp_daytime_ghost_reset),
    };
    return cmocka_run_group_tests_name("services_tcp", tests, NULL, NULL);
}
