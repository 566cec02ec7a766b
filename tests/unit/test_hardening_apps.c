/*
 * Hardening, root cause 7: unbounded copies in the application parsers (Ripple20's DNS, the
 * long-line and NUL-byte bugs of embedded HTTP and FTP servers).
 *
 * The HTTP request parser (stack/apps/http/http_parse.h) and the FTP line assembler and command
 * parsers (stack/apps/ftp/ftp_parse.h) are fed 1 MB of random bytes and 1 MB of HTTP-ish tokens in
 * random splits, lines of 100 KB, NUL bytes everywhere, Telnet commands without end; the helpers
 * that copy attacker text (target path, HTML escaping, URL encoding, Range, reply formatting)
 * get 100 KB inputs and buffers of every small size, allocated to the byte so that ASan sees any
 * write past them. Each time: the answer the RFCs give (400, 414, 431, 501, 500 ...), every kept
 * string within its array and NUL-terminated, the input consumed in bounded steps, and a valid
 * request or command then parses.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "apps/http/http_parse.h"
#include "apps/http/http_path.h"
#include "apps/http/http_range.h"
#include "apps/http/http_date.h"
#include "apps/ftp/ftp_parse.h"
#include "core/rand.h"

#define MB (1u << 20)

/* Every string the HTTP parser keeps is inside its array and terminated. */
static void http_invariants(const struct ts_http_parser *p)
{
    assert_true(strnlen(p->req.method_text, sizeof p->req.method_text) < sizeof p->req.method_text);
    assert_true(strnlen(p->req.target, sizeof p->req.target) < sizeof p->req.target);
    assert_true(p->req.target_len <= TS_HTTP_MAX_TARGET);
    assert_true(strnlen(p->req.host, sizeof p->req.host) < sizeof p->req.host);
    assert_true(strnlen(p->req.range, sizeof p->req.range) < sizeof p->req.range);
    assert_true(strnlen(p->req.if_range, sizeof p->req.if_range) < sizeof p->req.if_range);
    assert_true(strnlen(p->req.if_modified_since, sizeof p->req.if_modified_since) < sizeof p->req.if_modified_since);
    assert_true(p->req.nfields <= TS_HTTP_MAX_FIELDS + 1);   /* the one refused counts */
    assert_true(p->header_bytes <= TS_HTTP_MAX_HEADER_BYTES + 1);
    assert_true(p->empty_lines <= TS_HTTP_MAX_EMPTY_LINES + 1);
}

static bool known_error(int status)
{
    return status == 400 || status == 405 || status == 414 || status == 431 || status == 501 || status == 505;
}

/* A valid request parses on parser p after whatever came before (p re-initialised). */
static void http_valid_after(struct ts_http_parser *p)
{
    static const char req[] = "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n";
    ts_http_parser_init(p);
    size_t used;
    assert_int_equal(ts_http_parse(p, req, sizeof req - 1, &used), TS_HTTP_COMPLETE);
    assert_int_equal(used, sizeof req - 1);
    assert_string_equal(p->req.target, "/index.html");
}

struct http_run { unsigned complete, errors; size_t max_step; };

/* Feed n bytes in random splits; on COMPLETE or ERROR start a new request after what was used
 * (skipping one byte after an error that used none). */
static struct http_run http_feed(struct ts_http_parser *p, const uint8_t *b, size_t n, struct ts_rng *r)
{
    struct http_run run = { 0 };
    ts_http_parser_init(p);
    size_t off = 0;
    while (off < n) {
        size_t chunk = 1 + ts_rng_below(r, 4096);
        if (chunk > n - off) chunk = n - off;
        size_t used = (size_t)-1;
        enum ts_http_parse_result res = ts_http_parse(p, b + off, chunk, &used);
        assert_true(used <= chunk);
        http_invariants(p);
        if (res == TS_HTTP_NEED_MORE) assert_int_equal(used, chunk);
        if (res == TS_HTTP_ERROR) {
            assert_true(known_error(p->status));
            run.errors++;
            if (used == 0) used = 1;
            ts_http_parser_init(p);
        } else if (res == TS_HTTP_COMPLETE) {
            run.complete++;
            ts_http_parser_init(p);
        }
        off += used;
    }
    return run;
}

/* 1 MB of random bytes, then 1 MB of HTTP-like tokens (methods, targets, versions, CRLF, bare CR
 * and LF, colons, NULs, runs of 'A'): the parser answers errors from the known set, keeps every
 * string bounded, and still parses a valid request afterwards. */
