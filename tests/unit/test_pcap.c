/* Unit tests: pcap writer and reader (stack/driver/pcap.c), per-conversation files (pcap_conns.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver/pcap.h"
#include "lib/obs_frames.h"

static char tmpdir[64];

static int setup(void **state)
{
    strcpy(tmpdir, "/tmp/ts-pcap-XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    return 0;
}

static int teardown(void **state)
{
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    char p[512];
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
        unlink(p);
    }
    if (d) closedir(d);
    rmdir(tmpdir);
    return 0;
}

static void path_of(char *buf, const char *name) { snprintf(buf, 512, "%s/%s", tmpdir, name); }

static void test_round_trip(void **state)
{
    char path[512], err[256];
    uint8_t f1[2000], f2[100];
    path_of(path, "rt.pcap");
    size_t n1 = obsf_tcp(f1, OBSF_IP(10, 0, 0, 1), 43210, OBSF_IP(10, 0, 0, 2), 80, 1, 0, OBSF_SYN, 64240,
                         NULL, 0, NULL, 1400);
    for (size_t i = 0; i < sizeof f2; i++) f2[i] = (uint8_t)(i * 7);
    struct ts_pcap_writer *w = ts_pcap_open(path);
    assert_non_null(w);
    assert_int_equal(ts_pcap_write(w, 1700000000123456ull, f1, n1), 0);
    assert_int_equal(ts_pcap_write(w, 1700000001000000ull, f2, sizeof f2), 0);
    assert_int_equal(ts_pcap_write(w, 5, f2, 0), 0);
    assert_int_equal(ts_pcap_count(w), 3);
    assert_int_equal(ts_pcap_close(w), 0);

    struct ts_pcap_reader *r = ts_pcap_reader_open(path, err, sizeof err);
    assert_non_null(r);
    assert_int_equal(ts_pcap_reader_linktype(r), 1);
    assert_int_equal(ts_pcap_reader_snaplen(r), TS_PCAP_SNAPLEN);
    struct ts_pcap_rec rec;
    assert_int_equal(ts_pcap_read(r, &rec, err, sizeof err), 1);
    assert_int_equal(rec.t, 1700000000123456ull);
    assert_int_equal(rec.incl_len, n1);
    assert_int_equal(rec.orig_len, n1);
    assert_memory_equal(rec.data, f1, n1);
    assert_int_equal(ts_pcap_read(r, &rec, err, sizeof err), 1);
    assert_int_equal(rec.t, 1700000001000000ull);
    assert_int_equal(rec.incl_len, sizeof f2);
    assert_memory_equal(rec.data, f2, sizeof f2);
    assert_int_equal(ts_pcap_read(r, &rec, err, sizeof err), 1);
    assert_int_equal(rec.t, 5);
    assert_int_equal(rec.incl_len, 0);
    assert_int_equal(ts_pcap_read(r, &rec, err, sizeof err), 0);
    ts_pcap_reader_close(r);

    /* the header is the classic little-endian microsecond one */
    FILE *f = fopen(path, "rb");
    uint8_t h[24];
    assert_int_equal(fread(h, 1, 24, f), 24);
    fclose(f);
    static const uint8_t want[24] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                      0x00, 0x00, 0x04, 0x00, 1, 0, 0, 0 };
    assert_memory_equal(h, want, 24);
}

/* Write raw bytes to a file in tmpdir, return its path in buf. */
static void raw_file(char *buf, const char *name, const uint8_t *bytes, size_t n)
{
    path_of(buf, name);
    FILE *f = fopen(buf, "wb");
    assert_non_null(f);
    if (n) assert_int_equal(fwrite(bytes, 1, n, f), n);
    fclose(f);
}

