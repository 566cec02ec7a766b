/* Unit tests: from a parsed request to a response (stack/apps/http/http_handler.c), without sockets:
 * the server and connection structs are built by hand and the response head and body inspected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "apps/http/http_date.h"
#include "apps/http/http_internal.h"
#include "lib/tmptree.h"

struct result {
    int status;
    bool close;
    char head[HTTP_HEAD_MAX + 1];
    char *body;
    size_t body_len;
};

struct fixture {
    char base[256];
    char root[PATH_MAX];
    struct ts_http_server *srv;
    struct result res;
};

/* Run one raw request through the parser and the handler; collect head and body. */
static struct result *run(struct fixture *f, const char *raw)
{
    struct ts_http_server *srv = f->srv;
    struct http_conn *c = calloc(1, sizeof *c);
    assert_non_null(c);
    c->srv = srv;
    c->resp.fd = -1;
    c->raddr = 0x0a000001;
    c->rport = 40000;
    c->laddr = 0x0a000002;
    c->lport = 80;
    ts_http_parser_init(&c->parser);
    size_t used;
    enum ts_http_parse_result pr = ts_http_parse(&c->parser, raw, strlen(raw), &used);
    assert_int_not_equal(pr, TS_HTTP_NEED_MORE);
    if (pr == TS_HTTP_ERROR)
        http_error_response(srv, c, c->parser.status, false);
    else
        http_handle_request(srv, c, 1000);
    struct http_resp *r = &c->resp;
    free(f->res.body);
    memset(&f->res, 0, sizeof f->res);
    f->res.status = r->status;
    f->res.close = r->close;
    memcpy(f->res.head, r->head, r->head_len);
    uint64_t take = r->left > (1u << 20) ? 0 : r->left;     /* huge bodies: head only */
    /* Short text bodies travel in the head buffer after the blank line: count them as body. */
    const char *end = strstr(f->res.head, "\r\n\r\n");
    assert_non_null(end);
    size_t inhead = strlen(end + 4);
    f->res.body = malloc(inhead + take + 1);
    assert_non_null(f->res.body);
    memcpy(f->res.body, end + 4, inhead);
    f->res.head[end + 4 - f->res.head] = '\0';
    for (uint64_t i = 0; i < take; i++) {
        if (r->src == SRC_MEM)
            f->res.body[inhead + i] = r->mem[r->off + i];
        else if (r->src == SRC_GEN)
            http_gen_fill((uint8_t *)f->res.body + inhead + i, r->off + i, 1);
        else
            assert_int_equal(pread(r->fd, f->res.body + inhead + i, 1, (off_t)(r->off + i)), 1);
    }
    f->res.body_len = inhead + (size_t)take;
    f->res.body[f->res.body_len] = '\0';
    http_resp_release(r);
    free(c);
    return &f->res;
}