static void http_one_megabyte(void **st)
{
    (void)st;
    struct ts_http_parser *p = malloc(sizeof *p);            /* exact size: ASan sees past it */
    uint8_t *b = malloc(MB);
    struct ts_rng r;
    ts_rng_seed(&r, 71);
    for (size_t i = 0; i < MB; i++) b[i] = (uint8_t)ts_rng_next(&r);
    struct http_run run = http_feed(p, b, MB, &r);
    assert_true(run.errors > 0);
    http_valid_after(p);
    static const char *const tok[] = {
        "GET", "HEAD", "POST", "BREW", " ", "  ", "/", "/a/../../b", "?q=1", "%00", "%2e%2e", "HTTP/1.1", "HTTP/1.0",
        "HTTP/2.0", "HTTP/1.", "\r\n", "\r\n\r\n", "\n", "\r", ":", "Host", "Content-Length", "Transfer-Encoding",
        "chunked", "Range", "bytes=0-", "If-Range", "Connection", "close", "99999999999999999999999", "\t",
        "\0", "\x7f", "\xff", ",", "Host: a\r\n", "GET / HTTP/1.1\r\n",
    };
    size_t n = 0;
    while (n < MB - 8192) {
        unsigned k = ts_rng_below(&r, (uint32_t)(sizeof tok / sizeof tok[0]) + 1);
        if (k == sizeof tok / sizeof tok[0]) {               /* a run of one byte, up to 8 KB */
            size_t run_len = ts_rng_below(&r, 8192);
            memset(b + n, 'A', run_len);
            n += run_len;
            continue;
        }
        size_t tl = tok[k][0] ? strlen(tok[k]) : 1;          /* "\0" is one NUL byte */
        memcpy(b + n, tok[k], tl);
        n += tl;
    }
    run = http_feed(p, b, n, &r);
    assert_true(run.errors + run.complete > 0);
    http_valid_after(p);
    free(b);
    free(p);
}

/* Feed s whole and one byte at a time; both give ERROR with status, after consuming no more
 * than max_used bytes (the parser stops at the limit, it does not swallow the rest). */
static void http_expect(const char *s, size_t n, int status, size_t max_used)
{
    struct ts_http_parser *p = malloc(sizeof *p);
    size_t used;
    ts_http_parser_init(p);
    assert_int_equal(ts_http_parse(p, s, n, &used), TS_HTTP_ERROR);
    assert_int_equal(p->status, status);
    assert_true(used <= max_used);
    http_invariants(p);
    ts_http_parser_init(p);
    size_t i = 0;
    enum ts_http_parse_result res = TS_HTTP_NEED_MORE;
    for (; i < n && res == TS_HTTP_NEED_MORE; i++) {
        res = ts_http_parse(p, s + i, 1, &used);
        http_invariants(p);
    }
    assert_int_equal(res, TS_HTTP_ERROR);
    assert_int_equal(p->status, status);
    assert_true(i <= max_used + 1);
    http_valid_after(p);
    free(p);
}

/* 100 KB lines: a method (501), a target (414), a header value (431), 10,000 small fields
 * (431), 100 KB of empty lines before the request (400), a field name (431 or 400). */
