/* The fetch client's pure parsers: URLs, the HTTP response head, chunked bodies, FTP replies and
 * the 227/229 passive-mode replies. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "apps/fetch/fetch_internal.h"

static struct ts_fetch_url parse_ok(const char *text)
{
    struct ts_fetch_url u;
    char err[256] = "";
    int r = ts_fetch_url_parse(text, &u, err, sizeof err);
    if (r != 0) fail_msg("'%s' refused: %s", text, err);
    return u;
}

static void parse_bad(const char *text, const char *want_in_err)
{
    struct ts_fetch_url u;
    char err[256] = "";
    assert_int_equal(ts_fetch_url_parse(text, &u, err, sizeof err), -1);
    if (!strstr(err, want_in_err)) fail_msg("'%s': message '%s' lacks '%s'", text, err, want_in_err);
}

static void url_http(void **st)
{
    (void)st;
    struct ts_fetch_url u = parse_ok("http://192.168.1.7/a/big.bin");
    assert_int_equal(u.scheme, TS_FETCH_HTTP);
    assert_int_equal(u.addr, 0xc0a80107u);
    assert_int_equal(u.port, 80);
    assert_string_equal(u.path, "/a/big.bin");
    assert_string_equal(u.name, "big.bin");
    u = parse_ok("HTTP://10.0.0.1:8000");
    assert_int_equal(u.port, 8000);
    assert_string_equal(u.path, "/");
    assert_string_equal(u.name, "index.html");
    u = parse_ok("http://10.0.0.1/dir/?x=1#frag");
    assert_string_equal(u.path, "/dir/?x=1");
    assert_string_equal(u.name, "index.html");
    u = parse_ok("http://10.0.0.1/q.cgi?a=b");
    assert_string_equal(u.name, "q.cgi");
    u = parse_ok("http://10.0.0.1/my%20file%2Fx.txt");
    assert_string_equal(u.path, "/my%20file%2Fx.txt");
    assert_string_equal(u.name, "my file_x.txt");     /* a decoded '/' cannot escape DIR */
    u = parse_ok("http://10.0.0.1/a/..");
    assert_string_equal(u.name, "index.html");
    u = parse_ok("http://10.0.0.1?x");
    assert_string_equal(u.path, "/?x");
}

static void url_ftp(void **st)
{
    (void)st;
    struct ts_fetch_url u = parse_ok("ftp://192.168.1.7/pub/file.bin");
    assert_int_equal(u.scheme, TS_FETCH_FTP);
    assert_int_equal(u.port, 21);
    assert_string_equal(u.user, "");
    assert_string_equal(u.name, "file.bin");
    u = parse_ok("ftp://alice:s%40cret@10.0.0.2:2121/x");
    assert_string_equal(u.user, "alice");
    assert_string_equal(u.pass, "s@cret");
    assert_int_equal(u.port, 2121);
    assert_int_equal(u.addr, 0x0a000002u);
    u = parse_ok("ftp://bob@10.0.0.2/x");
    assert_string_equal(u.user, "bob");
    assert_string_equal(u.pass, "");
}

static void url_refused(void **st)
{
    (void)st;
    parse_bad("http://example.com/", "no DNS");
    parse_bad("https://10.0.0.1/", "only http:// and ftp://");
    parse_bad("10.0.0.1/x", "only http:// and ftp://");
    parse_bad("http:///x", "no host");
    parse_bad("http://10.0.0.1:0/", "bad port");
    parse_bad("http://10.0.0.1:65536/", "bad port");
    parse_bad("http://10.0.0.1:8a/", "bad port");
    parse_bad("http://10.0.0.256/", "not an IPv4 address");
    parse_bad("http://10.0.0.1/a b", "spaces");
    parse_bad("ftp://10.0.0.1/dir/", "must name a file");
    parse_bad("ftp://10.0.0.1", "must name a file");
    char longp[TS_FETCH_PATH_MAX + 40];
    snprintf(longp, sizeof longp, "http://10.0.0.1/");
    memset(longp + 16, 'a', TS_FETCH_PATH_MAX + 10);
    longp[16 + TS_FETCH_PATH_MAX + 10] = '\0';
    parse_bad(longp, "too long");
}

