/* TCP header view (stack/wire/tcp.c): parse, emit, checksum, and the options parser on every
 * malformed length. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "wire/tcp.h"

static void parse_fixed(void **st)
{
    (void)st;
    uint8_t b[24] = { 0x04, 0xd2, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 2, 0x60, 0x12, 0xff, 0xff, 0, 0, 0, 0,
                      2, 4, 5, 0xb4 };
    struct ts_tcp_hdr h;
    assert_int_equal(ts_tcp_parse(b, sizeof b, &h), 0);
    assert_int_equal(h.sport, 1234);
    assert_int_equal(h.dport, 80);
    assert_int_equal(h.seq, 1);
    assert_int_equal(h.ack, 2);
    assert_int_equal(h.hlen, 24);
    assert_int_equal(h.flags, TS_TCP_SYN | TS_TCP_ACK);
    assert_int_equal(h.wnd, 65535);
    assert_int_equal(ts_tcp_parse(b, 19, &h), -1);
    assert_int_equal(ts_tcp_parse(b, 23, &h), -2);     /* offset says 24 */
    b[12] = 0x40;                                        /* offset 4 words < 5 */
    assert_int_equal(ts_tcp_parse(b, sizeof b, &h), -2);
}

static void opts_good(void **st)
{
    (void)st;
    const uint8_t o[] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 0 };
    struct ts_tcp_opts p;
    ts_tcp_parse_opts(o, sizeof o, &p);
    assert_true(p.has_mss);
    assert_int_equal(p.mss, 1460);
    assert_true(p.has_wscale);
    assert_int_equal(p.wscale, 7);
    assert_true(p.sack_ok);
    assert_true(p.has_ts);
    assert_int_equal(p.ts_val, 1);
    assert_int_equal(p.ts_ecr, 2);
}

/* The timestamp alone in RFC 7323 Appendix A's layout (read at once), and the same bytes where
 * they are not the whole area or not that layout: as the general parse reads them. */
static void opts_aligned_timestamp(void **st)
{
    (void)st;
    const uint8_t a[] = { 1, 1, 8, 10, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 9 };
    struct ts_tcp_opts p, zero;
    memset(&zero, 0, sizeof zero);
    memset(&p, 0xa5, sizeof p);
    ts_tcp_parse_opts(a, sizeof a, &p);
    assert_true(p.has_ts);
    assert_int_equal(p.ts_val, 0xdeadbeefu);
    assert_int_equal(p.ts_ecr, 9);
    p.has_ts = false;
    p.ts_val = p.ts_ecr = 0;
    assert_memory_equal(&p, &zero, sizeof p);                /* nothing else */
    const uint8_t sack[] = { 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1, 5, 10, 0, 0, 0, 5, 0, 0, 0, 9 };
    ts_tcp_parse_opts(sack, sizeof sack, &p);                /* the timestamp then a SACK block */
    assert_true(p.has_ts);
    assert_int_equal(p.ts_val, 1);
    assert_int_equal(p.ts_ecr, 2);
    assert_int_equal(p.nsack, 1);
    assert_int_equal(p.sack[0][0], 5);
    assert_int_equal(p.sack[0][1], 9);
    ts_tcp_parse_opts(a, 11, &p);                            /* cut short: no timestamp */
    assert_false(p.has_ts);
    const uint8_t bad[] = { 1, 1, 8, 9, 0, 0, 0, 1, 0, 0, 0, 2 };   /* length 9: not a timestamp */
    ts_tcp_parse_opts(bad, sizeof bad, &p);
    assert_false(p.has_ts);
}

static void opts_len_zero_and_one(void **st)
{
    (void)st;
    struct ts_tcp_opts p;
    const uint8_t z[] = { 99, 0, 2, 4, 0x05, 0xb4 };      /* length 0: stop, never loop */
    ts_tcp_parse_opts(z, sizeof z, &p);
    assert_false(p.has_mss);
    const uint8_t one[] = { 99, 1, 2, 4, 0x05, 0xb4 };    /* length 1: stop */
    ts_tcp_parse_opts(one, sizeof one, &p);
    assert_false(p.has_mss);
    const uint8_t mss0[] = { 2, 0 };
    ts_tcp_parse_opts(mss0, sizeof mss0, &p);
    assert_false(p.has_mss);
}

