/* Unit tests: the incremental HTTP request parser (stack/apps/http/http_parse.c).
 * Every input is fed three ways (whole, one byte at a time, and in two halves at every split point
 * for short inputs) and all must agree on the result, the status and the parsed fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "apps/http/http_parse.h"

/* Feed raw in pieces of `step` bytes (0 = whole); return the result, *used_total is the offset
 * just past the request (or the offending byte). */
static enum ts_http_parse_result feed(struct ts_http_parser *p, const char *raw, size_t len,
                                      size_t step, size_t *used_total)
{
    ts_http_parser_init(p);
    size_t off = 0;
    enum ts_http_parse_result r = TS_HTTP_NEED_MORE;
    while (off < len) {
        size_t n = step == 0 ? len - off : (len - off < step ? len - off : step);
        size_t used = 0;
        r = ts_http_parse(p, raw + off, n, &used);
        assert_true(used <= n);
        off += used;
        if (r != TS_HTTP_NEED_MORE)
            break;
        assert_int_equal(used, n);
    }
    *used_total = off;
    return r;
}

static void same_request(const struct ts_http_parser *a, const struct ts_http_parser *b)
{
    assert_int_equal(a->status, b->status);
    if (a->status != 0)
        return;
    assert_int_equal(a->req.method, b->req.method);
    assert_string_equal(a->req.target, b->req.target);
    assert_int_equal(a->req.version_minor, b->req.version_minor);
    assert_int_equal(a->req.keep_alive, b->req.keep_alive);
    assert_int_equal(a->req.has_body, b->req.has_body);
    assert_string_equal(a->req.host, b->req.host);
    assert_string_equal(a->req.range, b->req.range);
    assert_string_equal(a->req.if_modified_since, b->req.if_modified_since);
    assert_int_equal(a->req.nfields, b->req.nfields);
}

/* Parse raw whole, byte by byte and (for short inputs) split at every offset; all must agree.
 * Leaves the whole-input parse in *out. */
static enum ts_http_parse_result parse_len(struct ts_http_parser *out, const char *raw, size_t len,
                                           size_t *used)
{
    struct ts_http_parser *b = malloc(sizeof *b);
    assert_non_null(b);
    size_t u1, u2;
    enum ts_http_parse_result r1 = feed(out, raw, len, 0, &u1);
    enum ts_http_parse_result r2 = feed(b, raw, len, 1, &u2);
    assert_int_equal(r1, r2);
    assert_int_equal(u1, u2);
    same_request(out, b);
    if (len < 400) {
        for (size_t split = 1; split < len; split++) {
            ts_http_parser_init(b);
            size_t ua = 0, ub = 0;
            enum ts_http_parse_result r = ts_http_parse(b, raw, split, &ua);
            if (r == TS_HTTP_NEED_MORE)
                r = ts_http_parse(b, raw + split, len - split, &ub);
            assert_int_equal(r, r1);
            assert_int_equal(ua + ub, u1);
            same_request(out, b);
        }
    }
    free(b);
    if (used)
        *used = u1;
    return r1;
}

static enum ts_http_parse_result parse(struct ts_http_parser *out, const char *raw)
{
    return parse_len(out, raw, strlen(raw), NULL);
}

/* Expect raw to be refused with status. */
static void expect_error(const char *raw, size_t len, int status)
{
    struct ts_http_parser *p = malloc(sizeof *p);
    assert_non_null(p);
    enum ts_http_parse_result r = parse_len(p, raw, len, NULL);
    if (r != TS_HTTP_ERROR || p->status != status)
        fprintf(stderr, "input %.60s...: result %d status %d (%s), want %d\n", raw, r, p->status,
                p->reason ? p->reason : "-", status);
    assert_int_equal(r, TS_HTTP_ERROR);
    assert_int_equal(p->status, status);
    assert_non_null(p->reason);
    free(p);
}

#define EXPECT(raw, status) expect_error(raw, sizeof(raw) - 1, status)

static void test_simple_get(void **state)
{
    (void)state;
    struct ts_http_parser p;
    const char *raw = "GET /index.html?x=1 HTTP/1.1\r\nHost: example.com:8080\r\n"
                      "User-Agent: curl/8\r\nAccept: */*\r\n\r\n";
    size_t used;
    assert_int_equal(parse_len(&p, raw, strlen(raw), &used), TS_HTTP_COMPLETE);
    assert_int_equal(used, strlen(raw));
    assert_int_equal(p.req.method, TS_HTTP_GET);
    assert_string_equal(p.req.method_text, "GET");
    assert_string_equal(p.req.target, "/index.html?x=1");
    assert_int_equal(p.req.target_len, 15);
    assert_int_equal(p.req.version_major, 1);
    assert_int_equal(p.req.version_minor, 1);
    assert_true(p.req.keep_alive);
    assert_false(p.req.has_body);
    assert_string_equal(p.req.host, "example.com:8080");
    assert_int_equal(p.req.nfields, 3);
    assert_false(ts_http_parser_in_request(&p));
}