static void pct_decode(void **st)
{
    (void)st;
    char out[16];
    assert_int_equal(fetch_pct_decode("a%41%zz%4", 9, out, sizeof out), 7);
    assert_string_equal(out, "aA%zz%4");
    assert_int_equal(fetch_pct_decode("x%00", 4, out, sizeof out), -1);
    assert_int_equal(fetch_pct_decode("0123456789abcdefg", 17, out, sizeof out), -1);
}

static void http_head(void **st)
{
    (void)st;
    struct fetch_http_head h;
    const char *why = NULL;
    const char *r1 = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\ncontent-length:  42 \r\n\r\nbody";
    assert_int_equal(fetch_http_parse_head(r1, strlen(r1), &h, &why), (long)strlen(r1) - 4);
    assert_int_equal(h.status, 200);
    assert_string_equal(h.reason, "OK");
    assert_int_equal(h.content_length, 42);
    assert_false(h.chunked);
    /* Incomplete: need more. */
    assert_int_equal(fetch_http_parse_head(r1, 30, &h, &why), 0);
    const char *r2 = "HTTP/1.0 404 File not found\n\n";
    assert_int_equal(fetch_http_parse_head(r2, strlen(r2), &h, &why), (long)strlen(r2));
    assert_int_equal(h.status, 404);
    assert_string_equal(h.reason, "File not found");
    assert_int_equal(h.content_length, -1);
    const char *r3 = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 9\r\n\r\n";
    assert_true(fetch_http_parse_head(r3, strlen(r3), &h, &why) > 0);
    assert_true(h.chunked);
    assert_int_equal(h.content_length, -1);
    const char *r4 = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n";
    assert_true(fetch_http_parse_head(r4, strlen(r4), &h, &why) > 0);
    assert_true(h.other_coding);
    const char *r5 = "HTTP/1.1 204\r\n\r\n";
    assert_true(fetch_http_parse_head(r5, strlen(r5), &h, &why) > 0);
    assert_int_equal(h.status, 204);
    assert_string_equal(h.reason, "");
    static const char *const bad[] = {
        "SSH-2.0-OpenSSH\r\n\r\n",
        "HTTP/1.1 20 OK\r\n\r\n",
        "HTTP/1.1 200OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n",
        "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why = NULL;
        if (fetch_http_parse_head(bad[i], strlen(bad[i]), &h, &why) != -1) fail_msg("accepted: %s", bad[i]);
        assert_non_null(why);
    }
}

/* Feed text to the chunked decoder in pieces of step bytes; returns the decoded body. */
static long chunked_all(const char *text, size_t step, char *out, size_t cap, bool *done)
{
    struct fetch_chunked c;
    memset(&c, 0, sizeof c);
    size_t len = strlen(text), o = 0;
    uint8_t buf[256];
    for (size_t i = 0; i < len; i += step) {
        size_t n = len - i < step ? len - i : step;
        memcpy(buf, text + i, n);
        long r = fetch_chunked_feed(&c, buf, n);
        if (r < 0) return -1;
        assert_true(o + (size_t)r <= cap);
        memcpy(out + o, buf, (size_t)r);
        o += (size_t)r;
    }
    *done = c.done;
    return (long)o;
}

static void chunked(void **st)
{
    (void)st;
    const char *body = "5\r\nhello\r\n1A;ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nTrailer: x\r\n\r\nGARBAGE";
    for (size_t step = 1; step <= 40; step++) {
        char out[64];
        bool done = false;
        long n = chunked_all(body, step, out, sizeof out, &done);
        assert_int_equal(n, 31);
        assert_memory_equal(out, "helloabcdefghijklmnopqrstuvwxyz", 31);
        assert_true(done);
    }
    char out[64];
    bool done = true;
    assert_int_equal(chunked_all("5\r\nhel", 3, out, sizeof out, &done), 3);
    assert_false(done);
    assert_int_equal(chunked_all("zz\r\n", 1, out, sizeof out, &done), -1);
    assert_int_equal(chunked_all("\r\n", 1, out, sizeof out, &done), -1);
    assert_int_equal(chunked_all("2\r\nabX\r\n", 1, out, sizeof out, &done), -1);
    assert_int_equal(chunked_all("1000000000000000\r\n", 1, out, sizeof out, &done), -1);
}