/* The value of header name in the response head ("" if absent). */
static const char *hdr(const struct result *r, const char *name)
{
    static char v[512];
    char pat[64];
    snprintf(pat, sizeof pat, "\r\n%s: ", name);
    const char *p = strstr(r->head, pat);
    v[0] = '\0';
    if (p) {
        p += strlen(pat);
        size_t n = strcspn(p, "\r");
        snprintf(v, sizeof v, "%.*s", (int)n, p);
    }
    return v;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    tree_new(f->base, sizeof f->base, "http-handler");
    char p[PATH_MAX * 2];
    snprintf(f->root, sizeof f->root, "%s/www", f->base);
    tree_dir(f->base, "www");
    tree_file(f->base, "secret.txt", "SECRET-OUTSIDE\n");
    tree_file(f->root, "hello.txt", "hello, world\n");
    tree_file(f->root, "digits.bin", "0123456789");
    tree_dir(f->root, "docs");
    tree_file(f->root, "docs/a<b>.txt", "x");
    tree_file(f->root, "docs/space name.html", "<p>y</p>");
    tree_dir(f->root, "docs/deeper");
    tree_dir(f->root, "site");
    tree_file(f->root, "site/index.html", "<h1>site</h1>\n");
    tree_link(f->root, "leak", "../secret.txt");
    /* A fixed modification time for hello.txt: 1994-11-06 08:49:37. */
    snprintf(p, sizeof p, "%s/hello.txt", f->root);
    struct timeval tv[2] = {{784111777, 0}, {784111777, 0}};
    assert_int_equal(utimes(p, tv), 0);

    f->srv = calloc(1, sizeof *f->srv);
    assert_int_equal(ts_fs_root_open(&f->srv->root, f->root), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    ts_fs_root_close(&f->srv->root);
    free(f->srv);
    free(f->res.body);
    tree_remove(f->base);
    free(f);
    return 0;
}

static void test_file_get_and_head(void **state)
{
    struct fixture *f = *state;
    struct result *r = run(f, "GET /hello.txt HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_int_equal(r->status, 200);
    assert_memory_equal(r->head, "HTTP/1.1 200 OK\r\n", 17);
    assert_string_equal(hdr(r, "Content-Length"), "13");
    assert_string_equal(hdr(r, "Content-Type"), "text/plain; charset=utf-8");
    assert_string_equal(hdr(r, "Last-Modified"), "Sun, 06 Nov 1994 08:49:37 GMT");
    assert_string_equal(hdr(r, "Accept-Ranges"), "bytes");
    assert_string_equal(hdr(r, "Connection"), "");
    assert_true(strlen(hdr(r, "Date")) == TS_HTTP_DATE_LEN);
    assert_false(r->close);
    assert_string_equal(r->body, "hello, world\n");
    assert_non_null(strstr(r->head, "\r\n\r\n"));

    r = run(f, "HEAD /hello.txt HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_int_equal(r->status, 200);
    assert_string_equal(hdr(r, "Content-Length"), "13");
    assert_int_equal(r->body_len, 0);
}

static void test_connection_handling(void **state)
{
    struct fixture *f = *state;
    struct result *r = run(f, "GET /hello.txt HTTP/1.0\r\n\r\n");
    assert_true(r->close);
    assert_string_equal(hdr(r, "Connection"), "close");
    r = run(f, "GET /hello.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    assert_false(r->close);
    assert_string_equal(hdr(r, "Connection"), "keep-alive");
    r = run(f, "GET /hello.txt HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
    assert_true(r->close);
    assert_string_equal(hdr(r, "Connection"), "close");
    /* A request with a body is answered, then the connection closes (the body is not read). */
    r = run(f, "GET /hello.txt HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n");
    assert_int_equal(r->status, 200);
    assert_true(r->close);
}

static void test_conditional(void **state)
{
    struct fixture *f = *state;
    struct result *r = run(f, "GET /hello.txt HTTP/1.1\r\nHost: h\r\n"
                              "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n");
    assert_int_equal(r->status, 304);
    assert_string_equal(hdr(r, "Content-Length"), "13");
    assert_string_equal(hdr(r, "Last-Modified"), "Sun, 06 Nov 1994 08:49:37 GMT");
    assert_int_equal(r->body_len, 0);
    r = run(f, "GET /hello.txt HTTP/1.1\r\nHost: h\r\n"
               "If-Modified-Since: Sunday, 06-Nov-94 08:49:36 GMT\r\n\r\n");
    assert_int_equal(r->status, 200);
    /* A date in the future is invalid: the full answer. */
    r = run(f, "GET /hello.txt HTTP/1.1\r\nHost: h\r\n"
               "If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT\r\n\r\n");
    assert_int_equal(r->status, 200);
    /* A file modified "in the future" is announced as modified now, never later than Date. */
    char p[PATH_MAX * 2];
    snprintf(p, sizeof p, "%s/digits.txt.future", f->root);
    tree_file(f->root, "digits.txt.future", "x");
    struct timeval tv[2] = {{4102444800, 0}, {4102444800, 0}};     /* 2100-01-01 */
    assert_int_equal(utimes(p, tv), 0);
    r = run(f, "GET /digits.txt.future HTTP/1.1\r\nHost: h\r\n\r\n");
    time_t lm, date;
    assert_true(ts_http_date_parse(hdr(r, "Last-Modified"), &lm));
    assert_true(ts_http_date_parse(hdr(r, "Date"), &date));
    assert_true(lm <= date + 1 && lm < 4102444800);
    r = run(f, "GET /hello.txt HTTP/1.1\r\nHost: h\r\nIf-Modified-Since: garbage\r\n\r\n");
    assert_int_equal(r->status, 200);
    assert_int_equal(r->body_len, 13);
}

static void test_ranges(void **state)
{
    struct fixture *f = *state;
    struct result *r = run(f, "GET /digits.bin HTTP/1.1\r\nHost: h\r\nRange: bytes=2-5\r\n\r\n");
    assert_int_equal(r->status, 206);
    assert_string_equal(hdr(r, "Content-Range"), "bytes 2-5/10");
    assert_string_equal(hdr(r, "Content-Length"), "4");
    assert_string_equal(r->body, "2345");
    r = run(f, "GET /digits.bin HTTP/1.1\r\nHost: h\r\nRange: bytes=-3\r\n\r\n");
    assert_int_equal(r->status, 206);
    assert_string_equal(r->body, "789");
    r = run(f, "GET /digits.bin HTTP/1.1\r\nHost: h\r\nRange: bytes=10-\r\n\r\n");
    assert_int_equal(r->status, 416);
    assert_string_equal(hdr(r, "Content-Range"), "bytes */10");
    assert_false(r->close);
    r = run(f, "GET /digits.bin HTTP/1.1\r\nHost: h\r\nRange: bytes=0-1,4-5\r\n\r\n");
    assert_int_equal(r->status, 200);
    assert_int_equal(r->body_len, 10);
    /* HEAD ignores Range; If-Range that does not match sends everything. */
    r = run(f, "HEAD /digits.bin HTTP/1.1\r\nHost: h\r\nRange: bytes=2-5\r\n\r\n");
    assert_int_equal(r->status, 200);
    r = run(f, "GET /hello.txt HTTP/1.1\r\nHost: h\r\nRange: bytes=0-4\r\n"
               "If-Range: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n");
    assert_int_equal(r->status, 206);
    assert_string_equal(r->body, "hello");
    r = run(f, "GET /hello.txt HTTP/1.1\r\nHost: h\r\nRange: bytes=0-4\r\nIf-Range: \"etag\"\r\n\r\n");
    assert_int_equal(r->status, 200);
}

static void test_directories(void **state)
{
    struct fixture *f = *state;
    struct result *r = run(f, "GET /docs HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_int_equal(r->status, 301);
    assert_string_equal(hdr(r, "Location"), "/docs/");
    r = run(f, "GET /docs/ HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_int_equal(r->status, 200);
    assert_string_equal(hdr(r, "Content-Type"), "text/html; charset=utf-8");
    assert_non_null(strstr(r->body, "<a href=\"a%3Cb%3E.txt\">a&lt;b&gt;.txt</a>"));
    assert_non_null(strstr(r->body, "<a href=\"space%20name.html\">space name.html</a>"));
    assert_non_null(strstr(r->body, "<a href=\"deeper/\">deeper/</a>"));
    assert_non_null(strstr(r->body, "<a href=\"../\">"));
    assert_null(strstr(r->body, "<a>"));
    char cl[32];
    snprintf(cl, sizeof cl, "%zu", r->body_len);
    assert_string_equal(hdr(r, "Content-Length"), cl);
    r = run(f, "GET /site/ HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_int_equal(r->status, 200);
    assert_string_equal(r->body, "<h1>site</h1>\n");
    r = run(f, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_int_equal(r->status, 200);
    assert_non_null(strstr(r->body, "hello.txt"));
    assert_null(strstr(r->body, "../"));
    r = run(f, "GET /hello.txt/ HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_int_equal(r->status, 404);
}

static void test_confinement(void **state)
{
    struct fixture *f = *state;
    const char *attacks[] = {
        "GET /../secret.txt HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /docs/../../secret.txt HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /%2e%2e/secret.txt HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /%2E%2E%2Fsecret.txt HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /..%2fsecret.txt HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /leak HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /hello.txt%00.html HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET http://h/../secret.txt HTTP/1.1\r\nHost: h\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof attacks / sizeof attacks[0]; i++) {
        struct result *r = run(f, attacks[i]);
        if (r->status != 400 && r->status != 404)
            fprintf(stderr, "attack %zu: status %d\n", i, r->status);
        assert_true(r->status == 400 || r->status == 404);
        assert_null(strstr(r->head, "SECRET"));
        assert_null(strstr(r->body, "SECRET"));
    }
    struct result *r = run(f, "GET /../secret.txt HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_int_equal(r->status, 400);
    assert_true(r->close);
    assert_string_equal(hdr(r, "Connection"), "close");
}

static void test_errors(void **state)
{
    struct fixture *f = *state;
    struct result *r = run(f, "GET /nope HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_int_equal(r->status, 404);
    assert_false(r->close);
    assert_string_equal(r->body, "404 Not Found\n");
    assert_string_equal(hdr(r, "Content-Length"), "14");
    r = run(f, "POST / HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_int_equal(r->status, 405);
    assert_string_equal(hdr(r, "Allow"), "GET, HEAD");
    assert_true(r->close);
    r = run(f, "BREW / HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_int_equal(r->status, 501);
    assert_string_equal(hdr(r, "Connection"), "close");
    r = run(f, "GET / HTTP/3.0\r\nHost: h\r\n\r\n");
    assert_int_equal(r->status, 505);
    assert_string_equal(r->body, "505 HTTP Version Not Supported\n");
}

static void test_bytes_generator(void **state)
{
    struct fixture *f = *state;
    struct result *r = run(f, "GET /bytes/70 HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_int_equal(r->status, 200);
    assert_string_equal(hdr(r, "Content-Length"), "70");
    assert_string_equal(hdr(r, "Content-Type"), "application/octet-stream");
    assert_int_equal(r->body_len, 70);
    assert_memory_equal(r->body, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-\n012345", 70);
    r = run(f, "GET /bytes/0 HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_int_equal(r->status, 200);
    assert_string_equal(hdr(r, "Content-Length"), "0");
    r = run(f, "GET /bytes/100 HTTP/1.1\r\nHost: h\r\nRange: bytes=64-67\r\n\r\n");
    assert_int_equal(r->status, 206);
    assert_string_equal(r->body, "0123");
    r = run(f, "GET /bytes/10000000000 HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_string_equal(hdr(r, "Content-Length"), "10000000000");
    r = run(f, "GET /bytes/x HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_int_equal(r->status, 404);
    r = run(f, "GET /bytes/99999999999999999 HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_int_equal(r->status, 404);
}

static int fake_route(void *arg, const struct ts_http_route_req *rq, struct ts_http_body *b)
{
    int *calls = arg;
    (*calls)++;
    b->content_type = "application/json";
    ts_http_body_printf(b, "{\"path\":\"%s\",\"query\":\"%s\",\"head\":%d}", rq->path, rq->query,
                        rq->head);
    return strcmp(rq->path, "/stats/missing") == 0 ? 404 : 200;
}

static void test_routes(void **state)
{
    struct fixture *f = *state;
    int calls = 0;
    assert_int_equal(ts_http_add_route(f->srv, "/netstat.json", "Netstat", fake_route, &calls), 0);
    assert_int_equal(ts_http_add_route(f->srv, "/stats/", NULL, fake_route, &calls), 0);
    assert_int_equal(ts_http_add_route(f->srv, "relative", NULL, fake_route, &calls), -TS_EINVAL);
    struct result *r = run(f, "GET /netstat.json?x=1 HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_int_equal(r->status, 200);
    assert_string_equal(hdr(r, "Content-Type"), "application/json");
    assert_string_equal(hdr(r, "Cache-Control"), "no-store");
    assert_string_equal(r->body, "{\"path\":\"/netstat.json\",\"query\":\"x=1\",\"head\":0}");
    r = run(f, "HEAD /netstat.json HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_string_equal(hdr(r, "Content-Length"), "44");  /* {"path":"/netstat.json","query":"","head":1} */
    assert_int_equal(r->body_len, 0);
    r = run(f, "GET /stats/tcp HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_int_equal(r->status, 200);
    r = run(f, "GET /stats/missing HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_int_equal(r->status, 404);
    assert_int_equal(calls, 4);
    r = run(f, "GET /netstat.jsonx HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_int_equal(r->status, 404);
    assert_int_equal(calls, 4);
}

static void test_builtin_pages(void **state)
{
    struct fixture *f = *state;
    int calls = 0;
    ts_fs_root_close(&f->srv->root);      /* no root: the built-in pages */
    assert_int_equal(ts_http_add_route(f->srv, "/netstat", "Connections", fake_route, &calls), 0);
    struct result *r = run(f, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_int_equal(r->status, 200);
    assert_non_null(strstr(r->body, "tapstack"));
    assert_non_null(strstr(r->body, "<a href=\"/netstat\">Connections</a>"));
    assert_non_null(strstr(r->body, "/bytes/"));
    assert_non_null(strstr(r->body, "10.0.0.1:40000"));
    size_t len = r->body_len;
    r = run(f, "HEAD / HTTP/1.1\r\nHost: h\r\n\r\n");
    char cl[32];
    snprintf(cl, sizeof cl, "%zu", len);
    assert_string_equal(hdr(r, "Content-Length"), cl);
    r = run(f, "GET /hello.txt HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_int_equal(r->status, 404);
}

static void test_body_bounds(void **state)
{
    (void)state;
    struct ts_http_body b = {0};
    assert_int_equal(ts_http_body_html(&b, "<&>"), 0);
    assert_string_equal(b.data, "&lt;&amp;&gt;");
    char *big = malloc(1 << 20);
    memset(big, 'x', 1 << 20);
    int rc = 0;
    for (int i = 0; i < 9 && rc == 0; i++)
        rc = ts_http_body_append(&b, big, 1 << 20);
    assert_int_equal(rc, -1);
    assert_true(b.failed);
    assert_true(b.len <= TS_HTTP_BODY_MAX);
    free(big);
    free(b.data);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_file_get_and_head), T(test_connection_handling), T(test_conditional),
        T(test_ranges),            T(test_directories),         T(test_confinement),
        T(test_errors),            T(test_bytes_generator),     T(test_routes),
        T(test_builtin_pages),     cmocka_unit_test(test_body_bounds),
    };
    return cmocka_run_group_tests_name("http_handler", tests, NULL, NULL);
}