static void opts_overrun(void **st)
{
    (void)st;
    struct ts_tcp_opts p;
    const uint8_t o1[] = { 2, 4, 0x05 };                  /* MSS runs past the area */
    ts_tcp_parse_opts(o1, sizeof o1, &p);
    assert_false(p.has_mss);
    const uint8_t o2[] = { 1, 1, 2 };                     /* kind with no room for length */
    ts_tcp_parse_opts(o2, sizeof o2, &p);
    assert_false(p.has_mss);
    const uint8_t o3[] = { 2, 4, 0x02, 0x00, 77, 200 };   /* unknown kind, huge length, after MSS */
    ts_tcp_parse_opts(o3, sizeof o3, &p);
    assert_true(p.has_mss);
    assert_int_equal(p.mss, 512);
    ts_tcp_parse_opts(o3, 0, &p);
    assert_false(p.has_mss);
}

static void opts_wrong_length_for_kind(void **st)
{
    (void)st;
    struct ts_tcp_opts p;
    const uint8_t o[] = { 2, 3, 5, 3, 4, 9, 9, 4, 3, 0, 2, 4, 1, 0 };  /* MSS len 3, WS len 4, SACKP len 3 */
    ts_tcp_parse_opts(o, sizeof o, &p);
    assert_false(p.has_wscale);
    assert_false(p.sack_ok);
    assert_true(p.has_mss);                              /* the well-formed MSS at the end */
    assert_int_equal(p.mss, 256);
    const uint8_t eol[] = { 0, 2, 4, 5, 0xb4 };          /* EOL first: nothing after counts */
    ts_tcp_parse_opts(eol, sizeof eol, &p);
    assert_false(p.has_mss);
    const uint8_t unk[] = { 30, 6, 1, 2, 3, 4, 3, 3, 2 }; /* unknown skipped by its length */
    ts_tcp_parse_opts(unk, sizeof unk, &p);
    assert_true(p.has_wscale);
    assert_int_equal(p.wscale, 2);
}

static void every_short_option_area(void **st)
{
    (void)st;
    /* Every prefix of every pattern terminates and never claims an option it did not see. */
    const uint8_t pat[] = { 2, 4, 0x05, 0xb4, 3, 3, 14, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8 };
    for (size_t n = 0; n <= sizeof pat; n++) {
        struct ts_tcp_opts p;
        ts_tcp_parse_opts(pat, n, &p);
        assert_int_equal(p.has_mss, n >= 4);
        assert_int_equal(p.has_wscale, n >= 7);
        assert_int_equal(p.has_ts, n >= 17);
    }
}

static void emit_roundtrip(void **st)
{
    (void)st;
    uint8_t b[64];
    struct ts_tcp_hdr h = { .sport = 80, .dport = 40000, .seq = 0xdeadbeef, .ack = 7,
                            .flags = TS_TCP_SYN | TS_TCP_ACK, .wnd = 1000 };
    struct ts_tcp_opts o = { .has_mss = true, .mss = 1460, .has_wscale = true, .wscale = 7 };
    size_t n = ts_tcp_emit(b, &h, &o);
    assert_int_equal(n, 28);
    struct ts_tcp_hdr g;
    assert_int_equal(ts_tcp_parse(b, n, &g), 0);
    assert_int_equal(g.hlen, 28);
    assert_int_equal(g.seq, 0xdeadbeef);
    struct ts_tcp_opts q;
    ts_tcp_parse_opts(b + 20, n - 20, &q);
    assert_int_equal(q.mss, 1460);
    assert_int_equal(q.wscale, 7);
    ts_tcp_fill_csum(b, n, 0x0a000001, 0x0a000002);
    assert_true(ts_tcp_csum_ok(b, n, 0x0a000001, 0x0a000002));
    assert_false(ts_tcp_csum_ok(b, n, 0x0a000001, 0x0a000003));
    b[5] ^= 1;
    assert_false(ts_tcp_csum_ok(b, n, 0x0a000001, 0x0a000002));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_fixed), cmocka_unit_test(opts_good), cmocka_unit_test(opts_aligned_timestamp),
        cmocka_unit_test(opts_len_zero_and_one), cmocka_unit_test(opts_overrun),
        cmocka_unit_test(opts_wrong_length_for_kind), cmocka_unit_test(every_short_option_area),
        cmocka_unit_test(emit_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