static void http_hundred_kilobyte_lines(void **st)
{
    (void)st;
    const size_t L = 100 * 1024;
    char *b = malloc(L + 256);
    memset(b, 'A', L);
    strcpy(b + L, " / HTTP/1.1\r\nHost: x\r\n\r\n");
    http_expect(b, strlen(b), 501, TS_HTTP_MAX_METHOD + 1);
    memcpy(b, "GET /", 5);
    memset(b + 5, 'a', L - 5);
    strcpy(b + L, " HTTP/1.1\r\nHost: x\r\n\r\n");
    http_expect(b, strlen(b), 414, TS_HTTP_MAX_TARGET + 8);
    int o = sprintf(b, "GET / HTTP/1.1\r\nHost: x\r\nX-Long: ");
    memset(b + o, 'v', L - (size_t)o);
    strcpy(b + L, "\r\n\r\n");
    http_expect(b, strlen(b), 431, TS_HTTP_MAX_HEADER_BYTES + 64);
    o = sprintf(b, "GET / HTTP/1.1\r\nHost: x\r\n");
    while ((size_t)o < L - 8) o += sprintf(b + o, "X: y\r\n");
    strcpy(b + o, "\r\n");
    http_expect(b, strlen(b), 431, TS_HTTP_MAX_HEADER_BYTES + 64);
    o = sprintf(b, "GET / HTTP/1.1\r\nHost: x\r\n");
    memset(b + o, 'n', L - (size_t)o);
    strcpy(b + L, ": v\r\n\r\n");
    struct ts_http_parser *p = malloc(sizeof *p);
    size_t used;
    ts_http_parser_init(p);
    assert_int_equal(ts_http_parse(p, b, strlen(b), &used), TS_HTTP_ERROR);
    assert_true(p->status == 431 || p->status == 400);
    assert_true(used <= TS_HTTP_MAX_HEADER_BYTES + 64);
    http_invariants(p);
    free(p);
    for (size_t i = 0; i + 1 < L; i += 2) { b[i] = '\r'; b[i + 1] = '\n'; }
    strcpy(b + L, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    http_expect(b, strlen(b), 400, 2 * (TS_HTTP_MAX_EMPTY_LINES + 1) + 2);
    free(b);
}

/* A NUL byte in the method, the target, the version, a field name, a field value: 400 each. */
static void http_nul_bytes(void **st)
{
    (void)st;
#define S(x) { x, sizeof(x) - 1 }
    static const struct { const char *s; size_t n; } reqs[] = {
        S("G\0T / HTTP/1.1\r\nHost: x\r\n\r\n"), S("GET /a\0b HTTP/1.1\r\nHost: x\r\n\r\n"),
        S("GET / HTTP/1\0.1\r\nHost: x\r\n\r\n"), S("GET / HTTP/1.1\r\nHo\0st: x\r\n\r\n"),
        S("GET / HTTP/1.1\r\nHost: x\0y\r\n\r\n"), S("GET / HTTP/1.1\r\nHost: x\r\n\0\r\n\r\n"),
        S("\0GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
    };
#undef S
    for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
        struct ts_http_parser *p = malloc(sizeof *p);
        size_t used;
        ts_http_parser_init(p);
        assert_int_equal(ts_http_parse(p, reqs[i].s, reqs[i].n, &used), TS_HTTP_ERROR);
        assert_true(p->status == 400 || p->status == 501 || p->status == 505);
        assert_true(used < reqs[i].n);
        http_invariants(p);
        free(p);
    }
}

/* The helpers that copy attacker text: 100 KB inputs, output buffers of every size from 1 to
 * 300 bytes allocated exactly: results bounded and terminated, errors where the RFCs want them. */
static void http_helpers_bounded(void **st)
{
    (void)st;
    const size_t L = 100 * 1024;
    char *in = malloc(L + 1);
    memset(in, '/', L);
    in[0] = '/';
    in[L] = '\0';
    for (size_t i = 1; i < L; i += 3) { in[i] = '.'; in[i + 1] = '.'; }   /* "/../../.." */
    char *out = malloc(TS_HTTP_MAX_PATH);
    assert_int_not_equal(ts_http_target_path(in, out, TS_HTTP_MAX_PATH, NULL), 0);
    memset(in, 'a', L);
    in[0] = '/';
    int rc = ts_http_target_path(in, out, TS_HTTP_MAX_PATH, NULL);
    assert_true(rc == 414 || rc == 400);
    for (size_t i = 1; i + 2 < L; i += 3) memcpy(in + i, "%41", 3);
    rc = ts_http_target_path(in, out, TS_HTTP_MAX_PATH, NULL);
    assert_true(rc == 414 || rc == 400);
    assert_int_equal(ts_http_target_path("/a%00b", out, TS_HTTP_MAX_PATH, NULL), 400);
    assert_int_equal(ts_http_target_path("/%2e%2e/etc/passwd", out, TS_HTTP_MAX_PATH, NULL), 400);
    assert_int_equal(ts_http_target_path("/../etc/passwd", out, TS_HTTP_MAX_PATH, NULL), 400);
    free(out);
    memset(in, '<', L);
    for (size_t cap = 1; cap <= 300; cap++) {
        char *o2 = malloc(cap);
        o2[0] = '\0';
        size_t r1 = ts_http_html_escape(o2, cap, 0, in);
        assert_true(r1 <= cap);
        assert_true(strnlen(o2, cap) < cap);
        o2[0] = '\0';
        size_t r2 = ts_http_url_encode(o2, cap, 0, in);
        assert_true(r2 <= cap);
        assert_true(strnlen(o2, cap) < cap);
        free(o2);
    }
    /* Range: numbers past 2^64, 100 KB of ranges, negative and reversed */
    uint64_t first, last;
    static const char *const ranges[] = {
        "bytes=99999999999999999999999-", "bytes=0-99999999999999999999999", "bytes=-99999999999999999999999",
        "bytes=18446744073709551615-18446744073709551615", "bytes=5-1", "bytes=--1", "bytes=", "bytes=0-0,1-1",
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
        enum ts_http_range_result res = ts_http_range_parse(ranges[i], 1000, &first, &last);
        if (res == TS_RANGE_OK) assert_true(first <= last && last < 1000);
    }
    memcpy(in, "bytes=", 6);
    for (size_t i = 6; i + 4 < L; i += 4) memcpy(in + i, "1-2,", 4);
    in[L - 1] = '\0';
    enum ts_http_range_result res = ts_http_range_parse(in, 1000, &first, &last);
    if (res == TS_RANGE_OK) assert_true(first <= last && last < 1000);
    memset(in, '9', L);
    in[L] = '\0';
    time_t t;
    assert_false(ts_http_date_parse(in, &t));
    free(in);
}

/* ---- FTP ---- */

/* Feed n bytes to the line assembler in random splits; parse every line like the server does. */
static void ftp_feed(const uint8_t *b, size_t n, struct ts_rng *r, unsigned *ready, unsigned *too_long)
{
    struct ts_line *l = malloc(sizeof *l);
    ts_line_init(l);
    size_t off = 0;
    while (off < n) {
        size_t chunk = 1 + ts_rng_below(r, 4096);
        if (chunk > n - off) chunk = n - off;
        size_t used = (size_t)-1;
        enum ts_line_status st = ts_line_feed(l, b + off, chunk, &used);
        assert_true(used <= chunk && used > 0);
        assert_true(l->len < FTP_LINE_MAX);
        if (st == TS_LINE_READY) {
            (*ready)++;
            assert_int_equal(l->buf[l->len], '\0');
            struct ftp_cmd c;
            if (ftp_cmd_parse(l->buf, l->len, &c) == FTP_PARSE_OK) {
                assert_true(c.arg_len <= l->len);
                assert_true(strnlen(c.name, sizeof c.name) < sizeof c.name);
                uint32_t a;
                uint16_t port;
                uint64_t rest;
                (void)ftp_parse_port(c.arg, &a, &port);
                (void)ftp_parse_eprt(c.arg, &a, &port);
                (void)ftp_parse_epsv(c.arg);
                (void)ftp_parse_type(c.arg);
                (void)ftp_parse_rest(c.arg, &rest);
            }
        } else if (st == TS_LINE_TOO_LONG) {
            (*too_long)++;
        }
        off += used;
    }
    free(l);
}

/* 1 MB of random bytes (with line ends about every 600 bytes), 1 MB of Telnet IAC commands, and
 * 1 MB with no line end at all: lines are handed out bounded, the long ones refused, no byte is
 * kept past FTP_LINE_MAX. */
static void ftp_one_megabyte(void **st)
{
    (void)st;
    uint8_t *b = malloc(MB);
    struct ts_rng r;
    ts_rng_seed(&r, 72);
    for (size_t i = 0; i < MB; i++) {
        uint32_t x = (uint32_t)ts_rng_next(&r);
        b[i] = (uint8_t)x;
        if ((x >> 8) % 600 == 0) b[i] = '\n';
        else if ((x >> 8) % 97 == 0) b[i] = 0xff;
    }
    unsigned ready = 0, too_long = 0;
    ftp_feed(b, MB, &r, &ready, &too_long);
    assert_true(ready > 100);
    assert_true(too_long > 10);
    for (size_t i = 0; i + 2 < MB; i += 3) { b[i] = 0xff; b[i + 1] = 0xfb; b[i + 2] = 'x'; }
    b[MB - 1] = 0xff;
    ready = too_long = 0;
    ftp_feed(b, MB, &r, &ready, &too_long);
    assert_int_equal(ready + too_long, 0);
    memset(b, 'A', MB);
    ftp_feed(b, MB, &r, &ready, &too_long);
    assert_int_equal(ready + too_long, 0);
    free(b);
}

/* Lines of 100 KB, lines at the limit, NUL bytes: the limit is exact (511 bytes with CR, LF the
 * 512th), a longer line is refused whole and the next one starts clean; NUL is a bad character. */
static void ftp_long_lines_and_nul(void **st)
{
    (void)st;
    const size_t L = 100 * 1024;
    uint8_t *b = malloc(L + 64);
    memset(b, 'R', L);
    memcpy(b + L, "\r\nNOOP\r\n", 8);
    struct ts_line *l = malloc(sizeof *l);
    ts_line_init(l);
    size_t used;
    assert_int_equal(ts_line_feed(l, b, L + 8, &used), TS_LINE_TOO_LONG);
    assert_int_equal(used, L + 2);
    assert_int_equal(ts_line_feed(l, b + used, L + 8 - used, &used), TS_LINE_READY);
    assert_string_equal(l->buf, "NOOP");
    /* exactly at the limit: 510 bytes + CRLF = 512 */
    memset(b, 'a', 510);
    memcpy(b, "RETR ", 5);
    memcpy(b + 510, "\r\n", 2);
    assert_int_equal(ts_line_feed(l, b, 512, &used), TS_LINE_READY);
    assert_int_equal(l->len, 510);
    memset(b, 'a', 511);
    memcpy(b + 511, "\r\n", 2);
    assert_int_equal(ts_line_feed(l, b, 513, &used), TS_LINE_TOO_LONG);
    /* NUL bytes */
    static const char nul1[] = "RETR a\0b\r\n", nul2[] = "\0\0\0\r\n", nul3[] = "US\0R x\r\n";
    const char *nuls[3] = { nul1, nul2, nul3 };
    const size_t nl[3] = { sizeof nul1 - 1, sizeof nul2 - 1, sizeof nul3 - 1 };
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ts_line_feed(l, (const uint8_t *)nuls[i], nl[i], &used), TS_LINE_READY);
        struct ftp_cmd c;
        assert_int_equal(ftp_cmd_parse(l->buf, l->len, &c), FTP_PARSE_BAD_CHAR);
    }
    assert_int_equal(ts_line_feed(l, (const uint8_t *)"USER anonymous\r\n", 16, &used), TS_LINE_READY);
    struct ftp_cmd c;
    assert_int_equal(ftp_cmd_parse(l->buf, l->len, &c), FTP_PARSE_OK);
    assert_int_equal(c.verb, FTP_V_USER);
    assert_string_equal(c.arg, "anonymous");
    free(l);
    free(b);
}