static void ftp_replies(void **st)
{
    (void)st;
    struct fetch_ftp_reply r;
    memset(&r, 0, sizeof r);
    assert_int_equal(fetch_ftp_reply_line(&r, "220 tapstack FTP ready"), 220);
    assert_string_equal(r.text, "tapstack FTP ready");
    assert_int_equal(fetch_ftp_reply_line(&r, "230-Welcome"), 0);
    assert_int_equal(fetch_ftp_reply_line(&r, " 200 is not the end"), 0);
    assert_int_equal(fetch_ftp_reply_line(&r, "200 nor is this"), 0);
    assert_int_equal(fetch_ftp_reply_line(&r, "230-still going"), 0);
    assert_int_equal(fetch_ftp_reply_line(&r, "230 Logged in"), 230);
    assert_string_equal(r.text, "Logged in");
    assert_int_equal(fetch_ftp_reply_line(&r, "200"), 200);
    assert_int_equal(fetch_ftp_reply_line(&r, "hello"), -1);
    assert_int_equal(fetch_ftp_reply_line(&r, "2000 x"), -1);
    assert_int_equal(fetch_ftp_reply_line(&r, "099 x"), -1);
    assert_int_equal(fetch_ftp_reply_line(&r, "60"), -1);
}

static void ftp_passive(void **st)
{
    (void)st;
    uint16_t port = 0;
    uint32_t addr = 0;
    assert_true(fetch_ftp_parse_229("Entering Extended Passive Mode (|||50001|)", &port));
    assert_int_equal(port, 50001);
    assert_true(fetch_ftp_parse_229("ok (!!!21!)", &port));
    assert_int_equal(port, 21);
    assert_false(fetch_ftp_parse_229("Entering Extended Passive Mode (|||0|)", &port));
    assert_false(fetch_ftp_parse_229("Entering Extended Passive Mode (|||70000|)", &port));
    assert_false(fetch_ftp_parse_229("Entering Extended Passive Mode (||1|50001|)", &port));
    assert_false(fetch_ftp_parse_229("Entering Extended Passive Mode", &port));
    assert_false(fetch_ftp_parse_229("(1112221)", &port));
    assert_true(fetch_ftp_parse_227("Entering Passive Mode (192,168,1,7,195,80).", &addr, &port));
    assert_int_equal(addr, 0xc0a80107u);
    assert_int_equal(port, 195 * 256 + 80);
    assert_true(fetch_ftp_parse_227("Entering Passive Mode 10,0,0,2,4,1", &addr, &port));
    assert_int_equal(addr, 0x0a000002u);
    assert_int_equal(port, 1025);
    assert_false(fetch_ftp_parse_227("Entering Passive Mode (192,168,1,7,256,80)", &addr, &port));
    assert_false(fetch_ftp_parse_227("Entering Passive Mode (192,168,1,7,195)", &addr, &port));
    assert_false(fetch_ftp_parse_227("Entering Passive Mode (192,168,1,7,0,0)", &addr, &port));
    assert_false(fetch_ftp_parse_227("Entering Passive Mode", &addr, &port));
}

static void rate_text(void **st)
{
    (void)st;
    char b[32];
    assert_string_equal(ts_fetch_fmt_rate(2000000, TS_SEC(1), b, sizeof b), "2.00 MB/s");
    assert_string_equal(ts_fetch_fmt_rate(1500, TS_SEC(1), b, sizeof b), "1.5 kB/s");
    assert_string_equal(ts_fetch_fmt_rate(10, TS_SEC(1), b, sizeof b), "10 B/s");
    assert_string_equal(ts_fetch_fmt_rate(3000000000ull, TS_SEC(1), b, sizeof b), "3.00 GB/s");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(url_http),    cmocka_unit_test(url_ftp),   cmocka_unit_test(url_refused),
        cmocka_unit_test(pct_decode),  cmocka_unit_test(http_head), cmocka_unit_test(chunked),
        cmocka_unit_test(ftp_replies), cmocka_unit_test(ftp_passive), cmocka_unit_test(rate_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
