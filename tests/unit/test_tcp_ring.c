/* Byte rings (stack/tcp/tcp_ring.c): lazy allocation, wrap, write beyond + commit. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "tcp/tcp_ring.h"

static void lazy_and_sizes(void **st)
{
    (void)st;
    struct ts_ring r;
    ts_ring_init(&r, 16);
    assert_null(r.buf);
    assert_int_equal(ts_ring_space(&r), 16);
    assert_int_equal(ts_ring_write(&r, "abc", 3), 3);
    assert_non_null(r.buf);
    ts_ring_release(&r);
    assert_null(r.buf);
    assert_int_equal(ts_ring_size(5000, 4096, 1 << 20), 8192);
    assert_int_equal(ts_ring_size(1, 4096, 1 << 20), 4096);
    assert_int_equal(ts_ring_size(1u << 30, 4096, 1 << 20), 1 << 20);
}

static void wraps(void **st)
{
    (void)st;
    struct ts_ring r;
    ts_ring_init(&r, 8);
    uint8_t out[16];
    assert_int_equal(ts_ring_write(&r, "0123456", 7), 7);
    assert_int_equal(ts_ring_read(&r, out, 5), 5);
    assert_memory_equal(out, "01234", 5);
    assert_int_equal(ts_ring_write(&r, "abcdefghij", 10), 6);   /* only 6 fit */
    assert_int_equal(r.len, 8);
    ts_ring_peek(&r, 1, out, 7);
    assert_memory_equal(out, "6abcdef", 7);
    assert_int_equal(ts_ring_read(&r, out, 100), 8);
    assert_memory_equal(out, "56abcdef", 8);
    assert_int_equal(r.len, 0);
    ts_ring_release(&r);
}

static void beyond_and_commit(void **st)
{
    (void)st;
    struct ts_ring r;
    ts_ring_init(&r, 8);
    uint8_t out[8];
    assert_int_equal(ts_ring_write(&r, "xxxxxx", 6), 6);
    ts_ring_consume(&r, 6);                  /* empty, head at 6 */
    assert_int_equal(ts_ring_write(&r, "ABCDEF", 6), 6);
    ts_ring_consume(&r, 5);                  /* head at 3, one byte left */
    ts_ring_write_beyond(&r, 3, "XY", 2);    /* out of order, wraps */
    ts_ring_write_beyond(&r, 0, "abc", 3);   /* fills the hole */
    ts_ring_commit(&r, 5);
    assert_int_equal(r.len, 6);
    assert_int_equal(ts_ring_read(&r, out, 8), 6);
    assert_memory_equal(out, "FabcXY", 6);
    ts_ring_release(&r);
}

/* Reading the ring empty must not move the place where out-of-order bytes wait. */
static void beyond_survives_empty_read(void **st)
{
    (void)st;
    struct ts_ring r;
    ts_ring_init(&r, 16);
    uint8_t out[16];
    assert_int_equal(ts_ring_write(&r, "abc", 3), 3);
    ts_ring_write_beyond(&r, 2, "XY", 2);    /* bytes 5,6 of the stream */
    assert_int_equal(ts_ring_read(&r, out, 3), 3);
    ts_ring_write_beyond(&r, 0, "de", 2);    /* bytes 3,4 */
    ts_ring_commit(&r, 4);
    assert_int_equal(ts_ring_read(&r, out, 16), 4);
    assert_memory_equal(out, "deXY", 4);
    ts_ring_release(&r);
}

static void long_stream_crosses_many_wraps(void **st)
{
    (void)st;
    struct ts_ring r;
    ts_ring_init(&r, 64);
    uint8_t in[37], out[37];
    uint32_t next_in = 0, next_out = 0;
    for (int round = 0; round < 1000; round++) {
        uint32_t n = (uint32_t)(round % 37) + 1;
        for (uint32_t i = 0; i < n; i++) in[i] = (uint8_t)(next_in + i);
        uint32_t w = ts_ring_write(&r, in, n);
        next_in += w;
        uint32_t m = ts_ring_read(&r, out, (uint32_t)(round * 7 % 37) + 1);
        for (uint32_t i = 0; i < m; i++) assert_int_equal(out[i], (uint8_t)(next_out + i));
        next_out += m;
    }
    assert_int_equal(next_in - next_out, r.len);
    ts_ring_release(&r);
}