/* Reply formatting and the argument parsers with 100 KB inputs: formatting into buffers of every
 * size up to 300 (allocated exactly) returns 0 when the text does not fit and never writes past;
 * numbers too long for their field are refused. */
static void ftp_formatting_bounded(void **st)
{
    (void)st;
    const size_t L = 100 * 1024;
    char *text = malloc(L + 1);
    for (size_t i = 0; i < L; i++) text[i] = (i % 50 == 49) ? '\n' : (i % 7 == 0 ? '"' : '5');
    text[L] = '\0';
    for (size_t cap = 1; cap <= 300; cap++) {
        char *o = malloc(cap);
        assert_int_equal(ftp_fmt_reply(o, cap, 250, text), 0);
        assert_int_equal(ftp_fmt_quoted(o, cap, text), 0);
        size_t n = ftp_fmt_pasv(o, cap, 0xffffffffu, 65535);
        assert_true(n < cap);
        n = ftp_fmt_epsv(o, cap, 65535);
        assert_true(n < cap);
        n = ftp_fmt_mdtm(o, cap, (time_t)0x7fffffff);
        assert_true(n < cap);
        free(o);
    }
    uint64_t off;
    uint32_t a;
    uint16_t p;
    assert_false(ftp_parse_rest("99999999999999999999999", &off));
    assert_false(ftp_parse_rest("9223372036854775808", &off));
    assert_false(ftp_parse_port("1000,0,0,1,0,21", &a, &p));
    assert_false(ftp_parse_port("1,2,3,4,5,6,7", &a, &p));
    assert_false(ftp_parse_port("0001,2,3,4,5,6", &a, &p));
    assert_int_not_equal(ftp_parse_eprt("|1|1.2.3.4|99999999999|", &a, &p), FTP_EPRT_OK);
    assert_int_not_equal(ftp_parse_eprt("|1|1.2.3.4444|21|", &a, &p), FTP_EPRT_OK);
    memset(text, '9', L);
    assert_false(ftp_parse_rest(text, &off));
    assert_false(ftp_parse_port(text, &a, &p));
    assert_int_not_equal(ftp_parse_eprt(text, &a, &p), FTP_EPRT_OK);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(http_one_megabyte),
        cmocka_unit_test(http_hundred_kilobyte_lines),
        cmocka_unit_test(http_nul_bytes),
        cmocka_unit_test(http_helpers_bounded),
        cmocka_unit_test(ftp_one_megabyte),
        cmocka_unit_test(ftp_long_lines_and_nul),
        cmocka_unit_test(ftp_formatting_bounded),
    };
    return cmocka_run_group_tests_name("hardening: application parsers", tests, NULL, NULL);
}
