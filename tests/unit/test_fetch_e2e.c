/* The fetch client end to end in one process: a PC stack (192.168.1.5) and a server stack
 * (192.168.1.7) running the project's HTTP and FTP servers, joined by a perfect in-memory link
 * and a virtual clock. Bodies are compared byte for byte; every transfer's socket pair is
 * checked (same addresses, distinct ephemeral source ports, destination port = the service). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include "lib/core_util.h"
#include "apps/fetch/fetch.h"
#include "apps/ftp/ftp_server.h"
#include "apps/http/http_server.h"
#include "tapstack/socket.h"
#include "lib/tmptree.h"
#include "lib/twostack.h"

#define PC_IP 0xc0a80105u       /* 192.168.1.5 */
#define SERVER_IP 0xc0a80107u   /* 192.168.1.7 */
#define FILE_LEN 300000

struct body {
    uint8_t *data;
    size_t len, cap;
};

struct net {
    struct twostack t;
    struct ts_app apps[3];       /* http, ftp on the server; fetch on the client */
    unsigned napps;
    struct ts_fetch *fetch;
    char root[64];
    uint8_t file[FILE_LEN];
    struct body bodies[128];
    unsigned ndone;
};

static int body_write(void *arg, const void *data, size_t len)
{
    struct body *b = arg;
    if (b->len + len > b->cap) {
        size_t cap = (b->len + len) * 2;
        uint8_t *d = realloc(b->data, cap);
        if (!d) return -12;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return 0;
}

static void on_done(void *arg, const struct ts_fetch_result *r)
{
    struct net *n = arg;
    n->ndone++;
    (void)r;
}

static bool all_done(void *arg)
{
    struct net *n = arg;
    return ts_fetch_pending(n->fetch) == 0;
}

static void quiet_log(void *arg, const char *line) { (void)arg; (void)line; }

static struct net *net_new(const struct ts_fetch_opts *fo)
{
    struct net *n = calloc(1, sizeof *n);
    assert_non_null(n);
    struct ts_config cc, cs;
    twostack_config(&cc, PC_IP, 5, 5);
    twostack_config(&cs, SERVER_IP, 7, 7);
    cc.prefix_len = cs.prefix_len = 24;
    twostack_init_with(&n->t, &cc, &cs, false);
    n->t.done = all_done;
    n->t.done_arg = n;
    tree_new(n->root, sizeof n->root, "fetch-e2e");
    tree_dir(n->root, "pub");
    for (size_t i = 0; i < FILE_LEN; i++) n->file[i] = (uint8_t)((i * 7919u) >> 3 ^ i);
    tree_data(n->root, "pub/file.bin", n->file, FILE_LEN);
    struct ts_http_opts ho = { .root = n->root, .quiet = true };
    assert_int_equal(ts_http_start(n->t.s, n->t.now, &ho, &n->apps[n->napps++]), 0);
    struct ts_ftp_opts fto = { .root = n->root, .log = quiet_log };
    assert_int_equal(ts_ftp_start(n->t.s, n->t.now, &fto, &n->apps[n->napps++]), 0);
    struct ts_fetch_opts o = *fo;
    o.done = on_done;
    o.done_arg = n;
    n->fetch = ts_fetch_new(n->t.c, &o);
    assert_non_null(n->fetch);
    ts_fetch_app(n->fetch, &n->apps[n->napps++]);
    for (unsigned i = 0; i < n->napps; i++) twostack_add_app(&n->t, &n->apps[i]);
    return n;
}

static void net_free(struct net *n)
{
    for (unsigned i = n->napps; i-- > 0;) n->apps[i].stop(n->apps[i].ctx, n->t.now);
    twostack_free(&n->t);
    tree_remove(n->root);
    for (unsigned i = 0; i < 128; i++) free(n->bodies[i].data);
    free(n);
}

static const struct ts_fetch_result *add(struct net *n, const char *url)
{
    struct ts_fetch_url u;
    char err[200];
    assert_int_equal(ts_fetch_url_parse(url, &u, err, sizeof err), 0);
    unsigned i = ts_fetch_count(n->fetch);
    assert_true(i < 128);
    struct ts_fetch_sink sink = { body_write, &n->bodies[i] };
    ts_fetch_add(n->fetch, n->t.now, url, &u, &sink);
    return ts_fetch_result(n->fetch, i);
}

static void check_ok(struct net *n, const struct ts_fetch_result *r, uint16_t rport)
{
    if (!r->ok) fail_msg("%s failed: %s", r->url, r->why);
    assert_int_equal(r->laddr, PC_IP);
    assert_int_equal(r->raddr, SERVER_IP);
    assert_int_equal(r->rport, rport);
    assert_true(r->lport >= 49152);
    assert_int_equal(r->bytes, FILE_LEN);
    assert_int_equal(n->bodies[r->index].len, FILE_LEN);
    assert_memory_equal(n->bodies[r->index].data, n->file, FILE_LEN);
    assert_true(r->ended >= r->started);   /* a perfect link takes no virtual time */
}

/* The textbook picture: a web page and an FTP file at the same time, two source ports. */
static void web_and_ftp_together(void **st)
{
    (void)st;
    struct ts_fetch_opts fo = { 0 };
    struct net *n = net_new(&fo);
    const struct ts_fetch_result *h = add(n, "http://192.168.1.7/pub/file.bin");
    const struct ts_fetch_result *f = add(n, "ftp://192.168.1.7/pub/file.bin");
    assert_int_equal(ts_fetch_pending(n->fetch), 2);
    twostack_run(&n->t, TS_SEC(20));
    assert_int_equal(ts_fetch_pending(n->fetch), 0);
    assert_int_equal(n->ndone, 2);
    check_ok(n, h, 80);
    check_ok(n, f, 21);
    assert_int_equal(h->status, 200);
    assert_int_not_equal(h->lport, f->lport);
    assert_true(f->has_data);
    assert_false(f->data_active);
    assert_int_equal(f->data_laddr, PC_IP);
    assert_int_not_equal(f->data_lport, f->lport);
    net_free(n);
}

static void ftp_active(void **st)
{
    (void)st;
    struct ts_fetch_opts fo = { .active = true };
    struct net *n = net_new(&fo);
    const struct ts_fetch_result *f = add(n, "ftp://192.168.1.7/pub/file.bin");
    twostack_run(&n->t, TS_SEC(20));
    check_ok(n, f, 21);
    assert_true(f->data_active);
    assert_int_equal(f->data_rport, 20);        /* the server's port 20 connected to us */
    assert_int_equal(f->data_raddr, SERVER_IP);
    assert_true(f->data_lport >= 49152);
    net_free(n);
}

static void failures_say_why(void **st)
{
    (void)st;
    struct ts_fetch_opts fo = { .timeout = TS_SEC(3) };
    struct net *n = net_new(&fo);
    const struct ts_fetch_result *nf = add(n, "http://192.168.1.7/pub/nope.bin");
    const struct ts_fetch_result *rf = add(n, "http://192.168.1.7:81/x");
    const struct ts_fetch_result *ff = add(n, "ftp://192.168.1.7/pub/nope.bin");
    const struct ts_fetch_result *lf = add(n, "ftp://nobody:bad@192.168.1.7/pub/file.bin");
    const struct ts_fetch_result *tf = add(n, "http://192.168.1.99/x");   /* nobody there */
    twostack_run(&n->t, TS_SEC(30));
    assert_int_equal(ts_fetch_pending(n->fetch), 0);
    assert_int_equal(n->ndone, 5);
    assert_false(nf->ok);
    assert_int_equal(nf->status, 404);
    assert_non_null(strstr(nf->why, "HTTP 404"));
    assert_false(rf->ok);
    assert_non_null(strstr(rf->why, "refused"));
    assert_false(ff->ok);
    assert_non_null(strstr(ff->why, "FTP 550"));
    assert_non_null(strstr(ff->why, "RETR pub/nope.bin"));
    assert_false(lf->ok);
    assert_non_null(strstr(lf->why, "FTP 530"));
    assert_false(tf->ok);
    assert_true(strstr(tf->why, "timed out") || strstr(tf->why, "no route"));
    net_free(n);
}

/* 100 URLs at once: 100 connections, 100 distinct source ports, all in 49152-65535. */
static void hundred_at_once(void **st)
{
    (void)st;
    struct ts_fetch_opts fo = { 0 };
    struct net *n = net_new(&fo);
    for (int i = 0; i < 100; i++) add(n, "http://192.168.1.7/pub/file.bin");
    twostack_run(&n->t, TS_SEC(60));
    assert_int_equal(ts_fetch_pending(n->fetch), 0);
    uint8_t seen[65536 / 8] = { 0 };
    for (unsigned i = 0; i < 100; i++) {
        const struct ts_fetch_result *r = ts_fetch_result(n->fetch, i);
        check_ok(n, r, 80);
        assert_false(seen[r->lport / 8] & (1u << (r->lport % 8)));
        seen[r->lport / 8] |= (uint8_t)(1u << (r->lport % 8));
    }
    net_free(n);
}

/* Stopping mid-transfer reports what was unfinished. */
static void stop_reports(void **st)
{
    (void)st;
    struct ts_fetch_opts fo = { 0 };
    struct net *n = net_new(&fo);
    const struct ts_fetch_result *h = add(n, "http://192.168.1.7/pub/file.bin");
    (void)h;
    assert_int_equal(n->ndone, 0);
    ts_fetch_free(n->fetch, n->t.now);   /* before any frame moved */
    assert_int_equal(n->ndone, 1);
    n->napps--;                          /* the fetch app is gone */
    n->t.napps--;
    twostack_settle(&n->t);
    net_free(n);
}

/* ---- a canned HTTP server on the server stack: one fixed answer per port ---- */

struct canned {
    const char *reply;
    struct ts_sock *conns[4];
    unsigned nconns;
};

static void canned_conn_cb(void *arg, struct ts_sock *k, unsigned ev, ts_time_t now)
{
    (void)arg; (void)ev;
    char junk[512];
    while (ts_tcp_recv(k, now, junk, sizeof junk) > 0) {}
}

static void canned_listen_cb(void *arg, struct ts_sock *l, unsigned ev, ts_time_t now)
{
    struct canned *c = arg;
    struct ts_sock *k;
    (void)ev;
    while ((k = ts_tcp_accept(l, canned_conn_cb, c))) {
        assert_true(c->nconns < 4);
        c->conns[c->nconns++] = k;
        size_t len = strlen(c->reply);
        assert_int_equal(ts_tcp_send(k, now, c->reply, len), (long)len);
        assert_int_equal(ts_tcp_shutdown(k, now), 0);
    }
}

/* Bodies framed by chunked coding and by EOF arrive whole; a short one fails with its count. */
static void http_framings(void **st)
{
    (void)st;
    struct ts_fetch_opts fo = { 0 };
    struct net *n = net_new(&fo);
    struct canned cs[4] = {
        { .reply = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n6;x=y\r\npedia \r\n"
                   "E\r\nin \r\n\r\nchunks.\r\n0\r\n\r\n" },
        { .reply = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end" },
        { .reply = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten.." },
        { .reply = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxx" },
    };
    struct ts_sock *ls[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(ts_tcp_listen(n->t.s, 0, (uint16_t)(8081 + i), 4, canned_listen_cb, &cs[i], &ls[i]), 0);
    const struct ts_fetch_result *ch = add(n, "http://192.168.1.7:8081/c");
    const struct ts_fetch_result *eof = add(n, "http://192.168.1.7:8082/e");
    const struct ts_fetch_result *sh = add(n, "http://192.168.1.7:8083/s");
    const struct ts_fetch_result *gz = add(n, "http://192.168.1.7:8084/g");
    twostack_run(&n->t, TS_SEC(10));
    assert_int_equal(ts_fetch_pending(n->fetch), 0);
    if (!ch->ok) fail_msg("chunked: %s", ch->why);
    assert_int_equal(n->bodies[ch->index].len, 24);
    assert_memory_equal(n->bodies[ch->index].data, "Wikipedia in \r\n\r\nchunks.", 24);
    if (!eof->ok) fail_msg("EOF: %s", eof->why);
    assert_int_equal(n->bodies[eof->index].len, 13);
    assert_memory_equal(n->bodies[eof->index].data, "until the end", 13);
    assert_false(sh->ok);
    assert_non_null(strstr(sh->why, "after 10 of 100 bytes"));
    assert_false(gz->ok);
    assert_non_null(strstr(gz->why, "Transfer-Encoding"));
    for (int i = 0; i < 4; i++) ts_tcp_close(ls[i], n->t.now);
    net_free(n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(web_and_ftp_together), cmocka_unit_test(ftp_active), cmocka_unit_test(failures_say_why),
        cmocka_unit_test(hundred_at_once),      cmocka_unit_test(stop_reports),
        cmocka_unit_test(http_framings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