static void test_head_and_fields(void **state)
{
    (void)state;
    struct ts_http_parser p;
    assert_int_equal(parse(&p, "HEAD /a HTTP/1.1\r\nhOsT:h\r\nRange:  bytes=0-9 \t\r\n"
                               "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                               "If-Range: \"x\"\r\nContent-Length: 0\r\n\r\n"),
                     TS_HTTP_COMPLETE);
    assert_int_equal(p.req.method, TS_HTTP_HEAD);
    assert_string_equal(p.req.host, "h");
    assert_string_equal(p.req.range, "bytes=0-9");
    assert_string_equal(p.req.if_modified_since, "Sun, 06 Nov 1994 08:49:37 GMT");
    assert_true(p.req.has_if_range);
    assert_string_equal(p.req.if_range, "\"x\"");
    assert_true(p.req.has_content_length);
    assert_false(p.req.has_body);
}

static void test_connection_defaults(void **state)
{
    (void)state;
    struct ts_http_parser p;
    assert_int_equal(parse(&p, "GET / HTTP/1.0\r\n\r\n"), TS_HTTP_COMPLETE);
    assert_int_equal(p.req.version_minor, 0);
    assert_false(p.req.keep_alive);
    assert_false(p.req.has_host);
    assert_int_equal(parse(&p, "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"),
                     TS_HTTP_COMPLETE);
    assert_true(p.req.keep_alive);
    assert_int_equal(parse(&p, "GET / HTTP/1.1\r\nHost: x\r\nConnection: foo, close\r\n\r\n"),
                     TS_HTTP_COMPLETE);
    assert_false(p.req.keep_alive);
    assert_int_equal(parse(&p, "GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n"),
                     TS_HTTP_COMPLETE);
    assert_true(p.req.keep_alive);
    /* HTTP/1.x with x > 1 is answered as 1.1 (RFC 9112 §2.3). */
    assert_int_equal(parse(&p, "GET / HTTP/1.7\r\nHost: x\r\n\r\n"), TS_HTTP_COMPLETE);
    assert_int_equal(p.req.version_minor, 1);
}