static void test_big_endian_and_nanos(void **state)
{
    /* big-endian, nanosecond magic, one 4-byte record at 2 s + 1,500,999 ns */
    static const uint8_t be[] = { 0xa1, 0xb2, 0x3c, 0x4d, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0,
                                  0, 0, 0xff, 0xff, 0, 0, 0, 1,
                                  0, 0, 0, 2, 0x00, 0x16, 0xe7, 0x47, 0, 0, 0, 4, 0, 0, 0, 60,
                                  0xde, 0xad, 0xbe, 0xef };
    char path[512], err[256];
    raw_file(path, "be.pcap", be, sizeof be);
    struct ts_pcap_reader *r = ts_pcap_reader_open(path, err, sizeof err);
    assert_non_null(r);
    assert_int_equal(ts_pcap_reader_snaplen(r), 65535);
    struct ts_pcap_rec rec;
    assert_int_equal(ts_pcap_read(r, &rec, err, sizeof err), 1);
    assert_int_equal(rec.t, 2001500ull);
    assert_int_equal(rec.incl_len, 4);
    assert_int_equal(rec.orig_len, 60);
    assert_int_equal(rec.data[0], 0xde);
    assert_int_equal(ts_pcap_read(r, &rec, err, sizeof err), 0);
    ts_pcap_reader_close(r);
}

/* A little-endian header with the given snaplen, followed by extra bytes. */
static size_t le_file(uint8_t *b, uint32_t snaplen, uint16_t major, const uint8_t *extra, size_t n)
{
    uint8_t h[24] = { 0xd4, 0xc3, 0xb2, 0xa1, 0, 0, 4, 0 };
    h[4] = (uint8_t)major;
    for (int i = 0; i < 4; i++) h[16 + i] = (uint8_t)(snaplen >> (8 * i));
    h[20] = 1;
    memcpy(b, h, 24);
    if (n) memcpy(b + 24, extra, n);
    return 24 + n;
}

static void expect_open_error(const uint8_t *bytes, size_t n, const char *want)
{
    char path[512], err[256] = "";
    raw_file(path, "bad.pcap", bytes, n);
    struct ts_pcap_reader *r = ts_pcap_reader_open(path, err, sizeof err);
    assert_null(r);
    if (!strstr(err, want)) fail_msg("error '%s' does not mention '%s'", err, want);
}

static void expect_read_error(const uint8_t *bytes, size_t n, int good_records, const char *want)
{
    char path[512], err[256] = "";
    raw_file(path, "bad.pcap", bytes, n);
    struct ts_pcap_reader *r = ts_pcap_reader_open(path, err, sizeof err);
    assert_non_null(r);
    struct ts_pcap_rec rec;
    for (int i = 0; i < good_records; i++) assert_int_equal(ts_pcap_read(r, &rec, err, sizeof err), 1);
    assert_int_equal(ts_pcap_read(r, &rec, err, sizeof err), -1);
    if (!strstr(err, want)) fail_msg("error '%s' does not mention '%s'", err, want);
    ts_pcap_reader_close(r);
}

static void test_bad_headers(void **state)
{
    uint8_t b[256] = {0};
    char path[512], err[256];
    expect_open_error(b, 0, "empty");
    expect_open_error((const uint8_t *)"\xd4\xc3\xb2\xa1\x02\x00", 6, "truncated pcap header");
    memset(b, 0x41, 24);
    expect_open_error(b, 24, "not a pcap file");
    static const uint8_t ng[24] = { 0x0a, 0x0d, 0x0d, 0x0a };
    expect_open_error(ng, 24, "pcapng");
    expect_open_error(b, le_file(b, 65535, 3, NULL, 0), "version");
    expect_open_error(b, le_file(b, 0, 2, NULL, 0), "snaplen");
    assert_null(ts_pcap_reader_open("/nonexistent/x.pcap", err, sizeof err));
    assert_non_null(strstr(err, "No such file"));
    (void)path;
}

static void test_bad_records(void **state)
{
    uint8_t b[512];
    /* record: sec, usec, incl, orig (little-endian) + data */
    uint8_t rec_ok[16 + 4] = { 1, 0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 1, 2, 3, 4 };
    uint8_t two[40];
    memcpy(two, rec_ok, 20);

    uint8_t big[16] = { 1, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0, 0 }; /* 256 > 100 */
    expect_read_error(b, le_file(b, 100, 2, big, 16), 0, "exceeds the snaplen");

    uint8_t orig_small[16 + 4] = { 1, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 3, 0, 0, 0, 1, 2, 3, 4 };
    expect_read_error(b, le_file(b, 65535, 2, orig_small, 20), 0, "exceeds original length");

    uint8_t bad_usec[16 + 4] = { 1, 0, 0, 0, 0x40, 0x42, 0x0f, 0, 4, 0, 0, 0, 4, 0, 0, 0, 1, 2, 3, 4 };
    expect_read_error(b, le_file(b, 65535, 2, bad_usec, 20), 0, "sub-second");

    memcpy(two + 20, rec_ok, 10);                      /* second record header cut short */
    expect_read_error(b, le_file(b, 65535, 2, two, 30), 1, "truncated record header at byte 44");

    memcpy(two + 20, rec_ok, 18);                      /* second record data cut short */
    expect_read_error(b, le_file(b, 65535, 2, two, 38), 1, "truncated record at byte 44 (2 of 4");
}