/* A read into NULL consumes without copying (the discard service), across the wrap. */
static void read_null_discards(void **st)
{
    (void)st;
    struct ts_ring r;
    ts_ring_init(&r, 4096);
    uint8_t b[3000], out[3000];
    for (int i = 0; i < 3000; i++) b[i] = (uint8_t)i;
    assert_int_equal(ts_ring_write(&r, b, 3000), 3000);
    assert_int_equal(ts_ring_read(&r, NULL, 2500), 2500);
    assert_int_equal(r.len, 500);
    assert_int_equal(ts_ring_write(&r, b, 3000), 3000);       /* wraps */
    assert_int_equal(ts_ring_read(&r, NULL, 100), 100);
    assert_int_equal(ts_ring_read(&r, out, 400), 400);
    assert_memory_equal(out, b + 2600, 400);
    assert_int_equal(ts_ring_read(&r, NULL, 100000), 3000);   /* at most what is held */
    assert_int_equal(r.len, 0);
    ts_ring_release(&r);
}

/* A ring whose size is not a power of two (a receive buffer rounded to a whole number of
 * segments, tcp_round_rcvbuf): wraps, out-of-order writes past the wrap, growth keeps them. */
static void odd_size_wraps(void **st)
{
    (void)st;
    struct ts_ring r;
    ts_ring_init(&r, 60);
    uint8_t in[60], out[120];
    uint32_t next_in = 0, next_out = 0;
    for (int round = 0; round < 500; round++) {      /* in-order stream: head crosses 60 often */
        uint32_t n = (uint32_t)(round % 23) + 1;
        for (uint32_t i = 0; i < n; i++) in[i] = (uint8_t)(next_in + i);
        next_in += ts_ring_write(&r, in, n);
        uint32_t m = ts_ring_read(&r, out, (uint32_t)(round * 11 % 29) + 1);
        for (uint32_t i = 0; i < m; i++) assert_int_equal(out[i], (uint8_t)(next_out + i));
        next_out += m;
    }
    ts_ring_release(&r);
    ts_ring_init(&r, 60);
    memset(in, 'x', 50);
    assert_int_equal(ts_ring_write(&r, in, 50), 50);
    ts_ring_consume(&r, 50);                         /* head at 50 */
    assert_int_equal(ts_ring_write(&r, "0123456789", 10), 10);
    ts_ring_consume(&r, 5);                          /* head at 55, "56789" held */
    ts_ring_write_beyond(&r, 40, "WXYZ", 4);         /* out of order, at index 40 */
    assert_int_equal(ts_ring_resize(&r, 120), 0);     /* kept where their offsets say */
    assert_int_equal(r.cap, 120);
    ts_ring_write_beyond(&r, 0, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN", 40);
    ts_ring_commit(&r, 44);
    assert_int_equal(ts_ring_read(&r, out, 120), 49);
    assert_memory_equal(out, "56789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNWXYZ", 49);
    ts_ring_release(&r);
}

/* ts_ring_tail (where an application writes next) and ts_ring_span (what a gathered frame
 * carries) on a ring of no power-of-two size, its free space and its bytes wrapping. */
static void odd_size_tail_and_span(void **st)
{
    (void)st;
    struct ts_ring r;
    ts_ring_init(&r, 1000);
    uint8_t b[1000], out[1000];
    for (unsigned i = 0; i < sizeof b; i++) b[i] = (uint8_t)(i * 7 + 1);
    assert_int_equal(ts_ring_write(&r, b, 900), 900);
    ts_ring_consume(&r, 800);                       /* head 800, 100 bytes held */
    uint32_t contig;
    uint8_t *p = ts_ring_tail(&r, &contig);
    assert_ptr_equal(p, r.buf + 900);               /* the next byte goes at 900 ... */
    assert_int_equal(contig, 100);                  /* ... and 100 fit before the wrap */
    memcpy(p, b, contig);
    ts_ring_commit(&r, contig);
    p = ts_ring_tail(&r, &contig);
    assert_ptr_equal(p, r.buf);                     /* then from the start, up to the head */
    assert_int_equal(contig, 800);
    memcpy(p, b + 100, 300);
    ts_ring_commit(&r, 300);                        /* 500 held: 100 old, 400 new */
    assert_ptr_equal(ts_ring_span(&r, 0, 200), r.buf + 800);
    assert_null(ts_ring_span(&r, 150, 100));        /* 950..1049 wraps */
    assert_ptr_equal(ts_ring_span(&r, 200, 300), r.buf);
    ts_ring_peek(&r, 100, out, 400);
    assert_memory_equal(out, b, 400);
    ts_ring_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lazy_and_sizes), cmocka_unit_test(wraps),
        cmocka_unit_test(beyond_and_commit), cmocka_unit_test(beyond_survives_empty_read), cmocka_unit_test(long_stream_crosses_many_wraps),
        cmocka_unit_test(read_null_discards), cmocka_unit_test(odd_size_wraps),
        cmocka_unit_test(odd_size_tail_and_span),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