static void test_leading_crlf_and_absolute_form(void **state)
{
    (void)state;
    struct ts_http_parser p;
    assert_int_equal(parse(&p, "\r\n\r\nGET http://h/x HTTP/1.1\r\nHost: h\r\n\r\n"),
                     TS_HTTP_COMPLETE);
    assert_string_equal(p.req.target, "http://h/x");
    EXPECT("\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
}

static void test_pipelined(void **state)
{
    (void)state;
    const char *raw = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nHEAD /2 HTTP/1.1\r\nHost: h\r\n\r\n"
                      "GET /3 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
    size_t len = strlen(raw), off = 0;
    const char *want[] = {"/1", "/2", "/3"};
    struct ts_http_parser p;
    for (int i = 0; i < 3; i++) {
        size_t used;
        ts_http_parser_init(&p);
        assert_int_equal(ts_http_parse(&p, raw + off, len - off, &used), TS_HTTP_COMPLETE);
        assert_string_equal(p.req.target, want[i]);
        assert_int_equal(p.req.keep_alive, i < 2);
        /* A finished parser consumes nothing more. */
        size_t again;
        assert_int_equal(ts_http_parse(&p, raw + off + used, len - off - used, &again),
                         TS_HTTP_COMPLETE);
        assert_int_equal(again, 0);
        off += used;
    }
    assert_int_equal(off, len);
}

static void test_request_in_progress(void **state)
{
    (void)state;
    struct ts_http_parser p;
    size_t used;
    ts_http_parser_init(&p);
    assert_false(ts_http_parser_in_request(&p));
    assert_int_equal(ts_http_parse(&p, "GET / HT", 8, &used), TS_HTTP_NEED_MORE);
    assert_int_equal(used, 8);
    assert_true(ts_http_parser_in_request(&p));
}

static void test_400_request_line(void **state)
{
    (void)state;
    EXPECT("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400);           /* double SP */
    EXPECT("GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 400);           /* trailing SP */
    EXPECT(" GET / HTTP/1.1\r\nHost: h\r\n\r\n", 400);           /* leading SP */
    EXPECT("GET /\r\n\r\n", 400);                                /* HTTP/0.9 */
    EXPECT("GET\r\n\r\n", 400);
    EXPECT("GET / \r\n\r\n", 400);                               /* empty version */
    EXPECT("GET /a\tb HTTP/1.1\r\nHost: h\r\n\r\n", 400);        /* CTL in target */
    EXPECT("GET /\x80 HTTP/1.1\r\nHost: h\r\n\r\n", 400);        /* obs-text in target */
    EXPECT("G(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400);            /* not a token */
}

static void test_400_version(void **state)
{
    (void)state;
    EXPECT("GET / http/1.1\r\nHost: h\r\n\r\n", 400);
    EXPECT("GET / HTTP/1\r\nHost: h\r\n\r\n", 400);
    EXPECT("GET / HTTP/1.10\r\nHost: h\r\n\r\n", 400);
    EXPECT("GET / HTTP/1.x\r\nHost: h\r\n\r\n", 400);
    EXPECT("GET / HTTX/1.1\r\nHost: h\r\n\r\n", 400);
    EXPECT("GET / HTTP/11\r\nHost: h\r\n\r\n", 400);
}

static void test_400_line_endings(void **state)
{
    (void)state;
    EXPECT("GET / HTTP/1.1\nHost: h\r\n\r\n", 400);              /* bare LF, request line */
    EXPECT("GET / HTTP/1.1\r\nHost: h\n\r\n", 400);              /* bare LF, field */
    EXPECT("GET / HTTP/1.1\r\nHost: h\r\n\n", 400);              /* bare LF, blank line */
    EXPECT("\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", 400);          /* bare LF, leading */
    EXPECT("GET / HTTP/1.1\rHost: h\r\n\r\n", 400);              /* bare CR */
    EXPECT("GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", 400);
    EXPECT("GET / HTTP/1.1\r\nHost: h\r\n\rX", 400);
    EXPECT("GET / HTTP/1.1\r\nHost: h\r\nX:\n\r\n", 400);        /* bare LF, empty value */
}

static void test_400_nul(void **state)
{
    (void)state;
    EXPECT("GET /a\0b HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    EXPECT("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\0b\r\n\r\n", 400);
    EXPECT("GET / HTTP/1.1\r\nHo\0st: h\r\n\r\n", 400);
    EXPECT("\0GET / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    EXPECT("GE\0T / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
}

static void test_400_host(void **state)
{
    (void)state;
    EXPECT("GET / HTTP/1.1\r\n\r\n", 400);                                    /* missing */
    EXPECT("GET / HTTP/1.1\r\nUser-Agent: x\r\n\r\n", 400);
    EXPECT("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400);              /* duplicate */
    EXPECT("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 400);
    EXPECT("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400);
    EXPECT("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400);                       /* bad chars */
    EXPECT("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400);
}

static void test_400_fields(void **state)
{
    (void)state;
    EXPECT("GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400);          /* space before colon */
    EXPECT("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\r\n b\r\n\r\n", 400);  /* obs-fold */
    EXPECT("GET / HTTP/1.1\r\n Host: h\r\n\r\n", 400);
    EXPECT("GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", 400);
    EXPECT("GET / HTTP/1.1\r\nHost: h\r\n: empty\r\n\r\n", 400);
    EXPECT("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\x01\r\n\r\n", 400);   /* CTL in value */
    EXPECT("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\x7f\r\n\r\n", 400);
}

static void test_400_content_length_transfer_encoding(void **state)
{
    (void)state;
    EXPECT("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n", 400);
    EXPECT("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400);
    EXPECT("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1 2\r\n\r\n", 400);
    EXPECT("GET / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n", 400);
    EXPECT("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n", 400);
    EXPECT("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400);
    EXPECT("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 2\r\n\r\n", 400);
    EXPECT("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
           "Transfer-Encoding: chunked\r\n\r\n", 400);
    EXPECT("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400);
    EXPECT("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400);
    EXPECT("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked;x=1\r\n\r\n", 400);
    EXPECT("GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
    EXPECT("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n\r\n", 400);
    EXPECT("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501);
    EXPECT("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n"
           "Transfer-Encoding: chunked\r\n\r\n", 501);
}

static void test_bodies_accepted(void **state)
{
    (void)state;
    struct ts_http_parser p;
    assert_int_equal(parse(&p, "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 7, 7\r\n"
                               "Content-Length: 7\r\n\r\n"), TS_HTTP_COMPLETE);
    assert_true(p.req.has_body);
    assert_int_equal(p.req.content_length, 7);
    assert_int_equal(parse(&p, "GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n"),
                     TS_HTTP_COMPLETE);
    assert_true(p.req.chunked);
    assert_true(p.req.has_body);
}

static void test_405_501(void **state)
{
    (void)state;
    EXPECT("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc", 405);
    EXPECT("PUT / HTTP/1.1\r\nHost: h\r\n\r\n", 405);
    EXPECT("DELETE / HTTP/1.1\r\nHost: h\r\n\r\n", 405);
    EXPECT("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", 405);
    EXPECT("TRACE / HTTP/1.1\r\nHost: h\r\n\r\n", 405);
    EXPECT("CONNECT h:80 HTTP/1.1\r\nHost: h\r\n\r\n", 405);
    EXPECT("PATCH / HTTP/1.1\r\nHost: h\r\n\r\n", 405);
    EXPECT("BREW / HTTP/1.1\r\nHost: h\r\n\r\n", 501);
    EXPECT("get / HTTP/1.1\r\nHost: h\r\n\r\n", 501);          /* methods are case-sensitive */
    EXPECT("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA / HTTP/1.1\r\n\r\n", 501);
}

static void test_505(void **state)
{
    (void)state;
    EXPECT("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505);
    EXPECT("GET / HTTP/0.9\r\nHost: h\r\n\r\n", 505);
    EXPECT("GET / HTTP/3.0\r\n\r\n", 505);
}

/* Build "GET /aaa... HTTP/1.1" with a target of n bytes. */
static char *long_target(size_t n, size_t *len)
{
    char *b = malloc(n + 64);
    assert_non_null(b);
    int k = sprintf(b, "GET /");
    memset(b + k, 'a', n - 1);
    k += (int)(n - 1);
    k += sprintf(b + k, " HTTP/1.1\r\nHost: h\r\n\r\n");
    *len = (size_t)k;
    return b;
}

static void test_414(void **state)
{
    (void)state;
    size_t len;
    struct ts_http_parser *p = malloc(sizeof *p);
    char *b = long_target(TS_HTTP_MAX_TARGET, &len);
    assert_int_equal(parse_len(p, b, len, NULL), TS_HTTP_COMPLETE);
    assert_int_equal(p->req.target_len, TS_HTTP_MAX_TARGET);
    free(b);
    b = long_target(TS_HTTP_MAX_TARGET + 1, &len);
    expect_error(b, len, 414);
    free(b);
    b = long_target(100000, &len);
    expect_error(b, len, 414);
    free(b);
    free(p);
}

static void test_431(void **state)
{
    (void)state;
    /* 100 fields pass, 101 do not. */
    char *b = malloc(64 * 1024);
    assert_non_null(b);
    int k = sprintf(b, "GET / HTTP/1.1\r\nHost: h\r\n");
    for (int i = 1; i < TS_HTTP_MAX_FIELDS; i++)
        k += sprintf(b + k, "X-%d: v\r\n", i);
    int base = k;
    k += sprintf(b + k, "\r\n");
    struct ts_http_parser *p = malloc(sizeof *p);
    assert_int_equal(parse_len(p, b, (size_t)k, NULL), TS_HTTP_COMPLETE);
    assert_int_equal(p->req.nfields, TS_HTTP_MAX_FIELDS);
    k = base + sprintf(b + base, "X-last: v\r\n\r\n");
    expect_error(b, (size_t)k, 431);

    /* A header section over 16 KiB in one field, and in many. */
    k = sprintf(b, "GET / HTTP/1.1\r\nHost: h\r\nX-Big: ");
    memset(b + k, 'v', 17000);
    k += 17000;
    k += sprintf(b + k, "\r\n\r\n");
    expect_error(b, (size_t)k, 431);
    k = sprintf(b, "GET / HTTP/1.1\r\nHost: h\r\n");
    for (int i = 0; i < 20; i++) {
        k += sprintf(b + k, "X-%d: ", i);
        memset(b + k, 'v', 1000);
        k += 1000;
        k += sprintf(b + k, "\r\n");
    }
    k += sprintf(b + k, "\r\n");
    expect_error(b, (size_t)k, 431);
    /* Just under the limit passes: 16384 bytes of field lines including the blank line. */
    k = sprintf(b, "GET / HTTP/1.1\r\n");
    int start = k;
    k += sprintf(b + k, "Host: h\r\nX-Fill: ");
    int fill = TS_HTTP_MAX_HEADER_BYTES - (k - start) - 4;
    memset(b + k, 'v', (size_t)fill);
    k += fill;
    k += sprintf(b + k, "\r\n\r\n");
    assert_int_equal(k - start, TS_HTTP_MAX_HEADER_BYTES);
    assert_int_equal(parse_len(p, b, (size_t)k, NULL), TS_HTTP_COMPLETE);
    free(p);
    free(b);
}

static void test_long_values_truncate_safely(void **state)
{
    (void)state;
    char b[2048];
    int k = sprintf(b, "GET / HTTP/1.1\r\nHost: h\r\nRange: bytes=");
    memset(b + k, '1', 600);
    k += 600;
    k += sprintf(b + k, "-\r\nIf-Modified-Since: ");
    memset(b + k, 'x', 600);
    k += 600;
    k += sprintf(b + k, "\r\nA-Very-Long-Field-Name-Longer-Than-Thirty-Two-Bytes: v\r\n\r\n");
    struct ts_http_parser p;
    assert_int_equal(parse_len(&p, b, (size_t)k, NULL), TS_HTTP_COMPLETE);
    assert_string_equal(p.req.range, "");           /* too long: ignored */
    assert_string_equal(p.req.if_modified_since, "");
    /* Two Range fields: ignore both. */
    assert_int_equal(parse(&p, "GET / HTTP/1.1\r\nHost: h\r\nRange: bytes=0-1\r\n"
                               "Range: bytes=2-3\r\n\r\n"), TS_HTTP_COMPLETE);
    assert_string_equal(p.req.range, "");
}

static void test_error_stops_consuming(void **state)
{
    (void)state;
    struct ts_http_parser p;
    size_t used;
    ts_http_parser_init(&p);
    const char raw[] = "GET / HTTP/1.1\nHost: h\r\n\r\n";
    assert_int_equal(ts_http_parse(&p, raw, sizeof raw - 1, &used), TS_HTTP_ERROR);
    assert_int_equal(used, 15);                 /* up to and including the bare LF */
    assert_int_equal(ts_http_parse(&p, raw, sizeof raw - 1, &used), TS_HTTP_ERROR);
    assert_int_equal(used, 0);
    assert_int_equal(p.status, 400);
}

static void test_reasons(void **state)
{
    (void)state;
    assert_string_equal(ts_http_reason(404), "Not Found");
    assert_string_equal(ts_http_reason(431), "Request Header Fields Too Large");
    assert_string_equal(ts_http_reason(999), "Unknown");
    assert_string_equal(ts_http_method_name(TS_HTTP_HEAD), "HEAD");
}

/* Random bytes and mutated requests never crash or overrun, and all splits agree. */
static void test_mutations(void **state)
{
    (void)state;
    const char *base = "GET /x HTTP/1.1\r\nHost: h\r\nRange: bytes=1-2\r\n"
                       "Connection: keep-alive\r\n\r\n";
    size_t len = strlen(base);
    char buf[256];
    uint32_t seed = 12345;
    for (int i = 0; i < 3000; i++) {
        memcpy(buf, base, len);
        for (int m = 0; m < 3; m++) {
            seed = seed * 1103515245u + 12345u;
            size_t pos = (seed >> 8) % len;
            seed = seed * 1103515245u + 12345u;
            buf[pos] = (char)(seed >> 16);
        }
        struct ts_http_parser p;
        size_t used;
        enum ts_http_parse_result r = parse_len(&p, buf, len, &used);
        assert_true(used <= len);
        if (r == TS_HTTP_ERROR)
            assert_true(p.status >= 400 && p.status <= 505);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_get),
        cmocka_unit_test(test_head_and_fields),
        cmocka_unit_test(test_connection_defaults),
        cmocka_unit_test(test_leading_crlf_and_absolute_form),
        cmocka_unit_test(test_pipelined),
        cmocka_unit_test(test_request_in_progress),
        cmocka_unit_test(test_400_request_line),
        cmocka_unit_test(test_400_version),
        cmocka_unit_test(test_400_line_endings),
        cmocka_unit_test(test_400_nul),
        cmocka_unit_test(test_400_host),
        cmocka_unit_test(test_400_fields),
        cmocka_unit_test(test_400_content_length_transfer_encoding),
        cmocka_unit_test(test_bodies_accepted),
        cmocka_unit_test(test_405_501),
        cmocka_unit_test(test_505),
        cmocka_unit_test(test_414),
        cmocka_unit_test(test_431),
        cmocka_unit_test(test_long_values_truncate_safely),
        cmocka_unit_test(test_error_stops_consuming),
        cmocka_unit_test(test_reasons),
        cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests_name("http_parse", tests, NULL, NULL);
}