static size_t count_records(const char *path)
{
    char err[256];
    struct ts_pcap_reader *r = ts_pcap_reader_open(path, err, sizeof err);
    if (!r) fail_msg("%s: %s", path, err);
    struct ts_pcap_rec rec;
    size_t n = 0;
    int rc;
    while ((rc = ts_pcap_read(r, &rec, err, sizeof err)) == 1) n++;
    assert_int_equal(rc, 0);
    ts_pcap_reader_close(r);
    return n;
}

static void test_per_conn(void **state)
{
    uint8_t f[200];
    char name[64], path[512];
    uint32_t a = OBSF_IP(10, 0, 0, 1), b = OBSF_IP(10, 0, 0, 2);
    struct ts_pcap_conns *pc = ts_pcap_conns_new(tmpdir, 0);
    assert_non_null(pc);

    /* the server's SYN-ACK names the client first; so does the client's SYN */
    size_t n = obsf_tcp(f, b, 80, a, 43210, 9, 2, OBSF_SYN | OBSF_ACK, 1000, NULL, 0, NULL, 0);
    assert_true(ts_pcap_conn_name(f, n, name, sizeof name));
    assert_string_equal(name, "10.0.0.1_43210-10.0.0.2_80.pcap");
    n = obsf_tcp(f, a, 43210, b, 80, 1, 0, OBSF_SYN, 1000, NULL, 0, NULL, 0);
    assert_int_equal(ts_pcap_conns_write(pc, 1, f, n), 0);
    n = obsf_tcp(f, b, 80, a, 43210, 9, 2, OBSF_SYN | OBSF_ACK, 1000, NULL, 0, NULL, 0);
    assert_int_equal(ts_pcap_conns_write(pc, 2, f, n), 0);
    n = obsf_arp(f, 1, (const uint8_t *)"\x02\x00\x0a\x00\x00\x01", a, (const uint8_t *)"\0\0\0\0\0\0", b);
    assert_false(ts_pcap_conn_name(f, n, name, sizeof name));
    assert_int_equal(ts_pcap_conns_write(pc, 3, f, n), 0);     /* ignored */

    /* 40 more conversations, interleaved, so that files are closed and reopened (32 open max) */
    for (int round = 0; round < 3; round++) {
        for (uint16_t p = 0; p < 40; p++) {
            n = obsf_tcp(f, a, (uint16_t)(50000 + p), b, 7, 1, 1, OBSF_ACK, 1000, NULL, 0, NULL, 10);
            assert_int_equal(ts_pcap_conns_write(pc, 10 + round, f, n), 0);
        }
    }
    assert_int_equal(ts_pcap_conns_files(pc), 41);
    assert_int_equal(ts_pcap_conns_close(pc), 0);

    path_of(path, "10.0.0.1_43210-10.0.0.2_80.pcap");
    assert_int_equal(count_records(path), 2);
    path_of(path, "10.0.0.1_50000-10.0.0.2_7.pcap");
    assert_int_equal(count_records(path), 3);
    path_of(path, "10.0.0.1_50039-10.0.0.2_7.pcap");
    assert_int_equal(count_records(path), 3);
}

static void test_per_conn_bound(void **state)
{
    uint8_t f[200];
    struct ts_pcap_conns *pc = ts_pcap_conns_new(tmpdir, 2);
    for (uint16_t p = 0; p < 5; p++) {
        size_t n = obsf_tcp(f, OBSF_IP(10, 0, 0, 1), (uint16_t)(1000 + p), OBSF_IP(10, 0, 0, 2), 80, 1, 0,
                            OBSF_SYN, 1, NULL, 0, NULL, 0);
        assert_int_equal(ts_pcap_conns_write(pc, 1, f, n), 0);
    }
    assert_int_equal(ts_pcap_conns_files(pc), 2);
    assert_int_equal(ts_pcap_conns_close(pc), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_big_endian_and_nanos, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_headers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_per_conn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_per_conn_bound, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
